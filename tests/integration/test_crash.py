# SPDX-License-Identifier: Apache-2.0
"""
The crash test of DESIGN §10: kill the server during intake and check that every
acknowledged write is there.

Several client threads POST demands continuously, each with its own Idempotency-Key,
and record every request they sent: acknowledged (201, with the demand's id) or not
(no answer, because the server died under it). The server is killed with SIGKILL
mid-stream and started again on the same database. Then:
- every acknowledged demand is present, with its content, its one timeline event and
  its one audit event (a write is all or nothing);
- retrying each unacknowledged request with its Idempotency-Key yields exactly one
  demand (201 if it had not committed, 200 Idempotent-Replay if it had), and retrying an
  acknowledged one replays the same id;
- nothing else was created, and `qifu audit verify` passes.

Bounded: at most THREADS x MAX_PER_THREAD requests, and the kill comes after
KILL_AFTER acknowledgements or KILL_DEADLINE seconds, whichever is first.
"""
import http.client
import signal
import threading
import time

from conftest import DEMO_PASSWORD

DEMO_CODE = "91340100131860916Y"  # the demo enterprise, region 340811 (the clerk's city)
THREADS = 4
MAX_PER_THREAD = 2000
KILL_AFTER = 200
KILL_DEADLINE = 20.0


def body_of(key):
    return {"credit_code": DEMO_CODE, "category": "consult",
            "title": "断电测试诉求 " + key,
            "content": "受理过程中服务被强行终止，已确认的诉求必须仍在。编号 " + key,
            "contact_name": "方晓东", "contact_phone": "13905561234"}


class Client(threading.Thread):
    """POSTs demands on one keep-alive connection until the server goes away."""

    def __init__(self, server, token, n, stop):
        super().__init__(daemon=True)
        self.s, self.token, self.n, self.stop = server, token, n, stop
        self.acked = {}    # key -> id (201 received)
        self.unacked = []  # keys sent without an answer
        self.other = []    # (key, status, body): any other answer, which is a failure

    def run(self):
        conn = self.s.connection(timeout=10)
        try:
            for i in range(MAX_PER_THREAD):
                if self.stop.is_set():
                    break
                key = "crash-%d-%d" % (self.n, i)
                try:
                    st, _, d = self.s.request("POST", "/api/v1/demands", body_of(key),
                                              headers={"Idempotency-Key": key},
                                              token=self.token, conn=conn)
                except (OSError, ValueError, http.client.HTTPException) as e:  # reset, refused, or a cut-off answer
                    self.unacked.append(key)
                    self.error = e
                    break
                if st == 201:
                    self.acked[key] = d["id"]
                else:
                    self.other.append((key, st, d))
                    break
        finally:
            conn.close()


def test_sigkill_during_intake(make_server):
    s = make_server()
    token = s.login("clerk", DEMO_PASSWORD)
    audit_before = s.audit_count()
    stop = threading.Event()
    clients = [Client(s, token, n, stop) for n in range(THREADS)]
    for c in clients:
        c.start()
    deadline = time.monotonic() + KILL_DEADLINE
    while time.monotonic() < deadline and sum(len(c.acked) for c in clients) < KILL_AFTER:
        if not any(c.is_alive() for c in clients):
            break
        time.sleep(0.01)
    s.signal(signal.SIGKILL)
    status = s.wait_exit()
    stop.set()
    for c in clients:
        c.join(timeout=30)
        assert not c.is_alive(), "a client thread did not stop"
    assert status == -signal.SIGKILL, "qifu serve exited with %s before the kill" % status
    for c in clients:
        assert not c.other, "unexpected answers: %s" % c.other[:3]
    acked = {k: v for c in clients for k, v in c.acked.items()}
    unacked = [k for c in clients for k in c.unacked]
    assert len(acked) >= 20, "too few acknowledged creates before the kill: %d" % len(acked)
    assert len(set(acked.values())) == len(acked), "two keys acknowledged with one id"

    s._start(())  # the same database, no recovery step of ours

    # Every acknowledged demand is there, with its content, one event and one audit event.
    rows = s.sql("SELECT id, idem_key, title, content, state FROM demands "
                 "WHERE idem_key LIKE 'crash-%'")
    by_key = {r[1]: r for r in rows}
    for key, did in acked.items():
        assert key in by_key, "acknowledged demand %s (key %s) is missing" % (did, key)
        r = by_key[key]
        b = body_of(key)
        assert (r[0], r[2], r[3], r[4]) == (did, b["title"], b["content"], "submitted"), r
    events = dict(s.sql("SELECT d.idem_key, COUNT(e.id) FROM demands d JOIN events e "
                        "ON e.entity = 'demand' AND e.entity_id = d.id WHERE d.idem_key LIKE 'crash-%' GROUP BY d.idem_key"))
    audits = dict(s.sql("SELECT entity_id, COUNT(*) FROM audit WHERE action = 'demand.submit' "
                        "GROUP BY entity_id"))
    for key, r in by_key.items():
        assert events.get(key) == "1", "demand %s has %s timeline events" % (r[0], events.get(key))
        assert audits.get(r[0]) == "1", "demand %s has %s audit events" % (r[0], audits.get(r[0]))
    # Only keys that were sent exist; an unacknowledged one may or may not have committed.
    assert set(by_key) <= set(acked) | set(unacked), set(by_key) - set(acked) - set(unacked)

    # A few acknowledged ones read back over HTTP after the restart (session survives).
    for key in list(acked)[:5]:
        st, _, d = s.request("GET", "/api/v1/demands/" + acked[key], token=token)
        assert st == 200 and d["title"] == body_of(key)["title"], (st, d)

    # Retries: each unacknowledged request yields exactly one demand, and an acknowledged
    # one replays its id.
    retried = unacked + list(acked)[:10]
    for key in retried:
        st, h, d = s.request("POST", "/api/v1/demands", body_of(key),
                             headers={"Idempotency-Key": key}, token=token)
        if key in acked:
            assert st == 200 and d["id"] == acked[key], (key, st, d)
            assert h.get("Idempotent-Replay") == "true"
        else:
            assert st in (200, 201), (key, st, d)
            assert (st == 200) == (key in by_key), (key, st, "committed" if key in by_key else "")
        count = s.sql("SELECT COUNT(*) FROM demands WHERE idem_key = '%s'" % key)[0][0]
        assert count == "1", "key %s: %s demands after the retry" % (key, count)

    total = int(s.sql("SELECT COUNT(*) FROM demands WHERE idem_key LIKE 'crash-%'")[0][0])
    assert total == len(acked) + len(unacked)
    assert s.audit_count() == audit_before + total
    out = s.cli("audit", "verify")
    assert out.returncode == 0, out.stdout + out.stderr
