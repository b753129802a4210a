/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of src/cal: dates, day kinds on real notices (Spring Festival,
 * National Day and the 调休 weekends of 2024-2026, each checked against
 * ../shared/refdata/holidays/YYYY.json), working-day and working-minute arithmetic,
 * the beyond-coverage flag and administrator changes.
 */
#include <string.h>

#include "base/rc.h"
#include "cal/cal.h"
#include "unit.h"

/* The date of "YYYY-MM-DD"; the text is a literal of the test, so it must parse. */
static int64_t D(const char *s)
{
    int64_t d = 0;
    ck_assert_int_eq(cal_date_parse(s, &d), RC_OK);
    return d;
}

/* The local minute of "YYYY-MM-DD" at hh:mm. */
static int64_t M(const char *s, int hh, int mm)
{
    return D(s) * 1440 + hh * 60 + mm;
}

/* Formats a local minute as "YYYY-MM-DD hh:mm" into a static buffer (one use per assert). */
static const char *fmt_minute(int64_t minute)
{
    static char buf[32];
    char date[CAL_DATE_TEXT];
    int64_t day = minute / 1440, t = minute % 1440;
    cal_date_format(day, date);
    memcpy(buf, date, 10);
    buf[10] = ' ';
    buf[11] = (char)('0' + t / 600);
    buf[12] = (char)('0' + t / 60 % 10);
    buf[13] = ':';
    buf[14] = (char)('0' + t % 60 / 10);
    buf[15] = (char)('0' + t % 10);
    buf[16] = '\0';
    return buf;
}

static const char *fmt_date(int64_t date)
{
    static char buf[CAL_DATE_TEXT];
    return cal_date_format(date, buf);
}

START_TEST(dates)
{
    int64_t d;
    ck_assert_int_eq(cal_date_parse("1970-01-01", &d), RC_OK);
    ck_assert_int_eq(d, 0);
    ck_assert_int_eq(cal_date_parse("2024-02-29", &d), RC_OK);
    ck_assert_str_eq(fmt_date(d), "2024-02-29");
    ck_assert_int_eq(cal_date_parse("2025-02-29", &d), RC_INVALID);
    ck_assert_int_eq(cal_date_parse("2025-04-31", &d), RC_INVALID);
    ck_assert_int_eq(cal_date_parse("2025-13-01", &d), RC_INVALID);
    ck_assert_int_eq(cal_date_parse("2025-00-10", &d), RC_INVALID);
    ck_assert_int_eq(cal_date_parse("2025-9-29", &d), RC_INVALID);
    ck_assert_int_eq(cal_date_parse("2025-09-29 ", &d), RC_INVALID);
    ck_assert_int_eq(cal_date_parse("2025/09/29", &d), RC_INVALID);
    ck_assert_int_eq(cal_date_parse("20a5-09-29", &d), RC_INVALID);
    ck_assert_int_eq(cal_date_parse("1899-12-31", &d), RC_INVALID);
    ck_assert_int_eq(cal_date_parse(NULL, &d), RC_INVALID);
    ck_assert_int_eq(cal_date_from_ymd(2025, 9, 29, &d), RC_OK);
    ck_assert_int_eq(d, D("2025-09-29"));
    ck_assert_int_eq(cal_date_from_ymd(10000, 1, 1, &d), RC_INVALID);
    int y, m, dd;
    cal_date_to_ymd(D("2026-12-31"), &y, &m, &dd);
    ck_assert(y == 2026 && m == 12 && dd == 31);
    ck_assert_str_eq(fmt_date(D("1900-01-01")), "1900-01-01");
    ck_assert_str_eq(fmt_date(D("9999-12-31")), "9999-12-31");

    ck_assert_int_eq(cal_weekday(0), 4);  /* Thursday */
    ck_assert_int_eq(cal_weekday(-1), 3); /* Wednesday 1969-12-31 */
    ck_assert_int_eq(cal_weekday(D("2025-09-29")), 1);
    ck_assert_int_eq(cal_weekday(D("2025-10-11")), 6);
    ck_assert_int_eq(cal_weekday(D("2024-02-18")), 7);

    ck_assert_int_eq(cal_minute_from_ms(0), 480); /* 08:00 in Beijing */
    ck_assert_int_eq(cal_minute_to_ms(480), 0);
    ck_assert_int_eq(cal_minute_from_ms(-1), 479);
    ck_assert_int_eq(cal_minute_from_ms(cal_minute_to_ms(M("2025-09-29", 9, 0)) + 59999),
                     M("2025-09-29", 9, 0));
}
END_TEST

START_TEST(kinds)
{
    struct cal *c = cal_new();
    int first, last;
    cal_coverage(c, &first, &last);
    ck_assert_int_eq(first, 2007);
    ck_assert_int_eq(last, 2026);
    ck_assert(cal_covers(c, D("2007-01-01")));
    ck_assert(cal_covers(c, D("2026-12-31")));
    ck_assert(!cal_covers(c, D("2027-01-01")));
    ck_assert(!cal_covers(c, D("2006-12-31")));

    static const struct {
        const char *date;
        enum cal_day_kind kind;
        const char *name;
    } cases[] = {
        /* 2024 Spring Festival: Sundays 02-04 and 02-18 were working days. */
        {"2024-02-03", CAL_WEEKEND, NULL},
        {"2024-02-04", CAL_MAKEUP_WORKDAY, "春节"},
        {"2024-02-09", CAL_WORKDAY, NULL},
        {"2024-02-10", CAL_HOLIDAY, "春节"},
        {"2024-02-17", CAL_HOLIDAY, "春节"},
        {"2024-02-18", CAL_MAKEUP_WORKDAY, "春节"},
        {"2024-02-19", CAL_WORKDAY, NULL},
        /* 2024 National Day: 09-29 (Sunday) and 10-12 (Saturday) worked. */
        {"2024-09-29", CAL_MAKEUP_WORKDAY, "国庆节"},
        {"2024-10-01", CAL_HOLIDAY, "国庆节"},
        {"2024-10-07", CAL_HOLIDAY, "国庆节"},
        {"2024-10-12", CAL_MAKEUP_WORKDAY, "国庆节"},
        {"2024-10-13", CAL_WEEKEND, NULL},
        /* 2025 Spring Festival: Sunday 01-26 and Saturday 02-08 worked; 01-27 is plain. */
        {"2025-01-26", CAL_MAKEUP_WORKDAY, "春节"},
        {"2025-01-27", CAL_WORKDAY, NULL},
        {"2025-01-28", CAL_HOLIDAY, "春节"},
        {"2025-02-04", CAL_HOLIDAY, "春节"},
        {"2025-02-08", CAL_MAKEUP_WORKDAY, "春节"},
        {"2025-02-09", CAL_WEEKEND, NULL},
        /* 2025 National Day and Mid-Autumn: 10-01..08 off, 09-28 (Sun) and 10-11 (Sat) worked. */
        {"2025-09-27", CAL_WEEKEND, NULL},
        {"2025-09-28", CAL_MAKEUP_WORKDAY, "国庆节、中秋节"},
        {"2025-10-01", CAL_HOLIDAY, "国庆节、中秋节"},
        {"2025-10-08", CAL_HOLIDAY, "国庆节、中秋节"},
        {"2025-10-09", CAL_WORKDAY, NULL},
        {"2025-10-11", CAL_MAKEUP_WORKDAY, "国庆节、中秋节"},
        {"2025-10-12", CAL_WEEKEND, NULL},
        /* 2026: New Year with Sunday 01-04 worked; Spring Festival 02-15..23 with Saturdays
         * 02-14 and 02-28 worked; Mid-Autumn 09-25; National Day with 09-20 and 10-10. */
        {"2026-01-02", CAL_HOLIDAY, "元旦"},
        {"2026-01-04", CAL_MAKEUP_WORKDAY, "元旦"},
        {"2026-02-14", CAL_MAKEUP_WORKDAY, "春节"},
        {"2026-02-15", CAL_HOLIDAY, "春节"},
        {"2026-02-23", CAL_HOLIDAY, "春节"},
        {"2026-02-24", CAL_WORKDAY, NULL},
        {"2026-02-28", CAL_MAKEUP_WORKDAY, "春节"},
        {"2026-09-20", CAL_MAKEUP_WORKDAY, "国庆节"},
        {"2026-09-25", CAL_HOLIDAY, "中秋节"},
        {"2026-10-07", CAL_HOLIDAY, "国庆节"},
        {"2026-10-10", CAL_MAKEUP_WORKDAY, "国庆节"},
        /* Listed in the 2007 notice although dated 2006 (a late-December make-up day). */
        {"2006-12-31", CAL_MAKEUP_WORKDAY, "元旦"},
        /* Past the last notice: plain weekdays. */
        {"2027-01-01", CAL_WORKDAY, NULL},
        {"2027-01-02", CAL_WEEKEND, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t d = D(cases[i].date);
        ck_assert_msg(cal_day_kind(c, d) == cases[i].kind, "%s: kind %d, expected %d",
                      cases[i].date, (int)cal_day_kind(c, d), (int)cases[i].kind);
        ck_assert_int_eq(cal_is_working_day(c, d),
                         cases[i].kind == CAL_WORKDAY || cases[i].kind == CAL_MAKEUP_WORKDAY);
        if (cases[i].name)
            ck_assert_str_eq(cal_day_name(c, d), cases[i].name);
        else
            ck_assert_ptr_null(cal_day_name(c, d));
    }

    /* Working days per year, counted from the JSON files independently. */
    static const struct {
        int year, days;
    } years[] = {{2024, 251}, {2025, 248}, {2026, 248}};
    for (size_t i = 0; i < 3; i++) {
        int64_t a, b;
        ck_assert_int_eq(cal_date_from_ymd(years[i].year, 1, 1, &a), RC_OK);
        ck_assert_int_eq(cal_date_from_ymd(years[i].year, 12, 31, &b), RC_OK);
        int n = 0;
        for (int64_t d = a; d <= b; d++)
            n += cal_is_working_day(c, d);
        ck_assert_int_eq(n, years[i].days);
        bool beyond = true;
        ck_assert_int_eq(cal_working_days_between(c, a - 1, b, &beyond), years[i].days);
        ck_assert(!beyond);
    }
    cal_free(c);
    cal_free(NULL);
}
END_TEST

START_TEST(add_days)
{
    struct cal *c = cal_new();
    int64_t out;
    bool beyond = true;

    /* The examples: 2025-10-01..08 are off, Saturday 10-11 is worked. */
    ck_assert_int_eq(cal_add_working_days(c, D("2025-09-29"), 4, true, &out, &beyond), RC_OK);
    ck_assert_str_eq(fmt_date(out), "2025-10-11");
    ck_assert(!beyond);
    ck_assert_int_eq(cal_add_working_days(c, D("2025-09-29"), 5, true, &out, &beyond), RC_OK);
    ck_assert_str_eq(fmt_date(out), "2025-10-13");
    ck_assert(!beyond);

    /* Counting from the start day itself. */
    ck_assert_int_eq(cal_add_working_days(c, D("2025-09-29"), 4, false, &out, &beyond), RC_OK);
    ck_assert_str_eq(fmt_date(out), "2025-10-10");
    ck_assert_int_eq(cal_add_working_days(c, D("2025-09-29"), 1, false, &out, &beyond), RC_OK);
    ck_assert_str_eq(fmt_date(out), "2025-09-29");
    ck_assert_int_eq(cal_add_working_days(c, D("2025-09-29"), 1, true, &out, &beyond), RC_OK);
    ck_assert_str_eq(fmt_date(out), "2025-09-30");
    ck_assert_int_eq(cal_add_working_days(c, D("2025-10-01"), 1, false, &out, &beyond), RC_OK);
    ck_assert_str_eq(fmt_date(out), "2025-10-09");
    ck_assert_int_eq(cal_add_working_days(c, D("2025-09-26"), 1, true, &out, &beyond), RC_OK);
    ck_assert_str_eq(fmt_date(out), "2025-09-28"); /* the 调休 Sunday */
    ck_assert_int_eq(cal_add_working_days(c, D("2025-09-29"), 0, true, &out, &beyond), RC_OK);
    ck_assert_str_eq(fmt_date(out), "2025-09-29");

    /* 2024 Spring Festival, from Friday 02-02: Sunday 02-04 is day 1, Sunday 02-18 day 7. */
    ck_assert_int_eq(cal_add_working_days(c, D("2024-02-02"), 1, true, &out, &beyond), RC_OK);
    ck_assert_str_eq(fmt_date(out), "2024-02-04");
    ck_assert_int_eq(cal_add_working_days(c, D("2024-02-02"), 7, true, &out, &beyond), RC_OK);
    ck_assert_str_eq(fmt_date(out), "2024-02-18");
    ck_assert_int_eq(cal_add_working_days(c, D("2024-02-02"), 8, true, &out, &beyond), RC_OK);
    ck_assert_str_eq(fmt_date(out), "2024-02-19");
    /* 2025 Spring Festival, from Friday 01-24: Sunday 01-26, Monday 01-27, then 02-05. */
    ck_assert_int_eq(cal_add_working_days(c, D("2025-01-24"), 3, true, &out, &beyond), RC_OK);
    ck_assert_str_eq(fmt_date(out), "2025-02-05");
    /* 2026 Spring Festival, from Friday 02-13: Saturday 02-14 is day 1, then 02-24. */
    ck_assert_int_eq(cal_add_working_days(c, D("2026-02-13"), 2, true, &out, &beyond), RC_OK);
    ck_assert_str_eq(fmt_date(out), "2026-02-24");
    ck_assert(!beyond);

    /* Up to the last covered day: not flagged. One day further: flagged. */
    ck_assert_int_eq(cal_add_working_days(c, D("2026-12-21"), 8, true, &out, &beyond), RC_OK);
    ck_assert_str_eq(fmt_date(out), "2026-12-31");
    ck_assert(!beyond);
    ck_assert_int_eq(cal_add_working_days(c, D("2026-12-21"), 9, true, &out, &beyond), RC_OK);
    ck_assert_str_eq(fmt_date(out), "2027-01-01"); /* the Monday-Friday estimate */
    ck_assert(beyond);
    ck_assert_int_eq(cal_add_working_days(c, D("2026-12-25"), 10, true, &out, &beyond), RC_OK);
    ck_assert_str_eq(fmt_date(out), "2027-01-08");
    ck_assert(beyond);
    ck_assert_int_eq(cal_add_working_days(c, D("2006-06-01"), 1, true, &out, &beyond), RC_OK);
    ck_assert(beyond);

    ck_assert_int_eq(cal_add_working_days(c, D("2025-09-29"), -1, true, &out, &beyond), RC_INVALID);
    ck_assert_int_eq(
        cal_add_working_days(c, D("2025-09-29"), CAL_MAX_WORKING_DAYS + 1, true, &out, &beyond),
        RC_INVALID);
    ck_assert_int_eq(cal_add_working_days(c, D("9999-12-31"), 1, true, &out, &beyond), RC_INVALID);
    ck_assert_int_eq(cal_add_working_days(c, D("1900-01-01") - 1, 1, true, &out, &beyond),
                     RC_INVALID);
    cal_free(c);
}
END_TEST

START_TEST(admin_changes)
{
    struct cal *c = cal_new();
    int64_t out;
    bool beyond;

    /* A correction: 10-09 declared off moves the 4-day limit from 10-11 to 10-13. */
    ck_assert_int_eq(cal_set_day(c, D("2025-10-09"), true, "临时调整"), RC_OK);
    ck_assert_int_eq(cal_day_kind(c, D("2025-10-09")), CAL_HOLIDAY);
    ck_assert_str_eq(cal_day_name(c, D("2025-10-09")), "临时调整");
    ck_assert_int_eq(cal_add_working_days(c, D("2025-09-29"), 4, true, &out, &beyond), RC_OK);
    ck_assert_str_eq(fmt_date(out), "2025-10-13");
    /* Replacing a listed day, and a NULL name. */
    ck_assert_int_eq(cal_set_day(c, D("2025-10-12"), false, NULL), RC_OK);
    ck_assert_str_eq(cal_day_name(c, D("2025-10-12")), "");
    ck_assert_int_eq(cal_add_working_days(c, D("2025-09-29"), 4, true, &out, &beyond), RC_OK);
    ck_assert_str_eq(fmt_date(out), "2025-10-12");
    ck_assert_int_eq(cal_set_day(c, D("2025-10-11"), true, "改为休息"), RC_OK);
    ck_assert_int_eq(cal_day_kind(c, D("2025-10-11")), CAL_HOLIDAY);
    ck_assert_int_eq(cal_clear_day(c, D("2025-10-09")), RC_OK);
    ck_assert_int_eq(cal_clear_day(c, D("2025-10-09")), RC_NOTFOUND);
    ck_assert_int_eq(cal_clear_day(c, D("2025-10-12")), RC_OK);
    ck_assert_int_eq(cal_set_day(c, D("2025-10-11"), false, "国庆节、中秋节"), RC_OK);
    ck_assert_int_eq(cal_add_working_days(c, D("2025-09-29"), 4, true, &out, &beyond), RC_OK);
    ck_assert_str_eq(fmt_date(out), "2025-10-11");

    char longname[CAL_NAME_MAX + 2];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    ck_assert_int_eq(cal_set_day(c, D("2025-10-09"), true, longname), RC_INVALID);
    ck_assert_int_eq(cal_set_day(c, D("1900-01-01") - 1, true, "x"), RC_INVALID);
    /* A single day past coverage is honoured but does not extend coverage. */
    ck_assert_int_eq(cal_set_day(c, D("2027-01-01"), true, "元旦"), RC_OK);
    ck_assert_int_eq(cal_day_kind(c, D("2027-01-01")), CAL_HOLIDAY);
    ck_assert(!cal_covers(c, D("2027-01-01")));

    /* A whole new year (hypothetical notice: only New Year's Day, fixed by law, is
     * real): coverage extends and the deadline is no longer flagged. */
    const struct cal_day y2027[] = {
        {D("2026-12-27"), false, "元旦"}, /* previous-December dates are allowed */
        {D("2027-01-01"), true, "元旦"},
    };
    ck_assert_int_eq(cal_add_working_days(c, D("2026-12-25"), 10, true, &out, &beyond), RC_OK);
    ck_assert(beyond);
    ck_assert_int_eq(cal_set_year(c, 2027, y2027, 2), RC_OK);
    int first, last;
    cal_coverage(c, &first, &last);
    ck_assert_int_eq(last, 2027);
    ck_assert_int_eq(cal_day_kind(c, D("2026-12-27")), CAL_MAKEUP_WORKDAY);
    ck_assert_int_eq(cal_add_working_days(c, D("2026-12-25"), 10, true, &out, &beyond), RC_OK);
    ck_assert_str_eq(fmt_date(out), "2027-01-08"); /* 12-27, 28..31, 01-04..08 */
    ck_assert(!beyond);
    /* Replacing the year drops its earlier listings. */
    const struct cal_day y2027b[] = {{D("2027-01-01"), true, "元旦"}};
    ck_assert_int_eq(cal_set_year(c, 2027, y2027b, 1), RC_OK);
    ck_assert_int_eq(cal_day_kind(c, D("2026-12-27")), CAL_MAKEUP_WORKDAY); /* 2026: kept */
    ck_assert_int_eq(cal_set_year(c, 2027, NULL, 0), RC_OK);
    ck_assert_int_eq(cal_day_kind(c, D("2027-01-01")), CAL_WORKDAY);

    /* No holes, no foreign dates. */
    ck_assert_int_eq(cal_set_year(c, 2029, y2027b, 1), RC_INVALID);
    ck_assert_int_eq(cal_set_year(c, 2028, y2027b, 1), RC_INVALID); /* 2027 date in 2028 */
    const struct cal_day bad[] = {{D("2028-11-30"), true, "x"}};
    ck_assert_int_eq(cal_set_year(c, 2029, bad, 1), RC_INVALID);
    cal_coverage(c, NULL, &last);
    ck_assert_int_eq(last, 2027);

    /* Withdrawing coverage flags the computations again. */
    ck_assert_int_eq(cal_set_coverage(c, 2007, 2025), RC_OK);
    ck_assert_int_eq(cal_add_working_days(c, D("2025-12-30"), 2, true, &out, &beyond), RC_OK);
    ck_assert(beyond);
    ck_assert_int_eq(cal_set_coverage(c, 2026, 2025), RC_INVALID);
    ck_assert_int_eq(cal_set_coverage(c, 1899, 2025), RC_INVALID);
    cal_free(c);
}
END_TEST

START_TEST(add_minutes)
{
    struct cal *c = cal_new();
    int64_t out;
    bool beyond = true;
#define ADD(start, n, expect)                                                                      \
    do {                                                                                           \
        ck_assert_int_eq(cal_add_working_minutes(c, NULL, (start), (n), &out, &beyond), RC_OK);    \
        ck_assert_str_eq(fmt_minute(out), (expect));                                               \
    } while (0)

    ADD(M("2025-09-29", 9, 0), 60, "2025-09-29 10:00");
    ADD(M("2025-09-29", 11, 30), 60, "2025-09-29 14:00"); /* across lunch */
    ADD(M("2025-09-29", 11, 0), 60, "2025-09-29 12:00");  /* ends at the period end */
    ADD(M("2025-09-29", 12, 30), 30, "2025-09-29 14:00"); /* starts in the lunch break */
    ADD(M("2025-09-29", 7, 0), 10, "2025-09-29 09:10");   /* before office hours */
    ADD(M("2025-09-29", 20, 0), 10, "2025-09-30 09:10");  /* after office hours */
    ADD(M("2025-09-22", 17, 0), 60, "2025-09-23 09:30");  /* overnight */
    ADD(M("2025-09-12", 17, 0), 60, "2025-09-15 09:30");  /* over a weekend */
    ADD(M("2025-09-26", 17, 0), 60, "2025-09-28 09:30");  /* to the 调休 Sunday */
    ADD(M("2025-09-30", 17, 0), 60, "2025-10-09 09:30");  /* over National Day */
    ADD(M("2025-09-29", 9, 0), 420, "2025-09-29 17:30");  /* one full day */
    ADD(M("2025-09-29", 9, 0), 421, "2025-09-30 09:01");
    ADD(M("2025-09-29", 10, 15), 0, "2025-09-29 10:15");
    ck_assert(!beyond);
    ADD(M("2026-12-31", 17, 0), 60, "2027-01-01 09:30"); /* past coverage: estimate */
    ck_assert(beyond);

    struct cal_hours one = {1, {{8 * 60 + 30, 17 * 60}}};
    ck_assert_int_eq(cal_add_working_minutes(c, &one, M("2025-09-29", 16, 0), 120, &out, &beyond),
                     RC_OK);
    ck_assert_str_eq(fmt_minute(out), "2025-09-30 09:30");
    ck_assert_int_eq(cal_hours_check(&cal_default_hours), RC_OK);
    struct cal_hours overlap = {2, {{9 * 60, 13 * 60}, {12 * 60, 17 * 60}}};
    struct cal_hours empty = {1, {{9 * 60, 9 * 60}}};
    struct cal_hours none = {0, {{0, 0}}};
    struct cal_hours late = {1, {{9 * 60, 1441}}};
    ck_assert_int_eq(cal_hours_check(&overlap), RC_INVALID);
    ck_assert_int_eq(cal_hours_check(&empty), RC_INVALID);
    ck_assert_int_eq(cal_hours_check(&none), RC_INVALID);
    ck_assert_int_eq(cal_hours_check(&late), RC_INVALID);
    ck_assert_int_eq(cal_add_working_minutes(c, &overlap, M("2025-09-29", 9, 0), 1, &out, &beyond),
                     RC_INVALID);
    ck_assert_int_eq(cal_add_working_minutes(c, NULL, M("2025-09-29", 9, 0), -1, &out, &beyond),
                     RC_INVALID);
    ck_assert_int_eq(cal_add_working_minutes(c, NULL, M("9999-12-31", 17, 0), 60, &out, &beyond),
                     RC_INVALID);
#undef ADD
    cal_free(c);
}
END_TEST

START_TEST(between)
{
    struct cal *c = cal_new();
    bool beyond = true;
    ck_assert_int_eq(cal_working_days_between(c, D("2025-09-29"), D("2025-10-11"), &beyond), 4);
    ck_assert(!beyond);
    ck_assert_int_eq(cal_working_days_between(c, D("2025-09-29"), D("2025-10-13"), NULL), 5);
    ck_assert_int_eq(cal_working_days_between(c, D("2025-10-11"), D("2025-09-29"), NULL), -4);
    ck_assert_int_eq(cal_working_days_between(c, D("2025-09-29"), D("2025-09-29"), &beyond), 0);
    ck_assert_int_eq(cal_working_days_between(c, D("2026-12-30"), D("2027-01-05"), &beyond), 4);
    ck_assert(beyond);

    /* Against a day-by-day count and against cal_add_working_days, over 1969-2028
     * (both sides of the epoch and of coverage), with a fixed pseudo-random walk. */
    uint32_t x = 12345;
    int64_t lo = D("1969-06-01"), span = D("2028-12-31") - lo;
    for (int i = 0; i < 300; i++) {
        x = x * 1103515245u + 12345u;
        int64_t a = lo + (int64_t)(x >> 8) % span;
        x = x * 1103515245u + 12345u;
        int64_t b = a + (int64_t)(x >> 8) % 120 - 20;
        int64_t want = 0;
        for (int64_t d = (a < b ? a : b) + 1; d <= (a < b ? b : a); d++)
            want += cal_is_working_day(c, d);
        if (b < a)
            want = -want;
        ck_assert_msg(cal_working_days_between(c, a, b, NULL) == want, "%d: %lld..%lld", i,
                      (long long)a, (long long)b);
        if (want > 0) {
            int64_t end;
            ck_assert_int_eq(cal_add_working_days(c, a, (int)want, true, &end, &beyond), RC_OK);
            ck_assert(cal_is_working_day(c, end));
            ck_assert_int_eq(cal_working_days_between(c, a, end, NULL), want);
            ck_assert_int_le(end, b);
        }
    }
    cal_free(c);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cal");
    TCase *tc = tcase_create("cal");
    tcase_add_test(tc, dates);
    tcase_add_test(tc, kinds);
    tcase_add_test(tc, add_days);
    tcase_add_test(tc, admin_changes);
    tcase_add_test(tc, add_minutes);
    tcase_add_test(tc, between);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(suite)
