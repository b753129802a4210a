/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demand_lights: how many open demands are red, yellow and green right now, in the
 * caller's scope, in total and per lead organisation — the counts of the supervisor's
 * 督办看板 (docs/internals/demand.md "Light counts"). Lights come from the same
 * running-deadline rule and demand_light_of as lists and details.
 *
 * Scope: administrators every demand, supervisors the demands of their organisation's
 * region; anyone else RC_FORBIDDEN.
 */
#ifndef QIFU_DEMAND_LIGHTS_H
#define QIFU_DEMAND_LIGHTS_H

#include <jansson.h>

#include "../base/rc.h"

struct conn;
struct demand_ctx;
struct principal;

/*
 * Counts the open demands (dispatched, signed, return_requested, extension_requested,
 * reopened, rectifying) by light as a new JSON object {"at", "open", "red", "yellow",
 * "green", "items": [{"org": {code, name}, "open", "red", "yellow", "green"}]}, items
 * sorted by organisation code.
 */
enum rc demand_light_counts(struct conn *c, const struct demand_ctx *ctx,
                            const struct principal *p, json_t **out, struct err *e) WARN_UNUSED;

#endif
