/* SPDX-License-Identifier: Apache-2.0 */
/* api_session: log in (token + HttpOnly cookie), log out, and /me. */
#include <stdio.h>
#include <string.h>

#include "../auth/auth.h"
#include "../base/jsonx.h"
#include "../base/sec.h"
#include "../store/store.h"
#include "api.h"

enum rc api_session_create(struct http_req *req, struct http_resp *resp, struct err *e)
{
    static const char *const fields[] = {"username", "password", NULL};
    json_t *body;
    const char *username = NULL, *password = NULL;
    enum rc rc = http_json_body(req, &body, e);
    if (rc == RC_OK)
        rc = jsonx_only(body, fields, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "username", true, 64, &username, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "password", true, 256, &password, e);
    if (rc)
        return rc;
    struct app *app = api_app(req);
    char token[SEC_TOKEN_LEN];
    struct principal *p = pool_alloc(&req->pool, sizeof(*p));
    int retry = 0;
    rc = auth_login(app->db, username, password, app->session_ttl_ms, http_client_ip(req),
                    &req->pool, token, p, &retry, e);
    if (rc == RC_RATELIMIT)
        http_resp_header(req, resp, "Retry-After", pool_printf(&req->pool, "%d", retry));
    if (rc)
        return rc;
    req->user_label = p->actor.name;
    http_resp_header(req, resp, "Set-Cookie",
                     pool_printf(&req->pool,
                                 "qifu_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s",
                                 token, (long long)(app->session_ttl_ms / 1000),
                                 app->secure_cookie ? "; Secure" : ""));
    json_t *out = json_pack("{s:s, s:s, s:o}", "token", token, "csrf_token", p->csrf, "user",
                            auth_principal_json(p));
    sec_wipe(token, sizeof(token));
    return http_reply(resp, 201, out);
}

enum rc api_session_delete(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct principal *p = api_who(req);
    const char *authz = http_header(req, "Authorization");
    const char *token = authz && strncasecmp(authz, "Bearer ", 7) == 0 ? authz + 7
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
enum rc api_me(struct http_req *req, struct http_resp *resp, struct err *e)
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
enum rc api_me_password(struct http_req *req, struct http_resp *resp, struct err *e)
{
    static const char *const fields[] = {"old_password", "new_password", NULL};
    json_t *body;
    const char *old_pw = NULL, *new_pw = NULL;
    enum rc rc = http_json_body(req, &body, e);
    if (rc == RC_OK)
        rc = jsonx_only(body, fields, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "old_password", true, 256, &old_pw, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "new_password", true, 256, &new_pw, e);
    if (rc)
        return rc;
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
