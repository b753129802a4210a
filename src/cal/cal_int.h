/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cal_int: the generated holiday table shared by the .c files of the cal module.
 *
 * holidays_table.c is written by scripts/gen_refdata.py: one row per listed day,
 * sorted by date without duplicates; cal__first_year..cal__last_year are the years
 * whose notices it holds completely (rows may start in the December before).
 */
#ifndef QIFU_CAL_INT_H
#define QIFU_CAL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cal__listed {
    int32_t date;     /* days since 1970-01-01 */
    bool off;         /* isOffDay of the notice */
    const char *name; /* e.g. "春节" */
};

extern const struct cal__listed cal__holidays[];
extern const size_t cal__n_holidays;
extern const int cal__first_year;
extern const int cal__last_year;

#endif
