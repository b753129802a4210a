/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_kit: typed readers of path and query parameters, list paging and request-body
 * field tables for the resource files (api_kit.h). A malformed value is always a 400
 * naming the parameter or field; absent means the default.
 */
#include "api_kit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../base/jsonx.h"
#include "../base/timeutil.h"
#include "../cal/cal.h"
#include "../flow/flow.h"
#include "../flow/flow_rec.h"

/* Parses all of s as a decimal integer in min..max (no sign for positive ranges). */
static bool parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (!*s || (*s != '-' && (*s < '0' || *s > '9')))
        return false; /* strtoll would take leading blanks and '+' */
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno == ERANGE || v < min || v > max)
        return false;
    *out = v;
    return true;
}

enum rc api_path_id(struct http_req *req, int i, const char *what, int64_t *out, struct err *e)
{
    if (i >= req->n_params || !parse_int(req->params[i], 1, INT64_MAX, out))
        return err_set(e, RC_NOTFOUND, NULL, "%s不存在", what);
    return RC_OK;
}

enum rc api_query_id(struct http_req *req, const char *name, int64_t *out, struct err *e)
{
    const char *s = http_query(req, name);
    *out = 0;
    if (s && !parse_int(s, 1, INT64_MAX, out))
        return err_set(e, RC_INVALID, name, "%s 应为正整数编号", name);
    return RC_OK;
}

enum rc api_query_int(struct http_req *req, const char *name, int64_t min, int64_t max,
                      int64_t *out, struct err *e)
{
    const char *s = http_query(req, name);
    if (s && !parse_int(s, min, max, out))
        return err_set(e, RC_INVALID, name, "%s 应为 %lld 到 %lld 之间的整数", name, (long long)min,
                       (long long)max);
    return RC_OK;
}

enum rc api_query_flag(struct http_req *req, const char *name, bool *out, struct err *e)
{
    const char *s = http_query(req, name);
    if (!s)
        return RC_OK;
    if (strcmp(s, "1") == 0 || strcmp(s, "true") == 0)
        *out = true;
    else if (strcmp(s, "0") == 0 || strcmp(s, "false") == 0)
        *out = false;
    else
        return err_set(e, RC_INVALID, name, "%s 应为 1 或 0", name);
    return RC_OK;
}

enum rc api_query_word(struct http_req *req, const char *name, const char *const *words,
                       const char **out, struct err *e)
{
    const char *s = http_query(req, name);
    *out = NULL;
    if (!s)
        return RC_OK;
    char list[160] = "";
    for (const char *const *w = words; *w; w++) {
        if (strcmp(*w, s) == 0) {
            *out = *w;
            return RC_OK;
        }
        size_t len = strlen(list);
        snprintf(list + len, sizeof(list) - len, "%s%s", len ? "、" : "", *w);
    }
    return err_set(e, RC_INVALID, name, "%s 应为 %s 之一", name, list);
}

enum rc api_query_date(struct http_req *req, const char *name, bool required, int64_t *out,
                       struct err *e)
{
    const char *s = http_query(req, name);
    if ((!s && required) || (s && cal_date_parse(s, out)))
        return err_set(e, RC_INVALID, name, "%s 应为日期 YYYY-MM-DD", name);
    return RC_OK;
}

enum rc api_list_text(struct http_req *req, struct api_list *l, struct err *e)
{
    *l = (struct api_list){0};
    int64_t limit = API_DEFAULT_LIMIT;
    enum rc rc = api_query_int(req, "limit", 1, API_MAX_LIMIT, &limit, e);
    l->limit = (int)limit;
    if (rc == RC_OK)
        rc = api_cursor(req, &l->after, e);
    return rc;
}

enum rc api_list_id(struct http_req *req, struct api_list *l, struct err *e)
{
    enum rc rc = api_list_text(req, l, e);
    if (rc == RC_OK && l->after && !parse_int(l->after, 1, INT64_MAX, &l->after_id))
        rc = err_set(e, RC_INVALID, "cursor", "cursor 无效");
    return rc;
}

enum rc api_body(struct http_req *req, const struct api_field *fields, size_t n, void *out,
                 json_t **body, struct err *e)
{
    json_t *j;
    enum rc rc = http_json_body(req, &j, e);
    if (rc)
        return rc;
    /* Unknown members first, so a typo is named even when a required member is missing. */
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        size_t k = 0;
        while (k < n && strcmp(fields[k].name, key) != 0)
            k++;
        if (k == n)
            return err_set(e, RC_INVALID, key, "不认识的字段 %s", key);
    }
    char *base = out;
    for (size_t k = 0; k < n && rc == RC_OK; k++) {
        const struct api_field *f = &fields[k];
        switch (f->type) {
        case API_STR:
            rc = jsonx_get_str(j, f->name, f->required, (size_t)f->max,
                               (const char **)(void *)(base + f->offset), e);
            break;
        case API_INT:
            rc = jsonx_get_int(j, f->name, f->required, f->min, f->max,
                               (int64_t *)(void *)(base + f->offset), e);
            break;
        case API_BOOL:
            rc = jsonx_get_bool(j, f->name, f->required, (bool *)(void *)(base + f->offset), e);
            break;
        }
    }
    if (rc == RC_OK && body)
        *body = j;
    return rc;
}

/* ---- the routes of one record of a workflow ------------------------------------------ */

/* The route's record, its path id (404 when it cannot be one) and the connection. */
static enum rc record_of(struct http_req *req, const struct api_record **r, int64_t *id,
                         struct conn **c, struct err *e)
{
    *r = req->route->data;
    enum rc rc = api_path_id(req, 0, (*r)->what, id, e);
    return rc ? rc : api_db(req, c, e);
}

/* The record's get, or the column table's (flow_rec) when the domain wrote none. */
static enum rc get_one(const struct api_record *r, struct conn *c, const struct principal *p,
                       int64_t id, json_t **out, struct err *e)
{
    return r->get ? r->get(c, p, id, out, e) : rec_get(r->flow, c, p, id, out, e);
}

/* Runs the action named in body on record id, then answers the record. */
static enum rc act_then_get(struct http_req *req, struct http_resp *resp,
                            const struct api_record *r, struct conn *c, int64_t id, json_t *body,
                            struct err *e)
{
    json_t *j = NULL;
    enum rc rc = flow_act(r->flow, c, api_who(req), NULL, id, body, time_now_ms(), e);
    if (rc == RC_OK)
        rc = get_one(r, c, api_who(req), id, &j, e);
    return rc ? rc : http_reply(resp, 200, j);
}

enum rc api_record_get(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct api_record *r;
    int64_t id = 0;
    struct conn *c;
    json_t *j = NULL;
    enum rc rc = record_of(req, &r, &id, &c, e);
    if (rc == RC_OK)
        rc = get_one(r, c, api_who(req), id, &j, e);
    return rc ? rc : http_reply(resp, 200, j);
}

enum rc api_record_create(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct api_record *r = req->route->data;
    json_t *body, *j = NULL;
    struct conn *c;
    int64_t id = 0;
    enum rc rc = http_json_body(req, &body, e);
    if (rc == RC_OK)
        rc = api_db(req, &c, e);
    if (rc == RC_OK)
        rc = r->create ? r->create(c, api_who(req), body, &id, e)
                       : rec_create(r->flow, c, api_who(req), body, &id, e);
    if (rc == RC_OK)
        rc = get_one(r, c, api_who(req), id, &j, e);
    return rc ? rc : http_reply(resp, 201, j);
}

enum rc api_record_patch(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct api_record *r;
    int64_t id = 0;
    struct conn *c;
    json_t *body;
    enum rc rc = record_of(req, &r, &id, &c, e);
    if (rc == RC_OK)
        rc = http_json_body(req, &body, e);
    if (rc == RC_OK && json_object_get(body, "action"))
        rc = err_set(e, RC_INVALID, "action", "不认识的字段 action");
    if (rc)
        return rc;
    json_t *params = json_copy(body);
    json_object_set_new(params, "action", json_string(r->patch));
    rc = act_then_get(req, resp, r, c, id, params, e);
    json_decref(params);
    return rc;
}

enum rc api_record_act(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct api_record *r;
    int64_t id = 0;
    struct conn *c;
    json_t *body;
    enum rc rc = record_of(req, &r, &id, &c, e);
    if (rc == RC_OK)
        rc = http_json_body(req, &body, e);
    return rc ? rc : act_then_get(req, resp, r, c, id, body, e);
}

enum rc api_record_actions(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct api_record *r;
    int64_t id = 0;
    struct conn *c;
    json_t *j = NULL;
    enum rc rc = record_of(req, &r, &id, &c, e);
    if (rc == RC_OK)
        rc = flow_actions_of(r->flow, c, api_who(req), NULL, id, &j, e);
    return rc ? rc : http_reply(resp, 200, json_pack("{s:o}", "items", j));
}

enum rc api_record_timeline(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct api_record *r;
    int64_t id = 0;
    struct conn *c;
    json_t *j = NULL;
    enum rc rc = record_of(req, &r, &id, &c, e);
    if (rc == RC_OK)
        rc = flow_timeline_of(r->flow, c, api_who(req), id, &j, e);
    return rc ? rc : http_reply(resp, 200, json_pack("{s:o}", "items", j));
}

enum rc api_record_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct api_record *r = req->route->data;
    const struct rec_table *t = r->flow->table;
    const char *eq[32] = {0};
    struct api_list l;
    struct conn *c;
    json_t *items = NULL;
    enum rc rc = api_list_id(req, &l, e);
    for (int i = 0; rc == RC_OK && i < t->n_cols && i < 32; i++) {
        if (!(t->cols[i].flags & REC_FILTER))
            continue;
        eq[i] = http_query(req, t->cols[i].name);
        if (eq[i] && t->cols[i].type == REC_STATE && flow_state_parse(r->flow, eq[i]) < 0)
            rc = err_set(e, RC_INVALID, t->cols[i].name, "未知的状态 %s", eq[i]);
    }
    if (rc == RC_OK)
        rc = api_db(req, &c, e);
    if (rc == RC_OK)
        rc = rec_list(r->flow, c, api_who(req), eq, l.after_id, l.limit, &items, e);
    return rc ? rc : http_reply(resp, 200, api_page(req, items, l.limit, "id"));
}

/* ---- bulk work --------------------------------------------------------------------------- */

/* A record id of a bulk request: a positive integer or a string of its digits. */
static bool bulk_id(const json_t *v, int64_t *out)
{
    if (json_is_integer(v) && json_integer_value(v) > 0) {
        *out = json_integer_value(v);
        return true;
    }
    return json_is_string(v) && parse_int(json_string_value(v), 1, INT64_MAX, out);
}

enum rc api_bulk(struct http_req *req, struct http_resp *resp, const struct flow *f,
                 const void *ctx, int64_t now, struct err *e)
{
    static const char *const members[] = {"action", "ids", "body", NULL};
    json_t *in, *out = NULL;
    const char *action = NULL;
    enum rc rc = http_json_body(req, &in, e);
    if (rc == RC_OK)
        rc = jsonx_only(in, members, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(in, "action", true, 32, &action, e);
    if (rc)
        return rc;
    json_t *ids = json_object_get(in, "ids"), *body = json_object_get(in, "body");
    if (!json_is_array(ids))
        return err_set(e, RC_INVALID, "ids", "ids 应为所选%s编号的数组", f->label);
    if (body && !json_is_null(body) && !json_is_object(body))
        return err_set(e, RC_INVALID, "body", "body 应为对象（该操作的其他字段）");
    if (json_is_object(body) && json_object_get(body, "action"))
        return err_set(e, RC_INVALID, "body", "操作名称应写在 action，而不是 body 中");
    size_t n = json_array_size(ids);
    if (n > FLOW_BULK_MAX)
        return err_set(e, RC_INVALID, "ids", "一次最多处理 %d 条%s，已选 %zu 条", FLOW_BULK_MAX,
                       f->label, n);
    json_t *params = json_is_object(body) ? json_copy(body) : json_object();
    json_object_set_new(params, "action", json_string(action));
    struct flow_bulk_item items[FLOW_BULK_MAX];
    for (size_t i = 0; i < n && rc == RC_OK; i++) {
        items[i].params = params;
        if (!bulk_id(json_array_get(ids, i), &items[i].id))
            rc = err_set(e, RC_INVALID, "ids", "第 %zu 个编号不是有效的%s编号", i + 1, f->label);
    }
    struct conn *c;
    if (rc == RC_OK)
        rc = api_db(req, &c, e);
    if (rc == RC_OK)
        rc = flow_bulk(f, c, api_who(req), ctx, items, n, now, &out, e);
    json_decref(params);
    if (rc)
        return rc;
    json_object_set_new(out, "action", json_string(action));
    return http_reply(resp, 200, out);
}

enum rc api_record_bulk(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct api_record *r = req->route->data;
    return api_bulk(req, resp, r->flow, NULL, time_now_ms(), e);
}
