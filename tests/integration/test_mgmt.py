# SPDX-License-Identifier: Apache-2.0
"""
Management (issue 17 item 8): an administrator edits a user's name, role and organisation
(PATCH /api/v1/users/{name}) and creates API keys (POST /api/v1/apikeys); publishing a
policy requires its validity window (有效期) and the editor can ask, before publishing, how
many enterprises of the registry the draft would reach (GET /api/v1/policies/{id}/reach).
"""
import pytest

from conftest import assert_error

DEMO_CODE = "91340100131860916Y"
W = 10000 * 100  # 万元 in fen


@pytest.fixture(scope="module")
def admin(server):
    return server.admin()


def new_user(server, admin, name, role="clerk", org="340800-QFZX", **kw):
    body = {"username": name, "password": "secret-pass-1", "role": role, "org": org}
    body.update(kw)
    st, _, u = server.request("POST", "/api/v1/users", body, token=admin)
    assert st == 201, u
    return u


def user_row(server, admin, name):
    users = server.list_all("/api/v1/users", admin)
    return next(u for u in users if u["username"] == name)


# ---- users -------------------------------------------------------------------------


def test_admin_edits_name_role_and_org(server, admin):
    new_user(server, admin, "mg_edit1")
    tok = server.login("mg_edit1", "secret-pass-1")
    st, _, me = server.request("GET", "/api/v1/me", token=tok)
    assert st == 200 and me["role"] == "clerk", me
    audits = server.audit_count()
    st, _, u = server.request("PATCH", "/api/v1/users/mg_edit1",
                              {"display_name": "刘芳", "role": "supervisor", "org": "340800-DCS"},
                              token=admin)
    assert st == 200, u
    assert (u["display_name"], u["role"], u["role_label"], u["org"], u["changed"]) == (
        "刘芳", "supervisor", "督查人员", "340800-DCS", True)
    assert user_row(server, admin, "mg_edit1")["org"] == "340800-DCS"
    assert server.audit_count() == audits + 1
    st, _, ev = server.request("GET", "/api/v1/audit?entity=user&id=" + u["id"], token=admin)
    assert st == 200 and ev["items"][0]["action"] == "user.update", ev
    # The user's very next request carries the new role and organisation.
    st, _, me = server.request("GET", "/api/v1/me", token=tok)
    assert st == 200 and me["role"] == "supervisor" and me["org"]["code"] == "340800-DCS", me
    # The same values again: nothing written.
    st, _, u = server.request("PATCH", "/api/v1/users/mg_edit1", {"display_name": "刘芳"},
                              token=admin)
    assert st == 200 and u["changed"] is False
    assert server.audit_count() == audits + 1


def test_switching_to_an_enterprise_role_binds_a_credit_code(server, admin):
    new_user(server, admin, "mg_edit2")
    assert_error(server.request("PATCH", "/api/v1/users/mg_edit2", {"role": "enterprise"},
                                token=admin), 400, "invalid", field="credit_code",
                 message="企业用户须绑定统一社会信用代码")
    st, _, u = server.request("PATCH", "/api/v1/users/mg_edit2",
                              {"role": "enterprise", "credit_code": DEMO_CODE}, token=admin)
    assert st == 200, u
    assert u["credit_code"] == DEMO_CODE and u["org"] is None, u
    # And back: an organisation is required again, the credit code is dropped.
    assert_error(server.request("PATCH", "/api/v1/users/mg_edit2", {"role": "handler"},
                                token=admin), 400, "invalid", field="org")
    st, _, u = server.request("PATCH", "/api/v1/users/mg_edit2",
                              {"role": "handler", "org": "340800-JXJ"}, token=admin)
    assert st == 200 and u["credit_code"] is None and u["org"] == "340800-JXJ", u


@pytest.mark.parametrize("body,field,message", [
    ({"role": "nope"}, "role", "未知角色"),
    ({"role": "system"}, "role", None),
    ({"org": "NOPE"}, "org", "机构 NOPE 不存在"),
    ({"credit_code": DEMO_CODE}, "credit_code", "只有企业用户可以绑定统一社会信用代码"),
    ({"display_name": ""}, "display_name", "姓名长度应为 1 到 32 个字符"),
    ({"nickname": "x"}, "nickname", None),
])
def test_user_edit_refusals_change_nothing(server, admin, body, field, message):
    name = "mg_bad_%d" % abs(hash(str(body)) % 100000)
    new_user(server, admin, name)
    before = user_row(server, admin, name), server.audit_count()
    assert_error(server.request("PATCH", "/api/v1/users/" + name, body, token=admin), 400,
                 "invalid", field=field, message=message)
    assert (user_row(server, admin, name), server.audit_count()) == before


def test_user_edit_refusals(server, admin):
    assert_error(server.request("PATCH", "/api/v1/users/nobody_here", {"display_name": "某"},
                                token=admin), 404, "not_found")
    assert_error(server.request("PATCH", "/api/v1/users/admin", {"role": "clerk"}, token=admin),
                 400, "invalid", field="role", message="不能修改自己的角色")
    assert_error(server.request("PATCH", "/api/v1/users/clerk", {"display_name": "某"},
                                token=server.login("supervisor")), 403, "forbidden")


def test_admin_creates_an_api_key(server, admin):
    st, _, k = server.request("POST", "/api/v1/apikeys", {"name": "管理页测试密钥",
                                                          "org": "340800-QFZX"}, token=admin)
    assert st == 201, k
    assert k["key"].startswith("qk_") and k["prefix"] == k["key"][:10], k
    st, _, keys = server.request("GET", "/api/v1/apikeys", token=admin)
    mine = [x for x in keys["items"] if x["name"] == "管理页测试密钥"]
    assert len(mine) == 1 and mine[0]["prefix"] == k["prefix"] and "key" not in mine[0]
    # The key works, and is refused once revoked.
    st, _, me = server.request("GET", "/open311/v2/services.json", headers={"X-Api-Key": k["key"]})
    assert st == 200, me
    assert_error(server.request("POST", "/api/v1/apikeys", {"name": "x", "org": "340800-QFZX"},
                                token=admin), 400, "invalid", field="name")
    assert_error(server.request("POST", "/api/v1/apikeys", {"name": "某密钥", "org": "NOPE"},
                                token=admin), 400, "invalid", field="org")
    assert_error(server.request("POST", "/api/v1/apikeys", {"name": "某密钥", "org": "340800"},
                                token=server.login("clerk")), 403, "forbidden")


# ---- policies: the validity window and the reach -----------------------------------


def policy_doc(conditions, **over):
    doc = {"title": "管理测试政策", "doc_no": "庆测〔2026〕1号", "summary": "测试",
           "delivery": "mian_shen", "region_scope": ["3408"],
           "valid_from": "2020-01-01", "valid_to": "2099-12-31",
           "rules": {"conditions": conditions, "amount": {"fixed": 1 * W}}}
    doc.update(over)
    return {k: v for k, v in doc.items() if v is not ...}


def create_policy(server, tok, doc):
    st, _, p = server.request("POST", "/api/v1/policies", doc, token=tok)
    assert st == 201, p
    return p


SMALL = {"fact": "scale", "op": "in", "value": ["small", "micro"], "label": "小微企业"}
NOBODY = {"fact": "rd_expense", "op": "ge", "value": 10 ** 14, "label": "研发费用达到一万亿元"}


@pytest.mark.parametrize("missing", ["valid_from", "valid_to"])
def test_publish_refused_without_validity_window(server, missing):
    off = server.login("officer")
    p = create_policy(server, off, policy_doc(SMALL, **{missing: ...}))
    path = "/api/v1/policies/%s" % p["id"]
    audits = server.audit_count()
    label = "起始" if missing == "valid_from" else "截止"
    for action in ("publish", "validate"):
        assert_error(server.request("POST", path + "/actions", {"action": action}, token=off),
                     400, "invalid", field=missing, message="发布前请填写有效期%s日期" % label)
    st, _, back = server.request("GET", path, token=off)
    assert st == 200 and back["state"] == "draft" and server.audit_count() == audits
    # A draft may be saved without it; with the window filled in it publishes.
    st, _, _ = server.request("PATCH", path, {missing: "2020-01-01" if missing == "valid_from"
                                              else "2099-12-31"}, token=off)
    assert st == 200
    st, _, pub = server.request("POST", path + "/actions", {"action": "publish"}, token=off)
    assert st == 200 and pub["state"] == "published", pub


def test_reach_counts_the_registry(server):
    off = server.login("officer")
    n = int(server.sql("SELECT COUNT(*) FROM enterprises")[0][0])
    some = create_policy(server, off, policy_doc(SMALL, title="管理测试政策：小微"))
    st, _, r = server.request("GET", "/api/v1/policies/%s/reach" % some["id"], token=off)
    assert st == 200, r
    assert r["enterprises"] == n and r["policy"]["version_state"] == "draft", r
    small_in_anqing = int(server.sql(
        "SELECT COUNT(*) FROM enterprises WHERE scale IN ('small', 'micro') AND "
        "region LIKE '3408%'")[0][0])
    assert small_in_anqing >= 1 and r["eligible"] == small_in_anqing, r
    none = create_policy(server, off, policy_doc(NOBODY, title="管理测试政策：无人"))
    st, _, r = server.request("GET", "/api/v1/policies/%s/reach" % none["id"], token=off)
    assert st == 200 and r["eligible"] == 0 and r["possibly"] == 0 and r["enterprises"] == n, r
    # The region scope counts: the same conditions for Hefei reach nobody in the registry's
    # Anqing enterprises.
    hefei = create_policy(server, off, policy_doc(SMALL, title="管理测试政策：合肥",
                                                  region_scope=["3401"]))
    st, _, r = server.request("GET", "/api/v1/policies/%s/reach" % hefei["id"], token=off)
    hefei_small = int(server.sql(
        "SELECT COUNT(*) FROM enterprises WHERE scale IN ('small', 'micro') AND "
        "region LIKE '3401%'")[0][0])
    assert st == 200 and r["eligible"] == hefei_small, r


def test_reach_refusals(server):
    off = server.login("officer")
    empty = create_policy(server, off, policy_doc(..., title="管理测试政策：无条件", rules=...))
    assert_error(server.request("GET", "/api/v1/policies/%s/reach" % empty["id"], token=off),
                 409, "bad_state")
    assert_error(server.request("GET", "/api/v1/policies/%s/reach" % empty["id"],
                                token=server.login("clerk")), 403, "forbidden")
    assert_error(server.request("GET", "/api/v1/policies/999999/reach", token=off), 404,
                 "not_found")


def test_a_yes_no_condition_cannot_be_saved_without_its_value(server):
    """The editor starts a bool condition unset; the server refuses one saved so."""
    off = server.login("officer")
    cond = {"fact": "dishonest_executee", "op": "eq", "label": "非失信被执行人"}
    st, _, e = server.request("POST", "/api/v1/policies", policy_doc(cond), token=off)
    assert st == 400 and e["error"]["field"].startswith("rules.conditions"), e
    st, _, e = server.request("POST", "/api/v1/policies", policy_doc(dict(cond, value=None)),
                              token=off)
    assert st == 400 and e["error"]["field"].startswith("rules.conditions"), e
