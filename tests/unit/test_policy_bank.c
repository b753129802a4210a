/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of src/policy/policy_bank: a bank's result file read into pay requests —
 * headers by name and Chinese, amounts in 元 to fen, the three date forms, the bank's
 * failures, bad lines kept as refusals, and the whole-file refusals.
 */
#include <string.h>

#include "flow/flow.h"
#include "policy/policy_bank.h"
#include "unit.h"

#define S(lit) (lit), strlen(lit)

static const char *const HEADER = "兑现编号,实付金额（元）,拨付日期,结果,银行流水号,说明\n";

static struct policy_bank read_csv(const char *body, enum rc want)
{
    char text[4096];
    snprintf(text, sizeof(text), "%s%s", HEADER, body);
    struct policy_bank b;
    struct err e;
    policy_bank_init(&b);
    ck_assert_int_eq(policy_bank_csv(&b, S(text), &e), want);
    return b;
}

START_TEST(amounts_dates_and_results)
{
    struct policy_bank b = read_csv("7,\"1,234.5\",2026/12/01,成功,B1,\n"
                                    "8,20000,20261201,,,超出部分已说明\n"
                                    "9,10,2026-12-01,失败,B3,账户已销户\n"
                                    "x,10,2026-12-01,成功,,\n"
                                    "10,0,2026-12-01,成功,,\n"
                                    "11,1.234,2026-12-01,成功,,\n"
                                    "12,5,2026-13-01,成功,,\n"
                                    "\n",
                                    RC_OK);
    ck_assert_uint_eq(b.n, 7);
    const json_t *p = b.lines[0].params;
    ck_assert_int_eq(b.lines[0].line, 2);
    ck_assert_int_eq(b.lines[0].grant_id, 7);
    ck_assert_str_eq(json_string_value(json_object_get(p, "action")), "pay");
    ck_assert_int_eq(json_integer_value(json_object_get(p, "amount")), 123450);
    ck_assert_str_eq(json_string_value(json_object_get(p, "paid_on")), "2026-12-01");
    ck_assert_str_eq(json_string_value(json_object_get(p, "note")), "银行流水号 B1");
    p = b.lines[1].params; /* an empty result is a success; the reason goes along */
    ck_assert_int_eq(json_integer_value(json_object_get(p, "amount")), 2000000);
    ck_assert_str_eq(json_string_value(json_object_get(p, "reason")), "超出部分已说明");
    ck_assert_ptr_null(json_object_get(p, "note"));
    ck_assert_ptr_null(b.lines[2].params);
    ck_assert_str_eq(b.lines[2].code, "bank_failed");
    ck_assert_str_eq(b.lines[2].msg, "银行结果为“失败”：账户已销户，未记为拨付");
    ck_assert_str_eq(b.lines[3].field, "grant_id");
    ck_assert_str_eq(b.lines[4].field, "amount");
    ck_assert_str_eq(b.lines[5].field, "amount");
    ck_assert_str_eq(b.lines[6].field, "paid_on");
    policy_bank_cleanup(&b);
}
END_TEST

START_TEST(whole_file_refusals)
{
    struct policy_bank b;
    struct err e;
    policy_bank_init(&b);
    ck_assert_int_eq(policy_bank_csv(&b, S("编号,金额\n1,2\n"), &e), RC_INVALID);
    ck_assert_str_eq(e.field, "file");
    policy_bank_cleanup(&b);
    policy_bank_init(&b);
    ck_assert_int_eq(policy_bank_csv(&b, S("兑现编号,拨付日期\n1,2026-01-01\n"), &e), RC_INVALID);
    ck_assert(strstr(e.msg, "实付金额") != NULL);
    policy_bank_cleanup(&b);
    policy_bank_init(&b);
    ck_assert_int_eq(policy_bank_csv(&b, S("grant_id,amount,amount\n"), &e), RC_INVALID);
    policy_bank_cleanup(&b);
    policy_bank_init(&b);
    ck_assert_int_eq(policy_bank_csv(&b, S("grant_id,amount\n\xb2\xe2,1\n"), &e), RC_INVALID);
    ck_assert(strstr(e.msg, "UTF-8") != NULL);
    policy_bank_cleanup(&b);
    /* At most FLOW_BULK_MAX lines. */
    static char big[8192];
    size_t o = (size_t)snprintf(big, sizeof(big), "grant_id,amount,paid_on\n");
    for (int i = 1; i <= FLOW_BULK_MAX + 1; i++)
        o += (size_t)snprintf(big + o, sizeof(big) - o, "%d,1,2026-01-01\n", i);
    policy_bank_init(&b);
    ck_assert_int_eq(policy_bank_csv(&b, big, o, &e), RC_INVALID);
    ck_assert(strstr(e.msg, "分批") != NULL);
    policy_bank_cleanup(&b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("policy_bank");
    TCase *tc = tcase_create("bank");
    tcase_add_test(tc, amounts_dates_and_results);
    tcase_add_test(tc, whole_file_refusals);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(suite)
