/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store: one interface over SQLite and PostgreSQL.
 *
 * A struct store is a database: a fixed pool of connections. A thread takes a
 * connection with store_acquire(), uses it, and gives it back with store_release();
 * a connection is never shared between threads while taken. Statements are
 * prepared once per connection and cached, so store_prepare() on a hot path costs a
 * hash lookup. SQL is written once with `?` placeholders; the PostgreSQL backend
 * rewrites them to $1, $2, ... Row data is borrowed until the next store_step() or
 * store_finish(); copy what must outlive it.
 *
 * Typical use:
 *
 *     struct conn *c;
 *     struct stmt *st;
 *     if ((rc = store_acquire(db, &c, e))) return rc;
 *     if ((rc = store_prepare(c, "SELECT name FROM users WHERE id = ?", &st, e))) goto out;
 *     store_bind_int(st, 1, id);
 *     while ((rc = store_step(st, e)) == RC_ROW) use(store_text(st, 0));
 *     if (rc == RC_DONE) rc = RC_OK;
 *     store_finish(st);
 *   out:
 *     store_release(c);
 *
 * Errors of the database are mapped to rc (a unique violation is RC_EXISTS, a foreign
 * key violation RC_CONFLICT, a lock time-out RC_BUSY, a lost server RC_UNAVAILABLE,
 * anything else RC_STORE) and their text goes to the log and into err.msg for the
 * operator; the router never sends err.msg of RC_STORE to a client.
 */
#ifndef QIFU_STORE_H
#define QIFU_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/rc.h"

struct store;
struct conn;
struct stmt;
struct buf;

enum store_kind { STORE_SQLITE, STORE_PG };

/*
 * Opens the database named by url: "sqlite:PATH" (or a bare path) or
 * "postgres://..." / "postgresql://...", with n_conns connections. *out is new
 * (store_close). RC_INVALID for an unknown scheme, RC_UNAVAILABLE if it cannot connect.
 */
enum rc store_open(const char *url, int n_conns, struct store **out, struct err *e) WARN_UNUSED;
/* Closes every connection and frees s (s may be NULL). No connection may be taken. */
void store_close(struct store *s);
/* Returns the backend of s. */
enum store_kind store_kind(const struct store *s);
/* Returns "sqlite" or "postgres". */
const char *store_kind_name(const struct store *s);

/*
 * Applies every migration newer than the database's version, each in its own
 * transaction; *n_applied (may be NULL) says how many ran.
 */
enum rc store_migrate(struct store *s, int *n_applied, struct err *e) WARN_UNUSED;
/* Returns the number of the newest migration compiled into this binary. */
int store_schema_version(void);

/*
 * Takes a free connection, waiting up to 10 s (then RC_BUSY). A connection that
 * was lost is reconnected here. *out is borrowed until store_release().
 */
enum rc store_acquire(struct store *s, struct conn **out, struct err *e) WARN_UNUSED;
/* Gives c back (c may be NULL); an open transaction is rolled back first. */
void store_release(struct conn *c);
/* Returns the backend of the connection. */
enum store_kind store_conn_kind(const struct conn *c);
/* Checks that the server answers (SELECT 1). */
enum rc store_ping(struct conn *c, struct err *e) WARN_UNUSED;

/* Begins a write transaction (SQLite: BEGIN IMMEDIATE, so writers queue up front; the
 * writers of one process queue on a mutex first). */
enum rc store_begin(struct conn *c, struct err *e) WARN_UNUSED;
/* Like store_begin, for bookkeeping whose loss in a crash is harmless: the commit does not
 * wait for its WAL to reach the disk (PostgreSQL: synchronous_commit off for this
 * transaction), but is visible at once. SQLite: store_begin. */
enum rc store_begin_relaxed(struct conn *c, struct err *e) WARN_UNUSED;
/* Commits; on failure the transaction is rolled back. Returns only when the commit is
 * durable (SQLite: after the group commit's fdatasync of the WAL, see store_sqlite.c). */
enum rc store_commit(struct conn *c, struct err *e) WARN_UNUSED;
/* Rolls back the open transaction, if any. */
void store_rollback(struct conn *c);

/*
 * Deferred durability, for a caller that can answer later (an HTTP create suspends its
 * connection instead of blocking a server thread in the group commit's wait):
 *
 *     store_defer_sync(c);
 *     rc = something_that_commits(c, ...);         (store_commit returns before the sync)
 *     uint64_t ticket = store_take_ticket(c);
 *     store_release(c);
 *     if (rc == RC_OK) store_when_durable(db, ticket, done, arg);   (answer in done)
 *
 * From store_defer_sync until store_take_ticket, store_commit on c returns once the
 * COMMIT is written, without waiting for the disk: the write is visible but NOT durable,
 * and must not be acknowledged before store_when_durable calls back. A deferred commit
 * that nobody takes is waited for by store_release. Without group commit (PostgreSQL)
 * the commit is durable at once and the ticket is 0.
 */
void store_defer_sync(struct conn *c);
/* Ends deferral on c; returns the ticket of its last deferred commit (0: none, or durable). */
uint64_t store_take_ticket(struct conn *c);
/*
 * For a long series of transactions on c that may be lost in a crash until the series
 * ends (`qifu demo --history`): on, commits on c return without waiting for the disk
 * (SQLite: deferred syncs, as store_defer_sync; PostgreSQL: synchronous_commit off for the
 * session); off, everything committed so far is made durable before it returns.
 */
enum rc store_relax_commits(struct conn *c, bool on, struct err *e) WARN_UNUSED;
/* Returns a ticket covering everything committed so far, e.g. a row another request wrote
 * and read here before its sync (0 when commits are durable at once). */
uint64_t store_ticket_now(struct store *s);
/*
 * Calls done(arg, rc) once ticket is durable (rc = RC_OK), or with the error of the sync
 * that was to cover it (RC_IO; RC_UNAVAILABLE when no sync thread can run). Calls at once,
 * in the calling thread, when it is durable already (ticket 0); otherwise from the store's
 * syncer thread, one fdatasync for every ticket waiting. Every call is answered, also when
 * the store closes; done must not block.
 */
void store_when_durable(struct store *s, uint64_t ticket, void (*done)(void *arg, enum rc rc),
                        void *arg);
/* Returns true while a transaction is open on c. */
bool store_in_txn(const struct conn *c);
/* Runs SQL text without parameters or rows (several statements allowed). */
enum rc store_exec(struct conn *c, const char *sql, struct err *e) WARN_UNUSED;

/*
 * Returns a prepared statement for sql (borrowed until store_finish). Statements
 * are cached per connection by their text; a statement still in use is never handed
 * out twice (a fresh one is prepared instead). On failure *out is NULL, so a caller may
 * store_finish it unconditionally.
 */
enum rc store_prepare(struct conn *c, const char *sql, struct stmt **out,
                      struct err *e) WARN_UNUSED;
/* Binders: i is 1-based. Text and blobs are copied. A NULL string binds NULL. */
void store_bind_text(struct stmt *st, int i, const char *s);
void store_bind_textn(struct stmt *st, int i, const char *s, size_t n);
void store_bind_int(struct stmt *st, int i, int64_t v);
void store_bind_double(struct stmt *st, int i, double v);
void store_bind_null(struct stmt *st, int i);
void store_bind_blob(struct stmt *st, int i, const void *p, size_t n);
/* Executes or advances: RC_ROW when a row is ready, RC_DONE at the end, else an error. */
enum rc store_step(struct stmt *st, struct err *e) WARN_UNUSED;
/* Like store_step for statements that return no rows: RC_OK on RC_DONE. */
enum rc store_run(struct stmt *st, struct err *e) WARN_UNUSED;
/*
 * store_run for a statement whose outcome the caller does not need at once: inside a
 * transaction on PostgreSQL it is sent with the next statement that is stepped (or the
 * COMMIT), in one round trip, and a failure of it is that later call's failure (it ends
 * the transaction, as any error does); otherwise it runs now. store_changes is not known.
 */
enum rc store_run_later(struct stmt *st, struct err *e) WARN_UNUSED;
/*
 * Runs an INSERT ... RETURNING id (or any statement giving exactly one row) and stores
 * the first column of that row in *id. Errors as store_step (RC_EXISTS for a unique
 * violation); RC_INTERNAL when there is no row or more than one.
 */
enum rc store_insert_id(struct stmt *st, int64_t *id, struct err *e) WARN_UNUSED;
/* Column readers: i is 0-based; values are borrowed until the next step. */
int store_ncols(struct stmt *st);
bool store_isnull(struct stmt *st, int i);
const char *store_text(struct stmt *st, int i); /* NULL for SQL NULL */
int64_t store_int(struct stmt *st, int i);      /* 0 for SQL NULL */
double store_double(struct stmt *st, int i);
const void *store_blob(struct stmt *st, int i, size_t *n);
/* Rows changed by the last INSERT/UPDATE/DELETE of st. */
int64_t store_changes(struct stmt *st);
/* Resets st and gives it back to the cache (st may be NULL). */
void store_finish(struct stmt *st);

/*
 * SQL that only one backend understands, said here once so that domain code never
 * branches on the backend (docs/internals/store.md, "SQL that differs by backend";
 * `make lint` refuses backend checks and backend-only SQL outside src/store).
 */

/*
 * A searchable table: its text index is the FTS5 table <table>_fts (trigram tokenizer,
 * keyed by the table's rowid) on SQLite, a pg_trgm index the server maintains on
 * PostgreSQL. Table, alias and text are SQL the caller writes (constants).
 */
struct store_search {
    const char *table; /* the table searched */
    const char *alias; /* its alias in the query */
    const char *text;  /* the text expression matched, e.g. "e.name" */
};
/*
 * Appends to sql " AND <condition>" that holds for the rows of s whose text contains q
 * (ASCII case ignored), with one '?' to bind to *arg (new, xfree): the FTS5 index on
 * SQLite for q of 3 or more characters, LIKE on SQLite for shorter q, ILIKE on
 * PostgreSQL. RC_TOOLARGE when sql is full (*arg is then NULL).
 */
enum rc store_search_sql(const struct conn *c, const struct store_search *s, const char *q,
                         struct buf *sql, char **arg) WARN_UNUSED;
/*
 * Appends to sql a condition that holds when the text expression expr contains the text of
 * one '?' (bound as is: no pattern characters): instr() on SQLite, strpos() on PostgreSQL,
 * both far cheaper per row than LIKE '%...%' where an index has already chosen the rows.
 */
enum rc store_contains_sql(const struct conn *c, const char *expr, struct buf *sql) WARN_UNUSED;
/* Sets *mark to a high-water mark of table's rows for store_search_index_from (the
 * largest rowid on SQLite; 0 on PostgreSQL, whose server keeps its text indexes). */
enum rc store_search_mark(struct conn *c, const char *table, int64_t *mark,
                          struct err *e) WARN_UNUSED;
/* Adds column col of the rows of table inserted after mark to its SQLite text index
 * (for bulk inserts that skip store_search_index_row); a no-op on PostgreSQL. */
enum rc store_search_index_from(struct conn *c, const char *table, const char *col, int64_t mark,
                                struct err *e) WARN_UNUSED;
/* Adds column col of the row of table whose key_col is key to its SQLite text index; a
 * no-op on PostgreSQL. */
enum rc store_search_index_row(struct conn *c, const char *table, const char *col,
                               const char *key_col, const char *key, struct err *e) WARN_UNUSED;
/*
 * Sets *id to the id the next INSERT into table (with an {{ID}} column id) will take, so
 * the row can carry values derived from it. Inside a write transaction only: SQLite's
 * writer holds the write lock, so MAX(id) + 1 is what INTEGER PRIMARY KEY assigns;
 * PostgreSQL takes the next value of the sequence <table>_id_seq.
 */
enum rc store_next_id(struct conn *c, const char *table, int64_t *id, struct err *e) WARN_UNUSED;
/*
 * Like store_prepare for sql with one {{NEXT_ID}} where the id the next INSERT into table
 * will take goes (as store_next_id, folded into a statement that reads other things too):
 * PostgreSQL nextval('<table>_id_seq'), SQLite (SELECT COALESCE(MAX(id), 0) + 1 FROM
 * <table>). Inside a write transaction only.
 */
enum rc store_prepare_next_id(struct conn *c, const char *sql, const char *table, struct stmt **out,
                              struct err *e) WARN_UNUSED;
/*
 * Prepares two writes that do not read each other's rows as one statement where the
 * backend can: PostgreSQL `WITH w AS (first) then`, whose parameters are first's and then
 * then's (*joined true); SQLite has no data-modifying WITH, so *out is first alone
 * (*joined false) and the caller runs then itself. Saves a statement (a round trip and
 * the server's CPU per statement) on every audited write.
 */
enum rc store_prepare_joined(struct conn *c, const char *first, const char *then, bool *joined,
                             struct stmt **out, struct err *e) WARN_UNUSED;
/*
 * Like store_prepare for a SELECT whose rows of table alias `of` stay locked until the
 * transaction ends: PostgreSQL appends " FOR UPDATE OF <of>"; SQLite's writer already
 * holds the whole database (BEGIN IMMEDIATE), so the SQL is unchanged.
 */
enum rc store_prepare_locked(struct conn *c, const char *sql, const char *of, struct stmt **out,
                             struct err *e) WARN_UNUSED;
/*
 * Like store_prepare_locked for claiming work several processes compete for: rows that
 * another transaction has locked are skipped instead of waited for (PostgreSQL appends
 * " FOR UPDATE OF <of> SKIP LOCKED"); SQLite's writer holds the whole database, so the
 * SQL is unchanged. Inside a write transaction only.
 */
enum rc store_prepare_claim(struct conn *c, const char *sql, const char *of, struct stmt **out,
                            struct err *e) WARN_UNUSED;
/*
 * Makes room on c for one large write transaction (on) or takes it back (off): SQLite
 * keeps up to 1 GiB of pages in memory instead of STORE_SQLITE_CACHE_KIB; a no-op on
 * PostgreSQL.
 */
enum rc store_bulk(struct conn *c, bool on, struct err *e) WARN_UNUSED;

/* Returns the number of statements prepared so far on all connections (for tests). */
uint64_t store_n_prepared(const struct store *s);
/* Returns the number of group-commit syncs so far (SQLite; 0 on PostgreSQL). */
uint64_t store_n_syncs(const struct store *s);
/*
 * Sets *gen to a counter that changes whenever a transaction of this process commits
 * through s, or an autocommit write is released (before the writer's store_commit or
 * store_release returns). For caches of data that only this process writes: a value
 * read before a query is still current later iff nothing may have changed since.
 * Returns false when the backend cannot tell (PostgreSQL: autocommit writes go unseen),
 * and then nothing may be cached on it.
 */
bool store_write_gen(const struct store *s, uint64_t *gen);

/*
 * The change channel: cross-process cache invalidation (docs/internals/store.md, "The
 * change channel"). A writer calls store_notify(c, topic) inside the transaction that
 * changes what caches of that topic hold; on PostgreSQL that is
 * pg_notify('qifu_changes', '<topic>'), delivered to every process at commit and dropped
 * on rollback. Each `qifu serve` process on PostgreSQL runs one listener thread
 * (store_listen_start) with its own connection doing LISTEN qifu_changes, reconnecting
 * with back-off when it is lost. A cache reads store_topic_gen before its query and keeps
 * the entry only while the generation is unchanged:
 *
 *     uint64_t gen;
 *     bool live = store_topic_gen(db, STORE_TOPIC_AUTH, &gen);   (before the query)
 *     ... query ...; if (live) keep(entry, gen);
 *     ... later: uint64_t now; if (store_topic_gen(db, STORE_TOPIC_AUTH, &now) &&
 *                                  now == entry.gen) use(entry);
 *
 * A new topic is one row of STORE_TOPICS.
 */
#define STORE_TOPICS(X)                                                                            \
    X(AUTH, "auth")         /* sessions, users, roles: what a session may do */                    \
    X(POLICY, "policy")     /* the policy set version */                                           \
    X(CALENDAR, "calendar") /* the calendar version */                                             \
    X(CATEGORY, "category") /* categories, their limits and routes */
enum store_topic {
#define STORE_TOPIC_ENUM(name, text) STORE_TOPIC_##name,
    STORE_TOPICS(STORE_TOPIC_ENUM)
#undef STORE_TOPIC_ENUM
        STORE_N_TOPICS
};
/* The channel PostgreSQL's LISTEN/NOTIFY carries the topics on. A payload of "*" moves
 * every topic (for an operator who changed data by SQL: NOTIFY qifu_changes, '*'). */
#define STORE_CHANNEL "qifu_changes"

/*
 * Starts the listener thread of s (PostgreSQL; a no-op returning RC_OK on a backend
 * without a channel). It connects on its own, so a database that is down now does not
 * fail the start: caches are simply not trusted until it listens. RC_INTERNAL when the
 * thread cannot start. store_close stops it.
 */
enum rc store_listen_start(struct store *s, struct err *e) WARN_UNUSED;
/* Stops the listener thread (s may be NULL; nothing happens when none runs). */
void store_listen_stop(struct store *s);
/* Returns true while the listener's connection listens (false on SQLite). */
bool store_listen_up(const struct store *s);
/*
 * Announces a change of topic to every process: inside a transaction, at its commit
 * (nothing on rollback); outside one, at once. The generation of topic in this process
 * moves at the commit itself. On a backend without a channel (SQLite) it sends nothing:
 * one machine's caches rely on store_write_gen and their periodic checks. Errors as
 * store_step.
 */
enum rc store_notify(struct conn *c, enum store_topic topic, struct err *e) WARN_UNUSED;
/*
 * Sets *gen to the generation of topic in this process and returns true when a cache may
 * trust it: the listener listens, so every change of topic committed by any process
 * moves *gen once its notification arrives (a lost or new connection moves every topic,
 * since anything may have been missed). Returns false when no listener listens (SQLite,
 * PostgreSQL while the connection is down): then nothing may be kept on its word.
 */
bool store_topic_gen(const struct store *s, enum store_topic topic, uint64_t *gen);
/* Returns the name of topic ("auth", ...). */
const char *store_topic_name(enum store_topic topic);

/*
 * A read replica (store_replica.c; docs/internals/store.md, "Read replica"): a PostgreSQL
 * streaming standby of the primary, with its own pool, and a monitor thread that measures
 * how far behind it is. Reads that may be a little old take a replica connection when
 * store_replica_state says STORE_REPLICA_OK; everything else uses the primary.
 *
 *     enum store_replica_state st = store_replica_state(r);
 *     if (st != STORE_REPLICA_OK) store_replica_fallback(r, st), use the primary;
 *     else if (store_replica_acquire(r, &c, e)) store_replica_fallback(r, STORE_REPLICA_DOWN), ...
 */
struct store_replica;
enum store_replica_state { STORE_REPLICA_OK, STORE_REPLICA_DOWN, STORE_REPLICA_LAG };
/*
 * Opens url as a read replica of primary: n_conns connections (opened by the monitor, so
 * a standby that is down does not stop the start) and a monitor thread sampling the lag.
 * *out is new (store_replica_close). RC_INVALID naming "db-replica" unless both primary
 * and url are PostgreSQL, naming "replica-max-lag-ms" unless max_lag_ms >= 1.
 */
enum rc store_replica_open(struct store *primary, const char *url, int n_conns, int64_t max_lag_ms,
                           struct store_replica **out, struct err *e) WARN_UNUSED;
/* Stops the monitor and closes the replica's connections (r may be NULL); none taken. */
void store_replica_close(struct store_replica *r);
/* Returns the lag limit given to store_replica_open. */
int64_t store_replica_max_lag_ms(const struct store_replica *r);
/* Whether a read may go to the replica now: DOWN when its last sample failed, LAG when
 * the lag or the age of the last sample passes the limit. Counts nothing. */
enum store_replica_state store_replica_state(struct store_replica *r);
/* Counts a read that went to the primary because of why (DOWN or LAG). */
void store_replica_fallback(struct store_replica *r, enum store_replica_state why);
/* Takes a replica connection (store_release gives it back) and counts a replica read.
 * RC_UNAVAILABLE when it cannot connect (then it counts as down until the next sample). */
enum rc store_replica_acquire(struct store_replica *r, struct conn **out,
                              struct err *e) WARN_UNUSED;
/* Marks the replica down until the monitor's next successful sample (a replica query
 * failed with RC_UNAVAILABLE). */
void store_replica_lost(struct store_replica *r);
/* Counts a read whose replica query failed with RC_UNAVAILABLE and that runs again on the
 * primary, and marks the replica lost. */
void store_replica_retried(struct store_replica *r);
struct store_replica_stats {
    bool up;
    int64_t lag_ms; /* of the last successful sample */
    uint64_t reads, fallback_down, fallback_lag;
    uint64_t retried; /* reads whose replica query failed and that ran again on the primary */
};
/* For /metrics. */
void store_replica_stats(struct store_replica *r, struct store_replica_stats *out);

/*
 * Fault injection, for tests (docs/internals/store.md, "Fault injection"). Once armed,
 * the store counts its calls on every connection: store_begin, store_commit, store_exec,
 * store_prepare and every store_step (store_run and store_insert_id step too), and makes
 * call number n (n >= 1) fail with RC_STORE as if the database had failed: the call does
 * nothing, and a failed commit rolls its transaction back. Only that one call fails; the
 * calls after it run normally, so a caller that ignores the error goes on. n = 0 counts
 * without failing. Not thread-safe: arm it around single-threaded test code only.
 */
void store_fault_arm(struct store *s, long n);
/* Stops counting and failing. */
void store_fault_disarm(struct store *s);
/* Returns the number of calls counted since store_fault_arm. */
long store_fault_hits(const struct store *s);

#endif
