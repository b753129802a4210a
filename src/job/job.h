/* SPDX-License-Identifier: Apache-2.0 */
/*
 * job: leases over named jobs (table jobs), so that background work runs exactly once
 * across the processes of one deployment (docs/internals/job.md).
 *
 * A job is a row: name, kind, owner, lease_until, next_at, checkpoint. A process takes a
 * job when it is due (next_at <= now) and its lease is free or expired; it then holds it
 * until lease_until and must renew before that (a heartbeat at a third of the lease, see
 * job_hold_start) or stop working on it: a renewal, checkpoint or release by a process
 * that is not the owner changes nothing and answers RC_CONFLICT (the lease was lost).
 * Every take, renewal, checkpoint and release is one conditional UPDATE, so two
 * processes never both hold a job; candidates are selected with FOR UPDATE SKIP LOCKED
 * on PostgreSQL (store_prepare_claim), so a process never waits for another's take.
 *
 * Times are the real wall clock (job_now), never the test clock: leases are compared
 * across processes (and machines, which must keep their clocks in step, e.g. by NTP;
 * the lease should be far longer than their skew). Every function takes `now` so tests
 * can drive expiry without waiting.
 *
 *     struct job_taken t;
 *     if (job_take(c, "sweep", me, lease_ms, job_now(), &t, e) == RC_OK && t.taken) {
 *         ... the work ...
 *         job_release(c, "sweep", me, job_now() + interval_ms, e);
 *     }
 */
#ifndef QIFU_JOB_H
#define QIFU_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/rc.h"

struct store;
struct conn;
struct buf;
struct job_hold;

#define JOB_LEASE_MS_DEFAULT 30000
#define JOB_NAME_MAX 64
#define JOB_OWNER_MAX 96

/* What a take found. */
struct job_taken {
    bool taken;               /* this owner holds the job now */
    bool takeover;            /* it was held by another owner whose lease had expired */
    char name[JOB_NAME_MAX];  /* the job taken (job_take_next) */
    char prev[JOB_OWNER_MAX]; /* the previous owner ("" when none) */
    char *checkpoint;         /* new (xfree) or NULL: the job's checkpoint */
    int64_t next_at;          /* the due time it was taken at */
    int64_t runs;             /* times taken, this one included */
};

/* Returns the real wall-clock time in ms since the epoch (not the test clock). */
int64_t job_now(void);
/* Returns this process's default instance name, "<hostname>:<pid>" (borrowed, static). */
const char *job_default_instance(void);

/*
 * Creates job name of kind unless it exists (then nothing changes), due at next_at,
 * owned by owner (NULL: free) until lease_until. Inside or outside a transaction.
 */
enum rc job_ensure(struct conn *c, const char *name, const char *kind, const char *owner,
                   int64_t lease_until, int64_t next_at, struct err *e) WARN_UNUSED;
/*
 * Takes job name for owner until now + lease_ms when it is due and free, expired or
 * owner's own; t->taken says whether it did (a job another process holds or is taking
 * at this moment is not taken; RC_OK). Runs its own transaction: c must have none.
 * On success t->checkpoint is new (xfree), also when not taken (then NULL).
 */
enum rc job_take(struct conn *c, const char *name, const char *owner, int64_t lease_ms, int64_t now,
                 struct job_taken *t, struct err *e) WARN_UNUSED;
/* Like job_take for the due job of kind with the earliest next_at (then name). */
enum rc job_take_next(struct conn *c, const char *kind, const char *owner, int64_t lease_ms,
                      int64_t now, struct job_taken *t, struct err *e) WARN_UNUSED;
/*
 * Extends owner's lease of name to now + lease_ms. RC_CONFLICT (nothing changed) when
 * owner does not hold it: another process took it over, or it is gone.
 */
enum rc job_renew(struct conn *c, const char *name, const char *owner, int64_t lease_ms,
                  int64_t now, struct err *e) WARN_UNUSED;
/*
 * Stores checkpoint (may be NULL) and renews the lease, as job_renew. Called inside the
 * transaction of the work it records, it makes that work commit only while owner
 * holds the job (RC_CONFLICT: roll back; on PostgreSQL the row stays locked until the
 * commit, so a takeover waits for it and then sees the renewed lease).
 */
enum rc job_checkpoint(struct conn *c, const char *name, const char *owner, const char *checkpoint,
                       int64_t lease_ms, int64_t now, struct err *e) WARN_UNUSED;
/* Gives the job up: no owner, lease 0, due at next_at (the checkpoint stays). RC_CONFLICT
 * when owner does not hold it. */
enum rc job_release(struct conn *c, const char *name, const char *owner, int64_t next_at,
                    struct err *e) WARN_UNUSED;
/* Deletes the job (its work is finished). RC_CONFLICT when owner does not hold it. */
enum rc job_delete(struct conn *c, const char *name, const char *owner, struct err *e) WARN_UNUSED;
/* Frees what a take returned (t may be NULL). */
void job_taken_cleanup(struct job_taken *t);

/*
 * A heartbeat: a thread that renews owner's lease of name every lease_ms / 3 through its
 * own connection of db, until job_hold_stop. When a renewal finds the lease lost it
 * stops renewing and job_hold_lost turns true (the holder must stop working on it). A
 * renewal that fails for another reason (database unreachable) is retried at the next
 * beat. *out is new (job_hold_stop).
 */
enum rc job_hold_start(struct store *db, const char *name, const char *owner, int64_t lease_ms,
                       struct job_hold **out, struct err *e) WARN_UNUSED;
/* True once the lease was found lost. */
bool job_hold_lost(const struct job_hold *h);
/* Stops the heartbeat and frees h (h may be NULL). */
void job_hold_stop(struct job_hold *h);

/* Counts one run of job kind in this process (qifu_job_runs_total). */
void job_count_run(const char *kind);
/* Counts one takeover of an expired lease in this process (qifu_lease_takeovers_total). */
void job_count_takeover(void);
/* Appends this process's job metrics (Prometheus text) to b. */
enum rc job_metrics(struct buf *b) WARN_UNUSED;

#endif
