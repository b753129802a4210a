/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api: the JSON API under /api/v1 plus /healthz, /readyz and /metrics. One file per
 * resource turns JSON into domain calls and back; this is the only layer that
 * knows both HTTP and the domain. api.c holds the route table (with each route's
 * allowed roles) and the authentication hook the router calls.
 */
#ifndef QIFU_API_H
#define QIFU_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../http/http.h"

struct store;
struct conn;
struct principal;
struct ent_catalog;
struct calendar_holder;
struct policy_runner;
struct policy_holder;
struct assets;

#define API_MAX_LIMIT 500
#define API_DEFAULT_LIMIT 50

/* What every handler can reach through req->app. */
struct app {
    struct store *db;
    struct http_server *srv;    /* set once the server runs (for /metrics) */
    int64_t session_ttl_ms;     /* default 12 h */
    bool secure_cookie;         /* add "Secure" to the session cookie (TLS in front) */
    const char *public_url;     /* --public-url: the base URL clients see (no trailing /); NULL: none */
    struct ent_catalog *cat;    /* fact catalogue and tags, loaded at start */
    struct calendar_holder *calendar; /* working-day calendar snapshots (src/calendar) */
    size_t max_attachment;      /* bytes per uploaded attachment (0: the 10 MiB default) */
    struct policy_runner *runner; /* 免申即享 runs in the background (src/policy/policy_grant.h) */
    struct policy_holder *policies; /* compiled policies in force (src/policy/policy.h) */
    struct assets *web;         /* the web UI's files (src/http/assets.h); NULL: none */
};

/* Returns the route table (static, n_routes entries). */
const struct http_route *api_routes(size_t *n_routes);
/*
 * A copy of the route table for a server of app: the attachment upload's body cap
 * is app->max_attachment when set. New (xfree); n_routes entries.
 */
struct http_route *api_routes_for(const struct app *app, size_t *n_routes);
/* The authentication hook for http_config.auth (app is a struct app). */
enum rc api_authenticate(void *app, struct http_req *req, struct err *e);

/* ---- helpers for the resource files (api_*.c) ---------------------------- */

/* Returns the app of req. */
struct app *api_app(struct http_req *req);
/* Returns the caller (NULL on public routes without credentials). */
const struct principal *api_who(struct http_req *req);
/* Takes a database connection for the handler; release with store_release. */
enum rc api_conn(struct http_req *req, struct conn **c, struct err *e) WARN_UNUSED;
/* Encodes text as an opaque cursor (in the request pool). */
const char *api_cursor_encode(struct http_req *req, const char *text);
/* Decodes ?cursor= into text (NULL when absent); RC_INVALID naming "cursor" if malformed. */
enum rc api_cursor(struct http_req *req, const char **text, struct err *e) WARN_UNUSED;
/* Wraps items (stolen) as {"items": [...], "next_cursor": ...}; the cursor encodes the
 * member key (a string or integer) of the last item when the page is full. */
json_t *api_page(struct http_req *req, json_t *items, int limit, const char *key);

/* Handlers, one group per file. */
enum rc api_healthz(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_readyz(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_metrics(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_openapi(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_session_create(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_session_delete(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_me(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_me_password(struct http_req *req, struct http_resp *resp, struct err *e);
/* The router's fallback (http_config.fallback): the web UI for non-API paths (api_web.c). */
enum rc api_web(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_orgs_list(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_orgs_get(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_orgs_create(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_users_list(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_users_create(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_roles_list(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_roles_create(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_roles_update(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_users_action(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_apikeys_list(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_apikeys_revoke(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_codes_regions(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_codes_industries(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_codes_credit_code(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_enterprises_list(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_enterprises_get(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_enterprises_create(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_enterprises_update(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_enterprise_facts_get(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_enterprise_facts_put(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_enterprises_import(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_facts_catalog(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_demands_create(struct http_req *req, struct http_resp *resp, struct err *e);
/* POST /api/v1/demands:import (text/csv or application/x-ndjson; ?skip_invalid=1&dry_run=1
 * &channel=): 12345 work orders, the report of demand_import; 422 when refused. */
enum rc api_demands_import(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_demands_list(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_demands_get(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_demand_actions_list(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_demand_act(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_demand_timeline(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_notices_list(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_demand_duplicates(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_stats_demands(struct http_req *req, struct http_resp *resp, struct err *e);
/* Open demands by light, in total and per lead organisation (api_demand_lights.c). */
enum rc api_stats_demand_lights(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_audit_list(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_calendar_get(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_calendar_years(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_calendar_day_put(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_calendar_day_delete(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_calendar_year_put(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_calendar_deadline(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_categories_list(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_categories_get(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_categories_create(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_categories_update(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_category_routes_get(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_category_routes_put(struct http_req *req, struct http_resp *resp, struct err *e);
/* Attachments of demands (api_attachments.c). */
enum rc api_demand_attach_upload(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_demand_attach_list(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_demand_attach_get(struct http_req *req, struct http_resp *resp, struct err *e);
/* Policies, named conditions and matching (api_policies.c). */
enum rc api_policies_list(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_policies_get(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_policies_create(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_policies_update(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_policy_act(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_policy_versions(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_policy_jsonlogic(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_conditions_list(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_conditions_put(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_enterprise_policies(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_policy_set(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_policies_match(struct http_req *req, struct http_resp *resp, struct err *e);
/* Grants, applications, 免申即享 runs and policy statistics (api_grants.c). */
enum rc api_policy_runs_create(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_policy_runs_list(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_policy_runs_get(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_grants_list(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_grants_get(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_grant_act(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_application_form(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_applications_create(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_applications_list(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_applications_get(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_application_act(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_stats_policies(struct http_req *req, struct http_resp *resp, struct err *e);
/* 试算: a policy version against one enterprise before publishing (api_policy_trial.c). */
enum rc api_policy_trial(struct http_req *req, struct http_resp *resp, struct err *e);
/* Open311 GeoReport v2 (api_open311.c); they answer client errors in the spec's shape. */
enum rc api_open311_get(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_open311_post(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_open311_service(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_open311_request(struct http_req *req, struct http_resp *resp, struct err *e);
enum rc api_open311_token(struct http_req *req, struct http_resp *resp, struct err *e);
/* Any other method on an Open311 path: 405 (404 for an unknown document) in the spec's shape. */
enum rc api_open311_method(struct http_req *req, struct http_resp *resp, struct err *e);
/* The Open311 api_key of req: ?api_key= or the urlencoded body's (pool copy), or NULL. */
const char *api_open311_key(struct http_req *req);

#endif
