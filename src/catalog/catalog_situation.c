/* SPDX-License-Identifier: Apache-2.0 */
/*
 * 情形 decide the material list: a guide compiled once into a checklist, evaluated
 * three-valued for many sets of answers (catalog_situation.h).
 */
#include "catalog_situation.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/mem.h"
#include "../rules/rules.h"

/* The item lists of a guide whose members may carry a `when`, in answer order. */
static const char *const groups[] = {"materials", "steps", "fees", "acceptance_conditions"};
#define N_GROUPS 4

/* One 情形 question. */
struct sit {
    const char *id;       /* borrowed from the guide */
    const char *question; /* borrowed from the guide */
    char type;            /* 'b' bool, 'i' int, 'c' code */
    const json_t *def;    /* the situation object (borrowed) */
    int fact;             /* its index in the rules catalogue */
};

/* One node of a condition, flattened in preorder (the order of rules' template and of
 * rules_explain_status's letters). */
struct tnode {
    char kind;   /* 'l' leaf, 'a' all, 'o' any, 'n' not, 'k' at_least */
    bool manual; /* a manual leaf (no fact) */
    int n_kids;
    int size; /* nodes in the subtree, itself included */
    int fact; /* a leaf's fact (catalogue index), else -1 */
};

/* One item of a group that has a `when`. */
struct entry {
    int group;
    size_t index; /* in the guide's array */
    long pol;     /* index of its compiled condition in the set, or -1 (always) */
    struct tnode *nodes;
    int n_nodes;
};

struct catalog_checklist {
    json_t *guide;
    struct rules_catalog *cat;
    struct rules_set *set;
    struct sit sits[CATALOG_MAX_SITUATIONS];
    size_t n_sits;
    struct entry *ents; /* every item of every group, in group order */
    size_t n_ents;
    bool *read; /* per catalogue fact: read by some condition */
};

static int sit_of_fact(const struct catalog_checklist *cl, int fact)
{
    for (size_t i = 0; i < cl->n_sits; i++)
        if (cl->sits[i].fact == fact)
            return (int)i;
    return -1;
}

static const struct sit *sit_find(const struct catalog_checklist *cl, const char *id)
{
    for (size_t i = 0; i < cl->n_sits; i++)
        if (strcmp(cl->sits[i].id, id) == 0)
            return &cl->sits[i];
    return NULL;
}

static bool sit_id_valid(const char *s)
{
    if (strncmp(s, "s_", 2) != 0 || !s[2] || strlen(s) > 64)
        return false;
    for (const char *c = s + 2; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
            return false;
    return true;
}

/* Reads the situations of the guide and adds each to the catalogue as a fact. */
static enum rc read_situations(struct catalog_checklist *cl, struct err *e)
{
    const json_t *arr = json_object_get(cl->guide, "situations");
    if (!arr || json_is_null(arr))
        return RC_OK;
    if (!json_is_array(arr))
        return err_set(e, RC_INVALID, "situations", "situations: 情形应为列表");
    if (json_array_size(arr) > CATALOG_MAX_SITUATIONS)
        return err_set(e, RC_TOOLARGE, "situations", "situations: 情形最多 %d 个",
                       CATALOG_MAX_SITUATIONS);
    size_t i;
    json_t *s;
    char field[64];
    json_array_foreach(arr, i, s)
    {
        snprintf(field, sizeof(field), "situations[%zu]", i);
        const char *id = json_string_value(json_object_get(s, "id"));
        const char *q = json_string_value(json_object_get(s, "question"));
        const char *type = json_string_value(json_object_get(s, "type"));
        if (!id || !sit_id_valid(id))
            return err_set(e, RC_INVALID, field,
                           "%s.id: 情形编号应为 s_ 开头的小写字母、数字或下划线", field);
        if (sit_find(cl, id))
            return err_set(e, RC_INVALID, field, "%s.id: 情形编号 %s 重复", field, id);
        if (!q || !*q)
            return err_set(e, RC_INVALID, field, "%s.question: 缺少问题", field);
        struct sit *st = &cl->sits[cl->n_sits];
        *st = (struct sit){.id = id, .question = q, .def = s};
        const char *unit = json_string_value(json_object_get(s, "unit"));
        struct buf vals;
        buf_init(&vals, 4096);
        enum rc rc = RC_OK;
        enum rules_type rt = RULES_BOOL;
        if (type && strcmp(type, "bool") == 0) {
            st->type = 'b';
            rt = RULES_BOOL;
        } else if (type && strcmp(type, "int") == 0) {
            st->type = 'i';
            rt = RULES_INT;
        } else if (type && strcmp(type, "code") == 0) {
            st->type = 'c';
            rt = RULES_CODE;
            const json_t *opts = json_object_get(s, "options");
            size_t k;
            json_t *o;
            if (!json_is_array(opts) || json_array_size(opts) == 0)
                rc = err_set(e, RC_INVALID, field, "%s.options: 选择题至少需要一个选项", field);
            json_array_foreach(opts, k, o)
            {
                const char *v = json_string_value(json_object_get(o, "value"));
                if (rc == RC_OK && (!v || !*v || strchr(v, ',') ||
                                    !json_string_value(json_object_get(o, "label"))))
                    rc = err_set(e, RC_INVALID, field,
                                 "%s.options[%zu]: 选项需要 value（不含逗号）和 label", field, k);
                if (rc == RC_OK && k && buf_puts(&vals, ","))
                    rc = err_set(e, RC_TOOLARGE, field, "%s.options: 选项过多", field);
                if (rc == RC_OK && buf_puts(&vals, v))
                    rc = err_set(e, RC_TOOLARGE, field, "%s.options: 选项过多", field);
            }
        } else {
            rc = err_set(e, RC_INVALID, field, "%s.type: 情形类型应为 bool、int 或 code", field);
        }
        /* A catalogue made from this guide (catalog_guide_rules) holds it already. */
        int have = rules_catalog_fact_index(cl->cat, id);
        if (rc == RC_OK && have >= 0 && rules_catalog_fact_type(cl->cat, have) == rt) {
            st->fact = have;
        } else if (rc == RC_OK) {
            st->fact = rules_catalog_add_fact(cl->cat, id, rt, q, unit ? unit : "",
                                              st->type == 'c' ? buf_str(&vals) : "");
            if (st->fact < 0)
                rc = err_set(e, RC_INVALID, field, "%s.id: 情形编号 %s 与企业事实重名", field, id);
        }
        buf_cleanup(&vals);
        if (rc)
            return rc;
        cl->n_sits++;
    }
    return RC_OK;
}

/* Flattens the template node t into nodes[*n..] (preorder); returns its subtree size. */
static int flatten(const struct rules_catalog *cat, const json_t *t, struct tnode *nodes, int *n,
                   int max)
{
    if (*n >= max)
        return 0;
    int me = (*n)++;
    const char *kind = json_string_value(json_object_get(t, "kind"));
    struct tnode *nd = &nodes[me];
    *nd = (struct tnode){.kind = 'l', .fact = -1};
    if (kind && strcmp(kind, "leaf") != 0) {
        nd->kind = strcmp(kind, "all") == 0   ? 'a'
                   : strcmp(kind, "any") == 0 ? 'o'
                   : strcmp(kind, "not") == 0 ? 'n'
                                              : 'k';
        const json_t *kids = json_object_get(t, "children");
        size_t i;
        json_t *k;
        int size = 1;
        json_array_foreach(kids, i, k)
        {
            size += flatten(cat, k, nodes, n, max);
            nodes[me].n_kids++;
        }
        nodes[me].size = size;
        return size;
    }
    const char *fact = json_string_value(json_object_get(t, "fact"));
    nd->manual = json_is_true(json_object_get(t, "manual"));
    nd->fact = fact ? rules_catalog_fact_index(cat, fact) : -1;
    nd->size = 1;
    return 1;
}

/* Compiles every `when` of the guide into one set. */
static enum rc compile_conditions(struct catalog_checklist *cl, struct err *e)
{
    size_t n = 0;
    for (int g = 0; g < N_GROUPS; g++) {
        const json_t *arr = json_object_get(cl->guide, groups[g]);
        if (arr && !json_is_array(arr) && !json_is_null(arr))
            return err_set(e, RC_INVALID, groups[g], "%s: 应为列表", groups[g]);
        n += json_array_size(arr);
    }
    cl->ents = xcalloc(n ? n : 1, sizeof(*cl->ents));
    struct rules_policy **pols = xcalloc(n ? n : 1, sizeof(*pols));
    size_t n_pols = 0;
    enum rc rc = RC_OK;
    for (int g = 0; g < N_GROUPS && rc == RC_OK; g++) {
        const json_t *arr = json_object_get(cl->guide, groups[g]);
        size_t i;
        json_t *it;
        json_array_foreach(arr, i, it)
        {
            struct entry *en = &cl->ents[cl->n_ents++];
            *en = (struct entry){.group = g, .index = i, .pol = -1};
            json_t *when = json_object_get(it, "when");
            if (!when || json_is_null(when))
                continue;
            json_t *rule = json_pack("{sO}", "conditions", when);
            struct rules_policy *pol = NULL;
            rc = rules_compile(cl->cat, NULL, rule, (int64_t)n_pols + 1, NULL, &pol, e);
            json_decref(rule);
            if (rc) {
                /* "conditions.all[0].value: 说明" → "materials[3].when.all[0].value: 说明" */
                const char *rest = strncmp(e->field, "conditions", 10) == 0 ? e->field + 10 : "";
                const char *why = strstr(e->msg, ": ");
                char field[192], msg[sizeof(e->msg)];
                snprintf(field, sizeof(field), "%s[%zu].when%s", groups[g], i, rest);
                snprintf(msg, sizeof(msg), "%s", why ? why + 2 : e->msg);
                err_set(e, rc, field, "%s: %s", field, msg);
                break;
            }
            en->pol = (long)n_pols;
            pols[n_pols++] = pol;
        }
    }
    if (rc) {
        for (size_t k = 0; k < n_pols; k++)
            rules_policy_free(pols[k]);
        xfree(pols);
        return rc;
    }
    cl->set = rules_set_new(cl->cat, pols, n_pols);
    xfree(pols);
    /* Each condition's tree, from rules' template (the order of its status letters). */
    cl->read = xcalloc(rules_catalog_size(cl->cat) + 1, sizeof(bool));
    struct buf b;
    buf_init(&b, 16 << 20);
    for (size_t k = 0; k < cl->n_ents && rc == RC_OK; k++) {
        struct entry *en = &cl->ents[k];
        if (en->pol < 0)
            continue;
        buf_reset(&b);
        rc = rules_explain_template(cl->set, (size_t)en->pol, &b, e);
        json_t *t = rc ? NULL : json_loadb(buf_str(&b), buf_len(&b), 0, NULL);
        if (rc == RC_OK && !t)
            rc = err_set(e, RC_INTERNAL, NULL, "条件模板无法解析");
        int max = (int)rules_explain_nodes(cl->set, (size_t)en->pol);
        en->nodes = xcalloc(max ? (size_t)max : 1, sizeof(*en->nodes));
        if (t)
            flatten(cl->cat, t, en->nodes, &en->n_nodes, max);
        json_decref(t);
        if (rc == RC_OK && en->n_nodes != max)
            rc = err_set(e, RC_INTERNAL, NULL, "条件模板与条件不一致");
        for (int j = 0; j < en->n_nodes; j++)
            if (en->nodes[j].fact >= 0)
                cl->read[en->nodes[j].fact] = true;
    }
    buf_cleanup(&b);
    return rc;
}

enum rc catalog_checklist_new(const json_t *guide, struct rules_catalog *cat,
                              struct catalog_checklist **out, struct err *e)
{
    *out = NULL;
    if (!json_is_object(guide)) {
        rules_catalog_free(cat);
        return err_set(e, RC_INVALID, NULL, "办事指南应为对象");
    }
    struct catalog_checklist *cl = xcalloc(1, sizeof(*cl));
    cl->guide = json_incref((json_t *)(uintptr_t)guide);
    cl->cat = cat;
    enum rc rc = read_situations(cl, e);
    if (rc == RC_OK)
        rc = compile_conditions(cl, e);
    if (rc) {
        catalog_checklist_free(cl);
        return rc;
    }
    *out = cl;
    return RC_OK;
}

void catalog_checklist_free(struct catalog_checklist *cl)
{
    if (!cl)
        return;
    for (size_t i = 0; i < cl->n_ents; i++)
        xfree(cl->ents[i].nodes);
    xfree(cl->ents);
    xfree(cl->read);
    rules_set_free(cl->set);
    rules_catalog_free(cl->cat);
    json_decref(cl->guide);
    xfree(cl);
}

const struct rules_catalog *catalog_checklist_catalog(const struct catalog_checklist *cl)
{
    return cl->cat;
}

struct rules_facts *catalog_checklist_facts_new(const struct catalog_checklist *cl)
{
    return rules_facts_new(cl->cat);
}

/* ---- evaluation ------------------------------------------------------------------ */

/* Appends to a reason; a reason longer than its buffer's cap is cut there. */
static void putn(struct buf *b, const char *s, size_t n)
{
    if (buf_append(b, s, n) != RC_OK)
        return;
}

static void put(struct buf *b, const char *s)
{
    putn(b, s, strlen(s));
}

/* What one evaluation knows besides the rules row. */
struct ectx {
    const struct catalog_checklist *cl;
    const json_t *answers;
    bool *answered; /* per catalogue fact: given in answers */
    json_t *values; /* rules_explain_values, parsed on first use */
    struct rules_row *row;
    struct rules_facts *f;
    int64_t today;
};

/* Sets one answer on f after checking it against its question. */
static enum rc set_answer(struct ectx *x, const char *key, const json_t *v, struct err *e)
{
    const struct catalog_checklist *cl = x->cl;
    char field[96], canon[64];
    snprintf(field, sizeof(field), "answers.%.80s", key);
    const struct sit *s = sit_find(cl, key);
    int fact = rules_catalog_fact_index(cl->cat, key);
    if (!s && (fact < 0 || !cl->read[fact]))
        return err_set(e, RC_INVALID, field, "本事项没有“%.80s”这个问题", key);
    x->answered[fact] = true;
    if (json_is_null(v)) {
        rules_facts_unset(x->f, key);
        return RC_OK;
    }
    const char *text = canon;
    if (s && s->type == 'b') {
        if (!json_is_boolean(v))
            return err_set(e, RC_INVALID, field, "“%s”请回答是或否", s->question);
        snprintf(canon, sizeof(canon), "%s", json_is_true(v) ? "true" : "false");
    } else if (s && s->type == 'i') {
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > 1000000000000LL)
            return err_set(e, RC_INVALID, field, "“%s”应填写不小于 0 的整数", s->question);
        snprintf(canon, sizeof(canon), "%" PRId64, (int64_t)json_integer_value(v));
    } else if (s) {
        const char *str = json_string_value(v);
        const json_t *opts = json_object_get(s->def, "options");
        size_t i;
        json_t *o;
        bool ok = false;
        json_array_foreach(opts, i, o)
        {
            const char *ov = json_string_value(json_object_get(o, "value"));
            ok |= str && ov && strcmp(ov, str) == 0;
        }
        if (!ok)
            return err_set(e, RC_INVALID, field, "“%s”的回答不是可选项之一，请从选项中选择",
                           s->question);
        text = str;
    } else if (json_is_integer(v)) {
        snprintf(canon, sizeof(canon), "%" PRId64, (int64_t)json_integer_value(v));
    } else if (json_is_boolean(v)) {
        snprintf(canon, sizeof(canon), "%s", json_is_true(v) ? "true" : "false");
    } else if (json_is_string(v)) {
        text = json_string_value(v);
    } else {
        return err_set(e, RC_INVALID, field, "%s 的值不正确",
                       rules_catalog_fact_label(cl->cat, fact));
    }
    struct err fe;
    err_clear(&fe);
    if (rules_facts_set(x->f, key, text, false, &fe))
        return err_set(e, RC_INVALID, field, "%s 的值不正确",
                       rules_catalog_fact_label(cl->cat, fact));
    return RC_OK;
}

/* Adds fact to list (no duplicates). */
static void add_fact(int *list, int *n, int fact)
{
    if (fact < 0)
        return;
    for (int i = 0; i < *n; i++)
        if (list[i] == fact)
            return;
    list[(*n)++] = fact;
}

/* Collects the facts of the leaves that give node i (of value v, 't' or 'f') its value. */
static void justify(const struct entry *en, const char *st, int i, char v, int *list, int *n)
{
    const struct tnode *nd = &en->nodes[i];
    if (nd->kind == 'l') {
        if (!nd->manual)
            add_fact(list, n, nd->fact);
        return;
    }
    char want = v;
    bool every = (nd->kind == 'a' && v == 't') || (nd->kind == 'o' && v == 'f');
    if (nd->kind == 'n')
        want = v == 't' ? 'f' : 't';
    int c = i + 1;
    for (int k = 0; k < nd->n_kids; k++) {
        if (every || st[c] == want)
            justify(en, st, c, st[c], list, n);
        c += en->nodes[c].size;
    }
}

/* Collects the facts of the UNKNOWN leaves under UNKNOWN ancestors of node i: only they
 * can still change the item (a decided subtree stays decided whatever comes). */
static void relevant(const struct entry *en, const char *st, int i, int *list, int *n)
{
    const struct tnode *nd = &en->nodes[i];
    if (nd->kind == 'l') {
        if (st[i] == 'u' && !nd->manual)
            add_fact(list, n, nd->fact);
        return;
    }
    int c = i + 1;
    for (int k = 0; k < nd->n_kids; k++) {
        if (st[c] == 'u')
            relevant(en, st, c, list, n);
        c += en->nodes[c].size;
    }
}

/* Writes how fact is answered ("经营项目：餐饮服务") into b. */
static void describe(struct ectx *x, int fact, struct buf *b)
{
    const struct catalog_checklist *cl = x->cl;
    const char *name = rules_catalog_fact_name(cl->cat, fact);
    int si = sit_of_fact(cl, fact);
    if (si >= 0) {
        const struct sit *s = &cl->sits[si];
        size_t qn = strlen(s->question);
        /* The question without its question mark. */
        if (qn >= 3 && strcmp(s->question + qn - 3, "？") == 0)
            qn -= 3;
        else if (qn && s->question[qn - 1] == '?')
            qn--;
        putn(b, s->question, qn);
        put(b, "：");
        const json_t *v = json_object_get(x->answers, name);
        if (s->type == 'b') {
            put(b, json_is_true(v) ? "是" : "否");
        } else if (s->type == 'i') {
            const char *unit = json_string_value(json_object_get(s->def, "unit"));
            char num[32];
            snprintf(num, sizeof(num), "%" PRId64, (int64_t)json_integer_value(v));
            put(b, num);
            put(b, unit ? unit : "");
        } else {
            size_t i;
            json_t *o;
            json_array_foreach(json_object_get(s->def, "options"), i, o)
            {
                if (json_equal(json_object_get(o, "value"), v))
                    put(b, json_string_value(json_object_get(o, "label")));
            }
        }
        return;
    }
    if (!x->values) {
        struct buf vb;
        struct err fe;
        buf_init(&vb, 1 << 20);
        if (rules_explain_values(cl->set, x->row, x->f, x->today, false, &vb, &fe) == RC_OK)
            x->values = json_loadb(buf_str(&vb), buf_len(&vb), 0, NULL);
        buf_cleanup(&vb);
        if (!x->values)
            x->values = json_object();
    }
    const char *actual = json_string_value(json_object_get(x->values, name));
    put(b, rules_catalog_fact_label(cl->cat, fact));
    put(b, "：");
    put(b, actual ? actual : "");
    put(b, x->answered[fact] ? "" : "（企业登记信息）");
}

/* Writes what the missing facts are ("需先回答：是否为连锁经营企业？") into b. */
static void describe_needs(const struct catalog_checklist *cl, const int *facts, int n,
                           struct buf *b)
{
    if (n == 0) {
        put(b, "需工作人员现场确认");
        return;
    }
    put(b, "取决于：");
    for (int i = 0; i < n; i++) {
        int si = sit_of_fact(cl, facts[i]);
        if (i)
            put(b, "；");
        put(b, si >= 0 ? cl->sits[si].question : rules_catalog_fact_label(cl->cat, facts[i]));
    }
}

/* One question's rank. */
struct qrank {
    int sit;
    int count;
};

static int cmp_qrank(const void *a, const void *b)
{
    const struct qrank *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return x->sit - y->sit;
}

enum rc catalog_checklist_eval(const struct catalog_checklist *cl, const json_t *answers,
                               struct rules_facts *f, int64_t today, json_t **out, struct err *e)
{
    *out = NULL;
    if (answers && !json_is_null(answers) && !json_is_object(answers))
        return err_set(e, RC_INVALID, "answers", "answers 应为对象，例如 {\"s_chain\": true}");
    size_t n_cat = rules_catalog_size(cl->cat);
    struct ectx x = {.cl = cl, .answers = answers, .f = f, .today = today};
    x.answered = xcalloc(n_cat + 1, sizeof(bool));
    enum rc rc = RC_OK;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)(uintptr_t)answers, key, v)
    {
        if ((rc = set_answer(&x, key, v, e)) != RC_OK)
            break;
    }
    if (rc == RC_OK)
        rc = rules_eval(cl->set, f, today, 0, &x.row, e);
    if (rc) {
        xfree(x.answered);
        return rc;
    }
    json_t *res = json_object(), *pending = json_object();
    json_t *lists[N_GROUPS], *plists[N_GROUPS];
    for (int g = 0; g < N_GROUPS; g++) {
        lists[g] = json_array();
        plists[g] = json_array();
    }
    int *facts = xcalloc(n_cat + 1, sizeof(int));
    int *counts = xcalloc(n_cat + 1, sizeof(int));
    size_t max_nodes = 1;
    for (size_t k = 0; k < cl->n_ents; k++)
        if ((size_t)cl->ents[k].n_nodes > max_nodes)
            max_nodes = (size_t)cl->ents[k].n_nodes;
    char *st = xmalloc(max_nodes);
    struct buf b;
    buf_init(&b, 64 << 10);
    bool complete = true;
    for (size_t k = 0; k < cl->n_ents && rc == RC_OK; k++) {
        const struct entry *en = &cl->ents[k];
        json_t *item = json_array_get(json_object_get(cl->guide, groups[en->group]), en->index);
        enum rules_outcome o = RULES_ELIGIBLE;
        if (en->pol >= 0) {
            o = x.row->results[en->pol].outcome;
            rc = rules_explain_status(cl->set, x.row, (size_t)en->pol, st, e);
            if (rc)
                break;
        }
        if (o == RULES_INELIGIBLE)
            continue;
        json_t *copy = json_is_object(item) ? json_copy(item) : json_object();
        json_object_del(copy, "when");
        int n = 0;
        buf_reset(&b);
        if (o == RULES_ELIGIBLE) {
            if (en->pol < 0) {
                put(&b, "适用于所有申请人");
            } else {
                justify(en, st, 0, 't', facts, &n);
                put(&b, "依据：");
                for (int i = 0; i < n; i++) {
                    if (i)
                        put(&b, "；");
                    describe(&x, facts[i], &b);
                }
            }
            json_object_set_new(copy, "reason", json_string(buf_str(&b)));
            json_array_append_new(lists[en->group], copy);
            continue;
        }
        complete = false;
        if (st[0] == 'u')
            relevant(en, st, 0, facts, &n);
        json_t *needs = json_array();
        for (int i = 0; i < n; i++) {
            json_array_append_new(needs, json_string(rules_catalog_fact_name(cl->cat, facts[i])));
            counts[facts[i]]++;
        }
        describe_needs(cl, facts, n, &b);
        json_object_set_new(copy, "needs", needs);
        json_object_set_new(copy, "reason", json_string(buf_str(&b)));
        json_array_append_new(plists[en->group], copy);
    }
    buf_cleanup(&b);
    /* The questions still needed: most pending items first, then the guide's order. */
    struct qrank ranks[CATALOG_MAX_SITUATIONS] = {{0, 0}};
    size_t n_q = 0;
    for (size_t i = 0; i < cl->n_sits; i++)
        if (counts[cl->sits[i].fact] > 0)
            ranks[n_q++] = (struct qrank){(int)i, counts[cl->sits[i].fact]};
    qsort(ranks, n_q, sizeof(*ranks), cmp_qrank);
    json_t *qs = json_array();
    for (size_t i = 0; i < n_q; i++) {
        const struct sit *s = &cl->sits[ranks[i].sit];
        json_t *q = json_copy((json_t *)(uintptr_t)s->def);
        json_object_set_new(q, "decides", json_integer(ranks[i].count));
        json_array_append_new(qs, q);
    }
    json_object_set_new(res, "complete", json_boolean(complete));
    json_object_set_new(res, "questions", qs);
    for (int g = 0; g < N_GROUPS; g++) {
        json_object_set_new(res, groups[g], lists[g]);
        json_object_set_new(pending, groups[g], plists[g]);
    }
    json_object_set_new(res, "pending", pending);
    /* What a 一次性告知单 prints besides the lists, as the guide has it. */
    static const char *const copied[] = {"situations", "time_limit",    "case_type",      "visits",
                                         "locations",  "consult_phone", "complaint_phone"};
    for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]); i++) {
        json_t *gv = json_object_get(cl->guide, copied[i]);
        json_object_set(res, copied[i], gv ? gv : json_null());
    }
    xfree(st);
    xfree(facts);
    xfree(counts);
    xfree(x.answered);
    json_decref(x.values);
    rules_row_free(x.row);
    if (rc) {
        json_decref(res);
        return rc;
    }
    *out = res;
    return RC_OK;
}
