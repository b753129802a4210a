/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_attachments: attachments of demands over HTTP (src/demand/demand_attach).
 *
 * Upload convention: POST /api/v1/demands/{id}/attachments?name=URL-ENCODED-NAME
 * [&internal=1] with the file itself as the request body (no multipart) and the
 * file's Content-Type (or application/octet-stream, or none): the server decides the
 * type from the bytes. The route's body cap is the per-file limit (qifu serve
 * --max-attachment), so an oversized upload is answered 413 before it is read.
 * Downloads carry the stored type, Content-Disposition: attachment with the UTF-8
 * name (RFC 6266 / RFC 5987), and a sandboxing Content-Security-Policy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/timeutil.h"
#include "../demand/demand_attach.h"
#include "../store/store.h"
#include "api.h"
#include "api_int.h"
#include "api_kit.h"

static enum rc api_demand_attach_upload(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t id = 0;
    enum rc rc = api_path_id(req, 0, "诉求", &id, e);
    if (rc)
        return rc;
    const char *ct = http_header(req, "Content-Type");
    if (ct && strncasecmp(ct, "multipart/", 10) == 0)
        return err_set(e, RC_MEDIATYPE, NULL,
                       "请直接以文件内容作为请求体上传（不支持 "
                       "multipart/form-data），文件名放在查询参数 name 中");
    bool is_internal = false;
    if ((rc = api_query_flag(req, "internal", &is_internal, e)))
        return rc;
    struct demand_attach_new a = {.name = http_query(req, "name"),
                                  .declared_type = ct,
                                  .data = req->body,
                                  .len = req->body_len,
                                  .internal = is_internal,
                                  .max_bytes = api_app(req)->max_attachment};
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    json_t *j = NULL;
    rc = demand_attach_add(c, api_who(req), id, &a, time_now_ms(), &j, e);
    if (rc)
        return rc;
    const char *aid = json_string_value(json_object_get(j, "id"));
    size_t n = strlen(req->path) + strlen(aid) + 2;
    char *location = pool_alloc(&req->pool, n);
    snprintf(location, n, "%s/%s", req->path, aid);
    http_resp_header(req, resp, "Location", location);
    return http_reply(resp, 201, j);
}

static enum rc api_demand_attach_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t id = 0;
    enum rc rc = api_path_id(req, 0, "诉求", &id, e);
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    json_t *items = NULL;
    rc = demand_attach_list(c, api_who(req), id, &items, e);
    if (rc)
        return rc;
    return http_reply(
        resp, 200, json_pack("{s:o, s:i}", "items", items, "max_files", DEMAND_ATTACH_MAX_FILES));
}

/* RFC 5987 attr-char: what may stand unescaped in filename*=UTF-8''... */
static bool attr_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$&+-.^_`|~", c));
}

/* Content-Disposition for name: an ASCII fallback plus the exact UTF-8 name. */
static const char *disposition(struct http_req *req, const char *name, int64_t aid)
{
    bool plain = true;
    for (const unsigned char *s = (const unsigned char *)name; *s && plain; s++)
        plain = *s >= 0x20 && *s < 0x7F && *s != '"' && *s != '\\' && *s != '%';
    char fallback[64];
    const char *dot = strrchr(name, '.');
    bool ascii_ext = dot && strlen(dot) <= 6;
    for (const char *c = dot; ascii_ext && *c; c++)
        ascii_ext = (unsigned char)*c < 0x7F && *c != '"' && *c != '\\';
    snprintf(fallback, sizeof(fallback), "attachment-%lld%s", (long long)aid, ascii_ext ? dot : "");
    size_t n = strlen(name), cap = 64 + (plain ? n : sizeof(fallback)) + 3 * n;
    char *out = pool_alloc(&req->pool, cap);
    size_t o = (size_t)snprintf(out, cap, "attachment; filename=\"%s\"; filename*=UTF-8''",
                                plain ? name : fallback);
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *s = (const unsigned char *)name; *s && o + 4 < cap; s++) {
        if (attr_char(*s)) {
            out[o++] = (char)*s;
        } else {
            out[o++] = '%';
            out[o++] = hex[*s >> 4];
            out[o++] = hex[*s & 15];
        }
    }
    out[o] = '\0';
    return out;
}

/* Answers the bytes of f (released here) with its stored type, the UTF-8 file name and
 * the headers that keep a download from running anything (api_int.h). */
enum rc api__send_file(struct http_req *req, struct http_resp *resp, struct demand_attach_file *f,
                       int64_t aid, struct err *e)
{
    if (buf_append(&resp->body, f->data, f->len)) {
        demand_attach_file_cleanup(f);
        return err_set(e, RC_INTERNAL, NULL, "attachment larger than the response buffer");
    }
    bool text = strcmp(f->content_type, "text/plain") == 0;
    resp->content_type =
        text ? "text/plain; charset=utf-8" : pool_strdup(&req->pool, f->content_type);
    http_resp_header(req, resp, "Content-Disposition", disposition(req, f->name, aid));
    size_t n = strlen(f->sha256) + 3;
    char *etag = pool_alloc(&req->pool, n);
    snprintf(etag, n, "\"%s\"", f->sha256);
    http_resp_header(req, resp, "ETag", etag);
    /* Even opened in place, an attachment runs no script and loads nothing. */
    http_resp_header(req, resp, "Content-Security-Policy", "sandbox; default-src 'none'");
    http_resp_header(req, resp, "Cache-Control", "private, no-store");
    demand_attach_file_cleanup(f);
    resp->status = 200;
    return RC_OK;
}

static enum rc api_demand_attach_get(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t id = 0, aid = 0;
    enum rc rc = api_path_id(req, 0, "诉求", &id, e);
    if (rc == RC_OK)
        rc = api_path_id(req, 1, "附件", &aid, e);
    if (rc)
        return rc;
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    struct demand_attach_file f;
    rc = demand_attach_get(c, api_who(req), id, aid, &f, e);
    return rc ? rc : api__send_file(req, resp, &f, aid, e);
}

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). */
const struct http_route api_attachments_routes[] = {
    UPLOAD(HTTP_POST, "/api/v1/demands/{id}/attachments", PERM(DEMAND_READ),
           api_demand_attach_upload,
           "上传附件（请求体即文件；?name=文件名（URL 编码）&internal=1；按内容识别类型）",
           DEMAND_ATTACH_MAX_BYTES_DEFAULT),
    ROUTE(HTTP_GET, "/api/v1/demands/{id}/attachments", PERM(DEMAND_READ), api_demand_attach_list,
          "附件列表（企业看不到内部附件）"),
    ROUTE(HTTP_GET, "/api/v1/demands/{id}/attachments/{aid}", PERM(DEMAND_READ),
          api_demand_attach_get, "下载附件"),
};
const size_t api_attachments_n_routes =
    sizeof(api_attachments_routes) / sizeof(api_attachments_routes[0]);
