/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mem: allocation that never returns NULL.
 *
 * xmalloc and friends abort with file:line on out-of-memory (redis zmalloc_oom_handler),
 * so callers need no NULL checks. Raw malloc/free outside mem.c fail `make lint`.
 * xfree accepts NULL.
 */
#ifndef QIFU_MEM_H
#define QIFU_MEM_H

#include <stddef.h>

void *mem__malloc(size_t n, const char *file, int line);
void *mem__calloc(size_t n, size_t size, const char *file, int line);
void *mem__realloc(void *p, size_t n, const char *file, int line);
char *mem__strdup(const char *s, const char *file, int line);
char *mem__strndup(const char *s, size_t n, const char *file, int line);
/* Frees p; NULL is fine. */
void xfree(void *p);
/*
 * Copies s (NULL: "") into dst of n > 0 bytes, always NUL-terminated; a string too long
 * is cut back to a whole UTF-8 character (for rows read into fixed-size fields).
 */
void mem_copy_text(char *dst, size_t n, const char *s);

/* Returns new memory of n bytes; aborts on OOM. */
#define xmalloc(n) mem__malloc((n), __FILE__, __LINE__)
/* Returns new zeroed memory for n elements of size; aborts on OOM or overflow. */
#define xcalloc(n, size) mem__calloc((n), (size), __FILE__, __LINE__)
/* Resizes p to n bytes; aborts on OOM. */
#define xrealloc(p, n) mem__realloc((p), (n), __FILE__, __LINE__)
/* Returns a new copy of s (s must not be NULL). */
#define xstrdup(s) mem__strdup((s), __FILE__, __LINE__)
/* Returns a new NUL-terminated copy of the first n bytes of s. */
#define xstrndup(s, n) mem__strndup((s), (n), __FILE__, __LINE__)

#endif
