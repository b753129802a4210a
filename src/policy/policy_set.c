/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_set: the holder of the compiled policies in force (see policy.h).
 *
 * Invariant: h->cur always holds one reference of its own; a snapshot is freed when its
 * last reference goes, which may be long after a newer one replaced it. A snapshot is
 * of one set version and one day: a policy enters or leaves the set when its validity
 * window opens or closes, so a new day rebuilds it just as a new version does.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/jsonx.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../ent/ent.h"
#include "../rules/rules.h"
#include "../store/store.h"
#include "policy_int.h"

struct policy_snap {
    int refs;        /* guarded by the holder's mu */
    int64_t version; /* policy_set_version it reflects */
    int64_t day;     /* the day whose policies in force it holds */
    struct rules_set *set;
    struct policy_info *info; /* one per policy of set, same order */
    size_t n;
    struct policy_text *tpl;  /* policy_match_template's text, made once on demand */
};

struct policy_holder {
    struct store *db;
    const struct ent_catalog *cat;
    struct rules_catalog *rcat;
    int64_t check_ms;
    pthread_mutex_t mu;      /* guards cur, refs and last_check */
    pthread_mutex_t load_mu; /* one builder at a time */
    struct policy_snap *cur;
    int64_t last_check; /* ms, monotonic */
    uint64_t gen;       /* store_topic_gen (policy) before the last check */
};

/* ---- catalogue ------------------------------------------------------------------ */

struct rules_catalog *policy_rules_catalog(const struct ent_catalog *cat)
{
    struct rules_catalog *r = rules_catalog_new();
    for (size_t i = 0; i < ent_catalog_size(cat); i++) {
        const struct ent_fact_def *d = ent_catalog_at(cat, i);
        /* The enums are declared in the same order (rules.h says so). */
        (void)rules_catalog_add_fact(r, d->name, (enum rules_type)d->type, d->label, d->unit,
                                     d->code_values);
    }
    json_t *j = ent_catalog_json(cat);
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(j, "tags"), i, t)
    {
        (void)rules_catalog_add_tag(r, json_string_value(json_object_get(t, "code")),
                                    json_string_value(json_object_get(t, "label")));
    }
    json_decref(j);
    return r;
}

/* ---- ids ------------------------------------------------------------------------ */

json_t *policy_id_json(int64_t id)
{
    char s[24];
    snprintf(s, sizeof(s), "%lld", (long long)id);
    return json_string(s);
}

int64_t policy_id_value(const json_t *j)
{
    if (json_is_integer(j))
        return json_integer_value(j) > 0 ? (int64_t)json_integer_value(j) : 0;
    const char *s = json_string_value(j);
    if (!s || !*s || strlen(s) > 18)
        return 0;
    int64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        v = v * 10 + (*s - '0');
    }
    return v;
}

const char *policy_delivery_label(const char *d)
{
    if (!d)
        return NULL;
    if (strcmp(d, "mian_shen") == 0)
        return "免申即享";
    if (strcmp(d, "ji_shen") == 0)
        return "即申即享";
    if (strcmp(d, "shen_bao") == 0)
        return "申报审批";
    return NULL;
}

int64_t policy__today(char out[11])
{
    char now[40];
    time_fmt_cst(time_now_ms(), now, sizeof(now));
    int y = 1970, m = 1, d = 1;
    if (sscanf(now, "%d-%d-%d", &y, &m, &d) != 3)
        log_warn("policy: cannot read today's date from %s", now);
    if (out)
        snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
    return time_days_from_civil(y, m, d);
}

/* ---- building a snapshot ------------------------------------------------------------ */

/* Frees a string the read-only info holds (it was made with xstrdup). */
static void free_text(const char *p)
{
    union {
        const char *c;
        char *m;
    } u = {.c = p};
    xfree(u.m);
}

static void snap_free(struct policy_snap *s)
{
    if (!s)
        return;
    rules_set_free(s->set);
    for (size_t i = 0; i < s->n; i++) {
        struct policy_info *pi = &s->info[i];
        free_text(pi->org_code);
        free_text(pi->org_name);
        free_text(pi->title);
        free_text(pi->doc_no);
        free_text(pi->delivery);
        free_text(pi->category);
        free_text(pi->valid_from);
        free_text(pi->valid_to);
        free_text(pi->json);
    }
    xfree(s->info);
    xfree(s->tpl);
    xfree(s);
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

/* Makes pi->json: the "policy" object of every match answer, written once per load. */
static void info_json(struct policy_info *pi)
{
    const char *dl = policy_delivery_label(pi->delivery);
    json_t *j = json_pack("{s:o, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:i, s:s, s:s*}", "id",
                          policy_id_json(pi->id), "title", pi->title ? pi->title : "", "doc_no",
                          pi->doc_no ? pi->doc_no : "", "delivery",
                          pi->delivery ? pi->delivery : "", "delivery_label", dl ? dl : "", "org",
                          "code", pi->org_code, "name", pi->org_name, "version", pi->version,
                          "category", pi->category ? pi->category : "", "valid_to", pi->valid_to);
    struct buf b;
    buf_init(&b, (size_t)1 << 20);
    if (!j || jsonx_dump(j, &b))
        buf_reset(&b);
    if (!buf_len(&b) && buf_puts(&b, "null")) {
    }
    pi->json_len = buf_len(&b);
    pi->json = buf_take(&b);
    json_decref(j);
}

static const char *meta_str(const json_t *meta, const char *key)
{
    return json_string_value(json_object_get(meta, key));
}

static enum rc read_version(struct conn *c, int64_t *out, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, "SELECT version FROM policy_set_version WHERE id = 1", &st, e);
    if (rc)
        return rc;
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        *out = store_int(st, 0);
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_INTERNAL, NULL, "policy_set_version has no row");
    }
    store_finish(st);
    return rc;
}

enum rc policy__bump(struct conn *c, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(
        c, "UPDATE policy_set_version SET version = version + 1 WHERE id = 1", &st, e);
    if (rc == RC_OK)
        rc = store_run(st, e);
    store_finish(st);
    if (rc == RC_OK) /* every process's holder re-checks at commit */
        rc = store_notify(c, STORE_TOPIC_POLICY, e);
    return rc;
}

/* Builds the snapshot of the policies in force today. */
static enum rc build(struct policy_holder *h, struct conn *c, struct policy_snap **out,
                     struct err *e)
{
    char today[11];
    int64_t day = policy__today(today);
    struct policy_snap *s = xcalloc(1, sizeof(*s));
    s->refs = 1;
    s->day = day;
    struct rules_named *named = NULL;
    struct rules_policy **pols = NULL;
    size_t n = 0, cap = 0;
    /* Each published version compiles with the condition versions it pinned; most share
     * the same pins, so each distinct pin set is loaded once (pinned[by_pins[text]]). */
    json_t *by_pins = json_object();
    struct rules_named **pinned = NULL;
    size_t n_pinned = 0;
    struct stmt *st = NULL;
    /* The version first: rows read after it can only be newer. */
    enum rc rc = read_version(c, &s->version, e);
    if (rc == RC_OK)
        rc = policy__load_named(c, &named, e);
    if (rc == RC_OK)
        rc = store_prepare(c,
                           "SELECT p.id, v.version, p.org_id, o.code, o.name, v.meta, v.rules, "
                           "v.cond_pins FROM policies p JOIN policy_versions v ON v.policy_id = "
                           "p.id AND v.version = p.published_version JOIN orgs o ON o.id = "
                           "p.org_id "
                           "WHERE p.state = 'published' AND (p.valid_from IS NULL OR "
                           "p.valid_from <= ?) AND (p.valid_to IS NULL OR p.valid_to >= ?) "
                           "ORDER BY p.id",
                           &st, e);
    if (rc)
        goto out;
    store_bind_text(st, 1, today);
    store_bind_text(st, 2, today);
    while ((rc = store_step(st, e)) == RC_ROW) {
        int64_t id = store_int(st, 0);
        json_t *meta = json_loads(store_text(st, 5), 0, NULL);
        json_t *rules = json_loads(store_text(st, 6), 0, NULL);
        struct rules_policy *pol = NULL;
        struct err ce;
        err_clear(&ce);
        const struct rules_named *use = named;
        const char *pins_text = store_text(st, 7);
        if (pins_text) {
            json_t *k = json_object_get(by_pins, pins_text);
            if (!k) {
                json_t *pins = json_loads(pins_text, 0, NULL);
                struct rules_named *pn = NULL;
                /* A store error fails the load, so the holder keeps the set in force
                 * instead of one without every policy that refers to a named condition. */
                rc = pins ? policy__named_pinned(c, pins, &pn, e) : RC_OK;
                json_decref(pins);
                if (rc) {
                    json_decref(meta);
                    json_decref(rules);
                    break;
                }
                if (!pn)
                    pn = rules_named_new(); /* unreadable pins: only refs-free rules compile */
                pinned = xrealloc(pinned, (n_pinned + 1) * sizeof(*pinned));
                pinned[n_pinned] = pn;
                k = json_integer((json_int_t)n_pinned++);
                json_object_set_new(by_pins, pins_text, k);
            }
            use = pinned[json_integer_value(k)];
        }
        if (!meta || !rules || policy__compile(h->rcat, use, meta, rules, id, &pol, &ce)) {
            /* A named condition may have changed under it; the others stay offered. */
            log_warn("policy: policy %lld does not compile and is left out: %s", (long long)id,
                     ce.msg);
        } else {
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                pols = xrealloc(pols, cap * sizeof(*pols));
                s->info = xrealloc(s->info, cap * sizeof(*s->info));
            }
            pols[n] = pol;
            s->info[n] =
                (struct policy_info){.id = id,
                                     .version = (int)store_int(st, 1),
                                     .org_id = store_int(st, 2),
                                     .org_code = xstrdup(store_text(st, 3)),
                                     .org_name = xstrdup(store_text(st, 4)),
                                     .title = dup_or_null(meta_str(meta, "title")),
                                     .doc_no = dup_or_null(meta_str(meta, "doc_no")),
                                     .delivery = dup_or_null(meta_str(meta, "delivery")),
                                     .category = dup_or_null(meta_str(meta, "category")),
                                     .valid_from = dup_or_null(meta_str(meta, "valid_from")),
                                     .valid_to = dup_or_null(meta_str(meta, "valid_to"))};
            info_json(&s->info[n]);
            n++;
        }
        json_decref(meta);
        json_decref(rules);
    }
    store_finish(st);
    if (rc != RC_DONE)
        goto out;
    rc = RC_OK;
    s->n = n;
    s->set = rules_set_new(h->rcat, pols, n);
    n = 0; /* the set owns them now */
out:
    for (size_t i = 0; i < n; i++)
        rules_policy_free(pols[i]);
    if (rc) {
        s->n = n;
        snap_free(s);
        s = NULL;
    }
    xfree(pols);
    rules_named_free(named);
    for (size_t i = 0; i < n_pinned; i++)
        rules_named_free(pinned[i]);
    xfree(pinned);
    json_decref(by_pins);
    *out = s;
    return rc;
}

/* ---- the holder ------------------------------------------------------------------ */

static int64_t mono_ms(void)
{
    return time_mono_ns() / 1000000;
}

/* Compares version and day, and swaps in a new snapshot when they differ; load_mu held. */
static enum rc reload(struct policy_holder *h, struct conn *c, struct err *e)
{
    struct conn *own = NULL;
    enum rc rc = RC_OK;
    if (!c) {
        if ((rc = store_acquire(h->db, &own, e)))
            return rc;
        c = own;
    }
    uint64_t gen;
    (void)store_topic_gen(h->db, STORE_TOPIC_POLICY, &gen); /* before the read */
    pthread_mutex_lock(&h->mu);
    int64_t have = h->cur->version, have_day = h->cur->day;
    h->last_check = mono_ms();
    pthread_mutex_unlock(&h->mu);
    int64_t v = 0;
    rc = read_version(c, &v, e);
    if (rc == RC_OK && (v != have || policy__today(NULL) != have_day)) {
        struct policy_snap *s;
        rc = build(h, c, &s, e);
        if (rc == RC_OK) {
            pthread_mutex_lock(&h->mu);
            struct policy_snap *old = h->cur;
            h->cur = s;
            bool last = --old->refs == 0;
            pthread_mutex_unlock(&h->mu);
            if (last)
                snap_free(old);
            log_info("policy: %zu policies in force (set version %lld)", s->n,
                     (long long)s->version);
        }
    }
    if (rc == RC_OK) { /* a failed check leaves the topic's move pending: the next call retries */
        pthread_mutex_lock(&h->mu);
        h->gen = gen;
        pthread_mutex_unlock(&h->mu);
    }
    store_release(own);
    return rc;
}

enum rc policy_holder_new(struct store *db, const struct ent_catalog *cat, int64_t check_ms,
                          struct policy_holder **out, struct err *e)
{
    struct policy_holder *h = xcalloc(1, sizeof(*h));
    h->db = db;
    h->cat = cat;
    h->rcat = policy_rules_catalog(cat);
    h->check_ms = check_ms;
    (void)store_topic_gen(db, STORE_TOPIC_POLICY, &h->gen);
    pthread_mutex_init(&h->mu, NULL);
    pthread_mutex_init(&h->load_mu, NULL);
    struct conn *c;
    enum rc rc = store_acquire(db, &c, e);
    if (rc == RC_OK) {
        rc = build(h, c, &h->cur, e);
        store_release(c);
    }
    if (rc) {
        policy_holder_free(h);
        return rc;
    }
    h->last_check = mono_ms();
    *out = h;
    return RC_OK;
}

void policy_holder_free(struct policy_holder *h)
{
    if (!h)
        return;
    if (h->cur && --h->cur->refs > 0)
        log_warn("policy: snapshot freed with %d reference(s) held", h->cur->refs);
    snap_free(h->cur);
    rules_catalog_free(h->rcat);
    pthread_mutex_destroy(&h->mu);
    pthread_mutex_destroy(&h->load_mu);
    xfree(h);
}

struct policy_snap *policy_current(struct policy_holder *h, struct conn *c)
{
    /* Due when the periodic check is; where the change channel listens, as soon as the
     * policy topic moved or the day changed, and otherwise only as a safety net. */
    uint64_t gen;
    bool live = store_topic_gen(h->db, STORE_TOPIC_POLICY, &gen);
    int64_t today = live ? policy__today(NULL) : 0;
    pthread_mutex_lock(&h->mu);
    int64_t since = mono_ms() - h->last_check;
    int64_t every = live && h->check_ms > 0 && h->check_ms < POLICY_CHECK_NOTIFIED_MS
                        ? POLICY_CHECK_NOTIFIED_MS
                        : h->check_ms;
    bool due = since >= every || (live && (gen != h->gen || today != h->cur->day));
    pthread_mutex_unlock(&h->mu);
    if (due && pthread_mutex_trylock(&h->load_mu) == 0) {
        struct err e;
        err_clear(&e);
        if (reload(h, c, &e))
            log_warn("policy: set check failed, keeping the loaded policies: %s", e.msg);
        pthread_mutex_unlock(&h->load_mu);
    }
    pthread_mutex_lock(&h->mu);
    struct policy_snap *s = h->cur;
    s->refs++;
    pthread_mutex_unlock(&h->mu);
    return s;
}

void policy_release(struct policy_holder *h, struct policy_snap *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&h->mu);
    bool last = --s->refs == 0;
    pthread_mutex_unlock(&h->mu);
    if (last)
        snap_free(s);
}

enum rc policy_refresh(struct policy_holder *h, struct conn *c, struct err *e)
{
    pthread_mutex_lock(&h->load_mu);
    enum rc rc = reload(h, c, e);
    pthread_mutex_unlock(&h->load_mu);
    return rc;
}

const struct ent_catalog *policy_holder_catalog(const struct policy_holder *h)
{
    return h->cat;
}

const struct rules_catalog *policy_holder_rules_catalog(const struct policy_holder *h)
{
    return h->rcat;
}

const struct policy_text *policy_snap_text(struct policy_snap *s, struct policy_text *made)
{
    struct policy_text *none = NULL;
    if (made && !__atomic_compare_exchange_n(&s->tpl, &none, made, false, __ATOMIC_ACQ_REL,
                                             __ATOMIC_ACQUIRE))
        xfree(made); /* another thread stored one first */
    return __atomic_load_n(&s->tpl, __ATOMIC_ACQUIRE);
}

const struct rules_set *policy_snap_set(const struct policy_snap *s)
{
    return s->set;
}

int64_t policy_snap_version(const struct policy_snap *s)
{
    return s->version;
}

const struct policy_info *policy_snap_info(const struct policy_snap *s, size_t i)
{
    return i < s->n ? &s->info[i] : NULL;
}

int64_t policy_snap_day(const struct policy_snap *s)
{
    return s->day;
}
