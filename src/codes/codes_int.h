/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codes_int: the generated tables shared by the .c files of the codes module.
 *
 * regions_table.c and industries_table.c are written by scripts/gen_refdata.py.
 * Both arrays are sorted by code in byte order (strcmp), without duplicates, so
 * codes.c finds entries by binary search. Every parent names an entry of the same
 * table, and the parent of a current region is itself current.
 */
#ifndef QIFU_CODES_INT_H
#define QIFU_CODES_INT_H

#include <stddef.h>

#include "codes/codes.h"

extern const struct codes_region codes__regions[];
extern const size_t codes__n_regions;
extern const struct codes_industry codes__industries[];
extern const size_t codes__n_industries;

#endif
