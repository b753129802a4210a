/* SPDX-License-Identifier: Apache-2.0 */
/* catalog_int: internals shared by the src/catalog files. */
#ifndef QIFU_CATALOG_INT_H
#define QIFU_CATALOG_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../base/rc.h"

struct conn;
struct principal;

/* The item types and life stages (NULL-terminated), in catalog.md's order. */
extern const char *const catalog__types[];
extern const char *const catalog__stages[];

/* Is s a basic_code ([0-9A-Z]{6,20})? */
bool catalog__basic_code_ok(const char *s);
/* Today in Asia/Shanghai as days since 1970-01-01 (the test clock applies). */
int64_t catalog__today(void);
/* "YYYY-MM-DD" of a day number into out (11 bytes). */
void catalog__day_fmt(int64_t day, char out[11]);
/* A day number of "YYYY-MM-DD" (checked by the validator), or -1. */
int64_t catalog__day_parse(const char *s);
/* May p see drafts (catalog.write or catalog.review)? */
bool catalog__editor(const struct principal *p);
/* Stores the lint of doc as canonical text (new; xfree) and *errors its error count. */
char *catalog__lint_text(const json_t *doc, int *errors);

#endif
