/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_named: loading the named conditions (the current ones, or the versions a
 * published policy version pinned) and compiling a policy version with them. Shared by
 * policy.c (editing and publishing) and policy_set.c (the set in force), which keeps
 * the dependency one-way: policy.c -> policy_set.c -> policy_named.c.
 */
#include <jansson.h>

#include "../base/log.h"
#include "../rules/rules.h"
#include "../store/store.h"
#include "policy_int.h"

enum rc policy__load_named(struct conn *c, struct rules_named **out, struct err *e)
{
    struct stmt *st;
    struct rules_named *nc = rules_named_new();
    enum rc rc =
        store_prepare(c, "SELECT name, label, node FROM named_conditions ORDER BY name", &st, e);
    if (rc) {
        rules_named_free(nc);
        return rc;
    }
    while ((rc = store_step(st, e)) == RC_ROW) {
        json_t *node = json_loads(store_text(st, 2), 0, NULL);
        json_t *def = json_pack("{s:s, s:s, s:o*}", "name", store_text(st, 0), "label",
                                store_text(st, 1), "node", node);
        struct err ne;
        if (!node || rules_named_add(nc, def, &ne))
            log_warn("policy: named condition %s is unusable", store_text(st, 0));
        json_decref(def);
    }
    store_finish(st);
    if (rc != RC_DONE) {
        rules_named_free(nc);
        return rc;
    }
    *out = nc;
    return RC_OK;
}

enum rc policy__compile(const struct rules_catalog *rcat, const struct rules_named *named,
                        const json_t *meta, const json_t *rules, int64_t id,
                        struct rules_policy **out, struct err *e)
{
    const char *scope[POLICY_MAX_SCOPE];
    size_t n = 0, i;
    json_t *v;
    json_array_foreach(json_object_get(meta, "region_scope"), i, v)
    {
        if (n < POLICY_MAX_SCOPE && json_is_string(v))
            scope[n++] = json_string_value(v);
    }
    struct rules_opts opts = {.scope = scope, .n_scope = n};
    enum rc rc = rules_compile(rcat, named, rules, id, &opts, out, e);
    if (rc)
        err_prefix_field(e, "rules");
    return rc;
}

/* Reads one stored version of a named condition as a new {label, node}; *out NULL if none. */
enum rc policy__condition_version(struct conn *c, const char *name, int64_t version, json_t **out,
                                  struct err *e)
{
    struct stmt *st;
    *out = NULL;
    enum rc rc = store_prepare(
        c, "SELECT label, node FROM named_condition_versions WHERE name = ? AND version = ?", &st,
        e);
    if (rc)
        return rc;
    store_bind_text(st, 1, name);
    store_bind_int(st, 2, version);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        json_t *node = json_loads(store_text(st, 1), 0, NULL);
        if (node)
            *out = json_pack("{s:s, s:o}", "label", store_text(st, 0), "node", node);
        rc = RC_DONE;
    }
    store_finish(st);
    return rc == RC_DONE ? RC_OK : rc;
}

enum rc policy__named_pinned(struct conn *c, const json_t *pins, struct rules_named **out,
                             struct err *e)
{
    struct rules_named *nc = rules_named_new();
    enum rc rc = RC_OK;
    const char *name;
    json_t *v;
    json_object_foreach(policy__unconst(pins), name, v)
    {
        json_t *cv = NULL;
        if ((rc = policy__condition_version(c, name, json_integer_value(v), &cv, e)))
            break;
        if (!cv) {
            log_warn("policy: pinned condition %s version %lld is missing", name,
                     (long long)json_integer_value(v));
            continue;
        }
        json_object_set_new(cv, "name", json_string(name));
        struct err ne;
        if (rules_named_add(nc, cv, &ne))
            log_warn("policy: named condition %s is unusable", name);
        json_decref(cv);
    }
    if (rc) {
        rules_named_free(nc);
        return rc;
    }
    *out = nc;
    return RC_OK;
}
