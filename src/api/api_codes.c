/* SPDX-License-Identifier: Apache-2.0 */
/* api_codes: the national code tables (public reference data) and the credit-code check. */
#include <string.h>

#include "../codes/codes.h"
#include "api.h"
#include "api_int.h"

static enum rc api_codes_regions(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *parent = http_query(req, "parent");
    if (parent && *parent && !codes_region_find(parent))
        return err_set(e, RC_NOTFOUND, "parent", "行政区划代码 %s 不存在", parent);
    const struct codes_region *list[512];
    size_t n = codes_region_children(parent, list, sizeof(list) / sizeof(list[0]));
    json_t *items = json_array();
    for (size_t i = 0; i < n && i < sizeof(list) / sizeof(list[0]); i++)
        json_array_append_new(items,
                              json_pack("{s:s, s:s, s:i, s:s?}", "code", list[i]->code, "name",
                                        list[i]->name, "level", list[i]->level, "parent",
                                        *list[i]->parent ? list[i]->parent : NULL));
    return http_reply(resp, 200, json_pack("{s:o}", "items", items));
}

static enum rc api_codes_industries(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *parent = http_query(req, "parent");
    const struct codes_industry *p;
    struct err pe;
    err_clear(&pe);
    if (parent && *parent && codes_industry_parse(parent, 0, &p, &pe))
        return err_set(e, RC_NOTFOUND, "parent", "%s", pe.msg);
    if (parent && *parent)
        parent = p->code; /* "C39" reads as "39" */
    const struct codes_industry *list[512];
    size_t n = codes_industry_children(parent, list, sizeof(list) / sizeof(list[0]));
    json_t *items = json_array();
    for (size_t i = 0; i < n && i < sizeof(list) / sizeof(list[0]); i++)
        json_array_append_new(items, json_pack("{s:s, s:s, s:i}", "code", list[i]->code, "name",
                                               list[i]->name, "level", list[i]->level));
    return http_reply(resp, 200, json_pack("{s:o}", "items", items));
}

/* The current divisions under parent as nested {code, name, children?}, down to counties. */
static json_t *region_tree(const char *parent)
{
    const struct codes_region *list[512];
    size_t n = codes_region_children(parent, list, sizeof(list) / sizeof(list[0]));
    json_t *items = json_array();
    for (size_t i = 0; i < n && i < sizeof(list) / sizeof(list[0]); i++) {
        json_t *node = json_pack("{s:s, s:s}", "code", list[i]->code, "name", list[i]->name);
        if (list[i]->level < CODES_LEVEL_COUNTY) {
            json_t *kids = region_tree(list[i]->code);
            if (json_array_size(kids))
                json_object_set_new(node, "children", kids);
            else
                json_decref(kids);
        }
        json_array_append_new(items, node);
    }
    return items;
}

/* GET /codes/regions/tree: the whole current GB/T 2260 tree (province, prefecture,
 * county) in one answer, for a cascader that searches every name at once. */
static enum rc api_codes_region_tree(struct http_req *req, struct http_resp *resp, struct err *e)
{
    (void)e;
    /* The tables are built into the binary: a day in the browser's cache is safe. */
    http_resp_header(req, resp, "Cache-Control", "public, max-age=86400");
    return http_reply(resp, 200, json_pack("{s:o}", "items", region_tree(NULL)));
}

/* The industries under parent as nested {code, name, children?}, down to 小类. */
static json_t *industry_tree(const char *parent)
{
    const struct codes_industry *list[512];
    size_t n = codes_industry_children(parent, list, sizeof(list) / sizeof(list[0]));
    json_t *items = json_array();
    for (size_t i = 0; i < n && i < sizeof(list) / sizeof(list[0]); i++) {
        json_t *node = json_pack("{s:s, s:s}", "code", list[i]->code, "name", list[i]->name);
        if (list[i]->level < CODES_INDUSTRY_CLASS)
            json_object_set_new(node, "children", industry_tree(list[i]->code));
        json_array_append_new(items, node);
    }
    return items;
}

/* GET /codes/industries/tree: GB/T 4754-2017 from 门类 to 小类 in one answer. */
static enum rc api_codes_industry_tree(struct http_req *req, struct http_resp *resp, struct err *e)
{
    (void)e;
    /* The tables are built into the binary: a day in the browser's cache is safe. */
    http_resp_header(req, resp, "Cache-Control", "public, max-age=86400");
    return http_reply(resp, 200, json_pack("{s:o}", "items", industry_tree(NULL)));
}

static enum rc api_codes_credit_code(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *code = req->params[0];
    enum rc rc = codes_credit_code_check(code, e);
    if (rc) {
        snprintf(e->field, sizeof(e->field), "credit_code");
        return rc;
    }
    char region[7];
    memcpy(region, code + 2, 6);
    region[6] = '\0';
    char full[256];
    const struct codes_region *r = codes_region_find(region);
    json_t *j = json_pack("{s:s, s:b, s:s}", "credit_code", code, "valid", 1, "region", region);
    if (r)
        json_object_set_new(j, "region_name",
                            json_string(codes_region_full_name(region, full, sizeof(full))));
    return http_reply(resp, 200, j);
}

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). */
const struct http_route api_codes_routes[] = {
    ROUTE(HTTP_GET, "/api/v1/codes/regions", HTTP_PUBLIC, api_codes_regions,
          "行政区划（GB/T 2260）"),
    ROUTE(HTTP_GET, "/api/v1/codes/industries", HTTP_PUBLIC, api_codes_industries,
          "国民经济行业分类（GB/T 4754-2017）"),
    ROUTE(HTTP_GET, "/api/v1/codes/regions/tree", HTTP_PUBLIC, api_codes_region_tree,
          "行政区划树（省、市、县）"),
    ROUTE(HTTP_GET, "/api/v1/codes/industries/tree", HTTP_PUBLIC, api_codes_industry_tree,
          "行业分类树（门类至小类）"),
    ROUTE(HTTP_GET, "/api/v1/codes/credit-codes/{code}", HTTP_PUBLIC, api_codes_credit_code,
          "校验统一社会信用代码"),
};
const size_t api_codes_n_routes = sizeof(api_codes_routes) / sizeof(api_codes_routes[0]);
