/* l_prep.c — knob.core.prep (placeholder until its module lands). */
#include "l_modules.h"

#include <lauxlib.h>

int l_open_prep(lua_State *L)
{
    lua_newtable(L);
    return 1;
}
