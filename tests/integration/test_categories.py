# SPDX-License-Identifier: Apache-2.0
"""Demand categories over HTTP: the public tree with limits, administrators' creation and
changes (audited; refused changes change nothing), and the dispatch catalogue."""
import urllib.parse

import pytest

from conftest import assert_error

NON_ADMINS = ["clerk", "handler", "supervisor", "officer", "enterprise"]
KINDS = ["consult", "help", "complaint", "report", "suggestion", "praise"]
TOPICS = ["financing", "employment", "land", "policy", "approval", "utilities", "logistics",
          "ip", "other"]


def tree(server, all_=False):
    st, _, page = server.request("GET", "/api/v1/categories" + ("?all=1" if all_ else ""))
    assert st == 200, page
    assert page["next_cursor"] is None
    return page["items"]


def flat(items):
    for i in items:
        yield i
        yield from flat(i["children"])


def state(server):
    return (server.audit_count(), server.sql("SELECT COUNT(*) FROM categories")[0][0],
            server.sql("SELECT COUNT(*) FROM category_routes")[0][0],
            server.sql("SELECT MAX(updated_at) FROM categories")[0][0])


def supervisor(server):
    """A cached supervisor token (each login is an audit event of its own)."""
    if not getattr(server, "_supervisor", None):
        server._supervisor = server.login("supervisor")
    return server._supervisor


def audit_events(server, code):
    st, _, page = server.request("GET", "/api/v1/audit?" + urllib.parse.urlencode(
        {"entity": "category", "id": code}), token=supervisor(server))
    assert st == 200, page
    return page["items"]


# ---- reads ------------------------------------------------------------------------


def test_public_tree(server):
    items = tree(server)
    assert [i["code"] for i in items] == KINDS
    assert [i["name"] for i in items] == ["咨询", "求助", "投诉", "举报", "建议", "表扬"]
    help_ = items[1]
    assert [c["code"] for c in help_["children"]] == TOPICS
    fin = help_["children"][0]
    assert fin["name"] == "融资" and fin["kind"] == "topic" and fin["kind_label"] == "业务主题"
    assert fin["parent"] == "help" and fin["active"] is True
    assert fin["limits"] == {
        "normal": {"sign_hours": 4, "reply_days": 5, "rectify_days": 5},
        "urgent": {"sign_hours": 2, "reply_days": 3, "rectify_days": 3},
        "critical": {"sign_hours": 1, "reply_days": 1, "rectify_days": 2},
    }
    assert [c["name"] for c in items[2]["children"]] == ["执法"]
    assert items[0]["limits"]["normal"]["reply_days"] == 3  # 咨询 answers sooner
    # every level of every category: critical <= urgent <= normal
    for c in flat(items):
        lim = c["limits"]
        for k in ("sign_hours", "reply_days", "rectify_days"):
            assert lim["critical"][k] <= lim["urgent"][k] <= lim["normal"][k], c["code"]


def test_get_one(server):
    st, _, c = server.request("GET", "/api/v1/categories/utilities")
    assert st == 200
    assert c["name"] == "水电气网" and c["parent"] == "help"
    assert c["limits"]["normal"]["sign_hours"] == 2
    assert c["updated_by"] == "migration" and c["updated_at"].endswith("+08:00")
    assert_error(server.request("GET", "/api/v1/categories/nope"), 404, "not_found",
                 message="诉求类别 nope 不存在")
    assert_error(server.request("GET", "/api/v1/categories?all=yes"), 400, "invalid",
                 field="all")


# ---- administrators' changes ----------------------------------------------------------


def test_create_inherits_and_is_audited(server):
    server.admin(), supervisor(server)  # logging in is audited too
    before = server.audit_count()
    body = {"code": "export", "name": "外贸出口", "parent": "help", "sort": 200,
            "limits": {"urgent": {"reply_days": 2}}}
    st, _, c = server.request("POST", "/api/v1/categories", body, token=server.admin())
    assert st == 201, c
    assert c["code"] == "export" and c["kind"] == "topic" and c["parent"] == "help"
    assert c["limits"]["normal"] == {"sign_hours": 4, "reply_days": 5, "rectify_days": 5}
    assert c["limits"]["urgent"] == {"sign_hours": 2, "reply_days": 2, "rectify_days": 3}
    assert c["updated_by"] == "user:admin"
    assert server.audit_count() == before + 1
    ev = audit_events(server, "export")
    assert ev[0]["action"] == "category.create" and ev[0]["before"] is None
    assert ev[0]["after"]["limits"]["urgent"]["reply_days"] == 2
    assert [x["code"] for x in tree(server)[1]["children"]][-1] == "export"
    # a top-level category needs all nine limits and a kind
    full = {u: {"sign_hours": 8, "reply_days": 10, "rectify_days": 10}
            for u in ("normal", "urgent", "critical")}
    st, _, c = server.request("POST", "/api/v1/categories",
                              {"code": "petition", "name": "信访", "kind": "complaint",
                               "limits": full}, token=server.admin())
    assert st == 201 and c["parent"] is None and c["kind_label"] == "投诉"


LIMITS = {"normal": {"sign_hours": 4, "reply_days": 5, "rectify_days": 5},
          "urgent": {"sign_hours": 2, "reply_days": 3, "rectify_days": 3},
          "critical": {"sign_hours": 1, "reply_days": 1, "rectify_days": 2}}


@pytest.mark.parametrize("body,status,code,field", [
    ({"code": "financing", "name": "融资二", "parent": "help"}, 409, "exists", "code"),
    ({"code": "Bad-Code", "name": "坏代码", "parent": "help"}, 400, "invalid", "code"),
    ({"code": "x", "name": "太短", "parent": "help"}, 400, "invalid", "code"),
    ({"code": "nameless", "parent": "help"}, 400, "invalid", "name"),
    ({"code": "short", "name": "短", "parent": "help"}, 400, "invalid", "name"),
    ({"code": "orphan", "name": "孤儿", "parent": "nope"}, 400, "invalid", "parent"),
    ({"code": "odd", "name": "奇怪", "parent": "help", "kind": "gossip"}, 400, "invalid", "kind"),
    ({"code": "top", "name": "顶级"}, 400, "invalid", "limits"),
    ({"code": "inverted", "name": "倒挂", "parent": "help",
      "limits": {"critical": {"reply_days": 4}}}, 400, "invalid", "limits.critical.reply_days"),
    ({"code": "zero", "name": "零时限", "parent": "help",
      "limits": {"normal": {"sign_hours": 0}}}, 400, "invalid", "limits.normal.sign_hours"),
    ({"code": "huge", "name": "太长", "parent": "help",
      "limits": {"normal": {"reply_days": 366}}}, 400, "invalid", "limits.normal.reply_days"),
    ({"code": "typo", "name": "拼错", "parent": "help",
      "limits": {"normal": {"reply_day": 3}}}, 400, "invalid", "limits.normal.reply_day"),
    ({"code": "typo2", "name": "拼错", "parent": "help", "limit": LIMITS}, 400, "invalid",
     "limit"),
])
def test_refused_creations_change_nothing(server, body, status, code, field):
    before = state(server)
    assert_error(server.request("POST", "/api/v1/categories", body, token=server.admin()),
                 status, code, field=field)
    assert state(server) == before


def test_patch(server):
    tok = server.admin()
    supervisor(server)
    st, _, _ = server.request("POST", "/api/v1/categories",
                              {"code": "tax", "name": "税费", "parent": "help"}, token=tok)
    assert st == 201
    before = server.audit_count()
    st, _, c = server.request("PATCH", "/api/v1/categories/tax",
                              {"name": "税费减免", "limits": {"normal": {"reply_days": 7},
                                                          "urgent": {"sign_hours": 1}}},
                              token=tok)
    assert st == 200, c
    assert c["changed"] is True and c["name"] == "税费减免"
    assert c["limits"]["normal"]["reply_days"] == 7 and c["limits"]["urgent"]["sign_hours"] == 1
    assert server.audit_count() == before + 1
    ev = audit_events(server, "tax")[0]
    assert ev["action"] == "category.update"
    assert ev["before"]["name"] == "税费" and ev["after"]["name"] == "税费减免"
    # the same again: nothing written
    st, _, c = server.request("PATCH", "/api/v1/categories/tax", {"name": "税费减免"}, token=tok)
    assert st == 200 and c["changed"] is False
    assert server.audit_count() == before + 1
    # refusals
    snap = state(server)
    assert_error(server.request("PATCH", "/api/v1/categories/help", {"parent": "tax"},
                                token=tok), 400, "invalid", field="parent")
    assert_error(server.request("PATCH", "/api/v1/categories/tax",
                                {"limits": {"urgent": {"reply_days": 9}}}, token=tok),
                 400, "invalid", field="limits.urgent.reply_days", message="不能长于")
    assert_error(server.request("PATCH", "/api/v1/categories/tax", {"code": "tax2"}, token=tok),
                 400, "invalid", field="code")
    assert_error(server.request("PATCH", "/api/v1/categories/nope", {"name": "不存在的"},
                                token=tok), 404, "not_found")
    assert state(server) == snap
    # moving to the top, and switching off: gone from the public tree and from intake
    st, _, c = server.request("PATCH", "/api/v1/categories/tax",
                              {"parent": None, "kind": "help", "active": False}, token=tok)
    assert st == 200 and c["parent"] is None and c["active"] is False
    assert "tax" not in [x["code"] for x in flat(tree(server))]
    assert "tax" in [x["code"] for x in tree(server, all_=True)]
    assert_error(server.request("GET", "/api/v1/calendar/deadline?category=tax"), 404,
                 "not_found", field="category", message="停用")


@pytest.mark.parametrize("who", NON_ADMINS + [None])
def test_only_admins_change_categories(server, who):
    tok = server.login(who) if who else None
    status, code = (403, "forbidden") if who else (401, "unauthorized")
    before = state(server)
    assert_error(server.request("POST", "/api/v1/categories",
                                {"code": "sneaky", "name": "偷偷", "parent": "help"}, token=tok),
                 status, code)
    assert_error(server.request("PATCH", "/api/v1/categories/help", {"name": "改名了"},
                                token=tok), status, code)
    assert_error(server.request("GET", "/api/v1/categories/help/routes", token=tok), status,
                 code)
    assert_error(server.request("PUT", "/api/v1/categories/help/routes", {"routes": []},
                                token=tok), status, code)
    assert state(server) == before
    assert server.request("GET", "/api/v1/categories", token=tok)[0] == 200


# ---- the dispatch catalogue -------------------------------------------------------------


def test_demo_routes(server):
    st, _, r = server.request("GET", "/api/v1/categories/help/routes", token=server.admin())
    assert st == 200, r
    assert r["category"] == "help"
    assert [(x["region_prefix"], x["lead"]["code"]) for x in r["routes"]] == \
        [("340822", "340822"), ("3408", "340800-QFZX")]
    assert r["routes"][1]["lead"]["name"] == "安庆市企业服务中心"
    st, _, r = server.request("GET", "/api/v1/categories/financing/routes", token=server.admin())
    assert r["routes"] == [{"region_prefix": "3408",
                            "lead": {"code": "340800-FGW", "name": "安庆市发展和改革委员会"},
                            "co": [{"code": "340800-JXJ", "name": "安庆市经济和信息化局"}]}]
    st, _, r = server.request("GET", "/api/v1/categories/land/routes", token=server.admin())
    assert st == 200 and r["routes"] == []
    assert_error(server.request("GET", "/api/v1/categories/nope/routes", token=server.admin()),
                 404, "not_found")


def test_put_routes(server):
    tok = server.admin()
    supervisor(server)
    before = server.audit_count()
    body = {"routes": [
        {"region_prefix": "3408", "lead": "340800-JXJ", "co": ["340800-RSJ", "340800-FGW"]},
        {"region_prefix": "340822", "lead": "340822-GHZ"},
        {"region_prefix": "", "lead": "340800-QFZX", "co": []},
    ]}
    st, _, r = server.request("PUT", "/api/v1/categories/logistics/routes", body, token=tok)
    assert st == 200, r
    assert r["changed"] is True
    assert [(x["region_prefix"], x["lead"]["code"], [c["code"] for c in x["co"]])
            for x in r["routes"]] == [("340822", "340822-GHZ", []),
                                      ("3408", "340800-JXJ", ["340800-FGW", "340800-RSJ"]),
                                      ("", "340800-QFZX", [])]
    assert server.audit_count() == before + 1
    ev = audit_events(server, "logistics")[0]
    assert ev["action"] == "category.routes.set"
    assert ev["before"] == {"routes": []} and len(ev["after"]["routes"]) == 3
    # the same again: nothing written
    st, _, r = server.request("PUT", "/api/v1/categories/logistics/routes", body, token=tok)
    assert st == 200 and r["changed"] is False
    assert server.audit_count() == before + 1
    # PUT replaces
    st, _, r = server.request("PUT", "/api/v1/categories/logistics/routes",
                              {"routes": [{"region_prefix": "3408", "lead": "340800-FGW"}]},
                              token=tok)
    assert st == 200 and len(r["routes"]) == 1 and r["routes"][0]["lead"]["code"] == "340800-FGW"
    st, _, r = server.request("PUT", "/api/v1/categories/logistics/routes", {"routes": []},
                              token=tok)
    assert st == 200 and r["routes"] == []


@pytest.mark.parametrize("routes,field", [
    ([{"region_prefix": "3408", "lead": "340800-NOPE"}], "routes[0].lead"),
    ([{"region_prefix": "3408"}], "routes[0].lead"),
    ([{"region_prefix": "3408", "lead": "340800-FGW", "co": ["340800-FGW"]}], "routes[0].co[0]"),
    ([{"region_prefix": "3408", "lead": "340800-FGW", "co": ["340800-JXJ", "340800-JXJ"]}],
     "routes[0].co[1]"),
    ([{"region_prefix": "3408", "lead": "340800-FGW", "co": ["340800-JXJ", "NOPE"]}],
     "routes[0].co[1]"),
    ([{"region_prefix": "3408", "lead": "340800-FGW", "co": [1]}], "routes[0].co[0]"),
    ([{"region_prefix": "34a8", "lead": "340800-FGW"}], "routes[0].region_prefix"),
    ([{"region_prefix": "3" * 13, "lead": "340800-FGW"}], "routes[0].region_prefix"),
    ([{"region_prefix": "3408", "lead": "340800-FGW"},
      {"region_prefix": "3408", "lead": "340800-JXJ"}], "routes[1].region_prefix"),
    ([{"region_prefix": "3408", "lead": "340800-FGW", "via": "x"}], "routes[0].via"),
    ("3408", "routes"),
])
def test_refused_routes_change_nothing(server, routes, field):
    before = state(server)
    st, _, old = server.request("GET", "/api/v1/categories/help/routes", token=server.admin())
    assert_error(server.request("PUT", "/api/v1/categories/help/routes", {"routes": routes},
                                token=server.admin()), 400, "invalid", field=field)
    assert state(server) == before
    st, _, now = server.request("GET", "/api/v1/categories/help/routes", token=server.admin())
    assert now == old
