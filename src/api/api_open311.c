/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_open311: Open311 GeoReport v2 under /open311/v2, in JSON and XML. Services
 * are the active demand categories; a service request is a demand submitted with
 * channel "open311" by an API key.
 *
 * The spec fixes the error shape, so these handlers answer every client error
 * themselves, as [{"code": 400, "description": "..."}] (XML <errors><error>...),
 * returning RC_OK with the status set; only internal failures go to the router.
 * Reading requests needs the api_key too: a key sees the Open311 demands submitted
 * by any key of its own organisation, nothing else (docs/internals/open311.md).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../auth/auth.h"
#include "../base/jsonx.h"
#include "../base/timeutil.h"
#include "../calendar/calendar.h"
#include "../category/category.h"
#include "../demand/demand.h"
#include "../store/store.h"
#include "api.h"
#include "api_int.h"

#define OPEN311_MAX_LIST 200 /* requests in one list answer */
#define OPEN311_MAX_IDS 50   /* ids in service_request_id */
#define OPEN311_TITLE_CHARS 30
#define OPEN311_MAX_DESCRIPTION 4000 /* characters: the schema's limit */

enum fmt { FMT_JSON, FMT_XML };

/* ---- XML writer ---------------------------------------------------------------- */

/* Appends s with & < > " ' escaped; drops the control characters XML 1.0 forbids. */
static enum rc xml_text(struct buf *b, const char *s)
{
    enum rc rc = RC_OK;
    for (; *s && rc == RC_OK; s++) {
        unsigned char ch = (unsigned char)*s;
        switch (ch) {
        case '&':
            rc = buf_puts(b, "&amp;");
            break;
        case '<':
            rc = buf_puts(b, "&lt;");
            break;
        case '>':
            rc = buf_puts(b, "&gt;");
            break;
        case '"':
            rc = buf_puts(b, "&quot;");
            break;
        case '\'':
            rc = buf_puts(b, "&apos;");
            break;
        default:
            if (ch >= 0x20 || ch == '\t' || ch == '\n' || ch == '\r')
                rc = buf_append(b, s, 1);
        }
    }
    return rc;
}

/* The element name of one item of a list element (GeoReport v2 names). */
static const char *singular(const char *list)
{
    static const char *const map[][2] = {
        {"endpoints", "endpoint"},   {"formats", "format"},         {"attributes", "attribute"},
        {"values", "value"},         {"services", "service"},       {"errors", "error"},
        {"service_requests", "request"},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i][0], list) == 0)
            return map[i][1];
    return "item";
}

/* Writes <name>v</name>: objects as child elements, arrays as repeated items. */
static enum rc xml_value(struct buf *b, const char *name, const json_t *v)
{
    enum rc rc;
    if (json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0) ||
        (json_is_object(v) && json_object_size(v) == 0))
        return buf_printf(b, "<%s/>", name);
    if ((rc = buf_printf(b, "<%s>", name)))
        return rc;
    if (json_is_object(v)) {
        const char *k;
        json_t *m;
        json_object_foreach((json_t *)(uintptr_t)v, k, m)
        {
            if ((rc = xml_value(b, k, m)))
                return rc;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m)
        {
            if ((rc = xml_value(b, singular(name), m)))
                return rc;
        }
    } else if (json_is_string(v)) {
        rc = xml_text(b, json_string_value(v));
    } else if (json_is_integer(v)) {
        rc = buf_printf(b, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        rc = jsonx_dump((json_t *)(uintptr_t)v, b); /* the same digits as the JSON answer */
    } else {
        rc = buf_puts(b, json_is_true(v) ? "true" : "false");
    }
    if (rc == RC_OK)
        rc = buf_printf(b, "</%s>", name);
    return rc;
}

/* ---- answers -------------------------------------------------------------------- */

/*
 * Answers j (stolen) with status in format f; root names the XML document element
 * (a list's items are named by singular(root)).
 */
static enum rc reply(struct http_resp *resp, enum fmt f, int status, const char *root, json_t *j)
{
    if (f == FMT_JSON)
        return http_reply(resp, status, j);
    resp->status = status;
    resp->content_type = "text/xml; charset=utf-8";
    enum rc rc = buf_puts(&resp->body, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    if (rc == RC_OK)
        rc = xml_value(&resp->body, root, j);
    json_decref(j);
    return rc;
}

/* Answers the spec's error list with one error. Returns RC_OK. */
static enum rc fail(struct http_resp *resp, enum fmt f, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static enum rc fail(struct http_resp *resp, enum fmt f, int status, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_t *errs = json_pack("[{s:i, s:s}]", "code", status, "description", msg);
    if (!errs) /* the message was cut inside a character */
        errs = json_pack("[{s:i, s:s}]", "code", status, "description", rc_str(RC_INVALID));
    return reply(resp, f, status, "errors", errs);
}

/* Answers a domain failure: client errors in the spec's shape, the rest to the router. */
static enum rc fail_rc(struct http_resp *resp, enum fmt f, enum rc rc, const struct err *e)
{
    int status = rc_http(rc);
    if (status < 400 || status >= 500)
        return rc;
    return fail(resp, f, status, "%s", e->rc == rc && e->msg[0] ? e->msg : rc_str(rc));
}

/*
 * Splits the last path segment "name.json" / "name.xml". Returns false (after
 * answering 404) for any other extension or an empty name.
 */
static bool doc_name(struct http_req *req, struct http_resp *resp, const char **name, enum fmt *f)
{
    const char *seg = req->params[req->n_params - 1];
    const char *dot = strrchr(seg, '.');
    *f = FMT_JSON;
    if (dot && dot > seg && (strcmp(dot, ".json") == 0 || strcmp(dot, ".xml") == 0)) {
        *f = dot[1] == 'x' ? FMT_XML : FMT_JSON;
        *name = pool_strndup(&req->pool, seg, (size_t)(dot - seg));
        return true;
    }
    (void)fail(resp, FMT_JSON, 404, "unknown format: use .json or .xml");
    return false;
}

static const char *str_or(const json_t *j, const char *key, const char *def)
{
    const char *s = json_string_value(json_object_get(j, key));
    return s ? s : def;
}

/* ---- form bodies --------------------------------------------------------------- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes n bytes of x-www-form-urlencoded text into the pool; NULL if malformed. */
static char *form_decode(struct pool *pool, const char *s, size_t n)
{
    char *out = pool_alloc(pool, n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            *o++ = ' ';
        } else if (s[i] == '%') {
            int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return NULL;
            *o++ = (char)(hi * 16 + lo);
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    if (strlen(out) != (size_t)(o - out) || !utf8_valid(out, (size_t)(o - out)))
        return NULL;
    return out;
}

static bool is_form(struct http_req *req)
{
    const char *ct = http_header(req, "Content-Type");
    return ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0;
}

/*
 * Parses the urlencoded body into a new JSON object of strings (the first of
 * repeated names wins). RC_INVALID for malformed escapes or bad UTF-8.
 */
static enum rc form_parse(struct http_req *req, json_t **out, struct err *e)
{
    json_t *obj = json_object();
    const char *s = req->body;
    while (*s) {
        const char *amp = strchr(s, '&');
        size_t len = amp ? (size_t)(amp - s) : strlen(s);
        const char *eq = memchr(s, '=', len);
        size_t klen = eq ? (size_t)(eq - s) : len;
        char *k = form_decode(&req->pool, s, klen);
        char *v = eq ? form_decode(&req->pool, eq + 1, len - klen - 1) : pool_strdup(&req->pool, "");
        if (!k || !v) {
            json_decref(obj);
            return err_set(e, RC_INVALID, NULL, "malformed form body");
        }
        if (*k && !json_object_get(obj, k))
            json_object_set_new(obj, k, json_string(v));
        s += len;
        if (*s == '&')
            s++;
    }
    *out = obj;
    return RC_OK;
}

const char *api_open311_key(struct http_req *req)
{
    const char *k = http_query(req, "api_key");
    if (k || req->method != HTTP_POST || !is_form(req))
        return k;
    json_t *form;
    struct err e;
    if (form_parse(req, &form, &e))
        return NULL;
    const char *v = json_string_value(json_object_get(form, "api_key"));
    v = v ? pool_strdup(&req->pool, v) : NULL;
    json_decref(form);
    return v;
}

/*
 * A parameter of a JSON or form body as text (numbers formatted; a pool copy), NULL
 * when absent or empty. "attribute[x]" is also found as {"attribute": {"x": ...}} in JSON.
 */
static const char *param(struct http_req *req, const json_t *in, const char *name)
{
    const json_t *v = json_object_get(in, name);
    if (!v && strncmp(name, "attribute[", 10) == 0) {
        char sub[64];
        snprintf(sub, sizeof(sub), "%s", name + 10);
        char *close = strchr(sub, ']');
        if (close)
            *close = '\0';
        v = json_object_get(json_object_get(in, "attribute"), sub);
    }
    if (json_is_string(v))
        return *json_string_value(v) ? pool_strdup(&req->pool, json_string_value(v)) : NULL;
    if (json_is_number(v))
        return pool_printf(&req->pool, "%.17g", json_number_value(v));
    return NULL;
}

/* ---- context ------------------------------------------------------------------- */

static void ctx_begin(struct http_req *req, struct demand_ctx *ctx)
{
    ctx->cal = calendar_current(api_app(req)->calendar, NULL, NULL);
    ctx->now = time_now_ms();
    ctx->yellow_days = 1;
}

static void ctx_end(struct http_req *req, struct demand_ctx *ctx)
{
    calendar_release(api_app(req)->calendar, ctx->cal);
    ctx->cal = NULL;
}

/* The API key's principal, or NULL (after answering 403) when none or not a key. */
static const struct principal *key_principal(struct http_req *req, struct http_resp *resp,
                                             enum fmt f)
{
    const struct principal *p = api_who(req);
    if (p && p->apikey_id)
        return p;
    (void)fail(resp, f, 403, "api_key missing or invalid");
    return NULL;
}

/* ---- discovery and services -------------------------------------------------- */

/* Is h a host name or address with an optional port (nothing a URL would misread)? */
static bool host_ok(const char *h)
{
    size_t n = strlen(h);
    if (n == 0 || n > 255)
        return false;
    return strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") == n;
}

/*
 * The endpoint's URL is --public-url (app->public_url) + /open311/v2. Without it the
 * server cannot know its scheme or name behind a proxy, so it falls back to
 * http:// + the Host header (when that is a plain host[:port], else localhost).
 */
static enum rc discovery(struct http_req *req, struct http_resp *resp, enum fmt f)
{
    const char *base = api_app(req)->public_url;
    if (!base || !*base) {
        const char *host = http_header(req, "Host");
        base = pool_printf(&req->pool, "http://%s", host && host_ok(host) ? host : "localhost");
    }
    const char *url = pool_printf(&req->pool, "%s/open311/v2", base);
    json_t *j = json_pack("{s:s, s:s, s:s, s:[{s:s, s:s, s:s, s:s, s:[s, s]}]}", "changeset",
                          "2026-11-23T00:00:00+08:00", "contact",
                          "企业服务一网通办（qifu）：请联系所在地政务服务中心", "key_service",
                          "API keys are issued by the administrator: qifu apikey add NAME --org CODE",
                          "endpoints", "specification", "http://wiki.open311.org/GeoReport_v2",
                          "url", url, "changeset", "2026-11-23T00:00:00+08:00", "type",
                          "production", "formats", "text/xml", "application/json");
    return reply(resp, f, 200, "discovery", j);
}

/* Appends the services of nodes (a category_tree level) to out, depth first. */
static void flatten(const json_t *nodes, const char *group, json_t *out)
{
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
    {
        const char *name = str_or(n, "name", "");
        const char *kind = str_or(n, "kind", "");
        const char *label = str_or(n, "kind_label", kind);
        char desc[160], kw[96];
        snprintf(desc, sizeof(desc), "%s（%s类诉求）", name, label);
        snprintf(kw, sizeof(kw), "%s,%s", label, kind);
        json_t *s = json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:s}", "service_code",
                              str_or(n, "code", ""), "service_name", name, "description", desc,
                              "metadata", 1, "type", "realtime", "keywords", kw, "group",
                              group ? group : label);
        json_array_append_new(out, s);
        flatten(json_object_get(n, "children"), name, out);
    }
}

/* Loads the active services as a new JSON array. */
static enum rc services_all(struct http_req *req, json_t **out, struct err *e)
{
    struct conn *c;
    json_t *tree = NULL;
    enum rc rc = api_db(req, &c, e);
    if (rc)
        return rc;
    rc = category_tree(c, false, &tree, e);
    if (rc)
        return rc;
    *out = json_array();
    flatten(tree, NULL, *out);
    json_decref(tree);
    return RC_OK;
}

static enum rc api_open311_service(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *code;
    enum fmt f;
    if (!doc_name(req, resp, &code, &f))
        return RC_OK;
    json_t *all;
    enum rc rc = services_all(req, &all, e);
    if (rc)
        return rc;
    size_t i;
    json_t *s;
    bool found = false;
    json_array_foreach(all, i, s)
    {
        if (strcmp(str_or(s, "service_code", ""), code) == 0)
            found = true;
    }
    json_decref(all);
    if (!found)
        return fail(resp, f, 404, "unknown service_code %s", code);
    /*
     * Every demand belongs to a registered enterprise, so every service has the one
     * attribute POST requires (as attribute[credit_code]); categories carry no others.
     */
    json_t *def =
        json_pack("{s:s, s:[{s:b, s:s, s:s, s:b, s:s, s:i, s:s}]}", "service_code", code,
                  "attributes", "variable", 1, "code", "credit_code", "datatype", "string",
                  "required", 1, "datatype_description",
                  "18 位统一社会信用代码（GB 32100-2015），如 91340100131860916Y", "order", 1,
                  "description", "提出诉求的企业的统一社会信用代码（企业须已在本平台企业库登记）");
    return reply(resp, f, 200, "service_definition", def);
}

/* ---- requests ------------------------------------------------------------------ */

static bool closed_state(const char *state)
{
    static const char *const closed[] = {"declined", "answered_directly", "rated", "archived",
                                         "merged",   "withdrawn"};
    for (size_t i = 0; i < sizeof(closed) / sizeof(closed[0]); i++)
        if (strcmp(closed[i], state) == 0)
            return true;
    return false;
}

#define CLOSED_SQL "('declined','answered_directly','rated','archived','merged','withdrawn')"
/* The demands a key may read: Open311 ones submitted by a key of its organisation. */
#define KEY_SCOPE_SQL "d.channel = 'open311' AND d.created_by IN " AUTH_APIKEY_ACTORS_SQL

static json_t *when(int64_t ms)
{
    if (!ms)
        return json_null();
    char out[40];
    time_fmt_cst(ms, out, sizeof(out));
    return json_string(out);
}

/*
 * Builds the GeoReport request of demand id if the key p may read it: *out is a new
 * object, or NULL when the demand is not an Open311 demand of the key's organisation.
 */
static enum rc load_request(struct conn *c, const struct demand_ctx *ctx,
                            const struct principal *p, int64_t id, json_t **out, struct err *e)
{
    *out = NULL;
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               "SELECT d.lat, d.lon, d.updated_at, cat.name FROM demands d LEFT "
                               "JOIN categories cat ON cat.code = d.category WHERE d.id = ? AND " KEY_SCOPE_SQL,
                               &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, id);
    store_bind_int(st, 2, p->org_id);
    rc = store_step(st, e);
    if (rc != RC_ROW) {
        store_finish(st);
        return rc == RC_DONE ? RC_OK : rc;
    }
    bool has_loc = !store_isnull(st, 0) && !store_isnull(st, 1);
    double lat = store_double(st, 0), lon = store_double(st, 1);
    int64_t updated = store_int(st, 2);
    char service_name[128];
    snprintf(service_name, sizeof(service_name), "%s", store_text(st, 3) ? store_text(st, 3) : "");
    store_finish(st);

    /*
     * The scope check above is the visibility rule; the record itself is read through
     * the demand module as a read-only administrator (who may read and not act).
     */
    struct principal reader = *p;
    reader.perms = ACCESS_BIT(ACCESS_SCOPE_ALL); /* every record, no relation, no pii.read */
    json_t *d = NULL, *tl = NULL;
    rc = demand_get(c, ctx, &reader, id, &d, e);
    if (rc == RC_OK)
        rc = demand_timeline(c, &reader, id, &tl, e);
    if (rc) {
        json_decref(d);
        return rc;
    }
    const char *state = str_or(d, "state", "");
    const char *notes = str_or(d, "state_label", "");
    for (size_t i = json_array_size(tl); i-- > 0;) {
        const json_t *ev = json_array_get(tl, i);
        const char *note = json_string_value(json_object_get(ev, "note"));
        if (!json_is_true(json_object_get(ev, "internal")) && note && *note) {
            notes = note;
            break;
        }
    }
    const json_t *lead = json_object_get(d, "lead");
    /*
     * expected_datetime is when the demand should be answered: the reply deadline once
     * dispatched (not the sign-for deadline that runs first), the rectification deadline
     * while it runs, and null when no clock runs (before dispatch, closed).
     */
    const json_t *due = json_object_get(d, "due"), *expected = json_object_get(d, "reply_due");
    if (json_is_null(due) || json_equal(due, json_object_get(d, "rectify_due")) ||
        json_is_null(expected))
        expected = due;
    json_t *r = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:O, s:o, s:O, s:O, s:n}",
                          "service_request_id", str_or(d, "id", ""), "status",
                          closed_state(state) ? "closed" : "open", "status_notes", notes,
                          "service_name", service_name, "service_code", str_or(d, "category", ""),
                          "description", str_or(d, "content", ""), "agency_responsible",
                          json_is_object(lead) ? json_string(str_or(lead, "name", ""))
                                               : json_null(),
                          "service_notice", str_or(d, "no", ""), "requested_datetime",
                          json_object_get(d, "created_at"), "updated_datetime", when(updated),
                          "expected_datetime", expected, "address",
                          json_object_get(d, "address"), "media_url");
    json_object_set_new(r, "lat", has_loc ? json_real(lat) : json_null());
    json_object_set_new(r, "long", has_loc ? json_real(lon) : json_null());
    json_decref(d);
    json_decref(tl);
    *out = r;
    return RC_OK;
}

/* Parses a positive decimal id; 0 when malformed. */
static int64_t parse_id(const char *s)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    return *s && !*end && v > 0 ? v : 0;
}

/* Reads one request (what: 0 the request, 1 the token answer). */
static enum rc one_request(struct http_req *req, struct http_resp *resp, struct err *e, int what)
{
    const char *name;
    enum fmt f;
    if (!doc_name(req, resp, &name, &f))
        return RC_OK;
    const struct principal *p = key_principal(req, resp, f);
    if (!p)
        return RC_OK;
    int64_t id = parse_id(name);
    json_t *r = NULL;
    enum rc rc = RC_OK;
    if (id) {
        struct demand_ctx ctx;
        ctx_begin(req, &ctx);
        struct conn *c;
        if ((rc = api_db(req, &c, e)) == RC_OK)
            rc = load_request(c, &ctx, p, id, &r, e);
        ctx_end(req, &ctx);
        if (rc)
            return fail_rc(resp, f, rc, e);
    }
    if (!r)
        return fail(resp, f, 404, "%s %s not found", what ? "token" : "service request", name);
    if (what == 1) {
        json_t *t = json_pack("[{s:s, s:s}]", "service_request_id",
                              str_or(r, "service_request_id", ""), "token", name);
        json_decref(r);
        return reply(resp, f, 200, "service_requests", t);
    }
    return reply(resp, f, 200, "service_requests", json_pack("[o]", r));
}

static enum rc api_open311_request(struct http_req *req, struct http_resp *resp, struct err *e)
{
    return one_request(req, resp, e, 0);
}

static enum rc api_open311_token(struct http_req *req, struct http_resp *resp, struct err *e)
{
    return one_request(req, resp, e, 1);
}

/*
 * Splits the comma list s into at most max non-empty pool copies (empty items are
 * skipped). Returns the count, or -1 when there are more than max.
 */
static int split_list(struct pool *pool, const char *s, const char **out, int max)
{
    int n = 0;
    while (s && *s) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        if (len) {
            if (n == max)
                return -1;
            out[n++] = pool_strndup(pool, s, len);
        }
        s += len;
        if (*s == ',')
            s++;
    }
    return n;
}

/* Parses ?name= as an integer in [lo, hi] (def when absent); false when malformed. */
static bool query_int(struct http_req *req, const char *name, long lo, long hi, long def, long *out)
{
    const char *s = http_query(req, name);
    *out = def;
    if (!s)
        return true;
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* The millisecond time t rounded down to its second (times are shown to the second). */
static int64_t to_second(int64_t t)
{
    return t - ((t % 1000) + 1000) % 1000;
}

/*
 * GET requests.{fmt}. service_request_id (a comma list) overrides every other filter,
 * as the spec says; otherwise service_code and status (comma lists), start_date and
 * end_date (both inclusive, to the second as requested_datetime is shown), newest
 * first, page_size (default and most OPEN311_MAX_LIST) requests of page (from 1).
 */
static enum rc list_requests(struct http_req *req, struct http_resp *resp, enum fmt f,
                             struct err *e)
{
    const struct principal *p = key_principal(req, resp, f);
    if (!p)
        return RC_OK;
    const char *codes[OPEN311_MAX_IDS], *items[OPEN311_MAX_IDS];
    int64_t ids[OPEN311_MAX_LIST];
    int n_ids =
        split_list(&req->pool, http_query(req, "service_request_id"), items, OPEN311_MAX_IDS);
    if (n_ids < 0)
        return fail(resp, f, 400, "at most %d ids in service_request_id", OPEN311_MAX_IDS);
    for (int i = 0; i < n_ids; i++)
        if (!(ids[i] = parse_id(items[i])))
            return fail(resp, f, 400, "service_request_id must be a comma list of ids");
    int n_codes = split_list(&req->pool, http_query(req, "service_code"), codes, OPEN311_MAX_IDS);
    if (n_codes < 0)
        return fail(resp, f, 400, "at most %d codes in service_code", OPEN311_MAX_IDS);
    int n_status = split_list(&req->pool, http_query(req, "status"), items, OPEN311_MAX_IDS);
    unsigned want = 0; /* bit 1 open, bit 2 closed; 0 or 3: either */
    for (int i = 0; i < n_status; i++) {
        if (strcmp(items[i], "open") == 0)
            want |= 1;
        else if (strcmp(items[i], "closed") == 0)
            want |= 2;
        else
            return fail(resp, f, 400, "status must be open, closed or open,closed");
    }
    if (n_status < 0)
        return fail(resp, f, 400, "status must be open, closed or open,closed");
    const char *start = http_query(req, "start_date"), *end = http_query(req, "end_date");
    int64_t from = 0, to = 0;
    if (start && *start && time_parse(start, &from))
        return fail(resp, f, 400, "start_date must be RFC 3339");
    if (end && *end && time_parse(end, &to))
        return fail(resp, f, 400, "end_date must be RFC 3339");
    long page, page_size;
    if (!query_int(req, "page", 1, 1000000, 1, &page))
        return fail(resp, f, 400, "page must be a whole number from 1");
    if (!query_int(req, "page_size", 1, OPEN311_MAX_LIST, OPEN311_MAX_LIST, &page_size))
        return fail(resp, f, 400, "page_size must be from 1 to %d", OPEN311_MAX_LIST);

    struct demand_ctx ctx;
    ctx_begin(req, &ctx);
    struct conn *c = NULL;
    struct buf sql;
    buf_init(&sql, 8192);
    json_t *list = json_array();
    enum rc rc = api_db(req, &c, e);
    if (rc == RC_OK && !n_ids) {
        rc = buf_puts(&sql, "SELECT d.id FROM demands d WHERE " KEY_SCOPE_SQL);
        for (int i = 0; rc == RC_OK && i < n_codes; i++)
            rc = buf_puts(&sql, i ? ",?" : " AND d.category IN (?");
        if (rc == RC_OK && n_codes)
            rc = buf_puts(&sql, ")");
        if (rc == RC_OK && (want == 1 || want == 2))
            rc = buf_puts(&sql, want == 1 ? " AND d.state NOT IN " CLOSED_SQL
                                          : " AND d.state IN " CLOSED_SQL);
        if (rc == RC_OK && start && *start)
            rc = buf_puts(&sql, " AND d.created_at >= ?");
        if (rc == RC_OK && end && *end)
            rc = buf_puts(&sql, " AND d.created_at < ?");
        if (rc == RC_OK)
            rc = buf_puts(&sql, " ORDER BY d.id DESC LIMIT ? OFFSET ?");
        struct stmt *st = NULL;
        if (rc == RC_OK)
            rc = store_prepare(c, buf_str(&sql), &st, e);
        if (rc == RC_OK) {
            int k = 1;
            store_bind_int(st, k++, p->org_id);
            for (int i = 0; i < n_codes; i++)
                store_bind_text(st, k++, codes[i]);
            if (start && *start)
                store_bind_int(st, k++, to_second(from));
            if (end && *end)
                store_bind_int(st, k++, to_second(to) + 1000);
            store_bind_int(st, k++, page_size);
            store_bind_int(st, k++, (page - 1) * page_size);
            while (n_ids < OPEN311_MAX_LIST && (rc = store_step(st, e)) == RC_ROW)
                ids[n_ids++] = store_int(st, 0);
            store_finish(st);
            if (rc == RC_DONE || rc == RC_ROW)
                rc = RC_OK;
        }
    }
    for (int i = 0; rc == RC_OK && i < n_ids; i++) {
        json_t *r = NULL;
        rc = load_request(c, &ctx, p, ids[i], &r, e);
        if (r)
            json_array_append_new(list, r);
    }
    buf_cleanup(&sql);
    ctx_end(req, &ctx);
    if (rc) {
        json_decref(list);
        return fail_rc(resp, f, rc, e);
    }
    return reply(resp, f, 200, "service_requests", list);
}

static enum rc api_open311_get(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *name;
    enum fmt f;
    if (!doc_name(req, resp, &name, &f))
        return RC_OK;
    if (strcmp(name, "discovery") == 0)
        return discovery(req, resp, f);
    if (strcmp(name, "services") == 0) {
        json_t *all;
        enum rc rc = services_all(req, &all, e);
        return rc ? rc : reply(resp, f, 200, "services", all);
    }
    if (strcmp(name, "requests") == 0)
        return list_requests(req, resp, f, e);
    return fail(resp, f, 404, "no such document: %s", name);
}

static enum rc api_open311_method(struct http_req *req, struct http_resp *resp, struct err *e)
{
    (void)e;
    const char *name;
    enum fmt f;
    if (!doc_name(req, resp, &name, &f))
        return RC_OK;
    const char *allow = "GET, POST";
    if (req->n_params == 2) {
        static const char *const kinds[] = {"services", "requests", "tokens"};
        allow = NULL;
        for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
            if (strcmp(req->params[0], kinds[i]) == 0)
                allow = "GET";
        if (!allow)
            return fail(resp, f, 404, "no such document: %s/%s", req->params[0], name);
    }
    http_resp_header(req, resp, "Allow", allow);
    return fail(resp, f, 405, "method %s not allowed: use %s", req->method_name, allow);
}

/* Copies at most n characters (UTF-8) of s into the pool. */
static const char *first_chars(struct pool *pool, const char *s, size_t n)
{
    const char *p = s;
    for (size_t k = 0; *p && k < n; k++) {
        p++;
        while ((*p & 0xC0) == 0x80)
            p++;
    }
    return pool_strndup(pool, s, (size_t)(p - s));
}

/* POST requests.{fmt}: submits a demand (channel open311). */
static enum rc api_open311_post(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *name;
    enum fmt f;
    if (!doc_name(req, resp, &name, &f))
        return RC_OK;
    if (strcmp(name, "requests") != 0)
        return fail(resp, f, 404, "no such document: %s", name);
    /*
     * The body is parsed before the key is checked: a key inside a malformed form body
     * cannot be read, and the spec answers bad input (any body qifu cannot read, of
     * any Content-Type) with 400, not 403 or 415.
     */
    json_t *in = NULL;
    enum rc rc;
    if (is_form(req)) {
        rc = form_parse(req, &in, e);
    } else {
        rc = http_json_body(req, &in, e);
        if (rc == RC_OK)
            json_incref(in);
    }
    if (rc)
        return fail(resp, f, 400, "%s",
                    rc == RC_MEDIATYPE ? "use application/x-www-form-urlencoded or application/json"
                                       : e->msg);
    const struct principal *p = key_principal(req, resp, f);
    if (!p) {
        json_decref(in);
        return RC_OK;
    }
    struct demand_new d = {0};
    d.channel = "open311";
    d.category = param(req, in, "service_code");
    d.content = param(req, in, "description");
    d.credit_code = param(req, in, "attribute[credit_code]");
    d.address = param(req, in, "address_string");
    d.contact_phone = param(req, in, "phone");
    const char *email = param(req, in, "email");
    const char *first = param(req, in, "first_name"), *last = param(req, in, "last_name");
    const char *lat = param(req, in, "lat"), *lon = param(req, in, "long");
    d.idem_key = http_header(req, "Idempotency-Key");
    const char *bad = NULL;
    if (!d.category)
        bad = "service_code missing";
    else if (!d.content)
        bad = "description missing";
    else if (!d.credit_code)
        bad = "attribute[credit_code] missing: the enterprise's unified social credit code is "
              "required";
    else if (utf8_len(d.content) > OPEN311_MAX_DESCRIPTION)
        bad = "description is longer than 4000 characters";
    else if (d.address && utf8_len(d.address) > 200)
        bad = "address_string is longer than 200 characters";
    else if (d.idem_key && (!*d.idem_key || strlen(d.idem_key) > 128))
        bad = "Idempotency-Key must be 1 to 128 bytes";
    else if ((lat != NULL) != (lon != NULL))
        bad = "lat and long must be given together";
    if (!bad && lat) {
        char *end1, *end2;
        d.lat = strtod(lat, &end1);
        d.lon = strtod(lon, &end2);
        if (*end1 || *end2 || !isfinite(d.lat) || !isfinite(d.lon))
            bad = "lat and long must be numbers";
        d.has_location = true;
    }
    if (bad) {
        json_decref(in);
        return fail(resp, f, 400, "%s", bad);
    }
    d.title = first_chars(&req->pool, d.content, OPEN311_TITLE_CHARS);
    if (first || last)
        d.contact_name = pool_printf(&req->pool, "%s%s", last ? last : "", first ? first : "");
    if (d.contact_name && utf8_len(d.contact_name) > 32)
        d.contact_name = first_chars(&req->pool, d.contact_name, 32);
    if (email)
        d.content = pool_printf(&req->pool, "%s\n（联系邮箱：%s）", d.content, email);
    json_decref(in);
    if (utf8_len(d.content) > OPEN311_MAX_DESCRIPTION) /* it is returned as the description */
        return fail(resp, f, 400,
                    "description with the email appended is longer than 4000 characters");

    struct conn *c;
    struct demand_ctx ctx;
    /* An unknown or inactive service is the spec's 400, checked before anything else. */
    struct category cat;
    if ((rc = api_db(req, &c, e)))
        return rc;
    rc = category_get(c, d.category, &req->pool, &cat, e);
    if (rc == RC_NOTFOUND || (rc == RC_OK && !cat.active))
        return fail(resp, f, 400, "unknown service_code %s", d.category);
    int64_t id = 0;
    bool existed = false;
    ctx_begin(req, &ctx);
    if (rc == RC_OK)
        rc = demand_create(c, &ctx, p, &d, &id, &existed, e);
    json_t *no = NULL;
    if (rc == RC_OK) {
        json_t *r;
        rc = load_request(c, &ctx, p, id, &r, e);
        if (r)
            no = json_incref(json_object_get(r, "service_notice")), json_decref(r);
    }
    ctx_end(req, &ctx);
    if (rc) {
        json_decref(no);
        return fail_rc(resp, f, rc, e);
    }
    if (existed)
        http_resp_header(req, resp, "Idempotent-Replay", "true");
    json_t *out = json_pack("[{s:s, s:o, s:n}]", "service_request_id",
                            pool_printf(&req->pool, "%lld", (long long)id), "service_notice",
                            no ? no : json_string(""), "account_id");
    return reply(resp, f, existed ? 200 : 201, "service_requests", out);
}

/* Any other method on an Open311 path: the spec's 405 or 404 (no summary: not in openapi.json). */
#define OPEN311_OTHER(m, p)                                                                        \
    {                                                                                              \
        .method = (m), .pattern = (p), .perms = HTTP_PUBLIC, .fn = api_open311_method              \
    }

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). */
const struct http_route api_open311_routes[] = {
    /* Open311 GeoReport v2: the handlers check the api_key and answer errors in the spec's shape.
     */
    ROUTE(HTTP_GET, "/open311/v2/{doc}", HTTP_PUBLIC, api_open311_get,
          "Open311：discovery / services / requests（.json 或 .xml；读诉求需 api_key）"),
    ROUTE(HTTP_POST, "/open311/v2/{doc}", HTTP_PUBLIC, api_open311_post,
          "Open311：提交诉求 requests.{json,xml}（api_key，attribute[credit_code] 必填）"),
    ROUTE(HTTP_GET, "/open311/v2/services/{doc}", HTTP_PUBLIC, api_open311_service,
          "Open311：服务定义"),
    ROUTE(HTTP_GET, "/open311/v2/requests/{doc}", HTTP_PUBLIC, api_open311_request,
          "Open311：诉求详情"),
    ROUTE(HTTP_GET, "/open311/v2/tokens/{doc}", HTTP_PUBLIC, api_open311_token,
          "Open311：令牌查询（同步创建，令牌即诉求编号）"),
    /* Every other method and document under /open311/v2: the spec's 405 or 404 (not listed
     * in openapi.json: no summary). */
    OPEN311_OTHER(HTTP_PUT, "/open311/v2/{doc}"),
    OPEN311_OTHER(HTTP_PATCH, "/open311/v2/{doc}"),
    OPEN311_OTHER(HTTP_DELETE, "/open311/v2/{doc}"),
    OPEN311_OTHER(HTTP_OTHER, "/open311/v2/{doc}"),
    OPEN311_OTHER(HTTP_GET, "/open311/v2/{kind}/{doc}"),
    OPEN311_OTHER(HTTP_POST, "/open311/v2/{kind}/{doc}"),
    OPEN311_OTHER(HTTP_PUT, "/open311/v2/{kind}/{doc}"),
    OPEN311_OTHER(HTTP_PATCH, "/open311/v2/{kind}/{doc}"),
    OPEN311_OTHER(HTTP_DELETE, "/open311/v2/{kind}/{doc}"),
    OPEN311_OTHER(HTTP_OTHER, "/open311/v2/{kind}/{doc}"),
};
const size_t api_open311_n_routes = sizeof(api_open311_routes) / sizeof(api_open311_routes[0]);
