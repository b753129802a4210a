/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_audit: read the audit chain (supervisors and admins, declared in api.c). A
 * supervisor reads the events of organisations and enterprises of its region, the
 * same scope as its enterprise reads (access_scope_of with ent.region); personal data in
 * before/after is masked unless access_reveal allows it (pii.read: admins), as in
 * enterprise records.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../access/access.h"
#include "../audit/audit.h"
#include "../base/mem.h"
#include "../codes/codes.h"
#include "../ent/ent.h"
#include "../store/store.h"
#include "api.h"
#include "api_int.h"
#include "api_kit.h"

/* Does s end with tail? ("contact_phone" names a phone, "id_number" an ID number.) */
static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

/*
 * Masks, in place, what looks like a mobile number (11 digits 1[3-9]..., not part of a
 * longer run of digits) or a citizen ID number (17 digits and a digit or X) inside
 * free text, as codes_mask_mobile and codes_mask_id_number would. Returns whether
 * anything changed.
 */
static bool mask_text(char *s)
{
    bool changed = false;
    for (char *p = s; *p;) {
        if (!isdigit((unsigned char)*p)) {
            p++;
            continue;
        }
        size_t n = strspn(p, "0123456789");
        if (n == 17 && (p[17] == 'X' || p[17] == 'x'))
            n = 18;
        if (n == 11 && p[0] == '1' && p[1] >= '3') {
            memset(p + 3, '*', 4);
            changed = true;
        } else if (n == 18) {
            memset(p + 6, '*', 8);
            changed = true;
        }
        p += n;
    }
    return changed;
}

/* Masks personal data in v (an event's before or after), in place. */
static void mask_json(json_t *v)
{
    const char *key;
    json_t *x;
    size_t i;
    if (json_is_array(v)) {
        json_array_foreach(v, i, x)
        {
            if (json_is_string(x)) {
                char *t = xstrdup(json_string_value(x));
                if (mask_text(t))
                    json_array_set_new(v, i, json_string(t));
                xfree(t);
            } else {
                mask_json(x);
            }
        }
        return;
    }
    json_object_foreach(v, key, x)
    {
        if (!json_is_string(x)) {
            mask_json(x);
            continue;
        }
        char out[64];
        const char *s = json_string_value(x);
        if (ends_with(key, "mobile") || ends_with(key, "phone")) {
            json_object_set_new(v, key, json_string(codes_mask_mobile(s, out, sizeof(out))));
        } else if (ends_with(key, "id_number")) {
            json_object_set_new(v, key, json_string(codes_mask_id_number(s, out, sizeof(out))));
        } else {
            char *t = xstrdup(s);
            if (mask_text(t))
                json_object_set_new(v, key, json_string(t));
            xfree(t);
        }
    }
}

static enum rc api_audit_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct api_list l;
    enum rc rc = api_list_id(req, &l, e);
    if (rc)
        return rc;
    int limit = l.limit;
    long long before_seq = l.after_id;
    const char *id = http_query(req, "id");
    const char *entity = http_query(req, "entity");
    if (id && !entity)
        return err_set(e, RC_INVALID, "entity", "按 id 查询时须同时指定 entity");
    /* The scope of enterprise reads (src/access): officials holding ent.region see the
     * events of their region; without a region, or as an enterprise, none. */
    const struct principal *p = api_who(req);
    struct access_scope scope;
    access_scope_of(p, ACCESS_ENT_REGION, ACCESS_NONE, &scope);
    const char *region = scope.all ? NULL : scope.region_lo;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    json_t *items;
    rc = audit_list(c, region, entity, id, before_seq, limit, &items, e);
    if (rc)
        return rc;
    if (!access_reveal(p, false)) {
        json_t *ev;
        size_t i;
        json_array_foreach(items, i, ev)
        {
            mask_json(json_object_get(ev, "before"));
            mask_json(json_object_get(ev, "after"));
        }
    }
    return http_reply(resp, 200, api_page(req, items, limit, "seq"));
}

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). */
const struct http_route api_audit_routes[] = {
    ROUTE_READ(HTTP_GET, "/api/v1/audit", PERM(AUDIT_READ), api_audit_list, "审计日志"),
};
const size_t api_audit_n_routes = sizeof(api_audit_routes) / sizeof(api_audit_routes[0]);
