/* SPDX-License-Identifier: Apache-2.0 */
/*
 * csv: one pass over the bytes, unescaping each record into one capped buffer
 * (fields NUL-terminated, their offsets in a growing array), so a record costs no
 * allocation once the buffers have grown to the widest record seen.
 */
#include "csv.h"

#include <stdio.h>
#include <string.h>

#include "mem.h"

void csv_init(struct csv *c, const char *data, size_t n, const struct csv_limits *lim)
{
    memset(c, 0, sizeof(*c));
    if (n >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        data += 3, n -= 3;
    c->p = data;
    c->end = data + n;
    c->line = 1;
    size_t max_record = lim && lim->max_record ? lim->max_record : CSV_MAX_RECORD;
    c->max_field = lim && lim->max_field ? lim->max_field : max_record;
    c->max_fields = lim && lim->max_fields ? lim->max_fields : CSV_MAX_FIELDS;
    /* One byte per field goes to its NUL terminator, which the cap must not count
     * against the text: a record of exactly max_record bytes of text still fits. */
    buf_init(&c->text, max_record + (size_t)c->max_fields);
}

void csv_cleanup(struct csv *c)
{
    if (!c)
        return;
    xfree(c->offs);
    c->offs = NULL;
    c->n = c->cap = 0;
    buf_cleanup(&c->text);
}

static void push(struct csv *c, size_t off)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 32;
        c->offs = xrealloc(c->offs, (size_t)c->cap * sizeof(size_t));
    }
    c->offs[c->n++] = off;
}

/* Writes "N MB", "N KB" or "N 字节". */
static void size_text(size_t n, char *out, size_t out_n)
{
    if (n >= ((size_t)1 << 20) && n % ((size_t)1 << 20) == 0)
        snprintf(out, out_n, "%zu MB", n >> 20);
    else if (n >= 1024 && n % 1024 == 0)
        snprintf(out, out_n, "%zu KB", n >> 10);
    else
        snprintf(out, out_n, "%zu 字节", n);
}

enum csv_status csv_next(struct csv *c, int *start_line, const char **why)
{
    buf_reset(&c->text);
    c->n = 0;
    *start_line = c->line;
    *why = NULL;
    if (c->p >= c->end)
        return CSV_EOF;
    size_t text_len = 0; /* bytes of text, terminators not counted */
    char size[32];
    size_t max_record = c->text.max - (size_t)c->max_fields;
    push(c, 0);
    for (;;) {
        size_t start = buf_len(&c->text);
        if (c->p < c->end && *c->p == '"') {
            c->p++;
            for (;;) {
                if (c->p >= c->end) {
                    *why = "引号未闭合，行被截断";
                    return CSV_BAD;
                }
                if (*c->p == '"') {
                    if (c->p + 1 < c->end && c->p[1] == '"') {
                        if (buf_append(&c->text, "\"", 1))
                            goto toolong;
                        c->p += 2;
                        continue;
                    }
                    c->p++;
                    break;
                }
                if (*c->p == '\n')
                    c->line++;
                if (buf_append(&c->text, c->p, 1))
                    goto toolong;
                c->p++;
            }
            if (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r') {
                *why = "引号后出现多余字符";
                goto skip;
            }
        } else {
            const char *s = c->p;
            while (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r') {
                if (*c->p == '"') {
                    *why = "未加引号的字段中出现引号";
                    goto skip;
                }
                c->p++;
            }
            if (buf_append(&c->text, s, (size_t)(c->p - s)))
                goto toolong;
        }
        size_t flen = buf_len(&c->text) - start;
        text_len += flen;
        if (text_len > max_record)
            goto toolong;
        if (flen > c->max_field) {
            size_text(c->max_field, size, sizeof(size));
            snprintf(c->why, sizeof(c->why), "第 %d 列超过 %s", c->n, size);
            *why = c->why;
            goto skip;
        }
        if (buf_append(&c->text, "", 1)) /* the field's terminator */
            goto toolong;
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            if (c->n == c->max_fields) {
                snprintf(c->why, sizeof(c->why), "列数超过 %d", c->max_fields);
                *why = c->why;
                goto skip;
            }
            push(c, buf_len(&c->text));
            continue;
        }
        if (c->p < c->end && *c->p == '\r')
            c->p++;
        if (c->p < c->end && *c->p == '\n')
            c->p++;
        c->line++;
        return CSV_RECORD;
    }
toolong:
    size_text(max_record, size, sizeof(size));
    snprintf(c->why, sizeof(c->why), "单行超过 %s", size);
    *why = c->why;
skip:
    while (c->p < c->end && *c->p != '\n')
        c->p++;
    if (c->p < c->end)
        c->p++;
    c->line++;
    return CSV_BAD;
}

int csv_count(const struct csv *c)
{
    return c->n;
}

const char *csv_field(const struct csv *c, int i)
{
    return buf_str(&c->text) + c->offs[i];
}

size_t csv_field_len(const struct csv *c, int i)
{
    size_t next = i + 1 < c->n ? c->offs[i + 1] : buf_len(&c->text);
    return next - c->offs[i] - 1;
}

const char *csv_text(const struct csv *c, size_t *n)
{
    *n = buf_len(&c->text);
    return buf_str(&c->text);
}

/* ---- writing ---------------------------------------------------------------------- */

/* Would a spreadsheet read a cell starting with c as a formula? */
static bool formula_start(char c)
{
    return (c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r');
}

enum rc csv_put(struct buf *b, const char *s, bool first)
{
    if (!s)
        s = "";
    enum rc rc = first ? RC_OK : buf_append(b, ",", 1);
    bool guard = formula_start(s[0]);
    if (rc == RC_OK && (guard || strpbrk(s, ",\"\r\n"))) {
        rc = buf_append(b, guard ? "\"'" : "\"", guard ? 2 : 1);
        for (const char *p = s; rc == RC_OK && *p; p++)
            rc = *p == '"' ? buf_append(b, "\"\"", 2) : buf_append(b, p, 1);
        if (rc == RC_OK)
            rc = buf_append(b, "\"", 1);
    } else if (rc == RC_OK) {
        rc = buf_append(b, s, strlen(s));
    }
    return rc;
}

enum rc csv_put_number(struct buf *b, const char *s, bool first)
{
    if (s[strspn(s, "0123456789-.")] != '\0')
        return csv_put(b, s, first);
    enum rc rc = first ? RC_OK : buf_append(b, ",", 1);
    return rc == RC_OK ? buf_append(b, s, strlen(s)) : rc;
}
