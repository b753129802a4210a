/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_suggestions: 企业意见建议 over HTTP — /suggestions, /suggestions/{id}, its actions
 * and its timeline (src/suggest). All but the list are the kit's record routes.
 */
#include "../suggest/suggest.h"
#include "api_int.h"
#include "api_kit.h"

static enum rc api_suggestions_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct api_list l;
    struct conn *c;
    json_t *items = NULL;
    const char *state = http_query(req, "state");
    enum rc rc = api_list_id(req, &l, e);
    if (rc == RC_OK && state && flow_state_parse(&suggest_flow, state) < 0)
        rc = err_set(e, RC_INVALID, "state", "未知的状态 %s", state);
    if (rc == RC_OK)
        rc = api_db(req, &c, e);
    if (rc == RC_OK)
        rc = suggest_list(c, api_who(req), state, l.after_id, l.limit, &items, e);
    return rc ? rc : http_reply(resp, 200, api_page(req, items, l.limit, "id"));
}

static const struct api_record rec = {"意见建议", &suggest_flow, suggest_get, suggest_create,
                                      "edit"};

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). */
const struct http_route api_suggestions_routes[] = {
    ROUTE(HTTP_GET, "/api/v1/suggestions", PERM(DEMAND_READ), api_suggestions_list,
          "意见建议（按权限范围；?state=）"),
    ROUTE_DATA(HTTP_POST, "/api/v1/suggestions", PERM(DEMAND_CREATE), api_record_create,
               "提交意见建议（企业）", &rec),
    ROUTE_DATA(HTTP_PATCH, "/api/v1/suggestions/{id}", PERM(DEMAND_READ), api_record_patch,
               "修改意见建议（受理前，提出的企业）", &rec),
    API_RECORD_ROUTES("/api/v1/suggestions", PERM(DEMAND_READ), "意见建议", &rec),
};
const size_t api_suggestions_n_routes =
    sizeof(api_suggestions_routes) / sizeof(api_suggestions_routes[0]);
