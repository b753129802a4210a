/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_trial: "test against an enterprise" (试算) — one version of one policy,
 * typically the draft an officer is editing, evaluated for one enterprise's stored
 * facts with the row evaluator, before anything is published. Nothing is stored.
 *
 * The version is compiled on its own (with the region scope and the named
 * conditions, exactly as publishing would), so the answer is the outcome, the amount,
 * the missing facts and the per-condition explanation the enterprise would get —
 * except for the second pass (就高不重复, cap groups), which needs the other policies
 * in force and is therefore not applied (the answer says so in "note").
 *
 *     rc = policy_trial(c, h, p, policy_id, -1, "91340100131860916Y", &out, &e);
 *
 * Layering: api -> policy_trial -> {policy, rules, ent, store}. docs/internals/policy.md.
 */
#ifndef QIFU_POLICY_TRIAL_H
#define QIFU_POLICY_TRIAL_H

#include <jansson.h>
#include <stdint.h>

#include "../base/rc.h"

struct conn;
struct principal;
struct policy_holder;

/*
 * Evaluates version `version` of policy id (0: the version in force, or the draft of a
 * policy never published; < 0: the draft version for its editors, else as 0; > 0 that
 * version) for enterprise credit_code, as a new JSON object {policy: {id, title,
 * version, version_state}, credit_code, enterprise_name, as_of, outcome,
 * outcome_label, amount_fen, amount_state, authoritative, missing: [{fact, label,
 * source}], explanation, note}. RC_NOTFOUND when p may not see the policy, the version
 * or the enterprise; RC_STATE when the version has no conditions yet; RC_INVALID
 * (field "rules....") when it does not compile.
 */
enum rc policy_trial(struct conn *c, struct policy_holder *h, const struct principal *p,
                     int64_t id, int version, const char *credit_code, json_t **out,
                     struct err *e) WARN_UNUSED;

/*
 * How many enterprises of the registry version `version` of policy id (as policy_trial
 * chooses it) would reach today, evaluated alone over the table a 免申即享 run reads
 * (authoritative values only): a new JSON object {policy: {id, title, version,
 * version_state}, as_of, enterprises (the registry's size), eligible, possibly, manual,
 * note}. For the warning before publishing (a policy that matches nobody). The counts are
 * of the whole registry whatever p's scope: they name no enterprise. RC_NOTFOUND when p
 * may not see the policy or version; RC_STATE when it has no conditions yet; RC_INVALID
 * when it does not compile.
 */
enum rc policy_reach(struct conn *c, struct policy_holder *h, const struct principal *p, int64_t id,
                     int version, json_t **out, struct err *e) WARN_UNUSED;

#endif
