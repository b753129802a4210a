/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_categories: demand categories with their time limits (public reads), their
 * maintenance and the dispatch catalogue (administrators, declared in api.c).
 */
#include <stdio.h>
#include <string.h>

#include "../auth/auth.h"
#include "../base/jsonx.h"
#include "../base/timeutil.h"
#include "../category/category.h"
#include "../store/store.h"
#include "api.h"
#include "api_int.h"
#include "api_kit.h"

static enum rc api_categories_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    bool all = false;
    enum rc rc = api_query_flag(req, "all", &all, e);
    if (rc)
        return rc;
    struct conn *c;
    json_t *items = NULL;
    rc = api_db(req, &c, e);
    if (rc)
        return rc;
    rc = category_tree(c, all, &items, e);
    if (rc)
        return rc;
    return http_reply(resp, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

/* The category as the API shows one: category_json plus who changed it last, when. */
static json_t *one(const struct category *cat)
{
    char at[40];
    time_fmt_cst(cat->updated_at, at, sizeof(at));
    json_t *j = category_json(cat);
    json_object_set_new(j, "updated_at", json_string(at));
    json_object_set_new(j, "updated_by", json_string(cat->updated_by ? cat->updated_by : ""));
    return j;
}

static enum rc read_back(struct http_req *req, struct conn *c, const char *code, json_t **out,
                         struct err *e)
{
    struct category cat;
    enum rc rc = category_get(c, code, &req->pool, &cat, e);
    if (rc == RC_OK)
        *out = one(&cat);
    return rc;
}

static enum rc api_categories_get(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct conn *c;
    json_t *j = NULL;
    enum rc rc = api_db(req, &c, e);
    if (rc)
        return rc;
    rc = read_back(req, c, req->params[0], &j, e);
    return rc ? rc : http_reply(resp, 200, j);
}

/* Reads body.limits ({normal|urgent|critical: {sign_hours, reply_days, rectify_days}}). */
static enum rc read_limits(const json_t *body, struct category_change *ch, struct err *e)
{
    static const char *const urgencies[] = {"normal", "urgent", "critical", NULL};
    static const char *const names[] = {"sign_hours", "reply_days", "rectify_days", NULL};
    const json_t *limits = json_object_get(body, "limits");
    if (!limits || json_is_null(limits))
        return RC_OK;
    if (!json_is_object(limits))
        return err_set(e, RC_INVALID, "limits", "limits 应为对象 {normal, urgent, critical}");
    enum rc rc = jsonx_only(limits, urgencies, e);
    for (int u = 0; rc == RC_OK && u < CATEGORY_N_URGENCY; u++) {
        const json_t *level = json_object_get(limits, urgencies[u]);
        char prefix[32];
        snprintf(prefix, sizeof(prefix), "limits.%s", urgencies[u]);
        if (!level || json_is_null(level))
            continue;
        if (!json_is_object(level))
            rc = err_set(e, RC_INVALID, NULL, "应为对象 {sign_hours, reply_days, rectify_days}");
        if (rc == RC_OK)
            rc = jsonx_only(level, names, e);
        for (int k = 0; rc == RC_OK && k < 3; k++) {
            int64_t v = -1;
            rc = jsonx_get_int(level, names[k], false, 1, 100000, &v, e);
            ch->limits[u][k] = (int)v;
        }
        if (rc)
            err_prefix_field(e, prefix);
    }
    return rc;
}

/* Reads a creation (with code) or a change from the body into ch. */
static enum rc read_change(struct http_req *req, bool create, struct category_change *ch,
                           struct err *e)
{
    static const char *const create_fields[] = {"code", "name",   "kind",   "parent",
                                                "sort", "active", "limits", NULL};
    static const char *const update_fields[] = {"name",   "kind",   "parent", "sort",
                                                "active", "limits", NULL};
    json_t *body;
    int64_t sort = 0;
    category_change_init(ch);
    enum rc rc = http_json_body(req, &body, e);
    if (rc == RC_OK)
        rc = jsonx_only(body, create ? create_fields : update_fields, e);
    if (rc == RC_OK && create)
        rc = jsonx_get_str(body, "code", true, CATEGORY_CODE_MAX, &ch->code, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "name", create, CATEGORY_NAME_MAX, &ch->name, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "kind", false, 16, &ch->kind, e);
    if (rc == RC_OK && json_object_get(body, "parent")) {
        ch->has_parent = true;
        rc = jsonx_get_str(body, "parent", false, CATEGORY_CODE_MAX, &ch->parent, e);
    }
    if (rc == RC_OK && json_object_get(body, "sort") &&
        !json_is_null(json_object_get(body, "sort"))) {
        ch->has_sort = true;
        rc = jsonx_get_int(body, "sort", true, -100000, 100000, &sort, e);
        ch->sort = (int)sort;
    }
    if (rc == RC_OK && json_object_get(body, "active") &&
        !json_is_null(json_object_get(body, "active"))) {
        ch->has_active = true;
        rc = jsonx_get_bool(body, "active", true, &ch->active, e);
    }
    if (rc == RC_OK)
        rc = read_limits(body, ch, e);
    return rc;
}

static enum rc api_categories_create(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct category_change ch;
    enum rc rc = read_change(req, true, &ch, e);
    if (rc)
        return rc;
    struct conn *c;
    json_t *j = NULL;
    if ((rc = api_db(req, &c, e)))
        return rc;
    rc = category_create(c, &api_who(req)->actor, &ch, e);
    if (rc == RC_OK)
        rc = read_back(req, c, ch.code, &j, e);
    return rc ? rc : http_reply(resp, 201, j);
}

static enum rc api_categories_update(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct category_change ch;
    enum rc rc = read_change(req, false, &ch, e);
    if (rc)
        return rc;
    struct conn *c;
    json_t *j = NULL;
    bool changed = false;
    if ((rc = api_db(req, &c, e)))
        return rc;
    rc = category_update(c, &api_who(req)->actor, req->params[0], &ch, &changed, e);
    if (rc == RC_OK)
        rc = read_back(req, c, req->params[0], &j, e);
    if (rc)
        return rc;
    json_object_set_new(j, "changed", json_boolean(changed));
    return http_reply(resp, 200, j);
}

static enum rc api_category_routes_get(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct conn *c;
    json_t *routes = NULL;
    enum rc rc = api_db(req, &c, e);
    if (rc)
        return rc;
    rc = category_routes_get(c, req->params[0], &routes, e);
    if (rc)
        return rc;
    return http_reply(resp, 200,
                      json_pack("{s:s, s:o}", "category", req->params[0], "routes", routes));
}

/* Reads one entry of body.routes. */
static enum rc read_route(const json_t *r, struct category_route_entry *out, struct err *e)
{
    static const char *const fields[] = {"region_prefix", "lead", "co", NULL};
    memset(out, 0, sizeof(*out));
    out->region_prefix = "";
    if (!json_is_object(r))
        return err_set(e, RC_INVALID, NULL, "每条派单目录应为对象 {region_prefix, lead, co}");
    enum rc rc = jsonx_only(r, fields, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(r, "region_prefix", false, 0, &out->region_prefix, e);
    if (rc == RC_OK && out->region_prefix && !*out->region_prefix)
        out->region_prefix = "";
    if (rc == RC_OK)
        rc = jsonx_get_str(r, "lead", true, 32, &out->lead, e);
    const json_t *co = json_object_get(r, "co");
    if (rc == RC_OK && co && !json_is_null(co)) {
        if (!json_is_array(co))
            return err_set(e, RC_INVALID, "co", "co 应为机构代码的数组");
        if (json_array_size(co) > CATEGORY_MAX_CO)
            return err_set(e, RC_INVALID, "co", "协办单位最多 %d 个", CATEGORY_MAX_CO);
        for (size_t k = 0; k < json_array_size(co); k++) {
            const char *code = json_string_value(json_array_get(co, k));
            if (!code || !*code) {
                char field[32];
                snprintf(field, sizeof(field), "co[%zu]", k);
                return err_set(e, RC_INVALID, field, "协办单位应为机构代码");
            }
            out->co[out->n_co++] = code;
        }
    }
    return rc;
}

static enum rc api_category_routes_put(struct http_req *req, struct http_resp *resp, struct err *e)
{
    static const char *const fields[] = {"routes", NULL};
    json_t *body;
    enum rc rc = http_json_body(req, &body, e);
    if (rc == RC_OK)
        rc = jsonx_only(body, fields, e);
    if (rc)
        return rc;
    const json_t *arr = json_object_get(body, "routes");
    if (!json_is_array(arr))
        return err_set(e, RC_INVALID, "routes", "routes 应为数组 [{region_prefix, lead, co}]");
    size_t n = json_array_size(arr);
    if (n > CATEGORY_MAX_ROUTES)
        return err_set(e, RC_INVALID, "routes", "派单目录最多 %d 条", CATEGORY_MAX_ROUTES);
    struct category_route_entry *routes = pool_alloc(&req->pool, (n + 1) * sizeof(*routes));
    for (size_t i = 0; i < n; i++)
        if ((rc = read_route(json_array_get(arr, i), &routes[i], e))) {
            char prefix[24];
            snprintf(prefix, sizeof(prefix), "routes[%zu]", i);
            err_prefix_field(e, prefix);
            return rc;
        }
    struct conn *c;
    json_t *back = NULL;
    bool changed = false;
    if ((rc = api_db(req, &c, e)))
        return rc;
    rc = category_routes_set(c, &api_who(req)->actor, req->params[0], routes, n, &changed, e);
    if (rc == RC_OK)
        rc = category_routes_get(c, req->params[0], &back, e);
    if (rc)
        return rc;
    return http_reply(resp, 200,
                      json_pack("{s:s, s:o, s:b}", "category", req->params[0], "routes", back,
                                "changed", changed));
}

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). */
const struct http_route api_categories_routes[] = {
    ROUTE(HTTP_GET, "/api/v1/categories", HTTP_PUBLIC, api_categories_list,
          "诉求类别树与办理时限（?all=1 含停用）"),
    ROUTE(HTTP_POST, "/api/v1/categories", PERM(CATEGORY_WRITE), api_categories_create,
          "新建诉求类别"),
    ROUTE(HTTP_GET, "/api/v1/categories/{code}", HTTP_PUBLIC, api_categories_get, "诉求类别详情"),
    ROUTE(HTTP_PATCH, "/api/v1/categories/{code}", PERM(CATEGORY_WRITE), api_categories_update,
          "修改诉求类别"),
    ROUTE(HTTP_GET, "/api/v1/categories/{code}/routes", PERM(CATEGORY_WRITE),
          api_category_routes_get, "派单目录"),
    ROUTE(HTTP_PUT, "/api/v1/categories/{code}/routes", PERM(CATEGORY_WRITE),
          api_category_routes_put, "设置派单目录（整体替换）"),
};
const size_t api_categories_n_routes =
    sizeof(api_categories_routes) / sizeof(api_categories_routes[0]);
