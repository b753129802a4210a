/* SPDX-License-Identifier: Apache-2.0 */
/*
 * access: who may see and do what, decided once for every domain.
 *
 * Capabilities are code: enum access_perm names each thing a principal may be allowed
 * (call a route, reach records of its region, see personal data unmasked ...). Which role
 * holds which permission is data: the roles table (migration 0016) lists each role's
 * permissions by name, and auth loads them into the principal at authentication as a bit
 * set (struct principal.perms). A new role is one row (`qifu role add`, access_role_create);
 * no C enum, CHECK list or JavaScript list names the roles.
 *
 * From a principal this module derives its scope (struct access_scope: every record, its
 * own enterprise, its organisation, its region, its explicit grants) and the SQL predicate a
 * domain appends to its queries (ACCESS_SQL, access_bind), and decides one masking policy
 * for personal data (access_reveal). Relations to one record (a demand's lead handler, a
 * grant's issuer) stay in the domains; access gives them the parts that are the same
 * everywhere. Layering: domains call access; access calls store and base; the principal
 * is filled by auth. See docs/internals/access.md.
 */
#ifndef QIFU_ACCESS_H
#define QIFU_ACCESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../audit/audit.h"
#include "../base/rc.h"

struct conn;
struct stmt;

/*
 * The permissions, X(NAME, "name", "中文说明"). The name is what the roles table stores;
 * the order is the bit number (at most 31: routes keep them in an unsigned mask). A
 * permission may be added at the end; never renumber or rename one that has shipped.
 */
#define ACCESS_PERM_MAP(X)                                                                         \
    X(SELF, "self", "本人账户：退出登录、修改密码")                                                \
    X(ORG_READ, "org.read", "查看机构")                                                            \
    X(ORG_WRITE, "org.write", "新建机构")                                                          \
    X(USER_ADMIN, "user.admin", "管理用户、角色与 API 密钥")                                       \
    X(ENT_SELF, "ent.self", "企业账户：代表所绑定的企业（按统一社会信用代码）")                    \
    X(ENT_READ, "ent.read", "查看企业档案（按范围）")                                              \
    X(ENT_REGION, "ent.region", "范围含本机构辖区内的企业")                                        \
    X(ENT_WRITE, "ent.write", "登记、修改企业")                                                    \
    X(ENT_IMPORT, "ent.import", "批量导入企业")                                                    \
    X(FACT_WRITE, "fact.write", "记录企业事实数据")                                                \
    X(DEMAND_CREATE, "demand.create", "提交诉求")                                                  \
    X(DEMAND_IMPORT, "demand.import", "导入热线工单")                                              \
    X(DEMAND_READ, "demand.read", "查看诉求（按关系）")                                            \
    X(DEMAND_INTAKE, "demand.intake", "窗口受理：本辖区的诉求")                                    \
    X(DEMAND_HANDLE, "demand.handle", "承办：本单位主办、协办的诉求")                              \
    X(DEMAND_OVERSEE, "demand.oversee", "督办：本辖区的诉求")                                      \
    X(DEMAND_STATS, "demand.stats", "诉求统计")                                                    \
    X(NOTICE_READ, "notice.read", "待办通知")                                                      \
    X(AUDIT_READ, "audit.read", "审计日志（按范围）")                                              \
    X(CALENDAR_WRITE, "calendar.write", "调整工作日历")                                            \
    X(CATEGORY_WRITE, "category.write", "管理诉求类别与派单目录")                                  \
    X(POLICY_WRITE, "policy.write", "起草、修改、发布政策与命名条件")                              \
    X(POLICY_ISSUE, "policy.issue", "发文单位：本单位政策的免申即享、兑现与审批")                  \
    X(GRANT_READ, "grant.read", "查看兑现与政策申请（按范围）")                                    \
    X(GRANT_REGION, "grant.region", "范围含本机构辖区内的兑现与申请")                              \
    X(GRANT_STATS, "grant.stats", "政策兑现统计、匹配运行")                                        \
    X(APPLY, "application.create", "申请政策")                                                     \
    X(SCOPE_ALL, "scope.all", "全部记录（不限范围）")                                              \
    X(PII_READ, "pii.read", "查看未打码的个人信息（手机号、身份证号、银行账号）")                  \
    X(CATALOG_WRITE, "catalog.write", "编写办事指南、一件事、同义词")                              \
    X(CATALOG_REVIEW, "catalog.review", "审核、发布办事指南")

enum access_perm {
#define ACCESS__ENUM(n, s, l) ACCESS_##n,
    ACCESS_PERM_MAP(ACCESS__ENUM)
#undef ACCESS__ENUM
        ACCESS__N_PERMS,
    ACCESS_NONE = -1 /* "no permission gives this": access_scope_of's region or org */
};
_Static_assert(ACCESS__N_PERMS <= 31, "permissions must fit the routes' unsigned masks");

#define ACCESS_BIT(perm) (1u << (perm))

/*
 * The authenticated caller of a request, filled by auth (session, API key, or `--as` on
 * the command line). Strings live in the request's pool.
 */
struct principal {
    struct audit_actor actor; /* name "user:<username>" or "apikey:<name>", org code */
    const char *role;         /* the role's name: "clerk", ..., "system" for an API key */
    const char *role_label;   /* its Chinese label */
    unsigned perms;           /* ACCESS_BIT()s of the role's permissions */
    int64_t user_id;          /* 0 for an API key */
    int64_t apikey_id;        /* 0 for a user */
    const char *username;     /* the API key's name for a key */
    const char *display_name;
    int64_t org_id; /* 0 when the user has no organisation */
    const char *org_code;
    const char *org_name;
    const char *org_path;    /* "/1/4/": what the caller's organisation covers */
    const char *org_region;  /* the organisation's GB/T 2260 code */
    const char *credit_code; /* enterprise users only */
    const char *csrf;        /* the session's CSRF token (users only) */
    int64_t expires_at;      /* session expiry, ms */
};

/* ---- permissions ---------------------------------------------------------- */

/* Returns the name of perm ("demand.read"), or "?" when out of range. */
const char *access_perm_name(enum access_perm perm);
/* Returns the Chinese description of perm. */
const char *access_perm_label(enum access_perm perm);
/* Parses one permission name; false if unknown. */
bool access_perm_parse(const char *name, enum access_perm *out);
/*
 * Parses a list of permission names separated by spaces or commas into *bits. RC_INVALID
 * on field with a Chinese message naming the first unknown name.
 */
enum rc access_perms_parse(const char *names, const char *field, unsigned *bits,
                           struct err *e) WARN_UNUSED;
/* Writes bits as space-separated names into out (n bytes; truncated if too small). */
void access_perms_format(unsigned bits, char *out, size_t n);
/* Returns a new JSON array of the names in bits. */
json_t *access_perms_json(unsigned bits);
/* Does p (may be NULL: anonymous) hold perm? */
bool access_can(const struct principal *p, enum access_perm perm);

/* ---- roles (the roles table) ------------------------------------------------ */

/*
 * Looks up role name: *perms its permission bits, *label (may be NULL) a new copy the
 * caller frees with xfree. RC_NOTFOUND when there is no such role.
 */
enum rc access_role_get(struct conn *c, const char *name, unsigned *perms, char **label,
                        struct err *e) WARN_UNUSED;
/*
 * Checks that a user may be given role name: RC_INVALID on field "role" (未知角色) for a
 * role not in the table and for "system" (API keys only). *perms receives its bits.
 */
enum rc access_role_for_user(struct conn *c, const char *name, unsigned *perms,
                             struct err *e) WARN_UNUSED;
/* Lists the roles as a new JSON array of {name, label, permissions: [...], builtin}. */
enum rc access_role_list(struct conn *c, json_t **out, struct err *e) WARN_UNUSED;
/*
 * Adds a role in its own transaction, audited (role.create). name: 2-32 of [a-z0-9_];
 * label: 1-32 characters; perms: names as access_perms_parse reads them. RC_INVALID naming
 * the field, RC_EXISTS when the name is taken. The role serves the next request of
 * every user given it: permissions are read at authentication.
 */
enum rc access_role_create(struct conn *c, const struct audit_actor *who, const char *name,
                           const char *label, const char *perms, struct err *e) WARN_UNUSED;

/*
 * Changes role name's label (NULL: kept) and permissions (NULL: kept), in its own
 * transaction, audited (role.update). RC_NOTFOUND for an unknown role, RC_INVALID naming
 * the field. Takes effect for every request authenticated after it commits: it notifies
 * the "auth" topic (store_notify), so the session cache (auth_session_cached) of every
 * process drops its entries (on SQLite: this process at once, another within
 * AUTH_SESSION_CACHE_MS).
 */
enum rc access_role_update(struct conn *c, const struct audit_actor *who, const char *name,
                           const char *label, const char *perms, struct err *e) WARN_UNUSED;

/* ---- scopes and predicates ------------------------------------------------- */

/*
 * What a principal may see of records that carry an enterprise (credit code), an owning
 * organisation and a region. A record is in scope when any part matches. Members may be
 * read; build it with access_scope_of.
 */
struct access_scope {
    bool all;                /* scope.all: every record */
    const char *credit_code; /* ent.self: its own enterprise; NULL when none */
    int64_t org_id;          /* records of its own organisation; 0 when none */
    const char *org_path;    /* its organisation's subtree ("/1/4/"); NULL when none */
    char region_lo[8];       /* region prefix ("3408"), "~" when none */
    char region_hi[16];      /* region_lo + ":" (the prefix's end), "~" when none */
    int64_t user_id;         /* explicit grants: the enterprises it 包保 (enterprise_officials) */
    /* Slot: 包保 assignments (the coming 包保 domain) join here as one more part, as
     * enterprise_officials does through user_id; ACCESS_SQL_ENT grows by one EXISTS. */
};

/*
 * Turns p (may be NULL: nothing) into its scope in a domain. The domain names the
 * permission that extends this principal's reach to its organisation's region
 * (region_perm, e.g. ACCESS_ENT_REGION) and to records its organisation owns
 * (org_perm, e.g. ACCESS_POLICY_ISSUE); ACCESS_NONE when that part does not apply.
 * scope.all gives every record; ent.self its own enterprise.
 */
void access_scope_of(const struct principal *p, enum access_perm region_perm,
                     enum access_perm org_perm, struct access_scope *out);
/* Does the principal's organisation region cover region (a 6-digit code)? */
bool access_covers(const struct principal *p, const char *region);
/*
 * The organisations having an enabled user whose role holds perm and whose organisation's
 * region covers region (a 6-digit code): whom a step that such users decide is told (a
 * 延期 request reaches the supervisors of the demand's region). *orgs is new (xfree), *n
 * its length; none gives *orgs NULL and *n 0.
 */
enum rc access_orgs_covering(struct conn *c, enum access_perm perm, const char *region,
                             int64_t **orgs, size_t *n, struct err *e) WARN_UNUSED;
/* Writes the region prefix p's organisation covers into prefix ("~" when none): "3408"
 * for 340800, "34" for 340000, "340822" for a county (and its towns). Returns prefix. */
const char *access_region_prefix(const struct principal *p, char prefix[8]);

/*
 * The scope predicate over a record's credit code, owning organisation and region
 * columns, ACCESS_SQL_N parameters, bound by access_bind. Write "NULL" for a column the
 * record lacks.
 */
#define ACCESS_SQL(credit, org, region)                                                            \
    "(? = 1 OR " credit " = ? OR " org " = ? OR (" region " >= ? AND " region " < ?))"
#define ACCESS_SQL_N 5
/* Binds ACCESS_SQL's parameters from position i; returns the next position. */
int access_bind(struct stmt *st, int i, const struct access_scope *s);
/*
 * Reads the one row of sql that s may see: sql's first parameter is the record's id, the
 * next ACCESS_SQL_N are its ACCESS_SQL predicate's. *out is the statement on that row (the
 * caller finishes it); RC_NOTFOUND with the message notfound when there is none.
 */
enum rc access_one(struct conn *c, const char *sql, int64_t id, const struct access_scope *s,
                   const char *notfound, struct stmt **out, struct err *e) WARN_UNUSED;
/*
 * The predicate over enterprise records (credit code and region columns), which adds
 * explicit grants (the enterprises the user 包保); ACCESS_SQL_ENT_N parameters, bound by
 * access_bind_ent.
 */
#define ACCESS_SQL_ENT(credit, region)                                                             \
    "(? = 1 OR " credit " = ? OR (" region " >= ? AND " region " < ?) OR EXISTS (SELECT 1 FROM "   \
    "enterprise_officials ao WHERE ao.credit_code = " credit " AND ao.user_id = ?))"
#define ACCESS_SQL_ENT_N 5
/* Binds ACCESS_SQL_ENT's parameters from position i; returns the next position. */
int access_bind_ent(struct stmt *st, int i, const struct access_scope *s);

/* ---- personal data ---------------------------------------------------------- */

/*
 * The one masking policy: does p see the personal data (mobile, ID number, bank account)
 * of a record unmasked? related says whether p handles the record for its owner (the
 * enterprise itself, its 包保 official, a demand's intake/lead/oversight, a grant's
 * issuer: the domain decides the relation). Everyone else sees it masked, except a
 * principal holding pii.read (seeded: admin).
 */
bool access_reveal(const struct principal *p, bool related);

#endif
