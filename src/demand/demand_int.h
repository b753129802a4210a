/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demand_int: internals shared by the demand module's .c files (demand.c,
 * demand_stats.c, demand_dup.c, demand_attach.c). Not for other modules.
 */
#ifndef QIFU_DEMAND_INT_H
#define QIFU_DEMAND_INT_H

#include <stdbool.h>
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

/*
 * Loads demand id when the caller may see it (RC_NOTFOUND otherwise, exactly as
 * demand_get): its number (no, 40 bytes), its state and the caller's relations
 * (REL_* bits; 0 for an administrator, who sees everything). For demand_attach.
 */
enum rc demand__access(struct conn *c, const struct principal *p, int64_t id, char no[40],
                       enum demand_state *state, unsigned *rels, struct err *e);

/*
 * Appends a step to the timeline of demand id that leaves its state as it is (a
 * note-like event: an attachment). data (may be NULL) is stored as canonical JSON.
 */
enum rc demand__event(struct conn *c, const struct principal *p, int64_t id, int64_t now,
                      const char *action, const char *state, const char *note, bool internal,
                      const json_t *data, struct err *e);

/*
 * demand_create inside the caller's open transaction (c must be in one), for the
 * batch import: no commit, no retry. RC_INVALID, RC_FORBIDDEN and RC_CONFLICT
 * (an external id or key used for another demand) come before anything is written,
 * so the caller may go on with the transaction; after any other failure it must
 * roll back. *existed with *id for a demand already present.
 */
enum rc demand__create_in_txn(struct conn *c, const struct demand_ctx *ctx,
                              const struct principal *p, const struct demand_new *d,
                              int64_t *id, bool *existed, struct err *e);

#endif
