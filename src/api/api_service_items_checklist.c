/* SPDX-License-Identifier: Apache-2.0 */
/*
 * POST /api/v1/service-items/{id}/checklist: the personal material list of a published
 * guide from 情形 answers (src/catalog/catalog_situation.h), public; with use_enterprise an
 * enterprise user's registry facts answer for it (explicit answers win).
 *
 * A compiled guide is kept per (service item, version) in a small cache: a published
 * version never changes, so compiling it again is never needed while it is in force.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../base/jsonx.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../catalog/catalog.h"
#include "../catalog/catalog_search.h"
#include "../catalog/catalog_situation.h"
#include "../policy/policy.h"
#include "../rules/rules.h"
#include "api_int.h"
#include "api_kit.h"

/* Compiled guides kept (by impl id and version). */
#define CHECKLIST_CACHE 64

/* One compiled guide, shared by the cache and the requests using it. */
struct shared {
    struct catalog_checklist *cl;
    int64_t impl;
    int version;
    int refs; /* under cache.mu */
};

static struct {
    pthread_mutex_t mu;
    struct shared *slot[CHECKLIST_CACHE];
} cache = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void shared_release(struct shared *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&cache.mu);
    bool last = --s->refs == 0;
    pthread_mutex_unlock(&cache.mu);
    if (last) {
        catalog_checklist_free(s->cl);
        xfree(s);
    }
}

/* Returns the compiled guide of (impl, version), compiling guide when it is not cached. */
static enum rc shared_get(int64_t impl, int version, const json_t *guide,
                          const struct ent_catalog *ent, struct shared **out, struct err *e)
{
    size_t k = (size_t)(((uint64_t)impl * 31u + (uint64_t)version) % CHECKLIST_CACHE);
    pthread_mutex_lock(&cache.mu);
    struct shared *s = cache.slot[k];
    if (s && s->impl == impl && s->version == version) {
        s->refs++;
        pthread_mutex_unlock(&cache.mu);
        *out = s;
        return RC_OK;
    }
    pthread_mutex_unlock(&cache.mu);
    struct catalog_checklist *cl = NULL;
    enum rc rc = catalog_checklist_new(guide, catalog_guide_rules(guide, ent), &cl, e);
    if (rc)
        return rc;
    s = xcalloc(1, sizeof(*s));
    *s = (struct shared){.cl = cl, .impl = impl, .version = version, .refs = 2};
    pthread_mutex_lock(&cache.mu);
    struct shared *old = cache.slot[k];
    cache.slot[k] = s;
    pthread_mutex_unlock(&cache.mu);
    shared_release(old);
    *out = s;
    return RC_OK;
}

/* Today in Asia/Shanghai (UTC+8 all year), as days since 1970-01-01. */
static int64_t today_cst(void)
{
    int64_t ms = time_now_ms() + 8 * 3600 * 1000LL;
    return ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
}

static enum rc api_checklist(struct http_req *req, struct http_resp *resp, struct err *e)
{
    static const char *const members[] = {"answers", "use_enterprise", NULL};
    int64_t id;
    enum rc rc = api_path_id(req, 0, "办事指南", &id, e);
    json_t *body = NULL;
    if (rc == RC_OK)
        rc = http_json_body(req, &body, e);
    if (rc == RC_OK)
        rc = jsonx_only(body, members, e);
    bool use_ent = false;
    if (rc == RC_OK)
        rc = jsonx_get_bool(body, "use_enterprise", false, &use_ent, e);
    if (rc)
        return rc;
    const json_t *answers = json_object_get(body, "answers");
    if (answers && !json_is_null(answers) && !json_is_object(answers))
        return err_set(e, RC_INVALID, "answers", "answers 应为对象，例如 {\"s_chain\": true}");
    const struct principal *p = api_who(req);
    if (use_ent && (!p || !p->credit_code || !*p->credit_code))
        return err_set(e, RC_INVALID, "use_enterprise",
                       "只有企业用户登录后才能使用本企业的登记信息");
    struct conn *c;
    if ((rc = api_db(req, &c, e)))
        return rc;
    json_t *it = NULL;
    if ((rc = catalog_impl_get(c, id, 0, false, &it, e)))
        return rc;
    const json_t *guide = json_object_get(it, "guide");
    int version =
        (int)json_integer_value(json_object_get(json_object_get(it, "version"), "version"));
    const struct ent_catalog *ent = policy_holder_catalog(api_app(req)->policies);
    struct shared *s = NULL;
    if ((rc = shared_get(id, version, guide, ent, &s, e))) {
        json_decref(it);
        return rc;
    }
    struct rules_facts *f = catalog_checklist_facts_new(s->cl);
    if (use_ent)
        rc = policy_enterprise_facts(c, ent, p, p->credit_code, f, e);
    json_t *out = NULL;
    if (rc == RC_OK)
        rc = catalog_checklist_eval(s->cl, answers, f, today_cst(), &out, e);
    rules_facts_free(f);
    shared_release(s);
    if (rc) {
        json_decref(it);
        return rc;
    }
    /* What the 一次性告知单 heads with: the service item it is for. */
    json_object_set_new(out, "service",
                        json_pack("{sO?sO?sO?sO?}", "impl_code", json_object_get(it, "impl_code"),
                                  "name", json_object_get(json_object_get(it, "item"), "name"),
                                  "task_name", json_object_get(json_object_get(it, "task"), "name"),
                                  "agency_name",
                                  json_object_get(json_object_get(it, "agency"), "name")));
    json_object_set_new(out, "id", json_integer(id));
    json_decref(it);
    /* A personal list counts as a use for the search's ranking (batched in memory). */
    catalog_usage_note(c, id, CATALOG_USAGE_CHECKLIST, time_now_ms());
    json_object_set_new(out, "version", json_integer(version));
    json_object_set_new(out, "use_enterprise", json_boolean(use_ent));
    return http_reply(resp, 200, out);
}

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). */
const struct http_route api_service_items_checklist_routes[] = {
    UPLOAD(HTTP_POST, "/api/v1/service-items/{id}/checklist", HTTP_PUBLIC, api_checklist,
           "一次性告知：按情形回答生成个人材料清单（无需登录；企业用户可用本企业登记信息）",
           16u << 10),
};
const size_t api_service_items_checklist_n_routes =
    sizeof(api_service_items_checklist_routes) / sizeof(api_service_items_checklist_routes[0]);
