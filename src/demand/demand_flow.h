/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demand_flow: the workflow of the demand loop (DESIGN §5) as a table of src/flow
 * (docs/internals/flow.md).
 *
 * A caller stands in one or more RELATIONS to a demand, decided by the domain
 * layer from role, organisation and credit code: the enterprise that owns it, the
 * intake desk (clerks of the demand's region), the lead or a co-handling
 * organisation of the current dispatch, and oversight (supervisors of the region).
 * Each row of the table (demand_flow.c) names an action, the states it may start
 * from, the relations that may take it, the state it leads to, what it requires,
 * and its two functions: apply() (its work on the demand) and notify() (its
 * notices). flow_check answers RC_FORBIDDEN (no relation allows it) before RC_STATE
 * (wrong state), so a stranger learns nothing about a demand's state.
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
    DS_WITHDRAWN, /* 撤回 by the enterprise before acceptance */
    DS__COUNT
};

#define DS_BIT(s) FLOW_BIT(s)

enum demand_rel {
    REL_OWNER = 1u << 0,     /* the enterprise the demand belongs to */
    REL_INTAKE = 1u << 1,    /* a clerk whose region covers the demand */
    REL_LEAD = 1u << 2,      /* a user of the lead organisation */
    REL_CO = 1u << 3,        /* a user of a co-handling organisation */
    REL_OVERSIGHT = 1u << 4, /* a supervisor whose region covers the demand */
};

/* Conditions of a demand some actions require or refuse (flow_call.conds). */
enum demand_cond {
    /* A reply awaits review: review_accept and review_reject need it, rate refuses it. */
    DC_AWAITING_REVIEW = 1u << 0,
    /* The running deadline has passed: the enterprise's remind needs it. */
    DC_OVERDUE = 1u << 1,
};

/* The enterprise may 催办 a demand past its running deadline once per this many hours. */
#define DEMAND_REMIND_HOURS 24

/* The demand's workflow (src/flow); entity "demand". */
extern const struct flow demand_flow;

/* Returns "submitted", ... and "已提交", ... */
const char *demand_state_name(enum demand_state s);
const char *demand_state_label(enum demand_state s);
/* Parses a state name; false if unknown. */
bool demand_state_parse(const char *name, enum demand_state *out);
/* The conditions (DC_* bits) of a demand in state s whose reply passed review or not. */
unsigned demand_conds(enum demand_state s, bool reviewed);

#endif
