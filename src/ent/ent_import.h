/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ent_import: bulk import of enterprises and their facts from CSV or JSON Lines.
 *
 * One pass: a parser thread validates every row (the same validation as the API,
 * plus duplicate credit codes within the file, truncated rows and invalid UTF-8)
 * and hands the good ones to the writer, which writes them in ONE transaction (a
 * failure part-way leaves the registry as it was). Every bad row is reported with
 * its line; unless skip_invalid is set, a file with any bad row imports nothing
 * (the transaction is rolled back, validation still reads to the end). New
 * enterprises are inserted, existing ones updated with the non-empty cells of the
 * row (upsert), and a fact value is appended only when it differs from the newest
 * recorded one. Audit: every changed existing enterprise gets an enterprise.update
 * event with before/after; the import itself one enterprise.import event with the
 * file's SHA-256 and the counts (which covers the enterprises it created).
 *
 * CSV: UTF-8 with or without BOM, comma-separated, RFC 4180 quoting, CRLF or LF, a
 * header row of column names. Columns: credit_code, name, region, industry, founded,
 * registered_capital (fen), scale, legal_rep, address, tags and officials
 * (';'-separated), contact_name, contact_title, contact_mobile, contact_id_number,
 * as_of (the facts' date), fact_status, source, and any catalogued fact name.
 * JSON Lines: one object per line with the same names.
 */
#ifndef QIFU_ENT_IMPORT_H
#define QIFU_ENT_IMPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "../audit/audit.h"
#include "../base/rc.h"

struct conn;
struct ent_catalog;

enum ent_import_format { ENT_IMPORT_AUTO, ENT_IMPORT_CSV, ENT_IMPORT_JSONL };

struct ent_import_opts {
    enum ent_import_format format;
    bool skip_invalid;           /* import the valid rows of a file with bad ones */
    bool dry_run;                /* validate only */
    const char *source;          /* default source of facts ("批量导入") */
    const char *fact_status;     /* default status of facts ("authoritative") */
    const char *default_as_of;   /* YYYY-MM-DD for rows without as_of (today) */
    const char *file_name;       /* for the audit event */
    size_t max_errors;           /* errors kept in the report (default 1000) */
    /* Called now and then (from the parser thread): phase "import", rows read, rows in
     * the file (estimated from its line count). */
    void (*progress)(void *ctx, const char *phase, size_t done, size_t total);
    void *progress_ctx;
};

struct ent_import_report {
    size_t rows;       /* data rows read */
    size_t invalid;    /* rows refused */
    size_t created, updated, unchanged;
    size_t facts;      /* fact values recorded */
    bool imported;     /* anything written */
    json_t *errors;    /* new array of {"line","field","message"} (ent_import_report_cleanup) */
    char sha256[65];
};

/*
 * Imports the n bytes at data. RC_OK also when rows were refused: read the report.
 * RC_INVALID when the file as a whole is unusable (no header, unknown column); a
 * store error rolls everything back.
 */
enum rc ent_import(struct conn *c, const struct ent_catalog *cat, const struct audit_actor *who,
                   const char *data, size_t n, const struct ent_import_opts *o,
                   struct ent_import_report *r, struct err *e) WARN_UNUSED;
/* Frees the report's error list. */
void ent_import_report_cleanup(struct ent_import_report *r);
/* Returns the report as a new JSON object. */
json_t *ent_import_report_json(const struct ent_import_report *r);

#endif
