/* SPDX-License-Identifier: Apache-2.0 */
/* policy_bank: a bank's payment result file as grant payments (policy_bank.h). */
#include "policy_bank.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/csv.h"
#include "../base/jsonx.h"
#include "../base/mem.h"
#include "../ent/ent.h"
#include "../flow/flow.h"
#include "policy_grant.h"

static const char *const names[PB__N][4] = {
    [PB_GRANT] = {"grant_id", "兑现编号", "兑现记录编号", NULL},
    [PB_AMOUNT] = {"amount", "实付金额（元）", "实付金额", "金额"},
    [PB_PAID_ON] = {"paid_on", "拨付日期", "交易日期", NULL},
    [PB_RESULT] = {"result", "结果", "交易结果", NULL},
    [PB_REF] = {"bank_ref", "银行流水号", "流水号", NULL},
    [PB_REASON] = {"reason", "说明", "备注", NULL},
};

void policy_bank_init(struct policy_bank *b)
{
    memset(b, 0, sizeof(*b));
    for (int i = 0; i < PB__N; i++)
        b->col[i] = -1;
}

void policy_bank_cleanup(struct policy_bank *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++)
        json_decref(b->lines[i].params);
    xfree(b->lines);
    b->lines = NULL;
    b->n = b->cap = 0;
}

enum rc policy_bank_header(struct policy_bank *b, const char *const *cells, int n, struct err *e)
{
    for (int i = 0; i < n; i++) {
        const char *h = cells[i];
        int k = -1;
        for (int j = 0; j < PB__N && k < 0; j++)
            for (int m = 0; m < 4 && names[j][m]; m++)
                if (strcmp(h, names[j][m]) == 0)
                    k = j;
        if (k < 0 && !*h)
            continue;
        if (k < 0)
            return err_set(e, RC_INVALID, "file",
                           "不认识的列“%s”（应为 兑现编号、实付金额（元）、"
                           "拨付日期、结果、银行流水号、说明）",
                           h);
        if (b->col[k] >= 0)
            return err_set(e, RC_INVALID, "file", "列“%s”重复", h);
        b->col[k] = i;
    }
    if (b->col[PB_GRANT] < 0 || b->col[PB_AMOUNT] < 0)
        return err_set(e, RC_INVALID, "file", "回单文件须有“兑现编号”和“实付金额（元）”两列");
    return RC_OK;
}

/* Cell k of a line, "" when the column is absent or the line short; blanks trimmed into
 * out. */
static const char *cell(const struct policy_bank *b, const char *const *cells, int n, int k,
                        char *out, size_t cap)
{
    int i = b->col[k];
    const char *s = i >= 0 && i < n ? cells[i] : "";
    while (*s == ' ' || *s == '\t')
        s++;
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len >= cap)
        len = cap - 1;
    memcpy(out, s, len);
    out[len] = '\0';
    return out;
}

/* "1,234.5" 元 → 123450 fen; false when not a positive amount of at most 2 decimals. */
static bool parse_yuan(const char *s, int64_t *fen)
{
    int64_t whole = 0, cents = 0;
    int digits = 0, decimals = -1;
    for (; *s; s++) {
        if (*s == ',' && decimals < 0)
            continue;
        if (*s == '.' && decimals < 0) {
            decimals = 0;
            continue;
        }
        if (*s < '0' || *s > '9' || digits > 13 || decimals >= 2)
            return false;
        if (decimals >= 0) {
            cents = cents * 10 + (*s - '0');
            decimals++;
        } else {
            whole = whole * 10 + (*s - '0');
            digits++;
        }
    }
    if (!digits || decimals == 0)
        return false;
    if (decimals == 1)
        cents *= 10;
    *fen = whole * 100 + cents;
    return *fen > 0;
}

/* YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD → YYYY-MM-DD in out[11]. */
static bool parse_day(const char *s, char *out)
{
    size_t n = strlen(s);
    if (n == 8) {
        snprintf(out, 11, "%.4s-%.2s-%.2s", s, s + 4, s + 6);
    } else if (n == 10 && (s[4] == '-' || s[4] == '/') && s[7] == s[4]) {
        snprintf(out, 11, "%.4s-%.2s-%.2s", s, s + 5, s + 8);
    } else {
        return false;
    }
    return ent_date_valid(out);
}

static void refuse(struct policy_bank_line *l, const char *code, const char *field, const char *msg)
{
    snprintf(l->code, sizeof(l->code), "%s", code);
    snprintf(l->field, sizeof(l->field), "%s", field ? field : "");
    snprintf(l->msg, sizeof(l->msg), "%s", msg);
}

enum rc policy_bank_row(struct policy_bank *b, int line, const char *const *cells, int n,
                        struct err *e)
{
    bool blank = true;
    for (int i = 0; i < n && blank; i++)
        blank = !*cells[i];
    if (blank)
        return RC_OK;
    if (b->n == FLOW_BULK_MAX)
        return err_set(e, RC_INVALID, "file", "回单文件最多 %d 行，请分批导入", FLOW_BULK_MAX);
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 16;
        b->lines = xrealloc(b->lines, b->cap * sizeof(*b->lines));
    }
    struct policy_bank_line *l = &b->lines[b->n++];
    memset(l, 0, sizeof(*l));
    l->line = line;
    char id[32], amount[32], day[16], result[32], ref[64], reason[500], paid_on[11];
    cell(b, cells, n, PB_GRANT, id, sizeof(id));
    cell(b, cells, n, PB_AMOUNT, amount, sizeof(amount));
    cell(b, cells, n, PB_PAID_ON, day, sizeof(day));
    cell(b, cells, n, PB_RESULT, result, sizeof(result));
    cell(b, cells, n, PB_REF, ref, sizeof(ref));
    cell(b, cells, n, PB_REASON, reason, sizeof(reason));
    char *end = NULL;
    long long gid = *id ? strtoll(id, &end, 10) : 0;
    int64_t fen = 0;
    if (!*id || *end || gid <= 0) {
        refuse(l, "invalid", "grant_id", "兑现编号应为正整数");
        return RC_OK;
    }
    l->grant_id = gid;
    if (*result && strcmp(result, "成功") != 0 && strcmp(result, "success") != 0) {
        char msg[200];
        snprintf(msg, sizeof(msg), "银行结果为“%.16s”%s%.120s，未记为拨付", result,
                 *reason ? "：" : "", reason);
        refuse(l, "bank_failed", "result", msg);
        return RC_OK;
    }
    if (!parse_yuan(amount, &fen)) {
        refuse(l, "invalid", "amount", "实付金额应为大于 0 的元数，最多两位小数");
        return RC_OK;
    }
    if (!*day || !parse_day(day, paid_on)) {
        refuse(l, "invalid", "paid_on", "拨付日期应为 YYYY-MM-DD");
        return RC_OK;
    }
    l->params = json_pack("{s:s, s:I, s:s}", "action", "pay", "amount", (json_int_t)fen, "paid_on",
                          paid_on);
    if (*reason)
        json_object_set_new(l->params, "reason", json_string(reason));
    if (*ref) {
        char note[120];
        snprintf(note, sizeof(note), "银行流水号 %s", ref);
        json_object_set_new(l->params, "note", json_string(note));
    }
    return RC_OK;
}

enum rc policy_bank_csv(struct policy_bank *b, const char *data, size_t n, struct err *e)
{
    if (n > POLICY_BANK_MAX_BYTES)
        return err_set(e, RC_TOOLARGE, "file", "回单文件过大（最多 4 MB）");
    if (!utf8_valid(data, n))
        return err_set(e, RC_INVALID, "file", "回单文件须为 UTF-8 编码（GBK 文件请另存为 UTF-8）");
    struct csv c;
    struct csv_limits lim = {.max_record = 8192, .max_field = 1024, .max_fields = 32};
    csv_init(&c, data, n, &lim);
    enum rc rc = RC_OK;
    bool header = false;
    int line;
    const char *why;
    enum csv_status st;
    while (rc == RC_OK && (st = csv_next(&c, &line, &why)) != CSV_EOF) {
        if (st == CSV_BAD) {
            rc = err_set(e, RC_INVALID, "file", "第 %d 行：%s", line, why);
            break;
        }
        int k = csv_count(&c);
        const char *cells[32];
        if (k > 32)
            k = 32;
        for (int i = 0; i < k; i++)
            cells[i] = csv_field(&c, i);
        if (k == 1 && !*cells[0])
            continue;
        if (!header) {
            rc = policy_bank_header(b, cells, k, e);
            header = true;
        } else {
            rc = policy_bank_row(b, line, cells, k, e);
        }
    }
    csv_cleanup(&c);
    if (rc == RC_OK && !header)
        rc = err_set(e, RC_INVALID, "file", "回单文件为空");
    return rc;
}

enum rc policy_bank_apply(struct policy_bank *b, struct conn *c, const struct principal *p,
                          int64_t now, json_t **out, struct err *e)
{
    *out = NULL;
    if (!b->n)
        return err_set(e, RC_INVALID, "file", "回单文件没有数据行");
    struct flow_bulk_item items[FLOW_BULK_MAX];
    size_t k = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->lines[i].params)
            items[k++] = (struct flow_bulk_item){b->lines[i].grant_id, b->lines[i].params};
    /* Two lines for one grant (whatever their results): the file is refused before anything
     * runs — which line would the bank mean? */
    for (size_t i = 0; i < b->n; i++)
        for (size_t j = 0; j < i && b->lines[i].grant_id; j++)
            if (b->lines[j].grant_id == b->lines[i].grant_id)
                return err_set(e, RC_INVALID, "file", "第 %d 行与第 %d 行是同一条兑现记录",
                               b->lines[i].line, b->lines[j].line);
    json_t *ran = NULL;
    enum rc rc = k ? flow_bulk(&policy_grant_flow, c, p, NULL, items, k, now, &ran, e) : RC_OK;
    if (rc)
        return rc;
    json_t *arr = json_array();
    size_t ok = 0, r = 0;
    for (size_t i = 0; i < b->n; i++) {
        const struct policy_bank_line *l = &b->lines[i];
        json_t *j;
        if (l->params) {
            j = json_copy(json_array_get(json_object_get(ran, "items"), r++));
        } else {
            j = json_pack("{s:b, s:s, s:s}", "ok", 0, "code", l->code, "message", l->msg);
            if (l->grant_id) {
                char sid[24];
                snprintf(sid, sizeof(sid), "%lld", (long long)l->grant_id);
                json_object_set_new(j, "id", json_string(sid));
            }
            if (l->field[0])
                json_object_set_new(j, "field", json_string(l->field));
        }
        json_object_set_new(j, "line", json_integer(l->line));
        if (json_is_true(json_object_get(j, "ok")))
            ok++;
        json_array_append_new(arr, j);
    }
    json_decref(ran);
    *out = json_pack("{s:I, s:I, s:I, s:o}", "total", (json_int_t)b->n, "succeeded", (json_int_t)ok,
                     "failed", (json_int_t)(b->n - ok), "items", arr);
    return RC_OK;
}
