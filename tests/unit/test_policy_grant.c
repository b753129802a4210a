/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the pure parts of src/policy/policy_grant: the grant transition table
 * (every action x every state x every relation, against an expectation written out
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
    static const char *const rels[] = {"none", "owner", "issuer"};
    int checked = 0;
    for (size_t k = 0; k < sizeof(expect) / sizeof(expect[0]); k++) {
        enum policy_grant_action a;
        ck_assert(policy_grant_action_parse(expect[k].action, &a));
        ck_assert_str_eq(policy_grant_action_name(a), expect[k].action);
        for (int s = 0; s < PG__N; s++) {
            for (int r = 0; r < 3; r++) {
                enum policy_grant_state to = PG__N;
                enum rc rc = policy_grant_next((enum policy_grant_state)s, a,
                                               (enum policy_grant_rel)r, &to);
                bool rel_ok = word_in(expect[k].who, rels[r]);
                bool state_ok = word_in(expect[k].from, policy_grant_state_name(s));
                if (!rel_ok)
                    ck_assert_int_eq(rc, RC_FORBIDDEN);
                else if (!state_ok)
                    ck_assert_int_eq(rc, RC_STATE);
                else {
                    ck_assert_int_eq(rc, RC_OK);
                    ck_assert_str_eq(policy_grant_state_name(to), expect[k].to);
                }
                checked++;
            }
        }
    }
    ck_assert_int_eq(checked, 4 * PG__N * 3);
    enum policy_grant_action a;
    enum policy_grant_state s;
    ck_assert(!policy_grant_action_parse("approve", &a));
    ck_assert(!policy_grant_state_parse("approved", &s));
    ck_assert(policy_grant_state_parse("paid", &s));
    ck_assert_int_eq(s, PG_PAID);
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
