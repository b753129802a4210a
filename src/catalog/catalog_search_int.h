/* SPDX-License-Identifier: Apache-2.0 */
/* catalog_search_int: internals shared by the catalog_search*.c files. */
#ifndef QIFU_CATALOG_SEARCH_INT_H
#define QIFU_CATALOG_SEARCH_INT_H

#include <stddef.h>
#include <stdint.h>

/* The pinyin initials of U+4E00..U+9FFF (catalog_pinyin_table.c, scripts/gen_pinyin.mjs). */
#define CATALOG_PINYIN_FIRST 0x4e00
#define CATALOG_PINYIN_N 0x5200
struct catalog__pinyin_alt {
    uint32_t cp;       /* a polyphone */
    const char *other; /* its other initials */
};
extern const char catalog__pinyin_first[CATALOG_PINYIN_N + 1];
extern const struct catalog__pinyin_alt catalog__pinyin_alts[];
extern const size_t catalog__n_pinyin_alts;

/* Decodes the UTF-8 character at *s (advancing *s); U+FFFD for a bad byte. */
uint32_t catalog__utf8_next(const char **s);
/* Appends cp as UTF-8 to out (at least 5 bytes free); returns the bytes written. */
size_t catalog__utf8_put(uint32_t cp, char *out);

#endif
