/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demand_import: one pass over a CSV or JSON Lines buffer inside one transaction.
 * Each row becomes an object of canonical column names, is checked here for what
 * only a file can get wrong (columns, aliases, dates, duplicates within the file),
 * then goes through demand__create_in_txn, the same checks and writes as
 * demand_create. Refusals of the domain come before it writes anything, so the
 * transaction carries on past a bad row; whether it commits is decided at the end.
 */
#include "demand_import.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../auth/auth.h"
#include "../audit/audit.h"
#include "../base/csv.h"
#include "../base/jsonx.h"
#include "../base/mem.h"
#include "../base/sec.h"
#include "../base/timeutil.h"
#include "../category/category.h"
#include "../codes/codes.h"
#include "../store/store.h"
#include "demand.h"
#include "demand_int.h"

/* ---- columns -------------------------------------------------------------------- */

enum col {
    C_EXTERNAL_ID,
    C_CREDIT_CODE,
    C_CATEGORY,
    C_URGENCY,
    C_TITLE,
    C_CONTENT,
    C_CONTACT_NAME,
    C_CONTACT_PHONE,
    C_ADDRESS,
    C_RECEIVED_AT,
    C_LAT,
    C_LON,
    C__COUNT
};

static const struct {
    const char *name;  /* canonical, as the API names it */
    const char *label; /* the Chinese header a 12345 system exports */
    size_t max;        /* characters; 0 for the parsed columns */
    bool required;
} cols[C__COUNT] = {
    [C_EXTERNAL_ID] = {"external_id", "工单编号", 64, true},
    [C_CREDIT_CODE] = {"credit_code", "统一社会信用代码", 18, true},
    [C_CATEGORY] = {"category", "诉求类别", 32, true},
    [C_URGENCY] = {"urgency", "紧急程度", 8, false},
    [C_TITLE] = {"title", "标题", 100, false},
    [C_CONTENT] = {"content", "诉求内容", 5000, true},
    [C_CONTACT_NAME] = {"contact_name", "联系人", 32, false},
    [C_CONTACT_PHONE] = {"contact_phone", "联系电话", 20, false},
    [C_ADDRESS] = {"address", "地址", 200, false},
    [C_RECEIVED_AT] = {"received_at", "来电时间", 40, false},
    [C_LAT] = {"lat", "纬度", 32, false},
    [C_LON] = {"lon", "经度", 32, false},
};

#define TITLE_FROM_CONTENT 30 /* characters of the content that stand in for a missing title */

/* The column named s (canonical or Chinese), or -1. */
static int col_of(const char *s)
{
    for (int i = 0; i < C__COUNT; i++)
        if (strcmp(cols[i].name, s) == 0 || strcmp(cols[i].label, s) == 0)
            return i;
    return -1;
}

/* ---- the reader over both formats --------------------------------------------------- */

struct reader {
    bool jsonl;
    struct csv csv;
    int header[C__COUNT * 2]; /* column of each CSV field */
    int n_header;
    const char *p, *end; /* JSON Lines position */
    int line;            /* JSON Lines line */
};

/* Trims ASCII white space at both ends; returns a new JSON string, or NULL when empty. */
static json_t *trimmed(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    return n ? json_stringn(s, n) : NULL;
}

static enum rc reader_open(struct reader *rd, const char *data, size_t n,
                           enum demand_import_format fmt, struct err *e)
{
    memset(rd, 0, sizeof(*rd));
    if (n >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        data += 3, n -= 3;
    if (fmt == DEMAND_IMPORT_AUTO) {
        const char *q = data;
        while (q < data + n && (*q == ' ' || *q == '\n' || *q == '\r' || *q == '\t'))
            q++;
        fmt = q < data + n && *q == '{' ? DEMAND_IMPORT_JSONL : DEMAND_IMPORT_CSV;
    }
    rd->jsonl = fmt == DEMAND_IMPORT_JSONL;
    rd->p = data;
    rd->end = data + n;
    rd->line = 1;
    struct csv_limits lim = {.max_record = DEMAND_IMPORT_MAX_RECORD, .max_fields = C__COUNT * 2};
    csv_init(&rd->csv, data, n, &lim);
    if (rd->jsonl)
        return RC_OK;
    int start;
    const char *why;
    enum csv_status st;
    do {
        st = csv_next(&rd->csv, &start, &why);
    } while (st == CSV_RECORD && csv_count(&rd->csv) == 1 && !*csv_field(&rd->csv, 0));
    if (st == CSV_EOF)
        return err_set(e, RC_INVALID, NULL, "文件为空，缺少表头行");
    size_t tn;
    const char *text = csv_text(&rd->csv, &tn);
    if (st == CSV_BAD || !utf8_valid(text, tn))
        return err_set(e, RC_INVALID, NULL, "第 %d 行（表头）无法解析：%s", start,
                       why ? why : "非法的 UTF-8 编码（文件应为 UTF-8）");
    rd->n_header = csv_count(&rd->csv);
    bool seen[C__COUNT] = {false};
    for (int i = 0; i < rd->n_header; i++) {
        const char *h = csv_field(&rd->csv, i);
        json_t *name = trimmed(h, strlen(h));
        const char *s = name ? json_string_value(name) : "";
        int k = col_of(s);
        enum rc rc = RC_OK;
        if (k < 0)
            rc = err_set(e, RC_INVALID, NULL, "第 %d 行（表头）：未知的列“%.60s”", start, s);
        else if (seen[k])
            rc = err_set(e, RC_INVALID, cols[k].name, "第 %d 行（表头）：列 %s（%s）重复", start,
                         cols[k].label, cols[k].name);
        json_decref(name);
        if (rc)
            return rc;
        seen[k] = true;
        rd->header[i] = k;
    }
    for (int k = 0; k < C__COUNT; k++)
        if (cols[k].required && !seen[k])
            return err_set(e, RC_INVALID, cols[k].name, "表头缺少 %s（%s）列", cols[k].label,
                           cols[k].name);
    if (seen[C_LAT] != seen[C_LON])
        return err_set(e, RC_INVALID, "lat", "表头的纬度（lat）与经度（lon）列须同时给出");
    return RC_OK;
}

static void reader_cleanup(struct reader *rd)
{
    csv_cleanup(&rd->csv);
}

/*
 * Reads the next row into *row (new object of canonical names → strings, numbers
 * for JSON lat/lon), or sets *row NULL and why for a row that cannot be read.
 * Returns false at the end.
 */
static bool reader_next(struct reader *rd, json_t **row, int *line, char *why, size_t why_n)
{
    *row = NULL;
    why[0] = '\0';
    if (!rd->jsonl) {
        const char *bad;
        enum csv_status st;
        do {
            st = csv_next(&rd->csv, line, &bad);
        } while (st == CSV_RECORD && csv_count(&rd->csv) == 1 && !*csv_field(&rd->csv, 0));
        if (st == CSV_EOF)
            return false;
        if (st == CSV_BAD) {
            snprintf(why, why_n, "%s", bad);
            return true;
        }
        size_t tn;
        const char *text = csv_text(&rd->csv, &tn);
        if (!utf8_valid(text, tn)) {
            snprintf(why, why_n, "含有非法的 UTF-8 编码（文件应为 UTF-8）");
            return true;
        }
        if (csv_count(&rd->csv) != rd->n_header) {
            snprintf(why, why_n, "有 %d 列，表头为 %d 列（行不完整或多出逗号）",
                     csv_count(&rd->csv), rd->n_header);
            return true;
        }
        json_t *o = json_object();
        for (int i = 0; i < rd->n_header; i++) {
            if (strlen(csv_field(&rd->csv, i)) != csv_field_len(&rd->csv, i)) {
                json_decref(o);
                snprintf(why, why_n, "%s（%s）含有不允许的控制字符", cols[rd->header[i]].label,
                         cols[rd->header[i]].name);
                return true;
            }
            json_t *v = trimmed(csv_field(&rd->csv, i), csv_field_len(&rd->csv, i));
            if (v)
                json_object_set_new(o, cols[rd->header[i]].name, v);
        }
        *row = o;
        return true;
    }
    while (rd->p < rd->end) {
        const char *nl = memchr(rd->p, '\n', (size_t)(rd->end - rd->p));
        const char *stop = nl ? nl : rd->end;
        const char *s = rd->p;
        *line = rd->line++;
        rd->p = nl ? nl + 1 : rd->end;
        size_t len = (size_t)(stop - s);
        while (len && (s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        if (len == 0)
            continue;
        if (len > DEMAND_IMPORT_MAX_RECORD) {
            snprintf(why, why_n, "单行超过 %zu KB", DEMAND_IMPORT_MAX_RECORD >> 10);
            return true;
        }
        json_t *in;
        struct err pe;
        if (jsonx_parse(s, len, 4, &in, &pe)) {
            snprintf(why, why_n, "%s", pe.msg);
            return true;
        }
        if (!json_is_object(in)) {
            json_decref(in);
            snprintf(why, why_n, "每行应为一个 JSON 对象");
            return true;
        }
        json_t *o = json_object();
        const char *key;
        json_t *v;
        json_object_foreach(in, key, v)
        {
            int k = col_of(key);
            const char *bad = NULL;
            if (k < 0)
                bad = "未知的字段";
            else if (json_object_get(o, cols[k].name))
                bad = "字段重复";
            if (bad) {
                snprintf(why, why_n, "%s %.60s", bad, key);
                break;
            }
            if (json_is_null(v))
                continue;
            if (json_is_string(v)) {
                json_t *t = trimmed(json_string_value(v), json_string_length(v));
                if (t)
                    json_object_set_new(o, cols[k].name, t);
            } else if (json_is_number(v) && (k == C_LAT || k == C_LON)) {
                json_object_set(o, cols[k].name, v);
            } else if (json_is_integer(v) && k == C_EXTERNAL_ID) {
                char id[32];
                snprintf(id, sizeof(id), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                json_object_set_new(o, cols[k].name, json_string(id));
            } else {
                snprintf(why, why_n, "%s（%s）应为%s", cols[k].label, cols[k].name,
                         k == C_LAT || k == C_LON ? "数字" : "字符串");
                break;
            }
        }
        json_decref(in);
        if (why[0]) {
            json_decref(o);
            return true;
        }
        *row = o;
        return true;
    }
    return false;
}

/* ---- one row ------------------------------------------------------------------------- */

/* Reads text column k of row: *out NULL when absent; RC_INVALID for a bad value. */
static enum rc get_text(const json_t *row, int k, const char **out, struct err *e)
{
    const json_t *v = json_object_get(row, cols[k].name);
    *out = NULL;
    if (!v) {
        if (cols[k].required)
            return err_set(e, RC_INVALID, cols[k].name, "%s（%s）不能为空", cols[k].label,
                           cols[k].name);
        return RC_OK;
    }
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (strlen(s) != n)
        return err_set(e, RC_INVALID, cols[k].name, "%s（%s）含有不允许的控制字符",
                       cols[k].label, cols[k].name);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || ch == 0x7F)
            return err_set(e, RC_INVALID, cols[k].name, "%s（%s）含有不允许的控制字符",
                           cols[k].label, cols[k].name);
        if (k != C_CONTENT && k != C_ADDRESS && (ch == '\n' || ch == '\r'))
            return err_set(e, RC_INVALID, cols[k].name, "%s（%s）不能换行", cols[k].label,
                           cols[k].name);
    }
    if (utf8_len(s) > cols[k].max)
        return err_set(e, RC_INVALID, cols[k].name, "%s（%s）不能超过 %zu 个字符", cols[k].label,
                       cols[k].name, cols[k].max);
    *out = s;
    return RC_OK;
}

/* Reads at most max_n digits at s into *v; returns how many were read. */
static int digits(const char *s, int max_n, int *v)
{
    int n = 0;
    *v = 0;
    while (n < max_n && s[n] >= '0' && s[n] <= '9')
        *v = *v * 10 + (s[n++] - '0');
    return n;
}

/*
 * "YYYY-MM-DD HH:MM[:SS]" in Beijing time (month and day may have one digit, '/' may
 * separate the date, 'T' the time), or RFC 3339 with an offset. RC_INVALID otherwise.
 */
static enum rc parse_received(const char *s, int64_t *ms)
{
    int y, mo, d, h, mi, se = 0, n;
    const char *p = s;
    if ((n = digits(p, 4, &y)) != 4)
        return RC_INVALID;
    p += n;
    char sep = *p;
    if (sep != '-' && sep != '/')
        return RC_INVALID;
    if (!(n = digits(++p, 2, &mo)) || *(p += n) != sep)
        return RC_INVALID;
    if (!(n = digits(++p, 2, &d)))
        return RC_INVALID;
    p += n;
    if (*p != ' ' && *p != 'T')
        return RC_INVALID;
    if (!(n = digits(++p, 2, &h)) || *(p += n) != ':')
        return RC_INVALID;
    if ((n = digits(++p, 2, &mi)) != 2)
        return RC_INVALID;
    p += n;
    if (*p == ':') {
        if ((n = digits(++p, 2, &se)) != 2)
            return RC_INVALID;
        p += n;
    }
    if (*p) /* an offset or a fraction: RFC 3339 decides */
        return sep == '-' && s[10] == 'T' ? time_parse(s, ms) : RC_INVALID;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
        return RC_INVALID;
    int64_t days = time_days_from_civil(y, mo, d);
    int cy, cm, cd;
    time_civil_from_days(days, &cy, &cm, &cd);
    if (cy != y || cm != mo || cd != d) /* 2025-02-30 */
        return RC_INVALID;
    *ms = ((days * 86400 + h * 3600 + mi * 60 + se) - 8 * 3600) * 1000;
    return RC_OK;
}

/* The code of the category named s (a code or a Chinese name); cache maps s → code. */
static enum rc category_code(struct conn *c, json_t *cache, const char *s, const char **code,
                             struct err *e)
{
    json_t *hit = json_object_get(cache, s);
    if (!hit) {
        static const char *const sql[] = {"SELECT code FROM categories WHERE code = ?",
                                          "SELECT code FROM categories WHERE name = ? ORDER BY "
                                          "active DESC, code"};
        char found[CATEGORY_CODE_MAX + 1] = "";
        int n = 0;
        enum rc rc = RC_OK;
        for (int q = 0; q < 2 && !n && rc == RC_OK; q++) {
            struct stmt *st;
            rc = store_prepare(c, sql[q], &st, e);
            if (rc)
                break;
            store_bind_text(st, 1, s);
            while ((rc = store_step(st, e)) == RC_ROW)
                if (n++ == 0)
                    snprintf(found, sizeof(found), "%s", store_text(st, 0));
            store_finish(st);
            if (rc == RC_DONE)
                rc = RC_OK;
        }
        if (rc)
            return rc;
        /* One name for two categories (a topic under two kinds) cannot be told apart. */
        hit = n == 1 ? json_string(found) : json_integer(n);
        json_object_set_new(cache, s, hit);
    }
    if (json_is_integer(hit))
        return json_integer_value(hit)
                   ? err_set(e, RC_INVALID, "category", "诉求类别“%.40s”对应多个类别，请填写类别代码", s)
                   : err_set(e, RC_INVALID, "category", "诉求类别“%.40s”不存在", s);
    *code = json_string_value(hit);
    return RC_OK;
}

/* A coordinate of row: a JSON number, or text for CSV. */
static enum rc coordinate(const json_t *row, int k, double lo, double hi, double *out,
                          struct err *e)
{
    const json_t *v = json_object_get(row, cols[k].name);
    double x = NAN;
    if (json_is_number(v)) {
        x = json_number_value(v);
    } else {
        char *end;
        const char *s = json_string_value(v);
        x = strtod(s, &end);
        if (end == s || *end)
            x = NAN;
    }
    if (!(x >= lo && x <= hi))
        return err_set(e, RC_INVALID, cols[k].name, "%s（%s）应为 %g 到 %g 之间的数", cols[k].label,
                       cols[k].name, lo, hi);
    *out = x;
    return RC_OK;
}

/*
 * Turns row into d, checking what the file may get wrong; strings borrowed from
 * row, or from buf (the title cut from the content, the normalised phone).
 */
static enum rc row_demand(struct conn *c, const struct demand_ctx *ctx, json_t *cache,
                          const json_t *row, const char *channel, struct demand_new *d,
                          char *title, size_t title_n, char phone[21], struct err *e)
{
    memset(d, 0, sizeof(*d));
    d->channel = channel;
    const char *urgency = NULL, *received = NULL, *category = NULL;
    const char **slot[C__COUNT] = {
        [C_EXTERNAL_ID] = &d->external_id,    [C_CREDIT_CODE] = &d->credit_code,
        [C_CATEGORY] = &category,             [C_URGENCY] = &urgency,
        [C_TITLE] = &d->title,                [C_CONTENT] = &d->content,
        [C_CONTACT_NAME] = &d->contact_name,  [C_CONTACT_PHONE] = &d->contact_phone,
        [C_ADDRESS] = &d->address,            [C_RECEIVED_AT] = &received,
    };
    enum rc rc = RC_OK;
    for (int k = 0; k < C__COUNT && rc == RC_OK; k++)
        if (slot[k])
            rc = get_text(row, k, slot[k], e);
    if (rc)
        return rc;
    if (urgency) {
        enum category_urgency u;
        bool ok = category_urgency_parse(urgency, &u);
        for (int i = 0; !ok && i < CATEGORY_N_URGENCY; i++)
            if (strcmp(urgency, category_urgency_label((enum category_urgency)i)) == 0)
                ok = true, u = (enum category_urgency)i;
        if (!ok)
            return err_set(e, RC_INVALID, "urgency",
                           "紧急程度（urgency）应为 一般、紧急、特急 或 normal、urgent、critical");
        d->urgency = category_urgency_name(u);
    }
    rc = category_code(c, cache, category, &d->category, e);
    if (rc)
        return rc;
    if (!d->title) { /* the start of the content, on one line */
        size_t i = 0, chars = 0;
        const char *s = d->content ? d->content : ""; /* required, but never trusted */
        while (s[i] && chars < TITLE_FROM_CONTENT && i + 4 < title_n) {
            size_t len = 1;
            while (len < 4 && (s[i + len] & 0xC0) == 0x80)
                len++;
            for (size_t b = 0; b < len; b++)
                title[i + b] = s[i + b] == '\n' || s[i + b] == '\r' || s[i + b] == '\t' ? ' ' : s[i + b];
            i += len;
            chars++;
        }
        title[i] = '\0';
        d->title = title;
    }
    if (d->contact_phone) {
        struct err ignored;
        if (codes_mobile_normalize(d->contact_phone, phone, &ignored) == RC_OK)
            d->contact_phone = phone;
        else if (!codes_landline_valid(d->contact_phone))
            return err_set(e, RC_INVALID, "contact_phone",
                           "联系电话（contact_phone）应为 11 位手机号或固定电话（如 0556-5551234）");
    }
    if (received) {
        int64_t ms;
        if (parse_received(received, &ms))
            return err_set(e, RC_INVALID, "received_at",
                           "来电时间（received_at）应为“YYYY-MM-DD HH:MM[:SS]”（北京时间）");
        if (ms < 946656000000LL || ms > ctx->now + 10 * 60 * 1000)
            return err_set(e, RC_INVALID, "received_at", "来电时间（received_at）不能早于 2000 年或晚于当前时间");
        d->received_at = ms;
    }
    bool has_lat = json_object_get(row, "lat") != NULL, has_lon = json_object_get(row, "lon") != NULL;
    if (has_lat != has_lon)
        return err_set(e, RC_INVALID, has_lat ? "lon" : "lat", "纬度（lat）与经度（lon）须同时填写");
    if (has_lat) {
        rc = coordinate(row, C_LAT, -90, 90, &d->lat, e);
        if (rc == RC_OK)
            rc = coordinate(row, C_LON, -180, 180, &d->lon, e);
        d->has_location = rc == RC_OK;
    }
    return rc;
}

/* ---- the report -------------------------------------------------------------------- */

static void add_error(struct demand_import_report *r, size_t max, int line, const char *field,
                      const char *msg)
{
    r->invalid++;
    if (json_array_size(r->errors) < max)
        json_array_append_new(r->errors, json_pack("{s:i, s:s, s:s}", "line", line, "field",
                                                   field ? field : "", "message", msg));
}

void demand_import_report_cleanup(struct demand_import_report *r)
{
    if (r) {
        json_decref(r->errors);
        r->errors = NULL;
    }
}

json_t *demand_import_report_json(const struct demand_import_report *r)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:b, s:s, s:O}", "rows", (json_int_t)r->rows,
                     "invalid", (json_int_t)r->invalid, "created", (json_int_t)r->created,
                     "already_present", (json_int_t)r->present, "imported", r->imported,
                     "sha256", r->sha256, "errors", r->errors ? r->errors : json_array());
}

/* ---- the import --------------------------------------------------------------------- */

enum rc demand_import(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                      const char *data, size_t n, const struct demand_import_opts *o,
                      struct demand_import_report *r, struct err *e)
{
    memset(r, 0, sizeof(*r));
    r->errors = json_array();
    sec_sha256_hex(data, n, r->sha256);
    const char *channel = o->channel ? o->channel : "hotline";
    if (strcmp(channel, "hotline") != 0 && strcmp(channel, "window") != 0 &&
        strcmp(channel, "api") != 0)
        return err_set(e, RC_INVALID, "channel", "导入渠道应为 hotline（12345 热线）、window 或 api");
    size_t max_errors = o->max_errors ? o->max_errors : 1000;
    struct reader rd;
    enum rc rc = reader_open(&rd, data, n, o->format, e);
    if (rc) {
        reader_cleanup(&rd);
        return rc;
    }
    json_t *seen = json_object();  /* external id → first line */
    json_t *cache = json_object(); /* category text → code */
    rc = store_begin(c, e);
    json_t *row;
    int line = 0;
    char why[256];
    while (rc == RC_OK && reader_next(&rd, &row, &line, why, sizeof(why))) {
        r->rows++;
        if (!row) {
            add_error(r, max_errors, line, NULL, why);
            continue;
        }
        struct demand_new d;
        char title[TITLE_FROM_CONTENT * 4 + 8], phone[21];
        struct err re;
        err_clear(&re);
        enum rc row_rc = row_demand(c, ctx, cache, row, channel, &d, title, sizeof(title), phone,
                                    &re);
        if (row_rc == RC_OK) {
            json_t *first = json_object_get(seen, d.external_id);
            if (first) {
                row_rc = err_set(&re, RC_INVALID, "external_id", "工单编号 %s 与第 %d 行重复",
                                 d.external_id, (int)json_integer_value(first));
            } else {
                json_object_set_new(seen, d.external_id, json_integer(line));
            }
        }
        if (row_rc == RC_OK) {
            int64_t id;
            bool existed;
            row_rc = demand__create_in_txn(c, ctx, p, &d, &id, &existed, &re);
            if (row_rc == RC_OK && existed)
                r->present++;
            else if (row_rc == RC_OK)
                r->created++;
        }
        if (row_rc == RC_INVALID || row_rc == RC_FORBIDDEN || row_rc == RC_CONFLICT) {
            add_error(r, max_errors, line, re.field, re.msg);
        } else if (row_rc) {
            rc = err_set(e, row_rc, re.field, "第 %d 行写入失败：%.120s", line, re.msg);
        }
        json_decref(row);
    }
    bool commit = rc == RC_OK && !o->dry_run && r->created > 0 &&
                  (r->invalid == 0 || o->skip_invalid);
    if (commit) {
        json_t *summary = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "file",
                                    o->file_name ? o->file_name : "-", "sha256", r->sha256,
                                    "channel", channel, "rows", (json_int_t)r->rows, "invalid",
                                    (json_int_t)r->invalid, "created", (json_int_t)r->created,
                                    "already_present", (json_int_t)r->present);
        char id[20];
        snprintf(id, sizeof(id), "%.16s", r->sha256);
        struct audit_event ev = {"demand.import", "import", id, NULL, summary};
        rc = audit_append(c, &p->actor, &ev, NULL, e);
        json_decref(summary);
        if (rc == RC_OK)
            rc = store_commit(c, e);
        r->imported = rc == RC_OK;
    }
    store_rollback(c); /* whatever was not committed */
    if (!r->imported && !o->dry_run)
        r->created = 0;
    json_decref(seen);
    json_decref(cache);
    reader_cleanup(&rd);
    return rc;
}
