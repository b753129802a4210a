/* SPDX-License-Identifier: Apache-2.0 */
/* jsonx: pre-scan (UTF-8 + depth), Jansson parse, typed getters. */
#include "jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mem.h"

size_t utf8_first_invalid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF)
            len = 2, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF)
            len = 3, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4)
            len = 4, cp = c & 0x07;
        else
            return i;
        if (n - i < len)
            return i;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
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

static enum rc dump_string(const char *s, size_t n, struct buf *b)
{
    static const char hex[] = "0123456789ABCDEF";
    enum rc rc = buf_append(b, "\"", 1);
    size_t run = 0; /* start of the bytes not yet written */
    for (size_t i = 0; i < n && rc == RC_OK; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t k = 2;
        switch (ch) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u', esc[2] = '0', esc[3] = '0', esc[4] = hex[ch >> 4], esc[5] = hex[ch & 15];
            k = 6;
        }
        rc = buf_append(b, s + run, i - run);
        if (rc == RC_OK)
            rc = buf_append(b, esc, k);
        run = i + 1;
    }
    if (rc == RC_OK)
        rc = buf_append(b, s + run, n - run);
    if (rc == RC_OK)
        rc = buf_append(b, "\"", 1);
    return rc;
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
    if (n < 0 || (size_t)n >= sizeof(tmp))
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

void jsonx_w_raw(struct jsonx_w *w, const char *s, size_t n)
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
    size_t n = s ? strlen(s) : 0;
    if (!s || !utf8_valid(s, n))
        jsonx_w_raw(w, "null", 4);
    else if (w->rc == RC_OK)
        w->rc = dump_string(s, n, w->b);
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
