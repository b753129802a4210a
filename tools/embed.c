/* SPDX-License-Identifier: Apache-2.0 */
/*
 * embed: build-time tool that turns files into C source.
 *
 *   embed migrations NAME FILE...   numbered SQL files "NNNN_name.sql", written once for
 *                                   both backends, become the migrations of backend NAME
 *                                   ("sqlite" or "pg"), expanded as below:
 *                                   const struct store_migration store__NAME_migrations[]
 *                                   and const int store__n_NAME_migrations.
 *   embed expand NAME FILE          prints one migration as backend NAME sees it.
 *   embed text SYMBOL FILE          a file becomes const char SYMBOL[] (NUL-terminated)
 *                                   and const unsigned long SYMBOL_len (its length).
 *   embed assets DIR                every file under DIR (the built web UI) becomes a row of
 *                                   const struct asset assets__embedded[] sorted by path:
 *                                   URL path, bytes, length, a SHA-256 ETag and the MIME
 *                                   type; FILE.gz beside FILE is its gzip variant. DIR "-"
 *                                   writes an empty table (a build without the web UI).
 *
 * Expanding a migration for a backend (docs/internals/store.md "Migrations"): each
 * dialect token {{ID}}, {{ID_REF}}, {{BLOB}}, {{NOW_MS}}, {{TEXT_PATTERN_OPS}} becomes
 * that backend's text (the table below), and a section of whole lines between
 * "-- @sqlite" (or "-- @pg") and "-- @end" is kept for that backend only, without its
 * marker lines. An unknown token, a marker inside a section or a section left open is
 * an error, so a typo fails the build instead of reaching a database.
 *
 * Output goes to standard output. Bytes are written as octal escapes where needed,
 * so any file content survives.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../src/http/mime.h"

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    size_t cap = 4096, len = 0;
    char *p = malloc(cap);
    size_t r;
    while (p && (r = fread(p + len, 1, cap - len, f)) > 0) {
        len += r;
        if (len == cap)
            p = realloc(p, cap *= 2);
    }
    fclose(f);
    if (!p) {
        fputs("embed: out of memory\n", stderr);
        exit(1);
    }
    *n = len;
    return p;
}

static void cstring(const char *p, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\n') {
            fputs("\\n\"\n    \"", stdout);
        } else if (c == '"' || c == '\\') {
            printf("\\%c", c);
        } else if (c < 0x20 || c >= 0x7f || c == '?') {
            printf("\\%03o", c);
        } else {
            putchar(c);
        }
    }
    putchar('"');
}

/* ---- assets: SHA-256 (FIPS 180-4) for the ETags, and the directory walk ---- */

static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha_block(uint32_t h[8], const unsigned char *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

/* Writes the SHA-256 of n bytes at p as 64 hex digits plus NUL into out. */
static void sha256_hex(const unsigned char *p, size_t n, char out[65])
{
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    size_t i = 0;
    for (; i + 64 <= n; i += 64)
        sha_block(h, p + i);
    unsigned char tail[128] = {0};
    size_t rest = n - i;
    memcpy(tail, p + i, rest);
    tail[rest] = 0x80;
    size_t len = rest + 9 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)n * 8;
    for (int k = 0; k < 8; k++)
        tail[len - 1 - k] = (unsigned char)(bits >> (8 * k));
    sha_block(h, tail);
    if (len == 128)
        sha_block(h, tail + 64);
    for (int k = 0; k < 8; k++)
        snprintf(out + 8 * k, 9, "%08x", (unsigned)h[k]);
}

struct paths {
    char **v;
    size_t n, cap;
};

/* Collects the regular files under dir (recursively), as paths relative to root. */
static void walk(const char *dir, size_t root_len, struct paths *out)
{
    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        exit(1);
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue; /* ".", "..", and hidden files are never served */
        size_t n = strlen(dir) + strlen(de->d_name) + 2;
        char *full = malloc(n);
        if (!full)
            exit(1);
        snprintf(full, n, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(full, &st) != 0) {
            perror(full);
            exit(1);
        }
        if (S_ISDIR(st.st_mode)) {
            walk(full, root_len, out);
            free(full);
        } else if (S_ISREG(st.st_mode)) {
            if (out->n == out->cap) {
                out->cap = out->cap ? out->cap * 2 : 64;
                out->v = realloc(out->v, out->cap * sizeof(*out->v));
                if (!out->v)
                    exit(1);
            }
            out->v[out->n++] = full;
        } else {
            free(full);
        }
    }
    closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int embed_assets(const char *root)
{
    struct paths files = {0};
    size_t root_len = strlen(root);
    while (root_len > 1 && root[root_len - 1] == '/')
        root_len--;
    if (strcmp(root, "-") != 0) {
        char *r = malloc(root_len + 1);
        if (!r)
            exit(1);
        memcpy(r, root, root_len);
        r[root_len] = '\0';
        walk(r, root_len, &files);
        free(r);
        qsort(files.v, files.n, sizeof(*files.v), cmp_str);
    }
    printf("/* Generated by tools/embed.c from %s; do not edit. */\n", root);
    printf("#include <stddef.h>\n\n#include \"http/assets.h\"\n\n");
    /* First the bytes (and gzip variants), then the table that points at them. */
    size_t *len = calloc(files.n + 1, sizeof(*len)), *gz_len = calloc(files.n + 1, sizeof(*gz_len));
    char (*hex)[65] = calloc(files.n + 1, sizeof(*hex));
    if (!len || !gz_len || !hex)
        exit(1);
    for (size_t i = 0; i < files.n; i++) {
        const char *path = files.v[i];
        if (ends_with(path, ".gz"))
            continue;
        char *data = slurp(path, &len[i]);
        sha256_hex((const unsigned char *)data, len[i], hex[i]);
        printf("static const char d%zu[] =\n    ", i);
        cstring(data, len[i]);
        printf(";\n");
        free(data);
        size_t gl = strlen(path) + 4;
        char *gz_path = malloc(gl);
        if (!gz_path)
            exit(1);
        snprintf(gz_path, gl, "%s.gz", path);
        if (bsearch(&gz_path, files.v, files.n, sizeof(*files.v), cmp_str)) {
            size_t n;
            char *gz = slurp(gz_path, &n);
            if (n < len[i]) { /* only when it saves bytes */
                gz_len[i] = n;
                printf("static const char z%zu[] =\n    ", i);
                cstring(gz, n);
                printf(";\n");
            }
            free(gz);
        }
        free(gz_path);
    }
    printf("\nconst struct asset assets__embedded[] = {\n");
    size_t n_out = 0;
    for (size_t i = 0; i < files.n; i++) {
        const char *path = files.v[i];
        if (ends_with(path, ".gz"))
            continue;
        char gz_ref[32] = "NULL";
        if (gz_len[i])
            snprintf(gz_ref, sizeof(gz_ref), "z%zu", i);
        printf("    {\"%s\", d%zu, %zu, %s, %zu, \"\\\"%.32s\\\"\", \"%s\"},\n", path + root_len, i,
               len[i], gz_ref, gz_len[i], hex[i], mime_type(path));
        n_out++;
    }
    if (n_out == 0)
        printf("    {\"\", NULL, 0, NULL, 0, \"\", \"\"},\n");
    printf("};\nconst size_t assets__n_embedded = %zu;\n", n_out);
    for (size_t i = 0; i < files.n; i++)
        free(files.v[i]);
    free(files.v);
    free(len);
    free(gz_len);
    free(hex);
    return 0;
}

/* ---- migrations: one source, expanded per backend ---- */

enum { B_SQLITE, B_PG, N_BACKENDS };

static const char *const backend_names[N_BACKENDS] = {"sqlite", "pg"};

/* The dialect tokens. Keep docs/internals/store.md in step. */
static const struct token {
    const char *name;
    const char *text[N_BACKENDS];
} tokens[] = {
    /* An auto-numbered primary key (SQLite's rowid alias; a PostgreSQL sequence). */
    {"ID", {"INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY"}},
    /* A column referring to an {{ID}}, as 0001 and 0014 spell it; BIGINT says the same. */
    {"ID_REF", {"INTEGER", "BIGINT"}},
    /* Bytes. */
    {"BLOB", {"BLOB", "BYTEA"}},
    /* The current time in milliseconds since the epoch, as a SQL expression. */
    {"NOW_MS",
     {"CAST(strftime('%s', 'now') AS INTEGER) * 1000",
      "CAST(extract(epoch FROM now()) * 1000 AS BIGINT)"}},
    /* After an indexed text column: lets a PostgreSQL index serve LIKE 'prefix%'. */
    {"TEXT_PATTERN_OPS", {"", " text_pattern_ops"}},
};

static int backend_of(const char *name)
{
    for (int b = 0; b < N_BACKENDS; b++)
        if (strcmp(name, backend_names[b]) == 0)
            return b;
    fprintf(stderr, "embed: unknown backend %s (sqlite or pg)\n", name);
    exit(2);
}

/* Returns the section marker a line holds ("-- @sqlite", "-- @pg", "-- @end", with
 * nothing else but blanks around it) as B_SQLITE, B_PG or N_BACKENDS (end), or -1. */
static int marker(const char *p, size_t n)
{
    while (n && (*p == ' ' || *p == '\t'))
        p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
        n--;
    if (n < 4 || memcmp(p, "-- @", 4) != 0)
        return -1;
    p += 4, n -= 4;
    if (n == 3 && memcmp(p, "end", 3) == 0)
        return N_BACKENDS;
    for (int b = 0; b < N_BACKENDS; b++)
        if (strlen(backend_names[b]) == n && memcmp(p, backend_names[b], n) == 0)
            return b;
    return -2; /* "-- @something": a misspelt marker */
}

static void append(char **out, size_t *len, size_t *cap, const char *p, size_t n)
{
    if (*len + n + 1 > *cap) {
        while (*len + n + 1 > *cap)
            *cap = *cap ? *cap * 2 : 4096;
        *out = realloc(*out, *cap);
        if (!*out) {
            fputs("embed: out of memory\n", stderr);
            exit(1);
        }
    }
    memcpy(*out + *len, p, n);
    *len += n;
    (*out)[*len] = '\0';
}

/* Expands the n bytes of migration path for backend b; exits on a bad token or
 * section. Returns a new string, its length in *out_n. */
static char *expand(const char *path, const char *sql, size_t n, int b, size_t *out_n)
{
    char *out = NULL;
    size_t len = 0, cap = 0;
    int section = -1, line_no = 0; /* the backend of the open section, or -1 */
    append(&out, &len, &cap, "", 0);
    for (const char *line = sql; line < sql + n;) {
        const char *nl = memchr(line, '\n', (size_t)(sql + n - line));
        const char *end = nl ? nl + 1 : sql + n;
        line_no++;
        int m = marker(line, (size_t)(end - line - (nl ? 1 : 0)));
        if (m == -2 || (m >= 0 && m < N_BACKENDS && section >= 0) ||
            (m == N_BACKENDS && section < 0)) {
            fprintf(stderr, "embed: %s:%d: unexpected or unknown section marker\n", path, line_no);
            exit(1);
        }
        if (m >= 0) {
            section = m == N_BACKENDS ? -1 : m;
            line = end;
            continue;
        }
        if (section >= 0 && section != b) {
            line = end;
            continue;
        }
        for (const char *p = line; p < end;) {
            const char *open = NULL;
            for (const char *q = p; q + 1 < end; q++)
                if (q[0] == '{' && q[1] == '{') {
                    open = q;
                    break;
                }
            if (!open) {
                append(&out, &len, &cap, p, (size_t)(end - p));
                break;
            }
            append(&out, &len, &cap, p, (size_t)(open - p));
            const char *name = open + 2, *close = name;
            while (close + 1 < end && !(close[0] == '}' && close[1] == '}'))
                close++;
            const struct token *t = NULL;
            for (size_t i = 0; close + 1 < end && i < sizeof(tokens) / sizeof(tokens[0]); i++)
                if (strlen(tokens[i].name) == (size_t)(close - name) &&
                    memcmp(tokens[i].name, name, (size_t)(close - name)) == 0)
                    t = &tokens[i];
            if (!t) {
                fprintf(stderr, "embed: %s:%d: unknown token %.*s\n", path, line_no,
                        (int)(end - open - (nl ? 1 : 0)), open);
                exit(1);
            }
            append(&out, &len, &cap, t->text[b], strlen(t->text[b]));
            p = close + 2;
        }
        line = end;
    }
    if (section >= 0) {
        fprintf(stderr, "embed: %s: section \"-- @%s\" has no \"-- @end\"\n", path,
                backend_names[section]);
        exit(1);
    }
    *out_n = len;
    return out;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "assets") == 0)
        return embed_assets(argv[2]);
    if (argc == 4 && strcmp(argv[1], "text") == 0) {
        size_t n;
        char *text = slurp(argv[3], &n);
        printf("/* Generated by tools/embed.c from %s; do not edit. */\n", argv[3]);
        printf("const char %s[] =\n    ", argv[2]);
        cstring(text, n);
        printf(";\nconst unsigned long %s_len = %zu;\n", argv[2], n);
        free(text);
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "expand") == 0) {
        size_t n, m;
        char *sql = slurp(argv[3], &n);
        char *out = expand(argv[3], sql, n, backend_of(argv[2]), &m);
        fwrite(out, 1, m, stdout);
        free(out);
        free(sql);
        return 0;
    }
    if (argc < 3 || strcmp(argv[1], "migrations") != 0) {
        fputs("usage: embed migrations NAME FILE... | embed expand NAME FILE | "
              "embed text SYMBOL FILE | embed assets DIR\n",
              stderr);
        return 2;
    }
    const char *name = argv[2];
    int backend = backend_of(name);
    printf("/* Generated by tools/embed.c; do not edit. */\n#include \"store_int.h\"\n\n");
    printf("const struct store_migration store__%s_migrations[] = {\n", name);
    int last = 0;
    for (int i = 3; i < argc; i++) {
        const char *base = strrchr(argv[i], '/');
        base = base ? base + 1 : argv[i];
        int version = atoi(base);
        if (version <= last) {
            fprintf(stderr, "embed: %s: migration numbers must increase\n", argv[i]);
            return 1;
        }
        last = version;
        const char *us = strchr(base, '_');
        const char *dot = strrchr(base, '.');
        if (!us || !dot || dot < us) {
            fprintf(stderr, "embed: %s: expected NNNN_name.sql\n", argv[i]);
            return 1;
        }
        size_t n, m;
        char *text = slurp(argv[i], &n);
        char *sql = expand(argv[i], text, n, backend, &m);
        printf("    {%d, \"%.*s\",\n    ", version, (int)(dot - us - 1), us + 1);
        cstring(sql, m);
        printf("},\n");
        free(sql);
        free(text);
    }
    if (argc == 3)
        printf("    {0, \"\", \"\"},\n");
    printf("};\nconst int store__n_%s_migrations = %d;\n", name, argc - 3);
    return 0;
}
