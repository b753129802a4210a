/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_cond: named conditions (their list and edits) and the pins of policy versions:
 * the condition versions a published version compiles with, their differences, and
 * whether a newer version exists (adopt_conditions).
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

json_t *policy__time_json(int64_t ms)
{
    if (!ms)
        return json_null();
    char t[40];
    time_fmt_cst(ms, t, sizeof(t));
    return json_string(t);
}

/* ---- named conditions ------------------------------------------------------------- */

enum rc policy_conditions_list(struct conn *c, json_t **out, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               "SELECT n.name, n.label, n.node, n.version, n.updated_by, "
                               "n.updated_at, o.code, o.name FROM named_conditions n LEFT JOIN "
                               "orgs o ON o.id = n.org_id ORDER BY n.name",
                               &st, e);
    if (rc)
        return rc;
    json_t *items = json_array();
    while ((rc = store_step(st, e)) == RC_ROW) {
        json_t *node = json_loads(store_text(st, 2), 0, NULL);
        json_t *org = store_text(st, 6) ? json_pack("{s:s, s:s}", "code", store_text(st, 6), "name",
                                                    store_text(st, 7))
                                        : json_null();
        json_array_append_new(
            items, json_pack("{s:s, s:s, s:o*, s:I, s:s, s:o, s:o}", "name", store_text(st, 0),
                             "label", store_text(st, 1), "node", node, "version",
                             (json_int_t)store_int(st, 3), "updated_by", store_text(st, 4),
                             "updated_at", policy__time_json(store_int(st, 5)), "org", org));
    }
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(items);
        return rc;
    }
    *out = items;
    return RC_OK;
}

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 40 || s[0] < 'a' || s[0] > 'z')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

/*
 * Loads the current named conditions as a new object {name: {label, node, version}}.
 * A row whose node is unreadable is left out (it cannot be referenced anyway).
 */
static enum rc load_current(struct conn *c, json_t **out, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(
        c, "SELECT name, label, node, version FROM named_conditions ORDER BY name", &st, e);
    if (rc)
        return rc;
    json_t *cur = json_object();
    while ((rc = store_step(st, e)) == RC_ROW) {
        json_t *node = json_loads(store_text(st, 2), 0, NULL);
        if (node)
            json_object_set_new(cur, store_text(st, 0),
                                json_pack("{s:s, s:o, s:I}", "label", store_text(st, 1), "node",
                                          node, "version", (json_int_t)store_int(st, 3)));
    }
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(cur);
        return rc;
    }
    *out = cur;
    return RC_OK;
}

/* Adds to pins {name: version} every condition of cur that j refers to, transitively. */
static void collect_pins(const json_t *j, const json_t *cur, json_t *pins, int depth)
{
    if (depth > 64)
        return; /* deeper than any rule may be; a cycle is refused by rules_compile */
    size_t i;
    const char *k;
    json_t *v;
    if (json_is_array(j)) {
        json_array_foreach(policy__unconst(j), i, v)
        {
            collect_pins(v, cur, pins, depth + 1);
        }
        return;
    }
    if (!json_is_object(j))
        return;
    const char *ref = json_string_value(json_object_get(j, "ref"));
    const json_t *def = ref ? json_object_get(cur, ref) : NULL;
    if (def && !json_object_get(pins, ref)) {
        json_object_set(pins, ref, json_object_get(def, "version"));
        collect_pins(json_object_get(def, "node"), cur, pins, depth + 1);
    }
    json_object_foreach(policy__unconst(j), k, v)
    {
        collect_pins(v, cur, pins, depth + 1);
    }
}

/* Reads the pins of version v of policy id as a new object; *out NULL for a draft. */
enum rc policy__load_pins(struct conn *c, int64_t id, int v, json_t **out, struct err *e)
{
    struct stmt *st;
    *out = NULL;
    enum rc rc = store_prepare(
        c, "SELECT cond_pins FROM policy_versions WHERE policy_id = ? AND version = ?", &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, id);
    store_bind_int(st, 2, v);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        const char *t = store_text(st, 0);
        *out = t ? json_loads(t, 0, NULL) : NULL;
        rc = RC_DONE;
    }
    store_finish(st);
    return rc == RC_DONE ? RC_OK : rc;
}

enum rc policy__named_for(struct conn *c, int64_t id, int v, struct rules_named **out,
                          struct err *e)
{
    json_t *pins = NULL;
    enum rc rc = policy__load_pins(c, id, v, &pins, e);
    if (rc == RC_OK)
        rc = pins ? policy__named_pinned(c, pins, out, e) : policy__load_named(c, out, e);
    json_decref(pins);
    return rc;
}

/*
 * Pins version v of policy id to the current versions of the named conditions its rules
 * reach. *pins_out (optional) receives the pins (new).
 */
enum rc policy__write_pins(struct conn *c, int64_t id, int v, const json_t *rules,
                           json_t **pins_out, struct err *e)
{
    json_t *cur = NULL;
    enum rc rc = load_current(c, &cur, e);
    if (rc)
        return rc;
    json_t *pins = json_object();
    collect_pins(json_object_get(rules, "conditions"), cur, pins, 0);
    json_decref(cur);
    char *text = jsonx_canonical(pins);
    struct stmt *st;
    rc = store_prepare(
        c, "UPDATE policy_versions SET cond_pins = ? WHERE policy_id = ? AND version = ?", &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, text);
        store_bind_int(st, 2, id);
        store_bind_int(st, 3, v);
        rc = store_run(st, e);
        store_finish(st);
    }
    xfree(text);
    if (rc == RC_OK && pins_out)
        *pins_out = json_incref(pins);
    json_decref(pins);
    return rc;
}

/*
 * The difference between two pin sets as a new array of {name, from_version, to_version,
 * before: {label, node} | null, after: {label, node} | null}, one item per condition whose
 * version differs.
 */
enum rc policy__pins_diff(struct conn *c, const json_t *old, const json_t *now, json_t **out,
                          struct err *e)
{
    json_t *names = json_object(), *diff = json_array();
    const char *name;
    json_t *v;
    enum rc rc = RC_OK;
    json_object_foreach(policy__unconst(old), name, v)
    {
        json_object_set(names, name, json_true());
    }
    json_object_foreach(policy__unconst(now), name, v)
    {
        json_object_set(names, name, json_true());
    }
    json_object_foreach(names, name, v)
    {
        json_t *a = json_object_get(old, name), *b = json_object_get(now, name);
        if (a && b && json_integer_value(a) == json_integer_value(b))
            continue;
        json_t *before = NULL, *after = NULL;
        if (a)
            rc = policy__condition_version(c, name, json_integer_value(a), &before, e);
        if (rc == RC_OK && b)
            rc = policy__condition_version(c, name, json_integer_value(b), &after, e);
        if (rc) {
            json_decref(before);
            break;
        }
        json_array_append_new(diff, json_pack("{s:s, s:O?, s:O?, s:o?, s:o?}", "name", name,
                                              "from_version", a, "to_version", b, "before", before,
                                              "after", after));
    }
    json_decref(names);
    if (rc) {
        json_decref(diff);
        return rc;
    }
    *out = diff;
    return RC_OK;
}

/* Who owns named condition name: *exists, *org_id (0 = the CLI's: admins only), org_name. */
static enum rc condition_owner(struct conn *c, const char *name, bool *exists, int64_t *org_id,
                               char org_name[256], struct err *e)
{
    struct stmt *st;
    *exists = false;
    *org_id = 0;
    org_name[0] = '\0';
    enum rc rc = store_prepare(c,
                               "SELECT n.org_id, o.name FROM named_conditions n LEFT JOIN orgs o "
                               "ON o.id = n.org_id WHERE n.name = ?",
                               &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, name);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        *exists = true;
        *org_id = store_int(st, 0);
        mem_copy_text(org_name, 256, store_text(st, 1) ? store_text(st, 1) : "");
        rc = RC_DONE;
    }
    store_finish(st);
    return rc == RC_DONE ? RC_OK : rc;
}

enum rc policy_condition_put(struct conn *c, struct policy_holder *h, const struct audit_actor *who,
                             const struct principal *p, const char *name, const json_t *doc,
                             json_t **out, struct err *e)
{
    static const char *const members[] = {"label", "node", NULL};
    const char *label = NULL;
    if (!name_ok(name))
        return err_set(e, RC_INVALID, "name", "条件名称应为 2 到 40 个小写字母、数字或下划线");
    enum rc rc = jsonx_only(doc, members, e);
    if (rc == RC_OK)
        rc = jsonx_get_str(doc, "label", true, 40, &label, e);
    json_t *node = json_object_get(doc, "node");
    if (rc == RC_OK && !json_is_object(node))
        rc = err_set(e, RC_INVALID, "node", "node 应为条件节点（JSON 对象）");
    if (rc)
        return rc;
    struct rules_named *named = rules_named_new();
    struct rules_policy *pol = NULL;
    json_t *before = NULL, *after = NULL;
    struct stmt *st;
    int64_t now = time_now_ms(), owner = 0;
    char owner_name[256];
    bool exists = false, same = false;
    int version = 0;
    char *text = jsonx_canonical(node);
    rc = store_begin(c, e);
    if (rc == RC_OK)
        rc = condition_owner(c, name, &exists, &owner, owner_name, e);
    /* The owner's officers and admins edit a condition; the CLI (p NULL) may do anything. */
    if (rc == RC_OK && exists && p && !access_can(p, ACCESS_SCOPE_ALL) &&
        !(access_can(p, ACCESS_POLICY_ISSUE) && owner && p->org_id == owner)) {
        if (owner)
            rc = err_set(e, RC_FORBIDDEN, "name",
                         "命名条件 %s 属于%s，只有该单位的政策专员或管理员可以修改", name,
                         owner_name);
        else
            rc = err_set(e, RC_FORBIDDEN, "name", "命名条件 %s 由系统维护，只有管理员可以修改",
                         name);
    }
    /* The other conditions as stored, plus this one as it would be. */
    if (rc == RC_OK)
        rc = store_prepare(
            c, "SELECT name, label, node, version FROM named_conditions ORDER BY name", &st, e);
    if (rc == RC_OK) {
        while ((rc = store_step(st, e)) == RC_ROW) {
            json_t *n = json_loads(store_text(st, 2), 0, NULL);
            if (strcmp(store_text(st, 0), name) == 0) {
                version = (int)store_int(st, 3);
                same = n && strcmp(store_text(st, 1), label) == 0 && json_equal(n, node);
                before = json_pack("{s:s, s:o*, s:i}", "label", store_text(st, 1), "node", n,
                                   "version", version);
                continue;
            }
            json_t *def = json_pack("{s:s, s:s, s:o*}", "name", store_text(st, 0), "label",
                                    store_text(st, 1), "node", n);
            struct err ignored;
            if (rules_named_add(named, def, &ignored))
                log_warn("policy: named condition %s is unusable", store_text(st, 0));
            json_decref(def);
        }
        store_finish(st);
        rc = rc == RC_DONE ? RC_OK : rc;
    }
    json_t *def = json_pack("{s:s, s:s, s:O}", "name", name, "label", label, "node", node);
    if (rc == RC_OK && (rc = rules_named_add(named, def, e)))
        err_prefix_field(e, "node");
    json_decref(def);
    if (rc == RC_OK) {
        json_t *probe = json_pack("{s:{s:s}}", "conditions", "ref", name);
        rc = rules_compile(policy_holder_rules_catalog(h), named, probe, 0, NULL, &pol, e);
        json_decref(probe);
    }
    /* Nothing changed: no new version, no audit event. Published policies are never
     * affected by an edit: they keep the versions they pinned (adopt_conditions). */
    if (rc || same)
        goto out;
    rc = store_prepare(c,
                       version ? "UPDATE named_conditions SET label = ?, node = ?, version = "
                                 "version + 1, updated_by = ?, updated_at = ? WHERE name = ?"
                               : "INSERT INTO named_conditions (label, node, updated_by, "
                                 "updated_at, name, org_id) VALUES (?, ?, ?, ?, ?, ?)",
                       &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, label);
        store_bind_text(st, 2, text);
        store_bind_text(st, 3, who->name);
        store_bind_int(st, 4, now);
        store_bind_text(st, 5, name);
        if (!version && p && p->org_id)
            store_bind_int(st, 6, p->org_id);
        else if (!version)
            store_bind_null(st, 6);
        rc = store_run(st, e);
        store_finish(st);
    }
    if (rc == RC_OK)
        rc = store_prepare(c,
                           "INSERT INTO named_condition_versions (name, version, label, node, "
                           "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                           &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, name);
        store_bind_int(st, 2, version + 1);
        store_bind_text(st, 3, label);
        store_bind_text(st, 4, text);
        store_bind_text(st, 5, who->name);
        store_bind_int(st, 6, now);
        rc = store_run(st, e);
        store_finish(st);
    }
    if (rc == RC_OK) {
        after = json_pack("{s:s, s:O, s:i}", "label", label, "node", node, "version", version + 1);
        struct audit_event ev = {"condition.set", "named_condition", name, before, after};
        rc = audit_append(c, who, &ev, NULL, e);
    }
    if (rc == RC_OK)
        rc = store_commit(c, e);
out:
    if (store_in_txn(c))
        store_rollback(c);
    rules_policy_free(pol);
    rules_named_free(named);
    json_decref(before);
    json_decref(after);
    xfree(text);
    if (rc)
        return rc;
    *out = json_pack("{s:s, s:s, s:O, s:i, s:b}", "name", name, "label", label, "node", node,
                     "version", same ? version : version + 1, "changed", !same);
    return RC_OK;
}

/* Has a named condition that rules reach a newer version than pins (NULL: none) says? */
enum rc policy__conditions_outdated(struct conn *c, const json_t *rules, const json_t *pins,
                                    bool *out, struct err *e)
{
    json_t *cur = NULL;
    *out = false;
    enum rc rc = load_current(c, &cur, e);
    if (rc)
        return rc;
    json_t *now = json_object(), *none = json_object();
    collect_pins(json_object_get(rules, "conditions"), cur, now, 0);
    *out = !json_equal(now, pins ? pins : none);
    json_decref(cur);
    json_decref(now);
    json_decref(none);
    return RC_OK;
}
