/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flow: workflows as data (docs/internals/flow.md).
 *
 * A domain describes its workflow once, as a struct flow: its states, and a table of
 * actions, each row saying from which states it may be taken, by whom (RELATIONS of
 * the caller to the record, bits the domain defines: owner, intake, lead...), to
 * which state it leads, what it requires (a note, a condition of the record) and the
 * two functions that give it its meaning: apply() (the action's own work on the
 * record) and notify() (who must act next). Redis's command table is the model: a
 * new action is one row plus its functions, with no second dispatch on its name.
 *
 * flow_act runs an action end to end in one transaction: parse the request (action,
 * note and the flow's own fields), load the record and the caller's relations, check
 * (RC_FORBIDDEN before RC_STATE, so a stranger learns nothing of the state), apply,
 * save, record the timeline event and the audit row (flow_record), notify, commit.
 * Timeline events and notices live in two tables keyed by (entity, entity_id)
 * (migration 0015): flow_record, flow_notice and flow_timeline are the only writers and
 * the reader of the events table.
 */
#ifndef QIFU_FLOW_H
#define QIFU_FLOW_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../base/rc.h"

struct conn;
struct stmt;
struct principal;
struct jsonx_w;

#define FLOW_MAX_STATES 32
#define FLOW_BIT(s) (1u << (s))
/* The number of rows of a static table (actions, rels, events): `.n_actions = FLOW_N(actions)`. */
#define FLOW_N(a) ((int)(sizeof(a) / sizeof((a)[0])))
/* Every state of a flow of n states. */
#define FLOW_ANY(n) ((n) >= 32 ? ~0u : (1u << (n)) - 1u)

/* Where an action leads, besides a state index. */
enum {
    FLOW_SAME = -1,     /* no change of state (a note, an interim reply, an urge) */
    FLOW_PREVIOUS = -2, /* back to the state before a side path (flow_call.previous) */
    FLOW_DECIDED = -3,  /* apply() decides (sets flow_call.to) */
};

/* Flags of an action. */
enum {
    FLOW_NOTE = 1u << 0,     /* a note (reason, answer...) is required */
    FLOW_INTERNAL = 1u << 1, /* its event is hidden from the enterprise */
    FLOW_NO_SAVE = 1u << 2,  /* changes nothing of the record: flow.save is not called */
    /* Only checks (a validation): apply() runs, then nothing is saved, recorded or
     * notified, and the transaction is rolled back. */
    FLOW_CHECK_ONLY = 1u << 3,
};

struct flow_state {
    const char *name;  /* "submitted" */
    const char *label; /* "已提交" */
};

/* A condition of the record an action may require or refuse (the demand's "reply
 * reviewed"), with the messages for when it is missing or present. %s is the
 * action's label. */
struct flow_cond {
    const char *unmet;
    const char *met;
};

/* A name and its label: relations, and events recorded outside the table. */
struct flow_label {
    const char *name;
    const char *label;
};

struct flow;
struct flow_action;
struct rec_table;

/*
 * One call of an action, passed to every hook. flow_act fills the first block; the
 * flow's load() fills the second; apply() may change `to` and fill the third.
 */
struct flow_call {
    const struct flow *flow;
    const struct flow_action *a;
    struct conn *c;
    const struct principal *p;
    const void *ctx;      /* the domain's context (demand_ctx...), as given to flow_act */
    const json_t *params; /* the request body */
    const char *note;     /* NULL when empty */
    int64_t id;
    int64_t now;

    void *rec;      /* the record as loaded (the domain's struct) */
    void *next;     /* the record as it will be saved (a copy of rec to change) */
    int from;       /* the current state */
    int previous;   /* the state before a side path, or -1 */
    unsigned rels;  /* the caller's relations to the record */
    unsigned conds; /* the record's conditions (bits of flow.conds) */

    int to;            /* the state it leads to (set before apply) */
    json_t *data;      /* the event's data (an empty object; left out when empty) */
    const char *event; /* the event's action name, when not the row's (urge → supervise) */
    const char *kind;  /* the audit action's suffix, when not the event's */
};

struct flow_action {
    const char *name;  /* "sign" */
    const char *label; /* "签收" */
    unsigned from;     /* FLOW_BIT mask of states */
    unsigned rels;     /* relations that may take it */
    int to;            /* a state, FLOW_SAME, FLOW_PREVIOUS or FLOW_DECIDED */
    unsigned flags;    /* FLOW_NOTE, FLOW_INTERNAL, FLOW_NO_SAVE */
    unsigned need;     /* conditions that must hold */
    unsigned refuse;   /* conditions that must not hold */
    enum rc (*apply)(struct flow_call *x, struct err *e);
    enum rc (*notify)(struct flow_call *x, struct err *e);
};

struct flow {
    const char *entity; /* "demand": the events' and notices' entity, the audit's prefix */
    const char *label;  /* "诉求" */
    const struct flow_state *states;
    int n_states;
    const struct flow_action *actions;
    int n_actions;
    const struct flow_cond *conds; /* indexed by bit number; may be NULL */
    int n_conds;
    const struct flow_label *rels; /* indexed by bit number, for documentation and labels */
    int n_rels;
    const struct flow_label *events; /* labels of events recorded outside the table */
    int n_events;
    /* The request's fields besides "action" and "note" (NULL-terminated; may be NULL). */
    const char *const *fields;
    int note_max; /* the longest note accepted, in characters (0: 4000) */
    /*
     * Loads record x->id for x->p inside the transaction: sets rec, next, from,
     * previous, rels, conds. RC_NOTFOUND when the caller may not see it.
     */
    enum rc (*load)(struct flow_call *x, struct err *e);
    /* Saves x->next (unless the action has FLOW_NO_SAVE). */
    enum rc (*save)(struct flow_call *x, struct err *e);
    /* The audit image of a record (x->rec or x->next); may be NULL: {"state": its state}. */
    json_t *(*image)(const struct flow_call *x, const void *rec);
    /* Frees what load() allocated (may be NULL). */
    void (*release)(struct flow_call *x);
    /* May p read record id? RC_OK, RC_NOTFOUND/RC_FORBIDDEN, or an error. Used to show a
     * notice only to those who may read its record. May be NULL: load decides
     * (flow_readable). */
    enum rc (*readable)(struct conn *c, const struct principal *p, int64_t id, struct err *e);
    /* The record's table when it is one row of one table (flow_rec.h; may be NULL). */
    const struct rec_table *table;
};

/* The state's name and label ("unknown"/"未知" out of range); -1 for an unknown name. */
const char *flow_state_name(const struct flow *f, int s);
const char *flow_state_label(const struct flow *f, int s);
int flow_state_parse(const struct flow *f, const char *name);
/* The action named name, or NULL. */
const struct flow_action *flow_find(const struct flow *f, const char *name);
/* The label of an event's action: the table's, the flow's events', or the name. */
const char *flow_event_label(const struct flow *f, const char *action);

/*
 * May a caller with relations rels take a on a record in state s with conditions
 * conds? RC_OK, RC_FORBIDDEN or RC_STATE with a Chinese message in e (may be NULL).
 */
enum rc flow_check(const struct flow *f, const struct flow_action *a, unsigned rels, int s,
                   unsigned conds, struct err *e);
/* Writes the actions the caller may take now as an array of
 * {"action","label","note_required"} (the buttons). */
void flow_actions_w(struct jsonx_w *w, const struct flow *f, unsigned rels, int s, unsigned conds);
json_t *flow_actions_json(const struct flow *f, unsigned rels, int s, unsigned conds);
/* {"label", "states": {name: label}, "actions": {name: label}, "events": {...}}. */
json_t *flow_labels_json(const struct flow *f);

/*
 * Runs the action named in params on record id, in a transaction of its own: see the
 * top of this file. ctx is handed to the hooks as flow_call.ctx.
 */
enum rc flow_act(const struct flow *f, struct conn *c, const struct principal *p, const void *ctx,
                 int64_t id, const json_t *params, int64_t now, struct err *e) WARN_UNUSED;

/*
 * Bulk work (docs/internals/flow.md "Bulk"): the most records one request may act on.
 */
#define FLOW_BULK_MAX 100

/* One record of a bulk request: its id and the request for it ({"action", ...}). */
struct flow_bulk_item {
    int64_t id;
    const json_t *params; /* borrowed */
};

/*
 * Runs flow_act on each of items[0..n) in turn, each in a transaction of its own: the
 * same checks, event, audit row and notices as the single action. A refusal (400, 403,
 * 404, 409) is that record's answer and the next record is tried; a failure of the
 * system (the database...) ends the batch, and the records after it are reported as not
 * tried. *out (new) is {"total", "succeeded", "failed", "items": [{"id", "ok", and for a
 * failure "code", "message", "field"}]}, in the order given. RC_INVALID when n is 0 or
 * more than FLOW_BULK_MAX.
 */
enum rc flow_bulk(const struct flow *f, struct conn *c, const struct principal *p, const void *ctx,
                  const struct flow_bulk_item *items, size_t n, int64_t now, json_t **out,
                  struct err *e) WARN_UNUSED;

/*
 * The reads of one record every workflow serves, through the flow's own hooks (a domain
 * writes none of them). Each loads record id for p as flow_act would, with an empty
 * request (load must not depend on x->a), and releases it.
 *
 * flow_readable: may p read record id? f->readable when set, else load succeeding.
 * RC_NOTFOUND (or RC_FORBIDDEN) when not.
 */
enum rc flow_readable(const struct flow *f, struct conn *c, const struct principal *p, int64_t id,
                      struct err *e) WARN_UNUSED;
/* The actions p may take on record id now, as flow_actions_json (new array); ctx as for
 * flow_act. RC_NOTFOUND when p may not see it. */
enum rc flow_actions_of(const struct flow *f, struct conn *c, const struct principal *p,
                        const void *ctx, int64_t id, json_t **out, struct err *e) WARN_UNUSED;
/* The timeline of record id as p may read it: flow_readable, then flow_timeline with the
 * internal events for every principal but an enterprise's (ent.self). */
enum rc flow_timeline_of(const struct flow *f, struct conn *c, const struct principal *p,
                         int64_t id, json_t **out, struct err *e) WARN_UNUSED;

/*
 * Runs st, a save's UPDATE of a record at the version it was loaded at (optimistic
 * locking), and finishes it: RC_CONFLICT "<what>已被他人处理，请刷新后重试" when it
 * changed no row (another caller changed the record since it was read).
 */
enum rc flow_save_run(struct stmt *st, const char *what, struct err *e) WARN_UNUSED;

/* A timeline event, for flow_record. */
struct flow_event {
    const char *entity;
    int64_t id;
    int64_t at;
    const char *action;
    const char *from; /* state names; from may be NULL (a creation) */
    const char *to;
    const char *note;
    bool internal;
    const json_t *data; /* may be NULL */
};

/*
 * Writes the timeline event ev by p and, when audit_action is not NULL, the audit
 * row (entity, id, before, after) in the caller's transaction.
 */
enum rc flow_record(struct conn *c, const struct principal *p, const struct flow_event *ev,
                    const char *audit_action, const json_t *before, const json_t *after,
                    struct err *e) WARN_UNUSED;
/*
 * Records the creation of record id by p in the caller's transaction: the event `event`
 * (no state → state `to`) and the audit row <entity>.<event> whose after-image is after
 * (NULL: {"state": to's name}).
 */
enum rc flow_created(struct conn *c, const struct principal *p, const struct flow *f, int64_t id,
                     const char *event, int to, int64_t now, const json_t *after,
                     struct err *e) WARN_UNUSED;
/* The same, by an actor that is not a principal (the system: sweeper, 免申即享 run). */
enum rc flow_record_as(struct conn *c, const char *actor, const char *actor_name, const char *org,
                       const struct flow_event *ev, struct err *e) WARN_UNUSED;

/* Whom a notice is for: a user, an organisation or an enterprise (one of them). */
struct flow_to {
    int64_t user_id;
    int64_t org_id;
    const char *credit_code;
};

/* A notice about (entity, id) to `to`, in the caller's transaction; nothing when `to`
 * names nobody. */
enum rc flow_notice(struct conn *c, const char *entity, int64_t id, const struct flow_to *to,
                    const char *kind, const char *title, const char *body, int64_t now,
                    struct err *e) WARN_UNUSED;
/* The same for the record of an action call. */
enum rc flow_notify(struct flow_call *x, const struct flow_to *to, const char *kind,
                    const char *title, const char *body, struct err *e) WARN_UNUSED;

/*
 * The timeline of (f->entity, id) as an array of {at, actor, org, action, label,
 * from_state, to_state, to_state_label, internal, note, data}; internal events are
 * left out when with_internal is false.
 */
enum rc flow_timeline(struct conn *c, const struct flow *f, int64_t id, bool with_internal,
                      json_t **out, struct err *e) WARN_UNUSED;

#endif
