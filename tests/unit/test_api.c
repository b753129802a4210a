/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of src/api's route tables: each resource file's table, concatenated by api.c. */
#include <string.h>

#include "api/api.h"
#include "api/api_kit.h"
#include "base/mem.h"
#include "unit.h"

/* The router's table is the resource files' tables, concatenated in API_TABLES order. */
START_TEST(routes_are_the_tables_concatenated)
{
    size_t n_tables, n_routes, k = 0;
    const struct api_table *t = api_tables(&n_tables);
    const struct http_route *r = api_routes(&n_routes);
    ck_assert_uint_gt(n_tables, 10);
    for (size_t i = 0; i < n_tables; i++) {
        ck_assert_msg(*t[i].n_routes > 0, "table %s is empty", t[i].module);
        for (size_t j = 0; j < *t[i].n_routes; j++, k++) {
            ck_assert_uint_lt(k, n_routes);
            ck_assert_str_eq(r[k].pattern, t[i].routes[j].pattern);
            ck_assert_int_eq(r[k].method, t[i].routes[j].method);
            ck_assert_ptr_eq(r[k].fn, t[i].routes[j].fn);
            ck_assert_uint_eq(r[k].perms, t[i].routes[j].perms);
        }
    }
    ck_assert_uint_le(k, n_routes);
    /* A copy for a server: only the attachment upload's body cap follows the app. */
    struct app app = {.max_attachment = 12345};
    size_t n_copy;
    struct http_route *copy = api_routes_for(&app, &n_copy);
    ck_assert_uint_eq(n_copy, n_routes);
    int changed = 0;
    for (size_t i = 0; i < n_copy; i++)
        if (copy[i].max_body != r[i].max_body) {
            ck_assert_str_eq(copy[i].pattern, "/api/v1/demands/{id}/attachments");
            ck_assert_uint_eq(copy[i].max_body, 12345);
            changed++;
        }
    ck_assert_int_eq(changed, 1);
    xfree(copy);
}
END_TEST

/* The server's copy sends exactly the GET routes with an Excel export through the export
 * wrapper, and every export names a GET route that exists (a renamed route cannot silently
 * lose its Excel). */
START_TEST(excel_exports_wrap_their_routes)
{
    size_t n;
    const struct http_route *r = api_routes(&n);
    struct app app = {0};
    size_t n_copy;
    struct http_route *copy = api_routes_for(&app, &n_copy);
    int wrapped = 0;
    for (size_t i = 0; i < n_copy; i++) {
        bool exported = r[i].method == HTTP_GET && api_xlsx_exports(r[i].pattern);
        ck_assert_msg((copy[i].fn != r[i].fn) == exported, "%s", r[i].pattern);
        wrapped += exported;
    }
    ck_assert_int_eq(wrapped, 19);
    ck_assert(api_xlsx_exports("/api/v1/demands") && api_xlsx_exports("/api/v1/stats/policies"));
    ck_assert(api_xlsx_exports("/api/v1/catalog/cross-region"));
    ck_assert(!api_xlsx_exports("/api/v1/demands/{id}"));
    xfree(copy);
}
END_TEST

/* No method and pattern is registered twice (the second would never be reached). */
START_TEST(no_route_twice)
{
    size_t n;
    const struct http_route *r = api_routes(&n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            ck_assert_msg(r[i].method != r[j].method || strcmp(r[i].pattern, r[j].pattern) != 0,
                          "%s registered twice", r[i].pattern);
}
END_TEST

/* Every route of every table lies outside the names reserved for other tables. */
START_TEST(no_table_takes_a_reserved_name)
{
    size_t n_tables;
    const struct api_table *t = api_tables(&n_tables);
    for (size_t i = 0; i < n_tables; i++)
        for (size_t j = 0; j < *t[i].n_routes; j++) {
            struct err e;
            err_clear(&e);
            ck_assert_msg(api_route_check(t[i].module, t[i].routes[j].pattern, &e) == RC_OK,
                          "%s: %s", t[i].module, e.msg);
        }
}
END_TEST

/* The check itself: only the owner may register under a reserved name. */
START_TEST(reserved_names_have_owners)
{
    static const struct {
        const char *module, *pattern;
        enum rc want;
    } cases[] = {
        {"grants", "/api/v1/applications", RC_OK},
        {"grants", "/api/v1/applications/{id}/actions", RC_OK},
        {"policies", "/api/v1/applications/{id}", RC_INVALID},
        {"demands", "/api/v1/applications:import", RC_INVALID},
        {"demands", "/api/v1/cases", RC_INVALID},
        {"grants", "/api/v1/cases/{id}", RC_INVALID},
        {"cases", "/api/v1/cases/{id}", RC_OK},
        {"demands", "/api/v1/service-items", RC_INVALID},
        {"service_items", "/api/v1/service-items/{code}", RC_OK},
        /* The owner's family: tables named owner_<part>, and no other name. */
        {"service_items_export", "/api/v1/service-items/{id}.jsonld", RC_OK},
        {"service_items_checklist", "/api/v1/service-items/{id}/checklist", RC_OK},
        {"service_itemsx", "/api/v1/service-items/{id}", RC_INVALID},
        {"service", "/api/v1/service-items/{id}", RC_INVALID},
        {"demands", "/api/v1/casesx", RC_OK}, /* a prefix only at a segment boundary */
        {"policies", "/api/v1/policies/{id}/application-form", RC_OK},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct err e;
        err_clear(&e);
        enum rc rc = api_route_check(cases[i].module, cases[i].pattern, &e);
        ck_assert_msg(rc == cases[i].want, "%s %s: %s", cases[i].module, cases[i].pattern,
                      rc_name(rc));
        if (rc)
            ck_assert_str_eq(e.field, cases[i].pattern);
    }
    struct err e;
    err_clear(&e);
    ck_assert_int_eq(api_reserved_notfound("/api/v1/cases/12/actions", &e), RC_NOTFOUND);
    ck_assert_ptr_nonnull(strstr(e.msg, "一网通办办件"));
    /* The catalogue (api_service_items.c) owns its name now: no placeholder. */
    ck_assert_int_eq(api_reserved_notfound("/api/v1/service-items", &e), RC_OK);
    ck_assert_int_eq(api_reserved_notfound("/api/v1/applications/1", &e), RC_OK);
    ck_assert_int_eq(api_reserved_notfound("/api/v1/demands", &e), RC_OK);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("routes");
    tcase_add_test(tc, routes_are_the_tables_concatenated);
    tcase_add_test(tc, no_route_twice);
    tcase_add_test(tc, excel_exports_wrap_their_routes);
    tcase_add_test(tc, no_table_takes_a_reserved_name);
    tcase_add_test(tc, reserved_names_have_owners);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(suite)
