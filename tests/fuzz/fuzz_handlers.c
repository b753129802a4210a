/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_handlers: libFuzzer target for the router and every handler, in process. Each
 * input becomes one request, dispatched by http__dispatch exactly as server.c does once a
 * request's body has arrived: the route table of api_routes_for, the authentication hook
 * (sessions by Bearer token or cookie with or without the CSRF header, an API key), the
 * role check, body parsing and the handler, then the JSON answer is serialised like
 * http__send does. No socket: the request carries its query arguments, headers and
 * cookies as a list (struct http__kv) that router.c's accessors read when there is no
 * MHD connection (docs/internals/http.md).
 *
 * The store is a real SQLite database in a temporary directory (under /dev/shm when
 * it exists). LLVMFuzzerInitialize migrates a template database, loads the `qifu demo`
 * data with main.c's own cmd_demo, creates an API key and logs in one session per
 * role; every RESET_EVERY executions the working database is replaced by a copy of the
 * template, so the store stays small and the sessions valid.
 *
 * Input: byte 0 picks the route, byte 1 the principal (low 3 bits: anonymous,
 * enterprise, clerk, handler, supervisor, policy_officer, admin, API key; bit 3: the
 * session as a cookie; bit 4: no X-CSRF-Token; bit 5: no default Content-Type), byte 2
 * the method (below 224: the route's own). Then lines, up to an empty line:
 *   P<value>        the next {x} segment of the route's pattern (default "1")
 *   Q<name>=<value> a query argument          H<name>:<value> a header
 *   C<name>=<value> a cookie                  U<path>         the path, instead of the route's
 * and the rest is the body (Content-Type: application/json unless bit 5 or an H line).
 */
#include <stdint.h>

/* cmd_demo of main.c is the demo data loader (`qifu demo`); main itself is not used. */
#define main qifu_main_unused
int qifu_main_unused(int argc, char **argv);
#include "../../src/main.c"
#undef main

#include "http/http_int.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);
static void warm_up(void);

#define RESET_EVERY 4096
#define MAX_KV 32
#define N_USERS 6

static const char *const user_names[N_USERS] = {"enterprise", "clerk",   "handler",
                                                "supervisor", "officer", "admin"};

static struct {
    char dir[64];
    char tmpl[96], work[96], url[112];
    char token[N_USERS][SEC_TOKEN_LEN + 1];
    char csrf[N_USERS][96];
    char tmpl_token[N_USERS][SEC_TOKEN_LEN + 1]; /* the template's sessions */
    char tmpl_csrf[N_USERS][96];
    char apikey[64];
    struct app app;
    struct http_server srv;
    struct http_route *routes;
    size_t n_routes;
    unsigned long execs;
    bool verbose;
} F;

static void die(const char *what, const struct err *e)
{
    fprintf(stderr, "fuzz_handlers: %s: %s\n", what, e ? e->msg : "");
    abort();
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    if (!in || !out)
        die("copy the template database", NULL);
    char b[65536];
    size_t n;
    while ((n = fread(b, 1, sizeof(b), in)) > 0)
        if (fwrite(b, 1, n, out) != n)
            die("copy the template database", NULL);
    fclose(in);
    if (fclose(out))
        die("copy the template database", NULL);
}

static void remove_db(const char *path)
{
    char p[128];
    unlink(path);
    snprintf(p, sizeof(p), "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    unlink(p);
}

/* Opens the app on a fresh copy of the template, like cmd_serve does (no runner). */
static void app_open(void)
{
    struct err e;
    err_clear(&e);
    remove_db(F.work);
    copy_file(F.tmpl, F.work);
    memcpy(F.token, F.tmpl_token, sizeof(F.token));
    memcpy(F.csrf, F.tmpl_csrf, sizeof(F.csrf));
    struct conn *c;
    memset(&F.app, 0, sizeof(F.app));
    F.app.session_ttl_ms = 12 * 3600 * 1000LL;
    F.app.max_attachment = DEMAND_ATTACH_MAX_BYTES_DEFAULT;
    if (store_open(F.url, 4, &F.app.db, &e) || store_migrate(F.app.db, NULL, &e))
        die("open the store", &e);
    if (store_acquire(F.app.db, &c, &e))
        die("acquire", &e);
    if (ent_catalog_load(c, &F.app.cat, &e))
        die("load the catalogue", &e);
    store_release(c);
    if (calendar_holder_new(F.app.db, CALENDAR_CHECK_MS, &F.app.calendar, &e) ||
        policy_holder_new(F.app.db, F.app.cat, POLICY_CHECK_MS, &F.app.policies, &e))
        die("load the calendar and policies", &e);
    F.app.srv = &F.srv;
    F.routes = api_routes_for(&F.app, &F.n_routes);
    memset(&F.srv, 0, sizeof(F.srv));
    F.srv.cfg = (struct http_config){.routes = F.routes,
                                     .n_routes = F.n_routes,
                                     .auth = api_authenticate,
                                     .app = &F.app,
                                     .fallback = api_web,
                                     .max_body = (size_t)1 << 20,
                                     .max_json_depth = 64};
    F.srv.counts = xcalloc((F.n_routes + 1) * HTTP_N_STATUS, sizeof(uint64_t));
}

static void app_close(void)
{
    policy_holder_free(F.app.policies);
    calendar_holder_free(F.app.calendar);
    ent_catalog_free(F.app.cat);
    store_close(F.app.db);
    xfree(F.routes);
    xfree(F.srv.counts);
}

/* Opens a session of user u in db (a month long) into F.token[u] and F.csrf[u]. */
static void login(struct store *db, int u)
{
    struct err e;
    struct pool pool;
    struct principal p;
    int retry = 0;
    err_clear(&e);
    pool_init(&pool);
    if (auth_login(db, user_names[u], "demo", 30 * 86400 * 1000LL, "127.0.0.1", &pool, F.token[u],
                   &p, &retry, &e))
        die("log in", &e);
    F.token[u][SEC_TOKEN_LEN] = '\0';
    snprintf(F.csrf[u], sizeof(F.csrf[u]), "%s", p.csrf ? p.csrf : "");
    pool_clear(&pool);
}

/* At exit: the temporary databases go (the store may still be open; Linux allows it). */
static void remove_dir(void)
{
    remove_db(F.work);
    remove_db(F.tmpl);
    rmdir(F.dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    setenv("QIFU_FAST_HASH", "1", 1);
    F.verbose = getenv("QIFU_FUZZ_VERBOSE") != NULL;
    if (sec_init())
        die("libsodium", NULL);
    log_set_level(LOG_ERROR);
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(F.dir, sizeof(F.dir), "%s/qifu-fuzz-XXXXXX", base);
    if (!mkdtemp(F.dir))
        die("mkdtemp", NULL);
    snprintf(F.tmpl, sizeof(F.tmpl), "%s/template.db", F.dir);
    snprintf(F.work, sizeof(F.work), "%s/work.db", F.dir);
    atexit(remove_dir);
    char url[112];
    snprintf(url, sizeof(url), "sqlite:%s", F.tmpl);
    /* The demo data, through the command itself. */
    struct opts o = {.db = url};
    if (cmd_demo(&o) != 0)
        die("qifu demo", NULL);
    /* One session per user role (a month long) and an API key, in the template. */
    struct err e;
    err_clear(&e);
    struct store *db;
    struct conn *c;
    if (store_open(url, 1, &db, &e))
        die("open the template", &e);
    for (int i = 0; i < N_USERS; i++)
        login(db, i);
    if (store_acquire(db, &c, &e))
        die("open the template", &e);
    memcpy(F.tmpl_token, F.token, sizeof(F.token));
    memcpy(F.tmpl_csrf, F.csrf, sizeof(F.csrf));
    struct audit_actor who = cli_actor();
    if (auth_apikey_create(c, &who, "fuzz", "340800-QFZX", F.apikey, &e))
        die("create an API key", &e);
    store_release(c);
    store_close(db);
    snprintf(F.url, sizeof(F.url), "sqlite:%s", F.work);
    app_open();
    warm_up();
    return 0;
}

/* Copies n bytes of s into the pool as a C string; a NUL becomes 0xFF like server.c's
 * unescape callback does for the path and arguments. */
static char *dup_nonul(struct pool *p, const char *s, size_t n)
{
    char *d = pool_strndup(p, s, n);
    for (size_t i = 0; i < n; i++)
        if (d[i] == '\0')
            d[i] = (char)0xFF;
    return d;
}

/* Splits "name<sep>value" into pool copies; false when sep is missing. */
static bool split(struct pool *p, const char *s, size_t n, char sep, struct http__kv *kv)
{
    const char *m = memchr(s, sep, n);
    if (!m)
        return false;
    kv->name = dup_nonul(p, s, (size_t)(m - s));
    const char *v = m + 1;
    size_t vn = n - (size_t)(v - s);
    if (sep == ':' && vn && *v == ' ')
        v++, vn--;
    kv->value = dup_nonul(p, v, vn);
    return true;
}

/* Builds the path of route r with the P values (default "1"). */
static const char *route_path(struct pool *p, const struct http_route *r, char **pv, int n_pv)
{
    struct buf b;
    buf_init(&b, 8192);
    int k = 0;
    for (const char *s = r->pattern; *s;) {
        if (*s == '{') {
            const char *close = strchr(s, '}');
            (void)buf_puts(&b, k < n_pv ? pv[k] : "1");
            k++;
            s = close ? close + 1 : s + strlen(s);
            continue;
        }
        (void)buf_append(&b, s, 1);
        s++;
    }
    char *out = pool_strdup(p, buf_str(&b));
    buf_cleanup(&b);
    return out;
}

static void serve_one(const uint8_t *data, size_t n)
{
    static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "TRACE"};
    struct reqctx *x = xcalloc(1, sizeof(*x));
    struct http_req *req = &x->req;
    pool_init(&req->pool);
    buf_init(&x->resp.body, (size_t)64 << 20);
    const struct http_route *r = &F.routes[data[0] % F.n_routes];
    unsigned who = data[1] & 7;
    bool cookie = data[1] & 8, no_csrf = data[1] & 16, no_ctype = data[1] & 32;
    req->method = data[2] < 224 ? r->method : (enum http_method)(data[2] % 7);
    req->method_name = req->method == HTTP_OTHER ? methods[6] : methods[req->method];
    const char *s = (const char *)data + 3, *end = (const char *)data + n;

    struct http__kv *kv = pool_alloc(&req->pool, sizeof(*kv) * (MAX_KV + 4));
    size_t n_kv = 0;
    char *pv[HTTP_MAX_PARAMS + 2];
    int n_pv = 0;
    const char *path = NULL;
    bool has_ctype = false;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
        const char *next = nl ? nl + 1 : end;
        if (len == 0) {
            s = next;
            break;
        }
        struct http__kv one;
        switch (*s) {
        case 'P':
            if (n_pv < HTTP_MAX_PARAMS + 2)
                pv[n_pv++] = dup_nonul(&req->pool, s + 1, len - 1);
            break;
        case 'U':
            path = dup_nonul(&req->pool, s + 1, len - 1);
            break;
        case 'Q':
        case 'H':
        case 'C':
            if (n_kv < MAX_KV && split(&req->pool, s + 1, len - 1, *s == 'H' ? ':' : '=', &one)) {
                one.kind = *s == 'Q' ? HTTP__ARG : *s == 'H' ? HTTP__HEADER : HTTP__COOKIE;
                if (one.kind == HTTP__HEADER && strcasecmp(one.name, "Content-Type") == 0)
                    has_ctype = true;
                kv[n_kv++] = one;
            }
            break;
        default:
            break;
        }
        s = next;
    }
    if (who >= 1 && who <= N_USERS) {
        int u = (int)who - 1;
        if (cookie) {
            kv[n_kv++] = (struct http__kv){HTTP__COOKIE, "qifu_session", F.token[u]};
            if (!no_csrf)
                kv[n_kv++] = (struct http__kv){HTTP__HEADER, "X-CSRF-Token", F.csrf[u]};
        } else {
            kv[n_kv++] = (struct http__kv){HTTP__HEADER, "Authorization",
                                           pool_printf(&req->pool, "Bearer %s", F.token[u])};
        }
    } else if (who == 7) {
        kv[n_kv++] = (struct http__kv){HTTP__HEADER, "X-Api-Key", F.apikey};
    }
    if (!has_ctype && !no_ctype)
        kv[n_kv++] = (struct http__kv){HTTP__HEADER, "Content-Type", "application/json"};
    x->kv = kv;
    x->n_kv = n_kv;

    /* As server.c's on_request sets a new request up. */
    req->server = &F.srv;
    req->app = F.srv.cfg.app;
    req->started_ns = time_mono_ns();
    req->path = path ? path : route_path(&req->pool, r, pv, n_pv);
    x->route_idx = (int)F.n_routes;
    snprintf(req->request_id, sizeof(req->request_id), "fuzz-%lx", F.execs);
    /* As server.c's admit: the route, authentication and roles are decided on the head
     * alone, before any body byte; then the body goes in under the route's cap. */
    if (http__admit(&F.srv, x) == RC_OK) {
        const struct http_route *rt = req->route;
        buf_init(&x->body, rt && rt->max_body ? rt->max_body : F.srv.cfg.max_body);
        if (buf_append(&x->body, s, (size_t)(end - s))) {
            struct err e;
            err_set(&e, RC_TOOLARGE, NULL, "%s", "请求体超过大小上限");
            http__error_response(x, RC_TOOLARGE, &e);
        } else {
            req->body = buf_str(&x->body);
            req->body_len = buf_len(&x->body);
            http__dispatch(&F.srv, x);
            if (x->defer_start) { /* a deferred answer: wait for http_resume, like the server */
                x->deferred = true;
                __atomic_add_fetch(&F.srv.n_suspended, 1, __ATOMIC_ACQ_REL);
                x->defer_start(x->defer_arg, (struct http_later *)(void *)x);
                while (__atomic_load_n(&F.srv.n_suspended, __ATOMIC_ACQUIRE) > 0)
                    usleep(100);
                if (x->defer_rc)
                    http__deferred_error(x);
            }
        }
    }
    /* As http__send serialises the answer. */
    if (x->resp.json) {
        buf_reset(&x->resp.body);
        if (jsonx_dump(x->resp.json, &x->resp.body))
            buf_reset(&x->resp.body);
    }
    int status = x->resp.status ? x->resp.status : 200;
    /* A successful logout ends that role's session: open a new one for the next inputs. */
    if (req->route && req->route->method == HTTP_DELETE &&
        strcmp(req->route->pattern, "/api/v1/session") == 0 && status < 300 && who >= 1 &&
        who <= N_USERS) {
        login(F.app.db, (int)who - 1);
    }
    if (status < 100 || status > 599)
        abort();   /* not an HTTP status */
    if (F.verbose) /* QIFU_FUZZ_VERBOSE=1: what each input did, to check seeds */
        fprintf(stderr, "%s %s -> %d %.300s\n", req->method_name, req->path, status,
                x->resp.json || !x->resp.static_body ? buf_str(&x->resp.body) : "(static)");
    if (x->json_body)
        json_decref(x->json_body);
    if (x->resp.json)
        json_decref(x->resp.json);
    buf_cleanup(&x->resp.body);
    buf_cleanup(&x->body);
    pool_clear(&req->pool);
    xfree(x);
}

/*
 * One demand created on a freshly opened store: its deferred commit starts the store's
 * syncer thread, which opens its own connection and keeps it for the store's life. Done
 * here, that allocation does not fall inside a fuzz input, whose leak check would then
 * race with the syncer connecting.
 */
static void warm_up(void)
{
    for (size_t i = 0; i < F.n_routes && i < 256; i++) {
        if (F.routes[i].method != HTTP_POST || strcmp(F.routes[i].pattern, "/api/v1/demands") != 0)
            continue;
        char in[160];
        int n = snprintf(in, sizeof(in),
                         "%c%c%c\n{\"category\":\"consult\",\"title\":\"t\",\"content\":\"c\"}",
                         (char)i, 1, 0);
        serve_one((const uint8_t *)in, (size_t)n);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n < 3)
        return 0;
    if (++F.execs % RESET_EVERY == 0) {
        app_close();
        app_open();
        warm_up();
    }
    serve_one(data, n);
    return 0;
}
