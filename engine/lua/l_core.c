/* l_core.c — luaopen_knob_core: gathers the binding modules into one table. */
#include "l_modules.h"

#include <lauxlib.h>

#include "knob/version.h"

int luaopen_knob_core(lua_State *L)
{
    static const struct {
        const char *name;
        lua_CFunction open;
    } mods[] = {
        {"data", l_open_data},
        {"synth", l_open_synth},
        {"split", l_open_split},
        {"prep", l_open_prep},
        {"metrics", l_open_metrics},
        {"sys", l_open_sys},
        {"model", l_open_model},
        {"csv", l_open_csv},
        {"mlp", l_open_mlp},
        {"search", l_open_search},
        {"sqlite", l_open_sqlite},
        {"monitor", l_open_monitor},
        {"ensemble", l_open_ensemble},
        {"importance", l_open_importance},
        {"proc", l_open_proc},
        {"pg", l_open_pg},
    };
    lua_newtable(L);
    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++) {
        lua_pushcfunction(L, mods[i].open);
        lua_call(L, 0, 1);
        lua_setfield(L, -2, mods[i].name);
    }
    lua_pushstring(L, KNOB_VERSION);
    lua_setfield(L, -2, "version");
    return 1;
}
