# SPDX-License-Identifier: Apache-2.0
"""
企业意见建议, the toy resource of docs/internals/adding-a-domain.md: every endpoint
(list, get, create, update, actions, timeline) and its notices, with the scoping the
recipe promises (another region's clerk and another enterprise get 404; notices reach
only those who may read the suggestion).
"""
import pytest

from conftest import assert_error, credit_check_digit

DEMO_CODE = "91340100131860916Y"  # the demo enterprise user's own enterprise (340811)
PW = "Suggest-Test-Pass-1"


def code(n):
    base = "91340800MA2W%05d" % n
    return base + credit_check_digit(base)


@pytest.fixture(scope="module")
def tok(server):
    adm = server.admin()
    st, _, o = server.request("POST", "/api/v1/orgs", {
        "code": "340100-QFZX-S", "name": "合肥市企业服务中心（建议）", "kind": "center",
        "region": "340100"}, token=adm)
    assert st == 201, o
    st, _, d = server.request("POST", "/api/v1/enterprises", {
        "credit_code": code(1), "name": "安庆市建议测试企业有限公司", "region": "340822",
        "industry": "3491", "founded": "2015-01-01", "scale": "small"}, token=adm)
    assert st == 201, d
    t = {u: server.login(u) for u in ["enterprise", "clerk", "admin"]}
    for name, body in [("s_ent2", {"role": "enterprise", "credit_code": code(1)}),
                       ("s_clerk_hf", {"role": "clerk", "org": "340100-QFZX-S"})]:
        body.update({"username": name, "password": PW})
        st, _, d = server.request("POST", "/api/v1/users", body, token=adm)
        assert st == 201, d
        t[name] = server.login(name, PW)
    return t


def ok(resp, status=200):
    st, _, data = resp
    assert st == status, data
    return data


def test_a_suggestion_from_filing_to_closing(server, tok):
    ent, clerk, far, other = tok["enterprise"], tok["clerk"], tok["s_clerk_hf"], tok["s_ent2"]
    # Create: the enterprise files; the region is its enterprise's.
    assert_error(server.request("POST", "/api/v1/suggestions", {"title": "x"}, token=ent),
                 400, "invalid", field="content")
    assert_error(server.request("POST", "/api/v1/suggestions", {
        "title": "x", "content": "y", "extra": 1}, token=ent), 400, "invalid", field="extra")
    s = ok(server.request("POST", "/api/v1/suggestions", {
        "title": "建议延长窗口办理时间", "content": "中午时段企业办事排队较长。"}, token=ent), 201)
    sid = s["id"]
    assert (s["state"], s["state_label"], s["credit_code"], s["region"]) == (
        "submitted", "已提交", DEMO_CODE, "340811")
    assert [a["action"] for a in s["actions"]] == ["edit"]
    path = "/api/v1/suggestions/%d" % sid

    # Scoping: the clerk of the region sees it; another region's clerk and another
    # enterprise get 404 on every read and write.
    assert ok(server.request("GET", path, token=clerk))["title"] == "建议延长窗口办理时间"
    for t in (far, other):
        for method, p, body in [("GET", path, None), ("GET", path + "/actions", None),
                                ("GET", path + "/timeline", None),
                                ("PATCH", path, {"title": "改"}),
                                ("POST", path + "/actions", {"action": "accept"})]:
            assert_error(server.request(method, p, body, token=t), 404, "not_found")
        assert sid not in [x["id"] for x in ok(server.request(
            "GET", "/api/v1/suggestions", token=t))["items"]]
    ids = [x["id"] for x in ok(server.request("GET", "/api/v1/suggestions", token=clerk))["items"]]
    assert sid in ids
    assert_error(server.request("GET", "/api/v1/suggestions?state=nope", token=clerk),
                 400, "invalid", field="state")

    # Update (PATCH) while submitted, by the enterprise only.
    assert_error(server.request("PATCH", path, {"title": "改"}, token=clerk), 403, "forbidden")
    s = ok(server.request("PATCH", path, {"title": "建议延长午间窗口办理时间"}, token=ent))
    assert (s["title"], s["content"], s["state"]) == (
        "建议延长午间窗口办理时间", "中午时段企业办事排队较长。", "submitted")
    assert_error(server.request("PATCH", path, {}, token=ent), 400, "invalid", field="title")

    # Actions: what each may do now, then the clerk accepts, answers (a note is required).
    assert [a["action"] for a in ok(server.request(
        "GET", path + "/actions", token=clerk))["items"]] == ["accept"]
    assert_error(server.request("POST", path + "/actions", {"action": "accept"}, token=ent),
                 403, "forbidden")
    assert_error(server.request("POST", path + "/actions", {"action": "answer"}, token=clerk),
                 409, "bad_state")
    assert ok(server.request("POST", path + "/actions", {"action": "accept"},
                             token=clerk))["state"] == "accepted"
    assert_error(server.request("PATCH", path, {"title": "再改"}, token=ent), 409, "bad_state")
    assert_error(server.request("POST", path + "/actions", {"action": "answer"}, token=clerk),
                 400, "invalid", field="note")
    s = ok(server.request("POST", path + "/actions", {
        "action": "answer", "note": "自下月起午间不休。"}, token=clerk))
    assert (s["state"], s["answer"]) == ("answered", "自下月起午间不休。")
    assert [a["action"] for a in ok(server.request(
        "GET", path + "/actions", token=ent))["items"]] == ["close"]
    assert ok(server.request("POST", path + "/actions", {"action": "close"},
                             token=ent))["state"] == "closed"
    assert ok(server.request("GET", path + "/actions", token=clerk))["items"] == []

    # Timeline: every step in order, labelled from the flow's table.
    tl = ok(server.request("GET", path + "/timeline", token=ent))["items"]
    assert [(x["action"], x["label"], x["to_state"]) for x in tl] == [
        ("submit", "提交", "submitted"), ("edit", "修改", "submitted"),
        ("accept", "受理", "accepted"), ("answer", "答复", "answered"),
        ("close", "办结", "closed")]
    assert tl[3]["note"] == "自下月起午间不休。"
    rows = server.sql("SELECT action FROM audit WHERE action LIKE 'suggestion.%' ORDER BY seq")
    assert [r[0] for r in rows] == ["suggestion.submit", "suggestion.edit", "suggestion.accept",
                                    "suggestion.answer", "suggestion.close"]

    # Notices: keyed by the suggestion, addressed to the enterprise, shown only to readers.
    rows = server.sql("SELECT kind, credit_code FROM notices WHERE entity = 'suggestion' AND "
                      "entity_id = %d ORDER BY id" % sid)
    assert rows == [("suggestion", DEMO_CODE), ("suggestion", DEMO_CODE)]
    mine = [n for n in ok(server.request("GET", "/api/v1/notices", token=ent))["items"]
            if n.get("entity") == "suggestion"]
    assert [n["title"] for n in mine] == ["意见建议答复：建议延长午间窗口办理时间",
                                          "意见建议受理：建议延长午间窗口办理时间"]
    assert str(mine[0]["entity_id"]) == str(sid)
    for t in (other, far, clerk):
        assert not [n for n in ok(server.request("GET", "/api/v1/notices", token=t))["items"]
                    if n.get("entity") == "suggestion"]

    # Labels: the flow is registered.
    lab = ok(server.request("GET", "/api/v1/labels", token=ent))["suggestion"]
    assert lab["states"]["answered"] == "已答复" and lab["actions"]["answer"] == "答复"
