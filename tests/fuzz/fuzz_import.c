/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_import: libFuzzer target for the enterprise import reader: CSV/JSON Lines
 * parsing, per-row validation and the report, as a dry run against an in-memory
 * SQLite database migrated once at start.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ent/ent.h"
#include "ent/ent_import.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static struct store *db;
static struct conn *conn;
static struct ent_catalog *cat;

static void setup(void)
{
    struct err e;
    if (store_open("sqlite::memory:", 1, &db, &e) || store_migrate(db, NULL, &e) ||
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
