/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog_search_admin: what the catalogue team keeps for the search — synonyms (俗称 →
 * items, audited), the log of queries that found nothing — and the usage counts that rank
 * items (catalog_search.h).
 */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "../base/jsonx.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../store/store.h"
#include "catalog_search.h"

#define Q_BYTES (4 * CATALOG_SEARCH_Q_MAX + 1)

/* ---- synonyms ------------------------------------------------------------------------ */

static json_t *synonym_row(struct stmt *st)
{
    char at[40];
    time_fmt_cst(store_int(st, 5), at, sizeof(at));
    json_t *targets = json_loads(store_text(st, 2), 0, NULL);
    return json_pack("{s:I, s:s, s:o, s:s, s:s, s:s}", "id", (json_int_t)store_int(st, 0), "term",
                     store_text(st, 1), "targets", targets ? targets : json_array(), "note",
                     store_text(st, 3), "updated_by", store_text(st, 4), "updated_at", at);
}

#define SYN_COLS "SELECT id, term, targets, note, updated_by, updated_at FROM catalog_synonyms"

enum rc catalog_synonym_list(struct conn *c, json_t **out, struct err *e)
{
    struct stmt *st;
    *out = NULL;
    enum rc rc = store_prepare(c, SYN_COLS " ORDER BY term", &st, e);
    if (rc)
        return rc;
    json_t *arr = json_array();
    while ((rc = store_step(st, e)) == RC_ROW)
        json_array_append_new(arr, synonym_row(st));
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return RC_OK;
}

enum rc catalog_synonym_get(struct conn *c, int64_t id, json_t **out, struct err *e)
{
    struct stmt *st;
    *out = NULL;
    enum rc rc = store_prepare(c, SYN_COLS " WHERE id = ?", &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, id);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        *out = synonym_row(st);
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_NOTFOUND, NULL, "同义词 %lld 不存在", (long long)id);
    }
    store_finish(st);
    return rc;
}

/* A basic code ([0-9A-Z]{6,20}) or a bundle code (letters, digits and '-', 2..40). */
static bool code_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 40)
        return false;
    for (; *s; s++)
        if (!(isdigit((unsigned char)*s) || isupper((unsigned char)*s) || *s == '-'))
            return false;
    return true;
}

/* Checks term and targets; writes the normalised term into norm and targets as JSON. */
static enum rc check_synonym(const char *term, const json_t *targets, char *norm, char **tjson,
                             struct err *e)
{
    *tjson = NULL;
    if (!term)
        return err_set(e, RC_INVALID, "term", "请填写俗称");
    catalog_search_normalize(term, norm, Q_BYTES);
    if (!norm[0])
        return err_set(e, RC_INVALID, "term", "俗称不能为空");
    if (utf8_len(norm) > CATALOG_SYNONYM_TERM_MAX)
        return err_set(e, RC_INVALID, "term", "俗称最多 %d 个字", CATALOG_SYNONYM_TERM_MAX);
    if (!json_is_array(targets) || json_array_size(targets) == 0 ||
        json_array_size(targets) > CATALOG_SYNONYM_TARGETS_MAX)
        return err_set(e, RC_INVALID, "targets", "指向的事项应为 1 至 %d 个基本编码或一件事编码",
                       CATALOG_SYNONYM_TARGETS_MAX);
    size_t i;
    const json_t *v;
    json_array_foreach(targets, i, v)
    {
        if (!json_is_string(v) || !code_ok(json_string_value(v)))
            return err_set(e, RC_INVALID, "targets",
                           "第 %zu 个编码无效：应为事项基本编码（大写字母和数字）或一件事编码",
                           i + 1);
    }
    *tjson = json_dumps(targets, JSON_COMPACT);
    return RC_OK;
}

enum rc catalog_synonym_put(struct conn *c, const struct audit_actor *who, int64_t id,
                            const char *term, const json_t *targets, const char *note, int64_t now,
                            int64_t *out_id, struct err *e)
{
    char norm[Q_BYTES];
    char *tjson = NULL;
    json_t *before = NULL, *after = NULL;
    struct stmt *st = NULL;
    if (note && utf8_len(note) > 200)
        return err_set(e, RC_INVALID, "note", "备注最多 200 个字");
    enum rc rc = check_synonym(term, targets, norm, &tjson, e);
    if (rc == RC_OK)
        rc = store_begin(c, e);
    if (rc == RC_OK && id)
        rc = catalog_synonym_get(c, id, &before, e);
    if (rc)
        goto out;
    if (id)
        rc = store_prepare(c,
                           "UPDATE catalog_synonyms SET term = ?, targets = ?, note = ?, "
                           "updated_by = ?, updated_at = ? WHERE id = ? RETURNING id",
                           &st, e);
    else
        rc = store_prepare(c,
                           "INSERT INTO catalog_synonyms (term, targets, note, updated_by, "
                           "updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                           &st, e);
    if (rc)
        goto out;
    store_bind_text(st, 1, norm);
    store_bind_text(st, 2, tjson);
    store_bind_text(st, 3, note ? note : "");
    store_bind_text(st, 4, who && who->name ? who->name : "");
    store_bind_int(st, 5, now);
    if (id)
        store_bind_int(st, 6, id);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        id = store_int(st, 0);
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_INTERNAL, NULL, "no id returned");
    }
    store_finish(st);
    if (rc == RC_EXISTS)
        rc = err_set(e, RC_EXISTS, "term", "俗称「%s」已存在", norm);
    if (rc == RC_OK)
        rc = catalog_synonym_get(c, id, &after, e);
    if (rc == RC_OK) {
        char sid[24];
        snprintf(sid, sizeof(sid), "%lld", (long long)id);
        struct audit_event ev = {before ? "catalog_synonym.update" : "catalog_synonym.create",
                                 "catalog_synonym", sid, before, after};
        rc = audit_append(c, who, &ev, NULL, e);
    }
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (rc == RC_OK && out_id)
        *out_id = id;
out:
    if (store_in_txn(c))
        store_rollback(c);
    free(tjson); /* lint:allow-free (Jansson's allocation) */
    json_decref(before);
    json_decref(after);
    return rc;
}

enum rc catalog_synonym_delete(struct conn *c, const struct audit_actor *who, int64_t id,
                               struct err *e)
{
    json_t *before = NULL;
    struct stmt *st;
    enum rc rc = store_begin(c, e);
    if (rc == RC_OK)
        rc = catalog_synonym_get(c, id, &before, e);
    if (rc == RC_OK)
        rc = store_prepare(c, "DELETE FROM catalog_synonyms WHERE id = ?", &st, e);
    if (rc == RC_OK) {
        store_bind_int(st, 1, id);
        rc = store_run(st, e);
        store_finish(st);
    }
    if (rc == RC_OK) {
        char sid[24];
        snprintf(sid, sizeof(sid), "%lld", (long long)id);
        struct audit_event ev = {"catalog_synonym.delete", "catalog_synonym", sid, before, NULL};
        rc = audit_append(c, who, &ev, NULL, e);
    }
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (store_in_txn(c))
        store_rollback(c);
    json_decref(before);
    return rc;
}

enum rc catalog_synonyms_seed(struct conn *c, const json_t *doc, int64_t now, int *n_added,
                              struct err *e)
{
    const json_t *list = json_is_object(doc) ? json_object_get(doc, "synonyms") : doc;
    if (n_added)
        *n_added = 0;
    if (!json_is_array(list))
        return err_set(e, RC_INVALID, "synonyms", "同义词文件应为数组 [{term, targets, note}]");
    bool own = !store_in_txn(c);
    enum rc rc = own ? store_begin(c, e) : RC_OK;
    size_t i;
    const json_t *v;
    json_array_foreach(list, i, v)
    {
        if (rc)
            break;
        char norm[Q_BYTES];
        char *tjson = NULL;
        rc = check_synonym(json_string_value(json_object_get(v, "term")),
                           json_object_get(v, "targets"), norm, &tjson, e);
        const char *note = json_string_value(json_object_get(v, "note"));
        struct stmt *st = NULL;
        if (rc == RC_OK)
            rc = store_prepare(c,
                               "INSERT INTO catalog_synonyms (term, targets, note, updated_by, "
                               "updated_at) VALUES (?, ?, ?, 'seed', ?) ON CONFLICT (term) DO "
                               "NOTHING",
                               &st, e);
        if (rc == RC_OK) {
            store_bind_text(st, 1, norm);
            store_bind_text(st, 2, tjson);
            store_bind_text(st, 3, note ? note : "");
            store_bind_int(st, 4, now);
            rc = store_run(st, e);
            if (rc == RC_OK && n_added)
                *n_added += (int)store_changes(st);
            store_finish(st);
        }
        free(tjson); /* lint:allow-free (Jansson's allocation) */
        if (rc) {
            char prefix[32];
            snprintf(prefix, sizeof(prefix), "synonyms[%zu]", i);
            err_prefix_field(e, prefix);
        }
    }
    if (own) {
        if (rc == RC_OK)
            rc = store_commit(c, e);
        if (store_in_txn(c))
            store_rollback(c);
    }
    return rc;
}

/* ---- zero-result queries --------------------------------------------------------------- */

enum rc catalog_search_misses(struct conn *c, int limit, json_t **out, struct err *e)
{
    struct stmt *st;
    *out = NULL;
    enum rc rc = store_prepare(c,
                               "SELECT query, n, first_seen, last_seen FROM catalog_search_misses "
                               "ORDER BY last_seen DESC, query LIMIT ?",
                               &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, limit);
    json_t *arr = json_array();
    while ((rc = store_step(st, e)) == RC_ROW) {
        char first[40], last[40];
        time_fmt_cst(store_int(st, 2), first, sizeof(first));
        time_fmt_cst(store_int(st, 3), last, sizeof(last));
        json_array_append_new(arr, json_pack("{s:s, s:I, s:s, s:s}", "query", store_text(st, 0),
                                             "count", (json_int_t)store_int(st, 1), "first_seen",
                                             first, "last_seen", last));
    }
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return RC_OK;
}

/* ---- usage counts ---------------------------------------------------------------------- */

#define USAGE_SLOTS 1024
#define USAGE_MAX_AGE_MS 10000

struct usage {
    int64_t impl_id;
    int64_t views, checklists;
};

static pthread_mutex_t usage_mu = PTHREAD_MUTEX_INITIALIZER;
static struct usage pending[USAGE_SLOTS];
static size_t n_pending;
static int64_t n_uses;         /* uses counted since the last write */
static int64_t oldest_at = -1; /* when the oldest pending use was counted */

static int64_t batch_size(void)
{
    static int64_t batch = 0;
    if (batch == 0) {
        const char *env = getenv("QIFU_CATALOG_USAGE_BATCH");
        long v = env ? strtol(env, NULL, 10) : 0;
        batch = v >= 1 && v <= 100000 ? v : 32;
    }
    return batch;
}

/* Adds counts into the pending table (usage_mu held). */
static void add_pending(int64_t impl_id, int64_t views, int64_t checklists)
{
    for (size_t i = 0; i < n_pending; i++)
        if (pending[i].impl_id == impl_id) {
            pending[i].views += views;
            pending[i].checklists += checklists;
            return;
        }
    if (n_pending < USAGE_SLOTS)
        pending[n_pending++] = (struct usage){impl_id, views, checklists};
}

/* Writes taken counts in one transaction. */
static enum rc write_usage(struct conn *c, const struct usage *u, size_t n, int64_t now,
                           struct err *e)
{
    enum rc rc = store_begin_relaxed(c, e);
    for (size_t i = 0; rc == RC_OK && i < n; i++) {
        struct stmt *st;
        rc = store_prepare(c,
                           "INSERT INTO catalog_usage (impl_id, views, checklists, updated_at) "
                           "VALUES (?, ?, ?, ?) ON CONFLICT (impl_id) DO UPDATE SET views = "
                           "catalog_usage.views + excluded.views, checklists = "
                           "catalog_usage.checklists + excluded.checklists, updated_at = "
                           "excluded.updated_at",
                           &st, e);
        if (rc)
            break;
        store_bind_int(st, 1, u[i].impl_id);
        store_bind_int(st, 2, u[i].views);
        store_bind_int(st, 3, u[i].checklists);
        store_bind_int(st, 4, now);
        rc = store_run(st, e);
        store_finish(st);
    }
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (store_in_txn(c))
        store_rollback(c);
    return rc;
}

enum rc catalog_usage_flush(struct conn *c, int64_t now, struct err *e)
{
    struct usage *taken;
    size_t n;
    pthread_mutex_lock(&usage_mu);
    n = n_pending;
    taken = xmalloc((n ? n : 1) * sizeof(*taken));
    memcpy(taken, pending, n * sizeof(*taken));
    n_pending = 0;
    n_uses = 0;
    oldest_at = -1;
    pthread_mutex_unlock(&usage_mu);
    enum rc rc = n ? write_usage(c, taken, n, now, e) : RC_OK;
    if (rc) {
        /* Kept for the next write: a replica connection or a busy database loses nothing. */
        pthread_mutex_lock(&usage_mu);
        for (size_t i = 0; i < n; i++)
            add_pending(taken[i].impl_id, taken[i].views, taken[i].checklists);
        if (oldest_at < 0)
            oldest_at = now;
        pthread_mutex_unlock(&usage_mu);
    }
    xfree(taken);
    return rc;
}

void catalog_usage_note(struct conn *c, int64_t impl_id, enum catalog_usage_kind k, int64_t now)
{
    pthread_mutex_lock(&usage_mu);
    add_pending(impl_id, k == CATALOG_USAGE_VIEW, k == CATALOG_USAGE_CHECKLIST);
    n_uses++;
    if (oldest_at < 0)
        oldest_at = now;
    bool due = n_uses >= batch_size() || now - oldest_at >= USAGE_MAX_AGE_MS;
    pthread_mutex_unlock(&usage_mu);
    if (!due || !c)
        return;
    struct err e = {0};
    if (catalog_usage_flush(c, now, &e))
        log_warn("catalog usage: counts not written yet: %s", e.msg);
}
