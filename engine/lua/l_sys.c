/* l_sys.c — knob.core.sys: clock, cpu time, memory, cpu count. */
#include "l_modules.h"

#include <lauxlib.h>

#include "knob/sysinfo.h"

static int l_clock(lua_State *L)
{
    lua_pushnumber(L, knob_clock_now());
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

int l_open_sys(lua_State *L)
{
    static const luaL_Reg fns[] = {{"clock", l_clock},       {"cpu_time", l_cpu_time}, {"peak_rss", l_peak_rss},
                                   {"rss", l_rss},           {"cpu_count", l_cpu_count}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
