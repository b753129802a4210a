/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of src/auth: the password policy and the password-hashing gate (issue 14, items 11 and
 * 13). */
#include <string.h>

#include "auth/auth.h"
#include "auth/auth_int.h"
#include "unit.h"

static void expect_refused(const char *user, const char *pw, const char *why)
{
    struct err e;
    err_clear(&e);
    ck_assert_int_eq(auth_password_check(user, pw, &e), RC_INVALID);
    ck_assert_str_eq(e.field, "password");
    ck_assert_msg(strstr(e.msg, why), "message \"%s\" lacks \"%s\"", e.msg, why);
}

START_TEST(password_policy)
{
    struct err e;
    expect_refused("alice", "1234", "至少需要 10 个字符");
    expect_refused("alice", "短密码短密码短密码",
                   "至少需要 10 个字符"); /* 9 characters, 27 bytes */
    expect_refused("zhangwei88", "zhangwei88", "用户名");
    expect_refused("zhangwei88", "my-ZHANGWEI88-pw", "用户名");
    expect_refused("alice", "woaini1314520", "常见");
    expect_refused("alice", "1QAZ2WSX3EDC", "常见");
    expect_refused("alice", "1234567890", "常见");
    err_clear(&e);
    ck_assert_int_eq(auth_password_check("alice", "Huangshan-Spring-7", &e), RC_OK);
    ck_assert_int_eq(auth_password_check("alice", "黄山春色满园关不住", &e), RC_INVALID);
    ck_assert_int_eq(auth_password_check("alice", "黄山春色满园关不住啊", &e), RC_OK);
    ck_assert(auth_password_common("a123456"));
    ck_assert(auth_password_common("5201314"));
    ck_assert(auth_password_common("QQ123456"));
    ck_assert(!auth_password_common("Huangshan-Spring-7"));
    /* Comment lines of the list are not passwords. */
    ck_assert(!auth_password_common("# Common passwords refused by qifu's password policy"));
}
END_TEST

START_TEST(hash_gate_refuses_at_once_when_full)
{
    struct err e;
    struct auth_login_stats s0, s1;
    auth_login_stats(&s0);
    auth_hash_limits(1, 1);
    err_clear(&e);
    ck_assert_int_eq(auth__admit(&e), RC_OK);
    ck_assert_int_eq(auth__admit(&e), RC_OK);
    ck_assert_int_eq(auth__admit(&e), RC_BUSY);
    ck_assert_msg(strstr(e.msg, "登录请求过多"), "message \"%s\"", e.msg);
    auth_login_stats(&s1);
    ck_assert_uint_eq(s1.busy, s0.busy + 1);
    auth__dismiss();
    ck_assert_int_eq(auth__admit(&e), RC_OK);
    /* A slot is taken and given back without blocking while one is free. */
    auth__hash_enter();
    auth__hash_leave();
    auth__dismiss();
    auth__dismiss();
    auth_hash_limits(AUTH_HASH_SLOTS, AUTH_HASH_QUEUE);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("auth");
    TCase *t = tcase_create("auth");
    tcase_add_test(t, password_policy);
    tcase_add_test(t, hash_gate_refuses_at_once_when_full);
    suite_add_tcase(s, t);
    return s;
}

UNIT_MAIN(suite)
