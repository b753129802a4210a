/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_web: the router's fallback for paths outside the route table. API paths
 * (/api/, /open311/) stay JSON 404s; every other GET or HEAD is the web UI's,
 * answered from app->web (src/http/assets.h: embedded files or --web-dir).
 */
#include <string.h>

#include "../http/assets.h"
#include "api.h"

enum rc api_web(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct app *app = api_app(req);
    enum rc rc = api_reserved_notfound(req->path, e);
    if (rc)
        return rc; /* a name reserved for what is coming (/api/v1/cases...) */
    if (strncmp(req->path, "/api/", 5) == 0 || strcmp(req->path, "/api") == 0 ||
        strncmp(req->path, "/open311/", 9) == 0)
        return err_set(e, RC_NOTFOUND, NULL, "接口不存在：%s", req->path);
    if (!app->web)
        return err_set(e, RC_NOTFOUND, NULL,
                       "本程序未内置网页界面（构建时 WITH_WEB=0），请用 --web-dir 指定目录");
    return assets_serve(app->web, req, resp, e);
}
