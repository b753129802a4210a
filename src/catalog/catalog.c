/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog: the writes — an ITEM file into the tree and versions, new and edited drafts,
 * bundles — and the small shared helpers (dates, who sees drafts).
 */
#include <stdio.h>
#include <string.h>

#include "../access/access.h"
#include "../audit/audit.h"
#include "../base/jsonx.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../flow/flow.h"
#include "../store/store.h"
#include "catalog.h"
#include "catalog_int.h"
#include "catalog_search.h"

/* ---- helpers -------------------------------------------------------------------------- */

int64_t catalog__today(void)
{
    char now[40];
    time_fmt_cst(time_now_ms(), now, sizeof(now));
    int y = 1970, m = 1, d = 1;
    if (sscanf(now, "%d-%d-%d", &y, &m, &d) != 3)
        return 0;
    return time_days_from_civil(y, m, d);
}

void catalog__day_fmt(int64_t day, char out[11])
{
    int y, m, d;
    time_civil_from_days(day, &y, &m, &d);
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u);
}

int64_t catalog__day_parse(const char *s)
{
    int y, m, d;
    if (!s || sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3)
        return -1;
    return time_days_from_civil(y, m, d);
}

bool catalog__editor(const struct principal *p)
{
    return access_can(p, ACCESS_CATALOG_WRITE) || access_can(p, ACCESS_CATALOG_REVIEW);
}

/* Binds a JSON member as canonical text ("[]" when absent). */
static char *canon_or_empty(const json_t *v)
{
    if (!v || json_is_null(v))
        return xstrdup("[]");
    return jsonx_canonical(v);
}

/* ---- the tree ------------------------------------------------------------------------- */

/* Finds a row's id by sql (binding text a, b, c when not NULL); *id 0 when none. */
static enum rc find_id(struct conn *c, const char *sql, int64_t k, const char *a, const char *b,
                       int64_t *id, struct err *e)
{
    struct stmt *st;
    *id = 0;
    enum rc rc = store_prepare(c, sql, &st, e);
    if (rc)
        return rc;
    int i = 1;
    if (k)
        store_bind_int(st, i++, k);
    if (a)
        store_bind_text(st, i++, a);
    if (b)
        store_bind_text(st, i++, b);
    rc = store_step(st, e);
    if (rc == RC_ROW)
        *id = store_int(st, 0);
    store_finish(st);
    return rc == RC_ROW || rc == RC_DONE ? RC_OK : rc;
}

/* The item's own columns as an audit image. */
static json_t *item_image(const char *name, const char *type, const char *dept, const char *basis,
                          const char *aliases, const char *stages)
{
    json_t *j = json_pack("{s:s, s:s, s:s}", "name", name, "type", type, "competent_dept", dept);
    const char *keys[] = {"basis", "aliases", "life_stages"};
    const char *vals[] = {basis, aliases, stages};
    for (int i = 0; i < 3; i++) {
        json_t *v = NULL;
        if (jsonx_parse(vals[i], strlen(vals[i]), 64, &v, NULL) == RC_OK)
            json_object_set_new(j, keys[i], v);
    }
    return j;
}

/* Inserts the item or updates its columns when they changed (audited: catalog_item.create,
 * catalog_item.update); an unchanged item writes nothing. */
static enum rc put_item(struct conn *c, const struct principal *p, const json_t *it, int64_t now,
                        int64_t *id, struct err *e)
{
    const char *code = json_string_value(json_object_get(it, "basic_code"));
    const char *name = json_string_value(json_object_get(it, "name"));
    const char *type = json_string_value(json_object_get(it, "type"));
    const char *dept = json_string_value(json_object_get(it, "competent_dept"));
    char *basis = canon_or_empty(json_object_get(it, "basis"));
    char *aliases = canon_or_empty(json_object_get(it, "aliases"));
    char *stages = canon_or_empty(json_object_get(it, "life_stages"));
    json_t *before = NULL;
    struct stmt *st;
    *id = 0;
    enum rc rc = store_prepare(c,
                               "SELECT id, name, type, competent_dept, basis, aliases, life_stages "
                               "FROM catalog_items WHERE basic_code = ?",
                               &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, code);
        rc = store_step(st, e);
        if (rc == RC_ROW) {
            *id = store_int(st, 0);
            if (strcmp(store_text(st, 1), name) != 0 || strcmp(store_text(st, 2), type) != 0 ||
                strcmp(store_text(st, 3), dept) != 0 || strcmp(store_text(st, 4), basis) != 0 ||
                strcmp(store_text(st, 5), aliases) != 0 || strcmp(store_text(st, 6), stages) != 0)
                before = item_image(store_text(st, 1), store_text(st, 2), store_text(st, 3),
                                    store_text(st, 4), store_text(st, 5), store_text(st, 6));
        }
        rc = rc == RC_ROW || rc == RC_DONE ? RC_OK : rc;
    }
    store_finish(st);
    if (rc || (*id && !before))
        goto out;
    if (*id)
        rc = store_prepare(c,
                           "UPDATE catalog_items SET name = ?, type = ?, competent_dept = ?, "
                           "basis = ?, aliases = ?, life_stages = ? WHERE id = ?",
                           &st, e);
    else
        rc = store_prepare(c,
                           "INSERT INTO catalog_items (name, type, competent_dept, basis, "
                           "aliases, life_stages, basic_code, created_at) VALUES "
                           "(?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                           &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, name);
        store_bind_text(st, 2, type);
        store_bind_text(st, 3, dept);
        store_bind_text(st, 4, basis);
        store_bind_text(st, 5, aliases);
        store_bind_text(st, 6, stages);
        if (*id) {
            store_bind_int(st, 7, *id);
            rc = store_run(st, e);
        } else {
            store_bind_text(st, 7, code);
            store_bind_int(st, 8, now);
            rc = store_insert_id(st, id, e);
        }
        store_finish(st);
    }
    if (rc == RC_OK) {
        json_t *after = item_image(name, type, dept, basis, aliases, stages);
        struct audit_event ev = {before ? "catalog_item.update" : "catalog_item.create",
                                 "catalog_item", code, before, after};
        rc = audit_append(c, &p->actor, &ev, NULL, e);
        json_decref(after);
    }
    /* Its published impls carry its name, aliases and department in the search index. */
    if (rc == RC_OK && before)
        rc = catalog_search_reindex_item(c, code, now, e);
out:
    json_decref(before);
    xfree(basis);
    xfree(aliases);
    xfree(stages);
    return rc;
}

/* Inserts or renames a subitem or a task. */
static enum rc put_node(struct conn *c, bool task, int64_t parent, const json_t *j, int64_t *id,
                        struct err *e)
{
    const char *name = json_string_value(json_object_get(j, "name"));
    enum rc rc;
    if (task)
        rc =
            find_id(c, "SELECT id FROM catalog_tasks WHERE subitem_id = ? AND kind = ? AND seq = ?",
                    parent, json_string_value(json_object_get(j, "kind")),
                    json_string_value(json_object_get(j, "seq")), id, e);
    else
        rc = find_id(c, "SELECT id FROM catalog_subitems WHERE item_id = ? AND code = ?", parent,
                     json_string_value(json_object_get(j, "code")), NULL, id, e);
    if (rc)
        return rc;
    struct stmt *st;
    if (*id) {
        rc = store_prepare(c,
                           task ? "UPDATE catalog_tasks SET name = ? WHERE id = ?"
                                : "UPDATE catalog_subitems SET name = ? WHERE id = ?",
                           &st, e);
        if (rc == RC_OK) {
            store_bind_text(st, 1, name);
            store_bind_int(st, 2, *id);
            rc = store_run(st, e);
        }
    } else if (task) {
        rc = store_prepare(c,
                           "INSERT INTO catalog_tasks (subitem_id, kind, seq, name) VALUES "
                           "(?, ?, ?, ?) RETURNING id",
                           &st, e);
        if (rc == RC_OK) {
            store_bind_int(st, 1, parent);
            store_bind_text(st, 2, json_string_value(json_object_get(j, "kind")));
            store_bind_text(st, 3, json_string_value(json_object_get(j, "seq")));
            store_bind_text(st, 4, name);
            rc = store_insert_id(st, id, e);
        }
    } else {
        rc = store_prepare(c,
                           "INSERT INTO catalog_subitems (item_id, code, name) VALUES (?, ?, ?) "
                           "RETURNING id",
                           &st, e);
        if (rc == RC_OK) {
            store_bind_int(st, 1, parent);
            store_bind_text(st, 2, json_string_value(json_object_get(j, "code")));
            store_bind_text(st, 3, name);
            rc = store_insert_id(st, id, e);
        }
    }
    store_finish(st);
    return rc;
}

static enum rc put_impl(struct conn *c, int64_t task_id, const char *impl_code, const json_t *im,
                        int64_t *id, bool *created, struct err *e)
{
    enum rc rc =
        find_id(c, "SELECT id FROM catalog_impls WHERE impl_code = ?", 0, impl_code, NULL, id, e);
    if (rc)
        return rc;
    const char *agency = json_string_value(json_object_get(im, "agency_name"));
    int64_t org = 0;
    rc = find_id(c, "SELECT MIN(id) FROM orgs WHERE name = ?", 0, agency, NULL, &org, e);
    if (rc)
        return rc;
    struct stmt *st;
    *created = *id == 0;
    if (*id)
        rc = store_prepare(c, "UPDATE catalog_impls SET agency_name = ?, org_id = ? WHERE id = ?",
                           &st, e);
    else
        rc = store_prepare(c,
                           "INSERT INTO catalog_impls (agency_name, org_id, task_id, impl_code, "
                           "region, agency_uscc) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                           &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, agency);
    if (org)
        store_bind_int(st, 2, org);
    else
        store_bind_null(st, 2);
    if (*id) {
        store_bind_int(st, 3, *id);
        rc = store_run(st, e);
    } else {
        store_bind_int(st, 3, task_id);
        store_bind_text(st, 4, impl_code);
        store_bind_text(st, 5, json_string_value(json_object_get(im, "region")));
        store_bind_text(st, 6, json_string_value(json_object_get(im, "agency_uscc")));
        rc = store_insert_id(st, id, e);
    }
    store_finish(st);
    return rc;
}

/* ---- versions --------------------------------------------------------------------------- */

/* The newest version of impl_id: *v 0 when none; *state, *doc (new, xfree) and the published
 * doc (new or NULL). */
struct newest {
    int version;
    int state;
    int64_t id;
    char *doc;
    char *published;
};

static void newest_cleanup(struct newest *n)
{
    xfree(n->doc);
    xfree(n->published);
    memset(n, 0, sizeof(*n));
}

static enum rc newest_of(struct conn *c, int64_t impl_id, struct newest *n, struct err *e)
{
    memset(n, 0, sizeof(*n));
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               "SELECT v.id, v.version, v.state, v.doc, "
                               "(SELECT p.doc FROM catalog_versions p JOIN catalog_impls m ON "
                               "m.published_version_id = p.id WHERE m.id = v.impl_id) "
                               "FROM catalog_versions v WHERE v.impl_id = ? "
                               "ORDER BY v.version DESC LIMIT 1",
                               &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, impl_id);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        n->id = store_int(st, 0);
        n->version = (int)store_int(st, 1);
        n->state = flow_state_parse(&catalog_version_flow, store_text(st, 2));
        n->doc = xstrdup(store_text(st, 3));
        n->published = store_isnull(st, 4) ? NULL : xstrdup(store_text(st, 4));
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = RC_OK;
    }
    store_finish(st);
    return rc;
}

static enum rc impl_exists(struct conn *c, int64_t impl_id, struct err *e)
{
    int64_t id = 0;
    enum rc rc =
        find_id(c, "SELECT id FROM catalog_impls WHERE id = ?", impl_id, NULL, NULL, &id, e);
    if (rc == RC_OK && !id)
        rc = err_set(e, RC_NOTFOUND, NULL, "办事指南不存在");
    return rc;
}

/* Binds the day "YYYY-MM-DD" (as a day number) at i, or NULL when day is NULL. */
static void bind_day(struct stmt *st, int i, const char *day)
{
    if (day)
        store_bind_int(st, i, catalog__day_parse(day));
    else
        store_bind_null(st, i);
}

/* Inserts version (newest + 1) of impl_id holding doc (canonical text), recorded as created.
 * In the caller's transaction. */
static enum rc insert_version(struct conn *c, const struct principal *p, int64_t impl_id,
                              int version, const json_t *guide, int64_t now, struct err *e)
{
    char *doc = jsonx_canonical(guide);
    char *lint = catalog__lint_text(guide, NULL);
    const char *from = json_string_value(json_object_get(guide, "effective_from"));
    const char *to = json_string_value(json_object_get(guide, "effective_to"));
    struct stmt *st;
    int64_t id = 0;
    enum rc rc = store_prepare(c,
                               "INSERT INTO catalog_versions (impl_id, version, state, "
                               "effective_from, effective_to, doc, lint, created_by, created_at) "
                               "VALUES (?, ?, 'draft', ?, ?, ?, ?, ?, ?) RETURNING id",
                               &st, e);
    if (rc == RC_OK) {
        store_bind_int(st, 1, impl_id);
        store_bind_int(st, 2, version);
        bind_day(st, 3, from);
        bind_day(st, 4, to);
        store_bind_text(st, 5, doc);
        store_bind_text(st, 6, lint);
        store_bind_text(st, 7, p->actor.name);
        store_bind_int(st, 8, now);
        rc = store_insert_id(st, &id, e);
    }
    store_finish(st);
    xfree(doc);
    xfree(lint);
    json_t *after = json_pack("{s:s, s:I, s:i}", "state", "draft", "impl_id", (json_int_t)impl_id,
                              "version", version);
    if (rc == RC_OK)
        rc = flow_created(c, p, &catalog_version_flow, id, "create", CV_DRAFT, now, after, e);
    json_decref(after);
    return rc;
}

enum rc catalog_version_new(struct conn *c, const struct principal *p,
                            const struct ent_catalog *ent, int64_t impl_id, const json_t *guide,
                            int64_t now, int *version_out, struct err *e)
{
    if (guide) {
        enum rc rc = catalog_guide_check(guide, ent, e);
        if (rc) {
            err_prefix_field(e, "guide");
            return rc;
        }
    }
    struct newest n;
    json_t *copy = NULL;
    enum rc rc = store_begin(c, e);
    if (rc)
        return rc;
    rc = impl_exists(c, impl_id, e);
    if (rc == RC_OK)
        rc = newest_of(c, impl_id, &n, e);
    if (rc)
        goto out_rollback;
    if (n.version && (n.state == CV_DRAFT || n.state == CV_REVIEW)) {
        rc = err_set(e, RC_STATE, NULL, "第 %d 版尚在%s，请先处理该版本", n.version,
                     n.state == CV_DRAFT ? "草稿状态" : "审核中");
        newest_cleanup(&n);
        goto out_rollback;
    }
    if (!guide) {
        const char *src = n.published ? n.published : n.doc;
        if (!src) {
            newest_cleanup(&n);
            rc = err_set(e, RC_INVALID, "guide", "guide: 该事项还没有任何版本，请提供办事指南");
            goto out_rollback;
        }
        rc = jsonx_parse(src, strlen(src), 64, &copy, e);
    }
    if (rc == RC_OK)
        rc = insert_version(c, p, impl_id, n.version + 1, guide ? guide : copy, now, e);
    if (rc == RC_OK)
        *version_out = n.version + 1;
    newest_cleanup(&n);
    json_decref(copy);
    if (rc)
        goto out_rollback;
    return store_commit(c, e);
out_rollback:
    store_rollback(c);
    return rc;
}

enum rc catalog_version_id(struct conn *c, int64_t impl_id, int v, int64_t *out, struct err *e)
{
    struct stmt *st;
    *out = 0;
    enum rc rc = store_prepare(
        c, "SELECT id FROM catalog_versions WHERE impl_id = ? AND version = ?", &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, impl_id);
    store_bind_int(st, 2, v);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        *out = store_int(st, 0);
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_NOTFOUND, NULL, "办事指南第 %d 版不存在", v);
    }
    store_finish(st);
    return rc;
}

enum rc catalog_version_edit(struct conn *c, const struct principal *p,
                             const struct ent_catalog *ent, int64_t impl_id, int v,
                             const json_t *guide, int64_t now, struct err *e)
{
    enum rc rc = catalog_guide_check(guide, ent, e);
    if (rc) {
        err_prefix_field(e, "guide");
        return rc;
    }
    if ((rc = store_begin(c, e)))
        return rc;
    struct stmt *st;
    int64_t id = 0;
    char state[16] = "";
    rc = store_prepare(
        c, "SELECT id, state FROM catalog_versions WHERE impl_id = ? AND version = ?", &st, e);
    if (rc == RC_OK) {
        store_bind_int(st, 1, impl_id);
        store_bind_int(st, 2, v);
        rc = store_step(st, e);
        if (rc == RC_ROW) {
            id = store_int(st, 0);
            snprintf(state, sizeof(state), "%s", store_text(st, 1));
            rc = RC_OK;
        } else if (rc == RC_DONE) {
            rc = err_set(e, RC_NOTFOUND, NULL, "办事指南版本不存在");
        }
    }
    store_finish(st);
    if (rc == RC_OK && strcmp(state, "draft") != 0)
        rc = err_set(e, RC_STATE, NULL, "第 %d 版当前状态为“%s”，只有草稿可以修改", v,
                     flow_state_label(&catalog_version_flow,
                                      flow_state_parse(&catalog_version_flow, state)));
    char *doc = jsonx_canonical(guide);
    char *lint = catalog__lint_text(guide, NULL);
    const char *from = json_string_value(json_object_get(guide, "effective_from"));
    const char *to = json_string_value(json_object_get(guide, "effective_to"));
    if (rc == RC_OK)
        rc = store_prepare(c,
                           "UPDATE catalog_versions SET doc = ?, lint = ?, effective_from = ?, "
                           "effective_to = ?, row_version = row_version + 1 WHERE id = ?",
                           &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, doc);
        store_bind_text(st, 2, lint);
        bind_day(st, 3, from);
        bind_day(st, 4, to);
        store_bind_int(st, 5, id);
        rc = store_run(st, e);
        store_finish(st);
    }
    xfree(doc);
    xfree(lint);
    if (rc == RC_OK) {
        json_t *img = json_pack("{s:s, s:I, s:i}", "state", "draft", "impl_id", (json_int_t)impl_id,
                                "version", v);
        struct flow_event ev = {
            catalog_version_flow.entity, id, now, "edit", "draft", "draft", NULL, false, NULL};
        rc = flow_record(c, p, &ev, "catalog_version.edit", img, img, e);
        json_decref(img);
    }
    if (rc) {
        store_rollback(c);
        return rc;
    }
    return store_commit(c, e);
}

/* Runs action on version id through the flow. */
static enum rc act(struct conn *c, const struct principal *p, int64_t id, const char *action,
                   const char *note, int64_t now, struct err *e)
{
    json_t *params = json_pack("{s:s}", "action", action);
    if (note)
        json_object_set_new(params, "note", json_string(note));
    enum rc rc = flow_act(&catalog_version_flow, c, p, NULL, id, params, now, e);
    json_decref(params);
    return rc;
}

/* One impl's guide of a file: publish it (load) or keep it as a draft (POST). */
static enum rc put_guide(struct conn *c, const struct principal *p, const struct ent_catalog *ent,
                         int64_t impl_id, const json_t *guide, bool publish, int64_t now,
                         struct catalog_put_report *r, struct err *e)
{
    struct newest n;
    enum rc rc = newest_of(c, impl_id, &n, e);
    if (rc)
        return rc;
    char *doc = jsonx_canonical(guide);
    bool same_newest = n.doc && strcmp(n.doc, doc) == 0;
    bool same_published = n.published && strcmp(n.published, doc) == 0;
    xfree(doc);
    if (publish && same_published) {
        r->unchanged++;
        goto out;
    }
    if (!publish && same_newest) {
        r->unchanged++;
        goto out;
    }
    if (publish) {
        /* A guide the lint refuses is refused before anything is written. */
        json_t *l = catalog_lint(guide);
        if (!json_is_true(json_object_get(l, "ok"))) {
            json_t *f = NULL;
            size_t i;
            json_array_foreach(json_object_get(l, "findings"), i, f)
            {
                if (strcmp(json_string_value(json_object_get(f, "severity")), "error") == 0)
                    break;
            }
            rc = err_set(e, RC_INVALID, json_string_value(json_object_get(f, "path")),
                         "%s: %s [%s]", json_string_value(json_object_get(f, "path")),
                         json_string_value(json_object_get(f, "message")),
                         json_string_value(json_object_get(f, "rule")));
            err_prefix_field(e, "guide");
        }
        json_decref(l);
        if (rc)
            goto out;
    }
    if (n.version && n.state == CV_REVIEW) {
        if (!publish) {
            rc = err_set(e, RC_STATE, NULL, "第 %d 版正在审核中，不能修改", n.version);
            goto out;
        }
        if (!same_newest)
            rc = act(c, p, n.id, "reject", "由事项文件的新内容替换", now, e);
        else
            goto approve;
    }
    if (rc == RC_OK && n.version && (n.state == CV_DRAFT || n.state == CV_REVIEW))
        rc = same_newest ? RC_OK
                         : catalog_version_edit(c, p, ent, impl_id, n.version, guide, now, e);
    else if (rc == RC_OK) {
        int v;
        rc = catalog_version_new(c, p, ent, impl_id, guide, now, &v, e);
        n.version = v;
        if (rc == RC_OK)
            rc = catalog_version_id(c, impl_id, v, &n.id, e);
    }
    if (rc || !publish) {
        if (rc == RC_OK)
            r->drafts++;
        goto out;
    }
    rc = act(c, p, n.id, "submit", NULL, now, e);
    if (rc)
        goto out;
approve:
    rc = act(c, p, n.id, "approve", NULL, now, e);
    if (rc == RC_OK)
        r->published++;
out:
    newest_cleanup(&n);
    return rc;
}

enum rc catalog_item_put(struct conn *c, const struct principal *p, const struct ent_catalog *ent,
                         const json_t *it, bool publish, int64_t now, struct catalog_put_report *r,
                         struct err *e)
{
    memset(r, 0, sizeof(*r));
    r->ids = json_array();
    enum rc rc = catalog_item_check(it, ent, e);
    if (rc)
        return rc;
    const char *basic = json_string_value(json_object_get(it, "basic_code"));
    /* The tree in one transaction. */
    if ((rc = store_begin(c, e)))
        return rc;
    int64_t item_id = 0;
    rc = put_item(c, p, it, now, &item_id, e);
    size_t i, j, k;
    json_t *sub, *task, *im;
    json_array_foreach(json_object_get(it, "subitems"), i, sub)
    {
        int64_t sub_id = 0;
        if (rc == RC_OK)
            rc = put_node(c, false, item_id, sub, &sub_id, e);
        json_array_foreach(json_object_get(sub, "tasks"), j, task)
        {
            int64_t task_id = 0;
            if (rc == RC_OK)
                rc = put_node(c, true, sub_id, task, &task_id, e);
            json_array_foreach(json_object_get(task, "impls"), k, im)
            {
                struct catalog_codes parts;
                memset(&parts, 0, sizeof(parts));
                snprintf(parts.basic_code, sizeof(parts.basic_code), "%s", basic);
                snprintf(parts.subitem_code, sizeof(parts.subitem_code), "%s",
                         json_string_value(json_object_get(sub, "code")));
                snprintf(parts.region, sizeof(parts.region), "%s",
                         json_string_value(json_object_get(im, "region")));
                snprintf(parts.agency_uscc, sizeof(parts.agency_uscc), "%s",
                         json_string_value(json_object_get(im, "agency_uscc")));
                snprintf(parts.kind, sizeof(parts.kind), "%s",
                         json_string_value(json_object_get(task, "kind")));
                snprintf(parts.seq, sizeof(parts.seq), "%s",
                         json_string_value(json_object_get(task, "seq")));
                char ic[CATALOG_IMPL_CODE_MAX];
                int64_t impl_id = 0;
                bool created = false;
                if (rc == RC_OK)
                    rc = catalog_impl_code(&parts, ic, e);
                if (rc == RC_OK)
                    rc = put_impl(c, task_id, ic, im, &impl_id, &created, e);
                if (rc == RC_OK) {
                    json_array_append_new(r->ids, json_integer(impl_id));
                    r->impls++;
                    r->created += created;
                }
            }
        }
    }
    if (rc) {
        store_rollback(c);
        return rc;
    }
    if ((rc = store_commit(c, e)))
        return rc;
    /* Each impl's guide: its versions, each step in a transaction of its own. */
    size_t n = 0;
    json_array_foreach(json_object_get(it, "subitems"), i, sub)
    {
        json_array_foreach(json_object_get(sub, "tasks"), j, task)
        {
            json_array_foreach(json_object_get(task, "impls"), k, im)
            {
                int64_t impl_id = json_integer_value(json_array_get(r->ids, n++));
                rc =
                    put_guide(c, p, ent, impl_id, json_object_get(im, "guide"), publish, now, r, e);
                if (rc) {
                    char path[96];
                    snprintf(path, sizeof(path), "subitems[%zu].tasks[%zu].impls[%zu]", i, j, k);
                    err_prefix_field(e, path);
                    return rc;
                }
            }
        }
    }
    return RC_OK;
}

/* ---- bundles ----------------------------------------------------------------------------- */

enum rc catalog_bundle_put(struct conn *c, const struct principal *p, const struct ent_catalog *ent,
                           const json_t *b, int64_t now, bool *changed, struct err *e)
{
    *changed = false;
    enum rc rc = catalog_bundle_check(b, ent, e);
    if (rc)
        return rc;
    if ((rc = store_begin(c, e)))
        return rc;
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(b, "members"), i, m)
    {
        int64_t id = 0;
        const char *code = json_string_value(json_object_get(m, "basic_code"));
        const char *kind = json_string_value(json_object_get(m, "kind"));
        rc = find_id(c,
                     "SELECT t.id FROM catalog_tasks t JOIN catalog_subitems s ON s.id = "
                     "t.subitem_id JOIN catalog_items i ON i.id = s.item_id WHERE i.basic_code = "
                     "? AND t.kind = ?",
                     0, code, kind, &id, e);
        if (rc == RC_OK && !id) {
            char path[64];
            snprintf(path, sizeof(path), "members[%zu].basic_code", i);
            rc = err_set(e, RC_INVALID, path, "%s: 事项目录中没有 %s 的“%s”业务办理项", path, code,
                         kind);
        }
        if (rc)
            goto out;
    }
    const char *code = json_string_value(json_object_get(b, "code"));
    char *doc = jsonx_canonical(b);
    struct stmt *st;
    int64_t id = 0;
    char *old = NULL;
    rc = store_prepare(c, "SELECT id, doc FROM catalog_bundles WHERE code = ?", &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, code);
        rc = store_step(st, e);
        if (rc == RC_ROW) {
            id = store_int(st, 0);
            old = xstrdup(store_text(st, 1));
        }
        rc = rc == RC_ROW || rc == RC_DONE ? RC_OK : rc;
    }
    store_finish(st);
    if (rc == RC_OK && !(old && strcmp(old, doc) == 0)) {
        *changed = true;
        rc = store_prepare(c,
                           id ? "UPDATE catalog_bundles SET name = ?, life_stage = ?, doc = ?, "
                                "state = 'published', updated_at = ? WHERE code = ?"
                              : "INSERT INTO catalog_bundles (name, life_stage, doc, state, "
                                "updated_at, code, created_at) VALUES (?, ?, ?, 'published', ?, "
                                "?, ?) RETURNING id",
                           &st, e);
        if (rc == RC_OK) {
            store_bind_text(st, 1, json_string_value(json_object_get(b, "name")));
            store_bind_text(st, 2, json_string_value(json_object_get(b, "life_stage")));
            store_bind_text(st, 3, doc);
            store_bind_int(st, 4, now);
            store_bind_text(st, 5, code);
            if (id) {
                rc = store_run(st, e);
            } else {
                store_bind_int(st, 6, now);
                rc = store_insert_id(st, &id, e);
            }
        }
        store_finish(st);
        json_t *after = json_pack("{s:s, s:s}", "state", "published", "code", code);
        struct flow_event ev = {"catalog_bundle",
                                id,
                                now,
                                id && old ? "update" : "create",
                                old ? "published" : NULL,
                                "published",
                                NULL,
                                false,
                                NULL};
        if (rc == RC_OK)
            rc = flow_record(c, p, &ev, "catalog_bundle.put", NULL, after, e);
        if (rc == RC_OK)
            rc = catalog_search_reindex_bundle(c, code, b, e);
        json_decref(after);
    }
    xfree(old);
    xfree(doc);
out:
    if (rc) {
        store_rollback(c);
        return rc;
    }
    return store_commit(c, e);
}
