/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog_read: service items as the API and the other parts of issue 18 read them — one
 * item with a version of its guide, the list of published items, the versions, the stored
 * lint and the per-department quality board.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/jsonx.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../flow/flow.h"
#include "../store/store.h"
#include "catalog.h"
#include "catalog_int.h"

static json_t *parse_or_null(const char *s)
{
    json_t *j = NULL;
    if (!s || jsonx_parse(s, strlen(s), 64, &j, NULL))
        return json_null();
    return j;
}

static json_t *day_json(struct stmt *st, int i)
{
    if (store_isnull(st, i))
        return json_null();
    char d[11];
    catalog__day_fmt(store_int(st, i), d);
    return json_string(d);
}

static json_t *time_json(struct stmt *st, int i)
{
    if (store_isnull(st, i))
        return json_null();
    char t[40];
    time_fmt_cst(store_int(st, i), t, sizeof(t));
    return json_string(t);
}

#define IMPL_COLS                                                                                  \
    "m.id, m.impl_code, m.region, m.agency_name, m.agency_uscc, m.org_id, "                        \
    "m.published_version_id, t.kind, t.seq, t.name, s.code, s.name, i.basic_code, i.name, "        \
    "i.type, i.competent_dept, i.basis, i.aliases, i.life_stages "
#define IMPL_FROM                                                                                  \
    "FROM catalog_impls m JOIN catalog_tasks t ON t.id = m.task_id JOIN catalog_subitems s ON "    \
    "s.id = t.subitem_id JOIN catalog_items i ON i.id = s.item_id "

/* The version (published when v is 0) of impl: its row as {id, version, state,
 * effective_from, effective_to, published_at} in *ver and its guide in *guide. */
static enum rc version_of(struct conn *c, int64_t impl_id, int64_t published, int v, bool drafts,
                          json_t **ver, json_t **guide, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               v ? "SELECT id, version, state, effective_from, effective_to, "
                                   "published_at, doc FROM catalog_versions WHERE impl_id = ? AND "
                                   "version = ?"
                                 : "SELECT id, version, state, effective_from, effective_to, "
                                   "published_at, doc FROM catalog_versions WHERE impl_id = ? AND "
                                   "id = ?",
                               &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, impl_id);
    store_bind_int(st, 2, v ? v : published);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        const char *state = store_text(st, 2);
        if (!drafts && strcmp(state, "published") != 0 && strcmp(state, "superseded") != 0) {
            rc = err_set(e, RC_NOTFOUND, NULL, "办事指南第 %d 版不存在或尚未发布", v);
        } else {
            *ver =
                json_pack("{s:I, s:i, s:s, s:s, s:o, s:o, s:o}", "id", (json_int_t)store_int(st, 0),
                          "version", (int)store_int(st, 1), "state", state, "state_label",
                          flow_state_label(&catalog_version_flow,
                                           flow_state_parse(&catalog_version_flow, state)),
                          "effective_from", day_json(st, 3), "effective_to", day_json(st, 4),
                          "published_at", time_json(st, 5));
            /* In force today: published, from effective_from to effective_to. */
            int64_t today = catalog__today();
            bool in_force = strcmp(state, "published") == 0 &&
                            (store_isnull(st, 3) || store_int(st, 3) <= today) &&
                            (store_isnull(st, 4) || store_int(st, 4) >= today);
            json_object_set_new(*ver, "in_force", json_boolean(in_force));
            *guide = parse_or_null(store_text(st, 6));
            rc = RC_OK;
        }
    } else if (rc == RC_DONE) {
        rc = v ? err_set(e, RC_NOTFOUND, NULL, "办事指南第 %d 版不存在", v)
               : err_set(e, RC_NOTFOUND, NULL, "办事指南不存在或尚未发布");
    }
    store_finish(st);
    return rc;
}

enum rc catalog_impl_get(struct conn *c, int64_t impl_id, int version, bool drafts, json_t **out,
                         struct err *e)
{
    *out = NULL;
    struct stmt *st;
    enum rc rc = store_prepare(c, "SELECT " IMPL_COLS IMPL_FROM "WHERE m.id = ?", &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, impl_id);
    rc = store_step(st, e);
    if (rc == RC_DONE)
        rc = err_set(e, RC_NOTFOUND, NULL, "办事指南不存在或尚未发布");
    if (rc != RC_ROW) {
        store_finish(st);
        return rc;
    }
    int64_t published = store_int(st, 6);
    if (!version && !published) {
        store_finish(st);
        return err_set(e, RC_NOTFOUND, NULL, "办事指南不存在或尚未发布");
    }
    json_t *j = json_pack(
        "{s:I, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s, s:s, s:o, s:o, s:o}, "
        "s:{s:s, s:s}, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:o}}",
        "id", (json_int_t)impl_id, "impl_code", store_text(st, 1), "codes", "basic_code",
        store_text(st, 12), "subitem_code", store_text(st, 10), "region", store_text(st, 2),
        "agency_uscc", store_text(st, 4), "kind", store_text(st, 7), "seq", store_text(st, 8),
        "item", "basic_code", store_text(st, 12), "name", store_text(st, 13), "type",
        store_text(st, 14), "competent_dept", store_text(st, 15), "basis",
        parse_or_null(store_text(st, 16)), "aliases", parse_or_null(store_text(st, 17)),
        "life_stages", parse_or_null(store_text(st, 18)), "subitem", "code", store_text(st, 10),
        "name", store_text(st, 11), "task", "kind", store_text(st, 7), "seq", store_text(st, 8),
        "name", store_text(st, 9), "agency", "name", store_text(st, 3), "uscc", store_text(st, 4),
        "org_id", store_isnull(st, 5) ? json_null() : json_integer(store_int(st, 5)));
    store_finish(st);
    json_t *ver = NULL, *guide = NULL;
    rc = version_of(c, impl_id, published, version, drafts, &ver, &guide, e);
    if (rc) {
        json_decref(j);
        return rc;
    }
    json_object_set_new(j, "version", ver);
    json_object_set_new(j, "guide", guide);
    *out = j;
    return RC_OK;
}

enum rc catalog_guide_get(struct conn *c, int64_t impl_id, int version, bool drafts, json_t **out,
                          int *version_out, struct err *e)
{
    json_t *j = NULL;
    enum rc rc = catalog_impl_get(c, impl_id, version, drafts, &j, e);
    if (rc)
        return rc;
    *out = json_incref(json_object_get(j, "guide"));
    if (version_out)
        *version_out =
            (int)json_integer_value(json_object_get(json_object_get(j, "version"), "version"));
    json_decref(j);
    return RC_OK;
}

enum rc catalog_impl_id(struct conn *c, const char *impl_code, int64_t *out, struct err *e)
{
    struct stmt *st;
    *out = 0;
    enum rc rc = store_prepare(c, "SELECT id FROM catalog_impls WHERE impl_code = ?", &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, impl_code);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        *out = store_int(st, 0);
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_NOTFOUND, NULL, "实施编码 %s 不存在", impl_code);
    }
    store_finish(st);
    return rc;
}

enum rc catalog_task_impls(struct conn *c, const char *basic_code, const char *kind, json_t **out,
                           struct err *e)
{
    struct stmt *st;
    *out = NULL;
    enum rc rc = store_prepare(c,
                               "SELECT m.id " IMPL_FROM "WHERE i.basic_code = ? AND t.kind = ? "
                               "ORDER BY m.id",
                               &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, basic_code);
    store_bind_text(st, 2, kind);
    json_t *a = json_array();
    while ((rc = store_step(st, e)) == RC_ROW)
        json_array_append_new(a, json_integer(store_int(st, 0)));
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(a);
        return rc;
    }
    *out = a;
    return RC_OK;
}

/* ---- the list ------------------------------------------------------------------------- */

#define ROW_COLS                                                                                   \
    "SELECT m.id, m.impl_code, t.name, i.name, i.type, i.competent_dept, m.agency_name, "          \
    "m.region, i.life_stages, v.doc " IMPL_FROM                                                    \
    "JOIN catalog_versions v ON v.id = m.published_version_id "

static json_t *row_json(struct stmt *st)
{
    json_t *doc = parse_or_null(store_text(st, 9));
    json_t *tl = json_object_get(doc, "time_limit");
    json_t *cross = json_object_get(doc, "cross_region");
    json_t *pd = json_object_get(tl, "promised_days");
    json_t *od = json_object_get(doc, "online_depth");
    json_t *vi = json_object_get(doc, "visits");
    json_t *mode = json_object_get(cross, "mode");
    json_t *r =
        json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:O, s:O, s:O, s:O}", "id",
                  (json_int_t)store_int(st, 0), "impl_code", store_text(st, 1), "name",
                  store_text(st, 2), "item_name", store_text(st, 3), "type", store_text(st, 4),
                  "dept", store_text(st, 5), "agency_name", store_text(st, 6), "region",
                  store_text(st, 7), "life_stages", parse_or_null(store_text(st, 8)),
                  "online_depth", od ? od : json_null(), "visits", vi ? vi : json_null(),
                  "promised_days", pd ? pd : json_null(), "cross_mode", mode ? mode : json_null());
    json_decref(doc);
    return r;
}

enum rc catalog_list(struct conn *c, const struct catalog_filter *f, json_t **out, int64_t *next,
                     struct err *e)
{
    char sql[1400];
    size_t k = (size_t)snprintf(sql, sizeof(sql),
                                ROW_COLS "WHERE m.id > ? AND (v.effective_to IS NULL OR "
                                         "v.effective_to >= ?)");
    char stage[40] = "", region[16] = "";
    if (f->life_stage) {
        k += (size_t)snprintf(sql + k, sizeof(sql) - k, " AND i.life_stages LIKE ?");
        snprintf(stage, sizeof(stage), "%%\"%s\"%%", f->life_stage);
    }
    if (f->dept)
        k += (size_t)snprintf(sql + k, sizeof(sql) - k, " AND i.competent_dept = ?");
    if (f->type)
        k += (size_t)snprintf(sql + k, sizeof(sql) - k, " AND i.type = ?");
    if (f->region) {
        k += (size_t)snprintf(sql + k, sizeof(sql) - k, " AND m.region LIKE ?");
        snprintf(region, sizeof(region), "%s%%", f->region);
    }
    if (f->cross)
        k += (size_t)snprintf(sql + k, sizeof(sql) - k, " AND v.doc LIKE '%%\"cross_region\":{%%'");
    snprintf(sql + k, sizeof(sql) - k, " ORDER BY m.id LIMIT ?");
    struct stmt *st;
    enum rc rc = store_prepare(c, sql, &st, e);
    if (rc)
        return rc;
    int i = 1;
    store_bind_int(st, i++, f->after);
    store_bind_int(st, i++, catalog__today());
    if (f->life_stage)
        store_bind_text(st, i++, stage);
    if (f->dept)
        store_bind_text(st, i++, f->dept);
    if (f->type)
        store_bind_text(st, i++, f->type);
    if (f->region)
        store_bind_text(st, i++, region);
    store_bind_int(st, i, f->limit + 1);
    json_t *a = json_array();
    *next = 0;
    int64_t last = 0;
    while ((rc = store_step(st, e)) == RC_ROW) {
        if ((int)json_array_size(a) == f->limit) {
            *next = last;
            continue;
        }
        last = store_int(st, 0);
        json_array_append_new(a, row_json(st));
    }
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(a);
        return rc;
    }
    *out = a;
    return RC_OK;
}

enum rc catalog_list_row(struct conn *c, int64_t impl_id, json_t **out, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, ROW_COLS "WHERE m.id = ?", &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, impl_id);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        *out = row_json(st);
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_NOTFOUND, NULL, "办事指南不存在或尚未发布");
    }
    store_finish(st);
    return rc;
}

/* ---- versions and lint ---------------------------------------------------------------- */

enum rc catalog_versions(struct conn *c, int64_t impl_id, bool drafts, json_t **out, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, "SELECT id FROM catalog_impls WHERE id = ?", &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, impl_id);
    rc = store_step(st, e);
    store_finish(st);
    if (rc == RC_DONE)
        return err_set(e, RC_NOTFOUND, NULL, "办事指南不存在");
    if (rc != RC_ROW)
        return rc;
    rc = store_prepare(c,
                       "SELECT id, version, state, effective_from, effective_to, created_by, "
                       "created_at, published_at, lint FROM catalog_versions WHERE impl_id = ? "
                       "ORDER BY version DESC",
                       &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, impl_id);
    json_t *a = json_array();
    while ((rc = store_step(st, e)) == RC_ROW) {
        const char *state = store_text(st, 2);
        if (!drafts && strcmp(state, "published") != 0 && strcmp(state, "superseded") != 0)
            continue;
        json_t *lint = parse_or_null(store_text(st, 8));
        json_array_append_new(
            a, json_pack("{s:I, s:i, s:s, s:s, s:o, s:o, s:s, s:o, s:o, s:O, s:O}", "id",
                         (json_int_t)store_int(st, 0), "version", (int)store_int(st, 1), "state",
                         state, "state_label",
                         flow_state_label(&catalog_version_flow,
                                          flow_state_parse(&catalog_version_flow, state)),
                         "effective_from", day_json(st, 3), "effective_to", day_json(st, 4),
                         "created_by", store_text(st, 5), "created_at", time_json(st, 6),
                         "published_at", time_json(st, 7), "lint_errors",
                         json_object_get(lint, "errors"), "lint_warnings",
                         json_object_get(lint, "warnings")));
        json_decref(lint);
    }
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(a);
        return rc;
    }
    *out = a;
    return RC_OK;
}

enum rc catalog_version_lint(struct conn *c, int64_t impl_id, int v, json_t **out, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(
        c, "SELECT state, lint FROM catalog_versions WHERE impl_id = ? AND version = ?", &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, impl_id);
    store_bind_int(st, 2, v);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        json_t *l = parse_or_null(store_text(st, 1));
        if (!json_is_object(l)) {
            json_decref(l);
            l = json_object();
        }
        json_object_set_new(l, "version", json_integer(v));
        json_object_set_new(l, "state", json_string(store_text(st, 0)));
        *out = l;
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_NOTFOUND, NULL, "办事指南第 %d 版不存在", v);
    }
    store_finish(st);
    return rc;
}

/* ---- bundles --------------------------------------------------------------------------- */

enum rc catalog_bundle_get(struct conn *c, const char *code, json_t **out, struct err *e)
{
    struct stmt *st;
    *out = NULL;
    enum rc rc = store_prepare(
        c, "SELECT doc FROM catalog_bundles WHERE code = ? AND state = 'published'", &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, code);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        rc = jsonx_parse(store_text(st, 0), strlen(store_text(st, 0)), 64, out, e);
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_NOTFOUND, NULL, "一件事 %s 不存在", code);
    }
    store_finish(st);
    return rc;
}

enum rc catalog_bundle_list(struct conn *c, json_t **out, struct err *e)
{
    struct stmt *st;
    *out = NULL;
    enum rc rc = store_prepare(
        c, "SELECT doc FROM catalog_bundles WHERE state = 'published' ORDER BY code", &st, e);
    if (rc)
        return rc;
    json_t *a = json_array();
    while ((rc = store_step(st, e)) == RC_ROW)
        json_array_append_new(a, parse_or_null(store_text(st, 0)));
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(a);
        return rc;
    }
    *out = a;
    return RC_OK;
}

/* ---- quality -------------------------------------------------------------------------- */

enum rc catalog_quality(struct conn *c, json_t **out, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               "SELECT i.competent_dept, v.lint " IMPL_FROM
                               "JOIN catalog_versions v ON v.id = m.published_version_id "
                               "ORDER BY i.competent_dept, m.id",
                               &st, e);
    if (rc)
        return rc;
    json_t *depts = json_object();
    int total = 0, total_clean = 0, total_findings = 0;
    while ((rc = store_step(st, e)) == RC_ROW) {
        const char *dept = store_text(st, 0);
        json_t *d = json_object_get(depts, dept);
        if (!d) {
            d = json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:{}}", "dept", dept, "guides", 0,
                          "clean", 0, "findings", 0, "errors", 0, "warnings", 0, "by_rule");
            json_object_set_new(depts, dept, d);
        }
        json_t *l = parse_or_null(store_text(st, 1));
        json_t *fs = json_object_get(l, "findings");
        size_t n = json_array_size(fs), i;
        json_t *f;
#define BUMP(obj, key, by)                                                                         \
    json_object_set_new(obj, key,                                                                  \
                        json_integer(json_integer_value(json_object_get(obj, key)) + (by)))
        BUMP(d, "guides", 1);
        BUMP(d, "clean", n == 0);
        BUMP(d, "findings", (json_int_t)n);
        BUMP(d, "errors", json_integer_value(json_object_get(l, "errors")));
        BUMP(d, "warnings", json_integer_value(json_object_get(l, "warnings")));
        json_t *by = json_object_get(d, "by_rule");
        json_array_foreach(fs, i, f)
        {
            BUMP(by, json_string_value(json_object_get(f, "rule")), 1);
        }
#undef BUMP
        total++;
        total_clean += n == 0;
        total_findings += (int)n;
        json_decref(l);
    }
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(depts);
        return rc;
    }
    json_t *items = json_array();
    const char *k;
    json_t *d;
    json_object_foreach(depts, k, d)
    {
        double g = (double)json_integer_value(json_object_get(d, "guides"));
        double cl = (double)json_integer_value(json_object_get(d, "clean"));
        double fi = (double)json_integer_value(json_object_get(d, "findings"));
        json_object_set_new(d, "score", json_real(round(cl * 1000.0 / g) / 10.0));
        json_object_set_new(d, "findings_per_guide", json_real(round(fi * 100.0 / g) / 100.0));
        json_array_append(items, d);
    }
    json_decref(depts);
    /* Worst first, then by name: the board shows who must improve. */
    size_t n = json_array_size(items);
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0; j--) {
            json_t *a = json_array_get(items, j - 1), *b = json_array_get(items, j);
            double sa = json_real_value(json_object_get(a, "score"));
            double sb = json_real_value(json_object_get(b, "score"));
            if (sa < sb || (sa == sb && strcmp(json_string_value(json_object_get(a, "dept")),
                                               json_string_value(json_object_get(b, "dept"))) <= 0))
                break;
            json_incref(a);
            json_array_set(items, j - 1, b);
            json_array_set_new(items, j, a);
        }
    *out = json_pack("{s:o, s:{s:i, s:i, s:i, s:f, s:f}}", "items", items, "total", "guides", total,
                     "clean", total_clean, "findings", total_findings, "score",
                     total ? round(total_clean * 1000.0 / total) / 10.0 : 0.0, "findings_per_guide",
                     total ? round(total_findings * 100.0 / total) / 100.0 : 0.0);
    return RC_OK;
}
