/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api: the route table, the authentication hook and the helpers the resource files
 * share. Which roles may call a route is declared here, in one place.
 */
#include "api.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "../auth/auth.h"
#include "../base/mem.h"
#include "../demand/demand_attach.h"
#include "../store/store.h"

#define OFFICIALS                                                                                  \
    (ROLE_BIT(ROLE_CLERK) | ROLE_BIT(ROLE_HANDLER) | ROLE_BIT(ROLE_SUPERVISOR) |                   \
     ROLE_BIT(ROLE_POLICY_OFFICER) | ROLE_BIT(ROLE_ADMIN))
#define ADMIN ROLE_BIT(ROLE_ADMIN)
#define OVERSIGHT (ROLE_BIT(ROLE_SUPERVISOR) | ROLE_BIT(ROLE_ADMIN))
#define HUMANS (OFFICIALS | ROLE_BIT(ROLE_ENTERPRISE))
#define REGISTRARS (ROLE_BIT(ROLE_CLERK) | ROLE_BIT(ROLE_ADMIN))
#define GRANT_READERS                                                                              \
    (ROLE_BIT(ROLE_ENTERPRISE) | ROLE_BIT(ROLE_POLICY_OFFICER) | ROLE_BIT(ROLE_SUPERVISOR) |        \
     ROLE_BIT(ROLE_ADMIN))
#define POLICY_EDITORS (ROLE_BIT(ROLE_POLICY_OFFICER) | ROLE_BIT(ROLE_ADMIN))
#define INTAKE_CHANNELS (ROLE_BIT(ROLE_ENTERPRISE) | ROLE_BIT(ROLE_CLERK) | ROLE_BIT(ROLE_SYSTEM))

/* Designated initializers keep the table readable and the fields explicit. */
#define ROUTE(m, p, r, f, s) {.method = (m), .pattern = (p), .roles = (r), .fn = (f), .summary = (s)}
#define OPEN311_OTHER(m, p)                                                                        \
    {.method = (m), .pattern = (p), .roles = HTTP_PUBLIC, .fn = api_open311_method}
#define UPLOAD(m, p, r, f, s, max)                                                                 \
    {.method = (m), .pattern = (p), .roles = (r), .fn = (f), .summary = (s), .max_body = (max)}

static const struct http_route routes[] = {
    ROUTE(HTTP_GET, "/healthz", HTTP_PUBLIC, api_healthz, "存活检查"),
    ROUTE(HTTP_GET, "/readyz", HTTP_PUBLIC, api_readyz, "就绪检查（数据库可达）"),
    ROUTE(HTTP_GET, "/metrics", HTTP_PUBLIC, api_metrics, "Prometheus 指标"),
    ROUTE(HTTP_GET, "/api/v1/openapi.json", HTTP_PUBLIC, api_openapi, "接口说明（OpenAPI 3）"),
    ROUTE(HTTP_POST, "/api/v1/session", HTTP_PUBLIC, api_session_create, "登录"),
    ROUTE(HTTP_DELETE, "/api/v1/session", HUMANS, api_session_delete, "退出登录"),
    ROUTE(HTTP_GET, "/api/v1/me", HTTP_ANY_USER, api_me, "当前用户"),
    ROUTE(HTTP_PUT, "/api/v1/me/password", HUMANS, api_me_password, "修改本人密码（须原密码）"),
    ROUTE(HTTP_GET, "/api/v1/orgs", OFFICIALS, api_orgs_list, "机构列表"),
    ROUTE(HTTP_POST, "/api/v1/orgs", ADMIN, api_orgs_create, "新建机构"),
    ROUTE(HTTP_GET, "/api/v1/orgs/{code}", OFFICIALS, api_orgs_get, "机构详情"),
    ROUTE(HTTP_GET, "/api/v1/users", ADMIN, api_users_list, "用户列表"),
    ROUTE(HTTP_POST, "/api/v1/users", ADMIN, api_users_create, "新建用户"),
    ROUTE(HTTP_POST, "/api/v1/users/{name}/actions", ADMIN, api_users_action,
     "重置密码、停用、启用用户（action: reset_password|disable|enable）"),
    ROUTE(HTTP_GET, "/api/v1/apikeys", ADMIN, api_apikeys_list, "API 密钥列表"),
    ROUTE(HTTP_DELETE, "/api/v1/apikeys/{id}", ADMIN, api_apikeys_revoke, "吊销 API 密钥"),
    ROUTE(HTTP_GET, "/api/v1/codes/regions", HTTP_PUBLIC, api_codes_regions, "行政区划（GB/T 2260）"),
    ROUTE(HTTP_GET, "/api/v1/codes/industries", HTTP_PUBLIC, api_codes_industries,
     "国民经济行业分类（GB/T 4754-2017）"),
    ROUTE(HTTP_GET, "/api/v1/codes/credit-codes/{code}", HTTP_PUBLIC, api_codes_credit_code,
     "校验统一社会信用代码"),
    ROUTE(HTTP_GET, "/api/v1/facts", HTTP_PUBLIC, api_facts_catalog, "事实目录与资质标签"),
    ROUTE(HTTP_GET, "/api/v1/enterprises", HUMANS, api_enterprises_list, "企业列表（按权限范围）"),
    ROUTE(HTTP_POST, "/api/v1/enterprises", REGISTRARS, api_enterprises_create, "登记企业"),
    UPLOAD(HTTP_POST, "/api/v1/enterprises:import", ADMIN, api_enterprises_import,
     "批量导入企业（CSV 或 JSON Lines，?skip_invalid=1&dry_run=1）", 256u << 20),
    ROUTE(HTTP_GET, "/api/v1/enterprises/{code}", HUMANS, api_enterprises_get, "企业档案"),
    ROUTE(HTTP_PATCH, "/api/v1/enterprises/{code}", REGISTRARS, api_enterprises_update, "修改企业信息"),
    ROUTE(HTTP_GET, "/api/v1/enterprises/{code}/facts", HUMANS, api_enterprise_facts_get,
     "企业事实数据（?history=1 含历史）"),
    ROUTE(HTTP_PUT, "/api/v1/enterprises/{code}/facts", HUMANS, api_enterprise_facts_put,
     "记录企业事实数据（企业为自主申报）"),
    ROUTE(HTTP_POST, "/api/v1/demands", INTAKE_CHANNELS, api_demands_create,
          "提交诉求（企业网上提交、窗口代录、热线/系统对接；支持 Idempotency-Key）"),
    UPLOAD(HTTP_POST, "/api/v1/demands:import", REGISTRARS, api_demands_import,
           "批量导入 12345 热线工单（CSV 或 JSON Lines，按工单编号幂等；?skip_invalid=1&dry_run=1）",
           16u << 20),
    ROUTE(HTTP_GET, "/api/v1/demands", HUMANS, api_demands_list,
          "诉求列表（按关系范围；?state=&light=&category=&q=）"),
    ROUTE(HTTP_GET, "/api/v1/demands/{id}", HUMANS, api_demands_get, "诉求详情（含红黄绿灯与可执行操作）"),
    ROUTE(HTTP_GET, "/api/v1/demands/{id}/actions", HUMANS, api_demand_actions_list,
          "当前用户可执行的操作"),
    ROUTE(HTTP_POST, "/api/v1/demands/{id}/actions", HUMANS, api_demand_act,
          "执行操作（受理、交办、签收、退单、延期、答复、评价、督办……）"),
    ROUTE(HTTP_GET, "/api/v1/demands/{id}/timeline", HUMANS, api_demand_timeline,
          "办理进程（企业看不到内部备注）"),
    ROUTE(HTTP_GET, "/api/v1/demands/{id}/duplicates", HUMANS, api_demand_duplicates,
          "疑似重复诉求（同一企业同类诉求、内容相似；?days=，受理窗口与督办人员）"),
    UPLOAD(HTTP_POST, "/api/v1/demands/{id}/attachments", HUMANS, api_demand_attach_upload,
           "上传附件（请求体即文件；?name=文件名（URL 编码）&internal=1；按内容识别类型）",
           DEMAND_ATTACH_MAX_BYTES_DEFAULT),
    ROUTE(HTTP_GET, "/api/v1/demands/{id}/attachments", HUMANS, api_demand_attach_list,
          "附件列表（企业看不到内部附件）"),
    ROUTE(HTTP_GET, "/api/v1/demands/{id}/attachments/{aid}", HUMANS, api_demand_attach_get,
          "下载附件"),
    ROUTE(HTTP_GET, "/api/v1/stats/demands", OVERSIGHT, api_stats_demands,
          "诉求办理统计（按主办机构与期间；?from=&to=&org=&format=csv）"),
    ROUTE(HTTP_GET, "/api/v1/stats/demand-lights", OVERSIGHT, api_stats_demand_lights,
          "在办诉求红黄绿灯统计（合计与按主办单位）"),
    ROUTE(HTTP_GET, "/api/v1/notices", HUMANS, api_notices_list, "待办通知"),
    ROUTE(HTTP_GET, "/api/v1/audit", OVERSIGHT, api_audit_list, "审计日志"),
    ROUTE(HTTP_GET, "/api/v1/calendar", HTTP_PUBLIC, api_calendar_get,
     "工作日历（?from=&to=，最多 366 天）"),
    ROUTE(HTTP_GET, "/api/v1/calendar/years", HTTP_PUBLIC, api_calendar_years,
     "日历覆盖年份与已录入的放假通知"),
    ROUTE(HTTP_GET, "/api/v1/calendar/deadline", HTTP_PUBLIC, api_calendar_deadline,
     "期限计算（?start=&days=|hours=|category=&urgency=）"),
    ROUTE(HTTP_PUT, "/api/v1/calendar/days/{date}", ADMIN, api_calendar_day_put, "调整某日安排"),
    ROUTE(HTTP_DELETE, "/api/v1/calendar/days/{date}", ADMIN, api_calendar_day_delete,
     "撤销对某日的调整"),
    ROUTE(HTTP_PUT, "/api/v1/calendar/years/{year}", ADMIN, api_calendar_year_put,
     "录入某年放假通知"),
    ROUTE(HTTP_GET, "/api/v1/categories", HTTP_PUBLIC, api_categories_list,
     "诉求类别树与办理时限（?all=1 含停用）"),
    ROUTE(HTTP_POST, "/api/v1/categories", ADMIN, api_categories_create, "新建诉求类别"),
    ROUTE(HTTP_GET, "/api/v1/categories/{code}", HTTP_PUBLIC, api_categories_get, "诉求类别详情"),
    ROUTE(HTTP_PATCH, "/api/v1/categories/{code}", ADMIN, api_categories_update, "修改诉求类别"),
    ROUTE(HTTP_GET, "/api/v1/categories/{code}/routes", ADMIN, api_category_routes_get,
     "派单目录"),
    ROUTE(HTTP_PUT, "/api/v1/categories/{code}/routes", ADMIN, api_category_routes_put,
     "设置派单目录（整体替换）"),
    /* Open311 GeoReport v2: the handlers check the api_key and answer errors in the spec's shape. */
    ROUTE(HTTP_GET, "/open311/v2/{doc}", HTTP_PUBLIC, api_open311_get,
          "Open311：discovery / services / requests（.json 或 .xml；读诉求需 api_key）"),
    ROUTE(HTTP_POST, "/open311/v2/{doc}", HTTP_PUBLIC, api_open311_post,
          "Open311：提交诉求 requests.{json,xml}（api_key，attribute[credit_code] 必填）"),
    ROUTE(HTTP_GET, "/open311/v2/services/{doc}", HTTP_PUBLIC, api_open311_service,
          "Open311：服务定义"),
    ROUTE(HTTP_GET, "/open311/v2/requests/{doc}", HTTP_PUBLIC, api_open311_request,
          "Open311：诉求详情"),
    ROUTE(HTTP_GET, "/open311/v2/tokens/{doc}", HTTP_PUBLIC, api_open311_token,
          "Open311：令牌查询（同步创建，令牌即诉求编号）"),
    /* Every other method and document under /open311/v2: the spec's 405 or 404 (not listed
     * in openapi.json: no summary). */
    OPEN311_OTHER(HTTP_PUT, "/open311/v2/{doc}"),
    OPEN311_OTHER(HTTP_PATCH, "/open311/v2/{doc}"),
    OPEN311_OTHER(HTTP_DELETE, "/open311/v2/{doc}"),
    OPEN311_OTHER(HTTP_OTHER, "/open311/v2/{doc}"),
    OPEN311_OTHER(HTTP_GET, "/open311/v2/{kind}/{doc}"),
    OPEN311_OTHER(HTTP_POST, "/open311/v2/{kind}/{doc}"),
    OPEN311_OTHER(HTTP_PUT, "/open311/v2/{kind}/{doc}"),
    OPEN311_OTHER(HTTP_PATCH, "/open311/v2/{kind}/{doc}"),
    OPEN311_OTHER(HTTP_DELETE, "/open311/v2/{kind}/{doc}"),
    OPEN311_OTHER(HTTP_OTHER, "/open311/v2/{kind}/{doc}"),
    /* 惠企政策超市: policies, named conditions, matching (api_policies.c). */
    ROUTE(HTTP_GET, "/api/v1/policies", HTTP_PUBLIC, api_policies_list,
          "政策超市列表（?q=&org=&delivery=&region=&tag=&category=&state=）"),
    ROUTE(HTTP_POST, "/api/v1/policies", POLICY_EDITORS, api_policies_create,
          "起草政策（发文单位政策专员）"),
    UPLOAD(HTTP_POST, "/api/v1/policies/match", HTTP_PUBLIC, api_policies_match,
           "政策计算器：按填写的企业信息匹配政策（无需登录，不保存）", 16u << 10),
    ROUTE(HTTP_GET, "/api/v1/policies/{id}", HTTP_PUBLIC, api_policies_get,
          "政策详情（享受条件、申兑指南；?version=）"),
    ROUTE(HTTP_PATCH, "/api/v1/policies/{id}", POLICY_EDITORS, api_policies_update,
          "修改政策草稿"),
    ROUTE(HTTP_POST, "/api/v1/policies/{id}/actions", POLICY_EDITORS, api_policy_act,
          "政策操作（validate 校验、publish 发布、withdraw 撤回、new_version 新建版本）"),
    ROUTE(HTTP_GET, "/api/v1/policies/{id}/versions", HTTP_PUBLIC, api_policy_versions,
          "政策版本（草稿仅发文单位可见）"),
    ROUTE(HTTP_GET, "/api/v1/policies/{id}/jsonlogic", HTTP_PUBLIC, api_policy_jsonlogic,
          "导出享受条件为 JsonLogic"),
    ROUTE(HTTP_GET, "/api/v1/conditions", POLICY_EDITORS, api_conditions_list, "命名条件"),
    ROUTE(HTTP_PUT, "/api/v1/conditions/{name}", POLICY_EDITORS, api_conditions_put,
          "设置命名条件（如 small_micro 小微企业）"),
    ROUTE(HTTP_GET, "/api/v1/enterprises/{code}/policies", HUMANS, api_enterprise_policies,
          "企业可享政策：每项政策的匹配结果、依据、预计金额与缺少的数据（?explain=full|compact|none）"),
    ROUTE(HTTP_GET, "/api/v1/policy-set", HTTP_PUBLIC, api_policy_set,
          "在施政策条件模板：与企业无关的部分，配合 explain=compact 的匹配结果（ETag 缓存）"),
    /* 免申即享 runs, grants (兑现), applications (即申即享/申报审批), policy statistics. */
    ROUTE(HTTP_POST, "/api/v1/policies/{id}/runs", ROLE_BIT(ROLE_POLICY_OFFICER),
          api_policy_runs_create, "发起免申即享匹配（发布部门政策专员；后台运行）"),
    ROUTE(HTTP_GET, "/api/v1/policies/{id}/runs", GRANT_READERS & ~ROLE_BIT(ROLE_ENTERPRISE),
          api_policy_runs_list, "免申即享匹配运行列表"),
    ROUTE(HTTP_GET, "/api/v1/policies/{id}/runs/{run}", GRANT_READERS & ~ROLE_BIT(ROLE_ENTERPRISE),
          api_policy_runs_get, "匹配运行进度与结果（总数/已完成、状态、汇总）"),
    ROUTE(HTTP_GET, "/api/v1/policies/{id}/application-form", GRANT_READERS, api_application_form,
          "申报表（由已有数据预填，列出缺少的数据；?credit_code=）"),
    ROUTE(HTTP_GET, "/api/v1/grants", GRANT_READERS, api_grants_list,
          "兑现记录（按权限范围；?policy_id=&state=&credit_code=&run_id=）"),
    ROUTE(HTTP_GET, "/api/v1/grants/{id}", GRANT_READERS, api_grants_get, "兑现记录详情"),
    ROUTE(HTTP_POST, "/api/v1/grants/{id}/actions", GRANT_READERS, api_grant_act,
          "兑现操作（告知 notify、确认 confirm、放弃 decline、拨付 pay）"),
    ROUTE(HTTP_POST, "/api/v1/applications", ROLE_BIT(ROLE_ENTERPRISE), api_applications_create,
          "申请政策（即申即享/申报审批；支持 Idempotency-Key）"),
    ROUTE(HTTP_GET, "/api/v1/applications", GRANT_READERS, api_applications_list,
          "政策申请（按权限范围；?policy_id=&state=&credit_code=）"),
    ROUTE(HTTP_GET, "/api/v1/applications/{id}", GRANT_READERS, api_applications_get, "申请详情"),
    ROUTE(HTTP_POST, "/api/v1/applications/{id}/actions", GRANT_READERS, api_application_act,
          "申请操作（approve、reject、request_info、resubmit、withdraw）"),
    ROUTE(HTTP_GET, "/api/v1/stats/policies", GRANT_READERS & ~ROLE_BIT(ROLE_ENTERPRISE),
          api_stats_policies, "政策兑现统计（按政策、部门、地区；?format=csv&by=policy|org|region）"),
    ROUTE(HTTP_GET, "/api/v1/policies/{id}/trial", POLICY_EDITORS, api_policy_trial,
          "试算：政策某版本（默认草稿）对某企业的匹配结果与依据（?credit_code=&version=；不保存）"),
};

const struct http_route *api_routes(size_t *n)
{
    *n = sizeof(routes) / sizeof(routes[0]);
    return routes;
}

struct http_route *api_routes_for(const struct app *app, size_t *n)
{
    *n = sizeof(routes) / sizeof(routes[0]);
    struct http_route *copy = xmalloc(sizeof(routes));
    memcpy(copy, routes, sizeof(routes));
    for (size_t i = 0; i < *n; i++)
        if (copy[i].fn == api_demand_attach_upload && app->max_attachment)
            copy[i].max_body = app->max_attachment;
    return copy;
}

struct app *api_app(struct http_req *req)
{
    return req->app;
}

const struct principal *api_who(struct http_req *req)
{
    return req->principal;
}

enum rc api_conn(struct http_req *req, struct conn **c, struct err *e)
{
    return store_acquire(api_app(req)->db, c, e);
}

enum rc api_authenticate(void *appv, struct http_req *req, struct err *e)
{
    struct app *app = appv;
    const char *authz = http_header(req, "Authorization");
    const char *apikey = http_header(req, "X-Api-Key");
    const char *cookie = http_cookie(req, "qifu_session");
    const char *token = NULL;
    bool via_cookie = false;
    /* Open311 takes the key as api_key too, and answers bad keys itself (spec error shape). */
    bool open311 = strncmp(req->path, "/open311/", 9) == 0;
    if (open311 && !apikey)
        apikey = api_open311_key(req);
    /* On Open311 the API key is the only credential: clients send Basic and other
     * Authorization headers that must not turn a public document into 401, and a
     * browser's session cookie is no key either. */
    if (open311)
        authz = cookie = NULL;
    if (authz) {
        if (strncasecmp(authz, "Bearer ", 7) != 0 || !authz[7])
            return err_set(e, RC_UNAUTHORIZED, NULL, "Authorization 头应为 Bearer 令牌");
        token = authz + 7;
    } else if (!apikey && cookie && *cookie) {
        token = cookie;
        via_cookie = true;
    }
    if (!token && !apikey)
        return RC_OK; /* anonymous; the router decides whether that is enough */
    struct principal *p = pool_alloc(&req->pool, sizeof(*p));
    enum rc rc;
    if (token) {
        rc = auth_session_cached(app->db, token, &req->pool, p, e);
    } else {
        struct conn *c;
        if ((rc = store_acquire(app->db, &c, e)) == RC_OK) {
            rc = auth_apikey(c, apikey, &req->pool, p, e);
            store_release(c);
        }
    }
    if (rc)
        return open311 ? RC_OK : rc;
    if (via_cookie && req->method != HTTP_GET && req->method != HTTP_HEAD) {
        const char *csrf = http_header(req, "X-CSRF-Token");
        if (!csrf || strlen(csrf) != strlen(p->csrf) ||
            sodium_memcmp(csrf, p->csrf, strlen(csrf)) != 0)
            return err_set(e, RC_CSRF, NULL, "缺少或错误的 X-CSRF-Token 请求头");
    }
    req->principal = p;
    enum role builtin = auth_role_builtin(p->role);
    req->role_bit = builtin < ROLE__COUNT ? ROLE_BIT(builtin) : 0;
    req->user_label = p->actor.name;
    return RC_OK;
}

const char *api_cursor_encode(struct http_req *req, const char *text)
{
    size_t n = strlen(text);
    size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = pool_alloc(&req->pool, cap);
    sodium_bin2base64(out, cap, (const unsigned char *)text, n,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

enum rc api_cursor(struct http_req *req, const char **text, struct err *e)
{
    const char *c = http_query(req, "cursor");
    *text = NULL;
    if (!c || !*c)
        return RC_OK;
    size_t n = strlen(c);
    if (n > 512)
        return err_set(e, RC_INVALID, "cursor", "cursor 无效");
    unsigned char *out = pool_alloc(&req->pool, n + 1);
    size_t len = 0;
    if (sodium_base642bin(out, n, c, n, NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        memchr(out, '\0', len))
        return err_set(e, RC_INVALID, "cursor", "cursor 无效");
    out[len] = '\0';
    *text = (const char *)out;
    return RC_OK;
}

json_t *api_page(struct http_req *req, json_t *items, int limit, const char *key)
{
    /* The cursor is the key of the last item, when the page is full (there may be more). */
    size_t n = json_array_size(items);
    json_t *last = n == (size_t)limit ? json_object_get(json_array_get(items, n - 1), key) : NULL;
    char num[24];
    const char *text = json_string_value(last);
    if (json_is_integer(last)) {
        snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(last));
        text = num;
    }
    json_t *cursor = text ? json_string(api_cursor_encode(req, text)) : json_null();
    return json_pack("{s:o, s:o}", "items", items, "next_cursor", cursor);
}
