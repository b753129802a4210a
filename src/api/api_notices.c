/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_notices: GET /api/v1/notices, the caller's notices. A notice is addressed to an
 * organisation (or an enterprise), but reaches only those of its users who may read
 * the record it is about: a notice of a demand is shown when demand_readable allows
 * the caller, one of a grant when policy_grant_get does. The filter runs at read time,
 * so a user who loses the right to a record (a returned demand) no longer sees its
 * notices, and a page is filled from further rows when some are filtered out.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../auth/auth.h"
#include "../base/timeutil.h"
#include "../demand/demand.h"
#include "../policy/policy_grant.h"
#include "../store/store.h"
#include "api.h"

/* One row of the addressed notices, before the read check. */
struct nrow {
    int64_t id, created_at, demand_id, grant_id;
    bool read;
    const char *kind, *title, *body;
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
                               "n.demand_id, n.grant_id FROM notices n WHERE ((? = 1 AND "
                               "n.credit_code = ?) OR (? = 0 AND n.org_id = ?)) AND (? <= 0 OR "
                               "n.id < ?) ORDER BY n.id DESC LIMIT ?",
                               &st, e);
    if (rc)
        return rc;
    bool ent = access_can(p, ACCESS_ENT_SELF);
    store_bind_int(st, 1, ent);
    store_bind_text(st, 2, p->credit_code ? p->credit_code : "");
    store_bind_int(st, 3, ent);
    store_bind_int(st, 4, p->org_id);
    store_bind_int(st, 5, before);
    store_bind_int(st, 6, before);
    store_bind_int(st, 7, limit);
    while ((rc = store_step(st, e)) == RC_ROW) {
        struct nrow *r = &rows[(*n)++];
        r->id = store_int(st, 0);
        r->kind = pool_strdup(&req->pool, store_text(st, 1));
        r->title = pool_strdup(&req->pool, store_text(st, 2));
        r->body = pool_strdup(&req->pool, store_text(st, 3));
        r->created_at = store_int(st, 4);
        r->read = !store_isnull(st, 5);
        r->demand_id = store_isnull(st, 6) ? 0 : store_int(st, 6);
        r->grant_id = store_isnull(st, 7) ? 0 : store_int(st, 7);
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
    if (r->demand_id) {
        rc = demand_readable(c, p, r->demand_id, e);
    } else if (r->grant_id) {
        json_t *g = NULL;
        rc = policy_grant_get(c, p, r->grant_id, &g, e);
        json_decref(g);
    }
    if (rc == RC_NOTFOUND || rc == RC_FORBIDDEN) {
        *ok = false;
        rc = RC_OK;
    }
    return rc;
}

enum rc api_notices_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct principal *p = api_who(req);
    int limit;
    const char *after;
    enum rc rc = http_limit(req, API_DEFAULT_LIMIT, API_MAX_LIMIT, &limit, e);
    if (rc == RC_OK)
        rc = api_cursor(req, &after, e);
    if (rc)
        return rc;
    long long before = after ? strtoll(after, NULL, 10) : 0;
    struct conn *c;
    if ((rc = api_conn(req, &c, e)))
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
            char at[40], id[24], demand[24];
            time_fmt_cst(rows[i].created_at, at, sizeof(at));
            snprintf(id, sizeof(id), "%lld", (long long)rows[i].id);
            snprintf(demand, sizeof(demand), "%lld", (long long)rows[i].demand_id);
            json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "id", id,
                                                   "kind", rows[i].kind, "title", rows[i].title,
                                                   "body", rows[i].body, "created_at", at, "read",
                                                   rows[i].read, "demand_id", demand));
        }
        if (n < limit)
            break;
    }
    store_release(c);
    if (rc) {
        json_decref(items);
        return rc;
    }
    return http_reply(resp, 200, api_page(req, items, limit, "id"));
}
