/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_grant: grants (兑现 records) and the helpers the grant side shares. Reading
 * order: shared helpers (policy row, facts, scope, timeline, notices, insertion), grant
 * reads, then the grant's workflow: its table of actions (src/flow) and their hooks.
 */
#include "policy_grant.h"
#include "policy_grant_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "../auth/auth.h"
#include "../base/jsonx.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../cal/cal.h"
#include "../codes/codes.h"
#include "../ent/ent.h"
#include "../flow/flow.h"
#include "../rules/rules.h"
#include "../store/store.h"

/* ---- the workflow's states (its actions are at the end of this file) -------------- */

static const struct flow_state grant_states[PG__N] = {
    {"matched", "已匹配"},  {"notified", "已告知"}, {"confirmed", "已确认"},
    {"declined", "已放弃"}, {"paid", "已拨付"},
};

enum rc policy_grant_pay_check(int64_t granted, int64_t paid, const char *reason, struct err *e)
{
    if (paid <= 0)
        return err_set(e, RC_INVALID, "amount", "拨付金额应为正整数（分）");
    bool has_reason = reason && *reason;
    if (granted < 0 && !has_reason)
        return err_set(e, RC_INVALID, "reason", "核定金额待定，拨付须说明理由");
    if (granted >= 0 && paid > granted && !has_reason)
        return err_set(e, RC_INVALID, "reason", "拨付金额超过核定金额，须说明理由");
    return RC_OK;
}

/* ---- shared helpers ------------------------------------------------------------ */

void policy_grant__bind_opt(struct stmt *st, int i, int64_t v)
{
    if (v >= 0)
        store_bind_int(st, i, v);
    else
        store_bind_null(st, i);
}

int64_t policy_grant__today(int64_t now_ms)
{
    int64_t minute = cal_minute_from_ms(now_ms);
    return minute >= 0 ? minute / 1440 : -((-minute + 1439) / 1440);
}

void policy_grant__scope(const struct principal *p, struct access_scope *s)
{
    access_scope_of(p, ACCESS_GRANT_REGION, ACCESS_POLICY_ISSUE, s);
}

enum rc policy_grant__policy(struct conn *c, int64_t id, struct pg_policy *out, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               "SELECT p.id, p.org_id, COALESCE(p.published_version, 0), p.state, "
                               "p.delivery, p.title, o.code FROM policies p JOIN orgs o ON o.id = "
                               "p.org_id WHERE p.id = ?",
                               &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, id);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        memset(out, 0, sizeof(*out));
        out->id = store_int(st, 0);
        out->org_id = store_int(st, 1);
        out->version = (int)store_int(st, 2);
        mem_copy_text(out->state, sizeof(out->state), store_text(st, 3));
        mem_copy_text(out->delivery, sizeof(out->delivery), store_text(st, 4));
        mem_copy_text(out->title, sizeof(out->title), store_text(st, 5));
        mem_copy_text(out->org_code, sizeof(out->org_code), store_text(st, 6));
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_NOTFOUND, NULL, "政策不存在");
    }
    store_finish(st);
    return rc;
}

enum rc policy_grant__facts(struct conn *c, const char *credit_code, struct rules_facts *f,
                            char region[16], struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               "SELECT region, industry, founded, capital_fen, scale FROM "
                               "enterprises WHERE credit_code = ?",
                               &st, e);
    if (rc)
        return rc;
    rules_facts_clear(f);
    store_bind_text(st, 1, credit_code);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        static const char *const names[] = {"region", "industry", "founded", "registered_capital",
                                            "scale"};
        mem_copy_text(region, 16, store_text(st, 0));
        rc = RC_OK;
        for (int i = 0; i < 5 && rc == RC_OK; i++) {
            char num[24];
            const char *v = store_text(st, i);
            if (i == 3 && !store_isnull(st, 3)) {
                snprintf(num, sizeof(num), "%lld", (long long)store_int(st, 3));
                v = num;
            }
            if (v && *v) {
                rc = rules_facts_set(f, names[i], v, true, e);
                if (rc == RC_NOTFOUND)
                    rc = RC_OK; /* not in the catalogue: no policy can read it */
            }
        }
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_NOTFOUND, NULL, "企业不存在");
    }
    store_finish(st);
    if (rc == RC_OK)
        rc = store_prepare(c, "SELECT tag FROM enterprise_tags WHERE credit_code = ?", &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, credit_code);
    while ((rc = store_step(st, e)) == RC_ROW) {
        enum rc r2 = rules_facts_add_tag(f, "tags", store_text(st, 0), true, e);
        if (r2 && r2 != RC_NOTFOUND) {
            rc = r2;
            break;
        }
    }
    store_finish(st);
    if (rc != RC_DONE)
        return rc;
    rc = store_prepare(c,
                       "SELECT fact, value, status FROM enterprise_facts WHERE credit_code = ? "
                       "ORDER BY fact, CASE WHEN status = 'authoritative' THEN 0 ELSE 1 END, "
                       "as_of DESC, id DESC",
                       &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, credit_code);
    char last[64] = "";
    while ((rc = store_step(st, e)) == RC_ROW) {
        const char *fact = store_text(st, 0);
        if (strcmp(fact, last) == 0)
            continue; /* an older value of the same fact */
        mem_copy_text(last, sizeof(last), fact);
        struct err ignored;
        err_clear(&ignored);
        /* A value the engine cannot read (or an uncatalogued fact) counts as missing. */
        (void)rules_facts_set(f, fact, store_text(st, 1),
                              strcmp(store_text(st, 2), "authoritative") == 0, &ignored);
    }
    store_finish(st);
    return rc == RC_DONE ? RC_OK : rc;
}

enum rc policy_grant__event(struct conn *c, const struct audit_actor *who, const char *entity,
                            int64_t id, int64_t now, const char *action, const char *from,
                            const char *to, const char *note, const json_t *data, struct err *e)
{
    struct flow_event ev = {entity, id, now, action, from, to, note, false, data};
    return flow_record_as(c, who->name, who->name, who->org, &ev, e);
}

enum rc policy_grant__notice(struct conn *c, int64_t org_id, const char *credit, int64_t grant_id,
                             const char *kind, const char *title, const char *body, int64_t now,
                             struct err *e)
{
    struct flow_to to = {0, org_id, org_id ? NULL : credit};
    return flow_notice(c, grant_id ? "grant" : NULL, grant_id, &to, kind, title, body, now, e);
}

/* Formats fen as "1234.56元" (for notices). */
static void money_text(int64_t fen, char *out, size_t n)
{
    if (fen < 0)
        snprintf(out, n, "金额待核定");
    else
        snprintf(out, n, "%lld.%02lld元", (long long)(fen / 100), (long long)(fen % 100));
}

enum rc policy_grant__insert(struct conn *c, const struct audit_actor *who,
                             const struct pg_grant_new *g, int64_t now, int64_t *id, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(
        c,
        "INSERT INTO grants (policy_id, policy_version, credit_code, period, region, org_id, "
        "run_id, application_id, amount_fen, state, created_at, confirmed_at, updated_at) VALUES "
        "(?,?,?,'',?,?,?,?,?,?,?,?,?) RETURNING id",
        &st, e);
    if (rc)
        return rc;
    const char *state = g->confirmed ? "confirmed" : "matched";
    store_bind_int(st, 1, g->pol->id);
    store_bind_int(st, 2, g->pol->version);
    store_bind_text(st, 3, g->credit_code);
    store_bind_text(st, 4, g->region);
    store_bind_int(st, 5, g->pol->org_id);
    policy_grant__bind_opt(st, 6, g->run_id ? g->run_id : -1);
    policy_grant__bind_opt(st, 7, g->application_id ? g->application_id : -1);
    policy_grant__bind_opt(st, 8, g->amount);
    store_bind_text(st, 9, state);
    store_bind_int(st, 10, now);
    policy_grant__bind_opt(st, 11, g->confirmed ? now : -1);
    store_bind_int(st, 12, now);
    rc = store_insert_id(st, id, e);
    store_finish(st);
    if (rc)
        return rc;
    json_t *after =
        json_pack("{s:o, s:i, s:s, s:s, s:o, s:o, s:o}", "policy_id", policy_id_json(g->pol->id),
                  "policy_version", g->pol->version, "credit_code", g->credit_code, "state", state,
                  "amount_fen", g->amount >= 0 ? json_integer(g->amount) : json_null(), "run_id",
                  g->run_id ? policy_id_json(g->run_id) : json_null(), "application_id",
                  g->application_id ? policy_id_json(g->application_id) : json_null());
    char idtext[24];
    snprintf(idtext, sizeof(idtext), "%lld", (long long)*id);
    struct audit_event ev = {"grant.create", "grant", idtext, NULL, after};
    rc = policy_grant__event(c, who, "grant", *id, now, "create", NULL, state,
                             g->run_id ? "免申即享匹配" : "申请审批通过", after, e);
    if (rc == RC_OK)
        rc = audit_append(c, who, &ev, NULL, e);
    json_decref(after);
    if (rc == RC_OK) {
        char title[600], body[160], money[48];
        money_text(g->amount, money, sizeof(money));
        snprintf(title, sizeof(title), "%s：%s", g->confirmed ? "政策申请已通过" : "您符合政策条件",
                 g->pol->title);
        snprintf(body, sizeof(body), "%s，金额：%s", g->confirmed ? "待拨付" : "请确认是否享受",
                 money);
        rc = policy_grant__notice(c, 0, g->credit_code, *id,
                                  g->confirmed ? "grant_approved" : "grant_matched", title, body,
                                  now, e);
    }
    return rc;
}

/* ---- grant reads ------------------------------------------------------------------ */

#define GROW_COLS                                                                                  \
    "g.id, g.policy_id, g.policy_version, g.credit_code, g.region, g.org_id, "                     \
    "COALESCE(g.run_id, 0), COALESCE(g.application_id, 0), g.amount_fen, g.state, "                \
    "g.paid_amount_fen, g.paid_on, g.paid_by, g.reason, g.created_at, g.notified_at, "             \
    "g.confirmed_at, g.paid_at, g.bank_name, g.bank_account, g.account_name, g.version, "          \
    "p.title, o.code, o.name, e.name, g.declined_at"

static json_t *opt_int(struct stmt *st, int i)
{
    return store_isnull(st, i) ? json_null() : json_integer(store_int(st, i));
}

static json_t *opt_text(struct stmt *st, int i)
{
    return store_isnull(st, i) ? json_null() : json_string(store_text(st, i));
}

static json_t *opt_time(struct stmt *st, int i)
{
    if (store_isnull(st, i))
        return json_null();
    char at[40];
    time_fmt_cst(store_int(st, i), at, sizeof(at));
    return json_string(at);
}

static json_t *id_text(int64_t id)
{
    return policy_id_json(id);
}

unsigned policy_grant__rels(const struct principal *p, int64_t org_id, const char *credit)
{
    unsigned rels = 0;
    if (access_can(p, ACCESS_ENT_SELF) && p->credit_code && strcmp(p->credit_code, credit) == 0)
        rels |= PGR_OWNER;
    if (access_can(p, ACCESS_POLICY_ISSUE) && p->org_id && p->org_id == org_id)
        rels |= PGR_ISSUER;
    return rels;
}

static json_t *grant_json(const struct principal *p, struct stmt *st)
{
    char full[CODES_FULL_NAME_MAX];
    const char *region = store_text(st, 4);
    int s = flow_state_parse(&policy_grant_flow, store_text(st, 9));
    unsigned rels = policy_grant__rels(p, store_int(st, 5), store_text(st, 3));
    json_t *actions = flow_actions_json(&policy_grant_flow, rels, s, 0);
    bool reveal = access_reveal(p, rels != 0);
    json_t *j = json_pack(
        "{s:o, s:o, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:o, s:o, s:o, "
        "s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
        "id", id_text(store_int(st, 0)), "policy_id", id_text(store_int(st, 1)), "policy_title",
        store_text(st, 22), "policy_version", (int)store_int(st, 2), "credit_code",
        store_text(st, 3), "enterprise_name", store_text(st, 25) ? store_text(st, 25) : "",
        "region", region, "region_name", codes_region_full_name(region, full, sizeof(full)), "org",
        store_text(st, 23), "run_id", store_int(st, 6) ? id_text(store_int(st, 6)) : json_null(),
        "application_id", store_int(st, 7) ? id_text(store_int(st, 7)) : json_null(), "amount",
        opt_int(st, 8), "state", store_text(st, 9), "state_label",
        flow_state_label(&policy_grant_flow, s), "paid_amount", opt_int(st, 10), "paid_on",
        opt_text(st, 11), "paid_by", opt_text(st, 12), "reason", opt_text(st, 13), "created_at",
        opt_time(st, 14), "notified_at", opt_time(st, 15), "confirmed_at", opt_time(st, 16),
        "paid_at", opt_time(st, 17), "declined_at", opt_time(st, 26), "actions", actions);
    json_object_set_new(j, "org_name", json_string(store_text(st, 24)));
    if (!store_isnull(st, 19)) {
        const char *acct = store_text(st, 19);
        char masked[80];
        size_t n = strlen(acct);
        if (reveal || n <= 4)
            mem_copy_text(masked, sizeof(masked), reveal ? acct : "****");
        else
            snprintf(masked, sizeof(masked), "****%s", acct + n - 4);
        json_object_set_new(j, "bank",
                            json_pack("{s:o, s:s, s:o}", "bank_name", opt_text(st, 18),
                                      "bank_account", masked, "account_name", opt_text(st, 20)));
    }
    return j;
}

enum rc policy_grant_list(struct conn *c, const struct principal *p,
                          const struct policy_grant_filter *f, json_t **out, struct err *e)
{
    struct access_scope sc;
    policy_grant__scope(p, &sc);
    struct stmt *st;
    enum rc rc = store_prepare(
        c,
        "SELECT " GROW_COLS " FROM grants g JOIN policies p ON p.id = g.policy_id JOIN orgs o ON "
        "o.id = g.org_id LEFT JOIN enterprises e ON e.credit_code = g.credit_code "
        "WHERE " PG_SCOPE_SQL("g.credit_code", "g.org_id",
                              "g.region") " AND (? = 0 OR g.policy_id = ?) AND (? = '' OR g.state "
                                          "= ?) AND (? = '' OR "
                                          "g.credit_code = ?) AND (? = 0 OR g.run_id = ?) AND (? "
                                          "<= 0 OR g.id < ?) ORDER BY g.id "
                                          "DESC LIMIT ?",
        &st, e);
    if (rc)
        return rc;
    access_bind(st, 1, &sc);
    store_bind_int(st, 6, f->policy_id);
    store_bind_int(st, 7, f->policy_id);
    store_bind_text(st, 8, f->state ? f->state : "");
    store_bind_text(st, 9, f->state ? f->state : "");
    store_bind_text(st, 10, f->credit_code ? f->credit_code : "");
    store_bind_text(st, 11, f->credit_code ? f->credit_code : "");
    store_bind_int(st, 12, f->run_id);
    store_bind_int(st, 13, f->run_id);
    store_bind_int(st, 14, f->before_id);
    store_bind_int(st, 15, f->before_id);
    store_bind_int(st, 16, f->limit > 0 ? f->limit : 50);
    json_t *items = json_array();
    while ((rc = store_step(st, e)) == RC_ROW)
        json_array_append_new(items, grant_json(p, st));
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(items);
        return rc;
    }
    *out = items;
    return RC_OK;
}

/* One grant row the caller may see, read into a statement the caller finishes. */
static enum rc grant_row(struct conn *c, const struct principal *p, int64_t id, struct stmt **out,
                         struct err *e)
{
    struct access_scope sc;
    policy_grant__scope(p, &sc);
    return access_one(
        c,
        "SELECT " GROW_COLS " FROM grants g JOIN policies p ON p.id = g.policy_id JOIN orgs o ON "
        "o.id = g.org_id LEFT JOIN enterprises e ON e.credit_code = g.credit_code WHERE g.id = ? "
        "AND " PG_SCOPE_SQL("g.credit_code", "g.org_id", "g.region"),
        id, &sc, "兑现记录不存在或无权查看", out, e);
}

enum rc policy_grant_get(struct conn *c, const struct principal *p, int64_t id, json_t **out,
                         struct err *e)
{
    struct stmt *st;
    enum rc rc = grant_row(c, p, id, &st, e);
    if (rc)
        return rc;
    *out = grant_json(p, st);
    store_finish(st);
    return RC_OK;
}

/* ---- the workflow ------------------------------------------------------------------------ */

struct grow {
    int64_t id, org_id, amount, version;
    char credit[24], title[512];
};

/* One action on a grant: the row as loaded (rec) and the request's own fields. */
struct gcall {
    struct grow rec;  /* first: flow_call.rec points here */
    struct grow next; /* unchanged: the action's writes are the fields below */
    const char *note; /* the request's note (the event falls back on reason) */
    const char *reason, *bank_name, *bank_account, *account_name, *paid_on;
    int64_t paid; /* fen, > 0 for a payment */
};

static enum rc grant_load(struct flow_call *x, struct err *e)
{
    struct gcall *gc = xcalloc(1, sizeof(*gc));
    x->rec = &gc->rec;
    x->next = &gc->next;
    const json_t *q = x->params;
    enum rc rc = jsonx_get_str(q, "reason", false, 500, &gc->reason, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(q, "bank_name", false, 64, &gc->bank_name, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(q, "bank_account", false, 40, &gc->bank_account, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(q, "account_name", false, 100, &gc->account_name, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(q, "paid_on", false, 10, &gc->paid_on, e);
    struct stmt *st;
    if (rc == RC_OK)
        rc = grant_row(x->c, x->p, x->id, &st, e);
    if (rc)
        return rc;
    struct grow *g = &gc->rec;
    g->id = store_int(st, 0);
    g->org_id = store_int(st, 5);
    g->amount = store_isnull(st, 8) ? -1 : store_int(st, 8);
    g->version = store_int(st, 21);
    mem_copy_text(g->credit, sizeof(g->credit), store_text(st, 3));
    mem_copy_text(g->title, sizeof(g->title), store_text(st, 22));
    x->from = flow_state_parse(&policy_grant_flow, store_text(st, 9));
    x->rels = policy_grant__rels(x->p, g->org_id, g->credit);
    store_finish(st);
    gc->next = gc->rec;
    gc->note = x->note;
    return RC_OK;
}

static void grant_release(struct flow_call *x)
{
    xfree(x->rec); /* the struct gcall */
}

/* Saves the new state, with the time of the step and what the action wrote; RC_CONFLICT
 * when another caller changed the grant since it was read. */
static enum rc grant_save(struct flow_call *x, struct err *e)
{
    const struct gcall *gc = x->rec;
    struct stmt *st;
    enum rc rc = store_prepare(
        x->c,
        "UPDATE grants SET state = ?, updated_at = ?, version = version + 1, notified_at = "
        "CASE WHEN ? = 'notified' THEN ? ELSE notified_at END, confirmed_at = CASE WHEN ? = "
        "'confirmed' THEN ? ELSE confirmed_at END, declined_at = CASE WHEN ? = 'declined' THEN "
        "? ELSE declined_at END, paid_at = CASE WHEN ? = 'paid' THEN ? ELSE paid_at END, "
        "paid_amount_fen = CASE WHEN ? = 'paid' THEN ? ELSE paid_amount_fen END, paid_on = "
        "COALESCE(?, paid_on), paid_by = COALESCE(?, paid_by), reason = COALESCE(?, reason), "
        "bank_name = COALESCE(?, bank_name), bank_account = COALESCE(?, bank_account), "
        "account_name = COALESCE(?, account_name) WHERE id = ? AND version = ?",
        &st, e);
    if (rc)
        return rc;
    const char *ts = flow_state_name(&policy_grant_flow, x->to);
    bool pay = gc->paid > 0;
    store_bind_text(st, 1, ts);
    store_bind_int(st, 2, x->now);
    for (int i = 0; i < 4; i++) {
        store_bind_text(st, 3 + 2 * i, ts);
        store_bind_int(st, 4 + 2 * i, x->now);
    }
    store_bind_text(st, 11, ts);
    store_bind_int(st, 12, gc->paid);
    store_bind_text(st, 13, pay ? gc->paid_on : NULL);
    store_bind_text(st, 14, pay ? x->p->actor.name : NULL);
    store_bind_text(st, 15, gc->reason);
    store_bind_text(st, 16, gc->bank_name);
    store_bind_text(st, 17, gc->bank_account);
    store_bind_text(st, 18, gc->account_name);
    store_bind_int(st, 19, gc->rec.id);
    store_bind_int(st, 20, gc->rec.version);
    return flow_save_run(st, "兑现记录", e);
}

/* The audit image: the state and amount before; after, the event's data. */
static json_t *grant_image(const struct flow_call *x, const void *rec)
{
    const struct gcall *gc = x->rec;
    if (rec != x->rec)
        return json_incref(x->data);
    return json_pack("{s:s, s:o}", "state", flow_state_name(&policy_grant_flow, x->from),
                     "amount_fen",
                     gc->rec.amount >= 0 ? json_integer(gc->rec.amount) : json_null());
}

/* What every action records: the new state and the reason (the event's note when no note
 * was given). Bank details belong to confirm only. */
static enum rc grant_step(struct flow_call *x, bool bank_ok, struct err *e)
{
    const struct gcall *gc = x->rec;
    if (!bank_ok && (gc->bank_name || gc->bank_account || gc->account_name))
        return err_set(e, RC_INVALID, "bank_account", "银行账户只能在确认享受时填写");
    json_object_set_new(x->data, "state", json_string(flow_state_name(&policy_grant_flow, x->to)));
    if (gc->reason)
        json_object_set_new(x->data, "reason", json_string(gc->reason));
    if (!x->note)
        x->note = gc->reason;
    return RC_OK;
}

static enum rc grant_notify_apply(struct flow_call *x, struct err *e)
{
    return grant_step(x, false, e);
}

static enum rc grant_confirm_apply(struct flow_call *x, struct err *e)
{
    enum rc rc = grant_step(x, true, e);
    if (rc == RC_OK && ((const struct gcall *)x->rec)->bank_account)
        json_object_set_new(x->data, "bank_account_confirmed", json_true());
    return rc;
}

static enum rc grant_decline_apply(struct flow_call *x, struct err *e)
{
    return grant_step(x, false, e);
}

/* A payment: amount and date, no more than granted unless a reason is given. */
static enum rc grant_pay_apply(struct flow_call *x, struct err *e)
{
    struct gcall *gc = (struct gcall *)x->rec;
    int64_t amount = 0;
    enum rc rc = jsonx_get_int(x->params, "amount", true, 1, INT64_MAX / 4, &amount, e);
    if (rc == RC_OK && (!gc->paid_on || !ent_date_valid(gc->paid_on)))
        rc = err_set(e, RC_INVALID, "paid_on", "请填写拨付日期 YYYY-MM-DD");
    if (rc == RC_OK)
        rc = policy_grant_pay_check(gc->rec.amount, amount, gc->reason, e);
    if (rc == RC_OK)
        rc = grant_step(x, false, e);
    if (rc)
        return rc;
    gc->paid = amount;
    json_object_set_new(x->data, "paid_amount_fen", json_integer(amount));
    json_object_set_new(x->data, "paid_on", json_string(gc->paid_on));
    return RC_OK;
}

/* A notice "<action>：<policy>" to the enterprise, or to the issuing department. */
static enum rc grant_tell(struct flow_call *x, bool enterprise, const char *kind, const char *body,
                          struct err *e)
{
    const struct gcall *gc = x->rec;
    char title[600];
    snprintf(title, sizeof(title), "%s：%s", x->a->label, gc->rec.title);
    struct flow_to to = {0, enterprise ? 0 : gc->rec.org_id, enterprise ? gc->rec.credit : NULL};
    return flow_notify(x, &to, kind, title, body, e);
}

static enum rc grant_notify_tell(struct flow_call *x, struct err *e)
{
    const struct gcall *gc = x->rec;
    return grant_tell(x, true, "grant_notified", gc->note ? gc->note : "请登录确认是否享受该政策",
                      e);
}

static enum rc grant_pay_tell(struct flow_call *x, struct err *e)
{
    const struct gcall *gc = x->rec;
    char body[160];
    snprintf(body, sizeof(body), "已拨付 %lld.%02lld元（%s）", (long long)(gc->paid / 100),
             (long long)(gc->paid % 100), gc->paid_on);
    return grant_tell(x, true, "grant_paid", body, e);
}

static enum rc grant_owner_tell(struct flow_call *x, const char *kind, struct err *e)
{
    const struct gcall *gc = x->rec;
    char body[160];
    snprintf(body, sizeof(body), "企业 %s %s", gc->rec.credit, x->a->label);
    return grant_tell(x, false, kind, body, e);
}

static enum rc grant_confirm_tell(struct flow_call *x, struct err *e)
{
    return grant_owner_tell(x, "grant_confirmed", e);
}

static enum rc grant_decline_tell(struct flow_call *x, struct err *e)
{
    return grant_owner_tell(x, "grant_declined", e);
}

static enum rc grant_readable(struct conn *c, const struct principal *p, int64_t id, struct err *e)
{
    struct stmt *st;
    enum rc rc = grant_row(c, p, id, &st, e);
    if (rc == RC_OK)
        store_finish(st);
    return rc;
}

/* The grant's workflow: matched → notified → confirmed | declined; confirmed → paid. */
#define B FLOW_BIT
static const struct flow_action grant_actions[] = {
    {"notify", "告知企业", B(PG_MATCHED), PGR_ISSUER, PG_NOTIFIED, 0, 0, 0, grant_notify_apply,
     grant_notify_tell},
    {"confirm", "确认享受", B(PG_NOTIFIED), PGR_OWNER, PG_CONFIRMED, 0, 0, 0, grant_confirm_apply,
     grant_confirm_tell},
    {"decline", "放弃享受", B(PG_MATCHED) | B(PG_NOTIFIED), PGR_OWNER, PG_DECLINED, 0, 0, 0,
     grant_decline_apply, grant_decline_tell},
    {"pay", "拨付", B(PG_CONFIRMED), PGR_ISSUER, PG_PAID, 0, 0, 0, grant_pay_apply, grant_pay_tell},
};
#undef B
static const struct flow_label grant_rels[] = {
    {"owner", "享受政策的企业"},
    {"issuer", "政策发布部门的政策专员"},
};
/* Events written outside the table: by a 免申即享 run or an approved application. */
static const struct flow_label grant_events[] = {
    {"create", "生成兑现记录"},
    {"amount", "金额变更"},
};
static const char *const grant_fields[] = {
    "bank_name", "bank_account", "account_name", "amount", "paid_on", "reason", NULL};

const struct flow policy_grant_flow = {
    .entity = "grant",
    .label = "兑现记录",
    .states = grant_states,
    .n_states = PG__N,
    .actions = grant_actions,
    .n_actions = FLOW_N(grant_actions),
    .rels = grant_rels,
    .n_rels = FLOW_N(grant_rels),
    .events = grant_events,
    .n_events = FLOW_N(grant_events),
    .fields = grant_fields,
    .note_max = 500,
    .load = grant_load,
    .save = grant_save,
    .image = grant_image,
    .release = grant_release,
    .readable = grant_readable,
};

enum rc policy_grant_act(struct conn *c, const struct principal *p, int64_t id,
                         const json_t *params, struct err *e)
{
    return flow_act(&policy_grant_flow, c, p, NULL, id, params, time_now_ms(), e);
}
