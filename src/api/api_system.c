/* SPDX-License-Identifier: Apache-2.0 */
/* api_system: health, readiness, metrics and the OpenAPI description. */
#include <stdio.h>
#include <string.h>

#include "../auth/auth.h"
#include "../job/job.h"
#include "../store/store.h"
#include "api.h"
#include "api_int.h"

/* GET /healthz: alive; also the operator's footer (--operator, --icp), which the
 * login and public pages show without a session. */
static enum rc api_healthz(struct http_req *req, struct http_resp *resp, struct err *e)
{
    (void)e;
    const struct app *app = api_app(req);
    return http_reply(resp, 200,
                      json_pack("{s:s, s:s?, s:s?}", "status", "ok", "operator", app->site_operator,
                                "icp", app->site_icp));
}

static enum rc api_readyz(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct conn *c;
    enum rc rc = api_conn(req, &c, e);
    if (rc == RC_OK) {
        rc = store_ping(c, e);
        store_release(c);
    }
    if (rc)
        return err_set(e, RC_UNAVAILABLE, NULL, "数据库不可达");
    return http_reply(
        resp, 200,
        json_pack("{s:s, s:s}", "status", "ready", "database", store_kind_name(api_app(req)->db)));
}

static enum rc api_metrics(struct http_req *req, struct http_resp *resp, struct err *e)
{
    (void)e;
    struct app *app = api_app(req);
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    if (!app->srv)
        return RC_OK;
    enum rc rc = http_metrics(app->srv, &resp->body);
    struct auth_login_stats ls;
    auth_login_stats(&ls);
    if (rc == RC_OK)
        rc = buf_printf(&resp->body,
                        "# HELP qifu_login_failures_total Failed logins since start, by whether "
                        "the user name exists (unknown names are not audited one by one).\n"
                        "# TYPE qifu_login_failures_total counter\n"
                        "qifu_login_failures_total{user=\"unknown\"} %llu\n"
                        "qifu_login_failures_total{user=\"known\"} %llu\n"
                        "# HELP qifu_login_busy_total Logins refused because the password-hashing "
                        "queue was full.\n# TYPE qifu_login_busy_total counter\n"
                        "qifu_login_busy_total %llu\n",
                        (unsigned long long)ls.failed_unknown, (unsigned long long)ls.failed_known,
                        (unsigned long long)ls.busy);
    if (rc == RC_OK)
        rc = buf_printf(&resp->body,
                        "# HELP qifu_listener_up Whether the change channel listens (PostgreSQL "
                        "LISTEN connection; 0 on SQLite).\n# TYPE qifu_listener_up gauge\n"
                        "qifu_listener_up %d\n",
                        store_listen_up(app->db) ? 1 : 0);
    if (rc == RC_OK && app->replica) {
        struct store_replica_stats rs;
        store_replica_stats(app->replica, &rs);
        rc = buf_printf(&resp->body,
                        "# HELP qifu_replica_up Whether the read replica answered its last "
                        "sample.\n# TYPE qifu_replica_up gauge\nqifu_replica_up %d\n"
                        "# HELP qifu_replica_lag_ms How far the read replica was behind the "
                        "primary at its last sample (conservative).\n"
                        "# TYPE qifu_replica_lag_ms gauge\nqifu_replica_lag_ms %lld\n"
                        "# HELP qifu_replica_reads_total Reads served by the read replica.\n"
                        "# TYPE qifu_replica_reads_total counter\nqifu_replica_reads_total %llu\n"
                        "# HELP qifu_replica_fallback_total Replica-eligible reads sent to the "
                        "primary because the replica was down or behind its limit.\n"
                        "# TYPE qifu_replica_fallback_total counter\n"
                        "qifu_replica_fallback_total{reason=\"down\"} %llu\n"
                        "qifu_replica_fallback_total{reason=\"lag\"} %llu\n"
                        "# HELP qifu_replica_retries_total Reads whose replica query failed "
                        "under them and that were answered from the primary.\n"
                        "# TYPE qifu_replica_retries_total counter\nqifu_replica_retries_total "
                        "%llu\n",
                        rs.up ? 1 : 0, (long long)rs.lag_ms, (unsigned long long)rs.reads,
                        (unsigned long long)rs.fallback_down, (unsigned long long)rs.fallback_lag,
                        (unsigned long long)rs.retried);
    }
    if (rc == RC_OK)
        rc = job_metrics(&resp->body);
    return rc;
}

/* Turns "/api/v1/orgs/{code}" into the OpenAPI path and its parameter list. */
static json_t *path_params(const char *pattern)
{
    json_t *arr = json_array();
    for (const char *p = strchr(pattern, '{'); p; p = strchr(p + 1, '{')) {
        const char *end = strchr(p, '}');
        if (!end)
            break;
        json_t *name = json_stringn(p + 1, (size_t)(end - p - 1));
        json_array_append_new(arr, json_pack("{s:o, s:s, s:b, s:{s:s}}", "name", name, "in", "path",
                                             "required", 1, "schema", "type", "string"));
    }
    return arr;
}

/* The roles (data) in their listing order with their permission bits, for x-roles. */
struct role_bits {
    const char *name;
    unsigned perms;
};

static size_t load_roles(struct http_req *req, struct role_bits *out, size_t max)
{
    struct conn *c;
    struct err e;
    json_t *roles = NULL;
    size_t n = 0;
    if (api_conn(req, &c, &e))
        return 0;
    if (access_role_list(c, &roles, &e) == RC_OK) {
        size_t i;
        json_t *r;
        json_array_foreach(roles, i, r)
        {
            if (n == max)
                break;
            out[n].name = pool_strdup(&req->pool, json_string_value(json_object_get(r, "name")));
            out[n].perms = 0;
            size_t k;
            json_t *perm;
            json_array_foreach(json_object_get(r, "permissions"), k, perm)
            {
                enum access_perm pm;
                if (access_perm_parse(json_string_value(perm), &pm))
                    out[n].perms |= ACCESS_BIT(pm);
            }
            n++;
        }
    }
    json_decref(roles);
    store_release(c);
    return n;
}

static enum rc api_openapi(struct http_req *req, struct http_resp *resp, struct err *e)
{
    (void)e;
    size_t n;
    const struct http_route *r = api_routes(&n);
    struct role_bits roles_of[64];
    size_t n_roles = load_roles(req, roles_of, 64);
    json_t *paths = json_object();
    for (size_t i = 0; i < n; i++) {
        if (!r[i].summary)
            continue; /* a catch-all that only answers errors (Open311's 405) */
        json_t *item = json_object_get(paths, r[i].pattern);
        if (!item) {
            item = json_object();
            json_object_set_new(paths, r[i].pattern, item);
        }
        char method[8];
        static const char *const names[] = {"get", "head", "post", "put", "patch", "delete", "x"};
        snprintf(method, sizeof(method), "%s", names[r[i].method]);
        /* x-permissions: what the route requires (any one admits); x-roles: the roles that
         * hold one today (the roles are data). */
        json_t *roles = json_array(), *perms;
        if (r[i].perms == HTTP_PUBLIC) {
            json_array_append_new(roles, json_string("public"));
            perms = json_array();
        } else if (r[i].perms == HTTP_ANY_USER) {
            json_array_append_new(roles, json_string("any"));
            perms = json_array();
        } else {
            for (size_t k = 0; k < n_roles; k++)
                if (r[i].perms & roles_of[k].perms)
                    json_array_append_new(roles, json_string(roles_of[k].name));
            perms = access_perms_json(r[i].perms);
        }
        json_t *op =
            json_pack("{s:s, s:o, s:o, s:o, s:{s:{s:s}, s:{s:s}}}", "summary", r[i].summary,
                      "parameters", path_params(r[i].pattern), "x-permissions", perms, "x-roles",
                      roles, "responses", "200", "description", "成功", "default", "description",
                      "错误：{\"error\":{\"code\",\"message\",\"field\"}}");
        if (r[i].perms != HTTP_PUBLIC)
            json_object_set_new(op, "security", json_pack("[{s:[]}, {s:[]}]", "bearer", "apiKey"));
        json_object_set_new(item, method, op);
    }
    json_t *doc = json_pack(
        "{s:s, s:{s:s, s:s, s:s}, s:[{s:s}], s:o, s:{s:{s:{s:s, s:s}, s:{s:s, s:s, s:s}}}}",
        "openapi", "3.0.3", "info", "title", "qifu 企服 API", "version", "1", "description",
        "一口受理、政策超市与营商环境服务平台接口", "servers", "url", "/", "paths", paths,
        "components", "securitySchemes", "bearer", "type", "http", "scheme", "bearer", "apiKey",
        "type", "apiKey", "in", "header", "name", "X-Api-Key");
    return http_reply(resp, 200, doc);
}

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). */
const struct http_route api_system_routes[] = {
    ROUTE(HTTP_GET, "/healthz", HTTP_PUBLIC, api_healthz, "存活检查"),
    ROUTE(HTTP_GET, "/readyz", HTTP_PUBLIC, api_readyz, "就绪检查（数据库可达）"),
    ROUTE(HTTP_GET, "/metrics", HTTP_PUBLIC, api_metrics, "Prometheus 指标"),
    ROUTE(HTTP_GET, "/api/v1/openapi.json", HTTP_PUBLIC, api_openapi, "接口说明（OpenAPI 3）"),
};
const size_t api_system_n_routes = sizeof(api_system_routes) / sizeof(api_system_routes[0]);
