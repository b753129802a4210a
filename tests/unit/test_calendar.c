/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of src/calendar on SQLite and PostgreSQL: loading the built-in
 * calendar, administrators' corrections and years (audited, versioned, refused
 * changes writing nothing), and the holder's snapshots (reload on a version change,
 * old snapshots staying valid until released, the check interval).
 */
#include <string.h>

#include "audit/audit.h"
#include "base/rc.h"
#include "cal/cal.h"
#include "calendar/calendar.h"
#include "unit.h"
#include "unit_db.h"

static const struct audit_actor who = {"cli:test", ""};

static int64_t D(const char *s)
{
    int64_t d = 0;
    ck_assert_int_eq(cal_date_parse(s, &d), RC_OK);
    return d;
}

static struct cal *load(struct conn *c, int64_t *version)
{
    struct cal *cal = NULL;
    struct err e = {0};
    enum rc rc = calendar_load(c, &cal, version, &e);
    ck_assert_msg(rc == RC_OK, "calendar_load: %s: %s", rc_name(rc), e.msg);
    return cal;
}

static int64_t count(struct conn *c, const char *sql)
{
    return unit_db_int(c, sql);
}

START_TEST(load_builtin)
{
    struct store *s = unit_db_open(1);
    struct conn *c = unit_db_take(s);
    int64_t v = -1;
    struct cal *cal = load(c, &v);
    ck_assert_int_eq(v, 0);
    int first, last;
    cal_coverage(cal, &first, &last);
    ck_assert(first == 2007 && last == 2026);
    ck_assert_int_eq(cal_day_kind(cal, D("2025-10-11")), CAL_MAKEUP_WORKDAY);
    json_t *j = calendar_day_json(cal, D("2025-10-01"));
    ck_assert_str_eq(json_string_value(json_object_get(j, "kind")), "holiday");
    ck_assert_str_eq(json_string_value(json_object_get(j, "name")), "国庆节、中秋节");
    ck_assert(json_is_false(json_object_get(j, "working")));
    ck_assert(json_is_true(json_object_get(j, "covered")));
    json_decref(j);
    j = calendar_day_json(cal, D("2027-01-04"));
    ck_assert_str_eq(json_string_value(json_object_get(j, "kind")), "workday");
    ck_assert(json_is_null(json_object_get(j, "name")));
    ck_assert(json_is_false(json_object_get(j, "covered")));
    json_decref(j);
    cal_free(cal);
    store_release(c);
    store_close(s);
}
END_TEST

START_TEST(set_and_clear_day)
{
    struct store *s = unit_db_open(1);
    struct conn *c = unit_db_take(s);
    struct err e = {0};
    bool changed = false;
    int64_t v = 0;
    /* A working Thursday becomes a day off. */
    ck_assert_int_eq(calendar_set_day(c, &who, D("2025-10-09"), true, "测试假日", &changed, &v, &e),
                     RC_OK);
    ck_assert(changed);
    ck_assert_int_eq(v, 1);
    struct cal *cal = load(c, &v);
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(cal_day_kind(cal, D("2025-10-09")), CAL_HOLIDAY);
    ck_assert_str_eq(cal_day_name(cal, D("2025-10-09")), "测试假日");
    cal_free(cal);
    ck_assert_int_eq(count(c, "SELECT COUNT(*) FROM audit WHERE action = 'calendar.day.set' AND "
                              "entity_id = '2025-10-09'"),
                     1);
    /* The same again: nothing written. */
    ck_assert_int_eq(calendar_set_day(c, &who, D("2025-10-09"), true, "测试假日", &changed, &v, &e),
                     RC_OK);
    ck_assert(!changed);
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(count(c, "SELECT version FROM calendar_version"), 1);
    /* What the built-in table already says is no change either. */
    ck_assert_int_eq(
        calendar_set_day(c, &who, D("2025-10-11"), false, "国庆节、中秋节", &changed, &v, &e),
        RC_OK);
    ck_assert(!changed);
    /* Correcting a built-in day: the make-up Saturday becomes a plain weekend day off. */
    ck_assert_int_eq(calendar_set_day(c, &who, D("2025-10-11"), true, NULL, &changed, &v, &e),
                     RC_OK);
    ck_assert(changed);
    ck_assert_int_eq(v, 2);
    /* Refusals write nothing. */
    int64_t n_audit = count(c, "SELECT COUNT(*) FROM audit");
    char long_name[200];
    memset(long_name, 'x', 41);
    long_name[41] = '\0';
    ck_assert_int_eq(calendar_set_day(c, &who, D("2025-10-10"), true, long_name, &changed, &v, &e),
                     RC_INVALID);
    ck_assert_str_eq(e.field, "name");
    ck_assert_int_eq(calendar_clear_day(c, &who, D("2025-10-10"), &v, &e), RC_NOTFOUND);
    ck_assert_int_eq(count(c, "SELECT COUNT(*) FROM audit"), n_audit);
    ck_assert_int_eq(count(c, "SELECT version FROM calendar_version"), 2);
    /* Clearing restores the built-in answer. */
    ck_assert_int_eq(calendar_clear_day(c, &who, D("2025-10-11"), &v, &e), RC_OK);
    ck_assert_int_eq(v, 3);
    cal = load(c, NULL);
    ck_assert_int_eq(cal_day_kind(cal, D("2025-10-11")), CAL_MAKEUP_WORKDAY);
    ck_assert_int_eq(cal_day_kind(cal, D("2025-10-09")), CAL_HOLIDAY);
    cal_free(cal);
    ck_assert_int_eq(count(c, "SELECT COUNT(*) FROM audit WHERE action = 'calendar.day.clear'"), 1);
    store_release(c);
    store_close(s);
}
END_TEST

START_TEST(set_years)
{
    struct store *s = unit_db_open(1);
    struct conn *c = unit_db_take(s);
    struct err e = {0};
    int64_t v = 0;
    struct cal_day y2027[] = {
        {D("2026-12-31"), true, "元旦"}, /* notices may start in the December before */
        {D("2027-01-01"), true, "元旦"},
        {D("2027-02-06"), true, "春节"},
        {D("2027-02-07"), false, "春节"},
    };
    /* 2028 before 2027 would leave a gap. */
    ck_assert_int_eq(calendar_set_year(c, &who, 2028, NULL, 0, "国办发明电〔2027〕1号", &v, &e),
                     RC_INVALID);
    ck_assert_str_eq(e.field, "year");
    /* Bad input is refused before anything is written. */
    struct cal_day stray[] = {{D("2027-01-01"), true, NULL}, {D("2026-11-30"), true, NULL}};
    ck_assert_int_eq(calendar_set_year(c, &who, 2027, stray, 2, "通知", &v, &e), RC_INVALID);
    ck_assert_str_eq(e.field, "days[1].date");
    struct cal_day twice[] = {{D("2027-01-01"), true, NULL}, {D("2027-01-01"), false, NULL}};
    ck_assert_int_eq(calendar_set_year(c, &who, 2027, twice, 2, "通知", &v, &e), RC_INVALID);
    ck_assert_str_eq(e.field, "days[1].date");
    ck_assert_int_eq(calendar_set_year(c, &who, 2027, y2027, 4, "", &v, &e), RC_INVALID);
    ck_assert_str_eq(e.field, "source");
    ck_assert_int_eq(count(c, "SELECT COUNT(*) FROM calendar_days"), 0);
    ck_assert_int_eq(count(c, "SELECT COUNT(*) FROM calendar_years"), 0);
    ck_assert_int_eq(count(c, "SELECT version FROM calendar_version"), 0);
    ck_assert_int_eq(count(c, "SELECT COUNT(*) FROM audit"), 0);

    /* A correction dated in 2027, then the notice, which supersedes it. */
    bool changed;
    ck_assert_int_eq(calendar_set_day(c, &who, D("2027-03-01"), true, "更正", &changed, &v, &e),
                     RC_OK);
    ck_assert_int_eq(calendar_set_year(c, &who, 2027, y2027, 4, "国办发明电〔2026〕7号", &v, &e),
                     RC_OK);
    ck_assert_int_eq(v, 2);
    struct cal *cal = load(c, &v);
    int first, last;
    cal_coverage(cal, &first, &last);
    ck_assert(first == 2007 && last == 2027);
    ck_assert_int_eq(cal_day_kind(cal, D("2027-02-07")), CAL_MAKEUP_WORKDAY);
    ck_assert_int_eq(cal_day_kind(cal, D("2026-12-31")), CAL_HOLIDAY);
    ck_assert_int_eq(cal_day_kind(cal, D("2027-03-01")), CAL_WORKDAY);
    cal_free(cal);
    /* Now 2028 is next to coverage; and 2006 at the other end. */
    ck_assert_int_eq(calendar_set_year(c, &who, 2028, NULL, 0, "国办发明电〔2027〕1号", &v, &e),
                     RC_OK);
    struct cal_day y2006[] = {{D("2006-01-02"), true, "元旦"}};
    ck_assert_int_eq(calendar_set_year(c, &who, 2006, y2006, 1, "国办发明电〔2005〕1号", &v, &e),
                     RC_OK);
    cal = load(c, NULL);
    cal_coverage(cal, &first, &last);
    ck_assert(first == 2006 && last == 2028);
    ck_assert_int_eq(cal_day_kind(cal, D("2006-01-02")), CAL_HOLIDAY);
    cal_free(cal);
    /* Entering 2027 again replaces its days. */
    ck_assert_int_eq(
        calendar_set_year(c, &who, 2027, y2027 + 1, 1, "国办发明电〔2026〕8号", &v, &e), RC_OK);
    cal = load(c, NULL);
    ck_assert_int_eq(cal_day_kind(cal, D("2027-02-06")), CAL_WEEKEND);
    ck_assert_int_eq(cal_day_kind(cal, D("2027-01-01")), CAL_HOLIDAY);
    cal_free(cal);
    json_t *notices = NULL;
    ck_assert_int_eq(calendar_notices(c, &notices, &e), RC_OK);
    ck_assert_int_eq(json_array_size(notices), 3);
    json_t *n2027 = json_array_get(notices, 1);
    ck_assert_int_eq(json_integer_value(json_object_get(n2027, "year")), 2027);
    ck_assert_str_eq(json_string_value(json_object_get(n2027, "source")), "国办发明电〔2026〕8号");
    ck_assert_int_eq(json_integer_value(json_object_get(n2027, "n_days")), 1);
    json_decref(notices);
    ck_assert_int_eq(count(c, "SELECT COUNT(*) FROM audit WHERE action = 'calendar.year.set'"), 4);
    store_release(c);
    store_close(s);
}
END_TEST

START_TEST(holder)
{
    struct store *s = unit_db_open(3);
    struct err e = {0};
    struct calendar_holder *h = NULL;
    ck_assert_int_eq(calendar_holder_new(s, 0, &h, &e), RC_OK);
    int64_t v = -1;
    const struct cal *a = calendar_current(h, NULL, &v);
    ck_assert_int_eq(v, 0);
    ck_assert_int_eq(cal_day_kind(a, D("2025-10-09")), CAL_WORKDAY);

    /* Another connection (as another server would) changes a day. */
    struct conn *c = unit_db_take(s);
    bool changed;
    ck_assert_int_eq(calendar_set_day(c, &who, D("2025-10-09"), true, NULL, &changed, NULL, &e),
                     RC_OK);
    /* check_ms 0: the next call sees it, through the caller's connection. */
    const struct cal *b = calendar_current(h, c, &v);
    ck_assert_int_eq(v, 1);
    ck_assert_ptr_ne(a, b);
    ck_assert_int_eq(cal_day_kind(b, D("2025-10-09")), CAL_HOLIDAY);
    /* The old snapshot is unchanged and valid until released. */
    ck_assert_int_eq(cal_day_kind(a, D("2025-10-09")), CAL_WORKDAY);
    calendar_release(h, a);
    const struct cal *b2 = calendar_current(h, NULL, &v);
    ck_assert_ptr_eq(b, b2); /* no change: the same snapshot */
    calendar_release(h, b2);
    calendar_release(h, b);
    calendar_release(h, NULL);
    store_release(c);
    calendar_holder_free(h);

    /* With a long interval a change is seen only after calendar_refresh. */
    ck_assert_int_eq(calendar_holder_new(s, 3600 * 1000, &h, &e), RC_OK);
    c = unit_db_take(s);
    ck_assert_int_eq(calendar_set_day(c, &who, D("2025-10-10"), true, NULL, &changed, NULL, &e),
                     RC_OK);
    a = calendar_current(h, c, &v);
    ck_assert_int_eq(v, 1);
    calendar_release(h, a);
    ck_assert_int_eq(calendar_refresh(h, c, &e), RC_OK);
    a = calendar_current(h, c, &v);
    ck_assert_int_eq(v, 2);
    ck_assert_int_eq(cal_day_kind(a, D("2025-10-10")), CAL_HOLIDAY);
    calendar_release(h, a);
    store_release(c);
    calendar_holder_free(h);
    store_close(s);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, load_builtin);
    tcase_add_test(tc, set_and_clear_day);
    tcase_add_test(tc, set_years);
    tcase_add_test(tc, holder);
}

static Suite *suite(void)
{
    Suite *s = suite_create("calendar");
    TCase *tc = tcase_create("sqlite");
    tcase_add_unchecked_fixture(tc, unit_db_sqlite_once, unit_db_sqlite_done);
    tcase_add_checked_fixture(tc, unit_db_sqlite, unit_db_drop);
    add_tests(tc);
    suite_add_tcase(s, tc);
#ifdef WITH_PG
    if (getenv("TEST_PG_DSN") && *getenv("TEST_PG_DSN")) {
        tc = tcase_create("postgres");
        tcase_add_checked_fixture(tc, unit_db_pg, unit_db_drop);
        add_tests(tc);
        suite_add_tcase(s, tc);
    }
#endif
    return s;
}

UNIT_MAIN(suite)
