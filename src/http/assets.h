/* SPDX-License-Identifier: Apache-2.0 */
/*
 * assets: the web UI's built files (web/ built by Vite), served for GET and HEAD of
 * paths outside the route table. Two sources: the table that the build embeds into
 * the binary (tools/embed.c "assets" mode writes assets__embedded[], sorted by path,
 * with a SHA-256 ETag, the MIME type and an optional gzip variant per file), or a
 * directory on disk (`qifu serve --web-dir web/dist`, for development).
 *
 * Serving rules, the same for both sources:
 *   - "/" is "/index.html"; a path without a file extension that names no file is a
 *     route of the single-page app and gets index.html too;
 *   - a path with a segment "", "." or ".." or one starting with '.', or with a
 *     backslash, is refused (RC_INVALID), so nothing outside the root is reachable;
 *   - ETag plus If-None-Match answers 304; files under /assets/ (Vite puts a content
 *     hash in their names) are "public, max-age=31536000, immutable", everything else
 *     "no-cache"; a gzip variant is sent to clients that accept gzip.
 * Invariant: a struct assets is immutable once opened, so threads share it freely.
 */
#ifndef QIFU_ASSETS_H
#define QIFU_ASSETS_H

#include <stddef.h>

#include "../base/rc.h"

struct http_req;
struct http_resp;

/* One embedded file. */
struct asset {
    const char *path; /* URL path: "/index.html", "/assets/index-3f2a.js" */
    const char *data; /* the bytes */
    size_t len;
    const char *gz; /* gzip variant, or NULL */
    size_t gz_len;
    const char *etag; /* "\"<first 32 hex digits of the SHA-256>\"" */
    const char *mime; /* Content-Type */
};

/* The generated table (build/<O>/gen/web_assets.c); only src/main.c links it. */
extern const struct asset assets__embedded[];
extern const size_t assets__n_embedded;

struct assets;

#define ASSETS_MAX_FILE ((size_t)64 << 20) /* largest file served from --web-dir */

/*
 * Opens a source of files: dir on disk when dir is not NULL (it must be a readable
 * directory: RC_INVALID otherwise, with the path in e), else the n rows of table
 * (borrowed; static storage). *out is new (assets_free).
 */
enum rc assets_open(const char *dir, const struct asset *table, size_t n, struct assets **out,
                    struct err *e) WARN_UNUSED;
/* Frees a (NULL is fine). */
void assets_free(struct assets *a);
/* Returns the number of embedded files (0 for a directory source or an empty table). */
size_t assets_count(const struct assets *a);
/*
 * Answers req (GET or HEAD) from a: sets resp (status 200 or 304, headers, body).
 * RC_INVALID for a refused path, RC_NOTFOUND when no file matches and the path has an
 * extension (or when there is no index.html), RC_TOOLARGE/RC_IO for a disk file that
 * cannot be sent.
 */
enum rc assets_serve(const struct assets *a, struct http_req *req, struct http_resp *resp,
                     struct err *e) WARN_UNUSED;

#endif
