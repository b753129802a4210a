/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_notices: GET /api/v1/notices, the caller's notices. A notice is addressed to an
 * organisation (or an enterprise), but reaches only those of its users who may read
 * the record it is about, (entity, entity_id): the entity's flow (src/flow, registered
 * in api_flows.c) says whether the caller may read it. The filter runs at read time,
 * so a user who loses the right to a record (a returned demand) no longer sees its
 * notices, and a page is filled from further rows when some are filtered out.
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

/* Reads up to limit notices addressed to p with id < before (0: no bound) into rows
 * (pool strings); *n receives the count. */
static enum rc addressed(struct http_req *req, struct conn *c, const struct principal *p,
                         int64_t before, int limit, struct nrow *rows, int *n, struct err *e)
{
    struct stmt *st;
    *n = 0;
    enum rc rc = store_prepare(c,
                               "SELECT n.id, n.kind, n.title, n.body, n.created_at, n.read_at, "
                               "n.entity, n.entity_id FROM notices n WHERE ((? = 1 AND "
                               "n.credit_code = ?) OR (? = 0 AND n.org_id = ?) OR (? > 0 AND "
                               "n.user_id = ?)) AND (? <= 0 OR n.id < ?) ORDER BY n.id DESC "
                               "LIMIT ?",
                               &st, e);
    if (rc)
        return rc;
    bool ent = access_can(p, ACCESS_ENT_SELF);
    store_bind_int(st, 1, ent);
    store_bind_text(st, 2, p->credit_code ? p->credit_code : "");
    store_bind_int(st, 3, ent);
    store_bind_int(st, 4, p->org_id);
    /* A notice to one user (flow_to.user_id) reaches that user. */
    store_bind_int(st, 5, p->user_id);
    store_bind_int(st, 6, p->user_id);
    store_bind_int(st, 7, before);
    store_bind_int(st, 8, before);
    store_bind_int(st, 9, limit);
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

static enum rc api_notices_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct principal *p = api_who(req);
    struct api_list l;
    enum rc rc = api_list_id(req, &l, e);
    if (rc)
        return rc;
    int limit = l.limit;
    long long before = l.after_id;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    json_t *items = json_array();
    struct nrow *rows = pool_alloc(&req->pool, (size_t)limit * sizeof(*rows));
    /* Batches of addressed notices until the page is full or none are left. */
    while (rc == RC_OK && (int)json_array_size(items) < limit) {
        int n;
        rc = addressed(req, c, p, before, limit, rows, &n, e);
        for (int i = 0; rc == RC_OK && i < n && (int)json_array_size(items) < limit; i++) {
            bool ok;
            rc = may_read(c, p, &rows[i], &ok, e);
            before = rows[i].id;
            if (rc || !ok)
                continue;
            char at[40], id[24], eid[24];
            time_fmt_cst(rows[i].created_at, at, sizeof(at));
            snprintf(id, sizeof(id), "%lld", (long long)rows[i].id);
            snprintf(eid, sizeof(eid), "%lld", (long long)rows[i].entity_id);
            json_array_append_new(
                items, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s?, s:s?}", "id", id, "kind",
                                 rows[i].kind, "title", rows[i].title, "body", rows[i].body,
                                 "created_at", at, "read", rows[i].read, "entity", rows[i].entity,
                                 "entity_id", rows[i].entity ? eid : NULL));
        }
        if (n < limit)
            break;
    }
    if (rc) {
        json_decref(items);
        return rc;
    }
    return http_reply(resp, 200, api_page(req, items, limit, "id"));
}

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). */
const struct http_route api_notices_routes[] = {
    ROUTE_READ(HTTP_GET, "/api/v1/notices", PERM(NOTICE_READ), api_notices_list, "待办通知"),
};
const size_t api_notices_n_routes = sizeof(api_notices_routes) / sizeof(api_notices_routes[0]);
