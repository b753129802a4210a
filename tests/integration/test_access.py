# SPDX-License-Identifier: Apache-2.0
"""Issue 15 item 3: roles are data (docs/internals/access.md). GET /api/v1/roles gives every
signed-in principal the roles' labels and permissions; a role added without a rebuild
(POST /api/v1/roles, `qifu role add`) can be given to a user at once, and that user can do
exactly what its permissions allow — route admission, scopes and masking included; a role
edit takes effect for the next request."""
import time

import pytest

from conftest import assert_error, credit_check_digit, rewind_sql

PW = "Access-Test-Pass-1"
WAN = 1000000
BANK_PERMS = ["self", "ent.read", "ent.region", "grant.read", "grant.region"]  # code order
LABELS = {"enterprise": "企业用户", "clerk": "窗口受理人员", "handler": "承办单位人员",
          "supervisor": "督查人员", "policy_officer": "政策管理人员", "admin": "系统管理员",
          "system": "系统对接"}


def code(prefix, n):
    base = "9134%sMA3A%05d" % (prefix, n)
    return base + credit_check_digit(base)


ANQING = code("0800", 1)  # registered in 340811 (Anqing): in the bank's region
HEFEI = code("0100", 2)  # registered in 340102 (Hefei): outside it


def ok(resp, status=200):
    st, _, d = resp
    assert st == status, d
    return d


@pytest.fixture(scope="module")
def world(server):
    adm = server.admin()
    for c, region in [(ANQING, "340811"), (HEFEI, "340102")]:
        ok(server.request("POST", "/api/v1/enterprises", {
            "credit_code": c, "name": "访问控制测试企业%s有限公司" % c[-3:], "region": region,
            "industry": "3491", "scale": "small",
            "contacts": [{"name": "王经理", "mobile": "13905561234"}]}, token=adm), 201)
        ok(server.request("PUT", "/api/v1/enterprises/%s/facts" % c, {"facts": [
            {"fact": "revenue", "value": 300 * WAN, "as_of": "2025-12-31"}]}, token=adm))
    ok(server.request("POST", "/api/v1/users", {
        "username": "acc_ent", "password": PW, "role": "enterprise", "credit_code": ANQING},
        token=adm), 201)
    officer = server.login("officer")
    st, _, pol = server.request("POST", "/api/v1/policies", {
        "title": "访问控制测试奖励", "delivery": "mian_shen", "region_scope": ["3408"],
        "valid_from": "2020-01-01", "valid_to": "2099-12-31",
        "rules": {"conditions": {"all": [{"fact": "revenue", "op": "ge", "value": 100 * WAN}]},
                  "amount": {"fixed": 100000}}}, token=officer)
    assert st == 201, pol
    ok(server.request("POST", "/api/v1/policies/%s/actions" % pol["id"], {"action": "publish"},
                      token=officer))
    run = ok(server.request("POST", "/api/v1/policies/%s/runs" % pol["id"], token=officer), 202)
    deadline = time.monotonic() + 30
    while run["state"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
        run = ok(server.request("GET", "/api/v1/policies/%s/runs/%s" % (pol["id"], run["id"]),
                                token=officer))
    assert run["state"] == "done", run
    grants = {g["credit_code"]: g for g in server.list_all(
        "/api/v1/grants?policy_id=%s" % pol["id"], adm)}
    g = grants[ANQING]
    ok(server.request("POST", "/api/v1/grants/%s/actions" % g["id"], {"action": "notify"},
                      token=officer))
    ent = server.login("acc_ent", PW)
    ok(server.request("POST", "/api/v1/grants/%s/actions" % g["id"], {
        "action": "confirm", "bank_name": "中国银行安庆分行", "bank_account": "6216600000005678",
        "account_name": "测试"}, token=ent))
    return {"policy": pol["id"], "grant": g["id"], "officer": officer}


def test_roles_are_listed_for_any_signed_in_principal(server):
    assert_error(server.request("GET", "/api/v1/roles"), 401, "unauthorized")
    d = ok(server.request("GET", "/api/v1/roles", token=server.login("enterprise")))
    roles = {r["name"]: r for r in d["items"]}
    assert {n: roles[n]["label"] for n in LABELS} == LABELS
    assert all(roles[n]["builtin"] for n in LABELS)
    assert "scope.all" in roles["admin"]["permissions"]
    assert "pii.read" in roles["admin"]["permissions"]
    assert roles["enterprise"]["permissions"][:2] == ["self", "ent.self"]
    assert roles["system"]["permissions"] == ["demand.create"]
    names = [p["name"] for p in d["permissions"]]
    assert "grant.read" in names and all(p["label"] for p in d["permissions"])


def test_a_user_needs_a_role_of_the_table(server):
    adm = server.admin()
    assert_error(server.request("POST", "/api/v1/users", {
        "username": "acc_pilot", "password": PW, "role": "pilot", "org": "340800-JRJ"},
        token=adm), 400, "invalid", field="role", message="未知角色 pilot")
    assert_error(server.request("POST", "/api/v1/users", {
        "username": "acc_sys", "password": PW, "role": "system", "org": "340800-JRJ"},
        token=adm), 400, "invalid", field="role")
    p = server.cli("user", "add", "acc_pilot", "--role", "pilot", "--org", "340800-JRJ",
                   input=PW + "\n", check=False)
    assert p.returncode != 0 and "未知角色 pilot" in p.stderr, p.stderr
    # Only user administrators add roles; a bad permission name is refused by name.
    assert_error(server.request("POST", "/api/v1/roles", {
        "name": "x_role", "label": "某角色", "permissions": ["self"]},
        token=server.login("supervisor")), 403, "forbidden")
    assert_error(server.request("POST", "/api/v1/roles", {
        "name": "x_role", "label": "某角色", "permissions": ["self", "grant.fly"]},
        token=adm), 400, "invalid", field="permissions", message="grant.fly")
    assert_error(server.request("POST", "/api/v1/roles", {
        "name": "admin", "label": "又一个", "permissions": ["self"]}, token=adm), 409, "exists")


def test_bank_officer_added_as_data_does_exactly_what_it_may(server, world):
    adm = server.admin()
    d = ok(server.request("POST", "/api/v1/roles", {
        "name": "bank_officer", "label": "合作银行人员", "permissions": BANK_PERMS},
        token=adm), 201)
    assert d["permissions"] == BANK_PERMS
    ok(server.request("POST", "/api/v1/users", {
        "username": "bank1", "password": PW, "role": "bank_officer", "org": "340800-JRJ"},
        token=adm), 201)
    bank = server.login("bank1", PW)
    me = ok(server.request("GET", "/api/v1/me", token=bank))
    assert me["role"] == "bank_officer" and me["role_label"] == "合作银行人员"
    assert me["permissions"] == BANK_PERMS
    users = {u["username"]: u for u in server.list_all("/api/v1/users", adm)}
    assert users["bank1"]["role_label"] == "合作银行人员"

    # grant.read + grant.region: the grants of its region, the bank account masked, no action.
    mine = {g["id"]: g for g in server.list_all("/api/v1/grants?policy_id=%s" % world["policy"],
                                                bank)}
    g = mine[world["grant"]]
    assert g["actions"] == []
    assert g["bank"]["bank_account"] == "****5678"
    full = ok(server.request("GET", "/api/v1/grants/%s" % g["id"], token=adm))
    assert full["bank"]["bank_account"] == "6216600000005678"  # admins hold pii.read
    assert_error(server.request("POST", "/api/v1/grants/%s/actions" % g["id"],
                                {"action": "pay", "amount": 1, "paid_on": "2026-03-01"},
                                token=bank), 403, "forbidden")
    # ent.read + ent.region: its region's enterprises, personal data masked; not Hefei's.
    e = ok(server.request("GET", "/api/v1/enterprises/%s" % ANQING, token=bank))
    assert e["contacts"][0]["mobile"] == "139****1234" and e["personal_data_masked"]
    assert_error(server.request("GET", "/api/v1/enterprises/%s" % HEFEI, token=bank),
                 404, "not_found")
    # Nothing else: routes of permissions it lacks are 403.
    for method, path, body in [("GET", "/api/v1/demands", None),
                               ("POST", "/api/v1/demands", {"title": "x"}),
                               ("POST", "/api/v1/policies", {"title": "x"}),
                               ("GET", "/api/v1/stats/policies", None),
                               ("GET", "/api/v1/audit", None),
                               ("GET", "/api/v1/users", None),
                               ("GET", "/api/v1/orgs", None),
                               ("POST", "/api/v1/enterprises", {"credit_code": ANQING})]:
        assert_error(server.request(method, path, body, token=bank), 403, "forbidden")
    ok(server.request("GET", "/api/v1/roles", token=bank))
    # self: it may change its own password.
    ok(server.request("PUT", "/api/v1/me/password", {
        "old_password": PW, "new_password": PW + "x"}, token=bank), 204)


def test_role_edit_takes_effect_for_the_next_request(server, world):
    adm = server.admin()
    ok(server.request("POST", "/api/v1/roles", {
        "name": "bank_reader", "label": "银行查询", "permissions": ["self", "grant.read"]},
        token=adm), 201)
    ok(server.request("POST", "/api/v1/users", {
        "username": "bank2", "password": PW, "role": "bank_reader", "org": "340800-JRJ"},
        token=adm), 201)
    bank = server.login("bank2", PW)
    # grant.read without grant.region: admitted, but its scope holds no grant.
    assert ok(server.request("GET", "/api/v1/grants", token=bank))["items"] == []
    assert_error(server.request("GET", "/api/v1/orgs", token=bank), 403, "forbidden")
    d = ok(server.request("PATCH", "/api/v1/roles/bank_reader", {
        "permissions": ["self", "grant.read", "grant.region", "org.read"]}, token=adm))
    assert d["label"] == "银行查询" and "org.read" in d["permissions"]
    # The same session, the next request: the new permissions.
    ok(server.request("GET", "/api/v1/orgs", token=bank))
    got = {g["id"] for g in server.list_all("/api/v1/grants", bank)}
    assert world["grant"] in got
    ok(server.request("PATCH", "/api/v1/roles/bank_reader", {"permissions": ["self"]}, token=adm))
    assert_error(server.request("GET", "/api/v1/grants", token=bank), 403, "forbidden")
    assert_error(server.request("PATCH", "/api/v1/roles/nobody", {"label": "x"}, token=adm),
                 404, "not_found")
    events = server.sql("SELECT action, entity_id FROM audit WHERE entity = 'role' ORDER BY seq")
    assert ("role.create", "bank_reader") in events and ("role.update", "bank_reader") in events


def test_cli_adds_and_lists_roles(server, world):
    p = server.cli("role", "add", "contract_officer", "--label", "合同监管人员", "--perms",
                   "self,ent.read,ent.region")
    assert "contract_officer" in p.stdout
    p = server.cli("role", "list")
    line = [x for x in p.stdout.splitlines() if x.startswith("contract_officer")][0]
    assert "合同监管人员" in line and "ent.read,ent.region" in line
    p = server.cli("role", "add", "bad_role", "--label", "坏", "--perms", "self,fly", check=False)
    assert p.returncode != 0 and "未知权限 fly" in p.stderr
    server.cli("user", "add", "contract1", "--role", "contract_officer", "--org", "340800-JRJ",
               input=PW + "\n")
    tok = server.login("contract1", PW)
    assert ok(server.request("GET", "/api/v1/me", token=tok))["role_label"] == "合同监管人员"
    ok(server.request("GET", "/api/v1/enterprises/%s" % ANQING, token=tok))


def test_upgrade_to_roles_keeps_users_sessions_and_links(backend, tmp_path):
    """Migration 0016 rebuilds SQLite's users table (a CHECK cannot be dropped): users, their
    sessions (ON DELETE CASCADE) and 包保 links survive, and the CHECK list is gone."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL drops the CHECK with ALTER TABLE")
    import sqlite3
    import subprocess
    from conftest import CLI_TIMEOUT, QIFU_BIN, qifu_env
    db = tmp_path / "up.db"
    run = lambda *a: subprocess.run([QIFU_BIN, *a, "--db", "sqlite:%s" % db], cwd=tmp_path,
                                    capture_output=True, text=True, timeout=CLI_TIMEOUT,
                                    env=qifu_env())
    assert run("demo").returncode == 0
    con = sqlite3.connect(db)
    con.execute("PRAGMA foreign_keys=OFF")
    # Back to schema version 15: what came after 0016 undone (its triggers first, since they
    # name the users table), the users table as 0001 made it, no roles table.
    for stmt in rewind_sql("sqlite", 16):
        con.execute(stmt)
    ddl = con.execute("SELECT sql FROM sqlite_master WHERE name = 'users'").fetchone()[0]
    old = ddl.replace("REFERENCES roles(name)", "CHECK (role IN ('enterprise','clerk',"
                      "'handler','supervisor','policy_officer','admin'))")
    # The demo's catalogue user has a role (catalog, migration 0022) no schema 15 knew.
    con.executescript("""
        %s;
        DELETE FROM users WHERE role = 'catalog';
        INSERT INTO users_old SELECT * FROM users;
        DROP TABLE users;
        ALTER TABLE users_old RENAME TO users;
        CREATE INDEX users_org ON users(org_id);
        DROP TABLE roles;
        DELETE FROM schema_migrations WHERE version >= 16;
        INSERT OR IGNORE INTO enterprise_officials (credit_code, user_id)
            SELECT '91340100131860916Y', id FROM users WHERE username = 'handler';
        INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at)
            SELECT 'h', id, 'c', 0, 1 FROM users WHERE username = 'clerk';
    """ % old.replace('"users"', "users_old").replace("TABLE users ", "TABLE users_old "))
    con.commit()
    before = [con.execute(q).fetchall() for q in (
        "SELECT id, username, role, org_id, credit_code FROM users ORDER BY id",
        "SELECT token_hash, user_id, csrf, created_at, expires_at FROM sessions", "SELECT * FROM enterprise_officials")]
    assert "CHECK (role IN" in con.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'users'").fetchone()[0]
    con.close()
    p = run("migrate")
    assert p.returncode == 0 and "0016_roles" in p.stderr + p.stdout, p.stderr
    con = sqlite3.connect(db)
    after = [con.execute(q).fetchall() for q in (
        "SELECT id, username, role, org_id, credit_code FROM users ORDER BY id",
        "SELECT token_hash, user_id, csrf, created_at, expires_at FROM sessions", "SELECT * FROM enterprise_officials")]
    assert after == before and len(before[1]) >= 1 and len(before[2]) >= 1
    ddl = con.execute("SELECT sql FROM sqlite_master WHERE name = 'users'").fetchone()[0]
    assert "REFERENCES roles(name)" in ddl and "CHECK" not in ddl
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    con.close()


def test_scope_all_without_policy_write_gets_no_policy_buttons(server, world):
    """policy's admin relation needs policy.write as well as scope.all: a read-only auditor
    role added as data reads every policy but is offered no action whose route it lacks."""
    adm = server.admin()
    ok(server.request("POST", "/api/v1/roles", {
        "name": "auditor_ro", "label": "只读审计人员", "permissions": ["scope.all"]},
        token=adm), 201)
    ok(server.request("POST", "/api/v1/users", {
        "username": "auditor1", "password": PW, "role": "auditor_ro", "org": "340800"},
        token=adm), 201)
    aud = server.login("auditor1", PW)
    got = ok(server.request("GET", "/api/v1/policies/%s/actions" % world["policy"], token=aud))
    assert got["items"] == [], got
    full = ok(server.request("GET", "/api/v1/policies/%s/actions" % world["policy"], token=adm))
    assert "withdraw" in [a["action"] for a in full["items"]], full
