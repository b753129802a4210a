# SPDX-License-Identifier: Apache-2.0
"""
Bulk work (issue 17 item 6), on both backends: POST /api/v1/demands/bulk and
/api/v1/grants/bulk run one action on many records, each through the record's own flow
(the same checks, one event, one audit row and the notices per record, each in its own
transaction), and answer per record; POST /api/v1/grants:bank-results applies a bank's
result file line by line as the grant's 拨付.
"""
import pytest

from conftest import assert_error
from demand_steps import JXJ, Flow
from test_grants import DEMO_CODE, REV, RATE, code, make_policy, make_tokens, run


@pytest.fixture(scope="module")
def flow(server):
    return Flow(server)


def bulk(server, token, action, ids, body=None, what="demands"):
    payload = {"action": action, "ids": [str(i) for i in ids]}
    if body is not None:
        payload["body"] = body
    return server.request("POST", "/api/v1/%s/bulk" % what, payload, token=token)


def audit_rows(server, action, entity, eid):
    return int(server.sql("SELECT COUNT(*) FROM audit WHERE action = '%s' AND entity = '%s' "
                          "AND entity_id = '%s'" % (action, entity, eid))[0][0])


def by_id(report):
    return {x["id"]: x for x in report["items"]}


def test_bulk_accept_reports_each_record_and_audits_each_once(server, flow):
    a, b, c = (flow.submit("批量受理%d" % i) for i in range(3))
    flow.act("clerk", b, "accept")  # b is no longer submitted
    st, _, r = bulk(server, flow.tok["clerk"], "accept", [a, b, c, 999999])
    assert st == 200, r
    assert (r["total"], r["succeeded"], r["failed"]) == (4, 2, 2), r
    items = by_id(r)
    assert [x["id"] for x in r["items"]] == [a, b, c, "999999"]  # in the order given
    assert items[a]["ok"] and items[c]["ok"]
    assert items[b] == {"id": b, "ok": False, "code": "bad_state", "field": "action",
                        "message": "诉求当前状态为“已受理”，不能执行“受理”"}
    assert items["999999"]["code"] == "not_found" and not items["999999"]["ok"]
    for did in (a, b, c):
        assert audit_rows(server, "demand.accept", "demand", did) == 1
        _, _, d = server.request("GET", "/api/v1/demands/%s" % did, token=flow.tok["clerk"])
        assert d["state"] == "accepted"
    _, _, tl = server.request("GET", "/api/v1/demands/%s/timeline" % a, token=flow.tok["clerk"])
    assert [e["action"] for e in tl["items"]] == ["submit", "accept"]


def test_bulk_dispatch_to_one_lead_notifies_it_per_demand(server, flow):
    a, b = flow.submit("批量交办甲"), flow.submit("批量交办乙")
    flow.act("clerk", a, "accept")
    flow.act("clerk", b, "accept")
    n = flow.submit("未受理不能交办")
    st, _, r = bulk(server, flow.tok["clerk"], "dispatch", [a, n, b], {"lead": JXJ})
    assert st == 200 and r["succeeded"] == 2, r
    assert by_id(r)[n]["code"] == "bad_state"
    jxj = server.sql("SELECT id FROM orgs WHERE code = '%s'" % JXJ)[0][0]
    for did in (a, b):
        assert audit_rows(server, "demand.dispatch", "demand", did) == 1
        assert server.sql("SELECT COUNT(*) FROM notices WHERE entity = 'demand' AND entity_id = "
                          "%s AND kind = 'dispatched' AND org_id = %s" % (did, jxj))[0][0] == "1"
    assert audit_rows(server, "demand.dispatch", "demand", n) == 0
    # The dispatch's own checks hold per record: a lead outside the clerk's scope is refused
    # for each, naming the field, and nothing is written.
    c = flow.submit("批量交办丙")
    flow.act("clerk", c, "accept")
    st, _, r = bulk(server, flow.tok["clerk"], "dispatch", [c], {"lead": "990000-XX"})
    assert st == 200 and r["items"][0]["field"] == "lead" and r["items"][0]["code"] == "invalid"


def test_bulk_urge_by_oversight_and_refusals_by_relation(server, flow):
    a, b = flow.dispatched("批量督办甲"), flow.dispatched("批量督办乙")
    done = flow.replied("已答复的不能催办")
    st, _, r = bulk(server, flow.tok["supervisor"], "urge", [a, done, b], {"note": "请加快办理"})
    assert st == 200 and r["succeeded"] == 2 and by_id(r)[done]["code"] == "bad_state", r
    for did in (a, b):
        assert audit_rows(server, "demand.urge", "demand", did) == 1
        _, _, ns = server.request("GET", "/api/v1/notices?limit=200", token=flow.tok["handler"])
        assert any(x.get("demand_id") == did or str(x.get("entity_id")) == did
                   for x in ns["items"] if x["kind"] == "urge"), ns
    # The note the action requires is required for each record.
    st, _, r = bulk(server, flow.tok["supervisor"], "urge", [a])
    assert r["items"][0] == {"id": a, "ok": False, "code": "invalid", "field": "note",
                             "message": "“催办/督办”须填写说明"}
    # A handler is not the intake desk: each record is 403, nothing is accepted.
    s = flow.submit("承办单位不能受理")
    st, _, r = bulk(server, flow.tok["handler"], "accept", [s])
    assert st == 200 and r["items"][0]["code"] in ("forbidden", "not_found"), r
    assert audit_rows(server, "demand.accept", "demand", s) == 0


def test_bulk_request_shape_and_bound(server, flow):
    tok = flow.tok["clerk"]
    assert_error(bulk(server, tok, "accept", []), 400, "invalid", "ids")
    assert_error(bulk(server, tok, "accept", list(range(1, 102))), 400, "invalid", "ids",
                 "一次最多处理 100 条")
    assert_error(bulk(server, tok, "accept", [5, 5]), 400, "invalid", "ids", "重复")
    st, _, r = bulk(server, tok, "fly", [5])
    assert st == 200 and r["items"][0]["code"] == "invalid" and r["items"][0]["field"] == "action"
    assert_error(server.request("POST", "/api/v1/demands/bulk", {"action": "accept",
                                "ids": ["x"]}, token=tok), 400, "invalid", "ids")
    assert_error(server.request("POST", "/api/v1/demands/bulk", {"action": "accept", "ids": [1],
                                "body": {"action": "decline"}}, token=tok), 400, "invalid", "body")
    assert_error(server.request("POST", "/api/v1/demands/bulk", {"action": "accept", "ids": [1],
                                "extra": 1}, token=tok), 400, "invalid")
    # The action's own fields are checked as for a single action.
    d = flow.submit("未知字段")
    st, _, r = bulk(server, tok, "accept", [d], {"colour": "red"})
    assert r["items"][0]["code"] == "invalid" and r["succeeded"] == 0


# ---- grants ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def granted(server):
    tok = make_tokens(server)
    pid = make_policy(server, tok["officer"], "mian_shen", {"all": [REV]}, RATE, "批量兑现测试")
    assert run(server, tok["officer"], pid)["state"] == "done"
    g = {x["credit_code"]: x["id"] for x in
         server.list_all("/api/v1/grants?policy_id=%s" % pid, tok["officer"])}
    assert set(g) == {code(1), code(2), DEMO_CODE}
    return tok, g


def test_bulk_notify_grants(server, granted):
    tok, g = granted
    ids = [g[code(1)], g[code(2)], g[DEMO_CODE]]
    # The enterprise may not 告知: each record refused, nothing written.
    st, _, r = bulk(server, tok["enterprise"], "notify", ids, what="grants")
    assert st == 200 and r["succeeded"] == 0, r
    assert {x["code"] for x in r["items"]} <= {"forbidden", "not_found"}
    st, _, r = bulk(server, tok["officer"], "notify", ids, {"note": "请确认"}, what="grants")
    assert st == 200 and r["succeeded"] == 3, r
    st, _, r = bulk(server, tok["officer"], "notify", [g[code(1)]], what="grants")
    assert r["items"][0]["code"] == "bad_state", r
    for i in ids:
        assert audit_rows(server, "grant.notify", "grant", i) == 1
        assert server.sql("SELECT COUNT(*) FROM notices WHERE entity = 'grant' AND entity_id = %s "
                          "AND kind = 'grant_notified'" % i)[0][0] == "1"


def bank(server, token, text):
    return server.request("POST", "/api/v1/grants:bank-results", token=token,
                          raw=text.encode("utf-8"), headers={"Content-Type": "text/csv"})


def test_bank_result_file_pays_line_by_line(server, granted):
    tok, g = granted
    if audit_rows(server, "grant.notify", "grant", g[code(2)]) == 0:
        bulk(server, tok["officer"], "notify", list(g.values()), what="grants")
    for who, gid in (("ent2", g[code(2)]), ("enterprise", g[DEMO_CODE])):
        st, _, d = server.request("POST", "/api/v1/grants/%s/actions" % gid,
                                  {"action": "confirm"}, token=tok[who])
        assert st == 200, d
    csv = ("兑现编号,实付金额（元）,拨付日期,结果,银行流水号,说明\n"
           "%s,\"30,000.00\",2026/12/01,成功,B001,\n"      # confirmed: paid
           "%s,20000,20261201,失败,B002,账户已销户\n"        # the bank failed
           "%s,10.00,2026-12-01,成功,B003,\n"               # notified, not confirmed
           "%s,abc,2026-12-01,成功,B004,\n"                 # a bad amount
           % (g[code(2)], g[DEMO_CODE], g[code(1)], g[DEMO_CODE]))
    # Two lines for one grant (line 3 and 5) are refused as a whole, before anything runs.
    assert_error(bank(server, tok["officer"], csv), 400, "invalid", "file", "同一条兑现记录")
    assert audit_rows(server, "grant.pay", "grant", g[code(2)]) == 0
    csv = csv.rsplit("\n", 2)[0] + "\n"
    st, _, r = bank(server, tok["officer"], csv)
    assert st == 200, r
    assert (r["total"], r["succeeded"], r["failed"]) == (3, 1, 2), r
    lines = {x["line"]: x for x in r["items"]}
    assert lines[2] == {"line": 2, "id": g[code(2)], "ok": True}
    assert lines[3]["code"] == "bank_failed" and "账户已销户" in lines[3]["message"]
    assert lines[4]["code"] == "bad_state" and "“已告知”" in lines[4]["message"], lines[4]
    _, _, d = server.request("GET", "/api/v1/grants/%s" % g[code(2)], token=tok["officer"])
    assert d["state"] == "paid" and d["paid_amount"] == 3000000 and d["paid_on"] == "2026-12-01"
    _, _, tl = server.request("GET", "/api/v1/grants/%s/timeline" % g[code(2)],
                              token=tok["officer"])
    assert tl["items"][-1]["action"] == "pay" and tl["items"][-1]["note"] == "银行流水号 B001"
    assert audit_rows(server, "grant.pay", "grant", g[code(2)]) == 1
    assert audit_rows(server, "grant.pay", "grant", g[DEMO_CODE]) == 0
    # The same file again pays nothing twice: the grant is paid already.
    st, _, r = bank(server, tok["officer"], csv)
    assert r["succeeded"] == 0 and {x["line"]: x for x in r["items"]}[2]["code"] == "bad_state"
    assert audit_rows(server, "grant.pay", "grant", g[code(2)]) == 1
    # Whole-file refusals: the header, the media type.
    assert_error(bank(server, tok["officer"], "编号,金额\n1,2\n"), 400, "invalid", "file")
    assert_error(server.request("POST", "/api/v1/grants:bank-results", token=tok["officer"],
                                raw=b"x"), 415, "unsupported_media_type")


def test_bank_result_xlsx_reads_as_the_csv(server, granted):
    """An .xlsx bank file (first sheet) goes through the same reader as the CSV and gives
    the same per-line report (issue 17 item 5 with item 6)."""
    from test_xlsx import make_xlsx
    tok, g = granted
    rows = [["兑现编号", "实付金额（元）", "拨付日期", "结果", "银行流水号", "说明"],
            [str(g[code(1)]), "10.00", "2026-12-01", "失败", "B009", "户名不符"],
            [str(g[DEMO_CODE]), "abc", "2026-12-01", "成功", "B010", ""]]
    csv = "".join(",".join(r) + "\n" for r in rows)
    st, _, by_csv = bank(server, tok["officer"], csv)
    assert st == 200 and by_csv["succeeded"] == 0 and by_csv["failed"] == 2, by_csv
    st, _, by_xlsx = server.request(
        "POST", "/api/v1/grants:bank-results", token=tok["officer"], raw=make_xlsx(rows),
        headers={"Content-Type":
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    assert st == 200 and by_xlsx == by_csv, (by_xlsx, by_csv)
