/* SPDX-License-Identifier: Apache-2.0 */
/*
 * notice: delivery of in-app notices to a webhook (an SMS gateway), at least once.
 *
 * Notices are written by the domain in the same transaction as the event that
 * caused them (table notices, delivery_state 'pending'). A worker thread of
 * `qifu serve --webhook URL` claims due notices, each with its owner and a lease (so
 * several servers never send one notice: a process renews a notice's lease just before
 * its POST and skips it when another process holds it), POSTs each as JSON with the header
 * Idempotency-Key: notice-<id>, and marks it delivered on a 2xx answer. Otherwise
 * it retries with exponential backoff (2 s, 4 s, ... capped at 1 h) until
 * max_attempts, then marks it failed. Because the state is in the database, a
 * restart resumes where it stopped; a crash between the POST and the mark sends the
 * notice again, which the receiver drops by its Idempotency-Key.
 */
#ifndef QIFU_NOTICE_H
#define QIFU_NOTICE_H

#include <stdint.h>

#include "../base/rc.h"

struct store;
struct notice_worker;

struct notice_config {
    const char *url;    /* http(s)://... of the gateway */
    int max_attempts;   /* default 8 */
    int batch;          /* notices claimed per round (default 50) */
    int64_t poll_ms;    /* pause between rounds when idle (default 1000) */
    int64_t timeout_ms; /* per POST (default 5000) */
    const char *owner;  /* this process in the notices' leases (default <hostname>:<pid>) */
    int64_t lease_ms;   /* a claimed notice is this process's until then (default 30000);
                           a POST's time-out is cut to half of it */
    int parallel;       /* POSTs in flight at once (default NOTICE_PARALLEL_DEFAULT, at most
                           NOTICE_PARALLEL_MAX); a process killed while sending may have
                           delivered up to this many that another process sends again */
};

#define NOTICE_PARALLEL_DEFAULT 8
#define NOTICE_PARALLEL_MAX 32

/* Claims and sends the due notices once; *sent / *failed (may be NULL) count them. */
enum rc notice_deliver_once(struct store *db, const struct notice_config *cfg, int *sent,
                            int *failed, struct err *e) WARN_UNUSED;
/* Starts the delivery thread; *out is new (notice_worker_stop). */
enum rc notice_worker_start(struct store *db, const struct notice_config *cfg,
                            struct notice_worker **out, struct err *e) WARN_UNUSED;
/* Stops the thread after its current round and frees w (w may be NULL). */
void notice_worker_stop(struct notice_worker *w);

#endif
