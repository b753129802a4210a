/* SPDX-License-Identifier: Apache-2.0 */
/* http_int: what server.c and router.c share. */
#ifndef QIFU_HTTP_INT_H
#define QIFU_HTTP_INT_H

#include <microhttpd.h>

#include "http.h"

#define HTTP_N_STATUS 18  /* counted statuses, the last one "other" */
#define HTTP_N_BUCKETS 12 /* latency histogram buckets besides +Inf */

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
    bool too_large; /* body passed max_body mid-upload: discard the rest, answer 413 */
    /* http_defer: set by the handler; the server suspends the connection and calls
     * defer_start. http_resume sets defer_rc, then resumed, then resumes MHD's handling,
     * which calls on_request again to send the answer. */
    void (*defer_start)(void *arg, struct http_later *later);
    void *defer_arg;
    bool deferred; /* suspended: waiting for http_resume */
    bool resumed;  /* atomic: http_resume was called */
    enum rc defer_rc;
    const struct http__kv *kv; /* in-process requests only (req.conn NULL): the values */
    size_t n_kv;
};

/* Routes, authenticates and runs the handler; fills x->resp. */
void http__dispatch(struct http_server *s, struct reqctx *x);
/* The body cap for req's route (a route may raise the server's default). */
size_t http__body_limit(const struct http_server *s, struct http_req *req);
/* Replaces x->resp with the JSON error for rc and e. */
void http__error_response(struct reqctx *x, enum rc rc, const struct err *e);
/* Queues x->resp on the connection. */
enum MHD_Result http__send(struct reqctx *x);
/* "GET", "POST", ... */
const char *http__method_name(enum http_method m);

#endif
