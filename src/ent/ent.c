/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ent: enterprise records, visibility, and facts. A record is merged as JSON (the
 * stored row turned into an object, the update laid over it), so "what changed" is
 * one json_equal and the audit event's before/after are the same objects, with
 * personal data masked.
 */
#include "ent.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../access/access.h"
#include "../base/buf.h"
#include "../base/jsonx.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../codes/codes.h"
#include "../store/store.h"

static const struct {
    const char *code, *label;
} scales[] = {{"large", "大型"}, {"medium", "中型"}, {"small", "小型"}, {"micro", "微型"}};

static const char *scale_label(const char *s)
{
    for (size_t i = 0; s && i < sizeof(scales) / sizeof(scales[0]); i++)
        if (strcmp(scales[i].code, s) == 0)
            return scales[i].label;
    return NULL;
}

void ent_record_cleanup(struct ent_record *r)
{
    if (!r)
        return;
    json_decref(r->contacts);
    json_decref(r->tags);
    json_decref(r->officials);
    r->contacts = r->tags = r->officials = NULL;
}

/* ---- validation -------------------------------------------------------------- */

static enum rc check_region(const char *region, struct err *e)
{
    const struct codes_region *r = strlen(region) == 6 ? codes_region_find(region) : NULL;
    if (!r || !r->current || r->level < 2)
        return err_set(e, RC_INVALID, "region", "注册地 %s 不是现行的地市或县级行政区划代码（GB/T 2260）",
                       region);
    return RC_OK;
}

/* Reads a 小类 code with or without its section letter; *industry becomes the canonical
 * digits (the table's string, borrowed for the life of the process). */
static enum rc check_industry(const char **industry, struct err *e)
{
    const struct codes_industry *i;
    enum rc rc = codes_industry_parse(*industry, CODES_INDUSTRY_CLASS, &i, e);
    if (rc) {
        snprintf(e->field, sizeof(e->field), "industry");
        return rc;
    }
    *industry = i->code;
    return RC_OK;
}

static enum rc parse_contacts(const json_t *v, json_t **out, struct err *e)
{
    static const char *const fields[] = {"name", "title", "mobile", "id_number", NULL};
    if (!json_is_array(v) || json_array_size(v) > 10)
        return err_set(e, RC_INVALID, "contacts", "联系人应为数组，最多 10 人");
    json_t *arr = json_array();
    size_t i;
    json_t *c;
    enum rc rc = RC_OK;
    json_array_foreach(v, i, c)
    {
        char field[40];
        const char *name = NULL, *title = NULL, *mobile = NULL, *idn = NULL;
        snprintf(field, sizeof(field), "contacts[%zu]", i);
        if ((rc = jsonx_only(c, fields, e)))
            break;
        if ((rc = jsonx_get_str(c, "name", true, 32, &name, e)) ||
            (rc = jsonx_get_str(c, "title", false, 32, &title, e)) ||
            (rc = jsonx_get_str(c, "mobile", false, 20, &mobile, e)) ||
            (rc = jsonx_get_str(c, "id_number", false, 18, &idn, e))) {
            err_prefix_field(e, field);
            break;
        }
        json_t *o = json_pack("{s:s}", "name", name);
        if (title)
            json_object_set_new(o, "title", json_string(title));
        if (mobile) {
            char norm[12];
            if ((rc = codes_mobile_normalize(mobile, norm, e))) {
                snprintf(e->field, sizeof(e->field), "%s.mobile", field);
                json_decref(o);
                break;
            }
            json_object_set_new(o, "mobile", json_string(norm));
        }
        if (idn) {
            if ((rc = codes_id_number_check(idn, e))) {
                snprintf(e->field, sizeof(e->field), "%s.id_number", field);
                json_decref(o);
                break;
            }
            char up[19];
            snprintf(up, sizeof(up), "%s", idn);
            if (up[17] == 'x')
                up[17] = 'X';
            json_object_set_new(o, "id_number", json_string(up));
        }
        json_array_append_new(arr, o);
    }
    if (rc) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return RC_OK;
}

static int cmp_json_str(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* Sorts and dedups an array of strings in place. */
static json_t *sorted_set(json_t *arr)
{
    size_t n = json_array_size(arr);
    json_t **items = xcalloc(n ? n : 1, sizeof(json_t *));
    for (size_t i = 0; i < n; i++)
        items[i] = json_array_get(arr, i);
    qsort(items, n, sizeof(json_t *), cmp_json_str);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(json_string_value(items[i]), json_string_value(items[i - 1])) != 0)
            json_array_append(out, items[i]);
    xfree(items);
    return out;
}

static enum rc parse_str_array(const json_t *v, const char *field, size_t max, json_t **out,
                               struct err *e)
{
    if (!json_is_array(v) || json_array_size(v) > max)
        return err_set(e, RC_INVALID, field, "%s 应为字符串数组（最多 %zu 项）", field, max);
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) if (!json_is_string(x) || json_string_length(x) == 0 ||
                                    json_string_length(x) > 64) return err_set(e, RC_INVALID,
                                                                               field,
                                                                               "%s 应为非空字符串数组",
                                                                               field);
    *out = sorted_set((json_t *)(uintptr_t)v);
    return RC_OK;
}

enum rc ent_record_from_json(const struct ent_catalog *cat, const json_t *j, bool partial,
                             struct ent_record *r, struct err *e)
{
    static const char *const fields[] = {"credit_code", "name",  "region",   "industry",
                                         "founded",     "registered_capital", "scale",
                                         "legal_rep",   "address", "contacts", "tags",
                                         "officials",   NULL};
    memset(r, 0, sizeof(*r));
    r->capital_fen = -1;
    enum rc rc = jsonx_only(j, fields, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(j, "credit_code", !partial, 18, &r->credit_code, e);
    if (rc == RC_OK && r->credit_code && (rc = codes_credit_code_check(r->credit_code, e)))
        snprintf(e->field, sizeof(e->field), "credit_code");
    if (rc == RC_OK)
        rc = jsonx_get_str(j, "name", !partial, 100, &r->name, e);
    if (rc == RC_OK && r->name && utf8_len(r->name) < 2)
        rc = err_set(e, RC_INVALID, "name", "企业名称至少 2 个字符");
    if (rc == RC_OK)
        rc = jsonx_get_str(j, "region", !partial, 6, &r->region, e);
    if (rc == RC_OK && r->region)
        rc = check_region(r->region, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(j, "industry", false, 16, &r->industry, e);
    if (rc == RC_OK && r->industry)
        rc = check_industry(&r->industry, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(j, "founded", false, 10, &r->founded, e);
    if (rc == RC_OK && r->founded && !ent_date_valid(r->founded))
        rc = err_set(e, RC_INVALID, "founded", "成立日期应为 YYYY-MM-DD");
    if (rc == RC_OK)
        rc = jsonx_get_int(j, "registered_capital", false, 0, INT64_C(1) << 53, &r->capital_fen, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(j, "scale", false, 8, &r->scale, e);
    if (rc == RC_OK && r->scale && !scale_label(r->scale))
        rc = err_set(e, RC_INVALID, "scale", "企业规模应为 large、medium、small 或 micro");
    if (rc == RC_OK)
        rc = jsonx_get_str(j, "legal_rep", false, 32, &r->legal_rep, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(j, "address", false, 200, &r->address, e);
    json_t *v;
    if (rc == RC_OK && (v = json_object_get(j, "contacts")) && !json_is_null(v))
        rc = parse_contacts(v, &r->contacts, e);
    if (rc == RC_OK && (v = json_object_get(j, "tags")) && !json_is_null(v)) {
        rc = parse_str_array(v, "tags", 32, &r->tags, e);
        size_t i;
        json_t *t;
        json_array_foreach(r->tags, i, t) if (rc == RC_OK &&
                                              !ent_catalog_tag(cat, json_string_value(t))) rc =
            err_set(e, RC_INVALID, "tags", "未知的资质标签 %s", json_string_value(t));
    }
    if (rc == RC_OK && (v = json_object_get(j, "officials")) && !json_is_null(v))
        rc = parse_str_array(v, "officials", 20, &r->officials, e);
    if (rc) {
        ent_record_cleanup(r);
        return rc;
    }
    r->has_name = r->name != NULL;
    r->has_region = r->region != NULL;
    r->has_industry = json_object_get(j, "industry") != NULL;
    r->has_founded = json_object_get(j, "founded") != NULL;
    r->has_capital = json_object_get(j, "registered_capital") != NULL;
    r->has_scale = json_object_get(j, "scale") != NULL;
    r->has_legal_rep = json_object_get(j, "legal_rep") != NULL;
    r->has_address = json_object_get(j, "address") != NULL;
    r->has_contacts = r->contacts != NULL || json_object_get(j, "contacts") != NULL;
    r->has_tags = r->tags != NULL || json_object_get(j, "tags") != NULL;
    if (r->has_contacts && !r->contacts)
        r->contacts = json_array();
    if (r->has_tags && !r->tags)
        r->tags = json_array();
    return RC_OK;
}

/* ---- the record as JSON --------------------------------------------------- */

#define ENT_COLS                                                                                   \
    "e.credit_code, e.name, e.region, e.industry, e.founded, e.capital_fen, e.scale, "             \
    "e.legal_rep, e.address, e.contacts, e.created_at, e.updated_at, e.version"

static json_t *opt_str(struct stmt *st, int i)
{
    return store_isnull(st, i) ? json_null() : json_string(store_text(st, i));
}

/* The stored part of a record (columns of ENT_COLS), as the merge substrate. */
static json_t *row_json(struct stmt *st)
{
    json_t *contacts = json_loads(store_text(st, 9), 0, NULL);
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "credit_code",
                     store_text(st, 0), "name", store_text(st, 1), "region", store_text(st, 2),
                     "industry", opt_str(st, 3), "founded", opt_str(st, 4), "registered_capital",
                     store_isnull(st, 5) ? json_null() : json_integer(store_int(st, 5)), "scale",
                     opt_str(st, 6), "legal_rep", opt_str(st, 7), "address", opt_str(st, 8),
                     "contacts", contacts ? contacts : json_array());
}

static void mask_contacts(json_t *contacts)
{
    size_t i;
    json_t *c;
    json_array_foreach(contacts, i, c)
    {
        char out[32];
        const char *m = json_string_value(json_object_get(c, "mobile"));
        const char *id = json_string_value(json_object_get(c, "id_number"));
        if (m)
            json_object_set_new(c, "mobile", json_string(codes_mask_mobile(m, out, sizeof(out))));
        if (id)
            json_object_set_new(c, "id_number",
                                json_string(codes_mask_id_number(id, out, sizeof(out))));
    }
}

/* A copy of rec with personal data masked (for audit events and lists). */
static json_t *masked_copy(const json_t *rec)
{
    json_t *copy = json_deep_copy(rec);
    mask_contacts(json_object_get(copy, "contacts"));
    return copy;
}

static enum rc load_set(struct conn *c, const char *sql, const char *credit_code, json_t **out,
                        struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, sql, &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, credit_code);
    json_t *arr = json_array();
    while ((rc = store_step(st, e)) == RC_ROW)
        json_array_append_new(arr, json_string(store_text(st, 0)));
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return RC_OK;
}

static const char *const SQL_TAGS =
    "SELECT tag FROM enterprise_tags WHERE credit_code = ? ORDER BY tag";
static const char *const SQL_OFFICIALS =
    "SELECT u.username FROM enterprise_officials o JOIN users u ON u.id = o.user_id "
    "WHERE o.credit_code = ? ORDER BY u.username";

/* Reads the whole record (row + tags + officials) or *out = NULL when absent. */
static enum rc load_record(struct conn *c, const char *credit_code, json_t **out, struct err *e)
{
    struct stmt *st;
    *out = NULL;
    enum rc rc = store_prepare(c, "SELECT " ENT_COLS " FROM enterprises e WHERE credit_code = ?",
                               &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, credit_code);
    json_t *rec = NULL;
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        rec = row_json(st);
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = RC_OK;
    }
    store_finish(st);
    if (rc || !rec)
        return rc;
    json_t *tags = NULL, *officials = NULL;
    rc = load_set(c, SQL_TAGS, credit_code, &tags, e);
    if (rc == RC_OK)
        rc = load_set(c, SQL_OFFICIALS, credit_code, &officials, e);
    if (rc) {
        json_decref(rec);
        json_decref(tags);
        return rc;
    }
    json_object_set_new(rec, "tags", tags);
    json_object_set_new(rec, "officials", officials);
    *out = rec;
    return RC_OK;
}

static void set_opt(json_t *rec, const char *key, bool has, const char *v)
{
    if (has)
        json_object_set_new(rec, key, v ? json_string(v) : json_null());
}

/* Lays the members r sets over rec (a new object for a new enterprise). */
static json_t *merge(const json_t *existing, const struct ent_record *r)
{
    json_t *rec = existing ? json_deep_copy(existing)
                           : json_pack("{s:s, s:n, s:n, s:n, s:n, s:n, s:n, s:n, s:[], s:[], s:[]}",
                                       "credit_code", r->credit_code, "name", "region", "industry",
                                       "founded", "registered_capital", "scale", "legal_rep",
                                       "address", "contacts", "tags", "officials");
    set_opt(rec, "name", r->has_name, r->name);
    set_opt(rec, "region", r->has_region, r->region);
    set_opt(rec, "industry", r->has_industry, r->industry);
    set_opt(rec, "founded", r->has_founded, r->founded);
    set_opt(rec, "scale", r->has_scale, r->scale);
    set_opt(rec, "legal_rep", r->has_legal_rep, r->legal_rep);
    set_opt(rec, "address", r->has_address, r->address);
    if (r->has_capital)
        json_object_set_new(rec, "registered_capital",
                            r->capital_fen >= 0 ? json_integer(r->capital_fen) : json_null());
    if (r->has_contacts)
        json_object_set(rec, "contacts", r->contacts);
    if (r->has_tags)
        json_object_set(rec, "tags", r->tags);
    if (r->officials)
        json_object_set(rec, "officials", r->officials);
    return rec;
}

static void bind_opt(struct stmt *st, int i, const json_t *rec, const char *key)
{
    store_bind_text(st, i, json_string_value(json_object_get(rec, key)));
}

static enum rc replace_set(struct conn *c, const char *credit_code, const char *del_sql,
                           const char *ins_sql, const json_t *items, struct err *e)
{
    struct stmt *st;
    enum rc rc = RC_OK;
    if (del_sql) {
        rc = store_prepare(c, del_sql, &st, e);
        if (rc)
            return rc;
        store_bind_text(st, 1, credit_code);
        rc = store_run(st, e);
        store_finish(st);
    }
    size_t i;
    json_t *x;
    json_array_foreach(items, i, x)
    {
        if (rc || (rc = store_prepare(c, ins_sql, &st, e)))
            break;
        store_bind_text(st, 1, credit_code);
        store_bind_text(st, 2, json_string_value(x));
        rc = store_run(st, e);
        store_finish(st);
        if (rc == RC_DONE)
            rc = RC_OK;
    }
    return rc;
}

enum rc ent_search_mark(struct conn *c, int64_t *mark, struct err *e)
{
    return store_search_mark(c, "enterprises", mark, e);
}

enum rc ent_search_index_from(struct conn *c, int64_t mark, struct err *e)
{
    return store_search_index_from(c, "enterprises", "name", mark, e);
}

enum rc ent_save_in_txn(struct conn *c, const struct ent_record *r, bool create_only,
                        bool bulk, bool *created, bool *changed, json_t **before_out,
                        json_t **after_out, struct err *e)
{
    json_t *existing = NULL, *rec = NULL;
    struct stmt *st = NULL;
    *created = *changed = false;
    enum rc rc = load_record(c, r->credit_code, &existing, e);
    if (rc)
        return rc;
    if (existing && create_only) {
        json_decref(existing);
        return err_set(e, RC_EXISTS, "credit_code", "统一社会信用代码 %s 的企业已存在",
                       r->credit_code);
    }
    if (!existing && (!r->has_name || !r->has_region))
        return err_set(e, RC_NOTFOUND, NULL, "企业 %s 不存在", r->credit_code);
    rec = merge(existing, r);
    if (existing && json_equal(existing, rec)) {
        json_decref(existing);
        json_decref(rec);
        return RC_OK;
    }
    int64_t now = time_now_ms();
    char *contacts = jsonx_canonical(json_object_get(rec, "contacts"));
    rc = store_prepare(c,
                       existing ? "UPDATE enterprises SET name = ?, region = ?, industry = ?, "
                                  "founded = ?, capital_fen = ?, scale = ?, legal_rep = ?, "
                                  "address = ?, contacts = ?, updated_at = ?, version = version + 1 "
                                  "WHERE credit_code = ?"
                                : "INSERT INTO enterprises (name, region, industry, founded, "
                                  "capital_fen, scale, legal_rep, address, contacts, updated_at, "
                                  "credit_code, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                       &st, e);
    if (rc == RC_OK) {
        bind_opt(st, 1, rec, "name");
        bind_opt(st, 2, rec, "region");
        bind_opt(st, 3, rec, "industry");
        bind_opt(st, 4, rec, "founded");
        json_t *cap = json_object_get(rec, "registered_capital");
        if (json_is_integer(cap))
            store_bind_int(st, 5, json_integer_value(cap));
        else
            store_bind_null(st, 5);
        bind_opt(st, 6, rec, "scale");
        bind_opt(st, 7, rec, "legal_rep");
        bind_opt(st, 8, rec, "address");
        store_bind_text(st, 9, contacts);
        store_bind_int(st, 10, now);
        store_bind_text(st, 11, r->credit_code);
        if (!existing)
            store_bind_int(st, 12, now);
        rc = store_run(st, e);
    }
    store_finish(st);
    xfree(contacts);
    if (rc == RC_OK && !existing && !bulk)
        rc = store_search_index_row(c, "enterprises", "name", "credit_code", r->credit_code, e);
    if (rc == RC_OK && (!existing || !json_equal(json_object_get(existing, "tags"),
                                                 json_object_get(rec, "tags"))))
        rc = replace_set(c, r->credit_code,
                         existing ? "DELETE FROM enterprise_tags WHERE credit_code = ?" : NULL,
                         "INSERT INTO enterprise_tags (credit_code, tag) VALUES (?, ?)",
                         json_object_get(rec, "tags"), e);
    if (rc == RC_OK && r->officials &&
        (!existing || !json_equal(json_object_get(existing, "officials"), r->officials))) {
        rc = replace_set(c, r->credit_code,
                         existing ? "DELETE FROM enterprise_officials WHERE credit_code = ?" : NULL,
                         "INSERT INTO enterprise_officials (credit_code, user_id) SELECT ?, id "
                         "FROM users WHERE username = ? AND credit_code IS NULL",
                         r->officials, e);
        /* Every named official must have been found (and not be an enterprise user). */
        json_t *got = NULL;
        if (rc == RC_OK)
            rc = load_set(c, SQL_OFFICIALS, r->credit_code, &got, e);
        if (rc == RC_OK && json_array_size(got) != json_array_size(r->officials))
            rc = err_set(e, RC_INVALID, "officials", "包保人员须为已存在的政府工作人员账号");
        json_decref(got);
    }
    if (rc == RC_OK) {
        *created = existing == NULL;
        *changed = true;
        if (before_out)
            *before_out = existing ? masked_copy(existing) : NULL;
        if (after_out) /* a bulk import audits its creations as one event */
            *after_out = bulk && !existing ? NULL : masked_copy(rec);
    }
    json_decref(existing);
    json_decref(rec);
    return rc;
}

static enum rc visible(struct conn *c, const struct principal *p, const char *credit_code,
                       struct err *e);

enum rc ent_save(struct conn *c, const struct audit_actor *who, const struct principal *p,
                 const struct ent_record *r, bool create_only, bool *created, bool *changed,
                 struct err *e)
{
    json_t *before = NULL, *after = NULL;
    /* An update through the API never creates: the enterprise must exist and be
     * visible (for admins too). Only the CLI (p NULL) upserts. */
    if (p && !create_only) {
        enum rc rc = visible(c, p, r->credit_code, e);
        if (rc)
            return rc;
    }
    struct access_scope s;
    access_scope_of(p, ACCESS_ENT_REGION, ACCESS_NONE, &s);
    const char *own = strcmp(s.region_lo, "~") == 0 ? "无" : s.region_lo;
    bool bounded = p && !s.all;
    if (bounded && r->region && strncmp(r->region, s.region_lo, strlen(s.region_lo)) != 0)
        return err_set(e, RC_FORBIDDEN, "region", "只能登记本辖区（%s）的企业", own);
    enum rc rc = store_begin(c, e);
    if (rc)
        return rc;
    rc = ent_save_in_txn(c, r, create_only, false, created, changed, &before, &after, e);
    /* An enterprise the caller cannot see is answered as one it may not register, so
     * a registration attempt does not reveal that the code exists elsewhere. */
    if (rc == RC_EXISTS && bounded) {
        enum rc vrc = visible(c, p, r->credit_code, e);
        if (vrc == RC_NOTFOUND)
            rc = err_set(e, RC_FORBIDDEN, "region", "只能登记本辖区（%s）的企业", own);
        else if (vrc)
            rc = vrc;
    }
    if (rc == RC_OK && *changed) {
        struct audit_event ev = {*created ? "enterprise.create" : "enterprise.update", "enterprise",
                                 r->credit_code, before, after};
        rc = audit_append(c, who, &ev, NULL, e);
    }
    if (rc == RC_OK)
        rc = store_commit(c, e);
    else
        store_rollback(c);
    json_decref(before);
    json_decref(after);
    return rc;
}

/* ---- visibility ---------------------------------------------------------------- */

/* The scope predicate over enterprises e (src/access). */
#define SCOPE_SQL ACCESS_SQL_ENT("e.credit_code", "e.region")

/* The public JSON of a record: names of codes, labels, officials, masking. */
static json_t *present(const struct ent_catalog *cat, json_t *rec, bool reveal)
{
    char full[256];
    const char *region = json_string_value(json_object_get(rec, "region"));
    if (region)
        json_object_set_new(rec, "region_name",
                            json_string(codes_region_full_name(region, full, sizeof(full))));
    const char *ind = json_string_value(json_object_get(rec, "industry"));
    const struct codes_industry *ci = ind ? codes_industry_find(ind) : NULL;
    json_object_set_new(rec, "industry_name", ci ? json_string(ci->name) : json_null());
    const char *sl = scale_label(json_string_value(json_object_get(rec, "scale")));
    json_object_set_new(rec, "scale_label", sl ? json_string(sl) : json_null());
    json_t *tags = json_object_get(rec, "tags");
    if (tags) {
        json_t *labelled = json_array();
        size_t i;
        json_t *t;
        json_array_foreach(tags, i, t)
        {
            const char *label = ent_catalog_tag(cat, json_string_value(t));
            json_array_append_new(labelled, json_pack("{s:s, s:s}", "code", json_string_value(t),
                                                      "label", label ? label : ""));
        }
        json_object_set_new(rec, "tags", labelled);
    }
    if (!reveal)
        mask_contacts(json_object_get(rec, "contacts"));
    json_object_set_new(rec, "personal_data_masked", json_boolean(!reveal));
    return rec;
}

/* Is credit_code visible to scope? RC_NOTFOUND when not (or absent). */
static enum rc visible(struct conn *c, const struct principal *p, const char *credit_code,
                       struct err *e)
{
    struct stmt *st;
    struct access_scope s;
    access_scope_of(p, ACCESS_ENT_REGION, ACCESS_NONE, &s);
    enum rc rc = store_prepare(c,
                               "SELECT 1 FROM enterprises e WHERE e.credit_code = ? AND " SCOPE_SQL,
                               &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, credit_code);
    access_bind_ent(st, 2, &s);
    rc = store_step(st, e);
    store_finish(st);
    if (rc == RC_ROW)
        return RC_OK;
    if (rc == RC_DONE)
        return err_set(e, RC_NOTFOUND, NULL, "企业不存在或无权查看");
    return rc;
}

enum rc ent_get(struct conn *c, const struct ent_catalog *cat, const struct principal *p,
                const char *credit_code, json_t **out, struct err *e)
{
    json_t *rec = NULL;
    enum rc rc = visible(c, p, credit_code, e);
    if (rc == RC_OK)
        rc = load_record(c, credit_code, &rec, e);
    if (rc)
        return rc;
    if (!rec)
        return err_set(e, RC_NOTFOUND, NULL, "企业不存在或无权查看");
    struct stmt *st;
    rc = store_prepare(c, "SELECT created_at, updated_at, version FROM enterprises WHERE credit_code = ?",
                       &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, credit_code);
        if ((rc = store_step(st, e)) == RC_ROW) {
            char a[40], b[40];
            time_fmt_cst(store_int(st, 0), a, sizeof(a));
            time_fmt_cst(store_int(st, 1), b, sizeof(b));
            json_object_set_new(rec, "created_at", json_string(a));
            json_object_set_new(rec, "updated_at", json_string(b));
            json_object_set_new(rec, "version", json_integer(store_int(st, 2)));
            rc = RC_OK;
        }
        store_finish(st);
    }
    if (rc) {
        json_decref(rec);
        return rc;
    }
    /* Personal data: the enterprise itself and its 包保 officials handle it; holders of
     * pii.read see it too (access_reveal). */
    bool related = access_can(p, ACCESS_ENT_SELF) && p->credit_code &&
                   strcmp(p->credit_code, credit_code) == 0;
    if (!related && !access_reveal(p, false) && p->user_id) {
        rc = store_prepare(c,
                           "SELECT 1 FROM enterprise_officials WHERE credit_code = ? AND user_id = ?",
                           &st, e);
        if (rc == RC_OK) {
            store_bind_text(st, 1, credit_code);
            store_bind_int(st, 2, p->user_id);
            related = store_step(st, e) == RC_ROW;
            store_finish(st);
        }
    }
    *out = present(cat, rec, access_reveal(p, related));
    return rc;
}

/* Industry prefix → [lo, hi) over 4-digit codes; a section letter covers its divisions.
 * A code written after its section letter ("C39") stands for its digits. */
static bool industry_range(const char *p, char lo[8], char hi[8])
{
    const struct codes_industry *ind;
    struct err ignored;
    if (strlen(p) > 1 && ((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z'))) {
        if (codes_industry_parse(p, 0, &ind, &ignored))
            return false;
        p = ind->code;
    }
    if (strlen(p) == 1 && p[0] >= 'A' && p[0] <= 'Z') {
        const struct codes_industry *kids[128];
        size_t n = codes_industry_children(p, kids, 128);
        if (n == 0)
            return false;
        snprintf(lo, 8, "%s", kids[0]->code);
        snprintf(hi, 8, "%s:", kids[n - 1]->code);
        return true;
    }
    size_t n = strlen(p);
    if (n < 1 || n > 4)
        return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    snprintf(lo, 8, "%s", p);
    snprintf(hi, 8, "%s:", p);
    return true;
}

enum rc ent_list(struct conn *c, const struct ent_catalog *cat, const struct principal *p,
                 const struct ent_filter *f, json_t **out, struct err *e)
{
    char ilo[8] = "", ihi[8] = "", rhi[16];
    if (f->industry && !industry_range(f->industry, ilo, ihi))
        return err_set(e, RC_INVALID, "industry",
                       "行业代码前缀应为门类字母或 1–4 位数字，数字前可带门类字母，如 C、C39 或 39");
    if (f->region) {
        size_t n = strlen(f->region);
        for (size_t i = 0; i < n; i++)
            if (f->region[i] < '0' || f->region[i] > '9' || n > 6)
                return err_set(e, RC_INVALID, "region", "行政区划前缀应为 1–6 位数字");
    }
    if (f->scale && !scale_label(f->scale))
        return err_set(e, RC_INVALID, "scale", "企业规模应为 large、medium、small 或 micro");
    /* A search of letters and digits only is (a prefix of) a credit code: registered names
     * are Chinese, and codes are what officials copy from a licence. */
    char code_lo[20] = "", code_hi[24];
    bool by_code = f->q && strlen(f->q) >= 2 && strlen(f->q) <= 18;
    for (const char *t = f->q; by_code && *t; t++) {
        if (!((*t >= '0' && *t <= '9') || (*t >= 'A' && *t <= 'Z') || (*t >= 'a' && *t <= 'z')))
            by_code = false;
        else
            code_lo[t - f->q] = (char)(*t >= 'a' && *t <= 'z' ? *t - 'a' + 'A' : *t);
    }
    snprintf(code_hi, sizeof(code_hi), "%s~", code_lo);
#define LIST_HEAD                                                                                  \
    "SELECT " ENT_COLS " FROM enterprises e WHERE e.credit_code > ? AND e.region >= ? AND "        \
    "e.region < ? AND (CAST(? AS TEXT) IS NULL OR (e.industry >= ? AND e.industry < ?)) AND "      \
    "(CAST(? AS TEXT) IS NULL OR e.scale = ?) AND (CAST(? AS TEXT) IS NULL OR EXISTS (SELECT 1 "   \
    "FROM enterprise_tags t WHERE t.credit_code = e.credit_code AND t.tag = ?)) AND " SCOPE_SQL
#define LIST_TAIL " ORDER BY e.credit_code LIMIT ?"
    static const struct store_search search = {"enterprises", "e", "e.name"};
    struct buf sql;
    buf_init(&sql, 8192);
    char *pattern = NULL;
    enum rc rc = buf_puts(&sql, LIST_HEAD);
    if (rc == RC_OK && by_code)
        rc = buf_puts(&sql, " AND e.credit_code >= ? AND e.credit_code < ?");
    else if (rc == RC_OK && f->q)
        rc = store_search_sql(c, &search, f->q, &sql, &pattern);
    if (rc == RC_OK)
        rc = buf_puts(&sql, LIST_TAIL);
    struct stmt *st = NULL;
    if (rc == RC_OK)
        rc = store_prepare(c, buf_str(&sql), &st, e);
    else
        rc = err_set(e, RC_INTERNAL, NULL, "query too long");
    buf_cleanup(&sql);
    if (rc) {
        xfree(pattern);
        return rc;
    }
    int i = 1;
    store_bind_text(st, i++, f->after ? f->after : "");
    store_bind_text(st, i++, f->region ? f->region : "");
    snprintf(rhi, sizeof(rhi), "%s:", f->region ? f->region : "");
    store_bind_text(st, i++, f->region ? rhi : "~");
    store_bind_text(st, i++, f->industry);
    store_bind_text(st, i++, ilo);
    store_bind_text(st, i++, ihi);
    store_bind_text(st, i++, f->scale);
    store_bind_text(st, i++, f->scale);
    store_bind_text(st, i++, f->tag);
    store_bind_text(st, i++, f->tag);
    struct access_scope scope;
    access_scope_of(p, ACCESS_ENT_REGION, ACCESS_NONE, &scope);
    i = access_bind_ent(st, i, &scope);
    if (by_code) {
        store_bind_text(st, i++, code_lo);
        store_bind_text(st, i++, code_hi);
    } else if (f->q) {
        store_bind_text(st, i++, pattern);
    }
    store_bind_int(st, i, f->limit);
    json_t *arr = json_array();
    while ((rc = store_step(st, e)) == RC_ROW) {
        json_t *rec = row_json(st);
        json_object_del(rec, "contacts"); /* lists carry no personal data at all */
        json_object_del(rec, "address");
        json_array_append_new(arr, present(cat, rec, false));
    }
    store_finish(st);
    xfree(pattern);
    if (rc != RC_DONE) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return RC_OK;
}

/* ---- facts ------------------------------------------------------------------- */

enum rc ent_facts_get(struct conn *c, const struct ent_catalog *cat, const struct principal *p,
                      const char *credit_code, bool history, json_t **out, struct err *e)
{
    json_t *rec = NULL;
    enum rc rc = visible(c, p, credit_code, e);
    if (rc == RC_OK)
        rc = load_record(c, credit_code, &rec, e);
    if (rc)
        return rc;
    struct stmt *st;
    /* The current value of a fact is the newest authoritative one; a self-declared value
     * counts only while no authoritative value exists, whatever its as-of date. */
    rc = store_prepare(c,
                       history ? "SELECT fact, value, as_of, status, source, recorded_at, "
                                 "recorded_by FROM enterprise_facts WHERE credit_code = ? ORDER "
                                 "BY fact, as_of DESC, id DESC"
                               : "SELECT fact, value, as_of, status, source, recorded_at, "
                                 "recorded_by FROM enterprise_facts WHERE credit_code = ? ORDER "
                                 "BY fact, CASE WHEN status = 'authoritative' THEN 0 ELSE 1 END, "
                                 "as_of DESC, id DESC",
                       &st, e);
    if (rc) {
        json_decref(rec);
        return rc;
    }
    store_bind_text(st, 1, credit_code);
    json_t *items = json_array(), *seen = json_object();
    char shown[128], at[40];
    /* Built-in facts come from the registration record. */
    for (size_t k = 0; k < ent_catalog_size(cat); k++) {
        const struct ent_fact_def *d = ent_catalog_at(cat, k);
        if (!d->builtin)
            continue;
        json_t *v = json_object_get(rec, strcmp(d->name, "registered_capital") == 0
                                             ? "registered_capital"
                                             : d->name);
        if (!v || json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0))
            continue;
        json_t *item = json_pack("{s:s, s:s, s:s, s:s, s:O, s:s, s:s}", "fact", d->name, "label",
                                 d->label, "type", ent_fact_type_name(d->type), "unit", d->unit,
                                 "value", v, "status", "authoritative", "source", "企业登记信息");
        json_array_append_new(items, item);
        json_object_set_new(seen, d->name, json_true());
    }
    while ((rc = store_step(st, e)) == RC_ROW) {
        const char *fact = store_text(st, 0);
        const struct ent_fact_def *d = ent_catalog_fact(cat, fact);
        if (!d || (!history && json_object_get(seen, fact)))
            continue;
        json_object_set_new(seen, fact, json_true());
        time_fmt_cst(store_int(st, 5), at, sizeof(at));
        json_array_append_new(
            items,
            json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:s}", "fact", fact,
                      "label", d->label, "type", ent_fact_type_name(d->type), "unit", d->unit,
                      "value", ent_fact_to_json(d, store_text(st, 1)), "display",
                      ent_fact_display(d, store_text(st, 1), shown, sizeof(shown)), "as_of",
                      store_text(st, 2), "status", store_text(st, 3), "source", store_text(st, 4),
                      "recorded_at", at, "recorded_by", store_text(st, 6)));
    }
    store_finish(st);
    json_decref(rec);
    if (rc != RC_DONE) {
        json_decref(items);
        json_decref(seen);
        return rc;
    }
    json_t *missing = json_array();
    for (size_t k = 0; k < ent_catalog_size(cat); k++) {
        const struct ent_fact_def *d = ent_catalog_at(cat, k);
        if (!json_object_get(seen, d->name))
            json_array_append_new(missing, json_pack("{s:s, s:s, s:s}", "fact", d->name, "label",
                                                     d->label, "source", d->source));
    }
    json_decref(seen);
    *out = json_pack("{s:s, s:o, s:o}", "credit_code", credit_code, "items", items, "missing",
                     missing);
    return RC_OK;
}

/* "INSERT ... VALUES (...), (...)" for 1..ENT_FACTS_BATCH rows, built once. */
#define ENT_FACTS_BATCH 32
static char *facts_sql[ENT_FACTS_BATCH + 1];
static pthread_once_t facts_sql_once = PTHREAD_ONCE_INIT;

static void build_facts_sql(void)
{
    for (int k = 1; k <= ENT_FACTS_BATCH; k++) {
        struct buf b;
        buf_init(&b, 8192);
        int rc = buf_puts(&b, "INSERT INTO enterprise_facts (credit_code, fact, value, as_of, "
                              "status, source, recorded_at, recorded_by) VALUES ");
        for (int i = 0; i < k && !rc; i++)
            rc = buf_puts(&b, i ? ",(?,?,?,?,?,?,?,?)" : "(?,?,?,?,?,?,?,?)");
        facts_sql[k] = buf_take(&b);
    }
}

enum rc ent_facts_insert(struct conn *c, const char *credit_code, const struct ent_fact_in *facts,
                         size_t n, const char *recorded_by, int64_t now, struct err *e)
{
    pthread_once(&facts_sql_once, build_facts_sql);
    enum rc rc = RC_OK;
    for (size_t at = 0; at < n && !rc; at += ENT_FACTS_BATCH) {
        size_t k = n - at < ENT_FACTS_BATCH ? n - at : ENT_FACTS_BATCH;
        struct stmt *st;
        rc = store_prepare(c, facts_sql[k], &st, e);
        if (rc)
            break;
        for (size_t i = 0; i < k; i++) {
            const struct ent_fact_in *f = &facts[at + i];
            int b = (int)i * 8;
            store_bind_text(st, b + 1, credit_code);
            store_bind_text(st, b + 2, f->fact);
            store_bind_text(st, b + 3, f->value);
            store_bind_text(st, b + 4, f->as_of);
            store_bind_text(st, b + 5, f->status);
            store_bind_text(st, b + 6, f->source);
            store_bind_int(st, b + 7, now);
            store_bind_text(st, b + 8, recorded_by);
        }
        rc = store_run(st, e);
        store_finish(st);
    }
    return rc;
}

enum rc ent_visible(struct conn *c, const struct principal *p, const char *credit_code,
                    struct err *e)
{
    return visible(c, p, credit_code, e);
}

enum rc ent_facts_put(struct conn *c, const struct audit_actor *who, const struct principal *p,
                      const char *credit_code, const struct ent_fact_in *facts, size_t n,
                      struct err *e)
{
    enum rc rc = visible(c, p, credit_code, e);
    if (rc)
        return rc;
    rc = store_begin(c, e);
    if (rc)
        return rc;
    rc = ent_facts_insert(c, credit_code, facts, n, who->name, time_now_ms(), e);
    if (rc == RC_OK) {
        json_t *after = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(after, json_pack("{s:s, s:s, s:s, s:s, s:s}", "fact",
                                                   facts[i].fact, "value", facts[i].value, "as_of",
                                                   facts[i].as_of, "status", facts[i].status,
                                                   "source", facts[i].source));
        json_t *wrapped = json_pack("{s:o}", "facts", after);
        struct audit_event ev = {"enterprise.facts", "enterprise", credit_code, NULL, wrapped};
        rc = audit_append(c, who, &ev, NULL, e);
        json_decref(wrapped);
    }
    if (rc == RC_OK)
        rc = store_commit(c, e);
    else
        store_rollback(c);
    return rc;
}
