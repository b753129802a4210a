/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog_situation: 情形 decide the material list of a guide (issue 18 item 2,
 * docs/internals/catalog.md "情形 and the personal list").
 *
 * A guide (the GUIDE document of docs/internals/catalog.md) declares a few 情形
 * questions (situations: bool, int or code) and gives its materials, steps, fees and
 * 受理条件 an optional condition `when` in the rule language of src/rules, over the
 * situations and the enterprise facts of the fact catalogue. A guide is compiled once
 * into a checklist: a rules catalogue (the enterprise facts plus one fact per situation),
 * one compiled rules policy per `when`, and each condition's node tree flattened from
 * rules' template. It is immutable and may be evaluated by any number of threads.
 *
 * Evaluating answers (situation id → value; enterprise facts may be answered too) and,
 * optionally, an enterprise's registry facts (set by the caller on the facts object,
 * see policy_enterprise_facts; an explicit answer wins over them) is three-valued: a
 * TRUE `when` puts the item in the personal list with a reason naming the answers that
 * put it there, FALSE leaves it out, UNKNOWN leaves it pending. The questions still
 * needed are the situations read by an UNKNOWN condition under UNKNOWN ancestors only
 * (a decided subtree cannot change its item), ranked by how many pending items they
 * may decide (most decisive first, the way policy matching ranks missing facts), then
 * in the guide's order.
 *
 *     rc = catalog_checklist_new(guide, policy_rules_catalog(ent_cat), &cl, &e); // once
 *     f = catalog_checklist_facts_new(cl);    // per request; registry facts may be set
 *     rc = catalog_checklist_eval(cl, answers, f, today, &out, &e);
 *
 * Layering: api -> catalog -> rules -> base. Pure: no I/O.
 */
#ifndef QIFU_CATALOG_SITUATION_H
#define QIFU_CATALOG_SITUATION_H

#include <jansson.h>
#include <stdint.h>

#include "../base/rc.h"

struct rules_catalog;
struct rules_facts;
struct catalog_checklist;

/* Most situations of one guide. */
#define CATALOG_MAX_SITUATIONS 32

/*
 * Compiles guide (borrowed; a reference is kept) into a new checklist *out
 * (catalog_checklist_free). cat is stolen, also on an error: the enterprise facts the
 * conditions may read (policy_rules_catalog); each situation is added to it as a fact
 * (bool, int with its unit, code with its option values) unless the catalogue was made
 * from this guide (catalog_guide_rules) and holds it already. RC_INVALID with the path in
 * e->field ("situations[1].options", "materials[3].when.all[0].value") and a Chinese
 * message for a bad situation or a condition that does not compile.
 */
enum rc catalog_checklist_new(const json_t *guide, struct rules_catalog *cat,
                              struct catalog_checklist **out, struct err *e) WARN_UNUSED;
/* Frees cl (NULL is fine). */
void catalog_checklist_free(struct catalog_checklist *cl);
/* Returns the rules catalogue of cl (borrowed). */
const struct rules_catalog *catalog_checklist_catalog(const struct catalog_checklist *cl);
/* Returns new, empty facts for cl's catalogue (rules_facts_free): the caller may set an
 * enterprise's registry facts on it before catalog_checklist_eval. */
struct rules_facts *catalog_checklist_facts_new(const struct catalog_checklist *cl);

/*
 * Evaluates cl for answers (a JSON object {situation id or enterprise fact: value}, or
 * NULL; null values are unanswered) over f (from catalog_checklist_facts_new, may hold
 * registry facts; the answers are written onto it, so an answer wins) on day today (days
 * since 1970-01-01, Asia/Shanghai). *out is a new object {complete, questions:[{id,
 * question, type, options, unit, decides}], materials:[{…material…, reason}], steps,
 * fees, acceptance_conditions (each with reason), pending:{materials, steps, fees,
 * acceptance_conditions} (each with needs:[ids], reason), and the guide's situations, time_limit,
 * case_type, visits, locations, consult_phone, complaint_phone}; items lose their
 * `when`. RC_INVALID with e->field "answers.<id>" and a Chinese message for an unknown
 * question, a value of the wrong type or an option the question does not offer.
 */
enum rc catalog_checklist_eval(const struct catalog_checklist *cl, const json_t *answers,
                               struct rules_facts *f, int64_t today, json_t **out,
                               struct err *e) WARN_UNUSED;

#endif
