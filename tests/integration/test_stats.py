# SPDX-License-Identifier: Apache-2.0
"""
Demand statistics per lead organisation and period (issue 4 item 7,
docs/internals/demand.md "Statistics"): GET /api/v1/stats/demands as JSON and as CSV.

The data is built through the public API (enterprise submits, clerk accepts and
dispatches, handler signs / returns / replies, clerk reviews, enterprise rates); where
a figure needs time to pass (a late sign-for, an overdue deadline, a reply some working
days after dispatch) the test moves that column in the database, which is what the
passing of time would have done. Expected figures are worked out here, independently.
"""
import csv
import datetime
import io
import urllib.parse

import pytest

from conftest import assert_error, fixed_instant, instant_ms
from demand_steps import FGW, JXJ, Flow

CST = datetime.timezone(datetime.timedelta(hours=8))
DAY_MS = 86400000




def column(server, did, name):
    return int(server.sql("SELECT %s FROM demands WHERE id = %d" % (name, int(did)))[0][0])


def working_days_after(server, start, end):
    """Working dates d with start < d <= end, from the public calendar."""
    st, _, page = server.request("GET", "/api/v1/calendar?" + urllib.parse.urlencode(
        {"from": start.isoformat(), "to": end.isoformat()}))
    assert st == 200, page
    return sum(1 for d in page["days"]
               if d["working"] and start < datetime.date.fromisoformat(d["date"]) <= end)


@pytest.fixture(scope="module")
def world(server):
    # Periods and red lights are computed at a fixed instant of the server's test clock.
    server.set_clock(fixed_instant())
    f = Flow(server)
    now_ms = instant_ms(fixed_instant())
    # A: the whole loop, rated 5; dispatched 7 days ago (moved), so it took working days.
    a = f.replied("统计A 全流程满意")
    f.act("enterprise", a, "rate", rating=5)
    server.set_column(a, "dispatched_at", now_ms - 7 * DAY_MS)
    # B: 差评 (1), rectified, re-rated 4.
    b = f.replied("统计B 差评后整改")
    f.act("enterprise", b, "rate", rating=1, note="答复不解决问题")
    f.act("handler", b, "reply", note="整改后重新答复")
    f.act("clerk", b, "review_accept")
    f.act("enterprise", b, "rate", rating=4)
    # C: 差评 (2), still rectifying.
    c = f.replied("统计C 差评整改中")
    f.act("enterprise", c, "rate", rating=2, note="不满意")
    # D: returned by JXJ, re-dispatched to FGW.
    d = f.dispatched("统计D 退单改派")
    f.act("handler", d, "return", note="不属于本单位职责")
    f.act("clerk", d, "approve_return", note="同意退回")
    f.act("clerk", d, "dispatch", lead=FGW)
    # E: never signed, sign-for deadline passed (red).
    e = f.dispatched("统计E 超期未签收")
    server.set_column(e, "sign_due", now_ms - 60000)
    # F: signed late, reply deadline passed (red).
    g = f.dispatched("统计F 签收超时")
    f.act("handler", g, "sign")
    server.set_column(g, "sign_due", column(server, g, "signed_at") - 1000)
    server.set_column(g, "reply_due", now_ms - 60000)

    today = datetime.datetime.fromisoformat(fixed_instant()).astimezone(CST).date()
    a_dispatch = datetime.datetime.fromtimestamp(column(server, a, "dispatched_at") / 1000, CST).date()
    a_reply = datetime.datetime.fromtimestamp(column(server, a, "replied_at") / 1000, CST).date()
    days_a = working_days_after(server, a_dispatch, a_reply)
    jxj = {"received": 6, "dispatched": 5, "signed_on_time": 3, "returned": 1,
           "replied_on_time": 3, "overdue": 2, "replied": 3, "handling_days": days_a,
           "avg_handling_days": round(days_a / 3, 2), "rated": 3, "satisfied": 2,
           "satisfaction_rate": round(2 / 3, 4), "bad_ratings": 2, "bad_rectified": 1,
           "bad_rectified_rate": 0.5}
    fgw = {"received": 1, "dispatched": 1, "signed_on_time": 0, "returned": 0,
           "replied_on_time": 0, "overdue": 0, "replied": 0, "handling_days": 0,
           "avg_handling_days": None, "rated": 0, "satisfied": 0, "satisfaction_rate": None,
           "bad_ratings": 0, "bad_rectified": 0, "bad_rectified_rate": None}
    frm, to = today - datetime.timedelta(days=10), today + datetime.timedelta(days=1)
    return {"flow": f, "jxj": jxj, "fgw": fgw, "from": frm.isoformat(), "to": to.isoformat(),
            "today": today}


def stats(server, token, **q):
    return server.request("GET", "/api/v1/stats/demands?" + urllib.parse.urlencode(q), token=token)


def same(got, want):
    for k, v in want.items():
        if isinstance(v, float):
            assert got[k] == pytest.approx(v, abs=1e-9), (k, got[k], v)
        else:
            assert got[k] == v, (k, got[k], v)


def test_figures_per_organisation_and_total(server, world):
    for who in ("admin", "supervisor"):
        st, _, j = stats(server, world["flow"].tok[who], **{"from": world["from"], "to": world["to"]})
        assert st == 200, j
        assert j["from"] == world["from"] and j["to"] == world["to"]
        by = {it["org"]["code"]: it for it in j["items"]}
        assert sorted(by) == [FGW, JXJ]
        assert by[JXJ]["org"]["name"] == "安庆市经济和信息化局"
        same(by[JXJ], world["jxj"])
        same(by[FGW], world["fgw"])
        total = {k: world["jxj"][k] + world["fgw"][k] for k in world["jxj"]
                 if isinstance(world["jxj"][k], int) and not isinstance(world["jxj"][k], bool)}
        same(j["total"], total)
        assert j["total"]["satisfaction_rate"] == pytest.approx(round(2 / 3, 4))
        # Every figure is defined, with a Chinese label, and listed as a column.
        keys = [c["key"] for c in j["columns"]]
        assert set(keys) <= set(j["definitions"])
        assert set(keys) == set(world["jxj"])
        assert j["definitions"]["satisfaction_rate"]["label"] == "满意率"
        assert j["definitions"]["bad_rectified_rate"]["label"] == "差评整改率"
        assert all(d["definition"] for d in j["definitions"].values())


def test_org_filter_and_empty_period(server, world):
    tok = world["flow"].tok["admin"]
    st, _, j = stats(server, tok, **{"from": world["from"], "to": world["to"], "org": FGW})
    assert st == 200, j
    assert [it["org"]["code"] for it in j["items"]] == [FGW]
    same(j["items"][0], world["fgw"])
    same(j["total"], {"received": 1, "dispatched": 1, "returned": 0})
    st, _, j = stats(server, tok, **{"from": world["from"], "to": world["to"], "org": JXJ})
    same(j["items"][0], world["jxj"])
    assert_error(stats(server, tok, **{"from": world["from"], "to": world["to"], "org": "nope"}),
                 400, "invalid", "org")
    # A period before anything happened.
    st, _, j = stats(server, tok, **{"from": "2020-01-01", "to": "2020-12-31"})
    assert st == 200 and j["items"] == [] and j["total"]["received"] == 0
    assert j["total"]["satisfaction_rate"] is None


def test_csv_export(server, world):
    q = {"from": world["from"], "to": world["to"], "format": "csv"}
    st, hdrs, text = stats(server, world["flow"].tok["supervisor"], **q)
    assert st == 200, text
    assert hdrs["Content-Type"] == "text/csv; charset=utf-8"
    assert hdrs["Content-Disposition"] == 'attachment; filename="demand-stats-%s-%s.csv"' % (
        world["from"], world["to"])
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    st, _, j = stats(server, world["flow"].tok["supervisor"], **{"from": world["from"],
                                                                  "to": world["to"]})
    labels = [c["label"] for c in j["columns"]]
    keys = [c["key"] for c in j["columns"]]
    assert rows[0] == ["机构代码", "机构名称"] + labels
    assert "交办数" in rows[0] and "按时签收数" in rows[0] and "平均办理工作日" in rows[0]
    body = {r[0]: dict(zip(keys, r[2:])) for r in rows[1:]}
    assert [r[0] for r in rows[1:]] == [FGW, JXJ, "合计"]
    assert rows[2][1] == "安庆市经济和信息化局"
    for code, want in ((JXJ, world["jxj"]), (FGW, world["fgw"])):
        for k, v in want.items():
            if v is None:
                assert body[code][k] == "", (code, k)
            elif isinstance(v, float):
                assert float(body[code][k]) == pytest.approx(v, abs=1e-9), (code, k)
            else:
                assert body[code][k] == str(v), (code, k)
    assert body[JXJ]["satisfaction_rate"] == "0.6667"
    assert body["合计"]["received"] == "7"


def test_bad_requests(server, world):
    tok = world["flow"].tok["admin"]
    assert_error(stats(server, tok, **{"from": "2026-13-01", "to": "2026-12-31"}), 400,
                 "invalid", "from")
    assert_error(stats(server, tok, **{"from": "2026-01-01"}), 400, "invalid", "to")
    assert_error(stats(server, tok, **{"from": "20260101", "to": "2026-01-31"}), 400,
                 "invalid", "from")
    assert_error(stats(server, tok, **{"from": "2026-02-01", "to": "2026-01-31"}), 400,
                 "invalid", "to")
    # 366 days is the longest period (both ends included).
    st, _, j = stats(server, tok, **{"from": "2024-01-01", "to": "2024-12-31"})
    assert st == 200, j
    assert_error(stats(server, tok, **{"from": "2024-01-01", "to": "2025-01-01"}), 400,
                 "invalid", "to")
    assert_error(stats(server, tok, **{"from": "2024-01-01", "to": "2024-01-02",
                                       "format": "xls"}), 400, "invalid", "format")


def test_other_roles_refused(server, world):
    q = {"from": world["from"], "to": world["to"]}
    for who in ("clerk", "handler", "enterprise"):
        assert_error(stats(server, world["flow"].tok[who], **q), 403, "forbidden")
    st, _, _ = server.request("GET", "/api/v1/stats/demands?" + urllib.parse.urlencode(q))
    assert st == 401


def test_csv_formula_injection(make_server):
    """A text cell starting with = + - @ is written with a ' in front (OWASP), so a
    spreadsheet shows it as text; figures stay numbers (issue 14 item 8)."""
    server = make_server()
    server.set_clock(fixed_instant())  # the period below is around the test clock's day
    evil = '=HYPERLINK("http://evil.example/","点我")'
    server.write_sql("UPDATE orgs SET name = '%s' WHERE code = '%s'" % (evil.replace("'", "''"),
                                                                        FGW))
    server.write_sql("UPDATE orgs SET name = '-1+2' WHERE code = '%s'" % JXJ)
    f = Flow(server)
    f.dispatched("公式注入测试一", lead=FGW)
    f.dispatched("公式注入测试二", lead=JXJ)
    today = datetime.datetime.fromisoformat(fixed_instant()).astimezone(CST).date()
    q = {"from": (today - datetime.timedelta(days=10)).isoformat(),
         "to": (today + datetime.timedelta(days=1)).isoformat(), "format": "csv"}
    st, _, text = stats(server, f.tok["supervisor"], **q)
    assert st == 200, text
    assert evil not in text.replace("\"\"", "\"").replace("'" + evil, "")
    rows = {r[0]: r for r in csv.reader(io.StringIO(text[1:]))}
    assert rows[FGW][1] == "'" + evil
    assert rows[JXJ][1] == "'-1+2"
    assert rows[FGW][2] == "1" and rows["合计"][2] == "2"  # received: numbers, no quote
