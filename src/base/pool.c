/* SPDX-License-Identifier: Apache-2.0 */
/* pool: bump allocator over a list of chunks. */
#include "pool.h"

#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"

#define POOL_CHUNK 8192

struct pool_chunk {
    struct pool_chunk *next;
    size_t size;
    alignas(max_align_t) unsigned char bytes[];
};

void pool_init(struct pool *p)
{
    p->chunks = NULL;
    p->used = 0;
}

void pool_clear(struct pool *p)
{
    if (!p)
        return;
    struct pool_chunk *c = p->chunks;
    while (c) {
        struct pool_chunk *next = c->next;
        xfree(c);
        c = next;
    }
    p->chunks = NULL;
    p->used = 0;
}

void *pool_alloc(struct pool *p, size_t n)
{
    const size_t align = alignof(max_align_t);
    n = (n + align - 1) & ~(align - 1);
    if (n == 0)
        n = align;
    if (n > POOL_CHUNK / 4) {
        /* A big allocation gets its own chunk, linked behind the current one. */
        struct pool_chunk *c = xmalloc(sizeof(*c) + n);
        c->size = n;
        if (p->chunks) {
            c->next = p->chunks->next;
            p->chunks->next = c;
        } else {
            c->next = NULL;
            p->chunks = c;
            p->used = n;
        }
        return c->bytes;
    }
    if (!p->chunks || p->used + n > p->chunks->size) {
        struct pool_chunk *c = xmalloc(sizeof(*c) + POOL_CHUNK);
        c->size = POOL_CHUNK;
        c->next = p->chunks;
        p->chunks = c;
        p->used = 0;
    }
    void *r = p->chunks->bytes + p->used;
    p->used += n;
    return r;
}

char *pool_strndup(struct pool *p, const char *s, size_t n)
{
    char *r = pool_alloc(p, n + 1);
    memcpy(r, s, n);
    r[n] = '\0';
    return r;
}

char *pool_strdup(struct pool *p, const char *s)
{
    return s ? pool_strndup(p, s, strlen(s)) : NULL;
}

char *pool_printf(struct pool *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *r = pool_alloc(p, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(r, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return r;
}
