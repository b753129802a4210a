/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demo_demands: the demands of the demo year. Each demand gets a fate (where its loop
 * ends: archived, 差评 in rectification, waiting to be signed...) and a plan of steps
 * with their instants; the steps of all demands are then taken in the order of their
 * instants, each through demand_create / demand_import / demand_act at its instant, so
 * the timelines, audit events, notices, deadlines and lights are the domain's own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../codes/codes.h"
#include "../demand/demand.h"
#include "../demand/demand_import.h"
#include "../store/store.h"
#include "demo_int.h"

enum fate {
    F_ARCHIVED,
    F_RATED,
    F_DIRECT,
    F_DECLINED,
    F_MERGED,
    F_RECT_DONE,
    F_SUBMITTED,
    F_ACCEPTED,
    F_DISPATCHED,
    F_SIGNED,
    F_RETURN,
    F_EXT_REQ,
    F_EXT_APPROVED,
    F_REPLIED,
    F_REVIEWED,
    F_RECTIFYING,
    F_REOPENED,
    F_DIRECT_OPEN,
    F__N
};

/* Per mille of the demands; about a fifth are still open at the end of the year. */
static const int fate_weight[F__N] = {
    [F_ARCHIVED] = 440,   [F_RATED] = 180,     [F_DIRECT] = 80,    [F_DECLINED] = 40,
    [F_MERGED] = 20,      [F_RECT_DONE] = 40,  [F_SUBMITTED] = 20, [F_ACCEPTED] = 10,
    [F_DISPATCHED] = 30,  [F_SIGNED] = 60,     [F_RETURN] = 6,     [F_EXT_REQ] = 8,
    [F_EXT_APPROVED] = 6, [F_REPLIED] = 12,    [F_REVIEWED] = 20,  [F_RECTIFYING] = 12,
    [F_REOPENED] = 8,     [F_DIRECT_OPEN] = 8,
};

/* When an open demand was submitted: between lo and hi days before the end. */
static const struct {
    double lo, hi;
} open_window[F__N] = {
    [F_SUBMITTED] = {0.01, 2},  [F_ACCEPTED] = {0.1, 3}, [F_DISPATCHED] = {0.2, 6},
    [F_SIGNED] = {1, 15},       [F_RETURN] = {1, 5},     [F_EXT_REQ] = {3, 10},
    [F_EXT_APPROVED] = {4, 12}, [F_REPLIED] = {2, 8},    [F_REVIEWED] = {3, 10},
    [F_RECTIFYING] = {6, 20},   [F_REOPENED] = {6, 20},  [F_DIRECT_OPEN] = {1, 5},
};

/* The demo enterprise's own demands, first: so its workspace has replies to rate, a
 * rectification to follow and demands in progress. */
static const enum fate demo_ent_fates[] = {
    F_REVIEWED, F_REVIEWED, F_RECTIFYING, F_SIGNED,    F_DISPATCHED, F_SUBMITTED,
    F_ARCHIVED, F_ARCHIVED, F_ARCHIVED,   F_RECT_DONE, F_DIRECT,     F_DIRECT_OPEN,
};

/* A lead of "COUNTY" is the county government of the enterprise's region. */
static const struct topic {
    const char *category, *title, *lead, *co;
} topics[] = {
    {"utilities", "厂区用电增容报装进度缓慢", "340800-GDGS", NULL},
    {"utilities", "频繁停电影响生产线运行", "340800-GDGS", "COUNTY"},
    {"utilities", "生产用水水压不足影响生产", "340800-SWJT", NULL},
    {"utilities", "天然气管道接入报装咨询", "340800-RQGS", NULL},
    {"utilities", "园区宽带专线开通时间过长", "340800-DXGS", NULL},
    {"financing", "小微企业贷款贴息材料咨询", "340800-JRJ", NULL},
    {"financing", "流动资金贷款续贷困难", "340800-JRJ", "340800-JXJ"},
    {"employment", "招工难，请协助对接高校毕业生", "340800-RSJ", NULL},
    {"employment", "稳岗返还资金到账时间咨询", "340800-RSJ", NULL},
    {"land", "工业用地规划调整审批进度", "340800-ZRZYJ", NULL},
    {"land", "厂房不动产权证办理缓慢", "340800-ZRZYJ", "COUNTY"},
    {"policy", "研发费用奖补何时兑现", "340800-KJJ", NULL},
    {"policy", "专精特新奖励申报条件咨询", "340800-JXJ", NULL},
    {"policy", "技术改造补助资金拨付进度", "340800-JXJ", "340800-CZJ"},
    {"policy", "纳税信用A级企业奖励兑现", "340800-CZJ", NULL},
    {"approval", "施工许可审批材料反复补正", "340800-ZJJ", NULL},
    {"approval", "企业开办系统无法提交材料", "340800-SJJ", NULL},
    {"logistics", "园区道路货车限行影响物流", "340800-JTYSJ", NULL},
    {"ip", "商标被侵权请求协助维权", "340800-SCJGJ", NULL},
    {"complaint", "周边企业噪声扰民", "340800-STHJJ", "COUNTY"},
    {"complaint", "同一事项多部门重复检查", "340800-SCJGJ", NULL},
    {"consult", "高新技术企业认定条件咨询", "340800-KJJ", NULL},
    {"consult", "出口退税办理流程咨询", "340800-SWJG", NULL},
    {"suggestion", "建议增设园区公交线路", "340800-JTYSJ", NULL},
    {"suggestion", "建议简化政策申报材料", "340800-FGW", NULL},
    {"praise", "感谢供电公司连夜抢修", "340800-GDGS", NULL},
    {"enforcement", "安全生产检查整改期限咨询", "340800-YJGLJ", NULL},
    {"other", "厂区周边路灯损坏", "COUNTY", NULL},
    {"help", "企业技术改造项目协调", "340800-JXJ", NULL},
};
enum { N_TOPICS = sizeof(topics) / sizeof(topics[0]) };
static const int topic_weight[N_TOPICS] = {6, 5, 5, 4, 3, 5, 4, 5, 4, 3, 2, 5, 5, 4, 3,
                                           4, 3, 4, 3, 3, 3, 5, 3, 2, 2, 2, 2, 2, 6};

enum act {
    A_CREATE,
    A_ACCEPT,
    A_DISPATCH,
    A_SIGN,
    A_INTERIM,
    A_ASSIST,
    A_REPLY,
    A_REVIEW_ACCEPT,
    A_REVIEW_REJECT,
    A_RATE_GOOD,
    A_RATE_BAD,
    A_CALLBACK,
    A_ARCHIVE,
    A_ANSWER,
    A_DECLINE,
    A_MERGE,
    A_RETURN,
    A_REQ_EXT,
    A_APPROVE_EXT,
    A_URGE,
};

static const char *const act_names[] = {
    [A_ACCEPT] = "accept",
    [A_DISPATCH] = "dispatch",
    [A_SIGN] = "sign",
    [A_INTERIM] = "interim_reply",
    [A_ASSIST] = "assist",
    [A_REPLY] = "reply",
    [A_REVIEW_ACCEPT] = "review_accept",
    [A_REVIEW_REJECT] = "review_reject",
    [A_RATE_GOOD] = "rate",
    [A_RATE_BAD] = "rate",
    [A_CALLBACK] = "callback",
    [A_ARCHIVE] = "archive",
    [A_ANSWER] = "answer_directly",
    [A_DECLINE] = "decline",
    [A_MERGE] = "merge",
    [A_RETURN] = "return",
    [A_REQ_EXT] = "request_extension",
    [A_APPROVE_EXT] = "approve_extension",
    [A_URGE] = "urge",
};

/* The notes officials write, per action. */
static const char *act_note(enum act a, int v)
{
    switch (a) {
    case A_INTERIM:
        return v % 2 ? "已现场查看，正在协调相关单位，预计本周内给出方案"
                     : "已召开协调会，正在办理中";
    case A_ASSIST:
        return "已提供相关政策依据和办理意见，供主办单位参考";
    case A_REPLY:
        return v % 3 == 0 ? "经核实已协调解决，相关手续已办结，请企业确认"
               : v % 3 == 1 ? "已安排专人对接，问题已处理完毕，后续如有需要可随时联系"
                            : "已按政策规定答复企业，并告知办理流程和所需材料";
    case A_REVIEW_REJECT:
        return "答复未回应企业的核心诉求，请重新办理";
    case A_RATE_BAD:
        return v % 2 ? "问题没有实际解决，答复敷衍" : "答复超出时限，且未说明后续安排";
    case A_CALLBACK:
        return "已电话回访，企业对办理结果表示满意";
    case A_ANSWER:
        return "已当场解答企业咨询，并告知相关政策和办理渠道";
    case A_DECLINE:
        return "该事项属于司法程序，不属于本平台受理范围，已告知企业通过法律途径解决";
    case A_RETURN:
        return "该事项不属于本单位职责，请重新交办";
    case A_REQ_EXT:
        return "需多部门联合现场核查，申请延期办理";
    case A_URGE:
        return "请加快办理，按时答复企业";
    default:
        return NULL;
    }
}

struct plan {
    size_t ent;
    const struct topic *topic;
    enum fate fate;
    int channel; /* 0 web, 1 window (clerk), 2 the 12345 hotline (imported) */
    int variant;
    size_t twin; /* F_MERGED: the demand it is merged into */
    char lead[32], co[32];
    char intake[48], handler[48], co_handler[48], supervisor[48];
    int64_t id;
};

struct step {
    int64_t at;
    uint32_t demand;
    uint16_t k; /* order within the demand */
    uint8_t act;
};

struct steps {
    struct step *v;
    size_t n, cap;
};

static void push(struct steps *s, uint32_t demand, enum act a, int64_t at)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 4096;
        s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
    }
    uint16_t k = s->n && s->v[s->n - 1].demand == demand ? (uint16_t)(s->v[s->n - 1].k + 1) : 0;
    s->v[s->n++] = (struct step){at, demand, k, (uint8_t)a};
}

static int by_time(const void *a, const void *b)
{
    const struct step *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    if (x->demand != y->demand)
        return x->demand < y->demand ? -1 : 1;
    return x->k < y->k ? -1 : x->k > y->k;
}

/* The user name of an organisation's handler: the plain demo's for 经信局. */
static void handler_of(const char *org, char *out, size_t n)
{
    if (strcmp(org, "340800-JXJ") == 0) {
        snprintf(out, n, "handler");
        return;
    }
    const char *dash = strchr(org, '-');
    snprintf(out, n, "handler.%s", dash ? dash + 1 : org);
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
}

/* Is there a county government for region (a current county of 安庆)? */
static bool county_org(const char *region)
{
    const struct codes_region *kids[64];
    size_t n = codes_region_children("340800", kids, 64);
    for (size_t i = 0; i < n && i < 64; i++)
        if (strcmp(kids[i]->code, region) == 0)
            return true;
    return false;
}

/* The steps of one demand from its submission at t; returns the last instant. */
static int64_t plan_steps(struct steps *s, struct demo_rng *r, uint32_t i, const struct plan *p,
                          int64_t t)
{
    enum fate f = p->fate;
    size_t first = s->n;
#define AFTER(lo, hi) (t = demo__office(t + demo__between(r, (lo), (hi))))
#define STEP(a) push(s, i, (a), t)
    STEP(A_CREATE);
    if (f == F_MERGED) {
        AFTER(20 * DEMO_MIN, 3 * DEMO_HOUR);
        STEP(A_MERGE);
        return t;
    }
    if (f == F_SUBMITTED)
        return t;
    if (f == F_DECLINED) {
        AFTER(30 * DEMO_MIN, 6 * DEMO_HOUR);
        STEP(A_DECLINE);
        if (p->variant % 2) {
            AFTER(DEMO_DAY, 5 * DEMO_DAY);
            STEP(A_ARCHIVE);
        }
        return t;
    }
    if (f == F_DIRECT || f == F_DIRECT_OPEN) {
        if (p->variant % 2) {
            AFTER(20 * DEMO_MIN, 4 * DEMO_HOUR);
            STEP(A_ACCEPT);
        }
        AFTER(20 * DEMO_MIN, 4 * DEMO_HOUR);
        STEP(A_ANSWER);
        if (f == F_DIRECT) {
            t += demo__between(r, 2 * DEMO_HOUR, 4 * DEMO_DAY);
            STEP(A_RATE_GOOD);
            if (p->variant % 3 == 0) {
                AFTER(DEMO_DAY, 7 * DEMO_DAY);
                STEP(A_ARCHIVE);
            }
        }
        return t;
    }
    AFTER(20 * DEMO_MIN, 6 * DEMO_HOUR);
    STEP(A_ACCEPT);
    if (f == F_ACCEPTED)
        return t;
    AFTER(10 * DEMO_MIN, 3 * DEMO_HOUR);
    STEP(A_DISPATCH);
    bool late = p->variant % 10 == 0;
    if (f == F_DISPATCHED) {
        if (p->variant % 3 == 0) {
            AFTER(DEMO_DAY, 2 * DEMO_DAY);
            STEP(A_URGE);
        }
        return t;
    }
    if (f == F_RETURN && p->variant % 2) {
        AFTER(30 * DEMO_MIN, 4 * DEMO_HOUR);
        STEP(A_RETURN);
        return t;
    }
    if (late)
        AFTER(DEMO_DAY, 2 * DEMO_DAY);
    else
        AFTER(15 * DEMO_MIN, 3 * DEMO_HOUR);
    STEP(A_SIGN);
    if (p->co[0] && p->variant % 3 == 0) {
        AFTER(2 * DEMO_HOUR, DEMO_DAY);
        STEP(A_ASSIST);
    }
    if (f == F_RETURN) {
        AFTER(30 * DEMO_MIN, 4 * DEMO_HOUR);
        STEP(A_RETURN);
        return t;
    }
    if (p->variant % 4 == 1) {
        AFTER(DEMO_DAY, 2 * DEMO_DAY);
        STEP(A_INTERIM);
    }
    if (f == F_SIGNED) {
        if (p->variant % 3 == 2) {
            AFTER(5 * DEMO_DAY, 8 * DEMO_DAY);
            STEP(A_URGE);
        }
        return t;
    }
    if (f == F_EXT_REQ || f == F_EXT_APPROVED) {
        AFTER(DEMO_DAY, 3 * DEMO_DAY);
        STEP(A_REQ_EXT);
        if (f == F_EXT_APPROVED) {
            AFTER(2 * DEMO_HOUR, DEMO_DAY);
            STEP(A_APPROVE_EXT);
        }
        return t;
    }
    if (late)
        AFTER(7 * DEMO_DAY, 12 * DEMO_DAY);
    else
        AFTER(DEMO_DAY, 6 * DEMO_DAY);
    STEP(A_REPLY);
    if (f == F_REPLIED)
        return t;
    AFTER(DEMO_HOUR, DEMO_DAY);
    if (f == F_REOPENED) {
        STEP(A_REVIEW_REJECT);
        return t;
    }
    STEP(A_REVIEW_ACCEPT);
    if (f == F_REVIEWED)
        return t;
    t += demo__between(r, 2 * DEMO_HOUR, 4 * DEMO_DAY);
    if (f == F_RECTIFYING || f == F_RECT_DONE) {
        STEP(A_RATE_BAD);
        if (f == F_RECTIFYING)
            return t;
        AFTER(2 * DEMO_DAY, 5 * DEMO_DAY);
        STEP(A_REPLY);
        AFTER(DEMO_HOUR, DEMO_DAY);
        STEP(A_REVIEW_ACCEPT);
        t += demo__between(r, 2 * DEMO_HOUR, 3 * DEMO_DAY);
    }
    STEP(A_RATE_GOOD);
    if (p->variant % 4 == 3) {
        AFTER(DEMO_HOUR, 2 * DEMO_DAY);
        STEP(A_CALLBACK);
    }
    if (f == F_ARCHIVED || f == F_RECT_DONE) {
        AFTER(DEMO_DAY, 10 * DEMO_DAY);
        STEP(A_ARCHIVE);
    }
#undef AFTER
#undef STEP
    (void)first;
    return t;
}

/* Moves the steps of demand i from index first back by d. */
static void shift(struct steps *s, size_t first, int64_t d)
{
    for (size_t k = first; k < s->n; k++)
        s->v[k].at -= d;
}

/* Plans every demand: who, what, its fate and its steps. */
static void plan_all(struct demo_gen *g, struct plan *plans, int n, struct steps *s)
{
    struct demo_rng r;
    demo__rng_init(&r, g->o->seed, 2);
    for (int i = 0; i < n; i++) {
        struct plan *p = &plans[i];
        memset(p, 0, sizeof(*p));
        int n_demo = (int)(sizeof(demo_ent_fates) / sizeof(demo_ent_fates[0]));
        p->variant = (int)(demo__rand(&r) % 1000);
        if (i < n_demo) {
            p->ent = g->demo_ent;
            p->fate = demo_ent_fates[i];
        } else {
            p->ent = (size_t)(demo__rand(&r) % g->n_ents);
            p->fate = (enum fate)demo__weighted(&r, fate_weight, F__N);
        }
        p->topic = &topics[demo__weighted(&r, topic_weight, N_TOPICS)];
        p->channel = i < n_demo ? 0 : (int)demo__weighted(&r, (const int[]){5, 2, 3}, 3);
        if (p->fate == F_MERGED) {
            if (i == 0 || plans[i - 1].fate == F_MERGED) {
                p->fate = F_ARCHIVED;
            } else {
                p->twin = (size_t)i - 1;
                p->ent = plans[i - 1].ent;
                p->topic = plans[i - 1].topic;
            }
        }
        /* Praise and questions are answered at the window. */
        bool window_answer = strcmp(p->topic->category, "praise") == 0 ||
                             (strcmp(p->topic->category, "consult") == 0 && p->variant % 2);
        if (window_answer && (p->fate == F_ARCHIVED || p->fate == F_RATED))
            p->fate = F_DIRECT;
        const struct demo_ent *ent = &g->ents[p->ent];
        bool county = county_org(ent->region);
        snprintf(p->lead, sizeof(p->lead), "%s",
                 strcmp(p->topic->lead, "COUNTY") != 0 ? p->topic->lead
                 : county                              ? ent->region
                                                       : "340800-FGW");
        /* Some of the demands waiting to be signed are 经信局's, the plain handler's. */
        if (p->fate == F_DISPATCHED && i % 3 == 0)
            snprintf(p->lead, sizeof(p->lead), "340800-JXJ");
        if (p->topic->co) {
            const char *co =
                strcmp(p->topic->co, "COUNTY") == 0 ? (county ? ent->region : NULL) : p->topic->co;
            if (co && strcmp(co, p->lead) != 0)
                snprintf(p->co, sizeof(p->co), "%s", co);
        }
        handler_of(p->lead, p->handler, sizeof(p->handler));
        if (p->co[0])
            handler_of(p->co, p->co_handler, sizeof(p->co_handler));
        bool local = county && p->variant % 2;
        if (local) {
            snprintf(p->intake, sizeof(p->intake), "clerk.%s", ent->region);
            snprintf(p->supervisor, sizeof(p->supervisor), "supervisor.%s", ent->region);
        } else {
            snprintf(p->intake, sizeof(p->intake), "clerk");
            snprintf(p->supervisor, sizeof(p->supervisor), "supervisor");
        }
        int64_t t;
        if (p->fate == F_MERGED) {
            t = s->v[s->n - 1].at; /* after the twin's last step... */
            size_t k = s->n;
            while (k > 0 && s->v[k - 1].demand == (uint32_t)i - 1)
                k--;
            t = s->v[k].at + demo__between(&r, 10 * DEMO_MIN, 40 * DEMO_MIN);
        } else if (open_window[p->fate].hi > 0) {
            t = g->end - (int64_t)((open_window[p->fate].lo +
                                    (open_window[p->fate].hi - open_window[p->fate].lo) *
                                        (double)(demo__rand(&r) % 10000) / 10000.0) *
                                   (double)DEMO_DAY);
        } else {
            t = demo__between(&r, g->start + DEMO_DAY, g->end - 45 * DEMO_DAY);
        }
        size_t first = s->n;
        int64_t last = plan_steps(s, &r, (uint32_t)i, p, t);
        /* An open demand's steps end before the end of the history. */
        int64_t limit = g->end - 5 * DEMO_MIN;
        if (last > limit)
            shift(s, first, last - limit);
    }
}

/* The Beijing date of t, "2026-03-01". */
static void local_date(int64_t t, char out[11])
{
    char buf[40];
    time_fmt_cst(t, buf, sizeof(buf));
    memcpy(out, buf, 10);
    out[10] = '\0';
}

static void phone(struct demo_rng *r, char out[12])
{
    snprintf(out, 12, "13%d%08d", 5 + (int)(demo__rand(r) % 5), (int)(demo__rand(r) % 100000000));
}

static const char *const contacts[] = {"王建国", "李明", "张丽",   "刘洋", "陈静",
                                       "杨帆",   "汪涛", "程晓东", "檀芳", "胡海燕"};

/* Submits demand i at t: on the web (the enterprise), at the window (a clerk) or
 * imported from the 12345 hotline (the city's clerk). */
static enum rc create(struct demo_gen *g, struct plan *plans, uint32_t i, struct demo_rng *r,
                      const struct demand_ctx *ctx, struct err *e)
{
    struct plan *p = &plans[i];
    const struct demo_ent *ent = &g->ents[p->ent];
    char content[600], tel[12];
    snprintf(content, sizeof(content),
             "%s反映：%s。企业已多次自行联系相关单位，希望尽快协调解决，以免影响正常生产经营。",
             ent->name, p->topic->title);
    phone(r, tel);
    const char *who = contacts[demo__rand(r) % 10];
    if (p->channel == 2) {
        struct demo_user *clerk = demo__user(g, "clerk", e);
        if (!clerk)
            return e->rc ? e->rc : RC_INTERNAL;
        char ext[40], recv[40], csv[2048];
        time_fmt_cst(ctx->now - demo__between(r, 5 * DEMO_MIN, 90 * DEMO_MIN), recv, sizeof(recv));
        recv[10] = ' ';
        recv[16] = '\0';
        char day[11];
        local_date(ctx->now, day);
        snprintf(ext, sizeof(ext), "12345-%.4s%.2s%.2s-%05u", day, day + 5, day + 8, i);
        snprintf(csv, sizeof(csv),
                 "external_id,credit_code,category,urgency,title,content,contact_name,"
                 "contact_phone,received_at\n%s,%s,%s,%s,\"%s\",\"%s\",%s,%s,%s\n",
                 ext, ent->credit, p->topic->category, p->variant % 7 == 0 ? "urgent" : "normal",
                 p->topic->title, content, who, tel, recv);
        struct demand_import_opts io = {.channel = "hotline", .file_name = "12345-demo.csv"};
        struct demand_import_report rep = {0};
        enum rc rc = demand_import(g->c, ctx, &clerk->p, csv, strlen(csv), &io, &rep, e);
        if (rc == RC_OK && rep.created != 1) {
            json_t *first = json_array_get(rep.errors, 0);
            rc = err_set(e, RC_INVALID, NULL, "%s",
                         first ? json_string_value(json_object_get(first, "message")) : "未导入");
        }
        demand_import_report_cleanup(&rep);
        struct stmt *st = NULL;
        if (rc == RC_OK)
            rc = store_prepare(g->c,
                               "SELECT id FROM demands WHERE channel = 'hotline' AND "
                               "external_id = ?",
                               &st, e);
        if (rc == RC_OK) {
            store_bind_text(st, 1, ext);
            rc = store_step(st, e);
            if (rc == RC_ROW) {
                p->id = store_int(st, 0);
                rc = RC_OK;
            } else if (rc == RC_DONE) {
                rc = err_set(e, RC_INTERNAL, NULL, "imported demand %s not found", ext);
            }
        }
        store_finish(st);
        g->r->hotline += rc == RC_OK;
        return rc;
    }
    struct demo_user *u = p->channel == 0 ? ent->user : demo__user(g, p->intake, e);
    if (!u)
        return e->rc ? e->rc : RC_INTERNAL;
    struct demand_new d = {
        .credit_code = ent->credit,
        .category = p->topic->category,
        .urgency = p->variant % 7 == 0 ? "urgent" : "normal",
        .channel = p->channel == 1 ? "window" : NULL,
        .title = p->topic->title,
        .content = content,
        .contact_name = who,
        .contact_phone = tel,
    };
    bool existed = false;
    return demand_create(g->c, ctx, &u->p, &d, &p->id, &existed, e);
}

/* Takes step s of its demand at its instant. */
static enum rc take(struct demo_gen *g, struct plan *plans, const struct step *s,
                    struct demo_rng *r, struct err *e)
{
    struct plan *p = &plans[s->demand];
    struct demand_ctx ctx = {.cal = g->cal, .now = s->at, .yellow_days = 1};
    time_fixed_set(s->at);
    if (s->act == A_CREATE)
        return create(g, plans, s->demand, r, &ctx, e);
    const char *as = p->intake;
    switch ((enum act)s->act) {
    case A_SIGN:
    case A_INTERIM:
    case A_REPLY:
    case A_RETURN:
    case A_REQ_EXT:
        as = p->handler;
        break;
    case A_ASSIST:
        as = p->co_handler;
        break;
    case A_RATE_GOOD:
    case A_RATE_BAD:
        as = g->ents[p->ent].user->username;
        break;
    case A_APPROVE_EXT:
    case A_URGE:
        as = p->supervisor;
        break;
    default:
        break;
    }
    struct demo_user *u = demo__user(g, as, e);
    if (!u)
        return e->rc ? e->rc : RC_INTERNAL;
    json_t *params = json_pack("{s:s}", "action", act_names[s->act]);
    const char *note = act_note((enum act)s->act, p->variant);
    if (note)
        json_object_set_new(params, "note", json_string(note));
    char text[40];
    switch ((enum act)s->act) {
    case A_DISPATCH:
        json_object_set_new(params, "lead", json_string(p->lead));
        if (p->co[0])
            json_object_set_new(params, "co", json_pack("[s]", p->co));
        break;
    case A_RATE_GOOD:
        json_object_set_new(params, "rating", json_integer(3 + (int)(demo__rand(r) % 3)));
        break;
    case A_RATE_BAD:
        json_object_set_new(params, "rating", json_integer(1 + (int)(demo__rand(r) % 2)));
        break;
    case A_MERGE:
        snprintf(text, sizeof(text), "%lld", (long long)plans[p->twin].id);
        json_object_set_new(params, "into", json_string(text));
        break;
    case A_REQ_EXT:
        local_date(s->at + 20 * DEMO_DAY, text);
        json_object_set_new(params, "until", json_string(text));
        break;
    default:
        break;
    }
    enum rc rc = demand_act(g->c, &ctx, &u->p, p->id, params, e);
    json_decref(params);
    return rc;
}

enum rc demo__demands(struct demo_gen *g, struct err *e)
{
    int n = g->o->n_demands > 0 ? g->o->n_demands : DEMO_DEMANDS;
    struct plan *plans = xcalloc((size_t)n, sizeof(*plans));
    struct steps s = {0};
    plan_all(g, plans, n, &s);
    qsort(s.v, s.n, sizeof(*s.v), by_time);
    struct demo_rng r;
    demo__rng_init(&r, g->o->seed, 3);
    enum rc rc = RC_OK;
    for (size_t k = 0; k < s.n && rc == RC_OK; k++) {
        rc = take(g, plans, &s.v[k], &r, e);
        if (rc) {
            char at[40];
            time_fmt_cst(s.v[k].at, at, sizeof(at));
            demo__fail(e, rc, "诉求 %u 的第 %u 步（%s，%s）", s.v[k].demand, s.v[k].k,
                       s.v[k].act == A_CREATE ? "提交" : act_names[s.v[k].act], at);
            break;
        }
        if (s.v[k].act == A_CREATE)
            g->r->demands++;
        else
            g->r->actions++;
        demo__progress(g, "诉求", (int64_t)k + 1, (int64_t)s.n);
    }
    xfree(s.v);
    xfree(plans);
    return rc;
}
