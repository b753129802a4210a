# SPDX-License-Identifier: Apache-2.0
"""Organisations, users, the `user add` command and the code tables."""
import pytest

from conftest import assert_error, credit_check_digit

GOOD_CREDIT_CODES = ["91340100131860916Y", "913401007865797540"]
DEMO_ORG_CODES = ["340800", "340800-DCS", "340800-FGW", "340800-JXJ", "340800-QFZX",
                  "340800-RSJ", "340800-SJJ", "340822", "340822-GHZ"]


def org(code, **kw):
    body = {"code": code, "name": "安庆市测试机构", "kind": "department", "region": "340800",
            "parent": "340800"}
    body.update(kw)
    return body


def user(name, role="clerk", **kw):
    body = {"username": name, "password": "secret-pass-1", "role": role, "org": "340800-QFZX"}
    body.update(kw)
    return body


def snapshot(server):
    return server.org_codes(), server.usernames(), server.audit_count()


# ---- organisations ----------------------------------------------------------------


def test_demo_orgs(server):
    assert set(DEMO_ORG_CODES) <= set(server.org_codes())
    st, _, o = server.request("GET", "/api/v1/orgs/340800-QFZX", token=server.login("clerk"))
    assert st == 200
    assert o["name"] == "安庆市企业服务中心" and o["kind"] == "center"
    assert o["kind_label"] == "企业服务中心" and o["parent"] == "340800"
    st, _, o = server.request("GET", "/api/v1/orgs/340800", token=server.admin())
    assert st == 200 and o["parent"] is None and o["kind_label"] == "市"
    assert_error(server.request("GET", "/api/v1/orgs/NOPE", token=server.admin()), 404,
                 "not_found", message="机构不存在")


def test_admin_creates_org(server):
    before = server.audit_count()
    body = org("340800-SWJ", name="安庆市商务局")
    st, headers, o = server.request("POST", "/api/v1/orgs", body, token=server.admin())
    assert st == 201, o
    assert o["code"] == "340800-SWJ" and o["name"] == "安庆市商务局"
    assert o["kind"] == "department" and o["kind_label"] == "部门"
    assert o["region"] == "340800" and o["parent"] == "340800"
    assert o["id"].isdigit()
    st, _, back = server.request("GET", "/api/v1/orgs/340800-SWJ", token=server.admin())
    assert st == 200 and back == o
    assert server.audit_count() == before + 1
    # a town under a county, with a 9-digit region code
    body = org("340822-SHZ", name="怀宁县石牌镇人民政府", kind="town", region="340822100",
               parent="340822")
    st, _, o = server.request("POST", "/api/v1/orgs", body, token=server.admin())
    assert st == 201, o
    assert o["parent"] == "340822" and o["region"] == "340822100"
    st, _, kids = server.request("GET", "/api/v1/orgs?parent=340822", token=server.admin())
    assert st == 200
    assert {k["code"] for k in kids["items"]} == {"340822-GHZ", "340822-SHZ"}


def test_duplicate_org_code(server):
    st, _, _ = server.request("POST", "/api/v1/orgs", org("340800-DUP"), token=server.admin())
    assert st == 201
    before = snapshot(server)
    r = server.request("POST", "/api/v1/orgs", org("340800-DUP", name="另一个名字"),
                       token=server.admin())
    assert_error(r, 409, "exists", field="code", message="机构代码 340800-DUP 已被使用")
    assert snapshot(server) == before
    st, _, o = server.request("GET", "/api/v1/orgs/340800-DUP", token=server.admin())
    assert o["name"] == "安庆市测试机构"


@pytest.mark.parametrize("region,message", [
    ("349999", "不是现行 GB/T 2260 代码"),
    ("340800x", "行政区划代码应为"),
    ("3408", "行政区划代码应为"),
    ("000000", "不是现行"),
])
def test_bad_region(server, region, message):
    before = snapshot(server)
    r = server.request("POST", "/api/v1/orgs", org("340800-BADREG", region=region),
                       token=server.admin())
    assert_error(r, 400, "invalid", field="region", message=message)
    assert snapshot(server) == before


def test_bad_parent(server):
    before = snapshot(server)
    r = server.request("POST", "/api/v1/orgs", org("340800-ORPHAN", parent="999999"),
                       token=server.admin())
    assert_error(r, 400, "invalid", field="parent", message="上级机构 999999 不存在")
    # a department must have a parent
    body = org("340800-NOPARENT")
    del body["parent"]
    assert_error(server.request("POST", "/api/v1/orgs", body, token=server.admin()), 400,
                 "invalid", field="parent")
    assert snapshot(server) == before


@pytest.mark.parametrize("field,value", [
    ("code", "有中文"), ("code", "a"), ("code", "x" * 33), ("name", "短"),
    ("kind", "ministry"), ("name", "长" * 65),
])
def test_bad_org_fields(server, field, value):
    before = snapshot(server)
    body = org("340800-BADF")
    body[field] = value
    r = server.request("POST", "/api/v1/orgs", body, token=server.admin())
    assert_error(r, 400, "invalid", field=field)
    assert snapshot(server) == before


@pytest.mark.parametrize("who", ["clerk", "supervisor", "enterprise"])
def test_non_admin_cannot_create_org(server, who):
    tok = server.login(who)
    before = snapshot(server)
    r = server.request("POST", "/api/v1/orgs", org("340800-NOTADMIN"), token=tok)
    assert_error(r, 403, "forbidden")
    assert snapshot(server) == before
    assert_error(server.request("GET", "/api/v1/orgs/340800-NOTADMIN", token=server.admin()),
                 404, "not_found")


def test_org_pagination(server):
    tok = server.admin()
    for i in range(5):
        st, _, _ = server.request("POST", "/api/v1/orgs", org("340800-PG%d" % i), token=tok)
        assert st == 201
    st, _, full = server.request("GET", "/api/v1/orgs?limit=500", token=tok)
    assert st == 200 and full["next_cursor"] is None
    everything = [o["code"] for o in full["items"]]
    assert everything == sorted(everything)
    seen, cursor, pages = [], None, 0
    for _ in range(100):
        url = "/api/v1/orgs?limit=2" + ("&cursor=" + cursor if cursor else "")
        st, _, page = server.request("GET", url, token=tok)
        assert st == 200, page
        assert len(page["items"]) <= 2
        pages += 1
        seen += [o["code"] for o in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
        assert isinstance(cursor, str) and cursor
    else:
        pytest.fail("pagination never ended")
    assert len(seen) == len(set(seen)), "duplicates across pages"
    assert seen == everything
    assert pages >= (len(everything) + 1) // 2
    # the default page has at most 50 items
    st, _, page = server.request("GET", "/api/v1/orgs", token=tok)
    assert st == 200 and len(page["items"]) == min(50, len(everything))


# ---- users ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["clerk", "handler", "supervisor", "policy_officer", "admin"])
def test_admin_creates_official(server, role):
    name = "ou_" + role
    admin = server.admin()  # a first login is itself audited: log in before counting
    before = server.audit_count()
    st, _, u = server.request("POST", "/api/v1/users",
                              user(name, role, display_name="测试" + role), token=admin)
    assert st == 201, u
    assert u["username"] == name and u["role"] == role and u["org"] == "340800-QFZX"
    assert u["display_name"] == "测试" + role and u["credit_code"] is None
    assert u["id"].isdigit() and u["role_label"]
    assert server.audit_count() == before + 1
    assert name in server.usernames()
    # the new account logs in with its password
    st, _, s = server.request("POST", "/api/v1/session", {"username": name, "password": "secret-pass-1"})
    assert st == 201 and s["user"]["role"] == role


@pytest.mark.parametrize("code", GOOD_CREDIT_CODES)
def test_admin_creates_enterprise_user(server, code):
    name = "ent_" + code[-6:]
    st, _, u = server.request("POST", "/api/v1/users",
                              {"username": name, "password": "secret-pass-1", "role": "enterprise",
                               "credit_code": code}, token=server.admin())
    assert st == 201, u
    assert u["role"] == "enterprise" and u["credit_code"] == code and u["org"] is None
    st, _, s = server.request("POST", "/api/v1/session", {"username": name, "password": "secret-pass-1"})
    assert st == 201 and s["user"]["credit_code"] == code


def test_credit_code_check_digit(server):
    good = "91340100131860916Y"
    assert credit_check_digit(good[:17]) == "Y"
    assert credit_check_digit("913401007865797540"[:17]) == "0"
    bad = good[:17] + "X"
    before = snapshot(server)
    r = server.request("POST", "/api/v1/users",
                       {"username": "ent_bad", "password": "secret-pass-1", "role": "enterprise",
                        "credit_code": bad}, token=server.admin())
    assert_error(r, 400, "invalid", field="credit_code", message="校验位错误，应为 Y")
    r = server.request("POST", "/api/v1/users",
                       {"username": "ent_bad", "password": "secret-pass-1", "role": "enterprise"},
                       token=server.admin())
    assert_error(r, 400, "invalid", field="credit_code", message="须绑定统一社会信用代码")
    r = server.request("POST", "/api/v1/users",
                       user("clerk_cc", credit_code=good), token=server.admin())
    assert_error(r, 400, "invalid", field="credit_code", message="只有企业用户")
    assert snapshot(server) == before


def test_user_refusals(server):
    tok = server.admin()
    st, _, _ = server.request("POST", "/api/v1/users", user("dup_user"), token=tok)
    assert st == 201
    before = snapshot(server)
    assert_error(server.request("POST", "/api/v1/users", user("dup_user", role="handler"),
                                token=tok), 409, "exists", field="username",
                 message="用户名 dup_user 已被使用")
    assert_error(server.request("POST", "/api/v1/users", user("bad_role", role="root"),
                                token=tok), 400, "invalid", field="role", message="角色应为")
    assert_error(server.request("POST", "/api/v1/users", user("sys_role", role="system"),
                                token=tok), 400, "invalid", field="role")
    assert_error(server.request("POST", "/api/v1/users", user("no_org", org="NOPE"),
                                token=tok), 400, "invalid", field="org", message="机构 NOPE 不存在")
    body = user("no_org2")
    del body["org"]
    assert_error(server.request("POST", "/api/v1/users", body, token=tok), 400, "invalid",
                 field="org", message="须指定所属机构")
    assert_error(server.request("POST", "/api/v1/users", user("ab"), token=tok), 400,
                 "invalid", field="username", message="3 到 32")
    assert_error(server.request("POST", "/api/v1/users", user("has space"), token=tok), 400,
                 "invalid", field="username")
    assert_error(server.request("POST", "/api/v1/users", user("short_pw", password="abc"),
                                token=tok), 400, "invalid", field="password")
    assert snapshot(server) == before


def test_user_list_pagination(server):
    names = server.usernames()
    assert len(names) == len(set(names))
    for n in ("admin", "clerk", "handler", "supervisor", "officer", "enterprise"):
        assert n in names
    walked = [u["username"] for u in server.list_all("/api/v1/users", server.admin(), limit=2)]
    assert walked == names


def test_cli_user_add(server):
    p = server.cli("user", "add", "cli_clerk", "--role", "clerk", "--org", "340800-QFZX",
                   "--display-name", "命令行受理员", input="pw-from-stdin\n")
    assert "已创建用户 cli_clerk" in p.stdout
    st, _, s = server.request("POST", "/api/v1/session",
                              {"username": "cli_clerk", "password": "pw-from-stdin"})
    assert st == 201, s
    assert s["user"]["role"] == "clerk" and s["user"]["display_name"] == "命令行受理员"
    assert s["user"]["org"]["code"] == "340800-QFZX"
    # the trailing newline is not part of the password
    assert_error(server.request("POST", "/api/v1/session",
                                {"username": "cli_clerk", "password": "pw-from-stdin\n"}),
                 401, "bad_login")
    # the same name again fails, and says why
    p = server.cli("user", "add", "cli_clerk", "--role", "clerk", "--org", "340800-QFZX",
                   input="x1234-long-enough\n", check=False)
    assert p.returncode == 1 and "已被使用" in p.stderr
    p = server.cli("user", "add", "cli_nopw", "--role", "clerk", "--org", "340800-QFZX",
                   input="", check=False)
    assert p.returncode == 2 and "密码" in p.stderr
    assert "cli_nopw" not in server.usernames()


# ---- code tables ----------------------------------------------------------------


@pytest.mark.parametrize("code", GOOD_CREDIT_CODES)
def test_credit_code_endpoint_good(server, code):
    st, _, data = server.request("GET", "/api/v1/codes/credit-codes/" + code)
    assert st == 200, data
    assert data["valid"] is True and data["credit_code"] == code
    assert data["region"] == "340100"
    assert "合肥市" in data["region_name"]


@pytest.mark.parametrize("code,message", [
    ("91340100131860916X", "校验位错误，应为 Y"),
    ("913401001318609", "应为 18 位，当前为 15 位"),
    ("91340100131860916y", "小写字母"),
    ("I1340100131860916Y", "不合法"),
    ("B1340100131860916Y", "登记管理部门代码 B 不存在"),
    ("91999999131860916Y", "行政区划代码 999999 不存在"),
])
def test_credit_code_endpoint_bad(server, code, message):
    r = server.request("GET", "/api/v1/codes/credit-codes/" + code)
    assert_error(r, 400, "invalid", field="credit_code", message=message)


def test_regions(server):
    st, _, data = server.request("GET", "/api/v1/codes/regions?parent=340000")
    assert st == 200
    items = data["items"]
    assert len(items) == 16
    by_code = {i["code"]: i for i in items}
    assert by_code["340800"]["name"] == "安庆市"
    assert by_code["340100"]["name"] == "合肥市"
    assert all(i["parent"] == "340000" for i in items)
    st, _, data = server.request("GET", "/api/v1/codes/regions")
    assert st == 200
    provinces = data["items"]
    assert len(provinces) == 34
    names = {p["code"]: p["name"] for p in provinces}
    assert names["340000"] == "安徽省" and names["110000"] == "北京市"
    assert "810000" in names and "710000" in names
    st, _, data = server.request("GET", "/api/v1/codes/regions?parent=340800")
    assert st == 200 and "340822" in {i["code"] for i in data["items"]}
    assert_error(server.request("GET", "/api/v1/codes/regions?parent=349999"), 404,
                 "not_found", field="parent", message="349999 不存在")


def test_industries(server):
    st, _, data = server.request("GET", "/api/v1/codes/industries?parent=C")
    assert st == 200
    by_code = {i["code"]: i["name"] for i in data["items"]}
    assert by_code.get("13") == "农副食品加工业"
    assert "C" not in by_code and len(by_code) >= 30
    st, _, data = server.request("GET", "/api/v1/codes/industries")
    assert st == 200
    sections = {i["code"]: i["name"] for i in data["items"]}
    assert len(sections) == 20 and sections["C"] == "制造业"
    assert_error(server.request("GET", "/api/v1/codes/industries?parent=ZZ"), 404, "not_found",
                 field="parent")
