/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of src/access (issue 15 item 3): permission names, the seeded roles, each
 * built-in principal's scope and what its predicate selects, the masking policy, and a
 * role added as data.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "access/access.h"
#include "base/mem.h"
#include "store/store.h"
#include "unit.h"

static struct store *db;
static struct conn *conn;
static char path[64];

/* A migrated SQLite file with four enterprises, two grants-like rows and a 包保 link. */
static void open_db(void)
{
    struct err e;
    err_clear(&e);
    snprintf(path, sizeof(path), "/tmp/qifu-access-%ld.db", (long)getpid());
    unlink(path);
    char url[80];
    snprintf(url, sizeof(url), "sqlite:%s", path);
    ck_assert_int_eq(store_open(url, 1, &db, &e), RC_OK);
    ck_assert_msg(store_migrate(db, NULL, &e) == RC_OK, "migrate: %s", e.msg);
    ck_assert_int_eq(store_acquire(db, &conn, &e), RC_OK);
    static const char *const setup[] = {
        "CREATE TABLE recs (id INTEGER PRIMARY KEY, credit TEXT, org_id INTEGER, region TEXT)",
        /* 1: Anqing city, org 7; 2: Huaining county, org 8; 3: Hefei, org 7; 4: own enterprise */
        "INSERT INTO recs VALUES (1, 'C1', 7, '340803'), (2, 'C2', 8, '340822'), "
        "(3, 'C3', 7, '340102'), (4, 'OWN', 9, '340102')",
        "INSERT INTO orgs (id, code, name, kind, region, parent_id, path, created_at) VALUES "
        "(7, 'A', 'A', 'city', '340800', NULL, '/7/', 0)",
        "INSERT INTO users (id, username, display_name, role, org_id, credit_code, password_hash, "
        "created_at, updated_at) VALUES (5, 'bb', 'bb', 'handler', 7, NULL, 'x', 0, 0)",
        "INSERT INTO enterprises (credit_code, name, region, created_at, updated_at) SELECT "
        "credit, credit, region, 0, 0 FROM recs",
        "INSERT INTO enterprise_officials (credit_code, user_id) VALUES ('C3', 5)",
    };
    for (size_t i = 0; i < sizeof(setup) / sizeof(setup[0]); i++)
        ck_assert_msg(store_exec(conn, setup[i], &e) == RC_OK, "%s: %s", setup[i], e.msg);
}

static void close_db(void)
{
    store_release(conn);
    store_close(db);
    unlink(path);
}

/* The principal of a built-in role as auth loads it from the roles table. */
static struct principal principal_of(const char *role)
{
    struct principal p = {.role = role, .user_id = 5, .org_id = 7, .org_region = "340800"};
    struct err e;
    err_clear(&e);
    ck_assert_msg(access_role_get(conn, role, &p.perms, NULL, &e) == RC_OK, "%s: %s", role, e.msg);
    if (strcmp(role, "enterprise") == 0) {
        p.org_id = 0;
        p.org_region = NULL;
        p.credit_code = "OWN";
        p.user_id = 6; /* enterprise users are never 包保 officials */
    }
    return p;
}

/* The ids of recs that pred selects for scope s, as "1,2,". */
static void selected(const char *sql, const struct access_scope *s, bool ent, char *out, size_t n)
{
    struct stmt *st;
    struct err e;
    err_clear(&e);
    ck_assert_msg(store_prepare(conn, sql, &st, &e) == RC_OK, "%s", e.msg);
    if (ent)
        access_bind_ent(st, 1, s);
    else
        access_bind(st, 1, s);
    out[0] = '\0';
    size_t used = 0;
    while (store_step(st, &e) == RC_ROW)
        used += (size_t)snprintf(out + used, n - used, "%lld,", (long long)store_int(st, 0));
    store_finish(st);
}

#define RECS_SQL                                                                                   \
    "SELECT r.id FROM recs r WHERE " ACCESS_SQL("r.credit", "r.org_id", "r.region") " ORDER BY "   \
                                                                                    "r.id"
#define ENT_SQL                                                                                    \
    "SELECT r.id FROM recs r JOIN enterprises e ON e.credit_code = r.credit "                      \
    "WHERE " ACCESS_SQL_ENT("e.credit_code", "e.region") " ORDER BY r.id"

START_TEST(permission_names)
{
    struct err e;
    unsigned bits = 0;
    err_clear(&e);
    ck_assert_int_eq(access_perms_parse("grant.read, ent.read", "permissions", &bits, &e), RC_OK);
    ck_assert_uint_eq(bits, ACCESS_BIT(ACCESS_GRANT_READ) | ACCESS_BIT(ACCESS_ENT_READ));
    char text[64];
    access_perms_format(bits, text, sizeof(text));
    ck_assert_str_eq(text, "ent.read grant.read");
    ck_assert_int_eq(access_perms_parse("ent.read grant.fly", "perms", &bits, &e), RC_INVALID);
    ck_assert_str_eq(e.field, "perms");
    ck_assert_msg(strstr(e.msg, "未知权限 grant.fly"), "%s", e.msg);
    for (int i = 0; i < ACCESS__N_PERMS; i++) {
        enum access_perm p;
        ck_assert(access_perm_parse(access_perm_name((enum access_perm)i), &p));
        ck_assert_int_eq(p, i);
    }
    ck_assert(!access_can(NULL, ACCESS_SELF));
}
END_TEST

START_TEST(seeded_roles_and_scopes)
{
    open_db();
    char got[64];
    struct access_scope s;

    struct principal admin = principal_of("admin");
    ck_assert(access_can(&admin, ACCESS_SCOPE_ALL) && access_can(&admin, ACCESS_PII_READ));
    access_scope_of(&admin, ACCESS_GRANT_REGION, ACCESS_POLICY_ISSUE, &s);
    ck_assert(s.all);
    selected(RECS_SQL, &s, false, got, sizeof(got));
    ck_assert_str_eq(got, "1,2,3,4,");

    /* An enterprise: its own credit code, nothing by region or organisation. */
    struct principal ent = principal_of("enterprise");
    access_scope_of(&ent, ACCESS_GRANT_REGION, ACCESS_POLICY_ISSUE, &s);
    ck_assert(!s.all && s.org_id == 0);
    ck_assert_str_eq(s.credit_code, "OWN");
    ck_assert_str_eq(s.region_lo, "~");
    selected(RECS_SQL, &s, false, got, sizeof(got));
    ck_assert_str_eq(got, "4,");

    /* A supervisor of Anqing (340800): grants of its region (3408xx), not its org's. */
    struct principal sup = principal_of("supervisor");
    access_scope_of(&sup, ACCESS_GRANT_REGION, ACCESS_POLICY_ISSUE, &s);
    ck_assert_str_eq(s.region_lo, "3408");
    ck_assert_str_eq(s.region_hi, "3408:");
    ck_assert_int_eq(s.org_id, 0);
    selected(RECS_SQL, &s, false, got, sizeof(got));
    ck_assert_str_eq(got, "1,2,");

    /* A policy officer: the grants of its organisation's policies (org 7), any region. */
    struct principal po = principal_of("policy_officer");
    access_scope_of(&po, ACCESS_GRANT_REGION, ACCESS_POLICY_ISSUE, &s);
    ck_assert_int_eq(s.org_id, 7);
    ck_assert_str_eq(s.region_lo, "~");
    selected(RECS_SQL, &s, false, got, sizeof(got));
    ck_assert_str_eq(got, "1,3,");

    /* A clerk holds neither grant part: nothing. */
    struct principal clerk = principal_of("clerk");
    access_scope_of(&clerk, ACCESS_GRANT_REGION, ACCESS_POLICY_ISSUE, &s);
    selected(RECS_SQL, &s, false, got, sizeof(got));
    ck_assert_str_eq(got, "");

    /* Enterprises: officials see their region (ent.region) and what they 包保 (C3). */
    struct principal handler = principal_of("handler");
    access_scope_of(&handler, ACCESS_ENT_REGION, ACCESS_NONE, &s);
    selected(ENT_SQL, &s, true, got, sizeof(got));
    ck_assert_str_eq(got, "1,2,3,");
    access_scope_of(&ent, ACCESS_ENT_REGION, ACCESS_NONE, &s);
    selected(ENT_SQL, &s, true, got, sizeof(got));
    ck_assert_str_eq(got, "4,");
    access_scope_of(&admin, ACCESS_ENT_REGION, ACCESS_NONE, &s);
    selected(ENT_SQL, &s, true, got, sizeof(got));
    ck_assert_str_eq(got, "1,2,3,4,");

    /* Demands: intake and oversight reach the region, handling does not. */
    ck_assert(access_can(&clerk, ACCESS_DEMAND_INTAKE) &&
              !access_can(&clerk, ACCESS_DEMAND_HANDLE));
    ck_assert(access_can(&handler, ACCESS_DEMAND_HANDLE));
    ck_assert(access_covers(&clerk, "340822") && !access_covers(&clerk, "340102"));
    ck_assert(!access_covers(&ent, "340102"));

    /* One masking policy: related, or pii.read (admins). */
    ck_assert(access_reveal(&admin, false));
    ck_assert(!access_reveal(&sup, false));
    ck_assert(access_reveal(&sup, true));
    ck_assert(access_reveal(&ent, true));
    ck_assert(!access_reveal(NULL, true));
    close_db();
}
END_TEST

START_TEST(role_added_as_data)
{
    open_db();
    struct err e;
    err_clear(&e);
    struct audit_actor who = {"cli:test", ""};
    ck_assert_msg(access_role_create(conn, &who, "bank_officer", "合作银行人员",
                                     "self,grant.read ent.read", &e) == RC_OK,
                  "%s", e.msg);
    unsigned bits = 0;
    char *label = NULL;
    ck_assert_int_eq(access_role_get(conn, "bank_officer", &bits, &label, &e), RC_OK);
    ck_assert_str_eq(label, "合作银行人员");
    xfree(label);
    ck_assert_uint_eq(bits, ACCESS_BIT(ACCESS_SELF) | ACCESS_BIT(ACCESS_GRANT_READ) |
                                ACCESS_BIT(ACCESS_ENT_READ));
    ck_assert_int_eq(access_role_for_user(conn, "bank_officer", &bits, &e), RC_OK);
    /* A user may be given it at once: users.role refers to the table, no CHECK list. */
    ck_assert_msg(store_exec(conn,
                             "INSERT INTO users (username, display_name, role, org_id, "
                             "password_hash, created_at, updated_at) VALUES ('bank1', 'b', "
                             "'bank_officer', 7, 'x', 0, 0)",
                             &e) == RC_OK,
                  "%s", e.msg);
    ck_assert_int_eq(store_exec(conn,
                                "INSERT INTO users (username, display_name, role, org_id, "
                                "password_hash, created_at, updated_at) VALUES ('x1', 'b', "
                                "'no_such_role', 7, 'x', 0, 0)",
                                &e),
                     RC_CONFLICT);
    ck_assert_int_eq(access_role_create(conn, &who, "bank_officer", "x", "self", &e), RC_EXISTS);
    ck_assert_int_eq(access_role_create(conn, &who, "Bad Name", "x", "self", &e), RC_INVALID);
    ck_assert_str_eq(e.field, "name");
    ck_assert_int_eq(access_role_create(conn, &who, "r2", "x", "self fly", &e), RC_INVALID);
    ck_assert_str_eq(e.field, "permissions");
    ck_assert_int_eq(access_role_for_user(conn, "system", &bits, &e), RC_INVALID);
    ck_assert_int_eq(access_role_for_user(conn, "pilot", &bits, &e), RC_INVALID);
    ck_assert_str_eq(e.field, "role");
    ck_assert_msg(strstr(e.msg, "未知角色 pilot"), "%s", e.msg);
    close_db();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("access");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, permission_names);
    tcase_add_test(tc, seeded_roles_and_scopes);
    tcase_add_test(tc, role_added_as_data);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(suite)
