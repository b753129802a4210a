/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demand_import: batch import of demands exported by a 12345 hotline (or another
 * intake system) as CSV or JSON Lines, idempotent on the system's work-order
 * number (external_id, 工单编号) per channel.
 *
 * Every row goes through demand_create's own checks and writes (timeline event,
 * demand.submit audit event), all rows in ONE transaction, so a file imports
 * completely or not at all. Each bad row is reported with its line, the field and a
 * Chinese message; unless skip_invalid is set, a file with any bad row imports
 * nothing (every row is still checked, against the database too, for the report).
 * A row whose work-order number is already present on the channel with the same
 * category, title and content counts as "already present" and creates nothing; with
 * different content it is a bad row (the hotline changed the order after it was
 * imported). A committed import also appends one demand.import audit event with
 * the file's SHA-256 and the counts. A dry run does all of this and rolls back.
 *
 * Columns (CSV header) or members (JSON Lines), each also under its Chinese name:
 *   external_id 工单编号 (required), credit_code 统一社会信用代码 (required),
 *   category 诉求类别 (a category code or its Chinese name, required),
 *   urgency 紧急程度 (一般/紧急/特急 or normal/urgent/critical; default 一般),
 *   title 标题 (default: the start of the content), content 诉求内容 (required),
 *   contact_name 联系人, contact_phone 联系电话 (a mobile or a landline number),
 *   address 地址, received_at 来电时间 ("YYYY-MM-DD HH:MM[:SS]" Beijing time, '/'
 *   also accepted, or RFC 3339), lat 纬度 and lon 经度 (together).
 */
#ifndef QIFU_DEMAND_IMPORT_H
#define QIFU_DEMAND_IMPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "../base/rc.h"

struct conn;
struct demand_ctx;
struct principal;

enum demand_import_format { DEMAND_IMPORT_AUTO, DEMAND_IMPORT_CSV, DEMAND_IMPORT_JSONL };

#define DEMAND_IMPORT_MAX_RECORD ((size_t)64 << 10) /* bytes of one CSV record or JSON line */

struct demand_import_opts {
    enum demand_import_format format; /* AUTO: JSON Lines when the data starts with '{' */
    bool skip_invalid;                /* import the good rows of a file with bad ones */
    bool dry_run;                     /* check everything, write nothing */
    const char *channel;              /* hotline (default), window or api */
    const char *file_name;            /* for the audit event */
    size_t max_errors;                /* errors kept in the report (default 1000) */
};

struct demand_import_report {
    size_t rows;     /* data rows read (blank lines not counted) */
    size_t invalid;  /* rows refused */
    size_t created;  /* demands created (a dry run: that would be created) */
    size_t present;  /* rows whose work order was already imported */
    bool imported;   /* something was committed */
    json_t *errors;  /* new array of {"line","field","message"} (demand_import_report_cleanup) */
    char sha256[65];
};

/*
 * Imports the n bytes at data as principal p (a clerk, an administrator or a
 * system principal; a clerk only for enterprises of its region). RC_OK also when
 * rows were refused: read the report. RC_INVALID for a file that is unusable as a
 * whole (no header, an unknown or repeated column, a required column missing, an
 * unknown channel); a store failure rolls everything back and names the line.
 */
enum rc demand_import(struct conn *c, const struct demand_ctx *ctx, const struct principal *p,
                      const char *data, size_t n, const struct demand_import_opts *o,
                      struct demand_import_report *r, struct err *e) WARN_UNUSED;
/* Frees the report's error list (r may be NULL). */
void demand_import_report_cleanup(struct demand_import_report *r);
/* Returns the report as a new JSON object {rows, invalid, created, already_present,
 * imported, sha256, errors}. */
json_t *demand_import_report_json(const struct demand_import_report *r);

#endif
