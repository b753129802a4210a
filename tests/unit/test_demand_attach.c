/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of src/demand/demand_attach's pure parts: the magic-byte sniffer (with
 * zip and OLE2 containers built here byte by byte, including damaged ones that must
 * be refused without reading out of bounds or looping), the agreement of declared
 * types and extensions, and the cleaning of file names.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "demand/demand_attach.h"
#include "unit.h"

static enum demand_attach_kind sniff(const void *p, size_t n, char *why, size_t cap)
{
    struct demand_attach_sniffed s;
    demand_attach_sniff(p, n, &s);
    if (why)
        snprintf(why, cap, "%s", s.why);
    ck_assert_msg((s.kind == ATTACH_UNKNOWN) == (s.why[0] != '\0'), "kind %d why '%s'", s.kind,
                  s.why);
    return s.kind;
}

#define SNIFF(lit) sniff(lit, sizeof(lit) - 1, NULL, 0)

static void put16(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
    put16(p, v & 0xFFFF);
    put16(p + 2, v >> 16);
}

/* A zip with empty stored entries of the given names (CRCs are not checked). */
static size_t make_zip(unsigned char *out, const char *const *names, int n)
{
    size_t o = 0;
    uint32_t offsets[16];
    for (int i = 0; i < n; i++) {
        size_t nl = strlen(names[i]);
        offsets[i] = (uint32_t)o;
        memset(out + o, 0, 30);
        put32(out + o, 0x04034b50u);
        put16(out + o + 26, (uint32_t)nl);
        memcpy(out + o + 30, names[i], nl);
        o += 30 + nl;
    }
    size_t cd = o;
    for (int i = 0; i < n; i++) {
        size_t nl = strlen(names[i]);
        memset(out + o, 0, 46);
        put32(out + o, 0x02014b50u);
        put16(out + o + 28, (uint32_t)nl);
        put32(out + o + 42, offsets[i]);
        memcpy(out + o + 46, names[i], nl);
        o += 46 + nl;
    }
    memset(out + o, 0, 22);
    put32(out + o, 0x06054b50u);
    put16(out + o + 8, (uint32_t)n);
    put16(out + o + 10, (uint32_t)n);
    put32(out + o + 12, (uint32_t)(o - cd));
    put32(out + o + 16, (uint32_t)cd);
    return o + 22;
}

/* One 128-byte OLE2 directory entry. */
static void cfb_entry(unsigned char *ent, const char *name, int type)
{
    memset(ent, 0, 128);
    size_t n = strlen(name);
    for (size_t i = 0; i < n; i++)
        ent[2 * i] = (unsigned char)name[i];
    put16(ent + 0x40, (uint32_t)(2 * n + 2));
    ent[0x42] = (unsigned char)type;
    put32(ent + 0x44, 0xFFFFFFFFu);
    put32(ent + 0x48, 0xFFFFFFFFu);
    put32(ent + 0x4C, 0xFFFFFFFFu);
    put32(ent + 0x74, 0xFFFFFFFEu);
}

/*
 * An OLE2 file with 512-byte sectors: FAT in sector fat_sec, the directory (root
 * entry plus up to three streams) in sector dir_sec. With fat_sec listed in the
 * header's DIFAT. total is the file size in sectors after the header.
 */
static unsigned char *make_cfb(const char *const *streams, int n, uint32_t dir_sec, size_t total,
                               size_t *len)
{
    size_t size = (total + 1) * 512;
    unsigned char *p = xcalloc(1, size);
    memcpy(p, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
    put16(p + 0x18, 0x3E);
    put16(p + 0x1A, 3);
    put16(p + 0x1C, 0xFFFE);
    put16(p + 0x1E, 9);
    put16(p + 0x20, 6);
    put32(p + 0x2C, 1);
    put32(p + 0x30, dir_sec);
    put32(p + 0x3C, 0xFFFFFFFEu);
    put32(p + 0x44, 0xFFFFFFFEu);
    for (int i = 0; i < 109; i++)
        put32(p + 0x4C + 4 * i, 0xFFFFFFFFu);
    put32(p + 0x4C, 0); /* the FAT is sector 0 */
    unsigned char *fat = p + 512;
    for (int i = 0; i < 128; i++)
        put32(fat + 4 * i, 0xFFFFFFFFu);
    put32(fat, 0xFFFFFFFDu);
    if (dir_sec < 128)
        put32(fat + 4 * dir_sec, 0xFFFFFFFEu);
    unsigned char *dir = p + (dir_sec + 1) * 512;
    cfb_entry(dir, "Root Entry", 5);
    for (int i = 0; i < n; i++)
        cfb_entry(dir + 128 * (i + 1), streams[i], 2);
    *len = size;
    return p;
}

START_TEST(magic_numbers)
{
    ck_assert_int_eq(SNIFF("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n"), ATTACH_PDF);
    ck_assert_int_eq(SNIFF("\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), ATTACH_PNG);
    ck_assert_int_eq(SNIFF("\xFF\xD8\xFF\xE0\0\x10JFIF"), ATTACH_JPEG);
    ck_assert_int_eq(SNIFF("GIF89a\1\0\1\0"), ATTACH_GIF);
    ck_assert_int_eq(SNIFF("GIF87a\1\0\1\0"), ATTACH_GIF);
    /* Near misses are not the type. */
    ck_assert_int_eq(SNIFF("\x89PNG\r\n\x1a"), ATTACH_UNKNOWN);
    ck_assert_int_eq(SNIFF("GIF88a is text"), ATTACH_TEXT);
    ck_assert_int_eq(SNIFF(" %PDF-1.4"), ATTACH_TEXT);
    char why[160];
    ck_assert_int_eq(sniff("", 0, why, sizeof(why)), ATTACH_UNKNOWN);
    ck_assert_str_eq(why, "文件为空");
    ck_assert_int_eq(sniff(NULL, 0, NULL, 0), ATTACH_UNKNOWN);
    static const char *const exes[] = {"MZ\x90\0\3\0",
                                       "\x7F"
                                       "ELF\2\1\1",
                                       "\xCF\xFA\xED\xFE\7\0", "\xCA\xFE\xBA\xBE\0\0"};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq(sniff(exes[i], 6, why, sizeof(why)), ATTACH_UNKNOWN);
        ck_assert_str_eq(why, "不接收可执行程序");
    }
    ck_assert_int_eq(sniff("Rar!\x1A\x07\0", 7, why, sizeof(why)), ATTACH_UNKNOWN);
    ck_assert_str_eq(why, "不接收压缩包");
    ck_assert_int_eq(sniff("\x1F\x8B\x08\0", 4, why, sizeof(why)), ATTACH_UNKNOWN);
}
END_TEST

START_TEST(text)
{
    char why[160];
    ck_assert_int_eq(SNIFF("企业诉求：园区道路破损。\r\n\t联系人 方晓东\f"), ATTACH_TEXT);
    ck_assert_int_eq(SNIFF("\xEF\xBB\xBF带字节序标记的文本"), ATTACH_TEXT);
    /* A '<' that opens no tag is text. */
    ck_assert_int_eq(SNIFF("<附件清单> 1. 营业执照"), ATTACH_TEXT);
    ck_assert_int_eq(SNIFF("a < b and c > d"), ATTACH_TEXT);
    /* GBK "企业" is not UTF-8. */
    ck_assert_int_eq(sniff("\xC6\xF3\xD2\xB5", 4, why, sizeof(why)), ATTACH_UNKNOWN);
    ck_assert_msg(strstr(why, "UTF-8"), "%s", why);
    /* Binary bytes. */
    ck_assert_int_eq(sniff("ab\0cd", 5, why, sizeof(why)), ATTACH_UNKNOWN);
    ck_assert_int_eq(SNIFF("ansi \x1B[31m red"), ATTACH_UNKNOWN);
    /* Markup and scripts. */
    static const char *const markup[] = {"<!DOCTYPE html><p>x</p>",
                                         "\n  <html><body>",
                                         "<?xml version=\"1.0\"?><a/>",
                                         "<svg onload=alert(1)>",
                                         "正文\n<SCRIPT>alert(1)</SCRIPT>",
                                         "x <iframe src=//evil>",
                                         "\xEF\xBB\xBF<html>"};
    for (size_t i = 0; i < sizeof(markup) / sizeof(markup[0]); i++) {
        ck_assert_int_eq(sniff(markup[i], strlen(markup[i]), why, sizeof(why)), ATTACH_UNKNOWN);
        ck_assert_msg(strstr(why, "网页"), "%zu: %s", i, why);
    }
    ck_assert_int_eq(sniff("#!/bin/sh\n", 10, why, sizeof(why)), ATTACH_UNKNOWN);
    ck_assert_str_eq(why, "不接收可执行脚本");
}
END_TEST

START_TEST(zip_containers)
{
    unsigned char buf[4096];
    char why[160];
    static const char *const docx[] = {"[Content_Types].xml", "_rels/.rels", "word/document.xml"};
    static const char *const xlsx[] = {"[Content_Types].xml", "xl/workbook.xml"};
    static const char *const pptx[] = {"[Content_Types].xml", "ppt/presentation.xml"};
    static const char *const ofd[] = {"OFD.xml", "Doc_0/Document.xml"};
    static const char *const docm[] = {"[Content_Types].xml", "word/document.xml",
                                       "word/vbaProject.bin"};
    static const char *const plain[] = {"setup.exe", "readme.txt"};
    static const char *const mixed[] = {"[Content_Types].xml", "word/document.xml",
                                        "xl/workbook.xml"};
    ck_assert_int_eq(sniff(buf, make_zip(buf, docx, 3), NULL, 0), ATTACH_DOCX);
    ck_assert_int_eq(sniff(buf, make_zip(buf, xlsx, 2), NULL, 0), ATTACH_XLSX);
    ck_assert_int_eq(sniff(buf, make_zip(buf, pptx, 2), NULL, 0), ATTACH_PPTX);
    ck_assert_int_eq(sniff(buf, make_zip(buf, ofd, 2), NULL, 0), ATTACH_OFD);
    ck_assert_int_eq(sniff(buf, make_zip(buf, docm, 3), why, sizeof(why)), ATTACH_UNKNOWN);
    ck_assert_msg(strstr(why, "宏"), "%s", why);
    ck_assert_int_eq(sniff(buf, make_zip(buf, plain, 2), why, sizeof(why)), ATTACH_UNKNOWN);
    ck_assert_msg(strstr(why, "压缩包"), "%s", why);
    ck_assert_int_eq(sniff(buf, make_zip(buf, mixed, 3), NULL, 0), ATTACH_UNKNOWN);
    /* Damaged: every truncation of a DOCX loses its end record and is refused, never
     * read out of bounds (ASan checks under make check). */
    size_t n = make_zip(buf, docx, 3);
    for (size_t cut = 4; cut < n; cut++) /* from the whole signature "PK\3\4" on */
        ck_assert_int_eq(sniff(buf, cut, NULL, 0), ATTACH_UNKNOWN);
    /* A central directory pointing past the end record. */
    put32(buf + n - 22 + 16, (uint32_t)n);
    ck_assert_int_eq(sniff(buf, n, why, sizeof(why)), ATTACH_UNKNOWN);
    /* A name length running past the directory. */
    n = make_zip(buf, docx, 3);
    size_t cd = n - 22 - (46 + 19) - (46 + 11) - (46 + 17);
    put16(buf + cd + 28, 4000);
    ck_assert_int_eq(sniff(buf, n, why, sizeof(why)), ATTACH_UNKNOWN);
    ck_assert_msg(strstr(why, "损坏"), "%s", why);
}
END_TEST

START_TEST(ole_containers)
{
    char why[160];
    size_t n;
    static const char *const doc[] = {"WordDocument", "1Table"};
    static const char *const xls[] = {"Workbook"};
    static const char *const xls95[] = {"Book"};
    static const char *const ppt[] = {"PowerPoint Document", "Current User"};
    static const char *const macros[] = {"WordDocument", "Macros"};
    static const char *const vba[] = {"Workbook", "_VBA_PROJECT_CUR"};
    static const char *const enc[] = {"EncryptionInfo", "EncryptedPackage"};
    static const char *const msi[] = {"SummaryInformation"};
    struct {
        const char *const *names;
        int n;
        enum demand_attach_kind want;
        const char *why;
    } cases[] = {
        {doc, 2, ATTACH_DOC, ""},          {xls, 1, ATTACH_XLS, ""},
        {xls95, 1, ATTACH_XLS, ""},        {ppt, 2, ATTACH_PPT, ""},
        {macros, 2, ATTACH_UNKNOWN, "宏"}, {vba, 2, ATTACH_UNKNOWN, "宏"},
        {enc, 2, ATTACH_UNKNOWN, "加密"},  {msi, 1, ATTACH_UNKNOWN, "OLE2"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned char *p = make_cfb(cases[i].names, cases[i].n, 1, 2, &n);
        ck_assert_int_eq(sniff(p, n, why, sizeof(why)), cases[i].want);
        ck_assert_msg(strstr(why, cases[i].why), "%zu: %s", i, why);
        xfree(p);
    }
    /* A directory chain that loops on itself is refused, not followed forever. */
    unsigned char *p = make_cfb(doc, 2, 1, 2, &n);
    put32(p + 512 + 4, 1);
    ck_assert_int_eq(sniff(p, n, why, sizeof(why)), ATTACH_UNKNOWN);
    ck_assert_msg(strstr(why, "损坏"), "%s", why);
    /* A directory sector past the end of the file. */
    put32(p + 0x30, 77);
    ck_assert_int_eq(sniff(p, n, NULL, 0), ATTACH_UNKNOWN);
    /* A bad sector size. */
    put32(p + 0x30, 1);
    put16(p + 0x1E, 30);
    ck_assert_int_eq(sniff(p, n, NULL, 0), ATTACH_UNKNOWN);
    /* Truncated to the header. */
    put16(p + 0x1E, 9);
    ck_assert_int_eq(sniff(p, 512, NULL, 0), ATTACH_UNKNOWN);
    ck_assert_int_eq(sniff(p, 100, NULL, 0), ATTACH_UNKNOWN);
    xfree(p);
}
END_TEST

START_TEST(ole_difat)
{
    /* A directory in sector 14000: its FAT entry lies in the 110th FAT sector, which
     * only the DIFAT chain (not the header's 109 entries) can find. */
    static const char *const doc[] = {"WordDocument"};
    size_t n;
    unsigned char *p = make_cfb(doc, 1, 14000, 14001, &n);
    put32(p + 0x44, 1); /* the DIFAT chain starts at sector 1 ... */
    put32(p + 0x48, 1);
    unsigned char *difat = p + 2 * 512;
    for (int i = 0; i < 128; i++)
        put32(difat + 4 * i, 0xFFFFFFFFu);
    put32(difat, 2); /* ... whose first entry is FAT sector 2 */
    put32(difat + 127 * 4, 0xFFFFFFFEu);
    unsigned char *fat2 = p + 3 * 512;
    for (int i = 0; i < 128; i++)
        put32(fat2 + 4 * i, 0xFFFFFFFFu);
    put32(fat2 + 4 * (14000 % 128), 0xFFFFFFFEu);
    ck_assert_int_eq(sniff(p, n, NULL, 0), ATTACH_DOC);
    /* Without the DIFAT chain the FAT entry cannot be found. */
    put32(p + 0x48, 0);
    ck_assert_int_eq(sniff(p, n, NULL, 0), ATTACH_UNKNOWN);
    xfree(p);
}
END_TEST

START_TEST(agreement)
{
    ck_assert(demand_attach_type_agrees(NULL, ATTACH_PDF));
    ck_assert(demand_attach_type_agrees("", ATTACH_PDF));
    ck_assert(demand_attach_type_agrees("application/octet-stream", ATTACH_PNG));
    ck_assert(demand_attach_type_agrees("Application/PDF", ATTACH_PDF));
    ck_assert(demand_attach_type_agrees("image/jpg", ATTACH_JPEG));
    ck_assert(demand_attach_type_agrees("text/plain; charset=utf-8", ATTACH_TEXT));
    ck_assert(demand_attach_type_agrees(" text/csv", ATTACH_TEXT));
    ck_assert(demand_attach_type_agrees("application/zip", ATTACH_DOCX));
    ck_assert(demand_attach_type_agrees("application/x-zip-compressed", ATTACH_OFD));
    ck_assert(!demand_attach_type_agrees("application/zip", ATTACH_DOC));
    ck_assert(!demand_attach_type_agrees("image/png", ATTACH_PDF));
    ck_assert(!demand_attach_type_agrees("text/html", ATTACH_TEXT));
    ck_assert(!demand_attach_type_agrees("application/pdfx", ATTACH_PDF));
    ck_assert(!demand_attach_type_agrees("application/pdf", ATTACH_UNKNOWN));
    ck_assert(demand_attach_ext_agrees("营业执照.PDF", ATTACH_PDF));
    ck_assert(demand_attach_ext_agrees("照片.jpeg", ATTACH_JPEG));
    ck_assert(demand_attach_ext_agrees("申请书.wps", ATTACH_DOC));
    ck_assert(demand_attach_ext_agrees("明细.csv", ATTACH_TEXT));
    ck_assert(demand_attach_ext_agrees("营业执照", ATTACH_PDF));
    ck_assert(demand_attach_ext_agrees("2025.03 纪要", ATTACH_PDF)); /* no extension */
    ck_assert(!demand_attach_ext_agrees("照片.png", ATTACH_PDF));
    ck_assert(!demand_attach_ext_agrees("page.html", ATTACH_TEXT));
    ck_assert(!demand_attach_ext_agrees("invoice.pdf.exe", ATTACH_PDF));
    ck_assert_str_eq(demand_attach_mime(ATTACH_XLSX),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    ck_assert_str_eq(demand_attach_mime(ATTACH_UNKNOWN), "");
    ck_assert_str_eq(demand_attach_label(ATTACH_OFD), "OFD 版式文档");
}
END_TEST

static void clean_ok(const char *in, const char *want)
{
    char out[DEMAND_ATTACH_NAME_MAX];
    struct err e;
    err_clear(&e);
    enum rc rc = demand_attach_clean_name(in, out, &e);
    ck_assert_msg(rc == RC_OK, "%s: %s", in, e.msg);
    ck_assert_str_eq(out, want);
}

static void clean_bad(const char *in, const char *msg_part)
{
    char out[DEMAND_ATTACH_NAME_MAX];
    struct err e;
    err_clear(&e);
    ck_assert_int_eq(demand_attach_clean_name(in, out, &e), RC_INVALID);
    ck_assert_str_eq(e.field, "name");
    ck_assert_msg(strstr(e.msg, msg_part), "%s: %s", in ? in : "(null)", e.msg);
}

START_TEST(names)
{
    clean_ok("营业执照.pdf", "营业执照.pdf");
    clean_ok("C:\\fakepath\\申请书.docx", "申请书.docx");
    clean_ok("../../etc/passwd", "passwd");
    clean_ok("a<b>:\"c\"|d?*.txt", "a_b___c__d__.txt");
    clean_ok("  ..隐藏.pdf.. ", "隐藏.pdf");
    clean_ok("会议 纪要（终稿）.docx", "会议 纪要（终稿）.docx");
    char max[DEMAND_ATTACH_NAME_MAX] = "";
    for (int i = 0; i < DEMAND_ATTACH_NAME_CHARS; i++)
        memcpy(max + 3 * i, "长", 4); /* 3 bytes and the NUL */
    clean_ok(max, max);
    memcpy(max + 3 * DEMAND_ATTACH_NAME_CHARS, "x", 2);
    clean_bad(max, "过长");
    char huge[2048];
    memset(huge, 'a', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    clean_bad(huge, "过长");
    clean_bad(NULL, "name");
    clean_bad("", "name");
    clean_bad("a\x01.pdf", "控制字符");
    clean_bad("a\x7f.pdf", "控制字符");
    clean_bad("a\xC2\x85.pdf", "控制字符"); /* U+0085 */
    clean_bad("invoice\xE2\x80\xAE"
              "fdp.exe",
              "方向");                      /* U+202E */
    clean_bad("a\xEF\xBB\xBF.pdf", "方向"); /* U+FEFF */
    clean_bad("a\xFF.pdf", "UTF-8");
    clean_bad("dir/", "为空");
    clean_bad(" . . ", "为空");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("demand_attach");
    TCase *tc = tcase_create("sniff");
    tcase_add_test(tc, magic_numbers);
    tcase_add_test(tc, text);
    tcase_add_test(tc, zip_containers);
    tcase_add_test(tc, ole_containers);
    tcase_add_test(tc, ole_difat);
    tcase_add_test(tc, agreement);
    tcase_add_test(tc, names);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(suite)
