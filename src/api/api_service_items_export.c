/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_service_items_export: the catalogue's open data and its 一件事 and 跨省通办 views
 * (issue 18 items 3, 4 and 7), all public like the published guides they are made of:
 *   GET /api/v1/service-items/{id}.jsonld       CPSV-AP 3.2.0 JSON-LD (application/ld+json)
 *   GET /api/v1/service-items/{id}.schema.json  schema.org GovernmentService JSON-LD
 *   GET /api/v1/service-bundles                 一件事 by life stage (?life_stage=)
 *   GET /api/v1/service-bundles/{code}          merged form, materials, deferred parts,
 *                                               六个一 (?region=, ?answers= a JSON object)
 *   GET /api/v1/catalog/cross-region            跨省通办 report (format=xlsx too)
 * The table's name starts with service_items because /api/v1/service-items is reserved
 * for that family of tables (api.c).
 */
#include <stdio.h>
#include <string.h>

#include "../base/jsonx.h"
#include "../base/pool.h"
#include "../catalog/catalog.h"
#include "../catalog/catalog_bundle.h"
#include "../catalog/catalog_jsonld.h"
#include "../store/store.h"
#include "api_int.h"
#include "api_kit.h"

/* Writes j (stolen) as the body with content type type. */
static enum rc reply_as(struct http_resp *resp, json_t *j, const char *type, struct err *e)
{
    enum rc rc = jsonx_dump(j, &resp->body);
    json_decref(j);
    if (rc)
        return err_set(e, rc, NULL, "导出内容过大");
    resp->status = 200;
    resp->content_type = type;
    return RC_OK;
}

/* The published detail of the item in path parameter 0. */
static enum rc published(struct http_req *req, struct conn **c, json_t **out, struct err *e)
{
    int64_t id;
    enum rc rc = api_path_id(req, 0, "办事指南", &id, e);
    if (rc == RC_OK)
        rc = api_db(req, c, e);
    if (rc == RC_OK)
        rc = catalog_impl_get(*c, id, 0, false, out, e);
    return rc;
}

static enum rc api_item_jsonld(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct conn *c;
    json_t *d = NULL, *bundles = NULL;
    enum rc rc = published(req, &c, &d, e);
    if (rc == RC_OK)
        rc = catalog_bundle_docs(c, &bundles, e);
    if (rc == RC_OK)
        rc = reply_as(resp, catalog_jsonld_cpsv(d, bundles), "application/ld+json; charset=utf-8",
                      e);
    json_decref(d);
    json_decref(bundles);
    return rc;
}

static enum rc api_item_schema_org(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct conn *c;
    json_t *d = NULL;
    enum rc rc = published(req, &c, &d, e);
    if (rc)
        return rc;
    /* The guide page of the public portal (web/README.md: /guide/{id}). */
    const char *base = api_app(req)->public_url;
    const char *url =
        base && *base ? pool_printf(&req->pool, "%s/guide/%s", base, req->params[0]) : NULL;
    json_t *out = catalog_jsonld_schema_org(d, url);
    json_decref(d); /* borrowed by the markup, which copies what it keeps */
    return reply_as(resp, out, "application/ld+json; charset=utf-8", e);
}

static enum rc api_bundles(struct http_req *req, struct http_resp *resp, struct err *e)
{
    static const char *const stages[] = {"zhunru",    "zhaopin", "nashui", "jingying",
                                         "gongcheng", "zhuxiao", NULL};
    const char *stage = NULL;
    struct conn *c;
    json_t *out = NULL;
    enum rc rc = api_query_word(req, "life_stage", stages, &stage, e);
    if (rc == RC_OK)
        rc = api_db(req, &c, e);
    if (rc == RC_OK)
        rc = catalog_bundle_browse(c, stage, &out, e);
    if (rc)
        return rc;
    json_object_set_new(out, "next_cursor", json_null());
    return http_reply(resp, 200, out);
}

static enum rc api_bundle(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *region = http_query(req, "region");
    const char *answers_text = http_query(req, "answers");
    json_t *answers = NULL, *out = NULL;
    struct conn *c;
    enum rc rc = RC_OK;
    if (region && (strlen(region) != 6 || strspn(region, "0123456789") != 6))
        return err_set(e, RC_INVALID, "region", "行政区划代码应为6位数字");
    if (answers_text) {
        answers = json_loads(answers_text, 0, NULL);
        if (!json_is_object(answers)) {
            json_decref(answers);
            return err_set(e, RC_INVALID, "answers", "情形答案应为 JSON 对象");
        }
    }
    rc = api_db(req, &c, e);
    if (rc == RC_OK)
        rc = catalog_bundle_view(c, req->params[0], region, answers, &out, e);
    json_decref(answers);
    return rc ? rc : http_reply(resp, 200, out);
}

static enum rc api_cross_region(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct conn *c;
    json_t *out = NULL;
    enum rc rc = api_db(req, &c, e);
    if (rc == RC_OK)
        rc = catalog_cross_region(c, &out, e);
    if (rc)
        return rc;
    json_object_set_new(out, "next_cursor", json_null());
    return http_reply(resp, 200, out);
}

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). Before the
 * service_items table, whose /api/v1/service-items/{id} would take "{id}.jsonld" too. */
const struct http_route api_service_items_export_routes[] = {
    ROUTE_READ(HTTP_GET, "/api/v1/service-items/{id}.jsonld", HTTP_PUBLIC, api_item_jsonld,
               "办事指南开放数据：CPSV-AP 3.2.0 JSON-LD"),
    ROUTE_READ(HTTP_GET, "/api/v1/service-items/{id}.schema.json", HTTP_PUBLIC, api_item_schema_org,
               "办事指南：schema.org GovernmentService JSON-LD"),
    ROUTE_READ(HTTP_GET, "/api/v1/service-bundles", HTTP_PUBLIC, api_bundles,
               "一件事清单（按企业生命周期阶段）"),
    ROUTE_READ(HTTP_GET, "/api/v1/service-bundles/{code}", HTTP_PUBLIC, api_bundle,
               "一件事：合并表单、合并材料、分时分项、六个一检查"),
    ROUTE_READ(HTTP_GET, "/api/v1/catalog/cross-region", HTTP_PUBLIC, api_cross_region,
               "跨省通办事项统计（按通办范围与模式，办理类与查询类分列）"),
};
const size_t api_service_items_export_n_routes =
    sizeof(api_service_items_export_routes) / sizeof(api_service_items_export_routes[0]);
