/* SPDX-License-Identifier: Apache-2.0 */
/* org: create, read and list organisations; the path column keeps subtrees cheap. */
#include "org.h"

#include <stdio.h>
#include <string.h>

#include "../base/jsonx.h"
#include "../base/timeutil.h"
#include "../codes/codes.h"
#include "../store/store.h"

static const struct {
    const char *kind, *label;
} kinds[] = {{"city", "市"},     {"department", "部门"}, {"county", "县区"},
             {"town", "乡镇街道"}, {"village", "村社区"},  {"center", "企业服务中心"}};

const char *org_kind_label(const char *kind)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (kind && strcmp(kinds[i].kind, kind) == 0)
            return kinds[i].label;
    return NULL;
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return s[n] == '\0';
}

static enum rc check_region(const char *region, struct err *e)
{
    size_t n = strlen(region);
    if (!((n == 6 || n == 9 || n == 12) && all_digits(region, n)))
        return err_set(e, RC_INVALID, "region", "行政区划代码应为 6 位（县级）或 9/12 位（乡镇/村）数字");
    char county[7];
    memcpy(county, region, 6);
    county[6] = '\0';
    const struct codes_region *r = codes_region_find(county);
    if (!r || !r->current)
        return err_set(e, RC_INVALID, "region", "行政区划代码 %s 不是现行 GB/T 2260 代码", county);
    return RC_OK;
}

static enum rc check_code(const char *code, struct err *e)
{
    size_t n = strlen(code);
    if (n < 2 || n > 32)
        return err_set(e, RC_INVALID, "code", "机构代码长度应为 2 到 32 个字符");
    for (size_t i = 0; i < n; i++) {
        char ch = code[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
              ch == '-' || ch == '_'))
            return err_set(e, RC_INVALID, "code", "机构代码只能包含字母、数字、- 和 _");
    }
    return RC_OK;
}

static void read_row(struct stmt *st, struct pool *pool, struct org *o)
{
    o->id = store_int(st, 0);
    o->parent_id = store_int(st, 1);
    o->code = pool_strdup(pool, store_text(st, 2));
    o->name = pool_strdup(pool, store_text(st, 3));
    o->kind = pool_strdup(pool, store_text(st, 4));
    o->region = pool_strdup(pool, store_text(st, 5));
    o->path = pool_strdup(pool, store_text(st, 6));
}

#define ORG_COLS "id, COALESCE(parent_id, 0), code, name, kind, region, path"

static enum rc read_one(struct conn *c, const char *sql, const char *code, int64_t id,
                        struct pool *pool, struct org *out, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, sql, &st, e);
    if (rc)
        return rc;
    if (code)
        store_bind_text(st, 1, code);
    else
        store_bind_int(st, 1, id);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        read_row(st, pool, out);
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_NOTFOUND, NULL, "机构不存在");
    }
    store_finish(st);
    return rc;
}

enum rc org_by_code(struct conn *c, const char *code, struct pool *pool, struct org *out,
                    struct err *e)
{
    return read_one(c, "SELECT " ORG_COLS " FROM orgs WHERE code = ?", code, 0, pool, out, e);
}

enum rc org_by_id(struct conn *c, int64_t id, struct pool *pool, struct org *out, struct err *e)
{
    return read_one(c, "SELECT " ORG_COLS " FROM orgs WHERE id = ?", NULL, id, pool, out, e);
}

json_t *org_json(const struct org *o)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id",
                          "", "code", o->code, "name", o->name, "kind", o->kind, "kind_label",
                          org_kind_label(o->kind) ? org_kind_label(o->kind) : o->kind, "region",
                          o->region);
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)o->id);
    json_object_set_new(j, "id", json_string(id));
    return j;
}

enum rc org_create(struct conn *c, const struct audit_actor *who, const struct org_new *o,
                   int64_t *out, struct err *e)
{
    struct pool pool;
    struct org parent = {0};
    struct stmt *st = NULL;
    int64_t id = 0;
    pool_init(&pool);
    enum rc rc = check_code(o->code, e);
    if (rc == RC_OK && (utf8_len(o->name) < 2 || utf8_len(o->name) > 64))
        rc = err_set(e, RC_INVALID, "name", "机构名称长度应为 2 到 64 个字符");
    if (rc == RC_OK && !org_kind_label(o->kind))
        rc = err_set(e, RC_INVALID, "kind",
                     "机构类型应为 city、department、county、town、village 或 center");
    if (rc == RC_OK)
        rc = check_region(o->region, e);
    if (rc)
        goto out;
    rc = store_begin(c, e);
    if (rc)
        goto out;
    if (o->parent_code) {
        rc = org_by_code(c, o->parent_code, &pool, &parent, e);
        if (rc == RC_NOTFOUND)
            rc = err_set(e, RC_INVALID, "parent", "上级机构 %s 不存在", o->parent_code);
        if (rc)
            goto out;
    } else if (strcmp(o->kind, "city") != 0 && strcmp(o->kind, "center") != 0) {
        rc = err_set(e, RC_INVALID, "parent", "只有市级机构或企业服务中心可以没有上级机构");
        goto out;
    }
    rc = store_prepare(c,
                       "INSERT INTO orgs (code, name, kind, region, parent_id, path, created_at) "
                       "VALUES (?, ?, ?, ?, ?, '', ?) RETURNING id",
                       &st, e);
    if (rc)
        goto out;
    store_bind_text(st, 1, o->code);
    store_bind_text(st, 2, o->name);
    store_bind_text(st, 3, o->kind);
    store_bind_text(st, 4, o->region);
    if (parent.id)
        store_bind_int(st, 5, parent.id);
    else
        store_bind_null(st, 5);
    store_bind_int(st, 6, time_now_ms());
    rc = store_insert_id(st, &id, e);
    if (rc == RC_EXISTS) {
        err_set(e, RC_EXISTS, "code", "机构代码 %s 已被使用", o->code);
    }
    store_finish(st);
    st = NULL;
    if (rc)
        goto out;
    char *path = pool_printf(&pool, "%s%lld/", parent.id ? parent.path : "/", (long long)id);
    rc = store_prepare(c, "UPDATE orgs SET path = ? WHERE id = ?", &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, path);
        store_bind_int(st, 2, id);
        rc = store_run(st, e);
    }
    store_finish(st);
    st = NULL;
    if (rc)
        goto out;
    struct org created = {.id = id,
                          .parent_id = parent.id,
                          .code = o->code,
                          .name = o->name,
                          .kind = o->kind,
                          .region = o->region,
                          .path = path};
    json_t *after = org_json(&created);
    if (parent.id)
        json_object_set_new(after, "parent", json_string(parent.code));
    char *sid = pool_printf(&pool, "%lld", (long long)id);
    struct audit_event ev = {"org.create", "org", sid, NULL, after};
    rc = audit_append(c, who, &ev, NULL, e);
    json_decref(after);
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (rc == RC_OK && out)
        *out = id;
out:
    if (store_in_txn(c))
        store_rollback(c);
    pool_clear(&pool);
    return rc;
}

enum rc org_list(struct conn *c, const char *subtree_path, const char *parent_code,
                 const char *after, int limit, json_t **out, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(
        c,
        "SELECT o.id, COALESCE(o.parent_id, 0), o.code, o.name, o.kind, o.region, o.path, "
        "p.code FROM orgs o LEFT JOIN orgs p ON p.id = o.parent_id "
        "WHERE (CAST(? AS TEXT) IS NULL OR o.path LIKE ? || '%') "
        "AND (CAST(? AS TEXT) IS NULL OR p.code = ?) AND o.code > ? ORDER BY o.code LIMIT ?",
        &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, subtree_path);
    store_bind_text(st, 2, subtree_path);
    store_bind_text(st, 3, parent_code);
    store_bind_text(st, 4, parent_code);
    store_bind_text(st, 5, after ? after : "");
    store_bind_int(st, 6, limit);
    json_t *arr = json_array();
    struct pool pool;
    pool_init(&pool);
    while ((rc = store_step(st, e)) == RC_ROW) {
        struct org o;
        read_row(st, &pool, &o);
        json_t *j = org_json(&o);
        json_object_set_new(j, "parent", store_text(st, 7) ? json_string(store_text(st, 7))
                                                           : json_null());
        json_array_append_new(arr, j);
    }
    store_finish(st);
    pool_clear(&pool);
    if (rc != RC_DONE) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return RC_OK;
}

/* ---- dispatch scope and cross-region partners ------------------------------------- */

/* The region prefix an organisation dispatches within: its prefecture (the first four
 * digits of its region), or its province for a province-level region (XX0000). */
static size_t dispatch_prefix(const char *region)
{
    if (!region || strlen(region) < 6)
        return 0;
    return strncmp(region + 2, "0000", 4) == 0 ? 2 : 4;
}

enum rc org_may_dispatch(struct conn *c, const char *from_path, const char *from_region,
                         const struct org *to, bool *ok, struct err *e)
{
    *ok = false;
    size_t n = dispatch_prefix(from_region);
    if (n && to->region && strncmp(to->region, from_region, n) == 0) {
        *ok = true;
        return RC_OK;
    }
    if (!from_path || !to->path)
        return RC_OK;
    struct stmt *st;
    enum rc rc = store_prepare(
        c,
        "SELECT 1 FROM org_partners pr JOIN orgs a ON a.id = pr.org_id "
        "JOIN orgs b ON b.id = pr.partner_id WHERE substr(?, 1, length(a.path)) = a.path "
        "AND substr(?, 1, length(b.path)) = b.path LIMIT 1",
        &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, from_path);
    store_bind_text(st, 2, to->path);
    rc = store_step(st, e);
    store_finish(st);
    if (rc == RC_ROW) {
        *ok = true;
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = RC_OK;
    }
    return rc;
}

/* Reads both organisations of a partner row; RC_INVALID naming the unknown one. */
static enum rc partner_pair(struct conn *c, const char *org_code, const char *partner_code,
                            struct pool *pool, struct org *a, struct org *b, struct err *e)
{
    enum rc rc = org_by_code(c, org_code, pool, a, e);
    if (rc == RC_NOTFOUND)
        return err_set(e, RC_INVALID, "org", "机构 %s 不存在", org_code);
    if (rc == RC_OK && (rc = org_by_code(c, partner_code, pool, b, e)) == RC_NOTFOUND)
        return err_set(e, RC_INVALID, "partner", "机构 %s 不存在", partner_code);
    if (rc == RC_OK && a->id == b->id)
        return err_set(e, RC_INVALID, "partner", "协作单位不能是本机构");
    return rc;
}

static enum rc partner_change(struct conn *c, const struct audit_actor *who, const char *org_code,
                              const char *partner_code, bool add, struct err *e)
{
    struct pool pool;
    struct org a, b;
    struct stmt *st = NULL;
    pool_init(&pool);
    enum rc rc = store_begin(c, e);
    if (rc == RC_OK)
        rc = partner_pair(c, org_code, partner_code, &pool, &a, &b, e);
    if (rc)
        goto out;
    rc =
        store_prepare(c,
                      add ? "INSERT INTO org_partners (org_id, partner_id, created_at, created_by) "
                            "VALUES (?, ?, ?, ?) RETURNING org_id"
                          : "DELETE FROM org_partners WHERE org_id = ? AND partner_id = ? "
                            "RETURNING org_id",
                      &st, e);
    if (rc)
        goto out;
    store_bind_int(st, 1, a.id);
    store_bind_int(st, 2, b.id);
    if (add) {
        store_bind_int(st, 3, time_now_ms());
        store_bind_text(st, 4, who->name);
    }
    rc = store_step(st, e);
    store_finish(st);
    st = NULL;
    if (rc == RC_EXISTS)
        rc = err_set(e, RC_EXISTS, "partner", "%s 已是 %s 的协作单位", b.code, a.code);
    else if (rc == RC_DONE)
        rc = err_set(e, RC_NOTFOUND, "partner", "%s 不是 %s 的协作单位", b.code, a.code);
    else if (rc == RC_ROW)
        rc = RC_OK;
    if (rc)
        goto out;
    json_t *pair = json_pack("{s:s, s:s}", "org", a.code, "partner", b.code);
    char *sid = pool_printf(&pool, "%lld", (long long)a.id);
    struct audit_event ev = {add ? "org.partner_add" : "org.partner_remove", "org", sid,
                             add ? NULL : pair, add ? pair : NULL};
    rc = audit_append(c, who, &ev, NULL, e);
    json_decref(pair);
    if (rc == RC_OK)
        rc = store_commit(c, e);
out:
    if (store_in_txn(c))
        store_rollback(c);
    pool_clear(&pool);
    return rc;
}

enum rc org_partner_add(struct conn *c, const struct audit_actor *who, const char *org_code,
                        const char *partner_code, struct err *e)
{
    return partner_change(c, who, org_code, partner_code, true, e);
}

enum rc org_partner_remove(struct conn *c, const struct audit_actor *who, const char *org_code,
                           const char *partner_code, struct err *e)
{
    return partner_change(c, who, org_code, partner_code, false, e);
}

enum rc org_partner_list(struct conn *c, json_t **out, struct err *e)
{
    struct stmt *st;
    *out = NULL;
    enum rc rc = store_prepare(c,
                               "SELECT a.code, a.name, b.code, b.name FROM org_partners pr "
                               "JOIN orgs a ON a.id = pr.org_id JOIN orgs b ON b.id = "
                               "pr.partner_id ORDER BY a.code, b.code",
                               &st, e);
    if (rc)
        return rc;
    json_t *arr = json_array();
    while ((rc = store_step(st, e)) == RC_ROW)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "org", store_text(st, 0),
                                             "org_name", store_text(st, 1), "partner",
                                             store_text(st, 2), "partner_name", store_text(st, 3)));
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return RC_OK;
}
