/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_int: internals shared by the .c files of src/policy (policy.c, policy_named.c,
 * policy_set.c, policy_match.c, policy_seed.c). Not for other modules.
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
 * compile with conditions). Used by policy_create and the seeds.
 */
enum rc policy__create_as(struct conn *c, struct policy_holder *h, const struct audit_actor *who,
                          int64_t org_id, const json_t *doc, bool publish, int64_t *id,
                          struct err *e) WARN_UNUSED;

#endif
