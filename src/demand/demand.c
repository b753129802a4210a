/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demand: records, relations, clocks and creation, and the overdue sweep. The
 * workflow's table and its actions are in demand_flow.c, the reads in demand_read.c.
 * Reading order: row loading and relations, clocks and lights, saving, creation, the
 * sweep.
 */
#include "demand.h"
#include "demand_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../auth/auth.h"
#include "../base/buf.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../cal/cal.h"
#include "../category/category.h"
#include "../codes/codes.h"
#include "../ent/ent.h"
#include "../flow/flow.h"
#include "../store/store.h"

/* ---- rows ----------------------------------------------------------------- */

/* Reads the first n columns (DROW_LIST_N or DROW_N) into d; the others stay 0. */
void demand__read_row_n(struct stmt *st, struct drow *d, int n)
{
    memset(d, 0, sizeof(*d));
    d->id = store_int(st, 0);
    mem_copy_text(d->no, sizeof(d->no), store_text(st, 1));
    mem_copy_text(d->credit, sizeof(d->credit), store_text(st, 2));
    mem_copy_text(d->region, sizeof(d->region), store_text(st, 3));
    mem_copy_text(d->category, sizeof(d->category), store_text(st, 4));
    mem_copy_text(d->urgency, sizeof(d->urgency), store_text(st, 5));
    mem_copy_text(d->channel, sizeof(d->channel), store_text(st, 6));
    (void)demand_state_parse(store_text(st, 7), &d->state);
    d->has_prev = !store_isnull(st, 8) && demand_state_parse(store_text(st, 8), &d->prev);
    d->reviewed = store_int(st, 9) != 0;
    d->beyond = store_int(st, 10) != 0;
    d->sign_due = store_int(st, 11);
    d->reply_due = store_int(st, 12);
    d->rectify_due = store_int(st, 13);
    d->extension_to = store_int(st, 14);
    d->merged_into = store_int(st, 15);
    d->rating = (int)store_int(st, 16);
    d->created_at = store_int(st, 17);
    if (n < DROW_N)
        return;
    d->lead_org = store_int(st, 18);
    d->intake_org = store_int(st, 19);
    d->rating_count = (int)store_int(st, 20);
    d->accepted_at = store_int(st, 21);
    d->dispatched_at = store_int(st, 22);
    d->signed_at = store_int(st, 23);
    d->replied_at = store_int(st, 24);
    d->closed_at = store_int(st, 25);
    d->version = (int)store_int(st, 26);
}

static void read_row(struct stmt *st, struct drow *d)
{
    demand__read_row_n(st, d, DROW_N);
}

enum rc demand__load(struct conn *c, int64_t id, struct drow *d, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, "SELECT " DROW_COLS " FROM demands d WHERE d.id = ?", &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, id);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        read_row(st, d);
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_NOTFOUND, NULL, "诉求不存在");
    }
    store_finish(st);
    return rc;
}

/* Does the caller's organisation region cover region? (src/access) */
static bool covers(const struct principal *p, const char *region)
{
    return access_covers(p, region);
}

/* The caller's relations to d, given whether its organisation is a co-handler of d. */
unsigned demand__relations_of(const struct principal *p, const struct drow *d, bool co)
{
    /* The relations are demand's own; the permissions say which the caller may hold
     * (intake and oversight reach its organisation's region, handling its organisation). */
    unsigned rels = 0;
    if (access_can(p, ACCESS_ENT_SELF) && p->credit_code && strcmp(p->credit_code, d->credit) == 0)
        rels |= REL_OWNER;
    if (access_can(p, ACCESS_DEMAND_INTAKE) && covers(p, d->region))
        rels |= REL_INTAKE;
    if (access_can(p, ACCESS_DEMAND_OVERSEE) && covers(p, d->region))
        rels |= REL_OVERSIGHT;
    if (access_can(p, ACCESS_DEMAND_HANDLE)) {
        if (p->org_id && p->org_id == d->lead_org)
            rels |= REL_LEAD;
        if (co)
            rels |= REL_CO;
    }
    return rels;
}

static enum rc relations(struct conn *c, const struct principal *p, const struct drow *d,
                         unsigned *rels, struct err *e)
{
    bool co = false;
    if (access_can(p, ACCESS_DEMAND_HANDLE) && p->org_id) {
        struct stmt *st;
        enum rc rc = store_prepare(c,
                                   "SELECT 1 FROM demand_handlers WHERE demand_id = ? AND "
                                   "org_id = ? AND role = 'co'",
                                   &st, e);
        if (rc)
            return rc;
        store_bind_int(st, 1, d->id);
        store_bind_int(st, 2, p->org_id);
        rc = store_step(st, e);
        store_finish(st);
        if (rc == RC_ROW)
            co = true;
        else if (rc != RC_DONE)
            return rc;
    }
    *rels = demand__relations_of(p, d, co);
    return RC_OK;
}

/* Loads a demand the caller may see (RC_NOTFOUND otherwise) and its relations. */
enum rc demand__load_visible(struct conn *c, const struct principal *p, int64_t id, struct drow *d,
                             unsigned *rels, struct err *e)
{
    enum rc rc = demand__load(c, id, d, e);
    if (rc == RC_OK)
        rc = relations(c, p, d, rels, e);
    if (rc == RC_OK && !*rels && !access_can(p, ACCESS_SCOPE_ALL))
        rc = err_set(e, RC_NOTFOUND, NULL, "诉求不存在或无权查看");
    return rc;
}

enum rc demand_readable(struct conn *c, const struct principal *p, int64_t id, struct err *e)
{
    struct drow d;
    unsigned rels;
    return demand__load_visible(c, p, id, &d, &rels, e);
}

/* ---- clocks ------------------------------------------------------------------ */

const char *demand_light_name(enum demand_light l)
{
    static const char *const names[] = {"none", "green", "yellow", "red"};
    return names[l];
}

/* The deadline that is running in the demand's current state (0: none). */
int64_t demand__running_due(const struct drow *d)
{
    enum demand_state s = d->state;
    if ((s == DS_RETURN_REQUESTED || s == DS_EXTENSION_REQUESTED) && d->has_prev)
        s = d->prev;
    switch (s) {
    case DS_DISPATCHED:
        return d->sign_due;
    case DS_SIGNED:
    case DS_REOPENED:
        return d->reply_due;
    case DS_RECTIFYING:
        return d->rectify_due;
    default:
        return 0;
    }
}

static int64_t local_date(int64_t ms)
{
    int64_t minute = cal_minute_from_ms(ms);
    return minute >= 0 ? minute / 1440 : -((-minute + 1439) / 1440);
}

enum demand_light demand_light_of(const struct demand_ctx *ctx, int64_t due)
{
    if (!due)
        return LIGHT_NONE;
    if (ctx->now > due)
        return LIGHT_RED;
    int64_t left = cal_working_days_between(ctx->cal, local_date(ctx->now), local_date(due), NULL);
    return left <= (ctx->yellow_days > 0 ? ctx->yellow_days : 1) ? LIGHT_YELLOW : LIGHT_GREEN;
}

/* End of office time (17:30 local) of a date, as ms UTC (extension dates). */
int64_t demand__end_of_day(int64_t date)
{
    return cal_minute_to_ms(date * 1440 + 17 * 60 + 30);
}

/* A day deadline of days from now under the demand's urgency (category's counting rule). */
enum rc demand__due_days(const struct demand_ctx *ctx, const struct drow *d, int days, int64_t *out,
                         bool *beyond, struct err *e)
{
    enum category_urgency u = CATEGORY_NORMAL;
    (void)category_urgency_parse(d->urgency, &u);
    struct category_deadline dl;
    if (category_deadline_days(ctx->cal, ctx->now, u, days, &dl))
        return err_set(e, RC_INVALID, NULL, "无法计算办理期限");
    *beyond |= dl.beyond_coverage;
    *out = dl.at;
    return RC_OK;
}

/* ---- shared writers ---------------------------------------------------------- */

/* The audit image of a demand's mutable state. */
json_t *demand__image(const struct drow *d)
{
    json_t *j =
        json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:b}", "state", demand_state_name(d->state),
                  "lead_org", (json_int_t)d->lead_org, "sign_due", (json_int_t)d->sign_due,
                  "reply_due", (json_int_t)d->reply_due, "rectify_due", (json_int_t)d->rectify_due,
                  "rating", (json_int_t)d->rating, "reviewed", d->reviewed);
    if (d->merged_into)
        json_object_set_new(j, "merged_into", json_integer(d->merged_into));
    return j;
}

static void bind_opt_int(struct stmt *st, int i, int64_t v)
{
    if (v)
        store_bind_int(st, i, v);
    else
        store_bind_null(st, i);
}

/* Writes the mutable columns of n, if the row is still at version old->version. */
enum rc demand__save(struct conn *c, const struct drow *n, int old_version, int64_t now,
                     struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(
        c,
        "UPDATE demands SET state = ?, prev_state = ?, lead_org_id = ?, intake_org_id = ?, "
        "sign_due = ?, reply_due = ?, rectify_due = ?, due_beyond = ?, extension_to = ?, "
        "reviewed = ?, rating = ?, rating_count = ?, merged_into = ?, accepted_at = ?, "
        "dispatched_at = ?, signed_at = ?, replied_at = ?, closed_at = ?, updated_at = ?, "
        "version = version + 1 WHERE id = ? AND version = ?",
        &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, demand_state_name(n->state));
    store_bind_text(st, 2, n->has_prev ? demand_state_name(n->prev) : NULL);
    bind_opt_int(st, 3, n->lead_org);
    bind_opt_int(st, 4, n->intake_org);
    bind_opt_int(st, 5, n->sign_due);
    bind_opt_int(st, 6, n->reply_due);
    bind_opt_int(st, 7, n->rectify_due);
    store_bind_int(st, 8, n->beyond ? 1 : 0);
    bind_opt_int(st, 9, n->extension_to);
    store_bind_int(st, 10, n->reviewed ? 1 : 0);
    bind_opt_int(st, 11, n->rating);
    store_bind_int(st, 12, n->rating_count);
    bind_opt_int(st, 13, n->merged_into);
    bind_opt_int(st, 14, n->accepted_at);
    bind_opt_int(st, 15, n->dispatched_at);
    bind_opt_int(st, 16, n->signed_at);
    bind_opt_int(st, 17, n->replied_at);
    bind_opt_int(st, 18, n->closed_at);
    store_bind_int(st, 19, now);
    store_bind_int(st, 20, n->id);
    store_bind_int(st, 21, old_version);
    return flow_save_run(st, "诉求", e);
}

/* ---- creation ------------------------------------------------------------------- */

static const char *const urgencies[] = {"normal", "urgent", "critical", NULL};
static const char *const channels[] = {"web", "window", "hotline", "open311", "api", NULL};

static bool one_of(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

/* Finds an earlier demand by idempotency key or external id; *id = 0 when none. */
static enum rc find_existing(struct conn *c, const char *created_by, const struct demand_new *d,
                             const char *channel, int64_t *id, struct err *e)
{
    *id = 0;
    struct stmt *st;
    enum rc rc = RC_OK;
    if (d->idem_key) {
        rc = store_prepare(c, "SELECT id FROM demands WHERE created_by = ? AND idem_key = ?", &st,
                           e);
        if (rc)
            return rc;
        store_bind_text(st, 1, created_by);
        store_bind_text(st, 2, d->idem_key);
    } else if (d->external_id) {
        rc = store_prepare(c, "SELECT id FROM demands WHERE channel = ? AND external_id = ?", &st,
                           e);
        if (rc)
            return rc;
        store_bind_text(st, 1, channel);
        store_bind_text(st, 2, d->external_id);
    } else {
        return RC_OK;
    }
    rc = store_step(st, e);
    if (rc == RC_ROW)
        *id = store_int(st, 0);
    store_finish(st);
    return rc == RC_ROW || rc == RC_DONE ? RC_OK : rc;
}

/* A replay must be the same request: RC_CONFLICT when the key was used for another. */
static enum rc same_request(struct conn *c, int64_t id, const struct demand_new *d, struct err *e)
{
    struct stmt *st;
    enum rc rc =
        store_prepare(c, "SELECT category, title, content FROM demands WHERE id = ?", &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, id);
    rc = store_step(st, e);
    bool same = rc == RC_ROW && strcmp(store_text(st, 0), d->category) == 0 &&
                strcmp(store_text(st, 1), d->title) == 0 &&
                strcmp(store_text(st, 2), d->content) == 0;
    store_finish(st);
    if (rc != RC_ROW && rc != RC_DONE)
        return rc;
    if (!same)
        return err_set(e, RC_CONFLICT, d->idem_key ? "Idempotency-Key" : "external_id",
                       "该%s已用于另一件内容不同的诉求",
                       d->idem_key ? " Idempotency-Key " : "外部编号");
    return RC_OK;
}

/* The checks of a new demand that need no transaction; sets the channel and urgency. */
static enum rc check_new(const struct principal *p, const struct demand_new *d,
                         const char **channel_out, const char **urgency_out, struct err *e)
{
    bool ent = access_can(p, ACCESS_ENT_SELF);
    const char *credit = ent ? p->credit_code : d->credit_code;
    const char *channel = d->channel;
    if (!channel)
        channel = ent ? "web" : p->apikey_id ? "api" : "window";
    const char *urgency = d->urgency ? d->urgency : "normal";
    *channel_out = channel;
    *urgency_out = urgency;
    if (ent && strcmp(channel, "web") != 0)
        return err_set(e, RC_INVALID, "channel", "企业只能通过网上渠道提交诉求");
    if (!one_of(channels, channel))
        return err_set(e, RC_INVALID, "channel", "渠道应为 web、window、hotline、open311 或 api");
    if (!one_of(urgencies, urgency))
        return err_set(e, RC_INVALID, "urgency",
                       "紧急程度应为 normal（一般）、urgent（紧急）或 critical（特急）");
    if (!credit)
        return err_set(e, RC_INVALID, "credit_code", "缺少企业统一社会信用代码");
    enum rc rc = codes_credit_code_check(credit, e);
    if (rc) {
        snprintf(e->field, sizeof(e->field), "credit_code");
        return rc;
    }
    /* A mobile in any form codes_mobile_normalize takes, or a landline (0556-5551234). */
    if (d->contact_phone && *d->contact_phone &&
        codes_mobile_check(d->contact_phone, NULL) != RC_OK &&
        !codes_landline_valid(d->contact_phone))
        return err_set(e, RC_INVALID, "contact_phone",
                       "联系电话应为 11 位手机号或固定电话（如 0556-5551234）");
    if (d->has_location && (d->lat < -90 || d->lat > 90 || d->lon < -180 || d->lon > 180))
        return err_set(e, RC_INVALID, "lat", "经纬度超出范围");
    /* The category is checked by insert_new's first statement. */
    if (d->received_at < 0)
        return err_set(e, RC_INVALID, "received_at", "来电时间无效");
    return RC_OK;
}

/*
 * What a creation looks up before it writes, in one statement (on PostgreSQL each statement
 * is a round trip and ~50 us of the server's CPU): an earlier demand with the same
 * idempotency key or external id, the enterprise's region and name (NULL when it is not
 * registered), the id the INSERT takes, so that the number (no) goes in with the row, and
 * whether the category is active (NULL when there is none). A replay takes an id it does
 * not use, which leaves a gap, as a rollback does.
 */
#define PRE_EXISTING_KEY "(SELECT id FROM demands WHERE created_by = ? AND idem_key = ?)"
#define PRE_EXISTING_EXT "(SELECT id FROM demands WHERE channel = ? AND external_id = ?)"
#define PRE_SQL(existing)                                                                          \
    "SELECT " existing ", e.region, e.name, {{NEXT_ID}}, "                                         \
    "(SELECT active FROM categories WHERE code = ?) FROM (SELECT 1 AS one) x "                     \
    "LEFT JOIN enterprises e ON e.credit_code = ?"

static enum rc prepare_lookup(struct conn *c, const char *created_by, const struct demand_new *d,
                              const char *channel, const char *credit, struct stmt **st,
                              struct err *e)
{
    static const char *const sql[3] = {PRE_SQL(PRE_EXISTING_KEY), PRE_SQL(PRE_EXISTING_EXT),
                                       PRE_SQL("NULL")};
    int by = d->idem_key ? 0 : d->external_id ? 1 : 2;
    enum rc rc = store_prepare_next_id(c, sql[by], "demands", st, e);
    if (rc)
        return rc;
    int i = 1;
    if (by == 0) {
        store_bind_text(*st, i++, created_by);
        store_bind_text(*st, i++, d->idem_key);
    } else if (by == 1) {
        store_bind_text(*st, i++, channel);
        store_bind_text(*st, i++, d->external_id);
    }
    store_bind_text(*st, i++, d->category);
    store_bind_text(*st, i, credit);
    return RC_OK;
}

/*
 * The part of a creation inside the caller's transaction. It refuses (RC_INVALID,
 * RC_FORBIDDEN, RC_CONFLICT) before writing anything; *existed with *id_out for a
 * replay. Any other failure leaves the transaction to be rolled back. With answer, a new
 * demand's detail as p sees it (demand_get_text) is written there from the INSERT's own
 * RETURNING row, which saves reading it back.
 */
static enum rc insert_new(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                          const struct demand_new *d, const char *channel, const char *urgency,
                          int64_t *id_out, bool *existed, struct buf *answer, struct err *e)
{
    const char *credit = access_can(p, ACCESS_ENT_SELF) ? p->credit_code : d->credit_code;
    int64_t existing = 0, id = 0;
    /* The enterprise must be registered, and within a clerk's region; its name goes into
     * the demand (demands.enterprise_name, migration 0011). */
    char region[16] = "", *name = NULL;
    bool registered = false;
    struct stmt *st = NULL;
    enum rc rc = prepare_lookup(c, p->actor.name, d, channel, credit, &st, e);
    if (rc == RC_OK && (rc = store_step(st, e)) == RC_ROW) {
        existing = store_int(st, 0);
        if ((registered = !store_isnull(st, 1))) {
            mem_copy_text(region, sizeof(region), store_text(st, 1));
            name = xstrdup(store_text(st, 2));
        }
        id = store_int(st, 3);
        rc = store_int(st, 4)
                 ? RC_OK
                 : err_set(e, RC_INVALID, "category", "诉求类别 %s 不存在或已停用", d->category);
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_INTERNAL, NULL, "诉求编号无法分配");
    }
    store_finish(st);
    st = NULL;
    if (rc == RC_OK && existing) {
        xfree(name);
        rc = same_request(c, existing, d, e);
        if (rc)
            return rc;
        *existed = true;
        *id_out = existing;
        return RC_OK;
    }
    if (rc == RC_OK && !registered) {
        /* A region-bound filer (a clerk, an API key) must not learn whether a code
         * outside its region is registered elsewhere: an unknown code is judged by
         * the region its own digits name (characters 3-8 of a unified social credit
         * code) and then refused exactly like a registered enterprise out of scope. */
        bool bound = access_can(p, ACCESS_DEMAND_INTAKE) || p->apikey_id;
        if (bound && credit && strlen(credit) == 18) {
            snprintf(region, sizeof(region), "%.6s", credit + 2);
        } else {
            rc = err_set(e, RC_INVALID, "credit_code", "企业 %s 尚未在企业库登记", credit);
        }
        if (rc == RC_OK && covers(p, region))
            rc = err_set(e, RC_INVALID, "credit_code", "企业 %s 尚未在企业库登记", credit);
    }
    if (rc == RC_OK && access_can(p, ACCESS_DEMAND_INTAKE) && !p->apikey_id && !covers(p, region))
        rc = err_set(e, RC_FORBIDDEN, "credit_code", "该企业不在本窗口的受理范围内");
    /* An API key files like a clerk of its organisation (issue 14, item 17); the
     * command line's system principal has no key and no region. */
    if (rc == RC_OK && p->apikey_id && !covers(p, region))
        rc = err_set(e, RC_FORBIDDEN, "credit_code", "该企业不在本 API 密钥所属机构的受理范围内");
    int64_t now = ctx->now;
    char no[40];
    if (rc == RC_OK) {
        char day[40];
        time_fmt_cst(now, day, sizeof(day));
        snprintf(no, sizeof(no), "QF%.4s%.2s%.2s%08lld", day, day + 5, day + 8, (long long)id);
#define INSERT_SQL                                                                                 \
    "INSERT INTO demands (id, no, credit_code, region, category, urgency, channel, title, "        \
    "content, contact_name, contact_phone, address, lat, lon, state, external_id, idem_key, "      \
    "created_by, created_at, updated_at, received_at, enterprise_name) VALUES "                    \
    "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,'submitted',?,?,?,?,?,?,?)"
        rc = store_prepare(
            c, answer ? INSERT_SQL " RETURNING " DEMAND_DETAIL_RETURNING : INSERT_SQL, &st, e);
#undef INSERT_SQL
    }
    if (rc == RC_OK) {
        store_bind_int(st, 1, id);
        store_bind_text(st, 2, no);
        store_bind_text(st, 3, credit);
        store_bind_text(st, 4, region);
        store_bind_text(st, 5, d->category);
        store_bind_text(st, 6, urgency);
        store_bind_text(st, 7, channel);
        store_bind_text(st, 8, d->title);
        store_bind_text(st, 9, d->content);
        store_bind_text(st, 10, d->contact_name);
        store_bind_text(st, 11, d->contact_phone);
        store_bind_text(st, 12, d->address);
        if (d->has_location) {
            store_bind_double(st, 13, d->lat);
            store_bind_double(st, 14, d->lon);
        } else {
            store_bind_null(st, 13);
            store_bind_null(st, 14);
        }
        store_bind_text(st, 15, d->external_id);
        store_bind_text(st, 16, d->idem_key);
        store_bind_text(st, 17, p->actor.name);
        store_bind_int(st, 18, now);
        store_bind_int(st, 19, now);
        bind_opt_int(st, 20, d->received_at);
        store_bind_text(st, 21, name);
        if (!answer) {
            rc = store_run_later(st, e); /* a lost idempotency race (RC_EXISTS) shows later */
            store_finish(st);
        } else if ((rc = store_step(st, e)) == RC_ROW) {
            rc = demand__detail_write(st, ctx, p, answer, e); /* finishes st */
        } else {
            store_finish(st);
            if (rc == RC_DONE)
                rc = err_set(e, RC_INTERNAL, NULL, "新诉求未能写入");
        }
        st = NULL;
    }
    json_t *data = NULL, *audit = NULL;
    if (rc == RC_OK) {
        /* The timeline's event, and the audit's record with the number and the enterprise. */
        data = json_pack("{s:s, s:s, s:s, s:s}", "channel", channel, "category", d->category,
                         "urgency", urgency, "title", d->title);
        audit = json_deep_copy(data);
        json_object_set_new(audit, "no", json_string(no));
        json_object_set_new(audit, "credit_code", json_string(credit));
        if (d->external_id)
            json_object_set_new(audit, "external_id", json_string(d->external_id));
        struct flow_event ev = {"demand", id, now, "submit", NULL, "submitted", NULL, false, data};
        rc = flow_record(c, p, &ev, "demand.submit", NULL, audit, e);
    }
    json_decref(audit);
    json_decref(data);
    xfree(name);
    if (rc == RC_OK)
        *id_out = id;
    return rc;
}

static enum rc create(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                      const struct demand_new *d, int64_t *id_out, bool *existed,
                      struct buf *answer, struct err *e)
{
    *existed = false;
    const char *channel, *urgency;
    enum rc rc = check_new(p, d, &channel, &urgency, e);
    if (rc)
        return rc;
    rc = store_begin(c, e);
    if (rc)
        return rc;
    int64_t id = 0, existing;
    rc = insert_new(c, ctx, p, d, channel, urgency, &id, existed, answer, e);
    if (rc == RC_OK && *existed) {
        store_rollback(c);
        *id_out = id;
        return RC_OK;
    }
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (rc) {
        store_rollback(c);
        /* A concurrent retry with the same key won the race: answer with its demand. */
        if (rc == RC_EXISTS && (d->idem_key || d->external_id)) {
            struct err ignored;
            if (find_existing(c, p->actor.name, d, channel, &existing, &ignored) == RC_OK &&
                existing) {
                *existed = true;
                *id_out = existing;
                return RC_OK;
            }
        }
        return rc;
    }
    *id_out = id;
    return RC_OK;
}

enum rc demand_create(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                      const struct demand_new *d, int64_t *id, bool *existed, struct err *e)
{
    return create(c, ctx, p, d, id, existed, NULL, e);
}

enum rc demand_create_text(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                           const struct demand_new *d, int64_t *id, bool *existed, struct buf *out,
                           struct err *e)
{
    enum rc rc = create(c, ctx, p, d, id, existed, out, e);
    if (rc || *existed)
        buf_reset(out); /* a replay's detail is read by the caller; a failure's is partial */
    return rc;
}

enum rc demand__create_in_txn(struct conn *c, const struct demand_ctx *ctx,
                              const struct principal *p, const struct demand_new *d, int64_t *id,
                              bool *existed, struct err *e)
{
    assert(store_in_txn(c));
    *existed = false;
    const char *channel, *urgency;
    enum rc rc = check_new(p, d, &channel, &urgency, e);
    if (rc == RC_OK)
        rc = insert_new(c, ctx, p, d, channel, urgency, id, existed, NULL, e);
    return rc;
}

enum rc demand_sweep_overdue(struct conn *c, const struct demand_ctx *ctx, int *n_out,
                             struct err *e)
{
    int64_t ids[500], dues[500];
    int n = 0, flagged = 0;
    struct stmt *st;
    enum rc rc = store_prepare(
        c,
        "SELECT " DROW_COLS ", COALESCE(d.overdue_noticed, 0) FROM demands d WHERE d.state IN "
        "('dispatched','signed','reopened','rectifying','return_requested','extension_requested') "
        "AND ((d.sign_due IS NOT NULL AND d.sign_due < ?) OR (d.reply_due IS NOT NULL AND "
        "d.reply_due < ?) OR (d.rectify_due IS NOT NULL AND d.rectify_due < ?)) ORDER BY d.id "
        "LIMIT 2000",
        &st, e);
    if (rc)
        return rc;
    for (int i = 1; i <= 3; i++)
        store_bind_int(st, i, ctx->now);
    while ((rc = store_step(st, e)) == RC_ROW && n < 500) {
        struct drow d;
        read_row(st, &d);
        int64_t due = demand__running_due(&d);
        if (due && due < ctx->now && store_int(st, DROW_N) != due) {
            ids[n] = d.id;
            dues[n] = due;
            n++;
        }
    }
    store_finish(st);
    if (rc != RC_DONE && rc != RC_ROW)
        return rc;
    rc = RC_OK;
    static const struct principal sweeper = {.actor = {"system:overdue-sweep", ""},
                                             .role = "system",
                                             .username = "system",
                                             .display_name = "超期提醒",
                                             .org_name = "系统"};
    for (int i = 0; i < n && rc == RC_OK; i++) {
        struct drow d;
        rc = store_begin(c, e);
        if (rc == RC_OK)
            rc = demand__load(c, ids[i], &d, e);
        /* Re-check inside the transaction: another server may have swept it. */
        bool still = rc == RC_OK && demand__running_due(&d) == dues[i];
        if (still)
            rc = store_prepare(c,
                               "UPDATE demands SET overdue_noticed = ? WHERE id = ? AND "
                               "(overdue_noticed IS NULL OR overdue_noticed <> ?)",
                               &st, e);
        if (still && rc == RC_OK) {
            store_bind_int(st, 1, dues[i]);
            store_bind_int(st, 2, ids[i]);
            store_bind_int(st, 3, dues[i]);
            rc = store_run(st, e);
            still = rc == RC_OK && store_changes(st) == 1;
            store_finish(st);
        }
        if (still && rc == RC_OK) {
            char due[40], title[160];
            time_fmt_cst(dues[i], due, sizeof(due));
            json_t *data = json_pack("{s:s}", "due", due);
            struct flow_event ev = {"demand",
                                    d.id,
                                    ctx->now,
                                    "overdue",
                                    demand_state_name(d.state),
                                    demand_state_name(d.state),
                                    NULL,
                                    false,
                                    data};
            rc = flow_record(c, &sweeper, &ev, "demand.overdue", NULL, data, e);
            json_decref(data);
            snprintf(title, sizeof(title), "诉求 %s 已超期（期限 %.16s）", d.no, due);
            struct flow_to lead = {0, d.lead_org, NULL}, intake = {0, d.intake_org, NULL};
            if (rc == RC_OK)
                rc = flow_notice(c, "demand", d.id, &lead, "overdue", title, "请尽快办理", ctx->now,
                                 e);
            if (rc == RC_OK && d.intake_org != d.lead_org)
                rc = flow_notice(c, "demand", d.id, &intake, "overdue", title, "", ctx->now, e);
            if (rc == RC_OK)
                flagged++;
        }
        if (rc == RC_OK)
            rc = store_commit(c, e);
        else
            store_rollback(c);
    }
    if (n_out)
        *n_out = flagged;
    return rc;
}

/* ---- for the module's other files (demand_int.h) ---------------------------------- */

enum demand_light demand__light_of_cols(const struct demand_ctx *ctx, const char *state,
                                        const char *prev, int64_t sign_due, int64_t reply_due,
                                        int64_t rectify_due)
{
    struct drow d;
    memset(&d, 0, sizeof(d));
    (void)demand_state_parse(state ? state : "", &d.state);
    d.has_prev = prev && demand_state_parse(prev, &d.prev);
    d.sign_due = sign_due;
    d.reply_due = reply_due;
    d.rectify_due = rectify_due;
    return demand_light_of(ctx, demand__running_due(&d));
}

int64_t demand__local_date(int64_t ms)
{
    return local_date(ms);
}

enum rc demand__access(struct conn *c, const struct principal *p, int64_t id, char no[40],
                       enum demand_state *state, unsigned *rels, struct err *e)
{
    struct drow d;
    enum rc rc = demand__load_visible(c, p, id, &d, rels, e);
    if (rc == RC_OK) {
        mem_copy_text(no, 40, d.no);
        *state = d.state;
    }
    return rc;
}
