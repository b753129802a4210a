/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of src/store: opening, migrations, binding and reading values, `?`
 * rewriting, transactions, constraint errors, the statement cache, the audit head
 * and the pool under threads.
 *
 * Every test runs on SQLite (a fresh file in a temporary directory per test) and,
 * when TEST_PG_DSN names a database (scripts/pg-test.sh), again on PostgreSQL. A
 * PostgreSQL database may be shared, so tests drop and recreate only their own
 * test_* tables and leave the migrations' tables as they find them.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/rc.h"
#include "store/store.h"
#include "store/store_int.h"
#include "unit.h"

static char tmpdir[64];    /* SQLite files of this run; made and removed by the parent */
static const char *db_url; /* the database of the current test */
static char sqlite_url[160];

/* ---- fixtures ------------------------------------------------------------------ */

static void sqlite_setup_once(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/qifu-store-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void sqlite_teardown_once(void)
{
    DIR *d = opendir(tmpdir);
    if (d) {
        struct dirent *de;
        char path[sizeof(tmpdir) + 300];
        while ((de = readdir(d)))
            if (de->d_name[0] != '.') {
                snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
                unlink(path);
            }
        closedir(d);
    }
    rmdir(tmpdir);
}

/* Runs in the child before each test: a new database file. */
static void sqlite_setup(void)
{
    static int seq;
    snprintf(sqlite_url, sizeof(sqlite_url), "sqlite:%s/t%ld-%d.db", tmpdir, (long)getpid(), ++seq);
    db_url = sqlite_url;
}

#ifdef WITH_PG
static void pg_setup(void)
{
    db_url = getenv("TEST_PG_DSN");
}
#endif

/* ---- helpers ------------------------------------------------------------------- */

static struct store *open_db(int n_conns)
{
    struct store *s = NULL;
    struct err e = {0};
    enum rc rc = store_open(db_url, n_conns, &s, &e);
    ck_assert_msg(rc == RC_OK, "store_open: %s: %s", rc_name(rc), e.msg);
    return s;
}

static struct conn *take(struct store *s)
{
    struct conn *c = NULL;
    struct err e = {0};
    enum rc rc = store_acquire(s, &c, &e);
    ck_assert_msg(rc == RC_OK, "store_acquire: %s: %s", rc_name(rc), e.msg);
    return c;
}

static void exec_ok(struct conn *c, const char *sql)
{
    struct err e = {0};
    enum rc rc = store_exec(c, sql, &e);
    ck_assert_msg(rc == RC_OK, "%s: %s: %s", sql, rc_name(rc), e.msg);
}

static struct stmt *prep(struct conn *c, const char *sql)
{
    struct stmt *st = NULL;
    struct err e = {0};
    enum rc rc = store_prepare(c, sql, &st, &e);
    ck_assert_msg(rc == RC_OK, "prepare %s: %s: %s", sql, rc_name(rc), e.msg);
    return st;
}

static enum rc step(struct stmt *st)
{
    struct err e = {0};
    return store_step(st, &e);
}

/* Returns the integer in the first column of the one row sql returns. */
static int64_t query_int(struct conn *c, const char *sql)
{
    struct stmt *st = prep(c, sql);
    ck_assert_int_eq(step(st), RC_ROW);
    int64_t v = store_int(st, 0);
    ck_assert_int_eq(step(st), RC_DONE);
    store_finish(st);
    return v;
}

/* Runs an INSERT/UPDATE/DELETE with one or two integer parameters and a text one. */
static enum rc run_it(struct conn *c, const char *sql, int64_t a, int64_t b, const char *t)
{
    struct stmt *st = prep(c, sql);
    struct err e = {0};
    store_bind_int(st, 1, a);
    store_bind_int(st, 2, b);
    store_bind_text(st, 3, t);
    enum rc rc = store_run(st, &e);
    store_finish(st);
    return rc;
}

static bool is_pg(const struct store *s)
{
    return store_kind(s) == STORE_PG;
}

static bool table_exists(struct conn *c, const char *name)
{
    struct stmt *st = prep(c, store_conn_kind(c) == STORE_PG
                                  ? "SELECT COUNT(*) FROM pg_tables WHERE schemaname = "
                                    "current_schema() AND tablename = ?"
                                  : "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' "
                                    "AND name = ?");
    store_bind_text(st, 1, name);
    ck_assert_int_eq(step(st), RC_ROW);
    bool yes = store_int(st, 0) > 0;
    store_finish(st);
    return yes;
}

static void migrate_ok(struct store *s)
{
    struct err e = {0};
    int n = -1;
    enum rc rc = store_migrate(s, &n, &e);
    ck_assert_msg(rc == RC_OK, "store_migrate: %s: %s", rc_name(rc), e.msg);
}

/* ---- tests ----------------------------------------------------------------------- */

START_TEST(open_errors)
{
    struct store *s = (struct store *)1;
    struct err e = {0};
    ck_assert_int_eq(store_open("mysql://localhost/x", 1, &s, &e), RC_INVALID);
    ck_assert_ptr_null(s);
    ck_assert_str_eq(e.field, "db");
#ifdef WITH_PG
    ck_assert_int_eq(store_open("postgres://%zz", 1, &s, &e), RC_INVALID);
    ck_assert_int_eq(
        store_open("postgres://postgres@/qifu_test?host=/nonexistent-qifu&port=1", 2, &s, &e),
        RC_UNAVAILABLE);
    ck_assert_ptr_null(s);
    ck_assert(strncmp(e.msg, "postgres: cannot connect", 24) == 0);
#endif
}
END_TEST

START_TEST(open_basics)
{
    struct store *s = open_db(1);
    ck_assert_str_eq(store_kind_name(s), is_pg(s) ? "postgres" : "sqlite");
    struct conn *c = take(s);
    struct err e = {0};
    ck_assert_int_eq(store_conn_kind(c), store_kind(s));
    ck_assert_int_eq(store_ping(c, &e), RC_OK);
    ck_assert(!store_in_txn(c));
    if (is_pg(s)) {
        struct stmt *st = prep(c, "SELECT current_setting('TimeZone'), "
                                  "current_setting('client_encoding'), "
                                  "current_setting('application_name')");
        ck_assert_int_eq(step(st), RC_ROW);
        ck_assert_str_eq(store_text(st, 0), "UTC");
        ck_assert_str_eq(store_text(st, 1), "UTF8");
        ck_assert_str_eq(store_text(st, 2), "qifu");
        store_finish(st);
    }
    store_release(c);
    store_close(s);
    store_close(NULL);
    store_release(NULL);
    store_finish(NULL);
}
END_TEST

START_TEST(migrate_once)
{
    struct store *s = open_db(2);
    struct conn *c = take(s);
    const struct store_migration *m = is_pg(s) ? store__pg_migrations : store__sqlite_migrations;
    int total = is_pg(s) ? store__n_pg_migrations : store__n_sqlite_migrations;
    int have = 0;
    if (table_exists(c, "schema_migrations"))
        have = (int)query_int(c, "SELECT COUNT(*) FROM schema_migrations");
    if (!is_pg(s))
        ck_assert_int_eq(have, 0); /* a fresh file */
    store_release(c);

    struct err e = {0};
    int n = -1;
    ck_assert_int_eq(store_migrate(s, &n, &e), RC_OK);
    ck_assert_int_eq(n, total - have);
    ck_assert_int_ge(total, 1);
    ck_assert_int_eq(store_schema_version(), store__sqlite_migrations[total - 1].version);

    c = take(s);
    struct stmt *st = prep(c, "SELECT version, name FROM schema_migrations ORDER BY version");
    for (int i = 0; i < total; i++) {
        ck_assert_int_eq(step(st), RC_ROW);
        ck_assert_int_eq(store_int(st, 0), m[i].version);
        ck_assert_str_eq(store_text(st, 1), m[i].name);
    }
    ck_assert_int_eq(step(st), RC_DONE);
    store_finish(st);
    ck_assert(table_exists(c, "orgs"));
    ck_assert(table_exists(c, "audit_head"));
    ck_assert_int_eq(query_int(c, "SELECT COUNT(*) FROM audit_head"), 1);
    store_release(c);

    n = -1;
    ck_assert_int_eq(store_migrate(s, &n, &e), RC_OK);
    ck_assert_int_eq(n, 0);
    store_close(s);

    /* A second store on the same database finds nothing to do either. */
    s = open_db(1);
    ck_assert_int_eq(store_migrate(s, &n, &e), RC_OK);
    ck_assert_int_eq(n, 0);
    store_close(s);
}
END_TEST

START_TEST(values_roundtrip)
{
    struct store *s = open_db(1);
    struct conn *c = take(s);
    exec_ok(c, "DROP TABLE IF EXISTS test_rt");
    exec_ok(c, is_pg(s) ? "CREATE TABLE test_rt (id BIGINT PRIMARY KEY, t TEXT, i BIGINT, "
                          "d DOUBLE PRECISION, n TEXT, b BYTEA)"
                        : "CREATE TABLE test_rt (id BIGINT PRIMARY KEY, t TEXT, i BIGINT, "
                          "d DOUBLE PRECISION, n TEXT, b BLOB)");
    static const char zh[] = "企业服务平台：政策匹配 ✓ 😀";
    static const unsigned char bytes[] = {'a', 0, 'b', 0, 0xff};
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;

    struct err e = {0};
    const char *ins = "INSERT INTO test_rt (id, t, i, d, n, b) VALUES (?, ?, ?, ?, ?, ?)";
    struct stmt *st = prep(c, ins);
    store_bind_int(st, 1, 1);
    store_bind_text(st, 2, zh);
    store_bind_int(st, 3, INT64_MAX);
    store_bind_double(st, 4, 0.1);
    store_bind_null(st, 5);
    store_bind_blob(st, 6, bytes, sizeof(bytes));
    ck_assert_int_eq(store_run(st, &e), RC_OK);
    store_finish(st);

    st = prep(c, ins);
    store_bind_int(st, 1, 2);
    store_bind_text(st, 2, "");
    store_bind_int(st, 3, INT64_MIN);
    store_bind_double(st, 4, -1e300);
    store_bind_text(st, 5, NULL);
    store_bind_blob(st, 6, "", 0);
    ck_assert_int_eq(store_run(st, &e), RC_OK);
    store_finish(st);

    st = prep(c, ins);
    store_bind_int(st, 1, 3);
    store_bind_textn(st, 2, "abcdef", 3);
    store_bind_int(st, 3, 0);
    store_bind_double(st, 4, 1.0 / 3.0);
    store_bind_text(st, 5, "x");
    store_bind_blob(st, 6, all, sizeof(all));
    ck_assert_int_eq(store_run(st, &e), RC_OK);
    store_finish(st);

    st = prep(c, "SELECT t, i, d, n, b, id FROM test_rt ORDER BY id");
    size_t n;
    const void *p;
    ck_assert_int_eq(step(st), RC_ROW);
    ck_assert_int_eq(store_ncols(st), 6);
    ck_assert_str_eq(store_text(st, 0), zh);
    ck_assert_int_eq(store_int(st, 1), INT64_MAX);
    ck_assert(store_double(st, 2) == 0.1);
    ck_assert(store_isnull(st, 3));
    ck_assert_ptr_null(store_text(st, 3));
    ck_assert_int_eq(store_int(st, 3), 0);
    ck_assert(!store_isnull(st, 4));
    p = store_blob(st, 4, &n);
    ck_assert_uint_eq(n, sizeof(bytes));
    ck_assert_mem_eq(p, bytes, sizeof(bytes));
    /* Reading a column twice gives the same bytes. */
    ck_assert_ptr_eq(store_blob(st, 4, &n), p);

    ck_assert_int_eq(step(st), RC_ROW);
    ck_assert(!store_isnull(st, 0));
    ck_assert_str_eq(store_text(st, 0), "");
    ck_assert_int_eq(store_int(st, 1), INT64_MIN);
    ck_assert(store_double(st, 2) == -1e300);
    ck_assert(store_isnull(st, 3));
    ck_assert(!store_isnull(st, 4));
    store_blob(st, 4, &n);
    ck_assert_uint_eq(n, 0);

    ck_assert_int_eq(step(st), RC_ROW);
    ck_assert_str_eq(store_text(st, 0), "abc");
    ck_assert_int_eq(store_int(st, 1), 0);
    ck_assert(store_double(st, 2) == 1.0 / 3.0);
    ck_assert_str_eq(store_text(st, 3), "x");
    p = store_blob(st, 4, &n);
    ck_assert_uint_eq(n, sizeof(all));
    ck_assert_mem_eq(p, all, sizeof(all));
    ck_assert_int_eq(store_int(st, 5), 3);
    ck_assert_int_eq(step(st), RC_DONE);
    store_finish(st);

    /* Parameters are found by value, and a text parameter compares to text. */
    st = prep(c, "SELECT id FROM test_rt WHERE t = ? AND i = ?");
    store_bind_text(st, 1, zh);
    store_bind_int(st, 2, INT64_MAX);
    ck_assert_int_eq(step(st), RC_ROW);
    ck_assert_int_eq(store_int(st, 0), 1);
    ck_assert_int_eq(step(st), RC_DONE);
    store_finish(st);

    exec_ok(c, "DROP TABLE test_rt");
    store_release(c);
    store_close(s);
}
END_TEST

START_TEST(placeholders)
{
    struct store *s = open_db(1);
    struct conn *c = take(s);
    struct stmt *st =
        prep(c, "SELECT '?' || ?, 'a?b''?', \"q?\" /* ? */ FROM (SELECT 1 AS \"q?\") x\n"
                "-- is ? a placeholder here? no\n"
                "WHERE ? = 1");
    store_bind_text(st, 1, "x");
    store_bind_int(st, 2, 1);
    ck_assert_int_eq(step(st), RC_ROW);
    ck_assert_int_eq(store_ncols(st), 3);
    ck_assert_str_eq(store_text(st, 0), "?x");
    ck_assert_str_eq(store_text(st, 1), "a?b'?");
    ck_assert_int_eq(store_int(st, 2), 1);
    ck_assert_int_eq(step(st), RC_DONE);
    store_finish(st);
    if (is_pg(s)) {
        /* PostgreSQL's own quoting: E'' escapes, dollar quotes, nested comments. */
        st = prep(c, "SELECT E'it\\'s ?', $$ ? $$, $tag$?$$?$tag$, /* a /* ? */ ? */ "
                     "CAST(? AS TEXT), ?::bigint + 1");
        store_bind_text(st, 1, "y");
        store_bind_int(st, 2, 41);
        ck_assert_int_eq(step(st), RC_ROW);
        ck_assert_str_eq(store_text(st, 0), "it's ?");
        ck_assert_str_eq(store_text(st, 1), " ? ");
        ck_assert_str_eq(store_text(st, 2), "?$$?");
        ck_assert_str_eq(store_text(st, 3), "y");
        ck_assert_int_eq(store_int(st, 4), 42);
        store_finish(st);
    }
    store_release(c);
    store_close(s);
}
END_TEST

static void make_tx_table(struct conn *c)
{
    exec_ok(c, "DROP TABLE IF EXISTS test_tx");
    exec_ok(c, "CREATE TABLE test_tx (id BIGINT PRIMARY KEY, n BIGINT, v TEXT)");
}

#define INS_TX "INSERT INTO test_tx (id, n, v) VALUES (?, ?, ?)"

START_TEST(transactions)
{
    struct store *s = open_db(1);
    struct conn *c = take(s);
    struct err e = {0};
    make_tx_table(c);

    ck_assert_int_eq(store_begin(c, &e), RC_OK);
    ck_assert(store_in_txn(c));
    ck_assert_int_eq(store_begin(c, &e), RC_INTERNAL); /* no nesting */
    ck_assert_int_eq(run_it(c, INS_TX, 1, 0, "rolled back"), RC_OK);
    store_rollback(c);
    ck_assert(!store_in_txn(c));
    ck_assert_int_eq(query_int(c, "SELECT COUNT(*) FROM test_tx"), 0);

    ck_assert_int_eq(store_begin(c, &e), RC_OK);
    ck_assert_int_eq(run_it(c, INS_TX, 1, 0, "kept"), RC_OK);
    ck_assert_int_eq(run_it(c, INS_TX, 2, 0, "kept"), RC_OK);
    ck_assert_int_eq(store_commit(c, &e), RC_OK);
    ck_assert(!store_in_txn(c));
    ck_assert_int_eq(store_commit(c, &e), RC_INTERNAL);
    ck_assert_int_eq(query_int(c, "SELECT COUNT(*) FROM test_tx"), 2);

    /* Releasing a connection rolls its transaction back. */
    ck_assert_int_eq(store_begin(c, &e), RC_OK);
    ck_assert_int_eq(run_it(c, INS_TX, 3, 0, "dropped"), RC_OK);
    store_release(c);
    c = take(s);
    ck_assert(!store_in_txn(c));
    ck_assert_int_eq(query_int(c, "SELECT COUNT(*) FROM test_tx"), 2);
    exec_ok(c, "DROP TABLE test_tx");
    store_release(c);
    store_close(s);
}
END_TEST

START_TEST(constraints)
{
    struct store *s = open_db(1);
    struct conn *c = take(s);
    struct err e = {0};
    exec_ok(c, "DROP TABLE IF EXISTS test_child");
    exec_ok(c, "DROP TABLE IF EXISTS test_parent");
    exec_ok(c, "CREATE TABLE test_parent (id BIGINT PRIMARY KEY, code TEXT NOT NULL UNIQUE)");
    exec_ok(c,
            "CREATE TABLE test_child (id BIGINT PRIMARY KEY, "
            "parent_id BIGINT NOT NULL REFERENCES test_parent(id), qty BIGINT CHECK (qty >= 0))");
    struct stmt *st;

    st = prep(c, "INSERT INTO test_parent (id, code) VALUES (?, ?)");
    store_bind_int(st, 1, 1);
    store_bind_text(st, 2, "a");
    ck_assert_int_eq(store_run(st, &e), RC_OK);
    store_finish(st);

    /* Duplicate key and duplicate unique column. */
    st = prep(c, "INSERT INTO test_parent (id, code) VALUES (?, ?)");
    store_bind_int(st, 1, 1);
    store_bind_text(st, 2, "b");
    ck_assert_int_eq(store_run(st, &e), RC_EXISTS);
    ck_assert(strlen(e.msg) > 0);
    store_bind_int(st, 1, 2);
    store_bind_text(st, 2, "a");
    ck_assert_int_eq(store_run(st, &e), RC_EXISTS);
    /* The same statement still works after an error. */
    store_bind_int(st, 1, 2);
    store_bind_text(st, 2, "b");
    ck_assert_int_eq(store_run(st, &e), RC_OK);
    store_finish(st);

    st = prep(c, "INSERT INTO test_child (id, parent_id, qty) VALUES (?, ?, ?)");
    store_bind_int(st, 1, 1);
    store_bind_int(st, 2, 99);
    store_bind_int(st, 3, 1);
    ck_assert_int_eq(store_run(st, &e), RC_CONFLICT);
    store_bind_int(st, 1, 1);
    store_bind_null(st, 2);
    store_bind_int(st, 3, 1);
    ck_assert_int_eq(store_run(st, &e), RC_INVALID); /* NOT NULL */
    store_bind_int(st, 1, 1);
    store_bind_int(st, 2, 1);
    store_bind_int(st, 3, -1);
    ck_assert_int_eq(store_run(st, &e), RC_INVALID); /* CHECK */
    store_finish(st);
    ck_assert_int_eq(query_int(c, "SELECT COUNT(*) FROM test_parent"), 2);
    ck_assert_int_eq(query_int(c, "SELECT COUNT(*) FROM test_child"), 0);

    /* Deleting a referenced parent is a conflict, and nothing changes. */
    ck_assert_int_eq(
        run_it(c, "INSERT INTO test_child (id, parent_id, qty) VALUES (?, ?, 0)", 1, 1, NULL),
        RC_OK);
    st = prep(c, "DELETE FROM test_parent WHERE id = ?");
    store_bind_int(st, 1, 1);
    ck_assert_int_eq(store_run(st, &e), RC_CONFLICT);
    store_finish(st);
    ck_assert_int_eq(query_int(c, "SELECT COUNT(*) FROM test_parent"), 2);

    /* An error inside a transaction, then rollback: nothing of it stays. */
    ck_assert_int_eq(store_begin(c, &e), RC_OK);
    st = prep(c, "INSERT INTO test_parent (id, code) VALUES (?, ?)");
    store_bind_int(st, 1, 3);
    store_bind_text(st, 2, "c");
    ck_assert_int_eq(store_run(st, &e), RC_OK);
    store_finish(st);
    st = prep(c, "INSERT INTO test_parent (id, code) VALUES (?, ?)");
    store_bind_int(st, 1, 1);
    store_bind_text(st, 2, "d");
    ck_assert_int_eq(store_run(st, &e), RC_EXISTS);
    store_finish(st);
    store_rollback(c);
    ck_assert_int_eq(query_int(c, "SELECT COUNT(*) FROM test_parent"), 2);

    if (is_pg(s)) {
        /* PostgreSQL aborts the transaction on an error: a later commit must not look fine. */
        ck_assert_int_eq(store_begin(c, &e), RC_OK);
        ck_assert_int_eq(
            run_it(c, "INSERT INTO test_parent (id, code) VALUES (?, 'e')", 4, 0, NULL), RC_OK);
        ck_assert_int_eq(
            run_it(c, "INSERT INTO test_parent (id, code) VALUES (?, 'e')", 1, 0, NULL), RC_EXISTS);
        ck_assert_int_ne(store_commit(c, &e), RC_OK);
        ck_assert(!store_in_txn(c));
        ck_assert_int_eq(query_int(c, "SELECT COUNT(*) FROM test_parent"), 2);
    }
    exec_ok(c, "DROP TABLE test_child");
    exec_ok(c, "DROP TABLE test_parent");
    store_release(c);
    store_close(s);
}
END_TEST

START_TEST(changes)
{
    struct store *s = open_db(1);
    struct conn *c = take(s);
    struct err e = {0};
    make_tx_table(c);
    struct stmt *st = prep(c, INS_TX);
    for (int i = 1; i <= 3; i++) {
        store_bind_int(st, 1, i);
        store_bind_int(st, 2, i * 10);
        store_bind_text(st, 3, "v");
        ck_assert_int_eq(store_run(st, &e), RC_OK);
        ck_assert_int_eq(store_changes(st), 1);
        store_finish(st);
        st = prep(c, INS_TX);
    }
    store_finish(st);
    st = prep(c, "UPDATE test_tx SET n = n + 1 WHERE n > ?");
    store_bind_int(st, 1, 0);
    ck_assert_int_eq(store_run(st, &e), RC_OK);
    ck_assert_int_eq(store_changes(st), 3);
    store_finish(st);
    st = prep(c, "DELETE FROM test_tx WHERE id > ?");
    store_bind_int(st, 1, 100);
    ck_assert_int_eq(store_run(st, &e), RC_OK);
    ck_assert_int_eq(store_changes(st), 0);
    store_finish(st);
    st = prep(c, "DELETE FROM test_tx WHERE id = ?");
    store_bind_int(st, 1, 2);
    ck_assert_int_eq(store_run(st, &e), RC_OK);
    ck_assert_int_eq(store_changes(st), 1);
    store_finish(st);
    ck_assert_int_eq(query_int(c, "SELECT SUM(n) FROM test_tx"), 11 + 31);
    exec_ok(c, "DROP TABLE test_tx");
    store_release(c);
    store_close(s);
}
END_TEST

#define SEL_TX "SELECT v FROM test_tx WHERE id = ?"
#define PG_N_PREPARED "SELECT COUNT(*) FROM pg_prepared_statements"

START_TEST(stmt_cache)
{
    struct store *s = open_db(1);
    struct conn *c = take(s);
    struct err e = {0};
    make_tx_table(c);
    ck_assert_int_eq(run_it(c, INS_TX, 1, 0, "one"), RC_OK);
    ck_assert_int_eq(run_it(c, INS_TX, 2, 0, "two"), RC_OK);
    int64_t server0 = is_pg(s) ? query_int(c, PG_N_PREPARED) : 0;

    struct stmt *st = prep(c, SEL_TX);
    store_bind_int(st, 1, 1);
    ck_assert_int_eq(step(st), RC_ROW);
    store_finish(st);
    uint64_t n0 = store_n_prepared(s);

    /* The same text again: the cached statement, freshly reset. */
    struct stmt *st1 = prep(c, SEL_TX);
    ck_assert_ptr_eq(st1, st);
    ck_assert_uint_eq(store_n_prepared(s), n0);
    store_bind_int(st1, 1, 1);
    ck_assert_int_eq(step(st1), RC_ROW);
    ck_assert_str_eq(store_text(st1, 0), "one");

    /* The same text while st1 is in use: a second, distinct statement. */
    struct stmt *st2 = prep(c, SEL_TX);
    ck_assert_ptr_ne(st2, st1);
    ck_assert_uint_eq(store_n_prepared(s), n0 + 1);
    store_bind_int(st2, 1, 2);
    ck_assert_int_eq(step(st2), RC_ROW);
    ck_assert_str_eq(store_text(st2, 0), "two");
    ck_assert_str_eq(store_text(st1, 0), "one");
    ck_assert_int_eq(step(st2), RC_DONE);
    ck_assert_int_eq(step(st1), RC_DONE);
    store_finish(st2);
    store_finish(st1);

    /* Again: the cached one comes back, the extra one is prepared anew. */
    st1 = prep(c, SEL_TX);
    ck_assert_ptr_eq(st1, st);
    st2 = prep(c, SEL_TX);
    ck_assert_uint_eq(store_n_prepared(s), n0 + 2);
    store_bind_int(st2, 1, 1);
    ck_assert_int_eq(step(st2), RC_ROW);
    ck_assert_str_eq(store_text(st2, 0), "one");
    store_finish(st2);
    store_finish(st1);

    if (is_pg(s)) {
        /* Uncached statements are deallocated on the server, even after a failed transaction. */
        ck_assert_int_eq(query_int(c, PG_N_PREPARED), server0 + 1);
        ck_assert_int_eq(store_begin(c, &e), RC_OK);
        st1 = prep(c, SEL_TX);
        st2 = prep(c, SEL_TX);
        ck_assert_int_eq(run_it(c, INS_TX, 1, 0, "dup"), RC_EXISTS);
        store_finish(st2);
        store_finish(st1);
        store_rollback(c);
        ck_assert_int_eq(query_int(c, PG_N_PREPARED), server0 + 1);
    }
    exec_ok(c, "DROP TABLE test_tx");
    store_release(c);
    store_close(s);
}
END_TEST

#define AUDIT_BUMP "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash"

START_TEST(audit_head)
{
    struct store *s = open_db(1);
    migrate_ok(s);
    struct conn *c = take(s);
    struct err e = {0};
    int64_t seq0 = query_int(c, "SELECT seq FROM audit_head WHERE id = 1");

    ck_assert_int_eq(store_begin(c, &e), RC_OK);
    for (int k = 1; k <= 2; k++) {
        struct stmt *st = prep(c, AUDIT_BUMP);
        ck_assert_int_eq(step(st), RC_ROW);
        ck_assert_int_eq(store_ncols(st), 2);
        ck_assert_int_eq(store_int(st, 0), seq0 + k);
        ck_assert_int_eq(strlen(store_text(st, 1)), 64);
        ck_assert_int_eq(step(st), RC_DONE);
        ck_assert_int_eq(store_changes(st), 1);
        store_finish(st);
    }
    /* Audit rows are append-only: the trigger refuses an update. */
    struct stmt *st = prep(c, "INSERT INTO audit (seq, at, actor, org, action, entity, entity_id, "
                              "prev_hash, hash) VALUES (?, 0, 'test', 'test', 'test', 'test', "
                              "'1', '0', '0')");
    store_bind_int(st, 1, seq0 + 2);
    ck_assert_int_eq(store_run(st, &e), RC_OK);
    store_finish(st);
    st = prep(c, "UPDATE audit SET actor = 'mallory' WHERE seq = ?");
    store_bind_int(st, 1, seq0 + 2);
    enum rc rc = store_run(st, &e);
    ck_assert_int_ne(rc, RC_OK);
    ck_assert(strstr(e.msg, "append-only"));
    store_finish(st);
    store_rollback(c);

    /* Rolled back: the head (possibly shared with other tests) is as it was. */
    ck_assert_int_eq(query_int(c, "SELECT seq FROM audit_head WHERE id = 1"), seq0);
    store_release(c);
    store_close(s);
}
END_TEST

#define N_THREADS 4
#define N_TXNS 25

struct worker {
    struct store *s;
    int id;
    int failures;
    char msg[320];
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (int k = 0; k < N_TXNS; k++) {
        struct conn *c = NULL;
        struct stmt *st = NULL;
        struct err e = {0};
        enum rc rc = store_acquire(w->s, &c, &e);
        if (rc == RC_OK)
            rc = store_begin(c, &e);
        for (int j = 0; rc == RC_OK && j < 2; j++) {
            rc = store_prepare(c, INS_TX, &st, &e);
            if (rc)
                break;
            store_bind_int(st, 1, w->id * 1000 + k * 2 + j);
            store_bind_int(st, 2, w->id);
            store_bind_text(st, 3, "线程");
            rc = store_run(st, &e);
            store_finish(st);
        }
        if (rc == RC_OK)
            rc = store_commit(c, &e);
        store_release(c);
        if (rc) {
            w->failures++;
            snprintf(w->msg, sizeof(w->msg), "%s: %s", rc_name(rc), e.msg);
        }
    }
    return NULL;
}

START_TEST(threads)
{
    struct store *s = open_db(2);
    struct conn *c = take(s);
    make_tx_table(c);
    store_release(c);
    uint64_t syncs0 = store_n_syncs(s); /* PostgreSQL: the CREATE TABLE's */

    pthread_t th[N_THREADS];
    struct worker w[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        w[i] = (struct worker){.s = s, .id = i + 1};
        ck_assert_int_eq(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++) {
        pthread_join(th[i], NULL);
        ck_assert_msg(w[i].failures == 0, "thread %d: %d failures, last %s", i, w[i].failures,
                      w[i].msg);
    }
    c = take(s);
    ck_assert_int_eq(query_int(c, "SELECT COUNT(*) FROM test_tx"), N_THREADS * N_TXNS * 2);
    for (int i = 1; i <= N_THREADS; i++) {
        struct stmt *st = prep(c, "SELECT COUNT(*) FROM test_tx WHERE n = ?");
        store_bind_int(st, 1, i);
        ck_assert_int_eq(step(st), RC_ROW);
        ck_assert_int_eq(store_int(st, 0), N_TXNS * 2);
        store_finish(st);
    }
    /* Group commit (both backends): every commit was synced, by itself or by a sync that
     * began after it; never more syncs than commits. An autocommit write is synced on
     * release. */
    uint64_t syncs = store_n_syncs(s) - syncs0;
    ck_assert_msg(syncs >= 1 && syncs <= N_THREADS * N_TXNS, "%llu syncs for %d commits",
                  (unsigned long long)syncs, N_THREADS * N_TXNS);
    syncs = store_n_syncs(s);
    exec_ok(c, "INSERT INTO test_tx (id, n, v) VALUES (999999, 0, 'autocommit')");
    store_release(c);
    ck_assert_uint_eq(store_n_syncs(s), syncs + 1);
    c = take(s);
    store_release(c); /* nothing written: no sync */
    ck_assert_uint_eq(store_n_syncs(s), syncs + 1);
    /* A transaction that only read is not synced on PostgreSQL (SQLite syncs every
     * commit). */
    struct err e = {0};
    c = take(s);
    ck_assert_int_eq(store_begin(c, &e), RC_OK);
    ck_assert_int_eq(query_int(c, "SELECT COUNT(*) FROM test_tx WHERE id = 999999"), 1);
    ck_assert_int_eq(store_commit(c, &e), RC_OK);
    store_release(c);
    ck_assert_uint_eq(store_n_syncs(s), store_kind(s) == STORE_SQLITE ? syncs + 2 : syncs + 1);
    c = take(s);
    exec_ok(c, "DROP TABLE test_tx");
    store_release(c);
    store_close(s);
}
END_TEST

/* store_run_later: on PostgreSQL the statement goes with the next awaited one, and its
 * failure is that one's (ending the transaction); SQLite runs it at once. */
START_TEST(run_later)
{
    struct store *s = open_db(1);
    struct conn *c = take(s);
    struct err e = {0};
    bool sqlite = store_kind(s) == STORE_SQLITE;
    make_tx_table(c);
    ck_assert_int_eq(store_begin(c, &e), RC_OK);
    struct stmt *st = prep(c, INS_TX);
    store_bind_int(st, 1, 1);
    store_bind_int(st, 2, 0);
    store_bind_text(st, 3, "later");
    ck_assert_int_eq(store_run_later(st, &e), RC_OK);
    store_finish(st);
    ck_assert_int_eq(query_int(c, "SELECT COUNT(*) FROM test_tx"), 1); /* seen by the next */
    ck_assert_int_eq(store_commit(c, &e), RC_OK);
    ck_assert_int_eq(query_int(c, "SELECT COUNT(*) FROM test_tx"), 1);

    /* A duplicate key: refused at once (SQLite) or at the COMMIT that carries it. */
    ck_assert_int_eq(store_begin(c, &e), RC_OK);
    ck_assert_int_eq(run_it(c, INS_TX, 2, 0, "first"), RC_OK);
    st = prep(c, INS_TX);
    store_bind_int(st, 1, 1);
    store_bind_int(st, 2, 0);
    store_bind_text(st, 3, "duplicate");
    enum rc rc = store_run_later(st, &e);
    store_finish(st);
    ck_assert_int_eq(rc, sqlite ? RC_EXISTS : RC_OK);
    if (sqlite)
        store_rollback(c);
    else
        ck_assert_int_eq(store_commit(c, &e), RC_EXISTS);
    ck_assert(!store_in_txn(c));
    ck_assert_int_eq(query_int(c, "SELECT COUNT(*) FROM test_tx"), 1); /* nothing of it */
    exec_ok(c, "DROP TABLE test_tx");
    store_release(c);
    store_close(s);
}
END_TEST

/* What store_when_durable reported to one waiter. */
struct durable_seen {
    int calls; /* atomic */
    enum rc rc;
};

static void on_durable(void *arg, enum rc rc)
{
    struct durable_seen *d = arg;
    d->rc = rc;
    __atomic_add_fetch(&d->calls, 1, __ATOMIC_RELEASE);
}

/* Waits (10 s at most, then fails) until the waiter was answered; returns its rc. */
static enum rc durable_rc(struct durable_seen *d)
{
    for (int i = 0; i < 1000 && !__atomic_load_n(&d->calls, __ATOMIC_ACQUIRE); i++)
        usleep(10000);
    ck_assert_int_eq(__atomic_load_n(&d->calls, __ATOMIC_ACQUIRE), 1);
    return d->rc;
}

/* A deferred commit (store_defer_sync): visible at once, durable when store_when_durable
 * answers, through the syncer thread (both backends). */
START_TEST(deferred_sync)
{
    struct store *s = open_db(2);
    struct conn *c = take(s);
    struct err e = {0};
    make_tx_table(c);
    uint64_t syncs = store_n_syncs(s);
    store_defer_sync(c);
    ck_assert_int_eq(store_begin(c, &e), RC_OK);
    ck_assert_int_eq(run_it(c, INS_TX, 1, 1, "deferred"), RC_OK);
    ck_assert_int_eq(store_commit(c, &e), RC_OK);
    ck_assert_uint_eq(store_n_syncs(s), syncs); /* the commit did not wait */
    uint64_t ticket = store_take_ticket(c);
    ck_assert(ticket > 0);
    struct conn *other = take(s);
    ck_assert_int_eq(query_int(other, "SELECT COUNT(*) FROM test_tx WHERE n = 1"), 1);
    store_release(other);
    store_release(c);
    ck_assert_uint_eq(store_n_syncs(s), syncs); /* taken: release leaves it to the waiter */

    struct durable_seen d1 = {0};
    store_when_durable(s, ticket, on_durable, &d1);
    ck_assert_int_eq(durable_rc(&d1), RC_OK);
    ck_assert_uint_ge(store_n_syncs(s), syncs + 1);

    /* Durable already: answered at once, in this thread. */
    struct durable_seen d2 = {0};
    store_when_durable(s, ticket, on_durable, &d2);
    ck_assert_int_eq(d2.calls, 1);
    ck_assert_int_eq(d2.rc, RC_OK);

    /* A deferred commit nobody took is synced by store_release. */
    c = take(s);
    store_defer_sync(c);
    ck_assert_int_eq(store_begin(c, &e), RC_OK);
    ck_assert_int_eq(run_it(c, INS_TX, 2, 1, "not taken"), RC_OK);
    ck_assert_int_eq(store_commit(c, &e), RC_OK);
    syncs = store_n_syncs(s);
    store_release(c);
    ck_assert_uint_eq(store_n_syncs(s), syncs + 1);

    c = take(s);
    exec_ok(c, "DROP TABLE test_tx");
    store_release(c);

    /* store_ticket_now covers what is visible now; a waiter left at close is answered. */
    uint64_t now = store_ticket_now(s);
    ck_assert(now > ticket);
    struct durable_seen d3 = {0};
    store_when_durable(s, now, on_durable, &d3);
    store_close(s);
    ck_assert_int_eq(d3.calls, 1);
    ck_assert_int_eq(d3.rc, RC_OK);
}
END_TEST

/* Group commit on PostgreSQL: where the server's synchronous_commit is on, the pool's
 * sessions commit without waiting for the flush, and store_commit returns only after a
 * sync whose flush covers the commit (the WAL flushed past the commit's record). */
START_TEST(pg_group_commit)
{
    char url[1024];
    snprintf(url, sizeof(url), "%s&options=-c%%20synchronous_commit%%3Don", db_url);
    struct store *s = NULL;
    struct err e = {0};
    ck_assert_int_eq(store_open(url, 2, &s, &e), RC_OK);
    struct conn *c = take(s);
    struct stmt *st = prep(c, "SHOW synchronous_commit");
    ck_assert_int_eq(step(st), RC_ROW);
    ck_assert_str_eq(store_text(st, 0), "off");
    store_finish(st);
    make_tx_table(c);
    uint64_t syncs = store_n_syncs(s);
    ck_assert_int_eq(store_begin(c, &e), RC_OK);
    ck_assert_int_eq(run_it(c, INS_TX, 1, 0, "durable"), RC_OK);
    st = prep(c, "SELECT CAST(pg_current_wal_insert_lsn() AS TEXT)");
    ck_assert_int_eq(step(st), RC_ROW);
    char lsn[64];
    snprintf(lsn, sizeof(lsn), "%s", store_text(st, 0));
    store_finish(st);
    ck_assert_int_eq(store_commit(c, &e), RC_OK);
    ck_assert_uint_eq(store_n_syncs(s), syncs + 1);
    st = prep(c, "SELECT CAST(pg_current_wal_flush_lsn() > CAST(? AS pg_lsn) AS INTEGER)");
    store_bind_text(st, 1, lsn);
    ck_assert_int_eq(step(st), RC_ROW);
    ck_assert_msg(store_int(st, 0) == 1, "WAL not flushed past %s after store_commit", lsn);
    store_finish(st);
    exec_ok(c, "DROP TABLE test_tx");
    store_release(c);
    store_close(s);
}
END_TEST

/* PostgreSQL only: a statement whose server process is told to stop (57P01, as every backend
 * is on `pg_ctl stop -m fast`) fails as unavailable (503), not as a database error (500), whether
 * or not libpq has seen the socket close yet; the next acquire opens a new session. */
START_TEST(pg_shutdown_is_unavailable)
{
    struct store *s = open_db(1);
    struct conn *a = take(s);
    int64_t pid = query_int(a, "SELECT pg_backend_pid()");
    struct stmt *st = prep(a, "SELECT pg_terminate_backend(pg_backend_pid())");
    ck_assert_int_eq(step(st), RC_UNAVAILABLE);
    store_finish(st);
    store_release(a);
    a = take(s);
    ck_assert_int_ne(query_int(a, "SELECT pg_backend_pid()"), pid);
    store_release(a);
    store_close(s);
}
END_TEST

/* PostgreSQL only: a connection whose server process dies is reopened on acquire. */
START_TEST(pg_reconnect)
{
    struct store *s = open_db(2);
    struct conn *a = take(s);
    struct conn *b = take(s);
    struct err e = {0};
    int64_t pid = query_int(a, "SELECT pg_backend_pid()");
    struct stmt *st = prep(b, "SELECT pg_terminate_backend(CAST(? AS INTEGER))");
    store_bind_int(st, 1, pid);
    ck_assert_int_eq(step(st), RC_ROW);
    ck_assert_int_eq(store_int(st, 0), 1);
    store_finish(st);
    enum rc rc = RC_OK;
    for (int i = 0; i < 100 && rc == RC_OK; i++) {
        rc = store_ping(a, &e);
        if (rc == RC_OK)
            usleep(20000);
    }
    ck_assert_int_eq(rc, RC_UNAVAILABLE);
    store_release(a);
    uint64_t n0 = store_n_prepared(s);
    a = take(s);
    ck_assert_int_eq(store_ping(a, &e), RC_OK);
    ck_assert_int_ne(query_int(a, "SELECT pg_backend_pid()"), pid);
    ck_assert_uint_eq(store_n_prepared(s), n0 + 1); /* the cache went with the old session */
    store_release(a);
    store_release(b);
    store_close(s);
}
END_TEST

/* The change channel (issue 16 item 2): a topic notified in a transaction moves its
 * generation in this process at commit and not on rollback, at once outside a transaction;
 * store_topic_gen is trusted only while the listener listens (never on SQLite). */
static uint64_t gen_of(struct store *s, enum store_topic t)
{
    uint64_t g;
    (void)store_topic_gen(s, t, &g);
    return g;
}

static void notify_ok(struct conn *c, enum store_topic t)
{
    struct err e = {0};
    enum rc rc = store_notify(c, t, &e);
    ck_assert_msg(rc == RC_OK, "store_notify: %s: %s", rc_name(rc), e.msg);
}

/* Waits (up to 10 s: a liveness bound, not a speed figure) until ok(s, arg). */
static bool wait_for(bool (*ok)(struct store *, void *), struct store *s, void *arg)
{
    for (int i = 0; i < 10000; i++) {
        if (ok(s, arg))
            return true;
        usleep(1000);
    }
    return false;
}

static bool is_up(struct store *s, void *arg)
{
    (void)arg;
    return store_listen_up(s);
}

static bool is_down(struct store *s, void *arg)
{
    (void)arg;
    return !store_listen_up(s);
}

static bool policy_moved(struct store *s, void *arg)
{
    return gen_of(s, STORE_TOPIC_POLICY) != *(uint64_t *)arg;
}

START_TEST(change_topics)
{
    struct store *s = open_db(2);
    struct err e = {0};
    uint64_t g;
    ck_assert(!store_topic_gen(s, STORE_TOPIC_AUTH, &g)); /* no listener: never trusted */
    ck_assert_str_eq(store_topic_name(STORE_TOPIC_CALENDAR), "calendar");
    struct conn *c = take(s);
    uint64_t a0 = gen_of(s, STORE_TOPIC_AUTH), p0 = gen_of(s, STORE_TOPIC_POLICY);
    ck_assert_int_eq(store_begin(c, &e), RC_OK);
    notify_ok(c, STORE_TOPIC_AUTH);
    ck_assert_uint_eq(gen_of(s, STORE_TOPIC_AUTH), a0); /* not before the commit */
    ck_assert_int_eq(store_commit(c, &e), RC_OK);
    ck_assert_uint_eq(gen_of(s, STORE_TOPIC_AUTH), a0 + 1);
    ck_assert_uint_eq(gen_of(s, STORE_TOPIC_POLICY), p0);
    ck_assert_int_eq(store_begin(c, &e), RC_OK);
    notify_ok(c, STORE_TOPIC_POLICY);
    store_rollback(c);
    ck_assert_uint_eq(gen_of(s, STORE_TOPIC_POLICY), p0); /* rolled back: nothing */
    ck_assert_int_eq(store_begin(c, &e), RC_OK);          /* and not carried into the next one */
    ck_assert_int_eq(store_commit(c, &e), RC_OK);
    ck_assert_uint_eq(gen_of(s, STORE_TOPIC_POLICY), p0);
    notify_ok(c, STORE_TOPIC_POLICY); /* outside a transaction: at once */
    ck_assert_uint_eq(gen_of(s, STORE_TOPIC_POLICY), p0 + 1);
    store_release(c);
    ck_assert_int_eq(store_listen_start(s, &e), RC_OK);
    if (!is_pg(s)) {
        ck_assert(!store_listen_up(s)); /* SQLite has no channel */
        ck_assert(!store_topic_gen(s, STORE_TOPIC_AUTH, &g));
        store_close(s);
        return;
    }
    ck_assert_msg(wait_for(is_up, s, NULL), "the listener never listened");
    ck_assert(store_topic_gen(s, STORE_TOPIC_AUTH, &g));
    /* Another "process" (a second store): its rolled-back auth notification never arrives,
     * its committed policy one does (in commit order, so auth is settled when it has). */
    struct store *other = open_db(1);
    struct conn *o = take(other);
    uint64_t a1 = gen_of(s, STORE_TOPIC_AUTH), p1 = gen_of(s, STORE_TOPIC_POLICY);
    ck_assert_int_eq(store_begin(o, &e), RC_OK);
    notify_ok(o, STORE_TOPIC_AUTH);
    store_rollback(o);
    ck_assert_int_eq(store_begin(o, &e), RC_OK);
    notify_ok(o, STORE_TOPIC_POLICY);
    ck_assert_int_eq(store_commit(o, &e), RC_OK);
    ck_assert_msg(wait_for(policy_moved, s, &p1), "the policy notification never arrived");
    ck_assert_uint_eq(gen_of(s, STORE_TOPIC_AUTH), a1);
    /* The listener's connection killed: not trusted while down, every topic moved, and
     * it listens again by itself. */
    uint64_t c1 = gen_of(s, STORE_TOPIC_CALENDAR);
    ck_assert_int_ge(query_int(o, "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                  "WHERE datname = current_database() AND query LIKE 'LISTEN%' "
                                  "AND pid <> pg_backend_pid()"),
                     1);
    ck_assert_msg(wait_for(is_down, s, NULL), "the listener never noticed");
    ck_assert(!store_topic_gen(s, STORE_TOPIC_CALENDAR, &g));
    ck_assert_msg(wait_for(is_up, s, NULL), "the listener never came back");
    ck_assert(store_topic_gen(s, STORE_TOPIC_CALENDAR, &g));
    ck_assert_uint_ge(g, c1 + 2); /* lost, then connected */
    store_release(o);
    store_close(other);
    store_close(s); /* stops the listener */
}
END_TEST

/* The backend-specific SQL behind store_sql.c's functions (issue 15 item 5): text search
 * (FTS5 for 3+ characters and LIKE on SQLite, ILIKE on PostgreSQL) with its SQLite
 * index kept by the caller, the next id, row locks and the bulk cache setting. */
static int64_t search_count(struct conn *c, const char *q)
{
    static const struct store_search docs = {"test_docs", "d", "d.name"};
    struct buf sql;
    buf_init(&sql, 4096);
    char *arg = NULL;
    ck_assert_int_eq(buf_puts(&sql, "SELECT COUNT(*) FROM test_docs d WHERE d.id > 0"), RC_OK);
    ck_assert_int_eq(store_search_sql(c, &docs, q, &sql, &arg), RC_OK);
    struct stmt *st = prep(c, buf_str(&sql));
    store_bind_text(st, 1, arg);
    ck_assert_int_eq(step(st), RC_ROW);
    int64_t n = store_int(st, 0);
    store_finish(st);
    buf_cleanup(&sql);
    xfree(arg);
    return n;
}

START_TEST(dialect_sql)
{
    struct store *s = open_db(1);
    struct conn *c = take(s);
    struct err e = {0};
    bool pg = is_pg(s);
    exec_ok(c, "DROP TABLE IF EXISTS test_docs_fts");
    exec_ok(c, "DROP TABLE IF EXISTS test_docs");
    exec_ok(c, pg ? "CREATE TABLE test_docs (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL)"
                  : "CREATE TABLE test_docs (id INTEGER PRIMARY KEY, name TEXT NOT NULL)");
    if (!pg)
        exec_ok(c, "CREATE VIRTUAL TABLE test_docs_fts USING fts5(name, content='test_docs', "
                   "content_rowid='rowid', tokenize='trigram')");
    int64_t mark = -1, id = 0, got = 0;
    ck_assert_int_eq(store_begin(c, &e), RC_OK);
    ck_assert_int_eq(store_search_mark(c, "test_docs", &mark, &e), RC_OK);
    ck_assert_int_eq(mark, 0);
    ck_assert_int_eq(store_next_id(c, "test_docs", &id, &e), RC_OK);
    ck_assert_int_ge(id, 1);
    /* The caller inserts with the id it was given (a demand's number is made from it). */
    struct stmt *st = prep(c, "INSERT INTO test_docs (id, name) VALUES (?, ?)");
    store_bind_int(st, 1, id);
    store_bind_text(st, 2, "Alpha 企业甲");
    ck_assert_int_eq(store_run(st, &e), RC_OK);
    store_finish(st);
    ck_assert_int_eq(store_next_id(c, "test_docs", &got, &e), RC_OK);
    ck_assert_int_gt(got, id);
    ck_assert_int_eq(store_search_index_row(c, "test_docs", "name", "name", "Alpha 企业甲", &e),
                     RC_OK);
    ck_assert_int_eq(store_search_mark(c, "test_docs", &mark, &e), RC_OK);
    ck_assert_int_eq(mark, pg ? 0 : id);
    exec_ok(c, "INSERT INTO test_docs (name) VALUES ('beta_x%'), ('Gamma 乙丙丁')");
    ck_assert_int_eq(store_search_index_from(c, "test_docs", "name", mark, &e), RC_OK);
    ck_assert_int_eq(store_commit(c, &e), RC_OK);

    ck_assert_int_eq(search_count(c, "企业甲"), 1); /* 3+ characters: FTS5 on SQLite */
    ck_assert_int_eq(search_count(c, "ALPHA"), 1);  /* ASCII case ignored */
    ck_assert_int_eq(search_count(c, "甲"), 1);     /* short: LIKE */
    ck_assert_int_eq(search_count(c, "乙丙丁"), 1); /* indexed by store_search_index_from */
    ck_assert_int_eq(search_count(c, "x%"), 1);     /* % and _ are literal */
    ck_assert_int_eq(search_count(c, "_"), 1);
    ck_assert_int_eq(search_count(c, "a%"), 0);
    ck_assert_int_eq(search_count(c, "\"企业"), 0); /* a quote stays inside the FTS5 phrase */
    ck_assert_int_eq(search_count(c, "不存在"), 0);

    ck_assert_int_eq(store_begin(c, &e), RC_OK);
    ck_assert_int_eq(
        store_prepare_locked(c, "SELECT d.name FROM test_docs d WHERE d.id = ?", "d", &st, &e),
        RC_OK);
    store_bind_int(st, 1, id);
    ck_assert_int_eq(step(st), RC_ROW);
    ck_assert_str_eq(store_text(st, 0), "Alpha 企业甲");
    store_finish(st);
    store_rollback(c);

    /* {{NEXT_ID}} inside a statement that reads other things too: the id the next INSERT
     * takes; then two writes joined into one statement where the backend can. */
    ck_assert_int_eq(store_begin(c, &e), RC_OK);
    ck_assert_int_eq(store_prepare_next_id(c,
                                           "SELECT {{NEXT_ID}}, (SELECT COUNT(*) FROM test_docs "
                                           "WHERE name = ?)",
                                           "test_docs", &st, &e),
                     RC_OK);
    store_bind_text(st, 1, "Alpha 企业甲");
    ck_assert_int_eq(step(st), RC_ROW);
    int64_t next = store_int(st, 0);
    ck_assert_int_eq(store_int(st, 1), 1);
    store_finish(st);
    ck_assert_int_gt(next, id);
    ck_assert_int_eq(store_prepare_next_id(c, "SELECT 1", "test_docs", &st, &e), RC_INTERNAL);
    ck_assert_ptr_null(st);
    bool joined = false;
    ck_assert_int_eq(store_prepare_joined(c, "INSERT INTO test_docs (id, name) VALUES (?, ?)",
                                          "UPDATE test_docs SET name = ? WHERE id = ?", &joined,
                                          &st, &e),
                     RC_OK);
    ck_assert(joined == pg);
    store_bind_int(st, 1, next);
    store_bind_text(st, 2, "Delta 新");
    if (joined) {
        store_bind_text(st, 3, "Alpha 改");
        store_bind_int(st, 4, id);
    }
    ck_assert_int_eq(store_run(st, &e), RC_OK);
    store_finish(st);
    if (!joined)
        exec_ok(c, "UPDATE test_docs SET name = 'Alpha 改' WHERE name = 'Alpha 企业甲'");
    ck_assert_int_eq(query_int(c, "SELECT COUNT(*) FROM test_docs WHERE name IN "
                                  "('Delta 新', 'Alpha 改')"),
                     2);
    store_rollback(c);

    /* The bulk setting is taken back to the connection's own cache size. */
    ck_assert_int_eq(store_bulk(c, true, &e), RC_OK);
    if (!pg)
        ck_assert_int_eq(query_int(c, "PRAGMA cache_size"), -1048576);
    ck_assert_int_eq(store_bulk(c, false, &e), RC_OK);
    if (!pg)
        ck_assert_int_eq(query_int(c, "PRAGMA cache_size"), -atoll(STORE_SQLITE_CACHE_KIB));
    exec_ok(c, "DROP TABLE IF EXISTS test_docs_fts");
    exec_ok(c, "DROP TABLE test_docs");
    store_release(c);
    store_close(s);
}
END_TEST

static void add_backend_tests(TCase *tc, bool pg)
{
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, open_basics);
    tcase_add_test(tc, migrate_once);
    tcase_add_test(tc, values_roundtrip);
    tcase_add_test(tc, placeholders);
    tcase_add_test(tc, transactions);
    tcase_add_test(tc, constraints);
    tcase_add_test(tc, changes);
    tcase_add_test(tc, stmt_cache);
    tcase_add_test(tc, audit_head);
    tcase_add_test(tc, threads);
    tcase_add_test(tc, deferred_sync);
    tcase_add_test(tc, run_later);
    tcase_add_test(tc, dialect_sql);
    tcase_add_test(tc, change_topics);
    if (pg) {
        tcase_add_test(tc, pg_reconnect);
        tcase_add_test(tc, pg_shutdown_is_unavailable);
        tcase_add_test(tc, pg_group_commit);
    }
}

static Suite *suite(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("common");
    tcase_add_test(tc, open_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("sqlite");
    tcase_add_unchecked_fixture(tc, sqlite_setup_once, sqlite_teardown_once);
    tcase_add_checked_fixture(tc, sqlite_setup, NULL);
    add_backend_tests(tc, false);
    suite_add_tcase(s, tc);

#ifdef WITH_PG
    const char *dsn = getenv("TEST_PG_DSN");
    if (dsn && *dsn) {
        tc = tcase_create("postgres");
        tcase_add_checked_fixture(tc, pg_setup, NULL);
        add_backend_tests(tc, true);
        suite_add_tcase(s, tc);
    }
#endif
    return s;
}

UNIT_MAIN(suite)
