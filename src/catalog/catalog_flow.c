/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog_flow: the versions of a guide as a src/flow table (docs/internals/flow.md).
 * draft → review (submit, by a writer) → published (approve, by a reviewer; refused while
 * the lint reports an error; the version published before becomes superseded and its
 * effective_to ends the day before the new one's effective_from) | back to draft (reject,
 * with a note); published → withdrawn (withdraw, with a note: the service item is no
 * longer offered). Every action writes its timeline event and audit row
 * (catalog_version.<action>) in its transaction.
 */
#include <stdio.h>
#include <string.h>

#include "../access/access.h"
#include "../base/jsonx.h"
#include "../base/mem.h"
#include "../flow/flow.h"
#include "../store/store.h"
#include "catalog.h"
#include "catalog_int.h"

enum { REL_WRITER = 1u << 0, REL_REVIEWER = 1u << 1 };

static const struct flow_state states[CV__N] = {{"draft", "草稿"},
                                                {"review", "待审核"},
                                                {"published", "已发布"},
                                                {"withdrawn", "已撤回"},
                                                {"superseded", "已被新版本替代"}};

/* The record: one row of catalog_versions. */
struct vrec {
    int64_t id, impl_id, row_version;
    int version, state;
    int64_t effective_from, effective_to, published_at; /* -1: NULL */
    char *doc, *lint;
};

static int64_t col_or(struct stmt *st, int i)
{
    return store_isnull(st, i) ? -1 : store_int(st, i);
}

static void bind_or(struct stmt *st, int i, int64_t v)
{
    if (v < 0)
        store_bind_null(st, i);
    else
        store_bind_int(st, i, v);
}

static enum rc load(struct flow_call *x, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(x->c,
                               "SELECT impl_id, version, state, effective_from, effective_to, "
                               "published_at, doc, lint, row_version FROM catalog_versions "
                               "WHERE id = ?",
                               &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, x->id);
    rc = store_step(st, e);
    if (rc == RC_DONE)
        rc = err_set(e, RC_NOTFOUND, NULL, "办事指南版本不存在");
    if (rc != RC_ROW) {
        store_finish(st);
        return rc;
    }
    struct vrec *r = xcalloc(1, sizeof(*r));
    r->id = x->id;
    r->impl_id = store_int(st, 0);
    r->version = (int)store_int(st, 1);
    r->state = flow_state_parse(x->flow, store_text(st, 2));
    r->effective_from = col_or(st, 3);
    r->effective_to = col_or(st, 4);
    r->published_at = col_or(st, 5);
    r->doc = xstrdup(store_text(st, 6));
    r->lint = xstrdup(store_text(st, 7));
    r->row_version = store_int(st, 8);
    store_finish(st);
    unsigned rels = 0;
    if (access_can(x->p, ACCESS_CATALOG_WRITE))
        rels |= REL_WRITER;
    if (access_can(x->p, ACCESS_CATALOG_REVIEW))
        rels |= REL_REVIEWER;
    if (!rels && r->state != CV_PUBLISHED && r->state != CV_SUPERSEDED) {
        xfree(r->doc);
        xfree(r->lint);
        xfree(r);
        return err_set(e, RC_NOTFOUND, NULL, "办事指南版本不存在");
    }
    struct vrec *n = xmalloc(sizeof(*n));
    *n = *r;
    n->doc = xstrdup(r->doc);
    n->lint = xstrdup(r->lint);
    x->rec = r;
    x->next = n;
    x->from = r->state;
    x->previous = -1;
    x->rels = rels;
    x->conds = 0;
    return RC_OK;
}

static void release(struct flow_call *x)
{
    struct vrec *v[2] = {x->rec, x->next};
    for (int i = 0; i < 2; i++) {
        if (!v[i])
            continue;
        xfree(v[i]->doc);
        xfree(v[i]->lint);
        xfree(v[i]);
    }
    x->rec = x->next = NULL;
}

static enum rc save(struct flow_call *x, struct err *e)
{
    struct vrec *n = x->next;
    struct stmt *st;
    enum rc rc = store_prepare(x->c,
                               "UPDATE catalog_versions SET state = ?, effective_from = ?, "
                               "effective_to = ?, published_at = ?, lint = ?, row_version = "
                               "row_version + 1 WHERE id = ? AND row_version = ?",
                               &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, flow_state_name(x->flow, x->to));
    bind_or(st, 2, n->effective_from);
    bind_or(st, 3, n->effective_to);
    bind_or(st, 4, n->published_at);
    store_bind_text(st, 5, n->lint);
    store_bind_int(st, 6, n->id);
    store_bind_int(st, 7, n->row_version);
    return flow_save_run(st, "办事指南版本", e);
}

static json_t *image(const struct flow_call *x, const void *rec)
{
    const struct vrec *r = rec;
    int s = rec == x->next ? x->to : r->state;
    char from[11] = "", to[11] = "";
    if (r->effective_from >= 0)
        catalog__day_fmt(r->effective_from, from);
    if (r->effective_to >= 0)
        catalog__day_fmt(r->effective_to, to);
    return json_pack("{s:s, s:I, s:i, s:s, s:s}", "state", flow_state_name(x->flow, s), "impl_id",
                     (json_int_t)r->impl_id, "version", r->version, "effective_from", from,
                     "effective_to", to);
}

/* Publishing: the lint must pass; the previous published version is superseded. */
static enum rc apply_approve(struct flow_call *x, struct err *e)
{
    struct vrec *n = x->next;
    json_t *doc = NULL;
    enum rc rc = jsonx_parse(n->doc, strlen(n->doc), 64, &doc, e);
    if (rc)
        return rc;
    int errors = 0;
    xfree(n->lint);
    n->lint = catalog__lint_text(doc, &errors);
    if (errors) {
        json_t *l = catalog_lint(doc);
        json_t *first = NULL;
        size_t i;
        json_t *f;
        json_array_foreach(json_object_get(l, "findings"), i, f)
        {
            if (strcmp(json_string_value(json_object_get(f, "severity")), "error") == 0) {
                first = f;
                break;
            }
        }
        rc = err_set(e, RC_INVALID, "lint", "办事指南检查未通过（%d 项错误），不能发布：%s（%s）",
                     errors, json_string_value(json_object_get(first, "message")),
                     json_string_value(json_object_get(first, "path")));
        json_decref(l);
        json_decref(doc);
        return rc;
    }
    const char *from = json_string_value(json_object_get(doc, "effective_from"));
    const char *to = json_string_value(json_object_get(doc, "effective_to"));
    n->effective_from = from ? catalog__day_parse(from) : catalog__today();
    n->effective_to = to ? catalog__day_parse(to) : -1;
    n->published_at = x->now;
    json_decref(doc);

    /* The version published before, superseded: its last day is the day before. */
    struct stmt *st;
    int64_t prev = 0, prev_to = -1;
    rc = store_prepare(x->c,
                       "SELECT id, effective_to FROM catalog_versions WHERE impl_id = ? AND "
                       "state = 'published' AND id <> ?",
                       &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, n->impl_id);
    store_bind_int(st, 2, n->id);
    while ((rc = store_step(st, e)) == RC_ROW) {
        prev = store_int(st, 0);
        prev_to = col_or(st, 1);
    }
    store_finish(st);
    if (rc != RC_DONE)
        return rc;
    if (prev) {
        int64_t end = n->effective_from - 1;
        if (prev_to >= 0 && prev_to < end)
            end = prev_to;
        rc = store_prepare(x->c,
                           "UPDATE catalog_versions SET state = 'superseded', effective_to = ?, "
                           "row_version = row_version + 1 WHERE id = ?",
                           &st, e);
        if (rc)
            return rc;
        store_bind_int(st, 1, end);
        store_bind_int(st, 2, prev);
        rc = store_run(st, e);
        store_finish(st);
        json_t *data = json_pack("{s:i}", "by_version", n->version);
        struct flow_event ev = {x->flow->entity, prev, x->now, "supersede", "published",
                                "superseded",    NULL, false,  data};
        json_t *before = json_pack("{s:s}", "state", "published");
        json_t *after = json_pack("{s:s}", "state", "superseded");
        if (rc == RC_OK)
            rc = flow_record(x->c, x->p, &ev, "catalog_version.supersede", before, after, e);
        json_decref(before);
        json_decref(after);
        json_decref(data);
        if (rc)
            return rc;
    }
    rc = store_prepare(x->c, "UPDATE catalog_impls SET published_version_id = ? WHERE id = ?", &st,
                       e);
    if (rc)
        return rc;
    store_bind_int(st, 1, n->id);
    store_bind_int(st, 2, n->impl_id);
    rc = store_run(st, e);
    store_finish(st);
    return rc;
}

/* Withdrawing: the service item is no longer offered. */
static enum rc apply_withdraw(struct flow_call *x, struct err *e)
{
    struct vrec *n = x->next;
    struct stmt *st;
    enum rc rc = store_prepare(x->c,
                               "UPDATE catalog_impls SET published_version_id = NULL WHERE id = ? "
                               "AND published_version_id = ?",
                               &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, n->impl_id);
    store_bind_int(st, 2, n->id);
    rc = store_run(st, e);
    store_finish(st);
    if (rc == RC_OK && n->effective_to < 0)
        n->effective_to = catalog__today();
    return rc;
}

/* A version in review is announced to the organisations whose reviewers (catalog.review)
 * cover the service item's region. */
static enum rc notify_submit(struct flow_call *x, struct err *e)
{
    struct vrec *r = x->rec;
    /* `qifu catalog load` (no user) approves at once: nobody needs telling. */
    if (!x->p || !x->p->user_id)
        return RC_OK;
    struct stmt *st;
    char region[8] = "", code[CATALOG_IMPL_CODE_MAX] = "", title[300];
    enum rc rc = store_prepare(x->c,
                               "SELECT m.region, m.impl_code, t.name FROM catalog_impls m JOIN "
                               "catalog_tasks t ON t.id = m.task_id WHERE m.id = ?",
                               &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, r->impl_id);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        snprintf(region, sizeof(region), "%s", store_text(st, 0));
        snprintf(code, sizeof(code), "%s", store_text(st, 1));
        snprintf(title, sizeof(title), "办事指南待审核：%s（第 %d 版）", store_text(st, 2),
                 r->version);
        rc = RC_OK;
    }
    store_finish(st);
    if (rc)
        return rc == RC_DONE ? RC_OK : rc;
    int64_t *orgs = NULL;
    size_t n = 0;
    rc = access_orgs_covering(x->c, ACCESS_CATALOG_REVIEW, region, &orgs, &n, e);
    for (size_t i = 0; i < n && rc == RC_OK; i++) {
        struct flow_to to = {0, orgs[i], NULL};
        rc = flow_notify(x, &to, "catalog_review", title, code, e);
    }
    xfree(orgs);
    return rc;
}

#define B FLOW_BIT
static const struct flow_action actions[] = {
    {"submit", "提交审核", B(CV_DRAFT), REL_WRITER, CV_REVIEW, 0, 0, 0, NULL, notify_submit},
    {"approve", "审核发布", B(CV_REVIEW), REL_REVIEWER, CV_PUBLISHED, 0, 0, 0, apply_approve, NULL},
    {"reject", "退回修改", B(CV_REVIEW), REL_REVIEWER, CV_DRAFT, FLOW_NOTE, 0, 0, NULL, NULL},
    {"withdraw", "撤回", B(CV_PUBLISHED), REL_REVIEWER, CV_WITHDRAWN, FLOW_NOTE, 0, 0,
     apply_withdraw, NULL},
};
#undef B
static const struct flow_label rels[] = {{"writer", "办事指南编写人员"},
                                         {"reviewer", "办事指南审核人员"}};
static const struct flow_label events[] = {
    {"create", "新建版本"}, {"edit", "修改草稿"}, {"supersede", "被新版本替代"}};

const struct flow catalog_version_flow = {
    .entity = "catalog_version",
    .label = "办事指南版本",
    .states = states,
    .n_states = CV__N,
    .actions = actions,
    .n_actions = FLOW_N(actions),
    .rels = rels,
    .n_rels = FLOW_N(rels),
    .events = events,
    .n_events = FLOW_N(events),
    .note_max = 1000,
    .load = load,
    .save = save,
    .image = image,
    .release = release,
};

/* ---- labels ------------------------------------------------------------------------- */

json_t *catalog_labels_json(void)
{
    static const char *const type_labels[] = {"行政许可", "行政确认",     "行政给付",
                                              "行政征收", "行政奖励",     "行政裁决",
                                              "行政检查", "其他行政权力", "公共服务"};
    static const char *const stage_labels[] = {"准入准营", "招聘用工", "纳税缴费",
                                               "经营发展", "工程建设", "注销退出"};
    json_t *types = json_object(), *stages = json_object();
    for (int i = 0; catalog__types[i]; i++)
        json_object_set_new(types, catalog__types[i], json_string(type_labels[i]));
    for (int i = 0; catalog__stages[i]; i++)
        json_object_set_new(stages, catalog__stages[i], json_string(stage_labels[i]));
    return json_pack(
        "{s:o, s:o, s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s}, "
        "s:{s:s, s:s}, s:{s:s, s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s, s:s, s:s}}",
        "types", types, "life_stages", stages, "kinds", "new", "新设", "change", "变更", "renew",
        "延续", "cancel", "注销", "sources", "applicant", "申请人自备", "license", "电子证照",
        "department", "部门核发", "intermediary", "中介机构", "system", "系统生成", "necessity",
        "required", "必需", "optional", "非必需", "waived", "免提交", "case_types", "instant",
        "即办件", "promise", "承诺件", "cross_modes", "online", "全程网办", "proxy", "异地代收代办",
        "joint", "多地联办", "cross_kinds", "handle", "办理类", "query", "查询类", "online_depth",
        "1", "信息公开", "2", "在线预约/下载", "3", "在线预审", "4", "全程网办");
}
