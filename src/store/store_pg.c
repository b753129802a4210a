/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_pg: the PostgreSQL backend, on libpq.
 *
 * SQL arrives with `?` placeholders and is rewritten to $1, $2, ... before it is
 * prepared on the server under a name unique to the connection ("q17"). Parameters
 * travel as text (blobs as binary), results come back in text format and are read
 * straight out of the PGresult, which lives until the statement is reset. Execution
 * is lazy: the first store_step() runs the statement, later steps walk its rows.
 * BEGIN and store_run_later statements are pipelined with the next awaited command
 * ("the queue"), and commits are made durable in groups (pg_sync).
 *
 * Invariant: a pg_stmt's server-side statement exists as long as the pg_stmt does,
 * except that a cached statement is finalized only when its connection is closed
 * (store.c's cache_drop), and the server forgets it with the session then.
 */
#include <inttypes.h>
#include <libpq-fe.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/log.h"
#include "../base/mem.h"
#include "store_int.h"

#define PG_OID_BOOL 16  /* pg_type.oid of boolean */
#define PG_OID_BYTEA 17 /* pg_type.oid of bytea */
#define PG_MSG_MAX 200  /* bytes of a server message kept for err.msg and the log */

struct pg_conn {
    struct conn base;
    PGconn *pg;
    unsigned next_id; /* names server-side statements q1, q2, ... */
    char **dead;      /* statements to DEALLOCATE once the transaction allows it */
    int n_dead, cap_dead;
    /* Group commit (pg_sync): the sync transaction, at the server's synchronous_commit
     * level, which the session's own commits run without (NULL when that level is off:
     * the operator chose not to wait); wrote is set by a statement that may have written,
     * and cleared by pg_dirty and ROLLBACK. */
    char *sync_sql;
    bool wrote;
    /* Pipelining (see "the queue" below): commands sent and not yet answered. */
    int n_queued;
};

struct pg_param {
    char *val;    /* points to num, or to owned bytes; NULL binds SQL NULL */
    bool owned;   /* val was allocated by the binder */
    int len;      /* byte length, used for binary (blob) values only */
    int fmt;      /* 0 text, 1 binary */
    char num[32]; /* int64 and double values, as text */
};

struct pg_blob {
    unsigned char *p; /* PQunescapeBytea result, PQfreemem'd at the next step/reset */
    size_t n;
};

struct pg_stmt {
    struct stmt base;
    char name[16]; /* server-side name, "q<id>" */
    int n_params;
    struct pg_param *params;
    const char **values; /* scratch arrays handed to PQexecPrepared */
    int *lens, *fmts;
    PGresult *res;         /* result of the last execution, NULL before the first step */
    int row;               /* current row of res; -1 before the first one */
    int64_t changes;       /* PQcmdTuples of the last execution */
    struct pg_blob *blobs; /* decoded bytea of the current row, by column, or NULL */
    int n_blobs;
};

#define PC(c) ((struct pg_conn *)(c))
#define PS(s) ((struct pg_stmt *)(s))

/* ---- errors -------------------------------------------------------------- */

/* Copies msg (at most n - 1 bytes) into out as one line: libpq's texts span several. */
static void trim_msg(const char *msg, char *out, size_t n)
{
    snprintf(out, n, "%s", msg && *msg ? msg : "unknown error");
    for (char *p = out; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    size_t len = strlen(out);
    while (len > 0 && out[len - 1] == ' ')
        out[--len] = '\0';
}

/* Maps the error in res (may be NULL: then only the connection is looked at). */
static enum rc map(PGconn *pg, const PGresult *res, struct err *e, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char text[PG_MSG_MAX];
    trim_msg(primary ? primary : PQerrorMessage(pg), text, sizeof(text));

    enum rc rc = RC_STORE;
    if (state) {
        if (strcmp(state, "23505") == 0)
            rc = RC_EXISTS;
        else if (strcmp(state, "23503") == 0)
            rc = RC_CONFLICT;
        else if (strcmp(state, "23502") == 0 || strcmp(state, "23514") == 0 ||
                 strncmp(state, "22", 2) == 0)
            rc = RC_INVALID;
        else if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
                 strcmp(state, "55P03") == 0)
            rc = RC_BUSY;
        else if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
                 strcmp(state, "53300") == 0)
            rc = RC_UNAVAILABLE; /* connection lost; the server shutting down, crashed or
                                  * starting (57P01..57P03); too many connections */
    }
    if (PQstatus(pg) == CONNECTION_BAD)
        rc = RC_UNAVAILABLE;
    if (rc != RC_EXISTS && rc != RC_CONFLICT)
        log_warn("postgres: %s: %s (%s)", what, text, state ? state : "no sqlstate");
    return err_set(e, rc, NULL, "postgres: %s", text);
}

/* libpq calls this for NOTICE and WARNING messages, which would go to stderr. */
static void notice(void *arg, const char *message)
{
    (void)arg;
    char text[PG_MSG_MAX];
    trim_msg(message, text, sizeof(text));
    if (strncmp(text, "WARNING", 7) == 0)
        log_warn("postgres: %s", text);
    else
        log_debug("postgres: %s", text);
}

/* Returns true if res reports success of a command or query. */
static bool res_ok(const PGresult *res)
{
    ExecStatusType t = PQresultStatus(res);
    return t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK || t == PGRES_EMPTY_QUERY;
}

/* ---- the queue --------------------------------------------------------------- */

/*
 * BEGIN and the statements run with store_run_later are not awaited: they are sent in
 * libpq's pipeline mode and answered together with the next command that is awaited (a
 * step, COMMIT), so one round trip carries them all. A transaction's writes through the
 * audit chain (INSERT audit, UPDATE audit_head, COMMIT) take one round trip instead of
 * three, and so hold the audit head's row lock that much shorter. The first failure among
 * the queued commands is the failure of the command that waited for them (the server
 * skips the rest, up to the pipeline's sync). Every other use of the connection drains the
 * queue first (drain), since libpq refuses synchronous calls in pipeline mode.
 */

/* Sends sql (one command, no parameters) without waiting for its answer. */
static enum rc queue_sql(struct pg_conn *pc, const char *sql, struct err *e)
{
    if (pc->n_queued == 0 && PQenterPipelineMode(pc->pg) != 1)
        return map(pc->pg, NULL, e, "pipeline");
    if (PQsendQueryParams(pc->pg, sql, 0, NULL, NULL, NULL, NULL, 0) != 1)
        return map(pc->pg, NULL, e, "send");
    pc->n_queued++;
    return RC_OK;
}

/* Sends prepared statement s with its parameters without waiting for its answer. */
static enum rc queue_stmt(struct pg_conn *pc, struct pg_stmt *s, struct err *e)
{
    if (pc->n_queued == 0 && PQenterPipelineMode(pc->pg) != 1)
        return map(pc->pg, NULL, e, "pipeline");
    for (int i = 0; i < s->n_params; i++) {
        s->values[i] = s->params[i].val;
        s->lens[i] = s->params[i].len;
        s->fmts[i] = s->params[i].fmt;
    }
    if (PQsendQueryPrepared(pc->pg, s->name, s->n_params, s->values, s->lens, s->fmts, 0) != 1)
        return map(pc->pg, NULL, e, "send");
    pc->n_queued++;
    return RC_OK;
}

/*
 * Reads the answers of every queued command and leaves pipeline mode. With last, the
 * answer of the last command is kept there (on success). Returns the first failure.
 */
static enum rc drain(struct pg_conn *pc, PGresult **last, struct err *e)
{
    enum rc rc = RC_OK;
    int n = pc->n_queued;
    pc->n_queued = 0;
    if (last)
        *last = NULL;
    if (n == 0)
        return RC_OK;
    if (PQpipelineSync(pc->pg) != 1)
        return map(pc->pg, NULL, e, "pipeline");
    for (int i = 0; i < n; i++) {
        PGresult *res = PQgetResult(pc->pg);
        if (!res) {
            if (rc == RC_OK)
                rc = map(pc->pg, NULL, e, "pipeline");
            return rc; /* the connection is gone; it is reopened on acquire */
        }
        ExecStatusType t = PQresultStatus(res);
        if (rc == RC_OK && t != PGRES_PIPELINE_ABORTED && !res_ok(res))
            rc = map(pc->pg, res, e, "step");
        if (last && i == n - 1 && rc == RC_OK)
            *last = res;
        else
            PQclear(res);
        while ((res = PQgetResult(pc->pg)) != NULL) /* the NULL that ends one answer */
            PQclear(res);
    }
    PGresult *sync = PQgetResult(pc->pg);
    if (PQresultStatus(sync) != PGRES_PIPELINE_SYNC && rc == RC_OK)
        rc = map(pc->pg, sync, e, "pipeline");
    PQclear(sync);
    if (PQexitPipelineMode(pc->pg) != 1 && rc == RC_OK)
        rc = map(pc->pg, NULL, e, "pipeline");
    if (rc && last && *last) {
        PQclear(*last);
        *last = NULL;
    }
    return rc;
}

/* ---- connections ----------------------------------------------------------- */

/* Drops the server-side statement name now or, inside a failed transaction, later. */
static void deallocate(struct pg_conn *c, const char *name)
{
    if (PQstatus(c->pg) != CONNECTION_OK)
        return; /* the session, and its statements, are gone */
    /* A queued failure is not lost: it leaves the transaction failed, and COMMIT says so. */
    struct err ignored;
    (void)drain(c, NULL, &ignored);
    if (PQtransactionStatus(c->pg) == PQTRANS_INERROR) {
        if (c->n_dead == c->cap_dead) {
            c->cap_dead = c->cap_dead ? 2 * c->cap_dead : 8;
            c->dead = xrealloc(c->dead, (size_t)c->cap_dead * sizeof(*c->dead));
        }
        c->dead[c->n_dead++] = xstrdup(name);
        return;
    }
    char sql[32];
    snprintf(sql, sizeof(sql), "DEALLOCATE %s", name);
    PGresult *res = PQexec(c->pg, sql);
    if (!res_ok(res)) {
        char text[PG_MSG_MAX];
        trim_msg(PQresultErrorMessage(res), text, sizeof(text));
        log_warn("postgres: %s: %s", sql, text);
    }
    PQclear(res);
}

/* Deallocates the statements left over from a failed transaction, once it has ended. */
static void flush_dead(struct pg_conn *c)
{
    if (c->n_dead == 0 || c->n_queued || PQtransactionStatus(c->pg) == PQTRANS_INERROR)
        return;
    int n = c->n_dead;
    c->n_dead = 0;
    for (int i = 0; i < n; i++) {
        deallocate(c, c->dead[i]);
        xfree(c->dead[i]);
    }
}

/* True for the texts store.c runs that write nothing (the others may: migrations, DDL). */
static bool reads_only(const char *sql)
{
    static const char *const heads[] = {"BEGIN", "COMMIT", "SELECT ", "SET ", "SHOW ", NULL};
    for (const char *const *h = heads; *h; h++)
        if (strncmp(sql, *h, strlen(*h)) == 0)
            return true;
    return false;
}

static enum rc pg_exec(struct conn *c, const char *sql, struct err *e)
{
    PGconn *pg = PC(c)->pg;
    struct pg_conn *pc = PC(c);
    enum rc rc;
    /* BEGIN goes with the transaction's first statement; a single command after queued
     * ones (COMMIT) goes with them. Anything else, and ROLLBACK (which the server would
     * skip after a queued failure), waits for the queue first. */
    if (strcmp(sql, "BEGIN") == 0)
        return queue_sql(pc, sql, e);
    if (pc->n_queued && strcmp(sql, "ROLLBACK") != 0 && !strchr(sql, ';')) {
        rc = queue_sql(pc, sql, e);
        if (rc == RC_OK)
            rc = drain(pc, NULL, e);
        goto done;
    }
    if (pc->n_queued) {
        struct err ignored;
        (void)drain(pc, NULL, &ignored);
    }
    /*
     * After a failed statement the server ignores everything up to the end of the
     * transaction and answers COMMIT with a silent ROLLBACK. Say so, or a caller who
     * skipped an error would believe the transaction was committed.
     */
    if (strcmp(sql, "COMMIT") == 0 && PQtransactionStatus(pg) == PQTRANS_INERROR) {
        log_warn("postgres: commit of a transaction aborted by an earlier error");
        return err_set(e, RC_STORE, NULL,
                       "postgres: transaction was aborted by an earlier error and rolled back");
    }
    PGresult *res = PQexec(pg, sql);
    rc = res_ok(res) ? RC_OK : map(pg, res, e, "exec");
    PQclear(res);
done:
    if (strcmp(sql, "ROLLBACK") == 0)
        PC(c)->wrote = false;
    else if (!reads_only(sql))
        PC(c)->wrote = true;
    flush_dead(PC(c)); /* typically right after the ROLLBACK of a failed transaction */
    return rc;
}

/*
 * Group commit. A session's commits do not wait for the WAL flush (synchronous_commit =
 * off for the session); store_commit then calls pg_sync, which commits a transaction of
 * its own at the server's level (on, or a standby's level). It writes one WAL record (a
 * transactional logical message: a transaction that writes no WAL is committed without a
 * flush, even with an xid), so its commit record comes after every commit that returned
 * before it began, and the server returns only once the WAL is flushed (and replicated)
 * that far: all of them are durable. One flush serves every commit in flight, and row
 * locks (the audit head's) are released at COMMIT, not after the flush: without this,
 * appends to the audit chain waited for one flush each. Where the server runs with
 * synchronous_commit = off, nothing changes and pg_sync does nothing.
 * docs/internals/store.md, "Group commit on PostgreSQL".
 */
static enum rc group_commit_on(struct pg_conn *c, struct err *e)
{
    PGresult *res = PQexec(c->pg, "SHOW synchronous_commit");
    enum rc rc = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1
                     ? RC_OK
                     : map(c->pg, res, e, "connect");
    if (rc == RC_OK && strcmp(PQgetvalue(res, 0, 0), "off") != 0) {
        const char *level = PQgetvalue(res, 0, 0);
        char sql[160];
        snprintf(sql, sizeof(sql),
                 "BEGIN; SET LOCAL synchronous_commit = %s; "
                 "SELECT pg_logical_emit_message(true, 'qifu.sync', ''); COMMIT",
                 strspn(level, "abcdefghijklmnopqrstuvwxyz_") == strlen(level) ? level : "on");
        c->sync_sql = xstrdup(sql);
        rc = pg_exec(&c->base, "SET synchronous_commit = off", e);
    }
    PQclear(res);
    return rc;
}

static enum rc pg_sync(struct conn *c, struct err *e)
{
    struct pg_conn *pc = PC(c);
    if (!pc->sync_sql)
        return RC_OK;
    enum rc qrc = drain(pc, NULL, e);
    if (qrc)
        return qrc;
    PGresult *res = PQexec(pc->pg, pc->sync_sql);
    enum rc rc = res_ok(res) ? RC_OK : map(pc->pg, res, e, "sync");
    PQclear(res);
    return rc;
}

static bool pg_dirty(struct conn *c)
{
    bool wrote = PC(c)->wrote;
    PC(c)->wrote = false;
    return wrote;
}

static enum rc pg_connect(const char *target, struct conn **out, struct err *e)
{
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(target, &perr);
    if (!opts) {
        char text[PG_MSG_MAX];
        trim_msg(perr, text, sizeof(text));
        PQfreemem(perr);
        log_warn("postgres: bad connection URL: %s", text);
        return err_set(e, RC_INVALID, "db", "postgres: bad connection URL: %s", text);
    }
    PQconninfoFree(opts);

    /*
     * Keywords are applied in order: the time-outs come before the URL so the URL may
     * override them; client_encoding comes after so it may not. A server that cannot
     * be reached costs a request at most connect_timeout (2 s) before its 503, not a
     * hang; over TCP, keepalives and tcp_user_timeout notice a server machine that
     * vanished without closing the connection within about 10 s.
     */
    static const char *const keys[] = {"connect_timeout",
                                       "keepalives",
                                       "keepalives_idle",
                                       "keepalives_interval",
                                       "keepalives_count",
                                       "tcp_user_timeout",
                                       "dbname",
                                       "client_encoding",
                                       NULL};
    const char *const vals[] = {"2", "1", "5", "2", "3", "10000", target, "UTF8", NULL};
    PGconn *pg = PQconnectdbParams(keys, vals, 1);
    if (!pg)
        return err_set(e, RC_UNAVAILABLE, NULL, "postgres: out of memory");
    if (PQstatus(pg) != CONNECTION_OK) {
        char text[PG_MSG_MAX];
        trim_msg(PQerrorMessage(pg), text, sizeof(text));
        PQfinish(pg);
        log_warn("postgres: cannot connect: %s", text);
        return err_set(e, RC_UNAVAILABLE, NULL, "postgres: cannot connect: %s", text);
    }
    PQsetNoticeProcessor(pg, notice, NULL);

    struct pg_conn *c = xcalloc(1, sizeof(*c));
    c->pg = pg;
    enum rc rc = pg_exec(&c->base, "SET TimeZone = 'UTC'; SET application_name = 'qifu'", e);
    if (rc == RC_OK)
        rc = group_commit_on(c, e);
    if (rc) {
        PQfinish(pg);
        xfree(c->sync_sql);
        xfree(c);
        return rc == RC_STORE ? RC_UNAVAILABLE : rc;
    }
    c->wrote = false;
    *out = &c->base;
    return RC_OK;
}

static void pg_disconnect(struct conn *c)
{
    if (!c)
        return;
    PQfinish(PC(c)->pg);
    xfree(PC(c)->sync_sql);
    for (int i = 0; i < PC(c)->n_dead; i++)
        xfree(PC(c)->dead[i]);
    xfree(PC(c)->dead);
    xfree(c);
}

/*
 * True if the connection is lost. An idle connection whose server went away (a
 * restart ends every session with a FATAL message and closes the socket) still says
 * CONNECTION_OK until libpq reads from it: so when the socket of an idle connection
 * is readable, read what is there, which turns the status to CONNECTION_BAD at the end
 * of the stream. Otherwise the first request after a database restart would fail on
 * every pooled connection in turn. Costs one poll() per acquire.
 */
static bool pg_broken(struct conn *c)
{
    PGconn *pg = PC(c)->pg;
    if (PQstatus(pg) == CONNECTION_BAD)
        return true;
    if (PQtransactionStatus(pg) != PQTRANS_IDLE)
        return false;
    for (int i = 0; i < 4; i++) {
        struct pollfd p = {.fd = PQsocket(pg), .events = POLLIN};
        if (p.fd < 0 || poll(&p, 1, 0) <= 0)
            break;
        if (!PQconsumeInput(pg))
            break; /* the stream ended: the status is CONNECTION_BAD now */
        /* Else it was a notice or a NOTIFY: libpq keeps it, the connection is fine. */
    }
    return PQstatus(pg) == CONNECTION_BAD;
}

/* ---- the change channel (store_listen.c) -------------------------------------- */

static int pg_socket(struct conn *c)
{
    return PQsocket(PC(c)->pg);
}

static enum rc pg_notifies(struct conn *c, void (*got)(void *arg, const char *payload), void *arg,
                           struct err *e)
{
    PGconn *pg = PC(c)->pg;
    if (!PQconsumeInput(pg) || PQstatus(pg) == CONNECTION_BAD) {
        char text[PG_MSG_MAX];
        trim_msg(PQerrorMessage(pg), text, sizeof(text));
        return err_set(e, RC_UNAVAILABLE, NULL, "postgres: listener connection lost: %s", text);
    }
    PGnotify *n;
    while ((n = PQnotifies(pg))) {
        got(arg, n->extra ? n->extra : "");
        PQfreemem(n);
    }
    return RC_OK;
}

/* ---- placeholders ------------------------------------------------------------ */

static bool ident_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '$' || (unsigned char)ch >= 0x80;
}

/*
 * Returns the length of the dollar-quote tag ("$$" or "$name$") at p, or 0 if p does
 * not start one. A tag cannot start with a digit, so $1 is never a tag.
 */
static size_t dollar_tag(const char *p)
{
    size_t n = 1;
    if (p[n] >= '0' && p[n] <= '9')
        return 0;
    while (p[n] && p[n] != '$' && ident_char(p[n]))
        n++;
    return p[n] == '$' ? n + 1 : 0;
}

/* Returns the end of the quoted text, comment or dollar-quoted body starting at p. */
static const char *skip_quoted(const char *sql, const char *p)
{
    if (*p == '\'') {
        /* E'...' strings take backslash escapes; '' is a quote in any string. */
        bool esc =
            p > sql && (p[-1] == 'E' || p[-1] == 'e') && (p - 1 == sql || !ident_char(p[-2]));
        for (p++; *p; p++) {
            if (esc && *p == '\\' && p[1])
                p++;
            else if (*p == '\'' && p[1] == '\'')
                p++;
            else if (*p == '\'')
                return p + 1;
        }
        return p;
    }
    if (*p == '"') {
        p = strchr(p + 1, '"'); /* "" inside an identifier reads as two quoted parts */
        return p ? p + 1 : sql + strlen(sql);
    }
    if (p[0] == '-' && p[1] == '-') {
        p = strchr(p, '\n');
        return p ? p : sql + strlen(sql);
    }
    if (p[0] == '/' && p[1] == '*') { /* block comments nest in PostgreSQL */
        int depth = 1;
        for (p += 2; *p && depth > 0; p++) {
            if (p[0] == '/' && p[1] == '*') {
                depth++;
                p++;
            } else if (p[0] == '*' && p[1] == '/') {
                depth--;
                p++;
            }
        }
        return p;
    }
    if (*p == '$' && (p == sql || !ident_char(p[-1]))) {
        size_t n = dollar_tag(p);
        if (n == 0)
            return p + 1;
        for (const char *q = p + n; *q; q++)
            if (*q == '$' && strncmp(q, p, n) == 0)
                return q + n;
        return sql + strlen(sql);
    }
    return p + 1;
}

/*
 * Copies sql to out (unless out is NULL), replacing each ? placeholder with $1, $2, ...
 * A ? inside a string literal, quoted identifier, comment or dollar-quoted body is
 * left alone. out (of cap bytes) needs strlen(sql) + 10 * placeholders + 1 bytes.
 * Returns the number of placeholders.
 */
static int rewrite(const char *sql, char *out, size_t cap)
{
    int n = 0;
    size_t o = 0;
    const char *p = sql;
    while (*p) {
        if (*p == '?') {
            n++;
            if (out)
                o += (size_t)snprintf(out + o, cap - o, "$%d", n);
            p++;
            continue;
        }
        const char *end = skip_quoted(sql, p);
        if (out) {
            memcpy(out + o, p, (size_t)(end - p));
            o += (size_t)(end - p);
        }
        p = end;
    }
    if (out)
        out[o] = '\0';
    return n;
}

/* ---- statements -------------------------------------------------------------- */

static enum rc pg_prepare(struct conn *c, const char *sql, struct stmt **out, struct err *e)
{
    struct pg_conn *pc = PC(c);
    enum rc qrc = drain(pc, NULL, e); /* a new statement's first use: rare */
    if (qrc)
        return qrc;
    flush_dead(pc);
    int n = rewrite(sql, NULL, 0);
    size_t cap = strlen(sql) + 10 * (size_t)n + 1;
    char *q = xmalloc(cap);
    rewrite(sql, q, cap);

    struct pg_stmt *s = xcalloc(1, sizeof(*s));
    snprintf(s->name, sizeof(s->name), "q%u", ++pc->next_id);
    PGresult *res = PQprepare(pc->pg, s->name, q, 0, NULL);
    xfree(q);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        enum rc rc = map(pc->pg, res, e, "prepare");
        PQclear(res);
        xfree(s);
        return rc;
    }
    PQclear(res);
    s->n_params = n;
    if (n > 0) {
        s->params = xcalloc((size_t)n, sizeof(*s->params));
        s->values = xcalloc((size_t)n, sizeof(*s->values));
        s->lens = xcalloc((size_t)n, sizeof(*s->lens));
        s->fmts = xcalloc((size_t)n, sizeof(*s->fmts));
    }
    s->row = -1;
    *out = &s->base;
    return RC_OK;
}

static void free_blobs(struct pg_stmt *s)
{
    for (int i = 0; i < s->n_blobs; i++)
        if (s->blobs[i].p)
            PQfreemem(s->blobs[i].p);
    xfree(s->blobs);
    s->blobs = NULL;
    s->n_blobs = 0;
}

/* Returns parameter i (1-based) emptied for a new value, or NULL if out of range. */
static struct pg_param *param(struct stmt *st, int i)
{
    struct pg_stmt *s = PS(st);
    if (i < 1 || i > s->n_params)
        return NULL; /* like sqlite3_bind_*'s SQLITE_RANGE, silently ignored */
    struct pg_param *p = &s->params[i - 1];
    if (p->owned)
        xfree(p->val);
    p->val = NULL;
    p->owned = false;
    p->len = 0;
    p->fmt = 0;
    return p;
}

static void pg_reset(struct stmt *st)
{
    struct pg_stmt *s = PS(st);
    free_blobs(s);
    PQclear(s->res);
    s->res = NULL;
    s->row = -1;
    s->changes = 0;
    for (int i = 1; i <= s->n_params; i++)
        param(st, i);
}

static void pg_finalize(struct stmt *st)
{
    struct pg_stmt *s = PS(st);
    pg_reset(st);
    /* A cached statement is finalized only as its connection closes; see the top. */
    if (!st->cached)
        deallocate(PC(st->conn), s->name);
    xfree(s->params);
    xfree(s->values);
    xfree(s->lens);
    xfree(s->fmts);
    xfree(s);
}

static void pg_bind_text(struct stmt *st, int i, const char *v, size_t n)
{
    struct pg_param *p = param(st, i);
    if (!p)
        return;
    p->val = xstrndup(v, n);
    p->owned = true;
}

static void pg_bind_int(struct stmt *st, int i, int64_t v)
{
    struct pg_param *p = param(st, i);
    if (!p)
        return;
    snprintf(p->num, sizeof(p->num), "%" PRId64, v);
    p->val = p->num;
}

static void pg_bind_double(struct stmt *st, int i, double v)
{
    struct pg_param *p = param(st, i);
    if (!p)
        return;
    if (isnan(v))
        snprintf(p->num, sizeof(p->num), "NaN");
    else if (isinf(v))
        snprintf(p->num, sizeof(p->num), "%sInfinity", v < 0 ? "-" : "");
    else
        snprintf(p->num, sizeof(p->num), "%.17g", v);
    p->val = p->num;
}

static void pg_bind_null(struct stmt *st, int i)
{
    param(st, i);
}

static void pg_bind_blob(struct stmt *st, int i, const void *v, size_t n)
{
    struct pg_param *p = param(st, i);
    if (!p)
        return;
    p->val = xmalloc(n);
    if (n)
        memcpy(p->val, v, n);
    p->owned = true;
    p->len = (int)n;
    p->fmt = 1;
}

static enum rc pg_step(struct stmt *st, struct err *e)
{
    struct pg_stmt *s = PS(st);
    free_blobs(s);
    if (!s->res) {
        struct pg_conn *pc = PC(st->conn);
        PGconn *pg = pc->pg;
        PGresult *res;
        if (pc->n_queued) { /* with BEGIN and the statements queued before it */
            enum rc rc = queue_stmt(pc, s, e);
            if (rc == RC_OK)
                rc = drain(pc, &res, e);
            if (rc)
                return rc;
        } else {
            flush_dead(pc);
            for (int i = 0; i < s->n_params; i++) {
                s->values[i] = s->params[i].val;
                s->lens[i] = s->params[i].len;
                s->fmts[i] = s->params[i].fmt;
            }
            res = PQexecPrepared(pg, s->name, s->n_params, s->values, s->lens, s->fmts, 0);
            if (!res_ok(res)) {
                enum rc rc = map(pg, res, e, "step");
                PQclear(res);
                return rc;
            }
        }
        s->res = res;
        s->row = -1;
        s->changes = strtoll(PQcmdTuples(res), NULL, 10);
        if (strncmp(PQcmdStatus(res), "SELECT", 6) != 0)
            PC(st->conn)->wrote = true; /* INSERT, UPDATE, DELETE, ... */
    }
    if (s->row + 1 < PQntuples(s->res)) {
        s->row++;
        return RC_ROW;
    }
    s->row = PQntuples(s->res);
    return RC_DONE;
}

static enum rc pg_run_later(struct stmt *st, struct err *e)
{
    struct pg_stmt *s = PS(st);
    free_blobs(s);
    PQclear(s->res);
    s->res = NULL;
    s->row = -1;
    s->changes = 0;
    PC(st->conn)->wrote = true;
    return queue_stmt(PC(st->conn), s, e);
}

static int pg_ncols(struct stmt *st)
{
    return PS(st)->res ? PQnfields(PS(st)->res) : 0;
}

/* Returns true if column i of the current row can be read. */
static bool have(const struct pg_stmt *s, int i)
{
    return s->res && s->row >= 0 && s->row < PQntuples(s->res) && i >= 0 && i < PQnfields(s->res);
}

static bool pg_isnull(struct stmt *st, int i)
{
    struct pg_stmt *s = PS(st);
    return !have(s, i) || PQgetisnull(s->res, s->row, i);
}

static const char *pg_text(struct stmt *st, int i)
{
    struct pg_stmt *s = PS(st);
    if (pg_isnull(st, i))
        return NULL;
    return PQgetvalue(s->res, s->row, i);
}

static int64_t pg_int(struct stmt *st, int i)
{
    const char *v = pg_text(st, i);
    if (!v)
        return 0;
    if (PQftype(PS(st)->res, i) == PG_OID_BOOL)
        return v[0] == 't';
    return strtoll(v, NULL, 10);
}

static double pg_double(struct stmt *st, int i)
{
    const char *v = pg_text(st, i);
    return v ? strtod(v, NULL) : 0.0;
}

static const void *pg_blob(struct stmt *st, int i, size_t *n)
{
    struct pg_stmt *s = PS(st);
    *n = 0;
    const char *v = pg_text(st, i);
    if (!v)
        return NULL;
    if (PQftype(s->res, i) != PG_OID_BYTEA) {
        *n = (size_t)PQgetlength(s->res, s->row, i);
        return v;
    }
    if (!s->blobs) {
        s->n_blobs = PQnfields(s->res);
        s->blobs = xcalloc((size_t)s->n_blobs, sizeof(*s->blobs));
    }
    struct pg_blob *b = &s->blobs[i];
    if (!b->p) {
        b->p = PQunescapeBytea((const unsigned char *)v, &b->n);
        if (!b->p) {
            log_error("postgres: out of memory decoding a bytea of %d bytes",
                      PQgetlength(s->res, s->row, i));
            abort();
        }
    }
    *n = b->n;
    return b->p;
}

static int64_t pg_changes(struct stmt *st)
{
    return PS(st)->changes;
}

const struct store_ops store__pg_ops = {
    .name = "postgres",
    .kind = STORE_PG,
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .exec = pg_exec,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .reset = pg_reset,
    .bind_text = pg_bind_text,
    .bind_int = pg_bind_int,
    .bind_double = pg_bind_double,
    .bind_null = pg_bind_null,
    .bind_blob = pg_bind_blob,
    .step = pg_step,
    .run_later = pg_run_later,
    .ncols = pg_ncols,
    .isnull = pg_isnull,
    .text = pg_text,
    .int64 = pg_int,
    .dbl = pg_double,
    .blob = pg_blob,
    .changes = pg_changes,
    .broken = pg_broken,
    .socket = pg_socket,
    .notifies = pg_notifies,
    .sync = pg_sync,
    .dirty = pg_dirty,
    .sync_dirty_only = true,
};
