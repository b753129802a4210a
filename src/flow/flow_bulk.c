/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flow_bulk: one action on many records (flow.h flow_bulk). Each record goes through
 * flow_act exactly as a single request would — its own transaction, checks, event,
 * audit row and notices — so a bulk action is never a second path with its own rules;
 * the answer reports each record's outcome in the order given.
 */
#include <stdio.h>

#include "../base/rc.h"
#include "flow.h"

/* Is rc a refusal of one record (its answer), rather than a failure of the system? */
static bool refusal(enum rc rc)
{
    int status = rc_http(rc);
    return status >= 400 && status < 500;
}

/* {"id", "ok": false, "code", "message"[, "field"]}: the message of a refusal is the
 * domain's Chinese one; a system failure gets the generic text of its code (raw database
 * messages never reach a client). */
static json_t *failure(int64_t id, enum rc rc, const struct err *e)
{
    char sid[24];
    snprintf(sid, sizeof(sid), "%lld", (long long)id);
    const char *msg = refusal(rc) && e->msg[0] ? e->msg : rc_str(rc);
    json_t *j =
        json_pack("{s:s, s:b, s:s, s:s}", "id", sid, "ok", 0, "code", rc_name(rc), "message", msg);
    if (refusal(rc) && e->field[0])
        json_object_set_new(j, "field", json_string(e->field));
    return j;
}

enum rc flow_bulk(const struct flow *f, struct conn *c, const struct principal *p, const void *ctx,
                  const struct flow_bulk_item *items, size_t n, int64_t now, json_t **out,
                  struct err *e)
{
    *out = NULL;
    if (n == 0)
        return err_set(e, RC_INVALID, "ids", "请选择要处理的%s", f->label);
    if (n > FLOW_BULK_MAX)
        return err_set(e, RC_INVALID, "ids", "一次最多处理 %d 条%s，已选 %zu 条", FLOW_BULK_MAX,
                       f->label, n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (items[i].id == items[j].id)
                return err_set(e, RC_INVALID, "ids", "%s %lld 重复出现", f->label,
                               (long long)items[i].id);
    json_t *arr = json_array();
    size_t ok = 0;
    enum rc broken = RC_OK; /* a failure of the system: the rest is not tried */
    for (size_t i = 0; i < n; i++) {
        struct err one = {0};
        enum rc rc = broken;
        if (rc == RC_OK)
            rc = flow_act(f, c, p, ctx, items[i].id, items[i].params, now, &one);
        if (rc == RC_OK) {
            char sid[24];
            snprintf(sid, sizeof(sid), "%lld", (long long)items[i].id);
            json_array_append_new(arr, json_pack("{s:s, s:b}", "id", sid, "ok", 1));
            ok++;
            continue;
        }
        if (broken) {
            struct err skipped = {0};
            err_set(&skipped, RC_UNAVAILABLE, NULL, "未执行：前面的记录处理时系统出错");
            json_t *j = failure(items[i].id, RC_UNAVAILABLE, &skipped);
            json_object_set_new(j, "message", json_string(skipped.msg));
            json_array_append_new(arr, j);
            continue;
        }
        json_array_append_new(arr, failure(items[i].id, rc, &one));
        if (!refusal(rc))
            broken = rc;
    }
    *out = json_pack("{s:I, s:I, s:I, s:o}", "total", (json_int_t)n, "succeeded", (json_int_t)ok,
                     "failed", (json_int_t)(n - ok), "items", arr);
    return RC_OK;
}
