/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mime: the media types of the web UI's files, by file extension. Shared by the
 * build-time tool tools/embed.c (which writes each embedded file's type into the
 * generated table) and src/http/assets.c (which types files served from --web-dir),
 * so both answer the same Content-Type. Self-contained: no qifu headers.
 */
#ifndef QIFU_MIME_H
#define QIFU_MIME_H

#include <string.h>

/* inline definitions */

/*
 * Returns the media type of path by its extension (case-sensitive, as Vite writes
 * lower case), or "application/octet-stream" for an unknown one. Static storage.
 */
static inline const char *mime_type(const char *path)
{
    static const char *const tab[][2] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json; charset=utf-8"},
        {".map", "application/json; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".webp", "image/webp"},
        {".ico", "image/x-icon"},
        {".woff", "font/woff"},
        {".woff2", "font/woff2"},
        {".ttf", "font/ttf"},
        {".txt", "text/plain; charset=utf-8"},
        {".webmanifest", "application/manifest+json"},
    };
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    if (dot)
        for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
            if (strcmp(dot, tab[i][0]) == 0)
                return tab[i][1];
    return "application/octet-stream";
}

#endif
