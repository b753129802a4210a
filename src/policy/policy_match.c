/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_match: "what do I qualify for, and why" — one enterprise's stored facts, or a
 * visitor's typed facts, against every policy in force (the row evaluator of
 * src/rules, with explanations and the second pass). Nothing is stored.
 */
#include <stdlib.h>
#include <string.h>

#include "../auth/auth.h"
#include "../base/mem.h"
#include "../ent/ent.h"
#include "../rules/rules.h"
#include "../store/store.h"
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

static const char *amount_state_name(enum rules_amount a)
{
    return a == RULES_AMOUNT_KNOWN ? "known" : a == RULES_AMOUNT_UNKNOWN ? "unknown" : "none";
}

/* Ordering of the answer: eligible, manual review, possibly, ineligible; then amount. */
struct ord {
    const struct rules_result *r;
};

static int cmp_result(const void *a, const void *b)
{
    const struct rules_result *x = ((const struct ord *)a)->r, *y = ((const struct ord *)b)->r;
    static const int rank[] = {
        [RULES_ELIGIBLE] = 0, [RULES_MANUAL] = 1, [RULES_POSSIBLY] = 2, [RULES_INELIGIBLE] = 3};
    if (rank[x->outcome] != rank[y->outcome])
        return rank[x->outcome] - rank[y->outcome];
    if (x->amount != y->amount)
        return x->amount > y->amount ? -1 : 1;
    return x->policy_id < y->policy_id ? -1 : x->policy_id > y->policy_id;
}

static json_t *fact_ref(const struct ent_catalog *cat, const char *name)
{
    const struct ent_fact_def *d = ent_catalog_fact(cat, name);
    return json_pack("{s:s, s:s, s:s}", "fact", name, "label", d ? d->label : name, "source",
                     d ? d->source : "");
}

/* Builds the answer from an evaluated row. */
static json_t *answer(const struct ent_catalog *cat, const struct policy_snap *s,
                      const struct rules_row *row, bool explain)
{
    size_t n = row->n;
    struct ord *ord = xcalloc(n ? n : 1, sizeof(*ord));
    for (size_t i = 0; i < n; i++)
        ord[i].r = &row->results[i];
    qsort(ord, n, sizeof(*ord), cmp_result);
    json_t *items = json_array();
    size_t counts[4] = {0};
    int64_t total = 0;
    bool total_partial = false;
    const struct rules_set *set = policy_snap_set(s);
    for (size_t k = 0; k < n; k++) {
        const struct rules_result *r = ord[k].r;
        long idx = rules_set_find(set, r->policy_id);
        const struct policy_info *pi = idx >= 0 ? policy_snap_info(s, (size_t)idx) : NULL;
        if (!pi)
            continue;
        counts[r->outcome]++;
        if (r->outcome == RULES_ELIGIBLE) {
            if (r->amount_state == RULES_AMOUNT_KNOWN)
                total += r->amount;
            else if (r->amount_state == RULES_AMOUNT_UNKNOWN)
                total_partial = true;
        }
        json_t *missing = json_array();
        for (size_t m = 0; m < r->n_missing; m++)
            json_array_append_new(missing, fact_ref(cat, r->missing[m]));
        const char *dl = policy_delivery_label(pi->delivery);
        json_t *it = json_pack(
            "{s:{s:o, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:i, s:s, s:s*}, s:s, s:s, s:o, s:s, "
            "s:o, s:o, s:b, s:b, s:o}",
            "policy", "id", policy_id_json(pi->id), "title", pi->title ? pi->title : "", "doc_no",
            pi->doc_no ? pi->doc_no : "", "delivery", pi->delivery ? pi->delivery : "",
            "delivery_label", dl ? dl : "", "org", "code", pi->org_code, "name", pi->org_name,
            "version", pi->version, "category", pi->category ? pi->category : "", "valid_to",
            pi->valid_to, "outcome", rules_outcome_name(r->outcome), "outcome_label",
            outcome_label(r->outcome), "amount_fen",
            r->amount_state == RULES_AMOUNT_KNOWN ? json_integer(r->amount) : json_null(),
            "amount_state", amount_state_name(r->amount_state), "amount_before_fen",
            r->amount_state == RULES_AMOUNT_KNOWN || r->amount_before
                ? json_integer(r->amount_before)
                : json_null(),
            "excluded_by", r->excluded_by ? policy_id_json(r->excluded_by) : json_null(), "capped",
            r->capped, "authoritative", r->authoritative, "missing", missing);
        if (explain && r->explanation)
            json_object_set_new(it, "explanation", json_deep_copy(r->explanation));
        json_array_append_new(items, it);
    }
    xfree(ord);
    json_t *ranked = json_array();
    for (size_t m = 0; m < row->n_missing; m++) {
        json_t *f = fact_ref(cat, row->missing[m]);
        json_object_set_new(f, "policies", json_integer((json_int_t)row->missing_counts[m]));
        json_array_append_new(ranked, f);
    }
    char today[11];
    policy__today(today);
    return json_pack(
        "{s:s, s:I, s:o, s:o, s:{s:I, s:I, s:I, s:I}, s:I, s:b}", "as_of", today, "set_version",
        (json_int_t)policy_snap_version(s), "items", items, "missing_ranked", ranked, "counts",
        "eligible", (json_int_t)counts[RULES_ELIGIBLE], "manual_review",
        (json_int_t)counts[RULES_MANUAL], "possibly_eligible", (json_int_t)counts[RULES_POSSIBLY],
        "ineligible", (json_int_t)counts[RULES_INELIGIBLE], "estimated_total_fen",
        (json_int_t)total, "estimated_total_partial", total_partial);
}

static enum rc evaluate(struct policy_holder *h, struct conn *c, const struct rules_facts *f,
                        bool explain, json_t **out, struct err *e)
{
    struct policy_snap *s = policy_current(h, c);
    struct rules_row *row = NULL;
    enum rc rc = rules_eval(policy_snap_set(s), f, policy__today(NULL), explain ? RULES_EXPLAIN : 0,
                            &row, e);
    if (rc == RC_OK)
        *out = answer(policy_holder_catalog(h), s, row, explain);
    rules_row_free(row);
    policy_release(h, s);
    return rc;
}

enum rc policy_match_enterprise(struct conn *c, struct policy_holder *h, const struct principal *p,
                                const char *credit_code, json_t **out, struct err *e)
{
    const struct ent_catalog *cat = policy_holder_catalog(h);
    struct ent_scope scope = {0};
    char prefix[8];
    if (p->role == ROLE_ADMIN) {
        scope.all = true;
    } else if (p->role == ROLE_ENTERPRISE) {
        scope.credit_code = p->credit_code ? p->credit_code : "";
    } else {
        if (p->org_region)
            scope.region_prefix = ent_region_prefix(p->org_region, prefix);
        scope.user_id = p->user_id;
    }
    json_t *facts = NULL;
    enum rc rc = ent_facts_get(c, cat, &scope, credit_code, false, &facts, e);
    if (rc)
        return rc;
    struct rules_facts *f = rules_facts_new(policy_holder_rules_catalog(h));
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(facts, "items"), i, it)
    {
        const char *name = json_string_value(json_object_get(it, "fact"));
        const struct ent_fact_def *d = name ? ent_catalog_fact(cat, name) : NULL;
        char *canon = NULL;
        struct err fe;
        if (!d || ent_fact_from_json(d, json_object_get(it, "value"), name, &canon, &fe))
            continue; /* a value the catalogue no longer accepts counts as missing */
        const char *status = json_string_value(json_object_get(it, "status"));
        bool auth = status && strcmp(status, "authoritative") == 0;
        if (rules_facts_set(f, name, canon, auth, &fe))
            rules_facts_unset(f, name);
        xfree(canon);
    }
    json_decref(facts);
    rc = evaluate(h, c, f, true, out, e);
    rules_facts_free(f);
    if (rc == RC_OK)
        json_object_set_new(*out, "credit_code", json_string(credit_code));
    return rc;
}

enum rc policy_match_facts(struct policy_holder *h, const json_t *facts, bool explain, json_t **out,
                           struct err *e)
{
    const struct ent_catalog *cat = policy_holder_catalog(h);
    if (!json_is_object(facts))
        return err_set(e, RC_INVALID, "facts", "facts 应为对象，例如 {\"region\": \"340811\"}");
    if (json_object_size(facts) > POLICY_MATCH_MAX_FACTS)
        return err_set(e, RC_TOOLARGE, "facts", "facts 最多 %d 项", POLICY_MATCH_MAX_FACTS);
    struct rules_facts *f = rules_facts_new(policy_holder_rules_catalog(h));
    enum rc rc = RC_OK;
    const char *name;
    json_t *v;
    char field[96];
    json_object_foreach(policy__unconst(facts), name, v)
    {
        snprintf(field, sizeof(field), "facts.%.80s", name);
        const struct ent_fact_def *d = ent_catalog_fact(cat, name);
        if (!d) {
            rc = err_set(e, RC_INVALID, field, "事实 %.80s 不在事实目录中", name);
            break;
        }
        if (json_is_null(v))
            continue;
        char *canon = NULL;
        rc = ent_fact_from_json(d, v, field, &canon, e);
        if (rc == RC_OK && strcmp(name, "region") == 0 && strlen(canon) != 6)
            rc = err_set(e, RC_INVALID, field, "注册地应为 6 位行政区划代码");
        if (rc == RC_OK && (rc = rules_facts_set(f, name, canon, false, e)) != RC_OK)
            rc = err_set(e, RC_INVALID, field, "%s 的值不正确", d->label);
        xfree(canon);
        if (rc)
            break;
    }
    if (rc == RC_OK)
        rc = evaluate(h, NULL, f, explain, out, e);
    rules_facts_free(f);
    return rc;
}
