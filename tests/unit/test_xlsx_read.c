/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of src/base/xlsx_read: real workbooks written by libxlsxwriter (shared
 * strings, numbers, dates, gaps, booleans, formulas), hand-made archives with libzip
 * (inline strings, the 1904 date system, no shared strings), and malformed ones (not a
 * zip, an old .xls, a missing sheet, broken XML, a DOCTYPE, a zip bomb, caps).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>
#include <zip.h>

#include "base/mem.h"
#include "base/xlsx_read.h"
#include "unit.h"

/* Reads the whole file path into a new buffer. */
static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *d = xmalloc((size_t)len + 1);
    ck_assert_uint_eq(fread(d, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return d;
}

static char *tmp_path(void)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/qifu-xlsx-test-%d.xlsx", (int)getpid());
    return path;
}

/* Converts data with lim; returns the CSV (new) or NULL with rc and the message. */
static char *convert(const char *data, size_t n, const struct xlsx_limits *lim, enum rc *rc,
                     struct err *e)
{
    struct buf b;
    buf_init(&b, 64u << 20);
    err_clear(e);
    *rc = xlsx_to_csv(data, n, lim, &b, e);
    if (*rc) {
        buf_cleanup(&b);
        return NULL;
    }
    char *s = xstrdup(buf_str(&b));
    buf_cleanup(&b);
    return s;
}

/* Builds an archive from (name, content) pairs (NULL-terminated) and returns its bytes. */
static char *make_zip(const char *const *parts, size_t *n)
{
    const char *path = tmp_path();
    unlink(path);
    int ze;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &ze);
    ck_assert_ptr_nonnull(z);
    for (size_t i = 0; parts[i]; i += 2) {
        zip_source_t *s = zip_source_buffer(z, parts[i + 1], strlen(parts[i + 1]), 0);
        ck_assert_int_ge(zip_file_add(z, parts[i], s, ZIP_FL_ENC_UTF_8), 0);
    }
    ck_assert_int_eq(zip_close(z), 0);
    char *d = slurp(path, n);
    unlink(path);
    return d;
}

#define WB                                                                                         \
    "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "               \
    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
#define RELS                                                                                       \
    "<Relationships><Relationship Id=\"rId1\" Target=\"worksheets/data.xml\"/></Relationships>"

START_TEST(xlsx_written_by_libxlsxwriter)
{
    const char *path = tmp_path();
    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "企业");
    lxw_format *date = workbook_add_format(wb);
    format_set_num_format(date, "yyyy-mm-dd");
    lxw_format *cn_date = workbook_add_format(wb);
    format_set_num_format(cn_date, "yyyy\"年\"m\"月\"d\"日\"");
    lxw_format *money = workbook_add_format(wb);
    format_set_num_format(money, "#,##0.00");
    worksheet_write_string(ws, 0, 0, "credit_code", NULL);
    worksheet_write_string(ws, 0, 1, "name", NULL);
    worksheet_write_string(ws, 0, 2, "registered_capital", NULL);
    worksheet_write_string(ws, 0, 3, "established", NULL);
    worksheet_write_string(ws, 0, 4, "note", NULL);
    worksheet_write_string(ws, 1, 0, "91340800MA2N0Q4X1K", NULL);
    worksheet_write_string(ws, 1, 1, "安庆市\"皖\"科技, 有限公司", NULL);
    worksheet_write_number(ws, 1, 2, 1234.5, money);
    lxw_datetime dt = {2021, 3, 9, 0, 0, 0};
    worksheet_write_datetime(ws, 1, 3, &dt, date);
    worksheet_write_string(ws, 1, 4, "两行\n说明", NULL);
    /* Row 3 is left out; row 4 has only its first and fourth cells. */
    worksheet_write_number(ws, 3, 0, 13800000000.0, NULL);
    lxw_datetime dt2 = {1900, 1, 1, 12, 30, 0};
    worksheet_write_datetime(ws, 3, 3, &dt2, cn_date);
    /* Row 5: a boolean, a formula with a cached value, a small number. */
    worksheet_write_boolean(ws, 4, 0, 1, NULL);
    worksheet_write_formula_num(ws, 4, 1, "=1+1", NULL, 2);
    worksheet_write_number(ws, 4, 2, 0.25, NULL);
    ck_assert_int_eq(workbook_close(wb), LXW_NO_ERROR);
    size_t n;
    char *data = slurp(path, &n);
    unlink(path);
    enum rc rc;
    struct err e;
    char *csv = convert(data, n, NULL, &rc, &e);
    ck_assert_msg(rc == RC_OK, "rc %d: %s", rc, e.msg);
    ck_assert_str_eq(csv, "credit_code,name,registered_capital,established,note\n"
                          "91340800MA2N0Q4X1K,\"安庆市\"\"皖\"\"科技, 有限公司\",1234.5,2021-03-09,"
                          "\"两行\n说明\"\n"
                          "\n"
                          "13800000000,,,1900-01-01 12:30:00,\n"
                          "TRUE,2,0.25,,\n");
    xfree(csv);
    xfree(data);
}
END_TEST

START_TEST(xlsx_inline_strings_1904_and_no_shared_strings)
{
    const char *parts[] = {
        "xl/workbook.xml",
        WB "<workbookPr date1904=\"1\"/><sheets><sheet name=\"a\" sheetId=\"1\" r:id=\"rId1\"/>"
           "</sheets></workbook>",
        "xl/_rels/workbook.xml.rels",
        RELS,
        "xl/styles.xml",
        "<styleSheet><numFmts count=\"1\"><numFmt numFmtId=\"170\" formatCode=\"[Red]0.00\"/>"
        "</numFmts><cellStyleXfs><xf numFmtId=\"14\"/></cellStyleXfs>"
        "<cellXfs><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/><xf numFmtId=\"170\"/></cellXfs>"
        "</styleSheet>",
        "xl/worksheets/data.xml",
        "<worksheet><sheetData><row r=\"2\"><c r=\"B2\" t=\"inlineStr\"><is><r><t>工单</t></r>"
        "<r><t xml:space=\"preserve\"> 号</t></r><rPh><t>ごう</t></rPh></is></c>"
        "<c r=\"C2\" s=\"1\"><v>0</v></c><c r=\"D2\" s=\"2\"><v>1.5E+3</v></c>"
        "<c r=\"E2\" t=\"e\"><v>#DIV/0!</v></c><c r=\"F2\" t=\"str\"><f>A1</f><v>x</v></c>"
        "</row></sheetData></worksheet>",
        NULL};
    size_t n;
    char *data = make_zip(parts, &n);
    enum rc rc;
    struct err e;
    char *csv = convert(data, n, NULL, &rc, &e);
    ck_assert_msg(rc == RC_OK, "rc %d: %s", rc, e.msg);
    /* Line 1 is the row the sheet leaves out; the 1904 serial 0 is 1904-01-01. */
    ck_assert_str_eq(csv, "\n,工单 号,1904-01-01,1500,,x\n");
    xfree(csv);
    xfree(data);
}
END_TEST

START_TEST(xlsx_dates_and_formats)
{
    char d[32];
    ck_assert(xlsx_serial_date(1, false, d, sizeof(d)));
    ck_assert_str_eq(d, "1900-01-01");
    ck_assert(xlsx_serial_date(59, false, d, sizeof(d)));
    ck_assert_str_eq(d, "1900-02-28");
    ck_assert(xlsx_serial_date(61, false, d, sizeof(d)));
    ck_assert_str_eq(d, "1900-03-01");
    ck_assert(xlsx_serial_date(46363.75, false, d, sizeof(d)));
    ck_assert_str_eq(d, "2026-12-07 18:00:00");
    ck_assert(!xlsx_serial_date(0.5, false, d, sizeof(d)));
    ck_assert(!xlsx_serial_date(1e9, false, d, sizeof(d)));
    ck_assert(xlsx_is_date_format(14, NULL));
    ck_assert(!xlsx_is_date_format(4, NULL));
    ck_assert(xlsx_is_date_format(200, "yyyy/m/d h:mm"));
    ck_assert(xlsx_is_date_format(200, "[$-F800]dddd"));
    ck_assert(!xlsx_is_date_format(200, "\"day\" 0.00"));
    ck_assert(!xlsx_is_date_format(200, "[Red]#,##0.00"));
    ck_assert(xlsx_is_date_format(200, "[h]:mm"));
}
END_TEST

/* Each malformed input fails with rc and a message containing part. */
static void expect_fail(const char *data, size_t n, const struct xlsx_limits *lim, enum rc want,
                        const char *part)
{
    enum rc rc;
    struct err e;
    char *csv = convert(data, n, lim, &rc, &e);
    ck_assert_ptr_null(csv);
    ck_assert_int_eq(rc, want);
    ck_assert_msg(strstr(e.msg, part), "message \"%s\" lacks \"%s\"", e.msg, part);
}

START_TEST(xlsx_malformed)
{
    expect_fail("a,b\n1,2\n", 8, NULL, RC_INVALID, "不是有效的 Excel");
    expect_fail("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 rest", 13, NULL, RC_INVALID, ".xls");
    expect_fail("PK\3\4garbage", 11, NULL, RC_INVALID, "已损坏");
    size_t n;
    const char *no_sheet[] = {"xl/workbook.xml", WB "<sheets/></workbook>", NULL};
    char *d = make_zip(no_sheet, &n);
    expect_fail(d, n, NULL, RC_INVALID, "xl/worksheets/sheet1.xml");
    xfree(d);
    const char *bad_xml[] = {"xl/workbook.xml", WB "</workbook>", "xl/worksheets/sheet1.xml",
                             "<worksheet><sheetData><row><c><v>1</v></row>", NULL};
    d = make_zip(bad_xml, &n);
    expect_fail(d, n, NULL, RC_INVALID, "不是合法的 XML");
    xfree(d);
    const char *doctype[] = {
        "xl/workbook.xml",
        "<!DOCTYPE x [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]>" WB "</workbook>", NULL};
    d = make_zip(doctype, &n);
    expect_fail(d, n, NULL, RC_INVALID, "DOCTYPE");
    xfree(d);
    const char *order[] = {"xl/workbook.xml", WB "</workbook>", "xl/worksheets/sheet1.xml",
                           "<worksheet><sheetData><row r=\"3\"/><row r=\"2\"/></sheetData>"
                           "</worksheet>",
                           NULL};
    d = make_zip(order, &n);
    expect_fail(d, n, NULL, RC_INVALID, "第 2 行出现在第 3 行之后");
    xfree(d);
    const char *sst[] = {"xl/workbook.xml", WB "</workbook>", "xl/worksheets/sheet1.xml",
                         "<worksheet><sheetData><row><c t=\"s\"><v>7</v></c></row></sheetData>"
                         "</worksheet>",
                         NULL};
    d = make_zip(sst, &n);
    expect_fail(d, n, NULL, RC_INVALID, "共享字符串");
    xfree(d);
}
END_TEST

START_TEST(xlsx_bombs_and_caps)
{
    /* 20 MiB of blanks inside the sheet: it compresses a thousand times. */
    size_t big = 20u << 20;
    char *sheet = xmalloc(big + 200);
    strcpy(sheet, "<worksheet><sheetData>");
    size_t at = strlen(sheet);
    memset(sheet + at, ' ', big);
    strcpy(sheet + at + big, "</sheetData></worksheet>");
    const char *bomb[] = {"xl/workbook.xml", WB "</workbook>", "xl/worksheets/sheet1.xml", sheet,
                          NULL};
    size_t n;
    char *d = make_zip(bomb, &n);
    ck_assert_uint_lt(n, 200000);
    expect_fail(d, n, NULL, RC_TOOLARGE, "压缩炸弹");
    struct xlsx_limits part = {.max_part = 1u << 20, .max_ratio = 100000};
    expect_fail(d, n, &part, RC_TOOLARGE, "解压后超过上限");
    xfree(d);
    xfree(sheet);
    const char *rows[] = {
        "xl/workbook.xml", WB "</workbook>", "xl/worksheets/sheet1.xml",
        "<worksheet><sheetData><row><c t=\"inlineStr\"><is><t>a</t></is></c></row>"
        "<row><c><v>1</v></c></row><row r=\"9\"><c><v>2</v></c></row>"
        "</sheetData></worksheet>",
        NULL};
    d = make_zip(rows, &n);
    struct xlsx_limits few = {.max_rows = 5};
    expect_fail(d, n, &few, RC_TOOLARGE, "超过 5 行");
    struct xlsx_limits cell = {.max_cell = 0, .max_cols = 1};
    enum rc rc;
    struct err e;
    char *csv = convert(d, n, &cell, &rc, &e);
    ck_assert_msg(rc == RC_OK, "%s", e.msg);
    ck_assert_str_eq(csv, "a\n1\n\n\n\n\n\n\n2\n");
    xfree(csv);
    xfree(d);
    const char *wide[] = {"xl/workbook.xml", WB "</workbook>", "xl/worksheets/sheet1.xml",
                          "<worksheet><sheetData><row><c r=\"AMK1\"><v>1</v></c></row>"
                          "</sheetData></worksheet>",
                          NULL};
    d = make_zip(wide, &n);
    expect_fail(d, n, NULL, RC_TOOLARGE, "列");
    /* The CSV's own cap. */
    struct buf small;
    buf_init(&small, 4);
    err_clear(&e);
    const char *longer[] = {"xl/workbook.xml", WB "</workbook>", "xl/worksheets/sheet1.xml",
                            "<worksheet><sheetData><row><c><v>123456789</v></c></row>"
                            "</sheetData></worksheet>",
                            NULL};
    xfree(d);
    d = make_zip(longer, &n);
    ck_assert_int_eq(xlsx_to_csv(d, n, NULL, &small, &e), RC_TOOLARGE);
    ck_assert_msg(strstr(e.msg, "上限"), "%s", e.msg);
    buf_cleanup(&small);
    xfree(d);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("xlsx_read");
    TCase *t = tcase_create("xlsx_read");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, xlsx_written_by_libxlsxwriter);
    tcase_add_test(t, xlsx_inline_strings_1904_and_no_shared_strings);
    tcase_add_test(t, xlsx_dates_and_formats);
    tcase_add_test(t, xlsx_malformed);
    tcase_add_test(t, xlsx_bombs_and_caps);
    suite_add_tcase(s, t);
    return s;
}

UNIT_MAIN(suite)
