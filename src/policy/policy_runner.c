/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_runner: the background runner of `qifu serve` for 免申即享 runs. Runs are queued
 * in the database (policy_runs with a job "policy_run:<id>", written by
 * policy_runner_submit in any process); the runner's thread polls for due jobs, takes
 * one under a lease (src/job), renews it with a heartbeat while policy_run_exec writes
 * the run's chunks, and releases it at the end. A process that dies leaves its lease to
 * expire, and a runner of another process resumes the run from its checkpoint.
 */
#include "policy_grant.h"
#include "policy_grant_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../audit/audit.h"
#include "../auth/auth.h"
#include "../base/jsonx.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../job/job.h"
#include "../store/store.h"

/* ---- the background runner ------------------------------------------------------------------- */

#define RUNNER_POLL_MS 250

struct policy_runner {
    struct store *db;
    struct policy_holder *h; /* borrowed: outlives the runner */
    char owner[JOB_OWNER_MAX];
    int64_t lease_ms;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool wake; /* a run was submitted here: look at once */
    int stop;  /* read by running jobs with __atomic_load_n */
    bool started;
};

/* Reads who started run_id (the actor of its grants and audit events) and its policy. */
static enum rc run_row(struct conn *c, int64_t run_id, char *actor, size_t n_actor, char *org,
                       size_t n_org, int64_t *policy_id, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               "SELECT r.started_by, o.code, COALESCE(r.policy_id, 0) FROM "
                               "policy_runs r LEFT JOIN orgs o ON o.id = r.org_id WHERE r.id = ?",
                               &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, run_id);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        mem_copy_text(actor, n_actor, store_text(st, 0));
        mem_copy_text(org, n_org, store_isnull(st, 1) ? "" : store_text(st, 1));
        *policy_id = store_int(st, 2);
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_NOTFOUND, NULL, "run %lld is gone", (long long)run_id);
    }
    store_finish(st);
    return rc;
}

/* Takes the next due run, if any, and executes it under a heartbeat. Returns true when a
 * run was taken. */
static bool runner_take_one(struct policy_runner *r)
{
    struct err e;
    err_clear(&e);
    struct conn *c;
    if (store_acquire(r->db, &c, &e)) {
        log_warn("免申即享 runner: %s", e.msg);
        return false;
    }
    struct job_taken t;
    enum rc rc = job_take_next(c, "policy_run", r->owner, r->lease_ms, job_now(), &t, &e);
    if (rc || !t.taken) {
        if (rc)
            log_warn("免申即享 runner: cannot take a run: %s", e.msg);
        store_release(c);
        return false;
    }
    job_count_run("policy_run");
    int64_t run_id = atoll(t.name + strlen("policy_run:")), policy_id = 0;
    char actor[96], org[64];
    if (t.takeover)
        log_warn("policy run %lld: taken over by %s from %s (its lease expired)", (long long)run_id,
                 r->owner, t.prev);
    else
        log_info("policy run %lld taken by %s", (long long)run_id, r->owner);
    rc = run_row(c, run_id, actor, sizeof(actor), org, sizeof(org), &policy_id, &e);
    if (rc == RC_NOTFOUND) {
        if (job_delete(c, t.name, r->owner, &e))
            log_warn("policy run %lld: %s", (long long)run_id, e.msg);
    } else if (rc == RC_OK) {
        struct job_hold *hold = NULL;
        if (job_hold_start(r->db, t.name, r->owner, r->lease_ms, &hold, &e))
            log_warn("policy run %lld: no heartbeat: %s", (long long)run_id, e.msg);
        struct audit_actor who = {actor, org};
        struct policy_run_opts o = {.policy_id = policy_id,
                                    .n_threads = 2,
                                    .cancel = &r->stop,
                                    .owner = r->owner,
                                    .lease_ms = r->lease_ms,
                                    .hold = hold};
        json_t *s = NULL;
        rc = policy_run_exec(c, r->h, &who, run_id, &o, &s, &e);
        job_hold_stop(hold);
        if (rc == RC_OK && s)
            log_info("policy run %lld done: %lld grant(s)", (long long)run_id,
                     (long long)json_integer_value(json_object_get(s, "count")));
        json_decref(s);
        if (rc && __atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
            /* Stopping: hand the run over now rather than after the lease. */
            struct err re;
            err_clear(&re);
            if (job_release(c, t.name, r->owner, 0, &re) == RC_OK)
                log_info("policy run %lld: stopped after its last chunk; released for another "
                         "process",
                         (long long)run_id);
        } else if (rc) {
            log_warn("policy run %lld: %s", (long long)run_id, e.msg);
        }
    } else {
        log_warn("policy run %lld: %s", (long long)run_id, e.msg);
    }
    job_taken_cleanup(&t);
    store_release(c);
    return true;
}

static void *runner_main(void *arg)
{
    struct policy_runner *r = arg;
    pthread_mutex_lock(&r->mu);
    while (!r->stop) {
        pthread_mutex_unlock(&r->mu);
        bool ran = runner_take_one(r);
        pthread_mutex_lock(&r->mu);
        if (ran || r->stop)
            continue;
        if (!r->wake) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += RUNNER_POLL_MS * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&r->cv, &r->mu, &until);
        }
        r->wake = false;
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

enum rc policy_runner_new(struct store *db, struct policy_holder *h, const char *owner,
                          int64_t lease_ms, struct policy_runner **out, struct err *e)
{
    struct policy_runner *r = xcalloc(1, sizeof(*r));
    r->db = db;
    r->h = h;
    mem_copy_text(r->owner, sizeof(r->owner), owner ? owner : job_default_instance());
    r->lease_ms = lease_ms > 0 ? lease_ms : JOB_LEASE_MS_DEFAULT;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    if (pthread_create(&r->thread, NULL, runner_main, r) != 0) {
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->cv);
        xfree(r);
        return err_set(e, RC_INTERNAL, NULL, "无法启动匹配线程");
    }
    r->started = true;
    *out = r;
    return RC_OK;
}

void policy_runner_free(struct policy_runner *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    __atomic_store_n(&r->stop, 1, __ATOMIC_RELAXED);
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    if (r->started)
        pthread_join(r->thread, NULL);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    xfree(r);
}

enum rc policy_runner_submit(struct policy_runner *r, struct conn *c, const struct principal *p,
                             int64_t policy_id, int64_t *run_id, struct err *e)
{
    struct pg_policy pol;
    enum rc rc = policy_grant__policy(c, policy_id, &pol, e);
    if (rc)
        return rc;
    if (!access_can(p, ACCESS_POLICY_ISSUE) || p->org_id != pol.org_id)
        return strcmp(pol.state, "draft") == 0
                   ? err_set(e, RC_NOTFOUND, NULL, "政策不存在")
                   : err_set(e, RC_FORBIDDEN, NULL,
                             "只有政策发布部门的政策专员可以发起免申即享匹配");
    if (!r || __atomic_load_n(&r->stop, __ATOMIC_RELAXED))
        return err_set(e, RC_UNAVAILABLE, NULL, "服务正在停止，请稍后重试");
    /* Queued in the database with a free job: the first runner to look takes it. */
    if ((rc = policy_run__queue(c, &p->actor, p->org_id, policy_id, run_id, e)))
        return rc;
    pthread_mutex_lock(&r->mu);
    r->wake = true;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return RC_OK;
}
