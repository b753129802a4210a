/* SPDX-License-Identifier: Apache-2.0 */
/*
 * suggest: 企业意见建议 — reads, creation, and the workflow's table and hooks (src/flow).
 */
#include "suggest.h"

#include <stdio.h>
#include <string.h>

#include "../access/access.h"
#include "../base/jsonx.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../store/store.h"

enum suggest_state { SS_SUBMITTED, SS_ACCEPTED, SS_ANSWERED, SS_CLOSED, SS__N };
enum suggest_rel {
    SR_OWNER = 1u << 0, /* the enterprise that filed it */
    SR_CLERK = 1u << 1, /* a clerk whose region covers the enterprise's */
};

static const struct flow_state states[SS__N] = {
    {"submitted", "已提交"}, {"accepted", "已受理"}, {"answered", "已答复"}, {"closed", "已办结"}};

/* ---- reads ------------------------------------------------------------------------ */

#define COLS                                                                                       \
    "s.id, s.credit_code, s.region, s.title, s.content, s.answer, s.state, s.version, "            \
    "s.created_at, s.updated_at"
#define SCOPE ACCESS_SQL("s.credit_code", "NULL", "s.region")

static void scope_of(const struct principal *p, struct access_scope *s)
{
    access_scope_of(p, ACCESS_DEMAND_INTAKE, ACCESS_NONE, s);
}

static unsigned rels_of(const struct principal *p, const char *credit, const char *region)
{
    unsigned r = 0;
    if (access_can(p, ACCESS_ENT_SELF) && p->credit_code && strcmp(p->credit_code, credit) == 0)
        r |= SR_OWNER;
    if (access_can(p, ACCESS_DEMAND_INTAKE) && access_covers(p, region))
        r |= SR_CLERK;
    return r;
}

static json_t *time_json(int64_t ms)
{
    char at[40];
    time_fmt_cst(ms, at, sizeof(at));
    return json_string(at);
}

static json_t *row_json(const struct principal *p, struct stmt *st)
{
    int s = flow_state_parse(&suggest_flow, store_text(st, 6));
    unsigned rels = rels_of(p, store_text(st, 1), store_text(st, 2));
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:o, s:o, s:o}", "id",
                     (json_int_t)store_int(st, 0), "credit_code", store_text(st, 1), "region",
                     store_text(st, 2), "title", store_text(st, 3), "content", store_text(st, 4),
                     "answer", store_isnull(st, 5) ? json_null() : json_string(store_text(st, 5)),
                     "state", store_text(st, 6), "state_label", flow_state_label(&suggest_flow, s),
                     "created_at", time_json(store_int(st, 8)), "updated_at",
                     time_json(store_int(st, 9)), "actions",
                     flow_actions_json(&suggest_flow, rels, s, 0));
}

/* The row of suggestion id if p may see it, in a statement the caller finishes. */
static enum rc row(struct conn *c, const struct principal *p, int64_t id, struct stmt **out,
                   struct err *e)
{
    struct access_scope sc;
    scope_of(p, &sc);
    return access_one(c, "SELECT " COLS " FROM suggestions s WHERE s.id = ? AND " SCOPE, id, &sc,
                      "意见建议不存在或无权查看", out, e);
}

enum rc suggest_list(struct conn *c, const struct principal *p, const char *state,
                     int64_t before_id, int limit, json_t **out, struct err *e)
{
    struct access_scope sc;
    scope_of(p, &sc);
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               "SELECT " COLS " FROM suggestions s WHERE " SCOPE
                               " AND (? = '' OR s.state = ?) AND (? = 0 OR s.id < ?) "
                               "ORDER BY s.id DESC LIMIT ?",
                               &st, e);
    if (rc)
        return rc;
    int i = access_bind(st, 1, &sc);
    store_bind_text(st, i, state ? state : "");
    store_bind_text(st, i + 1, state ? state : "");
    store_bind_int(st, i + 2, before_id);
    store_bind_int(st, i + 3, before_id);
    store_bind_int(st, i + 4, limit);
    json_t *items = json_array();
    while ((rc = store_step(st, e)) == RC_ROW)
        json_array_append_new(items, row_json(p, st));
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(items);
        return rc;
    }
    *out = items;
    return RC_OK;
}

enum rc suggest_get(struct conn *c, const struct principal *p, int64_t id, json_t **out,
                    struct err *e)
{
    struct stmt *st;
    enum rc rc = row(c, p, id, &st, e);
    if (rc)
        return rc;
    *out = row_json(p, st);
    store_finish(st);
    return RC_OK;
}

/* ---- creation --------------------------------------------------------------------- */

static const char *const create_fields[] = {"title", "content", NULL};

enum rc suggest_create(struct conn *c, const struct principal *p, const json_t *body, int64_t *id,
                       struct err *e)
{
    const char *title = NULL, *content = NULL;
    enum rc rc = jsonx_only(body, create_fields, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "title", true, 100, &title, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "content", true, 2000, &content, e);
    if (rc == RC_OK && (!access_can(p, ACCESS_ENT_SELF) || !p->credit_code))
        rc = err_set(e, RC_FORBIDDEN, NULL, "只有企业用户可以提交意见建议");
    if (rc)
        return rc;
    int64_t now = time_now_ms();
    struct stmt *st;
    if ((rc = store_begin(c, e)))
        return rc;
    rc = store_prepare(c,
                       "INSERT INTO suggestions (credit_code, region, title, content, created_at, "
                       "updated_at) SELECT credit_code, region, ?, ?, ?, ? FROM enterprises WHERE "
                       "credit_code = ? RETURNING id",
                       &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, title);
        store_bind_text(st, 2, content);
        store_bind_int(st, 3, now);
        store_bind_int(st, 4, now);
        store_bind_text(st, 5, p->credit_code);
        rc = store_insert_id(st, id, e);
        store_finish(st);
    }
    if (rc == RC_OK)
        rc = flow_created(c, p, &suggest_flow, *id, "submit", SS_SUBMITTED, now, NULL, e);
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (rc)
        store_rollback(c);
    return rc;
}

/* ---- the workflow ------------------------------------------------------------------ */

struct srec {
    int64_t id, version;
    char credit[24], region[8], title[512];
};

/* One action: the row as loaded and what the action writes. */
struct scall {
    struct srec rec, next;
    const char *title, *content, *answer; /* NULL: unchanged */
};

static enum rc load(struct flow_call *x, struct err *e)
{
    struct scall *sc = xcalloc(1, sizeof(*sc));
    x->rec = &sc->rec;
    x->next = &sc->next;
    struct stmt *st;
    enum rc rc = row(x->c, x->p, x->id, &st, e);
    if (rc)
        return rc;
    struct srec *r = &sc->rec;
    r->id = store_int(st, 0);
    r->version = store_int(st, 7);
    mem_copy_text(r->credit, sizeof(r->credit), store_text(st, 1));
    mem_copy_text(r->region, sizeof(r->region), store_text(st, 2));
    mem_copy_text(r->title, sizeof(r->title), store_text(st, 3));
    x->from = flow_state_parse(&suggest_flow, store_text(st, 6));
    x->rels = rels_of(x->p, r->credit, r->region);
    store_finish(st);
    sc->next = sc->rec;
    return RC_OK;
}

static void release(struct flow_call *x)
{
    xfree(x->rec); /* the struct scall */
}

static enum rc save(struct flow_call *x, struct err *e)
{
    const struct scall *sc = x->rec;
    struct stmt *st;
    enum rc rc = store_prepare(x->c,
                               "UPDATE suggestions SET state = ?, title = COALESCE(?, title), "
                               "content = COALESCE(?, content), answer = COALESCE(?, answer), "
                               "version = version + 1, updated_at = ? WHERE id = ? AND version = ?",
                               &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, flow_state_name(&suggest_flow, x->to));
    store_bind_text(st, 2, sc->title);
    store_bind_text(st, 3, sc->content);
    store_bind_text(st, 4, sc->answer);
    store_bind_int(st, 5, x->now);
    store_bind_int(st, 6, sc->rec.id);
    store_bind_int(st, 7, sc->rec.version);
    rc = store_run(st, e);
    if (rc == RC_OK && store_changes(st) != 1)
        rc = err_set(e, RC_CONFLICT, NULL, "意见建议已被他人处理，请刷新后重试");
    store_finish(st);
    return rc;
}

/* edit (PATCH): a new title and/or content while submitted. */
static enum rc apply_edit(struct flow_call *x, struct err *e)
{
    struct scall *sc = (struct scall *)x->rec;
    enum rc rc = jsonx_get_str(x->params, "title", false, 100, &sc->title, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(x->params, "content", false, 2000, &sc->content, e);
    if (rc == RC_OK && !sc->title && !sc->content)
        rc = err_set(e, RC_INVALID, "title", "请填写要修改的标题或内容");
    if (rc == RC_OK && sc->title)
        json_object_set_new(x->data, "title", json_string(sc->title));
    return rc;
}

static enum rc apply_answer(struct flow_call *x, struct err *e)
{
    (void)e;
    ((struct scall *)x->rec)->answer = x->note;
    return RC_OK;
}

/* The enterprise is told of the acceptance and of the answer. */
static enum rc tell_owner(struct flow_call *x, struct err *e)
{
    const struct scall *sc = x->rec;
    char title[600];
    snprintf(title, sizeof(title), "意见建议%s：%s", x->a->label, sc->rec.title);
    struct flow_to to = {0, 0, sc->rec.credit};
    return flow_notify(x, &to, "suggestion", title, x->note ? x->note : x->a->label, e);
}

#define B FLOW_BIT
static const struct flow_action actions[] = {
    {"edit", "修改", B(SS_SUBMITTED), SR_OWNER, FLOW_SAME, 0, 0, 0, apply_edit, NULL},
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
    .load = load,
    .save = save,
    .release = release,
};
