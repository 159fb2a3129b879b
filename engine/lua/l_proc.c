/*
 * l_proc.c — knob.core.proc: worker processes (knob/proc.h), used by knob.workers for study:optimize{jobs =}.
 *
 *   proc.fork{time_limit =, memory_limit =} -> worker, is_child
 *       fork a worker; both processes return, the child with is_child = true. time_limit: seconds of wall
 *       time (enforced by the parent's poll with SIGKILL); memory_limit: MB the child's address space may
 *       grow by (RLIMIT_AS). 0 or nil = none. A fork failure returns nil, msg.
 *   proc.poll(workers, max_wait) -> {i, ...}   indices of the workers (an array) with something to read;
 *                                               waits at most max_wait seconds (nil: until a deadline)
 *   worker:send(bytes) -> true | nil, msg       one message to the other side
 *   worker:recv([block]) -> bytes | false | nil a message, false when none is complete yet (block = false,
 *                                               the default), nil at end of stream
 *   worker:reap() -> {exited, code, signal, timed_out, reason}   after end of stream (parent)
 *   worker:kill([why])    SIGKILL now; reap then reports why     worker:pid()
 *   worker:exit([code])   child: _exit now (never returns)       worker:close()  (__gc, __close; parent:
 *                                                                 kills and reaps a worker still running)
 *   proc.set_threads(n)   the core pool's and OpenBLAS's thread count for this process (n <= 0: automatic)
 *   proc.threads() -> pool, blas
 *   proc._crash([sig])    TEST ONLY: kill this process with "segv" (default), "abort", "bus" or "fpe"
 */
#include "l_modules.h"

#include <lauxlib.h>
#include <signal.h>
#include <stdlib.h>

#include "knob/proc.h"
#include "l_aux.h"

#define PROC_MT "knob.Proc"

typedef struct {
    knob_proc *p;
} l_proc;

static knob_proc *check_proc(lua_State *L, int idx)
{
    l_proc *w = luaL_checkudata(L, idx, PROC_MT);
    if (!w->p) luaL_error(L, "worker is closed");
    return w->p;
}

static int l_fork(lua_State *L)
{
    static const char *const valid[] = {"time_limit", "memory_limit", NULL};
    l_check_options(L, 1, "proc.fork", valid);
    knob_proc_limits lim;
    lim.time_limit = l_opt_number(L, 1, "proc.fork", "time_limit", 0);
    lim.memory_limit_mb = l_opt_number(L, 1, "proc.fork", "memory_limit", 0);
    l_proc *w = lua_newuserdatauv(L, sizeof *w, 0);
    w->p = NULL;
    luaL_setmetatable(L, PROC_MT);
    knob_err err;
    int is_child = 0;
    int st = knob_proc_fork(&w->p, &is_child, &lim, &err);
    if (st == KNOB_EINVAL) return l_raise(L, &err);
    if (st != KNOB_OK) return l_fail(L, &err);
    lua_pushboolean(L, is_child);
    return 2;
}

static int l_poll(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    double max_wait = luaL_optnumber(L, 2, -1);
    if (max_wait != max_wait) return luaL_argerror(L, 2, "max_wait must be a number (got NaN)");
    lua_Integer n = luaL_len(L, 1);
    if (n > 64) return luaL_error(L, "proc.poll: at most 64 workers (got %d)", (int)n);
    knob_proc *ps[64];
    int ready[64];
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, 1, i);
        ps[i - 1] = check_proc(L, -1);
        lua_pop(L, 1);
    }
    knob_err err;
    int r = knob_proc_poll(ps, (size_t)n, max_wait, ready, &err);
    if (r < 0) return l_raise(L, &err);
    lua_createtable(L, r, 0);
    int k = 0;
    for (lua_Integer i = 0; i < n; i++)
        if (ready[i]) {
            lua_pushinteger(L, i + 1);
            lua_rawseti(L, -2, ++k);
        }
    return 1;
}

static int w_send(lua_State *L)
{
    knob_proc *p = check_proc(L, 1);
    size_t n;
    const char *s = luaL_checklstring(L, 2, &n);
    knob_err err;
    int st = knob_proc_send(p, s, n, &err);
    if (st == KNOB_EINVAL) return l_raise(L, &err);
    if (st != KNOB_OK) return l_fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

static int w_recv(lua_State *L)
{
    knob_proc *p = check_proc(L, 1);
    int block = lua_toboolean(L, 2);
    char *msg = NULL;
    size_t n = 0;
    knob_err err;
    int r = knob_proc_recv(p, &msg, &n, block, &err);
    if (r == 1) {
        lua_pushlstring(L, msg, n);
        free(msg);
        return 1;
    }
    if (r == 0) {
        lua_pushboolean(L, 0);
        return 1;
    }
    if (r == -1) {
        lua_pushnil(L);
        return 1;
    }
    return l_raise(L, &err);
}

static int w_reap(lua_State *L)
{
    knob_proc *p = check_proc(L, 1);
    knob_proc_end end;
    knob_err err;
    if (knob_proc_reap(p, &end, &err) != KNOB_OK) return l_raise(L, &err);
    lua_createtable(L, 0, 5);
    lua_pushboolean(L, end.exited);
    lua_setfield(L, -2, "exited");
    lua_pushinteger(L, end.code);
    lua_setfield(L, -2, "code");
    lua_pushinteger(L, end.signal);
    lua_setfield(L, -2, "signal");
    lua_pushboolean(L, end.timed_out);
    lua_setfield(L, -2, "timed_out");
    lua_pushstring(L, end.reason);
    lua_setfield(L, -2, "reason");
    return 1;
}

static int w_kill(lua_State *L)
{
    knob_proc *p = check_proc(L, 1);
    knob_proc_kill(p, luaL_optstring(L, 2, NULL));
    return 0;
}

static int w_pid(lua_State *L)
{
    lua_pushinteger(L, knob_proc_pid(check_proc(L, 1)));
    return 1;
}

static int w_exit(lua_State *L)
{
    l_proc *w = luaL_checkudata(L, 1, PROC_MT);
    int code = (int)luaL_optinteger(L, 2, 0);
    knob_proc_child_exit(&w->p, code);
    return 0;
}

static int w_close(lua_State *L)
{
    l_proc *w = luaL_checkudata(L, 1, PROC_MT);
    knob_proc_free(&w->p);
    return 0;
}

static int w_tostring(lua_State *L)
{
    l_proc *w = luaL_checkudata(L, 1, PROC_MT);
    if (w->p) lua_pushfstring(L, "knob.Proc<pid %d>", (int)knob_proc_pid(w->p));
    else lua_pushliteral(L, "knob.Proc<closed>");
    return 1;
}

static int l_set_threads(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    if (n > 1024) return luaL_argerror(L, 1, "at most 1024 threads");
    knob_proc_set_threads((int)n);
    return 0;
}

static int l_threads(lua_State *L)
{
    int pool, blas;
    knob_proc_get_threads(&pool, &blas);
    lua_pushinteger(L, pool);
    lua_pushinteger(L, blas);
    return 2;
}

static int l_crash(lua_State *L)
{
    static const char *const names[] = {"segv", "abort", "bus", "fpe", NULL};
    static const int sigs[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE};
    int i = luaL_checkoption(L, 1, "segv", names);
    knob_proc_crash(sigs[i]);
    return 0;
}

int l_open_proc(lua_State *L)
{
    static const luaL_Reg methods[] = {{"send", w_send}, {"recv", w_recv}, {"reap", w_reap},   {"kill", w_kill},
                                       {"pid", w_pid},   {"exit", w_exit}, {"close", w_close}, {NULL, NULL}};
    static const luaL_Reg meta[] = {{"__gc", w_close}, {"__close", w_close}, {"__tostring", w_tostring}, {NULL, NULL}};
    static const luaL_Reg fns[] = {{"fork", l_fork},
                                   {"poll", l_poll},
                                   {"set_threads", l_set_threads},
                                   {"threads", l_threads},
                                   {"_crash", l_crash},
                                   {NULL, NULL}};
    l_new_class(L, PROC_MT, methods, meta);
    luaL_newlib(L, fns);
    return 1;
}
