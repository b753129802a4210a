/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demand_attach: attachments of demands (诉求附件) — uploads, lists and downloads,
 * with the bytes kept in the database (table demand_attachments), so an upload
 * commits together with its timeline event and its audit event and is backed up
 * with the rest of the data.
 *
 * Who may see an attachment follows the demand (demand.h): a caller without a
 * relation gets 404, and an internal attachment does not exist for the enterprise
 * (404), like an internal note. Uploading is for the demand's relations (owner,
 * intake, lead, co-handlers, oversight), never for administrators (403), and not on
 * a closed demand (archived, declined, merged: 409).
 *
 * What is stored is decided by the bytes, never by the client: demand_attach_sniff()
 * recognises PDF, PNG, JPEG, GIF, OFD, DOCX/XLSX/PPTX, DOC/XLS/PPT and UTF-8 plain
 * text by their magic numbers and container structure (the zip central directory,
 * the OLE2 directory); anything else is 415, and so is a declared Content-Type or
 * a file-name extension that contradicts the bytes. File names are cleaned by
 * demand_attach_clean_name(). The sniffer and the name rules are pure and tested in
 * tests/unit/test_demand_attach.c.
 */
#ifndef QIFU_DEMAND_ATTACH_H
#define QIFU_DEMAND_ATTACH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/rc.h"

struct conn;
struct principal;

#define DEMAND_ATTACH_MAX_BYTES_DEFAULT ((size_t)10 << 20) /* 10 MiB per file */
#define DEMAND_ATTACH_MAX_BYTES_CEILING ((size_t)60 << 20) /* --max-attachment at most */
#define DEMAND_ATTACH_MAX_FILES 20                         /* per demand */
#define DEMAND_ATTACH_NAME_CHARS 120                       /* code points of a file name */
#define DEMAND_ATTACH_NAME_MAX 512                         /* bytes of a cleaned name + NUL */

/* A type the sniffer recognises. */
enum demand_attach_kind {
    ATTACH_UNKNOWN,
    ATTACH_PDF,
    ATTACH_PNG,
    ATTACH_JPEG,
    ATTACH_GIF,
    ATTACH_OFD,
    ATTACH_DOCX,
    ATTACH_XLSX,
    ATTACH_PPTX,
    ATTACH_DOC,
    ATTACH_XLS,
    ATTACH_PPT,
    ATTACH_TEXT,
    ATTACH__COUNT
};

/* What the sniffer found, with a Chinese reason when it refuses. */
struct demand_attach_sniffed {
    enum demand_attach_kind kind; /* ATTACH_UNKNOWN when refused */
    char why[160];                /* why it was refused ("" when recognised) */
};

/*
 * Recognises the n bytes at p (p may be NULL when n is 0). Sets out->kind, or
 * ATTACH_UNKNOWN with out->why naming the reason (an executable, HTML, an Office
 * document with macros, text that is not UTF-8, an empty file, ...).
 */
void demand_attach_sniff(const void *p, size_t n, struct demand_attach_sniffed *out);
/* Returns the MIME type of a kind ("application/pdf"; "" for ATTACH_UNKNOWN). */
const char *demand_attach_mime(enum demand_attach_kind k);
/* Returns the Chinese label of a kind ("PDF 文档"). */
const char *demand_attach_label(enum demand_attach_kind k);
/* Returns the allowed types as Chinese text, for messages ("PDF、PNG、…"). */
const char *demand_attach_allowed_text(void);
/*
 * Does a declared Content-Type (parameters and case ignored; NULL, "" and
 * application/octet-stream declare nothing) agree with kind? A zip type agrees with
 * every zip-based kind, and each kind has its usual aliases (image/jpg, ...).
 */
bool demand_attach_type_agrees(const char *declared, enum demand_attach_kind kind);
/*
 * Does the extension of name agree with kind (case ignored; WPS's .wps/.et/.dps
 * count as DOC/XLS/PPT)? An extension is what follows the last '.' when it is 1 to
 * 5 ASCII letters or digits; a name without one agrees with everything (the upload
 * appends the kind's usual extension).
 */
bool demand_attach_ext_agrees(const char *name, enum demand_attach_kind kind);
/*
 * Cleans a file name as sent by a client into out (DEMAND_ATTACH_NAME_MAX bytes):
 * drops any directory part (up to the last '/' or '\'), replaces the characters
 * Windows forbids (<>:"|?*) with '_', trims white space and dots at both ends.
 * RC_INVALID naming "name" when it is missing, not UTF-8, holds control or
 * bidirectional-override characters, is empty once cleaned, or is longer than
 * DEMAND_ATTACH_NAME_CHARS characters. Chinese names are kept as they are.
 */
enum rc demand_attach_clean_name(const char *name, char out[DEMAND_ATTACH_NAME_MAX],
                                 struct err *e) WARN_UNUSED;

/* An upload. */
struct demand_attach_new {
    const char *name;          /* as sent; cleaned here */
    const char *declared_type; /* the request's Content-Type, may be NULL */
    const void *data;          /* borrowed */
    size_t len;
    bool internal;    /* hidden from the enterprise */
    size_t max_bytes; /* per-file cap; 0 = DEMAND_ATTACH_MAX_BYTES_DEFAULT */
};

/*
 * The checks of an upload's file, whatever it is attached to (a demand, an application's
 * materials): the cleaned name into name (the type's extension added when it has none),
 * the size against a->max_bytes, the type sniffed from the bytes and agreeing with the
 * declared type and the extension; *mime (static) and sha (hex SHA-256) of the bytes.
 * RC_INVALID naming "name", RC_TOOLARGE, RC_MEDIATYPE with the Chinese reason.
 */
enum rc demand_attach_check(const struct demand_attach_new *a, char name[DEMAND_ATTACH_NAME_MAX],
                            const char **mime, char sha[65], struct err *e) WARN_UNUSED;

/*
 * Stores an attachment of demand id for the caller at now (ms UTC), with a timeline event
 * ("attach", internal when the attachment is) and an audit event
 * ("demand.attach") in one transaction. *out is the new attachment's JSON (new
 * reference). Errors: RC_NOTFOUND (no such demand for the caller), RC_FORBIDDEN
 * (administrators; an enterprise asking for an internal attachment), RC_STATE (a
 * closed demand, or DEMAND_ATTACH_MAX_FILES reached), RC_TOOLARGE, RC_MEDIATYPE
 * (the bytes are not an allowed type, or contradict the declared type or the name's
 * extension), RC_INVALID naming "name".
 */
enum rc demand_attach_add(struct conn *c, const struct principal *p, int64_t id,
                          const struct demand_attach_new *a, int64_t now, json_t **out,
                          struct err *e) WARN_UNUSED;

/* The attachments of demand id the caller may see, oldest first (new JSON array). */
enum rc demand_attach_list(struct conn *c, const struct principal *p, int64_t id, json_t **out,
                           struct err *e) WARN_UNUSED;

/* One attachment with its bytes. */
struct demand_attach_file {
    char name[DEMAND_ATTACH_NAME_MAX];
    char content_type[128];
    char sha256[65];
    void *data; /* new: demand_attach_file_cleanup frees it */
    size_t len;
};

/*
 * Reads attachment aid of demand id with its bytes into *f. RC_NOTFOUND when the
 * demand is not visible to the caller, the attachment belongs to another demand, or
 * it is internal and the caller is the enterprise. Release with
 * demand_attach_file_cleanup.
 */
enum rc demand_attach_get(struct conn *c, const struct principal *p, int64_t id, int64_t aid,
                          struct demand_attach_file *f, struct err *e) WARN_UNUSED;
/* Frees the bytes of f (f may be NULL). */
void demand_attach_file_cleanup(struct demand_attach_file *f);

#endif
