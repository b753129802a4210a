/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules_compile: the compiler from a policy's rule JSON to its compiled form
 * (rules_int.h). It checks every rule of docs/internals/rules.md §1 and names the
 * offending path.
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

static const char *const type_cn[] = {"整数类", "金额类", "小数类", "日期类",
                                      "代码类", "是否类", "标签类"};

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
    json_t *mobj = rules__unconst(obj);
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
        if (!rules__parse_fixed(tmp, 4, out))
            return fail(c, RC_INVALID, path, "应为最多 4 位小数的数字");
        return RC_OK;
    case RULES_DATE:
        if (!json_is_string(v) || !rules__parse_date(json_string_value(v), out))
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
            rules__fmt_code(f, l->strs[0], v1, sizeof(v1));
            BP(&x, "%s %s", cmp_sym(l->op), v1);
        } else if (f->type == RULES_BOOL) {
            BP(&x, "%s%s", l->op == OP_EQ ? "为" : "不为", l->a ? "是" : "否");
        } else if (f->type == RULES_DATE) {
            rules__fmt_num(f, l->a, v1, sizeof(v1));
            BP(&x, "%s %s", date_word(l->op), v1);
        } else {
            rules__fmt_num(f, l->a, v1, sizeof(v1));
            BP(&x, "%s %s", cmp_sym(l->op), v1);
        }
        break;
    case OP_BETWEEN:
        rules__fmt_num(f, l->a, v1, sizeof(v1));
        rules__fmt_num(f, l->b, v2, sizeof(v2));
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
                rules__fmt_code(f, l->strs[i], v1, sizeof(v1));
            else
                rules__fmt_num(f, l->list[i], v1, sizeof(v1));
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
                int ti = json_is_string(t) ? rules__tag_index(c->cat, json_string_value(t)) : -1;
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
        int ti = json_is_string(v) ? rules__tag_index(c->cat, json_string_value(v)) : -1;
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
        const json_t *def =
            json_is_string(r) ? rules__named_find(c->named, json_string_value(r)) : NULL;
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
        if (!rules__parse_fixed(tmp, 6, &a.rate) || a.rate < 0)
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
        rules__explain_fragments(p);
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

