/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth_throttle: the login throttle and the password-hashing gate.
 *
 * Throttle: one row per (user name, client address) and one per address (user name
 * ''). An attempt counts itself before its password is checked, in one transaction of
 * two atomic upserts whose DO UPDATE runs only when the row's next_at has come; when
 * either row says "not yet" the transaction rolls back and the caller gets
 * RC_RATELIMIT. So concurrent guesses cannot slip between a read and a write: at most
 * AUTH_FREE_FAILURES attempts of one (user, address) start without waiting, then each
 * must wait 2^(n - AUTH_FREE_FAILURES) s (at most AUTH_MAX_BACKOFF_S). A row idle for
 * an hour starts again from one. A success deletes its (user, address) row and gives
 * the address its attempt back; another address is never affected.
 *
 * Gate: argon2id costs ~50 ms of CPU and 64 MiB; unbounded, a flood of logins starves
 * every other request. At most hash_slots verifications run at once and at most
 * hash_queue more logins wait for a slot; beyond that a login is refused at once
 * (RC_BUSY). Nothing but logins and password changes takes the gate.
 */
#include <pthread.h>
#include <string.h>

#include "../base/timeutil.h"
#include "../store/store.h"
#include "auth_int.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* ---- the hashing gate ---------------------------------------------------------- */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int slots, queue;      /* limits */
    int admitted, running; /* logins admitted (running or waiting), verifications running */
} gate = {
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, AUTH_HASH_SLOTS, AUTH_HASH_QUEUE, 0, 0};

static uint64_t n_busy, n_unknown, n_known;

void auth_hash_limits(int slots, int queue)
{
    pthread_mutex_lock(&gate.mu);
    gate.slots = slots > 0 ? slots : 1;
    gate.queue = queue >= 0 ? queue : 0;
    pthread_mutex_unlock(&gate.mu);
}

enum rc auth__admit(struct err *e)
{
    pthread_mutex_lock(&gate.mu);
    bool full = gate.admitted >= gate.slots + gate.queue;
    if (!full)
        gate.admitted++;
    pthread_mutex_unlock(&gate.mu);
    if (full) {
        __atomic_add_fetch(&n_busy, 1, __ATOMIC_RELAXED);
        return err_set(e, RC_BUSY, NULL, "登录请求过多，请稍后再试");
    }
    return RC_OK;
}

void auth_count_busy(void)
{
    __atomic_add_fetch(&n_busy, 1, __ATOMIC_RELAXED);
}

void auth__dismiss(void)
{
    pthread_mutex_lock(&gate.mu);
    gate.admitted--;
    pthread_mutex_unlock(&gate.mu);
}

void auth__hash_enter(void)
{
    pthread_mutex_lock(&gate.mu);
    while (gate.running >= gate.slots)
        pthread_cond_wait(&gate.cv, &gate.mu);
    gate.running++;
    pthread_mutex_unlock(&gate.mu);
}

void auth__hash_leave(void)
{
    pthread_mutex_lock(&gate.mu);
    gate.running--;
    pthread_cond_signal(&gate.cv);
    pthread_mutex_unlock(&gate.mu);
}

/* ---- the throttle -------------------------------------------------------------- */

/* The row's failure count after this attempt: an hour idle starts again from one. */
#define NEW_FAILURES                                                                               \
    "(CASE WHEN login_throttle.last_at < ? THEN 1 ELSE login_throttle.failures + 1 END)"

/* Within the free attempts next_at is 0, not "now": concurrent attempts read the clock
 * before they queue for the row, so a "now" written by one could be later than another's
 * and refuse it although the row still had free attempts (seen on PostgreSQL). */
static const char *const take_sql =
    "INSERT INTO login_throttle (username, addr, failures, next_at, last_at) "
    "VALUES (?, ?, 1, ?, ?) ON CONFLICT (username, addr) DO UPDATE SET "
    "failures = " NEW_FAILURES ", "
    "next_at = CASE WHEN " NEW_FAILURES " < ? THEN 0 ELSE ? + CASE WHEN " NEW_FAILURES
    " - ? >= 10 THEN " STR(
        AUTH_MAX_BACKOFF_S) "000 ELSE 1000 * (CAST(1 AS BIGINT) << (" NEW_FAILURES
                            " - ?)) END END, last_at = ? "
                            "WHERE login_throttle.next_at <= ? OR login_throttle.next_at > ? "
                            "RETURNING failures";

/* Counts one attempt on the row (username, addr) whose first `free` attempts need no
 * wait. RC_RATELIMIT with *retry_after when the row says the attempt is early. */
static enum rc take_one(struct conn *c, const char *username, const char *addr, int free_n,
                        int64_t now, int *retry_after, struct err *e)
{
    struct stmt *st;
    int64_t idle = now - 3600LL * 1000;
    int64_t first_next = free_n <= 1 ? now + 1000 : 0; /* a row's first attempt */
    enum rc rc = store_prepare(c, take_sql, &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, username);
    store_bind_text(st, 2, addr);
    store_bind_int(st, 3, first_next);
    store_bind_int(st, 4, now);
    store_bind_int(st, 5, idle);
    store_bind_int(st, 6, idle);
    store_bind_int(st, 7, free_n);
    store_bind_int(st, 8, now);
    store_bind_int(st, 9, idle);
    store_bind_int(st, 10, free_n);
    store_bind_int(st, 11, idle);
    store_bind_int(st, 12, free_n);
    store_bind_int(st, 13, now);
    store_bind_int(st, 14, now);
    /* A wait longer than the longest back-off can only come from a clock that stepped
     * back (NTP, or the test clock): such a row no longer says anything, so it counts
     * afresh instead of locking the name out for months. */
    store_bind_int(st, 15, now + AUTH_MAX_BACKOFF_S * 1000LL);
    rc = store_step(st, e);
    bool counted = rc == RC_ROW;
    if (rc == RC_ROW || rc == RC_DONE)
        rc = RC_OK;
    store_finish(st);
    if (rc || counted)
        return rc;
    /* The row exists and its next_at is still ahead: say how long to wait. */
    rc = store_prepare(c, "SELECT next_at FROM login_throttle WHERE username = ? AND addr = ?", &st,
                       e);
    if (rc)
        return rc;
    store_bind_text(st, 1, username);
    store_bind_text(st, 2, addr);
    int64_t next = now + 1000;
    rc = store_step(st, e);
    if (rc == RC_ROW)
        next = store_int(st, 0);
    if (rc == RC_ROW || rc == RC_DONE)
        rc = RC_OK;
    store_finish(st);
    if (rc)
        return rc;
    *retry_after = next > now ? (int)((next - now + 999) / 1000) : 1;
    return err_set(e, RC_RATELIMIT, "password", "登录失败次数过多，请 %d 秒后再试", *retry_after);
}

enum rc auth__throttle_take(struct conn *c, const char *username, const char *addr, int64_t now,
                            int *retry_after, struct err *e)
{
    const char *a = addr && *addr ? addr : "-";
    enum rc rc = store_begin(c, e);
    if (rc == RC_OK)
        rc = take_one(c, username, a, AUTH_FREE_FAILURES, now, retry_after, e);
    if (rc == RC_OK)
        rc = take_one(c, "", a, AUTH_ADDR_FREE_FAILURES, now, retry_after, e);
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (store_in_txn(c))
        store_rollback(c);
    return rc;
}

enum rc auth__throttle_success(struct conn *c, const char *username, const char *addr,
                               struct err *e)
{
    const char *a = addr && *addr ? addr : "-";
    struct stmt *st = NULL;
    enum rc rc =
        store_prepare(c, "DELETE FROM login_throttle WHERE username = ? AND addr = ?", &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, username);
        store_bind_text(st, 2, a);
        rc = store_run(st, e);
    }
    store_finish(st);
    st = NULL;
    if (rc == RC_OK)
        rc = store_prepare(c,
                           "UPDATE login_throttle SET failures = failures - 1 WHERE username = '' "
                           "AND addr = ? AND failures > 0",
                           &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, a);
        rc = store_run(st, e);
    }
    store_finish(st);
    return rc;
}

enum rc auth__failure_count(struct conn *c, const char *username, const char *addr, int *failures,
                            struct err *e)
{
    struct stmt *st;
    *failures = 0;
    enum rc rc = store_prepare(
        c, "SELECT failures FROM login_throttle WHERE username = ? AND addr = ?", &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, username);
    store_bind_text(st, 2, addr && *addr ? addr : "-");
    rc = store_step(st, e);
    if (rc == RC_ROW)
        *failures = (int)store_int(st, 0);
    if (rc == RC_ROW || rc == RC_DONE)
        rc = RC_OK;
    store_finish(st);
    return rc;
}

enum rc auth__count_unknown(struct conn *c, const char *addr, int64_t now, struct err *e)
{
    struct stmt *st = NULL;
    __atomic_add_fetch(&n_unknown, 1, __ATOMIC_RELAXED);
    enum rc rc = store_begin(c, e);
    if (rc == RC_OK)
        rc =
            store_prepare(c,
                          "INSERT INTO login_unknown_failures (addr, hour, n) VALUES (?, ?, 1) "
                          "ON CONFLICT (addr, hour) DO UPDATE SET n = login_unknown_failures.n + 1",
                          &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, addr && *addr ? addr : "-");
        store_bind_int(st, 2, now - now % (3600LL * 1000));
        rc = store_run(st, e);
    }
    store_finish(st);
    st = NULL;
    /* Rows older than 90 days go, and throttle rows idle for a day (below): neither table
     * grows without bound. */
    if (rc == RC_OK)
        rc = store_prepare(c, "DELETE FROM login_unknown_failures WHERE hour < ?", &st, e);
    if (rc == RC_OK) {
        store_bind_int(st, 1, now - 90LL * 24 * 3600 * 1000);
        rc = store_run(st, e);
    }
    store_finish(st);
    if (rc == RC_OK)
        rc = auth__sweep(c, now, e);
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (store_in_txn(c))
        store_rollback(c);
    return rc;
}

enum rc auth__sweep(struct conn *c, int64_t now, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, "DELETE FROM login_throttle WHERE last_at < ?", &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, now - 24LL * 3600 * 1000);
    rc = store_run(st, e);
    store_finish(st);
    return rc;
}

void auth__count_known(void)
{
    __atomic_add_fetch(&n_known, 1, __ATOMIC_RELAXED);
}

void auth_login_stats(struct auth_login_stats *out)
{
    out->failed_unknown = __atomic_load_n(&n_unknown, __ATOMIC_RELAXED);
    out->failed_known = __atomic_load_n(&n_known, __ATOMIC_RELAXED);
    out->busy = __atomic_load_n(&n_busy, __ATOMIC_RELAXED);
}
