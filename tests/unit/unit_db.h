/* SPDX-License-Identifier: Apache-2.0 */
/*
 * unit_db: a fresh, migrated database per test for unit tests of store-backed
 * modules, on SQLite always and on PostgreSQL when TEST_PG_DSN is set.
 *
 * SQLite: a new file in a directory made by the runner (unchecked fixture). PostgreSQL:
 * a new database "qifu_unit_<pid>_<n>" created through TEST_PG_DSN and dropped at the
 * end of the test, so tests may write to the migrations' tables without touching
 * the shared test database. Use:
 *
 *     tc = tcase_create("sqlite");
 *     tcase_add_unchecked_fixture(tc, unit_db_sqlite_once, unit_db_sqlite_done);
 *     tcase_add_checked_fixture(tc, unit_db_sqlite, unit_db_drop);
 *     ...
 *     tc = tcase_create("postgres");
 *     tcase_add_checked_fixture(tc, unit_db_pg, unit_db_drop);
 *
 * and in a test: struct store *s = unit_db_open(2); (migrated, closed by the test).
 */
#ifndef QIFU_UNIT_DB_H
#define QIFU_UNIT_DB_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/rc.h"
#include "store/store.h"
#include "unit.h"

static char unit_db_dir[64];
static char unit_db_url[512];
static char unit_db_pg_name[64];

static void unit_db_sqlite_once(void)
{
    snprintf(unit_db_dir, sizeof(unit_db_dir), "/tmp/qifu-unit-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(unit_db_dir));
}

static void unit_db_sqlite_done(void)
{
    DIR *d = opendir(unit_db_dir);
    if (d) {
        struct dirent *de;
        char path[sizeof(unit_db_dir) + 300];
        while ((de = readdir(d)))
            if (de->d_name[0] != '.') {
                snprintf(path, sizeof(path), "%s/%s", unit_db_dir, de->d_name);
                unlink(path);
            }
        closedir(d);
    }
    rmdir(unit_db_dir);
}

static void unit_db_sqlite(void)
{
    static int seq;
    unit_db_pg_name[0] = '\0';
    snprintf(unit_db_url, sizeof(unit_db_url), "sqlite:%s/t%ld-%d.db", unit_db_dir, (long)getpid(),
             ++seq);
}

/* Runs one statement on the database of TEST_PG_DSN (outside any transaction). */
static void unit_db_admin_exec(const char *sql)
{
    struct store *s = NULL;
    struct conn *c = NULL;
    struct err e = {0};
    enum rc rc = store_open(getenv("TEST_PG_DSN"), 1, &s, &e);
    ck_assert_msg(rc == RC_OK, "store_open TEST_PG_DSN: %s", e.msg);
    rc = store_acquire(s, &c, &e);
    if (rc == RC_OK)
        rc = store_exec(c, sql, &e);
    store_release(c);
    store_close(s);
    ck_assert_msg(rc == RC_OK, "%s: %s: %s", sql, rc_name(rc), e.msg);
}

static void unit_db_pg(void)
{
    static int seq;
    const char *dsn = getenv("TEST_PG_DSN");
    ck_assert_ptr_nonnull(dsn);
    snprintf(unit_db_pg_name, sizeof(unit_db_pg_name), "qifu_unit_%ld_%d", (long)getpid(), ++seq);
    char sql[128];
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", unit_db_pg_name);
    unit_db_admin_exec(sql);
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", unit_db_pg_name);
    unit_db_admin_exec(sql);
    /* postgres://user@host/DBNAME?params: swap the database name. */
    const char *path = strstr(dsn, "://");
    path = path ? strchr(path + 3, '/') : NULL;
    ck_assert_ptr_nonnull(path);
    const char *query = strchr(path, '?');
    snprintf(unit_db_url, sizeof(unit_db_url), "%.*s/%s%s", (int)(path - dsn), dsn, unit_db_pg_name,
             query ? query : "");
}

static void unit_db_drop(void)
{
    if (unit_db_pg_name[0]) {
        char sql[128];
        snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", unit_db_pg_name);
        unit_db_admin_exec(sql);
    }
}

/* Opens the test's database with n connections and migrates it. */
static struct store *unit_db_open(int n)
{
    struct store *s = NULL;
    struct err e = {0};
    enum rc rc = store_open(unit_db_url, n, &s, &e);
    ck_assert_msg(rc == RC_OK, "store_open %s: %s: %s", unit_db_url, rc_name(rc), e.msg);
    rc = store_migrate(s, NULL, &e);
    ck_assert_msg(rc == RC_OK, "store_migrate: %s: %s", rc_name(rc), e.msg);
    return s;
}

/* Takes a connection or fails the test. */
static struct conn *unit_db_take(struct store *s)
{
    struct conn *c = NULL;
    struct err e = {0};
    enum rc rc = store_acquire(s, &c, &e);
    ck_assert_msg(rc == RC_OK, "store_acquire: %s: %s", rc_name(rc), e.msg);
    return c;
}

/* Returns the integer of the one row sql answers. */
static int64_t unit_db_int(struct conn *c, const char *sql)
{
    struct stmt *st = NULL;
    struct err e = {0};
    enum rc rc = store_prepare(c, sql, &st, &e);
    ck_assert_msg(rc == RC_OK, "%s: %s", sql, e.msg);
    ck_assert_int_eq(store_step(st, &e), RC_ROW);
    int64_t v = store_int(st, 0);
    store_finish(st);
    return v;
}

#endif
