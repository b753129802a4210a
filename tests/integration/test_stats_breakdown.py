# SPDX-License-Identifier: Apache-2.0
"""
Supervisor analysis (issue 17 item 9, docs/internals/demand.md "Statistics"): the
breakdowns of the dispatch cohort by category, region, channel and month
(GET /api/v1/stats/demand-breakdown), 高频诉求 (GET /api/v1/stats/demand-top), the ranking
of organisations for the 通报 (GET /api/v1/stats/demand-ranking) and the drill-down from an
organisation row to its demands (GET /api/v1/demands?lead_org=&dispatched_from=&dispatched_to=).

Every breakdown must add up to the figures of GET /api/v1/stats/demands for the same query
(its rows come from other tables: category and channel from demands, region and month from
the counts of migration 0019), and a county supervisor must see only its county.
"""
import datetime
import os
import urllib.parse

import pytest

from conftest import assert_error, fixed_instant, instant_ms
from demand_steps import FGW, JXJ, Flow

CST = datetime.timezone(datetime.timedelta(hours=8))
DAY_MS = 86400000
DEMO_CODE = "91340100131860916Y"  # the demo enterprise, region 340811
BYS = ("category", "region", "channel", "month")
SUMMED = (("n", "dispatched"), ("replied_on_time", "replied_on_time"), ("rated", "rated"),
          ("satisfied", "satisfied"), ("bad_ratings", "bad_ratings"), ("replied", "replied"))
TOP_TITLE = "高频测试：厂区停电影响生产"
OTHER = "utilities"


def get(server, token, path, **q):
    st, _, j = server.request("GET", path + "?" + urllib.parse.urlencode(q), token=token)
    return st, j


@pytest.fixture(scope="module")
def world(server):
    server.set_clock(fixed_instant())
    f = Flow(server)
    now_ms = instant_ms(fixed_instant())
    today = datetime.datetime.fromisoformat(fixed_instant()).astimezone(CST).date()
    # A: replied and rated 5; B: rated 1 (差评); C: another category, dispatched to FGW.
    a = f.replied("分析A 已答复满意")
    f.act("enterprise", a, "rate", rating=5)
    b = f.replied("分析B 差评")
    f.act("enterprise", b, "rate", rating=1, note="不满意")
    c = f.submit("分析C 其他类别", category=OTHER)
    f.act("clerk", c, "accept")
    f.act("clerk", c, "dispatch", lead=FGW)
    # D: a window intake by the clerk (channel window), dispatched.
    st, _, d = server.request("POST", "/api/v1/demands", token=f.tok["clerk"], body={
        "credit_code": DEMO_CODE, "category": "help", "title": "分析D 窗口受理",
        "content": "窗口受理的诉求", "contact_phone": "13905561234"})
    assert st == 201, d
    d = d["id"]
    f.act("clerk", d, "accept")
    f.act("clerk", d, "dispatch", lead=JXJ)
    # E: dispatched 40 days ago (another month), and in 怀宁县 (340822).
    e = f.dispatched("分析E 上月县区")
    server.set_column(e, "dispatched_at", now_ms - 40 * DAY_MS)
    server.write_sql("UPDATE demands SET region = '340822' WHERE id = %d" % int(e))
    # 高频诉求: one title four times (not dispatched: the top counts submissions).
    for _ in range(4):
        f.submit(TOP_TITLE)
    frm, to = today - datetime.timedelta(days=60), today + datetime.timedelta(days=1)
    return {"flow": f, "ids": {"a": a, "b": b, "c": c, "d": d, "e": e},
            "from": frm.isoformat(), "to": to.isoformat(), "today": today}


def test_breakdowns_add_up_to_the_statistics(server, world):
    f = world["flow"]
    for who in ("admin", "supervisor"):
        tok = f.tok[who]
        for org in (None, JXJ, FGW):
            q = {"from": world["from"], "to": world["to"]}
            if org:
                q["org"] = org
            st, stats = get(server, tok, "/api/v1/stats/demands", **q)
            assert st == 200, stats
            assert stats["total"]["dispatched"] >= {None: 5, JXJ: 4, FGW: 1}[org]
            for by in BYS:
                st, j = get(server, tok, "/api/v1/stats/demand-breakdown", by=by, **q)
                assert st == 200, (by, j)
                assert j["by"] == by and j["from"] == world["from"]
                for key, figure in SUMMED:
                    assert sum(it[key] for it in j["items"]) == j["total"][key], (who, org, by, key)
                    assert j["total"][key] == stats["total"][figure], (who, org, by, key)
                assert all(it["label"] and it["n"] > 0 for it in j["items"]), j["items"]
                assert len({it["key"] for it in j["items"]}) == len(j["items"])


def test_breakdown_rows(server, world):
    tok = world["flow"].tok["supervisor"]
    q = {"from": world["from"], "to": world["to"]}
    rows = {}
    for by in BYS:
        st, j = get(server, tok, "/api/v1/stats/demand-breakdown", by=by, **q)
        assert st == 200, j
        rows[by] = {it["key"]: it for it in j["items"]}
    assert rows["channel"]["window"]["label"] == "窗口受理" and rows["channel"]["window"]["n"] >= 1
    assert rows["channel"]["web"]["label"] == "网上提交"
    assert rows["category"][OTHER]["n"] >= 1
    assert rows["category"]["help"]["label"] != "help"  # the category's name
    assert rows["region"]["340822"]["label"] == "怀宁县"
    assert rows["region"]["340822"]["n"] == 1
    months = list(rows["month"])
    assert months == sorted(months) and len(months) >= 2
    y, m = months[-1].split("-")
    assert rows["month"][months[-1]]["label"] == "%d年%d月" % (int(y), int(m))
    for it in rows["category"].values():
        if it["rated"]:
            assert it["satisfaction_rate"] == pytest.approx(round(it["satisfied"] / it["rated"], 4))
    assert_error(server.request("GET", "/api/v1/stats/demand-breakdown?" + urllib.parse.urlencode(
        dict(q, by="weekday")), token=tok), 400, "invalid", "by")
    assert_error(server.request("GET", "/api/v1/stats/demand-breakdown?" + urllib.parse.urlencode(
        q), token=tok), 400, "invalid", "by")


def test_county_supervisor_sees_its_county_only(server, world):
    server.cli("org", "add", "340822-DCS2", "怀宁县督查二室", "--kind", "department",
               "--region", "340822", "--parent", "340800")
    pw = "Qifu-county-%d" % os.getpid()
    server.cli("user", "add", "sup_hn2", "--role", "supervisor", "--org", "340822-DCS2",
               input=pw + "\n" + pw + "\n")
    county = server.login("sup_hn2", pw)
    city = world["flow"].tok["supervisor"]
    q = {"from": world["from"], "to": world["to"]}
    st, cj = get(server, county, "/api/v1/stats/demands", **q)
    assert st == 200, cj
    assert cj["total"]["dispatched"] == 1
    for by in BYS:
        st, j = get(server, county, "/api/v1/stats/demand-breakdown", by=by, **q)
        assert st == 200, j
        assert j["total"]["n"] == 1, (by, j)
        st, k = get(server, city, "/api/v1/stats/demand-breakdown", by=by, **q)
        assert k["total"]["n"] > 1
    st, j = get(server, county, "/api/v1/stats/demand-breakdown", by="region", **q)
    assert [it["key"] for it in j["items"]] == ["340822"]
    # 高频诉求 and the ranking follow the same scope.
    st, j = get(server, county, "/api/v1/stats/demand-top", by="title", **q)
    assert st == 200 and j["total"] == 1 and [it["label"] for it in j["items"]] == ["分析E 上月县区"]
    st, j = get(server, county, "/api/v1/stats/demand-ranking", **q)
    assert st == 200 and [it["org"]["code"] for it in j["items"]] == [JXJ]
    assert j["items"][0]["dispatched"] == 1
    # The drill-down list too.
    st, j = get(server, county, "/api/v1/demands", lead_org=JXJ, dispatched_from=world["from"],
                dispatched_to=world["to"], limit=100)
    assert st == 200 and [it["id"] for it in j["items"]] == [world["ids"]["e"]]
    # Someone without oversight may not read them.
    for path in ("demand-breakdown?by=month&", "demand-top?by=title&", "demand-ranking?"):
        assert_error(server.request("GET", "/api/v1/stats/" + path + urllib.parse.urlencode(q),
                                    token=world["flow"].tok["enterprise"]), 403, "forbidden")


def test_top_titles_and_categories(server, world):
    tok = world["flow"].tok["supervisor"]
    q = {"from": world["from"], "to": world["to"]}
    st, j = get(server, tok, "/api/v1/stats/demand-top", by="title", limit=5, **q)
    assert st == 200, j
    assert len(j["items"]) <= 5
    assert j["items"][0]["key"] == TOP_TITLE and j["items"][0]["n"] == 4
    assert j["items"][0]["share"] == pytest.approx(round(4 / j["total"], 4))
    ns = [it["n"] for it in j["items"]]
    assert ns == sorted(ns, reverse=True)
    st, c = get(server, tok, "/api/v1/stats/demand-top", by="category", limit=100, **q)
    assert st == 200 and c["total"] == j["total"]
    assert sum(it["n"] for it in c["items"]) == c["total"]
    assert all(it["label"] != it["key"] for it in c["items"])  # names, not codes
    assert_error(server.request("GET", "/api/v1/stats/demand-top?" + urllib.parse.urlencode(
        dict(q, by="title", limit=0)), token=tok), 400, "invalid", "limit")


def test_ranking(server, world):
    tok = world["flow"].tok["supervisor"]
    q = {"from": world["from"], "to": world["to"]}
    st, stats = get(server, tok, "/api/v1/stats/demands", **q)
    st, j = get(server, tok, "/api/v1/stats/demand-ranking", **q)
    assert st == 200, j
    assert j["score_definition"]
    ranked = {it["org"]["code"]: it for it in j["items"]}
    want = {it["org"]["code"] for it in stats["items"] if it["dispatched"]}
    assert set(ranked) == want and {JXJ, FGW} <= want
    for it in stats["items"]:
        if not it["dispatched"]:
            continue
        parts = [(0.3, it["signed_on_time"] / it["dispatched"]),
                 (0.4, it["replied_on_time"] / it["dispatched"])]
        if it["rated"]:
            parts.append((0.3, it["satisfied"] / it["rated"]))
        score = round(100 * sum(w * v for w, v in parts) / sum(w for w, _ in parts), 1)
        assert ranked[it["org"]["code"]]["score"] == pytest.approx(score, abs=0.051), it
    scores = [it["score"] for it in j["items"]]
    assert scores == sorted(scores, reverse=True)
    for i, it in enumerate(j["items"]):
        assert it["rank"] == (j["items"][i - 1]["rank"] if i and scores[i] == scores[i - 1] else i + 1)
    assert [c["label"] for c in j["columns"]][:2] == ["排名", "综合得分"]


def test_drill_down_lists_the_row_of_an_organisation(server, world):
    tok = world["flow"].tok["supervisor"]
    q = {"from": world["from"], "to": world["to"]}
    st, stats = get(server, tok, "/api/v1/stats/demands", **q)
    for it in stats["items"]:
        st, j = get(server, tok, "/api/v1/demands", lead_org=it["org"]["code"],
                    dispatched_from=q["from"], dispatched_to=q["to"], limit=200)
        assert st == 200, j
        assert len(j["items"]) == it["dispatched"], it["org"]
    st, j = get(server, tok, "/api/v1/demands", lead_org=FGW, dispatched_from=q["from"],
                dispatched_to=q["to"], limit=200)
    ids = [x["id"] for x in j["items"]]
    assert world["ids"]["c"] in ids and world["ids"]["a"] not in ids
    st, j = get(server, tok, "/api/v1/demands", channel="window", limit=200)
    ids = [x["id"] for x in j["items"]]
    assert world["ids"]["d"] in ids and world["ids"]["a"] not in ids
    st, j = get(server, tok, "/api/v1/demands", region="340822", limit=200)
    assert [x["id"] for x in j["items"]] == [world["ids"]["e"]]
    assert_error(server.request("GET", "/api/v1/demands?region=abc", token=tok), 400, "invalid",
                 "region")
    assert_error(server.request("GET", "/api/v1/demands?dispatched_from=2026-13-01", token=tok),
                 400, "invalid", "dispatched_from")
