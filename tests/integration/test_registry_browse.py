# SPDX-License-Identifier: Apache-2.0
"""
Browsing the enterprise registry (一企一档, issue 17 item 8): what each government role
finds in the list and may open, by its organisation's region (src/access, ACCESS_SQL_ENT),
the search by name or by (a prefix of) the credit code, the region and industry filters,
and the record's parts the enterprise page shows (facts with source and date, 包保
officials, the demands filtered by enterprise).

Three enterprises are registered by the admin: one in 怀宁县 (340822), one in 宜秀区
(340811) and one in Hefei (340104). A clerk of the 怀宁县 government and a handler of a
town of it are the county users.
"""
import pytest

from conftest import assert_error
from test_enterprises import CodePool, ent

DEMO_CODE = "91340100131860916Y"  # registered by `qifu demo` in 340811, 包保 handler


@pytest.fixture(scope="module")
def world(server):
    pool = CodePool(server, n=20, seed=1717)
    admin = server.admin()
    codes = {"huaining": pool.next(), "yixiu": pool.next(), "hefei": pool.next()}
    bodies = {
        "huaining": ent(codes["huaining"], name="怀宁浏览测试纺织有限公司", region="340822",
                        industry="1711", contacts=...),
        "yixiu": ent(codes["yixiu"], name="宜秀浏览测试机械有限公司", region="340811",
                     industry="3491", contacts=...),
        "hefei": ent(codes["hefei"], name="合肥浏览测试软件有限公司", region="340104",
                     industry="6513", contacts=..., tags=[]),
    }
    for k, body in bodies.items():
        st, _, e = server.request("POST", "/api/v1/enterprises", body, token=admin)
        assert st == 201, (k, e)
    for name, role, org in (("hn_clerk", "clerk", "340822"),
                            ("hn_handler", "handler", "340822-GHZ")):
        st, _, u = server.request("POST", "/api/v1/users",
                                  {"username": name, "password": "secret-pass-1", "role": role,
                                   "org": org}, token=admin)
        assert st == 201, u
    tok = {u: server.login(u) for u in ("admin", "clerk", "handler", "supervisor", "officer",
                                         "enterprise")}
    tok["hn_clerk"] = server.login("hn_clerk", "secret-pass-1")
    tok["hn_handler"] = server.login("hn_handler", "secret-pass-1")
    return {"codes": codes, "tok": tok}


def listed(server, tok, **query):
    return {e["credit_code"]: e for e in server.list_all(
        "/api/v1/enterprises?" + "&".join("%s=%s" % kv for kv in query.items())
        if query else "/api/v1/enterprises", tok)}


@pytest.mark.parametrize("who", ["hn_clerk", "hn_handler"])
def test_county_user_sees_only_the_county(server, world, who):
    codes, tok = world["codes"], world["tok"][who]
    got = listed(server, tok)
    assert codes["huaining"] in got
    assert codes["yixiu"] not in got and codes["hefei"] not in got and DEMO_CODE not in got
    assert all(e["region"].startswith("340822") for e in got.values()), got
    st, _, e = server.request("GET", "/api/v1/enterprises/" + codes["huaining"], token=tok)
    assert st == 200 and e["region_name"].endswith("怀宁县"), e
    for other in (codes["yixiu"], codes["hefei"], DEMO_CODE):
        assert_error(server.request("GET", "/api/v1/enterprises/" + other, token=tok), 404,
                     "not_found")
        assert_error(server.request("GET", "/api/v1/enterprises/%s/facts" % other, token=tok),
                     404, "not_found")


@pytest.mark.parametrize("who", ["clerk", "handler", "supervisor", "officer"])
def test_city_roles_see_the_city(server, world, who):
    codes, tok = world["codes"], world["tok"][who]
    got = listed(server, tok)
    assert {codes["huaining"], codes["yixiu"], DEMO_CODE} <= set(got)
    assert codes["hefei"] not in got
    assert all(e["region"].startswith("3408") for e in got.values())
    assert_error(server.request("GET", "/api/v1/enterprises/" + codes["hefei"], token=tok), 404,
                 "not_found")
    # Lists carry no personal data at all.
    assert all("contacts" not in e for e in got.values())


def test_enterprise_and_admin(server, world):
    codes, tok = world["codes"], world["tok"]
    assert set(listed(server, tok["enterprise"])) == {DEMO_CODE}
    assert {codes["huaining"], codes["yixiu"], codes["hefei"], DEMO_CODE} <= set(
        listed(server, tok["admin"]))


def test_search_by_name_or_credit_code(server, world):
    codes, tok = world["codes"], world["tok"]["clerk"]
    assert set(listed(server, tok, q="%E6%80%80%E5%AE%81%E6%B5%8F%E8%A7%88")) == {
        codes["huaining"]}  # 怀宁浏览
    assert set(listed(server, tok, q=codes["yixiu"])) == {codes["yixiu"]}
    # A prefix, typed in lower case, finds the codes that start with it.
    prefix = codes["yixiu"][:12]
    got = listed(server, tok, q=prefix.lower())
    assert codes["yixiu"] in got and all(c.startswith(prefix) for c in got), got
    # The county user's search never reaches past the county.
    assert listed(server, world["tok"]["hn_clerk"], q=codes["yixiu"]) == {}
    assert listed(server, world["tok"]["hn_clerk"], q=codes["huaining"]).keys() == {
        codes["huaining"]}


def test_region_and_industry_filters(server, world):
    codes, tok = world["codes"], world["tok"]["supervisor"]
    got = listed(server, tok, region="340822")
    assert codes["huaining"] in got and all(e["region"].startswith("340822")
                                            for e in got.values())
    got = listed(server, tok, industry="C17")
    assert codes["huaining"] in got and codes["yixiu"] not in got
    assert all(e["industry"].startswith("17") for e in got.values())
    # A filter outside the scope finds nothing rather than leaking.
    assert listed(server, tok, region="3401") == {}
    assert_error(server.request("GET", "/api/v1/enterprises?region=34x", token=tok), 400,
                 "invalid", field="region")


def test_the_enterprise_page_parts(server, world):
    """What 一企一档 shows: facts with source and date, its 包保 officials, its demands."""
    tok = world["tok"]["handler"]
    st, _, e = server.request("GET", "/api/v1/enterprises/" + DEMO_CODE, token=tok)
    assert st == 200 and e["officials"] == ["handler"], e
    st, _, f = server.request("PUT", "/api/v1/enterprises/%s/facts" % DEMO_CODE,
                              {"facts": [{"fact": "employees", "value": 88,
                                          "as_of": "2025-12-31", "status": "self_declared"}]},
                              token=tok)
    assert st == 200, f
    st, _, f = server.request("GET", "/api/v1/enterprises/%s/facts" % DEMO_CODE, token=tok)
    assert st == 200, f
    emp = [x for x in f["items"] if x["fact"] == "employees"]
    assert emp and emp[0]["value"] == 88 and emp[0]["as_of"] == "2025-12-31", emp
    assert emp[0]["source"] and emp[0]["status"] == "self_declared", emp
    # Demands filtered by the enterprise: only its own, as far as the caller may see them.
    clerk = world["tok"]["clerk"]
    st, _, d = server.request("POST", "/api/v1/demands",
                              {"title": "浏览测试诉求：用电报装", "content": "新厂房需要报装用电。",
                               "credit_code": DEMO_CODE, "category": "utilities",
                               "channel": "window", "contact_name": "王五",
                               "contact_phone": "13800001111"}, token=clerk)
    assert st == 201, d
    st, _, page = server.request("GET", "/api/v1/demands?credit_code=" + DEMO_CODE, token=clerk)
    assert st == 200 and page["items"], page
    assert all(x["credit_code"] == DEMO_CODE for x in page["items"])
    assert d["id"] in [x["id"] for x in page["items"]]
