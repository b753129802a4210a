/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of src/rules: the data-driven cases of tests/cases/rules/ (policy,
 * facts, day, expected outcome / amount / explanation texts / missing facts; compile
 * errors with their path), checked on both evaluators; a property test of random
 * policies and enterprises on which the row and batch evaluators must agree; and the
 * JsonLogic export.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/base/buf.h"
#include "../../src/base/mem.h"
#include "../../src/base/timeutil.h"
#include "../../src/rules/rules.h"
#include "unit.h"

/* The fact catalogue of migration 0002 (name, type, label, unit, code values). */
static struct rules_catalog *catalog(void)
{
    static const struct {
        const char *name;
        enum rules_type type;
        const char *unit, *label, *values;
    } facts[] = {
        {"region", RULES_CODE, "", "注册地行政区划", ""},
        {"industry", RULES_CODE, "", "国民经济行业", ""},
        {"founded", RULES_DATE, "", "成立日期", ""},
        {"registered_capital", RULES_MONEY, "元", "注册资本", ""},
        {"scale", RULES_CODE, "", "企业规模", "large,medium,small,micro"},
        {"tags", RULES_TAGSET, "", "资质标签", ""},
        {"employees", RULES_INT, "人", "从业人员数", ""},
        {"insured_employees", RULES_INT, "人", "参保职工人数", ""},
        {"new_graduates_hired", RULES_INT, "人", "当年新招用高校毕业生人数", ""},
        {"layoff_rate", RULES_DECIMAL, "%", "上年度裁员率", ""},
        {"revenue", RULES_MONEY, "元", "营业收入", ""},
        {"revenue_growth", RULES_DECIMAL, "%", "营业收入增长率", ""},
        {"rd_expense", RULES_MONEY, "元", "研发费用", ""},
        {"rd_ratio", RULES_DECIMAL, "%", "研发费用占营业收入比例", ""},
        {"tax_paid", RULES_MONEY, "元", "纳税总额", ""},
        {"equipment_investment", RULES_MONEY, "元", "设备投资额", ""},
        {"loan_interest", RULES_MONEY, "元", "贷款利息支出", ""},
        {"invention_patents", RULES_INT, "件", "有效发明专利数", ""},
        {"tax_credit_rating", RULES_CODE, "", "纳税信用等级", "A,B,M,C,D"},
        {"dishonest_executee", RULES_BOOL, "", "失信被执行人", ""},
        {"major_violation", RULES_BOOL, "", "近三年重大违法违规记录", ""},
        {"high_tech_certified_on", RULES_DATE, "", "高新技术企业认定日期", ""},
    };
    static const char *const tags[][2] = {
        {"high_tech", "高新技术企业"}, {"tech_sme", "科技型中小企业"},
        {"srdi_city", "专精特新中小企业（市级）"}, {"srdi_province", "专精特新中小企业（省级）"},
        {"little_giant", "国家级专精特新“小巨人”企业"}, {"gazelle", "瞪羚企业"},
        {"listed", "上市企业"}, {"private", "民营企业"}};
    struct rules_catalog *cat = rules_catalog_new();
    for (size_t i = 0; i < sizeof(facts) / sizeof(facts[0]); i++)
        ck_assert_int_eq(rules_catalog_add_fact(cat, facts[i].name, facts[i].type, facts[i].label,
                                                facts[i].unit, facts[i].values),
                         (int)i);
    for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
        ck_assert_int_ge(rules_catalog_add_tag(cat, tags[i][0], tags[i][1]), 0);
    return cat;
}

static int64_t day(const char *s)
{
    return time_days_from_civil(atoi(s), atoi(s + 5), atoi(s + 8));
}

/* ---- data-driven cases ------------------------------------------------------------ */

static const char *cases_dir(void)
{
    const char *d = getenv("RULES_CASES_DIR");
    return d ? d : "tests/cases/rules";
}

/* Does text occur as a "text" anywhere in the explanation tree? */
static bool has_text(const json_t *node, const char *text)
{
    const json_t *t = json_object_get(node, "text");
    if (json_is_string(t) && strcmp(json_string_value(t), text) == 0)
        return true;
    size_t i;
    const json_t *k;
    json_array_foreach(json_object_get(node, "children"), i, k) if (has_text(k, text)) return true;
    return false;
}

static void dump_texts(const json_t *node, int depth)
{
    fprintf(stderr, "%*s[%s] %s\n", depth * 2, "",
            json_string_value(json_object_get(node, "status")),
            json_string_value(json_object_get(node, "text")));
    size_t i;
    const json_t *k;
    json_array_foreach(json_object_get(node, "children"), i, k) dump_texts(k, depth + 1);
}

struct collect {
    struct rules_hit *hits;
    size_t n, cap;
};

static pthread_mutex_t collect_mu = PTHREAD_MUTEX_INITIALIZER;

static void collect_cb(void *ctx, const struct rules_hit *h)
{
    struct collect *c = ctx;
    pthread_mutex_lock(&collect_mu);
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 256;
        c->hits = xrealloc(c->hits, c->cap * sizeof(*c->hits));
    }
    c->hits[c->n++] = *h;
    pthread_mutex_unlock(&collect_mu);
}

/* Compiles the policies of a case file into a set; fails the test on an error. */
static struct rules_set *file_set(const struct rules_catalog *cat, const json_t *doc,
                                  const char *file)
{
    struct rules_named *named = rules_named_new();
    struct err e;
    size_t i;
    const json_t *x;
    json_array_foreach(json_object_get(doc, "named"), i, x)
    {
        enum rc rc = rules_named_add(named, x, &e);
        ck_assert_msg(rc == RC_OK, "%s: named[%zu]: %s", file, i, e.msg);
    }
    const json_t *pols = json_object_get(doc, "policies");
    size_t n = json_array_size(pols);
    struct rules_policy **arr = xcalloc(n ? n : 1, sizeof(*arr));
    json_array_foreach(pols, i, x)
    {
        const json_t *scope = json_object_get(x, "scope");
        const char *sc[8];
        struct rules_opts opts = {.scope = sc, .n_scope = json_array_size(scope)};
        for (size_t k = 0; k < opts.n_scope && k < 8; k++)
            sc[k] = json_string_value(json_array_get(scope, k));
        enum rc rc = rules_compile(cat, named, json_object_get(x, "rule"),
                                   json_integer_value(json_object_get(x, "id")), &opts, &arr[i],
                                   &e);
        ck_assert_msg(rc == RC_OK, "%s: policies[%zu]: %s", file, i, e.msg);
    }
    struct rules_set *set = rules_set_new(cat, arr, n);
    xfree(arr);
    rules_named_free(named);
    return set;
}


/* ---- compact explanations: template + status letters + values = the full tree ---------- */

/* Joins template node t (rules_explain_template) with status letters *st and the values. */
static json_t *join_node(const json_t *t, const char **st, const json_t *vals, const json_t *years)
{
    static const char *const names[] = {"false", "true", "unknown", "manual"};
    const char *letters = "ftum";
    const char *at = strchr(letters, **st);
    ck_assert_msg(**st && at, "status letters run out or are bad: '%s'", *st);
    (*st)++;
    json_t *n = json_object();
    const char *head[] = {"path", "id", "label", "source"};
    for (size_t i = 0; i < 4; i++)
        if (json_object_get(t, head[i]))
            json_object_set(n, head[i], json_object_get(t, head[i]));
    json_object_set_new(n, "status", json_string(names[at - letters]));
    const char *kind = json_string_value(json_object_get(t, "kind"));
    ck_assert_ptr_nonnull(kind);
    if (strcmp(kind, "leaf") == 0) {
        json_object_set(n, "expected", json_object_get(t, "expected"));
        const char *fact = json_string_value(json_object_get(t, "fact"));
        if (fact)
            json_object_set_new(n, "fact", json_string(fact));
        if (json_is_true(json_object_get(t, "manual"))) {
            json_object_set(n, "text", json_object_get(t, "text_missing"));
            return n;
        }
        const char *v = json_string_value(
            json_object_get(json_is_true(json_object_get(t, "years")) ? years : vals, fact));
        if (!v) {
            json_object_set_new(n, "actual", json_null());
            json_object_set(n, "text", json_object_get(t, "text_missing"));
        } else {
            json_object_set_new(n, "actual", json_string(v));
            char text[2048];
            snprintf(text, sizeof(text), "%s%s%s",
                     json_string_value(json_object_get(t, "text_before")), v,
                     json_string_value(json_object_get(t, "text_after")));
            json_object_set_new(n, "text", json_string(text));
        }
        return n;
    }
    json_t *kids = json_array();
    int yes = 0, no = 0, unk = 0;
    size_t i;
    const json_t *k;
    json_array_foreach(json_object_get(t, "children"), i, k)
    {
        json_t *c = join_node(k, st, vals, years);
        const char *cs = json_string_value(json_object_get(c, "status"));
        yes += strcmp(cs, "true") == 0;
        no += strcmp(cs, "false") == 0;
        unk += strcmp(cs, "unknown") == 0 || strcmp(cs, "manual") == 0;
        json_array_append_new(kids, c);
    }
    const char *before = json_string_value(json_object_get(t, "text_before"));
    char text[1024];
    if (strcmp(kind, "not") == 0)
        snprintf(text, sizeof(text), "%s%s", before,
                 yes ? "下列条件成立" : no ? "下列条件不成立" : "下列条件待定");
    else if (strcmp(kind, "at_least") == 0)
        snprintf(text, sizeof(text), "%s满足 %d 项，需至少 %d 项", before, yes,
                 (int)json_integer_value(json_object_get(t, "k")));
    else
        snprintf(text, sizeof(text), "%s满足 %d 项，不满足 %d 项，待定 %d 项", before, yes, no, unk);
    json_object_set_new(n, "text", json_string(text));
    json_object_set_new(n, "children", kids);
    return n;
}

/* The compact form of policy pi (template, status letters, values) joins up to the full
 * explanation text full. */
static void check_compact(const struct rules_set *set, struct rules_row *row,
                          const struct rules_facts *f, int64_t today, size_t pi, const char *full,
                          size_t full_len, const char *where)
{
    struct err e;
    struct buf tb, sb, vb, yb;
    buf_init(&tb, 1 << 20);
    buf_init(&sb, 1 << 20);
    buf_init(&vb, 1 << 20);
    buf_init(&yb, 1 << 20);
    ck_assert(rules_explain_template(set, pi, &tb, &e) == RC_OK);
    size_t n_nodes = rules_explain_nodes(set, pi);
    char *letters = xmalloc(n_nodes + 1);
    ck_assert(rules_explain_status(set, row, pi, letters, &e) == RC_OK);
    ck_assert(buf_append(&sb, letters, n_nodes) == RC_OK);
    xfree(letters);
    ck_assert(rules_explain_values(set, row, f, today, false, &vb, &e) == RC_OK);
    ck_assert(rules_explain_values(set, row, f, today, true, &yb, &e) == RC_OK);
    json_t *t = json_loadb(buf_str(&tb), buf_len(&tb), 0, NULL);
    json_t *v = json_loadb(buf_str(&vb), buf_len(&vb), 0, NULL);
    json_t *y = json_loadb(buf_str(&yb), buf_len(&yb), 0, NULL);
    ck_assert_msg(t && v && y, "%s: template or values are not JSON: %s %s %s", where,
                  buf_str(&tb), buf_str(&vb), buf_str(&yb));
    const char *st = buf_str(&sb);
    json_t *joined = join_node(t, &st, v, y);
    ck_assert_msg(*st == '\0', "%s: status letters left over: %s", where, st);
    json_t *want = json_loadb(full, full_len, 0, NULL);
    ck_assert_ptr_nonnull(want);
    if (!json_equal(joined, want)) {
        char *a = json_dumps(joined, JSON_COMPACT);
        ck_abort_msg("%s: compact joins to %s, want %.*s", where, a, (int)full_len, full);
    }
    json_decref(joined);
    json_decref(want);
    json_decref(t);
    json_decref(v);
    json_decref(y);
    buf_cleanup(&tb);
    buf_cleanup(&sb);
    buf_cleanup(&vb);
    buf_cleanup(&yb);
}

static void run_case(const struct rules_catalog *cat, const struct rules_set *set,
                     const json_t *cs, const char *file, size_t ci)
{
    const char *name = json_string_value(json_object_get(cs, "name"));
    char where[256];
    if (snprintf(where, sizeof(where), "%s case %zu (%s)", file, ci, name ? name : "") < 0)
        where[0] = 0;
    int64_t today = day(json_string_value(json_object_get(cs, "today")));
    struct rules_facts *f = rules_facts_new(cat);
    struct rules_table *t = rules_table_new(cat, 3); /* the row in the middle, others empty */
    json_t *facts = json_object_get(cs, "facts");
    const json_t *self = json_object_get(cs, "self_declared");
    const char *key;
    const json_t *v;
    struct err e;
    json_object_foreach(facts, key, v)
    {
        bool auth = true;
        size_t i;
        const json_t *s;
        json_array_foreach(self, i, s) if (strcmp(json_string_value(s), key) == 0) auth = false;
        ck_assert_msg(rules_facts_set(f, key, json_string_value(v), auth, &e) == RC_OK, "%s: %s",
                      where, e.msg);
        ck_assert_msg(rules_table_set(t, 1, rules_catalog_fact_index(cat, key),
                                      json_string_value(v), &e) == RC_OK,
                      "%s: %s", where, e.msg);
    }
    struct rules_row *row;
    ck_assert(rules_eval(set, f, today, RULES_EXPLAIN, &row, &e) == RC_OK);
    struct collect col = {0};
    struct rules_counts *counts = xcalloc(rules_set_size(set), sizeof(*counts));
    ck_assert(rules_batch_run(set, t, today, 2, collect_cb, &col, counts, &e) == RC_OK);
    json_t *expect = json_object_get(cs, "expect");
    json_object_foreach(expect, key, v)
    {
        long pi = rules_set_find(set, strtoll(key, NULL, 10));
        ck_assert_msg(pi >= 0, "%s: no policy %s", where, key);
        const struct rules_result *r = &row->results[pi];
        /* The explanation is JSON text written from fragments: it must parse, whole. */
        json_t *ex = rules_result_explanation(r);
        ck_assert_msg(ex && json_is_object(ex), "%s policy %s: explanation is not JSON: %.*s",
                      where, key, (int)r->explanation_len, r->explanation);
        /* rules_explain writes the same bytes from the row's node values. */
        struct buf xb;
        buf_init(&xb, 1 << 20);
        ck_assert(rules_explain(set, row, f, today, (size_t)pi, &xb, &e) == RC_OK);
        ck_assert_msg(buf_len(&xb) == r->explanation_len &&
                          memcmp(buf_str(&xb), r->explanation, r->explanation_len) == 0,
                      "%s policy %s: rules_explain wrote %s, rules_eval %.*s", where, key,
                      buf_str(&xb), (int)r->explanation_len, r->explanation);
        buf_cleanup(&xb);
        check_compact(set, row, f, today, (size_t)pi, r->explanation, r->explanation_len, where);
        const char *want = json_string_value(json_object_get(v, "outcome"));
        if (strcmp(rules_outcome_name(r->outcome), want) != 0)
            dump_texts(ex, 0);
        ck_assert_msg(strcmp(rules_outcome_name(r->outcome), want) == 0,
                      "%s policy %s: outcome %s, want %s", where, key,
                      rules_outcome_name(r->outcome), want);
        const json_t *amt = json_object_get(v, "amount");
        if (amt) {
            if (json_is_null(amt))
                ck_assert_msg(r->amount_state == RULES_AMOUNT_UNKNOWN, "%s policy %s: amount "
                              "state %d, want unknown", where, key, r->amount_state);
            else
                ck_assert_msg(r->amount_state == RULES_AMOUNT_KNOWN &&
                                  r->amount == json_integer_value(amt),
                              "%s policy %s: amount %lld (state %d), want %lld", where, key,
                              (long long)r->amount, r->amount_state,
                              (long long)json_integer_value(amt));
        }
        if (json_object_get(v, "no_amount"))
            ck_assert_int_eq(r->amount_state, RULES_AMOUNT_NONE);
        if (json_object_get(v, "excluded_by"))
            ck_assert_msg(r->excluded_by == json_integer_value(json_object_get(v, "excluded_by")),
                          "%s policy %s: excluded_by %lld", where, key, (long long)r->excluded_by);
        if (json_object_get(v, "capped"))
            ck_assert_msg(r->capped == json_is_true(json_object_get(v, "capped")),
                          "%s policy %s: capped %d", where, key, r->capped);
        if (json_object_get(v, "authoritative"))
            ck_assert_msg(r->authoritative == json_is_true(json_object_get(v, "authoritative")),
                          "%s policy %s: authoritative %d", where, key, r->authoritative);
        const json_t *miss = json_object_get(v, "missing");
        if (miss) {
            ck_assert_msg(r->n_missing == json_array_size(miss), "%s policy %s: %zu missing",
                          where, key, r->n_missing);
            for (size_t i = 0; i < r->n_missing; i++)
                ck_assert_str_eq(r->missing[i], json_string_value(json_array_get(miss, i)));
        }
        size_t i;
        const json_t *text;
        json_array_foreach(json_object_get(v, "texts"), i, text)
        {
            if (!has_text(ex, json_string_value(text)))
                dump_texts(ex, 0);
            ck_assert_msg(has_text(ex, json_string_value(text)),
                          "%s policy %s: no text \"%s\"", where, key, json_string_value(text));
        }
        json_decref(ex);
        /* The batch evaluator agrees. */
        const struct rules_hit *h = NULL;
        for (size_t k = 0; k < col.n; k++)
            if (col.hits[k].policy == (size_t)pi && col.hits[k].row == 1)
                h = &col.hits[k];
        if (r->outcome == RULES_INELIGIBLE) {
            ck_assert_msg(!h, "%s policy %s: batch has a hit", where, key);
        } else {
            ck_assert_msg(h && h->row == 1, "%s policy %s: batch has no hit", where, key);
            ck_assert_msg(h->outcome == r->outcome && h->amount_state == r->amount_state &&
                              h->amount == r->amount && h->excluded_by == r->excluded_by &&
                              h->capped == r->capped,
                          "%s policy %s: batch %d/%d/%lld, row %d/%d/%lld", where, key,
                          h->outcome, h->amount_state, (long long)h->amount, r->outcome,
                          r->amount_state, (long long)r->amount);
        }
    }
    const json_t *ranked = json_object_get(cs, "ranked_missing");
    if (ranked) {
        ck_assert_msg(row->n_missing == json_array_size(ranked), "%s: %zu ranked missing", where,
                      row->n_missing);
        for (size_t i = 0; i < row->n_missing; i++)
            ck_assert_str_eq(row->missing[i], json_string_value(json_array_get(ranked, i)));
    }
    xfree(col.hits);
    xfree(counts);
    rules_row_free(row);
    rules_table_free(t);
    rules_facts_free(f);
}

static void run_errors(const struct rules_catalog *cat, const json_t *doc, const char *file)
{
    struct rules_named *named = rules_named_new();
    struct err e;
    size_t i;
    const json_t *x;
    json_array_foreach(json_object_get(doc, "named"), i, x)
        ck_assert(rules_named_add(named, x, &e) == RC_OK);
    json_array_foreach(json_object_get(doc, "errors"), i, x)
    {
        struct rules_policy *p = NULL;
        enum rc rc = rules_compile(cat, named, json_object_get(x, "rule"), 1, NULL, &p, &e);
        const char *msg = json_string_value(json_object_get(x, "msg"));
        ck_assert_msg(rc != RC_OK, "%s errors[%zu]: compiled, want \"%s\"", file, i, msg);
        ck_assert_msg(strcmp(e.msg, msg) == 0, "%s errors[%zu]: got \"%s\", want \"%s\"", file, i,
                      e.msg, msg);
        const json_t *code = json_object_get(x, "rc");
        if (code)
            ck_assert_str_eq(rc_name(rc), json_string_value(code));
        ck_assert_ptr_null(p);
    }
    rules_named_free(named);
}

START_TEST(test_cases)
{
    struct rules_catalog *cat = catalog();
    DIR *d = opendir(cases_dir());
    ck_assert_msg(d != NULL, "no %s", cases_dir());
    struct dirent *de;
    int files = 0, cases = 0;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", cases_dir(), de->d_name);
        json_error_t je;
        json_t *doc = json_load_file(path, 0, &je);
        ck_assert_msg(doc != NULL, "%s:%d: %s", path, je.line, je.text);
        files++;
        if (json_object_get(doc, "errors")) {
            run_errors(cat, doc, de->d_name);
            cases += (int)json_array_size(json_object_get(doc, "errors"));
        }
        if (json_object_get(doc, "policies")) {
            struct rules_set *set = file_set(cat, doc, de->d_name);
            size_t i;
            const json_t *cs;
            json_array_foreach(json_object_get(doc, "cases"), i, cs)
            {
                run_case(cat, set, cs, de->d_name, i);
                cases++;
            }
            rules_set_free(set);
        }
        json_decref(doc);
    }
    closedir(d);
    ck_assert_int_ge(files, 5);
    fprintf(stderr, "rules: %d case files, %d cases\n", files, cases);
    rules_catalog_free(cat);
}
END_TEST

/* ---- property test: both evaluators agree ---------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int rn(int n)
{
    return (int)(rnd() % (uint64_t)n);
}

static const char *const regions[] = {"340104", "340202", "340822", "340825", "320102", "110101"};
static const char *const region_prefixes[] = {"34", "3401", "3408", "32", "340104", "340822"};
static const char *const industries[] = {"3911", "1311", "6511", "6421", "3912"};
static const char *const industry_prefixes[] = {"C", "39", "391", "I", "65", "13", "3911"};
static const char *const tag_codes[] = {"high_tech", "tech_sme", "srdi_city", "little_giant",
                                        "gazelle"};
static const char *const dates[] = {"2016-02-29", "2020-02-29", "2021-03-01", "2023-02-28",
                                    "2019-06-30", "2024-02-29", "2025-01-01"};
static const char *const ops_num[] = {"eq", "ne", "lt", "le", "gt", "ge"};

static json_t *rnd_num_value(const char *type)
{
    if (strcmp(type, "decimal") == 0) {
        char s[16];
        snprintf(s, sizeof(s), "%d.%d", rn(20), rn(10));
        return rn(2) ? json_string(s) : json_integer(rn(20));
    }
    if (strcmp(type, "money") == 0)
        return json_integer((json_int_t)rn(5) * 10000000);
    return json_integer(rn(10));
}

static json_t *rnd_leaf(void)
{
    static const char *const num_facts[][2] = {{"employees", "int"}, {"revenue", "money"},
                                               {"rd_ratio", "decimal"}, {"rd_expense", "money"}};
    int kind = rn(9);
    json_t *j = json_object();
    if (kind <= 2) {
        int f = rn(4);
        json_object_set_new(j, "fact", json_string(num_facts[f][0]));
        int op = rn(9);
        if (op < 6) {
            json_object_set_new(j, "op", json_string(ops_num[op]));
            json_object_set_new(j, "value", rnd_num_value(num_facts[f][1]));
        } else if (op == 6) {
            json_object_set_new(j, "op", json_string("between"));
            json_t *a = rnd_num_value(num_facts[f][1]), *b = rnd_num_value(num_facts[f][1]);
            /* Order them through their text: both are of one type. */
            char *sa = json_dumps(a, JSON_ENCODE_ANY), *sb = json_dumps(b, JSON_ENCODE_ANY);
            double da = strtod(sa[0] == '"' ? sa + 1 : sa, NULL),
                   db = strtod(sb[0] == '"' ? sb + 1 : sb, NULL);
            free(sa);
            free(sb);
            json_object_set_new(j, "value", da <= db ? json_pack("[o,o]", a, b)
                                                     : json_pack("[o,o]", b, a));
        } else {
            json_object_set_new(j, "op", json_string(op == 7 ? "in" : "not_in"));
            json_t *arr = json_array();
            for (int i = 0, n = 1 + rn(3); i < n; i++)
                json_array_append_new(arr, rnd_num_value(num_facts[f][1]));
            json_object_set_new(j, "value", arr);
        }
    } else if (kind == 3) {
        bool ind = rn(2);
        json_object_set_new(j, "fact", json_string(ind ? "industry" : "region"));
        int op = rn(4);
        const char *v = ind ? industries[rn(5)] : regions[rn(6)];
        if (op == 0) {
            json_t *arr = json_array();
            for (int i = 0, n = 1 + rn(2); i < n; i++)
                json_array_append_new(arr, json_string(ind ? industry_prefixes[rn(7)]
                                                           : region_prefixes[rn(6)]));
            json_object_set_new(j, "op", json_string("prefix_in"));
            json_object_set_new(j, "value", arr);
        } else if (op == 1) {
            json_object_set_new(j, "op", json_string(rn(2) ? "eq" : "ne"));
            json_object_set_new(j, "value", json_string(v));
        } else {
            json_object_set_new(j, "op", json_string(op == 2 ? "in" : "not_in"));
            json_object_set_new(j, "value", json_pack("[s,s]", v,
                                                      ind ? industries[rn(5)] : regions[rn(6)]));
        }
    } else if (kind == 4) {
        json_object_set_new(j, "fact", json_string("tags"));
        int op = rn(3);
        json_object_set_new(j, "op", json_string(op == 0 ? "has" : op == 1 ? "has_any" : "has_all"));
        if (op == 0)
            json_object_set_new(j, "value", json_string(tag_codes[rn(5)]));
        else
            json_object_set_new(j, "value", json_pack("[s,s]", tag_codes[rn(5)], tag_codes[rn(5)]));
    } else if (kind == 5) {
        json_object_set_new(j, "fact", json_string("founded"));
        int op = rn(8);
        if (op < 6) {
            json_object_set_new(j, "op", json_string(ops_num[op]));
            json_object_set_new(j, "value", json_string(dates[rn(7)]));
        } else if (op == 6) {
            json_object_set_new(j, "op", json_string("between"));
            json_object_set_new(j, "value", json_pack("[s,s]", "2019-01-01", dates[rn(4) + 3]));
        } else {
            json_object_set_new(j, "op", json_string("years_since"));
            json_object_set_new(j, "value", json_pack("{s:s,s:i}", "cmp", ops_num[rn(6)], "value",
                                                      rn(6)));
        }
    } else if (kind == 6) {
        json_object_set_new(j, "fact", json_string(rn(2) ? "dishonest_executee" : "scale"));
        if (strcmp(json_string_value(json_object_get(j, "fact")), "scale") == 0) {
            json_object_set_new(j, "op", json_string("in"));
            json_object_set_new(j, "value", json_pack("[s,s]", "small", rn(2) ? "micro" : "medium"));
        } else {
            json_object_set_new(j, "op", json_string("eq"));
            json_object_set_new(j, "value", json_boolean(rn(2)));
        }
    } else if (kind == 7) {
        static const char *const f[] = {"revenue", "tags", "founded", "scale"};
        json_object_set_new(j, "fact", json_string(f[rn(4)]));
        json_object_set_new(j, "op", json_string("exists"));
    } else {
        if (rn(3) == 0) {
            json_object_set_new(j, "manual", json_true());
            json_object_set_new(j, "label", json_string("项目符合产业导向"));
        } else {
            json_object_set_new(j, "fact", json_string("tax_credit_rating"));
            json_object_set_new(j, "op", json_string("in"));
            json_object_set_new(j, "value", json_pack("[s,s]", "A", "B"));
        }
    }
    return j;
}

static json_t *rnd_node(int depth)
{
    if (depth >= 4 || rn(3) == 0)
        return rnd_leaf();
    int kind = rn(4);
    if (kind == 2)
        return json_pack("{s:o}", "not", rnd_node(depth + 1));
    json_t *arr = json_array();
    int n = 1 + rn(4);
    for (int i = 0; i < n; i++)
        json_array_append_new(arr, rnd_node(depth + 1));
    if (kind == 3)
        return json_pack("{s:i, s:o}", "at_least", 1 + rn(n), "of", arr);
    return json_pack("{s:o}", kind == 0 ? "all" : "any", arr);
}

static json_t *rnd_amount(int depth)
{
    int k = rn(depth >= 2 ? 2 : 5);
    if (k == 0)
        return json_pack("{s:I}", "fixed", (json_int_t)rn(100) * 100000);
    if (k == 1) {
        static const char *const bases[] = {"rd_expense", "employees", "rd_ratio", "revenue"};
        static const char *const rates[] = {"0.1", "0.05", "0.333333", "100000", "0.5", "0.000001"};
        json_t *j = json_pack("{s:s, s:s}", "rate", rates[rn(6)], "base", bases[rn(4)]);
        if (rn(2))
            json_object_set_new(j, "cap", json_integer(rn(3) * 1000000 + 500000));
        if (rn(3) == 0)
            json_object_set_new(j, "floor", json_integer(rn(3) * 1000));
        if (json_object_get(j, "cap") && json_object_get(j, "floor") &&
            json_integer_value(json_object_get(j, "floor")) >
                json_integer_value(json_object_get(j, "cap")))
            json_object_del(j, "floor");
        if (rn(3) == 0)
            json_object_set_new(j, "round", json_string("yuan"));
        return j;
    }
    if (k == 2) {
        json_t *tiers = json_array();
        for (int i = 0, n = 1 + rn(3); i < n; i++)
            json_array_append_new(tiers, json_pack("{s:o, s:o}", "when", rnd_node(3), "amount",
                                                   rnd_amount(depth + 1)));
        json_t *j = json_pack("{s:o}", "tiers", tiers);
        if (rn(2))
            json_object_set_new(j, "else", rnd_amount(depth + 1));
        return j;
    }
    json_t *arr = json_array();
    for (int i = 0, n = 1 + rn(3); i < n; i++)
        json_array_append_new(arr, rnd_amount(depth + 1));
    return json_pack(k == 3 ? "{s:o}" : "{s:o}", k == 3 ? "min" : "max", arr);
}

static json_t *rnd_policy(void)
{
    json_t *j = json_pack("{s:o}", "conditions", rnd_node(0));
    if (rn(4))
        json_object_set_new(j, "amount", rnd_amount(0));
    if (rn(3) == 0)
        json_object_set_new(j, "exclusive_group", json_string(rn(2) ? "g1" : "g2"));
    if (rn(3) == 0)
        json_object_set_new(j, "cap_group",
                            json_pack("{s:s, s:I}", "name", "cap", "cap",
                                      (json_int_t)(rn(4) + 1) * 2000000));
    return j;
}

/* Sets a random enterprise into facts f and row r of table t. */
static void rnd_enterprise(const struct rules_catalog *cat, struct rules_facts *f,
                           struct rules_table *t, size_t r)
{
    char buf[64];
    rules_facts_clear(f);
    for (size_t i = 0; i < rules_catalog_size(cat); i++) {
        if (rn(5) == 0)
            continue; /* missing */
        const char *name = rules_catalog_fact_name(cat, (int)i);
        const char *v = NULL;
        switch (rules_catalog_fact_type(cat, (int)i)) {
        case RULES_INT: snprintf(buf, sizeof(buf), "%d", rn(12)); break;
        case RULES_MONEY: snprintf(buf, sizeof(buf), "%d", rn(6) * 10000000 + (rn(2) ? rn(3) - 1 : 0)); break;
        case RULES_DECIMAL: snprintf(buf, sizeof(buf), "%d.%d", rn(20), rn(10)); break;
        case RULES_DATE: v = dates[rn(7)]; break;
        case RULES_BOOL: v = rn(2) ? "true" : "false"; break;
        case RULES_TAGSET:
            snprintf(buf, sizeof(buf), "%s;%s", tag_codes[rn(5)], rn(2) ? tag_codes[rn(5)] : "x");
            break;
        case RULES_CODE:
            if (strcmp(name, "region") == 0)
                v = regions[rn(6)];
            else if (strcmp(name, "industry") == 0)
                v = industries[rn(5)];
            else if (strcmp(name, "scale") == 0)
                v = (const char *[]){"small", "micro", "medium", "large"}[rn(4)];
            else
                v = (const char *[]){"A", "B", "M", "C"}[rn(4)];
            break;
        }
        if (!v)
            v = buf;
        struct err e;
        ck_assert_msg(rules_facts_set(f, name, v, rn(4) != 0, &e) == RC_OK, "%s", e.msg);
        ck_assert_msg(rules_table_set(t, r, (int)i, v, &e) == RC_OK, "%s", e.msg);
    }
}

START_TEST(test_property)
{
    struct rules_catalog *cat = catalog();
    static const char *const days[] = {"2024-02-29", "2025-02-28", "2025-03-01", "2026-01-01"};
    size_t pairs = 0;
    for (uint64_t seed = 1; seed <= 12; seed++) {
        rng_state = seed * 0x9E3779B97F4A7C15ULL;
        size_t n_pol = 30 + (size_t)rn(20), n_rows = 600 + (size_t)rn(200);
        int64_t today = day(days[rn(4)]);
        struct rules_policy **pols = xcalloc(n_pol, sizeof(*pols));
        for (size_t i = 0; i < n_pol; i++) {
            json_t *doc = rnd_policy();
            struct err e;
            enum rc rc = rules_compile(cat, NULL, doc, (int64_t)(100 - i), NULL, &pols[i], &e);
            if (rc) {
                char *s = json_dumps(doc, 0);
                ck_abort_msg("seed %llu: %s\n%s", (unsigned long long)seed, e.msg, s);
            }
            json_decref(doc);
        }
        struct rules_set *set = rules_set_new(cat, pols, n_pol);
        xfree(pols);
        struct rules_table *t = rules_table_new(cat, n_rows);
        struct rules_facts **fs = xcalloc(n_rows, sizeof(*fs));
        for (size_t r = 0; r < n_rows; r++) {
            fs[r] = rules_facts_new(cat);
            rnd_enterprise(cat, fs[r], t, r);
        }
        struct collect col = {0};
        struct rules_counts *counts = xcalloc(n_pol, sizeof(*counts));
        struct err e;
        ck_assert(rules_batch_run(set, t, today, 2, collect_cb, &col, counts, &e) == RC_OK);
        /* Index the hits by (row, policy). */
        struct rules_hit **by = xcalloc(n_rows * n_pol, sizeof(*by));
        for (size_t k = 0; k < col.n; k++)
            by[col.hits[k].row * n_pol + col.hits[k].policy] = &col.hits[k];
        size_t *elig = xcalloc(n_pol, sizeof(size_t));
        for (size_t r = 0; r < n_rows; r++) {
            struct rules_row *row, *plain = NULL;
            ck_assert(rules_eval(set, fs[r], today, r % 50 == 0 ? RULES_EXPLAIN : 0, &row, &e) ==
                      RC_OK);
            /* rules_explain on a row made without explanations writes rules_eval's text. */
            if (r % 50 == 0)
                ck_assert(rules_eval(set, fs[r], today, 0, &plain, &e) == RC_OK);
            for (size_t pi = 0; pi < n_pol; pi++) {
                const struct rules_result *x = &row->results[pi];
                const struct rules_hit *h = by[r * n_pol + pi];
                enum rules_outcome bo = h ? h->outcome : RULES_INELIGIBLE;
                elig[pi] += x->outcome == RULES_ELIGIBLE;
                ck_assert_msg(bo == x->outcome, "seed %llu row %zu policy %zu: batch %s, row %s",
                              (unsigned long long)seed, r, pi, rules_outcome_name(bo),
                              rules_outcome_name(x->outcome));
                if (h)
                    ck_assert_msg(h->amount_state == x->amount_state && h->amount == x->amount &&
                                      h->excluded_by == x->excluded_by && h->capped == x->capped,
                                  "seed %llu row %zu policy %zu: batch %d/%lld, row %d/%lld",
                                  (unsigned long long)seed, r, pi, h->amount_state,
                                  (long long)h->amount, x->amount_state, (long long)x->amount);
                if (r % 50 == 0) {
                    /* The explanation text parses, and its root agrees with the outcome. */
                    json_t *ex = rules_result_explanation(x);
                    ck_assert_msg(ex != NULL, "seed %llu row %zu policy %zu: explanation is not "
                                  "JSON: %.*s", (unsigned long long)seed, r, pi,
                                  (int)x->explanation_len, x->explanation);
                    const char *st = json_string_value(json_object_get(ex, "status"));
                    ck_assert_ptr_nonnull(st);
                    if (x->outcome == RULES_ELIGIBLE)
                        ck_assert_str_eq(st, "true");
                    else if (x->outcome == RULES_INELIGIBLE)
                        ck_assert_str_eq(st, "false");
                    else
                        ck_assert_msg(strcmp(st, "unknown") == 0 || strcmp(st, "manual") == 0,
                                      "status %s", st);
                    json_decref(ex);
                    struct buf xb;
                    buf_init(&xb, 1 << 20);
                    ck_assert(rules_explain(set, plain, fs[r], today, pi, &xb, &e) == RC_OK);
                    ck_assert_msg(buf_len(&xb) == x->explanation_len &&
                                      memcmp(buf_str(&xb), x->explanation,
                                             x->explanation_len) == 0,
                                  "seed %llu row %zu policy %zu: rules_explain differs",
                                  (unsigned long long)seed, r, pi);
                    buf_cleanup(&xb);
                    char where[96];
                    snprintf(where, sizeof(where), "seed %llu row %zu policy %zu",
                             (unsigned long long)seed, r, pi);
                    check_compact(set, plain, fs[r], today, pi, x->explanation,
                                  x->explanation_len, where);
                }
                pairs++;
            }
            rules_row_free(row);
            rules_row_free(plain);
        }
        for (size_t pi = 0; pi < n_pol; pi++)
            ck_assert_msg(counts[pi].eligible == elig[pi], "seed %llu policy %zu: counts",
                          (unsigned long long)seed, pi);
        /* Without a callback the batch takes shorter paths (no hit records for ungrouped
         * policies, amounts summed directly): the counts must not change. */
        struct rules_counts *counts2 = xcalloc(n_pol, sizeof(*counts2));
        ck_assert(rules_batch_run(set, t, today, 1 + (int)(seed % 2), NULL, NULL, counts2, &e) ==
                  RC_OK);
        for (size_t pi = 0; pi < n_pol; pi++)
            ck_assert_msg(memcmp(&counts[pi], &counts2[pi], sizeof(counts[pi])) == 0,
                          "seed %llu policy %zu: counts without a callback differ (%lld vs %lld)",
                          (unsigned long long)seed, pi, (long long)counts[pi].amount_total,
                          (long long)counts2[pi].amount_total);
        xfree(counts2);
        xfree(elig);
        xfree(by);
        xfree(col.hits);
        xfree(counts);
        for (size_t r = 0; r < n_rows; r++)
            rules_facts_free(fs[r]);
        xfree(fs);
        rules_table_free(t);
        rules_set_free(set);
    }
    ck_assert_int_gt(pairs, 100000);
    rules_catalog_free(cat);
}
END_TEST

/* ---- JsonLogic ------------------------------------------------------------------------ */

START_TEST(test_jsonlogic)
{
    struct rules_catalog *cat = catalog();
    json_error_t je;
    json_t *doc = json_loads(
        "{\"conditions\": {\"all\": ["
        "{\"fact\": \"revenue\", \"op\": \"ge\", \"value\": 1000000000},"
        "{\"fact\": \"rd_ratio\", \"op\": \"between\", \"value\": [\"3.5\", 10]},"
        "{\"fact\": \"region\", \"op\": \"prefix_in\", \"value\": [\"3401\"]},"
        "{\"fact\": \"industry\", \"op\": \"prefix_in\", \"value\": [\"C\"]},"
        "{\"not\": {\"fact\": \"tags\", \"op\": \"has_any\", \"value\": [\"listed\"]}},"
        "{\"at_least\": 1, \"of\": [{\"fact\": \"founded\", \"op\": \"years_since\","
        " \"value\": {\"cmp\": \"ge\", \"value\": 3}}, {\"fact\": \"scale\", \"op\": \"in\","
        " \"value\": [\"small\"]}]}]}}",
        0, &je);
    ck_assert_ptr_nonnull(doc);
    struct rules_policy *p;
    struct err e;
    ck_assert_msg(rules_compile(cat, NULL, doc, 7, NULL, &p, &e) == RC_OK, "%s", e.msg);
    json_t *jl = rules_to_jsonlogic(p);
    char *s = json_dumps(jl, JSON_COMPACT);
    const char *want =
        "{\"and\":[{\">=\":[{\"var\":\"revenue\"},1000000000]},"
        "{\"<=\":[3.5,{\"var\":\"rd_ratio\"},10.0]},"
        "{\"or\":[{\"==\":[{\"substr\":[{\"var\":\"region\"},0,4]},\"3401\"]}]},"
        "{\"or\":[{\"==\":[{\"var\":\"industry_section\"},\"C\"]}]},"
        "{\"!\":{\"or\":[{\"in\":[\"listed\",{\"var\":\"tags\"}]}]}},"
        "{\">=\":[{\"+\":[{\"if\":[{\">=\":[{\"var\":\"years_since.founded\"},3]},1,0]},"
        "{\"if\":[{\"in\":[{\"var\":\"scale\"},[\"small\"]]},1,0]}]},1]}]}";
    ck_assert_str_eq(s, want);
    free(s);
    json_decref(jl);
    json_decref(doc);
    rules_policy_free(p);
    rules_catalog_free(cat);
}
END_TEST

/* Sets are shared: incref/free count readers. */
START_TEST(test_set_refs)
{
    struct rules_catalog *cat = catalog();
    json_t *doc = json_pack("{s:{s:s, s:s, s:i}}", "conditions", "fact", "employees", "op", "ge",
                            "value", 10);
    struct rules_policy *p[2];
    struct err e;
    ck_assert(rules_compile(cat, NULL, doc, 1, NULL, &p[0], &e) == RC_OK);
    ck_assert(rules_compile(cat, NULL, doc, 2, NULL, &p[1], &e) == RC_OK);
    struct rules_set *set = rules_set_new(cat, p, 2);
    ck_assert_uint_eq(rules_set_leaves(set), 1); /* the shared leaf once */
    ck_assert_ptr_eq(rules_set_incref(set), set);
    rules_set_free(set);
    ck_assert_int_eq(rules_set_find(set, 2), 1);
    ck_assert_int_eq(rules_set_find(set, 3), -1);
    /* rules_explain takes only a row of the same set (another of the same size is refused:
     * its node values would not match the set's trees). */
    struct rules_policy *q[2];
    ck_assert(rules_compile(cat, NULL, doc, 3, NULL, &q[0], &e) == RC_OK);
    ck_assert(rules_compile(cat, NULL, doc, 4, NULL, &q[1], &e) == RC_OK);
    struct rules_set *other = rules_set_new(cat, q, 2);
    struct rules_facts *f = rules_facts_new(cat);
    ck_assert(rules_facts_set(f, "employees", "12", true, &e) == RC_OK);
    struct rules_row *row;
    ck_assert(rules_eval(other, f, 20000, 0, &row, &e) == RC_OK);
    struct buf b;
    buf_init(&b, 1 << 16);
    ck_assert(rules_explain(set, row, f, 20000, 0, &b, &e) == RC_INVALID);
    ck_assert(rules_explain(other, row, f, 20000, 2, &b, &e) == RC_INVALID);
    ck_assert_uint_eq(buf_len(&b), 0);
    ck_assert(rules_explain(other, row, f, 20000, 1, &b, &e) == RC_OK);
    json_t *x = json_loadb(buf_str(&b), buf_len(&b), 0, NULL);
    ck_assert_ptr_nonnull(x);
    ck_assert_str_eq(json_string_value(json_object_get(x, "status")), "true");
    ck_assert_str_eq(json_string_value(json_object_get(x, "actual")), "12人");
    json_decref(x);
    buf_cleanup(&b);
    rules_row_free(row);
    rules_facts_free(f);
    rules_set_free(other);
    const char *names[4];
    ck_assert_uint_eq(rules_policy_facts(rules_set_policy(set, 0), names, 4), 1);
    ck_assert_str_eq(names[0], "employees");
    rules_set_free(set);
    json_decref(doc);
    rules_catalog_free(cat);
}
END_TEST

/* A decision that rests on a self-declared value is lowered to "to be verified". */
START_TEST(test_row_verify)
{
    struct rules_catalog *cat = catalog();
    json_t *doc = json_pack("{s:{s:s, s:s, s:i}}", "conditions", "fact", "employees", "op", "ge",
                            "value", 10);
    struct rules_policy *p[1];
    struct err e;
    ck_assert(rules_compile(cat, NULL, doc, 1, NULL, &p[0], &e) == RC_OK);
    struct rules_set *set = rules_set_new(cat, p, 1);
    for (int auth = 0; auth <= 1; auth++) {
        struct rules_facts *f = rules_facts_new(cat);
        ck_assert(rules_facts_set(f, "employees", "12", auth, &e) == RC_OK);
        struct rules_row *row;
        ck_assert(rules_eval(set, f, 20000, 0, &row, &e) == RC_OK);
        ck_assert_int_eq(row->results[0].outcome, RULES_ELIGIBLE);
        rules_row_verify(row);
        ck_assert_int_eq(row->results[0].outcome, auth ? RULES_ELIGIBLE : RULES_POSSIBLY);
        ck_assert_int_eq(row->results[0].to_verify, !auth);
        rules_row_free(row);
        /* An ineligible outcome stays ineligible whatever its data. */
        ck_assert(rules_facts_set(f, "employees", "3", auth, &e) == RC_OK);
        ck_assert(rules_eval(set, f, 20000, 0, &row, &e) == RC_OK);
        rules_row_verify(row);
        ck_assert_int_eq(row->results[0].outcome, RULES_INELIGIBLE);
        ck_assert(!row->results[0].to_verify);
        rules_row_free(row);
        rules_facts_free(f);
    }
    rules_set_free(set);
    json_decref(doc);
    rules_catalog_free(cat);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("rules");
    TCase *tc = tcase_create("rules");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_cases);
    tcase_add_test(tc, test_property);
    tcase_add_test(tc, test_jsonlogic);
    tcase_add_test(tc, test_set_refs);
    tcase_add_test(tc, test_row_verify);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(suite)
