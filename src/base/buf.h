/* SPDX-License-Identifier: Apache-2.0 */
/*
 * buf: a growable byte buffer with a hard cap (curl's dynbuf).
 *
 * Every buffer that input can grow is created with a maximum; growth past it
 * returns RC_TOOLARGE and leaves the buffer as it was. The data is always
 * NUL-terminated, so text can be read with buf_str(). Members MUST NOT be
 * accessed; they are exposed only so a buf can live inside another struct.
 *
 *     struct buf b;
 *     buf_init(&b, 1 << 20);
 *     if (buf_append(&b, p, n)) ...too large...
 *     use(buf_str(&b), buf_len(&b));
 *     buf_cleanup(&b);
 */
#ifndef QIFU_BUF_H
#define QIFU_BUF_H

#include <stddef.h>

#include "rc.h"

struct buf {
    char *data;   /* NUL-terminated, NULL until the first append */
    size_t len;   /* bytes used, not counting the NUL */
    size_t cap;   /* bytes allocated */
    size_t max;   /* most bytes allowed */
};

/* Initializes b with a cap of max bytes (no allocation yet). */
void buf_init(struct buf *b, size_t max);
/* Frees the data of b (b may be NULL) and resets it, keeping the cap. */
void buf_cleanup(struct buf *b);
/* Forgets the contents but keeps the memory. */
void buf_reset(struct buf *b);
/* Makes room for n more bytes without changing the contents (one allocation instead of
 * doublings, for writers that know their size); RC_TOOLARGE past the cap. */
enum rc buf_reserve(struct buf *b, size_t n) WARN_UNUSED;
/* Appends n bytes; RC_TOOLARGE if the cap would be passed (b unchanged). */
enum rc buf_append(struct buf *b, const void *p, size_t n) WARN_UNUSED;
/* Appends a NUL-terminated string. */
enum rc buf_puts(struct buf *b, const char *s) WARN_UNUSED;
/* Appends printf-formatted text. */
enum rc buf_printf(struct buf *b, const char *fmt, ...) WARN_UNUSED
    __attribute__((format(printf, 2, 3)));
/* Returns the contents as a string, borrowed until the next change ("" when empty). */
const char *buf_str(const struct buf *b);
/* Returns the number of bytes held. */
size_t buf_len(const struct buf *b);
/* Hands the data over to the caller (new, free with xfree) and resets b. */
char *buf_take(struct buf *b);

#endif
