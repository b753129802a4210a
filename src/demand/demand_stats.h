/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demand_stats: statistics of the demand loop per lead organisation and period
 * (DESIGN §5, issue 4 item 7). Every figure is defined in docs/internals/demand.md
 * ("Statistics") and, with its Chinese label, in the "definitions" object of the
 * result; the light of a demand comes from demand_light_of, as everywhere.
 *
 * Scope follows the caller: administrators see every demand, supervisors the
 * demands of their organisation's region; anyone else gets RC_FORBIDDEN.
 */
#ifndef QIFU_DEMAND_STATS_H
#define QIFU_DEMAND_STATS_H

#include <jansson.h>
#include <stdint.h>

#include "../base/rc.h"

struct conn;
struct demand_ctx;
struct principal;

/* Largest period, in days (from and to inclusive). */
#define DEMAND_STATS_MAX_DAYS 366

struct demand_stats_query {
    int64_t from, to; /* local dates (days since 1970-01-01), both inclusive */
    const char *org;  /* a lead organisation's code, or NULL for all */
};

/*
 * Computes the statistics of q as a new JSON object {"from", "to", "definitions",
 * "columns", "items": [per organisation], "total": {...}}. RC_INVALID naming "to" when
 * to < from or the period exceeds DEMAND_STATS_MAX_DAYS, naming "org" for an unknown
 * organisation; RC_FORBIDDEN for a caller who is neither supervisor nor administrator.
 */
enum rc demand_stats(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                     const struct demand_stats_query *q, json_t **out, struct err *e) WARN_UNUSED;

#endif
