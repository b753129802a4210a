/* SPDX-License-Identifier: Apache-2.0 */
/*
 * category: demand categories (诉求类别), their time limits, the dispatch catalogue
 * (派单目录) and the deadline rules demands are handled by.
 *
 * Categories form a tree: the six kinds 咨询 consult, 求助 help, 投诉 complaint,
 * 举报 report, 建议 suggestion, 表扬 praise at the top, business topics (kind
 * "topic": 融资, 用工, 用地, ...) under them. Each category carries, for each urgency
 * (一般 normal, 紧急 urgent, 特急 critical), three limits: sign-for in working hours,
 * reply and rectification in working days; a more urgent level may never allow more
 * time than a less urgent one. Only active categories take new demands.
 *
 * The dispatch catalogue maps (category, region prefix) to a default lead
 * organisation and co-handlers; a lookup takes the longest prefix of the demand's
 * region, then tries the parent category, and may end with no suggestion.
 *
 * Deadlines (category_deadline*, pure: they need only a struct cal):
 *   - sign-for: sign_hours of office time (cal_default_hours: 09:00-12:00 and
 *     13:30-17:30 Asia/Shanghai, working days only) from the start instant;
 *   - reply and rectification: N working days ending at 17:30 local. Normal and
 *     urgent count from the next day (次日起算): the first counted day is the first
 *     working day after the day of the start. Critical (特急) counts the day of the
 *     start itself when that is a working day and the start is before 17:30;
 *     otherwise, too, the next working day is day 1.
 *   Each deadline carries beyond_coverage when it depends on a year whose State
 *   Council notice is not known yet; show it as provisional.
 *
 * Writes (create, update, routes) run in one transaction with their audit event;
 * a refused write changes nothing. Strings returned in structs live in the caller's
 * pool. See docs/internals/category.md.
 */
#ifndef QIFU_CATEGORY_H
#define QIFU_CATEGORY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/pool.h"
#include "../base/rc.h"

struct conn;
struct cal;
struct audit_actor;

#define CATEGORY_CODE_MAX 32 /* bytes of a code: [a-z][a-z0-9_]* */
#define CATEGORY_NAME_MAX 32 /* characters of a name */
#define CATEGORY_MAX_SIGN_HOURS 240
#define CATEGORY_MAX_DAYS 365
#define CATEGORY_MAX_CO 16      /* co-handlers per route */
#define CATEGORY_MAX_ROUTES 200 /* region prefixes per category */
#define CATEGORY_PREFIX_MAX 12  /* digits of a region prefix */
#define CATEGORY_MAX_DEPTH 8    /* levels of the tree */

enum category_urgency { CATEGORY_NORMAL, CATEGORY_URGENT, CATEGORY_CRITICAL };
#define CATEGORY_N_URGENCY 3

/* The three limits of one urgency. */
struct category_limits {
    int sign_hours;   /* working (office) hours to sign for */
    int reply_days;   /* working days to reply */
    int rectify_days; /* working days to rectify after a 差评 */
};

/* A category as stored; strings in the pool given to the reader. */
struct category {
    const char *code;
    const char *name;
    const char *parent; /* parent's code, NULL at the top */
    const char *kind;   /* consult, help, complaint, report, suggestion, praise, topic */
    int sort;
    bool active;
    struct category_limits limits[CATEGORY_N_URGENCY]; /* indexed by enum category_urgency */
    int64_t updated_at;                                /* ms UTC */
    const char *updated_by;
};

/* ---- Names ------------------------------------------------------------------ */

/* Parses "normal", "urgent" or "critical". Returns false for anything else (also NULL). */
bool category_urgency_parse(const char *s, enum category_urgency *out);
/* Returns "normal", "urgent" or "critical". */
const char *category_urgency_name(enum category_urgency u);
/* Returns "一般", "紧急" or "特急". */
const char *category_urgency_label(enum category_urgency u);
/* Returns the Chinese label of a kind ("咨询", ..., "业务主题"), or NULL if unknown. */
const char *category_kind_label(const char *kind);

/* ---- Reading ---------------------------------------------------------------- */

/* Reads category code into *out (strings in pool). RC_NOTFOUND (“诉求类别不存在”) if none. */
enum rc category_get(struct conn *c, const char *code, struct pool *pool, struct category *out,
                     struct err *e) WARN_UNUSED;

/*
 * The limits of an active category for urgency ("normal", "urgent", "critical");
 * the shape of demand_ctx.limits. RC_NOTFOUND naming "category" for an unknown or
 * inactive category, RC_INVALID naming "urgency" for an unknown urgency.
 */
enum rc category_limits_of(struct conn *c, const char *code, const char *urgency,
                           struct category_limits *out, struct err *e) WARN_UNUSED;

/* Returns a new JSON object of cat: {code, name, kind, kind_label, parent, sort, active,
 * limits: {normal|urgent|critical: {sign_hours, reply_days, rectify_days}}} (also the
 * audit image, so it leaves out who changed it when). */
json_t *category_json(const struct category *cat);

/*
 * The whole tree as a new JSON array of category_json objects, each with "children"
 * (same shape), ordered by sort then code. include_inactive false leaves out inactive
 * categories and everything under them.
 */
enum rc category_tree(struct conn *c, bool include_inactive, json_t **out,
                      struct err *e) WARN_UNUSED;

/* ---- Writing (administrators) ----------------------------------------------- */

/*
 * A creation or a change. Set what is given; category_change_init() marks everything
 * as not given. For a creation, code and name are required; kind defaults to
 * "topic" under a parent (required at the top); limits not given are copied from
 * the parent (all nine are required at the top).
 */
struct category_change {
    const char *code; /* creation only */
    const char *name; /* NULL: not given */
    const char *kind; /* NULL: not given */
    bool has_parent;
    const char *parent; /* with has_parent: the parent's code, NULL for the top */
    bool has_sort;
    int sort;
    bool has_active;
    bool active;
    int limits[CATEGORY_N_URGENCY]
              [3]; /* [urgency][sign_hours, reply_days, rectify_days], -1: not given */
};

/* Marks every member of ch as not given. */
void category_change_init(struct category_change *ch);

/*
 * Creates a category, audited ("category.create"). RC_INVALID naming the field
 * ("code", "name", "kind", "parent", "limits.urgent.reply_days", ...), RC_EXISTS
 * naming "code" when it is taken.
 */
enum rc category_create(struct conn *c, const struct audit_actor *who,
                        const struct category_change *ch, struct err *e) WARN_UNUSED;

/*
 * Applies the given members of ch to category code, audited ("category.update",
 * before and after). *changed (may be NULL) is false when nothing differed; then
 * nothing is written. RC_NOTFOUND, RC_INVALID naming the field (a parent that would
 * make a cycle or a tree deeper than CATEGORY_MAX_DEPTH is refused on "parent").
 */
enum rc category_update(struct conn *c, const struct audit_actor *who, const char *code,
                        const struct category_change *ch, bool *changed, struct err *e) WARN_UNUSED;

/* ---- The dispatch catalogue (派单目录) ---------------------------------------- */

/* One region prefix of a category's routes, by organisation code. */
struct category_route_entry {
    const char *region_prefix;       /* "" = any region, else up to 12 digits */
    const char *lead;                /* organisation code */
    const char *co[CATEGORY_MAX_CO]; /* organisation codes, none equal to lead */
    size_t n_co;
};

/*
 * The routes of category code as a new JSON array, longest prefix first:
 * [{region_prefix, lead: {code, name}, co: [{code, name}]}]. RC_NOTFOUND for an
 * unknown category.
 */
enum rc category_routes_get(struct conn *c, const char *code, json_t **out,
                            struct err *e) WARN_UNUSED;

/*
 * Replaces every route of category code with the n entries, audited
 * ("category.routes.set", before and after as in category_routes_get). *changed (may
 * be NULL) is false when the routes were already exactly these; nothing is written
 * then. RC_NOTFOUND for an unknown category; RC_INVALID naming "routes[i].region_prefix",
 * "routes[i].lead" or "routes[i].co[j]" for a malformed or repeated prefix, an
 * unknown organisation, or a co-handler repeated or equal to the lead.
 */
enum rc category_routes_set(struct conn *c, const struct audit_actor *who, const char *code,
                            const struct category_route_entry *routes, size_t n, bool *changed,
                            struct err *e) WARN_UNUSED;

/* The answer of a lookup in the catalogue. */
struct category_route {
    int64_t lead;                /* organisation id; 0: no suggestion */
    int64_t co[CATEGORY_MAX_CO]; /* organisation ids */
    size_t n_co;
    char category[CATEGORY_CODE_MAX + 1]; /* whose route matched: the category or an ancestor */
    char region_prefix[CATEGORY_PREFIX_MAX + 1];
};

/*
 * Suggests the handlers of a demand of category code in region (a GB/T 2260 code;
 * NULL or "" matches only the "" prefix): the route of the longest prefix of region,
 * on the category, else on its parent, and so on up. Without any, out->lead is 0 and
 * the result is RC_OK. RC_NOTFOUND for an unknown category.
 * Example: routes help → {"3408": QFZX, "340822": 340822}; category financing (under
 * help, without routes of its own) in region 340822 suggests the county.
 */
enum rc category_route(struct conn *c, const char *code, const char *region,
                       struct category_route *out, struct err *e) WARN_UNUSED;

/* ---- Deadlines (pure) ------------------------------------------------------- */

struct category_deadline {
    int64_t at;           /* ms UTC */
    bool beyond_coverage; /* depends on a year without a known notice: provisional */
};

struct category_deadlines {
    struct category_deadline sign, reply, rectify;
};

/*
 * The sign-for deadline: hours of office time (cal_default_hours, working days only)
 * after start_ms. A start outside office hours begins at the next period. RC_INVALID
 * for hours < 0, too many hours, or a start outside the calendar's years.
 * Example: Tuesday 2025-09-30 16:00 + 4 h → Thursday 2025-10-09 11:30 (1.5 h that
 * day, then the days off 10-01..10-08 of 国庆节、中秋节 are skipped).
 */
enum rc category_deadline_hours(const struct cal *cal, int64_t start_ms, int hours,
                                struct category_deadline *out) WARN_UNUSED;

/*
 * A day limit: days working days after start_ms under urgency's counting rule (see
 * above), at 17:30 local of the last one; days == 0 gives 17:30 of the start's own
 * day. RC_INVALID for days < 0 or > CAL_MAX_WORKING_DAYS, or a start outside the
 * calendar's years.
 * Example: normal, 5 days from Monday 2025-09-29 10:00 → Monday 2025-10-13 17:30
 * (09-30, 10-09, 10-10, the 调休 Saturday 10-11, 10-13).
 */
enum rc category_deadline_days(const struct cal *cal, int64_t start_ms, enum category_urgency u,
                               int days, struct category_deadline *out) WARN_UNUSED;

/* True when urgency u counts a day limit from the day after the start (次日起算). */
bool category_counts_from_next_day(enum category_urgency u);

/*
 * All three deadlines of a demand received (or dispatched) at start_ms, from the
 * limits lim of its urgency u. The sign-for deadline is never later than the reply
 * deadline: when the hours run past it (特急 from 16:30 on a working day), it is the
 * reply deadline. The one rule of every dispatch and of the deadline calculator.
 * RC_INVALID as above.
 */
enum rc category_deadlines(const struct cal *cal, int64_t start_ms, enum category_urgency u,
                           const struct category_limits *lim,
                           struct category_deadlines *out) WARN_UNUSED;

#endif
