/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_grant: the delivery side of policies (兑现) — 免申即享 runs, grants, 即申即享 /
 * 申报审批 applications and their statistics (DESIGN §6, issue 5 items 5 and 6).
 * Policies themselves (drafts, versions, publication, matching) are src/policy/policy.h.
 *
 * A run (policy_run.c) evaluates every enterprise against the published policies
 * with the batch evaluator of src/rules and writes one grant per eligible
 * (policy, enterprise): matched → notified → confirmed (意愿确认) | declined → paid
 * (拨付). Re-running is idempotent: an existing grant is never duplicated; a
 * changed amount of an unconfirmed grant is updated (audited), a confirmed,
 * declined or paid grant is never touched. An application (policy_app.c) stores the
 * values the enterprise typed as self-declared facts, evaluates the policy with
 * the row evaluator and is approved at once when the policy is 即申即享, the
 * outcome eligible and every TRUE condition rests on authoritative facts; else it
 * waits in the issuing department's queue. Approval creates a confirmed grant.
 *
 * Who may see what, in every query: an enterprise its own grants and applications;
 * a policy officer those of its department's policies; a supervisor those of
 * enterprises in its organisation's region; an administrator all (and acts on
 * nothing). A refused action changes nothing: RC_FORBIDDEN for the wrong role or
 * organisation, RC_STATE for the wrong state, with a Chinese message. Every state
 * change writes an events row (entity grant or application) and an audit event in its
 * transaction.
 */
#ifndef QIFU_POLICY_GRANT_H
#define QIFU_POLICY_GRANT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../base/rc.h"
#include "../flow/flow.h"

struct conn;
struct store;
struct principal;
struct audit_actor;
struct policy_holder;
struct policy_runner;
struct job_hold;

/*
 * The grant's workflow (src/flow), entity "grant": matched → notified (notify, by the
 * issuing department) → confirmed | declined (by the enterprise; decline also from
 * matched) → paid (pay, by the issuing department). The states are indexed by
 * policy_grant_state; a caller's relations to a grant are policy_grant_rel bits.
 */
extern const struct flow policy_grant_flow;

/*
 * The application's workflow (src/flow), entity "application": submitted → approved |
 * rejected | more_info (by the issuing department); more_info → submitted (resubmit,
 * which may approve at once) | rejected; withdrawn by the enterprise while it waits.
 * Relations are the grant's: PGR_OWNER the applicant, PGR_ISSUER the reviewing department.
 */
extern const struct flow policy_app_flow;

enum policy_grant_state { PG_MATCHED, PG_NOTIFIED, PG_CONFIRMED, PG_DECLINED, PG_PAID, PG__N };
enum policy_grant_rel {
    PGR_OWNER = 1u << 0,  /* the enterprise the grant (application) is for */
    PGR_ISSUER = 1u << 1, /* a policy officer of the policy's issuing department */
};

/*
 * Checks a payment: paid > 0; paid ≤ granted unless a reason is given (granted < 0:
 * not known, so a reason is required). RC_INVALID naming "amount" or "reason".
 */
enum rc policy_grant_pay_check(int64_t granted, int64_t paid, const char *reason,
                               struct err *e) WARN_UNUSED;

/* ---- runs (policy_run.c) ------------------------------------------------------ */

/* Progress callback of a run: phase "load", "evaluate", "write"; counts enterprises. */
typedef void (*policy_run_progress_fn)(void *ctx, const char *phase, int64_t done, int64_t total);

struct policy_run_opts {
    int64_t policy_id;               /* 0: every published 免申即享 policy */
    bool dry_run;                    /* evaluate and summarise, write nothing */
    int n_threads;                   /* batch evaluator threads (0: 2) */
    policy_run_progress_fn progress; /* may be NULL */
    void *progress_ctx;
    const volatile int *cancel;  /* non-zero stops the write phase: the run is left to be
                                  * resumed (its lease released by the caller) */
    const char *owner;           /* the run's lease holder (NULL: job_default_instance()) */
    int64_t lease_ms;            /* its lease (0: JOB_LEASE_MS_DEFAULT) */
    const struct job_hold *hold; /* the heartbeat renewing it (may be NULL): once it finds
                                  * the lease lost, the run stops and leaves the row alone */
};

/*
 * Creates a run row (state queued) for opts->policy_id started by who (org_id of the
 * starter, 0 for the CLI), with its job (policy_run_job_name) held by this process
 * (job_default_instance(), for JOB_LEASE_MS_DEFAULT), which runs it at once
 * (policy_run_exec). RC_STATE when the policy is not a published 免申即享 policy or a run
 * of it is already queued or running.
 */
enum rc policy_run_create(struct conn *c, const struct audit_actor *who, int64_t org_id,
                          int64_t policy_id, int64_t *run_id, struct err *e) WARN_UNUSED;
/* Writes the job name of run_id ("policy_run:<id>") into out. */
void policy_run_job_name(int64_t run_id, char *out, size_t n);
/*
 * Executes run run_id (0 with opts->dry_run: no row) on c, holding its job's lease as
 * opts->owner (RC_CONFLICT when it does not: the run belongs to another process). It
 * resumes from the job's checkpoint when there is one: the hits are ordered by
 * credit code, every committed chunk records the last code written and the tallies so
 * far in the same transaction (and commits only while the lease is held), so a resumed
 * run writes each grant once and ends with the summary of an uninterrupted run. It
 * refreshes h and takes its
 * snapshot of the policies in force, loads every enterprise's newest facts into a
 * rules_table, evaluates the snapshot's set, writes the grants of the run's policies
 * in chunks (progress in policy_runs) with the version each was evaluated under, and
 * stores the summary. *summary (may be NULL) is a new JSON object {policies: [...], eligible,
 * created, updated, unchanged, locked, excluded, amount_total, by_region}. A failure
 * marks the run failed with the error; RC_OK otherwise.
 */
enum rc policy_run_exec(struct conn *c, struct policy_holder *h, const struct audit_actor *who,
                        int64_t run_id, const struct policy_run_opts *opts, json_t **summary,
                        struct err *e) WARN_UNUSED;
/* Reads a run the caller may see (officer of its department, supervisor, admin). */
enum rc policy_run_get(struct conn *c, const struct principal *p, int64_t policy_id, int64_t run_id,
                       json_t **out, struct err *e) WARN_UNUSED;
/* Lists a policy's runs, newest first (new JSON array). */
enum rc policy_run_list(struct conn *c, const struct principal *p, int64_t policy_id, json_t **out,
                        struct err *e) WARN_UNUSED;
/*
 * The background runner of `qifu serve`: one thread taking queued runs from the database
 * (job_take_next of kind "policy_run", as owner with leases of lease_ms, renewed by a
 * heartbeat), polling every 250 ms and woken at once by a submit of this process. A run
 * whose holder died is taken after its lease expired and resumed from its checkpoint.
 * *out is new (policy_runner_free stops the thread: a run in progress stops after its
 * current chunk and its lease is released, so another process, or the next start,
 * resumes it).
 */
enum rc policy_runner_new(struct store *db, struct policy_holder *h, const char *owner,
                          int64_t lease_ms, struct policy_runner **out, struct err *e) WARN_UNUSED;
void policy_runner_free(struct policy_runner *r);
/*
 * Starts a run of policy_id for p (a policy officer of the issuing department):
 * creates the row queued, with a free job any process's runner may take. RC_FORBIDDEN for
 * another department, RC_STATE as policy_run_create, RC_UNAVAILABLE when the runner is
 * stopping.
 */
enum rc policy_runner_submit(struct policy_runner *r, struct conn *c, const struct principal *p,
                             int64_t policy_id, int64_t *run_id, struct err *e) WARN_UNUSED;

/* ---- grants (policy_grant.c) -------------------------------------------------- */

struct policy_grant_filter {
    int64_t policy_id;       /* 0: any */
    const char *state;       /* NULL: any */
    const char *credit_code; /* NULL: any */
    int64_t run_id;          /* 0: any */
    int64_t before_id;       /* cursor: ids below (newest first) */
    int limit;
};

/* Lists the grants the caller may see (new JSON array). */
enum rc policy_grant_list(struct conn *c, const struct principal *p,
                          const struct policy_grant_filter *f, json_t **out,
                          struct err *e) WARN_UNUSED;
/* Reads one visible grant (new JSON; RC_NOTFOUND otherwise). */
enum rc policy_grant_get(struct conn *c, const struct principal *p, int64_t id, json_t **out,
                         struct err *e) WARN_UNUSED;
/*
 * Takes an action {"action": notify|confirm|decline|pay, "note", "bank_name",
 * "bank_account", "account_name", "amount", "paid_on", "reason"} on a grant.
 */
enum rc policy_grant_act(struct conn *c, const struct principal *p, int64_t id,
                         const json_t *params, struct err *e) WARN_UNUSED;
/* Its actions and timeline are the flow's: flow_actions_of, flow_timeline_of. */

/* ---- applications (policy_app.c) ---------------------------------------------- */

/*
 * The application form of a policy for credit_code (enterprise users: their own):
 * every fact the policy reads, present (value, status, source, as-of) or missing,
 * the conditions as explained by the row evaluator, the estimated amount.
 */
enum rc policy_app_form(struct conn *c, struct policy_holder *h, const struct principal *p,
                        int64_t policy_id, const char *credit_code, json_t **out,
                        struct err *e) WARN_UNUSED;
/*
 * Submits an application {"policy_id", "facts": {name: value}} for the caller's
 * enterprise (idem_key may be NULL): the typed facts are stored as self_declared, the
 * policy evaluated; approved at once (a confirmed grant) or queued. *id is the
 * application; *existed when idem_key named an earlier one.
 */
enum rc policy_app_create(struct conn *c, struct policy_holder *h, const struct principal *p,
                          const json_t *body, const char *idem_key, int64_t *id, bool *existed,
                          struct err *e) WARN_UNUSED;

struct policy_app_filter {
    int64_t policy_id;
    const char *state;
    const char *credit_code;
    int64_t before_id;
    int limit;
};

enum rc policy_app_list(struct conn *c, const struct principal *p,
                        const struct policy_app_filter *f, json_t **out, struct err *e) WARN_UNUSED;
enum rc policy_app_get(struct conn *c, const struct principal *p, int64_t id, json_t **out,
                       struct err *e) WARN_UNUSED;
/*
 * Takes an action {"action": approve|reject|request_info|resubmit|withdraw, "reason",
 * "note", "amount", "facts"} on an application.
 */
enum rc policy_app_act(struct conn *c, struct policy_holder *h, const struct principal *p,
                       int64_t id, const json_t *params, struct err *e) WARN_UNUSED;
/* Its actions and timeline are the flow's: flow_actions_of, flow_timeline_of. */

/* ---- statistics (policy_stats.c) ---------------------------------------------- */

/*
 * Totals of grants and applications by policy, by issuing department and by region
 * (county), for the caller's scope: admin all, supervisor its region, policy officer
 * its department's policies (RC_FORBIDDEN for anyone else). New JSON object
 * {columns, by_policy, by_org, by_region, total}.
 */
enum rc policy_stats(struct conn *c, const struct principal *p, json_t **out,
                     struct err *e) WARN_UNUSED;

#endif
