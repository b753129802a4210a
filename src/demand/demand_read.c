/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demand_read: what a caller may read of demands: a demand's detail (written as JSON
 * text), the actions it may take now, its timeline, and lists shaped per role.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "../auth/auth.h"
#include "../base/buf.h"
#include "../base/jsonx.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../codes/codes.h"
#include "../ent/ent.h"
#include "../flow/flow.h"
#include "../store/store.h"
#include "demand.h"
#include "demand_int.h"

/* Writes "%q%" with LIKE's metacharacters escaped by '\' (out holds 2 * len + 3). */
static void like_pattern(char *out, const char *q)
{
    *out++ = '%';
    for (; *q; q++) {
        if (*q == '%' || *q == '_' || *q == '\\')
            *out++ = '\\';
        *out++ = *q;
    }
    *out++ = '%';
    *out = '\0';
}

/* ---- rows written as JSON text ------------------------------------------------------ */

/*
 * Lists and details write their JSON straight into the response buffer: building Jansson
 * objects of 22 members, serializing and freeing them was half of a read's CPU (perf:
 * malloc/free, json_object_set, the dump). Texts from the database are checked like
 * json_string checks them and written as null when they are not valid UTF-8; the fixed
 * vocabulary is written as it is. The writer's error is sticky: after the first failure
 * (the buffer's cap) nothing more is written and w->rc keeps it.
 */
/* Writes ,"key": where key is a literal in plain ASCII (no escaping needed). */
#define JW_KEY(w, lit) JSONX_W_LIT((w), ",\"" lit "\":")

/* A China Standard Time stamp (plain ASCII), or null for 0. */
static void jw_when(struct jsonx_w *w, int64_t ms)
{
    if (!ms) {
        jsonx_w_raw(w, "null", 4);
        return;
    }
    char out[64];
    out[0] = '"';
    size_t n = 1 + time_fmt_cst(ms, out + 1, sizeof(out) - 2);
    out[n++] = '"';
    jsonx_w_raw(w, out, n);
}

/* Writes the members every view of a demand has, without the closing brace, so the
 * caller can add its own. */
static void row_write(struct jsonx_w *w, const struct demand_ctx *ctx, const struct drow *d)
{
    int64_t due = demand__running_due(d);
    enum demand_light light = demand_light_of(ctx, due);
    JSONX_W_LIT(w, "{\"id\":\"");
    jsonx_w_int(w, d->id);
    JSONX_W_LIT(w, "\"");
    JW_KEY(w, "no");
    jsonx_w_text(w, d->no);
    JW_KEY(w, "credit_code");
    jsonx_w_text(w, d->credit);
    JW_KEY(w, "region");
    jsonx_w_text(w, d->region);
    JW_KEY(w, "category");
    jsonx_w_text(w, d->category);
    JW_KEY(w, "urgency");
    jsonx_w_text(w, d->urgency);
    JW_KEY(w, "state");
    jsonx_w_str(w, demand_state_name(d->state));
    JW_KEY(w, "state_label");
    jsonx_w_str(w, demand_state_label(d->state));
    JW_KEY(w, "sign_due");
    jw_when(w, d->sign_due);
    JW_KEY(w, "reply_due");
    jw_when(w, d->reply_due);
    JW_KEY(w, "rectify_due");
    jw_when(w, d->rectify_due);
    JW_KEY(w, "due");
    jw_when(w, due);
    JW_KEY(w, "due_beyond_coverage");
    jsonx_w_bool(w, d->beyond);
    JW_KEY(w, "light");
    jsonx_w_str(w, demand_light_name(light));
    JW_KEY(w, "created_at");
    jw_when(w, d->created_at);
    JW_KEY(w, "rating");
    if (d->rating)
        jsonx_w_int(w, d->rating);
    else
        jsonx_w_raw(w, "null", 4);
    JW_KEY(w, "channel");
    jsonx_w_text(w, d->channel);
    JW_KEY(w, "reviewed");
    jsonx_w_bool(w, d->reviewed);
    if (d->merged_into) {
        JW_KEY(w, "merged_into");
        jsonx_w_int(w, d->merged_into);
    }
    if (d->extension_to) {
        JW_KEY(w, "extension_requested_until");
        jw_when(w, d->extension_to);
    }
}

/* The actions the caller may take now (the buttons), as an array. */
static void jw_actions(struct jsonx_w *w, const struct drow *d, unsigned rels, int64_t now)
{
    flow_actions_w(w, &demand_flow, rels, (int)d->state, demand__conds_of(d, now));
}

/* The row with its details, once per co-handler (ordered by code; one row with NULLs
 * when there is none): one statement, so one snapshot and one read transaction. */
#define DETAIL_SQL                                                                                 \
    "SELECT " DROW_COLS ", d.title, d.content, d.contact_name, d.contact_phone, d.address, "       \
    "d.enterprise_name, lo.code, lo.name, d.external_id, COALESCE(d.received_at, 0), co.code, "    \
    "co.name, COALESCE(h.org_id, 0) FROM demands d LEFT JOIN orgs lo ON lo.id = d.lead_org_id "    \
    "LEFT JOIN demand_handlers h ON h.demand_id = d.id AND h.role = 'co' LEFT JOIN orgs co ON "    \
    "co.id = h.org_id WHERE d.id = ? ORDER BY co.code"

enum rc demand_get_text(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                        int64_t id, struct buf *out, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, DETAIL_SQL, &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, id);
    rc = store_step(st, e);
    if (rc != RC_ROW) {
        store_finish(st);
        return rc == RC_DONE ? err_set(e, RC_NOTFOUND, NULL, "诉求不存在") : rc;
    }
    return demand__detail_write(st, ctx, p, out, e);
}

enum rc demand__detail_write(struct stmt *st, const struct demand_ctx *ctx,
                             const struct principal *p, struct buf *out, struct err *e)
{
    enum rc rc;
    struct drow d;
    demand__read_row_n(st, &d, DROW_N);
    struct jsonx_w w = {out, buf_reserve(out, 4096)};
    row_write(&w, ctx, &d);
    int k = DROW_N;
    JW_KEY(&w, "title");
    jsonx_w_text(&w, store_text(st, k));
    JW_KEY(&w, "content");
    jsonx_w_text(&w, store_text(st, k + 1));
    JW_KEY(&w, "contact_name");
    jsonx_w_text(&w, store_text(st, k + 2));
    JW_KEY(&w, "address");
    jsonx_w_text(&w, store_text(st, k + 4));
    JW_KEY(&w, "enterprise_name");
    jsonx_w_text(&w, store_text(st, k + 5));
    JW_KEY(&w, "lead");
    if (store_isnull(st, k + 6)) {
        jsonx_w_raw(&w, "null", 4);
    } else {
        jsonx_w_raw(&w, "{\"code\":", 8);
        jsonx_w_text(&w, store_text(st, k + 6));
        JW_KEY(&w, "name");
        jsonx_w_text(&w, store_text(st, k + 7));
        jsonx_w_raw(&w, "}", 1);
    }
    JW_KEY(&w, "external_id");
    jsonx_w_text(&w, store_text(st, k + 8));
    JW_KEY(&w, "received_at");
    jw_when(&w, store_int(st, k + 9));
    /* The phone is written last: whether it is masked depends on every co-handler row. */
    const char *phone_col = store_text(st, k + 3);
    char *phone = phone_col ? xstrdup(phone_col) : NULL;
    JW_KEY(&w, "co_handlers");
    jsonx_w_raw(&w, "[", 1);
    bool is_co = false;
    int n_co = 0;
    do {
        if (store_isnull(st, k + 10))
            continue;
        if (n_co++)
            jsonx_w_raw(&w, ",", 1);
        jsonx_w_raw(&w, "{\"code\":", 8);
        jsonx_w_text(&w, store_text(st, k + 10));
        JW_KEY(&w, "name");
        jsonx_w_text(&w, store_text(st, k + 11));
        jsonx_w_raw(&w, "}", 1);
        if (p->org_id && store_int(st, k + 12) == p->org_id)
            is_co = true;
    } while ((rc = store_step(st, e)) == RC_ROW);
    store_finish(st);
    jsonx_w_raw(&w, "]", 1);
    if (rc == RC_DONE)
        rc = RC_OK;
    unsigned rels = demand__relations_of(p, &d, is_co);
    if (rc == RC_OK && !rels && !access_can(p, ACCESS_SCOPE_ALL))
        rc = err_set(e, RC_NOTFOUND, NULL, "诉求不存在或无权查看");
    if (rc == RC_OK) {
        /* The phone is for those who handle the demand (co-handlers see it masked) and
         * for holders of pii.read (access_reveal). */
        JW_KEY(&w, "contact_phone");
        bool handles = (rels & (REL_OWNER | REL_INTAKE | REL_LEAD | REL_OVERSIGHT)) != 0;
        if (phone && !access_reveal(p, handles)) {
            char masked[32];
            jsonx_w_text(&w, codes_mask_mobile(phone, masked, sizeof(masked)));
        } else {
            jsonx_w_text(&w, phone);
        }
        JW_KEY(&w, "actions");
        jw_actions(&w, &d, rels, ctx->now);
        jsonx_w_raw(&w, "}", 1);
        rc = w.rc;
    }
    xfree(phone);
    return rc;
}

enum rc demand_get(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                   int64_t id, json_t **out, struct err *e)
{
    struct buf b;
    buf_init(&b, SIZE_MAX / 2);
    enum rc rc = demand_get_text(c, ctx, p, id, &b, e);
    if (rc == RC_OK && !(*out = json_loadb(buf_str(&b), buf_len(&b), 0, NULL)))
        rc = err_set(e, RC_INTERNAL, NULL, "诉求详情无法解析");
    buf_cleanup(&b);
    return rc;
}

enum rc demand_actions(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                       int64_t id, struct buf *out, struct err *e)
{
    struct drow d;
    unsigned rels;
    enum rc rc = demand__load_visible(c, p, id, &d, &rels, e);
    if (rc)
        return rc;
    struct jsonx_w w = {out, RC_OK};
    JSONX_W_LIT(&w, "{\"items\":");
    jw_actions(&w, &d, rels, ctx->now);
    JSONX_W_LIT(&w, "}");
    return w.rc;
}

enum rc demand_timeline(struct conn *c, const struct principal *p, int64_t id, json_t **out,
                        struct err *e)
{
    struct drow d;
    unsigned rels;
    enum rc rc = demand__load_visible(c, p, id, &d, &rels, e);
    if (rc)
        return rc;
    /* The enterprise that owns the demand does not see internal events. */
    bool owner_only = (rels & ~REL_OWNER) == 0 && access_can(p, ACCESS_ENT_SELF);
    return flow_timeline(c, &demand_flow, id, !owner_only, out, e);
}

/*
 * The list query, shaped per role so that each shape has an index-friendly plan on both
 * backends (an OR of the roles' visibility rules, with EXISTS over demand_handlers in
 * one branch, made PostgreSQL scan every demand for a handler). Only the filters that
 * are given are written into the SQL, so each combination is its own cached statement:
 *   handler     demand_handlers(org_id, demand_id) newest first, joined to its demands;
 *               with a category, (org_id, category, demand_id), the handler rows carrying
 *               their demand's category (migration 0010)
 *   enterprise  its credit code
 *   clerk,
 *   supervisor  the region prefix, checked on the newest-first primary key scan. There is
 *               no index on region (migration 0009 dropped it): a region covers most
 *               demands, so a region index range plus a sort of all of them would be the
 *               slow plan. (The check was written `d.region || ''` to keep planners off
 *               such an index; that cost two string copies per row scanned.)
 *   admin       everything
 * A state filter uses demands(state, id). Any other caller sees nothing.
 */
enum list_shape { LIST_NONE, LIST_ALL, LIST_ENTERPRISE, LIST_REGION, LIST_HANDLER };

static enum list_shape list_shape_of(const struct principal *p, bool regional)
{
    if (access_can(p, ACCESS_SCOPE_ALL))
        return LIST_ALL;
    if (access_can(p, ACCESS_ENT_SELF))
        return LIST_ENTERPRISE;
    if (access_can(p, ACCESS_DEMAND_INTAKE) || access_can(p, ACCESS_DEMAND_OVERSEE))
        return regional ? LIST_REGION : LIST_NONE;
    if (access_can(p, ACCESS_DEMAND_HANDLE))
        return LIST_HANDLER;
    return LIST_NONE;
}

/*
 * The named to-do filters (demand_filter.todo): what one step of someone's work is, written
 * once here so that GET /me/todo counts exactly the demands its linked list shows. "lead"
 * limits a handler's rows to those its organisation leads (a co-handler neither signs nor
 * replies); other shapes have no handler row and need no such limit.
 */
static const struct todo_filter {
    const char *name;
    const char *where;
    bool lead;
} todo_filters[] = {
    {"review", " AND d.state = 'replied' AND d.reviewed = 0", false},
    {"rate", " AND (d.state = 'answered_directly' OR (d.state = 'replied' AND d.reviewed = 1))",
     false},
    {"sign", " AND d.state = 'dispatched'", true},
    {"handling", " AND d.state IN ('signed', 'reopened', 'rectifying')", true},
};

static const struct todo_filter *todo_filter_of(const char *name)
{
    for (size_t i = 0; name && i < sizeof(todo_filters) / sizeof(todo_filters[0]); i++)
        if (strcmp(todo_filters[i].name, name) == 0)
            return &todo_filters[i];
    return NULL;
}

/* Writes the SQL of one list query into sql (n bytes). */
static void list_sql(char *sql, size_t n, enum list_shape shape, const struct demand_filter *f)
{
    static const char *const from[] = {
        [LIST_ALL] = "FROM demands d WHERE d.id < ?",
        [LIST_ENTERPRISE] = "FROM demands d WHERE d.id < ? AND d.credit_code = ?",
        [LIST_REGION] = "FROM demands d WHERE d.id < ? AND d.region >= ? AND d.region < ?",
        [LIST_HANDLER] = "FROM demand_handlers h JOIN demands d ON d.id = h.demand_id WHERE "
                         "h.org_id = ? AND h.demand_id < ?",
    };
    /* A handler's rows carry the category (migration 0010): the filter stays on them. */
    const char *category = !f->category            ? ""
                           : shape == LIST_HANDLER ? " AND h.category = ?"
                                                   : " AND d.category = ?";
    const struct todo_filter *todo = todo_filter_of(f->todo);
    /* Only a running deadline has a light (demand__running_due): a light filter reads the
     * states that have one, not every closed demand of the scope (GET /me/todo's 超期 and
     * 临期 count through it on every workspace visit). */
    const char *running = f->light ? " AND d.state IN ('dispatched', 'signed', 'reopened', "
                                     "'rectifying', 'return_requested', 'extension_requested')"
                                   : "";
    bool period = f->dispatched_from || f->dispatched_to;
    /* The fragments with parameters come in the order list_run binds them. */
    snprintf(sql, n,
             "SELECT " DROW_LIST_COLS ", d.title, d.enterprise_name %s%s%s%s%s%s%s%s%s%s%s%s%s "
             "ORDER BY %s DESC LIMIT ?",
             from[shape], f->state ? " AND d.state = ?" : "", running, category,
             f->credit_code ? " AND d.credit_code = ?" : "",
             f->q ? " AND LOWER(d.title) LIKE LOWER(?) ESCAPE '\\'" : "",
             f->lead_org ? " AND d.lead_org_id = (SELECT o.id FROM orgs o WHERE o.code = ?)" : "",
             f->channel ? " AND d.channel = ?" : "",
             f->region ? " AND d.region >= ? AND d.region < ?" : "",
             period ? " AND d.dispatched_at >= ? AND d.dispatched_at < ?" : "",
             period ? " AND d.merged_into IS NULL" : "", todo ? todo->where : "",
             todo && todo->lead && shape == LIST_HANDLER ? " AND h.role = 'lead'" : "",
             shape == LIST_HANDLER ? "h.demand_id" : "d.id");
}

/* The list, or with out NULL only its length (*n_out): the same query and filters. */
static enum rc list_run(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                        const struct demand_filter *f, struct buf *out, int *n_out,
                        int64_t *last_out, struct err *e)
{
    *n_out = 0;
    *last_out = 0;
    enum demand_state want_state = DS_SUBMITTED;
    if (f->state && !demand_state_parse(f->state, &want_state))
        return err_set(e, RC_INVALID, "state", "未知的状态 %s", f->state);
    if (f->todo && !todo_filter_of(f->todo))
        return err_set(e, RC_INVALID, "todo", "未知的待办筛选 %s", f->todo);
    if (f->light && strcmp(f->light, "red") != 0 && strcmp(f->light, "yellow") != 0 &&
        strcmp(f->light, "green") != 0)
        return err_set(e, RC_INVALID, "light", "light 应为 red、yellow 或 green");
    /* The region part of the caller's scope: intake and oversight reach its region. */
    struct access_scope scope;
    access_scope_of(
        p, access_can(p, ACCESS_DEMAND_INTAKE) ? ACCESS_DEMAND_INTAKE : ACCESS_DEMAND_OVERSEE,
        ACCESS_NONE, &scope);
    const char *prefix = scope.region_lo, *hi = scope.region_hi;
    bool regional = strcmp(prefix, "~") != 0;
    enum list_shape shape = list_shape_of(p, regional);
    if (shape == LIST_NONE)
        return out ? buf_append(out, "[]", 2) : RC_OK;
    /* The region filter is a prefix: its range ends at the prefix followed by ":". */
    char region_hi[24] = "";
    if (f->region) {
        size_t rl = strlen(f->region);
        if (rl == 0 || rl > 12 || strspn(f->region, "0123456789") != rl)
            return err_set(e, RC_INVALID, "region", "区域代码应为数字");
        snprintf(region_hi, sizeof(region_hi), "%s:", f->region);
    }
    char sql[2048];
    list_sql(sql, sizeof(sql), shape, f);
    char *like = f->q ? xmalloc(2 * strlen(f->q) + 3) : NULL;
    if (like)
        like_pattern(like, f->q);
    int64_t before = f->before_id > 0 ? f->before_id : INT64_MAX;
    /* About 700 bytes a row: one allocation instead of a doubling series. A count writes
     * nothing: its writer's buffer is a small scratch one that stays empty. */
    struct buf scratch;
    buf_init(&scratch, 64);
    struct jsonx_w w = {out ? out : &scratch,
                        out ? buf_reserve(out, (size_t)f->limit * 768 + 64) : RC_OK};
    if (out)
        jsonx_w_raw(&w, "[", 1);
    int n = 0;
    int64_t last = 0;
    enum rc rc = w.rc;
    /* Lights depend on the calendar, so a light filter scans in batches in C. The title
     * match folds case on both sides: SQLite's LIKE ignores ASCII case, PostgreSQL's
     * does not, and q must find the same demands on either backend. */
    for (int round = 0; round < 1000 && n < f->limit && rc == RC_OK; round++) {
        struct stmt *st;
        rc = store_prepare(c, sql, &st, e);
        if (rc)
            break;
        int i = 1;
        if (shape == LIST_HANDLER)
            store_bind_int(st, i++, p->org_id);
        store_bind_int(st, i++, before);
        if (shape == LIST_ENTERPRISE)
            store_bind_text(st, i++, p->credit_code ? p->credit_code : "");
        if (shape == LIST_REGION) {
            store_bind_text(st, i++, prefix);
            store_bind_text(st, i++, hi);
        }
        if (f->state)
            store_bind_text(st, i++, f->state);
        if (f->category)
            store_bind_text(st, i++, f->category);
        if (f->credit_code)
            store_bind_text(st, i++, f->credit_code);
        if (like)
            store_bind_text(st, i++, like);
        if (f->lead_org)
            store_bind_text(st, i++, f->lead_org);
        if (f->channel)
            store_bind_text(st, i++, f->channel);
        if (f->region) {
            store_bind_text(st, i++, f->region);
            store_bind_text(st, i++, region_hi);
        }
        if (f->dispatched_from || f->dispatched_to) {
            store_bind_int(st, i++, f->dispatched_from);
            store_bind_int(st, i++, f->dispatched_to ? f->dispatched_to : INT64_MAX);
        }
        int batch = f->light ? 200 : f->limit;
        store_bind_int(st, i, batch);
        int got = 0;
        while ((rc = store_step(st, e)) == RC_ROW) {
            struct drow d;
            demand__read_row_n(st, &d, DROW_LIST_N);
            got++;
            before = d.id;
            if (f->light && strcmp(demand_light_name(demand_light_of(ctx, demand__running_due(&d))),
                                   f->light) != 0)
                continue;
            if (n >= f->limit)
                continue;
            if (!out) {
                n++;
                last = d.id;
                continue;
            }
            if (n++)
                jsonx_w_raw(&w, ",", 1);
            row_write(&w, ctx, &d);
            JW_KEY(&w, "title");
            jsonx_w_text(&w, store_text(st, DROW_LIST_N));
            JW_KEY(&w, "enterprise_name");
            jsonx_w_text(&w, store_text(st, DROW_LIST_N + 1));
            jsonx_w_raw(&w, "}", 1);
            last = d.id;
        }
        store_finish(st);
        if (rc == RC_DONE)
            rc = w.rc;
        if (got < batch)
            break;
    }
    xfree(like);
    buf_cleanup(&scratch);
    if (out)
        jsonx_w_raw(&w, "]", 1);
    if (rc == RC_OK)
        rc = w.rc;
    if (rc)
        return rc;
    *n_out = n;
    *last_out = last;
    return RC_OK;
}

enum rc demand_list(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                    const struct demand_filter *f, struct buf *out, int *n_out, int64_t *last_out,
                    struct err *e)
{
    return list_run(c, ctx, p, f, out, n_out, last_out, e);
}

enum rc demand_count(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                     const struct demand_filter *f, int *n_out, struct err *e)
{
    struct demand_filter all = *f;
    all.before_id = 0;
    all.limit = INT_MAX;
    int64_t last;
    return list_run(c, ctx, p, &all, NULL, n_out, &last, e);
}
