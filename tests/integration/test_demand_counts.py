# SPDX-License-Identifier: Apache-2.0
"""
The counts behind the statistics (migration 0019: demand_counts, demand_event_counts,
kept by triggers; docs/internals/demand.md "Statistics") equal a full recount of the
demands and their timeline after a sequence of creates, transitions (dispatch, sign,
reply, 差评 and rectification, return and re-dispatch, merge, decline, direct answer,
reopen), time columns moved in SQL and a 12345 import, on both backends; and the
statistics read from them still answer as a scan would (tests/integration/test_stats.py
checks every figure against hand-worked values).
"""
import datetime
import os

from conftest import fixed_instant, instant_ms
from demand_steps import FGW, JXJ, Flow

DAY_MS = 86400000
CST = datetime.timezone(datetime.timedelta(hours=8))
LOCAL = "(%s + 28800000) / 86400000"

COHORT = (
    "SELECT %s, d.lead_org_id, " + LOCAL % "d.dispatched_at" + ", "
    "CASE WHEN COALESCE(d.replied_at, 0) <> 0 THEN " + LOCAL % "d.replied_at" + " ELSE 0 END AS rd, "
    "COUNT(*), "
    "SUM(CASE WHEN COALESCE(d.signed_at, 0) <> 0 AND COALESCE(d.sign_due, 0) <> 0 "
    "AND d.signed_at <= d.sign_due THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN COALESCE(d.replied_at, 0) <> 0 AND COALESCE(d.reply_due, 0) <> 0 "
    "AND d.replied_at <= d.reply_due THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN COALESCE(d.rating, 0) <> 0 THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN COALESCE(d.rating, 0) >= 4 THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN b.bad = 1 THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN b.bad = 1 AND (COALESCE(d.rating, 0) >= 3 OR d.state = 'archived') "
    "THEN 1 ELSE 0 END) "
    "FROM demands d CROSS JOIN (SELECT 1 AS one) z LEFT JOIN (SELECT entity_id, 1 AS bad FROM events "
    "WHERE entity = 'demand' AND action = 'rate' AND to_state = 'rectifying' "
    "GROUP BY entity_id) b ON b.entity_id = d.id "
    "WHERE d.dispatched_at IS NOT NULL AND d.lead_org_id IS NOT NULL AND d.merged_into IS NULL "
    "GROUP BY %s, d.lead_org_id, " + LOCAL % "d.dispatched_at" + ", "
    "CASE WHEN COALESCE(d.replied_at, 0) <> 0 THEN " + LOCAL % "d.replied_at" + " ELSE 0 END")
STORED = ("SELECT region, org_id, day, reply_day, n, signed_on_time, replied_on_time, rated, "
          "satisfied, bad, bad_rectified FROM demand_counts WHERE level = %d AND (n <> 0 OR signed_on_time <> 0 "
          "OR replied_on_time <> 0 OR rated <> 0 OR satisfied <> 0 OR bad <> 0 "
          "OR bad_rectified <> 0)")
EVENTS = (
    "SELECT region, org_id, day, SUM(received), SUM(returned) FROM ("
    "SELECT d.region, o.id AS org_id, " + LOCAL % "ev.at" + " AS day, 1 AS received, 0 AS returned "
    "FROM events ev JOIN demands d ON d.id = ev.entity_id JOIN orgs o ON o.code = %s "
    "WHERE ev.entity = 'demand' AND ev.action = 'dispatch' UNION ALL "
    "SELECT d.region, o.id, " + LOCAL % "ev.at" + ", 0, 1 FROM events ev "
    "JOIN demands d ON d.id = ev.entity_id JOIN users u ON ev.actor = 'user:' || u.username "
    "JOIN orgs o ON o.id = u.org_id WHERE ev.entity = 'demand' AND ev.action = 'return') x "
    "GROUP BY region, org_id, day")
STORED_EVENTS = ("SELECT region, org_id, day, received, returned FROM demand_event_counts "
                 "WHERE received <> 0 OR returned <> 0")


def rows(server, query):
    return sorted(tuple(str(v) for v in r) for r in server.sql(query))


def assert_counts_equal_recount(server):
    lead = "json_extract(ev.data, '$.lead')" if server.backend == "sqlite" else \
        "(ev.data::json ->> 'lead')"
    # Level 2 per region, level 1 rolled up per city (the region's first 4 digits).
    for level, key in ((2, "d.region"), (1, "substr(d.region, 1, 4)")):
        want = rows(server, COHORT % (key, key))
        assert want, "the scenario dispatched nothing"
        assert rows(server, STORED % level) == want, "level %d" % level
    want = rows(server, EVENTS % lead)
    assert want
    assert rows(server, STORED_EVENTS) == want


def test_counts_equal_a_full_recount(server):
    server.set_clock(fixed_instant())
    now_ms = instant_ms(fixed_instant())
    f = Flow(server)
    a = f.replied("计数A 全流程")
    f.act("enterprise", a, "rate", rating=5)
    f.act("clerk", a, "archive")
    # Time moved in SQL: the dispatch 9 days back, so reply and dispatch days differ.
    server.set_column(a, "dispatched_at", now_ms - 9 * DAY_MS)
    assert_counts_equal_recount(server)
    b = f.replied("计数B 差评整改")
    f.act("enterprise", b, "rate", rating=1, note="答复不解决问题")
    assert_counts_equal_recount(server)
    f.act("handler", b, "reply", note="整改后重新答复")
    f.act("clerk", b, "review_accept")
    f.act("enterprise", b, "rate", rating=4)
    c = f.replied("计数C 差评整改中")
    f.act("enterprise", c, "rate", rating=2, note="不满意")
    d = f.dispatched("计数D 退单改派")
    f.act("handler", d, "return", note="不属于本单位职责")
    f.act("clerk", d, "approve_return", note="同意退回")
    f.act("clerk", d, "dispatch", lead=FGW)
    e = f.dispatched("计数E 签收超时")
    f.act("handler", e, "sign")
    server.set_column(e, "sign_due", now_ms - 3 * DAY_MS)
    primary = f.submit("计数F 主单")
    dup = f.submit("计数F 重复")
    f.act("clerk", dup, "accept")
    f.act("clerk", dup, "merge", into=primary)
    # A dispatched demand merged in SQL leaves the cohort.
    late = f.dispatched("计数F 交办后并单")
    server.write_sql("UPDATE demands SET merged_into = %d WHERE id = %d" % (int(primary), int(late)))
    g = f.submit("计数G 不予受理")
    f.act("clerk", g, "decline", note="不属于受理范围")
    h = f.submit("计数H 直接答复")
    f.act("clerk", h, "answer_directly", note="已电话答复")
    f.act("enterprise", h, "rate", rating=2, note="不满意")
    f.act("clerk", h, "dispatch", lead=JXJ)
    i = f.replied("计数I 重新办理")
    f.act("enterprise", i, "rate", rating=5)
    f.act("clerk", i, "reopen", note="问题复发")
    assert_counts_equal_recount(server)
    # A 12345 import creates demands (submitted: not yet in the cohort); one is dispatched.
    path = os.path.join(server.tmp, "counts-import.csv")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("external_id,credit_code,category,urgency,title,content,contact_name,"
                 "contact_phone,address,received_at\n")
        for k in range(3):
            fh.write("CNT-%d,91340100131860916Y,融资,一般,贷款审批慢 %d,企业反映贷款审批时间过长。,"
                     "方晓东,13905561234,安庆市宜秀区,2025-09-29 10:05\n" % (k, k))
    p = server.cli("import", "demands", path, check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    imported = server.sql("SELECT id FROM demands WHERE external_id = 'CNT-0'")[0][0]
    f.act("clerk", imported, "accept")
    f.act("clerk", imported, "dispatch", lead=FGW)
    assert_counts_equal_recount(server)


def test_county_scope_reads_the_region_rows(server):
    """A county's supervisor reads level 2 (per region), a city's level 1 (per city): with
    every demand of the scenario in 宜秀区 (340811, the demo enterprise's region), both
    answer the same figures, and a county without demands answers nothing."""
    server.set_clock(fixed_instant())
    f = Flow(server)
    a = f.replied("计数J 区级统计")
    f.act("enterprise", a, "rate", rating=2, note="不满意")
    for code, name, region in (("340811", "宜秀区人民政府", "340811"),
                               ("340822-DCS", "怀宁县督查室", "340822")):
        server.cli("org", "add", code, name, "--kind", "county" if code == "340811" else "department",
                   "--region", region, "--parent", "340800" if code == "340811" else "340822")
    pw = "Qifu-county-%d\n" % os.getpid()
    server.cli("user", "add", "sup_yx", "--role", "supervisor", "--org", "340811", input=pw + pw)
    server.cli("user", "add", "sup_hn", "--role", "supervisor", "--org", "340822-DCS",
               input=pw + pw)
    today = datetime.datetime.fromisoformat(fixed_instant()).astimezone(CST).date()
    q = "/api/v1/stats/demands?from=%s&to=%s" % (today - datetime.timedelta(days=300), today)
    answers = {}
    for user, password in (("supervisor", None), ("sup_yx", pw.strip()), ("sup_hn", pw.strip())):
        tok = server.login(user) if password is None else server.login(user, password)
        st, _, j = server.request("GET", q, token=tok)
        assert st == 200, j
        answers[user] = j
    assert answers["sup_yx"]["items"] == answers["supervisor"]["items"]
    assert answers["sup_yx"]["total"]["dispatched"] >= 1
    assert answers["sup_yx"]["total"]["bad_ratings"] >= 1
    assert answers["sup_hn"]["items"] == []
