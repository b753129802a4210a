/* SPDX-License-Identifier: Apache-2.0 */
/*
 * access: permissions (code), roles (data), scopes, predicates and the masking policy.
 * Nothing here keeps state: a principal carries its permission bits from authentication,
 * and the roles table is read when a principal is authenticated (auth joins it).
 */
#include "access.h"

#include <stdio.h>
#include <string.h>

#include "../base/jsonx.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../store/store.h"

static const struct {
    const char *name, *label;
} perms[ACCESS__N_PERMS] = {
#define ACCESS__ROW(n, s, l) [ACCESS_##n] = {s, l},
    ACCESS_PERM_MAP(ACCESS__ROW)
#undef ACCESS__ROW
};

/* ---- permissions ---------------------------------------------------------- */

const char *access_perm_name(enum access_perm perm)
{
    return (unsigned)perm < ACCESS__N_PERMS ? perms[perm].name : "?";
}

const char *access_perm_label(enum access_perm perm)
{
    return (unsigned)perm < ACCESS__N_PERMS ? perms[perm].label : "?";
}

bool access_perm_parse(const char *name, enum access_perm *out)
{
    for (int i = 0; name && i < ACCESS__N_PERMS; i++)
        if (strcmp(perms[i].name, name) == 0) {
            *out = (enum access_perm)i;
            return true;
        }
    return false;
}

enum rc access_perms_parse(const char *names, const char *field, unsigned *bits, struct err *e)
{
    unsigned out = 0;
    const char *s = names ? names : "";
    while (*s) {
        size_t n = strcspn(s, " ,");
        if (n > 0) {
            char one[40];
            enum access_perm p;
            if (n >= sizeof(one))
                return err_set(e, RC_INVALID, field, "未知权限 %.*s", (int)(n > 40 ? 40 : n), s);
            memcpy(one, s, n);
            one[n] = '\0';
            if (!access_perm_parse(one, &p))
                return err_set(e, RC_INVALID, field, "未知权限 %s", one);
            out |= ACCESS_BIT(p);
        }
        s += n;
        if (*s)
            s++;
    }
    *bits = out;
    return RC_OK;
}

void access_perms_format(unsigned bits, char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < ACCESS__N_PERMS; i++) {
        if (!(bits & ACCESS_BIT(i)))
            continue;
        int w = snprintf(out + used, n - used, "%s%s", used ? " " : "", perms[i].name);
        if (w < 0 || (size_t)w >= n - used)
            return;
        used += (size_t)w;
    }
}

json_t *access_perms_json(unsigned bits)
{
    json_t *arr = json_array();
    for (int i = 0; i < ACCESS__N_PERMS; i++)
        if (bits & ACCESS_BIT(i))
            json_array_append_new(arr, json_string(perms[i].name));
    return arr;
}

bool access_can(const struct principal *p, enum access_perm perm)
{
    return p && (unsigned)perm < ACCESS__N_PERMS && (p->perms & ACCESS_BIT(perm));
}

/* ---- roles ------------------------------------------------------------------ */

enum rc access_role_get(struct conn *c, const char *name, unsigned *bits, char **label,
                        struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, "SELECT label, permissions FROM roles WHERE name = ?", &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, name);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        /* A name the code no longer knows is ignored, not fatal: it grants nothing. */
        struct err ignored;
        if (access_perms_parse(store_text(st, 1), "permissions", bits, &ignored))
            *bits = 0;
        if (label)
            *label = xstrdup(store_text(st, 0));
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_NOTFOUND, "role", "未知角色 %s", name);
    }
    store_finish(st);
    return rc;
}

enum rc access_role_for_user(struct conn *c, const char *name, unsigned *bits, struct err *e)
{
    if (!name || !*name || strcmp(name, "system") == 0)
        return err_set(e, RC_INVALID, "role",
                       "未知角色 %s（角色应为 GET /api/v1/roles 所列之一，system 只用于 API 密钥）",
                       name ? name : "");
    enum rc rc = access_role_get(c, name, bits, NULL, e);
    if (rc == RC_NOTFOUND)
        rc = err_set(e, RC_INVALID, "role", "未知角色 %s（角色应为 GET /api/v1/roles 所列之一）",
                     name);
    return rc;
}

enum rc access_role_list(struct conn *c, json_t **out, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               "SELECT name, label, permissions, builtin FROM roles ORDER BY "
                               "builtin DESC, created_at, name",
                               &st, e);
    if (rc)
        return rc;
    json_t *arr = json_array();
    while ((rc = store_step(st, e)) == RC_ROW) {
        unsigned bits = 0;
        struct err ignored;
        if (access_perms_parse(store_text(st, 2), "permissions", &bits, &ignored))
            bits = 0;
        json_array_append_new(arr,
                              json_pack("{s:s, s:s, s:o, s:b}", "name", store_text(st, 0), "label",
                                        store_text(st, 1), "permissions", access_perms_json(bits),
                                        "builtin", store_int(st, 3) != 0));
    }
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return RC_OK;
}

static enum rc check_role_name(const char *name, struct err *e)
{
    size_t n = name ? strlen(name) : 0;
    if (n < 2 || n > 32)
        return err_set(e, RC_INVALID, "name", "角色名长度应为 2 到 32 个字符");
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
              name[i] == '_'))
            return err_set(e, RC_INVALID, "name", "角色名只能包含小写字母、数字和 _");
    return RC_OK;
}

enum rc access_role_create(struct conn *c, const struct audit_actor *who, const char *name,
                           const char *label, const char *perm_names, struct err *e)
{
    unsigned bits = 0;
    char canon[1024];
    struct stmt *st = NULL;
    enum rc rc = check_role_name(name, e);
    if (rc == RC_OK && (!label || utf8_len(label) < 1 || utf8_len(label) > 32))
        rc = err_set(e, RC_INVALID, "label", "角色名称（中文）长度应为 1 到 32 个字符");
    if (rc == RC_OK)
        rc = access_perms_parse(perm_names, "permissions", &bits, e);
    if (rc)
        return rc;
    access_perms_format(bits, canon, sizeof(canon));
    if ((rc = store_begin(c, e)))
        return rc;
    rc = store_prepare(c,
                       "INSERT INTO roles (name, label, permissions, builtin, created_at) "
                       "VALUES (?, ?, ?, 0, ?)",
                       &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, name);
        store_bind_text(st, 2, label);
        store_bind_text(st, 3, canon);
        store_bind_int(st, 4, time_now_ms());
        rc = store_run(st, e);
        if (rc == RC_EXISTS)
            err_set(e, RC_EXISTS, "name", "角色 %s 已存在", name);
    }
    store_finish(st);
    if (rc == RC_OK) {
        json_t *after = json_pack("{s:s, s:s, s:o}", "name", name, "label", label, "permissions",
                                  access_perms_json(bits));
        struct audit_event ev = {"role.create", "role", name, NULL, after};
        rc = audit_append(c, who, &ev, NULL, e);
        json_decref(after);
    }
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (store_in_txn(c))
        store_rollback(c);
    return rc;
}

enum rc access_role_update(struct conn *c, const struct audit_actor *who, const char *name,
                           const char *label, const char *perm_names, struct err *e)
{
    unsigned bits = 0, old_bits = 0;
    char canon[1024], *old_label = NULL;
    struct stmt *st = NULL;
    enum rc rc = RC_OK;
    if (label && (utf8_len(label) < 1 || utf8_len(label) > 32))
        return err_set(e, RC_INVALID, "label", "角色名称（中文）长度应为 1 到 32 个字符");
    if (perm_names && (rc = access_perms_parse(perm_names, "permissions", &bits, e)))
        return rc;
    if ((rc = store_begin(c, e)))
        return rc;
    rc = access_role_get(c, name, &old_bits, &old_label, e);
    if (rc == RC_OK) {
        if (!perm_names)
            bits = old_bits;
        access_perms_format(bits, canon, sizeof(canon));
        rc = store_prepare(c, "UPDATE roles SET label = ?, permissions = ? WHERE name = ?", &st, e);
    }
    if (rc == RC_OK) {
        store_bind_text(st, 1, label ? label : old_label);
        store_bind_text(st, 2, canon);
        store_bind_text(st, 3, name);
        rc = store_run(st, e);
    }
    store_finish(st);
    if (rc == RC_OK) /* sessions carry their role's permissions: every process drops them */
        rc = store_notify(c, STORE_TOPIC_AUTH, e);
    if (rc == RC_OK) {
        json_t *before =
            json_pack("{s:s, s:o}", "label", old_label, "permissions", access_perms_json(old_bits));
        json_t *after = json_pack("{s:s, s:o}", "label", label ? label : old_label, "permissions",
                                  access_perms_json(bits));
        struct audit_event ev = {"role.update", "role", name, before, after};
        rc = audit_append(c, who, &ev, NULL, e);
        json_decref(before);
        json_decref(after);
    }
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (store_in_txn(c))
        store_rollback(c);
    xfree(old_label);
    return rc;
}

/* ---- scopes --------------------------------------------------------------------- */

const char *access_region_prefix(const struct principal *p, char prefix[8])
{
    if (!p || !p->org_region || !*p->org_region) {
        memcpy(prefix, "~", 2);
        return prefix;
    }
    /* A region code without its trailing "00" pairs: 340800 covers 3408xx. */
    size_t n = strlen(p->org_region) >= 6 ? 6 : strlen(p->org_region);
    memcpy(prefix, p->org_region, n);
    prefix[n] = '\0';
    while (n > 2 && prefix[n - 1] == '0' && prefix[n - 2] == '0')
        prefix[n -= 2] = '\0';
    return prefix;
}

enum rc access_orgs_covering(struct conn *c, enum access_perm perm, const char *region,
                             int64_t **orgs, size_t *n, struct err *e)
{
    *orgs = NULL;
    *n = 0;
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               "SELECT DISTINCT u.org_id, o.region, r.permissions FROM users u "
                               "JOIN roles r ON r.name = u.role JOIN orgs o ON o.id = u.org_id "
                               "WHERE u.disabled = 0 ORDER BY u.org_id",
                               &st, e);
    if (rc)
        return rc;
    size_t cap = 0;
    while ((rc = store_step(st, e)) == RC_ROW) {
        /* Permission names are checked one by one: a name is never a prefix test. */
        unsigned bits = 0;
        struct err ignore;
        if (access_perms_parse(store_text(st, 2), "permissions", &bits, &ignore) ||
            !(bits & ACCESS_BIT(perm)))
            continue;
        struct principal p = {.org_region = store_text(st, 1)};
        if (!access_covers(&p, region))
            continue;
        /* Rows come by org: two roles of one organisation holding perm name it once. */
        if (*n && (*orgs)[*n - 1] == store_int(st, 0))
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 4;
            *orgs = xrealloc(*orgs, cap * sizeof(**orgs));
        }
        (*orgs)[(*n)++] = store_int(st, 0);
    }
    store_finish(st);
    if (rc != RC_DONE) {
        xfree(*orgs);
        *orgs = NULL;
        *n = 0;
        return rc;
    }
    return RC_OK;
}

bool access_covers(const struct principal *p, const char *region)
{
    char prefix[8];
    if (!region || !p || !p->org_region)
        return false;
    access_region_prefix(p, prefix);
    return strncmp(region, prefix, strlen(prefix)) == 0;
}

void access_scope_of(const struct principal *p, enum access_perm region_perm,
                     enum access_perm org_perm, struct access_scope *out)
{
    memset(out, 0, sizeof(*out));
    memcpy(out->region_lo, "~", 2);
    memcpy(out->region_hi, "~", 2);
    if (!p)
        return;
    out->all = access_can(p, ACCESS_SCOPE_ALL);
    if (access_can(p, ACCESS_ENT_SELF) && p->credit_code)
        out->credit_code = p->credit_code;
    if (region_perm != ACCESS_NONE && access_can(p, region_perm) && p->org_region) {
        access_region_prefix(p, out->region_lo);
        snprintf(out->region_hi, sizeof(out->region_hi), "%s:", out->region_lo);
    }
    if (org_perm != ACCESS_NONE && access_can(p, org_perm) && p->org_id) {
        out->org_id = p->org_id;
        out->org_path = p->org_path;
    }
    out->user_id = p->user_id;
}

int access_bind(struct stmt *st, int i, const struct access_scope *s)
{
    store_bind_int(st, i, s->all ? 1 : 0);
    store_bind_text(st, i + 1, s->credit_code); /* NULL matches nothing */
    if (s->org_id)
        store_bind_int(st, i + 2, s->org_id);
    else
        store_bind_null(st, i + 2);
    store_bind_text(st, i + 3, s->region_lo);
    store_bind_text(st, i + 4, s->region_hi);
    return i + ACCESS_SQL_N;
}

enum rc access_one(struct conn *c, const char *sql, int64_t id, const struct access_scope *s,
                   const char *notfound, struct stmt **out, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, sql, &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, id);
    access_bind(st, 2, s);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        *out = st;
        return RC_OK;
    }
    store_finish(st);
    return rc == RC_DONE ? err_set(e, RC_NOTFOUND, NULL, "%s", notfound) : rc;
}

int access_bind_ent(struct stmt *st, int i, const struct access_scope *s)
{
    store_bind_int(st, i, s->all ? 1 : 0);
    store_bind_text(st, i + 1, s->credit_code);
    store_bind_text(st, i + 2, s->region_lo);
    store_bind_text(st, i + 3, s->region_hi);
    store_bind_int(st, i + 4, s->user_id);
    return i + ACCESS_SQL_ENT_N;
}

/* ---- personal data ------------------------------------------------------------ */

bool access_reveal(const struct principal *p, bool related)
{
    return p && (related || access_can(p, ACCESS_PII_READ));
}
