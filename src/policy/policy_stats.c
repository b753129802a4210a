/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_stats: totals of grants and applications by policy, by issuing department
 * and by region (the enterprise's county), in the caller's scope. One grouped query
 * per table; the three breakdowns are folded from it here.
 */
#include "policy_grant.h"
#include "policy_grant_int.h"

#include <stdio.h>
#include <string.h>

#include "../auth/auth.h"
#include "../codes/codes.h"
#include "../store/store.h"

static const char *const app_states[] = {"submitted", "more_info", "approved", "rejected",
                                         "withdrawn"};

/* The row of key in group (created with its label on first use). */
static json_t *row_of(json_t *group, const char *key, const char *kind, const char *label)
{
    json_t *r = json_object_get(group, key);
    if (!r) {
        json_t *apps = json_object();
        for (size_t i = 0; i < sizeof(app_states) / sizeof(app_states[0]); i++)
            json_object_set_new(apps, app_states[i], json_integer(0));
        r = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", kind, key, "name", label,
                      "matched", (json_int_t)0, "amount", (json_int_t)0, "confirmed", (json_int_t)0,
                      "declined", (json_int_t)0, "paid", (json_int_t)0, "paid_amount",
                      (json_int_t)0, "applications", apps);
        json_object_set_new(group, key, r);
    }
    return r;
}

static void add(json_t *row, const char *k, int64_t v)
{
    json_object_set_new(row, k, json_integer(json_integer_value(json_object_get(row, k)) + v));
}

static void add_grants(json_t *row, const char *state, int64_t n, int64_t amount, int64_t paid)
{
    add(row, "matched", n);
    add(row, "amount", amount);
    if (strcmp(state, "confirmed") == 0 || strcmp(state, "paid") == 0)
        add(row, "confirmed", n);
    if (strcmp(state, "declined") == 0)
        add(row, "declined", n);
    if (strcmp(state, "paid") == 0) {
        add(row, "paid", n);
        add(row, "paid_amount", paid);
    }
}

static json_t *values(json_t *group)
{
    json_t *arr = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(group, k, v)
    {
        json_array_append(arr, v);
    }
    json_decref(group);
    return arr;
}

enum rc policy_stats(struct conn *c, const struct principal *p, json_t **out, struct err *e)
{
    struct access_scope sc;
    policy_grant__scope(p, &sc);
    /* Statistics are for scopes wider than one enterprise. */
    if (!sc.all && !sc.org_id && strcmp(sc.region_lo, "~") == 0)
        return err_set(e, RC_FORBIDDEN, NULL,
                       "只有政策发布部门、督查和管理人员可以查看政策兑现统计");
    json_t *by_policy = json_object(), *by_org = json_object(), *by_region = json_object();
    json_t *holder = json_object();
    json_t *total = json_incref(row_of(holder, "合计", "key", "合计"));
    json_decref(holder);
    struct stmt *st;
    enum rc rc = store_prepare(
        c,
        "SELECT g.policy_id, p.title, o.code, o.name, g.region, g.state, COUNT(*), "
        "COALESCE(SUM(g.amount_fen), 0), COALESCE(SUM(g.paid_amount_fen), 0) FROM grants g JOIN "
        "policies p ON p.id = g.policy_id JOIN orgs o ON o.id = g.org_id WHERE " PG_SCOPE_SQL(
            "g.credit_code", "g.org_id", "g.region") " GROUP BY g.policy_id, p.title, o.code, "
                                                     "o.name, g.region, g.state",
        &st, e);
    char key[24], full[CODES_FULL_NAME_MAX];
    if (rc == RC_OK) {
        access_bind(st, 1, &sc);
        while ((rc = store_step(st, e)) == RC_ROW) {
            snprintf(key, sizeof(key), "%lld", (long long)store_int(st, 0));
            const char *state = store_text(st, 5), *region = store_text(st, 4);
            int64_t n = store_int(st, 6), amount = store_int(st, 7), paid = store_int(st, 8);
            add_grants(row_of(by_policy, key, "policy_id", store_text(st, 1)), state, n, amount,
                       paid);
            add_grants(row_of(by_org, store_text(st, 2), "org", store_text(st, 3)), state, n,
                       amount, paid);
            add_grants(row_of(by_region, region, "region",
                              codes_region_full_name(region, full, sizeof(full))),
                       state, n, amount, paid);
            add_grants(total, state, n, amount, paid);
        }
        store_finish(st);
        if (rc == RC_DONE)
            rc = RC_OK;
    }
    if (rc == RC_OK)
        rc = store_prepare(
            c,
            "SELECT a.policy_id, p.title, o.code, o.name, e.region, a.state, COUNT(*) FROM "
            "applications a JOIN policies p ON p.id = a.policy_id JOIN orgs o ON o.id = a.org_id "
            "JOIN enterprises e ON e.credit_code = a.credit_code WHERE " PG_SCOPE_SQL(
                "a.credit_code", "a.org_id", "e.region") " GROUP BY a.policy_id, p.title, o.code, "
                                                         "o.name, e.region, a.state",
            &st, e);
    if (rc == RC_OK) {
        access_bind(st, 1, &sc);
        while ((rc = store_step(st, e)) == RC_ROW) {
            snprintf(key, sizeof(key), "%lld", (long long)store_int(st, 0));
            const char *state = store_text(st, 5), *region = store_text(st, 4);
            int64_t n = store_int(st, 6);
            json_t *rows[4] = {row_of(by_policy, key, "policy_id", store_text(st, 1)),
                               row_of(by_org, store_text(st, 2), "org", store_text(st, 3)),
                               row_of(by_region, region, "region",
                                      codes_region_full_name(region, full, sizeof(full))),
                               total};
            for (int i = 0; i < 4; i++)
                add(json_object_get(rows[i], "applications"), state, n);
        }
        store_finish(st);
        if (rc == RC_DONE)
            rc = RC_OK;
    }
    if (rc) {
        json_decref(by_policy);
        json_decref(by_org);
        json_decref(by_region);
        json_decref(total);
        return rc;
    }
    json_object_del(total, "key");
    json_t *columns = json_pack(
        "[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s}]",
        "key", "matched", "label", "匹配/核定笔数", "key", "amount", "label", "核定金额（分）",
        "key", "confirmed", "label", "已确认笔数", "key", "declined", "label", "放弃笔数", "key",
        "paid", "label", "已拨付笔数", "key", "paid_amount", "label", "拨付金额（分）", "key",
        "applications", "label", "申请（按状态）");
    *out =
        json_pack("{s:o, s:o, s:o, s:o, s:o}", "columns", columns, "by_policy", values(by_policy),
                  "by_org", values(by_org), "by_region", values(by_region), "total", total);
    return RC_OK;
}
