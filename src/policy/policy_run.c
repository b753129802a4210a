/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_run: 免申即享 runs. A run loads every enterprise's newest facts into a
 * columnar rules_table (enterprises, enterprise_tags and enterprise_facts are each
 * read once, in one pass), evaluates the whole set of published policies with the
 * batch evaluator (so exclusive groups and caps see every policy), keeps the
 * eligible hits of the run's policies, and writes them as grants in transactions of
 * RUN_CHUNK hits, with progress in policy_runs. Idempotent: a grant is keyed by
 * (policy, enterprise, period). A run is a job (src/job, "policy_run:<id>"): whoever
 * executes it holds its lease, and every chunk commits together with a checkpoint (the
 * last credit code written and the tallies so far) only while the lease is held, so
 * when the holder dies another process resumes the run from its checkpoint once the
 * lease expired, writing each grant once. The background runner of `qifu serve`
 * (policy_runner.c) takes queued runs from the database.
 */
#include "policy_grant.h"
#include "policy_grant_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../audit/audit.h"
#include "../auth/auth.h"
#include "../base/jsonx.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../codes/codes.h"
#include "../job/job.h"
#include "../rules/rules.h"
#include "../store/store.h"

/* Hits written per transaction: small enough to keep writers moving, large enough
 * that the commit (fsync) is amortised. */
#define RUN_CHUNK 256
#define CODE_LEN 24
#define REGION_LEN 8

/* ---- loading the table ------------------------------------------------------------- */

struct ent_rows {
    size_t n;
    char (*code)[CODE_LEN];
    char (*region)[REGION_LEN];
    size_t *ord;  /* row indexes sorted by code (strcmp), for lookups */
    size_t *rank; /* rank[row]: the row's place in that order (hits are written in it) */
};

static const struct ent_rows *sort_rows; /* qsort has no context argument in C11 */

static int cmp_ord(const void *a, const void *b)
{
    return strcmp(sort_rows->code[*(const size_t *)a], sort_rows->code[*(const size_t *)b]);
}

static long find_row(const struct ent_rows *r, const char *code)
{
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(r->code[r->ord[mid]], code);
        if (c == 0)
            return (long)r->ord[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static void rows_cleanup(struct ent_rows *r)
{
    xfree(r->code);
    xfree(r->region);
    xfree(r->ord);
    xfree(r->rank);
    memset(r, 0, sizeof(*r));
}

/* Sets fact of row from text, ignoring values the engine cannot read (then missing). */
static void table_set(struct rules_table *t, size_t row, int fact, const char *text)
{
    if (fact < 0 || !text || !*text)
        return;
    struct err ignored;
    err_clear(&ignored);
    (void)rules_table_set(t, row, fact, text, &ignored);
}

static pthread_mutex_t sort_mu = PTHREAD_MUTEX_INITIALIZER;

/* Reads the enterprises (builtin facts), their tags and their newest facts. */
static enum rc load_table(struct conn *c, const struct rules_catalog *cat, struct ent_rows *r,
                          struct rules_table **out, struct err *e)
{
    struct stmt *st;
    int64_t n = 0;
    enum rc rc = store_prepare(c, "SELECT COUNT(*) FROM enterprises", &st, e);
    if (rc)
        return rc;
    if ((rc = store_step(st, e)) == RC_ROW)
        n = store_int(st, 0);
    store_finish(st);
    if (rc != RC_ROW)
        return rc;
    memset(r, 0, sizeof(*r));
    r->code = xcalloc(n ? (size_t)n : 1, sizeof(*r->code));
    r->region = xcalloc(n ? (size_t)n : 1, sizeof(*r->region));
    r->ord = xcalloc(n ? (size_t)n : 1, sizeof(*r->ord));
    struct rules_table *t = rules_table_new(cat, (size_t)n);
    int f_region = rules_catalog_fact_index(cat, "region");
    int f_industry = rules_catalog_fact_index(cat, "industry");
    int f_founded = rules_catalog_fact_index(cat, "founded");
    int f_capital = rules_catalog_fact_index(cat, "registered_capital");
    int f_scale = rules_catalog_fact_index(cat, "scale");
    int f_tags = rules_catalog_fact_index(cat, "tags");
    rc = store_prepare(c,
                       "SELECT credit_code, region, industry, founded, capital_fen, scale FROM "
                       "enterprises",
                       &st, e);
    while (rc == RC_OK && (rc = store_step(st, e)) == RC_ROW) {
        if (r->n == (size_t)n)
            continue; /* inserted since the count: the next run sees it */
        size_t i = r->n++;
        mem_copy_text(r->code[i], CODE_LEN, store_text(st, 0));
        mem_copy_text(r->region[i], REGION_LEN, store_text(st, 1));
        r->ord[i] = i;
        table_set(t, i, f_region, store_text(st, 1));
        table_set(t, i, f_industry, store_text(st, 2));
        table_set(t, i, f_founded, store_text(st, 3));
        if (!store_isnull(st, 4) && f_capital >= 0)
            rules_table_set_int(t, i, f_capital, store_int(st, 4));
        table_set(t, i, f_scale, store_text(st, 5));
        rc = RC_OK;
    }
    if (rc == RC_DONE)
        rc = RC_OK;
    store_finish(st);
    pthread_mutex_lock(&sort_mu);
    sort_rows = r;
    qsort(r->ord, r->n, sizeof(*r->ord), cmp_ord);
    sort_rows = NULL;
    pthread_mutex_unlock(&sort_mu);
    r->rank = xcalloc(r->n ? r->n : 1, sizeof(*r->rank));
    for (size_t k = 0; k < r->n; k++)
        r->rank[r->ord[k]] = k;
    /* Tags: consecutive rows of one enterprise joined as a tag set "a;b". */
    if (rc == RC_OK)
        rc = store_prepare(c, "SELECT credit_code, tag FROM enterprise_tags ORDER BY credit_code",
                           &st, e);
    if (rc == RC_OK) {
        char cur[CODE_LEN] = "", tags[1024] = "";
        while ((rc = store_step(st, e)) == RC_ROW || rc == RC_DONE) {
            const char *code = rc == RC_ROW ? store_text(st, 0) : "";
            if (strcmp(code, cur) != 0 || rc == RC_DONE) {
                long row = *cur ? find_row(r, cur) : -1;
                if (row >= 0)
                    table_set(t, (size_t)row, f_tags, tags);
                mem_copy_text(cur, sizeof(cur), code);
                tags[0] = '\0';
            }
            if (rc == RC_DONE)
                break;
            size_t len = strlen(tags);
            snprintf(tags + len, sizeof(tags) - len, "%s%s", len ? ";" : "", store_text(st, 1));
        }
        store_finish(st);
        if (rc == RC_DONE)
            rc = RC_OK;
    }
    /* Facts: the newest authoritative value of each (enterprise, fact) comes first. A
     * self-declared value never decides a 免申即享 grant: the run leaves it out, so a
     * policy that would rest on it is "possibly eligible" and gets no grant. */
    if (rc == RC_OK)
        rc = store_prepare(c,
                           "SELECT credit_code, fact, value FROM enterprise_facts WHERE status = "
                           "'authoritative' ORDER BY credit_code, fact, as_of DESC, id DESC",
                           &st, e);
    if (rc == RC_OK) {
        char cur[CODE_LEN] = "", last_fact[64] = "";
        long row = -1;
        while ((rc = store_step(st, e)) == RC_ROW) {
            const char *code = store_text(st, 0), *fact = store_text(st, 1);
            if (strcmp(code, cur) != 0) {
                mem_copy_text(cur, sizeof(cur), code);
                row = find_row(r, cur);
                last_fact[0] = '\0';
            } else if (strcmp(fact, last_fact) == 0) {
                continue;
            }
            mem_copy_text(last_fact, sizeof(last_fact), fact);
            if (row >= 0)
                table_set(t, (size_t)row, rules_catalog_fact_index(cat, fact), store_text(st, 2));
        }
        store_finish(st);
        if (rc == RC_DONE)
            rc = RC_OK;
    }
    if (rc) {
        rules_table_free(t);
        rows_cleanup(r);
        return rc;
    }
    *out = t;
    return RC_OK;
}

enum rc policy_grant__registry_table(struct conn *c, const struct rules_catalog *cat,
                                     struct rules_table **out, size_t *n, struct err *e)
{
    struct ent_rows r;
    enum rc rc = load_table(c, cat, &r, out, e);
    if (rc)
        return rc;
    *n = r.n;
    rows_cleanup(&r);
    return RC_OK;
}

/* ---- evaluation ----------------------------------------------------------------------- */

struct hit {
    size_t row, policy; /* policy: index among the run's targets */
    size_t rank;        /* the row's rank by credit code: the order of writing */
    int64_t amount;     /* fen; -1 unknown */
    bool excluded;
};

struct collect {
    pthread_mutex_t mu;
    long *target_of;    /* set index -> target index or -1 */
    const size_t *rank; /* ent_rows.rank */
    struct hit *hits;
    size_t n, cap;
};

static void on_hit(void *ctx, const struct rules_hit *h)
{
    struct collect *col = ctx;
    if (h->outcome != RULES_ELIGIBLE || col->target_of[h->policy] < 0)
        return;
    pthread_mutex_lock(&col->mu);
    if (col->n == col->cap) {
        col->cap = col->cap ? col->cap * 2 : 1024;
        col->hits = xrealloc(col->hits, col->cap * sizeof(*col->hits));
    }
    col->hits[col->n++] = (struct hit){
        .row = h->row,
        .rank = col->rank[h->row],
        .policy = (size_t)col->target_of[h->policy],
        .amount = h->amount_state == RULES_AMOUNT_KNOWN ? h->amount : -1,
        .excluded = h->excluded_by != 0,
    };
    pthread_mutex_unlock(&col->mu);
}

static int cmp_hit(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return x->policy < y->policy ? -1 : x->policy > y->policy;
}

/* ---- writing ---------------------------------------------------------------------------- */

/* Per-target tallies for the summary. */
struct tally {
    struct pg_policy pol;
    int64_t eligible, created, updated, unchanged, locked, excluded, amount, unknown;
    size_t possibly, manual;
};

/* Applies one hit: creates the grant, updates an unconfirmed one's amount, or leaves it. */
static enum rc apply_hit(struct conn *c, const struct audit_actor *who, int64_t run_id, bool dry,
                         const struct ent_rows *r, const struct hit *h, struct tally *t,
                         int64_t now, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               "SELECT id, state, amount_fen, version FROM grants WHERE policy_id "
                               "= ? AND credit_code = ? AND period = ''",
                               &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, t->pol.id);
    store_bind_text(st, 2, r->code[h->row]);
    rc = store_step(st, e);
    if (rc == RC_DONE) {
        store_finish(st);
        t->created++;
        if (dry)
            return RC_OK;
        struct pg_grant_new g = {.pol = &t->pol,
                                 .credit_code = r->code[h->row],
                                 .region = r->region[h->row],
                                 .run_id = run_id,
                                 .amount = h->amount};
        int64_t id;
        return policy_grant__insert(c, who, &g, now, &id, e);
    }
    if (rc != RC_ROW) {
        store_finish(st);
        return rc;
    }
    int64_t id = store_int(st, 0), version = store_int(st, 3);
    char state[16];
    mem_copy_text(state, sizeof(state), store_text(st, 1));
    int64_t old = store_isnull(st, 2) ? -1 : store_int(st, 2);
    store_finish(st);
    if (strcmp(state, "matched") != 0 && strcmp(state, "notified") != 0) {
        t->locked++; /* confirmed, declined or paid: never touched */
        return RC_OK;
    }
    if (old == h->amount) {
        t->unchanged++;
        return RC_OK;
    }
    t->updated++;
    if (dry)
        return RC_OK;
    rc = store_prepare(c,
                       "UPDATE grants SET amount_fen = ?, policy_version = ?, run_id = ?, "
                       "updated_at = ?, version = version + 1 WHERE id = ? AND version = ?",
                       &st, e);
    if (rc)
        return rc;
    policy_grant__bind_opt(st, 1, h->amount);
    store_bind_int(st, 2, t->pol.version);
    store_bind_int(st, 3, run_id);
    store_bind_int(st, 4, now);
    store_bind_int(st, 5, id);
    store_bind_int(st, 6, version);
    rc = store_run(st, e);
    if (rc == RC_OK && store_changes(st) != 1)
        rc = err_set(e, RC_CONFLICT, NULL, "兑现记录 %lld 正被修改，请重新运行", (long long)id);
    store_finish(st);
    if (rc)
        return rc;
    json_t *before = json_pack("{s:o}", "amount_fen", old >= 0 ? json_integer(old) : json_null());
    json_t *after = json_pack("{s:o, s:i, s:o}", "amount_fen",
                              h->amount >= 0 ? json_integer(h->amount) : json_null(),
                              "policy_version", t->pol.version, "run_id", policy_id_json(run_id));
    char idtext[24];
    snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
    struct audit_event ev = {"grant.amount", "grant", idtext, before, after};
    rc = policy_grant__event(c, who, "grant", id, now, "amount", state, state, "重新匹配，金额变更",
                             after, e);
    if (rc == RC_OK)
        rc = audit_append(c, who, &ev, NULL, e);
    json_decref(before);
    json_decref(after);
    return rc;
}

/* ---- run rows ------------------------------------------------------------------------- */

void policy_run_job_name(int64_t run_id, char *out, size_t n)
{
    snprintf(out, n, "policy_run:%lld", (long long)run_id);
}

/* Creates the run row and its job, held by owner for lease_ms (owner NULL: free, for any
 * process's runner to take). */
static enum rc run_create(struct conn *c, const struct audit_actor *who, int64_t org_id,
                          int64_t policy_id, const char *owner, int64_t lease_ms, int64_t *run_id,
                          struct err *e)
{
    struct pg_policy pol;
    enum rc rc = RC_OK;
    if (policy_id) {
        if ((rc = policy_grant__policy(c, policy_id, &pol, e)))
            return rc;
        if (strcmp(pol.state, "published") != 0)
            return err_set(e, RC_STATE, NULL, "政策未发布或已失效，不能运行免申即享匹配");
        if (strcmp(pol.delivery, "mian_shen") != 0)
            return err_set(e, RC_STATE, NULL, "该政策不是免申即享政策");
    }
    if ((rc = store_begin(c, e)))
        return rc;
    struct stmt *st;
    rc = store_prepare(c,
                       "SELECT id FROM policy_runs WHERE state IN ('queued','running') AND "
                       "COALESCE(policy_id, 0) = ?",
                       &st, e);
    if (rc == RC_OK) {
        store_bind_int(st, 1, policy_id);
        rc = store_step(st, e);
        if (rc == RC_ROW)
            rc = err_set(e, RC_STATE, NULL, "该政策已有正在进行的匹配（运行 %lld），请等待完成",
                         (long long)store_int(st, 0));
        else if (rc == RC_DONE)
            rc = RC_OK;
        store_finish(st);
    }
    if (rc == RC_OK)
        rc = store_prepare(c,
                           "INSERT INTO policy_runs (policy_id, state, started_by, org_id, "
                           "created_at) VALUES (?, 'queued', ?, ?, ?) RETURNING id",
                           &st, e);
    if (rc == RC_OK) {
        policy_grant__bind_opt(st, 1, policy_id ? policy_id : -1);
        store_bind_text(st, 2, who->name);
        policy_grant__bind_opt(st, 3, org_id ? org_id : -1);
        store_bind_int(st, 4, time_now_ms());
        rc = store_insert_id(st, run_id, e);
        store_finish(st);
    }
    if (rc == RC_OK) {
        char name[JOB_NAME_MAX];
        policy_run_job_name(*run_id, name, sizeof(name));
        int64_t now = job_now();
        rc = job_ensure(c, name, "policy_run", owner, now + lease_ms, now, e);
    }
    if (rc == RC_OK)
        rc = store_commit(c, e);
    else
        store_rollback(c);
    return rc;
}

enum rc policy_run__queue(struct conn *c, const struct audit_actor *who, int64_t org_id,
                          int64_t policy_id, int64_t *run_id, struct err *e)
{
    return run_create(c, who, org_id, policy_id, NULL, 0, run_id, e);
}

enum rc policy_run_create(struct conn *c, const struct audit_actor *who, int64_t org_id,
                          int64_t policy_id, int64_t *run_id, struct err *e)
{
    return run_create(c, who, org_id, policy_id, job_default_instance(), JOB_LEASE_MS_DEFAULT,
                      run_id, e);
}

/* Records progress; it never goes back (a resumed run reports the done of its checkpoint
 * until it passes it), and a total of 0 (not yet known) keeps the one recorded. */
static enum rc run_progress(struct conn *c, int64_t run_id, int64_t total, int64_t done,
                            struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               "UPDATE policy_runs SET total = CASE WHEN ? > 0 THEN ? ELSE total "
                               "END, done = CASE WHEN ? > done THEN ? ELSE done END WHERE id = ?",
                               &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, total);
    store_bind_int(st, 2, total);
    store_bind_int(st, 3, done);
    store_bind_int(st, 4, done);
    store_bind_int(st, 5, run_id);
    rc = store_run(st, e);
    store_finish(st);
    return rc;
}

/* Marks the run running under owner; resumed counts a takeover of a run begun before. */
static enum rc run_start(struct conn *c, int64_t run_id, const char *owner, bool resumed,
                         struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               "UPDATE policy_runs SET state = 'running', owner = ?, resumed = "
                               "resumed + ?, started_at = COALESCE(started_at, ?) WHERE id = ?",
                               &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, owner);
    store_bind_int(st, 2, resumed ? 1 : 0);
    store_bind_int(st, 3, time_now_ms());
    store_bind_int(st, 4, run_id);
    rc = store_run(st, e);
    store_finish(st);
    return rc;
}

/* Ends run_id as done (summary) or failed (error), with the run's one summary audit event,
 * and deletes its job in the same transaction: only while owner holds it (RC_CONFLICT). */
static enum rc run_finish(struct conn *c, const struct audit_actor *who, int64_t run_id,
                          const char *owner, const json_t *summary, const char *error,
                          struct err *e)
{
    enum rc rc = store_begin(c, e);
    if (rc)
        return rc;
    char name[JOB_NAME_MAX];
    policy_run_job_name(run_id, name, sizeof(name));
    rc = job_delete(c, name, owner, e);
    if (rc) {
        store_rollback(c);
        return rc;
    }
    struct stmt *st;
    char *text = summary ? jsonx_canonical(summary) : NULL;
    rc = store_prepare(c,
                       "UPDATE policy_runs SET state = ?, done = CASE WHEN ? THEN total ELSE "
                       "done END, matched = ?, amount_fen = ?, summary = ?, error = ?, "
                       "finished_at = ? WHERE id = ?",
                       &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, summary ? "done" : "failed");
        store_bind_int(st, 2, summary ? 1 : 0);
        store_bind_int(st, 3, summary ? json_integer_value(json_object_get(summary, "count")) : 0);
        store_bind_int(st, 4,
                       summary ? json_integer_value(json_object_get(summary, "amount_total")) : 0);
        store_bind_text(st, 5, text);
        store_bind_text(st, 6, error);
        store_bind_int(st, 7, time_now_ms());
        store_bind_int(st, 8, run_id);
        rc = store_run(st, e);
        store_finish(st);
    }
    xfree(text);
    json_t *after = summary ? json_pack("{s:s, s:O}", "state", "done", "summary", summary)
                            : json_pack("{s:s, s:s}", "state", "failed", "error", error);
    char idtext[24];
    snprintf(idtext, sizeof(idtext), "%lld", (long long)run_id);
    struct audit_event ev = {"policy.run", "policy_run", idtext, NULL, after};
    if (rc == RC_OK)
        rc = audit_append(c, who, &ev, NULL, e);
    json_decref(after);
    if (rc == RC_OK)
        rc = store_commit(c, e);
    else
        store_rollback(c);
    return rc;
}

/* ---- the run --------------------------------------------------------------------------- */

struct region_sum {
    char region[REGION_LEN];
    int64_t count, amount;
};

static int cmp_region(const void *a, const void *b)
{
    return strcmp(((const struct region_sum *)a)->region, ((const struct region_sum *)b)->region);
}

/* The summary of the run: totals, per policy, by region (county). */
static json_t *summarise(const struct tally *tl, size_t n_targets, const struct collect *col,
                         const struct ent_rows *r, bool dry)
{
    json_t *pols = json_array();
    int64_t count = 0, amount = 0, created = 0, updated = 0, unchanged = 0, locked = 0,
            excluded = 0, unknown = 0;
    for (size_t i = 0; i < n_targets; i++) {
        const struct tally *t = &tl[i];
        json_array_append_new(
            pols, json_pack("{s:o, s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                            "policy_id", policy_id_json(t->pol.id), "title", t->pol.title,
                            "version", t->pol.version, "count",
                            (json_int_t)(t->eligible - t->excluded), "amount_total",
                            (json_int_t)t->amount, "amount_unknown", (json_int_t)t->unknown,
                            "created", (json_int_t)t->created, "updated", (json_int_t)t->updated,
                            "unchanged", (json_int_t)t->unchanged, "locked", (json_int_t)t->locked,
                            "excluded", (json_int_t)t->excluded, "possibly_eligible",
                            (json_int_t)t->possibly, "manual_review", (json_int_t)t->manual));
        count += t->eligible - t->excluded;
        amount += t->amount;
        created += t->created;
        updated += t->updated;
        unchanged += t->unchanged;
        locked += t->locked;
        excluded += t->excluded;
        unknown += t->unknown;
    }
    /* By region: one entry per region code of the granted enterprises. */
    struct region_sum *rs = xcalloc(col->n ? col->n : 1, sizeof(*rs));
    size_t n_rs = 0;
    for (size_t i = 0; i < col->n; i++) {
        if (col->hits[i].excluded)
            continue;
        mem_copy_text(rs[n_rs].region, REGION_LEN, r->region[col->hits[i].row]);
        rs[n_rs].count = 1;
        rs[n_rs].amount = col->hits[i].amount > 0 ? col->hits[i].amount : 0;
        n_rs++;
    }
    qsort(rs, n_rs, sizeof(*rs), cmp_region);
    json_t *by_region = json_array();
    for (size_t i = 0; i < n_rs;) {
        size_t j = i + 1;
        int64_t cnt = rs[i].count, amt = rs[i].amount;
        for (; j < n_rs && strcmp(rs[j].region, rs[i].region) == 0; j++) {
            cnt += rs[j].count;
            amt += rs[j].amount;
        }
        char full[CODES_FULL_NAME_MAX];
        json_array_append_new(by_region,
                              json_pack("{s:s, s:s, s:I, s:I}", "region", rs[i].region, "name",
                                        codes_region_full_name(rs[i].region, full, sizeof(full)),
                                        "count", (json_int_t)cnt, "amount", (json_int_t)amt));
        i = j;
    }
    xfree(rs);
    return json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "dry_run", dry,
                     "enterprises", (json_int_t)r->n, "count", (json_int_t)count, "amount_total",
                     (json_int_t)amount, "amount_unknown", (json_int_t)unknown, "created",
                     (json_int_t)created, "updated", (json_int_t)updated, "unchanged",
                     (json_int_t)unchanged, "locked", (json_int_t)locked, "excluded",
                     (json_int_t)excluded, "policies", pols, "by_region", by_region);
}

static void progress(const struct policy_run_opts *o, const char *phase, int64_t done,
                     int64_t total)
{
    if (o->progress)
        o->progress(o->progress_ctx, phase, done, total);
}

/*
 * The run's target policies in the snapshot: one policy, or every 免申即享 policy. The
 * policy rows come from the snapshot itself, so a grant records the version its
 * policy was evaluated under even when a new version is published during the run.
 */
static enum rc targets_of(const struct policy_snap *s, int64_t policy_id, long *target_of,
                          struct tally **out, size_t *n_out, struct err *e)
{
    const struct rules_set *set = policy_snap_set(s);
    size_t n = rules_set_size(set), k = 0;
    struct tally *tl = xcalloc(n ? n : 1, sizeof(*tl));
    enum rc rc = RC_OK;
    for (size_t i = 0; i < n; i++) {
        const struct policy_info *pi = policy_snap_info(s, i);
        target_of[i] = -1;
        if ((policy_id && pi->id != policy_id) || !pi->delivery ||
            strcmp(pi->delivery, "mian_shen") != 0)
            continue;
        struct pg_policy *pol = &tl[k].pol;
        pol->id = pi->id;
        pol->org_id = pi->org_id;
        pol->version = pi->version;
        mem_copy_text(pol->state, sizeof(pol->state), "published");
        mem_copy_text(pol->delivery, sizeof(pol->delivery), pi->delivery);
        mem_copy_text(pol->title, sizeof(pol->title), pi->title);
        mem_copy_text(pol->org_code, sizeof(pol->org_code), pi->org_code);
        target_of[i] = (long)k++;
    }
    if (rc == RC_OK && policy_id && k == 0)
        rc = err_set(e, RC_STATE, NULL, "政策 %lld 不是有效期内已发布的免申即享政策",
                     (long long)policy_id);
    if (rc) {
        xfree(tl);
        return rc;
    }
    *out = tl;
    *n_out = k;
    return RC_OK;
}

/* ---- checkpoints ------------------------------------------------------------------------ */

/* Where a resumed run goes on: after the hits of credit code `after` (done enterprises). */
struct resume {
    char after[CODE_LEN]; /* "": from the start */
    int64_t done;
};

/*
 * The checkpoint after a committed chunk: the last credit code written, the enterprises
 * done, and each target's tallies of what the writing did so far (created, updated,
 * unchanged, locked), which the evaluation alone cannot tell again. New (xfree).
 */
static char *checkpoint_text(const struct tally *tl, size_t n_targets, const char *after,
                             int64_t done)
{
    json_t *t = json_object();
    for (size_t i = 0; i < n_targets; i++) {
        char pid[24];
        snprintf(pid, sizeof(pid), "%lld", (long long)tl[i].pol.id);
        json_object_set_new(t, pid,
                            json_pack("[I, I, I, I]", (json_int_t)tl[i].created,
                                      (json_int_t)tl[i].updated, (json_int_t)tl[i].unchanged,
                                      (json_int_t)tl[i].locked));
    }
    json_t *j = json_pack("{s:s, s:I, s:o}", "after", after, "done", (json_int_t)done, "tally", t);
    char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    char *out = xstrdup(text ? text : "{}");
    free(text); /* lint:allow-free (Jansson's allocation) */
    return out;
}

/* Applies checkpoint text (may be NULL) to the tallies and the resume point. */
static void checkpoint_apply(const char *text, struct tally *tl, size_t n_targets,
                             struct resume *rs)
{
    memset(rs, 0, sizeof(*rs));
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    if (!j)
        return;
    const char *after = json_string_value(json_object_get(j, "after"));
    mem_copy_text(rs->after, sizeof(rs->after), after ? after : "");
    rs->done = json_integer_value(json_object_get(j, "done"));
    json_t *t = json_object_get(j, "tally");
    for (size_t i = 0; i < n_targets; i++) {
        char pid[24];
        snprintf(pid, sizeof(pid), "%lld", (long long)tl[i].pol.id);
        json_t *a = json_object_get(t, pid);
        tl[i].created = json_integer_value(json_array_get(a, 0));
        tl[i].updated = json_integer_value(json_array_get(a, 1));
        tl[i].unchanged = json_integer_value(json_array_get(a, 2));
        tl[i].locked = json_integer_value(json_array_get(a, 3));
    }
    json_decref(j);
}

/*
 * QIFU_TEST_RUN_CHUNK_DELAY_MS: a pause after each committed chunk, so that a test can
 * kill a process in the middle of a run (docs/internals/testing.md). Test-only, like the
 * test clock: read from the environment of the process, never from a request.
 */
static void test_chunk_delay(void)
{
    const char *v = getenv("QIFU_TEST_RUN_CHUNK_DELAY_MS");
    long ms = v ? atol(v) : 0;
    if (ms <= 0)
        return;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* How the run is held: its job, the owner and lease, the checkpoint to resume from. */
struct held {
    char name[JOB_NAME_MAX];
    const char *owner;
    int64_t lease_ms;
    const char *checkpoint;
    bool keep; /* OUT: stopped, not failed: the run stays for its next holder */
};

static enum rc run_body(struct conn *c, struct policy_holder *h, const struct audit_actor *who,
                        int64_t run_id, const struct policy_run_opts *o, struct held *hd,
                        json_t **summary, struct err *e)
{
    int64_t now = time_now_ms();
    bool dry = o->dry_run || !run_id;
    /* The published set as of now (another process may have published a second ago). */
    enum rc rc = policy_refresh(h, c, e);
    if (rc)
        return rc;
    struct policy_snap *snap = policy_current(h, c);
    const struct rules_set *set = policy_snap_set(snap);
    const struct rules_catalog *rcat = policy_holder_rules_catalog(h);
    size_t n_set = rules_set_size(set), n_targets = 0;
    struct collect col = {.target_of = xcalloc(n_set ? n_set : 1, sizeof(long))};
    pthread_mutex_init(&col.mu, NULL);
    struct tally *tl = NULL;
    struct ent_rows rows = {0};
    struct rules_table *table = NULL;
    struct rules_counts *counts = xcalloc(n_set ? n_set : 1, sizeof(*counts));
    struct resume rs = {0};
    rc = targets_of(snap, o->policy_id, col.target_of, &tl, &n_targets, e);
    if (rc == RC_OK && !dry)
        checkpoint_apply(hd->checkpoint, tl, n_targets, &rs);
    progress(o, "load", 0, 0);
    if (rc == RC_OK)
        rc = load_table(c, rcat, &rows, &table, e);
    col.rank = rows.rank;
    if (rc == RC_OK && !dry)
        rc = run_progress(c, run_id, (int64_t)rows.n, 0, e);
    progress(o, "evaluate", 0, (int64_t)rows.n);
    if (rc == RC_OK)
        rc = rules_batch_run(set, table, policy_snap_day(snap), o->n_threads > 0 ? o->n_threads : 2,
                             on_hit, &col, counts, e);
    if (rc == RC_OK) {
        for (size_t i = 0; i < n_set; i++)
            if (col.target_of[i] >= 0) {
                tl[col.target_of[i]].possibly = counts[i].possibly;
                tl[col.target_of[i]].manual = counts[i].manual;
            }
        if (col.n) /* qsort must not be handed NULL, even for no elements */
            qsort(col.hits, col.n, sizeof(*col.hits), cmp_hit);
        for (size_t i = 0; i < col.n; i++) {
            struct tally *t = &tl[col.hits[i].policy];
            t->eligible++;
            if (col.hits[i].excluded)
                t->excluded++;
            else if (col.hits[i].amount >= 0)
                t->amount += col.hits[i].amount;
            else
                t->unknown++;
        }
    }
    /* Write in chunks in credit-code order; done counts the enterprises whose hits are
     * all written. A resumed run starts after its checkpoint's code. */
    size_t i = 0;
    if (rs.after[0]) {
        while (i < col.n && strcmp(rows.code[col.hits[i].row], rs.after) <= 0)
            i++;
        log_info("policy run %lld: resumed by %s after %s (%lld enterprise(s) done)",
                 (long long)run_id, hd->owner, rs.after, (long long)rs.done);
    }
    while (rc == RC_OK && i < col.n) {
        if (o->cancel && __atomic_load_n(o->cancel, __ATOMIC_RELAXED)) {
            hd->keep = true;
            rc = err_set(e, RC_UNAVAILABLE, NULL, "interrupted: 服务停止，匹配将由其他进程继续");
            break;
        }
        if (job_hold_lost(o->hold)) {
            hd->keep = true;
            rc = err_set(e, RC_CONFLICT, NULL, "lease lost: 匹配已由其他进程接手");
            break;
        }
        size_t end = i + RUN_CHUNK < col.n ? i + RUN_CHUNK : col.n;
        /* Keep one enterprise's hits in one chunk. */
        while (end < col.n && col.hits[end].row == col.hits[end - 1].row)
            end++;
        if (!dry && (rc = store_begin(c, e)))
            break;
        for (size_t k = i; k < end && rc == RC_OK; k++)
            if (!col.hits[k].excluded)
                rc = apply_hit(c, who, run_id, dry, &rows, &col.hits[k], &tl[col.hits[k].policy],
                               now, e);
        int64_t done = end < col.n ? (int64_t)col.hits[end].rank : (int64_t)rows.n;
        if (rc == RC_OK && !dry)
            rc = run_progress(c, run_id, (int64_t)rows.n, done, e);
        if (rc == RC_OK && !dry) {
            /* The chunk commits only with its checkpoint, and only while the lease is ours. */
            char *cp = checkpoint_text(tl, n_targets, rows.code[col.hits[end - 1].row], done);
            rc = job_checkpoint(c, hd->name, hd->owner, cp, hd->lease_ms, job_now(), e);
            xfree(cp);
            if (rc == RC_CONFLICT)
                hd->keep = true;
        }
        if (!dry) {
            if (rc == RC_OK)
                rc = store_commit(c, e);
            else
                store_rollback(c);
        }
        progress(o, "write", done, (int64_t)rows.n);
        i = end;
        if (rc == RC_OK && !dry && i < col.n)
            test_chunk_delay();
    }
    if (rc == RC_OK) {
        progress(o, "write", (int64_t)rows.n, (int64_t)rows.n);
        json_t *s = summarise(tl, n_targets, &col, &rows, dry);
        if (!dry) {
            rc = run_finish(c, who, run_id, hd->owner, s, NULL, e);
            if (rc == RC_CONFLICT)
                hd->keep = true;
        }
        if (rc == RC_OK && summary)
            *summary = s;
        else
            json_decref(s);
    }
    xfree(counts);
    rules_table_free(table);
    rows_cleanup(&rows);
    xfree(tl);
    xfree(col.hits);
    xfree(col.target_of);
    pthread_mutex_destroy(&col.mu);
    policy_release(h, snap);
    return rc;
}

/*
 * Checks that owner holds run_id's job and renews it; reads its checkpoint (new, or
 * NULL) and whether the run was begun before (*resumed) or is over already (*over).
 */
static enum rc run_claim(struct conn *c, int64_t run_id, struct held *hd, char **checkpoint,
                         bool *resumed, bool *over, struct err *e)
{
    *checkpoint = NULL;
    *resumed = *over = false;
    enum rc rc = job_renew(c, hd->name, hd->owner, hd->lease_ms, job_now(), e);
    if (rc)
        return rc;
    struct stmt *st;
    rc = store_prepare(c, "SELECT checkpoint FROM jobs WHERE name = ?", &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, hd->name);
    if ((rc = store_step(st, e)) == RC_ROW && !store_isnull(st, 0))
        *checkpoint = xstrdup(store_text(st, 0));
    store_finish(st);
    if (rc != RC_ROW && rc != RC_DONE)
        return rc;
    rc = store_prepare(c, "SELECT state FROM policy_runs WHERE id = ?", &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, run_id);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        const char *state = store_text(st, 0);
        *resumed = strcmp(state, "running") == 0;
        *over = strcmp(state, "done") == 0 || strcmp(state, "failed") == 0;
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        *over = true;
        rc = RC_OK;
    }
    store_finish(st);
    return rc;
}

enum rc policy_run_exec(struct conn *c, struct policy_holder *h, const struct audit_actor *who,
                        int64_t run_id, const struct policy_run_opts *opts, json_t **summary,
                        struct err *e)
{
    if (summary)
        *summary = NULL;
    struct held hd = {.owner = opts->owner ? opts->owner : job_default_instance(),
                      .lease_ms = opts->lease_ms > 0 ? opts->lease_ms : JOB_LEASE_MS_DEFAULT};
    bool leased = run_id && !opts->dry_run;
    char *checkpoint = NULL;
    enum rc rc = RC_OK;
    if (leased) {
        bool resumed, over;
        policy_run_job_name(run_id, hd.name, sizeof(hd.name));
        rc = run_claim(c, run_id, &hd, &checkpoint, &resumed, &over, e);
        if (rc == RC_CONFLICT) {
            xfree(checkpoint);
            return rc; /* not ours: its holder decides */
        }
        if (rc == RC_OK && over) {
            /* Finished by a holder that died before deleting the job. */
            xfree(checkpoint);
            return job_delete(c, hd.name, hd.owner, e);
        }
        hd.checkpoint = checkpoint;
        if (rc == RC_OK)
            rc = run_start(c, run_id, hd.owner, resumed, e);
    }
    if (rc == RC_OK)
        rc = run_body(c, h, who, run_id, opts, &hd, summary, e);
    xfree(checkpoint);
    if (rc && leased && !hd.keep) {
        struct err fe;
        err_clear(&fe);
        if (store_in_txn(c))
            store_rollback(c);
        char msg[300];
        snprintf(msg, sizeof(msg), "%s", e && e->msg[0] ? e->msg : rc_str(rc));
        if (run_finish(c, who, run_id, hd.owner, NULL, msg, &fe))
            log_error("policy run %lld: could not record the failure: %s", (long long)run_id,
                      fe.msg);
    }
    if (rc && store_in_txn(c))
        store_rollback(c);
    return rc;
}

/* ---- reads -------------------------------------------------------------------------------- */

#define RUN_COLS                                                                                   \
    "r.id, COALESCE(r.policy_id, 0), r.state, r.total, r.done, r.matched, r.amount_fen, "          \
    "r.summary, r.error, r.started_by, r.created_at, r.started_at, r.finished_at, "                \
    "COALESCE(r.org_id, 0), r.owner, r.resumed"

static json_t *run_json(struct stmt *st)
{
    char id[24], pid[24], at[3][40];
    snprintf(id, sizeof(id), "%lld", (long long)store_int(st, 0));
    snprintf(pid, sizeof(pid), "%lld", (long long)store_int(st, 1));
    json_t *times[3];
    for (int i = 0; i < 3; i++) {
        if (store_isnull(st, 10 + i)) {
            times[i] = json_null();
        } else {
            time_fmt_cst(store_int(st, 10 + i), at[i], sizeof(at[i]));
            times[i] = json_string(at[i]);
        }
    }
    json_t *summary = store_isnull(st, 7) ? json_null() : json_loads(store_text(st, 7), 0, NULL);
    int64_t total = store_int(st, 3), done = store_int(st, 4);
    json_t *j = json_pack(
        "{s:s, s:o, s:s, s:I, s:I, s:f, s:I, s:I, s:o, s:o, s:s, s:o, s:o, s:o}", "id", id,
        "policy_id", store_int(st, 1) ? json_string(pid) : json_null(), "state", store_text(st, 2),
        "total", (json_int_t)total, "done", (json_int_t)done, "progress",
        total ? (double)done / (double)total : 0.0, "count", (json_int_t)store_int(st, 5),
        "amount_total", (json_int_t)store_int(st, 6), "summary", summary ? summary : json_null(),
        "error", store_isnull(st, 8) ? json_null() : json_string(store_text(st, 8)), "started_by",
        store_text(st, 9), "created_at", times[0], "started_at", times[1], "finished_at", times[2]);
    /* The process executing it (or the last one that did), and how often it was resumed. */
    json_object_set_new(j, "owner",
                        store_isnull(st, 14) ? json_null() : json_string(store_text(st, 14)));
    json_object_set_new(j, "resumed", json_integer(store_int(st, 15)));
    return j;
}

/* May p read the runs of policy pol? Officers of its department, supervisors, admins. */
static enum rc may_read(const struct principal *p, const struct pg_policy *pol, struct err *e)
{
    bool issuer = access_can(p, ACCESS_POLICY_ISSUE) && p->org_id == pol->org_id;
    bool all = access_can(p, ACCESS_SCOPE_ALL);
    /* A draft exists only for its department and administrators (policy.h). */
    if (strcmp(pol->state, "draft") == 0 && !issuer && !all)
        return err_set(e, RC_NOTFOUND, NULL, "政策不存在");
    /* Oversight of grants (grant.region) reads the runs of every published policy. */
    if (all || access_can(p, ACCESS_GRANT_REGION) || issuer)
        return RC_OK;
    return err_set(e, RC_FORBIDDEN, NULL, "只有政策发布部门、督查和管理人员可以查看匹配运行");
}

enum rc policy_run_get(struct conn *c, const struct principal *p, int64_t policy_id, int64_t run_id,
                       json_t **out, struct err *e)
{
    struct pg_policy pol;
    enum rc rc = policy_grant__policy(c, policy_id, &pol, e);
    if (rc == RC_OK)
        rc = may_read(p, &pol, e);
    if (rc)
        return rc;
    struct stmt *st;
    rc = store_prepare(
        c, "SELECT " RUN_COLS " FROM policy_runs r WHERE r.id = ? AND r.policy_id = ?", &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, run_id);
    store_bind_int(st, 2, policy_id);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        *out = run_json(st);
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_NOTFOUND, NULL, "匹配运行不存在");
    }
    store_finish(st);
    return rc;
}

enum rc policy_run_list(struct conn *c, const struct principal *p, int64_t policy_id, json_t **out,
                        struct err *e)
{
    struct pg_policy pol;
    enum rc rc = policy_grant__policy(c, policy_id, &pol, e);
    if (rc == RC_OK)
        rc = may_read(p, &pol, e);
    if (rc)
        return rc;
    struct stmt *st;
    rc = store_prepare(c,
                       "SELECT " RUN_COLS " FROM policy_runs r WHERE r.policy_id = ? ORDER BY "
                       "r.id DESC LIMIT 100",
                       &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, policy_id);
    json_t *items = json_array();
    while ((rc = store_step(st, e)) == RC_ROW)
        json_array_append_new(items, run_json(st));
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(items);
        return rc;
    }
    *out = items;
    return RC_OK;
}
