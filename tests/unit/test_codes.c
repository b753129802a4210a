/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of src/codes: GB/T 2260 regions (current and historical), GB/T 4754
 * industries with the corrected names, and the credit code, ID number and mobile
 * number validators and masks. Expected values were checked against the files of
 * ../shared/refdata (divisions/2024.txt, history.csv, gb4754-2017.json).
 */
#include <stdio.h>
#include <string.h>

#include "base/rc.h"
#include "base/timeutil.h"
#include "codes/codes.h"
#include "unit.h"

/* ---- Independent implementations of the check characters, for building cases ---- */

static char credit_check_char(const char *s17)
{
    static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    static const int w[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (int)(strchr(alphabet, s17[i]) - alphabet) * w[i];
    return alphabet[(31 - sum % 31) % 31];
}

/* Appends the credit check character to 17 characters: out must hold 19 bytes. */
static const char *credit_with_check(const char *s17, char *out)
{
    memcpy(out, s17, 17);
    out[17] = credit_check_char(s17);
    out[18] = '\0';
    return out;
}

/* ISO 7064 MOD 11-2 computed from its definition: w_i = 2^(17-i) mod 11. */
static char id_check_char(const char *s17)
{
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        int w = 1;
        for (int k = 0; k < 17 - i; k++)
            w = w * 2 % 11;
        sum += (s17[i] - '0') * w;
    }
    int v = (12 - sum % 11) % 11;
    return v == 10 ? 'X' : (char)('0' + v);
}

static const char *id_with_check(const char *s17, char *out)
{
    memcpy(out, s17, 17);
    out[17] = id_check_char(s17);
    out[18] = '\0';
    return out;
}

/* ---- Regions ---------------------------------------------------------- */

START_TEST(region_lookup)
{
    const struct codes_region *r = codes_region_find("340104");
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(r->code, "340104");
    ck_assert_str_eq(r->name, "蜀山区");
    ck_assert_int_eq(r->level, CODES_LEVEL_COUNTY);
    ck_assert_str_eq(r->parent, "340100");
    ck_assert(r->current);
    ck_assert_int_eq(r->end_year, 0);

    r = codes_region_find("340000");
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(r->name, "安徽省");
    ck_assert_int_eq(r->level, CODES_LEVEL_PROVINCE);
    ck_assert_str_eq(r->parent, "");

    /* 崇文区 was merged into 东城区 in 2010: found, but not current. */
    r = codes_region_find("110103");
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(r->name, "崇文区");
    ck_assert(!r->current);
    ck_assert_int_eq(r->start_year, 1981);
    ck_assert_int_eq(r->end_year, 2010);
    ck_assert_str_eq(r->successors, "110101");
    ck_assert(!codes_region_is_current("110103"));
    ck_assert(codes_region_is_current("110101"));

    /* Parents always exist: a municipality's district hangs on the municipality,
     * a 省直辖县级 unit on its province, an abolished county on its 地区. */
    ck_assert_str_eq(codes_region_find("110101")->parent, "110000");
    ck_assert_str_eq(codes_region_find("429004")->parent, "420000");
    ck_assert_str_eq(codes_region_find("419001")->parent, "410000");
    ck_assert_str_eq(codes_region_find("132201")->parent, "132200");
    ck_assert_ptr_null(codes_region_find("110100"));

    ck_assert_ptr_null(codes_region_find("999999"));
    ck_assert_ptr_null(codes_region_find("34010"));
    ck_assert_ptr_null(codes_region_find("3401040"));
    ck_assert_ptr_null(codes_region_find("34010a"));
    ck_assert_ptr_null(codes_region_find(""));
    ck_assert_ptr_null(codes_region_find(NULL));
    ck_assert(!codes_region_is_current(NULL));
}
END_TEST

START_TEST(region_children)
{
    const struct codes_region *out[64];
    ck_assert_uint_eq(codes_region_children(NULL, out, 64), 34);
    ck_assert_uint_eq(codes_region_children("", NULL, 0), 34);
    ck_assert_str_eq(out[0]->code, "110000");
    ck_assert_str_eq(out[33]->code, "820000");
    for (int i = 0; i < 34; i++) {
        ck_assert_int_eq(out[i]->level, CODES_LEVEL_PROVINCE);
        ck_assert(out[i]->current);
    }

    size_t n = codes_region_children("340000", out, 64);
    ck_assert_uint_eq(n, 16);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(out[i]->level, CODES_LEVEL_PREFECTURE);
        ck_assert_str_eq(out[i]->parent, "340000");
    }
    ck_assert_str_eq(out[0]->name, "合肥市");
    ck_assert_str_eq(out[15]->name, "宣城市");

    /* 合肥市: 瑶海区 庐阳区 蜀山区 包河区 长丰县 肥东县 肥西县 庐江县 巢湖市. */
    ck_assert_uint_eq(codes_region_children("340100", out, 64), 9);
    ck_assert_str_eq(out[2]->name, "蜀山区");
    ck_assert_str_eq(out[8]->name, "巢湖市");

    ck_assert_uint_eq(codes_region_children("110000", out, 64), 16); /* districts */
    ck_assert_uint_eq(codes_region_children("420000", out, 64), 17); /* 13 + 4 直辖 */
    ck_assert_str_eq(out[13]->name, "仙桃市");
    ck_assert_uint_eq(codes_region_children("500000", out, 64), 38); /* 重庆 */
    ck_assert_uint_eq(codes_region_children("340104", out, 64), 0);  /* a county */
    ck_assert_uint_eq(codes_region_children("999999", out, 64), 0);
    ck_assert_uint_eq(codes_region_children("132200", out, 64), 0); /* abolished 地区 */

    /* Truncated listing still reports the full count. */
    ck_assert_uint_eq(codes_region_children(NULL, out, 3), 34);
    ck_assert_str_eq(out[2]->code, "130000");

    /* Every current entry is reachable: children of all provinces and prefectures. */
    const struct codes_region *prov[34], *pref[64], *cty[64];
    size_t total = codes_region_children(NULL, prov, 34), n_pref = 0, n_cty = 0;
    for (size_t i = 0; i < 34; i++) {
        size_t k = codes_region_children(prov[i]->code, pref, 64);
        ck_assert_uint_le(k, 64);
        total += k;
        for (size_t j = 0; j < k; j++) {
            if (pref[j]->level == CODES_LEVEL_PREFECTURE) {
                n_pref++;
                size_t c = codes_region_children(pref[j]->code, cty, 64);
                ck_assert_uint_le(c, 64);
                total += c;
                n_cty += c;
            } else {
                n_cty++;
            }
        }
    }
    ck_assert_uint_eq(n_pref, 333);
    ck_assert_uint_eq(n_cty, 2846);
    ck_assert_uint_eq(total, 3213);
}
END_TEST

START_TEST(region_full_name)
{
    char buf[CODES_FULL_NAME_MAX];
    ck_assert_str_eq(codes_region_full_name("340104", buf, sizeof(buf)), "安徽省合肥市蜀山区");
    ck_assert_str_eq(codes_region_full_name("340100", buf, sizeof(buf)), "安徽省合肥市");
    ck_assert_str_eq(codes_region_full_name("340000", buf, sizeof(buf)), "安徽省");
    ck_assert_str_eq(codes_region_full_name("110103", buf, sizeof(buf)), "北京市崇文区");
    ck_assert_str_eq(codes_region_full_name("429004", buf, sizeof(buf)), "湖北省仙桃市");
    ck_assert_str_eq(codes_region_full_name("622927", buf, sizeof(buf)),
                     "甘肃省临夏回族自治州积石山保安族东乡族撒拉族自治县");
    ck_assert_ptr_null(codes_region_full_name("999999", buf, sizeof(buf)));
    ck_assert_str_eq(buf, "");
    /* Cut at a character boundary: 10 bytes hold "安徽省" (9) but not the next character. */
    char small[10];
    ck_assert_str_eq(codes_region_full_name("340104", small, sizeof(small)), "安徽省");
    char tiny[4];
    ck_assert_str_eq(codes_region_full_name("340104", tiny, sizeof(tiny)), "安");
    char two[2];
    ck_assert_str_eq(codes_region_full_name("340104", two, sizeof(two)), "");
}
END_TEST

/* ---- Industries ------------------------------------------------------- */

START_TEST(industry_counts)
{
    static const struct codes_industry *l1[32], *l2[128], *l3[128], *l4[128];
    size_t n1 = codes_industry_children(NULL, l1, 32), n2 = 0, n3 = 0, n4 = 0;
    ck_assert_uint_eq(n1, 20);
    ck_assert_uint_eq(codes_industry_children("", NULL, 0), 20);
    ck_assert_str_eq(l1[0]->code, "A");
    ck_assert_str_eq(l1[19]->code, "T");
    for (size_t a = 0; a < n1; a++) {
        size_t k2 = codes_industry_children(l1[a]->code, l2, 128);
        n2 += k2;
        for (size_t b = 0; b < k2; b++) {
            ck_assert_int_eq(l2[b]->level, CODES_INDUSTRY_DIVISION);
            ck_assert_int_eq(l2[b]->section, l1[a]->code[0]);
            size_t k3 = codes_industry_children(l2[b]->code, l3, 128);
            n3 += k3;
            for (size_t c = 0; c < k3; c++) {
                ck_assert_int_eq(l3[c]->level, CODES_INDUSTRY_GROUP);
                size_t k4 = codes_industry_children(l3[c]->code, l4, 128);
                n4 += k4;
                for (size_t d = 0; d < k4; d++) {
                    ck_assert_int_eq(l4[d]->level, CODES_INDUSTRY_CLASS);
                    ck_assert_str_eq(l4[d]->parent, l3[c]->code);
                    ck_assert_uint_eq(codes_industry_children(l4[d]->code, NULL, 0), 0);
                }
            }
        }
    }
    ck_assert_uint_eq(n2, 97);
    ck_assert_uint_eq(n3, 473);
    ck_assert_uint_eq(n4, 1381);

    ck_assert_uint_eq(codes_industry_children("C", l2, 128), 31); /* 13..43 */
    ck_assert_str_eq(l2[0]->code, "13");
    ck_assert_str_eq(l2[30]->code, "43");
    ck_assert_uint_eq(codes_industry_children("13", l3, 128), 8);
    ck_assert_uint_eq(codes_industry_children("131", l4, 128), 5);
    ck_assert_uint_eq(codes_industry_children("Z", l4, 128), 0);
    ck_assert_uint_eq(codes_industry_children("99", l4, 128), 0);
}
END_TEST

START_TEST(industry_names)
{
    static const char *const fixed[][2] = {
        {"306", "玻璃纤维和玻璃纤维增强塑料制品制造"},
        {"3531", "食品、酒、饮料及茶生产专用设备制造"},
        {"354", "印刷、制药、日化及日用品生产专用设备制造"},
        {"3546", "玻璃、陶瓷和搪瓷制品生产专用设备制造"},
        {"3552", "皮革、毛皮及其制品加工专用设备制造"},
        {"3583", "医疗实验室及医用消毒设备和器具制造"},
        {"359", "环保、邮政、社会公共服务及其他专用设备制造"},
        {"37", "铁路、船舶、航空航天和其他运输设备制造业"},
        {"3939", "应用电视设备及其他广播电视设备制造"},
        {"4023", "导航、测绘、气象及海洋专用仪器制造"},
        {"2541", "生物质液体燃料生产"},
        {"7517", "三维（3D）打印技术推广服务"},
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        const struct codes_industry *r = codes_industry_find(fixed[i][0]);
        ck_assert_ptr_nonnull(r);
        ck_assert_str_eq(r->name, fixed[i][1]);
    }
    const struct codes_industry *r = codes_industry_find("0111");
    ck_assert_str_eq(r->name, "稻谷种植");
    ck_assert_str_eq(r->parent, "011");
    ck_assert_str_eq(codes_industry_find("011")->parent, "01");
    ck_assert_str_eq(codes_industry_find("01")->parent, "A");
    ck_assert_str_eq(codes_industry_find("C")->name, "制造业");

    ck_assert_int_eq(codes_industry_section("3531"), 'C');
    ck_assert_int_eq(codes_industry_section("0111"), 'A');
    ck_assert_int_eq(codes_industry_section("A"), 'A');
    ck_assert_int_eq(codes_industry_section("9700"), 'T');
    ck_assert_int_eq(codes_industry_section("9800"), '\0');
    ck_assert_int_eq(codes_industry_section("97"), 'T');
    ck_assert_int_eq(codes_industry_section("U"), '\0');
    ck_assert_int_eq(codes_industry_section(NULL), '\0');
    ck_assert_ptr_null(codes_industry_find("c"));
    ck_assert_ptr_null(codes_industry_find("13111"));
    ck_assert_ptr_null(codes_industry_find("1"));
}
END_TEST

/* Both forms of a code, with and without its section letter, read as the digits. */
START_TEST(industry_parse)
{
    static const struct {
        const char *text;
        int level;
        const char *code; /* NULL: refused */
    } cases[] = {
        {"3911", CODES_INDUSTRY_CLASS, "3911"},
        {"C3911", CODES_INDUSTRY_CLASS, "3911"},
        {"c3911", CODES_INDUSTRY_CLASS, "3911"},
        {"A0111", CODES_INDUSTRY_CLASS, "0111"},
        {"T9700", 0, "9700"},
        {"C39", 0, "39"},
        {"C391", 0, "391"},
        {"C", 0, "C"},
        {"39", 0, "39"},
        {"C", CODES_INDUSTRY_SECTION, "C"},
        {"A3911", CODES_INDUSTRY_CLASS, NULL},
        {"C0111", 0, NULL},
        {"C39", CODES_INDUSTRY_CLASS, NULL},
        {"C", CODES_INDUSTRY_CLASS, NULL},
        {"9800", 0, NULL},
        {"C9800", 0, NULL},
        {"U", 0, NULL},
        {"CC3911", 0, NULL},
        {"C39111", 0, NULL},
        {"3", 0, NULL},
        {"", 0, NULL},
        {"C 3911", 0, NULL},
        {"39a1", 0, NULL},
        {"C-3911", 0, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct codes_industry *r = (const void *)1;
        struct err e;
        err_clear(&e);
        enum rc rc = codes_industry_parse(cases[i].text, cases[i].level, &r, &e);
        if (cases[i].code) {
            ck_assert_msg(rc == RC_OK, "%s: %s", cases[i].text, e.msg);
            ck_assert_str_eq(r->code, cases[i].code);
        } else {
            ck_assert_msg(rc == RC_INVALID, "%s accepted", cases[i].text);
            ck_assert_ptr_null(r);
            /* the message says what a valid code looks like */
            ck_assert_msg(strstr(e.msg, "GB/T 4754-2017") && strstr(e.msg, "如 C"), "%s: %s",
                          cases[i].text, e.msg);
        }
    }
    struct err e;
    const struct codes_industry *r;
    err_clear(&e);
    ck_assert_int_eq(codes_industry_parse("A3911", CODES_INDUSTRY_CLASS, &r, &e), RC_INVALID);
    ck_assert_str_eq(e.msg, "行业代码 A3911 的门类应为 C（C3911）；行业代码应为 GB/T 4754-2017 "
                            "的 4 位数字小类代码，可带门类字母，如 C3911 或 3911");
    ck_assert_int_eq(codes_industry_parse("X9800", 0, &r, &e), RC_INVALID);
    ck_assert_str_eq(e.msg, "行业代码 X9800 不在 GB/T 4754-2017 中；行业代码应为 GB/T 4754-2017 的 "
                            "2～4 位数字，可带门类字母，如 C3911 或 3911（或门类字母，如 C）");
    ck_assert_int_eq(codes_industry_parse(NULL, 0, &r, &e), RC_INVALID);
    /* long or non-ASCII text is not echoed (no UTF-8 character is ever cut) */
    ck_assert_int_eq(codes_industry_parse("制造业计算机整机制造", 0, &r, &e), RC_INVALID);
    ck_assert_msg(strncmp(e.msg, "行业代码不在 GB/T 4754-2017 中；",
                          strlen("行业代码不在 GB/T 4754-2017 中；")) == 0,
                  "%s", e.msg);
}
END_TEST

/* ---- Credit codes ------------------------------------------------------ */

START_TEST(credit_valid)
{
    struct err e;
    err_clear(&e);
    ck_assert_int_eq(codes_credit_code_check("91340100131860916Y", &e), RC_OK);
    /* Check character 0 (31 - sum mod 31 == 31): some libraries get this wrong. */
    ck_assert_int_eq(codes_credit_code_check("913401007865797540", &e), RC_OK);
    ck_assert_int_eq(codes_credit_code_check("92310115MA1LAG5R9M", &e), RC_OK);
    ck_assert_int_eq(codes_credit_code_check("91350100M000100Y43", &e), RC_OK);
    ck_assert_int_eq(codes_credit_code_check("91350100M000100Y43", NULL), RC_OK);

    /* Built with the check character: national registration, other authorities,
     * an abolished region (崇文区, 110103) and grouping rows. */
    static const char *const bodies[] = {
        "11100000MB0143246", "12110103400001234", "31340000MD0000001", "51340100MJ1234567",
        "52110000500000000", "A1110000MB1234567", "N2340104MF1234567", "Y1340000MC0000001",
        "91110103MA0000000", "91132201123456789", "91110100MA0000001", "91429000MA0000001",
        "91340101MA0000001",
    };
    char buf[19];
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        enum rc rc = codes_credit_code_check(credit_with_check(bodies[i], buf), &e);
        ck_assert_msg(rc == RC_OK, "%s: %s", buf, e.msg);
    }
    /* Find a generated code whose check character is 0 and check that it passes. */
    int found = 0;
    for (int k = 0; k < 1000 && !found; k++) {
        char body[32];
        snprintf(body, sizeof(body), "91340104MA%07u", (unsigned)k % 10000000u);
        if (credit_check_char(body) == '0') {
            found = 1;
            ck_assert_int_eq(codes_credit_code_check(credit_with_check(body, buf), &e), RC_OK);
        }
    }
    ck_assert(found);
}
END_TEST

START_TEST(credit_invalid)
{
    struct err e;
    err_clear(&e);
    ck_assert_int_eq(codes_credit_code_check("91340100131860916X", &e), RC_INVALID);
    ck_assert_str_eq(e.msg, "统一社会信用代码校验位错误，应为 Y");
    ck_assert_str_eq(e.field, "");
    ck_assert_int_eq(codes_credit_code_check("913401007865797541", &e), RC_INVALID);
    ck_assert_str_eq(e.msg, "统一社会信用代码校验位错误，应为 0");

    ck_assert_int_eq(codes_credit_code_check("91340100131860916y", &e), RC_INVALID);
    ck_assert_ptr_nonnull(strstr(e.msg, "大写"));
    ck_assert_ptr_nonnull(strstr(e.msg, "第 18 位"));
    ck_assert_int_eq(codes_credit_code_check("91340100131860916", &e), RC_INVALID);
    ck_assert_str_eq(e.msg, "统一社会信用代码应为 18 位，当前为 17 位");
    ck_assert_int_eq(codes_credit_code_check("91340100131860916YY", &e), RC_INVALID);
    ck_assert_ptr_nonnull(strstr(e.msg, "当前为 19 位"));
    ck_assert_int_eq(codes_credit_code_check("91340100131860916统", &e), RC_INVALID);
    ck_assert_str_eq(e.msg, "统一社会信用代码含非法字符（只用数字和大写字母）");
    ck_assert_int_eq(codes_credit_code_check("9134010013186O916Y", &e), RC_INVALID);
    ck_assert_ptr_nonnull(strstr(e.msg, "第 14 位字符 O"));
    ck_assert_int_eq(codes_credit_code_check("9134010013186 916Y", &e), RC_INVALID);
    ck_assert_int_eq(codes_credit_code_check("", &e), RC_INVALID);
    ck_assert_str_eq(e.msg, "统一社会信用代码不能为空");
    ck_assert_int_eq(codes_credit_code_check(NULL, NULL), RC_INVALID);

    char buf[19];
    ck_assert_int_eq(codes_credit_code_check(credit_with_check("B1340100131860916", buf), &e),
                     RC_INVALID);
    ck_assert_ptr_nonnull(strstr(e.msg, "登记管理部门代码 B"));
    ck_assert_int_eq(codes_credit_code_check(credit_with_check("94340100131860916", buf), &e),
                     RC_INVALID);
    ck_assert_ptr_nonnull(strstr(e.msg, "工商"));
    ck_assert_int_eq(codes_credit_code_check(credit_with_check("Y2340100131860916", buf), &e),
                     RC_INVALID);
    ck_assert_int_eq(codes_credit_code_check(credit_with_check("91999999131860916", buf), &e),
                     RC_INVALID);
    ck_assert_str_eq(e.msg, "统一社会信用代码第 3–8 位行政区划代码 999999 不存在");
    ck_assert_int_eq(codes_credit_code_check(credit_with_check("9134A100131860916", buf), &e),
                     RC_INVALID);
    ck_assert_ptr_nonnull(strstr(e.msg, "第 3–8 位"));
    /* Grouping rows are accepted only in their places. */
    ck_assert_int_eq(codes_credit_code_check(credit_with_check("91349900131860916", buf), &e),
                     RC_INVALID);
    ck_assert_int_eq(codes_credit_code_check(credit_with_check("91110300131860916", buf), &e),
                     RC_INVALID);
}
END_TEST

/* ---- ID numbers -------------------------------------------------------- */

START_TEST(id_numbers)
{
    struct err e;
    err_clear(&e);
    int64_t today = time_days_from_civil(2026, 11, 23);
    char buf[19];

    /* The example number of GB 11643-1999 itself. */
    ck_assert_int_eq(codes_id_number_check_at("11010519491231002X", today, &e), RC_OK);
    ck_assert_int_eq(codes_id_number_check_at("11010519491231002x", today, &e), RC_OK);
    ck_assert_int_eq(codes_id_number_check_at("11010519491231002X", today, NULL), RC_OK);
    ck_assert_int_eq(codes_id_number_check_at(id_with_check("34010419900307123", buf), today, &e),
                     RC_OK);
    /* An abolished division (崇文区) stays valid in numbers issued before 2010. */
    ck_assert_int_eq(codes_id_number_check_at(id_with_check("11010319850101001", buf), today, &e),
                     RC_OK);
    ck_assert_int_eq(codes_id_number_check_at(id_with_check("34010119000101001", buf), today, &e),
                     RC_OK);
    /* Born today is fine, tomorrow is not. */
    ck_assert_int_eq(codes_id_number_check_at(id_with_check("34010420261123001", buf), today, &e),
                     RC_OK);
    ck_assert_int_eq(codes_id_number_check_at(id_with_check("34010420261124001", buf), today, &e),
                     RC_INVALID);
    ck_assert_ptr_nonnull(strstr(e.msg, "晚于今天"));
    /* The real clock: a 1990 birth date is in the past. */
    ck_assert_int_eq(codes_id_number_check(id_with_check("34010419900307123", buf), &e), RC_OK);

    ck_assert_int_eq(codes_id_number_check_at("110105194912310021", today, &e), RC_INVALID);
    ck_assert_str_eq(e.msg, "身份证号码校验位错误，应为 X");
    ck_assert_int_eq(codes_id_number_check_at(id_with_check("34010418990101001", buf), today, &e),
                     RC_INVALID);
    ck_assert_ptr_nonnull(strstr(e.msg, "早于 1900 年"));
    ck_assert_int_eq(codes_id_number_check_at(id_with_check("34010419900230001", buf), today, &e),
                     RC_INVALID);
    ck_assert_str_eq(e.msg, "身份证号码中的出生日期 19900230 不是有效日期");
    ck_assert_int_eq(codes_id_number_check_at(id_with_check("34010419901301001", buf), today, &e),
                     RC_INVALID);
    ck_assert_int_eq(codes_id_number_check_at(id_with_check("34010419900100001", buf), today, &e),
                     RC_INVALID);
    ck_assert_int_eq(codes_id_number_check_at(id_with_check("99999919900101001", buf), today, &e),
                     RC_INVALID);
    ck_assert_str_eq(e.msg, "身份证号码前 6 位地址码 999999 不存在");
    ck_assert_int_eq(codes_id_number_check_at(id_with_check("10000019900101001", buf), today, &e),
                     RC_INVALID);
    ck_assert_int_eq(codes_id_number_check_at("11010519491231002", today, &e), RC_INVALID);
    ck_assert_str_eq(e.msg, "身份证号码应为 18 位，当前为 17 位");
    ck_assert_int_eq(codes_id_number_check_at("110105491231002", today, &e), RC_INVALID);
    ck_assert_ptr_nonnull(strstr(e.msg, "15 位"));
    ck_assert_int_eq(codes_id_number_check_at("1101051949123100AX", today, &e), RC_INVALID);
    ck_assert_str_eq(e.msg, "身份证号码前 17 位应为数字");
    ck_assert_int_eq(codes_id_number_check_at("11010519491231002Y", today, &e), RC_INVALID);
    ck_assert_str_eq(e.msg, "身份证号码最后一位应为数字或 X");
    ck_assert_int_eq(codes_id_number_check_at("11010519491231002Ｘ", today, &e), RC_INVALID);
    ck_assert_str_eq(e.msg, "身份证号码含非法字符（只用数字和 X）");
    ck_assert_int_eq(codes_id_number_check_at("", today, &e), RC_INVALID);
    ck_assert_int_eq(codes_id_number_check_at(NULL, today, &e), RC_INVALID);
}
END_TEST

/* ---- Mobile numbers and masks ----------------------------------------- */

START_TEST(mobiles)
{
    struct err e;
    char out[12];
    err_clear(&e);
    static const char *const good[] = {"13800138000",     "+8613800138000", "8613800138000",
                                       "008613800138000", "138 0013 8000",  "+86 138-0013-8000"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ck_assert_int_eq(codes_mobile_normalize(good[i], out, &e), RC_OK);
        ck_assert_str_eq(out, "13800138000");
        ck_assert_int_eq(codes_mobile_check(good[i], NULL), RC_OK);
    }
    ck_assert_int_eq(codes_mobile_check("19912345678", &e), RC_OK);
    ck_assert_int_eq(codes_mobile_normalize("12800138000", out, &e), RC_INVALID);
    ck_assert_str_eq(out, "");
    ck_assert_str_eq(e.msg, "手机号码应以 13–19 开头");
    ck_assert_int_eq(codes_mobile_check("1380013800", &e), RC_INVALID);
    ck_assert_str_eq(e.msg, "手机号码应为 11 位数字");
    ck_assert_int_eq(codes_mobile_check("138001380001", &e), RC_INVALID);
    ck_assert_int_eq(codes_mobile_check("1380013800a", &e), RC_INVALID);
    ck_assert_int_eq(codes_mobile_check("+8713800138000", &e), RC_INVALID);
    ck_assert_int_eq(codes_mobile_check("23800138000", &e), RC_INVALID);
    ck_assert_int_eq(codes_mobile_check("861380013800", &e), RC_INVALID);
    ck_assert_int_eq(codes_mobile_check("1234567890123456789012345678901234567890", &e),
                     RC_INVALID);
    ck_assert_int_eq(codes_mobile_check("", &e), RC_INVALID);
    ck_assert_str_eq(e.msg, "手机号码不能为空");
    ck_assert_int_eq(codes_mobile_check(NULL, &e), RC_INVALID);
}
END_TEST

START_TEST(masks)
{
    char out[32];
    ck_assert_str_eq(codes_mask_mobile("13812341234", out, sizeof(out)), "138****1234");
    ck_assert_str_eq(codes_mask_mobile("+86 138-1234-1234", out, sizeof(out)), "138****1234");
    ck_assert_str_eq(codes_mask_mobile("010-12345678", out, sizeof(out)), "010*****5678");
    ck_assert_str_eq(codes_mask_mobile("12345", out, sizeof(out)), "****");
    ck_assert_str_eq(codes_mask_mobile("手机13812341234", out, sizeof(out)), "****");
    ck_assert_str_eq(codes_mask_mobile("号码一二三四五", out, sizeof(out)), "****");
    ck_assert_str_eq(codes_mask_mobile(NULL, out, sizeof(out)), "****");
    ck_assert_str_eq(codes_mask_id_number("34010419900307123X", out, sizeof(out)),
                     "340104********123X");
    ck_assert_str_eq(codes_mask_id_number("340104900307123", out, sizeof(out)), "340104*****7123");
    ck_assert_str_eq(codes_mask_id_number("3401041990", out, sizeof(out)), "****");
    ck_assert_str_eq(codes_mask_id_number(NULL, out, sizeof(out)), "****");
    char small[8];
    ck_assert_str_eq(codes_mask_id_number("34010419900307123X", small, sizeof(small)), "340104*");
    ck_assert_ptr_null(codes_mask_mobile("13812341234", NULL, 0));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("codes");
    TCase *tc = tcase_create("codes");
    tcase_add_test(tc, region_lookup);
    tcase_add_test(tc, region_children);
    tcase_add_test(tc, region_full_name);
    tcase_add_test(tc, industry_counts);
    tcase_add_test(tc, industry_names);
    tcase_add_test(tc, industry_parse);
    tcase_add_test(tc, credit_valid);
    tcase_add_test(tc, credit_invalid);
    tcase_add_test(tc, id_numbers);
    tcase_add_test(tc, mobiles);
    tcase_add_test(tc, masks);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(suite)
