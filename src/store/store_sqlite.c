/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_sqlite: the embedded backend. Each connection opens the same file in WAL
 * mode, foreign keys on and a busy time-out, so readers run in parallel and writers
 * queue on BEGIN IMMEDIATE (behind store.c's writer mutex within one process).
 *
 * Durability is group commit: a committed write survives power loss before the
 * commit returns, as with synchronous=FULL, but one fdatasync serves every
 * transaction that committed while the previous one ran. The connections run with
 * synchronous=NORMAL, so COMMIT writes its WAL frames without waiting for the disk
 * (the WAL stays consistent: frames carry checksums, checkpoints sync the WAL before
 * and the database after copying); store_commit then calls sq_sync, which fdatasyncs
 * the WAL through SQLite's own file handle (SQLITE_FCNTL_JOURNAL_POINTER), and
 * returns only after it. bench/demands.sh measures it; docs/internals/store.md.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <string.h>

#include "../base/log.h"
#include "../base/mem.h"
#include "store_int.h"

/* WAL size, in frames (pages), past which a commit asks for a checkpoint (SQLite's own
 * automatic checkpoint uses the same 1000). */
#define STORE_SQLITE_CHECKPOINT_PAGES 4000

struct sqlite_conn {
    struct conn base;
    sqlite3 *db;
    int64_t changes_seen; /* sqlite3_total_changes64 at the last sq_dirty */
};

struct sqlite_stmt {
    struct stmt base;
    sqlite3_stmt *st;
    int64_t changes;
};

#define SC(c) ((struct sqlite_conn *)(c))
#define SS(s) ((struct sqlite_stmt *)(s))

static enum rc map(sqlite3 *db, int code, struct err *e, const char *what)
{
    enum rc rc;
    switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        rc = RC_BUSY;
        break;
    case SQLITE_CONSTRAINT:
        if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
            rc = RC_EXISTS;
        else if (code == SQLITE_CONSTRAINT_FOREIGNKEY)
            rc = RC_CONFLICT;
        else
            rc = RC_INVALID;
        break;
    case SQLITE_TOOBIG:
        rc = RC_TOOLARGE;
        break;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
        rc = RC_IO;
        break;
    default:
        rc = RC_STORE;
    }
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
    if (rc != RC_EXISTS && rc != RC_CONFLICT)
        log_warn("sqlite: %s: %s (%d)", what, msg, code);
    return err_set(e, rc, NULL, "sqlite: %s", msg);
}

static enum rc sq_exec(struct conn *c, const char *sql, struct err *e)
{
    int r = sqlite3_exec(SC(c)->db, sql, NULL, NULL, NULL);
    return r == SQLITE_OK ? RC_OK : map(SC(c)->db, sqlite3_extended_errcode(SC(c)->db), e, "exec");
}

/*
 * Process-wide settings, before SQLite initializes itself. Memory statistics off: with
 * them on (Debian's build default) every sqlite3_malloc and sqlite3_free takes one global
 * mutex, and reading a text column allocates (to NUL-terminate it), so the server's
 * threads queued on that mutex (perf, list reads: ~5 % in lock/unlock plus the futex
 * wake-ups). qifu never asks SQLite for its memory statistics.
 */
static void sq_global_init(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); /* SQLITE_MISUSE if already initialized */
    (void)sqlite3_initialize();
}

/*
 * Commit hook (sqlite3_wal_hook, which replaces SQLite's automatic checkpoint): past
 * STORE_SQLITE_CHECKPOINT_PAGES frames, asks the store's checkpointer thread for a
 * checkpoint. SQLite's own runs inside the COMMIT, while the store's writer lock is held,
 * and syncs the WAL and the database: in the create benchmark every writer of the process
 * waited 1-80 ms after one commit in ~75. Only when no thread can start does the commit
 * checkpoint (docs/internals/store.md, "Checkpoints off the writer's path").
 */
static int sq_wal_hook(void *arg, sqlite3 *db, const char *name, int n_frames)
{
    struct conn *c = arg;
    if (n_frames < STORE_SQLITE_CHECKPOINT_PAGES)
        return SQLITE_OK;
    if (c->store && store__want_checkpoint(c->store))
        return SQLITE_OK;
    (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

static enum rc sq_connect(const char *path, struct conn **out, struct err *e)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sq_global_init);
    sqlite3 *db = NULL;
    int r = sqlite3_open_v2(path, &db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                                SQLITE_OPEN_EXRESCODE,
                            NULL);
    if (r != SQLITE_OK) {
        (void)map(db, r, e, "open");
        sqlite3_close(db);
        if (e)
            e->rc = RC_UNAVAILABLE;
        return RC_UNAVAILABLE;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 10000);
    struct sqlite_conn *c = xcalloc(1, sizeof(*c));
    c->db = db;
    enum rc rc = sq_exec(&c->base,
                         "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                         "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; "
                         "PRAGMA cache_size=-" STORE_SQLITE_CACHE_KIB ";",
                         e);
    if (rc) {
        sqlite3_close(db);
        xfree(c);
        return rc;
    }
    sqlite3_wal_hook(db, sq_wal_hook, &c->base);
    *out = &c->base;
    return RC_OK;
}

static void sq_disconnect(struct conn *c)
{
    if (!c)
        return;
    sqlite3_close(SC(c)->db);
    xfree(c);
}

static enum rc sq_prepare(struct conn *c, const char *sql, struct stmt **out, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int r = sqlite3_prepare_v3(SC(c)->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (r != SQLITE_OK)
        return map(SC(c)->db, sqlite3_extended_errcode(SC(c)->db), e, "prepare");
    struct sqlite_stmt *s = xcalloc(1, sizeof(*s));
    s->st = st;
    *out = &s->base;
    return RC_OK;
}

static void sq_finalize(struct stmt *st)
{
    sqlite3_finalize(SS(st)->st);
    xfree(st);
}

static void sq_reset(struct stmt *st)
{
    sqlite3_reset(SS(st)->st);
    sqlite3_clear_bindings(SS(st)->st);
}

static void sq_bind_text(struct stmt *st, int i, const char *s, size_t n)
{
    sqlite3_bind_text64(SS(st)->st, i, s, n, SQLITE_TRANSIENT, SQLITE_UTF8);
}

static void sq_bind_int(struct stmt *st, int i, int64_t v)
{
    sqlite3_bind_int64(SS(st)->st, i, v);
}

static void sq_bind_double(struct stmt *st, int i, double v)
{
    sqlite3_bind_double(SS(st)->st, i, v);
}

static void sq_bind_null(struct stmt *st, int i)
{
    sqlite3_bind_null(SS(st)->st, i);
}

static void sq_bind_blob(struct stmt *st, int i, const void *p, size_t n)
{
    sqlite3_bind_blob64(SS(st)->st, i, p, n, SQLITE_TRANSIENT);
}

static enum rc sq_step(struct stmt *st, struct err *e)
{
    sqlite3 *db = sqlite3_db_handle(SS(st)->st);
    int r = sqlite3_step(SS(st)->st);
    if (r == SQLITE_ROW)
        return RC_ROW;
    if (r == SQLITE_DONE) {
        SS(st)->changes = sqlite3_changes64(db);
        return RC_DONE;
    }
    enum rc rc = map(db, sqlite3_extended_errcode(db), e, "step");
    sqlite3_reset(SS(st)->st);
    return rc;
}

static int sq_ncols(struct stmt *st)
{
    return sqlite3_column_count(SS(st)->st);
}

static bool sq_isnull(struct stmt *st, int i)
{
    return sqlite3_column_type(SS(st)->st, i) == SQLITE_NULL;
}

static const char *sq_text(struct stmt *st, int i)
{
    return (const char *)sqlite3_column_text(SS(st)->st, i);
}

static int64_t sq_int(struct stmt *st, int i)
{
    return sqlite3_column_int64(SS(st)->st, i);
}

static double sq_double(struct stmt *st, int i)
{
    return sqlite3_column_double(SS(st)->st, i);
}

static const void *sq_blob(struct stmt *st, int i, size_t *n)
{
    const void *p = sqlite3_column_blob(SS(st)->st, i);
    *n = (size_t)sqlite3_column_bytes(SS(st)->st, i);
    return p;
}

static int64_t sq_changes(struct stmt *st)
{
    return SS(st)->changes;
}

static bool sq_broken(struct conn *c)
{
    (void)c;
    return false;
}

/* Makes every frame written to the WAL so far durable: xSync of SQLite's handle of the
 * WAL (fdatasync on Unix). Any connection's handle will do: it is one file. */
static enum rc sq_sync(struct conn *c, struct err *e)
{
    sqlite3_file *wal = NULL;
    int r = sqlite3_file_control(SC(c)->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal);
    if (r == SQLITE_OK && wal && !wal->pMethods) {
        /* A connection that never read (the store's syncer) opens the WAL with its first
         * read transaction. */
        (void)sqlite3_exec(SC(c)->db, "PRAGMA schema_version", NULL, NULL, NULL);
        r = sqlite3_file_control(SC(c)->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal);
    }
    if (r != SQLITE_OK || !wal || !wal->pMethods)
        return err_set(e, RC_IO, NULL, "sqlite: the WAL file is not open");
    r = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
    return r == SQLITE_OK ? RC_OK : map(NULL, r, e, "sync");
}

static bool sq_dirty(struct conn *c)
{
    int64_t n = sqlite3_total_changes64(SC(c)->db);
    bool dirty = n != SC(c)->changes_seen;
    SC(c)->changes_seen = n;
    return dirty;
}

/* A PASSIVE checkpoint: copies what no reader still needs, and waits for nobody. */
static enum rc sq_checkpoint(struct conn *c, struct err *e)
{
    int r = sqlite3_wal_checkpoint_v2(SC(c)->db, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    if (r == SQLITE_OK || (r & 0xff) == SQLITE_BUSY)
        return RC_OK;
    return map(SC(c)->db, r, e, "checkpoint");
}

const struct store_ops store__sqlite_ops = {
    .name = "sqlite",
    .kind = STORE_SQLITE,
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .exec = sq_exec,
    .prepare = sq_prepare,
    .finalize = sq_finalize,
    .reset = sq_reset,
    .bind_text = sq_bind_text,
    .bind_int = sq_bind_int,
    .bind_double = sq_bind_double,
    .bind_null = sq_bind_null,
    .bind_blob = sq_bind_blob,
    .step = sq_step,
    .ncols = sq_ncols,
    .isnull = sq_isnull,
    .text = sq_text,
    .int64 = sq_int,
    .dbl = sq_double,
    .blob = sq_blob,
    .changes = sq_changes,
    .broken = sq_broken,
    .sync = sq_sync,
    .dirty = sq_dirty,
    .checkpoint = sq_checkpoint,
};
