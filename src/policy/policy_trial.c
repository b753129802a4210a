/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_trial: one version of one policy against one enterprise's stored facts (试算
 * before publishing). See policy_trial.h.
 */
#include "policy_trial.h"

#include <string.h>

#include "../auth/auth.h"
#include "../ent/ent.h"
#include "../rules/rules.h"
#include "policy_grant_int.h"
#include "policy_int.h"

static const char *outcome_label(enum rules_outcome o)
{
    switch (o) {
    case RULES_ELIGIBLE:
        return "符合条件";
    case RULES_MANUAL:
        return "需人工审核";
    case RULES_POSSIBLY:
        return "可能符合（缺少数据）";
    default:
        return "不符合条件";
    }
}

/* The enterprise as p may see it (ent's visibility, as GET /enterprises/{code}). */
static enum rc visible_enterprise(struct conn *c, const struct ent_catalog *cat,
                                  const struct principal *p, const char *credit_code,
                                  json_t **out, struct err *e)
{
    return ent_get(c, cat, p, credit_code, out, e);
}

static json_t *answer(const struct ent_catalog *cat, const json_t *doc, const json_t *ent,
                      const struct rules_result *r)
{
    json_t *missing = json_array();
    for (size_t m = 0; m < r->n_missing; m++) {
        const struct ent_fact_def *d = ent_catalog_fact(cat, r->missing[m]);
        json_array_append_new(missing, json_pack("{s:s, s:s, s:s}", "fact", r->missing[m],
                                                 "label", d ? d->label : r->missing[m],
                                                 "source", d ? d->source : ""));
    }
    const char *as = r->amount_state == RULES_AMOUNT_KNOWN     ? "known"
                     : r->amount_state == RULES_AMOUNT_UNKNOWN ? "unknown"
                                                               : "none";
    char today[11];
    policy__today(today);
    const char *name = json_string_value(json_object_get(ent, "name"));
    return json_pack(
        "{s:{s:O, s:O, s:O, s:O}, s:O, s:s, s:s, s:s, s:s, s:o, s:s, s:b, s:b, s:o, s:o*, s:s}",
        "policy", "id", json_object_get(doc, "id"), "title", json_object_get(doc, "title"),
        "version", json_object_get(doc, "version"), "version_state",
        json_object_get(doc, "version_state"), "credit_code", json_object_get(ent, "credit_code"),
        "enterprise_name", name ? name : "", "as_of", today, "outcome",
        rules_outcome_name(r->outcome), "outcome_label",
        r->to_verify ? "可能符合（待核实：依据企业自主申报的数据）" : outcome_label(r->outcome),
        "amount_fen", r->amount_state == RULES_AMOUNT_KNOWN ? json_integer(r->amount) : json_null(),
        "amount_state", as, "authoritative", r->authoritative, "to_verify", r->to_verify,
        "missing", missing, "explanation",
        rules_result_explanation(r), "note", "单独试算本版本：未计入“就高不重复”和限额，以发布后的匹配结果为准");
}

enum rc policy_trial(struct conn *c, struct policy_holder *h, const struct principal *p,
                     int64_t id, int version, const char *credit_code, json_t **out,
                     struct err *e)
{
    const struct ent_catalog *cat = policy_holder_catalog(h);
    const struct rules_catalog *rcat = policy_holder_rules_catalog(h);
    json_t *doc = NULL, *ent = NULL;
    struct rules_named *named = NULL;
    struct rules_policy *pol = NULL;
    struct rules_set *set = NULL;
    struct rules_facts *f = NULL;
    struct rules_row *row = NULL;
    char region[16];
    enum rc rc = policy_get(c, h, p, id, version, &doc, e);
    if (rc == RC_OK)
        rc = visible_enterprise(c, cat, p, credit_code, &ent, e);
    if (rc == RC_OK && !json_is_object(json_object_get(json_object_get(doc, "rules"), "conditions")))
        rc = err_set(e, RC_STATE, NULL, "尚未填写享受条件，无法试算");
    if (rc == RC_OK)
        rc = policy__named_for(c, id, (int)json_integer_value(json_object_get(doc, "version")),
                               &named, e);
    if (rc == RC_OK)
        rc = policy__compile(rcat, named, doc, json_object_get(doc, "rules"), id, &pol, e);
    if (rc == RC_OK) {
        set = rules_set_new(rcat, &pol, 1);
        pol = NULL;
        f = rules_facts_new(rcat);
        rc = policy_grant__facts(c, credit_code, f, region, e);
    }
    if (rc == RC_OK)
        rc = rules_eval(set, f, policy__today(NULL), RULES_EXPLAIN, &row, e);
    if (rc == RC_OK)
        rules_row_verify(row); /* a self-declared value makes it "to be verified" */
    if (rc == RC_OK && row->n != 1)
        rc = err_set(e, RC_INTERNAL, NULL, "trial: expected one result, got %zu", row->n);
    if (rc == RC_OK)
        *out = answer(cat, doc, ent, &row->results[0]);
    rules_row_free(row);
    rules_facts_free(f);
    rules_set_free(set);
    rules_policy_free(pol);
    rules_named_free(named);
    json_decref(ent);
    json_decref(doc);
    return rc;
}

enum rc policy_reach(struct conn *c, struct policy_holder *h, const struct principal *p, int64_t id,
                     int version, json_t **out, struct err *e)
{
    const struct rules_catalog *rcat = policy_holder_rules_catalog(h);
    json_t *doc = NULL;
    struct rules_named *named = NULL;
    struct rules_policy *pol = NULL;
    struct rules_set *set = NULL;
    struct rules_table *table = NULL;
    struct rules_counts counts = {0};
    size_t n = 0;
    char today[11];
    int64_t day = policy__today(today);
    enum rc rc = policy_get(c, h, p, id, version, &doc, e);
    if (rc == RC_OK &&
        !json_is_object(json_object_get(json_object_get(doc, "rules"), "conditions")))
        rc = err_set(e, RC_STATE, NULL, "尚未填写享受条件，无法统计可匹配的企业");
    if (rc == RC_OK)
        rc = policy__named_for(c, id, (int)json_integer_value(json_object_get(doc, "version")),
                               &named, e);
    if (rc == RC_OK)
        rc = policy__compile(rcat, named, doc, json_object_get(doc, "rules"), id, &pol, e);
    if (rc == RC_OK) {
        set = rules_set_new(rcat, &pol, 1);
        pol = NULL;
        rc = policy_grant__registry_table(c, rcat, &table, &n, e);
    }
    /* The validity window is the publisher's business here: the count is of enterprises
     * whose data meet the conditions and region scope today, not of the policy in force. */
    if (rc == RC_OK)
        rc = rules_batch_run(set, table, day, 2, NULL, NULL, &counts, e);
    if (rc == RC_OK)
        *out = json_pack("{s:{s:O, s:O, s:O, s:O}, s:s, s:I, s:I, s:I, s:I, s:s}", "policy", "id",
                         json_object_get(doc, "id"), "title", json_object_get(doc, "title"),
                         "version", json_object_get(doc, "version"), "version_state",
                         json_object_get(doc, "version_state"), "as_of", today, "enterprises",
                         (json_int_t)n, "eligible", (json_int_t)counts.eligible, "possibly",
                         (json_int_t)counts.possibly, "manual", (json_int_t)counts.manual, "note",
                         "按企业库现有的权威数据单独评估本版本：未计入“就高不重复”和限额");
    rules_table_free(table);
    rules_set_free(set);
    rules_policy_free(pol);
    rules_named_free(named);
    json_decref(doc);
    return rc;
}
