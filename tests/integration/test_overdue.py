"""Overdue demands (issue 4 items 4 and 5): a demand past its running deadline shows a
red light everywhere, gets one "overdue" notice per deadline from the sweep, and an
urge after the deadline is recorded as 督办 (before it, 催办). Time passes on the
server's test clock: the demand is dispatched at a fixed instant, then the clock is moved
past its sign-for deadline, which the sweep must notice (docs/internals/testing.md)."""
import time

from conftest import Server, fixed_instant, instant_ms, instant_text


def wait_for(pred, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.2)
    return None


def dispatched_demand(s):
    ent, clerk = s.login("enterprise"), s.login("clerk")
    st, _, d = s.request("POST", "/api/v1/demands", token=ent,
                         body={"category": "help", "title": "用地指标咨询",
                               "content": "新厂房用地指标如何申请？"})
    assert st == 201, d
    for body in ({"action": "accept"}, {"action": "dispatch", "lead": "340800-JXJ"}):
        st, _, d = s.request("POST", "/api/v1/demands/%s/actions" % d["id"], token=clerk,
                             body=body)
        assert st == 200, d
    return d


def test_overdue_sweep_urge_and_lights(backend):
    s = Server(backend, extra=("--sweep-interval", "1"))
    try:
        s.set_clock(fixed_instant())
        d = dispatched_demand(s)
        sup, handler = s.login("supervisor"), s.login("handler")
        # Before the deadline an urge is 催办.
        st, _, r = s.request("POST", "/api/v1/demands/%s/actions" % d["id"], token=sup,
                             body={"action": "urge", "note": "请抓紧签收"})
        assert st == 200, r
        assert r["light"] in ("green", "yellow")
        due = int(s.sql("SELECT sign_due FROM demands WHERE id = %s" % d["id"])[0][0])
        assert due > instant_ms(fixed_instant())
        # The sign-for deadline passes: the clock moves an hour past it.
        s.set_clock(instant_text(due + 3600 * 1000))
        sup, handler = s.login("supervisor"), s.login("handler")
        st, _, r = s.request("GET", "/api/v1/demands/%s" % d["id"], token=sup)
        assert r["light"] == "red"
        st, _, page = s.request("GET", "/api/v1/demands?light=red", token=sup)
        assert [x["id"] for x in page["items"]] == [d["id"]]
        assert all(x["light"] == "red" for x in page["items"])
        # The sweep tells the lead once.
        got = wait_for(lambda: [n for n in s.request("GET", "/api/v1/notices", token=handler)[2]["items"]
                                if n["kind"] == "overdue" and n.get("entity") == "demand" and n["entity_id"] == d["id"]])
        assert got and "已超期" in got[0]["title"], got
        time.sleep(2.5)  # two more sweeps: no second notice for the same deadline
        again = [n for n in s.request("GET", "/api/v1/notices", token=handler)[2]["items"]
                 if n["kind"] == "overdue" and n.get("entity") == "demand" and n["entity_id"] == d["id"]]
        assert len(again) == 1
        st, _, tl = s.request("GET", "/api/v1/demands/%s/timeline" % d["id"], token=sup)
        assert [e["label"] for e in tl["items"]].count("超期提醒") == 1
        # After the deadline an urge is 督办.
        st, _, r = s.request("POST", "/api/v1/demands/%s/actions" % d["id"], token=sup,
                             body={"action": "urge", "note": "已超期，请立即办理"})
        assert st == 200, r
        st, _, tl = s.request("GET", "/api/v1/demands/%s/timeline" % d["id"], token=sup)
        kinds = [(e["action"], (e.get("data") or {}).get("kind_label")) for e in tl["items"]]
        assert ("urge", "催办") in kinds and ("supervise", "督办") in kinds, kinds
        st, _, page = s.request("GET", "/api/v1/audit?entity=demand&id=%s" % d["id"],
                                token=s.login("admin"))
        actions = [e["action"] for e in page["items"]]
        assert "demand.supervise" in actions and "demand.urge" in actions
        assert "demand.overdue" in actions
    finally:
        s.close()
