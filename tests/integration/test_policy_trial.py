# SPDX-License-Identifier: Apache-2.0
"""
试算 (issue 6, the policy officer's "test against an enterprise" before publishing):
GET /api/v1/policies/{id}/trial?credit_code=&version= evaluates one version of one policy
— by default the draft its editors are working on — for one enterprise's stored facts,
with the explanation, and stores nothing. On both backends.
"""
import pytest

from conftest import assert_error

DEMO_CODE = "91340100131860916Y"  # the demo enterprise: 340811, tags high_tech + srdi_city
OTHER_CODE = "913401007865797540"  # a valid code that is not registered


def doc(conditions, **over):
    d = {"title": "试算用测试政策", "doc_no": "庆经信〔2026〕98号", "delivery": "mian_shen",
         "region_scope": ["3408"], "valid_from": "2020-01-01", "valid_to": "2099-12-31",
         "rules": {"conditions": conditions, "amount": {"fixed": 5_000_000}}}
    d.update(over)
    return d


@pytest.fixture(scope="module")
def tok(server):
    return {u: server.login(u) for u in ["officer", "admin", "clerk", "enterprise"]}


def trial(server, token, pid, code=DEMO_CODE, version=None):
    path = "/api/v1/policies/%s/trial?credit_code=%s" % (pid, code)
    if version is not None:
        path += "&version=%s" % version
    return server.request("GET", path, token=token)


def test_trial_of_a_draft_explains_and_stores_nothing(server, tok):
    st, _, p = server.request("POST", "/api/v1/policies", doc(
        {"all": [{"fact": "tags", "op": "has", "value": "high_tech", "label": "高新技术企业",
                  "source": "第三条"}]}), token=tok["officer"])
    assert st == 201, p
    st, _, t = trial(server, tok["officer"], p["id"])
    assert st == 200, t
    assert t["outcome"] == "eligible" and t["amount_fen"] == 5_000_000
    assert t["policy"] == {"id": p["id"], "title": "试算用测试政策", "version": 1,
                           "version_state": "draft"}
    assert t["enterprise_name"] and t["credit_code"] == DEMO_CODE
    leaf = t["explanation"]["children"][1]["children"][0]
    assert leaf["status"] == "true" and leaf["label"] == "高新技术企业" and leaf["source"] == "第三条"
    # Nothing was stored: no grant, and the draft is still a draft outside the set in force.
    st, _, g = server.request("GET", "/api/v1/grants?policy_id=%s" % p["id"], token=tok["officer"])
    assert st == 200 and g["items"] == []
    st, _, m = server.request("GET", "/api/v1/enterprises/%s/policies" % DEMO_CODE,
                              token=tok["admin"])
    assert p["id"] not in [i["policy"]["id"] for i in m["items"]]


def test_trial_reports_ineligible_and_missing_facts(server, tok):
    st, _, p = server.request("POST", "/api/v1/policies", doc(
        {"all": [{"fact": "tags", "op": "has", "value": "little_giant"},
                 {"fact": "revenue", "op": "ge", "value": 100_000_000}]}), token=tok["officer"])
    assert st == 201, p
    st, _, t = trial(server, tok["officer"], p["id"])
    assert st == 200 and t["outcome"] == "ineligible", t
    # any: the tag fails, revenue is unknown -> possibly eligible, revenue missing.
    st, _, p2 = server.request("PATCH", "/api/v1/policies/%s" % p["id"], {"rules": {"conditions": {
        "any": [{"fact": "tags", "op": "has", "value": "little_giant"},
                {"fact": "revenue", "op": "ge", "value": 100_000_000}]}}}, token=tok["officer"])
    assert st == 200, p2
    st, _, t = trial(server, tok["officer"], p["id"])
    assert st == 200 and t["outcome"] == "possibly_eligible", t
    assert [m["fact"] for m in t["missing"]] == ["revenue"]
    assert t["missing"][0]["label"] == "营业收入"


def test_trial_of_a_version_and_of_the_draft_after_publishing(server, tok):
    st, _, p = server.request("POST", "/api/v1/policies", doc(
        {"all": [{"fact": "tags", "op": "has", "value": "high_tech"}]}), token=tok["officer"])
    assert st == 201
    st, _, _ = server.request("POST", "/api/v1/policies/%s/actions" % p["id"],
                              {"action": "publish"}, token=tok["officer"])
    assert st == 200
    st, _, _ = server.request("POST", "/api/v1/policies/%s/actions" % p["id"],
                              {"action": "new_version"}, token=tok["officer"])
    assert st == 200
    st, _, _ = server.request("PATCH", "/api/v1/policies/%s" % p["id"], {"rules": {"conditions": {
        "all": [{"fact": "tags", "op": "has", "value": "little_giant"}]}}}, token=tok["officer"])
    assert st == 200
    st, _, t = trial(server, tok["officer"], p["id"])  # the draft (version 2)
    assert st == 200 and t["policy"]["version"] == 2 and t["outcome"] == "ineligible", t
    st, _, t = trial(server, tok["officer"], p["id"], version=1)
    assert st == 200 and t["policy"]["version"] == 1 and t["outcome"] == "eligible", t
    st, _, t = trial(server, tok["admin"], p["id"])  # admins edit every policy: the draft too
    assert st == 200 and t["policy"]["version"] == 2


def test_trial_refusals(server, tok):
    st, _, p = server.request("POST", "/api/v1/policies", {"title": "尚无条件的草稿",
                                                             "delivery": "shen_bao",
                                                             "region_scope": ["3408"]},
                              token=tok["officer"])
    assert st == 201, p
    assert_error(trial(server, tok["officer"], p["id"]), 409, "bad_state",
                 message="尚未填写享受条件")
    assert_error(trial(server, tok["officer"], p["id"], code=OTHER_CODE), 404, "not_found")
    assert_error(server.request("GET", "/api/v1/policies/%s/trial" % p["id"],
                                token=tok["officer"]), 400, "invalid", field="credit_code")
    assert_error(trial(server, tok["officer"], p["id"], version="x"), 400, "invalid",
                 field="version")
    assert_error(trial(server, tok["officer"], "999999"), 404, "not_found")
    for role in ("clerk", "enterprise"):
        assert_error(trial(server, tok[role], p["id"]), 403, "forbidden")
