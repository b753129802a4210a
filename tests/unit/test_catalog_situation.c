/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of src/catalog/catalog_situation: the personal material list of a guide with 3
 * questions and 12 materials (tests/cases/catalog/guide_3q.json) for every combination
 * of answers, unanswered included, against a table written out below; the order of the
 * questions still needed; enterprise facts answering (and an explicit answer winning);
 * answers refused with Chinese messages next to the field; guides that do not compile.
 */
#include <stdio.h>
#include <string.h>

#include "../../src/base/mem.h"
#include "../../src/catalog/catalog_situation.h"
#include "../../src/rules/rules.h"
#include "unit.h"

/* 2026-03-01 (days since 1970-01-01): no condition of these guides reads a date. */
#define TODAY 20513

/* The enterprise facts a guide's conditions may read (a part of migration 0002's). */
static struct rules_catalog *ent_catalog(void)
{
    struct rules_catalog *cat = rules_catalog_new();
    ck_assert_int_ge(rules_catalog_add_fact(cat, "region", RULES_CODE, "注册地行政区划", "", ""),
                     0);
    ck_assert_int_ge(rules_catalog_add_fact(cat, "employees", RULES_INT, "从业人员数", "人", ""),
                     0);
    ck_assert_int_ge(rules_catalog_add_fact(cat, "scale", RULES_CODE, "企业规模", "",
                                            "large,medium,small,micro"),
                     0);
    return cat;
}

static json_t *load_guide(void)
{
    const char *d = getenv("CATALOG_CASES_DIR");
    char path[512];
    snprintf(path, sizeof(path), "%s/guide_3q.json", d ? d : "tests/cases/catalog");
    json_error_t je;
    json_t *g = json_load_file(path, 0, &je);
    ck_assert_msg(g != NULL, "%s: %s", path, je.text);
    return g;
}

static struct catalog_checklist *compile(const json_t *guide)
{
    struct catalog_checklist *cl = NULL;
    struct err e;
    err_clear(&e);
    enum rc rc = catalog_checklist_new(guide, ent_catalog(), &cl, &e);
    ck_assert_msg(rc == RC_OK, "compile: %s", e.msg);
    return cl;
}

/* Evaluates answers (JSON text) with no registry facts; returns the answer or NULL with e. */
static json_t *eval(const struct catalog_checklist *cl, const char *answers, struct err *e)
{
    json_t *a = answers ? json_loads(answers, 0, NULL) : NULL;
    struct rules_facts *f = catalog_checklist_facts_new(cl);
    json_t *out = NULL;
    err_clear(e);
    if (catalog_checklist_eval(cl, a, f, TODAY, &out, e))
        out = NULL;
    rules_facts_free(f);
    json_decref(a);
    return out;
}

/* Is an item with "id" (or "name") id in list? */
static const json_t *find(const json_t *list, const char *key, const char *id)
{
    size_t i;
    json_t *it;
    json_array_foreach(list, i, it)
    {
        if (strcmp(json_string_value(json_object_get(it, key)), id) == 0)
            return it;
    }
    return NULL;
}

/*
 * Every combination of answers: 是否为连锁经营企业 (- unanswered, t, f) × 经营场所面积
 * (-1 unanswered, 120, 200, 600 平方米) × 经营项目 (NULL unanswered, sale, catering,
 * both). Materials m1..m12: Y in the list, N out, ? pending. Questions: still needed, in
 * order, with how many pending items (materials, steps, fees, 受理条件) each may decide.
 * The conditions (guide_3q.json): m1 always; m2 chain; m3 not chain (chain = false);
 * m4 area ≥ 150; m5 area < 150; m6 kind = catering; m7 kind in (catering, both); m8
 * catering and area ≥ 150; m9 chain or area ≥ 500; m10 not kind = sale; m11 at least 2
 * of (chain, area ≥ 150, kind = both); m12 chain = false and (kind = sale or area in
 * 100..300); step 现场核查 area ≥ 150; fee chain; 受理条件 kind in (catering, both).
 * Worked by hand per condition with Kleene logic; a question counts for a pending item
 * only when a leaf of it is UNKNOWN under UNKNOWN ancestors (e.g. kind = sale decides
 * the "any" of m12, so area no longer counts there). An independent script (not the
 * code under test) checked the table once.
 */
static const struct {
    const char *chain;
    int area;
    const char *kind;
    const char *materials;
    const char *questions;
} table[] = {
    {"-", -1, NULL, "Y???????????", "s_area:7,s_kind:7,s_chain:6"},
    {"-", -1, "sale", "Y????NNN?N??", "s_chain:6,s_area:5"},
    {"-", -1, "catering", "Y????YY??Y??", "s_area:7,s_chain:6"},
    {"-", -1, "both", "Y????NYN?Y??", "s_chain:6,s_area:6"},
    {"-", 120, NULL, "Y??NY??N????", "s_chain:6,s_kind:5"},
    {"-", 120, "sale", "Y??NYNNN?NN?", "s_chain:5"},
    {"-", 120, "catering", "Y??NYYYN?YN?", "s_chain:5"},
    {"-", 120, "both", "Y??NYNYN?Y??", "s_chain:6"},
    {"-", 200, NULL, "Y??YN???????", "s_chain:6,s_kind:6"},
    {"-", 200, "sale", "Y??YNNNN?N??", "s_chain:6"},
    {"-", 200, "catering", "Y??YNYYY?Y??", "s_chain:6"},
    {"-", 200, "both", "Y??YNNYN?YY?", "s_chain:5"},
    {"-", 600, NULL, "Y??YN???Y???", "s_kind:7,s_chain:5"},
    {"-", 600, "sale", "Y??YNNNNYN??", "s_chain:5"},
    {"-", 600, "catering", "Y??YNYYYYY?N", "s_chain:4"},
    {"-", 600, "both", "Y??YNNYNYYYN", "s_chain:3"},
    {"t", -1, NULL, "YYN?????Y??N", "s_kind:6,s_area:5"},
    {"t", -1, "sale", "YYN??NNNYN?N", "s_area:4"},
    {"t", -1, "catering", "YYN??YY?YY?N", "s_area:5"},
    {"t", -1, "both", "YYN??NYNYYYN", "s_area:3"},
    {"t", 120, NULL, "YYNNY??NY??N", "s_kind:5"},
    {"t", 120, "sale", "YYNNYNNNYNNN", ""},
    {"t", 120, "catering", "YYNNYYYNYYNN", ""},
    {"t", 120, "both", "YYNNYNYNYYYN", ""},
    {"t", 200, NULL, "YYNYN???Y?YN", "s_kind:5"},
    {"t", 200, "sale", "YYNYNNNNYNYN", ""},
    {"t", 200, "catering", "YYNYNYYYYYYN", ""},
    {"t", 200, "both", "YYNYNNYNYYYN", ""},
    {"t", 600, NULL, "YYNYN???Y?YN", "s_kind:5"},
    {"t", 600, "sale", "YYNYNNNNYNYN", ""},
    {"t", 600, "catering", "YYNYNYYYYYYN", ""},
    {"t", 600, "both", "YYNYNNYNYYYN", ""},
    {"f", -1, NULL, "YNY?????????", "s_area:7,s_kind:7"},
    {"f", -1, "sale", "YNY??NNN?NNY", "s_area:4"},
    {"f", -1, "catering", "YNY??YY??YN?", "s_area:6"},
    {"f", -1, "both", "YNY??NYN?Y??", "s_area:6"},
    {"f", 120, NULL, "YNYNY??NN?NY", "s_kind:4"},
    {"f", 120, "sale", "YNYNYNNNNNNY", ""},
    {"f", 120, "catering", "YNYNYYYNNYNY", ""},
    {"f", 120, "both", "YNYNYNYNNYNY", ""},
    {"f", 200, NULL, "YNYYN???N??Y", "s_kind:6"},
    {"f", 200, "sale", "YNYYNNNNNNNY", ""},
    {"f", 200, "catering", "YNYYNYYYNYNY", ""},
    {"f", 200, "both", "YNYYNNYNNYYY", ""},
    {"f", 600, NULL, "YNYYN???Y???", "s_kind:7"},
    {"f", 600, "sale", "YNYYNNNNYNNY", ""},
    {"f", 600, "catering", "YNYYNYYYYYNN", ""},
    {"f", 600, "both", "YNYYNNYNYYYN", ""},
};

START_TEST(test_every_combination)
{
    json_t *g = load_guide();
    struct catalog_checklist *cl = compile(g);
    ck_assert_int_eq(sizeof(table) / sizeof(table[0]), 48);
    for (size_t r = 0; r < sizeof(table) / sizeof(table[0]); r++) {
        json_t *a = json_object();
        if (table[r].chain[0] != '-')
            json_object_set_new(a, "s_chain", json_boolean(table[r].chain[0] == 't'));
        if (table[r].area >= 0)
            json_object_set_new(a, "s_area", json_integer(table[r].area));
        if (table[r].kind)
            json_object_set_new(a, "s_kind", json_string(table[r].kind));
        char *text = json_dumps(a, JSON_COMPACT);
        json_decref(a);
        struct err e;
        json_t *out = eval(cl, text, &e);
        ck_assert_msg(out != NULL, "%s: %s", text, e.msg);
        char got[13];
        for (int m = 0; m < 12; m++) {
            char id[16];
            snprintf(id, sizeof(id), "m%d", m + 1);
            const json_t *in = find(json_object_get(out, "materials"), "id", id);
            const json_t *pend =
                find(json_object_get(json_object_get(out, "pending"), "materials"), "id", id);
            ck_assert_msg(!(in && pend), "%s: %s both listed and pending", text, id);
            got[m] = in ? 'Y' : pend ? '?' : 'N';
            if (in)
                ck_assert_ptr_null(json_object_get(in, "when"));
        }
        got[12] = 0;
        char qs[256] = "";
        size_t i;
        json_t *q;
        json_array_foreach(json_object_get(out, "questions"), i, q)
        {
            size_t n = strlen(qs);
            snprintf(qs + n, sizeof(qs) - n, "%s%s:%d", i ? "," : "",
                     json_string_value(json_object_get(q, "id")),
                     (int)json_integer_value(json_object_get(q, "decides")));
        }
        ck_assert_msg(strcmp(got, table[r].materials) == 0, "%s: materials %s, expected %s", text,
                      got, table[r].materials);
        ck_assert_msg(strcmp(qs, table[r].questions) == 0, "%s: questions %s, expected %s", text,
                      qs, table[r].questions);
        ck_assert_int_eq(json_is_true(json_object_get(out, "complete")),
                         table[r].questions[0] == 0);
        json_decref(out);
        free(text);
    }
    catalog_checklist_free(cl);
    json_decref(g);
}
END_TEST

/* Steps, fees and 受理条件 follow their conditions too; reasons name the answers. */
START_TEST(test_reasons_and_other_lists)
{
    json_t *g = load_guide();
    struct catalog_checklist *cl = compile(g);
    struct err e;
    json_t *out = eval(cl, "{\"s_chain\": false, \"s_area\": 600, \"s_kind\": \"catering\"}", &e);
    ck_assert_ptr_nonnull(out);
    const json_t *mats = json_object_get(out, "materials");
    ck_assert_str_eq(json_string_value(json_object_get(find(mats, "id", "m1"), "reason")),
                     "适用于所有申请人");
    ck_assert_str_eq(json_string_value(json_object_get(find(mats, "id", "m8"), "reason")),
                     "依据：经营项目：餐饮服务；经营场所面积：600平方米");
    ck_assert_str_eq(json_string_value(json_object_get(find(mats, "id", "m3"), "reason")),
                     "依据：是否为连锁经营企业：否");
    /* any: only the TRUE branch is the reason. */
    ck_assert_str_eq(json_string_value(json_object_get(find(mats, "id", "m9"), "reason")),
                     "依据：经营场所面积：600平方米");
    ck_assert_int_eq(json_array_size(json_object_get(out, "steps")), 2);
    ck_assert_int_eq(json_array_size(json_object_get(out, "fees")), 0);
    ck_assert_int_eq(json_array_size(json_object_get(out, "acceptance_conditions")), 2);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(out, "time_limit"), "promised_days")),
        5);
    json_decref(out);
    out = eval(cl, "{\"s_area\": 100, \"s_kind\": \"sale\"}", &e);
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(json_array_size(json_object_get(out, "steps")), 1);
    ck_assert_int_eq(json_array_size(json_object_get(out, "acceptance_conditions")), 1);
    const json_t *pend = json_object_get(out, "pending");
    ck_assert_int_eq(json_array_size(json_object_get(pend, "fees")), 1);
    const json_t *m12 = find(json_object_get(pend, "materials"), "id", "m12");
    ck_assert_str_eq(json_string_value(json_object_get(m12, "reason")),
                     "取决于：是否为连锁经营企业？");
    ck_assert_int_eq(json_array_size(json_object_get(m12, "needs")), 1);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(m12, "needs"), 0)),
                     "s_chain");
    const json_t *q0 = json_array_get(json_object_get(out, "questions"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(q0, "question")), "是否为连锁经营企业？");
    ck_assert_str_eq(json_string_value(json_object_get(q0, "type")), "bool");
    json_decref(out);
    catalog_checklist_free(cl);
    json_decref(g);
}
END_TEST

/* A guide whose conditions read enterprise facts: registry facts answer them, an
 * explicit answer wins, and they are never asked as questions. */
START_TEST(test_enterprise_facts)
{
    json_t *g = json_loads(
        "{\"situations\": [{\"id\": \"s_new\", \"question\": \"是否新设立？\", \"type\": "
        "\"bool\"}],"
        " \"materials\": ["
        "  {\"id\": \"a\", \"name\": \"用工备案表\", \"when\": {\"fact\": \"employees\", \"op\": "
        "\"ge\", \"value\": 10}},"
        "  {\"id\": \"b\", \"name\": \"省外企业说明\", \"when\": {\"not\": {\"fact\": \"region\", "
        "\"op\": \"prefix_in\", \"value\": [\"34\"]}}},"
        "  {\"id\": \"c\", \"name\": \"设立文件\", \"when\": {\"all\": [{\"fact\": \"s_new\", "
        "\"op\": \"eq\", \"value\": true},"
        "     {\"fact\": \"scale\", \"op\": \"in\", \"value\": [\"small\", \"micro\"]}]}}]}",
        0, NULL);
    ck_assert_ptr_nonnull(g);
    struct catalog_checklist *cl = compile(g);
    struct err e;
    /* A visitor: everything on enterprise facts is pending; only s_new is asked. */
    json_t *out = eval(cl, NULL, &e);
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(json_array_size(json_object_get(out, "materials")), 0);
    ck_assert_int_eq(json_array_size(json_object_get(json_object_get(out, "pending"), "materials")),
                     3);
    ck_assert_int_eq(json_array_size(json_object_get(out, "questions")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(out, "questions"), 0), "id")),
                     "s_new");
    ck_assert(json_is_false(json_object_get(out, "complete")));
    json_decref(out);

    /* The registry answers for the enterprise. */
    struct rules_facts *f = catalog_checklist_facts_new(cl);
    ck_assert_int_eq(rules_facts_set(f, "employees", "20", true, &e), RC_OK);
    ck_assert_int_eq(rules_facts_set(f, "region", "340104", true, &e), RC_OK);
    ck_assert_int_eq(rules_facts_set(f, "scale", "small", true, &e), RC_OK);
    json_t *a = json_loads("{\"s_new\": true}", 0, NULL);
    ck_assert_int_eq(catalog_checklist_eval(cl, a, f, TODAY, &out, &e), RC_OK);
    ck_assert(json_is_true(json_object_get(out, "complete")));
    const json_t *mats = json_object_get(out, "materials");
    ck_assert_int_eq(json_array_size(mats), 2);
    ck_assert_ptr_null(find(mats, "id", "b"));
    ck_assert_str_eq(json_string_value(json_object_get(find(mats, "id", "a"), "reason")),
                     "依据：从业人员数：20人（企业登记信息）");
    const char *rc_ = json_string_value(json_object_get(find(mats, "id", "c"), "reason"));
    ck_assert_msg(strstr(rc_, "是否新设立：是") && strstr(rc_, "企业规模："), "%s", rc_);
    json_decref(out);
    json_decref(a);
    rules_facts_free(f);

    /* An explicit answer wins over the registry. */
    f = catalog_checklist_facts_new(cl);
    ck_assert_int_eq(rules_facts_set(f, "employees", "20", true, &e), RC_OK);
    a = json_loads("{\"employees\": 5}", 0, NULL);
    ck_assert_int_eq(catalog_checklist_eval(cl, a, f, TODAY, &out, &e), RC_OK);
    ck_assert_ptr_null(find(json_object_get(out, "materials"), "id", "a"));
    ck_assert_ptr_null(
        find(json_object_get(json_object_get(out, "pending"), "materials"), "id", "a"));
    json_decref(out);
    json_decref(a);
    rules_facts_free(f);
    catalog_checklist_free(cl);
    json_decref(g);
}
END_TEST

/* Answers of the wrong type, unknown options and unknown questions are refused next to
 * the field, in Chinese. */
START_TEST(test_invalid_answers)
{
    json_t *g = load_guide();
    struct catalog_checklist *cl = compile(g);
    static const struct {
        const char *answers, *field, *msg;
    } bad[] = {
        {"{\"s_chain\": \"yes\"}", "answers.s_chain", "请回答是或否"},
        {"{\"s_chain\": 1}", "answers.s_chain", "请回答是或否"},
        {"{\"s_area\": 12.5}", "answers.s_area", "应填写不小于 0 的整数"},
        {"{\"s_area\": \"200\"}", "answers.s_area", "应填写不小于 0 的整数"},
        {"{\"s_area\": -3}", "answers.s_area", "应填写不小于 0 的整数"},
        {"{\"s_kind\": \"pizza\"}", "answers.s_kind", "不是可选项之一"},
        {"{\"s_kind\": true}", "answers.s_kind", "不是可选项之一"},
        {"{\"s_other\": true}", "answers.s_other", "没有“s_other”这个问题"},
        {"{\"employees\": 3}", "answers.employees", "没有“employees”这个问题"},
        {"[1]", "answers", "answers 应为对象"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct err e;
        json_t *out = eval(cl, bad[i].answers, &e);
        ck_assert_msg(out == NULL, "%s accepted", bad[i].answers);
        ck_assert_int_eq(e.rc, RC_INVALID);
        ck_assert_str_eq(e.field, bad[i].field);
        ck_assert_msg(strstr(e.msg, bad[i].msg), "%s: %s", bad[i].answers, e.msg);
    }
    /* null is unanswered, not an error. */
    struct err e;
    json_t *out = eval(cl, "{\"s_chain\": null}", &e);
    ck_assert_ptr_nonnull(out);
    json_decref(out);
    catalog_checklist_free(cl);
    json_decref(g);
}
END_TEST

/* Guides that do not compile name the path of the fault. */
START_TEST(test_bad_guides)
{
    static const struct {
        const char *guide, *field;
    } bad[] = {
        {"{\"situations\": [{\"id\": \"s_k\", \"question\": \"类型\", \"type\": \"code\"}]}",
         "situations[0]"},
        {"{\"situations\": [{\"id\": \"chain\", \"question\": \"连锁？\", \"type\": \"bool\"}]}",
         "situations[0]"},
        {"{\"situations\": [{\"id\": \"s_a\", \"question\": \"面积\", \"type\": \"float\"}]}",
         "situations[0]"},
        {"{\"materials\": [{\"id\": \"m1\"}, {\"id\": \"m2\", \"when\": {\"fact\": \"s_x\", "
         "\"op\": \"eq\", \"value\": true}}]}",
         "materials[1].when"},
        {"{\"situations\": [{\"id\": \"s_k\", \"question\": \"类型\", \"type\": \"code\", "
         "\"options\": [{\"value\": \"a\", \"label\": \"甲\"}]}],"
         " \"fees\": [{\"item\": \"x\", \"when\": {\"all\": [{\"fact\": \"s_k\", \"op\": \"eq\", "
         "\"value\": \"b\"}]}}]}",
         "fees[0].when.all[0]"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *g = json_loads(bad[i].guide, 0, NULL);
        ck_assert_ptr_nonnull(g);
        struct catalog_checklist *cl = NULL;
        struct err e;
        err_clear(&e);
        ck_assert_int_eq(catalog_checklist_new(g, ent_catalog(), &cl, &e), RC_INVALID);
        ck_assert_ptr_null(cl);
        ck_assert_msg(strncmp(e.field, bad[i].field, strlen(bad[i].field)) == 0, "%zu: %s (%s)", i,
                      e.field, e.msg);
        ck_assert_msg(strncmp(e.msg, bad[i].field, strlen(bad[i].field)) == 0, "%zu: %s", i, e.msg);
        json_decref(g);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("catalog_situation");
    TCase *tc = tcase_create("checklist");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_every_combination);
    tcase_add_test(tc, test_reasons_and_other_lists);
    tcase_add_test(tc, test_enterprise_facts);
    tcase_add_test(tc, test_invalid_answers);
    tcase_add_test(tc, test_bad_guides);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(suite)
