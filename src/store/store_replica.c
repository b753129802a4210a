/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_replica: a PostgreSQL streaming standby beside the primary, for reads that may be
 * a little behind (docs/internals/store.md, "Read replica").
 *
 * The replica has its own pool (a struct store of its own, opened by the monitor thread,
 * so the server starts while the standby is down). The monitor samples, every
 * interval_ms, the primary's WAL position (pg_current_wal_lsn) and then the standby's
 * replayed position (pg_last_wal_replay_lsn), and keeps a short history of (time the
 * primary was asked, its position). The lag is the age of the newest sample whose
 * position the standby has replayed: everything the primary had committed when that
 * sample was taken is visible on the standby, and nothing later is known to be. It is
 * conservative (an idle primary shows a lag of one sampling round trip, a busy one at
 * most one interval more than the truth), never optimistic. Readers look at the
 * published state only: up, lag and the time of the last complete sample.
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/log.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "store.h"

#define HIST 256 /* samples kept: 51 s at 200 ms */

struct sample {
    int64_t t_ns; /* monotonic, taken before the primary was asked */
    int64_t lsn;  /* the primary's WAL position then (bytes) */
};

struct store_replica {
    struct store *primary;
    char *url;
    int n_conns;
    int64_t max_lag_ms;
    int64_t interval_ms;
    struct store *pool; /* NULL until the monitor first connects; then fixed until close */
    pthread_t thread;
    bool started;
    pthread_mutex_t mu; /* guards stop, for the monitor's timed wait */
    pthread_cond_t cv;
    bool stop;
    /* Published by the monitor, read by any thread (atomics). */
    int up;             /* the last sample of the standby succeeded */
    int64_t lag_ms;     /* the lag of the last successful sample */
    int64_t sampled_ns; /* monotonic time that sample completed (0: never) */
    uint64_t reads, fallback_down, fallback_lag, retried;
    /* The monitor's own. */
    struct sample hist[HIST];
    int n_hist, head; /* head: the slot the next sample goes to */
    bool warned;      /* the monitor has logged that the standby is down */
};

static int64_t load64(const int64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store64(int64_t *p, int64_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* Runs a one-row, one-column query of a WAL position; RC_NOTFOUND when it is NULL. */
static enum rc lsn_of(struct conn *c, const char *sql, int64_t *out, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, sql, &st, e);
    if (rc)
        return rc;
    rc = store_step(st, e);
    if (rc == RC_ROW && store_isnull(st, 0))
        rc = err_set(e, RC_NOTFOUND, NULL, "no WAL position (the replica is not a standby)");
    else if (rc == RC_ROW)
        *out = store_int(st, 0), rc = RC_OK;
    else if (rc == RC_DONE)
        rc = err_set(e, RC_INTERNAL, NULL, "no row");
    store_finish(st);
    return rc;
}

/* The lag in ms at now_ns of a standby that has replayed up to replay: the age of the
 * newest sample at or below it, or of the oldest one kept when none is (a lower bound,
 * which is then far past any sensible limit). */
static int64_t lag_from(const struct store_replica *r, int64_t replay, int64_t now_ns)
{
    int64_t oldest = now_ns;
    for (int k = 1; k <= r->n_hist; k++) {
        const struct sample *s = &r->hist[(r->head - k + HIST) % HIST];
        if (s->lsn <= replay)
            return (now_ns - s->t_ns) / 1000000;
        oldest = s->t_ns;
    }
    return (now_ns - oldest) / 1000000;
}

static void mark_down(struct store_replica *r, const struct err *e)
{
    __atomic_store_n(&r->up, 0, __ATOMIC_RELEASE);
    if (!r->warned)
        log_warn("replica: down, reads go to the primary: %s", e ? e->msg : "");
    r->warned = true;
}

/* One round of the monitor: the primary's position, then the standby's. */
static void sample(struct store_replica *r)
{
    struct err e;
    err_clear(&e);
    struct conn *c = NULL;
    int64_t t_ns = time_mono_ns(), lsn = 0, replay = 0;
    enum rc rc = store_acquire(r->primary, &c, &e);
    if (rc == RC_OK)
        rc = lsn_of(c, "SELECT CAST(pg_current_wal_lsn() - CAST('0/0' AS pg_lsn) AS BIGINT)", &lsn,
                    &e);
    store_release(c);
    c = NULL;
    if (rc) {
        /* Without the primary's position nothing can be said about the lag; the readers
         * see the sample age grow and fall back once it passes the limit. */
        log_debug("replica: cannot read the primary's WAL position: %s", e.msg);
        return;
    }
    r->hist[r->head] = (struct sample){t_ns, lsn};
    r->head = (r->head + 1) % HIST;
    if (r->n_hist < HIST)
        r->n_hist++;
    if (!r->pool) {
        struct store *pool;
        if ((rc = store_open(r->url, r->n_conns, &pool, &e))) {
            mark_down(r, &e);
            return;
        }
        __atomic_store_n(&r->pool, pool, __ATOMIC_RELEASE);
    }
    rc = store_acquire(r->pool, &c, &e);
    if (rc == RC_OK)
        rc = lsn_of(c, "SELECT CAST(pg_last_wal_replay_lsn() - CAST('0/0' AS pg_lsn) AS BIGINT)",
                    &replay, &e);
    store_release(c);
    if (rc) {
        mark_down(r, &e);
        return;
    }
    int64_t now = time_mono_ns();
    store64(&r->lag_ms, lag_from(r, replay, now));
    store64(&r->sampled_ns, now);
    if (r->warned || !__atomic_load_n(&r->up, __ATOMIC_ACQUIRE))
        log_info("replica: up (lag %" PRId64 " ms)", load64(&r->lag_ms));
    r->warned = false;
    __atomic_store_n(&r->up, 1, __ATOMIC_RELEASE);
}

static void *monitor_main(void *arg)
{
    struct store_replica *r = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_mutex_lock(&r->mu);
    while (!r->stop) {
        pthread_mutex_unlock(&r->mu);
        sample(r);
        pthread_mutex_lock(&r->mu);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        int64_t ns = until.tv_nsec + r->interval_ms * 1000000;
        until.tv_sec += ns / 1000000000;
        until.tv_nsec = ns % 1000000000;
        while (!r->stop && pthread_cond_timedwait(&r->cv, &r->mu, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

enum rc store_replica_open(struct store *primary, const char *url, int n_conns, int64_t max_lag_ms,
                           struct store_replica **out, struct err *e)
{
    *out = NULL;
    if (store_kind(primary) != STORE_PG ||
        (strncmp(url, "postgres://", 11) != 0 && strncmp(url, "postgresql://", 13) != 0))
        return err_set(e, RC_INVALID, "db-replica",
                       "只读副本仅支持 PostgreSQL：--db 与 --db-replica 均须为 postgres://...");
    if (max_lag_ms < 1)
        return err_set(e, RC_INVALID, "replica-max-lag-ms",
                       "--replica-max-lag-ms 应为正整数（毫秒）");
    struct store_replica *r = xcalloc(1, sizeof(*r));
    r->primary = primary;
    r->url = xstrdup(url);
    r->n_conns = n_conns < 1 ? 1 : n_conns;
    r->max_lag_ms = max_lag_ms;
    /* Four samples within the limit at least, so a sample is never older than it. */
    r->interval_ms = max_lag_ms >= 800 ? 200 : (max_lag_ms / 4 > 5 ? max_lag_ms / 4 : 5);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    sample(r); /* the first state before any request: up, or down and why */
    int err = pthread_create(&r->thread, NULL, monitor_main, r);
    if (err) {
        store_replica_close(r);
        return err_set(e, RC_INTERNAL, NULL, "cannot start the replica monitor: %s", strerror(err));
    }
    r->started = true;
    *out = r;
    return RC_OK;
}

void store_replica_close(struct store_replica *r)
{
    if (!r)
        return;
    if (r->started) {
        pthread_mutex_lock(&r->mu);
        r->stop = true;
        pthread_cond_signal(&r->cv);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->thread, NULL);
    }
    store_close(r->pool);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    xfree(r->url);
    xfree(r);
}

int64_t store_replica_max_lag_ms(const struct store_replica *r)
{
    return r->max_lag_ms;
}

enum store_replica_state store_replica_state(struct store_replica *r)
{
    if (!__atomic_load_n(&r->up, __ATOMIC_ACQUIRE))
        return STORE_REPLICA_DOWN;
    /* A lag measured long ago says nothing about now (the monitor is stuck on a query):
     * the sample must be younger than the limit too, so what the standby shows is at most
     * 2 x max_lag_ms old (the read-your-writes window is that). */
    int64_t age_ms = (time_mono_ns() - load64(&r->sampled_ns)) / 1000000;
    if (load64(&r->lag_ms) > r->max_lag_ms || age_ms > r->max_lag_ms)
        return STORE_REPLICA_LAG;
    return STORE_REPLICA_OK;
}

void store_replica_fallback(struct store_replica *r, enum store_replica_state why)
{
    if (why == STORE_REPLICA_DOWN)
        __atomic_add_fetch(&r->fallback_down, 1, __ATOMIC_RELAXED);
    else if (why == STORE_REPLICA_LAG)
        __atomic_add_fetch(&r->fallback_lag, 1, __ATOMIC_RELAXED);
}

enum rc store_replica_acquire(struct store_replica *r, struct conn **out, struct err *e)
{
    struct store *pool = __atomic_load_n(&r->pool, __ATOMIC_ACQUIRE);
    *out = NULL;
    if (!pool)
        return err_set(e, RC_UNAVAILABLE, NULL, "replica not connected");
    enum rc rc = store_acquire(pool, out, e);
    if (rc == RC_OK)
        __atomic_add_fetch(&r->reads, 1, __ATOMIC_RELAXED);
    else if (rc == RC_UNAVAILABLE)
        store_replica_lost(r);
    return rc;
}

void store_replica_lost(struct store_replica *r)
{
    /* Until the monitor's next sample succeeds. */
    __atomic_store_n(&r->up, 0, __ATOMIC_RELEASE);
}

void store_replica_stats(struct store_replica *r, struct store_replica_stats *out)
{
    out->up = __atomic_load_n(&r->up, __ATOMIC_ACQUIRE) != 0;
    out->lag_ms = load64(&r->lag_ms);
    out->reads = __atomic_load_n(&r->reads, __ATOMIC_RELAXED);
    out->fallback_down = __atomic_load_n(&r->fallback_down, __ATOMIC_RELAXED);
    out->fallback_lag = __atomic_load_n(&r->fallback_lag, __ATOMIC_RELAXED);
    out->retried = __atomic_load_n(&r->retried, __ATOMIC_RELAXED);
}

void store_replica_retried(struct store_replica *r)
{
    __atomic_add_fetch(&r->retried, 1, __ATOMIC_RELAXED);
    store_replica_lost(r);
}
