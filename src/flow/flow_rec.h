/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flow_rec: a record's data access from a column descriptor (docs/internals/flow.md "Records
 * from a column table").
 *
 * A domain whose record is one row of one table describes that table once, as a struct
 * rec_table (its columns, their JSON types and flags, the scope columns and the relations),
 * and hangs it on its flow (flow.table). From it come the scoped list with equality filters
 * and id cursor paging, the scoped read of one record answered with its state label and the
 * actions the caller may take, the validated insert recorded by flow_created in one
 * transaction, and the flow's load/save/release hooks: the record is a JSON object of its
 * columns (x->rec as loaded, x->next as it will be saved), apply() sets members of x->next,
 * and save writes the changed columns guarded by the version column (RC_CONFLICT).
 * Layering: flow_rec calls flow, access and store; domains call it.
 */
#ifndef QIFU_FLOW_REC_H
#define QIFU_FLOW_REC_H

#include <jansson.h>
#include <stdint.h>

#include "../access/access.h"
#include "../base/rc.h"
#include "flow.h"

enum rec_type {
    REC_ID,      /* the key (the first column) */
    REC_TEXT,    /* a string, or null */
    REC_INT,     /* an integer */
    REC_TIME,    /* milliseconds, answered "YYYY-MM-DD HH:MM:SS" (China time) */
    REC_STATE,   /* a state name of the flow, answered with "state_label" */
    REC_VERSION, /* the optimistic lock: left out of the JSON, guards every save */
};

enum {
    REC_INSERT = 1u << 0,   /* taken from the creation's body */
    REC_REQUIRED = 1u << 1, /* ... and required there */
    REC_PATCH = 1u << 2,    /* changed by rec_apply_patch (PATCH) */
    REC_FILTER = 1u << 3,   /* an equality filter of the list (?col=) */
    REC_PERSONAL = 1u << 4, /* personal data: masked unless access_reveal */
    REC_STAMP = 1u << 5,    /* REC_TIME set to now on insert */
    REC_TOUCH = 1u << 6,    /* REC_TIME set to now on insert and on every save */
};

struct rec_col {
    const char *name; /* the column, and the JSON member */
    enum rec_type type;
    unsigned flags;
    int max;            /* REC_TEXT from a body: the longest accepted, in characters */
    const char *insert; /* SQL for its value on insert instead of "?" (one "?": its value) */
};

struct rec_table {
    const char *table; /* "suggestions" */
    const struct rec_col *cols;
    int n_cols;
    const char *credit, *org, *region;      /* the scope's columns (ACCESS_SQL), "NULL" when none */
    enum access_perm region_perm, org_perm; /* access_scope_of's */
    const char *notfound;                   /* "意见建议不存在或无权查看" */
    const char *event;                      /* the creation's event ("submit") */
    /* The caller's relations to a record (its columns as JSON). */
    unsigned (*rels)(const struct principal *p, const json_t *row);
    /* Before an insert: may p create it? Sets the columns not from the body in row. */
    enum rc (*creating)(struct conn *c, const struct principal *p, json_t *row, struct err *e);
};

/* The text of member name of a record (its JSON object); "" when null or absent. */
const char *rec_text(const json_t *row, const char *name);

/* The records f->table p may see, newest first, ids below before_id (0: from the newest);
 * eq[i] (may be NULL) is the filter of column i, NULL for any. A new array of rec_get's. */
enum rc rec_list(const struct flow *f, struct conn *c, const struct principal *p,
                 const char *const *eq, int64_t before_id, int limit, json_t **out,
                 struct err *e) WARN_UNUSED;
/* Record id as p may see it (new JSON with "state_label" and "actions"); RC_NOTFOUND. */
enum rc rec_get(const struct flow *f, struct conn *c, const struct principal *p, int64_t id,
                json_t **out, struct err *e) WARN_UNUSED;
/* Inserts a record from body (only REC_INSERT members; 400 naming the field), in state 0,
 * and records it (flow_created), in one transaction; *id is new. */
enum rc rec_create(const struct flow *f, struct conn *c, const struct principal *p,
                   const json_t *body, int64_t *id, struct err *e) WARN_UNUSED;

/* The flow's hooks (.load, .save, .release) for a record of f->table. */
enum rc rec_load(struct flow_call *x, struct err *e);
enum rc rec_save(struct flow_call *x, struct err *e);
void rec_release(struct flow_call *x);
/* An apply(): the request's REC_PATCH members into x->next (at least one). */
enum rc rec_apply_patch(struct flow_call *x, struct err *e);

#endif
