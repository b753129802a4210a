/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_demands: the demand loop over HTTP. Transitions go through one endpoint,
 * POST /api/v1/demands/{id}/actions {"action": ...}; GET on it lists what the
 * caller may do now, which is exactly what the UI shows as buttons.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../auth/auth.h"
#include "../base/buf.h"
#include "../base/jsonx.h"
#include "../base/timeutil.h"
#include "../cal/cal.h"
#include "../calendar/calendar.h"
#include "../demand/demand.h"
#include "../demand/demand_import.h"
#include "../store/store.h"
#include "api.h"
#include "api_int.h"
#include "api_kit.h"

/* The clock and a calendar snapshot for one request (released by ctx_done). */
static void api_demand_ctx(struct http_req *req, struct demand_ctx *ctx)
{
    struct app *app = api_app(req);
    ctx->cal = calendar_current(app->calendar, NULL, NULL);
    ctx->now = time_now_ms();
    ctx->yellow_days = 1;
}

static void api_demand_ctx_done(struct http_req *req, struct demand_ctx *ctx)
{
    calendar_release(api_app(req)->calendar, ctx->cal);
    ctx->cal = NULL;
}

/* Answers with the JSON text a handler wrote into resp->body. */
static enum rc reply_text(struct http_resp *resp, int status)
{
    resp->status = status;
    resp->content_type = "application/json; charset=utf-8";
    return RC_OK;
}

/* Discards a partly written text before an error answer is made. */
static enum rc reply_failed(struct http_resp *resp, enum rc rc)
{
    buf_reset(&resp->body);
    return rc;
}

static enum rc id_param(struct http_req *req, int64_t *id, struct err *e)
{
    return api_path_id(req, 0, "诉求", id, e);
}

/*
 * A create is acknowledged only once its commit is durable. Instead of blocking a server
 * thread in the group commit's wait (at most --threads commits then shared one fdatasync),
 * the commit is deferred and the connection suspended until the store's syncer has synced
 * it: one fdatasync then covers every create in flight (docs/internals/store.md).
 */
struct durable_wait {
    struct store *db;
    uint64_t ticket;
};

static void answer_when_durable(void *arg, enum rc rc)
{
    http_resume(arg, rc ? RC_UNAVAILABLE : RC_OK); /* a failed sync: 503, not acknowledged */
}

static void wait_durable(void *arg, struct http_later *later)
{
    struct durable_wait *w = arg;
    store_when_durable(w->db, w->ticket, answer_when_durable, later);
}

/*
 * Who reads a new demand back for its creator. A user reads as themself. An API key has
 * no relation to any demand, so reading as the key answered 404 after the demand had
 * been saved (and every retry saved another): the demand is read as a read-only
 * administrator (no actions, the phone masked) once it is known that a key of the
 * caller's organisation submitted it. A replay by external_id of another organisation's
 * demand is RC_CONFLICT, without reading it.
 */
static enum rc reader_of(struct conn *c, const struct principal *p, int64_t id,
                         struct principal *reader, struct err *e)
{
    *reader = *p;
    if (!p->apikey_id)
        return RC_OK;
    struct stmt *st;
    enum rc rc = store_prepare(
        c, "SELECT 1 FROM demands d WHERE d.id = ? AND d.created_by IN " AUTH_APIKEY_ACTORS_SQL,
        &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, id);
    store_bind_int(st, 2, p->org_id);
    rc = store_step(st, e);
    store_finish(st);
    if (rc == RC_DONE)
        return err_set(e, RC_CONFLICT, "external_id", "该外部编号已被其他单位的诉求使用");
    if (rc != RC_ROW)
        return rc;
    reader->perms = ACCESS_BIT(ACCESS_SCOPE_ALL); /* every record, no relation, no pii.read */
    return RC_OK;
}

static enum rc api_demands_create(struct http_req *req, struct http_resp *resp, struct err *e)
{
    static const char *const fields[] = {"credit_code", "category", "urgency", "channel",
                                         "title", "content", "contact_name", "contact_phone",
                                         "address", "lat", "lon", "external_id", NULL};
    json_t *body = NULL;
    struct demand_new d = {0};
    enum rc rc = http_json_body(req, &body, e);
    if (rc == RC_OK)
        rc = jsonx_only(body, fields, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "credit_code", false, 18, &d.credit_code, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "category", true, 32, &d.category, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "urgency", false, 16, &d.urgency, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "channel", false, 16, &d.channel, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "title", true, 100, &d.title, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "content", true, 5000, &d.content, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "contact_name", false, 32, &d.contact_name, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "contact_phone", false, 20, &d.contact_phone, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "address", false, 200, &d.address, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "external_id", false, 64, &d.external_id, e);
    json_t *lat = rc ? NULL : json_object_get(body, "lat");
    json_t *lon = rc ? NULL : json_object_get(body, "lon");
    if (rc == RC_OK && (lat || lon)) {
        if (!json_is_number(lat) || !json_is_number(lon))
            rc = err_set(e, RC_INVALID, "lat", "lat 和 lon 须同时给出且为数字");
        d.lat = json_number_value(lat);
        d.lon = json_number_value(lon);
        d.has_location = true;
    }
    d.idem_key = http_header(req, "Idempotency-Key");
    if (rc == RC_OK && d.idem_key && (!*d.idem_key || strlen(d.idem_key) > 128))
        rc = err_set(e, RC_INVALID, "Idempotency-Key", "Idempotency-Key 长度应为 1 到 128");
    if (rc)
        return rc;
    struct demand_ctx ctx;
    api_demand_ctx(req, &ctx);
    /* A deferring handler (http_defer below): it takes and releases its connection
     * itself (api_conn + store_release), as docs/internals/api.md says. */
    struct conn *c;
    if ((rc = api_conn(req, &c, e))) {
        api_demand_ctx_done(req, &ctx);
        return rc;
    }
    int64_t id = 0;
    bool existed;
    store_defer_sync(c);
    /* The answer of a new demand comes from its INSERT (demand_create_text); a replay's,
     * and an API key's (reader_of: the key reads as its organisation), are read back. */
    const struct principal *who = api_who(req);
    rc = who->apikey_id ? demand_create(c, &ctx, who, &d, &id, &existed, e)
                        : demand_create_text(c, &ctx, who, &d, &id, &existed, &resp->body, e);
    struct durable_wait w = {api_app(req)->db, store_take_ticket(c)};
    /* A replay may answer with a demand whose own create still waits for its sync. */
    if (rc == RC_OK && existed)
        w.ticket = store_ticket_now(w.db);
    struct principal reader;
    bool answered = rc == RC_OK && buf_len(&resp->body) > 0;
    if (rc == RC_OK && !answered)
        rc = reader_of(c, who, id, &reader, e);
    if (rc == RC_OK && !answered)
        rc = demand_get_text(c, &ctx, &reader, id, &resp->body, e);
    store_release(c);
    api_demand_ctx_done(req, &ctx);
    if (rc)
        return reply_failed(resp, rc);
    if (existed)
        http_resp_header(req, resp, "Idempotent-Replay", "true");
    if (w.ticket) {
        struct durable_wait *held = pool_alloc(&req->pool, sizeof(*held));
        *held = w;
        http_defer(req, wait_durable, held);
    }
    return reply_text(resp, existed ? 200 : 201);
}

static enum rc api_demands_import(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct demand_import_opts o = {.file_name = "upload", .max_errors = 1000};
    const char *data;
    size_t n;
    bool csv;
    enum rc rc = api_import_text(req, &data, &n, &csv, e); /* .xlsx: its sheet as CSV */
    if (rc)
        return rc;
    o.format = csv ? DEMAND_IMPORT_CSV : DEMAND_IMPORT_JSONL;
    rc = api_query_flag(req, "skip_invalid", &o.skip_invalid, e);
    if (rc == RC_OK)
        rc = api_query_flag(req, "dry_run", &o.dry_run, e);
    if (rc)
        return rc;
    o.channel = http_query(req, "channel");
    struct demand_ctx ctx;
    api_demand_ctx(req, &ctx);
    struct conn *c;
    rc = api_db(req, &c, e);
    struct demand_import_report r = {0};
    if (rc == RC_OK)
        rc = demand_import(c, &ctx, api_who(req), data, n, &o, &r, e);
    api_demand_ctx_done(req, &ctx);
    if (rc) {
        demand_import_report_cleanup(&r);
        return rc;
    }
    json_t *report = demand_import_report_json(&r);
    bool refused = r.invalid && !o.dry_run && (!o.skip_invalid || r.invalid == r.rows);
    demand_import_report_cleanup(&r);
    if (refused)
        return http_reply(resp, 422,
                          json_pack("{s:{s:s, s:s}, s:o}", "error", "code", "import_rejected",
                                    "message",
                                    "文件中有错误行，未导入任何诉求（可修正后重试，或使用 skip_invalid=1）",
                                    "report", report));
    return http_reply(resp, 200, report);
}

static enum rc api_demands_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct demand_filter f = {0};
    struct api_list l;
    enum rc rc = api_list_id(req, &l, e);
    if (rc)
        return rc;
    f.limit = l.limit;
    f.before_id = l.after_id;
    f.state = http_query(req, "state");
    f.light = http_query(req, "light");
    f.category = http_query(req, "category");
    f.credit_code = http_query(req, "credit_code");
    f.q = http_query(req, "q");
    f.todo = http_query(req, "todo");
    f.lead_org = http_query(req, "lead_org");
    f.channel = http_query(req, "channel");
    f.region = http_query(req, "region");
    /* The drill-down of a statistics row: dispatched in [from, to], dates inclusive. */
    int64_t day = INT64_MIN;
    rc = api_query_date(req, "dispatched_from", false, &day, e);
    if (rc)
        return rc;
    if (day != INT64_MIN)
        f.dispatched_from = cal_minute_to_ms(day * 1440);
    day = INT64_MIN;
    rc = api_query_date(req, "dispatched_to", false, &day, e);
    if (rc)
        return rc;
    if (day != INT64_MIN)
        f.dispatched_to = cal_minute_to_ms((day + 1) * 1440);
    struct demand_ctx ctx;
    api_demand_ctx(req, &ctx);
    /* The page is written as text: {"items":[...],"next_cursor":...}, as api_page would
     * build it (the cursor is the last id when the page is full). */
    struct conn *c;
    struct buf *b = &resp->body;
    int n = 0;
    int64_t last = 0;
    buf_reset(b);
    rc = buf_append(b, "{\"items\":", 9);
    if (rc == RC_OK && (rc = api_db(req, &c, e)) == RC_OK)
        rc = demand_list(c, &ctx, api_who(req), &f, b, &n, &last, e);
    api_demand_ctx_done(req, &ctx);
    if (rc == RC_OK && n == f.limit) {
        char num[24];
        snprintf(num, sizeof(num), "%lld", (long long)last);
        rc = buf_printf(b, ",\"next_cursor\":\"%s\"}", api_cursor_encode(req, num));
    } else if (rc == RC_OK) {
        rc = buf_append(b, ",\"next_cursor\":null}", 20);
    }
    return rc ? reply_failed(resp, rc) : reply_text(resp, 200);
}

/* Runs one read of a single demand. */
static enum rc one(struct http_req *req, struct http_resp *resp, struct err *e, int what)
{
    int64_t id = 0;
    enum rc rc = id_param(req, &id, e);
    if (rc)
        return rc;
    struct demand_ctx ctx;
    api_demand_ctx(req, &ctx);
    struct conn *c;
    json_t *j = NULL;
    if ((rc = api_db(req, &c, e)) == RC_OK) {
        if (what == 0)
            rc = demand_get_text(c, &ctx, api_who(req), id, &resp->body, e);
        else if (what == 1)
            rc = demand_actions(c, &ctx, api_who(req), id, &resp->body, e);
        else
            rc = demand_timeline(c, api_who(req), id, &j, e);
    }
    api_demand_ctx_done(req, &ctx);
    if (rc)
        return reply_failed(resp, rc);
    if (what < 2)
        return reply_text(resp, 200);
    return http_reply(resp, 200, json_pack("{s:o}", "items", j));
}

static enum rc api_demands_get(struct http_req *req, struct http_resp *resp, struct err *e)
{
    return one(req, resp, e, 0);
}

static enum rc api_demand_actions_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    return one(req, resp, e, 1);
}

static enum rc api_demand_timeline(struct http_req *req, struct http_resp *resp, struct err *e)
{
    return one(req, resp, e, 2);
}

static enum rc api_demand_act(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t id = 0;
    json_t *body;
    enum rc rc = id_param(req, &id, e);
    if (rc == RC_OK)
        rc = http_json_body(req, &body, e);
    if (rc)
        return rc;
    struct demand_ctx ctx;
    api_demand_ctx(req, &ctx);
    struct conn *c;
    if ((rc = api_db(req, &c, e)) == RC_OK) {
        rc = demand_act(c, &ctx, api_who(req), id, body, e);
        if (rc == RC_OK)
            rc = demand_get_text(c, &ctx, api_who(req), id, &resp->body, e);
    }
    api_demand_ctx_done(req, &ctx);
    return rc ? reply_failed(resp, rc) : reply_text(resp, 200);
}

/* POST /api/v1/demands/bulk: one action on many demands, each as its single action
 * (api_bulk, flow_bulk): 受理, 交办 to the same lead, 催办/督办 .... */
static enum rc api_demands_bulk(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct demand_ctx ctx;
    api_demand_ctx(req, &ctx);
    enum rc rc = api_bulk(req, resp, &demand_flow, &ctx, ctx.now, e);
    api_demand_ctx_done(req, &ctx);
    return rc;
}

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). */
const struct http_route api_demands_routes[] = {
    ROUTE(HTTP_POST, "/api/v1/demands", PERM(DEMAND_CREATE), api_demands_create,
          "提交诉求（企业网上提交、窗口代录、热线/系统对接；支持 Idempotency-Key）"),
    UPLOAD(
        HTTP_POST, "/api/v1/demands:import", PERM(DEMAND_IMPORT), api_demands_import,
        "批量导入 12345 热线工单（Excel、CSV 或 JSON Lines，按工单编号幂等；?skip_invalid=1&dry_run=1）",
        16u << 20),
    ROUTE(HTTP_POST, "/api/v1/demands/bulk", PERM(DEMAND_READ), api_demands_bulk,
          "批量操作（受理、交办、催办/督办……；逐条检查、逐条审计，返回每条的结果）"),
    ROUTE_READ(HTTP_GET, "/api/v1/demands", PERM(DEMAND_READ), api_demands_list,
               "诉求列表（按关系范围；?state=&light=&category=&q=）"),
    ROUTE_READ(HTTP_GET, "/api/v1/demands/{id}", PERM(DEMAND_READ), api_demands_get,
               "诉求详情（含红黄绿灯与可执行操作）"),
    ROUTE_READ(HTTP_GET, "/api/v1/demands/{id}/actions", PERM(DEMAND_READ), api_demand_actions_list,
               "当前用户可执行的操作"),
    ROUTE(HTTP_POST, "/api/v1/demands/{id}/actions", PERM(DEMAND_READ), api_demand_act,
          "执行操作（受理、交办、签收、退单、延期、答复、评价、督办……）"),
    ROUTE_READ(HTTP_GET, "/api/v1/demands/{id}/timeline", PERM(DEMAND_READ), api_demand_timeline,
               "办理进程（企业看不到内部备注）"),
};
const size_t api_demands_n_routes = sizeof(api_demands_routes) / sizeof(api_demands_routes[0]);
