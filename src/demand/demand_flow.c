/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demand_flow: the demand loop as a table of src/flow. The table is at the end of the
 * file; reading it top to bottom is reading the loop. Before it: each action's work on
 * the demand (apply_*), its notices to whoever must act next (notify_*), and the hooks
 * through which flow_act loads and saves a demand (load, save, image, release).
 */
#include "demand_flow.h"

#include <stdlib.h>
#include <string.h>

#include "../auth/auth.h"
#include "../base/jsonx.h"
#include "../base/mem.h"
#include "../base/pool.h"
#include "../base/timeutil.h"
#include "../cal/cal.h"
#include "../category/category.h"
#include "../org/org.h"
#include "../store/store.h"
#include "demand.h"
#include "demand_int.h"

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
    [DS_WITHDRAWN] = {"withdrawn", "已撤回"},
};

const char *demand_state_name(enum demand_state s)
{
    return flow_state_name(&demand_flow, (int)s);
}

const char *demand_state_label(enum demand_state s)
{
    return flow_state_label(&demand_flow, (int)s);
}

bool demand_state_parse(const char *name, enum demand_state *out)
{
    int s = flow_state_parse(&demand_flow, name);
    if (s < 0)
        return false;
    *out = (enum demand_state)s;
    return true;
}

unsigned demand_conds(enum demand_state s, bool reviewed)
{
    return s == DS_REPLIED && !reviewed ? DC_AWAITING_REVIEW : 0;
}

unsigned demand__conds_of(const struct drow *d, int64_t now)
{
    int64_t due = demand__running_due(d);
    return demand_conds(d->state, d->reviewed) | (due && now > due ? DC_OVERDUE : 0);
}

/* ---- one call: the demand and the request's own fields ----------------------------- */

/* What load() allocates for one call. d comes first: x->rec points to it, and to the
 * whole (call_of). */
struct call {
    struct drow d, n;
    const char *lead, *until, *into;
    int64_t rating;
    json_t *co;
    int64_t co_ids[10];
    size_t n_co;
};

static struct call *call_of(struct flow_call *x)
{
    return (struct call *)x->rec;
}

static const struct demand_ctx *ctx_of(const struct flow_call *x)
{
    return x->ctx;
}

/* Reads the fields besides action and note (flow_act has checked that there are no
 * others), before the demand is loaded, as they always were. */
static enum rc parse_fields(const json_t *j, struct call *k, struct err *e)
{
    enum rc rc = jsonx_get_str(j, "lead", false, 32, &k->lead, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(j, "until", false, 10, &k->until, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(j, "into", false, 24, &k->into, e);
    if (rc == RC_OK)
        rc = jsonx_get_int(j, "rating", false, 1, 5, &k->rating, e);
    json_t *co = json_object_get(j, "co");
    if (rc == RC_OK && co && !json_is_null(co)) {
        if (!json_is_array(co) || json_array_size(co) > 10)
            return err_set(e, RC_INVALID, "co", "协办单位应为机构代码数组（最多 10 个）");
        size_t i;
        json_t *v;
        json_array_foreach(co, i, v)
        {
            if (!json_is_string(v))
                return err_set(e, RC_INVALID, "co", "协办单位应为机构代码数组");
        }
        k->co = co;
    }
    return rc;
}

/* ---- the hooks -------------------------------------------------------------------------- */

static enum rc load(struct flow_call *x, struct err *e)
{
    struct call *k = xcalloc(1, sizeof(*k));
    x->rec = k;
    enum rc rc = parse_fields(x->params, k, e);
    if (rc == RC_OK)
        rc = demand__load_visible(x->c, x->p, x->id, &k->d, &x->rels, e);
    if (rc)
        return rc;
    k->n = k->d;
    x->next = &k->n;
    x->from = (int)k->d.state;
    /* A side path always records the state it left; signed is the table's old default. */
    x->previous = k->d.has_prev ? (int)k->d.prev : DS_SIGNED;
    x->conds = demand__conds_of(&k->d, x->now);
    return RC_OK;
}

static enum rc save(struct flow_call *x, struct err *e)
{
    struct call *k = call_of(x);
    k->n.state = (enum demand_state)x->to;
    return demand__save(x->c, &k->n, k->d.version, x->now, e);
}

static json_t *image(const struct flow_call *x, const void *rec)
{
    (void)x;
    return demand__image(rec);
}

static void release(struct flow_call *x)
{
    xfree(x->rec);
    x->rec = x->next = NULL;
}

/* ---- what each action does to the demand (apply) ---------------------------------------- */

/* accept, decline, answer_directly: the intake desk takes the demand (and closes it
 * unless it accepts it). */
static enum rc apply_intake(struct flow_call *x, struct err *e)
{
    (void)e;
    struct drow *n = x->next;
    n->intake_org = x->p->org_id;
    n->accepted_at = x->now;
    if (x->to != DS_ACCEPTED)
        n->closed_at = x->now;
    return RC_OK;
}

static enum rc apply_merge(struct flow_call *x, struct err *e)
{
    struct call *k = call_of(x);
    char *end = NULL;
    long long into = k->into ? strtoll(k->into, &end, 10) : 0;
    struct drow t;
    unsigned trels = 0;
    if (!k->into || *end || into <= 0 || into == x->id)
        return err_set(e, RC_INVALID, "into", "须指定要并入的另一件诉求编号");
    enum rc rc = demand__load_visible(x->c, x->p, into, &t, &trels, e);
    if (rc == RC_NOTFOUND)
        return err_set(e, RC_INVALID, "into", "要并入的诉求不存在");
    if (rc)
        return rc;
    if (t.state == DS_MERGED || !(trels & REL_INTAKE))
        return err_set(e, RC_INVALID, "into", "不能并入该诉求");
    k->n.merged_into = into;
    k->n.closed_at = x->now;
    json_object_set_new(x->data, "into", json_string(t.no));
    return RC_OK;
}

/* The id of a dispatch target, which must lie in the dispatching clerk's scope
 * (org_may_dispatch: its prefecture, or a configured cross-region partner). */
static enum rc org_id_of(struct conn *c, const struct principal *p, const char *code,
                         const char *field, int64_t *id, struct err *e)
{
    struct pool pool;
    struct org o;
    bool ok = false;
    pool_init(&pool);
    enum rc rc = org_by_code(c, code, &pool, &o, e);
    if (rc == RC_NOTFOUND)
        rc = err_set(e, RC_INVALID, field, "机构 %s 不存在", code);
    if (rc == RC_OK)
        rc = org_may_dispatch(c, p->org_path, p->org_region, &o, &ok, e);
    if (rc == RC_OK && !ok)
        rc = err_set(e, RC_FORBIDDEN, field,
                     "不能交办给 %s（%s）：该机构不在本地区的交办范围内，跨地区交办须由管理员"
                     "先将其设为协作单位",
                     o.code, o.name);
    if (rc == RC_OK)
        *id = o.id;
    pool_clear(&pool);
    return rc;
}

/* Replaces the demand's handler rows by the lead and its co-handlers (none for lead 0). */
static enum rc set_handlers(struct conn *c, int64_t demand, int64_t lead, const int64_t *co,
                            size_t n_co, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, "DELETE FROM demand_handlers WHERE demand_id = ?", &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, demand);
    rc = store_run(st, e);
    store_finish(st);
    for (size_t i = 0; i <= n_co && rc == RC_OK && lead; i++) {
        /* The row carries the demand's category, for the handler's list by category
         * (migration 0010). */
        rc = store_prepare(c,
                           "INSERT INTO demand_handlers (demand_id, org_id, role, category) "
                           "SELECT id, ?, ?, category FROM demands WHERE id = ?",
                           &st, e);
        if (rc)
            break;
        store_bind_int(st, 1, i == 0 ? lead : co[i - 1]);
        store_bind_text(st, 2, i == 0 ? "lead" : "co");
        store_bind_int(st, 3, demand);
        rc = store_run(st, e);
        store_finish(st);
    }
    return rc;
}

static enum rc apply_dispatch(struct flow_call *x, struct err *e)
{
    struct call *k = call_of(x);
    struct drow *n = &k->n;
    if (!k->lead)
        return err_set(e, RC_INVALID, "lead", "交办须指定主办单位");
    enum rc rc = org_id_of(x->c, x->p, k->lead, "lead", &n->lead_org, e);
    size_t i;
    json_t *v;
    json_array_foreach(k->co, i, v)
    {
        if (rc)
            break;
        int64_t *id = &k->co_ids[k->n_co];
        rc = org_id_of(x->c, x->p, json_string_value(v), "co", id, e);
        if (rc == RC_OK && *id == n->lead_org)
            rc = err_set(e, RC_INVALID, "co", "协办单位不能与主办单位相同");
        for (size_t j = 0; rc == RC_OK && j < k->n_co; j++)
            if (k->co_ids[j] == *id)
                rc = err_set(e, RC_INVALID, "co", "协办单位重复");
        k->n_co++;
    }
    /* Both clocks from the one rule (category_deadlines), so the sign-for deadline never
     * falls after the reply deadline. */
    struct category_limits lim;
    if (rc == RC_OK)
        rc = category_limits_of(x->c, k->d.category, k->d.urgency, &lim, e);
    enum category_urgency u = CATEGORY_NORMAL;
    (void)category_urgency_parse(k->d.urgency, &u);
    struct category_deadlines dl;
    if (rc == RC_OK && category_deadlines(ctx_of(x)->cal, x->now, u, &lim, &dl))
        rc = err_set(e, RC_INVALID, NULL, "无法计算办理期限");
    if (rc)
        return rc;
    n->sign_due = dl.sign.at;
    n->reply_due = dl.reply.at;
    n->beyond = dl.sign.beyond_coverage || dl.reply.beyond_coverage;
    n->intake_org = x->p->org_id;
    n->dispatched_at = x->now;
    n->signed_at = n->replied_at = 0;
    n->extension_to = 0;
    json_object_set_new(x->data, "lead", json_string(k->lead));
    if (k->co)
        json_object_set(x->data, "co", k->co);
    return set_handlers(x->c, x->id, n->lead_org, k->co_ids, k->n_co, e);
}

static enum rc apply_sign(struct flow_call *x, struct err *e)
{
    (void)e;
    struct drow *n = x->next;
    n->signed_at = x->now;
    return RC_OK;
}

/* return: a side path that remembers the state it left. */
static enum rc apply_side_path(struct flow_call *x, struct err *e)
{
    (void)e;
    struct drow *n = x->next;
    n->prev = (enum demand_state)x->from;
    n->has_prev = true;
    return RC_OK;
}

static enum rc apply_request_extension(struct flow_call *x, struct err *e)
{
    struct call *k = call_of(x);
    int64_t date;
    enum rc rc = RC_OK;
    if (!k->until || cal_date_parse(k->until, &date))
        rc = err_set(e, RC_INVALID, "until", "须填写延期至的日期 YYYY-MM-DD");
    else if (demand__end_of_day(date) <= demand__running_due(&k->d))
        rc = err_set(e, RC_INVALID, "until", "延期日期须晚于当前办理期限");
    if (rc)
        return rc;
    k->n.extension_to = demand__end_of_day(date);
    json_object_set_new(x->data, "until", json_string(k->until));
    return apply_side_path(x, e);
}

/* reject_return: back to the state before the side path. */
static enum rc apply_back(struct flow_call *x, struct err *e)
{
    (void)e;
    struct drow *n = x->next;
    n->has_prev = false;
    return RC_OK;
}

/* approve_return: the demand goes back to the intake desk, undispatched. */
static enum rc apply_approve_return(struct flow_call *x, struct err *e)
{
    struct drow *n = x->next;
    n->lead_org = 0;
    n->sign_due = n->reply_due = 0;
    n->has_prev = false;
    return set_handlers(x->c, x->id, 0, NULL, 0, e);
}

/* approve_extension: the requested date replaces the deadline running in the state
 * the demand goes back to. */
static enum rc apply_approve_extension(struct flow_call *x, struct err *e)
{
    struct call *k = call_of(x);
    struct drow *n = &k->n;
    if (x->to == DS_RECTIFYING)
        n->rectify_due = k->d.extension_to;
    else if (x->to == DS_DISPATCHED)
        n->sign_due = k->d.extension_to;
    else
        n->reply_due = k->d.extension_to;
    n->extension_to = 0;
    return apply_back(x, e);
}

static enum rc apply_reject_extension(struct flow_call *x, struct err *e)
{
    struct drow *n = x->next;
    n->extension_to = 0;
    return apply_back(x, e);
}

static enum rc apply_reply(struct flow_call *x, struct err *e)
{
    (void)e;
    struct call *k = call_of(x);
    k->n.reviewed = false;
    k->n.replied_at = x->now;
    k->n.rectify_due = k->d.state == DS_RECTIFYING ? k->d.rectify_due : 0;
    return RC_OK;
}

static enum rc apply_review_accept(struct flow_call *x, struct err *e)
{
    (void)e;
    struct drow *n = x->next;
    n->reviewed = true;
    return RC_OK;
}

static enum rc apply_review_reject(struct flow_call *x, struct err *e)
{
    (void)e;
    struct drow *n = x->next;
    n->reviewed = false;
    return RC_OK;
}

static const char *const rating_labels[] = {"",         "非常不满意", "不满意",
                                            "基本满意", "满意",       "非常满意"};

/* rate decides where the demand goes: rated, or for a 差评 (1–2) rectifying (a reply)
 * or back to the intake desk (a direct answer). */
static enum rc apply_rate(struct flow_call *x, struct err *e)
{
    struct call *k = call_of(x);
    struct drow *n = &k->n;
    if (!k->rating)
        return err_set(e, RC_INVALID, "rating", "请选择评价（1–5）");
    if (k->rating <= 2 && !x->note)
        return err_set(e, RC_INVALID, "note", "不满意评价须填写原因");
    n->rating = (int)k->rating;
    n->rating_count = k->d.rating_count + 1;
    json_object_set_new(x->data, "rating", json_integer(k->rating));
    json_object_set_new(x->data, "rating_label", json_string(rating_labels[k->rating]));
    if (k->rating <= 2 && k->d.state == DS_REPLIED) {
        /* 差评: mandatory rectification with its own clock, and a call-back. */
        struct category_limits lim;
        x->to = DS_RECTIFYING;
        n->reviewed = false;
        enum rc rc = category_limits_of(x->c, k->d.category, k->d.urgency, &lim, e);
        if (rc == RC_OK)
            rc = demand__due_days(ctx_of(x), &k->d, lim.rectify_days, &n->rectify_due, &n->beyond,
                                  e);
        return rc;
    }
    if (k->rating <= 2) {
        /* 差评 of a direct answer: no lead organisation to rectify, so the demand goes
         * back to the intake desk, which calls back and handles it again (dispatch or
         * answer anew). */
        x->to = DS_ACCEPTED;
        n->closed_at = 0;
        return RC_OK;
    }
    x->to = DS_RATED;
    n->closed_at = x->now;
    return RC_OK;
}

static enum rc apply_reopen(struct flow_call *x, struct err *e)
{
    struct call *k = call_of(x);
    struct drow *n = &k->n;
    n->reviewed = false;
    n->closed_at = 0;
    if (!k->d.lead_org) {
        /* Never dispatched (answered directly): reopening means handling it again at the
         * intake desk. */
        x->to = DS_ACCEPTED;
        return RC_OK;
    }
    struct category_limits lim;
    enum rc rc = category_limits_of(x->c, k->d.category, k->d.urgency, &lim, e);
    if (rc == RC_OK)
        rc = demand__due_days(ctx_of(x), &k->d, lim.reply_days, &n->reply_due, &n->beyond, e);
    return rc;
}

static enum rc apply_archive(struct flow_call *x, struct err *e)
{
    struct call *k = call_of(x);
    if (k->d.state == DS_RATED && k->d.rating <= 2)
        return err_set(e, RC_STATE, "action", "差评诉求须整改并重新评价后才能归档");
    if (!k->n.closed_at)
        k->n.closed_at = x->now;
    return RC_OK;
}

/* urge is recorded as 催办 before the running deadline and as 督办 ("supervise") after
 * it: the event's and the audit's name, and its notice's kind and title. */
static enum rc apply_urge(struct flow_call *x, struct err *e)
{
    (void)e;
    int64_t due = demand__running_due(x->rec);
    if (due && x->now > due)
        x->event = "supervise";
    const char *kind = x->event ? x->event : x->a->name;
    json_object_set_new(x->data, "kind", json_string(kind));
    json_object_set_new(x->data, "kind_label", json_string(flow_event_label(x->flow, kind)));
    return RC_OK;
}

/* ---- the enterprise's side ----------------------------------------------------------------- */

/* withdraw: the enterprise takes back a demand nobody has accepted yet. */
static enum rc apply_withdraw(struct flow_call *x, struct err *e)
{
    (void)e;
    struct drow *n = x->next;
    n->closed_at = x->now;
    return RC_OK;
}

/* "2026-12-07 17:30" (Beijing) of ms into out[20]. */
static void minute_text(int64_t ms, char out[20])
{
    char t[40];
    time_fmt_cst(ms, t, sizeof(t));
    snprintf(out, 20, "%.10s %.5s", t, t + 11);
}

/*
 * remind (企业催办): only once the running deadline has passed (the condition DC_OVERDUE:
 * before it the demand is being handled in time, and a reminder would only add noise to
 * the handler's inbox) and at most once per DEMAND_REMIND_HOURS, so one enterprise cannot
 * flood a department.
 */
static enum rc apply_remind(struct flow_call *x, struct err *e)
{
    /* The row's condition DC_OVERDUE has checked that the running deadline passed. */
    int64_t due = demand__running_due(x->rec);
    char when[20];
    struct stmt *st;
    enum rc rc = store_prepare(x->c,
                               "SELECT MAX(at) FROM events WHERE entity = 'demand' AND "
                               "entity_id = ? AND action = 'remind'",
                               &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, x->id);
    rc = store_step(st, e);
    int64_t last = rc == RC_ROW && !store_isnull(st, 0) ? store_int(st, 0) : 0;
    store_finish(st);
    if (rc != RC_ROW && rc != RC_DONE)
        return rc;
    int64_t next = last + (int64_t)DEMAND_REMIND_HOURS * 3600 * 1000;
    if (last && x->now < next) {
        char at[20];
        minute_text(last, at);
        minute_text(next, when);
        return err_set(e, RC_STATE, "action",
                       "您已于 %s 催办过，每 %d 小时可催办一次，请于 %s 后再催办", at,
                       DEMAND_REMIND_HOURS, when);
    }
    minute_text(due, when);
    json_object_set_new(x->data, "due", json_string(when));
    return RC_OK;
}

/* supplement (补充说明): the enterprise's note, optionally pointing at one of the demand's
 * attachments it may see (uploaded first through the attachment route). */
static enum rc apply_supplement(struct flow_call *x, struct err *e)
{
    const json_t *v = json_object_get(x->params, "attachment_id");
    if (!v || json_is_null(v))
        return RC_OK;
    long long aid = 0;
    char *end = NULL;
    if (json_is_integer(v))
        aid = json_integer_value(v);
    else if (json_is_string(v) && *json_string_value(v))
        aid = strtoll(json_string_value(v), &end, 10);
    if (aid <= 0 || (end && *end))
        return err_set(e, RC_INVALID, "attachment_id", "附件编号不正确");
    struct stmt *st;
    enum rc rc = store_prepare(x->c,
                               "SELECT name FROM demand_attachments WHERE id = ? AND "
                               "demand_id = ? AND internal = 0",
                               &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, aid);
    store_bind_int(st, 2, x->id);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        char sid[24];
        snprintf(sid, sizeof(sid), "%lld", aid);
        json_object_set_new(x->data, "attachment_id", json_string(sid));
        json_object_set_new(x->data, "attachment_name", json_string(store_text(st, 0)));
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_INVALID, "attachment_id", "该诉求没有这个附件");
    }
    store_finish(st);
    return rc;
}

/* ---- whom each action tells (notify) -------------------------------------------------- */

static enum rc to_org(struct flow_call *x, int64_t org, const char *kind, const char *title,
                      const char *body, struct err *e)
{
    struct flow_to to = {0, org, NULL};
    return flow_notify(x, &to, kind, title, body, e);
}

static enum rc notify_dispatch(struct flow_call *x, struct err *e)
{
    struct call *k = call_of(x);
    char title[160];
    snprintf(title, sizeof(title), "新交办诉求 %s", k->d.no);
    enum rc rc = to_org(x, k->n.lead_org, "dispatched", title, "请在签收时限内签收办理", e);
    for (size_t i = 0; i < k->n_co && rc == RC_OK; i++)
        rc = to_org(x, k->co_ids[i], "dispatched", title, "请协办", e);
    return rc;
}

/* To the intake desk, which reviews a request of the lead (what: its title). */
static enum rc to_intake(struct flow_call *x, const char *what, struct err *e)
{
    struct call *k = call_of(x);
    char title[160];
    snprintf(title, sizeof(title), "%s %s", what, k->d.no);
    return to_org(x, k->d.intake_org, x->a->name, title, x->note, e);
}

static enum rc notify_return(struct flow_call *x, struct err *e)
{
    return to_intake(x, "退单待审核", e);
}

static enum rc notify_reply(struct flow_call *x, struct err *e)
{
    return to_intake(x, "答复待审核", e);
}

/* To the lead, titled by the event's label (an urge: 催办 or 督办, not the table's
 * combined "催办/督办"). */
static enum rc notify_lead(struct flow_call *x, struct err *e)
{
    struct call *k = call_of(x);
    const char *kind = x->event ? x->event : x->a->name;
    char title[160];
    snprintf(title, sizeof(title), "%s %s", flow_event_label(x->flow, kind), k->d.no);
    return to_org(x, k->n.lead_org, kind, title, x->note, e);
}

static enum rc notify_rating_requested(struct flow_call *x, struct err *e)
{
    struct call *k = call_of(x);
    struct flow_to to = {0, 0, k->d.credit};
    char title[160];
    snprintf(title, sizeof(title), "您的诉求 %s 已答复，请评价", k->d.no);
    return flow_notify(x, &to, "rating_requested", title, "", e);
}

/* To the supervisors whose region covers the demand (REL_OVERSIGHT decides a 延期), with
 * the reason. */
static enum rc notify_request_extension(struct flow_call *x, struct err *e)
{
    struct call *k = call_of(x);
    int64_t *orgs;
    size_t n;
    enum rc rc = access_orgs_covering(x->c, ACCESS_DEMAND_OVERSEE, k->d.region, &orgs, &n, e);
    char title[160];
    snprintf(title, sizeof(title), "延期申请待审批 %s", k->d.no);
    for (size_t i = 0; i < n && rc == RC_OK; i++)
        rc = to_org(x, orgs[i], "request_extension", title, x->note, e);
    xfree(orgs);
    return rc;
}

/* To the enterprise, at intake: 受理 or 不予受理 (with the reason, the note). */
static enum rc notify_intake(struct flow_call *x, struct err *e)
{
    struct call *k = call_of(x);
    struct flow_to to = {0, 0, k->d.credit};
    char title[160];
    bool accepted = x->to == DS_ACCEPTED;
    snprintf(title, sizeof(title), "您的诉求 %s %s", k->d.no, accepted ? "已受理" : "不予受理");
    return flow_notify(x, &to, accepted ? "accepted" : "declined", title,
                       accepted ? "将交办相关单位办理" : (x->note ? x->note : ""), e);
}

static enum rc notify_rate(struct flow_call *x, struct err *e)
{
    struct call *k = call_of(x);
    char title[160];
    if (x->to == DS_ACCEPTED) {
        snprintf(title, sizeof(title), "差评须回访并重新办理 %s", k->d.no);
        return to_org(x, k->d.intake_org, "callback", title, x->note, e);
    }
    if (x->to != DS_RECTIFYING)
        return RC_OK;
    snprintf(title, sizeof(title), "差评整改 %s", k->d.no);
    enum rc rc = to_org(x, k->n.lead_org, "rectify", title, x->note, e);
    if (rc == RC_OK)
        rc = to_org(x, k->d.intake_org, "callback", title, "差评须回访", e);
    return rc;
}

/* The enterprise's remind and supplement reach whoever handles the demand now: the lead
 * organisation once dispatched, else the intake desk (nobody before acceptance). */
static enum rc notify_handler(struct flow_call *x, const char *what, const char *body,
                              struct err *e)
{
    struct call *k = call_of(x);
    char title[160];
    snprintf(title, sizeof(title), "%s %s", what, k->d.no);
    int64_t org = k->d.lead_org ? k->d.lead_org : k->d.intake_org;
    return to_org(x, org, x->a->name, title, x->note ? x->note : body, e);
}

static enum rc notify_remind(struct flow_call *x, struct err *e)
{
    return notify_handler(x, "企业催办", "办理期限已过，企业催促尽快办理", e);
}

static enum rc notify_supplement(struct flow_call *x, struct err *e)
{
    return notify_handler(x, "企业补充说明", "", e);
}

/* ---- the table ------------------------------------------------------------------------ */

#define B DS_BIT
#define OFFICIAL (REL_INTAKE | REL_LEAD | REL_CO | REL_OVERSIGHT)
#define HANDLING (B(DS_DISPATCHED) | B(DS_SIGNED) | B(DS_REOPENED) | B(DS_RECTIFYING))
/* Not closed: the enterprise may still add to it. */
#define OPEN                                                                                       \
    (B(DS_SUBMITTED) | B(DS_ACCEPTED) | HANDLING | B(DS_RETURN_REQUESTED) |                        \
     B(DS_EXTENSION_REQUESTED) | B(DS_REPLIED))
/* Notes, interim replies, co-handlers' opinions, call-backs and urges change no column of
 * the demand and leave its version as it is (FLOW_NO_SAVE). */

static const struct flow_action actions[] = {
    /* 一口受理 */
    {"accept", "受理", B(DS_SUBMITTED), REL_INTAKE, DS_ACCEPTED, 0, 0, 0, apply_intake,
     notify_intake},
    {"decline", "不予受理", B(DS_SUBMITTED), REL_INTAKE, DS_DECLINED, FLOW_NOTE, 0, 0, apply_intake,
     notify_intake},
    {"answer_directly", "直接答复办结", B(DS_SUBMITTED) | B(DS_ACCEPTED), REL_INTAKE,
     DS_ANSWERED_DIRECTLY, FLOW_NOTE, 0, 0, apply_intake, notify_rating_requested},
    {"merge", "并单", B(DS_SUBMITTED) | B(DS_ACCEPTED), REL_INTAKE, DS_MERGED, 0, 0, 0, apply_merge,
     NULL},
    /* 交办分办 */
    {"dispatch", "交办", B(DS_ACCEPTED), REL_INTAKE, DS_DISPATCHED, 0, 0, 0, apply_dispatch,
     notify_dispatch},
    {"sign", "签收", B(DS_DISPATCHED), REL_LEAD, DS_SIGNED, 0, 0, 0, apply_sign, NULL},
    {"return", "退单", B(DS_DISPATCHED) | B(DS_SIGNED), REL_LEAD, DS_RETURN_REQUESTED, FLOW_NOTE, 0,
     0, apply_side_path, notify_return},
    {"approve_return", "同意退单", B(DS_RETURN_REQUESTED), REL_INTAKE | REL_OVERSIGHT, DS_ACCEPTED,
     0, 0, 0, apply_approve_return, NULL},
    {"reject_return", "驳回退单", B(DS_RETURN_REQUESTED), REL_INTAKE | REL_OVERSIGHT, FLOW_PREVIOUS,
     FLOW_NOTE, 0, 0, apply_back, notify_lead},
    /* 限时办理 */
    {"request_extension", "申请延期", B(DS_SIGNED) | B(DS_REOPENED) | B(DS_RECTIFYING), REL_LEAD,
     DS_EXTENSION_REQUESTED, FLOW_NOTE, 0, 0, apply_request_extension, notify_request_extension},
    {"approve_extension", "批准延期", B(DS_EXTENSION_REQUESTED), REL_OVERSIGHT, FLOW_PREVIOUS, 0, 0,
     0, apply_approve_extension, notify_lead},
    {"reject_extension", "驳回延期", B(DS_EXTENSION_REQUESTED), REL_OVERSIGHT, FLOW_PREVIOUS,
     FLOW_NOTE, 0, 0, apply_reject_extension, notify_lead},
    {"interim_reply", "阶段性答复", B(DS_SIGNED) | B(DS_REOPENED) | B(DS_RECTIFYING), REL_LEAD,
     FLOW_SAME, FLOW_NOTE | FLOW_NO_SAVE, 0, 0, NULL, NULL},
    {"assist", "协办意见", B(DS_DISPATCHED) | B(DS_SIGNED) | B(DS_REOPENED), REL_CO, FLOW_SAME,
     FLOW_NOTE | FLOW_NO_SAVE, 0, 0, NULL, NULL},
    /* 及时反馈 */
    {"reply", "答复", B(DS_SIGNED) | B(DS_REOPENED) | B(DS_RECTIFYING), REL_LEAD, DS_REPLIED,
     FLOW_NOTE, 0, 0, apply_reply, notify_reply},
    {"review_accept", "审核通过", B(DS_REPLIED), REL_INTAKE, FLOW_SAME, 0, DC_AWAITING_REVIEW, 0,
     apply_review_accept, notify_rating_requested},
    {"review_reject", "退回重办", B(DS_REPLIED), REL_INTAKE, DS_REOPENED, FLOW_NOTE,
     DC_AWAITING_REVIEW, 0, apply_review_reject, notify_lead},
    /* 监督评价 */
    {"rate", "评价", B(DS_REPLIED) | B(DS_ANSWERED_DIRECTLY), REL_OWNER, FLOW_DECIDED, 0, 0,
     DC_AWAITING_REVIEW, apply_rate, notify_rate},
    {"callback", "回访", B(DS_REPLIED) | B(DS_RATED) | B(DS_RECTIFYING) | B(DS_ANSWERED_DIRECTLY),
     REL_INTAKE, FLOW_SAME, FLOW_NOTE | FLOW_NO_SAVE, 0, 0, NULL, NULL},
    {"reopen", "重新办理", B(DS_RATED) | B(DS_ARCHIVED), REL_INTAKE | REL_OVERSIGHT, DS_REOPENED,
     FLOW_NOTE, 0, 0, apply_reopen, NULL},
    {"archive", "归档", B(DS_RATED) | B(DS_DECLINED) | B(DS_ANSWERED_DIRECTLY) | B(DS_MERGED),
     REL_INTAKE, DS_ARCHIVED, 0, 0, 0, apply_archive, NULL},
    {"urge", "催办/督办", HANDLING | B(DS_EXTENSION_REQUESTED) | B(DS_RETURN_REQUESTED),
     REL_OVERSIGHT, FLOW_SAME, FLOW_NOTE | FLOW_NO_SAVE, 0, 0, apply_urge, notify_lead},
    /* 企业侧: 撤回 before acceptance, 催办 past the deadline, 补充说明 while open */
    {"withdraw", "撤回", B(DS_SUBMITTED), REL_OWNER, DS_WITHDRAWN, 0, 0, 0, apply_withdraw, NULL},
    {"remind", "企业催办", HANDLING | B(DS_EXTENSION_REQUESTED) | B(DS_RETURN_REQUESTED), REL_OWNER,
     FLOW_SAME, FLOW_NO_SAVE, DC_OVERDUE, 0, apply_remind, notify_remind},
    {"supplement", "补充说明", OPEN, REL_OWNER, FLOW_SAME, FLOW_NOTE | FLOW_NO_SAVE, 0, 0,
     apply_supplement, notify_supplement},
    {"note", "内部备注", FLOW_ANY(DS__COUNT), OFFICIAL, FLOW_SAME,
     FLOW_NOTE | FLOW_INTERNAL | FLOW_NO_SAVE, 0, 0, NULL, NULL},
};

static const struct flow_cond conds[] = {
    /* DC_AWAITING_REVIEW: missing (review_*), present (rate). */
    {"答复已审核通过，不能再%s", "答复尚未审核通过，暂不能%s"},
    /* DC_OVERDUE: missing (remind). */
    {"办理期限未到，尚未超期；超过期限后才能催办", "已超期"},
};

static const struct flow_label rels[] = {
    {"owner", "诉求企业"}, {"intake", "受理窗口"}, {"lead", "主办单位"},
    {"co", "协办单位"},    {"oversight", "监督"},
};

/* Events recorded outside the table, and the urge's two forms. */
static const struct flow_label event_labels[] = {
    {"submit", "提交诉求"},  {"urge", "催办"},       {"supervise", "督办"},
    {"overdue", "超期提醒"}, {"attach", "上传附件"},
};

static const char *const fields[] = {"lead",          "co", "until", "rating", "into",
                                     "attachment_id", NULL};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

const struct flow demand_flow = {
    .entity = "demand",
    .label = "诉求",
    .states = states,
    .n_states = DS__COUNT,
    .actions = actions,
    .n_actions = N(actions),
    .conds = conds,
    .n_conds = N(conds),
    .rels = rels,
    .n_rels = N(rels),
    .events = event_labels,
    .n_events = N(event_labels),
    .fields = fields,
    .load = load,
    .save = save,
    .image = image,
    .release = release,
    .readable = demand_readable,
};

enum rc demand_act(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                   int64_t id, const json_t *params, struct err *e)
{
    return flow_act(&demand_flow, c, p, ctx, id, params, ctx->now, e);
}
