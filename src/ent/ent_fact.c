/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ent_fact: the fact catalogue and fact values. Every value is kept as canonical
 * text so both backends store it the same way and the audit chain hashes it the
 * same way: int and money as decimal integers (money in fen), decimals with at most
 * four places and no trailing zeros, dates as YYYY-MM-DD, booleans as true/false,
 * tag sets as sorted, ';'-joined codes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../store/store.h"
#include "ent.h"

struct ent_catalog {
    struct ent_fact_def *defs;
    size_t n;
    char **tag_codes, **tag_labels;
    size_t n_tags;
    struct pool strings;
};

static const char *const type_names[] = {"int", "money", "decimal", "date", "code", "bool",
                                         "tagset"};

const char *ent_fact_type_name(enum ent_fact_type t)
{
    return type_names[t];
}

static bool parse_type(const char *s, enum ent_fact_type *t)
{
    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (strcmp(type_names[i], s) == 0) {
            *t = (enum ent_fact_type)i;
            return true;
        }
    return false;
}

enum rc ent_catalog_load(struct conn *c, struct ent_catalog **out, struct err *e)
{
    struct ent_catalog *cat = xcalloc(1, sizeof(*cat));
    pool_init(&cat->strings);
    struct stmt *st;
    size_t cap = 0;
    enum rc rc = store_prepare(c,
                               "SELECT name, type, unit, label, source, code_values, builtin, "
                               "source_org FROM facts ORDER BY builtin DESC, name",
                               &st, e);
    while (rc == RC_OK && (rc = store_step(st, e)) == RC_ROW) {
        rc = RC_OK;
        if (cat->n == cap) {
            cap = cap ? cap * 2 : 32;
            cat->defs = xrealloc(cat->defs, cap * sizeof(*cat->defs));
        }
        struct ent_fact_def *d = &cat->defs[cat->n];
        d->name = pool_strdup(&cat->strings, store_text(st, 0));
        if (!parse_type(store_text(st, 1), &d->type))
            rc = err_set(e, RC_INTERNAL, NULL, "unknown fact type %s", store_text(st, 1));
        d->unit = pool_strdup(&cat->strings, store_text(st, 2));
        d->label = pool_strdup(&cat->strings, store_text(st, 3));
        d->source = pool_strdup(&cat->strings, store_text(st, 4));
        d->code_values = pool_strdup(&cat->strings, store_text(st, 5));
        d->builtin = store_int(st, 6) != 0;
        d->source_org = pool_strdup(&cat->strings, store_text(st, 7) ? store_text(st, 7) : "");
        cat->n++;
    }
    if (rc == RC_DONE)
        rc = RC_OK;
    store_finish(st);
    if (rc == RC_OK)
        rc = store_prepare(c, "SELECT code, label FROM tags ORDER BY sort", &st, e);
    if (rc == RC_OK) {
        cap = 0;
        while ((rc = store_step(st, e)) == RC_ROW) {
            if (cat->n_tags == cap) {
                cap = cap ? cap * 2 : 16;
                cat->tag_codes = xrealloc(cat->tag_codes, cap * sizeof(char *));
                cat->tag_labels = xrealloc(cat->tag_labels, cap * sizeof(char *));
            }
            cat->tag_codes[cat->n_tags] = pool_strdup(&cat->strings, store_text(st, 0));
            cat->tag_labels[cat->n_tags] = pool_strdup(&cat->strings, store_text(st, 1));
            cat->n_tags++;
        }
        if (rc == RC_DONE)
            rc = RC_OK;
        store_finish(st);
    }
    if (rc) {
        ent_catalog_free(cat);
        return rc;
    }
    *out = cat;
    return RC_OK;
}

void ent_catalog_free(struct ent_catalog *cat)
{
    if (!cat)
        return;
    xfree(cat->defs);
    xfree(cat->tag_codes);
    xfree(cat->tag_labels);
    pool_clear(&cat->strings);
    xfree(cat);
}

const struct ent_fact_def *ent_catalog_fact(const struct ent_catalog *cat, const char *name)
{
    for (size_t i = 0; i < cat->n; i++)
        if (strcmp(cat->defs[i].name, name) == 0)
            return &cat->defs[i];
    return NULL;
}

size_t ent_catalog_size(const struct ent_catalog *cat)
{
    return cat->n;
}

const struct ent_fact_def *ent_catalog_at(const struct ent_catalog *cat, size_t i)
{
    return i < cat->n ? &cat->defs[i] : NULL;
}

const char *ent_catalog_tag(const struct ent_catalog *cat, const char *code)
{
    for (size_t i = 0; i < cat->n_tags; i++)
        if (strcmp(cat->tag_codes[i], code) == 0)
            return cat->tag_labels[i];
    return NULL;
}

json_t *ent_catalog_json(const struct ent_catalog *cat)
{
    json_t *facts = json_array(), *tags = json_array();
    for (size_t i = 0; i < cat->n; i++) {
        const struct ent_fact_def *d = &cat->defs[i];
        json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "name", d->name, "type",
                              type_names[d->type], "unit", d->unit, "label", d->label, "source",
                              d->source, "source_org", d->source_org, "builtin", d->builtin);
        if (*d->code_values) {
            json_t *vals = json_array();
            char *copy = xstrdup(d->code_values);
            for (char *save = NULL, *t = strtok_r(copy, ",", &save); t;
                 t = strtok_r(NULL, ",", &save))
                json_array_append_new(vals, json_string(t));
            xfree(copy);
            json_object_set_new(j, "values", vals);
        }
        json_array_append_new(facts, j);
    }
    for (size_t i = 0; i < cat->n_tags; i++)
        json_array_append_new(tags, json_pack("{s:s, s:s}", "code", cat->tag_codes[i], "label",
                                              cat->tag_labels[i]));
    return json_pack("{s:o, s:o}", "facts", facts, "tags", tags);
}

/* ---- values ---------------------------------------------------------------- */

bool ent_date_valid(const char *s)
{
    int y, m, d;
    char tail;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
        sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    if (y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1)
        return false;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] && !(m == 2 && d == 29 && !leap);
}

bool ent_date_future(const char *s)
{
    char now[40];
    time_fmt_cst(time_now_ms(), now, sizeof(now));
    return strncmp(s, now, 10) > 0; /* YYYY-MM-DD compares as text */
}

enum rc ent_fact_may_record(struct conn *c, const struct ent_fact_def *def, const char *org_code,
                            bool admin, const char *field, struct err *e)
{
    if (admin || (org_code && *def->source_org && strcmp(org_code, def->source_org) == 0))
        return RC_OK;
    if (!*def->source_org)
        return err_set(e, RC_FORBIDDEN, field,
                       "%s（%s）未指定数据来源单位，只有管理员可以录入权威数据", def->label,
                       def->name);
    /* The department as people know it; the catalogue's wording when it is not an org here. */
    char name[256];
    mem_copy_text(name, sizeof(name), def->source);
    struct stmt *st;
    struct err ignored;
    if (store_prepare(c, "SELECT name FROM orgs WHERE code = ?", &st, &ignored) == RC_OK) {
        store_bind_text(st, 1, def->source_org);
        if (store_step(st, &ignored) == RC_ROW)
            mem_copy_text(name, sizeof(name), store_text(st, 0));
        store_finish(st);
    }
    return err_set(e, RC_FORBIDDEN, field,
                   "%s（%s）的权威数据由%s（%s）提供，只有该单位的用户可以录入；"
                   "其他人只能登记为自主申报（self_declared）",
                   def->label, def->name, name, def->source_org);
}

static enum rc bad(const struct ent_fact_def *def, const char *field, struct err *e,
                   const char *what)
{
    return err_set(e, RC_INVALID, field, "%s（%s）应为%s", def->label, def->name, what);
}

/* Parses a decimal with at most 4 places into value x 10^4. */
static bool parse_decimal(const char *s, int64_t *out)
{
    const char *p = s;
    bool neg = false;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    if (!(*p >= '0' && *p <= '9'))
        return false;
    int64_t ip = 0;
    while (*p >= '0' && *p <= '9') {
        if (ip > 100000000000000LL)
            return false;
        ip = ip * 10 + (*p++ - '0');
    }
    int64_t frac = 0;
    int places = 0;
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9') {
            if (places == 4)
                return false;
            frac = frac * 10 + (*p++ - '0');
            places++;
        }
    }
    if (*p)
        return false;
    for (; places < 4; places++)
        frac *= 10;
    *out = (ip * 10000 + frac) * (neg ? -1 : 1);
    return true;
}

static char *format_decimal(int64_t v)
{
    char out[48];
    int64_t a = v < 0 ? -v : v;
    int n = snprintf(out, sizeof(out), "%s%lld.%04lld", v < 0 ? "-" : "", (long long)(a / 10000),
                     (long long)(a % 10000));
    while (n > 0 && out[n - 1] == '0')
        out[--n] = '\0';
    if (n > 0 && out[n - 1] == '.')
        out[--n] = '\0';
    return xstrdup(out);
}

static bool parse_int(const char *s, int64_t *out)
{
    if (!*s)
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno || (s[0] == '0' && s[1]) || s[0] == '+' || s[0] == ' ')
        return false;
    *out = v;
    return true;
}

static bool code_allowed(const char *values, const char *v)
{
    size_t n = strlen(v);
    for (const char *p = values; *p;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        if (len == n && strncmp(p, v, n) == 0)
            return true;
        p += len + (c ? 1 : 0);
    }
    return false;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

enum rc ent_fact_from_text(const struct ent_fact_def *def, const char *s, const char *field,
                           char **out, struct err *e)
{
    int64_t v;
    *out = NULL;
    switch (def->type) {
    case ENT_FACT_INT:
    case ENT_FACT_MONEY:
        if (!parse_int(s, &v) || v < 0)
            return bad(def, field, e, def->type == ENT_FACT_MONEY ? "以分为单位的非负整数" : "非负整数");
        *out = xstrdup(s);
        return RC_OK;
    case ENT_FACT_DECIMAL:
        if (!parse_decimal(s, &v))
            return bad(def, field, e, "数字（最多 4 位小数）");
        *out = format_decimal(v);
        return RC_OK;
    case ENT_FACT_DATE:
        if (!ent_date_valid(s))
            return bad(def, field, e, "日期 YYYY-MM-DD");
        *out = xstrdup(s);
        return RC_OK;
    case ENT_FACT_BOOL:
        if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0 || strcmp(s, "是") == 0)
            *out = xstrdup("true");
        else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0 || strcmp(s, "否") == 0)
            *out = xstrdup("false");
        else
            return bad(def, field, e, "是/否（true/false）");
        return RC_OK;
    case ENT_FACT_CODE:
        if (!*s || strlen(s) > 64)
            return bad(def, field, e, "非空代码");
        if (*def->code_values && !code_allowed(def->code_values, s))
            return err_set(e, RC_INVALID, field, "%s（%s）应为 %s 之一", def->label, def->name,
                           def->code_values);
        *out = xstrdup(s);
        return RC_OK;
    case ENT_FACT_TAGSET: {
        char *copy = xstrdup(s);
        const char *parts[64] = {0};
        size_t n = 0;
        for (char *save = NULL, *t = strtok_r(copy, ";,", &save); t; t = strtok_r(NULL, ";,", &save))
            if (n < 64)
                parts[n++] = t;
        qsort(parts, n, sizeof(parts[0]), cmp_str);
        struct buf b;
        buf_init(&b, 4096);
        enum rc rc = RC_OK;
        for (size_t i = 0; i < n && !rc; i++)
            if (i == 0 || strcmp(parts[i], parts[i - 1]) != 0)
                rc = buf_printf(&b, "%s%s", buf_len(&b) ? ";" : "", parts[i]);
        xfree(copy);
        if (rc) {
            buf_cleanup(&b);
            return bad(def, field, e, "不超过 4 KB 的标签列表");
        }
        *out = buf_take(&b);
        return RC_OK;
    }
    }
    return RC_INTERNAL;
}

enum rc ent_fact_from_json(const struct ent_fact_def *def, const json_t *v, const char *field,
                           char **out, struct err *e)
{
    char tmp[64];
    *out = NULL;
    switch (def->type) {
    case ENT_FACT_INT:
    case ENT_FACT_MONEY:
        if (!json_is_integer(v))
            return bad(def, field, e,
                       def->type == ENT_FACT_MONEY ? "以分为单位的非负整数" : "非负整数");
        snprintf(tmp, sizeof(tmp), "%lld", (long long)json_integer_value(v));
        return ent_fact_from_text(def, tmp, field, out, e);
    case ENT_FACT_DECIMAL:
        if (json_is_integer(v)) {
            snprintf(tmp, sizeof(tmp), "%lld", (long long)json_integer_value(v));
        } else if (json_is_real(v)) {
            snprintf(tmp, sizeof(tmp), "%.4f", json_real_value(v));
        } else if (json_is_string(v)) {
            return ent_fact_from_text(def, json_string_value(v), field, out, e);
        } else {
            return bad(def, field, e, "数字");
        }
        return ent_fact_from_text(def, tmp, field, out, e);
    case ENT_FACT_BOOL:
        if (!json_is_boolean(v))
            return bad(def, field, e, "true 或 false");
        *out = xstrdup(json_is_true(v) ? "true" : "false");
        return RC_OK;
    case ENT_FACT_DATE:
    case ENT_FACT_CODE:
        if (!json_is_string(v))
            return bad(def, field, e, def->type == ENT_FACT_DATE ? "日期字符串 YYYY-MM-DD" : "字符串");
        return ent_fact_from_text(def, json_string_value(v), field, out, e);
    case ENT_FACT_TAGSET: {
        if (!json_is_array(v))
            return bad(def, field, e, "字符串数组");
        struct buf b;
        buf_init(&b, 4096);
        size_t i;
        json_t *x;
        enum rc rc = RC_OK;
        json_array_foreach(v, i, x)
        {
            if (!json_is_string(x) || strchr(json_string_value(x), ';'))
                rc = RC_INVALID;
            else if (buf_printf(&b, "%s%s", i ? ";" : "", json_string_value(x)))
                rc = RC_TOOLARGE;
            if (rc)
                break;
        }
        if (rc == RC_OK)
            rc = ent_fact_from_text(def, buf_str(&b), field, out, e);
        else
            rc = bad(def, field, e, "字符串数组");
        buf_cleanup(&b);
        return rc;
    }
    }
    return RC_INTERNAL;
}

json_t *ent_fact_to_json(const struct ent_fact_def *def, const char *canon)
{
    switch (def->type) {
    case ENT_FACT_INT:
    case ENT_FACT_MONEY:
        return json_integer(strtoll(canon, NULL, 10));
    case ENT_FACT_DECIMAL:
        return json_real(strtod(canon, NULL));
    case ENT_FACT_BOOL:
        return json_boolean(strcmp(canon, "true") == 0);
    case ENT_FACT_TAGSET: {
        json_t *arr = json_array();
        char *copy = xstrdup(canon);
        for (char *save = NULL, *t = strtok_r(copy, ";", &save); t; t = strtok_r(NULL, ";", &save))
            json_array_append_new(arr, json_string(t));
        xfree(copy);
        return arr;
    }
    default:
        return json_string(canon);
    }
}

const char *ent_fact_display(const struct ent_fact_def *def, const char *canon, char *out,
                             size_t n)
{
    switch (def->type) {
    case ENT_FACT_MONEY: {
        long long fen = strtoll(canon, NULL, 10);
        if (fen >= 1000000 && fen % 1000000 == 0)
            snprintf(out, n, "%lld万元", fen / 1000000);
        else if (fen >= 1000000)
            snprintf(out, n, "%.2f万元", (double)fen / 1000000.0);
        else
            snprintf(out, n, "%lld.%02lld元", fen / 100, fen % 100);
        break;
    }
    case ENT_FACT_BOOL:
        snprintf(out, n, "%s", strcmp(canon, "true") == 0 ? "是" : "否");
        break;
    default:
        snprintf(out, n, "%s%s", canon, def->unit);
    }
    return out;
}
