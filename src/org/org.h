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

#endif
