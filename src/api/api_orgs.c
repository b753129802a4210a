/* SPDX-License-Identifier: Apache-2.0 */
/* api_orgs: the organisation tree. */
#include <string.h>

#include "../auth/auth.h"
#include "../base/jsonx.h"
#include "../org/org.h"
#include "../store/store.h"
#include "api.h"
#include "api_int.h"
#include "api_kit.h"

static enum rc api_orgs_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct api_list l;
    enum rc rc = api_list_text(req, &l, e);
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    json_t *items = NULL;
    rc = org_list(c, NULL, http_query(req, "parent"), l.after, l.limit, &items, e);
    if (rc)
        return rc;
    return http_reply(resp, 200, api_page(req, items, l.limit, "code"));
}

static enum rc api_orgs_get(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct conn *c;
    struct org o;
    enum rc rc = api_db(req, &c, e);
    if (rc)
        return rc;
    rc = org_by_code(c, req->params[0], &req->pool, &o, e);
    struct org parent = {0};
    if (rc == RC_OK && o.parent_id)
        rc = org_by_id(c, o.parent_id, &req->pool, &parent, e);
    if (rc)
        return rc;
    json_t *j = org_json(&o);
    json_object_set_new(j, "parent", parent.code ? json_string(parent.code) : json_null());
    return http_reply(resp, 200, j);
}

static enum rc api_orgs_create(struct http_req *req, struct http_resp *resp, struct err *e)
{
    static const struct api_field fields[] = {
        API_FIELD_STR("code", struct org_new, code, true, 32),
        API_FIELD_STR("name", struct org_new, name, true, 64),
        API_FIELD_STR("kind", struct org_new, kind, true, 16),
        API_FIELD_STR("region", struct org_new, region, true, 12),
        API_FIELD_STR("parent", struct org_new, parent_code, false, 32),
    };
    struct org_new o = {0};
    enum rc rc = api_body(req, fields, sizeof(fields) / sizeof(fields[0]), &o, NULL, e);
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    int64_t id;
    struct org created;
    rc = org_create(c, &api_who(req)->actor, &o, &id, e);
    if (rc == RC_OK)
        rc = org_by_id(c, id, &req->pool, &created, e);
    if (rc)
        return rc;
    json_t *j = org_json(&created);
    json_object_set_new(j, "parent", o.parent_code ? json_string(o.parent_code) : json_null());
    return http_reply(resp, 201, j);
}

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). */
const struct http_route api_orgs_routes[] = {
    ROUTE_READ(HTTP_GET, "/api/v1/orgs", PERM(ORG_READ), api_orgs_list, "机构列表"),
    ROUTE(HTTP_POST, "/api/v1/orgs", PERM(ORG_WRITE), api_orgs_create, "新建机构"),
    ROUTE_READ(HTTP_GET, "/api/v1/orgs/{code}", PERM(ORG_READ), api_orgs_get, "机构详情"),
};
const size_t api_orgs_n_routes = sizeof(api_orgs_routes) / sizeof(api_orgs_routes[0]);
