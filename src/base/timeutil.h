/* SPDX-License-Identifier: Apache-2.0 */
/*
 * timeutil: instants as int64 milliseconds since the Unix epoch (UTC), the form
 * the store keeps, and their RFC 3339 text. The API shows instants in
 * Asia/Shanghai (+08:00, no daylight saving since 1991), the store keeps UTC.
 */
#ifndef QIFU_TIMEUTIL_H
#define QIFU_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "rc.h"

#define TIME_CST_OFFSET_MS (8LL * 3600 * 1000)

/*
 * Returns the current wall-clock time in ms since the epoch: the one source of "now"
 * in the server. When the process environment sets QIFU_TEST_NOW (an RFC 3339
 * instant) or QIFU_TEST_CLOCK_FILE (a file holding one, reread on every call), it is
 * the test clock instead: that instant, advancing with the monotonic clock from when
 * it was read (docs/internals/testing.md).
 */
int64_t time_now_ms(void);
/*
 * Fixes the clock of this process at ms (ms UTC; 0 lets it run again): time_now_ms
 * returns ms until the next call. Only the demo generator (src/demo) uses it, to write
 * a year of history through the domain functions with the instants of that history.
 */
void time_fixed_set(int64_t ms);
/* Returns 0 without a test clock, 1 when one is configured but the clock still reads
 * the real time (QIFU_TEST_CLOCK_FILE names no valid instant yet), 2 when it reads a
 * test instant. The server logs it at start (2: a warning). */
int time_test_clock(void);
/* Returns a monotonic clock in ns, for durations. */
int64_t time_mono_ns(void);
/* Writes "2026-11-23T04:00:00.123Z" (UTC) into out (at least 25 bytes); returns its
 * length (cut short to n - 1 bytes when out is smaller). */
size_t time_fmt_utc(int64_t ms, char *out, size_t n);
/* Writes "2026-11-23T12:00:00+08:00" (Asia/Shanghai, seconds) into out (at least 26
 * bytes); returns its length, likewise. */
size_t time_fmt_cst(int64_t ms, char *out, size_t n);
/*
 * Parses RFC 3339 ("2026-11-23T12:00:00+08:00", "...Z", optional fraction) into ms.
 * Returns RC_INVALID for anything else.
 */
enum rc time_parse(const char *s, int64_t *out) WARN_UNUSED;
/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
int64_t time_days_from_civil(int y, int m, int d);
/* The inverse of time_days_from_civil. */
void time_civil_from_days(int64_t days, int *y, int *m, int *d);

#endif
