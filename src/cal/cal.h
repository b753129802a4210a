/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cal: the working-day calendar of mainland China and deadline arithmetic over it.
 *
 * A day is a working day unless it is a Saturday or Sunday, or the State Council
 * lists it as a day off (法定节假日); a listed make-up day (调休上班, isOffDay=false
 * in the notices) is a working day even on a weekend. The built-in list is
 * generated from the notices of 2007-2026 (src/cal/holidays_table.c); an
 * administrator adds a new year or corrects a day with cal_set_year() and
 * cal_set_day().
 *
 * Coverage: the calendar knows the years first_year..last_year completely. Outside
 * them a day that is not listed is assumed to follow Monday to Friday, which may be
 * wrong (the next Spring Festival is not known yet), so every computation that
 * depends on such a day reports it through a `beyond` flag: the result is still the
 * best estimate, and the caller must show the deadline as provisional (待国务院
 * 公布次年安排后确认) rather than as a fact. Nothing is ever silently computed on
 * plain Monday-to-Friday without that flag.
 *
 * Dates are int64_t days since 1970-01-01 (time_days_from_civil), limited to the
 * years CAL_YEAR_MIN..CAL_YEAR_MAX. Times for hour-based limits are local
 * (Asia/Shanghai) minutes since 1970-01-01 00:00. The module is pure: no I/O, no
 * clock, no global state; a struct cal is not locked, so share it read-only and
 * swap in a new one to apply changes.
 *
 * See docs/internals/cal.md.
 */
#ifndef QIFU_CAL_H
#define QIFU_CAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/rc.h"

#define CAL_YEAR_MIN 1900
#define CAL_YEAR_MAX 9999
/* Bytes for "YYYY-MM-DD" and its NUL. */
#define CAL_DATE_TEXT 11
/* Longest day name kept by cal_set_day, in bytes. */
#define CAL_NAME_MAX 120
/* Largest n for cal_add_working_days (about 40 years). */
#define CAL_MAX_WORKING_DAYS 10000
/* Working periods per day in struct cal_hours. */
#define CAL_HOURS_MAX_SPANS 4

struct cal;

enum cal_day_kind {
    CAL_WORKDAY,        /* Monday to Friday, not listed */
    CAL_WEEKEND,        /* Saturday or Sunday, not listed */
    CAL_HOLIDAY,        /* listed as a day off (法定节假日 and the days off around it) */
    CAL_MAKEUP_WORKDAY, /* listed as a working day (调休上班), usually a weekend */
};

/* One listed day, as in the State Council notice. */
struct cal_day {
    int64_t date;     /* days since 1970-01-01 */
    bool is_off_day;  /* true: day off; false: make-up working day */
    const char *name; /* e.g. "春节"; may be NULL */
};

/*
 * Office hours for hour-based limits: up to CAL_HOURS_MAX_SPANS periods per working
 * day, in minutes since local midnight, ascending and not overlapping, each with
 * start < end <= 1440.
 */
struct cal_hours {
    int n_spans;
    struct {
        int start, end; /* [start, end) in minutes since midnight */
    } spans[CAL_HOURS_MAX_SPANS];
};
/* 09:00-12:00 and 13:30-17:30, the office hours used when none are given. */
extern const struct cal_hours cal_default_hours;

/* ---- Dates ------------------------------------------------------------ */

/* Stores the date y-m-d in *out. Returns RC_INVALID for an impossible date or a year
 * outside CAL_YEAR_MIN..CAL_YEAR_MAX. */
enum rc cal_date_from_ymd(int y, int m, int d, int64_t *out) WARN_UNUSED;
/* Splits a date into year, month (1-12) and day (1-31). */
void cal_date_to_ymd(int64_t date, int *y, int *m, int *d);
/* Parses exactly "YYYY-MM-DD". Returns RC_INVALID for anything else or an impossible date. */
enum rc cal_date_parse(const char *s, int64_t *out) WARN_UNUSED;
/* Writes "YYYY-MM-DD" into out and returns out. Years are clamped to 0..9999. */
const char *cal_date_format(int64_t date, char out[CAL_DATE_TEXT]);
/* Returns the ISO weekday of a date: 1 Monday ... 7 Sunday. */
int cal_weekday(int64_t date);
/* Returns the local (Asia/Shanghai) minute since 1970-01-01 00:00 of an instant in ms UTC. */
int64_t cal_minute_from_ms(int64_t ms);
/* Returns the instant in ms UTC of a local minute; the inverse of cal_minute_from_ms. */
int64_t cal_minute_to_ms(int64_t minute);

/* ---- The calendar ----------------------------------------------------- */

/*
 * Returns a new calendar holding the built-in notices (coverage 2007-2026). Free it
 * with cal_free. Never NULL (allocation failure aborts).
 */
struct cal *cal_new(void);
/* Frees c; NULL is fine. */
void cal_free(struct cal *c);

/*
 * Lists date as a day off (is_off_day) or a make-up working day, replacing any
 * listing of that date; name (may be NULL, copied) is shown with it. For an
 * administrator's correction or a single added day. Coverage does not change: one
 * day says nothing about the rest of its year (use cal_set_year for a new year).
 * Returns RC_INVALID for a date outside the year range or a name longer than
 * CAL_NAME_MAX bytes.
 */
enum rc cal_set_day(struct cal *c, int64_t date, bool is_off_day, const char *name) WARN_UNUSED;

/*
 * Removes the listing of date, so it follows Monday to Friday again. Returns
 * RC_NOTFOUND if the date was not listed.
 */
enum rc cal_clear_day(struct cal *c, int64_t date) WARN_UNUSED;

/*
 * Replaces the whole year's notice: drops every listed day dated in that year, lists
 * the n given days, and extends coverage to include the year. The days may include
 * late-December dates of the previous year (the notices do that); other dates, a
 * year that would leave a gap in coverage (it must be inside coverage or next to
 * it), or a bad name return RC_INVALID and change nothing. n may be 0 for a year
 * without any holiday shift (never seen in practice).
 * Example, after the State Council publishes 2027:
 *     rc = cal_set_year(c, 2027, days, n_days);   (coverage becomes 2007-2027)
 */
enum rc cal_set_year(struct cal *c, int year, const struct cal_day *days, size_t n) WARN_UNUSED;

/*
 * Declares which years the listed days describe completely. Use it to withdraw
 * coverage (e.g. a year whose notice turned out incomplete) or after loading years
 * with cal_set_day. Returns RC_INVALID unless CAL_YEAR_MIN <= first <= last <= CAL_YEAR_MAX.
 */
enum rc cal_set_coverage(struct cal *c, int first_year, int last_year) WARN_UNUSED;
/* Stores the covered years in *first_year and *last_year (either may be NULL). */
void cal_coverage(const struct cal *c, int *first_year, int *last_year);
/* Returns true if date lies in a covered year. */
bool cal_covers(const struct cal *c, int64_t date);

/* ---- Queries ---------------------------------------------------------- */

/* Returns what kind of day date is (listed days first, then the weekday). */
enum cal_day_kind cal_day_kind(const struct cal *c, int64_t date);
/* Returns true for CAL_WORKDAY and CAL_MAKEUP_WORKDAY. */
bool cal_is_working_day(const struct cal *c, int64_t date);
/* Returns the name of a listed day (e.g. "国庆节、中秋节"), or NULL. Borrowed until the
 * day is changed or c is freed. */
const char *cal_day_name(const struct cal *c, int64_t date);

/*
 * Counts n working days and stores the last one in *out.
 * from_next_day (次日起算): the first day counted is the day after start, so a limit
 * of 1 working day from a Friday ends on the next working day. Otherwise start
 * itself counts as day 1 if it is a working day. n == 0 gives start.
 * *beyond_coverage (must not be NULL) is set to true when any day counted or
 * skipped lies outside coverage: the result then assumes Monday to Friday for
 * unlisted days there and must be flagged to the user as provisional.
 * Returns RC_INVALID for n < 0, n > CAL_MAX_WORKING_DAYS, a start or result outside
 * the year range, or a calendar with no working day in sight.
 * Example: 4 working days from Monday 2025-09-29, from_next_day: 2025-10-11 (a
 * 调休 Saturday); 5 days: Monday 2025-10-13.
 */
enum rc cal_add_working_days(const struct cal *c, int64_t start, int n, bool from_next_day,
                             int64_t *out, bool *beyond_coverage) WARN_UNUSED;

/*
 * Adds `minutes` of office time to the local minute start and stores the resulting
 * local minute in *out. Only the periods of hours (NULL for cal_default_hours) on
 * working days count; a start outside them begins at the next period. A count that
 * ends exactly at the end of a period ends there (12:00, not 13:30). *beyond (must
 * not be NULL) is set as for cal_add_working_days. Returns RC_INVALID for bad hours,
 * minutes < 0 or more than CAL_MAX_WORKING_DAYS days' worth, or an out-of-range start.
 */
enum rc cal_add_working_minutes(const struct cal *c, const struct cal_hours *hours, int64_t start,
                                int minutes, int64_t *out, bool *beyond) WARN_UNUSED;

/*
 * Returns the number of working days after from up to and including to, or minus
 * the number after to up to and including from when to < from (0 when equal).
 * *beyond (may be NULL) is set when part of that range lies outside coverage.
 * Cost is O(log n + listed days in the range), so long statistics ranges are cheap.
 */
int64_t cal_working_days_between(const struct cal *c, int64_t from, int64_t to, bool *beyond);

/* Returns RC_OK if hours is well-formed (see struct cal_hours), else RC_INVALID. */
enum rc cal_hours_check(const struct cal_hours *hours) WARN_UNUSED;

#endif
