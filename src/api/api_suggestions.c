/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_suggestions: 企业意见建议 over HTTP — /suggestions, /suggestions/{id}, its actions
 * and its timeline (src/suggest). Every route is the kit's record routes.
 */
#include "../suggest/suggest.h"
#include "api_int.h"
#include "api_kit.h"

static const struct api_record rec = {"意见建议", &suggest_flow, NULL, NULL, "edit"};

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). */
const struct http_route api_suggestions_routes[] = {
    ROUTE_DATA(HTTP_GET, "/api/v1/suggestions", PERM(DEMAND_READ), api_record_list,
               "意见建议（按权限范围；?state=）", &rec),
    ROUTE_DATA(HTTP_POST, "/api/v1/suggestions", PERM(DEMAND_CREATE), api_record_create,
               "提交意见建议（企业）", &rec),
    ROUTE_DATA(HTTP_PATCH, "/api/v1/suggestions/{id}", PERM(DEMAND_READ), api_record_patch,
               "修改意见建议（受理前，提出的企业）", &rec),
    API_RECORD_ROUTES("/api/v1/suggestions", PERM(DEMAND_READ), "意见建议", &rec),
};
const size_t api_suggestions_n_routes =
    sizeof(api_suggestions_routes) / sizeof(api_suggestions_routes[0]);
