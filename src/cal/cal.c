/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cal: the working-day calendar over the listed days of the State Council notices.
 *
 * Invariant: c->days is sorted by date without duplicates, so the kind of a day is
 * one binary search; the covered years are one contiguous range, cached as the
 * first and last covered day. Names are either borrowed from the generated table
 * (static storage) or copies made by cal_set_day and owned by the entry.
 */
#include "cal/cal.h"

#include <assert.h>
#include <string.h>

#include "base/mem.h"
#include "base/timeutil.h"
#include "cal/cal_int.h"

struct listed {
    int64_t date;
    bool off;
    const char *name; /* never NULL; "" when none was given */
    char *copy;       /* the name when cal_set_day copied it (freed with the entry), else NULL */
};

struct cal {
    struct listed *days; /* sorted by date, unique */
    size_t n_days, cap;
    int first_year, last_year;   /* covered years */
    int64_t first_day, last_day; /* 1 January of first_year, 31 December of last_year */
};

const struct cal_hours cal_default_hours = {
    .n_spans = 2,
    .spans = {{.start = 9 * 60, .end = 12 * 60}, {.start = 13 * 60 + 30, .end = 17 * 60 + 30}},
};

/* ======================================================================== */
/* Dates                                                                     */
/* ======================================================================== */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t day_min(void)
{
    return time_days_from_civil(CAL_YEAR_MIN, 1, 1);
}

static int64_t day_max(void)
{
    return time_days_from_civil(CAL_YEAR_MAX, 12, 31);
}

static bool date_ok(int64_t date)
{
    return date >= day_min() && date <= day_max();
}

enum rc cal_date_from_ymd(int y, int m, int d, int64_t *out)
{
    assert(out);
    if (y < CAL_YEAR_MIN || y > CAL_YEAR_MAX || m < 1 || m > 12 || d < 1 || d > 31)
        return RC_INVALID;
    int64_t date = time_days_from_civil(y, m, d);
    int ry, rm, rd;
    time_civil_from_days(date, &ry, &rm, &rd);
    if (ry != y || rm != m || rd != d) /* 31 April, 29 February of a common year */
        return RC_INVALID;
    *out = date;
    return RC_OK;
}

void cal_date_to_ymd(int64_t date, int *y, int *m, int *d)
{
    time_civil_from_days(date, y, m, d);
}

enum rc cal_date_parse(const char *s, int64_t *out)
{
    assert(out);
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return RC_INVALID;
    int v[3] = {0, 0, 0}, k = 0;
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7) {
            k++;
            continue;
        }
        if (s[i] < '0' || s[i] > '9')
            return RC_INVALID;
        v[k] = v[k] * 10 + (s[i] - '0');
    }
    return cal_date_from_ymd(v[0], v[1], v[2], out);
}

const char *cal_date_format(int64_t date, char out[CAL_DATE_TEXT])
{
    int y, m, d;
    time_civil_from_days(date, &y, &m, &d);
    y = y < 0 ? 0 : y > 9999 ? 9999 : y;
    const int parts[3][2] = {{y, 4}, {m, 2}, {d, 2}};
    char *p = out;
    for (int i = 0; i < 3; i++) {
        if (i)
            *p++ = '-';
        for (int w = parts[i][1], v = parts[i][0]; w > 0; w--, v /= 10)
            p[w - 1] = (char)('0' + v % 10);
        p += parts[i][1];
    }
    *p = '\0';
    return out;
}

int cal_weekday(int64_t date)
{
    /* 1970-01-01 was a Thursday (ISO 4). */
    return (int)(date + 3 - floor_div(date + 3, 7) * 7) + 1;
}

int64_t cal_minute_from_ms(int64_t ms)
{
    return floor_div(ms + TIME_CST_OFFSET_MS, 60000);
}

int64_t cal_minute_to_ms(int64_t minute)
{
    return minute * 60000 - TIME_CST_OFFSET_MS;
}

/* ======================================================================== */
/* The calendar                                                              */
/* ======================================================================== */

static void set_coverage(struct cal *c, int first_year, int last_year)
{
    c->first_year = first_year;
    c->last_year = last_year;
    c->first_day = time_days_from_civil(first_year, 1, 1);
    c->last_day = time_days_from_civil(last_year, 12, 31);
}

struct cal *cal_new(void)
{
    struct cal *c = xcalloc(1, sizeof(*c));
    c->cap = cal__n_holidays + 32;
    c->days = xcalloc(c->cap, sizeof(*c->days));
    for (size_t i = 0; i < cal__n_holidays; i++) {
        assert(i == 0 || cal__holidays[i - 1].date < cal__holidays[i].date);
        c->days[i] = (struct listed){.date = cal__holidays[i].date,
                                     .off = cal__holidays[i].off,
                                     .name = cal__holidays[i].name,
                                     .copy = NULL};
    }
    c->n_days = cal__n_holidays;
    set_coverage(c, cal__first_year, cal__last_year);
    return c;
}

static void listed_cleanup(struct listed *l)
{
    xfree(l->copy);
    l->copy = NULL;
}

void cal_free(struct cal *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_days; i++)
        listed_cleanup(&c->days[i]);
    xfree(c->days);
    xfree(c);
}

/* Index of the first listed day with date >= date. */
static size_t lower_bound(const struct cal *c, int64_t date)
{
    size_t lo = 0, hi = c->n_days;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->days[mid].date < date)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const struct listed *find(const struct cal *c, int64_t date)
{
    size_t i = lower_bound(c, date);
    return i < c->n_days && c->days[i].date == date ? &c->days[i] : NULL;
}

static bool name_ok(const char *name)
{
    return !name || strlen(name) <= CAL_NAME_MAX;
}

/* Lists one day; the arguments were validated by the caller. */
static void put_day(struct cal *c, int64_t date, bool off, const char *name)
{
    size_t i = lower_bound(c, date);
    char *copy = xstrdup(name ? name : "");
    if (i < c->n_days && c->days[i].date == date) {
        listed_cleanup(&c->days[i]);
    } else {
        if (c->n_days == c->cap) {
            c->cap = c->cap * 2 + 16;
            c->days = xrealloc(c->days, c->cap * sizeof(*c->days));
        }
        memmove(&c->days[i + 1], &c->days[i], (c->n_days - i) * sizeof(*c->days));
        c->n_days++;
    }
    c->days[i] = (struct listed){.date = date, .off = off, .name = copy, .copy = copy};
}

enum rc cal_set_day(struct cal *c, int64_t date, bool is_off_day, const char *name)
{
    assert(c);
    if (!date_ok(date) || !name_ok(name))
        return RC_INVALID;
    put_day(c, date, is_off_day, name);
    return RC_OK;
}

enum rc cal_clear_day(struct cal *c, int64_t date)
{
    assert(c);
    size_t i = lower_bound(c, date);
    if (i >= c->n_days || c->days[i].date != date)
        return RC_NOTFOUND;
    listed_cleanup(&c->days[i]);
    memmove(&c->days[i], &c->days[i + 1], (c->n_days - i - 1) * sizeof(*c->days));
    c->n_days--;
    return RC_OK;
}

enum rc cal_set_year(struct cal *c, int year, const struct cal_day *days, size_t n)
{
    assert(c && (days || n == 0));
    /* The year must not leave a hole in coverage, and the notice's dates run from the
     * December before to the end of the year. */
    if (year <= CAL_YEAR_MIN || year > CAL_YEAR_MAX || year < c->first_year - 1 ||
        year > c->last_year + 1)
        return RC_INVALID;
    int64_t lo = time_days_from_civil(year - 1, 12, 1), hi = time_days_from_civil(year, 12, 31);
    for (size_t i = 0; i < n; i++)
        if (days[i].date < lo || days[i].date > hi || !name_ok(days[i].name))
            return RC_INVALID;

    size_t a = lower_bound(c, time_days_from_civil(year, 1, 1)), b = lower_bound(c, hi + 1);
    for (size_t i = a; i < b; i++)
        listed_cleanup(&c->days[i]);
    memmove(&c->days[a], &c->days[b], (c->n_days - b) * sizeof(*c->days));
    c->n_days -= b - a;
    for (size_t i = 0; i < n; i++)
        put_day(c, days[i].date, days[i].is_off_day, days[i].name);
    set_coverage(c, year < c->first_year ? year : c->first_year,
                 year > c->last_year ? year : c->last_year);
    return RC_OK;
}

enum rc cal_set_coverage(struct cal *c, int first_year, int last_year)
{
    assert(c);
    if (first_year < CAL_YEAR_MIN || first_year > last_year || last_year > CAL_YEAR_MAX)
        return RC_INVALID;
    set_coverage(c, first_year, last_year);
    return RC_OK;
}

void cal_coverage(const struct cal *c, int *first_year, int *last_year)
{
    assert(c);
    if (first_year)
        *first_year = c->first_year;
    if (last_year)
        *last_year = c->last_year;
}

bool cal_covers(const struct cal *c, int64_t date)
{
    assert(c);
    return date >= c->first_day && date <= c->last_day;
}

/* ======================================================================== */
/* Queries                                                                   */
/* ======================================================================== */

enum cal_day_kind cal_day_kind(const struct cal *c, int64_t date)
{
    assert(c);
    const struct listed *l = find(c, date);
    if (l)
        return l->off ? CAL_HOLIDAY : CAL_MAKEUP_WORKDAY;
    return cal_weekday(date) >= 6 ? CAL_WEEKEND : CAL_WORKDAY;
}

bool cal_is_working_day(const struct cal *c, int64_t date)
{
    enum cal_day_kind k = cal_day_kind(c, date);
    return k == CAL_WORKDAY || k == CAL_MAKEUP_WORKDAY;
}

const char *cal_day_name(const struct cal *c, int64_t date)
{
    assert(c);
    const struct listed *l = find(c, date);
    return l ? l->name : NULL;
}

enum rc cal_add_working_days(const struct cal *c, int64_t start, int n, bool from_next_day,
                             int64_t *out, bool *beyond_coverage)
{
    assert(c && out && beyond_coverage);
    *beyond_coverage = false;
    if (n < 0 || n > CAL_MAX_WORKING_DAYS || !date_ok(start))
        return RC_INVALID;
    if (n == 0) {
        *out = start;
        return RC_OK;
    }
    /* The scan ends: listed days are finite and beyond them Monday to Friday work. */
    int64_t d = from_next_day ? start : start - 1;
    for (int count = 0; count < n;) {
        d++;
        if (!date_ok(d))
            return RC_INVALID;
        if (!cal_covers(c, d))
            *beyond_coverage = true;
        if (cal_is_working_day(c, d))
            count++;
    }
    *out = d;
    return RC_OK;
}

enum rc cal_hours_check(const struct cal_hours *h)
{
    if (!h || h->n_spans < 1 || h->n_spans > CAL_HOURS_MAX_SPANS)
        return RC_INVALID;
    for (int i = 0; i < h->n_spans; i++) {
        if (h->spans[i].start < 0 || h->spans[i].start >= h->spans[i].end || h->spans[i].end > 1440)
            return RC_INVALID;
        if (i > 0 && h->spans[i].start < h->spans[i - 1].end)
            return RC_INVALID;
    }
    return RC_OK;
}

enum rc cal_add_working_minutes(const struct cal *c, const struct cal_hours *hours, int64_t start,
                                int minutes, int64_t *out, bool *beyond)
{
    assert(c && out && beyond);
    *beyond = false;
    if (!hours)
        hours = &cal_default_hours;
    if (cal_hours_check(hours))
        return RC_INVALID;
    int64_t per_day = 0;
    for (int i = 0; i < hours->n_spans; i++)
        per_day += hours->spans[i].end - hours->spans[i].start;
    int64_t day = floor_div(start, 1440);
    int64_t t = start - day * 1440; /* minute of the day where counting may begin */
    if (minutes < 0 || minutes > CAL_MAX_WORKING_DAYS * per_day || !date_ok(day))
        return RC_INVALID;
    if (minutes == 0) {
        *out = start;
        return RC_OK;
    }
    int64_t left = minutes;
    for (;; day++, t = 0) {
        if (!date_ok(day))
            return RC_INVALID;
        if (!cal_covers(c, day))
            *beyond = true;
        if (!cal_is_working_day(c, day))
            continue;
        for (int i = 0; i < hours->n_spans; i++) {
            int64_t from = t > hours->spans[i].start ? t : hours->spans[i].start;
            if (from >= hours->spans[i].end)
                continue;
            int64_t avail = hours->spans[i].end - from;
            if (left <= avail) {
                *out = day * 1440 + from + left;
                return RC_OK;
            }
            left -= avail;
        }
    }
}

/* Monday-to-Friday days from Monday 1970-01-05 through x; differences count (a, b]. */
static int64_t weekdays_through(int64_t x)
{
    int64_t k = x - 3; /* days in [1970-01-05, x] */
    int64_t q = floor_div(k, 7), r = k - q * 7;
    return 5 * q + (r < 5 ? r : 5);
}

int64_t cal_working_days_between(const struct cal *c, int64_t from, int64_t to, bool *beyond)
{
    assert(c);
    if (to < from)
        return -cal_working_days_between(c, to, from, beyond);
    if (beyond)
        *beyond = to > from && (from + 1 < c->first_day || to > c->last_day);
    int64_t n = weekdays_through(to) - weekdays_through(from);
    /* Listed days in (from, to] override their weekday. */
    for (size_t i = lower_bound(c, from + 1); i < c->n_days && c->days[i].date <= to; i++) {
        bool weekday = cal_weekday(c->days[i].date) <= 5;
        n += (c->days[i].off ? 0 : 1) - (weekday ? 1 : 0);
    }
    return n;
}
