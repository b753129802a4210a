/* SPDX-License-Identifier: Apache-2.0 */
/*
 * checklist_bench: the personal material list of issue 18 (bench/catalog_checklist.sh runs
 * it).
 *
 * A deterministic generator makes one guide with 10 情形 questions (4 yes/no, 3 numbers,
 * 3 choices) and 40 materials, 8 steps, 4 fees and 3 受理条件, most of them with a `when`
 * over the questions (a single condition, all/any of two, not, at least 2 of 3, nested),
 * and R answer sets (each question answered with probability 7/10, so most lists still
 * have pending items and questions, as while a person is answering). Then, in-process:
 *
 *   qifu   catalog_checklist_eval + json_dumps of its answer, per answer set: p50/p99 (µs),
 *          on all R sets and on the complete ones alone (every question answered);
 *   peer 1 the policy matcher's path on the same conditions: rules_eval of one rules set
 *          (compiled separately from the same whens) for the same facts, outcomes only —
 *          the engine without the checklist's questions, reasons and JSON;
 *   peer 2 (with --dump DIR) written for bench/peers/checklist.js: the conditions exported
 *          by rules_to_jsonlogic, the complete answer sets and qifu's in/out per item, which
 *          json-logic-js must reproduce before its time is quoted (JsonLogic has no UNKNOWN,
 *          so only complete answers compare).
 *
 * Every answer set's checklist is checked against peer 1's outcomes (in = TRUE, pending =
 * UNKNOWN, absent = FALSE) before any time is printed; a difference exits 1.
 *
 *   checklist_bench [--sets R] [--seed X] [--dump DIR]
 *
 * The last line is machine-readable: "RESULT key=value ...".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/mem.h"
#include "catalog/catalog_situation.h"
#include "rules/rules.h"

#define N_Q 10
#define N_MAT 40
#define N_STEP 8
#define N_FEE 4
#define N_COND 3

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int pick(uint64_t *s, int n)
{
    return (int)(rnd(s) % (uint64_t)n);
}

/* The questions: type and, for choices, the number of options. */
static const struct {
    const char *type, *question, *unit;
    int n_opts;
} Q[N_Q] = {
    {"bool", "是否为连锁经营企业？", NULL, 0},
    {"bool", "是否委托代理人办理？", NULL, 0},
    {"bool", "是否涉及网络经营？", NULL, 0},
    {"bool", "是否为外商投资企业？", NULL, 0},
    {"int", "经营场所面积", "平方米", 0},
    {"int", "从业人员数", "人", 0},
    {"int", "注册资本", "万元", 0},
    {"code", "经营项目", NULL, 3},
    {"code", "场所性质", NULL, 4},
    {"code", "申请类型", NULL, 5},
};
static const int THRESH[3][3] = {{50, 150, 500}, {10, 50, 200}, {100, 500, 1000}};

static json_t *leaf(uint64_t *s)
{
    int q = pick(s, N_Q);
    char id[16];
    snprintf(id, sizeof(id), "s_q%d", q);
    if (Q[q].type[0] == 'b')
        return json_pack("{sssssb}", "fact", id, "op", "eq", "value", pick(s, 2));
    if (Q[q].type[0] == 'i') {
        static const char *const ops[] = {"ge", "lt", "gt", "le"};
        return json_pack("{sssssi}", "fact", id, "op", ops[pick(s, 4)], "value",
                         THRESH[q - 4][pick(s, 3)]);
    }
    char v[8];
    snprintf(v, sizeof(v), "o%d", pick(s, Q[q].n_opts));
    if (pick(s, 3) == 0) {
        char w[16];
        snprintf(w, sizeof(w), "o%d", pick(s, Q[q].n_opts));
        return json_pack("{sssss[ss]}", "fact", id, "op", "in", "value", v, w);
    }
    return json_pack("{ssssss}", "fact", id, "op", "eq", "value", v);
}

static json_t *node(uint64_t *s, int depth)
{
    int k = depth > 1 ? 0 : pick(s, 7);
    switch (k) {
    case 1:
    case 2:
        return json_pack("{s[oo]}", k == 1 ? "all" : "any", node(s, depth + 1), node(s, depth + 1));
    case 3:
        return json_pack("{so}", "not", leaf(s));
    case 4:
        return json_pack("{sis[ooo]}", "at_least", 2, "of", leaf(s), leaf(s), leaf(s));
    default:
        return leaf(s);
    }
}

/* Adds a `when` to 4 items of 5. */
static void maybe_when(json_t *it, uint64_t *s)
{
    if (pick(s, 5))
        json_object_set_new(it, "when", node(s, 0));
}

static json_t *make_guide(uint64_t *s)
{
    json_t *sits = json_array();
    for (int q = 0; q < N_Q; q++) {
        char id[16];
        snprintf(id, sizeof(id), "s_q%d", q);
        json_t *o = json_pack("{ssssss}", "id", id, "question", Q[q].question, "type", Q[q].type);
        if (Q[q].unit)
            json_object_set_new(o, "unit", json_string(Q[q].unit));
        if (Q[q].n_opts) {
            json_t *opts = json_array();
            for (int i = 0; i < Q[q].n_opts; i++) {
                char v[16], l[32];
                snprintf(v, sizeof(v), "o%d", i);
                snprintf(l, sizeof(l), "选项%d", i + 1);
                json_array_append_new(opts, json_pack("{ssss}", "value", v, "label", l));
            }
            json_object_set_new(o, "options", opts);
        }
        json_array_append_new(sits, o);
    }
    json_t *mats = json_array(), *steps = json_array(), *fees = json_array(), *conds = json_array();
    for (int i = 0; i < N_MAT; i++) {
        char id[16], name[64];
        snprintf(id, sizeof(id), "m%d", i + 1);
        snprintf(name, sizeof(name), "申请材料%d", i + 1);
        json_t *m =
            json_pack("{sssssssisssssb}", "id", id, "name", name, "source", "applicant", "copies",
                      1, "form", "paper_or_electronic", "necessity", "required", "tolerance", 0);
        maybe_when(m, s);
        json_array_append_new(mats, m);
    }
    for (int i = 0; i < N_STEP; i++) {
        json_t *st =
            json_pack("{sssssi}", "name", "审查", "requirement", "工作人员审查材料", "days", i);
        maybe_when(st, s);
        json_array_append_new(steps, st);
    }
    for (int i = 0; i < N_FEE; i++) {
        char item[32];
        snprintf(item, sizeof(item), "工本费%d", i + 1);
        json_t *f = json_pack("{ssssss}", "item", item, "standard", "10元", "basis", "收费文件");
        maybe_when(f, s);
        json_array_append_new(fees, f);
    }
    for (int i = 0; i < N_COND; i++) {
        char text[48];
        snprintf(text, sizeof(text), "申请人符合条件%d", i + 1);
        json_t *c = json_pack("{ss}", "text", text);
        maybe_when(c, s);
        json_array_append_new(conds, c);
    }
    return json_pack("{sosososososo}", "situations", sits, "materials", mats, "steps", steps,
                     "fees", fees, "acceptance_conditions", conds, "time_limit",
                     json_pack("{sisi}", "legal_days", 20, "promised_days", 5));
}

static json_t *make_answers(uint64_t *s, bool all)
{
    json_t *a = json_object();
    for (int q = 0; q < N_Q; q++) {
        if (!all && pick(s, 10) >= 7)
            continue;
        char id[16];
        snprintf(id, sizeof(id), "s_q%d", q);
        if (Q[q].type[0] == 'b') {
            json_object_set_new(a, id, json_boolean(pick(s, 2)));
        } else if (Q[q].type[0] == 'i') {
            json_object_set_new(a, id, json_integer(pick(s, 1200)));
        } else {
            char v[16];
            snprintf(v, sizeof(v), "o%d", pick(s, Q[q].n_opts));
            json_object_set_new(a, id, json_string(v));
        }
    }
    return a;
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof(double), cmp_double);
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i];
}

static const char *const GROUPS[] = {"materials", "steps", "fees", "acceptance_conditions"};

int main(int argc, char **argv)
{
    long sets = 20000;
    uint64_t seed = 18;
    const char *dump = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--sets") == 0)
            sets = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--seed") == 0)
            seed = (uint64_t)atoll(argv[i + 1]);
        else if (strcmp(argv[i], "--dump") == 0)
            dump = argv[i + 1];
    }
    if (sets < 100) {
        fprintf(stderr, "checklist_bench: --sets must be at least 100\n");
        return 2;
    }
    uint64_t s = seed;
    json_t *guide = make_guide(&s);
    struct err e;
    err_clear(&e);
    struct catalog_checklist *cl = NULL;
    if (catalog_checklist_new(guide, rules_catalog_new(), &cl, &e)) {
        fprintf(stderr, "checklist_bench: guide: %s\n", e.msg);
        return 1;
    }
    /* Peer 1: the same whens in one rules set over the same kind of catalogue. */
    struct rules_catalog *pcat = rules_catalog_new();
    for (int q = 0; q < N_Q; q++) {
        char id[16], vals[64] = "";
        snprintf(id, sizeof(id), "s_q%d", q);
        for (int i = 0; i < Q[q].n_opts; i++) {
            size_t n = strlen(vals);
            snprintf(vals + n, sizeof(vals) - n, "%so%d", i ? "," : "", i);
        }
        rules_catalog_add_fact(pcat, id,
                               Q[q].type[0] == 'b'   ? RULES_BOOL
                               : Q[q].type[0] == 'i' ? RULES_INT
                                                     : RULES_CODE,
                               Q[q].question, Q[q].unit ? Q[q].unit : "", vals);
    }
    struct rules_policy *pols[N_MAT + N_STEP + N_FEE + N_COND];
    int item_pol[N_MAT + N_STEP + N_FEE + N_COND]; /* per item: policy index or -1 */
    size_t n_pols = 0, n_items = 0;
    json_t *logic = json_array();
    for (int g = 0; g < 4; g++) {
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(guide, GROUPS[g]), i, it)
        {
            json_t *when = json_object_get(it, "when");
            item_pol[n_items++] = when ? (int)n_pols : -1;
            if (!when) {
                json_array_append_new(logic, json_true());
                continue;
            }
            json_t *rule = json_pack("{sO}", "conditions", when);
            if (rules_compile(pcat, NULL, rule, (int64_t)n_pols + 1, NULL, &pols[n_pols], &e)) {
                fprintf(stderr, "checklist_bench: peer compile: %s\n", e.msg);
                return 1;
            }
            json_decref(rule);
            json_array_append_new(logic, rules_to_jsonlogic(pols[n_pols]));
            n_pols++;
        }
    }
    struct rules_set *pset = rules_set_new(pcat, pols, n_pols);

    double *lat = xcalloc((size_t)sets, sizeof(double));
    double *lat_c = xcalloc((size_t)sets, sizeof(double));
    double *plat = xcalloc((size_t)sets, sizeof(double));
    size_t n_c = 0, n_complete_lists = 0, pending_total = 0;
    json_t *samples = json_array(), *expected = json_array();
    for (long r = 0; r < sets; r++) {
        bool all = r % 4 == 0; /* a quarter complete, for the JsonLogic peer */
        json_t *a = make_answers(&s, all);
        /* qifu */
        double t0 = now_us();
        struct rules_facts *f = catalog_checklist_facts_new(cl);
        json_t *out = NULL;
        enum rc rc = catalog_checklist_eval(cl, a, f, 20513, &out, &e);
        char *text = rc ? NULL : json_dumps(out, JSON_COMPACT);
        rules_facts_free(f);
        double t1 = now_us();
        if (rc || !text) {
            fprintf(stderr, "checklist_bench: eval: %s\n", e.msg);
            return 1;
        }
        lat[r] = t1 - t0;
        if (all)
            lat_c[n_c++] = t1 - t0;
        free(text);
        /* peer 1 */
        t0 = now_us();
        struct rules_facts *pf = rules_facts_new(pcat);
        const char *k;
        json_t *v;
        json_object_foreach(a, k, v)
        {
            char canon[32];
            if (json_is_boolean(v))
                snprintf(canon, sizeof(canon), "%s", json_is_true(v) ? "true" : "false");
            else if (json_is_integer(v))
                snprintf(canon, sizeof(canon), "%lld", (long long)json_integer_value(v));
            else
                snprintf(canon, sizeof(canon), "%s", json_string_value(v));
            (void)!rules_facts_set(pf, k, canon, false, &e);
        }
        struct rules_row *row = NULL;
        if (rules_eval(pset, pf, 20513, 0, &row, &e)) {
            fprintf(stderr, "checklist_bench: peer eval: %s\n", e.msg);
            return 1;
        }
        t1 = now_us();
        plat[r] = t1 - t0;
        /* Agreement: every item in, pending or out as the engine says. */
        char exp[N_MAT + N_STEP + N_FEE + N_COND + 1];
        size_t n = 0;
        for (int g = 0; g < 4; g++) {
            const json_t *in = json_object_get(out, GROUPS[g]);
            const json_t *pend = json_object_get(json_object_get(out, "pending"), GROUPS[g]);
            size_t cnt = json_array_size(json_object_get(guide, GROUPS[g]));
            size_t ii = 0, pi = 0;
            for (size_t i = 0; i < cnt; i++, n++) {
                int p = item_pol[n];
                enum rules_outcome o = p < 0 ? RULES_ELIGIBLE : row->results[p].outcome;
                const json_t *item = json_array_get(json_object_get(guide, GROUPS[g]), i);
                const char *want = o == RULES_ELIGIBLE     ? "in"
                                   : o == RULES_INELIGIBLE ? "out"
                                                           : "pending";
                /* Lists keep the guide's order, so walk them in step. */
                const json_t *cand_in = json_array_get(in, ii), *cand_p = json_array_get(pend, pi);
                const char *got = "out";
                const char *key = g == 0 ? "id" : g == 2 ? "item" : g == 1 ? "days" : "text";
                if (cand_in &&
                    json_equal(json_object_get(cand_in, key), json_object_get(item, key)) &&
                    strcmp(want, "in") == 0) {
                    got = "in";
                    ii++;
                } else if (cand_p &&
                           json_equal(json_object_get(cand_p, key), json_object_get(item, key)) &&
                           strcmp(want, "pending") == 0) {
                    got = "pending";
                    pi++;
                }
                if (strcmp(got, want) != 0) {
                    fprintf(stderr, "checklist_bench: set %ld, %s[%zu]: checklist %s, engine %s\n",
                            r, GROUPS[g], i, got, want);
                    return 1;
                }
                exp[n] = o == RULES_ELIGIBLE ? '1' : '0';
            }
            if (ii != json_array_size(in) || pi != json_array_size(pend)) {
                fprintf(stderr, "checklist_bench: set %ld, %s: extra items\n", r, GROUPS[g]);
                return 1;
            }
            pending_total += pi;
        }
        exp[n] = 0;
        if (all) {
            if (json_array_size(json_object_get(out, "questions")) != 0 ||
                !json_is_true(json_object_get(out, "complete"))) {
                fprintf(stderr, "checklist_bench: set %ld: complete answers, list not complete\n",
                        r);
                return 1;
            }
            n_complete_lists++;
            json_array_append(samples, a);
            json_array_append_new(expected, json_string(exp));
        }
        rules_row_free(row);
        rules_facts_free(pf);
        json_decref(out);
        json_decref(a);
    }
    if (dump) {
        json_t *d = json_pack("{sosOsO}", "logic", logic, "answers", samples, "expected", expected);
        if (json_dump_file(d, dump, JSON_COMPACT)) {
            fprintf(stderr, "checklist_bench: cannot write %s\n", dump);
            return 1;
        }
        json_decref(d);
    } else {
        json_decref(logic);
    }
    printf("checklist_bench: guide of %d questions, %d items (%zu with a condition), %ld answer "
           "sets (%zu complete), %.1f pending items per set on average; results agree\n",
           N_Q, N_MAT + N_STEP + N_FEE + N_COND, n_pols, sets, n_complete_lists,
           (double)pending_total / (double)sets);
    double p50 = pct(lat, (size_t)sets, 0.50), p99 = pct(lat, (size_t)sets, 0.99);
    double c50 = pct(lat_c, n_c, 0.50), c99 = pct(lat_c, n_c, 0.99);
    double e50 = pct(plat, (size_t)sets, 0.50), e99 = pct(plat, (size_t)sets, 0.99);
    printf("RESULT sets=%ld complete=%zu p50_us=%.1f p99_us=%.1f complete_p50_us=%.1f "
           "complete_p99_us=%.1f engine_p50_us=%.1f engine_p99_us=%.1f\n",
           sets, n_c, p50, p99, c50, c99, e50, e99);
    json_decref(samples);
    json_decref(expected);
    rules_set_free(pset);
    rules_catalog_free(pcat);
    catalog_checklist_free(cl);
    json_decref(guide);
    xfree(lat);
    xfree(lat_c);
    xfree(plat);
    return 0;
}
