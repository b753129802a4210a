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
#include "api_kit.h"

static enum rc api_users_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct api_list l;
    enum rc rc = api_list_id(req, &l, e);
    if (rc)
        return rc;
    int limit = l.limit;
    long long after_id = l.after_id;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    json_t *items;
    rc = auth_user_list(c, NULL, after_id, limit, &items, e);
    if (rc)
        return rc;
    return http_reply(resp, 200, api_page(req, items, limit, "id"));
}

static enum rc api_users_create(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct user_body {
        struct auth_user_new u;
        const char *role;
    } b = {0};
    static const struct api_field fields[] = {
        API_FIELD_STR("username", struct user_body, u.username, true, 32),
        API_FIELD_STR("display_name", struct user_body, u.display_name, false, 32),
        API_FIELD_STR("password", struct user_body, u.password, true, 128),
        API_FIELD_STR("role", struct user_body, role, true, 32),
        API_FIELD_STR("org", struct user_body, u.org_code, false, 32),
        API_FIELD_STR("credit_code", struct user_body, u.credit_code, false, 18),
    };
    enum rc rc = api_body(req, fields, sizeof(fields) / sizeof(fields[0]), &b, NULL, e);
    b.u.role = b.role; /* checked against the roles table by auth_user_create */
    if (rc)
        return rc;
    struct auth_user_new u = b.u;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    int64_t id;
    char *label = NULL;
    unsigned perms;
    rc = auth_user_create(c, &api_who(req)->actor, &u, &id, e);
    if (rc == RC_OK)
        rc = access_role_get(c, u.role, &perms, &label, e);
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

/* PATCH /users/{name} {display_name, role, org, credit_code}: each optional. */
static enum rc api_users_update(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct auth_user_edit u = {0};
    static const struct api_field fields[] = {
        API_FIELD_STR("display_name", struct auth_user_edit, display_name, false, 32),
        API_FIELD_STR("role", struct auth_user_edit, role, false, 32),
        API_FIELD_STR("org", struct auth_user_edit, org_code, false, 32),
        API_FIELD_STR("credit_code", struct auth_user_edit, credit_code, false, 18),
    };
    enum rc rc = api_body(req, fields, sizeof(fields) / sizeof(fields[0]), &u, NULL, e);
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    const struct principal *p = api_who(req);
    json_t *j = NULL;
    rc = auth_user_update(c, &p->actor, p->user_id, req->params[0], &u, &j, e);
    return rc ? rc : http_reply(resp, 200, j);
}

/* POST /users/{name}/actions {action, password}: password only for reset_password. */
static enum rc api_users_action(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct action_body {
        const char *action, *password;
    } b = {0};
    static const struct api_field fields[] = {
        API_FIELD_STR("action", struct action_body, action, true, 32),
        API_FIELD_STR("password", struct action_body, password, false, 256),
    };
    enum auth_action a = AUTH_ENABLE;
    enum rc rc = api_body(req, fields, sizeof(fields) / sizeof(fields[0]), &b, NULL, e);
    if (rc == RC_OK && !auth_action_parse(b.action, &a))
        rc = err_set(e, RC_INVALID, "action", "action 应为 reset_password、disable 或 enable");
    const char *password = b.password;
    if (rc == RC_OK && password && a != AUTH_RESET_PASSWORD)
        rc = err_set(e, RC_INVALID, "password", "只有 reset_password 需要 password");
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    const struct principal *p = api_who(req);
    rc = auth_user_action(c, &p->actor, p->user_id, req->params[0], a, password, e);
    if (rc)
        return rc;
    resp->status = 204;
    return RC_OK;
}

static enum rc api_apikeys_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct conn *c;
    enum rc rc = api_db(req, &c, e);
    if (rc)
        return rc;
    json_t *items;
    rc = auth_apikey_list(c, NULL, &items, e);
    if (rc)
        return rc;
    return http_reply(resp, 200, json_pack("{s:o}", "items", items));
}

/* POST /apikeys {name, org}: the key is in the answer once, never again. */
static enum rc api_apikeys_create(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct key_body {
        const char *name, *org;
    } b = {0};
    static const struct api_field fields[] = {
        API_FIELD_STR("name", struct key_body, name, true, 64),
        API_FIELD_STR("org", struct key_body, org, true, 32),
    };
    enum rc rc = api_body(req, fields, sizeof(fields) / sizeof(fields[0]), &b, NULL, e);
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    char key[64];
    rc = auth_apikey_create(c, &api_who(req)->actor, b.name, b.org, key, e);
    if (rc)
        return rc;
    json_t *j = json_pack("{s:s, s:s, s:s, s:s%}", "name", b.name, "org", b.org, "key", key,
                          "prefix", key, (size_t)10);
    memset(key, 0, sizeof(key));
    return http_reply(resp, 201, j);
}

static enum rc api_apikeys_revoke(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t id;
    enum rc rc = api_path_id(req, 0, "API 密钥", &id, e);
    if (rc)
        return rc;
    struct conn *c;
    rc = api_db(req, &c, e);
    if (rc)
        return rc;
    rc = auth_apikey_revoke(c, &api_who(req)->actor, NULL, id, e);
    if (rc)
        return rc;
    resp->status = 204;
    return RC_OK;
}

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). */
const struct http_route api_users_routes[] = {
    ROUTE(HTTP_GET, "/api/v1/users", PERM(USER_ADMIN), api_users_list, "用户列表"),
    ROUTE(HTTP_POST, "/api/v1/users", PERM(USER_ADMIN), api_users_create, "新建用户"),
    ROUTE(HTTP_PATCH, "/api/v1/users/{name}", PERM(USER_ADMIN), api_users_update,
          "修改用户姓名、角色与所属单位（或企业）"),
    ROUTE(HTTP_POST, "/api/v1/users/{name}/actions", PERM(USER_ADMIN), api_users_action,
          "重置密码、停用、启用用户（action: reset_password|disable|enable）"),
    ROUTE(HTTP_GET, "/api/v1/apikeys", PERM(USER_ADMIN), api_apikeys_list, "API 密钥列表"),
    ROUTE(HTTP_POST, "/api/v1/apikeys", PERM(USER_ADMIN), api_apikeys_create,
          "新建 API 密钥（密钥只在本次应答中出现）"),
    ROUTE(HTTP_DELETE, "/api/v1/apikeys/{id}", PERM(USER_ADMIN), api_apikeys_revoke,
          "吊销 API 密钥"),
};
const size_t api_users_n_routes = sizeof(api_users_routes) / sizeof(api_users_routes[0]);
