/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_int: what store.c shares with its backends (store_sqlite.c, store_pg.c).
 *
 * A backend defines `struct sqlite_conn { struct conn base; ... }` and
 * `struct sqlite_stmt { struct stmt base; ... }` (base first, so the pointers convert)
 * and an ops table. store.c owns the pool, the statement cache and transactions;
 * the backend only talks to its library.
 */
#ifndef QIFU_STORE_INT_H
#define QIFU_STORE_INT_H

#include <pthread.h>

#include "store.h"

#define STORE_CACHE_SLOTS 256 /* cached statements per connection (power of two) */

/* Page cache per connection, in KiB (SQLite's default is 2 MiB): a read served from it
 * costs no pread. Measured by bench/demands.sh (100,000 demands): a bigger cache lifted
 * list reads, while mmap_size sped reads but cost writes a remap of every connection's
 * map whenever a checkpoint grew the file, so it stays off (retried with the file growing
 * in 16 MiB steps, SQLITE_FCNTL_CHUNK_SIZE: creates still fell by half). */
#define STORE_SQLITE_CACHE_KIB "32768"

struct store_ops {
    const char *name;
    enum store_kind kind;
    /* Connects to target (the URL without "sqlite:"); *out is new. */
    enum rc (*connect)(const char *target, struct conn **out, struct err *e);
    void (*disconnect)(struct conn *c);
    /* Runs SQL without parameters; may hold several statements. */
    enum rc (*exec)(struct conn *c, const char *sql, struct err *e);
    /* Prepares sql (with ? placeholders); *out is new (finalize). */
    enum rc (*prepare)(struct conn *c, const char *sql, struct stmt **out, struct err *e);
    void (*finalize)(struct stmt *st);
    /* Clears bindings and results so st can be run again. */
    void (*reset)(struct stmt *st);
    void (*bind_text)(struct stmt *st, int i, const char *s, size_t n);
    void (*bind_int)(struct stmt *st, int i, int64_t v);
    void (*bind_double)(struct stmt *st, int i, double v);
    void (*bind_null)(struct stmt *st, int i);
    void (*bind_blob)(struct stmt *st, int i, const void *p, size_t n);
    enum rc (*step)(struct stmt *st, struct err *e);
    /* store_run_later: sends st to run before the connection's next awaited command; NULL
     * when the backend runs it at once (store_run). */
    enum rc (*run_later)(struct stmt *st, struct err *e);
    int (*ncols)(struct stmt *st);
    bool (*isnull)(struct stmt *st, int i);
    const char *(*text)(struct stmt *st, int i);
    int64_t (*int64)(struct stmt *st, int i);
    double (*dbl)(struct stmt *st, int i);
    const void *(*blob)(struct stmt *st, int i, size_t *n);
    int64_t (*changes)(struct stmt *st);
    /* True when the connection is unusable and must be reopened. */
    bool (*broken)(struct conn *c);
    /*
     * Group commit (NULL when the backend makes each COMMIT durable by itself). The
     * backend commits without waiting for the disk; sync makes everything committed so
     * far, on any connection of the store, durable (SQLite: fdatasync of the WAL), and
     * dirty says whether c changed rows since the last call to dirty (and forgets it).
     */
    enum rc (*sync)(struct conn *c, struct err *e);
    bool (*dirty)(struct conn *c);
    /* A commit that wrote nothing is not synced (PostgreSQL); SQLite syncs every commit. */
    bool sync_dirty_only;
    /*
     * Copies committed WAL frames into the database without blocking writers (SQLite:
     * a PASSIVE checkpoint); NULL when the backend needs none. The backend asks for it
     * with store__want_checkpoint (from its commit hook) instead of checkpointing inside
     * the COMMIT, which holds the writer lock; the store runs it on its own thread.
     */
    enum rc (*checkpoint)(struct conn *c, struct err *e);
    /*
     * The change channel (store_listen.c; NULL when the backend has none). socket is the
     * descriptor to poll for input; notifies reads what arrived and calls got(arg, payload)
     * for each notification, RC_UNAVAILABLE when the connection is lost.
     */
    int (*socket)(struct conn *c);
    enum rc (*notifies)(struct conn *c, void (*got)(void *arg, const char *payload), void *arg,
                        struct err *e);
};

struct store_migration {
    int version;
    const char *name;
    const char *sql;
};

struct conn {
    const struct store_ops *ops;
    struct store *store;
    struct stmt *cache[STORE_CACHE_SLOTS]; /* open addressing by text hash */
    int n_cached;
    bool in_txn;
    bool taken;
    bool writer; /* holds store.wmu (an open SQLite write transaction) */
    /* store_defer_sync: commits do not wait for their sync; ticket is the last one's
     * number (0 when none), for store_take_ticket. */
    bool defer;
    uint64_t ticket;
    unsigned notified; /* store_notify's topics (bits) in the open transaction */
};

struct stmt {
    struct conn *conn;
    char *sql;       /* owned copy of the text: the cache key */
    uint64_t hash;   /* FNV-1a of sql */
    const char *key; /* the caller's pointer when prepared: equal pointers skip strcmp
                        (only ever compared, never dereferenced) */
    bool cached;     /* lives in conn->cache; reset, not finalized, by store_finish */
    bool busy;       /* handed out and not yet finished */
};

struct store {
    const struct store_ops *ops;
    char *target;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct conn **conns;
    int n_conns;
    int n_free;
    uint64_t n_prepared;
    /* SQLite: writers of this process queue on wmu instead of in SQLite's sleeping busy
     * handler. Group commit (ops->sync): a commit counts itself in n_committed once its
     * WAL frames are written; one thread at a time syncs, and a sync that started when
     * n_committed was k makes commits 1..k durable (n_synced = k). */
    pthread_mutex_t wmu;
    pthread_mutex_t gmu;
    pthread_cond_t gcv;
    uint64_t n_committed, n_synced, n_syncs;
    bool syncing;
    uint64_t write_gen; /* store_write_gen: bumped (atomically) by every commit */
    /* Background threads, started on first use and joined by store_close, each with its
     * own connection: the syncer runs the syncs that store_when_durable waiters wait for;
     * the checkpointer runs ops->checkpoint when the backend asks. Guarded by gmu. */
    struct store_bg {
        pthread_t thread;
        pthread_cond_t cv; /* work for it, or bg_stop */
        bool started;
        struct conn *conn; /* its own connection once made (written by the thread only): held
                            * here too, so the store visibly owns it (leak checkers) */
    } syncer, checkpointer;
    struct store_waiter *waiters; /* unordered list of store_when_durable calls */
    bool want_checkpoint;
    bool bg_stop;
    /* store_fault_arm: while fault_on, calls are counted in fault_hits and call number
     * fault_at fails (0: none). */
    bool fault_on;
    long fault_at, fault_hits;
    /* The change channel (store_listen.c): listener is its thread while it runs; listen_up
     * is 1 while its connection listens; topic_gen[t] moves on every change of topic t seen
     * (a notification, a commit of this process) and, for every topic, whenever listen_up
     * changes. All three are read and written atomically. */
    struct store_listener *listener;
    int listen_up;
    uint64_t topic_gen[STORE_N_TOPICS];
};

/* Moves the generation of every topic whose bit is set in topics (store_commit). */
void store__topics_changed(struct store *s, unsigned topics);

/* Asks for a checkpoint on the store's checkpointer thread (from a backend's commit hook;
 * no lock of the store may be held but wmu). Returns false when no thread could be
 * started, and the backend must checkpoint by itself. */
bool store__want_checkpoint(struct store *s);

/* The backends, defined in their files. */
extern const struct store_ops store__sqlite_ops;
#ifdef WITH_PG
extern const struct store_ops store__pg_ops;
#endif

/* Generated from src/store/migrations/NNNN_*.sql, expanded per backend by tools/embed
 * (gen/migrations_sqlite.c and gen/migrations_pg.c in the build directory). */
extern const struct store_migration store__sqlite_migrations[];
extern const int store__n_sqlite_migrations;
extern const struct store_migration store__pg_migrations[];
extern const int store__n_pg_migrations;

#endif
