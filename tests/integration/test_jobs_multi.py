# SPDX-License-Identifier: Apache-2.0
"""
Background work exactly once across processes (issue 16 item 2; src/job,
docs/internals/job.md): two qifu processes on one PostgreSQL database.

- the overdue sweep, a periodic singleton job, runs once per interval across both
  (counted from the jobs table, both processes' metrics and their logs);
- notices reach the webhook once each with two processes delivering, and after a kill -9
  in the middle of delivery every notice still arrives, none twice from two live
  processes (at most the one the killed process was sending);
- a 免申即享 run killed with kill -9 in the middle is resumed by the other process after
  the lease expired, and its result equals an uninterrupted run's;
- one Idempotency-Key sent at once to both processes makes one demand.

PostgreSQL only: several processes on one SQLite file is not a supported deployment.
"""
import json
import re
import signal
import subprocess
import threading
import time
import uuid

import pytest

from conftest import QIFU_BIN, Server, qifu_env
from webhook import Receiver

LEASE_MS = 3000
SLOW = {"QIFU_TEST_RUN_CHUNK_DELAY_MS": "300"}


@pytest.fixture
def backend_pg(backend):
    if backend != "postgres":
        pytest.skip("several processes on one database: PostgreSQL only")
    return backend


class Pair:
    """Two processes, A (which made the database) and B, started with the same flags."""

    def __init__(self, extra=(), env=None):
        self.a = self.b = None
        try:
            self.a = Server("postgres", extra=["--instance", "A", "--lease-ms", str(LEASE_MS)]
                            + list(extra), env=env)
            self.b = Server("postgres", peer_of=self.a,
                            extra=["--instance", "B", "--lease-ms", str(LEASE_MS)] + list(extra),
                            env=env)
        except BaseException:
            self.close()
            raise

    def kill(self, s):
        """kill -9: the process dies holding whatever it held."""
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait(timeout=10)
        s.exit_status = s.proc.returncode

    def close(self):
        errors = []
        for s in (self.b, self.a):  # the peer first: A's close drops the database
            if s is None:
                continue
            try:
                s.close()
            except AssertionError as e:
                errors.append(str(e))
        assert not errors, "\n".join(errors)


def metric(s, name):
    st, _, text = s.request("GET", "/metrics")
    assert st == 200
    m = re.search(r"^%s (\d+)$" % re.escape(name), text, re.M)
    return int(m.group(1)) if m else 0


def poll(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError("not seen within %ss: %s" % (timeout, what))


# ---- the overdue sweep -----------------------------------------------------------------


def test_sweep_runs_once_per_interval_across_processes(backend_pg):
    p = Pair(extra=["--sweep-interval", "1"])
    try:
        # Let both processes compete for several intervals.
        poll(lambda: int((p.a.sql("SELECT runs FROM jobs WHERE name = 'sweep'") or [("0",)])[0][0])
             >= 5, 15, "five sweeps")
        runs = lambda: int(p.a.sql("SELECT runs FROM jobs WHERE name = 'sweep'")[0][0])
        before = runs()
        mine = {s: metric(s, 'qifu_job_runs_total{job="sweep"}') for s in (p.a, p.b)}
        after = runs()
        # Every run is counted by exactly one process (the jobs table counts the takes; a
        # take is counted in the metric just after it commits).
        total = sum(mine.values())
        assert before - 1 <= total <= after, (before, after, mine)

        def slots():
            found = []
            for s, who in ((p.a, "A"), (p.b, "B")):
                found += [(int(due), who) for due in re.findall(
                    r"job sweep: run \d+ by %s \(due at (\d+)\)" % who, s.log_text())]
            return found
        poll(lambda: len(slots()) >= 5, 5, "the sweeps' log lines")
        slots = slots()
        # No interval was swept twice: each run took a different due time, and the next
        # due time is always one interval (1000 ms) after the previous run released it.
        dues = sorted(d for d, _ in slots)
        assert len(dues) == len(set(dues)), slots
        assert all(b - a >= 1000 for a, b in zip(dues, dues[1:])), dues
    finally:
        p.close()


# ---- notices to the webhook ------------------------------------------------------------


def add_notices(s, n):
    """n pending notices, as the domain writes them (to an organisation); returns their ids."""
    s.write_sql("INSERT INTO notices (org_id, kind, title, body, created_at) SELECT "
                "(SELECT MIN(id) FROM orgs), 'test', '测试通知 ' || g, '正文', 0 "
                "FROM generate_series(1, %d) g" % n)
    return [int(r[0]) for r in s.sql("SELECT id FROM notices WHERE kind = 'test'")]


def test_notices_delivered_once_by_two_processes(backend_pg):
    rx = Receiver(delay=0.005)
    p = Pair(extra=["--webhook", rx.url])
    try:
        ids = add_notices(p.a, 300)
        poll(lambda: rx.distinct() >= len(ids), 60, "all notices delivered")
        poll(lambda: p.a.sql("SELECT COUNT(*) FROM notices WHERE kind = 'test' AND "
                             "delivery_state = 'delivered'") == [(str(len(ids)),)], 10,
             "all marked delivered")
        time.sleep(0.5)  # nothing more arrives
        assert rx.twice() == {}, rx.twice()
        assert set(rx.keys) >= {"notice-%d" % i for i in ids}
        # Both processes delivered (the claims are shared, not taken by one).
        sent = [metric(s, 'qifu_job_runs_total{job="notice"}') for s in (p.a, p.b)]
        assert sum(sent) == rx.count() and all(sent), sent
    finally:
        p.close()
        rx.close()


def test_notices_survive_a_kill_in_the_middle_of_delivery(backend_pg):
    rx = Receiver(delay=0.05)  # slow: the kill lands in the middle of the processes' batches
    p = Pair(extra=["--webhook", rx.url])
    try:
        ids = add_notices(p.a, 120)
        poll(lambda: rx.count() >= 20, 30, "delivery under way")
        p.kill(p.a)
        killed = time.monotonic()
        claimed = int(p.b.sql("SELECT COUNT(*) FROM notices WHERE kind = 'test' AND owner = 'A' "
                              "AND delivery_state = 'pending'")[0][0])
        assert claimed > 0, "the kill should leave notices claimed by A"
        # B delivers the rest, A's claims once their lease expired.
        poll(lambda: p.b.sql("SELECT COUNT(*) FROM notices WHERE kind = 'test' AND "
                             "delivery_state = 'delivered'") == [(str(len(ids)),)], 60,
             "all delivered after the kill")
        print("notices: all %d delivered %.2f s after kill -9 (%d were held by the dead "
              "process)" % (len(ids), time.monotonic() - killed, claimed))
        assert {"notice-%d" % i for i in ids} <= set(rx.keys)
        # At most the notices A was sending when it died (one wave, src/notice
        # NOTICE_PARALLEL_DEFAULT = 8) arrive twice.
        assert len(rx.twice()) <= 8, rx.twice()
    finally:
        p.close()
        rx.close()


# ---- a 免申即享 run killed in the middle -------------------------------------------------

N_ENTS = 2000
RULE = {"all": [{"fact": "founded", "op": "exists", "label": "已登记成立日期"}]}


def make_policy(s, token, title):
    st, _, d = s.request("POST", "/api/v1/policies", {
        "title": title, "delivery": "mian_shen", "region_scope": ["34"],
        "valid_from": "2020-01-01", "valid_to": "2099-12-31",
        "rules": {"conditions": RULE, "amount": {"fixed": 100000}}}, token=token)
    assert st == 201, d
    st, _, r = s.request("POST", "/api/v1/policies/%s/actions" % d["id"], {"action": "publish"},
                         token=token)
    assert st == 200, r
    return d["id"]


def test_run_killed_in_the_middle_is_resumed_by_the_other_process(backend_pg):
    p = Pair(env=SLOW)
    try:
        a, b = p.a, p.b
        cli = subprocess.run([QIFU_BIN, "demo", "--enterprises", str(N_ENTS), "--seed", "7",
                              "--db", a.db_url], capture_output=True, text=True, timeout=300,
                             env=qifu_env(), cwd=a.tmp)
        assert cli.returncode == 0, cli.stderr
        officer = a.login("officer")
        ref, pid = (make_policy(a, officer, "全员奖励（参照）"),
                    make_policy(a, officer, "全员奖励（中断）"))
        # The reference: the same rule run uninterrupted, from the command line.
        out = subprocess.run([QIFU_BIN, "match", "--policy", str(ref), "--db", a.db_url],
                             capture_output=True, text=True, timeout=300, env=qifu_env(),
                             cwd=a.tmp)
        assert out.returncode == 0, out.stderr
        reference = json.loads(out.stdout[out.stdout.index("{"):])
        assert reference["count"] > 2 * 256, reference  # several chunks

        st, _, r = a.request("POST", "/api/v1/policies/%s/runs" % pid, token=officer)
        assert st == 202, r
        rid = r["id"]
        seen = []

        def read(s):
            st, _, r = s.request("GET", "/api/v1/policies/%s/runs/%s" % (pid, rid),
                                 token=s.login("officer"))
            assert st == 200, r
            seen.append(r["done"])
            return r

        poll(lambda: read(a)["done"] > 0 and read(a)["state"] == "running", 60, "writing")
        holder = read(a)["owner"]
        assert holder in ("A", "B"), holder
        victim, survivor = (a, b) if holder == "A" else (b, a)
        p.kill(victim)
        killed = time.monotonic()
        killed_at = read(survivor)
        assert killed_at["state"] == "running" and killed_at["done"] < killed_at["total"]
        # The survivor takes the run over once the lease expired (LEASE_MS after the last
        # renewal, then its next poll): observed within lease + 2 s.
        poll(lambda: read(survivor)["owner"] != holder, LEASE_MS / 1000 + 2.0, "the takeover")
        print("run takeover %.2f s after kill -9 (lease %d ms)"
              % (time.monotonic() - killed, LEASE_MS))
        poll(lambda: read(survivor)["state"] in ("done", "failed"), 120, "the run resumed")
        r = read(survivor)
        assert r["state"] == "done", r
        assert r["owner"] != holder and r["resumed"] == 1, r
        assert seen == sorted(seen), "progress went back: %s" % seen
        assert "taken over by %s from %s" % (r["owner"], holder) in survivor.log_text()
        assert metric(survivor, "qifu_lease_takeovers_total") >= 1

        # The result equals the uninterrupted run's: the same enterprises, each once.
        strip = lambda s: {k: v for k, v in s.items() if k not in ("policies", "dry_run")}
        assert strip(r["summary"]) == strip(reference), (r["summary"], reference)
        assert r["summary"]["created"] == r["count"] == reference["count"]
        grants = lambda q: [x[0] for x in survivor.sql(
            "SELECT credit_code FROM grants WHERE policy_id = %s ORDER BY credit_code" % q)]
        got = grants(pid)
        assert got == grants(ref) and len(got) == len(set(got)) == reference["count"]
        assert survivor.sql("SELECT COUNT(*) FROM jobs WHERE kind = 'policy_run'") == [("0",)]
    finally:
        p.close()


# ---- idempotency across processes ------------------------------------------------------


def test_idempotency_key_across_processes(backend_pg):
    p = Pair()
    try:
        tokens = {s: s.login("enterprise") for s in (p.a, p.b)}
        for round_ in range(3):
            key = "multi-" + uuid.uuid4().hex
            body = {"category": "help", "title": "跨进程幂等",
                    "content": "两个进程收到同一幂等键的重试只产生一件诉求"}
            answers = []
            barrier = threading.Barrier(6)

            def post(s):
                barrier.wait()
                answers.append(s.request("POST", "/api/v1/demands", body, token=tokens[s],
                                         headers={"Idempotency-Key": key}))

            threads = [threading.Thread(target=post, args=(s,)) for s in (p.a, p.b) * 3]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            statuses = sorted(st for st, _, _ in answers)
            assert statuses == [200] * 5 + [201], answers
            assert len({d["id"] for _, _, d in answers}) == 1
            assert p.a.sql("SELECT COUNT(*) FROM demands WHERE idem_key = '%s'" % key) == [("1",)]
    finally:
        p.close()
