/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_grants: the delivery side of policies over HTTP — 免申即享 runs
 * (/policies/{id}/runs), grants (/grants, /grants/{id}/actions), applications
 * (/policies/{id}/application-form, /applications, /applications/{id}/actions) and
 * /stats/policies (JSON, or CSV with ?format=csv&by=policy|org|region).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/buf.h"
#include "../base/csv.h"
#include "../base/timeutil.h"
#include "../policy/policy_bank.h"
#include "../policy/policy_material.h"
#include "../policy/policy_grant.h"
#include "../store/store.h"
#include "api.h"
#include "api_int.h"
#include "api_kit.h"

/* Path parameter i as the id of a what (404 when it cannot be one). */
static enum rc id_at(struct http_req *req, int i, const char *what, int64_t *id, struct err *e)
{
    return api_path_id(req, i, what, id, e);
}

/* ---- runs ------------------------------------------------------------------------ */

static enum rc api_policy_runs_create(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t pid, run_id = 0;
    enum rc rc = id_at(req, 0, "政策", &pid, e);
    if (rc)
        return rc;
    struct conn *c;
    json_t *j = NULL;
    if ((rc = api_db(req, &c, e)))
        return rc;
    rc = policy_runner_submit(api_app(req)->runner, c, api_who(req), pid, &run_id, e);
    if (rc == RC_OK)
        rc = policy_run_get(c, api_who(req), pid, run_id, &j, e);
    return rc ? rc : http_reply(resp, 202, j);
}

static enum rc api_policy_runs_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t pid;
    enum rc rc = id_at(req, 0, "政策", &pid, e);
    if (rc)
        return rc;
    struct conn *c;
    json_t *j = NULL;
    if ((rc = api_db(req, &c, e)))
        return rc;
    rc = policy_run_list(c, api_who(req), pid, &j, e);
    return rc ? rc : http_reply(resp, 200, json_pack("{s:o}", "items", j));
}

static enum rc api_policy_runs_get(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t pid, rid;
    enum rc rc = id_at(req, 0, "政策", &pid, e);
    if (rc == RC_OK)
        rc = id_at(req, 1, "匹配运行", &rid, e);
    if (rc)
        return rc;
    struct conn *c;
    json_t *j = NULL;
    if ((rc = api_db(req, &c, e)))
        return rc;
    rc = policy_run_get(c, api_who(req), pid, rid, &j, e);
    return rc ? rc : http_reply(resp, 200, j);
}

/* ---- grants ------------------------------------------------------------------------- */

static enum rc api_grants_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct policy_grant_filter f = {0};
    struct api_list l;
    enum rc rc = api_list_id(req, &l, e);
    if (rc == RC_OK)
        rc = api_query_id(req, "policy_id", &f.policy_id, e);
    if (rc == RC_OK)
        rc = api_query_id(req, "run_id", &f.run_id, e);
    f.state = http_query(req, "state");
    if (rc == RC_OK && f.state && *f.state && flow_state_parse(&policy_grant_flow, f.state) < 0)
        rc = err_set(e, RC_INVALID, "state", "未知的兑现状态 %s", f.state);
    if (rc)
        return rc;
    f.limit = l.limit;
    f.before_id = l.after_id;
    f.credit_code = http_query(req, "credit_code");
    struct conn *c;
    json_t *items = NULL;
    if ((rc = api_db(req, &c, e)))
        return rc;
    rc = policy_grant_list(c, api_who(req), &f, &items, e);
    return rc ? rc : http_reply(resp, 200, api_page(req, items, f.limit, "id"));
}

/* Get, actions and timeline of a grant and of an application are the kit's record routes
 * (api_kit.h struct api_record); an application's action needs the policies in force. */
static const struct api_record grant_rec = {"兑现记录", &policy_grant_flow, policy_grant_get, NULL,
                                            NULL};
static const struct api_record app_rec = {"申请", &policy_app_flow, policy_app_get, NULL, NULL};

/* POST /api/v1/grants:bank-results: a bank's result file (text/csv, or an .xlsx whose first
 * sheet api_import_body reads as the same CSV), each successful line the grant's pay action
 * (policy_bank.h); 200 with the report of every line. */
static enum rc api_grants_bank_results(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *data;
    size_t n;
    bool csv;
    enum rc rc = api_import_text(req, &data, &n, &csv, e);
    if (rc == RC_MEDIATYPE || (rc == RC_OK && !csv))
        return err_set(e, RC_MEDIATYPE, NULL, "请以 Excel（.xlsx）或 text/csv 上传银行回单文件");
    if (rc)
        return rc;
    struct policy_bank b;
    struct conn *c;
    json_t *j = NULL;
    policy_bank_init(&b);
    rc = policy_bank_csv(&b, data, n, e);
    if (rc == RC_OK)
        rc = api_db(req, &c, e);
    if (rc == RC_OK)
        rc = policy_bank_apply(&b, c, api_who(req), time_now_ms(), &j, e);
    policy_bank_cleanup(&b);
    return rc ? rc : http_reply(resp, 200, j);
}

/* ---- applications ------------------------------------------------------------------- */

static enum rc api_application_form(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t pid;
    enum rc rc = id_at(req, 0, "政策", &pid, e);
    if (rc)
        return rc;
    struct conn *c;
    json_t *j = NULL;
    if ((rc = api_db(req, &c, e)))
        return rc;
    rc = policy_app_form(c, api_app(req)->policies, api_who(req), pid,
                         http_query(req, "credit_code"), &j, e);
    return rc ? rc : http_reply(resp, 200, j);
}

static enum rc api_applications_create(struct http_req *req, struct http_resp *resp, struct err *e)
{
    json_t *body;
    enum rc rc = http_json_body(req, &body, e);
    if (rc)
        return rc;
    const char *key = http_header(req, "Idempotency-Key");
    if (key && (!*key || strlen(key) > 128))
        return err_set(e, RC_INVALID, "Idempotency-Key", "Idempotency-Key 长度应为 1 到 128");
    struct conn *c;
    json_t *j = NULL;
    int64_t id = 0;
    bool existed = false;
    if ((rc = api_db(req, &c, e)))
        return rc;
    rc = policy_app_create(c, api_app(req)->policies, api_who(req), body, key, &id, &existed, e);
    if (rc == RC_OK)
        rc = policy_app_get(c, api_who(req), id, &j, e);
    if (rc)
        return rc;
    if (existed)
        http_resp_header(req, resp, "Idempotent-Replay", "true");
    return http_reply(resp, existed ? 200 : 201, j);
}

static enum rc api_applications_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct policy_app_filter f = {0};
    struct api_list l;
    enum rc rc = api_list_id(req, &l, e);
    if (rc == RC_OK)
        rc = api_query_id(req, "policy_id", &f.policy_id, e);
    f.state = http_query(req, "state");
    if (rc == RC_OK && f.state && *f.state && flow_state_parse(&policy_app_flow, f.state) < 0)
        rc = err_set(e, RC_INVALID, "state", "未知的申请状态 %s", f.state);
    if (rc)
        return rc;
    f.limit = l.limit;
    f.before_id = l.after_id;
    f.credit_code = http_query(req, "credit_code");
    struct conn *c;
    json_t *items = NULL;
    if ((rc = api_db(req, &c, e)))
        return rc;
    rc = policy_app_list(c, api_who(req), &f, &items, e);
    return rc ? rc : http_reply(resp, 200, api_page(req, items, f.limit, "id"));
}

static enum rc api_application_act(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t id;
    json_t *body;
    enum rc rc = id_at(req, 0, "申请", &id, e);
    if (rc == RC_OK)
        rc = http_json_body(req, &body, e);
    if (rc)
        return rc;
    struct conn *c;
    json_t *j = NULL;
    if ((rc = api_db(req, &c, e)))
        return rc;
    rc = policy_app_act(c, api_app(req)->policies, api_who(req), id, body, e);
    if (rc == RC_OK)
        rc = policy_app_get(c, api_who(req), id, &j, e);
    return rc ? rc : http_reply(resp, 200, j);
}

/* ---- materials of a policy application (src/policy/policy_material) -------------------- */

static enum rc api_material_upload(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t id = 0;
    enum rc rc = api_path_id(req, 0, "申请", &id, e);
    if (rc)
        return rc;
    const char *ct = http_header(req, "Content-Type");
    if (ct && strncasecmp(ct, "multipart/", 10) == 0)
        return err_set(e, RC_MEDIATYPE, NULL,
                       "请直接以文件内容作为请求体上传（不支持 "
                       "multipart/form-data），文件名放在查询参数 name 中");
    struct demand_attach_new a = {.name = http_query(req, "name"),
                                  .declared_type = ct,
                                  .data = req->body,
                                  .len = req->body_len,
                                  .max_bytes = api_app(req)->max_attachment};
    struct conn *c;
    json_t *j = NULL;
    if ((rc = api_db(req, &c, e)))
        return rc;
    rc = policy_material_add(c, api_who(req), id, &a, time_now_ms(), &j, e);
    return rc ? rc : http_reply(resp, 201, j);
}

static enum rc api_material_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t id = 0;
    enum rc rc = api_path_id(req, 0, "申请", &id, e);
    struct conn *c;
    json_t *items = NULL;
    if (rc == RC_OK)
        rc = api_db(req, &c, e);
    if (rc == RC_OK)
        rc = policy_material_list(c, api_who(req), id, &items, e);
    if (rc)
        return rc;
    return http_reply(
        resp, 200, json_pack("{s:o, s:i}", "items", items, "max_files", POLICY_MATERIAL_MAX_FILES));
}

static enum rc api_material_get(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t id = 0, mid = 0;
    enum rc rc = api_path_id(req, 0, "申请", &id, e);
    if (rc == RC_OK)
        rc = api_path_id(req, 1, "材料", &mid, e);
    struct conn *c;
    if (rc == RC_OK)
        rc = api_db(req, &c, e);
    if (rc)
        return rc;
    struct demand_attach_file f;
    rc = policy_material_get(c, api_who(req), id, mid, &f, e);
    return rc ? rc : api__send_file(req, resp, &f, mid, e);
}

/* ---- statistics ----------------------------------------------------------------------- */

static const char *const csv_ints[] = {"matched",  "amount", "confirmed",
                                       "declined", "paid",   "paid_amount"};
static const char *const csv_labels[] = {"匹配/核定笔数", "核定金额（分）", "已确认笔数",
                                         "放弃笔数",      "已拨付笔数",     "拨付金额（分）"};
static const char *const csv_apps[] = {"submitted", "more_info", "approved", "rejected",
                                       "withdrawn"};
static const char *const csv_app_labels[] = {"申请待审核", "申请待补充", "申请已通过", "申请未通过",
                                             "申请已撤回"};

static enum rc csv_row(struct buf *b, const char *key, const char *name, const json_t *row)
{
    enum rc rc = csv_put(b, key, true);
    if (rc == RC_OK)
        rc = csv_put(b, name, false);
    char num[32];
    for (size_t i = 0; rc == RC_OK && i < sizeof(csv_ints) / sizeof(csv_ints[0]); i++) {
        snprintf(num, sizeof(num), "%lld",
                 (long long)json_integer_value(json_object_get(row, csv_ints[i])));
        rc = csv_put_number(b, num, false);
    }
    const json_t *apps = json_object_get(row, "applications");
    for (size_t i = 0; rc == RC_OK && i < sizeof(csv_apps) / sizeof(csv_apps[0]); i++) {
        snprintf(num, sizeof(num), "%lld",
                 (long long)json_integer_value(json_object_get(apps, csv_apps[i])));
        rc = csv_put_number(b, num, false);
    }
    return rc == RC_OK ? buf_puts(b, "\r\n") : rc;
}

static enum rc stats_csv(struct http_req *req, struct http_resp *resp, const json_t *j,
                         const char *by)
{
    const char *group = strcmp(by, "org") == 0      ? "by_org"
                        : strcmp(by, "region") == 0 ? "by_region"
                                                    : "by_policy";
    const char *key = strcmp(by, "org") == 0      ? "org"
                      : strcmp(by, "region") == 0 ? "region"
                                                  : "policy_id";
    struct buf *b = &resp->body;
    enum rc rc = buf_puts(b, "\xEF\xBB\xBF");
    if (rc == RC_OK)
        rc = csv_put(b,
                     strcmp(by, "org") == 0      ? "机构代码"
                     : strcmp(by, "region") == 0 ? "行政区划"
                                                 : "政策编号",
                     true);
    if (rc == RC_OK)
        rc = csv_put(b, "名称", false);
    for (size_t i = 0; rc == RC_OK && i < sizeof(csv_labels) / sizeof(csv_labels[0]); i++)
        rc = csv_put(b, csv_labels[i], false);
    for (size_t i = 0; rc == RC_OK && i < sizeof(csv_app_labels) / sizeof(csv_app_labels[0]); i++)
        rc = csv_put(b, csv_app_labels[i], false);
    if (rc == RC_OK)
        rc = buf_puts(b, "\r\n");
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(j, group), i, x)
    {
        if (rc)
            break;
        rc = csv_row(b, json_string_value(json_object_get(x, key)),
                     json_string_value(json_object_get(x, "name")), x);
    }
    if (rc == RC_OK)
        rc = csv_row(b, "合计", "", json_object_get(j, "total"));
    if (rc)
        return rc;
    resp->content_type = "text/csv; charset=utf-8";
    char *cd = pool_alloc(&req->pool, 96);
    snprintf(cd, 96, "attachment; filename=\"policy-stats-by-%s.csv\"", by);
    http_resp_header(req, resp, "Content-Disposition", cd);
    return RC_OK;
}

static enum rc api_stats_policies(struct http_req *req, struct http_resp *resp, struct err *e)
{
    static const char *const formats[] = {"json", "csv", NULL};
    static const char *const bys[] = {"policy", "org", "region", NULL};
    const char *format, *by;
    enum rc rc = api_query_word(req, "format", formats, &format, e);
    if (rc == RC_OK)
        rc = api_query_word(req, "by", bys, &by, e);
    if (rc)
        return rc;
    struct conn *c;
    json_t *j = NULL;
    rc = api_db(req, &c, e);
    if (rc)
        return rc;
    rc = policy_stats(c, api_who(req), &j, e);
    if (rc)
        return rc;
    if (format && strcmp(format, "csv") == 0) {
        rc = stats_csv(req, resp, j, by ? by : "policy");
        json_decref(j);
        return rc;
    }
    return http_reply(resp, 200, j);
}

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). */
const struct http_route api_grants_routes[] = {
    /* 免申即享 runs, grants (兑现), applications (即申即享/申报审批), policy statistics. */
    ROUTE(HTTP_POST, "/api/v1/policies/{id}/runs", PERM(POLICY_ISSUE), api_policy_runs_create,
          "发起免申即享匹配（发布部门政策专员；后台运行）"),
    ROUTE_READ(HTTP_GET, "/api/v1/policies/{id}/runs", PERM(GRANT_STATS), api_policy_runs_list,
               "免申即享匹配运行列表"),
    ROUTE_READ(HTTP_GET, "/api/v1/policies/{id}/runs/{run}", PERM(GRANT_STATS), api_policy_runs_get,
               "匹配运行进度与结果（总数/已完成、状态、汇总）"),
    ROUTE(HTTP_GET, "/api/v1/policies/{id}/application-form", PERM(GRANT_READ),
          api_application_form, "申报表（由已有数据预填，列出缺少的数据；?credit_code=）"),
    ROUTE_DATA(HTTP_POST, "/api/v1/grants/bulk", PERM(GRANT_READ), api_record_bulk,
               "批量操作兑现记录（告知企业、拨付……；逐条检查、逐条审计，返回每条的结果）",
               &grant_rec),
    UPLOAD(HTTP_POST, "/api/v1/grants:bank-results", PERM(GRANT_READ), api_grants_bank_results,
           "导入银行拨付回单（CSV 或 "
           "Excel：兑现编号、实付金额（元）、拨付日期、结果、银行流水号、说明），"
           "逐行记为拨付",
           POLICY_BANK_MAX_BYTES),
    ROUTE_READ(HTTP_GET, "/api/v1/grants", PERM(GRANT_READ), api_grants_list,
               "兑现记录（按权限范围；?policy_id=&state=&credit_code=&run_id=）"),
    ROUTE_DATA_READ(HTTP_GET, "/api/v1/grants/{id}", PERM(GRANT_READ), api_record_get,
                    "兑现记录详情", &grant_rec),
    ROUTE_DATA_READ(HTTP_GET, "/api/v1/grants/{id}/actions", PERM(GRANT_READ), api_record_actions,
                    "当前可执行的兑现操作", &grant_rec),
    ROUTE_DATA(HTTP_POST, "/api/v1/grants/{id}/actions", PERM(GRANT_READ), api_record_act,
               "兑现操作（告知 notify、确认 confirm、放弃 decline、拨付 pay）", &grant_rec),
    ROUTE_DATA_READ(HTTP_GET, "/api/v1/grants/{id}/timeline", PERM(GRANT_READ), api_record_timeline,
                    "兑现记录的办理过程", &grant_rec),
    ROUTE(HTTP_POST, "/api/v1/applications", PERM(APPLY), api_applications_create,
          "申请政策（即申即享/申报审批；支持 Idempotency-Key）"),
    ROUTE_READ(HTTP_GET, "/api/v1/applications", PERM(GRANT_READ), api_applications_list,
               "政策申请（按权限范围；?policy_id=&state=&credit_code=）"),
    ROUTE_DATA_READ(HTTP_GET, "/api/v1/applications/{id}", PERM(GRANT_READ), api_record_get,
                    "申请详情", &app_rec),
    ROUTE_DATA_READ(HTTP_GET, "/api/v1/applications/{id}/actions", PERM(GRANT_READ),
                    api_record_actions, "当前可执行的申请操作", &app_rec),
    ROUTE(HTTP_POST, "/api/v1/applications/{id}/actions", PERM(GRANT_READ), api_application_act,
          "申请操作（approve、reject、request_info、resubmit、withdraw）"),
    ROUTE_DATA_READ(HTTP_GET, "/api/v1/applications/{id}/timeline", PERM(GRANT_READ),
                    api_record_timeline, "申请的办理过程", &app_rec),
    ROUTE_READ(HTTP_GET, "/api/v1/stats/policies", PERM(GRANT_STATS), api_stats_policies,
               "政策兑现统计（按政策、部门、地区；?format=csv&by=policy|org|region）"),
    UPLOAD(HTTP_POST, "/api/v1/applications/{id}/materials", PERM(APPLY), api_material_upload,
           "上传申报材料（请求体即文件；?name=文件名（URL 编码）；按内容识别类型）",
           DEMAND_ATTACH_MAX_BYTES_DEFAULT),
    ROUTE(HTTP_GET, "/api/v1/applications/{id}/materials", PERM(GRANT_READ), api_material_list,
          "申报材料列表（申请企业与审核部门）"),
    ROUTE(HTTP_GET, "/api/v1/applications/{id}/materials/{aid}", PERM(GRANT_READ), api_material_get,
          "下载申报材料"),
};
const size_t api_grants_n_routes = sizeof(api_grants_routes) / sizeof(api_grants_routes[0]);
