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
