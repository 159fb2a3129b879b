/* l_metrics.c — knob.core.metrics (placeholder until its module lands). */
#include "l_modules.h"

#include <lauxlib.h>

int l_open_metrics(lua_State *L)
{
    lua_newtable(L);
    return 1;
}
