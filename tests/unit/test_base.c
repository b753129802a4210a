/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of src/base: rc table, buf caps, pool, time, UTF-8, JSON limits, sec. */
#include <string.h>

#include "base/buf.h"
#include "base/jsonx.h"
#include "base/mem.h"
#include "base/pool.h"
#include "base/rc.h"
#include "base/sec.h"
#include "base/timeutil.h"
#include "unit.h"

#define S(lit) (lit), strlen(lit)

START_TEST(rc_table)
{
    ck_assert_int_eq(rc_http(RC_NOTFOUND), 404);
    ck_assert_str_eq(rc_name(RC_NOTFOUND), "not_found");
    ck_assert_str_eq(rc_str(RC_NOTFOUND), "资源不存在");
    ck_assert_int_eq(rc_http(RC_TOOLARGE), 413);
    ck_assert_int_eq(rc_http(RC_RATELIMIT), 429);
    ck_assert_int_eq(rc_http((enum rc)9999), 500);
    struct err e;
    ck_assert_int_eq(err_set(&e, RC_INVALID, "name", "缺少 %s", "name"), RC_INVALID);
    ck_assert_str_eq(e.field, "name");
    ck_assert_str_eq(e.msg, "缺少 name");
}
END_TEST

START_TEST(buf_cap)
{
    struct buf b;
    buf_init(&b, 8);
    ck_assert_int_eq(buf_puts(&b, "abcd"), RC_OK);
    ck_assert_int_eq(buf_puts(&b, "efgh"), RC_OK);
    ck_assert_int_eq(buf_puts(&b, "i"), RC_TOOLARGE);
    ck_assert_str_eq(buf_str(&b), "abcdefgh");
    ck_assert_int_eq(buf_printf(&b, "%d", 1), RC_TOOLARGE);
    buf_reset(&b);
    ck_assert_int_eq(buf_printf(&b, "%s-%d", "x", 42), RC_OK);
    ck_assert_str_eq(buf_str(&b), "x-42");
    char *s = buf_take(&b);
    ck_assert_str_eq(s, "x-42");
    xfree(s);
    ck_assert_int_eq(buf_len(&b), 0);
    buf_cleanup(&b);
    buf_cleanup(NULL);
}
END_TEST

START_TEST(pool_many)
{
    struct pool p;
    pool_init(&p);
    char *big = pool_alloc(&p, 100000);
    memset(big, 1, 100000);
    for (int i = 0; i < 1000; i++) {
        char *s = pool_printf(&p, "item-%d", i);
        ck_assert_str_eq(s + 5, pool_printf(&p, "%d", i));
        ck_assert_int_eq(((uintptr_t)pool_alloc(&p, 3)) % 8, 0);
    }
    ck_assert_str_eq(pool_strndup(&p, "hello", 3), "hel");
    ck_assert_ptr_null(pool_strdup(&p, NULL));
    pool_clear(&p);
    pool_clear(&p);
}
END_TEST

START_TEST(time_roundtrip)
{
    int64_t ms;
    ck_assert_int_eq(time_parse("2026-11-23T12:00:00+08:00", &ms), RC_OK);
    char out[40];
    time_fmt_utc(ms, out, sizeof(out));
    ck_assert_str_eq(out, "2026-11-23T04:00:00.000Z");
    time_fmt_cst(ms, out, sizeof(out));
    ck_assert_str_eq(out, "2026-11-23T12:00:00+08:00");
    char small[11]; /* cut, still terminated */
    ck_assert_uint_eq(time_fmt_cst(ms, small, sizeof(small)), 10);
    ck_assert_str_eq(small, "2026-11-23");
    char big[64]; /* room for any form: written in place, the same text and length */
    memset(big, 'x', sizeof(big));
    ck_assert_uint_eq(time_fmt_cst(ms, big, sizeof(big)), 25);
    ck_assert_str_eq(big, "2026-11-23T12:00:00+08:00");
    ck_assert_uint_eq(time_fmt_utc(ms, big, sizeof(big)), 24);
    ck_assert_str_eq(big, "2026-11-23T04:00:00.000Z");
    ck_assert_uint_eq(time_fmt_cst(ms, out, sizeof(out)), 25);
    time_fmt_utc(-1, out, sizeof(out));
    ck_assert_str_eq(out, "1969-12-31T23:59:59.999Z");
    ck_assert_int_eq(time_parse("2024-02-29T00:00:00.5Z", &ms), RC_OK);
    time_fmt_utc(ms, out, sizeof(out));
    ck_assert_str_eq(out, "2024-02-29T00:00:00.500Z");
    ck_assert_int_eq(time_parse("2025-02-29T00:00:00Z", &ms), RC_INVALID);
    ck_assert_int_eq(time_parse("2025-01-01", &ms), RC_INVALID);
    ck_assert_int_eq(time_parse("2025-01-01T00:00:00", &ms), RC_INVALID);
    int y, m, d;
    time_civil_from_days(time_days_from_civil(2025, 10, 11), &y, &m, &d);
    ck_assert_int_eq(y * 10000 + m * 100 + d, 20251011);
    ck_assert_int_eq(time_days_from_civil(1970, 1, 1), 0);
}
END_TEST

/* time_fixed_set holds the clock at an instant (the demo history's) and 0 releases it. */
START_TEST(time_fixed_clock)
{
    int64_t at = 1773108000000; /* 2026-03-10T10:00:00+08:00 */
    time_fixed_set(at);
    ck_assert_int_eq(time_now_ms(), at);
    ck_assert_int_eq(time_now_ms(), at);
    time_fixed_set(at + 60000);
    ck_assert_int_eq(time_now_ms(), at + 60000);
    time_fixed_set(0);
    ck_assert_int_ne(time_now_ms(), at + 60000);
    ck_assert_int_gt(time_now_ms(), 1700000000000);
}
END_TEST

START_TEST(utf8_rules)
{
    ck_assert(utf8_valid("企服 ok", strlen("企服 ok")));
    ck_assert(!utf8_valid("\xC0\xAF", 2));         /* overlong */
    ck_assert(!utf8_valid("\xED\xA0\x80", 3));     /* surrogate */
    ck_assert(!utf8_valid("\xE4\xBC", 2));         /* truncated */
    ck_assert(!utf8_valid("\xF4\x90\x80\x80", 4)); /* > U+10FFFF */
    ck_assert_int_eq(utf8_first_invalid("ab\xFFz", 4), 2);
    ck_assert_int_eq(utf8_len("企服ab"), 4);
}
END_TEST

START_TEST(json_limits)
{
    json_t *j;
    struct err e;
    char deep[200];
    memset(deep, '[', 65);
    memset(deep + 65, ']', 65);
    ck_assert_int_eq(jsonx_parse(deep, 130, 64, &j, &e), RC_TOODEEP);
    ck_assert_int_eq(e.col, 65);
    ck_assert_int_eq(jsonx_parse(deep + 1, 128, 64, &j, &e), RC_OK);
    json_decref(j);
    /* Brackets inside strings do not count. */
    ck_assert_int_eq(jsonx_parse(S("{\"a\":\"[[[[[[[[[[[[\"}"), 2, &j, &e), RC_OK);
    json_decref(j);
    ck_assert_int_eq(jsonx_parse(S("{\"a\":\n \"\xFF\"}"), 64, &j, &e), RC_BADUTF8);
    ck_assert_int_eq(e.line, 2);
    ck_assert_int_eq(e.col, 3);
    ck_assert_int_eq(jsonx_parse(S("{\"a\":1,}"), 64, &j, &e), RC_BADJSON);
    ck_assert_int_eq(jsonx_parse(S("{\"a\":1,\"a\":2}"), 64, &j, &e), RC_BADJSON);
    ck_assert_int_eq(jsonx_parse(S("{\"n\":\"张三\",\"k\":5,\"b\":true}"), 64, &j, &e), RC_OK);
    const char *s = NULL;
    int64_t k = 0;
    bool b = false;
    ck_assert_int_eq(jsonx_get_str(j, "n", true, 2, &s, &e), RC_OK);
    ck_assert_str_eq(s, "张三");
    ck_assert_int_eq(jsonx_get_str(j, "n", true, 1, &s, &e), RC_INVALID);
    ck_assert_int_eq(jsonx_get_str(j, "k", true, 0, &s, &e), RC_INVALID);
    ck_assert_str_eq(e.field, "k");
    ck_assert_int_eq(jsonx_get_str(j, "zz", true, 0, &s, &e), RC_INVALID);
    ck_assert_int_eq(jsonx_get_str(j, "zz", false, 0, &s, &e), RC_OK);
    ck_assert_int_eq(jsonx_get_int(j, "k", true, 0, 10, &k, &e), RC_OK);
    ck_assert_int_eq(k, 5);
    ck_assert_int_eq(jsonx_get_int(j, "k", true, 6, 10, &k, &e), RC_INVALID);
    ck_assert_int_eq(jsonx_get_bool(j, "b", true, &b, &e), RC_OK);
    ck_assert(b);
    static const char *const allowed[] = {"n", "k", NULL};
    ck_assert_int_eq(jsonx_only(j, allowed, &e), RC_INVALID);
    ck_assert_str_eq(e.field, "b");
    char *c = jsonx_canonical(j);
    ck_assert_str_eq(c, "{\"b\":true,\"k\":5,\"n\":\"张三\"}");
    xfree(c);
    json_decref(j);
}
END_TEST

/* jsonx_dump writes what json_dumps(JSON_COMPACT) writes, byte for byte. */
START_TEST(json_dump_same_as_jansson)
{
    json_t *j = json_pack("{s:s, s:I, s:I, s:f, s:f, s:f, s:f, s:b, s:b, s:n, s:[i, s, {}], s:{}}",
                          "text", "企服 \"q\" \\ /\n\t\b\f\r\x01\x1f end", "big",
                          (json_int_t)INT64_MAX, "neg", (json_int_t)INT64_MIN, "r1", 1.0, "r2",
                          0.1, "r3", 1e300, "r4", -2.5e-7, "t", 1, "f", 0, "nul", "arr", 7, "x",
                          "empty", "");
    json_object_set_new(j, "a\"b", json_stringn("nul\0in", 6));
    json_t *arr = json_array();
    json_array_append_new(arr, j);
    json_array_append_new(arr, json_array());
    char *want = json_dumps(arr, JSON_COMPACT);
    struct buf b;
    buf_init(&b, 1 << 20);
    ck_assert_int_eq(jsonx_dump(arr, &b), RC_OK);
    ck_assert_str_eq(buf_str(&b), want);
    ck_assert_uint_eq(buf_len(&b), strlen(want));
    free(want); /* lint:allow-free (Jansson's allocation) */
    buf_cleanup(&b);
    buf_init(&b, 16); /* past the cap */
    ck_assert_int_eq(jsonx_dump(arr, &b), RC_TOOLARGE);
    buf_cleanup(&b);
    json_decref(arr);
}
END_TEST

START_TEST(json_writer)
{
    struct buf b;
    buf_init(&b, 1 << 16);
    struct jsonx_w w = {&b, RC_OK};
    JSONX_W_LIT(&w, "{\"a\":");
    jsonx_w_str(&w, "企服 \"q\"\n");
    JSONX_W_LIT(&w, ",\"b\":");
    jsonx_w_text(&w, "bad \xff utf8");
    JSONX_W_LIT(&w, ",\"c\":");
    jsonx_w_text(&w, NULL);
    JSONX_W_LIT(&w, ",\"d\":");
    jsonx_w_text(&w, "好");
    JSONX_W_LIT(&w, ",\"e\":");
    jsonx_w_int(&w, INT64_MIN);
    JSONX_W_LIT(&w, ",\"f\":");
    jsonx_w_bool(&w, false);
    jsonx_w_puts(&w, "}");
    ck_assert_int_eq(w.rc, RC_OK);
    ck_assert_str_eq(buf_str(&b), "{\"a\":\"企服 \\\"q\\\"\\n\",\"b\":null,\"c\":null,"
                                  "\"d\":\"好\",\"e\":-9223372036854775808,\"f\":false}");
    buf_cleanup(&b);
    /* The first failure sticks: nothing is written after the cap is reached (what was
     * written before stays, a partial text the caller discards). */
    buf_init(&b, 8);
    struct jsonx_w v = {&b, RC_OK};
    JSONX_W_LIT(&v, "[1,");
    jsonx_w_str(&v, "too long for the cap");
    ck_assert_int_eq(v.rc, RC_TOOLARGE);
    size_t at = buf_len(&b);
    jsonx_w_int(&v, 2);
    JSONX_W_LIT(&v, "]");
    ck_assert_int_eq(v.rc, RC_TOOLARGE);
    ck_assert_uint_eq(buf_len(&b), at);
    ck_assert(strncmp(buf_str(&b), "[1,", 3) == 0);
    buf_cleanup(&b);
}
END_TEST

/* jsonx_w_text and jsonx_w_str against Jansson on random byte strings: plain ASCII,
 * quotes, backslashes, control characters, well-formed 2-, 3- and 4-byte sequences and
 * broken ones. A text Jansson refuses (not UTF-8) must be written as null; any other as
 * json_dumps writes it; jsonx_w_str, which trusts its input, writes the bytes as they are. */
START_TEST(json_writer_same_as_jansson)
{
    static const char *const pieces[] = {"a", "Z ", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f",
                                         "\x7f", "\xc3\xa9", "企", "服务", "\xf0\x9f\x98\x80",
                                         "\xff", "\xc0\xaf", "\xe4\xbc", "\xed\xa0\x80",
                                         "\xf4\x90\x80\x80", "\x80"};
    unsigned seed = 12345;
    struct buf b;
    buf_init(&b, 1 << 20);
    for (int round = 0; round < 5000; round++) {
        char in[256];
        size_t n = 0;
        int k = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 24;
        for (int i = 0; i < k; i++) {
            const char *p = pieces[((seed = seed * 1103515245u + 12345u) >> 16) % 20];
            size_t l = strlen(p);
            memcpy(in + n, p, l);
            n += l;
        }
        in[n] = '\0';
        json_t *j = json_stringn(in, n);
        char *want = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        buf_reset(&b);
        struct jsonx_w w = {&b, RC_OK};
        jsonx_w_text(&w, in);
        ck_assert_int_eq(w.rc, RC_OK);
        ck_assert_str_eq(buf_str(&b), want ? want : "null");
        /* The trusting writer: the same when the text is UTF-8. */
        if (want) {
            buf_reset(&b);
            jsonx_w_str(&w, in);
            ck_assert_int_eq(w.rc, RC_OK);
            ck_assert_str_eq(buf_str(&b), want);
        }
        free(want); /* lint:allow-free (Jansson's allocation) */
        json_decref(j);
    }
    buf_cleanup(&b);
    /* Escapes past the cap: refused whole, nothing of the string left behind. */
    for (size_t cap = 1; cap < 40; cap++) {
        buf_init(&b, cap);
        struct jsonx_w w = {&b, RC_OK};
        JSONX_W_LIT(&w, "[");
        jsonx_w_text(&w, "\n\n\n\n\"q\"\x01 企服");
        if (w.rc == RC_OK)
            ck_assert_str_eq(buf_str(&b), "[\"\\n\\n\\n\\n\\\"q\\\"\\u0001 企服\"");
        else
            ck_assert(buf_len(&b) <= 1 && (buf_len(&b) == 0 || buf_str(&b)[0] == '['));
        buf_cleanup(&b);
    }
}
END_TEST

START_TEST(sec_basics)
{
    ck_assert_int_eq(sec_init(), RC_OK);
    char h[SEC_HEX_SHA256];
    sec_sha256_hex("abc", 3, h);
    ck_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    char t1[SEC_TOKEN_LEN], t2[SEC_TOKEN_LEN];
    sec_token(t1);
    sec_token(t2);
    ck_assert_int_eq(strlen(t1), 43);
    ck_assert_str_ne(t1, t2);
    setenv("QIFU_FAST_HASH", "1", 1);
    char pw[SEC_PWHASH_LEN];
    ck_assert_int_eq(sec_pwhash("demo", pw), RC_OK);
    ck_assert(strncmp(pw, "$argon2id$", 10) == 0);
    ck_assert(sec_pwverify(pw, "demo"));
    ck_assert(!sec_pwverify(pw, "Demo"));
}
END_TEST

START_TEST(copy_text_cuts_whole_characters)
{
    char f[8];
    mem_copy_text(f, sizeof(f), NULL);
    ck_assert_str_eq(f, "");
    mem_copy_text(f, sizeof(f), "abc");
    ck_assert_str_eq(f, "abc");
    mem_copy_text(f, sizeof(f), "abcdefghij"); /* cut to 7 bytes */
    ck_assert_str_eq(f, "abcdefg");
    mem_copy_text(f, sizeof(f), "安庆市经信局"); /* 3 bytes a character: 2 fit, not 2⅓ */
    ck_assert_str_eq(f, "安庆");
    mem_copy_text(f, sizeof(f), "ab安庆市"); /* 2 + 3 bytes fit, the next is cut whole */
    ck_assert_str_eq(f, "ab安");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("base");
    TCase *tc = tcase_create("base");
    tcase_add_test(tc, rc_table);
    tcase_add_test(tc, buf_cap);
    tcase_add_test(tc, pool_many);
    tcase_add_test(tc, time_roundtrip);
    tcase_add_test(tc, time_fixed_clock);
    tcase_add_test(tc, utf8_rules);
    tcase_add_test(tc, json_writer_same_as_jansson);
    tcase_add_test(tc, json_limits);
    tcase_add_test(tc, sec_basics);
    tcase_add_test(tc, json_dump_same_as_jansson);
    tcase_add_test(tc, json_writer);
    tcase_add_test(tc, copy_text_cuts_whole_characters);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(suite)
