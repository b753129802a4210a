/* SPDX-License-Identifier: Apache-2.0 */
/*
 * qifu: entry point and sub-commands only (curl's src/ vs lib/). Everything a
 * sub-command does lives in the modules; this file parses arguments, opens the
 * store and reports in Chinese and English.
 */
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "audit/audit.h"
#include "audit/audit_checkpoint.h"
#include "auth/auth.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/sec.h"
#include "base/timeutil.h"
#include "base/jsonx.h"
#include "calendar/calendar.h"
#include "catalog/catalog.h"
#include "category/category.h"
#include "ent/ent.h"
#include "ent/ent_gen.h"
#include "ent/ent_import.h"
#include "demand/demand_import.h"
#include "cal/cal.h"
#include "http/assets.h"
#include "http/http.h"
#include "demand/demand.h"
#include "demand/demand_attach.h"
#include "demo/demo.h"
#include "job/job.h"
#include "notice/notice.h"
#include "org/org.h"
#include "policy/policy.h"
#include "policy/policy_grant.h"
#include "store/store.h"

#define QIFU_VERSION "0.1.0"

struct opts {
    const char *db;
    const char *listen;
    const char *port_file;
    const char *role, *org, *enterprise, *display_name, *kind, *region, *parent;
    const char *out, *format, *as_of, *status, *source, *webhook;
    const char *web_dir;           /* serve: the web UI from this directory */
    const char *public_url;        /* serve: the base URL clients see (behind nginx/TLS) */
    const char *trusted_proxy;     /* serve: proxies whose X-Real-IP names the client */
    const char *site_operator;     /* serve: 主办单位 shown in the UI's footer */
    const char *site_icp;          /* serve: ICP 备案号 shown in the UI's footer */
    const char *db_replica;        /* serve: a read replica (PostgreSQL standby) */
    long replica_max_lag_ms;       /* serve: reads leave the replica past this lag */
    const char *instance;          /* serve: this process's name in leases and logs */
    long long lease_ms;            /* serve: length of job leases (src/job) */
    const char *channel, *as_user; /* import demands */
    const char *label, *perms;     /* role add */
    long enterprises;
    long long policy;
    bool all;
    unsigned long long seed;
    bool history, seed_set; /* demo: a year of history (src/demo), --seed given */
    bool skip_invalid, dry_run;
    unsigned threads;
    long session_ttl;
    long max_body;
    long long max_body_inflight; /* serve: budget of body bytes being received */
    long long max_attachment;
    long request_timeout, conn_timeout, drain_timeout, sweep_interval;
    long header_timeout, body_timeout, max_conns, max_conns_per_ip; /* serve: slow clients */
    bool no_access_log;
    bool cookie_secure; /* serve: the session cookie carries Secure (TLS in front) */
    int n_pos;
    const char *pos[8];
};

static void usage(FILE *f)
{
    fputs("用法 usage: qifu <command> [options]\n"
          "  serve   [--listen 127.0.0.1:8080] [--db URL] [--threads N] [--port-file F]\n"
          "          [--max-body BYTES] [--session-ttl SECONDS] [--no-access-log]\n"
          "          [--max-body-inflight BYTES (536870912)]  all bodies being received (503 past "
          "it)\n"
          "          [--request-timeout S (60)] [--conn-timeout S (30)] [--drain-timeout S (30)]\n"
          "          [--header-timeout S (15)] [--body-timeout S (15)]  slow clients are cut off\n"
          "          [--max-conns N (1000)] [--max-conns-per-ip N (400)]  idle ones make room\n"
          "          [--webhook URL]  deliver notices to an SMS gateway (JSON POST, retried)\n"
          "          [--sweep-interval S (60)]  how often overdue demands are flagged\n"
          "          [--instance NAME (<hostname>:<pid>)]  this process in leases and logs\n"
          "          [--lease-ms N (30000)]  job leases (a dead process's work is taken over)\n"
          "          [--max-attachment BYTES (10485760)]  largest demand attachment (≤ 60 MiB)\n"
          "          [--web-dir DIR]  serve the web UI from DIR (e.g. web/dist) instead of the\n"
          "          files embedded in the binary\n"
          "          [--public-url https://HOST[/PREFIX]]  the address clients use (Open311\n"
          "          discovery, links); [--cookie-secure]  session cookie only over HTTPS\n"
          "          [--operator 主办单位] [--icp 备案号]  the operator's footer on the web pages\n"
          "          (GET /healthz answers them to the UI)\n"
          "          [--trusted-proxy IP[,IP]]  take the client address from X-Real-IP when\n"
          "          the connection comes from one of these (nginx in front)\n"
          "          [--db-replica URL]  a PostgreSQL standby for list, detail and statistics\n"
          "          reads; [--replica-max-lag-ms N (1000)]  past this lag reads use the primary\n"
          "  migrate [--db URL]                       apply database migrations\n"
          "  org add CODE NAME --kind KIND --region CODE [--parent CODE]\n"
          "  org partner add|remove ORG PARTNER | list   cross-region dispatch partners\n"
          "  user add NAME --role ROLE [--org CODE] [--enterprise CREDIT_CODE] [--display-name N]\n"
          "  role add NAME --label 中文名称 --perms PERM,PERM... | role set NAME [--label L] "
          "[--perms P,..] | role list\n"
          "          (password read from standard input)\n"
          "  user passwd NAME                         resets a password (new one on stdin)\n"
          "  user disable|enable NAME                 disabling ends the user's sessions\n"
          "  apikey add NAME --org CODE               prints a new API key once\n"
          "  apikey list | apikey revoke ID           lists / revokes API keys\n"
          "  import enterprises FILE.csv|FILE.jsonl [--skip-invalid] [--dry-run] [--format "
          "csv|jsonl]\n"
          "          [--as-of YYYY-MM-DD] [--status authoritative|self_declared] [--source TEXT]\n"
          "  import demands FILE.csv|FILE.jsonl [--skip-invalid] [--dry-run] [--format csv|jsonl]\n"
          "          [--channel hotline|window|api] [--as USER]  12345 work orders, idempotent\n"
          "  demo    [--db URL] [--enterprises N --seed S [--out FILE.csv]]\n"
          "          demo organisations and users (password demo), synthetic enterprises\n"
          "  demo    --history [--seed S (1)] [--db URL]  安庆 with its counties, departments,\n"
          "          users, 2000 enterprises and a year of demands, grants and applications\n"
          "          ending now (deterministic from the seed; once per database)\n"
          "  audit verify [--db URL]                  recompute the audit hash chain\n"
          "          [--checkpoint FILE ...] [--public-key HEX|FILE.pub]  and check it against\n"
          "          signed checkpoints (truncation, rewritten rows)\n"
          "  audit keygen FILE                        new checkpoint key (0600) and FILE.pub\n"
          "  audit checkpoint --audit-key FILE [--out FILE]  sign the verified head (JSON)\n"
          "  catalog load DIR [--db URL]            办事指南 service catalogue: DIR/items/*.json\n"
          "          and DIR/bundles/*.json, published (idempotent; a changed guide becomes a\n"
          "          new version)\n"
          "  match   --policy ID | --all [--dry-run]  免申即享: evaluate every enterprise and\n"
          "          write grants for the eligible ones (idempotent); prints the summary\n"
          "  version\n"
          "URL: sqlite:PATH (default sqlite:qifu.db) or postgres://user@host/db\n",
          f);
}

static int parse(int argc, char **argv, int from, struct opts *o)
{
    for (int i = from; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        if (strcmp(a, "--no-access-log") == 0) {
            o->no_access_log = true;
            continue;
        }
        if (strcmp(a, "--cookie-secure") == 0) {
            o->cookie_secure = true;
            continue;
        }
        if (strcmp(a, "--skip-invalid") == 0) {
            o->skip_invalid = true;
            continue;
        }
        if (strcmp(a, "--history") == 0) {
            o->history = true;
            continue;
        }
        if (strcmp(a, "--all") == 0) {
            o->all = true;
            continue;
        }
        if (strcmp(a, "--dry-run") == 0) {
            o->dry_run = true;
            continue;
        }
        if (strncmp(a, "--", 2) != 0) {
            if (o->n_pos >= 8)
                return -1;
            o->pos[o->n_pos++] = a;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "qifu: %s 缺少参数值 (missing value)\n", a);
            return -1;
        }
        const char *v = argv[++i];
        if (strcmp(a, "--db") == 0)
            slot = &o->db;
        else if (strcmp(a, "--listen") == 0)
            slot = &o->listen;
        else if (strcmp(a, "--port-file") == 0)
            slot = &o->port_file;
        else if (strcmp(a, "--role") == 0)
            slot = &o->role;
        else if (strcmp(a, "--org") == 0)
            slot = &o->org;
        else if (strcmp(a, "--enterprise") == 0)
            slot = &o->enterprise;
        else if (strcmp(a, "--display-name") == 0)
            slot = &o->display_name;
        else if (strcmp(a, "--label") == 0)
            slot = &o->label;
        else if (strcmp(a, "--perms") == 0)
            slot = &o->perms;
        else if (strcmp(a, "--kind") == 0)
            slot = &o->kind;
        else if (strcmp(a, "--region") == 0)
            slot = &o->region;
        else if (strcmp(a, "--parent") == 0)
            slot = &o->parent;
        else if (strcmp(a, "--webhook") == 0)
            slot = &o->webhook;
        else if (strcmp(a, "--web-dir") == 0)
            slot = &o->web_dir;
        else if (strcmp(a, "--public-url") == 0)
            slot = &o->public_url;
        else if (strcmp(a, "--trusted-proxy") == 0)
            slot = &o->trusted_proxy;
        else if (strcmp(a, "--operator") == 0)
            slot = &o->site_operator;
        else if (strcmp(a, "--icp") == 0)
            slot = &o->site_icp;
        else if (strcmp(a, "--db-replica") == 0)
            slot = &o->db_replica;
        else if (strcmp(a, "--instance") == 0)
            slot = &o->instance;
        else if (strcmp(a, "--lease-ms") == 0)
            o->lease_ms = atoll(v);
        else if (strcmp(a, "--out") == 0)
            slot = &o->out;
        else if (strcmp(a, "--format") == 0)
            slot = &o->format;
        else if (strcmp(a, "--as-of") == 0)
            slot = &o->as_of;
        else if (strcmp(a, "--status") == 0)
            slot = &o->status;
        else if (strcmp(a, "--source") == 0)
            slot = &o->source;
        else if (strcmp(a, "--channel") == 0)
            slot = &o->channel;
        else if (strcmp(a, "--as") == 0)
            slot = &o->as_user;
        else if (strcmp(a, "--enterprises") == 0)
            o->enterprises = atol(v);
        else if (strcmp(a, "--policy") == 0)
            o->policy = atoll(v);
        else if (strcmp(a, "--seed") == 0) {
            o->seed = strtoull(v, NULL, 10);
            o->seed_set = true;
        } else if (strcmp(a, "--threads") == 0)
            o->threads = (unsigned)atoi(v);
        else if (strcmp(a, "--session-ttl") == 0)
            o->session_ttl = atol(v);
        else if (strcmp(a, "--max-body") == 0)
            o->max_body = atol(v);
        else if (strcmp(a, "--header-timeout") == 0)
            o->header_timeout = atol(v);
        else if (strcmp(a, "--body-timeout") == 0)
            o->body_timeout = atol(v);
        else if (strcmp(a, "--max-conns") == 0)
            o->max_conns = atol(v);
        else if (strcmp(a, "--max-conns-per-ip") == 0)
            o->max_conns_per_ip = atol(v);
        else if (strcmp(a, "--max-body-inflight") == 0)
            o->max_body_inflight = atoll(v);
        else if (strcmp(a, "--max-attachment") == 0)
            o->max_attachment = atoll(v);
        else if (strcmp(a, "--request-timeout") == 0)
            o->request_timeout = atol(v);
        else if (strcmp(a, "--conn-timeout") == 0)
            o->conn_timeout = atol(v);
        else if (strcmp(a, "--sweep-interval") == 0)
            o->sweep_interval = atol(v);
        else if (strcmp(a, "--drain-timeout") == 0)
            o->drain_timeout = atol(v);
        else if (strcmp(a, "--replica-max-lag-ms") == 0)
            o->replica_max_lag_ms = atol(v);
        else {
            fprintf(stderr, "qifu: 未知选项 unknown option %s\n", a);
            return -1;
        }
        if (slot)
            *slot = v;
    }
    return 0;
}

static struct audit_actor cli_actor(void)
{
    static char name[96];
    struct passwd *pw = getpwuid(getuid());
    snprintf(name, sizeof(name), "cli:%s", pw ? pw->pw_name : "unknown");
    return (struct audit_actor){name, ""};
}

static int fail(const char *what, enum rc rc, const struct err *e)
{
    fprintf(stderr, "qifu: %s失败：%s%s%s%s (%s)\n", what, e->msg[0] ? e->msg : rc_str(rc),
            e->field[0] ? " [" : "", e->field, e->field[0] ? "]" : "", rc_name(rc));
    return 1;
}

static enum rc open_db(const struct opts *o, int n_conns, struct store **db, struct err *e)
{
    enum rc rc = store_open(o->db ? o->db : "sqlite:qifu.db", n_conns, db, e);
    if (rc == RC_OK && (rc = store_migrate(*db, NULL, e))) {
        store_close(*db);
        *db = NULL;
    }
    return rc;
}

/* The overdue sweep thread of `qifu serve`: a periodic singleton job ("sweep", src/job).
 * Every process polls it; the one that takes the due job flags the demands past their
 * running deadline (demand_sweep_overdue) and releases it due one interval later, so
 * across processes each interval is swept once. */
struct sweeper {
    struct app *app;
    long interval_s;
    const char *owner; /* --instance */
    int64_t lease_ms;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
};

static void sweep_once(struct sweeper *sw)
{
    struct conn *c;
    struct err e;
    err_clear(&e);
    if (store_acquire(sw->app->db, &c, &e))
        return;
    struct job_taken t;
    if (job_take(c, "sweep", sw->owner, sw->lease_ms, job_now(), &t, &e)) {
        log_warn("overdue sweep: cannot take the job: %s", e.msg);
    } else if (t.taken) {
        log_info("job sweep: run %lld by %s (due at %lld)", (long long)t.runs, sw->owner,
                 (long long)t.next_at);
        job_count_run("sweep");
        /* A heartbeat keeps the lease should a sweep outlast it (a large backlog). */
        struct job_hold *hold = NULL;
        if (job_hold_start(sw->app->db, "sweep", sw->owner, sw->lease_ms, &hold, &e))
            log_warn("overdue sweep: no heartbeat: %s", e.msg);
        struct demand_ctx ctx = {.cal = calendar_current(sw->app->calendar, c, NULL),
                                 .now = time_now_ms(),
                                 .yellow_days = 1};
        int n = 0;
        if (demand_sweep_overdue(c, &ctx, &n, &e))
            log_warn("overdue sweep failed: %s", e.msg);
        else if (n)
            log_info("overdue sweep: %d demand(s) flagged", n);
        calendar_release(sw->app->calendar, ctx.cal);
        job_hold_stop(hold);
        if (job_release(c, "sweep", sw->owner, job_now() + sw->interval_s * 1000, &e))
            log_warn("overdue sweep: %s", e.msg);
        job_taken_cleanup(&t);
    }
    store_release(c);
}

static void *sweep_run(void *arg)
{
    struct sweeper *sw = arg;
    /* Poll at most every second: the process that comes first after the due time sweeps. */
    int64_t poll_ms = sw->interval_s * 1000 < 1000 ? sw->interval_s * 1000 : 1000;
    struct conn *c;
    struct err e;
    err_clear(&e);
    if (store_acquire(sw->app->db, &c, &e) == RC_OK) {
        if (job_ensure(c, "sweep", "sweep", NULL, 0, job_now() + sw->interval_s * 1000, &e))
            log_warn("overdue sweep: %s", e.msg);
        store_release(c);
    }
    pthread_mutex_lock(&sw->mu);
    while (!sw->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += poll_ms / 1000;
        until.tv_nsec += (long)(poll_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&sw->cv, &sw->mu, &until);
        if (sw->stop)
            break;
        pthread_mutex_unlock(&sw->mu);
        sweep_once(sw);
        pthread_mutex_lock(&sw->mu);
    }
    pthread_mutex_unlock(&sw->mu);
    return NULL;
}

static void sweep_stop(struct sweeper *sw)
{
    pthread_mutex_lock(&sw->mu);
    sw->stop = true;
    pthread_cond_signal(&sw->cv);
    pthread_mutex_unlock(&sw->mu);
    pthread_join(sw->thread, NULL);
    pthread_mutex_destroy(&sw->mu);
    pthread_cond_destroy(&sw->cv);
}

/*
 * `qifu serve` is a list of parts, each with a start and a stop: serve_parts[] starts
 * them in order and, from one exit path, stops the started ones in reverse, whether
 * the server ran until SIGTERM/SIGINT or part k failed to start (then parts k-1..0
 * stop). The HTTP server starts last and stops first, so no request runs while the
 * parts it uses go away.
 */
struct serve {
    const struct opts *o;
    unsigned threads;
    char public_url[201];
    struct app app;
    struct http_route *routes;
    size_t n_routes;
    char instance[JOB_OWNER_MAX]; /* --instance, or <hostname>:<pid> */
    int64_t lease_ms;             /* --lease-ms */
    struct sweeper sweep;
    bool sweeping;
    struct notice_worker *notices;
    struct http_server *srv;
    int left; /* requests cut off when the HTTP server stopped */
};

struct serve_part {
    const char *name; /* in the log: "stopped: http, notices, ..." */
    const char *what; /* in the failure message: "qifu: <what>失败：..." */
    enum rc (*start)(struct serve *s, struct err *e);
    void (*stop)(struct serve *s); /* NULL: nothing to undo */
};

static enum rc serve_db_start(struct serve *s, struct err *e)
{
    return open_db(s->o, (int)s->threads + 2, &s->app.db, e);
}

static void serve_db_stop(struct serve *s)
{
    store_close(s->app.db);
}

/* The change channel (PostgreSQL): caches of other processes' changes are trusted only
 * while it listens (store_listen_start; nothing on SQLite). */
static enum rc serve_listener_start(struct serve *s, struct err *e)
{
    return store_listen_start(s->app.db, e);
}

static void serve_listener_stop(struct serve *s)
{
    store_listen_stop(s->app.db);
}

/* The read replica (--db-replica): its pool and lag monitor. A standby that is down does
 * not stop the start (reads go to the primary until it answers). */
static enum rc serve_replica_start(struct serve *s, struct err *e)
{
    if (!s->o->db_replica)
        return RC_OK;
    long lag = s->o->replica_max_lag_ms ? s->o->replica_max_lag_ms : 1000;
    return store_replica_open(s->app.db, s->o->db_replica, (int)s->threads + 1, lag,
                              &s->app.replica, e);
}

static void serve_replica_stop(struct serve *s)
{
    store_replica_close(s->app.replica);
}

static enum rc serve_catalog_start(struct serve *s, struct err *e)
{
    struct conn *c;
    enum rc rc = store_acquire(s->app.db, &c, e);
    if (rc == RC_OK) {
        rc = ent_catalog_load(c, &s->app.cat, e);
        store_release(c);
    }
    return rc;
}

static void serve_catalog_stop(struct serve *s)
{
    ent_catalog_free(s->app.cat);
}

static enum rc serve_calendar_start(struct serve *s, struct err *e)
{
    return calendar_holder_new(s->app.db, CALENDAR_CHECK_MS, &s->app.calendar, e);
}

static void serve_calendar_stop(struct serve *s)
{
    calendar_holder_free(s->app.calendar);
}

/* The compiled policies in force (惠企政策超市), rebuilt when another process publishes. */
static enum rc serve_policies_start(struct serve *s, struct err *e)
{
    return policy_holder_new(s->app.db, s->app.cat, POLICY_CHECK_MS, &s->app.policies, e);
}

static void serve_policies_stop(struct serve *s)
{
    policy_holder_free(s->app.policies);
}

/* The web UI: the files embedded at build time, or --web-dir while developing. */
static enum rc serve_web_start(struct serve *s, struct err *e)
{
    if (!s->o->web_dir && assets__n_embedded == 0)
        return RC_OK;
    return assets_open(s->o->web_dir, assets__embedded, assets__n_embedded, &s->app.web, e);
}

static void serve_web_stop(struct serve *s)
{
    assets_free(s->app.web);
}

static enum rc serve_routes_start(struct serve *s, struct err *e)
{
    (void)e;
    s->routes = api_routes_for(&s->app, &s->n_routes);
    return RC_OK;
}

static void serve_routes_stop(struct serve *s)
{
    xfree(s->routes);
}

/* 免申即享 runs in the background: queued runs are taken from the database under a lease
 * (any process's runner may take one; a dead holder's run is resumed after its lease).
 * Without it the server still serves (runs are refused). */
static enum rc serve_runner_start(struct serve *s, struct err *e)
{
    if (policy_runner_new(s->app.db, s->app.policies, s->instance, s->lease_ms, &s->app.runner, e))
        log_warn("免申即享 runner not started (runs refused): %s", e->msg);
    err_clear(e);
    return RC_OK;
}

static void serve_runner_stop(struct serve *s)
{
    policy_runner_free(s->app.runner);
}

/* The overdue sweep; without it the server still serves (lights update on reads). */
static enum rc serve_sweeper_start(struct serve *s, struct err *e)
{
    (void)e;
    s->sweep = (struct sweeper){.app = &s->app,
                                .interval_s = s->o->sweep_interval > 0 ? s->o->sweep_interval : 60,
                                .owner = s->instance,
                                .lease_ms = s->lease_ms};
    pthread_mutex_init(&s->sweep.mu, NULL);
    pthread_cond_init(&s->sweep.cv, NULL);
    s->sweeping = pthread_create(&s->sweep.thread, NULL, sweep_run, &s->sweep) == 0;
    if (!s->sweeping) {
        log_warn("could not start the overdue sweep thread");
        pthread_mutex_destroy(&s->sweep.mu);
        pthread_cond_destroy(&s->sweep.cv);
    }
    return RC_OK;
}

static void serve_sweeper_stop(struct serve *s)
{
    if (s->sweeping)
        sweep_stop(&s->sweep);
}

/* Webhook delivery of notices (--webhook); a bad URL stops the start. */
static enum rc serve_notices_start(struct serve *s, struct err *e)
{
    if (!s->o->webhook)
        return RC_OK;
    struct notice_config ncfg = {
        .url = s->o->webhook, .owner = s->instance, .lease_ms = s->lease_ms};
    return notice_worker_start(s->app.db, &ncfg, &s->notices, e);
}

static void serve_notices_stop(struct serve *s)
{
    notice_worker_stop(s->notices);
}

static enum rc serve_http_start(struct serve *s, struct err *e)
{
    const struct opts *o = s->o;
    struct http_config cfg = {
        .listen = o->listen ? o->listen : "127.0.0.1:8080",
        .threads = s->threads,
        .max_body = o->max_body > 0 ? (size_t)o->max_body : 0,
        .max_body_inflight = o->max_body_inflight > 0 ? (size_t)o->max_body_inflight : 0,
        .request_timeout_s = o->request_timeout > 0 ? (unsigned)o->request_timeout : 0,
        .conn_timeout_s = o->conn_timeout > 0 ? (unsigned)o->conn_timeout : 0,
        .drain_timeout_s = o->drain_timeout > 0 ? (unsigned)o->drain_timeout : 0,
        .header_timeout_s = o->header_timeout > 0 ? (unsigned)o->header_timeout : 0,
        .body_timeout_s = o->body_timeout > 0 ? (unsigned)o->body_timeout : 0,
        .max_conns = o->max_conns > 0 ? (unsigned)o->max_conns : 0,
        .trusted_proxy = o->trusted_proxy,
        .max_conns_per_ip = o->max_conns_per_ip > 0 ? (unsigned)o->max_conns_per_ip : 0,
        .access_log = !o->no_access_log,
        .routes = s->routes,
        .n_routes = s->n_routes,
        .auth = api_authenticate,
        .app = &s->app,
        .fallback = api_web};
    enum rc rc = http_start(&cfg, &s->srv, e);
    if (rc)
        return rc;
    s->app.srv = s->srv;
    /* cfg.listen is HOST:PORT; the port may have been 0, so print the bound one. */
    const char *colon = strrchr(cfg.listen, ':');
    bool localhost = strncmp(cfg.listen, "localhost", 9) == 0;
    int host_len = localhost ? 9 : colon ? (int)(colon - cfg.listen) : (int)strlen(cfg.listen);
    log_info("qifu %s serving on http://%.*s:%u (%s database)", QIFU_VERSION, host_len,
             localhost ? "127.0.0.1" : cfg.listen, http_port(s->srv), store_kind_name(s->app.db));
    return RC_OK;
}

/* Drains in-flight requests (up to --drain-timeout); the ones cut off are counted. */
static void serve_http_stop(struct serve *s)
{
    s->left = http_stop(s->srv);
}

static const struct serve_part serve_parts[] = {
    {"db", "打开数据库", serve_db_start, serve_db_stop},
    {"listener", "启动变更监听", serve_listener_start, serve_listener_stop},
    {"replica", "打开只读副本", serve_replica_start, serve_replica_stop},
    {"catalog", "读取事实目录", serve_catalog_start, serve_catalog_stop},
    {"calendar", "读取工作日历", serve_calendar_start, serve_calendar_stop},
    {"policies", "读取政策", serve_policies_start, serve_policies_stop},
    {"web", "打开网页目录", serve_web_start, serve_web_stop},
    {"routes", "准备路由表", serve_routes_start, serve_routes_stop},
    {"runner", "启动免申即享", serve_runner_start, serve_runner_stop},
    {"sweeper", "启动超期巡检", serve_sweeper_start, serve_sweeper_stop},
    {"notices", "启动通知投递", serve_notices_start, serve_notices_stop},
    {"http", "启动服务", serve_http_start, serve_http_stop},
};

static int cmd_serve(const struct opts *o)
{
    struct err e;
    err_clear(&e);
    if (o->max_attachment < 0 ||
        (unsigned long long)o->max_attachment > DEMAND_ATTACH_MAX_BYTES_CEILING) {
        fprintf(stderr, "qifu: --max-attachment 应为 1 到 %zu 字节\n",
                DEMAND_ATTACH_MAX_BYTES_CEILING);
        return 1;
    }
    size_t pub_len = o->public_url ? strlen(o->public_url) : 0;
    if (o->public_url && (pub_len > 200 || (strncmp(o->public_url, "http://", 7) != 0 &&
                                            strncmp(o->public_url, "https://", 8) != 0))) {
        fputs("qifu: --public-url 应以 http:// 或 https:// 开头，且不超过 200 个字符\n", stderr);
        return 1;
    }
    if ((o->site_operator && (strlen(o->site_operator) > 200 ||
                              !utf8_valid(o->site_operator, strlen(o->site_operator)))) ||
        (o->site_icp &&
         (strlen(o->site_icp) > 100 || !utf8_valid(o->site_icp, strlen(o->site_icp))))) {
        fputs("qifu: --operator 应为不超过 200 字节、--icp 应为不超过 100 字节的 UTF-8 文字\n",
              stderr);
        return 1;
    }
    if (o->db_replica && (o->replica_max_lag_ms < 0 || o->replica_max_lag_ms > 3600000)) {
        fputs("qifu: --replica-max-lag-ms 应为 1 到 3600000 毫秒\n", stderr);
        return 1;
    }
    if (o->db_replica && (!o->db || (strncmp(o->db, "postgres://", 11) != 0 &&
                                     strncmp(o->db, "postgresql://", 13) != 0))) {
        fputs("qifu: --db-replica 仅支持 PostgreSQL：--db 须为 postgres://... 的主库\n", stderr);
        return 1;
    }
    struct serve *s = xcalloc(1, sizeof(*s));
    s->o = o;
    s->threads = o->threads ? o->threads : 4;
    if (o->instance && (!*o->instance || strlen(o->instance) >= sizeof(s->instance))) {
        fprintf(stderr, "qifu: --instance 应为 1 到 %zu 个字符\n", sizeof(s->instance) - 1);
        xfree(s);
        return 1;
    }
    if (o->lease_ms && o->lease_ms < 500) {
        fputs("qifu: --lease-ms 应不小于 500（毫秒）\n", stderr);
        xfree(s);
        return 1;
    }
    snprintf(s->instance, sizeof(s->instance), "%s",
             o->instance ? o->instance : job_default_instance());
    s->lease_ms = o->lease_ms > 0 ? o->lease_ms : JOB_LEASE_MS_DEFAULT;
    log_info("instance %s, job leases of %lld ms", s->instance, (long long)s->lease_ms);
    if (o->public_url) {
        memcpy(s->public_url, o->public_url, pub_len + 1);
        while (pub_len > 0 && s->public_url[pub_len - 1] == '/')
            s->public_url[--pub_len] = '\0';
    }
    s->app = (struct app){
        .secure_cookie = o->cookie_secure,
        .public_url = o->public_url ? s->public_url : NULL,
        .site_operator = o->site_operator && *o->site_operator ? o->site_operator : NULL,
        .site_icp = o->site_icp && *o->site_icp ? o->site_icp : NULL,
        .session_ttl_ms = (o->session_ttl > 0 ? o->session_ttl : 12 * 3600) * 1000LL,
        .max_attachment =
            o->max_attachment > 0 ? (size_t)o->max_attachment : DEMAND_ATTACH_MAX_BYTES_DEFAULT};
    /* Block the stop signals before any thread starts, so only sigwait sees them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    const size_t n_parts = sizeof(serve_parts) / sizeof(serve_parts[0]);
    size_t started = 0;
    int status = 0;
    for (; started < n_parts; started++) {
        enum rc rc = serve_parts[started].start(s, &e);
        if (rc) {
            status = fail(serve_parts[started].what, rc, &e);
            break;
        }
    }
    if (started == n_parts) {
        int test_clock = time_test_clock();
        if (test_clock == 2)
            log_warn(
                "TEST CLOCK in use (QIFU_TEST_NOW / QIFU_TEST_CLOCK_FILE): now is %lld ms, not "
                "the real time; never set these in production",
                (long long)time_now_ms());
        else if (test_clock == 1)
            log_info("test clock file configured (QIFU_TEST_CLOCK_FILE); real time until it names "
                     "an instant");
        if (o->port_file) {
            FILE *f = fopen(o->port_file, "w");
            if (f) {
                fprintf(f, "%u\n", http_port(s->srv));
                fclose(f);
            }
        }
        int sig = 0;
        sigwait(&set, &sig);
        log_info("received %s: draining in-flight requests", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    }
    /* The one exit path: the started parts stop in reverse order. */
    char stopped[160] = "";
    for (size_t k = started; k-- > 0;) {
        if (serve_parts[k].stop)
            serve_parts[k].stop(s);
        size_t len = strlen(stopped);
        snprintf(stopped + len, sizeof(stopped) - len, "%s%s", len ? ", " : "",
                 serve_parts[k].name);
    }
    if (status) {
        log_info("start of %s failed; stopped: %s", serve_parts[started].name,
                 started ? stopped : "nothing");
    } else {
        log_info("stopped: %s", stopped);
        if (s->left)
            log_warn("stopped with %d request(s) cut off", s->left);
        else
            log_info("stopped cleanly");
        status = s->left ? 1 : 0;
    }
    xfree(s);
    return status;
}

static int cmd_migrate(const struct opts *o)
{
    struct err e;
    err_clear(&e);
    struct store *db;
    int n = 0;
    enum rc rc = store_open(o->db ? o->db : "sqlite:qifu.db", 1, &db, &e);
    if (rc == RC_OK)
        rc = store_migrate(db, &n, &e);
    if (rc) {
        store_close(db);
        return fail("数据库迁移", rc, &e);
    }
    printf("已应用 %d 个迁移，数据库结构版本 %d (applied %d migrations, schema version %d)\n", n,
           store_schema_version(), n, store_schema_version());
    store_close(db);
    return 0;
}

/* Reads one line from stdin into out; no echo when stdin is a terminal. */
static int read_password(char *out, size_t n)
{
    struct termios old, quiet;
    bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        fputs("密码 password: ", stderr);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    char *ok = fgets(out, (int)n, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
        fputc('\n', stderr);
    }
    if (!ok)
        return -1;
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

static int with_conn(const struct opts *o, struct store **db, struct conn **c, struct err *e)
{
    enum rc rc = open_db(o, 1, db, e);
    if (rc == RC_OK && (rc = store_acquire(*db, c, e))) {
        store_close(*db);
        *db = NULL;
    }
    return rc;
}

static int cmd_user_add(const struct opts *o)
{
    struct err e;
    err_clear(&e);
    if (o->n_pos < 1 || !o->role) {
        usage(stderr);
        return 2;
    }
    struct auth_user_new u = {.username = o->pos[0],
                              .display_name = o->display_name,
                              .org_code = o->org,
                              .credit_code = o->enterprise};
    u.role = o->role; /* checked against the roles table by auth_user_create */
    char pw[256];
    if (read_password(pw, sizeof(pw))) {
        fputs("qifu: 未从标准输入读到密码 (no password on stdin)\n", stderr);
        return 2;
    }
    u.password = pw;
    struct store *db;
    struct conn *c;
    enum rc rc = with_conn(o, &db, &c, &e);
    if (rc)
        return fail("打开数据库", rc, &e);
    struct audit_actor who = cli_actor();
    int64_t id;
    rc = auth_user_create(c, &who, &u, &id, &e);
    sec_wipe(pw, sizeof(pw));
    char *label = NULL;
    unsigned perms;
    if (rc == RC_OK)
        rc = access_role_get(c, u.role, &perms, &label, &e);
    store_release(c);
    store_close(db);
    if (rc)
        return fail("创建用户", rc, &e);
    printf("已创建用户 %s（%s），id %lld\n", u.username, label, (long long)id);
    xfree(label);
    return 0;
}

/* qifu role add NAME --label L --perms a,b | role set NAME [--label L] [--perms a,b] |
 * role list: roles are data (src/access). */
static int cmd_role(const struct opts *o, const char *verb)
{
    struct err e;
    err_clear(&e);
    bool add = strcmp(verb, "add") == 0, set = strcmp(verb, "set") == 0;
    if ((add && (o->n_pos < 1 || !o->label || !o->perms)) ||
        (set && (o->n_pos < 1 || (!o->label && !o->perms)))) {
        usage(stderr);
        return 2;
    }
    struct store *db;
    struct conn *c;
    enum rc rc = with_conn(o, &db, &c, &e);
    if (rc)
        return fail("打开数据库", rc, &e);
    json_t *roles = NULL;
    struct audit_actor who = cli_actor();
    if (add) {
        rc = access_role_create(c, &who, o->pos[0], o->label, o->perms, &e);
    } else if (set) {
        rc = access_role_update(c, &who, o->pos[0], o->label, o->perms, &e);
    } else {
        rc = access_role_list(c, &roles, &e);
    }
    store_release(c);
    store_close(db);
    if (rc)
        return fail(add ? "新建角色" : set ? "修改角色" : "列出角色", rc, &e);
    if (add || set)
        printf("已%s角色 %s\n", add ? "新建" : "修改", o->pos[0]);
    size_t i;
    json_t *r;
    json_array_foreach(roles, i, r)
    {
        printf("%-16s %s ", json_string_value(json_object_get(r, "name")),
               json_string_value(json_object_get(r, "label")));
        json_t *perms = json_object_get(r, "permissions");
        for (size_t k = 0; k < json_array_size(perms); k++)
            printf("%s%s", k ? "," : "", json_string_value(json_array_get(perms, k)));
        putchar('\n');
    }
    json_decref(roles);
    return 0;
}

/* qifu user passwd|disable|enable NAME: the password of passwd comes from stdin. */
static int cmd_user_action(const struct opts *o, enum auth_action a)
{
    struct err e;
    err_clear(&e);
    if (o->n_pos < 1) {
        usage(stderr);
        return 2;
    }
    char pw[256] = "";
    if (a == AUTH_RESET_PASSWORD && read_password(pw, sizeof(pw))) {
        fputs("qifu: 未从标准输入读到密码 (no password on stdin)\n", stderr);
        return 2;
    }
    struct store *db;
    struct conn *c;
    enum rc rc = with_conn(o, &db, &c, &e);
    if (rc)
        return fail("打开数据库", rc, &e);
    struct audit_actor who = cli_actor();
    rc = auth_user_action(c, &who, 0, o->pos[0], a, a == AUTH_RESET_PASSWORD ? pw : NULL, &e);
    sec_wipe(pw, sizeof(pw));
    store_release(c);
    store_close(db);
    static const char *const done[] = {"已重置密码", "已停用", "已启用"};
    if (rc)
        return fail(done[a], rc, &e);
    printf("用户 %s %s\n", o->pos[0], done[a]);
    return 0;
}

static int cmd_org_add(const struct opts *o)
{
    struct err e;
    err_clear(&e);
    if (o->n_pos < 2 || !o->kind || !o->region) {
        usage(stderr);
        return 2;
    }
    struct org_new n = {o->pos[0], o->pos[1], o->kind, o->region, o->parent};
    struct store *db;
    struct conn *c;
    enum rc rc = with_conn(o, &db, &c, &e);
    if (rc)
        return fail("打开数据库", rc, &e);
    struct audit_actor who = cli_actor();
    rc = org_create(c, &who, &n, NULL, &e);
    store_release(c);
    store_close(db);
    if (rc)
        return fail("创建机构", rc, &e);
    printf("已创建机构 %s %s\n", n.code, n.name);
    return 0;
}

/* qifu org partner add|remove ORG PARTNER, qifu org partner list (docs/internals/org.md). */
static int cmd_org_partner(const struct opts *o)
{
    struct err e;
    err_clear(&e);
    const char *verb = o->n_pos >= 1 ? o->pos[0] : "";
    bool list = strcmp(verb, "list") == 0 && o->n_pos == 1;
    bool change = (strcmp(verb, "add") == 0 || strcmp(verb, "remove") == 0) && o->n_pos == 3;
    if (!list && !change) {
        usage(stderr);
        return 2;
    }
    struct store *db;
    struct conn *c;
    enum rc rc = with_conn(o, &db, &c, &e);
    if (rc)
        return fail("打开数据库", rc, &e);
    struct audit_actor who = cli_actor();
    json_t *pairs = NULL;
    if (list)
        rc = org_partner_list(c, &pairs, &e);
    else if (strcmp(verb, "add") == 0)
        rc = org_partner_add(c, &who, o->pos[1], o->pos[2], &e);
    else
        rc = org_partner_remove(c, &who, o->pos[1], o->pos[2], &e);
    store_release(c);
    store_close(db);
    if (rc)
        return fail(list ? "列出协作单位" : "设置协作单位", rc, &e);
    if (list) {
        size_t i;
        json_t *x;
        json_array_foreach(pairs, i, x)
        {
            printf("%s %s -> %s %s\n", json_string_value(json_object_get(x, "org")),
                   json_string_value(json_object_get(x, "org_name")),
                   json_string_value(json_object_get(x, "partner")),
                   json_string_value(json_object_get(x, "partner_name")));
        }
        json_decref(pairs);
    } else {
        printf("%s %s 可交办给 %s\n", strcmp(verb, "add") == 0 ? "已设置：" : "已取消：", o->pos[1],
               o->pos[2]);
    }
    return 0;
}

static int cmd_apikey_add(const struct opts *o)
{
    struct err e;
    err_clear(&e);
    if (o->n_pos < 1 || !o->org) {
        usage(stderr);
        return 2;
    }
    struct store *db;
    struct conn *c;
    enum rc rc = with_conn(o, &db, &c, &e);
    if (rc)
        return fail("打开数据库", rc, &e);
    struct audit_actor who = cli_actor();
    char key[64];
    rc = auth_apikey_create(c, &who, o->pos[0], o->org, key, &e);
    store_release(c);
    store_close(db);
    if (rc)
        return fail("创建 API 密钥", rc, &e);
    fprintf(stderr, "API 密钥只显示这一次，请妥善保存 (shown once; store it safely):\n");
    printf("%s\n", key);
    sec_wipe(key, sizeof(key));
    return 0;
}

/* qifu apikey list: one line per key, no secret. */
static int cmd_apikey_list(const struct opts *o)
{
    struct err e;
    err_clear(&e);
    struct store *db;
    struct conn *c;
    enum rc rc = with_conn(o, &db, &c, &e);
    if (rc)
        return fail("打开数据库", rc, &e);
    json_t *items = NULL;
    rc = auth_apikey_list(c, NULL, &items, &e);
    store_release(c);
    store_close(db);
    if (rc)
        return fail("列出 API 密钥", rc, &e);
    size_t i;
    json_t *k;
    json_array_foreach(items, i, k)
    {
        const json_t *rv = json_object_get(k, "revoked_at");
        printf("%s\t%s\t%s\t%s…\t%s\n", json_string_value(json_object_get(k, "id")),
               json_string_value(json_object_get(k, "name")),
               json_string_value(json_object_get(k, "org")),
               json_string_value(json_object_get(k, "prefix")),
               json_is_string(rv) ? "已吊销" : "有效");
    }
    json_decref(items);
    return 0;
}

/* qifu apikey revoke ID */
static int cmd_apikey_revoke(const struct opts *o)
{
    struct err e;
    err_clear(&e);
    char *end = NULL;
    long long id = o->n_pos >= 1 ? strtoll(o->pos[0], &end, 10) : 0;
    if (id <= 0 || *end) {
        usage(stderr);
        return 2;
    }
    struct store *db;
    struct conn *c;
    enum rc rc = with_conn(o, &db, &c, &e);
    if (rc)
        return fail("打开数据库", rc, &e);
    struct audit_actor who = cli_actor();
    rc = auth_apikey_revoke(c, &who, NULL, id, &e);
    store_release(c);
    store_close(db);
    if (rc)
        return fail("吊销 API 密钥", rc, &e);
    printf("已吊销 API 密钥 %lld\n", id);
    return 0;
}

/* Reads a whole small file (a checkpoint) into a new string; NULL on failure. */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct buf b;
    buf_init(&b, (size_t)1 << 16);
    char chunk[4096];
    size_t n;
    bool ok = true;
    while (ok && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ok = buf_append(&b, chunk, n) == RC_OK;
    ok = ok && !ferror(f);
    fclose(f);
    char *text = ok ? xstrdup(buf_str(&b)) : NULL;
    buf_cleanup(&b);
    return text;
}

#define MAX_CHECKPOINTS 64

/* Options of `qifu audit ...`, parsed here because --checkpoint may repeat. */
struct audit_opts {
    struct opts o; /* --db, --out */
    const char *key, *public_key;
    const char *checkpoints[MAX_CHECKPOINTS];
    int n_checkpoints;
};

static int audit_parse(int argc, char **argv, struct audit_opts *a)
{
    for (int i = 3; i < argc; i++) {
        const char *k = argv[i];
        const char **slot = NULL;
        if (strncmp(k, "--", 2) != 0) {
            if (a->o.n_pos >= 8)
                return -1;
            a->o.pos[a->o.n_pos++] = k;
            continue;
        }
        if (strcmp(k, "--db") == 0)
            slot = &a->o.db;
        else if (strcmp(k, "--out") == 0)
            slot = &a->o.out;
        else if (strcmp(k, "--audit-key") == 0)
            slot = &a->key;
        else if (strcmp(k, "--public-key") == 0)
            slot = &a->public_key;
        else if (strcmp(k, "--checkpoint") == 0 && a->n_checkpoints < MAX_CHECKPOINTS)
            slot = &a->checkpoints[a->n_checkpoints++];
        if (!slot || i + 1 >= argc) {
            fprintf(stderr, "qifu: %s 未知选项或缺少参数值 (unknown option or missing value)\n", k);
            return -1;
        }
        *slot = argv[++i];
    }
    return 0;
}

static int cmd_audit_keygen(const struct audit_opts *a)
{
    if (a->o.n_pos != 1) {
        fputs("用法 usage: qifu audit keygen FILE\n", stderr);
        return 2;
    }
    struct err e;
    err_clear(&e);
    char pk[2 * SEC_SIGN_PUBLIC + 1];
    enum rc rc = audit_key_generate(a->o.pos[0], pk, &e);
    if (rc)
        return fail("生成审计密钥", rc, &e);
    printf("已生成审计签名密钥 %s（0600）与公钥 %s.pub\npublic key: %s\n", a->o.pos[0], a->o.pos[0],
           pk);
    return 0;
}

static int cmd_audit_checkpoint(const struct audit_opts *a)
{
    if (!a->key) {
        fputs("qifu: audit checkpoint 需要 --audit-key FILE\n", stderr);
        return 2;
    }
    struct err e;
    err_clear(&e);
    unsigned char sk[SEC_SIGN_SECRET];
    struct store *db = NULL;
    json_t *cp = NULL;
    enum rc rc = audit_key_load(a->key, sk, &e);
    if (rc == RC_OK)
        rc = open_db(&a->o, 1, &db, &e);
    if (rc == RC_OK)
        rc = audit_checkpoint_make(db, sk, &cp, &e);
    sec_wipe(sk, sizeof(sk));
    store_close(db);
    if (rc)
        return fail("审计检查点", rc, &e);
    char *text = json_dumps(cp, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(cp);
    int status = 0;
    if (a->o.out) {
        FILE *f = fopen(a->o.out, "wx");
        if (!f || fprintf(f, "%s\n", text) < 0 || fclose(f) != 0) {
            fprintf(stderr, "qifu: 无法写入 %s（已存在或不可写）\n", a->o.out);
            status = 1;
        }
    } else {
        printf("%s\n", text);
    }
    free(text); /* lint:allow-free (Jansson's allocation) */
    return status;
}

static int cmd_audit_verify(const struct audit_opts *a)
{
    struct err e;
    err_clear(&e);
    struct audit_checkpoint cps[MAX_CHECKPOINTS];
    unsigned char pk[SEC_SIGN_PUBLIC];
    enum rc rc = a->public_key ? audit_public_key_load(a->public_key, pk, &e) : RC_OK;
    for (int i = 0; rc == RC_OK && i < a->n_checkpoints; i++) {
        char *text = read_text(a->checkpoints[i]);
        rc = text ? audit_checkpoint_parse(text, a->public_key ? pk : NULL, &cps[i], &e)
                  : err_set(&e, RC_IO, NULL, "无法读取 %s", a->checkpoints[i]);
        xfree(text);
        if (rc) {
            fprintf(stderr, "qifu: 检查点 %s: %s\n", a->checkpoints[i], e.msg);
            return 1;
        }
        /* Without a pinned key, checkpoints are at least signed by one and the same key:
         * anyone can sign a checkpoint of a rewritten chain with a key of their own. */
        if (!a->public_key && i > 0 && memcmp(cps[i].pk, cps[0].pk, sizeof(cps[0].pk)) != 0) {
            fprintf(stderr,
                    "qifu: 检查点 %s 与 %s 由不同密钥签名；请用 --public-key 指定运维保管的公钥\n",
                    a->checkpoints[i], a->checkpoints[0]);
            return 1;
        }
    }
    struct store *db = NULL;
    if (rc == RC_OK)
        rc = open_db(&a->o, 1, &db, &e);
    struct audit_report r;
    if (rc == RC_OK)
        rc = audit_verify_with(db, cps, (size_t)a->n_checkpoints, &r, &e);
    store_close(db);
    if (rc)
        return fail("审计校验", rc, &e);
    if (r.first_bad) {
        printf("审计链断裂：第 %lld 条 (audit chain broken at seq %lld): %s\n",
               (long long)r.first_bad, (long long)r.first_bad, r.why);
        return 1;
    }
    printf("审计链完整：共 %lld 条 (audit chain intact: %lld events)", (long long)r.n_checked,
           (long long)r.n_checked);
    if (a->n_checkpoints)
        printf("，与 %d 个检查点一致 (matches %d checkpoints)", a->n_checkpoints, a->n_checkpoints);
    printf("\n");
    return 0;
}

/* `qifu audit keygen|checkpoint|verify ...`. */
static int cmd_audit(int argc, char **argv)
{
    const char *sub = argc > 2 ? argv[2] : "";
    struct audit_opts a = {0};
    if (audit_parse(argc, argv, &a)) {
        usage(stderr);
        return 2;
    }
    if (strcmp(sub, "verify") == 0)
        return cmd_audit_verify(&a);
    if (strcmp(sub, "checkpoint") == 0)
        return cmd_audit_checkpoint(&a);
    if (strcmp(sub, "keygen") == 0)
        return cmd_audit_keygen(&a);
    fprintf(stderr, "qifu: 未知命令 unknown command audit %s\n", sub);
    usage(stderr);
    return 2;
}

static void progress(void *ctx, const char *phase, size_t done, size_t total)
{
    (void)ctx;
    if (!isatty(STDERR_FILENO))
        return;
    fprintf(stderr, "\r%s %zu/%zu 行 (%zu%%)   ", strcmp(phase, "validate") == 0 ? "校验" : "导入",
            done, total, total ? done * 100 / total : 100);
    if (done >= total)
        fputc('\n', stderr);
}

static void today_cst(char out[11])
{
    char now[40];
    time_fmt_cst(time_now_ms(), now, sizeof(now));
    snprintf(out, 11, "%.10s", now);
}

/* Imports n bytes of enterprise data and prints the report. Returns the exit status. */
static int import_buffer(const struct opts *o, const char *data, size_t n, const char *name)
{
    struct err e;
    err_clear(&e);
    struct store *db;
    struct conn *c;
    struct ent_catalog *cat = NULL;
    enum rc rc = with_conn(o, &db, &c, &e);
    if (rc)
        return fail("打开数据库", rc, &e);
    char today[11];
    today_cst(today);
    struct ent_import_opts io = {
        .format = o->format && strcmp(o->format, "jsonl") == 0 ? ENT_IMPORT_JSONL
                  : o->format && strcmp(o->format, "csv") == 0 ? ENT_IMPORT_CSV
                                                               : ENT_IMPORT_AUTO,
        .skip_invalid = o->skip_invalid,
        .dry_run = o->dry_run,
        .source = o->source,
        .fact_status = o->status,
        .default_as_of = o->as_of ? o->as_of : today,
        .file_name = name,
        .progress = progress,
    };
    struct audit_actor who = cli_actor();
    struct ent_import_report r = {0};
    int64_t t0 = time_mono_ns();
    rc = ent_catalog_load(c, &cat, &e);
    if (rc == RC_OK)
        rc = ent_import(c, cat, &who, data, n, &io, &r, &e);
    double secs = (double)(time_mono_ns() - t0) / 1e9;
    store_release(c);
    store_close(db);
    ent_catalog_free(cat);
    if (rc) {
        ent_import_report_cleanup(&r);
        return fail("导入", rc, &e);
    }
    size_t i;
    json_t *err;
    json_array_foreach(r.errors, i, err)
    {
        const char *field = json_string_value(json_object_get(err, "field"));
        printf("第 %lld 行%s%s%s：%s\n",
               (long long)json_integer_value(json_object_get(err, "line")), *field ? " [" : "",
               field, *field ? "]" : "", json_string_value(json_object_get(err, "message")));
    }
    if (r.invalid > json_array_size(r.errors))
        printf("……另有 %zu 行错误未列出\n", r.invalid - json_array_size(r.errors));
    printf("共 %zu 行，错误 %zu 行；新建 %zu，更新 %zu，未变 %zu，事实 %zu 条；%s（%.1f 秒，%.0f "
           "行/秒）\n"
           "rows %zu, invalid %zu, created %zu, updated %zu, unchanged %zu, facts %zu: %s\n",
           r.rows, r.invalid, r.created, r.updated, r.unchanged, r.facts,
           r.imported ? "已导入" : (o->dry_run ? "仅校验，未导入" : "未导入任何数据"), secs,
           secs > 0 ? (double)r.rows / secs : 0.0, r.rows, r.invalid, r.created, r.updated,
           r.unchanged, r.facts, r.imported ? "imported" : "nothing imported");
    bool ok = r.imported || (o->dry_run && r.invalid == 0) || r.rows == 0;
    ent_import_report_cleanup(&r);
    return ok ? 0 : 1;
}

/*
 * Imports n bytes of 12345 work orders as demands and prints the report. As user
 * --as (a clerk or an administrator) when given, else as the command line itself
 * (a system principal). Returns the exit status: 0 when every row was good or the
 * bad ones were skipped as asked.
 */
static int import_demands(const struct opts *o, const char *data, size_t n, const char *name)
{
    struct err e;
    err_clear(&e);
    struct store *db;
    struct conn *c;
    enum rc rc = with_conn(o, &db, &c, &e);
    if (rc)
        return fail("打开数据库", rc, &e);
    struct pool pool;
    pool_init(&pool);
    struct principal p = {.actor = cli_actor(), .role = "system"};
    p.username = p.display_name = "12345 热线批量导入";
    if (o->as_user) {
        rc = auth_principal_of(c, o->as_user, &pool, &p, &e);
        if (rc == RC_OK && !access_can(&p, ACCESS_DEMAND_IMPORT))
            rc = err_set(&e, RC_FORBIDDEN, "as", "用户 %s 不是受理窗口人员或管理员，不能导入诉求",
                         o->as_user);
    }
    struct cal *cal = NULL;
    if (rc == RC_OK)
        rc = calendar_load(c, &cal, NULL, &e);
    struct demand_import_opts io = {
        .format = o->format && strcmp(o->format, "jsonl") == 0 ? DEMAND_IMPORT_JSONL
                  : o->format && strcmp(o->format, "csv") == 0 ? DEMAND_IMPORT_CSV
                                                               : DEMAND_IMPORT_AUTO,
        .skip_invalid = o->skip_invalid,
        .dry_run = o->dry_run,
        .channel = o->channel,
        .file_name = name,
    };
    struct demand_ctx ctx = {.cal = cal, .now = time_now_ms(), .yellow_days = 1};
    struct demand_import_report r = {0};
    if (rc == RC_OK)
        rc = demand_import(c, &ctx, &p, data, n, &io, &r, &e);
    cal_free(cal);
    store_release(c);
    store_close(db);
    pool_clear(&pool);
    if (rc) {
        demand_import_report_cleanup(&r);
        return fail("导入诉求", rc, &e);
    }
    size_t i;
    json_t *err;
    json_array_foreach(r.errors, i, err)
    {
        const char *field = json_string_value(json_object_get(err, "field"));
        printf("第 %lld 行%s%s%s：%s\n",
               (long long)json_integer_value(json_object_get(err, "line")), *field ? " [" : "",
               field, *field ? "]" : "", json_string_value(json_object_get(err, "message")));
    }
    if (r.invalid > json_array_size(r.errors))
        printf("……另有 %zu 行错误未列出\n", r.invalid - json_array_size(r.errors));
    const char *outcome = r.imported                      ? "已导入"
                          : o->dry_run                    ? "仅校验，未导入"
                          : r.invalid && !o->skip_invalid ? "有错误行，未导入任何数据"
                                                          : "没有需要新建的诉求";
    printf("读取 %zu 行，新建 %zu，已存在 %zu，错误 %zu；%s\n"
           "read %zu, created %zu, already present %zu, invalid %zu: %s\n",
           r.rows, r.created, r.present, r.invalid, outcome, r.rows, r.created, r.present,
           r.invalid, r.imported ? "imported" : "nothing imported");
    bool ok = r.invalid == 0 || (o->skip_invalid && r.invalid < r.rows);
    demand_import_report_cleanup(&r);
    return ok ? 0 : 1;
}

static int cmd_import(const struct opts *o)
{
    bool demands = o->n_pos >= 2 && strcmp(o->pos[0], "demands") == 0;
    if (o->n_pos < 2 || (strcmp(o->pos[0], "enterprises") != 0 && !demands)) {
        usage(stderr);
        return 2;
    }
    const char *path = o->pos[1];
    int fd = open(path, O_RDONLY);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        fprintf(stderr, "qifu: 无法打开 %s (cannot open)\n", path);
        if (fd >= 0)
            close(fd);
        return 1;
    }
    size_t n = (size_t)sb.st_size;
    const char *data = "";
    void *map = NULL;
    if (n) {
        map = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            fprintf(stderr, "qifu: 无法读取 %s (cannot map)\n", path);
            close(fd);
            return 1;
        }
        data = map;
    }
    close(fd);
    int status = demands ? import_demands(o, data, n, path) : import_buffer(o, data, n, path);
    if (map)
        munmap(map, n);
    return status;
}

/* `qifu demo --enterprises N --seed S [--out FILE]`: generate, then write or import. */
static int demo_enterprises(const struct opts *o)
{
    struct err e;
    err_clear(&e);
    if (o->out) {
        FILE *f = fopen(o->out, "w");
        if (!f) {
            fprintf(stderr, "qifu: 无法写入 %s\n", o->out);
            return 1;
        }
        enum rc rc = ent_gen_csv(f, o->seed, (size_t)o->enterprises, &e);
        if (fclose(f) && rc == RC_OK)
            rc = err_set(&e, RC_IO, NULL, "写入 %s 失败", o->out);
        if (rc)
            return fail("生成企业数据", rc, &e);
        printf("已生成 %ld 家企业到 %s（种子 %llu）\n", o->enterprises, o->out, o->seed);
        return 0;
    }
    char *data = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&data, &n);
    if (!f)
        return 1;
    enum rc rc = ent_gen_csv(f, o->seed, (size_t)o->enterprises, &e);
    fclose(f);
    int status = rc ? fail("生成企业数据", rc, &e) : import_buffer(o, data, n, "demo");
    free(data); /* lint:allow-free (open_memstream's buffer) */
    return status;
}

/*
 * Authoritative facts of the demo enterprise (年报 as of 2025-12-31), recorded once when
 * `qifu demo` creates it, so 我的政策 shows every outcome: eligible (研发投入补贴, 市级专精特新,
 * 发明专利资助, the 即申即享 知识产权示范企业奖励 that is approved at once), manual review,
 * ineligible (纳税信用A级: tax below 500万) and possibly eligible (employment facts left out).
 */
static enum rc demo_enterprise_facts(struct conn *c, const struct audit_actor *who,
                                     const struct ent_catalog *cat, struct err *e)
{
    static const struct {
        const char *fact, *value, *source;
    } facts[] = {
        {"tax_credit_rating", "A", "安庆市税务局"},
        {"dishonest_executee", "false", "安庆市中级人民法院"},
        {"major_violation", "false", "安庆市市场监督管理局"},
        {"env_penalty", "false", "安庆市生态环境局"},
        {"rd_expense", "320000000", "安庆市税务局"},
        {"rd_ratio", "4", "安庆市科学技术局"},
        {"invention_patents", "12", "安庆市市场监督管理局"},
        {"tax_paid", "180000000", "安庆市税务局"},
    };
    enum { N_FACTS = sizeof(facts) / sizeof(facts[0]) };
    struct ent_fact_in in[N_FACTS];
    struct principal all = {.perms = ACCESS_BIT(ACCESS_SCOPE_ALL)};
    enum rc rc = RC_OK;
    size_t n = 0;
    for (; n < N_FACTS && rc == RC_OK; n++) {
        const struct ent_fact_def *d = ent_catalog_fact(cat, facts[n].fact);
        if (!d) {
            rc = err_set(e, RC_INVALID, facts[n].fact, "事实 %s 不在事实目录中", facts[n].fact);
            break;
        }
        in[n] = (struct ent_fact_in){facts[n].fact, NULL, "2025-12-31", "authoritative",
                                     facts[n].source};
        rc = ent_fact_from_text(d, facts[n].value, facts[n].fact, &in[n].value, e);
    }
    if (rc == RC_OK)
        rc = ent_facts_put(c, who, &all, "91340100131860916Y", in, n, e);
    for (size_t i = 0; i < n; i++)
        xfree(in[i].value);
    return rc;
}

/* The demo organisation tree and one user per role, all with the password "demo". */
/* Loads the catalogue directory dir as the command line (a principal holding catalog.write
 * and catalog.review) and prints the report; ent is the fact catalogue. */
static enum rc catalog_load_print(struct conn *c, const struct ent_catalog *ent, const char *dir,
                                  int64_t now, struct err *e)
{
    struct principal p = {.actor = cli_actor(), .role = "system"};
    p.username = p.display_name = "办事指南目录导入";
    p.perms = ACCESS_BIT(ACCESS_CATALOG_WRITE) | ACCESS_BIT(ACCESS_CATALOG_REVIEW);
    struct catalog_load_report r;
    enum rc rc = catalog_load_dir(c, &p, ent, dir, now, &r, e);
    size_t i;
    json_t *bad;
    json_array_foreach(r.errors, i, bad)
    {
        const char *field = json_string_value(json_object_get(bad, "field"));
        fprintf(stderr, "qifu: %s/%s: %s%s%s\n", dir,
                json_string_value(json_object_get(bad, "file")),
                json_string_value(json_object_get(bad, "message")), *field ? " field=" : "", field);
    }
    if (json_array_size(r.errors))
        fprintf(stderr, "qifu: %zu 个文件有错误，未导入 (%zu bad files skipped)\n",
                json_array_size(r.errors), json_array_size(r.errors));
    json_decref(r.errors);
    printf(
        "办事指南目录 %s：事项 %d，实施清单 %d（新建 %d），发布 %d，未变 %d；一件事 %d（更新 %d）\n"
        "catalog %s: items %d, impls %d (created %d), published %d, unchanged %d; bundles %d "
        "(changed %d)%s\n",
        dir, r.items, r.impls, r.created, r.published, r.unchanged, r.bundles, r.bundles_changed,
        dir, r.items, r.impls, r.created, r.published, r.unchanged, r.bundles, r.bundles_changed,
        rc ? ": stopped at an error" : "");
    return rc;
}

/* `qifu catalog load DIR`. */
static int cmd_catalog_load(const struct opts *o)
{
    if (o->n_pos < 1) {
        usage(stderr);
        return 2;
    }
    struct err e;
    err_clear(&e);
    struct store *db;
    struct conn *c;
    enum rc rc = with_conn(o, &db, &c, &e);
    if (rc)
        return fail("打开数据库", rc, &e);
    struct ent_catalog *cat = NULL;
    rc = ent_catalog_load(c, &cat, &e);
    if (rc == RC_OK)
        rc = catalog_load_print(c, cat, o->pos[0], time_now_ms(), &e);
    ent_catalog_free(cat);
    store_release(c);
    store_close(db);
    return rc ? fail("导入办事指南目录", rc, &e) : 0;
}

/* The starting catalogue of the repository (data/catalog): $QIFU_CATALOG_DIR, else
 * data/catalog under the working directory, else beside the binary (build/<mode>/qifu →
 * ../../data/catalog). NULL when none exists. */
static const char *demo_catalog_dir(char *buf, size_t n)
{
    const char *env = getenv("QIFU_CATALOG_DIR");
    struct stat sb;
    if (env && *env)
        return stat(env, &sb) == 0 ? env : NULL;
    if (stat("data/catalog/items", &sb) == 0)
        return "data/catalog";
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (len <= 0)
        return NULL;
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    snprintf(buf, n, "%s/../../data/catalog", exe);
    char items[4400];
    snprintf(items, sizeof(items), "%s/items", buf);
    return stat(items, &sb) == 0 ? buf : NULL;
}

static int cmd_demo(const struct opts *o)
{
    static const struct org_new orgs[] = {
        {"340800", "安庆市人民政府", "city", "340800", NULL},
        {"340800-QFZX", "安庆市企业服务中心", "center", "340800", "340800"},
        {"340800-DCS", "安庆市人民政府督查室", "department", "340800", "340800"},
        {"340800-FGW", "安庆市发展和改革委员会", "department", "340800", "340800"},
        {"340800-JXJ", "安庆市经济和信息化局", "department", "340800", "340800"},
        {"340800-RSJ", "安庆市人力资源和社会保障局", "department", "340800", "340800"},
        {"340800-SJJ", "安庆市数据资源管理局", "department", "340800", "340800"},
        {"340800-KJJ", "安庆市科学技术局", "department", "340800", "340800"},
        {"340800-SWUJ", "安庆市商务局", "department", "340800", "340800"},
        {"340800-SCJGJ", "安庆市市场监督管理局", "department", "340800", "340800"},
        {"340800-CZJ", "安庆市财政局", "department", "340800", "340800"},
        {"340800-JRJ", "安庆市地方金融监督管理局", "department", "340800", "340800"},
        /* Source departments of facts (facts.source_org, migration 0013). */
        {"340800-SWJG", "安庆市税务局", "department", "340800", "340800"},
        {"340800-TJJ", "安庆市统计局", "department", "340800", "340800"},
        {"340800-STHJJ", "安庆市生态环境局", "department", "340800", "340800"},
        {"340800-ZJFY", "安庆市中级人民法院", "department", "340800", "340800"},
        {"340822", "怀宁县人民政府", "county", "340822", "340800"},
        {"340822-GHZ", "怀宁县高河镇人民政府", "town", "340822", "340822"},
    };
    static const struct {
        const char *name, *display, *role, *org, *credit;
    } users[] = {
        {"admin", "系统管理员", "admin", "340800-SJJ", NULL},
        {"clerk", "窗口受理员", "clerk", "340800-QFZX", NULL},
        {"handler", "经信局承办人", "handler", "340800-JXJ", NULL},
        {"supervisor", "督查室督办员", "supervisor", "340800-DCS", NULL},
        {"officer", "经信局政策专员", "policy_officer", "340800-JXJ", NULL},
        {"enterprise", "示例企业办事员", "enterprise", NULL, "91340100131860916Y"},
        {"catalog", "事项目录管理员", "catalog", "340800-SJJ", NULL},
    };
    struct err e;
    err_clear(&e);
    struct store *db;
    struct conn *c;
    enum rc rc = with_conn(o, &db, &c, &e);
    if (rc)
        return fail("打开数据库", rc, &e);
    struct audit_actor who = cli_actor();
    int made = 0;
    for (size_t i = 0; i < sizeof(orgs) / sizeof(orgs[0]) && !rc; i++) {
        rc = org_create(c, &who, &orgs[i], NULL, &e);
        if (rc == RC_EXISTS)
            rc = RC_OK;
        else if (rc == RC_OK)
            made++;
    }
    for (size_t i = 0; i < sizeof(users) / sizeof(users[0]) && !rc; i++) {
        /* The demo users keep the password "demo" (tests and the README rely on it):
         * only `qifu demo` may bypass the password policy. */
        struct auth_user_new u = {users[i].name, users[i].display, "demo", users[i].role,
                                  users[i].org,  users[i].credit,  true};
        rc = auth_user_create(c, &who, &u, NULL, &e);
        if (rc == RC_EXISTS)
            rc = RC_OK;
        else if (rc == RC_OK)
            made++;
    }
    /* The dispatch catalogue (派单目录) of Anqing (region prefix 3408) and one county. */
    static const struct {
        const char *category;
        struct category_route_entry routes[2];
        size_t n;
    } catalogue[] = {
        {"consult", {{"3408", "340800-QFZX", {NULL}, 0}}, 1},
        {"help", {{"3408", "340800-QFZX", {NULL}, 0}, {"340822", "340822", {NULL}, 0}}, 2},
        {"complaint", {{"3408", "340800-DCS", {NULL}, 0}}, 1},
        {"report", {{"3408", "340800-DCS", {NULL}, 0}}, 1},
        {"suggestion", {{"3408", "340800-QFZX", {NULL}, 0}}, 1},
        {"praise", {{"3408", "340800-QFZX", {NULL}, 0}}, 1},
        {"financing", {{"3408", "340800-FGW", {"340800-JXJ"}, 1}}, 1},
        {"employment", {{"3408", "340800-RSJ", {NULL}, 0}}, 1},
        {"policy", {{"3408", "340800-JXJ", {"340800-FGW"}, 1}}, 1},
        {"approval", {{"3408", "340800-SJJ", {"340800-FGW"}, 1}}, 1},
    };
    for (size_t i = 0; i < sizeof(catalogue) / sizeof(catalogue[0]) && !rc; i++) {
        bool changed = false;
        rc = category_routes_set(c, &who, catalogue[i].category, catalogue[i].routes,
                                 catalogue[i].n, &changed, &e);
        made += changed;
    }
    /* The demo enterprise user's own enterprise, looked after by the demo handler. */
    struct ent_catalog *cat = NULL;
    if (rc == RC_OK)
        rc = ent_catalog_load(c, &cat, &e);
    if (rc == RC_OK) {
        json_t *j = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:[ss], s:[s], s:[{s:s, s:s, s:s}]}",
            "credit_code", "91340100131860916Y", "name", "安庆市示例智能装备有限公司", "region",
            "340811", "industry", "3491", "founded", "2016-03-18", "registered_capital",
            (json_int_t)500000000, "scale", "small", "legal_rep", "汪建华", "address",
            "安徽省安庆市宜秀区创新大道 88 号", "tags", "high_tech", "srdi_city", "officials",
            "handler", "contacts", "name", "方晓东", "title", "财务负责人", "mobile",
            "13905561234");
        struct ent_record r;
        bool created = false, changed = false;
        rc = ent_record_from_json(cat, j, false, &r, &e);
        if (rc == RC_OK)
            rc = ent_save(c, &who, NULL, &r, false, &created, &changed, &e);
        made += created;
        ent_record_cleanup(&r);
        json_decref(j);
        if (rc == RC_OK && created)
            rc = demo_enterprise_facts(c, &who, cat, &e);
    }
    /* The seed policies of 惠企政策超市 (data/policies/seed.json, embedded at build time).
     * The holder takes the store's one connection while it builds, so c is given back. */
    if (rc == RC_OK) {
        struct policy_holder *ph = NULL;
        json_t *seed = NULL;
        int n_policies = 0;
        store_release(c);
        c = NULL;
        rc = policy_holder_new(db, cat, 0, &ph, &e);
        if (rc == RC_OK)
            rc = store_acquire(db, &c, &e);
        if (rc == RC_OK)
            rc = jsonx_parse(policy_seed_json, policy_seed_json_len, 64, &seed, &e);
        if (rc == RC_OK)
            rc = policy_seed(c, ph, &who, seed, &n_policies, &e);
        made += n_policies;
        json_decref(seed);
        policy_holder_free(ph);
    }
    /* The starting 办事指南 catalogue (data/catalog), when the repository has one. */
    char catalog_buf[4200];
    const char *catalog_dir =
        rc == RC_OK ? demo_catalog_dir(catalog_buf, sizeof(catalog_buf)) : NULL;
    /* Stamped at the start of today in China, as the rest of the demo is decided by its
     * seed and the day, not by how long the steps before took (test_demo_history). */
    int64_t today = time_now_ms();
    today -= (today + 8 * 3600000) % 86400000;
    if (catalog_dir)
        rc = catalog_load_print(c, cat, catalog_dir, today, &e);
    ent_catalog_free(cat);
    /* The roles' labels come from the roles table, as everywhere. */
    char *labels[sizeof(users) / sizeof(users[0])] = {0};
    for (size_t i = 0; i < sizeof(users) / sizeof(users[0]) && !rc; i++) {
        unsigned perms;
        struct err ignored;
        if (access_role_get(c, users[i].role, &perms, &labels[i], &ignored))
            labels[i] = NULL;
    }
    store_release(c);
    store_close(db);
    if (rc) {
        for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++)
            xfree(labels[i]);
        return fail("生成演示数据", rc, &e);
    }
    printf(
        "演示数据已就绪（新建 %d 条）。仅供演示：以下账号的密码都是 demo\n"
        "Demo data ready (%d created). DEMO ONLY: every account below has the password \"demo\"\n",
        made, made);
    for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
        printf("  %-11s %s（%s）\n", users[i].name, labels[i] ? labels[i] : users[i].role,
               users[i].display);
        xfree(labels[i]);
    }
    return 0;
}

/* Progress of `qifu demo --history` on stderr: a line rewritten on a terminal, else a
 * line per phase and per tenth. */
struct demo_tty {
    int tenth;
    char phase[32];
    int64_t t0; /* time_mono_ns() at the start */
};

static void demo_progress(void *ctx, const char *phase, int64_t done, int64_t total)
{
    struct demo_tty *d = ctx;
    double secs = (double)(time_mono_ns() - d->t0) / 1e9;
    if (isatty(STDERR_FILENO)) {
        fprintf(stderr, "\r演示历史 %s %lld/%lld（%.1f 秒）%s", phase, (long long)done,
                (long long)total, secs, done == total ? "\n" : "");
        return;
    }
    int t = total > 0 ? (int)(done * 10 / total) : 0;
    if (t == d->tenth && strcmp(phase, d->phase) == 0)
        return;
    d->tenth = t;
    snprintf(d->phase, sizeof(d->phase), "%s", phase);
    fprintf(stderr, "demo: %s %lld/%lld (%.1f s)\n", phase, (long long)done, (long long)total,
            secs);
}

/* `qifu demo --history [--seed S]`: the plain demo, the synthetic registry and a year of
 * history (src/demo). */
static int cmd_demo_history(const struct opts *o)
{
    /* The domain's INFO lines (a new policy snapshot per day of the history...) would
     * drown the progress lines; warnings and errors still show. */
    log_set_level(LOG_WARN);
    struct opts eo = *o;
    eo.enterprises = o->enterprises > 0 ? o->enterprises : 2000;
    eo.seed = o->seed_set ? o->seed : 1;
    int status = cmd_demo(o);
    if (status == 0)
        status = demo_enterprises(&eo);
    if (status)
        return status;
    struct err e;
    err_clear(&e);
    struct store *db = NULL;
    struct demo_tty tty = {.tenth = -1, .t0 = time_mono_ns()};
    struct demo_opts dopts = {
        .seed = eo.seed, .end = time_now_ms(), .progress = demo_progress, .progress_ctx = &tty};
    struct demo_report r;
    int64_t t0 = tty.t0;
    /* Three connections: the history's, the policy holder's and a run's heartbeat. */
    enum rc rc = open_db(o, 3, &db, &e);
    if (rc == RC_OK)
        rc = demo_history(db, &dopts, &r, &e);
    store_close(db);
    if (rc)
        return fail("生成演示历史", rc, &e);
    if (r.existed) {
        printf("数据库中已有诉求，未再生成演示历史（请用新数据库）\n"
               "demands exist already: no history generated (use a fresh database)\n");
        return 0;
    }
    printf("演示历史已生成（种子 %llu，%.1f 秒）：新建机构 %d、用户 %d；诉求 %d 件（其中 12345 "
           "导入 %d 件）、办理 %d 步；免申即享匹配 %d 次、兑现 %d 笔、兑现办理 %d 步；政策申报 %d "
           "件\n",
           (unsigned long long)eo.seed, (double)(time_mono_ns() - t0) / 1e9, r.orgs, r.users,
           r.demands, r.hotline, r.actions, r.runs, r.grants, r.grant_actions, r.applications);
    printf("  另有账号（密码都是 demo）：handler.<部门> 如 handler.gdgs、officer.<部门> 如 "
           "officer.kjj、clerk.<县区代码> 如 "
           "clerk.340822、supervisor.<县区代码>、ent.<统一社会信用代码>\n");
    return 0;
}

/* Progress of `qifu match` on stderr: one line rewritten on a terminal; otherwise a
 * line per phase and per tenth of the writing, so logs of long runs show it too. */
struct match_tty {
    bool tty;
    char phase[16];
    int tenth;
};

static void match_progress(void *ctx, const char *phase, int64_t done, int64_t total)
{
    struct match_tty *m = ctx;
    if (m->tty) {
        fprintf(stderr, "\r%-8s %lld/%lld", phase, (long long)done, (long long)total);
        return;
    }
    int tenth = total > 0 ? (int)(done * 10 / total) : 0;
    if (strcmp(m->phase, phase) == 0 && tenth == m->tenth)
        return;
    snprintf(m->phase, sizeof(m->phase), "%s", phase);
    m->tenth = tenth;
    fprintf(stderr, "match: %-8s %lld/%lld\n", phase, (long long)done, (long long)total);
}

/* qifu match --policy ID | --all [--dry-run]: a 免申即享 run in the foreground. */
static int cmd_match(const struct opts *o)
{
    if ((o->policy > 0) == o->all) {
        fputs("qifu: 请指定 --policy ID 或 --all 之一 (one of --policy ID, --all)\n", stderr);
        return 2;
    }
    struct err e;
    err_clear(&e);
    struct store *db;
    struct conn *c;
    struct ent_catalog *cat = NULL;
    /* Two connections: the run's, and its lease's heartbeat (src/job). */
    enum rc rc = open_db(o, 2, &db, &e);
    if (rc == RC_OK && (rc = store_acquire(db, &c, &e)))
        store_close(db);
    if (rc)
        return fail("打开数据库", rc, &e);
    struct audit_actor who = cli_actor();
    struct job_hold *hold = NULL;
    int64_t run_id = 0;
    json_t *summary = NULL;
    struct policy_holder *ph = NULL;
    rc = ent_catalog_load(c, &cat, &e);
    /* The holder takes the store's one connection while it builds, so c is given back. */
    store_release(c);
    c = NULL;
    if (rc == RC_OK)
        rc = policy_holder_new(db, cat, 0, &ph, &e);
    if (rc == RC_OK)
        rc = store_acquire(db, &c, &e);
    if (rc == RC_OK && !o->dry_run)
        rc = policy_run_create(c, &who, 0, o->all ? 0 : o->policy, &run_id, &e);
    /* The run is this process's job until it ends; the heartbeat keeps its lease. */
    if (rc == RC_OK && run_id) {
        char name[JOB_NAME_MAX];
        policy_run_job_name(run_id, name, sizeof(name));
        rc = job_hold_start(db, name, job_default_instance(), JOB_LEASE_MS_DEFAULT, &hold, &e);
    }
    if (rc == RC_OK) {
        struct match_tty mt = {.tty = isatty(STDERR_FILENO), .tenth = -1};
        struct policy_run_opts ro = {.policy_id = o->all ? 0 : o->policy,
                                     .dry_run = o->dry_run,
                                     .n_threads = 2,
                                     .progress = match_progress,
                                     .progress_ctx = &mt,
                                     .hold = hold};
        rc = policy_run_exec(c, ph, &who, run_id, &ro, &summary, &e);
        if (mt.tty)
            fputc('\n', stderr);
    }
    job_hold_stop(hold);
    store_release(c);
    policy_holder_free(ph);
    ent_catalog_free(cat);
    store_close(db);
    if (rc)
        return fail("免申即享匹配", rc, &e);
    char *text = json_dumps(summary, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (run_id)
        printf("匹配运行 run %lld 完成：%lld 家企业符合条件，合计 %lld 分\n", (long long)run_id,
               (long long)json_integer_value(json_object_get(summary, "count")),
               (long long)json_integer_value(json_object_get(summary, "amount_total")));
    else
        printf("试运行（未写入）dry run: %lld 家企业符合条件，合计 %lld 分\n",
               (long long)json_integer_value(json_object_get(summary, "count")),
               (long long)json_integer_value(json_object_get(summary, "amount_total")));
    printf("%s\n", text ? text : "{}");
    xfree(text);
    json_decref(summary);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("qifu %s\n", QIFU_VERSION);
        return 0;
    }
    if (sec_init()) {
        fputs("qifu: libsodium 初始化失败\n", stderr);
        return 1;
    }
    const char *cmd = argv[1];
    const char *sub = argc > 2 ? argv[2] : "";
    bool two = strcmp(cmd, "user") == 0 || strcmp(cmd, "org") == 0 || strcmp(cmd, "role") == 0 ||
               strcmp(cmd, "apikey") == 0 || strcmp(cmd, "audit") == 0 ||
               strcmp(cmd, "catalog") == 0;
    if (strcmp(cmd, "audit") == 0)
        return cmd_audit(argc, argv);
    struct opts o = {0};
    if (parse(argc, argv, two ? 3 : 2, &o)) {
        usage(stderr);
        return 2;
    }
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(&o);
    if (strcmp(cmd, "migrate") == 0)
        return cmd_migrate(&o);
    if (strcmp(cmd, "demo") == 0 && o.history)
        return cmd_demo_history(&o);
    if (strcmp(cmd, "demo") == 0)
        return o.enterprises > 0 ? demo_enterprises(&o) : cmd_demo(&o);
    if (strcmp(cmd, "match") == 0)
        return cmd_match(&o);
    if (strcmp(cmd, "catalog") == 0 && strcmp(sub, "load") == 0)
        return cmd_catalog_load(&o);
    if (strcmp(cmd, "import") == 0)
        return cmd_import(&o);
    if (strcmp(cmd, "user") == 0 && strcmp(sub, "add") == 0)
        return cmd_user_add(&o);
    if (strcmp(cmd, "role") == 0 &&
        (strcmp(sub, "add") == 0 || strcmp(sub, "set") == 0 || strcmp(sub, "list") == 0))
        return cmd_role(&o, sub);
    if (strcmp(cmd, "org") == 0 && strcmp(sub, "add") == 0)
        return cmd_org_add(&o);
    if (strcmp(cmd, "org") == 0 && strcmp(sub, "partner") == 0)
        return cmd_org_partner(&o);
    if (strcmp(cmd, "apikey") == 0 && strcmp(sub, "add") == 0)
        return cmd_apikey_add(&o);
    if (strcmp(cmd, "apikey") == 0 && strcmp(sub, "list") == 0)
        return cmd_apikey_list(&o);
    if (strcmp(cmd, "apikey") == 0 && strcmp(sub, "revoke") == 0)
        return cmd_apikey_revoke(&o);
    enum auth_action ua;
    if (strcmp(cmd, "user") == 0 &&
        auth_action_parse(strcmp(sub, "passwd") == 0 ? "reset_password" : sub, &ua))
        return cmd_user_action(&o, ua);
    fprintf(stderr, "qifu: 未知命令 unknown command %s %s\n", cmd, sub);
    usage(stderr);
    return 2;
}
