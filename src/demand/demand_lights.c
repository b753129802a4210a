/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demand_lights: the open demands of the caller's scope counted by light, in total
 * and per lead organisation (one query over the open states, lights in C).
 */
#include "demand_lights.h"

#include <stdio.h>
#include <string.h>

#include "../auth/auth.h"
#include "../base/timeutil.h"
#include "../ent/ent.h"
#include "../store/store.h"
#include "demand.h"
#include "demand_int.h"

static void bump(json_t *j, const char *key)
{
    json_object_set_new(j, key, json_integer(json_integer_value(json_object_get(j, key)) + 1));
}

static json_t *counts(void)
{
    return json_pack("{s:i, s:i, s:i, s:i}", "open", 0, "red", 0, "yellow", 0, "green", 0);
}

enum rc demand_light_counts(struct conn *c, const struct demand_ctx *ctx,
                            const struct principal *p, json_t **out, struct err *e)
{
    /* Oversight (demand.oversee) counts its region; scope.all every demand. */
    struct access_scope scope;
    access_scope_of(p, ACCESS_DEMAND_OVERSEE, ACCESS_NONE, &scope);
    bool all = scope.all;
    const char *lo = scope.region_lo, *hi = scope.region_hi;
    if (!all && strcmp(lo, "~") == 0) {
        return err_set(e, RC_FORBIDDEN, NULL, "仅督办人员和管理员可查看红黄灯统计");
    }
    struct stmt *st;
    enum rc rc = store_prepare(
        c,
        "SELECT d.state, d.prev_state, COALESCE(d.sign_due, 0), COALESCE(d.reply_due, 0), "
        "COALESCE(d.rectify_due, 0), COALESCE(o.code, ''), COALESCE(o.name, '') FROM demands d "
        "LEFT JOIN orgs o ON o.id = d.lead_org_id WHERE d.state IN ('dispatched', 'signed', "
        "'return_requested', 'extension_requested', 'reopened', 'rectifying') AND (? = 1 OR "
        "(d.region >= ? AND d.region < ?)) ORDER BY o.code",
        &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, all);
    store_bind_text(st, 2, lo);
    store_bind_text(st, 3, hi);
    json_t *total = counts(), *items = json_array(), *cur = NULL;
    while ((rc = store_step(st, e)) == RC_ROW) {
        const char *code = store_text(st, 5);
        if (!cur || strcmp(json_string_value(json_object_get(json_object_get(cur, "org"), "code")),
                           code) != 0) {
            cur = counts();
            json_object_set_new(cur, "org", json_pack("{s:s, s:s}", "code", code, "name",
                                                      store_text(st, 6)));
            json_array_append_new(items, cur);
        }
        enum demand_light l = demand__light_of_cols(
            ctx, store_text(st, 0), store_isnull(st, 1) ? NULL : store_text(st, 1),
            store_int(st, 2), store_int(st, 3), store_int(st, 4));
        bump(total, "open");
        bump(cur, "open");
        if (l != LIGHT_NONE) {
            bump(total, demand_light_name(l));
            bump(cur, demand_light_name(l));
        }
    }
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(total);
        json_decref(items);
        return rc;
    }
    char at[40];
    time_fmt_cst(ctx->now, at, sizeof(at));
    json_object_set_new(total, "at", json_string(at));
    json_object_set_new(total, "items", items);
    *out = total;
    return RC_OK;
}
