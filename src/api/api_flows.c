/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_flows: the registry of the domains' workflows (src/flow) and what it serves:
 * GET /api/v1/labels (the labels of roles, and of each workflow's states, actions and
 * events, so the web UI copies none of them) and, for api_notices, who may read the
 * record a notice is about. A new domain adds its flow to API_FLOWS (api_int.h).
 */
#include <string.h>

#include "../auth/auth.h"
#include "../catalog/catalog.h"
#include "../flow/flow.h"
#include "../store/store.h"
#include "api_int.h"

/* The flows of API_FLOWS (api_int.h), declared here as their domains define them. */
#define API_FLOW_DECLARE(name) extern const struct flow name;
#define API_FLOW_ADDRESS(name) &name,
API_FLOWS(API_FLOW_DECLARE)
static const struct flow *const flows[] = {API_FLOWS(API_FLOW_ADDRESS)};

const struct flow *api_flow_of(const char *entity)
{
    for (size_t i = 0; entity && i < sizeof(flows) / sizeof(flows[0]); i++)
        if (strcmp(flows[i]->entity, entity) == 0)
            return flows[i];
    return NULL;
}

static enum rc api_labels(struct http_req *req, struct http_resp *resp, struct err *e)
{
    /* The roles' labels come from the roles table (src/access: roles are data). */
    struct conn *c;
    json_t *list = NULL;
    enum rc rc = api_db(req, &c, e);
    if (rc)
        return rc;
    rc = access_role_list(c, &list, e);
    if (rc)
        return rc;
    json_t *roles = json_object();
    for (size_t k = 0; k < json_array_size(list); k++) {
        json_t *r = json_array_get(list, k);
        json_object_set(roles, json_string_value(json_object_get(r, "name")),
                        json_object_get(r, "label"));
    }
    json_decref(list);
    json_t *out = json_pack("{s:o}", "roles", roles);
    for (size_t i = 0; i < sizeof(flows) / sizeof(flows[0]); i++)
        json_object_set_new(out, flows[i]->entity, flow_labels_json(flows[i]));
    json_object_set_new(out, "catalog", catalog_labels_json());
    return http_reply(resp, 200, out);
}

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). */
const struct http_route api_flows_routes[] = {
    ROUTE(HTTP_GET, "/api/v1/labels", HTTP_ANY_USER, api_labels, "角色、状态与操作的名称"),
};
const size_t api_flows_n_routes = sizeof(api_flows_routes) / sizeof(api_flows_routes[0]);
