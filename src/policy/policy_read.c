/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_read: what policies look like to their readers (policy.h): one policy with its
 * rendered conditions (policy_get), its versions, the public list with its filters,
 * the JsonLogic export, and the answer of an action (policy_act runs the lifecycle of
 * policy_flow.c, refreshes the set in force, then shows the policy as policy_get).
 */
#include <stdio.h>
#include <string.h>

#include "../audit/audit.h"
#include "../auth/auth.h"
#include "../base/buf.h"
#include "../base/jsonx.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../codes/codes.h"
#include "../flow/flow.h"
#include "../ent/ent.h"
#include "../rules/rules.h"
#include "../store/store.h"
#include "policy_int.h"

static const char *delivery_label(const char *d)
{
    const char *l = policy_delivery_label(d);
    return l ? l : "";
}

static const char *state_label(const char *s)
{
    return flow_state_label(&policy_flow, flow_state_parse(&policy_flow, s));
}

/* ---- reading ---------------------------------------------------------------------- */

/* Strips what an explanation says about one enterprise, keeping the rule's shape. */
static void strip_explanation(json_t *node)
{
    json_object_del(node, "status");
    json_object_del(node, "actual");
    json_object_del(node, "text");
    size_t i;
    json_t *ch;
    json_array_foreach(json_object_get(node, "children"), i, ch)
    {
        strip_explanation(ch);
    }
}

/*
 * The conditions of a version rendered for people: the explanation tree of an
 * enterprise without any fact, stripped of what it says about that enterprise, so the
 * labels, expected values and sources are the ones the row evaluator shows.
 */
static json_t *render_conditions(struct policy_holder *h, const struct rules_named *named,
                                 const json_t *meta, const json_t *rules, int64_t id, char *why,
                                 size_t why_n)
{
    struct rules_policy *pol = NULL;
    struct err e;
    err_clear(&e);
    if (!json_object_get(rules, "conditions")) {
        snprintf(why, why_n, "尚未填写享受条件");
        return NULL;
    }
    if (policy__compile(policy_holder_rules_catalog(h), named, meta, rules, id, &pol, &e)) {
        snprintf(why, why_n, "%s", e.msg);
        return NULL;
    }
    struct rules_set *set = rules_set_new(policy_holder_rules_catalog(h), &pol, 1);
    struct rules_facts *f = rules_facts_new(policy_holder_rules_catalog(h));
    struct rules_row *row = NULL;
    json_t *out = NULL;
    if (rules_eval(set, f, policy__today(NULL), RULES_EXPLAIN, &row, &e) == RC_OK && row->n == 1 &&
        (out = rules_result_explanation(&row->results[0])) != NULL) {
        strip_explanation(out);
    } else {
        snprintf(why, why_n, "%s", e.msg);
    }
    rules_row_free(row);
    rules_facts_free(f);
    rules_set_free(set);
    return out;
}

static json_t *version_json(struct policy_holder *h, const struct rules_named *named,
                            const json_t *meta, const json_t *rules, int64_t id, int v,
                            const char *vstate, int64_t published_at)
{
    json_t *j = json_deep_copy(meta);
    json_object_set_new(j, "version", json_integer(v));
    json_object_set_new(j, "version_state", json_string(vstate));
    json_object_set_new(j, "published_at", policy__time_json(published_at));
    json_object_set_new(
        j, "delivery_label",
        json_string(delivery_label(json_string_value(json_object_get(meta, "delivery")))));
    json_object_set(j, "rules", policy__unconst(rules));
    char why[256] = "";
    json_t *cond = render_conditions(h, named, meta, rules, id, why, sizeof(why));
    json_object_set_new(j, "conditions", cond ? cond : json_null());
    if (!cond)
        json_object_set_new(j, "conditions_note", json_string(why));
    return j;
}

/* The names of the actions in a flow_actions_json array (policy answers list names);
 * steals actions. */
static json_t *action_names(json_t *actions)
{
    json_t *names = json_array(), *a;
    size_t i;
    json_array_foreach(actions, i, a)
    {
        json_array_append(names, json_object_get(a, "action"));
    }
    json_decref(actions);
    return names;
}

enum rc policy_get(struct conn *c, struct policy_holder *h, const struct principal *p, int64_t id,
                   int version, json_t **out, struct err *e)
{
    struct prow r;
    json_t *meta = NULL, *rules = NULL;
    struct rules_named *named = NULL;
    char vstate[16], today[11];
    int64_t published_at = 0;
    policy__today(today);
    enum rc rc = policy__load_row(c, p, id, false, &r, e);
    if (rc)
        return rc;
    bool editor = policy__editor_of(p, r.org_id);
    int v = version > 0 ? version : r.published_version ? r.published_version : r.version;
    if (version < 0 && editor && policy__draft_version(&r))
        v = policy__draft_version(&r);
    rc = policy__load_version(c, id, v, &meta, &rules, vstate, &published_at, e);
    if (rc == RC_OK && !published_at && !editor)
        rc = err_set(e, RC_NOTFOUND, "version", "政策版本 %d 不存在", v);
    json_t *pins = NULL;
    if (rc == RC_OK)
        rc = policy__load_pins(c, id, v, &pins, e);
    if (rc == RC_OK)
        rc = pins ? policy__named_pinned(c, pins, &named, e) : policy__load_named(c, &named, e);
    if (rc) {
        json_decref(pins);
        json_decref(meta);
        json_decref(rules);
        return rc;
    }
    json_t *j = version_json(h, named, meta, rules, id, v, vstate, published_at);
    /* The named condition versions a published version pinned (null: a draft, current). */
    json_object_set_new(j, "condition_versions", pins ? pins : json_null());
    const char *eff = policy__effective_state(&r, today);
    json_object_set_new(j, "id", policy_id_json(id));
    json_object_set_new(j, "state", json_string(eff));
    json_object_set_new(j, "state_label", json_string(state_label(eff)));
    json_object_set_new(j, "org", json_pack("{s:s, s:s}", "code", r.org_code, "name", r.org_name));
    json_object_set_new(j, "latest_version", json_integer(r.version));
    json_object_set_new(j, "published_version",
                        r.published_version ? json_integer(r.published_version) : json_null());
    json_object_set_new(j, "created_at", policy__time_json(r.created_at));
    json_object_set_new(j, "updated_at", policy__time_json(r.updated_at));
    json_object_set_new(j, "withdrawn_at", policy__time_json(r.withdrawn_at));
    bool in_force = strcmp(eff, "published") == 0 &&
                    (!json_string_value(json_object_get(meta, "valid_from")) ||
                     strcmp(json_string_value(json_object_get(meta, "valid_from")), today) <= 0);
    json_object_set_new(j, "in_force", json_boolean(in_force));
    json_object_set_new(j, "can_edit", json_boolean(editor));
    /* Editors are offered adopt_conditions when a condition the version in force pinned
     * has a newer version (the republish shows the diff). */
    bool outdated = false;
    if (editor && pins && strcmp(r.state, "published") == 0 && !policy__draft_version(&r) &&
        v == r.published_version) {
        struct err ignored;
        if (policy__conditions_outdated(c, rules, pins, &outdated, &ignored))
            outdated = false;
    }
    unsigned conds = (policy__draft_version(&r) ? PC_DRAFT : 0) | (outdated ? PC_OUTDATED : 0);
    json_object_set_new(
        j, "actions",
        action_names(flow_actions_json(&policy_flow, policy__rels_of(p, r.org_id),
                                       flow_state_parse(&policy_flow, eff), conds)));
    if (editor)
        json_object_set_new(j, "conditions_outdated", json_boolean(outdated));
    if (editor) {
        int dv = policy__draft_version(&r);
        json_object_set_new(j, "draft_version", dv ? json_integer(dv) : json_null());
    }
    rules_named_free(named);
    json_decref(meta);
    json_decref(rules);
    *out = j;
    return RC_OK;
}

enum rc policy_versions(struct conn *c, const struct principal *p, int64_t id, json_t **out,
                        struct err *e)
{
    struct prow r;
    enum rc rc = policy__load_row(c, p, id, false, &r, e);
    if (rc)
        return rc;
    bool editor = policy__editor_of(p, r.org_id);
    struct stmt *st;
    rc = store_prepare(c,
                       "SELECT version, state, note, created_by, created_at, updated_at, "
                       "published_by, published_at, meta FROM policy_versions WHERE policy_id = ? "
                       "ORDER BY version",
                       &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, id);
    json_t *items = json_array();
    while ((rc = store_step(st, e)) == RC_ROW) {
        if (store_isnull(st, 7) && !editor)
            continue;
        json_t *meta = json_loads(store_text(st, 8), 0, NULL);
        json_array_append_new(
            items,
            json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "version",
                      (json_int_t)store_int(st, 0), "state", store_text(st, 1), "note",
                      store_text(st, 2), "created_by", store_text(st, 3), "created_at",
                      policy__time_json(store_int(st, 4)), "updated_at",
                      policy__time_json(store_int(st, 5)), "published_by",
                      policy__json_str_or_null(store_text(st, 6)), "published_at",
                      policy__time_json(store_int(st, 7)), "title",
                      policy__json_str_or_null(json_string_value(json_object_get(meta, "title")))));
        json_decref(meta);
    }
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(items);
        return rc;
    }
    *out = items;
    return RC_OK;
}

/* ---- the list ----------------------------------------------------------------------- */

static bool region_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 6)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* Attaches the region scopes and tags of the listed policies (ids lo..hi). */
static enum rc attach_sets(struct conn *c, json_t *items, int64_t lo, int64_t hi, struct err *e)
{
    static const char *const sql[] = {
        "SELECT policy_id, prefix FROM policy_regions WHERE policy_id >= ? AND policy_id <= ? "
        "ORDER BY policy_id, prefix",
        "SELECT policy_id, tag FROM policy_tags WHERE policy_id >= ? AND policy_id <= ? ORDER BY "
        "policy_id, tag"};
    static const char *const key[] = {"region_scope", "tags"};
    json_t *by_id = json_object();
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        json_object_set(by_id, json_string_value(json_object_get(it, "id")), it);
        json_object_set_new(it, "region_scope", json_array());
        json_object_set_new(it, "tags", json_array());
    }
    enum rc rc = RC_OK;
    for (int q = 0; q < 2 && rc == RC_OK; q++) {
        struct stmt *st;
        if ((rc = store_prepare(c, sql[q], &st, e)))
            break;
        store_bind_int(st, 1, lo);
        store_bind_int(st, 2, hi);
        while ((rc = store_step(st, e)) == RC_ROW) {
            char k[24];
            snprintf(k, sizeof(k), "%lld", (long long)store_int(st, 0));
            json_t *item = json_object_get(by_id, k);
            if (item)
                json_array_append_new(json_object_get(item, key[q]),
                                      json_string(store_text(st, 1)));
        }
        store_finish(st);
        if (rc == RC_DONE)
            rc = RC_OK;
    }
    json_decref(by_id);
    return rc;
}

enum rc policy_list(struct conn *c, const struct principal *p, const struct policy_filter *f,
                    json_t **out, struct err *e)
{
    char today[11];
    policy__today(today);
    bool admin = access_can(p, ACCESS_SCOPE_ALL);
    bool officer = !admin && access_can(p, ACCESS_POLICY_ISSUE);
    const char *state = f->state ? f->state : "published";
    if (f->delivery && !policy_delivery_label(f->delivery))
        return err_set(e, RC_INVALID, "delivery", "兑现方式应为 mian_shen、ji_shen 或 shen_bao");
    if (f->region && !region_ok(f->region))
        return err_set(e, RC_INVALID, "region", "行政区划代码应为 2 到 6 位数字");
    if (f->q && (!*f->q || utf8_len(f->q) > 50))
        return err_set(e, RC_INVALID, "q", "搜索词长度应为 1 到 50 个字符");
    struct buf sql;
    buf_init(&sql, 8192);
    enum rc rc = buf_puts(&sql, "SELECT " PROW_COLS ", p.title, p.doc_no, p.summary, p.delivery, "
                                "p.category, p.valid_from FROM policies p JOIN orgs o ON o.id = "
                                "p.org_id WHERE p.id > ?");
    /* Which states: drafts only for their editors. */
    const char *sc = NULL;
    if (strcmp(state, "published") == 0)
        sc = " AND p.state = 'published' AND (p.valid_to IS NULL OR p.valid_to >= ?)";
    else if (strcmp(state, "expired") == 0)
        sc = " AND (p.state = 'expired' OR (p.state = 'published' AND p.valid_to < ?))";
    else if (strcmp(state, "withdrawn") == 0)
        sc = " AND p.state = 'withdrawn' AND CAST(? AS TEXT) IS NOT NULL";
    else if (strcmp(state, "draft") == 0 || strcmp(state, "all") == 0) {
        if (!admin && !officer) {
            buf_cleanup(&sql);
            return err_set(e, RC_FORBIDDEN, "state", "只有政策专员可以查看草稿");
        }
        sc = strcmp(state, "draft") == 0
                 ? (admin
                        ? " AND p.state = 'draft' AND CAST(? AS TEXT) IS NOT NULL"
                        : " AND p.state = 'draft' AND CAST(? AS TEXT) IS NOT NULL AND p.org_id = ?")
                 : (admin ? " AND CAST(? AS TEXT) IS NOT NULL"
                          : " AND CAST(? AS TEXT) IS NOT NULL AND (p.state <> 'draft' OR p.org_id "
                            "= ?)");
    } else {
        buf_cleanup(&sql);
        return err_set(e, RC_INVALID, "state",
                       "state 应为 published、expired、withdrawn、draft 或 all");
    }
    bool bind_org = (strcmp(state, "draft") == 0 || strcmp(state, "all") == 0) && !admin;
    if (rc == RC_OK)
        rc = buf_puts(&sql, sc);
    if (rc == RC_OK && f->org)
        rc = buf_puts(&sql, " AND o.code = ?");
    if (rc == RC_OK && f->delivery)
        rc = buf_puts(&sql, " AND p.delivery = ?");
    if (rc == RC_OK && f->category)
        rc = buf_puts(&sql, " AND p.category = ?");
    if (rc == RC_OK && f->tag)
        rc = buf_puts(&sql, " AND EXISTS (SELECT 1 FROM policy_tags t WHERE t.policy_id = p.id "
                            "AND t.tag = ?)");
    if (rc == RC_OK && f->region)
        rc = buf_puts(&sql, " AND EXISTS (SELECT 1 FROM policy_regions r WHERE r.policy_id = p.id "
                            "AND r.prefix IN (?, ?, ?))");
    static const struct store_search search = {"policies", "p",
                                               "(p.title || ' ' || p.summary || ' ' || p.doc_no)"};
    char *pattern = NULL;
    if (rc == RC_OK && f->q)
        rc = store_search_sql(c, &search, f->q, &sql, &pattern);
    if (rc == RC_OK)
        rc = buf_puts(&sql, " ORDER BY p.id LIMIT ?");
    struct stmt *st = NULL;
    if (rc == RC_OK)
        rc = store_prepare(c, buf_str(&sql), &st, e);
    buf_cleanup(&sql);
    if (rc) {
        xfree(pattern);
        return rc == RC_TOOLARGE ? err_set(e, RC_INTERNAL, NULL, "query too long") : rc;
    }
    int i = 1;
    store_bind_int(st, i++, f->after_id);
    store_bind_text(st, i++, today);
    if (bind_org)
        store_bind_int(st, i++, p->org_id);
    if (f->org)
        store_bind_text(st, i++, f->org);
    if (f->delivery)
        store_bind_text(st, i++, f->delivery);
    if (f->category)
        store_bind_text(st, i++, f->category);
    if (f->tag)
        store_bind_text(st, i++, f->tag);
    if (f->region) {
        /* The scope prefixes that cover the region: its first 2, 4 and 6 digits. */
        for (size_t n = 2; n <= 6; n += 2)
            store_bind_textn(st, i++, f->region, strlen(f->region) >= n ? n : strlen(f->region));
    }
    if (f->q)
        store_bind_text(st, i++, pattern);
    store_bind_int(st, i++, f->limit);
    json_t *items = json_array();
    int64_t lo = 0, hi = 0;
    while ((rc = store_step(st, e)) == RC_ROW) {
        struct prow r;
        policy__prow_read(st, &r);
        const char *eff = policy__effective_state(&r, today);
        const char *delivery = store_text(st, 17);
        json_t *it = json_pack(
            "{s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:o, s:o, s:o, s:o, s:o}",
            "id", policy_id_json(r.id), "state", eff, "state_label", state_label(eff), "title",
            store_text(st, 14), "doc_no", store_text(st, 15), "summary", store_text(st, 16),
            "delivery", delivery, "delivery_label", delivery_label(delivery), "category",
            store_text(st, 18), "org", "code", r.org_code, "name", r.org_name, "valid_from",
            policy__json_str_or_null(store_text(st, 19)), "valid_to",
            policy__json_str_or_null(r.valid_to[0] ? r.valid_to : NULL), "version",
            json_integer(r.published_version ? r.published_version : r.version), "published_at",
            policy__time_json(r.published_at), "updated_at", policy__time_json(r.updated_at));
        if (policy__editor_of(p, r.org_id))
            json_object_set_new(it, "latest_version", json_integer(r.version));
        json_array_append_new(items, it);
        if (!lo)
            lo = r.id;
        hi = r.id;
    }
    store_finish(st);
    xfree(pattern);
    if (rc == RC_DONE)
        rc = lo ? attach_sets(c, items, lo, hi, e) : RC_OK;
    if (rc) {
        json_decref(items);
        return rc;
    }
    *out = items;
    return RC_OK;
}

enum rc policy_jsonlogic(struct conn *c, struct policy_holder *h, const struct principal *p,
                         int64_t id, json_t **out, struct err *e)
{
    struct prow r;
    json_t *meta = NULL, *rules = NULL;
    struct rules_named *named = NULL;
    struct rules_policy *pol = NULL;
    enum rc rc = policy__load_row(c, p, id, false, &r, e);
    if (rc)
        return rc;
    int v = r.published_version ? r.published_version : r.version;
    rc = policy__load_version(c, id, v, &meta, &rules, NULL, NULL, e);
    if (rc == RC_OK)
        rc = policy__named_for(c, id, v, &named, e);
    if (rc == RC_OK && !json_object_get(rules, "conditions"))
        rc = err_set(e, RC_STATE, NULL, "尚未填写享受条件");
    if (rc == RC_OK)
        rc = policy__compile(policy_holder_rules_catalog(h), named, meta, rules, id, &pol, e);
    if (rc == RC_OK)
        *out = json_pack("{s:o, s:i, s:o, s:s}", "policy_id", policy_id_json(id), "version", v,
                         "jsonlogic", rules_to_jsonlogic(pol), "semantics",
                         "complete-data: every fact present; money in fen");
    rules_policy_free(pol);
    rules_named_free(named);
    json_decref(meta);
    json_decref(rules);
    return rc;
}

/* ---- acting: the lifecycle run and shown ------------------------------------------- */

enum rc policy_act(struct conn *c, struct policy_holder *h, const struct principal *p, int64_t id,
                   const json_t *params, json_t **out, struct err *e)
{
    struct pol_result res = {0};
    struct pol_ctx ctx = {h, &res};
    enum rc rc = flow_act(&policy_flow, c, p, &ctx, id, params, time_now_ms(), e);
    if (rc == RC_OK && res.changed_set) {
        struct err ignored;
        if (policy_refresh(h, c, &ignored))
            log_warn("policy: refresh after %s failed: %s",
                     json_string_value(json_object_get(params, "action")), ignored.msg);
    }
    if (rc == RC_OK)
        rc = policy_get(c, h, p, id, res.validated, out, e);
    if (rc == RC_OK && res.diff)
        json_object_set(*out, "conditions_diff", res.diff);
    if (rc == RC_OK && res.validated)
        json_object_set_new(*out, "validation",
                            json_pack("{s:b, s:s}", "ok", 1, "message", "规则校验通过，可以发布"));
    json_decref(res.diff);
    return rc;
}

enum rc policy_actions(struct conn *c, const struct principal *p, int64_t id, json_t **out,
                       struct err *e)
{
    struct prow r;
    char today[11];
    unsigned conds = 0;
    policy__today(today);
    enum rc rc = policy__load_row(c, p, id, false, &r, e);
    if (rc == RC_OK && policy__rels_of(p, r.org_id))
        rc = policy__conds_of(c, &r, &conds, e);
    if (rc == RC_OK)
        *out = flow_actions_json(&policy_flow, policy__rels_of(p, r.org_id),
                                 flow_state_parse(&policy_flow, policy__effective_state(&r, today)),
                                 conds);
    return rc;
}
