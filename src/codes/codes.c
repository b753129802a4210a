/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codes: lookups over the generated GB/T 2260 and GB/T 4754 tables, and the
 * credit code, ID number and mobile number validators.
 *
 * Invariant: the tables are sorted by strcmp on their code and every parent is an
 * entry of the same table (checked by scripts/gen_refdata.py), so a lookup is a
 * binary search and children of a numeric code lie in the range sharing its prefix.
 */
#include "codes/codes.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "base/timeutil.h"
#include "codes/codes_int.h"

/* ======================================================================== */
/* Small helpers                                                             */
/* ======================================================================== */

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit((unsigned char)s[i]))
            return false;
    return true;
}

static bool all_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

/*
 * Appends src to out (capacity n, currently len bytes) and returns the new length.
 * Stops at a UTF-8 character boundary when the room runs out.
 */
static size_t append_utf8(char *out, size_t n, size_t len, const char *src)
{
    size_t add = strlen(src);
    if (len + add + 1 > n) {
        add = n - 1 - len;
        while (add > 0 && ((unsigned char)src[add] & 0xC0) == 0x80)
            add--;
    }
    memcpy(out + len, src, add);
    out[len + add] = '\0';
    return len + add;
}

/* ======================================================================== */
/* Regions                                                                   */
/* ======================================================================== */

/* Index of the first entry whose code is >= key (binary search). */
static size_t region_lower_bound(const char *key)
{
    size_t lo = 0, hi = codes__n_regions;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(codes__regions[mid].code, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const struct codes_region *codes_region_find(const char *code)
{
    if (!code || strlen(code) != 6 || !all_digits(code, 6))
        return NULL;
    size_t i = region_lower_bound(code);
    if (i < codes__n_regions && strcmp(codes__regions[i].code, code) == 0)
        return &codes__regions[i];
    return NULL;
}

bool codes_region_is_current(const char *code)
{
    const struct codes_region *r = codes_region_find(code);
    return r && r->current;
}

size_t codes_region_children(const char *parent, const struct codes_region **out, size_t max)
{
    size_t n = 0, i = 0, end = codes__n_regions, plen = 0;
    if (parent && *parent) {
        const struct codes_region *p = codes_region_find(parent);
        if (!p || p->level == CODES_LEVEL_COUNTY)
            return 0;
        /* Every child shares the parent's first 2 (province) or 4 (prefecture) digits. */
        plen = p->level == CODES_LEVEL_PROVINCE ? 2 : 4;
        i = (size_t)(p - codes__regions) + 1;
    } else {
        parent = "";
    }
    for (; i < end; i++) {
        const struct codes_region *r = &codes__regions[i];
        if (plen && strncmp(r->code, parent, plen) != 0)
            break;
        if (!r->current || strcmp(r->parent, parent) != 0)
            continue;
        if (out && n < max)
            out[n] = r;
        n++;
    }
    return n;
}

const char *codes_region_full_name(const char *code, char *out, size_t n)
{
    const struct codes_region *chain[3];
    size_t depth = 0;
    if (out && n > 0)
        out[0] = '\0';
    for (const struct codes_region *r = codes_region_find(code); r && depth < 3;
         r = r->parent[0] ? codes_region_find(r->parent) : NULL)
        chain[depth++] = r;
    if (depth == 0)
        return NULL;
    if (!out || n == 0)
        return out;
    size_t len = 0;
    while (depth > 0)
        len = append_utf8(out, n, len, chain[--depth]->name);
    return out;
}

/*
 * True if a six-digit code may stand in a credit code or an ID number: any entry
 * of the table, current or historical; 100000 (national registration); and the
 * grouping rows GB/T 2260 printed but the source omits: XX0100/XX0200/XX9000
 * under a known province (the 市辖区 and 县 of a municipality, the
 * 省直辖县级行政区划 of 429000) and XXYY01 (市辖区) under a known prefecture.
 */
static bool region_code_acceptable(const char *code)
{
    if (codes_region_find(code) || strcmp(code, "100000") == 0)
        return true;
    char up[7];
    memcpy(up, code, 7);
    if (strcmp(code + 4, "00") == 0 &&
        (strncmp(code + 2, "01", 2) == 0 || strncmp(code + 2, "02", 2) == 0 ||
         strncmp(code + 2, "90", 2) == 0)) {
        memcpy(up + 2, "0000", 4);
        const struct codes_region *p = codes_region_find(up);
        return p && p->level == CODES_LEVEL_PROVINCE;
    }
    if (strcmp(code + 4, "01") == 0) {
        memcpy(up + 4, "00", 2);
        const struct codes_region *p = codes_region_find(up);
        return p && p->level == CODES_LEVEL_PREFECTURE;
    }
    return false;
}

/* ======================================================================== */
/* Industries                                                                */
/* ======================================================================== */

static bool industry_code_wellformed(const char *code)
{
    size_t n = code ? strlen(code) : 0;
    if (n == 1)
        return code[0] >= 'A' && code[0] <= 'T';
    return n >= 2 && n <= 4 && all_digits(code, n);
}

static size_t industry_lower_bound(const char *key)
{
    size_t lo = 0, hi = codes__n_industries;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(codes__industries[mid].code, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const struct codes_industry *codes_industry_find(const char *code)
{
    if (!industry_code_wellformed(code))
        return NULL;
    size_t i = industry_lower_bound(code);
    if (i < codes__n_industries && strcmp(codes__industries[i].code, code) == 0)
        return &codes__industries[i];
    return NULL;
}

size_t codes_industry_children(const char *parent, const struct codes_industry **out, size_t max)
{
    size_t n = 0, i = 0, plen = 0;
    if (parent && *parent) {
        const struct codes_industry *p = codes_industry_find(parent);
        if (!p || p->level == CODES_INDUSTRY_CLASS)
            return 0;
        /* The 大类 of a section are spread over the digits, so a section scans all;
         * below that, children share the parent's digits as a prefix. */
        if (p->level > CODES_INDUSTRY_SECTION) {
            plen = strlen(p->code);
            i = (size_t)(p - codes__industries) + 1;
        }
    } else {
        parent = "";
    }
    for (; i < codes__n_industries; i++) {
        const struct codes_industry *r = &codes__industries[i];
        if (plen && strncmp(r->code, parent, plen) != 0)
            break;
        if (strcmp(r->parent, parent) != 0)
            continue;
        if (out && n < max)
            out[n] = r;
        n++;
    }
    return n;
}

char codes_industry_section(const char *code)
{
    const struct codes_industry *r = codes_industry_find(code);
    return r ? r->section : '\0';
}

/* What a valid code looks like, for each level codes_industry_parse can demand. */
static const char *industry_hint(int level)
{
    switch (level) {
    case CODES_INDUSTRY_SECTION:
        return "行业门类应为 GB/T 4754-2017 的门类字母 A～T，如 C";
    case CODES_INDUSTRY_DIVISION:
        return "行业大类应为 GB/T 4754-2017 的 2 位数字，可带门类字母，如 C39 或 39";
    case CODES_INDUSTRY_GROUP:
        return "行业中类应为 GB/T 4754-2017 的 3 位数字，可带门类字母，如 C391 或 391";
    case CODES_INDUSTRY_CLASS:
        return "行业代码应为 GB/T 4754-2017 的 4 位数字小类代码，可带门类字母，如 C3911 或 3911";
    default:
        return "行业代码应为 GB/T 4754-2017 的 2～4 位数字，可带门类字母，如 C3911 或 "
               "3911（或门类字母，"
               "如 C）";
    }
}

enum rc codes_industry_parse(const char *text, int level, const struct codes_industry **out,
                             struct err *e)
{
    assert(out);
    *out = NULL;
    /* The text is echoed only when it is short and plain ASCII, so a message never cuts
     * a UTF-8 character or carries what a client sent at length. */
    char shown[16] = "";
    size_t n = text ? strlen(text) : 0;
    bool plain = n > 0 && n < 9;
    for (size_t i = 0; plain && i < n; i++)
        plain = (text[i] >= '0' && text[i] <= '9') || (text[i] >= 'A' && text[i] <= 'Z') ||
                (text[i] >= 'a' && text[i] <= 'z');
    if (plain)
        snprintf(shown, sizeof(shown), " %s ", text);
    char letter = '\0';
    const char *digits = text;
    if (n >= 1 && ((text[0] >= 'A' && text[0] <= 'Z') || (text[0] >= 'a' && text[0] <= 'z'))) {
        letter = (char)(text[0] >= 'a' ? text[0] - 'a' + 'A' : text[0]);
        digits = text + 1;
        n--;
    }
    const struct codes_industry *r = NULL;
    if (n == 0 && letter) {
        char sec[2] = {letter, '\0'};
        r = codes_industry_find(sec);
    } else if (n >= 2 && n <= 4 && all_digits(digits, n)) {
        r = codes_industry_find(digits);
        if (r && letter && r->section != letter)
            return err_set(e, RC_INVALID, NULL, "行业代码%s的门类应为 %c（%c%s）；%s", shown,
                           r->section, r->section, r->code, industry_hint(level));
    }
    if (!r)
        return err_set(e, RC_INVALID, NULL, "行业代码%s不在 GB/T 4754-2017 中；%s", shown,
                       industry_hint(level));
    if (level && r->level != level)
        return err_set(e, RC_INVALID, NULL, "行业代码%s不是要求的层级；%s", shown,
                       industry_hint(level));
    *out = r;
    return RC_OK;
}

/* ======================================================================== */
/* Unified social credit code (GB 32100-2015)                                */
/* ======================================================================== */

/* The 31 characters of the code, in value order: no I, O, S, V or Z. */
static const char credit_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int credit_weights[17] = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                       29, 25, 13, 8,  24, 10, 30, 28};

/*
 * GB 32100-2015 table A.1: registration authorities and their organisation
 * categories. 1 机构编制: 机关 1, 事业单位 2, 中央编办直接管理机构编制的群众团体 3,
 * 其他 9. 2 外交: 外国常驻新闻机构 1, 其他 9. 3 司法行政: 律师执业机构 1, 公证处 2,
 * 基层法律服务所 3, 司法鉴定机构 4, 仲裁委员会 5, 其他 9. 4 文化: 外国在华文化中心 1,
 * 其他 9. 5 民政: 社会团体 1, 民办非企业单位 2, 基金会 3, 其他 9. 6 旅游: 外国旅游部门
 * 常驻代表机构 1, 港澳台地区旅游部门常驻内地（大陆）代表机构 2, 其他 9. 7 宗教: 宗教
 * 活动场所 1, 宗教院校 2, 其他 9. 8 工会: 基层工会 1, 其他 9. 9 工商: 企业 1, 个体工商户 2,
 * 农民专业合作社 3. A 中央军委改革和编制办公室: 军队事业单位 1, 其他 9. N 农业: 组级 1,
 * 村级 2, 乡镇级集体经济组织 3, 其他 9. Y 其他: 1.
 */
static const struct {
    char code;
    const char *name;
    const char *categories;
} credit_authorities[] = {
    {'1', "机构编制", "1239"},   {'2', "外交", "19"},
    {'3', "司法行政", "123459"}, {'4', "文化", "19"},
    {'5', "民政", "1239"},       {'6', "旅游", "129"},
    {'7', "宗教", "129"},        {'8', "工会", "19"},
    {'9', "工商", "123"},        {'A', "中央军委改革和编制办公室", "19"},
    {'N', "农业", "1239"},       {'Y', "其他", "1"},
};

static int credit_value(int c)
{
    const char *p = c ? strchr(credit_alphabet, c) : NULL;
    return p ? (int)(p - credit_alphabet) : -1;
}

enum rc codes_credit_code_check(const char *s, struct err *e)
{
    if (!s || !*s)
        return err_set(e, RC_INVALID, NULL, "统一社会信用代码不能为空");
    if (!all_ascii(s))
        return err_set(e, RC_INVALID, NULL, "统一社会信用代码含非法字符（只用数字和大写字母）");
    size_t n = strlen(s);
    if (n != 18)
        return err_set(e, RC_INVALID, NULL, "统一社会信用代码应为 18 位，当前为 %zu 位", n);
    for (int i = 0; i < 18; i++) {
        int c = (unsigned char)s[i];
        if (c >= 'a' && c <= 'z')
            return err_set(e, RC_INVALID, NULL,
                           "统一社会信用代码应使用大写字母，第 %d 位为小写字母 %c", i + 1, c);
        if (credit_value(c) < 0)
            return err_set(e, RC_INVALID, NULL,
                           "统一社会信用代码第 %d 位字符 %c 不合法（只用数字和除 I、O、S、V、Z "
                           "以外的大写字母）",
                           i + 1, c);
    }
    size_t a = 0, n_auth = sizeof(credit_authorities) / sizeof(credit_authorities[0]);
    while (a < n_auth && credit_authorities[a].code != s[0])
        a++;
    if (a == n_auth)
        return err_set(e, RC_INVALID, NULL, "统一社会信用代码第 1 位登记管理部门代码 %c 不存在",
                       s[0]);
    if (!strchr(credit_authorities[a].categories, s[1]))
        return err_set(e, RC_INVALID, NULL,
                       "统一社会信用代码第 2 位机构类别代码 %c 不属于登记管理部门“%s”", s[1],
                       credit_authorities[a].name);
    char region[7];
    memcpy(region, s + 2, 6);
    region[6] = '\0';
    if (!all_digits(region, 6))
        return err_set(e, RC_INVALID, NULL,
                       "统一社会信用代码第 3–8 位应为行政区划代码（6 位数字）");
    if (!region_code_acceptable(region))
        return err_set(e, RC_INVALID, NULL, "统一社会信用代码第 3–8 位行政区划代码 %s 不存在",
                       region);
    char want = codes_credit_code_check_char(s);
    if (s[17] != want)
        return err_set(e, RC_INVALID, NULL, "统一社会信用代码校验位错误，应为 %c", want);
    return RC_OK;
}

char codes_credit_code_check_char(const char *s)
{
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        if (!s[i] || !strchr(credit_alphabet, s[i]))
            return '\0';
        sum += credit_value((unsigned char)s[i]) * credit_weights[i];
    }
    int v = 31 - sum % 31;
    return credit_alphabet[v == 31 ? 0 : v];
}

/* ======================================================================== */
/* Resident ID number (GB 11643-1999)                                        */
/* ======================================================================== */

char codes_id_number_check_char(const char *s)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        if (s[i] < '0' || s[i] > '9')
            return '\0';
        sum += (s[i] - '0') * w[i];
    }
    return "10X98765432"[sum % 11];
}

enum rc codes_id_number_check_at(const char *s, int64_t today, struct err *e)
{
    /* ISO 7064 MOD 11-2: weight i is 2^(17-i) mod 11; check[sum % 11] is the 18th char. */

    if (!s || !*s)
        return err_set(e, RC_INVALID, NULL, "身份证号码不能为空");
    if (!all_ascii(s))
        return err_set(e, RC_INVALID, NULL, "身份证号码含非法字符（只用数字和 X）");
    size_t n = strlen(s);
    if (n == 15 && all_digits(s, 15))
        return err_set(e, RC_INVALID, NULL, "15 位身份证号码已停止使用，请填写 18 位号码");
    if (n != 18)
        return err_set(e, RC_INVALID, NULL, "身份证号码应为 18 位，当前为 %zu 位", n);
    if (!all_digits(s, 17))
        return err_set(e, RC_INVALID, NULL, "身份证号码前 17 位应为数字");
    if (!is_digit((unsigned char)s[17]) && s[17] != 'X' && s[17] != 'x')
        return err_set(e, RC_INVALID, NULL, "身份证号码最后一位应为数字或 X");

    char region[7];
    memcpy(region, s, 6);
    region[6] = '\0';
    if (strcmp(region, "100000") == 0 || !region_code_acceptable(region))
        return err_set(e, RC_INVALID, NULL, "身份证号码前 6 位地址码 %s 不存在", region);

    int y = (s[6] - '0') * 1000 + (s[7] - '0') * 100 + (s[8] - '0') * 10 + (s[9] - '0');
    int m = (s[10] - '0') * 10 + (s[11] - '0');
    int d = (s[12] - '0') * 10 + (s[13] - '0');
    int ry = 0, rm = 0, rd = 0;
    int64_t birth = 0;
    if (m >= 1 && m <= 12 && d >= 1 && d <= 31) {
        birth = time_days_from_civil(y, m, d);
        time_civil_from_days(birth, &ry, &rm, &rd);
    }
    if (ry != y || rm != m || rd != d)
        return err_set(e, RC_INVALID, NULL, "身份证号码中的出生日期 %.8s 不是有效日期", s + 6);
    if (y < 1900)
        return err_set(e, RC_INVALID, NULL, "身份证号码中的出生日期 %.8s 早于 1900 年", s + 6);
    if (birth > today)
        return err_set(e, RC_INVALID, NULL, "身份证号码中的出生日期 %.8s 晚于今天", s + 6);

    char want = codes_id_number_check_char(s);
    char got = s[17] == 'x' ? 'X' : s[17];
    if (got != want)
        return err_set(e, RC_INVALID, NULL, "身份证号码校验位错误，应为 %c", want);
    return RC_OK;
}

enum rc codes_id_number_check(const char *s, struct err *e)
{
    int64_t ms = time_now_ms() + TIME_CST_OFFSET_MS;
    int64_t today = ms / 86400000 - (ms % 86400000 < 0);
    return codes_id_number_check_at(s, today, e);
}

/* ======================================================================== */
/* Mobile numbers                                                            */
/* ======================================================================== */

enum rc codes_mobile_normalize(const char *s, char out[12], struct err *e)
{
    char buf[24];
    size_t n = 0;
    out[0] = '\0';
    if (!s || !*s)
        return err_set(e, RC_INVALID, NULL, "手机号码不能为空");
    for (; *s; s++) {
        if (*s == ' ' || *s == '-')
            continue;
        if (n + 1 >= sizeof(buf))
            return err_set(e, RC_INVALID, NULL, "手机号码应为 11 位数字");
        buf[n++] = *s;
    }
    buf[n] = '\0';
    const char *p = buf;
    if (strncmp(p, "+86", 3) == 0)
        p += 3;
    else if (strncmp(p, "0086", 4) == 0)
        p += 4;
    else if (n == 13 && strncmp(p, "86", 2) == 0)
        p += 2;
    if (strlen(p) != 11 || !all_digits(p, 11))
        return err_set(e, RC_INVALID, NULL, "手机号码应为 11 位数字");
    if (p[0] != '1' || p[1] < '3')
        return err_set(e, RC_INVALID, NULL, "手机号码应以 13–19 开头");
    memcpy(out, p, 12);
    return RC_OK;
}

enum rc codes_mobile_check(const char *s, struct err *e)
{
    char tmp[12];
    return codes_mobile_normalize(s, tmp, e);
}

/* The length of the run of ASCII digits at p. */
static int digit_run(const char *p)
{
    int n = 0;
    while (p[n] >= '0' && p[n] <= '9')
        n++;
    return n;
}

bool codes_landline_valid(const char *s)
{
    const char *p = s;
    int n = digit_run(p);
    if (n == 5 && !p[n])
        return true;
    if (*p == '0' && (n == 3 || n == 4) && p[n] == '-') {
        p += n + 1;
        n = digit_run(p);
    } else if (*p == '0' && n >= 10 && n <= 12) {
        n = 7; /* the subscriber part is checked with the area code */
        p += digit_run(p) - 7;
    }
    if (n < 7 || n > 8)
        return false;
    p += n;
    if (*p == '-') {
        int x = digit_run(p + 1);
        if (x < 1 || x > 6)
            return false;
        p += 1 + x;
    }
    return *p == '\0';
}

/* ======================================================================== */
/* Masks                                                                     */
/* ======================================================================== */

/* Writes s with all but the first `head` and last `tail` bytes replaced by '*'. */
static const char *mask_middle(const char *s, size_t head, size_t tail, char *out, size_t n)
{
    size_t len = strlen(s), k = 0;
    for (size_t i = 0; i < len && k + 1 < n; i++)
        out[k++] = (i < head || i >= len - tail) ? s[i] : '*';
    out[k] = '\0';
    return out;
}

static bool ascii_printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7E)
            return false;
    return true;
}

const char *codes_mask_mobile(const char *s, char *out, size_t n)
{
    char norm[12];
    if (!out || n == 0)
        return out;
    if (s && codes_mobile_normalize(s, norm, NULL) == RC_OK)
        return mask_middle(norm, 3, 4, out, n);
    if (s && strlen(s) >= 8 && ascii_printable(s))
        return mask_middle(s, 3, 4, out, n);
    return mask_middle("****", 4, 0, out, n);
}

const char *codes_mask_id_number(const char *s, char *out, size_t n)
{
    if (!out || n == 0)
        return out;
    if (s && strlen(s) > 10 && ascii_printable(s))
        return mask_middle(s, 6, 4, out, n);
    return mask_middle("****", 4, 0, out, n);
}
