/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rc: the one result-code table of qifu.
 *
 * Every fallible function returns enum rc; RC_OK is 0, so `if (rc)` means failure.
 * The rows of RC_MAP give, for each code, the HTTP status the router answers with,
 * the stable English code clients see in {"error":{"code":...}} and the Chinese
 * message shown to users. rc_http(), rc_name() and rc_str() are generated from it
 * (the pattern of libuv's UV_ERRNO_MAP), so the three can never drift apart.
 *
 * Detail travels in struct err: fixed size, no allocation, optional field name
 * and line/column for parsers (Jansson's json_error_t).
 */
#ifndef QIFU_RC_H
#define QIFU_RC_H

#include <stdarg.h>

/* X(NAME, http status, english code, chinese message) */
#define RC_MAP(X)                                                                                  \
    X(OK, 200, "ok", "成功")                                                                       \
    X(ROW, 200, "row", "有数据行")                                                                 \
    X(DONE, 200, "done", "已完成")                                                                 \
    X(INVALID, 400, "invalid", "请求参数不正确")                                                   \
    X(BADJSON, 400, "bad_json", "请求体不是合法的 JSON")                                           \
    X(BADUTF8, 400, "bad_utf8", "请求包含非法的 UTF-8 编码")                                       \
    X(TOODEEP, 400, "too_deep", "JSON 嵌套层数超过上限")                                           \
    X(UNAUTHORIZED, 401, "unauthorized", "请先登录")                                               \
    X(BADLOGIN, 401, "bad_login", "用户名或密码错误")                                              \
    X(EXPIRED, 401, "session_expired", "登录已过期，请重新登录")                                   \
    X(FORBIDDEN, 403, "forbidden", "无权执行此操作")                                               \
    X(CSRF, 403, "csrf", "缺少或错误的 CSRF 令牌")                                                 \
    X(NOTFOUND, 404, "not_found", "资源不存在")                                                    \
    X(METHOD, 405, "method_not_allowed", "不支持该请求方法")                                       \
    X(TIMEOUT, 408, "timeout", "请求超时")                                                         \
    X(CONFLICT, 409, "conflict", "数据冲突")                                                       \
    X(EXISTS, 409, "exists", "记录已存在")                                                         \
    X(STATE, 409, "bad_state", "当前状态下不能执行此操作")                                         \
    X(TOOLARGE, 413, "too_large", "请求内容过大")                                                  \
    X(MEDIATYPE, 415, "unsupported_media_type", "仅支持 application/json")                         \
    X(HEADERS, 431, "headers_too_large", "请求头过大")                                             \
    X(RATELIMIT, 429, "rate_limited", "尝试次数过多，请稍后再试")                                  \
    X(STORE, 500, "store_error", "数据库错误，请稍后重试")                                         \
    X(IO, 500, "io_error", "读写错误")                                                             \
    X(INTERNAL, 500, "internal", "服务器内部错误")                                                 \
    X(NOTIMPL, 501, "not_implemented", "服务器不支持该请求")                                       \
    X(OVERLOADED, 503, "overloaded", "服务器正在接收的请求数据过多，请稍后重试")                   \
    X(BUSY, 503, "busy", "服务繁忙，请稍后重试")                                                   \
    X(UNAVAILABLE, 503, "unavailable", "服务暂不可用")

enum rc {
#define RC_ENUM(name, http, code, msg) RC_##name,
    RC_MAP(RC_ENUM)
#undef RC_ENUM
        RC__COUNT
};

/* Error detail: what went wrong, where, and which request field. Fixed size. */
struct err {
    enum rc rc;
    int line, col;   /* 1-based position for parsers; 0 when not applicable */
    char field[64];  /* request field the error is about, "" if none */
    char msg[256];   /* human-readable detail (Chinese for client-facing errors) */
};

/* HTTP status for rc. */
int rc_http(enum rc rc);
/* Stable English code for rc, e.g. "not_found". Never NULL. */
const char *rc_name(enum rc rc);
/* Chinese message for rc, e.g. "资源不存在". Never NULL. */
const char *rc_str(enum rc rc);

/* Clears e (e may be NULL). */
void err_clear(struct err *e);
/*
 * Records rc, the field (may be NULL) and a printf-style message in e (which may be
 * NULL) and returns rc, so a caller can write `return err_set(e, RC_INVALID, "name", "...")`.
 */
enum rc err_set(struct err *e, enum rc rc, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
enum rc err_setv(struct err *e, enum rc rc, const char *field, const char *fmt, va_list ap);

/* Prefixes e->field with "prefix." (e.g. "facts[2]" + "value"), truncating safely. */
void err_prefix_field(struct err *e, const char *prefix);

#define WARN_UNUSED __attribute__((warn_unused_result))

#endif
