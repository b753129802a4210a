# SPDX-License-Identifier: Apache-2.0
"""
The enterprise's side of a demand and of an application (issue 17 item 7), on both
backends: 撤回 before acceptance only, 企业催办 only past the running deadline and once per
24 hours (on the test clock), 补充说明 (with an optional attachment) that the handler sees
and another enterprise does not, and the materials of a policy application, type-checked
as demand attachments are and visible to the applicant and the reviewer only.
"""
import urllib.parse

import pytest

from conftest import assert_error, fixed_instant, instant_ms, instant_text
from demand_steps import JXJ, Flow
from test_attachments import pdf_bytes
from test_grants import REV, code, make_policy, make_tokens

HOUR = 3600 * 1000


@pytest.fixture(scope="module")
def t0(server):
    """The module runs on the test clock, from a working Tuesday morning."""
    server.set_clock(fixed_instant())
    yield instant_ms(fixed_instant())
    server.set_clock(None)


@pytest.fixture(scope="module")
def tok(server, t0):
    return make_tokens(server)


@pytest.fixture(scope="module")
def flow(server, tok):
    return Flow(server)


def act(server, token, did, action, **params):
    return server.request("POST", "/api/v1/demands/%s/actions" % did,
                          dict(params, action=action), token=token)


def audit_rows(server, action, eid):
    return int(server.sql("SELECT COUNT(*) FROM audit WHERE action = '%s' AND entity_id = '%s'"
                          % (action, eid))[0][0])


def actions_of(server, token, did):
    st, _, d = server.request("GET", "/api/v1/demands/%s/actions" % did, token=token)
    assert st == 200, d
    return [a["action"] for a in (d["items"] if isinstance(d, dict) else d)]


def test_withdraw_before_acceptance_only(server, flow):
    did = flow.submit("撤回测试")
    assert "withdraw" in actions_of(server, flow.tok["enterprise"], did)
    assert_error(act(server, flow.tok["clerk"], did, "withdraw"), 403, "forbidden")
    st, _, d = act(server, flow.tok["enterprise"], did, "withdraw", note="问题已自行解决")
    assert st == 200 and d["state"] == "withdrawn" and d["state_label"] == "已撤回", d
    assert audit_rows(server, "demand.withdraw", did) == 1
    assert_error(act(server, flow.tok["clerk"], did, "accept"), 409, "bad_state")
    # Once accepted, the enterprise can no longer take it back.
    acc = flow.submit("已受理不能撤回")
    flow.act("clerk", acc, "accept")
    assert "withdraw" not in actions_of(server, flow.tok["enterprise"], acc)
    assert_error(act(server, flow.tok["enterprise"], acc, "withdraw"), 409, "bad_state",
                 message="诉求当前状态为“已受理”，不能执行“撤回”")
    assert audit_rows(server, "demand.withdraw", acc) == 0
    _, _, labels = server.request("GET", "/api/v1/labels", token=flow.tok["enterprise"])
    demand = labels["demand"]
    assert demand["states"]["withdrawn"] == "已撤回"
    assert demand["actions"]["remind"] == "企业催办"
    assert demand["actions"]["supplement"] == "补充说明"


def upload(server, token, path, data, name, ctype="application/octet-stream"):
    return server.request("POST", path + "?" + urllib.parse.urlencode({"name": name}),
                          token=token, raw=data, headers={"Content-Type": ctype})


def test_supplement_reaches_the_handler_not_another_enterprise(server, flow, tok):
    did = flow.dispatched("补充说明测试")
    other = flow.dispatched("另一件诉求")
    st, _, a = upload(server, flow.tok["enterprise"], "/api/v1/demands/%s/attachments" % did,
                      pdf_bytes(), "补充证明.pdf")
    assert st == 201, a
    _, _, b = upload(server, flow.tok["enterprise"], "/api/v1/demands/%s/attachments" % other,
                     pdf_bytes(), "别的.pdf")
    assert_error(act(server, flow.tok["enterprise"], did, "supplement"), 400, "invalid", "note")
    assert_error(act(server, flow.tok["enterprise"], did, "supplement", note="见附件",
                     attachment_id=b["id"]), 400, "invalid", "attachment_id")
    st, _, d = act(server, flow.tok["enterprise"], did, "supplement", note="补充：厂房面积 3000 平方米",
                   attachment_id=a["id"])
    assert st == 200 and d["state"] == "dispatched", d
    assert audit_rows(server, "demand.supplement", did) == 1
    _, _, tl = server.request("GET", "/api/v1/demands/%s/timeline" % did,
                              token=flow.tok["handler"])
    ev = tl["items"][-1]
    assert ev["action"] == "supplement" and ev["label"] == "补充说明"
    assert ev["note"] == "补充：厂房面积 3000 平方米" and not ev["internal"]
    assert ev["data"] == {"attachment_id": a["id"], "attachment_name": "补充证明.pdf"}
    jxj = server.sql("SELECT id FROM orgs WHERE code = '%s'" % JXJ)[0][0]
    assert server.sql("SELECT COUNT(*) FROM notices WHERE entity = 'demand' AND entity_id = %s "
                      "AND kind = 'supplement' AND org_id = %s" % (did, jxj)) == [("1",)]
    # Another enterprise sees neither the demand nor its timeline, and cannot add to it.
    assert_error(server.request("GET", "/api/v1/demands/%s/timeline" % did, token=tok["ent2"]),
                 404, "not_found")
    assert_error(act(server, tok["ent2"], did, "supplement", note="x"), 404, "not_found")
    # A closed demand takes no supplement.
    w = flow.submit("撤回后不能补充")
    act(server, flow.tok["enterprise"], w, "withdraw")
    assert_error(act(server, flow.tok["enterprise"], w, "supplement", note="x"), 409, "bad_state")


# ---- materials of an application ---------------------------------------------------------


def test_application_materials_are_checked_and_seen_by_the_reviewer_only(server, tok):
    pid = make_policy(server, tok["officer"], "shen_bao", {"all": [REV]}, {"fixed": 100000},
                      "申报材料测试政策")
    st, _, app = server.request("POST", "/api/v1/applications", {"policy_id": pid},
                                token=tok["ent2"])
    assert st == 201 and app["state"] == "submitted", app
    path = "/api/v1/applications/%s/materials" % app["id"]
    st, _, m = upload(server, tok["ent2"], path, pdf_bytes("审计报告"), "2025年审计报告.pdf")
    assert st == 201, m
    assert m["content_type"] == "application/pdf" and m["name"] == "2025年审计报告.pdf"
    assert audit_rows(server, "application.attach", app["id"]) == 1
    # The same checks as demand attachments: the bytes decide, not the name or the header.
    assert_error(upload(server, tok["ent2"], path, b"MZ\x90\x00" + b"\x00" * 60, "申请表.pdf"),
                 415, "unsupported_media_type")
    assert_error(upload(server, tok["ent2"], path, pdf_bytes(), "照片.png"), 415,
                 "unsupported_media_type", "name")
    assert_error(upload(server, tok["ent2"], path, pdf_bytes(), "a.pdf", "image/png"), 415,
                 "unsupported_media_type")
    assert_error(upload(server, tok["ent2"], path, pdf_bytes(), "\u202etxt.exe"), 400, "invalid",
                 "name")
    # The reviewer (the issuing department's officer) lists and downloads them.
    st, _, lst = server.request("GET", path, token=tok["officer"])
    assert st == 200 and [x["name"] for x in lst["items"]] == ["2025年审计报告.pdf"], lst
    c = server.connection()
    c.request("GET", "%s/%s" % (path, m["id"]), headers={"Authorization": "Bearer " + tok["officer"]})
    r = c.getresponse()
    assert r.status == 200 and r.read() == pdf_bytes("审计报告")
    assert r.getheader("Content-Type") == "application/pdf"
    c.close()
    _, _, tl = server.request("GET", "/api/v1/applications/%s/timeline" % app["id"],
                              token=tok["officer"])
    assert tl["items"][-1]["action"] == "attach" and tl["items"][-1]["label"] == "上传材料"
    # Nobody else: another enterprise and another department do not find the application,
    # and only the applicant uploads.
    for who in ("enterprise", "officer2"):
        assert_error(server.request("GET", path, token=tok[who]), 404, "not_found")
        assert_error(server.request("GET", "%s/%s" % (path, m["id"]), token=tok[who]), 404,
                     "not_found")
    assert_error(upload(server, tok["officer"], path, pdf_bytes(), "x.pdf"), 403, "forbidden")
    sup = server.request("GET", path, token=tok["supervisor"])
    assert sup[0] in (403, 404), sup
    # A decided application takes no more material.
    st, _, d = server.request("POST", "/api/v1/applications/%s/actions" % app["id"],
                              {"action": "reject", "reason": "不符合条件"}, token=tok["officer"])
    assert st == 200, d
    assert_error(upload(server, tok["ent2"], path, pdf_bytes(), "y.pdf"), 409, "bad_state")
    assert audit_rows(server, "application.attach", app["id"]) == 1


# Last: it moves the clock a day on, which ends every session of the module.
def test_remind_only_after_the_deadline_and_once_a_day(server, flow, t0):
    did = flow.dispatched("企业催办测试")
    r = act(server, flow.tok["enterprise"], did, "remind")
    assert_error(r, 409, "bad_state", message="尚未超期；超过期限后才能催办")
    assert audit_rows(server, "demand.remind", did) == 0
    # The sign-for deadline passes (time moved in the database, as for 督办).
    server.set_column(did, "sign_due", t0 - HOUR)
    st, _, d = act(server, flow.tok["enterprise"], did, "remind", note="请尽快签收办理")
    assert st == 200 and d["state"] == "dispatched", d
    assert audit_rows(server, "demand.remind", did) == 1
    jxj = server.sql("SELECT id FROM orgs WHERE code = '%s'" % JXJ)[0][0]
    assert server.sql("SELECT title, body FROM notices WHERE entity = 'demand' AND entity_id = "
                      "%s AND kind = 'remind' AND org_id = %s" % (did, jxj)) == [
        ("企业催办 %s" % d["no"], "请尽快签收办理")]
    _, _, tl = server.request("GET", "/api/v1/demands/%s/timeline" % did,
                              token=flow.tok["handler"])
    assert tl["items"][-1]["action"] == "remind" and tl["items"][-1]["label"] == "企业催办"
    # Once per 24 hours: the second is refused, saying until when.
    again = instant_text(t0 + 24 * HOUR)[:16].replace("T", " ")
    assert_error(act(server, flow.tok["enterprise"], did, "remind"), 409, "bad_state",
                 message="每 24 小时可催办一次，请于 %s 后再催办" % again)
    assert audit_rows(server, "demand.remind", did) == 1
    # A day later it may remind again (a new login: the session of yesterday has expired).
    server.set_clock(instant_text(t0 + 25 * HOUR))
    try:
        ent = server.login("enterprise")
        st, _, d = act(server, ent, did, "remind")
        assert st == 200, d
        assert audit_rows(server, "demand.remind", did) == 2
    finally:
        server.set_clock(fixed_instant())
    # Only the enterprise reminds; officials 催办/督办 with urge.
    assert_error(act(server, flow.tok["supervisor"], did, "remind"), 403, "forbidden")
