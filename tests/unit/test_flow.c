/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The flow engine (src/flow) on a toy workflow: a ticket that is open, taken, on hold
 * (a side path that returns to where it came from) and done. The ticket lives in a
 * table the test creates; the engine's own writes (events, notices, audit) go to the
 * migrated tables, on SQLite and, with TEST_PG_DSN, on PostgreSQL.
 */
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "base/buf.h"
#include "base/jsonx.h"
#include "base/rc.h"
#include "flow/flow.h"
#include "store/store.h"
#include "unit.h"
#include "unit_db.h"

enum { T_OPEN, T_TAKEN, T_HELD, T_DONE, T__N };
enum { R_OWNER = 1u << 0, R_STAFF = 1u << 1 };
enum { C_CHECKED = 1u << 0 };

struct ticket {
    int state, prev;
    int checked;
    int64_t taker;
};

static enum rc load(struct flow_call *x, struct err *e)
{
    static struct ticket rec, next;
    struct stmt *st;
    enum rc rc =
        store_prepare(x->c, "SELECT state, prev, checked, taker FROM tickets WHERE id = ?", &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, x->id);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        rec.state = (int)store_int(st, 0);
        rec.prev = (int)store_int(st, 1);
        rec.checked = (int)store_int(st, 2);
        rec.taker = store_int(st, 3);
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_NOTFOUND, NULL, "工单不存在");
    }
    store_finish(st);
    if (rc)
        return rc;
    next = rec;
    x->rec = &rec;
    x->next = &next;
    x->from = rec.state;
    x->previous = rec.prev;
    x->conds = rec.checked ? C_CHECKED : 0;
    /* user 1 owns every ticket; others are staff */
    x->rels = x->p->user_id == 1 ? R_OWNER : R_STAFF;
    return RC_OK;
}

static enum rc save(struct flow_call *x, struct err *e)
{
    struct ticket *n = x->next;
    struct stmt *st;
    enum rc rc = store_prepare(
        x->c, "UPDATE tickets SET state = ?, prev = ?, checked = ?, taker = ? WHERE id = ?", &st,
        e);
    if (rc)
        return rc;
    store_bind_int(st, 1, x->to);
    store_bind_int(st, 2, n->prev);
    store_bind_int(st, 3, n->checked);
    store_bind_int(st, 4, n->taker);
    store_bind_int(st, 5, x->id);
    rc = store_run(st, e);
    store_finish(st);
    return rc;
}

static json_t *image(const struct flow_call *x, const void *rec)
{
    (void)x;
    const struct ticket *t = rec;
    return json_pack("{s:i, s:i}", "state", t->state, "checked", t->checked);
}

static enum rc take(struct flow_call *x, struct err *e)
{
    (void)e;
    ((struct ticket *)x->next)->taker = x->p->user_id;
    json_object_set_new(x->data, "taker", json_integer(x->p->user_id));
    return RC_OK;
}

static enum rc hold(struct flow_call *x, struct err *e)
{
    (void)e;
    ((struct ticket *)x->next)->prev = x->from;
    return RC_OK;
}

static enum rc check(struct flow_call *x, struct err *e)
{
    int64_t level = 0;
    enum rc rc = jsonx_get_int(x->params, "level", true, 1, 3, &level, e);
    if (rc)
        return rc;
    ((struct ticket *)x->next)->checked = 1;
    if (level == 3)
        x->to = T_DONE; /* FLOW_DECIDED: a level-3 check closes the ticket */
    return RC_OK;
}

static enum rc tell_owner(struct flow_call *x, struct err *e)
{
    struct flow_to to = {0, 0, "91340100131860916Y"}; /* the owner enterprise */
    return flow_notify(x, &to, x->a->name, "工单有进展", x->note, e);
}

static const struct flow_state states[T__N] = {
    {"open", "待处理"}, {"taken", "处理中"}, {"held", "挂起"}, {"done", "已完成"}};
static const struct flow_cond conds[] = {{"尚未核查，暂不能%s", "已核查，不能再%s"}};
#define B FLOW_BIT
static const struct flow_action actions[] = {
    {"take", "接单", B(T_OPEN), R_STAFF, T_TAKEN, 0, 0, 0, take, tell_owner},
    {"hold", "挂起", B(T_OPEN) | B(T_TAKEN), R_STAFF, T_HELD, FLOW_NOTE, 0, 0, hold, NULL},
    {"resume", "恢复", B(T_HELD), R_STAFF | R_OWNER, FLOW_PREVIOUS, 0, 0, 0, NULL, NULL},
    {"check", "核查", B(T_TAKEN), R_STAFF, FLOW_DECIDED, 0, 0, C_CHECKED, check, NULL},
    {"close", "办结", B(T_TAKEN), R_STAFF, T_DONE, 0, C_CHECKED, 0, NULL, tell_owner},
    {"remark", "备注", FLOW_ANY(T__N), R_STAFF, FLOW_SAME, FLOW_NOTE | FLOW_INTERNAL | FLOW_NO_SAVE,
     0, 0, NULL, NULL},
};
static const char *const fields[] = {"level", NULL};
static const struct flow toy = {
    .entity = "ticket",
    .label = "工单",
    .states = states,
    .n_states = T__N,
    .actions = actions,
    .n_actions = (int)(sizeof(actions) / sizeof(actions[0])),
    .conds = conds,
    .n_conds = 1,
    .fields = fields,
    .load = load,
    .save = save,
    .image = image,
};

static struct principal who(int64_t user_id, const char *name)
{
    struct principal p;
    memset(&p, 0, sizeof(p));
    p.actor.name = name;
    p.actor.org = "340800-QFZX";
    p.user_id = user_id;
    p.username = name;
    p.org_name = "安庆市企业服务中心";
    return p;
}

static void make_ticket(struct conn *c)
{
    struct err e = {0};
    ck_assert_int_eq(store_exec(c,
                                "CREATE TABLE tickets (id BIGINT PRIMARY KEY, state INTEGER, "
                                "prev INTEGER, checked INTEGER, taker BIGINT)",
                                &e),
                     RC_OK);
    ck_assert_int_eq(store_exec(c, "INSERT INTO tickets VALUES (7, 0, -1, 0, 0)", &e), RC_OK);
}

/* Runs action body (JSON) on ticket 7 as p; returns the rc and leaves the error in *e. */
static enum rc act(struct conn *c, const struct principal *p, const char *body, struct err *e)
{
    json_t *j = json_loads(body, 0, NULL);
    ck_assert_ptr_nonnull(j);
    err_clear(e);
    enum rc rc = flow_act(&toy, c, p, NULL, 7, j, 1700000000000, e);
    json_decref(j);
    return rc;
}

static int64_t count(struct conn *c, const char *sql)
{
    return unit_db_int(c, sql);
}

START_TEST(table_checks)
{
    struct err e = {0};
    const struct flow_action *take_a = flow_find(&toy, "take");
    ck_assert_ptr_nonnull(take_a);
    ck_assert_ptr_null(flow_find(&toy, "fly"));
    ck_assert_int_eq(flow_state_parse(&toy, "held"), T_HELD);
    ck_assert_int_eq(flow_state_parse(&toy, "nope"), -1);
    ck_assert_str_eq(flow_state_label(&toy, 99), "未知");
    /* A stranger learns nothing of the state: FORBIDDEN before STATE. */
    ck_assert_int_eq(flow_check(&toy, take_a, R_OWNER, T_DONE, 0, &e), RC_FORBIDDEN);
    ck_assert_str_eq(e.msg, "您无权对该工单执行“接单”");
    ck_assert_int_eq(flow_check(&toy, take_a, R_STAFF, T_DONE, 0, &e), RC_STATE);
    ck_assert_str_eq(e.msg, "工单当前状态为“已完成”，不能执行“接单”");
    ck_assert_int_eq(flow_check(&toy, flow_find(&toy, "close"), R_STAFF, T_TAKEN, 0, &e), RC_STATE);
    ck_assert_str_eq(e.msg, "尚未核查，暂不能办结");
    ck_assert_int_eq(flow_check(&toy, flow_find(&toy, "check"), R_STAFF, T_TAKEN, C_CHECKED, &e),
                     RC_STATE);
    ck_assert_str_eq(e.msg, "已核查，不能再核查");
    /* The buttons of staff on an open ticket, in table order. */
    json_t *a = flow_actions_json(&toy, R_STAFF, T_OPEN, 0);
    char *s = json_dumps(a, JSON_COMPACT);
    ck_assert_str_eq(s, "[{\"action\":\"take\",\"label\":\"接单\",\"note_required\":false},"
                        "{\"action\":\"hold\",\"label\":\"挂起\",\"note_required\":true},"
                        "{\"action\":\"remark\",\"label\":\"备注\",\"note_required\":true}]");
    free(s);
    json_decref(a);
    /* The writer gives the same text. */
    struct buf b;
    buf_init(&b, 1 << 16);
    struct jsonx_w w = {&b, RC_OK};
    flow_actions_w(&w, &toy, R_STAFF, T_OPEN, 0);
    a = flow_actions_json(&toy, R_STAFF, T_OPEN, 0);
    s = json_dumps(a, JSON_COMPACT);
    ck_assert_str_eq(b.data, s);
    free(s);
    json_decref(a);
    buf_cleanup(&b);
    json_t *l = flow_labels_json(&toy);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(l, "states"), "held")),
                     "挂起");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(l, "actions"), "close")),
                     "办结");
    json_decref(l);
}
END_TEST

START_TEST(run_actions)
{
    struct store *s = unit_db_open(1);
    struct conn *c = unit_db_take(s);
    make_ticket(c);
    struct principal owner = who(1, "user:owner"), staff = who(2, "user:staff");
    struct err e;

    /* Refusals write nothing. */
    ck_assert_int_eq(act(c, &staff, "{\"action\":\"fly\"}", &e), RC_INVALID);
    ck_assert_str_eq(e.field, "action");
    ck_assert_int_eq(act(c, &staff, "{\"action\":\"take\",\"colour\":1}", &e), RC_INVALID);
    ck_assert_str_eq(e.field, "colour");
    ck_assert_int_eq(act(c, &owner, "{\"action\":\"take\"}", &e), RC_FORBIDDEN);
    ck_assert_int_eq(act(c, &staff, "{\"action\":\"hold\"}", &e), RC_INVALID);
    ck_assert_str_eq(e.field, "note");
    ck_assert_int_eq(act(c, &staff, "{\"action\":\"hold\",\"note\":\"\"}", &e), RC_INVALID);
    ck_assert_int_eq(count(c, "SELECT COUNT(*) FROM events"), 0);

    /* take: state, event with data, audit row, a notice to the owner. */
    ck_assert_msg(act(c, &staff, "{\"action\":\"take\"}", &e) == RC_OK, "%s", e.msg);
    ck_assert_int_eq(count(c, "SELECT state FROM tickets"), T_TAKEN);
    ck_assert_int_eq(count(c, "SELECT taker FROM tickets"), 2);
    ck_assert_int_eq(count(c, "SELECT COUNT(*) FROM events WHERE entity = 'ticket' AND "
                              "entity_id = 7 AND action = 'take' AND from_state = 'open' AND "
                              "to_state = 'taken' AND data = '{\"taker\":2}' AND "
                              "actor = 'user:staff' AND internal = 0"),
                     1);
    ck_assert_int_eq(count(c, "SELECT COUNT(*) FROM audit WHERE action = 'ticket.take' AND "
                              "entity = 'ticket' AND entity_id = '7'"),
                     1);
    ck_assert_int_eq(count(c, "SELECT COUNT(*) FROM notices WHERE credit_code = "
                              "'91340100131860916Y' AND user_id IS NULL AND "
                              "org_id IS NULL AND entity = "
                              "'ticket' AND entity_id = 7 AND kind = 'take'"),
                     1);

    /* hold then resume: back to where it was (FLOW_PREVIOUS). */
    ck_assert_int_eq(act(c, &staff, "{\"action\":\"hold\",\"note\":\"等材料\"}", &e), RC_OK);
    ck_assert_int_eq(count(c, "SELECT state FROM tickets"), T_HELD);
    ck_assert_int_eq(act(c, &owner, "{\"action\":\"resume\"}", &e), RC_OK);
    ck_assert_int_eq(count(c, "SELECT state FROM tickets"), T_TAKEN);

    /* close needs the check; a level-2 check keeps the state, and only one check. */
    ck_assert_int_eq(act(c, &staff, "{\"action\":\"close\"}", &e), RC_STATE);
    ck_assert_int_eq(act(c, &staff, "{\"action\":\"check\"}", &e), RC_INVALID);
    ck_assert_str_eq(e.field, "level");
    ck_assert_int_eq(act(c, &staff, "{\"action\":\"check\",\"level\":2}", &e), RC_OK);
    ck_assert_int_eq(count(c, "SELECT state FROM tickets"), T_TAKEN);
    ck_assert_int_eq(act(c, &staff, "{\"action\":\"check\",\"level\":3}", &e), RC_STATE);

    /* An internal remark changes nothing and is left out of the public timeline. */
    ck_assert_int_eq(act(c, &staff, "{\"action\":\"remark\",\"note\":\"内部\"}", &e), RC_OK);
    ck_assert_int_eq(act(c, &staff, "{\"action\":\"close\"}", &e), RC_OK);
    ck_assert_int_eq(count(c, "SELECT state FROM tickets"), T_DONE);
    json_t *all = NULL, *pub = NULL;
    err_clear(&e);
    ck_assert_int_eq(flow_timeline(c, &toy, 7, true, &all, &e), RC_OK);
    ck_assert_int_eq(flow_timeline(c, &toy, 7, false, &pub, &e), RC_OK);
    ck_assert_int_eq(json_array_size(all), 6);
    ck_assert_int_eq(json_array_size(pub), 5);
    json_t *last = json_array_get(all, 5);
    ck_assert_str_eq(json_string_value(json_object_get(last, "label")), "办结");
    ck_assert_str_eq(json_string_value(json_object_get(last, "to_state_label")), "已完成");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(all, 4), "note")), "内部");
    json_decref(all);
    json_decref(pub);
    ck_assert_int_eq(count(c, "SELECT COUNT(*) FROM notices WHERE entity = 'ticket'"), 2);
    /* The audit chain still verifies. */
    store_release(c);
    struct audit_report r;
    ck_assert_int_eq(audit_verify(s, &r, &e), RC_OK);
    ck_assert_int_eq(r.first_bad, 0);
    ck_assert_int_eq(r.n_checked, 6);
    store_close(s);
}
END_TEST

START_TEST(check_decides)
{
    struct store *s = unit_db_open(1);
    struct conn *c = unit_db_take(s);
    make_ticket(c);
    struct principal staff = who(2, "user:staff");
    struct err e;
    ck_assert_msg(act(c, &staff, "{\"action\":\"take\"}", &e) == RC_OK, "%s", e.msg);
    ck_assert_int_eq(act(c, &staff, "{\"action\":\"check\",\"level\":3}", &e), RC_OK);
    ck_assert_int_eq(count(c, "SELECT state FROM tickets"), T_DONE);
    ck_assert_int_eq(count(c, "SELECT COUNT(*) FROM events WHERE action = 'check' AND "
                              "to_state = 'done'"),
                     1);
    /* No notice is written for nobody. */
    struct flow_to none = {0, 0, ""};
    err_clear(&e);
    ck_assert_int_eq(store_begin(c, &e), RC_OK);
    ck_assert_int_eq(flow_notice(c, "ticket", 7, &none, "x", "t", "b", 1, &e), RC_OK);
    ck_assert_int_eq(store_commit(c, &e), RC_OK);
    ck_assert_int_eq(count(c, "SELECT COUNT(*) FROM notices WHERE kind = 'x'"), 0);
    store_release(c);
    store_close(s);
}
END_TEST

/* A check-only action (a validation): apply() runs and may refuse, but nothing it
 * wrote stays, and no event, audit row or notice is written. Notes have a cap. */
static enum rc probe(struct flow_call *x, struct err *e)
{
    ((struct ticket *)x->next)->checked = 1;
    enum rc rc = store_exec(x->c, "UPDATE tickets SET taker = 99", e);
    if (rc == RC_OK && x->note && strcmp(x->note, "bad") == 0)
        rc = err_set(e, RC_INVALID, "note", "核对未通过");
    return rc;
}

static const struct flow_action probe_actions[] = {
    {"probe", "核对", FLOW_ANY(T__N), R_STAFF, FLOW_SAME, FLOW_CHECK_ONLY, 0, 0, probe, tell_owner},
};
static const struct flow probe_flow = {
    .entity = "ticket",
    .label = "工单",
    .states = states,
    .n_states = T__N,
    .actions = probe_actions,
    .n_actions = 1,
    .note_max = 4,
    .load = load,
    .save = save,
    .image = image,
};

START_TEST(check_only)
{
    struct store *s = unit_db_open(1);
    struct conn *c = unit_db_take(s);
    make_ticket(c);
    struct principal staff = who(2, "user:staff");
    struct err e;
    const char *bodies[] = {"{\"action\":\"probe\"}", "{\"action\":\"probe\",\"note\":\"bad\"}",
                            "{\"action\":\"probe\",\"note\":\"12345\"}"};
    const enum rc want[] = {RC_OK, RC_INVALID, RC_INVALID};
    for (int i = 0; i < 3; i++) {
        json_t *j = json_loads(bodies[i], 0, NULL);
        err_clear(&e);
        ck_assert_int_eq(flow_act(&probe_flow, c, &staff, NULL, 7, j, 1700000000000, &e), want[i]);
        json_decref(j);
    }
    ck_assert_str_eq(e.field, "note"); /* 5 characters, the cap is 4 */
    ck_assert(!store_in_txn(c));
    ck_assert_int_eq(count(c, "SELECT taker FROM tickets"), 0);
    ck_assert_int_eq(count(c, "SELECT checked FROM tickets"), 0);
    ck_assert_int_eq(count(c, "SELECT COUNT(*) FROM events"), 0);
    ck_assert_int_eq(count(c, "SELECT COUNT(*) FROM audit"), 0);
    ck_assert_int_eq(count(c, "SELECT COUNT(*) FROM notices"), 0);
    store_release(c);
    store_close(s);
}
END_TEST

/* The actions' names of a flow_actions_json array, space-separated (into out). */
static const char *action_names(const json_t *a, char *out, size_t n)
{
    size_t i, k = 0;
    json_t *x;
    out[0] = '\0';
    json_array_foreach(a, i, x) k += (size_t)snprintf(
        out + k, n - k, "%s%s", k ? " " : "", json_string_value(json_object_get(x, "action")));
    return out;
}

/* The reads of one record come from the flow's hooks: readable is load succeeding (the toy
 * has no readable hook), the actions are what load's state and relations allow, and the
 * timeline leaves internal events out for an enterprise. */
START_TEST(record_reads)
{
    struct store *s = unit_db_open(1);
    struct conn *c = unit_db_take(s);
    make_ticket(c);
    struct principal owner = who(1, "user:owner"), staff = who(2, "user:staff");
    struct principal ent = who(3, "user:ent");
    ent.perms = ACCESS_BIT(ACCESS_ENT_SELF);
    struct err e;
    json_t *j = NULL;
    char names[128];

    ck_assert_int_eq(flow_readable(&toy, c, &staff, 7, &e), RC_OK);
    ck_assert_int_eq(flow_readable(&toy, c, &staff, 8, &e), RC_NOTFOUND);
    ck_assert_int_eq(flow_actions_of(&toy, c, &staff, NULL, 8, &j, &e), RC_NOTFOUND);
    ck_assert_ptr_null(j);
    ck_assert_int_eq(flow_timeline_of(&toy, c, &staff, 8, &j, &e), RC_NOTFOUND);
    ck_assert_ptr_null(j);

    ck_assert_int_eq(flow_actions_of(&toy, c, &staff, NULL, 7, &j, &e), RC_OK);
    ck_assert_str_eq(action_names(j, names, sizeof(names)), "take hold remark");
    json_decref(j);
    ck_assert_int_eq(flow_actions_of(&toy, c, &owner, NULL, 7, &j, &e), RC_OK);
    ck_assert_int_eq(json_array_size(j), 0);
    json_decref(j);

    ck_assert_msg(act(c, &staff, "{\"action\":\"take\"}", &e) == RC_OK, "%s", e.msg);
    ck_assert_msg(act(c, &staff, "{\"action\":\"remark\",\"note\":\"内部\"}", &e) == RC_OK, "%s",
                  e.msg);
    ck_assert_int_eq(flow_actions_of(&toy, c, &staff, NULL, 7, &j, &e), RC_OK);
    ck_assert_str_eq(action_names(j, names, sizeof(names)), "hold check remark");
    json_decref(j);
    ck_assert_int_eq(flow_timeline_of(&toy, c, &staff, 7, &j, &e), RC_OK);
    ck_assert_int_eq(json_array_size(j), 2);
    json_decref(j);
    ck_assert_int_eq(flow_timeline_of(&toy, c, &ent, 7, &j, &e), RC_OK);
    ck_assert_int_eq(json_array_size(j), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 0), "action")), "take");
    json_decref(j);
    store_release(c);
    store_close(s);
}
END_TEST

/* flow_created records a creation (event and audit row); a flow without an image hook audits
 * {"state": ...} before and after each action. */
START_TEST(created_and_state_images)
{
    struct store *s = unit_db_open(1);
    struct conn *c = unit_db_take(s);
    make_ticket(c);
    struct principal staff = who(2, "user:staff");
    struct err e;
    ck_assert_int_eq(store_begin(c, &e), RC_OK); /* in the caller's transaction */
    ck_assert_int_eq(flow_created(c, &staff, &toy, 7, "create", T_OPEN, 1700000000000, NULL, &e),
                     RC_OK);
    ck_assert_int_eq(store_commit(c, &e), RC_OK);
    ck_assert_int_eq(count(c, "SELECT COUNT(*) FROM events WHERE entity = 'ticket' AND entity_id "
                              "= 7 AND action = 'create' AND from_state IS NULL AND to_state = "
                              "'open' AND actor = 'user:staff'"),
                     1);
    ck_assert_int_eq(count(c, "SELECT COUNT(*) FROM audit WHERE action = 'ticket.create' AND "
                              "entity = 'ticket' AND entity_id = '7' AND before IS NULL AND "
                              "after = '{\"state\":\"open\"}'"),
                     1);
    struct flow plain = toy;
    plain.image = NULL;
    json_t *j = json_loads("{\"action\":\"take\"}", 0, NULL);
    ck_assert_msg(flow_act(&plain, c, &staff, NULL, 7, j, 1700000000000, &e) == RC_OK, "%s", e.msg);
    json_decref(j);
    ck_assert_int_eq(count(c, "SELECT COUNT(*) FROM audit WHERE action = 'ticket.take' AND before "
                              "= '{\"state\":\"open\"}' AND after = '{\"state\":\"taken\"}'"),
                     1);
    store_release(c);
    store_close(s);
}
END_TEST

/* flow_save_run: a save at a stale version is a conflict naming the record, and the
 * statement is finished either way. */
START_TEST(save_at_version)
{
    struct store *s = unit_db_open(1);
    struct conn *c = unit_db_take(s);
    make_ticket(c);
    struct err e = {0};
    for (int stale = 0; stale < 2; stale++) {
        struct stmt *st;
        ck_assert_int_eq(
            store_prepare(c, "UPDATE tickets SET state = state + 1 WHERE id = 7 AND state = ?", &st,
                          &e),
            RC_OK);
        store_bind_int(st, 1, 0); /* the state loaded: 0, changed by the first pass */
        err_clear(&e);
        ck_assert_int_eq(flow_save_run(st, "工单", &e), stale ? RC_CONFLICT : RC_OK);
    }
    ck_assert_str_eq(e.msg, "工单已被他人处理，请刷新后重试");
    ck_assert_int_eq(count(c, "SELECT state FROM tickets"), 1);
    store_release(c);
    store_close(s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("flow");
    TCase *tc = tcase_create("table");
    tcase_add_test(tc, table_checks);
    suite_add_tcase(s, tc);
    tc = tcase_create("sqlite");
    tcase_add_unchecked_fixture(tc, unit_db_sqlite_once, unit_db_sqlite_done);
    tcase_add_checked_fixture(tc, unit_db_sqlite, unit_db_drop);
    tcase_add_test(tc, run_actions);
    tcase_add_test(tc, check_decides);
    tcase_add_test(tc, check_only);
    tcase_add_test(tc, record_reads);
    tcase_add_test(tc, created_and_state_images);
    tcase_add_test(tc, save_at_version);
    suite_add_tcase(s, tc);
    if (getenv("TEST_PG_DSN")) {
        tc = tcase_create("postgres");
        tcase_add_checked_fixture(tc, unit_db_pg, unit_db_drop);
        tcase_add_test(tc, run_actions);
        tcase_add_test(tc, check_decides);
        tcase_add_test(tc, check_only);
        tcase_add_test(tc, record_reads);
        tcase_add_test(tc, created_and_state_images);
    tcase_add_test(tc, save_at_version);
        suite_add_tcase(s, tc);
    }
    return s;
}

UNIT_MAIN(suite)
