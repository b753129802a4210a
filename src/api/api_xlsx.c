/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_xlsx: Excel for every list and statistics route, in one place.
 *
 * Export: the same URL with ?format=xlsx answers an .xlsx workbook (libxlsxwriter) instead
 * of JSON. api_routes_for points each route named in the table below at api_xlsx_route,
 * which calls the route's own handler unchanged for any other request. For an export it
 * calls that handler page after page (limit 500, the cursor of the previous page, format
 * removed: http_query_set) under the caller's own identity, so the filters, the scope and
 * the masking of personal data are exactly the screen's, and writes each row as it comes:
 * Chinese headers, codes as their Chinese names, dates as dates, money (fen) as yuan with
 * a number format. At most API_XLSX_MAX_ROWS rows: past that the sheet ends with a row
 * saying so and the answer carries X-Export-Truncated.
 *
 * Import: api_import_body gives an import handler its body as CSV, converting an .xlsx
 * upload with base/xlsx_read, so the importers read Excel through their CSV path.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "../base/log.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../base/xlsx_read.h"
#include "../category/category.h"
#include "../store/store.h"
#include "api.h"
#include "api_int.h"
#include "api_kit.h"

#define XLSX_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

/* How a column's value is written. */
enum col_type {
    C_TEXT,     /* a string (numbers written as text too) */
    C_INT,      /* an integer or a decimal string of one */
    C_MONEY,    /* fen -> yuan, "#,##0.00" */
    C_DATE,     /* "YYYY-MM-DD..." -> a date */
    C_DATETIME, /* RFC 3339 in Beijing time -> a date and time */
    C_BOOL,     /* 是 / 否 */
    C_LIST,     /* an array of strings joined by "、" */
    C_CATEGORY, /* a demand category's code -> its name (the categories' tree) */
};

/* One column: the member (a dotted path "org.name"), its header, its type and, for a
 * code, its Chinese names as {code, name} pairs ending with NULL. */
struct col {
    const char *key;
    const char *header;
    enum col_type type;
    const char *const *names;
    double width;
};

/* One exportable route. */
struct xspec {
    const char *pattern; /* the GET route */
    const char *title;   /* file name and sheet name */
    const struct col *cols;
    size_t n_cols;
    const char *rows;  /* the member holding the rows ("items") */
    const char *total; /* the member holding the total row, "." for the answer itself */
    const char *dyn;   /* the member listing more integer columns as {key, label} */
    /* Rows chosen by a parameter: ?by=org reads member "by_org" (default by_policy). */
    const char *by_param, *by_default;
};

static const char *const urgency_names[] = {"normal",   "一般", "urgent", "紧急",
                                            "critical", "特急", NULL};
static const char *const channel_names[] = {"web",     "网上",       "window",  "窗口",
                                            "hotline", "12345 热线", "open311", "Open311",
                                            "api",     "接口",       NULL};
static const char *const light_names[] = {"none", "",    "green", "绿灯", "yellow",
                                          "黄灯", "red", "红灯",  NULL};
static const char *const delivery_names[] = {"mian_shen", "免申即享", "ji_shen", "即申即享",
                                             "shen_bao",  "申报审批", NULL};
static const char *const notice_kind_names[] = {"overdue", "超期提醒", NULL};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct col demand_cols[] = {
    {"no", "诉求编号", C_TEXT, NULL, 22},
    {"title", "标题", C_TEXT, NULL, 36},
    {"enterprise_name", "企业名称", C_TEXT, NULL, 30},
    {"credit_code", "统一社会信用代码", C_TEXT, NULL, 22},
    {"category", "类别", C_CATEGORY, NULL, 12},
    {"urgency", "紧急程度", C_TEXT, urgency_names, 10},
    {"channel", "渠道", C_TEXT, channel_names, 10},
    {"state_label", "状态", C_TEXT, NULL, 12},
    {"light", "时限", C_TEXT, light_names, 8},
    {"due", "办理时限", C_DATETIME, NULL, 18},
    {"created_at", "提交时间", C_DATETIME, NULL, 18},
    {"external_id", "工单编号", C_TEXT, NULL, 18},
};
static const struct col enterprise_cols[] = {
    {"credit_code", "统一社会信用代码", C_TEXT, NULL, 22},
    {"name", "企业名称", C_TEXT, NULL, 34},
    {"region_name", "所在地区", C_TEXT, NULL, 24},
    {"industry_name", "行业", C_TEXT, NULL, 20},
    {"scale_label", "规模", C_TEXT, NULL, 8},
    {"founded", "成立日期", C_DATE, NULL, 12},
    {"registered_capital", "注册资本（元）", C_MONEY, NULL, 16},
    {"legal_rep", "法定代表人", C_TEXT, NULL, 12},
};
static const struct col grant_cols[] = {
    {"id", "兑现编号", C_INT, NULL, 10},
    {"policy_title", "政策", C_TEXT, NULL, 30},
    {"enterprise_name", "企业名称", C_TEXT, NULL, 30},
    {"credit_code", "统一社会信用代码", C_TEXT, NULL, 22},
    {"region_name", "所在地区", C_TEXT, NULL, 22},
    {"org_name", "发布部门", C_TEXT, NULL, 18},
    {"state_label", "状态", C_TEXT, NULL, 10},
    {"amount", "核定金额（元）", C_MONEY, NULL, 14},
    {"paid_amount", "拨付金额（元）", C_MONEY, NULL, 14},
    {"paid_on", "拨付日期", C_DATE, NULL, 12},
    {"created_at", "生成时间", C_DATETIME, NULL, 18},
};
static const struct col application_cols[] = {
    {"id", "申请编号", C_INT, NULL, 10},
    {"policy_title", "政策", C_TEXT, NULL, 30},
    {"delivery", "兑现方式", C_TEXT, delivery_names, 10},
    {"enterprise_name", "企业名称", C_TEXT, NULL, 30},
    {"credit_code", "统一社会信用代码", C_TEXT, NULL, 22},
    {"state_label", "状态", C_TEXT, NULL, 10},
    {"amount", "金额（元）", C_MONEY, NULL, 14},
    {"submitted_at", "提交时间", C_DATETIME, NULL, 18},
    {"decided_at", "办结时间", C_DATETIME, NULL, 18},
    {"reason", "意见", C_TEXT, NULL, 24},
};
static const struct col policy_cols[] = {
    {"id", "政策编号", C_INT, NULL, 10},
    {"title", "政策名称", C_TEXT, NULL, 36},
    {"doc_no", "文号", C_TEXT, NULL, 24},
    {"org.name", "发布部门", C_TEXT, NULL, 18},
    {"delivery_label", "兑现方式", C_TEXT, NULL, 10},
    {"category", "类别", C_CATEGORY, NULL, 12},
    {"state_label", "状态", C_TEXT, NULL, 8},
    {"valid_from", "有效期起", C_DATE, NULL, 12},
    {"valid_to", "有效期止", C_DATE, NULL, 12},
    {"tags", "标签", C_LIST, NULL, 20},
};
static const struct col notice_cols[] = {
    {"created_at", "时间", C_DATETIME, NULL, 18}, {"kind", "类型", C_TEXT, notice_kind_names, 10},
    {"title", "标题", C_TEXT, NULL, 36},          {"body", "内容", C_TEXT, NULL, 40},
    {"demand_no", "诉求编号", C_TEXT, NULL, 22},
};
static const struct col audit_cols[] = {
    {"seq", "序号", C_INT, NULL, 8},       {"at", "时间", C_DATETIME, NULL, 18},
    {"actor", "操作人", C_TEXT, NULL, 18}, {"org", "机构", C_TEXT, NULL, 16},
    {"action", "操作", C_TEXT, NULL, 20},  {"entity", "对象类型", C_TEXT, NULL, 12},
    {"id", "对象编号", C_TEXT, NULL, 10},
};
static const struct col user_cols[] = {
    {"username", "用户名", C_TEXT, NULL, 14},          {"display_name", "姓名", C_TEXT, NULL, 14},
    {"role_label", "角色", C_TEXT, NULL, 14},          {"org", "机构代码", C_TEXT, NULL, 16},
    {"credit_code", "企业信用代码", C_TEXT, NULL, 22}, {"disabled", "已停用", C_BOOL, NULL, 8},
};
static const struct col org_cols[] = {
    {"code", "机构代码", C_TEXT, NULL, 16},       {"name", "机构名称", C_TEXT, NULL, 30},
    {"kind_label", "类型", C_TEXT, NULL, 10},     {"region", "行政区划代码", C_TEXT, NULL, 14},
    {"parent", "上级机构代码", C_TEXT, NULL, 16},
};
static const struct col category_cols[] = {
    {"code", "类别代码", C_TEXT, NULL, 14},
    {"name", "类别名称", C_TEXT, NULL, 20},
    {"kind_label", "性质", C_TEXT, NULL, 10},
    {"parent", "上级类别", C_TEXT, NULL, 14},
    {"active", "启用", C_BOOL, NULL, 8},
    {"limits.normal.sign_hours", "签收时限（小时）", C_INT, NULL, 14},
    {"limits.normal.reply_days", "答复时限（工作日）", C_INT, NULL, 16},
};
static const struct col apikey_cols[] = {
    {"id", "编号", C_INT, NULL, 8},
    {"name", "名称", C_TEXT, NULL, 20},
    {"org", "机构代码", C_TEXT, NULL, 16},
    {"prefix", "前缀", C_TEXT, NULL, 12},
    {"created_at", "创建时间", C_DATETIME, NULL, 18},
};
static const struct col run_cols[] = {
    {"id", "运行编号", C_INT, NULL, 10},
    {"state", "状态", C_TEXT, NULL, 10},
    {"total", "待评估企业", C_INT, NULL, 12},
    {"done", "已评估", C_INT, NULL, 10},
    {"count", "匹配企业", C_INT, NULL, 10},
    {"amount_total", "核定金额（元）", C_MONEY, NULL, 16},
    {"started_by", "发起人", C_TEXT, NULL, 12},
    {"created_at", "发起时间", C_DATETIME, NULL, 18},
    {"finished_at", "完成时间", C_DATETIME, NULL, 18},
};
static const struct col demand_stats_cols[] = {
    {"org.code", "机构代码", C_TEXT, NULL, 16},
    {"org.name", "机构名称", C_TEXT, NULL, 26},
};
static const struct col light_cols[] = {
    {"org.code", "机构代码", C_TEXT, NULL, 16}, {"org.name", "机构名称", C_TEXT, NULL, 26},
    {"open", "在办", C_INT, NULL, 8},           {"green", "绿灯", C_INT, NULL, 8},
    {"yellow", "黄灯", C_INT, NULL, 8},         {"red", "红灯", C_INT, NULL, 8},
};
static const struct col policy_stats_cols[] = {
    {"key", "代码", C_TEXT, NULL, 16},
    {"name", "名称", C_TEXT, NULL, 30},
    {"matched", "匹配/核定笔数", C_INT, NULL, 14},
    {"amount", "核定金额（元）", C_MONEY, NULL, 16},
    {"confirmed", "已确认笔数", C_INT, NULL, 12},
    {"declined", "放弃笔数", C_INT, NULL, 10},
    {"paid", "已拨付笔数", C_INT, NULL, 12},
    {"paid_amount", "拨付金额（元）", C_MONEY, NULL, 16},
    {"applications.submitted", "申请待审核", C_INT, NULL, 12},
    {"applications.more_info", "申请待补充", C_INT, NULL, 12},
    {"applications.approved", "申请已通过", C_INT, NULL, 12},
    {"applications.rejected", "申请未通过", C_INT, NULL, 12},
    {"applications.withdrawn", "申请已撤回", C_INT, NULL, 12},
};

static const struct col cross_region_cols[] = {
    {"scope", "通办范围", C_TEXT, NULL, 22}, {"mode_label", "通办模式", C_TEXT, NULL, 14},
    {"items", "事项数", C_INT, NULL, 10},    {"handle", "办理类", C_INT, NULL, 10},
    {"query", "查询类", C_INT, NULL, 10},
};
/* The 办事指南 catalogue (issue 18): its published items and the departments' guide quality. */
static const char *const catalog_type_names[] = {
    "xk", "行政许可", "qr", "行政确认", "gf", "行政给付",     "zs", "行政征收", "jl", "行政奖励",
    "cj", "行政裁决", "jc", "行政检查", "qt", "其他行政权力", "gg", "公共服务", NULL};
static const char *const cross_mode_names[] = {"online", "全程网办", "proxy", "异地代收代办",
                                               "joint",  "多地联办", NULL};
static const struct col service_item_cols[] = {
    {"impl_code", "实施编码", C_TEXT, NULL, 46},
    {"item_name", "事项名称", C_TEXT, NULL, 26},
    {"name", "业务办理项", C_TEXT, NULL, 30},
    {"type", "事项类型", C_TEXT, catalog_type_names, 12},
    {"dept", "主管部门", C_TEXT, NULL, 22},
    {"agency_name", "实施主体", C_TEXT, NULL, 28},
    {"region", "行政区划代码", C_TEXT, NULL, 12},
    {"online_depth", "网办深度", C_INT, NULL, 10},
    {"visits", "到现场次数", C_INT, NULL, 10},
    {"promised_days", "承诺时限（工作日）", C_INT, NULL, 16},
    {"cross_mode", "跨省通办模式", C_TEXT, cross_mode_names, 14},
};
static const struct col catalog_quality_cols[] = {
    {"dept", "部门", C_TEXT, NULL, 24},         {"guides", "指南数", C_INT, NULL, 10},
    {"clean", "无问题的指南", C_INT, NULL, 14}, {"errors", "问题数", C_INT, NULL, 10},
    {"warnings", "提示数", C_INT, NULL, 10},    {"score", "质量分", C_INT, NULL, 10},
};
#define EXPORT(p, t, c) .pattern = (p), .title = (t), .cols = (c), .n_cols = N(c)
static const struct xspec xspecs[] = {
    {EXPORT("/api/v1/demands", "诉求清单", demand_cols)},
    {EXPORT("/api/v1/enterprises", "企业名录", enterprise_cols)},
    {EXPORT("/api/v1/grants", "政策兑现清单", grant_cols)},
    {EXPORT("/api/v1/applications", "政策申请清单", application_cols)},
    {EXPORT("/api/v1/policies", "政策清单", policy_cols)},
    {EXPORT("/api/v1/policies/{id}/runs", "免申即享匹配记录", run_cols)},
    {EXPORT("/api/v1/notices", "通知清单", notice_cols)},
    {EXPORT("/api/v1/audit", "审计日志", audit_cols)},
    {EXPORT("/api/v1/users", "用户清单", user_cols)},
    {EXPORT("/api/v1/apikeys", "API密钥清单", apikey_cols)},
    {EXPORT("/api/v1/orgs", "机构清单", org_cols)},
    {EXPORT("/api/v1/categories", "诉求类别", category_cols)},
    {EXPORT("/api/v1/stats/demands", "诉求办理统计", demand_stats_cols), .total = "total",
     .dyn = "columns"},
    {EXPORT("/api/v1/stats/demand-lights", "在办诉求亮灯统计", light_cols), .total = "."},
    {EXPORT("/api/v1/stats/demand-ranking", "承办单位排名通报", demand_stats_cols),
     .dyn = "columns"},
    {EXPORT("/api/v1/stats/policies", "政策兑现统计", policy_stats_cols), .total = "total",
     .by_param = "by", .by_default = "policy"},
    {EXPORT("/api/v1/catalog/cross-region", "跨省通办事项统计", cross_region_cols),
     .total = "total"},
    {EXPORT("/api/v1/service-items", "办事指南事项清单", service_item_cols)},
    {EXPORT("/api/v1/catalog/quality", "办事指南质量", catalog_quality_cols), .total = "total"},
};

/* The route handlers the xspecs wrap, by index of xspecs[] (set once, api_xlsx_wrap). */
static http_handler_fn inner[N(xspecs)];

/* ---- values --------------------------------------------------------------------- */

/* The member at the dotted path key of o, or NULL. */
static json_t *member(json_t *o, const char *key)
{
    char part[64];
    while (o && key) {
        const char *dot = strchr(key, '.');
        size_t n = dot ? (size_t)(dot - key) : strlen(key);
        if (n >= sizeof(part))
            return NULL;
        memcpy(part, key, n);
        part[n] = '\0';
        o = json_object_get(o, part);
        key = dot ? dot + 1 : NULL;
    }
    return o;
}

/* Parses "YYYY-MM-DD[THH:MM[:SS]]..." (the wall time as written: the API's times are
 * Beijing time) into dt; false when it is not one. */
static bool parse_dt(const char *s, bool with_time, lxw_datetime *dt)
{
    int y, mo, d, h = 0, mi = 0, n = 0;
    double sec = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        return false;
    if (with_time && (s[10] == 'T' || s[10] == ' '))
        if (sscanf(s + 11, "%2d:%2d:%lf", &h, &mi, &sec) < 2)
            return false;
    if (y < 1900 || mo < 1 || mo > 12 || d < 1 || d > 31)
        return false;
    *dt = (lxw_datetime){y, (uint8_t)mo, (uint8_t)d, (uint8_t)h, (uint8_t)mi, (int)sec};
    return true;
}

/* Formats shared by the cells of one workbook. */
struct fmts {
    lxw_format *head, *date, *datetime, *money, *note;
    json_t *categories; /* {code: name} for C_CATEGORY columns, or NULL */
};

/* The Chinese name of code in names, or code itself. */
static const char *name_of(const char *const *names, const char *code)
{
    for (size_t i = 0; names && names[i]; i += 2)
        if (strcmp(names[i], code) == 0)
            return names[i + 1];
    return code;
}

/* Writes one cell; a missing or null value leaves it empty. */
static void put_cell(lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, const struct col *c,
                     json_t *v, const struct fmts *f)
{
    if (!v || json_is_null(v))
        return;
    lxw_datetime dt;
    const char *s = json_string_value(v);
    switch (c->type) {
    case C_INT:
    case C_MONEY:
        if (json_is_number(v) || (s && *s && strspn(s, "-0123456789") == strlen(s))) {
            double x = json_is_number(v) ? json_number_value(v) : strtod(s, NULL);
            if (c->type == C_MONEY)
                worksheet_write_number(ws, row, col, x / 100.0, f->money);
            else
                worksheet_write_number(ws, row, col, x, NULL);
            return;
        }
        break;
    case C_DATE:
    case C_DATETIME:
        if (s && parse_dt(s, c->type == C_DATETIME, &dt)) {
            worksheet_write_datetime(ws, row, col, &dt, c->type == C_DATE ? f->date : f->datetime);
            return;
        }
        break;
    case C_BOOL:
        if (json_is_boolean(v)) {
            worksheet_write_string(ws, row, col, json_is_true(v) ? "是" : "否", NULL);
            return;
        }
        break;
    case C_LIST:
        if (json_is_array(v)) {
            struct buf b;
            buf_init(&b, 1u << 16);
            size_t i;
            json_t *x;
            bool ok = true;
            json_array_foreach(v, i, x)
            {
                if (json_is_string(x))
                    ok = ok && buf_puts(&b, i ? "、" : "") == RC_OK &&
                         buf_puts(&b, json_string_value(x)) == RC_OK;
            }
            worksheet_write_string(ws, row, col, buf_str(&b), NULL);
            buf_cleanup(&b);
            return;
        }
        break;
    case C_CATEGORY:
        if (s && json_is_string(json_object_get(f->categories, s))) {
            worksheet_write_string(ws, row, col,
                                   json_string_value(json_object_get(f->categories, s)), NULL);
            return;
        }
        break;
    case C_TEXT:
        break;
    }
    char num[32];
    if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
        s = num;
    } else if (json_is_real(v)) {
        snprintf(num, sizeof(num), "%g", json_real_value(v));
        s = num;
    } else if (json_is_boolean(v)) {
        s = json_is_true(v) ? "是" : "否";
    }
    if (s && *s)
        worksheet_write_string(ws, row, col, name_of(c->names, s), NULL);
}

/* ---- the export ------------------------------------------------------------------ */

/* Adds {code: name} of every category under tree to names. */
static void flatten(json_t *tree, json_t *names, int depth)
{
    size_t i;
    json_t *c;
    json_array_foreach(tree, i, c)
    {
        const char *code = json_string_value(json_object_get(c, "code"));
        json_t *name = json_object_get(c, "name");
        if (code && json_is_string(name))
            json_object_set(names, code, name);
        if (depth < 8)
            flatten(json_object_get(c, "children"), names, depth + 1);
    }
}

/* The names of the demand categories when a column of x shows one (else NULL). */
static enum rc category_names(struct http_req *req, const struct xspec *x, json_t **out,
                              struct err *e)
{
    *out = NULL;
    bool need = false;
    for (size_t i = 0; i < x->n_cols; i++)
        need |= x->cols[i].type == C_CATEGORY;
    if (!need)
        return RC_OK;
    struct conn *c;
    json_t *tree = NULL;
    enum rc rc = api_conn(req, &c, e);
    if (rc)
        return rc;
    rc = category_tree(c, true, &tree, e);
    store_release(c);
    if (rc)
        return rc;
    *out = json_object();
    flatten(tree, *out, 0);
    json_decref(tree);
    return RC_OK;
}

/* A sheet being written: its columns (the table's, then the answer's dynamic ones). */
struct sheet {
    lxw_workbook *wb;
    lxw_worksheet *ws;
    struct fmts f;
    struct col *cols;
    size_t n_cols;
    lxw_row_t row;
    bool headed;
};

static void write_header(struct sheet *sh)
{
    for (size_t i = 0; i < sh->n_cols; i++) {
        worksheet_set_column(sh->ws, (lxw_col_t)i, (lxw_col_t)i,
                             sh->cols[i].width > 0 ? sh->cols[i].width : 12, NULL);
        worksheet_write_string(sh->ws, 0, (lxw_col_t)i, sh->cols[i].header, sh->f.head);
    }
    worksheet_freeze_panes(sh->ws, 1, 0);
    sh->row = 1;
    sh->headed = true;
}

/* Takes the dynamic columns of the first answer (a statistics route's "columns"). */
static void add_dynamic(struct sheet *sh, const struct xspec *x, json_t *answer)
{
    json_t *dyn = x->dyn ? json_object_get(answer, x->dyn) : NULL;
    size_t n = json_array_size(dyn);
    sh->cols = xcalloc(x->n_cols + n, sizeof(*sh->cols));
    memcpy(sh->cols, x->cols, x->n_cols * sizeof(*sh->cols));
    sh->n_cols = x->n_cols;
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_array_get(dyn, i);
        const char *key = json_string_value(json_object_get(c, "key"));
        const char *label = json_string_value(json_object_get(c, "label"));
        if (key && label)
            sh->cols[sh->n_cols++] = (struct col){key, label, C_INT, NULL, 12};
    }
}

/* Writes item, then its "children" (a tree such as the categories), depth first; depth
 * -1 is the total row, labelled 合计 in its first column. */
static void write_row(struct sheet *sh, json_t *item, int depth)
{
    for (size_t i = 0; i < sh->n_cols; i++)
        if (depth < 0 && i == 0)
            worksheet_write_string(sh->ws, sh->row, 0, "合计", sh->f.head);
        else
            put_cell(sh->ws, sh->row, (lxw_col_t)i, &sh->cols[i], member(item, sh->cols[i].key),
                     &sh->f);
    sh->row++;
    json_t *kids = json_object_get(item, "children"), *kid;
    size_t i;
    if (depth < 8)
        json_array_foreach(kids, i, kid)
        {
            if (sh->row <= API_XLSX_MAX_ROWS)
                write_row(sh, kid, depth + 1);
        }
}

/* Percent-encodes s for a filename*= parameter (RFC 5987: attr-char stays). */
static char *pct_encode(struct http_req *req, const char *s)
{
    size_t n = strlen(s);
    char *out = pool_alloc(&req->pool, 3 * n + 1), *o = out;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("!#$&+-.^_`|~", *p))
            *o++ = (char)*p;
        else {
            static const char hex[] = "0123456789ABCDEF";
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

/* Reads the file at path into resp's body. */
static enum rc slurp(const char *path, struct http_resp *resp, struct err *e)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return err_set(e, RC_IO, NULL, "生成 Excel 文件失败");
    char chunk[65536];
    size_t got;
    enum rc rc = RC_OK;
    while (rc == RC_OK && (got = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        rc = buf_append(&resp->body, chunk, got);
    if (ferror(fp) && rc == RC_OK)
        rc = err_set(e, RC_IO, NULL, "生成 Excel 文件失败");
    fclose(fp);
    if (rc == RC_TOOLARGE)
        err_set(e, rc, NULL, "导出的 Excel 文件过大，请缩小筛选范围");
    return rc;
}

static enum rc export_all(struct http_req *req, struct http_resp *resp, const struct xspec *x,
                          http_handler_fn fn, struct err *e)
{
    char path[64];
    snprintf(path, sizeof(path), "/tmp/qifu-export-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return err_set(e, RC_IO, NULL, "生成 Excel 文件失败（临时文件）");
    close(fd);
    lxw_workbook_options opt = {.constant_memory = LXW_TRUE, .tmpdir = "/tmp"};
    struct sheet sh = {.wb = workbook_new_opt(path, &opt)};
    enum rc rc = RC_OK;
    bool truncated = false;
    if (!sh.wb) {
        rc = err_set(e, RC_IO, NULL, "生成 Excel 文件失败");
        goto out;
    }
    sh.ws = workbook_add_worksheet(sh.wb, x->title);
    sh.f.head = workbook_add_format(sh.wb);
    format_set_bold(sh.f.head);
    format_set_bg_color(sh.f.head, 0xE8EEF7);
    sh.f.date = workbook_add_format(sh.wb);
    format_set_num_format(sh.f.date, "yyyy-mm-dd");
    sh.f.datetime = workbook_add_format(sh.wb);
    format_set_num_format(sh.f.datetime, "yyyy-mm-dd hh:mm");
    sh.f.money = workbook_add_format(sh.wb);
    format_set_num_format(sh.f.money, "#,##0.00");
    if ((rc = category_names(req, x, &sh.f.categories, e)))
        goto out;
    sh.f.note = workbook_add_format(sh.wb);
    format_set_font_color(sh.f.note, LXW_COLOR_RED);
    /* The rows' member: "items", or by_<?by=> of a statistics route. */
    char rows_key[40] = "items";
    if (x->by_param) {
        const char *by = http_query(req, x->by_param);
        snprintf(rows_key, sizeof(rows_key), "by_%s", by && *by ? by : x->by_default);
    }
    static const char limit[] = "500";
    http_query_set(req, "format", NULL);
    http_query_set(req, "limit", limit);
    const char *cursor = http_query(req, "cursor");
    for (;;) {
        struct http_resp page = {0};
        buf_init(&page.body, (size_t)64 << 20);
        rc = fn(req, &page, e);
        http_returned(req);
        /* Some lists write their JSON as text (demands): parse it back. */
        if (rc == RC_OK && !page.json && buf_len(&page.body))
            page.json = json_loadb(buf_str(&page.body), buf_len(&page.body), 0, NULL);
        buf_cleanup(&page.body);
        if (rc == RC_OK && (!page.json || (page.status && page.status != 200)))
            rc = err_set(e, RC_INTERNAL, NULL, "该列表无法导出 Excel");
        if (rc) {
            json_decref(page.json);
            goto out;
        }
        if (!sh.headed) {
            add_dynamic(&sh, x, page.json);
            write_header(&sh);
        }
        json_t *items = json_object_get(page.json, rows_key), *it;
        size_t i;
        json_array_foreach(items, i, it)
        {
            if (sh.row > API_XLSX_MAX_ROWS) {
                truncated = true;
                break;
            }
            write_row(&sh, it, 0);
        }
        if (x->total && !truncated)
            write_row(&sh,
                      strcmp(x->total, ".") == 0 ? page.json : json_object_get(page.json, x->total),
                      -1);
        const char *next = json_string_value(json_object_get(page.json, "next_cursor"));
        if (!truncated && next && *next && (!cursor || strcmp(next, cursor) != 0)) {
            char *copy = pool_alloc(&req->pool, strlen(next) + 1);
            memcpy(copy, next, strlen(next) + 1);
            cursor = copy;
            http_query_set(req, "cursor", cursor);
            json_decref(page.json);
            continue;
        }
        json_decref(page.json);
        break;
    }
    if (truncated) {
        char note[160];
        snprintf(note, sizeof(note), "（仅导出前 %d 行；请缩小筛选范围后分批导出）",
                 API_XLSX_MAX_ROWS);
        worksheet_write_string(sh.ws, sh.row, 0, note, sh.f.note);
        http_resp_header(req, resp, "X-Export-Truncated", "true");
    }
    lxw_error le = workbook_close(sh.wb);
    sh.wb = NULL;
    if (le != LXW_NO_ERROR) {
        log_error("export: libxlsxwriter: %s", lxw_strerror(le));
        rc = err_set(e, RC_IO, NULL, "生成 Excel 文件失败");
        goto out;
    }
    if ((rc = slurp(path, resp, e)))
        goto out;
    char now[40], name[160];
    time_fmt_cst(time_now_ms(), now, sizeof(now));
    snprintf(name, sizeof(name), "%s-%.10s.xlsx", x->title, now);
    const char *enc = pct_encode(req, name);
    size_t n = strlen(enc) + 80;
    char *cd = pool_alloc(&req->pool, n);
    snprintf(cd, n, "attachment; filename=\"export.xlsx\"; filename*=UTF-8''%s", enc);
    resp->content_type = XLSX_TYPE;
    http_resp_header(req, resp, "Content-Disposition", cd);
out:
    if (sh.wb) { /* an error mid-way: the half-written workbook goes */
        workbook_close(sh.wb);
    }
    xfree(sh.cols);
    json_decref(sh.f.categories);
    unlink(path);
    return rc;
}

/* Which export serves the route of req, or -1. */
static int export_of(const char *pattern)
{
    for (size_t i = 0; i < N(xspecs); i++)
        if (strcmp(xspecs[i].pattern, pattern) == 0)
            return (int)i;
    return -1;
}

static enum rc api_xlsx_route(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int i = export_of(req->route->pattern);
    if (i < 0 || !inner[i]) /* cannot happen: api_xlsx_wrap set fn only for these */
        return err_set(e, RC_INTERNAL, NULL, "导出配置错误");
    const char *format = http_query(req, "format");
    if (format && strcmp(format, "xlsx") == 0)
        return export_all(req, resp, &xspecs[i], inner[i], e);
    return inner[i](req, resp, e);
}

void api_xlsx_wrap(struct http_route *routes, size_t n)
{
    for (size_t r = 0; r < n; r++) {
        if (routes[r].method != HTTP_GET || routes[r].fn == api_xlsx_route)
            continue;
        int i = export_of(routes[r].pattern);
        if (i < 0)
            continue;
        inner[i] = routes[r].fn; /* the same function for every server of the process */
        routes[r].fn = api_xlsx_route;
    }
}

bool api_xlsx_exports(const char *pattern)
{
    return export_of(pattern) >= 0;
}

/* ---- import ---------------------------------------------------------------------- */

static void free_text(void *p)
{
    xfree(p);
}

enum rc api_import_body(struct http_req *req, const char **data, size_t *n, bool *from_xlsx,
                        struct err *e)
{
    const char *ct = http_header(req, "Content-Type");
    *data = req->body;
    *n = req->body_len;
    *from_xlsx = false;
    /* The .xlsx type, or a generic one whose bytes are a zip archive (what a browser
     * sends for a file it has no type for); anything else is left to the CSV path. */
    bool typed = ct && strncasecmp(ct, XLSX_TYPE, strlen(XLSX_TYPE)) == 0;
    bool generic = ct && strncasecmp(ct, "application/octet-stream", 24) == 0;
    if (!typed && !(generic && xlsx_sniff(req->body, req->body_len)))
        return RC_OK;
    if (!xlsx_sniff(req->body, req->body_len))
        return err_set(e, RC_INVALID, NULL,
                       "上传的文件不是 Excel（.xlsx）文件；旧版 .xls 请另存为 .xlsx 或 CSV");
    struct buf csv;
    buf_init(&csv, API_XLSX_MAX_CSV);
    enum rc rc = xlsx_to_csv(req->body, req->body_len, NULL, &csv, e);
    if (rc) {
        buf_cleanup(&csv);
        return rc;
    }
    *n = buf_len(&csv);
    char *text = buf_take(&csv);
    if (!text)
        text = xstrdup("");
    http_on_return(req, free_text, text);
    *data = text;
    *from_xlsx = true;
    return RC_OK;
}

enum rc api_import_text(struct http_req *req, const char **data, size_t *n, bool *csv,
                        struct err *e)
{
    const char *ct = http_header(req, "Content-Type");
    bool from_xlsx;
    enum rc rc = api_import_body(req, data, n, &from_xlsx, e);
    if (rc)
        return rc;
    *csv = from_xlsx || (ct && strncasecmp(ct, "text/csv", 8) == 0);
    if (*csv || (ct && (strncasecmp(ct, "application/x-ndjson", 20) == 0 ||
                        strncasecmp(ct, "application/jsonl", 17) == 0)))
        return RC_OK;
    return err_set(e, RC_MEDIATYPE, NULL,
                   "请以 Excel（.xlsx）、text/csv 或 application/x-ndjson 上传导入文件");
}
