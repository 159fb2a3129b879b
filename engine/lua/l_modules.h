/*
 * l_modules.h — the binding modules that make up knob.core. Each l_open_<name> pushes one table;
 * luaopen_knob_core collects them as knob.core.<name>. To add a module: write engine/lua/l_<name>.c with
 * its l_open_<name>, declare it here and list it in l_core.c.
 */
#ifndef KNOB_L_MODULES_H
#define KNOB_L_MODULES_H

#include <lua.h>

int l_open_data(lua_State *L);    /* l_data.c: read_csv, from_table, the Dataset methods */
int l_open_synth(lua_State *L);   /* l_synth.c: seeded synthetic dataset generators */
int l_open_split(lua_State *L);   /* l_split.c: train/test split and CV splitters */
int l_open_prep(lua_State *L);    /* l_prep.c: preprocessing transformers */
int l_open_metrics(lua_State *L); /* l_metrics.c: classification and regression metrics */
int l_open_sys(lua_State *L);     /* l_sys.c: clock, memory */
int l_open_model(lua_State *L);   /* l_model.c: the Model userdata over every model kind */
int l_open_csv(lua_State *L);     /* l_csv.c: CSV read/parse/write for specs and scripts */
int l_open_mlp(lua_State *L);     /* l_mlp.c: mlp extras (learning-rate range test) */
int l_open_search(lua_State *L);  /* l_search.c: Parzen estimators (TPE), QMC sequences, Rng */
int l_open_sqlite(lua_State *L);  /* l_sqlite.c: SQLite connections (knob.storage.sqlite) */
int l_open_monitor(lua_State *L); /* l_monitor.c: drift statistics, model comparison tests (knob.monitor) */
int l_open_ensemble(lua_State *L); /* l_ensemble.c: NNLS and simplex log-loss weights (knob.ensemble) */
int l_open_importance(lua_State *L); /* l_importance.c: permuted copies, correlation, fANOVA */
int l_open_proc(lua_State *L);    /* l_proc.c: worker processes (knob.workers, optimize{jobs =}) */
int l_open_pg(lua_State *L);       /* l_pg.c: PostgreSQL connections over libpq (knob.storage.postgres) */

int luaopen_knob_core(lua_State *L);

#endif
