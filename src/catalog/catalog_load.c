/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog_load: `qifu catalog load DIR` — the ITEM files of DIR/items and the BUNDLE files of
 * DIR/bundles, in file-name order, published.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/jsonx.h"
#include "../base/mem.h"
#include "../store/store.h"
#include "catalog.h"

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.json names of dir, sorted (new; *n of them). A missing directory is none. */
static char **json_files(const char *dir, size_t *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **names = NULL;
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 6 || de->d_name[0] == '.' || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            names = xrealloc(names, cap * sizeof(*names));
        }
        names[(*n)++] = xstrdup(de->d_name);
    }
    closedir(d);
    if (names && *n > 1)
        qsort(names, *n, sizeof(*names), by_name);
    return names;
}

static enum rc read_json(const char *path, json_t **out, struct err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(e, RC_NOTFOUND, NULL, "无法打开 %s", path);
    char *data = NULL;
    size_t len = 0, cap = 0, got;
    do {
        if (len + 65536 > cap) {
            cap = cap ? cap * 2 : 131072;
            data = xrealloc(data, cap);
        }
        got = fread(data + len, 1, cap - len, f);
        len += got;
    } while (got > 0 && len < (64u << 20));
    fclose(f);
    enum rc rc = jsonx_parse(data ? data : "", len, 64, out, e);
    xfree(data);
    return rc;
}

enum rc catalog_load_dir(struct conn *c, const struct principal *p, const struct ent_catalog *ent,
                         const char *dir, int64_t now, struct catalog_load_report *r, struct err *e)
{
    memset(r, 0, sizeof(*r));
    r->errors = json_array();
    /* Hundreds of small transactions (a guide's create, submit, approve): their commits need
     * not wait for the disk one by one; the load is made durable at its end. */
    enum rc rc = store_relax_commits(c, true, e);
    if (rc)
        return rc;
    static const char *const subs[] = {"items", "bundles"};
    bool stop = false; /* a failure of the system (not of a file) ends the load */
    for (int s = 0; s < 2 && !stop; s++) {
        char sub[4096];
        snprintf(sub, sizeof(sub), "%s/%s", dir, subs[s]);
        size_t n;
        char **names = json_files(sub, &n);
        for (size_t i = 0; i < n; i++) {
            if (!stop) {
                char file[256];
                snprintf(file, sizeof(file), "%s/%s", subs[s], names[i]);
                char path[4400];
                snprintf(path, sizeof(path), "%s/%s", sub, names[i]);
                json_t *doc = NULL;
                struct err fe;
                err_clear(&fe);
                enum rc frc = read_json(path, &doc, &fe);
                if (frc == RC_OK && s == 0) {
                    struct catalog_put_report pr;
                    frc = catalog_item_put(c, p, ent, doc, true, now, &pr, &fe);
                    json_decref(pr.ids);
                    r->items++;
                    r->impls += pr.impls;
                    r->created += pr.created;
                    r->published += pr.published;
                    r->unchanged += pr.unchanged;
                } else if (frc == RC_OK) {
                    bool changed = false;
                    frc = catalog_bundle_put(c, p, ent, doc, now, &changed, &fe);
                    r->bundles++;
                    r->bundles_changed += changed;
                }
                json_decref(doc);
                stop = rc_http(frc) >= 500;
                if (frc) {
                    json_array_append_new(r->errors,
                                          json_pack("{s:s, s:s, s:s}", "file", file, "field",
                                                    fe.field, "message", fe.msg));
                    if (rc == RC_OK) {
                        /* The first bad file's error is the answer. */
                        rc = frc;
                        snprintf(r->file, sizeof(r->file), "%s", file);
                        if (e)
                            *e = fe;
                    }
                }
            }
            xfree(names[i]);
        }
        xfree(names);
    }
    struct err ignored;
    enum rc off = store_relax_commits(c, false, rc ? &ignored : e);
    if (rc == RC_OK && off)
        return off;
    return rc;
}
