/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jsonx: Jansson with qifu's limits and Chinese errors.
 *
 * jsonx_parse() first scans the text once for invalid UTF-8 and for nesting deeper
 * than the limit (Jansson's own limit is a compile-time 2048), so 100,000 nested
 * brackets are refused before Jansson allocates anything. The field getters turn a
 * missing or mistyped member into RC_INVALID with the field named in struct err.
 */
#ifndef QIFU_JSONX_H
#define QIFU_JSONX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "rc.h"

#define JSONX_MAX_DEPTH 64

/* Returns the offset of the first byte that is not well-formed UTF-8, or n. */
size_t utf8_first_invalid(const char *s, size_t n);
/* Returns true when the n bytes at s are well-formed UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t n);
/* Returns the number of code points in the well-formed UTF-8 string s. */
size_t utf8_len(const char *s);

/*
 * Parses n bytes of JSON text. On success *out is a new reference (json_decref).
 * Errors: RC_BADUTF8, RC_TOODEEP (more than max_depth levels), RC_BADJSON; each with
 * line and column in e.
 */
enum rc jsonx_parse(const char *s, size_t n, int max_depth, json_t **out, struct err *e) WARN_UNUSED;
/* Returns the canonical text of j (compact, keys sorted): new, free with xfree. */
char *jsonx_canonical(const json_t *j);
/*
 * Appends j to b as compact JSON, members in their order, the same text as Jansson's
 * json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) but several times faster (no loop
 * bookkeeping, no per-character callback): the writer of every HTTP response.
 * RC_TOOLARGE when b's cap is reached.
 */
enum rc jsonx_dump(json_t *j, struct buf *b) WARN_UNUSED;
/* Appends the n bytes at s (UTF-8) to b as one JSON string, quotes included, escaped as
 * jsonx_dump escapes: for writers that build JSON text without Jansson objects. */
enum rc jsonx_dump_str(const char *s, size_t n, struct buf *b) WARN_UNUSED;

/*
 * A writer of JSON text into a capped buffer, for answers written straight into the
 * response instead of built as Jansson trees (demand lists and details, policy matching).
 * The first failure (b's cap) sticks in rc and nothing more is written, so a writer checks
 * rc once at the end:
 *
 *     struct jsonx_w w = {&resp->body, RC_OK};
 *     JSONX_W_LIT(&w, "{\"id\":");
 *     jsonx_w_int(&w, id);
 *     JSONX_W_LIT(&w, ",\"title\":");
 *     jsonx_w_text(&w, title_from_the_database);
 *     JSONX_W_LIT(&w, "}");
 *     if (w.rc) ...
 */
struct jsonx_w {
    struct buf *b;
    enum rc rc;
};

/* JSON text as it is: n bytes, or a NUL-terminated string, or a string literal.
 * jsonx_w_raw is inline: when there is room (the common case, writers reserve their
 * size), a literal key costs a few moves instead of a call, a check and a memcpy call;
 * jsonx__w_raw is the rest (growing, the cap, a failure already met). */
void jsonx__w_raw(struct jsonx_w *w, const char *s, size_t n);
static inline void jsonx_w_raw(struct jsonx_w *w, const char *s, size_t n)
{
    struct buf *b = w->b;
    if (w->rc == RC_OK && n < b->cap - b->len) { /* room for n bytes and the NUL */
        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = '\0';
        return;
    }
    jsonx__w_raw(w, s, n);
}
void jsonx_w_puts(struct jsonx_w *w, const char *s);
#define JSONX_W_LIT(w, lit) jsonx_w_raw((w), (lit), sizeof(lit) - 1)
/* A string value known to be UTF-8 (the code's vocabulary, checked input), escaped. */
void jsonx_w_str(struct jsonx_w *w, const char *s);
/* A string value from outside (a database text): null when s is NULL or not UTF-8, as
 * json_string would refuse it. */
void jsonx_w_text(struct jsonx_w *w, const char *s);
void jsonx_w_int(struct jsonx_w *w, int64_t v);
void jsonx_w_bool(struct jsonx_w *w, bool v);

/*
 * Field getters. Each reads obj[key]; when the member is absent (or null) and not
 * required it leaves *out untouched and returns RC_OK. Otherwise a missing member or a
 * wrong type gives RC_INVALID naming key. Strings are borrowed from obj.
 * jsonx_get_str also checks 1..max_len code points (max_len 0 means no limit) and
 * rejects control characters other than tab, CR and LF.
 */
enum rc jsonx_get_str(const json_t *obj, const char *key, bool required, size_t max_len,
                      const char **out, struct err *e) WARN_UNUSED;
enum rc jsonx_get_int(const json_t *obj, const char *key, bool required, int64_t min, int64_t max,
                      int64_t *out, struct err *e) WARN_UNUSED;
enum rc jsonx_get_bool(const json_t *obj, const char *key, bool required, bool *out,
                       struct err *e) WARN_UNUSED;
/*
 * Checks that obj is an object whose members are all named in allowed (NULL-terminated);
 * an unknown member gives RC_INVALID naming it, so typos are not silently ignored.
 */
enum rc jsonx_only(const json_t *obj, const char *const *allowed, struct err *e) WARN_UNUSED;

#endif
