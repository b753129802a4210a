/* SPDX-License-Identifier: Apache-2.0 */
/* http_int: what server.c and router.c share. */
#ifndef QIFU_HTTP_INT_H
#define QIFU_HTTP_INT_H

#include <microhttpd.h>
#include <pthread.h>

#include "http.h"

#define HTTP_N_STATUS 19  /* counted statuses, the last one "other" */
#define HTTP_N_BUCKETS 12 /* latency histogram buckets besides +Inf */

/* Why the server closed a connection itself (qifu_http_connections_cut_total). */
enum http_cut { HTTP_CUT_HEADER, HTTP_CUT_BODY, HTTP_CUT_REQUEST, HTTP_CUT_EVICTED, HTTP_N_CUTS };

struct hconn; /* one open connection: its phase and deadlines (server.c) */

struct http_server {
    struct http_config cfg;
    struct MHD_Daemon *d;
    unsigned port;
    unsigned boot_id;
    uint64_t next_id;
    int64_t in_flight;
    int64_t open_conns;
    uint64_t *counts; /* (n_routes + 1) x HTTP_N_STATUS; the last row is "unmatched" */
    uint64_t buckets[HTTP_N_BUCKETS];
    uint64_t n_requests;
    uint64_t sum_us;
    int64_t n_suspended; /* deferred requests not yet resumed (http_stop waits for them) */
    uint64_t body_bytes; /* request body bytes reserved by requests in flight (the budget) */
    /* Open connections, for the deadlines (the reaper thread) and per-address limits. */
    pthread_mutex_t conns_mu;
    pthread_cond_t reap_cv;
    struct hconn *conns; /* list under conns_mu */
    pthread_t reaper;
    bool reaping, reap_stop;
    uint64_t n_cut[HTTP_N_CUTS];
};

/*
 * A request value of an in-process request (no MHD connection): the handler fuzzer
 * (tests/fuzz/fuzz_handlers.c) builds requests from these, and the accessors of
 * router.c read them when req.conn is NULL. Names and values are borrowed.
 */
enum http__kind { HTTP__ARG, HTTP__HEADER, HTTP__COOKIE };
struct http__kv {
    enum http__kind kind;
    const char *name, *value;
};

struct reqctx {
    struct http_req req;
    struct http_resp resp;
    struct buf body;
    json_t *json_body;
    int route_idx;
    int status_sent;
    size_t bytes_sent;
    bool answered;
    bool too_large;   /* body passed max_body mid-upload: discard the rest, answer 413 */
    bool over_budget; /* a chunked body passed the server's budget: discard, answer 503 */
    bool refused;     /* refused on its head (x->resp holds the error): sent at the end */
    bool authed;      /* the auth hook ran (on the head, or after the body if public) */
    bool admitted;    /* http__admit ran */
    size_t declared;  /* Content-Length, 0 when none */
    size_t reserved;  /* bytes of s->body_bytes this request holds */
    int note;         /* log_note_open handle: names the request if the process crashes */
    struct hconn *hc; /* the connection's tracking record (NULL if MHD gave none) */
    /* http_defer: set by the handler; the server suspends the connection and calls
     * defer_start. http_resume sets defer_rc, then resumed, then resumes MHD's handling,
     * which calls on_request again to send the answer. */
    void (*defer_start)(void *arg, struct http_later *later);
    void *defer_arg;
    bool deferred; /* suspended: waiting for http_resume */
    bool resumed;  /* atomic: http_resume was called */
    enum rc defer_rc;
    struct err defer_err;      /* http_resume_err: the detail of defer_rc (rc 0 when none) */
    const struct http__kv *kv; /* in-process requests only (req.conn NULL): the values */
    size_t n_kv;
    /* http_on_return: run (in reverse) as soon as the handler has returned. */
    struct {
        void (*done)(void *arg);
        void *arg;
    } on_return[HTTP_MAX_ON_RETURN];
    int n_on_return;
    bool retry;    /* http_retry: call the handler again on RC_UNAVAILABLE */
    bool retrying; /* the handler's second call */
    /* http_query_set: query parameters the handler replaced (value NULL: absent). */
    struct {
        const char *name, *value;
    } qset[HTTP_MAX_QUERY_SET];
    int n_qset;
};

/* Turns a deferred request's failure (defer_rc, defer_err) into its error answer. */
void http__deferred_error(struct reqctx *x);

/*
 * Decides a request on its head alone, before any body byte is read: checks the path,
 * matches the route (req->route; NULL when the fallback serves it) and, unless the route
 * is public, authenticates and checks the route's roles. Returns RC_OK, or the error
 * with x->resp already holding its answer.
 */
enum rc http__admit(struct http_server *s, struct reqctx *x);
/* Runs a request once its body is in (admitting it first if that was not done; then the
 * auth of a public route, and the handler or the fallback); fills x->resp. */
void http__dispatch(struct http_server *s, struct reqctx *x);
/* Replaces x->resp with the JSON error for rc and e. */
void http__error_response(struct reqctx *x, enum rc rc, const struct err *e);
/* Queues x->resp on the connection. */
enum MHD_Result http__send(struct reqctx *x);
/* "GET", "POST", ... */
const char *http__method_name(enum http_method m);

#endif
