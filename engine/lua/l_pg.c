/*
 * l_pg.c — knob.core.pg: a thin binding over libpq (used by knob.storage.postgres).
 *
 *   pg.connect(conninfo) -> connection | nil, msg   a "postgresql://..." URL or "key=value ..." string;
 *                                                   the message never contains the conninfo (nor a password)
 *   conn:exec(sql [, params]) -> rows, n_affected   without params: one or more statements (PQexec); with a
 *                                                   params array: ONE statement whose $1, $2, ... are bound
 *                                                   (PQexecParams, text format), never interpolated
 *   conn:ok() -> boolean                            is the connection usable (PQstatus == CONNECTION_OK)
 *   conn:reset() -> true | nil, msg                 reconnect with the same parameters (PQreset)
 *   conn:tx_status() -> "idle"|"active"|"intrans"|"inerror"|"unknown"     (PQtransactionStatus)
 *   conn:close()                                    idempotent (also __gc and __close)
 *
 * Parameters: integers, floats (inf/nan as 'Infinity'/'NaN'), strings, booleans and nil (NULL; the array may
 * have holes: n = params.n or #params). Any other type raises. Result columns come back typed by their
 * PostgreSQL type: bool -> boolean, int2/int4/int8/oid -> integer, float4/float8/numeric -> float, anything
 * else -> string; NULL columns are absent. rows is an array of {column = value} tables (empty for commands).
 * A failing statement raises "postgresql <op> (<sql head>): <server's primary message>"; a closed connection raises
 * "postgresql connection is closed". Server notices are discarded.
 */
#include "l_modules.h"

#include <lauxlib.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l_aux.h"

#define PG_MT "knob.PG"
#define MAX_PARAMS 1024

/* PostgreSQL type OIDs (pg_type.h; stable across versions). */
enum { OID_BOOL = 16, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_OID = 26, OID_FLOAT4 = 700,
       OID_FLOAT8 = 701, OID_NUMERIC = 1700 };

typedef struct {
    PGconn *conn;
} l_pg;

static PGconn *check_conn(lua_State *L)
{
    l_pg *c = luaL_checkudata(L, 1, PG_MT);
    if (!c->conn) luaL_error(L, "postgresql connection is closed");
    return c->conn;
}

static void quiet_notices(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Push libpq's message without its trailing newline. */
static void push_message(lua_State *L, const char *msg)
{
    size_t n = msg ? strlen(msg) : 0;
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) n--;
    lua_pushlstring(L, msg ? msg : "", n);
}

/* Raise "postgresql <op> (<first 60 bytes of sql>): <msg>"; clears res first. */
static int raise_sql(lua_State *L, PGresult *res, const char *op, const char *sql, const char *msg)
{
    size_t n = strlen(sql);
    lua_pushfstring(L, "postgresql %s (", op);
    lua_pushlstring(L, sql, n > 60 ? 60 : n);
    lua_pushstring(L, n > 60 ? "...): " : "): ");
    push_message(L, msg);
    lua_concat(L, 4);
    if (res) PQclear(res);
    return lua_error(L);
}

static int l_connect(lua_State *L)
{
    const char *info = luaL_checkstring(L, 1);
    l_pg *c = lua_newuserdatauv(L, sizeof *c, 0);
    c->conn = NULL;
    luaL_setmetatable(L, PG_MT);
    c->conn = PQconnectdb(info);
    if (!c->conn || PQstatus(c->conn) != CONNECTION_OK) {
        lua_pushnil(L);
        lua_pushstring(L, "postgresql connect: ");
        push_message(L, c->conn ? PQerrorMessage(c->conn) : "out of memory");
        lua_concat(L, 2);
        if (c->conn) PQfinish(c->conn);
        c->conn = NULL;
        return 2;
    }
    PQsetNoticeProcessor(c->conn, quiet_notices, NULL);
    return 1;
}

/* Push the value of column j of row i, typed by the column's type; returns 0 for NULL (nothing pushed). */
static int push_value(lua_State *L, const PGresult *res, int i, int j)
{
    if (PQgetisnull(res, i, j)) return 0;
    const char *v = PQgetvalue(res, i, j);
    switch (PQftype(res, j)) {
    case OID_BOOL: lua_pushboolean(L, v[0] == 't'); break;
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
    case OID_OID: lua_pushinteger(L, (lua_Integer)strtoll(v, NULL, 10)); break;
    case OID_FLOAT4:
    case OID_FLOAT8:
    case OID_NUMERIC: lua_pushnumber(L, strtod(v, NULL)); break;
    default: lua_pushlstring(L, v, (size_t)PQgetlength(res, i, j));
    }
    return 1;
}

/* Text form of parameter value at stack top into buf (numbers) or as a pointer to the Lua string;
 * NULL for nil. Raises (via raise_sql) for other types. */
static const char *param_text(lua_State *L, int i, char *buf, size_t size, const char *sql)
{
    switch (lua_type(L, -1)) {
    case LUA_TNIL: return NULL;
    case LUA_TBOOLEAN: return lua_toboolean(L, -1) ? "true" : "false";
    case LUA_TSTRING: return lua_tostring(L, -1);
    case LUA_TNUMBER:
        if (lua_isinteger(L, -1)) {
            snprintf(buf, size, "%lld", (long long)lua_tointeger(L, -1));
        } else {
            double d = lua_tonumber(L, -1);
            if (isnan(d)) snprintf(buf, size, "NaN");
            else if (isinf(d)) snprintf(buf, size, d > 0 ? "Infinity" : "-Infinity");
            else snprintf(buf, size, "%.17g", d);
        }
        return buf;
    default:
        lua_pushfstring(L, "parameter %d must be a number, string, boolean or nil (got %s)", i, luaL_typename(L, -1));
        raise_sql(L, NULL, "exec", sql, lua_tostring(L, -1));
        return NULL;
    }
}

static int l_exec(lua_State *L)
{
    PGconn *conn = check_conn(L);
    const char *sql = luaL_checkstring(L, 2);
    PGresult *res;
    if (lua_isnoneornil(L, 3)) {
        res = PQexec(conn, sql);
    } else {
        luaL_checktype(L, 3, LUA_TTABLE);
        lua_Integer n = lua_getfield(L, 3, "n") == LUA_TNUMBER ? lua_tointeger(L, -1) : (lua_Integer)luaL_len(L, 3);
        lua_pop(L, 1);
        if (n < 0 || n > MAX_PARAMS) return raise_sql(L, NULL, "exec", sql, "too many parameters");
        int np = (int)n;
        /* scratch: pointers + 32 bytes of number text per parameter, anchored on the stack */
        char *scratch = l_alloc_anchored(L, (size_t)np * (sizeof(char *) + 32) + 1);
        const char **values = (const char **)(void *)scratch;
        char *nums = scratch + (size_t)np * sizeof(char *);
        int top = lua_gettop(L);
        for (int i = 1; i <= np; i++) {
            lua_geti(L, 3, i); /* kept on the stack so that string pointers stay valid */
            values[i - 1] = param_text(L, i, nums + (size_t)(i - 1) * 32, 32, sql);
        }
        res = PQexecParams(conn, sql, np, NULL, values, NULL, NULL, 0);
        lua_settop(L, top);
    }
    if (!res) return raise_sql(L, NULL, "exec", sql, PQerrorMessage(conn));
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        return raise_sql(L, res, "exec", sql, m && *m ? m : PQerrorMessage(conn));
    }
    int nrow = PQntuples(res), ncol = PQnfields(res);
    lua_createtable(L, nrow, 0);
    for (int i = 0; i < nrow; i++) {
        lua_createtable(L, 0, ncol);
        for (int j = 0; j < ncol; j++) {
            if (push_value(L, res, i, j)) lua_setfield(L, -2, PQfname(res, j));
        }
        lua_rawseti(L, -2, i + 1);
    }
    const char *aff = PQcmdTuples(res);
    lua_pushinteger(L, aff && *aff ? (lua_Integer)strtoll(aff, NULL, 10) : 0);
    PQclear(res);
    return 2;
}

static int l_ok(lua_State *L)
{
    l_pg *c = luaL_checkudata(L, 1, PG_MT);
    lua_pushboolean(L, c->conn && PQstatus(c->conn) == CONNECTION_OK);
    return 1;
}

static int l_reset(lua_State *L)
{
    PGconn *conn = check_conn(L);
    PQreset(conn);
    if (PQstatus(conn) != CONNECTION_OK) {
        lua_pushnil(L);
        lua_pushstring(L, "postgresql reconnect: ");
        push_message(L, PQerrorMessage(conn));
        lua_concat(L, 2);
        return 2;
    }
    PQsetNoticeProcessor(conn, quiet_notices, NULL);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_tx_status(lua_State *L)
{
    static const char *const names[] = {"idle", "active", "intrans", "inerror", "unknown"};
    PGconn *conn = check_conn(L);
    PGTransactionStatusType s = PQtransactionStatus(conn);
    lua_pushstring(L, names[s == PQTRANS_IDLE ? 0 : s == PQTRANS_ACTIVE ? 1 : s == PQTRANS_INTRANS ? 2
                            : s == PQTRANS_INERROR ? 3 : 4]);
    return 1;
}

static int l_close(lua_State *L)
{
    l_pg *c = luaL_checkudata(L, 1, PG_MT);
    if (c->conn) {
        PQfinish(c->conn);
        c->conn = NULL;
    }
    return 0;
}

/* "knob.PG<user@host:port/db>": never the password. */
static int l_tostring(lua_State *L)
{
    l_pg *c = luaL_checkudata(L, 1, PG_MT);
    if (!c->conn) {
        lua_pushstring(L, "knob.PG<closed>");
    } else {
        const char *h = PQhost(c->conn);
        lua_pushfstring(L, "knob.PG<%s@%s:%s/%s>", PQuser(c->conn), h && h[0] == '/' ? "localhost" : h,
                        PQport(c->conn), PQdb(c->conn));
    }
    return 1;
}

int l_open_pg(lua_State *L)
{
    static const luaL_Reg methods[] = {{"exec", l_exec},         {"ok", l_ok},       {"reset", l_reset},
                                       {"tx_status", l_tx_status}, {"close", l_close}, {NULL, NULL}};
    static const luaL_Reg meta[] = {
        {"__gc", l_close}, {"__close", l_close}, {"__tostring", l_tostring}, {NULL, NULL}};
    l_new_class(L, PG_MT, methods, meta);
    static const luaL_Reg fns[] = {{"connect", l_connect}, {NULL, NULL}};
    luaL_newlib(L, fns);
    lua_pushinteger(L, PQlibVersion());
    lua_setfield(L, -2, "version");
    return 1;
}
