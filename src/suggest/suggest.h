/* SPDX-License-Identifier: Apache-2.0 */
/*
 * suggest: 企业意见建议. An enterprise files a suggestion; a clerk of the enterprise's
 * region accepts, answers and closes it (the toy of docs/internals/adding-a-domain.md).
 * Its workflow is suggest_flow (src/flow), entity "suggestion": submitted → accepted →
 * answered → closed. Who sees one: the enterprise itself, clerks (demand.intake) whose
 * organisation's region covers the enterprise's, scope.all.
 */
#ifndef QIFU_SUGGEST_H
#define QIFU_SUGGEST_H

#include <jansson.h>
#include <stdint.h>

#include "../base/rc.h"
#include "../flow/flow.h"

struct conn;
struct principal;

extern const struct flow suggest_flow;

/* Files a suggestion {"title", "content"} for the caller's enterprise; *id is new. */
enum rc suggest_create(struct conn *c, const struct principal *p, const json_t *body, int64_t *id,
                       struct err *e) WARN_UNUSED;
/* Lists the suggestions p may see, newest first, ids below before_id (0: from the newest),
 * state NULL for any (new JSON array). */
enum rc suggest_list(struct conn *c, const struct principal *p, const char *state,
                     int64_t before_id, int limit, json_t **out, struct err *e) WARN_UNUSED;
/* Reads one (new JSON); RC_NOTFOUND when p may not see it. */
enum rc suggest_get(struct conn *c, const struct principal *p, int64_t id, json_t **out,
                    struct err *e) WARN_UNUSED;
/* Its actions, PATCH (the action "edit"), the actions a caller may take and its timeline are
 * the flow's (flow_act, flow_actions_of, flow_timeline_of; api_kit's record routes). */

#endif
