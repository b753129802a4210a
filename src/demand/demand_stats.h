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

/*
 * The cohort of demand_stats's "dispatched" (demands last dispatched in the period, with a
 * lead, not merged) broken down by by: "category", "channel" (read from demands),
 * "region" (the demand's region) or "month" (of the last dispatch; both read from the
 * counts of migration 0019). A new JSON object {"by", "from", "to", "org", "columns",
 * "items": [{key, label, n, replied, replied_on_time, on_time_rate, rated, satisfied,
 * satisfaction_rate, bad_ratings}], "total"}; items busiest first (months in order), and
 * total.n equals demand_stats's total.dispatched for the same query. Errors as
 * demand_stats, and RC_INVALID naming "by" for another by.
 */
enum rc demand_breakdown(struct conn *c, const struct principal *p,
                         const struct demand_stats_query *q, const char *by, json_t **out,
                         struct err *e) WARN_UNUSED;

/*
 * 高频诉求: the limit most frequent titles (by "title") or categories (by "category")
 * among the demands submitted in the period within the caller's scope (merged duplicates
 * included: they are the frequency), for q->org those it leads. A new JSON object {"by",
 * "from", "to", "total", "items": [{key, label, n, share}]}. Errors as demand_breakdown.
 */
enum rc demand_top(struct conn *c, const struct principal *p, const struct demand_stats_query *q,
                   const char *by, int limit, json_t **out, struct err *e) WARN_UNUSED;

/*
 * The ranking of the lead organisations of demand_stats's answer for q by a score (the
 * definition is in the answer's "score_definition" and docs/internals/demand.md), for the
 * 通报: a new JSON object {"from", "to", "columns", "items": [{rank, score, org, dispatched,
 * sign_rate, on_time_rate, satisfaction_rate, overdue, returned, bad_ratings,
 * bad_rectified_rate}], "score_definition"}. Errors as demand_stats.
 */
enum rc demand_ranking(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                       const struct demand_stats_query *q, json_t **out, struct err *e) WARN_UNUSED;

#endif
