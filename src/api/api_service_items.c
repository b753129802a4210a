/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_service_items: the 办事指南 service catalogue (src/catalog, docs/internals/catalog.md).
 * Reading published guides is public (no login, like Open311's public routes); writing
 * needs catalog.write, reviewing catalog.review. Other parts of issue 18 register their
 * routes under /api/v1/service-items from tables named service_items_<part> (api.c lets a
 * reserved name's owner prefix do so).
 */
#include <stdio.h>
#include <string.h>

#include "../access/access.h"
#include "../auth/auth.h"
#include "../base/jsonx.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../catalog/catalog.h"
#include "../flow/flow.h"
#include "../store/store.h"
#include "api.h"
#include "api_int.h"
#include "api_kit.h"

static bool editor(struct http_req *req)
{
    const struct principal *p = api_who(req);
    return access_can(p, ACCESS_CATALOG_WRITE) || access_can(p, ACCESS_CATALOG_REVIEW);
}

static enum rc list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    static const char *const cross_words[] = {"1", "0", "true", "false", NULL};
    struct catalog_filter f = {0};
    struct api_list l;
    const char *cross = NULL;
    enum rc rc = api_list_id(req, &l, e);
    if (rc == RC_OK)
        rc = api_query_word(req, "life_stage",
                            (const char *const[]){"zhunru", "zhaopin", "nashui", "jingying",
                                                  "gongcheng", "zhuxiao", NULL},
                            &f.life_stage, e);
    if (rc == RC_OK)
        rc = api_query_word(
            req, "type",
            (const char *const[]){"xk", "qr", "gf", "zs", "jl", "cj", "jc", "qt", "gg", NULL},
            &f.type, e);
    if (rc == RC_OK)
        rc = api_query_word(req, "cross", cross_words, &cross, e);
    if (rc)
        return rc;
    f.dept = http_query(req, "dept");
    f.region = http_query(req, "region");
    if (f.dept && !*f.dept)
        f.dept = NULL;
    if (f.region && *f.region) {
        size_t n = strlen(f.region);
        bool ok = n == 2 || n == 4 || n == 6;
        for (size_t i = 0; ok && i < n; i++)
            ok = f.region[i] >= '0' && f.region[i] <= '9';
        if (!ok)
            return err_set(e, RC_INVALID, "region", "region 应为 2、4 或 6 位行政区划代码前缀");
    } else {
        f.region = NULL;
    }
    f.cross = cross && (strcmp(cross, "1") == 0 || strcmp(cross, "true") == 0);
    f.after = l.after_id;
    f.limit = l.limit;
    struct conn *c;
    json_t *items = NULL;
    int64_t next = 0;
    if ((rc = api_db(req, &c, e)))
        return rc;
    if ((rc = catalog_list(c, &f, &items, &next, e)))
        return rc;
    json_t *out = json_pack("{s:o}", "items", items);
    if (next) {
        char s[24];
        snprintf(s, sizeof(s), "%lld", (long long)next);
        json_object_set_new(out, "next_cursor", json_string(api_cursor_encode(req, s)));
    } else {
        json_object_set_new(out, "next_cursor", json_null());
    }
    return http_reply(resp, 200, out);
}

/* ?version=N (0 when absent). */
static enum rc version_param(struct http_req *req, int *v, struct err *e)
{
    int64_t n = 0;
    enum rc rc = api_query_int(req, "version", 1, 1000000, &n, e);
    *v = (int)n;
    return rc;
}

static enum rc get(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t id;
    int v = 0;
    enum rc rc = api_path_id(req, 0, "办事指南", &id, e);
    if (rc == RC_OK)
        rc = version_param(req, &v, e);
    if (rc)
        return rc;
    struct conn *c;
    json_t *out = NULL;
    if ((rc = api_db(req, &c, e)))
        return rc;
    bool drafts = editor(req);
    if ((rc = catalog_impl_get(c, id, v, drafts, &out, e)))
        return rc;
    if (drafts) {
        /* The editors' buttons for this version. */
        json_t *acts = NULL;
        int64_t vid = json_integer_value(json_object_get(json_object_get(out, "version"), "id"));
        rc = flow_actions_of(&catalog_version_flow, c, api_who(req), NULL, vid, &acts, e);
        if (rc) {
            json_decref(out);
            return rc;
        }
        json_object_set_new(json_object_get(out, "version"), "actions", acts);
    }
    return http_reply(resp, 200, out);
}

static enum rc versions(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t id;
    enum rc rc = api_path_id(req, 0, "办事指南", &id, e);
    if (rc)
        return rc;
    struct conn *c;
    json_t *items = NULL;
    if ((rc = api_db(req, &c, e)))
        return rc;
    if ((rc = catalog_versions(c, id, editor(req), &items, e)))
        return rc;
    return http_reply(resp, 200, json_pack("{s:o}", "items", items));
}

static enum rc create(struct http_req *req, struct http_resp *resp, struct err *e)
{
    json_t *body;
    enum rc rc = http_json_body(req, &body, e);
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    struct catalog_put_report r;
    rc = catalog_item_put(c, api_who(req), api_app(req)->cat, body, false, time_now_ms(), &r, e);
    if (rc) {
        json_decref(r.ids);
        return rc;
    }
    return http_reply(resp, 201,
                      json_pack("{s:o, s:i, s:i, s:i}", "ids", r.ids, "created", r.created,
                                "drafts", r.drafts, "unchanged", r.unchanged));
}

/* Answers version v of id with its lint (for an editor). */
static enum rc answer_version(struct http_req *req, struct http_resp *resp, struct conn *c,
                              int64_t id, int v, int status, struct err *e)
{
    json_t *out = NULL;
    enum rc rc = catalog_impl_get(c, id, v, true, &out, e);
    if (rc)
        return rc;
    json_t *lint = NULL;
    rc = catalog_version_lint(c, id, v, &lint, e);
    if (rc == RC_OK) {
        json_t *acts = NULL;
        int64_t vid = json_integer_value(json_object_get(json_object_get(out, "version"), "id"));
        rc = flow_actions_of(&catalog_version_flow, c, api_who(req), NULL, vid, &acts, e);
        if (rc == RC_OK)
            json_object_set_new(json_object_get(out, "version"), "actions", acts);
    }
    if (rc) {
        json_decref(out);
        json_decref(lint);
        return rc;
    }
    json_object_set_new(out, "lint", lint);
    return http_reply(resp, status, out);
}

static enum rc version_new(struct http_req *req, struct http_resp *resp, struct err *e)
{
    static const char *const fields[] = {"guide", NULL};
    int64_t id;
    enum rc rc = api_path_id(req, 0, "办事指南", &id, e);
    json_t *body = NULL;
    if (rc == RC_OK && req->body_len > 0) {
        rc = http_json_body(req, &body, e);
        if (rc == RC_OK)
            rc = jsonx_only(body, fields, e);
    }
    if (rc)
        return rc;
    const json_t *guide = json_object_get(body, "guide");
    if (guide && json_is_null(guide))
        guide = NULL;
    struct conn *c;
    int v = 0;
    if ((rc = api_db(req, &c, e)))
        return rc;
    rc = catalog_version_new(c, api_who(req), api_app(req)->cat, id, guide, time_now_ms(), &v, e);
    return rc ? rc : answer_version(req, resp, c, id, v, 201, e);
}

/* {v}: a positive version number. */
static enum rc path_version(struct http_req *req, int64_t *id, int *v, struct err *e)
{
    int64_t n = 0;
    enum rc rc = api_path_id(req, 0, "办事指南", id, e);
    if (rc == RC_OK)
        rc = api_path_id(req, 1, "办事指南版本", &n, e);
    if (rc == RC_OK && n > 1000000)
        rc = err_set(e, RC_NOTFOUND, NULL, "办事指南版本不存在");
    *v = (int)n;
    return rc;
}

static enum rc version_edit(struct http_req *req, struct http_resp *resp, struct err *e)
{
    static const char *const fields[] = {"guide", NULL};
    int64_t id;
    int v;
    json_t *body;
    enum rc rc = path_version(req, &id, &v, e);
    if (rc == RC_OK)
        rc = http_json_body(req, &body, e);
    if (rc == RC_OK)
        rc = jsonx_only(body, fields, e);
    if (rc == RC_OK && !json_object_get(body, "guide"))
        rc = err_set(e, RC_INVALID, "guide", "请提供办事指南 guide");
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    rc = catalog_version_edit(c, api_who(req), api_app(req)->cat, id, v,
                              json_object_get(body, "guide"), time_now_ms(), e);
    return rc ? rc : answer_version(req, resp, c, id, v, 200, e);
}

static enum rc version_act(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t id, vid;
    int v;
    json_t *body;
    enum rc rc = path_version(req, &id, &v, e);
    if (rc == RC_OK)
        rc = http_json_body(req, &body, e);
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    rc = catalog_version_id(c, id, v, &vid, e);
    if (rc == RC_OK)
        rc = flow_act(&catalog_version_flow, c, api_who(req), NULL, vid, body, time_now_ms(), e);
    return rc ? rc : answer_version(req, resp, c, id, v, 200, e);
}

static enum rc version_lint(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t id;
    int v;
    enum rc rc = path_version(req, &id, &v, e);
    if (rc)
        return rc;
    struct conn *c;
    json_t *out = NULL;
    if ((rc = api_db(req, &c, e)))
        return rc;
    if ((rc = catalog_version_lint(c, id, v, &out, e)))
        return rc;
    return http_reply(resp, 200, out);
}

static enum rc version_timeline(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t id, vid;
    int v;
    enum rc rc = path_version(req, &id, &v, e);
    if (rc)
        return rc;
    struct conn *c;
    json_t *out = NULL;
    if ((rc = api_db(req, &c, e)))
        return rc;
    rc = catalog_version_id(c, id, v, &vid, e);
    if (rc == RC_OK)
        rc = flow_timeline_of(&catalog_version_flow, c, api_who(req), vid, &out, e);
    return rc ? rc : http_reply(resp, 200, json_pack("{s:o}", "items", out));
}

static enum rc quality(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct conn *c;
    json_t *out = NULL;
    enum rc rc = api_db(req, &c, e);
    if (rc == RC_OK)
        rc = catalog_quality(c, &out, e);
    return rc ? rc : http_reply(resp, 200, out);
}

static enum rc labels(struct http_req *req, struct http_resp *resp, struct err *e)
{
    (void)req;
    (void)e;
    json_t *out = catalog_labels_json();
    json_object_set_new(out, "catalog_version", flow_labels_json(&catalog_version_flow));
    return http_reply(resp, 200, out);
}

#define WRITERS (PERM(CATALOG_WRITE) | PERM(CATALOG_REVIEW))
const struct http_route api_service_items_routes[] = {
    ROUTE_READ(HTTP_GET, "/api/v1/service-items", HTTP_PUBLIC, list,
               "已发布的办事指南（?life_stage=&dept=&type=&region=&cross=1&cursor=）"),
    ROUTE(HTTP_POST, "/api/v1/service-items", PERM(CATALOG_WRITE), create,
          "新建或更新事项（ITEM 文件；各实施清单生成草稿版本）"),
    ROUTE_READ(HTTP_GET, "/api/v1/service-items/{id}", HTTP_PUBLIC, get,
               "办事指南详情（已发布版本；?version=N）"),
    ROUTE_READ(HTTP_GET, "/api/v1/service-items/{id}/versions", HTTP_PUBLIC, versions,
               "办事指南的版本"),
    ROUTE(HTTP_POST, "/api/v1/service-items/{id}/versions", PERM(CATALOG_WRITE), version_new,
          "新建草稿版本（{guide} 或复制已发布版本）"),
    ROUTE(HTTP_PUT, "/api/v1/service-items/{id}/versions/{v}", PERM(CATALOG_WRITE), version_edit,
          "修改草稿版本"),
    ROUTE(HTTP_POST, "/api/v1/service-items/{id}/versions/{v}/actions", WRITERS, version_act,
          "办事指南版本操作（submit/approve/reject/withdraw）"),
    ROUTE_READ(HTTP_GET, "/api/v1/service-items/{id}/versions/{v}/lint", WRITERS, version_lint,
               "办事指南版本的检查结果"),
    ROUTE_READ(HTTP_GET, "/api/v1/service-items/{id}/versions/{v}/timeline", WRITERS,
               version_timeline, "办事指南版本的办理过程"),
    ROUTE_READ(HTTP_GET, "/api/v1/catalog/quality", WRITERS | PERM(DEMAND_OVERSEE), quality,
               "各部门办事指南质量"),
    ROUTE(HTTP_GET, "/api/v1/catalog/labels", HTTP_PUBLIC, labels, "事项类型、生命周期阶段等名称"),
};
const size_t api_service_items_n_routes =
    sizeof(api_service_items_routes) / sizeof(api_service_items_routes[0]);
