/* SPDX-License-Identifier: Apache-2.0 */
/* log: formatted lines to stderr, each written with a single write(2). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "timeutil.h"

static enum log_level min_level = LOG_INFO;

void log_set_level(enum log_level level)
{
    min_level = level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    if (level < min_level)
        return;
    char line[2048];
    char ts[32];
    time_fmt_utc(time_now_ms(), ts, sizeof(ts));
    int n = snprintf(line, sizeof(line), "%s %s ", ts, names[level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof(line) - 2)
        len = sizeof(line) - 2;
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
