/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules: the fact catalogue, named conditions, the compiler (checks every rule of
 * docs/internals/rules.md §1 and names the offending path), sets with shared
 * leaves, one enterprise's facts, and the export to JsonLogic.
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

static int tag_index(const struct rules_catalog *cat, const char *code)
{
    for (int i = 0; i < cat->n_tags; i++)
        if (strcmp(cat->tag_code[i], code) == 0)
            return i;
    return -1;
}

int rules_catalog_add_tag(struct rules_catalog *cat, const char *code, const char *label)
{
    if (cat->n_tags == RULES_MAX_TAGS || tag_index(cat, code) >= 0)
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
static bool parse_fixed(const char *s, int places, int64_t *out)
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

static bool parse_date(const char *s, int64_t *days)
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
        if (!parse_fixed(canon, 4, &v->i))
            return false;
        break;
    case RULES_DATE:
        if (!parse_date(canon, &v->i))
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
                int t = tag_index(cat, tag);
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
static json_t *unconst(const json_t *j)
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

static const json_t *named_find(const struct rules_named *nc, const char *name)
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
    if (named_find(nc, json_string_value(name)))
        return err_set(e, RC_EXISTS, "name", "name: 命名条件 \"%s\" 已存在",
                       json_string_value(name));
    nc->names = xrealloc(nc->names, (nc->n + 1) * sizeof(char *));
    nc->defs = xrealloc(nc->defs, (nc->n + 1) * sizeof(json_t *));
    nc->names[nc->n] = xstrdup(json_string_value(name));
    nc->defs[nc->n] = json_incref(unconst(def));
    nc->n++;
    return RC_OK;
}

/* ---- display ------------------------------------------------------------------------ */

/* Appends to a capped buffer; text past the cap is dropped (explanations only). */
#define BP(...)                                                                                    \
    do {                                                                                           \
        if (buf_printf(__VA_ARGS__)) {                                                             \
        }                                                                                          \
    } while (0)

static const char *const type_cn[] = {"整数类", "金额类", "小数类", "日期类",
                                      "代码类", "是否类", "标签类"};

/* Writes a fixed-point value with up to places decimals, trailing zeros dropped. */
static void fmt_fixed(int64_t v, int places, char *out, size_t n)
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
static void fmt_num(const struct rules__fact *f, int64_t v, char *out, size_t n)
{
    char tmp[48];
    switch (f->type) {
    case RULES_MONEY:
        if (v >= 1000000 || v <= -1000000) {
            fmt_fixed(v, 6, tmp, sizeof(tmp));
            snprintf(out, n, "%s万元", tmp);
        } else {
            fmt_fixed(v, 2, tmp, sizeof(tmp));
            snprintf(out, n, "%s元", tmp);
        }
        return;
    case RULES_DECIMAL:
        fmt_fixed(v, 4, tmp, sizeof(tmp));
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
static void fmt_code(const struct rules__fact *f, const char *code, char *out, size_t n)
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

/* ---- compiler ------------------------------------------------------------------------- */

struct cc {
    const struct rules_catalog *cat;
    const struct rules_named *named;
    struct rules_policy *p;
    struct err *e;
    int n_nodes;             /* counted against RULES_MAX_NODES */
    const char *stack[RULES_MAX_DEPTH + 2]; /* named conditions being expanded */
    int n_stack;
};

static enum rc fail(struct cc *c, enum rc rc, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum rc fail(struct cc *c, enum rc rc, const char *path, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (c->e) {
        err_clear(c->e);
        c->e->rc = rc;
        snprintf(c->e->field, sizeof(c->e->field), "%s", path);
        snprintf(c->e->msg, sizeof(c->e->msg), "%s: %s", path, msg);
    }
    return rc;
}

static char *join(const char *path, const char *suffix)
{
    size_t n = strlen(path) + strlen(suffix) + 2;
    char *s = xmalloc(n);
    snprintf(s, n, "%s%s%s", path, *path && suffix[0] != '[' ? "." : "", suffix);
    return s;
}

static char *join_i(const char *path, const char *key, size_t i)
{
    char suffix[80];
    snprintf(suffix, sizeof(suffix), "%s[%zu]", key, i);
    return join(path, suffix);
}

/* Checks an optional string member (≤ RULES_MAX_STRING bytes); *out borrowed or NULL. */
static enum rc opt_str(struct cc *c, const json_t *obj, const char *key, const char *path,
                       const char **out)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v)
        return RC_OK;
    char *p = join(path, key);
    enum rc rc = RC_OK;
    if (!json_is_string(v))
        rc = fail(c, RC_INVALID, p, "应为字符串");
    else if (json_string_length(v) > RULES_MAX_STRING)
        rc = fail(c, RC_TOOLARGE, p, "字符串超过 %d 字节", RULES_MAX_STRING);
    else
        *out = json_string_value(v);
    xfree(p);
    return rc;
}

static enum rc only_keys(struct cc *c, const json_t *obj, const char *const *allowed,
                         const char *path)
{
    const char *key;
    const json_t *v;
    json_t *mobj = unconst(obj);
    json_object_foreach(mobj, key, v)
    {
        bool ok = false;
        for (size_t i = 0; allowed[i]; i++)
            ok = ok || strcmp(allowed[i], key) == 0;
        if (!ok) {
            char shown[64];
            snprintf(shown, sizeof(shown), "%.40s", key);
            return fail(c, RC_INVALID, path, "未知的成员 \"%s\"", shown);
        }
    }
    return RC_OK;
}

static int new_node(struct rules_policy *p)
{
    if (p->n_nodes == p->cap_nodes) {
        p->cap_nodes = p->cap_nodes ? p->cap_nodes * 2 : 16;
        p->nodes = xrealloc(p->nodes, (size_t)p->cap_nodes * sizeof(*p->nodes));
    }
    memset(&p->nodes[p->n_nodes], 0, sizeof(p->nodes[0]));
    p->nodes[p->n_nodes].leaf = -1;
    return p->n_nodes++;
}

static int new_leaf(struct rules_policy *p)
{
    if (p->n_leaves == p->cap_leaves) {
        p->cap_leaves = p->cap_leaves ? p->cap_leaves * 2 : 16;
        p->leaves = xrealloc(p->leaves, (size_t)p->cap_leaves * sizeof(*p->leaves));
    }
    memset(&p->leaves[p->n_leaves], 0, sizeof(p->leaves[0]));
    return p->n_leaves++;
}

static bool parse_op(const char *s, enum rules__op *op)
{
    static const char *const names[] = {"eq",      "ne",     "lt",      "le",
                                        "gt",      "ge",     "between", "in",
                                        "not_in",  "prefix_in", "has",  "has_any",
                                        "has_all", "exists", "years_since"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(names[i], s) == 0) {
            *op = (enum rules__op)i;
            return true;
        }
    return false;
}

static const char *const op_names[] = {
    "eq", "ne", "lt", "le", "gt", "ge", "between", "in", "not_in", "prefix_in",
    "has", "has_any", "has_all", "exists", "years_since", "manual"};

/* Is op allowed for fact type t? */
static bool op_fits(enum rules__op op, enum rules_type t)
{
    switch (t) {
    case RULES_INT:
    case RULES_MONEY:
    case RULES_DECIMAL:
        return op <= OP_NOT_IN || op == OP_EXISTS;
    case RULES_DATE:
        return op <= OP_BETWEEN || op == OP_EXISTS || op == OP_YEARS_SINCE;
    case RULES_CODE:
        return op == OP_EQ || op == OP_NE || op == OP_IN || op == OP_NOT_IN ||
               op == OP_PREFIX_IN || op == OP_EXISTS;
    case RULES_BOOL:
        return op == OP_EQ || op == OP_EXISTS;
    case RULES_TAGSET:
        return op == OP_HAS || op == OP_HAS_ANY || op == OP_HAS_ALL || op == OP_EXISTS;
    }
    return false;
}

/* Reads one scalar numeric/date value of fact f at path into *out. */
static enum rc num_value(struct cc *c, const struct rules__fact *f, const json_t *v,
                         const char *path, int64_t *out)
{
    char tmp[64];
    switch (f->type) {
    case RULES_INT:
    case RULES_MONEY:
        if (!json_is_integer(v))
            return fail(c, RC_INVALID, path, "%s", f->type == RULES_MONEY
                                                        ? "应为整数（金额以分为单位）"
                                                        : "应为整数");
        *out = json_integer_value(v);
        return RC_OK;
    case RULES_DECIMAL:
        if (json_is_integer(v)) {
            int64_t x = json_integer_value(v);
            if (x > 900000000000000LL || x < -900000000000000LL)
                return fail(c, RC_INVALID, path, "数值超出范围");
            *out = x * 10000;
            return RC_OK;
        }
        if (json_is_real(v))
            snprintf(tmp, sizeof(tmp), "%.10g", json_real_value(v));
        else if (json_is_string(v))
            snprintf(tmp, sizeof(tmp), "%.60s", json_string_value(v));
        else
            return fail(c, RC_INVALID, path, "应为数字或数字字符串");
        if (!parse_fixed(tmp, 4, out))
            return fail(c, RC_INVALID, path, "应为最多 4 位小数的数字");
        return RC_OK;
    case RULES_DATE:
        if (!json_is_string(v) || !parse_date(json_string_value(v), out))
            return fail(c, RC_INVALID, path, "应为日期 \"YYYY-MM-DD\"");
        return RC_OK;
    case RULES_BOOL:
        if (!json_is_boolean(v))
            return fail(c, RC_INVALID, path, "应为 true 或 false");
        *out = json_is_true(v);
        return RC_OK;
    default:
        return fail(c, RC_INTERNAL, path, "内部错误");
    }
}

static bool code_in_values(const char *values, const char *v)
{
    size_t n = strlen(v);
    for (const char *p = values; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && strncmp(p, v, n) == 0)
            return true;
        p += len + (comma ? 1 : 0);
    }
    return false;
}

/* Checks one code value (prefix: a prefix_in item) and stores in *canon the form the
 * program compares: the value itself, or for an industry code written with its section
 * letter ("C3911") the digits (borrowed from v or the code table). */
static enum rc code_value(struct cc *c, const struct rules__fact *f, const json_t *v, bool prefix,
                          const char *path, const char **canon)
{
    *canon = "";
    if (!json_is_string(v) || !json_string_length(v))
        return fail(c, RC_INVALID, path, "应为非空字符串");
    const char *s = json_string_value(v);
    *canon = s;
    size_t len = strlen(s);
    char shown[40];
    snprintf(shown, sizeof(shown), "%.32s", s);
    if (len >= RULES_CODE_MAX)
        return fail(c, RC_INVALID, path, "代码过长");
    if (f->code_kind == CODE_REGION) {
        bool digits = true;
        for (size_t i = 0; i < len; i++)
            digits = digits && s[i] >= '0' && s[i] <= '9';
        char full[7];
        bool ok = digits && (prefix ? (len == 2 || len == 4 || len == 6) : len == 6);
        if (ok) {
            snprintf(full, sizeof(full), "%s%s", s, &"0000"[len == 6 ? 4 : len - 2]);
            ok = codes_region_find(full) != NULL;
        }
        if (!ok)
            return fail(c, RC_INVALID, path, "行政区划代码 \"%s\" 不存在", shown);
        return RC_OK;
    }
    if (f->code_kind == CODE_INDUSTRY) {
        const struct codes_industry *ind;
        struct err pe;
        err_clear(&pe);
        if (codes_industry_parse(s, 0, &ind, &pe))
            return fail(c, RC_INVALID, path, "%s", pe.msg);
        *canon = ind->code;
        return RC_OK;
    }
    if (*f->code_values && !prefix && !code_in_values(f->code_values, s))
        return fail(c, RC_INVALID, path, "代码 \"%s\" 不在%s的取值 %s 中", shown, f->label,
                    f->code_values);
    if (*f->code_values && prefix) {
        bool any = false;
        for (const char *p = f->code_values; *p && !any;) {
            const char *comma = strchr(p, ',');
            size_t l = comma ? (size_t)(comma - p) : strlen(p);
            any = l >= len && strncmp(p, s, len) == 0;
            p += l + (comma ? 1 : 0);
        }
        if (!any)
            return fail(c, RC_INVALID, path, "代码 \"%s\" 不在%s的取值 %s 中", shown, f->label,
                        f->code_values);
    }
    return RC_OK;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *cmp_sym(enum rules__op op)
{
    static const char *const s[] = {"=", "≠", "<", "≤", ">", "≥"};
    return op <= OP_GE ? s[op] : "?";
}

static const char *date_word(enum rules__op op)
{
    static const char *const s[] = {"为", "不为", "早于", "不晚于", "晚于", "不早于"};
    return op <= OP_GE ? s[op] : "?";
}

/* Builds the leaf's canonical key and its Chinese "expected" text. */
static void leaf_finish(const struct rules_catalog *cat, struct rules__leaf *l)
{
    struct buf k, x;
    buf_init(&k, 1 << 20);
    buf_init(&x, 1 << 16);
    const struct rules__fact *f = l->fact >= 0 ? &cat->facts[l->fact] : NULL;
    char v1[160], v2[160];
    BP(&k, "%d|%s|%d|%lld|%lld|%llx|", l->fact, op_names[l->op], (int)l->cmp,
                     (long long)l->a, (long long)l->b, (unsigned long long)l->mask);
    for (size_t i = 0; i < l->n_list; i++) {
        if (l->strs)
            BP(&k, "%s,", l->strs[i]);
        else
            BP(&k, "%lld,", (long long)l->list[i]);
    }
    switch (l->op) {
    case OP_EQ:
    case OP_NE:
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
        if (f->type == RULES_CODE) {
            fmt_code(f, l->strs[0], v1, sizeof(v1));
            BP(&x, "%s %s", cmp_sym(l->op), v1);
        } else if (f->type == RULES_BOOL) {
            BP(&x, "%s%s", l->op == OP_EQ ? "为" : "不为", l->a ? "是" : "否");
        } else if (f->type == RULES_DATE) {
            fmt_num(f, l->a, v1, sizeof(v1));
            BP(&x, "%s %s", date_word(l->op), v1);
        } else {
            fmt_num(f, l->a, v1, sizeof(v1));
            BP(&x, "%s %s", cmp_sym(l->op), v1);
        }
        break;
    case OP_BETWEEN:
        fmt_num(f, l->a, v1, sizeof(v1));
        fmt_num(f, l->b, v2, sizeof(v2));
        BP(&x, "在 %s 至 %s 之间（含两端）", v1, v2);
        break;
    case OP_IN:
    case OP_NOT_IN:
    case OP_PREFIX_IN:
        BP(&x, "%s", l->op == OP_IN ? "为 " : l->op == OP_NOT_IN ? "不为 " : "属于 ");
        for (size_t i = 0; i < l->n_list; i++) {
            if (i == 8) {
                BP(&x, " 等%zu项", l->n_list);
                break;
            }
            if (l->strs)
                fmt_code(f, l->strs[i], v1, sizeof(v1));
            else
                fmt_num(f, l->list[i], v1, sizeof(v1));
            BP(&x, "%s%s", i ? "、" : "", v1);
        }
        if (l->op == OP_IN && l->n_list > 1)
            BP(&x, " 之一");
        break;
    case OP_HAS:
    case OP_HAS_ANY:
    case OP_HAS_ALL: {
        BP(&x, "%s", l->op == OP_HAS_ALL ? "同时具有 " : "具有 ");
        int n = 0;
        for (int t = 0; t < cat->n_tags; t++)
            if (l->mask >> t & 1)
                BP(&x, "%s%s", n++ ? "、" : "", cat->tag_label[t]);
        if (l->op == OP_HAS_ANY && n > 1)
            BP(&x, " 之一");
        break;
    }
    case OP_EXISTS:
        BP(&x, "有数据");
        break;
    case OP_YEARS_SINCE: {
        static const char *const w[] = {"恰为%lld年", "不为%lld年", "不满%lld年",
                                        "不超过%lld年", "超过%lld年", "满%lld年"};
        BP(&x, w[l->cmp], (long long)l->a);
        break;
    }
    case OP_MANUAL:
        BP(&x, "人工审核");
        break;
    }
    l->key = buf_take(&k);
    l->expected = buf_take(&x);
}

/* Compiles a leaf object at path into a new node; *out the node index. */
static enum rc compile_leaf(struct cc *c, const json_t *j, const char *path, int *out)
{
    static const char *const allowed[] = {"id", "label", "fact", "op", "value", "source",
                                          "manual", NULL};
    enum rc rc = only_keys(c, j, allowed, path);
    if (rc)
        return rc;
    struct rules_policy *p = c->p;
    const json_t *manual = json_object_get(j, "manual");
    const json_t *jf = json_object_get(j, "fact");
    if (manual && !json_is_boolean(manual)) {
        char *mp = join(path, "manual");
        rc = fail(c, RC_INVALID, mp, "应为 true 或 false");
        xfree(mp);
        return rc;
    }
    int li = new_leaf(p);
    struct rules__leaf *l = &p->leaves[li];
    l->fact = -1;
    if (manual && json_is_true(manual)) {
        if (jf || json_object_get(j, "op") || json_object_get(j, "value"))
            return fail(c, RC_INVALID, path, "人工判断条件不应指定 fact、op 或 value");
        if (!json_is_string(json_object_get(j, "label")))
            return fail(c, RC_INVALID, path, "人工判断条件须有 label");
        l->op = OP_MANUAL;
        p->has_manual = true;
        /* Manual leaves are never shared: each is its own judgement. */
        char extra[32];
        snprintf(extra, sizeof(extra), "|%lld", (long long)p->id);
        leaf_finish(c->cat, l);
        size_t n = strlen(l->key) + strlen(path) + strlen(extra) + 2;
        char *key = xmalloc(n);
        snprintf(key, n, "%s%s%s", l->key, path, extra);
        xfree(l->key);
        l->key = key;
        goto node;
    }
    char *fp = join(path, "fact");
    if (!jf) {
        rc = fail(c, RC_INVALID, path, "缺少 fact（或 \"manual\": true）");
    } else if (!json_is_string(jf)) {
        rc = fail(c, RC_INVALID, fp, "应为字符串");
    } else if ((l->fact = rules_catalog_fact_index(c->cat, json_string_value(jf))) < 0) {
        char shown[80];
        snprintf(shown, sizeof(shown), "%.64s", json_string_value(jf));
        rc = fail(c, RC_INVALID, fp, "未知的事实 \"%s\"", shown);
    }
    xfree(fp);
    if (rc)
        return rc;
    const struct rules__fact *f = &c->cat->facts[l->fact];
    const json_t *jop = json_object_get(j, "op");
    char *op_path = join(path, "op");
    if (!jop)
        rc = fail(c, RC_INVALID, op_path, "缺少运算符");
    else if (!json_is_string(jop) || !parse_op(json_string_value(jop), &l->op)) {
        char shown[40];
        snprintf(shown, sizeof(shown), "%.24s", json_is_string(jop) ? json_string_value(jop) : "");
        rc = fail(c, RC_INVALID, op_path, "未知的运算符 \"%s\"", shown);
    }
    xfree(op_path);
    if (rc)
        return rc;
    if (!op_fits(l->op, f->type))
        return fail(c, RC_INVALID, path, "运算符 %s 不适用于%s事实 %s", op_names[l->op],
                    type_cn[f->type], f->label);
    const json_t *v = json_object_get(j, "value");
    char *vp = join(path, "value");
    if (!v && l->op != OP_EXISTS) {
        rc = fail(c, RC_INVALID, vp, "缺少比较值");
        goto done;
    }
    switch (l->op) {
    case OP_EQ:
    case OP_NE:
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
        if (f->type == RULES_CODE) {
            const char *canon;
            rc = code_value(c, f, v, false, vp, &canon);
            if (!rc) {
                l->strs = xmalloc(sizeof(char *));
                l->strs[0] = xstrdup(canon);
                l->n_list = 1;
            }
        } else {
            rc = num_value(c, f, v, vp, &l->a);
        }
        break;
    case OP_BETWEEN:
        if (!json_is_array(v) || json_array_size(v) != 2) {
            rc = fail(c, RC_INVALID, vp, "应为两个值的列表 [下限, 上限]");
            break;
        }
        for (size_t i = 0; i < 2 && !rc; i++) {
            char *ip = join_i(vp, "", i);
            rc = num_value(c, f, json_array_get(v, i), ip, i ? &l->b : &l->a);
            xfree(ip);
        }
        if (!rc && l->a > l->b)
            rc = fail(c, RC_INVALID, vp, "区间下限大于上限");
        break;
    case OP_IN:
    case OP_NOT_IN:
    case OP_PREFIX_IN:
    case OP_HAS_ANY:
    case OP_HAS_ALL:
        if (!json_is_array(v)) {
            rc = fail(c, RC_INVALID, vp, "应为列表");
            break;
        }
        if (json_array_size(v) == 0) {
            rc = fail(c, RC_INVALID, vp, "列表不能为空");
            break;
        }
        if (json_array_size(v) > RULES_MAX_LIST) {
            rc = fail(c, RC_TOOLARGE, vp, "列表超过 %d 项", RULES_MAX_LIST);
            break;
        }
        if (l->op == OP_HAS_ANY || l->op == OP_HAS_ALL) {
            for (size_t i = 0; i < json_array_size(v) && !rc; i++) {
                const json_t *t = json_array_get(v, i);
                int ti = json_is_string(t) ? tag_index(c->cat, json_string_value(t)) : -1;
                if (ti < 0) {
                    char *ip = join_i(vp, "", i);
                    char shown[64];
                    snprintf(shown, sizeof(shown), "%.48s",
                             json_is_string(t) ? json_string_value(t) : "");
                    rc = fail(c, RC_INVALID, ip, "未知的标签 \"%s\"", shown);
                    xfree(ip);
                } else {
                    l->mask |= 1ULL << ti;
                }
            }
            break;
        }
        l->n_list = json_array_size(v);
        if (f->type == RULES_CODE)
            l->strs = xcalloc(l->n_list, sizeof(char *));
        else
            l->list = xcalloc(l->n_list, sizeof(int64_t));
        for (size_t i = 0; i < l->n_list && !rc; i++) {
            char *ip = join_i(vp, "", i);
            const json_t *x = json_array_get(v, i);
            if (f->type == RULES_CODE) {
                const char *canon;
                rc = code_value(c, f, x, l->op == OP_PREFIX_IN, ip, &canon);
                l->strs[i] = xstrdup(rc ? "" : canon);
            } else {
                rc = num_value(c, f, x, ip, &l->list[i]);
            }
            xfree(ip);
        }
        if (rc)
            break;
        if (l->strs) {
            qsort(l->strs, l->n_list, sizeof(char *), cmp_strp);
        } else {
            qsort(l->list, l->n_list, sizeof(int64_t), cmp_i64);
        }
        break;
    case OP_HAS: {
        int ti = json_is_string(v) ? tag_index(c->cat, json_string_value(v)) : -1;
        if (ti < 0) {
            char shown[64];
            snprintf(shown, sizeof(shown), "%.48s", json_is_string(v) ? json_string_value(v) : "");
            rc = fail(c, RC_INVALID, vp, "未知的标签 \"%s\"", shown);
        } else {
            l->mask = 1ULL << ti;
        }
        break;
    }
    case OP_EXISTS:
        if (v && !json_is_true(v))
            rc = fail(c, RC_INVALID, vp, "exists 的值只能是 true");
        break;
    case OP_YEARS_SINCE: {
        const json_t *cmp = json_object_get(v, "cmp"), *n = json_object_get(v, "value");
        enum rules__op op;
        if (!json_is_object(v) || json_object_size(v) != 2 || !json_is_string(cmp) ||
            !parse_op(json_string_value(cmp), &op) || op > OP_GE || !json_is_integer(n) ||
            json_integer_value(n) < 0 || json_integer_value(n) > 200)
            rc = fail(c, RC_INVALID, vp,
                      "应为 {\"cmp\": \"ge\", \"value\": 年数}（cmp 为 eq ne lt le gt ge，年数 0–200）");
        else {
            l->cmp = op;
            l->a = json_integer_value(n);
        }
        break;
    }
    case OP_MANUAL:
        break;
    }
done:
    xfree(vp);
    if (rc)
        return rc;
    leaf_finish(c->cat, l);
node:;
    int ni = new_node(p);
    struct rules__node *nd = &p->nodes[ni];
    nd->kind = N_LEAF;
    nd->leaf = li;
    *out = ni;
    return RC_OK;
}

static enum rc compile_node(struct cc *c, const json_t *j, const char *path, int depth, int *out);

/* Compiles the list of children of a combinator. */
static enum rc compile_kids(struct cc *c, const json_t *arr, const char *path, const char *key,
                            int depth, int ni)
{
    char *kp = join(path, key);
    enum rc rc = RC_OK;
    if (!json_is_array(arr))
        rc = fail(c, RC_INVALID, kp, "应为条件列表");
    else if (json_array_size(arr) == 0)
        rc = fail(c, RC_INVALID, kp, "列表不能为空");
    else if (json_array_size(arr) > RULES_MAX_LIST)
        rc = fail(c, RC_TOOLARGE, kp, "列表超过 %d 项", RULES_MAX_LIST);
    xfree(kp);
    if (rc)
        return rc;
    size_t n = json_array_size(arr);
    int *kids = xcalloc(n, sizeof(int));
    for (size_t i = 0; i < n && !rc; i++) {
        char *ip = join_i(path, key, i);
        rc = compile_node(c, json_array_get(arr, i), ip, depth + 1, &kids[i]);
        xfree(ip);
    }
    if (rc) {
        xfree(kids);
        return rc;
    }
    c->p->nodes[ni].kids = kids;
    c->p->nodes[ni].n_kids = (int)n;
    return RC_OK;
}

static enum rc compile_node(struct cc *c, const json_t *j, const char *path, int depth, int *out)
{
    if (depth > RULES_MAX_DEPTH)
        return fail(c, RC_TOOLARGE, path, "嵌套层数超过 %d", RULES_MAX_DEPTH);
    if (++c->n_nodes > RULES_MAX_NODES)
        return fail(c, RC_TOOLARGE, path, "条件节点超过 %d 个", RULES_MAX_NODES);
    if (!json_is_object(j))
        return fail(c, RC_INVALID, path, "应为条件对象");
    const char *id, *label, *source;
    enum rc rc = opt_str(c, j, "id", path, &id);
    if (!rc)
        rc = opt_str(c, j, "label", path, &label);
    if (!rc)
        rc = opt_str(c, j, "source", path, &source);
    if (rc)
        return rc;
    static const char *const combs[] = {"all", "any", "not", "at_least", "ref"};
    int which = -1, count = 0;
    for (int i = 0; i < 5; i++)
        if (json_object_get(j, combs[i])) {
            which = i;
            count++;
        }
    if (count > 1 || (count == 1 && json_object_get(j, "fact")))
        return fail(c, RC_INVALID, path, "一个节点只能是一种条件（fact、all、any、not、at_least 或 ref）");
    int ni = -1;
    if (which < 0) {
        rc = compile_leaf(c, j, path, &ni);
    } else if (which == 4) {
        static const char *const allowed[] = {"ref", "id", "label", "source", NULL};
        if ((rc = only_keys(c, j, allowed, path)))
            return rc;
        const json_t *r = json_object_get(j, "ref");
        char *rp = join(path, "ref");
        const json_t *def = json_is_string(r) ? named_find(c->named, json_string_value(r)) : NULL;
        char shown[80];
        snprintf(shown, sizeof(shown), "%.64s", json_is_string(r) ? json_string_value(r) : "");
        if (!json_is_string(r))
            rc = fail(c, RC_INVALID, rp, "应为命名条件的名称");
        else if (!def)
            rc = fail(c, RC_INVALID, rp, "未定义的命名条件 \"%s\"", shown);
        for (int i = 0; !rc && i < c->n_stack; i++)
            if (strcmp(c->stack[i], json_string_value(r)) == 0)
                rc = fail(c, RC_INVALID, rp, "命名条件 \"%s\" 循环引用", shown);
        if (!rc && c->n_stack >= RULES_MAX_DEPTH)
            rc = fail(c, RC_TOOLARGE, rp, "嵌套层数超过 %d", RULES_MAX_DEPTH);
        if (!rc) {
            c->stack[c->n_stack++] = json_string_value(r);
            size_t np_size = strlen(path) + strlen(shown) + 8;
            char *np = xmalloc(np_size);
            snprintf(np, np_size, "%s.ref(%s)", path, shown);
            c->n_nodes--; /* the ref itself is not a node */
            rc = compile_node(c, json_object_get(def, "node"), np, depth, &ni);
            xfree(np);
            c->n_stack--;
            if (!rc) {
                struct rules__node *nd = &c->p->nodes[ni];
                const json_t *dl = json_object_get(def, "label");
                if (!label && json_is_string(dl))
                    label = json_string_value(dl);
                if (label) {
                    xfree(nd->label);
                    nd->label = xstrdup(label);
                }
                if (!id) {
                    xfree(nd->id);
                    nd->id = xstrdup(json_string_value(r));
                }
            }
        }
        xfree(rp);
        if (rc)
            return rc;
        label = NULL; /* already applied */
    } else {
        static const char *const allowed[] = {"all", "any", "not", "at_least", "of",
                                              "id",  "label", "source", NULL};
        if ((rc = only_keys(c, j, allowed, path)))
            return rc;
        if (which != 3 && json_object_get(j, "of"))
            return fail(c, RC_INVALID, path, "of 只能与 at_least 一起使用");
        ni = new_node(c->p);
        if (which == 0 || which == 1) {
            c->p->nodes[ni].kind = which == 0 ? N_ALL : N_ANY;
            rc = compile_kids(c, json_object_get(j, combs[which]), path, combs[which], depth, ni);
        } else if (which == 2) {
            c->p->nodes[ni].kind = N_NOT;
            char *np = join(path, "not");
            int kid;
            rc = compile_node(c, json_object_get(j, "not"), np, depth + 1, &kid);
            xfree(np);
            if (!rc) {
                c->p->nodes[ni].kids = xmalloc(sizeof(int));
                c->p->nodes[ni].kids[0] = kid;
                c->p->nodes[ni].n_kids = 1;
            }
        } else {
            c->p->nodes[ni].kind = N_ATLEAST;
            const json_t *k = json_object_get(j, "at_least"), *of = json_object_get(j, "of");
            rc = compile_kids(c, of, path, "of", depth, ni);
            if (!rc && (!json_is_integer(k) || json_integer_value(k) < 1 ||
                        json_integer_value(k) > (json_int_t)json_array_size(of))) {
                char *kp = join(path, "at_least");
                rc = fail(c, RC_INVALID, kp, "应为 1 至 %zu 之间的整数", json_array_size(of));
                xfree(kp);
            }
            if (!rc)
                c->p->nodes[ni].k = (int)json_integer_value(k);
        }
        if (rc)
            return rc;
    }
    if (rc)
        return rc;
    struct rules__node *nd = &c->p->nodes[ni];
    if (!nd->path)
        nd->path = xstrdup(path);
    if (id) {
        xfree(nd->id);
        nd->id = xstrdup(id);
    } else if (!nd->id) {
        nd->id = xstrdup(path);
    }
    if (label) {
        xfree(nd->label);
        nd->label = xstrdup(label);
    }
    if (source && !nd->source)
        nd->source = xstrdup(source);
    if (!nd->label) {
        char buf[700];
        if (nd->kind == N_LEAF) {
            const struct rules__leaf *l = &c->p->leaves[nd->leaf];
            const struct rules__fact *f = l->fact >= 0 ? &c->cat->facts[l->fact] : NULL;
            snprintf(buf, sizeof(buf), "%s %s", f ? f->label : "", l->expected);
        } else if (nd->kind == N_ALL) {
            snprintf(buf, sizeof(buf), "同时满足以下条件");
        } else if (nd->kind == N_ANY) {
            snprintf(buf, sizeof(buf), "满足以下条件之一");
        } else if (nd->kind == N_NOT) {
            snprintf(buf, sizeof(buf), "不满足以下条件");
        } else {
            snprintf(buf, sizeof(buf), "至少满足以下%d项条件", nd->k);
        }
        nd->label = xstrdup(buf);
    }
    *out = ni;
    return RC_OK;
}

static int new_amount(struct rules_policy *p)
{
    if (p->n_amounts == p->cap_amounts) {
        p->cap_amounts = p->cap_amounts ? p->cap_amounts * 2 : 8;
        p->amounts = xrealloc(p->amounts, (size_t)p->cap_amounts * sizeof(*p->amounts));
    }
    memset(&p->amounts[p->n_amounts], 0, sizeof(p->amounts[0]));
    p->amounts[p->n_amounts].base = -1;
    return p->n_amounts++;
}

static enum rc fen_member(struct cc *c, const json_t *j, const char *key, const char *path,
                          int64_t *out)
{
    const json_t *v = json_object_get(j, key);
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = json_integer_value(v);
        return RC_OK;
    }
    char *kp = join(path, key);
    enum rc rc = fail(c, RC_INVALID, kp, "应为非负整数（金额以分为单位）");
    xfree(kp);
    return rc;
}

static enum rc compile_amount(struct cc *c, const json_t *j, const char *path, int depth, int *out)
{
    if (depth > RULES_MAX_DEPTH)
        return fail(c, RC_TOOLARGE, path, "嵌套层数超过 %d", RULES_MAX_DEPTH);
    if (++c->n_nodes > RULES_MAX_NODES)
        return fail(c, RC_TOOLARGE, path, "条件节点超过 %d 个", RULES_MAX_NODES);
    if (!json_is_object(j))
        return fail(c, RC_INVALID, path, "金额应为对象（fixed、rate、tiers、min 或 max）");
    enum rc rc = RC_OK;
    int ai = new_amount(c->p);
    if (json_object_get(j, "fixed")) {
        static const char *const allowed[] = {"fixed", NULL};
        if (!(rc = only_keys(c, j, allowed, path)))
            rc = fen_member(c, j, "fixed", path, &c->p->amounts[ai].fixed);
        c->p->amounts[ai].kind = A_FIXED;
    } else if (json_object_get(j, "rate")) {
        static const char *const allowed[] = {"rate", "base", "cap", "floor", "round", NULL};
        struct rules__amount a = {.kind = A_RATE, .base = -1};
        if ((rc = only_keys(c, j, allowed, path)))
            return rc;
        const json_t *r = json_object_get(j, "rate"), *b = json_object_get(j, "base"),
                     *rd = json_object_get(j, "round");
        char tmp[64];
        if (json_is_string(r))
            snprintf(tmp, sizeof(tmp), "%.60s", json_string_value(r));
        else if (json_is_real(r))
            snprintf(tmp, sizeof(tmp), "%.10g", json_real_value(r));
        else if (json_is_integer(r))
            snprintf(tmp, sizeof(tmp), "%lld", (long long)json_integer_value(r));
        else
            tmp[0] = '\0';
        char *p2 = join(path, "rate");
        if (!parse_fixed(tmp, 6, &a.rate) || a.rate < 0)
            rc = fail(c, RC_INVALID, p2, "比例应为最多 6 位小数的非负数");
        xfree(p2);
        if (rc)
            return rc;
        p2 = join(path, "base");
        if (!json_is_string(b))
            rc = fail(c, RC_INVALID, p2, "应为事实名称");
        else if ((a.base = rules_catalog_fact_index(c->cat, json_string_value(b))) < 0) {
            char shown[80];
            snprintf(shown, sizeof(shown), "%.64s", json_string_value(b));
            rc = fail(c, RC_INVALID, p2, "未知的事实 \"%s\"", shown);
        } else if (c->cat->facts[a.base].type > RULES_DECIMAL)
            rc = fail(c, RC_INVALID, p2, "计算基数应为金额、整数或小数类事实，%s是%s事实",
                      c->cat->facts[a.base].label, type_cn[c->cat->facts[a.base].type]);
        xfree(p2);
        if (rc)
            return rc;
        if (json_object_get(j, "cap")) {
            a.has_cap = true;
            if ((rc = fen_member(c, j, "cap", path, &a.cap)))
                return rc;
        }
        if (json_object_get(j, "floor")) {
            a.has_floor = true;
            if ((rc = fen_member(c, j, "floor", path, &a.floor)))
                return rc;
        }
        if (a.has_cap && a.has_floor && a.floor > a.cap)
            return fail(c, RC_INVALID, path, "下限（floor）大于上限（cap）");
        if (rd) {
            if (json_is_string(rd) && strcmp(json_string_value(rd), "yuan") == 0)
                a.round_yuan = true;
            else if (!json_is_string(rd) || strcmp(json_string_value(rd), "fen") != 0) {
                p2 = join(path, "round");
                rc = fail(c, RC_INVALID, p2, "应为 \"fen\" 或 \"yuan\"");
                xfree(p2);
                return rc;
            }
        }
        c->p->amounts[ai] = a;
    } else if (json_object_get(j, "tiers")) {
        static const char *const allowed[] = {"tiers", "else", NULL};
        if ((rc = only_keys(c, j, allowed, path)))
            return rc;
        const json_t *t = json_object_get(j, "tiers"), *el = json_object_get(j, "else");
        char *tp = join(path, "tiers");
        if (!json_is_array(t) || json_array_size(t) == 0)
            rc = fail(c, RC_INVALID, tp, "应为非空的档次列表");
        else if (json_array_size(t) > RULES_MAX_LIST)
            rc = fail(c, RC_TOOLARGE, tp, "列表超过 %d 项", RULES_MAX_LIST);
        xfree(tp);
        if (rc)
            return rc;
        size_t n = json_array_size(t);
        int *when = xcalloc(n, sizeof(int)), *parts = xcalloc(n + 1, sizeof(int));
        for (size_t i = 0; i < n && !rc; i++) {
            char *ip = join_i(path, "tiers", i);
            const json_t *tier = json_array_get(t, i);
            static const char *const tallowed[] = {"when", "amount", NULL};
            if (!json_is_object(tier))
                rc = fail(c, RC_INVALID, ip, "档次应为 {\"when\", \"amount\"}");
            else if (!(rc = only_keys(c, tier, tallowed, ip))) {
                char *wp = join(ip, "when"), *ap = join(ip, "amount");
                rc = compile_node(c, json_object_get(tier, "when"), wp, depth + 1, &when[i]);
                if (!rc)
                    rc = compile_amount(c, json_object_get(tier, "amount"), ap, depth + 1,
                                        &parts[i]);
                xfree(wp);
                xfree(ap);
            }
            xfree(ip);
        }
        if (!rc && el) {
            char *ep = join(path, "else");
            rc = compile_amount(c, el, ep, depth + 1, &parts[n]);
            xfree(ep);
        }
        struct rules__amount *a = &c->p->amounts[ai];
        a->kind = A_TIERS;
        a->when = when;
        a->parts = parts;
        a->n_parts = (int)n;
        a->has_else = el != NULL;
    } else if (json_object_get(j, "min") || json_object_get(j, "max")) {
        bool is_min = json_object_get(j, "min") != NULL;
        static const char *const allowed_min[] = {"min", NULL}, *const allowed_max[] = {"max", NULL};
        if ((rc = only_keys(c, j, is_min ? allowed_min : allowed_max, path)))
            return rc;
        const char *key = is_min ? "min" : "max";
        const json_t *arr = json_object_get(j, key);
        char *kp = join(path, key);
        if (!json_is_array(arr) || json_array_size(arr) == 0)
            rc = fail(c, RC_INVALID, kp, "列表不能为空");
        else if (json_array_size(arr) > RULES_MAX_LIST)
            rc = fail(c, RC_TOOLARGE, kp, "列表超过 %d 项", RULES_MAX_LIST);
        xfree(kp);
        if (rc)
            return rc;
        size_t n = json_array_size(arr);
        int *parts = xcalloc(n, sizeof(int));
        for (size_t i = 0; i < n && !rc; i++) {
            char *ip = join_i(path, key, i);
            rc = compile_amount(c, json_array_get(arr, i), ip, depth + 1, &parts[i]);
            xfree(ip);
        }
        struct rules__amount *a = &c->p->amounts[ai];
        a->kind = is_min ? A_MIN : A_MAX;
        a->parts = parts;
        a->n_parts = (int)n;
    } else {
        rc = fail(c, RC_INVALID, path, "金额应为 fixed、rate、tiers、min 或 max 之一");
    }
    *out = ai;
    return rc;
}

/* Collects the facts read by amount a (bases and tier conditions). */
static void amount_facts(struct rules_policy *p, int a, bool *seen)
{
    const struct rules__amount *am = &p->amounts[a];
    if (am->kind == A_RATE)
        seen[am->base] = true;
    if (am->kind == A_TIERS) {
        for (int i = 0; i < am->n_parts; i++) {
            /* Tier conditions: every leaf under the node. */
            int stack[RULES_MAX_NODES + 1], n = 0;
            stack[n++] = am->when[i];
            while (n) {
                const struct rules__node *nd = &p->nodes[stack[--n]];
                if (nd->kind == N_LEAF) {
                    if (p->leaves[nd->leaf].fact >= 0)
                        seen[p->leaves[nd->leaf].fact] = true;
                } else {
                    for (int k = 0; k < nd->n_kids && n < RULES_MAX_NODES; k++)
                        stack[n++] = nd->kids[k];
                }
            }
        }
    }
    if (am->kind == A_TIERS || am->kind == A_MIN || am->kind == A_MAX)
        for (int i = 0; i < am->n_parts + (am->kind == A_TIERS && am->has_else); i++)
            amount_facts(p, am->parts[i], seen);
}

/* The subject of a leaf's text: the fact's label, or its 年限 for years_since. */
static void subject(const struct rules__fact *f, const struct rules__leaf *l, char *out, size_t n)
{
    if (l->op != OP_YEARS_SINCE) {
        snprintf(out, n, "%s", f->label);
        return;
    }
    size_t len = strlen(f->label);
    if (len >= 6 && strcmp(f->label + len - 6, "日期") == 0)
        snprintf(out, n, "%.*s年限", (int)(len - 6), f->label);
    else
        snprintf(out, n, "%s年限", f->label);
}

/* Appends s (may be NULL) as a JSON string, or null. */
static void frag_str(struct buf *b, const char *s)
{
    if (!s) {
        BP(b, "null");
        return;
    }
    if (jsonx_dump_str(s, strlen(s), b)) {
    }
}

void rules__escape(struct buf *b, const char *s)
{
    struct buf t;
    buf_init(&t, SIZE_MAX / 2);
    if (jsonx_dump_str(s, strlen(s), &t) == RC_OK && buf_len(&t) >= 2)
        BP(b, "%.*s", (int)(buf_len(&t) - 2), buf_str(&t) + 1);
    buf_cleanup(&t);
}

/* Ends the fragment that began at offset *start of the policy's block b; its text is
 * fixed up to point into the block once the block is complete (explain_fragments). */
static struct rules__frag frag_take(struct buf *b, size_t *start)
{
    struct rules__frag f = {.s = (char *)(uintptr_t)*start, .n = buf_len(b) - *start};
    *start = buf_len(b);
    return f;
}

/* The texts of leaf node nd: *missing (when its fact is missing; a manual leaf's only
 * text) and *subj (what is compared: the fact's label, or "…年限"). */
static void leaf_texts(const struct rules_policy *p, const struct rules__node *nd, char *missing,
                       size_t n_missing, char *subj, size_t n_subj)
{
    const struct rules__leaf *l = &p->leaves[nd->leaf];
    if (l->op == OP_MANUAL) {
        snprintf(missing, n_missing, "%s：需人工审核", nd->label ? nd->label : "");
        snprintf(subj, n_subj, "%s", nd->label ? nd->label : "");
        return;
    }
    const struct rules__fact *f = &p->cat->facts[l->fact];
    subject(f, l, subj, n_subj);
    if (l->op == OP_YEARS_SINCE || strcmp(subj, f->label) != 0)
        snprintf(missing, n_missing, "%s 缺少数据（%s），需 %s", subj, f->label, l->expected);
    else
        snprintf(missing, n_missing, "%s 缺少数据，需 %s", subj, l->expected);
}

/* Makes the explanation fragments of every node once (see struct rules__node). */
static void explain_fragments(struct rules_policy *p)
{
    struct buf b;
    buf_init(&b, SIZE_MAX / 2);
    size_t at = 0;
    for (int i = 0; i < p->n_nodes; i++) {
        struct rules__node *nd = &p->nodes[i];
        BP(&b, "{\"path\":");
        frag_str(&b, nd->path);
        BP(&b, ",\"id\":");
        frag_str(&b, nd->id);
        BP(&b, ",\"label\":");
        frag_str(&b, nd->label);
        if (nd->source) {
            BP(&b, ",\"source\":");
            frag_str(&b, nd->source);
        }
        nd->x_head = frag_take(&b, &at);
        if (nd->kind != N_LEAF) {
            BP(&b, ",\"text\":\"");
            rules__escape(&b, nd->label ? nd->label : "");
            rules__escape(&b, "：");
            nd->x_text = frag_take(&b, &at);
            continue;
        }
        const struct rules__leaf *l = &p->leaves[nd->leaf];
        bool manual = l->op == OP_MANUAL;
        const struct rules__fact *f = manual ? NULL : &p->cat->facts[l->fact];
        BP(&b, ",\"expected\":");
        frag_str(&b, l->expected);
        if (!manual) {
            BP(&b, ",\"fact\":");
            frag_str(&b, f->name);
        }
        nd->x_leaf = frag_take(&b, &at);
        char text[1024], subj[256];
        leaf_texts(p, nd, text, sizeof(text), subj, sizeof(subj));
        if (manual) {
            BP(&b, ",\"text\":");
            frag_str(&b, text);
            BP(&b, "}");
            nd->x_none = frag_take(&b, &at);
            continue;
        }
        BP(&b, ",\"actual\":null,\"text\":");
        frag_str(&b, text);
        BP(&b, "}");
        nd->x_none = frag_take(&b, &at);
        BP(&b, ",\"text\":\"");
        rules__escape(&b, subj);
        rules__escape(&b, l->op == OP_EXISTS ? " 有数据：" : " ");
        nd->x_text = frag_take(&b, &at);
        if (l->op != OP_EXISTS) {
            rules__escape(&b, "，需 ");
            rules__escape(&b, l->expected);
        }
        BP(&b, "\"}");
        nd->x_need = frag_take(&b, &at);
    }
    /* One block per policy: a row's explanation reads it front to back. */
    xfree(p->x_block);
    p->x_block = buf_take(&b);
    if (!p->x_block)
        p->x_block = xstrdup("");
    for (int i = 0; i < p->n_nodes; i++) {
        struct rules__node *nd = &p->nodes[i];
        struct rules__frag *fr[] = {&nd->x_head, &nd->x_leaf, &nd->x_none, &nd->x_text,
                                    &nd->x_need};
        for (size_t k = 0; k < sizeof(fr) / sizeof(fr[0]); k++)
            fr[k]->s = fr[k]->n ? p->x_block + (uintptr_t)fr[k]->s : p->x_block;
    }
    buf_cleanup(&b);
    /* A value is written twice (actual, text); a combinator adds its counts. */
    p->x_size = 0;
    for (int i = 0; i < p->n_nodes; i++) {
        const struct rules__node *nd = &p->nodes[i];
        p->x_size += nd->x_head.n + nd->x_leaf.n + nd->x_none.n + nd->x_text.n + nd->x_need.n +
                     160;
    }
}

/* Writes the template of node n of p and its subtree (rules_explain_template). */
static void template_node(const struct rules_policy *p, int n, struct buf *b)
{
    static const char *const kinds[] = {
        [N_LEAF] = "leaf", [N_ALL] = "all", [N_ANY] = "any", [N_NOT] = "not",
        [N_ATLEAST] = "at_least"};
    const struct rules__node *nd = &p->nodes[n];
    if (buf_append(b, nd->x_head.s, nd->x_head.n)) {
    }
    BP(b, ",\"kind\":\"%s\"", kinds[nd->kind]);
    if (nd->kind != N_LEAF) {
        if (nd->kind == N_ATLEAST)
            BP(b, ",\"k\":%d", nd->k);
        BP(b, ",\"text_before\":\"");
        rules__escape(b, nd->label ? nd->label : "");
        rules__escape(b, "：");
        BP(b, "\",\"children\":[");
        for (int i = 0; i < nd->n_kids; i++) {
            if (i)
                BP(b, ",");
            template_node(p, nd->kids[i], b);
        }
        BP(b, "]}");
        return;
    }
    const struct rules__leaf *l = &p->leaves[nd->leaf];
    if (buf_append(b, nd->x_leaf.s, nd->x_leaf.n)) {
    }
    char missing[1024], subj[256];
    leaf_texts(p, nd, missing, sizeof(missing), subj, sizeof(subj));
    if (l->op == OP_MANUAL)
        BP(b, ",\"manual\":true");
    if (l->op == OP_YEARS_SINCE)
        BP(b, ",\"years\":true");
    BP(b, ",\"text_missing\":");
    frag_str(b, missing);
    if (l->op != OP_MANUAL) {
        BP(b, ",\"text_before\":\"");
        rules__escape(b, subj);
        rules__escape(b, l->op == OP_EXISTS ? " 有数据：" : " ");
        BP(b, "\",\"text_after\":\"");
        if (l->op != OP_EXISTS) {
            rules__escape(b, "，需 ");
            rules__escape(b, l->expected);
        }
        BP(b, "\"");
    }
    BP(b, "}");
}

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

enum rc rules_explain_template(const struct rules_set *set, size_t i, struct buf *out,
                               struct err *e)
{
    if (i >= set->n)
        return err_set(e, RC_INVALID, NULL, "政策不在规则集中");
    const struct rules_policy *p = set->pols[i];
    struct buf t; /* uncapped, like the fragments; out's cap is checked once */
    buf_init(&t, SIZE_MAX / 2);
    template_node(p, p->root, &t);
    enum rc rc = buf_append(out, buf_str(&t), buf_len(&t));
    buf_cleanup(&t);
    return rc ? err_set(e, RC_TOOLARGE, NULL, "条件说明模板过大") : RC_OK;
}

enum rc rules_compile(const struct rules_catalog *cat, const struct rules_named *named,
                      const json_t *rule, int64_t policy_id, const struct rules_opts *opts,
                      struct rules_policy **out, struct err *e)
{
    *out = NULL;
    struct rules_policy *p = xcalloc(1, sizeof(*p));
    p->id = policy_id;
    p->cat = cat;
    p->amount = -1;
    struct cc c = {.cat = cat, .named = named, .p = p, .e = e};
    enum rc rc = RC_OK;
    static const char *const allowed[] = {"conditions", "exclusive_group", "cap_group", "amount",
                                          NULL};
    if (!json_is_object(rule)) {
        rc = fail(&c, RC_INVALID, "$", "规则应为 JSON 对象");
        goto out;
    }
    if ((rc = only_keys(&c, rule, allowed, "$")))
        goto out;
    const json_t *cond = json_object_get(rule, "conditions");
    if (!cond) {
        rc = fail(&c, RC_INVALID, "conditions", "缺少条件");
        goto out;
    }
    int root;
    if ((rc = compile_node(&c, cond, "conditions", 1, &root)))
        goto out;
    if (opts && opts->n_scope) {
        int ri = rules_catalog_fact_index(cat, "region");
        if (ri < 0 || cat->facts[ri].type != RULES_CODE) {
            rc = fail(&c, RC_INVALID, "scope", "事实目录中没有注册地行政区划（region）");
            goto out;
        }
        json_t *vals = json_array();
        for (size_t i = 0; i < opts->n_scope; i++)
            json_array_append_new(vals, json_string(opts->scope[i]));
        json_t *leaf = json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", "scope", "label",
                                 "注册地在政策适用区域内", "fact", "region", "op", "prefix_in",
                                 "value", vals);
        int sn;
        rc = compile_node(&c, leaf, "scope", 1, &sn);
        json_decref(leaf);
        if (rc)
            goto out;
        int all = new_node(p);
        p->nodes[all].kind = N_ALL;
        p->nodes[all].kids = xmalloc(2 * sizeof(int));
        p->nodes[all].kids[0] = sn;
        p->nodes[all].kids[1] = root;
        p->nodes[all].n_kids = 2;
        p->nodes[all].path = xstrdup("$");
        p->nodes[all].id = xstrdup("$");
        p->nodes[all].label = xstrdup("同时满足以下条件");
        root = all;
    }
    p->root = root;
    const json_t *am = json_object_get(rule, "amount");
    if (am && (rc = compile_amount(&c, am, "amount", 1, &p->amount)))
        goto out;
    const json_t *eg = json_object_get(rule, "exclusive_group");
    if (eg) {
        if (!json_is_string(eg) || !json_string_length(eg) ||
            json_string_length(eg) > RULES_MAX_STRING) {
            rc = fail(&c, RC_INVALID, "exclusive_group", "应为非空字符串");
            goto out;
        }
        p->exclusive_group = xstrdup(json_string_value(eg));
    }
    const json_t *cg = json_object_get(rule, "cap_group");
    if (cg) {
        const json_t *name = json_object_get(cg, "name"), *cap = json_object_get(cg, "cap");
        if (!json_is_object(cg) || json_object_size(cg) != 2 || !json_is_string(name) ||
            !json_string_length(name) || json_string_length(name) > RULES_MAX_STRING) {
            rc = fail(&c, RC_INVALID, "cap_group", "应为 {\"name\": 名称, \"cap\": 上限（分）}");
            goto out;
        }
        if (!json_is_integer(cap) || json_integer_value(cap) < 0) {
            rc = fail(&c, RC_INVALID, "cap_group.cap", "应为非负整数（金额以分为单位）");
            goto out;
        }
        p->cap_group = xstrdup(json_string_value(name));
        p->cap = json_integer_value(cap);
    }
    if (p->amount >= 0) {
        bool *seen = xcalloc(cat->n ? cat->n : 1, sizeof(bool));
        amount_facts(p, p->amount, seen);
        p->amount_facts = xcalloc(cat->n ? cat->n : 1, sizeof(int));
        for (size_t i = 0; i < cat->n; i++)
            if (seen[i])
                p->amount_facts[p->n_amount_facts++] = (int)i;
        xfree(seen);
    }
    if (!rc)
        explain_fragments(p);
out:
    if (rc) {
        rules_policy_free(p);
        return rc;
    }
    *out = p;
    return RC_OK;
}

void rules_policy_free(struct rules_policy *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->n_nodes; i++) {
        xfree(p->nodes[i].kids);
        xfree(p->nodes[i].path);
        xfree(p->nodes[i].id);
        xfree(p->nodes[i].label);
        xfree(p->nodes[i].source);
    }
    xfree(p->x_block);
    xfree(p->nodes);
    for (int i = 0; i < p->n_leaves; i++) {
        struct rules__leaf *l = &p->leaves[i];
        xfree(l->list);
        for (size_t k = 0; l->strs && k < l->n_list; k++)
            xfree(l->strs[k]);
        xfree(l->strs);
        xfree(l->key);
        xfree(l->expected);
    }
    xfree(p->leaves);
    for (int i = 0; i < p->n_amounts; i++) {
        xfree(p->amounts[i].when);
        xfree(p->amounts[i].parts);
    }
    xfree(p->amounts);
    xfree(p->gleaf);
    xfree(p->ops);
    xfree(p->op_kids);
    xfree(p->exclusive_group);
    xfree(p->cap_group);
    xfree(p->amount_facts);
    xfree(p);
}

int64_t rules_policy_id(const struct rules_policy *p)
{
    return p->id;
}

size_t rules_policy_facts(const struct rules_policy *p, const char **names, size_t max)
{
    size_t n_cat = p->cat->n;
    bool *seen = xcalloc(n_cat ? n_cat : 1, sizeof(bool));
    for (int i = 0; i < p->n_leaves; i++)
        if (p->leaves[i].fact >= 0)
            seen[p->leaves[i].fact] = true;
    for (int i = 0; i < p->n_amount_facts; i++)
        seen[p->amount_facts[i]] = true;
    size_t n = 0;
    for (size_t i = 0; i < n_cat; i++)
        if (seen[i]) {
            if (n < max)
                names[n] = p->cat->facts[i].name;
            n++;
        }
    xfree(seen);
    return n;
}

/* ---- sets ------------------------------------------------------------------------------ */

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
    int t = tag_index(f->cat, tag);
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
        fmt_code(f, v->code, out, n);
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
        fmt_num(f, v->i, out, n);
    }
}

/* ---- JsonLogic export ---------------------------------------------------------------------- */

static json_t *jl_var(const char *name)
{
    return json_pack("{s:s}", "var", name);
}

static json_t *jl_num(const struct rules__fact *f, int64_t v)
{
    if (f->type == RULES_DECIMAL) {
        char tmp[48];
        fmt_fixed(v, 4, tmp, sizeof(tmp));
        return json_real(strtod(tmp, NULL));
    }
    if (f->type == RULES_DATE) {
        char tmp[16];
        fmt_num(f, v, tmp, sizeof(tmp));
        return json_string(tmp);
    }
    if (f->type == RULES_BOOL)
        return json_boolean(v);
    return json_integer(v);
}

static json_t *jl_bin(const char *op, json_t *a, json_t *b)
{
    return json_pack("{s:[o,o]}", op, a, b);
}

static json_t *jl_leaf(const struct rules_policy *p, const struct rules__node *nd)
{
    const struct rules__leaf *l = &p->leaves[nd->leaf];
    if (l->op == OP_MANUAL) {
        char name[600];
        snprintf(name, sizeof(name), "manual.%s", nd->id);
        return jl_var(name);
    }
    const struct rules__fact *f = &p->cat->facts[l->fact];
    static const char *const jops[] = {"==", "!=", "<", "<=", ">", ">="};
    json_t *arr;
    switch (l->op) {
    case OP_EQ:
    case OP_NE:
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
        return jl_bin(jops[l->op], jl_var(f->name),
                      f->type == RULES_CODE ? json_string(l->strs[0]) : jl_num(f, l->a));
    case OP_BETWEEN:
        return json_pack("{s:[o,o,o]}", "<=", jl_num(f, l->a), jl_var(f->name), jl_num(f, l->b));
    case OP_IN:
    case OP_NOT_IN:
        arr = json_array();
        for (size_t i = 0; i < l->n_list; i++)
            json_array_append_new(arr, l->strs ? json_string(l->strs[i]) : jl_num(f, l->list[i]));
        if (l->op == OP_IN)
            return jl_bin("in", jl_var(f->name), arr);
        return json_pack("{s:o}", "!", jl_bin("in", jl_var(f->name), arr));
    case OP_PREFIX_IN:
        arr = json_array();
        for (size_t i = 0; i < l->n_list; i++) {
            const char *s = l->strs[i];
            json_t *t;
            if (f->code_kind == CODE_INDUSTRY && s[0] >= 'A' && s[0] <= 'Z') {
                char name[300];
                snprintf(name, sizeof(name), "%s_section", f->name);
                t = jl_bin("==", jl_var(name), json_string(s));
            } else {
                /* {"==": [{"substr": [var, 0, n]}, prefix]} */
                t = jl_bin("==",
                           json_pack("{s:[o,i,i]}", "substr", jl_var(f->name), 0,
                                     (int)strlen(s)),
                           json_string(s));
            }
            json_array_append_new(arr, t);
        }
        return json_pack("{s:o}", "or", arr);
    case OP_HAS:
    case OP_HAS_ANY:
    case OP_HAS_ALL:
        arr = json_array();
        for (int t = 0; t < p->cat->n_tags; t++)
            if (l->mask >> t & 1)
                json_array_append_new(arr, jl_bin("in", json_string(p->cat->tag_code[t]),
                                                  jl_var(f->name)));
        return json_pack("{s:o}", l->op == OP_HAS_ALL ? "and" : "or", arr);
    case OP_EXISTS:
        return json_pack("{s:[o,n]}", "!=", jl_var(f->name));
    case OP_YEARS_SINCE: {
        char name[300];
        snprintf(name, sizeof(name), "years_since.%s", f->name);
        return jl_bin(jops[l->cmp], jl_var(name), json_integer(l->a));
    }
    case OP_MANUAL:
        break;
    }
    return json_null();
}

static json_t *jl_node(const struct rules_policy *p, int n)
{
    const struct rules__node *nd = &p->nodes[n];
    if (nd->kind == N_LEAF)
        return jl_leaf(p, nd);
    if (nd->kind == N_NOT)
        return json_pack("{s:o}", "!", jl_node(p, nd->kids[0]));
    json_t *arr = json_array();
    for (int i = 0; i < nd->n_kids; i++) {
        json_t *k = jl_node(p, nd->kids[i]);
        if (nd->kind == N_ATLEAST) /* count the TRUE children: {"if": [k, 1, 0]} */
            k = json_pack("{s:[o,i,i]}", "if", k, 1, 0);
        json_array_append_new(arr, k);
    }
    if (nd->kind == N_ALL)
        return json_pack("{s:o}", "and", arr);
    if (nd->kind == N_ANY)
        return json_pack("{s:o}", "or", arr);
    return jl_bin(">=", json_pack("{s:o}", "+", arr), json_integer(nd->k));
}

json_t *rules_to_jsonlogic(const struct rules_policy *p)
{
    return jl_node(p, p->root);
}
