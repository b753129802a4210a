/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of src/category: the deadline rules on real notices (Spring Festival and
 * National Day of 2024-2026 with their 调休 weekends, checked against
 * ../shared/refdata/holidays/YYYY.json), the beyond-coverage flag past 2026 and how
 * entering 2027 clears it; then, on SQLite and PostgreSQL, the seeded tree, limits,
 * creation and changes with their refusals, and the dispatch catalogue (longest
 * prefix, parent fallback, no suggestion).
 */
#include <string.h>

#include "audit/audit.h"
#include "base/rc.h"
#include "base/timeutil.h"
#include "cal/cal.h"
#include "category/category.h"
#include "org/org.h"
#include "unit.h"
#include "unit_db.h"

/* ---- helpers ------------------------------------------------------------------- */

/* The instant of an RFC 3339 literal of the test. */
static int64_t T(const char *s)
{
    int64_t ms = 0;
    ck_assert_msg(time_parse(s, &ms) == RC_OK, "bad literal %s", s);
    return ms;
}

/* Formats an instant as +08:00 text into a static buffer (one use per assert). */
static const char *cst(int64_t ms)
{
    static char buf[40];
    time_fmt_cst(ms, buf, sizeof(buf));
    return buf;
}

#define ASSERT_DUE(d, text, beyond)                                                                \
    do {                                                                                           \
        ck_assert_str_eq(cst((d).at), text);                                                       \
        ck_assert_int_eq((d).beyond_coverage, beyond);                                             \
    } while (0)

static struct category_deadline days(const struct cal *c, const char *start,
                                     enum category_urgency u, int n)
{
    struct category_deadline d = {0};
    ck_assert_int_eq(category_deadline_days(c, T(start), u, n, &d), RC_OK);
    return d;
}

static struct category_deadline hours(const struct cal *c, const char *start, int n)
{
    struct category_deadline d = {0};
    ck_assert_int_eq(category_deadline_hours(c, T(start), n, &d), RC_OK);
    return d;
}

/* ---- deadlines (pure) ---------------------------------------------------------- */

START_TEST(sign_for_hours)
{
    struct cal *c = cal_new();
    /* Within one day, across lunch, ending exactly at noon. */
    ASSERT_DUE(hours(c, "2025-09-29T11:00:00+08:00", 2), "2025-09-29T14:30:00+08:00", false);
    ASSERT_DUE(hours(c, "2025-09-29T09:00:00+08:00", 3), "2025-09-29T12:00:00+08:00", false);
    /* Before office hours and at lunch: the count starts at the next period. */
    ASSERT_DUE(hours(c, "2025-09-29T07:10:00+08:00", 1), "2025-09-29T10:00:00+08:00", false);
    ASSERT_DUE(hours(c, "2025-09-29T12:40:00+08:00", 1), "2025-09-29T14:30:00+08:00", false);
    /* National Day 2025: 1.5 h on 09-30, then 10-01..10-08 off. */
    ASSERT_DUE(hours(c, "2025-09-30T16:00:00+08:00", 4), "2025-10-09T11:30:00+08:00", false);
    /* Spring Festival 2024: 02-10..02-17 off, Sunday 02-18 is a make-up working day. */
    ASSERT_DUE(hours(c, "2024-02-09T16:00:00+08:00", 4), "2024-02-18T11:30:00+08:00", false);
    /* Spring Festival 2026: Saturday 02-14 is a make-up working day. */
    ASSERT_DUE(hours(c, "2026-02-13T16:30:00+08:00", 2), "2026-02-14T10:00:00+08:00", false);
    /* An ordinary weekend is skipped; the UTC form of the start makes no difference. */
    ASSERT_DUE(hours(c, "2025-10-17T08:00:00Z", 4), "2025-10-20T11:30:00+08:00", false);
    /* Given after office hours on a working day. */
    ASSERT_DUE(hours(c, "2025-10-20T19:00:00+08:00", 1), "2025-10-21T10:00:00+08:00", false);
    struct category_deadline d;
    ck_assert_int_eq(category_deadline_hours(c, T("2025-10-20T19:00:00+08:00"), -1, &d),
                     RC_INVALID);
    cal_free(c);
}
END_TEST

START_TEST(reply_days_next_day)
{
    struct cal *c = cal_new();
    /* 次日起算: the day of receipt never counts, whatever the hour. */
    ASSERT_DUE(days(c, "2025-09-29T10:00:00+08:00", CATEGORY_NORMAL, 4),
               "2025-10-11T17:30:00+08:00", false); /* the 调休 Saturday */
    ASSERT_DUE(days(c, "2025-09-29T10:00:00+08:00", CATEGORY_NORMAL, 5),
               "2025-10-13T17:30:00+08:00", false);
    ASSERT_DUE(days(c, "2025-09-29T00:05:00+08:00", CATEGORY_URGENT, 1),
               "2025-09-30T17:30:00+08:00", false);
    /* Spring Festival 2024: Friday 02-09, then the make-up Sunday 02-18 is day 1. */
    ASSERT_DUE(days(c, "2024-02-09T10:00:00+08:00", CATEGORY_NORMAL, 3),
               "2024-02-20T17:30:00+08:00", false);
    /* National Day 2024: make-up Sunday 09-29, Monday 09-30, then Tuesday 10-08. */
    ASSERT_DUE(days(c, "2024-09-27T15:00:00+08:00", CATEGORY_URGENT, 3),
               "2024-10-08T17:30:00+08:00", false);
    /* Spring Festival 2025: make-up Sunday 01-26, Monday 01-27, then 02-05. */
    ASSERT_DUE(days(c, "2025-01-24T10:00:00+08:00", CATEGORY_NORMAL, 3),
               "2025-02-05T17:30:00+08:00", false);
    /* Spring Festival 2026: 02-14 (make-up Saturday), 02-24..02-27, 02-28 (make-up Saturday). */
    ASSERT_DUE(days(c, "2026-02-13T10:00:00+08:00", CATEGORY_NORMAL, 5),
               "2026-02-27T17:30:00+08:00", false);
    ASSERT_DUE(days(c, "2026-02-13T10:00:00+08:00", CATEGORY_NORMAL, 6),
               "2026-02-28T17:30:00+08:00", false);
    /* National Day 2026: make-up Sunday 09-20 is the first working day after Friday 09-18. */
    ASSERT_DUE(days(c, "2026-09-18T10:00:00+08:00", CATEGORY_URGENT, 1),
               "2026-09-20T17:30:00+08:00", false);
    /* A start on a holiday: the next working day is day 1. */
    ASSERT_DUE(days(c, "2026-10-03T10:00:00+08:00", CATEGORY_NORMAL, 2),
               "2026-10-09T17:30:00+08:00", false);
    cal_free(c);
}
END_TEST

START_TEST(reply_days_critical)
{
    struct cal *c = cal_new();
    ck_assert(category_counts_from_next_day(CATEGORY_NORMAL));
    ck_assert(category_counts_from_next_day(CATEGORY_URGENT));
    ck_assert(!category_counts_from_next_day(CATEGORY_CRITICAL));
    /* 特急 counts the day of receipt while its office day lasts. */
    ASSERT_DUE(days(c, "2025-09-30T10:00:00+08:00", CATEGORY_CRITICAL, 1),
               "2025-09-30T17:30:00+08:00", false);
    ASSERT_DUE(days(c, "2025-09-30T10:00:00+08:00", CATEGORY_CRITICAL, 2),
               "2025-10-09T17:30:00+08:00", false);
    ASSERT_DUE(days(c, "2025-09-30T17:29:00+08:00", CATEGORY_CRITICAL, 1),
               "2025-09-30T17:30:00+08:00", false);
    /* After 17:30 the next working day is day 1. */
    ASSERT_DUE(days(c, "2025-09-30T17:45:00+08:00", CATEGORY_CRITICAL, 2),
               "2025-10-10T17:30:00+08:00", false);
    /* On a holiday, likewise; on a make-up Saturday the day itself counts. */
    ASSERT_DUE(days(c, "2025-10-03T10:00:00+08:00", CATEGORY_CRITICAL, 1),
               "2025-10-09T17:30:00+08:00", false);
    ASSERT_DUE(days(c, "2025-02-08T09:30:00+08:00", CATEGORY_CRITICAL, 1),
               "2025-02-08T17:30:00+08:00", false);
    ASSERT_DUE(days(c, "2025-02-08T09:30:00+08:00", CATEGORY_NORMAL, 1),
               "2025-02-10T17:30:00+08:00", false);
    struct category_deadline d;
    ck_assert_int_eq(
        category_deadline_days(c, T("2025-02-08T09:30:00+08:00"), CATEGORY_NORMAL, -1, &d),
        RC_INVALID);
    ck_assert_int_eq(category_deadline_days(c, T("2025-02-08T09:30:00+08:00"), CATEGORY_NORMAL,
                                            CAL_MAX_WORKING_DAYS + 1, &d),
                     RC_INVALID);
    cal_free(c);
}
END_TEST

START_TEST(beyond_coverage)
{
    struct cal *c = cal_new();
    /* Ends on 2026-12-31: every day counted is known. */
    ASSERT_DUE(days(c, "2026-12-28T10:00:00+08:00", CATEGORY_NORMAL, 3),
               "2026-12-31T17:30:00+08:00", false);
    /* Runs into 2027, whose notice is not known: 2027-01-01 is assumed a working Friday. */
    ASSERT_DUE(days(c, "2026-12-28T10:00:00+08:00", CATEGORY_NORMAL, 5),
               "2027-01-04T17:30:00+08:00", true);
    ASSERT_DUE(hours(c, "2026-12-31T17:00:00+08:00", 2), "2027-01-01T10:30:00+08:00", true);
    ASSERT_DUE(hours(c, "2026-12-31T09:00:00+08:00", 2), "2026-12-31T11:00:00+08:00", false);
    ASSERT_DUE(days(c, "2027-03-01T10:00:00+08:00", CATEGORY_CRITICAL, 1),
               "2027-03-01T17:30:00+08:00", true);
    /* An administrator enters the 2027 notice: the flags clear and the answers move. */
    struct cal_day y2027[] = {
        {0, true, "元旦"},
    };
    ck_assert_int_eq(cal_date_parse("2027-01-01", &y2027[0].date), RC_OK);
    ck_assert_int_eq(cal_set_year(c, 2027, y2027, 1), RC_OK);
    ASSERT_DUE(days(c, "2026-12-28T10:00:00+08:00", CATEGORY_NORMAL, 5),
               "2027-01-05T17:30:00+08:00", false);
    ASSERT_DUE(hours(c, "2026-12-31T17:00:00+08:00", 2), "2027-01-04T10:30:00+08:00", false);
    ASSERT_DUE(days(c, "2027-03-01T10:00:00+08:00", CATEGORY_CRITICAL, 1),
               "2027-03-01T17:30:00+08:00", false);
    /* 2028 is still unknown. */
    ASSERT_DUE(days(c, "2027-12-27T10:00:00+08:00", CATEGORY_NORMAL, 5),
               "2028-01-03T17:30:00+08:00", true);
    cal_free(c);
}
END_TEST

START_TEST(all_three)
{
    struct cal *c = cal_new();
    struct category_limits lim = {.sign_hours = 2, .reply_days = 3, .rectify_days = 5};
    struct category_deadlines all;
    ck_assert_int_eq(
        category_deadlines(c, T("2025-09-30T16:00:00+08:00"), CATEGORY_URGENT, &lim, &all), RC_OK);
    ASSERT_DUE(all.sign, "2025-10-09T09:30:00+08:00", false);
    ASSERT_DUE(all.reply, "2025-10-11T17:30:00+08:00", false);   /* 10-09, 10-10, 10-11 */
    ASSERT_DUE(all.rectify, "2025-10-14T17:30:00+08:00", false); /* ..., 10-13, 10-14 */
    ck_assert_int_eq(
        category_deadlines(c, T("2025-09-30T16:00:00+08:00"), CATEGORY_CRITICAL, &lim, &all),
        RC_OK);
    ASSERT_DUE(all.reply, "2025-10-10T17:30:00+08:00", false); /* 09-30, 10-09, 10-10 */
    cal_free(c);
}
END_TEST

/*
 * A sign-for deadline is never later than the reply deadline: 特急 complaints (sign 1 h,
 * reply 1 working day counted from the same day) at fixed instants around 17:30, on a
 * Friday evening, the eve of a 调休 weekend, New Year's Eve and the last covered day.
 */
START_TEST(sign_never_after_reply)
{
    struct cal *c = cal_new();
    struct category_limits lim = {.sign_hours = 1, .reply_days = 1, .rectify_days = 2};
    static const struct {
        const char *at, *sign, *reply;
        bool beyond;
    } cases[] = {
        /* Tuesday, before 16:30: one office hour fits before 17:30. */
        {"2026-03-10T16:00:00+08:00", "2026-03-10T17:00:00+08:00", "2026-03-10T17:30:00+08:00",
         false},
        /* Tuesday 16:30-17:30: the hour runs into Wednesday, the reply ends today. */
        {"2026-03-10T16:45:00+08:00", "2026-03-10T17:30:00+08:00", "2026-03-10T17:30:00+08:00",
         false},
        {"2026-03-10T17:29:00+08:00", "2026-03-10T17:30:00+08:00", "2026-03-10T17:30:00+08:00",
         false},
        /* At and after 17:30 both count from the next working day. */
        {"2026-03-10T17:30:00+08:00", "2026-03-11T10:00:00+08:00", "2026-03-11T17:30:00+08:00",
         false},
        {"2026-03-10T18:00:00+08:00", "2026-03-11T10:00:00+08:00", "2026-03-11T17:30:00+08:00",
         false},
        /* Friday evening: Monday. */
        {"2026-03-13T17:00:00+08:00", "2026-03-13T17:30:00+08:00", "2026-03-13T17:30:00+08:00",
         false},
        {"2026-03-13T18:30:00+08:00", "2026-03-16T10:00:00+08:00", "2026-03-16T17:30:00+08:00",
         false},
        /* Friday before the 调休 Saturday 2026-02-14 (春节 from 02-15). */
        {"2026-02-13T17:00:00+08:00", "2026-02-13T17:30:00+08:00", "2026-02-13T17:30:00+08:00",
         false},
        {"2026-02-13T18:00:00+08:00", "2026-02-14T10:00:00+08:00", "2026-02-14T17:30:00+08:00",
         false},
        /* New Year's Eve 2025: 元旦 01-01..03, the 调休 Sunday 2026-01-04. */
        {"2025-12-31T17:10:00+08:00", "2025-12-31T17:30:00+08:00", "2025-12-31T17:30:00+08:00",
         false},
        {"2025-12-31T19:00:00+08:00", "2026-01-04T10:00:00+08:00", "2026-01-04T17:30:00+08:00",
         false},
        /* The last covered day: the same day is known, the next one is provisional. */
        {"2026-12-31T17:00:00+08:00", "2026-12-31T17:30:00+08:00", "2026-12-31T17:30:00+08:00",
         false},
        {"2026-12-31T18:00:00+08:00", "2027-01-01T10:00:00+08:00", "2027-01-01T17:30:00+08:00",
         true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct category_deadlines all;
        ck_assert_int_eq(category_deadlines(c, T(cases[i].at), CATEGORY_CRITICAL, &lim, &all),
                         RC_OK);
        ck_assert_msg(all.sign.at <= all.reply.at, "%s: sign after reply", cases[i].at);
        ASSERT_DUE(all.sign, cases[i].sign, cases[i].beyond);
        ASSERT_DUE(all.reply, cases[i].reply, cases[i].beyond);
    }
    cal_free(c);
}
END_TEST

START_TEST(names)
{
    enum category_urgency u = CATEGORY_NORMAL;
    ck_assert(category_urgency_parse("critical", &u) && u == CATEGORY_CRITICAL);
    ck_assert(category_urgency_parse("urgent", &u) && u == CATEGORY_URGENT);
    ck_assert(!category_urgency_parse("Urgent", &u));
    ck_assert(!category_urgency_parse(NULL, &u));
    ck_assert_str_eq(category_urgency_name(CATEGORY_NORMAL), "normal");
    ck_assert_str_eq(category_urgency_label(CATEGORY_CRITICAL), "特急");
    ck_assert_str_eq(category_kind_label("complaint"), "投诉");
    ck_assert_str_eq(category_kind_label("topic"), "业务主题");
    ck_assert_ptr_null(category_kind_label("praise!"));
}
END_TEST

/* ---- store-backed: the tree and its limits -------------------------------------- */

static const struct audit_actor who = {"cli:test", ""};

static int64_t audits(struct conn *c, const char *action)
{
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM audit WHERE action = '%s'", action);
    return unit_db_int(c, sql);
}

START_TEST(seeded_tree)
{
    struct store *s = unit_db_open(1);
    struct conn *c = unit_db_take(s);
    struct err e = {0};
    json_t *tree = NULL;
    ck_assert_int_eq(category_tree(c, false, &tree, &e), RC_OK);
    ck_assert_int_eq(json_array_size(tree), 6);
    const char *tops[] = {"consult", "help", "complaint", "report", "suggestion", "praise"};
    for (size_t i = 0; i < 6; i++)
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(tree, i), "code")),
                         tops[i]);
    json_t *help = json_object_get(json_array_get(tree, 1), "children");
    ck_assert_int_eq(json_array_size(help), 9);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(help, 0), "name")), "融资");
    json_t *complaint = json_object_get(json_array_get(tree, 2), "children");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(complaint, 0), "code")),
                     "enforcement");
    json_decref(tree);

    struct category_limits lim;
    ck_assert_int_eq(category_limits_of(c, "financing", "urgent", &lim, &e), RC_OK);
    ck_assert(lim.sign_hours == 2 && lim.reply_days == 3 && lim.rectify_days == 3);
    ck_assert_int_eq(category_limits_of(c, "consult", "normal", &lim, &e), RC_OK);
    ck_assert(lim.sign_hours == 4 && lim.reply_days == 3);
    ck_assert_int_eq(category_limits_of(c, "financing", "soon", &lim, &e), RC_INVALID);
    ck_assert_str_eq(e.field, "urgency");
    ck_assert_int_eq(category_limits_of(c, "nope", "normal", &lim, &e), RC_NOTFOUND);
    ck_assert_str_eq(e.field, "category");
    store_release(c);
    store_close(s);
}
END_TEST

START_TEST(create_and_update)
{
    struct store *s = unit_db_open(1);
    struct conn *c = unit_db_take(s);
    struct err e = {0};
    struct pool pool;
    pool_init(&pool);
    /* A topic under 求助 copies its parent's limits unless told otherwise. */
    struct category_change ch;
    category_change_init(&ch);
    ch.code = "export";
    ch.name = "外贸出口";
    ch.has_parent = true;
    ch.parent = "help";
    ch.limits[CATEGORY_URGENT][1] = 2; /* urgent reply_days */
    ck_assert_int_eq(category_create(c, &who, &ch, &e), RC_OK);
    struct category cat;
    ck_assert_int_eq(category_get(c, "export", &pool, &cat, &e), RC_OK);
    ck_assert_str_eq(cat.kind, "topic");
    ck_assert_str_eq(cat.parent, "help");
    ck_assert_int_eq(cat.limits[CATEGORY_NORMAL].reply_days, 5);
    ck_assert_int_eq(cat.limits[CATEGORY_URGENT].reply_days, 2);
    ck_assert_int_eq(audits(c, "category.create"), 1);

    /* Refusals write nothing. */
    int64_t n_audit = unit_db_int(c, "SELECT COUNT(*) FROM audit");
    ck_assert_int_eq(category_create(c, &who, &ch, &e), RC_EXISTS);
    ck_assert_str_eq(e.field, "code");
    ch.code = "Export";
    ck_assert_int_eq(category_create(c, &who, &ch, &e), RC_INVALID);
    ck_assert_str_eq(e.field, "code");
    ch.code = "export2";
    ch.limits[CATEGORY_CRITICAL][1] = 4; /* critical reply longer than urgent's 2 */
    ck_assert_int_eq(category_create(c, &who, &ch, &e), RC_INVALID);
    ck_assert_str_eq(e.field, "limits.critical.reply_days");
    ch.limits[CATEGORY_CRITICAL][1] = -1;
    ch.parent = "nope";
    ck_assert_int_eq(category_create(c, &who, &ch, &e), RC_INVALID);
    ck_assert_str_eq(e.field, "parent");
    category_change_init(&ch);
    ch.code = "toplevel";
    ch.name = "顶级类别";
    ck_assert_int_eq(category_create(c, &who, &ch, &e), RC_INVALID);
    ck_assert_str_eq(e.field, "limits");
    ck_assert_int_eq(unit_db_int(c, "SELECT COUNT(*) FROM audit"), n_audit);
    ck_assert_int_eq(unit_db_int(c, "SELECT COUNT(*) FROM categories"), 17);

    /* A change; the same change again writes nothing. */
    bool changed = false;
    category_change_init(&ch);
    ch.has_sort = true;
    ch.sort = 5;
    ch.limits[CATEGORY_NORMAL][0] = 8;
    ck_assert_int_eq(category_update(c, &who, "export", &ch, &changed, &e), RC_OK);
    ck_assert(changed);
    ck_assert_int_eq(category_update(c, &who, "export", &ch, &changed, &e), RC_OK);
    ck_assert(!changed);
    ck_assert_int_eq(audits(c, "category.update"), 1);

    /* The tree stays a tree. */
    category_change_init(&ch);
    ch.has_parent = true;
    ch.parent = "export";
    ck_assert_int_eq(category_update(c, &who, "help", &ch, &changed, &e), RC_INVALID);
    ck_assert_str_eq(e.field, "parent");
    ch.parent = "help";
    ck_assert_int_eq(category_update(c, &who, "help", &ch, &changed, &e), RC_INVALID);
    ck_assert_int_eq(category_update(c, &who, "missing", &ch, &changed, &e), RC_NOTFOUND);
    /* Moving to the top is allowed. */
    ch.parent = NULL;
    ck_assert_int_eq(category_update(c, &who, "export", &ch, &changed, &e), RC_OK);
    ck_assert(changed);

    /* An inactive category takes no new demands and leaves the public tree. */
    category_change_init(&ch);
    ch.has_active = true;
    ch.active = false;
    ck_assert_int_eq(category_update(c, &who, "help", &ch, &changed, &e), RC_OK);
    struct category_limits lim;
    ck_assert_int_eq(category_limits_of(c, "help", "normal", &lim, &e), RC_NOTFOUND);
    json_t *tree = NULL;
    ck_assert_int_eq(category_tree(c, false, &tree, &e), RC_OK);
    ck_assert_int_eq(json_array_size(tree), 6); /* five kinds and the moved "export" */
    json_decref(tree);
    ck_assert_int_eq(category_tree(c, true, &tree, &e), RC_OK);
    ck_assert_int_eq(json_array_size(tree), 7);
    json_decref(tree);
    pool_clear(&pool);
    store_release(c);
    store_close(s);
}
END_TEST

/* ---- store-backed: the dispatch catalogue ---------------------------------------- */

static int64_t make_org(struct conn *c, const char *code, const char *kind, const char *region,
                        const char *parent)
{
    struct org_new o = {code, "测试机构名称", kind, region, parent};
    struct err e = {0};
    int64_t id = 0;
    enum rc rc = org_create(c, &who, &o, &id, &e);
    ck_assert_msg(rc == RC_OK, "org_create %s: %s", code, e.msg);
    return id;
}

START_TEST(routes)
{
    struct store *s = unit_db_open(1);
    struct conn *c = unit_db_take(s);
    struct err e = {0};
    int64_t city = make_org(c, "340800", "city", "340800", NULL);
    int64_t qfzx = make_org(c, "340800-QFZX", "center", "340800", "340800");
    int64_t fgw = make_org(c, "340800-FGW", "department", "340800", "340800");
    int64_t jxj = make_org(c, "340800-JXJ", "department", "340800", "340800");
    int64_t county = make_org(c, "340822", "county", "340822", "340800");
    (void)city;

    struct category_route_entry help[] = {
        {"3408", "340800-QFZX", {NULL}, 0},
        {"340822", "340822", {"340800-QFZX"}, 1},
    };
    bool changed = false;
    ck_assert_int_eq(category_routes_set(c, &who, "help", help, 2, &changed, &e), RC_OK);
    ck_assert(changed);
    ck_assert_int_eq(category_routes_set(c, &who, "help", help, 2, &changed, &e), RC_OK);
    ck_assert(!changed);
    struct category_route_entry fin[] = {
        {"3408", "340800-FGW", {"340800-QFZX", "340800-JXJ"}, 2},
    };
    ck_assert_int_eq(category_routes_set(c, &who, "financing", fin, 1, &changed, &e), RC_OK);
    ck_assert_int_eq(audits(c, "category.routes.set"), 2);

    json_t *got = NULL;
    ck_assert_int_eq(category_routes_get(c, "help", &got, &e), RC_OK);
    ck_assert_int_eq(json_array_size(got), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(got, 0), "region_prefix")),
                     "340822"); /* longest first */
    json_decref(got);
    ck_assert_int_eq(category_routes_get(c, "financing", &got, &e), RC_OK);
    json_t *co = json_object_get(json_array_get(got, 0), "co");
    ck_assert_int_eq(json_array_size(co), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(co, 0), "code")),
                     "340800-JXJ"); /* by code */
    json_decref(got);

    /* Longest prefix on the category itself. */
    struct category_route r;
    ck_assert_int_eq(category_route(c, "financing", "340811", &r, &e), RC_OK);
    ck_assert_int_eq(r.lead, fgw);
    ck_assert_int_eq(r.n_co, 2);
    ck_assert(r.co[0] == jxj && r.co[1] == qfzx);
    ck_assert_str_eq(r.category, "financing");
    ck_assert_str_eq(r.region_prefix, "3408");
    /* Another city: financing has nothing, nor has help for it; no suggestion. */
    ck_assert_int_eq(category_route(c, "financing", "340100", &r, &e), RC_OK);
    ck_assert_int_eq(r.lead, 0);
    /* A topic without routes falls back to its parent, longest prefix there. */
    ck_assert_int_eq(category_route(c, "employment", "340822", &r, &e), RC_OK);
    ck_assert_int_eq(r.lead, county);
    ck_assert_int_eq(r.n_co, 1);
    ck_assert_int_eq(r.co[0], qfzx);
    ck_assert_str_eq(r.category, "help");
    ck_assert_str_eq(r.region_prefix, "340822");
    ck_assert_int_eq(category_route(c, "employment", "340811", &r, &e), RC_OK);
    ck_assert_int_eq(r.lead, qfzx);
    ck_assert_int_eq(r.n_co, 0);
    /* No region: only a "" prefix could match. */
    ck_assert_int_eq(category_route(c, "employment", NULL, &r, &e), RC_OK);
    ck_assert_int_eq(r.lead, 0);
    struct category_route_entry any[] = {{"", "340800-QFZX", {NULL}, 0}};
    ck_assert_int_eq(category_routes_set(c, &who, "consult", any, 1, &changed, &e), RC_OK);
    ck_assert_int_eq(category_route(c, "consult", NULL, &r, &e), RC_OK);
    ck_assert_int_eq(r.lead, qfzx);
    ck_assert_int_eq(category_route(c, "nope", "340811", &r, &e), RC_NOTFOUND);

    /* Refusals change nothing. */
    int64_t n_audit = unit_db_int(c, "SELECT COUNT(*) FROM audit");
    int64_t n_routes = unit_db_int(c, "SELECT COUNT(*) FROM category_routes");
    struct category_route_entry bad[] = {{"3408", "340800-NOPE", {NULL}, 0}};
    ck_assert_int_eq(category_routes_set(c, &who, "help", bad, 1, &changed, &e), RC_INVALID);
    ck_assert_str_eq(e.field, "routes[0].lead");
    struct category_route_entry bad_co[] = {
        {"3408", "340800-FGW", {"340800-JXJ", "340800-NOPE"}, 2}};
    ck_assert_int_eq(category_routes_set(c, &who, "help", bad_co, 1, &changed, &e), RC_INVALID);
    ck_assert_str_eq(e.field, "routes[0].co[1]");
    struct category_route_entry same[] = {{"3408", "340800-FGW", {"340800-FGW"}, 1}};
    ck_assert_int_eq(category_routes_set(c, &who, "help", same, 1, &changed, &e), RC_INVALID);
    ck_assert_str_eq(e.field, "routes[0].co[0]");
    struct category_route_entry dup[] = {{"3408", "340800-FGW", {NULL}, 0},
                                         {"3408", "340800-JXJ", {NULL}, 0}};
    ck_assert_int_eq(category_routes_set(c, &who, "help", dup, 2, &changed, &e), RC_INVALID);
    ck_assert_str_eq(e.field, "routes[1].region_prefix");
    struct category_route_entry letters[] = {{"34a8", "340800-FGW", {NULL}, 0}};
    ck_assert_int_eq(category_routes_set(c, &who, "help", letters, 1, &changed, &e), RC_INVALID);
    ck_assert_int_eq(category_routes_set(c, &who, "nope", help, 2, &changed, &e), RC_NOTFOUND);
    ck_assert_int_eq(unit_db_int(c, "SELECT COUNT(*) FROM audit"), n_audit);
    ck_assert_int_eq(unit_db_int(c, "SELECT COUNT(*) FROM category_routes"), n_routes);

    /* Replacing with nothing clears them. */
    ck_assert_int_eq(category_routes_set(c, &who, "financing", NULL, 0, &changed, &e), RC_OK);
    ck_assert(changed);
    ck_assert_int_eq(category_route(c, "financing", "340811", &r, &e), RC_OK);
    ck_assert_int_eq(r.lead, qfzx); /* from help now */
    store_release(c);
    store_close(s);
}
END_TEST

static void add_store_tests(TCase *tc)
{
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, seeded_tree);
    tcase_add_test(tc, create_and_update);
    tcase_add_test(tc, routes);
}

static Suite *suite(void)
{
    Suite *s = suite_create("category");
    TCase *tc = tcase_create("deadlines");
    tcase_add_test(tc, sign_for_hours);
    tcase_add_test(tc, reply_days_next_day);
    tcase_add_test(tc, reply_days_critical);
    tcase_add_test(tc, beyond_coverage);
    tcase_add_test(tc, all_three);
    tcase_add_test(tc, sign_never_after_reply);
    tcase_add_test(tc, names);
    suite_add_tcase(s, tc);

    tc = tcase_create("sqlite");
    tcase_add_unchecked_fixture(tc, unit_db_sqlite_once, unit_db_sqlite_done);
    tcase_add_checked_fixture(tc, unit_db_sqlite, unit_db_drop);
    add_store_tests(tc);
    suite_add_tcase(s, tc);
#ifdef WITH_PG
    if (getenv("TEST_PG_DSN") && *getenv("TEST_PG_DSN")) {
        tc = tcase_create("postgres");
        tcase_add_checked_fixture(tc, unit_db_pg, unit_db_drop);
        add_store_tests(tc);
        suite_add_tcase(s, tc);
    }
#endif
    return s;
}

UNIT_MAIN(suite)
