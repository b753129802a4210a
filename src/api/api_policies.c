/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_policies: 惠企政策超市 — the public list and details of policies, drafting and
 * publishing by policy officers, named conditions, and matching (an enterprise's
 * stored facts, or a visitor's typed facts with nothing stored). src/policy decides
 * visibility and permissions; this file turns HTTP into those calls.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../auth/auth.h"
#include "../base/jsonx.h"
#include "../base/timeutil.h"
#include "../policy/policy.h"
#include "../store/store.h"
#include "api.h"
#include "api_int.h"
#include "api_kit.h"

/* Parses the {id} of the path; anything but a positive integer names no policy. */
static enum rc path_id(struct http_req *req, int64_t *id, struct err *e)
{
    return api_path_id(req, 0, "政策", id, e);
}

static enum rc api_policies_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct policy_filter f = {0};
    struct api_list l;
    enum rc rc = api_list_id(req, &l, e);
    if (rc)
        return rc;
    f.limit = l.limit;
    f.after_id = l.after_id;
    f.q = http_query(req, "q");
    f.org = http_query(req, "org");
    f.delivery = http_query(req, "delivery");
    f.region = http_query(req, "region");
    f.tag = http_query(req, "tag");
    f.category = http_query(req, "category");
    f.state = http_query(req, "state");
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    json_t *items;
    rc = policy_list(c, api_who(req), &f, &items, e);
    if (rc)
        return rc;
    return http_reply(resp, 200, api_page(req, items, f.limit, "id"));
}

static enum rc api_policies_get(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t id;
    enum rc rc = path_id(req, &id, e);
    if (rc)
        return rc;
    int64_t version = 0;
    if ((rc = api_query_int(req, "version", 1, 100000, &version, e)))
        return rc;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    json_t *j;
    rc = policy_get(c, api_app(req)->policies, api_who(req), id, (int)version, &j, e);
    return rc ? rc : http_reply(resp, 200, j);
}

static enum rc api_policies_create(struct http_req *req, struct http_resp *resp, struct err *e)
{
    json_t *body;
    enum rc rc = http_json_body(req, &body, e);
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    int64_t id = 0;
    json_t *j = NULL;
    struct policy_holder *h = api_app(req)->policies;
    rc = policy_create(c, h, api_who(req), body, &id, e);
    if (rc == RC_OK)
        rc = policy_get(c, h, api_who(req), id, 0, &j, e);
    return rc ? rc : http_reply(resp, 201, j);
}

static enum rc api_policies_update(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t id;
    json_t *body;
    enum rc rc = path_id(req, &id, e);
    if (rc == RC_OK)
        rc = http_json_body(req, &body, e);
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    json_t *j = NULL;
    struct policy_holder *h = api_app(req)->policies;
    rc = policy_update(c, h, api_who(req), id, body, e);
    if (rc == RC_OK)
        rc = policy_get(c, h, api_who(req), id, -1, &j, e);
    return rc ? rc : http_reply(resp, 200, j);
}

static enum rc api_policy_act(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t id;
    json_t *body;
    enum rc rc = path_id(req, &id, e);
    if (rc == RC_OK)
        rc = http_json_body(req, &body, e);
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    json_t *j = NULL;
    rc = policy_act(c, api_app(req)->policies, api_who(req), id, body, &j, e);
    return rc ? rc : http_reply(resp, 200, j);
}

static enum rc api_policy_actions_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t id;
    enum rc rc = path_id(req, &id, e);
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    json_t *items = NULL;
    rc = policy_actions(c, api_who(req), id, &items, e);
    return rc ? rc : http_reply(resp, 200, json_pack("{s:o}", "items", items));
}

static enum rc api_policy_versions(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t id;
    enum rc rc = path_id(req, &id, e);
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    json_t *items;
    rc = policy_versions(c, api_who(req), id, &items, e);
    return rc ? rc : http_reply(resp, 200, json_pack("{s:o}", "items", items));
}

static enum rc api_policy_jsonlogic(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t id;
    enum rc rc = path_id(req, &id, e);
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    json_t *j;
    rc = policy_jsonlogic(c, api_app(req)->policies, api_who(req), id, &j, e);
    return rc ? rc : http_reply(resp, 200, j);
}

static enum rc api_conditions_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct conn *c;
    enum rc rc = api_db(req, &c, e);
    if (rc)
        return rc;
    json_t *items;
    rc = policy_conditions_list(c, &items, e);
    return rc ? rc : http_reply(resp, 200, json_pack("{s:o}", "items", items));
}

static enum rc api_conditions_put(struct http_req *req, struct http_resp *resp, struct err *e)
{
    json_t *body;
    enum rc rc = http_json_body(req, &body, e);
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    json_t *j;
    rc = policy_condition_put(c, api_app(req)->policies, &api_who(req)->actor, api_who(req),
                              req->params[0], body, &j, e);
    return rc ? rc : http_reply(resp, 200, j);
}

/* ?explain= / "explain": full (the default), compact or none. */
static enum rc explain_param(const char *v, enum policy_explain *how, struct err *e)
{
    if (!v || strcmp(v, "full") == 0)
        *how = POLICY_EXPLAIN_FULL;
    else if (strcmp(v, "compact") == 0)
        *how = POLICY_EXPLAIN_COMPACT;
    else if (strcmp(v, "none") == 0)
        *how = POLICY_EXPLAIN_NONE;
    else
        return err_set(e, RC_INVALID, "explain", "explain 应为 full、compact 或 none");
    return RC_OK;
}

static enum rc api_enterprise_policies(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct conn *c;
    enum rc rc = api_db(req, &c, e);
    if (rc)
        return rc;
    enum policy_explain how;
    if ((rc = explain_param(http_query(req, "explain"), &how, e)))
        return rc;
    rc = policy_match_enterprise(c, api_app(req)->policies, api_who(req), req->params[0], how,
                                 &resp->body, e);
    if (rc)
        return rc;
    resp->content_type = "application/json; charset=utf-8";
    return RC_OK;
}

/* ---- the public "what if": a per-address rate limit --------------------------------- */

/* Requests per client address and minute; the route caps the body (16 KiB). */
#define MATCH_PER_MINUTE 60
#define MATCH_SLOTS 256

struct match_slot {
    char ip[48];
    int64_t window; /* minute number */
    int count;
};

static struct {
    pthread_mutex_t mu;
    struct match_slot slot[MATCH_SLOTS];
} limiter = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* Counts one request of ip; false when it is over the limit for this minute. */
static bool match_allowed(const char *ip)
{
    uint32_t hash = 2166136261u;
    for (const char *p = ip; *p; p++)
        hash = (hash ^ (unsigned char)*p) * 16777619u;
    int64_t minute = time_now_ms() / 60000;
    pthread_mutex_lock(&limiter.mu);
    struct match_slot *s = &limiter.slot[hash % MATCH_SLOTS];
    if (strcmp(s->ip, ip) != 0 || s->window != minute) {
        snprintf(s->ip, sizeof(s->ip), "%s", ip);
        s->window = minute;
        s->count = 0;
    }
    bool ok = ++s->count <= MATCH_PER_MINUTE;
    pthread_mutex_unlock(&limiter.mu);
    return ok;
}

static enum rc api_policies_match(struct http_req *req, struct http_resp *resp, struct err *e)
{
    static const char *const members[] = {"facts", "explain", NULL};
    const char *ip = http_client_ip(req);
    if (!match_allowed(ip ? ip : "")) {
        http_resp_header(req, resp, "Retry-After", "60");
        return err_set(e, RC_RATELIMIT, NULL, "查询过于频繁，请一分钟后再试");
    }
    json_t *body;
    enum policy_explain how = POLICY_EXPLAIN_FULL;
    enum rc rc = http_json_body(req, &body, e);
    if (rc == RC_OK)
        rc = jsonx_only(body, members, e);
    const json_t *ex = rc == RC_OK ? json_object_get(body, "explain") : NULL;
    if (json_is_boolean(ex))
        how = json_is_true(ex) ? POLICY_EXPLAIN_FULL : POLICY_EXPLAIN_NONE;
    else if (json_is_string(ex))
        rc = explain_param(json_string_value(ex), &how, e);
    else if (ex && !json_is_null(ex))
        rc = err_set(e, RC_INVALID, "explain", "explain 应为 true、false 或 \"compact\"");
    if (rc)
        return rc;
    rc = policy_match_facts(api_app(req)->policies, json_object_get(body, "facts"), how,
                            &resp->body, e);
    if (rc)
        return rc;
    resp->content_type = "application/json; charset=utf-8";
    return RC_OK;
}

/* GET /api/v1/policy-set: the part of every match answer that is the same for everyone,
 * fetched once per set (ETag = set key; answers name theirs in set_key). */
static enum rc api_policy_set(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct conn *c;
    enum rc rc = api_db(req, &c, e);
    if (rc)
        return rc;
    char key[32];
    policy_match_set_key(c, api_app(req)->policies, key);
    const char *etag = pool_printf(&req->pool, "\"ps-%s\"", key);
    const char *inm = http_header(req, "If-None-Match");
    http_resp_header(req, resp, "Cache-Control", "no-cache");
    if (inm && strstr(inm, etag)) {
        http_resp_header(req, resp, "ETag", etag);
        resp->status = 304;
        return RC_OK;
    }
    rc = policy_match_template(c, api_app(req)->policies, key, &resp->body, e);
    if (rc)
        return rc;
    /* The set may have moved on between the two looks: name what was written. */
    http_resp_header(req, resp, "ETag", pool_printf(&req->pool, "\"ps-%s\"", key));
    resp->content_type = "application/json; charset=utf-8";
    return RC_OK;
}

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). */
const struct http_route api_policies_routes[] = {
    /* 惠企政策超市: policies, named conditions, matching (api_policies.c). */
    ROUTE_READ(HTTP_GET, "/api/v1/policies", HTTP_PUBLIC, api_policies_list,
               "政策超市列表（?q=&org=&delivery=&region=&tag=&category=&state=）"),
    ROUTE(HTTP_POST, "/api/v1/policies", PERM(POLICY_WRITE), api_policies_create,
          "起草政策（发文单位政策专员）"),
    UPLOAD(HTTP_POST, "/api/v1/policies/match", HTTP_PUBLIC, api_policies_match,
           "政策计算器：按填写的企业信息匹配政策（无需登录，不保存）", 16u << 10),
    ROUTE_READ(HTTP_GET, "/api/v1/policies/{id}", HTTP_PUBLIC, api_policies_get,
               "政策详情（享受条件、申兑指南；?version=）"),
    ROUTE(HTTP_PATCH, "/api/v1/policies/{id}", PERM(POLICY_WRITE), api_policies_update,
          "修改政策草稿"),
    ROUTE(HTTP_GET, "/api/v1/policies/{id}/actions", HTTP_PUBLIC, api_policy_actions_list,
          "当前可执行的政策操作（发文单位的政策专员、管理员）"),
    ROUTE(HTTP_POST, "/api/v1/policies/{id}/actions", PERM(POLICY_WRITE), api_policy_act,
          "政策操作（validate 校验、publish 发布、withdraw 撤回、new_version 新建版本）"),
    ROUTE_READ(HTTP_GET, "/api/v1/policies/{id}/versions", HTTP_PUBLIC, api_policy_versions,
               "政策版本（草稿仅发文单位可见）"),
    ROUTE(HTTP_GET, "/api/v1/policies/{id}/jsonlogic", HTTP_PUBLIC, api_policy_jsonlogic,
          "导出享受条件为 JsonLogic"),
    ROUTE(HTTP_GET, "/api/v1/conditions", PERM(POLICY_WRITE), api_conditions_list, "命名条件"),
    ROUTE(HTTP_PUT, "/api/v1/conditions/{name}", PERM(POLICY_WRITE), api_conditions_put,
          "设置命名条件（如 small_micro 小微企业）"),
    ROUTE(HTTP_GET, "/api/v1/enterprises/{code}/policies", PERM(ENT_READ), api_enterprise_policies,
          "企业可享政策：每项政策的匹配结果、依据、预计金额与缺少的数据（?explain=full|compact|"
          "none）"),
    ROUTE(HTTP_GET, "/api/v1/policy-set", HTTP_PUBLIC, api_policy_set,
          "在施政策条件模板：与企业无关的部分，配合 explain=compact 的匹配结果（ETag 缓存）"),
};
const size_t api_policies_n_routes = sizeof(api_policies_routes) / sizeof(api_policies_routes[0]);
