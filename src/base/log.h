/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log: one line per event on stderr, "2026-11-23T12:00:00.123Z LEVEL message".
 *
 * Thread-safe. log_msg writes each line with one write(2) at once. log_buffered (for
 * the access log, a line per request) collects INFO lines between log_buffer_start and
 * log_buffer_stop and writes them in batches: when 32 KiB are waiting, every 100 ms,
 * before the next log_msg line, and at log_buffer_stop, so a clean stop loses none.
 * log_set_level() filters; the default is INFO.
 *
 * log_fatal_init installs handlers for SIGSEGV, SIGBUS, SIGABRT, SIGFPE and SIGILL that
 * write the buffered lines and the open notes (log_note_open: one short line per request
 * in progress, so the request that crashes the process is named), then re-raise.
 */
#ifndef QIFU_LOG_H
#define QIFU_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Sets the lowest level that is written. */
void log_set_level(enum log_level level);
/* Writes one line at level. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes one INFO line through the buffer (at once when buffering is off). */
void log_buffered(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Starts buffering log_buffered lines (a flusher thread); 0, or -1 if it could not. */
int log_buffer_start(void);
/* Writes what is buffered and stops buffering (joins the flusher). */
void log_buffer_stop(void);

/* Installs the fatal-signal handlers once (later calls do nothing). */
void log_fatal_init(void);
/*
 * Opens a note: one line (at most 255 bytes) written only if the process dies of a fatal
 * signal. Returns its handle for log_note_close, or -1 when all 1024 slots are taken.
 */
int log_note_open(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Closes a note (-1 is ignored). */
void log_note_close(int note);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
