/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_service_items_search: the catalogue search (public), its synonyms and the log of queries
 * that found nothing (catalog.write). docs/internals/catalog.md "Search".
 */
#include <string.h>

#include "../access/access.h"
#include "../base/jsonx.h"
#include "../base/timeutil.h"
#include "../catalog/catalog_search.h"
#include "../codes/codes.h"
#include "../ent/ent.h"
#include "../store/store.h"
#include "api.h"
#include "api_int.h"
#include "api_kit.h"

/* The industry of the caller's own enterprise (NULL when the caller is none or it has none),
 * in req's pool. */
static const char *caller_industry(struct http_req *req, struct conn *c)
{
    const struct principal *p = api_who(req);
    if (!p || !p->credit_code)
        return NULL;
    json_t *ent = NULL;
    struct err e = {0};
    if (ent_get(c, api_app(req)->cat, p, p->credit_code, &ent, &e))
        return NULL;
    const char *ind = json_string_value(json_object_get(ent, "industry"));
    char *out = NULL;
    if (ind && *ind) {
        size_t n = strlen(ind) + 1;
        out = pool_alloc(&req->pool, n);
        memcpy(out, ind, n);
    }
    json_decref(ent);
    return out;
}

static enum rc api_catalog_search(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct catalog_search_query q = {http_query(req, "q"), http_query(req, "industry"), 10};
    int64_t limit = 10;
    enum rc rc = api_query_int(req, "limit", 1, CATALOG_SEARCH_LIMIT_MAX, &limit, e);
    if (rc)
        return rc;
    q.limit = (int)limit;
    if (!q.q || !*q.q)
        return err_set(e, RC_INVALID, "q", "请输入要查找的事项名称或关键词");
    if (q.industry && *q.industry) {
        const struct codes_industry *ind;
        struct err pe = {0};
        if (codes_industry_parse(q.industry, 0, &ind, &pe))
            return err_set(e, RC_INVALID, "industry", "%s", pe.msg);
        q.industry = ind->code;
    } else {
        q.industry = NULL;
    }
    struct conn *c;
    json_t *out = NULL;
    if ((rc = api_db(req, &c, e)))
        return rc;
    if (!q.industry)
        q.industry = caller_industry(req, c);
    rc = catalog_search(c, &q, time_now_ms(), &out, e);
    return rc ? rc : http_reply(resp, 200, out);
}

static enum rc api_synonyms_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct conn *c;
    json_t *items = NULL;
    enum rc rc = api_db(req, &c, e);
    if (rc == RC_OK)
        rc = catalog_synonym_list(c, &items, e);
    return rc ? rc : http_reply(resp, 200, json_pack("{s:o}", "items", items));
}

static enum rc api_synonyms_get(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t id;
    struct conn *c;
    json_t *j = NULL;
    enum rc rc = api_path_id(req, 0, "同义词", &id, e);
    if (rc == RC_OK)
        rc = api_db(req, &c, e);
    if (rc == RC_OK)
        rc = catalog_synonym_get(c, id, &j, e);
    return rc ? rc : http_reply(resp, 200, j);
}

/* Creates (id 0) or replaces a synonym from the body {term, targets, note}. */
static enum rc put(struct http_req *req, struct http_resp *resp, int64_t id, struct err *e)
{
    bool create = id == 0;
    static const char *const fields[] = {"term", "targets", "note", NULL};
    json_t *body;
    const char *term = NULL, *note = NULL;
    enum rc rc = http_json_body(req, &body, e);
    if (rc == RC_OK)
        rc = jsonx_only(body, fields, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "term", true, 4 * CATALOG_SYNONYM_TERM_MAX, &term, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "note", false, 1000, &note, e);
    struct conn *c;
    json_t *j = NULL;
    if (rc == RC_OK)
        rc = api_db(req, &c, e);
    if (rc == RC_OK)
        rc = catalog_synonym_put(c, &api_who(req)->actor, id, term,
                                 json_object_get(body, "targets"), note, time_now_ms(), &id, e);
    if (rc == RC_OK)
        rc = catalog_synonym_get(c, id, &j, e);
    return rc ? rc : http_reply(resp, create ? 201 : 200, j);
}

static enum rc api_synonyms_create(struct http_req *req, struct http_resp *resp, struct err *e)
{
    return put(req, resp, 0, e);
}

static enum rc api_synonyms_update(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t id;
    enum rc rc = api_path_id(req, 0, "同义词", &id, e);
    return rc ? rc : put(req, resp, id, e);
}

static enum rc api_synonyms_delete(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t id;
    struct conn *c;
    enum rc rc = api_path_id(req, 0, "同义词", &id, e);
    if (rc == RC_OK)
        rc = api_db(req, &c, e);
    if (rc == RC_OK)
        rc = catalog_synonym_delete(c, &api_who(req)->actor, id, e);
    return rc ? rc
              : http_reply(resp, 200, json_pack("{s:I, s:b}", "id", (json_int_t)id, "deleted", 1));
}

static enum rc api_zero_results(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t limit = 100;
    struct conn *c;
    json_t *items = NULL;
    enum rc rc = api_query_int(req, "limit", 1, API_MAX_LIMIT, &limit, e);
    if (rc == RC_OK)
        rc = api_db(req, &c, e);
    if (rc == RC_OK)
        rc = catalog_search_misses(c, (int)limit, &items, e);
    return rc ? rc : http_reply(resp, 200, json_pack("{s:o}", "items", items));
}

const struct http_route api_service_items_search_routes[] = {
    /* Above /service-items/{id} (api_service_items.c; api_int.h): the first matching route
     * wins. A search
     * may log its query (a write), so it is not a read-only route. */
    ROUTE(HTTP_GET, "/api/v1/service-items/search", HTTP_PUBLIC, api_catalog_search,
          "查找办事事项（名称、俗称、材料、拼音首字母）"),
    ROUTE_READ(HTTP_GET, "/api/v1/catalog/synonyms", PERM(CATALOG_WRITE), api_synonyms_list,
               "同义词（俗称）列表"),
    ROUTE(HTTP_POST, "/api/v1/catalog/synonyms", PERM(CATALOG_WRITE), api_synonyms_create,
          "新增同义词"),
    ROUTE_READ(HTTP_GET, "/api/v1/catalog/synonyms/{id}", PERM(CATALOG_WRITE), api_synonyms_get,
               "同义词详情"),
    ROUTE(HTTP_PUT, "/api/v1/catalog/synonyms/{id}", PERM(CATALOG_WRITE), api_synonyms_update,
          "修改同义词"),
    ROUTE(HTTP_DELETE, "/api/v1/catalog/synonyms/{id}", PERM(CATALOG_WRITE), api_synonyms_delete,
          "删除同义词"),
    ROUTE_READ(HTTP_GET, "/api/v1/catalog/zero-results", PERM(CATALOG_WRITE), api_zero_results,
               "无结果的搜索词"),
};
const size_t api_service_items_search_n_routes =
    sizeof(api_service_items_search_routes) / sizeof(api_service_items_search_routes[0]);
