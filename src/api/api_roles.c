/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_roles: the roles (data, src/access) with their labels and permissions, for the
 * web UI's role names and the account form; and adding a role (user.admin).
 */
#include <stdio.h>
#include <string.h>

#include "../access/access.h"
#include "../base/jsonx.h"
#include "../store/store.h"
#include "api.h"

/* GET /api/v1/roles: any signed-in principal. */
enum rc api_roles_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct conn *c;
    enum rc rc = api_conn(req, &c, e);
    if (rc)
        return rc;
    json_t *items = NULL;
    rc = access_role_list(c, &items, e);
    store_release(c);
    if (rc)
        return rc;
    json_t *perms = json_array();
    for (int i = 0; i < ACCESS__N_PERMS; i++)
        json_array_append_new(perms,
                              json_pack("{s:s, s:s}", "name", access_perm_name((enum access_perm)i),
                                        "label", access_perm_label((enum access_perm)i)));
    return http_reply(resp, 200, json_pack("{s:o, s:o}", "items", items, "permissions", perms));
}

/* POST /api/v1/roles {name, label, permissions: [...]}: a new role, no rebuild. */
enum rc api_roles_create(struct http_req *req, struct http_resp *resp, struct err *e)
{
    static const char *const fields[] = {"name", "label", "permissions", NULL};
    json_t *body;
    const char *name = NULL, *label = NULL;
    enum rc rc = http_json_body(req, &body, e);
    if (rc == RC_OK)
        rc = jsonx_only(body, fields, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "name", true, 32, &name, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "label", true, 64, &label, e);
    json_t *list = json_object_get(body, "permissions");
    if (rc == RC_OK && !json_is_array(list))
        rc = err_set(e, RC_INVALID, "permissions", "permissions 应为权限名数组");
    char names[1024] = "";
    size_t used = 0, i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        if (rc)
            break;
        const char *n = json_string_value(v);
        if (!n || strlen(n) + used + 2 > sizeof(names)) {
            rc = err_set(e, RC_INVALID, "permissions", "permissions 应为权限名数组");
            break;
        }
        used += (size_t)snprintf(names + used, sizeof(names) - used, "%s ", n);
    }
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_conn(req, &c, e)))
        return rc;
    rc = access_role_create(c, &api_who(req)->actor, name, label, names, e);
    unsigned bits = 0;
    if (rc == RC_OK)
        rc = access_role_get(c, name, &bits, NULL, e);
    store_release(c);
    if (rc)
        return rc;
    return http_reply(resp, 201,
                      json_pack("{s:s, s:s, s:o, s:b}", "name", name, "label", label, "permissions",
                                access_perms_json(bits), "builtin", 0));
}
