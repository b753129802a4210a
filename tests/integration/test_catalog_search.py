# SPDX-License-Identifier: Apache-2.0
"""Issue 18 item 6 over HTTP: the public catalogue search, synonyms edited by holders of
catalog.write only (audited), and the log of queries that found nothing. The index rows are
written straight into catalog_search (as catalog_search_reindex writes them; its own logic is
tests/unit/test_catalog_search.c), so these tests do not depend on the catalogue loader."""
import json
import os
import urllib.parse

import pytest

from conftest import assert_error

PW = "Catalog-Search-Pass-1"


def ok(resp, status=200):
    st, _, d = resp
    assert st == status, d
    return d


def row(impl_id, basic, name, aliases, short, initials=""):
    return ("INSERT INTO catalog_search (impl_id, version_id, impl_code, basic_code, name, "
            "item_name, type, dept, agency_name, region, life_stages, online_depth, visits, "
            "promised_days, cross_mode, aliases, short_text, long_text, initials, updated_at) "
            "VALUES (%d, %d, '%s001-340800000000-000-X-1-01', '%s', '%s', '%s', 'xk', "
            "'市场监督管理局', '安庆市市场监督管理局', '340800', '[\"zhunru\"]', 4, 0, 1, NULL, "
            "'%s', '%s', '', '%s', 0)" % (impl_id, impl_id + 100, basic, basic, name, name,
                                          json.dumps(aliases, ensure_ascii=False), short,
                                          initials))


@pytest.fixture(scope="module")
def world(server):
    adm = server.admin()
    ok(server.request("POST", "/api/v1/roles", {
        "name": "syn_editor", "label": "同义词维护", "permissions": ["self", "catalog.write"]},
        token=adm), 201)
    ok(server.request("POST", "/api/v1/users", {
        "username": "syn1", "password": PW, "role": "syn_editor", "org": "340800-JRJ"},
        token=adm), 201)
    # Rows of their own (蓝鲸...: words the starting catalogue the demo loads does not use).
    server.write_sql(row(901, "QR00100A01", "蓝鲸企业设立登记", ["办蓝鲸照", "开蓝鲸公司"],
                         "蓝鲸企业设立登记 办蓝鲸照 开蓝鲸公司 安庆市市场监督管理局", "ljqysldj"))
    server.write_sql(row(902, "QT00200B02", "蓝鲸印章刻制备案", [],
                         "蓝鲸印章刻制备案 安庆市公安局", "ljyzkzba"))
    return {"editor": server.login("syn1", PW)}


def search(server, q, **kw):
    kw["q"] = q
    return ok(server.request("GET", "/api/v1/service-items/search?" + urllib.parse.urlencode(kw)))


def test_search_is_public_and_answers_list_rows(server, world):
    d = search(server, "办蓝鲸照")
    assert d["total"] == 1 and d["query"] == "办蓝鲸照" and d["bundles"] == []
    it = d["items"][0]
    assert it["id"] == 901 and it["matched"] == "alias"
    assert set(it) >= {"id", "impl_code", "name", "item_name", "type", "dept", "agency_name",
                       "region", "life_stages", "online_depth", "visits", "promised_days",
                       "cross_mode", "score", "matched"}
    assert it["life_stages"] == ["zhunru"] and it["promised_days"] == 1
    assert search(server, "ljqysl")["items"][0]["id"] == 901
    assert_error(server.request("GET", "/api/v1/service-items/search"), 400, "invalid",
                 field="q")
    assert_error(server.request("GET", "/api/v1/service-items/search?q=x&industry=99999"),
                 400, "invalid", field="industry")
    assert_error(server.request("GET", "/api/v1/service-items/search?q=x&limit=0"),
                 400, "invalid", field="limit")


def test_synonyms_need_catalog_write(server, world):
    body = {"term": "刻蓝鲸章", "targets": ["QT00200B02"]}
    assert_error(server.request("GET", "/api/v1/catalog/synonyms"), 401, "unauthorized")
    for user in ("enterprise", "clerk"):
        tok = server.login(user)
        assert_error(server.request("POST", "/api/v1/catalog/synonyms", body, token=tok),
                     403, "forbidden")
        assert_error(server.request("GET", "/api/v1/catalog/zero-results", token=tok),
                     403, "forbidden")
    assert server.sql("SELECT COUNT(*) FROM catalog_synonyms WHERE term = '刻蓝鲸章'") == [("0",)]


def test_synonym_crud_changes_what_search_finds(server, world):
    ed = world["editor"]
    assert search(server, "刻蓝鲸章")["total"] == 0
    s = ok(server.request("POST", "/api/v1/catalog/synonyms",
                          {"term": " 刻蓝鲸章！", "targets": ["QT00200B02"], "note": "俗称"},
                          token=ed), 201)
    assert s["term"] == "刻蓝鲸章" and s["targets"] == ["QT00200B02"]
    assert s["updated_by"] == "user:syn1"
    d = search(server, "刻蓝鲸章")
    assert [i["id"] for i in d["items"]] == [902] and d["items"][0]["matched"] == "synonym"
    assert_error(server.request("POST", "/api/v1/catalog/synonyms",
                                {"term": "刻蓝鲸章", "targets": ["QR00100A01"]}, token=ed),
                 409, "exists", field="term")
    assert_error(server.request("POST", "/api/v1/catalog/synonyms",
                                {"term": "刻公章", "targets": ["bad code"]}, token=ed),
                 400, "invalid", field="targets")
    assert_error(server.request("POST", "/api/v1/catalog/synonyms",
                                {"term": "刻公章", "targets": []}, token=ed),
                 400, "invalid", field="targets")
    s2 = ok(server.request("PUT", "/api/v1/catalog/synonyms/%d" % s["id"],
                           {"term": "刻蓝鲸章", "targets": ["QR00100A01"]}, token=ed))
    assert s2["targets"] == ["QR00100A01"]
    assert search(server, "刻蓝鲸章")["items"][0]["id"] == 901
    items = ok(server.request("GET", "/api/v1/catalog/synonyms", token=ed))["items"]
    assert "刻蓝鲸章" in [i["term"] for i in items]
    ok(server.request("DELETE", "/api/v1/catalog/synonyms/%d" % s["id"], token=ed))
    assert_error(server.request("GET", "/api/v1/catalog/synonyms/%d" % s["id"], token=ed),
                 404, "not_found")
    assert search(server, "刻蓝鲸章")["total"] == 0
    actions = [r[0] for r in server.sql(
        "SELECT action FROM audit WHERE entity = 'catalog_synonym' ORDER BY seq")]
    assert actions == ["catalog_synonym.create", "catalog_synonym.update",
                       "catalog_synonym.delete"]


def test_zero_result_queries_are_listed(server, world):
    for q in ("火星移民", "  火星移民？", "ＸＹＺ火星"):
        assert search(server, q)["total"] == 0
    search(server, "办蓝鲸照")  # found: not logged
    got = {m["query"]: m for m in ok(server.request(
        "GET", "/api/v1/catalog/zero-results", token=world["editor"]))["items"]}
    assert got["火星移民"]["count"] == 2
    assert got["xyz火星"]["count"] == 1
    assert "办蓝鲸照" not in got
    assert set(got["火星移民"]) == {"query", "count", "first_seen", "last_seen"}


def test_the_catalogue_keeps_the_index(make_server):
    """End to end on the catalogue itself: `qifu catalog load` publishes and indexes, seeds
    DIR/synonyms.json; views of a guide rank it up; withdrawing takes it out of the search;
    `qifu catalog reindex` rebuilds the same rows. (Names of their own, 蓝鲸...: the demo has
    loaded the starting catalogue too.)"""
    from catalog_fixtures import item, write_dir
    s = make_server(env={"QIFU_CATALOG_USAGE_BATCH": "1"})
    d = os.path.join(s.tmp, "cat")
    food = item(basic_code="XK0010100Y", name="蓝鲸食品许可")
    food["aliases"] = ["开蓝鲸店"]
    hiring = item(basic_code="GG0030300B", name="蓝鲸员工登记", dept="人力资源和社会保障局",
                  type_="gg", life_stages=("zhaopin",))
    hiring["aliases"] = ["蓝鲸用工"]
    write_dir(d, [food, hiring])
    with open(os.path.join(d, "synonyms.json"), "w", encoding="utf-8") as f:
        json.dump({"synonyms": [{"term": "招蓝鲸工", "targets": ["GG0030300B"]}]}, f,
                  ensure_ascii=False)
    out = s.cli("catalog", "load", d).stdout
    assert "新增同义词 1" in out, out
    found = search(s, "开蓝鲸店")["items"]
    assert [(i["name"], i["matched"]) for i in found] == [("蓝鲸食品许可（新办）", "alias")]
    fid = found[0]["id"]
    hire = search(s, "招蓝鲸工")["items"]
    assert [(i["name"], i["matched"]) for i in hire] == [("蓝鲸员工登记（新办）", "synonym")]
    hid = hire[0]["id"]
    # A material of the fixture's guide (both have it), and pinyin initials.
    ids = {i["id"]: i["matched"] for i in search(s, "总部授权书", limit=50)["items"]}
    assert ids.get(fid) == "text" and ids.get(hid) == "text"
    assert search(s, "ljygdj")["items"][0]["id"] == hid
    # Both names hold 蓝鲸: the lower id first, until the other is viewed more.
    both = search(s, "蓝鲸")["items"]
    assert [i["id"] for i in both] == sorted([fid, hid])
    later = max(fid, hid)
    for _ in range(2):
        ok(s.request("GET", "/api/v1/service-items/%d" % later))
    both = search(s, "蓝鲸")["items"]
    assert both[0]["id"] == later and both[0]["uses"] == 2
    # `qifu catalog reindex` rebuilds the same index from the catalogue tables.
    cols = "SELECT impl_id, short_text, long_text, initials FROM catalog_search ORDER BY impl_id"
    before = s.sql(cols)
    s.write_sql("DELETE FROM catalog_search WHERE impl_id = %d" % fid)
    assert search(s, "开蓝鲸店")["total"] == 0
    n = s.sql("SELECT COUNT(*) FROM catalog_impls WHERE published_version_id IS NOT NULL")[0][0]
    assert "%s items" % n in s.cli("catalog", "reindex").stdout
    assert s.sql(cols) == before
    assert search(s, "开蓝鲸店")["items"][0]["id"] == fid
    # Loading again adds no synonym; withdrawing takes the item out of the search.
    assert "新增同义词 0" in s.cli("catalog", "load", d).stdout
    ok(s.request("POST", "/api/v1/service-items/%d/versions/1/actions" % fid,
                 {"action": "withdraw", "note": "事项取消"}, token=s.login("catalog")))
    assert search(s, "开蓝鲸店")["total"] == 0


def test_an_enterprise_sees_items_of_its_industry_first(server, world):
    """Without ?industry= a signed-in enterprise's own industry boosts the items whose guides
    name it; ?industry= does the same for anyone."""
    tok = server.login("enterprise")
    ind = server.sql("SELECT e.industry FROM enterprises e JOIN users u ON u.credit_code = "
                     "e.credit_code WHERE u.username = 'enterprise'")[0][0]
    assert ind
    server.write_sql(row(903, "XK00300C03", "蓝鲸演出许可（场所）", [], "蓝鲸演出许可（场所） 某局", ""))
    server.write_sql(row(904, "XK00400D04", "蓝鲸演出许可（经纪）", [], "蓝鲸演出许可（经纪） 某局", ""))
    server.write_sql("INSERT INTO catalog_search_industry (impl_id, code) VALUES (904, '%s')"
                     % ind[:2])
    anon = [i["id"] for i in search(server, "蓝鲸演出")["items"]]
    assert anon == [903, 904]
    st, _, d = server.request("GET", "/api/v1/service-items/search?" + urllib.parse.urlencode(
        {"q": "蓝鲸演出"}), token=tok)
    assert st == 200 and [i["id"] for i in d["items"]] == [904, 903]
    assert d["items"][0]["score"] == 500 + 120 and d["items"][0]["matched"] == "name"
    assert [i["id"] for i in search(server, "蓝鲸演出", industry=ind)["items"]] == [904, 903]


@pytest.mark.parametrize("q,name,how", [
    ("办执照", "企业设立登记", "synonym"), ("开公司", "企业设立登记", "synonym"),
    ("刻章", "印章刻制", "synonym"), ("开饭店", "食品经营许可", "synonym"),
    ("营业执照办里", "企业设立登记", "typo")])
def test_common_names_on_the_starting_catalogue(server, q, name, how):
    """The demo loads data/catalog with its synonyms.json: what people type finds the item."""
    d = search(server, q)
    assert d["items"], d
    top = d["items"][0]
    assert top["item_name"] == name and top["matched"] == how, top
