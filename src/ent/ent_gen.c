/* SPDX-License-Identifier: Apache-2.0 */
/* ent_gen: the synthetic enterprise generator (splitmix64, fixed tables). */
#include "ent_gen.h"

#include <math.h>
#include <string.h>

#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../codes/codes.h"

struct rng {
    uint64_t s;
};

static uint64_t next(struct rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double unif(struct rng *r)
{
    return (double)(next(r) >> 11) / 9007199254740992.0;
}

static int between(struct rng *r, int lo, int hi)
{
    return lo + (int)(unif(r) * (hi - lo + 1));
}

static bool chance(struct rng *r, double p)
{
    return unif(r) < p;
}

/* Log-uniform value in [lo, hi]. */
static int64_t logu(struct rng *r, double lo, double hi)
{
    return (int64_t)exp(log(lo) + unif(r) * (log(hi) - log(lo)));
}

static const char *pick(struct rng *r, const char *const *list, size_t n)
{
    return list[next(r) % n];
}
#define PICK(r, arr) pick((r), (arr), sizeof(arr) / sizeof((arr)[0]))

/* Anhui's 16 prefecture-level cities with a weight (share of enterprises, %). */
static const struct {
    const char *code, *short_name;
    int weight;
} cities[] = {{"340100", "合肥", 28}, {"340200", "芜湖", 11}, {"340300", "蚌埠", 5},
              {"340400", "淮南", 4},  {"340500", "马鞍山", 5}, {"340600", "淮北", 3},
              {"340700", "铜陵", 3},  {"340800", "安庆", 8},  {"341000", "黄山", 3},
              {"341100", "滁州", 7},  {"341200", "阜阳", 8},  {"341300", "宿州", 5},
              {"341500", "六安", 5},  {"341600", "亳州", 5},  {"341700", "池州", 2},
              {"341800", "宣城", 4}};

/* Sections with a weight and words that go into names. */
static const struct {
    char section;
    int weight;
    const char *words[4];
} sections[] = {{'A', 3, {"农业科技", "生态农业", "农林", "种养殖"}},
                {'C', 30, {"机械", "电子科技", "新材料", "精密制造"}},
                {'D', 1, {"能源", "新能源", "电力", "燃气"}},
                {'E', 6, {"建设工程", "建筑", "装饰工程", "市政工程"}},
                {'F', 22, {"商贸", "贸易", "商业", "供应链"}},
                {'G', 5, {"物流", "运输", "仓储", "快运"}},
                {'H', 5, {"餐饮管理", "酒店管理", "餐饮", "食府"}},
                {'I', 8, {"信息技术", "软件", "网络科技", "数据科技"}},
                {'K', 3, {"置业", "房地产开发", "物业管理", "地产"}},
                {'L', 6, {"企业管理", "咨询", "人力资源", "商务服务"}},
                {'M', 6, {"科技", "检测技术", "设计", "技术服务"}},
                {'O', 3, {"家政服务", "汽车服务", "维修服务", "生活服务"}},
                {'R', 2, {"文化传媒", "文化创意", "体育发展", "影视"}}};

static const char *const brand1[] = {"华", "恒", "瑞", "鑫", "创", "新", "金", "盛", "宏", "信",
                                     "达", "远", "嘉", "博", "科", "智", "源", "泰", "安", "顺",
                                     "皖", "徽", "江", "淮", "天", "中", "国", "长", "永", "佳"};
static const char *const brand2[] = {"通", "兴", "丰", "利", "盈", "辰", "宇", "峰", "诚", "联",
                                     "润", "合", "航", "启", "越", "明", "德", "和", "邦", "晟"};
static const char *const suffixes[] = {"有限公司", "有限公司", "有限公司", "有限公司",
                                       "有限公司", "股份有限公司", "有限责任公司"};
static const char *const surnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴",
                                       "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林",
                                       "汪", "方", "程", "檀", "葛", "许"};
static const char *const given[] = {"伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋",
                                    "勇", "艳", "杰", "涛", "明", "超", "秀英", "建华",
                                    "志强", "海燕", "晓东", "文", "斌", "慧", "宇"};
static const char *const titles[] = {"总经理", "财务负责人", "办公室主任", "行政经理"};
static const char *const roads[] = {"长江路", "人民路", "建设路", "创新大道", "科技路",
                                    "黄山路", "湖滨路", "迎宾大道", "工业园路", "经开大道"};

struct tables {
    const struct codes_region *counties[16][64];
    size_t n_counties[16];
    const char *classes[sizeof(sections) / sizeof(sections[0])][512];
    size_t n_classes[sizeof(sections) / sizeof(sections[0])];
};

/* Collects the 4-digit classes under code into out. */
static void collect(const char *code, const char **out, size_t *n, size_t max)
{
    const struct codes_industry *kids[256];
    size_t k = codes_industry_children(code, kids, 256);
    for (size_t i = 0; i < k && i < 256; i++) {
        if (strlen(kids[i]->code) == 4) {
            if (*n < max)
                out[(*n)++] = kids[i]->code;
        } else {
            collect(kids[i]->code, out, n, max);
        }
    }
}

static void tables_init(struct tables *t)
{
    for (size_t c = 0; c < 16; c++)
        t->n_counties[c] = codes_region_children(cities[c].code, t->counties[c], 64);
    for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
        char sec[2] = {sections[s].section, '\0'};
        t->n_classes[s] = 0;
        collect(sec, t->classes[s], &t->n_classes[s], 512);
    }
}

static const char org_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY"; /* 31 symbols */

/* GB 11714 check character of an 8-character organisation code body. */
static char org_check(const char *body)
{
    static const int w[8] = {3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 8; i++) {
        char ch = body[i];
        int v = ch <= '9' ? ch - '0' : ch - 'A' + 10;
        sum += v * w[i];
    }
    int c = 11 - sum % 11;
    return c == 10 ? 'X' : c == 11 ? '0' : (char)('0' + c);
}

/* A unique credit code for row i: the organisation code is a bijection of i. */
void ent_gen_credit_code(const char *county, uint64_t seed, size_t i, char out[19])
{
    const uint64_t space = 852891037441ULL; /* 31^8 */
    uint64_t x = ((uint64_t)i * 1000003ULL + seed * 7919ULL) % space;
    out[0] = '9';
    out[1] = '1';
    memcpy(out + 2, county, 6);
    for (int k = 7; k >= 0; k--) {
        out[8 + k] = org_alphabet[x % 31];
        x /= 31;
    }
    out[16] = org_check(out + 8);
    out[17] = codes_credit_code_check_char(out);
    out[18] = '\0';
}

static void id_number(struct rng *r, const char *county, char out[19])
{
    unsigned y = (unsigned)between(r, 1960, 2000) % 10000, m = (unsigned)between(r, 1, 12) % 100,
             d = (unsigned)between(r, 1, 28) % 100, q = (unsigned)between(r, 1, 999) % 1000;
    char tmp[32];
    snprintf(tmp, sizeof(tmp), "%.6s%04u%02u%02u%03u", county, y, m, d, q);
    memcpy(out, tmp, 17);
    out[17] = codes_id_number_check_char(out);
    out[18] = '\0';
}

static void person(struct rng *r, char *out, size_t n)
{
    snprintf(out, n, "%s%s", PICK(r, surnames), PICK(r, given));
}

/* Writes a cell, or nothing when missing (about 10% of fact cells). */
static void cell_i(FILE *f, struct rng *r, bool present, int64_t v)
{
    if (present && !chance(r, 0.10))
        fprintf(f, ",%lld", (long long)v);
    else
        fputc(',', f);
}

static void cell_s(FILE *f, struct rng *r, bool present, const char *v)
{
    if (present && !chance(r, 0.10))
        fprintf(f, ",%s", v);
    else
        fputc(',', f);
}

enum rc ent_gen_csv(FILE *f, uint64_t seed, size_t n, struct err *e)
{
    struct tables *t = xcalloc(1, sizeof(*t));
    tables_init(t);
    struct rng r = {seed * 0x2545F4914F6CDD1DULL + 1};
    fputs("credit_code,name,region,industry,founded,registered_capital,scale,legal_rep,address,"
          "tags,contact_name,contact_title,contact_mobile,contact_id_number,as_of,employees,"
          "insured_employees,revenue,rd_expense,tax_paid,tax_credit_rating,dishonest_executee,"
          "equipment_investment,loan_interest,invention_patents\n",
          f);
    int city_total = 0, sec_total = 0;
    for (size_t c = 0; c < 16; c++)
        city_total += cities[c].weight;
    for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++)
        sec_total += sections[s].weight;
    for (size_t i = 0; i < n; i++) {
        int x = (int)(next(&r) % (uint64_t)city_total), ci = 0;
        while (x >= cities[ci].weight)
            x -= cities[ci++].weight;
        const struct codes_region *county =
            t->counties[ci][next(&r) % (t->n_counties[ci] ? t->n_counties[ci] : 1)];
        int y = (int)(next(&r) % (uint64_t)sec_total), si = 0;
        while (y >= sections[si].weight)
            y -= sections[si++].weight;
        const char *industry = t->classes[si][next(&r) % t->n_classes[si]];
        char sec = sections[si].section;
        bool tech = sec == 'C' || sec == 'I' || sec == 'M';

        double u = unif(&r);
        const char *scale = u < 0.70 ? "micro" : u < 0.90 ? "small" : u < 0.98 ? "medium" : "large";
        int level = u < 0.70 ? 0 : u < 0.90 ? 1 : u < 0.98 ? 2 : 3;
        static const double emp_lo[] = {1, 20, 300, 1000}, emp_hi[] = {19, 299, 999, 6000};
        static const double rev_lo[] = {1e7, 3e8, 2e9, 4e10}, rev_hi[] = {3e8, 2e9, 4e10, 5e11};
        static const double cap_lo[] = {1e6, 5e6, 5e7, 2e8}, cap_hi[] = {5e7, 2e8, 1e9, 5e10};
        int64_t employees = logu(&r, emp_lo[level], emp_hi[level]);
        int64_t revenue = logu(&r, rev_lo[level], rev_hi[level]); /* fen */
        int64_t capital = logu(&r, cap_lo[level], cap_hi[level]) / 1000000 * 1000000;
        int fy = 2025 - (int)(30 * pow(unif(&r), 1.8));
        char founded[32];
        snprintf(founded, sizeof(founded), "%04u-%02u-%02u", (unsigned)fy % 10000,
                 (unsigned)between(&r, 1, 12) % 100, (unsigned)between(&r, 1, 28) % 100);

        char code[19], name[160], legal[32], address[200], tags[200] = "";
        ent_gen_credit_code(county->code, seed, i, code);
        snprintf(name, sizeof(name), "%s%s%s%s%s", cities[ci].short_name, PICK(&r, brand1),
                 PICK(&r, brand2), sections[si].words[next(&r) % 4], PICK(&r, suffixes));
        person(&r, legal, sizeof(legal));
        char full[160];
        snprintf(address, sizeof(address), "%s%s%d号",
                 codes_region_full_name(county->code, full, sizeof(full)), PICK(&r, roads),
                 between(&r, 1, 999));
        bool high_tech = fy <= 2023 && chance(&r, tech ? 0.12 : 0.02);
#define TAG(cond, name)                                                                            \
    if (cond)                                                                                      \
    snprintf(tags + strlen(tags), sizeof(tags) - strlen(tags), "%s%s", *tags ? ";" : "", name)
        TAG(high_tech, "high_tech");
        TAG(chance(&r, tech ? 0.12 : 0.03), "tech_sme");
        bool srdi = chance(&r, level >= 1 ? 0.08 : 0.01);
        TAG(srdi, "srdi_city");
        TAG(srdi && chance(&r, 0.4), "srdi_province");
        TAG(srdi && level >= 2 && chance(&r, 0.1), "little_giant");
        TAG(sec == 'C' && revenue >= 2000000000LL, "above_scale_industry");
        double own = unif(&r);
        TAG(own < 0.03, "state_owned");
        TAG(own >= 0.03 && own < 0.07, "foreign_funded");
        TAG(own >= 0.07, "private");
        TAG(level == 3 && chance(&r, 0.05), "listed");

        fprintf(f, "%s,%s,%s,%s,%s,%lld,%s,%s,%s,%s", code, name, county->code, industry, founded,
                (long long)capital, scale, legal, address, tags);
        if (chance(&r, 0.7)) {
            char contact[32], idn[19];
            person(&r, contact, sizeof(contact));
            fprintf(f, ",%s,%s,1%d%09d", contact, PICK(&r, titles), between(&r, 3, 9),
                    between(&r, 0, 999999999));
            if (chance(&r, 0.4)) {
                id_number(&r, county->code, idn);
                fprintf(f, ",%s", idn);
            } else {
                fputc(',', f);
            }
        } else {
            fputs(",,,,", f);
        }
        fputs(",2025-12-31", f);
        cell_i(f, &r, true, employees);
        cell_i(f, &r, true, employees * between(&r, 70, 100) / 100);
        cell_i(f, &r, true, revenue);
        cell_i(f, &r, tech || chance(&r, 0.3), revenue * between(&r, 0, 80) / 1000);
        cell_i(f, &r, true, revenue * between(&r, 20, 60) / 1000);
        static const char *const ratings[] = {"A", "A", "A", "A", "B", "B", "B", "B", "B",
                                              "B", "B", "B", "B", "M", "M", "M", "M", "M",
                                              "C", "D"};
        cell_s(f, &r, true, PICK(&r, ratings));
        cell_s(f, &r, true, chance(&r, 0.015) ? "true" : "false");
        cell_i(f, &r, sec == 'C' && chance(&r, 0.4), revenue * between(&r, 5, 150) / 1000);
        cell_i(f, &r, chance(&r, 0.5), logu(&r, 1e6, 2e8));
        cell_i(f, &r, true, high_tech ? between(&r, 1, 30) : between(&r, 0, 2));
        if (fputc('\n', f) == EOF) {
            xfree(t);
            return err_set(e, RC_IO, NULL, "写入失败");
        }
    }
    xfree(t);
    if (fflush(f))
        return err_set(e, RC_IO, NULL, "写入失败");
    return RC_OK;
}
