/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of src/catalog/catalog_bundle.c and catalog_jsonld.c against the
 * hand-worked bundle of tests/cases/catalog/bundle3.json (企业设立登记 → 印章刻制 and
 * 发票申领, 12 materials). The expected merge was worked out by hand from the rules of
 * docs/internals/catalog.md "一件事 bundles":
 *   - materials 12 → 7: 法定代表人身份证件 ×3 (copies max 2, electronic, required),
 *     营业执照 ×2, 住所使用证明 ×2 (necessity required, 容缺 lost), 经办人身份证件 ×2
 *     (required, needed when any of the two conditions);
 *   - order: 企业设立登记, then 印章刻制 and 发票申领;
 *   - 发票申领 deferred (unknown without answers, later when s_finance is false);
 *   - 六个一: all pass but 一网办理 (印章刻制's 网办深度 is 2).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "catalog/catalog_bundle.h"
#include "catalog/catalog_jsonld.h"
#include "unit.h"

static json_t *fixture(void)
{
    const char *dir = getenv("QIFU_CASES");
    char path[512];
    snprintf(path, sizeof path, "%s/catalog/bundle3.json", dir ? dir : "tests/cases");
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    ck_assert_msg(j != NULL, "%s: %s", path, je.text);
    return j;
}

static json_t *merged(json_t *fx, const char *answers)
{
    json_t *a = answers ? json_loads(answers, 0, NULL) : NULL;
    json_t *out =
        catalog_bundle_merge(json_object_get(fx, "bundle"), json_object_get(fx, "members"), a);
    json_decref(a);
    return out;
}

/* Returns the merged material of name, or fails. */
static json_t *material(json_t *out, const char *name)
{
    json_t *m;
    size_t i;
    json_array_foreach(json_object_get(out, "materials"), i, m)
    {
        if (strcmp(json_string_value(json_object_get(m, "name")), name) == 0)
            return m;
    }
    ck_abort_msg("no merged material %s", name);
    return NULL;
}

static json_t *six(json_t *out, const char *key)
{
    json_t *s;
    size_t i;
    json_array_foreach(json_object_get(out, "six_ones"), i, s)
    {
        if (strcmp(json_string_value(json_object_get(s, "key")), key) == 0)
            return s;
    }
    ck_abort_msg("no six_ones %s", key);
    return NULL;
}

START_TEST(bundle_materials)
{
    json_t *fx = fixture(), *out = merged(fx, NULL);
    static const char *const names[] = {"公司登记（备案）申请书", "公司章程", "法定代表人身份证件",
                                        "住所使用证明",           "营业执照", "经办人身份证件",
                                        "印章刻制申请表"};
    json_t *ms = json_object_get(out, "materials");
    ck_assert_uint_eq(json_array_size(ms), 7);
    for (size_t i = 0; i < 7; i++)
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(ms, i), "name")),
                         names[i]);
    json_t *counts = json_object_get(out, "counts");
    ck_assert_int_eq(json_integer_value(json_object_get(counts, "materials_before")), 12);
    ck_assert_int_eq(json_integer_value(json_object_get(counts, "materials_after")), 7);

    json_t *rep = material(out, "法定代表人身份证件");
    ck_assert_int_eq(json_integer_value(json_object_get(rep, "copies")), 2);
    ck_assert_str_eq(json_string_value(json_object_get(rep, "form")), "electronic");
    ck_assert_uint_eq(json_array_size(json_object_get(rep, "members")), 3);
    ck_assert_ptr_null(json_object_get(rep, "when"));

    json_t *home = material(out, "住所使用证明");
    ck_assert_str_eq(json_string_value(json_object_get(home, "necessity")), "required");
    ck_assert(json_is_false(json_object_get(home, "tolerance")));

    json_t *agent = material(out, "经办人身份证件");
    ck_assert_str_eq(json_string_value(json_object_get(agent, "necessity")), "required");
    json_t *any = json_object_get(json_object_get(agent, "when"), "any");
    ck_assert_uint_eq(json_array_size(any), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(any, 0), "fact")), "s_agent");
    ck_assert_ptr_nonnull(json_object_get(json_array_get(any, 1), "all"));
    ck_assert_uint_eq(json_array_size(json_object_get(out, "conflicts")), 0);
    json_decref(out);
    json_decref(fx);
}
END_TEST

START_TEST(bundle_material_conflict)
{
    /* The same name from another source is not merged, and 一套材料 fails. */
    json_t *fx = fixture();
    json_t *c = json_array_get(json_object_get(fx, "members"), 2);
    json_t *m4 = json_array_get(json_object_get(json_object_get(c, "guide"), "materials"), 3);
    json_object_set_new(m4, "source", json_string("department"));
    json_t *out = merged(fx, NULL);
    ck_assert_uint_eq(json_array_size(json_object_get(out, "materials")), 8);
    json_t *s = six(out, "one_set");
    ck_assert(json_is_false(json_object_get(s, "pass")));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(s, "reason")), "冲突"));
    json_decref(out);
    json_decref(fx);
}
END_TEST

START_TEST(bundle_order_and_form)
{
    json_t *fx = fixture(), *out = merged(fx, NULL);
    json_t *order = json_object_get(out, "order");
    ck_assert_uint_eq(json_array_size(order), 2);
    ck_assert_str_eq(json_string_value(json_array_get(json_array_get(order, 0), 0)), "QR00101001");
    ck_assert_uint_eq(json_array_size(json_array_get(order, 1)), 2);
    json_t *form = json_object_get(out, "form");
    ck_assert_uint_eq(json_array_size(form), 2);
    json_t *maps = json_object_get(json_array_get(form, 0), "maps");
    ck_assert_uint_eq(json_array_size(maps), 3);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(maps, 2), "name")),
                     "发票申领（新办）");
    ck_assert(json_is_true(json_object_get(six(out, "one_form"), "pass")));
    json_decref(out);

    /* A field defined twice and a member's form field mapped twice are conflicts. */
    json_t *bform = json_object_get(json_object_get(fx, "bundle"), "form");
    json_array_append_new(bform, json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}]}", "field", "legal_rep",
                                           "label", "法人", "type", "text", "maps", "basic_code",
                                           "GG00301001", "field", "x"));
    json_array_append_new(bform, json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}]}", "field", "name2",
                                           "label", "名称", "type", "text", "maps", "basic_code",
                                           "QR00101001", "field", "企业名称"));
    json_t *after = json_object_get(
        json_array_get(json_object_get(json_object_get(fx, "bundle"), "members"), 0), "after");
    ck_assert_ptr_null(after);
    /* A cycle: the lead after 发票申领. */
    json_object_set_new(
        json_array_get(json_object_get(json_object_get(fx, "bundle"), "members"), 0), "after",
        json_pack("[s]", "GG00301001"));
    out = merged(fx, NULL);
    size_t form_conflicts = 0, order_conflicts = 0, i;
    json_t *c;
    json_array_foreach(json_object_get(out, "conflicts"), i, c)
    {
        const char *k = json_string_value(json_object_get(c, "kind"));
        form_conflicts += strcmp(k, "form") == 0;
        order_conflicts += strcmp(k, "order") == 0;
    }
    ck_assert_uint_eq(form_conflicts, 2);
    ck_assert_uint_eq(order_conflicts, 3);
    ck_assert(json_is_false(json_object_get(six(out, "one_form"), "pass")));
    json_decref(out);
    json_decref(fx);
}
END_TEST

START_TEST(bundle_deferred)
{
    json_t *fx = fixture();
    /* No answers: 发票申领 may be later (unknown). */
    json_t *out = merged(fx, NULL);
    json_t *d = json_object_get(out, "deferred");
    ck_assert_uint_eq(json_array_size(d), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(d, 0), "state")), "unknown");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(d, 0), "reason")),
                     "有财务负责人后再办理");
    json_decref(out);
    /* No 财务负责人 yet: later. */
    out = merged(fx, "{\"s_finance\": false}");
    d = json_object_get(out, "deferred");
    ck_assert_uint_eq(json_array_size(d), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(d, 0), "state")), "later");
    json_decref(out);
    /* There is one: done now, not listed. */
    out = merged(fx, "{\"s_finance\": true}");
    ck_assert_uint_eq(json_array_size(json_object_get(out, "deferred")), 0);
    json_t *m = json_array_get(json_object_get(out, "members"), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(m, "deferred"), "state")),
                     "now");
    json_decref(out);
    json_decref(fx);
}
END_TEST

START_TEST(bundle_six_ones)
{
    json_t *fx = fixture(), *out = merged(fx, NULL);
    static const char *const keys[] = {"once_notice", "one_form", "one_set",
                                       "one_window",  "one_net",  "one_result"};
    static const bool pass[] = {true, true, true, true, false, true};
    ck_assert_uint_eq(json_array_size(json_object_get(out, "six_ones")), 6);
    for (size_t i = 0; i < 6; i++)
        ck_assert_msg(json_is_true(json_object_get(six(out, keys[i]), "pass")) == pass[i], "%s",
                      keys[i]);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(six(out, "one_net"), "reason")),
                                 "印章刻制（新办）"));
    json_decref(out);
    /* A member with no guide in the region: 一次告知 fails, naming it. */
    json_array_remove(json_object_get(fx, "members"), 1);
    out = merged(fx, NULL);
    json_t *s = six(out, "once_notice");
    ck_assert(json_is_false(json_object_get(s, "pass")));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(s, "reason")), "GG00201001"));
    json_decref(out);
    json_decref(fx);
}
END_TEST

START_TEST(cross_region_counts)
{
    json_t *fx = fixture();
    json_t *rows = json_deep_copy(json_object_get(fx, "members"));
    json_t *g0 = json_object_get(json_array_get(rows, 0), "guide");
    json_t *g1 = json_object_get(json_array_get(rows, 1), "guide");
    json_object_set_new(
        g0, "cross_region",
        json_pack("{s:[s,s], s:[s,s], s:s, s:s, s:[], s:[s,s]}", "scope", "长三角", "G60",
                  "regions", "310000", "340000", "mode", "online", "kind", "handle", "windows",
                  "partner_items",
                  json_string_value(json_object_get(json_array_get(rows, 2), "impl_code")),
                  "XX-NOT-IN-CATALOGUE"));
    json_object_set_new(g1, "cross_region",
                        json_pack("{s:[s], s:[s], s:s, s:s}", "scope", "长三角", "regions",
                                  "320000", "mode", "proxy", "kind", "query"));
    json_t *r = catalog_cross_region_report(rows);
    json_t *t = json_object_get(r, "totals");
    ck_assert_int_eq(json_integer_value(json_object_get(t, "items")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(t, "cross_items")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(t, "handle")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(t, "query")), 1);
    json_t *scopes = json_object_get(r, "scopes");
    ck_assert_uint_eq(json_array_size(scopes), 2);
    json_t *yrd = json_array_get(scopes, 0), *g60 = json_array_get(scopes, 1);
    ck_assert_str_eq(json_string_value(json_object_get(yrd, "scope")), "长三角");
    ck_assert_int_eq(json_integer_value(json_object_get(yrd, "items")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(yrd, "handle")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(yrd, "query")), 1);
    json_t *modes = json_object_get(yrd, "modes");
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(modes, "online"), "handle")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(modes, "proxy"), "query")),
                     1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(modes, "joint"), "handle")),
                     0);
    ck_assert_int_eq(json_integer_value(json_object_get(g60, "items")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(g60, "partner_items")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(g60, "partners_found")), 1);
    /* The flat table of the Excel export: one row per scope and mode, and the total. */
    json_t *flat = json_object_get(r, "items");
    ck_assert_uint_eq(json_array_size(flat), 6);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(flat, 1), "mode_label")),
                     "异地代收代办");
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(flat, 1), "query")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r, "total"), "items")), 2);
    json_decref(r);
    json_decref(rows);
    json_decref(fx);
}
END_TEST

/* Returns the graph node of type (the first), or NULL. */
static json_t *node_of(json_t *doc, const char *type)
{
    json_t *n;
    size_t i;
    json_array_foreach(json_object_get(doc, "@graph"), i, n)
    {
        json_t *t = json_object_get(n, "@type");
        if (json_is_string(t) && strcmp(json_string_value(t), type) == 0)
            return n;
        json_t *x;
        size_t k;
        json_array_foreach(t, k, x)
        {
            if (strcmp(json_string_value(x), type) == 0)
                return n;
        }
    }
    return NULL;
}

START_TEST(jsonld_mapping)
{
    json_t *fx = fixture();
    json_t *a = json_array_get(json_object_get(fx, "members"), 0);
    json_t *bundles = json_pack("[O]", json_object_get(fx, "bundle"));
    json_t *doc = catalog_jsonld_cpsv(a, bundles);
    json_t *svc = json_array_get(json_object_get(doc, "@graph"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(svc, "@type")), "cpsv:PublicService");
    ck_assert_str_eq(json_string_value(json_object_get(svc, "dct:identifier")),
                     "QR00101001001-340100000000-000-11340100003000001B-1-01");
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(svc, "cv:processingTime"), "@value")),
        "P1D");
    ck_assert_uint_eq(json_array_size(json_object_get(svc, "cpsv:hasInput")), 4);
    ck_assert_uint_eq(json_array_size(json_object_get(svc, "cv:holdsRequirement")), 1);
    ck_assert_uint_eq(json_array_size(json_object_get(svc, "cpsv:follows")), 2);
    ck_assert_uint_eq(json_array_size(json_object_get(svc, "cv:hasChannel")), 2);
    ck_assert_uint_eq(json_array_size(json_object_get(svc, "cv:isGroupedBy")), 1);
    /* 主管部门 + 牵头部门 + 2 协办部门. */
    ck_assert_uint_eq(json_array_size(json_object_get(svc, "cv:hasParticipation")), 4);
    json_t *org = node_of(doc, "cv:PublicOrganisation");
    ck_assert_ptr_nonnull(org);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(org, "skos:prefLabel"), "@value")),
        "合肥市市场监督管理局");
    ck_assert_ptr_nonnull(node_of(doc, "cv:BusinessEvent"));
    ck_assert_ptr_nonnull(node_of(doc, "cv:Evidence"));
    /* An item of no bundle has no event. */
    json_t *doc2 = catalog_jsonld_cpsv(a, NULL);
    ck_assert_ptr_null(node_of(doc2, "cv:BusinessEvent"));

    json_t *so = catalog_jsonld_schema_org(a, "https://example.org/guide/101");
    ck_assert_str_eq(json_string_value(json_object_get(so, "@type")), "GovernmentService");
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(so, "serviceOperator"), "name")),
        "合肥市市场监督管理局");
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(so, "areaServed"), "identifier")),
        "340100");
    ck_assert_uint_eq(json_array_size(json_object_get(so, "availableChannel")), 2);
    json_decref(so);
    json_decref(doc2);
    json_decref(doc);
    json_decref(bundles);
    json_decref(fx);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("catalog_export");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, bundle_materials);
    tcase_add_test(tc, bundle_material_conflict);
    tcase_add_test(tc, bundle_order_and_form);
    tcase_add_test(tc, bundle_deferred);
    tcase_add_test(tc, bundle_six_ones);
    tcase_add_test(tc, cross_region_counts);
    tcase_add_test(tc, jsonld_mapping);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(suite)
