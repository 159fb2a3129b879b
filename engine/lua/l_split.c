/* l_split.c — knob.core.split (placeholder until its module lands). */
#include "l_modules.h"

#include <lauxlib.h>

int l_open_split(lua_State *L)
{
    lua_newtable(L);
    return 1;
}
