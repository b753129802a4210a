/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demo: the driver of `qifu demo --history` — the county tree, the departments and their
 * users, then the year of demands (demo_demands.c) and of policies (demo_policies.c).
 * See demo.h for the contract and docs/internals/demo.md for the shape of the data.
 */
#include "demo.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../audit/audit.h"
#include "../auth/auth.h"
#include "../base/mem.h"
#include "../base/sec.h"
#include "../base/timeutil.h"
#include "../cal/cal.h"
#include "../calendar/calendar.h"
#include "../category/category.h"
#include "../codes/codes.h"
#include "../demand/demand.h"
#include "../org/org.h"
#include "../store/store.h"
#include "demo_int.h"

/* ---- helpers shared by the module's files ---------------------------------------- */

void demo__rng_init(struct demo_rng *r, uint64_t seed, uint64_t stream)
{
    r->s = seed * 0x9E3779B97F4A7C15ULL ^ (stream + 1) * 0xD1B54A32D192ED03ULL;
}

uint64_t demo__rand(struct demo_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

int64_t demo__between(struct demo_rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(demo__rand(r) % (uint64_t)(hi - lo + 1));
}

size_t demo__weighted(struct demo_rng *r, const int *weights, size_t n)
{
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += weights[i];
    int64_t x = demo__between(r, 0, sum - 1);
    for (size_t i = 0; i < n; i++) {
        if (x < weights[i])
            return i;
        x -= weights[i];
    }
    return n - 1;
}

int64_t demo__office(int64_t t)
{
    /* Beijing time has no daylight saving: the local day starts at 16:00 UTC. */
    int64_t local = t + TIME_CST_OFFSET_MS;
    int64_t day = local / DEMO_DAY * DEMO_DAY, in = local - day;
    if (in < 9 * DEMO_HOUR)
        in = 9 * DEMO_HOUR + in % DEMO_HOUR;
    else if (in >= 17 * DEMO_HOUR)
        day += DEMO_DAY, in = 9 * DEMO_HOUR + in % DEMO_HOUR;
    /* 1970-01-01 was a Thursday: day number % 7 == 2 is Saturday, 3 Sunday. */
    int64_t wd = (day / DEMO_DAY) % 7;
    if (wd == 2)
        day += 2 * DEMO_DAY;
    else if (wd == 3)
        day += DEMO_DAY;
    return day + in - TIME_CST_OFFSET_MS;
}

enum rc demo__fail(struct err *e, enum rc rc, const char *what, ...)
{
    char head[120], msg[sizeof(e->msg) + sizeof(head) + 8];
    va_list ap;
    va_start(ap, what);
    vsnprintf(head, sizeof(head), what, ap);
    va_end(ap);
    snprintf(msg, sizeof(msg), "%s：%s", head, e->msg[0] ? e->msg : rc_str(rc));
    size_t n = strlen(msg) < sizeof(e->msg) - 1 ? strlen(msg) : sizeof(e->msg) - 1;
    /* Cut at a character boundary. */
    while (n > 0 && ((unsigned char)msg[n] & 0xC0) == 0x80)
        n--;
    memcpy(e->msg, msg, n);
    e->msg[n] = '\0';
    e->rc = rc;
    return rc;
}

struct demo_user *demo__user(struct demo_gen *g, const char *username, struct err *e)
{
    for (size_t i = 0; i < g->n_users; i++)
        if (strcmp(g->users[i].username, username) == 0)
            return &g->users[i];
    if (g->n_users == g->cap_users) {
        /* Grown in place would move the users enterprises point at: a fixed array. */
        err_set(e, RC_INTERNAL, NULL, "too many demo users");
        return NULL;
    }
    struct demo_user *u = &g->users[g->n_users];
    enum rc rc = auth_principal_of(g->c, username, &g->pool, &u->p, e);
    if (rc) {
        demo__fail(e, rc, "读取用户 %s", username);
        return NULL;
    }
    u->username = pool_strdup(&g->pool, username);
    g->n_users++;
    return u;
}

void demo__progress(struct demo_gen *g, const char *phase, int64_t done, int64_t total)
{
    if (!g->o->progress)
        return;
    int64_t step = total / 100 > 0 ? total / 100 : 1;
    if (done == total || done % step == 0)
        g->o->progress(g->o->progress_ctx, phase, done, total);
}

/* ---- organisations and users -------------------------------------------------------- */

/* The departments the plain demo does not have. Utilities receive the 水电气网 demands. */
static const struct org_new departments[] = {
    {"340800-ZJJ", "安庆市住房和城乡建设局", "department", "340800", "340800"},
    {"340800-ZRZYJ", "安庆市自然资源和规划局", "department", "340800", "340800"},
    {"340800-JTYSJ", "安庆市交通运输局", "department", "340800", "340800"},
    {"340800-YJGLJ", "安庆市应急管理局", "department", "340800", "340800"},
    {"340800-GDGS", "国网安庆供电公司", "department", "340800", "340800"},
    {"340800-SWJT", "安庆市水务集团有限公司", "department", "340800", "340800"},
    {"340800-RQGS", "安庆市燃气有限公司", "department", "340800", "340800"},
    {"340800-DXGS", "中国电信安庆分公司", "department", "340800", "340800"},
};

static const char *const surnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴",
                                       "周", "徐", "孙", "汪", "檀", "方", "程", "胡", "朱"};
static const char *const given[] = {"伟",   "芳",   "娜",   "敏",   "静",   "磊",   "洋",
                                    "勇",   "军",   "杰",   "涛",   "明",   "超",   "霞",
                                    "晓东", "建华", "海燕", "志强", "秀英", "文博", "雨婷"};

/* A user name part of an organisation code: "340800-GDGS" → "gdgs", "340822" → "340822". */
static void short_code(const char *code, char *out, size_t n)
{
    const char *dash = strchr(code, '-');
    snprintf(out, n, "%s", dash ? dash + 1 : code);
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
}

/* The organisation's name without the city's: "安庆市财政局" → "财政局". */
static const char *short_name(const char *name)
{
    return strncmp(name, "安庆市", strlen("安庆市")) == 0 ? name + strlen("安庆市") : name;
}

struct org_row {
    char code[32];
    char name[100];
    char kind[16];
};

/* The organisations of the city, by code. *out is new (xfree). */
static enum rc org_rows(struct conn *c, struct org_row **out, size_t *n, struct err *e)
{
    struct stmt *st;
    size_t cap = 64, k = 0;
    struct org_row *rows = xcalloc(cap, sizeof(*rows));
    enum rc rc = store_prepare(c, "SELECT code, name, kind FROM orgs ORDER BY code", &st, e);
    while (rc == RC_OK && (rc = store_step(st, e)) == RC_ROW) {
        if (k == cap)
            rows = xrealloc(rows, (cap *= 2) * sizeof(*rows));
        snprintf(rows[k].code, sizeof(rows[k].code), "%s", store_text(st, 0));
        snprintf(rows[k].name, sizeof(rows[k].name), "%s", store_text(st, 1));
        snprintf(rows[k].kind, sizeof(rows[k].kind), "%s", store_text(st, 2));
        k++;
        rc = RC_OK;
    }
    if (rc == RC_DONE)
        rc = RC_OK;
    store_finish(st);
    if (rc) {
        xfree(rows);
        return rc;
    }
    *out = rows;
    *n = k;
    return RC_OK;
}

/* Does the organisation issue a policy? (Its officers review applications.) */
static enum rc issues_policies(struct conn *c, const char *code, bool *yes, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               "SELECT 1 FROM policies p JOIN orgs o ON o.id = p.org_id "
                               "WHERE o.code = ? LIMIT 1",
                               &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, code);
    rc = store_step(st, e);
    *yes = rc == RC_ROW;
    store_finish(st);
    return rc == RC_ROW || rc == RC_DONE ? RC_OK : rc;
}

static enum rc add_user(struct demo_gen *g, const struct audit_actor *who, const char *hash,
                        struct demo_rng *rng, const char *username, const char *display,
                        const char *role, const char *org, const char *credit, struct err *e)
{
    char name[100];
    if (!display) {
        display = name;
        snprintf(name, sizeof(name), "%s%s", surnames[demo__rand(rng) % 18],
                 given[demo__rand(rng) % 21]);
    }
    struct auth_user_new u = {username, display, "demo", role, org, credit, true};
    enum rc rc = auth_user_create_hashed(g->c, who, &u, hash, NULL, e);
    if (rc == RC_EXISTS)
        return RC_OK;
    if (rc)
        return demo__fail(e, rc, "新建用户 %s", username);
    g->r->users++;
    return RC_OK;
}

/*
 * The county tree (every current division under 340800 from the GB/T 2260 table), the
 * departments, and the users: a handler (承办人) in every department and county
 * government, a policy officer (政策专员) in every organisation that issues policies,
 * a clerk (受理员) and a supervisor (督办员) in every county government, an enterprise user
 * for every enterprise of the city, and one former handler whose account is disabled.
 * The plain demo's users stand for the city's centre, 督查室 and 经信局.
 */
static enum rc orgs_and_users(struct demo_gen *g, struct err *e)
{
    struct audit_actor who = {"cli:demo", ""};
    struct demo_rng rng;
    demo__rng_init(&rng, g->o->seed, 1);
    enum rc rc = RC_OK;
    const struct codes_region *kids[64];
    size_t n = codes_region_children("340800", kids, 64);
    for (size_t i = 0; i < n && i < 64 && !rc; i++) {
        char name[100];
        snprintf(name, sizeof(name), "%s人民政府", kids[i]->name);
        struct org_new o = {kids[i]->code, name, "county", kids[i]->code, "340800"};
        rc = org_create(g->c, &who, &o, NULL, e);
        if (rc == RC_EXISTS)
            rc = RC_OK;
        else if (rc == RC_OK)
            g->r->orgs++;
        else
            demo__fail(e, rc, "新建机构 %s", o.code);
    }
    for (size_t i = 0; i < sizeof(departments) / sizeof(departments[0]) && !rc; i++) {
        rc = org_create(g->c, &who, &departments[i], NULL, e);
        if (rc == RC_EXISTS)
            rc = RC_OK;
        else if (rc == RC_OK)
            g->r->orgs++;
        else
            demo__fail(e, rc, "新建机构 %s", departments[i].code);
    }
    /* 水电气网 go to the power company, with the water, gas and telecom companies. */
    static const struct category_route_entry utilities[] = {
        {"3408", "340800-GDGS", {"340800-SWJT", "340800-RQGS", "340800-DXGS"}, 3}};
    bool changed = false;
    if (rc == RC_OK &&
        (rc = category_routes_set(g->c, &who, "utilities", utilities, 1, &changed, e)))
        demo__fail(e, rc, "派单目录");
    /* Every demo user has the password demo: hashed once, not once per user. */
    char hash[SEC_PWHASH_LEN];
    if (rc == RC_OK && (rc = sec_pwhash("demo", hash)))
        return err_set(e, rc, NULL, "password hashing failed");
    struct org_row *orgs = NULL;
    size_t n_orgs = 0;
    if (rc == RC_OK)
        rc = org_rows(g->c, &orgs, &n_orgs, e);
    for (size_t i = 0; i < n_orgs && !rc; i++) {
        const struct org_row *o = &orgs[i];
        char sc[32], user[48], display[128];
        short_code(o->code, sc, sizeof(sc));
        bool county = strcmp(o->kind, "county") == 0;
        bool dept = strcmp(o->kind, "department") == 0 && strcmp(o->code, "340800-DCS") != 0;
        bool issuer = false;
        rc = issues_policies(g->c, o->code, &issuer, e);
        if (rc == RC_OK && (county || dept) && strcmp(o->code, "340800-JXJ") != 0) {
            snprintf(user, sizeof(user), "handler.%s", sc);
            snprintf(display, sizeof(display), "%s承办人", short_name(o->name));
            rc = add_user(g, &who, hash, &rng, user, NULL, "handler", o->code, NULL, e);
        }
        if (rc == RC_OK && issuer && strcmp(o->code, "340800-JXJ") != 0) {
            snprintf(user, sizeof(user), "officer.%s", sc);
            rc = add_user(g, &who, hash, &rng, user, NULL, "policy_officer", o->code, NULL, e);
        }
        if (rc == RC_OK && county) {
            snprintf(user, sizeof(user), "clerk.%s", sc);
            rc = add_user(g, &who, hash, &rng, user, NULL, "clerk", o->code, NULL, e);
            snprintf(user, sizeof(user), "supervisor.%s", sc);
            if (rc == RC_OK)
                rc = add_user(g, &who, hash, &rng, user, NULL, "supervisor", o->code, NULL, e);
        }
    }
    xfree(orgs);
    /* One enterprise user per enterprise of the city (the demo enterprise has "enterprise"). */
    for (size_t i = 0; i < g->n_ents && !rc; i++) {
        char user[48];
        if (i == g->demo_ent)
            continue;
        snprintf(user, sizeof(user), "ent.%s", g->ents[i].credit);
        rc = add_user(g, &who, hash, &rng, user, NULL, "enterprise", NULL, g->ents[i].credit, e);
        demo__progress(g, "用户", (int64_t)i + 1, (int64_t)g->n_ents);
    }
    /* A former handler of 经信局: an account the administrator has disabled. */
    if (rc == RC_OK)
        rc = add_user(g, &who, hash, &rng, "handler.jxj.old", "经信局原承办人（已调离）", "handler",
                      "340800-JXJ", NULL, e);
    if (rc == RC_OK) {
        rc = auth_user_action(g->c, &who, 0, "handler.jxj.old", AUTH_DISABLE, NULL, e);
        if (rc)
            demo__fail(e, rc, "停用用户");
    }
    for (size_t i = 0; i < g->n_ents && !rc; i++) {
        char user[48];
        snprintf(user, sizeof(user), i == g->demo_ent ? "enterprise" : "ent.%s", g->ents[i].credit);
        g->ents[i].user = demo__user(g, user, e);
        if (!g->ents[i].user)
            rc = e->rc ? e->rc : RC_INTERNAL;
    }
    return rc;
}

/* The enterprises of 3408 in the registry, by credit code. */
static enum rc load_ents(struct demo_gen *g, struct err *e)
{
    struct stmt *st;
    size_t cap = 256;
    g->ents = xcalloc(cap, sizeof(*g->ents));
    g->demo_ent = (size_t)-1;
    enum rc rc = store_prepare(g->c,
                               "SELECT credit_code, region, name FROM enterprises WHERE region >= "
                               "'340800' AND region < '340900' ORDER BY credit_code",
                               &st, e);
    while (rc == RC_OK && (rc = store_step(st, e)) == RC_ROW) {
        if (g->n_ents == cap)
            g->ents = xrealloc(g->ents, (cap *= 2) * sizeof(*g->ents));
        struct demo_ent *x = &g->ents[g->n_ents];
        memset(x, 0, sizeof(*x));
        snprintf(x->credit, sizeof(x->credit), "%s", store_text(st, 0));
        snprintf(x->region, sizeof(x->region), "%s", store_text(st, 1));
        x->name = pool_strdup(&g->pool, store_text(st, 2));
        if (strcmp(x->credit, "91340100131860916Y") == 0)
            g->demo_ent = g->n_ents;
        g->n_ents++;
        rc = RC_OK;
    }
    if (rc == RC_DONE)
        rc = RC_OK;
    store_finish(st);
    if (rc == RC_OK && (g->n_ents < 20 || g->demo_ent == (size_t)-1))
        rc = err_set(e, RC_STATE, NULL,
                     "企业库中安庆市的企业太少（%zu 家）或缺少示例企业：请先运行 qifu demo 与 "
                     "qifu demo --enterprises",
                     g->n_ents);
    return rc;
}

static enum rc has_demands(struct conn *c, bool *yes, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, "SELECT 1 FROM demands LIMIT 1", &st, e);
    if (rc)
        return rc;
    rc = store_step(st, e);
    *yes = rc == RC_ROW;
    store_finish(st);
    return rc == RC_ROW || rc == RC_DONE ? RC_OK : rc;
}

/* The overdue sweep at the end of the history: notices of every deadline already past. */
static enum rc sweep(struct demo_gen *g, struct err *e)
{
    struct demand_ctx ctx = {.cal = g->cal, .now = g->end, .yellow_days = 1};
    int n = 0;
    enum rc rc;
    do {
        n = 0;
        rc = demand_sweep_overdue(g->c, &ctx, &n, e);
    } while (rc == RC_OK && n > 0);
    return rc ? demo__fail(e, rc, "超期提醒") : RC_OK;
}

enum rc demo_history(struct store *db, const struct demo_opts *o, struct demo_report *report,
                     struct err *e)
{
    struct demo_gen g = {.db = db, .o = o, .r = report};
    memset(report, 0, sizeof(*report));
    pool_init(&g.pool);
    g.end = o->end / DEMO_MIN * DEMO_MIN;
    g.start = g.end - 365 * DEMO_DAY;
    g.cap_users = 4096;
    g.users = xcalloc(g.cap_users, sizeof(*g.users));
    bool existed = false;
    enum rc rc = store_acquire(db, &g.c, e);
    if (rc == RC_OK)
        rc = has_demands(g.c, &existed, e);
    if (rc == RC_OK && existed) {
        report->existed = true;
        goto out;
    }
    if (rc == RC_OK)
        rc = calendar_load(g.c, &g.cal, NULL, e);
    if (rc == RC_OK)
        rc = load_ents(&g, e);
    /* Commits need not wait for the disk one by one: all are made durable at the end. */
    bool relaxed = false;
    if (rc == RC_OK && (rc = store_relax_commits(g.c, true, e)) == RC_OK)
        relaxed = true;
    time_fixed_set(g.start);
    if (rc == RC_OK)
        rc = orgs_and_users(&g, e);
    if (rc == RC_OK)
        rc = demo__demands(&g, e);
    if (rc == RC_OK)
        rc = demo__policies(&g, e);
    time_fixed_set(g.end);
    if (rc == RC_OK)
        rc = sweep(&g, e);
    if (relaxed) {
        struct err ignored;
        enum rc done = store_relax_commits(g.c, false, rc ? &ignored : e);
        if (rc == RC_OK)
            rc = done;
    }
    time_fixed_set(0);
out:
    store_release(g.c);
    cal_free(g.cal);
    xfree(g.users);
    xfree(g.ents);
    pool_clear(&g.pool);
    return rc;
}
