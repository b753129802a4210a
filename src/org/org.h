/* SPDX-License-Identifier: Apache-2.0 */
/*
 * org: the organisation tree (city → departments / counties → towns → villages).
 *
 * Each organisation has a unique code chosen by the administrator (e.g. "340800"
 * for 安庆市, "340800-FGW" for its 发改委), a kind, a GB/T 2260 region code (6
 * digits, current; towns and villages may carry the 9- or 12-digit statistical code
 * whose first 6 digits are a current county) and a parent. The materialised path
 * "/1/4/9/" makes "this organisation and everything under it" one prefix query,
 * which is how visibility by organisation is decided.
 */
#ifndef QIFU_ORG_H
#define QIFU_ORG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../audit/audit.h"
#include "../base/pool.h"
#include "../base/rc.h"

struct conn;

struct org {
    int64_t id;
    int64_t parent_id;     /* 0 for a root */
    const char *code;
    const char *name;
    const char *kind;      /* city, department, county, town, village, center */
    const char *region;
    const char *path;      /* "/1/4/" */
};

struct org_new {
    const char *code;
    const char *name;
    const char *kind;
    const char *region;
    const char *parent_code; /* NULL for a root (only a city or center may be one) */
};

/* Returns the Chinese label of kind ("市", "部门", ...) or NULL if kind is unknown. */
const char *org_kind_label(const char *kind);
/*
 * Creates an organisation in its own transaction, audited. Validation errors are
 * RC_INVALID with the field named; a taken code RC_EXISTS; an unknown parent
 * RC_INVALID on "parent". *out (may be NULL) receives the new id.
 */
enum rc org_create(struct conn *c, const struct audit_actor *who, const struct org_new *o,
                   int64_t *out, struct err *e) WARN_UNUSED;
/* Reads the organisation with code into *out (strings in pool). RC_NOTFOUND if none. */
enum rc org_by_code(struct conn *c, const char *code, struct pool *pool, struct org *out,
                    struct err *e) WARN_UNUSED;
/* Reads the organisation with id into *out (strings in pool). RC_NOTFOUND if none. */
enum rc org_by_id(struct conn *c, int64_t id, struct pool *pool, struct org *out,
                  struct err *e) WARN_UNUSED;
/*
 * Lists organisations under the subtree path (NULL: all), optionally only the
 * direct children of parent_code, ordered by code, after the code `after` (cursor).
 * *out is a new JSON array.
 */
enum rc org_list(struct conn *c, const char *subtree_path, const char *parent_code,
                 const char *after, int limit, json_t **out, struct err *e) WARN_UNUSED;
/* Returns a new JSON object for o. */
json_t *org_json(const struct org *o);

/*
 * Dispatch scope (docs/internals/org.md): decides whether a clerk of the organisation
 * with path from_path and region from_region may dispatch a demand to the organisation
 * to. Allowed when to's region lies in from's prefecture (the first four digits of
 * from_region; the province for a province-level region), or when a partner row
 * (org_partners) names an organisation at or above from and one at or above to.
 * *ok receives the answer; errors are the store's.
 */
enum rc org_may_dispatch(struct conn *c, const char *from_path, const char *from_region,
                         const struct org *to, bool *ok, struct err *e) WARN_UNUSED;
/*
 * Lets the clerks of org_code (and of the organisations under it) dispatch to
 * partner_code and the organisations under it, in one transaction with the audit
 * event org.partner_add. RC_INVALID naming "org" or "partner" for an unknown code or
 * the same organisation twice; RC_EXISTS if the pair is there already.
 */
enum rc org_partner_add(struct conn *c, const struct audit_actor *who, const char *org_code,
                        const char *partner_code, struct err *e) WARN_UNUSED;
/* Removes a pair added by org_partner_add (audited); RC_NOTFOUND if there is none. */
enum rc org_partner_remove(struct conn *c, const struct audit_actor *who, const char *org_code,
                           const char *partner_code, struct err *e) WARN_UNUSED;
/* Lists the pairs as a new JSON array of {org, org_name, partner, partner_name}. */
enum rc org_partner_list(struct conn *c, json_t **out, struct err *e) WARN_UNUSED;

#endif
