/* SPDX-License-Identifier: Apache-2.0 */
/* demand_flow: the table. Reading it top to bottom is reading the loop. */
#include "demand_flow.h"

#include <string.h>

#include "demand.h"

static const struct flow_state states[DS__COUNT] = {
    [DS_SUBMITTED] = {"submitted", "已提交"},
    [DS_ACCEPTED] = {"accepted", "已受理"},
    [DS_DECLINED] = {"declined", "不予受理"},
    [DS_ANSWERED_DIRECTLY] = {"answered_directly", "直接办结"},
    [DS_DISPATCHED] = {"dispatched", "已交办"},
    [DS_SIGNED] = {"signed", "已签收"},
    [DS_RETURN_REQUESTED] = {"return_requested", "退单待审"},
    [DS_EXTENSION_REQUESTED] = {"extension_requested", "延期待批"},
    [DS_REPLIED] = {"replied", "已答复"},
    [DS_REOPENED] = {"reopened", "重办"},
    [DS_RATED] = {"rated", "已评价"},
    [DS_RECTIFYING] = {"rectifying", "整改中"},
    [DS_ARCHIVED] = {"archived", "已归档"},
    [DS_MERGED] = {"merged", "已并单"},
};

#define B DS_BIT
#define OFFICIAL (REL_INTAKE | REL_LEAD | REL_CO | REL_OVERSIGHT)
#define HANDLING (B(DS_DISPATCHED) | B(DS_SIGNED) | B(DS_REOPENED) | B(DS_RECTIFYING))

static const struct demand_action actions[] = {
    /* 一口受理 */
    {"accept", "受理", B(DS_SUBMITTED), REL_INTAKE, TO_STATE, DS_ACCEPTED, false, false, false},
    {"decline", "不予受理", B(DS_SUBMITTED), REL_INTAKE, TO_STATE, DS_DECLINED, true, false, false},
    {"answer_directly", "直接答复办结", B(DS_SUBMITTED) | B(DS_ACCEPTED), REL_INTAKE, TO_STATE,
     DS_ANSWERED_DIRECTLY, true, false, false},
    {"merge", "并单", B(DS_SUBMITTED) | B(DS_ACCEPTED), REL_INTAKE, TO_STATE, DS_MERGED, false,
     false, false},
    /* 交办分办 */
    {"dispatch", "交办", B(DS_ACCEPTED), REL_INTAKE, TO_STATE, DS_DISPATCHED, false, false, false},
    {"sign", "签收", B(DS_DISPATCHED), REL_LEAD, TO_STATE, DS_SIGNED, false, false, false},
    {"return", "退单", B(DS_DISPATCHED) | B(DS_SIGNED), REL_LEAD, TO_STATE, DS_RETURN_REQUESTED,
     true, false, false},
    {"approve_return", "同意退单", B(DS_RETURN_REQUESTED), REL_INTAKE | REL_OVERSIGHT, TO_STATE,
     DS_ACCEPTED, false, false, false},
    {"reject_return", "驳回退单", B(DS_RETURN_REQUESTED), REL_INTAKE | REL_OVERSIGHT, TO_PREVIOUS,
     DS_SIGNED, true, false, false},
    /* 限时办理 */
    {"request_extension", "申请延期", B(DS_SIGNED) | B(DS_REOPENED) | B(DS_RECTIFYING), REL_LEAD,
     TO_STATE, DS_EXTENSION_REQUESTED, true, false, false},
    {"approve_extension", "批准延期", B(DS_EXTENSION_REQUESTED), REL_OVERSIGHT, TO_PREVIOUS,
     DS_SIGNED, false, false, false},
    {"reject_extension", "驳回延期", B(DS_EXTENSION_REQUESTED), REL_OVERSIGHT, TO_PREVIOUS,
     DS_SIGNED, true, false, false},
    {"interim_reply", "阶段性答复", B(DS_SIGNED) | B(DS_REOPENED) | B(DS_RECTIFYING), REL_LEAD,
     TO_SAME, DS_SIGNED, true, false, false},
    {"assist", "协办意见", B(DS_DISPATCHED) | B(DS_SIGNED) | B(DS_REOPENED), REL_CO, TO_SAME,
     DS_SIGNED, true, false, false},
    /* 及时反馈 */
    {"reply", "答复", B(DS_SIGNED) | B(DS_REOPENED) | B(DS_RECTIFYING), REL_LEAD, TO_STATE,
     DS_REPLIED, true, false, false},
    {"review_accept", "审核通过", B(DS_REPLIED), REL_INTAKE, TO_SAME, DS_REPLIED, false, false,
     true},
    {"review_reject", "退回重办", B(DS_REPLIED), REL_INTAKE, TO_STATE, DS_REOPENED, true, false,
     true},
    /* 监督评价 */
    {"rate", "评价", B(DS_REPLIED) | B(DS_ANSWERED_DIRECTLY), REL_OWNER, TO_BY_RATING, DS_RATED,
     false, true, false},
    {"callback", "回访", B(DS_REPLIED) | B(DS_RATED) | B(DS_RECTIFYING) | B(DS_ANSWERED_DIRECTLY),
     REL_INTAKE, TO_SAME, DS_RATED, true, false, false},
    {"reopen", "重新办理", B(DS_RATED) | B(DS_ARCHIVED), REL_INTAKE | REL_OVERSIGHT, TO_STATE,
     DS_REOPENED, true, false, false},
    {"archive", "归档", B(DS_RATED) | B(DS_DECLINED) | B(DS_ANSWERED_DIRECTLY) | B(DS_MERGED),
     REL_INTAKE, TO_STATE, DS_ARCHIVED, false, false, false},
    {"urge", "催办/督办", HANDLING | B(DS_EXTENSION_REQUESTED) | B(DS_RETURN_REQUESTED),
     REL_OVERSIGHT, TO_SAME, DS_SIGNED, true, false, false},
    {"note", "内部备注", ~0u & ((1u << DS__COUNT) - 1), OFFICIAL, TO_SAME, DS_SIGNED, true, false,
     false},
};

const char *demand_state_name(enum demand_state s)
{
    return (unsigned)s < DS__COUNT ? states[s].name : "unknown";
}

const char *demand_state_label(enum demand_state s)
{
    return (unsigned)s < DS__COUNT ? states[s].label : "未知";
}

bool demand_state_parse(const char *name, enum demand_state *out)
{
    for (int i = 0; i < DS__COUNT; i++)
        if (name && strcmp(states[i].name, name) == 0) {
            *out = (enum demand_state)i;
            return true;
        }
    return false;
}

const struct demand_action *demand_flow_actions(int *n)
{
    *n = (int)(sizeof(actions) / sizeof(actions[0]));
    return actions;
}

const struct demand_action *demand_flow_find(const char *name)
{
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
        if (name && strcmp(actions[i].name, name) == 0)
            return &actions[i];
    return NULL;
}

enum rc demand_flow_check(const struct demand_action *a, unsigned rels, enum demand_state s,
                          bool reviewed, struct err *e)
{
    if (!(a->rels & rels))
        return err_set(e, RC_FORBIDDEN, "action", "您无权对该诉求执行“%s”", a->label);
    if (!(a->from & DS_BIT(s)))
        return err_set(e, RC_STATE, "action", "诉求当前状态为“%s”，不能执行“%s”",
                       demand_state_label(s), a->label);
    if (s == DS_REPLIED && a->needs_reviewed && !reviewed)
        return err_set(e, RC_STATE, "action", "答复尚未审核通过，暂不能%s", a->label);
    if (s == DS_REPLIED && a->needs_unreviewed && reviewed)
        return err_set(e, RC_STATE, "action", "答复已审核通过，不能再%s", a->label);
    return RC_OK;
}

/* The demand's workflow for the kit (src/flow): its states, its events' labels and
 * who may read a demand (for notices). */
static const struct flow_label event_labels[] = {
    {"submit", "提交诉求"},  {"urge", "催办"},       {"supervise", "督办"},
    {"overdue", "超期提醒"}, {"attach", "上传附件"},
};

const struct flow demand_flow = {
    .entity = "demand",
    .label = "诉求",
    .states = states,
    .n_states = DS__COUNT,
    .events = event_labels,
    .n_events = (int)(sizeof(event_labels) / sizeof(event_labels[0])),
    .readable = demand_readable,
};
