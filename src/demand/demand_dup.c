/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demand_dup: duplicate suggestions. Trigram sets are sorted arrays of 63-bit keys
 * (three 21-bit code points), so a Jaccard similarity is one merge of two arrays;
 * the demand's own set is built once and compared with at most
 * DEMAND_DUP_MAX_SCAN candidates.
 */
#include "demand_dup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../auth/auth.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../ent/ent.h"
#include "../store/store.h"
#include "demand.h"

/* ---- trigrams ------------------------------------------------------------------ */

/* Decodes one code point at *s, advancing it; invalid bytes give U+FFFD. */
static uint32_t next_cp(const unsigned char **s)
{
    const unsigned char *p = *s;
    uint32_t c = p[0];
    int n = c < 0x80             ? 0
            : (c & 0xE0) == 0xC0 ? 1
            : (c & 0xF0) == 0xE0 ? 2
            : (c & 0xF8) == 0xF0 ? 3
                                 : -1;
    if (n < 0) {
        *s = p + 1;
        return 0xFFFD;
    }
    if (n == 0) {
        *s = p + 1;
        return c;
    }
    c &= 0x3Fu >> n;
    for (int i = 1; i <= n; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            *s = p + 1;
            return 0xFFFD;
        }
        c = (c << 6) | (p[i] & 0x3F);
    }
    static const uint32_t min[] = {0, 0x80, 0x800, 0x10000};
    *s = p + n + 1;
    if (c < min[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0xFFFD;
    return c;
}

/* White space and punctuation carry no content: ASCII, CJK symbols, full-width forms. */
static bool ignorable(uint32_t c)
{
    if (c < 0x80)
        return !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
    if (c >= 0x2000 && c <= 0x206F) /* general punctuation, incl. “” … — */
        return true;
    if (c >= 0x3000 && c <= 0x303F) /* CJK symbols and punctuation: 、。《》「」 */
        return true;
    if (c >= 0xFF01 && c <= 0xFF65) /* full-width forms, except letters and digits */
        return !((c >= 0xFF10 && c <= 0xFF19) || (c >= 0xFF21 && c <= 0xFF3A) ||
                 (c >= 0xFF41 && c <= 0xFF5A));
    return c == 0xA0 || c == 0xFEFF;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The sorted, distinct trigram keys of s (new array in *out, count in *n). */
static void grams(const char *s, uint64_t **out, size_t *n)
{
    size_t len = strlen(s);
    uint32_t *cps = xmalloc((len + 1) * sizeof(*cps));
    size_t m = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        uint32_t c = next_cp(&p);
        if (ignorable(c))
            continue;
        if (c >= 'A' && c <= 'Z')
            c += 'a' - 'A';
        cps[m++] = c;
    }
    uint64_t *g = xmalloc((m > 2 ? m - 2 : 1) * sizeof(*g));
    size_t k = 0;
    if (m > 0 && m < 3) {
        g[k++] = ((uint64_t)cps[0] << 42) | ((uint64_t)(m > 1 ? cps[1] : 0) << 21);
    } else {
        for (size_t i = 0; i + 2 < m; i++)
            g[k++] = ((uint64_t)cps[i] << 42) | ((uint64_t)cps[i + 1] << 21) | cps[i + 2];
    }
    xfree(cps);
    if (k > 1)
        qsort(g, k, sizeof(*g), cmp_u64);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || g[u - 1] != g[i])
            g[u++] = g[i];
    *out = g;
    *n = u;
}

static double jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    if (!na && !nb)
        return 0;
    size_t i = 0, j = 0, both = 0;
    while (i < na && j < nb) {
        if (a[i] == b[j]) {
            both++;
            i++;
            j++;
        } else if (a[i] < b[j]) {
            i++;
        } else {
            j++;
        }
    }
    return (double)both / (double)(na + nb - both);
}

double demand_dup_similarity(const char *a, const char *b)
{
    uint64_t *ga, *gb;
    size_t na, nb;
    grams(a ? a : "", &ga, &na);
    grams(b ? b : "", &gb, &nb);
    double s = jaccard(ga, na, gb, nb);
    xfree(ga);
    xfree(gb);
    return s;
}

/* ---- suggestions --------------------------------------------------------------- */

struct cand {
    int64_t id, created_at;
    char no[40], state[32];
    char *title;
    double sim;
    bool same; /* same enterprise and category within the window */
};

struct cands {
    struct cand *v;
    size_t n, cap;
};

static struct cand *cand_of(struct cands *cs, int64_t id, bool *fresh)
{
    for (size_t i = 0; i < cs->n; i++)
        if (cs->v[i].id == id) {
            *fresh = false;
            return &cs->v[i];
        }
    if (cs->n == cs->cap) {
        cs->cap = cs->cap ? 2 * cs->cap : 16;
        cs->v = xrealloc(cs->v, cs->cap * sizeof(*cs->v));
    }
    struct cand *x = &cs->v[cs->n++];
    memset(x, 0, sizeof(*x));
    x->id = id;
    *fresh = true;
    return x;
}

static double score(const struct cand *x)
{
    return x->sim + (x->same ? 1.0 : 0.0);
}

static int by_score(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    double sx = score(x), sy = score(y);
    if (sx != sy)
        return sx > sy ? -1 : 1;
    return x->id > y->id ? -1 : x->id < y->id;
}

/* Runs st (columns id, no, title, content, state, created_at) and adds its rows. */
static enum rc collect(struct stmt *st, const uint64_t *base, size_t n_base, bool same,
                       struct cands *cs, struct err *e)
{
    enum rc rc;
    while ((rc = store_step(st, e)) == RC_ROW) {
        bool fresh;
        struct cand *x = cand_of(cs, store_int(st, 0), &fresh);
        if (fresh) {
            snprintf(x->no, sizeof(x->no), "%s", store_text(st, 1));
            x->title = xstrdup(store_text(st, 2) ? store_text(st, 2) : "");
            snprintf(x->state, sizeof(x->state), "%s", store_text(st, 4));
            x->created_at = store_int(st, 5);
            size_t tl = strlen(x->title);
            const char *content = store_text(st, 3) ? store_text(st, 3) : "";
            size_t cl = strlen(content);
            char *text = xmalloc(tl + cl + 2);
            memcpy(text, x->title, tl);
            text[tl] = '\n';
            memcpy(text + tl + 1, content, cl + 1);
            uint64_t *g;
            size_t n;
            grams(text, &g, &n);
            x->sim = jaccard(base, n_base, g, n);
            xfree(g);
            xfree(text);
        }
        if (same)
            x->same = true;
    }
    return rc == RC_DONE ? RC_OK : rc;
}

#define CAND_COLS "SELECT d.id, d.no, d.title, d.content, d.state, d.created_at FROM demands d "
#define DAY_MS ((int64_t)86400000)

enum rc demand_duplicates(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                          int64_t id, int days, json_t **out, struct err *e)
{
    /* The demand's own rules decide visibility: 404 for a stranger. */
    json_t *self = NULL;
    enum rc rc = demand_get(c, ctx, p, id, &self, e);
    if (rc)
        return rc;
    json_decref(self);
    if (!access_can(p, ACCESS_DEMAND_INTAKE) && !access_can(p, ACCESS_DEMAND_OVERSEE) &&
        !access_can(p, ACCESS_SCOPE_ALL))
        return err_set(e, RC_FORBIDDEN, NULL, "只有受理窗口和督办人员可查看疑似重复诉求");
    if (days < 1 || days > DEMAND_DUP_MAX_DAYS)
        return err_set(e, RC_INVALID, "days", "days 应为 1 到 %d", DEMAND_DUP_MAX_DAYS);
    struct stmt *st;
    rc = store_prepare(c,
                       "SELECT credit_code, category, region, title, content, created_at FROM "
                       "demands WHERE id = ?",
                       &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, id);
    if ((rc = store_step(st, e)) != RC_ROW) {
        store_finish(st);
        return rc == RC_DONE ? err_set(e, RC_NOTFOUND, NULL, "诉求不存在") : rc;
    }
    char credit[24], category[48], region[16];
    snprintf(credit, sizeof(credit), "%s", store_text(st, 0));
    snprintf(category, sizeof(category), "%s", store_text(st, 1));
    snprintf(region, sizeof(region), "%s", store_text(st, 2));
    const char *title = store_text(st, 3) ? store_text(st, 3) : "";
    const char *content = store_text(st, 4) ? store_text(st, 4) : "";
    size_t text_n = strlen(title) + strlen(content) + 2;
    char *text = xmalloc(text_n);
    snprintf(text, text_n, "%s\n%s", title, content);
    int64_t created = store_int(st, 5);
    store_finish(st);
    uint64_t *base;
    size_t n_base;
    grams(text, &base, &n_base);
    xfree(text);

    /* Scope of the caller, as for lists (src/access): its region for intake and
     * oversight, every region for scope.all. */
    struct access_scope scope;
    access_scope_of(
        p, access_can(p, ACCESS_DEMAND_INTAKE) ? ACCESS_DEMAND_INTAKE : ACCESS_DEMAND_OVERSEE,
        ACCESS_NONE, &scope);
    const char *lo = scope.all ? "" : scope.region_lo, *hi = scope.all ? "~" : scope.region_hi;
    struct cands cs = {0};
    int64_t window = (int64_t)days * DAY_MS;
    rc = store_prepare(c,
                       CAND_COLS "WHERE d.credit_code = ? AND d.category = ? AND d.id <> ? AND "
                                 "d.merged_into IS NULL AND d.state <> 'merged' AND d.created_at "
                                 ">= ? AND d.created_at <= ? AND d.region >= ? AND d.region < ? "
                                 "ORDER BY d.id DESC LIMIT 200",
                       &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, credit);
        store_bind_text(st, 2, category);
        store_bind_int(st, 3, id);
        store_bind_int(st, 4, created - window);
        store_bind_int(st, 5, created + window);
        store_bind_text(st, 6, lo);
        store_bind_text(st, 7, hi);
        rc = collect(st, base, n_base, true, &cs, e);
        store_finish(st);
    }
    if (rc == RC_OK)
        rc = store_prepare(c,
                           CAND_COLS "WHERE d.region = ? AND d.id <> ? AND d.merged_into IS NULL "
                                     "AND d.state <> 'merged' AND d.created_at >= ? AND "
                                     "d.created_at <= ? ORDER BY d.id DESC LIMIT ?",
                           &st, e);
    if (rc == RC_OK) {
        int64_t span = (int64_t)DEMAND_DUP_SIMILAR_DAYS * DAY_MS;
        store_bind_text(st, 1, region);
        store_bind_int(st, 2, id);
        store_bind_int(st, 3, created - span);
        store_bind_int(st, 4, created + span);
        store_bind_int(st, 5, DEMAND_DUP_MAX_SCAN);
        rc = collect(st, base, n_base, false, &cs, e);
        store_finish(st);
    }
    xfree(base);
    json_t *items = json_array();
    if (rc == RC_OK && cs.n)
        qsort(cs.v, cs.n, sizeof(*cs.v), by_score);
    for (size_t i = 0; i < cs.n; i++) {
        struct cand *x = &cs.v[i];
        bool similar = x->sim >= DEMAND_DUP_THRESHOLD;
        if (rc == RC_OK && (x->same || similar)) {
            char reason[160] = "", sid[24], at[40];
            if (x->same)
                snprintf(reason, sizeof(reason), "同一企业同类诉求（%d 天内）", days);
            if (similar) {
                size_t used = strlen(reason);
                snprintf(reason + used, sizeof(reason) - used, "%s内容相似度 %.2f",
                         used ? "；" : "", x->sim);
            }
            snprintf(sid, sizeof(sid), "%lld", (long long)x->id);
            time_fmt_cst(x->created_at, at, sizeof(at));
            enum demand_state s = DS_SUBMITTED;
            (void)demand_state_parse(x->state, &s);
            json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:b, s:s}", "id", sid, "no",
                                  x->no, "title", x->title, "state", x->state, "state_label",
                                  demand_state_label(s), "created_at", at, "similarity",
                                  (double)(int64_t)(x->sim * 10000 + 0.5) / 10000,
                                  "same_enterprise", x->same, "reason", reason);
            json_array_append_new(items, j);
        }
        xfree(x->title);
    }
    xfree(cs.v);
    if (rc) {
        json_decref(items);
        return rc;
    }
    *out = json_pack("{s:o, s:i, s:f}", "items", items, "days", days, "threshold",
                     DEMAND_DUP_THRESHOLD);
    return RC_OK;
}
