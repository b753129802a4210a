/* SPDX-License-Identifier: Apache-2.0 */
/*
 * job: leases over named jobs. Every change of a lease is one conditional UPDATE whose
 * WHERE says who may make it, so the database decides between two processes; the
 * SELECT before a take only finds the candidate (skipping rows another process is
 * taking, on PostgreSQL) and learns its previous owner, for the takeover count.
 */
#include "job.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../base/buf.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../store/store.h"

int64_t job_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char default_instance[JOB_OWNER_MAX];
static pthread_once_t instance_once = PTHREAD_ONCE_INIT;

static void make_instance(void)
{
    char host[64] = "localhost";
    if (gethostname(host, sizeof(host)) != 0)
        snprintf(host, sizeof(host), "localhost");
    host[sizeof(host) - 1] = '\0';
    snprintf(default_instance, sizeof(default_instance), "%s:%ld", host, (long)getpid());
}

const char *job_default_instance(void)
{
    pthread_once(&instance_once, make_instance);
    return default_instance;
}

enum rc job_ensure(struct conn *c, const char *name, const char *kind, const char *owner,
                   int64_t lease_until, int64_t next_at, struct err *e)
{
    struct stmt *st;
    enum rc rc =
        store_prepare(c,
                      "INSERT INTO jobs (name, kind, owner, lease_until, next_at, "
                      "updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
                      &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, name);
    store_bind_text(st, 2, kind);
    store_bind_text(st, 3, owner);
    store_bind_int(st, 4, owner ? lease_until : 0);
    store_bind_int(st, 5, next_at);
    store_bind_int(st, 6, job_now());
    rc = store_run(st, e);
    store_finish(st);
    return rc;
}

void job_taken_cleanup(struct job_taken *t)
{
    if (!t)
        return;
    xfree(t->checkpoint);
    t->checkpoint = NULL;
}

/* The condition under which owner may take a due job (binds: now, now, owner). */
#define TAKEABLE "next_at <= ? AND (owner IS NULL OR lease_until <= ? OR owner = ?)"

/*
 * Takes the job the claim statement st (already bound: its first column the name, then
 * owner, lease_until) selects, if any. c is in a transaction.
 */
static enum rc take_selected(struct conn *c, struct stmt *st, const char *owner, int64_t lease_ms,
                             int64_t now, struct job_taken *t, struct err *e)
{
    enum rc rc = store_step(st, e);
    if (rc == RC_DONE) {
        store_finish(st);
        return RC_OK;
    }
    if (rc != RC_ROW) {
        store_finish(st);
        return rc;
    }
    mem_copy_text(t->name, sizeof(t->name), store_text(st, 0));
    const char *prev = store_text(st, 1);
    mem_copy_text(t->prev, sizeof(t->prev), prev ? prev : "");
    store_finish(st);
    rc = store_prepare(c,
                       "UPDATE jobs SET owner = ?, lease_until = ?, runs = runs + 1, updated_at = "
                       "? WHERE name = ? AND " TAKEABLE " RETURNING checkpoint, runs, next_at",
                       &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, owner);
    store_bind_int(st, 2, now + lease_ms);
    store_bind_int(st, 3, now);
    store_bind_text(st, 4, t->name);
    store_bind_int(st, 5, now);
    store_bind_int(st, 6, now);
    store_bind_text(st, 7, owner);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        t->taken = true;
        t->takeover = t->prev[0] && strcmp(t->prev, owner) != 0;
        t->checkpoint = store_isnull(st, 0) ? NULL : xstrdup(store_text(st, 0));
        t->runs = store_int(st, 1);
        t->next_at = store_int(st, 2);
        rc = store_step(st, e); /* PostgreSQL: the rest of the result; SQLite: the end */
    }
    if (rc == RC_DONE)
        rc = RC_OK;
    store_finish(st);
    return rc;
}

/* Cheap test without a transaction: is there anything owner could take? */
static enum rc any_takeable(struct conn *c, const char *sql, const char *key, const char *owner,
                            int64_t now, bool *any, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, sql, &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, key);
    store_bind_int(st, 2, now);
    store_bind_int(st, 3, now);
    store_bind_text(st, 4, owner);
    rc = store_step(st, e);
    *any = rc == RC_ROW;
    store_finish(st);
    return rc == RC_ROW || rc == RC_DONE ? RC_OK : rc;
}

static enum rc take(struct conn *c, bool by_kind, const char *key, const char *owner,
                    int64_t lease_ms, int64_t now, struct job_taken *t, struct err *e)
{
    memset(t, 0, sizeof(*t));
    bool any = false;
    enum rc rc = any_takeable(c,
                              by_kind ? "SELECT 1 FROM jobs WHERE kind = ? AND " TAKEABLE " LIMIT 1"
                                      : "SELECT 1 FROM jobs WHERE name = ? AND " TAKEABLE,
                              key, owner, now, &any, e);
    if (rc || !any)
        return rc;
    if ((rc = store_begin(c, e)))
        return rc;
    struct stmt *st;
    rc = store_prepare_claim(c,
                             by_kind ? "SELECT j.name, j.owner, j.lease_until FROM jobs j WHERE "
                                       "j.kind = ? AND j.next_at <= ? AND (j.owner IS NULL OR "
                                       "j.lease_until <= ? OR j.owner = ?) ORDER BY j.next_at, "
                                       "j.name LIMIT 1"
                                     : "SELECT j.name, j.owner, j.lease_until FROM jobs j WHERE "
                                       "j.name = ? AND j.next_at <= ? AND (j.owner IS NULL OR "
                                       "j.lease_until <= ? OR j.owner = ?)",
                             "j", &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, key);
        store_bind_int(st, 2, now);
        store_bind_int(st, 3, now);
        store_bind_text(st, 4, owner);
        rc = take_selected(c, st, owner, lease_ms, now, t, e);
    }
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (rc) {
        store_rollback(c);
        job_taken_cleanup(t);
        t->taken = t->takeover = false;
        return rc;
    }
    if (t->takeover)
        job_count_takeover();
    return RC_OK;
}

enum rc job_take(struct conn *c, const char *name, const char *owner, int64_t lease_ms, int64_t now,
                 struct job_taken *t, struct err *e)
{
    return take(c, false, name, owner, lease_ms, now, t, e);
}

enum rc job_take_next(struct conn *c, const char *kind, const char *owner, int64_t lease_ms,
                      int64_t now, struct job_taken *t, struct err *e)
{
    return take(c, true, kind, owner, lease_ms, now, t, e);
}

/* Runs an UPDATE/DELETE whose last two binds are name and owner; RC_CONFLICT unless it
 * changed exactly one row. */
static enum rc owned_change(struct stmt *st, const char *name, enum rc rc, struct err *e)
{
    if (rc == RC_OK && store_changes(st) != 1)
        rc = err_set(e, RC_CONFLICT, NULL, "job %s: lease lost (held by another process)", name);
    store_finish(st);
    return rc;
}

enum rc job_renew(struct conn *c, const char *name, const char *owner, int64_t lease_ms,
                  int64_t now, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(
        c, "UPDATE jobs SET lease_until = ?, updated_at = ? WHERE name = ? AND owner = ?", &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, now + lease_ms);
    store_bind_int(st, 2, now);
    store_bind_text(st, 3, name);
    store_bind_text(st, 4, owner);
    return owned_change(st, name, store_run(st, e), e);
}

enum rc job_checkpoint(struct conn *c, const char *name, const char *owner, const char *checkpoint,
                       int64_t lease_ms, int64_t now, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               "UPDATE jobs SET checkpoint = ?, lease_until = ?, updated_at = ? "
                               "WHERE name = ? AND owner = ?",
                               &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, checkpoint);
    store_bind_int(st, 2, now + lease_ms);
    store_bind_int(st, 3, now);
    store_bind_text(st, 4, name);
    store_bind_text(st, 5, owner);
    return owned_change(st, name, store_run(st, e), e);
}

enum rc job_release(struct conn *c, const char *name, const char *owner, int64_t next_at,
                    struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               "UPDATE jobs SET owner = NULL, lease_until = 0, next_at = ?, "
                               "updated_at = ? WHERE name = ? AND owner = ?",
                               &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, next_at);
    store_bind_int(st, 2, job_now());
    store_bind_text(st, 3, name);
    store_bind_text(st, 4, owner);
    return owned_change(st, name, store_run(st, e), e);
}

enum rc job_delete(struct conn *c, const char *name, const char *owner, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, "DELETE FROM jobs WHERE name = ? AND owner = ?", &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, name);
    store_bind_text(st, 2, owner);
    return owned_change(st, name, store_run(st, e), e);
}

/* ---- the heartbeat ------------------------------------------------------------------ */

struct job_hold {
    struct store *db;
    char name[JOB_NAME_MAX];
    char owner[JOB_OWNER_MAX];
    int64_t lease_ms;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    int lost; /* read with __atomic_load_n */
};

static void *beat(void *arg)
{
    struct job_hold *h = arg;
    int64_t period = h->lease_ms / 3 > 0 ? h->lease_ms / 3 : 1;
    pthread_mutex_lock(&h->mu);
    while (!h->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += period / 1000;
        until.tv_nsec += (long)(period % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&h->cv, &h->mu, &until);
        if (h->stop)
            break;
        pthread_mutex_unlock(&h->mu);
        struct conn *c;
        struct err e;
        err_clear(&e);
        enum rc rc = store_acquire(h->db, &c, &e);
        if (rc == RC_OK) {
            rc = job_renew(c, h->name, h->owner, h->lease_ms, job_now(), &e);
            store_release(c);
        }
        pthread_mutex_lock(&h->mu);
        if (rc == RC_CONFLICT) {
            log_warn("job %s: lease lost, %s stops working on it", h->name, h->owner);
            __atomic_store_n(&h->lost, 1, __ATOMIC_RELAXED);
            break;
        }
        if (rc)
            log_warn("job %s: lease renewal failed (retried): %s", h->name, e.msg);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

enum rc job_hold_start(struct store *db, const char *name, const char *owner, int64_t lease_ms,
                       struct job_hold **out, struct err *e)
{
    struct job_hold *h = xcalloc(1, sizeof(*h));
    h->db = db;
    mem_copy_text(h->name, sizeof(h->name), name);
    mem_copy_text(h->owner, sizeof(h->owner), owner);
    h->lease_ms = lease_ms > 0 ? lease_ms : JOB_LEASE_MS_DEFAULT;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    if (pthread_create(&h->thread, NULL, beat, h) != 0) {
        pthread_mutex_destroy(&h->mu);
        pthread_cond_destroy(&h->cv);
        xfree(h);
        return err_set(e, RC_INTERNAL, NULL, "cannot start the lease heartbeat");
    }
    *out = h;
    return RC_OK;
}

bool job_hold_lost(const struct job_hold *h)
{
    return h && __atomic_load_n(&h->lost, __ATOMIC_RELAXED);
}

void job_hold_stop(struct job_hold *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    h->stop = true;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    xfree(h);
}

/* ---- metrics ------------------------------------------------------------------------ */

#define N_KINDS 8

static pthread_mutex_t metrics_mu = PTHREAD_MUTEX_INITIALIZER;
/* The kinds qifu serve runs are listed from the start, so /metrics shows each with 0 on a
 * process that has not run one yet (a series that appears later is hard to alert on). */
static struct {
    char kind[32];
    unsigned long long runs;
} kinds[N_KINDS] = {{"sweep", 0}, {"notice", 0}, {"policy_run", 0}};
static unsigned long long takeovers;

void job_count_run(const char *kind)
{
    pthread_mutex_lock(&metrics_mu);
    for (int i = 0; i < N_KINDS; i++) {
        if (!kinds[i].kind[0])
            mem_copy_text(kinds[i].kind, sizeof(kinds[i].kind), kind);
        if (strcmp(kinds[i].kind, kind) == 0) {
            kinds[i].runs++;
            break;
        }
    }
    pthread_mutex_unlock(&metrics_mu);
}

void job_count_takeover(void)
{
    pthread_mutex_lock(&metrics_mu);
    takeovers++;
    pthread_mutex_unlock(&metrics_mu);
}

enum rc job_metrics(struct buf *b)
{
    pthread_mutex_lock(&metrics_mu);
    enum rc rc = buf_puts(b, "# HELP qifu_job_runs_total Background jobs this process ran, by "
                             "job (each taken under a lease, so once across processes).\n"
                             "# TYPE qifu_job_runs_total counter\n");
    for (int i = 0; i < N_KINDS && rc == RC_OK && kinds[i].kind[0]; i++)
        rc = buf_printf(b, "qifu_job_runs_total{job=\"%s\"} %llu\n", kinds[i].kind, kinds[i].runs);
    if (rc == RC_OK)
        rc = buf_printf(b,
                        "# HELP qifu_lease_takeovers_total Leases this process took over after "
                        "another holder's expired.\n# TYPE qifu_lease_takeovers_total counter\n"
                        "qifu_lease_takeovers_total %llu\n",
                        takeovers);
    pthread_mutex_unlock(&metrics_mu);
    return rc;
}
