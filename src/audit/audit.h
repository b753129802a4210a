/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit: the append-only, hash-chained log of every state change.
 *
 * audit_append() runs inside the caller's write transaction, so the event and the
 * change it describes commit or roll back together. Events are numbered 1, 2, ...
 * without gaps; hash = SHA-256(prev_hash || canonical event), where the canonical
 * event is the fields seq, at, actor, org, action, entity, id, before, after joined
 * by U+001F, before and after being the canonical JSON text stored in the row
 * (keys sorted, compact), and an absent before/after an empty field. The first
 * prev_hash is 64 zeros. Appends serialise on the one-row table audit_head.
 *
 * audit_verify() recomputes the chain from the rows and names the first row whose
 * stored hash, prev_hash or sequence does not match.
 */
#ifndef QIFU_AUDIT_H
#define QIFU_AUDIT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/pool.h"
#include "../base/rc.h"

struct conn;
struct store;

/* Who acts: "user:admin", "apikey:12345热线", "cli:root"; org is an organisation code. */
struct audit_actor {
    const char *name;
    const char *org;
};

struct audit_event {
    const char *action;    /* "user.create", "session.login", ... */
    const char *entity;    /* "user", "org", ... */
    const char *entity_id; /* the entity's id as text */
    const json_t *before;  /* NULL for a creation */
    const json_t *after;   /* NULL for a deletion */
};

/*
 * Appends ev by who to the chain. c must be inside a transaction (RC_INTERNAL
 * otherwise). *seq (may be NULL) receives the event's number.
 */
enum rc audit_append(struct conn *c, const struct audit_actor *who, const struct audit_event *ev,
                     int64_t *seq, struct err *e) WARN_UNUSED;

struct audit_report {
    int64_t n_checked;   /* rows read */
    int64_t first_bad;   /* seq of the first broken link, 0 when the chain holds */
    char why[160];       /* what is wrong with it */
    int64_t last_seq;    /* the last row that verified (0: none) */
    char last_hash[65];  /* its hash (SEC_HEX_SHA256 bytes) */
};

/* Recomputes the whole chain. RC_OK even when broken: read r->first_bad. */
enum rc audit_verify(struct store *s, struct audit_report *r, struct err *e) WARN_UNUSED;

/* A signed head of the chain (audit_checkpoint.h). */
struct audit_checkpoint;
/*
 * audit_verify, and against n checkpoints (already checked for their signature): the
 * recomputed hash of row cps[i].seq must equal cps[i].hash (else the row, or one
 * before it, was rewritten, whatever was done to the later hashes), and the chain must
 * reach every checkpoint's seq (else its tail was cut off).
 */
enum rc audit_verify_with(struct store *s, const struct audit_checkpoint *cps, size_t n,
                          struct audit_report *r, struct err *e) WARN_UNUSED;

/*
 * Lists events, newest first, optionally only of entity (and entity_id), with seq <
 * before_seq when before_seq > 0. region_prefix NULL lists every event; otherwise only
 * events whose org is an organisation or an enterprise with a region starting with
 * region_prefix ("3408"; "~" matches nothing). *out is a new JSON array of event objects.
 */
enum rc audit_list(struct conn *c, const char *region_prefix, const char *entity,
                   const char *entity_id, int64_t before_seq, int limit, json_t **out,
                   struct err *e) WARN_UNUSED;

#endif
