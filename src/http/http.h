/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http: the HTTP/1.1 server on libmicrohttpd, the route table, limits, metrics and
 * the access log. It knows nothing of the domain: routes come from src/api, and the
 * caller supplies an authentication hook that turns credentials into an opaque
 * principal with one role bit. The router is the one place that checks a route's
 * allowed roles and maps enum rc to a status and the JSON error body
 * {"error":{"code":...,"message":...,"field":...}}.
 *
 * A handler runs once per request, after the whole body has arrived and passed the
 * limits. It allocates from req->pool and never frees; it sets resp->json (stolen)
 * or resp->body, and resp->status (default 200).
 */
#ifndef QIFU_HTTP_H
#define QIFU_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"
#include "../base/pool.h"
#include "../base/rc.h"

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_PUT, HTTP_PATCH, HTTP_DELETE, HTTP_OTHER };

#define HTTP_MAX_PARAMS 4
#define HTTP_MAX_HEADERS_OUT 8
#define HTTP_MAX_ON_RETURN 4
#define HTTP_MAX_QUERY_SET 4

/* Permission bits of routes: the API maps its permissions to bits 0..30 (src/access). */
#define HTTP_PUBLIC 0u         /* no login needed */
#define HTTP_ANY_USER (~0u)    /* any authenticated principal */

struct http_req;
struct http_resp;

typedef enum rc (*http_handler_fn)(struct http_req *req, struct http_resp *resp, struct err *e);

struct http_route {
    enum http_method method;
    const char *pattern;  /* "/api/v1/users/{id}": {x} matches one path segment */
    unsigned perms;       /* HTTP_PUBLIC, HTTP_ANY_USER or permission bits: holding any admits */
    http_handler_fn fn;
    const char *summary;  /* one line for openapi.json */
    size_t max_body;      /* bytes; 0 = the server's max_body (uploads raise it) */
    const void *data;     /* the handler's own datum, read through req->route (may be NULL) */
    bool read_only;       /* the handler only reads: it may read from a replica (api_db) */
};

/*
 * Authentication hook: reads credentials of req (http_header, http_cookie) and sets
 * req->principal and req->perms, or leaves them NULL/0 when none were sent.
 * Returns RC_OK, or RC_UNAUTHORIZED/RC_EXPIRED for bad credentials, RC_CSRF for a
 * cookie-authenticated write without the right token.
 */
typedef enum rc (*http_auth_fn)(void *app, struct http_req *req, struct err *e);

struct http_config {
    const char *listen;           /* "127.0.0.1:8080"; port 0 picks a free one */
    unsigned threads;             /* worker threads (default 4) */
    size_t max_body;              /* bytes (default 1 MiB) */
    size_t max_body_inflight;     /* bytes of all bodies being received (default 512 MiB) */
    size_t max_header;            /* bytes of the request head (default 16 KiB) */
    int max_json_depth;           /* default 64 */
    unsigned conn_timeout_s;      /* idle connection time-out (default 30) */
    unsigned header_timeout_s;    /* a request head must be complete within (default 15) */
    unsigned body_timeout_s;      /* longest wait for more body bytes (default 15) */
    unsigned request_timeout_s;   /* whole request, head to last body byte (default 60) */
    unsigned max_conns;           /* default 1000 */
    unsigned max_conns_per_ip;    /* default 400; idle ones are evicted to make room */
    unsigned drain_timeout_s;     /* SIGTERM waits this long for in-flight requests (30) */
    bool access_log;              /* one line per request on stderr */
    const char *trusted_proxy;    /* "IP[,IP...]": peers whose X-Real-IP names the client */
    const struct http_route *routes;
    size_t n_routes;
    http_auth_fn auth;
    void *app;                    /* handed to handlers as req->app */
    /* Optional: serves paths outside the route table (web UI assets). */
    enum rc (*fallback)(struct http_req *req, struct http_resp *resp, struct err *e);
};

struct http_req {
    struct pool pool;             /* freed when the request ends */
    enum http_method method;
    const char *method_name;
    const char *path;
    const struct http_route *route;
    const char *params[HTTP_MAX_PARAMS]; /* {x} segments of the pattern, in order */
    int n_params;
    const char *body;             /* NUL-terminated; "" when none */
    size_t body_len;
    void *app;
    void *principal;              /* set by the auth hook */
    unsigned perms;               /* the principal's permission bits (src/access) */
    const char *user_label;       /* for the access log; set by the auth hook */
    char request_id[24];
    int64_t started_ns;
    struct http_server *server;
    struct MHD_Connection *conn;  /* members below MUST NOT be accessed */
};

struct http_resp {
    int status;                   /* 0 means 200 */
    json_t *json;                 /* stolen; sent as application/json */
    struct buf body;              /* used when json is NULL */
    const char *content_type;     /* for body */
    const char *hnames[HTTP_MAX_HEADERS_OUT];
    const char *hvalues[HTTP_MAX_HEADERS_OUT];
    int n_headers;
    const void *static_body;      /* borrowed bytes that outlive the request (assets) */
    size_t static_len;
};

struct http_server;

/*
 * Starts listening with cfg (borrowed for the server's life). *out is new
 * (http_stop). RC_INVALID for a bad listen address, RC_IO if the port is taken.
 */
enum rc http_start(const struct http_config *cfg, struct http_server **out, struct err *e) WARN_UNUSED;
/* Returns the bound port (useful when the configured port was 0). */
unsigned http_port(const struct http_server *s);
/*
 * Stops accepting, waits up to drain_timeout_s for in-flight requests, then stops
 * and frees s (s may be NULL). Returns the number of requests cut off (0 when drained).
 */
int http_stop(struct http_server *s);
/* Writes the Prometheus text of the server's metrics into b. */
enum rc http_metrics(const struct http_server *s, struct buf *b) WARN_UNUSED;

/* Request accessors: values are borrowed for the request's life; NULL when absent. */
const char *http_query(struct http_req *req, const char *name);
const char *http_header(struct http_req *req, const char *name);
const char *http_cookie(struct http_req *req, const char *name);
/* Returns the client's address text ("127.0.0.1"), for throttling and logs. */
const char *http_client_ip(struct http_req *req);
/*
 * Parses the body as a JSON object within the limits: RC_MEDIATYPE unless the
 * Content-Type is application/json, RC_BADUTF8/RC_TOODEEP/RC_BADJSON with the
 * position, RC_INVALID when it is not an object. *out is a new reference, released
 * by the router when the request ends (do not decref).
 */
enum rc http_json_body(struct http_req *req, json_t **out, struct err *e) WARN_UNUSED;
/*
 * Reads ?limit= (1..max, default def) or answers RC_INVALID naming "limit".
 */
enum rc http_limit(struct http_req *req, int def, int max, int *out, struct err *e) WARN_UNUSED;

/* Adds a response header (name and value borrowed for the request's life). */
void http_resp_header(struct http_req *req, struct http_resp *resp, const char *name,
                      const char *value);
/* Sets a JSON response with status (steals j). Returns RC_OK for a handler's tail call. */
enum rc http_reply(struct http_resp *resp, int status, json_t *j);

/*
 * Deferred answers: a request whose response must wait for something slow outside the
 * handler (the disk sync of a commit) without holding a server thread.
 *
 * A handler that has filled resp and is about to return RC_OK calls http_defer. Once it
 * returns, the server suspends the connection (no reading, no time-out) and calls
 * start(arg, later) on the same thread; start hands later to whatever finishes the wait,
 * which calls http_resume(later, rc) exactly once, from any thread (start itself may).
 * Then resp is sent, or, when rc is not RC_OK, the error answer for rc instead. A handler
 * that returns an error is answered at once and start is never called. http_stop waits
 * for every deferred request to be resumed. arg is borrowed until start returns.
 */
/*
 * Runs done(arg) as soon as the route's handler has returned, in reverse order of
 * registration: the release of what the handler held for its whole run (the database
 * connection of api_db). It runs before the answer is sent and before a deferred
 * request's start, which must therefore not use it. More than HTTP_MAX_ON_RETURN per
 * request aborts (a programming error).
 */
void http_on_return(struct http_req *req, void (*done)(void *arg), void *arg);
/*
 * Asks the router to call the handler once more if it fails with RC_UNAVAILABLE (a read
 * from a replica that went away; nothing has been sent yet). The second call sees
 * http_retrying true and starts from an empty answer. A deferred answer is never retried.
 */
void http_retry(struct http_req *req);
/*
 * Makes http_query(req, name) answer value (NULL: absent) for the rest of the request,
 * whatever the URL says; a later call for the same name replaces it. name and value are
 * borrowed for the request's life. For a handler that runs another route's handler with
 * other parameters (api_xlsx walks a list's pages). More than HTTP_MAX_QUERY_SET names
 * aborts (a programming error).
 */
void http_query_set(struct http_req *req, const char *name, const char *value);
/*
 * Runs the http_on_return callbacks registered so far, newest first, as the router does
 * when the handler returns: a handler that calls another handler several times releases
 * what each call took (its database connection) before the next.
 */
void http_returned(struct http_req *req);
/* True while the handler runs for the second time (http_retry). */
bool http_retrying(const struct http_req *req);

struct http_later;
void http_defer(struct http_req *req, void (*start)(void *arg, struct http_later *later),
                void *arg);
/* Ends the wait of a deferred request; later is invalid afterwards. */
void http_resume(struct http_later *later, enum rc rc);
/*
 * Like http_resume, and when rc is an error the answer carries e's message and field
 * (copied; e may be NULL), as if the handler had returned rc with e.
 */
void http_resume_err(struct http_later *later, enum rc rc, const struct err *e);

#endif
