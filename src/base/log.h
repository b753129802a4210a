/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log: one line per event on stderr, "2026-11-23T12:00:00.123Z LEVEL message".
 *
 * Thread-safe (one write(2) per line). log_set_level() filters; the default is INFO.
 */
#ifndef QIFU_LOG_H
#define QIFU_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Sets the lowest level that is written. */
void log_set_level(enum log_level level);
/* Writes one line at level. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
