/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store: backend selection, the connection pool, the per-connection statement
 * cache, transactions and migrations. Backends are listed only here.
 */
#include "store.h"

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../base/log.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "store_int.h"

static const struct store_ops *backend_for(const char *url, const char **target)
{
    if (strncmp(url, "sqlite:", 7) == 0) {
        *target = url + 7;
        return &store__sqlite_ops;
    }
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) {
        *target = url;
#ifdef WITH_PG
        return &store__pg_ops;
#else
        return NULL;
#endif
    }
    if (strstr(url, "://"))
        return NULL;
    *target = url;
    return &store__sqlite_ops;
}

enum rc store_open(const char *url, int n_conns, struct store **out, struct err *e)
{
    const char *target = NULL;
    const struct store_ops *ops = backend_for(url, &target);
    *out = NULL;
    if (!ops)
        return err_set(e, RC_INVALID, "db",
                       "不支持的数据库地址（应为 sqlite:路径 或 postgres://...）");
    if (n_conns < 1)
        n_conns = 1;
    struct store *s = xcalloc(1, sizeof(*s));
    s->ops = ops;
    s->target = xstrdup(target);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_mutex_init(&s->wmu, NULL);
    pthread_mutex_init(&s->gmu, NULL);
    pthread_cond_init(&s->gcv, NULL);
    pthread_cond_init(&s->syncer.cv, NULL);
    pthread_cond_init(&s->checkpointer.cv, NULL);
    s->conns = xcalloc((size_t)n_conns, sizeof(*s->conns));
    for (int i = 0; i < n_conns; i++) {
        enum rc rc = ops->connect(s->target, &s->conns[i], e);
        if (rc) {
            s->n_conns = i;
            store_close(s);
            return rc;
        }
        s->conns[i]->ops = ops;
        s->conns[i]->store = s;
        s->n_conns = i + 1;
    }
    s->n_free = n_conns;
    *out = s;
    return RC_OK;
}

static void cache_drop(struct conn *c)
{
    for (int i = 0; i < STORE_CACHE_SLOTS; i++) {
        struct stmt *st = c->cache[i];
        if (st) {
            xfree(st->sql);
            c->ops->finalize(st);
            c->cache[i] = NULL;
        }
    }
    c->n_cached = 0;
}

static void bg_stop(struct store *s);

void store_close(struct store *s)
{
    if (!s)
        return;
    bg_stop(s);
    store_listen_stop(s);
    for (int i = 0; i < s->n_conns; i++) {
        cache_drop(s->conns[i]);
        s->ops->disconnect(s->conns[i]);
    }
    xfree(s->conns);
    xfree(s->target);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->wmu);
    pthread_mutex_destroy(&s->gmu);
    pthread_cond_destroy(&s->gcv);
    pthread_cond_destroy(&s->syncer.cv);
    pthread_cond_destroy(&s->checkpointer.cv);
    xfree(s);
}

enum store_kind store_kind(const struct store *s)
{
    return s->ops->kind;
}

const char *store_kind_name(const struct store *s)
{
    return s->ops->name;
}

enum store_kind store_conn_kind(const struct conn *c)
{
    return c->ops->kind;
}

/* ---- fault injection (store_fault_arm) ---------------------------------------- */

/* Counts a call while armed; true when it is the one to fail (its error is set, naming
 * what the call was: the statement's text, or BEGIN/COMMIT). */
static bool fault_hit(struct store *s, const char *what, struct err *e)
{
    if (++s->fault_hits != s->fault_at)
        return false;
    log_debug("store: injected fault at store call %ld: %s", s->fault_hits, what);
    err_set(e, RC_STORE, NULL, "injected fault: store call %ld (%.160s)", s->fault_hits, what);
    return true;
}

/* One predictable branch on the hot path while the hook is not armed. */
#define FAULT(s, what, e) (__builtin_expect((s)->fault_on, 0) && fault_hit((s), (what), (e)))

void store_fault_arm(struct store *s, long n)
{
    s->fault_on = true;
    s->fault_at = n > 0 ? n : 0;
    s->fault_hits = 0;
}

void store_fault_disarm(struct store *s)
{
    s->fault_on = false;
    s->fault_at = 0;
}

long store_fault_hits(const struct store *s)
{
    return s->fault_hits;
}

uint64_t store_n_prepared(const struct store *s)
{
    return s->n_prepared;
}

/*
 * Reopens a connection the backend reports as lost. Called with the pool lock free
 * by the thread that has taken conns[idx]; the slot is switched under the lock,
 * since other threads read conns[i]->taken while they look for a free connection.
 */
static enum rc reconnect(struct store *s, int idx, struct err *e)
{
    struct conn *old = s->conns[idx];
    struct conn *c;
    enum rc rc = s->ops->connect(s->target, &c, e);
    if (rc)
        return rc;
    c->ops = s->ops;
    c->store = s;
    c->taken = true;
    pthread_mutex_lock(&s->mu);
    s->conns[idx] = c;
    pthread_mutex_unlock(&s->mu);
    cache_drop(old);
    s->ops->disconnect(old);
    log_warn("store: reconnected %s connection %d", s->ops->name, idx);
    return RC_OK;
}

enum rc store_acquire(struct store *s, struct conn **out, struct err *e)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&s->mu);
    while (s->n_free == 0) {
        if (pthread_cond_timedwait(&s->cv, &s->mu, &until) == ETIMEDOUT && s->n_free == 0) {
            pthread_mutex_unlock(&s->mu);
            err_set(e, RC_BUSY, NULL, "数据库连接已用尽");
            return RC_BUSY; /* not err_set's value: callers (and -fanalyzer) see a failure */
        }
    }
    int idx = -1;
    for (int i = 0; i < s->n_conns; i++)
        if (!s->conns[i]->taken) {
            idx = i;
            break;
        }
    s->conns[idx]->taken = true;
    s->n_free--;
    pthread_mutex_unlock(&s->mu);

    if (s->ops->broken(s->conns[idx])) {
        enum rc rc = reconnect(s, idx, e);
        if (rc) {
            pthread_mutex_lock(&s->mu);
            s->conns[idx]->taken = false;
            s->n_free++;
            pthread_cond_signal(&s->cv);
            pthread_mutex_unlock(&s->mu);
            if (rc == RC_STORE)
                rc = e ? (e->rc = RC_UNAVAILABLE) : RC_UNAVAILABLE;
            return rc;
        }
    }
    *out = s->conns[idx];
    return RC_OK;
}

/* Counts a commit whose WAL frames are written: returns its number, which every sync that
 * begins from now on covers. */
static uint64_t count_commit(struct store *s)
{
    pthread_mutex_lock(&s->gmu);
    uint64_t mine = ++s->n_committed;
    pthread_mutex_unlock(&s->gmu);
    return mine;
}

/*
 * Runs one sync through c of everything committed so far, and wakes whoever waits for
 * syncs. Called and returns with gmu held, and no sync running; *upto is the last
 * commit it covers (durable when it returns RC_OK).
 */
static enum rc sync_locked(struct store *s, struct conn *c, uint64_t *upto, struct err *e)
{
    assert(!s->syncing);
    s->syncing = true;
    *upto = s->n_committed;
    pthread_mutex_unlock(&s->gmu);
    enum rc rc = c->ops->sync(c, e);
    pthread_mutex_lock(&s->gmu);
    s->syncing = false;
    if (rc == RC_OK && *upto > s->n_synced)
        s->n_synced = *upto;
    s->n_syncs++;
    pthread_cond_broadcast(&s->gcv);
    if (s->waiters)
        pthread_cond_signal(&s->syncer.cv);
    return rc;
}

/*
 * Waits until commit number mine is durable (group commit). Called with the writer lock
 * released, so the next transaction writes while this one's sync runs, and one fdatasync
 * covers every commit that finished before it began. The caller leads a sync when none
 * is running (through c), else waits for the running one.
 */
static enum rc wait_synced(struct conn *c, uint64_t mine, struct err *e)
{
    struct store *s = c->store;
    enum rc rc = RC_OK;
    uint64_t upto;
    pthread_mutex_lock(&s->gmu);
    while (s->n_synced < mine && rc == RC_OK) {
        if (s->syncing)
            pthread_cond_wait(&s->gcv, &s->gmu);
        else
            rc = sync_locked(s, c, &upto, e);
    }
    pthread_mutex_unlock(&s->gmu);
    return rc;
}

/* Waits until everything c committed is durable. */
static enum rc group_sync(struct conn *c, struct err *e)
{
    return wait_synced(c, count_commit(c->store), e);
}

uint64_t store_n_syncs(const struct store *s)
{
    return __atomic_load_n(&s->n_syncs, __ATOMIC_RELAXED);
}

bool store_write_gen(const struct store *s, uint64_t *gen)
{
    *gen = __atomic_load_n(&s->write_gen, __ATOMIC_ACQUIRE);
    /* SQLite: ops->dirty sees autocommit writes. On PostgreSQL other processes write too. */
    return s->ops->kind == STORE_SQLITE;
}

void store_release(struct conn *c)
{
    if (!c)
        return;
    if (c->in_txn)
        store_rollback(c);
    struct store *s = c->store;
    if (c->defer) { /* a deferred commit nobody took: it is made durable here */
        uint64_t t = store_take_ticket(c);
        struct err ignored;
        if (t && wait_synced(c, t, &ignored))
            log_error("store: sync after a deferred commit failed: %s", ignored.msg);
    }
    /* An autocommit write (no store_begin) is made durable before the caller answers. */
    if (c->ops->sync && c->ops->dirty(c)) {
        __atomic_add_fetch(&s->write_gen, 1, __ATOMIC_ACQ_REL);
        struct err ignored;
        if (group_sync(c, &ignored))
            log_error("store: sync after an autocommit write failed: %s", ignored.msg);
    }
    pthread_mutex_lock(&s->mu);
    c->taken = false;
    s->n_free++;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

enum rc store_exec(struct conn *c, const char *sql, struct err *e)
{
    if (FAULT(c->store, sql, e))
        return RC_STORE;
    return c->ops->exec(c, sql, e);
}

enum rc store_ping(struct conn *c, struct err *e)
{
    return c->ops->exec(c, "SELECT 1", e);
}

static enum rc begin(struct conn *c, const char *pg_sql, struct err *e)
{
    if (c->in_txn)
        return err_set(e, RC_INTERNAL, NULL, "nested transaction");
    if (FAULT(c->store, "BEGIN", e))
        return RC_STORE;
    bool sqlite = c->ops->kind == STORE_SQLITE;
    if (sqlite) {
        /* Writers queue here as they would in SQLite's busy handler, and give up after the
         * same 10 s, so a long import makes other writers fail with RC_BUSY, not hang. */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 10;
        if (pthread_mutex_timedlock(&c->store->wmu, &until))
            return err_set(e, RC_BUSY, NULL, "数据库正忙，请稍后重试");
    }
    enum rc rc = c->ops->exec(c, sqlite ? "BEGIN IMMEDIATE" : pg_sql, e);
    if (rc == RC_OK)
        c->in_txn = true;
    c->writer = sqlite && rc == RC_OK;
    if (sqlite && rc)
        pthread_mutex_unlock(&c->store->wmu);
    return rc;
}

enum rc store_begin(struct conn *c, struct err *e)
{
    return begin(c, "BEGIN", e);
}

enum rc store_begin_relaxed(struct conn *c, struct err *e)
{
    return begin(c, "BEGIN; SET LOCAL synchronous_commit = off", e);
}

static void end_writer(struct conn *c)
{
    if (c->writer) {
        c->writer = false;
        pthread_mutex_unlock(&c->store->wmu);
    }
}

enum rc store_commit(struct conn *c, struct err *e)
{
    if (!c->in_txn)
        return err_set(e, RC_INTERNAL, NULL, "commit without transaction");
    /* An injected fault fails the COMMIT without running it: rolled back below. */
    enum rc rc = FAULT(c->store, "COMMIT", e) ? RC_STORE : c->ops->exec(c, "COMMIT", e);
    if (rc) {
        struct err ignored;
        (void)c->ops->exec(c, "ROLLBACK", &ignored);
    }
    __atomic_add_fetch(&c->store->write_gen, 1, __ATOMIC_ACQ_REL); /* even a read-only one */
    c->in_txn = false;
    if (rc == RC_OK && c->notified) /* this process's caches need not wait for the channel */
        store__topics_changed(c->store, c->notified);
    c->notified = 0;
    end_writer(c);
    /* (dirty is asked either way: this commit is the one synced now, or its ticket's) */
    if (rc == RC_OK && c->ops->sync && (c->ops->dirty(c) || !c->ops->sync_dirty_only)) {
        if (c->defer)
            c->ticket = count_commit(c->store);
        else
            rc = group_sync(c, e);
    }
    return rc;
}

void store_rollback(struct conn *c)
{
    if (!c->in_txn)
        return;
    struct err ignored;
    if (c->ops->exec(c, "ROLLBACK", &ignored))
        log_warn("store: rollback failed: %s", ignored.msg);
    c->in_txn = false;
    c->notified = 0;
    end_writer(c);
}

bool store_in_txn(const struct conn *c)
{
    return c->in_txn;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

enum rc store_prepare(struct conn *c, const char *sql, struct stmt **out, struct err *e)
{
    *out = NULL; /* on failure too: callers may store_finish it unconditionally */
    if (FAULT(c->store, sql, e))
        return RC_STORE;
    uint64_t h = fnv1a(sql);
    unsigned slot = (unsigned)h & (STORE_CACHE_SLOTS - 1);
    int free_slot = -1;
    for (unsigned k = 0; k < STORE_CACHE_SLOTS; k++) {
        unsigned i = (slot + k) & (STORE_CACHE_SLOTS - 1);
        struct stmt *st = c->cache[i];
        if (!st) {
            free_slot = (int)i;
            break;
        }
        if (st->hash == h && (st->key == sql || strcmp(st->sql, sql) == 0)) {
            if (st->busy)
                break; /* in use further up the stack: prepare an uncached one */
            st->busy = true;
            *out = st;
            return RC_OK;
        }
    }
    struct stmt *st;
    enum rc rc = c->ops->prepare(c, sql, &st, e);
    if (rc)
        return rc;
    __atomic_add_fetch(&c->store->n_prepared, 1, __ATOMIC_RELAXED);
    st->conn = c;
    st->sql = xstrdup(sql);
    st->key = sql;
    st->hash = h;
    st->busy = true;
    st->cached = false;
    /* Keep the table at most half full so probes stay short. */
    if (free_slot >= 0 && c->n_cached < STORE_CACHE_SLOTS / 2) {
        st->cached = true;
        c->cache[free_slot] = st;
        c->n_cached++;
    }
    *out = st;
    return RC_OK;
}

void store_bind_text(struct stmt *st, int i, const char *s)
{
    if (s)
        st->conn->ops->bind_text(st, i, s, strlen(s));
    else
        st->conn->ops->bind_null(st, i);
}

void store_bind_textn(struct stmt *st, int i, const char *s, size_t n)
{
    st->conn->ops->bind_text(st, i, s, n);
}

void store_bind_int(struct stmt *st, int i, int64_t v)
{
    st->conn->ops->bind_int(st, i, v);
}

void store_bind_double(struct stmt *st, int i, double v)
{
    st->conn->ops->bind_double(st, i, v);
}

void store_bind_null(struct stmt *st, int i)
{
    st->conn->ops->bind_null(st, i);
}

void store_bind_blob(struct stmt *st, int i, const void *p, size_t n)
{
    st->conn->ops->bind_blob(st, i, p, n);
}

enum rc store_step(struct stmt *st, struct err *e)
{
    if (FAULT(st->conn->store, st->sql, e))
        return RC_STORE;
    return st->conn->ops->step(st, e);
}

enum rc store_run(struct stmt *st, struct err *e)
{
    enum rc rc;
    while ((rc = store_step(st, e)) == RC_ROW)
        ;
    return rc == RC_DONE ? RC_OK : rc;
}

enum rc store_run_later(struct stmt *st, struct err *e)
{
    struct conn *c = st->conn;
    if (!c->in_txn || !c->ops->run_later)
        return store_run(st, e);
    if (FAULT(c->store, st->sql, e))
        return RC_STORE;
    return c->ops->run_later(st, e);
}

enum rc store_insert_id(struct stmt *st, int64_t *id, struct err *e)
{
    enum rc rc = store_step(st, e);
    if (rc == RC_DONE)
        return err_set(e, RC_INTERNAL, NULL, "statement returned no row");
    if (rc != RC_ROW)
        return rc;
    *id = store_int(st, 0);
    rc = store_step(st, e);
    if (rc == RC_DONE)
        return RC_OK;
    return rc == RC_ROW ? err_set(e, RC_INTERNAL, NULL, "statement returned several rows") : rc;
}

int store_ncols(struct stmt *st)
{
    return st->conn->ops->ncols(st);
}

bool store_isnull(struct stmt *st, int i)
{
    return st->conn->ops->isnull(st, i);
}

const char *store_text(struct stmt *st, int i)
{
    return st->conn->ops->text(st, i);
}

int64_t store_int(struct stmt *st, int i)
{
    return st->conn->ops->int64(st, i);
}

double store_double(struct stmt *st, int i)
{
    return st->conn->ops->dbl(st, i);
}

const void *store_blob(struct stmt *st, int i, size_t *n)
{
    return st->conn->ops->blob(st, i, n);
}

int64_t store_changes(struct stmt *st)
{
    return st->conn->ops->changes(st);
}

void store_finish(struct stmt *st)
{
    if (!st)
        return;
    st->conn->ops->reset(st);
    st->busy = false;
    if (!st->cached) {
        xfree(st->sql);
        st->conn->ops->finalize(st);
    }
}

/* ---- deferred durability: the syncer and the checkpointer ------------------ */

struct store_waiter {
    uint64_t ticket;
    void (*done)(void *arg, enum rc rc);
    void *arg;
    struct store_waiter *next;
};

void store_defer_sync(struct conn *c)
{
    c->defer = true;
    c->ticket = 0;
}

uint64_t store_take_ticket(struct conn *c)
{
    uint64_t t = c->ticket;
    c->defer = false;
    c->ticket = 0;
    return t;
}

enum rc store_relax_commits(struct conn *c, bool on, struct err *e)
{
    if (c->ops->kind == STORE_SQLITE) {
        if (on) {
            store_defer_sync(c);
            return RC_OK;
        }
        uint64_t t = store_take_ticket(c);
        return t ? wait_synced(c, t, e) : RC_OK;
    }
    if (on)
        return c->ops->exec(c, "SET synchronous_commit = off", e);
    /* A transaction with an id commits synchronously, flushing the WAL of every
     * asynchronous commit before it. */
    enum rc rc = c->ops->exec(c, "SET synchronous_commit = on", e);
    if (rc == RC_OK)
        rc = c->ops->exec(c, "BEGIN; SELECT txid_current(); COMMIT", e);
    return rc;
}

uint64_t store_ticket_now(struct store *s)
{
    return s->ops->sync ? count_commit(s) : 0;
}

/* Starts b's thread unless it runs or the store is closing; gmu held. */
static bool bg_start(struct store *s, struct store_bg *b, void *(*main_fn)(void *))
{
    if (!b->started && !s->bg_stop) {
        int r = pthread_create(&b->thread, NULL, main_fn, s);
        b->started = r == 0;
        if (r)
            log_error("store: cannot start a background thread: %s", strerror(r));
    }
    return b->started;
}

/* Stops and joins the background threads; the syncer answers its waiters first. */
static void bg_stop(struct store *s)
{
    pthread_mutex_lock(&s->gmu);
    s->bg_stop = true;
    pthread_cond_signal(&s->syncer.cv);
    pthread_cond_signal(&s->checkpointer.cv);
    pthread_mutex_unlock(&s->gmu);
    if (s->syncer.started)
        pthread_join(s->syncer.thread, NULL);
    if (s->checkpointer.started)
        pthread_join(s->checkpointer.thread, NULL);
}

/* A background thread's own connection; signals are left to the program's threads. */
static enum rc bg_connect(struct store *s, struct store_bg *b, struct conn **out, struct err *e)
{
    enum rc rc = s->ops->connect(s->target, out, e);
    if (rc == RC_OK) {
        (*out)->ops = s->ops;
        (*out)->store = s;
        (*out)->taken = true;
        b->conn = *out;
    }
    return rc;
}

static void bg_disconnect(struct conn *c)
{
    if (c) {
        cache_drop(c);
        c->ops->disconnect(c);
    }
}

static void bg_block_signals(void)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
}

/* Unlinks and returns the waiters whose ticket is at most upto; gmu held. */
static struct store_waiter *take_waiters(struct store *s, uint64_t upto)
{
    struct store_waiter *out = NULL, **pp = &s->waiters;
    while (*pp) {
        struct store_waiter *w = *pp;
        if (w->ticket <= upto) {
            *pp = w->next;
            w->next = out;
            out = w;
        } else {
            pp = &w->next;
        }
    }
    return out;
}

/* Calls and frees a list of waiters, without gmu (a callback may take other locks). */
static void finish_waiters(struct store_waiter *w, enum rc rc)
{
    while (w) {
        struct store_waiter *next = w->next;
        w->done(w->arg, rc);
        xfree(w);
        w = next;
    }
}

/*
 * The syncer: while waiters wait, it answers those that the syncs so far cover, and
 * runs the next sync itself unless a store_commit is running one (which may cover them
 * too). A failed sync fails the waiters it was for. It leaves on bg_stop once no waiter
 * is left, so every waiter is answered.
 */
static void *syncer_main(void *arg)
{
    struct store *s = arg;
    struct conn *c = NULL;
    struct err e;
    bg_block_signals();
    pthread_mutex_lock(&s->gmu);
    for (;;) {
        struct store_waiter *ready = take_waiters(s, s->n_synced);
        if (ready) {
            pthread_mutex_unlock(&s->gmu);
            finish_waiters(ready, RC_OK);
            pthread_mutex_lock(&s->gmu);
            continue;
        }
        if (!s->waiters) {
            if (s->bg_stop)
                break;
            pthread_cond_wait(&s->syncer.cv, &s->gmu);
            continue;
        }
        if (s->syncing) {
            pthread_cond_wait(&s->gcv, &s->gmu);
            continue;
        }
        uint64_t upto = s->n_committed;
        enum rc rc = RC_OK;
        err_clear(&e);
        if (!c) {
            pthread_mutex_unlock(&s->gmu);
            rc = bg_connect(s, &s->syncer, &c, &e);
            pthread_mutex_lock(&s->gmu);
        }
        if (rc == RC_OK && s->syncing)
            continue; /* a commit began a sync while this thread connected */
        if (rc == RC_OK)
            rc = sync_locked(s, c, &upto, &e);
        if (rc) {
            log_error("store: sync of deferred commits failed: %s", e.msg);
            struct store_waiter *failed = take_waiters(s, upto);
            pthread_mutex_unlock(&s->gmu);
            finish_waiters(failed, rc);
            pthread_mutex_lock(&s->gmu);
        }
    }
    pthread_mutex_unlock(&s->gmu);
    bg_disconnect(c);
    return NULL;
}

void store_when_durable(struct store *s, uint64_t ticket, void (*done)(void *arg, enum rc rc),
                        void *arg)
{
    pthread_mutex_lock(&s->gmu);
    if (ticket <= s->n_synced) {
        pthread_mutex_unlock(&s->gmu);
        done(arg, RC_OK);
        return;
    }
    if (!bg_start(s, &s->syncer, syncer_main)) {
        pthread_mutex_unlock(&s->gmu);
        done(arg, RC_UNAVAILABLE);
        return;
    }
    struct store_waiter *w = xmalloc(sizeof(*w));
    w->ticket = ticket;
    w->done = done;
    w->arg = arg;
    w->next = s->waiters;
    s->waiters = w;
    pthread_cond_signal(&s->syncer.cv);
    pthread_mutex_unlock(&s->gmu);
}

/* The checkpointer: one ops->checkpoint per request, on its own connection. */
static void *checkpointer_main(void *arg)
{
    struct store *s = arg;
    struct conn *c = NULL;
    struct err e;
    bg_block_signals();
    pthread_mutex_lock(&s->gmu);
    for (;;) {
        while (!s->want_checkpoint && !s->bg_stop)
            pthread_cond_wait(&s->checkpointer.cv, &s->gmu);
        if (s->bg_stop)
            break;
        s->want_checkpoint = false;
        pthread_mutex_unlock(&s->gmu);
        err_clear(&e);
        enum rc rc = c ? RC_OK : bg_connect(s, &s->checkpointer, &c, &e);
        if (rc == RC_OK)
            rc = s->ops->checkpoint(c, &e); /* the bulk, while writers go on */
        if (rc == RC_OK) {
            /* The frames written meanwhile, with the writers held back: the WAL restarts
             * from its start only when a write begins with every frame copied, else it
             * would grow for as long as writes keep coming. */
            pthread_mutex_lock(&s->wmu);
            rc = s->ops->checkpoint(c, &e);
            pthread_mutex_unlock(&s->wmu);
        }
        if (rc)
            log_warn("store: checkpoint failed: %s", e.msg);
        pthread_mutex_lock(&s->gmu);
    }
    pthread_mutex_unlock(&s->gmu);
    bg_disconnect(c);
    return NULL;
}

bool store__want_checkpoint(struct store *s)
{
    pthread_mutex_lock(&s->gmu);
    bool ok = bg_start(s, &s->checkpointer, checkpointer_main);
    if (ok && !s->want_checkpoint) {
        s->want_checkpoint = true;
        pthread_cond_signal(&s->checkpointer.cv);
    }
    pthread_mutex_unlock(&s->gmu);
    return ok;
}

/* ---- migrations ---------------------------------------------------------- */

static void migrations_of(enum store_kind kind, const struct store_migration **m, int *n)
{
    if (kind == STORE_SQLITE) {
        *m = store__sqlite_migrations;
        *n = store__n_sqlite_migrations;
    } else {
        *m = store__pg_migrations;
        *n = store__n_pg_migrations;
    }
}

int store_schema_version(void)
{
    return store__n_sqlite_migrations
               ? store__sqlite_migrations[store__n_sqlite_migrations - 1].version
               : 0;
}

enum rc store_migrate(struct store *s, int *n_applied, struct err *e)
{
    struct conn *c = NULL;
    struct stmt *st = NULL;
    const struct store_migration *m;
    int n, applied = 0;
    int64_t have = 0;
    bool pg = s->ops->kind == STORE_PG, locked = false;
    if (n_applied)
        *n_applied = 0;
    migrations_of(s->ops->kind, &m, &n);
    enum rc rc = store_acquire(s, &c, e);
    if (rc)
        return rc;
    /* Several servers may start at once on one PostgreSQL database: one migrates while
     * the others wait on this session lock, then find nothing left to do. SQLite's
     * BEGIN IMMEDIATE serialises writers by itself. */
    if (pg) {
        rc = store_exec(c, "SELECT pg_advisory_lock(4242)", e);
        locked = rc == RC_OK;
    }
    /* SQLite changes a table the only way it can, by rebuilding it (0016 drops a CHECK):
     * that needs foreign keys off, which only works outside a transaction.
     * foreign_key_check runs before each migration commits instead. */
    if (rc == RC_OK && !pg)
        rc = store_exec(c, "PRAGMA foreign_keys=OFF", e);
    if (rc == RC_OK)
        rc = store_exec(c,
                        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY "
                        "KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
                        e);
    if (rc)
        goto out;
    for (int i = 0; i < n; i++) {
        rc = store_begin(c, e);
        if (rc == RC_OK)
            rc =
                store_prepare(c, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &st, e);
        if (rc == RC_OK && (rc = store_step(st, e)) == RC_ROW) {
            have = store_int(st, 0);
            rc = RC_OK;
        }
        store_finish(st);
        st = NULL;
        if (rc == RC_OK && have >= m[i].version) {
            store_rollback(c);
            continue;
        }
        if (rc == RC_OK)
            rc = store_exec(c, m[i].sql, e);
        if (rc == RC_OK)
            rc = store_prepare(c,
                               "INSERT INTO schema_migrations (version, name, applied_at) "
                               "VALUES (?, ?, ?)",
                               &st, e);
        if (rc == RC_OK) {
            store_bind_int(st, 1, m[i].version);
            store_bind_text(st, 2, m[i].name);
            store_bind_int(st, 3, time_now_ms());
            rc = store_run(st, e);
        }
        store_finish(st);
        st = NULL;
        if (rc == RC_OK && !pg &&
            (rc = store_prepare(c, "PRAGMA foreign_key_check", &st, e)) == RC_OK) {
            rc = store_step(st, e);
            if (rc == RC_ROW)
                rc = err_set(e, RC_CONFLICT, NULL, "foreign key violated in table %s",
                             store_text(st, 0));
            else if (rc == RC_DONE)
                rc = RC_OK;
            store_finish(st);
            st = NULL;
        }
        if (rc == RC_OK)
            rc = store_commit(c, e);
        if (rc) {
            log_error("store: migration %04d_%s failed: %s", m[i].version, m[i].name,
                      e ? e->msg : "");
            goto out;
        }
        log_info("store: applied migration %04d_%s", m[i].version, m[i].name);
        applied++;
    }
out:
    if (store_in_txn(c))
        store_rollback(c);
    if (!pg) {
        struct err ignored;
        if (store_exec(c, "PRAGMA foreign_keys=ON", &ignored))
            log_warn("store: could not turn foreign keys back on: %s", ignored.msg);
    }
    if (locked) {
        struct err ignored;
        if (store_exec(c, "SELECT pg_advisory_unlock(4242)", &ignored))
            log_warn("store: could not release the migration lock: %s", ignored.msg);
    }
    store_release(c);
    if (n_applied)
        *n_applied = applied;
    return rc;
}
