/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog_bundle: 一件事 bundles merged from their members' published guides (issue 18
 * item 3), and the 跨省通办 report over published guides (item 4).
 *
 * catalog_bundle_merge is pure: the caller (src/api) picks each member's 实施清单 row for
 * the bundle's region and hands over its detail document; this module merges the form,
 * the materials, orders the members by `after`, lists the parts that may be done later
 * (分时分项) and checks the "六个一". Conditions (deferred.when) are evaluated with the
 * rules engine, three-valued, over the bundle's situations answered by the caller.
 * The merge rules are in docs/internals/catalog.md "一件事 bundles".
 */
#ifndef QIFU_CATALOG_BUNDLE_H
#define QIFU_CATALOG_BUNDLE_H

#include <jansson.h>

#include "../base/rc.h"

/*
 * Returns the merged view of bundle (a BUNDLE document, borrowed) as a new object:
 *   {code, name, life_stage, lead_dept, co_depts, window, online, single_result, aliases,
 *    situations,
 *    members: [{basic_code, kind, role, found, id, impl_code, name, agency_name, region,
 *               after, step, deferred: null | {state: "now"|"later"|"unknown", reason}}],
 *    order: [[basic_code, ...], ...]   (steps: each member after all it names),
 *    form: [{field, label, type, maps: [{basic_code, field, name}]}],
 *    materials: [{name, source, copies, form, necessity, tolerance, when?, members: [{basic_code,
 * id}]}], deferred: [{basic_code, name, state: "later"|"unknown", reason}], conflicts: [{kind,
 * basic_code?, field?, message}], six_ones: [{key, name, pass, reason}], counts: {members, found,
 * materials_before, materials_after}} members (borrowed) is an array of member detail documents
 * (the shape of GET /api/v1/service-items/{id}: id, impl_code, item.basic_code, task.kind,
 * task.name, agency.name, codes.region, guide); a bundle member with no detail of its basic_code
 * and kind is reported as not found. answers (borrowed, may be NULL) is an object of
 * situation answers {s_x: value} for the bundle's situations.
 */
json_t *catalog_bundle_merge(const json_t *bundle, const json_t *members, const json_t *answers);

/*
 * Returns the 跨省通办 report over rows (borrowed): an array of detail documents of
 * published items. A new object:
 *   {scopes: [{scope, items, handle, query, modes: {online|proxy|joint: {handle, query}},
 *              partner_items, partners_found, rows: [{id, impl_code, name, region, mode,
 *              kind, regions, windows, partner_items}]}],
 *    totals: {items, handle, query, cross_items, modes: {...}},
 *    items: [{scope, mode, mode_label, items, handle, query}] (one row per scope and mode),
 *    total: {scope: "合计…", items, handle, query}}
 * An item counts once in every scope it names; totals count each item once. Items
 * without cross_region count only in totals.items.
 */
json_t *catalog_cross_region_report(const json_t *rows);

/* Returns the Chinese label of a 跨省通办 mode ("online" → "全程网办"), or the code. */
const char *catalog_cross_mode_label(const char *mode);

/* ---- reads over the store (catalog_bundle_read.c) ---- */

struct conn;
struct err;

/*
 * The published bundles, in life-stage order (准入准营 … 注销退出) then code, only those of
 * life_stage when it is not NULL: a new object {items: [{code, name, life_stage,
 * life_stage_label, lead_dept, co_depts, aliases, members, window, online, single_result}],
 * stages: [{code, label, count}]} (stages lists all six, counts of the answer).
 */
enum rc catalog_bundle_browse(struct conn *c, const char *life_stage, json_t **out,
                              struct err *e) WARN_UNUSED;
/* Every published bundle's document: a new array (for the JSON-LD export's isGroupedBy). */
enum rc catalog_bundle_docs(struct conn *c, json_t **out, struct err *e) WARN_UNUSED;
/*
 * The merged view (catalog_bundle_merge) of the published bundle code, each member's
 * 实施清单 row picked for region: the one of that region, else of the same city, else of
 * the same province, else the first published. region NULL: the region of the lead
 * member's first published row. answers may be NULL. RC_NOTFOUND "一件事不存在".
 * *out is new; it carries "region" (the region used).
 */
enum rc catalog_bundle_view(struct conn *c, const char *code, const char *region,
                            const json_t *answers, json_t **out, struct err *e) WARN_UNUSED;
/*
 * The 跨省通办 report (catalog_cross_region_report) over every published item with
 * cross_region; totals.items counts every published item. *out is new.
 */
enum rc catalog_cross_region(struct conn *c, json_t **out, struct err *e) WARN_UNUSED;

#endif
