# SPDX-License-Identifier: Apache-2.0
"""The working-day calendar over HTTP: public reads, the deadline calculator, and the
administrators' corrections and years (audited; refused changes change nothing; other
roles refused; a second server on the same database converges)."""
import http.client
import json
import os
import signal
import subprocess
import time
import urllib.parse

import pytest

from conftest import QIFU_BIN, assert_error, qifu_env

NON_ADMINS = ["clerk", "handler", "supervisor", "officer", "enterprise"]


def q(**kw):
    return urllib.parse.urlencode(kw)


def deadline(server, **kw):
    st, _, d = server.request("GET", "/api/v1/calendar/deadline?" + q(**kw))
    assert st == 200, d
    return d


def days_of(server, start, end):
    st, _, page = server.request("GET", "/api/v1/calendar?" + q(**{"from": start, "to": end}))
    assert st == 200, page
    return {d["date"]: d for d in page["days"]}


def state(server):
    """What a refused change must leave alone."""
    st, _, page = server.request("GET", "/api/v1/calendar?from=2025-01-01&to=2025-01-01")
    assert st == 200
    return (server.audit_count(), page["version"],
            server.sql("SELECT COUNT(*) FROM calendar_days")[0][0],
            server.sql("SELECT COUNT(*) FROM calendar_years")[0][0])


def supervisor(server):
    """A cached supervisor token (each login is an audit event of its own)."""
    if not getattr(server, "_supervisor", None):
        server._supervisor = server.login("supervisor")
    return server._supervisor


def audit_events(server, entity, entity_id):
    st, _, page = server.request(
        "GET", "/api/v1/audit?" + q(entity=entity, id=entity_id), token=supervisor(server))
    assert st == 200, page
    return page["items"]


# ---- reads ------------------------------------------------------------------------


def test_range_is_public(server):
    days = days_of(server, "2025-09-27", "2025-10-12")
    assert len(days) == 16
    assert days["2025-09-27"]["kind"] == "weekend" and not days["2025-09-27"]["working"]
    assert days["2025-09-28"]["kind"] == "makeup_workday"
    assert days["2025-09-28"]["kind_label"] == "调休上班"
    assert days["2025-09-28"]["name"] == "国庆节、中秋节" and days["2025-09-28"]["working"]
    assert days["2025-09-29"]["kind"] == "workday" and days["2025-09-29"]["name"] is None
    assert all(days["2025-10-0%d" % i]["kind"] == "holiday" for i in range(1, 9))
    assert days["2025-10-11"]["kind"] == "makeup_workday"
    assert days["2025-10-12"]["weekday"] == 7
    assert all(d["covered"] for d in days.values())
    # Spring Festival 2026 with its two make-up Saturdays
    days = days_of(server, "2026-02-14", "2026-02-28")
    assert days["2026-02-14"]["kind"] == "makeup_workday"
    assert days["2026-02-17"]["kind"] == "holiday" and days["2026-02-17"]["name"] == "春节"
    assert days["2026-02-28"]["kind"] == "makeup_workday"


def test_range_coverage_and_limits(server):
    days = days_of(server, "2026-12-30", "2027-01-02")
    assert [days[k]["covered"] for k in sorted(days)] == [True, True, False, False]
    st, _, page = server.request("GET", "/api/v1/calendar?from=2024-01-01&to=2024-12-31")
    assert st == 200 and len(page["days"]) == 366
    assert page["coverage"] == {"first_year": 2007, "last_year": 2026}
    assert_error(server.request("GET", "/api/v1/calendar?from=2024-01-01&to=2025-01-01"), 400,
                 "invalid", field="to", message="366")
    assert_error(server.request("GET", "/api/v1/calendar?from=2025-10-02&to=2025-10-01"), 400,
                 "invalid", field="to")
    assert_error(server.request("GET", "/api/v1/calendar?from=2025-02-30&to=2025-03-01"), 400,
                 "invalid", field="from", message="YYYY-MM-DD")
    assert_error(server.request("GET", "/api/v1/calendar?from=2025-01-01&to=tomorrow"), 400,
                 "invalid", field="to")
    st, _, years = server.request("GET", "/api/v1/calendar/years")
    assert st == 200 and years["notices"] == [] and years["coverage"]["last_year"] == 2026


def test_deadline_calculator(server):
    d = deadline(server, start="2025-09-29T10:00:00+08:00", days=5)
    assert d["deadline"] == "2025-10-13T17:30:00+08:00" and d["beyond_coverage"] is False
    assert d["unit"] == "working_days" and d["n"] == 5 and d["counting"] == "next_day"
    assert d["start"] == "2025-09-29T10:00:00+08:00" and d["urgency"] == "normal"
    d = deadline(server, start="2025-09-30T16:00:00+08:00", hours=4)
    assert d["deadline"] == "2025-10-09T11:30:00+08:00" and d["unit"] == "working_hours"
    d = deadline(server, start="2025-09-30T02:00:00Z", days=1, urgency="critical")
    assert d["deadline"] == "2025-09-30T17:30:00+08:00" and d["counting"] == "same_day"
    d = deadline(server, start="2024-02-09T10:00:00+08:00", days=3, urgency="urgent")
    assert d["deadline"] == "2024-02-20T17:30:00+08:00"
    d = deadline(server, start="2026-12-28T10:00:00+08:00", days=5)
    assert d["deadline"] == "2027-01-04T17:30:00+08:00" and d["beyond_coverage"] is True
    # all three clocks of a category
    d = deadline(server, start="2025-09-30T16:00:00+08:00", category="financing", urgency="urgent")
    assert d["limits"] == {"sign_hours": 2, "reply_days": 3, "rectify_days": 3}
    assert d["sign"] == {"deadline": "2025-10-09T09:30:00+08:00", "beyond_coverage": False}
    assert d["reply"]["deadline"] == "2025-10-11T17:30:00+08:00"
    assert d["rectify"]["deadline"] == "2025-10-11T17:30:00+08:00"
    # an unescaped '+' in the query arrives as a space and is still understood
    st, _, d = server.request("GET", "/api/v1/calendar/deadline?start=2025-09-29T10:00:00+08:00"
                                     "&days=5")
    assert st == 200 and d["deadline"] == "2025-10-13T17:30:00+08:00"
    # without start: from now
    d = deadline(server, hours=1)
    assert d["deadline"].endswith("+08:00")


def test_deadline_from_a_bare_date(server):
    # a date means the start of that working day (09:00): 2024-04-03 is the Wednesday
    # before 清明 (04-04..06 off, Sunday 04-07 a 调休 working day)
    d = deadline(server, start="2024-04-03", days=3)
    assert d["start"] == "2024-04-03T09:00:00+08:00"
    assert d["deadline"] == "2024-04-09T17:30:00+08:00"  # 04-07, 04-08, 04-09
    assert d == deadline(server, start="2024-04-03T09:00:00+08:00", days=3)
    d = deadline(server, start="2024-04-03", hours=4)
    assert d["deadline"] == "2024-04-03T14:30:00+08:00"
    # 特急 counts the day itself; a day off begins at the next working day
    d = deadline(server, start="2024-04-03", days=1, urgency="critical")
    assert d["deadline"] == "2024-04-03T17:30:00+08:00"
    d = deadline(server, start="2024-04-04", hours=1)
    assert d["deadline"] == "2024-04-07T10:00:00+08:00"
    d = deadline(server, start="2024-04-03", category="complaint", urgency="critical")
    assert d["sign"]["deadline"] == "2024-04-03T10:00:00+08:00"
    assert d["reply"]["deadline"] == "2024-04-03T17:30:00+08:00"


@pytest.mark.parametrize("query,field", [
    ("start=2025-09-29T10:00:00%2B08:00", "days"),
    ("start=2025-09-29T10:00:00%2B08:00&days=1&hours=1", "days"),
    ("start=2025-09-29T10:00&days=1", "start"),
    ("start=2025-02-30&days=1", "start"),
    ("start=2025-9-29&days=1", "start"),
    ("start=2025-09-29T10:00:00%2B08:00&days=0", "days"),
    ("start=2025-09-29T10:00:00%2B08:00&days=x", "days"),
    ("start=2025-09-29T10:00:00%2B08:00&hours=99999", "hours"),
    ("start=2025-09-29T10:00:00%2B08:00&days=1&urgency=asap", "urgency"),
])
def test_deadline_errors(server, query, field):
    assert_error(server.request("GET", "/api/v1/calendar/deadline?" + query), 400, "invalid",
                 field=field)


def test_deadline_unknown_category(server):
    assert_error(server.request("GET", "/api/v1/calendar/deadline?category=nope"), 404,
                 "not_found", field="category", message="nope")


# ---- administrators' changes ----------------------------------------------------------


def test_admin_override_changes_deadline(server):
    tok = server.admin()
    before_audit = server.audit_count()
    assert deadline(server, start="2025-09-29T10:00:00+08:00", days=5)["deadline"] == \
        "2025-10-13T17:30:00+08:00"
    st, _, r = server.request("PUT", "/api/v1/calendar/days/2025-10-09",
                              {"off": True, "name": "测试假日"}, token=tok)
    assert st == 200, r
    assert r["changed"] is True
    assert r["day"]["kind"] == "holiday" and r["day"]["name"] == "测试假日"
    # the same process answers with the change at once
    assert deadline(server, start="2025-09-29T10:00:00+08:00", days=5)["deadline"] == \
        "2025-10-14T17:30:00+08:00"
    assert days_of(server, "2025-10-09", "2025-10-09")["2025-10-09"]["kind"] == "holiday"
    assert server.audit_count() == before_audit + 1
    # the same again changes nothing and writes nothing
    st, _, r2 = server.request("PUT", "/api/v1/calendar/days/2025-10-09",
                               {"off": True, "name": "测试假日"}, token=tok)
    assert st == 200 and r2["changed"] is False and r2["version"] == r["version"]
    assert server.audit_count() == before_audit + 1
    events = audit_events(server, "calendar_day", "2025-10-09")
    assert events[0]["action"] == "calendar.day.set" and events[0]["actor"] == "user:admin"
    assert events[0]["before"] == {"date": "2025-10-09", "kind": "workday", "name": None}
    assert events[0]["after"] == {"date": "2025-10-09", "kind": "holiday", "name": "测试假日"}
    # undo: back to the built-in answer
    st, _, r3 = server.request("DELETE", "/api/v1/calendar/days/2025-10-09", token=tok)
    assert st == 200 and r3["day"]["kind"] == "workday" and r3["version"] > r["version"]
    assert deadline(server, start="2025-09-29T10:00:00+08:00", days=5)["deadline"] == \
        "2025-10-13T17:30:00+08:00"
    assert audit_events(server, "calendar_day", "2025-10-09")[0]["action"] == "calendar.day.clear"
    assert_error(server.request("DELETE", "/api/v1/calendar/days/2025-10-09", token=tok), 404,
                 "not_found")
    # a make-up working day made a day off (a correction of the built-in table)
    st, _, r = server.request("PUT", "/api/v1/calendar/days/2025-10-11", {"off": True},
                              token=tok)
    assert st == 200 and r["day"]["kind"] == "holiday" and r["day"]["name"] is None
    assert deadline(server, start="2025-09-29T10:00:00+08:00", days=4)["deadline"] == \
        "2025-10-13T17:30:00+08:00"
    st, _, _ = server.request("DELETE", "/api/v1/calendar/days/2025-10-11", token=tok)
    assert st == 200


@pytest.mark.parametrize("path,body,field", [
    ("/api/v1/calendar/days/2025-02-30", {"off": True}, "date"),
    ("/api/v1/calendar/days/20250210", {"off": True}, "date"),
    ("/api/v1/calendar/days/2025-02-10", {}, "off"),
    ("/api/v1/calendar/days/2025-02-10", {"off": "yes"}, "off"),
    ("/api/v1/calendar/days/2025-02-10", {"off": True, "when": 1}, "when"),
    ("/api/v1/calendar/days/2025-02-10", {"off": True, "name": "长" * 41}, "name"),
    ("/api/v1/calendar/years/2028", {"source": "国办发明电〔2027〕1号", "days": []}, "year"),
    ("/api/v1/calendar/years/27", {"source": "x", "days": []}, "year"),
    ("/api/v1/calendar/years/2027", {"days": []}, "source"),
    ("/api/v1/calendar/years/2027", {"source": "通知", "days": {}}, "days"),
    ("/api/v1/calendar/years/2027", {"source": "通知", "days": [
        {"date": "2027-01-01", "off": True}, {"date": "2026-11-30", "off": True}]}, "days[1].date"),
    ("/api/v1/calendar/years/2027", {"source": "通知", "days": [
        {"date": "2027-01-01", "off": True}, {"date": "2027-01-01", "off": False}]},
     "days[1].date"),
    ("/api/v1/calendar/years/2027", {"source": "通知", "days": [
        {"date": "2027-01-01"}]}, "days[0].off"),
    ("/api/v1/calendar/years/2027", {"source": "通知", "days": [
        {"date": "2027-13-01", "off": True}]}, "days[0].date"),
    ("/api/v1/calendar/years/2027", {"source": "通知", "days": [
        {"date": "2027-01-01", "off": True, "extra": 1}]}, "days[0].extra"),
])
def test_refused_changes_change_nothing(server, path, body, field):
    before = state(server)
    assert_error(server.request("PUT", path, body, token=server.admin()), 400, "invalid",
                 field=field)
    assert state(server) == before


def test_gap_year_message(server):
    r = server.request("PUT", "/api/v1/calendar/years/2029", {"source": "通知", "days": []},
                       token=server.admin())
    assert_error(r, 400, "invalid", field="year", message="2007–2026")


@pytest.mark.parametrize("who", NON_ADMINS + [None])
def test_only_admins_change_the_calendar(server, who):
    tok = server.login(who) if who else None
    status, code = (403, "forbidden") if who else (401, "unauthorized")
    before = state(server)
    assert_error(server.request("PUT", "/api/v1/calendar/days/2025-10-10", {"off": True},
                                token=tok), status, code)
    assert_error(server.request("DELETE", "/api/v1/calendar/days/2025-10-10", token=tok),
                 status, code)
    assert_error(server.request("PUT", "/api/v1/calendar/years/2027",
                                {"source": "通知", "days": []}, token=tok), status, code)
    assert state(server) == before
    # reads stay open to everyone
    assert server.request("GET", "/api/v1/calendar?from=2025-10-10&to=2025-10-10",
                          token=tok)[0] == 200


def test_entering_2027_clears_the_flag(make_server):
    s = make_server()
    tok = s.admin()
    d = deadline(s, start="2026-12-28T10:00:00+08:00", days=5)
    assert d["deadline"] == "2027-01-04T17:30:00+08:00" and d["beyond_coverage"] is True
    d = deadline(s, start="2026-12-31T17:00:00+08:00", hours=2)
    assert d["deadline"] == "2027-01-01T10:30:00+08:00" and d["beyond_coverage"] is True
    body = {"source": "国办发明电〔2026〕X号", "days": [
        {"date": "2027-01-01", "off": True, "name": "元旦"},
        {"date": "2027-02-06", "off": True, "name": "春节"},
        {"date": "2027-02-07", "off": True, "name": "春节"},
        {"date": "2027-02-08", "off": True, "name": "春节"},
        {"date": "2027-02-20", "off": False, "name": "春节"},
    ]}
    st, _, r = s.request("PUT", "/api/v1/calendar/years/2027", body, token=tok)
    assert st == 200, r
    assert r["coverage"] == {"first_year": 2007, "last_year": 2027}
    assert [x["date"] for x in r["days"]] == [x["date"] for x in body["days"]]
    d = deadline(s, start="2026-12-28T10:00:00+08:00", days=5)
    assert d["deadline"] == "2027-01-05T17:30:00+08:00" and d["beyond_coverage"] is False
    d = deadline(s, start="2026-12-31T17:00:00+08:00", hours=2)
    assert d["deadline"] == "2027-01-04T10:30:00+08:00" and d["beyond_coverage"] is False
    days = days_of(s, "2027-02-05", "2027-02-20")
    assert days["2027-02-08"]["kind"] == "holiday" and days["2027-02-08"]["covered"]
    assert days["2027-02-20"]["kind"] == "makeup_workday"
    st, _, years = s.request("GET", "/api/v1/calendar/years")
    assert years["coverage"]["last_year"] == 2027
    assert [(n["year"], n["source"], n["n_days"], n["updated_by"]) for n in years["notices"]] == \
        [(2027, "国办发明电〔2026〕X号", 5, "user:admin")]
    ev = audit_events(s, "calendar_year", "2027")
    assert [e["action"] for e in ev] == ["calendar.year.set"]
    assert ev[0]["before"] == {"source": None, "covered": False, "days": []}
    assert ev[0]["after"]["source"] == "国办发明电〔2026〕X号"
    assert len(ev[0]["after"]["days"]) == 5
    # now 2028 is next to coverage; still a beyond answer past it
    d = deadline(s, start="2027-12-27T10:00:00+08:00", days=5)
    assert d["beyond_coverage"] is True


class Peer:
    """Just enough of conftest.Server to send requests to another process."""

    def __init__(self, port):
        self.port = port

    def request(self, method, path, body=None, token=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            c.request(method, path, headers={"Authorization": "Bearer " + token} if token else {})
            r = c.getresponse()
            return r.status, r.headers, json.loads(r.read().decode("utf-8"))
        finally:
            c.close()


def test_second_server_converges(make_server):
    a = make_server()
    pf = os.path.join(a.tmp, "port-b")
    log = open(os.path.join(a.tmp, "b.stderr"), "wb")
    b = subprocess.Popen([QIFU_BIN, "serve", "--listen", "127.0.0.1:0", "--port-file", pf,
                          "--db", a.db_url, "--no-access-log"], stdin=subprocess.DEVNULL,
                         stdout=log, stderr=subprocess.STDOUT, env=qifu_env(), cwd=a.tmp)
    try:
        deadline_t = time.monotonic() + 15
        port = None
        while time.monotonic() < deadline_t and port is None:
            try:
                with open(pf) as f:
                    text = f.read()
                port = int(text) if text.endswith("\n") else None
            except (OSError, ValueError):
                time.sleep(0.05)
        assert port, "second server did not start"

        other = Peer(port)
        start = {"start": "2025-09-29T10:00:00+08:00", "days": 5}
        assert deadline(other, **start)["deadline"] == "2025-10-13T17:30:00+08:00"
        st, _, _ = a.request("PUT", "/api/v1/calendar/days/2025-10-10", {"off": True},
                             token=a.admin())
        assert st == 200
        t0 = time.monotonic()
        while time.monotonic() - t0 < 5:
            if deadline(other, **start)["deadline"] == "2025-10-14T17:30:00+08:00":
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the second server never saw the change")
    finally:
        b.send_signal(signal.SIGTERM)
        assert b.wait(timeout=15) == 0
        log.close()
