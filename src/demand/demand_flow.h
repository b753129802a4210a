/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demand_flow: the transition table of the demand loop (DESIGN §5), pure data.
 *
 * A caller stands in one or more RELATIONS to a demand, decided by the domain
 * layer from role, organisation and credit code: the enterprise that owns it, the
 * intake desk (clerks of the demand's region), the lead or a co-handling
 * organisation of the current dispatch, and oversight (supervisors of the region).
 * Each row of the table names an action, the states it may start from, the
 * relations that may take it, and the state it leads to. demand_flow_check()
 * answers RC_FORBIDDEN (no relation allows it) before RC_STATE (wrong state), so a
 * stranger learns nothing about a demand's state.
 */
#ifndef QIFU_DEMAND_FLOW_H
#define QIFU_DEMAND_FLOW_H

#include <stdbool.h>

#include "../base/rc.h"
#include "../flow/flow.h"

enum demand_state {
    DS_SUBMITTED,
    DS_ACCEPTED,
    DS_DECLINED,
    DS_ANSWERED_DIRECTLY,
    DS_DISPATCHED,
    DS_SIGNED,
    DS_RETURN_REQUESTED,
    DS_EXTENSION_REQUESTED,
    DS_REPLIED,
    DS_REOPENED,
    DS_RATED,
    DS_RECTIFYING,
    DS_ARCHIVED,
    DS_MERGED,
    DS__COUNT
};

#define DS_BIT(s) (1u << (s))

enum demand_rel {
    REL_OWNER = 1u << 0,     /* the enterprise the demand belongs to */
    REL_INTAKE = 1u << 1,    /* a clerk whose region covers the demand */
    REL_LEAD = 1u << 2,      /* a user of the lead organisation */
    REL_CO = 1u << 3,        /* a user of a co-handling organisation */
    REL_OVERSIGHT = 1u << 4, /* a supervisor whose region covers the demand */
};

/* Where an action leads. */
enum demand_to {
    TO_STATE,     /* the row's state */
    TO_SAME,      /* no change (a note, an interim reply, an urge) */
    TO_PREVIOUS,  /* back to the state before a side path (return / extension) */
    TO_BY_RATING  /* rated, or rectifying for a 差评 (1–2) */
};

struct demand_action {
    const char *name;      /* "sign" */
    const char *label;     /* "签收" */
    unsigned from;         /* DS_BIT mask */
    unsigned rels;         /* REL_* mask */
    enum demand_to to;
    enum demand_state state; /* for TO_STATE */
    bool note_required;    /* a reason, an answer, ... */
    bool needs_reviewed;   /* only once a reply passed review (rate) */
    bool needs_unreviewed; /* only while a reply awaits review */
};

/* The demand's workflow (src/flow); entity "demand". */
extern const struct flow demand_flow;

/* Returns "submitted", ... and "已提交", ... */
const char *demand_state_name(enum demand_state s);
const char *demand_state_label(enum demand_state s);
/* Parses a state name; false if unknown. */
bool demand_state_parse(const char *name, enum demand_state *out);
/* Returns the table and its size. */
const struct demand_action *demand_flow_actions(int *n);
/* Returns the action named name, or NULL. */
const struct demand_action *demand_flow_find(const char *name);
/*
 * May a caller with relations rels take action a on a demand in state s (reviewed
 * says whether its reply passed review)? RC_OK, RC_FORBIDDEN or RC_STATE, with a
 * Chinese message in e.
 */
enum rc demand_flow_check(const struct demand_action *a, unsigned rels, enum demand_state s,
                          bool reviewed, struct err *e) WARN_UNUSED;

#endif
