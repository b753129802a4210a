/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Store fault injection over the multi-statement domain operations (issue 15 item 6;
 * STYLE.md G6, like SQLite's test/malloc*.test and Jansson's test_chaos.c).
 *
 * Each test builds a small demo database (organisations, users, the dispatch catalogue,
 * generated enterprises, the seed policies) and makes what its operation needs. Then
 * fault_loop runs the operation once with the hook only counting (K store calls), and
 * for N = 1..K again on a restored snapshot with store call N failing. After each
 * attempt: no transaction is open, the audit chain verifies, the policy holder offers
 * what the database holds, and either nothing was written (an order-independent digest
 * of every row of every table, audit, timelines and notices included, is unchanged) and
 * the answer is an error with a message, or the whole write is there (a read the
 * operation survives, or a fault after its commit). The 免申即享 run commits in several
 * transactions and is checked for consistency instead (run_consistent).
 *
 * Adding an operation: write `static enum rc op_x(struct fx *f, struct err *e)` that
 * takes the operation once on f->c (prerequisites go in the test, unarmed), and a test
 * that calls fault_loop(f, "x", op_x). See docs/internals/testing.md.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "base/jsonx.h"
#include "base/log.h"
#include "base/pool.h"
#include "base/rc.h"
#include "base/timeutil.h"
#include "cal/cal.h"
#include "category/category.h"
#include "demand/demand.h"
#include "demand/demand_import.h"
#include "ent/ent.h"
#include "ent/ent_gen.h"
#include "ent/ent_import.h"
#include "org/org.h"
#include "policy/policy.h"
#include "policy/policy_grant.h"
#include "rules/rules.h"
#include "unit.h"
#include "unit_db.h"

/* ---- the fixture: a demo database ------------------------------------------------ */

struct fx {
    struct store *db;
    struct conn *c;
    struct ent_catalog *cat;
    struct policy_holder *ph;
    struct cal *cal;
    struct demand_ctx ctx;
    struct pool pool;
    struct principal admin, clerk, handler, officer, ent;
    struct audit_actor cli;
    int64_t id;                /* the record the operation works on (demand, policy, run) */
    int64_t run_id;            /* op_run: the run row of this attempt */
    sqlite3 *live, *snap;      /* the test's own handles: the database file, its snapshot */
    const struct digest *full; /* fault_loop: the database after the complete run */
    long k;                    /* store calls of the operation (set by fault_loop) */
};

#define OK(expr)                                                                                   \
    do {                                                                                           \
        struct err ok_e_;                                                                          \
        err_clear(&ok_e_);                                                                         \
        enum rc ok_rc_ = (expr);                                                                   \
        ck_assert_msg(ok_rc_ == RC_OK, "%s: %s: %s (%s)", #expr, rc_name(ok_rc_), ok_e_.msg,       \
                      ok_e_.field);                                                                \
    } while (0)
#define E (&ok_e_)

static const struct org_new orgs[] = {
    {"340800", "安庆市人民政府", "city", "340800", NULL},
    {"340800-QFZX", "安庆市企业服务中心", "center", "340800", "340800"},
    {"340800-DCS", "安庆市人民政府督查室", "department", "340800", "340800"},
    {"340800-FGW", "安庆市发展和改革委员会", "department", "340800", "340800"},
    {"340800-JXJ", "安庆市经济和信息化局", "department", "340800", "340800"},
    {"340800-RSJ", "安庆市人力资源和社会保障局", "department", "340800", "340800"},
    {"340800-SJJ", "安庆市数据资源管理局", "department", "340800", "340800"},
    {"340800-KJJ", "安庆市科学技术局", "department", "340800", "340800"},
    {"340800-SWUJ", "安庆市商务局", "department", "340800", "340800"},
    {"340800-SCJGJ", "安庆市市场监督管理局", "department", "340800", "340800"},
    {"340800-CZJ", "安庆市财政局", "department", "340800", "340800"},
    {"340800-JRJ", "安庆市地方金融监督管理局", "department", "340800", "340800"},
    {"340800-SWJG", "安庆市税务局", "department", "340800", "340800"},
    {"340800-TJJ", "安庆市统计局", "department", "340800", "340800"},
    {"340800-STHJJ", "安庆市生态环境局", "department", "340800", "340800"},
    {"340800-ZJFY", "安庆市中级人民法院", "department", "340800", "340800"},
    {"340822", "怀宁县人民政府", "county", "340822", "340800"},
    {"340822-GHZ", "怀宁县高河镇人民政府", "town", "340822", "340822"},
};

static const char *const demo_credit = "91340100131860916Y";

static void principal(struct fx *f, const char *name, struct principal *p)
{
    OK(auth_principal_of(f->c, name, &f->pool, p, E));
}

/* Imports n generated enterprises of seed (ent_gen, deterministic). */
static enum rc import_generated(struct fx *f, uint64_t seed, size_t n, struct err *e)
{
    char *data = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&data, &len);
    ck_assert_ptr_nonnull(m);
    enum rc rc = ent_gen_csv(m, seed, n, e);
    fclose(m);
    struct ent_import_opts io = {
        .format = ENT_IMPORT_CSV, .default_as_of = "2025-12-31", .file_name = "faults.csv"};
    struct ent_import_report r = {0};
    if (rc == RC_OK)
        rc = ent_import(f->c, f->cat, &f->cli, data, len, &io, &r, e);
    if (rc == RC_OK)
        ck_assert_msg(r.invalid == 0 && r.created == n, "import: %zu invalid, %zu created",
                      r.invalid, r.created);
    ent_import_report_cleanup(&r);
    free(data);
    return rc;
}

static void fx_open(struct fx *f)
{
    memset(f, 0, sizeof(*f));
    log_set_level(LOG_WARN);
    pool_init(&f->pool);
    f->cli = (struct audit_actor){"cli:test", ""};
    f->db = unit_db_open(2);
    f->c = unit_db_take(f->db);
    f->cal = cal_new();
    f->ctx = (struct demand_ctx){.cal = f->cal, .now = time_now_ms(), .yellow_days = 1};
    for (size_t i = 0; i < sizeof(orgs) / sizeof(orgs[0]); i++)
        OK(org_create(f->c, &f->cli, &orgs[i], NULL, E));
    static const struct {
        const char *name, *role, *org, *credit;
    } users[] = {
        {"admin", "admin", "340800-SJJ", NULL},
        {"clerk", "clerk", "340800-QFZX", NULL},
        {"handler", "handler", "340800-JXJ", NULL},
        {"officer", "policy_officer", "340800-JXJ", NULL},
        {"enterprise", "enterprise", NULL, "91340100131860916Y"},
    };
    for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
        struct auth_user_new u = {users[i].name,   NULL, "demo", users[i].role, users[i].org,
                                  users[i].credit, true};
        OK(auth_user_create(f->c, &f->cli, &u, NULL, E));
    }
    struct category_route_entry policy_route = {"3408", "340800-JXJ", {"340800-FGW"}, 1};
    bool changed;
    OK(category_routes_set(f->c, &f->cli, "policy", &policy_route, 1, &changed, E));
    OK(ent_catalog_load(f->c, &f->cat, E));
    /* The demo enterprise (the enterprise user's own) and 30 generated ones. */
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:[ss]}", "credit_code", demo_credit,
                  "name", "安庆市示例智能装备有限公司", "region", "340811", "industry", "3491",
                  "founded", "2016-03-18", "registered_capital", (json_int_t)500000000, "scale",
                  "small", "legal_rep", "汪建华", "tags", "high_tech", "srdi_city");
    struct ent_record r;
    bool created = false;
    OK(ent_record_from_json(f->cat, j, false, &r, E));
    OK(ent_save(f->c, &f->cli, NULL, &r, false, &created, &changed, E));
    ent_record_cleanup(&r);
    json_decref(j);
    OK(import_generated(f, 7, 30, E));
    /* The seed policies; the holder takes a connection while it builds. */
    OK(policy_holder_new(f->db, f->cat, 0, &f->ph, E));
    json_t *seed = NULL;
    OK(jsonx_parse(policy_seed_json, policy_seed_json_len, 64, &seed, E));
    OK(policy_seed(f->c, f->ph, &f->cli, seed, NULL, E));
    json_decref(seed);
    principal(f, "admin", &f->admin);
    principal(f, "clerk", &f->clerk);
    principal(f, "handler", &f->handler);
    principal(f, "officer", &f->officer);
    principal(f, "enterprise", &f->ent);
}

static void fx_close(struct fx *f)
{
    ck_assert(!store_in_txn(f->c));
    store_release(f->c);
    policy_holder_free(f->ph);
    ent_catalog_free(f->cat);
    cal_free(f->cal);
    pool_clear(&f->pool);
    store_close(f->db);
    sqlite3_close(f->live);
    sqlite3_close(f->snap);
}

static int64_t id_of(struct fx *f, const char *sql, const char *arg)
{
    struct stmt *st = NULL;
    struct err e = {0};
    ck_assert_int_eq(store_prepare(f->c, sql, &st, &e), RC_OK);
    store_bind_text(st, 1, arg);
    ck_assert_msg(store_step(st, &e) == RC_ROW, "%s [%s]: no row", sql, arg);
    int64_t id = store_int(st, 0);
    store_finish(st);
    return id;
}

static int64_t policy_id(struct fx *f, const char *title)
{
    return id_of(f, "SELECT id FROM policies WHERE title = ?", title);
}

/* ---- the digest of the database --------------------------------------------------- */

#define MAX_TABLES 128

struct digest {
    int n;
    struct {
        char name[64];
        int64_t rows;
        uint64_t sum; /* sum of the rows' hashes: independent of the scan order */
    } t[MAX_TABLES];
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* Every row of every table (virtual and shadow tables too; not the statistics). */
static void digest(struct fx *f, struct digest *d)
{
    struct stmt *st = NULL;
    struct err e = {0};
    memset(d, 0, sizeof(*d));
    ck_assert_int_eq(store_prepare(f->c,
                                   "SELECT name FROM sqlite_master WHERE type = 'table' AND name "
                                   "NOT LIKE 'sqlite_stat%' ORDER BY name",
                                   &st, &e),
                     RC_OK);
    while (store_step(st, &e) == RC_ROW) {
        ck_assert_int_lt(d->n, MAX_TABLES);
        snprintf(d->t[d->n++].name, sizeof(d->t[0].name), "%s", store_text(st, 0));
    }
    store_finish(st);
    for (int i = 0; i < d->n; i++) {
        char sql[128];
        snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\"", d->t[i].name);
        ck_assert_int_eq(store_prepare(f->c, sql, &st, &e), RC_OK);
        enum rc rc;
        while ((rc = store_step(st, &e)) == RC_ROW) {
            uint64_t h = 1469598103934665603ULL;
            for (int k = 0; k < store_ncols(st); k++) {
                size_t n = 0;
                const void *p = store_isnull(st, k) ? NULL : store_blob(st, k, &n);
                h = fnv(h, p ? "v" : "n", 1);
                h = fnv(h, &n, sizeof(n));
                if (p)
                    h = fnv(h, p, n);
            }
            d->t[i].rows++;
            d->t[i].sum += h;
        }
        ck_assert_msg(rc == RC_DONE, "%s: %s", sql, e.msg);
        store_finish(st);
    }
}

/* The first table whose rows differ, or NULL; skip (may be NULL) lists tables not compared. */
static const char *digest_diff(const struct digest *a, const struct digest *b,
                               const char *const *skip)
{
    ck_assert_int_eq(a->n, b->n);
    for (int i = 0; i < a->n; i++) {
        bool skipped = false;
        for (const char *const *s = skip; s && *s; s++)
            skipped |= strcmp(*s, a->t[i].name) == 0;
        if (!skipped && (a->t[i].rows != b->t[i].rows || a->t[i].sum != b->t[i].sum))
            return a->t[i].name;
    }
    return NULL;
}

static int64_t rows_of(const struct digest *d, const char *table)
{
    for (int i = 0; i < d->n; i++)
        if (strcmp(d->t[i].name, table) == 0)
            return d->t[i].rows;
    ck_abort_msg("no table %s", table);
    return -1;
}

static void audit_holds(struct fx *f, const char *op, long n)
{
    struct audit_report r;
    struct err e = {0};
    ck_assert_int_eq(audit_verify(f->db, &r, &e), RC_OK);
    ck_assert_msg(r.first_bad == 0, "%s, fault %ld: audit chain broken at %lld: %s", op, n,
                  (long long)r.first_bad, r.why);
}

/* ---- snapshots: the database as it was before the operation --------------------- */

/* Copies database from into to with SQLite's online backup (the store's connections see
 * the copy at their next read; none may be in a transaction). */
static void backup(sqlite3 *from, sqlite3 *to)
{
    sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
    ck_assert_msg(b, "backup: %s", sqlite3_errmsg(to));
    int r = sqlite3_backup_step(b, -1);
    ck_assert_msg(r == SQLITE_DONE, "backup step: %d %s", r, sqlite3_errmsg(to));
    ck_assert_int_eq(sqlite3_backup_finish(b), SQLITE_OK);
}

/* Also makes a new policy holder, so that every attempt starts from the same cache. */
static void restore(struct fx *f)
{
    ck_assert(!store_in_txn(f->c));
    backup(f->snap, f->live);
    if (f->ph) {
        policy_holder_free(f->ph);
        f->ph = NULL;
        OK(policy_holder_new(f->db, f->cat, 0, &f->ph, E));
    }
}

static void snapshot(struct fx *f)
{
    ck_assert(!store_in_txn(f->c));
    if (!f->live) {
        ck_assert_int_eq(sqlite3_open(unit_db_url + strlen("sqlite:"), &f->live), SQLITE_OK);
        sqlite3_busy_timeout(f->live, 10000);
        ck_assert_int_eq(sqlite3_open(":memory:", &f->snap), SQLITE_OK);
    }
    backup(f->live, f->snap);
    restore(f); /* the same fresh holder for the counting run as for the attempts */
}

/* The policies the holder offers now are those a new holder loads from the database: a
 * fault while it refreshed may delay a refresh, never leave policies out. */
static void holder_current(struct fx *f, const char *op, long n)
{
    if (!f->ph)
        return;
    struct policy_holder *fresh = NULL;
    OK(policy_holder_new(f->db, f->cat, 0, &fresh, E));
    struct policy_snap *a = policy_current(f->ph, f->c), *b = policy_current(fresh, f->c);
    size_t na = rules_set_size(policy_snap_set(a)), nb = rules_set_size(policy_snap_set(b));
    policy_release(f->ph, a);
    policy_release(fresh, b);
    policy_holder_free(fresh);
    ck_assert_msg(na == nb, "%s, fault %ld: the holder offers %zu policies, the database %zu", op,
                  n, na, nb);
}

/* ---- the loop ----------------------------------------------------------------------- */

typedef enum rc (*fault_op)(struct fx *f, struct err *e);
/* Checks the state after a failed attempt of an operation that commits in several steps. */
typedef void (*fault_check)(struct fx *f, const char *op, long n, const struct digest *before,
                            const struct digest *after);

/* The first table whose number of rows differs from the complete run's, or NULL. */
static const char *count_diff(const struct digest *a, const struct digest *full)
{
    for (int i = 0; i < a->n; i++)
        if (a->t[i].rows != full->t[i].rows)
            return a->t[i].name;
    return NULL;
}

/*
 * Runs op once unarmed on a snapshot to count its store calls K, then for N = 1..K on the
 * snapshot again with call N failing. After each: no transaction open, the audit chain
 * holds, and either nothing was written and the answer is an error, or (a fault the
 * operation tolerates, or one after its commit) the whole write is there: every table has
 * the rows of the complete run. With check, a multi-commit operation is checked by it
 * instead. Leaves the database as the complete run left it.
 */
static void fault_loop_with(struct fx *f, const char *op, fault_op run, fault_check check)
{
    static struct digest before, after, full; /* large: not on the stack */
    struct err e;
    snapshot(f);
    digest(f, &before);
    err_clear(&e);
    store_fault_arm(f->db, 0);
    enum rc rc = run(f, &e);
    long k = store_fault_hits(f->db);
    store_fault_disarm(f->db);
    ck_assert_msg(rc == RC_OK, "%s unarmed: %s: %s", op, rc_name(rc), e.msg);
    digest(f, &full);
    f->full = &full;
    ck_assert_msg(digest_diff(&before, &full, NULL), "%s wrote nothing", op);
    ck_assert_int_gt(k, 1);
    f->k = k;
    int tolerated = 0, late = 0;
    for (long n = 1; n <= k; n++) {
        restore(f);
        err_clear(&e);
        store_fault_arm(f->db, n);
        rc = run(f, &e);
        long hits = store_fault_hits(f->db);
        store_fault_disarm(f->db);
        ck_assert_msg(hits >= n, "%s: %ld calls with fault %ld, %ld unarmed", op, hits, n, k);
        ck_assert_msg(!store_in_txn(f->c), "%s, fault %ld: transaction left open", op, n);
        digest(f, &after);
        audit_holds(f, op, n);
        holder_current(f, op, n);
        if (check && rc != RC_OK) {
            ck_assert_msg(e.msg[0], "%s, fault %ld: %s without a message", op, n, rc_name(rc));
            check(f, op, n, &before, &after);
            continue;
        }
        if (!digest_diff(&before, &after, NULL)) {
            ck_assert_msg(rc != RC_OK, "%s: fault at store call %ld: RC_OK but nothing written", op,
                          n);
            ck_assert_msg(e.msg[0], "%s, fault %ld: %s without a message", op, n, rc_name(rc));
            continue;
        }
        const char *t = count_diff(&after, &full);
        ck_assert_msg(!t, "%s, fault at store call %ld (%s: %s): table %s half-written", op, n,
                      rc_name(rc), e.msg, t);
        if (rc == RC_OK) {
            tolerated++; /* a read whose failure the operation survives */
        } else {
            late++; /* after the commit: written, yet answered with an error */
            printf("faults: %s: fault at call %ld after the commit answered %s\n", op, n,
                   rc_name(rc));
        }
    }
    restore(f);
    err_clear(&e);
    ck_assert_int_eq(run(f, &e), RC_OK);
    printf("faults: %-19s K = %3ld store calls; tolerated %d, error after commit %d\n", op, k,
           tolerated, late);
}

static void fault_loop(struct fx *f, const char *op, fault_op run)
{
    fault_loop_with(f, op, run, NULL);
}

/* ---- the operations --------------------------------------------------------------------- */

static enum rc op_demand_create(struct fx *f, struct err *e)
{
    struct demand_new d = {.category = "policy",
                           .title = "申请研发费用补贴咨询",
                           .content = "企业想了解研发投入补贴的申报条件和时间。",
                           .contact_name = "方晓东",
                           .contact_phone = "13905561234",
                           .idem_key = "fault-create-1"};
    bool existed = false;
    int64_t id = 0;
    enum rc rc = demand_create(f->c, &f->ctx, &f->ent, &d, &id, &existed, e);
    if (rc == RC_OK)
        ck_assert(!existed);
    f->id = id;
    return rc;
}

static enum rc act(struct fx *f, const struct principal *p, json_t *params, struct err *e)
{
    enum rc rc = demand_act(f->c, &f->ctx, p, f->id, params, e);
    json_decref(params);
    return rc;
}

static enum rc op_demand_accept(struct fx *f, struct err *e)
{
    return act(f, &f->clerk, json_pack("{s:s, s:s}", "action", "accept", "note", "受理"), e);
}

static enum rc op_demand_dispatch(struct fx *f, struct err *e)
{
    return act(f, &f->clerk,
               json_pack("{s:s, s:s, s:[s]}", "action", "dispatch", "lead", "340800-JXJ", "co",
                         "340800-FGW"),
               e);
}

static enum rc op_policy_publish(struct fx *f, struct err *e)
{
    json_t *params = json_pack("{s:s}", "action", "publish"), *out = NULL;
    enum rc rc = policy_act(f->c, f->ph, &f->admin, f->id, params, &out, e);
    json_decref(params);
    json_decref(out);
    return rc;
}

static enum rc op_import(struct fx *f, struct err *e)
{
    return import_generated(f, 99, 5, e);
}

static enum rc op_partner_add(struct fx *f, struct err *e)
{
    return org_partner_add(f->c, &f->cli, "340800-JXJ", "340822", e);
}

static enum rc op_app_create(struct fx *f, struct err *e)
{
    json_t *body = json_pack("{s:I, s:{s:I}}", "policy_id", (json_int_t)f->id, "facts",
                             "new_graduates_hired", (json_int_t)3);
    int64_t id = 0;
    bool existed = false;
    enum rc rc = policy_app_create(f->c, f->ph, &f->ent, body, "fault-app-1", &id, &existed, e);
    json_decref(body);
    return rc;
}

/* A 免申即享 run as the API makes it: the run row (policy_runner_submit), then the run. */
static enum rc op_run(struct fx *f, struct err *e)
{
    struct policy_run_opts o = {.policy_id = f->id, .n_threads = 1};
    enum rc rc = policy_run_create(f->c, &f->cli, 0, f->id, &f->run_id, e);
    return rc ? rc : policy_run_exec(f->c, f->ph, &f->cli, f->run_id, &o, NULL, e);
}

/* A 12345 hotline file of three work orders, imported by the clerk in one transaction. */
static enum rc op_demand_import(struct fx *f, struct err *e)
{
    char data[1024];
    snprintf(data, sizeof(data),
             "external_id,credit_code,category,urgency,content,contact_name,contact_phone\n"
             "GD-001,%s,policy,normal,咨询研发投入补贴的申报时间,方晓东,13905561234\n"
             "GD-002,%s,consult,urgent,企业用电报装进度查询,方晓东,13905561234\n"
             "GD-003,%s,policy,normal,咨询稳岗返还的条件,方晓东,0556-5520318\n",
             demo_credit, demo_credit, demo_credit);
    struct demand_import_opts o = {.format = DEMAND_IMPORT_CSV, .file_name = "12345.csv"};
    struct demand_import_report r = {0};
    enum rc rc = demand_import(f->c, &f->ctx, &f->clerk, data, strlen(data), &o, &r, e);
    if (rc == RC_OK)
        ck_assert_msg(r.invalid == 0 && r.created == 3, "import: %zu invalid, %zu created",
                      r.invalid, r.created);
    demand_import_report_cleanup(&r);
    return rc;
}

/* An officer of org_code (a policy's issuing department), made unarmed. */
static void officer_of(struct fx *f, const char *name, const char *org_code, struct principal *p)
{
    struct auth_user_new u = {name, NULL, "demo", "policy_officer", org_code, NULL, true};
    OK(auth_user_create(f->c, &f->cli, &u, NULL, E));
    principal(f, name, p);
}

static struct principal issuer; /* the officer of the grant and application tests */

static enum rc op_grant_notify(struct fx *f, struct err *e)
{
    json_t *params = json_pack("{s:s, s:s}", "action", "notify", "note", "请确认兑现信息");
    enum rc rc = policy_grant_act(f->c, &issuer, f->id, params, e);
    json_decref(params);
    return rc;
}

static enum rc op_app_approve(struct fx *f, struct err *e)
{
    json_t *params = json_pack("{s:s, s:s}", "action", "approve", "note", "材料齐全");
    enum rc rc = policy_app_act(f->c, f->ph, &issuer, f->id, params, e);
    json_decref(params);
    return rc;
}

/* ---- the tests --------------------------------------------------------------------------- */

START_TEST(demand_create_faults)
{
    struct fx f;
    fx_open(&f);
    fault_loop(&f, "demand_create", op_demand_create);
    ck_assert_int_gt(f.id, 0);
    fx_close(&f);
}
END_TEST

START_TEST(demand_accept_dispatch_faults)
{
    struct fx f;
    fx_open(&f);
    struct err e = {0};
    ck_assert_int_eq(op_demand_create(&f, &e), RC_OK);
    fault_loop(&f, "demand accept", op_demand_accept);
    fault_loop(&f, "demand dispatch", op_demand_dispatch);
    ck_assert_int_eq(unit_db_int(f.c, "SELECT COUNT(*) FROM demand_handlers"), 2);
    fx_close(&f);
}
END_TEST

START_TEST(demand_import_faults)
{
    struct fx f;
    fx_open(&f);
    struct category_route_entry consult = {"3408", "340800-QFZX", {NULL}, 0};
    bool changed;
    OK(category_routes_set(f.c, &f.cli, "consult", &consult, 1, &changed, E));
    fault_loop(&f, "demand import", op_demand_import);
    ck_assert_int_eq(unit_db_int(f.c, "SELECT COUNT(*) FROM demands"), 3);
    fx_close(&f);
}
END_TEST

START_TEST(policy_publish_faults)
{
    struct fx f;
    fx_open(&f);
    f.id = policy_id(&f, "数字经济核心产业企业奖励（征求意见稿）");
    fault_loop(&f, "policy publish", op_policy_publish);
    fx_close(&f);
}
END_TEST

START_TEST(import_faults)
{
    struct fx f;
    fx_open(&f);
    fault_loop(&f, "ent_import", op_import);
    ck_assert_int_eq(unit_db_int(f.c, "SELECT COUNT(*) FROM enterprises"), 36);
    fx_close(&f);
}
END_TEST

START_TEST(partner_add_faults)
{
    struct fx f;
    fx_open(&f);
    fault_loop(&f, "org_partner_add", op_partner_add);
    fx_close(&f);
}
END_TEST

START_TEST(application_faults)
{
    struct fx f;
    fx_open(&f);
    f.id = policy_id(&f, "高校毕业生就业补贴");
    fault_loop(&f, "policy_app_create", op_app_create);
    ck_assert_int_eq(unit_db_int(f.c, "SELECT COUNT(*) FROM applications"), 1);
    fx_close(&f);
}
END_TEST

/*
 * The 免申即享 run commits in steps: the run row (its own transaction), the row marked
 * running (autocommit), the grants in transactions of up to RUN_CHUNK hits (one here)
 * together with their timeline events, audit rows and notices, and the end of the run
 * (state and its audit row). After a fault: either nothing at all (the run row was not
 * made), or the run row ended failed with the error, and the grants either all unwritten
 * or all written with their events, audit rows and notices, and nothing else changed.
 */
static void run_consistent(struct fx *f, const char *op, long n, const struct digest *before,
                           const struct digest *after)
{
    static const char *const run_tables[] = {"policy_runs",     "grants", "events",
                                             "notices",         "audit",  "audit_head",
                                             "sqlite_sequence", NULL};
    if (!digest_diff(before, after, NULL))
        return; /* the run row was not made: a clean error (rc checked by the caller) */
    const char *t = digest_diff(before, after, run_tables);
    ck_assert_msg(!t, "%s, fault %ld: table %s changed", op, n, t);
    ck_assert_int_eq(rows_of(after, "policy_runs"), rows_of(before, "policy_runs") + 1);
    struct stmt *st = NULL;
    struct err e = {0};
    ck_assert_int_eq(
        store_prepare(f->c, "SELECT state, error FROM policy_runs WHERE id = ?", &st, &e), RC_OK);
    store_bind_int(st, 1, f->run_id);
    ck_assert_int_eq(store_step(st, &e), RC_ROW);
    ck_assert_msg(strcmp(store_text(st, 0), "failed") == 0, "%s, fault %ld: run %s", op, n,
                  store_text(st, 0));
    ck_assert_ptr_nonnull(store_text(st, 1));
    store_finish(st);
#define NEW(d, table) (rows_of((d), (table)) - rows_of(before, (table)))
    int64_t grants = NEW(after, "grants"), all = NEW(f->full, "grants");
    ck_assert_msg(grants == 0 || grants == all, "%s, fault %ld: %lld of %lld grants written", op, n,
                  (long long)grants, (long long)all);
    bool written = grants == all;
    ck_assert_int_eq(NEW(after, "events"), written ? NEW(f->full, "events") : 0);
    ck_assert_int_eq(NEW(after, "notices"), written ? NEW(f->full, "notices") : 0);
    /* The run's own audit rows (created, ended) are there either way. */
    ck_assert_int_eq(NEW(after, "audit"), NEW(f->full, "audit") - (written ? 0 : all));
#undef NEW
    ck_assert_int_eq(unit_db_int(f->c, "SELECT COUNT(*) FROM grants g WHERE NOT EXISTS (SELECT 1 "
                                       "FROM audit a WHERE a.entity = 'grant' AND a.entity_id = "
                                       "CAST(g.id AS TEXT) AND a.action = 'grant.create')"),
                     0);
}

START_TEST(policy_run_faults)
{
    struct fx f;
    fx_open(&f);
    f.id = policy_id(&f, "发明专利资助");
    OK(import_generated(&f, 11, 40, E)); /* two of them, in Anqing with patents, qualify */
    fault_loop_with(&f, "policy_run", op_run, run_consistent);
    ck_assert_int_eq(unit_db_int(f.c, "SELECT COUNT(*) FROM grants"), 2);
    fx_close(&f);
}
END_TEST

START_TEST(grant_notify_faults)
{
    struct fx f;
    fx_open(&f);
    OK(import_generated(&f, 11, 40, E));
    f.id = policy_id(&f, "发明专利资助");
    struct err e = {0};
    ck_assert_int_eq(op_run(&f, &e), RC_OK);
    officer_of(&f, "scjgj", "340800-SCJGJ", &issuer);
    f.id = unit_db_int(f.c, "SELECT MIN(id) FROM grants");
    fault_loop(&f, "grant notify", op_grant_notify);
    ck_assert_int_eq(unit_db_int(f.c, "SELECT COUNT(*) FROM grants WHERE state = 'notified'"), 1);
    fx_close(&f);
}
END_TEST

START_TEST(application_approve_faults)
{
    struct fx f;
    fx_open(&f);
    f.id = policy_id(&f, "高校毕业生就业补贴");
    struct err e = {0};
    ck_assert_int_eq(op_app_create(&f, &e), RC_OK);
    ck_assert_int_eq(unit_db_int(f.c, "SELECT COUNT(*) FROM applications WHERE state = "
                                      "'submitted'"),
                     1);
    officer_of(&f, "rsj", "340800-RSJ", &issuer);
    f.id = unit_db_int(f.c, "SELECT id FROM applications");
    fault_loop(&f, "application approve", op_app_approve);
    ck_assert_int_eq(unit_db_int(f.c, "SELECT COUNT(*) FROM grants WHERE state = 'confirmed'"), 1);
    fx_close(&f);
}
END_TEST

static Suite *suite(void)
{
    (void)unit_db_pg; /* SQLite only: the digest reads sqlite_master */
    /* A fixed day, so the seed policies are in force whatever today is (docs/internals/
     * testing.md, "The test clock"); argon2 at its minimum cost, as tests/run.sh sets. */
    setenv("QIFU_TEST_NOW", "2026-03-10T10:00:00+08:00", 1);
    setenv("QIFU_FAST_HASH", "1", 0);
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("sqlite");
    tcase_add_unchecked_fixture(tc, unit_db_sqlite_once, unit_db_sqlite_done);
    tcase_add_checked_fixture(tc, unit_db_sqlite, unit_db_drop);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, demand_create_faults);
    tcase_add_test(tc, demand_accept_dispatch_faults);
    tcase_add_test(tc, demand_import_faults);
    tcase_add_test(tc, policy_publish_faults);
    tcase_add_test(tc, import_faults);
    tcase_add_test(tc, partner_add_faults);
    tcase_add_test(tc, application_faults);
    tcase_add_test(tc, policy_run_faults);
    tcase_add_test(tc, grant_notify_faults);
    tcase_add_test(tc, application_approve_faults);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(suite)
