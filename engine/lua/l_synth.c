/* l_synth.c — knob.core.synth (placeholder until its module lands). */
#include "l_modules.h"

#include <lauxlib.h>

int l_open_synth(lua_State *L)
{
    lua_newtable(L);
    return 1;
}
