/* SPDX-License-Identifier: Apache-2.0 */
/*
 * router: matches a request to the route table, runs the authentication hook,
 * checks the route's permissions (the one place that does), calls the handler, and maps
 * enum rc to the JSON error body. Messages of internal failures (store, I/O) are
 * logged, never sent.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/jsonx.h"
#include "../base/log.h"
#include "http_int.h"

const char *http__method_name(enum http_method m)
{
    static const char *const names[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OTHER"};
    return names[m];
}

/* Matches path against pattern; fills params (pool copies) on success. */
static bool match(struct http_req *req, const char *pattern, const char *path,
                  const char **params, int *n_params)
{
    const char *p = pattern, *u = path;
    int n = 0;
    while (*p && *u) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            const char *seg_end = strchr(u, '/');
            size_t len = seg_end ? (size_t)(seg_end - u) : strlen(u);
            if (!close || len == 0 || n >= HTTP_MAX_PARAMS)
                return false;
            /* A literal after the parameter in the same segment ("{id}.jsonld") must end the
             * segment, and is not part of the parameter. */
            size_t lit = strcspn(close + 1, "/{");
            if (lit) {
                if (len <= lit || memcmp(u + len - lit, close + 1, lit) != 0)
                    return false;
                len -= lit;
            }
            if (params)
                params[n] = pool_strndup(&req->pool, u, len);
            n++;
            p = close + 1;
            u += len;
            continue;
        }
        if (*p != *u)
            return false;
        p++, u++;
    }
    if (*p || *u)
        return false;
    if (n_params)
        *n_params = n;
    return true;
}

static bool is_internal(enum rc rc)
{
    return rc == RC_STORE || rc == RC_IO || rc == RC_INTERNAL || rc == RC_UNAVAILABLE ||
           rc == RC_BUSY;
}

void http__error_response(struct reqctx *x, enum rc rc, const struct err *e)
{
    if (rc == RC_OK || rc == RC_ROW || rc == RC_DONE)
        rc = RC_INTERNAL;
    x->defer_start = NULL; /* an error is answered at once */
    if (x->resp.json)
        json_decref(x->resp.json);
    buf_reset(&x->resp.body);
    x->resp.status = rc_http(rc);
    const char *msg = rc_str(rc);
    if (e && e->rc == rc && e->msg[0] && !is_internal(rc))
        msg = e->msg;
    if (is_internal(rc))
        log_error("request %s %s %s failed: %s: %s", x->req.request_id, x->req.method_name,
                  x->req.path, rc_name(rc), e ? e->msg : "");
    json_t *err = json_pack("{s:s, s:s}", "code", rc_name(rc), "message", msg);
    if (e && e->rc == rc && e->field[0])
        json_object_set_new(err, "field", json_string(e->field));
    if (e && e->rc == rc && e->line)
        json_object_set_new(err, "line", json_integer(e->line)),
            json_object_set_new(err, "column", json_integer(e->col));
    x->resp.json = json_pack("{s:o}", "error", err);
    if (rc == RC_UNAUTHORIZED || rc == RC_EXPIRED)
        http_resp_header(&x->req, &x->resp, "WWW-Authenticate", "Bearer realm=\"qifu\"");
}

void http__deferred_error(struct reqctx *x)
{
    struct err e;
    if (x->defer_err.rc == x->defer_rc) {
        e = x->defer_err;
    } else {
        err_clear(&e);
        err_set(&e, x->defer_rc, NULL, "deferred answer failed (%s)", rc_name(x->defer_rc));
    }
    http__error_response(x, x->defer_rc, &e);
}

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    bool *ok = cls;
    (void)kind;
    if ((key && !utf8_valid(key, strlen(key))) || (value && !utf8_valid(value, strlen(value)))) {
        *ok = false;
        return MHD_NO;
    }
    return MHD_YES;
}

/*
 * The value of name of kind in an in-process request (reqctx.kv): header names match
 * without regard to case, like MHD's lookup; NULL when absent.
 */
static const char *kv_lookup(struct http_req *req, enum http__kind kind, const char *name)
{
    const struct reqctx *x = (const struct reqctx *)(void *)req; /* req is its first member */
    for (size_t i = 0; i < x->n_kv; i++) {
        const struct http__kv *kv = &x->kv[i];
        if (kv->kind == kind &&
            (kind == HTTP__HEADER ? strcasecmp(kv->name, name) : strcmp(kv->name, name)) == 0)
            return kv->value;
    }
    return NULL;
}

/* Runs the authentication hook once; an auth failure is the request's error. */
static enum rc authenticate(struct http_server *s, struct reqctx *x, struct err *e)
{
    if (x->authed || !s->cfg.auth)
        return RC_OK;
    x->authed = true;
    return s->cfg.auth(s->cfg.app, &x->req, e);
}

enum rc http__admit(struct http_server *s, struct reqctx *x)
{
    struct http_req *req = &x->req;
    struct err e;
    err_clear(&e);
    enum rc rc = RC_OK;
    x->admitted = true;
    bool args_ok = true;
    if (req->conn)
        MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, check_arg, &args_ok);
    for (size_t i = 0; i < x->n_kv && args_ok; i++)
        if (x->kv[i].kind == HTTP__ARG)
            (void)check_arg(&args_ok, MHD_GET_ARGUMENT_KIND, x->kv[i].name, x->kv[i].value);
    if (!utf8_valid(req->path, strlen(req->path)) || !args_ok) {
        rc = err_set(&e, RC_BADUTF8, NULL, "请求地址包含非法的 UTF-8 编码");
        goto fail;
    }
    const struct http_route *found = NULL;
    bool path_known = false;
    char allow[64] = "";
    for (size_t i = 0; i < s->cfg.n_routes; i++) {
        const struct http_route *r = &s->cfg.routes[i];
        const char *params[HTTP_MAX_PARAMS];
        int n = 0;
        if (!match(req, r->pattern, req->path, params, &n))
            continue;
        path_known = true;
        enum http_method want = req->method == HTTP_HEAD ? HTTP_GET : req->method;
        if (r->method == want) {
            found = r;
            memcpy(req->params, params, sizeof(params));
            req->n_params = n;
            x->route_idx = (int)i;
            break;
        }
        size_t len = strlen(allow);
        snprintf(allow + len, sizeof(allow) - len, "%s%s", len ? ", " : "",
                 http__method_name(r->method));
    }
    if (!found) {
        if (path_known) {
            rc = err_set(&e, RC_METHOD, NULL, "该地址不支持 %s 方法（支持：%s）", req->method_name,
                         allow);
            http__error_response(x, rc, &e);
            http_resp_header(req, &x->resp, "Allow", pool_strdup(&req->pool, allow));
            return rc;
        }
        if (s->cfg.fallback && (req->method == HTTP_GET || req->method == HTTP_HEAD))
            return RC_OK; /* the fallback serves it (req->route stays NULL) */
        rc = err_set(&e, RC_NOTFOUND, NULL, "接口不存在：%s", req->path);
        goto fail;
    }
    req->route = found;
    /* A public route authenticates only once its body is in: Open311 clients may send
     * their api_key as a form field. Every other route is decided on the head alone. */
    if (found->perms == HTTP_PUBLIC)
        return RC_OK;
    if ((rc = authenticate(s, x, &e)))
        goto fail;
    if (!req->principal) {
        rc = err_set(&e, RC_UNAUTHORIZED, NULL, "请先登录");
        goto fail;
    }
    if (found->perms != HTTP_ANY_USER && !(found->perms & req->perms)) {
        rc = err_set(&e, RC_FORBIDDEN, NULL, "当前角色无权访问该接口");
        goto fail;
    }
    return RC_OK;
fail:
    http__error_response(x, rc, &e);
    return rc;
}

void http_on_return(struct http_req *req, void (*done)(void *arg), void *arg)
{
    struct reqctx *x = (struct reqctx *)(void *)req; /* req is its first member */
    if (x->n_on_return == HTTP_MAX_ON_RETURN) {
        log_error("http_on_return: more than %d per request", HTTP_MAX_ON_RETURN);
        abort();
    }
    x->on_return[x->n_on_return].done = done;
    x->on_return[x->n_on_return].arg = arg;
    x->n_on_return++;
}

void http_query_set(struct http_req *req, const char *name, const char *value)
{
    struct reqctx *x = (struct reqctx *)(void *)req; /* req is its first member */
    int i = 0;
    while (i < x->n_qset && strcmp(x->qset[i].name, name) != 0)
        i++;
    if (i == HTTP_MAX_QUERY_SET) {
        log_error("http_query_set: more than %d names per request", HTTP_MAX_QUERY_SET);
        abort();
    }
    x->qset[i].name = name;
    x->qset[i].value = value;
    if (i == x->n_qset)
        x->n_qset++;
}

void http_retry(struct http_req *req)
{
    ((struct reqctx *)(void *)req)->retry = true; /* req is its first member */
}

bool http_retrying(const struct http_req *req)
{
    return ((const struct reqctx *)(const void *)req)->retrying;
}

/* Runs the handler's http_on_return callbacks, newest first. */
static void returned(struct reqctx *x)
{
    while (x->n_on_return > 0) {
        x->n_on_return--;
        x->on_return[x->n_on_return].done(x->on_return[x->n_on_return].arg);
    }
}

void http_returned(struct http_req *req)
{
    returned((struct reqctx *)(void *)req); /* req is its first member */
}

void http__dispatch(struct http_server *s, struct reqctx *x)
{
    struct http_req *req = &x->req;
    struct err e;
    err_clear(&e);
    enum rc rc;
    if (!x->admitted && http__admit(s, x))
        return; /* a caller that skipped the head's callback (a fuzz target) */
    if (!req->route) {
        rc = s->cfg.fallback(req, &x->resp, &e);
        if (rc)
            goto fail;
        return;
    }
    if ((rc = authenticate(s, x, &e)))
        goto fail;
    rc = req->route->fn(req, &x->resp, &e);
    returned(x);
    if (rc == RC_UNAVAILABLE && x->retry && !x->defer_start) {
        /* The handler read from a replica that went away (http_retry): nothing was sent,
         * so it runs once more from an empty answer, and reads from the primary. */
        x->retry = false;
        x->retrying = true;
        x->n_qset = 0;
        if (x->resp.json)
            json_decref(x->resp.json);
        buf_reset(&x->resp.body);
        x->resp = (struct http_resp){.body = x->resp.body};
        err_clear(&e);
        rc = req->route->fn(req, &x->resp, &e);
        returned(x);
    }
    if (rc)
        goto fail;
    return;
fail:
    http__error_response(x, rc, &e);
}

/* ---- request accessors --------------------------------------------------- */

const char *http_query(struct http_req *req, const char *name)
{
    const struct reqctx *x = (const struct reqctx *)(void *)req; /* req is its first member */
    for (int i = 0; i < x->n_qset; i++)
        if (strcmp(x->qset[i].name, name) == 0)
            return x->qset[i].value;
    if (!req->conn)
        return kv_lookup(req, HTTP__ARG, name);
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_header(struct http_req *req, const char *name)
{
    if (!req->conn)
        return kv_lookup(req, HTTP__HEADER, name);
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_cookie(struct http_req *req, const char *name)
{
    if (!req->conn)
        return kv_lookup(req, HTTP__COOKIE, name);
    return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

/* Whether ip is one of the comma-separated addresses of list. */
static bool in_list(const char *list, const char *ip)
{
    size_t n = strlen(ip);
    for (const char *p = list; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && memcmp(p, ip, n) == 0)
            return true;
        p = comma ? comma + 1 : NULL;
    }
    return false;
}

/*
 * The client's address: the socket peer's, or, when the peer is a configured trusted proxy
 * (nginx in front, `--trusted-proxy`), the address its X-Real-IP header names. A header
 * from any other peer is ignored, so a client cannot choose the address that throttles,
 * audit rows and the access log see.
 */
const char *http_client_ip(struct http_req *req)
{
    if (!req->conn)
        return "-"; /* an in-process request */
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return "-";
    char *out = pool_alloc(&req->pool, INET6_ADDRSTRLEN);
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  INET6_ADDRSTRLEN);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  INET6_ADDRSTRLEN);
    else
        return "-";
    const char *proxies = req->server ? req->server->cfg.trusted_proxy : NULL;
    if (proxies && in_list(proxies, out)) {
        const char *real = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-Real-IP");
        unsigned char bin[sizeof(struct in6_addr)];
        if (real && strlen(real) < INET6_ADDRSTRLEN &&
            (inet_pton(AF_INET, real, bin) == 1 || inet_pton(AF_INET6, real, bin) == 1))
            return pool_strdup(&req->pool, real);
    }
    return out;
}

enum rc http_json_body(struct http_req *req, json_t **out, struct err *e)
{
    struct reqctx *x = (struct reqctx *)req; /* req is the first member of reqctx */
    *out = NULL; /* a caller that reads *out after a failure reads NULL, never garbage */
    if (x->json_body) {
        *out = x->json_body;
        return RC_OK;
    }
    const char *ct = http_header(req, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0)
        return err_set(e, RC_MEDIATYPE, NULL, "请求体须为 JSON（Content-Type: application/json）");
    if (req->body_len == 0)
        return err_set(e, RC_BADJSON, NULL, "请求体为空，应为 JSON 对象");
    json_t *j;
    enum rc rc = jsonx_parse(req->body, req->body_len, req->server->cfg.max_json_depth, &j, e);
    if (rc)
        return rc;
    if (!json_is_object(j)) {
        json_decref(j);
        return err_set(e, RC_INVALID, NULL, "请求体应为 JSON 对象");
    }
    x->json_body = j;
    *out = j;
    return RC_OK;
}

enum rc http_limit(struct http_req *req, int def, int max, int *out, struct err *e)
{
    const char *s = http_query(req, "limit");
    if (!s) {
        *out = def;
        return RC_OK;
    }
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end || v < 1 || v > max)
        return err_set(e, RC_INVALID, "limit", "limit 应为 1 到 %d 之间的整数", max);
    *out = (int)v;
    return RC_OK;
}

void http_resp_header(struct http_req *req, struct http_resp *resp, const char *name,
                      const char *value)
{
    (void)req;
    if (resp->n_headers < HTTP_MAX_HEADERS_OUT) {
        resp->hnames[resp->n_headers] = name;
        resp->hvalues[resp->n_headers] = value;
        resp->n_headers++;
    }
}

enum rc http_reply(struct http_resp *resp, int status, json_t *j)
{
    if (resp->json)
        json_decref(resp->json);
    resp->status = status;
    resp->json = j;
    return RC_OK;
}
