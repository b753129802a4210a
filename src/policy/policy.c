/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy: the policy document, its rows and versions, create and update (see policy.h).
 * The rest of src/policy/policy.h's policies is split by concern: policy_read.c (get,
 * versions, the list, JsonLogic, and the answer of an action), policy_flow.c (the
 * lifecycle, a src/flow table), policy_cond.c (named conditions and the pins of
 * versions). Calls go one way: policy_read.c -> policy_flow.c -> policy.c ->
 * policy_cond.c -> policy_set.c -> policy_named.c.
 *
 * Invariant: the descriptive columns of a policies row (title ... tags, regions) are
 * those of its version in force — the published version, or version 1 while the policy
 * was never published; policy__policy__sync_row() is the only writer. A version row with
 * published_at set is never changed again except for its state (published → superseded); its
 * cond_pins (the named condition versions it compiles with) are written in the
 * transaction that publishes it.
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

/* ---- helpers ------------------------------------------------------------------ */

/* May p edit (and see the drafts of) the policies of org_id? Its issuing department
 * (policy.issue), or anyone whose scope is every record (scope.all). */
bool policy__editor_of(const struct principal *p, int64_t org_id)
{
    return p && (access_can(p, ACCESS_SCOPE_ALL) ||
                 (access_can(p, ACCESS_POLICY_ISSUE) && p->org_id == org_id));
}

json_t *policy__json_str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* Parses stored JSON text; a broken row is an internal error, never a crash. */
static enum rc parse_stored(const char *text, json_t **out, struct err *e)
{
    *out = text ? json_loads(text, 0, NULL) : NULL;
    if (!*out)
        return err_set(e, RC_INTERNAL, NULL, "stored policy JSON is unreadable");
    return RC_OK;
}

/* ---- the policy document ---------------------------------------------------------- */

static const char *const doc_members[] = {"title",    "doc_no",       "summary",    "delivery",
                                          "org",      "region_scope", "valid_from", "valid_to",
                                          "contact",  "materials",    "category",   "tags",
                                          "articles", "rules",        "note",       NULL};

/* Region scope prefix: 2, 4 or 6 digits naming an existing division. */
static bool scope_prefix_ok(const char *s)
{
    size_t n = strlen(s);
    if (n != 2 && n != 4 && n != 6)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    char code[7] = "000000";
    memcpy(code, s, n);
    return codes_region_find(code) != NULL;
}

static enum rc opt_text(const json_t *doc, const char *key, size_t max, json_t *meta, struct err *e)
{
    const char *s = NULL;
    enum rc rc = jsonx_get_str(doc, key, false, max, &s, e);
    if (rc == RC_OK)
        json_object_set_new(meta, key, json_string(s ? s : ""));
    return rc;
}

static enum rc check_strings(const json_t *arr, const char *key, size_t max_items, size_t max_len,
                             struct err *e)
{
    if (!json_is_array(arr) || json_array_size(arr) > max_items)
        return err_set(e, RC_INVALID, key, "%s 应为不超过 %zu 项的字符串数组", key, max_items);
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *s = json_string_value(v);
        if (!s || !*s || utf8_len(s) > max_len)
            return err_set(e, RC_INVALID, key, "%s[%zu] 应为 1 到 %zu 个字符的字符串", key, i,
                           max_len);
    }
    return RC_OK;
}

/*
 * Checks a whole policy document and splits it into the normalised meta (new) and the
 * rule document (new reference; {} when absent). The rules are compiled when they have
 * conditions, or always with need_conditions (publishing).
 */
enum rc policy__check_doc(struct policy_holder *h, const struct rules_named *named,
                          const json_t *doc, bool need_conditions, json_t **meta_out,
                          json_t **rules_out, struct err *e)
{
    *meta_out = *rules_out = NULL;
    if (!json_is_object(doc))
        return err_set(e, RC_INVALID, NULL, "政策内容应为 JSON 对象");
    json_t *meta = json_object();
    const char *s = NULL;
    enum rc rc = jsonx_only(doc, doc_members, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(doc, "title", true, POLICY_TITLE_MAX, &s, e);
    if (rc == RC_OK)
        json_object_set_new(meta, "title", json_string(s));
    if (rc == RC_OK)
        rc = opt_text(doc, "doc_no", POLICY_DOC_NO_MAX, meta, e);
    if (rc == RC_OK)
        rc = opt_text(doc, "summary", POLICY_SUMMARY_MAX, meta, e);
    if (rc == RC_OK)
        rc = opt_text(doc, "category", 40, meta, e);
    s = NULL;
    if (rc == RC_OK)
        rc = jsonx_get_str(doc, "delivery", true, 16, &s, e);
    if (rc == RC_OK && !policy_delivery_label(s))
        rc = err_set(
            e, RC_INVALID, "delivery",
            "兑现方式应为 mian_shen（免申即享）、ji_shen（即申即享）或 shen_bao（申报审批）");
    if (rc == RC_OK)
        json_object_set_new(meta, "delivery", json_string(s));
    /* Region scope: required, existing GB/T 2260 prefixes. */
    json_t *scope = json_object_get(doc, "region_scope");
    if (rc == RC_OK && (!scope || json_array_size(scope) == 0))
        rc = err_set(e, RC_INVALID, "region_scope", "请填写政策适用区域（行政区划代码前缀）");
    if (rc == RC_OK)
        rc = check_strings(scope, "region_scope", POLICY_MAX_SCOPE, 6, e);
    if (rc == RC_OK) {
        size_t i;
        json_t *v;
        json_array_foreach(scope, i, v)
        {
            if (!scope_prefix_ok(json_string_value(v))) {
                rc = err_set(
                    e, RC_INVALID, "region_scope",
                    "region_scope[%zu]: 行政区划代码前缀 \"%s\" 不存在（应为 2、4 或 6 位）", i,
                    json_string_value(v));
                break;
            }
        }
        json_object_set(meta, "region_scope", scope);
    }
    /* Validity window. */
    const char *from = NULL, *to = NULL;
    if (rc == RC_OK)
        rc = jsonx_get_str(doc, "valid_from", false, 10, &from, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(doc, "valid_to", false, 10, &to, e);
    if (rc == RC_OK && from && !ent_date_valid(from))
        rc = err_set(e, RC_INVALID, "valid_from", "valid_from 应为日期 YYYY-MM-DD");
    if (rc == RC_OK && to && !ent_date_valid(to))
        rc = err_set(e, RC_INVALID, "valid_to", "valid_to 应为日期 YYYY-MM-DD");
    if (rc == RC_OK && from && to && strcmp(from, to) > 0)
        rc = err_set(e, RC_INVALID, "valid_to", "有效期截止日期早于起始日期");
    /* A policy in force has a validity window: one without an end is never "expired" and
     * stays offered for ever. Drafts may leave it for later. */
    if (rc == RC_OK && need_conditions && !from)
        rc = err_set(e, RC_INVALID, "valid_from", "发布前请填写有效期起始日期");
    if (rc == RC_OK && need_conditions && !to)
        rc = err_set(e, RC_INVALID, "valid_to", "发布前请填写有效期截止日期");
    if (rc == RC_OK) {
        json_object_set_new(meta, "valid_from", policy__json_str_or_null(from));
        json_object_set_new(meta, "valid_to", policy__json_str_or_null(to));
    }
    /* 申兑指南: contact (an object of short texts) and materials. */
    json_t *contact = json_object_get(doc, "contact");
    if (rc == RC_OK && contact && !json_is_null(contact)) {
        const char *k;
        json_t *v;
        if (!json_is_object(contact) || json_object_size(contact) > 10)
            rc = err_set(e, RC_INVALID, "contact", "联系方式应为不超过 10 项的对象");
        json_object_foreach(contact, k, v)
        {
            if (rc == RC_OK && (!json_is_string(v) || utf8_len(json_string_value(v)) > 200))
                rc = err_set(e, RC_INVALID, "contact", "contact.%s 应为不超过 200 个字符的文字", k);
        }
    }
    if (rc == RC_OK)
        json_object_set_new(meta, "contact",
                            contact && json_is_object(contact) ? json_deep_copy(contact)
                                                               : json_object());
    json_t *materials = json_object_get(doc, "materials"), *mats = json_array();
    if (rc == RC_OK && materials && !json_is_null(materials)) {
        if (!json_is_array(materials) || json_array_size(materials) > POLICY_MAX_MATERIALS)
            rc = err_set(e, RC_INVALID, "materials", "申报材料应为不超过 %d 项的数组",
                         POLICY_MAX_MATERIALS);
        size_t i;
        json_t *m;
        json_array_foreach(materials, i, m)
        {
            if (rc)
                break;
            static const char *const mm[] = {"name", "note", "required", NULL};
            const char *name = NULL, *note = NULL;
            bool required = true;
            if (json_is_string(m)) {
                name = json_string_value(m);
                if (!*name || utf8_len(name) > 200)
                    rc = err_set(e, RC_INVALID, "materials", "材料名称应为 1 到 200 个字符");
            } else {
                rc = jsonx_only(m, mm, e);
                if (rc == RC_OK)
                    rc = jsonx_get_str(m, "name", true, 200, &name, e);
                if (rc == RC_OK)
                    rc = jsonx_get_str(m, "note", false, 500, &note, e);
                if (rc == RC_OK)
                    rc = jsonx_get_bool(m, "required", false, &required, e);
            }
            if (rc) {
                char f[32];
                snprintf(f, sizeof(f), "materials[%zu]", i);
                err_prefix_field(e, f);
                break;
            }
            json_t *o = json_pack("{s:s, s:b}", "name", name, "required", required);
            if (note)
                json_object_set_new(o, "note", json_string(note));
            json_array_append_new(mats, o);
        }
    }
    json_object_set_new(meta, "materials", mats);
    json_t *tags = json_object_get(doc, "tags");
    if (rc == RC_OK && tags && !json_is_null(tags))
        rc = check_strings(tags, "tags", POLICY_MAX_TAGS, 20, e);
    if (rc == RC_OK)
        json_object_set_new(meta, "tags",
                            tags && json_is_array(tags) ? json_deep_copy(tags) : json_array());
    json_t *articles = json_object_get(doc, "articles"), *arts = json_array();
    if (rc == RC_OK && articles && !json_is_null(articles)) {
        if (!json_is_array(articles) || json_array_size(articles) > POLICY_MAX_ARTICLES)
            rc = err_set(e, RC_INVALID, "articles", "政策条款应为不超过 %d 项的数组",
                         POLICY_MAX_ARTICLES);
        size_t i;
        json_t *a;
        json_array_foreach(articles, i, a)
        {
            static const char *const am[] = {"no", "text", NULL};
            const char *no = NULL, *text = NULL;
            if (rc == RC_OK)
                rc = jsonx_only(a, am, e);
            if (rc == RC_OK)
                rc = jsonx_get_str(a, "no", true, 40, &no, e);
            if (rc == RC_OK)
                rc = jsonx_get_str(a, "text", true, 2000, &text, e);
            if (rc) {
                char f[32];
                snprintf(f, sizeof(f), "articles[%zu]", i);
                err_prefix_field(e, f);
                break;
            }
            json_array_append_new(arts, json_pack("{s:s, s:s}", "no", no, "text", text));
        }
    }
    json_object_set_new(meta, "articles", arts);
    /* The rule document. */
    json_t *rules = json_object_get(doc, "rules");
    if (rc == RC_OK && rules && !json_is_null(rules) && !json_is_object(rules))
        rc = err_set(e, RC_INVALID, "rules", "规则应为 JSON 对象（conditions、amount ……）");
    if (rc == RC_OK && need_conditions && !json_object_get(rules, "conditions"))
        rc = err_set(e, RC_INVALID, "rules.conditions", "发布前请填写享受条件");
    if (rc == RC_OK && json_object_get(rules, "conditions")) {
        struct rules_policy *pol = NULL;
        rc = policy__compile(policy_holder_rules_catalog(h), named, meta, rules, 0, &pol, e);
        rules_policy_free(pol);
    }
    if (rc) {
        json_decref(meta);
        return rc;
    }
    *meta_out = meta;
    *rules_out = json_is_object(rules) ? json_deep_copy(rules) : json_object();
    return RC_OK;
}

/* ---- rows -------------------------------------------------------------------------- */

void policy__prow_read(struct stmt *st, struct prow *r)
{
    r->id = store_int(st, 0);
    r->org_id = store_int(st, 1);
    r->published_at = store_int(st, 2);
    r->withdrawn_at = store_int(st, 3);
    r->created_at = store_int(st, 4);
    r->updated_at = store_int(st, 5);
    r->version = (int)store_int(st, 6);
    r->published_version = (int)store_int(st, 7);
    mem_copy_text(r->state, sizeof(r->state), store_text(st, 8));
    mem_copy_text(r->org_code, sizeof(r->org_code), store_text(st, 9));
    mem_copy_text(r->org_name, sizeof(r->org_name), store_text(st, 10));
    mem_copy_text(r->valid_to, sizeof(r->valid_to), store_text(st, 11));
    mem_copy_text(r->created_by, sizeof(r->created_by), store_text(st, 12));
    mem_copy_text(r->updated_by, sizeof(r->updated_by), store_text(st, 13));
}

/* The state the public sees: a published policy past valid_to is expired. */
const char *policy__effective_state(const struct prow *r, const char *today)
{
    if (strcmp(r->state, "published") == 0 && r->valid_to[0] && strcmp(r->valid_to, today) < 0)
        return "expired";
    return r->state;
}

/*
 * Loads policy id (locked for update inside a PostgreSQL transaction when lock).
 * RC_NOTFOUND when absent or when p may not see it.
 */
enum rc policy__load_row(struct conn *c, const struct principal *p, int64_t id, bool lock,
                         struct prow *r, struct err *e)
{
    struct stmt *st;
    const char *sql = "SELECT " PROW_COLS " FROM policies p JOIN orgs o ON o.id = "
                      "p.org_id WHERE p.id = ?";
    enum rc rc = lock ? store_prepare_locked(c, sql, "p", &st, e) : store_prepare(c, sql, &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, id);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        policy__prow_read(st, r);
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = RC_NOTFOUND;
    }
    store_finish(st);
    if (rc == RC_OK && strcmp(r->state, "draft") == 0 && !policy__editor_of(p, r->org_id))
        rc = RC_NOTFOUND;
    if (rc == RC_NOTFOUND)
        return err_set(e, RC_NOTFOUND, NULL, "政策不存在");
    return rc;
}

/* Loads version v of policy id: meta, rules (new), state, published_at. */
enum rc policy__load_version(struct conn *c, int64_t id, int v, json_t **meta, json_t **rules,
                             char state[16], int64_t *published_at, struct err *e)
{
    struct stmt *st;
    *meta = *rules = NULL;
    enum rc rc = store_prepare(c,
                               "SELECT meta, rules, state, published_at FROM policy_versions "
                               "WHERE policy_id = ? AND version = ?",
                               &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, id);
    store_bind_int(st, 2, v);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        rc = parse_stored(store_text(st, 0), meta, e);
        if (rc == RC_OK)
            rc = parse_stored(store_text(st, 1), rules, e);
        if (state)
            mem_copy_text(state, 16, store_text(st, 2));
        if (published_at)
            *published_at = store_int(st, 3);
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_NOTFOUND, "version", "政策版本 %d 不存在", v);
    }
    store_finish(st);
    if (rc) {
        json_decref(*meta);
        json_decref(*rules);
        *meta = *rules = NULL;
    }
    return rc;
}

/* Writes the descriptive columns, regions and tags of policy id from meta. */
enum rc policy__sync_row(struct conn *c, int64_t id, const json_t *meta, const char *by,
                         int64_t now, struct err *e)
{
    struct stmt *st;
    char *contact = jsonx_canonical(json_object_get(meta, "contact"));
    char *materials = jsonx_canonical(json_object_get(meta, "materials"));
    enum rc rc = store_prepare(c,
                               "UPDATE policies SET title = ?, doc_no = ?, summary = ?, delivery = "
                               "?, category = ?, valid_from = ?, valid_to = ?, contact = ?, "
                               "materials = ?, updated_by = ?, updated_at = ? WHERE id = ?",
                               &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, json_string_value(json_object_get(meta, "title")));
        store_bind_text(st, 2, json_string_value(json_object_get(meta, "doc_no")));
        store_bind_text(st, 3, json_string_value(json_object_get(meta, "summary")));
        store_bind_text(st, 4, json_string_value(json_object_get(meta, "delivery")));
        store_bind_text(st, 5, json_string_value(json_object_get(meta, "category")));
        store_bind_text(st, 6, json_string_value(json_object_get(meta, "valid_from")));
        store_bind_text(st, 7, json_string_value(json_object_get(meta, "valid_to")));
        store_bind_text(st, 8, contact);
        store_bind_text(st, 9, materials);
        store_bind_text(st, 10, by);
        store_bind_int(st, 11, now);
        store_bind_int(st, 12, id);
        rc = store_run(st, e);
        store_finish(st);
    }
    xfree(contact);
    xfree(materials);
    static const char *const del[] = {"DELETE FROM policy_regions WHERE policy_id = ?",
                                      "DELETE FROM policy_tags WHERE policy_id = ?"};
    static const char *const ins[] = {
        "INSERT INTO policy_regions (policy_id, prefix) VALUES (?, ?) ON CONFLICT DO NOTHING",
        "INSERT INTO policy_tags (policy_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING"};
    static const char *const keys[] = {"region_scope", "tags"};
    for (int k = 0; k < 2 && rc == RC_OK; k++) {
        if ((rc = store_prepare(c, del[k], &st, e)))
            break;
        store_bind_int(st, 1, id);
        rc = store_run(st, e);
        store_finish(st);
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(meta, keys[k]), i, v)
        {
            if (rc || (rc = store_prepare(c, ins[k], &st, e)))
                break;
            store_bind_int(st, 1, id);
            store_bind_text(st, 2, json_string_value(v));
            rc = store_run(st, e);
            store_finish(st);
        }
    }
    return rc;
}

/* The audit image of a version: its meta and rules. */
static json_t *image(const json_t *meta, const json_t *rules, int version, const char *state)
{
    return json_pack("{s:O, s:O, s:i, s:s}", "meta", meta, "rules", rules, "version", version,
                     "state", state);
}

/* ---- create / update ------------------------------------------------------------ */

enum rc policy__insert_version(struct conn *c, int64_t id, int v, const char *state,
                               const json_t *meta, const json_t *rules, const char *note,
                               const char *by, int64_t now, struct err *e)
{
    struct stmt *st;
    char *m = jsonx_canonical(meta), *r = jsonx_canonical(rules);
    bool published = strcmp(state, "published") == 0;
    enum rc rc = store_prepare(c,
                               "INSERT INTO policy_versions (policy_id, version, state, meta, "
                               "rules, note, created_by, created_at, updated_at, published_by, "
                               "published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               &st, e);
    if (rc == RC_OK) {
        store_bind_int(st, 1, id);
        store_bind_int(st, 2, v);
        store_bind_text(st, 3, state);
        store_bind_text(st, 4, m);
        store_bind_text(st, 5, r);
        store_bind_text(st, 6, note ? note : "");
        store_bind_text(st, 7, by);
        store_bind_int(st, 8, now);
        store_bind_int(st, 9, now);
        if (published) {
            store_bind_text(st, 10, by);
            store_bind_int(st, 11, now);
        } else {
            store_bind_null(st, 10);
            store_bind_null(st, 11);
        }
        rc = store_run(st, e);
        store_finish(st);
    }
    xfree(m);
    xfree(r);
    return rc;
}

enum rc policy__create_as(struct conn *c, struct policy_holder *h, const struct audit_actor *who,
                          int64_t org_id, const json_t *doc, bool publish, int64_t *id,
                          struct err *e)
{
    json_t *meta = NULL, *rules = NULL, *after = NULL;
    struct rules_named *named = NULL;
    struct stmt *st;
    int64_t now = time_now_ms(), pid = 0;
    const char *note = json_string_value(json_object_get(doc, "note"));
    enum rc rc = store_begin(c, e);
    if (rc == RC_OK)
        rc = policy__load_named(c, &named, e);
    if (rc == RC_OK)
        rc = policy__check_doc(h, named, doc, publish, &meta, &rules, e);
    if (rc == RC_OK)
        rc = store_prepare(c,
                           "INSERT INTO policies (state, org_id, title, delivery, version, "
                           "published_version, published_at, created_by, created_at, updated_by, "
                           "updated_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?) RETURNING id",
                           &st, e);
    if (rc)
        goto out;
    store_bind_text(st, 1, publish ? "published" : "draft");
    store_bind_int(st, 2, org_id);
    store_bind_text(st, 3, json_string_value(json_object_get(meta, "title")));
    store_bind_text(st, 4, json_string_value(json_object_get(meta, "delivery")));
    if (publish) {
        store_bind_int(st, 5, 1);
        store_bind_int(st, 6, now);
    } else {
        store_bind_null(st, 5);
        store_bind_null(st, 6);
    }
    store_bind_text(st, 7, who->name);
    store_bind_int(st, 8, now);
    store_bind_text(st, 9, who->name);
    store_bind_int(st, 10, now);
    rc = store_insert_id(st, &pid, e);
    store_finish(st);
    if (rc == RC_OK)
        rc = policy__sync_row(c, pid, meta, who->name, now, e);
    if (rc == RC_OK)
        rc = policy__insert_version(c, pid, 1, publish ? "published" : "draft", meta, rules, note,
                                    who->name, now, e);
    if (rc == RC_OK && publish)
        rc = policy__write_pins(c, pid, 1, rules, NULL, e);
    if (rc == RC_OK && publish)
        rc = policy__bump(c, e);
    if (rc)
        goto out;
    char idtext[24];
    snprintf(idtext, sizeof(idtext), "%lld", (long long)pid);
    after = image(meta, rules, 1, publish ? "published" : "draft");
    json_object_set_new(after, "org_id", policy_id_json(org_id));
    struct audit_event ev = {publish ? "policy.create_published" : "policy.create", "policy",
                             idtext, NULL, after};
    rc = audit_append(c, who, &ev, NULL, e);
    if (rc == RC_OK)
        rc = store_commit(c, e);
out:
    if (store_in_txn(c))
        store_rollback(c);
    rules_named_free(named);
    json_decref(meta);
    json_decref(rules);
    json_decref(after);
    if (rc == RC_OK)
        *id = pid;
    return rc;
}

/* Finds the organisation id of code. */
static enum rc org_id_of(struct conn *c, const char *code, int64_t *id, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, "SELECT id FROM orgs WHERE code = ?", &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, code);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        *id = store_int(st, 0);
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_INVALID, "org", "机构 %s 不存在", code);
    }
    store_finish(st);
    return rc;
}

enum rc policy_create(struct conn *c, struct policy_holder *h, const struct principal *p,
                      const json_t *doc, int64_t *id, struct err *e)
{
    const char *org = NULL;
    enum rc rc = jsonx_get_str(doc, "org", false, 64, &org, e);
    if (rc)
        return rc;
    int64_t org_id = 0;
    if (access_can(p, ACCESS_SCOPE_ALL)) {
        if (!org)
            return err_set(e, RC_INVALID, "org", "请指定发文机构（org）");
        if ((rc = org_id_of(c, org, &org_id, e)))
            return rc;
    } else if (access_can(p, ACCESS_POLICY_ISSUE) && p->org_id) {
        if (org && (!p->org_code || strcmp(org, p->org_code) != 0))
            return err_set(e, RC_FORBIDDEN, "org", "只能为本单位起草政策");
        org_id = p->org_id;
    } else {
        return err_set(e, RC_FORBIDDEN, NULL, "只有政策专员可以起草政策");
    }
    return policy__create_as(c, h, &p->actor, org_id, doc, false, id, e);
}

/* The version a caller edits: the draft, if there is one. */
int policy__draft_version(const struct prow *r)
{
    if (strcmp(r->state, "draft") == 0)
        return r->version;
    return r->version > r->published_version ? r->version : 0;
}

enum rc policy_update(struct conn *c, struct policy_holder *h, const struct principal *p,
                      int64_t id, const json_t *doc, struct err *e)
{
    struct prow r;
    json_t *meta = NULL, *rules = NULL, *merged = NULL, *nmeta = NULL, *nrules = NULL;
    json_t *before = NULL, *after = NULL;
    struct rules_named *named = NULL;
    int64_t now = time_now_ms();
    if (!json_is_object(doc))
        return err_set(e, RC_INVALID, NULL, "请求体应为 JSON 对象");
    if (json_object_get(doc, "org"))
        return err_set(e, RC_INVALID, "org", "不能修改发文机构");
    enum rc rc = store_begin(c, e);
    if (rc == RC_OK)
        rc = policy__load_row(c, p, id, true, &r, e);
    if (rc == RC_OK && !policy__editor_of(p, r.org_id))
        rc = err_set(e, RC_FORBIDDEN, NULL, "只能修改本单位起草的政策");
    int v = rc == RC_OK ? policy__draft_version(&r) : 0;
    if (rc == RC_OK && !v)
        rc = err_set(e, RC_STATE, NULL, "已发布的版本不能修改，请先新建版本（new_version）");
    if (rc == RC_OK)
        rc = policy__load_version(c, id, v, &meta, &rules, NULL, NULL, e);
    if (rc)
        goto out;
    /* The stored document with the members of doc laid over it. */
    merged = json_deep_copy(meta);
    json_object_set(merged, "rules", rules);
    const char *k;
    json_t *val;
    json_object_foreach(policy__unconst(doc), k, val)
    {
        json_object_set(merged, k, val);
    }
    rc = policy__load_named(c, &named, e);
    if (rc == RC_OK)
        rc = policy__check_doc(h, named, merged, false, &nmeta, &nrules, e);
    if (rc)
        goto out;
    char *m = jsonx_canonical(nmeta), *rr = jsonx_canonical(nrules);
    const char *note = json_string_value(json_object_get(doc, "note"));
    struct stmt *st;
    rc = store_prepare(c,
                       "UPDATE policy_versions SET meta = ?, rules = ?, note = COALESCE(?, note), "
                       "updated_at = ? WHERE policy_id = ? AND version = ? AND published_at IS "
                       "NULL",
                       &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, m);
        store_bind_text(st, 2, rr);
        store_bind_text(st, 3, note);
        store_bind_int(st, 4, now);
        store_bind_int(st, 5, id);
        store_bind_int(st, 6, v);
        rc = store_run(st, e);
        store_finish(st);
    }
    xfree(m);
    xfree(rr);
    /* A policy never published shows its draft in the list; otherwise only touch time. */
    if (rc == RC_OK && strcmp(r.state, "draft") == 0)
        rc = policy__sync_row(c, id, nmeta, p->actor.name, now, e);
    if (rc)
        goto out;
    char idtext[24];
    snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
    before = image(meta, rules, v, "draft");
    after = image(nmeta, nrules, v, "draft");
    struct audit_event ev = {"policy.update", "policy", idtext, before, after};
    rc = audit_append(c, &p->actor, &ev, NULL, e);
    if (rc == RC_OK)
        rc = store_commit(c, e);
out:
    if (store_in_txn(c))
        store_rollback(c);
    rules_named_free(named);
    json_decref(meta);
    json_decref(rules);
    json_decref(merged);
    json_decref(nmeta);
    json_decref(nrules);
    json_decref(before);
    json_decref(after);
    return rc;
}
