/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ent_import: two passes over a CSV or JSON Lines buffer — validate everything,
 * then write the valid rows in one transaction. Each row becomes a JSON object so
 * it goes through exactly the validation the API uses (ent_record_from_json,
 * ent_fact_from_*): one truth for what a valid enterprise is.
 */
#include "ent_import.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/csv.h"
#include "../base/jsonx.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../base/sec.h"
#include "../base/timeutil.h"
#include "../store/store.h"
#include "ent.h"

/* ---- columns ----------------------------------------------------------------- */

static const char *const record_cols[] = {"credit_code", "name",     "region",    "industry",
                                          "founded",     "scale",    "legal_rep", "address",
                                          NULL};
static const char *const contact_cols[] = {"contact_name", "contact_title", "contact_mobile",
                                           "contact_id_number", NULL};
static const char *const meta_cols[] = {"registered_capital", "tags", "officials", "as_of",
                                        "fact_status", "source", NULL};

static bool in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

static bool known_column(const struct ent_catalog *cat, const char *name)
{
    if (in_list(record_cols, name) || in_list(contact_cols, name) || in_list(meta_cols, name))
        return true;
    const struct ent_fact_def *d = ent_catalog_fact(cat, name);
    return d && !d->builtin;
}

/* ---- one row ------------------------------------------------------------------ */

struct row {
    json_t *rec;                 /* the record object handed to ent_record_from_json */
    struct ent_record r;
    struct ent_fact_in facts[64];
    size_t n_facts;
    char *values[64];            /* canonical fact values (owned) */
};

static void row_cleanup(struct row *w)
{
    ent_record_cleanup(&w->r);
    json_decref(w->rec);
    for (size_t i = 0; i < w->n_facts; i++)
        xfree(w->values[i]);
    memset(w, 0, sizeof(*w));
}

static json_t *split_list(const char *s)
{
    json_t *arr = json_array();
    char *copy = xstrdup(s);
    for (char *save = NULL, *t = strtok_r(copy, ";；", &save); t; t = strtok_r(NULL, ";；", &save))
        if (*t)
            json_array_append_new(arr, json_string(t));
    xfree(copy);
    return arr;
}

/*
 * Turns one row (an object of column → value; strings for CSV) into a validated
 * record and facts. text says the values are CSV text.
 */
static enum rc row_build(const struct ent_catalog *cat, const json_t *in, bool text,
                         const struct ent_import_opts *o, struct row *w, struct err *e)
{
    memset(w, 0, sizeof(*w));
    w->rec = json_object();
    json_t *contact = NULL;
    const char *as_of = o->default_as_of, *status = o->fact_status ? o->fact_status : "authoritative";
    const char *source = o->source ? o->source : "批量导入";
    const char *key;
    json_t *v;
    enum rc rc = RC_OK;
    /* Meta columns first, so facts get their as_of/status/source. */
    const char *metas[] = {"as_of", "fact_status", "source"};
    for (int i = 0; i < 3; i++) {
        v = json_object_get(in, metas[i]);
        if (!v || json_is_null(v))
            continue;
        if (!json_is_string(v))
            return err_set(e, RC_INVALID, metas[i], "%s 应为字符串", metas[i]);
        const char *s = json_string_value(v);
        if (i == 0) {
            if (!ent_date_valid(s))
                return err_set(e, RC_INVALID, "as_of", "as_of 应为日期 YYYY-MM-DD");
            as_of = s;
        } else if (i == 1) {
            if (strcmp(s, "authoritative") != 0 && strcmp(s, "self_declared") != 0)
                return err_set(e, RC_INVALID, "fact_status",
                               "fact_status 应为 authoritative 或 self_declared");
            status = s;
        } else {
            source = s;
        }
    }
    json_object_foreach((json_t *)(uintptr_t)in, key, v)
    {
        if (json_is_null(v) || in_list(meta_cols + 3, key))
            continue;
        if (in_list(record_cols, key)) {
            if (!json_is_string(v)) {
                rc = err_set(e, RC_INVALID, key, "%s 应为字符串", key);
                break;
            }
            json_object_set(w->rec, key, v);
        } else if (strcmp(key, "registered_capital") == 0) {
            if (text) {
                char *end;
                long long x = strtoll(json_string_value(v), &end, 10);
                if (*end || x < 0 || !*json_string_value(v)) {
                    rc = err_set(e, RC_INVALID, key, "注册资本应为以分为单位的非负整数");
                    break;
                }
                json_object_set_new(w->rec, key, json_integer(x));
            } else {
                json_object_set(w->rec, key, v);
            }
        } else if (strcmp(key, "tags") == 0 || strcmp(key, "officials") == 0) {
            json_object_set_new(w->rec, key,
                                json_is_string(v) ? split_list(json_string_value(v))
                                                  : json_incref(v));
        } else if (in_list(contact_cols, key)) {
            if (!json_is_string(v)) {
                rc = err_set(e, RC_INVALID, key, "%s 应为字符串", key);
                break;
            }
            if (!contact)
                contact = json_object();
            json_object_set(contact, key + 8, v);
        } else {
            const struct ent_fact_def *d = ent_catalog_fact(cat, key);
            if (!d || d->builtin) {
                rc = err_set(e, RC_INVALID, key, "未知的列 %s", key);
                break;
            }
            if (w->n_facts == sizeof(w->facts) / sizeof(w->facts[0])) {
                rc = err_set(e, RC_INVALID, key, "事实列过多");
                break;
            }
            char *canon;
            rc = text ? ent_fact_from_text(d, json_string_value(v), key, &canon, e)
                      : ent_fact_from_json(d, v, key, &canon, e);
            if (rc)
                break;
            w->values[w->n_facts] = canon;
            w->facts[w->n_facts] = (struct ent_fact_in){d->name, canon, as_of, status, source};
            w->n_facts++;
        }
    }
    if (rc) { /* a bad cell: the contact gathered so far is not handed on */
        json_decref(contact);
        return rc;
    }
    if (contact) {
        if (!json_object_get(contact, "name")) {
            json_decref(contact);
            return err_set(e, RC_INVALID, "contact_name", "填写联系人信息时须填写 contact_name");
        }
        json_object_set_new(w->rec, "contacts", json_pack("[o]", contact));
    }
    if (w->n_facts && !as_of)
        return err_set(e, RC_INVALID, "as_of", "事实数据须有 as_of 日期");
    if (w->n_facts && ent_date_future(as_of))
        return err_set(e, RC_INVALID, "as_of", "数据日期 as_of（%s）不能晚于今天", as_of);
    rc = ent_record_from_json(cat, w->rec, false, &w->r, e);
    if (rc == RC_OK && w->r.founded) {
        char today[40];
        time_fmt_cst(time_now_ms(), today, sizeof(today));
        if (strncmp(w->r.founded, today, 10) > 0)
            rc = err_set(e, RC_INVALID, "founded", "成立日期不能晚于今天");
    }
    return rc;
}

/* ---- duplicate detection -------------------------------------------------- */

struct seen {
    struct {
        char code[19];
        int line;
    } *slots;
    size_t cap, n;
};

static uint64_t hash18(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Returns the earlier line of code, or 0 after recording it at line. */
static int seen_add(struct seen *s, const char *code, int line)
{
    if (s->n * 2 >= s->cap) {
        struct seen bigger = {NULL, s->cap ? s->cap * 2 : 1024, 0};
        bigger.slots = xcalloc(bigger.cap, sizeof(*bigger.slots));
        for (size_t i = 0; i < s->cap; i++)
            if (s->slots[i].line)
                seen_add(&bigger, s->slots[i].code, s->slots[i].line);
        xfree(s->slots);
        *s = bigger;
    }
    size_t i = hash18(code) & (s->cap - 1);
    while (s->slots[i].line) {
        if (strcmp(s->slots[i].code, code) == 0)
            return s->slots[i].line;
        i = (i + 1) & (s->cap - 1);
    }
    snprintf(s->slots[i].code, sizeof(s->slots[i].code), "%s", code);
    s->slots[i].line = line;
    s->n++;
    return 0;
}

/* ---- the reader over both formats ------------------------------------------------ */

struct reader {
    const struct ent_catalog *cat;
    enum ent_import_format fmt;
    const char *data, *end;
    struct csv csv;
    char **header;
    int n_header;
    const char *p;     /* JSONL position */
    int line;          /* JSONL line */
};

static void reader_cleanup(struct reader *rd)
{
    for (int i = 0; i < rd->n_header; i++)
        xfree(rd->header[i]);
    xfree(rd->header);
    csv_cleanup(&rd->csv);
}

static enum rc reader_open(struct reader *rd, const struct ent_catalog *cat, const char *data,
                           size_t n, enum ent_import_format fmt, struct err *e)
{
    memset(rd, 0, sizeof(*rd));
    rd->cat = cat;
    if (n >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        data += 3, n -= 3;
    rd->data = data;
    rd->end = data + n;
    if (fmt == ENT_IMPORT_AUTO) {
        const char *q = data;
        while (q < rd->end && (*q == ' ' || *q == '\n' || *q == '\r' || *q == '\t'))
            q++;
        fmt = q < rd->end && *q == '{' ? ENT_IMPORT_JSONL : ENT_IMPORT_CSV;
    }
    rd->fmt = fmt;
    rd->p = data;
    rd->line = 1;
    if (fmt == ENT_IMPORT_JSONL)
        return RC_OK;
    csv_init(&rd->csv, data, n, NULL);
    int start;
    const char *why = NULL;
    enum csv_status st = csv_next(&rd->csv, &start, &why);
    if (st == CSV_EOF)
        return err_set(e, RC_INVALID, NULL, "文件为空，缺少表头行");
    size_t text_n;
    const char *text = csv_text(&rd->csv, &text_n);
    if (st == CSV_BAD || !utf8_valid(text, text_n))
        return err_set(e, RC_INVALID, NULL, "第 1 行（表头）无法解析：%s", why ? why : "非法的 UTF-8 编码");
    rd->n_header = csv_count(&rd->csv);
    rd->header = xcalloc((size_t)rd->n_header, sizeof(char *));
    bool has_code = false;
    for (int i = 0; i < rd->n_header; i++) {
        const char *h = csv_field(&rd->csv, i);
        while (*h == ' ')
            h++;
        rd->header[i] = xstrdup(h);
        size_t len = strlen(rd->header[i]);
        while (len && rd->header[i][len - 1] == ' ')
            rd->header[i][--len] = '\0';
        if (!known_column(cat, rd->header[i]))
            return err_set(e, RC_INVALID, rd->header[i], "第 1 行（表头）：未知的列 %s",
                           rd->header[i]);
        for (int k = 0; k < i; k++)
            if (strcmp(rd->header[k], rd->header[i]) == 0)
                return err_set(e, RC_INVALID, rd->header[i], "第 1 行（表头）：列 %s 重复",
                               rd->header[i]);
        has_code |= strcmp(rd->header[i], "credit_code") == 0;
    }
    if (!has_code)
        return err_set(e, RC_INVALID, "credit_code", "表头缺少 credit_code 列");
    return RC_OK;
}

/*
 * Reads the next row as a JSON object (*row new, or NULL with *why set for a row
 * that cannot be read at all). Returns false at the end.
 */
static bool reader_next(struct reader *rd, json_t **row, int *line, bool *text, char *why,
                        size_t why_n)
{
    *row = NULL;
    why[0] = '\0';
    if (rd->fmt == ENT_IMPORT_CSV) {
        const char *bad = NULL;
        enum csv_status st;
        do {
            st = csv_next(&rd->csv, line, &bad);
            /* Skip blank lines. */
        } while (st == CSV_RECORD && csv_count(&rd->csv) == 1 && csv_field(&rd->csv, 0)[0] == '\0');
        if (st == CSV_EOF)
            return false;
        *text = true;
        if (st == CSV_BAD) {
            snprintf(why, why_n, "%s", bad);
            return true;
        }
        size_t text_n;
        const char *text_p = csv_text(&rd->csv, &text_n);
        if (!utf8_valid(text_p, text_n)) {
            snprintf(why, why_n, "含有非法的 UTF-8 编码（文件应为 UTF-8）");
            return true;
        }
        if (csv_count(&rd->csv) != rd->n_header) {
            snprintf(why, why_n, "有 %d 列，表头为 %d 列（行不完整或多出逗号）", csv_count(&rd->csv),
                     rd->n_header);
            return true;
        }
        json_t *o = json_object();
        for (int i = 0; i < rd->n_header; i++) {
            const char *v = csv_field(&rd->csv, i);
            if (*v)
                json_object_set_new(o, rd->header[i], json_string(v));
        }
        *row = o;
        return true;
    }
    /* JSON Lines. */
    while (rd->p < rd->end) {
        const char *nl = memchr(rd->p, '\n', (size_t)(rd->end - rd->p));
        const char *stop = nl ? nl : rd->end;
        const char *s = rd->p;
        *line = rd->line++;
        rd->p = nl ? nl + 1 : rd->end;
        size_t len = (size_t)(stop - s);
        while (len && (s[len - 1] == '\r' || s[len - 1] == ' '))
            len--;
        if (len == 0)
            continue;
        *text = false;
        json_t *o;
        struct err e;
        if (jsonx_parse(s, len, 8, &o, &e)) {
            snprintf(why, why_n, "%s", e.msg);
            return true;
        }
        if (!json_is_object(o)) {
            json_decref(o);
            snprintf(why, why_n, "每行应为一个 JSON 对象");
            return true;
        }
        const char *key;
        json_t *v;
        json_object_foreach(o, key, v) if (!known_column(rd->cat, key))
        {
            snprintf(why, why_n, "未知的字段 %s", key);
            json_decref(o);
            return true;
        }
        *row = o;
        return true;
    }
    return false;
}

static size_t count_lines(const char *p, size_t n)
{
    size_t k = 0;
    for (const char *q = p; (q = memchr(q, '\n', (size_t)(p + n - q))); q++)
        k++;
    return k + 1;
}

static void add_error(struct ent_import_report *r, size_t max, int line, const char *field,
                      const char *msg)
{
    r->invalid++;
    if (json_array_size(r->errors) < max)
        json_array_append_new(r->errors, json_pack("{s:i, s:s, s:s}", "line", line, "field",
                                                   field ? field : "", "message", msg));
}

/* Appends facts that differ from the newest recorded value of each fact. */
static enum rc write_facts(struct conn *c, const struct row *w, bool created, const char *by,
                           int64_t now, size_t *n_written, struct err *e)
{
    struct ent_fact_in keep[64];
    size_t n = 0;
    for (size_t i = 0; i < w->n_facts; i++) {
        bool same = false;
        if (!created) {
            struct stmt *st;
            enum rc rc = store_prepare(c,
                                       "SELECT value, as_of FROM enterprise_facts WHERE credit_code "
                                       "= ? AND fact = ? ORDER BY as_of DESC, id DESC LIMIT 1",
                                       &st, e);
            if (rc)
                return rc;
            store_bind_text(st, 1, w->r.credit_code);
            store_bind_text(st, 2, w->facts[i].fact);
            rc = store_step(st, e);
            if (rc == RC_ROW)
                same = strcmp(store_text(st, 0), w->facts[i].value) == 0 &&
                       strcmp(store_text(st, 1), w->facts[i].as_of) == 0;
            store_finish(st);
            if (rc != RC_ROW && rc != RC_DONE)
                return rc;
        }
        if (!same)
            keep[n++] = w->facts[i];
    }
    *n_written += n;
    return ent_facts_insert(c, w->r.credit_code, keep, n, by, now, e);
}

void ent_import_report_cleanup(struct ent_import_report *r)
{
    if (r) {
        json_decref(r->errors);
        r->errors = NULL;
    }
}

json_t *ent_import_report_json(const struct ent_import_report *r)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:s, s:O}", "rows", (json_int_t)r->rows,
                     "invalid", (json_int_t)r->invalid, "created", (json_int_t)r->created,
                     "updated", (json_int_t)r->updated, "unchanged", (json_int_t)r->unchanged,
                     "facts", (json_int_t)r->facts, "imported", r->imported, "sha256", r->sha256,
                     "errors", r->errors);
}

/* ---- the pipeline: a parser thread feeds the writer ------------------------------ */

/*
 * Rows travel in batches (one lock round per batch, not per row), and a batch goes
 * back to the parser once written, so every allocation is freed by the thread that
 * made it (glibc's per-thread arenas make cross-thread frees expensive).
 */
#define BATCH_ROWS 256
#define QUEUE_SLOTS 8

struct item {
    struct row w;
    json_t *in;  /* the source object the row borrows strings from */
    int line;
};

struct batch {
    struct batch *next; /* in the returned list */
    int n;
    struct item items[BATCH_ROWS];
};

struct pipe {
    /* set before the threads start */
    const struct ent_catalog *cat;
    const struct ent_import_opts *o;
    struct reader *rd;
    struct ent_import_report *r;
    size_t max_errors;
    size_t total;
    /* the queue, and the batches coming back */
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    struct batch *slots[QUEUE_SLOTS];
    size_t head, count;
    struct batch *returned;
    json_t *officials; /* user names that may be 包保 officials (a set), read-only */
    bool eof;          /* the parser is done */
    bool stop;         /* the writer gave up: the parser stops too */
    bool writing;      /* false once a bad row means nothing will be committed */
};

static void batch_clear(struct batch *b)
{
    for (int i = 0; i < b->n; i++) {
        row_cleanup(&b->items[i].w);
        json_decref(b->items[i].in);
    }
    b->n = 0;
}

/* Frees the batches the writer gave back (parser thread). */
static void reclaim(struct pipe *p)
{
    pthread_mutex_lock(&p->mu);
    struct batch *list = p->returned;
    p->returned = NULL;
    pthread_mutex_unlock(&p->mu);
    while (list) {
        struct batch *next = list->next;
        batch_clear(list);
        xfree(list);
        list = next;
    }
}

/* Queues b for the writer; false (and b freed) when the writer has stopped. */
static bool push(struct pipe *p, struct batch *b)
{
    pthread_mutex_lock(&p->mu);
    while (p->count == QUEUE_SLOTS && !p->stop)
        pthread_cond_wait(&p->not_full, &p->mu);
    bool ok = !p->stop;
    if (ok) {
        p->slots[(p->head + p->count) % QUEUE_SLOTS] = b;
        p->count++;
        pthread_cond_signal(&p->not_empty);
    }
    pthread_mutex_unlock(&p->mu);
    if (!ok) {
        batch_clear(b);
        xfree(b);
    }
    return ok;
}

/* Returns the next batch, or NULL when the parser is done and the queue is empty. */
static struct batch *pop(struct pipe *p)
{
    pthread_mutex_lock(&p->mu);
    while (p->count == 0 && !p->eof)
        pthread_cond_wait(&p->not_empty, &p->mu);
    struct batch *b = NULL;
    if (p->count) {
        b = p->slots[p->head];
        p->head = (p->head + 1) % QUEUE_SLOTS;
        p->count--;
        pthread_cond_signal(&p->not_full);
    }
    pthread_mutex_unlock(&p->mu);
    return b;
}

/* Hands a written batch back to the parser for freeing (writer thread). */
static void give_back(struct pipe *p, struct batch *b)
{
    pthread_mutex_lock(&p->mu);
    b->next = p->returned;
    p->returned = b;
    pthread_mutex_unlock(&p->mu);
}

/* The user names that may be named as 包保 officials (as ent_save_in_txn requires), as a set. */
static enum rc load_officials(struct conn *c, json_t **out, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, "SELECT username FROM users WHERE credit_code IS NULL", &st, e);
    if (rc)
        return rc;
    json_t *set = json_object();
    while ((rc = store_step(st, e)) == RC_ROW)
        json_object_set_new(set, store_text(st, 0), json_true());
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(set);
        return rc;
    }
    *out = set;
    return RC_OK;
}

/* Returns the first name in names (an array or NULL) that is not in set, or NULL. */
static const char *unknown_official(const json_t *set, const json_t *names)
{
    size_t i;
    json_t *x;
    json_array_foreach(names, i, x)
    {
        if (!json_object_get(set, json_string_value(x)))
            return json_string_value(x);
    }
    return NULL;
}

/* The parser: reads, validates, finds duplicates, reports bad rows, queues good ones. */
static void *parse_thread(void *arg)
{
    struct pipe *p = arg;
    struct seen seen = {0};
    struct batch *b = xcalloc(1, sizeof(*b));
    json_t *in;
    int line;
    bool text, alive = true;
    char why[256];
    while (alive && reader_next(p->rd, &in, &line, &text, why, sizeof(why))) {
        const char *unknown;
        p->r->rows++;
        struct item *it = &b->items[b->n];
        memset(it, 0, sizeof(*it));
        struct err re;
        err_clear(&re);
        bool bad = false;
        if (!in) {
            add_error(p->r, p->max_errors, line, NULL, why);
            bad = true;
        } else if (row_build(p->cat, in, text, p->o, &it->w, &re)) {
            add_error(p->r, p->max_errors, line, re.field, re.msg);
            bad = true;
        } else if ((unknown = unknown_official(p->officials, it->w.r.officials))) {
            snprintf(why, sizeof(why), "包保人员 %.64s 不是已存在的政府工作人员账号", unknown);
            add_error(p->r, p->max_errors, line, "officials", why);
            bad = true;
        } else {
            int first = seen_add(&seen, it->w.r.credit_code, line);
            if (first) {
                snprintf(why, sizeof(why), "统一社会信用代码 %s 与第 %d 行重复",
                         it->w.r.credit_code, first);
                add_error(p->r, p->max_errors, line, "credit_code", why);
                bad = true;
            }
        }
        if (bad && !p->o->skip_invalid)
            __atomic_store_n(&p->writing, false, __ATOMIC_RELAXED); /* the file will not be imported: only validate from now on */
        if (!bad && p->writing && !p->o->dry_run) {
            it->in = in;
            it->line = line;
            if (++b->n == BATCH_ROWS) {
                alive = push(p, b);
                reclaim(p);
                b = xcalloc(1, sizeof(*b));
            }
        } else {
            row_cleanup(&it->w);
            json_decref(in);
        }
        if (p->o->progress && p->r->rows % 20000 == 0)
            p->o->progress(p->o->progress_ctx, "import", p->r->rows, p->total);
    }
    if (b->n && alive && p->writing)
        push(p, b);
    else {
        batch_clear(b);
        xfree(b);
    }
    xfree(seen.slots);
    pthread_mutex_lock(&p->mu);
    p->eof = true;
    pthread_cond_broadcast(&p->not_empty);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* The writer: one row into the open transaction. */
static enum rc write_row(struct conn *c, const struct audit_actor *who, struct item *it,
                         int64_t now, struct ent_import_report *r, struct err *e)
{
    bool created = false, changed = false;
    json_t *before = NULL, *after = NULL;
    enum rc rc = ent_save_in_txn(c, &it->w.r, false, true, &created, &changed, &before, &after, e);
    if (rc == RC_OK && changed && !created) {
        struct audit_event ev = {"enterprise.update", "enterprise", it->w.r.credit_code, before,
                                 after};
        rc = audit_append(c, who, &ev, NULL, e);
    }
    size_t facts_before = r->facts;
    if (rc == RC_OK)
        rc = write_facts(c, &it->w, created, who->name, now, &r->facts, e);
    if (rc == RC_OK) {
        if (created)
            r->created++;
        else if (changed || r->facts > facts_before)
            r->updated++;
        else
            r->unchanged++;
    } else {
        char inner[sizeof(e->msg)];
        snprintf(inner, sizeof(inner), "%s", e->msg);
        snprintf(e->msg, sizeof(e->msg), "第 %d 行写入失败：%.200s", it->line, inner);
    }
    json_decref(before);
    json_decref(after);
    return rc;
}

enum rc ent_import(struct conn *c, const struct ent_catalog *cat, const struct audit_actor *who,
                   const char *data, size_t n, const struct ent_import_opts *o,
                   struct ent_import_report *r, struct err *e)
{
    memset(r, 0, sizeof(*r));
    r->errors = json_array();
    sec_sha256_hex(data, n, r->sha256);
    struct reader rd;
    enum rc rc = reader_open(&rd, cat, data, n, o->format, e);
    if (rc) {
        reader_cleanup(&rd);
        return rc;
    }
    struct pipe p = {.cat = cat,
                     .o = o,
                     .rd = &rd,
                     .r = r,
                     .max_errors = o->max_errors ? o->max_errors : 1000,
                     .total = count_lines(data, n) - 1,
                     .writing = true};
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.not_empty, NULL);
    pthread_cond_init(&p.not_full, NULL);
    /* Officials are checked with the rest of the row, so a bad name is a bad row (with
     * its line), not a failed write that aborts the whole import. */
    rc = load_officials(c, &p.officials, e);

    /* One transaction for the whole file, so a failure part-way leaves the registry as
     * it was. SQLite gets room to keep the transaction's pages in memory. */
    bool began = false;
    int64_t mark = 0, now = time_now_ms();
    if (rc == RC_OK && !o->dry_run) {
        rc = store_bulk(c, true, e);
        if (rc == RC_OK && (rc = store_begin(c, e)) == RC_OK)
            began = true;
        if (rc == RC_OK)
            rc = ent_search_mark(c, &mark, e);
    }
    pthread_t parser;
    bool started = rc == RC_OK && pthread_create(&parser, NULL, parse_thread, &p) == 0;
    if (rc == RC_OK && !started)
        rc = err_set(e, RC_INTERNAL, NULL, "cannot start the parser thread");
    struct batch *bt;
    while (started && (bt = pop(&p))) {
        for (int i = 0; i < bt->n && rc == RC_OK; i++) {
            /* A bad row later in the file means nothing will be committed: stop writing. */
            if (!__atomic_load_n(&p.writing, __ATOMIC_RELAXED))
                break;
            rc = write_row(c, who, &bt->items[i], now, r, e);
            if (rc) {
                pthread_mutex_lock(&p.mu);
                p.stop = true;
                pthread_cond_broadcast(&p.not_full);
                pthread_mutex_unlock(&p.mu);
            }
        }
        give_back(&p, bt);
    }
    if (started)
        pthread_join(parser, NULL);
    reclaim(&p);
    if (o->progress)
        o->progress(o->progress_ctx, "import", r->rows, r->rows);
    bool commit = rc == RC_OK && began && p.writing && r->invalid < r->rows;
    if (commit)
        rc = ent_search_index_from(c, mark, e);
    if (commit && rc == RC_OK) {
        json_t *summary = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "file",
                                    o->file_name ? o->file_name : "-", "sha256", r->sha256, "rows",
                                    (json_int_t)r->rows, "invalid", (json_int_t)r->invalid,
                                    "created", (json_int_t)r->created, "updated",
                                    (json_int_t)r->updated, "unchanged", (json_int_t)r->unchanged,
                                    "facts", (json_int_t)r->facts);
        char id[20];
        snprintf(id, sizeof(id), "%.16s", r->sha256);
        struct audit_event ev = {"enterprise.import", "import", id, NULL, summary};
        rc = audit_append(c, who, &ev, NULL, e);
        json_decref(summary);
    }
    if (commit && rc == RC_OK)
        rc = store_commit(c, e);
    if (store_in_txn(c))
        store_rollback(c);
    if (!o->dry_run) {
        struct err ignored;
        if (store_bulk(c, false, &ignored))
            log_warn("import: could not restore cache_size: %s", ignored.msg);
    }
    if (commit && rc == RC_OK) {
        r->imported = true;
    } else {
        r->created = r->updated = r->unchanged = r->facts = 0;
    }
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.not_empty);
    pthread_cond_destroy(&p.not_full);
    json_decref(p.officials);
    reader_cleanup(&rd);
    return rc;
}
