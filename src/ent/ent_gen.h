/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ent_gen: deterministic synthetic enterprises of Anhui for demos and benchmarks.
 *
 * The same seed and count always give the same file. Regions and industries come
 * from the real GB/T 2260 and GB/T 4754 tables; credit codes and ID numbers carry
 * valid check characters; size, capital, revenue, employees, tags and ratings
 * follow plausible skewed distributions; about 10% of fact cells are left empty
 * (unknown). The output is the CSV that `qifu import enterprises` reads.
 */
#ifndef QIFU_ENT_GEN_H
#define QIFU_ENT_GEN_H

#include <stdint.h>
#include <stdio.h>

#include "../base/rc.h"

/* Writes a valid, deterministic credit code for number i registered in region (6 digits). */
void ent_gen_credit_code(const char *region, uint64_t seed, size_t i, char out[19]);
/* Writes a header and n rows of CSV to f. RC_IO if writing fails. */
enum rc ent_gen_csv(FILE *f, uint64_t seed, size_t n, struct err *e) WARN_UNUSED;

#endif
