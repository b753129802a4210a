/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog_bundle_read: the bundles and the 跨省通办 report read from the store, through
 * catalog.h's reads (catalog_bundle_get/list, catalog_impl_get, catalog_task_impls,
 * catalog_list). See catalog_bundle.h.
 */
#include <string.h>

#include "../base/mem.h"
#include "catalog.h"
#include "catalog_bundle.h"
#include "catalog_jsonld.h"

static const char *const STAGES[] = {"zhunru",   "zhaopin",   "nashui",
                                     "jingying", "gongcheng", "zhuxiao"};
#define N_STAGES (sizeof(STAGES) / sizeof(STAGES[0]))

/* The string member key of obj, or "". */
static const char *sv(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static size_t stage_index(const char *s)
{
    for (size_t i = 0; i < N_STAGES; i++)
        if (s && strcmp(STAGES[i], s) == 0)
            return i;
    return N_STAGES;
}

enum rc catalog_bundle_docs(struct conn *c, json_t **out, struct err *e)
{
    return catalog_bundle_list(c, out, e);
}

enum rc catalog_bundle_browse(struct conn *c, const char *life_stage, json_t **out, struct err *e)
{
    json_t *docs;
    enum rc rc = catalog_bundle_list(c, &docs, e);
    if (rc)
        return rc;
    json_t *items = json_array(), *stages = json_array();
    size_t counts[N_STAGES + 1] = {0};
    /* Stable by stage, then code (the documents come in code order). */
    for (size_t s = 0; s <= N_STAGES; s++) {
        json_t *d;
        size_t i;
        json_array_foreach(docs, i, d)
        {
            const char *st = json_string_value(json_object_get(d, "life_stage"));
            if (stage_index(st) != s ||
                (life_stage && strcmp(life_stage, sv(d, "life_stage")) != 0))
                continue;
            counts[s]++;
            json_t *row = json_pack(
                "{s:O, s:O, s:O, s:s, s:O, s:O, s:O, s:I, s:O, s:O, s:O}", "code",
                json_object_get(d, "code"), "name", json_object_get(d, "name"), "life_stage",
                json_object_get(d, "life_stage"), "life_stage_label",
                catalog_jsonld_stage_label(st ? st : ""), "lead_dept",
                json_object_get(d, "lead_dept") ? json_object_get(d, "lead_dept") : json_null(),
                "co_depts",
                json_object_get(d, "co_depts") ? json_object_get(d, "co_depts") : json_null(),
                "aliases",
                json_object_get(d, "aliases") ? json_object_get(d, "aliases") : json_null(),
                "members", (json_int_t)json_array_size(json_object_get(d, "members")), "window",
                json_object_get(d, "window") ? json_object_get(d, "window") : json_null(), "online",
                json_object_get(d, "online") ? json_object_get(d, "online") : json_false(),
                "single_result",
                json_object_get(d, "single_result") ? json_object_get(d, "single_result")
                                                    : json_false());
            json_array_append_new(items, row);
        }
    }
    for (size_t s = 0; s < N_STAGES; s++)
        json_array_append_new(stages, json_pack("{s:s, s:s, s:I}", "code", STAGES[s], "label",
                                                catalog_jsonld_stage_label(STAGES[s]), "count",
                                                (json_int_t)counts[s]));
    json_decref(docs);
    *out = json_pack("{s:o, s:o}", "items", items, "stages", stages);
    return RC_OK;
}

/* How close region b is to region a: 3 same, 2 same city, 1 same province, 0 other. */
static int closeness(const char *a, const char *b)
{
    if (!a || !b || strlen(a) != 6 || strlen(b) != 6)
        return 0;
    if (strcmp(a, b) == 0)
        return 3;
    if (strncmp(a, b, 4) == 0)
        return 2;
    return strncmp(a, b, 2) == 0 ? 1 : 0;
}

/*
 * The published detail of basic_code + kind closest to region (a new reference in *out,
 * NULL when the task has no published row). region NULL: the first published.
 */
static enum rc pick_member(struct conn *c, const char *basic_code, const char *kind,
                           const char *region, json_t **out, struct err *e)
{
    json_t *ids = NULL, *best = NULL;
    int best_score = -1;
    *out = NULL;
    enum rc rc = catalog_task_impls(c, basic_code, kind, &ids, e);
    if (rc == RC_NOTFOUND)
        return RC_OK;
    if (rc)
        return rc;
    json_t *v;
    size_t i;
    json_array_foreach(ids, i, v)
    {
        json_t *d = NULL;
        rc = catalog_impl_get(c, json_integer_value(v), 0, false, &d, e);
        if (rc == RC_NOTFOUND) {
            rc = RC_OK;
            continue;
        }
        if (rc)
            break;
        const char *r = json_string_value(json_object_get(json_object_get(d, "codes"), "region"));
        int score = closeness(region, r);
        if (score > best_score) {
            json_decref(best);
            best = d;
            best_score = score;
            if (score == 3 || !region)
                break;
        } else {
            json_decref(d);
        }
    }
    json_decref(ids);
    if (rc) {
        json_decref(best);
        return rc;
    }
    *out = best;
    return RC_OK;
}

enum rc catalog_bundle_view(struct conn *c, const char *code, const char *region,
                            const json_t *answers, json_t **out, struct err *e)
{
    json_t *doc = NULL, *members = json_array();
    char *where = region ? xstrdup(region) : NULL;
    enum rc rc = catalog_bundle_get(c, code, &doc, e);
    if (rc == RC_NOTFOUND)
        rc = err_set(e, RC_NOTFOUND, NULL, "一件事不存在：%s", code);
    if (rc)
        goto out;
    json_t *m;
    size_t i;
    /* The lead first, so that without a region its row's region is used for the others. */
    for (int pass = 0; pass < 2 && rc == RC_OK; pass++) {
        json_array_foreach(json_object_get(doc, "members"), i, m)
        {
            bool lead = strcmp(sv(m, "role"), "lead") == 0;
            if (lead != (pass == 0))
                continue;
            json_t *d = NULL;
            rc = pick_member(c, sv(m, "basic_code"), sv(m, "kind"), where, &d, e);
            if (rc)
                break;
            if (!d)
                continue;
            if (!where)
                where = xstrdup(sv(json_object_get(d, "codes"), "region"));
            json_array_append_new(members, d);
        }
    }
    if (rc)
        goto out;
    *out = catalog_bundle_merge(doc, members, answers);
    json_object_set_new(*out, "region", where && *where ? json_string(where) : json_null());
out:
    xfree(where);
    json_decref(doc);
    json_decref(members);
    return rc;
}

enum rc catalog_cross_region(struct conn *c, json_t **out, struct err *e)
{
    json_t *rows = json_array();
    int64_t after = 0, total = 0;
    enum rc rc = RC_OK;
    /* Every published item (counted), the details of those with cross_region. */
    for (;;) {
        struct catalog_filter f = {.after = after, .limit = 500};
        json_t *page = NULL;
        int64_t next = 0;
        rc = catalog_list(c, &f, &page, &next, e);
        if (rc)
            break;
        json_t *r;
        size_t i;
        json_array_foreach(page, i, r)
        {
            total++;
            const char *mode = json_string_value(json_object_get(r, "cross_mode"));
            if (!mode || !*mode)
                continue;
            json_t *d = NULL;
            rc = catalog_impl_get(c, json_integer_value(json_object_get(r, "id")), 0, false, &d, e);
            if (rc)
                break;
            json_array_append_new(rows, d);
        }
        json_decref(page);
        if (rc || !next)
            break;
        after = next;
    }
    if (rc) {
        json_decref(rows);
        return rc;
    }
    *out = catalog_cross_region_report(rows);
    json_object_set_new(json_object_get(*out, "totals"), "items", json_integer(total));
    json_decref(rows);
    return RC_OK;
}
