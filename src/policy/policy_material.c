/* SPDX-License-Identifier: Apache-2.0 */
/* policy_material: the materials of a policy application (policy_material.h). */
#include "policy_material.h"

#include <stdio.h>
#include <string.h>

#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../flow/flow.h"
#include "../store/store.h"
#include "policy_grant.h"
#include "policy_grant_int.h"

/* The caller's relations to application id and its state: RC_NOTFOUND when the caller may
 * not read the application, RC_FORBIDDEN when it may but is neither the applicant nor the
 * reviewing department. */
static enum rc relation(struct conn *c, const struct principal *p, int64_t id, unsigned *rels,
                        char state[16], struct err *e)
{
    enum rc rc = flow_readable(&policy_app_flow, c, p, id, e);
    struct stmt *st;
    if (rc == RC_OK)
        rc = store_prepare(c, "SELECT org_id, credit_code, state FROM applications WHERE id = ?",
                           &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, id);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        *rels = policy_grant__rels(p, store_int(st, 0), store_text(st, 1));
        mem_copy_text(state, 16, store_text(st, 2));
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_NOTFOUND, NULL, "申请不存在或无权查看");
    }
    store_finish(st);
    if (rc == RC_OK && !*rels)
        rc = err_set(e, RC_FORBIDDEN, NULL, "申报材料只有申请企业和审核部门可以查看");
    return rc;
}

static json_t *material_json(int64_t mid, int64_t app, const char *name, const char *type,
                             int64_t size, const char *sha, const char *by, int64_t at)
{
    char sid[24], sapp[24], when[40];
    snprintf(sid, sizeof(sid), "%lld", (long long)mid);
    snprintf(sapp, sizeof(sapp), "%lld", (long long)app);
    time_fmt_cst(at, when, sizeof(when));
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "id", sid, "application_id", sapp,
                     "name", name, "content_type", type, "size", (json_int_t)size, "sha256", sha,
                     "uploaded_by", by, "created_at", when);
}

enum rc policy_material_add(struct conn *c, const struct principal *p, int64_t id,
                            const struct demand_attach_new *a, int64_t now, json_t **out,
                            struct err *e)
{
    char name[DEMAND_ATTACH_NAME_MAX], sha[65], state[16];
    const char *mime = NULL;
    unsigned rels = 0;
    *out = NULL;
    enum rc rc = store_begin(c, e);
    if (rc)
        return rc;
    rc = relation(c, p, id, &rels, state, e);
    if (rc == RC_OK && !(rels & PGR_OWNER))
        rc = err_set(e, RC_FORBIDDEN, NULL, "只有申请企业可以上传申报材料");
    if (rc == RC_OK && strcmp(state, "submitted") != 0 && strcmp(state, "more_info") != 0)
        rc = err_set(e, RC_STATE, NULL, "申请当前状态为“%s”，不能再上传材料",
                     flow_state_label(&policy_app_flow, flow_state_parse(&policy_app_flow, state)));
    if (rc == RC_OK)
        rc = demand_attach_check(a, name, &mime, sha, e);
    /* The row lock serialises uploads to one application, so the count holds. */
    struct stmt *st = NULL;
    if (rc == RC_OK)
        rc = store_prepare(c, "UPDATE applications SET version = version WHERE id = ?", &st, e);
    if (rc == RC_OK) {
        store_bind_int(st, 1, id);
        rc = store_run(st, e);
        store_finish(st);
    }
    if (rc == RC_OK)
        rc = store_prepare(c, "SELECT COUNT(*) FROM application_materials WHERE application_id = ?",
                           &st, e);
    if (rc == RC_OK) {
        store_bind_int(st, 1, id);
        rc = store_step(st, e);
        int64_t have = rc == RC_ROW ? store_int(st, 0) : 0;
        store_finish(st);
        rc = rc == RC_ROW ? RC_OK : rc;
        if (rc == RC_OK && have >= POLICY_MATERIAL_MAX_FILES)
            rc = err_set(e, RC_STATE, NULL, "每件申请最多 %d 份材料", POLICY_MATERIAL_MAX_FILES);
    }
    const char *by = p->display_name ? p->display_name : p->username;
    int64_t mid = 0;
    if (rc == RC_OK)
        rc = store_prepare(c,
                           "INSERT INTO application_materials (application_id, name, content_type, "
                           "size, sha256, uploaded_by, uploader_name, created_at, data) VALUES "
                           "(?,?,?,?,?,?,?,?,?) RETURNING id",
                           &st, e);
    if (rc == RC_OK) {
        store_bind_int(st, 1, id);
        store_bind_text(st, 2, name);
        store_bind_text(st, 3, mime);
        store_bind_int(st, 4, (int64_t)a->len);
        store_bind_text(st, 5, sha);
        store_bind_text(st, 6, p->actor.name);
        store_bind_text(st, 7, by);
        store_bind_int(st, 8, now);
        store_bind_blob(st, 9, a->data, a->len);
        rc = store_insert_id(st, &mid, e);
        store_finish(st);
    }
    json_t *j = NULL, *data = NULL;
    if (rc == RC_OK) {
        j = material_json(mid, id, name, mime, (int64_t)a->len, sha, by, now);
        data = json_pack("{s:O, s:s, s:s, s:I}", "material_id", json_object_get(j, "id"), "name",
                         name, "content_type", mime, "size", (json_int_t)a->len);
        struct flow_event ev = {"application", id, now, "attach", state, state, NULL, false, data};
        json_t *after = json_deep_copy(data);
        json_object_set_new(after, "sha256", json_string(sha));
        rc = flow_record(c, p, &ev, "application.attach", NULL, after, e);
        json_decref(after);
    }
    json_decref(data);
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (rc) {
        store_rollback(c);
        json_decref(j);
        return rc;
    }
    *out = j;
    return RC_OK;
}

enum rc policy_material_list(struct conn *c, const struct principal *p, int64_t id, json_t **out,
                             struct err *e)
{
    unsigned rels;
    char state[16];
    struct stmt *st;
    *out = NULL;
    enum rc rc = relation(c, p, id, &rels, state, e);
    if (rc == RC_OK)
        rc = store_prepare(c,
                           "SELECT id, name, content_type, size, sha256, uploader_name, "
                           "created_at FROM application_materials WHERE application_id = ? "
                           "ORDER BY id",
                           &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, id);
    json_t *arr = json_array();
    while ((rc = store_step(st, e)) == RC_ROW)
        json_array_append_new(arr,
                              material_json(store_int(st, 0), id, store_text(st, 1),
                                            store_text(st, 2), store_int(st, 3), store_text(st, 4),
                                            store_text(st, 5), store_int(st, 6)));
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return RC_OK;
}

enum rc policy_material_get(struct conn *c, const struct principal *p, int64_t id, int64_t mid,
                            struct demand_attach_file *f, struct err *e)
{
    unsigned rels;
    char state[16];
    struct stmt *st;
    memset(f, 0, sizeof(*f));
    enum rc rc = relation(c, p, id, &rels, state, e);
    if (rc == RC_OK)
        rc = store_prepare(c,
                           "SELECT name, content_type, sha256, data FROM application_materials "
                           "WHERE id = ? AND application_id = ?",
                           &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, mid);
    store_bind_int(st, 2, id);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        mem_copy_text(f->name, sizeof(f->name), store_text(st, 0));
        mem_copy_text(f->content_type, sizeof(f->content_type), store_text(st, 1));
        mem_copy_text(f->sha256, sizeof(f->sha256), store_text(st, 2));
        size_t n = 0;
        const void *bytes = store_blob(st, 3, &n);
        f->data = xmalloc(n ? n : 1);
        if (n)
            memcpy(f->data, bytes, n);
        f->len = n;
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_NOTFOUND, NULL, "材料不存在");
    }
    store_finish(st);
    return rc;
}
