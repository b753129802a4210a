/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demand_int: internals shared by the demand module's .c files (demand.c, the
 * records, relations, clocks and creation; demand_flow.c, the workflow's table and
 * its actions; demand_read.c, details, lists and the timeline; demand_stats.c,
 * demand_dup.c, demand_attach.c). Not for other modules.
 */
#ifndef QIFU_DEMAND_INT_H
#define QIFU_DEMAND_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "demand.h"

struct stmt;

/* A demand's row: what relations, clocks, actions and views need. */
struct drow {
    int64_t id;
    char no[40], credit[24], region[16], category[48], urgency[16], channel[16];
    enum demand_state state, prev;
    bool has_prev, reviewed, beyond;
    int64_t lead_org, intake_org, sign_due, reply_due, rectify_due, extension_to, merged_into;
    int rating, rating_count;
    int64_t created_at, accepted_at, dispatched_at, signed_at, replied_at, closed_at;
    int version;
};

/* The columns demand__read_row_n reads: first those a list item needs (DROW_LIST_COLS,
 * with which a list reads fewer columns per row), then the rest. The nullable numbers
 * are read with store_int, which gives 0 for NULL, so they need no COALESCE (one
 * virtual machine step fewer per column and row). */
#define DROW_LIST_COLS_OF(t)                                                                       \
    t "id, " t "no, " t "credit_code, " t "region, " t "category, " t "urgency, " t "channel, " t  \
      "state, " t "prev_state, " t "reviewed, " t "due_beyond, " t "sign_due, " t "reply_due, " t  \
      "rectify_due, " t "extension_to, " t "merged_into, " t "rating, " t "created_at"
#define DROW_LIST_N 18
/* DROW_COLS_OF("demands.") names the columns where the alias d cannot be used (a RETURNING
 * clause: SQLite knows no alias there). */
#define DROW_COLS_OF(t)                                                                            \
    DROW_LIST_COLS_OF(t)                                                                           \
    ", " t "lead_org_id, " t "intake_org_id, " t "rating_count, " t "accepted_at, " t              \
    "dispatched_at, " t "signed_at, " t "replied_at, " t "closed_at, " t "version"
#define DROW_LIST_COLS DROW_LIST_COLS_OF("d.")
#define DROW_COLS DROW_COLS_OF("d.")
#define DROW_N 27

/* Reads the first n columns (DROW_LIST_N or DROW_N) into d; the others stay 0. */
void demand__read_row_n(struct stmt *st, struct drow *d, int n);
/* The detail's columns (demand_get_text's DETAIL_SQL) of a row just inserted, for its
 * INSERT ... RETURNING: no lead and no co-handler yet. */
#define DEMAND_DETAIL_RETURNING                                                                    \
    DROW_COLS_OF("demands.")                                                                       \
    ", demands.title, demands.content, demands.contact_name, "                                     \
    "demands.contact_phone, demands.address, demands.enterprise_name, "                            \
    "NULL, NULL, demands.external_id, "                                                            \
    "COALESCE(demands.received_at, 0), NULL, NULL, 0"
/* Writes the detail of the row st stands on (the columns of demand_get_text, then one row
 * per co-handler) as p may see it, and finishes st. */
enum rc demand__detail_write(struct stmt *st, const struct demand_ctx *ctx,
                             const struct principal *p, struct buf *out, struct err *e);
/* Loads demand id (RC_NOTFOUND when there is none), whoever asks. */
enum rc demand__load(struct conn *c, int64_t id, struct drow *d, struct err *e);
/* The caller's relations to d (REL_* bits), given whether its organisation is a
 * co-handler of d. */
unsigned demand__relations_of(const struct principal *p, const struct drow *d, bool co);
/* Loads a demand the caller may see (RC_NOTFOUND otherwise, exactly as demand_get) and
 * the caller's relations to it (0 for an administrator, who sees everything). */
enum rc demand__load_visible(struct conn *c, const struct principal *p, int64_t id, struct drow *d,
                             unsigned *rels, struct err *e);
/* The deadline that is running in the demand's current state (0: none). */
int64_t demand__running_due(const struct drow *d);
/* The conditions (DC_* bits) of demand d at now: demand_conds, and DC_OVERDUE when its
 * running deadline has passed. */
unsigned demand__conds_of(const struct drow *d, int64_t now);
/* End of office time (17:30 local) of a date in days since 1970-01-01, as ms UTC. */
int64_t demand__end_of_day(int64_t date);
/* A day deadline of days from ctx->now under the demand's urgency (the category's
 * counting rule); *beyond is set when it falls past the calendar's coverage. */
enum rc demand__due_days(const struct demand_ctx *ctx, const struct drow *d, int days, int64_t *out,
                         bool *beyond, struct err *e);
/* The audit image of a demand's mutable state (a new object). */
json_t *demand__image(const struct drow *d);
/* Writes the mutable columns of n, if the row is still at version old_version
 * (RC_CONFLICT otherwise). */
enum rc demand__save(struct conn *c, const struct drow *n, int old_version, int64_t now,
                     struct err *e);

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
 * demand_create inside the caller's open transaction (c must be in one), for the
 * batch import: no commit, no retry. RC_INVALID, RC_FORBIDDEN and RC_CONFLICT
 * (an external id or key used for another demand) come before anything is written,
 * so the caller may go on with the transaction; after any other failure it must
 * roll back. *existed with *id for a demand already present.
 */
enum rc demand__create_in_txn(struct conn *c, const struct demand_ctx *ctx,
                              const struct principal *p, const struct demand_new *d, int64_t *id,
                              bool *existed, struct err *e);

#endif
