/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demand: enterprise demands (诉求), the closed loop of DESIGN §5 — intake,
 * dispatch, time-limited handling, reply, review, rating, rectification — over the
 * transition table of demand_flow.
 *
 * Every call takes the caller's principal. What the caller may see and do follows
 * from its relations to the demand (demand_flow.h): the owning enterprise, the
 * intake desk (clerks of the region), the lead and co-handling organisations, and
 * oversight (supervisors of the region); administrators may read everything and
 * act on nothing. Visibility is part of every query. An action runs in one
 * transaction with its timeline event, its audit event and its notices; a refused
 * action changes nothing (403 for a stranger, 409 for a wrong state).
 *
 * Clocks (limits and deadline arithmetic from src/category): on dispatch the
 * sign-for deadline is sign_hours of office time and the reply deadline reply_days
 * working days under the urgency's counting rule, ending 17:30 local; a 差评 opens a rectification clock of
 * rectify_days; an approved extension moves the running deadline. Deadlines past
 * the calendar's coverage are flagged (due_beyond_coverage). The light is red when
 * the running deadline has passed, yellow when at most yellow_days working days
 * remain, else green — one function, used by lists, details and statistics alike.
 */
#ifndef QIFU_DEMAND_H
#define QIFU_DEMAND_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../base/rc.h"
#include "demand_flow.h"

struct buf;
struct conn;
struct cal;
struct principal;

/* What the demand module needs from outside: the calendar snapshot and the clock. */
struct demand_ctx {
    const struct cal *cal;
    int64_t now;       /* ms UTC */
    int yellow_days;   /* yellow light threshold in working days (default 1) */
};

enum demand_light { LIGHT_NONE, LIGHT_GREEN, LIGHT_YELLOW, LIGHT_RED };

/* Returns "none", "green", "yellow", "red". */
const char *demand_light_name(enum demand_light l);
/* The light of a running deadline due (ms UTC, 0 = no clock) at ctx->now. */
enum demand_light demand_light_of(const struct demand_ctx *ctx, int64_t due);

struct demand_new {
    const char *credit_code;  /* enterprise users: ignored (their own) */
    const char *category;
    const char *urgency;      /* default "normal" */
    const char *channel;      /* web, window, hotline, open311, api (from the caller if NULL) */
    const char *title;
    const char *content;
    const char *contact_name;
    const char *contact_phone;
    const char *address;
    double lat, lon;
    bool has_location;
    const char *external_id;  /* a 12345 system's id: idempotent per channel */
    int64_t received_at;      /* when that system took the call (ms UTC); 0 = not given */
    const char *idem_key;     /* Idempotency-Key: idempotent per caller */
};

/*
 * Submits a demand, audited. *existed is true when an earlier request with the same
 * Idempotency-Key (or external id) had already created it: *id is that demand.
 * RC_INVALID naming the field for bad input; RC_FORBIDDEN for an enterprise outside
 * a clerk's region.
 */
enum rc demand_create(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                      const struct demand_new *d, int64_t *id, bool *existed,
                      struct err *e) WARN_UNUSED;
/*
 * demand_create that also writes the new demand's detail as p sees it (the text of
 * demand_get_text) to out, which must be empty, from the INSERT's own row: one statement
 * fewer than reading it back. out stays empty for a replay (*existed) and on failure.
 */
enum rc demand_create_text(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                           const struct demand_new *d, int64_t *id, bool *existed, struct buf *out,
                           struct err *e) WARN_UNUSED;

/* RC_OK when the caller may read demand id (the check of demand_get), RC_NOTFOUND
 * when it may not or the demand does not exist. */
enum rc demand_readable(struct conn *c, const struct principal *p, int64_t id,
                        struct err *e) WARN_UNUSED;
/*
 * Appends the JSON text of a demand the caller may see, with its light, co-handlers and
 * the caller's actions, to out (a response body). RC_NOTFOUND for a demand the caller
 * may not see; on any error out holds a partial text the caller must discard.
 */
enum rc demand_get_text(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                        int64_t id, struct buf *out, struct err *e) WARN_UNUSED;
/* The same as a new Jansson tree (for callers that read members of it). */
enum rc demand_get(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                   int64_t id, json_t **out, struct err *e) WARN_UNUSED;

struct demand_filter {
    const char *state;     /* a state name */
    const char *light;     /* red, yellow, green */
    const char *category;
    const char *credit_code;
    const char *q;         /* title contains */
    const char *todo;      /* a named to-do step: review, rate, sign, handling (demand_read.c) */
    const char *lead_org;  /* the lead organisation's code */
    const char *channel;   /* web, window, hotline, open311, api */
    const char *region;    /* a prefix of the demand's region code ("3408", "340822") */
    int64_t dispatched_from, dispatched_to; /* last dispatch in [from, to) ms, 0: no bound;
                                               a bound leaves merged demands out too */
    int64_t before_id;     /* cursor: ids below this (newest first) */
    int limit;
};

/*
 * Lists the demands the caller may see, newest first: appends their JSON array (the
 * text, written directly) to out, and sets *n_out to the number of items and *last_out
 * to the id of the last one (0 when none). RC_TOOLARGE past out's cap; on any error
 * out holds a partial text the caller must discard.
 */
enum rc demand_list(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                    const struct demand_filter *f, struct buf *out, int *n_out,
                    int64_t *last_out, struct err *e) WARN_UNUSED;

/*
 * Counts the demands demand_list would list for f over all its pages (f's cursor and limit
 * are ignored): GET /me/todo's counts, equal to their lists' lengths by construction.
 */
enum rc demand_count(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                     const struct demand_filter *f, int *n_out, struct err *e) WARN_UNUSED;

/* The timeline: every step, internal notes hidden from the enterprise (new JSON array). */
enum rc demand_timeline(struct conn *c, const struct principal *p, int64_t id, json_t **out,
                        struct err *e) WARN_UNUSED;

/* Appends {"items":[{action, label, note_required}, ...]}, the actions the caller may
 * take now, to out (JSON text; partial on error, for the caller to discard). */
enum rc demand_actions(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                       int64_t id, struct buf *out, struct err *e) WARN_UNUSED;

/*
 * Takes an action: params is the request object {"action", "note", "lead", "co",
 * "until", "rating", "into"}. RC_FORBIDDEN / RC_STATE / RC_INVALID change nothing.
 */
enum rc demand_act(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                   int64_t id, const json_t *params, struct err *e) WARN_UNUSED;

/*
 * The overdue sweep: every demand whose running deadline has passed, and whose
 * lead has not yet been told about that deadline, gets an "overdue" notice to the
 * lead and intake organisations, a timeline event and an audit event, once per
 * deadline (an approved extension makes a new one). Scans at most 500 demands per
 * call; *n (may be NULL) counts the demands flagged. `qifu serve` runs it every
 * minute.
 */
enum rc demand_sweep_overdue(struct conn *c, const struct demand_ctx *ctx, int *n,
                             struct err *e) WARN_UNUSED;

#endif
