# SPDX-License-Identifier: Apache-2.0
"""
Enterprise demands (诉求) over HTTP: every path of the closed loop (DESIGN §5,
docs/internals/demand.md), every class of refused transition with its exact status,
the buttons a caller is offered (GET .../actions == the detail's "actions"),
Idempotency-Key on intake, list scoping / filters / cursors, deadlines and lights
checked against the public calendar, notices, and an intact audit chain at the end.

Every refusal is followed by a read-back proving that nothing changed: the demand's
row (state and every version-sensitive column), its detail as the administrator sees
it, the length of its timeline, its notices and its audit events (admin GET
/api/v1/audit?entity=demand&id=ID).

The deadline checks run at fixed instants of the server's test clock (Server.set_clock,
docs/internals/testing.md). The one check that needs a deadline in the past (督办 and the
red light) moves that demand's running deadline back in the database, which is what the
passing of time would have done; the audit chain does not cover the
demands table, so `qifu audit verify` still has to pass at the end.
"""
import datetime
import os
import re
import threading
import urllib.parse
import uuid

import pytest

from conftest import assert_error, credit_check_digit

DEMO_CODE = "91340100131860916Y"  # the demo enterprise user's company, region 340811
JXJ, FGW, RSJ, QFZX = "340800-JXJ", "340800-FGW", "340800-RSJ", "340800-QFZX"
HN_CENTER = "340822-QYFW"  # created here: a county service centre under 怀宁县 (340822)
PASSWORD = "secret-pass-1"
RFC3339_CST = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")
OFFICE_SPANS = [(9 * 60, 12 * 60), (13 * 60 + 30, 17 * 60 + 30)]  # 09:00–12:00, 13:30–17:30

# Demand columns a refused action must leave exactly as they were.
ROW_SQL = ("SELECT state, prev_state, version, updated_at, reviewed, rating, rating_count, "
           "lead_org_id, intake_org_id, sign_due, reply_due, rectify_due, extension_to, "
           "merged_into, accepted_at, dispatched_at, signed_at, replied_at, closed_at "
           "FROM demands WHERE id = %d")


# ---- the world: extra organisations, users and enterprises ----------------------------


class World:
    """The demo data plus what these tests need, with one token per user."""

    def __init__(self, server):
        self.s = server
        admin = server.admin()
        # A county service centre (一口受理 for 怀宁县 only).
        st, _, o = server.request("POST", "/api/v1/orgs", {
            "code": HN_CENTER, "name": "怀宁县企业服务中心", "kind": "center",
            "region": "340822", "parent": "340822"}, token=admin)
        assert st == 201, o
        # Two more enterprises: one in the city (340811), one in the county (340822).
        path = os.path.join(server.tmp, "demand-codes.csv")
        server.cli("demo", "--enterprises", "4", "--seed", "7107", "--out", path)
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        col = lines[0].split(",").index("credit_code")
        codes = [ln.split(",")[col] for ln in lines[1:]]
        codes = [c for c in codes if c != DEMO_CODE]
        self.code2, self.code3 = codes[0], codes[1]
        for code, name, region in ((self.code2, "安庆市第二测试科技有限公司", "340811"),
                                   (self.code3, "怀宁县测试食品有限公司", "340822")):
            st, _, e = server.request("POST", "/api/v1/enterprises", {
                "credit_code": code, "name": name, "region": region, "industry": "3491",
                "founded": "2019-06-01", "registered_capital": 10000000, "scale": "small",
                "legal_rep": "王芳", "address": "安徽省安庆市测试路 2 号"}, token=admin)
            assert st == 201, e
        users = [
            {"username": "fgw_handler", "role": "handler", "org": FGW, "display_name": "发改委承办人"},
            {"username": "rsj_handler", "role": "handler", "org": RSJ, "display_name": "人社局承办人"},
            {"username": "hn_clerk", "role": "clerk", "org": HN_CENTER, "display_name": "怀宁县窗口"},
            {"username": "ent2", "role": "enterprise", "credit_code": self.code2,
             "display_name": "第二企业办事员"},
            {"username": "ent3", "role": "enterprise", "credit_code": self.code3,
             "display_name": "县企业办事员"},
        ]
        for u in users:
            u["password"] = PASSWORD
            st, _, r = server.request("POST", "/api/v1/users", u, token=admin)
            assert st == 201, r
        self.users = users
        self.relogin(admin)
        self.credit = {"enterprise": DEMO_CODE, "ent2": self.code2, "ent3": self.code3}
        self.token_of_run = uuid.uuid4().hex[:8]

    def relogin(self, admin=None):
        """New sessions for everyone (after the test clock moved past the old ones)."""
        self.tok = {"admin": admin or self.s.admin()}
        for name in ("clerk", "handler", "supervisor", "officer", "enterprise"):
            self.tok[name] = self.s.login(name)
        for u in self.users:
            self.tok[u["username"]] = self.s.login(u["username"], PASSWORD)

    # ---- requests ------------------------------------------------------------------

    def req(self, who, method, path, body=None, headers=None):
        return self.s.request(method, path, body, headers=headers,
                              token=self.tok[who] if who else None)

    def submit(self, who="enterprise", status=201, key=None, **kw):
        body = {"category": "help", "title": "申请技改补贴的流程咨询",
                "content": "我公司计划更新生产线，想了解技改补贴的申请条件和流程。",
                "contact_name": "方晓东", "contact_phone": "13905561234"}
        body.update(kw)
        st, hdrs, d = self.req(who, "POST", "/api/v1/demands", body,
                               headers={"Idempotency-Key": key} if key else None)
        assert st == status, (st, d)
        return d

    def act(self, who, did, action, **params):
        body = dict(params, action=action)
        st, _, d = self.req(who, "POST", "/api/v1/demands/%s/actions" % did, body)
        assert st == 200, (who, action, st, d)
        assert d["id"] == did
        return d

    def detail(self, who, did):
        st, _, d = self.req(who, "GET", "/api/v1/demands/%s" % did)
        assert st == 200, (who, st, d)
        return d

    def timeline(self, who, did):
        st, _, t = self.req(who, "GET", "/api/v1/demands/%s/timeline" % did)
        assert st == 200, (who, st, t)
        return t["items"]

    def actions(self, who, did):
        st, _, a = self.req(who, "GET", "/api/v1/demands/%s/actions" % did)
        assert st == 200, (who, st, a)
        return a["items"]

    def audit(self, did):
        """The demand's audit events, newest first (as the administrator reads them)."""
        return self.s.list_all("/api/v1/audit?" + urllib.parse.urlencode(
            {"entity": "demand", "id": did}), self.tok["admin"])

    def notices(self, who):
        return self.s.list_all("/api/v1/notices", self.tok[who])

    def notice_kinds(self, who, did):
        return [n["kind"] for n in self.notices(who) if n.get("entity") == "demand" and n["entity_id"] == did]

    def listing(self, who, query="", limit=500):
        return self.s.list_all("/api/v1/demands" + (("?" + query) if query else ""),
                               self.tok[who], limit=limit)

    # ---- nothing changed ------------------------------------------------------------

    def snapshot(self, did):
        i = int(did)
        return {
            "row": self.s.sql(ROW_SQL % i),
            "handlers": sorted(self.s.sql(
                "SELECT org_id, role FROM demand_handlers WHERE demand_id = %d" % i)),
            "detail": self.detail("admin", did),
            "timeline": len(self.timeline("admin", did)),
            "events": self.s.sql("SELECT COUNT(*) FROM events WHERE entity = 'demand' AND entity_id = %d" % i),
            "notices": self.s.sql("SELECT COUNT(*) FROM notices WHERE entity = 'demand' AND entity_id = %d" % i),
            "audit": len(self.audit(did)),
            "demands": self.s.sql("SELECT COUNT(*) FROM demands"),
        }

    def refused(self, who, did, body, status, code, field=None, message=None):
        """Posts a refused action and proves that nothing changed; returns the error."""
        before = self.snapshot(did)
        err = assert_error(self.req(who, "POST", "/api/v1/demands/%s/actions" % did, body),
                           status, code, field=field, message=message)
        after = self.snapshot(did)
        assert after == before, "a refused %s changed the demand" % body.get("action")
        return err


@pytest.fixture(scope="module")
def w(server):
    return World(server)


# The loop's main path, as (who, action, params) steps from "submitted".
MAIN_PATH = [
    ("clerk", "accept", {}),
    ("clerk", "dispatch", {"lead": JXJ, "co": [FGW]}),
    ("handler", "sign", {}),
    ("handler", "reply", {"note": "经核实，贵公司符合技改补贴申报条件，请于本月底前提交材料。"}),
    ("clerk", "review_accept", {}),
    ("enterprise", "rate", {"rating": 5}),
]
STAGES = {"submitted": 0, "accepted": 1, "dispatched": 2, "signed": 3, "replied": 4,
          "reviewed": 5, "rated": 6}


def make(w, stage, **kw):
    """A new demand of the demo enterprise driven along the main path to stage."""
    d = w.submit(**kw)
    for who, action, params in MAIN_PATH[:STAGES[stage]]:
        d = w.act(who, d["id"], action, **params)
    return d


def names(items):
    return [a["action"] for a in items]


def local_of(ts):
    """An RFC 3339 +08:00 string -> (date, minute of the day), local time."""
    assert RFC3339_CST.match(ts), ts
    t = datetime.datetime.fromisoformat(ts)
    return t.date(), t.hour * 60 + t.minute


def working_days(server, start, days=80):
    """The working dates in [start, start + days] from GET /api/v1/calendar."""
    end = start + datetime.timedelta(days=days)
    st, _, page = server.request("GET", "/api/v1/calendar?" + urllib.parse.urlencode(
        {"from": start.isoformat(), "to": end.isoformat()}))
    assert st == 200, page
    return [datetime.date.fromisoformat(d["date"]) for d in page["days"] if d["working"]]


def nth_working_day(server, start_ts, n, urgency="normal"):
    """The reply/rectification day: the n-th working day, counted from the next day
    (次日起), or from the same day for 特急 received on a working day before 17:30."""
    date, minute = local_of(start_ts)
    work = working_days(server, date)
    same_day = urgency == "critical" and date in work and minute < 17 * 60 + 30
    counted = [d for d in work if d > date or (same_day and d == date)]
    return counted[n - 1]


def office_deadline(server, start_ts, hours):
    """sign_hours of office time after start (09:00–12:00, 13:30–17:30 on working days)."""
    date, minute = local_of(start_ts)
    work = set(working_days(server, date))
    left = hours * 60
    for _ in range(400):
        if date in work:
            for a, b in OFFICE_SPANS:
                if minute < b:
                    s = max(minute, a)
                    if s + left <= b:
                        m = s + left
                        return "%sT%02d:%02d:00+08:00" % (date.isoformat(), m // 60, m % 60)
                    left -= b - s
                    minute = b
        date += datetime.timedelta(days=1)
        minute = 0
    raise AssertionError("no office time found")


def event(timeline, action):
    evs = [e for e in timeline if e["action"] == action]
    assert evs, (action, [e["action"] for e in timeline])
    return evs[-1]




def people_audits(w):
    """Audit records written for people and keys, not by the background jobs (the overdue
    sweep audits as system:overdue-sweep whenever a demand of an earlier test falls
    overdue, at a moment no test chooses): what a refused request must leave unchanged."""
    return int(w.s.sql("SELECT COUNT(*) FROM audit WHERE actor NOT LIKE 'system:%'")[0][0])

# ---- 1. every path of the loop -------------------------------------------------------


def test_main_loop_web_submit_to_archive(w):
    d = w.submit(title="技改补贴申请流程（全流程）")
    did = d["id"]
    assert d["state"] == "submitted" and d["state_label"] == "已提交"
    assert d["channel"] == "web" and d["credit_code"] == DEMO_CODE
    assert d["region"] == "340811" and d["enterprise_name"] == "安庆市示例智能装备有限公司"
    assert d["no"] == "QF%s%08d" % (d["created_at"][:10].replace("-", ""), int(did))
    assert d["light"] == "none" and d["due"] is None and d["lead"] is None
    # Before acceptance the enterprise may take it back or add to it (issue 17 item 7).
    assert [a["action"] for a in d["actions"]] == ["withdraw", "supplement"]
    assert d["contact_phone"] == "13905561234"

    d = w.act("clerk", did, "accept")
    assert d["state"] == "accepted" and d["state_label"] == "已受理"
    d = w.act("clerk", did, "dispatch", lead=JXJ, co=[FGW])
    assert d["state"] == "dispatched"
    assert d["lead"] == {"code": JXJ, "name": "安庆市经济和信息化局"}
    assert d["co_handlers"] == [{"code": FGW, "name": "安庆市发展和改革委员会"}]
    assert d["due"] == d["sign_due"] and d["light"] in ("green", "yellow")
    # the lead signs, gives an interim answer (no state change), then replies
    d = w.act("handler", did, "sign")
    assert d["state"] == "signed" and d["state_label"] == "已签收" and d["due"] == d["reply_due"]
    d = w.act("handler", did, "interim_reply", note="已联系企业，正在核实生产线情况。")
    assert d["state"] == "signed"
    d = w.act("handler", did, "reply", note="符合条件，请于本月底前提交申报材料。")
    assert d["state"] == "replied" and d["reviewed"] is False and d["light"] == "none"
    d = w.act("clerk", did, "review_accept")
    assert d["state"] == "replied" and d["reviewed"] is True
    d = w.act("enterprise", did, "rate", rating=5)
    assert d["state"] == "rated" and d["rating"] == 5
    d = w.act("clerk", did, "archive")
    assert d["state"] == "archived" and d["state_label"] == "已归档" and d["rating"] == 5
    assert names(d["actions"]) == ["reopen", "note"]

    tl = w.timeline("clerk", did)
    assert [(e["action"], e["to_state"]) for e in tl] == [
        ("submit", "submitted"), ("accept", "accepted"), ("dispatch", "dispatched"),
        ("sign", "signed"), ("interim_reply", "signed"), ("reply", "replied"),
        ("review_accept", "replied"), ("rate", "rated"), ("archive", "archived")]
    assert [e["label"] for e in tl] == ["提交诉求", "受理", "交办", "签收", "阶段性答复", "答复",
                                        "审核通过", "评价", "归档"]
    assert tl[0]["actor"] == "示例企业办事员" and tl[0]["org"] == DEMO_CODE
    assert tl[1]["actor"] == "窗口受理员" and tl[1]["org"] == "安庆市企业服务中心"
    assert tl[2]["data"] == {"lead": JXJ, "co": [FGW]}
    assert tl[3]["org"] == "安庆市经济和信息化局"
    assert tl[5]["note"] == "符合条件，请于本月底前提交申报材料。"
    assert tl[7]["data"] == {"rating": 5, "rating_label": "非常满意"}
    assert all(RFC3339_CST.match(e["at"]) and e["internal"] is False for e in tl)
    # the enterprise follows the same progress
    assert [e["action"] for e in w.timeline("enterprise", did)] == [e["action"] for e in tl]
    # one audit event per step, with before/after images
    au = w.audit(did)[::-1]
    assert [a["action"] for a in au] == [
        "demand.submit", "demand.accept", "demand.dispatch", "demand.sign",
        "demand.interim_reply", "demand.reply", "demand.review_accept", "demand.rate",
        "demand.archive"]
    assert au[0]["actor"] == "user:enterprise" and au[0]["after"]["credit_code"] == DEMO_CODE
    assert au[2]["before"]["state"] == "accepted" and au[2]["after"]["state"] == "dispatched"
    assert au[2]["after"]["sign_due"] > 0 and au[2]["after"]["reply_due"] > 0
    assert au[7]["after"]["rating"] == 5 and au[8]["after"]["state"] == "archived"
    assert au[1]["actor"] == "user:clerk" and au[1]["org"] == QFZX


def test_decline_with_reason(w):
    d = w.submit(title="要求减免房租（不予受理）")
    did = d["id"]
    w.refused("clerk", did, {"action": "decline"}, 400, "invalid", "note", "须填写说明")
    d = w.act("clerk", did, "decline", note="属于民事纠纷，请通过司法途径解决。")
    assert d["state"] == "declined" and d["state_label"] == "不予受理"
    ev = event(w.timeline("enterprise", did), "decline")
    assert ev["note"] == "属于民事纠纷，请通过司法途径解决。" and ev["to_state_label"] == "不予受理"
    assert names(d["actions"]) == ["archive", "note"]
    # a declined demand is neither accepted nor rated later
    w.refused("clerk", did, {"action": "accept"}, 409, "bad_state",
              message="诉求当前状态为“不予受理”，不能执行“受理”")
    w.refused("enterprise", did, {"action": "rate", "rating": 5}, 409, "bad_state")
    assert w.act("clerk", did, "archive")["state"] == "archived"


def test_answer_directly_then_rate(w):
    d = w.submit(category="consult", title="高新技术企业认定时间（直接答复）")
    did = d["id"]
    d = w.act("clerk", did, "answer_directly", note="今年认定工作 5 月启动，详见科技局通知。")
    assert d["state"] == "answered_directly" and d["state_label"] == "直接办结"
    assert "rating_requested" in w.notice_kinds("enterprise", did)
    assert names(w.actions("enterprise", did)) == ["rate"]
    d = w.act("enterprise", did, "rate", rating=4)
    assert d["state"] == "rated" and d["rating"] == 4
    assert w.act("clerk", did, "archive")["state"] == "archived"
    assert [a["action"] for a in w.audit(did)[::-1]] == [
        "demand.submit", "demand.answer_directly", "demand.rate", "demand.archive"]


def test_merge_into_another_demand(w):
    primary = w.submit(title="园区道路破损影响物流（主单）")
    dup = w.submit(title="园区道路破损（重复）")
    other = w.submit(title="园区道路（另一件）")
    w.refused("clerk", dup["id"], {"action": "merge"}, 400, "invalid", "into")
    w.refused("clerk", dup["id"], {"action": "merge", "into": dup["id"]}, 400, "invalid", "into")
    w.refused("clerk", dup["id"], {"action": "merge", "into": "99999999"}, 400, "invalid", "into",
              "不存在")
    w.refused("clerk", dup["id"], {"action": "merge", "into": "abc"}, 400, "invalid", "into")
    # the enterprise cannot merge (it owns it, but merging is the intake desk's)
    w.refused("enterprise", dup["id"], {"action": "merge", "into": primary["id"]}, 403,
              "forbidden", message="您无权对该诉求执行“并单”")
    d = w.act("clerk", dup["id"], "merge", into=primary["id"])
    assert d["state"] == "merged" and d["state_label"] == "已并单"
    assert d["merged_into"] == int(primary["id"])
    assert event(w.timeline("clerk", dup["id"]), "merge")["data"] == {"into": primary["no"]}
    # nothing merges into a merged demand, and a merged one does not merge again
    w.refused("clerk", other["id"], {"action": "merge", "into": dup["id"]}, 400, "invalid", "into",
              "不能并入")
    w.refused("clerk", dup["id"], {"action": "merge", "into": other["id"]}, 409, "bad_state")
    assert w.detail("clerk", primary["id"])["state"] == "submitted"
    assert w.act("clerk", dup["id"], "archive")["state"] == "archived"
    au = w.audit(dup["id"])
    assert au[1]["action"] == "demand.merge" and au[1]["after"]["merged_into"] == int(primary["id"])


def test_return_approved_then_redispatched(w):
    d = make(w, "dispatched", title="招工补贴咨询（退单后重新交办）")
    did = d["id"]
    w.refused("handler", did, {"action": "return"}, 400, "invalid", "note")
    d = w.act("handler", did, "return", note="该事项属人社部门职责。")
    assert d["state"] == "return_requested" and d["state_label"] == "退单待审"
    assert "return" in w.notice_kinds("clerk", did)
    # the lead cannot decide its own return; the clerk (or the supervisor) can
    w.refused("handler", did, {"action": "approve_return"}, 403, "forbidden",
              message="您无权对该诉求执行“同意退单”")
    d = w.act("clerk", did, "approve_return")
    assert d["state"] == "accepted" and d["lead"] is None and d["co_handlers"] == []
    assert d["sign_due"] is None and d["reply_due"] is None and d["light"] == "none"
    # the old lead and co-handler have no relation any more
    for who in ("handler", "fgw_handler"):
        assert_error(w.req(who, "GET", "/api/v1/demands/" + did), 404, "not_found",
                     message="诉求不存在")
    w.refused("handler", did, {"action": "sign"}, 404, "not_found", message="诉求不存在")
    assert did not in ids(w.listing("handler")) and did not in ids(w.listing("fgw_handler"))
    d = w.act("clerk", did, "dispatch", lead=RSJ)
    assert d["state"] == "dispatched" and d["lead"]["code"] == RSJ and d["co_handlers"] == []
    assert "dispatched" in w.notice_kinds("rsj_handler", did)
    w.refused("handler", did, {"action": "sign"}, 404, "not_found")  # the old lead
    d = w.act("rsj_handler", did, "sign")
    assert d["state"] == "signed"
    # a second sign is the right relation in the wrong state
    w.refused("rsj_handler", did, {"action": "sign"}, 409, "bad_state",
              message="诉求当前状态为“已签收”，不能执行“签收”")
    assert [e["action"] for e in w.timeline("clerk", did)][-5:] == [
        "dispatch", "return", "approve_return", "dispatch", "sign"]


def test_return_rejected_back_to_signed(w):
    d = make(w, "signed", title="返还押金（驳回退单）")
    did = d["id"]
    d = w.act("handler", did, "return", note="非本单位职责。")
    assert d["state"] == "return_requested"
    # the running clock stays the reply deadline while the return awaits review
    assert d["due"] == d["reply_due"]
    w.refused("clerk", did, {"action": "reject_return"}, 400, "invalid", "note")
    d = w.act("supervisor", did, "reject_return", note="经核实属经信局职责，请继续办理。")
    assert d["state"] == "signed" and d["lead"]["code"] == JXJ
    assert "reject_return" in w.notice_kinds("handler", did)
    # and from dispatched it goes back to dispatched
    d2 = make(w, "dispatched", title="返还押金（未签收即退单）")
    w.act("handler", d2["id"], "return", note="请改派。")
    assert w.act("clerk", d2["id"], "reject_return", note="请先签收。")["state"] == "dispatched"


def test_extension_approved_and_rejected(w):
    d = make(w, "signed", title="厂房消防验收（延期）")
    did = d["id"]
    reply_due = d["reply_due"]
    due_date, _ = local_of(reply_due)
    later = [x for x in working_days(w.s, due_date) if x > due_date][4]
    # refusals first: no date, a bad date, a date not after the current deadline
    w.refused("handler", did, {"action": "request_extension", "note": "需现场勘验"}, 400,
              "invalid", "until")
    w.refused("handler", did, {"action": "request_extension", "note": "需现场勘验",
                               "until": "2026-02-30"}, 400, "invalid", "until")
    w.refused("handler", did, {"action": "request_extension", "note": "需现场勘验",
                               "until": due_date.isoformat()}, 400, "invalid", "until", "晚于")
    w.refused("handler", did, {"action": "request_extension", "until": later.isoformat()},
              400, "invalid", "note")
    d = w.act("handler", did, "request_extension", until=later.isoformat(),
              note="需协调消防部门现场勘验。")
    assert d["state"] == "extension_requested" and d["state_label"] == "延期待批"
    assert d["extension_requested_until"] == later.isoformat() + "T17:30:00+08:00"
    assert d["reply_due"] == reply_due
    # only oversight approves extensions: the clerk has a relation but not that right
    w.refused("clerk", did, {"action": "approve_extension"}, 403, "forbidden",
              message="您无权对该诉求执行“批准延期”")
    w.refused("handler", did, {"action": "approve_extension"}, 403, "forbidden")
    d = w.act("supervisor", did, "approve_extension")
    assert d["state"] == "signed"
    assert d["reply_due"] == later.isoformat() + "T17:30:00+08:00" == d["due"]
    assert "extension_requested_until" not in d
    assert "approve_extension" in w.notice_kinds("handler", did)
    au = w.audit(did)[0]
    assert au["action"] == "demand.approve_extension" and au["actor"] == "user:supervisor"
    assert au["after"]["reply_due"] > au["before"]["reply_due"]

    # a second request, rejected: the deadline stays where it is
    even_later = [x for x in working_days(w.s, later) if x > later][2]
    d = w.act("handler", did, "request_extension", until=even_later.isoformat(),
              note="勘验结论尚未出具。")
    assert d["state"] == "extension_requested"
    w.refused("supervisor", did, {"action": "reject_extension"}, 400, "invalid", "note")
    d = w.act("supervisor", did, "reject_extension", note="请按期办结。")
    assert d["state"] == "signed" and d["reply_due"] == later.isoformat() + "T17:30:00+08:00"
    assert "extension_requested_until" not in d
    assert "reject_extension" in w.notice_kinds("handler", did)


def test_extension_of_the_rectification_clock(w):
    d = make(w, "reviewed", title="整改延期")
    did = d["id"]
    d = w.act("enterprise", did, "rate", rating=1, note="没有解决。")
    assert d["state"] == "rectifying"
    rectify_due, reply_due = d["rectify_due"], d["reply_due"]
    due_date, _ = local_of(rectify_due)
    later = [x for x in working_days(w.s, due_date) if x > due_date][3]
    d = w.act("handler", did, "request_extension", until=later.isoformat(), note="需第三方检测。")
    assert d["state"] == "extension_requested" and d["due"] == rectify_due
    d = w.act("supervisor", did, "approve_extension")
    assert d["state"] == "rectifying"
    assert d["rectify_due"] == later.isoformat() + "T17:30:00+08:00" == d["due"]
    assert d["reply_due"] == reply_due  # only the running clock moves


def test_review_reject_reopens_then_reply(w):
    d = make(w, "replied", title="用电增容（退回重办）")
    did = d["id"]
    assert "reply" in w.notice_kinds("clerk", did)  # the intake desk reviews the reply
    w.refused("clerk", did, {"action": "review_reject"}, 400, "invalid", "note")
    d = w.act("clerk", did, "review_reject", note="答复未说明办理时限，请补充。")
    assert d["state"] == "reopened" and d["state_label"] == "重办" and d["reviewed"] is False
    assert d["due"] == d["reply_due"]
    assert "review_reject" in w.notice_kinds("handler", did)
    w.refused("handler", did, {"action": "reply"}, 400, "invalid", "note")
    d = w.act("handler", did, "reply", note="已补充：供电公司 10 个工作日内完成增容。")
    assert d["state"] == "replied" and d["reviewed"] is False
    d = w.act("clerk", did, "review_accept")
    assert d["reviewed"] is True
    w.refused("clerk", did, {"action": "review_accept"}, 409, "bad_state",
              message="答复已审核通过")


def test_bad_rating_rectification_and_rate_again(w):
    d = make(w, "reviewed", title="环评审批太慢（差评整改）")
    did = d["id"]
    assert "rating_requested" in w.notice_kinds("enterprise", did)
    w.refused("enterprise", did, {"action": "rate", "rating": 2}, 400, "invalid", "note",
              "不满意评价须填写原因")
    w.refused("enterprise", did, {"action": "rate"}, 400, "invalid", "rating")
    w.refused("enterprise", did, {"action": "rate", "rating": 6}, 400, "invalid", "rating")
    w.refused("enterprise", did, {"action": "rate", "rating": 0}, 400, "invalid", "rating")
    d = w.act("enterprise", did, "rate", rating=2, note="答复只是推诿，没有解决问题。")
    assert d["state"] == "rectifying" and d["state_label"] == "整改中" and d["rating"] == 2
    assert d["rectify_due"].endswith("T17:30:00+08:00") and d["due"] == d["rectify_due"]
    # the rectification clock: rectify_days working days from the rating (次日起)
    st, _, cat = w.s.request("GET", "/api/v1/categories/help")
    rate_at = event(w.timeline("clerk", did), "rate")["at"]
    want = nth_working_day(w.s, rate_at, cat["limits"]["normal"]["rectify_days"])
    assert d["rectify_due"] == want.isoformat() + "T17:30:00+08:00"
    # 差评 gives the lead a rectification notice and the intake desk a call-back
    assert "rectify" in w.notice_kinds("handler", did)
    assert "callback" in w.notice_kinds("clerk", did)
    # it cannot be archived or rated again while rectifying
    w.refused("clerk", did, {"action": "archive"}, 409, "bad_state",
              message="诉求当前状态为“整改中”，不能执行“归档”")
    w.refused("enterprise", did, {"action": "rate", "rating": 5}, 409, "bad_state")
    d = w.act("clerk", did, "callback", note="已电话回访，企业反映审批材料被反复退回。")
    assert d["state"] == "rectifying"
    d = w.act("handler", did, "reply", note="已整改：材料一次性告知，3 日内完成审批。")
    assert d["state"] == "replied" and d["reviewed"] is False
    w.refused("enterprise", did, {"action": "rate", "rating": 4}, 409, "bad_state",
              message="答复尚未审核通过")
    w.act("clerk", did, "review_accept")
    d = w.act("enterprise", did, "rate", rating=4)
    assert d["state"] == "rated" and d["rating"] == 4
    assert w.s.sql("SELECT rating_count FROM demands WHERE id = %s" % did) == [("2",)]
    assert w.act("clerk", did, "archive")["state"] == "archived"
    rates = [e["data"] for e in w.timeline("enterprise", did) if e["action"] == "rate"]
    assert rates == [{"rating": 2, "rating_label": "不满意"},
                     {"rating": 4, "rating_label": "满意"}]


def test_reopen_from_rated_and_archived(w):
    d = make(w, "rated", title="出口退税进度（重新办理）")
    did = d["id"]
    w.refused("clerk", did, {"action": "reopen"}, 400, "invalid", "note")
    w.refused("enterprise", did, {"action": "reopen", "note": "x"}, 403, "forbidden")
    d = w.act("clerk", did, "reopen", note="企业来电反映问题复发。")
    assert d["state"] == "reopened" and d["reviewed"] is False and d["due"] == d["reply_due"]
    reopen_at = event(w.timeline("clerk", did), "reopen")["at"]
    st, _, cat = w.s.request("GET", "/api/v1/categories/help")
    want = nth_working_day(w.s, reopen_at, cat["limits"]["normal"]["reply_days"])
    assert d["reply_due"] == want.isoformat() + "T17:30:00+08:00"
    d = w.act("handler", did, "reply", note="已重新核实并办结。")
    assert d["state"] == "replied"
    # archived demands can be reopened by oversight too
    d2 = make(w, "rated", title="出口退税进度（归档后重新办理）")
    w.act("clerk", d2["id"], "archive")
    d2 = w.act("supervisor", d2["id"], "reopen", note="督查发现答复与事实不符。")
    assert d2["state"] == "reopened" and d2["lead"]["code"] == JXJ


def test_callback_changes_no_state(w):
    d = make(w, "rated", title="融资对接（回访）")
    did = d["id"]
    version = w.s.sql("SELECT version FROM demands WHERE id = %s" % did)
    d = w.act("clerk", did, "callback", note="回访：企业对答复满意。")
    assert d["state"] == "rated" and d["rating"] == 5
    assert w.s.sql("SELECT version FROM demands WHERE id = %s" % did) == version
    ev = event(w.timeline("enterprise", did), "callback")
    assert ev["label"] == "回访" and ev["note"] == "回访：企业对答复满意。"
    assert w.audit(did)[0]["action"] == "demand.callback"
    w.refused("handler", did, {"action": "callback", "note": "x"}, 403, "forbidden")
    w.refused("clerk", did, {"action": "callback"}, 400, "invalid", "note")


def test_urge_before_deadline_is_cuiban(w):
    d = make(w, "signed", title="项目审批卡在环节（催办）")
    did = d["id"]
    assert d["light"] in ("green", "yellow")
    w.refused("supervisor", did, {"action": "urge"}, 400, "invalid", "note")
    w.refused("clerk", did, {"action": "urge", "note": "请加快"}, 403, "forbidden",
              message="您无权对该诉求执行“催办/督办”")
    d = w.act("supervisor", did, "urge", note="请于本周内答复企业。")
    assert d["state"] == "signed"
    ev = event(w.timeline("handler", did), "urge")
    assert ev["label"] == "催办" and ev["data"] == {"kind": "urge", "kind_label": "催办"}
    assert ev["note"] == "请于本周内答复企业。" and ev["org"] == "安庆市人民政府督查室"
    au = w.audit(did)[0]
    assert au["action"] == "demand.urge" and au["actor"] == "user:supervisor"
    ns = [n for n in w.notices("handler") if n.get("entity_id") == did and n["entity"] == "demand" and n["kind"] == "urge"]
    assert len(ns) == 1 and ns[0]["title"].startswith("催办 ") and d["no"] in ns[0]["title"]
    assert ns[0]["body"] == "请于本周内答复企业。"
    # urging is for running clocks: not after the reply
    w.act("handler", did, "reply", note="已答复。")
    w.refused("supervisor", did, {"action": "urge", "note": "请加快"}, 409, "bad_state")


def test_urge_after_deadline_is_duban(w):
    # The reply deadline is moved into the past in the database, as time would.
    d = make(w, "signed", title="用地指标迟迟不落实（督办）")
    did = d["id"]
    w.s.set_column(did, "reply_due", 1_600_000_000_000)  # 2020-09-13
    d = w.detail("supervisor", did)
    assert d["light"] == "red" and d["reply_due"] == "2020-09-13T20:26:40+08:00"
    assert did in [x["id"] for x in w.listing("supervisor", "light=red")]
    d = w.act("supervisor", did, "urge", note="已超期，请立即办理并说明原因。")
    assert d["state"] == "signed"
    # (the server's overdue sweep may add its own "overdue" events to this demand at
    # any moment, so the urge is looked up by kind rather than by position)
    tl = w.timeline("handler", did)
    assert "urge" not in [e["action"] for e in tl]
    ev = event(tl, "supervise")
    assert ev["label"] == "督办" and ev["note"] == "已超期，请立即办理并说明原因。"
    assert ev["data"] == {"kind": "supervise", "kind_label": "督办"}
    urges = [a["action"] for a in w.audit(did) if a["action"] in ("demand.urge",
                                                                   "demand.supervise")]
    assert urges == ["demand.supervise"]
    ns = [n for n in w.notices("handler") if n.get("entity_id") == did and n["entity"] == "demand" and n["kind"] == "supervise"]
    assert len(ns) == 1 and ns[0]["title"] == "督办 " + d["no"]


def test_assist_by_co_handler(w):
    d = make(w, "dispatched", title="融资担保（协办意见）")
    did = d["id"]
    assert "dispatched" in w.notice_kinds("fgw_handler", did)
    co = w.detail("fgw_handler", did)
    assert names(co["actions"]) == ["assist", "note"]
    assert co["contact_phone"] == "139****1234"  # co-handlers see the phone masked
    # Admins hold pii.read (docs/internals/access.md: one masking policy; they saw it
    # masked here only, unmasked in enterprises, grants and the audit log).
    assert w.detail("admin", did)["contact_phone"] == "13905561234"
    assert w.detail("handler", did)["contact_phone"] == "13905561234"
    # a co-handler is related, but only the lead signs
    w.refused("fgw_handler", did, {"action": "sign"}, 403, "forbidden",
              message="您无权对该诉求执行“签收”")
    w.refused("fgw_handler", did, {"action": "assist"}, 400, "invalid", "note")
    d = w.act("fgw_handler", did, "assist", note="发改委可提供政策性担保名录。")
    assert d["state"] == "dispatched"
    w.act("handler", did, "sign")
    w.act("fgw_handler", did, "assist", note="补充：担保费率可降至 1%。")
    ev = [e for e in w.timeline("enterprise", did) if e["action"] == "assist"]
    assert [e["org"] for e in ev] == ["安庆市发展和改革委员会"] * 2
    assert ev[0]["label"] == "协办意见" and ev[0]["actor"] == "发改委承办人"
    # the lead cannot give a co-handler's opinion
    w.refused("handler", did, {"action": "assist", "note": "x"}, 403, "forbidden")


def test_internal_note_hidden_from_enterprise(w):
    d = make(w, "signed", title="税务稽查投诉（内部备注）")
    did = d["id"]
    d = w.act("clerk", did, "note", note="该企业有多次重复投诉记录，注意口径。")
    assert d["state"] == "signed"
    w.act("handler", did, "note", note="承办人内部意见。")
    for who in ("clerk", "handler", "supervisor", "fgw_handler", "admin"):
        notes = [e for e in w.timeline(who, did) if e["action"] == "note"]
        assert [e["note"] for e in notes] == ["该企业有多次重复投诉记录，注意口径。", "承办人内部意见。"], who
        assert all(e["internal"] is True and e["label"] == "内部备注" for e in notes)
    ent = w.timeline("enterprise", did)
    assert "note" not in [e["action"] for e in ent]
    assert all(e["internal"] is False for e in ent)
    assert len(ent) == len(w.timeline("clerk", did)) - 2
    assert "注意口径" not in str(ent)
    w.refused("enterprise", did, {"action": "note", "note": "企业想备注"}, 403, "forbidden")


# ---- 2. every class of refused transition ------------------------------------------


def test_wrong_role_relation_and_state(w):
    d = w.submit(title="关系与权限")
    did = d["id"]
    # owner, but not the intake desk: 403
    w.refused("enterprise", did, {"action": "accept"}, 403, "forbidden",
              message="您无权对该诉求执行“受理”")
    # no relation at all: 404, whatever the action, and reads are 404 too
    for who in ("ent2", "handler", "rsj_handler", "hn_clerk", "officer"):
        w.refused(who, did, {"action": "accept"}, 404, "not_found", message="诉求不存在")
        for path in ("", "/actions", "/timeline"):
            assert_error(w.req(who, "GET", "/api/v1/demands/%s%s" % (did, path)), 404,
                         "not_found", message="诉求不存在")
    # the administrator reads everything and acts on nothing
    assert w.detail("admin", did)["actions"] == []
    w.refused("admin", did, {"action": "accept"}, 403, "forbidden")
    w.act("clerk", did, "accept")
    w.act("clerk", did, "dispatch", lead=JXJ, co=[FGW])
    # wrong organisation: a handler of another department, a clerk of another region
    w.refused("rsj_handler", did, {"action": "sign"}, 404, "not_found", message="诉求不存在")
    w.refused("hn_clerk", did, {"action": "note", "note": "x"}, 404, "not_found")
    # right relation, wrong state: 409 with the state named
    w.refused("handler", did, {"action": "reply", "note": "先答复"}, 409, "bad_state",
              message="诉求当前状态为“已交办”，不能执行“答复”")
    w.refused("clerk", did, {"action": "accept"}, 409, "bad_state",
              message="诉求当前状态为“已交办”，不能执行“受理”")
    w.refused("clerk", did, {"action": "dispatch", "lead": RSJ}, 409, "bad_state")
    # rate before review: the owner, replied but not yet reviewed
    w.act("handler", did, "sign")
    w.act("handler", did, "reply", note="已答复。")
    w.refused("enterprise", did, {"action": "rate", "rating": 5}, 409, "bad_state",
              message="答复尚未审核通过，暂不能评价")
    # unknown demands
    assert_error(w.req("clerk", "POST", "/api/v1/demands/99999999/actions", {"action": "accept"}),
                 404, "not_found")
    assert_error(w.req("clerk", "GET", "/api/v1/demands/x1"), 404, "not_found")
    assert_error(w.req(None, "GET", "/api/v1/demands/" + did), 401, "unauthorized")


def test_clerk_of_the_county_handles_its_own_region(w):
    d = w.submit("ent3", title="县域企业用工求助")
    did = d["id"]
    assert d["region"] == "340822" and d["credit_code"] == w.code3
    # the county desk and the city desk (whose region covers the county) may accept
    assert "accept" in names(w.actions("hn_clerk", did))
    assert "accept" in names(w.actions("clerk", did))
    d = w.act("hn_clerk", did, "accept")
    assert d["state"] == "accepted"
    assert event(w.timeline("ent3", did), "accept")["org"] == "怀宁县企业服务中心"
    # a county clerk may not register a demand for a city enterprise
    before = (w.s.sql("SELECT COUNT(*) FROM demands"), people_audits(w))
    assert_error(w.req("hn_clerk", "POST", "/api/v1/demands", {
        "credit_code": DEMO_CODE, "category": "help", "title": "代录", "content": "代录内容"}),
        403, "forbidden", "credit_code", "受理范围")
    assert (w.s.sql("SELECT COUNT(*) FROM demands"), people_audits(w)) == before


def test_out_of_region_filing_does_not_reveal_registration(w):
    """Item 16's class on intake: a clerk filing for a code outside its region gets the
    same answer whether or not the enterprise is registered elsewhere; an unregistered
    code of its own region is still told it is unregistered."""
    before = (w.s.sql("SELECT COUNT(*) FROM demands"), people_audits(w))
    body = {"category": "help", "title": "代录", "content": "代录内容"}
    registered = w.req("hn_clerk", "POST", "/api/v1/demands", dict(body, credit_code=DEMO_CODE))
    unknown17 = "91" + DEMO_CODE[2:8] + "MA0000097"  # same region digits, never registered
    unknown = w.req("hn_clerk", "POST", "/api/v1/demands",
                    dict(body, credit_code=unknown17 + credit_check_digit(unknown17)))
    assert_error(registered, 403, "forbidden", "credit_code", "受理范围")
    assert_error(unknown, 403, "forbidden", "credit_code", "受理范围")
    assert registered[2] == unknown[2]
    own17 = "91340822MA0000099"  # 怀宁县: the county clerk's own region, never registered
    assert_error(w.req("hn_clerk", "POST", "/api/v1/demands",
                       dict(body, credit_code=own17 + credit_check_digit(own17))),
                 400, "invalid", "credit_code", "尚未在企业库登记")
    assert (w.s.sql("SELECT COUNT(*) FROM demands"), people_audits(w)) == before


def test_dispatch_only_within_the_region_or_to_partners(w):
    """A clerk dispatches within its prefecture; another city's department only once an
    administrator made it a partner (`qifu org partner add`), and that department sees
    the enterprise's mobile number only then (issue 14 item 10)."""
    admin = w.tok["admin"]
    for org in ({"code": "340100-T10", "name": "合肥市人民政府（测试）", "kind": "city",
                 "region": "340100"},
                {"code": "340100-T10-JXJ", "name": "合肥市经信局（测试）", "kind": "department",
                 "region": "340100", "parent": "340100-T10"}):
        st, _, o = w.s.request("POST", "/api/v1/orgs", org, token=admin)
        assert st == 201, o
    st, _, u = w.s.request("POST", "/api/v1/users", {
        "username": "hf_handler", "role": "handler", "org": "340100-T10-JXJ",
        "display_name": "合肥经信承办人", "password": PASSWORD}, token=admin)
    assert st == 201, u
    hf = w.s.login("hf_handler", PASSWORD)
    d = make(w, "accepted", title="跨地区交办")
    did = d["id"]
    # another city's department, as lead or as co-handler: refused, nothing written
    w.refused("clerk", did, {"action": "dispatch", "lead": "340100-T10-JXJ"}, 403, "forbidden",
              "lead", "不在本地区的交办范围内")
    w.refused("clerk", did, {"action": "dispatch", "lead": JXJ, "co": ["340100-T10-JXJ"]}, 403,
              "forbidden", "co", "协作单位")
    assert w.s.request("GET", "/api/v1/demands/%s" % did, token=hf)[0] == 404
    # the county's clerk still dispatches to the city's departments (same prefecture)
    d3 = w.submit("ent3", title="县里交办市直部门")
    w.act("hn_clerk", d3["id"], "accept")
    assert w.act("hn_clerk", d3["id"], "dispatch", lead=JXJ)["state"] == "dispatched"
    # an administrator makes 合肥 a partner of the Anqing centre: now it is allowed
    w.s.cli("org", "partner", "add", "340800-QFZX", "340100-T10")
    assert "340100-T10" in w.s.cli("org", "partner", "list").stdout
    d = w.act("clerk", did, "dispatch", lead="340100-T10-JXJ")
    assert d["state"] == "dispatched" and d["lead"]["code"] == "340100-T10-JXJ"
    st, _, seen = w.s.request("GET", "/api/v1/demands/%s" % did, token=hf)
    assert st == 200 and seen["contact_phone"] == "13905561234", seen
    # the partner is the Anqing centre's only: the county's clerk is still refused
    d4 = w.submit("ent3", title="县里跨地区交办")
    w.act("hn_clerk", d4["id"], "accept")
    w.refused("hn_clerk", d4["id"], {"action": "dispatch", "lead": "340100-T10-JXJ"}, 403,
              "forbidden", "lead")
    w.s.cli("org", "partner", "remove", "340800-QFZX", "340100-T10")
    assert "340100-T10" not in w.s.cli("org", "partner", "list").stdout


def test_bad_rating_of_a_direct_answer_goes_back_to_intake(w):
    """A 差评 must never leave a demand closed: a direct answer has no lead organisation
    to rectify, so the demand returns to the intake desk (accepted), which is told to
    call back and can dispatch it or answer anew."""
    d = w.submit(category="consult", title="社保缴费基数（直接答复差评）")
    did = d["id"]
    w.act("clerk", did, "answer_directly", note="按上年度平均工资核定。")
    d = w.act("enterprise", did, "rate", rating=1, note="答非所问。")
    assert d["state"] == "accepted" and d["rating"] == 1
    assert "dispatch" in names(w.actions("clerk", did))
    assert "answer_directly" in names(w.actions("clerk", did))
    d = w.act("clerk", did, "dispatch", lead=JXJ)
    assert d["state"] == "dispatched"


@pytest.mark.parametrize("stage,who,action,note", [
    ("submitted", "clerk", "decline", "note"),
    ("dispatched", "handler", "return", "note"),
    ("signed", "handler", "reply", "note"),
    ("signed", "handler", "interim_reply", "note"),
    ("submitted", "clerk", "answer_directly", "note"),
])
def test_missing_note(w, stage, who, action, note):
    d = make(w, stage, title="缺少说明 %s" % action)
    for body in ({"action": action}, {"action": action, "note": ""}):
        w.refused(who, d["id"], body, 400, "invalid", note, "须填写说明")


def test_missing_note_is_checked_after_the_right(w):
    """flow_act checks visibility and the right before the note (issue 15): a caller
    without a relation learns nothing (404), one without the right is refused (403),
    and only the one who may take the action is told that a note is missing (400)."""
    d = w.submit(title="说明与权限的先后")
    did = d["id"]
    w.refused("hn_clerk", did, {"action": "decline"}, 404, "not_found")
    w.refused("enterprise", did, {"action": "decline"}, 403, "forbidden")
    w.refused("clerk", did, {"action": "decline"}, 400, "invalid", "note", "须填写说明")


def test_labels_name_the_demand_workflow(w):
    """GET /api/v1/labels carries the demand's table: its states, every action of the
    table and the events recorded outside it, with the labels of the timeline."""
    st, _, j = w.req("enterprise", "GET", "/api/v1/labels")
    assert st == 200
    d = j["demand"]
    assert d["label"] == "诉求" and d["states"]["rectifying"] == "整改中"
    assert set(d["actions"]) == {
        "accept", "decline", "answer_directly", "merge", "dispatch", "sign", "return",
        "approve_return", "reject_return", "request_extension", "approve_extension",
        "reject_extension", "interim_reply", "assist", "reply", "review_accept",
        "review_reject", "rate", "callback", "reopen", "archive", "urge", "note", "withdraw",
        "remind", "supplement"}
    assert d["actions"]["sign"] == "签收" and d["actions"]["urge"] == "催办/督办"
    assert d["events"] == {"submit": "提交诉求", "urge": "催办", "supervise": "督办",
                           "overdue": "超期提醒", "attach": "上传附件"}


def test_bad_parameters(w):
    d = make(w, "accepted", title="参数错误")
    did = d["id"]
    cases = [
        ({"action": "dispatch"}, "lead", "主办单位"),
        ({"action": "dispatch", "lead": "NO-SUCH-ORG"}, "lead", "NO-SUCH-ORG"),
        ({"action": "dispatch", "lead": JXJ, "co": ["NO-SUCH-ORG"]}, "co", "NO-SUCH-ORG"),
        ({"action": "dispatch", "lead": JXJ, "co": [JXJ]}, "co", "不能与主办单位相同"),
        ({"action": "dispatch", "lead": JXJ, "co": [FGW, FGW]}, "co", "重复"),
        ({"action": "dispatch", "lead": JXJ, "co": FGW}, "co", None),
        ({"action": "dispatch", "lead": JXJ, "co": [1]}, "co", None),
        ({"action": "dispatch", "lead": 7}, "lead", None),
        ({"action": "fly"}, "action", "未知的操作"),
        ({"action": ""}, "action", None),
        ({}, "action", None),
        ({"action": "accept", "extra": 1}, "extra", "不认识的字段"),
    ]
    for body, field, message in cases:
        w.refused("clerk", did, body, 400, "invalid", field, message)
    assert_error(w.req("clerk", "POST", "/api/v1/demands/%s/actions" % did, ["accept"]),
                 400, "invalid")
    assert w.detail("clerk", did)["state"] == "accepted"


def test_submission_refusals_and_own_credit_code(w):
    def counts():
        return (w.s.sql("SELECT COUNT(*) FROM demands"), people_audits(w))

    before = counts()
    cases = [
        ("enterprise", {"category": "no_such_category"}, "category", "不存在"),
        ("enterprise", {"category": None}, "category", None),
        ("enterprise", {"title": None}, "title", None),
        ("enterprise", {"content": None}, "content", None),
        ("enterprise", {"channel": "window"}, "channel", "网上"),
        ("enterprise", {"urgency": "asap"}, "urgency", None),
        ("enterprise", {"bogus": 1}, "bogus", None),
        ("clerk", {}, "credit_code", None),  # a window clerk must say whose demand it is
        ("clerk", {"credit_code": "91340100131860916X"}, "credit_code", None),
    ]
    for who, patch, field, message in cases:
        body = {"category": "help", "title": "有问题的提交", "content": "内容"}
        body.update(patch)
        body = {k: v for k, v in body.items() if v is not None}
        assert_error(w.req(who, "POST", "/api/v1/demands", body), 400, "invalid", field, message)
    for who in ("handler", "supervisor", "officer"):
        assert_error(w.req(who, "POST", "/api/v1/demands", {
            "category": "help", "title": "t", "content": "c", "credit_code": DEMO_CODE}),
            403, "forbidden")
    assert counts() == before
    # an enterprise filing "for" another company files for itself
    d = w.submit(credit_code=w.code2, title="为别家企业提交")
    assert d["credit_code"] == DEMO_CODE and d["enterprise_name"] == "安庆市示例智能装备有限公司"
    assert_error(w.req("ent2", "GET", "/api/v1/demands/" + d["id"]), 404, "not_found")
    # a clerk registers one at the window for a caller
    d = w.submit("clerk", credit_code=w.code2, title="窗口代录")
    assert d["channel"] == "window" and d["credit_code"] == w.code2
    assert w.timeline("ent2", d["id"])[0]["actor"] == "窗口受理员"


# ---- 3. the buttons: GET .../actions == the detail's "actions" ---------------------------

ROLES = ["enterprise", "ent2", "clerk", "hn_clerk", "handler", "fgw_handler", "rsj_handler",
         "supervisor", "officer", "admin"]

# What each role may do, written from the table (docs/internals/demand.md); None = 404.
EXPECTED = {
    "submitted": {"enterprise": ["withdraw", "supplement"], "clerk": ["accept", "decline", "answer_directly", "merge",
                                              "note"],
                  "supervisor": ["note"], "handler": None, "fgw_handler": None, "admin": []},
    "accepted": {"clerk": ["answer_directly", "merge", "dispatch", "note"],
                 "enterprise": ["supplement"],
                 "supervisor": ["note"], "handler": None},
    "dispatched": {"handler": ["sign", "return", "note"], "fgw_handler": ["assist", "note"],
                   "clerk": ["note"], "supervisor": ["urge", "note"], "enterprise": ["supplement"],
                   "rsj_handler": None, "hn_clerk": None},
    "signed": {"handler": ["return", "request_extension", "interim_reply", "reply", "note"],
               "fgw_handler": ["assist", "note"], "supervisor": ["urge", "note"],
               "clerk": ["note"], "enterprise": ["supplement"]},
    "return_requested": {"clerk": ["approve_return", "reject_return", "note"],
                         "supervisor": ["approve_return", "reject_return", "urge", "note"],
                         "handler": ["note"], "fgw_handler": ["note"]},
    "extension_requested": {"supervisor": ["approve_extension", "reject_extension", "urge",
                                           "note"],
                            "clerk": ["note"], "handler": ["note"]},
    "replied": {"clerk": ["review_accept", "review_reject", "callback", "note"],
                "enterprise": ["supplement"], "handler": ["note"], "supervisor": ["note"],
                "fgw_handler": ["note"]},
    "reviewed": {"enterprise": ["rate", "supplement"], "clerk": ["callback", "note"],
                 "handler": ["note"]},
    "rated": {"clerk": ["callback", "reopen", "archive", "note"], "supervisor": ["reopen", "note"],
              "enterprise": [], "handler": ["note"], "admin": []},
}


def check_buttons(w, did, state):
    for who in ROLES:
        st, _, det = w.req(who, "GET", "/api/v1/demands/" + did)
        st2, _, acts = w.req(who, "GET", "/api/v1/demands/%s/actions" % did)
        assert st == st2 and st in (200, 404), (who, st, st2)
        if st == 200:
            assert acts == {"items": det["actions"]}, (state, who)
            for a in acts["items"]:
                assert set(a) == {"action", "label", "note_required"} and a["label"]
        want = EXPECTED[state].get(who, "any")
        if want is None:
            assert st == 404, (state, who)
        elif want != "any":
            assert st == 200 and names(det["actions"]) == want, (state, who, det.get("actions"))


def test_actions_match_detail_per_role(w):
    d = w.submit(title="按钮一致性")
    did = d["id"]
    check_buttons(w, did, "submitted")
    for who, action, params in MAIN_PATH:
        w.act(who, did, action, **params)
        state = {"accept": "accepted", "dispatch": "dispatched", "sign": "signed",
                 "reply": "replied", "review_accept": "reviewed", "rate": "rated"}[action]
        check_buttons(w, did, state)
    # the side paths
    d = make(w, "signed", title="按钮一致性（退单、延期）")
    w.act("handler", d["id"], "return", note="退单")
    check_buttons(w, d["id"], "return_requested")
    w.act("clerk", d["id"], "reject_return", note="驳回")
    due, _ = local_of(w.detail("handler", d["id"])["reply_due"])
    w.act("handler", d["id"], "request_extension", note="延期",
          until=(due + datetime.timedelta(days=14)).isoformat())
    check_buttons(w, d["id"], "extension_requested")
    # note_required is what the server enforces
    acts = {a["action"]: a for a in w.actions("supervisor", d["id"])}
    assert acts["reject_extension"]["note_required"] is True
    assert acts["approve_extension"]["note_required"] is False
    assert acts["approve_extension"]["label"] == "批准延期"


def test_concurrent_actions_take_effect_once(w):
    """Five clerks accept the same demand at once: one wins, the others get 409 and
    leave no trace (the row update is guarded by its version)."""
    d = w.submit(title="并发受理")
    did = d["id"]
    toks = [w.s.login("clerk") for _ in range(5)]
    barrier = threading.Barrier(5)
    results = [None] * 5

    def post(i):
        barrier.wait()
        st, _, r = w.s.request("POST", "/api/v1/demands/%s/actions" % did, {"action": "accept"},
                               token=toks[i])
        results[i] = (st, r)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    statuses = sorted(r[0] for r in results)
    assert statuses == [200, 409, 409, 409, 409], results
    for st, r in results:
        if st == 409:
            assert r["error"]["code"] in ("bad_state", "conflict"), r
    assert [e["action"] for e in w.timeline("clerk", did)] == ["submit", "accept"]
    assert [a["action"] for a in w.audit(did)] == ["demand.accept", "demand.submit"]
    assert w.s.sql("SELECT state, version FROM demands WHERE id = %s" % did) == [("accepted", "2")]


# ---- 4. Idempotency-Key ---------------------------------------------------------------


def test_idempotency_key_replay(w):
    key = "idem-" + uuid.uuid4().hex
    st, h1, d1 = w.req("enterprise", "POST", "/api/v1/demands", {
        "category": "help", "title": "幂等提交", "content": "重试不应产生两件诉求"},
        headers={"Idempotency-Key": key})
    assert st == 201 and h1.get("Idempotent-Replay") is None, d1
    audit_before = people_audits(w)
    st, h2, d2 = w.req("enterprise", "POST", "/api/v1/demands", {
        "category": "help", "title": "幂等提交", "content": "重试不应产生两件诉求"},
        headers={"Idempotency-Key": key})
    assert st == 200 and h2.get("Idempotent-Replay") == "true", d2
    assert d2["id"] == d1["id"] and d2["no"] == d1["no"]
    assert people_audits(w) == audit_before
    assert w.s.sql("SELECT COUNT(*) FROM demands WHERE idem_key = '%s'" % key) == [("1",)]
    assert len(w.timeline("clerk", d1["id"])) == 1
    # another key makes another demand; the same key from another caller too
    d3 = w.submit(key="idem-" + uuid.uuid4().hex, title="幂等提交")
    assert d3["id"] != d1["id"]
    d4 = w.submit("clerk", key=key, credit_code=DEMO_CODE, title="幂等提交（窗口）")
    assert d4["id"] not in (d1["id"], d3["id"])
    # a bad key is refused and makes nothing
    before = w.s.sql("SELECT COUNT(*) FROM demands")
    assert_error(w.req("enterprise", "POST", "/api/v1/demands", {
        "category": "help", "title": "t", "content": "c"},
        headers={"Idempotency-Key": "k" * 129}), 400, "invalid", "Idempotency-Key")
    assert w.s.sql("SELECT COUNT(*) FROM demands") == before


def test_idempotency_key_concurrent_retries(w):
    """Retries racing with the first attempt (a create answers only after its disk sync, so
    a retry can arrive while the first one waits): exactly one demand, one 201, and every
    other answer a replay of the same demand."""
    key = "idem-race-" + uuid.uuid4().hex
    body = {"category": "help", "title": "并发重试", "content": "同一幂等键的并发重试只产生一件诉求"}
    answers = []

    def post():
        answers.append(w.req("enterprise", "POST", "/api/v1/demands", body,
                             headers={"Idempotency-Key": key}))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(st for st, _, _ in answers)
    assert statuses == [200] * 7 + [201], answers
    assert len({d["id"] for _, _, d in answers}) == 1
    assert all(h.get("Idempotent-Replay") == ("true" if st == 200 else None)
               for st, h, _ in answers)
    assert w.s.sql("SELECT COUNT(*) FROM demands WHERE idem_key = '%s'" % key) == [("1",)]


def test_idempotency_key_concurrent(w):
    key = "race-" + uuid.uuid4().hex
    n = 5
    barrier = threading.Barrier(n)
    results = [None] * n

    def post(i):
        barrier.wait()
        st, h, d = w.req("enterprise", "POST", "/api/v1/demands", {
            "category": "help", "title": "并发幂等", "content": "五个线程同一个键"},
            headers={"Idempotency-Key": key})
        results[i] = (st, h.get("Idempotent-Replay"), d)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(r is not None for r in results), results
    statuses = sorted(r[0] for r in results)
    assert statuses == [200] * (n - 1) + [201], results
    assert all(r[1] == "true" for r in results if r[0] == 200)
    ids = {r[2]["id"] for r in results}
    assert len(ids) == 1, results
    did = ids.pop()
    assert w.s.sql("SELECT COUNT(*) FROM demands WHERE idem_key = '%s'" % key) == [("1",)]
    assert [a["action"] for a in w.audit(did)] == ["demand.submit"]
    assert len(w.timeline("clerk", did)) == 1


# ---- 5. lists --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def listed(w):
    """A few demands of every kind, tagged so that q finds exactly them."""
    tag = "列表" + w.token_of_run
    made = {
        "sub": w.submit(title="%s 待受理" % tag),
        "consult": w.submit(category="consult", title="%s 咨询待受理" % tag),
        "ent2": w.submit("ent2", title="%s 第二企业" % tag),
        "county": w.submit("ent3", title="%s 县域企业" % tag),
        "disp": make(w, "dispatched", title="%s 已交办" % tag),
        "signed": make(w, "signed", title="%s 已签收" % tag),
        "rsj": w.submit(category="employment", title="%s 人社主办" % tag),
    }
    w.act("clerk", made["rsj"]["id"], "accept")
    made["rsj"] = w.act("clerk", made["rsj"]["id"], "dispatch", lead=RSJ, co=[JXJ])
    return tag, made


def everything(w):
    """Every demand with its lead and co-handlers, as the administrator sees them."""
    out = {}
    for item in w.listing("admin"):
        det = w.detail("admin", item["id"])
        out[item["id"]] = det
    return out


def ids(items):
    return [i["id"] for i in items]


def test_list_items_match_the_detail(w, listed):
    """The list writes its rows as text (demand.c row_write) and the detail builds them
    with Jansson (row_json): every member a list item carries must be the detail's, for
    every role that sees the demand (the enterprise's view masks and hides fields)."""
    _, made = listed
    seen = 0
    for who in ("admin", "clerk", "handler", "enterprise", "ent3"):
        for item in w.listing(who):
            det = w.detail(who, item["id"])
            for k, v in item.items():
                if k in ("title", "enterprise_name"):
                    continue
                assert k in det, (who, item["id"], k)
                assert det[k] == v, (who, item["id"], k, v, det[k])
            assert item["title"] == det["title"]
            seen += 1
    assert seen >= len(made)


def test_enterprise_rename_reaches_its_demands(w, listed):
    """A demand carries its enterprise's name (migration 0011, so that lists and details
    need no join): a rename through the API shows in the lists and details of that
    enterprise's demands, and of no other, on both backends (a trigger on each)."""
    _, made = listed
    did, other = made["ent2"]["id"], made["sub"]["id"]
    old = w.detail("admin", did)["enterprise_name"]
    new = "安庆市第二测试科技股份有限公司"
    st, _, e = w.req("clerk", "PATCH", "/api/v1/enterprises/" + w.code2, {"name": new})
    assert st == 200, e
    try:
        assert w.detail("admin", did)["enterprise_name"] == new
        assert w.detail("ent2", did)["enterprise_name"] == new
        items = {i["id"]: i for i in w.listing("clerk")}
        assert items[did]["enterprise_name"] == new
        assert items[other]["enterprise_name"] == "安庆市示例智能装备有限公司"
        assert {i["enterprise_name"] for i in w.listing("ent2")} == {new}
        stale = w.s.sql("SELECT COUNT(*) FROM demands WHERE credit_code = '%s' AND "
                        "enterprise_name <> '%s'" % (w.code2, new))
        assert stale == [("0",)], stale
        # A change of anything but the name leaves the demands as they are.
        st, _, e = w.req("clerk", "PATCH", "/api/v1/enterprises/" + w.code2,
                         {"legal_rep": "李明"})
        assert st == 200, e
        assert w.detail("admin", did)["enterprise_name"] == new
    finally:
        st, _, e = w.req("clerk", "PATCH", "/api/v1/enterprises/" + w.code2, {"name": old})
        assert st == 200, e
    assert w.detail("admin", did)["enterprise_name"] == old


def test_list_scoping(w, listed):
    _, made = listed
    allx = everything(w)
    assert {m["id"] for m in made.values()} <= set(allx)

    def involved(d, org):
        return (d["lead"] and d["lead"]["code"] == org) or org in [c["code"] for c in
                                                                   d["co_handlers"]]

    expect = {
        "admin": set(allx),
        "enterprise": {i for i, d in allx.items() if d["credit_code"] == DEMO_CODE},
        "ent2": {i for i, d in allx.items() if d["credit_code"] == w.code2},
        "ent3": {i for i, d in allx.items() if d["credit_code"] == w.code3},
        "handler": {i for i, d in allx.items() if involved(d, JXJ)},
        "fgw_handler": {i for i, d in allx.items() if involved(d, FGW)},
        "rsj_handler": {i for i, d in allx.items() if involved(d, RSJ)},
        "clerk": {i for i, d in allx.items() if d["region"].startswith("3408")},
        "supervisor": {i for i, d in allx.items() if d["region"].startswith("3408")},
        "hn_clerk": {i for i, d in allx.items() if d["region"].startswith("340822")},
        "officer": set(),
    }
    assert made["rsj"]["id"] in expect["handler"] and made["rsj"]["id"] in expect["rsj_handler"]
    assert made["county"]["id"] in expect["hn_clerk"] and made["sub"]["id"] not in expect["hn_clerk"]
    assert made["ent2"]["id"] in expect["ent2"] and made["ent2"]["id"] not in expect["enterprise"]
    for who, want in expect.items():
        got = ids(w.listing(who))
        assert len(got) == len(set(got)), who
        assert got == sorted(got, key=int, reverse=True), who  # newest first
        assert set(got) == want, (who, set(got) ^ want)
    # every listed item is one the caller may open
    for who in ("enterprise", "handler", "hn_clerk"):
        for i in ids(w.listing(who))[:5]:
            w.detail(who, i)
    # list items carry what the list shows
    item = [i for i in w.listing("clerk") if i["id"] == made["disp"]["id"]][0]
    assert item["title"] == made["disp"]["title"] and item["state"] == "dispatched"
    assert item["enterprise_name"] == "安庆市示例智能装备有限公司" and item["light"] in (
        "green", "yellow")


def test_list_filters(w, listed):
    tag, made = listed
    allx = w.listing("admin")
    got = w.listing("clerk", urllib.parse.urlencode({"q": tag}))
    assert set(ids(got)) == {m["id"] for m in made.values()}
    assert set(ids(w.listing("enterprise", urllib.parse.urlencode({"q": tag})))) == {
        made[k]["id"] for k in ("sub", "consult", "disp", "signed", "rsj")}
    assert w.listing("clerk", urllib.parse.urlencode({"q": tag + "不存在的词"})) == []
    # q ignores ASCII case on both backends
    erp = w.submit(title="%s ERP系统上云补贴" % tag)
    assert ids(w.listing("clerk", urllib.parse.urlencode({"q": "erp系统上云"}))) == [erp["id"]]
    assert ids(w.listing("clerk", urllib.parse.urlencode({"q": "ERP系统上云"}))) == [erp["id"]]
    made["erp"] = erp
    allx = w.listing("admin")
    # LIKE metacharacters are literal
    assert w.listing("clerk", urllib.parse.urlencode({"q": "%"})) == []
    for state in ("submitted", "dispatched", "signed", "archived"):
        got = w.listing("admin", "state=" + state)
        assert all(i["state"] == state for i in got)
        assert set(ids(got)) == {i["id"] for i in allx if i["state"] == state}
    got = w.listing("admin", "category=consult")
    assert got and set(ids(got)) == {i["id"] for i in allx if i["category"] == "consult"}
    got = w.listing("clerk", urllib.parse.urlencode({"q": tag, "state": "submitted",
                                                     "category": "help"}))
    assert set(ids(got)) == {made[k]["id"] for k in ("sub", "ent2", "county", "erp")}
    assert set(ids(w.listing("admin", "credit_code=" + w.code3))) == {
        i["id"] for i in allx if i["credit_code"] == w.code3}
    assert_error(w.req("clerk", "GET", "/api/v1/demands?state=flying"), 400, "invalid", "state")
    assert_error(w.req("clerk", "GET", "/api/v1/demands?light=blue"), 400, "invalid", "light")
    assert_error(w.req("clerk", "GET", "/api/v1/demands?cursor=%%%"), 400, "invalid", "cursor")
    assert_error(w.req("clerk", "GET", "/api/v1/demands?limit=501"), 400, "invalid", "limit")


def test_list_light_filter(w, listed):
    _, made = listed
    allx = w.listing("admin")
    by_light = {}
    for i in allx:
        by_light.setdefault(i["light"], set()).add(i["id"])
    assert set(by_light) <= {"none", "green", "yellow", "red"}
    # demands with no running clock have no light
    for i in allx:
        if i["state"] in ("submitted", "accepted", "declined", "answered_directly", "replied",
                          "rated", "archived", "merged"):
            assert i["light"] == "none" and i["due"] is None, i
        else:
            assert i["light"] != "none" and i["due"], i
    assert made["sub"]["id"] in by_light["none"]
    assert made["signed"]["id"] in by_light["green"]  # 5 working days left after signing
    for light in ("green", "yellow", "red"):
        got = w.listing("admin", "light=" + light)
        assert all(i["light"] == light for i in got), light
        assert set(ids(got)) == by_light.get(light, set()), light
        # paging a light filter one at a time visits the same set
        paged = w.listing("admin", "light=" + light, limit=1)
        assert ids(paged) == ids(got), light
    assert not (by_light["none"] & set(ids(w.listing("admin", "light=green"))))
    got = w.listing("enterprise", "light=green")
    assert all(i["credit_code"] == DEMO_CODE and i["light"] == "green" for i in got)


def test_list_cursor_visits_each_once(w, listed):
    full = ids(w.listing("admin"))
    assert len(full) >= 7
    for limit in (1, 2, 3):
        paged = ids(w.listing("admin", limit=limit))
        assert paged == full, limit
    st, _, page = w.req("admin", "GET", "/api/v1/demands?limit=2")
    assert st == 200 and len(page["items"]) == 2 and page["next_cursor"]
    st, _, page2 = w.req("admin", "GET", "/api/v1/demands?limit=2&cursor=" + page["next_cursor"])
    assert st == 200 and ids(page2["items"]) == full[2:4]
    scoped = ids(w.listing("enterprise", "state=submitted"))
    assert ids(w.listing("enterprise", "state=submitted", limit=1)) == scoped


# ---- 6. deadlines -----------------------------------------------------------------------


# The instants of the test clock the deadline suite runs at (Beijing time): a working day
# before 16:30, in the hour where a 特急 sign-for limit runs past the same-day reply limit,
# and after 17:30; a Friday evening; the Friday before the 调休 Saturday 2026-02-14 (春节);
# New Year's Eve (元旦 01-01..03, the 调休 Sunday 01-04); the last day the built-in
# calendar covers (2026-12-31), before and after 17:30; and None: the server's own clock
# (the real time, or QIFU_TEST_NOW when the suite is run with it).
INSTANTS = [
    "2026-03-10T10:00:00+08:00",
    "2026-03-10T17:00:00+08:00",
    "2026-03-10T18:00:00+08:00",
    "2026-03-13T18:30:00+08:00",
    "2026-02-13T17:00:00+08:00",
    "2025-12-31T17:00:00+08:00",
    "2026-12-31T17:00:00+08:00",
    "2026-12-31T18:00:00+08:00",
    None,
]


@pytest.fixture(params=INSTANTS, ids=lambda i: i[:16] if i else "server-clock")
def at_instant(w, request):
    """Runs a test with the server's clock at the instant (advancing from there)."""
    w.s.set_clock(request.param)
    w.relogin()
    try:
        yield request.param
    finally:
        w.s.set_clock(None)
        w.relogin()


@pytest.mark.parametrize("category,urgency", [("help", "normal"), ("consult", "urgent"),
                                              ("utilities", "normal"), ("complaint", "critical")])
def test_deadlines_after_dispatch(w, at_instant, category, urgency):
    st, _, cat = w.s.request("GET", "/api/v1/categories/" + category)
    assert st == 200
    lim = cat["limits"][urgency]
    d = w.submit(category=category, urgency=urgency, title="时限 %s %s" % (category, urgency))
    assert d["urgency"] == urgency
    w.act("clerk", d["id"], "accept")
    d = w.act("clerk", d["id"], "dispatch", lead=JXJ)
    for k in ("sign_due", "reply_due"):
        assert RFC3339_CST.match(d[k]), (k, d[k])
    assert d["reply_due"].endswith("T17:30:00+08:00")
    assert d["rectify_due"] is None and d["due"] == d["sign_due"]
    assert d["light"] in ("green", "yellow")
    at = event(w.timeline("clerk", d["id"]), "dispatch")["at"]
    if at_instant:
        # the test clock: the dispatch happened within minutes of the instant
        start = datetime.datetime.fromisoformat(at_instant)
        assert start <= datetime.datetime.fromisoformat(at) < start + datetime.timedelta(
            minutes=10), (at_instant, at)
    # provisional only when a counted day lies in a year without a State Council notice
    st, _, years = w.s.request("GET", "/api/v1/calendar/years")
    last = years["coverage"]["last_year"]
    assert d["due_beyond_coverage"] is (max(int(at[:4]), int(d["reply_due"][:4])) > last)
    want = nth_working_day(w.s, at, lim["reply_days"], urgency)
    assert d["reply_due"] == want.isoformat() + "T17:30:00+08:00"
    # the office hours of the sign-for limit, but never past the reply deadline
    assert d["sign_due"] == min(office_deadline(w.s, at, lim["sign_hours"]), d["reply_due"])
    # the sign-for deadline comes first
    assert d["sign_due"] <= d["reply_due"]
    # once signed, the reply clock runs
    d = w.act("handler", d["id"], "sign")
    assert d["due"] == d["reply_due"] and d["light"] in ("green", "yellow")
    if lim["reply_days"] >= 3:
        assert d["light"] == "green"
    # the API's calculator agrees
    st, _, calc = w.s.request("GET", "/api/v1/calendar/deadline?" + urllib.parse.urlencode(
        {"start": at, "category": category, "urgency": urgency}))
    assert st == 200, calc
    assert calc["limits"] == lim
    assert calc["sign"]["deadline"] == d["sign_due"] and calc["reply"]["deadline"] == d["reply_due"]


def test_categories_offered_and_unknown_refused(w):
    st, _, cats = w.s.request("GET", "/api/v1/categories")
    assert st == 200
    codes = [c["code"] for c in cats["items"]]
    assert {"consult", "help", "complaint", "report", "suggestion", "praise"} <= set(codes)
    # an unknown or inactive category cannot be filed
    before = w.s.sql("SELECT COUNT(*) FROM demands")
    assert_error(w.req("enterprise", "POST", "/api/v1/demands", {
        "category": "nope", "title": "t", "content": "c"}), 400, "invalid", "category")
    assert w.s.sql("SELECT COUNT(*) FROM demands") == before


# ---- 7. notices ---------------------------------------------------------------------------


def test_notices_along_the_loop(w):
    d = make(w, "accepted", title="通知链路")
    did = d["id"]
    w.act("clerk", did, "dispatch", lead=JXJ, co=[FGW])
    n = [x for x in w.notices("handler") if x.get("entity") == "demand" and x["entity_id"] == did]
    assert [x["kind"] for x in n] == ["dispatched"]
    assert n[0]["title"] == "新交办诉求 " + d["no"] and n[0]["read"] is False
    assert RFC3339_CST.match(n[0]["created_at"])
    assert [x["body"] for x in w.notices("fgw_handler") if x.get("entity") == "demand" and x["entity_id"] == did] == ["请协办"]
    assert w.notice_kinds("rsj_handler", did) == []
    assert w.notice_kinds("enterprise", did) == ["accepted"]  # 受理 (issue 17 item 2)
    w.act("handler", did, "sign")
    w.act("handler", did, "reply", note="答复内容")
    n = [x for x in w.notices("clerk") if x.get("entity") == "demand" and x["entity_id"] == did]
    assert [x["kind"] for x in n] == ["reply"] and n[0]["title"] == "答复待审核 " + d["no"]
    assert n[0]["body"] == "答复内容"
    assert w.notice_kinds("hn_clerk", did) == []  # another desk's notices
    w.act("clerk", did, "review_accept")
    n = [x for x in w.notices("enterprise") if x.get("entity") == "demand" and x["entity_id"] == did]
    assert [x["kind"] for x in n] == ["rating_requested", "accepted"]
    assert n[0]["title"] == "您的诉求 %s 已答复，请评价" % d["no"]
    assert w.notice_kinds("ent2", did) == []
    w.act("enterprise", did, "rate", rating=1, note="非常不满意")
    assert w.notice_kinds("handler", did) == ["rectify", "dispatched"]  # newest first
    assert w.notice_kinds("clerk", did) == ["callback", "reply"]
    cb = [x for x in w.notices("clerk") if x.get("entity") == "demand" and x["entity_id"] == did][0]
    assert cb["title"] == "差评整改 " + d["no"] and cb["body"] == "差评须回访"
    # notices are paged with a cursor like every list
    allh = w.notices("handler")
    assert [x["id"] for x in w.s.list_all("/api/v1/notices", w.tok["handler"], limit=1)] == [
        x["id"] for x in allh]


# ---- 8. the audit chain ------------------------------------------------------------------


def test_zz_audit_chain_intact(w):
    p = w.s.cli("audit", "verify")
    assert "审计链完整" in p.stdout, p.stdout
    assert "intact: %d events" % w.s.audit_count() in p.stdout
    n = int(w.s.sql("SELECT COUNT(*) FROM audit WHERE entity = 'demand'")[0][0])
    assert n >= 100


def test_idempotency_key_reused_for_another_request(server):
    ent = server.login("enterprise")
    body = {"category": "help", "title": "同一个键", "content": "第一次提交的内容"}
    st, _, first = server.request("POST", "/api/v1/demands", token=ent, body=body,
                                  headers={"Idempotency-Key": "reuse-1"})
    assert st == 201, first
    before = server.request("GET", "/api/v1/demands?limit=500", token=ent)[2]["items"]
    other = dict(body, content="内容不同的另一件诉求")
    st, _, r = server.request("POST", "/api/v1/demands", token=ent, body=other,
                              headers={"Idempotency-Key": "reuse-1"})
    assert st == 409 and r["error"]["field"] == "Idempotency-Key", r
    assert "Idempotency-Key" in r["error"]["message"]
    after = server.request("GET", "/api/v1/demands?limit=500", token=ent)[2]["items"]
    assert [x["id"] for x in after] == [x["id"] for x in before]


def test_contact_phone_is_validated_at_intake(w):
    # a mobile in any usual spelling, or a landline with its area code, is taken as typed
    w.submit(contact_phone="139 0556 1234")
    w.submit(contact_phone="0556-5551234")
    for bad in ("abc", "12345678901234", "139055612", "0556-12"):
        d = w.submit(status=400, contact_phone=bad)
        assert d["error"]["code"] == "invalid"
        assert d["error"]["field"] == "contact_phone"
        assert "手机号或固定电话" in d["error"]["message"]


def test_create_answers_the_detail_it_wrote(w):
    """A create's 201 is built from the INSERT's own row (issue 16 item 5): it must be the
    very detail a GET then answers, for an enterprise, a clerk filing by phone with an
    external id, and a clerk's replay (read back, 200)."""
    d = w.submit(title="创建即详情（网上）", address="安庆市宜秀区")
    st, _, got = w.req("enterprise", "GET", "/api/v1/demands/%s" % d["id"])
    assert st == 200 and got == d
    assert d["state"] == "submitted" and d["lead"] is None and d["co_handlers"] == []
    assert d["channel"] == "web" and d["credit_code"] == DEMO_CODE
    assert d["enterprise_name"] and d["no"].startswith("QF") and d["no"].endswith(
        "%08d" % int(d["id"]))
    key = "answer-%s" % d["id"]
    c = w.submit("clerk", key=key, credit_code=DEMO_CODE, channel="hotline", urgency="urgent",
                 external_id="12345-%s" % d["id"], title="创建即详情（电话）", lat=30.5, lon=117.05)
    st, _, got = w.req("clerk", "GET", "/api/v1/demands/%s" % c["id"])
    assert st == 200 and got == c
    assert c["urgency"] == "urgent" and c["external_id"] == "12345-%s" % d["id"]
    assert c["contact_phone"] == "13905561234"
    # the replay: the same demand, read back
    st, hdrs, again = w.req("clerk", "POST", "/api/v1/demands", {
        "credit_code": DEMO_CODE, "channel": "hotline", "urgency": "urgent",
        "external_id": "12345-%s" % d["id"], "lat": 30.5, "lon": 117.05,
        "category": "help", "title": "创建即详情（电话）",
        "content": "我公司计划更新生产线，想了解技改补贴的申请条件和流程。",
        "contact_name": "方晓东", "contact_phone": "13905561234"},
        headers={"Idempotency-Key": key})
    assert st == 200 and hdrs.get("Idempotent-Replay") == "true" and again == c


def test_create_checks_the_category_in_its_lookup(w):
    """The category's check moved into the creation's one lookup statement: an unknown
    and a switched-off category are still refused on the field, with nothing written."""
    before = (w.s.sql("SELECT COUNT(*) FROM demands"), people_audits(w))
    for cat in ("nope", "tax_off"):
        if cat == "tax_off":
            st, _, c = w.s.request("POST", "/api/v1/categories", {
                "code": "tax_off", "name": "停用的类别", "parent": "help"}, token=w.tok["admin"])
            assert st == 201, c
            st, _, c = w.s.request("PATCH", "/api/v1/categories/tax_off", {"active": False},
                                   token=w.tok["admin"])
            assert st == 200 and c["active"] is False, c
            before = (before[0], people_audits(w))
        err = w.req("enterprise", "POST", "/api/v1/demands", {
            "category": cat, "title": "类别检查", "content": "内容"})
        assert_error(err, 400, "invalid", "category", "不存在或已停用")
    assert (w.s.sql("SELECT COUNT(*) FROM demands"), people_audits(w)) == before
