/* l_data.c — knob.core.data (placeholder until its module lands). */
#include "l_modules.h"

#include <lauxlib.h>

int l_open_data(lua_State *L)
{
    lua_newtable(L);
    return 1;
}
