# SPDX-License-Identifier: Apache-2.0
"""To-do counts and the message centre (issue 17 item 2): GET /me/todo gives each role's
counts, each equal to the length of the list it links to (through the same access scope);
notices reach the handler on 交办, 督办 and 延期 decisions, the supervisors on a 延期 request and
the enterprise on 受理 and 答复; read state is
per user (POST /notices/{id}/read, POST /notices/read)."""
import datetime
import time
import urllib.parse

from conftest import assert_error
from demand_steps import Flow

ROLES = ("clerk", "handler", "supervisor", "officer", "admin", "enterprise")
PW = "Todo-Test-2026!"


def todo(s, tok):
    st, _, body = s.request("GET", "/api/v1/me/todo", token=tok)
    assert st == 200, body
    return body["items"]


def counts(s, tok):
    return {i["key"]: i["count"] for i in todo(s, tok)}


def check_lists(s, tok):
    """Every count equals the length of its linked list, walked in pages of 3."""
    items = todo(s, tok)
    for i in items:
        assert i["label"] and i["list"]["path"].startswith("/api/v1/"), i
        q = urllib.parse.urlencode(i["list"]["query"])
        if "filter" in i["list"]:
            # One answer, not pages (我的政策): the items its filter selects.
            st, _, body = s.request("GET", i["list"]["path"] + "?" + q, token=tok)
            assert st == 200, body
            f = i["list"]["filter"]
            listed = [x for x in body["items"] if x["outcome"] == f["outcome"]
                      and x["policy"]["delivery"] in f["delivery"]]
        else:
            listed = s.list_all(i["list"]["path"] + "?" + q, tok, limit=3)
        assert len(listed) == i["count"], (i, len(listed))
    return {i["key"]: i["count"] for i in items}


def extension(f, did):
    """Requests an extension of did to a working day well after its deadline."""
    st, _, d = f.s.request("GET", "/api/v1/demands/%s" % did, token=f.tok["handler"])
    due = datetime.date.fromisoformat(d["reply_due"][:10])
    for k in range(20, 40):
        st, _, r = f.s.request("POST", "/api/v1/demands/%s/actions" % did, token=f.tok["handler"],
                               body={"action": "request_extension", "note": "需现场勘验",
                                     "until": (due + datetime.timedelta(days=k)).isoformat()})
        if st == 200:
            return
    raise AssertionError(r)


def unread(s, tok):
    return s.list_all("/api/v1/notices?unread=1", tok, limit=5)


def test_counts_equal_lists_for_every_role(server):
    f = Flow(server)
    f.submit("待受理的诉求")
    a = f.submit("待交办的诉求")
    f.act("clerk", a, "accept")
    f.dispatched("待签收的诉求")
    co = f.submit("协办单位看到的诉求")
    f.act("clerk", co, "accept")
    f.act("clerk", co, "dispatch", lead="340800-FGW", co=["340800-JXJ"])
    signed = f.dispatched("办理中的诉求")
    f.act("handler", signed, "sign")
    server.set_column(signed, "reply_due", int(time.time() * 1000) - 3600 * 1000)
    rep = f.dispatched("待复核的诉求")
    f.act("handler", rep, "sign")
    f.act("handler", rep, "reply", note="已答复")
    f.replied("待评价的诉求")
    ext = f.dispatched("延期待批的诉求")
    f.act("handler", ext, "sign")
    extension(f, ext)
    ret = f.dispatched("退单的诉求")
    f.act("handler", ret, "return", note="不属于本单位职责")
    got = {}
    for user in ROLES:
        tok = server.admin() if user == "admin" else server.login(user)
        got[user] = check_lists(server, tok)
    assert got["clerk"]["accept"] >= 1 and got["clerk"]["dispatch"] >= 1
    assert got["clerk"]["review"] >= 1 and got["clerk"]["return"] >= 1
    assert got["handler"]["sign"] >= 1 and got["handler"]["handling"] >= 1
    assert got["handler"]["overdue"] >= 1 and got["handler"]["unread"] >= 1
    assert got["supervisor"]["extension"] >= 1 and got["supervisor"]["return"] >= 1
    assert got["enterprise"]["rate"] >= 1 and got["enterprise"]["unread"] >= 1
    assert got["enterprise"]["policies"] >= 1  # the demo's 知识产权示范企业奖励 (即申即享)
    assert "app_review" in got["officer"] and "grant_pay" in got["officer"]
    assert set(got["admin"]) <= {"unread"}
    # A co-handler's rows are not its 待签收: the 经信局 handler co-handles co (发改委 leads).
    tok = f.tok["handler"]
    signs = server.list_all("/api/v1/demands?todo=sign", tok)
    assert co not in [d["id"] for d in signs]
    assert co in [d["id"] for d in server.list_all("/api/v1/demands?state=dispatched", tok)]
    assert_error(server.request("GET", "/api/v1/demands?todo=nothing", token=tok), 400,
                 "invalid", field="todo")


def test_counts_move_after_actions(server):
    f = Flow(server)
    did = f.submit("计数随办理变化")
    clerk = counts(server, f.tok["clerk"])
    f.act("clerk", did, "accept")
    after = counts(server, f.tok["clerk"])
    assert after["accept"] == clerk["accept"] - 1 and after["dispatch"] == clerk["dispatch"] + 1
    f.act("clerk", did, "dispatch", lead="340800-JXJ")
    hand = counts(server, f.tok["handler"])
    f.act("handler", did, "sign")
    after = counts(server, f.tok["handler"])
    assert after["sign"] == hand["sign"] - 1 and after["handling"] == hand["handling"] + 1
    ent = counts(server, f.tok["enterprise"])
    f.act("handler", did, "reply", note="已办结")
    assert counts(server, f.tok["clerk"])["review"] >= 1
    f.act("clerk", did, "review_accept")
    assert counts(server, f.tok["enterprise"])["rate"] == ent["rate"] + 1
    f.act("enterprise", did, "rate", rating=5)
    assert counts(server, f.tok["enterprise"])["rate"] == ent["rate"]


def kinds_about(s, tok, did):
    return [n["kind"] for n in s.list_all("/api/v1/notices", tok) if n.get("entity_id") == did]


def test_notices_reach_handler_and_enterprise(server):
    f = Flow(server)
    did = f.submit("通知送达")
    f.act("clerk", did, "accept")
    assert "accepted" in kinds_about(server, f.tok["enterprise"], did)
    f.act("clerk", did, "dispatch", lead="340800-JXJ")
    assert "dispatched" in kinds_about(server, f.tok["handler"], did)
    f.act("supervisor", did, "urge", note="请抓紧办理")
    f.act("handler", did, "sign")
    # Past the reply deadline an urge is a 督办 and reaches the handler as one.
    server.set_column(did, "reply_due", int(time.time() * 1000) - 3600 * 1000)
    f.act("supervisor", did, "urge", note="已超期，请立即办理")
    kinds = kinds_about(server, f.tok["handler"], did)
    assert "urge" in kinds and "supervise" in kinds, kinds
    f.act("handler", did, "reply", note="已答复企业")
    f.act("clerk", did, "review_accept")
    assert "rating_requested" in kinds_about(server, f.tok["enterprise"], did)
    # A 延期 request reaches the supervisors of the demand's region (督查室), with its reason;
    # the decision reaches the handler.
    ext = f.dispatched("延期申请的通知")
    f.act("handler", ext, "sign")
    extension(f, ext)
    sup = [n for n in server.list_all("/api/v1/notices", f.tok["supervisor"])
           if n.get("entity_id") == ext]
    assert [(n["kind"], n["body"]) for n in sup] == [("request_extension", "需现场勘验")], sup
    assert "request_extension" not in kinds_about(server, f.tok["clerk"], ext)
    f.act("supervisor", ext, "approve_extension")
    assert "approve_extension" in kinds_about(server, f.tok["handler"], ext)
    # Declining tells the enterprise why.
    no = f.submit("不予受理的通知")
    f.act("clerk", no, "decline", note="不属于受理范围")
    n = [n for n in server.list_all("/api/v1/notices", f.tok["enterprise"])
         if n.get("entity_id") == no]
    assert [(x["kind"], x["body"]) for x in n] == [("declined", "不属于受理范围")]
    # Nobody sees another's notices: not the enterprise the handler's, nor the reverse.
    assert "dispatched" not in kinds_about(server, f.tok["enterprise"], did)
    assert "accepted" not in kinds_about(server, f.tok["handler"], did)


def test_mark_read_and_read_all_are_per_user(server):
    adm = server.admin()
    st, _, r = server.request("POST", "/api/v1/users", {
        "username": "todo_h2", "password": PW, "role": "handler", "org": "340800-JXJ",
        "display_name": "经信局承办人二"}, token=adm)
    assert st == 201, r
    f = Flow(server)
    f.dispatched("已读状态一")
    f.dispatched("已读状态二")
    h1, h2 = f.tok["handler"], server.login("todo_h2", PW)
    mine, other = unread(server, h1), unread(server, h2)
    assert len(mine) >= 2 and len(other) >= 2
    # One read: that notice leaves h1's unread list and count, not h2's.
    st, _, r = server.request("POST", "/api/v1/notices/%s/read" % mine[0]["id"], token=h1)
    assert st == 200 and r["unread"] == len(mine) - 1, r
    assert counts(server, h1)["unread"] == len(mine) - 1
    assert [n["id"] for n in unread(server, h1)] == [n["id"] for n in mine[1:]]
    assert [n for n in server.list_all("/api/v1/notices", h1)
            if n["id"] == mine[0]["id"]][0]["read"] is True
    assert len(unread(server, h2)) == len(other)
    # Marking again is harmless.
    st, _, r = server.request("POST", "/api/v1/notices/%s/read" % mine[0]["id"], token=h1)
    assert st == 200 and r["unread"] == len(mine) - 1
    # All read: h1's count is 0; h2's is unchanged.
    st, _, r = server.request("POST", "/api/v1/notices/read", token=h1)
    assert st == 200 and r["marked"] == len(mine) - 1 and r["unread"] == 0, r
    assert unread(server, h1) == [] and counts(server, h1)["unread"] == 0
    assert counts(server, h2)["unread"] == len(other)
    # A notice not addressed to the caller cannot be marked (it does not exist for it).
    ent = f.tok["enterprise"]
    assert_error(server.request("POST", "/api/v1/notices/%s/read" % other[0]["id"], token=ent),
                 404, "not_found")
    assert_error(server.request("POST", "/api/v1/notices/999999/read", token=h1), 404,
                 "not_found")
    assert len(unread(server, h2)) == len(other)
    # A new notice is unread again.
    f.dispatched("已读之后的新交办")
    assert counts(server, h1)["unread"] == 1
