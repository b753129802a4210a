/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demand_int: internals shared by the demand module's .c files (demand.c,
 * demand_stats.c, demand_dup.c). Not for other modules.
 */
#ifndef QIFU_DEMAND_INT_H
#define QIFU_DEMAND_INT_H

#include <stdint.h>

#include "demand.h"

/*
 * The light of a demand given the columns its running deadline depends on: state and
 * prev_state (names as stored; prev may be NULL) and the three clocks (ms UTC, 0 =
 * none). It goes through the same running-deadline rule and demand_light_of as
 * lists and details, so statistics cannot disagree with them.
 */
enum demand_light demand__light_of_cols(const struct demand_ctx *ctx, const char *state,
                                        const char *prev, int64_t sign_due, int64_t reply_due,
                                        int64_t rectify_due);

/* The local (Asia/Shanghai) date, in days since 1970-01-01, of an instant in ms UTC. */
int64_t demand__local_date(int64_t ms);

#endif
