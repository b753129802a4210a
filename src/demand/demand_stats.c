/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demand_stats: figures per lead organisation and period. Three reads, each bounded
 * by the period and the caller's scope: the counts of the demands last dispatched in the
 * period (demand_counts, the cohort of most figures), the cohort's demands that can be
 * overdue (their light is of this moment) and the counts of dispatch and return events
 * (demand_event_counts). The counts are kept by the triggers of migration 0019. Figures
 * are accumulated per organisation in C, working days from the calendar snapshot; red
 * lights are counted by the database with demand_light_of's rule (now past the running
 * deadline, whose column per state comes from demand__running_due).
 */
#include "demand_stats.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../auth/auth.h"
#include "../base/mem.h"
#include "../cal/cal.h"
#include "../codes/codes.h"
#include "../ent/ent.h"
#include "../store/store.h"
#include "demand.h"
#include "demand_int.h"

/* The figures, in column order: key, Chinese label, definition. */
static const struct {
    const char *key, *label, *def;
} figures[] = {
    {"received", "交办数",
     "期间内交办给该机构（作为主办单位）的次数，按交办事件计；退回后再次交办另计"},
    {"dispatched", "本期交办诉求数",
     "最近一次交办时间在期间内且当前主办单位为该机构的诉求数；以下各项除退单数外均以此为范围"},
    {"signed_on_time", "按时签收数", "上述诉求中签收时间不晚于签收期限的件数"},
    {"returned", "退单数", "期间内该机构人员提出退单（退单事件）的次数"},
    {"replied_on_time", "按时答复数",
     "上述诉求中已答复且最近一次答复时间不晚于答复期限（含批准的延期）的件数"},
    {"overdue", "超期数", "上述诉求中当前运行期限已过（红灯）的件数，按统计时刻计算"},
    {"replied", "已答复数", "上述诉求中已有答复的件数"},
    {"handling_days", "办理工作日合计",
     "已答复诉求自交办日至最近一次答复日的工作日数之和（交办次日起算，按工作日历）"},
    {"avg_handling_days", "平均办理工作日",
     "办理工作日合计 ÷ 已答复数，保留两位小数；无答复时为空"},
    {"rated", "已评价数", "上述诉求中已有评价的件数（以最近一次评价为准）"},
    {"satisfied", "满意数", "最近一次评价为 4（满意）或 5（非常满意）的件数"},
    {"satisfaction_rate", "满意率", "满意数 ÷ 已评价数，保留四位小数；无评价时为空"},
    {"bad_ratings", "差评数", "上述诉求中曾被评为差评（1–2 分）而进入整改的件数"},
    {"bad_rectified", "差评已整改数", "差评诉求中此后重新评价为 3 分及以上或已归档的件数"},
    {"bad_rectified_rate", "差评整改率", "差评已整改数 ÷ 差评数，保留四位小数；无差评时为空"},
};
#define N_FIGURES (sizeof(figures) / sizeof(figures[0]))
_Static_assert(N_FIGURES == 15, "figures table and struct acc must agree");

struct acc {
    int64_t org_id;
    char code[48], name[128];
    int64_t received, dispatched, signed_on_time, returned, replied_on_time, overdue, replied,
        handling_days, rated, satisfied, bad, bad_rectified;
};

struct accs {
    struct acc *v;
    size_t n, cap, last; /* last: the one found last (the counts come in runs of one) */
};

static struct acc *acc_of(struct accs *a, int64_t org_id, const char *code, const char *name)
{
    if (a->last < a->n && a->v[a->last].org_id == org_id)
        return &a->v[a->last];
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].org_id == org_id) {
            a->last = i;
            return &a->v[i];
        }
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 16;
        a->v = xrealloc(a->v, a->cap * sizeof(*a->v));
    }
    a->last = a->n;
    struct acc *x = &a->v[a->n++];
    memset(x, 0, sizeof(*x));
    x->org_id = org_id;
    snprintf(x->code, sizeof(x->code), "%s", code ? code : "");
    snprintf(x->name, sizeof(x->name), "%s", name ? name : "");
    return x;
}

static int by_code(const void *a, const void *b)
{
    return strcmp(((const struct acc *)a)->code, ((const struct acc *)b)->code);
}

static json_t *ratio(int64_t num, int64_t den, double scale)
{
    return den ? json_real(round((double)num / (double)den * scale) / scale) : json_null();
}

static json_t *acc_json(const struct acc *x)
{
    json_t *j = json_object();
    json_object_set_new(j, "received", json_integer(x->received));
    json_object_set_new(j, "dispatched", json_integer(x->dispatched));
    json_object_set_new(j, "signed_on_time", json_integer(x->signed_on_time));
    json_object_set_new(j, "returned", json_integer(x->returned));
    json_object_set_new(j, "replied_on_time", json_integer(x->replied_on_time));
    json_object_set_new(j, "overdue", json_integer(x->overdue));
    json_object_set_new(j, "replied", json_integer(x->replied));
    json_object_set_new(j, "handling_days", json_integer(x->handling_days));
    json_object_set_new(j, "avg_handling_days", ratio(x->handling_days, x->replied, 100));
    json_object_set_new(j, "rated", json_integer(x->rated));
    json_object_set_new(j, "satisfied", json_integer(x->satisfied));
    json_object_set_new(j, "satisfaction_rate", ratio(x->satisfied, x->rated, 10000));
    json_object_set_new(j, "bad_ratings", json_integer(x->bad));
    json_object_set_new(j, "bad_rectified", json_integer(x->bad_rectified));
    json_object_set_new(j, "bad_rectified_rate", ratio(x->bad_rectified, x->bad, 10000));
    return j;
}

/* The caller's scope as SQL over d, bound by bind_scope at i, i+1, i+2. */
#define SCOPE_SQL "(? = 1 OR (d.region >= ? AND d.region < ?))"

struct scope {
    bool all;
    char lo[8], hi[16];
};

static void bind_scope(struct stmt *st, int i, const struct scope *s)
{
    store_bind_int(st, i, s->all);
    store_bind_text(st, i + 1, s->lo);
    store_bind_text(st, i + 2, s->hi);
}

/* The caller's scope as SQL over the counts c, bound by bind_scope. */
#define COUNTS_SCOPE_SQL "(? = 1 OR (c.region >= ? AND c.region < ?))"

/*
 * The cohort from demand_counts (migration 0019), per lead organisation and day of the
 * last dispatch; and, for the handling days, per organisation and day of the last reply.
 * cal_working_days_between(d, r) is W(r) - W(d) for r >= d (W counts working days up to a
 * date), and a reply before the dispatch counts 0: so the sum over the replied demands is
 * the sum of wd(from, r) over reply days minus that of wd(from, d) over dispatch days, both
 * over the demands with r >= d, counted with the calendar of this moment as the scan did
 * per demand. A scope of a city or wider reads the rows rolled up per city (level 1: its
 * prefix has at most the city's 4 digits, and a range over 4-digit prefixes selects the
 * same cities), a narrower one the rows per region (level 2).
 */
#define COHORT_WHERE                                                                               \
    "FROM demand_counts c WHERE c.level = ? AND c.day >= ? AND c.day <= ? AND (? = 0 OR "          \
    "c.org_id = ?) AND " COUNTS_SCOPE_SQL

static void bind_cohort(struct stmt *st, const struct scope *sc, int64_t from, int64_t to,
                        int64_t org_id)
{
    store_bind_int(st, 1, sc->all || strlen(sc->lo) <= 4 ? 1 : 2);
    store_bind_int(st, 2, from);
    store_bind_int(st, 3, to);
    store_bind_int(st, 4, org_id);
    store_bind_int(st, 5, org_id);
    bind_scope(st, 6, sc);
}

static enum rc read_cohort(struct conn *c, const struct demand_ctx *ctx, const struct scope *sc,
                           int64_t from, int64_t to, int64_t org_id, struct accs *a, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(
        c,
        "SELECT c.org_id, c.day, SUM(c.n), SUM(c.signed_on_time), SUM(c.replied_on_time), "
        "SUM(c.rated), SUM(c.satisfied), SUM(c.bad), SUM(c.bad_rectified), SUM(CASE WHEN "
        "c.reply_day <> 0 THEN c.n ELSE 0 END), SUM(CASE WHEN c.reply_day >= c.day THEN c.n "
        "ELSE 0 END) " COHORT_WHERE " GROUP BY c.org_id, c.day",
        &st, e);
    if (rc)
        return rc;
    bind_cohort(st, sc, from, to, org_id);
    while ((rc = store_step(st, e)) == RC_ROW) {
        int64_t n = store_int(st, 2);
        if (n == 0)
            continue;
        struct acc *x = acc_of(a, store_int(st, 0), NULL, NULL);
        x->dispatched += n;
        x->signed_on_time += store_int(st, 3);
        x->replied_on_time += store_int(st, 4);
        x->rated += store_int(st, 5);
        x->satisfied += store_int(st, 6);
        x->bad += store_int(st, 7);
        x->bad_rectified += store_int(st, 8);
        x->replied += store_int(st, 9);
        x->handling_days -=
            store_int(st, 10) * cal_working_days_between(ctx->cal, from, store_int(st, 1), NULL);
    }
    store_finish(st);
    if (rc != RC_DONE)
        return rc;
    rc = store_prepare(c,
                       "SELECT c.org_id, c.reply_day, SUM(c.n) " COHORT_WHERE
                       " AND c.reply_day >= c.day GROUP BY c.org_id, c.reply_day",
                       &st, e);
    if (rc)
        return rc;
    bind_cohort(st, sc, from, to, org_id);
    while ((rc = store_step(st, e)) == RC_ROW) {
        int64_t n = store_int(st, 2);
        if (n)
            acc_of(a, store_int(st, 0), NULL, NULL)->handling_days +=
                n * cal_working_days_between(ctx->cal, from, store_int(st, 1), NULL);
    }
    store_finish(st);
    return rc == RC_DONE ? RC_OK : rc;
}

/*
 * The column of the running deadline of a state (and, on a side path, of the state
 * before), asked of demand__running_due itself so that the rule stays in one place.
 */
static const char *due_column(enum demand_state s, bool has_prev, enum demand_state prev)
{
    struct drow d;
    memset(&d, 0, sizeof(d));
    d.state = s;
    d.has_prev = has_prev;
    d.prev = prev;
    d.sign_due = 1;
    d.reply_due = 2;
    d.rectify_due = 3;
    switch (demand__running_due(&d)) {
    case 1:
        return "d.sign_due";
    case 2:
        return "d.reply_due";
    case 3:
        return "d.rectify_due";
    default:
        return NULL;
    }
}

/*
 * overdue: the cohort's red lights at this moment. demand_light_of is red when now is past
 * the running deadline; the condition is written per state from due_column, so the
 * database counts per organisation. The state list repeats the partial index
 * demands_running's, so that both planners use it.
 */
static enum rc scan_overdue(struct conn *c, const struct demand_ctx *ctx, const struct scope *sc,
                            int64_t from_ms, int64_t to_ms, int64_t org_id, struct accs *a,
                            struct err *e)
{
    char sql[4096];
    size_t n = (size_t)snprintf(
        sql, sizeof(sql),
        "SELECT d.lead_org_id, COUNT(*) FROM demands d CROSS JOIN (SELECT CAST(? AS BIGINT) AS "
        "now_ms) t WHERE d.state IN ('dispatched', 'signed', 'reopened', 'rectifying', "
        "'return_requested', 'extension_requested') AND d.dispatched_at >= ? AND d.dispatched_at "
        "< ? AND d.merged_into IS NULL AND (? = 0 OR d.lead_org_id = ?) AND " SCOPE_SQL
        " AND (1 = 0");
    for (int s = 0; s < DS__COUNT; s++) {
        const char *col = due_column((enum demand_state)s, false, 0);
        if (col) {
            n += (size_t)snprintf(sql + n, sizeof(sql) - n,
                                  " OR (d.state = '%s' AND %s <> 0 AND %s < t.now_ms)",
                                  demand_state_name((enum demand_state)s), col, col);
            continue;
        }
        for (int p = 0; p < DS__COUNT; p++) {
            col = due_column((enum demand_state)s, true, (enum demand_state)p);
            if (col)
                n += (size_t)snprintf(
                    sql + n, sizeof(sql) - n,
                    " OR (d.state = '%s' AND d.prev_state = '%s' AND %s <> 0 AND %s < t.now_ms)",
                    demand_state_name((enum demand_state)s),
                    demand_state_name((enum demand_state)p), col, col);
        }
    }
    assert(n + 32 < sizeof(sql));
    snprintf(sql + n, sizeof(sql) - n, ") GROUP BY d.lead_org_id");
    struct stmt *st;
    enum rc rc = store_prepare(c, sql, &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, ctx->now);
    store_bind_int(st, 2, from_ms);
    store_bind_int(st, 3, to_ms);
    store_bind_int(st, 4, org_id);
    store_bind_int(st, 5, org_id);
    bind_scope(st, 6, sc);
    while ((rc = store_step(st, e)) == RC_ROW)
        acc_of(a, store_int(st, 0), NULL, NULL)->overdue += store_int(st, 1);
    store_finish(st);
    return rc == RC_DONE ? RC_OK : rc;
}

/*
 * received and returned from demand_event_counts: dispatch events by the lead they name,
 * return events by the organisation of the handler who asked, dated in the period.
 */
static enum rc read_events(struct conn *c, const struct scope *sc, int64_t from, int64_t to,
                           int64_t org_id, struct accs *a, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(
        c,
        "SELECT x.org_id, o.code, o.name, x.received, x.returned FROM (SELECT c.org_id, "
        "SUM(c.received) AS received, SUM(c.returned) AS returned FROM demand_event_counts c "
        "WHERE c.day >= ? AND c.day <= ? AND (? = 0 OR c.org_id = ?) AND " COUNTS_SCOPE_SQL
        " GROUP BY c.org_id) x JOIN orgs o ON o.id = x.org_id WHERE x.received > 0 OR "
        "x.returned > 0",
        &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, from);
    store_bind_int(st, 2, to);
    store_bind_int(st, 3, org_id);
    store_bind_int(st, 4, org_id);
    bind_scope(st, 5, sc);
    while ((rc = store_step(st, e)) == RC_ROW) {
        struct acc *x = acc_of(a, store_int(st, 0), store_text(st, 1), store_text(st, 2));
        x->received += store_int(st, 3);
        x->returned += store_int(st, 4);
    }
    store_finish(st);
    return rc == RC_DONE ? RC_OK : rc;
}

/* Fills in the code and name of the organisations the counts gave by id only. */
static enum rc name_orgs(struct conn *c, struct accs *a, struct err *e)
{
    enum rc rc = RC_OK;
    for (size_t i = 0; i < a->n && rc == RC_OK; i++) {
        struct acc *x = &a->v[i];
        if (x->code[0])
            continue;
        struct stmt *st;
        rc = store_prepare(c, "SELECT code, name FROM orgs WHERE id = ?", &st, e);
        if (rc)
            break;
        store_bind_int(st, 1, x->org_id);
        rc = store_step(st, e);
        if (rc == RC_ROW) {
            snprintf(x->code, sizeof(x->code), "%s", store_text(st, 0));
            snprintf(x->name, sizeof(x->name), "%s", store_text(st, 1));
        }
        store_finish(st);
        rc = rc == RC_ROW || rc == RC_DONE ? RC_OK : rc;
    }
    return rc;
}

/*
 * The checks every statistics read shares: the caller's scope (RC_FORBIDDEN for a caller
 * without oversight), the period (RC_INVALID naming "to") and the organisation filter
 * (RC_INVALID naming "org"; *org_id 0 when none).
 */
static enum rc stats_begin(struct conn *c, const struct principal *p,
                           const struct demand_stats_query *q, struct scope *sc, int64_t *org_id,
                           struct err *e)
{
    /* Oversight (demand.oversee) counts its region; scope.all every demand. */
    struct access_scope as;
    access_scope_of(p, ACCESS_DEMAND_OVERSEE, ACCESS_NONE, &as);
    sc->all = as.all;
    snprintf(sc->lo, sizeof(sc->lo), "%s", as.region_lo);
    snprintf(sc->hi, sizeof(sc->hi), "%s", as.region_hi);
    if (!sc->all && strcmp(sc->lo, "~") == 0) {
        return err_set(e, RC_FORBIDDEN, NULL, "仅督办人员和管理员可查看诉求统计");
    }
    if (q->to < q->from)
        return err_set(e, RC_INVALID, "to", "结束日期不能早于开始日期");
    if (q->to - q->from + 1 > DEMAND_STATS_MAX_DAYS)
        return err_set(e, RC_INVALID, "to", "统计期间最长 %d 天", DEMAND_STATS_MAX_DAYS);
    *org_id = 0;
    if (!q->org)
        return RC_OK;
    struct stmt *st;
    enum rc rc = store_prepare(c, "SELECT id FROM orgs WHERE code = ?", &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, q->org);
    rc = store_step(st, e);
    if (rc == RC_ROW)
        *org_id = store_int(st, 0);
    store_finish(st);
    if (rc == RC_DONE)
        return err_set(e, RC_INVALID, "org", "机构 %s 不存在", q->org);
    return rc == RC_ROW ? RC_OK : rc;
}

enum rc demand_stats(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                     const struct demand_stats_query *q, json_t **out, struct err *e)
{
    struct scope sc;
    int64_t org_id = 0;
    enum rc rc = stats_begin(c, p, q, &sc, &org_id, e);
    if (rc)
        return rc;
    int64_t from_ms = cal_minute_to_ms(q->from * 1440),
            to_ms = cal_minute_to_ms((q->to + 1) * 1440);
    struct accs a = {0};
    rc = read_cohort(c, ctx, &sc, q->from, q->to, org_id, &a, e);
    if (rc == RC_OK)
        rc = scan_overdue(c, ctx, &sc, from_ms, to_ms, org_id, &a, e);
    if (rc == RC_OK)
        rc = read_events(c, &sc, q->from, q->to, org_id, &a, e);
    if (rc == RC_OK)
        rc = name_orgs(c, &a, e);
    if (rc) {
        xfree(a.v);
        return rc;
    }
    if (a.n)
        qsort(a.v, a.n, sizeof(*a.v), by_code);
    struct acc total;
    memset(&total, 0, sizeof(total));
    json_t *items = json_array();
    for (size_t i = 0; i < a.n; i++) {
        const struct acc *x = &a.v[i];
        json_t *j = acc_json(x);
        json_object_set_new(j, "org", json_pack("{s:s, s:s}", "code", x->code, "name", x->name));
        json_array_append_new(items, j);
        total.received += x->received;
        total.dispatched += x->dispatched;
        total.signed_on_time += x->signed_on_time;
        total.returned += x->returned;
        total.replied_on_time += x->replied_on_time;
        total.overdue += x->overdue;
        total.replied += x->replied;
        total.handling_days += x->handling_days;
        total.rated += x->rated;
        total.satisfied += x->satisfied;
        total.bad += x->bad;
        total.bad_rectified += x->bad_rectified;
    }
    xfree(a.v);
    json_t *defs = json_object(), *cols = json_array();
    for (size_t i = 0; i < N_FIGURES; i++) {
        json_object_set_new(
            defs, figures[i].key,
            json_pack("{s:s, s:s}", "label", figures[i].label, "definition", figures[i].def));
        json_array_append_new(
            cols, json_pack("{s:s, s:s}", "key", figures[i].key, "label", figures[i].label));
    }
    json_object_set_new(
        defs, "period",
        json_pack("{s:s, s:s}", "label", "统计期间", "definition",
                  "from 日 00:00 至 to 日 24:00（北京时间），两端包含；超期按统计时刻计算"));
    char from[CAL_DATE_TEXT], to[CAL_DATE_TEXT];
    *out = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "from", cal_date_format(q->from, from), "to",
                     cal_date_format(q->to, to), "definitions", defs, "columns", cols, "items",
                     items, "total", acc_json(&total));
    json_object_set_new(*out, "org", q->org ? json_string(q->org) : json_null());
    return RC_OK;
}

/* ---- Breakdowns --------------------------------------------------------------------- */

/* One row of a breakdown: the cohort's figures under one key. */
struct brow {
    char key[64], label[160];
    int64_t n, replied, replied_on_time, rated, satisfied, bad;
};

struct brows {
    struct brow *v;
    size_t n, cap;
};

static struct brow *brow_of(struct brows *b, const char *key)
{
    for (size_t i = 0; i < b->n; i++)
        if (strcmp(b->v[i].key, key) == 0)
            return &b->v[i];
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 16;
        b->v = xrealloc(b->v, b->cap * sizeof(*b->v));
    }
    struct brow *x = &b->v[b->n++];
    memset(x, 0, sizeof(*x));
    snprintf(x->key, sizeof(x->key), "%s", key);
    return x;
}

/* Adds the figures of columns i.. of st (n, replied, on time, rated, satisfied, bad). */
static void brow_add(struct brow *x, struct stmt *st, int i)
{
    x->n += store_int(st, i);
    x->replied += store_int(st, i + 1);
    x->replied_on_time += store_int(st, i + 2);
    x->rated += store_int(st, i + 3);
    x->satisfied += store_int(st, i + 4);
    x->bad += store_int(st, i + 5);
}

static json_t *brow_json(const struct brow *x)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "n", (json_int_t)x->n, "replied",
                     (json_int_t)x->replied, "replied_on_time", (json_int_t)x->replied_on_time,
                     "rated", (json_int_t)x->rated, "satisfied", (json_int_t)x->satisfied,
                     "bad_ratings", (json_int_t)x->bad, "on_time_rate",
                     ratio(x->replied_on_time, x->n, 10000), "satisfaction_rate",
                     ratio(x->satisfied, x->rated, 10000));
}

/* Busiest first, then by key; months in calendar order. */
static int brow_by_n(const void *a, const void *b)
{
    const struct brow *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(x->key, y->key);
}

static int brow_by_key(const void *a, const void *b)
{
    return strcmp(((const struct brow *)a)->key, ((const struct brow *)b)->key);
}

/* The figures of a breakdown, in column order: key, Chinese label. */
static const struct {
    const char *key, *label;
} bfigures[] = {
    {"n", "本期交办诉求数"},         {"replied", "已答复数"},   {"replied_on_time", "按时答复数"},
    {"on_time_rate", "按时办结率"},  {"rated", "已评价数"},     {"satisfied", "满意数"},
    {"satisfaction_rate", "满意率"}, {"bad_ratings", "差评数"},
};

static const struct {
    const char *code, *label;
} channel_labels[] = {
    {"web", "网上提交"},         {"window", "窗口受理"}, {"hotline", "12345 热线"},
    {"open311", "Open311 接口"}, {"api", "系统接口"},
};

/* The cohort's figures as SQL over demands d, in brow_add's order. */
#define BROW_DEMAND_COLS                                                                           \
    "COUNT(*), SUM(CASE WHEN COALESCE(d.replied_at, 0) <> 0 THEN 1 ELSE 0 END), SUM(CASE WHEN "    \
    "COALESCE(d.replied_at, 0) <> 0 AND COALESCE(d.reply_due, 0) <> 0 AND d.replied_at <= "        \
    "d.reply_due THEN 1 ELSE 0 END), SUM(CASE WHEN COALESCE(d.rating, 0) <> 0 THEN 1 ELSE 0 "      \
    "END), SUM(CASE WHEN COALESCE(d.rating, 0) >= 4 THEN 1 ELSE 0 END), SUM(CASE WHEN EXISTS "     \
    "(SELECT 1 FROM events ev WHERE ev.entity = 'demand' AND ev.entity_id = d.id AND ev.action = " \
    "'rate' AND ev.to_state = 'rectifying') THEN 1 ELSE 0 END)"

/* The same figures from demand_counts c, in brow_add's order. */
#define BROW_COUNTS_COLS                                                                           \
    "SUM(c.n), SUM(CASE WHEN c.reply_day <> 0 THEN c.n ELSE 0 END), SUM(c.replied_on_time), "      \
    "SUM(c.rated), SUM(c.satisfied), SUM(c.bad)"

/* The cohort read from demands by category or channel (neither is kept in the counts). */
static enum rc break_demands(struct conn *c, const struct scope *sc,
                             const struct demand_stats_query *q, int64_t org_id, bool category,
                             struct brows *b, struct err *e)
{
    char sql[2048];
    snprintf(sql, sizeof(sql),
             "SELECT %s, " BROW_DEMAND_COLS " FROM demands d %s WHERE d.dispatched_at >= ? AND "
             "d.dispatched_at < ? AND d.lead_org_id IS NOT NULL AND d.merged_into IS NULL AND "
             "(? = 0 OR d.lead_org_id = ?) AND " SCOPE_SQL " GROUP BY %s",
             category ? "d.category, k.name" : "d.channel, d.channel",
             category ? "LEFT JOIN categories k ON k.code = d.category" : "",
             category ? "d.category, k.name" : "d.channel");
    struct stmt *st;
    enum rc rc = store_prepare(c, sql, &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, cal_minute_to_ms(q->from * 1440));
    store_bind_int(st, 2, cal_minute_to_ms((q->to + 1) * 1440));
    store_bind_int(st, 3, org_id);
    store_bind_int(st, 4, org_id);
    bind_scope(st, 5, sc);
    while ((rc = store_step(st, e)) == RC_ROW) {
        const char *key = store_text(st, 0), *label = store_text(st, 1);
        struct brow *x = brow_of(b, key ? key : "");
        if (!category) {
            label = key;
            for (size_t i = 0; i < sizeof(channel_labels) / sizeof(channel_labels[0]); i++)
                if (key && strcmp(key, channel_labels[i].code) == 0)
                    label = channel_labels[i].label;
        }
        snprintf(x->label, sizeof(x->label), "%s", label && *label ? label : x->key);
        brow_add(x, st, 2);
    }
    store_finish(st);
    return rc == RC_DONE ? RC_OK : rc;
}

/*
 * The cohort read from demand_counts: per region (the level 2 rows, one per demand region)
 * or per month of the last dispatch (the level the scope reads, as demand_stats does).
 */
static enum rc break_counts(struct conn *c, const struct scope *sc,
                            const struct demand_stats_query *q, int64_t org_id, bool region,
                            struct brows *b, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(
        c,
        region ? "SELECT c.region, " BROW_COUNTS_COLS " " COHORT_WHERE " GROUP BY c.region"
               : "SELECT c.day, " BROW_COUNTS_COLS " " COHORT_WHERE " GROUP BY c.day",
        &st, e);
    if (rc)
        return rc;
    bind_cohort(st, sc, q->from, q->to, org_id);
    if (region)
        store_bind_int(st, 1, 2);
    while ((rc = store_step(st, e)) == RC_ROW) {
        if (store_int(st, 1) == 0)
            continue; /* a row whose demands all moved on */
        char key[CAL_DATE_TEXT + 8];
        struct brow *x;
        if (region) {
            snprintf(key, sizeof(key), "%s", store_text(st, 0));
            x = brow_of(b, key);
            const struct codes_region *r = codes_region_find(key);
            snprintf(x->label, sizeof(x->label), "%s", r ? r->name : key);
        } else {
            cal_date_format(store_int(st, 0), key);
            key[7] = '\0'; /* YYYY-MM */
            x = brow_of(b, key);
            snprintf(x->label, sizeof(x->label), "%.4s年%s月", key,
                     key[5] == '0' ? key + 6 : key + 5);
        }
        brow_add(x, st, 1);
    }
    store_finish(st);
    return rc == RC_DONE ? RC_OK : rc;
}

enum rc demand_breakdown(struct conn *c, const struct principal *p,
                         const struct demand_stats_query *q, const char *by, json_t **out,
                         struct err *e)
{
    assert(by);
    struct scope sc;
    int64_t org_id = 0;
    enum rc rc = stats_begin(c, p, q, &sc, &org_id, e);
    if (rc)
        return rc;
    struct brows b = {0};
    bool by_region = strcmp(by, "region") == 0, by_month = strcmp(by, "month") == 0;
    if (by_region || by_month)
        rc = break_counts(c, &sc, q, org_id, by_region, &b, e);
    else if (strcmp(by, "category") == 0 || strcmp(by, "channel") == 0)
        rc = break_demands(c, &sc, q, org_id, strcmp(by, "category") == 0, &b, e);
    else
        rc = err_set(e, RC_INVALID, "by", "by 应为 category、region、channel 或 month");
    if (rc) {
        xfree(b.v);
        return rc;
    }
    if (b.n)
        qsort(b.v, b.n, sizeof(*b.v), by_month ? brow_by_key : brow_by_n);
    struct brow total;
    memset(&total, 0, sizeof(total));
    json_t *items = json_array();
    for (size_t i = 0; i < b.n; i++) {
        const struct brow *x = &b.v[i];
        json_t *j = brow_json(x);
        json_object_set_new(j, "key", json_string(x->key));
        json_object_set_new(j, "label", json_string(x->label));
        json_array_append_new(items, j);
        total.n += x->n;
        total.replied += x->replied;
        total.replied_on_time += x->replied_on_time;
        total.rated += x->rated;
        total.satisfied += x->satisfied;
        total.bad += x->bad;
    }
    xfree(b.v);
    json_t *cols = json_array();
    for (size_t i = 0; i < sizeof(bfigures) / sizeof(bfigures[0]); i++)
        json_array_append_new(
            cols, json_pack("{s:s, s:s}", "key", bfigures[i].key, "label", bfigures[i].label));
    char from[CAL_DATE_TEXT], to[CAL_DATE_TEXT];
    *out = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "by", by, "from",
                     cal_date_format(q->from, from), "to", cal_date_format(q->to, to), "columns",
                     cols, "items", items, "total", brow_json(&total));
    json_object_set_new(*out, "org", q->org ? json_string(q->org) : json_null());
    return RC_OK;
}

/* ---- 高频诉求 ------------------------------------------------------------------------ */

enum rc demand_top(struct conn *c, const struct principal *p, const struct demand_stats_query *q,
                   const char *by, int limit, json_t **out, struct err *e)
{
    assert(by && limit > 0);
    struct scope sc;
    int64_t org_id = 0;
    enum rc rc = stats_begin(c, p, q, &sc, &org_id, e);
    if (rc)
        return rc;
    bool category = strcmp(by, "category") == 0;
    if (!category && strcmp(by, "title") != 0)
        return err_set(e, RC_INVALID, "by", "by 应为 title 或 category");
#define TOP_WHERE                                                                                  \
    " WHERE d.created_at >= ? AND d.created_at < ? AND (? = 0 OR d.lead_org_id = ?) "              \
    "AND " SCOPE_SQL
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "SELECT %s, COUNT(*) FROM demands d %s" TOP_WHERE
             " GROUP BY %s ORDER BY 3 DESC, 1 LIMIT ?",
             category ? "d.category, k.name" : "d.title, d.title",
             category ? "LEFT JOIN categories k ON k.code = d.category" : "",
             category ? "d.category, k.name" : "d.title");
    int64_t total = 0;
    json_t *items = json_array();
    for (int pass = 0; pass < 2 && rc == RC_OK; pass++) {
        struct stmt *st;
        rc = store_prepare(c, pass ? sql : "SELECT COUNT(*) FROM demands d" TOP_WHERE, &st, e);
        if (rc)
            break;
        store_bind_int(st, 1, cal_minute_to_ms(q->from * 1440));
        store_bind_int(st, 2, cal_minute_to_ms((q->to + 1) * 1440));
        store_bind_int(st, 3, org_id);
        store_bind_int(st, 4, org_id);
        bind_scope(st, 5, &sc);
        if (pass)
            store_bind_int(st, 8, limit);
        while ((rc = store_step(st, e)) == RC_ROW) {
            if (!pass) {
                total = store_int(st, 0);
                continue;
            }
            const char *key = store_text(st, 0), *label = store_text(st, 1);
            int64_t n = store_int(st, 2);
            json_array_append_new(items,
                                  json_pack("{s:s, s:s, s:I, s:o}", "key", key ? key : "", "label",
                                            label && *label ? label : (key ? key : ""), "n",
                                            (json_int_t)n, "share", ratio(n, total, 10000)));
        }
        store_finish(st);
        rc = rc == RC_DONE ? RC_OK : rc;
    }
#undef TOP_WHERE
    if (rc) {
        json_decref(items);
        return rc;
    }
    char from[CAL_DATE_TEXT], to[CAL_DATE_TEXT];
    *out = json_pack("{s:s, s:s, s:s, s:I, s:o}", "by", by, "from", cal_date_format(q->from, from),
                     "to", cal_date_format(q->to, to), "total", (json_int_t)total, "items", items);
    return RC_OK;
}

/* ---- Ranking ------------------------------------------------------------------------ */

/* The weights of the score: 签收率, 按时办结率, 满意率. */
static const double score_weights[3] = {0.3, 0.4, 0.3};

static double rate_of(const json_t *row, const char *num, const char *den, bool *has)
{
    int64_t d = json_integer_value(json_object_get(row, den));
    *has = d > 0;
    return d > 0 ? (double)json_integer_value(json_object_get(row, num)) / (double)d : 0;
}

static int by_score(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    double sx = json_real_value(json_object_get(x, "score")),
           sy = json_real_value(json_object_get(y, "score"));
    if (sx != sy)
        return sx > sy ? -1 : 1;
    json_int_t nx = json_integer_value(json_object_get(x, "dispatched")),
               ny = json_integer_value(json_object_get(y, "dispatched"));
    if (nx != ny)
        return nx > ny ? -1 : 1;
    return strcmp(json_string_value(json_object_get(json_object_get(x, "org"), "code")),
                  json_string_value(json_object_get(json_object_get(y, "org"), "code")));
}

enum rc demand_ranking(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                       const struct demand_stats_query *q, json_t **out, struct err *e)
{
    json_t *st = NULL;
    enum rc rc = demand_stats(c, ctx, p, q, &st, e);
    if (rc)
        return rc;
    json_t *src = json_object_get(st, "items");
    size_t n = 0, i;
    json_t *row, **v = xcalloc(json_array_size(src) + 1, sizeof(*v));
    json_array_foreach(src, i, row)
    {
        json_int_t dispatched = json_integer_value(json_object_get(row, "dispatched"));
        if (dispatched == 0)
            continue; /* nothing of the period to rank it by */
        bool has[3];
        double r[3] = {rate_of(row, "signed_on_time", "dispatched", &has[0]),
                       rate_of(row, "replied_on_time", "dispatched", &has[1]),
                       rate_of(row, "satisfied", "rated", &has[2])};
        double sum = 0, w = 0;
        for (int k = 0; k < 3; k++)
            if (has[k]) {
                sum += score_weights[k] * r[k];
                w += score_weights[k];
            }
        json_t *x = json_pack(
            "{s:O, s:I, s:o, s:o, s:O, s:O, s:O, s:O, s:O}", "org", json_object_get(row, "org"),
            "dispatched", dispatched, "sign_rate",
            ratio(json_integer_value(json_object_get(row, "signed_on_time")), dispatched, 10000),
            "on_time_rate",
            ratio(json_integer_value(json_object_get(row, "replied_on_time")), dispatched, 10000),
            "satisfaction_rate", json_object_get(row, "satisfaction_rate"), "overdue",
            json_object_get(row, "overdue"), "returned", json_object_get(row, "returned"),
            "bad_ratings", json_object_get(row, "bad_ratings"), "bad_rectified_rate",
            json_object_get(row, "bad_rectified_rate"));
        json_object_set_new(x, "score", json_real(round(sum / w * 1000) / 10));
        v[n++] = x;
    }
    if (n)
        qsort(v, n, sizeof(*v), by_score);
    json_t *items = json_array();
    for (i = 0; i < n; i++) {
        /* Equal scores share a rank (1, 2, 2, 4). */
        bool tie = i > 0 && json_real_value(json_object_get(v[i], "score")) ==
                                json_real_value(json_object_get(v[i - 1], "score"));
        json_int_t rank =
            tie ? json_integer_value(json_object_get(v[i - 1], "rank")) : (json_int_t)i + 1;
        json_object_set_new(v[i], "rank", json_integer(rank));
        json_array_append_new(items, v[i]);
    }
    xfree(v);
    static const char *const cols[][2] = {
        {"rank", "排名"},
        {"score", "综合得分"},
        {"dispatched", "本期交办诉求数"},
        {"sign_rate", "签收率"},
        {"on_time_rate", "按时办结率"},
        {"satisfaction_rate", "满意率"},
        {"overdue", "超期数"},
        {"returned", "退单数"},
        {"bad_ratings", "差评数"},
        {"bad_rectified_rate", "差评整改率"},
    };
    json_t *jc = json_array();
    for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
        json_array_append_new(jc, json_pack("{s:s, s:s}", "key", cols[i][0], "label", cols[i][1]));
    *out = json_pack(
        "{s:O, s:O, s:o, s:o, s:s}", "from", json_object_get(st, "from"), "to",
        json_object_get(st, "to"), "columns", jc, "items", items, "score_definition",
        "综合得分 = 100 ×（30% × 签收率 + 40% × 按时办结率 + 30% × 满意率），某项无基数（如无评价）"
        "时不计入并按其余权重折算，保留一位小数；仅排名本期有交办诉求的单位，得分相同者名次相同");
    json_decref(st);
    return RC_OK;
}
