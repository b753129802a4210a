/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pool: a per-request arena (h2o's h2o_mem_pool_t).
 *
 * Handlers allocate from the request's pool and never free; the router clears the
 * pool when the request ends. Memory is carved from 8 KiB chunks; a request larger
 * than a quarter chunk gets a chunk of its own. Members MUST NOT be accessed.
 */
#ifndef QIFU_POOL_H
#define QIFU_POOL_H

#include <stddef.h>

struct pool_chunk;

struct pool {
    struct pool_chunk *chunks; /* newest first */
    size_t used;               /* bytes used in the newest chunk */
};

/* Initializes an empty pool. */
void pool_init(struct pool *p);
/* Frees every allocation of p (p may be NULL); p can be used again. */
void pool_clear(struct pool *p);
/* Returns n bytes aligned for any type, borrowed until pool_clear. Never NULL. */
void *pool_alloc(struct pool *p, size_t n);
/* Returns a copy of s in the pool (NULL gives NULL). */
char *pool_strdup(struct pool *p, const char *s);
/* Returns a NUL-terminated copy of n bytes of s in the pool. */
char *pool_strndup(struct pool *p, const char *s, size_t n);
/* Returns printf-formatted text in the pool. */
char *pool_printf(struct pool *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
