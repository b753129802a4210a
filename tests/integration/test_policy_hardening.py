# SPDX-License-Identifier: Apache-2.0
"""
Hardening of the policy side (issue 14, items 3, 4 and 9), on both backends:

- named conditions belong to an organisation: only its policy officers (and admins) edit
  them; a published policy keeps the condition versions it was published with until its
  department adopts the new ones (an audited republish that carries the diff);
- self-declared facts never beat authoritative ones, as-of dates in the future are refused,
  and a decision resting on a self-declared value is "possibly eligible — to be verified",
  never a 免申即享 grant;
- each catalogued fact names its source department, and only that department (and admins)
  record authoritative values of it.
"""
import json

import pytest

from conftest import assert_error

DEMO_CODE = "91340100131860916Y"  # the demo enterprise (rd_expense 320万元, authoritative)
W = 1_000_000  # fen per 万元


@pytest.fixture(scope="module")
def tokens(server):
    t = {u: server.login(u) for u in ["admin", "officer", "enterprise", "supervisor"]}
    for name, role, org in [("kjj_officer", "policy_officer", "340800-KJJ"),
                            ("swj_clerk", "handler", "340800-SWJG"),
                            ("rsj_officer", "policy_officer", "340800-RSJ")]:
        st, _, data = server.request("POST", "/api/v1/users", {
            "username": name, "password": "secret-pass-1", "role": role, "org": org},
            token=t["admin"])
        assert st == 201, data
        t[name] = server.login(name, "secret-pass-1")
    return t


def policy_doc(title, conditions, delivery="ji_shen", amount=5 * W):
    return {
        "title": title, "doc_no": "庆经信〔2026〕77号", "summary": "测试政策。",
        "delivery": delivery, "region_scope": ["3408"],
        "valid_from": "2020-01-01", "valid_to": "2099-12-31",
        "contact": {"dept": "经信局", "phone": "0556-0000000"},
        "rules": {"conditions": conditions, "amount": {"fixed": amount}},
    }


def create_published(server, token, doc):
    st, _, p = server.request("POST", "/api/v1/policies", doc, token=token)
    assert st == 201, p
    st, _, p = server.request("POST", "/api/v1/policies/%s/actions" % p["id"],
                              {"action": "publish"}, token=token)
    assert st == 200, p
    return p


def outcome(server, token, pid):
    st, _, a = server.request("GET", "/api/v1/enterprises/%s/policies" % DEMO_CODE, token=token)
    assert st == 200, a
    for it in a["items"]:
        if it["policy"]["id"] == pid:
            return it
    raise AssertionError("policy %s not in the answer" % pid)


# ---- item 3: named conditions belong to an organisation; published policies pin them ----------


def test_conditions_owned_pinned_and_adopted(server, tokens):
    node1 = {"fact": "rd_expense", "op": "ge", "value": 100 * W, "label": "研发费用100万元以上"}
    st, _, c = server.request("PUT", "/api/v1/conditions/pin_rd",
                              {"label": "研发投入较大", "node": node1}, token=tokens["officer"])
    assert st == 200 and c["version"] == 1, c
    st, _, items = server.request("GET", "/api/v1/conditions", token=tokens["officer"])
    mine = [x for x in items["items"] if x["name"] == "pin_rd"][0]
    assert mine["org"]["code"] == "340800-JXJ"

    p = create_published(server, tokens["officer"], policy_doc("命名条件版本测试", {"ref": "pin_rd"}))
    pid = p["id"]
    assert p["condition_versions"] == {"pin_rd": 1}
    assert outcome(server, tokens["enterprise"], pid)["outcome"] == "eligible"

    # An officer of another department may not rewrite it; nor the seed's (system) ones.
    node2 = dict(node1, value=1000 * W, label="研发费用1000万元以上")
    assert_error(server.request("PUT", "/api/v1/conditions/pin_rd",
                                {"label": "研发投入较大", "node": node2}, token=tokens["kjj_officer"]),
                 403, "forbidden", "name", "安庆市经济和信息化局")
    assert_error(server.request("PUT", "/api/v1/conditions/small_micro",
                                {"label": "小微企业", "node": {"fact": "scale", "op": "eq",
                                                               "value": "micro"}},
                                token=tokens["officer"]), 403, "forbidden", "name", "管理员")
    assert_error(server.request("PUT", "/api/v1/conditions/pin_rd",
                                {"label": "研发投入较大", "node": node2}, token=tokens["supervisor"]),
                 403, "forbidden")

    # The owner's edit makes version 2 but changes nothing in force.
    st, _, c = server.request("PUT", "/api/v1/conditions/pin_rd",
                              {"label": "研发投入较大", "node": node2}, token=tokens["officer"])
    assert st == 200 and c["version"] == 2 and c["changed"], c
    assert outcome(server, tokens["enterprise"], pid)["outcome"] == "eligible"
    st, _, got = server.request("GET", "/api/v1/policies/%s" % pid)
    assert st == 200 and got["condition_versions"] == {"pin_rd": 1}
    assert "100万" in json.dumps(got["conditions"], ensure_ascii=False)
    st, _, tset = server.request("GET", "/api/v1/policy-set")
    assert st == 200
    tpl = [x for x in tset["policies"] if str(x["policy"]["id"]) == str(pid)][0]
    assert "1000万" not in json.dumps(tpl, ensure_ascii=False)

    # Adopting is the issuing department's explicit, audited republish with the diff; the
    # policy page offers it to its editors only.
    st, _, mine = server.request("GET", "/api/v1/policies/%s" % pid, token=tokens["officer"])
    assert "adopt_conditions" in mine["actions"] and mine["conditions_outdated"] is True
    st, _, other = server.request("GET", "/api/v1/policies/%s" % pid, token=tokens["kjj_officer"])
    assert "adopt_conditions" not in other["actions"]
    assert_error(server.request("POST", "/api/v1/policies/%s/actions" % pid,
                                {"action": "adopt_conditions"}, token=tokens["kjj_officer"]),
                 403, "forbidden")
    st, _, a = server.request("POST", "/api/v1/policies/%s/actions" % pid,
                              {"action": "adopt_conditions"}, token=tokens["officer"])
    assert st == 200, a
    assert a["published_version"] == 2 and a["condition_versions"] == {"pin_rd": 2}
    assert a["conditions_diff"] == [{"name": "pin_rd", "from_version": 1, "to_version": 2,
                                     "before": {"label": "研发投入较大", "node": node1},
                                     "after": {"label": "研发投入较大", "node": node2}}]
    assert outcome(server, tokens["enterprise"], pid)["outcome"] == "ineligible"
    assert "adopt_conditions" not in a["actions"] and a["conditions_outdated"] is False
    rows = server.sql("SELECT before, after FROM audit WHERE action = 'policy.adopt_conditions' "
                      "AND entity_id = '%s'" % pid)
    assert len(rows) == 1
    after = json.loads(rows[0][1])
    assert after["diff"] == a["conditions_diff"] and json.loads(rows[0][0])["conditions"] == {
        "pin_rd": 1}
    # Nothing new to adopt.
    assert_error(server.request("POST", "/api/v1/policies/%s/actions" % pid,
                                {"action": "adopt_conditions"}, token=tokens["officer"]),
                 409, "bad_state")
    # Publishing a new version adopts the current conditions too, and says so.
    node3 = dict(node1, value=50 * W, label="研发费用50万元以上")
    st, _, c = server.request("PUT", "/api/v1/conditions/pin_rd",
                              {"label": "研发投入较大", "node": node3}, token=tokens["officer"])
    assert st == 200 and c["version"] == 3, c
    for action in ("new_version", "publish"):
        st, _, a = server.request("POST", "/api/v1/policies/%s/actions" % pid,
                                  {"action": action}, token=tokens["officer"])
        assert st == 200, a
    assert a["published_version"] == 3 and a["condition_versions"] == {"pin_rd": 3}
    assert [(d["name"], d["from_version"], d["to_version"]) for d in a["conditions_diff"]] == [
        ("pin_rd", 2, 3)]
    assert outcome(server, tokens["enterprise"], pid)["outcome"] == "eligible"


# ---- item 4: self-declared facts never beat authoritative ones, nor decide a grant ------------


def put_facts(server, token, facts):
    return server.request("PUT", "/api/v1/enterprises/%s/facts" % DEMO_CODE, {"facts": facts},
                          token=token)


def run(server, token, pid):
    st, _, r = server.request("POST", "/api/v1/policies/%s/runs" % pid, token=token)
    assert st == 202, r
    for _ in range(300):
        st, _, r = server.request("GET", "/api/v1/policies/%s/runs/%s" % (pid, r["id"]),
                                  token=token)
        assert st == 200, r
        if r["state"] in ("done", "failed"):
            return r
        __import__("time").sleep(0.1)
    raise AssertionError("run did not finish: %s" % r)


def test_future_as_of_refused(server, tokens):
    before = server.sql("SELECT COUNT(*) FROM enterprise_facts")
    for tok in ("enterprise", "admin"):
        assert_error(put_facts(server, tokens[tok], [
            {"fact": "tax_paid", "value": 900 * W, "as_of": "2099-12-31"}]),
            400, "invalid", "facts[0].as_of", "不能晚于今天")
    assert server.sql("SELECT COUNT(*) FROM enterprise_facts") == before


def test_self_declared_never_decides(server, tokens):
    # The demo's tax bureau value: tax_paid 180万元 (authoritative, as of 2025-12-31).
    tax = create_published(server, tokens["officer"], policy_doc(
        "纳税大户奖励（测试）", {"fact": "tax_paid", "op": "ge", "value": 500 * W,
                               "label": "纳税总额500万元以上"}, delivery="mian_shen"))
    export = create_published(server, tokens["officer"], policy_doc(
        "出口奖励（测试）", {"fact": "export_value", "op": "ge", "value": 100 * W,
                          "label": "出口额100万元以上"}, delivery="mian_shen"))
    assert outcome(server, tokens["enterprise"], tax["id"])["outcome"] == "ineligible"
    # A newer self-declared value does not beat the authoritative one ...
    st, _, f = put_facts(server, tokens["enterprise"], [
        {"fact": "tax_paid", "value": 1000 * W}, {"fact": "export_value", "value": 200 * W}])
    assert st == 200, f
    cur = {i["fact"]: i for i in f["items"]}
    assert cur["tax_paid"]["value"] == 180 * W and cur["tax_paid"]["status"] == "authoritative"
    assert outcome(server, tokens["enterprise"], tax["id"])["outcome"] == "ineligible"
    # ... and a decision resting on a self-declared value is only "to be verified".
    it = outcome(server, tokens["enterprise"], export["id"])
    assert it["outcome"] == "possibly_eligible" and it["to_verify"] is True, it
    assert it["authoritative"] is False
    st, _, a = server.request("GET", "/api/v1/enterprises/%s/policies?explain=compact"
                              % DEMO_CODE, token=tokens["enterprise"])
    c = [x for x in a["items"] if x["policy_id"] == export["id"]][0]
    assert c["outcome"] == "possibly_eligible" and c["to_verify"] is True
    # A 免申即享 run pays nothing for either.
    for p in (tax, export):
        r = run(server, tokens["officer"], p["id"])
        assert r["state"] == "done", r
        assert server.sql("SELECT COUNT(*) FROM grants WHERE policy_id = %s AND credit_code = '%s'"
                          % (p["id"], DEMO_CODE)) == [("0",)]
    # Once the commerce department confirms the value, the enterprise is eligible.
    st, _, f = put_facts(server, tokens["admin"], [{"fact": "export_value", "value": 200 * W}])
    assert st == 200, f
    it = outcome(server, tokens["enterprise"], export["id"])
    assert it["outcome"] == "eligible" and it["to_verify"] is False
    r = run(server, tokens["officer"], export["id"])
    assert server.sql("SELECT COUNT(*) FROM grants WHERE policy_id = %s AND credit_code = '%s'"
                      % (export["id"], DEMO_CODE)) == [("1",)]


# ---- item 9: authoritative values come from each fact's source department ---------------------


def test_only_source_department_records_authoritative(server, tokens):
    st, _, cat = server.request("GET", "/api/v1/facts")
    src = {f["name"]: f["source_org"] for f in cat["facts"]}
    assert src["tax_credit_rating"] == "340800-SWJG" and src["employees"] == "340800-RSJ"
    before = server.sql("SELECT COUNT(*) FROM enterprise_facts")
    # The supervisor (督查室) may not set the tax credit rating; nor the 人社局 officer.
    for tok in ("supervisor", "rsj_officer"):
        assert_error(put_facts(server, tokens[tok], [
            {"fact": "tax_credit_rating", "value": "D", "as_of": "2025-12-31"}]),
            403, "forbidden", "facts[0].status", "安庆市税务局")
    assert_error(put_facts(server, tokens["supervisor"], [
        {"fact": "employees", "value": 5}, {"fact": "tax_credit_rating", "value": "D",
                                            "status": "authoritative"}]),
        403, "forbidden", "facts[0].status", "安庆市人力资源和社会保障局")
    assert server.sql("SELECT COUNT(*) FROM enterprise_facts") == before
    # The tax bureau's user may; the 人社局 records its own facts; anyone may self-declare.
    st, _, f = put_facts(server, tokens["swj_clerk"], [
        {"fact": "tax_credit_rating", "value": "B", "as_of": "2025-12-31"}])
    assert st == 200, f
    cur = {i["fact"]: i for i in f["items"]}["tax_credit_rating"]
    assert cur["value"] == "B" and cur["status"] == "authoritative"
    assert cur["source"] == "安庆市税务局"
    st, _, f = put_facts(server, tokens["rsj_officer"], [{"fact": "employees", "value": 40}])
    assert st == 200, f
    st, _, f = put_facts(server, tokens["supervisor"], [
        {"fact": "employees", "value": 41, "status": "self_declared"}])
    assert st == 200, f
    # Admins (and their imports) may record any fact.
    st, _, f = put_facts(server, tokens["admin"], [
        {"fact": "tax_credit_rating", "value": "A", "as_of": "2025-12-31"}])
    assert st == 200, f
