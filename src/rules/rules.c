/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules: the fact catalogue, fact values, named conditions, the display of values,
 * sets with shared leaves (and each policy's evaluation program) and one enterprise's
 * facts. The compiler is in rules_compile.c; the explanation fragments and templates
 * and the export to JsonLogic are in rules_explain.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/jsonx.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../codes/codes.h"
#include "rules_int.h"

/* ---- catalogue ---------------------------------------------------------------- */

struct rules_catalog *rules_catalog_new(void)
{
    return xcalloc(1, sizeof(struct rules_catalog));
}

void rules_catalog_free(struct rules_catalog *cat)
{
    if (!cat)
        return;
    for (size_t i = 0; i < cat->n; i++) {
        xfree(cat->facts[i].name);
        xfree(cat->facts[i].label);
        xfree(cat->facts[i].unit);
        xfree(cat->facts[i].code_values);
    }
    xfree(cat->facts);
    for (int i = 0; i < cat->n_tags; i++) {
        xfree(cat->tag_code[i]);
        xfree(cat->tag_label[i]);
    }
    xfree(cat);
}

int rules_catalog_add_fact(struct rules_catalog *cat, const char *name, enum rules_type type,
                           const char *label, const char *unit, const char *code_values)
{
    if (rules_catalog_fact_index(cat, name) >= 0 || !name[0])
        return -1;
    for (const char *c = name; *c; c++) /* identifiers: written into JSON unescaped */
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
            return -1;
    if (cat->n == cat->cap) {
        cat->cap = cat->cap ? cat->cap * 2 : 32;
        cat->facts = xrealloc(cat->facts, cat->cap * sizeof(*cat->facts));
    }
    struct rules__fact *f = &cat->facts[cat->n];
    f->name = xstrdup(name);
    f->label = xstrdup(label ? label : name);
    f->unit = xstrdup(unit ? unit : "");
    f->code_values = xstrdup(code_values ? code_values : "");
    f->type = type;
    f->code_kind = CODE_PLAIN;
    if (type == RULES_CODE && strcmp(name, "region") == 0)
        f->code_kind = CODE_REGION;
    else if (type == RULES_CODE && strcmp(name, "industry") == 0)
        f->code_kind = CODE_INDUSTRY;
    return (int)cat->n++;
}

int rules__tag_index(const struct rules_catalog *cat, const char *code)
{
    for (int i = 0; i < cat->n_tags; i++)
        if (strcmp(cat->tag_code[i], code) == 0)
            return i;
    return -1;
}

int rules_catalog_add_tag(struct rules_catalog *cat, const char *code, const char *label)
{
    if (cat->n_tags == RULES_MAX_TAGS || rules__tag_index(cat, code) >= 0)
        return -1;
    cat->tag_code[cat->n_tags] = xstrdup(code);
    cat->tag_label[cat->n_tags] = xstrdup(label ? label : code);
    return cat->n_tags++;
}

int rules_catalog_fact_index(const struct rules_catalog *cat, const char *name)
{
    for (size_t i = 0; i < cat->n; i++)
        if (strcmp(cat->facts[i].name, name) == 0)
            return (int)i;
    return -1;
}

size_t rules_catalog_size(const struct rules_catalog *cat)
{
    return cat->n;
}

const char *rules_catalog_fact_name(const struct rules_catalog *cat, int i)
{
    return cat->facts[i].name;
}

const char *rules_catalog_fact_label(const struct rules_catalog *cat, int i)
{
    return cat->facts[i].label;
}

enum rules_type rules_catalog_fact_type(const struct rules_catalog *cat, int i)
{
    return cat->facts[i].type;
}

/* ---- values --------------------------------------------------------------------- */

/* Parses an integer of at most 18 digits (optionally negative); false otherwise. */
static bool parse_i64(const char *s, int64_t *out)
{
    bool neg = *s == '-';
    if (neg)
        s++;
    if (!*s || strlen(s) > 18)
        return false;
    int64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (*s - '0');
    }
    *out = neg ? -v : v;
    return true;
}

/* Parses a decimal with at most places fractional digits into value × 10^places. */
bool rules__parse_fixed(const char *s, int places, int64_t *out)
{
    bool neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    if (!(*s >= '0' && *s <= '9'))
        return false;
    int64_t ip = 0;
    int digits = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (++digits > 13)
            return false;
        ip = ip * 10 + (*s - '0');
    }
    int64_t frac = 0;
    int n = 0;
    if (*s == '.') {
        s++;
        if (!(*s >= '0' && *s <= '9'))
            return false;
        for (; *s >= '0' && *s <= '9'; s++) {
            if (n == places) {
                if (*s != '0')
                    return false;
                continue;
            }
            frac = frac * 10 + (*s - '0');
            n++;
        }
    }
    if (*s)
        return false;
    for (; n < places; n++)
        frac *= 10;
    int64_t scale = 1;
    for (int i = 0; i < places; i++)
        scale *= 10;
    *out = (ip * scale + frac) * (neg ? -1 : 1);
    return true;
}

bool rules__parse_date(const char *s, int64_t *days)
{
    int y, m, d;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    y = atoi(s);
    m = atoi(s + 5);
    d = atoi(s + 8);
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1800 || y > 2200 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] ||
        (m == 2 && d == 29 && !leap))
        return false;
    *days = time_days_from_civil(y, m, d);
    return true;
}

bool rules__parse_val(const struct rules_catalog *cat, const struct rules__fact *f,
                      const char *canon, struct rules__val *v)
{
    memset(v, 0, sizeof(*v));
    switch (f->type) {
    case RULES_INT:
    case RULES_MONEY:
        if (!parse_i64(canon, &v->i))
            return false;
        break;
    case RULES_DECIMAL:
        if (!rules__parse_fixed(canon, 4, &v->i))
            return false;
        break;
    case RULES_DATE:
        if (!rules__parse_date(canon, &v->i))
            return false;
        break;
    case RULES_BOOL:
        if (strcmp(canon, "true") == 0)
            v->i = 1;
        else if (strcmp(canon, "false") != 0)
            return false;
        break;
    case RULES_CODE: {
        size_t len = strlen(canon);
        if (len == 0 || len >= RULES_CODE_MAX)
            return false;
        memcpy(v->code, canon, len + 1);
        break;
    }
    case RULES_TAGSET:
        for (const char *p = canon; *p;) {
            const char *e = strchr(p, ';');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            char tag[RULES_MAX_STRING + 1];
            if (len > 0 && len <= RULES_MAX_STRING) {
                memcpy(tag, p, len);
                tag[len] = '\0';
                int t = rules__tag_index(cat, tag);
                if (t >= 0)
                    v->tags |= 1ULL << t;
            }
            p += len + (e ? 1 : 0);
        }
        break;
    }
    v->present = true;
    return true;
}

/* Jansson's iterators take non-const objects; they do not modify them. */
json_t *rules__unconst(const json_t *j)
{
    json_t *o;
    memcpy(&o, &j, sizeof(o));
    return o;
}

/* ---- named conditions ------------------------------------------------------------- */

struct rules_named {
    char **names;
    json_t **defs;
    size_t n;
};

struct rules_named *rules_named_new(void)
{
    return xcalloc(1, sizeof(struct rules_named));
}

void rules_named_free(struct rules_named *nc)
{
    if (!nc)
        return;
    for (size_t i = 0; i < nc->n; i++) {
        xfree(nc->names[i]);
        json_decref(nc->defs[i]);
    }
    xfree(nc->names);
    xfree(nc->defs);
    xfree(nc);
}

const json_t *rules__named_find(const struct rules_named *nc, const char *name)
{
    for (size_t i = 0; nc && i < nc->n; i++)
        if (strcmp(nc->names[i], name) == 0)
            return nc->defs[i];
    return NULL;
}

enum rc rules_named_add(struct rules_named *nc, const json_t *def, struct err *e)
{
    if (!json_is_object(def))
        return err_set(e, RC_INVALID, "", "命名条件应为对象");
    const json_t *name = json_object_get(def, "name"), *node = json_object_get(def, "node"),
                 *label = json_object_get(def, "label");
    if (!json_is_string(name) || !json_string_length(name) ||
        json_string_length(name) > RULES_MAX_STRING)
        return err_set(e, RC_INVALID, "name", "name: 命名条件的名称应为非空字符串");
    if (label && (!json_is_string(label) || json_string_length(label) > RULES_MAX_STRING))
        return err_set(e, RC_INVALID, "label", "label: 应为不超过 512 字节的字符串");
    if (!json_is_object(node))
        return err_set(e, RC_INVALID, "node", "node: 命名条件的内容应为条件对象");
    if (rules__named_find(nc, json_string_value(name)))
        return err_set(e, RC_EXISTS, "name", "name: 命名条件 \"%s\" 已存在",
                       json_string_value(name));
    nc->names = xrealloc(nc->names, (nc->n + 1) * sizeof(char *));
    nc->defs = xrealloc(nc->defs, (nc->n + 1) * sizeof(json_t *));
    nc->names[nc->n] = xstrdup(json_string_value(name));
    nc->defs[nc->n] = json_incref(rules__unconst(def));
    nc->n++;
    return RC_OK;
}

/* ---- display ------------------------------------------------------------------------ */

/* Writes a fixed-point value with up to places decimals, trailing zeros dropped. */
void rules__fmt_fixed(int64_t v, int places, char *out, size_t n)
{
    int64_t scale = 1;
    for (int i = 0; i < places; i++)
        scale *= 10;
    uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    int len = snprintf(out, n, "%s%llu", v < 0 ? "-" : "", (unsigned long long)(a / scale));
    uint64_t frac = a % scale;
    if (frac && len > 0 && (size_t)len < n) {
        char f[24];
        snprintf(f, sizeof(f), "%0*llu", places, (unsigned long long)frac);
        for (int i = places - 1; i > 0 && f[i] == '0'; i--)
            f[i] = '\0';
        snprintf(out + len, n - (size_t)len, ".%s", f);
    }
}

/* Renders a numeric value of fact f: money 800万元 / 12.5元, int 120人, decimal 12.5%, dates. */
void rules__fmt_num(const struct rules__fact *f, int64_t v, char *out, size_t n)
{
    char tmp[48];
    switch (f->type) {
    case RULES_MONEY:
        if (v >= 1000000 || v <= -1000000) {
            rules__fmt_fixed(v, 6, tmp, sizeof(tmp));
            snprintf(out, n, "%s万元", tmp);
        } else {
            rules__fmt_fixed(v, 2, tmp, sizeof(tmp));
            snprintf(out, n, "%s元", tmp);
        }
        return;
    case RULES_DECIMAL:
        rules__fmt_fixed(v, 4, tmp, sizeof(tmp));
        snprintf(out, n, "%s%s", tmp, f->unit);
        return;
    case RULES_DATE: {
        int y, m, d;
        time_civil_from_days(v, &y, &m, &d);
        snprintf(out, n, "%04d-%02d-%02d", y, m, d);
        return;
    }
    case RULES_BOOL:
        snprintf(out, n, "%s", v ? "是" : "否");
        return;
    default:
        snprintf(out, n, "%lld%s", (long long)v, f->unit);
    }
}

/* Renders a code (or code prefix) with its Chinese name where one is known. */
void rules__fmt_code(const struct rules__fact *f, const char *code, char *out, size_t n)
{
    if (f->code_kind == CODE_REGION) {
        char full[6 + 1] = "";
        size_t len = strlen(code);
        if (len <= 6) {
            memcpy(full, code, len);
            for (size_t i = len; i < 6; i++)
                full[i] = '0';
            full[6] = '\0';
        }
        char name[CODES_FULL_NAME_MAX];
        if (len <= 6 && codes_region_full_name(full, name, sizeof(name))) {
            snprintf(out, n, "%s（%s）", name, code);
            return;
        }
    } else if (f->code_kind == CODE_INDUSTRY) {
        const struct codes_industry *ind = codes_industry_find(code);
        if (ind) {
            snprintf(out, n, "%s（%s）", ind->name, code);
            return;
        }
    }
    snprintf(out, n, "%s", code);
}

/* ---- sets ------------------------------------------------------------------------------ */

/* Appends node n's subtree to p's program in preorder (make_program reverses it). */
static void program_walk(struct rules_policy *p, int n, int *n_kids)
{
    const struct rules__node *nd = &p->nodes[n];
    struct rules__step *o = &p->ops[p->n_ops++];
    o->kind = (uint8_t)nd->kind;
    o->node = n;
    o->k = nd->k;
    if (nd->kind == N_LEAF) {
        const struct rules__leaf *l = &p->leaves[nd->leaf];
        o->manual = l->op == OP_MANUAL;
        o->a = p->gleaf[nd->leaf];
        o->b = l->fact;
        return;
    }
    o->a = *n_kids;
    o->b = nd->n_kids;
    for (int i = 0; i < nd->n_kids; i++)
        p->op_kids[(*n_kids)++] = nd->kids[i];
    for (int i = 0; i < nd->n_kids; i++)
        program_walk(p, nd->kids[i], n_kids);
}

/* Makes p's evaluation program (struct rules__step) once its leaves are numbered in the set. */
static void make_program(struct rules_policy *p)
{
    size_t kids = 0;
    for (int i = 0; i < p->n_nodes; i++)
        kids += (size_t)p->nodes[i].n_kids;
    xfree(p->ops);
    xfree(p->op_kids);
    p->ops = xcalloc(p->n_nodes ? (size_t)p->n_nodes : 1, sizeof(*p->ops));
    p->op_kids = xcalloc(kids ? kids : 1, sizeof(*p->op_kids));
    p->n_ops = 0;
    int n_kids = 0;
    program_walk(p, p->root, &n_kids);
    for (int i = 0, j = p->n_ops - 1; i < j; i++, j--) {
        struct rules__step t = p->ops[i];
        p->ops[i] = p->ops[j];
        p->ops[j] = t;
    }
}


/* A small open-addressing map from leaf key to global leaf index. */
static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int find_group(struct rules_set *set, const char ***names, const char *name, bool is_cap)
{
    for (size_t i = 0; i < set->n_groups; i++)
        if (set->groups[i].is_cap == is_cap && strcmp((*names)[i], name) == 0)
            return (int)i;
    set->groups = xrealloc(set->groups, (set->n_groups + 1) * sizeof(*set->groups));
    *names = xrealloc(*names, (set->n_groups + 1) * sizeof(char *));
    memset(&set->groups[set->n_groups], 0, sizeof(set->groups[0]));
    set->groups[set->n_groups].is_cap = is_cap;
    set->groups[set->n_groups].cap = INT64_MAX;
    (*names)[set->n_groups] = name;
    return (int)set->n_groups++;
}

static const struct rules_set *sort_set; /* only read inside rules_set_new's qsort */

static int cmp_member(const void *a, const void *b)
{
    int64_t x = sort_set->pols[*(const size_t *)a]->id, y = sort_set->pols[*(const size_t *)b]->id;
    return (x > y) - (x < y);
}

static int cmp_by_id(const void *a, const void *b)
{
    const struct rules__by_id *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

struct rules_set *rules_set_new(const struct rules_catalog *cat, struct rules_policy **policies,
                                size_t n)
{
    struct rules_set *set = xcalloc(1, sizeof(*set));
    atomic_init(&set->refs, 1);
    set->cat = cat;
    set->n = n;
    set->pols = xcalloc(n ? n : 1, sizeof(*set->pols));
    set->group_of = xcalloc(n ? n : 1, sizeof(int));
    set->cap_of = xcalloc(n ? n : 1, sizeof(int));
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        set->pols[i] = policies[i];
        total += (size_t)policies[i]->n_leaves;
        set->x_size += policies[i]->x_size;
    }
    set->by_id = xcalloc(n ? n : 1, sizeof(*set->by_id));
    for (size_t i = 0; i < n; i++)
        set->by_id[i] = (struct rules__by_id){policies[i]->id, i};
    set->node_off = xcalloc(n + 1, sizeof(size_t));
    for (size_t i = 0; i < n; i++)
        set->node_off[i + 1] = set->node_off[i] + (size_t)policies[i]->n_nodes;
    qsort(set->by_id, n, sizeof(*set->by_id), cmp_by_id);
    size_t cap = 16;
    while (cap < total * 2)
        cap *= 2;
    int *map = xmalloc(cap * sizeof(int));
    memset(map, 0xff, cap * sizeof(int));
    set->leaves = xcalloc(total ? total : 1, sizeof(*set->leaves));
    for (size_t i = 0; i < n; i++) {
        struct rules_policy *p = set->pols[i];
        xfree(p->gleaf);
        p->gleaf = xcalloc(p->n_leaves ? (size_t)p->n_leaves : 1, sizeof(int));
        for (int k = 0; k < p->n_leaves; k++) {
            const struct rules__leaf *l = &p->leaves[k];
            size_t h = hash_str(l->key) & (cap - 1);
            while (map[h] >= 0 && strcmp(set->leaves[map[h]]->key, l->key) != 0)
                h = (h + 1) & (cap - 1);
            if (map[h] < 0) {
                map[h] = (int)set->n_leaves;
                set->leaves[set->n_leaves++] = l;
            }
            p->gleaf[k] = map[h];
        }
        make_program(p);
    }
    xfree(map);
    set->fact_use = xcalloc(cat->n ? cat->n : 1, 1);
    for (size_t k = 0; k < set->n_leaves; k++) {
        const struct rules__leaf *l = set->leaves[k];
        if (l->op != OP_MANUAL)
            set->fact_use[l->fact] |= l->op == OP_YEARS_SINCE ? FACT_YEARS : FACT_PLAIN;
    }
    const char **names = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct rules_policy *p = set->pols[i];
        set->group_of[i] = set->cap_of[i] = -1;
        for (int kind = 0; kind < 2; kind++) {
            const char *name = kind ? p->cap_group : p->exclusive_group;
            if (!name)
                continue;
            int g = find_group(set, &names, name, kind == 1);
            struct rules__group *gr = &set->groups[g];
            gr->members = xrealloc(gr->members, (gr->n + 1) * sizeof(size_t));
            gr->members[gr->n++] = i;
            if (kind) {
                set->cap_of[i] = g;
                if (p->cap < gr->cap)
                    gr->cap = p->cap;
            } else {
                set->group_of[i] = g;
            }
        }
    }
    xfree(names);
    sort_set = set;
    for (size_t g = 0; g < set->n_groups; g++)
        qsort(set->groups[g].members, set->groups[g].n, sizeof(size_t), cmp_member);
    sort_set = NULL;
    return set;
}

struct rules_set *rules_set_incref(struct rules_set *set)
{
    if (set)
        atomic_fetch_add(&set->refs, 1);
    return set;
}

void rules_set_free(struct rules_set *set)
{
    if (!set || atomic_fetch_sub(&set->refs, 1) != 1)
        return;
    for (size_t i = 0; i < set->n; i++)
        rules_policy_free(set->pols[i]);
    for (size_t g = 0; g < set->n_groups; g++)
        xfree(set->groups[g].members);
    xfree(set->groups);
    xfree(set->pols);
    xfree(set->leaves);
    xfree(set->group_of);
    xfree(set->cap_of);
    xfree(set->by_id);
    xfree(set->node_off);
    xfree(set->fact_use);
    xfree(set);
}

size_t rules_set_size(const struct rules_set *set)
{
    return set->n;
}

const struct rules_policy *rules_set_policy(const struct rules_set *set, size_t i)
{
    return i < set->n ? set->pols[i] : NULL;
}

long rules_set_find(const struct rules_set *set, int64_t policy_id)
{
    struct rules__by_id key = {policy_id, 0};
    const struct rules__by_id *hit =
        set->n ? bsearch(&key, set->by_id, set->n, sizeof(key), cmp_by_id) : NULL;
    return hit ? (long)hit->i : -1;
}

size_t rules_set_leaves(const struct rules_set *set)
{
    return set->n_leaves;
}

/* ---- facts ------------------------------------------------------------------------------- */

struct rules_facts *rules_facts_new(const struct rules_catalog *cat)
{
    struct rules_facts *f = xcalloc(1, sizeof(*f));
    f->cat = cat;
    f->vals = xcalloc(cat->n ? cat->n : 1, sizeof(*f->vals));
    return f;
}

void rules_facts_free(struct rules_facts *f)
{
    if (!f)
        return;
    xfree(f->vals);
    xfree(f);
}

void rules_facts_clear(struct rules_facts *f)
{
    memset(f->vals, 0, (f->cat->n ? f->cat->n : 1) * sizeof(*f->vals));
}

enum rc rules_facts_set(struct rules_facts *f, const char *name, const char *canon,
                        bool authoritative, struct err *e)
{
    int i = rules_catalog_fact_index(f->cat, name);
    if (i < 0)
        return err_set(e, RC_NOTFOUND, name, "未知的事实 \"%.64s\"", name);
    struct rules__val v;
    if (!rules__parse_val(f->cat, &f->cat->facts[i], canon, &v))
        return err_set(e, RC_INVALID, name, "%s（%s）的值 \"%.64s\" 格式不正确",
                       f->cat->facts[i].label, name, canon);
    v.auth = authoritative;
    f->vals[i] = v;
    return RC_OK;
}

enum rc rules_facts_add_tag(struct rules_facts *f, const char *name, const char *tag,
                            bool authoritative, struct err *e)
{
    int i = rules_catalog_fact_index(f->cat, name);
    if (i < 0 || f->cat->facts[i].type != RULES_TAGSET)
        return err_set(e, RC_NOTFOUND, name, "未知的标签类事实 \"%.64s\"", name);
    struct rules__val *v = &f->vals[i];
    if (!v->present)
        v->auth = authoritative;
    else
        v->auth = v->auth && authoritative;
    v->present = true;
    int t = rules__tag_index(f->cat, tag);
    if (t >= 0)
        v->tags |= 1ULL << t;
    return RC_OK;
}

void rules_facts_unset(struct rules_facts *f, const char *name)
{
    int i = rules_catalog_fact_index(f->cat, name);
    if (i >= 0)
        memset(&f->vals[i], 0, sizeof(f->vals[i]));
}

/* Exposed for rules_eval.c's explanation: renders a value of fact f. */
void rules__fmt_val(const struct rules_catalog *cat, const struct rules__fact *f,
                    const struct rules__val *v, char *out, size_t n);
void rules__fmt_val(const struct rules_catalog *cat, const struct rules__fact *f,
                    const struct rules__val *v, char *out, size_t n)
{
    if (f->type == RULES_CODE) {
        rules__fmt_code(f, v->code, out, n);
    } else if (f->type == RULES_TAGSET) {
        size_t len = 0;
        out[0] = '\0';
        for (int t = 0; t < cat->n_tags; t++)
            if (v->tags >> t & 1) {
                int w = snprintf(out + len, n - len, "%s%s", len ? "、" : "", cat->tag_label[t]);
                if (w < 0 || (size_t)w >= n - len)
                    break;
                len += (size_t)w;
            }
        if (!len)
            snprintf(out, n, "无");
    } else {
        rules__fmt_num(f, v->i, out, n);
    }
}

