# SPDX-License-Identifier: Apache-2.0
"""
免申即享 runs, grants, 即申即享 / 申报审批 applications and policy statistics (issue 5
items 5 and 6), on both backends: eligibility is checked against facts set here, every
refused action is checked to change nothing, and the audit chain must verify.
"""
import signal
import subprocess
import time

import pytest

from conftest import QIFU_BIN, assert_error, credit_check_digit, qifu_env

DEMO_CODE = "91340100131860916Y"  # the demo enterprise user's own enterprise (340811)
WAN = 1000000  # 1 万元 in fen


def code(n):
    base = "91340800MA2T%05d" % n
    return base + credit_check_digit(base)


# revenue in 万元 of each enterprise; >= 100 万元 is eligible for the 免申即享 policy
ENTS = {code(1): ("340811", 150), code(2): ("340822", 300), code(3): ("340822", 50),
        code(4): ("340811", None)}


@pytest.fixture(scope="module")
def tok(server):
    return make_tokens(server)


def make_tokens(server):
    """Logs in the demo users and creates the test enterprises, their facts, ent2 and
    officer2 (a department that issues no policy) on server."""
    t = {u: server.login(u) for u in ["admin", "supervisor", "officer", "enterprise"]}
    adm = t["admin"]
    for c, (region, _) in ENTS.items():
        st, _, d = server.request("POST", "/api/v1/enterprises", {
            "credit_code": c, "name": "安庆市测试企业%s有限公司" % c[-3:], "region": region,
            "industry": "3491", "founded": "2015-01-01", "scale": "small"}, token=adm)
        assert st == 201, d
    facts = [(c, rev) for c, (_, rev) in ENTS.items() if rev is not None] + [(DEMO_CODE, 200)]
    for c, rev in facts:
        st, _, d = server.request("PUT", "/api/v1/enterprises/%s/facts" % c, {"facts": [
            {"fact": "revenue", "value": rev * WAN, "as_of": "2025-12-31"}]}, token=adm)
        assert st == 200, d
    for name, body in [("ent2", {"role": "enterprise", "credit_code": code(2)}),
                       ("officer2", {"role": "policy_officer", "org": "340800-FGW"})]:
        body.update({"username": name, "password": "Grants-Test-Pass-1"})
        st, _, d = server.request("POST", "/api/v1/users", body, token=adm)
        assert st == 201, d
        t[name] = server.login(name, "Grants-Test-Pass-1")
    return t


def make_policy(server, token, delivery, conditions, amount, title):
    st, _, d = server.request("POST", "/api/v1/policies", {
        "title": title, "delivery": delivery, "region_scope": ["3408"],
        "valid_from": "2020-01-01", "valid_to": "2099-12-31",
        "rules": {"conditions": conditions, "amount": amount}}, token=token)
    assert st == 201, d
    pid = d["id"]
    st, _, d = server.request("POST", "/api/v1/policies/%s/actions" % pid,
                              {"action": "publish"}, token=token)
    assert st == 200, d
    return pid


REV = {"fact": "revenue", "op": "ge", "value": 100 * WAN}
RATE = {"rate": "0.01", "base": "revenue", "cap": 25000000}


@pytest.fixture(scope="module")
def mian(server, tok):
    return make_policy(server, tok["officer"], "mian_shen", {"all": [REV]}, RATE,
                       "规上企业营收奖励（测试）")


def run(server, token, pid):
    st, _, r = server.request("POST", "/api/v1/policies/%s/runs" % pid, token=token)
    assert st == 202, r
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        st, _, r = server.request("GET", "/api/v1/policies/%s/runs/%s" % (pid, r["id"]),
                                  token=token)
        assert st == 200, r
        if r["state"] in ("done", "failed"):
            return r
        time.sleep(0.1)
    raise AssertionError("run did not finish: %s" % r)


def grants(server, token, pid):
    return {g["credit_code"]: g for g in
            server.list_all("/api/v1/grants?policy_id=%s" % pid, token)}


def expected_amount(rev_wan):
    return min(rev_wan * WAN // 100, 25000000)


def test_mian_shen_run_creates_grants_for_exactly_the_eligible(server, tok, mian):
    r = run(server, tok["officer"], mian)
    assert r["state"] == "done", r
    eligible = {c: rev for c, (_, rev) in ENTS.items() if rev is not None and rev >= 100}
    eligible[DEMO_CODE] = 200
    got = grants(server, tok["admin"], mian)
    assert set(got) == set(eligible)
    for c, rev in eligible.items():
        assert got[c]["amount"] == expected_amount(rev), got[c]
        assert got[c]["state"] == "matched" and got[c]["run_id"] == r["id"]
        assert got[c]["policy_version"] == 1
    s = r["summary"]
    assert s["count"] == len(eligible) and s["created"] == len(eligible)
    assert s["amount_total"] == sum(expected_amount(v) for v in eligible.values())
    regions = {x["region"]: x for x in s["by_region"]}
    assert regions["340822"]["count"] == 1 and regions["340822"]["amount"] == expected_amount(300)
    assert regions["340811"]["count"] == 2
    assert r["done"] == r["total"] and r["total"] >= 5
    # the enterprise got a notice
    st, _, n = server.request("GET", "/api/v1/notices", token=tok["enterprise"])
    assert any(x["kind"] == "grant_matched" for x in n["items"]), n


def test_rerun_is_idempotent_and_updates_unconfirmed_amounts(server, tok, mian):
    before = grants(server, tok["admin"], mian)
    r = run(server, tok["officer"], mian)
    assert r["summary"]["created"] == 0 and r["summary"]["updated"] == 0
    assert r["summary"]["unchanged"] == len(before)
    assert grants(server, tok["admin"], mian).keys() == before.keys()
    n = int(server.sql("SELECT COUNT(*) FROM grants WHERE policy_id = %s" % mian)[0][0])
    assert n == len(before)
    # a changed fact changes the amount of an unconfirmed grant (audited)
    st, _, d = server.request("PUT", "/api/v1/enterprises/%s/facts" % code(1), {"facts": [
        {"fact": "revenue", "value": 180 * WAN, "as_of": "2026-01-31"}]}, token=tok["admin"])
    assert st == 200, d
    r = run(server, tok["officer"], mian)
    assert r["summary"]["updated"] == 1, r
    g = grants(server, tok["admin"], mian)[code(1)]
    assert g["amount"] == expected_amount(180)
    st, _, a = server.request("GET", "/api/v1/audit?entity=grant&id=%s" % g["id"],
                              token=tok["admin"])
    assert [e["action"] for e in a["items"]][:2] == ["grant.amount", "grant.create"]


def test_grant_flow_and_illegal_transitions(server, tok, mian):
    g = grants(server, tok["enterprise"], mian)[DEMO_CODE]
    act = lambda who, body: server.request("POST", "/api/v1/grants/%s/actions" % g["id"], body,
                                           token=tok[who])
    snap = lambda: server.sql("SELECT state, version FROM grants WHERE id = %s" % g["id"])
    s0 = snap()
    assert_error(act("enterprise", {"action": "confirm"}), 409, "bad_state")
    assert_error(act("enterprise", {"action": "notify"}), 403, "forbidden")
    assert_error(act("officer2", {"action": "notify"}), 404, "not_found")
    assert_error(act("supervisor", {"action": "notify"}), 403, "forbidden")
    assert snap() == s0
    st, _, d = act("officer", {"action": "notify", "note": "请确认"})
    assert st == 200 and d["state"] == "notified", d
    st, _, d = act("enterprise", {"action": "confirm", "bank_name": "中国银行安庆分行",
                                  "bank_account": "6216600000001234", "account_name": "示例"})
    assert st == 200 and d["state"] == "confirmed", d
    assert d["bank"]["bank_account"] == "6216600000001234"
    s1 = snap()
    assert_error(act("officer", {"action": "pay", "amount": g["amount"] + 1,
                                 "paid_on": "2026-03-01"}), 400, "invalid", field="reason")
    assert_error(act("enterprise", {"action": "pay", "amount": 1, "paid_on": "2026-03-01"}),
                 403, "forbidden")
    assert snap() == s1
    st, _, d = act("officer", {"action": "pay", "amount": g["amount"], "paid_on": "2026-03-01"})
    assert st == 200 and d["state"] == "paid" and d["paid_amount"] == g["amount"], d
    assert_error(act("officer", {"action": "pay", "amount": 1, "paid_on": "2026-03-01"}),
                 409, "bad_state")
    # a paid grant is never touched by a re-run
    r = run(server, tok["officer"], mian)
    assert r["summary"]["locked"] >= 1
    assert grants(server, tok["admin"], mian)[DEMO_CODE]["state"] == "paid"


def test_grant_actions_and_timeline_come_from_its_table(server, tok, mian):
    """Issue 15: the grant's workflow is a table (src/flow): its buttons, its timeline and its
    labels are read from it; a notice about a grant is keyed by the grant."""
    g = grants(server, tok["admin"], mian)[code(1)]
    path = "/api/v1/grants/%s" % g["id"]
    notify = {"action": "notify", "label": "告知企业", "note_required": False}
    st, _, a = server.request("GET", path + "/actions", token=tok["officer"])
    assert st == 200 and a["items"] == [notify], a
    assert server.request("GET", path, token=tok["officer"])[2]["actions"] == [notify]
    st, _, a = server.request("GET", path + "/actions", token=tok["supervisor"])
    assert st == 200 and a["items"] == [], a
    for what in ("/actions", "/timeline"):
        assert_error(server.request("GET", path + what, token=tok["officer2"]), 404, "not_found")
        assert_error(server.request("GET", path + what, token=tok["ent2"]), 404, "not_found")
    st, _, d = server.request("POST", path + "/actions", {"action": "notify", "note": "请确认"},
                              token=tok["officer"])
    assert st == 200 and d["state"] == "notified", d
    st, _, t = server.request("GET", path + "/timeline", token=tok["supervisor"])
    assert st == 200, t
    assert [(e["action"], e["label"], e["from_state"], e["to_state"]) for e in t["items"]] == [
        ("create", "生成兑现记录", None, "matched"), ("amount", "金额变更", "matched", "matched"),
        ("notify", "告知企业", "matched", "notified")], t
    assert t["items"][-1]["note"] == "请确认" and t["items"][-1]["to_state_label"] == "已告知"
    assert t["items"][-1]["data"] == {"state": "notified"}
    rows = server.sql("SELECT credit_code, title FROM notices WHERE entity = 'grant' AND "
                      "entity_id = %s AND kind = 'grant_notified'" % g["id"])
    assert rows == [(code(1), "告知企业：规上企业营收奖励（测试）")], rows
    st, _, labels = server.request("GET", "/api/v1/labels", token=tok["officer"])
    assert labels["grant"]["actions"] == {"notify": "告知企业", "confirm": "确认享受",
                                          "decline": "放弃享受", "pay": "拨付"}
    assert labels["grant"]["states"]["declined"] == "已放弃"
    assert labels["grant"]["events"]["create"] == "生成兑现记录"


def test_grant_scoping(server, tok, mian):
    mine = server.list_all("/api/v1/grants", tok["enterprise"])
    assert mine and {g["credit_code"] for g in mine} == {DEMO_CODE}
    other = server.list_all("/api/v1/grants", tok["ent2"])
    assert {g["credit_code"] for g in other} == {code(2)}
    assert_error(server.request("GET", "/api/v1/grants/%s" % mine[0]["id"], token=tok["ent2"]),
                 404, "not_found")
    assert server.list_all("/api/v1/grants", tok["officer2"]) == []
    assert len(server.list_all("/api/v1/grants", tok["supervisor"])) >= 3
    # runs: only the issuing department's officers start them, and read them
    assert_error(server.request("POST", "/api/v1/policies/%s/runs" % mian, token=tok["officer2"]),
                 403, "forbidden")
    assert_error(server.request("GET", "/api/v1/policies/%s/runs" % mian, token=tok["officer2"]),
                 403, "forbidden")
    runs = server.request("GET", "/api/v1/policies/%s/runs" % mian, token=tok["officer"])[2]["items"]
    assert runs and all(isinstance(r["id"], str) and r["policy_id"] == mian for r in runs)
    assert_error(server.request("GET", "/api/v1/policies/%s/runs/%s" % (mian, runs[0]["id"]),
                                token=tok["officer2"]), 403, "forbidden")
    assert_error(server.request("GET", "/api/v1/policies/%s/runs" % mian, token=tok["enterprise"]),
                 403, "forbidden")
    # another department's draft does not exist for this officer, nor for enterprises
    st, _, d = server.request("POST", "/api/v1/policies", {
        "title": "草稿（发改委）", "delivery": "mian_shen", "region_scope": ["3408"],
        "rules": {"conditions": {"all": [REV]}, "amount": {"fixed": 1}}}, token=tok["officer2"])
    assert st == 201, d
    assert_error(server.request("POST", "/api/v1/policies/%s/runs" % d["id"], token=tok["officer"]),
                 404, "not_found")
    assert_error(server.request("GET", "/api/v1/policies/%s/runs" % d["id"],
                                token=tok["supervisor"]), 404, "not_found")
    assert_error(server.request("GET", "/api/v1/policies/%s/application-form" % d["id"],
                                token=tok["enterprise"]), 404, "not_found")
    assert_error(server.request("POST", "/api/v1/applications", {"policy_id": d["id"]},
                                token=tok["enterprise"]), 404, "not_found")


def test_grants_keep_the_version_they_were_decided_under(server, tok):
    off = tok["officer"]
    pid = make_policy(server, off, "mian_shen", {"all": [REV]}, {"fixed": 100000},
                      "版本留痕测试政策（免申即享）")
    r = run(server, off, pid)
    assert r["state"] == "done", r
    g1 = grants(server, tok["admin"], pid)
    assert g1 and all(g["policy_version"] == 1 and g["amount"] == 100000 for g in g1.values())
    # ent2 confirms its grant: it is then never touched again.
    gid = g1[code(2)]["id"]
    assert server.request("POST", "/api/v1/grants/%s/actions" % gid, {"action": "notify"},
                          token=off)[0] == 200
    assert server.request("POST", "/api/v1/grants/%s/actions" % gid, {"action": "confirm"},
                          token=tok["ent2"])[0] == 200
    g1 = grants(server, tok["admin"], pid)
    # Version 2 doubles the amount. Publishing alone changes no grant.
    path = "/api/v1/policies/%s" % pid
    assert server.request("POST", path + "/actions", {"action": "new_version"}, token=off)[0] == 200
    st, _, d = server.request("PATCH", path, {"rules": {"conditions": {"all": [REV]},
                                                        "amount": {"fixed": 200000}}}, token=off)
    assert st == 200, d
    st, _, d = server.request("POST", path + "/actions", {"action": "publish"}, token=off)
    assert st == 200 and d["version"] == 2, d
    assert grants(server, tok["admin"], pid) == g1
    # A new run decides under version 2: unconfirmed grants move to it, the confirmed one stays.
    r = run(server, off, pid)
    assert r["state"] == "done", r
    assert [p["version"] for p in r["summary"]["policies"] if p["policy_id"] == pid] == [2]
    g2 = grants(server, tok["admin"], pid)
    assert g2.keys() == g1.keys()
    for c, g in g2.items():
        if c == code(2):
            assert (g["policy_version"], g["amount"], g["state"]) == (1, 100000, "confirmed"), g
        else:
            assert (g["policy_version"], g["amount"], g["state"]) == (2, 200000, "matched"), g
    assert r["summary"]["locked"] == 1 and r["summary"]["updated"] == len(g1) - 1


def test_ji_shen_auto_approval_on_authoritative_facts(server, tok):
    pid = make_policy(server, tok["officer"], "ji_shen", {"all": [REV]}, {"fixed": 500000},
                      "即申即享测试政策（权威数据）")
    st, _, f = server.request("GET", "/api/v1/policies/%s/application-form" % pid,
                              token=tok["enterprise"])
    assert st == 200, f
    assert "revenue" in [x["fact"] for x in f["present"]] and f["missing"] == []
    assert f["evaluation"]["outcome"] == "eligible"
    st, _, a = server.request("POST", "/api/v1/applications", {"policy_id": pid},
                              token=tok["enterprise"])
    assert st == 201, a
    assert a["state"] == "approved" and a["auto"] is True and a["grant_id"], a
    st, _, g = server.request("GET", "/api/v1/grants/%s" % a["grant_id"], token=tok["enterprise"])
    assert g["state"] == "confirmed" and g["amount"] == 500000 and g["application_id"] == a["id"]
    assert_error(server.request("POST", "/api/v1/applications", {"policy_id": pid},
                                token=tok["enterprise"]), 409, "exists")


def test_self_declared_facts_go_to_review(server, tok):
    emp = {"fact": "employees", "op": "ge", "value": 10}
    pid = make_policy(server, tok["officer"], "ji_shen", {"all": [REV, emp]}, {"fixed": 300000},
                      "即申即享测试政策（需自报）")
    st, _, f = server.request("GET", "/api/v1/policies/%s/application-form" % pid,
                              token=tok["enterprise"])
    assert [x["fact"] for x in f["missing"]] == ["employees"], f
    assert_error(server.request("POST", "/api/v1/applications",
                                {"policy_id": pid, "facts": {"tax_paid": 5}},
                                token=tok["enterprise"]), 400, "invalid", field="facts.tax_paid")
    st, _, a = server.request("POST", "/api/v1/applications",
                              {"policy_id": pid, "facts": {"employees": 25}},
                              token=tok["enterprise"])
    assert st == 201 and a["state"] == "submitted" and a["grant_id"] is None, a
    assert a["outcome"]["outcome"] == "eligible" and a["outcome"]["authoritative"] is False
    rows = server.sql("SELECT status FROM enterprise_facts WHERE credit_code = '%s' AND fact = "
                      "'employees'" % DEMO_CODE)
    assert rows == [("self_declared",)]
    act = lambda who, body: server.request("POST", "/api/v1/applications/%s/actions" % a["id"],
                                           body, token=tok[who])
    assert_error(act("officer", {"action": "reject"}), 400, "invalid", field="reason")
    assert_error(act("enterprise", {"action": "approve"}), 403, "forbidden")
    assert_error(act("officer", {"action": "resubmit"}), 403, "forbidden")
    st, _, d = act("officer", {"action": "request_info", "reason": "请上传社保缴费证明"})
    assert st == 200 and d["state"] == "more_info", d
    assert_error(act("officer", {"action": "approve"}), 409, "bad_state")
    st, _, d = act("enterprise", {"action": "resubmit", "facts": {"employees": 30}})
    assert st == 200 and d["state"] == "submitted", d
    # the review queue of the department; other enterprises and departments see nothing
    q = server.list_all("/api/v1/applications?state=submitted", tok["officer"])
    assert a["id"] in [x["id"] for x in q]
    assert server.list_all("/api/v1/applications", tok["officer2"]) == []
    assert server.list_all("/api/v1/applications", tok["ent2"]) == []
    st, _, d = act("officer", {"action": "approve"})
    assert st == 200 and d["state"] == "approved" and d["auto"] is False and d["grant_id"], d
    st, _, g = server.request("GET", "/api/v1/grants/%s" % d["grant_id"], token=tok["officer"])
    assert g["state"] == "confirmed" and g["amount"] == 300000 and g["policy_version"] == 1


def test_reject_with_reason(server, tok):
    pid = make_policy(server, tok["officer"], "shen_bao", {"all": [REV]}, {"fixed": 100000},
                      "申报审批测试政策")
    # Ids are strings in JSON; an integer is accepted on input too.
    st, _, a = server.request("POST", "/api/v1/applications", {"policy_id": int(pid)},
                              token=tok["ent2"])
    assert st == 201 and a["state"] == "submitted", a  # 申报审批 is always reviewed
    assert a["policy_id"] == pid and isinstance(a["id"], str)
    st, _, d = server.request("POST", "/api/v1/applications/%s/actions" % a["id"],
                              {"action": "reject", "reason": "材料不全"}, token=tok["officer"])
    assert st == 200 and d["state"] == "rejected" and d["reason"] == "材料不全", d
    assert d["grant_id"] is None


def test_stats_and_csv(make_server):
    """Counts only what it makes on a server of its own: the 免申即享 policy's grants, one
    of them paid, two approved applications (at once and after review) and a rejected one."""
    server = make_server()
    tok = make_tokens(server)
    mian = make_policy(server, tok["officer"], "mian_shen", {"all": [REV]}, RATE,
                       "规上企业营收奖励（统计测试）")
    assert run(server, tok["officer"], mian)["state"] == "done"
    g = grants(server, tok["admin"], mian)[DEMO_CODE]
    act = lambda who, body: server.request("POST", "/api/v1/grants/%s/actions" % g["id"], body,
                                           token=tok[who])
    for who, body in [("officer", {"action": "notify"}), ("enterprise", {"action": "confirm"}),
                      ("officer", {"action": "pay", "amount": g["amount"],
                                   "paid_on": "2026-03-01"})]:
        st, _, d = act(who, body)
        assert st == 200, d
    ji = make_policy(server, tok["officer"], "ji_shen", {"all": [REV]}, {"fixed": 500000},
                     "即申即享统计测试政策")
    st, _, a = server.request("POST", "/api/v1/applications", {"policy_id": ji},
                              token=tok["enterprise"])
    assert st == 201 and a["state"] == "approved", a
    sb = make_policy(server, tok["officer"], "shen_bao", {"all": [REV]}, {"fixed": 100000},
                     "申报审批统计测试政策")
    for who, decision in [("ent2", {"action": "approve"}),
                          ("enterprise", {"action": "reject", "reason": "材料不全"})]:
        st, _, a = server.request("POST", "/api/v1/applications", {"policy_id": sb},
                                  token=tok[who])
        assert st == 201 and a["state"] == "submitted", a
        st, _, d = server.request("POST", "/api/v1/applications/%s/actions" % a["id"], decision,
                                  token=tok["officer"])
        assert st == 200, d

    st, _, s = server.request("GET", "/api/v1/stats/policies", token=tok["officer"])
    assert st == 200, s
    by = {x["policy_id"]: x for x in s["by_policy"]}
    m = by[str(mian)]
    gs = grants(server, tok["admin"], mian)
    assert m["matched"] == len(gs)
    assert m["paid"] == 1 and m["paid_amount"] == gs[DEMO_CODE]["paid_amount"]
    assert m["amount"] == sum(g["amount"] for g in gs.values())
    assert s["total"]["applications"]["approved"] == 2
    assert s["total"]["applications"]["rejected"] == 1
    assert [o["org"] for o in s["by_org"]] == ["340800-JXJ"]
    st, _, s2 = server.request("GET", "/api/v1/stats/policies", token=tok["officer2"])
    assert s2["by_policy"] == []
    assert_error(server.request("GET", "/api/v1/stats/policies", token=tok["enterprise"]),
                 403, "forbidden")
    st, h, text = server.request("GET", "/api/v1/stats/policies?format=csv&by=region",
                                 token=tok["supervisor"])
    assert st == 200 and h["Content-Type"].startswith("text/csv"), text
    lines = text.lstrip("\ufeff").strip().split("\r\n")
    assert lines[0].startswith("行政区划,名称,匹配/核定笔数")
    assert lines[-1].startswith("合计,")


def test_application_actions_timeline_and_notices_come_from_its_table(server, tok):
    """Issue 15: the application's workflow is a table (src/flow); its buttons, its timeline
    and its labels are read from it, and notices about it are keyed by it."""
    pid = make_policy(server, tok["officer"], "shen_bao", {"all": [REV]}, {"fixed": 200000},
                      "申报审批测试政策（流程表）")
    st, _, a = server.request("POST", "/api/v1/applications", {"policy_id": pid},
                              token=tok["ent2"])
    assert st == 201 and a["state"] == "submitted", a
    path = "/api/v1/applications/%s" % a["id"]
    st, _, x = server.request("GET", path + "/actions", token=tok["officer"])
    assert st == 200 and [i["action"] for i in x["items"]] == ["approve", "reject",
                                                               "request_info"], x
    assert server.request("GET", path, token=tok["officer"])[2]["actions"] == x["items"]
    st, _, x = server.request("GET", path + "/actions", token=tok["ent2"])
    assert x["items"] == [{"action": "withdraw", "label": "撤回申请", "note_required": False}]
    for what in ("/actions", "/timeline"):
        assert_error(server.request("GET", path + what, token=tok["officer2"]), 404, "not_found")
        assert_error(server.request("GET", path + what, token=tok["enterprise"]), 404,
                     "not_found")
    act = lambda who, body: server.request("POST", path + "/actions", body, token=tok[who])
    st, _, d = act("officer", {"action": "request_info", "reason": "请补充纳税证明"})
    assert st == 200 and d["state"] == "more_info", d
    st, _, d = act("ent2", {"action": "resubmit"})
    assert st == 200 and d["state"] == "submitted", d
    st, _, d = act("officer", {"action": "approve", "amount": 150000})
    assert st == 200 and d["state"] == "approved" and d["grant_id"], d
    st, _, t = server.request("GET", path + "/timeline", token=tok["ent2"])
    assert st == 200, t
    assert [(e["action"], e["label"], e["from_state"], e["to_state"]) for e in t["items"]] == [
        ("submit", "提交申请", None, "submitted"),
        ("request_info", "要求补充材料", "submitted", "more_info"),
        ("resubmit", "重新提交", "more_info", "submitted"),
        ("approve", "审核通过", "submitted", "approved")], t
    assert t["items"][1]["note"] == "请补充纳税证明"
    rows = server.sql("SELECT kind, COALESCE(credit_code, '-') FROM notices WHERE entity = "
                      "'application' AND entity_id = %s ORDER BY id" % a["id"])
    assert rows == [("application_submitted", "-"), ("application_decided", code(2)),
                    ("application_submitted", "-")], rows
    st, _, n = server.request("GET", "/api/v1/notices", token=tok["ent2"])
    mine = [i["kind"] for i in n["items"]
            if i.get("entity") == "application" and i["entity_id"] == a["id"]]
    assert mine == ["application_decided"], n
    st, _, labels = server.request("GET", "/api/v1/labels", token=tok["ent2"])
    assert labels["application"]["states"]["more_info"] == "待补充材料"
    assert labels["application"]["events"]["auto_approve"] == "自动审核通过"
    audit = [r[0] for r in server.sql("SELECT action FROM audit WHERE entity = 'application' AND "
                                      "entity_id = '%s' ORDER BY seq" % a["id"])]
    assert audit == ["application.submit", "application.request_info", "application.resubmit",
                     "application.approve"], audit


def test_cli_match_and_audit_verify(server, tok, mian):
    p = server.cli("match", "--policy", str(mian), "--dry-run")
    assert "dry run" in p.stdout and '"created": 0' in p.stdout, p.stdout
    p = server.cli("match", "--all")
    assert "run" in p.stdout
    # Progress goes to stderr, a line per phase when it is not a terminal.
    assert "match: evaluate" in p.stderr and "match: write" in p.stderr, p.stderr
    assert server.cli("match", check=False).returncode == 2
    p = server.cli("audit", "verify")
    assert p.returncode == 0


# ---- a run cut off by a kill or a stop is resumed from its checkpoint ------------------

N_BIG = 20000  # enterprises: enough that a run is still writing grants when it is stopped
LEASE = ["--lease-ms", "1500"]  # a killed process's run is taken over 1.5 s after its last beat


def start_and_catch_writing(s, token, pid):
    """Starts a run and returns it as soon as it has committed its first chunk of grants."""
    st, _, r = s.request("POST", "/api/v1/policies/%s/runs" % pid, token=token)
    assert st == 202, r
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        st, _, r = s.request("GET", "/api/v1/policies/%s/runs/%s" % (pid, r["id"]), token=token)
        assert st == 200, r
        assert r["state"] != "done", "the run finished before it could be stopped: %s" % r
        if r["state"] == "running" and r["done"] > 0:
            return r
        time.sleep(0.01)
    raise AssertionError("the run never started writing: %s" % r)


def long_cli(s, *args):
    """`qifu ARGS` on s's database with a timeout for big data sets: generating and importing
    the enterprises, or verifying their audit chain, may take longer than the CLI's usual
    timeout on a busy machine with PostgreSQL."""
    p = subprocess.run([QIFU_BIN] + list(args) + ["--db", s.db_url], capture_output=True,
                       text=True, timeout=300, env=qifu_env(), cwd=s.tmp)
    assert p.returncode == 0, p.stdout + p.stderr
    return p


def wait_done(s, pid, rid, seen_done=None):
    """Polls run rid until it ends; seen_done collects every progress read (it must never
    go back)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        st, _, r = s.request("GET", "/api/v1/policies/%s/runs/%s" % (pid, rid),
                             token=s.login("officer"))
        assert st == 200, r
        if seen_done is not None:
            seen_done.append(r["done"])
        if r["state"] in ("done", "failed"):
            return r
        time.sleep(0.1)
    raise AssertionError("run %s did not finish: %s" % (rid, r))


def test_run_cut_off_by_a_kill_or_a_stop_is_resumed(make_server):
    s = make_server(extra=LEASE)
    long_cli(s, "demo", "--enterprises", str(N_BIG), "--seed", "11")
    officer = s.login("officer")
    rule = {"all": [{"fact": "founded", "op": "exists", "label": "已登记成立日期"}]}
    pid = make_policy(s, officer, "mian_shen", rule, {"fixed": 100000}, "全员免申即享测试政策")
    pid2 = make_policy(s, officer, "mian_shen", rule, {"fixed": 100000}, "全员免申即享测试政策二")
    count_grants = lambda p: int(s.sql("SELECT COUNT(*) FROM grants WHERE policy_id = %s" % p)[0][0])

    # SIGKILL while writing: the row stays "running" with its checkpoint; the next process
    # takes it over once the lease expired and resumes after the last committed chunk.
    r1 = start_and_catch_writing(s, officer, pid)
    s.proc.kill()
    s.proc.wait(timeout=10)
    s.exit_status = s.proc.returncode
    partial = count_grants(pid)
    assert 0 < partial < r1["total"]
    s._start(LEASE)
    seen = [r1["done"]]
    done1 = wait_done(s, pid, r1["id"], seen)
    assert seen == sorted(seen), "progress went back: %s" % seen
    assert done1["state"] == "done" and done1["resumed"] == 1, done1
    assert done1["done"] == done1["total"]
    assert "taken over by" in s.log_text() and "resumed by" in s.log_text()

    # SIGTERM while writing: the server stops cleanly after the chunk in progress and
    # releases the run, which the next start resumes at once.
    r2 = start_and_catch_writing(s, s.login("officer"), pid2)
    s.signal(signal.SIGTERM)
    assert s.wait_exit() == 0, s.log_tail()
    assert "released for another process" in s.log_text()
    stopped = s.sql("SELECT state FROM policy_runs WHERE id = %s" % r2["id"])
    assert stopped == [("running",)], stopped
    assert s.sql("SELECT COALESCE(owner, '-'), lease_until FROM jobs WHERE name = "
                 "'policy_run:%s'" % r2["id"]) == [("-", "0")]
    s._start(LEASE)
    done2 = wait_done(s, pid2, r2["id"])
    assert done2["state"] == "done" and done2["resumed"] == 1, done2

    # Each ends with the summary of a run never interrupted: every grant created once.
    for p, r in ((pid, done1), (pid2, done2)):
        summary = r["summary"]
        assert summary["created"] == summary["count"] == r["count"], summary
        assert summary["unchanged"] == summary["updated"] == 0, summary
        assert count_grants(p) == summary["count"]
        dup = s.sql("SELECT COUNT(*) FROM (SELECT credit_code FROM grants WHERE policy_id = %s "
                    "GROUP BY credit_code HAVING COUNT(*) > 1) d" % p)
        assert dup[0][0] == "0"
    strip = lambda x: {k: v for k, v in x.items() if k != "policies"}
    assert strip(done1["summary"]) == strip(done2["summary"])
    assert s.sql("SELECT COUNT(*) FROM jobs WHERE kind = 'policy_run'") == [("0",)]
    long_cli(s, "audit", "verify")
