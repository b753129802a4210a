/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_import: libFuzzer target for the enterprise import reader: CSV/JSON Lines
 * parsing, per-row validation and the report, as a dry run against a SQLite
 * database in a temporary directory, migrated once at start. (Not ":memory:": an
 * in-memory database has no WAL, so the store's durable commit refuses it.)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ent/ent.h"
#include "ent/ent_import.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static struct store *db;
static struct conn *conn;
static struct ent_catalog *cat;

static char dir[64];

/* At exit: the temporary database goes. */
static void remove_dir(void)
{
    static const char *const files[] = {"import.db", "import.db-wal", "import.db-shm"};
    char p[96];
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
}

static void setup(void)
{
    struct err e;
    char url[96];
    snprintf(dir, sizeof(dir), "%s/qifu-fuzz-import-XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(dir))
        abort();
    atexit(remove_dir);
    snprintf(url, sizeof(url), "sqlite:%s/import.db", dir);
    if (store_open(url, 1, &db, &e) || store_migrate(db, NULL, &e) ||
        store_acquire(db, &conn, &e) || ent_catalog_load(conn, &cat, &e))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (!db)
        setup();
    struct ent_import_opts o = {.dry_run = true, .default_as_of = "2025-12-31", .max_errors = 50};
    struct audit_actor who = {"fuzz", ""};
    struct ent_import_report r;
    struct err e;
    (void)ent_import(conn, cat, &who, (const char *)data, n, &o, &r, &e);
    ent_import_report_cleanup(&r);
    return 0;
}
