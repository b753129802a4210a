/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demand_attach: attachments of demands. Reading order: the sniffer (magic numbers,
 * the zip central directory, the OLE2 directory, UTF-8 text), type and extension
 * agreement, file names, then the store: add, list, get.
 *
 * Invariant: a row of demand_attachments exists only with its timeline event and
 * its audit event, and its content_type is what the sniffer found in its bytes.
 */
#include "demand_attach.h"
#include "demand_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../auth/auth.h"
#include "../base/jsonx.h"
#include "../base/mem.h"
#include "../base/sec.h"
#include "../base/timeutil.h"
#include "../flow/flow.h"
#include "../store/store.h"

/* ---- kinds ------------------------------------------------------------------ */

static const struct kind_info {
    const char *mime;
    const char *label;
    const char *exts[4];    /* lower case; the first is appended to a bare name */
    const char *aliases[3]; /* other declared types that mean the same */
    bool zip;               /* a zip container (application/zip agrees) */
} kinds[ATTACH__COUNT] = {
    [ATTACH_UNKNOWN] = {"", "未知类型", {NULL}, {NULL}, false},
    [ATTACH_PDF] = {"application/pdf", "PDF 文档", {"pdf"}, {"application/x-pdf"}, false},
    [ATTACH_PNG] = {"image/png", "PNG 图片", {"png"}, {NULL}, false},
    [ATTACH_JPEG] =
        {"image/jpeg", "JPEG 图片", {"jpg", "jpeg", "jpe"}, {"image/jpg", "image/pjpeg"}, false},
    [ATTACH_GIF] = {"image/gif", "GIF 图片", {"gif"}, {NULL}, false},
    [ATTACH_OFD] = {"application/ofd", "OFD 版式文档", {"ofd"}, {NULL}, true},
    [ATTACH_DOCX] = {"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                     "Word 文档（DOCX）",
                     {"docx"},
                     {NULL},
                     true},
    [ATTACH_XLSX] = {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     "Excel 表格（XLSX）",
                     {"xlsx"},
                     {NULL},
                     true},
    [ATTACH_PPTX] = {"application/vnd.openxmlformats-officedocument.presentationml.presentation",
                     "PowerPoint 演示文稿（PPTX）",
                     {"pptx"},
                     {NULL},
                     true},
    [ATTACH_DOC] = {"application/msword", "Word 文档（DOC）", {"doc", "wps"}, {NULL}, false},
    [ATTACH_XLS] = {"application/vnd.ms-excel", "Excel 表格（XLS）", {"xls", "et"}, {NULL}, false},
    [ATTACH_PPT] = {"application/vnd.ms-powerpoint",
                    "PowerPoint 演示文稿（PPT）",
                    {"ppt", "dps"},
                    {NULL},
                    false},
    [ATTACH_TEXT] = {"text/plain",
                     "UTF-8 文本",
                     {"txt", "csv", "log", "md"},
                     {"text/csv", "text/markdown"},
                     false},
};
_Static_assert(sizeof(kinds) / sizeof(kinds[0]) == ATTACH__COUNT, "one row per kind");

const char *demand_attach_mime(enum demand_attach_kind k)
{
    return k > ATTACH_UNKNOWN && k < ATTACH__COUNT ? kinds[k].mime : "";
}

const char *demand_attach_label(enum demand_attach_kind k)
{
    return k > ATTACH_UNKNOWN && k < ATTACH__COUNT ? kinds[k].label : kinds[0].label;
}

const char *demand_attach_allowed_text(void)
{
    return "PDF、OFD、Word（DOC/DOCX）、Excel（XLS/XLSX）、PowerPoint（PPT/PPTX）、"
           "PNG/JPEG/GIF 图片、UTF-8 纯文本";
}

/* ---- the sniffer -------------------------------------------------------------- */

static uint32_t le16(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool starts(const unsigned char *p, size_t n, const char *magic, size_t m)
{
    return n >= m && memcmp(p, magic, m) == 0;
}

static void refuse(struct demand_attach_sniffed *out, const char *why)
{
    out->kind = ATTACH_UNKNOWN;
    snprintf(out->why, sizeof(out->why), "%s", why);
}

/* Case-insensitive ASCII comparison of a counted name with a C string. */
static bool name_is(const unsigned char *s, size_t n, const char *want)
{
    return strlen(want) == n && strncasecmp((const char *)s, want, n) == 0;
}

static bool name_has_prefix(const unsigned char *s, size_t n, const char *prefix)
{
    size_t m = strlen(prefix);
    return n > m && strncasecmp((const char *)s, prefix, m) == 0;
}

static bool name_has_suffix(const unsigned char *s, size_t n, const char *suffix)
{
    size_t m = strlen(suffix);
    return n >= m && strncasecmp((const char *)s + n - m, suffix, m) == 0;
}

/*
 * A zip file: walks its central directory (found through the end-of-central-directory
 * record) and decides by the entry names: OOXML has [Content_Types].xml plus word/,
 * xl/ or ppt/; OFD (GB/T 33190) has OFD.xml at its root. Anything else — an archive
 * of arbitrary files, a damaged or ZIP64 directory — is refused.
 */
static void sniff_zip(const unsigned char *p, size_t n, struct demand_attach_sniffed *out)
{
    if (n < 22)
        return refuse(out, "压缩文件已损坏");
    size_t lowest = n - 22 > 65535 ? n - 22 - 65535 : 0, eocd = 0;
    bool found = false;
    for (size_t i = n - 22 + 1; i-- > lowest;)
        if (p[i] == 'P' && p[i + 1] == 'K' && p[i + 2] == 5 && p[i + 3] == 6) {
            eocd = i;
            found = true;
            break;
        }
    if (!found)
        return refuse(out, "压缩文件已损坏（找不到中央目录）");
    uint32_t entries = le16(p + eocd + 10), cd_size = le32(p + eocd + 12),
             cd_off = le32(p + eocd + 16);
    if ((uint64_t)cd_off + cd_size > eocd)
        return refuse(out, "压缩文件已损坏（中央目录越界）");
    bool content_types = false, word = false, xl = false, ppt = false, ofd = false, macros = false;
    size_t pos = cd_off, end = (size_t)cd_off + cd_size;
    for (uint32_t k = 0; k < entries; k++) {
        if (pos + 46 > end || le32(p + pos) != 0x02014b50u)
            return refuse(out, "压缩文件已损坏（目录项无效）");
        size_t nl = le16(p + pos + 28), xl_len = le16(p + pos + 30), cl = le16(p + pos + 32);
        if (pos + 46 + nl + xl_len + cl > end)
            return refuse(out, "压缩文件已损坏（目录项越界）");
        const unsigned char *name = p + pos + 46;
        content_types |= name_is(name, nl, "[Content_Types].xml");
        word |= name_has_prefix(name, nl, "word/");
        xl |= name_has_prefix(name, nl, "xl/");
        ppt |= name_has_prefix(name, nl, "ppt/");
        ofd |= name_is(name, nl, "OFD.xml");
        macros |= name_has_suffix(name, nl, "vbaProject.bin");
        pos += 46 + nl + xl_len + cl;
    }
    if (macros)
        return refuse(out, "不接收含宏的 Office 文档");
    if (content_types && word + xl + ppt == 1)
        out->kind = word ? ATTACH_DOCX : xl ? ATTACH_XLSX : ATTACH_PPTX;
    else if (ofd && !content_types)
        out->kind = ATTACH_OFD;
    else
        refuse(out, "不接收压缩包（仅接受 DOCX、XLSX、PPTX 和 OFD 这几种以 zip 封装的文档）");
}

/* The OLE2 compound file (MS-CFB) of DOC, XLS and PPT. */
struct cfb {
    const unsigned char *p;
    size_t n;
    unsigned shift;   /* sector size = 1 << shift (512 or 4096) */
    uint32_t n_difat; /* DIFAT sectors */
    uint32_t difat;   /* the first DIFAT sector */
};

#define CFB_END 0xFFFFFFFEu

/* The bytes of sector s, or NULL when it lies outside the file. */
static const unsigned char *cfb_sector(const struct cfb *f, uint32_t s)
{
    uint64_t off = ((uint64_t)s + 1) << f->shift;
    if (s >= 0xFFFFFFFAu || off + ((uint64_t)1 << f->shift) > f->n)
        return NULL;
    return f->p + off;
}

/* The FAT entry of sector s (the next sector of its chain); false when unreadable. */
static bool cfb_next(const struct cfb *f, uint32_t s, uint32_t *next)
{
    uint32_t per = (1u << f->shift) / 4, k = s / per, fat;
    if (k < 109) {
        fat = le32(f->p + 0x4C + 4 * k);
    } else {
        /* Past the header's 109 entries the FAT sectors are listed in the DIFAT chain,
         * per - 1 to a sector, the last word pointing to the next DIFAT sector. */
        uint32_t d = f->difat, idx = k - 109;
        for (uint32_t hops = 1;; hops++) {
            const unsigned char *ds = cfb_sector(f, d);
            if (!ds || hops > f->n_difat)
                return false;
            if (idx < per - 1) {
                fat = le32(ds + idx * 4);
                break;
            }
            d = le32(ds + (per - 1) * 4);
            idx -= per - 1;
        }
    }
    const unsigned char *fs = cfb_sector(f, fat);
    if (!fs)
        return false;
    *next = le32(fs + (s % per) * 4);
    return true;
}

static void sniff_ole(const unsigned char *p, size_t n, struct demand_attach_sniffed *out)
{
    if (n < 512)
        return refuse(out, "OLE2 文件已损坏");
    struct cfb f = {.p = p,
                    .n = n,
                    .shift = le16(p + 0x1E),
                    .n_difat = le32(p + 0x48),
                    .difat = le32(p + 0x44)};
    if (le16(p + 0x1C) != 0xFFFE || (f.shift != 9 && f.shift != 12))
        return refuse(out, "OLE2 文件已损坏（文件头无效）");
    bool word = false, book = false, ppt = false, macros = false, encrypted = false;
    uint32_t s = le32(p + 0x30);
    size_t per_sector = ((size_t)1 << f.shift) / 128, max_steps = n >> f.shift;
    for (size_t step = 0; s != CFB_END; step++) {
        const unsigned char *sec = cfb_sector(&f, s);
        if (!sec || step > max_steps)
            return refuse(out, "OLE2 文件已损坏（目录无效）");
        for (size_t i = 0; i < per_sector; i++) {
            const unsigned char *ent = sec + i * 128;
            uint32_t len = le16(ent + 0x40), type = ent[0x42];
            if (type == 0 || len < 2 || len > 64)
                continue;
            /* Names are UTF-16LE; the ones that matter are ASCII. */
            unsigned char name[32];
            size_t m = 0;
            bool ascii = true;
            for (uint32_t k = 0; k + 1 < len - 1 && m < sizeof(name); k += 2) {
                if (ent[k + 1] || ent[k] >= 0x80)
                    ascii = false;
                name[m++] = ent[k];
            }
            if (!ascii)
                continue;
            word |= name_is(name, m, "WordDocument");
            book |= name_is(name, m, "Workbook") || name_is(name, m, "Book");
            ppt |= name_is(name, m, "PowerPoint Document");
            macros |= name_is(name, m, "Macros") || name_is(name, m, "_VBA_PROJECT_CUR") ||
                      name_is(name, m, "_VBA_PROJECT") || name_is(name, m, "VBA");
            encrypted |= name_is(name, m, "EncryptedPackage");
        }
        if (!cfb_next(&f, s, &s))
            return refuse(out, "OLE2 文件已损坏（分配表无效）");
    }
    if (macros)
        refuse(out, "不接收含宏的 Office 文档");
    else if (encrypted)
        refuse(out, "加密的 Office 文档无法检查，请解除密码后上传");
    else if (word + book + ppt != 1)
        refuse(out, "无法识别的 OLE2 文件（只接受 DOC、XLS、PPT）");
    else
        out->kind = word ? ATTACH_DOC : book ? ATTACH_XLS : ATTACH_PPT;
}

/* Does text (after white space) begin with markup a browser would render? */
static bool looks_like_markup(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n' || p[i] == '\f'))
        i++;
    if (i + 1 >= n || p[i] != '<')
        return false;
    unsigned char c = p[i + 1];
    return c == '!' || c == '?' || c == '/' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool contains_ci(const unsigned char *p, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (p[i] == '<' && strncasecmp((const char *)p + i, needle, m) == 0)
            return true;
    return false;
}

static void sniff_text(const unsigned char *p, size_t n, struct demand_attach_sniffed *out)
{
    if (starts(p, n, "\xEF\xBB\xBF", 3))
        p += 3, n -= 3;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') || c == 0x7F)
            return refuse(out, "无法识别的文件类型（二进制内容）");
    }
    if (!utf8_valid((const char *)p, n))
        return refuse(out, "文本文件须为 UTF-8 编码（GBK 等编码请另存为 UTF-8）");
    if (starts(p, n, "#!", 2))
        return refuse(out, "不接收可执行脚本");
    if (looks_like_markup(p, n) || contains_ci(p, n, "<script") || contains_ci(p, n, "<iframe"))
        return refuse(out, "不接收网页、XML 或 SVG 文件");
    out->kind = ATTACH_TEXT;
}

void demand_attach_sniff(const void *data, size_t n, struct demand_attach_sniffed *out)
{
    const unsigned char *p = data;
    out->kind = ATTACH_UNKNOWN;
    out->why[0] = '\0';
    if (n == 0)
        return refuse(out, "文件为空");
    if (starts(p, n, "%PDF-", 5))
        out->kind = ATTACH_PDF;
    else if (starts(p, n, "\x89PNG\r\n\x1a\n", 8))
        out->kind = ATTACH_PNG;
    else if (starts(p, n, "\xFF\xD8\xFF", 3))
        out->kind = ATTACH_JPEG;
    else if (starts(p, n, "GIF87a", 6) || starts(p, n, "GIF89a", 6))
        out->kind = ATTACH_GIF;
    else if (starts(p, n, "PK\x03\x04", 4) || starts(p, n, "PK\x05\x06", 4))
        sniff_zip(p, n, out);
    else if (starts(p, n, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8))
        sniff_ole(p, n, out);
    else if (starts(p, n, "MZ", 2) ||
             starts(p, n,
                    "\x7F"
                    "ELF",
                    4) ||
             starts(p, n, "\xCA\xFE\xBA\xBE", 4) || starts(p, n, "\xFE\xED\xFA\xCE", 4) ||
             starts(p, n, "\xFE\xED\xFA\xCF", 4) || starts(p, n, "\xCE\xFA\xED\xFE", 4) ||
             starts(p, n, "\xCF\xFA\xED\xFE", 4))
        refuse(out, "不接收可执行程序");
    else if (starts(p, n, "Rar!\x1A\x07", 6) || starts(p, n, "7z\xBC\xAF\x27\x1C", 6) ||
             starts(p, n, "\x1F\x8B", 2) || starts(p, n, "BZh", 3) ||
             starts(p, n,
                    "\xFD"
                    "7zXZ",
                    5))
        refuse(out, "不接收压缩包");
    else
        sniff_text(p, n, out);
}

/* ---- agreement of the declared type and the name ---------------------------------- */

bool demand_attach_type_agrees(const char *declared, enum demand_attach_kind kind)
{
    if (kind <= ATTACH_UNKNOWN || kind >= ATTACH__COUNT)
        return false;
    if (!declared)
        return true;
    /* The media type without parameters and surrounding blanks. */
    while (*declared == ' ' || *declared == '\t')
        declared++;
    size_t n = strcspn(declared, "; \t");
    if (n == 0 || (n == 24 && strncasecmp(declared, "application/octet-stream", n) == 0))
        return true;
    const struct kind_info *k = &kinds[kind];
    if (strlen(k->mime) == n && strncasecmp(declared, k->mime, n) == 0)
        return true;
    for (int i = 0; i < 3 && k->aliases[i]; i++)
        if (strlen(k->aliases[i]) == n && strncasecmp(declared, k->aliases[i], n) == 0)
            return true;
    return k->zip && ((n == 15 && strncasecmp(declared, "application/zip", n) == 0) ||
                      (n == 28 && strncasecmp(declared, "application/x-zip-compressed", n) == 0));
}

/* The extension of name (after the last '.': 1 to 5 ASCII letters or digits), or NULL. */
static const char *extension_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name)
        return NULL;
    size_t n = strlen(dot + 1);
    if (n < 1 || n > 5)
        return NULL;
    for (const char *c = dot + 1; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
            return NULL;
    return dot + 1;
}

bool demand_attach_ext_agrees(const char *name, enum demand_attach_kind kind)
{
    if (kind <= ATTACH_UNKNOWN || kind >= ATTACH__COUNT)
        return false;
    const char *ext = extension_of(name);
    if (!ext)
        return true;
    for (int i = 0; i < 4 && kinds[kind].exts[i]; i++)
        if (strcasecmp(ext, kinds[kind].exts[i]) == 0)
            return true;
    return false;
}

/* ---- file names ------------------------------------------------------------------- */

/* Decodes one code point of well-formed UTF-8 at s; *len is its length in bytes. */
static uint32_t utf8_decode(const unsigned char *s, size_t *len)
{
    if (s[0] < 0x80) {
        *len = 1;
        return s[0];
    }
    if (s[0] < 0xE0) {
        *len = 2;
        return (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
    }
    if (s[0] < 0xF0) {
        *len = 3;
        return (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
    }
    *len = 4;
    return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 |
           (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
}

/* Format characters that can make a name read differently from what it is. */
static bool bidi_or_invisible(uint32_t cp)
{
    return cp == 0x061C || cp == 0x200B || cp == 0x200E || cp == 0x200F ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

enum rc demand_attach_clean_name(const char *name, char out[DEMAND_ATTACH_NAME_MAX], struct err *e)
{
    out[0] = '\0';
    if (!name || !*name)
        return err_set(e, RC_INVALID, "name", "请用查询参数 name 给出文件名（URL 编码）");
    if (!utf8_valid(name, strlen(name)))
        return err_set(e, RC_INVALID, "name", "文件名须为 UTF-8 编码");
    const char *base = name;
    for (const char *c = name; *c; c++)
        if (*c == '/' || *c == '\\')
            base = c + 1;
    if (strlen(base) >= DEMAND_ATTACH_NAME_MAX)
        return err_set(e, RC_INVALID, "name", "文件名过长（最多 %d 个字符）",
                       DEMAND_ATTACH_NAME_CHARS);
    size_t o = 0;
    for (const unsigned char *s = (const unsigned char *)base; *s;) {
        size_t len;
        uint32_t cp = utf8_decode(s, &len);
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
            return err_set(e, RC_INVALID, "name", "文件名含有控制字符");
        if (bidi_or_invisible(cp))
            return err_set(e, RC_INVALID, "name", "文件名含有文字方向控制符或不可见字符");
        if (cp < 0x80 && strchr("<>:\"|?*", (int)cp)) {
            out[o++] = '_';
        } else {
            memcpy(out + o, s, len);
            o += len;
        }
        s += len;
    }
    out[o] = '\0';
    /* Leading dots would hide the file; trailing dots and blanks Windows drops. */
    size_t start = 0;
    while (out[start] == ' ' || out[start] == '.')
        start++;
    while (o > start && (out[o - 1] == ' ' || out[o - 1] == '.'))
        o--;
    memmove(out, out + start, o - start);
    out[o - start] = '\0';
    if (!out[0])
        return err_set(e, RC_INVALID, "name", "文件名为空");
    if (utf8_len(out) > DEMAND_ATTACH_NAME_CHARS)
        return err_set(e, RC_INVALID, "name", "文件名过长（最多 %d 个字符）",
                       DEMAND_ATTACH_NAME_CHARS);
    return RC_OK;
}

/* ---- the store ---------------------------------------------------------------------- */

/* Does the caller see only what the enterprise may (internal attachments hidden)? */
static bool owner_only(const struct principal *p, unsigned rels)
{
    return (rels & ~(unsigned)REL_OWNER) == 0 && access_can(p, ACCESS_ENT_SELF);
}

/* May the caller upload to a demand in state s? RC_FORBIDDEN / RC_STATE with a message. */
static enum rc may_upload(const struct principal *p, unsigned rels, enum demand_state s,
                          bool internal, struct err *e)
{
    if (!rels)
        return err_set(e, RC_FORBIDDEN, NULL, "管理员只能查看附件，不能上传");
    if (internal && owner_only(p, rels))
        return err_set(e, RC_FORBIDDEN, "internal", "企业用户不能上传内部附件");
    if (s == DS_ARCHIVED || s == DS_DECLINED || s == DS_MERGED || s == DS_WITHDRAWN)
        return err_set(e, RC_STATE, NULL, "诉求%s，不能再上传附件", demand_state_label(s));
    return RC_OK;
}

static void size_text(size_t n, char *out, size_t cap)
{
    if (n >= ((size_t)1 << 20) && n % ((size_t)1 << 20) == 0)
        snprintf(out, cap, "%zu MB", n >> 20);
    else if (n >= 1024 && n % 1024 == 0)
        snprintf(out, cap, "%zu KB", n >> 10);
    else
        snprintf(out, cap, "%zu 字节", n);
}

static json_t *when(int64_t ms)
{
    char out[40];
    time_fmt_cst(ms, out, sizeof(out));
    return json_string(out);
}

static json_t *attachment_json(int64_t aid, int64_t demand, const char *name, const char *type,
                               int64_t size, const char *sha, bool internal, const char *by,
                               const char *org, int64_t at)
{
    char sid[24], sdemand[24];
    snprintf(sid, sizeof(sid), "%lld", (long long)aid);
    snprintf(sdemand, sizeof(sdemand), "%lld", (long long)demand);
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:b, s:s, s:s, s:o}", "id", sid, "demand_id",
                     sdemand, "name", name, "content_type", type, "size", (json_int_t)size,
                     "sha256", sha, "internal", internal, "uploaded_by", by, "org", org,
                     "created_at", when(at));
}

static enum rc count_attachments(struct conn *c, int64_t id, int64_t *n, struct err *e)
{
    struct stmt *st;
    enum rc rc =
        store_prepare(c, "SELECT COUNT(*) FROM demand_attachments WHERE demand_id = ?", &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, id);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        *n = store_int(st, 0);
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_INTERNAL, NULL, "COUNT returned no row");
    }
    store_finish(st);
    return rc;
}

enum rc demand_attach_check(const struct demand_attach_new *a, char name[DEMAND_ATTACH_NAME_MAX],
                            const char **mime, char sha[65], struct err *e)
{
    enum rc rc = demand_attach_clean_name(a->name, name, e);
    if (rc)
        return rc;
    size_t max = a->max_bytes ? a->max_bytes : DEMAND_ATTACH_MAX_BYTES_DEFAULT;
    if (a->len > max) {
        char limit[32];
        size_text(max, limit, sizeof(limit));
        return err_set(e, RC_TOOLARGE, NULL, "附件超过大小上限（每个文件最大 %s）", limit);
    }
    struct demand_attach_sniffed sn;
    demand_attach_sniff(a->data, a->len, &sn);
    if (sn.kind == ATTACH_UNKNOWN)
        return err_set(e, RC_MEDIATYPE, NULL, "%s。可上传的类型：%s", sn.why,
                       demand_attach_allowed_text());
    if (!demand_attach_type_agrees(a->declared_type, sn.kind)) {
        /* The header is the client's: quoted only when it is short printable ASCII. */
        bool quotable = strlen(a->declared_type) <= 100;
        for (const char *ch = a->declared_type; quotable && *ch; ch++)
            quotable = *ch >= 0x20 && *ch < 0x7F;
        return err_set(e, RC_MEDIATYPE, NULL, "声明的类型%s%s%s与文件内容（%s）不符",
                       quotable ? " " : "", quotable ? a->declared_type : "", quotable ? " " : "",
                       demand_attach_label(sn.kind));
    }
    if (!demand_attach_ext_agrees(name, sn.kind))
        return err_set(e, RC_MEDIATYPE, "name", "文件扩展名 .%s 与文件内容（%s）不符",
                       extension_of(name), demand_attach_label(sn.kind));
    if (!extension_of(name)) {
        size_t len = strlen(name);
        snprintf(name + len, DEMAND_ATTACH_NAME_MAX - len, ".%s", kinds[sn.kind].exts[0]);
    }
    *mime = demand_attach_mime(sn.kind);
    sec_sha256_hex(a->data, a->len, sha);
    return RC_OK;
}

enum rc demand_attach_add(struct conn *c, const struct principal *p, int64_t id,
                          const struct demand_attach_new *a, int64_t now, json_t **out,
                          struct err *e)
{
    char no[40], name[DEMAND_ATTACH_NAME_MAX], sha[SEC_HEX_SHA256];
    const char *mime = NULL;
    enum demand_state state;
    unsigned rels = 0;
    /* Who and when first (404, 403, 409), without holding the write lock; checked
     * again inside the transaction below. */
    enum rc rc = demand__access(c, p, id, no, &state, &rels, e);
    if (rc == RC_OK)
        rc = may_upload(p, rels, state, a->internal, e);
    if (rc == RC_OK)
        rc = demand_attach_check(a, name, &mime, sha, e);
    if (rc)
        return rc;

    rc = store_begin(c, e);
    if (rc)
        return rc;
    rc = demand__access(c, p, id, no, &state, &rels, e);
    if (rc == RC_OK)
        rc = may_upload(p, rels, state, a->internal, e);
    /* Serialise uploads to one demand, so the per-demand count holds on PostgreSQL too
     * (a no-op update takes the row lock; SQLite's writer lock already serialises). */
    struct stmt *st = NULL;
    if (rc == RC_OK)
        rc = store_prepare(c, "UPDATE demands SET version = version WHERE id = ?", &st, e);
    if (rc == RC_OK) {
        store_bind_int(st, 1, id);
        rc = store_run(st, e);
        store_finish(st);
    }
    int64_t have = 0, aid = 0;
    if (rc == RC_OK)
        rc = count_attachments(c, id, &have, e);
    if (rc == RC_OK && have >= DEMAND_ATTACH_MAX_FILES)
        rc = err_set(e, RC_CONFLICT, NULL, "每件诉求最多 %d 个附件", DEMAND_ATTACH_MAX_FILES);
    const char *by = p->display_name ? p->display_name : p->username;
    const char *org = p->org_name ? p->org_name : (p->credit_code ? p->credit_code : "");
    if (rc == RC_OK)
        rc = store_prepare(c,
                           "INSERT INTO demand_attachments (demand_id, name, content_type, size, "
                           "sha256, internal, uploaded_by, uploader_name, org, created_at, data) "
                           "VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
                           &st, e);
    if (rc == RC_OK) {
        store_bind_int(st, 1, id);
        store_bind_text(st, 2, name);
        store_bind_text(st, 3, mime);
        store_bind_int(st, 4, (int64_t)a->len);
        store_bind_text(st, 5, sha);
        store_bind_int(st, 6, a->internal ? 1 : 0);
        store_bind_text(st, 7, p->actor.name);
        store_bind_text(st, 8, by);
        store_bind_text(st, 9, org);
        store_bind_int(st, 10, now);
        store_bind_blob(st, 11, a->data, a->len);
        rc = store_insert_id(st, &aid, e);
        store_finish(st);
    }
    json_t *j = NULL, *data = NULL;
    if (rc == RC_OK) {
        j = attachment_json(aid, id, name, mime, (int64_t)a->len, sha, a->internal, by, org, now);
        data = json_pack("{s:O, s:s, s:s, s:I}", "attachment_id", json_object_get(j, "id"), "name",
                         name, "content_type", mime, "size", (json_int_t)a->len);
        /* The audit's record adds the digest and the visibility to the event's data. */
        json_t *audit = json_deep_copy(data);
        json_object_set_new(audit, "sha256", json_string(sha));
        json_object_set_new(audit, "internal", json_boolean(a->internal));
        struct flow_event ev = {"demand",
                                id,
                                now,
                                "attach",
                                demand_state_name(state),
                                demand_state_name(state),
                                NULL,
                                a->internal,
                                data};
        rc = flow_record(c, p, &ev, "demand.attach", NULL, audit, e);
        json_decref(audit);
    }
    json_decref(data);
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (rc) {
        store_rollback(c);
        json_decref(j);
        return rc;
    }
    *out = j;
    return RC_OK;
}

enum rc demand_attach_list(struct conn *c, const struct principal *p, int64_t id, json_t **out,
                           struct err *e)
{
    char no[40];
    enum demand_state state;
    unsigned rels = 0;
    enum rc rc = demand__access(c, p, id, no, &state, &rels, e);
    if (rc)
        return rc;
    struct stmt *st;
    rc = store_prepare(c,
                       "SELECT id, name, content_type, size, sha256, internal, uploader_name, org, "
                       "created_at FROM demand_attachments WHERE demand_id = ? AND (? = 0 OR "
                       "internal = 0) ORDER BY id",
                       &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, id);
    store_bind_int(st, 2, owner_only(p, rels) ? 1 : 0);
    json_t *arr = json_array();
    while ((rc = store_step(st, e)) == RC_ROW)
        json_array_append_new(
            arr, attachment_json(store_int(st, 0), id, store_text(st, 1), store_text(st, 2),
                                 store_int(st, 3), store_text(st, 4), store_int(st, 5) != 0,
                                 store_text(st, 6), store_text(st, 7), store_int(st, 8)));
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return RC_OK;
}

enum rc demand_attach_get(struct conn *c, const struct principal *p, int64_t id, int64_t aid,
                          struct demand_attach_file *f, struct err *e)
{
    memset(f, 0, sizeof(*f));
    char no[40];
    enum demand_state state;
    unsigned rels = 0;
    enum rc rc = demand__access(c, p, id, no, &state, &rels, e);
    if (rc)
        return rc;
    struct stmt *st;
    rc = store_prepare(c,
                       "SELECT name, content_type, sha256, internal, data FROM demand_attachments "
                       "WHERE id = ? AND demand_id = ?",
                       &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, aid);
    store_bind_int(st, 2, id);
    rc = store_step(st, e);
    if (rc == RC_ROW && !(store_int(st, 3) != 0 && owner_only(p, rels))) {
        snprintf(f->name, sizeof(f->name), "%s", store_text(st, 0));
        snprintf(f->content_type, sizeof(f->content_type), "%s", store_text(st, 1));
        snprintf(f->sha256, sizeof(f->sha256), "%s", store_text(st, 2));
        size_t n = 0;
        const void *bytes = store_blob(st, 4, &n);
        f->data = xmalloc(n ? n : 1);
        if (n)
            memcpy(f->data, bytes, n);
        f->len = n;
        rc = RC_OK;
    } else if (rc == RC_ROW || rc == RC_DONE) {
        rc = err_set(e, RC_NOTFOUND, NULL, "附件不存在");
    }
    store_finish(st);
    return rc;
}

void demand_attach_file_cleanup(struct demand_attach_file *f)
{
    if (!f)
        return;
    xfree(f->data);
    f->data = NULL;
    f->len = 0;
}
