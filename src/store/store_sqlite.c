/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_sqlite: the embedded backend. Each connection opens the same file in WAL
 * mode with synchronous=FULL (a committed write survives power loss), foreign keys
 * on and a busy time-out, so readers run in parallel and writers queue on
 * BEGIN IMMEDIATE.
 */
#include <sqlite3.h>
#include <string.h>

#include "../base/log.h"
#include "../base/mem.h"
#include "store_int.h"

struct sqlite_conn {
    struct conn base;
    sqlite3 *db;
};

struct sqlite_stmt {
    struct stmt base;
    sqlite3_stmt *st;
    int64_t changes;
};

#define SC(c) ((struct sqlite_conn *)(c))
#define SS(s) ((struct sqlite_stmt *)(s))

static enum rc map(sqlite3 *db, int code, struct err *e, const char *what)
{
    enum rc rc;
    switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        rc = RC_BUSY;
        break;
    case SQLITE_CONSTRAINT:
        if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
            rc = RC_EXISTS;
        else if (code == SQLITE_CONSTRAINT_FOREIGNKEY)
            rc = RC_CONFLICT;
        else
            rc = RC_INVALID;
        break;
    case SQLITE_TOOBIG:
        rc = RC_TOOLARGE;
        break;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
        rc = RC_IO;
        break;
    default:
        rc = RC_STORE;
    }
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
    if (rc != RC_EXISTS && rc != RC_CONFLICT)
        log_warn("sqlite: %s: %s (%d)", what, msg, code);
    return err_set(e, rc, NULL, "sqlite: %s", msg);
}

static enum rc sq_exec(struct conn *c, const char *sql, struct err *e)
{
    int r = sqlite3_exec(SC(c)->db, sql, NULL, NULL, NULL);
    return r == SQLITE_OK ? RC_OK : map(SC(c)->db, sqlite3_extended_errcode(SC(c)->db), e, "exec");
}

static enum rc sq_connect(const char *path, struct conn **out, struct err *e)
{
    sqlite3 *db = NULL;
    int r = sqlite3_open_v2(path, &db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                                SQLITE_OPEN_EXRESCODE,
                            NULL);
    if (r != SQLITE_OK) {
        (void)map(db, r, e, "open");
        sqlite3_close(db);
        if (e)
            e->rc = RC_UNAVAILABLE;
        return RC_UNAVAILABLE;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 10000);
    struct sqlite_conn *c = xcalloc(1, sizeof(*c));
    c->db = db;
    enum rc rc = sq_exec(&c->base,
                         "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                         "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;",
                         e);
    if (rc) {
        sqlite3_close(db);
        xfree(c);
        return rc;
    }
    *out = &c->base;
    return RC_OK;
}

static void sq_disconnect(struct conn *c)
{
    if (!c)
        return;
    sqlite3_close(SC(c)->db);
    xfree(c);
}

static enum rc sq_prepare(struct conn *c, const char *sql, struct stmt **out, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int r = sqlite3_prepare_v3(SC(c)->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (r != SQLITE_OK)
        return map(SC(c)->db, sqlite3_extended_errcode(SC(c)->db), e, "prepare");
    struct sqlite_stmt *s = xcalloc(1, sizeof(*s));
    s->st = st;
    *out = &s->base;
    return RC_OK;
}

static void sq_finalize(struct stmt *st)
{
    sqlite3_finalize(SS(st)->st);
    xfree(st);
}

static void sq_reset(struct stmt *st)
{
    sqlite3_reset(SS(st)->st);
    sqlite3_clear_bindings(SS(st)->st);
}

static void sq_bind_text(struct stmt *st, int i, const char *s, size_t n)
{
    sqlite3_bind_text64(SS(st)->st, i, s, n, SQLITE_TRANSIENT, SQLITE_UTF8);
}

static void sq_bind_int(struct stmt *st, int i, int64_t v)
{
    sqlite3_bind_int64(SS(st)->st, i, v);
}

static void sq_bind_double(struct stmt *st, int i, double v)
{
    sqlite3_bind_double(SS(st)->st, i, v);
}

static void sq_bind_null(struct stmt *st, int i)
{
    sqlite3_bind_null(SS(st)->st, i);
}

static void sq_bind_blob(struct stmt *st, int i, const void *p, size_t n)
{
    sqlite3_bind_blob64(SS(st)->st, i, p, n, SQLITE_TRANSIENT);
}

static enum rc sq_step(struct stmt *st, struct err *e)
{
    sqlite3 *db = sqlite3_db_handle(SS(st)->st);
    int r = sqlite3_step(SS(st)->st);
    if (r == SQLITE_ROW)
        return RC_ROW;
    if (r == SQLITE_DONE) {
        SS(st)->changes = sqlite3_changes64(db);
        return RC_DONE;
    }
    enum rc rc = map(db, sqlite3_extended_errcode(db), e, "step");
    sqlite3_reset(SS(st)->st);
    return rc;
}

static int sq_ncols(struct stmt *st)
{
    return sqlite3_column_count(SS(st)->st);
}

static bool sq_isnull(struct stmt *st, int i)
{
    return sqlite3_column_type(SS(st)->st, i) == SQLITE_NULL;
}

static const char *sq_text(struct stmt *st, int i)
{
    return (const char *)sqlite3_column_text(SS(st)->st, i);
}

static int64_t sq_int(struct stmt *st, int i)
{
    return sqlite3_column_int64(SS(st)->st, i);
}

static double sq_double(struct stmt *st, int i)
{
    return sqlite3_column_double(SS(st)->st, i);
}

static const void *sq_blob(struct stmt *st, int i, size_t *n)
{
    const void *p = sqlite3_column_blob(SS(st)->st, i);
    *n = (size_t)sqlite3_column_bytes(SS(st)->st, i);
    return p;
}

static int64_t sq_changes(struct stmt *st)
{
    return SS(st)->changes;
}

static bool sq_broken(struct conn *c)
{
    (void)c;
    return false;
}

const struct store_ops store__sqlite_ops = {
    .name = "sqlite",
    .kind = STORE_SQLITE,
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .exec = sq_exec,
    .prepare = sq_prepare,
    .finalize = sq_finalize,
    .reset = sq_reset,
    .bind_text = sq_bind_text,
    .bind_int = sq_bind_int,
    .bind_double = sq_bind_double,
    .bind_null = sq_bind_null,
    .bind_blob = sq_bind_blob,
    .step = sq_step,
    .ncols = sq_ncols,
    .isnull = sq_isnull,
    .text = sq_text,
    .int64 = sq_int,
    .dbl = sq_double,
    .blob = sq_blob,
    .changes = sq_changes,
    .broken = sq_broken,
};
