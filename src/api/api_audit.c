/* SPDX-License-Identifier: Apache-2.0 */
/* api_audit: read the audit chain (supervisors and admins, declared in api.c). */
#include <stdlib.h>

#include "../audit/audit.h"
#include "../store/store.h"
#include "api.h"

enum rc api_audit_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    int limit;
    const char *after;
    enum rc rc = http_limit(req, API_DEFAULT_LIMIT, API_MAX_LIMIT, &limit, e);
    if (rc == RC_OK)
        rc = api_cursor(req, &after, e);
    if (rc)
        return rc;
    char *end = NULL;
    long long before_seq = after ? strtoll(after, &end, 10) : 0;
    if (after && (*end || before_seq <= 0))
        return err_set(e, RC_INVALID, "cursor", "cursor 无效");
    const char *id = http_query(req, "id");
    const char *entity = http_query(req, "entity");
    if (id && !entity)
        return err_set(e, RC_INVALID, "entity", "按 id 查询时须同时指定 entity");
    struct conn *c;
    if ((rc = api_conn(req, &c, e)))
        return rc;
    json_t *items;
    rc = audit_list(c, entity, id, before_seq, limit, &items, e);
    store_release(c);
    if (rc)
        return rc;
    return http_reply(resp, 200, api_page(req, items, limit, "seq"));
}
