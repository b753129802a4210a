/* SPDX-License-Identifier: Apache-2.0 */
/*
 * calendar: the stored administrators' layer over the built-in notices, and the
 * reference-counted snapshot the server shares.
 *
 * Invariant of the stored layer: every row of calendar_years names a year that,
 * applied in calendar_load's order (built-in coverage outwards), keeps coverage one
 * range; writers check the calendar their change produces before writing, inside the
 * transaction that bumps calendar_version (whose row lock, or SQLite's write lock,
 * serialises calendar writers).
 *
 * Invariant of the holder: h->cur always holds one reference of its own; a snapshot
 * lives on h->live until its last reference is dropped; h->cur changes only under
 * both load_mu (one loader at a time) and mu (readers).
 */
#include "calendar.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../audit/audit.h"
#include "../base/jsonx.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../store/store.h"

/* ======================================================================== */
/* The stored layer                                                          */
/* ======================================================================== */

/* One row of calendar_days. */
struct row {
    int64_t date;
    bool off;
    char *name;      /* NULL when none */
    int notice_year; /* 0 for a single correction */
};

/* Everything the administrators entered, as read from the store. */
struct layer {
    struct row *rows; /* ordered by date */
    size_t n_rows, cap_rows;
    int *years; /* calendar_years, ascending */
    size_t n_years, cap_years;
};

static void layer_cleanup(struct layer *l)
{
    for (size_t i = 0; i < l->n_rows; i++)
        xfree(l->rows[i].name);
    xfree(l->rows);
    xfree(l->years);
    memset(l, 0, sizeof(*l));
}

static enum rc layer_read(struct conn *c, struct layer *l, struct err *e)
{
    struct stmt *st;
    memset(l, 0, sizeof(*l));
    enum rc rc = store_prepare(
        c, "SELECT date, off, name, notice_year FROM calendar_days ORDER BY date", &st, e);
    if (rc)
        return rc;
    while ((rc = store_step(st, e)) == RC_ROW) {
        int64_t date;
        if (cal_date_parse(store_text(st, 0), &date)) {
            log_warn("calendar: ignoring stored day %s (not a date)", store_text(st, 0));
            continue;
        }
        if (l->n_rows == l->cap_rows) {
            l->cap_rows = l->cap_rows * 2 + 32;
            l->rows = xrealloc(l->rows, l->cap_rows * sizeof(*l->rows));
        }
        const char *name = store_text(st, 2);
        l->rows[l->n_rows++] = (struct row){
            .date = date,
            .off = store_int(st, 1) != 0,
            .name = name && *name ? xstrdup(name) : NULL,
            .notice_year = store_isnull(st, 3) ? 0 : (int)store_int(st, 3),
        };
    }
    store_finish(st);
    if (rc != RC_DONE)
        goto fail;
    rc = store_prepare(c, "SELECT year FROM calendar_years ORDER BY year", &st, e);
    if (rc)
        goto fail;
    while ((rc = store_step(st, e)) == RC_ROW) {
        if (l->n_years == l->cap_years) {
            l->cap_years = l->cap_years * 2 + 8;
            l->years = xrealloc(l->years, l->cap_years * sizeof(*l->years));
        }
        l->years[l->n_years++] = (int)store_int(st, 0);
    }
    store_finish(st);
    if (rc == RC_DONE)
        return RC_OK;
fail:
    layer_cleanup(l);
    return rc;
}

/* Applies one entered year's notice: the rows carrying that notice_year. */
static enum rc apply_year(struct cal *cal, const struct layer *l, int year)
{
    struct cal_day *days = xcalloc(l->n_rows + 1, sizeof(*days));
    size_t n = 0;
    for (size_t i = 0; i < l->n_rows; i++)
        if (l->rows[i].notice_year == year)
            days[n++] = (struct cal_day){l->rows[i].date, l->rows[i].off, l->rows[i].name};
    enum rc rc = cal_set_year(cal, year, days, n);
    xfree(days);
    return rc;
}

static bool is_entered_year(const struct layer *l, int year)
{
    for (size_t i = 0; i < l->n_years; i++)
        if (l->years[i] == year)
            return true;
    return false;
}

/*
 * Builds the calendar of a layer: the built-in table, then the entered years from
 * the built-in coverage outwards (later years ascending, earlier ones descending, so
 * each is next to coverage when applied), then the single corrections.
 */
static enum rc layer_build(const struct layer *l, struct cal **out, struct err *e)
{
    struct cal *cal = cal_new();
    int first, last;
    cal_coverage(cal, &first, &last);
    enum rc rc = RC_OK;
    for (size_t i = 0; i < l->n_years && !rc; i++)
        if (l->years[i] >= first && (rc = apply_year(cal, l, l->years[i])))
            rc = err_set(e, RC_INTERNAL, NULL, "stored calendar year %d cannot be applied",
                         l->years[i]);
    for (size_t i = l->n_years; i-- > 0 && !rc;)
        if (l->years[i] < first && (rc = apply_year(cal, l, l->years[i])))
            rc = err_set(e, RC_INTERNAL, NULL, "stored calendar year %d cannot be applied",
                         l->years[i]);
    for (size_t i = 0; i < l->n_rows && !rc; i++) {
        const struct row *r = &l->rows[i];
        if (r->notice_year && is_entered_year(l, r->notice_year))
            continue;
        if (cal_set_day(cal, r->date, r->off, r->name))
            rc = err_set(e, RC_INTERNAL, NULL, "stored calendar day cannot be applied");
    }
    if (rc) {
        cal_free(cal);
        return rc;
    }
    *out = cal;
    return RC_OK;
}

enum rc calendar_version(struct conn *c, int64_t *out, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, "SELECT version FROM calendar_version WHERE id = 1", &st, e);
    if (rc)
        return rc;
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        *out = store_int(st, 0);
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_INTERNAL, NULL, "calendar_version has no row");
    }
    store_finish(st);
    return rc;
}

enum rc calendar_load(struct conn *c, struct cal **out, int64_t *version, struct err *e)
{
    assert(c && out);
    int64_t v = 0;
    struct layer l;
    /* The version first: rows read after it can only be newer. */
    enum rc rc = calendar_version(c, &v, e);
    if (rc == RC_OK)
        rc = layer_read(c, &l, e);
    if (rc)
        return rc;
    rc = layer_build(&l, out, e);
    layer_cleanup(&l);
    if (rc == RC_OK && version)
        *version = v;
    return rc;
}

/* Bumps calendar_version inside the open transaction; takes the writers' lock. */
static enum rc bump_version(struct conn *c, int64_t *out, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(
        c, "UPDATE calendar_version SET version = version + 1 WHERE id = 1 RETURNING version", &st,
        e);
    if (rc)
        return rc;
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        *out = store_int(st, 0);
        rc = store_step(st, e) == RC_DONE ? RC_OK : RC_INTERNAL;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_INTERNAL, NULL, "calendar_version has no row");
    }
    store_finish(st);
    if (rc == RC_OK) /* every process's holder re-checks at commit */
        rc = store_notify(c, STORE_TOPIC_CALENDAR, e);
    return rc;
}

/* Opens the writer's transaction: begin, bump the version, read the layer and build it. */
static enum rc begin_change(struct conn *c, int64_t *version, struct layer *l, struct cal **cal,
                            struct err *e)
{
    enum rc rc = store_begin(c, e);
    if (rc == RC_OK)
        rc = bump_version(c, version, e);
    if (rc == RC_OK && (rc = layer_read(c, l, e)) == RC_OK && (rc = layer_build(l, cal, e)))
        layer_cleanup(l);
    if (rc && store_in_txn(c))
        store_rollback(c);
    return rc;
}

static bool name_ok(const char *name)
{
    return !name || (utf8_valid(name, strlen(name)) && utf8_len(name) <= CALENDAR_NAME_MAX &&
                     strlen(name) <= CAL_NAME_MAX);
}

/* {date, kind, name} of a day as the calendar says, for audit images. */
static json_t *day_image(const struct cal *cal, int64_t date)
{
    char text[CAL_DATE_TEXT];
    const char *name = cal_day_name(cal, date);
    return json_pack("{s:s, s:s, s:o}", "date", cal_date_format(date, text), "kind",
                     calendar_kind_name(cal_day_kind(cal, date)), "name",
                     name && *name ? json_string(name) : json_null());
}

static void fmt_date(int64_t date, char out[CAL_DATE_TEXT])
{
    cal_date_format(date, out);
}

enum rc calendar_set_day(struct conn *c, const struct audit_actor *who, int64_t date, bool off,
                         const char *name, bool *changed, int64_t *version, struct err *e)
{
    assert(c && who);
    char text[CAL_DATE_TEXT];
    int64_t lo, hi, v = 0;
    lo = time_days_from_civil(CAL_YEAR_MIN, 1, 1);
    hi = time_days_from_civil(CAL_YEAR_MAX, 12, 31);
    if (date < lo || date > hi)
        return err_set(e, RC_INVALID, "date", "日期应在 %d 年至 %d 年之间", CAL_YEAR_MIN,
                       CAL_YEAR_MAX);
    if (name && !*name)
        name = NULL;
    if (!name_ok(name))
        return err_set(e, RC_INVALID, "name", "名称不能超过 %d 个字符", CALENDAR_NAME_MAX);
    struct layer l;
    struct cal *cal = NULL;
    json_t *before = NULL, *after = NULL;
    struct stmt *st = NULL;
    enum rc rc = begin_change(c, &v, &l, &cal, e);
    if (rc)
        return rc;
    fmt_date(date, text);
    enum cal_day_kind k = cal_day_kind(cal, date);
    const char *old_name = cal_day_name(cal, date);
    bool listed = k == CAL_HOLIDAY || k == CAL_MAKEUP_WORKDAY;
    if (listed && (k == CAL_HOLIDAY) == off &&
        strcmp(old_name ? old_name : "", name ? name : "") == 0) {
        /* The calendar already says so: nothing to write (the bump is rolled back). */
        store_rollback(c);
        if (changed)
            *changed = false;
        if (version)
            *version = v - 1;
        goto out;
    }
    before = day_image(cal, date);
    rc = cal_set_day(cal, date, off, name) ? err_set(e, RC_INVALID, "date", "日期无效") : RC_OK;
    if (rc == RC_OK)
        rc = store_prepare(c,
                           "INSERT INTO calendar_days (date, off, name, notice_year, updated_at, "
                           "updated_by) VALUES (?, ?, ?, NULL, ?, ?) ON CONFLICT (date) DO UPDATE "
                           "SET off = excluded.off, name = excluded.name, notice_year = NULL, "
                           "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                           &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, text);
        store_bind_int(st, 2, off);
        store_bind_text(st, 3, name);
        store_bind_int(st, 4, time_now_ms());
        store_bind_text(st, 5, who->name);
        rc = store_run(st, e);
        store_finish(st);
    }
    if (rc == RC_OK) {
        after = day_image(cal, date);
        struct audit_event ev = {"calendar.day.set", "calendar_day", text, before, after};
        rc = audit_append(c, who, &ev, NULL, e);
    }
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (rc == RC_OK) {
        if (changed)
            *changed = true;
        if (version)
            *version = v;
    }
out:
    if (store_in_txn(c))
        store_rollback(c);
    json_decref(before);
    json_decref(after);
    cal_free(cal);
    layer_cleanup(&l);
    return rc;
}

enum rc calendar_clear_day(struct conn *c, const struct audit_actor *who, int64_t date,
                           int64_t *version, struct err *e)
{
    assert(c && who);
    char text[CAL_DATE_TEXT];
    int64_t v = 0;
    struct layer l;
    struct cal *cal = NULL, *after_cal = NULL;
    json_t *before = NULL, *after = NULL;
    struct stmt *st;
    enum rc rc = begin_change(c, &v, &l, &cal, e);
    if (rc)
        return rc;
    fmt_date(date, text);
    before = day_image(cal, date);
    rc = store_prepare(c, "DELETE FROM calendar_days WHERE date = ?", &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, text);
        rc = store_run(st, e);
        if (rc == RC_OK && store_changes(st) == 0)
            rc = err_set(e, RC_NOTFOUND, "date", "%s 没有管理员录入的安排", text);
        store_finish(st);
    }
    if (rc == RC_OK) {
        layer_cleanup(&l);
        if ((rc = layer_read(c, &l, e)) == RC_OK)
            rc = layer_build(&l, &after_cal, e);
    }
    if (rc == RC_OK) {
        after = day_image(after_cal, date);
        struct audit_event ev = {"calendar.day.clear", "calendar_day", text, before, after};
        rc = audit_append(c, who, &ev, NULL, e);
    }
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (rc == RC_OK && version)
        *version = v;
    if (store_in_txn(c))
        store_rollback(c);
    json_decref(before);
    json_decref(after);
    cal_free(cal);
    cal_free(after_cal);
    layer_cleanup(&l);
    return rc;
}

/* The listed days of cal dated in [lo, hi] as [{date, off, name}]. */
static json_t *listed_days(const struct cal *cal, int64_t lo, int64_t hi)
{
    json_t *arr = json_array();
    for (int64_t d = lo; d <= hi; d++) {
        enum cal_day_kind k = cal_day_kind(cal, d);
        if (k != CAL_HOLIDAY && k != CAL_MAKEUP_WORKDAY)
            continue;
        char text[CAL_DATE_TEXT];
        const char *name = cal_day_name(cal, d);
        json_array_append_new(arr, json_pack("{s:s, s:b, s:o}", "date", cal_date_format(d, text),
                                             "off", k == CAL_HOLIDAY, "name",
                                             name && *name ? json_string(name) : json_null()));
    }
    return arr;
}

static enum rc stored_source(struct conn *c, int year, char *out, size_t n, bool *found,
                             struct err *e)
{
    struct stmt *st;
    *found = false;
    enum rc rc = store_prepare(c, "SELECT source FROM calendar_years WHERE year = ?", &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, year);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        snprintf(out, n, "%s", store_text(st, 0) ? store_text(st, 0) : "");
        *found = true;
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = RC_OK;
    }
    store_finish(st);
    return rc;
}

/* Checks the arguments of calendar_set_year that need no store. */
static enum rc check_year(int year, const struct cal_day *days, size_t n, const char *source,
                          struct err *e)
{
    if (year <= CAL_YEAR_MIN || year > CAL_YEAR_MAX)
        return err_set(e, RC_INVALID, "year", "年份应在 %d 至 %d 之间", CAL_YEAR_MIN + 1,
                       CAL_YEAR_MAX);
    if (!source || !*source || !utf8_valid(source, strlen(source)) ||
        utf8_len(source) > CALENDAR_SOURCE_MAX)
        return err_set(e, RC_INVALID, "source", "请填写通知文号（不超过 %d 个字符）",
                       CALENDAR_SOURCE_MAX);
    if (n > CALENDAR_MAX_YEAR_DAYS)
        return err_set(e, RC_INVALID, "days", "一年的安排最多 %d 天", CALENDAR_MAX_YEAR_DAYS);
    int64_t lo, hi;
    lo = time_days_from_civil(year - 1, 12, 1);
    hi = time_days_from_civil(year, 12, 31);
    for (size_t i = 0; i < n; i++) {
        char field[40], text[CAL_DATE_TEXT];
        snprintf(field, sizeof(field), "days[%zu].date", i);
        if (days[i].date < lo || days[i].date > hi)
            return err_set(e, RC_INVALID, field,
                           "日期 %s 不属于 %d 年的安排（应在 %d-12-01 至 %d-12-31 之间）",
                           cal_date_format(days[i].date, text), year, year - 1, year);
        for (size_t j = 0; j < i; j++)
            if (days[j].date == days[i].date)
                return err_set(e, RC_INVALID, field, "日期 %s 重复出现",
                               cal_date_format(days[i].date, text));
        if (!name_ok(days[i].name)) {
            snprintf(field, sizeof(field), "days[%zu].name", i);
            return err_set(e, RC_INVALID, field, "名称不能超过 %d 个字符", CALENDAR_NAME_MAX);
        }
    }
    return RC_OK;
}

enum rc calendar_set_year(struct conn *c, const struct audit_actor *who, int year,
                          const struct cal_day *days, size_t n, const char *source,
                          int64_t *version, struct err *e)
{
    assert(c && who && (days || n == 0));
    enum rc rc = check_year(year, days, n, source, e);
    if (rc)
        return rc;
    int64_t v = 0, lo, hi, jan1;
    lo = time_days_from_civil(year - 1, 12, 1);
    jan1 = time_days_from_civil(year, 1, 1);
    hi = time_days_from_civil(year, 12, 31);
    struct layer l;
    struct cal *cal = NULL;
    json_t *before = NULL, *after = NULL;
    struct stmt *st = NULL;
    char first_text[CAL_DATE_TEXT], last_text[CAL_DATE_TEXT], old_source[512];
    bool had = false;
    if ((rc = begin_change(c, &v, &l, &cal, e)))
        return rc;
    int first, last;
    cal_coverage(cal, &first, &last);
    if (year < first - 1 || year > last + 1) {
        rc = err_set(e, RC_INVALID, "year",
                     "只能录入已覆盖年份或与之相邻的年份（当前覆盖 %d–%d 年），%d 年会留下空缺",
                     first, last, year);
        goto out;
    }
    rc = stored_source(c, year, old_source, sizeof(old_source), &had, e);
    if (rc)
        goto out;
    before =
        json_pack("{s:o, s:b, s:o}", "source", had ? json_string(old_source) : json_null(),
                  "covered", year >= first && year <= last, "days", listed_days(cal, jan1, hi));
    if (cal_set_year(cal, year, days, n)) {
        rc = err_set(e, RC_INVALID, "days", "%d 年的安排无法应用", year);
        goto out;
    }
    int64_t now = time_now_ms();
    /* Earlier entries of this notice, and single corrections it supersedes. */
    rc = store_prepare(c, "DELETE FROM calendar_days WHERE notice_year = ?", &st, e);
    if (rc == RC_OK) {
        store_bind_int(st, 1, year);
        rc = store_run(st, e);
        store_finish(st);
    }
    if (rc == RC_OK)
        rc = store_prepare(c,
                           "DELETE FROM calendar_days WHERE notice_year IS NULL AND date >= ? "
                           "AND date <= ?",
                           &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, cal_date_format(jan1, first_text));
        store_bind_text(st, 2, cal_date_format(hi, last_text));
        rc = store_run(st, e);
        store_finish(st);
    }
    for (size_t i = 0; i < n && rc == RC_OK; i++) {
        char text[CAL_DATE_TEXT];
        rc = store_prepare(c,
                           "INSERT INTO calendar_days (date, off, name, notice_year, updated_at, "
                           "updated_by) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (date) DO UPDATE "
                           "SET off = excluded.off, name = excluded.name, notice_year = "
                           "excluded.notice_year, updated_at = excluded.updated_at, updated_by = "
                           "excluded.updated_by",
                           &st, e);
        if (rc)
            break;
        store_bind_text(st, 1, cal_date_format(days[i].date, text));
        store_bind_int(st, 2, days[i].is_off_day);
        store_bind_text(st, 3, days[i].name && *days[i].name ? days[i].name : NULL);
        store_bind_int(st, 4, year);
        store_bind_int(st, 5, now);
        store_bind_text(st, 6, who->name);
        rc = store_run(st, e);
        store_finish(st);
    }
    if (rc == RC_OK)
        rc = store_prepare(c,
                           "INSERT INTO calendar_years (year, source, updated_at, updated_by) "
                           "VALUES (?, ?, ?, ?) ON CONFLICT (year) DO UPDATE SET source = "
                           "excluded.source, updated_at = excluded.updated_at, updated_by = "
                           "excluded.updated_by",
                           &st, e);
    if (rc == RC_OK) {
        store_bind_int(st, 1, year);
        store_bind_text(st, 2, source);
        store_bind_int(st, 3, now);
        store_bind_text(st, 4, who->name);
        rc = store_run(st, e);
        store_finish(st);
    }
    if (rc == RC_OK) {
        /* The notice's own days, previous December included. */
        after = json_pack("{s:s, s:b, s:o}", "source", source, "covered", true, "days",
                          listed_days(cal, lo, hi));
        char id[16];
        snprintf(id, sizeof(id), "%d", year);
        struct audit_event ev = {"calendar.year.set", "calendar_year", id, before, after};
        rc = audit_append(c, who, &ev, NULL, e);
    }
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (rc == RC_OK && version)
        *version = v;
out:
    if (store_in_txn(c))
        store_rollback(c);
    json_decref(before);
    json_decref(after);
    cal_free(cal);
    layer_cleanup(&l);
    return rc;
}

enum rc calendar_notices(struct conn *c, json_t **out, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               "SELECT y.year, y.source, y.updated_at, y.updated_by, (SELECT "
                               "COUNT(*) FROM calendar_days d WHERE d.notice_year = y.year) FROM "
                               "calendar_years y ORDER BY y.year",
                               &st, e);
    if (rc)
        return rc;
    json_t *arr = json_array();
    while ((rc = store_step(st, e)) == RC_ROW) {
        char at[40];
        time_fmt_cst(store_int(st, 2), at, sizeof(at));
        json_array_append_new(
            arr, json_pack("{s:I, s:s, s:I, s:s, s:s}", "year", (json_int_t)store_int(st, 0),
                           "source", store_text(st, 1), "n_days", (json_int_t)store_int(st, 4),
                           "updated_at", at, "updated_by", store_text(st, 3)));
    }
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return RC_OK;
}

/* ======================================================================== */
/* Presentation                                                              */
/* ======================================================================== */

const char *calendar_kind_name(enum cal_day_kind k)
{
    switch (k) {
    case CAL_WORKDAY:
        return "workday";
    case CAL_WEEKEND:
        return "weekend";
    case CAL_HOLIDAY:
        return "holiday";
    case CAL_MAKEUP_WORKDAY:
        return "makeup_workday";
    }
    return "workday";
}

const char *calendar_kind_label(enum cal_day_kind k)
{
    switch (k) {
    case CAL_WORKDAY:
        return "工作日";
    case CAL_WEEKEND:
        return "周末";
    case CAL_HOLIDAY:
        return "节假日";
    case CAL_MAKEUP_WORKDAY:
        return "调休上班";
    }
    return "工作日";
}

json_t *calendar_day_json(const struct cal *cal, int64_t date)
{
    char text[CAL_DATE_TEXT];
    enum cal_day_kind k = cal_day_kind(cal, date);
    const char *name = cal_day_name(cal, date);
    return json_pack("{s:s, s:i, s:s, s:s, s:o, s:b, s:b}", "date", cal_date_format(date, text),
                     "weekday", cal_weekday(date), "kind", calendar_kind_name(k), "kind_label",
                     calendar_kind_label(k), "name",
                     name && *name ? json_string(name) : json_null(), "working",
                     cal_is_working_day(cal, date), "covered", cal_covers(cal, date));
}

/* ======================================================================== */
/* The shared snapshot                                                       */
/* ======================================================================== */

struct snap {
    struct cal *cal;
    int64_t version;
    int refs;          /* references handed out, plus one while it is h->cur */
    struct snap *next; /* on h->live */
};

struct calendar_holder {
    struct store *db;
    int64_t check_ns;
    pthread_mutex_t mu;      /* guards cur, live, refs and last_check_ns */
    pthread_mutex_t load_mu; /* one loader at a time */
    struct snap *cur;
    struct snap *live;
    int64_t last_check_ns;
    uint64_t gen; /* store_topic_gen (calendar) before the last check */
};

static void snap_free(struct snap *s)
{
    if (s) {
        cal_free(s->cal);
        xfree(s);
    }
}

/* Unlinks s from h->live; h->mu is held. */
static void unlink_snap(struct calendar_holder *h, struct snap *s)
{
    for (struct snap **p = &h->live; *p; p = &(*p)->next)
        if (*p == s) {
            *p = s->next;
            return;
        }
}

/* Compares versions and swaps in a new calendar when they differ; load_mu is held. */
static enum rc reload(struct calendar_holder *h, struct conn *c, struct err *e)
{
    struct conn *own = NULL;
    enum rc rc = RC_OK;
    uint64_t gen;
    (void)store_topic_gen(h->db, STORE_TOPIC_CALENDAR, &gen); /* before the read */
    pthread_mutex_lock(&h->mu);
    h->last_check_ns = time_mono_ns();
    int64_t have = h->cur->version;
    pthread_mutex_unlock(&h->mu);
    if (!c) {
        if ((rc = store_acquire(h->db, &own, e)))
            return rc;
        c = own;
    }
    int64_t v = 0;
    struct cal *cal = NULL;
    rc = calendar_version(c, &v, e);
    if (rc == RC_OK && v != have)
        rc = calendar_load(c, &cal, &v, e);
    store_release(own);
    if (rc) /* a failed check leaves the topic's move pending: the next call retries */
        return rc;
    if (!cal) {
        pthread_mutex_lock(&h->mu);
        h->gen = gen;
        pthread_mutex_unlock(&h->mu);
        return RC_OK;
    }
    struct snap *s = xcalloc(1, sizeof(*s)), *old_free = NULL;
    s->cal = cal;
    s->version = v;
    s->refs = 1;
    pthread_mutex_lock(&h->mu);
    struct snap *old = h->cur;
    s->next = h->live;
    h->live = s;
    h->cur = s;
    h->gen = gen;
    if (--old->refs == 0) {
        unlink_snap(h, old);
        old_free = old;
    }
    pthread_mutex_unlock(&h->mu);
    snap_free(old_free);
    log_info("calendar: now at version %lld", (long long)v);
    return RC_OK;
}

enum rc calendar_holder_new(struct store *db, int64_t check_ms, struct calendar_holder **out,
                            struct err *e)
{
    assert(db && out);
    struct conn *c;
    struct cal *cal = NULL;
    int64_t v = 0;
    uint64_t gen;
    (void)store_topic_gen(db, STORE_TOPIC_CALENDAR, &gen); /* before the read */
    enum rc rc = store_acquire(db, &c, e);
    if (rc)
        return rc;
    rc = calendar_load(c, &cal, &v, e);
    store_release(c);
    if (rc)
        return rc;
    struct calendar_holder *h = xcalloc(1, sizeof(*h));
    h->db = db;
    h->check_ns = (check_ms > 0 ? check_ms : 0) * 1000000;
    pthread_mutex_init(&h->mu, NULL);
    pthread_mutex_init(&h->load_mu, NULL);
    h->cur = xcalloc(1, sizeof(*h->cur));
    h->cur->cal = cal;
    h->cur->version = v;
    h->cur->refs = 1;
    h->live = h->cur;
    h->last_check_ns = time_mono_ns();
    h->gen = gen;
    *out = h;
    return RC_OK;
}

void calendar_holder_free(struct calendar_holder *h)
{
    if (!h)
        return;
    for (struct snap *s = h->live, *next; s; s = next) {
        next = s->next;
        if (s != h->cur)
            log_warn("calendar: snapshot version %lld freed with %d reference(s) held",
                     (long long)s->version, s->refs);
        snap_free(s);
    }
    pthread_mutex_destroy(&h->mu);
    pthread_mutex_destroy(&h->load_mu);
    xfree(h);
}

const struct cal *calendar_current(struct calendar_holder *h, struct conn *c, int64_t *version)
{
    assert(h);
    /* Due when the periodic check is; where the change channel listens, as soon as the
     * calendar topic moved, and otherwise only as a safety net. */
    uint64_t gen;
    bool live = store_topic_gen(h->db, STORE_TOPIC_CALENDAR, &gen);
    int64_t safety_ns = (int64_t)CALENDAR_CHECK_NOTIFIED_MS * 1000000;
    int64_t every = live && h->check_ns > 0 && h->check_ns < safety_ns ? safety_ns : h->check_ns;
    pthread_mutex_lock(&h->mu);
    bool due = time_mono_ns() - h->last_check_ns >= every || (live && gen != h->gen);
    pthread_mutex_unlock(&h->mu);
    /* Whoever finds the check due and the loader free does it; the rest go on. */
    if (due && pthread_mutex_trylock(&h->load_mu) == 0) {
        struct err e;
        err_clear(&e);
        enum rc rc = reload(h, c, &e);
        pthread_mutex_unlock(&h->load_mu);
        if (rc)
            log_warn("calendar: version check failed, keeping the loaded calendar: %s (%s)",
                     e.msg[0] ? e.msg : rc_str(rc), rc_name(rc));
    }
    pthread_mutex_lock(&h->mu);
    struct snap *s = h->cur;
    s->refs++;
    if (version)
        *version = s->version;
    pthread_mutex_unlock(&h->mu);
    return s->cal;
}

void calendar_release(struct calendar_holder *h, const struct cal *cal)
{
    assert(h);
    if (!cal)
        return;
    struct snap *dead = NULL;
    pthread_mutex_lock(&h->mu);
    for (struct snap *s = h->live; s; s = s->next)
        if (s->cal == cal) {
            if (--s->refs == 0) {
                unlink_snap(h, s);
                dead = s;
            }
            break;
        }
    pthread_mutex_unlock(&h->mu);
    snap_free(dead);
}

enum rc calendar_refresh(struct calendar_holder *h, struct conn *c, struct err *e)
{
    assert(h);
    pthread_mutex_lock(&h->load_mu);
    enum rc rc = reload(h, c, e);
    pthread_mutex_unlock(&h->load_mu);
    return rc;
}
