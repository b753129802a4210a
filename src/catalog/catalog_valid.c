/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog_valid: the shapes of the ITEM, GUIDE and BUNDLE documents (docs/internals/
 * catalog.md) as tables of fields, one checker walking them, the codes, and the conditions
 * compiled with src/rules over the guide's own rules catalogue.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../base/jsonx.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../codes/codes.h"
#include "../ent/ent.h"
#include "../rules/rules.h"
#include "catalog.h"
#include "catalog_int.h"

/* ---- errors ---------------------------------------------------------------------- */

/* RC_INVALID on path with the message "path: ...". */
static enum rc bad(struct err *e, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum rc bad(struct err *e, const char *path, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (!*path) /* the document itself */
        return err_set(e, RC_INVALID, NULL, "%s", msg);
    return err_set(e, RC_INVALID, path, "%s: %s", path, msg);
}

/* ---- codes ----------------------------------------------------------------------- */

static const char *const kinds[] = {"new", "change", "renew", "cancel", NULL};

char catalog_kind_digit(const char *kind)
{
    for (int i = 0; kind && kinds[i]; i++)
        if (strcmp(kind, kinds[i]) == 0)
            return (char)('1' + i);
    return 0;
}

static bool all_digits(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

bool catalog__basic_code_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 6 || n > 20)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z')))
            return false;
    return true;
}

/* Checks the parts; the message names the part in Chinese, field the member. */
static enum rc parts_check(const struct catalog_codes *p, struct err *e)
{
    if (!catalog__basic_code_ok(p->basic_code))
        return err_set(e, RC_INVALID, "basic_code",
                       "事项基本编码“%s”格式不正确：应为 6–20 位数字或大写字母", p->basic_code);
    if (!all_digits(p->subitem_code, 3))
        return err_set(e, RC_INVALID, "code", "子项编码“%s”应为 3 位数字", p->subitem_code);
    if (!all_digits(p->region, 6) || !codes_region_find(p->region))
        return err_set(e, RC_INVALID, "region", "行政区划代码“%s”不存在（GB/T 2260）", p->region);
    struct err ce;
    err_clear(&ce);
    if (codes_credit_code_check(p->agency_uscc, &ce))
        return err_set(e, RC_INVALID, "agency_uscc", "实施主体统一社会信用代码“%s”无效：%s",
                       p->agency_uscc, ce.msg);
    if (!catalog_kind_digit(p->kind))
        return err_set(e, RC_INVALID, "kind", "业务办理项类型“%s”应为 new/change/renew/cancel",
                       p->kind);
    if (!all_digits(p->seq, 2))
        return err_set(e, RC_INVALID, "seq", "业务办理项序号“%s”应为 2 位数字", p->seq);
    return RC_OK;
}

enum rc catalog_impl_code(const struct catalog_codes *parts, char out[CATALOG_IMPL_CODE_MAX],
                          struct err *e)
{
    out[0] = '\0';
    enum rc rc = parts_check(parts, e);
    if (rc)
        return rc;
    snprintf(out, CATALOG_IMPL_CODE_MAX, "%s%s-%s000000-000-%s-%c-%s", parts->basic_code,
             parts->subitem_code, parts->region, parts->agency_uscc,
             catalog_kind_digit(parts->kind), parts->seq);
    return RC_OK;
}

/* Copies n bytes of s into a field of size cap, failing when it does not fit. */
static bool take(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        return false;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return true;
}

enum rc catalog_impl_code_parse(const char *code, struct catalog_codes *out, struct err *e)
{
    memset(out, 0, sizeof(*out));
    const char *part[6];
    size_t len[6];
    int n = 0;
    const char *s = code ? code : "";
    if (strlen(s) >= CATALOG_IMPL_CODE_MAX)
        goto malformed;
    for (const char *q = s;; q++) {
        if (*q == '-' || *q == '\0') {
            if (n == 6)
                goto malformed;
            part[n] = s;
            len[n++] = (size_t)(q - s);
            s = q + 1;
            if (*q == '\0')
                break;
        }
    }
    if (n != 6 || len[0] < 9 || len[1] != 12 || strncmp(part[1] + 6, "000000", 6) != 0 ||
        len[2] != 3 || strncmp(part[2], "000", 3) != 0 || len[4] != 1 || part[4][0] < '1' ||
        part[4][0] > '4')
        goto malformed;
    if (!take(out->basic_code, sizeof(out->basic_code), part[0], len[0] - 3) ||
        !take(out->subitem_code, sizeof(out->subitem_code), part[0] + len[0] - 3, 3) ||
        !take(out->region, sizeof(out->region), part[1], 6) ||
        !take(out->agency_uscc, sizeof(out->agency_uscc), part[3], len[3]) ||
        !take(out->seq, sizeof(out->seq), part[5], len[5]))
        goto malformed;
    snprintf(out->kind, sizeof(out->kind), "%s", kinds[part[4][0] - '1']);
    enum rc rc = parts_check(out, e);
    if (rc)
        err_prefix_field(e, "impl_code");
    return rc;
malformed:
    return err_set(e, RC_INVALID, "impl_code",
                   "实施编码“%.80s”格式不正确：应为 基本编码+子项编码-区划000000-000-"
                   "统一社会信用代码-类型-序号",
                   code ? code : "");
}

/* ---- the rules catalogue of a guide --------------------------------------------------- */

struct rules_catalog *catalog_guide_rules(const json_t *doc, const struct ent_catalog *ent)
{
    struct rules_catalog *r = rules_catalog_new();
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(doc, "situations"), i, s)
    {
        const char *id = json_string_value(json_object_get(s, "id"));
        const char *type = json_string_value(json_object_get(s, "type"));
        const char *q = json_string_value(json_object_get(s, "question"));
        const char *unit = json_string_value(json_object_get(s, "unit"));
        if (!id || !type)
            continue;
        if (strcmp(type, "bool") == 0) {
            (void)rules_catalog_add_fact(r, id, RULES_BOOL, q ? q : id, "", "");
        } else if (strcmp(type, "int") == 0) {
            (void)rules_catalog_add_fact(r, id, RULES_INT, q ? q : id, unit ? unit : "", "");
        } else if (strcmp(type, "code") == 0) {
            char values[2048];
            size_t k = 0, j;
            json_t *o;
            values[0] = '\0';
            json_array_foreach(json_object_get(s, "options"), j, o)
            {
                const char *v = json_string_value(json_object_get(o, "value"));
                if (v)
                    k += (size_t)snprintf(values + k, k < sizeof(values) ? sizeof(values) - k : 0,
                                          "%s%s", k ? "," : "", v);
                if (k >= sizeof(values))
                    break;
            }
            if (k < sizeof(values))
                (void)rules_catalog_add_fact(r, id, RULES_CODE, q ? q : id, "", values);
        }
    }
    for (size_t k = 0; ent && k < ent_catalog_size(ent); k++) {
        const struct ent_fact_def *d = ent_catalog_at(ent, k);
        /* The enums are declared in the same order (rules.h says so). */
        (void)rules_catalog_add_fact(r, d->name, (enum rules_type)d->type, d->label, d->unit,
                                     d->code_values);
    }
    if (ent) {
        json_t *j = ent_catalog_json(ent);
        json_t *t;
        json_array_foreach(json_object_get(j, "tags"), i, t)
        {
            (void)rules_catalog_add_tag(r, json_string_value(json_object_get(t, "code")),
                                        json_string_value(json_object_get(t, "label")));
        }
        json_decref(j);
    }
    return r;
}

/* ---- the field tables --------------------------------------------------------------- */

enum ftype {
    F_STR,   /* a non-empty string up to max characters */
    F_TEXT,  /* a string, may be empty */
    F_INT,   /* an integer in min..max */
    F_BOOL,  /* true or false */
    F_DATE,  /* "YYYY-MM-DD" */
    F_WORD,  /* one of words */
    F_OBJ,   /* an object of the fields sub */
    F_ARR,   /* an array of elem (its table row: elem) */
    F_NODE,  /* a condition (compiled later) */
    F_PHONE, /* a telephone number */
    F_REGION /* a 6-digit GB/T 2260 code */
};

enum { F_REQ = 1u << 0, F_NULL = 1u << 1, F_UNIQUE = 1u << 2 };

struct fdef {
    const char *key;
    enum ftype type;
    unsigned flags;
    int64_t min, max;         /* F_INT range; F_STR/F_TEXT max characters (0: 500) */
    const char *const *words; /* F_WORD */
    const struct fdef *sub;   /* F_OBJ's fields (NULL-keyed end) */
    const struct fdef *elem;  /* F_ARR's element (one row) */
    const char *label;        /* Chinese name of the member */
};

#define END                                                                                        \
    {                                                                                              \
        NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL                                                   \
    }

static const char *const exercise_levels[] = {"国家级", "省级", "市级", "县级", "乡级", NULL};
static const char *const natures[] = {"法定机关", "授权组织", "受委托组织", NULL};
static const char *const sit_types[] = {"bool", "int", "code", NULL};
static const char *const sources[] = {"applicant",    "license", "department",
                                      "intermediary", "system",  NULL};
static const char *const forms[] = {"paper", "electronic", "paper_or_electronic", NULL};
static const char *const necessities[] = {"required", "optional", "waived", NULL};
static const char *const case_types[] = {"instant", "promise", NULL};
static const char *const channels[] = {"window", "online", "self_service", "mobile", "mail", NULL};
static const char *const result_types[] = {"license", "approval", "certificate",
                                           "record",  "other",    NULL};
static const char *const deliveries[] = {"window", "mail", "online", "self_service", NULL};
static const char *const modes[] = {"online", "proxy", "joint", NULL};
static const char *const cross_kinds[] = {"handle", "query", NULL};
const char *const catalog__types[] = {"xk", "qr", "gf", "zs", "jl", "cj", "jc", "qt", "gg", NULL};
const char *const catalog__stages[] = {"zhunru",    "zhaopin", "nashui", "jingying",
                                       "gongcheng", "zhuxiao", NULL};

static const struct fdef str_elem = {"", F_STR, 0, 0, 200, NULL, NULL, NULL, "值"};
static const struct fdef region_elem = {"", F_REGION, 0, 0, 0, NULL, NULL, NULL, "行政区划"};
static const struct fdef channel_elem = {"", F_WORD, 0, 0, 0, channels, NULL, NULL, "办理渠道"};
static const struct fdef delivery_elem = {"", F_WORD, 0, 0, 0, deliveries, NULL, NULL, "领取方式"};
static const struct fdef stage_elem = {"",   F_WORD,        0, 0, 0, catalog__stages, NULL,
                                       NULL, "生命周期阶段"};

static const struct fdef law[] = {
    {"law", F_STR, F_REQ, 0, 200, NULL, NULL, NULL, "法律法规名称"},
    {"article", F_TEXT, 0, 0, 500, NULL, NULL, NULL, "条款"},
    END,
};
static const struct fdef law_elem = {"", F_OBJ, 0, 0, 0, NULL, law, NULL, "依据"};

static const struct fdef option[] = {
    {"value", F_STR, F_REQ | F_UNIQUE, 0, 64, NULL, NULL, NULL, "选项值"},
    {"label", F_STR, F_REQ, 0, 100, NULL, NULL, NULL, "选项名称"},
    END,
};
static const struct fdef option_elem = {"", F_OBJ, 0, 0, 0, NULL, option, NULL, "选项"};

static const struct fdef situation[] = {
    {"id", F_STR, F_REQ | F_UNIQUE, 0, 40, NULL, NULL, NULL, "情形编号"},
    {"question", F_STR, F_REQ, 0, 200, NULL, NULL, NULL, "情形问题"},
    {"type", F_WORD, F_REQ, 0, 0, sit_types, NULL, NULL, "情形类型"},
    {"unit", F_TEXT, 0, 0, 20, NULL, NULL, NULL, "单位"},
    {"options", F_ARR, 0, 0, 50, NULL, NULL, &option_elem, "选项"},
    {"help", F_TEXT, 0, 0, 500, NULL, NULL, NULL, "说明"},
    END,
};
static const struct fdef situation_elem = {"", F_OBJ, 0, 0, 0, NULL, situation, NULL, "情形"};

static const struct fdef condition[] = {
    {"text", F_STR, F_REQ, 0, 1000, NULL, NULL, NULL, "受理条件"},
    {"when", F_NODE, 0, 0, 0, NULL, NULL, NULL, "适用条件"},
    END,
};
static const struct fdef condition_elem = {"", F_OBJ, 0, 0, 0, NULL, condition, NULL, "受理条件"};

static const struct fdef step[] = {
    {"name", F_STR, F_REQ, 0, 100, NULL, NULL, NULL, "环节名称"},
    {"requirement", F_TEXT, F_NULL, 0, 1000, NULL, NULL, NULL, "办理要求"},
    {"days", F_INT, F_NULL, 0, 365, NULL, NULL, NULL, "环节时限"},
    {"when", F_NODE, 0, 0, 0, NULL, NULL, NULL, "适用条件"},
    END,
};
static const struct fdef step_elem = {"", F_OBJ, 0, 0, 0, NULL, step, NULL, "办理环节"};

static const struct fdef material[] = {
    {"id", F_STR, F_REQ | F_UNIQUE, 0, 40, NULL, NULL, NULL, "材料编号"},
    {"name", F_STR, F_REQ, 0, 200, NULL, NULL, NULL, "材料名称"},
    {"source", F_WORD, F_REQ, 0, 0, sources, NULL, NULL, "材料来源"},
    {"copies", F_INT, 0, 0, 100, NULL, NULL, NULL, "份数"},
    {"form", F_WORD, 0, 0, 0, forms, NULL, NULL, "材料形式"},
    {"necessity", F_WORD, F_REQ, 0, 0, necessities, NULL, NULL, "必要性"},
    {"tolerance", F_BOOL, 0, 0, 0, NULL, NULL, NULL, "容缺受理"},
    {"waiver_reason", F_TEXT, F_NULL, 0, 200, NULL, NULL, NULL, "免提交理由"},
    {"blank_form", F_TEXT, F_NULL, 0, 500, NULL, NULL, NULL, "空表"},
    {"sample", F_TEXT, F_NULL, 0, 500, NULL, NULL, NULL, "样表"},
    {"is_form", F_BOOL, 0, 0, 0, NULL, NULL, NULL, "是否表格"},
    {"note", F_TEXT, F_NULL, 0, 1000, NULL, NULL, NULL, "备注"},
    {"when", F_NODE, 0, 0, 0, NULL, NULL, NULL, "适用条件"},
    END,
};
static const struct fdef material_elem = {"", F_OBJ, 0, 0, 0, NULL, material, NULL, "申请材料"};

static const struct fdef special[] = {
    {"name", F_STR, F_REQ, 0, 100, NULL, NULL, NULL, "特别程序名称"},
    {"days", F_INT, F_NULL, 0, 3650, NULL, NULL, NULL, "特别程序时限"},
    {"basis", F_TEXT, F_NULL, 0, 500, NULL, NULL, NULL, "特别程序依据"},
    {"counted", F_BOOL, 0, 0, 0, NULL, NULL, NULL, "是否计入办结时限"},
    END,
};
static const struct fdef special_elem = {"", F_OBJ, 0, 0, 0, NULL, special, NULL, "特别程序"};

static const struct fdef time_limit[] = {
    {"legal_days", F_INT, F_NULL, 0, 3650, NULL, NULL, NULL, "法定办结时限"},
    {"promised_days", F_INT, F_NULL, 0, 3650, NULL, NULL, NULL, "承诺办结时限"},
    {"special", F_ARR, 0, 0, 20, NULL, NULL, &special_elem, "特别程序"},
    END,
};

static const struct fdef fee[] = {
    {"item", F_STR, F_REQ, 0, 200, NULL, NULL, NULL, "收费项目"},
    {"standard", F_STR, F_REQ, 0, 500, NULL, NULL, NULL, "收费标准"},
    {"basis", F_TEXT, F_NULL, 0, 500, NULL, NULL, NULL, "收费依据"},
    {"when", F_NODE, 0, 0, 0, NULL, NULL, NULL, "适用条件"},
    END,
};
static const struct fdef fee_elem = {"", F_OBJ, 0, 0, 0, NULL, fee, NULL, "收费"};

static const struct fdef location[] = {
    {"name", F_STR, F_REQ, 0, 200, NULL, NULL, NULL, "办理地点名称"},
    {"address", F_TEXT, F_NULL, 0, 300, NULL, NULL, NULL, "地址"},
    {"hours", F_TEXT, F_NULL, 0, 200, NULL, NULL, NULL, "办理时间"},
    END,
};
static const struct fdef location_elem = {"", F_OBJ, 0, 0, 0, NULL, location, NULL, "办理地点"};

static const struct fdef result[] = {
    {"name", F_STR, F_REQ, 0, 200, NULL, NULL, NULL, "结果名称"},
    {"type", F_WORD, 0, 0, 0, result_types, NULL, NULL, "结果类型"},
    {"sample", F_TEXT, F_NULL, 0, 500, NULL, NULL, NULL, "结果样本"},
    {"delivery", F_ARR, 0, 0, 10, NULL, NULL, &delivery_elem, "领取方式"},
    END,
};
static const struct fdef result_elem = {"", F_OBJ, 0, 0, 0, NULL, result, NULL, "办理结果"};

static const struct fdef intermediary[] = {
    {"name", F_STR, F_REQ, 0, 200, NULL, NULL, NULL, "中介服务名称"},
    {"basis", F_TEXT, F_NULL, 0, 500, NULL, NULL, NULL, "中介服务依据"},
    {"days", F_INT, F_NULL, 0, 3650, NULL, NULL, NULL, "中介服务时限"},
    {"fee", F_TEXT, F_NULL, 0, 200, NULL, NULL, NULL, "中介服务收费"},
    END,
};
static const struct fdef intermediary_elem = {"",   F_OBJ,        0,    0,         0,
                                              NULL, intermediary, NULL, "中介服务"};

static const struct fdef window[] = {
    {"region", F_REGION, F_REQ, 0, 0, NULL, NULL, NULL, "窗口所在区划"},
    {"name", F_STR, F_REQ, 0, 200, NULL, NULL, NULL, "窗口名称"},
    {"address", F_TEXT, F_NULL, 0, 300, NULL, NULL, NULL, "窗口地址"},
    END,
};
static const struct fdef window_elem = {"", F_OBJ, 0, 0, 0, NULL, window, NULL, "通办窗口"};

static const struct fdef cross_region[] = {
    {"scope", F_ARR, 0, 0, 20, NULL, NULL, &str_elem, "通办范围"},
    {"regions", F_ARR, F_REQ, 0, 100, NULL, NULL, &region_elem, "通办区域"},
    {"mode", F_WORD, F_REQ, 0, 0, modes, NULL, NULL, "通办模式"},
    {"kind", F_WORD, F_REQ, 0, 0, cross_kinds, NULL, NULL, "事项类别"},
    {"windows", F_ARR, 0, 0, 100, NULL, NULL, &window_elem, "通办窗口"},
    {"partner_items", F_ARR, 0, 0, 100, NULL, NULL, &str_elem, "协同事项"},
    END,
};

static const struct fdef faq[] = {
    {"q", F_STR, F_REQ, 0, 300, NULL, NULL, NULL, "问题"},
    {"a", F_STR, F_REQ, 0, 2000, NULL, NULL, NULL, "解答"},
    END,
};
static const struct fdef faq_elem = {"", F_OBJ, 0, 0, 0, NULL, faq, NULL, "常见问题"};

const struct fdef catalog__guide_fields[] = {
    {"effective_from", F_DATE, F_NULL, 0, 0, NULL, NULL, NULL, "生效日期"},
    {"effective_to", F_DATE, F_NULL, 0, 0, NULL, NULL, NULL, "失效日期"},
    {"exercise_level", F_WORD, F_NULL, 0, 0, exercise_levels, NULL, NULL, "行使层级"},
    {"agency_nature", F_WORD, F_NULL, 0, 0, natures, NULL, NULL, "实施主体性质"},
    {"audience", F_ARR, 0, 0, 20, NULL, NULL, &str_elem, "服务对象"},
    {"situations", F_ARR, 0, 0, 30, NULL, NULL, &situation_elem, "情形"},
    {"acceptance_conditions", F_ARR, 0, 0, 100, NULL, NULL, &condition_elem, "受理条件"},
    {"steps", F_ARR, 0, 0, 50, NULL, NULL, &step_elem, "办理流程"},
    {"materials", F_ARR, 0, 0, 200, NULL, NULL, &material_elem, "申请材料"},
    {"time_limit", F_OBJ, F_NULL, 0, 0, NULL, time_limit, NULL, "办结时限"},
    {"case_type", F_WORD, F_NULL, 0, 0, case_types, NULL, NULL, "办件类型"},
    {"visits", F_INT, F_NULL, 0, 10, NULL, NULL, NULL, "到现场次数"},
    {"online_depth", F_INT, F_NULL, 1, 4, NULL, NULL, NULL, "网办深度"},
    {"channels", F_ARR, 0, 0, 10, NULL, NULL, &channel_elem, "办理渠道"},
    {"fees", F_ARR, 0, 0, 50, NULL, NULL, &fee_elem, "收费"},
    {"free", F_BOOL, F_NULL, 0, 0, NULL, NULL, NULL, "是否收费"},
    {"locations", F_ARR, 0, 0, 50, NULL, NULL, &location_elem, "办理地点"},
    {"consult_phone", F_PHONE, F_NULL, 0, 0, NULL, NULL, NULL, "咨询电话"},
    {"complaint_phone", F_PHONE, F_NULL, 0, 0, NULL, NULL, NULL, "投诉电话"},
    {"results", F_ARR, 0, 0, 20, NULL, NULL, &result_elem, "办理结果"},
    {"intermediary", F_ARR, 0, 0, 20, NULL, NULL, &intermediary_elem, "中介服务"},
    {"legal_basis", F_ARR, 0, 0, 50, NULL, NULL, &law_elem, "实施依据"},
    {"cross_region", F_OBJ, F_NULL, 0, 0, NULL, cross_region, NULL, "跨省通办"},
    {"faq", F_ARR, 0, 0, 50, NULL, NULL, &faq_elem, "常见问题"},
    END,
};

static const struct fdef guide_elem = {"",   F_OBJ,     F_REQ, 0, 0, NULL, catalog__guide_fields,
                                       NULL, "办事指南"};

static const struct fdef impl[] = {
    {"region", F_REGION, F_REQ, 0, 0, NULL, NULL, NULL, "实施区划"},
    {"agency_name", F_STR, F_REQ, 0, 100, NULL, NULL, NULL, "实施主体名称"},
    {"agency_uscc", F_STR, F_REQ, 0, 18, NULL, NULL, NULL, "实施主体统一社会信用代码"},
    {"guide", F_OBJ, F_REQ, 0, 0, NULL, catalog__guide_fields, NULL, "办事指南"},
    END,
};
static const struct fdef impl_elem = {"", F_OBJ, 0, 0, 0, NULL, impl, NULL, "实施清单"};

static const struct fdef task_fields[] = {
    {"kind", F_WORD, F_REQ, 0, 0, kinds, NULL, NULL, "业务办理项类型"},
    {"seq", F_STR, F_REQ, 0, 2, NULL, NULL, NULL, "业务办理项序号"},
    {"name", F_STR, F_REQ, 0, 200, NULL, NULL, NULL, "业务办理项名称"},
    {"impls", F_ARR, F_REQ, 1, 500, NULL, NULL, &impl_elem, "实施清单"},
    END,
};
static const struct fdef task_elem = {"", F_OBJ, 0, 0, 0, NULL, task_fields, NULL, "业务办理项"};

static const struct fdef subitem[] = {
    {"code", F_STR, F_REQ | F_UNIQUE, 0, 3, NULL, NULL, NULL, "子项编码"},
    {"name", F_STR, F_REQ, 0, 200, NULL, NULL, NULL, "子项名称"},
    {"tasks", F_ARR, F_REQ, 1, 20, NULL, NULL, &task_elem, "业务办理项"},
    END,
};
static const struct fdef subitem_elem = {"", F_OBJ, 0, 0, 0, NULL, subitem, NULL, "子项"};

static const struct fdef item[] = {
    {"basic_code", F_STR, F_REQ, 0, 20, NULL, NULL, NULL, "事项基本编码"},
    {"name", F_STR, F_REQ, 0, 200, NULL, NULL, NULL, "事项名称"},
    {"type", F_WORD, F_REQ, 0, 0, catalog__types, NULL, NULL, "事项类型"},
    {"competent_dept", F_STR, F_REQ, 0, 100, NULL, NULL, NULL, "主管部门"},
    {"basis", F_ARR, 0, 0, 50, NULL, NULL, &law_elem, "设定依据"},
    {"aliases", F_ARR, 0, 0, 50, NULL, NULL, &str_elem, "俗称"},
    {"life_stages", F_ARR, 0, 0, 6, NULL, NULL, &stage_elem, "生命周期阶段"},
    {"subitems", F_ARR, F_REQ, 1, 50, NULL, NULL, &subitem_elem, "子项"},
    END,
};
static const struct fdef item_elem = {"", F_OBJ, F_REQ, 0, 0, NULL, item, NULL, "事项"};

static const char *const roles[] = {"lead", "co", NULL};
static const char *const form_types[] = {"text", "int", "date", "bool", "code", "region", NULL};
static const struct fdef deferred[] = {
    {"when", F_NODE, 0, 0, 0, NULL, NULL, NULL, "延后办理条件"},
    {"reason", F_STR, F_REQ, 0, 200, NULL, NULL, NULL, "延后办理理由"},
    END,
};
static const struct fdef member[] = {
    {"basic_code", F_STR, F_REQ, 0, 20, NULL, NULL, NULL, "事项基本编码"},
    {"kind", F_WORD, F_REQ, 0, 0, kinds, NULL, NULL, "业务办理项类型"},
    {"role", F_WORD, F_REQ, 0, 0, roles, NULL, NULL, "牵头/协同"},
    {"deferred", F_OBJ, F_NULL, 0, 0, NULL, deferred, NULL, "分时分项"},
    {"after", F_ARR, 0, 0, 20, NULL, NULL, &str_elem, "前置事项"},
    END,
};
static const struct fdef member_elem = {"", F_OBJ, 0, 0, 0, NULL, member, NULL, "成员事项"};
static const struct fdef map[] = {
    {"basic_code", F_STR, F_REQ, 0, 20, NULL, NULL, NULL, "事项基本编码"},
    {"field", F_STR, F_REQ, 0, 100, NULL, NULL, NULL, "事项表单字段"},
    END,
};
static const struct fdef map_elem = {"", F_OBJ, 0, 0, 0, NULL, map, NULL, "字段映射"};
static const struct fdef form_field[] = {
    {"field", F_STR, F_REQ | F_UNIQUE, 0, 64, NULL, NULL, NULL, "字段名"},
    {"label", F_STR, F_REQ, 0, 100, NULL, NULL, NULL, "字段名称"},
    {"type", F_WORD, F_REQ, 0, 0, form_types, NULL, NULL, "字段类型"},
    {"required", F_BOOL, 0, 0, 0, NULL, NULL, NULL, "是否必填"},
    {"options", F_ARR, 0, 0, 100, NULL, NULL, &option_elem, "选项"},
    {"maps", F_ARR, 0, 0, 50, NULL, NULL, &map_elem, "字段映射"},
    END,
};
static const struct fdef form_elem = {"", F_OBJ, 0, 0, 0, NULL, form_field, NULL, "表单字段"};
static const struct fdef bundle[] = {
    {"code", F_STR, F_REQ, 0, 40, NULL, NULL, NULL, "一件事编码"},
    {"name", F_STR, F_REQ, 0, 100, NULL, NULL, NULL, "一件事名称"},
    {"life_stage", F_WORD, F_REQ, 0, 0, catalog__stages, NULL, NULL, "生命周期阶段"},
    {"lead_dept", F_STR, F_REQ, 0, 100, NULL, NULL, NULL, "牵头部门"},
    {"co_depts", F_ARR, 0, 0, 30, NULL, NULL, &str_elem, "协同部门"},
    {"aliases", F_ARR, 0, 0, 50, NULL, NULL, &str_elem, "俗称"},
    {"members", F_ARR, F_REQ, 1, 50, NULL, NULL, &member_elem, "成员事项"},
    {"form", F_ARR, 0, 0, 300, NULL, NULL, &form_elem, "一表申请"},
    {"window", F_TEXT, F_NULL, 0, 200, NULL, NULL, NULL, "综合窗口"},
    {"online", F_BOOL, 0, 0, 0, NULL, NULL, NULL, "一网办理"},
    {"single_result", F_BOOL, 0, 0, 0, NULL, NULL, NULL, "统一发证"},
    {"situations", F_ARR, 0, 0, 30, NULL, NULL, &situation_elem, "情形"},
    {"description", F_TEXT, F_NULL, 0, 2000, NULL, NULL, NULL, "说明"},
    END,
};
static const struct fdef bundle_elem = {"", F_OBJ, F_REQ, 0, 0, NULL, bundle, NULL, "一件事"};

/* ---- the checker ----------------------------------------------------------------------- */

struct walk {
    const struct rules_catalog *rules; /* conditions compile against it; NULL: shape only */
    struct err *e;
};

static bool date_ok(const char *s)
{
    int y, m, d;
    char tail;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || s[4] != '-' ||
        s[7] != '-')
        return false;
    if (y < 1949 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31)
        return false;
    int cy, cm, cd;
    time_civil_from_days(time_days_from_civil(y, m, d), &cy, &cm, &cd);
    return cy == y && cm == m && cd == d;
}

static bool phone_ok(const char *s)
{
    int digits = 0;
    for (const unsigned char *q = (const unsigned char *)s; *q; q++) {
        if (*q >= '0' && *q <= '9')
            digits++;
        else if (!strchr("-+() ,;/", *q) && *q < 0x80)
            return false;
    }
    return digits >= 3 && strlen(s) <= 100;
}

/* Compiles a condition at path against w->rules. */
static enum rc node_check(struct walk *w, const json_t *node, const char *path)
{
    if (!w->rules)
        return RC_OK;
    json_t *doc = json_pack("{s:O}", "conditions", node);
    struct rules_policy *pol = NULL;
    struct err ce;
    err_clear(&ce);
    enum rc rc = rules_compile(w->rules, NULL, doc, 1, NULL, &pol, &ce);
    json_decref(doc);
    rules_policy_free(pol);
    if (rc == RC_OK)
        return RC_OK;
    /* rules names "conditions.all[0].fact" and writes "conditions.all[0].fact: 说明";
     * the guide's path replaces "conditions". */
    const char *inner = strncmp(ce.field, "conditions", 10) == 0 ? ce.field + 10 : ce.field;
    const char *msg = ce.msg;
    const char *colon = strstr(msg, ": ");
    if (colon && strncmp(msg, "conditions", 10) == 0)
        msg = colon + 2;
    char full[512];
    snprintf(full, sizeof(full), "%s%s", path, inner);
    err_set(w->e, rc, full, "%s: %s", full, msg);
    return rc;
}

static enum rc check_value(struct walk *w, const json_t *v, const struct fdef *f, const char *path);

static enum rc check_object(struct walk *w, const json_t *v, const struct fdef *fields,
                            const char *label, const char *path)
{
    if (!json_is_object(v))
        return bad(w->e, path, "%s应为对象", label);
    const char *key;
    json_t *m;
    json_t *o = (json_t *)(uintptr_t)v; /* Jansson iterates through non-const pointers. */
    json_object_foreach(o, key, m)
    {
        const struct fdef *f = fields;
        while (f->key && strcmp(f->key, key) != 0)
            f++;
        if (!f->key) {
            char p[400];
            snprintf(p, sizeof(p), "%s%s%s", path, *path ? "." : "", key);
            return bad(w->e, p, "未知字段“%s”", key);
        }
    }
    for (const struct fdef *f = fields; f->key; f++) {
        char p[400];
        snprintf(p, sizeof(p), "%s%s%s", path, *path ? "." : "", f->key);
        const json_t *x = json_object_get(v, f->key);
        if (!x || json_is_null(x)) {
            if (f->flags & F_REQ)
                return bad(w->e, p, "请填写%s", f->label);
            if (x && !(f->flags & F_NULL) && f->type != F_NODE && f->type != F_TEXT &&
                f->type != F_ARR)
                return bad(w->e, p, "%s不能为 null", f->label);
            continue;
        }
        enum rc rc = check_value(w, x, f, p);
        if (rc)
            return rc;
    }
    return RC_OK;
}

/* Checks that member key of the array's objects is unique. */
static enum rc check_unique(struct walk *w, const json_t *arr, const struct fdef *sub,
                            const char *path)
{
    for (const struct fdef *f = sub; f && f->key; f++) {
        if (!(f->flags & F_UNIQUE))
            continue;
        size_t i, j;
        json_t *a, *b;
        json_array_foreach(arr, i, a)
        {
            const char *x = json_string_value(json_object_get(a, f->key));
            for (j = 0; x && j < i; j++) {
                b = json_array_get(arr, j);
                const char *y = json_string_value(json_object_get(b, f->key));
                if (y && strcmp(x, y) == 0) {
                    char p[400];
                    snprintf(p, sizeof(p), "%s[%zu].%s", path, i, f->key);
                    return bad(w->e, p, "%s“%s”重复", f->label, x);
                }
            }
        }
    }
    return RC_OK;
}

static enum rc check_value(struct walk *w, const json_t *v, const struct fdef *f, const char *path)
{
    const char *s = json_string_value(v);
    size_t max = f->max > 0 ? (size_t)f->max : 500;
    switch (f->type) {
    case F_STR:
    case F_TEXT:
        if (!s)
            return bad(w->e, path, "%s应为字符串", f->label);
        if (f->type == F_STR && !*s)
            return bad(w->e, path, "请填写%s", f->label);
        if (!utf8_valid(s, strlen(s)) || utf8_len(s) > max)
            return bad(w->e, path, "%s不能超过 %zu 个字", f->label, max);
        return RC_OK;
    case F_INT:
        if (!json_is_integer(v) || json_integer_value(v) < f->min || json_integer_value(v) > f->max)
            return bad(w->e, path, "%s应为 %lld–%lld 的整数", f->label, (long long)f->min,
                       (long long)f->max);
        return RC_OK;
    case F_BOOL:
        return json_is_boolean(v) ? RC_OK : bad(w->e, path, "%s应为 true 或 false", f->label);
    case F_DATE:
        return s && date_ok(s) ? RC_OK : bad(w->e, path, "%s应为日期 YYYY-MM-DD", f->label);
    case F_PHONE:
        /* An empty column is the lint's finding, not a malformed document. */
        return s && (!*s || phone_ok(s))
                   ? RC_OK
                   : bad(w->e, path, "%s“%s”不是电话号码", f->label, s ? s : "");
    case F_REGION:
        return s && all_digits(s, 6) && codes_region_find(s)
                   ? RC_OK
                   : bad(w->e, path, "%s“%s”不是存在的 GB/T 2260 行政区划代码", f->label,
                         s ? s : "");
    case F_WORD:
        for (int i = 0; s && f->words[i]; i++)
            if (strcmp(s, f->words[i]) == 0)
                return RC_OK;
        {
            char list[300];
            size_t k = 0;
            for (int i = 0; f->words[i] && k < sizeof(list); i++)
                k += (size_t)snprintf(list + k, sizeof(list) - k, "%s%s", i ? "、" : "",
                                      f->words[i]);
            return bad(w->e, path, "%s应为 %s 之一", f->label, list);
        }
    case F_OBJ:
        return check_object(w, v, f->sub, f->label, path);
    case F_NODE:
        if (!json_is_object(v))
            return bad(w->e, path, "%s应为条件对象（规则语言）", f->label);
        return node_check(w, v, path);
    case F_ARR: {
        if (!json_is_array(v))
            return bad(w->e, path, "%s应为数组", f->label);
        if ((int64_t)json_array_size(v) < f->min)
            return bad(w->e, path, "%s至少 %lld 项", f->label, (long long)f->min);
        if ((int64_t)json_array_size(v) > f->max)
            return bad(w->e, path, "%s最多 %lld 项", f->label, (long long)f->max);
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            char p[400];
            snprintf(p, sizeof(p), "%s[%zu]", path, i);
            enum rc rc = check_value(w, x, f->elem, p);
            if (rc)
                return rc;
        }
        return f->elem->type == F_OBJ ? check_unique(w, v, f->elem->sub, path) : RC_OK;
    }
    }
    return RC_OK;
}

/* What the field tables cannot say of a guide: situation ids and options, the time limits,
 * a free guide's fees, partner impl codes. */
static enum rc guide_rules(struct walk *w, const json_t *g, const char *path)
{
    char p[400];
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(g, "situations"), i, s)
    {
        const char *id = json_string_value(json_object_get(s, "id"));
        const char *type = json_string_value(json_object_get(s, "type"));
        bool ok = strncmp(id, "s_", 2) == 0 && strlen(id) > 2;
        for (const char *q = id + 2; ok && *q; q++)
            ok = (*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '_';
        snprintf(p, sizeof(p), "%s%ssituations[%zu].id", path, *path ? "." : "", i);
        if (!ok)
            return bad(w->e, p, "情形编号“%s”应以 s_ 开头，只含小写字母、数字和下划线", id);
        const json_t *opts = json_object_get(s, "options");
        bool is_code = strcmp(type, "code") == 0;
        snprintf(p, sizeof(p), "%s%ssituations[%zu].options", path, *path ? "." : "", i);
        if (is_code && json_array_size(opts) < 2)
            return bad(w->e, p, "选择题情形至少需要 2 个选项");
        if (!is_code && opts && !json_is_null(opts) && json_array_size(opts))
            return bad(w->e, p, "只有 code 类型的情形可以有选项");
        size_t j;
        json_t *o;
        json_array_foreach(opts, j, o)
        {
            if (strchr(json_string_value(json_object_get(o, "value")), ',')) {
                snprintf(p, sizeof(p), "%s%ssituations[%zu].options[%zu].value", path,
                         *path ? "." : "", i, j);
                return bad(w->e, p, "选项值不能含逗号");
            }
        }
    }
    const json_t *tl = json_object_get(g, "time_limit");
    const json_t *legal = json_object_get(tl, "legal_days");
    const json_t *promised = json_object_get(tl, "promised_days");
    if (json_is_integer(legal) && json_is_integer(promised) &&
        json_integer_value(promised) > json_integer_value(legal)) {
        snprintf(p, sizeof(p), "%s%stime_limit.promised_days", path, *path ? "." : "");
        return bad(w->e, p, "承诺办结时限不能长于法定办结时限");
    }
    if (json_is_true(json_object_get(g, "free")) && json_array_size(json_object_get(g, "fees"))) {
        snprintf(p, sizeof(p), "%s%sfees", path, *path ? "." : "");
        return bad(w->e, p, "不收费（free=true）的事项不应列出收费项目");
    }
    const json_t *from = json_object_get(g, "effective_from");
    const json_t *to = json_object_get(g, "effective_to");
    if (json_is_string(from) && json_is_string(to) &&
        strcmp(json_string_value(to), json_string_value(from)) < 0) {
        snprintf(p, sizeof(p), "%s%seffective_to", path, *path ? "." : "");
        return bad(w->e, p, "失效日期早于生效日期");
    }
    json_array_foreach(json_object_get(json_object_get(g, "cross_region"), "partner_items"), i, s)
    {
        struct catalog_codes parts;
        struct err ce;
        err_clear(&ce);
        snprintf(p, sizeof(p), "%s%scross_region.partner_items[%zu]", path, *path ? "." : "", i);
        if (catalog_impl_code_parse(json_string_value(s), &parts, &ce))
            return bad(w->e, p, "%s", ce.msg);
    }
    return RC_OK;
}

static enum rc guide_check_at(const json_t *guide, const struct ent_catalog *ent, const char *path,
                              struct err *e)
{
    struct walk w = {NULL, e};
    enum rc rc = check_value(&w, guide, &guide_elem, path);
    if (rc == RC_OK)
        rc = guide_rules(&w, guide, path);
    if (rc)
        return rc;
    /* The shape holds: compile the conditions over the guide's situations. */
    struct rules_catalog *rcat = catalog_guide_rules(guide, ent);
    w.rules = rcat;
    rc = check_value(&w, guide, &guide_elem, path);
    rules_catalog_free(rcat);
    return rc;
}

enum rc catalog_guide_check(const json_t *guide, const struct ent_catalog *ent, struct err *e)
{
    if (!json_is_object(guide))
        return err_set(e, RC_INVALID, NULL, "guide: 办事指南应为对象");
    return guide_check_at(guide, ent, "", e);
}

enum rc catalog_item_check(const json_t *it, const struct ent_catalog *ent, struct err *e)
{
    struct walk w = {NULL, e};
    enum rc rc = check_value(&w, it, &item_elem, "");
    if (rc)
        return rc;
    const char *basic = json_string_value(json_object_get(it, "basic_code"));
    if (!catalog__basic_code_ok(basic))
        return bad(e, "basic_code", "事项基本编码“%s”格式不正确：应为 6–20 位数字或大写字母",
                   basic);
    size_t i, j, k;
    json_t *sub, *task, *im;
    json_array_foreach(json_object_get(it, "subitems"), i, sub)
    {
        const char *code = json_string_value(json_object_get(sub, "code"));
        char p[400];
        snprintf(p, sizeof(p), "subitems[%zu].code", i);
        if (!all_digits(code, 3))
            return bad(e, p, "子项编码“%s”应为 3 位数字", code);
        json_array_foreach(json_object_get(sub, "tasks"), j, task)
        {
            const char *seq = json_string_value(json_object_get(task, "seq"));
            const char *kind = json_string_value(json_object_get(task, "kind"));
            snprintf(p, sizeof(p), "subitems[%zu].tasks[%zu].seq", i, j);
            if (!all_digits(seq, 2))
                return bad(e, p, "业务办理项序号“%s”应为 2 位数字", seq);
            for (size_t t = 0; t < j; t++) {
                json_t *o = json_array_get(json_object_get(sub, "tasks"), t);
                if (strcmp(json_string_value(json_object_get(o, "kind")), kind) == 0 &&
                    strcmp(json_string_value(json_object_get(o, "seq")), seq) == 0)
                    return bad(e, p, "业务办理项 %s-%s 重复", kind, seq);
            }
            json_array_foreach(json_object_get(task, "impls"), k, im)
            {
                struct catalog_codes parts;
                memset(&parts, 0, sizeof(parts));
                snprintf(parts.basic_code, sizeof(parts.basic_code), "%s", basic);
                snprintf(parts.subitem_code, sizeof(parts.subitem_code), "%s", code);
                snprintf(parts.region, sizeof(parts.region), "%s",
                         json_string_value(json_object_get(im, "region")));
                snprintf(parts.agency_uscc, sizeof(parts.agency_uscc), "%s",
                         json_string_value(json_object_get(im, "agency_uscc")));
                snprintf(parts.kind, sizeof(parts.kind), "%s", kind);
                snprintf(parts.seq, sizeof(parts.seq), "%s", seq);
                char ic[CATALOG_IMPL_CODE_MAX];
                snprintf(p, sizeof(p), "subitems[%zu].tasks[%zu].impls[%zu]", i, j, k);
                rc = catalog_impl_code(&parts, ic, e);
                if (rc) {
                    char full[512];
                    snprintf(full, sizeof(full), "%s.%s", p, e->field);
                    return bad(e, full, "%s", e->msg);
                }
                for (size_t t = 0; t < k; t++) {
                    json_t *o = json_array_get(json_object_get(task, "impls"), t);
                    if (strcmp(json_string_value(json_object_get(o, "region")), parts.region) ==
                            0 &&
                        strcmp(json_string_value(json_object_get(o, "agency_uscc")),
                               parts.agency_uscc) == 0)
                        return bad(e, p, "同一区划、同一实施主体的实施清单重复");
                }
                char gp[512];
                snprintf(gp, sizeof(gp), "%s.guide", p);
                rc = guide_check_at(json_object_get(im, "guide"), ent, gp, e);
                if (rc)
                    return rc;
            }
        }
    }
    return RC_OK;
}

enum rc catalog_bundle_check(const json_t *b, const struct ent_catalog *ent, struct err *e)
{
    struct walk w = {NULL, e};
    enum rc rc = check_value(&w, b, &bundle_elem, "");
    if (rc == RC_OK)
        rc = guide_rules(&w, b, "");
    if (rc)
        return rc;
    const char *code = json_string_value(json_object_get(b, "code"));
    for (const char *q = code; *q; q++)
        if (!((*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '-'))
            return bad(e, "code", "一件事编码“%s”只能含大写字母、数字和连字符", code);
    size_t i, n_lead = 0;
    json_t *m;
    json_array_foreach(json_object_get(b, "members"), i, m)
    {
        char p[64];
        snprintf(p, sizeof(p), "members[%zu].basic_code", i);
        if (!catalog__basic_code_ok(json_string_value(json_object_get(m, "basic_code"))))
            return bad(e, p, "事项基本编码格式不正确");
        n_lead += strcmp(json_string_value(json_object_get(m, "role")), "lead") == 0;
    }
    if (n_lead != 1)
        return bad(e, "members", "一件事须有且只有一个牵头事项（role=lead）");
    struct rules_catalog *rcat = catalog_guide_rules(b, ent);
    w.rules = rcat;
    rc = check_value(&w, b, &bundle_elem, "");
    rules_catalog_free(rcat);
    return rc;
}
