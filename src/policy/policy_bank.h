/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_bank: a bank's payment result file applied to grants (拨付 recorded from the
 * bank's 回单). Each line names a grant, the amount paid (元), the day and the bank's
 * result; each successful line is the grant's own `pay` action (flow_bulk over
 * policy_grant_flow: the same checks, event, audit row and notice as a single 拨付), and
 * the answer reports every line. The reading is split from the source so that another
 * reader (a spreadsheet) feeds the same rows: policy_bank_header names the columns,
 * policy_bank_row reads one line.
 *
 *     struct policy_bank b;
 *     policy_bank_init(&b);
 *     rc = policy_bank_csv(&b, data, n, e);          (or header + rows from another reader)
 *     rc = policy_bank_apply(&b, c, p, now, &report, e);
 *     policy_bank_cleanup(&b);
 */
#ifndef QIFU_POLICY_BANK_H
#define QIFU_POLICY_BANK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/rc.h"

struct conn;
struct principal;

/* Columns of a result file, by name or the Chinese header. */
enum policy_bank_col {
    PB_GRANT,   /* grant_id 兑现编号: required */
    PB_AMOUNT,  /* amount 实付金额（元）: required for a success */
    PB_PAID_ON, /* paid_on 拨付日期: YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD */
    PB_RESULT,  /* result 结果: 成功/失败 (success/failed); empty is 成功 */
    PB_REF,     /* bank_ref 银行流水号 */
    PB_REASON,  /* reason 说明: why the amount differs, or why the bank failed */
    PB__N
};

/* One line: the grant and its pay request, or why it cannot be one. Members MUST NOT be
 * accessed. */
struct policy_bank_line {
    int line;
    int64_t grant_id;
    json_t *params; /* {"action":"pay", ...} when the line is to be applied */
    char code[24];  /* else: the refusal */
    char field[24];
    char msg[200];
};

struct policy_bank {
    int col[PB__N]; /* the column of each, -1 when absent */
    struct policy_bank_line *lines;
    size_t n, cap;
};

#define POLICY_BANK_MAX_BYTES (4u << 20)

void policy_bank_init(struct policy_bank *b);
/* Frees the lines (b may be NULL). */
void policy_bank_cleanup(struct policy_bank *b);
/* Names the columns from the header cells: RC_INVALID for an unknown or repeated column, or
 * when grant_id or amount is missing. */
enum rc policy_bank_header(struct policy_bank *b, const char *const *cells, int n,
                           struct err *e) WARN_UNUSED;
/* Reads one data line (line: its number in the file); a bad line is kept as a refusal.
 * RC_INVALID when the file has more than FLOW_BULK_MAX lines. */
enum rc policy_bank_row(struct policy_bank *b, int line, const char *const *cells, int n,
                        struct err *e) WARN_UNUSED;
/* Reads a CSV result file (UTF-8, header first): header and rows. */
enum rc policy_bank_csv(struct policy_bank *b, const char *data, size_t n,
                        struct err *e) WARN_UNUSED;
/*
 * Applies the lines as p: each good line is the grant's pay action (flow_bulk). *out
 * (new) is {"total", "succeeded", "failed", "items": [{"line", "id", "ok", "code",
 * "message", "field"}]} in file order. RC_INVALID when the file has no line.
 */
enum rc policy_bank_apply(struct policy_bank *b, struct conn *c, const struct principal *p,
                          int64_t now, json_t **out, struct err *e) WARN_UNUSED;

#endif
