/* SPDX-License-Identifier: Apache-2.0 */
/* notice: the webhook delivery worker (libcurl). */
#include "notice.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/log.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../job/job.h"
#include "../store/store.h"

struct notice_worker {
    struct store *db;
    struct notice_config cfg;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
};

struct claimed {
    int64_t id;
    int attempts;
    char *payload;
};

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p, (void)ud;
    return size * n;
}

/* One POST of a wave: its easy handle, headers and outcome. */
struct send {
    CURL *h;
    struct curl_slist *hdr;
    struct claimed *item;
    CURLcode cc;
    bool done;
};

/* Prepares s's handle to POST its notice to the gateway. */
static bool send_init(struct send *s, const struct notice_config *cfg, struct claimed *item)
{
    char key[64];
    snprintf(key, sizeof(key), "Idempotency-Key: notice-%lld", (long long)item->id);
    s->item = item;
    s->done = false;
    s->cc = CURLE_OK;
    s->h = curl_easy_init();
    if (!s->h)
        return false;
    s->hdr = curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
    s->hdr = curl_slist_append(s->hdr, key);
    curl_easy_setopt(s->h, CURLOPT_URL, cfg->url);
    curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, item->payload);
    curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, s->hdr);
    curl_easy_setopt(s->h, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
    curl_easy_setopt(s->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(s->h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(s->h, CURLOPT_PRIVATE, s);
    return true;
}

/* The outcome of a finished POST: RC_OK on 2xx, else RC_IO with the reason in e. */
static enum rc send_result(struct send *s, struct err *e)
{
    if (!s->h)
        return err_set(e, RC_INTERNAL, NULL, "curl_easy_init failed");
    if (!s->done)
        return err_set(e, RC_IO, NULL, "not sent");
    if (s->cc != CURLE_OK)
        return err_set(e, RC_IO, NULL, "%s", curl_easy_strerror(s->cc));
    long status = 0;
    curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299)
        return err_set(e, RC_IO, NULL, "HTTP %ld", status);
    return RC_OK;
}

static void send_free(struct send *s)
{
    if (s->h)
        curl_easy_cleanup(s->h);
    curl_slist_free_all(s->hdr);
    s->h = NULL;
    s->hdr = NULL;
}

/*
 * POSTs the n prepared sends at once (libcurl's multi interface) and waits until each has
 * an answer or its time-out. Each POST's time-out is below half the lease, so the wave
 * ends while the leases renewed just before it still hold.
 */
static void send_wave(CURLM *m, struct send *sends, int n)
{
    for (int i = 0; i < n; i++)
        if (sends[i].h)
            curl_multi_add_handle(m, sends[i].h);
    int running = 1;
    while (running > 0) {
        if (curl_multi_perform(m, &running) != CURLM_OK)
            break;
        if (running > 0 && curl_multi_poll(m, NULL, 0, 100, NULL) != CURLM_OK)
            break;
    }
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct send *s = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
        if (s) {
            s->done = true;
            s->cc = msg->data.result;
        }
    }
    for (int i = 0; i < n; i++)
        if (sends[i].h)
            curl_multi_remove_handle(m, sends[i].h);
}

/*
 * Claims up to cfg->batch due notices for cfg->owner until now + lease and builds their
 * payloads. Notices another process holds (an unexpired lease) are not due; on
 * PostgreSQL rows another claim has locked are skipped, not waited for. Leases are on
 * the real clock (job_now), next_at on the server's clock (the test clock in tests).
 */
static enum rc claim(struct store *db, const struct notice_config *cfg, struct claimed *out, int *n,
                     struct err *e)
{
    struct conn *c;
    struct stmt *st = NULL;
    *n = 0;
    int64_t now = time_now_ms(), real = job_now();
    enum rc rc = store_acquire(db, &c, e);
    if (rc)
        return rc;
    rc = store_begin(c, e);
    if (rc == RC_OK)
        rc = store_prepare_claim(
            c,
            "SELECT n.id, n.attempts, n.kind, n.title, n.body, n.created_at, n.credit_code, "
            "o.code, d.no, n.entity_id, d.contact_phone, n.entity FROM notices n LEFT JOIN orgs o "
            "ON o.id = n.org_id LEFT JOIN demands d ON n.entity = 'demand' AND d.id = "
            "n.entity_id WHERE n.delivery_state = "
            "'pending' AND n.next_at <= ? AND n.lease_until <= ? ORDER BY n.id LIMIT ?",
            "n", &st, e);
    if (rc == RC_OK) {
        store_bind_int(st, 1, now);
        store_bind_int(st, 2, real);
        store_bind_int(st, 3, cfg->batch);
        while ((rc = store_step(st, e)) == RC_ROW) {
            char at[40], did[24];
            time_fmt_cst(store_int(st, 5), at, sizeof(at));
            snprintf(did, sizeof(did), "%lld", (long long)store_int(st, 9));
            json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)store_int(st, 0),
                                  "kind", store_text(st, 2), "title", store_text(st, 3), "body",
                                  store_text(st, 4), "created_at", at);
            if (!store_isnull(st, 6)) {
                json_object_set_new(j, "credit_code", json_string(store_text(st, 6)));
                /* The enterprise's contact number, for an SMS. */
                if (!store_isnull(st, 10))
                    json_object_set_new(j, "mobile", json_string(store_text(st, 10)));
            }
            if (!store_isnull(st, 7))
                json_object_set_new(j, "org", json_string(store_text(st, 7)));
            /* The record the notice is about, and a demand's number for the SMS. */
            if (!store_isnull(st, 11)) {
                json_object_set_new(j, "entity", json_string(store_text(st, 11)));
                json_object_set_new(j, "entity_id", json_string(did));
            }
            if (!store_isnull(st, 8))
                json_object_set_new(j, "demand_no", json_string(store_text(st, 8)));
            char *text = json_dumps(j, JSON_COMPACT);
            json_decref(j);
            out[*n].id = store_int(st, 0);
            out[*n].attempts = (int)store_int(st, 1);
            out[*n].payload = xstrdup(text ? text : "{}");
            free(text); /* lint:allow-free (Jansson's allocation) */
            (*n)++;
        }
        store_finish(st);
        st = NULL;
        if (rc == RC_DONE)
            rc = RC_OK;
    }
    for (int i = 0; i < *n && rc == RC_OK; i++) {
        rc = store_prepare(c,
                           "UPDATE notices SET owner = ?, lease_until = ? WHERE id = ? AND "
                           "lease_until <= ?",
                           &st, e);
        if (rc)
            break;
        store_bind_text(st, 1, cfg->owner);
        store_bind_int(st, 2, real + cfg->lease_ms);
        store_bind_int(st, 3, out[i].id);
        store_bind_int(st, 4, real);
        rc = store_run(st, e);
        store_finish(st);
    }
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (rc) {
        store_rollback(c);
        for (int i = 0; i < *n; i++)
            xfree(out[i].payload);
        *n = 0;
    }
    store_release(c);
    return rc;
}

/*
 * Renews cfg->owner's lease of notice id just before its POST: RC_CONFLICT when another
 * process holds it now (this one's lease expired and it was claimed again) or it is no
 * longer pending. The POST's time-out is shorter than the lease, so no other process
 * can claim the notice while this one is sending it.
 */
static enum rc renew(struct store *db, const struct notice_config *cfg, int64_t id, struct err *e)
{
    struct conn *c;
    struct stmt *st;
    enum rc rc = store_acquire(db, &c, e);
    if (rc)
        return rc;
    rc = store_prepare(c,
                       "UPDATE notices SET lease_until = ? WHERE id = ? AND owner = ? AND "
                       "delivery_state = 'pending'",
                       &st, e);
    if (rc == RC_OK) {
        store_bind_int(st, 1, job_now() + cfg->lease_ms);
        store_bind_int(st, 2, id);
        store_bind_text(st, 3, cfg->owner);
        rc = store_run(st, e);
        if (rc == RC_OK && store_changes(st) != 1)
            rc = err_set(e, RC_CONFLICT, NULL, "lease lost");
        store_finish(st);
    }
    store_release(c);
    return rc;
}

/* Records the outcome of a POST and gives the notice's lease up (only the owner's). */
static enum rc mark(struct store *db, const struct notice_config *cfg, int64_t id, bool ok,
                    int attempts, const char *error, struct err *e)
{
    struct conn *c;
    struct stmt *st;
    int64_t now = time_now_ms();
    enum rc rc = store_acquire(db, &c, e);
    if (rc)
        return rc;
    rc = store_prepare(c,
                       "UPDATE notices SET delivery_state = ?, attempts = ?, next_at = ?, "
                       "delivered_at = ?, last_error = ?, owner = NULL, lease_until = 0 WHERE "
                       "id = ? AND owner = ?",
                       &st, e);
    if (rc == RC_OK) {
        int64_t backoff = (int64_t)2000 << (attempts < 11 ? attempts - 1 : 10);
        if (backoff > 3600000)
            backoff = 3600000;
        const char *state = ok ? "delivered" : attempts >= cfg->max_attempts ? "failed" : "pending";
        store_bind_text(st, 1, state);
        store_bind_int(st, 2, attempts);
        store_bind_int(st, 3, ok ? now : now + backoff);
        if (ok)
            store_bind_int(st, 4, now);
        else
            store_bind_null(st, 4);
        store_bind_text(st, 5, ok ? NULL : error);
        store_bind_int(st, 6, id);
        store_bind_text(st, 7, cfg->owner);
        rc = store_run(st, e);
        store_finish(st);
    }
    store_release(c);
    return rc;
}

static void defaults(struct notice_config *cfg)
{
    if (cfg->max_attempts <= 0)
        cfg->max_attempts = 8;
    if (cfg->batch <= 0 || cfg->batch > 200)
        cfg->batch = 50;
    if (cfg->poll_ms <= 0)
        cfg->poll_ms = 1000;
    if (cfg->parallel <= 0)
        cfg->parallel = NOTICE_PARALLEL_DEFAULT;
    if (cfg->parallel > NOTICE_PARALLEL_MAX)
        cfg->parallel = NOTICE_PARALLEL_MAX;
    if (cfg->timeout_ms <= 0)
        cfg->timeout_ms = 5000;
    if (!cfg->owner)
        cfg->owner = job_default_instance();
    if (cfg->lease_ms <= 0)
        cfg->lease_ms = JOB_LEASE_MS_DEFAULT;
    /* A POST must end well within the lease, so that the mark comes before another
     * process could claim the notice again. */
    if (cfg->timeout_ms > cfg->lease_ms / 2)
        cfg->timeout_ms = cfg->lease_ms / 2 > 0 ? cfg->lease_ms / 2 : 1;
}

enum rc notice_deliver_once(struct store *db, const struct notice_config *cfg_in, int *sent,
                            int *failed, struct err *e)
{
    struct notice_config cfg = *cfg_in;
    defaults(&cfg);
    struct claimed items[200];
    int n = 0, ok_n = 0, bad_n = 0;
    enum rc rc = claim(db, &cfg, items, &n, e);
    if (rc)
        return rc;
    /* In waves of cfg.parallel: renew each lease just before its POST (never POST a notice
     * this process no longer holds), send the wave at once, then record each outcome. */
    CURLM *m = curl_multi_init();
    struct send sends[NOTICE_PARALLEL_MAX];
    for (int at = 0; at < n; at += cfg.parallel) {
        int w = 0;
        for (int i = at; i < n && i < at + cfg.parallel; i++) {
            struct err pe;
            err_clear(&pe);
            enum rc lrc = renew(db, &cfg, items[i].id, &pe);
            if (lrc) {
                if (lrc != RC_CONFLICT && rc == RC_OK)
                    rc = err_set(e, lrc, NULL, "%s", pe.msg);
                log_info("notice %lld: not sent by %s (%s)", (long long)items[i].id, cfg.owner,
                         lrc == RC_CONFLICT ? "another process holds it" : pe.msg);
                continue;
            }
            job_count_run("notice");
            memset(&sends[w], 0, sizeof(sends[w]));
            if (m)
                send_init(&sends[w], &cfg, &items[i]);
            w++;
        }
        if (m)
            send_wave(m, sends, w);
        for (int k = 0; k < w; k++) {
            struct err pe;
            err_clear(&pe);
            struct claimed *it = sends[k].item;
            enum rc prc = m ? send_result(&sends[k], &pe)
                            : err_set(&pe, RC_INTERNAL, NULL, "curl_multi_init failed");
            if (prc) {
                bad_n++;
                log_warn("notice %lld: delivery attempt %d failed: %s", (long long)it->id,
                         it->attempts + 1, pe.msg);
            } else {
                ok_n++;
            }
            enum rc mrc = mark(db, &cfg, it->id, prc == RC_OK, it->attempts + 1, pe.msg, e);
            if (mrc && rc == RC_OK)
                rc = mrc;
            send_free(&sends[k]);
        }
    }
    if (m)
        curl_multi_cleanup(m);
    for (int i = 0; i < n; i++)
        xfree(items[i].payload);
    if (sent)
        *sent = ok_n;
    if (failed)
        *failed = bad_n;
    return rc;
}

static void *run(void *arg)
{
    struct notice_worker *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        bool stop = w->stop;
        pthread_mutex_unlock(&w->mu);
        if (stop)
            break;
        struct err e;
        int sent = 0, failed = 0;
        if (notice_deliver_once(w->db, &w->cfg, &sent, &failed, &e))
            log_warn("notice: delivery round failed: %s", e.msg);
        if (sent + failed > 0)
            continue; /* more may be waiting */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += w->cfg.poll_ms / 1000;
        until.tv_nsec += (long)(w->cfg.poll_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&w->mu);
        if (!w->stop)
            pthread_cond_timedwait(&w->cv, &w->mu, &until);
        pthread_mutex_unlock(&w->mu);
    }
    return NULL;
}

enum rc notice_worker_start(struct store *db, const struct notice_config *cfg,
                            struct notice_worker **out, struct err *e)
{
    if (!cfg->url ||
        (strncmp(cfg->url, "http://", 7) != 0 && strncmp(cfg->url, "https://", 8) != 0))
        return err_set(e, RC_INVALID, "webhook", "webhook 地址应以 http:// 或 https:// 开头");
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return err_set(e, RC_INTERNAL, NULL, "curl_global_init failed");
    struct notice_worker *w = xcalloc(1, sizeof(*w));
    w->db = db;
    w->cfg = *cfg;
    defaults(&w->cfg);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, run, w) != 0) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        xfree(w);
        return err_set(e, RC_INTERNAL, NULL, "cannot start the notice worker");
    }
    *out = w;
    return RC_OK;
}

void notice_worker_stop(struct notice_worker *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    xfree(w);
    curl_global_cleanup();
}
