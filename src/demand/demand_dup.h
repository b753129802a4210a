/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demand_dup: duplicate suggestions at intake (并单参考, issue 4 item 6). For one
 * demand, the others of the same enterprise and category within a window of days,
 * and the demands of the same region whose title and content are similar by
 * character trigrams (Jaccard similarity over UTF-8 code points), ranked, each with
 * its reason. Only the intake desk and oversight of the demand (and administrators,
 * who may read everything) see suggestions; the demand's own visibility rules
 * decide the refusal (RC_NOTFOUND without relation, RC_FORBIDDEN with another one).
 */
#ifndef QIFU_DEMAND_DUP_H
#define QIFU_DEMAND_DUP_H

#include <jansson.h>
#include <stdint.h>

#include "../base/rc.h"

struct conn;
struct demand_ctx;
struct principal;

#define DEMAND_DUP_DEFAULT_DAYS 30 /* same enterprise and category: window in days */
#define DEMAND_DUP_MAX_DAYS 366
#define DEMAND_DUP_SIMILAR_DAYS 90 /* similar text: candidates created within this */
#define DEMAND_DUP_MAX_SCAN 2000   /* similar text: at most this many candidates scanned */
#define DEMAND_DUP_THRESHOLD 0.3   /* similar text: suggested at or above this */

/*
 * Returns the Jaccard similarity (0..1) of the sets of character trigrams of a and b
 * (UTF-8; invalid bytes count as U+FFFD). Before trigrams are taken, white space and
 * punctuation (ASCII, CJK and full-width) are dropped and ASCII letters lower-cased;
 * a text of one or two characters is a single gram. Two empty texts give 0.
 */
double demand_dup_similarity(const char *a, const char *b);

/*
 * Lists duplicate suggestions for demand id as a new JSON object {"items": [...]},
 * best first: each {"id", "no", "title", "state", "state_label", "created_at",
 * "similarity", "same_enterprise", "reason"}. days (1..DEMAND_DUP_MAX_DAYS) is the
 * same-enterprise window. RC_NOTFOUND / RC_FORBIDDEN as described above.
 */
enum rc demand_duplicates(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                          int64_t id, int days, json_t **out, struct err *e) WARN_UNUSED;

#endif
