/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog_search: the search index of the published catalogue and the search itself
 * (catalog_search.h; docs/internals/catalog.md "Search"). Backend-only SQL (the full-text
 * condition) comes from store_search_sql; the rest is portable.
 */
#include "catalog_search.h"

#include <assert.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/jsonx.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../codes/codes.h"
#include "../store/store.h"
#include "catalog_search_int.h"

#define TEXT_MAX (64 * 1024) /* bytes of one indexed text */
#define VARIANTS_MAX 8       /* pinyin initial variants of one name */
#define MAX_TOKENS 4         /* words of a query searched */
#define FUZZY_CANDIDATES 200 /* rows a typo-tolerant search checks */
#define Q_BYTES (4 * CATALOG_SEARCH_Q_MAX + 1)

/* ---- UTF-8 and normalisation ------------------------------------------------------ */

uint32_t catalog__utf8_next(const char **s)
{
    const unsigned char *p = (const unsigned char *)*s;
    uint32_t cp;
    int n;
    if (p[0] < 0x80) {
        cp = p[0];
        n = 1;
    } else if ((p[0] & 0xe0) == 0xc0) {
        cp = p[0] & 0x1f;
        n = 2;
    } else if ((p[0] & 0xf0) == 0xe0) {
        cp = p[0] & 0x0f;
        n = 3;
    } else if ((p[0] & 0xf8) == 0xf0) {
        cp = p[0] & 0x07;
        n = 4;
    } else {
        *s += 1;
        return 0xfffd;
    }
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            *s += i;
            return 0xfffd;
        }
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    *s += n;
    return cp;
}

size_t catalog__utf8_put(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* A letter, digit or ideograph: what a query keeps (everything else separates words). */
static bool is_word(uint32_t cp)
{
    if (cp < 0x80)
        return isalnum((int)cp) || cp == '-';
    /* CJK punctuation, full-width forms' punctuation and general punctuation separate. */
    if ((cp >= 0x3000 && cp <= 0x303f) || (cp >= 0x2000 && cp <= 0x206f) ||
        (cp >= 0xff00 && cp <= 0xff0f) || (cp >= 0xff1a && cp <= 0xff20) ||
        (cp >= 0xff3b && cp <= 0xff40) || (cp >= 0xff5b && cp <= 0xff65) || cp == 0xfffd)
        return false;
    return true;
}

void catalog_search_normalize(const char *q, char *out, size_t n)
{
    assert(n >= Q_BYTES);
    size_t len = 0;
    int chars = 0;
    bool space = false;
    const char *s = q ? q : "";
    while (*s && chars < CATALOG_SEARCH_Q_MAX) {
        uint32_t cp = catalog__utf8_next(&s);
        if (cp >= 0xff01 && cp <= 0xff5e)
            cp -= 0xfee0; /* full-width ASCII */
        if (cp < 0x80)
            cp = (uint32_t)tolower((int)cp);
        if (!is_word(cp)) {
            space = len > 0;
            continue;
        }
        if (space) {
            out[len++] = ' ';
            chars++;
            space = false;
        }
        len += catalog__utf8_put(cp, out + len);
        chars++;
    }
    out[len] = '\0';
}

/* ---- pinyin initials ---------------------------------------------------------------- */

/* The initials of cp: its main one first, then the other readings' (polyphones). */
static size_t initials_of(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        if (!isalnum((int)cp))
            return 0;
        out[0] = (char)tolower((int)cp);
        return 1;
    }
    if (cp < CATALOG_PINYIN_FIRST || cp >= CATALOG_PINYIN_FIRST + CATALOG_PINYIN_N)
        return 0;
    char first = catalog__pinyin_first[cp - CATALOG_PINYIN_FIRST];
    if (first == '.')
        return 0;
    size_t n = 0;
    out[n++] = first;
    size_t lo = 0, hi = catalog__n_pinyin_alts;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (catalog__pinyin_alts[mid].cp < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < catalog__n_pinyin_alts && catalog__pinyin_alts[lo].cp == cp)
        for (const char *o = catalog__pinyin_alts[lo].other; *o && n < 4; o++)
            out[n++] = *o;
    return n;
}

/*
 * Appends to b the pinyin initials of text, space-separated: the main reading of every
 * character and, while there are at most VARIANTS_MAX, the variants the polyphones give
 * (银行 → yh and yx).
 */
static enum rc append_initials(struct buf *b, const char *text)
{
    char var[VARIANTS_MAX][CATALOG_SEARCH_Q_MAX * 2 + 1];
    size_t n_var = 1, len = 0;
    var[0][0] = '\0';
    const char *s = text;
    while (*s && len < sizeof(var[0]) - 1) {
        char ini[4];
        size_t k = initials_of(catalog__utf8_next(&s), ini);
        if (k == 0)
            continue;
        if (k > 1 && n_var * k <= VARIANTS_MAX) {
            for (size_t j = 1; j < k; j++)
                for (size_t v = 0; v < n_var; v++) {
                    memcpy(var[j * n_var + v], var[v], len);
                    var[j * n_var + v][len] = ini[j];
                }
            for (size_t v = 0; v < n_var; v++)
                var[v][len] = ini[0];
            n_var *= k;
        } else {
            for (size_t v = 0; v < n_var; v++)
                var[v][len] = ini[0];
        }
        len++;
    }
    enum rc rc = RC_OK;
    if (len == 0)
        return RC_OK;
    for (size_t v = 0; rc == RC_OK && v < n_var; v++) {
        var[v][len] = '\0';
        rc = buf_printf(b, "%s%s", buf_len(b) ? " " : "", var[v]);
    }
    return rc;
}

/* ---- grams for short queries -------------------------------------------------------- */

struct grams {
    char (*g)[12];
    size_t n, cap;
};

static void gram_add(struct grams *gs, const char *p, size_t n)
{
    if (n >= sizeof(gs->g[0]))
        return;
    if (gs->n == gs->cap) {
        gs->cap = gs->cap ? 2 * gs->cap : 256;
        gs->g = xrealloc(gs->g, gs->cap * sizeof(gs->g[0]));
    }
    memcpy(gs->g[gs->n], p, n);
    gs->g[gs->n][n] = '\0';
    gs->n++;
}

/* Adds the one- and two-character grams of the words of text (normalised). */
static void grams_of(struct grams *gs, const char *text)
{
    char norm[Q_BYTES];
    /* Long texts are cut into query-sized pieces at spaces; a name is far shorter. */
    const char *s = text;
    while (*s) {
        size_t take = strlen(s);
        if (take > 4 * (CATALOG_SEARCH_Q_MAX - 1)) {
            take = 4 * (CATALOG_SEARCH_Q_MAX - 1);
            while (take > 0 && ((unsigned char)s[take] & 0xc0) == 0x80)
                take--;
        }
        char piece[Q_BYTES];
        memcpy(piece, s, take);
        piece[take] = '\0';
        s += take;
        catalog_search_normalize(piece, norm, sizeof(norm));
        const char *p = norm, *prev = NULL;
        while (*p) {
            const char *at = p;
            uint32_t cp = catalog__utf8_next(&p);
            if (cp == ' ') {
                prev = NULL;
                continue;
            }
            gram_add(gs, at, (size_t)(p - at));
            if (prev)
                gram_add(gs, prev, (size_t)(p - prev));
            prev = at;
        }
    }
}

static int gram_cmp(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* ---- reading the document ----------------------------------------------------------- */

/* Appends the string members key of the objects of array arr to b, space-separated. */
static enum rc append_names(struct buf *b, const json_t *arr, const char *key)
{
    size_t i;
    const json_t *v;
    enum rc rc = RC_OK;
    json_array_foreach(arr, i, v)
    {
        const char *t = key ? json_string_value(json_object_get(v, key)) : json_string_value(v);
        if (t && *t && (rc = buf_printf(b, "%s%s", buf_len(b) ? " " : "", t)))
            break;
    }
    return rc;
}

/* Collects into gs the values of every {"fact": "industry", "value": ...} condition of j. */
static void industries_of(const json_t *j, struct grams *gs, int depth)
{
    if (depth > 32)
        return;
    if (json_is_object(j)) {
        const char *fact = json_string_value(json_object_get(j, "fact"));
        if (fact && strcmp(fact, "industry") == 0) {
            const json_t *v = json_object_get(j, "value");
            if (json_is_string(v)) {
                gram_add(gs, json_string_value(v), strlen(json_string_value(v)));
            } else if (json_is_array(v)) {
                size_t i;
                const json_t *x;
                json_array_foreach(v, i, x)
                {
                    if (json_is_string(x))
                        gram_add(gs, json_string_value(x), strlen(json_string_value(x)));
                }
            }
        }
        const char *k;
        const json_t *v;
        json_t *obj = (json_t *)(uintptr_t)j; /* jansson's iteration takes no const */
        json_object_foreach(obj, k, v)
        {
            industries_of(v, gs, depth + 1);
        }
    } else if (json_is_array(j)) {
        size_t i;
        const json_t *v;
        json_array_foreach(j, i, v)
        {
            industries_of(v, gs, depth + 1);
        }
    }
}

static void bind_opt_int(struct stmt *st, int i, const json_t *v)
{
    if (json_is_integer(v))
        store_bind_int(st, i, json_integer_value(v));
    else
        store_bind_null(st, i);
}

static enum rc run1(struct conn *c, const char *sql, int64_t id, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, sql, &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, id);
    rc = store_run(st, e);
    store_finish(st);
    return rc;
}

/* Writes the index rows of impl_id (after its old ones are gone). */
static enum rc insert_doc(struct conn *c, int64_t impl_id, const struct catalog_search_doc *d,
                          int64_t now, struct err *e)
{
    struct buf shortb, longb, ini;
    struct grams gs = {0}, inds = {0};
    buf_init(&shortb, TEXT_MAX);
    buf_init(&longb, TEXT_MAX);
    buf_init(&ini, TEXT_MAX);
    char *life = NULL, *alias_json = NULL;
    struct stmt *st = NULL;
    enum rc rc = buf_printf(&shortb, "%s %s", d->name, d->item_name);
    if (rc == RC_OK && d->aliases)
        rc = append_names(&shortb, d->aliases, NULL);
    if (rc == RC_OK)
        rc = buf_printf(&shortb, " %s %s", d->agency_name ? d->agency_name : "",
                        d->dept ? d->dept : "");
    /* Long texts: materials, acceptance conditions, steps and results. A text past the cap
     * is cut (RC_TOOLARGE is not an error here: the short texts matter most). */
    const json_t *g = d->guide;
    if (rc == RC_OK && g) {
        if (append_names(&longb, json_object_get(g, "materials"), "name") == RC_OK &&
            append_names(&longb, json_object_get(g, "acceptance_conditions"), "text") == RC_OK &&
            append_names(&longb, json_object_get(g, "steps"), "name") == RC_OK &&
            append_names(&longb, json_object_get(g, "results"), "name") == RC_OK)
            (void)append_names(&longb, json_object_get(g, "faq"), "q");
    }
    if (rc == RC_OK)
        rc = append_initials(&ini, d->name);
    if (rc == RC_OK)
        rc = append_initials(&ini, d->item_name);
    size_t i;
    const json_t *v;
    if (d->aliases)
        json_array_foreach(d->aliases, i, v)
        {
            if (rc == RC_OK && json_is_string(v))
                rc = append_initials(&ini, json_string_value(v));
        }
    if (rc)
        goto out;
    life = d->life_stages ? json_dumps(d->life_stages, JSON_COMPACT) : NULL;
    alias_json = d->aliases ? json_dumps(d->aliases, JSON_COMPACT) : NULL;
    const json_t *tl = g ? json_object_get(g, "time_limit") : NULL;
    const json_t *cr = g ? json_object_get(g, "cross_region") : NULL;
    rc = store_prepare(
        c,
        "INSERT INTO catalog_search (impl_id, version_id, impl_code, basic_code, name, "
        "item_name, type, dept, agency_name, region, life_stages, online_depth, visits, "
        "promised_days, cross_mode, aliases, short_text, long_text, initials, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &st, e);
    if (rc)
        goto out;
    store_bind_int(st, 1, impl_id);
    store_bind_int(st, 2, d->version_id);
    store_bind_text(st, 3, d->impl_code);
    store_bind_text(st, 4, d->basic_code);
    store_bind_text(st, 5, d->name);
    store_bind_text(st, 6, d->item_name);
    store_bind_text(st, 7, d->type ? d->type : "");
    store_bind_text(st, 8, d->dept ? d->dept : "");
    store_bind_text(st, 9, d->agency_name ? d->agency_name : "");
    store_bind_text(st, 10, d->region ? d->region : "");
    store_bind_text(st, 11, life ? life : "[]");
    bind_opt_int(st, 12, g ? json_object_get(g, "online_depth") : NULL);
    bind_opt_int(st, 13, g ? json_object_get(g, "visits") : NULL);
    bind_opt_int(st, 14, tl ? json_object_get(tl, "promised_days") : NULL);
    const char *mode = cr ? json_string_value(json_object_get(cr, "mode")) : NULL;
    if (mode)
        store_bind_text(st, 15, mode);
    else
        store_bind_null(st, 15);
    store_bind_text(st, 16, alias_json ? alias_json : "[]");
    store_bind_text(st, 17, buf_str(&shortb));
    store_bind_text(st, 18, buf_str(&longb));
    store_bind_text(st, 19, buf_str(&ini));
    store_bind_int(st, 20, now);
    rc = store_run(st, e);
    store_finish(st);
    st = NULL;
    if (rc)
        goto out;
    /* Grams of the short texts, the initials and the materials' names, each once. */
    grams_of(&gs, buf_str(&shortb));
    grams_of(&gs, buf_str(&ini));
    if (g) {
        struct buf mats;
        buf_init(&mats, TEXT_MAX);
        (void)append_names(&mats, json_object_get(g, "materials"), "name");
        grams_of(&gs, buf_str(&mats));
        buf_cleanup(&mats);
    }
    if (gs.n > 1)
        qsort(gs.g, gs.n, sizeof(gs.g[0]), gram_cmp);
    for (size_t k = 0; rc == RC_OK && k < gs.n; k++) {
        if (k > 0 && strcmp(gs.g[k], gs.g[k - 1]) == 0)
            continue;
        rc = store_prepare(c, "INSERT INTO catalog_search_terms (term, impl_id) VALUES (?, ?)", &st,
                           e);
        if (rc)
            break;
        store_bind_text(st, 1, gs.g[k]);
        store_bind_int(st, 2, impl_id);
        rc = store_run(st, e);
        store_finish(st);
        st = NULL;
    }
    if (rc == RC_OK && g)
        industries_of(g, &inds, 0);
    if (inds.n > 1)
        qsort(inds.g, inds.n, sizeof(inds.g[0]), gram_cmp);
    for (size_t k = 0; rc == RC_OK && k < inds.n; k++) {
        if ((k > 0 && strcmp(inds.g[k], inds.g[k - 1]) == 0) || !inds.g[k][0])
            continue;
        for (char *p = inds.g[k]; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        rc = store_prepare(c, "INSERT INTO catalog_search_industry (impl_id, code) VALUES (?, ?)",
                           &st, e);
        if (rc)
            break;
        store_bind_int(st, 1, impl_id);
        store_bind_text(st, 2, inds.g[k]);
        rc = store_run(st, e);
        if (rc == RC_EXISTS)
            rc = RC_OK; /* the same code in two cases */
        store_finish(st);
        st = NULL;
    }
out:
    free(life);       /* lint:allow-free (Jansson's allocation) */
    free(alias_json); /* lint:allow-free (Jansson's allocation) */
    xfree(gs.g);
    xfree(inds.g);
    buf_cleanup(&shortb);
    buf_cleanup(&longb);
    buf_cleanup(&ini);
    return rc;
}

enum rc catalog_search_reindex(struct conn *c, int64_t impl_id, const struct catalog_search_doc *d,
                               int64_t now, struct err *e)
{
    if (d && (!d->name || !d->item_name || !d->impl_code || !d->basic_code))
        return err_set(e, RC_INVALID, NULL, "索引文档缺少名称或编码");
    bool own = !store_in_txn(c);
    enum rc rc = own ? store_begin(c, e) : RC_OK;
    if (rc == RC_OK)
        rc = run1(c, "DELETE FROM catalog_search WHERE impl_id = ?", impl_id, e);
    if (rc == RC_OK)
        rc = run1(c, "DELETE FROM catalog_search_terms WHERE impl_id = ?", impl_id, e);
    if (rc == RC_OK)
        rc = run1(c, "DELETE FROM catalog_search_industry WHERE impl_id = ?", impl_id, e);
    if (rc == RC_OK && d)
        rc = insert_doc(c, impl_id, d, now, e);
    if (own) {
        if (rc == RC_OK)
            rc = store_commit(c, e);
        if (store_in_txn(c))
            store_rollback(c);
    }
    return rc;
}

enum rc catalog_search_reindex_impl(struct conn *c, int64_t impl_id, int64_t now, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(
        c,
        "SELECT m.impl_code, i.basic_code, t.name, i.name, i.type, i.competent_dept, "
        "m.agency_name, m.region, i.aliases, i.life_stages, v.id, v.doc FROM catalog_impls m "
        "JOIN catalog_tasks t ON t.id = m.task_id JOIN catalog_subitems b ON b.id = t.subitem_id "
        "JOIN catalog_items i ON i.id = b.item_id JOIN catalog_versions v ON v.id = "
        "m.published_version_id WHERE m.id = ?",
        &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, impl_id);
    rc = store_step(st, e);
    if (rc == RC_DONE) {
        store_finish(st);
        return catalog_search_reindex(c, impl_id, NULL, now, e);
    }
    if (rc != RC_ROW) {
        store_finish(st);
        return rc;
    }
    /* Copied out: the statement is finished before the index is written. */
    char *text[10];
    for (int i = 0; i < 10; i++)
        text[i] = xstrdup(store_text(st, i) ? store_text(st, i) : "");
    int64_t version_id = store_int(st, 10);
    json_t *guide = json_loads(store_text(st, 11), 0, NULL);
    store_finish(st);
    json_t *aliases = json_loads(text[8], 0, NULL), *life = json_loads(text[9], 0, NULL);
    struct catalog_search_doc d = {.version_id = version_id,
                                   .impl_code = text[0],
                                   .basic_code = text[1],
                                   .name = text[2],
                                   .item_name = text[3],
                                   .type = text[4],
                                   .dept = text[5],
                                   .agency_name = text[6],
                                   .region = text[7],
                                   .aliases = aliases,
                                   .life_stages = life,
                                   .guide = guide};
    rc = catalog_search_reindex(c, impl_id, &d, now, e);
    json_decref(aliases);
    json_decref(life);
    json_decref(guide);
    for (int i = 0; i < 10; i++)
        xfree(text[i]);
    return rc;
}

/* Reindexes the impls sql (one optional text parameter) lists. */
static enum rc reindex_listed(struct conn *c, const char *sql, const char *arg, int64_t now, int *n,
                              struct err *e)
{
    struct stmt *st;
    int64_t *ids = NULL;
    size_t n_ids = 0;
    enum rc rc = store_prepare(c, sql, &st, e);
    if (rc)
        return rc;
    if (arg)
        store_bind_text(st, 1, arg);
    while ((rc = store_step(st, e)) == RC_ROW) {
        ids = xrealloc(ids, (n_ids + 1) * sizeof(*ids));
        ids[n_ids++] = store_int(st, 0);
    }
    store_finish(st);
    if (rc == RC_DONE)
        rc = RC_OK;
    for (size_t i = 0; rc == RC_OK && i < n_ids; i++)
        rc = catalog_search_reindex_impl(c, ids[i], now, e);
    if (n)
        *n = (int)n_ids;
    xfree(ids);
    return rc;
}

enum rc catalog_search_reindex_item(struct conn *c, const char *basic_code, int64_t now,
                                    struct err *e)
{
    return reindex_listed(c,
                          "SELECT m.id FROM catalog_impls m JOIN catalog_tasks t ON t.id = "
                          "m.task_id JOIN catalog_subitems b ON b.id = t.subitem_id JOIN "
                          "catalog_items i ON i.id = b.item_id WHERE i.basic_code = ? AND "
                          "m.published_version_id IS NOT NULL ORDER BY m.id",
                          basic_code, now, NULL, e);
}

enum rc catalog_search_rebuild(struct conn *c, int64_t now, int *n, struct err *e)
{
    bool own = !store_in_txn(c);
    enum rc rc = own ? store_begin(c, e) : RC_OK;
    if (rc == RC_OK)
        rc = store_exec(c, "DELETE FROM catalog_search", e);
    if (rc == RC_OK)
        rc = store_exec(c, "DELETE FROM catalog_search_terms", e);
    if (rc == RC_OK)
        rc = store_exec(c, "DELETE FROM catalog_search_industry", e);
    if (rc == RC_OK)
        rc = store_exec(c, "DELETE FROM catalog_search_bundles", e);
    if (rc == RC_OK)
        rc = reindex_listed(c,
                            "SELECT id FROM catalog_impls WHERE published_version_id IS NOT "
                            "NULL ORDER BY id",
                            NULL, now, n, e);
    struct stmt *st = NULL;
    if (rc == RC_OK)
        rc = store_prepare(c, "SELECT code, doc FROM catalog_bundles WHERE state = 'published'",
                           &st, e);
    json_t *docs = json_array();
    while (rc == RC_OK && (rc = store_step(st, e)) == RC_ROW) {
        rc = RC_OK;
        json_t *d = json_loads(store_text(st, 1), 0, NULL);
        if (d)
            json_array_append_new(docs, d);
    }
    if (rc == RC_DONE)
        rc = RC_OK;
    store_finish(st);
    size_t i;
    json_t *d;
    json_array_foreach(docs, i, d)
    {
        const char *code = json_string_value(json_object_get(d, "code"));
        if (rc == RC_OK && code)
            rc = catalog_search_reindex_bundle(c, code, d, e);
    }
    json_decref(docs);
    if (own) {
        if (rc == RC_OK)
            rc = store_commit(c, e);
        if (store_in_txn(c))
            store_rollback(c);
    }
    return rc;
}

enum rc catalog_search_reindex_bundle(struct conn *c, const char *code, const json_t *bundle,
                                      struct err *e)
{
    struct buf terms, members;
    buf_init(&terms, TEXT_MAX);
    buf_init(&members, TEXT_MAX);
    struct stmt *st = NULL;
    bool own = !store_in_txn(c);
    enum rc rc = own ? store_begin(c, e) : RC_OK;
    if (rc == RC_OK)
        rc = store_prepare(c, "DELETE FROM catalog_search_bundles WHERE code = ?", &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, code);
        rc = store_run(st, e);
        store_finish(st);
    }
    if (rc == RC_OK && bundle) {
        const char *name = json_string_value(json_object_get(bundle, "name"));
        const char *stage = json_string_value(json_object_get(bundle, "life_stage"));
        if (!name)
            rc = err_set(e, RC_INVALID, "name", "一件事缺少名称");
        char norm[Q_BYTES];
        if (rc == RC_OK) {
            catalog_search_normalize(name, norm, sizeof(norm));
            rc = buf_printf(&terms, " %s ", norm);
        }
        size_t i;
        const json_t *v;
        json_array_foreach(json_object_get(bundle, "aliases"), i, v)
        {
            if (rc || !json_is_string(v))
                continue;
            catalog_search_normalize(json_string_value(v), norm, sizeof(norm));
            rc = buf_printf(&terms, "%s ", norm);
        }
        json_array_foreach(json_object_get(bundle, "members"), i, v)
        {
            const char *bc = json_string_value(json_object_get(v, "basic_code"));
            if (rc == RC_OK && bc)
                rc = buf_printf(&members, " %s ", bc);
        }
        if (rc == RC_OK)
            rc = store_prepare(c,
                               "INSERT INTO catalog_search_bundles (code, name, life_stage, terms, "
                               "members) VALUES (?, ?, ?, ?, ?)",
                               &st, e);
        if (rc == RC_OK) {
            store_bind_text(st, 1, code);
            store_bind_text(st, 2, name);
            store_bind_text(st, 3, stage ? stage : "");
            store_bind_text(st, 4, buf_str(&terms));
            store_bind_text(st, 5, buf_str(&members));
            rc = store_run(st, e);
            store_finish(st);
        }
    }
    if (own) {
        if (rc == RC_OK)
            rc = store_commit(c, e);
        if (store_in_txn(c))
            store_rollback(c);
    }
    buf_cleanup(&terms);
    buf_cleanup(&members);
    return rc;
}

/* ---- searching ------------------------------------------------------------------------ */

/* The arguments of a statement being built, bound in order. */
struct args {
    char *v[256];
    int64_t n_int[256];
    bool is_int[256];
    size_t n;
};

static void arg_take(struct args *a, char *s)
{
    assert(a->n < 256);
    a->is_int[a->n] = false;
    a->v[a->n++] = s;
}

static void arg_str(struct args *a, const char *s)
{
    arg_take(a, xstrdup(s));
}

static void arg_int(struct args *a, int64_t v)
{
    assert(a->n < 256);
    a->is_int[a->n] = true;
    a->n_int[a->n] = v;
    a->v[a->n++] = NULL;
}

/* A LIKE pattern: prefix, s with %, _ and \ escaped, suffix. */
static char *like(const char *prefix, const char *s, const char *suffix)
{
    char *p, *out = p = xmalloc(strlen(prefix) + 2 * strlen(s) + strlen(suffix) + 1);
    p = stpcpy(p, prefix);
    for (; *s; s++) {
        if (*s == '%' || *s == '_' || *s == '\\')
            *p++ = '\\';
        *p++ = *s;
    }
    memcpy(p, suffix, strlen(suffix) + 1);
    return out;
}

static void args_free(struct args *a)
{
    for (size_t i = 0; i < a->n; i++)
        xfree(a->v[i]);
    a->n = 0;
}

static enum rc prepare_args(struct conn *c, const struct buf *sql, struct args *a, struct stmt **st,
                            struct err *e)
{
    enum rc rc = store_prepare(c, buf_str(sql), st, e);
    if (rc)
        return rc;
    for (size_t i = 0; i < a->n; i++) {
        if (a->is_int[i])
            store_bind_int(*st, (int)i + 1, a->n_int[i]);
        else
            store_bind_text(*st, (int)i + 1, a->v[i]);
    }
    return RC_OK;
}

static bool all_letters(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!islower((unsigned char)*s))
            return false;
    return true;
}

/* A set of codes (basic codes and bundle codes a search hit directly); at most 32, so that
 * a statement's arguments stay within struct args. */
#define CODES_MAX 32
struct codes {
    char *v[CODES_MAX];
    size_t n;
};

static void code_add(struct codes *cs, const char *s)
{
    for (size_t i = 0; i < cs->n; i++)
        if (strcmp(cs->v[i], s) == 0)
            return;
    if (cs->n < CODES_MAX)
        cs->v[cs->n++] = xstrdup(s);
}

static void codes_free(struct codes *cs)
{
    for (size_t i = 0; i < cs->n; i++)
        xfree(cs->v[i]);
    cs->n = 0;
}

/* Reads the synonym of the whole query into hits. */
static enum rc synonym_hits(struct conn *c, const char *q, struct codes *hits, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, "SELECT targets FROM catalog_synonyms WHERE term = ?", &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, q);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        json_t *t = json_loads(store_text(st, 0), 0, NULL);
        size_t i;
        const json_t *v;
        json_array_foreach(t, i, v)
        {
            if (json_is_string(v))
                code_add(hits, json_string_value(v));
        }
        json_decref(t);
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = RC_OK;
    }
    store_finish(st);
    return rc;
}

/* Finds the bundles named by q or by a synonym (hits), adds their members to hits and
 * their rows to *bundles. */
static enum rc bundle_hits(struct conn *c, const char *q, const struct codes *hits,
                           struct codes *members, json_t *bundles, struct err *e)
{
    struct buf sql;
    struct args a = {0};
    buf_init(&sql, 16 * 1024);
    enum rc rc = buf_printf(&sql, "SELECT code, name, life_stage, members FROM "
                                  "catalog_search_bundles WHERE terms LIKE ? ESCAPE '\\'");
    arg_take(&a, like("% ", q, " %"));
    size_t n_syn = hits->n;
    for (size_t i = 0; rc == RC_OK && i < n_syn; i++) {
        rc = buf_printf(&sql, "%s?", i ? ", " : " OR code IN (");
        arg_str(&a, hits->v[i]);
    }
    if (rc == RC_OK && n_syn)
        rc = buf_append(&sql, ")", 1);
    if (rc == RC_OK)
        rc = buf_printf(&sql, " ORDER BY code");
    struct stmt *st = NULL;
    if (rc == RC_OK)
        rc = prepare_args(c, &sql, &a, &st, e);
    while (rc == RC_OK && (rc = store_step(st, e)) == RC_ROW) {
        rc = RC_OK;
        json_array_append_new(bundles,
                              json_pack("{s:s, s:s, s:s}", "code", store_text(st, 0), "name",
                                        store_text(st, 1), "life_stage", store_text(st, 2)));
        char *m = xstrdup(store_text(st, 3));
        for (char *save = NULL, *t = strtok_r(m, " ", &save); t; t = strtok_r(NULL, " ", &save))
            code_add(members, t);
        xfree(m);
    }
    if (rc == RC_DONE)
        rc = RC_OK;
    store_finish(st);
    args_free(&a);
    buf_cleanup(&sql);
    return rc;
}

/* The prefixes of an enterprise's industry code an item's conditions may name: its
 * section letter and its digits' prefixes ("6210" → H, 62, 621, 6210). */
static size_t industry_keys(const char *industry, char keys[6][8])
{
    size_t n = 0;
    if (!industry || !*industry)
        return 0;
    char section = codes_industry_section(industry);
    if (section)
        keys[n][0] = section, keys[n++][1] = '\0';
    const char *digits = industry;
    if (isalpha((unsigned char)*digits))
        digits++;
    size_t len = strlen(digits);
    for (size_t k = 2; k <= len && k <= 4 && n < 6; k++) {
        memcpy(keys[n], digits, k);
        keys[n++][k] = '\0';
    }
    return n;
}

/* The columns of an answer row, and the row as the list shows it. */
#define ROW_COLS                                                                                   \
    "s.impl_id, s.impl_code, s.name, s.item_name, s.type, s.dept, s.agency_name, s.region, "       \
    "s.life_stages, s.online_depth, s.visits, s.promised_days, s.cross_mode, s.basic_code, "       \
    "s.aliases, COALESCE(u.views, 0) + COALESCE(u.checklists, 0) AS uses"

static json_t *opt_int(struct stmt *st, int i)
{
    return store_isnull(st, i) ? json_null() : json_integer(store_int(st, i));
}

static json_t *row_json(struct stmt *st)
{
    json_t *life = json_loads(store_text(st, 8), 0, NULL);
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:I}", "id",
                     (json_int_t)store_int(st, 0), "impl_code", store_text(st, 1), "name",
                     store_text(st, 2), "item_name", store_text(st, 3), "type", store_text(st, 4),
                     "dept", store_text(st, 5), "agency_name", store_text(st, 6), "region",
                     store_text(st, 7), "life_stages", life ? life : json_array(), "online_depth",
                     opt_int(st, 9), "visits", opt_int(st, 10), "promised_days", opt_int(st, 11),
                     "cross_mode",
                     store_isnull(st, 12) ? json_null() : json_string(store_text(st, 12)), "uses",
                     (json_int_t)store_int(st, 15));
}

/* The match of one word of the query, appended as " AND (...)". */
static enum rc word_cond(struct conn *c, const char *w, bool chunks, struct buf *sql,
                         struct args *a)
{
    enum rc rc = buf_append(sql, " AND (1 = 1", 11);
    if (rc)
        return rc;
    if (utf8_len(w) >= 3) {
        static const struct store_search s = {
            "catalog_search", "s", "(s.short_text || ' ' || s.initials || ' ' || s.long_text)"};
        char *arg = NULL;
        rc = store_search_sql(c, &s, w, sql, &arg);
        if (rc == RC_OK)
            arg_take(a, arg);
    } else {
        rc = buf_printf(sql, " AND s.impl_id IN (SELECT impl_id FROM catalog_search_terms WHERE "
                             "term = ?)");
        arg_str(a, w);
    }
    /* Pinyin initials typed in another order (kbqy for 企业开办): every two-letter piece in
     * the initials. */
    size_t n = strlen(w);
    if (rc == RC_OK && chunks && all_letters(w) && n >= 4 && n % 2 == 0 && n <= 12) {
        rc = buf_append(sql, " OR (1 = 1", 10);
        for (size_t k = 0; rc == RC_OK && k < n; k += 2) {
            rc = buf_printf(sql, " AND s.impl_id IN (SELECT impl_id FROM catalog_search_terms "
                                 "WHERE term = ?)");
            arg_take(a, xstrndup(w + k, 2));
        }
        if (rc == RC_OK)
            rc = buf_append(sql, ")", 1);
    }
    if (rc == RC_OK)
        rc = buf_append(sql, ")", 1);
    return rc;
}

/* The ranks of how a row matched (multiples of 50), best first, and their names. */
static const struct {
    int rank;
    const char *name;
} HOW[] = {
    {1000, "synonym"}, {900, "name"}, {800, "alias"},    {700, "bundle"}, {500, "name"},
    {400, "alias"},    {300, "item"}, {250, "initials"}, {150, "agency"}, {100, "text"},
};
#define FIT_BOOST 120 /* an item meant for the caller's industry (not a multiple of 50) */

static const char *how_name(int64_t rank)
{
    for (size_t i = 0; i < sizeof(HOW) / sizeof(HOW[0]); i++)
        if (HOW[i].rank == rank)
            return HOW[i].name;
    return "text";
}

/* Appends " WHEN <expr contains ?> THEN rank" with w bound. */
static enum rc when_contains(const struct conn *c, const char *expr, const char *w, int rank,
                             struct buf *sql, struct args *a)
{
    enum rc rc = buf_append(sql, " WHEN ", 6);
    if (rc == RC_OK)
        rc = store_contains_sql(c, expr, sql);
    if (rc == RC_OK)
        rc = buf_printf(sql, " THEN %d", rank);
    arg_str(a, w);
    return rc;
}

/* Appends the CASE that ranks a row by how word w (the first of the query) matched. */
static enum rc rank_case(const struct conn *c, const char *w, const struct codes *hits,
                         const struct codes *members, struct buf *sql, struct args *a)
{
    enum rc rc = buf_append(sql, "CASE", 4);
    if (rc == RC_OK && hits->n) {
        rc = buf_printf(sql, " WHEN s.basic_code IN (");
        for (size_t i = 0; rc == RC_OK && i < hits->n; i++) {
            rc = buf_printf(sql, "%s?", i ? ", " : "");
            arg_str(a, hits->v[i]);
        }
        if (rc == RC_OK)
            rc = buf_printf(sql, ") THEN 1000");
    }
    if (rc == RC_OK) {
        rc = buf_printf(sql, " WHEN s.name = ? OR s.item_name = ? THEN 900");
        arg_str(a, w);
        arg_str(a, w);
    }
    if (rc == RC_OK) {
        size_t qn = strlen(w) + 3;
        char *quoted = xmalloc(qn);
        snprintf(quoted, qn, "\"%s\"", w); /* an alias whole, as the JSON text holds it */
        rc = when_contains(c, "s.aliases", quoted, 800, sql, a);
        xfree(quoted);
    }
    for (size_t i = 0; rc == RC_OK && i < members->n; i++) {
        rc = buf_printf(sql, "%s?", i ? ", " : " WHEN s.basic_code IN (");
        arg_str(a, members->v[i]);
    }
    if (rc == RC_OK && members->n)
        rc = buf_printf(sql, ") THEN 700");
    if (rc == RC_OK)
        rc = when_contains(c, "s.name", w, 500, sql, a);
    if (rc == RC_OK)
        rc = when_contains(c, "s.aliases", w, 400, sql, a);
    if (rc == RC_OK)
        rc = when_contains(c, "s.item_name", w, 300, sql, a);
    if (rc == RC_OK && all_letters(w))
        rc = when_contains(c, "s.initials", w, 250, sql, a);
    if (rc == RC_OK)
        rc = when_contains(c, "(s.agency_name || ' ' || s.dept)", w, 150, sql, a);
    return rc ? rc : buf_printf(sql, " ELSE 100 END");
}

/* Appends the 0/1 expression "the item is meant for the caller's industry". */
static enum rc fit_expr(char keys[6][8], size_t n_keys, struct buf *sql, struct args *a)
{
    if (n_keys == 0)
        return buf_printf(sql, "0");
    enum rc rc = buf_printf(sql, "CASE WHEN EXISTS (SELECT 1 FROM catalog_search_industry i "
                                 "WHERE i.impl_id = s.impl_id AND i.code IN (");
    for (size_t k = 0; rc == RC_OK && k < n_keys; k++) {
        rc = buf_printf(sql, "%s?", k ? ", " : "");
        arg_str(a, keys[k]);
    }
    return rc ? rc : buf_printf(sql, ")) THEN 1 ELSE 0 END");
}

/* The smallest number of edits that turn p into a part of t (Sellers' algorithm). */
static int substring_distance(const uint32_t *p, size_t m, const char *text)
{
    uint32_t t[256];
    size_t n = 0;
    for (const char *s = text; *s && n < 256;) {
        uint32_t cp = catalog__utf8_next(&s);
        t[n++] = cp < 0x80 ? (uint32_t)tolower((int)cp) : cp;
    }
    int col[CATALOG_SEARCH_Q_MAX + 1];
    for (size_t i = 0; i <= m; i++)
        col[i] = (int)i;
    int best = col[m];
    for (size_t j = 0; j < n; j++) {
        int diag = col[0];
        col[0] = 0;
        for (size_t i = 1; i <= m; i++) {
            int up = col[i];
            int v = diag + (p[i - 1] != t[j]);
            if (up + 1 < v)
                v = up + 1;
            if (col[i - 1] + 1 < v)
                v = col[i - 1] + 1;
            col[i] = v;
            diag = up;
        }
        if (col[m] < best)
            best = col[m];
    }
    return best;
}

/* The distance of q to the item's names and aliases (the closest). */
static int item_distance(const uint32_t *p, size_t m, struct stmt *st)
{
    int best = substring_distance(p, m, store_text(st, 2));
    int d = substring_distance(p, m, store_text(st, 3));
    if (d < best)
        best = d;
    json_t *al = json_loads(store_text(st, 14), 0, NULL);
    size_t i;
    const json_t *v;
    json_array_foreach(al, i, v)
    {
        if (!json_is_string(v))
            continue;
        d = substring_distance(p, m, json_string_value(v));
        if (d < best)
            best = d;
    }
    json_decref(al);
    return best;
}

struct found {
    json_t *row;
    int64_t rank;
    int64_t uses;
};

static int found_cmp(const void *a, const void *b)
{
    const struct found *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank > y->rank ? -1 : 1;
    if (x->uses != y->uses)
        return x->uses > y->uses ? -1 : 1;
    return 0;
}

/*
 * The typo-tolerant search: items sharing most one- and two-character grams with q (one
 * wrong character spoils at most two bigrams), kept when q is at most one edit away from a
 * part of their name, item name or an alias.
 */
static enum rc fuzzy(struct conn *c, const char *q, char keys[6][8], size_t n_keys, int limit,
                     json_t *items, int64_t *total, struct err *e)
{
    uint32_t p[CATALOG_SEARCH_Q_MAX];
    size_t m = 0;
    for (const char *s = q; *s && m < CATALOG_SEARCH_Q_MAX;)
        p[m++] = catalog__utf8_next(&s);
    /* One wrong character spoils at most two bigrams: from four characters on, a bigram
     * always survives and single characters (common ones are in thousands of rows) are not
     * needed. */
    struct grams all = {0}, gs = {0};
    grams_of(&all, q);
    for (size_t k = 0; k < all.n; k++)
        if (m < 4 || utf8_len(all.g[k]) == 2)
            gram_add(&gs, all.g[k], strlen(all.g[k]));
    xfree(all.g);
    struct buf sql;
    struct args a = {0};
    buf_init(&sql, 64 * 1024);
    enum rc rc = buf_printf(&sql, "SELECT " ROW_COLS ", ");
    if (rc == RC_OK)
        rc = fit_expr(keys, n_keys, &sql, &a);
    if (rc == RC_OK)
        rc = buf_printf(&sql, " FROM (SELECT impl_id, COUNT(*) AS n FROM catalog_search_terms "
                              "WHERE term IN (");
    for (size_t k = 0; rc == RC_OK && k < gs.n; k++) {
        rc = buf_printf(&sql, "%s?", k ? ", " : "");
        arg_str(&a, gs.g[k]);
    }
    if (rc == RC_OK)
        rc = buf_printf(&sql,
                        ") GROUP BY impl_id ORDER BY n DESC, impl_id LIMIT %d) f JOIN "
                        "catalog_search s ON s.impl_id = f.impl_id LEFT JOIN catalog_usage "
                        "u ON u.impl_id = s.impl_id",
                        FUZZY_CANDIDATES);
    struct stmt *st = NULL;
    struct found *fs = NULL;
    size_t n_fs = 0;
    if (rc == RC_OK && gs.n)
        rc = prepare_args(c, &sql, &a, &st, e);
    while (rc == RC_OK && st && (rc = store_step(st, e)) == RC_ROW) {
        rc = RC_OK;
        if (item_distance(p, m, st) > 1)
            continue;
        fs = xrealloc(fs, (n_fs + 1) * sizeof(*fs));
        fs[n_fs].row = row_json(st);
        fs[n_fs].rank = 200 + FIT_BOOST * store_int(st, 16);
        fs[n_fs].uses = store_int(st, 15);
        n_fs++;
    }
    if (rc == RC_DONE)
        rc = RC_OK;
    store_finish(st);
    if (n_fs > 1)
        qsort(fs, n_fs, sizeof(*fs), found_cmp);
    for (size_t k = 0; k < n_fs; k++) {
        if (rc == RC_OK && (int)k < limit) {
            json_object_set_new(fs[k].row, "score", json_integer(fs[k].rank));
            json_object_set_new(fs[k].row, "matched", json_string("typo"));
            json_array_append(items, fs[k].row);
        }
        json_decref(fs[k].row);
    }
    *total = (int64_t)n_fs;
    xfree(fs);
    xfree(gs.g);
    args_free(&a);
    buf_cleanup(&sql);
    return rc;
}

/* Counts a query that found nothing. A new query is logged only while the log holds fewer
 * than CATALOG_SEARCH_MISSES_MAX of them, so that anonymous callers cannot grow it without
 * bound; queries already there keep counting. */
static enum rc log_miss(struct conn *c, const char *q, int64_t now, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_begin_relaxed(c, e);
    int64_t changed = 0;
    if (rc == RC_OK)
        rc = store_prepare(c,
                           "UPDATE catalog_search_misses SET n = n + 1, last_seen = ? WHERE "
                           "query = ?",
                           &st, e);
    if (rc == RC_OK) {
        store_bind_int(st, 1, now);
        store_bind_text(st, 2, q);
        rc = store_run(st, e);
        changed = store_changes(st);
        store_finish(st);
    }
    if (rc == RC_OK && changed == 0)
        rc = store_prepare(c,
                           "INSERT INTO catalog_search_misses (query, n, first_seen, last_seen) "
                           "SELECT ?, 1, ?, ? WHERE (SELECT COUNT(*) FROM catalog_search_misses) "
                           "< ? ON CONFLICT (query) DO UPDATE SET n = catalog_search_misses.n + "
                           "1, last_seen = excluded.last_seen",
                           &st, e);
    if (rc == RC_OK && changed == 0) {
        store_bind_text(st, 1, q);
        store_bind_int(st, 2, now);
        store_bind_int(st, 3, now);
        store_bind_int(st, 4, CATALOG_SEARCH_MISSES_MAX);
        rc = store_run(st, e);
        store_finish(st);
    }
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (store_in_txn(c))
        store_rollback(c);
    return rc;
}

/* What one pass of a search looks for. */
struct found_in {
    char (*words)[Q_BYTES];
    size_t n_words;
    const struct codes *hits, *members;
    char (*keys)[8];
    size_t n_keys;
    int limit;
};

/* Appends to items the best f->limit rows of one pass (chunks: pinyin initials in pieces),
 * *total the number of rows. */
static enum rc search_pass(struct conn *c, const struct found_in *f, bool chunks, json_t *items,
                           int64_t *total, struct err *e)
{
    struct buf sql, where;
    struct args a = {0}, wa = {0};
    struct stmt *st = NULL;
    const struct codes *hits = f->hits, *members = f->members;
    int limit = f->limit;
    buf_init(&sql, 64 * 1024);
    buf_init(&where, 64 * 1024);
    *total = 0;
    enum rc rc = RC_OK;
    /* The rows: every word matches, or a synonym or bundle names the item. */
    if (rc == RC_OK)
        rc = buf_printf(&where, " WHERE (1 = 1");
    for (size_t k = 0; rc == RC_OK && k < f->n_words; k++)
        rc = word_cond(c, f->words[k], chunks, &where, &wa);
    if (rc == RC_OK)
        rc = buf_append(&where, ")", 1);
    for (size_t i = 0; rc == RC_OK && i < hits->n + members->n; i++) {
        rc = buf_printf(&where, "%s?", i ? ", " : " OR s.basic_code IN (");
        arg_str(&wa, i < hits->n ? hits->v[i] : members->v[i - hits->n]);
    }
    if (rc == RC_OK && hits->n + members->n)
        rc = buf_append(&where, ")", 1);
    /* The best of them (a top-N sort: no window over every match, which a two-character
     * query can make thousands). */
    if (rc == RC_OK)
        rc = buf_printf(&sql, "SELECT " ROW_COLS ", ");
    if (rc == RC_OK)
        rc = rank_case(c, f->words[0], hits, members, &sql, &a);
    if (rc == RC_OK)
        rc = buf_printf(&sql, " + %d * ", FIT_BOOST);
    if (rc == RC_OK)
        rc = fit_expr(f->keys, f->n_keys, &sql, &a);
    if (rc == RC_OK)
        rc = buf_printf(&sql,
                        " AS score FROM catalog_search s LEFT JOIN catalog_usage u ON "
                        "u.impl_id = s.impl_id%s ORDER BY score DESC, uses DESC, s.impl_id "
                        "LIMIT ?",
                        buf_str(&where));
    for (size_t i = 0; i < wa.n; i++)
        arg_str(&a, wa.v[i]);
    arg_int(&a, limit);
    if (rc == RC_OK)
        rc = prepare_args(c, &sql, &a, &st, e);
    while (rc == RC_OK && (rc = store_step(st, e)) == RC_ROW) {
        rc = RC_OK;
        json_t *row = row_json(st);
        int64_t score = store_int(st, 16);
        (*total)++;
        json_object_set_new(row, "score", json_integer(score));
        json_object_set_new(row, "matched",
                            json_string(how_name(score % 50 ? score - FIT_BOOST : score)));
        json_array_append_new(items, row);
    }
    if (rc == RC_DONE)
        rc = RC_OK;
    store_finish(st);
    st = NULL;
    /* A full page: count them all. */
    if (rc == RC_OK && *total == limit) {
        buf_reset(&sql);
        rc = buf_printf(&sql, "SELECT COUNT(*) FROM catalog_search s%s", buf_str(&where));
        if (rc == RC_OK)
            rc = prepare_args(c, &sql, &wa, &st, e);
        if (rc == RC_OK && (rc = store_step(st, e)) == RC_ROW) {
            *total = store_int(st, 0);
            rc = RC_OK;
        }
        store_finish(st);
    }
    args_free(&a);
    args_free(&wa);
    buf_cleanup(&sql);
    buf_cleanup(&where);
    return rc;
}

enum rc catalog_search(struct conn *c, const struct catalog_search_query *q, int64_t now,
                       json_t **out, struct err *e)
{
    *out = NULL;
    char norm[Q_BYTES];
    catalog_search_normalize(q->q, norm, sizeof(norm));
    if (!norm[0])
        return err_set(e, RC_INVALID, "q", "请输入要查找的事项名称或关键词");
    int limit = q->limit < 1                          ? 10
                : q->limit > CATALOG_SEARCH_LIMIT_MAX ? CATALOG_SEARCH_LIMIT_MAX
                                                      : q->limit;
    char words[MAX_TOKENS][Q_BYTES];
    size_t n_words = 0;
    char tmp[Q_BYTES];
    snprintf(tmp, sizeof(tmp), "%s", norm);
    for (char *save = NULL, *t = strtok_r(tmp, " ", &save); t && n_words < MAX_TOKENS;
         t = strtok_r(NULL, " ", &save))
        snprintf(words[n_words++], sizeof(words[0]), "%s", t);
    char keys[6][8];
    size_t n_keys = industry_keys(q->industry, keys);

    struct codes hits = {0}, members = {0};
    json_t *items = json_array(), *bundles = json_array();
    int64_t total = 0;
    enum rc rc = synonym_hits(c, norm, &hits, e);
    if (rc == RC_OK)
        rc = bundle_hits(c, norm, &hits, &members, bundles, e);
    struct found_in f = {words, n_words, &hits, &members, keys, n_keys, limit};
    if (rc == RC_OK)
        rc = search_pass(c, &f, false, items, &total, e);
    /* Pinyin initials of words typed in another order (kbqy for 企业开办): each two-letter
     * piece among the initials, only when the letters as typed found nothing. */
    size_t n0 = strlen(words[0]);
    if (rc == RC_OK && total == 0 && n_words == 1 && all_letters(words[0]) && n0 >= 4 &&
        n0 % 2 == 0)
        rc = search_pass(c, &f, true, items, &total, e);
    if (rc == RC_OK && total == 0 && n_words == 1 && utf8_len(norm) >= 3)
        rc = fuzzy(c, norm, keys, n_keys, limit, items, &total, e);
    if (rc == RC_OK && total == 0 && json_array_size(bundles) == 0) {
        enum rc lr = log_miss(c, norm, now, e);
        if (lr)
            log_warn("catalog search: the miss of \"%s\" was not logged: %s", norm, e->msg);
    }
    if (rc == RC_OK)
        *out = json_pack("{s:o, s:I, s:o, s:s}", "items", items, "total", (json_int_t)total,
                         "bundles", bundles, "query", norm);
    else {
        json_decref(items);
        json_decref(bundles);
    }
    codes_free(&hits);
    codes_free(&members);
    return rc;
}
