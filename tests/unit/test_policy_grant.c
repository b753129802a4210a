/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the pure parts of src/policy/policy_grant: the grant's workflow table
 * (src/flow; every action x every state x every relation, against an expectation written out
 * here from issue 5: matched → notified → confirmed | declined → paid) and the
 * payment check (≤ granted unless a reason is given).
 */
#include <string.h>

#include "policy/policy_grant.h"
#include "unit.h"

static const struct {
    const char *action, *from, *who, *to;
} expect[] = {
    {"notify", "matched", "issuer", "notified"},
    {"confirm", "notified", "owner", "confirmed"},
    {"decline", "matched notified", "owner", "declined"},
    {"pay", "confirmed", "issuer", "paid"},
};

static bool word_in(const char *list, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = strstr(list, w); p; p = strstr(p + 1, w))
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

START_TEST(transition_table)
{
    const struct flow *f = &policy_grant_flow;
    static const char *const rel_names[] = {"none", "owner", "issuer"};
    static const unsigned rel_bits[] = {0, PGR_OWNER, PGR_ISSUER};
    int checked = 0;
    ck_assert_int_eq(f->n_actions, 4);
    for (size_t k = 0; k < sizeof(expect) / sizeof(expect[0]); k++) {
        const struct flow_action *a = flow_find(f, expect[k].action);
        ck_assert_ptr_nonnull(a);
        ck_assert_str_eq(a->name, expect[k].action);
        for (int s = 0; s < PG__N; s++) {
            for (int r = 0; r < 3; r++) {
                struct err e;
                err_clear(&e);
                enum rc rc = flow_check(f, a, rel_bits[r], s, 0, &e);
                bool rel_ok = word_in(expect[k].who, rel_names[r]);
                bool state_ok = word_in(expect[k].from, flow_state_name(f, s));
                if (!rel_ok)
                    ck_assert_int_eq(rc, RC_FORBIDDEN);
                else if (!state_ok)
                    ck_assert_int_eq(rc, RC_STATE);
                else {
                    ck_assert_int_eq(rc, RC_OK);
                    ck_assert_str_eq(flow_state_name(f, a->to), expect[k].to);
                }
                checked++;
            }
        }
    }
    ck_assert_int_eq(checked, 4 * PG__N * 3);
    ck_assert_ptr_null(flow_find(f, "approve"));
    ck_assert_int_eq(flow_state_parse(f, "approved"), -1);
    ck_assert_int_eq(flow_state_parse(f, "paid"), PG_PAID);
    /* The buttons: the issuing department may notify a matched grant; the enterprise may
     * only decline it until it is notified. */
    json_t *j = flow_actions_json(f, PGR_ISSUER, PG_MATCHED, 0);
    ck_assert_int_eq(json_array_size(j), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 0), "label")), "告知企业");
    json_decref(j);
    j = flow_actions_json(f, PGR_OWNER, PG_NOTIFIED, 0);
    ck_assert_int_eq(json_array_size(j), 2);
    json_decref(j);
}
END_TEST

START_TEST(pay_check)
{
    struct err e;
    err_clear(&e);
    ck_assert_int_eq(policy_grant_pay_check(100000, 100000, NULL, &e), RC_OK);
    ck_assert_int_eq(policy_grant_pay_check(100000, 99999, NULL, &e), RC_OK);
    ck_assert_int_eq(policy_grant_pay_check(100000, 100001, NULL, &e), RC_INVALID);
    ck_assert_str_eq(e.field, "reason");
    ck_assert_int_eq(policy_grant_pay_check(100000, 100001, "", &e), RC_INVALID);
    ck_assert_int_eq(policy_grant_pay_check(100000, 100001, "追加补贴", &e), RC_OK);
    ck_assert_int_eq(policy_grant_pay_check(100000, 0, "x", &e), RC_INVALID);
    ck_assert_str_eq(e.field, "amount");
    ck_assert_int_eq(policy_grant_pay_check(-1, 5000, NULL, &e), RC_INVALID);
    ck_assert_int_eq(policy_grant_pay_check(-1, 5000, "核定后拨付", &e), RC_OK);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("policy_grant");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, transition_table);
    tcase_add_test(tc, pay_check);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(suite)
