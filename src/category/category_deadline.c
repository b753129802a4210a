/* SPDX-License-Identifier: Apache-2.0 */
/*
 * category_deadline: the deadline rules of demand limits over a struct cal. Pure: no
 * store, no clock. Day limits end at the end of the office day (the end of the last
 * period of cal_default_hours, 17:30 local).
 */
#include <assert.h>

#include "../cal/cal.h"
#include "category.h"

/* Hours that still fit cal_add_working_minutes' int minutes and its day bound. */
#define MAX_HOURS 100000

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* End of the office day, in minutes after local midnight. */
static int day_end_minute(void)
{
    return cal_default_hours.spans[cal_default_hours.n_spans - 1].end;
}

bool category_counts_from_next_day(enum category_urgency u)
{
    return u != CATEGORY_CRITICAL;
}

enum rc category_deadline_hours(const struct cal *cal, int64_t start_ms, int hours,
                                struct category_deadline *out)
{
    assert(cal && out);
    if (hours < 0 || hours > MAX_HOURS)
        return RC_INVALID;
    int64_t minute;
    bool beyond = false;
    enum rc rc = cal_add_working_minutes(cal, NULL, cal_minute_from_ms(start_ms), hours * 60,
                                         &minute, &beyond);
    if (rc)
        return rc;
    out->at = cal_minute_to_ms(minute);
    out->beyond_coverage = beyond;
    return RC_OK;
}

enum rc category_deadline_days(const struct cal *cal, int64_t start_ms, enum category_urgency u,
                               int days, struct category_deadline *out)
{
    assert(cal && out);
    if (days < 0 || days > CAL_MAX_WORKING_DAYS)
        return RC_INVALID;
    int64_t minute = cal_minute_from_ms(start_ms);
    int64_t date = floor_div(minute, 1440);
    int64_t time_of_day = minute - date * 1440;
    /* 特急 counts the start's own day only while something of that office day is left. */
    bool next_day = category_counts_from_next_day(u) || !cal_is_working_day(cal, date) ||
                    time_of_day >= day_end_minute();
    int64_t last;
    bool beyond = false;
    enum rc rc = cal_add_working_days(cal, date, days, next_day, &last, &beyond);
    if (rc)
        return rc;
    out->at = cal_minute_to_ms(last * 1440 + day_end_minute());
    out->beyond_coverage = beyond || !cal_covers(cal, date);
    return RC_OK;
}

enum rc category_deadlines(const struct cal *cal, int64_t start_ms, enum category_urgency u,
                           const struct category_limits *lim, struct category_deadlines *out)
{
    assert(cal && lim && out);
    enum rc rc = category_deadline_hours(cal, start_ms, lim->sign_hours, &out->sign);
    if (rc == RC_OK)
        rc = category_deadline_days(cal, start_ms, u, lim->reply_days, &out->reply);
    if (rc == RC_OK)
        rc = category_deadline_days(cal, start_ms, u, lim->rectify_days, &out->rectify);
    /* Signing for a demand is part of replying to it: a 特急 limit counted from the same
     * day can end at 17:30 today while the office hours of the sign-for limit run into
     * tomorrow, and then the reply deadline is the sign-for deadline too. */
    if (rc == RC_OK && out->sign.at > out->reply.at)
        out->sign = out->reply;
    return rc;
}
