# SPDX-License-Identifier: Apache-2.0
"""POST /api/v1/service-items/{id}/checklist (issue 18 item 2) on both backends: the
personal material list of a published guide from 情形 answers, public; the questions still
needed, most decisive first; answers refused next to their field in Chinese; an enterprise
login's registry facts answering (use_enterprise), an explicit answer winning.

The item is tests/cases/catalog/item_checklist.json: the guide of guide_3q.json (3
questions, 12 materials: tests/unit/test_catalog_situation.c checks all 48 combinations of
answers) with what the lint asks for, plus one material on the enterprise's 注册地."""
import json
import pathlib
import shutil
import tempfile

import pytest

from conftest import assert_error

ROOT = pathlib.Path(__file__).resolve().parents[2]
# An ITEM file that passes the lint, whose guide is guide_3q.json plus m13 (注册地 in 安徽).
ITEM = ROOT / "tests/cases/catalog/item_checklist.json"
BASIC = "QT9918001"
GUIDE = json.loads(ITEM.read_text())["subitems"][0]["tasks"][0]["impls"][0]["guide"]


@pytest.fixture(scope="module")
def impl_id(server):
    with tempfile.TemporaryDirectory() as d:
        (pathlib.Path(d) / "items").mkdir()
        (pathlib.Path(d) / "bundles").mkdir()
        shutil.copy(ITEM, pathlib.Path(d) / "items" / ITEM.name)
        server.cli("catalog", "load", d)
    st, _, data = server.request("GET", "/api/v1/service-items?limit=500")
    assert st == 200, data
    ids = [r["id"] for r in data["items"] if r["impl_code"].startswith(BASIC)]
    assert len(ids) == 1, data
    return ids[0]


def post(server, iid, body, token=None):
    return server.request("POST", "/api/v1/service-items/%s/checklist" % iid, body, token=token)


def ids(lst):
    return [m["id"] for m in lst]


def test_unanswered_asks_the_most_decisive_first(server, impl_id):
    st, _, r = post(server, impl_id, {})
    assert st == 200, r
    assert r["version"] == 1 and r["complete"] is False
    # s_area and s_kind each may decide 7 pending items, s_chain 6 (tie: the guide's order);
    # m13 waits for the enterprise's 注册地, which is never asked as a question.
    assert [(q["id"], q["decides"]) for q in r["questions"]] == [
        ("s_area", 7), ("s_kind", 7), ("s_chain", 6)]
    assert r["questions"][1]["options"][1] == {"value": "catering", "label": "餐饮服务"}
    assert ids(r["materials"]) == ["m1"]
    assert ids(r["pending"]["materials"]) == ["m%d" % i for i in range(2, 14)]
    assert r["service"]["agency_name"] == "合肥市市场监督管理局"
    assert r["time_limit"]["promised_days"] == 5
    assert r["consult_phone"] == GUIDE["consult_phone"]


@pytest.mark.parametrize("answers,listed,questions", [
    # Rows of the hand-worked table of tests/unit/test_catalog_situation.c (m1..m12; m13
    # stays pending for a visitor).
    ({"s_kind": "sale"}, "Y????NNN?N??", ["s_chain", "s_area"]),
    ({"s_chain": False, "s_area": 600, "s_kind": "catering"}, "YNYYNYYYYYNN", []),
    ({"s_chain": True, "s_area": 120}, "YYNNY??NY??N", ["s_kind"]),
    ({"s_area": 200, "s_kind": "both"}, "Y??YNNYN?YY?", ["s_chain"]),
])
def test_answers_decide_the_list(server, impl_id, answers, listed, questions):
    st, _, r = post(server, impl_id, {"answers": answers})
    assert st == 200, r
    got = ""
    for i in range(1, 13):
        mid = "m%d" % i
        got += "Y" if mid in ids(r["materials"]) else "?" if mid in ids(r["pending"]["materials"]) else "N"
    assert got == listed
    assert [q["id"] for q in r["questions"]] == questions
    assert "m13" in ids(r["pending"]["materials"])
    for m in r["materials"]:
        assert m["reason"] and "when" not in m


def test_reason_names_the_answers(server, impl_id):
    st, _, r = post(server, impl_id, {"answers": {"s_chain": False, "s_area": 600, "s_kind": "catering"}})
    assert st == 200, r
    m8 = [m for m in r["materials"] if m["id"] == "m8"][0]
    assert m8["reason"] == "依据：经营项目：餐饮服务；经营场所面积：600平方米"
    assert [s["name"] for s in r["steps"]] == ["申请", "现场核查"]
    assert r["fees"] == [] and len(r["pending"]["fees"]) == 0


@pytest.mark.parametrize("answers,field,message", [
    ({"s_chain": "是"}, "answers.s_chain", "请回答是或否"),
    ({"s_area": 12.5}, "answers.s_area", "整数"),
    ({"s_kind": "pizza"}, "answers.s_kind", "不是可选项之一"),
    ({"s_nope": 1}, "answers.s_nope", "没有"),
])
def test_invalid_answers_are_refused_next_to_the_field(server, impl_id, answers, field, message):
    assert_error(post(server, impl_id, {"answers": answers}), 400, "invalid", field, message)


def test_bad_requests(server, impl_id):
    assert_error(post(server, impl_id, {"answers": [1]}), 400, "invalid", "answers")
    assert_error(post(server, impl_id, {"answer": {}}), 400, "invalid")
    assert_error(post(server, impl_id, {"use_enterprise": True}), 400, "invalid", "use_enterprise",
                 "企业用户")
    st, _, _ = post(server, 987654321, {})
    assert st == 404


def test_enterprise_facts_answer_and_explicit_answers_win(server, impl_id):
    tok = server.login("enterprise")
    st, _, r = post(server, impl_id, {"use_enterprise": True}, token=tok)
    assert st == 200, r
    assert r["use_enterprise"] is True
    m13 = [m for m in r["materials"] if m["id"] == "m13"]
    assert m13 and "（企业登记信息）" in m13[0]["reason"], r["materials"]
    # Without use_enterprise the same login is a visitor.
    st, _, r = post(server, impl_id, {}, token=tok)
    assert "m13" in ids(r["pending"]["materials"])
    # An explicit answer wins over the registry.
    st, _, r = post(server, impl_id, {"use_enterprise": True, "answers": {"region": "110101"}},
                    token=tok)
    assert st == 200, r
    assert "m13" not in ids(r["materials"]) + ids(r["pending"]["materials"])
    # A user without an enterprise may not use_enterprise.
    assert_error(post(server, impl_id, {"use_enterprise": True}, token=server.login("clerk")),
                 400, "invalid", "use_enterprise")


def test_every_guide_of_the_starting_catalogue(server):
    """Every published guide `qifu demo` loads compiles into a checklist, and answering each
    of its questions leaves none to ask (a value of each question's type: yes, 100, the
    first option)."""
    items = server.list_all("/api/v1/service-items", None)
    assert len(items) >= 150
    asked = 0
    for it in items:
        st, _, r = post(server, it["id"], {})
        assert st == 200, (it["name"], r)
        answers = {}
        for q in r["questions"]:
            asked += 1
            answers[q["id"]] = (True if q["type"] == "bool" else 100 if q["type"] == "int"
                                else q["options"][0]["value"])
        st, _, r = post(server, it["id"], {"answers": answers})
        assert st == 200, (it["name"], r)
        assert r["questions"] == [], (it["name"], answers, r["questions"])
    assert asked > 0


def test_a_new_published_version_is_answered_at_once(server, impl_id):
    """Compiled guides are cached per (item, version): publishing version 2 must not serve
    version 1's list (runs last: the other tests read version 1)."""
    st, _, r = post(server, impl_id, {})
    assert st == 200 and r["version"] == 1 and r["materials"][0]["name"] == "食品经营许可申请书"
    tok = server.login("catalog")
    g = json.loads(json.dumps(GUIDE))
    g["materials"][0]["name"] = "食品经营许可申请书（2026版）"
    st, _, v = server.request("POST", "/api/v1/service-items/%s/versions" % impl_id, {"guide": g},
                              token=tok)
    assert st == 201, v
    for action in ("submit", "approve"):
        st, _, v = server.request(
            "POST", "/api/v1/service-items/%s/versions/2/actions" % impl_id, {"action": action},
            token=tok)
        assert st == 200, v
    st, _, r = post(server, impl_id, {})
    assert st == 200, r
    assert r["version"] == 2
    assert r["materials"][0]["name"] == "食品经营许可申请书（2026版）"
