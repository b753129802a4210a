/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_grant_int: what policy_run.c, policy_grant.c, policy_app.c and
 * policy_stats.c share — the policy row, one enterprise's facts for the row
 * evaluator, the timeline, notices and scope. The compiled set of policies in force
 * is policy.h's shared snapshot (policy_current).
 */
#ifndef QIFU_POLICY_GRANT_INT_H
#define QIFU_POLICY_GRANT_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../access/access.h"
#include "../base/rc.h"
#include "policy.h"

struct conn;
struct stmt;
struct principal;
struct audit_actor;
struct ent_catalog;
struct rules_catalog;
struct rules_set;
struct rules_facts;
struct flow;

/* A policy as the grant side needs it (the version in force). */
struct pg_policy {
    int64_t id, org_id;
    int version;       /* published_version, 0 before the first publication */
    char state[16];    /* draft, published, withdrawn, expired */
    char delivery[16]; /* mian_shen, ji_shen, shen_bao */
    char title[512];
    char org_code[64];
};

/* Loads policy id; RC_NOTFOUND "政策不存在". */
enum rc policy_grant__policy(struct conn *c, int64_t id, struct pg_policy *out,
                             struct err *e) WARN_UNUSED;

/*
 * Fills f with one enterprise's facts: the builtin ones from its record (authoritative)
 * and the newest value of every other fact with its status. *region (16 bytes) gets
 * the enterprise's region. RC_NOTFOUND "企业不存在".
 */
enum rc policy_grant__facts(struct conn *c, const char *credit_code, struct rules_facts *f,
                            char region[16], struct err *e) WARN_UNUSED;

/* Today's local date (Asia/Shanghai) as days since 1970-01-01. */
int64_t policy_grant__today(int64_t now_ms);
/* Does the caller's organisation region cover region (supervisors)? */

/* Appends an events row (entity "grant") by a system actor (a run). data may be NULL. */
enum rc policy_grant__event(struct conn *c, const struct audit_actor *who, const char *entity,
                            int64_t id, int64_t now, const char *action, const char *from,
                            const char *to, const char *note, const json_t *data,
                            struct err *e) WARN_UNUSED;
/* A notice to an organisation (org_id) or an enterprise (credit), about grant (0: none). */
enum rc policy_grant__notice(struct conn *c, int64_t org_id, const char *credit, int64_t grant_id,
                             const char *kind, const char *title, const char *body, int64_t now,
                             struct err *e) WARN_UNUSED;
/*
 * Inserts a grant inside the caller's transaction, with its event and audit event;
 * state is matched (run) or confirmed (approved application). amount < 0: unknown.
 */
struct pg_grant_new {
    const struct pg_policy *pol;
    const char *credit_code, *region;
    int64_t run_id, application_id;
    int64_t amount; /* fen; -1 = 金额待核定 */
    bool confirmed;
};
enum rc policy_grant__insert(struct conn *c, const struct audit_actor *who,
                             const struct pg_grant_new *g, int64_t now, int64_t *id,
                             struct err *e) WARN_UNUSED;
/* Binds an optional int (v < 0: NULL). */
void policy_grant__bind_opt(struct stmt *st, int i, int64_t v);

/*
 * The whole registry as a 免申即享 run reads it (builtin facts, tags, the newest
 * authoritative value of each fact) in a new rules_table of cat (*out, rules_table_free);
 * *n its rows, one per enterprise.
 */
struct rules_table;
enum rc policy_grant__registry_table(struct conn *c, const struct rules_catalog *cat,
                                     struct rules_table **out, size_t *n,
                                     struct err *e) WARN_UNUSED;
/* The caller's relations (policy_grant_rel bits) to a grant or an application of the
 * issuing department org_id and the enterprise credit. */
unsigned policy_grant__rels(const struct principal *p, int64_t org_id, const char *credit);

/* Who sees which grants and applications (src/access): scope.all every one, an
 * enterprise (ent.self) its own, the issuing department (policy.issue) those of its
 * organisation's policies, oversight (grant.region) those of its region. */
void policy_grant__scope(const struct principal *p, struct access_scope *s);
/* The scope predicate over columns credit, org and region; ACCESS_SQL_N parameters,
 * bound by access_bind. */
#define PG_SCOPE_SQL(credit, org, region) ACCESS_SQL(credit, org, region)

/* Queues a run of policy_id (policy_run.c): its row and a free job, for any process's
 * runner (policy_runner.c) to take. Checks and errors as policy_run_create. */
enum rc policy_run__queue(struct conn *c, const struct audit_actor *who, int64_t org_id,
                          int64_t policy_id, int64_t *run_id, struct err *e) WARN_UNUSED;

#endif
