/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_sql: the SQL that only one backend understands (text search and its SQLite
 * index, the next id, row locks, room for a bulk write), said once here so that domain
 * code never branches on the backend. See store.h and docs/internals/store.md, "SQL
 * that differs by backend".
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/jsonx.h"
#include "../base/mem.h"
#include "store_int.h"

/* Room for a statement made of a constant template and the caller's table names. */
#define SQL_MAX 512

static bool is_sqlite(const struct conn *c)
{
    return store_conn_kind(c) == STORE_SQLITE;
}

/* Runs sql (one statement) with an optional integer and text parameter. */
static enum rc run(struct conn *c, const char *sql, const int64_t *i, const char *t, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, sql, &st, e);
    if (rc)
        return rc;
    if (i)
        store_bind_int(st, 1, *i);
    if (t)
        store_bind_text(st, 1, t);
    rc = store_run(st, e);
    store_finish(st);
    return rc;
}

/* Reads the one integer of a one-row query into *v. */
static enum rc one_int(struct conn *c, const char *sql, int64_t *v, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, sql, &st, e);
    if (rc)
        return rc;
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        *v = store_int(st, 0);
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_INTERNAL, NULL, "no row from %s", sql);
    }
    store_finish(st);
    return rc;
}

/* Checks what snprintf wrote into a statement of SQL_MAX bytes. */
static enum rc fits(int n, struct err *e)
{
    if (n <= 0 || n >= SQL_MAX)
        return err_set(e, RC_INTERNAL, NULL, "statement too long");
    return RC_OK;
}

enum rc store_search_sql(const struct conn *c, const struct store_search *s, const char *q,
                         struct buf *sql, char **arg)
{
    bool fts = is_sqlite(c) && utf8_len(q) >= 3;
    enum rc rc;
    *arg = NULL;
    if (fts)
        rc = buf_printf(sql, " AND %s.rowid IN (SELECT rowid FROM %s_fts WHERE %s_fts MATCH ?)",
                        s->alias, s->table, s->table);
    else
        /* ILIKE keeps PostgreSQL's trigram index usable; SQLite's LIKE already ignores
         * ASCII case. */
        rc = buf_printf(sql, " AND %s %s ? ESCAPE '\\'", s->text, is_sqlite(c) ? "LIKE" : "ILIKE");
    if (rc)
        return rc;
    /* The argument: an FTS5 phrase (quotes doubled), or a LIKE pattern (%, _ and \
     * escaped). */
    size_t n = strlen(q);
    char *p = *arg = xmalloc(2 * n + 4);
    if (fts) {
        *p++ = '"';
        for (const char *t = q; *t; t++) {
            if (*t == '"')
                *p++ = '"';
            *p++ = *t;
        }
        *p++ = '"';
    } else {
        *p++ = '%';
        for (const char *t = q; *t; t++) {
            if (*t == '%' || *t == '_' || *t == '\\')
                *p++ = '\\';
            *p++ = *t;
        }
        *p++ = '%';
    }
    *p = '\0';
    return RC_OK;
}

enum rc store_contains_sql(const struct conn *c, const char *expr, struct buf *sql)
{
    return is_sqlite(c) ? buf_printf(sql, "instr(%s, ?) > 0", expr)
                        : buf_printf(sql, "strpos(%s, ?) > 0", expr);
}

enum rc store_search_mark(struct conn *c, const char *table, int64_t *mark, struct err *e)
{
    char sql[SQL_MAX];
    *mark = 0;
    if (!is_sqlite(c))
        return RC_OK;
    enum rc rc =
        fits(snprintf(sql, sizeof(sql), "SELECT COALESCE(MAX(rowid), 0) FROM %s", table), e);
    return rc ? rc : one_int(c, sql, mark, e);
}

enum rc store_search_index_from(struct conn *c, const char *table, const char *col, int64_t mark,
                                struct err *e)
{
    char sql[SQL_MAX];
    if (!is_sqlite(c))
        return RC_OK; /* PostgreSQL's trigram index is maintained by the server */
    enum rc rc = fits(snprintf(sql, sizeof(sql),
                               "INSERT INTO %s_fts(rowid, %s) SELECT rowid, %s FROM %s WHERE "
                               "rowid > ?",
                               table, col, col, table),
                      e);
    return rc ? rc : run(c, sql, &mark, NULL, e);
}

enum rc store_search_index_row(struct conn *c, const char *table, const char *col,
                               const char *key_col, const char *key, struct err *e)
{
    char sql[SQL_MAX];
    if (!is_sqlite(c))
        return RC_OK;
    enum rc rc =
        fits(snprintf(sql, sizeof(sql),
                      "INSERT INTO %s_fts(rowid, %s) SELECT rowid, %s FROM %s WHERE %s = ?", table,
                      col, col, table, key_col),
             e);
    return rc ? rc : run(c, sql, NULL, key, e);
}

enum rc store_next_id(struct conn *c, const char *table, int64_t *id, struct err *e)
{
    assert(store_in_txn(c));
    char sql[SQL_MAX];
    enum rc rc = fits(
        is_sqlite(c) ? snprintf(sql, sizeof(sql), "SELECT COALESCE(MAX(id), 0) + 1 FROM %s", table)
                     : snprintf(sql, sizeof(sql), "SELECT nextval('%s_id_seq')", table),
        e);
    return rc ? rc : one_int(c, sql, id, e);
}

/* Prepares sql, on PostgreSQL with " FOR UPDATE OF <of><tail>" appended (SQLite's writer
 * transaction already holds the whole database). */
static enum rc prepare_for_update(struct conn *c, const char *sql, const char *of, const char *tail,
                                  struct stmt **out, struct err *e)
{
    *out = NULL;
    if (is_sqlite(c))
        return store_prepare(c, sql, out, e);
    struct buf b;
    buf_init(&b, 64 * 1024);
    enum rc rc = buf_printf(&b, "%s FOR UPDATE OF %s%s", sql, of, tail);
    if (rc == RC_OK)
        rc = store_prepare(c, buf_str(&b), out, e);
    else
        rc = err_set(e, RC_INTERNAL, NULL, "statement too long");
    buf_cleanup(&b);
    return rc;
}

enum rc store_prepare_locked(struct conn *c, const char *sql, const char *of, struct stmt **out,
                             struct err *e)
{
    return prepare_for_update(c, sql, of, "", out, e);
}

enum rc store_prepare_claim(struct conn *c, const char *sql, const char *of, struct stmt **out,
                            struct err *e)
{
    return prepare_for_update(c, sql, of, " SKIP LOCKED", out, e);
}

enum rc store_prepare_next_id(struct conn *c, const char *sql, const char *table, struct stmt **out,
                              struct err *e)
{
    assert(store_in_txn(c));
    *out = NULL;
    const char *mark = strstr(sql, "{{NEXT_ID}}");
    if (!mark || strstr(mark + 1, "{{NEXT_ID}}"))
        return err_set(e, RC_INTERNAL, NULL, "store_prepare_next_id: not one {{NEXT_ID}}");
    struct buf b;
    buf_init(&b, 64 * 1024);
    enum rc rc = is_sqlite(c)
                     ? buf_printf(&b, "%.*s(SELECT COALESCE(MAX(id), 0) + 1 FROM %s)%s",
                                  (int)(mark - sql), sql, table, mark + strlen("{{NEXT_ID}}"))
                     : buf_printf(&b, "%.*snextval('%s_id_seq')%s", (int)(mark - sql), sql, table,
                                  mark + strlen("{{NEXT_ID}}"));
    rc = rc ? err_set(e, RC_INTERNAL, NULL, "statement too long")
            : store_prepare(c, buf_str(&b), out, e);
    buf_cleanup(&b);
    return rc;
}

enum rc store_prepare_joined(struct conn *c, const char *first, const char *then, bool *joined,
                             struct stmt **out, struct err *e)
{
    *out = NULL;
    *joined = !is_sqlite(c);
    if (!*joined)
        return store_prepare(c, first, out, e);
    struct buf b;
    buf_init(&b, 64 * 1024);
    enum rc rc = buf_printf(&b, "WITH w AS (%s) %s", first, then);
    rc = rc ? err_set(e, RC_INTERNAL, NULL, "statement too long")
            : store_prepare(c, buf_str(&b), out, e);
    buf_cleanup(&b);
    return rc;
}

enum rc store_bulk(struct conn *c, bool on, struct err *e)
{
    if (!is_sqlite(c))
        return RC_OK;
    return store_exec(
        c, on ? "PRAGMA cache_size = -1048576" : "PRAGMA cache_size = -" STORE_SQLITE_CACHE_KIB, e);
}
