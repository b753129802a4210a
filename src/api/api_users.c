/* SPDX-License-Identifier: Apache-2.0 */
/* api_users: user administration (admins only, declared in api.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../auth/auth.h"
#include "../base/jsonx.h"
#include "../base/mem.h"
#include "../store/store.h"
#include "api.h"
#include "api_int.h"

static enum rc api_users_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int limit;
    const char *after;
    enum rc rc = http_limit(req, API_DEFAULT_LIMIT, API_MAX_LIMIT, &limit, e);
    if (rc == RC_OK)
        rc = api_cursor(req, &after, e);
    if (rc)
        return rc;
    char *end = NULL;
    long long after_id = after ? strtoll(after, &end, 10) : 0;
    if (after && (*end || after_id < 0))
        return err_set(e, RC_INVALID, "cursor", "cursor 无效");
    struct conn *c;
    if ((rc = api_conn(req, &c, e)))
        return rc;
    json_t *items;
    rc = auth_user_list(c, NULL, after_id, limit, &items, e);
    store_release(c);
    if (rc)
        return rc;
    return http_reply(resp, 200, api_page(req, items, limit, "id"));
}

static enum rc api_users_create(struct http_req *req, struct http_resp *resp, struct err *e)
{
    static const char *const fields[] = {"username", "display_name", "password", "role",
                                         "org",      "credit_code",  NULL};
    json_t *body;
    struct auth_user_new u = {0};
    enum rc rc = http_json_body(req, &body, e);
    if (rc == RC_OK)
        rc = jsonx_only(body, fields, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "username", true, 32, &u.username, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "display_name", false, 32, &u.display_name, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "password", true, 128, &u.password, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "role", true, 32, &u.role, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "org", false, 32, &u.org_code, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "credit_code", false, 18, &u.credit_code, e);
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_conn(req, &c, e)))
        return rc;
    int64_t id;
    char *label = NULL;
    unsigned perms;
    rc = auth_user_create(c, &api_who(req)->actor, &u, &id, e);
    if (rc == RC_OK)
        rc = access_role_get(c, u.role, &perms, &label, e);
    store_release(c);
    if (rc)
        return rc;
    char sid[24];
    snprintf(sid, sizeof(sid), "%lld", (long long)id);
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", sid, "username", u.username,
                          "display_name", u.display_name ? u.display_name : u.username, "role",
                          u.role, "role_label", label);
    xfree(label);
    json_object_set_new(j, "org", u.org_code ? json_string(u.org_code) : json_null());
    json_object_set_new(j, "credit_code", u.credit_code ? json_string(u.credit_code) : json_null());
    return http_reply(resp, 201, j);
}

/* POST /users/{name}/actions {action, password}: password only for reset_password. */
static enum rc api_users_action(struct http_req *req, struct http_resp *resp, struct err *e)
{
    static const char *const fields[] = {"action", "password", NULL};
    json_t *body;
    const char *action = NULL, *password = NULL;
    enum auth_action a = AUTH_ENABLE;
    enum rc rc = http_json_body(req, &body, e);
    if (rc == RC_OK)
        rc = jsonx_only(body, fields, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "action", true, 32, &action, e);
    if (rc == RC_OK && !auth_action_parse(action, &a))
        rc = err_set(e, RC_INVALID, "action", "action 应为 reset_password、disable 或 enable");
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "password", false, 256, &password, e);
    if (rc == RC_OK && password && a != AUTH_RESET_PASSWORD)
        rc = err_set(e, RC_INVALID, "password", "只有 reset_password 需要 password");
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_conn(req, &c, e)))
        return rc;
    const struct principal *p = api_who(req);
    rc = auth_user_action(c, &p->actor, p->user_id, req->params[0], a, password, e);
    store_release(c);
    if (rc)
        return rc;
    resp->status = 204;
    return RC_OK;
}

static enum rc api_apikeys_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct conn *c;
    enum rc rc = api_conn(req, &c, e);
    if (rc)
        return rc;
    json_t *items;
    rc = auth_apikey_list(c, NULL, &items, e);
    store_release(c);
    if (rc)
        return rc;
    return http_reply(resp, 200, json_pack("{s:o}", "items", items));
}

static enum rc api_apikeys_revoke(struct http_req *req, struct http_resp *resp, struct err *e)
{
    char *end = NULL;
    long long id = strtoll(req->params[0], &end, 10);
    if (!*req->params[0] || *end || id <= 0)
        return err_set(e, RC_NOTFOUND, NULL, "API 密钥 %s 不存在", req->params[0]);
    struct conn *c;
    enum rc rc = api_conn(req, &c, e);
    if (rc)
        return rc;
    rc = auth_apikey_revoke(c, &api_who(req)->actor, NULL, id, e);
    store_release(c);
    if (rc)
        return rc;
    resp->status = 204;
    return RC_OK;
}

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). */
const struct http_route api_users_routes[] = {
    ROUTE(HTTP_GET, "/api/v1/users", PERM(USER_ADMIN), api_users_list, "用户列表"),
    ROUTE(HTTP_POST, "/api/v1/users", PERM(USER_ADMIN), api_users_create, "新建用户"),
    ROUTE(HTTP_POST, "/api/v1/users/{name}/actions", PERM(USER_ADMIN), api_users_action,
          "重置密码、停用、启用用户（action: reset_password|disable|enable）"),
    ROUTE(HTTP_GET, "/api/v1/apikeys", PERM(USER_ADMIN), api_apikeys_list, "API 密钥列表"),
    ROUTE(HTTP_DELETE, "/api/v1/apikeys/{id}", PERM(USER_ADMIN), api_apikeys_revoke,
          "吊销 API 密钥"),
};
const size_t api_users_n_routes = sizeof(api_users_routes) / sizeof(api_users_routes[0]);
