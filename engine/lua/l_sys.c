/* l_sys.c — knob.core.sys: clock, cpu time, memory, cpu count, isatty. */
#include "l_modules.h"

#include <lauxlib.h>
#include <unistd.h>

#include "knob/sysinfo.h"

static int l_clock(lua_State *L)
{
    lua_pushnumber(L, knob_clock_now());
    return 1;
}

static int l_children_cpu_time(lua_State *L)
{
    lua_pushnumber(L, knob_children_cpu_time());
    return 1;
}

static int l_cpu_time(lua_State *L)
{
    lua_pushnumber(L, knob_cpu_time());
    return 1;
}

static int l_peak_rss(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)knob_peak_rss());
    return 1;
}

static int l_rss(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)knob_current_rss());
    return 1;
}

static int l_cpu_count(lua_State *L)
{
    lua_pushinteger(L, knob_cpu_count());
    return 1;
}

/* isatty(stream) -> boolean: stream is "stdin", "stdout", "stderr" or a file descriptor (integer >= 0). */
static int l_isatty(lua_State *L)
{
    static const char *const names[] = {"stdin", "stdout", "stderr", NULL};
    int fd;
    if (lua_type(L, 1) == LUA_TNUMBER) {
        lua_Integer i = luaL_checkinteger(L, 1);
        if (i < 0 || i > 65535) return luaL_argerror(L, 1, "a file descriptor must be an integer in [0, 65535]");
        fd = (int)i;
    } else {
        fd = luaL_checkoption(L, 1, NULL, names);
    }
    lua_pushboolean(L, isatty(fd));
    return 1;
}

int l_open_sys(lua_State *L)
{
    static const luaL_Reg fns[] = {{"clock", l_clock},       {"cpu_time", l_cpu_time}, {"peak_rss", l_peak_rss},
                                   {"children_cpu_time", l_children_cpu_time},
                                   {"rss", l_rss},           {"cpu_count", l_cpu_count},
                                   {"isatty", l_isatty},     {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
