/* SPDX-License-Identifier: Apache-2.0 */
/*
 * csv: a reader of comma-separated values (RFC 4180) over a buffer in memory, and
 * the writer of every CSV qifu produces (csv_put, csv_put_number).
 *
 * Fields may be quoted with '"', a quote inside a quoted field is doubled, and a
 * quoted field may hold commas, CR and LF (its newlines are counted, so line
 * numbers stay those of the file). Records end with LF, CRLF or a lone CR; the last
 * one may lack its terminator. A UTF-8 byte-order mark at the very start is
 * skipped. Every record is capped (bytes of unescaped text, bytes per field, number
 * of fields): a record past a cap, a quote inside an unquoted field, text after a
 * closing quote or an unclosed quote at the end is CSV_BAD with a Chinese reason,
 * and the reader resumes at the next line. Bytes are not interpreted: checking
 * UTF-8 is the caller's business. Members MUST NOT be accessed; they are exposed
 * only so a csv can live inside another struct.
 *
 *     struct csv c;
 *     csv_init(&c, data, n, NULL);
 *     int line;
 *     const char *why;
 *     enum csv_status st;
 *     while ((st = csv_next(&c, &line, &why)) != CSV_EOF)
 *         if (st == CSV_RECORD)
 *             use(csv_count(&c), csv_field(&c, 0));
 *     csv_cleanup(&c);
 */
#ifndef QIFU_CSV_H
#define QIFU_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define CSV_MAX_RECORD ((size_t)1 << 20) /* default: unescaped bytes of one record */
#define CSV_MAX_FIELDS 4096              /* default: fields of one record */

/* Caps of one record; a zero member takes the default (the record cap for fields). */
struct csv_limits {
    size_t max_record; /* bytes of unescaped text in one record */
    size_t max_field;  /* bytes of one field */
    int max_fields;    /* fields in one record */
};

struct csv {
    const char *p, *end;
    int line;              /* line number of the next record's first line */
    struct buf text;       /* the record's unescaped fields, each NUL-terminated */
    size_t *offs;          /* field start offsets into text */
    int n, cap;            /* fields in the record, slots in offs */
    size_t max_field;
    int max_fields;
    char why[96];          /* the reason of the last CSV_BAD when it is formatted */
};

enum csv_status { CSV_RECORD, CSV_EOF, CSV_BAD };

/* Starts reading the n bytes at data (borrowed until csv_cleanup); lim may be NULL. */
void csv_init(struct csv *c, const char *data, size_t n, const struct csv_limits *lim);
/* Frees what the reader holds (c may be NULL). */
void csv_cleanup(struct csv *c);
/*
 * Reads the next record. *start_line receives the line it starts on (1-based).
 * CSV_BAD sets *why (borrowed until the next call) and skips to the next line;
 * CSV_EOF at the end of the data. A blank line is a record of one empty field.
 */
enum csv_status csv_next(struct csv *c, int *start_line, const char **why);
/* Returns the number of fields of the current record. */
int csv_count(const struct csv *c);
/* Returns field i (0 <= i < csv_count) of the current record, NUL-terminated and
 * borrowed until the next csv_next. */
const char *csv_field(const struct csv *c, int i);
/* Returns the number of bytes of field i, which may hold NUL bytes of its own. */
size_t csv_field_len(const struct csv *c, int i);
/*
 * Appends the text cell s to b, preceded by a comma unless first, quoted as RFC 4180
 * asks (when it holds a comma, quote, CR or LF). A cell that a spreadsheet would run
 * as a formula (first byte '=', '+', '-', '@', tab or CR: OWASP's CSV injection rule)
 * is written with a single quote in front ("=1+1" -> "'=1+1"), so it shows as text.
 * Every text cell of every export goes through here. RC_TOOLARGE past b's cap.
 */
enum rc csv_put(struct buf *b, const char *s, bool first) WARN_UNUSED;
/*
 * Appends a number the program formatted itself ("-12", "0.25") as it is, so a
 * negative figure stays a number in the spreadsheet. Only digits, '-' and '.' may
 * occur: anything else is written through csv_put instead.
 */
enum rc csv_put_number(struct buf *b, const char *s, bool first) WARN_UNUSED;

/* Returns all the record's text (fields separated by NUL) and its length in *n, to
 * check its encoding at once. Borrowed until the next csv_next. */
const char *csv_text(const struct csv *c, size_t *n);

#endif
