/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the trigram similarity of src/demand/demand_dup: exact values on
 * small texts worked out by hand, Chinese text, punctuation and case folding, and
 * invalid UTF-8.
 */
#include <math.h>

#include "demand/demand_dup.h"
#include "unit.h"

#define NEAR(a, b) ck_assert_msg(fabs((a) - (b)) < 1e-9, "%.12f != %.12f", (double)(a), (double)(b))

START_TEST(exact_values)
{
    /* abcd: {abc, bcd}; abce: {abc, bce} -> 1 / 3. */
    NEAR(demand_dup_similarity("abcd", "abce"), 1.0 / 3.0);
    NEAR(demand_dup_similarity("abc", "abc"), 1.0);
    NEAR(demand_dup_similarity("abc", "xyz"), 0.0);
    /* Repeated trigrams count once: aaaa is {aaa}. */
    NEAR(demand_dup_similarity("aaaa", "aaa"), 1.0);
    /* Empty texts are similar to nothing, not to each other. */
    NEAR(demand_dup_similarity("", ""), 0.0);
    NEAR(demand_dup_similarity("abc", ""), 0.0);
    NEAR(demand_dup_similarity(NULL, "abc"), 0.0);
    /* Short texts are one gram. */
    NEAR(demand_dup_similarity("ab", "ab"), 1.0);
    NEAR(demand_dup_similarity("ab", "abc"), 0.0);
}
END_TEST

START_TEST(chinese)
{
    /* Code points, not bytes: 融资难 / 融资贵 share nothing as trigrams ... */
    NEAR(demand_dup_similarity("融资难", "融资贵"), 0.0);
    /* ... 企业融资难 {企业融, 业融资, 融资难} vs 企业融资贵 {企业融, 业融资, 融资贵}: 2 / 4. */
    NEAR(demand_dup_similarity("企业融资难", "企业融资贵"), 0.5);
    double near = demand_dup_similarity("园区道路破损严重，影响企业货车通行，请尽快修复。",
                                        "园区道路破损严重，影响货车通行，请尽快维修。");
    double far = demand_dup_similarity("园区道路破损严重，影响企业货车通行，请尽快修复。",
                                       "咨询高新技术企业认定的申报条件和材料清单。");
    ck_assert_msg(near > 0.3, "near %f", near);
    ck_assert_msg(far < 0.1, "far %f", far);
    /* Symmetric. */
    NEAR(demand_dup_similarity("企业融资难", "企业融资贵"),
         demand_dup_similarity("企业融资贵", "企业融资难"));
}
END_TEST

START_TEST(normalisation)
{
    /* Punctuation (ASCII, CJK, full-width) and white space are dropped, case folded. */
    NEAR(demand_dup_similarity("企业，融资。难！", "企业 融资难"), 1.0);
    NEAR(demand_dup_similarity("ABC-d", "abcd"), 1.0);
    NEAR(demand_dup_similarity("“融资”难", "融资难"), 1.0);
    /* Invalid bytes are U+FFFD, not a crash, and differ from text. */
    NEAR(demand_dup_similarity("ab\xff", "ab\xfe"), 1.0);
    NEAR(demand_dup_similarity("ab\xff", "abc"), 0.0);
    NEAR(demand_dup_similarity("\xe8\xb5", "\xe8\xb5"), 1.0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("demand_dup");
    TCase *tc = tcase_create("similarity");
    tcase_add_test(tc, exact_values);
    tcase_add_test(tc, chinese);
    tcase_add_test(tc, normalisation);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(suite)
