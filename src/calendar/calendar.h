/* SPDX-License-Identifier: Apache-2.0 */
/*
 * calendar: the working-day calendar as a service — the administrators' layer over
 * the built-in State Council notices, kept in the store, and one shared, immutable,
 * swappable struct cal for the server.
 *
 * src/cal is pure arithmetic over a struct cal; this module is what gives it a
 * history: the tables calendar_days (single corrections, and the days of a year's
 * notice entered by an administrator), calendar_years (the years whose notice was
 * entered, which extends coverage) and calendar_version (a counter bumped by every
 * change). calendar_load() builds a struct cal from the built-in table plus those
 * rows; every change runs in one transaction with its audit event and the version
 * bump, and is checked against the calendar it would produce before it is written,
 * so a refused change writes nothing.
 *
 * The holder gives request threads a reference-counted snapshot: calendar_current()
 * returns the newest struct cal, which stays valid (and unchanged) until the
 * matching calendar_release(), however many reloads happen meanwhile. At most once
 * per check interval (1 s in the server) one caller compares the stored version with
 * the snapshot's and loads a new calendar when it differs, so several server
 * processes sharing one database converge within a second of an administrator's
 * edit; the process that made the edit calls calendar_refresh() and sees it at once.
 *
 *     const struct cal *cal = calendar_current(app->calendar, NULL, NULL);
 *     rc = cal_add_working_days(cal, start, 5, true, &due, &beyond);
 *     calendar_release(app->calendar, cal);
 *
 * Layering: calendar sits beside the domain modules (api -> calendar -> cal, store,
 * audit -> base); src/cal never includes it. See docs/internals/calendar.md.
 */
#ifndef QIFU_CALENDAR_H
#define QIFU_CALENDAR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/rc.h"
#include "../cal/cal.h"

struct conn;
struct store;
struct audit_actor;
struct calendar_holder;

/* How often the server's holder compares the stored version (milliseconds). Where the
 * change channel listens (store_topic_gen, PostgreSQL) the holder re-checks as soon as the
 * "calendar" topic moves, and then only every CALENDAR_CHECK_NOTIFIED_MS as a safety net. */
#define CALENDAR_CHECK_MS 1000
#define CALENDAR_CHECK_NOTIFIED_MS 30000
/* Longest day name an administrator may enter, in characters (3 UTF-8 bytes each at most). */
#define CALENDAR_NAME_MAX 40
/* Longest notice source ("国办发明电〔2026〕7号"), in characters. */
#define CALENDAR_SOURCE_MAX 100
/* Most days one year's notice may list. */
#define CALENDAR_MAX_YEAR_DAYS 120

/* ---- The stored layer ------------------------------------------------------- */

/*
 * Builds a calendar from the built-in notices plus the stored years (each replacing
 * its year, which extends coverage) and then the single corrections. *out is new
 * (cal_free); *version (may be NULL) receives the calendar_version it reflects.
 * The version is read first, so a concurrent edit can only make the result newer
 * than its version, never older (a later check then reloads it). Store errors as
 * rc; RC_INTERNAL if the stored rows cannot be applied (e.g. a gap in the years).
 */
enum rc calendar_load(struct conn *c, struct cal **out, int64_t *version,
                      struct err *e) WARN_UNUSED;

/* Reads calendar_version into *out. */
enum rc calendar_version(struct conn *c, int64_t *out, struct err *e) WARN_UNUSED;

/*
 * Lists date as a day off (off) or a make-up working day, with name (may be NULL),
 * replacing what the built-in table or an entered notice says about it; coverage
 * does not change. Audited ("calendar.day.set", entity calendar_day, id the date)
 * in the same transaction as the version bump. When the calendar already says
 * exactly that, nothing is written and *changed is false. *version (may be NULL)
 * receives the version after the call. RC_INVALID naming "name" for a name longer
 * than CALENDAR_NAME_MAX characters, or "date" for a date outside 1900-9999.
 */
enum rc calendar_set_day(struct conn *c, const struct audit_actor *who, int64_t date, bool off,
                         const char *name, bool *changed, int64_t *version,
                         struct err *e) WARN_UNUSED;

/*
 * Removes the administrators' entry for date (a correction or a day of an entered
 * notice), so the built-in table decides again. Audited ("calendar.day.clear").
 * RC_NOTFOUND when no entry exists for that date.
 */
enum rc calendar_clear_day(struct conn *c, const struct audit_actor *who, int64_t date,
                           int64_t *version, struct err *e) WARN_UNUSED;

/*
 * Replaces year's notice with the n days given (dates from 1 December of the year
 * before to 31 December of the year, as the notices list them) and marks the year as
 * covered, with source (the notice's number, required). Earlier entries of that
 * notice and single corrections dated in the year or on a listed date are replaced.
 * Audited ("calendar.year.set", entity calendar_year, id the year). RC_INVALID with
 * the field named ("year", "source", "days", "days[i].date", "days[i].name") for a
 * year that would leave a gap in coverage (it must be covered already or next to the
 * covered years), a date outside the notice's range, a date listed twice, or a bad
 * name; nothing is written then.
 */
enum rc calendar_set_year(struct conn *c, const struct audit_actor *who, int year,
                          const struct cal_day *days, size_t n, const char *source,
                          int64_t *version, struct err *e) WARN_UNUSED;

/*
 * Lists the years whose notice an administrator entered, oldest first, as a new JSON
 * array of {year, source, n_days, updated_at (RFC 3339 +08:00), updated_by}.
 */
enum rc calendar_notices(struct conn *c, json_t **out, struct err *e) WARN_UNUSED;

/* ---- Presentation ----------------------------------------------------------- */

/* Returns "workday", "weekend", "holiday" or "makeup_workday". */
const char *calendar_kind_name(enum cal_day_kind k);
/* Returns "工作日", "周末", "节假日" or "调休上班". */
const char *calendar_kind_label(enum cal_day_kind k);
/* Returns a new JSON object {date, weekday, kind, kind_label, name|null, working, covered}. */
json_t *calendar_day_json(const struct cal *cal, int64_t date);

/* ---- The shared snapshot ---------------------------------------------------- */

/*
 * Creates a holder over db and loads the calendar once (errors of calendar_load are
 * returned and nothing is made). check_ms is the least time between two version
 * checks (CALENDAR_CHECK_MS; 0 checks on every calendar_current). *out is new
 * (calendar_holder_free).
 */
enum rc calendar_holder_new(struct store *db, int64_t check_ms, struct calendar_holder **out,
                            struct err *e) WARN_UNUSED;
/*
 * Frees h and its current calendar (h may be NULL). Every snapshot must have been
 * released.
 */
void calendar_holder_free(struct calendar_holder *h);

/*
 * Returns a referenced snapshot of the newest calendar: borrowed, immutable, valid
 * until calendar_release(h, it). Never NULL. When a version check is due, c (a
 * connection the caller holds, may be NULL: the holder then takes one from the
 * store for the moment) is used to read the stored version and, if it changed, to
 * load the new calendar; a failing check is logged and the old calendar kept.
 * Only one thread checks at a time; the others get the current snapshot at once.
 * *version (may be NULL) receives the snapshot's version.
 */
const struct cal *calendar_current(struct calendar_holder *h, struct conn *c, int64_t *version);

/* Drops the reference calendar_current() returned (cal may be NULL). */
void calendar_release(struct calendar_holder *h, const struct cal *cal);

/*
 * Checks the stored version now (through c, which may be NULL as for
 * calendar_current) and swaps in a new calendar when it differs. Call it after a
 * change, so this process answers with the change at once.
 */
enum rc calendar_refresh(struct calendar_holder *h, struct conn *c, struct err *e) WARN_UNUSED;

#endif
