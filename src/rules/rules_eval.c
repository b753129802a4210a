/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules_eval: scalar evaluation of leaves, condition trees and amounts (shared by
 * both evaluators), the explaining row evaluator and the second pass (exclusive
 * groups, cap groups). Kleene logic throughout; a missing fact never passes a
 * comparison.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../codes/codes.h"
#include "rules_int.h"

void rules__fmt_val(const struct rules_catalog *cat, const struct rules__fact *f,
                    const struct rules__val *v, char *out, size_t n);

/* ---- scalar leaves ---------------------------------------------------------------- */

int64_t rules__years_limit(int64_t today, int64_t years)
{
    int y, m, d;
    time_civil_from_days(today, &y, &m, &d);
    int64_t ty = (int64_t)y - years;
    bool leap = (ty % 4 == 0 && ty % 100 != 0) || ty % 400 == 0;
    if (m == 2 && d == 29 && !leap)
        d = 28;
    return time_days_from_civil((int)ty, m, d);
}

/* Whole years from date to today: the anniversary of 02-29 in a common year is 03-01. */
static int64_t years_since(int64_t date, int64_t today)
{
    int y1, m1, d1, y2, m2, d2;
    time_civil_from_days(date, &y1, &m1, &d1);
    time_civil_from_days(today, &y2, &m2, &d2);
    int64_t n = (int64_t)y2 - y1;
    if (m2 < m1 || (m2 == m1 && d2 < d1))
        n--;
    return n;
}

static bool cmp_holds(enum rules__op op, int64_t x, int64_t a)
{
    switch (op) {
    case OP_EQ: return x == a;
    case OP_NE: return x != a;
    case OP_LT: return x < a;
    case OP_LE: return x <= a;
    case OP_GT: return x > a;
    case OP_GE: return x >= a;
    default: return false;
    }
}

bool rules__years_cmp(int64_t date, int64_t today, enum rules__op cmp, int64_t years)
{
    return cmp_holds(cmp, years_since(date, today), years);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool code_prefix(enum rules__code_kind kind, const char *prefix, const char *s)
{
    if (kind == CODE_INDUSTRY && prefix[0] >= 'A' && prefix[0] <= 'Z')
        return codes_industry_section(s) == prefix[0];
    return strncmp(prefix, s, strlen(prefix)) == 0;
}

bool rules__code_match(const struct rules__leaf *l, enum rules__code_kind kind, const char *s)
{
    switch (l->op) {
    case OP_EQ:
        return strcmp(l->strs[0], s) == 0;
    case OP_NE:
        return strcmp(l->strs[0], s) != 0;
    case OP_IN:
    case OP_NOT_IN: {
        bool in = bsearch(&s, l->strs, l->n_list, sizeof(char *), cmp_name) != NULL;
        return l->op == OP_IN ? in : !in;
    }
    case OP_PREFIX_IN:
        for (size_t i = 0; i < l->n_list; i++)
            if (code_prefix(kind, l->strs[i], s))
                return true;
        return false;
    default:
        return false;
    }
}

static bool in_list(const int64_t *list, size_t n, int64_t x)
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

enum rules__tv rules__leaf_eval(const struct rules_catalog *cat, const struct rules__leaf *l,
                                const struct rules__val *vals, int64_t today)
{
    if (l->op == OP_MANUAL)
        return TV_UNKNOWN;
    const struct rules__val *v = &vals[l->fact];
    if (l->op == OP_EXISTS)
        return v->present ? TV_TRUE : TV_FALSE;
    if (!v->present)
        return TV_UNKNOWN;
    const struct rules__fact *f = &cat->facts[l->fact];
    bool r = false;
    if (f->type == RULES_CODE) {
        r = rules__code_match(l, f->code_kind, v->code);
    } else if (f->type == RULES_TAGSET) {
        r = l->op == OP_HAS_ALL ? (v->tags & l->mask) == l->mask : (v->tags & l->mask) != 0;
    } else {
        switch (l->op) {
        case OP_BETWEEN: r = v->i >= l->a && v->i <= l->b; break;
        case OP_IN: r = in_list(l->list, l->n_list, v->i); break;
        case OP_NOT_IN: r = !in_list(l->list, l->n_list, v->i); break;
        case OP_YEARS_SINCE: r = rules__years_cmp(v->i, today, l->cmp, l->a); break;
        default: r = cmp_holds(l->op, v->i, l->a);
        }
    }
    return r ? TV_TRUE : TV_FALSE;
}

enum rules__tv rules__node_eval(const struct rules_policy *p, int n, const struct rules__val *vals,
                                int64_t today, enum rules__tv manual_as)
{
    const struct rules__node *nd = &p->nodes[n];
    switch (nd->kind) {
    case N_LEAF: {
        const struct rules__leaf *l = &p->leaves[nd->leaf];
        return l->op == OP_MANUAL ? manual_as : rules__leaf_eval(p->cat, l, vals, today);
    }
    case N_NOT: {
        enum rules__tv v = rules__node_eval(p, nd->kids[0], vals, today, manual_as);
        return v == TV_UNKNOWN ? v : v == TV_TRUE ? TV_FALSE : TV_TRUE;
    }
    case N_ALL:
    case N_ANY: {
        bool unknown = false;
        enum rules__tv stop = nd->kind == N_ALL ? TV_FALSE : TV_TRUE;
        for (int i = 0; i < nd->n_kids; i++) {
            enum rules__tv v = rules__node_eval(p, nd->kids[i], vals, today, manual_as);
            if (v == stop)
                return stop;
            unknown = unknown || v == TV_UNKNOWN;
        }
        return unknown ? TV_UNKNOWN : nd->kind == N_ALL ? TV_TRUE : TV_FALSE;
    }
    case N_ATLEAST: {
        int t = 0, u = 0;
        for (int i = 0; i < nd->n_kids; i++) {
            enum rules__tv v = rules__node_eval(p, nd->kids[i], vals, today, manual_as);
            t += v == TV_TRUE;
            u += v == TV_UNKNOWN;
        }
        return t >= nd->k ? TV_TRUE : t + u < nd->k ? TV_FALSE : TV_UNKNOWN;
    }
    }
    return TV_UNKNOWN;
}

/* ---- amounts ------------------------------------------------------------------------- */

/* num / den rounded half away from zero, den > 0, saturated to int64. */
static int64_t div_round(__int128 num, __int128 den)
{
    if (num > -((__int128)1 << 62) && num < ((__int128)1 << 62) && den < ((__int128)1 << 62)) {
        /* the usual case, without a 128-bit division */
        int64_t n = (int64_t)num, d = (int64_t)den;
        uint64_t q = ((uint64_t)(n < 0 ? -n : n) + (uint64_t)(d / 2)) / (uint64_t)d;
        return n < 0 ? -(int64_t)q : (int64_t)q;
    }
    __int128 q = (num < 0 ? -num : num);
    q = (q + den / 2) / den;
    if (num < 0)
        q = -q;
    if (q > INT64_MAX)
        return INT64_MAX;
    if (q < INT64_MIN)
        return INT64_MIN;
    return (int64_t)q;
}

enum rules_amount rules__amount_eval(const struct rules_policy *p, int a,
                                     const struct rules__val *vals, int64_t today, int64_t *fen)
{
    const struct rules__amount *am = &p->amounts[a];
    *fen = 0;
    switch (am->kind) {
    case A_FIXED:
        *fen = am->fixed;
        return RULES_AMOUNT_KNOWN;
    case A_RATE: {
        const struct rules__val *v = &vals[am->base];
        if (!v->present)
            return RULES_AMOUNT_UNKNOWN;
        /* money: fen × rate; int: units × rate (fen per unit); decimal: value × rate. */
        __int128 num = (__int128)v->i * am->rate;
        __int128 den = p->cat->facts[am->base].type == RULES_DECIMAL ? (__int128)10000000000LL
                                                                      : (__int128)1000000;
        int64_t x = am->round_yuan ? div_round(num, den * 100) * 100 : div_round(num, den);
        if (am->has_cap && x > am->cap)
            x = am->cap;
        if (am->has_floor && x < am->floor)
            x = am->floor;
        *fen = x;
        return RULES_AMOUNT_KNOWN;
    }
    case A_TIERS:
        for (int i = 0; i < am->n_parts; i++) {
            enum rules__tv t = rules__node_eval(p, am->when[i], vals, today, TV_UNKNOWN);
            if (t == TV_UNKNOWN)
                return RULES_AMOUNT_UNKNOWN;
            if (t == TV_TRUE)
                return rules__amount_eval(p, am->parts[i], vals, today, fen);
        }
        if (am->has_else)
            return rules__amount_eval(p, am->parts[am->n_parts], vals, today, fen);
        return RULES_AMOUNT_KNOWN;
    case A_MIN:
    case A_MAX: {
        int64_t best = 0;
        for (int i = 0; i < am->n_parts; i++) {
            int64_t x;
            if (rules__amount_eval(p, am->parts[i], vals, today, &x) != RULES_AMOUNT_KNOWN)
                return RULES_AMOUNT_UNKNOWN;
            if (i == 0 || (am->kind == A_MIN ? x < best : x > best))
                best = x;
        }
        *fen = best;
        return RULES_AMOUNT_KNOWN;
    }
    }
    return RULES_AMOUNT_UNKNOWN;
}

/* ---- second pass ------------------------------------------------------------------------- */

void rules__second_pass(const struct rules_set *set, struct rules__pass *r)
{
    /* Exclusive groups first: the highest known amount keeps it, ties to the lower id. */
    for (size_t g = 0; g < set->n_groups; g++) {
        const struct rules__group *gr = &set->groups[g];
        if (gr->is_cap)
            continue;
        long best = -1;
        for (size_t k = 0; k < gr->n; k++) {
            size_t i = gr->members[k];
            if (r[i].outcome != RULES_ELIGIBLE)
                continue;
            if (best < 0) {
                best = (long)i;
                continue;
            }
            bool known = r[i].state == RULES_AMOUNT_KNOWN,
                 best_known = r[best].state == RULES_AMOUNT_KNOWN;
            /* Members are in id order, so a strictly better amount is needed to win. */
            if ((known && !best_known) || (known && best_known && r[i].amount > r[best].amount))
                best = (long)i;
        }
        if (best < 0)
            continue;
        for (size_t k = 0; k < gr->n; k++) {
            size_t i = gr->members[k];
            if (r[i].outcome != RULES_ELIGIBLE || (long)i == best)
                continue;
            r[i].excluded_by = set->pols[best]->id;
            r[i].state = RULES_AMOUNT_KNOWN;
            r[i].amount = 0;
        }
    }
    /* Cap groups: amounts in id order until the cap; the crossing one is cut. */
    for (size_t g = 0; g < set->n_groups; g++) {
        const struct rules__group *gr = &set->groups[g];
        if (!gr->is_cap)
            continue;
        int64_t left = gr->cap;
        for (size_t k = 0; k < gr->n; k++) {
            size_t i = gr->members[k];
            if (r[i].outcome != RULES_ELIGIBLE || r[i].state != RULES_AMOUNT_KNOWN)
                continue;
            if (r[i].amount > left) {
                r[i].amount = left;
                r[i].capped = true;
            }
            left -= r[i].amount;
        }
    }
}

/* ---- explanations ------------------------------------------------------------------------ */

/*
 * An explanation is JSON text joined from the node's fragments (struct rules__node):
 *   condition:  x_head  ,"status":S  x_leaf  then  x_none                       (missing)
 *                                              or  ,"actual":"A"  x_text A x_need (present)
 *   combinator: x_head  ,"status":S  x_text <counts>"  ,"children":[ … ]}
 * Only the actual value and a combinator's counts are written per enterprise.
 */
static const struct rules__frag STATUS[4] = {
    {",\"status\":\"false\"", 17}, {",\"status\":\"true\"", 16},
    {",\"status\":\"unknown\"", 19}, {",\"status\":\"manual\"", 18}};

struct ectx {
    const struct rules_policy *p;
    const struct rules__val *vals;
    int64_t today;
    const uint8_t *lv; /* per distinct leaf of the set: its value (eval_tree reads it) */
    uint8_t *tv;    /* per node of p: its value (enum rules__tv), set by eval_tree */
    bool *missing;  /* per catalogue fact: read by an UNKNOWN leaf */
    bool auth;      /* every TRUE leaf's fact is authoritative */
    struct buf *b;  /* the explanation being written */
    bool failed;    /* b reached its cap */
    /* Per catalogue fact, its value formatted and escaped once (made on first use):
     * [fact] as it is, [n + fact] as "N年（date）" for years_since. */
    struct rules__frag *actual;
};

/* Evaluates p's conditions once by its program (struct rules__step: children first),
 * recording each node's value in x->tv, the facts of UNKNOWN leaves and authority. Leaves
 * are read from x->lv (each distinct leaf of the set is evaluated once per row); manual
 * leaves are UNKNOWN. Returns the root's value. */
static enum rules__tv eval_tree(struct ectx *x)
{
    const struct rules_policy *p = x->p;
    uint8_t *tv = x->tv;
    for (int j = 0; j < p->n_ops; j++) {
        const struct rules__step *o = &p->ops[j];
        enum rules__tv v;
        if (o->kind == N_LEAF) {
            if (o->manual) {
                v = TV_UNKNOWN;
            } else {
                v = (enum rules__tv)x->lv[o->a];
                if (v == TV_UNKNOWN)
                    x->missing[o->b] = true;
                else if (v == TV_TRUE && x->vals[o->b].present && !x->vals[o->b].auth)
                    x->auth = false;
            }
        } else {
            int t = 0, u = 0, fl = 0;
            const int32_t *kid = p->op_kids + o->a;
            for (int i = 0; i < o->b; i++) {
                uint8_t kv = tv[kid[i]];
                t += kv == TV_TRUE;
                u += kv == TV_UNKNOWN;
                fl += kv == TV_FALSE;
            }
            switch (o->kind) {
            case N_ALL: v = fl ? TV_FALSE : u ? TV_UNKNOWN : TV_TRUE; break;
            case N_ANY: v = t ? TV_TRUE : u ? TV_UNKNOWN : TV_FALSE; break;
            case N_NOT: v = u ? TV_UNKNOWN : t ? TV_FALSE : TV_TRUE; break;
            default: v = t >= o->k ? TV_TRUE : t + u < o->k ? TV_FALSE : TV_UNKNOWN;
            }
        }
        tv[o->node] = (uint8_t)v;
    }
    return (enum rules__tv)tv[p->root];
}

static void put(struct ectx *x, const struct rules__frag *f)
{
    if (!x->failed && buf_append(x->b, f->s, f->n))
        x->failed = true;
}

static void put_raw(struct ectx *x, const char *s, size_t n)
{
    if (!x->failed && buf_append(x->b, s, n))
        x->failed = true;
}

/* Returns fact's value val as escaped JSON text (without quotes), formatted on first use
 * into actual (per fact: [fact] as it is, [n + fact] "N年（date）" when years). */
static const struct rules__frag *actual_fmt(const struct rules_catalog *cat,
                                            struct rules__frag *actual, bool years, int fact,
                                            const struct rules__val *val, int64_t today)
{
    struct rules__frag *a = &actual[(years ? cat->n : 0) + (size_t)fact];
    if (a->s)
        return a;
    const struct rules__fact *f = &cat->facts[fact];
    char text[512];
    if (years) {
        char d[64];
        rules__fmt_val(cat, f, val, d, sizeof(d));
        snprintf(text, sizeof(text), "%lld年（%s）", (long long)years_since(val->i, today), d);
    } else {
        rules__fmt_val(cat, f, val, text, sizeof(text));
    }
    struct buf t;
    buf_init(&t, SIZE_MAX / 2);
    rules__escape(&t, text);
    a->n = buf_len(&t);
    a->s = buf_take(&t);
    if (!a->s)
        a->s = xstrdup("");
    return a;
}

/* Returns the actual value of fact l->fact as escaped JSON text (without quotes),
 * formatting it on first use; val is present. */
static const struct rules__frag *actual_of(struct ectx *x, const struct rules__leaf *l,
                                           const struct rules__val *val)
{
    return actual_fmt(x->p->cat, x->actual, l->op == OP_YEARS_SINCE, l->fact, val, x->today);
}

/* Frees the formatted values of n facts (both halves). */
static void actual_free(struct rules__frag *a, size_t n)
{
    if (!a)
        return;
    for (size_t i = 0; i < 2 * n; i++)
        xfree(a[i].s);
    xfree(a);
}

/* Appends a small non-negative number. */
static void put_num(struct ectx *x, int v)
{
    char tmp[16], *q = tmp + sizeof(tmp);
    unsigned u = v < 0 ? 0u : (unsigned)v;
    do {
        *--q = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    put_raw(x, q, (size_t)(tmp + sizeof(tmp) - q));
}

#define PUT_LIT(x, s) put_raw((x), (s), sizeof(s) - 1)

/* Writes the explanation of node n from the values eval_tree recorded. */
static void write_node(struct ectx *x, int n)
{
    const struct rules_policy *p = x->p;
    const struct rules__node *nd = &p->nodes[n];
    enum rules__tv v = (enum rules__tv)x->tv[n];
    put(x, &nd->x_head);
    if (nd->kind == N_LEAF) {
        const struct rules__leaf *l = &p->leaves[nd->leaf];
        bool manual = l->op == OP_MANUAL;
        put(x, &STATUS[manual ? 3 : v]);
        put(x, &nd->x_leaf);
        const struct rules__val *val = manual ? NULL : &x->vals[l->fact];
        if (manual || !val->present) {
            put(x, &nd->x_none);
            return;
        }
        const struct rules__frag *a = actual_of(x, l, val);
        PUT_LIT(x, ",\"actual\":\"");
        put(x, a);
        PUT_LIT(x, "\"");
        put(x, &nd->x_text);
        put(x, a);
        put(x, &nd->x_need);
        return;
    }
    int t = 0, u = 0, fl = 0;
    for (int i = 0; i < nd->n_kids; i++) {
        enum rules__tv kv = (enum rules__tv)x->tv[nd->kids[i]];
        t += kv == TV_TRUE;
        u += kv == TV_UNKNOWN;
        fl += kv == TV_FALSE;
    }
    put(x, &STATUS[v]);
    put(x, &nd->x_text);
    if (nd->kind == N_NOT) {
        if (t)
            PUT_LIT(x, "下列条件成立\"");
        else if (fl)
            PUT_LIT(x, "下列条件不成立\"");
        else
            PUT_LIT(x, "下列条件待定\"");
    } else if (nd->kind == N_ATLEAST) {
        PUT_LIT(x, "满足 ");
        put_num(x, t);
        PUT_LIT(x, " 项，需至少 ");
        put_num(x, nd->k);
        PUT_LIT(x, " 项\"");
    } else {
        PUT_LIT(x, "满足 ");
        put_num(x, t);
        PUT_LIT(x, " 项，不满足 ");
        put_num(x, fl);
        PUT_LIT(x, " 项，待定 ");
        put_num(x, u);
        PUT_LIT(x, " 项\"");
    }
    PUT_LIT(x, ",\"children\":[");
    for (int i = 0; i < nd->n_kids; i++) {
        if (i)
            PUT_LIT(x, ",");
        write_node(x, nd->kids[i]);
    }
    PUT_LIT(x, "]}");
}

/* ---- row evaluation ------------------------------------------------------------------------ */

const char *rules_outcome_name(enum rules_outcome o)
{
    static const char *const names[] = {"ineligible", "possibly_eligible", "manual_review",
                                        "eligible"};
    return names[o];
}

struct rank {
    const char *name;
    size_t count;
};

static int cmp_rank(const void *a, const void *b)
{
    const struct rank *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->name, y->name);
}

enum rc rules_eval(const struct rules_set *set, const struct rules_facts *f, int64_t today,
                   unsigned flags, struct rules_row **out, struct err *e)
{
    *out = NULL;
    if (f->cat != set->cat)
        return err_set(e, RC_INVALID, NULL, "事实与规则集的事实目录不一致");
    const struct rules_catalog *cat = set->cat;
    size_t n_cat = cat->n ? cat->n : 1;
    struct rules_row *row = xcalloc(1, sizeof(*row));
    row->n = set->n;
    row->results = xcalloc(set->n ? set->n : 1, sizeof(*row->results));
    struct rules__pass *pass = xcalloc(set->n ? set->n : 1, sizeof(*pass));
    bool *missing = xcalloc(n_cat, sizeof(bool));
    size_t *counts = xcalloc(n_cat, sizeof(size_t));
    struct buf text;
    buf_init(&text, RULES_MAX_EXPLAIN);
    size_t *at = (flags & RULES_EXPLAIN) ? xcalloc(set->n + 1, sizeof(size_t)) : NULL;
    bool failed = at && buf_reserve(&text, set->x_size) != RC_OK;
    /* Each distinct leaf once (339 for 1,100 generated policies), then the trees. */
    uint8_t *lv = xmalloc(set->n_leaves ? set->n_leaves : 1);
    for (size_t k = 0; k < set->n_leaves; k++) {
        const struct rules__leaf *l = set->leaves[k];
        lv[k] = (uint8_t)(l->op == OP_MANUAL ? TV_UNKNOWN
                                             : rules__leaf_eval(cat, l, f->vals, today));
    }
    row->set_ = set;
    row->tv_ = xmalloc(set->node_off[set->n] ? set->node_off[set->n] : 1);
    row->n_facts_ = cat->n;
    if (at)
        row->actual_ = xcalloc(2 * n_cat, sizeof(*row->actual_));
    for (size_t i = 0; i < set->n; i++) {
        const struct rules_policy *p = set->pols[i];
        struct rules_result *r = &row->results[i];
        memset(missing, 0, n_cat * sizeof(bool));
        struct ectx x = {.p = p, .vals = f->vals, .today = today, .lv = lv,
                         .tv = row->tv_ + set->node_off[i], .missing = missing, .auth = true,
                         .b = &text, .actual = row->actual_};
        enum rules__tv v = eval_tree(&x);
        if (at) {
            at[i] = buf_len(&text);
            write_node(&x, p->root);
            failed |= x.failed;
        }
        r->policy_id = p->id;
        r->authoritative = x.auth;
        if (v == TV_TRUE)
            r->outcome = RULES_ELIGIBLE;
        else if (v == TV_FALSE)
            r->outcome = RULES_INELIGIBLE;
        else if (p->has_manual &&
                 rules__node_eval(p, p->root, f->vals, today, TV_TRUE) == TV_TRUE)
            r->outcome = RULES_MANUAL;
        else
            r->outcome = RULES_POSSIBLY;
        if (r->outcome == RULES_POSSIBLY) {
            size_t n = 0;
            for (size_t k = 0; k < cat->n; k++)
                n += missing[k];
            r->missing = xcalloc(n ? n : 1, sizeof(char *));
            for (size_t k = 0; k < cat->n; k++)
                if (missing[k]) {
                    counts[k]++;
                    r->missing[r->n_missing++] = cat->facts[k].name;
                }
            qsort(r->missing, r->n_missing, sizeof(char *), cmp_name);
        }
        if (r->outcome != RULES_INELIGIBLE && p->amount >= 0)
            r->amount_state = rules__amount_eval(p, p->amount, f->vals, today, &r->amount);
        r->amount_before = r->amount;
        pass[i] = (struct rules__pass){r->outcome, r->amount_state, r->amount, 0, false};
    }
    rules__second_pass(set, pass);
    if (at) {
        at[set->n] = buf_len(&text);
        row->text_ = buf_take(&text);
    }
    for (size_t i = 0; i < set->n; i++) {
        struct rules_result *r = &row->results[i];
        if (at && row->text_) {
            r->explanation = row->text_ + at[i];
            r->explanation_len = at[i + 1] - at[i];
        }
        r->amount_state = pass[i].state;
        r->amount = pass[i].amount;
        r->excluded_by = pass[i].excluded_by;
        r->capped = pass[i].capped;
    }
    size_t n = 0;
    for (size_t k = 0; k < cat->n; k++)
        n += counts[k] > 0;
    struct rank *ranks = xcalloc(n ? n : 1, sizeof(*ranks));
    n = 0;
    for (size_t k = 0; k < cat->n; k++)
        if (counts[k])
            ranks[n++] = (struct rank){cat->facts[k].name, counts[k]};
    qsort(ranks, n, sizeof(*ranks), cmp_rank);
    row->missing = xcalloc(n ? n : 1, sizeof(char *));
    row->missing_counts = xcalloc(n ? n : 1, sizeof(size_t));
    for (size_t k = 0; k < n; k++) {
        row->missing[k] = ranks[k].name;
        row->missing_counts[k] = ranks[k].count;
    }
    row->n_missing = n;
    xfree(ranks);
    xfree(pass);
    xfree(missing);
    xfree(counts);
    xfree(at);
    xfree(lv);
    buf_cleanup(&text);
    if (failed) {
        rules_row_free(row);
        return err_set(e, RC_TOOLARGE, NULL, "条件说明过长（超过 %d MB）",
                       RULES_MAX_EXPLAIN >> 20);
    }
    *out = row;
    return RC_OK;
}

void rules_row_free(struct rules_row *row)
{
    if (!row)
        return;
    for (size_t i = 0; i < row->n; i++) {
        xfree(row->results[i].missing);
    }
    xfree(row->text_);
    xfree(row->tv_);
    actual_free(row->actual_, row->n_facts_);
    xfree(row->results);
    xfree(row->missing);
    xfree(row->missing_counts);
    xfree(row);
}

void rules_row_verify(struct rules_row *row)
{
    for (size_t i = 0; row && i < row->n; i++) {
        struct rules_result *r = &row->results[i];
        if (r->outcome == RULES_ELIGIBLE && !r->authoritative) {
            r->outcome = RULES_POSSIBLY;
            r->to_verify = true;
        }
    }
}

json_t *rules_result_explanation(const struct rules_result *r)
{
    if (!r->explanation)
        return NULL;
    return json_loadb(r->explanation, r->explanation_len, 0, NULL);
}

enum rc rules_explain(const struct rules_set *set, struct rules_row *row,
                      const struct rules_facts *f, int64_t today, size_t i, struct buf *out,
                      struct err *e)
{
    if (f->cat != set->cat || i >= set->n || row->set_ != set || !row->tv_)
        return err_set(e, RC_INVALID, NULL, "无法说明：事实目录或规则集不一致，或政策不在规则集中");
    if (!row->actual_)
        row->actual_ = xcalloc(2 * (set->cat->n ? set->cat->n : 1), sizeof(*row->actual_));
    struct ectx x = {.p = set->pols[i], .vals = f->vals, .today = today,
                     .tv = row->tv_ + set->node_off[i], .b = out, .actual = row->actual_};
    write_node(&x, x.p->root);
    if (x.failed)
        return err_set(e, RC_TOOLARGE, NULL, "条件说明过长");
    return RC_OK;
}

size_t rules_explain_nodes(const struct rules_set *set, size_t i)
{
    return i < set->n ? (size_t)set->pols[i]->n_ops : 0;
}

enum rc rules_explain_status(const struct rules_set *set, const struct rules_row *row, size_t i,
                             char *out, struct err *e)
{
    if (i >= set->n || row->set_ != set || !row->tv_)
        return err_set(e, RC_INVALID, NULL, "无法说明：规则集不一致，或政策不在规则集中");
    const struct rules_policy *p = set->pols[i];
    const uint8_t *tv = row->tv_ + set->node_off[i];
    for (int j = p->n_ops - 1; j >= 0; j--) { /* the program backwards: the tree's order */
        const struct rules__step *o = &p->ops[j];
        *out++ = o->manual ? 'm' : "ftu"[tv[o->node] < 3 ? tv[o->node] : 2];
    }
    return RC_OK;
}

enum rc rules_explain_values(const struct rules_set *set, struct rules_row *row,
                             const struct rules_facts *f, int64_t today, bool years,
                             struct buf *out, struct err *e)
{
    const struct rules_catalog *cat = set->cat;
    if (f->cat != cat || row->set_ != set)
        return err_set(e, RC_INVALID, NULL, "无法说明：事实目录或规则集不一致");
    if (!row->actual_)
        row->actual_ = xcalloc(2 * (cat->n ? cat->n : 1), sizeof(*row->actual_));
    uint8_t want = years ? FACT_YEARS : FACT_PLAIN;
    enum rc rc = buf_append(out, "{", 1);
    bool first = true;
    for (size_t k = 0; k < cat->n && rc == RC_OK; k++) {
        const struct rules__val *val = &f->vals[k];
        if (!(set->fact_use[k] & want) || !val->present)
            continue;
        const struct rules__frag *a = actual_fmt(cat, row->actual_, years, (int)k, val, today);
        /* Fact names are identifiers ([a-z0-9_], rules_catalog_add_fact): no escaping. */
        if ((rc = buf_append(out, first ? "\"" : ",\"", first ? 1 : 2)) == RC_OK &&
            (rc = buf_puts(out, cat->facts[k].name)) == RC_OK &&
            (rc = buf_append(out, "\":\"", 3)) == RC_OK &&
            (rc = buf_append(out, a->s, a->n)) == RC_OK)
            rc = buf_append(out, "\"", 1);
        first = false;
    }
    if (rc == RC_OK)
        rc = buf_append(out, "}", 1);
    return rc ? err_set(e, RC_TOOLARGE, NULL, "条件说明过长") : RC_OK;
}

size_t rules_set_explain_size(const struct rules_set *set)
{
    return set->x_size;
}
