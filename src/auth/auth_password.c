/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth_password: the password policy. A password has 10 to 128 characters, does not
 * contain the user name, and is not one of the common passwords shipped in
 * data/passwords/common.txt (embedded at build time as auth_common_passwords).
 */
#include <ctype.h>
#include <string.h>

#include "../base/jsonx.h"
#include "auth.h"

extern const char auth_common_passwords[];
extern const unsigned long auth_common_passwords_len;

/* Is line [s, s+n) equal to pw, ignoring ASCII case? */
static bool line_is(const char *s, size_t n, const char *pw, size_t pw_len)
{
    if (n != pw_len)
        return false;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)s[i]) != tolower((unsigned char)pw[i]))
            return false;
    return true;
}

bool auth_password_common(const char *pw)
{
    size_t pw_len = strlen(pw);
    const char *p = auth_common_passwords, *end = p + auth_common_passwords_len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n && n < 200 && p[0] != '#' && line_is(p, n, pw, pw_len))
            return true;
        p += n + 1;
    }
    return false;
}

/* Does hay contain needle, ignoring ASCII case? */
static bool contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *h = hay; n && strlen(h) >= n; h++)
        if (line_is(h, n, needle, n))
            return true;
    return false;
}

enum rc auth_password_check(const char *username, const char *password, struct err *e)
{
    size_t n = utf8_len(password);
    if (n < AUTH_PASSWORD_MIN)
        return err_set(e, RC_INVALID, "password", "密码至少需要 %d 个字符", AUTH_PASSWORD_MIN);
    if (n > 128)
        return err_set(e, RC_INVALID, "password", "密码不能超过 128 个字符");
    if (username && *username && contains_nocase(password, username))
        return err_set(e, RC_INVALID, "password", "密码不能与用户名相同，也不能包含用户名");
    if (auth_password_common(password))
        return err_set(e, RC_INVALID, "password", "该密码属于常见弱密码，容易被猜中，请换一个");
    return RC_OK;
}
