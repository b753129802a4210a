/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demo_policies: the policies' side of the demo year. Every published 免申即享 policy is
 * run by an officer of its issuing department (policy_run_create + policy_run_exec, as
 * `POST /policies/{id}/runs` and `qifu match` do) in the last months of the year; its
 * grants are then notified, confirmed or declined by the enterprises and paid, each at
 * its own instant, and some are left at each step. Enterprises apply for 申报 and 即申即享
 * policies (policy_app_create), and the departments approve, reject, ask for more
 * information or have not yet decided.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../ent/ent.h"
#include "../policy/policy.h"
#include "../policy/policy_grant.h"
#include "../store/store.h"
#include "demo_int.h"

struct pol {
    int64_t id;
    char org[32];
    char delivery[12];
    char officer[48];
    char valid_from[11], valid_to[11]; /* "" when open */
};

/* The published policies of one delivery kind (NULL: 申报 and 即申即享), by id. */
static enum rc policies(struct demo_gen *g, const char *delivery, struct pol **out, size_t *n,
                        struct err *e)
{
    struct stmt *st;
    size_t cap = 16, k = 0;
    struct pol *v = xcalloc(cap, sizeof(*v));
    enum rc rc = store_prepare(g->c,
                               "SELECT p.id, o.code, p.delivery, COALESCE(p.valid_from, ''), "
                               "COALESCE(p.valid_to, '') FROM policies p JOIN orgs o ON "
                               "o.id = p.org_id WHERE p.state = 'published' ORDER BY p.id",
                               &st, e);
    while (rc == RC_OK && (rc = store_step(st, e)) == RC_ROW) {
        rc = RC_OK;
        const char *d = store_text(st, 2);
        if (delivery ? strcmp(d, delivery) != 0 : strcmp(d, "mian_shen") == 0)
            continue;
        if (k == cap)
            v = xrealloc(v, (cap *= 2) * sizeof(*v));
        v[k].id = store_int(st, 0);
        snprintf(v[k].org, sizeof(v[k].org), "%s", store_text(st, 1));
        snprintf(v[k].delivery, sizeof(v[k].delivery), "%s", d);
        snprintf(v[k].valid_from, sizeof(v[k].valid_from), "%s", store_text(st, 3));
        snprintf(v[k].valid_to, sizeof(v[k].valid_to), "%s", store_text(st, 4));
        /* The plain demo's officer is 经信局's; the others are officer.<department>. */
        const char *dash = strchr(v[k].org, '-');
        if (strcmp(v[k].org, "340800-JXJ") == 0)
            snprintf(v[k].officer, sizeof(v[k].officer), "officer");
        else
            snprintf(v[k].officer, sizeof(v[k].officer), "officer.%s", dash ? dash + 1 : v[k].org);
        for (char *p = v[k].officer; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        k++;
    }
    if (rc == RC_DONE)
        rc = RC_OK;
    store_finish(st);
    *out = v;
    *n = k;
    return rc;
}

static const struct demo_ent *ent_of(struct demo_gen *g, const char *credit)
{
    size_t lo = 0, hi = g->n_ents;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(g->ents[mid].credit, credit);
        if (c == 0)
            return &g->ents[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ---- 免申即享: runs and grants ---------------------------------------------------- */

enum gfate { G_MATCHED, G_NOTIFIED, G_CONFIRMED, G_DECLINED, G_PAID, G__N };
static const int gfate_weight[G__N] = {20, 20, 20, 5, 35};

struct gact {
    int64_t at;
    int64_t grant, amount;
    const char *officer;
    const struct demo_ent *ent;
    int k;
    int act; /* 0 notify, 1 confirm, 2 decline, 3 pay */
};

static int gact_by_time(const void *a, const void *b)
{
    const struct gact *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    if (x->grant != y->grant)
        return x->grant < y->grant ? -1 : 1;
    return x->k - y->k;
}

static enum rc grant_act(struct demo_gen *g, const struct gact *a, struct err *e)
{
    static const char *const names[] = {"notify", "confirm", "decline", "pay"};
    struct demo_user *u = a->act == 1 || a->act == 2 ? a->ent->user : demo__user(g, a->officer, e);
    if (!u)
        return e->rc ? e->rc : RC_INTERNAL;
    json_t *params = json_pack("{s:s}", "action", names[a->act]);
    char day[40];
    switch (a->act) {
    case 0:
        json_object_set_new(params, "note", json_string("贵企业符合本政策条件，请确认收款账户"));
        break;
    case 1:
        json_object_set_new(params, "bank_name", json_string("中国银行安庆分行"));
        json_object_set_new(params, "bank_account", json_string("6216600000001234"));
        json_object_set_new(params, "account_name", json_string(a->ent->name));
        break;
    case 2:
        json_object_set_new(params, "note", json_string("本年度已享受同类政策，自愿放弃"));
        break;
    default:
        time_fmt_cst(a->at, day, sizeof(day));
        day[10] = '\0';
        json_object_set_new(params, "amount", json_integer(a->amount > 0 ? a->amount : 100000));
        json_object_set_new(params, "paid_on", json_string(day));
        if (a->amount <= 0)
            json_object_set_new(params, "reason", json_string("按核定金额拨付"));
        break;
    }
    time_fixed_set(a->at);
    enum rc rc = policy_grant_act(g->c, &u->p, a->grant, params, e);
    json_decref(params);
    return rc;
}

/* The grants of run_id, each with a fate and the steps to it after the run at t. */
static enum rc plan_grants(struct demo_gen *g, struct demo_rng *r, int64_t run_id,
                           const struct pol *pol, int64_t t, struct gact **v, size_t *n,
                           size_t *cap, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(g->c,
                               "SELECT id, credit_code, COALESCE(amount_fen, 0) FROM grants "
                               "WHERE run_id = ? ORDER BY id",
                               &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, run_id);
    bool demo_seen = false, first = true;
    while ((rc = store_step(st, e)) == RC_ROW) {
        g->r->grants++;
        const struct demo_ent *ent = ent_of(g, store_text(st, 1));
        enum gfate f = (enum gfate)demo__weighted(r, gfate_weight, G__N);
        /* Every run leaves a grant for its department to notify. */
        if (first)
            f = G_MATCHED;
        first = false;
        /* The demo enterprise's first grant waits for it to confirm. */
        if (ent && ent == &g->ents[g->demo_ent] && !demo_seen) {
            f = G_NOTIFIED;
            demo_seen = true;
        }
        if (!ent && f > G_NOTIFIED)
            f = G_NOTIFIED;
        int64_t at = t;
        for (int k = 0; k < 3 && f != G_MATCHED; k++) {
            int act = k == 0 ? 0 : k == 1 ? (f == G_DECLINED ? 2 : 1) : 3;
            if ((k == 1 && f == G_NOTIFIED) || (k == 2 && f != G_PAID))
                break;
            at = demo__office(at + demo__between(r, DEMO_DAY, 8 * DEMO_DAY));
            if (at > g->end - DEMO_HOUR)
                break;
            if (*n == *cap)
                *v = xrealloc(*v, (*cap = *cap ? 2 * *cap : 1024) * sizeof(**v));
            (*v)[(*n)++] =
                (struct gact){at, store_int(st, 0), store_int(st, 2), pol->officer, ent, k, act};
        }
    }
    store_finish(st);
    return rc == RC_DONE ? RC_OK : rc;
}

static enum rc runs_and_grants(struct demo_gen *g, struct policy_holder *h, struct err *e)
{
    struct pol *pols = NULL;
    size_t n = 0, n_acts = 0, cap = 0;
    struct gact *acts = NULL;
    struct demo_rng r;
    demo__rng_init(&r, g->o->seed, 4);
    enum rc rc = policies(g, "mian_shen", &pols, &n, e);
    for (size_t i = 0; i < n && rc == RC_OK; i++) {
        /* Runs in the last three months, a few days apart. */
        int64_t t = demo__office(g->end - 90 * DEMO_DAY + (int64_t)i * 2 * DEMO_DAY);
        struct demo_user *u = demo__user(g, pols[i].officer, e);
        if (!u) {
            rc = e->rc ? e->rc : RC_INTERNAL;
            break;
        }
        /* A policy not in force on that day is not run (the run would refuse it). */
        char day[40];
        time_fmt_cst(t, day, sizeof(day));
        day[10] = '\0';
        if ((pols[i].valid_from[0] && strcmp(day, pols[i].valid_from) < 0) ||
            (pols[i].valid_to[0] && strcmp(day, pols[i].valid_to) > 0))
            continue;
        time_fixed_set(t);
        int64_t run_id = 0;
        rc = policy_run_create(g->c, &u->p.actor, u->p.org_id, pols[i].id, &run_id, e);
        /* A policy not yet in force at that instant is not run: the domain's answer. */
        if (rc == RC_STATE) {
            err_clear(e);
            rc = RC_OK;
            continue;
        }
        if (rc == RC_OK) {
            struct policy_run_opts ro = {.policy_id = pols[i].id, .n_threads = 1};
            rc = policy_run_exec(g->c, h, &u->p.actor, run_id, &ro, NULL, e);
        }
        if (rc) {
            demo__fail(e, rc, "免申即享匹配（政策 %lld）", (long long)pols[i].id);
            break;
        }
        g->r->runs++;
        rc = plan_grants(g, &r, run_id, &pols[i], t, &acts, &n_acts, &cap, e);
        demo__progress(g, "免申即享", (int64_t)i + 1, (int64_t)n);
    }
    if (n_acts)
        qsort(acts, n_acts, sizeof(*acts), gact_by_time);
    for (size_t k = 0; k < n_acts && rc == RC_OK; k++) {
        if ((rc = grant_act(g, &acts[k], e)))
            demo__fail(e, rc, "兑现记录 %lld", (long long)acts[k].grant);
        g->r->grant_actions += rc == RC_OK;
        demo__progress(g, "兑现", (int64_t)k + 1, (int64_t)n_acts);
    }
    xfree(acts);
    xfree(pols);
    return rc;
}

/* ---- applications ----------------------------------------------------------------- */

#define DEMO_APPLICATIONS 160

struct app_step {
    int64_t at;
    int64_t id;
    const struct pol *pol;
    int act; /* 0 approve, 1 reject, 2 request_info */
};

static int app_by_time(const void *a, const void *b)
{
    const struct app_step *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int app_by_time_int(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static enum rc app_state(struct demo_gen *g, int64_t id, char out[16], struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(g->c, "SELECT state FROM applications WHERE id = ?", &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, id);
    rc = store_step(st, e);
    if (rc == RC_ROW)
        snprintf(out, 16, "%s", store_text(st, 0));
    store_finish(st);
    return rc == RC_ROW ? RC_OK : rc == RC_DONE ? RC_NOTFOUND : rc;
}

static enum rc applications(struct demo_gen *g, struct policy_holder *h, struct err *e)
{
    struct pol *pols = NULL;
    size_t n = 0, n_steps = 0;
    struct demo_rng r;
    demo__rng_init(&r, g->o->seed, 5);
    enum rc rc = policies(g, NULL, &pols, &n, e);
    if (rc == RC_OK && n == 0)
        rc = err_set(e, RC_STATE, NULL, "没有已发布的申报类政策");
    struct app_step *steps = xcalloc(DEMO_APPLICATIONS, sizeof(*steps));
    /* Applications in the order of their instants, so the audit log reads in order. */
    int64_t *at = xcalloc(DEMO_APPLICATIONS, sizeof(*at));
    for (int i = 0; i < DEMO_APPLICATIONS; i++)
        at[i] = demo__office(g->end - demo__between(&r, DEMO_HOUR, 120 * DEMO_DAY));
    qsort(at, DEMO_APPLICATIONS, sizeof(*at), app_by_time_int);
    for (int i = 0; i < DEMO_APPLICATIONS && rc == RC_OK; i++) {
        /* The demo enterprise applies for every 经信局 申报 policy: its officer's queue. */
        const struct pol *pol = &pols[demo__rand(&r) % n];
        const struct demo_ent *ent = &g->ents[demo__rand(&r) % g->n_ents];
        int fate = (int)demo__weighted(&r, (const int[]){35, 20, 15, 30}, 4);
        if (i < (int)n && strcmp(pols[i].org, "340800-JXJ") == 0) {
            pol = &pols[i];
            ent = &g->ents[g->demo_ent];
            fate = 3;
        }
        if (at[i] > g->end - DEMO_HOUR)
            continue;
        time_fixed_set(at[i]);
        json_t *body = json_pack("{s:I}", "policy_id", (json_int_t)pol->id);
        int64_t id = 0;
        bool existed = false;
        rc = policy_app_create(g->c, h, &ent->user->p, body, NULL, &id, &existed, e);
        json_decref(body);
        /* An enterprise that holds a grant of the policy, or has an application open,
         * cannot apply again: that is the domain's answer, not a failure. */
        if (rc == RC_EXISTS || rc == RC_CONFLICT || rc == RC_STATE) {
            err_clear(e);
            rc = RC_OK;
            continue;
        }
        if (rc) {
            demo__fail(e, rc, "政策申报（政策 %lld）", (long long)pol->id);
            break;
        }
        g->r->applications++;
        char state[16];
        if ((rc = app_state(g, id, state, e)))
            break;
        int64_t when = demo__office(at[i] + demo__between(&r, DEMO_DAY, 10 * DEMO_DAY));
        if (strcmp(state, "submitted") == 0 && fate < 3 && when < g->end - DEMO_HOUR)
            steps[n_steps++] = (struct app_step){when, id, pol, fate};
        demo__progress(g, "政策申报", i + 1, DEMO_APPLICATIONS);
    }
    qsort(steps, n_steps, sizeof(*steps), app_by_time);
    static const char *const names[] = {"approve", "reject", "request_info"};
    for (size_t k = 0; k < n_steps && rc == RC_OK; k++) {
        struct demo_user *u = demo__user(g, steps[k].pol->officer, e);
        if (!u) {
            rc = e->rc ? e->rc : RC_INTERNAL;
            break;
        }
        json_t *params = json_pack("{s:s}", "action", names[steps[k].act]);
        if (steps[k].act == 1)
            json_object_set_new(params, "reason", json_string("不符合政策规定的申报条件"));
        else if (steps[k].act == 2)
            json_object_set_new(params, "reason",
                                json_string("请补充上年度审计报告和社保缴费证明"));
        time_fixed_set(steps[k].at);
        rc = policy_app_act(g->c, h, &u->p, steps[k].id, params, e);
        json_decref(params);
        if (rc)
            demo__fail(e, rc, "审核申报 %lld", (long long)steps[k].id);
    }
    xfree(at);
    xfree(steps);
    xfree(pols);
    return rc;
}

enum rc demo__policies(struct demo_gen *g, struct err *e)
{
    struct ent_catalog *cat = NULL;
    struct policy_holder *h = NULL;
    enum rc rc = ent_catalog_load(g->c, &cat, e);
    if (rc == RC_OK)
        rc = policy_holder_new(g->db, cat, 0, &h, e);
    if (rc == RC_OK)
        rc = runs_and_grants(g, h, e);
    if (rc == RC_OK)
        rc = applications(g, h, e);
    policy_holder_free(h);
    ent_catalog_free(cat);
    return rc;
}
