/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_int: internals shared by the api_*.c files. Each resource file ends with its own
 * route table (its handlers are static); API_TABLES lists those tables in the order the
 * router tries them (the first route whose pattern and method match wins), and api.c
 * concatenates them. A new resource file adds one X(name) row here and one table at
 * its end: `const struct http_route api_NAME_routes[]` and `api_NAME_n_routes`.
 */
#ifndef QIFU_API_INT_H
#define QIFU_API_INT_H

#include "../auth/auth.h"
#include "api.h"

/* The permission a route requires (src/access): the router admits a principal holding any
 * permission of the route's mask, whatever its role, so a role added as data is admitted
 * wherever its permissions say. */
#define PERM(name) ACCESS_BIT(ACCESS_##name)

/* Designated initializers keep the tables readable and the fields explicit. */
#define ROUTE(m, p, r, f, s)                                                                       \
    {                                                                                              \
        .method = (m), .pattern = (p), .perms = (r), .fn = (f), .summary = (s)                     \
    }
#define UPLOAD(m, p, r, f, s, max)                                                                 \
    {                                                                                              \
        .method = (m), .pattern = (p), .perms = (r), .fn = (f), .summary = (s), .max_body = (max)  \
    }

/* A route whose handler only reads (a list, a detail, statistics): no write, on any path,
 * so with a read replica (`--db-replica`) api_db may give it the replica's connection
 * (docs/internals/api.md "Read-only routes"). Mark a route only after checking that. */
#define ROUTE_READ(m, p, r, f, s)                                                                  \
    {                                                                                              \
        .method = (m), .pattern = (p), .perms = (r), .fn = (f), .summary = (s), .read_only = true  \
    }
#define ROUTE_DATA_READ(m, p, r, f, s, d)                                                          \
    {                                                                                              \
        .method = (m), .pattern = (p), .perms = (r), .fn = (f), .summary = (s), .data = (d),       \
        .read_only = true                                                                          \
    }

/* A route whose handler reads a datum through req->route->data (a struct api_record). */
#define ROUTE_DATA(m, p, r, f, s, d)                                                               \
    {                                                                                              \
        .method = (m), .pattern = (p), .perms = (r), .fn = (f), .summary = (s), .data = (d)        \
    }
/* The four routes of one record of a workflow under base ("/api/v1/suggestions"), served by
 * api_kit's record handlers for rec (a struct api_record *) whose label is what (a literal):
 * GET base/{id}, GET and POST base/{id}/actions, GET base/{id}/timeline. */
#define API_RECORD_ROUTES(base, perm, what, rec)                                                   \
    ROUTE_DATA_READ(HTTP_GET, base "/{id}", perm, api_record_get, what "详情", rec),               \
        ROUTE_DATA_READ(HTTP_GET, base "/{id}/actions", perm, api_record_actions,                  \
                        "当前可执行的" what "操作", rec),                                          \
        ROUTE_DATA(HTTP_POST, base "/{id}/actions", perm, api_record_act, what "操作", rec),       \
        ROUTE_DATA_READ(HTTP_GET, base "/{id}/timeline", perm, api_record_timeline,                \
                        what "的办理过程", rec)

/* Answers a stored file (an attachment, an application's material) with its type, its
 * UTF-8 name (Content-Disposition), its ETag and a sandboxing CSP; frees f's bytes
 * (api_attachments.c). */
struct demand_attach_file;
enum rc api__send_file(struct http_req *req, struct http_resp *resp, struct demand_attach_file *f,
                       int64_t aid, struct err *e);

/* The workflow of an entity ("demand", "grant"...), or NULL (api_flows.c). */
struct flow;
const struct flow *api_flow_of(const char *entity);
struct principal;
/* Counts the notices GET /notices?unread=1 lists for p (api_notices.c): GET /me/todo's
 * unread messages. */
enum rc api_notices_unread(struct http_req *req, struct conn *c, const struct principal *p, int *n,
                           struct err *e) WARN_UNUSED;

/* The workflows api_flows.c registers (GET /labels, the notices' readers), X(the struct
 * flow's name). A new domain adds one row. */
#define API_FLOWS(X)                                                                               \
    X(demand_flow)                                                                                 \
    X(policy_grant_flow)                                                                           \
    X(policy_app_flow)                                                                             \
    X(policy_flow)                                                                                 \
    X(catalog_version_flow)

/* The resource files' tables, in routing order; X(name) is src/api/api_<name>.c. */
#define API_TABLES(X)                                                                              \
    X(system)                                                                                      \
    X(session)                                                                                     \
    X(orgs)                                                                                        \
    X(users)                                                                                       \
    X(roles)                                                                                       \
    X(codes)                                                                                       \
    X(enterprises)                                                                                 \
    X(demands)                                                                                     \
    X(stats)                                                                                       \
    X(attachments)                                                                                 \
    X(demand_lights)                                                                               \
    X(notices)                                                                                     \
    X(flows)                                                                                       \
    X(audit)                                                                                       \
    X(calendar)                                                                                    \
    X(categories)                                                                                  \
    X(open311)                                                                                     \
    X(policies)                                                                                    \
    X(grants)                                                                                      \
    X(policy_trial)                                                                                \
    X(todo)                                                                                        \
    /* The catalogue's parts (service_items_<part>) go above it: its GET .../{id} would */         \
    /* take .../search or .../{id}.jsonld otherwise (the first matching route wins). */            \
    X(service_items_export)                                                                        \
    X(service_items)

#define API_TABLE_DECLARE(name)                                                                    \
    extern const struct http_route api_##name##_routes[];                                          \
    extern const size_t api_##name##_n_routes;
API_TABLES(API_TABLE_DECLARE)
#undef API_TABLE_DECLARE

#endif
