/*
 * l_sqlite.c — knob.core.sqlite: a thin binding over libsqlite3 (used by knob.storage.sqlite).
 *
 *   sqlite.open(path) -> connection | nil, msg      opens (creating) a database file; busy timeout 10 s
 *   conn:exec(sql)                                  runs one or more statements without parameters
 *   conn:run(sql, params) -> changes, last_rowid    one statement; params bound positionally (?1, ?2, ...)
 *   conn:rows(sql, params) -> {{col = value}, ...}  one query; every row as a table keyed by column name
 *   conn:close()                                    idempotent (also __gc and __close)
 *
 * Parameters are BOUND, never interpolated: integers, floats, strings and nil (NULL; params may have holes,
 * the statement's parameter count decides how many are read). Any other type raises. Column values come
 * back as integers, floats, strings (TEXT and BLOB) or are absent (NULL). A failing statement raises
 * "sqlite <op> (<sql head>): <SQLite's message>"; a closed connection raises "sqlite connection is closed".
 */
#include "l_modules.h"

#include <lauxlib.h>
#include <sqlite3.h>
#include <string.h>

#include "l_aux.h"

#define SQLITE_MT "knob.SQLite"
#define BUSY_TIMEOUT_MS 10000

typedef struct {
    sqlite3 *db;
} l_sqlite;

static sqlite3 *check_db(lua_State *L)
{
    l_sqlite *c = luaL_checkudata(L, 1, SQLITE_MT);
    if (!c->db) luaL_error(L, "sqlite connection is closed");
    return c->db;
}

/* Push "sqlite <op> (<first 60 bytes of sql>): " onto the stack. */
static void push_prefix(lua_State *L, const char *op, const char *sql)
{
    size_t n = strlen(sql);
    lua_pushfstring(L, "sqlite %s (", op);
    lua_pushlstring(L, sql, n > 60 ? 60 : n);
    lua_pushstring(L, n > 60 ? "...): " : "): ");
    lua_concat(L, 3);
}

/* Raise naming the operation, the start of the SQL text and msg (SQLite's message when msg is NULL);
 * finalizes stmt first. */
static int raise_sql(lua_State *L, sqlite3 *db, sqlite3_stmt *stmt, const char *op, const char *sql,
                     const char *msg)
{
    push_prefix(L, op, sql);
    lua_pushstring(L, msg ? msg : sqlite3_errmsg(db));
    lua_concat(L, 2);
    if (stmt) sqlite3_finalize(stmt);
    return lua_error(L);
}

static int l_open(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    l_sqlite *c = lua_newuserdatauv(L, sizeof *c, 0);
    c->db = NULL;
    luaL_setmetatable(L, SQLITE_MT);
    int rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        lua_pushnil(L);
        lua_pushfstring(L, "sqlite open '%s': %s", path, c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        sqlite3_close(c->db);
        c->db = NULL;
        return 2;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
    return 1;
}

static int l_exec(lua_State *L)
{
    sqlite3 *db = check_db(L);
    const char *sql = luaL_checkstring(L, 2);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) return raise_sql(L, db, NULL, "exec", sql, NULL);
    return 0;
}

/* Prepare sql (one statement) and bind the array at index 3 (nil/none = no parameters). */
static sqlite3_stmt *prepare_bound(lua_State *L, sqlite3 *db, const char *sql, const char *op)
{
    sqlite3_stmt *stmt = NULL;
    const char *tail = NULL;
    if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TTABLE);
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, &tail) != SQLITE_OK) raise_sql(L, db, stmt, op, sql, NULL);
    if (!stmt) raise_sql(L, db, NULL, op, sql, "no statement");
    while (tail && (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == ';')) tail++;
    if (tail && *tail) raise_sql(L, db, stmt, op, sql, "one statement only (use exec for several)");
    int n = sqlite3_bind_parameter_count(stmt);
    if (lua_istable(L, 3) && luaL_len(L, 3) > n) {
        lua_pushfstring(L, "%d parameters given, the statement takes %d", (int)luaL_len(L, 3), n);
        raise_sql(L, db, stmt, op, sql, lua_tostring(L, -1));
    }
    for (int i = 1; i <= n; i++) {
        int t = lua_istable(L, 3) ? lua_geti(L, 3, i) : LUA_TNIL;
        if (!lua_istable(L, 3)) lua_pushnil(L);
        int rc = SQLITE_OK;
        if (t == LUA_TNIL) {
            rc = sqlite3_bind_null(stmt, i);
        } else if (t == LUA_TNUMBER && lua_isinteger(L, -1)) {
            rc = sqlite3_bind_int64(stmt, i, (sqlite3_int64)lua_tointeger(L, -1));
        } else if (t == LUA_TNUMBER) {
            rc = sqlite3_bind_double(stmt, i, lua_tonumber(L, -1));
        } else if (t == LUA_TSTRING) {
            size_t len;
            const char *s = lua_tolstring(L, -1, &len);
            rc = sqlite3_bind_text64(stmt, i, s, (sqlite3_uint64)len, SQLITE_TRANSIENT, SQLITE_UTF8);
        } else {
            lua_pushfstring(L, "parameter %d must be a number, string or nil (got %s)", i, luaL_typename(L, -1));
            raise_sql(L, db, stmt, op, sql, lua_tostring(L, -1));
        }
        lua_pop(L, 1);
        if (rc != SQLITE_OK) raise_sql(L, db, stmt, op, sql, NULL);
    }
    return stmt;
}

static int l_run(lua_State *L)
{
    sqlite3 *db = check_db(L);
    const char *sql = luaL_checkstring(L, 2);
    sqlite3_stmt *stmt = prepare_bound(L, db, sql, "run");
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {}
    if (rc != SQLITE_DONE) return raise_sql(L, db, stmt, "run", sql, NULL);
    sqlite3_finalize(stmt);
    lua_pushinteger(L, (lua_Integer)sqlite3_changes64(db));
    lua_pushinteger(L, (lua_Integer)sqlite3_last_insert_rowid(db));
    return 2;
}

static int l_rows(lua_State *L)
{
    sqlite3 *db = check_db(L);
    const char *sql = luaL_checkstring(L, 2);
    sqlite3_stmt *stmt = prepare_bound(L, db, sql, "rows");
    int ncol = sqlite3_column_count(stmt);
    lua_newtable(L);
    lua_Integer nrow = 0;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        lua_createtable(L, 0, ncol);
        for (int j = 0; j < ncol; j++) {
            switch (sqlite3_column_type(stmt, j)) {
            case SQLITE_INTEGER: lua_pushinteger(L, (lua_Integer)sqlite3_column_int64(stmt, j)); break;
            case SQLITE_FLOAT: lua_pushnumber(L, sqlite3_column_double(stmt, j)); break;
            case SQLITE_NULL: continue;
            default: {
                const void *p = sqlite3_column_blob(stmt, j);
                lua_pushlstring(L, p ? p : "", (size_t)sqlite3_column_bytes(stmt, j));
            }
            }
            lua_setfield(L, -2, sqlite3_column_name(stmt, j));
        }
        lua_rawseti(L, -2, ++nrow);
    }
    if (rc != SQLITE_DONE) return raise_sql(L, db, stmt, "rows", sql, NULL);
    sqlite3_finalize(stmt);
    return 1;
}

static int l_close(lua_State *L)
{
    l_sqlite *c = luaL_checkudata(L, 1, SQLITE_MT);
    if (c->db) {
        sqlite3_close_v2(c->db);
        c->db = NULL;
    }
    return 0;
}

static int l_tostring(lua_State *L)
{
    l_sqlite *c = luaL_checkudata(L, 1, SQLITE_MT);
    if (!c->db) {
        lua_pushstring(L, "knob.SQLite<closed>");
    } else {
        const char *f = sqlite3_db_filename(c->db, "main");
        lua_pushfstring(L, "knob.SQLite<%s>", f ? f : "");
    }
    return 1;
}

int l_open_sqlite(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"exec", l_exec}, {"run", l_run}, {"rows", l_rows}, {"close", l_close}, {NULL, NULL}};
    static const luaL_Reg meta[] = {
        {"__gc", l_close}, {"__close", l_close}, {"__tostring", l_tostring}, {NULL, NULL}};
    l_new_class(L, SQLITE_MT, methods, meta);
    static const luaL_Reg fns[] = {{"open", l_open}, {NULL, NULL}};
    luaL_newlib(L, fns);
    lua_pushstring(L, sqlite3_libversion());
    lua_setfield(L, -2, "version");
    return 1;
}
