/* SPDX-License-Identifier: Apache-2.0 */
/*
 * job (src/job/job.h): leases over named jobs, on SQLite and, with TEST_PG_DSN, on
 * PostgreSQL. Time is passed in (`now`), so expiry needs no waiting: a take, a second
 * owner refused while the lease runs, a takeover once it expired (the old holder's
 * renewal, checkpoint and release then refused and changing nothing), periodic jobs
 * due only at next_at, and "the next due job of a kind".
 */
#include <string.h>

#include "base/mem.h"
#include "base/rc.h"
#include "job/job.h"
#include "store/store.h"
#include "unit.h"
#include "unit_db.h"

#define T0 1000000 /* an instant, ms */
#define LEASE 30000

#define OK(call)                                                                                   \
    do {                                                                                           \
        struct err e_ = {0};                                                                       \
        enum rc rc_ = (call);                                                                      \
        ck_assert_msg(rc_ == RC_OK, "%s: %s %s", #call, rc_name(rc_), e_.msg);                     \
    } while (0)
#define E (&e_)

static struct job_taken take(struct conn *c, const char *name, const char *owner, int64_t now)
{
    struct job_taken t;
    OK(job_take(c, name, owner, LEASE, now, &t, E));
    return t;
}

static void text_of(struct conn *c, const char *sql, char *out, size_t n)
{
    struct stmt *st = NULL;
    struct err e = {0};
    ck_assert_int_eq(store_prepare(c, sql, &st, &e), RC_OK);
    ck_assert_int_eq(store_step(st, &e), RC_ROW);
    mem_copy_text(out, n, store_isnull(st, 0) ? "(null)" : store_text(st, 0));
    store_finish(st);
}

START_TEST(take_refuse_expire_takeover)
{
    struct store *s = unit_db_open(1);
    struct conn *c = unit_db_take(s);
    struct err e = {0};
    OK(job_ensure(c, "sweep", "sweep", NULL, 0, T0, E));
    /* Not due yet: nobody takes it. */
    struct job_taken t = take(c, "sweep", "A", T0 - 1);
    ck_assert(!t.taken);
    /* Due: A takes it. */
    t = take(c, "sweep", "A", T0);
    ck_assert(t.taken && !t.takeover);
    ck_assert_int_eq(t.runs, 1);
    ck_assert_ptr_null(t.checkpoint);
    /* A second owner is refused while A's lease runs, up to its last millisecond. */
    t = take(c, "sweep", "B", T0 + LEASE - 1);
    ck_assert(!t.taken);
    /* B may not renew, checkpoint, release or delete A's job; nothing changes. */
    ck_assert_int_eq(job_renew(c, "sweep", "B", LEASE, T0 + 10, &e), RC_CONFLICT);
    ck_assert_int_eq(job_checkpoint(c, "sweep", "B", "b", LEASE, T0 + 10, &e), RC_CONFLICT);
    ck_assert_int_eq(job_release(c, "sweep", "B", T0, &e), RC_CONFLICT);
    ck_assert_int_eq(job_delete(c, "sweep", "B", &e), RC_CONFLICT);
    char owner[32];
    text_of(c, "SELECT owner FROM jobs WHERE name = 'sweep'", owner, sizeof(owner));
    ck_assert_str_eq(owner, "A");
    ck_assert_int_eq(unit_db_int(c, "SELECT lease_until FROM jobs WHERE name = 'sweep'"),
                     T0 + LEASE);
    /* A renews and checkpoints: its lease moves on. */
    OK(job_checkpoint(c, "sweep", "A", "chunk 3", LEASE, T0 + 20000, E));
    t = take(c, "sweep", "B", T0 + LEASE + 1);
    ck_assert(!t.taken);
    /* The lease expires: B takes over, with A's checkpoint. */
    t = take(c, "sweep", "B", T0 + 20000 + LEASE);
    ck_assert(t.taken && t.takeover);
    ck_assert_str_eq(t.prev, "A");
    ck_assert_int_eq(t.runs, 2);
    ck_assert_ptr_nonnull(t.checkpoint);
    ck_assert_str_eq(t.checkpoint, "chunk 3");
    job_taken_cleanup(&t);
    /* A, who lost it, is refused everything: it must stop. */
    ck_assert_int_eq(job_renew(c, "sweep", "A", LEASE, T0 + 60000, &e), RC_CONFLICT);
    ck_assert_int_eq(job_checkpoint(c, "sweep", "A", "late", LEASE, T0 + 60000, &e), RC_CONFLICT);
    ck_assert_int_eq(job_release(c, "sweep", "A", T0, &e), RC_CONFLICT);
    text_of(c, "SELECT checkpoint FROM jobs WHERE name = 'sweep'", owner, sizeof(owner));
    ck_assert_str_eq(owner, "chunk 3");
    /* B releases it with the next due time: free, but not due before it. */
    OK(job_release(c, "sweep", "B", T0 + 100000, E));
    t = take(c, "sweep", "A", T0 + 99999);
    ck_assert(!t.taken);
    t = take(c, "sweep", "A", T0 + 100000);
    ck_assert(t.taken && !t.takeover);
    job_taken_cleanup(&t);
    /* Its owner deletes it; it is gone. */
    OK(job_delete(c, "sweep", "A", E));
    ck_assert_int_eq(unit_db_int(c, "SELECT COUNT(*) FROM jobs WHERE name = 'sweep'"), 0);
    store_release(c);
    store_close(s);
}
END_TEST

START_TEST(ensure_keeps_an_existing_job)
{
    struct store *s = unit_db_open(1);
    struct conn *c = unit_db_take(s);
    OK(job_ensure(c, "run:1", "run", "A", T0 + LEASE, T0, E));
    /* Created owned: another owner cannot take it until the lease expires. */
    struct job_taken t = take(c, "run:1", "B", T0 + 1);
    ck_assert(!t.taken);
    OK(job_ensure(c, "run:1", "run", NULL, 0, 0, E));
    t = take(c, "run:1", "B", T0 + 1);
    ck_assert(!t.taken);
    store_release(c);
    store_close(s);
}
END_TEST

START_TEST(take_next_of_a_kind)
{
    struct store *s = unit_db_open(1);
    struct conn *c = unit_db_take(s);
    OK(job_ensure(c, "run:2", "run", NULL, 0, T0 + 2, E));
    OK(job_ensure(c, "run:1", "run", NULL, 0, T0 + 1, E));
    OK(job_ensure(c, "sweep", "sweep", NULL, 0, T0, E));
    struct job_taken t;
    OK(job_take_next(c, "run", "A", LEASE, T0 + 5, &t, E));
    ck_assert(t.taken);
    ck_assert_str_eq(t.name, "run:1");
    OK(job_take_next(c, "run", "B", LEASE, T0 + 5, &t, E));
    ck_assert(t.taken);
    ck_assert_str_eq(t.name, "run:2");
    OK(job_take_next(c, "run", "C", LEASE, T0 + 5, &t, E));
    ck_assert(!t.taken);
    /* A's expires first: C takes it over. */
    OK(job_take_next(c, "run", "C", LEASE, T0 + 5 + LEASE, &t, E));
    ck_assert(t.taken && t.takeover);
    ck_assert_str_eq(t.name, "run:1");
    ck_assert_str_eq(t.prev, "A");
    store_release(c);
    store_close(s);
}
END_TEST

/* The heartbeat of a lost lease says so and stops. */
START_TEST(hold_notices_a_lost_lease)
{
    struct store *s = unit_db_open(2);
    struct conn *c = unit_db_take(s);
    int64_t now = job_now();
    OK(job_ensure(c, "run:9", "run", "A", now + 30, now, E));
    struct job_hold *h;
    OK(job_hold_start(s, "run:9", "A", 30, &h, E));
    ck_assert(!job_hold_lost(h));
    /* B takes it over (as if A's lease had expired): A's next beat finds it lost. */
    struct err e = {0};
    struct stmt *st;
    ck_assert_int_eq(store_prepare(c, "UPDATE jobs SET owner = 'B' WHERE name = 'run:9'", &st, &e),
                     RC_OK);
    ck_assert_int_eq(store_run(st, &e), RC_OK);
    store_finish(st);
    for (int i = 0; i < 500 && !job_hold_lost(h); i++)
        usleep(10000);
    ck_assert(job_hold_lost(h));
    job_hold_stop(h);
    store_release(c);
    store_close(s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("job");
    TCase *tc = tcase_create("sqlite");
    tcase_add_unchecked_fixture(tc, unit_db_sqlite_once, unit_db_sqlite_done);
    tcase_add_checked_fixture(tc, unit_db_sqlite, unit_db_drop);
    tcase_add_test(tc, take_refuse_expire_takeover);
    tcase_add_test(tc, ensure_keeps_an_existing_job);
    tcase_add_test(tc, take_next_of_a_kind);
    tcase_add_test(tc, hold_notices_a_lost_lease);
    suite_add_tcase(s, tc);
    if (getenv("TEST_PG_DSN")) {
        tc = tcase_create("postgres");
        tcase_add_checked_fixture(tc, unit_db_pg, unit_db_drop);
        tcase_add_test(tc, take_refuse_expire_takeover);
        tcase_add_test(tc, ensure_keeps_an_existing_job);
        tcase_add_test(tc, take_next_of_a_kind);
        tcase_add_test(tc, hold_notices_a_lost_lease);
        suite_add_tcase(s, tc);
    }
    return s;
}

UNIT_MAIN(suite)
