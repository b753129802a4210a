/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xlsx_read: the first worksheet of an .xlsx as CSV text (xlsx_read.h). The archive is
 * opened from memory with libzip; each XML part is inflated in 64 KiB chunks straight
 * into an expat parser, so nothing is held whole but the shared strings and the CSV.
 * Order: workbook.xml (first sheet, date system), its relationships (the sheet's part),
 * sharedStrings.xml, styles.xml (which cell styles are dates), then the sheet.
 */
#include "xlsx_read.h"

#include <expat.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "mem.h"

#define CHUNK 65536
#define SLACK ((size_t)4 << 20) /* a part may inflate this much whatever its ratio */

/* The XML parts of interest, one handler set at a time. */
enum part { P_WORKBOOK, P_RELS, P_STRINGS, P_STYLES, P_SHEET };

struct rd {
    zip_t *z;
    struct xlsx_limits lim;
    struct err *e;
    enum rc rc; /* the first failure inside a handler (the parser is then stopped) */
    XML_Parser p;
    enum part part;
    const char *part_name;
    /* workbook.xml and its relationships */
    bool date1904;
    bool in_sheets;
    char sheet_rid[64]; /* r:id of the first <sheet> */
    char sheet_path[256];
    /* shared strings: NUL-terminated texts in sst, sst_off[i] their starts */
    struct buf sst;
    size_t *sst_off, n_sst, cap_sst;
    int si_depth;    /* inside <si> */
    int skip_depth;  /* inside <rPh> or <phoneticPr>: not the cell's text */
    bool in_t;       /* inside <t> (or <v>): collect character data */
    struct buf text; /* the text being collected */
    /* styles.xml: custom date formats, then whether each cellXfs entry is a date */
    int *date_fmt, n_date_fmt, cap_date_fmt;
    bool in_xfs;
    bool *xf_date;
    size_t n_xf, cap_xf;
    /* the sheet */
    struct buf *out;
    bool in_data; /* inside <sheetData> */
    long row;     /* current row number (1-based), 0 before the first */
    long n_rows;
    long col;      /* last column written in the row (0-based), -1 when none */
    long cell_col; /* column of the current cell */
    long width;    /* fields of the header row, 0 until it is seen */
    bool in_cell, in_is;
    char cell_t[16];
    long cell_s;
};

/* Returns the local part of an XML name ("x:row" -> "row"). */
static const char *local(const char *name)
{
    const char *c = strrchr(name, ':');
    return c ? c + 1 : name;
}

/* Returns the attribute whose local name is want ("r:id" matches "id" only with prefix). */
static const char *attr(const XML_Char **a, const char *want)
{
    for (size_t i = 0; a[i]; i += 2)
        if (strcmp(a[i], want) == 0)
            return a[i + 1];
    return NULL;
}

/* Stops the parser with rc and a message (the first failure wins). */
static void fail(struct rd *r, enum rc rc, const char *msg)
{
    if (r->rc == RC_OK) {
        r->rc = rc;
        err_set(r->e, rc, NULL, "%s", msg);
    }
    XML_StopParser(r->p, XML_FALSE);
}

static void collect(void *ud, const XML_Char *s, int len)
{
    struct rd *r = ud;
    if (!r->in_t || r->skip_depth || r->rc)
        return;
    if (buf_len(&r->text) + (size_t)len > r->lim.max_cell) {
        char msg[96];
        snprintf(msg, sizeof(msg), "Excel 单元格内容超过 %zu 字节", r->lim.max_cell);
        fail(r, RC_TOOLARGE, msg);
        return;
    }
    if (buf_append(&r->text, s, (size_t)len))
        fail(r, RC_TOOLARGE, "Excel 单元格内容过长");
}

/* A DOCTYPE could declare entities (billion laughs): no part of an .xlsx has one. */
static void doctype(void *ud, const XML_Char *name, const XML_Char *sys, const XML_Char *pub,
                    int internal)
{
    (void)name, (void)sys, (void)pub, (void)internal;
    fail(ud, RC_INVALID, "Excel 文件含有不允许的 DOCTYPE 声明，无法读取");
}

/* ---- workbook.xml and workbook.xml.rels ------------------------------------------ */

static void wb_start(void *ud, const XML_Char *name, const XML_Char **a)
{
    struct rd *r = ud;
    const char *n = local(name);
    if (r->part == P_WORKBOOK) {
        if (strcmp(n, "workbookPr") == 0) {
            const char *v = attr(a, "date1904");
            r->date1904 = v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
        } else if (strcmp(n, "sheets") == 0) {
            r->in_sheets = true;
        } else if (strcmp(n, "sheet") == 0 && r->in_sheets && !r->sheet_rid[0]) {
            for (size_t i = 0; a[i]; i += 2)
                if (strcmp(local(a[i]), "id") == 0 && a[i] != local(a[i]))
                    snprintf(r->sheet_rid, sizeof(r->sheet_rid), "%s", a[i + 1]);
        }
        return;
    }
    if (strcmp(n, "Relationship") == 0 && !r->sheet_path[0]) {
        const char *id = attr(a, "Id"), *target = attr(a, "Target");
        if (id && target && strcmp(id, r->sheet_rid) == 0) {
            if (target[0] == '/')
                snprintf(r->sheet_path, sizeof(r->sheet_path), "%s", target + 1);
            else
                snprintf(r->sheet_path, sizeof(r->sheet_path), "xl/%s", target);
        }
    }
}

static void wb_end(void *ud, const XML_Char *name)
{
    struct rd *r = ud;
    if (strcmp(local(name), "sheets") == 0)
        r->in_sheets = false;
}

/* ---- sharedStrings.xml ----------------------------------------------------------- */

static void sst_start(void *ud, const XML_Char *name, const XML_Char **a)
{
    struct rd *r = ud;
    (void)a;
    const char *n = local(name);
    if (strcmp(n, "si") == 0) {
        r->si_depth++;
        buf_reset(&r->text);
    } else if (strcmp(n, "rPh") == 0 || strcmp(n, "phoneticPr") == 0) {
        r->skip_depth++;
    } else if (strcmp(n, "t") == 0 && r->si_depth) {
        r->in_t = true;
    }
}

static void sst_end(void *ud, const XML_Char *name)
{
    struct rd *r = ud;
    const char *n = local(name);
    if (strcmp(n, "t") == 0) {
        r->in_t = false;
    } else if (strcmp(n, "rPh") == 0 || strcmp(n, "phoneticPr") == 0) {
        r->skip_depth--;
    } else if (strcmp(n, "si") == 0 && r->si_depth) {
        r->si_depth--;
        if (r->n_sst == r->lim.max_strings) {
            char msg[96];
            snprintf(msg, sizeof(msg), "Excel 文件的共享字符串超过 %zu 个", r->lim.max_strings);
            fail(r, RC_TOOLARGE, msg);
            return;
        }
        if (r->n_sst == r->cap_sst) {
            r->cap_sst = r->cap_sst ? 2 * r->cap_sst : 256;
            r->sst_off = xrealloc(r->sst_off, r->cap_sst * sizeof(*r->sst_off));
        }
        r->sst_off[r->n_sst++] = buf_len(&r->sst);
        if (buf_append(&r->sst, buf_str(&r->text), buf_len(&r->text)) || buf_append(&r->sst, "", 1))
            fail(r, RC_TOOLARGE, "Excel 文件的共享字符串过多");
    }
}

/* ---- styles.xml ------------------------------------------------------------------ */

bool xlsx_is_date_format(int id, const char *code)
{
    if (!code)
        return (id >= 14 && id <= 22) || (id >= 45 && id <= 47) || (id >= 27 && id <= 36) ||
               (id >= 50 && id <= 58); /* the last two ranges: the CJK locales' dates */
    /* A custom code is a date when it has a date or time letter outside quotes, brackets
     * (colours, [h]) and escapes: "yyyy-mm-dd", "yyyy\"年\"m\"月\"d\"日\"", "h:mm". */
    bool quoted = false;
    for (const char *p = code; *p; p++) {
        if (*p == '"') {
            quoted = !quoted;
        } else if (quoted) {
            continue;
        } else if (*p == '\\' || *p == '_' || *p == '*') {
            if (p[1])
                p++;
        } else if (*p == '[') {
            const char *q = strchr(p, ']');
            if (!q)
                break;
            /* [h], [mm], [ss] are elapsed times: dates for our purpose. */
            if (q - p >= 2 && strchr("hHmMsS", p[1]))
                return true;
            p = q;
        } else if (strchr("yYdDhHsS", *p) || ((*p == 'm' || *p == 'M'))) {
            return true;
        } else if (*p == ';') {
            break; /* the first section decides */
        }
    }
    return false;
}

static void styles_start(void *ud, const XML_Char *name, const XML_Char **a)
{
    struct rd *r = ud;
    const char *n = local(name);
    if (strcmp(n, "numFmt") == 0) {
        const char *id = attr(a, "numFmtId"), *code = attr(a, "formatCode");
        if (id && code && xlsx_is_date_format(atoi(id), code)) {
            if (r->n_date_fmt == r->cap_date_fmt) {
                r->cap_date_fmt = r->cap_date_fmt ? 2 * r->cap_date_fmt : 16;
                r->date_fmt = xrealloc(r->date_fmt, (size_t)r->cap_date_fmt * sizeof(int));
            }
            r->date_fmt[r->n_date_fmt++] = atoi(id);
        }
    } else if (strcmp(n, "cellXfs") == 0) {
        r->in_xfs = true;
    } else if (strcmp(n, "xf") == 0 && r->in_xfs) {
        if (r->n_xf == 65536) {
            fail(r, RC_TOOLARGE, "Excel 文件的单元格样式过多");
            return;
        }
        const char *id = attr(a, "numFmtId");
        int fmt = id ? atoi(id) : 0;
        bool date = fmt < 164 && xlsx_is_date_format(fmt, NULL);
        for (int i = 0; i < r->n_date_fmt && !date; i++)
            date = r->date_fmt[i] == fmt;
        if (r->n_xf == r->cap_xf) {
            r->cap_xf = r->cap_xf ? 2 * r->cap_xf : 64;
            r->xf_date = xrealloc(r->xf_date, r->cap_xf * sizeof(bool));
        }
        r->xf_date[r->n_xf++] = date;
    }
}

static void styles_end(void *ud, const XML_Char *name)
{
    struct rd *r = ud;
    if (strcmp(local(name), "cellXfs") == 0)
        r->in_xfs = false;
}

/* ---- the sheet -------------------------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d's civil date, inverted (Howard Hinnant's algorithm). */
static void civil_from_days(long z, long *y, unsigned *m, unsigned *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (long)yoe + era * 400 + (*m <= 2);
}

bool xlsx_serial_date(double v, bool date1904, char *out, size_t n)
{
    if (!isfinite(v))
        return false;
    if (date1904)
        v += 1462;
    if (v < 1 || v >= 2958466) /* 1900-01-01 .. 9999-12-31 */
        return false;
    double day = floor(v);
    long secs = lround((v - day) * 86400.0);
    if (secs >= 86400)
        day += 1, secs -= 86400;
    /* Excel's serial 60 is 1900-02-29, a day that never was (Lotus 1-2-3's leap year);
     * from 61 on, serials count from 1899-12-30, before it from 1899-12-31. */
    long days = (long)day - (day < 61 ? 25568 : 25569); /* to days since 1970-01-01 */
    long y;
    unsigned m, d;
    if (day == 60) {
        y = 1900, m = 2, d = 29;
    } else {
        civil_from_days(days, &y, &m, &d);
    }
    if (secs == 0)
        snprintf(out, n, "%04ld-%02u-%02u", y, m, d);
    else
        snprintf(out, n, "%04ld-%02u-%02u %02ld:%02ld:%02ld", y, m, d, secs / 3600, secs / 60 % 60,
                 secs % 60);
    return true;
}

/* Column of a cell reference ("AB12" -> 27), -1 when it has no letters. */
static long ref_col(const char *ref)
{
    long c = 0;
    const char *p = ref;
    for (; *p >= 'A' && *p <= 'Z' && p - ref < 4; p++)
        c = c * 26 + (*p - 'A' + 1);
    return p == ref ? -1 : c - 1;
}

/* Appends one CSV field, quoted when it holds a comma, quote or line break. */
static enum rc put_field(struct buf *b, const char *s, size_t n)
{
    bool q = false;
    for (size_t i = 0; i < n && !q; i++)
        q = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!q)
        return buf_append(b, s, n);
    enum rc rc = buf_append(b, "\"", 1);
    for (size_t i = 0; rc == RC_OK && i < n; i++)
        rc = s[i] == '"' ? buf_append(b, "\"\"", 2) : buf_append(b, &s[i], 1);
    return rc == RC_OK ? buf_append(b, "\"", 1) : rc;
}

/* The text of a number cell as Excel's General format shows it; dates as dates. */
static void number_text(struct rd *r, const char *v, char *out, size_t n)
{
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !isfinite(x)) {
        snprintf(out, n, "%s", v);
        return;
    }
    if (r->cell_s >= 0 && (size_t)r->cell_s < r->n_xf && r->xf_date[r->cell_s] &&
        xlsx_serial_date(x, r->date1904, out, n))
        return;
    if (!strpbrk(v, "eE"))
        snprintf(out, n, "%s", v);
    else if (x == floor(x) && fabs(x) < 1e17)
        snprintf(out, n, "%.0f", x);
    else
        snprintf(out, n, "%.15g", x);
}

static void put(struct rd *r, enum rc rc)
{
    if (rc && r->rc == RC_OK)
        fail(r, RC_TOOLARGE, "Excel 文件的内容超过导入的上限，请拆分后分批导入");
}

/* Ends the current row: pads it to the header's width and ends the line. */
static void row_end(struct rd *r)
{
    if (r->col >= 0) {
        if (!r->width)
            r->width = r->col + 1;
        for (long c = r->col + 1; c < r->width; c++)
            put(r, buf_append(r->out, ",", 1));
    }
    put(r, buf_append(r->out, "\n", 1));
}

static void sheet_start(void *ud, const XML_Char *name, const XML_Char **a)
{
    struct rd *r = ud;
    const char *n = local(name);
    if (strcmp(n, "sheetData") == 0) {
        r->in_data = true;
    } else if (!r->in_data) {
        return;
    } else if (strcmp(n, "row") == 0) {
        const char *rr = attr(a, "r");
        long num = rr ? strtol(rr, NULL, 10) : r->row + 1;
        char msg[128];
        if (num <= r->row) {
            snprintf(msg, sizeof(msg), "Excel 工作表的第 %ld 行出现在第 %ld 行之后，文件已损坏",
                     num, r->row);
            fail(r, RC_INVALID, msg);
            return;
        }
        if ((size_t)num > r->lim.max_rows || (size_t)++r->n_rows > r->lim.max_rows) {
            snprintf(msg, sizeof(msg), "Excel 工作表超过 %zu 行，请拆分后分批导入",
                     r->lim.max_rows);
            fail(r, RC_TOOLARGE, msg);
            return;
        }
        for (long k = r->row + 1; k < num; k++) /* rows the sheet leaves out */
            put(r, buf_append(r->out, "\n", 1));
        r->row = num;
        r->col = -1;
    } else if (strcmp(n, "c") == 0 && r->row) {
        const char *ref = attr(a, "r"), *t = attr(a, "t"), *s = attr(a, "s");
        r->cell_col = ref ? ref_col(ref) : r->col + 1;
        snprintf(r->cell_t, sizeof(r->cell_t), "%s", t ? t : "n");
        r->cell_s = s ? strtol(s, NULL, 10) : -1;
        char msg[128];
        if (r->cell_col < 0 || r->cell_col <= r->col) {
            snprintf(msg, sizeof(msg), "Excel 工作表第 %ld 行的单元格顺序错误，文件已损坏", r->row);
            fail(r, RC_INVALID, msg);
            return;
        }
        if ((size_t)r->cell_col >= r->lim.max_cols) {
            snprintf(msg, sizeof(msg), "Excel 工作表超过 %zu 列", r->lim.max_cols);
            fail(r, RC_TOOLARGE, msg);
            return;
        }
        r->in_cell = true;
        buf_reset(&r->text);
    } else if (r->in_cell && strcmp(n, "is") == 0) {
        r->in_is = true;
    } else if (r->in_cell && (strcmp(n, "rPh") == 0 || strcmp(n, "phoneticPr") == 0)) {
        r->skip_depth++;
    } else if (r->in_cell && (strcmp(n, "v") == 0 || (r->in_is && strcmp(n, "t") == 0))) {
        if (strcmp(n, "v") == 0)
            buf_reset(&r->text);
        r->in_t = true;
    }
}

/* The text of the cell that just ended. */
static void cell_end(struct rd *r)
{
    const char *v = buf_str(&r->text);
    const char *text = v;
    size_t len = buf_len(&r->text);
    char num[64];
    if (strcmp(r->cell_t, "s") == 0) {
        char *end;
        long i = strtol(v, &end, 10);
        if (end == v || *end || i < 0 || (size_t)i >= r->n_sst) {
            char msg[128];
            snprintf(msg, sizeof(msg), "Excel 工作表第 %ld 行引用了不存在的共享字符串，文件已损坏",
                     r->row);
            fail(r, RC_INVALID, msg);
            return;
        }
        text = buf_str(&r->sst) + r->sst_off[i];
        len = strlen(text);
    } else if (strcmp(r->cell_t, "b") == 0) {
        text = strcmp(v, "1") == 0 ? "TRUE" : "FALSE";
        len = strlen(text);
        if (!*v)
            text = "", len = 0;
    } else if (strcmp(r->cell_t, "e") == 0) {
        text = "", len = 0;
    } else if (strcmp(r->cell_t, "d") == 0) {
        /* ISO 8601 text: a midnight loses its time, the T becomes a blank. */
        snprintf(num, sizeof(num), "%s", v);
        char *tp = strchr(num, 'T');
        if (tp && (strcmp(tp, "T00:00:00") == 0 || strcmp(tp, "T00:00:00Z") == 0))
            *tp = '\0';
        else if (tp)
            *tp = ' ';
        text = num, len = strlen(num);
    } else if (strcmp(r->cell_t, "n") == 0 && len) {
        number_text(r, v, num, sizeof(num));
        text = num, len = strlen(num);
    } /* str, inlineStr: the text as collected */
    if (!len)
        return;
    for (long c = r->col; c < r->cell_col; c++)
        if (c >= 0)
            put(r, buf_append(r->out, ",", 1));
    put(r, put_field(r->out, text, len));
    r->col = r->cell_col;
}

static void sheet_end(void *ud, const XML_Char *name)
{
    struct rd *r = ud;
    const char *n = local(name);
    if (strcmp(n, "sheetData") == 0) {
        r->in_data = false;
    } else if (!r->in_data) {
        return;
    } else if (strcmp(n, "row") == 0) {
        if (r->row)
            row_end(r);
    } else if (strcmp(n, "c") == 0 && r->in_cell) {
        r->in_cell = r->in_is = false;
        r->in_t = false;
        cell_end(r);
    } else if (strcmp(n, "is") == 0) {
        r->in_is = false;
    } else if (strcmp(n, "rPh") == 0 || strcmp(n, "phoneticPr") == 0) {
        if (r->skip_depth)
            r->skip_depth--;
    } else if (strcmp(n, "v") == 0 || strcmp(n, "t") == 0) {
        r->in_t = false;
    }
}

/* ---- parts of the archive --------------------------------------------------------- */

/*
 * Inflates the part name into a new expat parser with the handlers of r->part. A missing
 * part is RC_NOTFOUND when optional (e unset), RC_INVALID otherwise.
 */
static enum rc parse_part(struct rd *r, const char *name, bool required)
{
    static const struct {
        XML_StartElementHandler start;
        XML_EndElementHandler end;
    } handlers[] = {
        [P_WORKBOOK] = {wb_start, wb_end},    [P_RELS] = {wb_start, wb_end},
        [P_STRINGS] = {sst_start, sst_end},   [P_STYLES] = {styles_start, styles_end},
        [P_SHEET] = {sheet_start, sheet_end},
    };
    zip_stat_t st;
    zip_int64_t idx = zip_name_locate(r->z, name, 0);
    if (idx < 0 || zip_stat_index(r->z, (zip_uint64_t)idx, 0, &st) != 0) {
        if (!required)
            return RC_NOTFOUND;
        return err_set(r->e, RC_INVALID, NULL, "Excel 文件缺少 %s，不是有效的 .xlsx 文件", name);
    }
    zip_file_t *f = zip_fopen_index(r->z, (zip_uint64_t)idx, 0);
    if (!f)
        return err_set(r->e, RC_INVALID, NULL, "Excel 文件已损坏，无法读取 %s", name);
    size_t comp = (st.valid & ZIP_STAT_COMP_SIZE) ? (size_t)st.comp_size : 0;
    size_t cap = comp > (SIZE_MAX - SLACK) / r->lim.max_ratio ? r->lim.max_part
                                                              : comp * r->lim.max_ratio + SLACK;
    if (cap > r->lim.max_part)
        cap = r->lim.max_part;
    r->p = XML_ParserCreate("UTF-8");
    XML_SetUserData(r->p, r);
    XML_SetElementHandler(r->p, handlers[r->part].start, handlers[r->part].end);
    XML_SetCharacterDataHandler(r->p, collect);
    XML_SetStartDoctypeDeclHandler(r->p, doctype);
    r->part_name = name;
    char *chunk = xmalloc(CHUNK);
    size_t total = 0;
    enum rc rc = RC_OK;
    for (;;) {
        zip_int64_t got = zip_fread(f, chunk, CHUNK);
        if (got < 0) {
            rc = err_set(r->e, RC_INVALID, NULL, "Excel 文件已损坏，无法解压 %s", name);
            break;
        }
        total += (size_t)got;
        if (total > cap) {
            rc = err_set(r->e, RC_TOOLARGE, NULL,
                         total > r->lim.max_part
                             ? "Excel 文件的 %s 解压后超过上限，请拆分后分批导入"
                             : "Excel 文件的 %s 压缩比异常，疑似压缩炸弹，已拒绝",
                         name);
            break;
        }
        if (XML_Parse(r->p, chunk, (int)got, got == 0) == XML_STATUS_ERROR) {
            if (r->rc)
                rc = r->rc;
            else
                rc = err_set(r->e, RC_INVALID, NULL,
                             "Excel 文件的 %s 不是合法的 XML（第 %lu 行：%s）", name,
                             (unsigned long)XML_GetCurrentLineNumber(r->p),
                             XML_ErrorString(XML_GetErrorCode(r->p)));
            break;
        }
        if (got == 0)
            break;
    }
    xfree(chunk);
    XML_ParserFree(r->p);
    r->p = NULL;
    zip_fclose(f);
    return rc;
}

bool xlsx_sniff(const void *data, size_t n)
{
    return n >= 4 && memcmp(data, "PK\3\4", 4) == 0;
}

enum rc xlsx_to_csv(const void *data, size_t n, const struct xlsx_limits *lim, struct buf *out,
                    struct err *e)
{
    struct rd r = {.e = e, .out = out};
    r.lim = lim ? *lim : (struct xlsx_limits){0};
    if (!r.lim.max_part)
        r.lim.max_part = XLSX_MAX_PART;
    if (!r.lim.max_ratio)
        r.lim.max_ratio = XLSX_MAX_RATIO;
    if (!r.lim.max_rows)
        r.lim.max_rows = XLSX_MAX_ROWS;
    if (!r.lim.max_cols)
        r.lim.max_cols = XLSX_MAX_COLS;
    if (!r.lim.max_cell)
        r.lim.max_cell = XLSX_MAX_CELL;
    if (!r.lim.max_strings)
        r.lim.max_strings = XLSX_MAX_STRINGS;
    buf_init(&r.sst, r.lim.max_part); /* its text is no longer than its part */
    buf_init(&r.text, r.lim.max_cell + 1);
    enum rc rc = RC_OK;
    zip_source_t *src = NULL;
    if (n >= 8 && memcmp(data, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0) {
        rc = err_set(
            e, RC_INVALID, NULL,
            "不支持旧版 Excel 97-2003（.xls）文件，请在 Excel 中另存为 .xlsx 或 CSV 后再导入");
        goto out;
    }
    if (!xlsx_sniff(data, n)) {
        rc = err_set(e, RC_INVALID, NULL, "不是有效的 Excel（.xlsx）文件");
        goto out;
    }
    zip_error_t ze;
    zip_error_init(&ze);
    src = zip_source_buffer_create(data, n, 0, &ze);
    if (src)
        r.z = zip_open_from_source(src, ZIP_RDONLY, &ze);
    zip_error_fini(&ze);
    if (!r.z) {
        rc = err_set(e, RC_INVALID, NULL, "Excel（.xlsx）文件已损坏，无法打开");
        goto out;
    }
    r.part = P_WORKBOOK;
    if ((rc = parse_part(&r, "xl/workbook.xml", true)))
        goto out;
    if (r.sheet_rid[0]) {
        r.part = P_RELS;
        rc = parse_part(&r, "xl/_rels/workbook.xml.rels", false);
        if (rc && rc != RC_NOTFOUND)
            goto out;
    }
    if (!r.sheet_path[0]) /* no relationship: the name every writer gives the first sheet */
        snprintf(r.sheet_path, sizeof(r.sheet_path), "xl/worksheets/sheet1.xml");
    r.part = P_STRINGS;
    rc = parse_part(&r, "xl/sharedStrings.xml", false);
    if (rc && rc != RC_NOTFOUND)
        goto out;
    r.part = P_STYLES;
    rc = parse_part(&r, "xl/styles.xml", false);
    if (rc && rc != RC_NOTFOUND)
        goto out;
    r.part = P_SHEET;
    r.skip_depth = 0;
    rc = parse_part(&r, r.sheet_path, true);
out:
    if (r.z)
        zip_discard(r.z);
    else if (src)
        zip_source_free(src);
    buf_cleanup(&r.sst);
    buf_cleanup(&r.text);
    xfree(r.sst_off);
    xfree(r.date_fmt);
    xfree(r.xf_date);
    return rc;
}
