/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of src/catalog/catalog_search: query normalisation and pinyin initials (pure),
 * then, on SQLite and, with TEST_PG_DSN, on PostgreSQL, the index of six fixture items and a
 * bundle: 俗称 through aliases, synonyms and the bundle (办执照, 开公司, 刻章, 开饭店), pinyin
 * initials in either word order, one wrong character, materials and short queries, ranking
 * by usage and by industry, withdrawal, the zero-result log, synonym edits and the seed.
 */
#include <string.h>

#include "audit/audit.h"
#include "base/rc.h"
#include "catalog/catalog_search.h"
#include "unit.h"
#include "unit_db.h"

/* ---- pure ----------------------------------------------------------------------- */

START_TEST(normalize)
{
    char out[4 * CATALOG_SEARCH_Q_MAX + 1];
    catalog_search_normalize("  ＱＹＫＢ，开　公司！ ", out, sizeof(out));
    ck_assert_str_eq(out, "qykb 开 公司");
    catalog_search_normalize("《食品经营许可》", out, sizeof(out));
    ck_assert_str_eq(out, "食品经营许可");
    catalog_search_normalize("，。", out, sizeof(out));
    ck_assert_str_eq(out, "");
}
END_TEST

/* ---- fixture ---------------------------------------------------------------------- */

static const struct audit_actor WHO = {"user:tester", "T"};

static json_t *J(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    ck_assert_msg(j != NULL, "fixture JSON: %s", je.text);
    return j;
}

struct fx {
    int64_t id;
    const char *basic, *name, *item, *dept, *agency, *aliases, *guide;
};

static const struct fx FIX[] = {
    {1, "QR00100A01", "企业设立登记", "企业设立登记", "市场监督管理局", "合肥市市场监督管理局",
     "[\"营业执照办理\",\"开公司\",\"办执照\"]",
     "{\"materials\":[{\"name\":\"公司登记（备案）申请书\"},{\"name\":\"公司章程\"},"
     "{\"name\":\"住所使用证明\"}],\"acceptance_conditions\":[{\"text\":\"申请人已取得名称自主申报"
     "结果\"}],\"online_depth\":4,\"visits\":0,\"time_limit\":{\"promised_days\":1}}"},
    {2, "QT00200B02", "印章刻制备案", "公章刻制备案", "公安局", "合肥市公安局", "[]",
     "{\"materials\":[{\"name\":\"营业执照副本\"},{\"name\":\"印模\"}]}"},
    {3, "XK00300C03", "食品经营许可（新办）", "食品经营许可", "市场监督管理局",
     "合肥市市场监督管理局", "[\"餐饮许可证\",\"食品许可证\"]",
     "{\"materials\":[{\"name\":\"食品经营许可申请书\",\"when\":{\"fact\":\"industry\",\"op\":"
     "\"in\",\"value\":[\"62\",\"H\"]}}],\"cross_region\":{\"mode\":\"online\"}}"},
    {4, "XK00400D04", "建设工程施工许可证核发", "建设工程施工许可", "住房和城乡建设局",
     "合肥市城乡建设局", "[]",
     "{\"materials\":[{\"name\":\"建设工程规划许可证\"}],\"steps\":[{\"name\":\"受理\",\"when\":"
     "{\"all\":[{\"fact\":\"industry\",\"op\":\"in\",\"value\":[\"E\"]}]}}]}"},
    {5, "QR00500E05", "企业开办（个体工商户）", "企业开办", "市场监督管理局",
     "合肥市市场监督管理局", "[]", "{}"},
    {6, "GG00600F06", "银行预约开户", "银行预约开户", "人民银行", "中国人民银行合肥中心支行", "[]",
     "{}"},
};

static void index_fixture(struct conn *c)
{
    struct err e = {0};
    json_t *life = J("[\"zhunru\"]");
    for (size_t i = 0; i < sizeof(FIX) / sizeof(FIX[0]); i++) {
        json_t *aliases = J(FIX[i].aliases), *guide = J(FIX[i].guide);
        char impl_code[64];
        snprintf(impl_code, sizeof(impl_code), "%s001-340100000000-000-X-1-01", FIX[i].basic);
        struct catalog_search_doc d = {.version_id = 100 + FIX[i].id,
                                       .impl_code = impl_code,
                                       .basic_code = FIX[i].basic,
                                       .name = FIX[i].name,
                                       .item_name = FIX[i].item,
                                       .type = "xk",
                                       .dept = FIX[i].dept,
                                       .agency_name = FIX[i].agency,
                                       .region = "340100",
                                       .aliases = aliases,
                                       .life_stages = life,
                                       .guide = guide};
        enum rc rc = catalog_search_reindex(c, FIX[i].id, &d, 1000, &e);
        ck_assert_msg(rc == RC_OK, "reindex %lld: %s: %s", (long long)FIX[i].id, rc_name(rc),
                      e.msg);
        json_decref(aliases);
        json_decref(guide);
    }
    json_decref(life);
    json_t *b =
        J("{\"code\":\"YJS-QYKB\",\"name\":\"企业开办一件事\",\"life_stage\":\"zhunru\","
          "\"aliases\":[\"开公司\",\"办执照\"],\"members\":[{\"basic_code\":\"QR00100A01\"},"
          "{\"basic_code\":\"QT00200B02\"},{\"basic_code\":\"GG00600F06\"}]}");
    ck_assert_int_eq(catalog_search_reindex_bundle(c, "YJS-QYKB", b, &e), RC_OK);
    json_decref(b);
    json_t *b2 = J("{\"code\":\"YJS-KBCYD\",\"name\":\"开办餐饮店一件事\",\"life_stage\":"
                   "\"zhunru\",\"members\":[{\"basic_code\":\"XK00300C03\"}]}");
    ck_assert_int_eq(catalog_search_reindex_bundle(c, "YJS-KBCYD", b2, &e), RC_OK);
    json_decref(b2);
    json_t *syn = J("[{\"term\":\"刻章\",\"targets\":[\"QT00200B02\"]},"
                    "{\"term\":\"开饭店\",\"targets\":[\"XK00300C03\",\"YJS-KBCYD\"]}]");
    int added = 0;
    ck_assert_int_eq(catalog_synonyms_seed(c, syn, 1000, &added, &e), RC_OK);
    ck_assert_int_eq(added, 2);
    json_decref(syn);
}

/* Searches q; returns the answer (new). */
static json_t *find(struct conn *c, const char *q, const char *industry)
{
    struct err e = {0};
    json_t *out = NULL;
    struct catalog_search_query sq = {q, industry, 10};
    enum rc rc = catalog_search(c, &sq, 5000, &out, &e);
    ck_assert_msg(rc == RC_OK, "search %s: %s: %s", q, rc_name(rc), e.msg);
    return out;
}

static int64_t nth_id(const json_t *out, size_t i)
{
    const json_t *items = json_object_get(out, "items");
    ck_assert_msg(i < json_array_size(items), "only %zu items", json_array_size(items));
    return json_integer_value(json_object_get(json_array_get(items, i), "id"));
}

static const char *nth_matched(const json_t *out, size_t i)
{
    return json_string_value(
        json_object_get(json_array_get(json_object_get(out, "items"), i), "matched"));
}

/* Asserts that q finds id first, matched as how. */
#define FIRST(c, q, ind, want, how)                                                                \
    do {                                                                                           \
        json_t *o_ = find(c, q, ind);                                                              \
        ck_assert_msg(json_array_size(json_object_get(o_, "items")) > 0, "%s found nothing", q);   \
        ck_assert_msg(nth_id(o_, 0) == (want), "%s: first %lld, want %lld", q,                     \
                      (long long)nth_id(o_, 0), (long long)(want));                                \
        ck_assert_str_eq(nth_matched(o_, 0), how);                                                 \
        json_decref(o_);                                                                           \
    } while (0)

static struct store *db;
static struct conn *cx;

static void setup(void)
{
    db = unit_db_open(1);
    cx = unit_db_take(db);
    index_fixture(cx);
}

static void teardown(void)
{
    store_release(cx);
    store_close(db);
}

/* ---- 俗称 ---------------------------------------------------------------------------- */

START_TEST(common_names)
{
    setup();
    FIRST(cx, "办执照", NULL, 1, "alias");
    FIRST(cx, "开公司", NULL, 1, "alias");
    FIRST(cx, "刻章", NULL, 2, "synonym");
    FIRST(cx, "开饭店", NULL, 3, "synonym");
    /* The bundles named by the query (and by a synonym) come with the answer. */
    json_t *o = find(cx, "开公司", NULL);
    ck_assert_str_eq(json_string_value(
                         json_object_get(json_array_get(json_object_get(o, "bundles"), 0), "code")),
                     "YJS-QYKB");
    /* Its other members follow the item the alias names. */
    ck_assert_int_eq(nth_id(o, 1), 2);
    ck_assert_str_eq(nth_matched(o, 1), "bundle");
    json_decref(o);
    o = find(cx, "开饭店", NULL);
    ck_assert_str_eq(json_string_value(
                         json_object_get(json_array_get(json_object_get(o, "bundles"), 0), "code")),
                     "YJS-KBCYD");
    json_decref(o);
    teardown();
}
END_TEST

START_TEST(pinyin_initials)
{
    setup();
    FIRST(cx, "qykb", NULL, 5, "initials");
    FIRST(cx, "QYKB", NULL, 5, "initials");
    FIRST(cx, "kbqy", NULL, 5, "text"); /* the words in the other order */
    FIRST(cx, "sgxk", NULL, 4, "initials");
    /* 行 in 银行 reads hang: the polyphone's variant is indexed. */
    FIRST(cx, "yhyykh", NULL, 6, "initials");
    teardown();
}
END_TEST

START_TEST(one_wrong_character)
{
    setup();
    FIRST(cx, "食品经营许科", NULL, 3, "typo");
    FIRST(cx, "建设工程施工许可正", NULL, 4, "typo");
    FIRST(cx, "营业执造", NULL, 1, "typo");
    FIRST(cx, "银行预约开护", NULL, 6, "typo");
    FIRST(cx, "印章刻制备按", NULL, 2, "typo");
    /* Two wrong characters are not a typo. */
    json_t *o = find(cx, "食品经营许科证号", NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "total")), 0);
    json_decref(o);
    teardown();
}
END_TEST

START_TEST(texts_and_short_queries)
{
    setup();
    FIRST(cx, "住所使用证明", NULL, 1, "text");         /* a material */
    FIRST(cx, "名称自主申报", NULL, 1, "text");         /* an acceptance condition */
    FIRST(cx, "印模", NULL, 2, "text");                 /* two characters, a material: no */
    FIRST(cx, "公安", NULL, 2, "agency");               /* two characters */
    FIRST(cx, "食品经营许可（新办）", NULL, 3, "name"); /* exact name */
    FIRST(cx, "食品 许可", NULL, 3, "name");            /* two words */
    teardown();
}
END_TEST

START_TEST(ranking_usage_and_industry)
{
    setup();
    /* 许可 is in two names: the lower id first while neither is used. */
    json_t *o = find(cx, "许可", NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "total")), 2);
    ck_assert_int_eq(nth_id(o, 0), 3);
    json_decref(o);
    /* A page smaller than the matches: the total counts them all. */
    struct err e = {0};
    struct catalog_search_query one = {"许可", NULL, 1};
    ck_assert_int_eq(catalog_search(cx, &one, 5000, &o, &e), RC_OK);
    ck_assert_int_eq(json_array_size(json_object_get(o, "items")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "total")), 2);
    json_decref(o);
    setenv("QIFU_CATALOG_USAGE_BATCH", "1", 1);
    for (int i = 0; i < 3; i++)
        catalog_usage_note(cx, 4, CATALOG_USAGE_VIEW, 2000 + i);
    o = find(cx, "许可", NULL);
    ck_assert_int_eq(nth_id(o, 0), 4);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_array_get(json_object_get(o, "items"), 0), "uses")),
        3);
    json_decref(o);
    /* A restaurant (H6210 正餐服务) sees the food licence first all the same; a builder
     * (E4710) the construction permit. */
    FIRST(cx, "许可", "6210", 3, "name");
    FIRST(cx, "许可", "4710", 4, "name");
    /* The industry never lifts an item over an exact synonym or name. */
    FIRST(cx, "开饭店", "4710", 3, "synonym");
    teardown();
}
END_TEST

START_TEST(withdrawal)
{
    setup();
    struct err e = {0};
    ck_assert_int_gt(unit_db_int(cx, "SELECT COUNT(*) FROM catalog_search_terms WHERE impl_id = 3"),
                     10);
    ck_assert_int_eq(catalog_search_reindex(cx, 3, NULL, 3000, &e), RC_OK);
    ck_assert_int_eq(unit_db_int(cx, "SELECT COUNT(*) FROM catalog_search_terms WHERE impl_id = 3"),
                     0);
    json_t *o = find(cx, "食品经营许可", NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "total")), 0);
    json_decref(o);
    /* The typo search finds nothing of it either, and its grams are gone. */
    o = find(cx, "餐饮", NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "total")), 0);
    json_decref(o);
    teardown();
}
END_TEST

START_TEST(zero_results_logged)
{
    setup();
    struct err e = {0};
    json_t *o = find(cx, "火星移民", NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "total")), 0);
    json_decref(o);
    json_decref(find(cx, " 火星移民！", NULL));
    json_decref(find(cx, "办执照", NULL)); /* found: not logged */
    json_t *m = NULL;
    ck_assert_int_eq(catalog_search_misses(cx, 10, &m, &e), RC_OK);
    ck_assert_int_eq(json_array_size(m), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(m, 0), "query")), "火星移民");
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(m, 0), "count")), 2);
    json_decref(m);
    /* A full log takes no new query, and still counts the ones it has. */
    ck_assert_int_eq(store_exec(cx,
                                "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n "
                                "WHERE i < 10000) INSERT INTO catalog_search_misses (query, n, "
                                "first_seen, last_seen) SELECT 'filler' || i, 1, 0, 0 FROM n",
                                &e),
                     RC_OK);
    json_decref(find(cx, "宇宙飞船", NULL));
    json_decref(find(cx, "火星移民", NULL));
    ck_assert_int_eq(unit_db_int(cx, "SELECT COUNT(*) FROM catalog_search_misses"), 10000);
    ck_assert_int_eq(
        unit_db_int(cx, "SELECT n FROM catalog_search_misses WHERE query = '火星移民'"), 3);
    teardown();
}
END_TEST

START_TEST(synonym_edits)
{
    setup();
    struct err e = {0};
    int64_t id = 0;
    json_t *t = J("[\"XK00400D04\"]");
    /* Before: 开工 finds nothing. */
    json_t *o = find(cx, "开工证", NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "total")), 0);
    json_decref(o);
    ck_assert_int_eq(catalog_synonym_put(cx, &WHO, 0, "开工证", t, "施工许可证俗称", 4000, &id, &e),
                     RC_OK);
    FIRST(cx, "开工证", NULL, 4, "synonym");
    /* The same term again is refused; so are bad targets. */
    int64_t id2 = 0;
    ck_assert_int_eq(catalog_synonym_put(cx, &WHO, 0, "开工证", t, NULL, 4000, &id2, &e),
                     RC_EXISTS);
    ck_assert_str_eq(e.field, "term");
    json_t *bad = J("[\"not a code\"]");
    ck_assert_int_eq(catalog_synonym_put(cx, &WHO, 0, "施工证", bad, NULL, 4000, &id2, &e),
                     RC_INVALID);
    ck_assert_str_eq(e.field, "targets");
    json_decref(bad);
    /* Changed to the food licence, then deleted. */
    json_t *t2 = J("[\"XK00300C03\"]");
    ck_assert_int_eq(catalog_synonym_put(cx, &WHO, id, "开工证", t2, NULL, 4001, NULL, &e), RC_OK);
    FIRST(cx, "开工证", NULL, 3, "synonym");
    ck_assert_int_eq(catalog_synonym_delete(cx, &WHO, id, &e), RC_OK);
    ck_assert_int_eq(catalog_synonym_delete(cx, &WHO, id, &e), RC_NOTFOUND);
    /* The seed adds only terms not there: an edited 刻章 is kept. */
    json_t *list = NULL;
    ck_assert_int_eq(catalog_synonym_list(cx, &list, &e), RC_OK);
    ck_assert_int_eq(json_array_size(list), 2);
    json_decref(list);
    json_t *seed = J("{\"synonyms\":[{\"term\":\"刻章\",\"targets\":[\"XK00300C03\"]},"
                     "{\"term\":\"办烟草证\",\"targets\":[\"XK00300C03\"]}]}");
    int added = 0;
    ck_assert_int_eq(catalog_synonyms_seed(cx, seed, 5000, &added, &e), RC_OK);
    ck_assert_int_eq(added, 1);
    FIRST(cx, "刻章", NULL, 2, "synonym");
    json_decref(seed);
    json_decref(t);
    json_decref(t2);
    teardown();
}
END_TEST

static void add_store_tests(TCase *tc)
{
    tcase_add_test(tc, common_names);
    tcase_add_test(tc, pinyin_initials);
    tcase_add_test(tc, one_wrong_character);
    tcase_add_test(tc, texts_and_short_queries);
    tcase_add_test(tc, ranking_usage_and_industry);
    tcase_add_test(tc, withdrawal);
    tcase_add_test(tc, zero_results_logged);
    tcase_add_test(tc, synonym_edits);
}

static Suite *suite(void)
{
    Suite *s = suite_create("catalog_search");
    TCase *tc = tcase_create("pure");
    tcase_add_test(tc, normalize);
    suite_add_tcase(s, tc);
    tc = tcase_create("sqlite");
    tcase_add_unchecked_fixture(tc, unit_db_sqlite_once, unit_db_sqlite_done);
    tcase_add_checked_fixture(tc, unit_db_sqlite, unit_db_drop);
    tcase_set_timeout(tc, 30);
    add_store_tests(tc);
    suite_add_tcase(s, tc);
#ifdef WITH_PG
    if (getenv("TEST_PG_DSN") && *getenv("TEST_PG_DSN")) {
        tc = tcase_create("postgres");
        tcase_add_checked_fixture(tc, unit_db_pg, unit_db_drop);
        tcase_set_timeout(tc, 60);
        add_store_tests(tc);
        suite_add_tcase(s, tc);
    }
#endif
    return s;
}

UNIT_MAIN(suite)
