/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog_lint: the guide lint (issue 18 item 5). The defects the State Council's 2017
 * check of 201 platforms found — empty columns, no 时限/收费/联系方式, vague materials —
 * and a few contradictions, as rules with a severity: an error refuses publishing, a
 * warning is shown and counts against the department's quality score. The table below is
 * the whole list (docs/internals/catalog.md repeats it).
 */
#include <stdio.h>
#include <string.h>

#include "../base/jsonx.h"
#include "../base/mem.h"
#include "catalog.h"
#include "catalog_int.h"

/*
 * Material names that tell the applicant nothing: the name itself, or a name that ends in
 * one of them after a qualifier ("根据相关法律法规需要提交的其他材料", "其他相关材料").
 * A name is vague when, with spaces and punctuation removed, it equals an entry or ends
 * with "其他材料"/"其它材料"/"相关材料"/"有关材料"/"其他资料"/"相关资料"/"相关证明".
 */
static const char *const vague_exact[] = {
    "其他",
    "其它",
    "其他材料",
    "其它材料",
    "相关材料",
    "有关材料",
    "其他资料",
    "相关资料",
    "相关证明",
    "其他证明材料",
    "其他相关材料",
    "要求的其他材料",
    "所需材料",
    "材料",
    "等",
    "根据相关法律法规需要提交的其他材料",
    "法律法规规定的其他材料",
    "其他需要提交的材料",
    NULL,
};
static const char *const vague_tail[] = {
    "其他材料", "其它材料", "相关材料",   "有关材料", "其他资料",
    "其它资料", "相关资料", "有关资料",   "相关证明", "其他文件",
    "相关文件", "等材料",   "等相关材料", "其他证明", NULL,
};

/* Removes ASCII spaces and the punctuation people put around a name into out. */
static void squeeze(const char *s, char *out, size_t n)
{
    static const char *const drop[] = {"（", "）", "。", "，", "、", "：", "；", "　", NULL};
    size_t k = 0;
    while (*s && k + 1 < n) {
        bool skipped = false;
        if (*s == ' ' || *s == '(' || *s == ')' || *s == '.' || *s == ',' || *s == ':') {
            s++;
            continue;
        }
        for (int i = 0; drop[i]; i++) {
            size_t m = strlen(drop[i]);
            if (strncmp(s, drop[i], m) == 0) {
                s += m;
                skipped = true;
                break;
            }
        }
        if (!skipped)
            out[k++] = *s++;
    }
    out[k] = '\0';
}

bool catalog_lint_vague(const char *name)
{
    char s[1024];
    squeeze(name ? name : "", s, sizeof(s));
    for (int i = 0; vague_exact[i]; i++)
        if (strcmp(s, vague_exact[i]) == 0)
            return true;
    size_t n = strlen(s);
    for (int i = 0; vague_tail[i]; i++) {
        size_t m = strlen(vague_tail[i]);
        if (n >= m && strcmp(s + n - m, vague_tail[i]) == 0)
            return true;
    }
    return false;
}

/* The rules: name, severity, message. */
enum sev { ERROR, WARNING };
static const struct lint_rule {
    const char *name;
    enum sev sev;
    const char *message;
} rules[] = {
#define L_TIME 0
    {"time_limit_missing", ERROR, "未填写办结时限（法定或承诺办结时限）"},
#define L_FEE 1
    {"fee_missing", ERROR, "收费事项未列出收费项目、标准（或应标明不收费）"},
#define L_CONSULT 2
    {"consult_phone_missing", ERROR, "未填写咨询电话"},
#define L_COMPLAINT 3
    {"complaint_phone_missing", ERROR, "未填写投诉电话"},
#define L_LOCATION 4
    {"location_missing", ERROR, "未填写办理地点"},
#define L_HOURS 5
    {"hours_missing", ERROR, "未填写办理时间"},
#define L_REQ_TOL 6
    {"required_and_tolerance", ERROR, "必需材料不能同时允许容缺受理"},
#define L_WAIVER 7
    {"waiver_reason_missing", ERROR, "免提交的材料须写明免提交理由（如通过电子证照库共享获取）"},
#define L_VAGUE 8
    {"material_vague", WARNING, "材料名称含糊（如“其他材料”“相关材料”），须写明具体材料"},
#define L_STEP 9
    {"step_requirement_missing", WARNING, "办理环节未写明办理要求"},
#define L_BLANK 10
    {"form_blank_missing", WARNING, "表格类材料未提供空白表格"},
#define L_SAMPLE 11
    {"form_sample_missing", WARNING, "表格类材料未提供示范文本（样表）"},
#define L_CONDITIONS 12
    {"acceptance_conditions_missing", WARNING, "未填写受理条件"},
#define L_MATERIALS 13
    {"materials_missing", WARNING, "未列出申请材料"},
#define L_BASIS 14
    {"legal_basis_missing", WARNING, "未填写实施依据"},
#define L_RESULTS 15
    {"results_missing", WARNING, "未填写办理结果"},
#define L_STEPS 16
    {"steps_missing", WARNING, "未填写办理流程"},
};

static void add(json_t *out, int rule, const char *path, const char *detail)
{
    const struct lint_rule *r = &rules[rule];
    char msg[400];
    if (detail)
        snprintf(msg, sizeof(msg), "%s：%s", r->message, detail);
    else
        snprintf(msg, sizeof(msg), "%s", r->message);
    json_array_append_new(json_object_get(out, "findings"),
                          json_pack("{s:s, s:s, s:s, s:s}", "rule", r->name, "severity",
                                    r->sev == ERROR ? "error" : "warning", "path", path, "message",
                                    msg));
    const char *k = r->sev == ERROR ? "errors" : "warnings";
    json_object_set_new(out, k, json_integer(json_integer_value(json_object_get(out, k)) + 1));
}

static bool blank(const json_t *v)
{
    const char *s = json_string_value(v);
    if (!s)
        return true;
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return false;
    return true;
}

json_t *catalog_lint(const json_t *g)
{
    json_t *out =
        json_pack("{s:b, s:i, s:i, s:[]}", "ok", 1, "errors", 0, "warnings", 0, "findings");
    const json_t *tl = json_object_get(g, "time_limit");
    if (!json_is_integer(json_object_get(tl, "legal_days")) &&
        !json_is_integer(json_object_get(tl, "promised_days")))
        add(out, L_TIME, "time_limit", NULL);
    const json_t *free_ = json_object_get(g, "free");
    if (!json_is_true(free_) && json_array_size(json_object_get(g, "fees")) == 0)
        add(out, L_FEE, "fees",
            json_is_false(free_) ? "free=false 但没有收费项目" : "未标明是否收费");
    if (blank(json_object_get(g, "consult_phone")))
        add(out, L_CONSULT, "consult_phone", NULL);
    if (blank(json_object_get(g, "complaint_phone")))
        add(out, L_COMPLAINT, "complaint_phone", NULL);
    const json_t *locs = json_object_get(g, "locations");
    if (json_array_size(locs) == 0) {
        add(out, L_LOCATION, "locations", NULL);
        add(out, L_HOURS, "locations", NULL);
    }
    size_t i;
    json_t *x;
    char path[64];
    json_array_foreach(locs, i, x)
    {
        if (blank(json_object_get(x, "address"))) {
            snprintf(path, sizeof(path), "locations[%zu].address", i);
            add(out, L_LOCATION, path, "缺少地址");
        }
        if (blank(json_object_get(x, "hours"))) {
            snprintf(path, sizeof(path), "locations[%zu].hours", i);
            add(out, L_HOURS, path, NULL);
        }
    }
    const json_t *mats = json_object_get(g, "materials");
    if (json_array_size(mats) == 0)
        add(out, L_MATERIALS, "materials", NULL);
    json_array_foreach(mats, i, x)
    {
        const char *name = json_string_value(json_object_get(x, "name"));
        const char *nec = json_string_value(json_object_get(x, "necessity"));
        if (catalog_lint_vague(name)) {
            snprintf(path, sizeof(path), "materials[%zu].name", i);
            add(out, L_VAGUE, path, name);
        }
        if (nec && strcmp(nec, "required") == 0 && json_is_true(json_object_get(x, "tolerance"))) {
            snprintf(path, sizeof(path), "materials[%zu].tolerance", i);
            add(out, L_REQ_TOL, path, name);
        }
        if (nec && strcmp(nec, "waived") == 0 && blank(json_object_get(x, "waiver_reason"))) {
            snprintf(path, sizeof(path), "materials[%zu].waiver_reason", i);
            add(out, L_WAIVER, path, name);
        }
        if (json_is_true(json_object_get(x, "is_form"))) {
            if (blank(json_object_get(x, "blank_form"))) {
                snprintf(path, sizeof(path), "materials[%zu].blank_form", i);
                add(out, L_BLANK, path, name);
            }
            if (blank(json_object_get(x, "sample"))) {
                snprintf(path, sizeof(path), "materials[%zu].sample", i);
                add(out, L_SAMPLE, path, name);
            }
        }
    }
    const json_t *steps = json_object_get(g, "steps");
    if (json_array_size(steps) == 0)
        add(out, L_STEPS, "steps", NULL);
    json_array_foreach(steps, i, x)
    {
        if (blank(json_object_get(x, "requirement"))) {
            snprintf(path, sizeof(path), "steps[%zu].requirement", i);
            add(out, L_STEP, path, json_string_value(json_object_get(x, "name")));
        }
    }
    if (json_array_size(json_object_get(g, "acceptance_conditions")) == 0)
        add(out, L_CONDITIONS, "acceptance_conditions", NULL);
    if (json_array_size(json_object_get(g, "legal_basis")) == 0)
        add(out, L_BASIS, "legal_basis", NULL);
    if (json_array_size(json_object_get(g, "results")) == 0)
        add(out, L_RESULTS, "results", NULL);
    json_object_set_new(out, "ok",
                        json_boolean(json_integer_value(json_object_get(out, "errors")) == 0));
    return out;
}

char *catalog__lint_text(const json_t *doc, int *errors)
{
    json_t *l = catalog_lint(doc);
    if (errors)
        *errors = (int)json_integer_value(json_object_get(l, "errors"));
    char *s = jsonx_canonical(l);
    json_decref(l);
    return s;
}
