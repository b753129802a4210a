/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_roles: the roles (data, src/access) with their labels and permissions, for the
 * web UI's role names and the account form; and adding a role (user.admin).
 */
#include <stdio.h>
#include <string.h>

#include "../access/access.h"
#include "../base/jsonx.h"
#include "../base/mem.h"
#include "../store/store.h"
#include "api_int.h"

/* GET /api/v1/roles: any signed-in principal. */
static enum rc api_roles_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct conn *c;
    enum rc rc = api_db(req, &c, e);
    if (rc)
        return rc;
    json_t *items = NULL;
    rc = access_role_list(c, &items, e);
    if (rc)
        return rc;
    json_t *perms = json_array();
    for (int i = 0; i < ACCESS__N_PERMS; i++)
        json_array_append_new(perms,
                              json_pack("{s:s, s:s}", "name", access_perm_name((enum access_perm)i),
                                        "label", access_perm_label((enum access_perm)i)));
    return http_reply(resp, 200, json_pack("{s:o, s:o}", "items", items, "permissions", perms));
}

/* Joins the JSON array of permission names at body's "permissions" into names (n bytes);
 * *given false when absent and !required. */
static enum rc perm_list(const json_t *body, bool required, char *names, size_t n, bool *given,
                         struct err *e)
{
    json_t *list = json_object_get(body, "permissions");
    *given = list != NULL;
    names[0] = '\0';
    if (!list && !required)
        return RC_OK;
    if (!json_is_array(list))
        return err_set(e, RC_INVALID, "permissions", "permissions 应为权限名数组");
    size_t used = 0, i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *name = json_string_value(v);
        if (!name || strlen(name) + used + 2 > n)
            return err_set(e, RC_INVALID, "permissions", "permissions 应为权限名数组");
        used += (size_t)snprintf(names + used, n - used, "%s ", name);
    }
    return RC_OK;
}

/* Answers the role name as GET /roles lists it. */
static enum rc reply_role(struct http_req *req, struct http_resp *resp, struct conn *c,
                          const char *name, int status, struct err *e)
{
    unsigned bits = 0;
    char *label = NULL;
    enum rc rc = access_role_get(c, name, &bits, &label, e);
    if (rc)
        return rc;
    json_t *j = json_pack("{s:s, s:s, s:o}", "name", name, "label", label, "permissions",
                          access_perms_json(bits));
    xfree(label);
    (void)req;
    return http_reply(resp, status, j);
}

/* POST /api/v1/roles {name, label, permissions: [...]}: a new role, no rebuild. */
static enum rc api_roles_create(struct http_req *req, struct http_resp *resp, struct err *e)
{
    static const char *const fields[] = {"name", "label", "permissions", NULL};
    json_t *body;
    const char *name = NULL, *label = NULL;
    char names[1024];
    bool given;
    enum rc rc = http_json_body(req, &body, e);
    if (rc == RC_OK)
        rc = jsonx_only(body, fields, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "name", true, 32, &name, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "label", true, 64, &label, e);
    if (rc == RC_OK)
        rc = perm_list(body, true, names, sizeof(names), &given, e);
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    rc = access_role_create(c, &api_who(req)->actor, name, label, names, e);
    if (rc)
        return rc;
    return reply_role(req, resp, c, name, 201, e);
}

/* PATCH /api/v1/roles/{name} {label?, permissions?}: takes effect for the next request. */
static enum rc api_roles_update(struct http_req *req, struct http_resp *resp, struct err *e)
{
    static const char *const fields[] = {"label", "permissions", NULL};
    json_t *body;
    const char *label = NULL;
    char names[1024];
    bool given = false;
    enum rc rc = http_json_body(req, &body, e);
    if (rc == RC_OK)
        rc = jsonx_only(body, fields, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "label", false, 64, &label, e);
    if (rc == RC_OK)
        rc = perm_list(body, false, names, sizeof(names), &given, e);
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    rc =
        access_role_update(c, &api_who(req)->actor, req->params[0], label, given ? names : NULL, e);
    if (rc)
        return rc;
    return reply_role(req, resp, c, req->params[0], 200, e);
}

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). */
const struct http_route api_roles_routes[] = {
    ROUTE(HTTP_GET, "/api/v1/roles", HTTP_ANY_USER, api_roles_list, "角色（名称、中文名称与权限）"),
    ROUTE(HTTP_POST, "/api/v1/roles", PERM(USER_ADMIN), api_roles_create,
          "新建角色（name、label、permissions；无需改表）"),
    ROUTE(HTTP_PATCH, "/api/v1/roles/{name}", PERM(USER_ADMIN), api_roles_update,
          "修改角色的中文名称或权限（下一个请求起生效）"),
};
const size_t api_roles_n_routes = sizeof(api_roles_routes) / sizeof(api_roles_routes[0]);
