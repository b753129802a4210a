/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy: policies, versions, the public list and named conditions (see policy.h).
 *
 * Invariant: the descriptive columns of a policies row (title ... tags, regions) are
 * those of its version in force — the published version, or version 1 while the policy
 * was never published; sync_row() is the only writer. A version row with published_at
 * set is never changed again except for its state (published → superseded); its
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
#include "../ent/ent.h"
#include "../rules/rules.h"
#include "../store/store.h"
#include "policy_int.h"

/* ---- helpers ------------------------------------------------------------------ */

/* May p edit (and see the drafts of) the policies of org_id? Its issuing department
 * (policy.issue), or anyone whose scope is every record (scope.all). */
static bool editor_of(const struct principal *p, int64_t org_id)
{
    return p && (access_can(p, ACCESS_SCOPE_ALL) ||
                 (access_can(p, ACCESS_POLICY_ISSUE) && p->org_id == org_id));
}

static const char *delivery_label(const char *d)
{
    const char *l = policy_delivery_label(d);
    return l ? l : "";
}

static json_t *json_str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *time_json(int64_t ms)
{
    if (!ms)
        return json_null();
    char t[40];
    time_fmt_cst(ms, t, sizeof(t));
    return json_string(t);
}

/* Parses stored JSON text; a broken row is an internal error, never a crash. */
static enum rc parse_stored(const char *text, json_t **out, struct err *e)
{
    *out = text ? json_loads(text, 0, NULL) : NULL;
    if (!*out)
        return err_set(e, RC_INTERNAL, NULL, "stored policy JSON is unreadable");
    return RC_OK;
}

/* Stores j as canonical text (new, xfree). */
static char *dump(const json_t *j)
{
    return jsonx_canonical(j);
}

/* ---- named conditions ------------------------------------------------------------ */

/* Pins of published versions (defined with the named conditions below). */
static enum rc write_pins(struct conn *c, int64_t id, int v, const json_t *rules, json_t **pins_out,
                          struct err *e);
static enum rc load_pins(struct conn *c, int64_t id, int v, json_t **out, struct err *e);
static enum rc pins_diff(struct conn *c, const json_t *old, const json_t *now, json_t **out,
                         struct err *e);
static enum rc load_current(struct conn *c, json_t **out, struct err *e);
static void collect_pins(const json_t *j, const json_t *cur, json_t *pins, int depth);

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
static enum rc check_doc(struct policy_holder *h, const struct rules_named *named,
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
    if (rc == RC_OK) {
        json_object_set_new(meta, "valid_from", json_str_or_null(from));
        json_object_set_new(meta, "valid_to", json_str_or_null(to));
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

struct prow {
    int64_t id, org_id, published_at, withdrawn_at, created_at, updated_at;
    int version, published_version; /* published_version 0 = never published */
    char state[16];
    char org_code[64];
    char org_name[256];
    char valid_to[11]; /* "" when open */
    char created_by[128], updated_by[128];
};

#define PROW_COLS                                                                                  \
    "p.id, p.org_id, p.published_at, p.withdrawn_at, p.created_at, p.updated_at, p.version, "      \
    "p.published_version, p.state, o.code, o.name, p.valid_to, p.created_by, p.updated_by"

static void prow_read(struct stmt *st, struct prow *r)
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
static const char *effective_state(const struct prow *r, const char *today)
{
    if (strcmp(r->state, "published") == 0 && r->valid_to[0] && strcmp(r->valid_to, today) < 0)
        return "expired";
    return r->state;
}

static const char *state_label(const char *s)
{
    if (strcmp(s, "draft") == 0)
        return "草稿";
    if (strcmp(s, "published") == 0)
        return "已发布";
    if (strcmp(s, "withdrawn") == 0)
        return "已撤回";
    if (strcmp(s, "expired") == 0)
        return "已过期";
    return s;
}

/*
 * Loads policy id (locked for update inside a PostgreSQL transaction when lock).
 * RC_NOTFOUND when absent or when p may not see it.
 */
static enum rc load_row(struct conn *c, const struct principal *p, int64_t id, bool lock,
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
        prow_read(st, r);
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = RC_NOTFOUND;
    }
    store_finish(st);
    if (rc == RC_OK && strcmp(r->state, "draft") == 0 && !editor_of(p, r->org_id))
        rc = RC_NOTFOUND;
    if (rc == RC_NOTFOUND)
        return err_set(e, RC_NOTFOUND, NULL, "政策不存在");
    return rc;
}

/* Loads version v of policy id: meta, rules (new), state, published_at. */
static enum rc load_version(struct conn *c, int64_t id, int v, json_t **meta, json_t **rules,
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
static enum rc sync_row(struct conn *c, int64_t id, const json_t *meta, const char *by, int64_t now,
                        struct err *e)
{
    struct stmt *st;
    char *contact = dump(json_object_get(meta, "contact"));
    char *materials = dump(json_object_get(meta, "materials"));
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

static enum rc insert_version(struct conn *c, int64_t id, int v, const char *state,
                              const json_t *meta, const json_t *rules, const char *note,
                              const char *by, int64_t now, struct err *e)
{
    struct stmt *st;
    char *m = dump(meta), *r = dump(rules);
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
        rc = check_doc(h, named, doc, publish, &meta, &rules, e);
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
        rc = sync_row(c, pid, meta, who->name, now, e);
    if (rc == RC_OK)
        rc = insert_version(c, pid, 1, publish ? "published" : "draft", meta, rules, note,
                            who->name, now, e);
    if (rc == RC_OK && publish)
        rc = write_pins(c, pid, 1, rules, NULL, e);
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
    if (rc == RC_OK) {
        *id = pid;
        struct err ignored;
        if (publish && policy_refresh(h, c, &ignored))
            log_warn("policy: refresh after create failed: %s", ignored.msg);
    }
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
static int draft_version(const struct prow *r)
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
        rc = load_row(c, p, id, true, &r, e);
    if (rc == RC_OK && !editor_of(p, r.org_id))
        rc = err_set(e, RC_FORBIDDEN, NULL, "只能修改本单位起草的政策");
    int v = rc == RC_OK ? draft_version(&r) : 0;
    if (rc == RC_OK && !v)
        rc = err_set(e, RC_STATE, NULL, "已发布的版本不能修改，请先新建版本（new_version）");
    if (rc == RC_OK)
        rc = load_version(c, id, v, &meta, &rules, NULL, NULL, e);
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
        rc = check_doc(h, named, merged, false, &nmeta, &nrules, e);
    if (rc)
        goto out;
    char *m = dump(nmeta), *rr = dump(nrules);
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
        rc = sync_row(c, id, nmeta, p->actor.name, now, e);
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
    json_object_set_new(j, "published_at", time_json(published_at));
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

static json_t *actions_for(const struct principal *p, const struct prow *r, const char *eff)
{
    json_t *a = json_array();
    if (!editor_of(p, r->org_id))
        return a;
    if (draft_version(r)) {
        json_array_append_new(a, json_string("validate"));
        json_array_append_new(a, json_string("publish"));
    } else {
        json_array_append_new(a, json_string("new_version"));
    }
    if (strcmp(r->state, "published") == 0 || strcmp(eff, "expired") == 0)
        json_array_append_new(a, json_string("withdraw"));
    return a;
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
    enum rc rc = load_row(c, p, id, false, &r, e);
    if (rc)
        return rc;
    bool editor = editor_of(p, r.org_id);
    int v = version > 0 ? version : r.published_version ? r.published_version : r.version;
    if (version < 0 && editor && draft_version(&r))
        v = draft_version(&r);
    rc = load_version(c, id, v, &meta, &rules, vstate, &published_at, e);
    if (rc == RC_OK && !published_at && !editor)
        rc = err_set(e, RC_NOTFOUND, "version", "政策版本 %d 不存在", v);
    json_t *pins = NULL;
    if (rc == RC_OK)
        rc = load_pins(c, id, v, &pins, e);
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
    const char *eff = effective_state(&r, today);
    json_object_set_new(j, "id", policy_id_json(id));
    json_object_set_new(j, "state", json_string(eff));
    json_object_set_new(j, "state_label", json_string(state_label(eff)));
    json_object_set_new(j, "org", json_pack("{s:s, s:s}", "code", r.org_code, "name", r.org_name));
    json_object_set_new(j, "latest_version", json_integer(r.version));
    json_object_set_new(j, "published_version",
                        r.published_version ? json_integer(r.published_version) : json_null());
    json_object_set_new(j, "created_at", time_json(r.created_at));
    json_object_set_new(j, "updated_at", time_json(r.updated_at));
    json_object_set_new(j, "withdrawn_at", time_json(r.withdrawn_at));
    bool in_force = strcmp(eff, "published") == 0 &&
                    (!json_string_value(json_object_get(meta, "valid_from")) ||
                     strcmp(json_string_value(json_object_get(meta, "valid_from")), today) <= 0);
    json_object_set_new(j, "in_force", json_boolean(in_force));
    json_object_set_new(j, "can_edit", json_boolean(editor));
    json_t *actions = actions_for(p, &r, eff);
    /* Editors are offered adopt_conditions when a condition the version in force pinned
     * has a newer version (the republish shows the diff). */
    bool outdated = false;
    if (editor && pins && strcmp(r.state, "published") == 0 && !draft_version(&r) &&
        v == r.published_version) {
        json_t *cur = NULL, *now = json_object();
        struct err ignored;
        if (load_current(c, &cur, &ignored) == RC_OK) {
            collect_pins(json_object_get(rules, "conditions"), cur, now, 0);
            outdated = !json_equal(now, pins);
        }
        json_decref(cur);
        json_decref(now);
    }
    if (outdated)
        json_array_append_new(actions, json_string("adopt_conditions"));
    json_object_set_new(j, "actions", actions);
    if (editor)
        json_object_set_new(j, "conditions_outdated", json_boolean(outdated));
    if (editor) {
        int dv = draft_version(&r);
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
    enum rc rc = load_row(c, p, id, false, &r, e);
    if (rc)
        return rc;
    bool editor = editor_of(p, r.org_id);
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
            items, json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "version",
                             (json_int_t)store_int(st, 0), "state", store_text(st, 1), "note",
                             store_text(st, 2), "created_by", store_text(st, 3), "created_at",
                             time_json(store_int(st, 4)), "updated_at", time_json(store_int(st, 5)),
                             "published_by", json_str_or_null(store_text(st, 6)), "published_at",
                             time_json(store_int(st, 7)), "title",
                             json_str_or_null(json_string_value(json_object_get(meta, "title")))));
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
        prow_read(st, &r);
        const char *eff = effective_state(&r, today);
        const char *delivery = store_text(st, 17);
        json_t *it = json_pack(
            "{s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:o, s:o, s:o, s:o, s:o}",
            "id", policy_id_json(r.id), "state", eff, "state_label", state_label(eff), "title",
            store_text(st, 14), "doc_no", store_text(st, 15), "summary", store_text(st, 16),
            "delivery", delivery, "delivery_label", delivery_label(delivery), "category",
            store_text(st, 18), "org", "code", r.org_code, "name", r.org_name, "valid_from",
            json_str_or_null(store_text(st, 19)), "valid_to",
            json_str_or_null(r.valid_to[0] ? r.valid_to : NULL), "version",
            json_integer(r.published_version ? r.published_version : r.version), "published_at",
            time_json(r.published_at), "updated_at", time_json(r.updated_at));
        if (editor_of(p, r.org_id))
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

/* ---- actions ------------------------------------------------------------------------ */

static enum rc set_policy_state(struct conn *c, int64_t id, const char *sql, int v, const char *by,
                                int64_t now, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, sql, &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, v);
    store_bind_int(st, 2, now);
    store_bind_text(st, 3, by);
    store_bind_int(st, 4, now);
    store_bind_int(st, 5, id);
    rc = store_run(st, e);
    store_finish(st);
    return rc;
}

/*
 * Makes version v (a draft) the version in force: the previous one is superseded and the
 * policies row says published, version v.
 */
static enum rc publish_version(struct conn *c, int64_t id, int v, const char *by, int64_t now,
                               struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               "UPDATE policy_versions SET state = 'superseded' WHERE policy_id = "
                               "? AND state = 'published'",
                               &st, e);
    if (rc == RC_OK) {
        store_bind_int(st, 1, id);
        rc = store_run(st, e);
        store_finish(st);
    }
    if (rc == RC_OK)
        rc = store_prepare(c,
                           "UPDATE policy_versions SET state = 'published', published_by = ?, "
                           "published_at = ? WHERE policy_id = ? AND version = ? AND "
                           "published_at IS NULL",
                           &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, by);
        store_bind_int(st, 2, now);
        store_bind_int(st, 3, id);
        store_bind_int(st, 4, v);
        rc = store_run(st, e);
        store_finish(st);
    }
    if (rc == RC_OK)
        rc = set_policy_state(c, id,
                              "UPDATE policies SET state = 'published', published_version = ?, "
                              "published_at = ?, withdrawn_at = NULL, updated_by = ?, "
                              "updated_at = ? WHERE id = ?",
                              v, by, now, e);
    return rc;
}

enum rc policy_act(struct conn *c, struct policy_holder *h, const struct principal *p, int64_t id,
                   const json_t *params, json_t **out, struct err *e)
{
    static const char *const members[] = {"action", "note", NULL};
    const char *action = NULL, *note = NULL;
    enum rc rc = jsonx_only(params, members, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(params, "action", true, 32, &action, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(params, "note", false, 500, &note, e);
    if (rc)
        return rc;
    bool validate = strcmp(action, "validate") == 0, publish = strcmp(action, "publish") == 0;
    bool withdraw = strcmp(action, "withdraw") == 0, newv = strcmp(action, "new_version") == 0;
    bool adopt = strcmp(action, "adopt_conditions") == 0;
    if (!validate && !publish && !withdraw && !newv && !adopt)
        return err_set(e, RC_INVALID, "action",
                       "action 应为 validate、publish、withdraw、new_version 或 adopt_conditions");
    struct prow r;
    json_t *meta = NULL, *rules = NULL, *nmeta = NULL, *nrules = NULL, *before = NULL,
           *after = NULL, *old_pins = NULL, *new_pins = NULL, *diff = NULL;
    struct rules_named *named = NULL;
    char today[11], idtext[24];
    policy__today(today);
    snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
    int64_t now = time_now_ms();
    bool changed_set = false;
    rc = store_begin(c, e);
    if (rc == RC_OK)
        rc = load_row(c, p, id, true, &r, e);
    if (rc == RC_OK && !editor_of(p, r.org_id))
        rc = err_set(e, RC_FORBIDDEN, NULL, "只有发文单位的政策专员可以执行此操作");
    if (rc)
        goto out;
    const char *eff = effective_state(&r, today);
    int dv = draft_version(&r);
    const char *audit_action = NULL;
    if (validate || publish) {
        if (!dv) {
            rc =
                err_set(e, RC_STATE, "action", "没有待发布的草稿版本，请先新建版本（new_version）");
            goto out;
        }
        rc = load_version(c, id, dv, &meta, &rules, NULL, NULL, e);
        if (rc == RC_OK)
            rc = policy__load_named(c, &named, e);
        /* The whole document again, with conditions required: the same checks as a save. */
        json_t *whole = rc == RC_OK ? json_deep_copy(meta) : NULL;
        if (whole)
            json_object_set(whole, "rules", rules);
        if (rc == RC_OK)
            rc = check_doc(h, named, whole, true, &nmeta, &nrules, e);
        json_decref(whole);
        if (rc || validate)
            goto out;
        /* Publish: the draft becomes the version in force. */
        rc = publish_version(c, id, dv, p->actor.name, now, e);
        if (rc == RC_OK)
            rc = sync_row(c, id, meta, p->actor.name, now, e);
        if (rc == RC_OK)
            rc = write_pins(c, id, dv, rules, &new_pins, e);
        /* A new version adopts the current conditions too: show what changed under it. */
        if (rc == RC_OK && r.published_version)
            rc = load_pins(c, id, r.published_version, &old_pins, e);
        if (rc == RC_OK && old_pins && !json_equal(old_pins, new_pins))
            rc = pins_diff(c, old_pins, new_pins, &diff, e);
        before = json_pack("{s:s, s:o}", "state", r.state, "published_version",
                           r.published_version ? json_integer(r.published_version) : json_null());
        after = json_pack("{s:s, s:i}", "state", "published", "published_version", dv);
        if (diff)
            json_object_set(after, "conditions_diff", diff);
        audit_action = "policy.publish";
        changed_set = true;
    } else if (adopt) {
        /* A republish: a copy of the version in force, pinned to the current conditions. */
        if (strcmp(r.state, "published") != 0) {
            rc = err_set(e, RC_STATE, "action",
                         "只有已发布的政策可以采用命名条件的新版本（当前：%s）", state_label(eff));
            goto out;
        }
        if (dv) {
            rc = err_set(e, RC_STATE, "action",
                         "已有草稿版本 %d：发布该草稿即采用命名条件的当前版本", dv);
            goto out;
        }
        int nv = r.version + 1;
        rc = load_version(c, id, r.published_version, &meta, &rules, NULL, NULL, e);
        if (rc == RC_OK)
            rc = load_pins(c, id, r.published_version, &old_pins, e);
        if (rc == RC_OK)
            rc = policy__load_named(c, &named, e);
        json_t *whole = rc == RC_OK ? json_deep_copy(meta) : NULL;
        if (whole)
            json_object_set(whole, "rules", rules);
        if (rc == RC_OK)
            rc = check_doc(h, named, whole, true, &nmeta, &nrules, e);
        json_decref(whole);
        if (rc == RC_OK)
            rc = insert_version(c, id, nv, "draft", meta, rules,
                                note ? note : "采用命名条件的新版本", p->actor.name, now, e);
        if (rc == RC_OK)
            rc = write_pins(c, id, nv, rules, &new_pins, e);
        struct stmt *st;
        if (rc == RC_OK)
            rc = store_prepare(c, "UPDATE policies SET version = ? WHERE id = ?", &st, e);
        if (rc == RC_OK) {
            store_bind_int(st, 1, nv);
            store_bind_int(st, 2, id);
            rc = store_run(st, e);
            store_finish(st);
        }
        if (!old_pins)
            old_pins = json_object();
        if (rc == RC_OK && json_equal(old_pins, new_pins))
            rc = err_set(e, RC_STATE, "action", "本政策引用的命名条件没有新版本，无需重新发布");
        if (rc == RC_OK)
            rc = pins_diff(c, old_pins, new_pins, &diff, e);
        if (rc == RC_OK)
            rc = publish_version(c, id, nv, p->actor.name, now, e);
        before = json_pack("{s:i, s:O}", "published_version", r.published_version, "conditions",
                           old_pins);
        after = json_pack("{s:i, s:O, s:O*}", "published_version", nv, "conditions", new_pins,
                          "diff", diff);
        audit_action = "policy.adopt_conditions";
        changed_set = true;
    } else if (withdraw) {
        if (strcmp(r.state, "published") != 0) {
            rc = err_set(e, RC_STATE, "action", "只有已发布的政策可以撤回（当前：%s）",
                         state_label(eff));
            goto out;
        }
        struct stmt *st;
        rc = store_prepare(c,
                           "UPDATE policies SET state = 'withdrawn', withdrawn_at = ?, "
                           "updated_by = ?, updated_at = ? WHERE id = ?",
                           &st, e);
        if (rc == RC_OK) {
            store_bind_int(st, 1, now);
            store_bind_text(st, 2, p->actor.name);
            store_bind_int(st, 3, now);
            store_bind_int(st, 4, id);
            rc = store_run(st, e);
            store_finish(st);
        }
        before = json_pack("{s:s}", "state", r.state);
        after = json_pack("{s:s, s:s*}", "state", "withdrawn", "note", note);
        audit_action = "policy.withdraw";
        changed_set = true;
    } else { /* new_version */
        if (dv || !r.published_version) {
            rc = err_set(e, RC_STATE, "action", "已有草稿版本 %d，请直接修改它",
                         dv ? dv : r.version);
            goto out;
        }
        rc = load_version(c, id, r.published_version, &meta, &rules, NULL, NULL, e);
        if (rc == RC_OK)
            rc = insert_version(c, id, r.version + 1, "draft", meta, rules, note, p->actor.name,
                                now, e);
        struct stmt *st;
        if (rc == RC_OK)
            rc = store_prepare(c, "UPDATE policies SET version = ?, updated_at = ? WHERE id = ?",
                               &st, e);
        if (rc == RC_OK) {
            store_bind_int(st, 1, r.version + 1);
            store_bind_int(st, 2, now);
            store_bind_int(st, 3, id);
            rc = store_run(st, e);
            store_finish(st);
        }
        before = json_pack("{s:i}", "latest_version", r.version);
        after = json_pack("{s:i, s:i}", "latest_version", r.version + 1, "from_version",
                          r.published_version);
        audit_action = "policy.new_version";
    }
    if (rc == RC_OK && changed_set)
        rc = policy__bump(c, e);
    if (rc)
        goto out;
    struct audit_event ev = {audit_action, "policy", idtext, before, after};
    rc = audit_append(c, &p->actor, &ev, NULL, e);
    if (rc == RC_OK)
        rc = store_commit(c, e);
out:
    if (store_in_txn(c))
        store_rollback(c);
    rules_named_free(named);
    json_decref(meta);
    json_decref(rules);
    json_decref(nmeta);
    json_decref(nrules);
    json_decref(before);
    json_decref(after);
    json_decref(old_pins);
    json_decref(new_pins);
    if (rc) {
        json_decref(diff);
        return rc;
    }
    if (changed_set) {
        struct err ignored;
        if (policy_refresh(h, c, &ignored))
            log_warn("policy: refresh after %s failed: %s", action, ignored.msg);
    }
    rc = policy_get(c, h, p, id, validate ? draft_version(&r) : 0, out, e);
    if (rc == RC_OK && diff)
        json_object_set(*out, "conditions_diff", diff);
    json_decref(diff);
    if (rc == RC_OK && validate)
        json_object_set_new(*out, "validation",
                            json_pack("{s:b, s:s}", "ok", 1, "message", "规则校验通过，可以发布"));
    return rc;
}

enum rc policy_jsonlogic(struct conn *c, struct policy_holder *h, const struct principal *p,
                         int64_t id, json_t **out, struct err *e)
{
    struct prow r;
    json_t *meta = NULL, *rules = NULL;
    struct rules_named *named = NULL;
    struct rules_policy *pol = NULL;
    enum rc rc = load_row(c, p, id, false, &r, e);
    if (rc)
        return rc;
    int v = r.published_version ? r.published_version : r.version;
    rc = load_version(c, id, v, &meta, &rules, NULL, NULL, e);
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

/* ---- named conditions ------------------------------------------------------------- */

enum rc policy_conditions_list(struct conn *c, json_t **out, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               "SELECT n.name, n.label, n.node, n.version, n.updated_by, "
                               "n.updated_at, o.code, o.name FROM named_conditions n LEFT JOIN "
                               "orgs o ON o.id = n.org_id ORDER BY n.name",
                               &st, e);
    if (rc)
        return rc;
    json_t *items = json_array();
    while ((rc = store_step(st, e)) == RC_ROW) {
        json_t *node = json_loads(store_text(st, 2), 0, NULL);
        json_t *org = store_text(st, 6) ? json_pack("{s:s, s:s}", "code", store_text(st, 6), "name",
                                                    store_text(st, 7))
                                        : json_null();
        json_array_append_new(
            items, json_pack("{s:s, s:s, s:o*, s:I, s:s, s:o, s:o}", "name", store_text(st, 0),
                             "label", store_text(st, 1), "node", node, "version",
                             (json_int_t)store_int(st, 3), "updated_by", store_text(st, 4),
                             "updated_at", time_json(store_int(st, 5)), "org", org));
    }
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(items);
        return rc;
    }
    *out = items;
    return RC_OK;
}

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 40 || s[0] < 'a' || s[0] > 'z')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

/*
 * Loads the current named conditions as a new object {name: {label, node, version}}.
 * A row whose node is unreadable is left out (it cannot be referenced anyway).
 */
static enum rc load_current(struct conn *c, json_t **out, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(
        c, "SELECT name, label, node, version FROM named_conditions ORDER BY name", &st, e);
    if (rc)
        return rc;
    json_t *cur = json_object();
    while ((rc = store_step(st, e)) == RC_ROW) {
        json_t *node = json_loads(store_text(st, 2), 0, NULL);
        if (node)
            json_object_set_new(cur, store_text(st, 0),
                                json_pack("{s:s, s:o, s:I}", "label", store_text(st, 1), "node",
                                          node, "version", (json_int_t)store_int(st, 3)));
    }
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(cur);
        return rc;
    }
    *out = cur;
    return RC_OK;
}

/* Adds to pins {name: version} every condition of cur that j refers to, transitively. */
static void collect_pins(const json_t *j, const json_t *cur, json_t *pins, int depth)
{
    if (depth > 64)
        return; /* deeper than any rule may be; a cycle is refused by rules_compile */
    size_t i;
    const char *k;
    json_t *v;
    if (json_is_array(j)) {
        json_array_foreach(policy__unconst(j), i, v)
        {
            collect_pins(v, cur, pins, depth + 1);
        }
        return;
    }
    if (!json_is_object(j))
        return;
    const char *ref = json_string_value(json_object_get(j, "ref"));
    const json_t *def = ref ? json_object_get(cur, ref) : NULL;
    if (def && !json_object_get(pins, ref)) {
        json_object_set(pins, ref, json_object_get(def, "version"));
        collect_pins(json_object_get(def, "node"), cur, pins, depth + 1);
    }
    json_object_foreach(policy__unconst(j), k, v)
    {
        collect_pins(v, cur, pins, depth + 1);
    }
}

/* Reads the pins of version v of policy id as a new object; *out NULL for a draft. */
static enum rc load_pins(struct conn *c, int64_t id, int v, json_t **out, struct err *e)
{
    struct stmt *st;
    *out = NULL;
    enum rc rc = store_prepare(
        c, "SELECT cond_pins FROM policy_versions WHERE policy_id = ? AND version = ?", &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, id);
    store_bind_int(st, 2, v);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        const char *t = store_text(st, 0);
        *out = t ? json_loads(t, 0, NULL) : NULL;
        rc = RC_DONE;
    }
    store_finish(st);
    return rc == RC_DONE ? RC_OK : rc;
}

enum rc policy__named_for(struct conn *c, int64_t id, int v, struct rules_named **out,
                          struct err *e)
{
    json_t *pins = NULL;
    enum rc rc = load_pins(c, id, v, &pins, e);
    if (rc == RC_OK)
        rc = pins ? policy__named_pinned(c, pins, out, e) : policy__load_named(c, out, e);
    json_decref(pins);
    return rc;
}

/*
 * Pins version v of policy id to the current versions of the named conditions its rules
 * reach. *pins_out (optional) receives the pins (new).
 */
static enum rc write_pins(struct conn *c, int64_t id, int v, const json_t *rules, json_t **pins_out,
                          struct err *e)
{
    json_t *cur = NULL;
    enum rc rc = load_current(c, &cur, e);
    if (rc)
        return rc;
    json_t *pins = json_object();
    collect_pins(json_object_get(rules, "conditions"), cur, pins, 0);
    json_decref(cur);
    char *text = dump(pins);
    struct stmt *st;
    rc = store_prepare(
        c, "UPDATE policy_versions SET cond_pins = ? WHERE policy_id = ? AND version = ?", &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, text);
        store_bind_int(st, 2, id);
        store_bind_int(st, 3, v);
        rc = store_run(st, e);
        store_finish(st);
    }
    xfree(text);
    if (rc == RC_OK && pins_out)
        *pins_out = json_incref(pins);
    json_decref(pins);
    return rc;
}

/*
 * The difference between two pin sets as a new array of {name, from_version, to_version,
 * before: {label, node} | null, after: {label, node} | null}, one item per condition whose
 * version differs.
 */
static enum rc pins_diff(struct conn *c, const json_t *old, const json_t *now, json_t **out,
                         struct err *e)
{
    json_t *names = json_object(), *diff = json_array();
    const char *name;
    json_t *v;
    enum rc rc = RC_OK;
    json_object_foreach(policy__unconst(old), name, v)
    {
        json_object_set(names, name, json_true());
    }
    json_object_foreach(policy__unconst(now), name, v)
    {
        json_object_set(names, name, json_true());
    }
    json_object_foreach(names, name, v)
    {
        json_t *a = json_object_get(old, name), *b = json_object_get(now, name);
        if (a && b && json_integer_value(a) == json_integer_value(b))
            continue;
        json_t *before = NULL, *after = NULL;
        if (a)
            rc = policy__condition_version(c, name, json_integer_value(a), &before, e);
        if (rc == RC_OK && b)
            rc = policy__condition_version(c, name, json_integer_value(b), &after, e);
        if (rc) {
            json_decref(before);
            break;
        }
        json_array_append_new(diff, json_pack("{s:s, s:O?, s:O?, s:o?, s:o?}", "name", name,
                                              "from_version", a, "to_version", b, "before", before,
                                              "after", after));
    }
    json_decref(names);
    if (rc) {
        json_decref(diff);
        return rc;
    }
    *out = diff;
    return RC_OK;
}

/* Who owns named condition name: *exists, *org_id (0 = the CLI's: admins only), org_name. */
static enum rc condition_owner(struct conn *c, const char *name, bool *exists, int64_t *org_id,
                               char org_name[256], struct err *e)
{
    struct stmt *st;
    *exists = false;
    *org_id = 0;
    org_name[0] = '\0';
    enum rc rc = store_prepare(c,
                               "SELECT n.org_id, o.name FROM named_conditions n LEFT JOIN orgs o "
                               "ON o.id = n.org_id WHERE n.name = ?",
                               &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, name);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        *exists = true;
        *org_id = store_int(st, 0);
        mem_copy_text(org_name, 256, store_text(st, 1) ? store_text(st, 1) : "");
        rc = RC_DONE;
    }
    store_finish(st);
    return rc == RC_DONE ? RC_OK : rc;
}

enum rc policy_condition_put(struct conn *c, struct policy_holder *h, const struct audit_actor *who,
                             const struct principal *p, const char *name, const json_t *doc,
                             json_t **out, struct err *e)
{
    static const char *const members[] = {"label", "node", NULL};
    const char *label = NULL;
    if (!name_ok(name))
        return err_set(e, RC_INVALID, "name", "条件名称应为 2 到 40 个小写字母、数字或下划线");
    enum rc rc = jsonx_only(doc, members, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(doc, "label", true, 40, &label, e);
    json_t *node = json_object_get(doc, "node");
    if (rc == RC_OK && !json_is_object(node))
        rc = err_set(e, RC_INVALID, "node", "node 应为条件节点（JSON 对象）");
    if (rc)
        return rc;
    struct rules_named *named = rules_named_new();
    struct rules_policy *pol = NULL;
    json_t *before = NULL, *after = NULL;
    struct stmt *st;
    int64_t now = time_now_ms(), owner = 0;
    char owner_name[256];
    bool exists = false, same = false;
    int version = 0;
    char *text = dump(node);
    rc = store_begin(c, e);
    if (rc == RC_OK)
        rc = condition_owner(c, name, &exists, &owner, owner_name, e);
    /* The owner's officers and admins edit a condition; the CLI (p NULL) may do anything. */
    if (rc == RC_OK && exists && p && !access_can(p, ACCESS_SCOPE_ALL) &&
        !(access_can(p, ACCESS_POLICY_ISSUE) && owner && p->org_id == owner)) {
        if (owner)
            rc = err_set(e, RC_FORBIDDEN, "name",
                         "命名条件 %s 属于%s，只有该单位的政策专员或管理员可以修改", name,
                         owner_name);
        else
            rc = err_set(e, RC_FORBIDDEN, "name", "命名条件 %s 由系统维护，只有管理员可以修改",
                         name);
    }
    /* The other conditions as stored, plus this one as it would be. */
    if (rc == RC_OK)
        rc = store_prepare(
            c, "SELECT name, label, node, version FROM named_conditions ORDER BY name", &st, e);
    if (rc == RC_OK) {
        while ((rc = store_step(st, e)) == RC_ROW) {
            json_t *n = json_loads(store_text(st, 2), 0, NULL);
            if (strcmp(store_text(st, 0), name) == 0) {
                version = (int)store_int(st, 3);
                same = n && strcmp(store_text(st, 1), label) == 0 && json_equal(n, node);
                before = json_pack("{s:s, s:o*, s:i}", "label", store_text(st, 1), "node", n,
                                   "version", version);
                continue;
            }
            json_t *def = json_pack("{s:s, s:s, s:o*}", "name", store_text(st, 0), "label",
                                    store_text(st, 1), "node", n);
            struct err ignored;
            if (rules_named_add(named, def, &ignored))
                log_warn("policy: named condition %s is unusable", store_text(st, 0));
            json_decref(def);
        }
        store_finish(st);
        rc = rc == RC_DONE ? RC_OK : rc;
    }
    json_t *def = json_pack("{s:s, s:s, s:O}", "name", name, "label", label, "node", node);
    if (rc == RC_OK && (rc = rules_named_add(named, def, e)))
        err_prefix_field(e, "node");
    json_decref(def);
    if (rc == RC_OK) {
        json_t *probe = json_pack("{s:{s:s}}", "conditions", "ref", name);
        rc = rules_compile(policy_holder_rules_catalog(h), named, probe, 0, NULL, &pol, e);
        json_decref(probe);
    }
    /* Nothing changed: no new version, no audit event. Published policies are never
     * affected by an edit: they keep the versions they pinned (adopt_conditions). */
    if (rc || same)
        goto out;
    rc = store_prepare(c,
                       version ? "UPDATE named_conditions SET label = ?, node = ?, version = "
                                 "version + 1, updated_by = ?, updated_at = ? WHERE name = ?"
                               : "INSERT INTO named_conditions (label, node, updated_by, "
                                 "updated_at, name, org_id) VALUES (?, ?, ?, ?, ?, ?)",
                       &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, label);
        store_bind_text(st, 2, text);
        store_bind_text(st, 3, who->name);
        store_bind_int(st, 4, now);
        store_bind_text(st, 5, name);
        if (!version && p && p->org_id)
            store_bind_int(st, 6, p->org_id);
        else if (!version)
            store_bind_null(st, 6);
        rc = store_run(st, e);
        store_finish(st);
    }
    if (rc == RC_OK)
        rc = store_prepare(c,
                           "INSERT INTO named_condition_versions (name, version, label, node, "
                           "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                           &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, name);
        store_bind_int(st, 2, version + 1);
        store_bind_text(st, 3, label);
        store_bind_text(st, 4, text);
        store_bind_text(st, 5, who->name);
        store_bind_int(st, 6, now);
        rc = store_run(st, e);
        store_finish(st);
    }
    if (rc == RC_OK) {
        after = json_pack("{s:s, s:O, s:i}", "label", label, "node", node, "version", version + 1);
        struct audit_event ev = {"condition.set", "named_condition", name, before, after};
        rc = audit_append(c, who, &ev, NULL, e);
    }
    if (rc == RC_OK)
        rc = store_commit(c, e);
out:
    if (store_in_txn(c))
        store_rollback(c);
    rules_policy_free(pol);
    rules_named_free(named);
    json_decref(before);
    json_decref(after);
    xfree(text);
    if (rc)
        return rc;
    *out = json_pack("{s:s, s:s, s:O, s:i, s:b}", "name", name, "label", label, "node", node,
                     "version", same ? version : version + 1, "changed", !same);
    return RC_OK;
}
