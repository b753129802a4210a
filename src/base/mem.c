/* SPDX-License-Identifier: Apache-2.0 */
/* mem: the only file that calls malloc/free directly. */
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n, const char *file, int line)
{
    fprintf(stderr, "qifu: out of memory allocating %zu bytes at %s:%d\n", n, file, line);
    abort();
}

void *mem__malloc(size_t n, const char *file, int line)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n, file, line);
    return p;
}

void *mem__calloc(size_t n, size_t size, const char *file, int line)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size, file, line);
    return p;
}

void *mem__realloc(void *p, size_t n, const char *file, int line)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n, file, line);
    return q;
}

char *mem__strdup(const char *s, const char *file, int line)
{
    size_t n = strlen(s);
    char *p = mem__malloc(n + 1, file, line);
    memcpy(p, s, n + 1);
    return p;
}

char *mem__strndup(const char *s, size_t n, const char *file, int line)
{
    char *p = mem__malloc(n + 1, file, line);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void xfree(void *p)
{
    free(p);
}

void mem_copy_text(char *dst, size_t n, const char *s)
{
    size_t len = s ? strlen(s) : 0;
    if (len >= n) {
        len = n - 1;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--; /* s[len] continues a character: cut before that character */
    }
    if (len)
        memcpy(dst, s, len);
    dst[len] = '\0';
}
