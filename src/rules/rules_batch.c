/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules_batch: the columnar evaluator. A table keeps one column per fact: int64
 * values (int, money, decimal × 10^4, date days, bool), dictionary ids for codes, or
 * 64-bit tag masks, each with a presence bitmap. A run walks the rows in chunks of
 * RULES_CHUNK_WORDS × 64; per chunk every distinct leaf of the set is evaluated once
 * into a TRUE and a FALSE bitmap (UNKNOWN = neither), each policy's tree is then
 * combined word-wise with Kleene logic (AND: T = ∧T, F = ∨F; OR: dual; NOT swaps),
 * amounts are computed for the rows that are not ineligible, and the second pass runs
 * per row on the hits of grouped policies. Chunks are split among pthreads.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/mem.h"
#include "rules_int.h"

#define CHUNK_WORDS 32 /* 512 rows per chunk: leaf bitmaps stay in L2 */

/* ---- the table ------------------------------------------------------------------------ */

struct col {
    int64_t *v;        /* numeric values */
    uint32_t *code;    /* code dictionary ids */
    uint64_t *tags;    /* tag masks */
    uint64_t *present; /* bitmap */
    char **dict;       /* code dictionary */
    size_t n_dict, cap_dict;
    uint32_t *hash;    /* open addressing over dict ids + 1 */
    size_t hcap;
};

struct rules_table {
    const struct rules_catalog *cat;
    size_t n_rows, n_words;
    struct col *cols;
};

struct rules_table *rules_table_new(const struct rules_catalog *cat, size_t n_rows)
{
    struct rules_table *t = xcalloc(1, sizeof(*t));
    t->cat = cat;
    t->n_rows = n_rows;
    t->n_words = (n_rows + 63) / 64;
    t->cols = xcalloc(cat->n ? cat->n : 1, sizeof(*t->cols));
    return t;
}

void rules_table_free(struct rules_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->cat->n; i++) {
        struct col *c = &t->cols[i];
        xfree(c->v);
        xfree(c->code);
        xfree(c->tags);
        xfree(c->present);
        for (size_t k = 0; k < c->n_dict; k++)
            xfree(c->dict[k]);
        xfree(c->dict);
        xfree(c->hash);
    }
    xfree(t->cols);
    xfree(t);
}

size_t rules_table_rows(const struct rules_table *t)
{
    return t->n_rows;
}

/* Allocates the column of fact i (padded to whole chunks, so scans never bound-check). */
static struct col *column(struct rules_table *t, int i)
{
    struct col *c = &t->cols[i];
    if (c->present)
        return c;
    size_t words = (t->n_words + CHUNK_WORDS - 1) / CHUNK_WORDS * CHUNK_WORDS + CHUNK_WORDS;
    size_t rows = words * 64;
    c->present = xcalloc(words, sizeof(uint64_t));
    switch (t->cat->facts[i].type) {
    case RULES_CODE:
        c->code = xcalloc(rows, sizeof(uint32_t));
        break;
    case RULES_TAGSET:
        c->tags = xcalloc(rows, sizeof(uint64_t));
        break;
    default:
        c->v = xcalloc(rows, sizeof(int64_t));
    }
    return c;
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static uint32_t intern(struct col *c, const char *s)
{
    if (c->n_dict * 2 >= c->hcap) {
        size_t cap = c->hcap ? c->hcap * 2 : 64;
        uint32_t *h = xcalloc(cap, sizeof(uint32_t));
        for (size_t k = 0; k < c->n_dict; k++) {
            size_t pos = hash_str(c->dict[k]) & (cap - 1);
            while (h[pos])
                pos = (pos + 1) & (cap - 1);
            h[pos] = (uint32_t)k + 1;
        }
        xfree(c->hash);
        c->hash = h;
        c->hcap = cap;
    }
    size_t pos = hash_str(s) & (c->hcap - 1);
    while (c->hash[pos]) {
        if (strcmp(c->dict[c->hash[pos] - 1], s) == 0)
            return c->hash[pos] - 1;
        pos = (pos + 1) & (c->hcap - 1);
    }
    if (c->n_dict == c->cap_dict) {
        c->cap_dict = c->cap_dict ? c->cap_dict * 2 : 64;
        c->dict = xrealloc(c->dict, c->cap_dict * sizeof(char *));
    }
    c->dict[c->n_dict] = xstrdup(s);
    c->hash[pos] = (uint32_t)c->n_dict + 1;
    return (uint32_t)c->n_dict++;
}

enum rc rules_table_set(struct rules_table *t, size_t row, int fact, const char *canon,
                        struct err *e)
{
    if (fact < 0 || (size_t)fact >= t->cat->n || row >= t->n_rows)
        return err_set(e, RC_INVALID, NULL, "行或事实编号超出范围");
    const struct rules__fact *f = &t->cat->facts[fact];
    struct rules__val v;
    if (!rules__parse_val(t->cat, f, canon, &v))
        return err_set(e, RC_INVALID, f->name, "%s（%s）的值 \"%.64s\" 格式不正确", f->label,
                       f->name, canon);
    struct col *c = column(t, fact);
    if (f->type == RULES_CODE)
        c->code[row] = intern(c, v.code);
    else if (f->type == RULES_TAGSET)
        c->tags[row] = v.tags;
    else
        c->v[row] = v.i;
    c->present[row / 64] |= 1ULL << (row % 64);
    return RC_OK;
}

void rules_table_set_int(struct rules_table *t, size_t row, int fact, int64_t v)
{
    if (fact < 0 || (size_t)fact >= t->cat->n || row >= t->n_rows)
        return;
    enum rules_type type = t->cat->facts[fact].type;
    if (type == RULES_CODE || type == RULES_TAGSET)
        return;
    struct col *c = column(t, fact);
    c->v[row] = type == RULES_BOOL ? v != 0 : v;
    c->present[row / 64] |= 1ULL << (row % 64);
}

/* Fills vals[fact] for one row from the table (for amounts and tiers). */
static void row_val(const struct rules_table *t, int fact, size_t row, struct rules__val *v)
{
    const struct col *c = &t->cols[fact];
    memset(v, 0, offsetof(struct rules__val, code) + 1);
    if (!c->present || !(c->present[row / 64] >> (row % 64) & 1))
        return;
    v->present = true;
    switch (t->cat->facts[fact].type) {
    case RULES_CODE:
        snprintf(v->code, sizeof(v->code), "%s", c->dict[c->code[row]]);
        break;
    case RULES_TAGSET:
        v->tags = c->tags[row];
        break;
    default:
        v->i = c->v[row];
    }
}

/* ---- kernels ---------------------------------------------------------------------------- */

enum kkind { K_NONE, K_RANGE, K_LIST, K_CODE, K_TAG_ANY, K_TAG_ALL, K_EXISTS, K_MANUAL };

struct kern {
    enum kkind kind;
    const struct col *col;
    uint64_t lo, span; /* K_RANGE: (uint64)(x - lo) <= span */
    bool neg;          /* K_RANGE, K_LIST: the complement */
    const int64_t *list;
    size_t n_list;
    uint8_t *match;    /* K_CODE: per dictionary id */
    uint64_t mask;
};

static void range(struct kern *k, int64_t lo, int64_t hi, bool neg)
{
    k->kind = K_RANGE;
    k->lo = (uint64_t)lo;
    k->span = (uint64_t)hi - (uint64_t)lo;
    k->neg = neg;
}

static void kern_init(struct kern *k, const struct rules_table *t, const struct rules__leaf *l,
                      int64_t today)
{
    memset(k, 0, sizeof(*k));
    if (l->op == OP_MANUAL) {
        k->kind = K_MANUAL;
        return;
    }
    const struct col *c = &t->cols[l->fact];
    const struct rules__fact *f = &t->cat->facts[l->fact];
    k->col = c;
    if (l->op == OP_EXISTS) {
        k->kind = K_EXISTS;
        return;
    }
    if (!c->present) {
        k->kind = K_NONE;
        return;
    }
    if (f->type == RULES_CODE) {
        k->kind = K_CODE;
        k->match = xcalloc(c->n_dict ? c->n_dict : 1, 1);
        for (size_t i = 0; i < c->n_dict; i++)
            k->match[i] = rules__code_match(l, f->code_kind, c->dict[i]);
        return;
    }
    if (f->type == RULES_TAGSET) {
        k->kind = l->op == OP_HAS_ALL ? K_TAG_ALL : K_TAG_ANY;
        k->mask = l->mask;
        return;
    }
    switch (l->op) {
    case OP_EQ: range(k, l->a, l->a, false); break;
    case OP_NE: range(k, l->a, l->a, true); break;
    case OP_LT: range(k, INT64_MIN, l->a - 1, false); break;
    case OP_LE: range(k, INT64_MIN, l->a, false); break;
    case OP_GT: range(k, l->a + 1, INT64_MAX, false); break;
    case OP_GE: range(k, l->a, INT64_MAX, false); break;
    case OP_BETWEEN: range(k, l->a, l->b, false); break;
    case OP_IN:
    case OP_NOT_IN:
        k->kind = K_LIST;
        k->list = l->list;
        k->n_list = l->n_list;
        k->neg = l->op == OP_NOT_IN;
        break;
    case OP_YEARS_SINCE: {
        /* years >= n  <=>  date <= limit(n) */
        int64_t ln = rules__years_limit(today, l->a), ln1 = rules__years_limit(today, l->a + 1);
        switch (l->cmp) {
        case OP_GE: range(k, INT64_MIN, ln, false); break;
        case OP_LT: range(k, INT64_MIN, ln, true); break;
        case OP_GT: range(k, INT64_MIN, ln1, false); break;
        case OP_LE: range(k, INT64_MIN, ln1, true); break;
        case OP_EQ: range(k, ln1 + 1, ln, false); break;
        default: range(k, ln1 + 1, ln, true); break;
        }
        break;
    }
    default:
        k->kind = K_NONE;
    }
}

static bool list_has(const int64_t *list, size_t n, int64_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (list[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && list[lo] == x;
}

/* Evaluates kernel k on words [w0, w0 + CHUNK_WORDS) into T and F. */
static void kern_run(const struct kern *k, size_t w0, uint64_t *T, uint64_t *F)
{
    const struct col *c = k->col;
    for (int w = 0; w < CHUNK_WORDS; w++) {
        size_t base = (w0 + (size_t)w) * 64;
        uint64_t pr = c && c->present ? c->present[w0 + (size_t)w] : 0, m = 0;
        switch (k->kind) {
        case K_NONE:
        case K_MANUAL:
            T[w] = F[w] = 0;
            continue;
        case K_EXISTS:
            T[w] = pr;
            F[w] = ~pr;
            continue;
        case K_RANGE: {
            const int64_t *x = c->v + base;
            uint64_t lo = k->lo, span = k->span;
            for (int j = 0; j < 64; j++)
                m |= (uint64_t)((uint64_t)x[j] - lo <= span) << j;
            break;
        }
        case K_LIST:
            for (int j = 0; j < 64; j++)
                if (pr >> j & 1)
                    m |= (uint64_t)list_has(k->list, k->n_list, c->v[base + (size_t)j]) << j;
            break;
        case K_CODE: {
            const uint32_t *x = c->code + base;
            for (int j = 0; j < 64; j++)
                m |= (uint64_t)k->match[x[j]] << j;
            break;
        }
        case K_TAG_ANY: {
            const uint64_t *x = c->tags + base;
            for (int j = 0; j < 64; j++)
                m |= (uint64_t)((x[j] & k->mask) != 0) << j;
            break;
        }
        case K_TAG_ALL: {
            const uint64_t *x = c->tags + base;
            for (int j = 0; j < 64; j++)
                m |= (uint64_t)((x[j] & k->mask) == k->mask) << j;
            break;
        }
        }
        if (k->neg)
            m = ~m;
        T[w] = m & pr;
        F[w] = ~m & pr;
    }
}

/* ---- the run ------------------------------------------------------------------------------- */

#define CHUNK_ROWS (CHUNK_WORDS * 64)

struct job {
    const struct rules_set *set;
    const struct rules_table *t;
    const struct kern *kerns;
    int64_t today;
    size_t n_chunks;
    atomic_size_t *next;         /* the next chunk to take (threads take chunks as they go) */
    rules_batch_cb cb;
    void *ctx;
    struct rules_counts *counts; /* per policy, this thread's */
    const bool *grouped;         /* per policy: in an exclusive or cap group */
    int max_k;                   /* the largest at_least K of the set */
};

struct worker {
    const struct job *job;
    uint64_t *lt, *lf;        /* leaf bitmaps: n_leaves × CHUNK_WORDS */
    uint64_t *scratch;        /* per depth: T and F */
    uint64_t *atleast;        /* at_least counters per depth: (max_k + 1) × 2 × CHUNK_WORDS */
    uint64_t ones[CHUNK_WORDS], zeros[CHUNK_WORDS];
    struct rules_hit *hits, *sorted;
    size_t n_hits, cap_hits;
    uint32_t row_start[CHUNK_ROWS + 1];
    struct rules__val *vals;  /* per catalogue fact, for amounts */
    struct rules__pass *pass; /* per policy, for the second pass */
};

static bool all_ones(const uint64_t *w)
{
    uint64_t a = ~0ULL;
    for (int i = 0; i < CHUNK_WORDS; i++)
        a &= w[i];
    return a == ~0ULL;
}

/*
 * Evaluates node n of p for the current chunk; *T and *F point at the result (the
 * leaf bitmaps themselves, or the scratch of this depth).
 */
static void wnode(struct worker *wk, const struct rules_policy *p, int n, int depth,
                  bool manual_true, const uint64_t **T, const uint64_t **F)
{
    const struct rules__node *nd = &p->nodes[n];
    if (nd->kind == N_LEAF) {
        const struct rules__leaf *l = &p->leaves[nd->leaf];
        if (l->op == OP_MANUAL) {
            *T = manual_true ? wk->ones : wk->zeros;
            *F = wk->zeros;
            return;
        }
        size_t g = (size_t)p->gleaf[nd->leaf];
        *T = wk->lt + g * CHUNK_WORDS;
        *F = wk->lf + g * CHUNK_WORDS;
        return;
    }
    uint64_t *oT = wk->scratch + (size_t)depth * 2 * CHUNK_WORDS, *oF = oT + CHUNK_WORDS;
    const uint64_t *kT, *kF;
    if (nd->kind == N_NOT) {
        wnode(wk, p, nd->kids[0], depth + 1, manual_true, &kT, &kF);
        *T = kF;
        *F = kT;
        return;
    }
    if (nd->kind == N_ALL || nd->kind == N_ANY) {
        /* all: T = ∧T, F = ∨F; any is the dual (T and F swapped). Once every row is
         * decided FALSE (all) or TRUE (any), the other children cannot change it. */
        bool all = nd->kind == N_ALL;
        uint64_t *acc_and = all ? oT : oF, *acc_or = all ? oF : oT;
        wnode(wk, p, nd->kids[0], depth + 1, manual_true, &kT, &kF);
        const uint64_t *a0 = all ? kT : kF, *o0 = all ? kF : kT;
        memcpy(acc_and, a0, sizeof(uint64_t) * CHUNK_WORDS);
        memcpy(acc_or, o0, sizeof(uint64_t) * CHUNK_WORDS);
        for (int i = 1; i < nd->n_kids && !all_ones(acc_or); i++) {
            wnode(wk, p, nd->kids[i], depth + 1, manual_true, &kT, &kF);
            const uint64_t *ka = all ? kT : kF, *ko = all ? kF : kT;
            for (int w = 0; w < CHUNK_WORDS; w++) {
                acc_and[w] &= ka[w];
                acc_or[w] |= ko[w];
            }
        }
        *T = oT;
        *F = oF;
        return;
    }
    /* at_least K: c[j] = "at least j of the children so far", for TRUE and for not-FALSE. */
    int K = nd->k;
    uint64_t *ct = wk->atleast + (size_t)depth * ((size_t)wk->job->max_k + 1) * 2 * CHUNK_WORDS;
    uint64_t *cn = ct + (size_t)(K + 1) * CHUNK_WORDS;
    memset(ct, 0, (size_t)(K + 1) * 2 * CHUNK_WORDS * sizeof(uint64_t));
    for (int w = 0; w < CHUNK_WORDS; w++)
        ct[w] = cn[w] = ~0ULL;
    for (int i = 0; i < nd->n_kids; i++) {
        wnode(wk, p, nd->kids[i], depth + 1, manual_true, &kT, &kF);
        int top = i + 1 < K ? i + 1 : K;
        for (int j = top; j >= 1; j--)
            for (int w = 0; w < CHUNK_WORDS; w++) {
                ct[(size_t)j * CHUNK_WORDS + w] |= ct[(size_t)(j - 1) * CHUNK_WORDS + w] & kT[w];
                cn[(size_t)j * CHUNK_WORDS + w] |= cn[(size_t)(j - 1) * CHUNK_WORDS + w] & ~kF[w];
            }
    }
    for (int w = 0; w < CHUNK_WORDS; w++) {
        oT[w] = ct[(size_t)K * CHUNK_WORDS + w];
        oF[w] = ~cn[(size_t)K * CHUNK_WORDS + w];
    }
    *T = oT;
    *F = oF;
}

/* The amount of policy p for row (before the second pass). */
static enum rules_amount row_amount(struct worker *wk, const struct rules_policy *p, size_t row,
                                    int64_t *fen)
{
    const struct rules__amount *a = &p->amounts[p->amount];
    if (a->kind == A_FIXED) {
        *fen = a->fixed;
        return RULES_AMOUNT_KNOWN;
    }
    for (int k = 0; k < p->n_amount_facts; k++)
        row_val(wk->job->t, p->amount_facts[k], row, &wk->vals[p->amount_facts[k]]);
    return rules__amount_eval(p, p->amount, wk->vals, wk->job->today, fen);
}

static void add_hit(struct worker *wk, size_t row, size_t pi, enum rules_outcome o)
{
    const struct rules_policy *p = wk->job->set->pols[pi];
    if (wk->n_hits == wk->cap_hits) {
        wk->cap_hits = wk->cap_hits ? wk->cap_hits * 2 : 4096;
        wk->hits = xrealloc(wk->hits, wk->cap_hits * sizeof(*wk->hits));
        wk->sorted = xrealloc(wk->sorted, wk->cap_hits * sizeof(*wk->sorted));
    }
    struct rules_hit *h = &wk->hits[wk->n_hits++];
    memset(h, 0, sizeof(*h));
    h->row = row;
    h->policy = pi;
    h->outcome = o;
    if (p->amount >= 0)
        h->amount_state = row_amount(wk, p, row, &h->amount);
}

/*
 * Second pass, amount totals and callback for the hits of the chunk starting at row r0.
 * Hits were made policy by policy; a counting sort by row keeps them in policy order.
 */
static void flush(struct worker *wk, size_t r0)
{
    const struct job *j = wk->job;
    const struct rules_set *set = j->set;
    if (!wk->n_hits)
        return;
    uint32_t *start = wk->row_start;
    memset(start, 0, sizeof(wk->row_start));
    for (size_t i = 0; i < wk->n_hits; i++)
        start[wk->hits[i].row - r0 + 1]++;
    for (size_t r = 0; r < CHUNK_ROWS; r++)
        start[r + 1] += start[r];
    for (size_t i = 0; i < wk->n_hits; i++)
        wk->sorted[start[wk->hits[i].row - r0]++] = wk->hits[i];
    /* start[r] is now the end of row r's hits */
    size_t a = 0;
    for (size_t r = 0; r < CHUNK_ROWS && a < wk->n_hits; r++) {
        size_t b = start[r];
        if (a == b)
            continue;
        bool grouped = false;
        for (size_t i = a; i < b && !grouped; i++)
            grouped = j->grouped[wk->sorted[i].policy];
        if (grouped) {
            for (size_t i = a; i < b; i++) {
                const struct rules_hit *h = &wk->sorted[i];
                wk->pass[h->policy] = (struct rules__pass){h->outcome, h->amount_state, h->amount,
                                                           0, false};
            }
            rules__second_pass(set, wk->pass);
            for (size_t i = a; i < b; i++) {
                struct rules_hit *h = &wk->sorted[i];
                struct rules__pass *pr = &wk->pass[h->policy];
                h->amount_state = pr->state;
                h->amount = pr->amount;
                h->excluded_by = pr->excluded_by;
                h->capped = pr->capped;
                memset(pr, 0, sizeof(*pr));
            }
        }
        for (size_t i = a; i < b; i++) {
            const struct rules_hit *h = &wk->sorted[i];
            if (h->outcome == RULES_ELIGIBLE && h->amount_state == RULES_AMOUNT_KNOWN)
                j->counts[h->policy].amount_total += h->amount;
            if (j->cb)
                j->cb(j->ctx, h);
        }
        a = b;
    }
    wk->n_hits = 0;
}

/* Runs policy pi on the current chunk (words from w0): counts, amounts, hits. */
static void run_policy(struct worker *wk, size_t pi, size_t w0, const uint64_t *valid)
{
    const struct job *j = wk->job;
    const struct rules_policy *p = j->set->pols[pi];
    struct rules_counts *cnt = &j->counts[pi];
    const uint64_t *T, *F;
    wnode(wk, p, p->root, 0, false, &T, &F);
    uint64_t E[CHUNK_WORDS], U[CHUNK_WORDS], M[CHUNK_WORDS], any_e = 0, any_u = 0;
    for (int w = 0; w < CHUNK_WORDS; w++) {
        E[w] = T[w] & valid[w];
        U[w] = ~(T[w] | F[w]) & valid[w];
        M[w] = 0;
        any_e |= E[w];
        any_u |= U[w];
    }
    if (!any_e && !any_u) /* the common case: ineligible is counted at the end */
        return;
    if (any_u && p->has_manual) {
        const uint64_t *Tm, *Fm;
        wnode(wk, p, p->root, 0, true, &Tm, &Fm);
        for (int w = 0; w < CHUNK_WORDS; w++)
            M[w] = U[w] & Tm[w];
    }
    /* Hit records only where someone needs them: the callback, or the second pass
     * (which looks at eligible results only). Otherwise counts and amounts directly. */
    bool cb = j->cb != NULL, grouped = j->grouped[pi];
    bool fixed = p->amount >= 0 && p->amounts[p->amount].kind == A_FIXED;
    for (int w = 0; w < CHUNK_WORDS; w++) {
        if (!(E[w] | U[w]))
            continue;
        size_t ne = (size_t)__builtin_popcountll(E[w]), nm = (size_t)__builtin_popcountll(M[w]),
               nu = (size_t)__builtin_popcountll(U[w]);
        cnt->eligible += ne;
        cnt->manual += nm;
        cnt->possibly += nu - nm;
        uint64_t hit = cb ? E[w] | U[w] : grouped ? E[w] : 0;
        while (hit) {
            int b = __builtin_ctzll(hit);
            hit &= hit - 1;
            size_t row = (w0 + (size_t)w) * 64 + (size_t)b;
            enum rules_outcome o = E[w] >> b & 1   ? RULES_ELIGIBLE
                                   : M[w] >> b & 1 ? RULES_MANUAL
                                                   : RULES_POSSIBLY;
            add_hit(wk, row, pi, o);
        }
        if (cb || grouped || p->amount < 0 || !E[w])
            continue;
        if (fixed) {
            cnt->amount_total += (int64_t)ne * p->amounts[p->amount].fixed;
            continue;
        }
        for (uint64_t e = E[w]; e;) {
            int b = __builtin_ctzll(e);
            e &= e - 1;
            int64_t fen;
            if (row_amount(wk, p, (w0 + (size_t)w) * 64 + (size_t)b, &fen) == RULES_AMOUNT_KNOWN)
                cnt->amount_total += fen;
        }
    }
}

static void *work(void *arg)
{
    struct worker *wk = arg;
    const struct job *j = wk->job;
    const struct rules_set *set = j->set;
    size_t nl = set->n_leaves ? set->n_leaves : 1;
    wk->lt = xmalloc(nl * CHUNK_WORDS * sizeof(uint64_t));
    wk->lf = xmalloc(nl * CHUNK_WORDS * sizeof(uint64_t));
    wk->scratch = xmalloc((RULES_MAX_DEPTH + 4) * 2 * CHUNK_WORDS * sizeof(uint64_t));
    wk->atleast = xmalloc((RULES_MAX_DEPTH + 4) * ((size_t)j->max_k + 1) * 2 * CHUNK_WORDS *
                          sizeof(uint64_t));
    wk->vals = xcalloc(set->cat->n ? set->cat->n : 1, sizeof(*wk->vals));
    wk->pass = xcalloc(set->n ? set->n : 1, sizeof(*wk->pass));
    for (int w = 0; w < CHUNK_WORDS; w++) {
        wk->ones[w] = ~0ULL;
        wk->zeros[w] = 0;
    }
    size_t n_rows = j->t->n_rows;
    for (;;) {
        size_t ch = atomic_fetch_add(j->next, 1);
        if (ch >= j->n_chunks)
            break;
        size_t w0 = ch * CHUNK_WORDS;
        uint64_t valid[CHUNK_WORDS];
        for (int w = 0; w < CHUNK_WORDS; w++) {
            size_t r0 = (w0 + (size_t)w) * 64;
            valid[w] = r0 >= n_rows ? 0 : n_rows - r0 >= 64 ? ~0ULL : (1ULL << (n_rows - r0)) - 1;
        }
        for (size_t g = 0; g < set->n_leaves; g++)
            kern_run(&j->kerns[g], w0, wk->lt + g * CHUNK_WORDS, wk->lf + g * CHUNK_WORDS);
        for (size_t pi = 0; pi < set->n; pi++)
            run_policy(wk, pi, w0, valid);
        flush(wk, w0 * 64);
    }
    xfree(wk->lt);
    xfree(wk->lf);
    xfree(wk->scratch);
    xfree(wk->atleast);
    xfree(wk->vals);
    xfree(wk->pass);
    xfree(wk->hits);
    xfree(wk->sorted);
    return NULL;
}

enum rc rules_batch_run(const struct rules_set *set, const struct rules_table *t, int64_t today,
                        int n_threads, rules_batch_cb cb, void *ctx,
                        struct rules_counts *counts_out, struct err *e)
{
    if (t->cat != set->cat)
        return err_set(e, RC_INVALID, NULL, "数据表与规则集的事实目录不一致");
    if (n_threads < 1)
        n_threads = 1;
    if (n_threads > 64)
        n_threads = 64;
    struct kern *kerns = xcalloc(set->n_leaves ? set->n_leaves : 1, sizeof(*kerns));
    for (size_t g = 0; g < set->n_leaves; g++)
        kern_init(&kerns[g], t, set->leaves[g], today);
    size_t n_chunks = (t->n_words + CHUNK_WORDS - 1) / CHUNK_WORDS;
    if ((size_t)n_threads > n_chunks)
        n_threads = n_chunks ? (int)n_chunks : 1;
    struct job *jobs = xcalloc((size_t)n_threads, sizeof(*jobs));
    struct worker *wks = xcalloc((size_t)n_threads, sizeof(*wks));
    pthread_t *tids = xcalloc((size_t)n_threads, sizeof(*tids));
    size_t np = set->n ? set->n : 1;
    bool *grouped = xcalloc(np, sizeof(bool));
    int max_k = 1;
    for (size_t pi = 0; pi < set->n; pi++) {
        const struct rules_policy *p = set->pols[pi];
        grouped[pi] = set->group_of[pi] >= 0 || set->cap_of[pi] >= 0;
        for (int k = 0; k < p->n_nodes; k++)
            if (p->nodes[k].kind == N_ATLEAST && p->nodes[k].k > max_k)
                max_k = p->nodes[k].k;
    }
    atomic_size_t next = 0;
    for (int i = 0; i < n_threads; i++) {
        jobs[i] = (struct job){.set = set, .t = t, .kerns = kerns, .today = today,
                               .n_chunks = n_chunks, .next = &next, .cb = cb, .ctx = ctx,
                               .grouped = grouped, .max_k = max_k,
                               .counts = xcalloc(np, sizeof(struct rules_counts))};
        wks[i].job = &jobs[i];
    }
    int started = 0;
    for (int i = 1; i < n_threads; i++) {
        if (pthread_create(&tids[i], NULL, work, &wks[i]) != 0)
            break;
        started = i;
    }
    /* Threads take chunks as they go; one that could not start finds none left. */
    work(&wks[0]);
    for (int i = started + 1; i < n_threads; i++)
        work(&wks[i]);
    for (int i = 1; i <= started; i++)
        pthread_join(tids[i], NULL);
    if (counts_out) {
        memset(counts_out, 0, set->n * sizeof(*counts_out));
        for (int i = 0; i < n_threads; i++)
            for (size_t pi = 0; pi < set->n; pi++) {
                counts_out[pi].eligible += jobs[i].counts[pi].eligible;
                counts_out[pi].possibly += jobs[i].counts[pi].possibly;
                counts_out[pi].manual += jobs[i].counts[pi].manual;
                counts_out[pi].amount_total += jobs[i].counts[pi].amount_total;
            }
        for (size_t pi = 0; pi < set->n; pi++)
            counts_out[pi].ineligible = t->n_rows - counts_out[pi].eligible -
                                        counts_out[pi].possibly - counts_out[pi].manual;
    }
    for (int i = 0; i < n_threads; i++)
        xfree(jobs[i].counts);
    xfree(grouped);
    for (size_t g = 0; g < set->n_leaves; g++)
        xfree(kerns[g].match);
    xfree(kerns);
    xfree(jobs);
    xfree(wks);
    xfree(tids);
    return RC_OK;
}
