/* SPDX-License-Identifier: Apache-2.0 */
/*
 * suggest: 企业意见建议. An enterprise files a suggestion; a clerk of the enterprise's
 * region accepts, answers and closes it (the toy of docs/internals/adding-a-domain.md).
 * Its workflow is suggest_flow (src/flow), entity "suggestion": submitted → accepted →
 * answered → closed; its record is one row of suggestions (flow_rec: list, get, create,
 * PATCH are the column table's). Who sees one: the enterprise itself, clerks
 * (demand.intake) whose organisation's region covers the enterprise's, scope.all.
 */
#ifndef QIFU_SUGGEST_H
#define QIFU_SUGGEST_H

#include "../flow/flow.h"

extern const struct flow suggest_flow;

#endif
