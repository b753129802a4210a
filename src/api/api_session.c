/* SPDX-License-Identifier: Apache-2.0 */
/* api_session: log in (token + HttpOnly cookie), log out, and /me. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../auth/auth.h"
#include "../base/jsonx.h"
#include "../base/sec.h"
#include "../store/store.h"
#include "api.h"
#include "api_int.h"
#include "api_kit.h"

/*
 * Logins are checked on their own threads. A password check costs argon2id's time and
 * memory; run on a server thread it would stall every other connection that thread
 * serves (a flood of made-up user names slowed /healthz from 0.1 ms to 600 ms). So the
 * handler only parses the body and queues the login; LOGIN_THREADS threads (as many as
 * the hashing gate's slots) take it from there and answer through http_resume_err, and
 * the server thread goes on with other requests. At most AUTH_HASH_QUEUE logins wait;
 * past that a login is refused at once (503), never a health check or a read.
 */
#define LOGIN_THREADS AUTH_HASH_SLOTS

struct login_job {
    struct login_job *next;
    struct http_req *req;
    struct http_resp *resp;
    struct http_later *later;
    const char *username, *password; /* in req's pool */
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct login_job *head, *tail; /* queued, oldest first */
    int pending;                   /* accepted by the handler and not yet answered */
    int threads;                   /* started (lazily, on the first login) */
} logins = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* Checks one login and fills its answer (on a login thread). */
static enum rc login_run(struct login_job *j, struct err *e)
{
    struct http_req *req = j->req;
    struct http_resp *resp = j->resp;
    struct app *app = api_app(req);
    char token[SEC_TOKEN_LEN];
    struct principal *p = pool_alloc(&req->pool, sizeof(*p));
    int retry = 0;
    enum rc rc = auth_login(app->db, j->username, j->password, app->session_ttl_ms,
                            http_client_ip(req), &req->pool, token, p, &retry, e);
    if (rc == RC_RATELIMIT)
        http_resp_header(req, resp, "Retry-After", pool_printf(&req->pool, "%d", retry));
    if (rc)
        return rc;
    req->user_label = p->actor.name;
    http_resp_header(
        req, resp, "Set-Cookie",
        pool_printf(&req->pool,
                    "qifu_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s", token,
                    (long long)(app->session_ttl_ms / 1000), app->secure_cookie ? "; Secure" : ""));
    json_t *out = json_pack("{s:s, s:s, s:o}", "token", token, "csrf_token", p->csrf, "user",
                            auth_principal_json(p));
    sec_wipe(token, sizeof(token));
    return http_reply(resp, 201, out);
}

static void *login_thread(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&logins.mu);
        while (!logins.head)
            pthread_cond_wait(&logins.cv, &logins.mu);
        struct login_job *j = logins.head;
        logins.head = j->next;
        if (!logins.head)
            logins.tail = NULL;
        pthread_mutex_unlock(&logins.mu);
        struct err e;
        err_clear(&e);
        enum rc rc = login_run(j, &e);
        pthread_mutex_lock(&logins.mu);
        logins.pending--;
        pthread_mutex_unlock(&logins.mu);
        http_resume_err(j->later, rc, &e); /* j (in the request's pool) is gone after this */
    }
    return NULL;
}

/* http_defer's start: hands the login to the login threads. */
static void login_start(void *arg, struct http_later *later)
{
    struct login_job *j = arg;
    j->later = later;
    pthread_mutex_lock(&logins.mu);
    if (logins.tail)
        logins.tail->next = j;
    else
        logins.head = j;
    logins.tail = j;
    pthread_cond_signal(&logins.cv);
    pthread_mutex_unlock(&logins.mu);
}

/* Takes a place for one more login; false when LOGIN_THREADS + AUTH_HASH_QUEUE wait. */
static bool login_reserve(void)
{
    bool ok = true;
    pthread_mutex_lock(&logins.mu);
    while (logins.threads < LOGIN_THREADS) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        bool started = pthread_create(&t, &attr, login_thread, NULL) == 0;
        pthread_attr_destroy(&attr);
        if (!started)
            break;
        logins.threads++;
    }
    if (logins.threads == 0 || logins.pending >= LOGIN_THREADS + AUTH_HASH_QUEUE)
        ok = false;
    else
        logins.pending++;
    pthread_mutex_unlock(&logins.mu);
    return ok;
}

static enum rc api_session_create(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct login_body {
        const char *username, *password;
    } b = {0};
    static const struct api_field fields[] = {
        API_FIELD_STR("username", struct login_body, username, true, 64),
        API_FIELD_STR("password", struct login_body, password, true, 256),
    };
    enum rc rc = api_body(req, fields, sizeof(fields) / sizeof(fields[0]), &b, NULL, e);
    if (rc)
        return rc;
    const char *username = b.username, *password = b.password;
    if (!login_reserve()) {
        auth_count_busy();
        http_resp_header(req, resp, "Retry-After", "1");
        return err_set(e, RC_OVERLOADED, NULL, "登录请求过多，请稍后再试");
    }
    struct login_job *j = pool_alloc(&req->pool, sizeof(*j));
    *j = (struct login_job){.req = req, .resp = resp, .username = username, .password = password};
    http_defer(req, login_start, j);
    return RC_OK;
}

static enum rc api_session_delete(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct principal *p = api_who(req);
    const char *authz = http_header(req, "Authorization");
    const char *token = authz && strncasecmp(authz, "Bearer ", 7) == 0
                            ? authz + 7
                            : http_cookie(req, "qifu_session");
    if (!token)
        return err_set(e, RC_UNAUTHORIZED, NULL, "请先登录");
    struct conn *c;
    enum rc rc = api_conn(req, &c, e);
    if (rc)
        return rc;
    rc = auth_logout(c, p, token, e);
    store_release(c);
    if (rc)
        return rc;
    http_resp_header(req, resp, "Set-Cookie",
                     api_app(req)->secure_cookie
                         ? "qifu_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure"
                         : "qifu_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    resp->status = 204;
    return RC_OK;
}

/*
 * GET /me. A browser that signed in with the cookie also gets its csrf_token back, so
 * the web UI keeps the token in memory only and recovers it after a page reload; the
 * response is same-origin only (no CORS), so another site cannot read it.
 */
static enum rc api_me(struct http_req *req, struct http_resp *resp, struct err *e)
{
    (void)e;
    const struct principal *p = api_who(req);
    json_t *out = auth_principal_json(p);
    if (p->csrf && !http_header(req, "Authorization") && !http_header(req, "X-Api-Key") &&
        http_cookie(req, "qifu_session"))
        json_object_set_new(out, "csrf_token", json_string(p->csrf));
    return http_reply(resp, 200, out);
}

/* PUT /me/password {old_password, new_password}: every session of the user ends, this one too. */
static enum rc api_me_password(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct password_body {
        const char *old_pw, *new_pw;
    } b = {0};
    static const struct api_field fields[] = {
        API_FIELD_STR("old_password", struct password_body, old_pw, true, 256),
        API_FIELD_STR("new_password", struct password_body, new_pw, true, 256),
    };
    enum rc rc = api_body(req, fields, sizeof(fields) / sizeof(fields[0]), &b, NULL, e);
    if (rc)
        return rc;
    const char *old_pw = b.old_pw, *new_pw = b.new_pw;
    struct conn *c;
    if ((rc = api_conn(req, &c, e)))
        return rc;
    int retry = 0;
    rc = auth_password_change(c, api_who(req), old_pw, new_pw, http_client_ip(req), &retry, e);
    store_release(c);
    if (rc == RC_RATELIMIT)
        http_resp_header(req, resp, "Retry-After", pool_printf(&req->pool, "%d", retry));
    if (rc == RC_INVALID && strcmp(e->field, "password") == 0)
        snprintf(e->field, sizeof(e->field), "new_password");
    if (rc)
        return rc;
    http_resp_header(req, resp, "Set-Cookie",
                     api_app(req)->secure_cookie
                         ? "qifu_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure"
                         : "qifu_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    resp->status = 204;
    return RC_OK;
}

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). */
const struct http_route api_session_routes[] = {
    ROUTE(HTTP_POST, "/api/v1/session", HTTP_PUBLIC, api_session_create, "登录"),
    ROUTE(HTTP_DELETE, "/api/v1/session", PERM(SELF), api_session_delete, "退出登录"),
    ROUTE(HTTP_GET, "/api/v1/me", HTTP_ANY_USER, api_me, "当前用户"),
    ROUTE(HTTP_PUT, "/api/v1/me/password", PERM(SELF), api_me_password, "修改本人密码（须原密码）"),
};
const size_t api_session_n_routes = sizeof(api_session_routes) / sizeof(api_session_routes[0]);
