/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_seed: loads a seed document of named conditions and policies (the demo's
 * data/policies/seed.json, embedded into the binary) through the same checks and audit
 * as the API. Loading twice creates nothing the second time.
 */
#include <stdio.h>
#include <string.h>

#include "../audit/audit.h"
#include "../base/log.h"
#include "../store/store.h"
#include "policy_int.h"

/* Is there a policy of org with this title and 文号 already? */
static enum rc seeded(struct conn *c, int64_t org_id, const char *title, const char *doc_no,
                      bool *yes, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(
        c, "SELECT 1 FROM policies WHERE org_id = ? AND title = ? AND doc_no = ?", &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, org_id);
    store_bind_text(st, 2, title);
    store_bind_text(st, 3, doc_no ? doc_no : "");
    rc = store_step(st, e);
    store_finish(st);
    *yes = rc == RC_ROW;
    return rc == RC_ROW || rc == RC_DONE ? RC_OK : rc;
}

static enum rc condition_exists(struct conn *c, const char *name, bool *yes, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, "SELECT 1 FROM named_conditions WHERE name = ?", &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, name);
    rc = store_step(st, e);
    store_finish(st);
    *yes = rc == RC_ROW;
    return rc == RC_ROW || rc == RC_DONE ? RC_OK : rc;
}

static enum rc org_of(struct conn *c, const char *code, int64_t *id, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, "SELECT id FROM orgs WHERE code = ?", &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, code);
    rc = store_step(st, e);
    if (rc == RC_ROW)
        *id = store_int(st, 0);
    store_finish(st);
    if (rc == RC_DONE)
        return err_set(e, RC_INVALID, "org", "机构 %s 不存在", code);
    return rc == RC_ROW ? RC_OK : rc;
}

enum rc policy_seed(struct conn *c, struct policy_holder *h, const struct audit_actor *who,
                    const json_t *seed, int *n_made, struct err *e)
{
    int made = 0, published = 0;
    enum rc rc = RC_OK;
    size_t i;
    json_t *d;
    char field[40];
    json_array_foreach(json_object_get(seed, "conditions"), i, d)
    {
        const char *name = json_string_value(json_object_get(d, "name"));
        bool have = false;
        snprintf(field, sizeof(field), "conditions[%zu]", i);
        if (!name) {
            rc = err_set(e, RC_INVALID, field, "缺少 name");
            break;
        }
        if ((rc = condition_exists(c, name, &have, e)))
            break;
        if (have)
            continue;
        json_t *doc = json_pack("{s:O, s:O}", "label", json_object_get(d, "label"), "node",
                                json_object_get(d, "node"));
        json_t *out = NULL;
        rc = doc ? policy_condition_put(c, h, who, NULL, name, doc, &out, e)
                 : err_set(e, RC_INVALID, field, "缺少 label 或 node");
        json_decref(doc);
        json_decref(out);
        if (rc) {
            err_prefix_field(e, field);
            break;
        }
        made++;
    }
    json_array_foreach(json_object_get(seed, "policies"), i, d)
    {
        if (rc)
            break;
        snprintf(field, sizeof(field), "policies[%zu]", i);
        const char *org = json_string_value(json_object_get(d, "org"));
        int64_t org_id = 0;
        bool have = false;
        rc = org ? org_of(c, org, &org_id, e) : err_set(e, RC_INVALID, "org", "缺少 org");
        if (rc == RC_OK)
            rc = seeded(c, org_id, json_string_value(json_object_get(d, "title")),
                        json_string_value(json_object_get(d, "doc_no")), &have, e);
        if (rc == RC_OK && !have) {
            json_t *doc = json_deep_copy(d);
            bool publish = json_is_true(json_object_get(d, "publish"));
            json_object_del(doc, "org");
            json_object_del(doc, "publish");
            int64_t id;
            rc = policy__create_as(c, h, who, org_id, doc, publish, &id, e);
            json_decref(doc);
            made += rc == RC_OK;
            published += rc == RC_OK && publish;
        }
        if (rc)
            err_prefix_field(e, field);
    }
    /* The holder takes the published policies in once, after the last (a refresh per
     * policy logged a line per policy at `qifu demo`). */
    struct err ignored;
    if (published && policy_refresh(h, c, &ignored))
        log_warn("policy: refresh after the seed failed: %s", ignored.msg);
    if (n_made)
        *n_made = made;
    return rc;
}
