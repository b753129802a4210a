/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_flow: the lifecycle of a policy as a src/flow table (policy_flow): validate and
 * publish a draft version, new_version, withdraw, adopt_conditions. Each action is a
 * row (states it starts from, relations, the draft/outdated conditions it needs or
 * refuses) plus its apply() hook; flow_act records the event and the audit row in the
 * action's transaction. policy_act (policy_read.c) runs it.
 */
#include <stdio.h>
#include <string.h>

#include "../audit/audit.h"
#include "../auth/auth.h"
#include "../base/buf.h"
#include "../base/jsonx.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../base/timeutil.h"
#include "../codes/codes.h"
#include "../flow/flow.h"
#include "../ent/ent.h"
#include "../rules/rules.h"
#include "../store/store.h"
#include "policy_int.h"

/* The caller's relations to a policy of org_id (PR_* bits); p may be NULL. */
unsigned policy__rels_of(const struct principal *p, int64_t org_id)
{
    /* An administrator who may also write policies: a scope.all role without
     * policy.write (a read-only auditor added as data) gets no buttons. */
    if (access_can(p, ACCESS_SCOPE_ALL) && access_can(p, ACCESS_POLICY_WRITE))
        return PR_ADMIN;
    if (access_can(p, ACCESS_POLICY_ISSUE) && p->org_id == org_id)
        return PR_ISSUER;
    return 0;
}

/* ---- actions ------------------------------------------------------------------------ */

static enum rc set_policy_state(struct conn *c, int64_t id, const char *sql, int v, const char *by,
                                int64_t now, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, sql, &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, v);
    store_bind_int(st, 2, now);
    store_bind_text(st, 3, by);
    store_bind_int(st, 4, now);
    store_bind_int(st, 5, id);
    rc = store_run(st, e);
    store_finish(st);
    return rc;
}

/*
 * Makes version v (a draft) the version in force: the previous one is superseded and the
 * policies row says published, version v.
 */
static enum rc publish_version(struct conn *c, int64_t id, int v, const char *by, int64_t now,
                               struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               "UPDATE policy_versions SET state = 'superseded' WHERE policy_id = "
                               "? AND state = 'published'",
                               &st, e);
    if (rc == RC_OK) {
        store_bind_int(st, 1, id);
        rc = store_run(st, e);
        store_finish(st);
    }
    if (rc == RC_OK)
        rc = store_prepare(c,
                           "UPDATE policy_versions SET state = 'published', published_by = ?, "
                           "published_at = ? WHERE policy_id = ? AND version = ? AND "
                           "published_at IS NULL",
                           &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, by);
        store_bind_int(st, 2, now);
        store_bind_int(st, 3, id);
        store_bind_int(st, 4, v);
        rc = store_run(st, e);
        store_finish(st);
    }
    if (rc == RC_OK)
        rc = set_policy_state(c, id,
                              "UPDATE policies SET state = 'published', published_version = ?, "
                              "published_at = ?, withdrawn_at = NULL, updated_by = ?, "
                              "updated_at = ? WHERE id = ?",
                              v, by, now, e);
    return rc;
}

/* ---- the lifecycle: a table run by src/flow ------------------------------------------- */

/* One action on a policy: the row as loaded and the audit images the action sets. */
struct pcall {
    struct prow rec;  /* first: flow_call.rec points here */
    struct prow next; /* unchanged: the actions write through the helpers above */
    int dv;           /* the draft version, 0 when none */
    json_t *before, *after;
};

/* The record's conditions (PC_* bits): a draft awaits; the version in force is outdated. */
enum rc policy__conds_of(struct conn *c, const struct prow *r, unsigned *conds, struct err *e)
{
    *conds = policy__draft_version(r) ? PC_DRAFT : 0;
    if (*conds || strcmp(r->state, "published") != 0)
        return RC_OK;
    json_t *meta = NULL, *rules = NULL, *pins = NULL;
    bool outdated = false;
    enum rc rc = policy__load_version(c, r->id, r->published_version, &meta, &rules, NULL, NULL, e);
    if (rc == RC_OK)
        rc = policy__load_pins(c, r->id, r->published_version, &pins, e);
    if (rc == RC_OK)
        rc = policy__conditions_outdated(c, rules, pins, &outdated, e);
    if (outdated)
        *conds |= PC_OUTDATED;
    json_decref(meta);
    json_decref(rules);
    json_decref(pins);
    return rc;
}

static enum rc pol_load(struct flow_call *x, struct err *e)
{
    struct pcall *pc = xcalloc(1, sizeof(*pc));
    x->rec = &pc->rec;
    x->next = &pc->next;
    char today[11];
    policy__today(today);
    enum rc rc = policy__load_row(x->c, x->p, x->id, true, &pc->rec, e);
    if (rc)
        return rc;
    pc->next = pc->rec;
    pc->dv = policy__draft_version(&pc->rec);
    x->from = flow_state_parse(&policy_flow, policy__effective_state(&pc->rec, today));
    x->rels = policy__rels_of(x->p, pc->rec.org_id);
    return policy__conds_of(x->c, &pc->rec, &x->conds, e);
}

static void pol_release(struct flow_call *x)
{
    struct pcall *pc = x->rec;
    if (pc) {
        json_decref(pc->before);
        json_decref(pc->after);
    }
    xfree(pc);
}

static json_t *pol_image(const struct flow_call *x, const void *rec)
{
    const struct pcall *pc = x->rec;
    json_t *j = rec == x->rec ? pc->before : pc->after;
    return j ? json_incref(j) : NULL;
}

/* Loads version v and checks it as a save would, with conditions required. */
static enum rc check_version(struct flow_call *x, int v, json_t **meta, json_t **rules,
                             struct err *e)
{
    const struct pol_ctx *ctx = x->ctx;
    struct rules_named *named = NULL;
    json_t *nmeta = NULL, *nrules = NULL;
    enum rc rc = policy__load_version(x->c, x->id, v, meta, rules, NULL, NULL, e);
    if (rc == RC_OK)
        rc = policy__load_named(x->c, &named, e);
    json_t *whole = rc == RC_OK ? json_deep_copy(*meta) : NULL;
    if (whole)
        json_object_set(whole, "rules", *rules);
    if (rc == RC_OK)
        rc = policy__check_doc(ctx->h, named, whole, true, &nmeta, &nrules, e);
    json_decref(whole);
    json_decref(nmeta);
    json_decref(nrules);
    rules_named_free(named);
    return rc;
}

/* validate: the draft compiles (nothing is written: FLOW_CHECK_ONLY). */
static enum rc pol_validate(struct flow_call *x, struct err *e)
{
    const struct pcall *pc = x->rec;
    const struct pol_ctx *ctx = x->ctx;
    json_t *meta = NULL, *rules = NULL;
    enum rc rc = check_version(x, pc->dv, &meta, &rules, e);
    json_decref(meta);
    json_decref(rules);
    if (rc == RC_OK)
        ctx->out->validated = pc->dv;
    return rc;
}

/* publish: the draft becomes the version in force, pinned to the current conditions. */
static enum rc pol_publish(struct flow_call *x, struct err *e)
{
    struct pcall *pc = x->rec;
    const struct pol_ctx *ctx = x->ctx;
    const struct prow *r = &pc->rec;
    const char *by = x->p->actor.name;
    json_t *meta = NULL, *rules = NULL, *old_pins = NULL, *new_pins = NULL, *diff = NULL;
    enum rc rc = check_version(x, pc->dv, &meta, &rules, e);
    if (rc == RC_OK)
        rc = publish_version(x->c, x->id, pc->dv, by, x->now, e);
    if (rc == RC_OK)
        rc = policy__sync_row(x->c, x->id, meta, by, x->now, e);
    if (rc == RC_OK)
        rc = policy__write_pins(x->c, x->id, pc->dv, rules, &new_pins, e);
    /* A new version adopts the current conditions too: show what changed under it. */
    if (rc == RC_OK && r->published_version)
        rc = policy__load_pins(x->c, x->id, r->published_version, &old_pins, e);
    if (rc == RC_OK && old_pins && !json_equal(old_pins, new_pins))
        rc = policy__pins_diff(x->c, old_pins, new_pins, &diff, e);
    if (rc == RC_OK)
        rc = policy__bump(x->c, e);
    if (rc == RC_OK) {
        pc->before =
            json_pack("{s:s, s:o}", "state", r->state, "published_version",
                      r->published_version ? json_integer(r->published_version) : json_null());
        pc->after = json_pack("{s:s, s:i}", "state", "published", "published_version", pc->dv);
        if (diff)
            json_object_set(pc->after, "conditions_diff", diff);
        json_object_set_new(x->data, "version", json_integer(pc->dv));
        ctx->out->changed_set = true;
        ctx->out->diff = diff;
        diff = NULL;
    }
    json_decref(meta);
    json_decref(rules);
    json_decref(old_pins);
    json_decref(new_pins);
    json_decref(diff);
    return rc;
}

/* adopt_conditions: a republish, a copy of the version in force pinned to the current
 * conditions. */
static enum rc pol_adopt(struct flow_call *x, struct err *e)
{
    struct pcall *pc = x->rec;
    const struct pol_ctx *ctx = x->ctx;
    const struct prow *r = &pc->rec;
    int nv = r->version + 1;
    json_t *meta = NULL, *rules = NULL, *old_pins = NULL, *new_pins = NULL, *diff = NULL;
    enum rc rc = check_version(x, r->published_version, &meta, &rules, e);
    if (rc == RC_OK)
        rc = policy__load_pins(x->c, x->id, r->published_version, &old_pins, e);
    if (rc == RC_OK)
        rc = policy__insert_version(x->c, x->id, nv, "draft", meta, rules,
                                    x->note ? x->note : "采用命名条件的新版本", x->p->actor.name,
                                    x->now, e);
    if (rc == RC_OK)
        rc = policy__write_pins(x->c, x->id, nv, rules, &new_pins, e);
    struct stmt *st;
    if (rc == RC_OK)
        rc = store_prepare(x->c, "UPDATE policies SET version = ? WHERE id = ?", &st, e);
    if (rc == RC_OK) {
        store_bind_int(st, 1, nv);
        store_bind_int(st, 2, x->id);
        rc = store_run(st, e);
        store_finish(st);
    }
    if (!old_pins)
        old_pins = json_object();
    if (rc == RC_OK)
        rc = policy__pins_diff(x->c, old_pins, new_pins, &diff, e);
    if (rc == RC_OK)
        rc = publish_version(x->c, x->id, nv, x->p->actor.name, x->now, e);
    if (rc == RC_OK)
        rc = policy__bump(x->c, e);
    if (rc == RC_OK) {
        pc->before = json_pack("{s:i, s:O}", "published_version", r->published_version,
                               "conditions", old_pins);
        pc->after = json_pack("{s:i, s:O, s:O*}", "published_version", nv, "conditions", new_pins,
                              "diff", diff);
        json_object_set_new(x->data, "version", json_integer(nv));
        ctx->out->changed_set = true;
        ctx->out->diff = diff;
        diff = NULL;
    }
    json_decref(meta);
    json_decref(rules);
    json_decref(old_pins);
    json_decref(new_pins);
    json_decref(diff);
    return rc;
}

/* withdraw: out of the supermarket and out of matching. */
static enum rc pol_withdraw(struct flow_call *x, struct err *e)
{
    struct pcall *pc = x->rec;
    const struct pol_ctx *ctx = x->ctx;
    struct stmt *st;
    enum rc rc = store_prepare(x->c,
                               "UPDATE policies SET state = 'withdrawn', withdrawn_at = ?, "
                               "updated_by = ?, updated_at = ? WHERE id = ?",
                               &st, e);
    if (rc == RC_OK) {
        store_bind_int(st, 1, x->now);
        store_bind_text(st, 2, x->p->actor.name);
        store_bind_int(st, 3, x->now);
        store_bind_int(st, 4, x->id);
        rc = store_run(st, e);
        store_finish(st);
    }
    if (rc == RC_OK)
        rc = policy__bump(x->c, e);
    if (rc == RC_OK) {
        pc->before = json_pack("{s:s}", "state", pc->rec.state);
        pc->after = json_pack("{s:s, s:s*}", "state", "withdrawn", "note", x->note);
        ctx->out->changed_set = true;
    }
    return rc;
}

/* new_version: a draft copied from the version in force. */
static enum rc pol_new_version(struct flow_call *x, struct err *e)
{
    struct pcall *pc = x->rec;
    const struct prow *r = &pc->rec;
    json_t *meta = NULL, *rules = NULL;
    enum rc rc =
        policy__load_version(x->c, x->id, r->published_version, &meta, &rules, NULL, NULL, e);
    if (rc == RC_OK)
        rc = policy__insert_version(x->c, x->id, r->version + 1, "draft", meta, rules, x->note,
                                    x->p->actor.name, x->now, e);
    struct stmt *st;
    if (rc == RC_OK)
        rc = store_prepare(x->c, "UPDATE policies SET version = ?, updated_at = ? WHERE id = ?",
                           &st, e);
    if (rc == RC_OK) {
        store_bind_int(st, 1, r->version + 1);
        store_bind_int(st, 2, x->now);
        store_bind_int(st, 3, x->id);
        rc = store_run(st, e);
        store_finish(st);
    }
    if (rc == RC_OK) {
        pc->before = json_pack("{s:i}", "latest_version", r->version);
        pc->after = json_pack("{s:i, s:i}", "latest_version", r->version + 1, "from_version",
                              r->published_version);
        json_object_set_new(x->data, "version", json_integer(r->version + 1));
    }
    json_decref(meta);
    json_decref(rules);
    return rc;
}

static enum rc pol_readable(struct conn *c, const struct principal *p, int64_t id, struct err *e)
{
    struct prow r;
    return policy__load_row(c, p, id, false, &r, e);
}

static const struct flow_state pol_states[PS__N] = {
    {"draft", "草稿"},
    {"published", "已发布"},
    {"withdrawn", "已撤回"},
    {"expired", "已过期"},
};
static const struct flow_cond pol_conds[] = {
    [0] = {"没有待发布的草稿版本，不能%s：请先新建版本（new_version）",
           "已有草稿版本，不能%s：请直接修改并发布该草稿"},
    [1] = {"本政策引用的命名条件没有新版本，无需%s", "本政策引用的命名条件有新版本，不能%s"},
};
#define B FLOW_BIT
#define LIVE (B(PS_PUBLISHED) | B(PS_EXPIRED))
static const struct flow_action pol_actions[] = {
    {"validate", "校验", FLOW_ANY(PS__N), PR_EDITOR, FLOW_SAME, FLOW_CHECK_ONLY, PC_DRAFT, 0,
     pol_validate, NULL},
    {"publish", "发布", FLOW_ANY(PS__N), PR_EDITOR, PS_PUBLISHED, 0, PC_DRAFT, 0, pol_publish,
     NULL},
    {"new_version", "新建版本", LIVE | B(PS_WITHDRAWN), PR_EDITOR, FLOW_SAME, 0, 0, PC_DRAFT,
     pol_new_version, NULL},
    {"withdraw", "撤回", LIVE, PR_EDITOR, PS_WITHDRAWN, 0, 0, 0, pol_withdraw, NULL},
    {"adopt_conditions", "采用命名条件的新版本", LIVE, PR_EDITOR, FLOW_SAME, 0, PC_OUTDATED,
     PC_DRAFT, pol_adopt, NULL},
};
#undef LIVE
#undef B
static const struct flow_label pol_rels[] = {
    {"issuer", "发文单位的政策专员"},
    {"admin", "系统管理员"},
};

const struct flow policy_flow = {
    .entity = "policy",
    .label = "政策",
    .states = pol_states,
    .n_states = PS__N,
    .actions = pol_actions,
    .n_actions = FLOW_N(pol_actions),
    .conds = pol_conds,
    .n_conds = FLOW_N(pol_conds),
    .rels = pol_rels,
    .n_rels = FLOW_N(pol_rels),
    .note_max = 500,
    .load = pol_load,
    .image = pol_image,
    .release = pol_release,
    .readable = pol_readable,
};
