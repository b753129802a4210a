/* SPDX-License-Identifier: Apache-2.0 */
/*
 * suggest: 企业意见建议 — its table (flow_rec) and its workflow's table and hooks (src/flow).
 */
#include "suggest.h"

#include <stdio.h>
#include <string.h>

#include "../access/access.h"
#include "../flow/flow_rec.h"

enum suggest_state { SS_SUBMITTED, SS_ACCEPTED, SS_ANSWERED, SS_CLOSED, SS__N };
enum suggest_rel {
    SR_OWNER = 1u << 0, /* the enterprise that filed it */
    SR_CLERK = 1u << 1, /* a clerk whose region covers the enterprise's */
};

static const struct flow_state states[SS__N] = {
    {"submitted", "已提交"}, {"accepted", "已受理"}, {"answered", "已答复"}, {"closed", "已办结"}};

static unsigned rels_of(const struct principal *p, const json_t *r)
{
    unsigned rel = 0;
    if (access_can(p, ACCESS_ENT_SELF) && p->credit_code &&
        strcmp(p->credit_code, rec_text(r, "credit_code")) == 0)
        rel |= SR_OWNER;
    if (access_can(p, ACCESS_DEMAND_INTAKE) && access_covers(p, rec_text(r, "region")))
        rel |= SR_CLERK;
    return rel;
}

/* Only an enterprise files one, for itself, in its enterprise's region. */
static enum rc creating(struct conn *c, const struct principal *p, json_t *row, struct err *e)
{
    (void)c;
    if (!access_can(p, ACCESS_ENT_SELF) || !p->credit_code)
        return err_set(e, RC_FORBIDDEN, NULL, "只有企业用户可以提交意见建议");
    json_object_set_new(row, "credit_code", json_string(p->credit_code));
    json_object_set_new(row, "region", json_string(p->credit_code));
    return RC_OK;
}

static const struct rec_col cols[] = {
    {"id", REC_ID, 0, 0, NULL},
    {"credit_code", REC_TEXT, 0, 0, NULL},
    {"region", REC_TEXT, 0, 0, "(SELECT region FROM enterprises WHERE credit_code = ?)"},
    {"title", REC_TEXT, REC_INSERT | REC_REQUIRED | REC_PATCH, 100, NULL},
    {"content", REC_TEXT, REC_INSERT | REC_REQUIRED | REC_PATCH, 2000, NULL},
    {"answer", REC_TEXT, 0, 0, NULL},
    {"state", REC_STATE, REC_FILTER, 0, NULL},
    {"version", REC_VERSION, 0, 0, NULL},
    {"created_at", REC_TIME, REC_STAMP, 0, NULL},
    {"updated_at", REC_TIME, REC_TOUCH, 0, NULL},
};

static const struct rec_table table = {
    .table = "suggestions",
    .cols = cols,
    .n_cols = FLOW_N(cols),
    .credit = "credit_code",
    .region = "region",
    .region_perm = ACCESS_DEMAND_INTAKE,
    .org_perm = ACCESS_NONE,
    .notfound = "意见建议不存在或无权查看",
    .event = "submit",
    .rels = rels_of,
    .creating = creating,
};

/* ---- the workflow ------------------------------------------------------------------ */

static enum rc apply_answer(struct flow_call *x, struct err *e)
{
    (void)e;
    json_object_set_new(x->next, "answer", json_string(x->note));
    return RC_OK;
}

/* The enterprise is told of the acceptance and of the answer. */
static enum rc tell_owner(struct flow_call *x, struct err *e)
{
    char title[600];
    snprintf(title, sizeof(title), "意见建议%s：%s", x->a->label, rec_text(x->rec, "title"));
    struct flow_to to = {0, 0, rec_text(x->rec, "credit_code")};
    return flow_notify(x, &to, "suggestion", title, x->note ? x->note : x->a->label, e);
}

#define B FLOW_BIT
static const struct flow_action actions[] = {
    {"edit", "修改", B(SS_SUBMITTED), SR_OWNER, FLOW_SAME, 0, 0, 0, rec_apply_patch, NULL},
    {"accept", "受理", B(SS_SUBMITTED), SR_CLERK, SS_ACCEPTED, 0, 0, 0, NULL, tell_owner},
    {"answer", "答复", B(SS_ACCEPTED), SR_CLERK, SS_ANSWERED, FLOW_NOTE, 0, 0, apply_answer,
     tell_owner},
    {"close", "办结", B(SS_ANSWERED), SR_CLERK | SR_OWNER, SS_CLOSED, 0, 0, 0, NULL, NULL},
};
#undef B
static const struct flow_label rels[] = {{"owner", "提出建议的企业"},
                                         {"clerk", "辖区窗口受理人员"}};
static const struct flow_label events[] = {{"submit", "提交"}};
static const char *const fields[] = {"title", "content", NULL};

const struct flow suggest_flow = {
    .entity = "suggestion",
    .label = "意见建议",
    .states = states,
    .n_states = SS__N,
    .actions = actions,
    .n_actions = FLOW_N(actions),
    .rels = rels,
    .n_rels = FLOW_N(rels),
    .events = events,
    .n_events = FLOW_N(events),
    .fields = fields,
    .load = rec_load,
    .save = rec_save,
    .release = rec_release,
    .table = &table,
};
