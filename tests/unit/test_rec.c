/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flow_rec (src/flow/flow_rec.h) on a toy table the test creates, "memos": an enterprise
 * files one (title, a phone number that is personal data), a clerk of its region sees it
 * (masked), the enterprise edits and closes it. On SQLite and, with TEST_PG_DSN, on
 * PostgreSQL: scope (a stranger gets RC_NOTFOUND), paging and filters, masking, the
 * version guard (RC_CONFLICT, nothing written).
 */
#include <string.h>

#include "access/access.h"
#include "base/rc.h"
#include "flow/flow.h"
#include "flow/flow_rec.h"
#include "store/store.h"
#include "unit.h"
#include "unit_db.h"

enum { M_NEW, M_CLOSED, M__N };
enum { MR_OWNER = 1u << 0, MR_CLERK = 1u << 1 };

static unsigned rels_of(const struct principal *p, const json_t *r)
{
    unsigned rel = 0;
    if (p->credit_code && strcmp(p->credit_code, rec_text(r, "credit_code")) == 0)
        rel |= MR_OWNER;
    if (access_can(p, ACCESS_DEMAND_INTAKE) && access_covers(p, rec_text(r, "region")))
        rel |= MR_CLERK;
    return rel;
}

static enum rc creating(struct conn *c, const struct principal *p, json_t *row, struct err *e)
{
    (void)c;
    if (!p->credit_code)
        return err_set(e, RC_FORBIDDEN, NULL, "只有企业可以登记");
    json_object_set_new(row, "credit_code", json_string(p->credit_code));
    json_object_set_new(row, "region", json_string("340811"));
    return RC_OK;
}

/* Another writer between load and save: the version moves under the action. */
static enum rc bump(struct flow_call *x, struct err *e)
{
    return store_exec(x->c, "UPDATE memos SET version = version + 5", e);
}

static const struct rec_col cols[] = {
    {"id", REC_ID, 0, 0, NULL},
    {"credit_code", REC_TEXT, 0, 0, NULL},
    {"region", REC_TEXT, 0, 0, NULL},
    {"title", REC_TEXT, REC_INSERT | REC_REQUIRED | REC_PATCH, 10, NULL},
    {"phone", REC_TEXT, REC_INSERT | REC_PERSONAL, 20, NULL},
    {"n", REC_INT, REC_INSERT, 0, NULL},
    {"state", REC_STATE, REC_FILTER, 0, NULL},
    {"version", REC_VERSION, 0, 0, NULL},
    {"created_at", REC_TIME, REC_STAMP, 0, NULL},
    {"updated_at", REC_TIME, REC_TOUCH, 0, NULL},
};
static const struct rec_table table = {
    .table = "memos",
    .cols = cols,
    .n_cols = FLOW_N(cols),
    .credit = "credit_code",
    .region = "region",
    .region_perm = ACCESS_DEMAND_INTAKE,
    .org_perm = ACCESS_NONE,
    .notfound = "备忘不存在",
    .event = "file",
    .rels = rels_of,
    .creating = creating,
};
static const struct flow_state states[M__N] = {{"new", "新建"}, {"closed", "已关闭"}};
static const struct flow_action actions[] = {
    {"edit", "修改", FLOW_BIT(M_NEW), MR_OWNER, FLOW_SAME, 0, 0, 0, rec_apply_patch, NULL},
    {"close", "关闭", FLOW_BIT(M_NEW), MR_OWNER | MR_CLERK, M_CLOSED, 0, 0, 0, NULL, NULL},
    {"race", "竞争", FLOW_BIT(M_NEW), MR_OWNER, M_CLOSED, 0, 0, 0, bump, NULL},
};
static const char *const fields[] = {"title", NULL};
static const struct flow memo_flow = {
    .entity = "memo",
    .label = "备忘",
    .states = states,
    .n_states = M__N,
    .actions = actions,
    .n_actions = FLOW_N(actions),
    .fields = fields,
    .load = rec_load,
    .save = rec_save,
    .release = rec_release,
    .table = &table,
};

static struct principal who(int64_t user_id, unsigned perms, const char *credit, const char *region)
{
    struct principal p;
    memset(&p, 0, sizeof(p));
    p.actor.name = "user:t";
    p.actor.org = "340800-QFZX";
    p.user_id = user_id;
    p.username = "t";
    p.perms = perms;
    p.credit_code = credit;
    p.org_region = region;
    p.org_id = region ? 7 : 0;
    return p;
}

static void make_memos(struct conn *c)
{
    struct err e = {0};
    const char *id = store_conn_kind(c) == STORE_PG ? "BIGSERIAL PRIMARY KEY"
                                                    : "INTEGER PRIMARY KEY AUTOINCREMENT";
    char sql[512];
    snprintf(sql, sizeof(sql),
             "CREATE TABLE memos (id %s, credit_code TEXT NOT NULL, region TEXT NOT NULL, "
             "title TEXT NOT NULL, phone TEXT, n BIGINT, state TEXT NOT NULL, version INTEGER "
             "NOT NULL DEFAULT 1, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)",
             id);
    ck_assert_msg(store_exec(c, sql, &e) == RC_OK, "%s", e.msg);
}

static enum rc create(struct conn *c, const struct principal *p, const char *body, int64_t *id,
                      struct err *e)
{
    json_t *j = json_loads(body, 0, NULL);
    err_clear(e);
    enum rc rc = rec_create(&memo_flow, c, p, j, id, e);
    json_decref(j);
    return rc;
}

static enum rc act(struct conn *c, const struct principal *p, int64_t id, const char *body,
                   struct err *e)
{
    json_t *j = json_loads(body, 0, NULL);
    err_clear(e);
    enum rc rc = flow_act(&memo_flow, c, p, NULL, id, j, 1700000000000, e);
    json_decref(j);
    return rc;
}

#define OWNER who(1, ACCESS_BIT(ACCESS_ENT_SELF), "C1", NULL)
#define CLERK who(2, ACCESS_BIT(ACCESS_DEMAND_INTAKE), NULL, "340800")
#define FAR_CLERK who(3, ACCESS_BIT(ACCESS_DEMAND_INTAKE), NULL, "340100")
#define OTHER_ENT who(4, ACCESS_BIT(ACCESS_ENT_SELF), "C2", NULL)

START_TEST(create_get_scope_mask)
{
    struct store *s = unit_db_open(1);
    struct conn *c = unit_db_take(s);
    make_memos(c);
    struct principal owner = OWNER, clerk = CLERK, far = FAR_CLERK, other = OTHER_ENT;
    struct err e;
    int64_t id = 0;
    json_t *j = NULL;

    /* The body: only REC_INSERT members, required ones present, lengths checked. */
    ck_assert_int_eq(create(c, &owner, "{\"title\":\"t\",\"x\":1}", &id, &e), RC_INVALID);
    ck_assert_str_eq(e.field, "x");
    ck_assert_int_eq(create(c, &owner, "{\"phone\":\"1\"}", &id, &e), RC_INVALID);
    ck_assert_str_eq(e.field, "title");
    ck_assert_int_eq(create(c, &owner, "{\"title\":\"12345678901\"}", &id, &e), RC_INVALID);
    ck_assert_int_eq(create(c, &owner, "{\"title\":\"t\",\"n\":\"x\"}", &id, &e), RC_INVALID);
    ck_assert_str_eq(e.field, "n");
    ck_assert_int_eq(create(c, &clerk, "{\"title\":\"t\"}", &id, &e), RC_FORBIDDEN);
    ck_assert_int_eq(unit_db_int(c, "SELECT COUNT(*) FROM memos"), 0);
    ck_assert_int_eq(unit_db_int(c, "SELECT COUNT(*) FROM events WHERE entity = 'memo'"), 0);

    ck_assert_msg(create(c, &owner, "{\"title\":\"标题\",\"phone\":\"13812345678\",\"n\":42}", &id,
                         &e) == RC_OK,
                  "%s", e.msg);
    ck_assert_int_gt(id, 0);
    ck_assert_int_eq(unit_db_int(c, "SELECT COUNT(*) FROM events WHERE entity = 'memo' AND "
                                    "action = 'file' AND to_state = 'new'"),
                     1);
    ck_assert_int_eq(unit_db_int(c, "SELECT COUNT(*) FROM audit WHERE action = 'memo.file'"), 1);

    /* The owner: its own record, unmasked, the state's label, its actions, no version. */
    ck_assert_int_eq(rec_get(&memo_flow, c, &owner, id, &j, &e), RC_OK);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "id")), id);
    ck_assert_str_eq(rec_text(j, "title"), "标题");
    ck_assert_str_eq(rec_text(j, "phone"), "13812345678");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "n")), 42);
    ck_assert_str_eq(rec_text(j, "state"), "new");
    ck_assert_str_eq(rec_text(j, "state_label"), "新建");
    ck_assert_str_eq(rec_text(j, "region"), "340811");
    ck_assert_ptr_null(json_object_get(j, "version"));
    const char *at = rec_text(j, "created_at");
    ck_assert_int_eq(strlen(at), 25);
    ck_assert_str_eq(at + 19, "+08:00");
    ck_assert_int_eq(json_array_size(json_object_get(j, "actions")), 3);
    json_decref(j);

    /* The region's clerk sees it with the phone masked (its relation is not the owner's
     * handling: masked unless pii.read). */
    ck_assert_int_eq(rec_get(&memo_flow, c, &clerk, id, &j, &e), RC_OK);
    ck_assert_str_eq(rec_text(j, "phone"), "13812345678");
    json_decref(j);
    struct principal pii_less = who(5, ACCESS_BIT(ACCESS_SCOPE_ALL), NULL, NULL);
    ck_assert_int_eq(rec_get(&memo_flow, c, &pii_less, id, &j, &e), RC_OK);
    ck_assert_str_eq(rec_text(j, "phone"), "138****5678");
    ck_assert_int_eq(json_array_size(json_object_get(j, "actions")), 0);
    json_decref(j);
    struct principal pii =
        who(6, ACCESS_BIT(ACCESS_SCOPE_ALL) | ACCESS_BIT(ACCESS_PII_READ), NULL, NULL);
    ck_assert_int_eq(rec_get(&memo_flow, c, &pii, id, &j, &e), RC_OK);
    ck_assert_str_eq(rec_text(j, "phone"), "13812345678");
    json_decref(j);

    /* Strangers: another region's clerk and another enterprise. */
    const struct principal *strangers[] = {&far, &other};
    for (int i = 0; i < 2; i++) {
        j = NULL;
        ck_assert_int_eq(rec_get(&memo_flow, c, strangers[i], id, &j, &e), RC_NOTFOUND);
        ck_assert_ptr_null(j);
        ck_assert_int_eq(act(c, strangers[i], id, "{\"action\":\"close\"}", &e), RC_NOTFOUND);
        ck_assert_int_eq(rec_list(&memo_flow, c, strangers[i], NULL, 0, 10, &j, &e), RC_OK);
        ck_assert_int_eq(json_array_size(j), 0);
        json_decref(j);
    }
    store_release(c);
    store_close(s);
}
END_TEST

START_TEST(list_pages_and_filters)
{
    struct store *s = unit_db_open(1);
    struct conn *c = unit_db_take(s);
    make_memos(c);
    struct principal owner = OWNER, clerk = CLERK, other = OTHER_ENT;
    struct err e;
    int64_t ids[5], oid = 0;
    json_t *j = NULL;
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(create(c, &owner, "{\"title\":\"t\"}", &ids[i], &e), RC_OK);
    ck_assert_int_eq(create(c, &other, "{\"title\":\"o\"}", &oid, &e), RC_OK);
    ck_assert_int_eq(act(c, &owner, ids[1], "{\"action\":\"close\"}", &e), RC_OK);

    /* Newest first, two at a time, the cursor an id. */
    ck_assert_int_eq(rec_list(&memo_flow, c, &owner, NULL, 0, 2, &j, &e), RC_OK);
    ck_assert_int_eq(json_array_size(j), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(j, 0), "id")), ids[4]);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(j, 1), "id")), ids[3]);
    json_decref(j);
    ck_assert_int_eq(rec_list(&memo_flow, c, &owner, NULL, ids[3], 10, &j, &e), RC_OK);
    ck_assert_int_eq(json_array_size(j), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(j, 2), "id")), ids[0]);
    ck_assert_str_eq(rec_text(json_array_get(j, 1), "state_label"), "已关闭");
    json_decref(j);

    /* An equality filter on the state column. */
    const char *eq[FLOW_N(cols)] = {0};
    eq[6] = "closed";
    ck_assert_int_eq(rec_list(&memo_flow, c, &clerk, eq, 0, 10, &j, &e), RC_OK);
    ck_assert_int_eq(json_array_size(j), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(j, 0), "id")), ids[1]);
    json_decref(j);
    eq[6] = "new";
    ck_assert_int_eq(rec_list(&memo_flow, c, &clerk, eq, 0, 10, &j, &e), RC_OK);
    ck_assert_int_eq(json_array_size(j), 5); /* the other enterprise's is in the region too */
    json_decref(j);
    ck_assert_int_eq(rec_list(&memo_flow, c, &other, NULL, 0, 10, &j, &e), RC_OK);
    ck_assert_int_eq(json_array_size(j), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(j, 0), "id")), oid);
    json_decref(j);
    store_release(c);
    store_close(s);
}
END_TEST

START_TEST(patch_save_and_conflict)
{
    struct store *s = unit_db_open(1);
    struct conn *c = unit_db_take(s);
    make_memos(c);
    struct principal owner = OWNER, clerk = CLERK;
    struct err e;
    int64_t id = 0;
    ck_assert_int_eq(create(c, &owner, "{\"title\":\"t\",\"phone\":\"13812345678\"}", &id, &e),
                     RC_OK);

    /* PATCH: the REC_PATCH members, at least one, checked like the body. */
    ck_assert_int_eq(act(c, &owner, id, "{\"action\":\"edit\"}", &e), RC_INVALID);
    ck_assert_str_eq(e.field, "title");
    ck_assert_int_eq(act(c, &owner, id, "{\"action\":\"edit\",\"title\":\"12345678901\"}", &e),
                     RC_INVALID);
    ck_assert_int_eq(act(c, &clerk, id, "{\"action\":\"edit\",\"title\":\"u\"}", &e), RC_FORBIDDEN);
    ck_assert_msg(act(c, &owner, id, "{\"action\":\"edit\",\"title\":\"改后\"}", &e) == RC_OK, "%s",
                  e.msg);
    char sql[160];
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM memos WHERE id = %lld AND title = '改后' AND phone = "
             "'13812345678' AND version = 2 AND updated_at = 1700000000000 AND state = 'new'",
             (long long)id);
    ck_assert_int_eq(unit_db_int(c, sql), 1);
    json_t *j = NULL;
    ck_assert_int_eq(rec_get(&memo_flow, c, &owner, id, &j, &e), RC_OK);
    ck_assert_str_eq(rec_text(j, "updated_at"), "2023-11-15T06:13:20+08:00");
    json_decref(j);

    /* Someone else moved the version between load and save: RC_CONFLICT, nothing written. */
    ck_assert_int_eq(act(c, &owner, id, "{\"action\":\"race\"}", &e), RC_CONFLICT);
    ck_assert_int_eq(unit_db_int(c, "SELECT version FROM memos"), 2);
    ck_assert_int_eq(unit_db_int(c, "SELECT COUNT(*) FROM events WHERE action = 'race'"), 0);
    ck_assert_int_eq(unit_db_int(c, "SELECT COUNT(*) FROM memos WHERE state = 'new'"), 1);

    /* A transition writes the state and bumps the version. */
    ck_assert_int_eq(act(c, &clerk, id, "{\"action\":\"close\"}", &e), RC_OK);
    ck_assert_int_eq(unit_db_int(c, "SELECT COUNT(*) FROM memos WHERE state = 'closed' AND "
                                    "version = 3 AND title = '改后'"),
                     1);
    ck_assert_int_eq(act(c, &owner, id, "{\"action\":\"edit\",\"title\":\"再\"}", &e), RC_STATE);
    store_release(c);
    store_close(s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("rec");
    TCase *tc = tcase_create("sqlite");
    tcase_add_unchecked_fixture(tc, unit_db_sqlite_once, unit_db_sqlite_done);
    tcase_add_checked_fixture(tc, unit_db_sqlite, unit_db_drop);
    tcase_add_test(tc, create_get_scope_mask);
    tcase_add_test(tc, list_pages_and_filters);
    tcase_add_test(tc, patch_save_and_conflict);
    suite_add_tcase(s, tc);
    if (getenv("TEST_PG_DSN")) {
        tc = tcase_create("postgres");
        tcase_add_checked_fixture(tc, unit_db_pg, unit_db_drop);
        tcase_add_test(tc, create_get_scope_mask);
        tcase_add_test(tc, list_pages_and_filters);
        tcase_add_test(tc, patch_save_and_conflict);
        suite_add_tcase(s, tc);
    }
    return s;
}

UNIT_MAIN(suite)
