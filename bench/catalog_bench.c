/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog_bench: the data and the peer of bench/catalog_search.sh.
 *
 *   catalog_bench gen DB_URL N        writes N generated service items into the search index
 *                                     through catalog_search_reindex (what the publish path
 *                                     calls), 2 bundles and the synonyms of 俗称, on a migrated
 *                                     database
 *   catalog_bench peer DB_PATH QFILE R  the bare full-text query of each line of QFILE (a
 *                                     query as typed), R times, through the SQLite C API on the
 *                                     same file: FTS5 MATCH for 3+ characters, the gram table
 *                                     for shorter ones; prints "PEER q count" per query and
 *                                     "LAT ms" per run
 *
 * Items: 事项 of the enterprise life cycle (the names of data/catalog and issue 18) × their
 * 业务办理项 (新办/变更/延续/注销) × 实施主体 (the 16 cities of Anhui and their districts and
 * counties), each with 4-9 materials from a pool, 1-3 acceptance conditions and, for some,
 * an industry condition; deterministic (a fixed seed).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/rc.h"
#include "catalog/catalog_search.h"
#include "store/store.h"

static const struct {
    const char *name, *dept, *aliases, *industry;
} ITEMS[] = {
    {"企业设立登记", "市场监督管理局", "[\"办执照\",\"开公司\",\"营业执照办理\"]", NULL},
    {"企业开办全程网办", "市场监督管理局", "[]", NULL},
    {"企业变更登记", "市场监督管理局", "[\"改名字\",\"变更执照\"]", NULL},
    {"企业注销登记", "市场监督管理局", "[\"关公司\"]", NULL},
    {"企业简易注销", "市场监督管理局", "[]", NULL},
    {"个体工商户登记", "市场监督管理局", "[\"办个体执照\"]", NULL},
    {"印章刻制备案", "公安局", "[]", NULL},
    {"发票申领", "税务局", "[\"领发票\"]", NULL},
    {"社会保险登记", "人力资源和社会保障局", "[\"社保开户\"]", NULL},
    {"员工参保登记", "人力资源和社会保障局", "[\"交社保\"]", NULL},
    {"住房公积金缴存登记", "住房公积金管理中心", "[\"公积金开户\"]", NULL},
    {"银行预约开户", "人民银行", "[]", NULL},
    {"食品经营许可", "市场监督管理局", "[\"餐饮许可证\",\"食品许可证\"]", "[\"H62\",\"F52\"]"},
    {"食品生产许可", "市场监督管理局", "[]", "[\"C13\",\"C14\"]"},
    {"建设工程施工许可证核发", "住房和城乡建设局", "[\"开工证\"]", "[\"E47\",\"E48\"]"},
    {"建设工程规划许可证核发", "自然资源和规划局", "[]", "[\"E47\"]"},
    {"排污许可", "生态环境局", "[\"排污证\"]", "[\"C\"]"},
    {"取水许可", "水利局", "[]", "[\"C\",\"D\"]"},
    {"道路运输经营许可", "交通运输局", "[\"道路运输证\"]", "[\"G54\"]"},
    {"出版物经营许可", "新闻出版局", "[]", "[\"F51\"]"},
    {"公共场所卫生许可", "卫生健康委员会", "[\"卫生许可证\"]", "[\"O80\",\"R89\"]"},
    {"建设工程消防验收", "住房和城乡建设局", "[\"消防验收\"]", "[\"E\"]"},
    {"建设工程消防验收备案", "住房和城乡建设局", "[]", "[\"E\"]"},
    {"招用员工就业登记", "人力资源和社会保障局", "[\"招工备案\"]", NULL},
    {"高新技术企业认定", "科学技术局", "[\"高企认定\"]", "[\"I\",\"M\"]"},
    {"药品经营许可", "市场监督管理局", "[]", "[\"F52\"]"},
    {"医疗器械经营备案", "市场监督管理局", "[]", "[\"F51\",\"F52\"]"},
    {"危险化学品经营许可", "应急管理局", "[]", "[\"F51\"]"},
    {"烟草专卖零售许可", "烟草专卖局", "[\"办烟草证\"]", "[\"F52\"]"},
    {"酒类商品零售许可", "商务局", "[]", "[\"F52\"]"},
    {"户外广告设施设置审批", "城市管理局", "[\"挂招牌\"]", NULL},
    {"城镇污水排入排水管网许可", "城市管理局", "[\"排水证\"]", NULL},
    {"建筑业企业资质核准", "住房和城乡建设局", "[]", "[\"E\"]"},
    {"人力资源服务许可", "人力资源和社会保障局", "[]", "[\"L72\"]"},
    {"劳务派遣经营许可", "人力资源和社会保障局", "[]", "[\"L72\"]"},
    {"旅行社设立许可", "文化和旅游局", "[]", "[\"L72\"]"},
    {"网络文化经营许可", "文化和旅游局", "[]", "[\"I64\"]"},
    {"娱乐场所经营许可", "文化和旅游局", "[\"开KTV\"]", "[\"R90\"]"},
    {"特种设备使用登记", "市场监督管理局", "[]", "[\"C\"]"},
    {"计量器具型式批准", "市场监督管理局", "[]", "[\"C40\"]"},
    {"工业产品生产许可", "市场监督管理局", "[]", "[\"C\"]"},
    {"城市建筑垃圾处置核准", "城市管理局", "[]", "[\"E\"]"},
    {"占用挖掘城市道路审批", "城市管理局", "[]", "[\"E\"]"},
    {"股权出质登记", "市场监督管理局", "[]", NULL},
    {"动产抵押登记", "市场监督管理局", "[]", NULL},
    {"企业名称自主申报", "市场监督管理局", "[\"起名字\",\"企业核名\"]", NULL},
    {"外商投资企业设立备案", "商务局", "[]", NULL},
    {"对外贸易经营者备案登记", "商务局", "[\"进出口权\"]", "[\"F51\"]"},
    {"海关报关单位备案", "海关", "[]", "[\"F51\"]"},
    {"增值税一般纳税人登记", "税务局", "[\"一般纳税人\"]", NULL},
    {"税务注销", "税务局", "[]", NULL},
    {"残疾人就业保障金申报", "税务局", "[]", NULL},
    {"稳岗返还", "人力资源和社会保障局", "[]", NULL},
    {"职业技能培训补贴", "人力资源和社会保障局", "[]", NULL},
    {"专精特新中小企业认定", "经济和信息化局", "[]", "[\"C\"]"},
    {"科技型中小企业评价", "科学技术局", "[]", "[\"I\",\"M\"]"},
    {"建设项目环境影响评价审批", "生态环境局", "[\"环评\"]", "[\"C\",\"E\"]"},
    {"固定资产投资项目备案", "发展和改革委员会", "[\"项目备案\"]", NULL},
    {"节能审查", "发展和改革委员会", "[]", "[\"C\"]"},
    {"临时占用林地审批", "林业局", "[]", NULL},
    {"农药经营许可", "农业农村局", "[]", "[\"F51\",\"F52\"]"},
};
#define N_ITEMS (sizeof(ITEMS) / sizeof(ITEMS[0]))

static const char *const KINDS[] = {"新办", "变更", "延续", "注销"};
static const char *const CITIES[] = {"合肥", "芜湖", "蚌埠", "淮南", "马鞍山", "淮北",
                                     "铜陵", "安庆", "黄山", "滁州", "阜阳",   "宿州",
                                     "六安", "亳州", "池州", "宣城"};
static const char *const PLACES[] = {
    "市",       "市蜀山区", "市包河区", "市瑶海区", "市庐阳区", "市经开区", "市高新区",
    "市新站区", "市肥东县", "市肥西县", "市长丰县", "市庐江县", "市巢湖市", "市宜秀区",
    "市大观区", "市迎江区", "市怀宁县", "市桐城市", "市潜山市", "市太湖县", "市宿松县"};
static const char *const MATERIALS[] = {"申请书",
                                        "法定代表人身份证明",
                                        "营业执照副本",
                                        "住所使用证明",
                                        "公司章程",
                                        "股东会决议",
                                        "经营场所平面图",
                                        "从业人员健康证明",
                                        "设备设施清单",
                                        "安全管理制度",
                                        "授权委托书",
                                        "技术人员资格证书",
                                        "环境影响评价文件",
                                        "消防设计审查合格意见",
                                        "建设工程规划许可证",
                                        "施工合同",
                                        "工程质量安全承诺书",
                                        "财务会计报告",
                                        "纳税证明",
                                        "社会保险缴费证明",
                                        "劳动合同",
                                        "场地租赁合同",
                                        "产权证明",
                                        "检验检测报告",
                                        "承诺书"};
static const char *const CONDITIONS[] = {
    "申请人已依法取得营业执照",     "经营场所符合规划要求",     "具有与经营项目相适应的设备设施",
    "有专职或者兼职的安全管理人员", "法定代表人无不良信用记录", "近三年无重大违法违规记录",
    "已完成名称自主申报",           "符合国家产业政策"};

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static int gen(const char *url, long n)
{
    struct store *s = NULL;
    struct conn *c = NULL;
    struct err e = {0};
    enum rc rc = store_open(url, 1, &s, &e);
    if (rc == RC_OK)
        rc = store_acquire(s, &c, &e);
    if (rc == RC_OK)
        rc = store_begin(c, &e);
    long made = 0;
    size_t n_places = sizeof(PLACES) / sizeof(PLACES[0]);
    for (long i = 0; rc == RC_OK && made < n; i++) {
        size_t item = (size_t)(i % (long)N_ITEMS);
        size_t kind = (size_t)(i / (long)N_ITEMS) % 4;
        size_t where = (size_t)(i / (long)(N_ITEMS * 4));
        const char *city = CITIES[where % 16];
        const char *place = PLACES[(where / 16) % n_places];
        char name[256], agency[256], basic[32], impl_code[96], region[8];
        snprintf(name, sizeof(name), "%s（%s）", ITEMS[item].name, KINDS[kind]);
        snprintf(agency, sizeof(agency), "%s%s%s", city, place, ITEMS[item].dept);
        snprintf(basic, sizeof(basic), "GEN%03zu0000", item);
        snprintf(region, sizeof(region), "34%02zu00", where % 16 + 1);
        snprintf(impl_code, sizeof(impl_code), "%s001-%s000000-000-X-%zu-%04ld", basic, region,
                 kind + 1, i);
        json_t *guide = json_object();
        json_t *mats = json_array(), *conds = json_array();
        unsigned nm = 4 + rnd(6);
        for (unsigned k = 0; k < nm; k++) {
            char m[160];
            snprintf(m, sizeof(m), "%s%s", k == 0 ? ITEMS[item].name : "",
                     MATERIALS[rnd(sizeof(MATERIALS) / sizeof(MATERIALS[0]))]);
            json_t *mat = json_pack("{s:s}", "name", m);
            if (k == 1 && ITEMS[item].industry)
                json_object_set_new(mat, "when",
                                    json_pack("{s:s, s:s, s:o}", "fact", "industry", "op", "in",
                                              "value", json_loads(ITEMS[item].industry, 0, NULL)));
            json_array_append_new(mats, mat);
        }
        unsigned nc = 1 + rnd(3);
        for (unsigned k = 0; k < nc; k++)
            json_array_append_new(
                conds, json_pack("{s:s}", "text",
                                 CONDITIONS[rnd(sizeof(CONDITIONS) / sizeof(CONDITIONS[0]))]));
        json_object_set_new(guide, "materials", mats);
        json_object_set_new(guide, "acceptance_conditions", conds);
        json_object_set_new(guide, "online_depth", json_integer(1 + rnd(4)));
        json_object_set_new(guide, "visits", json_integer(rnd(2)));
        json_object_set_new(guide, "time_limit", json_pack("{s:i}", "promised_days", 1 + rnd(20)));
        json_t *aliases = kind == 0 ? json_loads(ITEMS[item].aliases, 0, NULL) : json_array();
        json_t *life = json_pack("[s]", kind == 3 ? "zhuxiao" : "zhunru");
        struct catalog_search_doc d = {.version_id = i + 1,
                                       .impl_code = impl_code,
                                       .basic_code = basic,
                                       .name = name,
                                       .item_name = ITEMS[item].name,
                                       .type = "xk",
                                       .dept = ITEMS[item].dept,
                                       .agency_name = agency,
                                       .region = region,
                                       .aliases = aliases,
                                       .life_stages = life,
                                       .guide = guide};
        rc = catalog_search_reindex(c, i + 1, &d, 0, &e);
        json_decref(guide);
        json_decref(aliases);
        json_decref(life);
        made++;
        if (rc == RC_OK && made % 2000 == 0) {
            rc = store_commit(c, &e);
            if (rc == RC_OK)
                rc = store_begin(c, &e);
        }
    }
    json_t *b = json_loads("{\"code\":\"YJS-QYKB\",\"name\":\"企业开办一件事\",\"life_stage\":"
                           "\"zhunru\",\"aliases\":[\"开公司\",\"办执照\"],\"members\":[{"
                           "\"basic_code\":\"GEN0000000\"},{\"basic_code\":\"GEN0060000\"}]}",
                           0, NULL);
    if (rc == RC_OK)
        rc = catalog_search_reindex_bundle(c, "YJS-QYKB", b, &e);
    json_decref(b);
    b = json_loads("{\"code\":\"YJS-KBCYD\",\"name\":\"开办餐饮店一件事\",\"life_stage\":"
                   "\"zhunru\",\"aliases\":[\"开饭店\"],\"members\":[{\"basic_code\":"
                   "\"GEN0120000\"}]}",
                   0, NULL);
    if (rc == RC_OK)
        rc = catalog_search_reindex_bundle(c, "YJS-KBCYD", b, &e);
    json_decref(b);
    json_t *syn = json_loads("[{\"term\":\"刻章\",\"targets\":[\"GEN0060000\"]},"
                             "{\"term\":\"开饭店\",\"targets\":[\"GEN0120000\",\"YJS-KBCYD\"]}]",
                             0, NULL);
    if (rc == RC_OK)
        rc = catalog_synonyms_seed(c, syn, 0, NULL, &e);
    json_decref(syn);
    if (rc == RC_OK)
        rc = store_commit(c, &e);
    if (rc)
        fprintf(stderr, "catalog_bench gen: %s: %s\n", rc_name(rc), e.msg);
    else
        printf("GEN items=%ld\n", made);
    store_release(c);
    store_close(s);
    return rc ? 1 : 0;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* The bare query: the rows of the index that hold q (no ranking, synonyms or typos). */
static int peer(const char *path, const char *qfile, int reps)
{
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "catalog_bench peer: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    FILE *f = fopen(qfile, "r");
    if (!f) {
        perror(qfile);
        return 1;
    }
    char line[512];
    char qs[256][512];
    int n = 0;
    while (n < 256 && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0])
            strcpy(qs[n++], line);
    }
    fclose(f);
    sqlite3_stmt *fts, *terms;
    sqlite3_prepare_v2(db,
                       "SELECT COUNT(*) FROM (SELECT rowid FROM catalog_search_fts WHERE "
                       "catalog_search_fts MATCH ?)",
                       -1, &fts, NULL);
    sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM catalog_search_terms WHERE term = ?", -1, &terms,
                       NULL);
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < n; i++) {
            char phrase[1100];
            int chars = 0;
            for (const unsigned char *p = (const unsigned char *)qs[i]; *p; p++)
                chars += (*p & 0xc0) != 0x80;
            sqlite3_stmt *st = chars >= 3 ? fts : terms;
            if (chars >= 3)
                snprintf(phrase, sizeof(phrase), "\"%.510s\"", qs[i]);
            else
                snprintf(phrase, sizeof(phrase), "%.510s", qs[i]);
            double t0 = now_ms();
            sqlite3_bind_text(st, 1, phrase, -1, SQLITE_TRANSIENT);
            long long count = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
            sqlite3_reset(st);
            double t1 = now_ms();
            printf("LAT %.4f\n", t1 - t0);
            if (r == 0)
                printf("PEER %s %lld\n", qs[i], count);
        }
    sqlite3_finalize(fts);
    sqlite3_finalize(terms);
    sqlite3_close(db);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "gen") == 0)
        return gen(argv[2], atol(argv[3]));
    if (argc == 5 && strcmp(argv[1], "peer") == 0)
        return peer(argv[2], argv[3], atoi(argv[4]));
    fprintf(stderr, "usage: catalog_bench gen DB_URL N | peer DB_PATH QUERYFILE REPS\n");
    return 2;
}
