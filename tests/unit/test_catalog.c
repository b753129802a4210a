/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_catalog: the catalogue's pure parts (src/catalog): impl codes built and parsed back,
 * the GUIDE validator's refusals with their paths (unknown keys, codes, conditions compiled
 * over the guide's situations), and the lint's vague-name list.
 */
#include <string.h>

#include "base/jsonx.h"
#include "base/mem.h"
#include "catalog/catalog.h"
#include "unit.h"

#define AGENCY "11340100003000006T"

static json_t *parse(const char *s)
{
    json_t *j = NULL;
    struct err e;
    err_clear(&e);
    ck_assert_msg(jsonx_parse(s, strlen(s), 64, &j, &e) == RC_OK, "%s", e.msg);
    return j;
}

START_TEST(impl_code_round_trip)
{
    struct catalog_codes p = {"XK0010100Y", "001", "340100", AGENCY, "renew", "02"};
    char code[CATALOG_IMPL_CODE_MAX];
    struct err e;
    err_clear(&e);
    ck_assert_int_eq(catalog_impl_code(&p, code, &e), RC_OK);
    ck_assert_str_eq(code, "XK0010100Y001-340100000000-000-" AGENCY "-3-02");
    struct catalog_codes q;
    ck_assert_int_eq(catalog_impl_code_parse(code, &q, &e), RC_OK);
    ck_assert_str_eq(q.basic_code, "XK0010100Y");
    ck_assert_str_eq(q.subitem_code, "001");
    ck_assert_str_eq(q.region, "340100");
    ck_assert_str_eq(q.agency_uscc, AGENCY);
    ck_assert_str_eq(q.kind, "renew");
    ck_assert_str_eq(q.seq, "02");
}
END_TEST

START_TEST(impl_code_refusals)
{
    static const struct {
        const char *code, *field, *words;
    } bad[] = {
        /* The check digit of the agency's credit code (T is right). */
        {"XK0010100Y001-340100000000-000-11340100003000006X-1-01", "impl_code.agency_uscc",
         "校验位"},
        /* A region that does not exist. */
        {"XK0010100Y001-349900000000-000-" AGENCY "-1-01", "impl_code.region", "GB/T 2260"},
        /* The kind digit 5, a region part not ending in 000000, a short basic code. */
        {"XK0010100Y001-340100000000-000-" AGENCY "-5-01", "impl_code", "格式"},
        {"XK0010100Y001-340100000001-000-" AGENCY "-1-01", "impl_code", "格式"},
        {"XK001001-340100000000-000-" AGENCY "-1-01", "impl_code", "格式"},
        {"xk0010100Y001-340100000000-000-" AGENCY "-1-01", "impl_code.basic_code", "基本编码"},
        {"", "impl_code", "格式"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct catalog_codes q;
        struct err e;
        err_clear(&e);
        ck_assert_int_eq(catalog_impl_code_parse(bad[i].code, &q, &e), RC_INVALID);
        ck_assert_str_eq(e.field, bad[i].field);
        ck_assert_msg(strstr(e.msg, bad[i].words), "%s: %s", bad[i].code, e.msg);
    }
}
END_TEST

static const char *guide_ok =
    "{\"situations\": [{\"id\": \"s_chain\", \"question\": \"连锁？\", \"type\": \"bool\"},"
    " {\"id\": \"s_kind\", \"question\": \"经营项目\", \"type\": \"code\", \"options\": ["
    "  {\"value\": \"sale\", \"label\": \"食品销售\"}, {\"value\": \"catering\", \"label\": "
    "\"餐饮\"}]}],"
    " \"materials\": [{\"id\": \"m1\", \"name\": \"申请书\", \"source\": \"applicant\","
    "  \"necessity\": \"required\", \"when\": {\"fact\": \"s_kind\", \"op\": \"eq\", \"value\": "
    "\"catering\"}}]}";

START_TEST(guide_validation)
{
    struct err e;
    err_clear(&e);
    json_t *g = parse(guide_ok);
    ck_assert_msg(catalog_guide_check(g, NULL, &e) == RC_OK, "%s", e.msg);
    json_decref(g);
    static const struct {
        const char *from, *to, *field, *words;
    } bad[] = {
        /* An unknown key, at any depth. */
        {"\"situations\"", "\"situation\"", "situation", "未知字段"},
        {"\"source\"", "\"sorce\"", "materials[0].sorce", "未知字段"},
        /* A typo in a condition's fact, and a value that is not one of the options. */
        {"\"fact\": \"s_kind\"", "\"fact\": \"s_knd\"", "materials[0].when.fact", "s_knd"},
        {"\"value\": \"catering\"}}", "\"value\": \"cater\"}}", "materials[0].when.value", "cater"},
        /* A word that is not one of the model's. */
        {"\"required\"", "\"must\"", "materials[0].necessity", "required"},
        /* A situation id without s_. */
        {"\"id\": \"s_chain\"", "\"id\": \"chain\"", "situations[0].id", "s_"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[2048];
        const char *at = strstr(guide_ok, bad[i].from);
        ck_assert_ptr_nonnull(at);
        snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - guide_ok), guide_ok, bad[i].to,
                 at + strlen(bad[i].from));
        g = parse(text);
        err_clear(&e);
        ck_assert_int_eq(catalog_guide_check(g, NULL, &e), RC_INVALID);
        ck_assert_msg(strcmp(e.field, bad[i].field) == 0, "%zu: field %s (%s)", i, e.field, e.msg);
        ck_assert_msg(strstr(e.msg, bad[i].words), "%zu: %s", i, e.msg);
        /* The message begins with the path, as rules' compile errors do. */
        ck_assert_msg(strncmp(e.msg, bad[i].field, strlen(bad[i].field)) == 0, "%s", e.msg);
        json_decref(g);
    }
}
END_TEST

START_TEST(vague_names)
{
    static const char *const vague[] = {"其他材料",
                                        "相关材料",
                                        "根据相关法律法规需要提交的其他材料",
                                        "其他相关材料",
                                        "审批部门要求的其它材料。",
                                        "（其他材料）"};
    static const char *const clear[] = {"营业执照", "股东会决议", "食品经营许可申请书",
                                        "材料真实性承诺书"};
    for (size_t i = 0; i < sizeof(vague) / sizeof(vague[0]); i++)
        ck_assert_msg(catalog_lint_vague(vague[i]), "%s", vague[i]);
    for (size_t i = 0; i < sizeof(clear) / sizeof(clear[0]); i++)
        ck_assert_msg(!catalog_lint_vague(clear[i]), "%s", clear[i]);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("catalog");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, impl_code_round_trip);
    tcase_add_test(tc, impl_code_refusals);
    tcase_add_test(tc, guide_validation);
    tcase_add_test(tc, vague_names);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(suite)
