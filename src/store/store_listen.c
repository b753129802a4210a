/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_listen: the change channel (store.h, docs/internals/store.md "The change channel").
 *
 * One listener thread per store, with a connection of its own that LISTENs on
 * STORE_CHANNEL; every notification moves the generation of its topic. Invariant: a topic's
 * generation moves after every change of the topic committed by any process (once its
 * notification arrives), and store_topic_gen says "trust it" only while listen_up is 1.
 * Whenever listen_up changes (connected, lost) every generation moves too, so an entry kept
 * before a gap in listening is never trusted after it: what was committed during the gap
 * went unheard.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "../base/log.h"
#include "../base/mem.h"
#include "store_int.h"

/* Back-off between connection attempts: the first retry waits LISTEN_RETRY_MIN_MS, each
 * failure doubles it up to LISTEN_RETRY_MAX_MS. */
#define LISTEN_RETRY_MIN_MS 200
#define LISTEN_RETRY_MAX_MS 5000
/* An idle connection is pinged this often, so a connection that died without a word (a
 * half-open TCP connection) is noticed. */
#define LISTEN_PING_MS 5000

struct store_listener {
    struct store *s;
    pthread_t thread;
    int stop_fd[2]; /* the pipe store_listen_stop writes to */
};

static const char *const topic_names[] = {
#define STORE_TOPIC_NAME(name, text) text,
    STORE_TOPICS(STORE_TOPIC_NAME)
#undef STORE_TOPIC_NAME
};
_Static_assert(sizeof(topic_names) / sizeof(topic_names[0]) == STORE_N_TOPICS,
               "one name per topic");

const char *store_topic_name(enum store_topic topic)
{
    return topic >= 0 && topic < STORE_N_TOPICS ? topic_names[topic] : "?";
}

void store__topics_changed(struct store *s, unsigned topics)
{
    for (int t = 0; t < STORE_N_TOPICS; t++)
        if (topics & (1u << t))
            __atomic_add_fetch(&s->topic_gen[t], 1, __ATOMIC_ACQ_REL);
}

static void set_up(struct store *s, int up)
{
    /* Down: first stop trusting, then move every topic. Up: move first, then trust. */
    if (!up)
        __atomic_store_n(&s->listen_up, 0, __ATOMIC_RELEASE);
    store__topics_changed(s, (1u << STORE_N_TOPICS) - 1);
    if (up)
        __atomic_store_n(&s->listen_up, 1, __ATOMIC_RELEASE);
}

bool store_listen_up(const struct store *s)
{
    return s && __atomic_load_n(&s->listen_up, __ATOMIC_ACQUIRE) == 1;
}

bool store_topic_gen(const struct store *s, enum store_topic topic, uint64_t *gen)
{
    *gen = __atomic_load_n(&s->topic_gen[topic], __ATOMIC_ACQUIRE);
    return __atomic_load_n(&s->listen_up, __ATOMIC_ACQUIRE) == 1;
}

enum rc store_notify(struct conn *c, enum store_topic topic, struct err *e)
{
    if (topic < 0 || topic >= STORE_N_TOPICS)
        return err_set(e, RC_INTERNAL, NULL, "store_notify: unknown topic %d", (int)topic);
    if (c->ops->notifies) {
        struct stmt *st;
        enum rc rc = store_prepare(c, "SELECT pg_notify('" STORE_CHANNEL "', ?)", &st, e);
        if (rc)
            return rc;
        store_bind_text(st, 1, topic_names[topic]);
        rc = store_step(st, e);
        store_finish(st);
        if (rc != RC_ROW)
            return rc == RC_DONE ? err_set(e, RC_INTERNAL, NULL, "pg_notify gave no row") : rc;
    }
    if (store_in_txn(c))
        c->notified |= 1u << topic;
    else
        store__topics_changed(c->store, 1u << topic);
    return RC_OK;
}

/* Moves the topic a notification names ("*": all of them); other payloads are ignored. */
static void got(void *arg, const char *payload)
{
    struct store *s = arg;
    if (strcmp(payload, "*") == 0) {
        store__topics_changed(s, (1u << STORE_N_TOPICS) - 1);
        return;
    }
    for (int t = 0; t < STORE_N_TOPICS; t++)
        if (strcmp(payload, topic_names[t]) == 0) {
            store__topics_changed(s, 1u << t);
            return;
        }
    log_debug("store: change of unknown topic '%s' ignored", payload);
}

/* Waits up to ms for the stop pipe; true when stopping. */
static bool wait_stop(struct store_listener *l, int ms)
{
    struct pollfd p = {.fd = l->stop_fd[0], .events = POLLIN};
    int n;
    while ((n = poll(&p, 1, ms)) < 0 && errno == EINTR)
        ;
    return n > 0;
}

/* Serves notifications on c until it is lost (the error) or the stop pipe is written
 * (RC_OK). */
static enum rc listen_on(struct store_listener *l, struct conn *c, struct err *e)
{
    const struct store_ops *ops = l->s->ops;
    for (;;) {
        struct pollfd p[2] = {{.fd = ops->socket(c), .events = POLLIN},
                              {.fd = l->stop_fd[0], .events = POLLIN}};
        if (p[0].fd < 0)
            return err_set(e, RC_UNAVAILABLE, NULL, "listener connection has no socket");
        int n = poll(p, 2, LISTEN_PING_MS);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return err_set(e, RC_INTERNAL, NULL, "poll: %s", strerror(errno));
        if (p[1].revents)
            return RC_OK;
        enum rc rc = RC_OK;
        if (n == 0) /* idle: is the server still there? (notifications read meanwhile are
                       kept for ops->notifies) */
            rc = ops->exec(c, "SELECT 1", e);
        if (rc == RC_OK)
            rc = ops->notifies(c, got, l->s, e);
        if (rc)
            return rc;
    }
}

static void *listen_run(void *arg)
{
    struct store_listener *l = arg;
    struct store *s = l->s;
    int delay = LISTEN_RETRY_MIN_MS;
    bool said_down = false;
    for (;;) {
        struct conn *c = NULL;
        struct err e;
        err_clear(&e);
        enum rc rc = s->ops->connect(s->target, &c, &e);
        if (rc == RC_OK) {
            c->ops = s->ops;
            c->store = s;
            rc = s->ops->exec(c, "LISTEN " STORE_CHANNEL, &e);
        }
        if (rc == RC_OK) {
            set_up(s, 1);
            log_info("store: listening for changes on channel %s", STORE_CHANNEL);
            delay = LISTEN_RETRY_MIN_MS;
            said_down = false;
            rc = listen_on(l, c, &e);
            set_up(s, 0);
        }
        if (c)
            s->ops->disconnect(c);
        if (rc == RC_OK) /* stopped */
            break;
        if (!said_down) { /* once per outage, not once per attempt */
            log_warn("store: change listener down, caches not trusted until it is back: %s",
                     e.msg[0] ? e.msg : rc_str(rc));
            said_down = true;
        }
        if (wait_stop(l, delay))
            break;
        delay = delay * 2 > LISTEN_RETRY_MAX_MS ? LISTEN_RETRY_MAX_MS : delay * 2;
    }
    return NULL;
}

enum rc store_listen_start(struct store *s, struct err *e)
{
    if (!s->ops->notifies || s->listener)
        return RC_OK;
    struct store_listener *l = xcalloc(1, sizeof(*l));
    l->s = s;
    if (pipe(l->stop_fd)) {
        xfree(l);
        return err_set(e, RC_INTERNAL, NULL, "pipe: %s", strerror(errno));
    }
    (void)fcntl(l->stop_fd[0], F_SETFD, FD_CLOEXEC);
    (void)fcntl(l->stop_fd[1], F_SETFD, FD_CLOEXEC);
    if (pthread_create(&l->thread, NULL, listen_run, l)) {
        close(l->stop_fd[0]);
        close(l->stop_fd[1]);
        xfree(l);
        return err_set(e, RC_INTERNAL, NULL, "could not start the change listener thread");
    }
    s->listener = l;
    return RC_OK;
}

void store_listen_stop(struct store *s)
{
    if (!s || !s->listener)
        return;
    struct store_listener *l = s->listener;
    ssize_t n;
    while ((n = write(l->stop_fd[1], "x", 1)) < 0 && errno == EINTR)
        ;
    pthread_join(l->thread, NULL);
    close(l->stop_fd[0]);
    close(l->stop_fd[1]);
    s->listener = NULL;
    xfree(l);
}
