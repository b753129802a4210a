/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules_bench: the policy-matching benchmark of issue 5 (bench/rules.sh runs it).
 *
 * A deterministic generator of P realistic policies (default 1,100, like Wuhu's 1,095)
 * over the fact catalogue of migration 0002 and its 13 tags, and of N enterprises
 * (default 1,000,000) with realistic distributions and ~5-10 % of facts missing; then:
 *
 *   (a) the batch evaluator (rules_batch_run) over P × N on T threads (default 2):
 *       seconds and ns per (enterprise, policy) pair, best of BENCH_RULES_REPEAT runs;
 *   (b) the row evaluator with explanations (rules_eval, RULES_EXPLAIN): one enterprise
 *       × P policies, p50/p99 over R enterprises, in-process;
 *   (c) memory: RSS growth of the columnar table and of the compiled set.
 *
 * With --dump DIR it also writes what the npm peers (bench/peers/) need:
 *   DIR/policies.json   [{"id", "logic"}]: rules_to_jsonlogic of every policy
 *   DIR/facts.json      the catalogue: {"name": "type", ...}
 *   DIR/sample.json     S enterprises with COMPLETE data (JsonLogic semantics agree only
 *                       on complete data) plus the derived variables of the export
 *                       (industry_section, years_since.<fact>, manual.<id> = true)
 *   DIR/expected.json   qifu's outcome per pair: one string per enterprise, one char per
 *                       policy, '1' when eligible or manual_review (= the JsonLogic value
 *                       with every manual condition true), '0' otherwise
 * The expected outcomes come from the batch evaluator and are checked against the row
 * evaluator on every sample pair (exit 1 on a difference).
 *
 * With --dump-api DIR it writes what bench/policies_http.sh loads into a real server:
 *   DIR/conditions.jsonl   the named conditions, one PUT /api/v1/conditions/{name} body
 *                          per line plus its "name"
 *   DIR/policies.jsonl     the P policies, one POST /api/v1/policies document per line:
 *                          title, 文号, delivery, region_scope (the generator's scope),
 *                          validity 2025-01-01..2030-12-31 and "rules" = the rule document
 *                          that rules_compile takes
 *   DIR/enterprises.jsonl  K enterprises (--api-enterprises, default 8) for `qifu import
 *                          enterprises`: the first half with complete facts, the others
 *                          each with at least one fact missing (left out of the line)
 *   DIR/expected.jsonl     per enterprise (same order): credit_code, complete, the number of
 *                          missing facts, and what the row evaluator answers on --day
 *                          (YYYY-MM-DD; default the generator's day): counts per outcome,
 *                          the estimated total of eligible amounts (fen) and whether it is
 *                          partial, and the in-process time of rules_eval with explanations
 *                          (median of 5 runs, ms)
 * The policies are those of every other figure (the generator is unchanged); the API
 * enterprises come from their own random stream.
 *
 *   rules_bench [--policies P] [--enterprises N] [--threads T] [--row-iters R]
 *               [--sample S] [--dump DIR] [--seed X] [--repeat K] [--quiet]
 *               [--dump-api DIR] [--api-enterprises K] [--day YYYY-MM-DD]
 *
 * The last line is machine-readable: "RESULT key=value ...".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/mem.h"
#include "base/timeutil.h"
#include "codes/codes.h"
#include "ent/ent_gen.h"
#include "rules/rules.h"

/* ---- the catalogue of migration 0002 ------------------------------------------------------ */

enum {
    F_REGION, F_INDUSTRY, F_FOUNDED, F_CAPITAL, F_SCALE, F_TAGS, F_EMPLOYEES, F_INSURED,
    F_GRADS, F_LAYOFF, F_REVENUE, F_GROWTH, F_RD, F_RD_RATIO, F_TAX, F_ASSETS, F_OUTPUT,
    F_EQUIP, F_LOAN, F_EXPORT, F_PATENTS, F_CREDIT, F_DISHONEST, F_VIOLATION, F_ENV, F_HT_CERT,
    NF
};

static const struct {
    const char *name;
    enum rules_type type;
    const char *unit, *label, *values;
} FACTS[NF] = {
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
    {"total_assets", RULES_MONEY, "元", "资产总额", ""},
    {"industrial_output", RULES_MONEY, "元", "工业总产值", ""},
    {"equipment_investment", RULES_MONEY, "元", "设备投资额", ""},
    {"loan_interest", RULES_MONEY, "元", "贷款利息支出", ""},
    {"export_value", RULES_MONEY, "元", "出口额", ""},
    {"invention_patents", RULES_INT, "件", "有效发明专利数", ""},
    {"tax_credit_rating", RULES_CODE, "", "纳税信用等级", "A,B,M,C,D"},
    {"dishonest_executee", RULES_BOOL, "", "失信被执行人", ""},
    {"major_violation", RULES_BOOL, "", "近三年重大违法违规记录", ""},
    {"env_penalty", RULES_BOOL, "", "近一年环保行政处罚", ""},
    {"high_tech_certified_on", RULES_DATE, "", "高新技术企业认定日期", ""},
};

enum {
    T_HIGH_TECH, T_TECH_SME, T_INNOV_SME, T_SRDI_CITY, T_SRDI_PROV, T_LITTLE_GIANT,
    T_ABOVE_IND, T_ABOVE_SVC, T_GAZELLE, T_LISTED, T_FOREIGN, T_STATE, T_PRIVATE, NT
};
static const char *const TAGS[NT][2] = {
    {"high_tech", "高新技术企业"}, {"tech_sme", "科技型中小企业"},
    {"innovative_sme", "创新型中小企业"}, {"srdi_city", "专精特新中小企业（市级）"},
    {"srdi_province", "专精特新中小企业（省级）"},
    {"little_giant", "国家级专精特新“小巨人”企业"},
    {"above_scale_industry", "规模以上工业企业"}, {"above_scale_service", "规模以上服务业企业"},
    {"gazelle", "瞪羚企业"}, {"listed", "上市企业"}, {"foreign_funded", "外商投资企业"},
    {"state_owned", "国有企业"}, {"private", "民营企业"}};
static const char *const SCALES[4] = {"large", "medium", "small", "micro"};
static const char *const CREDITS[5] = {"A", "B", "M", "C", "D"};

/* ---- deterministic randomness ---------------------------------------------------------------- */

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static double unif(uint64_t *s) { return (double)(rnd(s) >> 11) / 9007199254740992.0; }
static bool chance(uint64_t *s, double p) { return unif(s) < p; }
static int64_t between(uint64_t *s, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rnd(s) % (uint64_t)(hi - lo + 1));
}
/* Log-uniform in [lo, hi]. */
static int64_t logu(uint64_t *s, double lo, double hi)
{
    double l = __builtin_log(lo), h = __builtin_log(hi);
    return (int64_t)__builtin_exp(l + (h - l) * unif(s));
}

/* ---- codes: Anhui and the Yangtze River Delta; GB/T 4754 classes ------------------------------- */

static char (*prefs)[7], (*counties)[7];
static size_t n_prefs, n_counties, n_ah_counties;
static struct {
    char code[5];
    char section;
} *classes;
static size_t n_classes, n_c_classes; /* C classes first */

static void load_codes(void)
{
    const struct codes_region *kids[512], *gk[512];
    static const char *const provs[] = {"340000", "320000", "330000", "310000"};
    prefs = xcalloc(256, sizeof(*prefs));
    counties = xcalloc(4096, sizeof(*counties));
    for (size_t p = 0; p < 4; p++) {
        size_t n = codes_region_children(provs[p], kids, 512);
        for (size_t i = 0; i < n; i++) {
            if (!kids[i]->current)
                continue;
            if (p == 0 && kids[i]->level == CODES_LEVEL_PREFECTURE && n_prefs < 256)
                memcpy(prefs[n_prefs++], kids[i]->code, 7);
            size_t m = codes_region_children(kids[i]->code, gk, 512);
            for (size_t k = 0; k < m && n_counties < 4096; k++)
                if (gk[k]->current && gk[k]->level == CODES_LEVEL_COUNTY)
                    memcpy(counties[n_counties++], gk[k]->code, 7);
            if (kids[i]->level == CODES_LEVEL_COUNTY && n_counties < 4096) /* 上海 districts */
                memcpy(counties[n_counties++], kids[i]->code, 7);
        }
        if (p == 0)
            n_ah_counties = n_counties;
    }
    /* the four-digit classes, manufacturing (C) first */
    classes = xcalloc(2048, sizeof(*classes));
    const struct codes_industry *d[256], *g[256], *c[256];
    for (int pass = 0; pass < 2; pass++)
        for (char sec = 'A'; sec <= 'T'; sec++) {
            if ((pass == 0) != (sec == 'C'))
                continue;
            char sc[2] = {sec, 0};
            size_t nd = codes_industry_children(sc, d, 256);
            for (size_t i = 0; i < nd; i++) {
                size_t ng = codes_industry_children(d[i]->code, g, 256);
                for (size_t j = 0; j < ng; j++) {
                    size_t nc = codes_industry_children(g[j]->code, c, 256);
                    for (size_t k = 0; k < nc && n_classes < 2048; k++) {
                        memcpy(classes[n_classes].code, c[k]->code, 5);
                        classes[n_classes++].section = sec;
                    }
                }
            }
            if (pass == 0)
                n_c_classes = n_classes;
        }
    if (!n_prefs || n_ah_counties < 10 || n_c_classes < 50 || n_classes <= n_c_classes) {
        fprintf(stderr, "rules_bench: code tables look empty (%zu prefectures, %zu classes)\n",
                n_prefs, n_classes);
        exit(2);
    }
}

/* ---- enterprises ---------------------------------------------------------------------------------- */

struct ent {
    uint32_t present; /* bit per fact */
    char region[7], industry[5];
    int64_t v[NF]; /* numbers; scale and credit as indices; tags as a mask */
};

static int64_t TODAY; /* the evaluation day */

static void gen_ent(uint64_t *s, struct ent *e, bool complete)
{
    memset(e, 0, sizeof(*e));
    /* region: 90 % Anhui, Hefei (first prefecture) over-represented */
    size_t ci;
    if (chance(s, 0.9))
        ci = chance(s, 0.3) ? (size_t)between(s, 0, 9) : (size_t)between(s, 0, (int64_t)n_ah_counties - 1);
    else
        ci = (size_t)between(s, (int64_t)n_ah_counties, (int64_t)n_counties - 1);
    memcpy(e->region, counties[ci], 7);
    size_t k = chance(s, 0.45) ? (size_t)between(s, 0, (int64_t)n_c_classes - 1)
                               : (size_t)between(s, (int64_t)n_c_classes, (int64_t)n_classes - 1);
    memcpy(e->industry, classes[k].code, 5);
    bool manuf = classes[k].section == 'C';
    double r = unif(s);
    int scale = r < 0.03 ? 0 : r < 0.12 ? 1 : r < 0.40 ? 2 : 3;
    e->v[F_SCALE] = scale;
    static const double emp_lo[4] = {1000, 300, 20, 1}, emp_hi[4] = {30000, 999, 299, 19};
    static const double rev_lo[4] = {4e10, 2e9, 3e8, 1e6}, rev_hi[4] = {5e11, 4e10, 2e9, 3e8};
    int64_t emp = logu(s, emp_lo[scale], emp_hi[scale] + 1);
    int64_t rev = logu(s, rev_lo[scale], rev_hi[scale]); /* fen */
    int64_t age_days = (int64_t)(-__builtin_log(1 - unif(s) * 0.999) * 8 * 365.25) + 30;
    e->v[F_FOUNDED] = TODAY - age_days;
    e->v[F_CAPITAL] = logu(s, 1e7, 1e10) / 100000 * 100000;
    e->v[F_EMPLOYEES] = emp;
    e->v[F_INSURED] = emp * (60 + between(s, 0, 40)) / 100;
    e->v[F_GRADS] = chance(s, 0.8) ? 0 : between(s, 1, emp / 10 + 1);
    e->v[F_LAYOFF] = chance(s, 0.6) ? 0 : between(s, 1, 250000); /* × 10^4 percent: 0-25 % */
    e->v[F_REVENUE] = rev;
    e->v[F_GROWTH] = between(s, -300000, 600000);
    int64_t rd = chance(s, 0.4) ? 0 : rev * between(s, 5, 120) / 1000;
    e->v[F_RD] = rd;
    e->v[F_RD_RATIO] = rev ? (int64_t)((__int128)rd * 1000000 / rev) / 100 * 100 : 0;
    e->v[F_TAX] = rev * between(s, 10, 80) / 1000;
    e->v[F_ASSETS] = rev * between(s, 50, 300) / 100;
    e->v[F_OUTPUT] = manuf ? rev * between(s, 90, 120) / 100 : 0;
    e->v[F_EQUIP] = chance(s, 0.7) ? 0 : rev * between(s, 10, 200) / 1000;
    e->v[F_LOAN] = chance(s, 0.5) ? 0 : rev * between(s, 2, 30) / 1000;
    e->v[F_EXPORT] = chance(s, 0.8) ? 0 : rev * between(s, 50, 600) / 1000;
    e->v[F_PATENTS] = chance(s, 0.6) ? 0 : (int64_t)(-__builtin_log(1 - unif(s) * 0.999) * 6) + 1;
    r = unif(s);
    e->v[F_CREDIT] = r < 0.25 ? 0 : r < 0.70 ? 1 : r < 0.85 ? 2 : r < 0.95 ? 3 : 4;
    e->v[F_DISHONEST] = chance(s, 0.02);
    e->v[F_VIOLATION] = chance(s, 0.03);
    e->v[F_ENV] = chance(s, 0.04);
    uint64_t tags = 0;
    bool ht = chance(s, rd > 0 && e->v[F_RD_RATIO] >= 30000 ? 0.35 : 0.03);
    if (ht)
        tags |= 1u << T_HIGH_TECH;
    if (chance(s, rd > 0 ? 0.2 : 0.04) && scale >= 2)
        tags |= 1u << T_TECH_SME;
    if (chance(s, 0.06))
        tags |= 1u << T_INNOV_SME;
    r = unif(s);
    if (r < 0.005)
        tags |= 1u << T_LITTLE_GIANT | 1u << T_SRDI_PROV;
    else if (r < 0.025)
        tags |= 1u << T_SRDI_PROV;
    else if (r < 0.065)
        tags |= 1u << T_SRDI_CITY;
    if (manuf && rev >= 2000000000)
        tags |= 1u << T_ABOVE_IND;
    if (!manuf && rev >= 1000000000 && chance(s, 0.5))
        tags |= 1u << T_ABOVE_SVC;
    if (chance(s, 0.01))
        tags |= 1u << T_GAZELLE;
    if (scale <= 1 && chance(s, 0.05))
        tags |= 1u << T_LISTED;
    r = unif(s);
    tags |= r < 0.03 ? 1u << T_FOREIGN : r < 0.05 ? 1u << T_STATE : 1u << T_PRIVATE;
    e->v[F_TAGS] = (int64_t)tags;
    /* the certification date: recent for high-tech enterprises, an expired one for some others */
    bool cert = ht || complete || chance(s, 0.3);
    if (cert)
        e->v[F_HT_CERT] = ht ? TODAY - between(s, 30, 6 * 365) : TODAY - between(s, 6 * 365, 16 * 365);
    e->present = (1u << NF) - 1;
    if (!cert)
        e->present &= ~(1u << F_HT_CERT);
    if (complete)
        return;
    /* missing facts: few for the registry's own, ~7 % for the departments' */
    static const double miss[NF] = {0, .02, .01, .03, .05, 0, .07, .07, .08, .08, .06, .09, .08,
                                    .09, .06, .08, .07, .09, .08, .09, .07, .05, .04, .05, .06, 0};
    for (int f = 0; f < NF; f++)
        if (miss[f] > 0 && chance(s, miss[f]))
            e->present &= ~(1u << f);
}

static void fmt_date(int64_t d, char *out, size_t n)
{
    int y, m, dd;
    time_civil_from_days(d, &y, &m, &dd);
    snprintf(out, n, "%04d-%02d-%02d", y, m, dd);
}

/* The canonical text of fact f of e (as stored by ent). */
static void canon(const struct ent *e, int f, char *out, size_t n)
{
    switch (FACTS[f].type) {
    case RULES_CODE:
        snprintf(out, n, "%s",
                 f == F_REGION     ? e->region
                 : f == F_INDUSTRY ? e->industry
                 : f == F_SCALE    ? SCALES[e->v[f]]
                                   : CREDITS[e->v[f]]);
        break;
    case RULES_TAGSET: {
        size_t len = 0;
        out[0] = 0;
        for (int t = 0; t < NT; t++)
            if (e->v[f] >> t & 1)
                len += (size_t)snprintf(out + len, n - len, "%s%s", len ? ";" : "", TAGS[t][0]);
        break;
    }
    case RULES_DATE:
        fmt_date(e->v[f], out, n);
        break;
    case RULES_DECIMAL:
        snprintf(out, n, "%s%lld.%04lld", e->v[f] < 0 ? "-" : "", llabs(e->v[f]) / 10000,
                 llabs(e->v[f]) % 10000);
        break;
    case RULES_BOOL:
        snprintf(out, n, "%s", e->v[f] ? "true" : "false");
        break;
    default:
        snprintf(out, n, "%lld", (long long)e->v[f]);
    }
}

static void to_table(struct rules_table *t, size_t row, const struct ent *e)
{
    char buf[512];
    struct err er;
    for (int f = 0; f < NF; f++) {
        if (!(e->present >> f & 1))
            continue;
        enum rules_type ty = FACTS[f].type;
        if (ty == RULES_CODE || ty == RULES_TAGSET) {
            canon(e, f, buf, sizeof(buf));
            if (rules_table_set(t, row, f, buf, &er) != RC_OK) {
                fprintf(stderr, "rules_bench: %s\n", er.msg);
                exit(2);
            }
        } else {
            rules_table_set_int(t, row, f, e->v[f]);
        }
    }
}

static void to_facts(struct rules_facts *fa, const struct ent *e)
{
    char buf[512];
    struct err er;
    rules_facts_clear(fa);
    for (int f = 0; f < NF; f++) {
        if (!(e->present >> f & 1))
            continue;
        canon(e, f, buf, sizeof(buf));
        if (rules_facts_set(fa, FACTS[f].name, buf, f != F_GRADS, &er) != RC_OK) {
            fprintf(stderr, "rules_bench: %s\n", er.msg);
            exit(2);
        }
    }
}

/* ---- policies ---------------------------------------------------------------------------------- */

static json_t *J(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static json_t *J(const char *fmt, ...)
{
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    json_error_t je;
    json_t *j = json_loads(buf, 0, &je);
    if (!j) {
        fprintf(stderr, "rules_bench: bad generated JSON (%s): %s\n", je.text, buf);
        exit(2);
    }
    return j;
}

static const char *const NAMED[] = {
    "{\"name\":\"small_micro\",\"label\":\"小微企业\",\"node\":{\"fact\":\"scale\",\"op\":\"in\","
    "\"value\":[\"small\",\"micro\"],\"label\":\"企业规模为小型或微型\"}}",
    "{\"name\":\"good_credit\",\"label\":\"纳税信用良好且非失信\",\"node\":{\"all\":["
    "{\"fact\":\"tax_credit_rating\",\"op\":\"in\",\"value\":[\"A\",\"B\"]},"
    "{\"fact\":\"dishonest_executee\",\"op\":\"eq\",\"value\":false}]}}",
    "{\"name\":\"clean_record\",\"label\":\"无重大违法违规\",\"node\":{\"all\":["
    "{\"fact\":\"major_violation\",\"op\":\"eq\",\"value\":false},"
    "{\"fact\":\"env_penalty\",\"op\":\"eq\",\"value\":false}]}}",
    "{\"name\":\"manufacturing\",\"label\":\"制造业企业\",\"node\":{\"fact\":\"industry\","
    "\"op\":\"prefix_in\",\"value\":[\"C\"]}}",
};

#define WAN 1000000LL /* 1万元 in fen */

/* The rule document of policy i (0-based); its region scope in scope[0]. */
static json_t *gen_policy(int i, char *scope, size_t n_scope_buf)
{
    int v = i / 16; /* the variant within a template */
    int kind = i % 10;
    const char *pref = prefs[(size_t)(i / 10) % n_prefs];
    if (kind < 3)
        snprintf(scope, n_scope_buf, "34");
    else if (kind < 7)
        snprintf(scope, n_scope_buf, "%.4s", pref);
    else
        snprintf(scope, n_scope_buf, "%s", counties[(size_t)(i * 7) % n_ah_counties]);
    char grp[16];
    snprintf(grp, sizeof(grp), "%.4s", pref);
    static const long long M[] = {100, 200, 300, 500, 1000, 2000}; /* 万元 thresholds */
    switch (i % 16) {
    case 0: /* 高新技术企业认定奖励 */
        return J("{\"conditions\":{\"all\":[{\"fact\":\"tags\",\"op\":\"has\",\"value\":\"high_tech\"},"
                 "{\"fact\":\"high_tech_certified_on\",\"op\":\"years_since\",\"value\":{\"cmp\":\"lt\",\"value\":%d}},"
                 "{\"ref\":\"good_credit\"}]},\"amount\":{\"fixed\":%lld},"
                 "\"exclusive_group\":\"hightech_%s\"}",
                 1 + v % 2, (long long)(10 + 10 * (v % 4)) * WAN, grp);
    case 1: /* 研发投入补贴 10%，最高100万 */
        return J("{\"conditions\":{\"all\":[{\"ref\":\"good_credit\"},"
                 "{\"fact\":\"rd_expense\",\"op\":\"ge\",\"value\":%lld},"
                 "{\"fact\":\"rd_ratio\",\"op\":\"ge\",\"value\":%d},"
                 "{\"any\":[{\"fact\":\"tags\",\"op\":\"has_any\",\"value\":[\"high_tech\",\"tech_sme\"]},"
                 "{\"fact\":\"invention_patents\",\"op\":\"ge\",\"value\":1}]}]},"
                 "\"amount\":{\"rate\":\"%s\",\"base\":\"rd_expense\",\"cap\":%lld}}",
                 M[v % 4] * WAN, 3 + v % 3, v % 2 ? "0.10" : "0.08", (long long)(50 + 50 * (v % 3)) * WAN);
    case 2: /* 设备投资补助 */
        return J("{\"conditions\":{\"all\":[{\"ref\":\"manufacturing\"},"
                 "{\"fact\":\"equipment_investment\",\"op\":\"ge\",\"value\":%lld},"
                 "{\"ref\":\"clean_record\"},"
                 "{\"fact\":\"founded\",\"op\":\"years_since\",\"value\":{\"cmp\":\"ge\",\"value\":1}}]},"
                 "\"amount\":{\"rate\":\"%s\",\"base\":\"equipment_investment\",\"cap\":%lld,\"round\":\"yuan\"}}",
                 M[2 + v % 4] * WAN, v % 3 == 0 ? "0.05" : v % 3 == 1 ? "0.08" : "0.10",
                 (long long)(200 + 300 * (v % 3)) * WAN);
    case 3: /* 专精特新奖励，按层级就高 */
        return J("{\"conditions\":{\"all\":[{\"fact\":\"tags\",\"op\":\"has_any\",\"value\":"
                 "[\"srdi_city\",\"srdi_province\",\"little_giant\"]},{\"ref\":\"good_credit\"}]},"
                 "\"amount\":{\"tiers\":[{\"when\":{\"fact\":\"tags\",\"op\":\"has\",\"value\":\"little_giant\"},\"amount\":{\"fixed\":%lld}},"
                 "{\"when\":{\"fact\":\"tags\",\"op\":\"has\",\"value\":\"srdi_province\"},\"amount\":{\"fixed\":%lld}}],"
                 "\"else\":{\"fixed\":%lld}},\"exclusive_group\":\"srdi_%s\"}",
                 100 * WAN, 50 * WAN, (long long)(10 + 10 * (v % 2)) * WAN, grp);
    case 4: /* 小微企业贷款贴息 50%，最高50万 */
        return J("{\"conditions\":{\"all\":[{\"ref\":\"small_micro\"},"
                 "{\"fact\":\"loan_interest\",\"op\":\"gt\",\"value\":0},"
                 "{\"fact\":\"dishonest_executee\",\"op\":\"eq\",\"value\":false},"
                 "{\"fact\":\"tax_credit_rating\",\"op\":\"ne\",\"value\":\"D\"}]},"
                 "\"amount\":{\"rate\":\"0.5\",\"base\":\"loan_interest\",\"cap\":%lld}}",
                 (long long)(30 + 20 * (v % 2)) * WAN);
    case 5: /* 稳岗返还 */
        return J("{\"conditions\":{\"all\":[{\"fact\":\"insured_employees\",\"op\":\"ge\",\"value\":1},"
                 "{\"any\":[{\"all\":[{\"ref\":\"small_micro\"},{\"fact\":\"layoff_rate\",\"op\":\"le\",\"value\":20}]},"
                 "{\"fact\":\"layoff_rate\",\"op\":\"le\",\"value\":\"%s\"}]},{\"ref\":\"clean_record\"}]},"
                 "\"amount\":{\"rate\":\"%d\",\"base\":\"insured_employees\",\"cap\":%lld},"
                 "\"cap_group\":{\"name\":\"jobs_%s\",\"cap\":%lld}}",
                 v % 2 ? "5.5" : "3.5", v % 2 ? 50000 : 30000, 300 * WAN, grp, 500 * WAN);
    case 6: /* 高校毕业生就业补贴 1500元/人 */
        return J("{\"conditions\":{\"all\":[{\"fact\":\"new_graduates_hired\",\"op\":\"ge\",\"value\":%d},"
                 "{\"fact\":\"insured_employees\",\"op\":\"ge\",\"value\":1},"
                 "{\"not\":{\"fact\":\"tags\",\"op\":\"has\",\"value\":\"state_owned\"}}]},"
                 "\"amount\":{\"rate\":\"150000\",\"base\":\"new_graduates_hired\",\"cap\":%lld},"
                 "\"cap_group\":{\"name\":\"jobs_%s\",\"cap\":%lld}}",
                 1 + v % 3, 50 * WAN, grp, 500 * WAN);
    case 7: /* 规上工业企业增长奖励，按产值分档 */
        return J("{\"conditions\":{\"all\":[{\"fact\":\"tags\",\"op\":\"has\",\"value\":\"above_scale_industry\"},"
                 "{\"fact\":\"revenue_growth\",\"op\":\"ge\",\"value\":%d},"
                 "{\"fact\":\"industrial_output\",\"op\":\"ge\",\"value\":%lld}]},"
                 "\"amount\":{\"tiers\":[{\"when\":{\"fact\":\"industrial_output\",\"op\":\"ge\",\"value\":%lld},\"amount\":{\"fixed\":%lld}},"
                 "{\"when\":{\"fact\":\"industrial_output\",\"op\":\"ge\",\"value\":%lld},\"amount\":{\"fixed\":%lld}},"
                 "{\"when\":{\"fact\":\"industrial_output\",\"op\":\"ge\",\"value\":%lld},\"amount\":{\"fixed\":%lld}}],"
                 "\"else\":{\"fixed\":%lld}}}",
                 10 + 5 * (v % 3), 2000 * WAN, 100000 * WAN, 100 * WAN, 50000 * WAN, 50 * WAN,
                 10000 * WAN, 20 * WAN, 10 * WAN);
    case 8: /* 外贸出口奖励 2%，最低1万，最高100万 */
        return J("{\"conditions\":{\"all\":[{\"fact\":\"export_value\",\"op\":\"ge\",\"value\":%lld},"
                 "{\"fact\":\"tax_credit_rating\",\"op\":\"in\",\"value\":[\"A\",\"B\",\"M\"]}]},"
                 "\"amount\":{\"rate\":\"0.02\",\"base\":\"export_value\",\"cap\":%lld,\"floor\":%lld}}",
                 M[v % 5] * WAN, 100 * WAN, 1 * WAN);
    case 9: /* 科技型中小企业创新奖励 */
        return J("{\"conditions\":{\"all\":[{\"fact\":\"tags\",\"op\":\"has_any\",\"value\":[\"tech_sme\",\"innovative_sme\"]},"
                 "{\"at_least\":%d,\"of\":[{\"fact\":\"rd_ratio\",\"op\":\"ge\",\"value\":5},"
                 "{\"fact\":\"invention_patents\",\"op\":\"ge\",\"value\":%d},"
                 "{\"fact\":\"revenue_growth\",\"op\":\"ge\",\"value\":20},"
                 "{\"fact\":\"employees\",\"op\":\"ge\",\"value\":50}]}]},"
                 "\"amount\":{\"min\":[{\"fixed\":%lld},{\"rate\":\"0.2\",\"base\":\"rd_expense\"}]}}",
                 2 + v % 2, 3 + 2 * (v % 2), 30 * WAN);
    case 10: { /* 初创企业扶持 */
        static const char *const secs[] = {"[\"I\",\"M\"]", "[\"C\",\"I\"]", "[\"M\",\"39\",\"65\"]"};
        return J("{\"conditions\":{\"all\":[{\"fact\":\"founded\",\"op\":\"years_since\",\"value\":{\"cmp\":\"lt\",\"value\":%d}},"
                 "{\"fact\":\"registered_capital\",\"op\":\"ge\",\"value\":%lld},"
                 "{\"fact\":\"industry\",\"op\":\"prefix_in\",\"value\":%s},{\"ref\":\"small_micro\"}]},"
                 "\"amount\":{\"fixed\":%lld}}",
                 3 + 2 * (v % 2), (long long)(50 + 50 * (v % 2)) * WAN, secs[v % 3], 5 * WAN);
    }
    case 11: /* 纳税贡献奖 */
        return J("{\"conditions\":{\"all\":[{\"fact\":\"tax_paid\",\"op\":\"ge\",\"value\":%lld},"
                 "{\"ref\":\"good_credit\"},{\"not\":{\"fact\":\"tags\",\"op\":\"has\",\"value\":\"listed\"}}]},"
                 "\"amount\":{\"tiers\":[{\"when\":{\"fact\":\"tax_paid\",\"op\":\"ge\",\"value\":%lld},\"amount\":{\"fixed\":%lld}},"
                 "{\"when\":{\"fact\":\"tax_paid\",\"op\":\"ge\",\"value\":%lld},\"amount\":{\"fixed\":%lld}}],"
                 "\"else\":{\"fixed\":%lld}}}",
                 M[3 + v % 3] * WAN, 10000 * WAN, 100 * WAN, 5000 * WAN, 50 * WAN, 20 * WAN);
    case 12: /* 重点产业项目（需人工审核产业导向） */
        return J("{\"conditions\":{\"all\":[{\"fact\":\"industry\",\"op\":\"prefix_in\",\"value\":[\"35\",\"36\",\"38\",\"39\",\"40\"]},"
                 "{\"manual\":true,\"id\":\"m%d\",\"label\":\"项目符合本地产业发展导向\"},"
                 "{\"fact\":\"total_assets\",\"op\":\"ge\",\"value\":%lld}]},"
                 "\"amount\":{\"max\":[{\"fixed\":%lld},{\"rate\":\"0.01\",\"base\":\"total_assets\",\"cap\":%lld}]}}",
                 i, M[4 + v % 2] * WAN * 5, 20 * WAN, 300 * WAN);
    case 13: /* 民营小微企业纾困 */
        return J("{\"conditions\":{\"all\":[{\"fact\":\"tags\",\"op\":\"has\",\"value\":\"private\"},"
                 "{\"fact\":\"scale\",\"op\":\"in\",\"value\":[\"small\",\"micro\"]},"
                 "{\"fact\":\"employees\",\"op\":\"between\",\"value\":[%d,299]},"
                 "{\"fact\":\"revenue\",\"op\":\"between\",\"value\":[%lld,%lld]},"
                 "{\"fact\":\"dishonest_executee\",\"op\":\"eq\",\"value\":false}]},"
                 "\"amount\":{\"fixed\":%lld}}",
                 5 + 5 * (v % 2), 100 * WAN, 2000 * WAN, 2 * WAN);
    case 14: { /* 知识产权 / 特定产业目录 */
        char list[256];
        size_t len = 0;
        for (int k = 0; k < 6; k++)
            len += (size_t)snprintf(list + len, sizeof(list) - len, "%s\"%s\"", k ? "," : "",
                                    classes[(size_t)(v * 13 + k * 17) % n_c_classes].code);
        return J("{\"conditions\":{\"all\":[{\"fact\":\"invention_patents\",\"op\":\"ge\",\"value\":%d},"
                 "{\"any\":[{\"fact\":\"industry\",\"op\":\"in\",\"value\":[%s]},"
                 "{\"fact\":\"tags\",\"op\":\"has_all\",\"value\":[\"high_tech\",\"gazelle\"]}]},"
                 "{\"fact\":\"founded\",\"op\":\"between\",\"value\":[\"2000-01-01\",\"2024-12-31\"]}]},"
                 "\"amount\":{\"fixed\":%lld}}",
                 3 + 2 * (v % 3), list, 10 * WAN);
    }
    default: /* 15: 重点企业要素保障（非资金类） */
        return J("{\"conditions\":{\"all\":[{\"fact\":\"revenue\",\"op\":\"ge\",\"value\":%lld},"
                 "{\"fact\":\"employees\",\"op\":\"ge\",\"value\":%d},"
                 "{\"fact\":\"major_violation\",\"op\":\"eq\",\"value\":false},"
                 "{\"any\":[{\"ref\":\"manufacturing\"},{\"fact\":\"tags\",\"op\":\"has\",\"value\":\"above_scale_service\"}]}]}}",
                 M[4 + v % 2] * WAN * 5, 100 + 100 * (v % 2));
    }
}

static struct rules_catalog *catalog(void)
{
    struct rules_catalog *cat = rules_catalog_new();
    for (int f = 0; f < NF; f++)
        if (rules_catalog_add_fact(cat, FACTS[f].name, FACTS[f].type, FACTS[f].label,
                                   FACTS[f].unit, FACTS[f].values) != f)
            exit(2);
    for (int t = 0; t < NT; t++)
        if (rules_catalog_add_tag(cat, TAGS[t][0], TAGS[t][1]) != t)
            exit(2);
    return cat;
}

static struct rules_set *policies(const struct rules_catalog *cat, int n, json_t **jl)
{
    struct rules_named *nc = rules_named_new();
    struct err e;
    for (size_t k = 0; k < sizeof(NAMED) / sizeof(NAMED[0]); k++) {
        json_t *d = J("%s", NAMED[k]);
        if (rules_named_add(nc, d, &e) != RC_OK) {
            fprintf(stderr, "rules_bench: named: %s\n", e.msg);
            exit(2);
        }
        json_decref(d);
    }
    struct rules_policy **pols = xcalloc((size_t)n, sizeof(*pols));
    for (int i = 0; i < n; i++) {
        char scope[8];
        json_t *doc = gen_policy(i, scope, sizeof(scope));
        const char *sc[1] = {scope};
        struct rules_opts o = {.scope = sc, .n_scope = 1};
        if (rules_compile(cat, nc, doc, i + 1, &o, &pols[i], &e) != RC_OK) {
            fprintf(stderr, "rules_bench: policy %d: %s\n", i, e.msg);
            exit(2);
        }
        if (jl)
            json_array_append_new(*jl, json_pack("{s:I, s:o}", "id", (json_int_t)(i + 1), "logic",
                                                rules_to_jsonlogic(pols[i])));
        json_decref(doc);
    }
    struct rules_set *set = rules_set_new(cat, pols, (size_t)n);
    xfree(pols);
    rules_named_free(nc);
    return set;
}

/* ---- measuring ------------------------------------------------------------------------------------ */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* VmRSS or VmHWM of this process in KiB. */
static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    size_t kl = strlen(key);
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, key, kl) == 0 && line[kl] == ':')
            kb = atol(line + kl + 1);
    if (f)
        fclose(f);
    return kb;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Per-pair results of the sample (for the peers and the row-evaluator check). */
struct sample_hits {
    char *ok; /* S × P: '1' eligible or manual_review, '0' else */
    size_t P;
};

static void sample_cb(void *ctx, const struct rules_hit *h)
{
    struct sample_hits *s = ctx;
    if (h->outcome == RULES_ELIGIBLE || h->outcome == RULES_MANUAL)
        s->ok[h->row * s->P + h->policy] = '1'; /* each pair written once: no lock needed */
}

static json_t *ent_json(const struct ent *e, const struct rules_set *set, int n_pol)
{
    json_t *o = json_object();
    char buf[512];
    for (int f = 0; f < NF; f++) {
        json_t *v;
        switch (FACTS[f].type) {
        case RULES_TAGSET:
            v = json_array();
            for (int t = 0; t < NT; t++)
                if (e->v[f] >> t & 1)
                    json_array_append_new(v, json_string(TAGS[t][0]));
            break;
        case RULES_DECIMAL:
            canon(e, f, buf, sizeof(buf));
            v = json_real(strtod(buf, NULL));
            break;
        case RULES_BOOL:
            v = json_boolean(e->v[f]);
            break;
        case RULES_INT:
        case RULES_MONEY:
            v = json_integer(e->v[f]);
            break;
        default:
            canon(e, f, buf, sizeof(buf));
            v = json_string(buf);
        }
        json_object_set_new(o, FACTS[f].name, v);
    }
    char sec[2] = {codes_industry_section(e->industry), 0};
    json_object_set_new(o, "industry_section", json_string(sec));
    json_t *ys = json_object();
    static const int dates[] = {F_FOUNDED, F_HT_CERT};
    for (int k = 0; k < 2; k++) {
        int y1, m1, d1, y2, m2, d2;
        time_civil_from_days(e->v[dates[k]], &y1, &m1, &d1);
        time_civil_from_days(TODAY, &y2, &m2, &d2);
        int n = y2 - y1 - (m2 < m1 || (m2 == m1 && d2 < d1));
        json_object_set_new(ys, FACTS[dates[k]].name, json_integer(n));
    }
    json_object_set_new(o, "years_since", ys);
    json_t *man = json_object();
    for (int i = 0; i < n_pol; i++)
        if (i % 16 == 12) {
            snprintf(buf, sizeof(buf), "m%d", i);
            json_object_set_new(man, buf, json_true());
        }
    (void)set;
    json_object_set_new(o, "manual", man);
    return o;
}

static void dump_file(const char *dir, const char *name, json_t *j)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (json_dump_file(j, path, JSON_COMPACT | JSON_REAL_PRECISION(17)) != 0) {
        fprintf(stderr, "rules_bench: cannot write %s\n", path);
        exit(2);
    }
}

/* ---- the API dump (bench/policies_http.sh) ------------------------------------------------- */

static const char *const TEMPLATE_TITLES[16] = {
    "高新技术企业认定奖励",   "研发投入补贴",         "设备投资补助",
    "专精特新企业奖励",       "小微企业贷款贴息",     "稳岗返还",
    "高校毕业生就业补贴",     "规上工业企业增长奖励", "外贸出口奖励",
    "科技型中小企业创新奖励", "初创企业扶持",         "纳税贡献奖",
    "重点产业项目扶持",       "民营小微企业纾困",     "特定产业目录奖励",
    "重点企业要素保障"};
static const char *const DELIVERIES[3] = {"mian_shen", "ji_shen", "shen_bao"};

static FILE *dump_open(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "rules_bench: cannot write %s\n", path);
        exit(2);
    }
    return f;
}

/* Writes j (stolen) as one line of f. */
static void dump_line(FILE *f, json_t *j)
{
    if (json_dumpf(j, f, JSON_COMPACT | JSON_REAL_PRECISION(6)) != 0 || fputc('\n', f) == EOF) {
        fprintf(stderr, "rules_bench: write failed\n");
        exit(2);
    }
    json_decref(j);
}

static void dump_close(FILE *f)
{
    if (fclose(f) != 0) {
        fprintf(stderr, "rules_bench: write failed\n");
        exit(2);
    }
}

/* Enterprise e as a line of `qifu import enterprises` (JSON Lines): missing facts left out. */
static json_t *import_json(const struct ent *e, const char *code, long k)
{
    json_t *o = json_object();
    char buf[512];
    json_object_set_new(o, "credit_code", json_string(code));
    snprintf(buf, sizeof(buf), "基准测试企业%03ld有限公司", k + 1);
    json_object_set_new(o, "name", json_string(buf));
    for (int f = 0; f < NF; f++) {
        if (!(e->present >> f & 1))
            continue;
        json_t *v;
        switch (FACTS[f].type) {
        case RULES_TAGSET:
            v = json_array();
            for (int t = 0; t < NT; t++)
                if (e->v[f] >> t & 1)
                    json_array_append_new(v, json_string(TAGS[t][0]));
            break;
        case RULES_INT:
        case RULES_MONEY:
            v = json_integer(e->v[f]);
            break;
        case RULES_BOOL:
            v = json_boolean(e->v[f]);
            break;
        default: /* codes, dates, decimals (as exact text) */
            canon(e, f, buf, sizeof(buf));
            v = json_string(buf);
        }
        json_object_set_new(o, FACTS[f].name, v);
    }
    return o;
}

static void dump_api(const char *dir, const struct rules_set *set, const struct rules_catalog *cat,
                     long P, long K, uint64_t seed, int64_t day)
{
    mkdir(dir, 0777);
    FILE *f = dump_open(dir, "conditions.jsonl");
    for (size_t k = 0; k < sizeof(NAMED) / sizeof(NAMED[0]); k++)
        dump_line(f, J("%s", NAMED[k]));
    dump_close(f);

    f = dump_open(dir, "policies.jsonl");
    for (long i = 0; i < P; i++) {
        char scope[8], title[128], doc_no[64];
        json_t *rules = gen_policy((int)i, scope, sizeof(scope));
        snprintf(title, sizeof(title), "%s（基准政策 %ld）", TEMPLATE_TITLES[i % 16], i + 1);
        snprintf(doc_no, sizeof(doc_no), "基准〔2026〕%ld号", i + 1);
        dump_line(f,
                  json_pack("{s:s, s:s, s:s, s:s, s:[s], s:s, s:s, s:o}", "title", title, "doc_no",
                            doc_no, "summary", "性能基准生成的政策（bench/rules_bench.c）",
                            "delivery", DELIVERIES[i % 3], "region_scope", scope, "valid_from",
                            "2025-01-01", "valid_to", "2030-12-31", "rules", rules));
    }
    dump_close(f);

    FILE *fe = dump_open(dir, "enterprises.jsonl"), *fx = dump_open(dir, "expected.jsonl");
    struct rules_facts *fa = rules_facts_new(cat);
    uint64_t s = seed ^ 0xA11CE;
    struct ent e;
    struct err er;
    for (long k = 0; k < K; k++) {
        bool complete = k < (K + 1) / 2;
        do /* the incomplete half: at least one fact missing */
            gen_ent(&s, &e, complete);
        while (!complete && e.present == (1u << NF) - 1);
        char code[19];
        ent_gen_credit_code(e.region, seed, (size_t)k, code);
        dump_line(fe, import_json(&e, code, k));

        to_facts(fa, &e);
        struct rules_row *row;
        double ms[5];
        for (int it = 0; it < 5; it++) {
            double t0 = now();
            if (rules_eval(set, fa, day, RULES_EXPLAIN, &row, &er) != RC_OK) {
                fprintf(stderr, "rules_bench: api row: %s\n", er.msg);
                exit(1);
            }
            ms[it] = (now() - t0) * 1e3;
            rules_row_free(row);
        }
        qsort(ms, 5, sizeof(ms[0]), cmp_double);
        if (rules_eval(set, fa, day, 0, &row, &er) != RC_OK) {
            fprintf(stderr, "rules_bench: api row: %s\n", er.msg);
            exit(1);
        }
        json_int_t counts[4] = {0}, total = 0;
        bool partial = false;
        for (size_t p = 0; p < row->n; p++) {
            const struct rules_result *r = &row->results[p];
            counts[r->outcome]++;
            if (r->outcome == RULES_ELIGIBLE && r->amount_state == RULES_AMOUNT_KNOWN)
                total += r->amount;
            else if (r->outcome == RULES_ELIGIBLE && r->amount_state == RULES_AMOUNT_UNKNOWN)
                partial = true;
        }
        rules_row_free(row);
        dump_line(fx, json_pack("{s:s, s:b, s:i, s:{s:I, s:I, s:I, s:I}, s:I, s:b, s:f}",
                                "credit_code", code, "complete", complete, "missing",
                                NF - __builtin_popcount(e.present), "counts", "eligible",
                                counts[RULES_ELIGIBLE], "manual_review", counts[RULES_MANUAL],
                                "possibly_eligible", counts[RULES_POSSIBLY], "ineligible",
                                counts[RULES_INELIGIBLE], "estimated_total_fen", total,
                                "estimated_total_partial", partial, "eval_explain_ms", ms[2]));
    }
    rules_facts_free(fa);
    dump_close(fe);
    dump_close(fx);
    char d[11];
    fmt_date(day, d, sizeof(d));
    printf("rules: wrote %s/{conditions,policies,enterprises,expected}.jsonl (%ld policies, %ld "
           "enterprises, day %s)\n",
           dir, P, K, d);
}

static void usage(void)
{
    fprintf(stderr, "usage: rules_bench [--policies P] [--enterprises N] [--threads T] "
                    "[--row-iters R] [--sample S] [--dump DIR] [--seed X] [--repeat K] [--quiet] "
                    "[--dump-api DIR] [--api-enterprises K] [--day YYYY-MM-DD]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    long P = 1100, N = 1000000, T = 2, R = 1000, S = 0, REP = 3;
    uint64_t seed = 20260630;
    const char *dump = NULL, *dump_api_dir = NULL, *day_arg = NULL;
    long K = 8;
    bool quiet = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--quiet") == 0) {
            quiet = true;
            continue;
        }
        if (i + 1 >= argc)
            usage();
        const char *val = argv[++i];
        if (strcmp(a, "--policies") == 0)
            P = atol(val);
        else if (strcmp(a, "--enterprises") == 0)
            N = atol(val);
        else if (strcmp(a, "--threads") == 0)
            T = atol(val);
        else if (strcmp(a, "--row-iters") == 0)
            R = atol(val);
        else if (strcmp(a, "--sample") == 0)
            S = atol(val);
        else if (strcmp(a, "--repeat") == 0)
            REP = atol(val);
        else if (strcmp(a, "--seed") == 0)
            seed = strtoull(val, NULL, 10);
        else if (strcmp(a, "--dump") == 0)
            dump = val;
        else if (strcmp(a, "--dump-api") == 0)
            dump_api_dir = val;
        else if (strcmp(a, "--api-enterprises") == 0)
            K = atol(val);
        else if (strcmp(a, "--day") == 0)
            day_arg = val;
        else
            usage();
    }
    if (P < 1 || N < 0 || T < 1 || R < 0 || S < 0 || REP < 1 || K < 1)
        usage();
    if (dump && !S)
        S = 5000;
    TODAY = time_days_from_civil(2026, 6, 30);
    int64_t api_day = TODAY;
    if (day_arg) {
        int y, m, d;
        char extra;
        if (sscanf(day_arg, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3 || m < 1 || m > 12 || d < 1 ||
            d > 31)
            usage();
        api_day = time_days_from_civil(y, m, d);
    }
    load_codes();
    struct rules_catalog *cat = catalog();

    /* the compiled set */
    long rss0 = status_kb("VmRSS");
    double t0 = now();
    json_t *jl = dump ? json_array() : NULL;
    struct rules_set *set = policies(cat, (int)P, jl ? &jl : NULL);
    double t_compile = now() - t0;
    long rss_set = status_kb("VmRSS") - rss0;
    printf("rules: %ld policies compiled in %.3f s: %zu distinct conditions after sharing; "
           "set %.1f MB RSS\n",
           P, t_compile, rules_set_leaves(set), (double)rss_set / 1024);

    /* (a) the batch */
    double batch_s = 0, batch_ns = 0, table_mb = 0;
    size_t hits = 0;
    if (N > 0) {
        long rss1 = status_kb("VmRSS");
        struct rules_table *t = rules_table_new(cat, (size_t)N);
        uint64_t s = seed;
        struct ent e;
        t0 = now();
        size_t missing = 0;
        for (long r = 0; r < N; r++) {
            gen_ent(&s, &e, false);
            missing += (size_t)(NF - __builtin_popcount(e.present));
            to_table(t, (size_t)r, &e);
        }
        table_mb = (double)(status_kb("VmRSS") - rss1) / 1024;
        printf("rules: %ld enterprises generated in %.1f s (%.1f %% of facts missing); "
               "table %.1f MB RSS\n",
               N, now() - t0, 100.0 * (double)missing / ((double)N * NF), table_mb);
        struct rules_counts *counts = xcalloc((size_t)P, sizeof(*counts));
        struct err er;
        for (long k = 0; k < REP; k++) {
            t0 = now();
            if (rules_batch_run(set, t, TODAY, (int)T, NULL, NULL, counts, &er) != RC_OK) {
                fprintf(stderr, "rules_bench: batch: %s\n", er.msg);
                return 1;
            }
            double d = now() - t0;
            if (!quiet)
                printf("rules: batch run %ld: %.3f s\n", k + 1, d);
            if (k == 0 || d < batch_s)
                batch_s = d;
        }
        size_t el = 0, po = 0, ma = 0;
        int64_t total = 0;
        for (long p = 0; p < P; p++) {
            el += counts[p].eligible;
            po += counts[p].possibly;
            ma += counts[p].manual;
            total += counts[p].amount_total;
        }
        hits = el + po + ma;
        batch_ns = batch_s * 1e9 / ((double)P * (double)N);
        printf("rules: batch %ld policies × %ld enterprises on %ld threads: %.3f s, %.2f ns/pair "
               "(best of %ld); %zu eligible, %zu possibly, %zu manual pairs; %.0f 亿元 in total\n",
               P, N, T, batch_s, batch_ns, REP, el, po, ma, (double)total / 1e10);
        xfree(counts);
        rules_table_free(t);
    }

    /* (b) the row evaluator with explanations */
    double p50 = 0, p99 = 0, pmax = 0, q50 = 0, q99 = 0;
    for (int pass = 0; pass < 2 && R > 0; pass++) {
        unsigned flags = pass == 0 ? RULES_EXPLAIN : 0;
        double *lat = xcalloc((size_t)R, sizeof(double));
        struct rules_facts *fa = rules_facts_new(cat);
        uint64_t s = seed ^ 0x5555;
        struct ent e;
        struct err er;
        size_t n_expl = 0;
        for (long k = 0; k < R + 20; k++) {
            gen_ent(&s, &e, false);
            to_facts(fa, &e);
            struct rules_row *row;
            t0 = now();
            if (rules_eval(set, fa, TODAY, flags, &row, &er) != RC_OK) {
                fprintf(stderr, "rules_bench: row: %s\n", er.msg);
                return 1;
            }
            double d = now() - t0;
            n_expl += row->n;
            rules_row_free(row);
            if (k >= 20) /* warm-up */
                lat[k - 20] = d;
        }
        qsort(lat, (size_t)R, sizeof(double), cmp_double);
        if (pass == 0) {
            p50 = lat[R / 2] * 1e3;
            p99 = lat[(size_t)((double)R * 0.99)] * 1e3;
            pmax = lat[R - 1] * 1e3;
            printf("rules: row evaluator with explanations, 1 enterprise × %ld policies: p50 "
                   "%.3f ms, p99 %.3f ms, max %.3f ms (%ld enterprises)\n",
                   P, p50, p99, pmax, R);
        } else {
            q50 = lat[R / 2] * 1e3;
            q99 = lat[(size_t)((double)R * 0.99)] * 1e3;
            printf("rules: row evaluator without explanations (outcomes, amounts, missing facts): "
                   "p50 %.3f ms, p99 %.3f ms\n",
                   q50, q99);
        }
        xfree(lat);
        rules_facts_free(fa);
    }

    /* the sample for the peers */
    if (S > 0) {
        struct ent *es = xcalloc((size_t)S, sizeof(*es));
        uint64_t s = seed ^ 0xC0FFEE;
        struct rules_table *t = rules_table_new(cat, (size_t)S);
        for (long r = 0; r < S; r++) {
            gen_ent(&s, &es[r], true);
            to_table(t, (size_t)r, &es[r]);
        }
        struct sample_hits sh = {xcalloc((size_t)S * (size_t)P, 1), (size_t)P};
        memset(sh.ok, '0', (size_t)S * (size_t)P);
        struct err er;
        t0 = now();
        if (rules_batch_run(set, t, TODAY, 1, sample_cb, &sh, NULL, &er) != RC_OK) {
            fprintf(stderr, "rules_bench: sample: %s\n", er.msg);
            return 1;
        }
        double sample_ns = (now() - t0) * 1e9 / ((double)S * (double)P);
        /* the row evaluator must agree on every pair */
        struct rules_facts *fa = rules_facts_new(cat);
        size_t diffs = 0, ones = 0;
        for (long r = 0; r < S; r++) {
            to_facts(fa, &es[r]);
            struct rules_row *row;
            if (rules_eval(set, fa, TODAY, 0, &row, &er) != RC_OK)
                return 1;
            for (long p = 0; p < P; p++) {
                enum rules_outcome o = row->results[p].outcome;
                char c = o == RULES_ELIGIBLE || o == RULES_MANUAL ? '1' : '0';
                ones += c == '1';
                if (o == RULES_POSSIBLY || c != sh.ok[(size_t)r * (size_t)P + (size_t)p]) {
                    if (diffs++ < 5)
                        fprintf(stderr, "rules_bench: sample row %ld policy %ld: row evaluator "
                                        "%s, batch %c\n",
                                r, p + 1, rules_outcome_name(o),
                                sh.ok[(size_t)r * (size_t)P + (size_t)p]);
                }
            }
            rules_row_free(row);
        }
        rules_facts_free(fa);
        if (diffs) {
            fprintf(stderr, "rules_bench: FAIL: %zu sample pairs differ\n", diffs);
            return 1;
        }
        printf("rules: sample of %ld complete enterprises: %zu of %ld pairs true; row and batch "
               "evaluators agree; batch on 1 thread %.2f ns/pair\n",
               S, ones, S * P, sample_ns);
        if (dump) {
            mkdir(dump, 0777);
            dump_file(dump, "policies.json", jl);
            json_t *facts = json_object();
            static const char *const tn[] = {"int", "money", "decimal", "date",
                                             "code", "bool", "tagset"};
            for (int f = 0; f < NF; f++)
                json_object_set_new(facts, FACTS[f].name, json_string(tn[FACTS[f].type]));
            dump_file(dump, "facts.json", facts);
            json_decref(facts);
            json_t *arr = json_array(), *exp = json_array();
            for (long r = 0; r < S; r++) {
                json_array_append_new(arr, ent_json(&es[r], set, (int)P));
                json_array_append_new(exp, json_stringn(sh.ok + (size_t)r * (size_t)P, (size_t)P));
            }
            dump_file(dump, "sample.json", arr);
            dump_file(dump, "expected.json", exp);
            json_decref(arr);
            json_decref(exp);
            printf("rules: wrote %s/{policies,facts,sample,expected}.json\n", dump);
        }
        xfree(sh.ok);
        xfree(es);
        rules_table_free(t);
    }
    json_decref(jl);
    if (dump_api_dir)
        dump_api(dump_api_dir, set, cat, P, K, seed, api_day);
    printf("RESULT policies=%ld enterprises=%ld threads=%ld leaves=%zu batch_s=%.4f "
           "batch_ns=%.3f row_p50_ms=%.4f row_p99_ms=%.4f row_max_ms=%.4f noexpl_p50_ms=%.4f "
           "noexpl_p99_ms=%.4f set_mb=%.1f "
           "table_mb=%.1f peak_mb=%.1f hits=%zu\n",
           P, N, T, rules_set_leaves(set), batch_s, batch_ns, p50, p99, pmax, q50, q99,
           (double)rss_set / 1024, table_mb, (double)status_kb("VmHWM") / 1024, hits);
    rules_set_free(set);
    rules_catalog_free(cat);
    return 0;
}
