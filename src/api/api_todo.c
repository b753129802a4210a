/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_todo: GET /api/v1/me/todo, the caller's to-do counts in one call (the 工作台's
 * figures and the menu's badges). Each item is one step of someone's work that the caller's
 * permissions give it (待受理 for a holder of demand.intake, 待签收 for demand.handle, ...)
 * and names the list it counts: {key, label, count, list: {path, query}}, where path is a
 * list endpoint and query its filter. The count is that list's length by construction: it
 * runs the list's own query (demand_count: demand_list without a page; the grants' and
 * applications' lists paged through; the notices' ?unread=1 walk), so it goes through the
 * same src/access scope and the same per-relation rules. 可申报政策 names the enterprise's
 * match answer, a single list, with a filter its items are selected by (policy_item). The web maps
 * (path, query) to the page of the caller's workspace that shows that list (web/src/lib/todo.js).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../calendar/calendar.h"
#include "../base/buf.h"
#include "../base/timeutil.h"
#include "../demand/demand.h"
#include "../policy/policy.h"
#include "../policy/policy_grant.h"
#include "../store/store.h"
#include "api.h"
#include "api_int.h"
#include "api_kit.h"

/* One to-do item: the list it counts is path with the query pairs q[] (NULL-terminated). */
struct todo {
    const char *key, *label, *path;
    const char *q[4]; /* name, value, name, value */
};

/* Appends {key, label, count, list: {path, query}} to items. */
static void add(json_t *items, const struct todo *t, int count)
{
    json_t *q = json_object();
    for (int i = 0; i < 4 && t->q[i]; i += 2)
        json_object_set_new(q, t->q[i], json_string(t->q[i + 1]));
    json_array_append_new(items,
                          json_pack("{s:s, s:s, s:i, s:{s:s, s:o}}", "key", t->key, "label",
                                    t->label, "count", count, "list", "path", t->path, "query", q));
}

/* The value of query name in t, or NULL. */
static const char *qval(const struct todo *t, const char *name)
{
    for (int i = 0; i < 4 && t->q[i]; i += 2)
        if (strcmp(t->q[i], name) == 0)
            return t->q[i + 1];
    return NULL;
}

/* Counts the demands of GET /demands with t's filter. */
static enum rc count_demands(struct conn *c, const struct demand_ctx *ctx,
                             const struct principal *p, const struct todo *t, int *n, struct err *e)
{
    struct demand_filter f = {0};
    f.state = qval(t, "state");
    f.light = qval(t, "light");
    f.todo = qval(t, "todo");
    return demand_count(c, ctx, p, &f, n, e);
}

/* Counts the grants (apps false) or applications (apps true) of their list with state,
 * paging through it as GET /grants and GET /applications do. */
static enum rc count_policy(struct conn *c, const struct principal *p, bool apps, const char *state,
                            int *n, struct err *e)
{
    enum rc rc = RC_OK;
    int64_t before = 0;
    *n = 0;
    for (;;) {
        json_t *items = NULL;
        const int limit = 200;
        if (apps) {
            struct policy_app_filter f = {.state = state, .before_id = before, .limit = limit};
            rc = policy_app_list(c, p, &f, &items, e);
        } else {
            struct policy_grant_filter f = {.state = state, .before_id = before, .limit = limit};
            rc = policy_grant_list(c, p, &f, &items, e);
        }
        if (rc)
            return rc;
        size_t got = json_array_size(items);
        *n += (int)got;
        if (got)
            before = strtoll(
                json_string_value(json_object_get(json_array_get(items, got - 1), "id")), NULL, 10);
        json_decref(items);
        if ((int)got < limit || before <= 0)
            return RC_OK;
    }
}

#define DEMANDS "/api/v1/demands"
#define GRANTS "/api/v1/grants"
#define APPS "/api/v1/applications"

static const struct todo intake[] = {
    {"accept", "待受理", DEMANDS, {"state", "submitted"}},
    {"dispatch", "待交办", DEMANDS, {"state", "accepted"}},
    {"review", "待复核", DEMANDS, {"todo", "review"}},
    {"return", "退单待审核", DEMANDS, {"state", "return_requested"}},
};
static const struct todo handle[] = {
    {"sign", "待签收", DEMANDS, {"todo", "sign"}},
    {"handling", "办理中", DEMANDS, {"todo", "handling"}},
};
static const struct todo oversee[] = {
    {"extension", "延期待审批", DEMANDS, {"state", "extension_requested"}},
};
static const struct todo oversee_return = {
    "return", "退单待审核", DEMANDS, {"state", "return_requested"}};
static const struct todo lights[] = {
    {"overdue", "超期", DEMANDS, {"light", "red"}},
    {"due_soon", "临期", DEMANDS, {"light", "yellow"}},
};
static const struct todo owner[] = {
    {"rate", "待评价", DEMANDS, {"todo", "rate"}},
};
static const struct todo owner_policy[] = {
    {"grant_confirm", "兑现待确认", GRANTS, {"state", "notified"}},
    {"app_more_info", "申请待补充材料", APPS, {"state", "more_info"}},
};
static const struct todo issuer[] = {
    {"app_review", "申请待审批", APPS, {"state", "submitted"}},
    {"grant_notify", "兑现待告知", GRANTS, {"state", "matched"}},
    {"grant_pay", "兑现待拨付", GRANTS, {"state", "confirmed"}},
};
static const struct todo unread = {"unread", "未读消息", "/api/v1/notices", {"unread", "1"}};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static enum rc demand_items(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                            json_t *items, const struct todo *t, size_t n_t, struct err *e)
{
    enum rc rc = RC_OK;
    for (size_t i = 0; i < n_t && rc == RC_OK; i++) {
        int n;
        if ((rc = count_demands(c, ctx, p, &t[i], &n, e)) == RC_OK)
            add(items, &t[i], n);
    }
    return rc;
}

static enum rc policy_items(struct conn *c, const struct principal *p, json_t *items,
                            const struct todo *t, size_t n_t, struct err *e)
{
    enum rc rc = RC_OK;
    for (size_t i = 0; i < n_t && rc == RC_OK; i++) {
        int n;
        rc = count_policy(c, p, strcmp(t[i].path, APPS) == 0, qval(&t[i], "state"), &n, e);
        if (rc == RC_OK)
            add(items, &t[i], n);
    }
    return rc;
}

/*
 * 可申报政策: the policies in force the enterprise is eligible for that take an application
 * (即申即享, 申报审批; 免申即享 needs none), counted in the enterprise's own match answer
 * (GET /enterprises/{code}/policies, 我的政策). That answer is one list, not pages: the
 * item names it with a filter {outcome, delivery} its items are selected by.
 */
static enum rc policy_item(struct http_req *req, struct conn *c, const struct principal *p,
                           json_t *items, struct err *e)
{
    struct buf b;
    buf_init(&b, 64u << 20);
    enum rc rc = policy_match_enterprise(c, api_app(req)->policies, p, p->credit_code,
                                         POLICY_EXPLAIN_NONE, &b, e);
    json_t *answer = rc ? NULL : json_loadb(b.data, b.len, 0, NULL);
    buf_cleanup(&b);
    if (rc == RC_NOTFOUND) /* an enterprise not (yet) in the registry has no policies */
        return RC_OK;
    if (rc)
        return rc;
    int n = 0;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(answer, "items"), i, it)
    {
        const char *outcome = json_string_value(json_object_get(it, "outcome"));
        const char *delivery =
            json_string_value(json_object_get(json_object_get(it, "policy"), "delivery"));
        if (outcome && delivery && strcmp(outcome, "eligible") == 0 &&
            (strcmp(delivery, "ji_shen") == 0 || strcmp(delivery, "shen_bao") == 0))
            n++;
    }
    json_decref(answer);
    char path[96];
    snprintf(path, sizeof(path), "/api/v1/enterprises/%s/policies", p->credit_code);
    json_array_append_new(items,
                          json_pack("{s:s, s:s, s:i, s:{s:s, s:{s:s}, s:{s:s, s:[ss]}}}", "key",
                                    "policies", "label", "可申报政策", "count", n, "list", "path",
                                    path, "query", "explain", "none", "filter", "outcome",
                                    "eligible", "delivery", "ji_shen", "shen_bao"));
    return RC_OK;
}

static enum rc api_me_todo(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct principal *p = api_who(req);
    struct conn *c;
    enum rc rc = api_db(req, &c, e);
    if (rc)
        return rc;
    struct app *app = api_app(req);
    struct demand_ctx ctx = {.now = time_now_ms(), .yellow_days = 1};
    ctx.cal = calendar_current(app->calendar, NULL, NULL);
    json_t *items = json_array();
    bool in = access_can(p, ACCESS_DEMAND_INTAKE), over = access_can(p, ACCESS_DEMAND_OVERSEE);
    bool hand = access_can(p, ACCESS_DEMAND_HANDLE);
    if (in)
        rc = demand_items(c, &ctx, p, items, intake, N(intake), e);
    if (rc == RC_OK && hand && !in && !over)
        rc = demand_items(c, &ctx, p, items, handle, N(handle), e);
    if (rc == RC_OK && over)
        rc = demand_items(c, &ctx, p, items, oversee, N(oversee), e);
    if (rc == RC_OK && over && !in)
        rc = demand_items(c, &ctx, p, items, &oversee_return, 1, e);
    if (rc == RC_OK && (in || over || hand))
        rc = demand_items(c, &ctx, p, items, lights, N(lights), e);
    if (rc == RC_OK && access_can(p, ACCESS_ENT_SELF)) {
        rc = demand_items(c, &ctx, p, items, owner, N(owner), e);
        if (rc == RC_OK && access_can(p, ACCESS_GRANT_READ))
            rc = policy_items(c, p, items, owner_policy, N(owner_policy), e);
        if (rc == RC_OK && access_can(p, ACCESS_APPLY) && p->credit_code)
            rc = policy_item(req, c, p, items, e);
    }
    if (rc == RC_OK && access_can(p, ACCESS_POLICY_ISSUE))
        rc = policy_items(c, p, items, issuer, N(issuer), e);
    calendar_release(app->calendar, ctx.cal);
    if (rc == RC_OK && access_can(p, ACCESS_NOTICE_READ)) {
        int n;
        if ((rc = api_notices_unread(req, c, p, &n, e)) == RC_OK)
            add(items, &unread, n);
    }
    if (rc) {
        json_decref(items);
        return rc;
    }
    return http_reply(resp, 200, json_pack("{s:o}", "items", items));
}

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). */
const struct http_route api_todo_routes[] = {
    /* Not read_only: 可申报政策 matches the compiled policies against the enterprise's facts,
     * which must be read together (api.md "Read-only routes"). */
    ROUTE(HTTP_GET, "/api/v1/me/todo", HTTP_ANY_USER, api_me_todo, "我的待办数"),
};
const size_t api_todo_n_routes = sizeof(api_todo_routes) / sizeof(api_todo_routes[0]);
