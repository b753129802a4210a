/* SPDX-License-Identifier: Apache-2.0 */
/*
 * assets: the web UI's files, embedded or from a directory (see assets.h for the
 * serving rules). Embedded rows are sorted by path, so a lookup is a binary search;
 * a directory is read per request (development only), its ETag hashed each time.
 */
#include "assets.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../base/mem.h"
#include "../base/sec.h"
#include "http.h"
#include "mime.h"

#define ASSETS_MAX_PATH 512

/* Content-Security-Policy of the HTML pages: everything is bundled, nothing is fetched
 * from elsewhere. Element Plus sets style attributes, hence 'unsafe-inline' for styles. */
#define ASSETS_CSP                                                                                 \
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "                    \
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "                      \
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"

struct assets {
    char *dir;                 /* directory source (its real path), or NULL */
    int dir_fd;                /* dir opened, the base of openat2; -1 without dir */
    const struct asset *table; /* embedded source (borrowed) */
    size_t n;
};

enum rc assets_open(const char *dir, const struct asset *table, size_t n, struct assets **out,
                    struct err *e)
{
    struct assets *a = xcalloc(1, sizeof(*a));
    a->dir_fd = -1;
    if (dir) {
        char *real = realpath(dir, NULL);
        struct stat st;
        if (!real || stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
            free(real); /* lint:allow-free (realpath's allocation) */
            xfree(a);
            return err_set(e, RC_INVALID, "web_dir", "网页目录不存在或不可读：%s", dir);
        }
        a->dir = xstrdup(real);
        free(real); /* lint:allow-free (realpath's allocation) */
        a->dir_fd = open(a->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } else {
        a->table = table;
        a->n = n;
    }
    *out = a;
    return RC_OK;
}

void assets_free(struct assets *a)
{
    if (!a)
        return;
    if (a->dir_fd >= 0)
        close(a->dir_fd);
    xfree(a->dir);
    xfree(a);
}

size_t assets_count(const struct assets *a)
{
    return a ? a->n : 0;
}

/* A path is served only when every segment is a plain name: no "", ".", "..", no
 * hidden file, no backslash; so a file outside the root can never be named. A trailing
 * slash is allowed (it names no file, so it gets the app). */
static bool path_ok(const char *path)
{
    if (path[0] != '/' || strlen(path) > ASSETS_MAX_PATH || strchr(path, '\\'))
        return false;
    const char *seg = path + 1;
    while (*seg) {
        const char *end = strchr(seg, '/');
        if (end == seg || seg[0] == '.')
            return false;
        if (!end)
            break;
        seg = end + 1; /* a trailing slash ends the loop: "/clerk/" is a route */
    }
    return true;
}

/* True when the last segment of path has a '.', i.e. it names a file, not a route. */
static bool has_extension(const char *path)
{
    const char *slash = strrchr(path, '/');
    return strchr(slash ? slash : path, '.') != NULL;
}

static int cmp_asset(const void *key, const void *row)
{
    return strcmp(key, ((const struct asset *)row)->path);
}

static const struct asset *find(const struct assets *a, const char *path)
{
    return a->n ? bsearch(path, a->table, a->n, sizeof(a->table[0]), cmp_asset) : NULL;
}

/* True when Accept-Encoding lists gzip (or *) with a q-value above zero. */
static bool accepts_gzip(const char *ae)
{
    if (!ae)
        return false;
    const char *p = ae;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *tok = p;
        size_t n = strcspn(p, ";, ");
        p += n;
        double q = 1;
        const char *semi = p;
        while (*semi == ' ')
            semi++;
        if (*semi == ';') {
            const char *qs = strstr(semi, "q=");
            const char *comma = strchr(semi, ',');
            if (qs && (!comma || qs < comma))
                q = strtod(qs + 2, NULL);
        }
        if (((n == 4 && strncasecmp(tok, "gzip", 4) == 0) || (n == 1 && *tok == '*')) && q > 0)
            return true;
        p += strcspn(p, ",");
    }
    return false;
}

/* True when If-None-Match names etag (or is "*"). */
static bool etag_matches(const char *inm, const char *etag)
{
    if (!inm)
        return false;
    if (strcmp(inm, "*") == 0)
        return true;
    return strstr(inm, etag) != NULL;
}

/* Sets the headers common to 200 and 304. */
static void set_headers(struct http_req *req, struct http_resp *resp, const char *path,
                        const char *etag, bool immutable, bool vary)
{
    http_resp_header(req, resp, "ETag", etag);
    http_resp_header(req, resp, "Cache-Control",
                     immutable ? "public, max-age=31536000, immutable" : "no-cache");
    if (vary)
        http_resp_header(req, resp, "Vary", "Accept-Encoding");
    if (strcmp(mime_type(path), "text/html; charset=utf-8") == 0) {
        http_resp_header(req, resp, "Content-Security-Policy", ASSETS_CSP);
        http_resp_header(req, resp, "Referrer-Policy", "same-origin");
    }
}

static enum rc serve_embedded(const struct assets *a, struct http_req *req, struct http_resp *resp,
                              const char *path, struct err *e)
{
    const struct asset *f = find(a, path);
    if (!f && !has_extension(path))
        f = find(a, "/index.html");
    if (!f)
        return err_set(e, RC_NOTFOUND, NULL, "文件不存在：%s", req->path);
    bool gz = f->gz && accepts_gzip(http_header(req, "Accept-Encoding"));
    const char *etag = f->etag;
    if (gz) {
        size_t n = strlen(f->etag);
        etag = pool_printf(&req->pool, "%.*s-gz\"", (int)(n - 1), f->etag);
    }
    set_headers(req, resp, f->path, etag, strncmp(f->path, "/assets/", 8) == 0, f->gz != NULL);
    if (etag_matches(http_header(req, "If-None-Match"), etag)) {
        resp->status = 304;
        return RC_OK;
    }
    if (gz)
        http_resp_header(req, resp, "Content-Encoding", "gzip");
    resp->status = 200;
    resp->content_type = f->mime;
    resp->static_body = gz ? f->gz : f->data;
    resp->static_len = gz ? f->gz_len : f->len;
    return RC_OK;
}

/*
 * Opens path (below the root, starting with '/') as a regular file; -1 with errno when
 * it is not one or when it resolves outside the root. A symlink may point within the
 * root; one that leads out (a linked directory or file, absolute or through "..") is
 * refused: openat2 with RESOLVE_BENEATH where the kernel has it (Linux 5.6), else the
 * real path must lie under the root's.
 */
static int open_file(const struct assets *a, struct http_req *req, const char *path,
                     struct stat *st)
{
    int fd = -1;
    /* No O_NOFOLLOW: RESOLVE_BENEATH already refuses every link that leads out, and a
     * link within the root is served, as by the realpath fallback. */
    struct open_how how = {.flags = O_RDONLY | O_CLOEXEC,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
    if (a->dir_fd >= 0)
        fd = (int)syscall(SYS_openat2, a->dir_fd, path + 1, &how, sizeof(how));
    if (a->dir_fd < 0 || (fd < 0 && errno == ENOSYS)) {
        const char *full = pool_printf(&req->pool, "%s%s", a->dir, path);
        char *real = realpath(full, NULL);
        size_t n = strlen(a->dir);
        if (real && strncmp(real, a->dir, n) == 0 && real[n] == '/')
            fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        else
            errno = ENOENT;
        free(real); /* lint:allow-free (realpath's allocation) */
    }
    if (fd < 0)
        return -1;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        errno = ENOENT;
        return -1;
    }
    return fd;
}

static enum rc serve_dir(const struct assets *a, struct http_req *req, struct http_resp *resp,
                         const char *path, struct err *e)
{
    struct stat st;
    int fd = open_file(a, req, path, &st);
    if (fd < 0 && !has_extension(path)) {
        path = "/index.html";
        fd = open_file(a, req, path, &st);
    }
    if (fd < 0)
        return err_set(e, RC_NOTFOUND, NULL, "文件不存在：%s", req->path);
    if ((size_t)st.st_size > ASSETS_MAX_FILE) {
        close(fd);
        return err_set(e, RC_TOOLARGE, NULL, "文件过大：%s", req->path);
    }
    size_t n = (size_t)st.st_size, got = 0;
    char *data = xmalloc(n ? n : 1);
    while (got < n) {
        ssize_t r = read(fd, data + got, n - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    enum rc rc = RC_OK;
    if (got != n) {
        rc = err_set(e, RC_IO, NULL, "读取文件失败：%s", path);
        goto out;
    }
    char hex[SEC_HEX_SHA256];
    sec_sha256_hex(data, n, hex);
    const char *etag = pool_printf(&req->pool, "\"%.32s\"", hex);
    /* Files on disk change while developing: always revalidate. */
    set_headers(req, resp, path, etag, false, false);
    if (etag_matches(http_header(req, "If-None-Match"), etag)) {
        resp->status = 304;
        goto out;
    }
    rc = buf_append(&resp->body, data, n);
    if (rc) {
        err_set(e, rc, NULL, "文件过大：%s", req->path);
        goto out;
    }
    resp->status = 200;
    resp->content_type = mime_type(path);
out:
    xfree(data);
    return rc;
}

enum rc assets_serve(const struct assets *a, struct http_req *req, struct http_resp *resp,
                     struct err *e)
{
    const char *path = strcmp(req->path, "/") == 0 ? "/index.html" : req->path;
    if (!path_ok(path))
        return err_set(e, RC_INVALID, NULL, "非法的文件路径：%s", req->path);
    return a->dir ? serve_dir(a, req, resp, path, e) : serve_embedded(a, req, resp, path, e);
}
