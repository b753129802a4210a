/* SPDX-License-Identifier: Apache-2.0 */
/*
 * category: the categories tree, its limits and the dispatch catalogue over the
 * store (tables categories and category_routes, migration 0003).
 *
 * Invariants kept by the writers: the tree has no cycle and at most
 * CATEGORY_MAX_DEPTH levels; for each urgency level the limits never grow with
 * urgency (critical <= urgent <= normal); each (category, region prefix) of the
 * catalogue has exactly one lead and co-handlers different from it.
 */
#include "category.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "../base/jsonx.h"
#include "../base/timeutil.h"
#include "../store/store.h"

static const char *const urgency_names[CATEGORY_N_URGENCY] = {"normal", "urgent", "critical"};
static const char *const urgency_labels[CATEGORY_N_URGENCY] = {"一般", "紧急", "特急"};
static const char *const limit_names[3] = {"sign_hours", "reply_days", "rectify_days"};
static const char *const limit_labels[3] = {"签收时限", "答复时限", "整改时限"};

static const struct {
    const char *kind, *label;
} kinds[] = {{"consult", "咨询"},    {"help", "求助"},   {"complaint", "投诉"}, {"report", "举报"},
             {"suggestion", "建议"}, {"praise", "表扬"}, {"topic", "业务主题"}};

/* ======================================================================== */
/* Names                                                                     */
/* ======================================================================== */

bool category_urgency_parse(const char *s, enum category_urgency *out)
{
    for (int i = 0; s && i < CATEGORY_N_URGENCY; i++)
        if (strcmp(s, urgency_names[i]) == 0) {
            *out = (enum category_urgency)i;
            return true;
        }
    return false;
}

const char *category_urgency_name(enum category_urgency u)
{
    return (unsigned)u < CATEGORY_N_URGENCY ? urgency_names[u] : "normal";
}

const char *category_urgency_label(enum category_urgency u)
{
    return (unsigned)u < CATEGORY_N_URGENCY ? urgency_labels[u] : "一般";
}

const char *category_kind_label(const char *kind)
{
    for (size_t i = 0; kind && i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kinds[i].kind, kind) == 0)
            return kinds[i].label;
    return NULL;
}

/* ======================================================================== */
/* Reading                                                                   */
/* ======================================================================== */

#define CAT_COLS                                                                                   \
    "code, name, parent_code, kind, sort, active, normal_sign_hours, normal_reply_days, "          \
    "normal_rectify_days, urgent_sign_hours, urgent_reply_days, urgent_rectify_days, "             \
    "critical_sign_hours, critical_reply_days, critical_rectify_days, updated_at, updated_by"

static void read_row(struct stmt *st, struct pool *pool, struct category *out)
{
    out->code = pool_strdup(pool, store_text(st, 0));
    out->name = pool_strdup(pool, store_text(st, 1));
    out->parent = pool_strdup(pool, store_text(st, 2));
    out->kind = pool_strdup(pool, store_text(st, 3));
    out->sort = (int)store_int(st, 4);
    out->active = store_int(st, 5) != 0;
    for (int u = 0; u < CATEGORY_N_URGENCY; u++) {
        out->limits[u].sign_hours = (int)store_int(st, 6 + 3 * u);
        out->limits[u].reply_days = (int)store_int(st, 7 + 3 * u);
        out->limits[u].rectify_days = (int)store_int(st, 8 + 3 * u);
    }
    out->updated_at = store_int(st, 15);
    out->updated_by = pool_strdup(pool, store_text(st, 16));
}

enum rc category_get(struct conn *c, const char *code, struct pool *pool, struct category *out,
                     struct err *e)
{
    assert(c && pool && out);
    struct stmt *st;
    enum rc rc = store_prepare(c, "SELECT " CAT_COLS " FROM categories WHERE code = ?", &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, code);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        read_row(st, pool, out);
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_NOTFOUND, NULL, "诉求类别 %s 不存在", code ? code : "");
    }
    store_finish(st);
    return rc;
}

enum rc category_limits_of(struct conn *c, const char *code, const char *urgency,
                           struct category_limits *out, struct err *e)
{
    enum category_urgency u;
    if (!category_urgency_parse(urgency, &u))
        return err_set(e, RC_INVALID, "urgency",
                       "紧急程度应为 normal（一般）、urgent（紧急）或 critical（特急）");
    struct pool pool;
    struct category cat;
    pool_init(&pool);
    enum rc rc = category_get(c, code, &pool, &cat, e);
    if (rc == RC_NOTFOUND || (rc == RC_OK && !cat.active))
        rc = err_set(e, RC_NOTFOUND, "category", "诉求类别 %s 不存在或已停用", code ? code : "");
    if (rc == RC_OK)
        *out = cat.limits[u];
    pool_clear(&pool);
    return rc;
}

json_t *category_json(const struct category *cat)
{
    json_t *limits = json_object();
    for (int u = 0; u < CATEGORY_N_URGENCY; u++)
        json_object_set_new(limits, urgency_names[u],
                            json_pack("{s:i, s:i, s:i}", "sign_hours", cat->limits[u].sign_hours,
                                      "reply_days", cat->limits[u].reply_days, "rectify_days",
                                      cat->limits[u].rectify_days));
    const char *label = category_kind_label(cat->kind);
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:i, s:b, s:o}", "code", cat->code, "name",
                     cat->name, "kind", cat->kind, "kind_label", label ? label : cat->kind,
                     "parent", cat->parent ? json_string(cat->parent) : json_null(), "sort",
                     cat->sort, "active", cat->active, "limits", limits);
}

/* Every category, ordered by sort then code, into a new array (strings in pool). */
static enum rc read_all(struct conn *c, struct pool *pool, struct category **out, size_t *n,
                        struct err *e)
{
    struct stmt *st;
    enum rc rc =
        store_prepare(c, "SELECT " CAT_COLS " FROM categories ORDER BY sort, code", &st, e);
    if (rc)
        return rc;
    size_t cap = 32, k = 0;
    struct category *arr = pool_alloc(pool, cap * sizeof(*arr));
    while ((rc = store_step(st, e)) == RC_ROW) {
        if (k == cap) {
            struct category *bigger = pool_alloc(pool, 2 * cap * sizeof(*arr));
            memcpy(bigger, arr, cap * sizeof(*arr));
            arr = bigger;
            cap *= 2;
        }
        read_row(st, pool, &arr[k++]);
    }
    store_finish(st);
    if (rc != RC_DONE)
        return rc;
    *out = arr;
    *n = k;
    return RC_OK;
}

static const struct category *find(const struct category *all, size_t n, const char *code)
{
    for (size_t i = 0; code && i < n; i++)
        if (strcmp(all[i].code, code) == 0)
            return &all[i];
    return NULL;
}

/* True when cat and all its ancestors are active (a broken chain counts as inactive). */
static bool visible(const struct category *all, size_t n, const struct category *cat)
{
    for (int depth = 0; cat && depth <= CATEGORY_MAX_DEPTH; depth++) {
        if (!cat->active)
            return false;
        if (!cat->parent)
            return true;
        cat = find(all, n, cat->parent);
    }
    return false;
}

enum rc category_tree(struct conn *c, bool include_inactive, json_t **out, struct err *e)
{
    struct pool pool;
    struct category *all = NULL;
    size_t n = 0;
    pool_init(&pool);
    enum rc rc = read_all(c, &pool, &all, &n, e);
    if (rc) {
        pool_clear(&pool);
        return rc;
    }
    /* Nodes by code first, then each goes under its parent in the sorted order. */
    json_t *nodes = json_object(), *top = json_array();
    for (size_t i = 0; i < n; i++) {
        if (!include_inactive && !visible(all, n, &all[i]))
            continue;
        json_t *j = category_json(&all[i]);
        json_object_set_new(j, "children", json_array());
        json_object_set_new(nodes, all[i].code, j);
    }
    for (size_t i = 0; i < n; i++) {
        json_t *j = json_object_get(nodes, all[i].code);
        if (!j)
            continue;
        json_t *parent = all[i].parent ? json_object_get(nodes, all[i].parent) : NULL;
        json_array_append(parent ? json_object_get(parent, "children") : top, j);
    }
    json_decref(nodes);
    pool_clear(&pool);
    *out = top;
    return RC_OK;
}

/* ======================================================================== */
/* Writing                                                                   */
/* ======================================================================== */

void category_change_init(struct category_change *ch)
{
    memset(ch, 0, sizeof(*ch));
    for (int u = 0; u < CATEGORY_N_URGENCY; u++)
        for (int k = 0; k < 3; k++)
            ch->limits[u][k] = -1;
}

static int *limit_slot(struct category_limits *l, int k)
{
    return k == 0 ? &l->sign_hours : k == 1 ? &l->reply_days : &l->rectify_days;
}

static int limit_get(const struct category_limits *l, int k)
{
    return k == 0 ? l->sign_hours : k == 1 ? l->reply_days : l->rectify_days;
}

static enum rc check_code(const char *code, struct err *e)
{
    size_t n = code ? strlen(code) : 0;
    bool ok = n >= 2 && n <= CATEGORY_CODE_MAX && code[0] >= 'a' && code[0] <= 'z';
    for (size_t i = 1; ok && i < n; i++)
        ok = (code[i] >= 'a' && code[i] <= 'z') || (code[i] >= '0' && code[i] <= '9') ||
             code[i] == '_';
    if (!ok)
        return err_set(e, RC_INVALID, "code",
                       "类别代码应为 2 到 %d 个字符：小写字母开头，只含小写字母、数字和 _",
                       CATEGORY_CODE_MAX);
    return RC_OK;
}

/* Checks the values of a category about to be written (all but the tree shape). */
static enum rc check_values(const struct category *cat, struct err *e)
{
    size_t len = utf8_len(cat->name);
    if (len < 2 || len > CATEGORY_NAME_MAX)
        return err_set(e, RC_INVALID, "name", "类别名称长度应为 2 到 %d 个字符", CATEGORY_NAME_MAX);
    if (!category_kind_label(cat->kind))
        return err_set(
            e, RC_INVALID, "kind",
            "类别性质应为 consult（咨询）、help（求助）、complaint（投诉）、report（举报）、"
            "suggestion（建议）、praise（表扬）或 topic（业务主题）");
    for (int u = 0; u < CATEGORY_N_URGENCY; u++)
        for (int k = 0; k < 3; k++) {
            int v = limit_get(&cat->limits[u], k);
            int max = k == 0 ? CATEGORY_MAX_SIGN_HOURS : CATEGORY_MAX_DAYS;
            char field[48];
            snprintf(field, sizeof(field), "limits.%s.%s", urgency_names[u], limit_names[k]);
            if (v < 1 || v > max)
                return err_set(e, RC_INVALID, field, "%s%s应为 1 到 %d 个工作%s", urgency_labels[u],
                               limit_labels[k], max, k == 0 ? "小时" : "日");
            if (u > 0) {
                int less = limit_get(&cat->limits[u - 1], k);
                if (v > less)
                    return err_set(e, RC_INVALID, field, "%s的%s（%d）不能长于%s（%d 个工作%s）",
                                   urgency_labels[u], limit_labels[k], v, urgency_labels[u - 1],
                                   less, k == 0 ? "小时" : "日");
            }
        }
    return RC_OK;
}

/* Lays the given members of ch over cat (strings borrowed from ch). */
static void apply_change(struct category *cat, const struct category_change *ch)
{
    if (ch->name)
        cat->name = ch->name;
    if (ch->kind)
        cat->kind = ch->kind;
    if (ch->has_parent)
        cat->parent = ch->parent;
    if (ch->has_sort)
        cat->sort = ch->sort;
    if (ch->has_active)
        cat->active = ch->active;
    for (int u = 0; u < CATEGORY_N_URGENCY; u++)
        for (int k = 0; k < 3; k++)
            if (ch->limits[u][k] >= 0)
                *limit_slot(&cat->limits[u], k) = ch->limits[u][k];
}

/* Depth of code in all (1 at the top); 0 when the chain is broken or too long. */
static int depth_of(const struct category *all, size_t n, const char *code)
{
    const struct category *cat = find(all, n, code);
    for (int d = 1; cat && d <= CATEGORY_MAX_DEPTH + 1; d++) {
        if (!cat->parent)
            return d;
        cat = find(all, n, cat->parent);
    }
    return 0;
}

/* Levels of the subtree under code, itself included. */
static int height_of(const struct category *all, size_t n, const char *code, int guard)
{
    int h = 1;
    for (size_t i = 0; guard < CATEGORY_MAX_DEPTH + 2 && i < n; i++)
        if (all[i].parent && strcmp(all[i].parent, code) == 0) {
            int sub = 1 + height_of(all, n, all[i].code, guard + 1);
            h = sub > h ? sub : h;
        }
    return h;
}

/* Checks that code may hang under parent: it exists, no cycle, not too deep. */
static enum rc check_parent(const struct category *all, size_t n, const char *code,
                            const char *parent, struct err *e)
{
    if (!parent)
        return RC_OK;
    if (!find(all, n, parent))
        return err_set(e, RC_INVALID, "parent", "上级类别 %s 不存在", parent);
    const struct category *p = find(all, n, parent);
    for (int d = 0; p && d <= CATEGORY_MAX_DEPTH; d++, p = find(all, n, p->parent))
        if (strcmp(p->code, code) == 0)
            return err_set(e, RC_INVALID, "parent", "不能把类别 %s 移到它自己或其下级类别之下",
                           code);
    int depth = depth_of(all, n, parent) + (find(all, n, code) ? height_of(all, n, code, 0) : 1);
    if (depth_of(all, n, parent) == 0 || depth > CATEGORY_MAX_DEPTH)
        return err_set(e, RC_INVALID, "parent", "类别层级不能超过 %d 级", CATEGORY_MAX_DEPTH);
    return RC_OK;
}

static void bind_values(struct stmt *st, int first, const struct category *cat,
                        const struct audit_actor *who, int64_t now)
{
    int i = first;
    store_bind_text(st, i++, cat->name);
    store_bind_text(st, i++, cat->parent);
    store_bind_text(st, i++, cat->kind);
    store_bind_int(st, i++, cat->sort);
    store_bind_int(st, i++, cat->active);
    for (int u = 0; u < CATEGORY_N_URGENCY; u++) {
        store_bind_int(st, i++, cat->limits[u].sign_hours);
        store_bind_int(st, i++, cat->limits[u].reply_days);
        store_bind_int(st, i++, cat->limits[u].rectify_days);
    }
    store_bind_int(st, i++, now);
    store_bind_text(st, i, who->name);
}

enum rc category_create(struct conn *c, const struct audit_actor *who,
                        const struct category_change *ch, struct err *e)
{
    assert(c && who && ch);
    enum rc rc = check_code(ch->code, e);
    if (rc)
        return rc;
    if (!ch->name)
        return err_set(e, RC_INVALID, "name", "请填写类别名称");
    struct pool pool;
    struct category *all = NULL, cat = {.code = ch->code, .kind = "topic", .active = true};
    size_t n = 0;
    struct stmt *st = NULL;
    json_t *after = NULL;
    pool_init(&pool);
    if ((rc = store_begin(c, e)) || (rc = read_all(c, &pool, &all, &n, e)))
        goto out;
    const char *parent = ch->has_parent ? ch->parent : NULL;
    const struct category *p = find(all, n, parent);
    if (parent && !p) {
        rc = err_set(e, RC_INVALID, "parent", "上级类别 %s 不存在", parent);
        goto out;
    }
    if (p)
        memcpy(cat.limits, p->limits, sizeof(cat.limits));
    else
        for (int u = 0; u < CATEGORY_N_URGENCY; u++)
            for (int k = 0; k < 3; k++)
                if (ch->limits[u][k] < 0) {
                    rc = err_set(e, RC_INVALID, "limits",
                                 "顶级类别须给出一般、紧急、特急三档的全部时限");
                    goto out;
                }
    apply_change(&cat, ch);
    if ((rc = check_values(&cat, e)) || (rc = check_parent(all, n, cat.code, cat.parent, e)))
        goto out;
    if (find(all, n, cat.code)) {
        rc = err_set(e, RC_EXISTS, "code", "类别代码 %s 已存在", cat.code);
        goto out;
    }
    int64_t now = time_now_ms();
    rc = store_prepare(c,
                       "INSERT INTO categories (code, name, parent_code, kind, sort, active, "
                       "normal_sign_hours, normal_reply_days, normal_rectify_days, "
                       "urgent_sign_hours, urgent_reply_days, urgent_rectify_days, "
                       "critical_sign_hours, critical_reply_days, critical_rectify_days, "
                       "updated_at, updated_by, created_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       &st, e);
    if (rc)
        goto out;
    store_bind_text(st, 1, cat.code);
    bind_values(st, 2, &cat, who, now);
    store_bind_int(st, 18, now);
    rc = store_run(st, e);
    store_finish(st);
    if (rc == RC_EXISTS)
        rc = err_set(e, RC_EXISTS, "code", "类别代码 %s 已存在", cat.code);
    if (rc)
        goto out;
    after = category_json(&cat);
    struct audit_event ev = {"category.create", "category", cat.code, NULL, after};
    if ((rc = audit_append(c, who, &ev, NULL, e)) == RC_OK &&
        (rc = store_notify(c, STORE_TOPIC_CATEGORY, e)) == RC_OK)
        rc = store_commit(c, e);
out:
    if (store_in_txn(c))
        store_rollback(c);
    json_decref(after);
    pool_clear(&pool);
    return rc;
}

enum rc category_update(struct conn *c, const struct audit_actor *who, const char *code,
                        const struct category_change *ch, bool *changed, struct err *e)
{
    assert(c && who && ch);
    struct pool pool;
    struct category *all = NULL, cat;
    size_t n = 0;
    struct stmt *st = NULL;
    json_t *before = NULL, *after = NULL;
    if (changed)
        *changed = false;
    pool_init(&pool);
    enum rc rc = store_begin(c, e);
    if (rc == RC_OK)
        rc = read_all(c, &pool, &all, &n, e);
    if (rc)
        goto out;
    const struct category *old = find(all, n, code);
    if (!old) {
        rc = err_set(e, RC_NOTFOUND, NULL, "诉求类别 %s 不存在", code ? code : "");
        goto out;
    }
    cat = *old;
    apply_change(&cat, ch);
    if ((rc = check_values(&cat, e)))
        goto out;
    if (ch->has_parent && (rc = check_parent(all, n, cat.code, cat.parent, e)))
        goto out;
    before = category_json(old);
    after = category_json(&cat);
    if (json_equal(before, after))
        goto out; /* nothing to write */
    rc = store_prepare(c,
                       "UPDATE categories SET name = ?, parent_code = ?, kind = ?, sort = ?, "
                       "active = ?, normal_sign_hours = ?, normal_reply_days = ?, "
                       "normal_rectify_days = ?, urgent_sign_hours = ?, urgent_reply_days = ?, "
                       "urgent_rectify_days = ?, critical_sign_hours = ?, critical_reply_days = ?, "
                       "critical_rectify_days = ?, updated_at = ?, updated_by = ? WHERE code = ?",
                       &st, e);
    if (rc)
        goto out;
    bind_values(st, 1, &cat, who, time_now_ms());
    store_bind_text(st, 17, cat.code);
    rc = store_run(st, e);
    store_finish(st);
    if (rc)
        goto out;
    struct audit_event ev = {"category.update", "category", cat.code, before, after};
    if ((rc = audit_append(c, who, &ev, NULL, e)) == RC_OK &&
        (rc = store_notify(c, STORE_TOPIC_CATEGORY, e)) == RC_OK)
        rc = store_commit(c, e);
    if (rc == RC_OK && changed)
        *changed = true;
out:
    if (store_in_txn(c))
        store_rollback(c);
    json_decref(before);
    json_decref(after);
    pool_clear(&pool);
    return rc;
}

/* ======================================================================== */
/* The dispatch catalogue                                                    */
/* ======================================================================== */

static json_t *org_ref(const char *code, const char *name)
{
    return json_pack("{s:s, s:s}", "code", code, "name", name ? name : "");
}

/* Ordering of entries as category_routes_get lists them: longest prefix first. */
static int prefix_order(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return la > lb ? -1 : 1;
    return strcmp(a, b);
}

static enum rc read_routes(struct conn *c, const char *code, json_t **out, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               "SELECT r.region_prefix, r.role, o.code, o.name FROM "
                               "category_routes r JOIN orgs o ON o.id = r.org_id WHERE "
                               "r.category_code = ? ORDER BY length(r.region_prefix) DESC, "
                               "r.region_prefix, r.role DESC, o.code",
                               &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, code);
    json_t *arr = json_array(), *cur = NULL;
    while ((rc = store_step(st, e)) == RC_ROW) {
        const char *prefix = store_text(st, 0) ? store_text(st, 0) : "";
        if (!cur || strcmp(json_string_value(json_object_get(cur, "region_prefix")), prefix)) {
            cur = json_pack("{s:s, s:n, s:[]}", "region_prefix", prefix, "lead", "co");
            json_array_append_new(arr, cur);
        }
        json_t *ref = org_ref(store_text(st, 2), store_text(st, 3));
        if (strcmp(store_text(st, 1), "lead") == 0)
            json_object_set_new(cur, "lead", ref);
        else
            json_array_append_new(json_object_get(cur, "co"), ref);
    }
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return RC_OK;
}

static enum rc exists(struct conn *c, const char *code, struct err *e)
{
    struct pool pool;
    struct category cat;
    pool_init(&pool);
    enum rc rc = category_get(c, code, &pool, &cat, e);
    pool_clear(&pool);
    return rc;
}

enum rc category_routes_get(struct conn *c, const char *code, json_t **out, struct err *e)
{
    enum rc rc = exists(c, code, e);
    return rc ? rc : read_routes(c, code, out, e);
}

static enum rc org_lookup(struct conn *c, const char *code, const char *field, int64_t *id,
                          json_t **ref, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, "SELECT id, name FROM orgs WHERE code = ?", &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, code);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        *id = store_int(st, 0);
        *ref = org_ref(code, store_text(st, 1));
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_INVALID, field, "机构 %s 不存在", code);
    }
    store_finish(st);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Checks the entries without the store. */
static enum rc check_routes(const struct category_route_entry *r, size_t n, struct err *e)
{
    char field[48];
    if (n > CATEGORY_MAX_ROUTES)
        return err_set(e, RC_INVALID, "routes", "派单目录最多 %d 条", CATEGORY_MAX_ROUTES);
    for (size_t i = 0; i < n; i++) {
        const char *p = r[i].region_prefix ? r[i].region_prefix : "";
        size_t len = strlen(p);
        bool digits = len <= CATEGORY_PREFIX_MAX;
        for (size_t k = 0; digits && k < len; k++)
            digits = p[k] >= '0' && p[k] <= '9';
        snprintf(field, sizeof(field), "routes[%zu].region_prefix", i);
        if (!digits)
            return err_set(e, RC_INVALID, field,
                           "区划前缀应为不超过 %d 位的数字（空串表示所有地区）",
                           CATEGORY_PREFIX_MAX);
        for (size_t j = 0; j < i; j++)
            if (strcmp(r[j].region_prefix ? r[j].region_prefix : "", p) == 0)
                return err_set(e, RC_INVALID, field, "区划前缀“%s”重复出现", p);
        snprintf(field, sizeof(field), "routes[%zu].lead", i);
        if (!r[i].lead || !*r[i].lead)
            return err_set(e, RC_INVALID, field, "每条派单目录须指定主办单位");
        if (r[i].n_co > CATEGORY_MAX_CO)
            return err_set(e, RC_INVALID, field, "协办单位最多 %d 个", CATEGORY_MAX_CO);
        for (size_t k = 0; k < r[i].n_co; k++) {
            snprintf(field, sizeof(field), "routes[%zu].co[%zu]", i, k);
            if (!r[i].co[k] || strcmp(r[i].co[k], r[i].lead) == 0)
                return err_set(e, RC_INVALID, field, "协办单位不能与主办单位相同");
            for (size_t j = 0; j < k; j++)
                if (strcmp(r[i].co[j], r[i].co[k]) == 0)
                    return err_set(e, RC_INVALID, field, "协办单位 %s 重复出现", r[i].co[k]);
        }
    }
    return RC_OK;
}

/* Fills order with the indexes of r in the order category_routes_get lists them. */
static void entry_order(const struct category_route_entry *r, size_t n, size_t *order)
{
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        const char *p = r[i].region_prefix ? r[i].region_prefix : "";
        for (; j > 0; j--) {
            const char *q = r[order[j - 1]].region_prefix ? r[order[j - 1]].region_prefix : "";
            if (prefix_order(q, p) <= 0)
                break;
            order[j] = order[j - 1];
        }
        order[j] = i;
    }
}

enum rc category_routes_set(struct conn *c, const struct audit_actor *who, const char *code,
                            const struct category_route_entry *routes, size_t n, bool *changed,
                            struct err *e)
{
    assert(c && who && (routes || n == 0));
    if (changed)
        *changed = false;
    enum rc rc = check_routes(routes, n, e);
    if (rc)
        return rc;
    struct pool pool;
    json_t *before = NULL, *after = json_array();
    int64_t *lead_ids = NULL, (*co_ids)[CATEGORY_MAX_CO] = NULL;
    size_t *order = NULL;
    pool_init(&pool);
    if ((rc = store_begin(c, e)) || (rc = exists(c, code, e)) ||
        (rc = read_routes(c, code, &before, e)))
        goto out;
    lead_ids = pool_alloc(&pool, (n + 1) * sizeof(*lead_ids));
    co_ids = pool_alloc(&pool, (n + 1) * sizeof(*co_ids));
    order = pool_alloc(&pool, (n + 1) * sizeof(*order));
    entry_order(routes, n, order);
    for (size_t oi = 0; oi < n && rc == RC_OK; oi++) {
        size_t i = order[oi];
        const struct category_route_entry *r = &routes[i];
        char field[48];
        json_t *lead = NULL, *co = json_array();
        snprintf(field, sizeof(field), "routes[%zu].lead", i);
        rc = org_lookup(c, r->lead, field, &lead_ids[i], &lead, e);
        const char **sorted = pool_alloc(&pool, (r->n_co + 1) * sizeof(*sorted));
        memcpy(sorted, r->co, r->n_co * sizeof(*sorted));
        qsort(sorted, r->n_co, sizeof(*sorted), cmp_str);
        for (size_t k = 0; k < r->n_co && rc == RC_OK; k++) {
            json_t *ref = NULL;
            size_t orig = 0;
            while (orig < r->n_co && strcmp(r->co[orig], sorted[k]) != 0)
                orig++;
            snprintf(field, sizeof(field), "routes[%zu].co[%zu]", i, orig);
            rc = org_lookup(c, sorted[k], field, &co_ids[i][k], &ref, e);
            if (rc == RC_OK)
                json_array_append_new(co, ref);
        }
        if (rc == RC_OK)
            json_array_append_new(after, json_pack("{s:s, s:o, s:o}", "region_prefix",
                                                   r->region_prefix ? r->region_prefix : "", "lead",
                                                   lead, "co", co));
        else {
            json_decref(lead);
            json_decref(co);
        }
    }
    if (rc)
        goto out;
    if (json_equal(before, after))
        goto out; /* already so: nothing to write */
    struct stmt *st;
    rc = store_prepare(c, "DELETE FROM category_routes WHERE category_code = ?", &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, code);
        rc = store_run(st, e);
        store_finish(st);
    }
    for (size_t i = 0; i < n && rc == RC_OK; i++)
        for (size_t k = 0; k <= routes[i].n_co && rc == RC_OK; k++) {
            rc = store_prepare(c,
                               "INSERT INTO category_routes (category_code, region_prefix, "
                               "org_id, role) VALUES (?, ?, ?, ?)",
                               &st, e);
            if (rc)
                break;
            store_bind_text(st, 1, code);
            store_bind_text(st, 2, routes[i].region_prefix ? routes[i].region_prefix : "");
            store_bind_int(st, 3, k == 0 ? lead_ids[i] : co_ids[i][k - 1]);
            store_bind_text(st, 4, k == 0 ? "lead" : "co");
            rc = store_run(st, e);
            store_finish(st);
        }
    if (rc)
        goto out;
    json_t *b = json_pack("{s:O}", "routes", before), *a = json_pack("{s:O}", "routes", after);
    struct audit_event ev = {"category.routes.set", "category", code, b, a};
    rc = audit_append(c, who, &ev, NULL, e);
    json_decref(b);
    json_decref(a);
    if (rc == RC_OK)
        rc = store_notify(c, STORE_TOPIC_CATEGORY, e);
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (rc == RC_OK && changed)
        *changed = true;
out:
    if (store_in_txn(c))
        store_rollback(c);
    json_decref(before);
    json_decref(after);
    pool_clear(&pool);
    return rc;
}

/* The parent of code into out ("" at the top). RC_NOTFOUND if code is unknown. */
static enum rc parent_of(struct conn *c, const char *code, char *out, size_t n, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, "SELECT parent_code FROM categories WHERE code = ?", &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, code);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        snprintf(out, n, "%s", store_text(st, 0) ? store_text(st, 0) : "");
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_NOTFOUND, "category", "诉求类别 %s 不存在", code);
    }
    store_finish(st);
    return rc;
}

enum rc category_route(struct conn *c, const char *code, const char *region,
                       struct category_route *out, struct err *e)
{
    assert(c && out);
    memset(out, 0, sizeof(*out));
    char cur[CATEGORY_CODE_MAX + 1], parent[CATEGORY_CODE_MAX + 1];
    if (!code || strlen(code) > CATEGORY_CODE_MAX)
        return err_set(e, RC_NOTFOUND, "category", "诉求类别 %s 不存在", code ? code : "");
    snprintf(cur, sizeof(cur), "%s", code);
    enum rc rc = RC_OK;
    for (int depth = 0; depth < CATEGORY_MAX_DEPTH && cur[0]; depth++) {
        if ((rc = parent_of(c, cur, parent, sizeof(parent), e)))
            return rc;
        struct stmt *st;
        rc = store_prepare(c,
                           "SELECT r.region_prefix, r.org_id, r.role FROM category_routes r JOIN "
                           "orgs o ON o.id = r.org_id WHERE r.category_code = ? AND "
                           "substr(CAST(? AS TEXT), 1, length(r.region_prefix)) = r.region_prefix "
                           "ORDER BY length(r.region_prefix) DESC, r.role DESC, o.code",
                           &st, e);
        if (rc)
            return rc;
        store_bind_text(st, 1, cur);
        store_bind_text(st, 2, region ? region : "");
        while ((rc = store_step(st, e)) == RC_ROW) {
            const char *prefix = store_text(st, 0) ? store_text(st, 0) : "";
            if (out->lead && strcmp(prefix, out->region_prefix) != 0)
                break; /* a shorter prefix: the longest one has been read */
            if (strcmp(store_text(st, 2), "lead") == 0) {
                out->lead = store_int(st, 1);
                snprintf(out->region_prefix, sizeof(out->region_prefix), "%s", prefix);
            } else if (out->lead && out->n_co < CATEGORY_MAX_CO) {
                out->co[out->n_co++] = store_int(st, 1);
            }
        }
        store_finish(st);
        if (rc != RC_ROW && rc != RC_DONE)
            return rc;
        if (out->lead) {
            snprintf(out->category, sizeof(out->category), "%s", cur);
            return RC_OK;
        }
        snprintf(cur, sizeof(cur), "%s", parent);
    }
    return RC_OK;
}
