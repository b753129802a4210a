/* SPDX-License-Identifier: Apache-2.0 */
/* rc: tables generated from RC_MAP, and struct err helpers. */
#include "rc.h"

#include <stdio.h>
#include <string.h>

static const int http_of[] = {
#define RC_HTTP(name, http, code, msg) http,
    RC_MAP(RC_HTTP)
#undef RC_HTTP
};
static const char *const name_of[] = {
#define RC_NAME(name, http, code, msg) code,
    RC_MAP(RC_NAME)
#undef RC_NAME
};
static const char *const str_of[] = {
#define RC_STR(name, http, code, msg) msg,
    RC_MAP(RC_STR)
#undef RC_STR
};
_Static_assert(sizeof(http_of) / sizeof(http_of[0]) == RC__COUNT, "rc table size");

int rc_http(enum rc rc)
{
    return (unsigned)rc < RC__COUNT ? http_of[rc] : 500;
}

const char *rc_name(enum rc rc)
{
    return (unsigned)rc < RC__COUNT ? name_of[rc] : "internal";
}

const char *rc_str(enum rc rc)
{
    return (unsigned)rc < RC__COUNT ? str_of[rc] : "服务器内部错误";
}

void err_clear(struct err *e)
{
    if (e)
        memset(e, 0, sizeof(*e));
}

enum rc err_setv(struct err *e, enum rc rc, const char *field, const char *fmt, va_list ap)
{
    if (!e)
        return rc;
    e->rc = rc;
    snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
    if (fmt)
        vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    else
        e->msg[0] = '\0';
    return rc;
}

enum rc err_set(struct err *e, enum rc rc, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_setv(e, rc, field, fmt, ap);
    va_end(ap);
    return rc;
}

void err_prefix_field(struct err *e, const char *prefix)
{
    if (!e)
        return;
    char inner[sizeof(e->field)];
    memcpy(inner, e->field, sizeof(inner));
    size_t n = strlen(prefix);
    if (n >= sizeof(e->field) - 1)
        n = sizeof(e->field) - 2;
    memcpy(e->field, prefix, n);
    size_t k = n;
    if (inner[0]) {
        e->field[k++] = '.';
        size_t m = strlen(inner);
        if (m > sizeof(e->field) - 1 - k)
            m = sizeof(e->field) - 1 - k;
        memcpy(e->field + k, inner, m);
        k += m;
    }
    e->field[k] = '\0';
}
