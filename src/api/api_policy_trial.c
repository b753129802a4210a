/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_policy_trial: GET /api/v1/policies/{id}/trial?credit_code=&version= — a policy
 * version (by default the draft its editors are working on) evaluated for one
 * enterprise before publishing (src/policy/policy_trial.h). Nothing is stored.
 */
#include <stdlib.h>
#include <string.h>

#include "../policy/policy_trial.h"
#include "../store/store.h"
#include "api.h"
#include "api_int.h"
#include "api_kit.h"

static enum rc api_policy_trial(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t id;
    enum rc rc = api_path_id(req, 0, "政策", &id, e);
    if (rc)
        return rc;
    const char *code = http_query(req, "credit_code");
    if (!code || !*code)
        return err_set(e, RC_INVALID, "credit_code", "请填写统一社会信用代码");
    if (strlen(code) != 18)
        return err_set(e, RC_INVALID, "credit_code", "统一社会信用代码应为 18 位");
    int64_t version = -1; /* the draft for its editors, else the version in force */
    if ((rc = api_query_int(req, "version", 1, 100000, &version, e)))
        return rc;
    struct conn *c;
    rc = api_db(req, &c, e);
    if (rc)
        return rc;
    json_t *j = NULL;
    rc = policy_trial(c, api_app(req)->policies, api_who(req), id, (int)version, code, &j, e);
    return rc ? rc : http_reply(resp, 200, j);
}

static enum rc api_policy_reach(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int64_t id;
    enum rc rc = api_path_id(req, 0, "政策", &id, e);
    if (rc)
        return rc;
    int64_t version = -1; /* the draft for its editors, else the version in force */
    if ((rc = api_query_int(req, "version", 1, 100000, &version, e)))
        return rc;
    struct conn *c;
    rc = api_db(req, &c, e);
    if (rc)
        return rc;
    json_t *j = NULL;
    rc = policy_reach(c, api_app(req)->policies, api_who(req), id, (int)version, &j, e);
    return rc ? rc : http_reply(resp, 200, j);
}

/* The routes of this file; api.c concatenates the tables (api_int.h API_TABLES). */
const struct http_route api_policy_trial_routes[] = {
    ROUTE(HTTP_GET, "/api/v1/policies/{id}/trial", PERM(POLICY_WRITE), api_policy_trial,
          "试算：政策某版本（默认草稿）对某企业的匹配结果与依据（?credit_code=&version=；不保存）"),
    ROUTE(HTTP_GET, "/api/v1/policies/{id}/reach", PERM(POLICY_WRITE), api_policy_reach,
          "发布前统计：政策某版本（默认草稿）在企业库中符合条件的企业数（?version=；不保存）"),
};
const size_t api_policy_trial_n_routes =
    sizeof(api_policy_trial_routes) / sizeof(api_policy_trial_routes[0]);
