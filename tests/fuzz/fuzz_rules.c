/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_rules: libFuzzer target for the rule compiler. The input is a JSON document
 * {"named": [...], "rule": {...}} or a bare rule; whatever compiles is then evaluated
 * by both evaluators (with explanations) and exported to JsonLogic, so a policy can
 * never crash or hang the server.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/jsonx.h"
#include "base/mem.h"
#include "rules/rules.h"

/* Every explanation is JSON text that parses. */
static void check_explanation(const struct rules_row *row)
{
    for (size_t i = 0; i < row->n; i++) {
        json_t *x = rules_result_explanation(&row->results[i]);
        if (!x)
            __builtin_trap();
        json_decref(x);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static struct rules_catalog *catalog(void)
{
    static struct rules_catalog *cat;
    if (cat)
        return cat;
    cat = rules_catalog_new();
    rules_catalog_add_fact(cat, "region", RULES_CODE, "注册地行政区划", "", "");
    rules_catalog_add_fact(cat, "industry", RULES_CODE, "国民经济行业", "", "");
    rules_catalog_add_fact(cat, "founded", RULES_DATE, "成立日期", "", "");
    rules_catalog_add_fact(cat, "scale", RULES_CODE, "企业规模", "", "large,medium,small,micro");
    rules_catalog_add_fact(cat, "tags", RULES_TAGSET, "资质标签", "", "");
    rules_catalog_add_fact(cat, "employees", RULES_INT, "从业人员数", "人", "");
    rules_catalog_add_fact(cat, "revenue", RULES_MONEY, "营业收入", "元", "");
    rules_catalog_add_fact(cat, "rd_ratio", RULES_DECIMAL, "研发费用占营业收入比例", "%", "");
    rules_catalog_add_fact(cat, "dishonest_executee", RULES_BOOL, "失信被执行人", "", "");
    rules_catalog_add_tag(cat, "high_tech", "高新技术企业");
    rules_catalog_add_tag(cat, "srdi_city", "专精特新中小企业（市级）");
    return cat;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    json_t *j;
    struct err e;
    if (jsonx_parse((const char *)data, n, JSONX_MAX_DEPTH, &j, &e) != RC_OK)
        return 0;
    struct rules_catalog *cat = catalog();
    struct rules_named *named = rules_named_new();
    const json_t *rule = json_object_get(j, "rule") ? json_object_get(j, "rule") : j;
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(j, "named"), i, x)
    {
        if (rules_named_add(named, x, &e) != RC_OK)
            break;
    }
    static const char *const scope[] = {"3401"};
    struct rules_opts opts = {.scope = scope, .n_scope = n % 2};
    struct rules_policy *p;
    if (rules_compile(cat, named, rule, 1, &opts, &p, &e) == RC_OK) {
        json_t *jl = rules_to_jsonlogic(p);
        json_decref(jl);
        struct rules_set *set = rules_set_new(cat, &p, 1);
        struct rules_facts *f = rules_facts_new(cat);
        struct rules_table *t = rules_table_new(cat, 70);
        struct rules_row *row;
        if (rules_eval(set, f, 20000, RULES_EXPLAIN, &row, &e) == RC_OK) {
            check_explanation(row);
            rules_row_free(row);
        }
        (void)rules_facts_set(f, "region", "340104", true, &e);
        (void)rules_facts_set(f, "industry", "3911", true, &e);
        (void)rules_facts_set(f, "founded", "2020-02-29", true, &e);
        (void)rules_facts_set(f, "tags", "high_tech", false, &e);
        (void)rules_facts_set(f, "employees", "10", true, &e);
        (void)rules_facts_set(f, "revenue", "1000000000", true, &e);
        (void)rules_facts_set(f, "rd_ratio", "3.5", true, &e);
        if (rules_eval(set, f, 20000, RULES_EXPLAIN, &row, &e) == RC_OK) {
            check_explanation(row);
            rules_row_free(row);
        }
        (void)rules_table_set(t, 3, 0, "340104", &e);
        (void)rules_table_set(t, 3, 4, "high_tech;srdi_city", &e);
        rules_table_set_int(t, 65, 5, 10);
        rules_table_set_int(t, 66, 6, 1000000000);
        struct rules_counts counts[1];
        if (rules_batch_run(set, t, 20000, 1, NULL, NULL, counts, &e) != RC_OK)
            __builtin_trap();
        rules_table_free(t);
        rules_facts_free(f);
        rules_set_free(set);
    }
    rules_named_free(named);
    json_decref(j);
    return 0;
}
