/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_int: internals shared by the .c files of src/policy (policy.c, policy_read.c,
 * policy_flow.c, policy_cond.c, policy_named.c, policy_set.c, policy_match.c,
 * policy_seed.c). Not for other modules.
 */
#ifndef QIFU_POLICY_INT_H
#define QIFU_POLICY_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../base/rc.h"
#include "policy.h"

struct rules_named;
struct rules_policy;
struct audit_actor;
struct stmt;

/*
 * The policy's lifecycle (policy_flow, a src/flow table): the states a policy shows
 * (expired is a published policy past valid_to), the caller's relations and the
 * record's conditions.
 */
enum { PS_DRAFT, PS_PUBLISHED, PS_WITHDRAWN, PS_EXPIRED, PS__N };
enum {
    PR_ISSUER = 1u << 0, /* a policy officer of the issuing department */
    PR_ADMIN = 1u << 1,  /* an administrator */
    PR_EDITOR = PR_ISSUER | PR_ADMIN,
};
enum {
    PC_DRAFT = 1u << 0,    /* a draft version awaits publication */
    PC_OUTDATED = 1u << 1, /* a named condition the version in force pinned has a newer version */
};

/* Returns j without const (jansson's iterators take json_t *; nothing is changed). */
static inline json_t *policy__unconst(const json_t *j)
{
    union {
        const json_t *c;
        json_t *m;
    } u = {.c = j};
    return u.m;
}

/* Today in Asia/Shanghai as days since 1970-01-01, and as "YYYY-MM-DD" (out[11]). */
int64_t policy__today(char out[11]);

/* Loads every named condition into a new list (rules_named_free). */
enum rc policy__load_named(struct conn *c, struct rules_named **out, struct err *e) WARN_UNUSED;

/*
 * Loads the named conditions version v of policy id was published with (its pins), or
 * the current ones for a draft (no pins), into a new list (rules_named_free).
 */
enum rc policy__named_for(struct conn *c, int64_t id, int v, struct rules_named **out,
                          struct err *e) WARN_UNUSED;
/* Reads one stored version of a named condition as a new {label, node}; *out NULL if
 * none (policy_named.c, like policy__load_named, policy__named_pinned and
 * policy__compile). */
enum rc policy__condition_version(struct conn *c, const char *name, int64_t version, json_t **out,
                                  struct err *e) WARN_UNUSED;
/* Loads the condition versions of pins {name: version} into a new list. */
enum rc policy__named_pinned(struct conn *c, const json_t *pins, struct rules_named **out,
                             struct err *e) WARN_UNUSED;

/*
 * Compiles the rule document rules of a version whose meta (normalised) gives the region
 * scope, as policy id. On error the field is prefixed with "rules." (the path inside
 * the request document). *out is new (rules_policy_free).
 */
enum rc policy__compile(const struct rules_catalog *rcat, const struct rules_named *named,
                        const json_t *meta, const json_t *rules, int64_t id,
                        struct rules_policy **out, struct err *e) WARN_UNUSED;

/* Bumps policy_set_version inside the open transaction. */
enum rc policy__bump(struct conn *c, struct err *e) WARN_UNUSED;

/*
 * Creates a policy for org_id by who (inside its own transaction, audited), checking doc
 * as policy_create does; with publish, the first version is published at once (it must
 * compile with conditions); the caller refreshes the holder (the seeds do once, after
 * the last policy). Used by policy_create and the seeds.
 */
enum rc policy__create_as(struct conn *c, struct policy_holder *h, const struct audit_actor *who,
                          int64_t org_id, const json_t *doc, bool publish, int64_t *id,
                          struct err *e) WARN_UNUSED;

/* ---- shared by the files of policies (policy.c, policy_read.c, policy_flow.c,
 * policy_cond.c) ---- */

/* A policies row as the policy files read it (policy__prow_read over PROW_COLS). */
struct prow {
    int64_t id, org_id, published_at, withdrawn_at, created_at, updated_at;
    int version, published_version; /* published_version 0 = never published */
    char state[16];
    char org_code[64];
    char org_name[256];
    char valid_to[11]; /* "" when open */
    char created_by[128], updated_by[128];
};

#define PROW_COLS                                                                                  \
    "p.id, p.org_id, p.published_at, p.withdrawn_at, p.created_at, p.updated_at, p.version, "      \
    "p.published_version, p.state, o.code, o.name, p.valid_to, p.created_by, p.updated_by"

/* What policy_act hands the lifecycle's hooks (flow_call.ctx), and what they tell it. */
struct pol_result {
    bool changed_set; /* the set in force changed: refresh the holder */
    int validated;    /* validate: the draft version it checked */
    json_t *diff;     /* publish, adopt_conditions: the conditions that changed (new) */
};
struct pol_ctx {
    struct policy_holder *h;
    struct pol_result *out;
};

/* policy.c */
/* May p edit (and see the drafts of) the policies of org_id? */
bool policy__editor_of(const struct principal *p, int64_t org_id);
json_t *policy__json_str_or_null(const char *s);
/* The state the public sees: a published policy past valid_to is expired. */
const char *policy__effective_state(const struct prow *r, const char *today);
void policy__prow_read(struct stmt *st, struct prow *r);
/*
 * Loads policy id (locked for update inside a PostgreSQL transaction when lock).
 * RC_NOTFOUND when absent or when p may not see it.
 */
enum rc policy__load_row(struct conn *c, const struct principal *p, int64_t id, bool lock,
                         struct prow *r, struct err *e) WARN_UNUSED;
/* Loads version v of policy id: meta, rules (new), state, published_at. */
enum rc policy__load_version(struct conn *c, int64_t id, int v, json_t **meta, json_t **rules,
                             char state[16], int64_t *published_at, struct err *e) WARN_UNUSED;
/* Writes the descriptive columns, regions and tags of policy id from meta. */
enum rc policy__sync_row(struct conn *c, int64_t id, const json_t *meta, const char *by,
                         int64_t now, struct err *e) WARN_UNUSED;
/* The version a caller edits: the draft, if there is one. */
int policy__draft_version(const struct prow *r);
enum rc policy__insert_version(struct conn *c, int64_t id, int v, const char *state,
                               const json_t *meta, const json_t *rules, const char *note,
                               const char *by, int64_t now, struct err *e) WARN_UNUSED;
/*
 * Checks a whole policy document and splits it into the normalised meta (new) and the
 * rule document (new reference; {} when absent). The rules are compiled when they have
 * conditions, or always with need_conditions (publishing).
 */
enum rc policy__check_doc(struct policy_holder *h, const struct rules_named *named,
                          const json_t *doc, bool need_conditions, json_t **meta_out,
                          json_t **rules_out, struct err *e) WARN_UNUSED;
/* policy_flow.c */
/* The caller's relations to a policy of org_id (PR_* bits); p may be NULL. */
unsigned policy__rels_of(const struct principal *p, int64_t org_id);
/* The record's conditions (PC_* bits): a draft awaits; the version in force is outdated. */
enum rc policy__conds_of(struct conn *c, const struct prow *r, unsigned *conds,
                         struct err *e) WARN_UNUSED;
/* policy_cond.c */
json_t *policy__time_json(int64_t ms);
/* Has a named condition that rules reach a newer version than pins (NULL: none) says? */
enum rc policy__conditions_outdated(struct conn *c, const json_t *rules, const json_t *pins,
                                    bool *out, struct err *e) WARN_UNUSED;
/* Reads the pins of version v of policy id as a new object; *out NULL for a draft. */
enum rc policy__load_pins(struct conn *c, int64_t id, int v, json_t **out,
                          struct err *e) WARN_UNUSED;
/*
 * Pins version v of policy id to the current versions of the named conditions its rules
 * reach. *pins_out (optional) receives the pins (new).
 */
enum rc policy__write_pins(struct conn *c, int64_t id, int v, const json_t *rules,
                           json_t **pins_out, struct err *e) WARN_UNUSED;
/*
 * The difference between two pin sets as a new array of {name, from_version, to_version,
 * before: {label, node} | null, after: {label, node} | null}, one item per condition whose
 * version differs.
 */
enum rc policy__pins_diff(struct conn *c, const json_t *old, const json_t *now, json_t **out,
                          struct err *e) WARN_UNUSED;

#endif
