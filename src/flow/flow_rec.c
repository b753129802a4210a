/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flow_rec: a record's list, read, insert and workflow hooks from its column table
 * (flow_rec.h). The SQL is built per call from the table; every value is bound.
 */
#include "flow_rec.h"

#include <stdio.h>
#include <string.h>

#include "../base/jsonx.h"
#include "../base/timeutil.h"
#include "../store/store.h"

#define REC_MAX_COLS 32
#define REC_SQL 4096

/* Appends printf-style text to the statement being built in sql (REC_SQL bytes). */
static void add(char *sql, const char *fmt, const char *a, const char *b)
{
    size_t n = strlen(sql);
    snprintf(sql + n, REC_SQL - n, fmt, a, b);
}

/* The scope column name of the record alias r, or "NULL". */
static const char *scol(const char *name, char *buf, size_t n)
{
    if (!name)
        return "NULL";
    snprintf(buf, n, "r.%s", name);
    return buf;
}

/* SELECT <every column> FROM <table> r WHERE [r.id = ? AND] <scope> (the id first, as
 * access_one binds it). */
static void select_scoped(const struct rec_table *t, bool by_id, char *sql)
{
    char c[64], o[64], g[64];
    snprintf(sql, REC_SQL, "SELECT ");
    for (int i = 0; i < t->n_cols; i++)
        add(sql, "%sr.%s", i ? ", " : "", t->cols[i].name);
    add(sql, " FROM %s r WHERE %s", t->table, "");
    if (by_id)
        add(sql, "r.%s = ? AND %s", t->cols[0].name, "");
    size_t n = strlen(sql);
    snprintf(sql + n, REC_SQL - n, ACCESS_SQL("%1$s", "%2$s", "%3$s"),
             scol(t->credit, c, sizeof(c)), scol(t->org, o, sizeof(o)),
             scol(t->region, g, sizeof(g)));
}

static void scope_of(const struct rec_table *t, const struct principal *p, struct access_scope *s)
{
    access_scope_of(p, t->region_perm, t->org_perm, s);
}

const char *rec_text(const json_t *row, const char *name)
{
    const char *s = json_string_value(json_object_get(row, name));
    return s ? s : "";
}

static int col_of(const struct rec_table *t, enum rec_type type)
{
    for (int i = 0; i < t->n_cols; i++)
        if (t->cols[i].type == type)
            return i;
    return -1;
}

/* The row under st as the record's raw JSON (times in ms, the version kept). */
static json_t *raw_row(const struct rec_table *t, struct stmt *st)
{
    json_t *r = json_object();
    for (int i = 0; i < t->n_cols; i++) {
        const struct rec_col *col = &t->cols[i];
        json_t *v;
        if (store_isnull(st, i))
            v = json_null();
        else if (col->type == REC_TEXT || col->type == REC_STATE)
            v = json_string(store_text(st, i));
        else
            v = json_integer(store_int(st, i));
        json_object_set_new(r, col->name, v);
    }
    return r;
}

/* Keeps the first 3 and the last 4 characters of personal data ("138****5678"). */
static json_t *masked(const char *s)
{
    char out[256];
    size_t n = strlen(s);
    if (n >= sizeof(out))
        n = sizeof(out) - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = (n >= 8 && (i < 3 || i >= n - 4)) ? s[i] : '*';
    out[n] = '\0';
    return json_string(out);
}

/* The answer for p: times formatted, the version left out, personal data masked unless
 * access_reveal, "state_label" and "actions" added. Takes raw. */
static json_t *answer(const struct flow *f, const struct principal *p, json_t *raw)
{
    const struct rec_table *t = f->table;
    unsigned rels = t->rels(p, raw);
    bool reveal = access_reveal(p, rels != 0);
    json_t *j = json_object();
    int s = -1;
    for (int i = 0; i < t->n_cols; i++) {
        const struct rec_col *col = &t->cols[i];
        json_t *v = json_object_get(raw, col->name);
        if (col->type == REC_VERSION)
            continue;
        if (col->type == REC_TIME && json_is_integer(v)) {
            char at[40];
            time_fmt_cst(json_integer_value(v), at, sizeof(at));
            json_object_set_new(j, col->name, json_string(at));
        } else if ((col->flags & REC_PERSONAL) && !reveal && json_is_string(v)) {
            json_object_set_new(j, col->name, masked(json_string_value(v)));
        } else {
            json_object_set(j, col->name, v);
        }
        if (col->type == REC_STATE) {
            s = flow_state_parse(f, json_string_value(v));
            json_object_set_new(j, "state_label", json_string(flow_state_label(f, s)));
        }
    }
    json_object_set_new(j, "actions", flow_actions_json(f, rels, s, 0));
    json_decref(raw);
    return j;
}

enum rc rec_list(const struct flow *f, struct conn *c, const struct principal *p,
                 const char *const *eq, int64_t before_id, int limit, json_t **out, struct err *e)
{
    const struct rec_table *t = f->table;
    char sql[REC_SQL];
    struct access_scope sc;
    struct stmt *st;
    select_scoped(t, false, sql);
    for (int i = 0; eq && i < t->n_cols; i++)
        if (eq[i])
            add(sql, " AND r.%s = ?%s", t->cols[i].name, "");
    add(sql, " AND (? = 0 OR r.%s < ?) ORDER BY r.%s DESC LIMIT ?", t->cols[0].name,
        t->cols[0].name);
    enum rc rc = store_prepare(c, sql, &st, e);
    if (rc)
        return rc;
    scope_of(t, p, &sc);
    int k = access_bind(st, 1, &sc);
    for (int i = 0; eq && i < t->n_cols; i++)
        if (eq[i])
            store_bind_text(st, k++, eq[i]);
    store_bind_int(st, k, before_id);
    store_bind_int(st, k + 1, before_id);
    store_bind_int(st, k + 2, limit);
    json_t *items = json_array();
    while ((rc = store_step(st, e)) == RC_ROW)
        json_array_append_new(items, answer(f, p, raw_row(t, st)));
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(items);
        return rc;
    }
    *out = items;
    return RC_OK;
}

/* The raw row of record id if p may see it. */
static enum rc raw_one(const struct flow *f, struct conn *c, const struct principal *p, int64_t id,
                       json_t **out, struct err *e)
{
    const struct rec_table *t = f->table;
    char sql[REC_SQL];
    struct access_scope sc;
    struct stmt *st;
    select_scoped(t, true, sql);
    scope_of(t, p, &sc);
    enum rc rc = access_one(c, sql, id, &sc, t->notfound, &st, e);
    if (rc)
        return rc;
    *out = raw_row(t, st);
    store_finish(st);
    return RC_OK;
}

enum rc rec_get(const struct flow *f, struct conn *c, const struct principal *p, int64_t id,
                json_t **out, struct err *e)
{
    json_t *raw;
    enum rc rc = raw_one(f, c, p, id, &raw, e);
    if (rc == RC_OK)
        *out = answer(f, p, raw);
    return rc;
}

/* Binds a JSON value (string, integer or null) at i. */
static void bind_json(struct stmt *st, int i, const json_t *v)
{
    if (json_is_string(v))
        store_bind_text(st, i, json_string_value(v));
    else if (json_is_integer(v))
        store_bind_int(st, i, json_integer_value(v));
    else
        store_bind_null(st, i);
}

/* The body's REC_INSERT members into row (400 naming the field). */
static enum rc from_body(const struct rec_table *t, const json_t *body, json_t *row, struct err *e)
{
    const char *allowed[REC_MAX_COLS + 1];
    int n = 0;
    for (int i = 0; i < t->n_cols && n < REC_MAX_COLS; i++)
        if (t->cols[i].flags & REC_INSERT)
            allowed[n++] = t->cols[i].name;
    allowed[n] = NULL;
    enum rc rc = jsonx_only(body, allowed, e);
    for (int i = 0; rc == RC_OK && i < t->n_cols; i++) {
        const struct rec_col *col = &t->cols[i];
        bool req = col->flags & REC_REQUIRED;
        if (!(col->flags & REC_INSERT))
            continue;
        if (col->type == REC_INT) {
            int64_t v = 0;
            rc = jsonx_get_int(body, col->name, req, INT64_MIN, INT64_MAX, &v, e);
            if (rc == RC_OK && json_object_get(body, col->name))
                json_object_set_new(row, col->name, json_integer(v));
        } else {
            const char *s = NULL;
            rc = jsonx_get_str(body, col->name, req, (size_t)col->max, &s, e);
            if (rc == RC_OK && s)
                json_object_set_new(row, col->name, json_string(s));
        }
    }
    return rc;
}

enum rc rec_create(const struct flow *f, struct conn *c, const struct principal *p,
                   const json_t *body, int64_t *id, struct err *e)
{
    const struct rec_table *t = f->table;
    int64_t now = time_now_ms();
    json_t *row = json_object();
    enum rc rc = from_body(t, body, row, e);
    if (rc == RC_OK && t->creating)
        rc = t->creating(c, p, row, e);
    char sql[REC_SQL], vals[REC_SQL] = "";
    const json_t *v[REC_MAX_COLS];
    int n = 0;
    snprintf(sql, sizeof(sql), "INSERT INTO %s (", t->table);
    for (int i = 0; rc == RC_OK && i < t->n_cols && n < REC_MAX_COLS; i++) {
        const struct rec_col *col = &t->cols[i];
        if (col->type == REC_STATE)
            json_object_set_new(row, col->name, json_string(flow_state_name(f, 0)));
        if (col->type == REC_TIME && (col->flags & (REC_STAMP | REC_TOUCH)))
            json_object_set_new(row, col->name, json_integer(now));
        if (!json_object_get(row, col->name))
            continue;
        add(sql, "%s%s", n ? ", " : "", col->name);
        add(vals, "%s%s", n ? ", " : "", col->insert ? col->insert : "?");
        v[n++] = json_object_get(row, col->name);
    }
    add(sql, ") VALUES (%s) RETURNING %s", vals, t->cols[0].name);
    struct stmt *st;
    if (rc == RC_OK)
        rc = store_begin(c, e);
    if (rc) {
        json_decref(row);
        return rc;
    }
    rc = store_prepare(c, sql, &st, e);
    if (rc == RC_OK) {
        for (int i = 0; i < n; i++)
            bind_json(st, i + 1, v[i]);
        rc = store_insert_id(st, id, e);
        store_finish(st);
    }
    if (rc == RC_OK)
        rc = flow_created(c, p, f, *id, t->event, 0, now, NULL, e);
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (rc)
        store_rollback(c);
    json_decref(row);
    return rc;
}

enum rc rec_load(struct flow_call *x, struct err *e)
{
    const struct rec_table *t = x->flow->table;
    json_t *raw;
    enum rc rc = raw_one(x->flow, x->c, x->p, x->id, &raw, e);
    if (rc)
        return rc;
    x->rec = raw;
    x->next = json_deep_copy(raw);
    int s = col_of(t, REC_STATE);
    x->from = s < 0 ? 0 : flow_state_parse(x->flow, rec_text(raw, t->cols[s].name));
    x->rels = t->rels(x->p, raw);
    return RC_OK;
}

void rec_release(struct flow_call *x)
{
    json_decref(x->rec);
    json_decref(x->next);
    x->rec = x->next = NULL;
}

enum rc rec_save(struct flow_call *x, struct err *e)
{
    const struct rec_table *t = x->flow->table;
    json_t *rec = x->rec, *next = x->next;
    char sql[REC_SQL];
    const json_t *v[REC_MAX_COLS];
    json_t *state = json_string(flow_state_name(x->flow, x->to));
    json_t *now = json_integer(x->now);
    int n = 0, ver = col_of(t, REC_VERSION);
    snprintf(sql, sizeof(sql), "UPDATE %s SET ", t->table);
    for (int i = 1; i < t->n_cols && n < REC_MAX_COLS; i++) {
        const struct rec_col *col = &t->cols[i];
        const json_t *val = json_object_get(next, col->name);
        if (col->type == REC_STATE)
            val = state;
        else if (col->type == REC_TIME && (col->flags & REC_TOUCH))
            val = now;
        else if (col->type == REC_VERSION || json_equal(json_object_get(rec, col->name), val))
            continue;
        add(sql, "%s%s = ?", n ? ", " : "", col->name);
        v[n++] = val;
    }
    if (ver >= 0)
        add(sql, ", %s = %s + 1", t->cols[ver].name, t->cols[ver].name);
    add(sql, " WHERE %s = ?%s", t->cols[0].name, "");
    if (ver >= 0)
        add(sql, " AND %s = ?%s", t->cols[ver].name, "");
    struct stmt *st;
    enum rc rc = store_prepare(x->c, sql, &st, e);
    if (rc == RC_OK) {
        for (int i = 0; i < n; i++)
            bind_json(st, i + 1, v[i]);
        store_bind_int(st, n + 1, x->id);
        if (ver >= 0)
            store_bind_int(st, n + 2, json_integer_value(json_object_get(rec, t->cols[ver].name)));
        rc = store_run(st, e);
        if (rc == RC_OK && store_changes(st) != 1)
            rc = err_set(e, RC_CONFLICT, NULL, "%s已被他人修改，请刷新后重试", x->flow->label);
        store_finish(st);
    }
    json_decref(state);
    json_decref(now);
    return rc;
}

enum rc rec_apply_patch(struct flow_call *x, struct err *e)
{
    const struct rec_table *t = x->flow->table;
    const char *first = NULL;
    int n = 0;
    enum rc rc = RC_OK;
    for (int i = 0; rc == RC_OK && i < t->n_cols; i++) {
        const struct rec_col *col = &t->cols[i];
        const char *s = NULL;
        if (!(col->flags & REC_PATCH))
            continue;
        first = first ? first : col->name;
        rc = jsonx_get_str(x->params, col->name, false, (size_t)col->max, &s, e);
        if (rc == RC_OK && s) {
            json_object_set_new(x->next, col->name, json_string(s));
            n++;
        }
    }
    if (rc == RC_OK && n == 0)
        rc = err_set(e, RC_INVALID, first, "请填写要修改的内容");
    return rc;
}
