/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_calendar: the working-day calendar (public reads, administrators' changes) and
 * the deadline calculator. Reads use the server's shared snapshot (app->calendar);
 * a change is written through src/calendar and then refreshed into the snapshot, so
 * the next request of this process already sees it (others within a second).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../auth/auth.h"
#include "../base/jsonx.h"
#include "../base/log.h"
#include "../base/timeutil.h"
#include "../calendar/calendar.h"
#include "../category/category.h"
#include "../store/store.h"
#include "api.h"
#include "api_int.h"
#include "api_kit.h"

/* Most days one GET /api/v1/calendar answers. */
#define MAX_RANGE_DAYS 366
/* Bounds of the deadline calculator. */
#define MAX_DEADLINE_DAYS 1000
#define MAX_DEADLINE_HOURS 2000

static enum rc date_param(const char *text, const char *field, int64_t *out, struct err *e)
{
    if (cal_date_parse(text, out))
        return err_set(e, RC_INVALID, field, "%s 应为有效日期 YYYY-MM-DD", field);
    return RC_OK;
}

/* The local date of an instant. */
static int64_t local_date(int64_t ms)
{
    int64_t m = cal_minute_from_ms(ms);
    return m >= 0 ? m / 1440 : -((-m + 1439) / 1440);
}

static json_t *coverage_json(const struct cal *cal)
{
    int first, last;
    cal_coverage(cal, &first, &last);
    return json_pack("{s:i, s:i}", "first_year", first, "last_year", last);
}

static enum rc api_calendar_get(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t from = local_date(time_now_ms()), to;
    enum rc rc = api_query_date(req, "from", false, &from, e);
    to = from + 30;
    if (rc == RC_OK)
        rc = api_query_date(req, "to", false, &to, e);
    if (rc)
        return rc;
    if (to < from)
        return err_set(e, RC_INVALID, "to", "结束日期 to 不能早于开始日期 from");
    if (to - from + 1 > MAX_RANGE_DAYS)
        return err_set(e, RC_INVALID, "to", "一次最多查询 %d 天", MAX_RANGE_DAYS);
    struct app *app = api_app(req);
    int64_t version;
    const struct cal *cal = calendar_current(app->calendar, NULL, &version);
    json_t *days = json_array();
    for (int64_t d = from; d <= to; d++)
        json_array_append_new(days, calendar_day_json(cal, d));
    char a[CAL_DATE_TEXT], b[CAL_DATE_TEXT];
    json_t *j = json_pack("{s:s, s:s, s:I, s:o, s:o}", "from", cal_date_format(from, a), "to",
                          cal_date_format(to, b), "version", (json_int_t)version, "coverage",
                          coverage_json(cal), "days", days);
    calendar_release(app->calendar, cal);
    return http_reply(resp, 200, j);
}

static enum rc api_calendar_years(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct conn *c;
    json_t *notices = NULL;
    enum rc rc = api_db(req, &c, e);
    if (rc)
        return rc;
    rc = calendar_notices(c, &notices, e);
    struct app *app = api_app(req);
    int64_t version;
    const struct cal *cal = calendar_current(app->calendar, c, &version);
    json_t *j = rc ? NULL
                   : json_pack("{s:o, s:I, s:o}", "coverage", coverage_json(cal), "version",
                               (json_int_t)version, "notices", notices);
    calendar_release(app->calendar, cal);
    return rc ? rc : http_reply(resp, 200, j);
}

/* Swaps the change just committed into the snapshot; a failure leaves it to the next check. */
static void refresh(struct app *app, struct conn *c)
{
    struct err e;
    err_clear(&e);
    enum rc rc = calendar_refresh(app->calendar, c, &e);
    if (rc)
        log_warn("calendar: refresh after a change failed: %s (%s)", e.msg, rc_name(rc));
}

/* After a change: refresh the snapshot and answer with the day as it now is. */
static json_t *day_answer(struct app *app, struct conn *c, int64_t date, bool changed)
{
    refresh(app, c);
    int64_t version;
    const struct cal *cal = calendar_current(app->calendar, c, &version);
    json_t *j = json_pack("{s:o, s:b, s:I}", "day", calendar_day_json(cal, date), "changed",
                          changed, "version", (json_int_t)version);
    calendar_release(app->calendar, cal);
    return j;
}

static enum rc api_calendar_day_put(struct http_req *req, struct http_resp *resp, struct err *e)
{
    static const char *const fields[] = {"off", "name", NULL};
    int64_t date;
    json_t *body;
    bool off = false, changed = false;
    const char *name = NULL;
    enum rc rc = date_param(req->params[0], "date", &date, e);
    if (rc == RC_OK)
        rc = http_json_body(req, &body, e);
    if (rc == RC_OK)
        rc = jsonx_only(body, fields, e);
    if (rc == RC_OK)
        rc = jsonx_get_bool(body, "off", true, &off, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "name", false, CALENDAR_NAME_MAX, &name, e);
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    rc = calendar_set_day(c, &api_who(req)->actor, date, off, name, &changed, NULL, e);
    json_t *j = rc ? NULL : day_answer(api_app(req), c, date, changed);
    return rc ? rc : http_reply(resp, 200, j);
}

static enum rc api_calendar_day_delete(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t date;
    enum rc rc = date_param(req->params[0], "date", &date, e);
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    rc = calendar_clear_day(c, &api_who(req)->actor, date, NULL, e);
    json_t *j = rc ? NULL : day_answer(api_app(req), c, date, true);
    return rc ? rc : http_reply(resp, 200, j);
}

/* Reads body.days into days (names borrowed from the body). */
static enum rc year_days(const json_t *body, struct http_req *req, struct cal_day **out,
                         size_t *n_out, struct err *e)
{
    static const char *const fields[] = {"date", "off", "name", NULL};
    json_t *arr = json_object_get(body, "days");
    if (!json_is_array(arr))
        return err_set(e, RC_INVALID, "days", "days 应为数组，列出该年通知的每一天");
    size_t n = json_array_size(arr);
    if (n > CALENDAR_MAX_YEAR_DAYS)
        return err_set(e, RC_INVALID, "days", "一年的安排最多 %d 天", CALENDAR_MAX_YEAR_DAYS);
    struct cal_day *days = pool_alloc(&req->pool, (n + 1) * sizeof(*days));
    for (size_t i = 0; i < n; i++) {
        const json_t *d = json_array_get(arr, i);
        const char *date = NULL, *name = NULL;
        bool off = false;
        enum rc rc = json_is_object(d)
                         ? RC_OK
                         : err_set(e, RC_INVALID, NULL, "每一天应为对象 {date, off, name}");
        if (rc == RC_OK)
            rc = jsonx_only(d, fields, e);
        if (rc == RC_OK)
            rc = jsonx_get_str(d, "date", true, 10, &date, e);
        if (rc == RC_OK)
            rc = jsonx_get_bool(d, "off", true, &off, e);
        if (rc == RC_OK)
            rc = jsonx_get_str(d, "name", false, CALENDAR_NAME_MAX, &name, e);
        if (rc == RC_OK && cal_date_parse(date, &days[i].date))
            rc = err_set(e, RC_INVALID, "date", "日期 %s 无效，应为 YYYY-MM-DD", date);
        if (rc) {
            char prefix[24];
            snprintf(prefix, sizeof(prefix), "days[%zu]", i);
            err_prefix_field(e, prefix);
            return rc;
        }
        days[i].is_off_day = off;
        days[i].name = name;
    }
    *out = days;
    *n_out = n;
    return RC_OK;
}

static enum rc api_calendar_year_put(struct http_req *req, struct http_resp *resp, struct err *e)
{
    static const char *const fields[] = {"source", "days", NULL};
    const char *y = req->params[0], *source = NULL;
    char *end = NULL;
    long year = strtol(y, &end, 10);
    if (strlen(y) != 4 || *end || year < 1901)
        return err_set(e, RC_INVALID, "year", "年份应为四位数字，如 2027");
    json_t *body;
    struct cal_day *days = NULL;
    size_t n = 0;
    enum rc rc = http_json_body(req, &body, e);
    if (rc == RC_OK)
        rc = jsonx_only(body, fields, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(body, "source", true, CALENDAR_SOURCE_MAX, &source, e);
    if (rc == RC_OK)
        rc = year_days(body, req, &days, &n, e);
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    rc = calendar_set_year(c, &api_who(req)->actor, (int)year, days, n, source, NULL, e);
    json_t *j = NULL;
    if (rc == RC_OK) {
        struct app *app = api_app(req);
        refresh(app, c);
        int64_t version, lo, hi;
        const struct cal *cal = calendar_current(app->calendar, c, &version);
        lo = time_days_from_civil((int)year - 1, 12, 1);
        hi = time_days_from_civil((int)year, 12, 31);
        json_t *listed = json_array();
        for (int64_t d = lo; d <= hi; d++) {
            enum cal_day_kind k = cal_day_kind(cal, d);
            if (k == CAL_HOLIDAY || k == CAL_MAKEUP_WORKDAY)
                json_array_append_new(listed, calendar_day_json(cal, d));
        }
        j = json_pack("{s:i, s:s, s:I, s:o, s:o}", "year", (int)year, "source", source, "version",
                      (json_int_t)version, "coverage", coverage_json(cal), "days", listed);
        calendar_release(app->calendar, cal);
    }
    return rc ? rc : http_reply(resp, 200, j);
}

/* Reads a positive integer query parameter (absent: *given stays false). */
static enum rc int_param(struct http_req *req, const char *name, int max, int *out, bool *given,
                         struct err *e)
{
    int64_t v = 0;
    enum rc rc = api_query_int(req, name, 1, max, &v, e);
    *given = v != 0;
    if (*given)
        *out = (int)v;
    return rc;
}

static json_t *deadline_json(const struct category_deadline *d)
{
    char at[40];
    time_fmt_cst(d->at, at, sizeof(at));
    return json_pack("{s:s, s:b}", "deadline", at, "beyond_coverage", d->beyond_coverage);
}

static enum rc api_calendar_deadline(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *start_text = http_query(req, "start"), *urgency = http_query(req, "urgency");
    const char *category = http_query(req, "category");
    int64_t start = time_now_ms();
    int days = 0, hours = 0;
    bool has_days = false, has_hours = false;
    enum category_urgency u = CATEGORY_NORMAL;
    enum rc rc = RC_OK;
    if (start_text) {
        /* A '+' of the offset arrives as a space when the client did not escape it. */
        char *fixed = pool_strdup(&req->pool, start_text);
        for (char *p = fixed; *p; p++)
            if (*p == ' ')
                *p = '+';
        /* A bare date means the start of that working day: its first office period. */
        int64_t date;
        if (cal_date_parse(fixed, &date) == RC_OK)
            start = cal_minute_to_ms(date * 1440 + cal_default_hours.spans[0].start);
        else if (time_parse(fixed, &start))
            rc = err_set(e, RC_INVALID, "start",
                         "start 应为日期 YYYY-MM-DD（当日上班时起算）或 RFC 3339 时间，如 "
                         "2025-09-29 或 2025-09-29T09:00:00+08:00");
    }
    if (rc == RC_OK && urgency && !category_urgency_parse(urgency, &u))
        rc = err_set(e, RC_INVALID, "urgency",
                     "urgency 应为 normal（一般）、urgent（紧急）或 critical（特急）");
    if (rc == RC_OK)
        rc = int_param(req, "days", MAX_DEADLINE_DAYS, &days, &has_days, e);
    if (rc == RC_OK)
        rc = int_param(req, "hours", MAX_DEADLINE_HOURS, &hours, &has_hours, e);
    if (rc == RC_OK && (has_days + has_hours + (category != NULL)) != 1)
        rc = err_set(e, RC_INVALID, "days",
                     "须且只能给出 days（工作日）、hours（工作小时）或 category（诉求类别）之一");
    if (rc)
        return rc;
    struct app *app = api_app(req);
    struct conn *c = NULL;
    struct category_limits lim = {0};
    if (category) {
        if ((rc = api_conn(req, &c, e)))
            return rc;
        rc = category_limits_of(c, category, category_urgency_name(u), &lim, e);
        if (rc) {
            store_release(c);
            return rc;
        }
    }
    const struct cal *cal = calendar_current(app->calendar, c, NULL);
    store_release(c);
    char start_out[40];
    time_fmt_cst(start, start_out, sizeof(start_out));
    json_t *j = json_pack("{s:s, s:s}", "start", start_out, "urgency", category_urgency_name(u));
    if (!has_hours)
        json_object_set_new(
            j, "counting", json_string(category_counts_from_next_day(u) ? "next_day" : "same_day"));
    struct category_deadline d;
    if (category) {
        struct category_deadlines all;
        rc = category_deadlines(cal, start, u, &lim, &all);
        if (rc == RC_OK) {
            json_object_set_new(j, "category", json_string(category));
            json_object_set_new(j, "limits",
                                json_pack("{s:i, s:i, s:i}", "sign_hours", lim.sign_hours,
                                          "reply_days", lim.reply_days, "rectify_days",
                                          lim.rectify_days));
            json_object_set_new(j, "sign", deadline_json(&all.sign));
            json_object_set_new(j, "reply", deadline_json(&all.reply));
            json_object_set_new(j, "rectify", deadline_json(&all.rectify));
        }
    } else {
        rc = has_days ? category_deadline_days(cal, start, u, days, &d)
                      : category_deadline_hours(cal, start, hours, &d);
        if (rc == RC_OK) {
            json_object_set_new(j, "unit",
                                json_string(has_days ? "working_days" : "working_hours"));
            json_object_set_new(j, "n", json_integer(has_days ? days : hours));
            char at[40];
            time_fmt_cst(d.at, at, sizeof(at));
            json_object_set_new(j, "deadline", json_string(at));
            json_object_set_new(j, "beyond_coverage", json_boolean(d.beyond_coverage));
        }
    }
    calendar_release(app->calendar, cal);
    if (rc) {
        json_decref(j);
        return err_set(e, RC_INVALID, "start", "无法从该时间计算期限（超出日历年份范围）");
    }
    return http_reply(resp, 200, j);
}

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). */
const struct http_route api_calendar_routes[] = {
    ROUTE(HTTP_GET, "/api/v1/calendar", HTTP_PUBLIC, api_calendar_get,
          "工作日历（?from=&to=，最多 366 天）"),
    ROUTE(HTTP_GET, "/api/v1/calendar/years", HTTP_PUBLIC, api_calendar_years,
          "日历覆盖年份与已录入的放假通知"),
    ROUTE(HTTP_GET, "/api/v1/calendar/deadline", HTTP_PUBLIC, api_calendar_deadline,
          "期限计算（?start=&days=|hours=|category=&urgency=）"),
    ROUTE(HTTP_PUT, "/api/v1/calendar/days/{date}", PERM(CALENDAR_WRITE), api_calendar_day_put,
          "调整某日安排"),
    ROUTE(HTTP_DELETE, "/api/v1/calendar/days/{date}", PERM(CALENDAR_WRITE),
          api_calendar_day_delete, "撤销对某日的调整"),
    ROUTE(HTTP_PUT, "/api/v1/calendar/years/{year}", PERM(CALENDAR_WRITE), api_calendar_year_put,
          "录入某年放假通知"),
};
const size_t api_calendar_n_routes = sizeof(api_calendar_routes) / sizeof(api_calendar_routes[0]);
