/*
 * knob.c — the knob executable: a Lua 5.4 host like lua.c with knob.core preloaded.
 *
 *   knob FILE.lua [args...]   run a script (arg as in lua)
 *   knob -e CODE              run a chunk of code
 *   knob CMD [args...]        run scripts/CMD.lua (subcommands are plain Lua files)
 *   knob                      interactive REPL
 *   knob --version | --help
 *
 * Every chunk runs under one lua_pcall with a traceback handler; an error prints the traceback to stderr
 * and exits with status 1.
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "../lua/l_modules.h"
#include "knob/version.h"

#ifndef KNOB_PREFIX
#define KNOB_PREFIX "/usr/local"
#endif

static char knob_home[PATH_MAX];

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Find the directory holding stdlib/ and scripts/: $KNOB_HOME, the build tree next to the executable,
 * or the install prefix. */
static void find_home(void)
{
    char probe[PATH_MAX + 64];
    const char *env = getenv("KNOB_HOME");
    if (env && *env) {
        snprintf(knob_home, sizeof knob_home, "%s", env);
        return;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        const char *cands[] = {"/..", "", "/../share/knob"};
        for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++) {
            snprintf(probe, sizeof probe, "%s%s/stdlib/knob/init.lua", exe, cands[i]);
            if (file_exists(probe)) {
                snprintf(probe, sizeof probe, "%s%s", exe, cands[i]);
                if (!realpath(probe, knob_home)) snprintf(knob_home, sizeof knob_home, "%.4000s", probe);
                return;
            }
        }
    }
    snprintf(knob_home, sizeof knob_home, "%s/share/knob", KNOB_PREFIX);
}

static void set_paths(lua_State *L)
{
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "path");
    lua_pushfstring(L, "%s/stdlib/?.lua;%s/stdlib/?/init.lua;%s;", knob_home, knob_home, lua_tostring(L, -1));
    lua_setfield(L, -3, "path");
    lua_pop(L, 1);
    lua_getfield(L, -1, "preload");
    lua_pushcfunction(L, luaopen_knob_core);
    lua_setfield(L, -2, "knob.core");
    lua_pop(L, 2);
    lua_pushstring(L, knob_home);
    lua_setglobal(L, "KNOB_HOME");
}

static int msghandler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

static int report(lua_State *L, int status)
{
    if (status != LUA_OK) {
        fprintf(stderr, "knob: %s\n", lua_tostring(L, -1));
        fflush(stderr);
        lua_pop(L, 1);
    }
    return status;
}

static int docall(lua_State *L, int narg, int nres)
{
    int base = lua_gettop(L) - narg;
    lua_pushcfunction(L, msghandler);
    lua_insert(L, base);
    int status = lua_pcall(L, narg, nres, base);
    lua_remove(L, base);
    return status;
}

/* arg table: arg[0] = script, arg[1..] = its arguments, arg[-1] = the executable. */
static void create_arg(lua_State *L, char **argv, int argc, int script)
{
    lua_createtable(L, argc - script - 1, script + 1);
    for (int i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - script);
    }
    lua_setglobal(L, "arg");
}

static int run_script(lua_State *L, const char *path, char **argv, int argc, int script)
{
    create_arg(L, argv, argc, script);
    int status = luaL_loadfile(L, path);
    if (status == LUA_OK) {
        int n = argc - script - 1;
        luaL_checkstack(L, n, "too many arguments to script");
        for (int i = script + 1; i < argc; i++) lua_pushstring(L, argv[i]);
        status = docall(L, n, 0);
    }
    return report(L, status);
}

static int is_command_name(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_')) return 0;
    return 1;
}

static int print_help(void)
{
    printf("knob %s — hyperparameter tuning and model optimization (C core, Lua 5.4)\n\n"
           "usage: knob FILE.lua [args...]   run a Lua script\n"
           "       knob -e CODE              run a chunk of Lua code\n"
           "       knob CMD [args...]        run a subcommand (scripts/CMD.lua)\n"
           "       knob                      interactive prompt\n"
           "       knob --version | --help\n\ncommands:\n",
           KNOB_VERSION);
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/scripts", knob_home);
    DIR *d = opendir(dir);
    int found = 0;
    if (d) {
        struct dirent *e;
        char *names[256];
        int n = 0;
        while ((e = readdir(d)) && n < 256) {
            size_t len = strlen(e->d_name);
            if (len > 4 && strcmp(e->d_name + len - 4, ".lua") == 0) names[n++] = strdup(e->d_name);
        }
        closedir(d);
        for (int i = 1; i < n; i++) /* insertion sort: a handful of names */
            for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
                char *t = names[j];
                names[j] = names[j - 1];
                names[j - 1] = t;
            }
        for (int i = 0; i < n; i++) {
            if (names[i]) {
                names[i][strlen(names[i]) - 4] = '\0';
                printf("  %s\n", names[i]);
                found = 1;
            }
            free(names[i]);
        }
    }
    if (!found) printf("  (none found in %s)\n", dir);
    printf("\nlibrary: %s/stdlib\n", knob_home);
    return 0;
}

static int repl(lua_State *L)
{
    char line[8192];
    int tty = isatty(0);
    if (tty) printf("knob %s (Lua 5.4) — Ctrl-D to quit\n", KNOB_VERSION);
    for (;;) {
        if (tty) {
            fputs("> ", stdout);
            fflush(stdout);
        }
        if (!fgets(line, sizeof line, stdin)) break;
        size_t len = strlen(line);
        if (len && line[len - 1] == '\n') line[--len] = '\0';
        if (len == 0) continue;
        lua_settop(L, 0);
        const char *ret = lua_pushfstring(L, "return %s", line);
        int status = luaL_loadbuffer(L, ret, strlen(ret), "=stdin");
        if (status != LUA_OK) {
            lua_settop(L, 0);
            status = luaL_loadbuffer(L, line, len, "=stdin");
        } else {
            lua_remove(L, 1);
        }
        if (status == LUA_OK) status = docall(L, 0, LUA_MULTRET);
        if (status == LUA_OK && lua_gettop(L) > 0) {
            lua_getglobal(L, "print");
            lua_insert(L, 1);
            status = docall(L, lua_gettop(L) - 1, 0);
        }
        report(L, status);
    }
    if (tty) putchar('\n');
    return 0;
}

int main(int argc, char **argv)
{
    find_home();
    lua_State *L = luaL_newstate();
    if (!L) {
        fprintf(stderr, "knob: cannot create Lua state (out of memory)\n");
        return 1;
    }
    luaL_openlibs(L);
    set_paths(L);
    int status = LUA_OK;
    if (argc < 2) {
        create_arg(L, argv, argc, 0);
        repl(L);
    } else if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-v") == 0) {
        printf("knob %s (%s)\n", KNOB_VERSION, LUA_RELEASE);
    } else if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        print_help();
    } else if (strcmp(argv[1], "-e") == 0) {
        if (argc < 3) {
            fprintf(stderr, "knob: -e needs an argument (knob -e CODE)\n");
            status = LUA_ERRRUN;
        } else {
            create_arg(L, argv, argc, 2);
            status = luaL_loadbuffer(L, argv[2], strlen(argv[2]), "=(command line)");
            if (status == LUA_OK) status = docall(L, 0, 0);
            report(L, status);
        }
    } else if (argv[1][0] == '-' && argv[1][1] != '\0') {
        fprintf(stderr, "knob: unknown option '%s' (see knob --help)\n", argv[1]);
        status = LUA_ERRRUN;
    } else if (file_exists(argv[1]) || !is_command_name(argv[1])) {
        status = run_script(L, argv[1], argv, argc, 1);
    } else {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/scripts/%s.lua", knob_home, argv[1]);
        if (!file_exists(path)) {
            fprintf(stderr, "knob: unknown command '%s' (no file %s; see knob --help)\n", argv[1], path);
            status = LUA_ERRRUN;
        } else {
            status = run_script(L, path, argv, argc, 1);
        }
    }
    lua_close(L);
    return status == LUA_OK ? 0 : 1;
}
