/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules_explain: what a compiled policy says in words and in JsonLogic: the
 * explanation fragments made once at compile time (rules_eval.c's explanations copy
 * them), the explanation template and the export to JsonLogic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/jsonx.h"
#include "../base/mem.h"
#include "rules_int.h"

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
void rules__explain_fragments(struct rules_policy *p)
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

/* ---- JsonLogic export ---------------------------------------------------------------------- */

static json_t *jl_var(const char *name)
{
    return json_pack("{s:s}", "var", name);
}

static json_t *jl_num(const struct rules__fact *f, int64_t v)
{
    if (f->type == RULES_DECIMAL) {
        char tmp[48];
        rules__fmt_fixed(v, 4, tmp, sizeof(tmp));
        return json_real(strtod(tmp, NULL));
    }
    if (f->type == RULES_DATE) {
        char tmp[16];
        rules__fmt_num(f, v, tmp, sizeof(tmp));
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
