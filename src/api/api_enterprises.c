/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_enterprises: the registry (一企一档), enterprise facts and the fact catalogue.
 * The caller's visibility (src/access) is enforced by the queries in src/ent, given the
 * principal.
 */
#include <stdio.h>
#include <string.h>

#include "../auth/auth.h"
#include "../base/jsonx.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../ent/ent.h"
#include "../ent/ent_import.h"
#include "../store/store.h"
#include "api.h"
#include "api_int.h"
#include "api_kit.h"

static enum rc api_enterprises_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct ent_filter f = {0};
    struct api_list l;
    enum rc rc = api_list_text(req, &l, e);
    f.limit = l.limit;
    f.after = l.after;
    if (rc)
        return rc;
    f.q = http_query(req, "q");
    f.region = http_query(req, "region");
    f.industry = http_query(req, "industry");
    f.tag = http_query(req, "tag");
    f.scale = http_query(req, "scale");
    if (f.q && (!*f.q || utf8_len(f.q) > 50))
        return err_set(e, RC_INVALID, "q", "搜索词长度应为 1 到 50 个字符");
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    json_t *items;
    rc = ent_list(c, api_app(req)->cat, api_who(req), &f, &items, e);
    if (rc)
        return rc;
    return http_reply(resp, 200, api_page(req, items, f.limit, "credit_code"));
}

static enum rc api_enterprises_get(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct conn *c;
    enum rc rc = api_db(req, &c, e);
    if (rc)
        return rc;
    json_t *j;
    rc = ent_get(c, api_app(req)->cat, api_who(req), req->params[0], &j, e);
    return rc ? rc : http_reply(resp, 200, j);
}

static enum rc save(struct http_req *req, struct http_resp *resp, struct err *e, bool create)
{
    json_t *body;
    struct ent_record r;
    enum rc rc = http_json_body(req, &body, e);
    if (rc)
        return rc;
    if (!create) {
        json_t *cc = json_object_get(body, "credit_code");
        if (cc && (!json_is_string(cc) || strcmp(json_string_value(cc), req->params[0]) != 0))
            return err_set(e, RC_INVALID, "credit_code", "不能修改统一社会信用代码");
    }
    rc = ent_record_from_json(api_app(req)->cat, body, !create, &r, e);
    if (rc)
        return rc;
    if (!create)
        r.credit_code = req->params[0];
    struct conn *c;
    if ((rc = api_conn(req, &c, e))) {
        ent_record_cleanup(&r);
        return rc;
    }
    bool created = false, changed = false;
    rc = ent_save(c, &api_who(req)->actor, api_who(req), &r, create, &created, &changed, e);
    json_t *j = NULL;
    if (rc == RC_OK) {
        /* The writer may read back what it wrote (its personal data as it may see it). */
        struct principal reader = *api_who(req);
        reader.perms |= ACCESS_BIT(ACCESS_SCOPE_ALL);
        rc = ent_get(c, api_app(req)->cat, &reader, r.credit_code, &j, e);
    }
    store_release(c);
    ent_record_cleanup(&r);
    if (rc)
        return rc;
    json_object_set_new(j, "changed", json_boolean(changed));
    return http_reply(resp, created ? 201 : 200, j);
}

static enum rc api_enterprises_create(struct http_req *req, struct http_resp *resp, struct err *e)
{
    return save(req, resp, e, true);
}

static enum rc api_enterprises_update(struct http_req *req, struct http_resp *resp, struct err *e)
{
    return save(req, resp, e, false);
}

static enum rc api_enterprise_facts_get(struct http_req *req, struct http_resp *resp, struct err *e)
{
    bool history = false;
    enum rc rc = api_query_flag(req, "history", &history, e);
    if (rc)
        return rc;
    struct conn *c;
    rc = api_db(req, &c, e);
    if (rc)
        return rc;
    json_t *j;
    rc = ent_facts_get(c, api_app(req)->cat, api_who(req), req->params[0], history, &j, e);
    return rc ? rc : http_reply(resp, 200, j);
}

static enum rc api_enterprise_facts_put(struct http_req *req, struct http_resp *resp, struct err *e)
{
    static const char *const top[] = {"facts", NULL};
    static const char *const item_fields[] = {"fact", "value", "as_of", "status", "source", NULL};
    const struct principal *p = api_who(req);
    const struct ent_catalog *cat = api_app(req)->cat;
    json_t *body;
    enum rc rc = http_json_body(req, &body, e);
    if (rc == RC_OK)
        rc = jsonx_only(body, top, e);
    if (rc)
        return rc;
    json_t *arr = json_object_get(body, "facts");
    size_t n = json_array_size(arr);
    if (!json_is_array(arr) || n == 0 || n > 100)
        return err_set(e, RC_INVALID, "facts", "facts 应为 1 到 100 项的数组");
    struct ent_fact_in *in = pool_alloc(&req->pool, n * sizeof(*in));
    memset(in, 0, n * sizeof(*in));
    char today[11];
    {
        char now[40];
        time_fmt_cst(time_now_ms(), now, sizeof(now));
        snprintf(today, sizeof(today), "%.10s", now);
    }
    for (size_t i = 0; i < n && !rc; i++) {
        json_t *item = json_array_get(arr, i);
        char field[48];
        const char *name = NULL;
        snprintf(field, sizeof(field), "facts[%zu]", i);
        rc = jsonx_only(item, item_fields, e);
        if (rc == RC_OK)
            rc = jsonx_get_str(item, "fact", true, 64, &name, e);
        if (rc == RC_OK)
            rc = jsonx_get_str(item, "as_of", false, 10, &in[i].as_of, e);
        if (rc == RC_OK)
            rc = jsonx_get_str(item, "status", false, 16, &in[i].status, e);
        if (rc == RC_OK)
            rc = jsonx_get_str(item, "source", false, 64, &in[i].source, e);
        if (rc) {
            err_prefix_field(e, field);
            break;
        }
        const struct ent_fact_def *d = ent_catalog_fact(cat, name);
        if (!d) {
            rc = err_set(e, RC_INVALID, pool_printf(&req->pool, "%s.fact", field),
                         "事实 %s 不在事实目录中", name);
            break;
        }
        if (d->builtin) {
            rc = err_set(e, RC_INVALID, pool_printf(&req->pool, "%s.fact", field),
                         "%s 属于企业登记信息，请通过修改企业信息更新", d->label);
            break;
        }
        in[i].fact = d->name;
        json_t *v = json_object_get(item, "value");
        if (!v || json_is_null(v)) {
            rc = err_set(e, RC_INVALID, pool_printf(&req->pool, "%s.value", field),
                         "缺少 %s 的值", d->label);
            break;
        }
        char *canon;
        rc = ent_fact_from_json(d, v, pool_printf(&req->pool, "%s.value", field), &canon, e);
        if (rc)
            break;
        in[i].value = pool_strdup(&req->pool, canon);
        xfree(canon);
        if (in[i].as_of && !ent_date_valid(in[i].as_of)) {
            rc = err_set(e, RC_INVALID, pool_printf(&req->pool, "%s.as_of", field),
                         "as_of 应为日期 YYYY-MM-DD");
            break;
        }
        /* A value cannot be "as of" a day that has not come: it would beat every other. */
        if (in[i].as_of && ent_date_future(in[i].as_of)) {
            rc = err_set(e, RC_INVALID, pool_printf(&req->pool, "%s.as_of", field),
                         "数据日期 as_of（%s）不能晚于今天（%s）", in[i].as_of, today);
            break;
        }
        if (!in[i].as_of)
            in[i].as_of = pool_strdup(&req->pool, today);
        /* Enterprises declare; only officials record authoritative values. */
        if (access_can(p, ACCESS_ENT_SELF)) {
            if (in[i].status && strcmp(in[i].status, "self_declared") != 0) {
                rc = err_set(e, RC_FORBIDDEN, pool_printf(&req->pool, "%s.status", field),
                             "企业只能自主申报（self_declared）");
                break;
            }
            in[i].status = "self_declared";
            in[i].source = "企业自主申报";
        } else {
            if (!in[i].status)
                in[i].status = "authoritative";
            if (strcmp(in[i].status, "authoritative") != 0 &&
                strcmp(in[i].status, "self_declared") != 0) {
                rc = err_set(e, RC_INVALID, pool_printf(&req->pool, "%s.status", field),
                             "status 应为 authoritative 或 self_declared");
                break;
            }

            if (!in[i].source)
                in[i].source = p->org_name ? p->org_name : d->source;
        }
    }
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    /* Authoritative values come from the fact's source department only (after every item
     * was validated, so a malformed request is 400 whoever sends it, and after visibility,
     * so an enterprise the caller cannot see is 404 as always). */
    rc = ent_visible(c, api_who(req), req->params[0], e);
    for (size_t i = 0; i < n && !rc; i++)
        if (strcmp(in[i].status, "authoritative") == 0)
            rc = ent_fact_may_record(c, ent_catalog_fact(cat, in[i].fact), p->org_code,
                                     access_can(p, ACCESS_SCOPE_ALL),
                                     pool_printf(&req->pool, "facts[%zu].status", i), e);
    json_t *j = NULL;
    if (rc == RC_OK)
        rc = ent_facts_put(c, &p->actor, api_who(req), req->params[0], in, n, e);
    if (rc == RC_OK)
        rc = ent_facts_get(c, cat, api_who(req), req->params[0], false, &j, e);
    return rc ? rc : http_reply(resp, 200, j);
}

static enum rc api_facts_catalog(struct http_req *req, struct http_resp *resp, struct err *e)
{
    (void)e;
    return http_reply(resp, 200, ent_catalog_json(api_app(req)->cat));
}

static enum rc api_enterprises_import(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *data;
    size_t n;
    bool csv;
    enum rc rc = api_import_text(req, &data, &n, &csv, e); /* .xlsx: its sheet as CSV */
    if (rc)
        return rc;
    enum ent_import_format fmt = csv ? ENT_IMPORT_CSV : ENT_IMPORT_JSONL;
    bool skip = false, dry = false;
    rc = api_query_flag(req, "skip_invalid", &skip, e);
    if (rc == RC_OK)
        rc = api_query_flag(req, "dry_run", &dry, e);
    if (rc)
        return rc;
    const char *as_of = http_query(req, "as_of"), *status = http_query(req, "status");
    if (as_of && !ent_date_valid(as_of))
        return err_set(e, RC_INVALID, "as_of", "as_of 应为日期 YYYY-MM-DD");
    if (as_of && ent_date_future(as_of))
        return err_set(e, RC_INVALID, "as_of", "数据日期 as_of（%s）不能晚于今天", as_of);
    if (status && strcmp(status, "authoritative") != 0 && strcmp(status, "self_declared") != 0)
        return err_set(e, RC_INVALID, "status", "status 应为 authoritative 或 self_declared");
    char today[11], now[40];
    time_fmt_cst(time_now_ms(), now, sizeof(now));
    snprintf(today, sizeof(today), "%.10s", now);
    const struct principal *p = api_who(req);
    struct ent_import_opts o = {.format = fmt,
                                .skip_invalid = skip,
                                .dry_run = dry,
                                .source = http_query(req, "source"),
                                .fact_status = status,
                                .default_as_of = as_of ? as_of : today,
                                .file_name = "upload",
                                .max_errors = 1000};
    if (!o.source)
        o.source = p->org_name ? p->org_name : "批量导入";
    struct conn *c;
    rc = api_db(req, &c, e);
    if (rc)
        return rc;
    struct ent_import_report r;
    rc = ent_import(c, api_app(req)->cat, &p->actor, data, n, &o, &r, e);
    if (rc) {
        ent_import_report_cleanup(&r);
        return rc;
    }
    json_t *report = ent_import_report_json(&r);
    bool refused = r.invalid && !r.imported && !o.dry_run;
    ent_import_report_cleanup(&r);
    if (refused)
        return http_reply(resp, 422,
                          json_pack("{s:{s:s, s:s}, s:o}", "error", "code", "import_rejected",
                                    "message", "文件中有错误行，未导入任何数据（可修正后重试，或使用 skip_invalid=1）",
                                    "report", report));
    return http_reply(resp, 200, report);
}

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). */
const struct http_route api_enterprises_routes[] = {
    ROUTE(HTTP_GET, "/api/v1/facts", HTTP_PUBLIC, api_facts_catalog, "事实目录与资质标签"),
    ROUTE_READ(HTTP_GET, "/api/v1/enterprises", PERM(ENT_READ), api_enterprises_list,
               "企业列表（按权限范围）"),
    ROUTE(HTTP_POST, "/api/v1/enterprises", PERM(ENT_WRITE), api_enterprises_create, "登记企业"),
    UPLOAD(HTTP_POST, "/api/v1/enterprises:import", PERM(ENT_IMPORT), api_enterprises_import,
           "批量导入企业（Excel、CSV 或 JSON Lines，?skip_invalid=1&dry_run=1）", 256u << 20),
    ROUTE_READ(HTTP_GET, "/api/v1/enterprises/{code}", PERM(ENT_READ), api_enterprises_get,
               "企业档案"),
    ROUTE(HTTP_PATCH, "/api/v1/enterprises/{code}", PERM(ENT_WRITE), api_enterprises_update,
          "修改企业信息"),
    ROUTE_READ(HTTP_GET, "/api/v1/enterprises/{code}/facts", PERM(ENT_READ),
               api_enterprise_facts_get, "企业事实数据（?history=1 含历史）"),
    ROUTE(HTTP_PUT, "/api/v1/enterprises/{code}/facts", PERM(FACT_WRITE), api_enterprise_facts_put,
          "记录企业事实数据（企业为自主申报）"),
};
const size_t api_enterprises_n_routes =
    sizeof(api_enterprises_routes) / sizeof(api_enterprises_routes[0]);
