/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log: formatted lines to stderr. A line from log_msg is written at once with a single
 * write(2); a line from log_buffered (the access log) joins a shared buffer that is
 * written whole when it fills, after LOG_FLUSH_MS by the flusher thread, before any
 * log_msg line (so the order of lines is kept), and by log_buffer_stop.
 *
 * Fatal signals (log_fatal_init): the handler writes what is buffered and every open
 * note (the requests in progress) with write(2) alone, takes no lock (the thread that
 * crashed may hold it) and re-raises the signal with the handler it replaced.
 */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "timeutil.h"

#define LOG_LINE_MAX 2048
#define LOG_BUF_SIZE 32768 /* buffered bytes written in one write(2) */
#define LOG_FLUSH_MS 100   /* longest a buffered line waits */

#define LOG_NOTES 1024   /* open notes at once (requests in progress); more are not noted */
#define LOG_NOTE_MAX 256 /* bytes of one note, newline included */

static enum log_level min_level = LOG_INFO;

/* A note slot: state 0 free, 1 being written, 2 ready (written by the fatal handler). */
static struct {
    int state;
    char text[LOG_NOTE_MAX];
} notes[LOG_NOTES];
static unsigned note_next;

static const int fatal_sigs[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
#define N_FATAL (sizeof(fatal_sigs) / sizeof(fatal_sigs[0]))
static struct sigaction fatal_old[N_FATAL];
static int fatal_installed;

static pthread_mutex_t buf_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t buf_cv = PTHREAD_COND_INITIALIZER;
static char buf[LOG_BUF_SIZE];
static size_t buf_len;
static bool buffering, stopping;
static pthread_t flusher;

void log_set_level(enum log_level level)
{
    min_level = level;
}

static void write_all(const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(STDERR_FILENO, p, n);
        if (w <= 0)
            return; /* nowhere to report it */
        p += w;
        n -= (size_t)w;
    }
}

/* Writes the buffered lines; buf_mu held. */
static void flush_locked(void)
{
    write_all(buf, buf_len);
    buf_len = 0;
}

/* Formats "TIMESTAMP LEVEL message\n" into line; returns its length. */
static size_t format(char *line, enum log_level level, const char *fmt, va_list ap)
{
    static const char *const names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    char ts[32];
    time_fmt_utc(time_now_ms(), ts, sizeof(ts));
    int n = snprintf(line, LOG_LINE_MAX, "%s %s ", ts, names[level]);
    int m = vsnprintf(line + n, LOG_LINE_MAX - (size_t)n - 1, fmt, ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > LOG_LINE_MAX - 2)
        len = LOG_LINE_MAX - 2;
    line[len++] = '\n';
    return len;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level < min_level)
        return;
    char line[LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    size_t len = format(line, level, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&buf_mu);
    if (buf_len)
        flush_locked();
    write_all(line, len);
    pthread_mutex_unlock(&buf_mu);
}

void log_buffered(const char *fmt, ...)
{
    if (LOG_INFO < min_level)
        return;
    char line[LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    size_t len = format(line, LOG_INFO, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&buf_mu);
    if (!buffering) {
        write_all(line, len);
    } else {
        if (buf_len + len > sizeof(buf))
            flush_locked();
        memcpy(buf + buf_len, line, len);
        buf_len += len;
    }
    pthread_mutex_unlock(&buf_mu);
}

static void *flush_run(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&buf_mu);
    while (!stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += LOG_FLUSH_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&buf_cv, &buf_mu, &until);
        if (buf_len)
            flush_locked();
    }
    pthread_mutex_unlock(&buf_mu);
    return NULL;
}

int log_buffer_start(void)
{
    pthread_mutex_lock(&buf_mu);
    if (buffering) {
        pthread_mutex_unlock(&buf_mu);
        return 0;
    }
    stopping = false;
    int err = pthread_create(&flusher, NULL, flush_run, NULL);
    buffering = err == 0;
    pthread_mutex_unlock(&buf_mu);
    return err ? -1 : 0;
}

void log_buffer_stop(void)
{
    pthread_mutex_lock(&buf_mu);
    if (!buffering) {
        pthread_mutex_unlock(&buf_mu);
        return;
    }
    stopping = true;
    pthread_cond_signal(&buf_cv);
    pthread_mutex_unlock(&buf_mu);
    pthread_join(flusher, NULL);
    pthread_mutex_lock(&buf_mu);
    buffering = false;
    flush_locked();
    pthread_mutex_unlock(&buf_mu);
}

/* ---- fatal signals ---------------------------------------------------------- */

int log_note_open(const char *fmt, ...)
{
    unsigned start = __atomic_fetch_add(&note_next, 1, __ATOMIC_RELAXED);
    for (unsigned i = 0; i < LOG_NOTES; i++) {
        unsigned k = (start + i) % LOG_NOTES;
        int want = 0;
        if (!__atomic_compare_exchange_n(&notes[k].state, &want, 1, false, __ATOMIC_ACQUIRE,
                                         __ATOMIC_RELAXED))
            continue;
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(notes[k].text, LOG_NOTE_MAX - 1, fmt, ap);
        va_end(ap);
        size_t len = n < 0 ? 0 : (size_t)n > LOG_NOTE_MAX - 2 ? LOG_NOTE_MAX - 2 : (size_t)n;
        notes[k].text[len] = '\n';
        notes[k].text[len + 1] = '\0';
        __atomic_store_n(&notes[k].state, 2, __ATOMIC_RELEASE);
        return (int)k;
    }
    return -1;
}

void log_note_close(int note)
{
    if (note >= 0 && note < LOG_NOTES)
        __atomic_store_n(&notes[note].state, 0, __ATOMIC_RELEASE);
}

static void write_str(const char *s)
{
    write_all(s, strlen(s));
}

/* Async-signal-safe: write(2), strlen, sigaction and raise only. */
static void on_fatal(int sig)
{
    int saved = errno;
    size_t n = __atomic_load_n(&buf_len, __ATOMIC_RELAXED);
    if (n > sizeof(buf))
        n = sizeof(buf);
    write_all(buf, n); /* may repeat lines the flusher is writing; never loses one */
    const char *name = sig == SIGSEGV   ? "SIGSEGV"
                       : sig == SIGBUS  ? "SIGBUS"
                       : sig == SIGABRT ? "SIGABRT"
                       : sig == SIGFPE  ? "SIGFPE"
                                        : "SIGILL";
    write_str("FATAL signal ");
    write_str(name);
    write_str(": the process dies; requests in progress follow\n");
    for (unsigned k = 0; k < LOG_NOTES; k++)
        if (__atomic_load_n(&notes[k].state, __ATOMIC_ACQUIRE) == 2) {
            write_str("FATAL in progress: ");
            write_str(notes[k].text);
        }
    for (size_t i = 0; i < N_FATAL; i++)
        if (fatal_sigs[i] == sig)
            sigaction(sig, &fatal_old[i], NULL);
    errno = saved;
    raise(sig); /* delivered once this handler returns, by the handler it replaced */
}

void log_fatal_init(void)
{
    if (__atomic_exchange_n(&fatal_installed, 1, __ATOMIC_ACQ_REL))
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_fatal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < N_FATAL; i++)
        sigaction(fatal_sigs[i], &sa, &fatal_old[i]);
}
