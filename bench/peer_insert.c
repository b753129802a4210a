/* SPDX-License-Identifier: Apache-2.0 */
/*
 * peer_insert: the named peer of the durable-create benchmark (bench/demands.sh).
 *
 * T threads, each with its own connection, insert N rows in all into the demands table
 * of a qifu database, one INSERT and one COMMIT per row: the same row shape as a demand
 * created through the API, the same durability (SQLite: WAL, synchronous=FULL, BEGIN
 * IMMEDIATE; PostgreSQL: one transaction per row, the server's own settings), and
 * nothing else: no HTTP, no JSON, no session check, no timeline or audit rows. It
 * prints one line:
 *
 *   PEER n=N secs=S rps=R
 *
 *   peer_insert sqlite:PATH|postgres://... N THREADS
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef WITH_PG
#include <libpq-fe.h>
#endif

#define INSERT_SQL                                                                                 \
    "INSERT INTO demands (no, credit_code, region, category, urgency, channel, title, content, "  \
    "contact_name, contact_phone, address, lat, lon, state, external_id, idem_key, created_by, "  \
    "created_at, updated_at, enterprise_name) VALUES "
#define ENT_NAME "'安庆市示例智能装备有限公司'" /* the demands carry it (migration 0011) */
#define CONTENT                                                                                    \
    "我公司新建生产线需要办理相关审批手续，请问需要准备哪些材料，办理时限多长？联系人方经理。"

static const char *url;
static long long n_rows, next_row;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long take_row(void)
{
    pthread_mutex_lock(&mu);
    long long r = next_row < n_rows ? ++next_row : 0;
    pthread_mutex_unlock(&mu);
    return r;
}

static long long epoch_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fail(const char *what, const char *msg)
{
    fprintf(stderr, "peer_insert: %s: %s\n", what, msg);
    exit(1);
}

static void *run_sqlite(void *arg)
{
    (void)arg;
    sqlite3 *db;
    sqlite3_stmt *st;
    if (sqlite3_open(url + 7, &db) != SQLITE_OK)
        fail("open", sqlite3_errmsg(db));
    sqlite3_busy_timeout(db, 10000);
    if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL", NULL, NULL, NULL))
        fail("pragma", sqlite3_errmsg(db));
    if (sqlite3_prepare_v2(db,
                           INSERT_SQL "(?,?,?,?,?,?,?,?,?,?,?,NULL,NULL,'submitted',NULL,?,?,?,?," ENT_NAME ")",
                           -1, &st, NULL))
        fail("prepare", sqlite3_errmsg(db));
    for (long long r; (r = take_row());) {
        char no[48], key[48], title[64];
        snprintf(no, sizeof(no), "PEER%012lld", r);
        snprintf(key, sizeof(key), "peer-%lld", r);
        snprintf(title, sizeof(title), "新建生产线审批咨询 %lld", r);
        long long at = epoch_ms();
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL))
            fail("begin", sqlite3_errmsg(db));
        const char *text[] = {no, "91340100131860916Y", "340811", "consult", "normal", "window",
                              title, CONTENT, "方晓东", "13905561234", "安庆市宜秀区", key,
                              "user:peer"};
        for (int i = 0; i < 13; i++)
            sqlite3_bind_text(st, i + 1, text[i], -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 14, at);
        sqlite3_bind_int64(st, 15, at);
        if (sqlite3_step(st) != SQLITE_DONE)
            fail("insert", sqlite3_errmsg(db));
        sqlite3_reset(st);
        if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL))
            fail("commit", sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return NULL;
}

#ifdef WITH_PG
static void *run_pg(void *arg)
{
    (void)arg;
    PGconn *pg = PQconnectdb(url);
    if (PQstatus(pg) != CONNECTION_OK)
        fail("connect", PQerrorMessage(pg));
    PGresult *res = PQprepare(pg, "ins",
                              INSERT_SQL "($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,NULL,NULL,"
                                         "'submitted',NULL,$12,$13,$14,$15," ENT_NAME ")",
                              15, NULL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        fail("prepare", PQerrorMessage(pg));
    PQclear(res);
    for (long long r; (r = take_row());) {
        char no[48], key[48], title[64], at[32];
        snprintf(no, sizeof(no), "PEER%012lld", r);
        snprintf(key, sizeof(key), "peer-%lld", r);
        snprintf(title, sizeof(title), "新建生产线审批咨询 %lld", r);
        snprintf(at, sizeof(at), "%lld", epoch_ms());
        const char *vals[] = {no,    "91340100131860916Y", "340811", "consult", "normal",
                              "window", title, CONTENT, "方晓东", "13905561234", "安庆市宜秀区",
                              key,   "user:peer", at, at};
        /* Autocommit: one transaction, one commit per row. */
        res = PQexecPrepared(pg, "ins", 15, vals, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            fail("insert", PQerrorMessage(pg));
        PQclear(res);
    }
    PQfinish(pg);
    return NULL;
}
#endif

int main(int argc, char **argv)
{
    if (argc != 4)
        fail("usage", "peer_insert sqlite:PATH|postgres://... N THREADS");
    url = argv[1];
    n_rows = atoll(argv[2]);
    int threads = atoi(argv[3]);
    if (n_rows < 1 || threads < 1 || threads > 256)
        fail("usage", "N and THREADS must be positive");
    void *(*fn)(void *) = NULL;
    if (strncmp(url, "sqlite:", 7) == 0)
        fn = run_sqlite;
#ifdef WITH_PG
    else if (strncmp(url, "postgres", 8) == 0)
        fn = run_pg;
#endif
    else
        fail("url", "want sqlite:PATH or postgres://...");
    pthread_t th[256];
    double t0 = now_s();
    for (int i = 0; i < threads; i++)
        if (pthread_create(&th[i], NULL, fn, NULL))
            fail("pthread_create", "failed");
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    double secs = now_s() - t0;
    printf("PEER n=%lld secs=%.3f rps=%.0f\n", n_rows, secs, (double)n_rows / secs);
    return 0;
}
