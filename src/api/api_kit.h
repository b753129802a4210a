/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_kit: what every resource file parses the same way. Query parameters are read
 * through typed readers: an absent parameter takes its default, a present but malformed
 * one (an empty "?days=" too) is RC_INVALID (400) naming the parameter, never a silent "all"
 * (`?policy_id=abc` used to list every policy). Lists read ?limit= and ?cursor= with
 * api_list_*. Request bodies are read through a field table (struct api_field): an
 * unknown member, a wrong type, a missing required member or a value out of range is
 * RC_INVALID naming the field. See docs/internals/api.md "API kit".
 */
#ifndef QIFU_API_KIT_H
#define QIFU_API_KIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"

/* ---- path parameters ------------------------------------------------------------- */

/* req->params[i] as a positive id. RC_NOTFOUND "<what>不存在" when it is not one (no
 * record has that id). */
enum rc api_path_id(struct http_req *req, int i, const char *what, int64_t *out,
                    struct err *e) WARN_UNUSED;

/* ---- query parameters: absent leaves the default, present must be valid ----------- */

/* ?name= as a positive id; *out is 0 when absent. RC_INVALID naming name otherwise. */
enum rc api_query_id(struct http_req *req, const char *name, int64_t *out,
                     struct err *e) WARN_UNUSED;
/* ?name= as an integer in min..max; *out untouched when absent. */
enum rc api_query_int(struct http_req *req, const char *name, int64_t min, int64_t max,
                      int64_t *out, struct err *e) WARN_UNUSED;
/* ?name= as a flag: 1/true or 0/false; *out untouched when absent. */
enum rc api_query_flag(struct http_req *req, const char *name, bool *out,
                       struct err *e) WARN_UNUSED;
/* ?name= as one of words (NULL-terminated); *out is NULL when absent, else the borrowed
 * value. RC_INVALID lists the accepted words. */
enum rc api_query_word(struct http_req *req, const char *name, const char *const *words,
                       const char **out, struct err *e) WARN_UNUSED;
/* ?name= as a date YYYY-MM-DD (days since 1970-01-01); *out untouched when absent. With
 * required, absent is RC_INVALID too. */
enum rc api_query_date(struct http_req *req, const char *name, bool required, int64_t *out,
                       struct err *e) WARN_UNUSED;

/* ---- lists -------------------------------------------------------------------------- */

/* One page request: ?limit= (1..API_MAX_LIMIT, default API_DEFAULT_LIMIT) and ?cursor=. */
struct api_list {
    int limit;
    const char *after; /* the decoded cursor (request pool), NULL on the first page */
    int64_t after_id;  /* api_list_id: the cursor as a positive id, 0 on the first page */
};

/* Reads ?limit= and ?cursor= (opaque text). RC_INVALID naming "limit" or "cursor". */
enum rc api_list_text(struct http_req *req, struct api_list *l, struct err *e) WARN_UNUSED;
/* Same for lists keyed by id: the cursor must decode to a positive id. */
enum rc api_list_id(struct http_req *req, struct api_list *l, struct err *e) WARN_UNUSED;

/* ---- request bodies ---------------------------------------------------------------- */

enum api_field_type { API_STR, API_INT, API_BOOL };

/*
 * One member of a JSON request body, read into the caller's struct at offset. An
 * absent or null member leaves the struct's value untouched unless required.
 */
struct api_field {
    const char *name;
    enum api_field_type type;
    bool required;
    int64_t min, max; /* API_STR: max code points in max (0: no limit); API_INT: the range */
    size_t offset;    /* offsetof the const char * / int64_t / bool in the caller's struct */
};

/* Field table rows: the member's name in the body, then the caller's struct type S and its
 * member m (a const char *, int64_t or bool). */
#define API_FIELD_STR(name, S, m, required, max_len)                                               \
    {                                                                                              \
        (name), API_STR, (required), 0, (max_len), offsetof(S, m)                                  \
    }
#define API_FIELD_INT(name, S, m, required, lo, hi)                                                \
    {                                                                                              \
        (name), API_INT, (required), (lo), (hi), offsetof(S, m)                                    \
    }
#define API_FIELD_BOOL(name, S, m, required)                                                       \
    {                                                                                              \
        (name), API_BOOL, (required), 0, 0, offsetof(S, m)                                         \
    }

/*
 * Parses the JSON object body of req and reads the n fields into out. RC_INVALID naming
 * the member for an unknown member ("不认识的字段 x"), a wrong type, a missing required
 * member or a value out of range; the body's own errors as http_json_body. *body
 * (optional) receives the parsed body (borrowed: the router frees it).
 */
enum rc api_body(struct http_req *req, const struct api_field *fields, size_t n, void *out,
                 json_t **body, struct err *e) WARN_UNUSED;

/* ---- the routes of one record of a workflow ------------------------------------------ */

struct flow;

/*
 * What the record handlers below need, given as the route's data (ROUTE_DATA and
 * API_RECORD_ROUTES in api_int.h): a resource file declares one and writes no handler for
 * get, create, PATCH, actions and timeline. Each handler takes the connection the router
 * releases (api_db) and answers the record as get reads it after a write.
 */
struct api_record {
    const char *what;        /* "意见建议": the 404 of a path id that cannot be one names it */
    const struct flow *flow; /* its workflow: actions, act, PATCH and timeline (ctx NULL) */
    /* Reads one record p may see (new JSON); RC_NOTFOUND when p may not. NULL: the flow's
     * column table answers (rec_get, flow_rec.h). */
    enum rc (*get)(struct conn *c, const struct principal *p, int64_t id, json_t **out,
                   struct err *e);
    /* Creates one from the request body; NULL: rec_create from the flow's column table
     * (a route table without POST on the collection simply has no create route). */
    enum rc (*create)(struct conn *c, const struct principal *p, const json_t *body, int64_t *id,
                      struct err *e);
    /* PATCH is this action of the flow, the body's members its fields (NULL: none), so an
     * edit is checked, recorded and audited as any action. */
    const char *patch;
};

/* GET on the collection of a flow with a column table: rec_list with ?limit=, ?cursor= and
 * the REC_FILTER columns as ?name= (a state checked against the flow: 400 naming it). */
enum rc api_record_list(struct http_req *req, struct http_resp *resp, struct err *e);
/* GET .../{id}: get. */
enum rc api_record_get(struct http_req *req, struct http_resp *resp, struct err *e);
/* POST on the collection: create, then 201 with get. */
enum rc api_record_create(struct http_req *req, struct http_resp *resp, struct err *e);
/* PATCH .../{id}: flow_act of the patch action (a member "action" is a 400), then get. */
enum rc api_record_patch(struct http_req *req, struct http_resp *resp, struct err *e);
/* POST .../{id}/actions: flow_act, then get. */
enum rc api_record_act(struct http_req *req, struct http_resp *resp, struct err *e);
/* GET .../{id}/actions: {"items": flow_actions_of}. */
enum rc api_record_actions(struct http_req *req, struct http_resp *resp, struct err *e);
/* GET .../{id}/timeline: {"items": flow_timeline_of}. */
enum rc api_record_timeline(struct http_req *req, struct http_resp *resp, struct err *e);

/* ---- Excel (api_xlsx.c) ---------------------------------------------------------- */

#define API_XLSX_MAX_ROWS 100000             /* rows of one export; past it a note says so */
#define API_XLSX_MAX_CSV ((size_t)256 << 20) /* bytes of the CSV an imported .xlsx becomes */

/*
 * Points every GET route of routes that has an Excel export (api_xlsx.c's table: each
 * list and statistics route) at the export wrapper: with ?format=xlsx it answers an .xlsx
 * of all the rows the route's own handler gives the caller under the same filters (page
 * after page), otherwise it calls that handler as it is. api_routes_for calls it.
 */
void api_xlsx_wrap(struct http_route *routes, size_t n);
/* Whether the GET route pattern has an Excel export. */
bool api_xlsx_exports(const char *pattern);
/*
 * The body of an import request as the CSV importers read it: the body itself, or, when
 * the Content-Type is the .xlsx type (or application/octet-stream), its first sheet
 * converted by base/xlsx_read (freed when the handler returns). RC_INVALID or
 * RC_TOOLARGE with a Chinese message for a file that is not a readable workbook.
 * *csv_type is set when the data is CSV from Excel, whatever the Content-Type said.
 */
enum rc api_import_body(struct http_req *req, const char **data, size_t *n, bool *from_xlsx,
                        struct err *e) WARN_UNUSED;
/*
 * The body of an import as its importer reads it (api_import_body), with its kind from the
 * Content-Type: *csv for an .xlsx or text/csv, false for JSON lines (application/x-ndjson,
 * application/jsonl); RC_MEDIATYPE naming the accepted types for any other.
 */
enum rc api_import_text(struct http_req *req, const char **data, size_t *n, bool *csv,
                        struct err *e) WARN_UNUSED;
/*
 * POST .../bulk {"action", "ids": ["1", 2, ...], "body": {the action's other members}}:
 * flow_bulk of f over the ids (at most FLOW_BULK_MAX), each record with the request
 * {"action", ...body}; answers 200 with flow_bulk's per-record report. A body that is not
 * one is 400 naming the member. ctx as for flow_act.
 */
enum rc api_bulk(struct http_req *req, struct http_resp *resp, const struct flow *f,
                 const void *ctx, int64_t now, struct err *e);
/* The same for the flow of the route's struct api_record (ctx NULL). */
enum rc api_record_bulk(struct http_req *req, struct http_resp *resp, struct err *e);

#endif
