/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_app: 即申即享 / 申报审批 applications. The form is pre-filled from the
 * enterprise's stored facts; what it types is stored as self_declared facts (with the
 * application, in one transaction) and the policy is evaluated by the row evaluator
 * against the whole set in force (so exclusive groups apply as in runs). Approved at
 * once only for 即申即享 when eligible and authoritative; else the issuing
 * department's queue: approve (a confirmed grant), reject (reason), request_info
 * (what is needed) → the enterprise resubmits; or the enterprise withdraws. These
 * actions are the application's workflow, a table run by src/flow (policy_app_flow, at
 * the end of this file).
 */
#include "policy_grant.h"
#include "policy_grant_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "../auth/auth.h"
#include "../base/jsonx.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../ent/ent.h"
#include "../flow/flow.h"
#include "../rules/rules.h"
#include "../store/store.h"

#define APP_MAX_FACTS 64

/* ---- evaluation -------------------------------------------------------------------- */

struct verdict {
    bool eligible, authoritative;
    int version;     /* the policy version evaluated (the snapshot's) */
    int64_t amount;  /* fen, -1 unknown or none */
    json_t *outcome; /* new: the snapshot stored with the application */
    json_t *facts;   /* new: names of the facts the policy reads */
};

/*
 * Evaluates policy_id for credit_code on c (inside or outside a transaction) under the
 * snapshot s of the policies in force, which the caller took with policy_current()
 * before any transaction: the row evaluator sees the whole set (就高不重复, caps).
 */
static enum rc evaluate(struct conn *c, struct policy_holder *h, const struct policy_snap *s,
                        int64_t policy_id, const char *credit_code, struct verdict *v,
                        struct err *e)
{
    memset(v, 0, sizeof(*v));
    const struct rules_set *set = policy_snap_set(s);
    long idx = rules_set_find(set, policy_id);
    struct rules_facts *f = rules_facts_new(policy_holder_rules_catalog(h));
    struct rules_row *row = NULL;
    char region[16];
    enum rc rc = RC_OK;
    if (idx < 0)
        rc = err_set(e, RC_STATE, NULL, "政策不在有效期内或未发布，不能申请");
    else
        v->version = policy_snap_info(s, (size_t)idx)->version;
    if (rc == RC_OK)
        rc = policy_grant__facts(c, credit_code, f, region, e);
    if (rc == RC_OK)
        rc = rules_eval(set, f, policy_snap_day(s), RULES_EXPLAIN, &row, e);
    if (rc == RC_OK) {
        const struct rules_result *r = &row->results[idx];
        v->eligible = r->outcome == RULES_ELIGIBLE;
        v->authoritative = r->authoritative;
        v->amount = r->amount_state == RULES_AMOUNT_KNOWN ? r->amount : -1;
        json_t *missing = json_array();
        for (size_t i = 0; i < r->n_missing; i++)
            json_array_append_new(missing, json_string(r->missing[i]));
        v->outcome =
            json_pack("{s:s, s:b, s:o, s:s, s:o, s:o*}", "outcome", rules_outcome_name(r->outcome),
                      "authoritative", r->authoritative, "amount",
                      v->amount >= 0 ? json_integer(v->amount) : json_null(), "amount_state",
                      r->amount_state == RULES_AMOUNT_KNOWN     ? "known"
                      : r->amount_state == RULES_AMOUNT_UNKNOWN ? "unknown"
                                                                : "none",
                      "missing", missing, "explanation", rules_result_explanation(r));
        const char *names[APP_MAX_FACTS];
        size_t n = rules_policy_facts(rules_set_policy(set, (size_t)idx), names, APP_MAX_FACTS);
        v->facts = json_array();
        for (size_t i = 0; i < n && i < APP_MAX_FACTS; i++)
            json_array_append_new(v->facts, json_string(names[i]));
    }
    rules_row_free(row);
    rules_facts_free(f);
    return rc;
}

static void verdict_cleanup(struct verdict *v)
{
    json_decref(v->outcome);
    json_decref(v->facts);
    v->outcome = v->facts = NULL;
}

static bool reads(const json_t *facts, const char *name)
{
    size_t i;
    json_t *x;
    json_array_foreach(facts, i, x)
    {
        if (strcmp(json_string_value(x), name) == 0)
            return true;
    }
    return false;
}

enum rc policy_app_form(struct conn *c, struct policy_holder *h, const struct principal *p,
                        int64_t policy_id, const char *credit_code, json_t **out, struct err *e)
{
    const struct ent_catalog *cat = policy_holder_catalog(h);
    if (access_can(p, ACCESS_ENT_SELF))
        credit_code = p->credit_code;
    if (!credit_code || !*credit_code)
        return err_set(e, RC_INVALID, "credit_code", "请指定企业统一社会信用代码");
    struct pg_policy pol;
    json_t *stored = NULL;
    struct verdict v = {0};
    enum rc rc = policy_grant__policy(c, policy_id, &pol, e);
    /* A draft exists only for its department (policy.h): nobody applies to it. */
    if (rc == RC_OK && strcmp(pol.state, "draft") == 0)
        rc = err_set(e, RC_NOTFOUND, NULL, "政策不存在");
    if (rc == RC_OK)
        rc = ent_facts_get(c, cat, p, credit_code, false, &stored, e);
    if (rc == RC_OK) {
        struct policy_snap *s = policy_current(h, c);
        rc = evaluate(c, h, s, policy_id, credit_code, &v, e);
        policy_release(h, s);
    }
    if (rc) {
        json_decref(stored);
        return rc;
    }
    json_t *present = json_array(), *missing = json_array();
    size_t i;
    json_t *name;
    json_array_foreach(v.facts, i, name)
    {
        const char *n = json_string_value(name);
        const struct ent_fact_def *d = ent_catalog_fact(cat, n);
        json_t *found = NULL, *item;
        size_t k;
        json_array_foreach(json_object_get(stored, "items"), k, item)
        {
            if (strcmp(json_string_value(json_object_get(item, "fact")), n) == 0) {
                found = item;
                break;
            }
        }
        if (found)
            json_array_append(present, found);
        else if (d)
            json_array_append_new(missing,
                                  json_pack("{s:s, s:s, s:s, s:s, s:s}", "fact", n, "label",
                                            d->label, "type", ent_fact_type_name(d->type), "unit",
                                            d->unit, "source", d->source));
    }
    json_decref(stored);
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)pol.id);
    *out = json_pack("{s:{s:s, s:s, s:i, s:s}, s:s, s:o, s:o, s:O}", "policy", "id", id, "title",
                     pol.title, "version", v.version, "delivery", pol.delivery, "credit_code",
                     credit_code, "present", present, "missing", missing, "evaluation", v.outcome);
    verdict_cleanup(&v);
    return RC_OK;
}

/* ---- writing ------------------------------------------------------------------------ */

/* Parses {"name": value} into canonical facts for the policy (which must read each). */
static enum rc parse_facts(const struct ent_catalog *cat, json_t *facts, const json_t *reads_,
                           struct ent_fact_in *out, size_t *n, char *as_of, struct err *e)
{
    *n = 0;
    if (!facts)
        return RC_OK;
    if (!json_is_object(facts))
        return err_set(e, RC_INVALID, "facts", "facts 应为对象 {事实名: 值}");
    if (json_object_size(facts) > APP_MAX_FACTS)
        return err_set(e, RC_TOOLARGE, "facts", "一次最多填写 %d 项数据", APP_MAX_FACTS);
    const char *key;
    json_t *val;
    json_object_foreach(facts, key, val)
    {
        char field[96];
        snprintf(field, sizeof(field), "facts.%s", key);
        const struct ent_fact_def *d = ent_catalog_fact(cat, key);
        if (!d)
            return err_set(e, RC_INVALID, field, "未知的事实 %s", key);
        if (d->builtin)
            return err_set(e, RC_INVALID, field, "%s 来自企业登记信息，不能自行申报", d->label);
        if (!reads(reads_, key))
            return err_set(e, RC_INVALID, field, "该政策不需要填写 %s", d->label);
        enum rc rc = ent_fact_from_json(d, val, field, &out[*n].value, e);
        if (rc)
            return rc;
        out[*n].fact = d->name;
        out[*n].as_of = as_of;
        out[*n].status = "self_declared";
        out[*n].source = "企业申报";
        (*n)++;
    }
    return RC_OK;
}

static void free_facts(struct ent_fact_in *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        xfree(f[i].value);
}

/* Stores typed facts inside the transaction, audited like PUT /facts. */
static enum rc store_facts(struct conn *c, const struct principal *p, const char *credit,
                           const struct ent_fact_in *f, size_t n, int64_t now, struct err *e)
{
    if (!n)
        return RC_OK;
    enum rc rc = ent_facts_insert(c, credit, f, n, p->actor.name, now, e);
    if (rc)
        return rc;
    json_t *after = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(after, json_pack("{s:s, s:s, s:s, s:s, s:s}", "fact", f[i].fact,
                                               "value", f[i].value, "as_of", f[i].as_of, "status",
                                               f[i].status, "source", f[i].source));
    json_t *wrapped = json_pack("{s:o}", "facts", after);
    struct audit_event ev = {"enterprise.facts", "enterprise", credit, NULL, wrapped};
    rc = audit_append(c, &p->actor, &ev, NULL, e);
    json_decref(wrapped);
    return rc;
}

static void today_text(int64_t now, char out[16])
{
    int y, m, d;
    time_civil_from_days(policy_grant__today(now), &y, &m, &d);
    snprintf(out, 16, "%04d-%02d-%02d", y, m, d);
}

/* Records a new application's first event (submit or auto_approve) with its audit row. */
static enum rc app_event(struct conn *c, const struct principal *p, int64_t id, int64_t now,
                         const char *action, const char *to, const char *note, struct err *e)
{
    json_t *after = json_pack("{s:s}", "state", to);
    if (note)
        json_object_set_new(after, "note", json_string(note));
    char name[48];
    snprintf(name, sizeof(name), "application.%s", action);
    struct flow_event ev = {"application", id, now, action, NULL, to, note, false, NULL};
    enum rc rc = flow_record(c, p, &ev, name, NULL, after, e);
    json_decref(after);
    return rc;
}

/* A notice about application id to the issuing department: it awaits review. */
static enum rc tell_reviewers(struct conn *c, const struct pg_policy *pol, int64_t id,
                              const char *credit, int64_t now, struct err *e)
{
    char title[600];
    snprintf(title, sizeof(title), "政策申请待审核：%s", pol->title);
    struct flow_to to = {0, pol->org_id, NULL};
    return flow_notice(c, "application", id, &to, "application_submitted", title, credit, now, e);
}

/*
 * Approves application id: the decision's columns and a confirmed grant decided under
 * `version` (the application's state is the caller's: app_create's row, or the flow's
 * save).
 */
static enum rc approve(struct conn *c, const struct principal *p, struct pg_policy *pol, int64_t id,
                       const char *credit, int version, int64_t amount, bool automatic, int64_t now,
                       struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               "UPDATE applications SET state = 'approved', auto = ?, amount_fen = "
                               "?, reviewer = ?, decided_at = ?, updated_at = ? WHERE id = ?",
                               &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, automatic ? 1 : 0);
    policy_grant__bind_opt(st, 2, amount);
    store_bind_text(st, 3, automatic ? "系统自动审批" : p->actor.name);
    store_bind_int(st, 4, now);
    store_bind_int(st, 5, now);
    store_bind_int(st, 6, id);
    rc = store_run(st, e);
    store_finish(st);
    char region[16] = "";
    if (rc == RC_OK)
        rc = store_prepare(c, "SELECT region FROM enterprises WHERE credit_code = ?", &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, credit);
        if ((rc = store_step(st, e)) == RC_ROW) {
            mem_copy_text(region, sizeof(region), store_text(st, 0));
            rc = RC_OK;
        } else if (rc == RC_DONE) {
            rc = err_set(e, RC_NOTFOUND, NULL, "企业不存在");
        }
        store_finish(st);
    }
    if (rc == RC_OK) {
        int current = pol->version;
        pol->version = version; /* the version the application was decided under */
        struct pg_grant_new g = {.pol = pol,
                                 .credit_code = credit,
                                 .region = region,
                                 .application_id = id,
                                 .amount = amount,
                                 .confirmed = true};
        int64_t gid;
        rc = policy_grant__insert(c, &p->actor, &g, now, &gid, e);
        pol->version = current;
    }
    if (rc == RC_EXISTS)
        rc = err_set(e, RC_EXISTS, NULL, "该企业已有此政策的兑现记录");
    return rc;
}

#define AUTO_NOTE "全部条件由权威数据核验通过，即申即享"

/* Is a verdict approved at once (即申即享, eligible on authoritative facts)? */
static bool automatic(const struct pg_policy *pol, const struct verdict *v)
{
    return v->eligible && v->authoritative && strcmp(pol->delivery, "ji_shen") == 0;
}

/* Decides a new application: approved at once, or queued for the issuing department. */
static enum rc decide(struct conn *c, const struct principal *p, struct pg_policy *pol, int64_t id,
                      const char *credit, const struct verdict *v, int64_t now, bool *approved,
                      struct err *e)
{
    enum rc rc;
    *approved = automatic(pol, v);
    if (*approved) {
        rc = approve(c, p, pol, id, credit, pol->version, v->amount, true, now, e);
        if (rc == RC_OK)
            rc = app_event(c, p, id, now, "auto_approve", "approved", AUTO_NOTE, e);
        return rc;
    }
    rc = app_event(c, p, id, now, "submit", "submitted", NULL, e);
    if (rc == RC_OK)
        rc = tell_reviewers(c, pol, id, credit, now, e);
    return rc;
}

static enum rc app_create(struct conn *c, struct policy_holder *h, const struct policy_snap *s,
                          const struct principal *p, const json_t *body, const char *idem_key,
                          int64_t *id, bool *existed, struct err *e);

enum rc policy_app_create(struct conn *c, struct policy_holder *h, const struct principal *p,
                          const json_t *body, const char *idem_key, int64_t *id, bool *existed,
                          struct err *e)
{
    /* One snapshot for the whole call, taken outside the transaction. */
    struct policy_snap *s = policy_current(h, c);
    enum rc rc = app_create(c, h, s, p, body, idem_key, id, existed, e);
    policy_release(h, s);
    return rc;
}

static enum rc app_create(struct conn *c, struct policy_holder *h, const struct policy_snap *s,
                          const struct principal *p, const json_t *body, const char *idem_key,
                          int64_t *id, bool *existed, struct err *e)
{
    const struct ent_catalog *cat = policy_holder_catalog(h);
    static const char *const fields[] = {"policy_id", "facts", NULL};
    *existed = false;
    if (!access_can(p, ACCESS_ENT_SELF) || !p->credit_code)
        return err_set(e, RC_FORBIDDEN, NULL, "只有企业用户可以申请政策");
    enum rc rc = jsonx_only(body, fields, e);
    if (rc)
        return rc;
    const json_t *pid = json_object_get(body, "policy_id");
    int64_t policy_id = policy_id_value(pid);
    if (policy_id <= 0)
        return err_set(e, RC_INVALID, "policy_id", "请指定要申请的政策");
    struct stmt *st;
    if (idem_key) {
        if ((rc = store_prepare(
                 c, "SELECT id FROM applications WHERE created_by = ? AND idem_key = ?", &st, e)))
            return rc;
        store_bind_text(st, 1, p->actor.name);
        store_bind_text(st, 2, idem_key);
        rc = store_step(st, e);
        if (rc == RC_ROW) {
            *id = store_int(st, 0);
            *existed = true;
        }
        store_finish(st);
        if (rc == RC_ROW)
            return RC_OK;
        if (rc != RC_DONE)
            return rc;
    }
    struct pg_policy pol;
    if ((rc = policy_grant__policy(c, policy_id, &pol, e)))
        return rc;
    if (strcmp(pol.state, "draft") == 0)
        return err_set(e, RC_NOTFOUND, "policy_id", "政策不存在");
    if (strcmp(pol.state, "published") != 0)
        return err_set(e, RC_STATE, NULL, "政策未发布或已失效，不能申请");
    if (strcmp(pol.delivery, "mian_shen") == 0)
        return err_set(e, RC_STATE, NULL, "免申即享政策无需申请，符合条件的企业将直接获得兑现");
    /* What the policy reads decides which typed facts are accepted. */
    struct verdict v;
    if ((rc = evaluate(c, h, s, policy_id, p->credit_code, &v, e)))
        return rc;
    struct ent_fact_in facts[APP_MAX_FACTS];
    size_t n = 0;
    int64_t now = time_now_ms();
    char as_of[16];
    today_text(now, as_of);
    rc = parse_facts(cat, json_object_get(body, "facts"), v.facts, facts, &n, as_of, e);
    json_t *typed = json_object_get(body, "facts");
    verdict_cleanup(&v);
    if (rc) {
        free_facts(facts, n);
        return rc;
    }
    if ((rc = store_begin(c, e))) {
        free_facts(facts, n);
        return rc;
    }
    rc = store_prepare(
        c, "SELECT 1 FROM grants WHERE policy_id = ? AND credit_code = ? AND period = ''", &st, e);
    if (rc == RC_OK) {
        store_bind_int(st, 1, policy_id);
        store_bind_text(st, 2, p->credit_code);
        rc = store_step(st, e);
        store_finish(st);
        rc = rc == RC_ROW ? err_set(e, RC_EXISTS, NULL, "贵企业已有此政策的兑现记录，无需重复申请")
             : rc == RC_DONE ? RC_OK
                             : rc;
    }
    if (rc == RC_OK)
        rc = store_facts(c, p, p->credit_code, facts, n, now, e);
    if (rc == RC_OK)
        rc = evaluate(c, h, s, policy_id, p->credit_code, &v, e);
    if (rc == RC_OK) {
        pol.version = v.version; /* the version the application is decided under */
        json_t *none = typed ? NULL : json_object();
        char *form = jsonx_canonical(typed ? typed : none);
        json_decref(none);
        char *outcome = jsonx_canonical(v.outcome);
        rc = store_prepare(c,
                           "INSERT INTO applications (policy_id, policy_version, credit_code, "
                           "org_id, state, form, outcome, amount_fen, idem_key, created_by, "
                           "created_at, submitted_at, updated_at) VALUES "
                           "(?,?,?,?,'submitted',?,?,?,?,?,?,?,?) RETURNING id",
                           &st, e);
        if (rc == RC_OK) {
            store_bind_int(st, 1, policy_id);
            store_bind_int(st, 2, pol.version);
            store_bind_text(st, 3, p->credit_code);
            store_bind_int(st, 4, pol.org_id);
            store_bind_text(st, 5, form);
            store_bind_text(st, 6, outcome);
            policy_grant__bind_opt(st, 7, v.amount);
            store_bind_text(st, 8, idem_key);
            store_bind_text(st, 9, p->actor.name);
            store_bind_int(st, 10, now);
            store_bind_int(st, 11, now);
            store_bind_int(st, 12, now);
            rc = store_insert_id(st, id, e);
            store_finish(st);
            if (rc == RC_EXISTS)
                rc = err_set(e, RC_EXISTS, NULL, "贵企业已有此政策待审核的申请");
        }
        xfree(form);
        xfree(outcome);
        bool approved;
        if (rc == RC_OK)
            rc = decide(c, p, &pol, *id, p->credit_code, &v, now, &approved, e);
        verdict_cleanup(&v);
    }
    free_facts(facts, n);
    if (rc == RC_OK)
        rc = store_commit(c, e);
    else
        store_rollback(c);
    return rc;
}

/* ---- reads ------------------------------------------------------------------------------ */

#define AROW_COLS                                                                                  \
    "a.id, a.policy_id, a.policy_version, a.credit_code, a.org_id, a.state, a.auto, a.form, "      \
    "a.outcome, a.amount_fen, a.reviewer, a.reason, a.created_at, a.submitted_at, "                \
    "a.decided_at, a.version, p.title, o.code, e.name, p.delivery, "                               \
    "(SELECT MIN(g.id) FROM grants g WHERE g.application_id = a.id)"
#define AROW_FROM                                                                                  \
    " FROM applications a JOIN policies p ON p.id = a.policy_id JOIN orgs o ON o.id = a.org_id "   \
    "JOIN enterprises e ON e.credit_code = a.credit_code "

static json_t *app_json(const struct principal *p, struct stmt *st)
{
    char id[24], pid[24], gid[24], at[3][40];
    snprintf(id, sizeof(id), "%lld", (long long)store_int(st, 0));
    snprintf(pid, sizeof(pid), "%lld", (long long)store_int(st, 1));
    snprintf(gid, sizeof(gid), "%lld", (long long)store_int(st, 20));
    json_t *times[3];
    for (int i = 0; i < 3; i++) {
        times[i] = json_null();
        if (!store_isnull(st, 12 + i)) {
            time_fmt_cst(store_int(st, 12 + i), at[i], sizeof(at[i]));
            times[i] = json_string(at[i]);
        }
    }
    const char *state = store_text(st, 5);
    int si = flow_state_parse(&policy_app_flow, state);
    json_t *actions = flow_actions_json(
        &policy_app_flow, policy_grant__rels(p, store_int(st, 4), store_text(st, 3)), si, 0);
    json_t *form = json_loads(store_text(st, 7), 0, NULL);
    json_t *outcome = store_isnull(st, 8) ? NULL : json_loads(store_text(st, 8), 0, NULL);
    return json_pack(
        "{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
        "s:o, s:o, s:o, s:o}",
        "id", id, "policy_id", pid, "policy_title", store_text(st, 16), "policy_version",
        (int)store_int(st, 2), "delivery", store_text(st, 19), "credit_code", store_text(st, 3),
        "enterprise_name", store_text(st, 18), "org", store_text(st, 17), "state", state, "auto",
        store_int(st, 6) != 0, "state_label", json_string(flow_state_label(&policy_app_flow, si)),
        "form", form ? form : json_object(), "outcome", outcome ? outcome : json_null(), "amount",
        store_isnull(st, 9) ? json_null() : json_integer(store_int(st, 9)), "reviewer",
        store_isnull(st, 10) ? json_null() : json_string(store_text(st, 10)), "reason",
        store_isnull(st, 11) ? json_null() : json_string(store_text(st, 11)), "created_at",
        times[0], "submitted_at", times[1], "decided_at", times[2], "grant_id",
        store_isnull(st, 20) ? json_null() : json_string(gid), "actions", actions);
}

enum rc policy_app_list(struct conn *c, const struct principal *p,
                        const struct policy_app_filter *f, json_t **out, struct err *e)
{
    struct access_scope sc;
    policy_grant__scope(p, &sc);
    struct stmt *st;
    enum rc rc = store_prepare(
        c,
        "SELECT " AROW_COLS AROW_FROM "WHERE " PG_SCOPE_SQL(
            "a.credit_code", "a.org_id",
            "e.region") " AND (? = 0 OR a.policy_id = ?) AND (? = '' OR a.state = ?) AND (? = '' "
                        "OR "
                        "a.credit_code = ?) AND (? <= 0 OR a.id < ?) ORDER BY a.id DESC LIMIT ?",
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
    store_bind_int(st, 12, f->before_id);
    store_bind_int(st, 13, f->before_id);
    store_bind_int(st, 14, f->limit > 0 ? f->limit : 50);
    json_t *items = json_array();
    while ((rc = store_step(st, e)) == RC_ROW)
        json_array_append_new(items, app_json(p, st));
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(items);
        return rc;
    }
    *out = items;
    return RC_OK;
}

static enum rc app_row(struct conn *c, const struct principal *p, int64_t id, struct stmt **out,
                       struct err *e)
{
    struct access_scope sc;
    policy_grant__scope(p, &sc);
    return access_one(c,
                      "SELECT " AROW_COLS AROW_FROM
                      "WHERE a.id = ? AND " PG_SCOPE_SQL("a.credit_code", "a.org_id", "e.region"),
                      id, &sc, "申请不存在或无权查看", out, e);
}

enum rc policy_app_get(struct conn *c, const struct principal *p, int64_t id, json_t **out,
                       struct err *e)
{
    struct stmt *st;
    enum rc rc = app_row(c, p, id, &st, e);
    if (rc)
        return rc;
    *out = app_json(p, st);
    store_finish(st);
    return RC_OK;
}

/* ---- the workflow ---------------------------------------------------------------------- */

enum { AS_SUBMITTED, AS_APPROVED, AS_REJECTED, AS_MORE_INFO, AS_WITHDRAWN, AS__N };

/* What policy_app_act hands the hooks (flow_call.ctx). */
struct app_ctx {
    struct policy_holder *h;
    const struct policy_snap *s; /* the policies in force, taken before the transaction */
};

struct arow {
    int64_t id, org_id, policy_id, version, amount;
    int policy_version;
    char credit[24];
};

/* One action on an application: the row as loaded and what the action decides. */
struct acall {
    struct arow rec;  /* first: flow_call.rec points here */
    struct arow next; /* unchanged: the action's writes are the fields below */
    struct pg_policy pol;
    const char *note, *reason; /* the request's */
    bool decided;              /* approve, reject: the reviewer and the time of decision */
    bool resubmitted;          /* resubmit: the time of submission */
    struct ent_fact_in facts[APP_MAX_FACTS];
    size_t n_facts;
};

static enum rc app_load(struct flow_call *x, struct err *e)
{
    struct acall *ac = xcalloc(1, sizeof(*ac));
    x->rec = &ac->rec;
    x->next = &ac->next;
    ac->note = x->note;
    struct stmt *st;
    enum rc rc = jsonx_get_str(x->params, "reason", false, 1000, &ac->reason, e);
    if (rc == RC_OK)
        rc = app_row(x->c, x->p, x->id, &st, e);
    if (rc)
        return rc;
    struct arow *r = &ac->rec;
    r->id = store_int(st, 0);
    r->policy_id = store_int(st, 1);
    r->policy_version = (int)store_int(st, 2);
    r->org_id = store_int(st, 4);
    r->amount = store_isnull(st, 9) ? -1 : store_int(st, 9);
    r->version = store_int(st, 15);
    mem_copy_text(r->credit, sizeof(r->credit), store_text(st, 3));
    x->from = flow_state_parse(&policy_app_flow, store_text(st, 5));
    x->rels = policy_grant__rels(x->p, r->org_id, r->credit);
    store_finish(st);
    ac->next = ac->rec;
    return policy_grant__policy(x->c, r->policy_id, &ac->pol, e);
}

static void app_release(struct flow_call *x)
{
    struct acall *ac = x->rec;
    if (ac)
        free_facts(ac->facts, ac->n_facts);
    xfree(ac);
}

/* Claims the row at the version read, so two reviewers cannot both decide it. */
static enum rc app_save(struct flow_call *x, struct err *e)
{
    const struct acall *ac = x->rec;
    struct stmt *st;
    enum rc rc = store_prepare(x->c,
                               "UPDATE applications SET state = ?, reason = COALESCE(?, reason), "
                               "reviewer = CASE WHEN ? THEN ? ELSE reviewer END, decided_at = "
                               "CASE WHEN ? THEN ? ELSE decided_at END, submitted_at = CASE WHEN "
                               "? THEN ? ELSE submitted_at END, updated_at = ?, version = version "
                               "+ 1 WHERE id = ? AND version = ?",
                               &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, flow_state_name(&policy_app_flow, x->to));
    store_bind_text(st, 2, ac->reason);
    store_bind_int(st, 3, (x->a->rels & PGR_ISSUER) != 0);
    store_bind_text(st, 4, x->p->actor.name);
    store_bind_int(st, 5, ac->decided);
    store_bind_int(st, 6, x->now);
    store_bind_int(st, 7, ac->resubmitted);
    store_bind_int(st, 8, x->now);
    store_bind_int(st, 9, x->now);
    store_bind_int(st, 10, ac->rec.id);
    store_bind_int(st, 11, ac->rec.version);
    return flow_save_run(st, "申请", e);
}

/* The audit image: the state, and after it the event's note. */
static json_t *app_image(const struct flow_call *x, const void *rec)
{
    if (rec == x->rec)
        return json_pack("{s:s}", "state", flow_state_name(&policy_app_flow, x->from));
    json_t *j = json_pack("{s:s}", "state", flow_state_name(&policy_app_flow, x->to));
    if (x->note)
        json_object_set_new(j, "note", json_string(x->note));
    return j;
}

/* Typed facts come with a resubmission only. */
static enum rc no_facts(const struct flow_call *x, struct err *e)
{
    if (json_object_get(x->params, "facts"))
        return err_set(e, RC_INVALID, "facts", "只有重新提交时可以填写数据");
    return RC_OK;
}

static enum rc app_approve(struct flow_call *x, struct err *e)
{
    struct acall *ac = (struct acall *)x->rec;
    int64_t amount = ac->rec.amount;
    enum rc rc = no_facts(x, e);
    if (rc == RC_OK && json_object_get(x->params, "amount"))
        rc = jsonx_get_int(x->params, "amount", false, 0, INT64_MAX / 4, &amount, e);
    if (rc == RC_OK)
        rc = approve(x->c, x->p, &ac->pol, ac->rec.id, ac->rec.credit, ac->rec.policy_version,
                     amount, false, x->now, e);
    ac->decided = true;
    x->note = NULL;
    return rc;
}

/* reject and request_info: a reason is required; it is the event's note. */
static enum rc app_refuse(struct flow_call *x, const char *missing, bool decided, struct err *e)
{
    struct acall *ac = (struct acall *)x->rec;
    if (!ac->reason)
        return err_set(e, RC_INVALID, "reason", "%s", missing);
    ac->decided = decided;
    x->note = ac->reason;
    return no_facts(x, e);
}

static enum rc app_reject(struct flow_call *x, struct err *e)
{
    return app_refuse(x, "驳回须说明理由", true, e);
}

static enum rc app_request_info(struct flow_call *x, struct err *e)
{
    return app_refuse(x, "请说明需要补充的材料或数据", false, e);
}

static enum rc app_withdraw(struct flow_call *x, struct err *e)
{
    const struct acall *ac = x->rec;
    if (ac->reason)
        x->note = ac->reason;
    return no_facts(x, e);
}

/*
 * Resubmission: the typed facts are stored, the policy evaluated again under the version
 * in force, and the application decided as a new one: approved at once (event
 * auto_approve) or back in the department's queue.
 */
static enum rc app_resubmit(struct flow_call *x, struct err *e)
{
    struct acall *ac = (struct acall *)x->rec;
    const struct app_ctx *ctx = x->ctx;
    const struct arow *r = &ac->rec;
    char as_of[16];
    today_text(x->now, as_of);
    struct verdict v;
    enum rc rc = evaluate(x->c, ctx->h, ctx->s, r->policy_id, r->credit, &v, e);
    if (rc)
        return rc;
    rc = parse_facts(policy_holder_catalog(ctx->h), json_object_get(x->params, "facts"), v.facts,
                     ac->facts, &ac->n_facts, as_of, e);
    verdict_cleanup(&v);
    if (rc == RC_OK)
        rc = store_facts(x->c, x->p, r->credit, ac->facts, ac->n_facts, x->now, e);
    if (rc == RC_OK)
        rc = evaluate(x->c, ctx->h, ctx->s, r->policy_id, r->credit, &v, e);
    if (rc)
        return rc;
    ac->pol.version = v.version; /* decided again, under the version in force */
    char *outcome = jsonx_canonical(v.outcome);
    struct stmt *st;
    rc = store_prepare(x->c,
                       "UPDATE applications SET outcome = ?, amount_fen = ?, policy_version = ? "
                       "WHERE id = ?",
                       &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, outcome);
        policy_grant__bind_opt(st, 2, v.amount);
        store_bind_int(st, 3, ac->pol.version);
        store_bind_int(st, 4, r->id);
        rc = store_run(st, e);
        store_finish(st);
    }
    xfree(outcome);
    ac->resubmitted = true;
    x->to = AS_SUBMITTED;
    x->note = NULL;
    if (rc == RC_OK && automatic(&ac->pol, &v)) {
        rc = approve(x->c, x->p, &ac->pol, r->id, r->credit, ac->pol.version, v.amount, true,
                     x->now, e);
        x->to = AS_APPROVED;
        x->event = "auto_approve";
        x->note = AUTO_NOTE;
    }
    verdict_cleanup(&v);
    return rc;
}

/* A notice "<action>：<policy>" to the enterprise, with the reason. */
static enum rc app_tell_enterprise(struct flow_call *x, struct err *e)
{
    const struct acall *ac = x->rec;
    char title[600];
    snprintf(title, sizeof(title), "%s：%s", x->a->label, ac->pol.title);
    struct flow_to to = {0, 0, ac->rec.credit};
    return flow_notify(x, &to, "application_decided", title, ac->reason ? ac->reason : "", e);
}

/* A resubmission back in the queue is announced to the department (an approval was
 * announced by its grant). */
static enum rc app_tell_reviewers(struct flow_call *x, struct err *e)
{
    const struct acall *ac = x->rec;
    if (x->to != AS_SUBMITTED)
        return RC_OK;
    return tell_reviewers(x->c, &ac->pol, ac->rec.id, ac->rec.credit, x->now, e);
}

static enum rc app_readable(struct conn *c, const struct principal *p, int64_t id, struct err *e)
{
    struct stmt *st;
    enum rc rc = app_row(c, p, id, &st, e);
    if (rc == RC_OK)
        store_finish(st);
    return rc;
}

static const struct flow_state app_states[AS__N] = {
    {"submitted", "待审核"},     {"approved", "已通过"},  {"rejected", "未通过"},
    {"more_info", "待补充材料"}, {"withdrawn", "已撤回"},
};
/* The application's workflow: submitted → approved | rejected | more_info (by the issuing
 * department); more_info → submitted again (resubmit, which may approve at once) or
 * rejected; the enterprise may withdraw while it waits. */
#define B FLOW_BIT
static const struct flow_action app_actions[] = {
    {"approve", "审核通过", B(AS_SUBMITTED), PGR_ISSUER, AS_APPROVED, 0, 0, 0, app_approve, NULL},
    {"reject", "驳回", B(AS_SUBMITTED) | B(AS_MORE_INFO), PGR_ISSUER, AS_REJECTED, 0, 0, 0,
     app_reject, app_tell_enterprise},
    {"request_info", "要求补充材料", B(AS_SUBMITTED), PGR_ISSUER, AS_MORE_INFO, 0, 0, 0,
     app_request_info, app_tell_enterprise},
    {"resubmit", "重新提交", B(AS_MORE_INFO), PGR_OWNER, FLOW_DECIDED, 0, 0, 0, app_resubmit,
     app_tell_reviewers},
    {"withdraw", "撤回申请", B(AS_SUBMITTED) | B(AS_MORE_INFO), PGR_OWNER, AS_WITHDRAWN, 0, 0, 0,
     app_withdraw, NULL},
};
#undef B
static const struct flow_label app_rels[] = {
    {"owner", "申请企业"},
    {"issuer", "政策发布部门的政策专员（审核）"},
};
/* Events written outside the table: a new application, and an approval at once. */
static const struct flow_label app_events[] = {
    {"submit", "提交申请"},
    {"auto_approve", "自动审核通过"},
    {"attach", "上传材料"},
};
static const char *const app_fields[] = {"reason", "amount", "facts", NULL};

const struct flow policy_app_flow = {
    .entity = "application",
    .label = "政策申请",
    .states = app_states,
    .n_states = AS__N,
    .actions = app_actions,
    .n_actions = FLOW_N(app_actions),
    .rels = app_rels,
    .n_rels = FLOW_N(app_rels),
    .events = app_events,
    .n_events = FLOW_N(app_events),
    .fields = app_fields,
    .note_max = 1000,
    .load = app_load,
    .save = app_save,
    .image = app_image,
    .release = app_release,
    .readable = app_readable,
};

enum rc policy_app_act(struct conn *c, struct policy_holder *h, const struct principal *p,
                       int64_t id, const json_t *params, struct err *e)
{
    /* One snapshot for the whole call, taken outside the transaction. */
    struct policy_snap *s = policy_current(h, c);
    struct app_ctx ctx = {h, s};
    enum rc rc = flow_act(&policy_app_flow, c, p, &ctx, id, params, time_now_ms(), e);
    policy_release(h, s);
    return rc;
}
