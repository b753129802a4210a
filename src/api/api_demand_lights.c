/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_demand_lights: GET /api/v1/stats/demand-lights, the open demands of the caller's
 * scope counted by light (red, yellow, green) in total and per lead organisation —
 * the cards of the supervisor's 督办看板 (src/demand/demand_lights.h).
 */
#include "../base/timeutil.h"
#include "../calendar/calendar.h"
#include "../demand/demand.h"
#include "../demand/demand_lights.h"
#include "../store/store.h"
#include "api.h"
#include "api_int.h"

static enum rc api_stats_demand_lights(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct demand_ctx ctx = {.now = time_now_ms(), .yellow_days = 1};
    ctx.cal = calendar_current(api_app(req)->calendar, NULL, NULL);
    struct conn *c;
    json_t *j = NULL;
    enum rc rc = api_db(req, &c, e);
    if (rc == RC_OK) {
        rc = demand_light_counts(c, &ctx, api_who(req), &j, e);
    }
    calendar_release(api_app(req)->calendar, ctx.cal);
    if (rc)
        return rc;
    return http_reply(resp, 200, j);
}

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). */
const struct http_route api_demand_lights_routes[] = {
    ROUTE_READ(HTTP_GET, "/api/v1/stats/demand-lights", PERM(DEMAND_STATS), api_stats_demand_lights,
               "在办诉求红黄绿灯统计（合计与按主办单位）"),
};
const size_t api_demand_lights_n_routes =
    sizeof(api_demand_lights_routes) / sizeof(api_demand_lights_routes[0]);
