/* SPDX-License-Identifier: Apache-2.0 */
/* buf: capped growable buffer. Invariant: data == NULL or data[len] == '\0'. */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"

void buf_init(struct buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

void buf_cleanup(struct buf *b)
{
    if (!b)
        return;
    xfree(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static enum rc grow(struct buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return RC_TOOLARGE;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return RC_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
    return RC_OK;
}

enum rc buf_reserve(struct buf *b, size_t n)
{
    return grow(b, n);
}

enum rc buf_append(struct buf *b, const void *p, size_t n)
{
    /* Room already (cap never passes max + 1, so the cap holds too): the common case. */
    if (n >= b->cap - b->len) {
        enum rc rc = grow(b, n);
        if (rc)
            return rc;
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return RC_OK;
}

enum rc buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

enum rc buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return RC_INTERNAL;
    enum rc rc = grow(b, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return RC_OK;
}

const char *buf_str(const struct buf *b)
{
    return b->data ? b->data : "";
}

size_t buf_len(const struct buf *b)
{
    return b->len;
}

char *buf_take(struct buf *b)
{
    char *p = b->data ? b->data : xstrdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
