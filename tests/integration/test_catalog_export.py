"""Issue 18 items 3, 4 and 7: 一件事 bundles merged from their members' published guides,
the 跨省通办 report, and the open-data exports (CPSV-AP 3.2.0 JSON-LD, schema.org).

The hand-worked bundle of tests/cases/catalog/bundle3.json (企业设立登记 → 印章刻制, 发票申领;
12 materials) is loaded with `qifu catalog load` as ITEM and BUNDLE files; the expected merge
was worked out by hand (docs/internals/catalog.md "一件事 bundles"), the same figures the unit
test test_catalog_export checks on the pure function. The SHACL validation of every item
runs under node (tests/web/cpsv_ap.test.mjs); here the JSON-LD's shape is checked."""
import copy
import json
import os
import tempfile
import urllib.parse

import pytest

from conftest import assert_error
from test_xlsx import Book

HERE = os.path.dirname(os.path.abspath(__file__))
CASE = os.path.join(HERE, "..", "cases", "catalog", "bundle3.json")
BUNDLE = "YJS-TEST3"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

with open(CASE, encoding="utf-8") as f:
    FIXTURE = json.load(f)

# The 跨省通办 declarations added to two members (the third stays local).
CROSS = {
    "QR00101001": {"scope": ["长三角", "G60"], "regions": ["310000", "320000", "330000", "340000"],
                   "mode": "online", "kind": "handle",
                   "windows": [{"region": "310117", "name": "松江区行政服务中心G60通办窗口"}],
                   "partner_items": []},
    "GG00201001": {"scope": ["长三角"], "regions": ["320000", "340000"], "mode": "proxy",
                   "kind": "query", "windows": [], "partner_items": []},
}


def item_file(detail):
    """The ITEM file (catalog.md) of one member detail of the fixture."""
    it = detail["item"]
    guide = copy.deepcopy(detail["guide"])
    if it["basic_code"] in CROSS:
        guide["cross_region"] = copy.deepcopy(CROSS[it["basic_code"]])
    return {
        "basic_code": it["basic_code"], "name": it["name"], "type": it["type"],
        "competent_dept": it["competent_dept"], "basis": it["basis"], "aliases": it["aliases"],
        "life_stages": it["life_stages"],
        "subitems": [{"code": detail["subitem"]["code"], "name": detail["subitem"]["name"],
                      "tasks": [{"kind": detail["task"]["kind"], "seq": detail["task"]["seq"],
                                 "name": detail["task"]["name"],
                                 "impls": [{"region": detail["codes"]["region"],
                                            "agency_name": detail["agency"]["name"],
                                            "agency_uscc": detail["agency"]["uscc"],
                                            "guide": guide}]}]}],
    }


def get(server, path):
    st, hdrs, data = server.request("GET", path)
    return st, hdrs, data


@pytest.fixture(scope="module")
def loaded(server):
    """Loads the three members and the bundle; returns {basic_code: impl id}."""
    d = tempfile.mkdtemp(prefix="catalog-", dir=server.tmp)  # removed with the server's tmp
    os.makedirs(os.path.join(d, "items"))
    os.makedirs(os.path.join(d, "bundles"))
    for m in FIXTURE["members"]:
        with open(os.path.join(d, "items", m["item"]["basic_code"] + ".json"), "w",
                  encoding="utf-8") as f:
            json.dump(item_file(m), f, ensure_ascii=False)
    with open(os.path.join(d, "bundles", BUNDLE + ".json"), "w", encoding="utf-8") as f:
        json.dump(FIXTURE["bundle"], f, ensure_ascii=False)
    server.cli("catalog", "load", d)
    ids = {}
    want = {m["impl_code"]: m["item"]["basic_code"] for m in FIXTURE["members"]}
    for row in all_items(server):
        if row["impl_code"] in want:
            ids[want[row["impl_code"]]] = row["id"]
    assert len(ids) == 3, ids
    return ids


def all_items(server):
    rows, cursor = [], None
    while True:
        q = "/api/v1/service-items?limit=200" + ("&cursor=" + urllib.parse.quote(cursor)
                                                  if cursor else "")
        st, _, page = get(server, q)
        assert st == 200, page
        rows += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return rows


# ---- 一件事 -------------------------------------------------------------------------


def bundle(server, **params):
    q = "/api/v1/service-bundles/" + BUNDLE
    if params:
        q += "?" + urllib.parse.urlencode(params)
    st, _, data = get(server, q)
    assert st == 200, data
    return data


def test_bundle_merged_materials(server, loaded):
    b = bundle(server)
    assert b["region"] == "340100"
    assert [m["name"] for m in b["materials"]] == [
        "公司登记（备案）申请书", "公司章程", "法定代表人身份证件", "住所使用证明", "营业执照",
        "经办人身份证件", "印章刻制申请表"]
    assert b["counts"]["materials_before"] == 12 and b["counts"]["materials_after"] == 7
    by = {m["name"]: m for m in b["materials"]}
    rep = by["法定代表人身份证件"]
    assert (rep["copies"], rep["form"], rep["necessity"]) == (2, "electronic", "required")
    assert sorted(x["basic_code"] for x in rep["members"]) == ["GG00201001", "GG00301001",
                                                               "QR00101001"]
    assert "when" not in rep  # 企业设立登记 always needs it
    assert by["住所使用证明"]["necessity"] == "required"
    assert by["住所使用证明"]["tolerance"] is False
    agent = by["经办人身份证件"]
    assert agent["necessity"] == "required"
    assert len(agent["when"]["any"]) == 2
    assert b["conflicts"] == []


def test_bundle_form_order_deferral(server, loaded):
    b = bundle(server)
    assert [f["field"] for f in b["form"]] == ["company_name", "legal_rep"]
    assert [m["basic_code"] for m in b["form"][0]["maps"]] == ["QR00101001", "GG00201001",
                                                               "GG00301001"]
    assert b["order"] == [["QR00101001"], ["GG00201001", "GG00301001"]]
    steps = {m["basic_code"]: m["step"] for m in b["members"]}
    assert steps == {"QR00101001": 1, "GG00201001": 2, "GG00301001": 2}
    assert all(m["found"] and m["id"] == loaded[m["basic_code"]] for m in b["members"])
    # 分时分项: unknown without answers, later without a 财务负责人, now with one.
    assert [(d["basic_code"], d["state"], d["reason"]) for d in b["deferred"]] == [
        ("GG00301001", "unknown", "有财务负责人后再办理")]
    later = bundle(server, answers=json.dumps({"s_finance": False}))
    assert [(d["basic_code"], d["state"]) for d in later["deferred"]] == [("GG00301001", "later")]
    now = bundle(server, answers=json.dumps({"s_finance": True}))
    assert now["deferred"] == []
    assert now["members"][2]["deferred"]["state"] == "now"


def test_bundle_six_ones(server, loaded):
    b = bundle(server)
    got = {s["key"]: (s["name"], s["pass"]) for s in b["six_ones"]}
    assert got == {"once_notice": ("一次告知", True), "one_form": ("一表申请", True),
                   "one_set": ("一套材料", True), "one_window": ("一窗受理", True),
                   "one_net": ("一网办理", False), "one_result": ("统一发证", True)}
    net = next(s for s in b["six_ones"] if s["key"] == "one_net")
    assert "印章刻制（新办）" in net["reason"]
    one_set = next(s for s in b["six_ones"] if s["key"] == "one_set")
    assert "12" in one_set["reason"] and "7" in one_set["reason"]
    # In a region where no member has a row, the closest rows are used (same province).
    far = bundle(server, region="340200")
    assert all(m["found"] for m in far["members"])


def test_bundle_list_and_errors(server, loaded):
    st, _, data = get(server, "/api/v1/service-bundles?life_stage=zhunru")
    assert st == 200, data
    row = next(r for r in data["items"] if r["code"] == BUNDLE)
    assert row["members"] == 3 and row["life_stage_label"] == "准入准营"
    assert all(r["life_stage"] == "zhunru" for r in data["items"])
    assert [s["code"] for s in data["stages"]] == ["zhunru", "zhaopin", "nashui", "jingying",
                                                   "gongcheng", "zhuxiao"]
    st, _, other = get(server, "/api/v1/service-bundles?life_stage=zhuxiao")
    assert st == 200 and all(r["code"] != BUNDLE for r in other["items"])
    st, _, everything = get(server, "/api/v1/service-bundles")
    assert len(everything["items"]) >= len(data["items"]) + len(other["items"])
    assert_error(server.request("GET", "/api/v1/service-bundles?life_stage=x"), 400, "invalid",
                 "life_stage")
    assert_error(server.request("GET", "/api/v1/service-bundles/NO-SUCH"), 404, "not_found")
    assert_error(server.request("GET", "/api/v1/service-bundles/%s?region=34" % BUNDLE), 400,
                 "invalid", "region")
    assert_error(server.request("GET", "/api/v1/service-bundles/%s?answers=%%5B1%%5D" % BUNDLE),
                 400, "invalid", "answers")


# ---- open data -------------------------------------------------------------------------


def graph_node(doc, type_):
    for n in doc["@graph"]:
        t = n["@type"]
        if t == type_ or (isinstance(t, list) and type_ in t):
            return n
    return None


def test_jsonld_shape(server, loaded):
    a = FIXTURE["members"][0]
    st, hdrs, text = get(server, "/api/v1/service-items/%d.jsonld" % loaded["QR00101001"])
    assert st == 200, text
    assert hdrs["Content-Type"].startswith("application/ld+json")
    doc = json.loads(text)
    assert doc["@context"][0].endswith("/CPSV-AP/releases/3.2.0/context/cpsv-ap.jsonld")
    svc = doc["@graph"][0]
    assert svc["@type"] == "cpsv:PublicService"
    assert svc["dct:identifier"] == a["impl_code"]
    assert svc["dct:title"] == {"@value": "企业设立登记（新办）", "@language": "zh"}
    assert svc["cv:processingTime"] == {"@value": "P1D", "@type": "xsd:duration"}
    assert len(svc["cpsv:hasInput"]) == 4
    assert len(svc["cv:holdsRequirement"]) == 1
    assert len(svc["cpsv:follows"]) == 2 and len(svc["cv:hasLegalResource"]) == 2
    assert len(svc["cv:hasChannel"]) == 2 and len(svc["cv:hasCost"]) == 1
    assert {"@id": "urn:qifu:bundle:" + BUNDLE} in svc["cv:isGroupedBy"]
    assert len(svc["cv:hasParticipation"]) >= 4  # 主管部门, 牵头部门, 2 协办部门
    org = graph_node(doc, "cv:PublicOrganisation")
    assert org["skos:prefLabel"]["@value"] == "合肥市市场监督管理局"
    assert org["dct:spatial"] == {"@id": "urn:qifu:region:340100"}
    ev = graph_node(doc, "cv:BusinessEvent")
    assert ev["dct:identifier"] == BUNDLE and "cv:Event" in ev["@type"]
    evidence = [n for n in doc["@graph"] if n["@type"] == "cv:Evidence"]
    assert [e["dct:title"]["@value"] for e in evidence] == [
        "公司登记（备案）申请书", "公司章程", "法定代表人身份证件", "住所使用证明"]
    # Every node a property points to is in the graph (typed for the shapes' sh:class).
    ids = {n["@id"] for n in doc["@graph"]}
    for n in doc["@graph"]:
        for k, v in n.items():
            for x in (v if isinstance(v, list) else [v]):
                if isinstance(x, dict) and set(x) == {"@id"}:
                    assert x["@id"] in ids, (n["@id"], k, x)


def test_schema_org(server, loaded):
    st, hdrs, text = get(server, "/api/v1/service-items/%d.schema.json" % loaded["GG00201001"])
    assert st == 200, text
    assert hdrs["Content-Type"].startswith("application/ld+json")
    so = json.loads(text)
    assert so["@context"] == "https://schema.org" and so["@type"] == "GovernmentService"
    assert so["name"] == "印章刻制（新办）"
    assert so["serviceOperator"] == {"@type": "GovernmentOrganization", "name": "合肥市公安局",
                                     "identifier": "11340100003000002E"}
    assert so["areaServed"]["identifier"] == "340100"
    assert [c["name"] for c in so["availableChannel"]] == ["窗口办理", "网上办理"]
    assert so["availableChannel"][0]["processingTime"] == "P1D"


def test_exports_of_unknown_items(server, loaded):
    assert_error(server.request("GET", "/api/v1/service-items/999999.jsonld"), 404, "not_found")
    assert_error(server.request("GET", "/api/v1/service-items/0.schema.json"), 404, "not_found")
    # A suffix that is not the export's is not taken for it.
    assert_error(server.request("GET", "/api/v1/service-items/%d.jsonldx" % loaded["QR00101001"]),
                 404, "not_found")
    # The item itself still answers at its own path.
    st, _, d = get(server, "/api/v1/service-items/%d" % loaded["QR00101001"])
    assert st == 200 and d["impl_code"] == FIXTURE["members"][0]["impl_code"]


# ---- 跨省通办 ---------------------------------------------------------------------------


def expected_cross(server):
    """The report counted independently from every published item's detail."""
    rows = all_items(server)
    scopes, totals = {}, {"items": len(rows), "cross_items": 0, "handle": 0, "query": 0}
    for r in rows:
        st, _, d = get(server, "/api/v1/service-items/%d" % r["id"])
        assert st == 200
        cr = d["guide"].get("cross_region")
        if not cr:
            continue
        kind = "query" if cr.get("kind") == "query" else "handle"
        totals["cross_items"] += 1
        totals[kind] += 1
        for sc in cr.get("scope", []):
            s = scopes.setdefault(sc, {"items": 0, "handle": 0, "query": 0,
                                       "modes": {m: {"handle": 0, "query": 0}
                                                 for m in ("online", "proxy", "joint")}})
            s["items"] += 1
            s[kind] += 1
            if cr["mode"] in s["modes"]:
                s["modes"][cr["mode"]][kind] += 1
    return scopes, totals


def test_cross_region_report(server, loaded):
    st, _, rep = get(server, "/api/v1/catalog/cross-region")
    assert st == 200, rep
    scopes, totals = expected_cross(server)
    for k in ("items", "cross_items", "handle", "query"):
        assert rep["totals"][k] == totals[k], k
    got = {s["scope"]: s for s in rep["scopes"]}
    assert set(got) == set(scopes)
    for name, want in scopes.items():
        s = got[name]
        assert (s["items"], s["handle"], s["query"]) == (want["items"], want["handle"],
                                                         want["query"]), name
        for m, c in want["modes"].items():
            assert (s["modes"][m]["handle"], s["modes"][m]["query"]) == (c["handle"],
                                                                         c["query"]), (name, m)
    # Our two items are in it, each with its mode, kind and windows.
    yrd = {r["impl_code"]: r for r in got["长三角"]["rows"]}
    a, b = FIXTURE["members"][0], FIXTURE["members"][1]
    assert yrd[a["impl_code"]]["mode_label"] == "全程网办" and yrd[a["impl_code"]]["kind"] == "handle"
    assert yrd[a["impl_code"]]["windows"][0]["region"] == "310117"
    assert yrd[b["impl_code"]]["mode_label"] == "异地代收代办" and yrd[b["impl_code"]]["kind"] == "query"
    assert a["impl_code"] in {r["impl_code"] for r in got["G60"]["rows"]}
    assert b["impl_code"] not in {r["impl_code"] for r in got["G60"]["rows"]}


def test_cross_region_xlsx(server, loaded):
    st, _, rep = get(server, "/api/v1/catalog/cross-region")
    c = server.connection()
    try:
        c.request("GET", "/api/v1/catalog/cross-region?format=xlsx")
        r = c.getresponse()
        data = r.read()
        assert r.status == 200, data[:300]
        assert r.getheader("Content-Type") == XLSX
    finally:
        c.close()
    book = Book(data)
    assert book.header() == ["通办范围", "通办模式", "事项数", "办理类", "查询类"]
    assert len(book.rows) == 1 + len(rep["items"]) + 1  # header, a row per scope × mode, 合计
    assert book.rows[-1][0].startswith("合计")
    assert book.rows[-1][2] == rep["totals"]["cross_items"]
    row = next(r for r in book.rows[1:] if r[0] == "长三角" and r[1] == "异地代收代办")
    want = next(i for i in rep["items"] if i["scope"] == "长三角" and i["mode"] == "proxy")
    assert row[2:5] == [want["items"], want["handle"], want["query"]]
