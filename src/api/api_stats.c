/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_stats: GET /api/v1/stats/demands, the demand figures per lead organisation
 * and period, as JSON (with the definition of every figure) or, with format=csv, as
 * a UTF-8 CSV file with a byte-order mark so Excel opens the Chinese header right.
 * Also GET /api/v1/demands/{id}/duplicates, the duplicate suggestions at intake.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/csv.h"
#include "../base/timeutil.h"
#include "../cal/cal.h"
#include "../calendar/calendar.h"
#include "../demand/demand.h"
#include "../demand/demand_dup.h"
#include "../demand/demand_stats.h"
#include "../store/store.h"
#include "api.h"
#include "api_int.h"
#include "api_kit.h"

/* The clock and a calendar snapshot for one request (released by ctx_done). */
static void ctx_begin(struct http_req *req, struct demand_ctx *ctx)
{
    ctx->cal = calendar_current(api_app(req)->calendar, NULL, NULL);
    ctx->now = time_now_ms();
    ctx->yellow_days = 1;
}

static void ctx_done(struct http_req *req, struct demand_ctx *ctx)
{
    calendar_release(api_app(req)->calendar, ctx->cal);
    ctx->cal = NULL;
}

static enum rc date_param(struct http_req *req, const char *name, int64_t *out, struct err *e)
{
    return api_query_date(req, name, true, out, e);
}

/* The text of one figure: integers as is, averages with 2 decimals, rates with 4. */
static void figure_text(const json_t *v, const char *key, char *out, size_t n)
{
    if (json_is_integer(v))
        snprintf(out, n, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(out, n, strstr(key, "rate") ? "%.4f" : "%.2f", json_real_value(v));
    else
        snprintf(out, n, "%s", "");
}

static enum rc csv_row(struct buf *b, const json_t *cols, const char *code, const char *name,
                       const json_t *row)
{
    enum rc rc = csv_put(b, code, true);
    if (rc == RC_OK)
        rc = csv_put(b, name, false);
    size_t i;
    json_t *col;
    json_array_foreach(cols, i, col)
    {
        if (rc)
            break;
        const char *key = json_string_value(json_object_get(col, "key"));
        char text[48];
        figure_text(json_object_get(row, key), key, text, sizeof(text));
        rc = csv_put_number(b, text, false);
    }
    return rc == RC_OK ? buf_puts(b, "\r\n") : rc;
}

/* Writes the statistics as CSV: BOM, Chinese header, one row per organisation, total. */
static enum rc stats_csv(struct http_req *req, struct http_resp *resp, const json_t *j,
                         const char *from, const char *to)
{
    const json_t *cols = json_object_get(j, "columns");
    struct buf *b = &resp->body;
    enum rc rc = buf_puts(b, "\xEF\xBB\xBF");
    if (rc == RC_OK)
        rc = csv_put(b, "机构代码", true);
    if (rc == RC_OK)
        rc = csv_put(b, "机构名称", false);
    size_t i;
    json_t *x;
    json_array_foreach(cols, i, x)
    {
        if (rc)
            break;
        rc = csv_put(b, json_string_value(json_object_get(x, "label")), false);
    }
    if (rc == RC_OK)
        rc = buf_puts(b, "\r\n");
    json_array_foreach(json_object_get(j, "items"), i, x)
    {
        if (rc)
            break;
        const json_t *org = json_object_get(x, "org");
        rc = csv_row(b, cols, json_string_value(json_object_get(org, "code")),
                     json_string_value(json_object_get(org, "name")), x);
    }
    if (rc == RC_OK)
        rc = csv_row(b, cols, "合计", "", json_object_get(j, "total"));
    if (rc)
        return rc;
    resp->content_type = "text/csv; charset=utf-8";
    char *cd = pool_alloc(&req->pool, 96);
    snprintf(cd, 96, "attachment; filename=\"demand-stats-%s-%s.csv\"", from, to);
    http_resp_header(req, resp, "Content-Disposition", cd);
    return RC_OK;
}

static enum rc api_stats_demands(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct demand_stats_query q = {0};
    enum rc rc = date_param(req, "from", &q.from, e);
    if (rc == RC_OK)
        rc = date_param(req, "to", &q.to, e);
    static const char *const formats[] = {"json", "csv", NULL};
    const char *format = NULL;
    if (rc == RC_OK)
        rc = api_query_word(req, "format", formats, &format, e);
    if (rc)
        return rc;
    q.org = http_query(req, "org");
    if (q.org && !*q.org)
        q.org = NULL;
    struct demand_ctx ctx;
    ctx_begin(req, &ctx);
    struct conn *c;
    json_t *j = NULL;
    if ((rc = api_db(req, &c, e)) == RC_OK) {
        rc = demand_stats(c, &ctx, api_who(req), &q, &j, e);
    }
    ctx_done(req, &ctx);
    if (rc)
        return rc;
    if (format && strcmp(format, "csv") == 0) {
        rc = stats_csv(req, resp, j, http_query(req, "from"), http_query(req, "to"));
        json_decref(j);
        return rc;
    }
    return http_reply(resp, 200, j);
}

/* The period and organisation of a statistics request: from, to (required) and org. */
static enum rc stats_query(struct http_req *req, struct demand_stats_query *q, struct err *e)
{
    enum rc rc = date_param(req, "from", &q->from, e);
    if (rc == RC_OK)
        rc = date_param(req, "to", &q->to, e);
    q->org = http_query(req, "org");
    if (q->org && !*q->org)
        q->org = NULL;
    return rc;
}

/* GET /stats/demand-breakdown, -top and -ranking: one domain read each (what says which). */
static enum rc stats_read(struct http_req *req, struct http_resp *resp, struct err *e, int what)
{
    struct demand_stats_query q = {0};
    enum rc rc = stats_query(req, &q, e);
    static const char *const bys[] = {"category", "region", "channel", "month", NULL};
    static const char *const top_bys[] = {"title", "category", NULL};
    const char *by = NULL;
    int64_t limit = 10;
    if (rc == RC_OK && what != 2)
        rc = api_query_word(req, "by", what == 0 ? bys : top_bys, &by, e);
    if (rc == RC_OK && what != 2 && !by)
        rc = err_set(e, RC_INVALID, "by", "请指定 by（%s）",
                     what == 0 ? "category、region、channel 或 month" : "title 或 category");
    if (rc == RC_OK && what == 1)
        rc = api_query_int(req, "limit", 1, 100, &limit, e);
    /* JSON only: format=xlsx is the api kit's generic export (issue 17 item 5), refused here. */
    static const char *const formats[] = {"json", NULL};
    const char *format = NULL;
    if (rc == RC_OK)
        rc = api_query_word(req, "format", formats, &format, e);
    if (rc)
        return rc;
    struct demand_ctx ctx;
    ctx_begin(req, &ctx);
    struct conn *c;
    json_t *j = NULL;
    if ((rc = api_db(req, &c, e)) == RC_OK) {
        if (what == 0)
            rc = demand_breakdown(c, api_who(req), &q, by, &j, e);
        else if (what == 1)
            rc = demand_top(c, api_who(req), &q, by, (int)limit, &j, e);
        else
            rc = demand_ranking(c, &ctx, api_who(req), &q, &j, e);
    }
    ctx_done(req, &ctx);
    return rc ? rc : http_reply(resp, 200, j);
}

static enum rc api_stats_breakdown(struct http_req *req, struct http_resp *resp, struct err *e)
{
    return stats_read(req, resp, e, 0);
}

static enum rc api_stats_top(struct http_req *req, struct http_resp *resp, struct err *e)
{
    return stats_read(req, resp, e, 1);
}

static enum rc api_stats_ranking(struct http_req *req, struct http_resp *resp, struct err *e)
{
    return stats_read(req, resp, e, 2);
}

static enum rc api_demand_duplicates(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t id, days = DEMAND_DUP_DEFAULT_DAYS;
    enum rc rc = api_path_id(req, 0, "诉求", &id, e);
    if (rc == RC_OK)
        rc = api_query_int(req, "days", 1, DEMAND_DUP_MAX_DAYS, &days, e);
    if (rc)
        return rc;
    struct demand_ctx ctx;
    ctx_begin(req, &ctx);
    struct conn *c;
    json_t *j = NULL;
    rc = api_db(req, &c, e);
    if (rc == RC_OK) {
        rc = demand_duplicates(c, &ctx, api_who(req), id, (int)days, &j, e);
    }
    ctx_done(req, &ctx);
    return rc ? rc : http_reply(resp, 200, j);
}

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). */
const struct http_route api_stats_routes[] = {
    ROUTE_READ(HTTP_GET, "/api/v1/demands/{id}/duplicates", PERM(DEMAND_READ),
               api_demand_duplicates,
               "疑似重复诉求（同一企业同类诉求、内容相似；?days=，受理窗口与督办人员）"),
    ROUTE_READ(HTTP_GET, "/api/v1/stats/demands", PERM(DEMAND_STATS), api_stats_demands,
               "诉求办理统计（按主办机构与期间；?from=&to=&org=&format=csv）"),
    ROUTE_READ(HTTP_GET, "/api/v1/stats/demand-breakdown", PERM(DEMAND_STATS), api_stats_breakdown,
               "诉求分类统计（本期交办诉求按类别、区域、渠道或月份；?by=&from=&to=&org=）"),
    ROUTE_READ(HTTP_GET, "/api/v1/stats/demand-top", PERM(DEMAND_STATS), api_stats_top,
               "高频诉求（期间内提交最多的标题或类别；?by=title|category&from=&to=&limit=）"),
    ROUTE_READ(HTTP_GET, "/api/v1/stats/demand-ranking", PERM(DEMAND_STATS), api_stats_ranking,
               "承办单位排名（综合得分，用于通报；?from=&to=）"),
};
const size_t api_stats_n_routes = sizeof(api_stats_routes) / sizeof(api_stats_routes[0]);
