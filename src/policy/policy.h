/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy: the policy domain of 惠企政策超市 (DESIGN.md §6, issue 5) — policies and
 * their versions, named conditions, the public list with Chinese full-text search,
 * the compiled set of policies in force, and matching an enterprise (or a visitor's
 * typed facts) against it.
 *
 * A policy is edited as a draft by the policy officers of its issuing organisation
 * (and by administrators), validated and published; publishing freezes the version
 * (policy_versions.published_at), and a later change is made on a new draft version
 * (action new_version) while the published one stays in force. Withdrawing takes the
 * policy out of the supermarket; a published policy past its valid_to is expired and
 * no longer offered. Every change is audited in its own transaction. Rule documents
 * are those of docs/internals/rules.md and are compiled by src/rules against the
 * fact catalogue (ent's, converted by policy_rules_catalog); a save whose rules do
 * not compile is refused with the condition's path in err.field and err.msg.
 *
 * Visibility: published, withdrawn and expired policies are public; a draft (and the
 * draft version of a published policy) only to the officers of its organisation and
 * to administrators; to anybody else it does not exist (RC_NOTFOUND).
 *
 * The holder keeps one immutable, reference-counted snapshot of the compiled
 * policies in force on the current day (a struct rules_set plus each policy's
 * title, 文号, delivery mode ...). Every publish, withdraw, new version published,
 * and named-condition change bumps policy_set_version in its transaction; a
 * snapshot older than the stored version, or of another day, is rebuilt on the
 * next policy_current() after the check interval, so several server processes
 * converge within a second; the process that made the change calls
 * policy_refresh() and sees it at once (the pattern of src/calendar).
 *
 *     rc = policy_holder_new(db, cat, POLICY_CHECK_MS, &h, &e);    // once, at start
 *     rc = policy_match_enterprise(c, h, p, credit_code, &out, &e); // per request
 *
 * Every function takes the holder: it owns the rules catalogue (built from ent's by
 * policy_rules_catalog) and is refreshed after each change this process makes.
 *
 * Layering: api -> policy -> {rules, ent, store, audit} -> base. See
 * docs/internals/policy.md.
 */
#ifndef QIFU_POLICY_H
#define QIFU_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/rc.h"

struct buf;
struct conn;
struct store;
struct principal;
struct audit_actor;
struct ent_catalog;
struct rules_catalog;
struct rules_set;
struct rules_facts;
struct policy_holder;
struct policy_snap;
struct flow;

/* How often the holder compares the stored set version (milliseconds). Where the change
 * channel listens (store_topic_gen, PostgreSQL) the holder re-checks as soon as the
 * "policy" topic moves, and then only every POLICY_CHECK_NOTIFIED_MS as a safety net. */
#define POLICY_CHECK_MS 1000
#define POLICY_CHECK_NOTIFIED_MS 30000
/* Limits of a policy document (characters, items). */
#define POLICY_TITLE_MAX 200
#define POLICY_SUMMARY_MAX 4000
#define POLICY_DOC_NO_MAX 100
#define POLICY_MAX_SCOPE 50
#define POLICY_MAX_TAGS 20
#define POLICY_MAX_MATERIALS 50
#define POLICY_MAX_ARTICLES 100
/* Most facts a visitor may type into POST /policies/match. */
#define POLICY_MATCH_MAX_FACTS 64

/* ---- ids ---------------------------------------------------------------------- */

/* Returns id as a new JSON string: ids are strings in JSON (DESIGN.md §8). */
json_t *policy_id_json(int64_t id);
/*
 * Reads an id given as a JSON string of decimal digits or as a JSON integer (both are
 * accepted on input); returns 0 when j is neither, or not a positive id.
 */
int64_t policy_id_value(const json_t *j);

/* ---- the fact catalogue for rules -------------------------------------------- */

/* Returns a new rules catalogue (rules_catalog_free) with every fact and tag of cat. */
struct rules_catalog *policy_rules_catalog(const struct ent_catalog *cat);

/*
 * Sets on f the newest registry facts of enterprise credit_code, visible to p (ent_facts_get:
 * RC_NOTFOUND otherwise), each with its authority; a stored value the catalogue no longer
 * accepts stays missing. f may be of any rules catalogue that holds cat's facts (the
 * policy matcher's, or a guide's checklist, catalog_situation.h).
 */
enum rc policy_enterprise_facts(struct conn *c, const struct ent_catalog *cat,
                                const struct principal *p, const char *credit_code,
                                struct rules_facts *f, struct err *e) WARN_UNUSED;

/* ---- policies ---------------------------------------------------------------- */

struct policy_filter {
    const char *q;        /* Chinese full text over title, summary, 文号 */
    const char *org;      /* issuing organisation code */
    const char *delivery; /* mian_shen, ji_shen, shen_bao */
    const char *region;   /* an enterprise region: policies whose scope covers it */
    const char *tag;      /* topic tag */
    const char *category;
    const char *state; /* officers and admins: draft, published, withdrawn, expired, all */
    int64_t after_id;  /* cursor: ids above this */
    int limit;
};

/*
 * Creates a draft (version 1) from doc {title, doc_no, summary, delivery, org,
 * region_scope, valid_from, valid_to, contact, materials, category, tags, articles,
 * rules}, audited ("policy.create"). Policy officers create for their own
 * organisation ("org" must be absent or theirs: RC_FORBIDDEN); administrators name
 * "org". RC_INVALID naming the member for bad input, including a rule document that
 * does not compile (the field is the condition's path, "rules.conditions.all[2].value").
 */
enum rc policy_create(struct conn *c, struct policy_holder *h, const struct principal *p,
                      const json_t *doc, int64_t *id, struct err *e) WARN_UNUSED;

/*
 * Changes the members of doc on the draft version of policy id (the policy's own draft,
 * or the draft version made by new_version), audited ("policy.update"). RC_NOTFOUND
 * when the caller may not see the policy, RC_FORBIDDEN when it may see but not edit
 * it, RC_STATE when there is no draft version, RC_INVALID as policy_create.
 */
enum rc policy_update(struct conn *c, struct policy_holder *h, const struct principal *p,
                      int64_t id, const json_t *doc, struct err *e) WARN_UNUSED;

/*
 * Reads policy id as a new JSON object: the version in force (or the draft), with the
 * conditions rendered for people (each condition's label, expected value and source,
 * from rules' explanation), 申兑指南 (materials, contact) and, for its editors, the
 * draft version. version > 0 reads that version (a draft only for its editors);
 * version < 0 reads the draft version for its editors (else as 0).
 * p may be NULL (anonymous). RC_NOTFOUND when absent or not visible.
 */
enum rc policy_get(struct conn *c, struct policy_holder *h, const struct principal *p, int64_t id,
                   int version, json_t **out, struct err *e) WARN_UNUSED;

/* Lists policies visible to p (NULL: anonymous) as a new JSON array, by id. */
enum rc policy_list(struct conn *c, const struct principal *p, const struct policy_filter *f,
                    json_t **out, struct err *e) WARN_UNUSED;

/* Lists the versions of policy id (new JSON array; drafts only for its editors). */
enum rc policy_versions(struct conn *c, const struct principal *p, int64_t id, json_t **out,
                        struct err *e) WARN_UNUSED;

/*
 * Takes an action on policy id (flow_act on policy_flow): params {"action": "validate" |
 * "publish" | "withdraw" | "new_version" | "adopt_conditions", "note"}. validate compiles the draft
 * (RC_INVALID with the path when it does not compile; nothing is written); publish makes the draft
 * version the version in force (the previous one becomes superseded) and bumps the set version;
 * withdraw takes a published policy out; new_version copies the version in force into a new draft.
 * *out (new) is the policy as policy_get shows it to p. RC_FORBIDDEN for a caller who may see but
 * not edit, RC_STATE for an action the state does not allow. Audited ("policy.publish", ...).
 */
enum rc policy_act(struct conn *c, struct policy_holder *h, const struct principal *p, int64_t id,
                   const json_t *params, json_t **out, struct err *e) WARN_UNUSED;
/* The actions p (NULL: anonymous) may take on policy id now, as a new JSON array of
 * {action, label, note_required}; RC_NOTFOUND as policy_get. */
enum rc policy_actions(struct conn *c, const struct principal *p, int64_t id, json_t **out,
                       struct err *e) WARN_UNUSED;
/*
 * The policy's lifecycle (src/flow), entity "policy": validate and publish a draft
 * version, new_version, withdraw, adopt_conditions; relations issuer (a policy officer
 * of the issuing department) and admin. Each action writes an event and an audit row.
 */
extern const struct flow policy_flow;

/*
 * Exports the conditions of policy id (version in force, or the draft for its editors)
 * as JsonLogic, as a new object {policy_id, version, jsonlogic, semantics}.
 */
enum rc policy_jsonlogic(struct conn *c, struct policy_holder *h, const struct principal *p,
                         int64_t id, json_t **out, struct err *e) WARN_UNUSED;

/* ---- named conditions ---------------------------------------------------------- */

/* Lists the named conditions as a new JSON array of {name, label, node, version, ...}. */
enum rc policy_conditions_list(struct conn *c, json_t **out, struct err *e) WARN_UNUSED;

/*
 * Creates or replaces named condition name from doc {label, node}, audited
 * ("condition.set"); every change is a new version (named_condition_versions), an
 * unchanged doc writes nothing. A new condition belongs to p's organisation (NULL p, the
 * CLI: to nobody, admins only); an existing one may be changed only by the policy
 * officers of its organisation and admins (RC_FORBIDDEN naming "name", in Chinese).
 * The node must compile. Published policies keep the versions they pinned, so nothing
 * in force changes until a policy adopts the new version (policy_act adopt_conditions).
 * *out (new) is {name, label, node, version, changed}.
 */
enum rc policy_condition_put(struct conn *c, struct policy_holder *h, const struct audit_actor *who,
                             const struct principal *p, const char *name, const json_t *doc,
                             json_t **out, struct err *e) WARN_UNUSED;

/* ---- the compiled set in force ------------------------------------------------- */

/*
 * Creates a holder over db for catalogue cat (borrowed; it must outlive the holder) and
 * builds the first snapshot. check_ms as POLICY_CHECK_MS (0 checks on every call).
 * *out is new (policy_holder_free).
 */
enum rc policy_holder_new(struct store *db, const struct ent_catalog *cat, int64_t check_ms,
                          struct policy_holder **out, struct err *e) WARN_UNUSED;
/* Frees h (NULL is fine); every snapshot must have been released. */
void policy_holder_free(struct policy_holder *h);
/*
 * Returns a referenced snapshot of the policies in force today: borrowed, immutable,
 * valid until policy_release(h, it); never NULL. When a check is due (or the day
 * changed) c (may be NULL: one is taken from the store) reads the stored version and
 * rebuilds the snapshot if needed; a failed rebuild is logged and the old one kept.
 */
struct policy_snap *policy_current(struct policy_holder *h, struct conn *c);
/* Drops the reference policy_current() returned (s may be NULL). */
void policy_release(struct policy_holder *h, struct policy_snap *s);
/* Rebuilds now when the stored version differs (call after a change). */
enum rc policy_refresh(struct policy_holder *h, struct conn *c, struct err *e) WARN_UNUSED;
/* Returns the ent catalogue and the rules catalogue of h (borrowed, for h's life). */
const struct ent_catalog *policy_holder_catalog(const struct policy_holder *h);
const struct rules_catalog *policy_holder_rules_catalog(const struct policy_holder *h);
/* Returns the compiled set of s (borrowed, valid while s is held). */
const struct rules_set *policy_snap_set(const struct policy_snap *s);
/* Returns the set version s was built from. */
int64_t policy_snap_version(const struct policy_snap *s);
/* Returns the day (days since 1970-01-01, Asia/Shanghai) whose policies in force s holds. */
int64_t policy_snap_day(const struct policy_snap *s);
/* A text made once per snapshot (the match template). */
struct policy_text {
    size_t len;
    char text[];
};
/*
 * Returns the text kept in s (NULL when none yet). With made (xmalloc'ed), stores it unless
 * another thread stored one first (then made is freed), and returns the one kept; it lives
 * as long as s.
 */
const struct policy_text *policy_snap_text(struct policy_snap *s, struct policy_text *made);

/* What the snapshot knows of policy i of its set (same index). Members are read-only. */
struct policy_info {
    int64_t id;
    int version; /* the published version compiled into the set */
    int64_t org_id;
    const char *org_code, *org_name;
    const char *title, *doc_no, *delivery, *category;
    const char *valid_from, *valid_to; /* NULL when open */
    const char *json; /* the answer's "policy" object as JSON text, made when loaded */
    size_t json_len;
};
/* Returns the info of policy i of s's set (borrowed, valid while s is held). */
const struct policy_info *policy_snap_info(const struct policy_snap *s, size_t i);
/* Returns "免申即享", "即申即享", "申报审批" for a delivery mode (NULL if unknown). */
const char *policy_delivery_label(const char *delivery);

/* ---- matching ------------------------------------------------------------------ */

/* How a match answer explains itself. */
enum policy_explain {
    POLICY_EXPLAIN_NONE,    /* outcomes and amounts only */
    POLICY_EXPLAIN_FULL,    /* each item carries its policy and explanation tree */
    POLICY_EXPLAIN_COMPACT, /* only what depends on the enterprise; policy_match_template
                             * carries the rest, once per set (see below) */
};

/*
 * Matches enterprise credit_code (visible to p, else RC_NOTFOUND) against every policy
 * in force and appends the answer to out as JSON text (written directly: with 1,100
 * policies and their explanations it is megabytes). POLICY_EXPLAIN_FULL: {credit_code,
 * as_of, set_version, set_key, items: [{policy, outcome, outcome_label, amount_fen,
 * amount_state, amount_before_fen, excluded_by, capped, authoritative, missing: [{fact,
 * label, source}], explanation}], missing_ranked: [{fact, label, source, policies}],
 * counts, estimated_total_fen, estimated_total_partial}.
 * POLICY_EXPLAIN_COMPACT: the same members, plus "explain": "compact", "values" and
 * "values_years" (rules_explain_values); an item has policy_id instead of policy, no
 * outcome_label, missing as fact names, and "status" (rules_explain_status) instead of
 * the explanation; missing_ranked items are {fact, policies}. Joined with the template of
 * the same set_key (web/src/lib/explain.js) it is exactly the full answer.
 * Nothing is stored. RC_TOOLARGE when out's cap is reached.
 */
enum rc policy_match_enterprise(struct conn *c, struct policy_holder *h, const struct principal *p,
                                const char *credit_code, enum policy_explain how, struct buf *out,
                                struct err *e) WARN_UNUSED;

/*
 * Appends the template of the set in force to out: {set_key, set_version, as_of,
 * outcome_labels: {outcome: label}, facts: {name: {label, source}}, policies: [{policy,
 * explanation: rules_explain_template}]} (policies in set order). The same for every
 * enterprise and visitor; *set_key (pool-free, up to 32 bytes) names it for caching.
 */
enum rc policy_match_template(struct conn *c, struct policy_holder *h, char set_key[32],
                              struct buf *out, struct err *e) WARN_UNUSED;
/* Writes the key of the set in force (what policy_match_template would name). */
void policy_match_set_key(struct conn *c, struct policy_holder *h, char set_key[32]);

/*
 * Matches facts typed by a visitor ({"region": "340811", "revenue": 120000000, ...},
 * the forms of PUT /enterprises/{code}/facts, all self-declared) against every policy
 * in force; the answer has the shape of policy_match_enterprise. RC_INVALID naming
 * "facts.<name>" for an unknown fact or a bad value, RC_TOOLARGE for more than
 * POLICY_MATCH_MAX_FACTS facts. Nothing is stored.
 */
enum rc policy_match_facts(struct policy_holder *h, const json_t *facts, enum policy_explain how,
                           struct buf *out, struct err *e) WARN_UNUSED;

/* ---- seeds ------------------------------------------------------------------- */

/* The demo's seed document (data/policies/seed.json), embedded at build time. */
extern const char policy_seed_json[];
extern const unsigned long policy_seed_json_len;

/*
 * Loads a seed document {"conditions": [{name, label, node}], "policies": [{..., "org":
 * CODE, "publish": true}]} (borrowed): named conditions that do not exist yet, and
 * policies whose (org, 文号, title) is not there yet, created by who and published when
 * asked. *n_made (may be NULL) counts what was created. Stops at the first error
 * (with "policies[i]" prefixed to the field).
 */
enum rc policy_seed(struct conn *c, struct policy_holder *h, const struct audit_actor *who,
                    const json_t *seed, int *n_made, struct err *e) WARN_UNUSED;

#endif
