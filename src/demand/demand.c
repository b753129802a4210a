/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demand: records, relations, clocks, the timeline and the actions of the loop.
 * Reading order: row loading and relations, clocks and lights, creation, the
 * action dispatcher (one function per kind of side effect), reads.
 */
#include "demand.h"
#include "demand_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "../auth/auth.h"
#include "../base/buf.h"
#include "../base/jsonx.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../cal/cal.h"
#include "../category/category.h"
#include "../codes/codes.h"
#include "../ent/ent.h"
#include "../flow/flow.h"
#include "../org/org.h"
#include "../store/store.h"

/* ---- rows ----------------------------------------------------------------- */

struct drow {
    int64_t id;
    char no[40], credit[24], region[16], category[48], urgency[16], channel[16];
    enum demand_state state, prev;
    bool has_prev, reviewed, beyond;
    int64_t lead_org, intake_org, sign_due, reply_due, rectify_due, extension_to, merged_into;
    int rating, rating_count;
    int64_t created_at, accepted_at, dispatched_at, signed_at, replied_at, closed_at;
    int version;
};

/* The columns read_row reads: first those a list item needs (DROW_LIST_COLS, with which a
 * list reads fewer columns per row), then the rest. The nullable numbers are read with
 * store_int, which gives 0 for NULL, so they need no COALESCE (one virtual machine step
 * fewer per column and row). */
#define DROW_LIST_COLS                                                                             \
    "d.id, d.no, d.credit_code, d.region, d.category, d.urgency, d.channel, d.state, "             \
    "d.prev_state, d.reviewed, d.due_beyond, d.sign_due, d.reply_due, d.rectify_due, "             \
    "d.extension_to, d.merged_into, d.rating, d.created_at"
#define DROW_LIST_N 18
#define DROW_COLS                                                                                  \
    DROW_LIST_COLS ", d.lead_org_id, d.intake_org_id, d.rating_count, d.accepted_at, "             \
                   "d.dispatched_at, d.signed_at, d.replied_at, d.closed_at, d.version"
#define DROW_N 27

/* Reads the first n columns (DROW_LIST_N or DROW_N) into d; the others stay 0. */
static void read_row_n(struct stmt *st, struct drow *d, int n)
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
    read_row_n(st, d, DROW_N);
}

static enum rc load(struct conn *c, int64_t id, struct drow *d, struct err *e)
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
static unsigned relations_of(const struct principal *p, const struct drow *d, bool co)
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
    *rels = relations_of(p, d, co);
    return RC_OK;
}

/* Loads a demand the caller may see (RC_NOTFOUND otherwise) and its relations. */
static enum rc load_visible(struct conn *c, const struct principal *p, int64_t id, struct drow *d,
                            unsigned *rels, struct err *e)
{
    enum rc rc = load(c, id, d, e);
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
    return load_visible(c, p, id, &d, &rels, e);
}

/* ---- clocks ------------------------------------------------------------------ */

const char *demand_light_name(enum demand_light l)
{
    static const char *const names[] = {"none", "green", "yellow", "red"};
    return names[l];
}

/* The deadline that is running in the demand's current state (0: none). */
static int64_t running_due(const struct drow *d)
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
static int64_t end_of_day(int64_t date)
{
    return cal_minute_to_ms(date * 1440 + 17 * 60 + 30);
}

/* The limits of the demand's category and urgency. */
static enum rc limits_of(struct conn *c, const struct drow *d, struct category_limits *lim,
                         struct err *e)
{
    return category_limits_of(c, d->category, d->urgency, lim, e);
}

/* A day deadline of days from now under the demand's urgency (category's counting rule). */
static enum rc due_days(const struct demand_ctx *ctx, const struct drow *d, int days, int64_t *out,
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

static enum rc add_event(struct conn *c, const struct principal *p, int64_t id, int64_t now,
                         const char *action, const char *from, const char *to, const char *note,
                         bool internal, const json_t *data, struct err *e)
{
    struct flow_event ev = {"demand", id, now, action, from, to, note, internal, data};
    return flow_record(c, p, &ev, NULL, NULL, NULL, e);
}

/* A notice to an organisation (org_id) or an enterprise (credit). */
static enum rc notify(struct conn *c, int64_t org_id, const char *credit, int64_t demand,
                      const char *kind, const char *title, const char *body, int64_t now,
                      struct err *e)
{
    struct flow_to to = {0, org_id, org_id ? NULL : credit};
    return flow_notice(c, "demand", demand, &to, kind, title, body, now, e);
}

/* The audit image of a demand's mutable state. */
static json_t *image(const struct drow *d)
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
static enum rc save(struct conn *c, const struct drow *n, int old_version, int64_t now,
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
    rc = store_run(st, e);
    if (rc == RC_OK && store_changes(st) != 1)
        rc = err_set(e, RC_CONFLICT, NULL, "诉求已被他人处理，请刷新后重试");
    store_finish(st);
    return rc;
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
static enum rc check_new(struct conn *c, const struct principal *p, const struct demand_new *d,
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
    struct category_limits lim;
    rc = category_limits_of(c, d->category, urgency, &lim, e);
    if (rc == RC_NOTFOUND)
        return err_set(e, RC_INVALID, "category", "诉求类别 %s 不存在或已停用", d->category);
    if (rc == RC_OK && d->received_at < 0)
        return err_set(e, RC_INVALID, "received_at", "来电时间无效");
    return rc;
}

/*
 * The part of a creation inside the caller's transaction. It refuses (RC_INVALID,
 * RC_FORBIDDEN, RC_CONFLICT) before writing anything; *existed with *id_out for a
 * replay. Any other failure leaves the transaction to be rolled back.
 */
static enum rc insert_new(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                          const struct demand_new *d, const char *channel, const char *urgency,
                          int64_t *id_out, bool *existed, struct err *e)
{
    const char *credit = access_can(p, ACCESS_ENT_SELF) ? p->credit_code : d->credit_code;
    int64_t existing;
    enum rc rc = find_existing(c, p->actor.name, d, channel, &existing, e);
    if (rc == RC_OK && existing) {
        rc = same_request(c, existing, d, e);
        if (rc)
            return rc;
        *existed = true;
        *id_out = existing;
        return RC_OK;
    }
    /* The enterprise must be registered, and within a clerk's region; its name goes into
     * the demand (demands.enterprise_name, migration 0011). */
    char region[16] = "", *name = NULL;
    struct stmt *st = NULL;
    if (rc == RC_OK)
        rc = store_prepare(c, "SELECT region, name FROM enterprises WHERE credit_code = ?", &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, credit);
        rc = store_step(st, e);
        if (rc == RC_ROW) {
            mem_copy_text(region, sizeof(region), store_text(st, 0));
            name = xstrdup(store_text(st, 1));
            rc = RC_OK;
        } else if (rc == RC_DONE) {
            /* A region-bound filer (a clerk, an API key) must not learn whether a code
             * outside its region is registered elsewhere: an unknown code is judged by
             * the region its own digits name (characters 3-8 of a unified social credit
             * code) and then refused exactly like a registered enterprise out of scope. */
            bool bound = access_can(p, ACCESS_DEMAND_INTAKE) || p->apikey_id;
            if (bound && credit && strlen(credit) == 18) {
                snprintf(region, sizeof(region), "%.6s", credit + 2);
                rc = RC_OK;
            } else {
                rc = err_set(e, RC_INVALID, "credit_code", "企业 %s 尚未在企业库登记", credit);
            }
            if (rc == RC_OK && covers(p, region))
                rc = err_set(e, RC_INVALID, "credit_code", "企业 %s 尚未在企业库登记", credit);
        }
        store_finish(st);
        st = NULL;
    }
    if (rc == RC_OK && access_can(p, ACCESS_DEMAND_INTAKE) && !p->apikey_id && !covers(p, region))
        rc = err_set(e, RC_FORBIDDEN, "credit_code", "该企业不在本窗口的受理范围内");
    /* An API key files like a clerk of its organisation (issue 14, item 17); the
     * command line's system principal has no key and no region. */
    if (rc == RC_OK && p->apikey_id && !covers(p, region))
        rc = err_set(e, RC_FORBIDDEN, "credit_code", "该企业不在本 API 密钥所属机构的受理范围内");
    int64_t now = ctx->now, id = 0;
    if (rc == RC_OK) /* the id the INSERT takes, so that the number (no) goes in with the row */
        rc = store_next_id(c, "demands", &id, e);
    char no[40];
    if (rc == RC_OK) {
        char day[40];
        time_fmt_cst(now, day, sizeof(day));
        snprintf(no, sizeof(no), "QF%.4s%.2s%.2s%08lld", day, day + 5, day + 8, (long long)id);
        rc = store_prepare(
            c,
            "INSERT INTO demands (id, no, credit_code, region, category, urgency, channel, title, "
            "content, contact_name, contact_phone, address, lat, lon, state, external_id, "
            "idem_key, created_by, created_at, updated_at, received_at, enterprise_name) VALUES "
            "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,'submitted',?,?,?,?,?,?,?)",
            &st, e);
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
        rc = store_run(st, e);
        store_finish(st);
        st = NULL;
    }
    json_t *data = NULL;
    if (rc == RC_OK) {
        data = json_pack("{s:s, s:s, s:s, s:s}", "channel", channel, "category", d->category,
                         "urgency", urgency, "title", d->title);
        rc = add_event(c, p, id, now, "submit", NULL, "submitted", NULL, false, data, e);
    }
    if (rc == RC_OK) {
        char sid[24];
        snprintf(sid, sizeof(sid), "%lld", (long long)id);
        json_object_set_new(data, "no", json_string(no));
        json_object_set_new(data, "credit_code", json_string(credit));
        if (d->external_id)
            json_object_set_new(data, "external_id", json_string(d->external_id));
        struct audit_event ev = {"demand.submit", "demand", sid, NULL, data};
        rc = audit_append(c, &p->actor, &ev, NULL, e);
    }
    json_decref(data);
    xfree(name);
    if (rc == RC_OK)
        *id_out = id;
    return rc;
}

enum rc demand_create(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                      const struct demand_new *d, int64_t *id_out, bool *existed, struct err *e)
{
    *existed = false;
    const char *channel, *urgency;
    enum rc rc = check_new(c, p, d, &channel, &urgency, e);
    if (rc)
        return rc;
    rc = store_begin(c, e);
    if (rc)
        return rc;
    int64_t id = 0, existing;
    rc = insert_new(c, ctx, p, d, channel, urgency, &id, existed, e);
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

enum rc demand__create_in_txn(struct conn *c, const struct demand_ctx *ctx,
                              const struct principal *p, const struct demand_new *d, int64_t *id,
                              bool *existed, struct err *e)
{
    assert(store_in_txn(c));
    *existed = false;
    const char *channel, *urgency;
    enum rc rc = check_new(c, p, d, &channel, &urgency, e);
    if (rc == RC_OK)
        rc = insert_new(c, ctx, p, d, channel, urgency, id, existed, e);
    return rc;
}

/* ---- actions ----------------------------------------------------------------------- */

/* The id of a dispatch target, which must lie in the dispatching clerk's scope
 * (org_may_dispatch: its prefecture, or a configured cross-region partner). */
static enum rc org_id_of(struct conn *c, const struct principal *p, const char *code,
                         const char *field, int64_t *id, struct err *e)
{
    struct pool pool;
    struct org o;
    bool ok = false;
    pool_init(&pool);
    enum rc rc = org_by_code(c, code, &pool, &o, e);
    if (rc == RC_NOTFOUND)
        rc = err_set(e, RC_INVALID, field, "机构 %s 不存在", code);
    if (rc == RC_OK)
        rc = org_may_dispatch(c, p->org_path, p->org_region, &o, &ok, e);
    if (rc == RC_OK && !ok)
        rc = err_set(e, RC_FORBIDDEN, field,
                     "不能交办给 %s（%s）：该机构不在本地区的交办范围内，跨地区交办须由管理员"
                     "先将其设为协作单位",
                     o.code, o.name);
    if (rc == RC_OK)
        *id = o.id;
    pool_clear(&pool);
    return rc;
}

static enum rc set_handlers(struct conn *c, int64_t demand, int64_t lead, const int64_t *co,
                            size_t n_co, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, "DELETE FROM demand_handlers WHERE demand_id = ?", &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, demand);
    rc = store_run(st, e);
    store_finish(st);
    for (size_t i = 0; i <= n_co && rc == RC_OK && lead; i++) {
        /* The row carries the demand's category, for the handler's list by category
         * (migration 0010). */
        rc = store_prepare(c,
                           "INSERT INTO demand_handlers (demand_id, org_id, role, category) "
                           "SELECT id, ?, ?, category FROM demands WHERE id = ?",
                           &st, e);
        if (rc)
            break;
        store_bind_int(st, 1, i == 0 ? lead : co[i - 1]);
        store_bind_text(st, 2, i == 0 ? "lead" : "co");
        store_bind_int(st, 3, demand);
        rc = store_run(st, e);
        store_finish(st);
    }
    return rc;
}

/* Parsed parameters of an action request. */
struct params {
    const char *action, *note, *lead, *until, *into;
    int64_t rating;
    json_t *co;
};

static enum rc parse_params(const json_t *j, struct params *q, struct err *e)
{
    static const char *const fields[] = {"action", "note",   "lead", "co",
                                         "until",  "rating", "into", NULL};
    memset(q, 0, sizeof(*q));
    enum rc rc = jsonx_only(j, fields, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(j, "action", true, 32, &q->action, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(j, "note", false, 4000, &q->note, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(j, "lead", false, 32, &q->lead, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(j, "until", false, 10, &q->until, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(j, "into", false, 24, &q->into, e);
    if (rc == RC_OK)
        rc = jsonx_get_int(j, "rating", false, 1, 5, &q->rating, e);
    json_t *co = json_object_get(j, "co");
    if (rc == RC_OK && co && !json_is_null(co)) {
        if (!json_is_array(co) || json_array_size(co) > 10)
            return err_set(e, RC_INVALID, "co", "协办单位应为机构代码数组（最多 10 个）");
        size_t i;
        json_t *x;
        json_array_foreach(co, i, x) if (!json_is_string(x)) return err_set(
            e, RC_INVALID, "co", "协办单位应为机构代码数组");
        q->co = co;
    }
    if (rc == RC_OK && q->note && !*q->note)
        q->note = NULL;
    return rc;
}

static const char *const rating_labels[] = {"",         "非常不满意", "不满意",
                                            "基本满意", "满意",       "非常满意"};

enum rc demand_act(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                   int64_t id, const json_t *params, struct err *e)
{
    struct params q;
    enum rc rc = parse_params(params, &q, e);
    if (rc)
        return rc;
    const struct demand_action *a = demand_flow_find(q.action);
    if (!a)
        return err_set(e, RC_INVALID, "action", "未知的操作 %s", q.action);
    if (a->note_required && !q.note)
        return err_set(e, RC_INVALID, "note", "“%s”须填写说明", a->label);
    rc = store_begin(c, e);
    if (rc)
        return rc;
    struct drow d, n;
    unsigned rels = 0;
    rc = load_visible(c, p, id, &d, &rels, e);
    if (rc == RC_OK)
        rc = demand_flow_check(a, rels, d.state, d.reviewed, e);
    if (rc) {
        store_rollback(c);
        return rc;
    }
    n = d;
    int64_t now = ctx->now;
    bool internal = strcmp(a->name, "note") == 0;
    json_t *data = json_object();
    struct category_limits lim = {0};
    int64_t co_ids[10];
    size_t n_co = 0;
    const char *kind = a->name;

    /* The target state. */
    switch (a->to) {
    case TO_STATE:
        n.state = a->state;
        break;
    case TO_SAME:
        break;
    case TO_PREVIOUS:
        n.state = d.has_prev ? d.prev : a->state;
        n.has_prev = false;
        break;
    case TO_BY_RATING:
        break;
    }
    /* Per-action work. */
    if (strcmp(a->name, "accept") == 0 || strcmp(a->name, "answer_directly") == 0 ||
        strcmp(a->name, "decline") == 0) {
        n.intake_org = p->org_id;
        n.accepted_at = now;
        if (n.state != DS_ACCEPTED)
            n.closed_at = now;
    } else if (strcmp(a->name, "merge") == 0) {
        char *end = NULL;
        long long into = q.into ? strtoll(q.into, &end, 10) : 0;
        struct drow t;
        memset(&t, 0, sizeof(t)); /* read below even when the target was not loaded */
        unsigned trels = 0;
        if (!q.into || *end || into <= 0 || into == id)
            rc = err_set(e, RC_INVALID, "into", "须指定要并入的另一件诉求编号");
        if (rc == RC_OK && (rc = load_visible(c, p, into, &t, &trels, e)) == RC_NOTFOUND)
            rc = err_set(e, RC_INVALID, "into", "要并入的诉求不存在");
        if (rc == RC_OK && (t.state == DS_MERGED || !(trels & REL_INTAKE)))
            rc = err_set(e, RC_INVALID, "into", "不能并入该诉求");
        n.merged_into = into;
        n.closed_at = now;
        if (rc == RC_OK)
            json_object_set_new(data, "into", json_string(t.no));
    } else if (strcmp(a->name, "dispatch") == 0) {
        if (!q.lead)
            rc = err_set(e, RC_INVALID, "lead", "交办须指定主办单位");
        if (rc == RC_OK)
            rc = org_id_of(c, p, q.lead, "lead", &n.lead_org, e);
        size_t i;
        json_t *x;
        json_array_foreach(q.co, i, x)
        {
            if (rc)
                break;
            rc = org_id_of(c, p, json_string_value(x), "co", &co_ids[n_co], e);
            if (rc == RC_OK && co_ids[n_co] == n.lead_org)
                rc = err_set(e, RC_INVALID, "co", "协办单位不能与主办单位相同");
            for (size_t k = 0; rc == RC_OK && k < n_co; k++)
                if (co_ids[k] == co_ids[n_co])
                    rc = err_set(e, RC_INVALID, "co", "协办单位重复");
            n_co++;
        }
        if (rc == RC_OK)
            rc = limits_of(c, &d, &lim, e);
        /* Both clocks from the one rule (category_deadlines), so the sign-for deadline
         * never falls after the reply deadline. */
        n.beyond = false;
        enum category_urgency u = CATEGORY_NORMAL;
        (void)category_urgency_parse(d.urgency, &u);
        struct category_deadlines dl;
        if (rc == RC_OK && category_deadlines(ctx->cal, now, u, &lim, &dl))
            rc = err_set(e, RC_INVALID, NULL, "无法计算办理期限");
        if (rc == RC_OK) {
            n.sign_due = dl.sign.at;
            n.reply_due = dl.reply.at;
            n.beyond = dl.sign.beyond_coverage || dl.reply.beyond_coverage;
        }
        if (rc == RC_OK)
            rc = set_handlers(c, id, n.lead_org, co_ids, n_co, e);
        n.intake_org = p->org_id;
        n.dispatched_at = now;
        n.signed_at = n.replied_at = 0;
        n.extension_to = 0;
        json_object_set_new(data, "lead", json_string(q.lead));
        if (q.co)
            json_object_set(data, "co", q.co);
    } else if (strcmp(a->name, "sign") == 0) {
        n.signed_at = now;
    } else if (strcmp(a->name, "return") == 0 || strcmp(a->name, "request_extension") == 0) {
        n.prev = d.state;
        n.has_prev = true;
        if (strcmp(a->name, "request_extension") == 0) {
            int64_t date;
            if (!q.until || cal_date_parse(q.until, &date))
                rc = err_set(e, RC_INVALID, "until", "须填写延期至的日期 YYYY-MM-DD");
            else if (end_of_day(date) <= running_due(&d))
                rc = err_set(e, RC_INVALID, "until", "延期日期须晚于当前办理期限");
            else
                n.extension_to = end_of_day(date);
            json_object_set_new(data, "until", json_string(q.until ? q.until : ""));
        }
    } else if (strcmp(a->name, "approve_return") == 0) {
        n.lead_org = 0;
        n.sign_due = n.reply_due = 0;
        n.has_prev = false;
        rc = set_handlers(c, id, 0, NULL, 0, e);
    } else if (strcmp(a->name, "approve_extension") == 0) {
        if (n.state == DS_RECTIFYING)
            n.rectify_due = d.extension_to;
        else if (n.state == DS_DISPATCHED)
            n.sign_due = d.extension_to;
        else
            n.reply_due = d.extension_to;
        n.extension_to = 0;
    } else if (strcmp(a->name, "reject_extension") == 0) {
        n.extension_to = 0;
    } else if (strcmp(a->name, "reply") == 0) {
        n.reviewed = false;
        n.replied_at = now;
        n.rectify_due = d.state == DS_RECTIFYING ? d.rectify_due : 0;
    } else if (strcmp(a->name, "review_accept") == 0) {
        n.reviewed = true;
    } else if (strcmp(a->name, "review_reject") == 0) {
        n.reviewed = false;
    } else if (strcmp(a->name, "rate") == 0) {
        if (!q.rating)
            rc = err_set(e, RC_INVALID, "rating", "请选择评价（1–5）");
        else if (q.rating <= 2 && !q.note)
            rc = err_set(e, RC_INVALID, "note", "不满意评价须填写原因");
        n.rating = (int)q.rating;
        n.rating_count = d.rating_count + 1;
        json_object_set_new(data, "rating", json_integer(q.rating));
        json_object_set_new(
            data, "rating_label",
            json_string(rating_labels[q.rating >= 1 && q.rating <= 5 ? q.rating : 0]));
        if (rc == RC_OK && q.rating <= 2 && d.state == DS_REPLIED) {
            /* 差评: mandatory rectification with its own clock, and a call-back. */
            n.state = DS_RECTIFYING;
            n.reviewed = false;
            rc = limits_of(c, &d, &lim, e);
            if (rc == RC_OK)
                rc = due_days(ctx, &d, lim.rectify_days, &n.rectify_due, &n.beyond, e);
        } else if (rc == RC_OK && q.rating <= 2) {
            /* 差评 of a direct answer: no lead organisation to rectify, so the demand goes
             * back to the intake desk, which calls back and handles it again (dispatch or
             * answer anew). */
            n.state = DS_ACCEPTED;
            n.closed_at = 0;
        } else {
            n.state = DS_RATED;
            n.closed_at = now;
        }
    } else if (strcmp(a->name, "reopen") == 0) {
        n.reviewed = false;
        n.closed_at = 0;
        if (!d.lead_org) {
            /* Never dispatched (answered directly): reopening means handling it again at
             * the intake desk. */
            n.state = DS_ACCEPTED;
        } else {
            rc = limits_of(c, &d, &lim, e);
            if (rc == RC_OK)
                rc = due_days(ctx, &d, lim.reply_days, &n.reply_due, &n.beyond, e);
        }
    } else if (strcmp(a->name, "archive") == 0) {
        if (d.state == DS_RATED && d.rating <= 2)
            rc = err_set(e, RC_STATE, "action", "差评诉求须整改并重新评价后才能归档");
        if (!n.closed_at)
            n.closed_at = now;
    } else if (strcmp(a->name, "urge") == 0) {
        int64_t due = running_due(&d);
        kind = due && now > due ? "supervise" : "urge";
        json_object_set_new(data, "kind", json_string(kind));
        json_object_set_new(data, "kind_label",
                            json_string(strcmp(kind, "urge") == 0 ? "催办" : "督办"));
    }
    json_t *before = image(&d), *after = image(&n);
    /* Notes, interim replies, co-handlers' opinions, call-backs and urges change no
     * column of the demand; everything else is saved (and bumps its version). */
    static const char *const stateless[] = {"note",     "interim_reply", "assist",
                                            "callback", "urge",          NULL};
    if (rc == RC_OK && !one_of(stateless, a->name))
        rc = save(c, &n, d.version, now, e);
    if (rc == RC_OK)
        rc = add_event(c, p, id, now, strcmp(kind, "supervise") == 0 ? "supervise" : a->name,
                       demand_state_name(d.state), demand_state_name(n.state), q.note, internal,
                       json_object_size(data) ? data : NULL, e);
    if (rc == RC_OK) {
        char sid[24], act[64];
        snprintf(sid, sizeof(sid), "%lld", (long long)id);
        snprintf(act, sizeof(act), "demand.%s", kind);
        struct audit_event ev = {act, "demand", sid, before, after};
        rc = audit_append(c, &p->actor, &ev, NULL, e);
    }
    /* Notices to whoever must act next. */
    char title[160];
    if (rc == RC_OK && strcmp(a->name, "dispatch") == 0) {
        snprintf(title, sizeof(title), "新交办诉求 %s", d.no);
        rc = notify(c, n.lead_org, NULL, id, "dispatched", title, "请在签收时限内签收办理", now, e);
        for (size_t i = 0; i < n_co && rc == RC_OK; i++)
            rc = notify(c, co_ids[i], NULL, id, "dispatched", title, "请协办", now, e);
    } else if (rc == RC_OK && (strcmp(a->name, "return") == 0 || strcmp(a->name, "reply") == 0)) {
        snprintf(title, sizeof(title), "%s %s",
                 strcmp(a->name, "return") == 0 ? "退单待审核" : "答复待审核", d.no);
        rc = notify(c, d.intake_org, NULL, id, a->name, title, q.note ? q.note : "", now, e);
    } else if (rc == RC_OK &&
               (strcmp(a->name, "approve_extension") == 0 ||
                strcmp(a->name, "reject_extension") == 0 || strcmp(a->name, "reject_return") == 0 ||
                strcmp(a->name, "review_reject") == 0 || strcmp(a->name, "urge") == 0)) {
        /* An urge is titled by its kind (催办 before the deadline, 督办 after), not by
         * the table's combined label "催办/督办". */
        const char *what = strcmp(kind, "supervise") == 0 ? "督办"
                           : strcmp(kind, "urge") == 0    ? "催办"
                                                          : a->label;
        snprintf(title, sizeof(title), "%s %s", what, d.no);
        rc = notify(c, n.lead_org, NULL, id, kind, title, q.note ? q.note : "", now, e);
    } else if (rc == RC_OK &&
               (strcmp(a->name, "review_accept") == 0 || strcmp(a->name, "answer_directly") == 0)) {
        snprintf(title, sizeof(title), "您的诉求 %s 已答复，请评价", d.no);
        rc = notify(c, 0, d.credit, id, "rating_requested", title, "", now, e);
    } else if (rc == RC_OK && strcmp(a->name, "rate") == 0 && n.state == DS_ACCEPTED) {
        snprintf(title, sizeof(title), "差评须回访并重新办理 %s", d.no);
        rc = notify(c, d.intake_org, NULL, id, "callback", title, q.note ? q.note : "", now, e);
    } else if (rc == RC_OK && strcmp(a->name, "rate") == 0 && n.state == DS_RECTIFYING) {
        snprintf(title, sizeof(title), "差评整改 %s", d.no);
        rc = notify(c, n.lead_org, NULL, id, "rectify", title, q.note ? q.note : "", now, e);
        if (rc == RC_OK)
            rc = notify(c, d.intake_org, NULL, id, "callback", title, "差评须回访", now, e);
    }
    json_decref(before);
    json_decref(after);
    json_decref(data);
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (rc)
        store_rollback(c);
    return rc;
}

/* ---- reads ----------------------------------------------------------------------- */

static json_t *opt(struct stmt *st, int i)
{
    return store_isnull(st, i) ? json_null() : json_string(store_text(st, i));
}

static json_t *when(int64_t ms)
{
    if (!ms)
        return json_null();
    char out[40];
    time_fmt_cst(ms, out, sizeof(out));
    return json_string_nocheck(out);
}

/* Writes "%q%" with LIKE's metacharacters escaped by '\' (out holds 2 * len + 3). */
static void like_pattern(char *out, const char *q)
{
    *out++ = '%';
    for (; *q; q++) {
        if (*q == '%' || *q == '_' || *q == '\\')
            *out++ = '\\';
        *out++ = *q;
    }
    *out++ = '%';
    *out = '\0';
}

/* ---- rows written as JSON text ------------------------------------------------------ */

/*
 * Lists and details write their JSON straight into the response buffer: building Jansson
 * objects of 22 members, serializing and freeing them was half of a read's CPU (perf:
 * malloc/free, json_object_set, the dump). Texts from the database are checked like
 * json_string checks them and written as null when they are not valid UTF-8; the fixed
 * vocabulary is written as it is. The writer's error is sticky: after the first failure
 * (the buffer's cap) nothing more is written and w->rc keeps it.
 */
/* Writes ,"key": where key is a literal in plain ASCII (no escaping needed). */
#define JW_KEY(w, lit) JSONX_W_LIT((w), ",\"" lit "\":")

/* when(): a China Standard Time stamp (plain ASCII), or null for 0. */
static void jw_when(struct jsonx_w *w, int64_t ms)
{
    if (!ms) {
        jsonx_w_raw(w, "null", 4);
        return;
    }
    char out[64];
    out[0] = '"';
    size_t n = 1 + time_fmt_cst(ms, out + 1, sizeof(out) - 2);
    out[n++] = '"';
    jsonx_w_raw(w, out, n);
}

/* Writes the members every view of a demand has, without the closing brace, so the
 * caller can add its own. */
static void row_write(struct jsonx_w *w, const struct demand_ctx *ctx, const struct drow *d)
{
    int64_t due = running_due(d);
    enum demand_light light = demand_light_of(ctx, due);
    JSONX_W_LIT(w, "{\"id\":\"");
    jsonx_w_int(w, d->id);
    JSONX_W_LIT(w, "\"");
    JW_KEY(w, "no");
    jsonx_w_text(w, d->no);
    JW_KEY(w, "credit_code");
    jsonx_w_text(w, d->credit);
    JW_KEY(w, "region");
    jsonx_w_text(w, d->region);
    JW_KEY(w, "category");
    jsonx_w_text(w, d->category);
    JW_KEY(w, "urgency");
    jsonx_w_text(w, d->urgency);
    JW_KEY(w, "state");
    jsonx_w_str(w, demand_state_name(d->state));
    JW_KEY(w, "state_label");
    jsonx_w_str(w, demand_state_label(d->state));
    JW_KEY(w, "sign_due");
    jw_when(w, d->sign_due);
    JW_KEY(w, "reply_due");
    jw_when(w, d->reply_due);
    JW_KEY(w, "rectify_due");
    jw_when(w, d->rectify_due);
    JW_KEY(w, "due");
    jw_when(w, due);
    JW_KEY(w, "due_beyond_coverage");
    jsonx_w_bool(w, d->beyond);
    JW_KEY(w, "light");
    jsonx_w_str(w, demand_light_name(light));
    JW_KEY(w, "created_at");
    jw_when(w, d->created_at);
    JW_KEY(w, "rating");
    if (d->rating)
        jsonx_w_int(w, d->rating);
    else
        jsonx_w_raw(w, "null", 4);
    JW_KEY(w, "channel");
    jsonx_w_text(w, d->channel);
    JW_KEY(w, "reviewed");
    jsonx_w_bool(w, d->reviewed);
    if (d->merged_into) {
        JW_KEY(w, "merged_into");
        jsonx_w_int(w, d->merged_into);
    }
    if (d->extension_to) {
        JW_KEY(w, "extension_requested_until");
        jw_when(w, d->extension_to);
    }
}

/* The actions the caller may take now (the buttons), as an array. */
static void jw_actions(struct jsonx_w *w, const struct drow *d, unsigned rels)
{
    int n, k = 0;
    const struct demand_action *all = demand_flow_actions(&n);
    jsonx_w_raw(w, "[", 1);
    for (int i = 0; i < n; i++) {
        if (demand_flow_check(&all[i], rels, d->state, d->reviewed, NULL) != RC_OK)
            continue;
        if (k++)
            jsonx_w_raw(w, ",", 1);
        jsonx_w_raw(w, "{\"action\":", 10);
        jsonx_w_str(w, all[i].name);
        JW_KEY(w, "label");
        jsonx_w_str(w, all[i].label);
        JW_KEY(w, "note_required");
        jsonx_w_bool(w, all[i].note_required);
        jsonx_w_raw(w, "}", 1);
    }
    jsonx_w_raw(w, "]", 1);
}

/* The row with its details, once per co-handler (ordered by code; one row with NULLs
 * when there is none): one statement, so one snapshot and one read transaction. */
#define DETAIL_SQL                                                                                 \
    "SELECT " DROW_COLS ", d.title, d.content, d.contact_name, d.contact_phone, d.address, "       \
    "d.enterprise_name, lo.code, lo.name, d.external_id, COALESCE(d.received_at, 0), co.code, "    \
    "co.name, COALESCE(h.org_id, 0) FROM demands d LEFT JOIN orgs lo ON lo.id = d.lead_org_id "    \
    "LEFT JOIN demand_handlers h ON h.demand_id = d.id AND h.role = 'co' LEFT JOIN orgs co ON "    \
    "co.id = h.org_id WHERE d.id = ? ORDER BY co.code"

enum rc demand_get_text(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                        int64_t id, struct buf *out, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, DETAIL_SQL, &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, id);
    rc = store_step(st, e);
    if (rc != RC_ROW) {
        store_finish(st);
        return rc == RC_DONE ? err_set(e, RC_NOTFOUND, NULL, "诉求不存在") : rc;
    }
    struct drow d;
    read_row(st, &d);
    struct jsonx_w w = {out, buf_reserve(out, 4096)};
    row_write(&w, ctx, &d);
    int k = DROW_N;
    JW_KEY(&w, "title");
    jsonx_w_text(&w, store_text(st, k));
    JW_KEY(&w, "content");
    jsonx_w_text(&w, store_text(st, k + 1));
    JW_KEY(&w, "contact_name");
    jsonx_w_text(&w, store_text(st, k + 2));
    JW_KEY(&w, "address");
    jsonx_w_text(&w, store_text(st, k + 4));
    JW_KEY(&w, "enterprise_name");
    jsonx_w_text(&w, store_text(st, k + 5));
    JW_KEY(&w, "lead");
    if (store_isnull(st, k + 6)) {
        jsonx_w_raw(&w, "null", 4);
    } else {
        jsonx_w_raw(&w, "{\"code\":", 8);
        jsonx_w_text(&w, store_text(st, k + 6));
        JW_KEY(&w, "name");
        jsonx_w_text(&w, store_text(st, k + 7));
        jsonx_w_raw(&w, "}", 1);
    }
    JW_KEY(&w, "external_id");
    jsonx_w_text(&w, store_text(st, k + 8));
    JW_KEY(&w, "received_at");
    jw_when(&w, store_int(st, k + 9));
    /* The phone is written last: whether it is masked depends on every co-handler row. */
    const char *phone_col = store_text(st, k + 3);
    char *phone = phone_col ? xstrdup(phone_col) : NULL;
    JW_KEY(&w, "co_handlers");
    jsonx_w_raw(&w, "[", 1);
    bool is_co = false;
    int n_co = 0;
    do {
        if (store_isnull(st, k + 10))
            continue;
        if (n_co++)
            jsonx_w_raw(&w, ",", 1);
        jsonx_w_raw(&w, "{\"code\":", 8);
        jsonx_w_text(&w, store_text(st, k + 10));
        JW_KEY(&w, "name");
        jsonx_w_text(&w, store_text(st, k + 11));
        jsonx_w_raw(&w, "}", 1);
        if (p->org_id && store_int(st, k + 12) == p->org_id)
            is_co = true;
    } while ((rc = store_step(st, e)) == RC_ROW);
    store_finish(st);
    jsonx_w_raw(&w, "]", 1);
    if (rc == RC_DONE)
        rc = RC_OK;
    unsigned rels = relations_of(p, &d, is_co);
    if (rc == RC_OK && !rels && !access_can(p, ACCESS_SCOPE_ALL))
        rc = err_set(e, RC_NOTFOUND, NULL, "诉求不存在或无权查看");
    if (rc == RC_OK) {
        /* The phone is for those who handle the demand (co-handlers see it masked) and
         * for holders of pii.read (access_reveal). */
        JW_KEY(&w, "contact_phone");
        bool handles = (rels & (REL_OWNER | REL_INTAKE | REL_LEAD | REL_OVERSIGHT)) != 0;
        if (phone && !access_reveal(p, handles)) {
            char masked[32];
            jsonx_w_text(&w, codes_mask_mobile(phone, masked, sizeof(masked)));
        } else {
            jsonx_w_text(&w, phone);
        }
        JW_KEY(&w, "actions");
        jw_actions(&w, &d, rels);
        jsonx_w_raw(&w, "}", 1);
        rc = w.rc;
    }
    xfree(phone);
    return rc;
}

enum rc demand_get(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                   int64_t id, json_t **out, struct err *e)
{
    struct buf b;
    buf_init(&b, SIZE_MAX / 2);
    enum rc rc = demand_get_text(c, ctx, p, id, &b, e);
    if (rc == RC_OK && !(*out = json_loadb(buf_str(&b), buf_len(&b), 0, NULL)))
        rc = err_set(e, RC_INTERNAL, NULL, "诉求详情无法解析");
    buf_cleanup(&b);
    return rc;
}

enum rc demand_actions(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                       int64_t id, struct buf *out, struct err *e)
{
    (void)ctx;
    struct drow d;
    unsigned rels;
    enum rc rc = load_visible(c, p, id, &d, &rels, e);
    if (rc)
        return rc;
    struct jsonx_w w = {out, RC_OK};
    JSONX_W_LIT(&w, "{\"items\":");
    jw_actions(&w, &d, rels);
    JSONX_W_LIT(&w, "}");
    return w.rc;
}

enum rc demand_timeline(struct conn *c, const struct principal *p, int64_t id, json_t **out,
                        struct err *e)
{
    struct drow d;
    unsigned rels;
    enum rc rc = load_visible(c, p, id, &d, &rels, e);
    if (rc)
        return rc;
    bool owner_only = (rels & ~REL_OWNER) == 0 && access_can(p, ACCESS_ENT_SELF);
    struct stmt *st;
    rc = store_prepare(c,
                       "SELECT at, actor_name, org, action, from_state, to_state, note, internal, "
                       "data FROM events WHERE entity = 'demand' AND entity_id = ? ORDER BY id",
                       &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, id);
    json_t *arr = json_array();
    while ((rc = store_step(st, e)) == RC_ROW) {
        bool internal = store_int(st, 7) != 0;
        if (internal && owner_only)
            continue;
        const char *action = store_text(st, 3);
        const struct demand_action *a = demand_flow_find(action);
        /* An urge is 催办 (its after-deadline form is recorded as "supervise", 督办). */
        const char *label = strcmp(action, "urge") == 0        ? "催办"
                            : a                                ? a->label
                            : strcmp(action, "submit") == 0    ? "提交诉求"
                            : strcmp(action, "supervise") == 0 ? "督办"
                            : strcmp(action, "overdue") == 0   ? "超期提醒"
                            : strcmp(action, "attach") == 0    ? "上传附件"
                                                               : action;
        enum demand_state to = DS_SUBMITTED;
        (void)demand_state_parse(store_text(st, 5), &to);
        json_t *ev =
            json_pack("{s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "at", when(store_int(st, 0)),
                      "actor", store_text(st, 1), "org", store_text(st, 2), "action", action,
                      "label", label, "to_state", store_text(st, 5), "to_state_label",
                      demand_state_label(to), "internal", internal);
        json_object_set_new(ev, "note", opt(st, 6));
        json_t *data = store_isnull(st, 8) ? NULL : json_loads(store_text(st, 8), 0, NULL);
        json_object_set_new(ev, "data", data ? data : json_null());
        json_array_append_new(arr, ev);
    }
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return RC_OK;
}

/*
 * The list query, shaped per role so that each shape has an index-friendly plan on both
 * backends (an OR of the roles' visibility rules, with EXISTS over demand_handlers in
 * one branch, made PostgreSQL scan every demand for a handler). Only the filters that
 * are given are written into the SQL, so each combination is its own cached statement:
 *   handler     demand_handlers(org_id, demand_id) newest first, joined to its demands;
 *               with a category, (org_id, category, demand_id), the handler rows carrying
 *               their demand's category (migration 0010)
 *   enterprise  its credit code
 *   clerk,
 *   supervisor  the region prefix, checked on the newest-first primary key scan. There is
 *               no index on region (migration 0009 dropped it): a region covers most
 *               demands, so a region index range plus a sort of all of them would be the
 *               slow plan. (The check was written `d.region || ''` to keep planners off
 *               such an index; that cost two string copies per row scanned.)
 *   admin       everything
 * A state filter uses demands(state, id). Any other caller sees nothing.
 */
enum list_shape { LIST_NONE, LIST_ALL, LIST_ENTERPRISE, LIST_REGION, LIST_HANDLER };

static enum list_shape list_shape_of(const struct principal *p, bool regional)
{
    if (access_can(p, ACCESS_SCOPE_ALL))
        return LIST_ALL;
    if (access_can(p, ACCESS_ENT_SELF))
        return LIST_ENTERPRISE;
    if (access_can(p, ACCESS_DEMAND_INTAKE) || access_can(p, ACCESS_DEMAND_OVERSEE))
        return regional ? LIST_REGION : LIST_NONE;
    if (access_can(p, ACCESS_DEMAND_HANDLE))
        return LIST_HANDLER;
    return LIST_NONE;
}

/* Writes the SQL of one list query into sql (n bytes). */
static void list_sql(char *sql, size_t n, enum list_shape shape, const struct demand_filter *f)
{
    static const char *const from[] = {
        [LIST_ALL] = "FROM demands d WHERE d.id < ?",
        [LIST_ENTERPRISE] = "FROM demands d WHERE d.id < ? AND d.credit_code = ?",
        [LIST_REGION] = "FROM demands d WHERE d.id < ? AND d.region >= ? AND d.region < ?",
        [LIST_HANDLER] = "FROM demand_handlers h JOIN demands d ON d.id = h.demand_id WHERE "
                         "h.org_id = ? AND h.demand_id < ?",
    };
    /* A handler's rows carry the category (migration 0010): the filter stays on them. */
    const char *category = !f->category            ? ""
                           : shape == LIST_HANDLER ? " AND h.category = ?"
                                                   : " AND d.category = ?";
    snprintf(sql, n,
             "SELECT " DROW_LIST_COLS ", d.title, d.enterprise_name %s%s%s%s%s ORDER BY %s DESC "
             "LIMIT ?",
             from[shape], f->state ? " AND d.state = ?" : "", category,
             f->credit_code ? " AND d.credit_code = ?" : "",
             f->q ? " AND LOWER(d.title) LIKE LOWER(?) ESCAPE '\\'" : "",
             shape == LIST_HANDLER ? "h.demand_id" : "d.id");
}

enum rc demand_list(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                    const struct demand_filter *f, struct buf *out, int *n_out, int64_t *last_out,
                    struct err *e)
{
    *n_out = 0;
    *last_out = 0;
    enum demand_state want_state = DS_SUBMITTED;
    if (f->state && !demand_state_parse(f->state, &want_state))
        return err_set(e, RC_INVALID, "state", "未知的状态 %s", f->state);
    if (f->light && strcmp(f->light, "red") != 0 && strcmp(f->light, "yellow") != 0 &&
        strcmp(f->light, "green") != 0)
        return err_set(e, RC_INVALID, "light", "light 应为 red、yellow 或 green");
    /* The region part of the caller's scope: intake and oversight reach its region. */
    struct access_scope scope;
    access_scope_of(
        p, access_can(p, ACCESS_DEMAND_INTAKE) ? ACCESS_DEMAND_INTAKE : ACCESS_DEMAND_OVERSEE,
        ACCESS_NONE, &scope);
    const char *prefix = scope.region_lo, *hi = scope.region_hi;
    bool regional = strcmp(prefix, "~") != 0;
    enum list_shape shape = list_shape_of(p, regional);
    if (shape == LIST_NONE)
        return buf_append(out, "[]", 2);
    char sql[2048];
    list_sql(sql, sizeof(sql), shape, f);
    char *like = f->q ? xmalloc(2 * strlen(f->q) + 3) : NULL;
    if (like)
        like_pattern(like, f->q);
    int64_t before = f->before_id > 0 ? f->before_id : INT64_MAX;
    /* About 700 bytes a row: one allocation instead of a doubling series. */
    struct jsonx_w w = {out, buf_reserve(out, (size_t)f->limit * 768 + 64)};
    jsonx_w_raw(&w, "[", 1);
    int n = 0;
    int64_t last = 0;
    enum rc rc = w.rc;
    /* Lights depend on the calendar, so a light filter scans in batches in C. The title
     * match folds case on both sides: SQLite's LIKE ignores ASCII case, PostgreSQL's
     * does not, and q must find the same demands on either backend. */
    for (int round = 0; round < 1000 && n < f->limit && rc == RC_OK; round++) {
        struct stmt *st;
        rc = store_prepare(c, sql, &st, e);
        if (rc)
            break;
        int i = 1;
        if (shape == LIST_HANDLER)
            store_bind_int(st, i++, p->org_id);
        store_bind_int(st, i++, before);
        if (shape == LIST_ENTERPRISE)
            store_bind_text(st, i++, p->credit_code ? p->credit_code : "");
        if (shape == LIST_REGION) {
            store_bind_text(st, i++, prefix);
            store_bind_text(st, i++, hi);
        }
        if (f->state)
            store_bind_text(st, i++, f->state);
        if (f->category)
            store_bind_text(st, i++, f->category);
        if (f->credit_code)
            store_bind_text(st, i++, f->credit_code);
        if (like)
            store_bind_text(st, i++, like);
        int batch = f->light ? 200 : f->limit;
        store_bind_int(st, i, batch);
        int got = 0;
        while ((rc = store_step(st, e)) == RC_ROW) {
            struct drow d;
            read_row_n(st, &d, DROW_LIST_N);
            got++;
            before = d.id;
            if (f->light &&
                strcmp(demand_light_name(demand_light_of(ctx, running_due(&d))), f->light) != 0)
                continue;
            if (n >= f->limit)
                continue;
            if (n++)
                jsonx_w_raw(&w, ",", 1);
            row_write(&w, ctx, &d);
            JW_KEY(&w, "title");
            jsonx_w_text(&w, store_text(st, DROW_LIST_N));
            JW_KEY(&w, "enterprise_name");
            jsonx_w_text(&w, store_text(st, DROW_LIST_N + 1));
            jsonx_w_raw(&w, "}", 1);
            last = d.id;
        }
        store_finish(st);
        if (rc == RC_DONE)
            rc = w.rc;
        if (got < batch)
            break;
    }
    xfree(like);
    jsonx_w_raw(&w, "]", 1);
    if (rc == RC_OK)
        rc = w.rc;
    if (rc)
        return rc;
    *n_out = n;
    *last_out = last;
    return RC_OK;
}

/* ---- the overdue sweep ------------------------------------------------------------- */

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
        int64_t due = running_due(&d);
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
            rc = load(c, ids[i], &d, e);
        /* Re-check inside the transaction: another server may have swept it. */
        bool still = rc == RC_OK && running_due(&d) == dues[i];
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
            rc = add_event(c, &sweeper, d.id, ctx->now, "overdue", demand_state_name(d.state),
                           demand_state_name(d.state), NULL, false, data, e);
            if (rc == RC_OK) {
                char sid[24];
                snprintf(sid, sizeof(sid), "%lld", (long long)d.id);
                struct audit_event ev = {"demand.overdue", "demand", sid, NULL, data};
                rc = audit_append(c, &sweeper.actor, &ev, NULL, e);
            }
            json_decref(data);
            snprintf(title, sizeof(title), "诉求 %s 已超期（期限 %.16s）", d.no, due);
            if (rc == RC_OK)
                rc = notify(c, d.lead_org, NULL, d.id, "overdue", title, "请尽快办理", ctx->now, e);
            if (rc == RC_OK && d.intake_org != d.lead_org)
                rc = notify(c, d.intake_org, NULL, d.id, "overdue", title, "", ctx->now, e);
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
    return demand_light_of(ctx, running_due(&d));
}

int64_t demand__local_date(int64_t ms)
{
    return local_date(ms);
}

enum rc demand__access(struct conn *c, const struct principal *p, int64_t id, char no[40],
                       enum demand_state *state, unsigned *rels, struct err *e)
{
    struct drow d;
    enum rc rc = load_visible(c, p, id, &d, rels, e);
    if (rc == RC_OK) {
        mem_copy_text(no, 40, d.no);
        *state = d.state;
    }
    return rc;
}

enum rc demand__event(struct conn *c, const struct principal *p, int64_t id, int64_t now,
                      const char *action, const char *state, const char *note, bool internal,
                      const json_t *data, struct err *e)
{
    return add_event(c, p, id, now, action, state, state, note, internal, data, e);
}
