/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loadgen: a small HTTP/1.1 keep-alive load generator for bench/demands.sh.
 *
 * One thread drives C connections with epoll, each connection a state machine that
 * sends one request, reads the whole response (Content-Length) and sends the next, so
 * the client spends little CPU per request and the figure measures the server. It stops
 * after N requests or S seconds, whichever comes first, and prints one line:
 *
 *   LOADGEN n=N ok=K bad=B secs=S rps=R p50_ms=X p99_ms=Y status=200:K,...
 *
 * where ok counts responses with the expected status (-s) and rps = ok / secs.
 *
 *   loadgen -p PORT [-c CONNS] [-n MAX] [-d SECONDS] [-m METHOD] -u PATH | -P PATHFILE
 *           [-H 'Name: value']... [-b BODY | -B BODYFILE] [-s STATUS] [-r LO:HI]
 *           [-l LOGFILE] [-t LATFILE] [-w WARM]
 *
 * Templates: in PATH, header values and BODY, "{seq}" becomes a number unique to the
 * request within this run (1, 2, ...; add -q OFFSET), and "{id}" a pseudo-random
 * integer in [LO, HI] (-r). -P and -B read the paths or bodies from a file, one per
 * line (templates allowed): the n-th request sent uses line ((n - 1) mod lines), so a
 * run can walk a list of resources or create differing documents in order. With -l,
 * each response is logged as "seq status body" (one line; the body with newlines
 * removed), which lets a caller check what was acknowledged; with -t, the latency of
 * each response in ms, one per line, in completion order (for percentiles over several
 * runs). With -w, the first WARM responses of each connection are checked and counted
 * but left out of the latencies (-t and p50/p99): a new TCP connection's first transfers
 * of megabytes wait for both ends' buffers to grow. Responses may be up to RESP_MAX bytes
 * (the buffer grows from RESP_CAP).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEADERS 16
#define MAX_CONNS 1024
#define REQ_CAP 65536
#define RESP_CAP (1 << 22)
#define RESP_MAX (1 << 28)
#define MAX_SAMPLES 4000000

struct opts {
    int port, conns, status;
    long long max_n, seq_offset;
    double secs;
    const char *method, *path, *body, *log, *lat_file;
    char **paths, **bodies; /* -P, -B: one template per line */
    size_t n_paths, n_bodies;
    const char *headers[MAX_HEADERS];
    int n_headers;
    long long id_lo, id_hi;
    long long warm; /* -w: responses per connection left out of the latencies */
};

struct cn {
    int fd;
    char req[REQ_CAP];
    size_t req_len, req_off;
    char *resp; /* resp_cap + 1 bytes */
    size_t resp_len, resp_cap;
    long long seq;
    double sent_at;
    bool busy;
    long long n_resp; /* responses received on this connection */
};

static struct opts o = {.conns = 8, .status = 200, .max_n = 1000000, .secs = 10, .method = "GET"};
static uint64_t rng = 88172645463325252ULL;
static long long n_sent, n_done, n_ok, n_bad;
static long long by_status[600];
static double *lat;
static long long n_lat;
static FILE *log_out;

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "loadgen: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Appends template t to out (at *n, cap REQ_CAP) with {seq} and {id} replaced. */
static void expand(char *out, size_t *n, const char *t, long long seq, long long id)
{
    for (const char *p = t; *p;) {
        int w = 0;
        if (strncmp(p, "{seq}", 5) == 0)
            w = snprintf(out + *n, REQ_CAP - *n, "%lld", seq), p += 5;
        else if (strncmp(p, "{id}", 4) == 0)
            w = snprintf(out + *n, REQ_CAP - *n, "%lld", id), p += 4;
        else if (*n + 1 < REQ_CAP)
            out[(*n)++] = *p++, w = 0;
        else
            die("request larger than %d bytes", REQ_CAP);
        if (w < 0 || *n + (size_t)w >= REQ_CAP)
            die("request larger than %d bytes", REQ_CAP);
        *n += (size_t)w;
    }
}

/* Reads the lines of path (without their newlines; empty lines skipped) into *out. */
static size_t read_lines(const char *path, char ***out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        die("cannot read %s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0, n = 0, room = 0;
    char **v = NULL;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (!len)
            continue;
        if (n == room) {
            room = room ? room * 2 : 64;
            if (!(v = realloc(v, room * sizeof(*v)))) /* lint:allow-realloc (bench tool) */
                die("out of memory");
        }
        if (!(v[n++] = strdup(line)))
            die("out of memory");
    }
    free(line); /* lint:allow-free (bench tool) */
    fclose(f);
    if (!n)
        die("%s has no lines", path);
    *out = v;
    return n;
}

static void build_request(struct cn *c)
{
    long long k = n_sent; /* 0-based: the line of -P and -B */
    long long seq = ++n_sent + o.seq_offset;
    const char *path = o.paths ? o.paths[(size_t)k % o.n_paths] : o.path;
    const char *tbody = o.bodies ? o.bodies[(size_t)k % o.n_bodies] : o.body;
    long long id = o.id_hi >= o.id_lo && o.id_hi > 0
                       ? o.id_lo + (long long)(next_rand() % (uint64_t)(o.id_hi - o.id_lo + 1))
                       : 0;
    char body[REQ_CAP];
    size_t blen = 0;
    if (tbody)
        expand(body, &blen, tbody, seq, id);
    size_t n = 0;
    expand(c->req, &n, o.method, seq, id);
    expand(c->req, &n, " ", seq, id);
    expand(c->req, &n, path, seq, id);
    expand(c->req, &n, " HTTP/1.1\r\nHost: 127.0.0.1\r\n", seq, id);
    for (int i = 0; i < o.n_headers; i++) {
        expand(c->req, &n, o.headers[i], seq, id);
        expand(c->req, &n, "\r\n", seq, id);
    }
    if (tbody) {
        char cl[96];
        snprintf(cl, sizeof(cl), "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                 blen);
        expand(c->req, &n, cl, seq, id);
    }
    expand(c->req, &n, "\r\n", seq, id);
    if (n + blen >= REQ_CAP)
        die("request larger than %d bytes", REQ_CAP);
    memcpy(c->req + n, body, blen);
    c->req_len = n + blen;
    c->req_off = 0;
    c->resp_len = 0;
    c->seq = seq;
    c->busy = true;
}

static int open_conn(int ep, struct cn *c)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        die("socket: %s", strerror(errno));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o.port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        die("connect to 127.0.0.1:%d: %s", o.port, strerror(errno));
    c->n_resp = 0;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->fd = fd;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
        die("epoll_ctl: %s", strerror(errno));
    return fd;
}

static void send_all(struct cn *c)
{
    while (c->req_off < c->req_len) {
        ssize_t w = send(c->fd, c->req + c->req_off, c->req_len - c->req_off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            die("send: %s", w < 0 ? strerror(errno) : "connection closed");
        c->req_off += (size_t)w;
    }
}

/* Returns the total length of a complete response in c->resp, or 0 if incomplete. */
static size_t complete(struct cn *c, int *status, bool *close_after, size_t *body_off)
{
    c->resp[c->resp_len] = '\0';
    char *end = strstr(c->resp, "\r\n\r\n");
    if (!end)
        return 0;
    *status = atoi(c->resp + 9);
    long long len = -1;
    *close_after = false;
    for (char *line = strstr(c->resp, "\r\n") + 2; line < end; line = strstr(line, "\r\n") + 2) {
        if (strncasecmp(line, "Content-Length:", 15) == 0)
            len = atoll(line + 15);
        else if (strncasecmp(line, "Connection:", 11) == 0 && strstr(line, "close") &&
                 strstr(line, "close") < strstr(line, "\r\n"))
            *close_after = true;
        else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0)
            die("chunked responses are not supported");
    }
    if (len < 0)
        die("response without Content-Length");
    *body_off = (size_t)(end + 4 - c->resp);
    size_t total = *body_off + (size_t)len;
    return c->resp_len >= total ? total : 0;
}

static void log_response(const struct cn *c, int status, size_t body_off, size_t total)
{
    fprintf(log_out, "%lld %d ", c->seq, status);
    for (size_t i = body_off; i < total; i++)
        if (c->resp[i] != '\n' && c->resp[i] != '\r')
            fputc(c->resp[i], log_out);
    fputc('\n', log_out);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void usage(void)
{
    die("usage: loadgen -p PORT [-c CONNS] [-n MAX] [-d SECONDS] [-m METHOD] -u PATH | -P PATHFILE "
        "[-H 'Name: value']... [-b BODY | -B BODYFILE] [-s STATUS] [-r LO:HI] [-q SEQ_OFFSET] "
        "[-l LOG] [-t LATFILE] [-w WARM]");
}

int main(int argc, char **argv)
{
    int ch;
    while ((ch = getopt(argc, argv, "p:c:n:d:m:u:H:b:s:r:q:l:P:B:t:w:")) != -1) {
        switch (ch) {
        case 'p': o.port = atoi(optarg); break;
        case 'c': o.conns = atoi(optarg); break;
        case 'n': o.max_n = atoll(optarg); break;
        case 'd': o.secs = atof(optarg); break;
        case 'm': o.method = optarg; break;
        case 'u': o.path = optarg; break;
        case 'b': o.body = optarg; break;
        case 's': o.status = atoi(optarg); break;
        case 'q': o.seq_offset = atoll(optarg); break;
        case 'l': o.log = optarg; break;
        case 't': o.lat_file = optarg; break;
        case 'w': o.warm = atoll(optarg); break;
        case 'P': o.n_paths = read_lines(optarg, &o.paths); break;
        case 'B': o.n_bodies = read_lines(optarg, &o.bodies); break;
        case 'r':
            if (sscanf(optarg, "%lld:%lld", &o.id_lo, &o.id_hi) != 2 || o.id_hi < o.id_lo)
                usage();
            break;
        case 'H':
            if (o.n_headers == MAX_HEADERS)
                die("at most %d headers", MAX_HEADERS);
            o.headers[o.n_headers++] = optarg;
            break;
        default: usage();
        }
    }
    if (o.port <= 0 || (!o.path && !o.paths) || o.conns < 1 || o.conns > MAX_CONNS || o.max_n < 1 ||
        o.secs <= 0)
        usage();
    if (o.log && !(log_out = fopen(o.log, "w")))
        die("cannot write %s: %s", o.log, strerror(errno));
    lat = calloc(MAX_SAMPLES, sizeof(double));
    struct cn *cs = calloc((size_t)o.conns, sizeof(*cs));
    if (!lat || !cs)
        die("out of memory");
    int ep = epoll_create1(0);
    if (ep < 0)
        die("epoll_create1: %s", strerror(errno));
    /* The response buffers are touched before the clock starts: a first response into
     * fresh memory costs the client one page fault per 4 KiB (~20 us each on this virtual
     * machine, ~14 ms for a 2.8 MB answer), which is the client's cost, not the server's. */
    for (int i = 0; i < o.conns; i++) {
        if (!(cs[i].resp = malloc(RESP_CAP + 1))) /* lint:allow-malloc (bench tool) */
            die("out of memory");
        memset(cs[i].resp, 0, RESP_CAP + 1);
        cs[i].resp_cap = RESP_CAP;
    }
    double start = now_s(), stop_at = start + o.secs;
    for (int i = 0; i < o.conns; i++) {
        open_conn(ep, &cs[i]);
        if (n_sent < o.max_n) {
            build_request(&cs[i]);
            cs[i].sent_at = now_s();
            send_all(&cs[i]);
        }
    }
    int in_flight = 0;
    for (int i = 0; i < o.conns; i++)
        in_flight += cs[i].busy;
    struct epoll_event evs[64];
    while (in_flight > 0) {
        int n = epoll_wait(ep, evs, 64, 1000);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            die("epoll_wait: %s", strerror(errno));
        double t = now_s();
        if (n == 0 && t > stop_at + 30)
            die("no response for 30 s past the end of the run");
        for (int k = 0; k < n; k++) {
            struct cn *c = evs[k].data.ptr;
            if (c->resp_len == c->resp_cap) { /* a large response: grow the buffer */
                if (c->resp_cap >= RESP_MAX)
                    die("response larger than %d bytes", RESP_MAX);
                c->resp_cap *= 2;
                c->resp = realloc(c->resp, c->resp_cap + 1); /* lint:allow-realloc (bench tool) */
                if (!c->resp)
                    die("out of memory");
            }
            ssize_t r = recv(c->fd, c->resp + c->resp_len, c->resp_cap - c->resp_len, 0);
            if (r < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (r <= 0)
                die("connection closed by the server after %lld responses", n_done);
            c->resp_len += (size_t)r;
            int status = 0;
            bool close_after = false;
            size_t body_off = 0, total = complete(c, &status, &close_after, &body_off);
            if (!total)
                continue;
            t = now_s();
            n_done++;
            if (c->n_resp++ >= o.warm && n_lat < MAX_SAMPLES)
                lat[n_lat++] = t - c->sent_at;
            if (status == o.status)
                n_ok++;
            else
                n_bad++;
            if (status > 0 && status < 600)
                by_status[status]++;
            if (log_out)
                log_response(c, status, body_off, total);
            c->busy = false;
            in_flight--;
            if (close_after) {
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                open_conn(ep, c);
            }
            if (n_sent < o.max_n && t < stop_at) {
                build_request(c);
                c->sent_at = t;
                send_all(c);
                in_flight++;
            }
        }
    }
    double secs = now_s() - start;
    if (o.lat_file) {
        FILE *f = fopen(o.lat_file, "w");
        if (!f)
            die("cannot write %s: %s", o.lat_file, strerror(errno));
        for (long long i = 0; i < n_lat; i++)
            fprintf(f, "%.4f\n", lat[i] * 1e3);
        if (fclose(f) != 0)
            die("cannot write %s", o.lat_file);
    }
    qsort(lat, (size_t)n_lat, sizeof(double), cmp_double);
    double p50 = n_lat ? lat[n_lat / 2] : 0, p99 = n_lat ? lat[(n_lat * 99) / 100] : 0;
    printf("LOADGEN n=%lld ok=%lld bad=%lld secs=%.3f rps=%.0f p50_ms=%.2f p99_ms=%.2f status=",
           n_done, n_ok, n_bad, secs, secs > 0 ? (double)n_ok / secs : 0.0, p50 * 1e3, p99 * 1e3);
    bool first = true;
    for (int s = 0; s < 600; s++)
        if (by_status[s]) {
            printf("%s%d:%lld", first ? "" : ",", s, by_status[s]);
            first = false;
        }
    printf("\n");
    if (log_out)
        fclose(log_out);
    for (int i = 0; i < o.conns; i++) {
        close(cs[i].fd);
        free(cs[i].resp); /* lint:allow-free (bench tool) */
    }
    free(cs);  /* lint:allow-free (bench tool) */
    free(lat); /* lint:allow-free (bench tool) */
    close(ep);
    return n_bad ? 1 : 0;
}
