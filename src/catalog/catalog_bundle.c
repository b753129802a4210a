/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog_bundle: the merged view of a 一件事 bundle and the 跨省通办 report (see the
 * header; rules in docs/internals/catalog.md "一件事 bundles" and "跨省通办 report").
 */
#include "catalog_bundle.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/mem.h"
#include "../rules/rules.h"

static const char *str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

/* Returns a new reference to the array v, or a new empty array when v is not one. */
static json_t *arr(json_t *v)
{
    return json_is_array(v) ? json_incref(v) : json_array();
}

static const char *path_str(const json_t *obj, const char *a, const char *b)
{
    return str(json_object_get(obj, a), b);
}

static void conflict(json_t *out, const char *kind, const char *basic_code, const char *field,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Appends {kind, basic_code?, field?, message} to out.conflicts. */
static void conflict(json_t *out, const char *kind, const char *basic_code, const char *field,
                     const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *c = json_pack("{s:s, s:s}", "kind", kind, "message", msg);
    if (basic_code)
        json_object_set_new(c, "basic_code", json_string(basic_code));
    if (field)
        json_object_set_new(c, "field", json_string(field));
    json_array_append_new(json_object_get(out, "conflicts"), c);
}

/* Returns the member detail of basic_code and kind from members, or NULL. */
static const json_t *find_member(const json_t *members, const char *basic_code, const char *kind)
{
    json_t *d;
    size_t i;
    json_array_foreach(members, i, d)
    {
        if (strcmp(path_str(d, "item", "basic_code"), basic_code) == 0 &&
            (!*kind || strcmp(path_str(d, "task", "kind"), kind) == 0))
            return d;
    }
    return NULL;
}

/* ---- conditions: three-valued, through the rules engine ---- */

enum tri { TRI_FALSE = 0, TRI_TRUE = 1, TRI_UNKNOWN = 2 };

/*
 * Evaluates node over the bundle's situations answered by answers. A node that does not
 * compile over the situations alone (an enterprise fact, a bad shape) is UNKNOWN: the
 * bundle view has no enterprise facts, and the part is then listed as possibly later.
 */
static enum tri eval_when(const json_t *situations, json_t *answers, const json_t *node)
{
    struct rules_catalog *cat = rules_catalog_new();
    struct rules_policy *pol = NULL;
    struct rules_set *set = NULL;
    struct rules_facts *f = NULL;
    struct rules_row *row = NULL;
    struct err e = {0};
    enum tri t = TRI_UNKNOWN;
    json_t *s;
    size_t i;
    json_array_foreach(situations, i, s)
    {
        const char *type = str(s, "type");
        if (strcmp(type, "bool") == 0) {
            rules_catalog_add_fact(cat, str(s, "id"), RULES_BOOL, str(s, "question"), "", "");
        } else if (strcmp(type, "int") == 0) {
            rules_catalog_add_fact(cat, str(s, "id"), RULES_INT, str(s, "question"), "", "");
        } else {
            struct buf vals;
            buf_init(&vals, 1 << 16);
            json_t *o;
            size_t k;
            json_array_foreach(json_object_get(s, "options"), k, o)
            {
                if (buf_printf(&vals, "%s%s", k ? "," : "", str(o, "value"))) {
                }
            }
            rules_catalog_add_fact(cat, str(s, "id"), RULES_CODE, str(s, "question"), "",
                                   vals.data ? vals.data : "");
            buf_cleanup(&vals);
        }
    }
    json_t *doc = json_pack("{s:O}", "conditions", node);
    if (rules_compile(cat, NULL, doc, 1, NULL, &pol, &e))
        goto out;
    set = rules_set_new(cat, &pol, 1);
    pol = NULL;
    f = rules_facts_new(cat);
    const char *key;
    json_t *v;
    json_object_foreach(answers, key, v)
    {
        char canon[64];
        const char *text = NULL;
        if (json_is_boolean(v)) {
            text = json_is_true(v) ? "true" : "false";
        } else if (json_is_integer(v)) {
            snprintf(canon, sizeof canon, "%lld", (long long)json_integer_value(v));
            text = canon;
        } else if (json_is_string(v)) {
            text = json_string_value(v);
        }
        /* An answer to no situation of the bundle, or of a bad type, stays unanswered. */
        if (text && rules_facts_set(f, key, text, true, &e)) {
        }
    }
    if (rules_eval(set, f, 0, 0, &row, &e))
        goto out;
    if (row->results[0].outcome == RULES_ELIGIBLE)
        t = TRI_TRUE;
    else if (row->results[0].outcome == RULES_INELIGIBLE)
        t = TRI_FALSE;
out:
    rules_row_free(row);
    rules_facts_free(f);
    rules_set_free(set);
    rules_policy_free(pol);
    json_decref(doc);
    rules_catalog_free(cat);
    return t;
}

/* ---- members, order and deferral ---- */

static void merge_members(json_t *out, const json_t *bundle, const json_t *members, json_t *answers)
{
    json_t *list = json_array(), *deferred = json_array();
    json_t *m;
    size_t i;
    json_array_foreach(json_object_get(bundle, "members"), i, m)
    {
        const char *bc = str(m, "basic_code"), *kind = str(m, "kind");
        const json_t *d = find_member(members, bc, kind);
        json_t *row = json_pack("{s:s, s:s, s:s, s:b, s:o}", "basic_code", bc, "kind", kind, "role",
                                str(m, "role"), "found", d != NULL, "after",
                                arr(json_object_get(m, "after")));
        if (d) {
            json_object_set_new(row, "id", json_incref(json_object_get(d, "id")));
            json_object_set_new(row, "impl_code", json_string(str(d, "impl_code")));
            json_object_set_new(row, "name", json_string(path_str(d, "task", "name")));
            json_object_set_new(row, "agency_name", json_string(path_str(d, "agency", "name")));
            json_object_set_new(row, "region", json_string(path_str(d, "codes", "region")));
        } else {
            json_object_set_new(row, "name", json_null());
            conflict(out, "member_missing", bc, NULL,
                     "成员事项 %s（%s）在本地区没有已发布的办事指南", bc, kind);
        }
        const json_t *def = json_object_get(m, "deferred");
        if (def) {
            const json_t *when = json_object_get(def, "when");
            enum tri t =
                when ? eval_when(json_object_get(bundle, "situations"), answers, when) : TRI_TRUE;
            const char *state = t == TRI_TRUE ? "later" : t == TRI_FALSE ? "now" : "unknown";
            json_object_set_new(
                row, "deferred",
                json_pack("{s:s, s:s}", "state", state, "reason", str(def, "reason")));
            if (t != TRI_FALSE)
                json_array_append_new(deferred,
                                      json_pack("{s:s, s:s, s:s, s:s}", "basic_code", bc, "name",
                                                d ? path_str(d, "task", "name") : bc, "state",
                                                state, "reason", str(def, "reason")));
        } else {
            json_object_set_new(row, "deferred", json_null());
        }
        json_array_append_new(list, row);
    }
    json_object_set_new(out, "members", list);
    json_object_set_new(out, "deferred", deferred);
}

/* Index of the member of basic_code in the merged member list, or -1. */
static long member_index(const json_t *list, const char *bc)
{
    json_t *m;
    size_t i;
    json_array_foreach(list, i, m)
    {
        if (strcmp(str(m, "basic_code"), bc) == 0)
            return (long)i;
    }
    return -1;
}

/* Orders the members in steps (Kahn's algorithm): a member comes after all it names. */
static void order_members(json_t *out)
{
    json_t *list = json_object_get(out, "members");
    size_t n = json_array_size(list);
    int *step = xcalloc(n ? n : 1, sizeof *step);
    for (size_t i = 0; i < n; i++) {
        step[i] = -1;
        json_t *a;
        size_t k;
        json_array_foreach(json_object_get(json_array_get(list, i), "after"), k, a)
        {
            if (member_index(list, json_string_value(a) ? json_string_value(a) : "") < 0)
                conflict(out, "order", str(json_array_get(list, i), "basic_code"), NULL,
                         "成员事项 %s 的前置事项 %s 不在本一件事中",
                         str(json_array_get(list, i), "basic_code"),
                         json_string_value(a) ? json_string_value(a) : "");
        }
    }
    json_t *order = json_array();
    size_t placed = 0;
    for (int s = 0; placed < n; s++) {
        json_t *level = json_array();
        for (size_t i = 0; i < n; i++) {
            if (step[i] >= 0)
                continue;
            bool ready = true;
            json_t *a;
            size_t k;
            json_array_foreach(json_object_get(json_array_get(list, i), "after"), k, a)
            {
                long j = member_index(list, json_string_value(a) ? json_string_value(a) : "");
                if (j >= 0 && (step[j] < 0 || step[j] >= s))
                    ready = false;
            }
            if (ready)
                json_array_append_new(level,
                                      json_string(str(json_array_get(list, i), "basic_code")));
        }
        if (json_array_size(level) == 0) {
            /* A cycle: the rest go into one last step, reported. */
            for (size_t i = 0; i < n; i++) {
                if (step[i] >= 0)
                    continue;
                const char *bc = str(json_array_get(list, i), "basic_code");
                conflict(out, "order", bc, NULL, "成员事项 %s 的办理顺序存在循环依赖", bc);
                json_array_append_new(level, json_string(bc));
            }
        }
        json_t *v;
        size_t k;
        json_array_foreach(level, k, v)
        {
            long i = member_index(list, json_string_value(v));
            step[i] = s;
            placed++;
            json_object_set_new(json_array_get(list, (size_t)i), "step", json_integer(s + 1));
        }
        json_array_append_new(order, level);
    }
    json_object_set_new(out, "order", order);
    xfree(step);
}

/* ---- the merged form (一表申请) ---- */

static void merge_form(json_t *out, const json_t *bundle, const json_t *members)
{
    json_t *form = json_array(), *seen = json_object(), *mapped = json_object();
    json_t *f;
    size_t i;
    json_array_foreach(json_object_get(bundle, "form"), i, f)
    {
        const char *field = str(f, "field");
        if (json_object_get(seen, field)) {
            conflict(out, "form", NULL, field, "表单字段 %s 重复定义", field);
            continue;
        }
        json_object_set_new(seen, field, json_true());
        json_t *maps = json_array(), *mp;
        size_t k;
        json_array_foreach(json_object_get(f, "maps"), k, mp)
        {
            const char *bc = str(mp, "basic_code"), *mf = str(mp, "field");
            const json_t *d = find_member(members, bc, "");
            bool member = false;
            json_t *bm;
            size_t j;
            json_array_foreach(json_object_get(bundle, "members"), j, bm)
            {
                if (strcmp(str(bm, "basic_code"), bc) == 0)
                    member = true;
            }
            if (!member) {
                conflict(out, "form", bc, field, "表单字段 %s 映射到了不属于本一件事的事项 %s",
                         field, bc);
                continue;
            }
            char key[512];
            snprintf(key, sizeof key, "%s\x1f%s", bc, mf);
            const char *prev = json_string_value(json_object_get(mapped, key));
            if (prev) {
                conflict(out, "form", bc, field, "事项 %s 的表单项「%s」同时被字段 %s 和 %s 映射",
                         bc, mf, prev, field);
                continue;
            }
            json_object_set_new(mapped, key, json_string(field));
            json_array_append_new(maps, json_pack("{s:s, s:s, s:s}", "basic_code", bc, "field", mf,
                                                  "name", d ? path_str(d, "task", "name") : bc));
        }
        json_array_append_new(form,
                              json_pack("{s:s, s:s, s:s, s:o}", "field", field, "label",
                                        str(f, "label"), "type", str(f, "type"), "maps", maps));
    }
    json_object_set_new(out, "form", form);
    json_decref(seen);
    json_decref(mapped);
}

/* ---- merged materials (一套材料) ---- */

/* Writes name without spaces and with ASCII parentheses made full-width into out. */
static void normalize_name(const char *name, char *out, size_t n)
{
    size_t o = 0;
    for (const char *p = name; *p && o + 4 < n; p++) {
        if (*p == ' ' || *p == '\t')
            continue;
        if (strncmp(p, "\xe3\x80\x80", 3) == 0) { /* an ideographic space */
            p += 2;
            continue;
        }
        if (*p == '(' || *p == ')') {
            memcpy(out + o, *p == '(' ? "（" : "）", 3);
            o += 3;
            continue;
        }
        out[o++] = *p;
    }
    out[o] = '\0';
}

static int necessity_rank(const char *n)
{
    return strcmp(n, "required") == 0 ? 2 : strcmp(n, "optional") == 0 ? 1 : 0;
}

/* Merges material m of member bc into the merged entry into (same name and source). */
static void merge_into(json_t *out, json_t *into, const json_t *m, const char *bc)
{
    json_int_t c = json_integer_value(json_object_get(m, "copies"));
    if (c > json_integer_value(json_object_get(into, "copies")))
        json_object_set_new(into, "copies", json_integer(c));
    if (necessity_rank(str(m, "necessity")) > necessity_rank(str(into, "necessity")))
        json_object_set_new(into, "necessity", json_string(str(m, "necessity")));
    if (!json_is_true(json_object_get(m, "tolerance")))
        json_object_set_new(into, "tolerance", json_false());
    const char *a = str(into, "form"), *b = str(m, "form");
    if (strcmp(a, b) != 0) {
        if (strcmp(a, "paper_or_electronic") == 0) {
            json_object_set_new(into, "form", json_string(b));
        } else if (strcmp(b, "paper_or_electronic") != 0) {
            conflict(out, "material", bc, NULL,
                     "材料「%s」各事项要求的形式不同（纸质与电子），按纸质收取", str(into, "name"));
            json_object_set_new(into, "form", json_string("paper"));
        }
    }
    /* Needed when any member needs it: no condition wins over conditions. */
    json_t *when = json_object_get(m, "when");
    json_t *cur = json_object_get(into, "when");
    if (!when) {
        json_object_del(into, "when");
    } else if (cur) {
        json_t *any = json_object_get(cur, "any");
        if (!any || !json_object_get(into, "_combined")) {
            json_t *comb = json_pack("{s:[O]}", "any", cur);
            json_object_set_new(into, "when", comb);
            json_object_set_new(into, "_combined", json_true());
            any = json_object_get(comb, "any");
        }
        bool dup = false;
        json_t *x;
        size_t i;
        json_array_foreach(any, i, x)
        {
            if (json_equal(x, when))
                dup = true;
        }
        if (!dup)
            json_array_append(any, when);
    }
    json_array_append_new(json_object_get(into, "members"),
                          json_pack("{s:s, s:s}", "basic_code", bc, "id", str(m, "id")));
}

static void merge_materials(json_t *out, const json_t *members)
{
    json_t *merged = json_array(), *by_key = json_object(), *by_name = json_object();
    json_t *mrow;
    size_t i, before = 0;
    /* In the bundle's member order, so the merged list reads like the guides. */
    json_array_foreach(json_object_get(out, "members"), i, mrow)
    {
        const char *bc = str(mrow, "basic_code");
        const json_t *d = find_member(members, bc, str(mrow, "kind"));
        json_t *m;
        size_t k;
        json_array_foreach(json_object_get(json_object_get(d, "guide"), "materials"), k, m)
        {
            before++;
            char norm[1024], key[1200];
            normalize_name(str(m, "name"), norm, sizeof norm);
            snprintf(key, sizeof key, "%s\x1f%s", norm, str(m, "source"));
            json_t *into = json_object_get(by_key, key);
            if (into) {
                merge_into(out, into, m, bc);
                continue;
            }
            const char *other = json_string_value(json_object_get(by_name, norm));
            if (other && strcmp(other, str(m, "source")) != 0)
                conflict(out, "material", bc, NULL,
                         "材料「%s」在不同事项中来源不同（%s / %s），未合并", str(m, "name"), other,
                         str(m, "source"));
            json_object_set_new(by_name, norm, json_string(str(m, "source")));
            into = json_pack("{s:s, s:s, s:I, s:s, s:s, s:b, s:[{s:s, s:s}]}", "name",
                             str(m, "name"), "source", str(m, "source"), "copies",
                             json_integer_value(json_object_get(m, "copies")), "form",
                             str(m, "form"), "necessity", str(m, "necessity"), "tolerance",
                             json_is_true(json_object_get(m, "tolerance")), "members", "basic_code",
                             bc, "id", str(m, "id"));
            if (json_object_get(m, "when"))
                json_object_set(into, "when", json_object_get(m, "when"));
            json_object_set(by_key, key, into);
            json_array_append_new(merged, into);
        }
    }
    json_t *m;
    json_array_foreach(merged, i, m)
    {
        json_object_del(m, "_combined");
    }
    json_object_set_new(out, "materials", merged);
    json_object_set_new(json_object_get(out, "counts"), "materials_before",
                        json_integer((json_int_t)before));
    json_object_set_new(json_object_get(out, "counts"), "materials_after",
                        json_integer((json_int_t)json_array_size(merged)));
    json_decref(by_key);
    json_decref(by_name);
}

/* ---- 六个一 ---- */

static void six(json_t *list, const char *key, const char *name, bool pass, const char *reason)
{
    json_array_append_new(list, json_pack("{s:s, s:s, s:b, s:s}", "key", key, "name", name, "pass",
                                          pass, "reason", reason));
}

/* Counts conflicts of kind in out. */
static size_t n_conflicts(const json_t *out, const char *kind)
{
    size_t n = 0, i;
    json_t *c;
    json_array_foreach(json_object_get(out, "conflicts"), i, c)
    {
        if (strcmp(str(c, "kind"), kind) == 0)
            n++;
    }
    return n;
}

static void six_ones(json_t *out, const json_t *bundle, const json_t *members)
{
    json_t *list = json_array();
    const json_t *ml = json_object_get(out, "members");
    size_t n = json_array_size(ml), found = 0, i;
    json_t *m;
    struct buf missing, unmapped, offline;
    buf_init(&missing, 8192);
    buf_init(&unmapped, 8192);
    buf_init(&offline, 8192);
    json_array_foreach(ml, i, m)
    {
        const char *bc = str(m, "basic_code");
        if (!json_is_true(json_object_get(m, "found"))) {
            if (buf_printf(&missing, "%s%s", missing.len ? "、" : "", bc)) {
            }
            continue;
        }
        found++;
        bool has_map = false;
        json_t *f, *mp;
        size_t k, j;
        json_array_foreach(json_object_get(out, "form"), k, f)
        {
            json_array_foreach(json_object_get(f, "maps"), j, mp)
            {
                if (strcmp(str(mp, "basic_code"), bc) == 0)
                    has_map = true;
            }
        }
        if (!has_map && buf_printf(&unmapped, "%s%s", unmapped.len ? "、" : "", str(m, "name"))) {
        }
        const json_t *d = find_member(members, bc, str(m, "kind"));
        json_int_t depth =
            json_integer_value(json_object_get(json_object_get(d, "guide"), "online_depth"));
        if (depth < 3 && buf_printf(&offline, "%s%s（网办深度%lld）", offline.len ? "、" : "",
                                    str(m, "name"), (long long)depth)) {
        }
    }
    json_object_set_new(json_object_get(out, "counts"), "members", json_integer((json_int_t)n));
    json_object_set_new(json_object_get(out, "counts"), "found", json_integer((json_int_t)found));
    char r[1024];

    /* 一次告知: every member has a published guide here, so one notice can list it all. */
    if (missing.len)
        snprintf(r, sizeof r, "成员事项 %s 在本地区没有已发布的办事指南，无法一次告知",
                 missing.data);
    else
        snprintf(r, sizeof r, "全部 %zu 个成员事项均有已发布的办事指南", n);
    six(list, "once_notice", "一次告知", missing.len == 0 && n > 0, r);

    /* 一表申请: one form, no conflicting field, every member's form reached by it. */
    size_t nform = json_array_size(json_object_get(out, "form"));
    size_t fc = n_conflicts(out, "form");
    bool pass = nform > 0 && fc == 0 && unmapped.len == 0;
    if (nform == 0)
        snprintf(r, sizeof r, "未定义合并表单");
    else if (fc)
        snprintf(r, sizeof r, "合并表单有 %zu 处冲突", fc);
    else if (unmapped.len)
        snprintf(r, sizeof r, "事项 %s 的表单没有任何字段被合并表单映射", unmapped.data);
    else
        snprintf(r, sizeof r, "合并表单 %zu 个字段覆盖全部成员事项", nform);
    six(list, "one_form", "一表申请", pass, r);

    /* 一套材料: materials merged without conflict. */
    size_t mc = n_conflicts(out, "material");
    json_int_t b =
        json_integer_value(json_object_get(json_object_get(out, "counts"), "materials_before"));
    json_int_t a =
        json_integer_value(json_object_get(json_object_get(out, "counts"), "materials_after"));
    if (mc)
        snprintf(r, sizeof r, "材料合并有 %zu 处冲突（同名材料来源或形式不同）", mc);
    else
        snprintf(r, sizeof r, "%lld 份材料合并去重为 %lld 份", (long long)b, (long long)a);
    six(list, "one_set", "一套材料", mc == 0 && found > 0, r);

    /* 一窗受理: a named window (or 专区) takes the whole bundle. */
    const char *window = str(bundle, "window");
    if (*window)
        snprintf(r, sizeof r, "在「%s」统一受理", window);
    else
        snprintf(r, sizeof r, "未指定统一受理窗口");
    six(list, "one_window", "一窗受理", *window != '\0', r);

    /* 一网办理: offered online, and every member at least 在线预审 (网办深度 ≥ 3). */
    bool online = json_is_true(json_object_get(bundle, "online"));
    if (!online)
        snprintf(r, sizeof r, "一件事未提供网上办理");
    else if (offline.len)
        snprintf(r, sizeof r, "事项 %s 不能在网上办理（网办深度低于3）", offline.data);
    else
        snprintf(r, sizeof r, "全部成员事项可网上办理（网办深度不低于3）");
    six(list, "one_net", "一网办理", online && offline.len == 0 && found > 0, r);

    /* 统一发证: the results are issued together. */
    bool single = json_is_true(json_object_get(bundle, "single_result"));
    six(list, "one_result", "统一发证", single,
        single ? "办理结果统一发放" : "各成员事项分别发放办理结果");

    json_object_set_new(out, "six_ones", list);
    buf_cleanup(&missing);
    buf_cleanup(&unmapped);
    buf_cleanup(&offline);
}

json_t *catalog_bundle_merge(const json_t *bundle, const json_t *members, const json_t *answers)
{
    json_t *out = json_object();
    static const char *const copy[] = {"code",     "name",       "life_stage", "lead_dept",
                                       "co_depts", "window",     "online",     "single_result",
                                       "aliases",  "situations", NULL};
    for (size_t i = 0; copy[i]; i++) {
        json_t *v = json_object_get(bundle, copy[i]);
        json_object_set_new(out, copy[i], v ? json_deep_copy(v) : json_null());
    }
    json_object_set_new(out, "conflicts", json_array());
    json_object_set_new(out, "counts", json_object());
    json_t *ans = answers ? json_deep_copy(answers) : json_object();
    merge_members(out, bundle, members, ans);
    order_members(out);
    merge_form(out, bundle, members);
    merge_materials(out, members);
    six_ones(out, bundle, members);
    json_decref(ans);
    return out;
}

/* ---- 跨省通办 report ---- */

static const char *const MODES[] = {"online", "proxy", "joint"};

const char *catalog_cross_mode_label(const char *mode)
{
    if (strcmp(mode, "online") == 0)
        return "全程网办";
    if (strcmp(mode, "proxy") == 0)
        return "异地代收代办";
    if (strcmp(mode, "joint") == 0)
        return "多地联办";
    return mode;
}

static json_t *mode_counts(void)
{
    json_t *o = json_object();
    for (size_t i = 0; i < 3; i++)
        json_object_set_new(o, MODES[i],
                            json_pack("{s:i, s:i, s:s}", "handle", 0, "query", 0, "label",
                                      catalog_cross_mode_label(MODES[i])));
    return o;
}

/* Adds one to counter key of obj. */
static void bump(json_t *obj, const char *key)
{
    json_object_set_new(obj, key, json_integer(json_integer_value(json_object_get(obj, key)) + 1));
}

json_t *catalog_cross_region_report(const json_t *rows)
{
    json_t *scopes = json_array(), *index = json_object(), *codes = json_object();
    json_t *totals = json_pack("{s:i, s:i, s:i, s:i, s:o}", "items", 0, "cross_items", 0, "handle",
                               0, "query", 0, "modes", mode_counts());
    json_t *d;
    size_t i;
    json_array_foreach(rows, i, d)
    {
        json_object_set_new(codes, str(d, "impl_code"), json_true());
    }
    json_array_foreach(rows, i, d)
    {
        bump(totals, "items");
        const json_t *cr = json_object_get(json_object_get(d, "guide"), "cross_region");
        if (!json_is_object(cr))
            continue;
        const char *kind = strcmp(str(cr, "kind"), "query") == 0 ? "query" : "handle";
        const char *mode = str(cr, "mode");
        bump(totals, "cross_items");
        bump(totals, kind);
        json_t *tm = json_object_get(json_object_get(totals, "modes"), mode);
        if (tm)
            bump(tm, kind);
        json_t *sc;
        size_t k;
        json_array_foreach(json_object_get(cr, "scope"), k, sc)
        {
            const char *scope = json_string_value(sc);
            if (!scope)
                continue;
            json_t *s = json_object_get(index, scope);
            if (!s) {
                s = json_pack("{s:s, s:i, s:i, s:i, s:o, s:i, s:i, s:[]}", "scope", scope, "items",
                              0, "handle", 0, "query", 0, "modes", mode_counts(), "partner_items",
                              0, "partners_found", 0, "rows");
                json_object_set_new(index, scope, s);
                json_array_append(scopes, s);
            }
            bump(s, "items");
            bump(s, kind);
            json_t *sm = json_object_get(json_object_get(s, "modes"), mode);
            if (sm)
                bump(sm, kind);
            json_t *p;
            size_t j;
            json_array_foreach(json_object_get(cr, "partner_items"), j, p)
            {
                bump(s, "partner_items");
                if (json_object_get(codes, json_string_value(p) ? json_string_value(p) : ""))
                    bump(s, "partners_found");
            }
            json_t *regions = json_object_get(cr, "regions");
            json_t *windows = json_object_get(cr, "windows");
            json_t *partners = json_object_get(cr, "partner_items");
            json_array_append_new(
                json_object_get(s, "rows"),
                json_pack("{s:O, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "id",
                          json_object_get(d, "id") ? json_object_get(d, "id") : json_null(),
                          "impl_code", str(d, "impl_code"), "name", path_str(d, "task", "name"),
                          "region", path_str(d, "codes", "region"), "mode", mode, "mode_label",
                          catalog_cross_mode_label(mode), "kind", kind, "regions", arr(regions),
                          "windows", arr(windows), "partner_items", arr(partners)));
        }
    }
    /* The flat table (one row per scope and mode) that the Excel export writes. */
    json_t *flat = json_array(), *sc;
    json_array_foreach(scopes, i, sc)
    {
        for (size_t k = 0; k < 3; k++) {
            json_t *mc = json_object_get(json_object_get(sc, "modes"), MODES[k]);
            json_int_t h = json_integer_value(json_object_get(mc, "handle"));
            json_int_t q = json_integer_value(json_object_get(mc, "query"));
            json_array_append_new(flat, json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "scope",
                                                  str(sc, "scope"), "mode", MODES[k], "mode_label",
                                                  catalog_cross_mode_label(MODES[k]), "items",
                                                  h + q, "handle", h, "query", q));
        }
    }
    json_t *total =
        json_pack("{s:s, s:s, s:O, s:O, s:O}", "scope", "合计（按事项计一次）", "mode_label", "",
                  "items", json_object_get(totals, "cross_items"), "handle",
                  json_object_get(totals, "handle"), "query", json_object_get(totals, "query"));
    json_decref(index);
    json_decref(codes);
    return json_pack("{s:o, s:o, s:o, s:o}", "scopes", scopes, "totals", totals, "items", flat,
                     "total", total);
}
