/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_match: "what do I qualify for, and why" — one enterprise's stored facts, or a
 * visitor's typed facts, against every policy in force (the row evaluator of
 * src/rules, with explanations and the second pass). Nothing is stored.
 */
#include <stdlib.h>
#include <string.h>

#include "../auth/auth.h"
#include "../base/buf.h"
#include "../base/jsonx.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../codes/codes.h"
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
        return "可能符合（缺少数据或待核实）";
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

/* {"fact":…,"label":…,"source":…  (the caller closes it) */
static void w_fact_ref(struct jsonx_w *w, const struct ent_catalog *cat, const char *name)
{
    const struct ent_fact_def *d = ent_catalog_fact(cat, name);
    jsonx_w_puts(w, "{\"fact\":");
    jsonx_w_str(w, name);
    jsonx_w_puts(w, ",\"label\":");
    jsonx_w_str(w, d ? d->label : name);
    jsonx_w_puts(w, ",\"source\":");
    jsonx_w_str(w, d ? d->source : "");
}

/* The name of snapshot s for caching its template: the set's version and day. */
static void set_key(const struct policy_snap *s, char key[32])
{
    snprintf(key, 32, "%lld-%lld", (long long)policy_snap_version(s),
             (long long)policy_snap_day(s));
}

/* Appends the digits of v at q; returns the end. */
static char *put_int(char *q, int64_t v)
{
    char tmp[24], *t = tmp + sizeof(tmp);
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--t = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--t = '-';
    memcpy(q, t, (size_t)(tmp + sizeof(tmp) - t));
    return q + (tmp + sizeof(tmp) - t);
}

#define PUT_LIT(q, lit) (memcpy((q), (lit), sizeof(lit) - 1), (q) += sizeof(lit) - 1)

/* Writes r's members from amount_fen to authoritative, the same in every form of an item (at
 * most AMOUNTS_MAX bytes; the names written are constants: nothing to escape). */
#define AMOUNTS_MAX 256
static char *put_amounts(char *q, const struct rules_result *r)
{
    PUT_LIT(q, ",\"amount_fen\":");
    if (r->amount_state == RULES_AMOUNT_KNOWN)
        q = put_int(q, r->amount);
    else
        PUT_LIT(q, "null");
    const char *name = amount_state_name(r->amount_state);
    size_t len = strlen(name);
    PUT_LIT(q, ",\"amount_state\":\"");
    memcpy(q, name, len);
    q += len;
    PUT_LIT(q, "\",\"amount_before_fen\":");
    if (r->amount_state == RULES_AMOUNT_KNOWN || r->amount_before)
        q = put_int(q, r->amount_before);
    else
        PUT_LIT(q, "null");
    PUT_LIT(q, ",\"excluded_by\":");
    if (r->excluded_by) {
        *q++ = '"';
        q = put_int(q, r->excluded_by);
        *q++ = '"';
    } else {
        PUT_LIT(q, "null");
    }
    if (r->capped)
        PUT_LIT(q, ",\"capped\":true");
    else
        PUT_LIT(q, ",\"capped\":false");
    if (r->authoritative)
        PUT_LIT(q, ",\"authoritative\":true");
    else
        PUT_LIT(q, ",\"authoritative\":false");
    if (r->to_verify)
        PUT_LIT(q, ",\"to_verify\":true");
    else
        PUT_LIT(q, ",\"to_verify\":false");
    return q;
}

/*
 * Appends the compact item of policy idx (policy.h: POLICY_EXPLAIN_COMPACT) to out, made in
 * a local array first and appended at once: 1,100 items of ~200 bytes written piece by piece
 * through the buffer took a quarter of a compact answer's time. Outcome and amount-state names are
 * constants and fact names identifiers (rules_catalog_add_fact), so nothing needs escaping.
 */
static enum rc compact_item(const struct rules_set *set, const struct rules_row *row, size_t idx,
                            bool first, struct buf *out)
{
    const struct rules_result *r = &row->results[idx];
    size_t n_nodes = rules_explain_nodes(set, idx);
    size_t cap = 64 + AMOUNTS_MAX + n_nodes;
    for (size_t m = 0; m < r->n_missing; m++)
        cap += strlen(r->missing[m]) + 3;
    char small[1024], *start = cap <= sizeof(small) ? small : xmalloc(cap), *q = start;
    if (!first)
        *q++ = ',';
    PUT_LIT(q, "{\"policy_id\":\"");
    q = put_int(q, r->policy_id);
    PUT_LIT(q, "\",\"outcome\":\"");
    const char *name = rules_outcome_name(r->outcome);
    size_t len = strlen(name);
    memcpy(q, name, len);
    q += len;
    *q++ = '"';
    q = put_amounts(q, r);
    PUT_LIT(q, ",\"missing\":[");
    for (size_t m = 0; m < r->n_missing; m++) {
        if (m)
            *q++ = ',';
        *q++ = '"';
        len = strlen(r->missing[m]);
        memcpy(q, r->missing[m], len);
        q += len;
        *q++ = '"';
    }
    PUT_LIT(q, "],\"status\":\"");
    struct err e;
    enum rc rc = rules_explain_status(set, row, idx, q, &e);
    q += n_nodes;
    PUT_LIT(q, "\"}");
    if (rc == RC_OK)
        rc = buf_append(out, start, (size_t)(q - start));
    if (start != small)
        xfree(start);
    return rc;
}

/* Writes the answer from an evaluated row; credit_code may be NULL (a visitor). */
static enum rc answer(const struct ent_catalog *cat, const struct policy_snap *s,
                      struct rules_row *row, const struct rules_facts *f, int64_t day,
                      enum policy_explain how, const char *credit_code, struct buf *out)
{
    bool full = how == POLICY_EXPLAIN_FULL, compact = how == POLICY_EXPLAIN_COMPACT;
    size_t n = row->n;
    struct ord *ord = xcalloc(n ? n : 1, sizeof(*ord));
    for (size_t i = 0; i < n; i++)
        ord[i].r = &row->results[i];
    qsort(ord, n, sizeof(*ord), cmp_result);
    /* One allocation for the whole answer (megabytes with explanations). */
    const struct rules_set *set = policy_snap_set(s);
    size_t need = 512 + row->n_missing * 160 + (full ? rules_set_explain_size(set) : 0);
    for (size_t i = 0; i < n; i++)
        need += (full ? 640 : 256) + row->results[i].n_missing * (full ? 160 : 40);
    if (compact)
        need += 2 * 600 * ent_catalog_size(cat); /* values and values_years */
    struct jsonx_w w = {out, buf_reserve(out, need)};
    size_t counts[4] = {0};
    int64_t total = 0;
    bool total_partial = false;
    char today[11];
    policy__today(today);
    JSONX_W_LIT(&w, "{");
    if (credit_code) {
        JSONX_W_LIT(&w, "\"credit_code\":");
        jsonx_w_str(&w, credit_code);
        JSONX_W_LIT(&w, ",");
    }
    JSONX_W_LIT(&w, "\"as_of\":");
    jsonx_w_str(&w, today);
    JSONX_W_LIT(&w, ",\"set_version\":");
    jsonx_w_int(&w, policy_snap_version(s));
    char key[32];
    set_key(s, key);
    JSONX_W_LIT(&w, ",\"set_key\":");
    jsonx_w_str(&w, key);
    if (compact) {
        struct err xe;
        JSONX_W_LIT(&w, ",\"explain\":\"compact\",\"values\":");
        if (w.rc == RC_OK)
            w.rc = rules_explain_values(set, row, f, day, false, out, &xe);
        JSONX_W_LIT(&w, ",\"values_years\":");
        if (w.rc == RC_OK)
            w.rc = rules_explain_values(set, row, f, day, true, out, &xe);
    }
    JSONX_W_LIT(&w, ",\"items\":[");
    bool first = true;
    for (size_t k = 0; k < n && w.rc == RC_OK; k++) {
        const struct rules_result *r = ord[k].r;
        size_t idx = (size_t)(r - row->results); /* the row is in set order */
        const struct policy_info *pi = policy_snap_info(s, idx);
        if (!pi)
            continue;
        counts[r->outcome]++;
        if (r->outcome == RULES_ELIGIBLE) {
            if (r->amount_state == RULES_AMOUNT_KNOWN)
                total += r->amount;
            else if (r->amount_state == RULES_AMOUNT_UNKNOWN)
                total_partial = true;
        }
        if (compact) {
            if (w.rc == RC_OK)
                w.rc = compact_item(set, row, idx, first, out);
            first = false;
            continue;
        }
        jsonx_w_puts(&w, first ? "{\"policy\":" : ",{\"policy\":");
        first = false;
        jsonx_w_raw(&w, pi->json, pi->json_len);
        JSONX_W_LIT(&w, ",\"outcome\":");
        jsonx_w_str(&w, rules_outcome_name(r->outcome));
        JSONX_W_LIT(&w, ",\"outcome_label\":");
        jsonx_w_str(&w, outcome_label(r->outcome));
        char amounts[AMOUNTS_MAX];
        jsonx_w_raw(&w, amounts, (size_t)(put_amounts(amounts, r) - amounts));
        JSONX_W_LIT(&w, ",\"missing\":[");
        for (size_t m = 0; m < r->n_missing; m++) {
            if (m)
                JSONX_W_LIT(&w, ",");
            w_fact_ref(&w, cat, r->missing[m]);
            JSONX_W_LIT(&w, "}");
        }
        JSONX_W_LIT(&w, "]");
        struct err xe;
        if (full) {
            JSONX_W_LIT(&w, ",\"explanation\":");
            if (w.rc == RC_OK)
                w.rc = rules_explain(set, row, f, day, idx, out, &xe);
        }
        JSONX_W_LIT(&w, "}");
    }
    xfree(ord);
    JSONX_W_LIT(&w, "],\"missing_ranked\":[");
    for (size_t m = 0; m < row->n_missing; m++) {
        if (m)
            JSONX_W_LIT(&w, ",");
        if (compact) {
            JSONX_W_LIT(&w, "{\"fact\":");
            jsonx_w_str(&w, row->missing[m]);
        } else {
            w_fact_ref(&w, cat, row->missing[m]);
        }
        JSONX_W_LIT(&w, ",\"policies\":");
        jsonx_w_int(&w, (int64_t)row->missing_counts[m]);
        JSONX_W_LIT(&w, "}");
    }
    JSONX_W_LIT(&w, "],\"counts\":{\"eligible\":");
    jsonx_w_int(&w, (int64_t)counts[RULES_ELIGIBLE]);
    JSONX_W_LIT(&w, ",\"manual_review\":");
    jsonx_w_int(&w, (int64_t)counts[RULES_MANUAL]);
    JSONX_W_LIT(&w, ",\"possibly_eligible\":");
    jsonx_w_int(&w, (int64_t)counts[RULES_POSSIBLY]);
    JSONX_W_LIT(&w, ",\"ineligible\":");
    jsonx_w_int(&w, (int64_t)counts[RULES_INELIGIBLE]);
    JSONX_W_LIT(&w, "},\"estimated_total_fen\":");
    jsonx_w_int(&w, total);
    jsonx_w_puts(&w, total_partial ? ",\"estimated_total_partial\":true}"
                                   : ",\"estimated_total_partial\":false}");
    return w.rc;
}

/*
 * Evaluates f against the set in force and writes the answer. For an enterprise
 * (credit_code set) an eligible outcome that rests on a self-declared value is lowered to
 * possibly eligible, to be verified (rules_row_verify); a visitor's typed facts are all
 * self-declared and only ask "what if", so they are left as they are.
 */
static enum rc evaluate(struct policy_holder *h, struct conn *c, const struct rules_facts *f,
                        enum policy_explain how, const char *credit_code, struct buf *out,
                        struct err *e)
{
    struct policy_snap *s = policy_current(h, c);
    struct rules_row *row = NULL;
    int64_t day = policy__today(NULL);
    /* Outcomes first; each explanation is then written straight into the answer, in the
     * answer's order (one copy of ~2.8 MB instead of two with 1,100 policies). */
    enum rc rc = rules_eval(policy_snap_set(s), f, day, 0, &row, e);
    if (rc == RC_OK && credit_code)
        rules_row_verify(row);
    if (rc == RC_OK && answer(policy_holder_catalog(h), s, row, f, day, how, credit_code, out))
        rc = err_set(e, RC_TOOLARGE, NULL, "匹配结果过大");
    rules_row_free(row);
    policy_release(h, s);
    return rc;
}

enum rc policy_enterprise_facts(struct conn *c, const struct ent_catalog *cat,
                                const struct principal *p, const char *credit_code,
                                struct rules_facts *f, struct err *e)
{
    json_t *facts = NULL;
    enum rc rc = ent_facts_get(c, cat, p, credit_code, false, &facts, e);
    if (rc)
        return rc;
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
    return RC_OK;
}

enum rc policy_match_enterprise(struct conn *c, struct policy_holder *h, const struct principal *p,
                                const char *credit_code, enum policy_explain how, struct buf *out,
                                struct err *e)
{
    struct rules_facts *f = rules_facts_new(policy_holder_rules_catalog(h));
    enum rc rc = policy_enterprise_facts(c, policy_holder_catalog(h), p, credit_code, f, e);
    if (rc == RC_OK)
        rc = evaluate(h, c, f, how, credit_code, out, e);
    rules_facts_free(f);
    return rc;
}

enum rc policy_match_facts(struct policy_holder *h, const json_t *facts, enum policy_explain how,
                           struct buf *out, struct err *e)
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
        /* A code the tables do not know is an error next to its field, never a silent
         * "no policy applies". */
        if (rc == RC_OK && strcmp(name, "region") == 0 &&
            (strlen(canon) != 6 || !codes_region_find(canon)))
            rc = err_set(e, RC_INVALID, field,
                         "注册地 %.20s 不是有效的 6 位行政区划代码，请按名称选择地区", canon);
        if (rc == RC_OK && strcmp(name, "industry") == 0) {
            const struct codes_industry *ind;
            struct err pe;
            err_clear(&pe);
            rc = codes_industry_parse(canon, CODES_INDUSTRY_CLASS, &ind, &pe);
            if (rc)
                rc = err_set(e, rc, field, "%s", pe.msg);
            else
                snprintf(canon, strlen(canon) + 1, "%s", ind->code); /* "C3911" → "3911" */
        }
        if (rc == RC_OK && (rc = rules_facts_set(f, name, canon, false, e)) != RC_OK)
            rc = err_set(e, RC_INVALID, field, "%s 的值不正确", d->label);
        xfree(canon);
        if (rc)
            break;
    }
    if (rc == RC_OK)
        rc = evaluate(h, NULL, f, how, NULL, out, e);
    rules_facts_free(f);
    return rc;
}

void policy_match_set_key(struct conn *c, struct policy_holder *h, char key[32])
{
    struct policy_snap *s = policy_current(h, c);
    set_key(s, key);
    policy_release(h, s);
}

/* Makes the template of s (policy_match_template) as a new text; NULL past the cap. */
static struct policy_text *make_template(const struct ent_catalog *cat, const struct policy_snap *s)
{
    const struct rules_set *set = policy_snap_set(s);
    size_t n = rules_set_size(set);
    char key[32];
    set_key(s, key);
    struct buf out;
    buf_init(&out, RULES_MAX_EXPLAIN);
    struct jsonx_w w = {&out, buf_reserve(&out, 4096 + rules_set_explain_size(set))};
    int y, m, d;
    char day[16];
    time_civil_from_days(policy_snap_day(s), &y, &m, &d);
    snprintf(day, sizeof(day), "%04d-%02d-%02d", y, m, d);
    JSONX_W_LIT(&w, "{\"set_key\":");
    jsonx_w_str(&w, key);
    JSONX_W_LIT(&w, ",\"set_version\":");
    jsonx_w_int(&w, policy_snap_version(s));
    JSONX_W_LIT(&w, ",\"as_of\":");
    jsonx_w_str(&w, day);
    JSONX_W_LIT(&w, ",\"outcome_labels\":{");
    static const enum rules_outcome outcomes[] = {RULES_ELIGIBLE, RULES_MANUAL, RULES_POSSIBLY,
                                                  RULES_INELIGIBLE};
    for (size_t i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++) {
        jsonx_w_puts(&w, i ? ",\"" : "\"");
        jsonx_w_puts(&w, rules_outcome_name(outcomes[i]));
        JSONX_W_LIT(&w, "\":");
        jsonx_w_str(&w, outcome_label(outcomes[i]));
    }
    JSONX_W_LIT(&w, "},\"facts\":{");
    for (size_t i = 0; i < ent_catalog_size(cat); i++) {
        const struct ent_fact_def *def = ent_catalog_at(cat, i);
        if (i)
            JSONX_W_LIT(&w, ",");
        jsonx_w_str(&w, def->name);
        JSONX_W_LIT(&w, ":{\"label\":");
        jsonx_w_str(&w, def->label);
        JSONX_W_LIT(&w, ",\"source\":");
        jsonx_w_str(&w, def->source);
        JSONX_W_LIT(&w, "}");
    }
    JSONX_W_LIT(&w, "},\"policies\":[");
    bool first = true;
    for (size_t i = 0; i < n && w.rc == RC_OK; i++) {
        const struct policy_info *pi = policy_snap_info(s, i);
        if (!pi)
            continue;
        jsonx_w_puts(&w, first ? "{\"policy\":" : ",{\"policy\":");
        first = false;
        jsonx_w_raw(&w, pi->json, pi->json_len);
        JSONX_W_LIT(&w, ",\"explanation\":");
        struct err xe;
        if (w.rc == RC_OK)
            w.rc = rules_explain_template(set, i, &out, &xe);
        JSONX_W_LIT(&w, "}");
    }
    JSONX_W_LIT(&w, "]}");
    struct policy_text *t = NULL;
    if (w.rc == RC_OK) {
        t = xmalloc(sizeof(*t) + buf_len(&out) + 1);
        t->len = buf_len(&out);
        memcpy(t->text, buf_str(&out), t->len + 1);
    }
    buf_cleanup(&out);
    return t;
}

enum rc policy_match_template(struct conn *c, struct policy_holder *h, char key[32],
                              struct buf *out, struct err *e)
{
    struct policy_snap *s = policy_current(h, c);
    set_key(s, key);
    /* Made once per set (every client fetches it after a publication), then copied. */
    const struct policy_text *t = policy_snap_text(s, NULL);
    if (!t)
        t = policy_snap_text(s, make_template(policy_holder_catalog(h), s));
    enum rc rc = t ? buf_append(out, t->text, t->len) : RC_TOOLARGE;
    policy_release(h, s);
    return rc ? err_set(e, RC_TOOLARGE, NULL, "政策条件模板过大") : RC_OK;
}
