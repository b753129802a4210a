/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xlsx_read: turns the first worksheet of an Excel workbook (.xlsx, Office Open XML) held
 * in memory into CSV text, so that every import that reads CSV reads Excel through the
 * very same path (the same validation, the same per-line report). Uses libzip for the
 * container and expat for the XML; depends on nothing of qifu but buf and rc.
 *
 * Sheet row r becomes CSV line r: rows the sheet leaves out become blank lines (which
 * the importers skip), so the line numbers of a report are the row numbers Excel shows
 * (a cell holding a line break is quoted and spans lines, exactly as in a CSV file).
 * Every row has at least as many fields as the first non-empty row (the header), so a
 * row whose last cells are empty is not a short row. Cells: shared and inline strings
 * as their text, numbers as Excel shows them in General format ("12", "0.25"; an integer
 * never in exponent form), booleans TRUE/FALSE, a number whose style is a date format as
 * "YYYY-MM-DD" (or "YYYY-MM-DD HH:MM:SS" when it has a time of day), formulas as their
 * cached value, error cells empty.
 *
 * Untrusted input is bounded: the bytes of the file, the bytes each XML part inflates
 * to (counted as they are read, whatever the zip claims), the ratio of inflated to
 * compressed bytes (a zip bomb), rows, columns, the bytes of a cell, the shared strings
 * and the CSV produced. A DOCTYPE is refused (no entities). Every failure is RC_INVALID
 * (not an Excel file, damaged) or RC_TOOLARGE with a Chinese message for the user.
 *
 *     struct buf csv;
 *     buf_init(&csv, 64u << 20);
 *     if (xlsx_to_csv(data, n, NULL, &csv, e) == RC_OK)
 *         import(buf_str(&csv), buf_len(&csv));
 *     buf_cleanup(&csv);
 */
#ifndef QIFU_XLSX_READ_H
#define QIFU_XLSX_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "rc.h"

#define XLSX_MAX_PART ((size_t)128 << 20) /* default: inflated bytes of one XML part */
#define XLSX_MAX_RATIO 200                /* default: inflated / compressed bytes of a part */
#define XLSX_MAX_ROWS 1000000             /* default: rows of the sheet */
#define XLSX_MAX_COLS 1024                /* default: columns (Excel itself has 16,384) */
#define XLSX_MAX_CELL 32767               /* default: bytes of one cell (Excel's own cap) */
#define XLSX_MAX_STRINGS 2000000          /* default: entries of the shared strings table */

/* Caps; a zero member takes the default. The CSV's own cap is out's (buf_init). */
struct xlsx_limits {
    size_t max_part;
    size_t max_ratio;
    size_t max_rows;
    size_t max_cols;
    size_t max_cell;
    size_t max_strings;
};

/* True when data starts like a zip archive ("PK\3\4"), as every .xlsx does. */
bool xlsx_sniff(const void *data, size_t n);

/*
 * Appends the first worksheet of the workbook data[0..n) (borrowed) to out as CSV
 * (RFC 4180, LF line ends, no byte-order mark); lim may be NULL. RC_INVALID for what is
 * not a readable .xlsx (an old .xls, a damaged archive or part, a sheet out of order),
 * RC_TOOLARGE past a cap (a zip bomb, too many rows or columns, out's cap), each with a
 * Chinese message in e. On failure out holds a partial text the caller discards.
 */
enum rc xlsx_to_csv(const void *data, size_t n, const struct xlsx_limits *lim, struct buf *out,
                    struct err *e) WARN_UNUSED;

/* Returns whether numFmtId (a built-in id, or a custom format's code when code is not
 * NULL) formats a date or time: what decides that a number cell is a date. */
bool xlsx_is_date_format(int id, const char *code);

/* Formats the Excel serial day number v (1900 date system; date1904 for the other) as
 * "YYYY-MM-DD", or "YYYY-MM-DD HH:MM:SS" when it has a time of day, into out (≥ 20
 * bytes). False when v is out of Excel's range (before 1900 or after 9999). */
bool xlsx_serial_date(double v, bool date1904, char *out, size_t n);

#endif
