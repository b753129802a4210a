/* SPDX-License-Identifier: Apache-2.0 */
/* timeutil: civil-date arithmetic without the C library's time zone state. */
#include "timeutil.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* ---- The clock, and the test clock ------------------------------------------- */

/*
 * The test clock (docs/internals/testing.md). It is read from the process
 * environment once, at the first call: QIFU_TEST_NOW (an RFC 3339 instant) starts the
 * clock there, and QIFU_TEST_CLOCK_FILE names a file holding such an instant, read
 * again on every call, whose every new text (or new modification time) restarts the
 * clock at the instant it holds. Either way the clock then advances with the monotonic
 * clock. Only the operator who starts the process sets the environment; nothing a
 * client sends reaches these variables or the file's name.
 */
static pthread_once_t clock_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t clock_mu = PTHREAD_MUTEX_INITIALIZER;
static bool clock_test;            /* a test clock is configured */
static const char *clock_file;     /* QIFU_TEST_CLOCK_FILE, or NULL */
static bool env_set;               /* QIFU_TEST_NOW held a valid instant */
static int64_t env_base_ms;        /* its instant */
static int64_t env_base_mono;      /* time_mono_ns() when it was read */
static bool file_set;              /* the file held a valid instant when last read */
static int64_t file_base_ms;       /* that instant */
static int64_t file_base_mono;     /* time_mono_ns() when that text was first seen */
static char file_text[64];         /* the file's text when last read */
static struct timespec file_mtime; /* and its modification time */

static int64_t real_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Copies s without surrounding white space into out (n bytes); false if it is too long. */
static bool trimmed(const char *s, char *out, size_t n)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t len = strlen(s);
    while (len &&
           (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' || s[len - 1] == '\r'))
        len--;
    if (len >= n)
        return false;
    memcpy(out, s, len);
    out[len] = '\0';
    return true;
}

static void clock_init(void)
{
    char text[64];
    const char *now = getenv("QIFU_TEST_NOW");
    const char *file = getenv("QIFU_TEST_CLOCK_FILE");
    if (now && *now && trimmed(now, text, sizeof(text)) &&
        time_parse(text, &env_base_ms) == RC_OK) {
        env_set = true;
        env_base_mono = time_mono_ns();
    }
    if (file && *file)
        clock_file = file;
    clock_test = env_set || clock_file;
}

/* Rereads the clock file when it changed; called with clock_mu held. */
static void clock_file_check(void)
{
    struct stat sb;
    char buf[64] = "";
    if (stat(clock_file, &sb) == 0) {
        FILE *f = fopen(clock_file, "r");
        if (f) {
            size_t got = fread(buf, 1, sizeof(buf) - 1, f);
            buf[got] = '\0';
            fclose(f);
        }
    } else {
        memset(&sb, 0, sizeof(sb));
    }
    if (strcmp(buf, file_text) == 0 && sb.st_mtim.tv_sec == file_mtime.tv_sec &&
        sb.st_mtim.tv_nsec == file_mtime.tv_nsec)
        return;
    memcpy(file_text, buf, sizeof(file_text));
    file_mtime = sb.st_mtim;
    char text[64];
    int64_t ms;
    file_set = trimmed(buf, text, sizeof(text)) && time_parse(text, &ms) == RC_OK;
    if (file_set) {
        file_base_ms = ms;
        file_base_mono = time_mono_ns();
    }
}

/* The fixed clock of time_fixed_set (0: none). */
static _Atomic int64_t fixed_ms;

void time_fixed_set(int64_t ms)
{
    fixed_ms = ms;
}

int64_t time_now_ms(void)
{
    int64_t fixed = fixed_ms;
    if (fixed)
        return fixed;
    pthread_once(&clock_once, clock_init);
    if (!clock_test)
        return real_now_ms();
    int64_t now;
    pthread_mutex_lock(&clock_mu);
    if (clock_file)
        clock_file_check();
    if (file_set)
        now = file_base_ms + (time_mono_ns() - file_base_mono) / 1000000;
    else if (env_set)
        now = env_base_ms + (time_mono_ns() - env_base_mono) / 1000000;
    else
        now = real_now_ms();
    pthread_mutex_unlock(&clock_mu);
    return now;
}

int time_test_clock(void)
{
    pthread_once(&clock_once, clock_init);
    if (!clock_test)
        return 0;
    pthread_mutex_lock(&clock_mu);
    if (clock_file)
        clock_file_check();
    bool moved = file_set || env_set;
    pthread_mutex_unlock(&clock_mu);
    return moved ? 2 : 1;
}

int64_t time_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t time_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void time_civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t yy = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

static void split(int64_t ms, int *y, int *mo, int *d, int *h, int *mi, int *s, int *frac)
{
    int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    int64_t rem = ms - days * 86400000;
    time_civil_from_days(days, y, mo, d);
    *h = (int)(rem / 3600000);
    *mi = (int)(rem / 60000 % 60);
    *s = (int)(rem / 1000 % 60);
    *frac = (int)(rem % 1000);
}

/* Writes v as exactly w decimal digits (0 <= v < 10^w, w 2, 3 or 4), two at a time from a
 * table of the pairs 00..99; returns the end. */
static char *put_digits(char *p, int v, int w)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324"
                                "25262728293031323334353637383940414243444546474849"
                                "50515253545556575859606162636465666768697071727374"
                                "75767778798081828384858687888990919293949596979899";
    if (w == 4) {
        memcpy(p, pairs + 2 * (v / 100), 2);
        p += 2;
        v %= 100;
    } else if (w == 3) {
        *p++ = (char)('0' + v / 100);
        v %= 100;
    }
    memcpy(p, pairs + 2 * v, 2);
    return p + 2;
}

/*
 * Formats "YYYY-MM-DDTHH:MM:SS" plus tail into out (n bytes) by hand: these run for
 * every date of every JSON row and every log line, where snprintf was a tenth of the
 * time of a list read. Years outside 0..9999 take snprintf's path.
 */
static size_t fmt_civil(int64_t ms, const char *tail, bool frac, char *out, size_t n)
{
    int y, mo, d, h, mi, s, f;
    split(ms, &y, &mo, &d, &h, &mi, &s, &f);
    if (y < 0 || y > 9999) {
        int k;
        if (frac)
            k = snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%s", y, mo, d, h, mi, s, f,
                         tail);
        else
            k = snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d%s", y, mo, d, h, mi, s, tail);
        return k < 0 || !n ? 0 : (size_t)k < n ? (size_t)k : n - 1;
    }
    /* Straight into out when it has room for the longest form, else through tmp. */
    char tmp[48];
    char *start = n >= sizeof(tmp) ? out : tmp, *p = start;
    p = put_digits(p, y, 4);
    *p++ = '-';
    p = put_digits(p, mo, 2);
    *p++ = '-';
    p = put_digits(p, d, 2);
    *p++ = 'T';
    p = put_digits(p, h, 2);
    *p++ = ':';
    p = put_digits(p, mi, 2);
    *p++ = ':';
    p = put_digits(p, s, 2);
    if (frac) {
        *p++ = '.';
        p = put_digits(p, f, 3);
    }
    size_t tl = strlen(tail);
    memcpy(p, tail, tl + 1);
    size_t len = (size_t)(p - start) + tl;
    if (start == out)
        return len;
    if (!n)
        return 0;
    if (len >= n)
        len = n - 1;
    memcpy(out, tmp, len);
    out[len] = '\0';
    return len;
}

size_t time_fmt_utc(int64_t ms, char *out, size_t n)
{
    return fmt_civil(ms, "Z", true, out, n);
}

size_t time_fmt_cst(int64_t ms, char *out, size_t n)
{
    return fmt_civil(ms + TIME_CST_OFFSET_MS, "+08:00", false, out, n);
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

enum rc time_parse(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, sec, ms = 0;
    if (strlen(s) < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
        digits(s + 17, 2, &sec))
        return RC_INVALID;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return RC_INVALID;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
        return RC_INVALID;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        int n = 0;
        while (*p >= '0' && *p <= '9') {
            if (n < 3)
                ms = ms * 10 + (*p - '0');
            n++, p++;
        }
        if (n == 0)
            return RC_INVALID;
        for (; n < 3; n++)
            ms *= 10;
    }
    int64_t off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return RC_INVALID;
        off = ((int64_t)oh * 60 + om) * 60000 * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return RC_INVALID;
    }
    if (*p)
        return RC_INVALID;
    int64_t days = time_days_from_civil(y, mo, d);
    *out = ((days * 24 + h) * 60 + mi) * 60000LL + (sec > 59 ? 59 : sec) * 1000LL + ms - off;
    return RC_OK;
}
