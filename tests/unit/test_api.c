/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of src/api's route tables: each resource file's table, concatenated by api.c. */
#include <string.h>

#include "api/api.h"
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
            ck_assert_uint_eq(r[k].roles, t[i].routes[j].roles);
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

static Suite *suite(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("routes");
    tcase_add_test(tc, routes_are_the_tables_concatenated);
    tcase_add_test(tc, no_route_twice);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(suite)
