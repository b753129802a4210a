/* SPDX-License-Identifier: Apache-2.0 */
/* jsonx: pre-scan (UTF-8 + depth), Jansson parse, typed getters. */
#include "jsonx.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mem.h"

/* The length of the well-formed UTF-8 sequence at s (n bytes left, s[0] >= 0x80), or 0:
 * no overlong forms, no surrogates, nothing past U+10FFFF (RFC 3629). */
static inline size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c >= 0xE0 && c <= 0xEF) { /* three bytes: most of Chinese text */
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        unsigned cp = ((c & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
        return cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF) ? 0 : 3;
    }
    if (c >= 0xC2 && c <= 0xDF)
        return n < 2 || (s[1] & 0xC0) != 0x80 ? 0 : 2;
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        unsigned cp = ((c & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) |
                      (s[3] & 0x3Fu);
        return cp < 0x10000 || cp > 0x10FFFF ? 0 : 4;
    }
    return 0;
}

size_t utf8_first_invalid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t len = utf8_seq(s + i, n - i);
        if (!len)
            return i;
        i += len;
    }
    return n;
}

bool utf8_valid(const char *s, size_t n)
{
    return utf8_first_invalid(s, n) == n;
}

size_t utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* One pass: depth of [ and { outside strings, with line/column for the error. */
static enum rc prescan(const char *s, size_t n, int max_depth, struct err *e)
{
    int depth = 0, line = 1, col = 0;
    bool in_str = false, esc = false;
    size_t bad = utf8_first_invalid(s, n);
    if (bad < n) {
        for (size_t k = 0; k < bad; k++) {
            if (s[k] == '\n')
                line++, col = 0;
            else if (((unsigned char)s[k] & 0xC0) != 0x80)
                col++;
        }
        err_set(e, RC_BADUTF8, NULL, "请求包含非法的 UTF-8 编码（第 %d 行第 %d 列）", line,
                col + 1);
        if (e)
            e->line = line, e->col = col + 1;
        return RC_BADUTF8;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (((unsigned char)c & 0xC0) != 0x80)
            col++;
        if (c == '\n') {
            line++;
            col = 0;
        }
        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
            continue;
        }
        if (c == '"') {
            in_str = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth) {
                err_set(e, RC_TOODEEP, NULL, "JSON 嵌套超过 %d 层（第 %d 行第 %d 列）", max_depth,
                        line, col);
                if (e)
                    e->line = line, e->col = col;
                return RC_TOODEEP;
            }
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return RC_OK;
}

enum rc jsonx_parse(const char *s, size_t n, int max_depth, json_t **out, struct err *e)
{
    *out = NULL;
    enum rc rc = prescan(s, n, max_depth, e);
    if (rc)
        return rc;
    json_error_t je;
    json_t *j = json_loadb(s, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (!j) {
        /* Jansson's text is English and names library internals: give the position only. */
        err_set(e, RC_BADJSON, NULL, "JSON 格式错误（第 %d 行第 %d 列）", je.line, je.column);
        if (e)
            e->line = je.line, e->col = je.column;
        return RC_BADJSON;
    }
    *out = j;
    return RC_OK;
}

char *jsonx_canonical(const json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    /* Jansson allocates with malloc; copy into our allocator so xfree pairs with it. */
    char *r = xstrdup(s ? s : "null");
    free(s); /* lint:allow-free (Jansson's allocation) */
    return r;
}

/* ---- the compact writer ---------------------------------------------------- */

/*
 * Appends str (n bytes) as a JSON string in one pass, straight into b's memory: runs of
 * plain bytes are copied, '"', '\\' and control characters escaped. With check, every
 * byte >= 0x80 must begin a well-formed UTF-8 sequence, else RC_BADUTF8 and b is left as it
 * was; without, such bytes are copied as they are (text the code itself made). Room for
 * n + 2 bytes is made up front and more only at an escape, so a long text costs one
 * reservation, not one append per run (the demand list writes ~200 strings a page).
 */
static enum rc put_string(const char *str, size_t n, struct buf *b, bool check)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *s = (const unsigned char *)str;
    size_t start = b->len;
    enum rc rc = RC_OK;
    if (n + 2 >= b->cap - b->len && (rc = buf_reserve(b, n + 2)) != RC_OK) /* room and NUL */
        return rc;
    char *o = b->data + b->len;
    *o++ = '"';
    size_t i = 0;
    /* Plain ASCII runs go eight bytes at a time while none of the eight is special:
     * below 0x20, '"', '\\', or 0x80 and up (the usual bit tricks: a byte of x is zero iff
     * its bit 7 is set in (x - 0x01..) & ~x & 0x80..). */
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    while (i < n) {
        unsigned c = s[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            for (; n - i >= 8; i += 8, o += 8) {
                uint64_t v, q, bs;
                memcpy(&v, s + i, 8);
                q = v ^ (ones * '"');
                bs = v ^ (ones * '\\');
                if ((((v - ones * 0x20) & ~v) | ((q - ones) & ~q) | ((bs - ones) & ~bs) | v) &
                    highs)
                    break;
                memcpy(o, s + i, 8); /* the eight plain bytes just checked */
            }
            while (i < n && (c = s[i]) >= 0x20 && c < 0x80 && c != '"' && c != '\\')
                *o++ = (char)c, i++;
            continue;
        }
        if (c >= 0x80 && !check) {
            *o++ = (char)c;
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t len = utf8_seq(s + i, n - i);
            if (!len) {
                b->len = start;
                b->data[start] = '\0';
                return RC_BADUTF8;
            }
            o[0] = (char)s[i], o[1] = (char)s[i + 1]; /* len is 2, 3 or 4 */
            if (len > 2)
                o[2] = (char)s[i + 2];
            if (len > 3)
                o[3] = (char)s[i + 3];
            o += len;
            i += len;
            continue;
        }
        /* An escape writes up to 6 bytes for 1: make room for it and the rest. */
        b->len = (size_t)(o - b->data);
        if (b->cap - b->len < (n - i) + 8 && (rc = buf_reserve(b, (n - i) + 8)) != RC_OK) {
            b->len = start;
            b->data[start] = '\0';
            return rc;
        }
        o = b->data + b->len;
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
            *o++ = 'u', *o++ = '0', *o++ = '0', *o++ = hex[c >> 4], *o++ = hex[c & 15];
        }
        i++;
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    *o = '\0';
    return RC_OK;
}

static enum rc dump_string(const char *s, size_t n, struct buf *b)
{
    return put_string(s, n, b, false);
}

static enum rc dump_int(json_int_t v, struct buf *b)
{
    char tmp[24], *p = tmp + sizeof(tmp);
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return buf_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* Jansson's form of a real: %.17g, with ".0" when it would read back as an integer and
 * the exponent without '+' or leading zeros. */
static enum rc dump_real(double v, struct buf *b)
{
    char tmp[40], out[48];
    int n = snprintf(tmp, sizeof(tmp), "%.17g", v);
    if (n <= 0 || (size_t)n >= sizeof(tmp)) /* %.17g writes at least one digit */
        return RC_INTERNAL;
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        out[k++] = tmp[i] == ',' ? '.' : tmp[i]; /* a locale's decimal comma */
        if (tmp[i] == 'e') {
            i++;
            if (tmp[i] == '-')
                out[k++] = tmp[i++];
            else if (tmp[i] == '+')
                i++;
            while (tmp[i] == '0' && tmp[i + 1])
                i++;
            i--;
        }
    }
    if (!memchr(out, '.', k) && !memchr(out, 'e', k)) {
        out[k++] = '.';
        out[k++] = '0';
    }
    return buf_append(b, out, k);
}

static enum rc dump(json_t *j, struct buf *b, int depth)
{
    if (depth > 2 * JSONX_MAX_DEPTH + 1000)
        return RC_TOODEEP;
    enum rc rc = RC_OK;
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        rc = buf_append(b, "{", 1);
        bool first = true;
        for (void *it = json_object_iter(j); it && rc == RC_OK;
             it = json_object_iter_next(j, it)) {
            if (!first)
                rc = buf_append(b, ",", 1);
            first = false;
            if (rc == RC_OK)
                rc = dump_string(json_object_iter_key(it), json_object_iter_key_len(it), b);
            if (rc == RC_OK)
                rc = buf_append(b, ":", 1);
            if (rc == RC_OK)
                rc = dump(json_object_iter_value(it), b, depth + 1);
        }
        return rc ? rc : buf_append(b, "}", 1);
    }
    case JSON_ARRAY: {
        rc = buf_append(b, "[", 1);
        size_t n = json_array_size(j);
        for (size_t i = 0; i < n && rc == RC_OK; i++) {
            if (i)
                rc = buf_append(b, ",", 1);
            if (rc == RC_OK)
                rc = dump(json_array_get(j, i), b, depth + 1);
        }
        return rc ? rc : buf_append(b, "]", 1);
    }
    case JSON_STRING:
        return dump_string(json_string_value(j), json_string_length(j), b);
    case JSON_INTEGER:
        return dump_int(json_integer_value(j), b);
    case JSON_REAL:
        return dump_real(json_real_value(j), b);
    case JSON_TRUE:
        return buf_append(b, "true", 4);
    case JSON_FALSE:
        return buf_append(b, "false", 5);
    case JSON_NULL:
    default:
        return buf_append(b, "null", 4);
    }
}

enum rc jsonx_dump(json_t *j, struct buf *b)
{
    return dump(j, b, 0);
}

enum rc jsonx_dump_str(const char *s, size_t n, struct buf *b)
{
    return dump_string(s, n, b);
}

void jsonx__w_raw(struct jsonx_w *w, const char *s, size_t n)
{
    if (w->rc == RC_OK)
        w->rc = buf_append(w->b, s, n);
}

void jsonx_w_puts(struct jsonx_w *w, const char *s)
{
    jsonx_w_raw(w, s, strlen(s));
}

void jsonx_w_str(struct jsonx_w *w, const char *s)
{
    if (w->rc == RC_OK)
        w->rc = dump_string(s, strlen(s), w->b);
}

void jsonx_w_text(struct jsonx_w *w, const char *s)
{
    if (w->rc != RC_OK)
        return;
    enum rc rc = s ? put_string(s, strlen(s), w->b, true) : RC_BADUTF8;
    if (rc == RC_BADUTF8)
        jsonx_w_raw(w, "null", 4);
    else
        w->rc = rc;
}

void jsonx_w_int(struct jsonx_w *w, int64_t v)
{
    if (w->rc == RC_OK)
        w->rc = dump_int(v, w->b);
}

void jsonx_w_bool(struct jsonx_w *w, bool v)
{
    jsonx_w_raw(w, v ? "true" : "false", v ? 4 : 5);
}

static const char *type_zh(json_type t)
{
    switch (t) {
    case JSON_OBJECT:
        return "对象";
    case JSON_ARRAY:
        return "数组";
    case JSON_STRING:
        return "字符串";
    case JSON_INTEGER:
        return "整数";
    case JSON_REAL:
        return "数字";
    case JSON_TRUE:
    case JSON_FALSE:
        return "布尔值";
    default:
        return "null";
    }
}

static enum rc fetch(const json_t *obj, const char *key, bool required, json_t **v, struct err *e)
{
    *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (*v && json_is_null(*v))
        *v = NULL;
    if (!*v && required)
        return err_set(e, RC_INVALID, key, "缺少必填字段 %s", key);
    return RC_OK;
}

enum rc jsonx_get_str(const json_t *obj, const char *key, bool required, size_t max_len,
                      const char **out, struct err *e)
{
    json_t *v;
    enum rc rc = fetch(obj, key, required, &v, e);
    if (rc || !v)
        return rc;
    if (!json_is_string(v))
        return err_set(e, RC_INVALID, key, "字段 %s 应为字符串，实际为%s", key,
                       type_zh(json_typeof(v)));
    const char *s = json_string_value(v);
    size_t blen = json_string_length(v);
    if (strlen(s) != blen)
        return err_set(e, RC_INVALID, key, "字段 %s 含有不允许的控制字符", key);
    for (size_t i = 0; i < blen; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F)
            return err_set(e, RC_INVALID, key, "字段 %s 含有不允许的控制字符", key);
    }
    if (required && blen == 0)
        return err_set(e, RC_INVALID, key, "字段 %s 不能为空", key);
    if (max_len && utf8_len(s) > max_len)
        return err_set(e, RC_INVALID, key, "字段 %s 长度不能超过 %zu 个字符", key, max_len);
    *out = s;
    return RC_OK;
}

enum rc jsonx_get_int(const json_t *obj, const char *key, bool required, int64_t min, int64_t max,
                      int64_t *out, struct err *e)
{
    json_t *v;
    enum rc rc = fetch(obj, key, required, &v, e);
    if (rc || !v)
        return rc;
    if (!json_is_integer(v))
        return err_set(e, RC_INVALID, key, "字段 %s 应为整数，实际为%s", key,
                       type_zh(json_typeof(v)));
    json_int_t x = json_integer_value(v);
    if (x < min || x > max)
        return err_set(e, RC_INVALID, key, "字段 %s 应在 %lld 到 %lld 之间", key, (long long)min,
                       (long long)max);
    *out = x;
    return RC_OK;
}

enum rc jsonx_get_bool(const json_t *obj, const char *key, bool required, bool *out,
                       struct err *e)
{
    json_t *v;
    enum rc rc = fetch(obj, key, required, &v, e);
    if (rc || !v)
        return rc;
    if (!json_is_boolean(v))
        return err_set(e, RC_INVALID, key, "字段 %s 应为布尔值，实际为%s", key,
                       type_zh(json_typeof(v)));
    *out = json_is_true(v);
    return RC_OK;
}

enum rc jsonx_only(const json_t *obj, const char *const *allowed, struct err *e)
{
    if (!json_is_object(obj))
        return err_set(e, RC_INVALID, NULL, "请求体应为 JSON 对象");
    const char *key;
    json_t *v;
    json_t *o = (json_t *)(uintptr_t)obj; /* Jansson iterates through non-const pointers. */
    json_object_foreach(o, key, v)
    {
        bool ok = false;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, key) == 0) {
                ok = true;
                break;
            }
        if (!ok)
            return err_set(e, RC_INVALID, key, "不认识的字段 %s", key);
    }
    return RC_OK;
}
