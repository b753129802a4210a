/* SPDX-License-Identifier: Apache-2.0 */
/*
 * server: libmicrohttpd glue. One context per request collects the body under the
 * cap, checks the deadline, and on the final callback hands over to the router.
 *
 * Every request is decided on its head first (the first callback, before MHD reads
 * any body byte): route, authentication and roles (http__admit), a Transfer-Encoding
 * other than chunked (501), a Content-Length over the route's cap (413) or over what is
 * left of the server-wide budget of body bytes in flight (503). A request with a body
 * that fails there is answered at once and MHD closes the connection unread; one
 * without a body is answered on its final callback, keeping the connection alive
 * (MHD 0.9.75 answers Connection: close to anything queued earlier, and refuses a
 * response queued while a body is being received). A body that passes the cap or
 * the budget while arriving (chunked) is discarded and answered 413/503 at its end;
 * a request past its deadline is cut off (logged as 408).
 */
#include <arpa/inet.h>
#include <assert.h>
#include <pthread.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../base/jsonx.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "http_int.h"

static const int status_list[HTTP_N_STATUS] = {200, 201, 204, 304, 400, 401, 403, 404, 405, 408,
                                               409, 413, 415, 429, 431, 500, 501, 503, 0};
static const double bucket_le[HTTP_N_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                 0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

static int status_index(int status)
{
    for (int i = 0; i < HTTP_N_STATUS - 1; i++)
        if (status_list[i] == status)
            return i;
    return HTTP_N_STATUS - 1;
}

static void record(struct http_server *s, int route_idx, int status, int64_t ns)
{
    uint64_t *row = &s->counts[(size_t)route_idx * HTTP_N_STATUS];
    __atomic_add_fetch(&row[status_index(status)], 1, __ATOMIC_RELAXED);
    double sec = (double)ns / 1e9;
    for (int b = 0; b < HTTP_N_BUCKETS; b++)
        if (sec <= bucket_le[b])
            __atomic_add_fetch(&s->buckets[b], 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&s->n_requests, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&s->sum_us, (uint64_t)(ns / 1000), __ATOMIC_RELAXED);
}

/* Takes n bytes of the server's body budget for x; false when they are not left. */
static bool reserve(struct http_server *s, struct reqctx *x, size_t n)
{
    uint64_t now = __atomic_add_fetch(&s->body_bytes, n, __ATOMIC_ACQ_REL);
    if (now > s->cfg.max_body_inflight) {
        __atomic_sub_fetch(&s->body_bytes, n, __ATOMIC_ACQ_REL);
        return false;
    }
    x->reserved += n;
    return true;
}

static void free_ctx(struct reqctx *x)
{
    log_note_close(x->note);
    if (x->reserved)
        __atomic_sub_fetch(&x->req.server->body_bytes, x->reserved, __ATOMIC_ACQ_REL);
    if (x->json_body)
        json_decref(x->json_body);
    if (x->resp.json)
        json_decref(x->resp.json);
    buf_cleanup(&x->resp.body);
    buf_cleanup(&x->body);
    pool_clear(&x->req.pool);
    xfree(x);
}

/* ---- connections: deadlines and per-address limits ---------------------------- */

/*
 * Every open connection has a record in s->conns (made and dropped by MHD's connection
 * notifications) saying what it is doing: waiting for a request head (HC_HEAD, since
 * it opened or its last answer went out), receiving a body (HC_BODY) or being handled
 * and answered (HC_BUSY). The reaper thread closes, with shutdown(2) (MHD then sees the
 * end of the stream and cleans up in its own thread), a connection whose head is not
 * complete within header_timeout_s, whose body makes no progress for body_timeout_s or
 * whose request passes request_timeout_s. The fd stays valid while the record is in
 * the list: MHD notifies the close before it closes the socket.
 *
 * Limits are checked on accept: when an address (or the server) is full, its oldest
 * connection waiting for a head is closed to make room, so idle connections never
 * lock out the other clients behind one NAT; only when none is idle is the new one
 * refused.
 */
enum { HC_HEAD, HC_BODY, HC_BUSY };

struct hconn {
    struct hconn *prev, *next; /* in s->conns, under s->conns_mu */
    int fd;
    int family;           /* AF_INET, AF_INET6, or 0 when unknown */
    unsigned char ip[16]; /* the client's address (not the port) */
    int phase;            /* atomic: HC_* */
    int64_t since_ns;     /* atomic: when the current phase began */
    int64_t progress_ns;  /* atomic: last body bytes (HC_BODY) */
    int64_t request_ns;   /* atomic: when the current request's head came */
    bool cut;             /* atomic: closed by us (set under s->conns_mu) */
};

static void addr_of(const struct sockaddr *sa, int *family, unsigned char ip[16])
{
    memset(ip, 0, 16);
    *family = 0;
    if (sa && sa->sa_family == AF_INET) {
        *family = AF_INET;
        memcpy(ip, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        *family = AF_INET6;
        memcpy(ip, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
    }
}

static void set_phase(struct hconn *hc, int phase)
{
    if (!hc)
        return;
    int64_t now = time_mono_ns();
    __atomic_store_n(&hc->since_ns, now, __ATOMIC_RELAXED);
    __atomic_store_n(&hc->progress_ns, now, __ATOMIC_RELAXED);
    __atomic_store_n(&hc->phase, phase, __ATOMIC_RELEASE);
}

/* Closes hc's socket under the server; s->conns_mu held. */
static void cut(struct http_server *s, struct hconn *hc, enum http_cut why)
{
    __atomic_store_n(&hc->cut, true, __ATOMIC_RELEASE);
    if (hc->fd >= 0)
        shutdown(hc->fd, SHUT_RDWR);
    __atomic_add_fetch(&s->n_cut[why], 1, __ATOMIC_RELAXED);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        __atomic_add_fetch(&s->open_conns, 1, __ATOMIC_RELAXED);
        struct hconn *hc = xcalloc(1, sizeof(*hc));
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        hc->fd = ci ? ci->connect_fd : -1;
        ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        addr_of(ci ? ci->client_addr : NULL, &hc->family, hc->ip);
        set_phase(hc, HC_HEAD);
        pthread_mutex_lock(&s->conns_mu);
        hc->next = s->conns;
        if (s->conns)
            s->conns->prev = hc;
        s->conns = hc;
        pthread_mutex_unlock(&s->conns_mu);
        *socket_ctx = hc;
        return;
    }
    __atomic_sub_fetch(&s->open_conns, 1, __ATOMIC_RELAXED);
    struct hconn *hc = *socket_ctx;
    if (!hc)
        return;
    pthread_mutex_lock(&s->conns_mu);
    if (hc->prev)
        hc->prev->next = hc->next;
    else
        s->conns = hc->next;
    if (hc->next)
        hc->next->prev = hc->prev;
    pthread_mutex_unlock(&s->conns_mu);
    xfree(hc);
    *socket_ctx = NULL;
}

/* MHD's accept policy: the limits of the server and of the client's address. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    struct http_server *s = cls;
    (void)addrlen;
    int family;
    unsigned char ip[16];
    addr_of(addr, &family, ip);
    unsigned n_all = 0, n_ip = 0;
    struct hconn *idle_ip = NULL, *idle_any = NULL; /* the oldest waiting for a head */
    int64_t ip_since = 0, any_since = 0;
    pthread_mutex_lock(&s->conns_mu);
    for (struct hconn *hc = s->conns; hc; hc = hc->next) {
        if (__atomic_load_n(&hc->cut, __ATOMIC_ACQUIRE))
            continue;
        bool same = hc->family == family && memcmp(hc->ip, ip, 16) == 0;
        n_all++;
        n_ip += same;
        if (__atomic_load_n(&hc->phase, __ATOMIC_ACQUIRE) != HC_HEAD)
            continue;
        int64_t since = __atomic_load_n(&hc->since_ns, __ATOMIC_RELAXED);
        if (!idle_any || since < any_since)
            idle_any = hc, any_since = since;
        if (same && (!idle_ip || since < ip_since))
            idle_ip = hc, ip_since = since;
    }
    bool ok = true;
    if (n_ip >= s->cfg.max_conns_per_ip) {
        if ((ok = idle_ip != NULL))
            cut(s, idle_ip, HTTP_CUT_EVICTED);
    } else if (n_all >= s->cfg.max_conns) {
        if ((ok = idle_any != NULL))
            cut(s, idle_any, HTTP_CUT_EVICTED);
    }
    pthread_mutex_unlock(&s->conns_mu);
    return ok ? MHD_YES : MHD_NO;
}

static void *reap_run(void *arg)
{
    struct http_server *s = arg;
    const int64_t header_ns = (int64_t)s->cfg.header_timeout_s * 1000000000LL;
    const int64_t body_ns = (int64_t)s->cfg.body_timeout_s * 1000000000LL;
    const int64_t request_ns = (int64_t)s->cfg.request_timeout_s * 1000000000LL;
    pthread_mutex_lock(&s->conns_mu);
    while (!s->reap_stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 200000000L; /* deadlines are kept to within 0.2 s */
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->reap_cv, &s->conns_mu, &until);
        int64_t now = time_mono_ns();
        for (struct hconn *hc = s->conns; hc; hc = hc->next) {
            if (__atomic_load_n(&hc->cut, __ATOMIC_ACQUIRE))
                continue;
            int phase = __atomic_load_n(&hc->phase, __ATOMIC_ACQUIRE);
            if (phase == HC_HEAD &&
                now - __atomic_load_n(&hc->since_ns, __ATOMIC_RELAXED) > header_ns)
                cut(s, hc, HTTP_CUT_HEADER);
            else if (phase == HC_BODY &&
                     now - __atomic_load_n(&hc->request_ns, __ATOMIC_RELAXED) > request_ns)
                cut(s, hc, HTTP_CUT_REQUEST);
            else if (phase == HC_BODY &&
                     now - __atomic_load_n(&hc->progress_ns, __ATOMIC_RELAXED) > body_ns)
                cut(s, hc, HTTP_CUT_BODY);
        }
    }
    pthread_mutex_unlock(&s->conns_mu);
    return NULL;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *s = cls;
    struct reqctx *x = *con_cls;
    (void)c;
    if (!x)
        return;
    int64_t ns = time_mono_ns() - x->req.started_ns;
    int status = x->status_sent ? x->status_sent : 499; /* 499: client went away */
    if (!x->status_sent && x->hc && __atomic_load_n(&x->hc->cut, __ATOMIC_ACQUIRE))
        status = 408;          /* cut off at a deadline */
    set_phase(x->hc, HC_HEAD); /* the connection waits for its next request head */
    record(s, x->route_idx, status, ns);
    if (s->cfg.access_log) /* buffered: written in batches, all of it by http_stop */
        log_buffered("access %s %s %s %d %zu %.3fms user=%s id=%s%s", http_client_ip(&x->req),
                     x->req.method_name, x->req.path ? x->req.path : "-", status, x->bytes_sent,
                     (double)ns / 1e6, x->req.user_label ? x->req.user_label : "-",
                     x->req.request_id,
                     toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
    free_ctx(x);
    *con_cls = NULL;
    __atomic_sub_fetch(&s->in_flight, 1, __ATOMIC_RELEASE);
}

static enum http_method method_of(const char *m)
{
    static const struct {
        const char *name;
        enum http_method m;
    } tab[] = {{"GET", HTTP_GET}, {"HEAD", HTTP_HEAD},   {"POST", HTTP_POST},
               {"PUT", HTTP_PUT}, {"PATCH", HTTP_PATCH}, {"DELETE", HTTP_DELETE}};
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
        if (strcmp(tab[i].name, m) == 0)
            return tab[i].m;
    return HTTP_OTHER;
}

static void free_cb(void *p)
{
    xfree(p);
}

/* Queues resp on the connection. Consumes resp's json/body. */
enum MHD_Result http__send(struct reqctx *x)
{
    struct http_resp *r = &x->resp;
    struct MHD_Response *mr;
    int status = r->status ? r->status : 200;
    const char *ctype = r->content_type;
    if (r->json) {
        buf_reset(&r->body);
        if (jsonx_dump(r->json, &r->body)) { /* only past the body cap */
            log_error("request %s: response too large", x->req.request_id);
            buf_reset(&r->body);
            status = 500;
        }
        json_decref(r->json);
        r->json = NULL;
        size_t n = buf_len(&r->body);
        mr = MHD_create_response_from_buffer_with_free_callback(n, buf_take(&r->body), free_cb);
        x->bytes_sent = n;
        ctype = "application/json; charset=utf-8";
    } else if (r->static_body) {
        mr = MHD_create_response_from_buffer(r->static_len, (void *)(uintptr_t)r->static_body,
                                             MHD_RESPMEM_PERSISTENT);
        x->bytes_sent = r->static_len;
    } else {
        size_t n = buf_len(&r->body);
        char *data = buf_take(&r->body);
        mr = MHD_create_response_from_buffer_with_free_callback(n, data, free_cb);
        x->bytes_sent = n;
    }
    if (!mr)
        return MHD_NO;
    if (ctype)
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(mr, "X-Request-Id", x->req.request_id);
    MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
    bool has_cache = false;
    for (int i = 0; i < r->n_headers; i++) {
        MHD_add_response_header(mr, r->hnames[i], r->hvalues[i]);
        if (strcasecmp(r->hnames[i], "Cache-Control") == 0)
            has_cache = true;
    }
    if (!has_cache)
        MHD_add_response_header(mr, "Cache-Control", "no-store");
    enum MHD_Result ok = MHD_queue_response(x->req.conn, (unsigned)status, mr);
    MHD_destroy_response(mr);
    x->status_sent = status;
    x->answered = true;
    return ok;
}

static enum MHD_Result early_error(struct reqctx *x, enum rc rc, const char *msg)
{
    struct err e;
    err_set(&e, rc, NULL, "%s", msg);
    http__error_response(x, rc, &e);
    return http__send(x);
}

#define MSG_OVERLOADED "服务器正在接收的请求体过多，请稍后重试"

/*
 * First callback: the head is in, no body byte has been read. Refusals of a request
 * that has a body are sent now (MHD then closes without reading it); a request
 * without one keeps its refusal for the final callback (and its keep-alive).
 */
static enum MHD_Result admit(struct http_server *s, struct reqctx *x)
{
    struct MHD_Connection *c = x->req.conn;
    const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding");
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (te && strcasecmp(te, "chunked") != 0)
        return early_error(x, RC_NOTIMPL, "不支持该 Transfer-Encoding（仅支持 chunked）");
    unsigned long long len = 0;
    if (cl) {
        char *end;
        len = strtoull(cl, &end, 10);
        if (*end || end == cl)
            return early_error(x, RC_INVALID, "Content-Length 不正确");
    }
    bool has_body = te || len > 0;
    if (http__admit(s, x)) {
        x->refused = true;
        return has_body ? http__send(x) : MHD_YES;
    }
    const struct http_route *r = x->req.route;
    buf_init(&x->body, r && r->max_body ? r->max_body : s->cfg.max_body);
    if (len > x->body.max)
        return early_error(x, RC_TOOLARGE, "请求体超过大小上限");
    x->declared = (size_t)len;
    if (len && !reserve(s, x, (size_t)len)) {
        http_resp_header(&x->req, &x->resp, "Retry-After", "5");
        return early_error(x, RC_OVERLOADED, MSG_OVERLOADED);
    }
    if (has_body)
        set_phase(x->hc, HC_BODY); /* the body and request deadlines run */
    return MHD_YES;
}

/* Body bytes: kept under the cap (and, without a Content-Length, the budget). */
static void take_body(struct http_server *s, struct reqctx *x, const char *p, size_t n)
{
    if (x->too_large || x->over_budget)
        return;
    if (x->declared) {
        /* The whole declared length is reserved: allocate it once, not by doublings. */
        if (buf_len(&x->body) == 0 && buf_reserve(&x->body, x->declared))
            x->too_large = true;
    } else if (!reserve(s, x, n)) {
        x->over_budget = true;
        return;
    }
    if (!x->too_large && buf_append(&x->body, p, n))
        x->too_large = true;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    struct http_server *s = cls;
    struct reqctx *x = *con_cls;
    (void)version;
    if (!x) {
        x = xcalloc(1, sizeof(*x));
        pool_init(&x->req.pool);
        buf_init(&x->resp.body, (size_t)64 << 20);
        x->req.conn = c;
        x->req.server = s;
        x->req.app = s->cfg.app;
        x->req.started_ns = time_mono_ns();
        x->req.method = method_of(method);
        x->req.method_name = pool_strdup(&x->req.pool, method);
        x->req.path = pool_strdup(&x->req.pool, url);
        x->req.body = "";
        x->route_idx = (int)s->cfg.n_routes; /* "unmatched" until routed */
        buf_init(&x->body, s->cfg.max_body); /* the route's cap once admitted */
        uint64_t n = __atomic_add_fetch(&s->next_id, 1, __ATOMIC_RELAXED);
        snprintf(x->req.request_id, sizeof(x->req.request_id), "%08x-%llx", s->boot_id,
                 (unsigned long long)n);
        __atomic_add_fetch(&s->in_flight, 1, __ATOMIC_ACQUIRE);
        *con_cls = x;
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        x->hc = ci ? ci->socket_context : NULL;
        if (x->hc)
            __atomic_store_n(&x->hc->request_ns, x->req.started_ns, __ATOMIC_RELAXED);
        set_phase(x->hc, HC_BUSY);
        x->note = log_note_open("%s %s %s %.200s", x->req.request_id, http_client_ip(&x->req),
                                x->req.method_name, x->req.path);
        return admit(s, x);
    }
    if (x->answered) {
        *upload_size = 0; /* a refusal is on its way; drop the rest */
        return MHD_YES;
    }
    if (x->deferred) { /* called again once http_resume resumed the connection */
        if (!__atomic_load_n(&x->resumed, __ATOMIC_ACQUIRE))
            return MHD_YES;
        if (x->defer_rc)
            http__deferred_error(x);
        return http__send(x);
    }
    if (*upload_size) {
        int64_t age = time_mono_ns() - x->req.started_ns;
        size_t n = *upload_size;
        *upload_size = 0;
        if (age > (int64_t)s->cfg.request_timeout_s * 1000000000LL) {
            x->status_sent = 408; /* for the access log and metrics: nothing can be sent */
            return MHD_NO;
        }
        if (x->hc)
            __atomic_store_n(&x->hc->progress_ns, time_mono_ns(), __ATOMIC_RELAXED);
        take_body(s, x, upload_data, n);
        return MHD_YES;
    }
    set_phase(x->hc, HC_BUSY); /* the whole request is in */
    if (x->refused)
        return http__send(x);
    if (x->too_large)
        return early_error(x, RC_TOOLARGE, "请求体超过大小上限");
    if (x->over_budget) {
        http_resp_header(&x->req, &x->resp, "Retry-After", "5");
        return early_error(x, RC_OVERLOADED, MSG_OVERLOADED);
    }
    x->req.body = buf_str(&x->body);
    x->req.body_len = buf_len(&x->body);
    http__dispatch(s, x);
    if (x->defer_start) {
        x->deferred = true;
        __atomic_add_fetch(&s->n_suspended, 1, __ATOMIC_ACQ_REL);
        MHD_suspend_connection(c);
        x->defer_start(x->defer_arg, (struct http_later *)(void *)x);
        return MHD_YES;
    }
    return http__send(x);
}

void http_defer(struct http_req *req, void (*start)(void *arg, struct http_later *later), void *arg)
{
    struct reqctx *x = (struct reqctx *)(void *)req; /* req is its first member */
    assert(!x->defer_start && start);
    x->defer_start = start;
    x->defer_arg = arg;
}

void http_resume(struct http_later *later, enum rc rc)
{
    http_resume_err(later, rc, NULL);
}

void http_resume_err(struct http_later *later, enum rc rc, const struct err *e)
{
    struct reqctx *x = (struct reqctx *)(void *)later;
    struct http_server *s = x->req.server;
    struct MHD_Connection *conn = x->req.conn; /* NULL: an in-process request (fuzzer) */
    assert(x->deferred);
    x->defer_rc = rc;
    if (rc && e)
        x->defer_err = *e;
    __atomic_store_n(&x->resumed, true, __ATOMIC_RELEASE);
    /* From here on x may be answered and freed by the connection's thread. */
    if (conn)
        MHD_resume_connection(conn);
    __atomic_sub_fetch(&s->n_suspended, 1, __ATOMIC_ACQ_REL);
}

static enum rc parse_listen(const char *listen, struct sockaddr_in *sa, struct err *e)
{
    char host[64];
    const char *colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= sizeof(host))
        return err_set(e, RC_INVALID, "listen", "监听地址应为 IP:端口，例如 127.0.0.1:8080");
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535 || colon[1] == '\0')
        return err_set(e, RC_INVALID, "listen", "端口号不正确：%s", colon + 1);
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof(host), "127.0.0.1");
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        return err_set(e, RC_INVALID, "listen", "IP 地址不正确：%s", host);
    return RC_OK;
}

/*
 * Percent-decodes the path and query arguments like MHD's default, except that a
 * decoded NUL (%00) becomes 0xFF: a NUL would silently cut the C string short
 * ("/orgs/A%00B" served as "/orgs/A"), while 0xFF fails the router's UTF-8 check.
 */
static size_t unescape_no_nul(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls, (void)c;
    size_t n = MHD_http_unescape(s);
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\0')
            s[i] = (char)0xFF;
    return n;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof(line), fmt, ap);
    size_t n = strlen(line);
    if (n && line[n - 1] == '\n')
        line[n - 1] = '\0';
    log_warn("mhd: %s", line);
}

enum rc http_start(const struct http_config *cfg, struct http_server **out, struct err *e)
{
    struct http_server *s = xcalloc(1, sizeof(*s));
    s->cfg = *cfg;
    if (!s->cfg.threads)
        s->cfg.threads = 4;
    if (!s->cfg.max_body)
        s->cfg.max_body = (size_t)1 << 20;
    if (!s->cfg.max_body_inflight)
        s->cfg.max_body_inflight = (size_t)512 << 20;
    if (!s->cfg.max_header)
        s->cfg.max_header = 16 * 1024;
    if (!s->cfg.max_json_depth)
        s->cfg.max_json_depth = 64;
    if (!s->cfg.conn_timeout_s)
        s->cfg.conn_timeout_s = 30;
    if (!s->cfg.request_timeout_s)
        s->cfg.request_timeout_s = 60;
    if (!s->cfg.header_timeout_s)
        s->cfg.header_timeout_s = 15;
    if (!s->cfg.body_timeout_s)
        s->cfg.body_timeout_s = 15;
    if (!s->cfg.max_conns)
        s->cfg.max_conns = 1000;
    if (!s->cfg.max_conns_per_ip)
        s->cfg.max_conns_per_ip = 400;
    if (!s->cfg.drain_timeout_s)
        s->cfg.drain_timeout_s = 30;
    s->counts = xcalloc((cfg->n_routes + 1) * HTTP_N_STATUS, sizeof(uint64_t));
    s->boot_id = (unsigned)(time_now_ms() & 0xffffffff);
    pthread_mutex_init(&s->conns_mu, NULL);
    pthread_cond_init(&s->reap_cv, NULL);
    struct sockaddr_in sa;
    enum rc rc = parse_listen(cfg->listen ? cfg->listen : "127.0.0.1:8080", &sa, e);
    if (rc)
        goto fail;
    /* MHD's pool per connection holds the request head; a bigger head gets 431. The
     * limits on connections are on_accept's (which can evict idle ones); MHD's own limit
     * is only a backstop for connections being closed meanwhile. */
    size_t mem_limit = s->cfg.max_header + 16 * 1024;
    s->d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
            MHD_ALLOW_SUSPEND_RESUME, /* ITC included: a resumed connection wakes its thread */
        0, on_accept, s, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
        NULL, /* first, or MHD warns */
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, s->cfg.threads,
        MHD_OPTION_CONNECTION_TIMEOUT, s->cfg.conn_timeout_s, MHD_OPTION_CONNECTION_LIMIT,
        s->cfg.max_conns + 64, MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem_limit,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
        s, MHD_OPTION_UNESCAPE_CALLBACK, unescape_no_nul, NULL, MHD_OPTION_LISTEN_BACKLOG_SIZE,
        1024, MHD_OPTION_END);
    if (!s->d) {
        /* bind()'s errno survives MHD's clean-up; say what to do in both languages. */
        int err = errno;
        const char *where = cfg->listen ? cfg->listen : "127.0.0.1:8080";
        if (err == EADDRINUSE)
            rc = err_set(
                e, RC_IO, "listen",
                "端口已被占用，无法在 %s 上监听 (address already in use)；请停止占用该端口的"
                "程序，或换一个端口：--listen 127.0.0.1:8081（make run 时 "
                "QIFU_LISTEN=127.0.0.1:8081）",
                where);
        else
            rc = err_set(e, RC_IO, "listen", "无法在 %s 上监听（%s）(cannot listen)", where,
                         err ? strerror(err) : "端口被占用或无权限");
        goto fail;
    }
    s->reaping = pthread_create(&s->reaper, NULL, reap_run, s) == 0;
    if (!s->reaping)
        log_warn("http: no reaper thread; only the idle time-out closes slow connections");
    log_fatal_init(); /* a crash still writes the buffered lines and names the requests */
    if (s->cfg.access_log && log_buffer_start())
        log_warn("access log: no flusher thread, writing each line at once");
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : ntohs(sa.sin_port);
    *out = s;
    return RC_OK;
fail:
    pthread_cond_destroy(&s->reap_cv);
    pthread_mutex_destroy(&s->conns_mu);
    xfree(s->counts);
    xfree(s);
    return rc;
}

unsigned http_port(const struct http_server *s)
{
    return s->port;
}

int http_stop(struct http_server *s)
{
    if (!s)
        return 0;
    /* New connections are refused from now on (shutdown stops a listening socket), but the
     * descriptor stays open until MHD has stopped: its polling thread may still take the
     * socket out of its epoll set, and a closed descriptor there is EBADF, which MHD treats
     * as fatal ("Failed to remove listen FD from epoll set", an abort at stop). */
    MHD_socket fd = MHD_quiesce_daemon(s->d);
    if (fd != MHD_INVALID_SOCKET)
        shutdown(fd, SHUT_RDWR);
    int64_t until = time_mono_ns() + (int64_t)s->cfg.drain_timeout_s * 1000000000LL;
    while (__atomic_load_n(&s->in_flight, __ATOMIC_ACQUIRE) > 0 && time_mono_ns() < until)
        usleep(10000);
    int left = (int)__atomic_load_n(&s->in_flight, __ATOMIC_ACQUIRE);
    /* MHD aborts when stopped with a connection still suspended: a deferred request is
     * waiting for a disk sync, which ends (with an error if need be), so wait for it. */
    for (int64_t n; (n = __atomic_load_n(&s->n_suspended, __ATOMIC_ACQUIRE)) > 0;) {
        if (time_mono_ns() > until) {
            log_warn("http: waiting for %lld deferred requests before stopping", (long long)n);
            until = time_mono_ns() + 5000000000LL;
        }
        usleep(10000);
    }
    if (s->reaping) {
        pthread_mutex_lock(&s->conns_mu);
        s->reap_stop = true;
        pthread_cond_signal(&s->reap_cv);
        pthread_mutex_unlock(&s->conns_mu);
        pthread_join(s->reaper, NULL);
    }
    MHD_stop_daemon(s->d);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    if (s->cfg.access_log)
        log_buffer_stop();
    pthread_cond_destroy(&s->reap_cv);
    pthread_mutex_destroy(&s->conns_mu);
    xfree(s->counts);
    xfree(s);
    return left;
}

enum rc http_metrics(const struct http_server *s, struct buf *b)
{
    enum rc rc = buf_puts(b, "# HELP qifu_http_requests_total HTTP requests by route and status.\n"
                             "# TYPE qifu_http_requests_total counter\n");
    for (size_t r = 0; r <= s->cfg.n_routes && !rc; r++) {
        for (int k = 0; k < HTTP_N_STATUS && !rc; k++) {
            uint64_t v =
                __atomic_load_n(&s->counts[r * HTTP_N_STATUS + (size_t)k], __ATOMIC_RELAXED);
            if (!v)
                continue;
            char status[8];
            if (status_list[k])
                snprintf(status, sizeof(status), "%d", status_list[k]);
            else
                snprintf(status, sizeof(status), "other");
            if (r == s->cfg.n_routes)
                rc = buf_printf(
                    b, "qifu_http_requests_total{route=\"unmatched\",status=\"%s\"} %llu\n", status,
                    (unsigned long long)v);
            else
                rc = buf_printf(b, "qifu_http_requests_total{route=\"%s %s\",status=\"%s\"} %llu\n",
                                http__method_name(s->cfg.routes[r].method),
                                s->cfg.routes[r].pattern, status, (unsigned long long)v);
        }
    }
    if (!rc)
        rc = buf_puts(b, "# HELP qifu_http_request_duration_seconds Time from request head to "
                         "response queued.\n# TYPE qifu_http_request_duration_seconds histogram\n");
    for (int i = 0; i < HTTP_N_BUCKETS && !rc; i++)
        rc = buf_printf(b, "qifu_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                        bucket_le[i],
                        (unsigned long long)__atomic_load_n(&s->buckets[i], __ATOMIC_RELAXED));
    uint64_t n = __atomic_load_n(&s->n_requests, __ATOMIC_RELAXED);
    if (!rc)
        rc = buf_printf(
            b,
            "qifu_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
            "qifu_http_request_duration_seconds_sum %.6f\n"
            "qifu_http_request_duration_seconds_count %llu\n"
            "# HELP qifu_http_open_connections Open client connections.\n"
            "# TYPE qifu_http_open_connections gauge\n"
            "qifu_http_open_connections %lld\n"
            "# HELP qifu_http_in_flight_requests Requests being served.\n"
            "# TYPE qifu_http_in_flight_requests gauge\n"
            "qifu_http_in_flight_requests %lld\n"
            "# HELP qifu_http_body_bytes_in_flight Request body bytes reserved.\n"
            "# TYPE qifu_http_body_bytes_in_flight gauge\n"
            "qifu_http_body_bytes_in_flight %llu\n",
            (unsigned long long)n, (double)__atomic_load_n(&s->sum_us, __ATOMIC_RELAXED) / 1e6,
            (unsigned long long)n, (long long)__atomic_load_n(&s->open_conns, __ATOMIC_RELAXED),
            (long long)__atomic_load_n(&s->in_flight, __ATOMIC_RELAXED),
            (unsigned long long)__atomic_load_n(&s->body_bytes, __ATOMIC_RELAXED));
    static const char *const cut_names[HTTP_N_CUTS] = {"header", "body", "request", "evicted"};
    if (!rc)
        rc = buf_puts(b, "# HELP qifu_http_connections_cut_total Connections the server closed "
                         "itself: a deadline passed, or evicted to make room.\n"
                         "# TYPE qifu_http_connections_cut_total counter\n");
    for (int i = 0; i < HTTP_N_CUTS && !rc; i++)
        rc = buf_printf(b, "qifu_http_connections_cut_total{reason=\"%s\"} %llu\n", cut_names[i],
                        (unsigned long long)__atomic_load_n(&s->n_cut[i], __ATOMIC_RELAXED));
    return rc;
}
