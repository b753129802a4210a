/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of src/base/csv: RFC 4180 quoting, BOM, CRLF, quoted newlines, caps, errors. */
#include <string.h>

#include "base/csv.h"
#include "base/mem.h"
#include "unit.h"

#define S(lit) (lit), strlen(lit)

/* Reads the next record and checks its start line and fields (a NULL-terminated list). */
static void expect_record(struct csv *c, int line, const char *const *fields)
{
    int start;
    const char *why;
    ck_assert_int_eq(csv_next(c, &start, &why), CSV_RECORD);
    ck_assert_ptr_null(why);
    ck_assert_int_eq(start, line);
    int n = 0;
    while (fields[n])
        n++;
    ck_assert_int_eq(csv_count(c), n);
    for (int i = 0; i < n; i++) {
        ck_assert_str_eq(csv_field(c, i), fields[i]);
        ck_assert_uint_eq(csv_field_len(c, i), strlen(fields[i]));
    }
}

static void expect_bad(struct csv *c, int line, const char *why_part)
{
    int start;
    const char *why;
    ck_assert_int_eq(csv_next(c, &start, &why), CSV_BAD);
    ck_assert_int_eq(start, line);
    ck_assert_ptr_nonnull(why);
    ck_assert_msg(strstr(why, why_part), "reason \"%s\" lacks \"%s\"", why, why_part);
}

static void expect_eof(struct csv *c)
{
    int start;
    const char *why;
    ck_assert_int_eq(csv_next(c, &start, &why), CSV_EOF);
    ck_assert_int_eq(csv_next(c, &start, &why), CSV_EOF);
}

START_TEST(csv_plain)
{
    struct csv c;
    csv_init(&c, S("a,b,c\n1,,3\n"), NULL);
    expect_record(&c, 1, (const char *[]){"a", "b", "c", NULL});
    expect_record(&c, 2, (const char *[]){"1", "", "3", NULL});
    expect_eof(&c);
    csv_cleanup(&c);
    csv_cleanup(&c);
    csv_cleanup(NULL);
}
END_TEST

START_TEST(csv_bom_crlf_no_final_newline)
{
    struct csv c;
    csv_init(&c, S("\xEF\xBB\xBF工单编号,标题\r\nA1,你好\r\n\r\nA2,再见"), NULL);
    expect_record(&c, 1, (const char *[]){"工单编号", "标题", NULL});
    expect_record(&c, 2, (const char *[]){"A1", "你好", NULL});
    expect_record(&c, 3, (const char *[]){"", NULL}); /* a blank line */
    expect_record(&c, 4, (const char *[]){"A2", "再见", NULL});
    expect_eof(&c);
    csv_cleanup(&c);
    /* A BOM later in the data is data. */
    csv_init(&c, S("x\n\xEF\xBB\xBFy\n"), NULL);
    expect_record(&c, 1, (const char *[]){"x", NULL});
    expect_record(&c, 2, (const char *[]){"\xEF\xBB\xBFy", NULL});
    csv_cleanup(&c);
}
END_TEST

START_TEST(csv_quoting)
{
    struct csv c;
    csv_init(&c,
             S("\"a,b\",\"say \"\"hi\"\"\",\"\"\n"
               "\"line one\nline two\r\nline three\",x\n"
               "after,\"\"\"\"\n"),
             NULL);
    expect_record(&c, 1, (const char *[]){"a,b", "say \"hi\"", "", NULL});
    /* The quoted newlines are kept as they are and counted: the next record is line 5. */
    expect_record(&c, 2, (const char *[]){"line one\nline two\r\nline three", "x", NULL});
    expect_record(&c, 5, (const char *[]){"after", "\"", NULL});
    expect_eof(&c);
    csv_cleanup(&c);
}
END_TEST

START_TEST(csv_errors_resume)
{
    struct csv c;
    csv_init(&c,
             S("ok,1\n"
               "\"x\"y,2\n"
               "a\"b,3\n"
               "fine,4\n"
               "\"never closed,5\nstill\n"),
             NULL);
    expect_record(&c, 1, (const char *[]){"ok", "1", NULL});
    expect_bad(&c, 2, "引号后出现多余字符");
    expect_bad(&c, 3, "未加引号的字段中出现引号");
    expect_record(&c, 4, (const char *[]){"fine", "4", NULL});
    expect_bad(&c, 5, "引号未闭合");
    expect_eof(&c);
    csv_cleanup(&c);
}
END_TEST

START_TEST(csv_caps)
{
    struct csv c;
    struct csv_limits lim = {.max_record = 10, .max_field = 4, .max_fields = 3};
    csv_init(&c,
             S("abcd,ef\n"     /* 6 bytes: fits */
               "abcde,f\n"     /* a field of 5 bytes */
               "a,b,c,d\n"     /* 4 fields */
               "abcd,abcd,abc\n" /* 11 bytes */
               "\"ab\ncd\",x\n" /* a quoted newline counts as a byte of the field */
               "last\n"),
             &lim);
    expect_record(&c, 1, (const char *[]){"abcd", "ef", NULL});
    expect_bad(&c, 2, "第 1 列超过 4 字节");
    expect_bad(&c, 3, "列数超过 3");
    expect_bad(&c, 4, "单行超过 10 字节");
    /* The field is 5 bytes: bad, and the reader resumes after the line it stopped on. */
    expect_bad(&c, 5, "超过 4 字节");
    expect_record(&c, 7, (const char *[]){"last", NULL});
    expect_eof(&c);
    csv_cleanup(&c);
    /* The default record cap is 1 MB, reported as such. */
    size_t n = CSV_MAX_RECORD + 10;
    char *big = xmalloc(n);
    memset(big, 'x', n);
    big[n - 1] = '\n';
    csv_init(&c, big, n, NULL);
    expect_bad(&c, 1, "单行超过 1 MB");
    expect_eof(&c);
    csv_cleanup(&c);
    xfree(big);
}
END_TEST

START_TEST(csv_empty)
{
    struct csv c;
    csv_init(&c, "", 0, NULL);
    expect_eof(&c);
    csv_cleanup(&c);
    csv_init(&c, S("\xEF\xBB\xBF"), NULL);
    expect_eof(&c);
    csv_cleanup(&c);
    /* A lone CR ends a record too. */
    csv_init(&c, S("a\rb\r"), NULL);
    expect_record(&c, 1, (const char *[]){"a", NULL});
    expect_record(&c, 2, (const char *[]){"b", NULL});
    expect_eof(&c);
    csv_cleanup(&c);
}
END_TEST

/* Writes cells with csv_put (or csv_put_number when num) into one line and returns it
 * (new, xfree). */
static char *put_line(const char *const *cells, bool num)
{
    struct buf b;
    buf_init(&b, 4096);
    for (int i = 0; cells[i]; i++)
        ck_assert_int_eq(num ? csv_put_number(&b, cells[i], i == 0) : csv_put(&b, cells[i], i == 0),
                         RC_OK);
    char *out = xstrdup(buf_str(&b));
    buf_cleanup(&b);
    return out;
}

START_TEST(csv_write_quoting)
{
    char *line =
        put_line((const char *[]){"a", "b,c", "say \"hi\"", "x\ny", "", "中文", NULL}, false);
    ck_assert_str_eq(line, "a,\"b,c\",\"say \"\"hi\"\"\",\"x\ny\",,中文");
    xfree(line);
}
END_TEST

/* OWASP CSV injection: a text cell starting with = + - @ TAB or CR gets a ' in front. */
START_TEST(csv_write_formula_injection)
{
    char *line = put_line((const char *[]){"=HYPERLINK(\"http://x\",\"y\")", "+1", "-2+3",
                                           "@SUM(A1)", "\tx", "\rx", "a=b", "1-2", NULL},
                          false);
    ck_assert_str_eq(line, "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",\"'+1\",\"'-2+3\","
                           "\"'@SUM(A1)\",\"'\tx\",\"'\rx\",a=b,1-2");
    xfree(line);
    /* The cell reads back as text that starts with the quote. */
    struct csv c;
    csv_init(&c, S("\"'=1+1\",x\n"), NULL);
    expect_record(&c, 1, (const char *[]){"'=1+1", "x", NULL});
    csv_cleanup(&c);
    /* Numbers the program formats itself stay numbers; anything else is text. */
    line = put_line((const char *[]){"-12", "0.25", "-0.5", "=1", "-1+2*3x", NULL}, true);
    ck_assert_str_eq(line, "-12,0.25,-0.5,\"'=1\",\"'-1+2*3x\"");
    xfree(line);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("csv");
    TCase *t = tcase_create("csv");
    tcase_add_test(t, csv_plain);
    tcase_add_test(t, csv_bom_crlf_no_final_newline);
    tcase_add_test(t, csv_quoting);
    tcase_add_test(t, csv_errors_resume);
    tcase_add_test(t, csv_caps);
    tcase_add_test(t, csv_empty);
    tcase_add_test(t, csv_write_quoting);
    tcase_add_test(t, csv_write_formula_injection);
    suite_add_tcase(s, t);
    return s;
}

UNIT_MAIN(suite)
