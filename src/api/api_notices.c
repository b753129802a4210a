/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_notices: the caller's notices (the 消息 page). GET /api/v1/notices lists them, newest
 * first (?unread=1: only those the caller has not read); POST /api/v1/notices/{id}/read and
 * POST /api/v1/notices/read mark one or all of them read for the caller. A notice is
 * addressed to a user, an organisation or an enterprise, but reaches only those of its users
 * who may read the record it is about, (entity, entity_id): the entity's flow (src/flow,
 * registered in api_flows.c) says whether the caller may read it. The filter runs at read
 * time, so a user who loses the right to a record (a returned demand) no longer sees its
 * notices, and a page is filled from further rows when some are filtered out. Read state is
 * per user (notice_reads, migration 0020): one clerk reading the desk's notice leaves it
 * unread for the others. api_notices_unread counts what ?unread=1 lists (GET /me/todo).
 */
#include <stdio.h>
#include <stdlib.h>

#include "../auth/auth.h"
#include "../base/timeutil.h"
#include "../flow/flow.h"
#include "../store/store.h"
#include "api.h"
#include "api_int.h"
#include "api_kit.h"

/* One row of the addressed notices, before the read check. */
struct nrow {
    int64_t id, created_at, entity_id;
    bool read;
    const char *kind, *title, *body, *entity;
};

/* The notices addressed to the caller (parameters 2-7 of the queries below, bound by
 * bind_to): its enterprise's, its organisation's, or its own. */
#define ADDRESSED                                                                                  \
    "((? = 1 AND n.credit_code = ?) OR (? = 0 AND n.org_id = ?) OR (? > 0 AND n.user_id = ?))"

/* Binds ADDRESSED from position i; returns the next position. */
static int bind_to(struct stmt *st, int i, const struct principal *p)
{
    bool ent = access_can(p, ACCESS_ENT_SELF);
    store_bind_int(st, i++, ent);
    store_bind_text(st, i++, p->credit_code ? p->credit_code : "");
    store_bind_int(st, i++, ent);
    store_bind_int(st, i++, p->org_id);
    /* A notice to one user (flow_to.user_id) reaches that user. */
    store_bind_int(st, i++, p->user_id);
    store_bind_int(st, i++, p->user_id);
    return i;
}

/* Reads up to limit notices addressed to p with id < before (0: no bound), only those p has
 * not read when unread, into rows (pool strings); *n receives the count. */
static enum rc addressed(struct http_req *req, struct conn *c, const struct principal *p,
                         bool unread, int64_t before, int limit, struct nrow *rows, int *n,
                         struct err *e)
{
    struct stmt *st;
    *n = 0;
    enum rc rc = store_prepare(c,
                               "SELECT n.id, n.kind, n.title, n.body, n.created_at, r.read_at, "
                               "n.entity, n.entity_id FROM notices n LEFT JOIN notice_reads r ON "
                               "r.notice_id = n.id AND r.user_id = ? WHERE " ADDRESSED
                               " AND (? = 0 OR r.read_at IS NULL) AND (? <= 0 OR n.id < ?) ORDER "
                               "BY n.id DESC LIMIT ?",
                               &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, p->user_id);
    int i = bind_to(st, 2, p);
    store_bind_int(st, i++, unread);
    store_bind_int(st, i++, before);
    store_bind_int(st, i++, before);
    store_bind_int(st, i, limit);
    while ((rc = store_step(st, e)) == RC_ROW) {
        struct nrow *r = &rows[(*n)++];
        r->id = store_int(st, 0);
        r->kind = pool_strdup(&req->pool, store_text(st, 1));
        r->title = pool_strdup(&req->pool, store_text(st, 2));
        r->body = pool_strdup(&req->pool, store_text(st, 3));
        r->created_at = store_int(st, 4);
        r->read = !store_isnull(st, 5);
        r->entity = store_isnull(st, 6) ? NULL : pool_strdup(&req->pool, store_text(st, 6));
        r->entity_id = store_isnull(st, 7) ? 0 : store_int(st, 7);
    }
    store_finish(st);
    return rc == RC_DONE ? RC_OK : rc;
}

/* May p read the record of r? *ok receives the answer; errors other than "not
 * visible" are returned. */
static enum rc may_read(struct conn *c, const struct principal *p, const struct nrow *r, bool *ok,
                        struct err *e)
{
    enum rc rc = RC_OK;
    *ok = true;
    if (r->entity) {
        /* A notice about a record no flow knows is shown to nobody. */
        const struct flow *f = api_flow_of(r->entity);
        rc = f ? flow_readable(f, c, p, r->entity_id, e) : RC_NOTFOUND;
    }
    if (rc == RC_NOTFOUND || rc == RC_FORBIDDEN) {
        *ok = false;
        rc = RC_OK;
    }
    return rc;
}

/* The visitor of each notice p may see, in order, newest first: rows with id < before (0: no
 * bound), unread ones only when unread, until fn returns false or an error. */
struct visit {
    bool (*fn)(struct visit *v, const struct nrow *r, struct err *e);
    enum rc rc; /* an error of fn, returned by walk */
};

static enum rc walk(struct http_req *req, struct conn *c, const struct principal *p, bool unread,
                    int64_t before, int batch, struct visit *v, struct err *e)
{
    struct nrow *rows = pool_alloc(&req->pool, (size_t)batch * sizeof(*rows));
    enum rc rc = RC_OK;
    bool more = true;
    while (rc == RC_OK && more) {
        int n;
        rc = addressed(req, c, p, unread, before, batch, rows, &n, e);
        for (int i = 0; rc == RC_OK && more && i < n; i++) {
            bool ok;
            rc = may_read(c, p, &rows[i], &ok, e);
            before = rows[i].id;
            if (rc == RC_OK && ok) {
                more = v->fn(v, &rows[i], e);
                rc = v->rc;
            }
        }
        if (n < batch)
            break;
    }
    return rc;
}

/* A page of the list. */
struct page_visit {
    struct visit v;
    json_t *items;
    int limit;
};

static bool page_add(struct visit *v, const struct nrow *r, struct err *e)
{
    (void)e;
    struct page_visit *pv = (struct page_visit *)v;
    char at[40], id[24], eid[24];
    time_fmt_cst(r->created_at, at, sizeof(at));
    snprintf(id, sizeof(id), "%lld", (long long)r->id);
    snprintf(eid, sizeof(eid), "%lld", (long long)r->entity_id);
    json_array_append_new(pv->items, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s?, s:s?}", "id",
                                               id, "kind", r->kind, "title", r->title, "body",
                                               r->body, "created_at", at, "read", r->read, "entity",
                                               r->entity, "entity_id", r->entity ? eid : NULL));
    return (int)json_array_size(pv->items) < pv->limit;
}

static enum rc api_notices_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct principal *p = api_who(req);
    struct api_list l;
    bool unread = false;
    enum rc rc = api_list_id(req, &l, e);
    if (rc == RC_OK)
        rc = api_query_flag(req, "unread", &unread, e);
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    struct page_visit pv = {{page_add, RC_OK}, json_array(), l.limit};
    rc = walk(req, c, p, unread, l.after_id, l.limit, &pv.v, e);
    if (rc) {
        json_decref(pv.items);
        return rc;
    }
    return http_reply(resp, 200, api_page(req, pv.items, l.limit, "id"));
}

/* Counting the unread ones. */
struct count_visit {
    struct visit v;
    int n;
};

static bool count_add(struct visit *v, const struct nrow *r, struct err *e)
{
    (void)r;
    (void)e;
    ((struct count_visit *)v)->n++;
    return true;
}

enum rc api_notices_unread(struct http_req *req, struct conn *c, const struct principal *p, int *n,
                           struct err *e)
{
    struct count_visit cv = {{count_add, RC_OK}, 0};
    enum rc rc = walk(req, c, p, true, 0, 200, &cv.v, e);
    *n = cv.n;
    return rc;
}

/* Records that p has read notice id (nothing when it had). */
static enum rc mark(struct conn *c, const struct principal *p, int64_t id, int64_t now,
                    struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               "INSERT INTO notice_reads (user_id, notice_id, read_at) VALUES "
                               "(?, ?, ?) ON CONFLICT (user_id, notice_id) DO NOTHING",
                               &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, p->user_id);
    store_bind_int(st, 2, id);
    store_bind_int(st, 3, now);
    rc = store_step(st, e);
    store_finish(st);
    return rc == RC_DONE ? RC_OK : rc;
}

/* Marking every unread one read. */
struct mark_visit {
    struct visit v;
    struct conn *c;
    const struct principal *p;
    int64_t now;
    int n;
};

static bool mark_add(struct visit *v, const struct nrow *r, struct err *e)
{
    struct mark_visit *mv = (struct mark_visit *)v;
    mv->v.rc = mark(mv->c, mv->p, r->id, mv->now, e);
    mv->n++;
    return mv->v.rc == RC_OK;
}

/* Answers {"marked": n, "unread": the caller's unread count now}. */
static enum rc reply_marked(struct http_req *req, struct http_resp *resp, struct conn *c,
                            int marked, struct err *e)
{
    int unread;
    enum rc rc = api_notices_unread(req, c, api_who(req), &unread, e);
    if (rc)
        return rc;
    return http_reply(resp, 200, json_pack("{s:i, s:i}", "marked", marked, "unread", unread));
}

static enum rc api_notice_read(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct principal *p = api_who(req);
    int64_t id;
    enum rc rc = api_path_id(req, 0, "消息", &id, e);
    if (rc)
        return rc;
    if (p->user_id <= 0)
        return err_set(e, RC_NOTFOUND, NULL, "消息不存在");
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    /* The notice must be one the caller sees in its list: addressed to it and readable. */
    struct stmt *st;
    rc = store_prepare(
        c, "SELECT n.entity, n.entity_id FROM notices n WHERE n.id = ? AND " ADDRESSED, &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, id);
    bind_to(st, 2, p);
    struct nrow r = {.id = id};
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        r.entity = store_isnull(st, 0) ? NULL : pool_strdup(&req->pool, store_text(st, 0));
        r.entity_id = store_isnull(st, 1) ? 0 : store_int(st, 1);
    }
    store_finish(st);
    if (rc == RC_DONE)
        return err_set(e, RC_NOTFOUND, NULL, "消息不存在");
    if (rc != RC_ROW)
        return rc;
    bool ok;
    if ((rc = may_read(c, p, &r, &ok, e)))
        return rc;
    if (!ok)
        return err_set(e, RC_NOTFOUND, NULL, "消息不存在");
    if ((rc = mark(c, p, id, time_now_ms(), e)))
        return rc;
    return reply_marked(req, resp, c, 1, e);
}

static enum rc api_notices_read_all(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct principal *p = api_who(req);
    struct conn *c;
    enum rc rc = api_db(req, &c, e);
    if (rc)
        return rc;
    if (p->user_id <= 0)
        return reply_marked(req, resp, c, 0, e);
    struct mark_visit mv = {{mark_add, RC_OK}, c, p, time_now_ms(), 0};
    if ((rc = store_begin(c, e)))
        return rc;
    rc = walk(req, c, p, true, 0, 200, &mv.v, e);
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (rc) {
        store_rollback(c);
        return rc;
    }
    return reply_marked(req, resp, c, mv.n, e);
}

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). */
const struct http_route api_notices_routes[] = {
    ROUTE_READ(HTTP_GET, "/api/v1/notices", PERM(NOTICE_READ), api_notices_list, "待办通知"),
    ROUTE(HTTP_POST, "/api/v1/notices/read", PERM(NOTICE_READ), api_notices_read_all,
          "全部标为已读"),
    ROUTE(HTTP_POST, "/api/v1/notices/{id}/read", PERM(NOTICE_READ), api_notice_read, "标为已读"),
};
const size_t api_notices_n_routes = sizeof(api_notices_routes) / sizeof(api_notices_routes[0]);
