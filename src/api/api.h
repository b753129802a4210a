/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api: the JSON API under /api/v1 plus /healthz, /readyz and /metrics. One file per
 * resource turns JSON into domain calls and back; this is the only layer that
 * knows both HTTP and the domain. Each resource file ends with its own route table
 * (each route's method, pattern, allowed roles and static handler); api.c concatenates
 * them (api_int.h) and holds the authentication hook the router calls.
 */
#ifndef QIFU_API_H
#define QIFU_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../http/http.h"

struct store;
struct store_replica;
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
    struct http_server *srv; /* set once the server runs (for /metrics) */
    int64_t session_ttl_ms;  /* default 12 h */
    bool secure_cookie;      /* add "Secure" to the session cookie (TLS in front) */
    const char *public_url; /* --public-url: the base URL clients see (no trailing /); NULL: none */
    struct ent_catalog *cat;          /* fact catalogue and tags, loaded at start */
    struct calendar_holder *calendar; /* working-day calendar snapshots (src/calendar) */
    size_t max_attachment;            /* bytes per uploaded attachment (0: the 10 MiB default) */
    struct policy_runner *runner; /* 免申即享 runs in the background (src/policy/policy_grant.h) */
    struct policy_holder *policies; /* compiled policies in force (src/policy/policy.h) */
    struct assets *web;             /* the web UI's files (src/http/assets.h); NULL: none */
    struct store_replica *replica;  /* --db-replica: reads of read_only routes (api_db); NULL */
    const char *site_operator;      /* --operator: 主办单位 in the UI's footer; NULL: none */
    const char *site_icp;           /* --icp: ICP 备案号 in the UI's footer; NULL: none */
};

/* One resource file's route table (api_<module>.c; its handlers are static there). */
struct api_table {
    const char *module;              /* "demands" for api_demands.c */
    const struct http_route *routes; /* n_routes entries */
    const size_t *n_routes;
};

/* Returns the resource files' tables (static, n_tables entries), in routing order. */
const struct api_table *api_tables(size_t *n_tables);
/* Returns the route table: the tables concatenated (static, n_routes entries), then a
 * 404 placeholder for each reserved name whose owner has no table yet. Aborts if a
 * table holds a route under another table's reserved name (a programming error). */
const struct http_route *api_routes(size_t *n_routes);
/* RC_OK if the table named module may register pattern; RC_INVALID naming the pattern
 * when pattern lies under a name reserved for another table (/api/v1/applications for
 * grants, /api/v1/cases and /api/v1/service-items for the coming 一网通办 domain). */
enum rc api_route_check(const char *module, const char *pattern, struct err *e) WARN_UNUSED;
/* RC_NOTFOUND with a Chinese message naming what is coming when path lies under a
 * reserved name whose owner has no table yet; RC_OK otherwise. */
enum rc api_reserved_notfound(const char *path, struct err *e);
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
/*
 * Takes the handler's database connection, which the router releases as soon as the
 * handler returns (http_on_return): no store_release in the handler. Call it once per
 * request; a handler that defers its answer (http_defer) uses api_conn instead. On a
 * route marked read_only, with a replica configured (app->replica), the connection is
 * the replica's when it is up, within its lag limit and the caller may read there (not an
 * API key; a session only when it has not written within twice the lag limit); the
 * router then calls the handler again on the primary if the replica fails under it.
 */
enum rc api_db(struct http_req *req, struct conn **c, struct err *e) WARN_UNUSED;
/* Encodes text as an opaque cursor (in the request pool). */
const char *api_cursor_encode(struct http_req *req, const char *text);
/* Decodes ?cursor= into text (NULL when absent); RC_INVALID naming "cursor" if malformed. */
enum rc api_cursor(struct http_req *req, const char **text, struct err *e) WARN_UNUSED;
/* Wraps items (stolen) as {"items": [...], "next_cursor": ...}; the cursor encodes the
 * member key (a string or integer) of the last item when the page is full. */
json_t *api_page(struct http_req *req, json_t *items, int limit, const char *key);

/* The router's fallback (http_config.fallback): the web UI for non-API paths (api_web.c). */
enum rc api_web(struct http_req *req, struct http_resp *resp, struct err *e);
/* The Open311 api_key of req: ?api_key= or the urlencoded body's (pool copy), or NULL. */
const char *api_open311_key(struct http_req *req);

#endif
