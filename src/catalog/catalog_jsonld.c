/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog_jsonld: CPSV-AP 3.2.0 and schema.org exports of a service item (see the header
 * and docs/internals/catalog.md "Open data").
 *
 * Every node a property points to is written into the same @graph with its rdf:type,
 * because the profile's shapes check classes (sh:class) against the data graph alone:
 * code-list values are skos:Concept nodes, places dct:Location nodes, laws
 * eli:LegalResource nodes. Texts are rdf:langString literals tagged "zh".
 */
#include "catalog_jsonld.h"

#include <stdio.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/mem.h"
#include "../codes/codes.h"

/* ---- labels of the model's codes (docs: CATALOG_MODEL.md) ---- */

static const char *const TYPE_LABELS[][2] = {
    {"xk", "行政许可"}, {"qr", "行政确认"},     {"gf", "行政给付"},
    {"zs", "行政征收"}, {"jl", "行政奖励"},     {"cj", "行政裁决"},
    {"jc", "行政检查"}, {"qt", "其他行政权力"}, {"gg", "公共服务"},
};
static const char *const STAGE_LABELS[][2] = {
    {"zhunru", "准入准营"},   {"zhaopin", "招聘用工"},   {"nashui", "纳税缴费"},
    {"jingying", "经营发展"}, {"gongcheng", "工程建设"}, {"zhuxiao", "注销退出"},
};
static const char *const SOURCE_LABELS[][2] = {
    {"applicant", "申请人自备"},  {"license", "电子证照"}, {"department", "部门核发"},
    {"intermediary", "中介机构"}, {"system", "系统生成"},
};
static const char *const FORM_LABELS[][2] = {
    {"paper", "纸质"}, {"electronic", "电子"}, {"paper_or_electronic", "纸质或电子"}};
static const char *const NECESSITY_LABELS[][2] = {
    {"required", "必需"}, {"optional", "非必需"}, {"waived", "免提交"}};
static const char *const CHANNEL_LABELS[][2] = {
    {"window", "窗口办理"}, {"online", "网上办理"}, {"self_service", "自助终端"},
    {"mail", "邮寄"},       {"app", "移动端"},
};
static const char *const RESULT_LABELS[][2] = {
    {"license", "证照"}, {"approval", "批文"}, {"certificate", "证明"}, {"other", "其他"}};
static const char *const DELIVERY_LABELS[][2] = {{"window", "窗口领取"},
                                                 {"mail", "邮寄送达"},
                                                 {"online", "网上下载"},
                                                 {"electronic", "电子证照"}};

/*
 * Appends to a text buffer whose cap (64 KiB and more) no export reaches; a longer text
 * is cut there, which is harmless in a description.
 */
#define BP(...)                                                                                    \
    do {                                                                                           \
        if (buf_printf(__VA_ARGS__)) {                                                             \
        }                                                                                          \
    } while (0)
#define BA(...)                                                                                    \
    do {                                                                                           \
        if (buf_append(__VA_ARGS__)) {                                                             \
        }                                                                                          \
    } while (0)

#define LABEL(table, code) label_of(table, sizeof(table) / sizeof(table[0]), code)

static const char *label_of(const char *const (*table)[2], size_t n, const char *code)
{
    if (!code)
        return "";
    for (size_t i = 0; i < n; i++)
        if (strcmp(table[i][0], code) == 0)
            return table[i][1];
    return code;
}

const char *catalog_jsonld_type_label(const char *type)
{
    return LABEL(TYPE_LABELS, type);
}

const char *catalog_jsonld_stage_label(const char *stage)
{
    return LABEL(STAGE_LABELS, stage);
}

/* ---- small JSON helpers ---- */

static const char *str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static const char *path_str(const json_t *obj, const char *a, const char *b)
{
    return str(json_object_get(obj, a), b);
}

/* A Chinese rdf:langString literal. */
static json_t *zh(const char *s)
{
    return json_pack("{s:s, s:s}", "@value", s ? s : "", "@language", "zh");
}

static json_t *ref(const char *iri)
{
    return json_pack("{s:s}", "@id", iri);
}

/* Appends s to b percent-encoded (everything but RFC 3986 unreserved characters). */
static void iri_part(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            BA(b, (const char *)p, 1);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            BA(b, esc, 3);
        }
    }
}

/* Returns a new IRI CATALOG_JSONLD_BASE + kind + ":" + escaped parts joined by "/". */
static char *iri(const char *kind, const char *a, const char *b)
{
    struct buf out;
    buf_init(&out, 4096);
    BP(&out, "%s%s:", CATALOG_JSONLD_BASE, kind);
    iri_part(&out, a ? a : "");
    if (b) {
        BA(&out, "/", 1);
        iri_part(&out, b);
    }
    char *s = xstrdup(out.data ? out.data : "");
    buf_cleanup(&out);
    return s;
}

/* The graph being built: its nodes and the IRIs already in it. */
struct graph {
    json_t *nodes;
    json_t *seen;
};

/* Adds node (stolen) unless a node of its @id is there already. */
static void graph_add(struct graph *g, json_t *node)
{
    const char *id = str(node, "@id");
    if (json_object_get(g->seen, id)) {
        json_decref(node);
        return;
    }
    json_object_set_new(g->seen, id, json_true());
    json_array_append_new(g->nodes, node);
}

/* Adds the skos:Concept code of scheme (label shown) and returns a new reference to it. */
static json_t *concept(struct graph *g, const char *scheme, const char *code, const char *label)
{
    char *id = iri("concept", scheme, code);
    json_t *node = json_pack("{s:s, s:s, s:o, s:s, s:o}", "@id", id, "@type", "skos:Concept",
                             "skos:prefLabel", zh(label), "skos:notation", code, "skos:inScheme",
                             ref(CATALOG_JSONLD_BASE "scheme:qifu"));
    json_t *r = ref(id);
    xfree(id);
    graph_add(g, node);
    graph_add(g, json_pack("{s:s, s:s, s:o}", "@id", CATALOG_JSONLD_BASE "scheme:qifu", "@type",
                           "skos:ConceptScheme", "dct:title", zh("企服办事指南代码表")));
    return r;
}

/* Adds the dct:Location of a GB/T 2260 region code and returns a new reference to it. */
static json_t *location(struct graph *g, const char *region)
{
    char name[CODES_FULL_NAME_MAX];
    const char *full = codes_region_full_name(region, name, sizeof name);
    char *id = iri("region", region, NULL);
    json_t *node =
        json_pack("{s:s, s:s, s:o, s:s}", "@id", id, "@type", "dct:Location", "skos:prefLabel",
                  zh(full && *full ? full : region), "dct:identifier", region);
    json_t *r = ref(id);
    xfree(id);
    graph_add(g, node);
    return r;
}

/* Adds a foaf:Agent (a department by name, in region) and returns a new reference to it. */
static json_t *agent(struct graph *g, const char *region, const char *name)
{
    char *id = iri("dept", region, name);
    json_t *node =
        json_pack("{s:s, s:[s], s:s, s:o}", "@id", id, "@type", "foaf:Agent", "dct:identifier",
                  id + strlen(CATALOG_JSONLD_BASE), "dct:title", zh(name));
    json_t *r = ref(id);
    xfree(id);
    graph_add(g, node);
    return r;
}

/* Adds an eli:LegalResource for a basis entry {law, article} and returns its reference. */
static json_t *legal_resource(struct graph *g, const json_t *basis)
{
    const char *law = str(basis, "law"), *article = str(basis, "article");
    char *id = iri("law", law, *article ? article : NULL);
    char title[1024];
    snprintf(title, sizeof title, "%s%s", law, article);
    json_t *node = json_pack("{s:s, s:s, s:o}", "@id", id, "@type", "eli:LegalResource",
                             "dct:title", zh(title));
    json_t *r = ref(id);
    xfree(id);
    graph_add(g, node);
    return r;
}

/* Appends a property value to obj[key] (an array made on first use); v is stolen. */
static void add(json_t *obj, const char *key, json_t *v)
{
    json_t *arr = json_object_get(obj, key);
    if (!arr) {
        arr = json_array();
        json_object_set_new(obj, key, arr);
    }
    json_array_append_new(arr, v);
}

/* Returns "P{days}D" in buf: working days written as days (ISO 8601 has no working day). */
static const char *duration(char *buf, size_t n, long long days)
{
    snprintf(buf, n, "P%lldD", days < 0 ? 0 : days);
    return buf;
}

/* ---- the parts of the service ---- */

static void add_identity(json_t *svc, struct graph *g, const json_t *detail)
{
    const json_t *item = json_object_get(detail, "item");
    const char *basic = str(item, "basic_code");
    /* 实施编码 is the dct:identifier (exactly one); 基本编码 an adms:identifier beside it. */
    if (*basic) {
        char *id = iri("basic-code", basic, NULL);
        json_t *ident = json_pack("{s:s, s:s, s:s, s:o}", "@id", id, "@type", "adms:Identifier",
                                  "skos:notation", basic, "dct:title", zh("事项基本编码"));
        xfree(id);
        add(svc, "adms:identifier", json_pack("{s:s}", "@id", str(ident, "@id")));
        graph_add(g, ident);
    }
    const char *type = str(item, "type");
    if (*type)
        add(svc, "dct:type", concept(g, "item-type", type, catalog_jsonld_type_label(type)));
    json_t *v;
    size_t i;
    json_array_foreach(json_object_get(item, "life_stages"), i, v)
    {
        const char *st = json_string_value(v);
        if (st)
            add(svc, "cv:thematicArea",
                concept(g, "life-stage", st, catalog_jsonld_stage_label(st)));
    }
    json_array_foreach(json_object_get(item, "aliases"), i, v)
    {
        if (json_is_string(v))
            add(svc, "dcat:keyword", zh(json_string_value(v)));
    }
    const char *state = path_str(detail, "version", "state");
    if (*state)
        json_object_set_new(
            svc, "adms:status",
            concept(g, "version-state", state, strcmp(state, "published") == 0 ? "已发布" : state));
}

static void add_authority(json_t *svc, struct graph *g, const json_t *detail)
{
    const json_t *agency = json_object_get(detail, "agency");
    const char *uscc = str(agency, "uscc");
    const char *region = path_str(detail, "codes", "region");
    char *id = iri("org", *uscc ? uscc : str(agency, "name"), NULL);
    json_t *org = json_pack("{s:s, s:[s,s], s:o, s:o, s:s, s:o}", "@id", id, "@type",
                            "cv:PublicOrganisation", "foaf:Agent", "skos:prefLabel",
                            zh(str(agency, "name")), "dct:spatial", location(g, region),
                            "dct:identifier", uscc, "dct:title", zh(str(agency, "name")));
    const char *nature = path_str(detail, "guide", "agency_nature");
    if (*nature)
        json_object_set_new(org, "dct:description", zh(nature));
    add(svc, "cv:hasCompetentAuthority", ref(id));
    xfree(id);
    graph_add(g, org);
    if (*region)
        add(svc, "dct:spatial", location(g, region));
}

static void add_description(json_t *svc, const json_t *detail)
{
    const json_t *item = json_object_get(detail, "item");
    const json_t *guide = json_object_get(detail, "guide");
    struct buf d;
    buf_init(&d, 1 << 16);
    BP(&d, "%s（%s），主管部门：%s；实施主体：%s", str(item, "name"),
       catalog_jsonld_type_label(str(item, "type")), str(item, "competent_dept"),
       path_str(detail, "agency", "name"));
    const char *level = str(guide, "exercise_level");
    if (*level)
        BP(&d, "；行使层级：%s", level);
    json_t *v;
    size_t i;
    json_array_foreach(json_object_get(guide, "audience"), i, v)
    {
        BP(&d, i == 0 ? "；服务对象：%s" : "、%s", json_string_value(v));
    }
    const json_t *tl = json_object_get(guide, "time_limit");
    if (json_is_integer(json_object_get(tl, "legal_days")))
        BP(&d, "；法定办结时限：%lld个工作日",
           (long long)json_integer_value(json_object_get(tl, "legal_days")));
    if (json_is_integer(json_object_get(tl, "promised_days")))
        BP(&d, "；承诺办结时限：%lld个工作日",
           (long long)json_integer_value(json_object_get(tl, "promised_days")));
    json_array_foreach(json_object_get(tl, "special"), i, v)
    {
        BP(&d, "；特别程序：%s（%lld个工作日，%s法定办结时限）", str(v, "name"),
           (long long)json_integer_value(json_object_get(v, "days")),
           json_is_true(json_object_get(v, "counted")) ? "计入" : "不计入");
    }
    const char *ct = str(guide, "case_type");
    if (*ct)
        BP(&d, "；办件类型：%s", strcmp(ct, "instant") == 0 ? "即办件" : "承诺件");
    if (json_is_integer(json_object_get(guide, "visits")))
        BP(&d, "；到现场次数：%lld次",
           (long long)json_integer_value(json_object_get(guide, "visits")));
    json_object_set_new(svc, "dct:description", zh(d.data ? d.data : ""));
    buf_cleanup(&d);
}

static void add_time(json_t *svc, const json_t *guide)
{
    /*
     * 承诺办结时限 is counted in working days; xsd:duration has no such unit, so the
     * number of working days is written as days ("P5D" for 5 个工作日) and the
     * description says 工作日 in words.
     */
    const json_t *days = json_object_get(json_object_get(guide, "time_limit"), "promised_days");
    if (!json_is_integer(days))
        return;
    char d[32];
    json_object_set_new(svc, "cv:processingTime",
                        json_pack("{s:s, s:s}", "@value",
                                  duration(d, sizeof d, json_integer_value(days)), "@type",
                                  "xsd:duration"));
}

static void add_requirements(json_t *svc, struct graph *g, const char *sid, const json_t *guide)
{
    json_t *v;
    size_t i;
    json_array_foreach(json_object_get(guide, "acceptance_conditions"), i, v)
    {
        char n[32];
        snprintf(n, sizeof n, "%zu", i + 1);
        char *id = iri("service", sid, NULL);
        char *rid = NULL;
        {
            struct buf b;
            buf_init(&b, 4096);
            BP(&b, "%s/requirement/%s", id, n);
            rid = xstrdup(b.data);
            buf_cleanup(&b);
        }
        char ident[256];
        snprintf(ident, sizeof ident, "%s-R%s", sid, n);
        json_t *node = json_pack("{s:s, s:s, s:s, s:o}", "@id", rid, "@type", "cv:Requirement",
                                 "dct:identifier", ident, "dct:title", zh(str(v, "text")));
        if (json_object_get(v, "when"))
            json_object_set_new(node, "dct:description", zh("按办理情形适用"));
        add(svc, "cv:holdsRequirement", ref(rid));
        graph_add(g, node);
        xfree(id);
        xfree(rid);
    }
}

/* Returns a new IRI "<service iri>/<part>/<n>". */
static char *sub_iri(const char *sid, const char *part, const char *n)
{
    char *base = iri("service", sid, NULL);
    struct buf b;
    buf_init(&b, 4096);
    BP(&b, "%s/%s/", base, part);
    iri_part(&b, n);
    char *s = xstrdup(b.data);
    buf_cleanup(&b);
    xfree(base);
    return s;
}

static void add_document(struct graph *g, json_t *node, const char *url, const char *title)
{
    if (!url || !*url)
        return;
    json_t *doc =
        json_pack("{s:s, s:s, s:o}", "@id", url, "@type", "foaf:Document", "dct:title", zh(title));
    add(node, "foaf:page", ref(url));
    graph_add(g, doc);
}

static void add_evidence(json_t *svc, struct graph *g, const char *sid, const json_t *guide)
{
    json_t *m;
    size_t i;
    json_array_foreach(json_object_get(guide, "materials"), i, m)
    {
        const char *mid = str(m, "id");
        char n[32];
        snprintf(n, sizeof n, "%zu", i + 1);
        char *id = sub_iri(sid, "evidence", *mid ? mid : n);
        char ident[256];
        snprintf(ident, sizeof ident, "%s-%s", sid, *mid ? mid : n);
        struct buf d;
        buf_init(&d, 8192);
        BP(&d, "来源：%s；份数：%lld；形式：%s；必要性：%s", LABEL(SOURCE_LABELS, str(m, "source")),
           (long long)json_integer_value(json_object_get(m, "copies")),
           LABEL(FORM_LABELS, str(m, "form")), LABEL(NECESSITY_LABELS, str(m, "necessity")));
        if (json_is_true(json_object_get(m, "tolerance")))
            BP(&d, "；可容缺受理");
        if (*str(m, "waiver_reason"))
            BP(&d, "；免提交理由：%s", str(m, "waiver_reason"));
        if (json_object_get(m, "when"))
            BP(&d, "；按办理情形提交");
        if (*str(m, "note"))
            BP(&d, "；备注：%s", str(m, "note"));
        json_t *node = json_pack("{s:s, s:s, s:s, s:o, s:o}", "@id", id, "@type", "cv:Evidence",
                                 "dct:identifier", ident, "dct:title", zh(str(m, "name")),
                                 "dct:description", zh(d.data));
        buf_cleanup(&d);
        const char *source = str(m, "source");
        if (*source)
            json_object_set_new(
                node, "dct:type",
                concept(g, "material-source", source, LABEL(SOURCE_LABELS, source)));
        add_document(g, node, str(m, "blank_form"), "空表");
        add_document(g, node, str(m, "sample"), "样表");
        add(svc, "cpsv:hasInput", ref(id));
        graph_add(g, node);
        xfree(id);
    }
}

static void add_outputs(json_t *svc, struct graph *g, const char *sid, const json_t *guide)
{
    json_t *r, *v;
    size_t i, k;
    json_array_foreach(json_object_get(guide, "results"), i, r)
    {
        char n[32];
        snprintf(n, sizeof n, "%zu", i + 1);
        char *id = sub_iri(sid, "output", n);
        char ident[256];
        snprintf(ident, sizeof ident, "%s-O%s", sid, n);
        json_t *node = json_pack("{s:s, s:s, s:s, s:o}", "@id", id, "@type", "cv:Output",
                                 "dct:identifier", ident, "dct:title", zh(str(r, "name")));
        const char *type = str(r, "type");
        if (*type)
            add(node, "dct:type", concept(g, "result-type", type, LABEL(RESULT_LABELS, type)));
        struct buf d;
        buf_init(&d, 4096);
        json_array_foreach(json_object_get(r, "delivery"), k, v)
        {
            BP(&d, k == 0 ? "领取方式：%s" : "、%s", LABEL(DELIVERY_LABELS, json_string_value(v)));
        }
        if (d.len)
            json_object_set_new(node, "dct:description", zh(d.data));
        buf_cleanup(&d);
        add(svc, "cpsv:produces", ref(id));
        graph_add(g, node);
        xfree(id);
    }
}

static void add_costs(json_t *svc, struct graph *g, const char *sid, const json_t *guide)
{
    json_t *f;
    size_t i;
    if (json_is_true(json_object_get(guide, "free"))) {
        /* 不收费: one Cost of value 0 in renminbi. */
        char *id = sub_iri(sid, "cost", "free");
        char ident[256];
        snprintf(ident, sizeof ident, "%s-C0", sid);
        json_t *cny = json_pack("{s:s, s:s, s:o}", "@id",
                                "http://publications.europa.eu/resource/authority/currency/CNY",
                                "@type", "skos:Concept", "skos:prefLabel", zh("人民币"));
        json_t *node = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}, s:o, s:o}", "@id", id, "@type",
                                 "cv:Cost", "dct:identifier", ident, "cv:hasValue", "@value", "0.0",
                                 "@type", "xsd:double", "cv:currency", ref(str(cny, "@id")),
                                 "dct:description", zh("不收费"));
        graph_add(g, cny);
        add(svc, "cv:hasCost", ref(id));
        graph_add(g, node);
        xfree(id);
        return;
    }
    json_array_foreach(json_object_get(guide, "fees"), i, f)
    {
        char n[32];
        snprintf(n, sizeof n, "%zu", i + 1);
        char *id = sub_iri(sid, "cost", n);
        char ident[256];
        snprintf(ident, sizeof ident, "%s-C%s", sid, n);
        struct buf d;
        buf_init(&d, 8192);
        BP(&d, "收费项目：%s；收费标准：%s", str(f, "item"), str(f, "standard"));
        if (*str(f, "basis"))
            BP(&d, "；收费依据：%s", str(f, "basis"));
        if (json_object_get(f, "when"))
            BP(&d, "；按办理情形收取");
        json_t *node = json_pack("{s:s, s:s, s:s, s:o}", "@id", id, "@type", "cv:Cost",
                                 "dct:identifier", ident, "dct:description", zh(d.data));
        buf_cleanup(&d);
        add(svc, "cv:hasCost", ref(id));
        graph_add(g, node);
        xfree(id);
    }
}

static void add_channels(json_t *svc, struct graph *g, const char *sid, const json_t *guide)
{
    json_t *c, *loc;
    size_t i, k;
    char d[32];
    const json_t *days = json_object_get(json_object_get(guide, "time_limit"), "promised_days");
    json_array_foreach(json_object_get(guide, "channels"), i, c)
    {
        const char *code = json_string_value(c);
        if (!code)
            continue;
        char *id = sub_iri(sid, "channel", code);
        char ident[256];
        snprintf(ident, sizeof ident, "%s-%s", sid, code);
        json_t *node =
            json_pack("{s:s, s:s, s:s, s:o}", "@id", id, "@type", "cv:Channel", "dct:identifier",
                      ident, "dct:type", concept(g, "channel", code, LABEL(CHANNEL_LABELS, code)));
        if (strcmp(code, "window") == 0) {
            /* The window channel: where and when (办理地点/时间). */
            struct buf b;
            buf_init(&b, 8192);
            json_array_foreach(json_object_get(guide, "locations"), k, loc)
            {
                BP(&b, "%s%s（%s）", k ? "；" : "办理地点：", str(loc, "name"),
                   str(loc, "address"));
                if (*str(loc, "hours")) {
                    char *tid = sub_iri(sid, "hours", str(loc, "name"));
                    json_t *t =
                        json_pack("{s:s, s:s, s:o}", "@id", tid, "@type", "time:TemporalEntity",
                                  "dct:description", zh(str(loc, "hours")));
                    add(node, "cv:openingHours", ref(tid));
                    graph_add(g, t);
                    xfree(tid);
                }
            }
            if (b.len)
                json_object_set_new(node, "dct:description", zh(b.data));
            buf_cleanup(&b);
        }
        if (json_is_integer(days))
            json_object_set_new(node, "cv:processingTime",
                                json_pack("{s:s, s:s}", "@value",
                                          duration(d, sizeof d, json_integer_value(days)), "@type",
                                          "xsd:duration"));
        add(svc, "cv:hasChannel", ref(id));
        graph_add(g, node);
        xfree(id);
    }
}

static void add_contacts(json_t *svc, struct graph *g, const char *sid, const json_t *guide)
{
    static const char *const keys[][2] = {{"consult_phone", "咨询电话"},
                                          {"complaint_phone", "监督投诉电话"}};
    for (size_t i = 0; i < 2; i++) {
        const char *tel = str(guide, keys[i][0]);
        if (!*tel)
            continue;
        char *id = sub_iri(sid, "contact", keys[i][0]);
        json_t *node = json_pack("{s:s, s:s, s:s, s:o}", "@id", id, "@type", "cv:ContactPoint",
                                 "cv:telephone", tel, "dct:description", zh(keys[i][1]));
        add(svc, "cv:contactPoint", ref(id));
        graph_add(g, node);
        xfree(id);
    }
}

/* 设定依据 (item.basis) and 实施依据 (guide.legal_basis): a cpsv:Rule each, implementing a law. */
static void add_rules(json_t *svc, struct graph *g, const char *sid, const json_t *detail)
{
    static const char *const kinds[][3] = {{"item", "basis", "设定依据"},
                                           {"guide", "legal_basis", "实施依据"}};
    size_t n = 0;
    for (size_t k = 0; k < 2; k++) {
        json_t *b;
        size_t i;
        json_array_foreach(json_object_get(json_object_get(detail, kinds[k][0]), kinds[k][1]), i, b)
        {
            char num[32];
            snprintf(num, sizeof num, "%zu", ++n);
            char *id = sub_iri(sid, "rule", num);
            char ident[256], title[1200];
            snprintf(ident, sizeof ident, "%s-L%s", sid, num);
            snprintf(title, sizeof title, "%s：%s%s", kinds[k][2], str(b, "law"),
                     str(b, "article"));
            json_t *law = legal_resource(g, b);
            json_t *node = json_pack("{s:s, s:s, s:s, s:o, s:o, s:O}", "@id", id, "@type",
                                     "cpsv:Rule", "dct:identifier", ident, "dct:title", zh(title),
                                     "dct:description", zh(title), "cpsv:implements", law);
            add(svc, "cpsv:follows", ref(id));
            add(svc, "cv:hasLegalResource", law);
            graph_add(g, node);
            xfree(id);
        }
    }
}

/* Whether bundle has a member of basic_code and kind. */
static bool bundle_has(const json_t *bundle, const char *basic_code, const char *kind)
{
    json_t *m;
    size_t i;
    json_array_foreach(json_object_get(bundle, "members"), i, m)
    {
        if (strcmp(str(m, "basic_code"), basic_code) == 0 &&
            (!*kind || !*str(m, "kind") || strcmp(str(m, "kind"), kind) == 0))
            return true;
    }
    return false;
}

static void add_participation(json_t *svc, struct graph *g, const char *sid, const char *region,
                              const char *dept, const char *role_code, const char *role_label,
                              const char *what, size_t *n)
{
    char num[32];
    snprintf(num, sizeof num, "%zu", ++*n);
    char *id = sub_iri(sid, "participation", num);
    char ident[256], desc[1024];
    snprintf(ident, sizeof ident, "%s-P%s", sid, num);
    snprintf(desc, sizeof desc, "%s：%s（%s）", role_label, dept, what);
    json_t *node =
        json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "@id", id, "@type", "cv:Participation",
                  "dct:identifier", ident, "dct:description", zh(desc), "cv:role",
                  concept(g, "participation-role", role_code, role_label), "cv:hasParticipant",
                  agent(g, region, dept));
    add(svc, "cv:hasParticipation", ref(id));
    graph_add(g, node);
    xfree(id);
}

static void add_bundles(json_t *svc, struct graph *g, const char *sid, const json_t *detail,
                        const json_t *bundles)
{
    const json_t *item = json_object_get(detail, "item");
    const char *basic = str(item, "basic_code");
    const char *kind = path_str(detail, "task", "kind");
    const char *region = path_str(detail, "codes", "region");
    size_t n = 0;
    /* 主管部门: the department that owns the item nationally. */
    if (*str(item, "competent_dept"))
        add_participation(svc, g, sid, region, str(item, "competent_dept"), "competent", "主管部门",
                          str(item, "name"), &n);
    json_t *b, *v;
    size_t i, k;
    json_array_foreach(bundles, i, b)
    {
        if (!bundle_has(b, basic, kind))
            continue;
        char *id = iri("bundle", str(b, "code"), NULL);
        json_t *ev =
            json_pack("{s:s, s:[s,s], s:s, s:o, s:o}", "@id", id, "@type", "cv:BusinessEvent",
                      "cv:Event", "dct:identifier", str(b, "code"), "dct:title", zh(str(b, "name")),
                      "cv:hasRelatedService", json_pack("[{s:s}]", "@id", str(svc, "@id")));
        const char *st = str(b, "life_stage");
        if (*st)
            add(ev, "dct:type", concept(g, "life-stage", st, catalog_jsonld_stage_label(st)));
        add(svc, "cv:isGroupedBy", ref(id));
        graph_add(g, ev);
        xfree(id);
        if (*str(b, "lead_dept"))
            add_participation(svc, g, sid, region, str(b, "lead_dept"), "lead", "牵头部门",
                              str(b, "name"), &n);
        json_array_foreach(json_object_get(b, "co_depts"), k, v)
        {
            if (json_is_string(v))
                add_participation(svc, g, sid, region, json_string_value(v), "co", "协办部门",
                                  str(b, "name"), &n);
        }
    }
}

json_t *catalog_jsonld_cpsv(const json_t *detail, const json_t *bundles)
{
    struct graph g = {json_array(), json_object()};
    const json_t *guide = json_object_get(detail, "guide");
    const char *sid = str(detail, "impl_code");
    char *id = iri("service", sid, NULL);
    const char *name = path_str(detail, "task", "name");
    if (!*name)
        name = path_str(detail, "item", "name");
    json_t *svc = json_pack("{s:s, s:s, s:o}", "@id", id, "@type", "cpsv:PublicService",
                            "dct:title", zh(name));
    xfree(id);
    if (*sid)
        json_object_set_new(svc, "dct:identifier", json_string(sid));
    json_array_append_new(g.nodes, svc);
    json_object_set_new(g.seen, str(svc, "@id"), json_true());

    add_identity(svc, &g, detail);
    add_description(svc, detail);
    add_authority(svc, &g, detail);
    add_time(svc, guide);
    add_requirements(svc, &g, sid, guide);
    add_evidence(svc, &g, sid, guide);
    add_outputs(svc, &g, sid, guide);
    add_costs(svc, &g, sid, guide);
    add_channels(svc, &g, sid, guide);
    add_contacts(svc, &g, sid, guide);
    add_rules(svc, &g, sid, detail);
    add_bundles(svc, &g, sid, detail, bundles);
    json_t *audience;
    size_t i;
    json_array_foreach(json_object_get(guide, "audience"), i, audience)
    {
        const char *a = json_string_value(audience);
        if (a)
            add(svc, "dct:audience", concept(&g, "audience", a, a));
    }

    json_t *ctx = json_pack(
        "[s, {s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}]", CATALOG_JSONLD_CONTEXT,
        "cpsv", "http://purl.org/vocab/cpsv#", "cv", "http://data.europa.eu/m8g/", "dct",
        "http://purl.org/dc/terms/", "dcat", "http://www.w3.org/ns/dcat#", "adms",
        "http://www.w3.org/ns/adms#", "eli", "http://data.europa.eu/eli/ontology#", "foaf",
        "http://xmlns.com/foaf/0.1/", "skos", "http://www.w3.org/2004/02/skos/core#", "time",
        "http://www.w3.org/2006/time#", "xsd", "http://www.w3.org/2001/XMLSchema#", "locn",
        "http://www.w3.org/ns/locn#");
    json_decref(g.seen);
    return json_pack("{s:o, s:o}", "@context", ctx, "@graph", g.nodes);
}

/* ---- schema.org ---- */

json_t *catalog_jsonld_schema_org(const json_t *detail, const char *url)
{
    const json_t *item = json_object_get(detail, "item");
    const json_t *guide = json_object_get(detail, "guide");
    const char *region = path_str(detail, "codes", "region");
    char rname[CODES_FULL_NAME_MAX];
    const char *full = codes_region_full_name(region, rname, sizeof rname);
    const char *name = path_str(detail, "task", "name");
    if (!*name)
        name = str(item, "name");
    json_t *org = json_pack("{s:s, s:s}", "@type", "GovernmentOrganization", "name",
                            path_str(detail, "agency", "name"));
    if (*path_str(detail, "agency", "uscc"))
        json_object_set_new(org, "identifier", json_string(path_str(detail, "agency", "uscc")));
    json_t *svc = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:{s:s, s:s, s:s}}", "@context", "https://schema.org",
        "@type", "GovernmentService", "name", name, "identifier", str(detail, "impl_code"),
        "serviceType", catalog_jsonld_type_label(str(item, "type")), "provider",
        json_deep_copy(org), "serviceOperator", org, "areaServed", "@type", "AdministrativeArea",
        "name", full && *full ? full : region, "identifier", region);
    if (url && *url)
        json_object_set_new(svc, "url", json_string(url));
    char desc[1024];
    snprintf(desc, sizeof desc, "%s（%s），主管部门：%s", str(item, "name"),
             catalog_jsonld_type_label(str(item, "type")), str(item, "competent_dept"));
    json_object_set_new(svc, "description", json_string(desc));
    json_t *v;
    size_t i;
    json_array_foreach(json_object_get(guide, "audience"), i, v)
    {
        add(svc, "audience",
            json_pack("{s:s, s:s}", "@type", "Audience", "audienceType", json_string_value(v)));
    }
    char d[32];
    const json_t *days = json_object_get(json_object_get(guide, "time_limit"), "promised_days");
    json_array_foreach(json_object_get(guide, "channels"), i, v)
    {
        const char *code = json_string_value(v);
        if (!code)
            continue;
        json_t *ch =
            json_pack("{s:s, s:s}", "@type", "ServiceChannel", "name", LABEL(CHANNEL_LABELS, code));
        if (json_is_integer(days))
            json_object_set_new(ch, "processingTime",
                                json_string(duration(d, sizeof d, json_integer_value(days))));
        if (*str(guide, "consult_phone"))
            json_object_set_new(ch, "servicePhone",
                                json_pack("{s:s, s:s, s:s}", "@type", "ContactPoint", "telephone",
                                          str(guide, "consult_phone"), "contactType", "咨询"));
        const json_t *loc = json_array_get(json_object_get(guide, "locations"), 0);
        if (strcmp(code, "window") == 0 && loc)
            json_object_set_new(ch, "serviceLocation",
                                json_pack("{s:s, s:s, s:s}", "@type", "GovernmentOffice", "name",
                                          str(loc, "name"), "address", str(loc, "address")));
        add(svc, "availableChannel", ch);
    }
    json_array_foreach(json_object_get(guide, "results"), i, v)
    {
        add(svc, "serviceOutput",
            json_pack("{s:s, s:s}", "@type", "Thing", "name", str(v, "name")));
    }
    json_array_foreach(json_object_get(item, "aliases"), i, v)
    {
        add(svc, "alternateName", json_incref(v));
    }
    return svc;
}
