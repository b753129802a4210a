/* SPDX-License-Identifier: Apache-2.0 */
/* flow: the engine that runs a domain's table of actions (flow.h). */
#include "flow.h"

#include <stdio.h>
#include <string.h>

#include "../audit/audit.h"
#include "../auth/auth.h"
#include "../base/jsonx.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../store/store.h"

/* ---- the table ---------------------------------------------------------------- */

const char *flow_state_name(const struct flow *f, int s)
{
    return s >= 0 && s < f->n_states ? f->states[s].name : "unknown";
}

const char *flow_state_label(const struct flow *f, int s)
{
    return s >= 0 && s < f->n_states ? f->states[s].label : "未知";
}

int flow_state_parse(const struct flow *f, const char *name)
{
    for (int i = 0; name && i < f->n_states; i++)
        if (strcmp(f->states[i].name, name) == 0)
            return i;
    return -1;
}

const struct flow_action *flow_find(const struct flow *f, const char *name)
{
    for (int i = 0; name && i < f->n_actions; i++)
        if (strcmp(f->actions[i].name, name) == 0)
            return &f->actions[i];
    return NULL;
}

const char *flow_event_label(const struct flow *f, const char *action)
{
    for (int i = 0; action && i < f->n_events; i++)
        if (strcmp(f->events[i].name, action) == 0)
            return f->events[i].label;
    const struct flow_action *a = flow_find(f, action);
    return a ? a->label : action;
}

enum rc flow_check(const struct flow *f, const struct flow_action *a, unsigned rels, int s,
                   unsigned conds, struct err *e)
{
    if (!(a->rels & rels))
        return err_set(e, RC_FORBIDDEN, "action", "您无权对该%s执行“%s”", f->label, a->label);
    if (s < 0 || s >= f->n_states || !(a->from & FLOW_BIT(s)))
        return err_set(e, RC_STATE, "action", "%s当前状态为“%s”，不能执行“%s”", f->label,
                       flow_state_label(f, s), a->label);
    for (int i = 0; i < f->n_conds; i++) {
        unsigned bit = 1u << i;
        if ((a->need & bit) && !(conds & bit))
            return err_set(e, RC_STATE, "action", f->conds[i].unmet, a->label);
        if ((a->refuse & bit) && (conds & bit))
            return err_set(e, RC_STATE, "action", f->conds[i].met, a->label);
    }
    return RC_OK;
}

void flow_actions_w(struct jsonx_w *w, const struct flow *f, unsigned rels, int s, unsigned conds)
{
    int k = 0;
    JSONX_W_LIT(w, "[");
    for (int i = 0; i < f->n_actions; i++) {
        const struct flow_action *a = &f->actions[i];
        if (flow_check(f, a, rels, s, conds, NULL) != RC_OK)
            continue;
        if (k++)
            JSONX_W_LIT(w, ",");
        JSONX_W_LIT(w, "{\"action\":");
        jsonx_w_str(w, a->name);
        JSONX_W_LIT(w, ",\"label\":");
        jsonx_w_str(w, a->label);
        JSONX_W_LIT(w, ",\"note_required\":");
        jsonx_w_bool(w, (a->flags & FLOW_NOTE) != 0);
        JSONX_W_LIT(w, "}");
    }
    JSONX_W_LIT(w, "]");
}

json_t *flow_actions_json(const struct flow *f, unsigned rels, int s, unsigned conds)
{
    json_t *arr = json_array();
    for (int i = 0; i < f->n_actions; i++) {
        const struct flow_action *a = &f->actions[i];
        if (flow_check(f, a, rels, s, conds, NULL) == RC_OK)
            json_array_append_new(arr,
                                  json_pack("{s:s, s:s, s:b}", "action", a->name, "label", a->label,
                                            "note_required", (a->flags & FLOW_NOTE) != 0));
    }
    return arr;
}

json_t *flow_labels_json(const struct flow *f)
{
    json_t *states = json_object(), *actions = json_object(), *events = json_object();
    for (int i = 0; i < f->n_states; i++)
        json_object_set_new(states, f->states[i].name, json_string(f->states[i].label));
    for (int i = 0; i < f->n_actions; i++)
        json_object_set_new(actions, f->actions[i].name, json_string(f->actions[i].label));
    for (int i = 0; i < f->n_events; i++)
        json_object_set_new(events, f->events[i].name, json_string(f->events[i].label));
    return json_pack("{s:s, s:o, s:o, s:o}", "label", f->label, "states", states, "actions",
                     actions, "events", events);
}

/* ---- running an action ---------------------------------------------------------- */

/* Reads action and note, and checks that every other member is one of the flow's. */
static enum rc parse(const struct flow *f, const json_t *params, const char **action,
                     const char **note, struct err *e)
{
    const char *allowed[24];
    size_t n = 0;
    allowed[n++] = "action";
    allowed[n++] = "note";
    for (size_t i = 0; f->fields && f->fields[i] && n < sizeof(allowed) / sizeof(allowed[0]) - 1;
         i++)
        allowed[n++] = f->fields[i];
    allowed[n] = NULL;
    *action = *note = NULL;
    enum rc rc = jsonx_only(params, allowed, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(params, "action", true, 32, action, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(params, "note", false, f->note_max > 0 ? (size_t)f->note_max : 4000,
                           note, e);
    if (rc == RC_OK && *note && !**note)
        *note = NULL;
    return rc;
}

/* The audit image of a flow without an image hook: {"state": name}. */
static json_t *state_image(const struct flow *f, int s)
{
    return json_pack("{s:s}", "state", flow_state_name(f, s));
}

/* Checks, applies, saves, records and notifies; x is loaded. */
static enum rc run(struct flow_call *x, struct err *e)
{
    const struct flow *f = x->flow;
    const struct flow_action *a = x->a;
    enum rc rc = flow_check(f, a, x->rels, x->from, x->conds, e);
    if (rc)
        return rc;
    if ((a->flags & FLOW_NOTE) && !x->note)
        return err_set(e, RC_INVALID, "note", "“%s”须填写说明", a->label);
    switch (a->to) {
    case FLOW_SAME:
    case FLOW_DECIDED:
        x->to = x->from;
        break;
    case FLOW_PREVIOUS:
        x->to = x->previous >= 0 ? x->previous : x->from;
        break;
    default:
        x->to = a->to;
        break;
    }
    if (a->apply && (rc = a->apply(x, e)))
        return rc;
    if (a->flags & FLOW_CHECK_ONLY)
        return RC_OK;
    if (!(a->flags & FLOW_NO_SAVE) && f->save && (rc = f->save(x, e)))
        return rc;
    json_t *before = f->image ? f->image(x, x->rec) : state_image(f, x->from);
    json_t *after = f->image ? f->image(x, x->next) : state_image(f, x->to);
    const char *event = x->event ? x->event : a->name;
    char audit_action[80];
    snprintf(audit_action, sizeof(audit_action), "%s.%s", f->entity, x->kind ? x->kind : event);
    struct flow_event ev = {f->entity,
                            x->id,
                            x->now,
                            event,
                            flow_state_name(f, x->from),
                            flow_state_name(f, x->to),
                            x->note,
                            (a->flags & FLOW_INTERNAL) != 0,
                            json_object_size(x->data) ? x->data : NULL};
    rc = flow_record(x->c, x->p, &ev, audit_action, before, after, e);
    json_decref(before);
    json_decref(after);
    if (rc == RC_OK && a->notify)
        rc = a->notify(x, e);
    return rc;
}

enum rc flow_act(const struct flow *f, struct conn *c, const struct principal *p, const void *ctx,
                 int64_t id, const json_t *params, int64_t now, struct err *e)
{
    struct flow_call x;
    memset(&x, 0, sizeof(x));
    const char *action;
    enum rc rc = parse(f, params, &action, &x.note, e);
    if (rc)
        return rc;
    x.flow = f;
    x.a = flow_find(f, action);
    if (!x.a)
        return err_set(e, RC_INVALID, "action", "未知的操作 %s", action);
    x.c = c;
    x.p = p;
    x.ctx = ctx;
    x.params = params;
    x.id = id;
    x.now = now;
    x.previous = -1;
    if ((rc = store_begin(c, e)))
        return rc;
    x.data = json_object();
    rc = f->load(&x, e);
    if (rc == RC_OK)
        rc = run(&x, e);
    if (f->release)
        f->release(&x);
    json_decref(x.data);
    if (rc == RC_OK && !(x.a->flags & FLOW_CHECK_ONLY))
        rc = store_commit(c, e);
    if (rc || (x.a->flags & FLOW_CHECK_ONLY))
        store_rollback(c);
    return rc;
}

enum rc flow_save_run(struct stmt *st, const char *what, struct err *e)
{
    enum rc rc = store_run(st, e);
    if (rc == RC_OK && store_changes(st) != 1)
        rc = err_set(e, RC_CONFLICT, NULL, "%s已被他人处理，请刷新后重试", what);
    store_finish(st);
    return rc;
}

/* ---- events and notices ------------------------------------------------------------ */

enum rc flow_record_as(struct conn *c, const char *actor, const char *actor_name, const char *org,
                       const struct flow_event *ev, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               "INSERT INTO events (entity, entity_id, at, actor, actor_name, "
                               "org, action, from_state, to_state, note, internal, data) VALUES "
                               "(?,?,?,?,?,?,?,?,?,?,?,?)",
                               &st, e);
    if (rc)
        return rc;
    char *text = ev->data ? jsonx_canonical(ev->data) : NULL;
    store_bind_text(st, 1, ev->entity);
    store_bind_int(st, 2, ev->id);
    store_bind_int(st, 3, ev->at);
    store_bind_text(st, 4, actor);
    store_bind_text(st, 5, actor_name ? actor_name : actor);
    store_bind_text(st, 6, org ? org : "");
    store_bind_text(st, 7, ev->action);
    store_bind_text(st, 8, ev->from);
    store_bind_text(st, 9, ev->to);
    store_bind_text(st, 10, ev->note);
    store_bind_int(st, 11, ev->internal ? 1 : 0);
    store_bind_text(st, 12, text);
    rc = store_run_later(st, e); /* with the audit's read of its head */
    store_finish(st);
    xfree(text);
    return rc;
}

enum rc flow_created(struct conn *c, const struct principal *p, const struct flow *f, int64_t id,
                     const char *event, int to, int64_t now, const json_t *after, struct err *e)
{
    struct flow_event ev = {f->entity, id,    now, event, NULL, flow_state_name(f, to),
                            NULL,      false, NULL};
    char audit_action[80];
    snprintf(audit_action, sizeof(audit_action), "%s.%s", f->entity, event);
    json_t *image = after ? NULL : state_image(f, to);
    enum rc rc = flow_record(c, p, &ev, audit_action, NULL, after ? after : image, e);
    json_decref(image);
    return rc;
}

enum rc flow_record(struct conn *c, const struct principal *p, const struct flow_event *ev,
                    const char *audit_action, const json_t *before, const json_t *after,
                    struct err *e)
{
    const char *name = p->display_name ? p->display_name : p->username;
    const char *org = p->org_name ? p->org_name : (p->credit_code ? p->credit_code : "");
    enum rc rc = flow_record_as(c, p->actor.name, name, org, ev, e);
    if (rc == RC_OK && audit_action) {
        char sid[24];
        snprintf(sid, sizeof(sid), "%lld", (long long)ev->id);
        struct audit_event aev = {audit_action, ev->entity, sid, before, after};
        rc = audit_append(c, &p->actor, &aev, NULL, e);
    }
    return rc;
}

enum rc flow_notice(struct conn *c, const char *entity, int64_t id, const struct flow_to *to,
                    const char *kind, const char *title, const char *body, int64_t now,
                    struct err *e)
{
    if (!to->user_id && !to->org_id && !(to->credit_code && *to->credit_code))
        return RC_OK;
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               "INSERT INTO notices (user_id, org_id, credit_code, entity, "
                               "entity_id, kind, title, body, created_at) VALUES "
                               "(?,?,?,?,?,?,?,?,?)",
                               &st, e);
    if (rc)
        return rc;
    if (to->user_id)
        store_bind_int(st, 1, to->user_id);
    else
        store_bind_null(st, 1);
    if (!to->user_id && to->org_id)
        store_bind_int(st, 2, to->org_id);
    else
        store_bind_null(st, 2);
    store_bind_text(st, 3, to->user_id || to->org_id ? NULL : to->credit_code);
    store_bind_text(st, 4, entity);
    if (entity)
        store_bind_int(st, 5, id);
    else
        store_bind_null(st, 5);
    store_bind_text(st, 6, kind);
    store_bind_text(st, 7, title);
    store_bind_text(st, 8, body ? body : "");
    store_bind_int(st, 9, now);
    rc = store_run(st, e);
    store_finish(st);
    return rc;
}

enum rc flow_notify(struct flow_call *x, const struct flow_to *to, const char *kind,
                    const char *title, const char *body, struct err *e)
{
    return flow_notice(x->c, x->flow->entity, x->id, to, kind, title, body, x->now, e);
}

enum rc flow_timeline(struct conn *c, const struct flow *f, int64_t id, bool with_internal,
                      json_t **out, struct err *e)
{
    struct stmt *st;
    *out = NULL;
    enum rc rc = store_prepare(c,
                               "SELECT at, actor_name, org, action, from_state, to_state, note, "
                               "internal, data FROM events WHERE entity = ? AND entity_id = ? "
                               "ORDER BY id",
                               &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, f->entity);
    store_bind_int(st, 2, id);
    json_t *arr = json_array();
    while ((rc = store_step(st, e)) == RC_ROW) {
        bool internal = store_int(st, 7) != 0;
        if (internal && !with_internal)
            continue;
        char at[40];
        time_fmt_cst(store_int(st, 0), at, sizeof(at));
        const char *action = store_text(st, 3);
        const char *to = store_text(st, 5);
        json_t *ev =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "at", at, "actor",
                      store_text(st, 1), "org", store_text(st, 2), "action", action, "label",
                      flow_event_label(f, action), "to_state", to, "to_state_label",
                      flow_state_label(f, flow_state_parse(f, to)), "internal", internal);
        json_object_set_new(ev, "from_state",
                            store_isnull(st, 4) ? json_null() : json_string(store_text(st, 4)));
        json_object_set_new(ev, "note",
                            store_isnull(st, 6) ? json_null() : json_string(store_text(st, 6)));
        json_t *data = store_isnull(st, 8) ? NULL : json_loads(store_text(st, 8), 0, NULL);
        json_object_set_new(ev, "data", data ? data : json_null());
        json_array_append_new(arr, ev);
    }
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return RC_OK;
}

/* ---- the reads of one record ------------------------------------------------------- */

/* Loads record id for p as flow_act would, with an empty request, and releases it: *x
 * keeps from, previous, rels and conds. */
static enum rc peek(const struct flow *f, struct conn *c, const struct principal *p,
                    const void *ctx, int64_t id, struct flow_call *x, struct err *e)
{
    memset(x, 0, sizeof(*x));
    json_t *params = json_object();
    x->flow = f;
    x->c = c;
    x->p = p;
    x->ctx = ctx;
    x->params = params;
    x->id = id;
    x->now = time_now_ms();
    x->previous = -1;
    x->data = json_object();
    enum rc rc = f->load(x, e);
    if (f->release)
        f->release(x);
    json_decref(x->data);
    json_decref(params);
    x->params = NULL;
    x->data = NULL;
    x->rec = x->next = NULL;
    return rc;
}

enum rc flow_readable(const struct flow *f, struct conn *c, const struct principal *p, int64_t id,
                      struct err *e)
{
    struct flow_call x;
    return f->readable ? f->readable(c, p, id, e) : peek(f, c, p, NULL, id, &x, e);
}

enum rc flow_actions_of(const struct flow *f, struct conn *c, const struct principal *p,
                        const void *ctx, int64_t id, json_t **out, struct err *e)
{
    struct flow_call x;
    enum rc rc = peek(f, c, p, ctx, id, &x, e);
    if (rc == RC_OK)
        *out = flow_actions_json(f, x.rels, x.from, x.conds);
    return rc;
}

enum rc flow_timeline_of(const struct flow *f, struct conn *c, const struct principal *p,
                         int64_t id, json_t **out, struct err *e)
{
    enum rc rc = flow_readable(f, c, p, id, e);
    if (rc == RC_OK)
        rc = flow_timeline(c, f, id, !access_can(p, ACCESS_ENT_SELF), out, e);
    return rc;
}
