/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api: the router's table (the concatenation of the resource files' own tables, listed in
 * api_int.h API_TABLES), the authentication hook and the helpers the resource files share.
 */
#include "api.h"
#include "api_int.h"
#include "api_kit.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../auth/auth.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../store/store.h"

/*
 * Reserved names: a path prefix that belongs to one resource file (its API_TABLES name),
 * existing or coming. Only the owner's table may hold routes under it; the router's
 * table refuses any other (api_routes aborts at start, tests/unit/test_api.c checks every
 * table). Until the owner exists, requests there are 404 with the name of what is coming.
 */
static const struct api_reserved {
    const char *prefix; /* "/api/v1/cases": itself, "/api/v1/cases/..." and "/api/v1/cases:..." */
    const char *owner;  /* the owning table (api_<owner>.c) */
    const char *what;   /* what the name means, for the 404 */
} reserved[] = {
    {"/api/v1/applications", "grants", "政策申请（即申即享、申报审批）"},
    {"/api/v1/cases", "cases", "一网通办办件"},
    {"/api/v1/service-items", "service_items", "政务服务事项"},
};

#define API_TABLE_ROW(name) {#name, api_##name##_routes, &api_##name##_n_routes},
static const struct api_table tables[] = {API_TABLES(API_TABLE_ROW)};
#undef API_TABLE_ROW

static struct http_route *all_routes;
static size_t n_all_routes;
static pthread_once_t all_once = PTHREAD_ONCE_INIT;

/* Returns the reserved name path falls under, or NULL. */
static const struct api_reserved *reserved_of(const char *path)
{
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        size_t n = strlen(reserved[i].prefix);
        if (strncmp(path, reserved[i].prefix, n) == 0 &&
            (path[n] == '\0' || path[n] == '/' || path[n] == ':'))
            return &reserved[i];
    }
    return NULL;
}

enum rc api_route_check(const char *module, const char *pattern, struct err *e)
{
    const struct api_reserved *r = reserved_of(pattern);
    size_t n = r ? strlen(r->owner) : 0;
    /* The owner's parts may register too: api_service_items_checklist.c (service_items_...). */
    if (r && strcmp(r->owner, module) != 0 &&
        !(strncmp(r->owner, module, n) == 0 && module[n] == '_'))
        return err_set(e, RC_INVALID, pattern, "路径 %s 保留给%s（api_%s.c），api_%s.c 不得注册",
                       r->prefix, r->what, r->owner, module);
    return RC_OK;
}

enum rc api_reserved_notfound(const char *path, struct err *e)
{
    const struct api_reserved *r = reserved_of(path);
    if (!r)
        return RC_OK;
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
        if (strcmp(tables[t].module, r->owner) == 0)
            return RC_OK; /* the owner exists: its own routes answer */
    return err_set(e, RC_NOTFOUND, NULL, "接口尚未开放：%s 保留给%s", r->prefix, r->what);
}

/* Every request under a reserved name whose owner does not exist yet. */
static enum rc reserved_route(struct http_req *req, struct http_resp *resp, struct err *e)
{
    (void)resp;
    enum rc rc = api_reserved_notfound(req->path, e);
    return rc ? rc : err_set(e, RC_NOTFOUND, NULL, "接口不存在：%s", req->path);
}

const struct api_table *api_tables(size_t *n_tables)
{
    *n_tables = sizeof(tables) / sizeof(tables[0]);
    return tables;
}

/* Concatenates the tables once; a route under another file's reserved name is a bug. */
static void build_routes(void)
{
    static const char *const depth[] = {"", "/{a}", "/{a}/{b}", "/{a}/{b}/{c}"};
    static const enum http_method methods[] = {HTTP_GET,   HTTP_POST,   HTTP_PUT,
                                               HTTP_PATCH, HTTP_DELETE, HTTP_OTHER};
    size_t n_placeholders = sizeof(reserved) / sizeof(reserved[0]) *
                            (sizeof(depth) / sizeof(depth[0])) *
                            (sizeof(methods) / sizeof(methods[0]));
    size_t n = n_placeholders;
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
        n += *tables[t].n_routes;
    all_routes = xcalloc(n, sizeof(*all_routes));
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
        for (size_t i = 0; i < *tables[t].n_routes; i++) {
            struct err e;
            err_clear(&e);
            if (api_route_check(tables[t].module, tables[t].routes[i].pattern, &e)) {
                log_error("route table: %s", e.msg);
                abort();
            }
            all_routes[n_all_routes++] = tables[t].routes[i];
        }
    }
    /* A reserved name without its owner yet: public placeholders (no summary, so not in
     * openapi.json) that answer 404 naming what is coming, whatever the method. */
    for (size_t r = 0; r < sizeof(reserved) / sizeof(reserved[0]); r++) {
        struct err e;
        err_clear(&e);
        if (api_reserved_notfound(reserved[r].prefix, &e) == RC_OK)
            continue;
        for (size_t d = 0; d < sizeof(depth) / sizeof(depth[0]); d++) {
            size_t len = strlen(reserved[r].prefix) + strlen(depth[d]) + 1;
            char *pattern = xmalloc(len);
            snprintf(pattern, len, "%s%s", reserved[r].prefix, depth[d]);
            for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++)
                all_routes[n_all_routes++] = (struct http_route){
                    .method = methods[m], .pattern = pattern, .fn = reserved_route};
        }
    }
}

const struct http_route *api_routes(size_t *n)
{
    pthread_once(&all_once, build_routes);
    *n = n_all_routes;
    return all_routes;
}

struct http_route *api_routes_for(const struct app *app, size_t *n)
{
    const struct http_route *all = api_routes(n);
    struct http_route *copy = xmalloc(*n * sizeof(*copy));
    memcpy(copy, all, *n * sizeof(*copy));
    for (size_t i = 0; i < *n; i++)
        if (copy[i].method == HTTP_POST &&
            strcmp(copy[i].pattern, "/api/v1/demands/{id}/attachments") == 0 && app->max_attachment)
            copy[i].max_body = app->max_attachment;
    api_xlsx_wrap(copy, *n);
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

static void release_conn(void *c)
{
    store_release(c);
}

/* ---- the read replica (docs/internals/store.md, "Read replica") ---------------------- */

/* Wall-clock ms: sessions.wrote_at is compared across processes (and machines, whose
 * clocks NTP keeps well within the window), never with the test clock. */
static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The session token req authenticated with, as api_authenticate reads it; NULL if none. */
static const char *session_token(struct http_req *req)
{
    const char *authz = http_header(req, "Authorization");
    if (authz)
        return strncasecmp(authz, "Bearer ", 7) == 0 && authz[7] ? authz + 7 : NULL;
    if (http_header(req, "X-Api-Key"))
        return NULL;
    const char *cookie = http_cookie(req, "qifu_session");
    return cookie && *cookie ? cookie : NULL;
}

/*
 * Whether the reads of req may go to the replica: a read_only route, the replica up and
 * within its limit (else the fallback is counted), and a caller that cannot miss its own
 * writes there: anonymous, or a session that has not written for twice the lag limit
 * (its wrote_at, read from the primary; the last sample may be up to one limit old and
 * the lag up to one more, so the standby holds everything written before that). API
 * keys read from the primary (machine clients read back what they just filed).
 */
static bool replica_ok(struct http_req *req, struct app *app)
{
    if (!app->replica || !req->route || !req->route->read_only)
        return false;
    if (http_retrying(req)) { /* the replica failed under the first call */
        store_replica_retried(app->replica);
        store_replica_fallback(app->replica, STORE_REPLICA_DOWN);
        return false;
    }
    const struct principal *p = api_who(req);
    if (p && p->apikey_id)
        return false;
    enum store_replica_state st = store_replica_state(app->replica);
    if (st != STORE_REPLICA_OK) {
        store_replica_fallback(app->replica, st);
        return false;
    }
    if (p) {
        const char *token = session_token(req);
        struct conn *c;
        struct err ignored;
        int64_t wrote = 0;
        if (!token || store_acquire(app->db, &c, &ignored))
            return false;
        enum rc rc = auth_session_wrote_at(c, token, &wrote, &ignored);
        store_release(c);
        if (rc || wall_ms() - wrote <= 2 * store_replica_max_lag_ms(app->replica))
            return false;
    }
    return true;
}

/* After a write by a session: its reads stay on the primary for a while (replica_ok). */
struct stamp {
    struct store *db;
    const char *token;
};

static void stamp_write(void *arg)
{
    const struct stamp *s = arg;
    struct conn *c;
    struct err e;
    err_clear(&e);
    enum rc rc = store_acquire(s->db, &c, &e);
    if (rc == RC_OK) {
        rc = auth_session_stamp(c, s->token, wall_ms(), &e);
        store_release(c);
    }
    if (rc)
        log_warn("replica: could not record a session's write (its reads may miss it for up to "
                 "the lag limit): %s",
                 e.msg);
}

enum rc api_db(struct http_req *req, struct conn **c, struct err *e)
{
    struct app *app = api_app(req);
    if (replica_ok(req, app)) {
        struct err ignored;
        err_clear(&ignored);
        if (store_replica_acquire(app->replica, c, &ignored) == RC_OK) {
            http_retry(req);
            http_on_return(req, release_conn, *c);
            return RC_OK;
        }
        store_replica_fallback(app->replica, STORE_REPLICA_DOWN);
    }
    enum rc rc = store_acquire(app->db, c, e);
    if (rc == RC_OK)
        http_on_return(req, release_conn, *c);
    return rc;
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
    if (token && app->replica && req->method != HTTP_GET && req->method != HTTP_HEAD) {
        /* Whatever the handler wrote, this session reads it back from the primary. */
        struct stamp *s = pool_alloc(&req->pool, sizeof(*s));
        *s = (struct stamp){app->db, token};
        http_on_return(req, stamp_write, s);
    }
    req->principal = p;
    req->perms = p->perms;
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
