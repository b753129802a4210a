# SPDX-License-Identifier: Apache-2.0
"""
The read replica (issue 16 item 3; docs/internals/store.md "Read replica"): `qifu serve
--db-replica URL` sends the reads of read_only routes to a PostgreSQL streaming standby
(scripts/pg-test.sh standby), keeps a session that just wrote on the primary, and falls
back to the primary when the standby lags beyond --replica-max-lag-ms or is down, which
/metrics says. PostgreSQL only: the module starts its own standby of the test cluster and
stops it at the end. Every wait is a poll with a deadline.
"""
import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import CLI_TIMEOUT, PG_DIR, PG_TEST, QIFU_BIN, ROOT, Server, psql, qifu_env

DEMO_CODE = "91340100131860916Y"  # the demo enterprise user's company
MAX_LAG_MS = 2000  # the server's --replica-max-lag-ms; the read-your-writes window is twice it
POLL_S = 0.05


def pg_test(*args):
    p = subprocess.run([PG_TEST] + list(args), capture_output=True, text=True,
                       timeout=CLI_TIMEOUT)
    assert p.returncode == 0, "pg-test.sh %s failed: %s" % (" ".join(args), p.stderr)
    return p.stdout.strip()


@pytest.fixture(scope="module")
def standby():
    """A streaming standby of the test cluster, in its own directory; removed at the end."""
    if not PG_DIR:
        pytest.skip("the read replica needs PostgreSQL (TEST_PG_DIR)")
    d = tempfile.mkdtemp(prefix="qifu-sb.", dir="/tmp")
    os.rmdir(d)  # pg-test.sh makes it (and marks it as a test cluster)
    try:
        pg_test("standby", d, PG_DIR)
        yield d
    finally:
        subprocess.run([PG_TEST, "stop", d], capture_output=True, timeout=CLI_TIMEOUT)
        shutil.rmtree(d, ignore_errors=True)


def replica_url(srv, standby_dir):
    """The server's database on the standby (the same name, the standby's socket)."""
    return srv.db_url.replace("host=" + PG_DIR, "host=" + standby_dir)


@pytest.fixture(scope="module")
def srv(standby):
    s = Server("postgres")
    try:
        s.restart(["--db-replica", replica_url(s, standby), "--replica-max-lag-ms",
                   str(MAX_LAG_MS)])
        s.standby = standby
        s.standby_dsn = replica_url(s, standby)
        wait_for(lambda: metrics(s)["qifu_replica_up"] == 1, 10.0, s, "the replica is up")
        yield s
    finally:
        s.close()


def metrics(srv):
    st, _, text = srv.request("GET", "/metrics")
    assert st == 200
    out = {}
    for line in text.splitlines():
        m = re.match(r'^(qifu_replica_\w+(?:\{reason="\w+"\})?) (\S+)$', line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


def wait_for(cond, timeout, srv, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(POLL_S)
    raise AssertionError("not seen within %.1f s: %s; metrics %s\n%s"
                         % (timeout, what, metrics(srv), srv.log_tail()))


def reads(srv):
    return metrics(srv)["qifu_replica_reads_total"]


def submit(srv, token, title):
    body = {"category": "help", "title": title,
            "content": "我公司计划更新生产线，想了解技改补贴的申请条件和流程。",
            "contact_name": "方晓东", "contact_phone": "13905561234"}
    st, _, d = srv.request("POST", "/api/v1/demands", body, token=token)
    assert st == 201, (st, d)
    return d["id"]


def listed_ids(srv, token):
    st, _, d = srv.request("GET", "/api/v1/demands?limit=500", token=token)
    assert st == 200, (st, d)
    return {x["id"] for x in d["items"]}


def replay(srv, paused):
    psql(srv.standby_dsn, "SELECT pg_wal_replay_%s()" % ("pause" if paused else "resume"))
    if paused:
        deadline = time.monotonic() + 5
        while psql(srv.standby_dsn,
                   "SELECT pg_get_wal_replay_pause_state()").stdout.strip() != "paused":
            assert time.monotonic() < deadline, "the standby's replay did not pause"
            time.sleep(POLL_S)


# ---- refusal without PostgreSQL -------------------------------------------------------


def test_replica_refused_without_postgres(tmp_path):
    """--db-replica needs PostgreSQL on both sides: a clear message, no server."""
    p = subprocess.run([QIFU_BIN, "serve", "--listen", "127.0.0.1:0", "--db",
                        "sqlite:" + str(tmp_path / "q.db"), "--db-replica",
                        "postgres://postgres@/x?host=/nonexistent"],
                       capture_output=True, text=True, timeout=CLI_TIMEOUT, env=qifu_env())
    assert p.returncode != 0
    assert "--db-replica 仅支持 PostgreSQL" in p.stderr, p.stderr


# ---- routing ----------------------------------------------------------------------------


def read_only_patterns():
    """The GET patterns marked read_only in the route tables (ROUTE_READ, ROUTE_DATA_READ)."""
    out = set()
    for path in glob.glob(os.path.join(ROOT, "src", "api", "api_*.c")):
        with open(path, encoding="utf-8") as f:
            out |= set(re.findall(r'ROUTE(?:_DATA)?_READ\(\s*HTTP_GET,\s*"([^"]+)"', f.read()))
    return out


def test_every_read_only_route_reads_from_the_replica(srv):
    """Each read_only route answers from the standby (where any write would fail: a standby
    is read-only, so this also checks that none of them writes) and moves the counter."""
    admin = srv.admin()
    enterprise = srv.login("enterprise")
    did = submit(srv, enterprise, "副本读取的诉求")
    st, _, runs = srv.request("GET", "/api/v1/policies?limit=1")
    pid = runs["items"][0]["id"]
    # The demand reaches the standby, and the enterprise's write window passes for admin
    # (admin wrote nothing).
    wait_for(lambda: did in listed_ids(srv, admin), 5.0, srv, "the demand on the replica")
    paths = {
        "/api/v1/demands": "/api/v1/demands",
        "/api/v1/demands/{id}": "/api/v1/demands/%s" % did,
        "/api/v1/demands/{id}/actions": "/api/v1/demands/%s/actions" % did,
        "/api/v1/demands/{id}/timeline": "/api/v1/demands/%s/timeline" % did,
        "/api/v1/demands/{id}/duplicates": "/api/v1/demands/%s/duplicates" % did,
        "/api/v1/stats/demands": "/api/v1/stats/demands?from=2026-01-01&to=2026-12-31",
        "/api/v1/stats/demand-lights": "/api/v1/stats/demand-lights",
        "/api/v1/stats/demand-breakdown":
            "/api/v1/stats/demand-breakdown?by=category&from=2026-01-01&to=2026-12-31",
        "/api/v1/stats/demand-top": "/api/v1/stats/demand-top?by=title&from=2026-01-01&to=2026-12-31",
        "/api/v1/stats/demand-ranking": "/api/v1/stats/demand-ranking?from=2026-01-01&to=2026-12-31",
        "/api/v1/enterprises": "/api/v1/enterprises",
        "/api/v1/enterprises/{code}": "/api/v1/enterprises/" + DEMO_CODE,
        "/api/v1/enterprises/{code}/facts": "/api/v1/enterprises/%s/facts" % DEMO_CODE,
        "/api/v1/policies": "/api/v1/policies",
        "/api/v1/policies/{id}": "/api/v1/policies/%s" % pid,
        "/api/v1/policies/{id}/versions": "/api/v1/policies/%s/versions" % pid,
        "/api/v1/policies/{id}/runs": "/api/v1/policies/%s/runs" % pid,
        "/api/v1/policies/{id}/runs/{run}": "/api/v1/policies/%s/runs/1" % pid,
        "/api/v1/grants": "/api/v1/grants",
        "/api/v1/grants/{id}": "/api/v1/grants/1",
        "/api/v1/grants/{id}/actions": "/api/v1/grants/1/actions",
        "/api/v1/grants/{id}/timeline": "/api/v1/grants/1/timeline",
        "/api/v1/applications": "/api/v1/applications",
        "/api/v1/applications/{id}": "/api/v1/applications/1",
        "/api/v1/applications/{id}/actions": "/api/v1/applications/1/actions",
        "/api/v1/applications/{id}/timeline": "/api/v1/applications/1/timeline",
        "/api/v1/stats/policies": "/api/v1/stats/policies",
        "/api/v1/notices": "/api/v1/notices",
        "/api/v1/orgs": "/api/v1/orgs",
        "/api/v1/orgs/{code}": "/api/v1/orgs/" + srv.org_codes()[0],
        "/api/v1/audit": "/api/v1/audit",
        "/api/v1/service-items": "/api/v1/service-items",
        "/api/v1/service-items/{id}": "/api/v1/service-items/1",
        "/api/v1/service-items/{id}/versions": "/api/v1/service-items/1/versions",
        "/api/v1/service-items/{id}/versions/{v}/lint": "/api/v1/service-items/1/versions/1/lint",
        "/api/v1/service-items/{id}/versions/{v}/timeline":
            "/api/v1/service-items/1/versions/1/timeline",
        "/api/v1/catalog/quality": "/api/v1/catalog/quality",
    }
    assert set(paths) == read_only_patterns(), "a read_only route without a case here"
    for pattern, path in sorted(paths.items()):
        before = reads(srv)
        st, _, d = srv.request("GET", path, token=admin)
        # 404 for records the demo has none of (grant 1, run 1): still read on the replica.
        assert st in (200, 404), (path, st, d)
        assert reads(srv) == before + 1, "%s did not read from the replica" % pattern
    # A route that is not marked reads from the primary.
    before = reads(srv)
    st, _, _ = srv.request("GET", "/api/v1/users", token=admin)
    assert st == 200 and reads(srv) == before


def test_api_keys_read_from_the_primary(srv):
    key = srv.cli("apikey", "add", "replica-test", "--org", "340800-QFZX").stdout.strip()
    assert key.startswith("qk_"), key
    before = metrics(srv)
    st, _, d = srv.request("GET", "/api/v1/demands", headers={"X-Api-Key": key})
    after = metrics(srv)
    assert st in (200, 403), (st, d)
    assert after["qifu_replica_reads_total"] == before["qifu_replica_reads_total"]


# ---- read-your-writes and lag -------------------------------------------------------------


def test_read_your_writes_then_lag_fallback_then_back(srv):
    admin = srv.admin()
    enterprise = srv.login("enterprise")
    wait_for(lambda: metrics(srv)["qifu_replica_lag_ms"] <= MAX_LAG_MS, 5.0, srv, "no lag")
    replay(srv, paused=True)
    try:
        did = submit(srv, enterprise, "暂停回放时提交的诉求")
        t_write = time.monotonic()
        # Another session reads through the replica, which has not replayed the demand.
        before = reads(srv)
        assert did not in listed_ids(srv, admin), "the admin's list came from the primary"
        assert reads(srv) == before + 1
        # The writer's own session reads from the primary: it sees its demand.
        before = reads(srv)
        st, _, d = srv.request("GET", "/api/v1/demands/%s" % did, token=enterprise)
        assert st == 200 and d["id"] == did, (st, d)
        assert did in listed_ids(srv, enterprise)
        assert reads(srv) == before, "the writer's reads went to the replica"
        assert time.monotonic() - t_write < MAX_LAG_MS / 1000.0, "too slow to test the window"

        # Replay stays paused and writes go on: once the lag passes the limit, reads fall
        # back to the primary (the admin sees the demand) and /metrics says why.
        lag_before = metrics(srv)['qifu_replica_fallback_total{reason="lag"}']

        def fell_back():
            submit(srv, enterprise, "继续写入")
            return did in listed_ids(srv, admin)

        wait_for(fell_back, MAX_LAG_MS / 1000.0 + 1.5, srv, "reads fall back past the lag limit")
        m = metrics(srv)
        assert m['qifu_replica_fallback_total{reason="lag"}'] > lag_before
        assert m["qifu_replica_lag_ms"] > MAX_LAG_MS
        assert m["qifu_replica_up"] == 1
    finally:
        replay(srv, paused=False)
    # Replay resumed: the replica catches up and reads go back to it within a second.
    t = time.monotonic()
    wait_for(lambda: metrics(srv)["qifu_replica_lag_ms"] <= MAX_LAG_MS, 1.0, srv, "lag back")

    def on_replica():
        before = reads(srv)
        ok = did in listed_ids(srv, admin)
        return ok and reads(srv) == before + 1

    wait_for(on_replica, 1.0, srv, "reads back on the replica")
    assert time.monotonic() - t < 2.0
    # The writer's window (2 x the limit after its last write) ends: its reads move too.
    def writer_on_replica():
        before = reads(srv)
        listed_ids(srv, enterprise)
        return reads(srv) == before + 1

    wait_for(writer_on_replica, 2 * MAX_LAG_MS / 1000.0 + 1.5, srv,
             "the writer's reads back on the replica")


# ---- standby stopped ------------------------------------------------------------------------


def test_standby_stopped_reads_fall_back_then_return(srv):
    admin = srv.admin()
    wait_for(lambda: metrics(srv)["qifu_replica_up"] == 1, 5.0, srv, "replica up")
    down_before = metrics(srv)['qifu_replica_fallback_total{reason="down"}']
    pg_test("halt", srv.standby)
    t = time.monotonic()
    try:
        # The monitor sees it by itself (no read needed), within a second.
        wait_for(lambda: metrics(srv)["qifu_replica_up"] == 0, 1.0, srv,
                 "qifu_replica_up 0 within 1 s of the stop")
        # Every read answers from the primary, each counted as a fallback for "down".
        for _ in range(5):
            st, _, d = srv.request("GET", "/api/v1/demands", token=admin)
            assert st == 200, (st, d)
        m = metrics(srv)
        assert m['qifu_replica_fallback_total{reason="down"}'] == down_before + 5, m
        assert m["qifu_replica_up"] == 0
    finally:
        pg_test("start", srv.standby)
    wait_for(lambda: metrics(srv)["qifu_replica_up"] == 1, 2.0, srv,
             "qifu_replica_up 1 within 2 s of the standby's start")
    before = reads(srv)
    wait_for(lambda: listed_ids(srv, admin) is not None and reads(srv) > before, 2.0, srv,
             "reads back on the replica")
    assert time.monotonic() - t < 30


class CuttingProxy:
    """A TCP proxy on 127.0.0.1 to the standby's Unix socket. Armed, it cuts a connection
    at the next bytes its client sends: the connection looks alive to qifu until a query is
    on the wire, as when a standby restarts under a request."""

    def __init__(self, socket_path):
        self.socket_path = socket_path
        self.armed = threading.Event()
        self.cuts = 0
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(64)
        self.port = self.lsock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            u = socket.socket(socket.AF_UNIX)
            try:
                u.connect(self.socket_path)
            except OSError:
                c.close()
                continue
            threading.Thread(target=self._pump, args=(c, u, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(u, c, False), daemon=True).start()

    def _pump(self, src, dst, from_client):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if from_client and self.armed.is_set():
                    self.cuts += 1
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for x in (src, dst):
                try:
                    x.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                x.close()

    def close(self):
        self.lsock.close()


def test_replica_connection_lost_mid_request_is_retried_on_the_primary(srv):
    """The standby's connection breaks under a request (a proxy cuts it when the query is
    sent): the read is answered from the primary, not 503, and counted as a retry."""
    dbname = re.search(r"/(\w+)\?", srv.db_url).group(1)
    port = re.search(r"port=(\d+)", srv.db_url)
    sock = os.path.join(srv.standby, ".s.PGSQL.%s" % (port.group(1) if port else "55432"))
    proxy = CuttingProxy(sock)
    peer = Server("postgres", peer_of=srv, extra=[
        "--db-replica", "postgres://postgres@127.0.0.1:%d/%s" % (proxy.port, dbname),
        "--replica-max-lag-ms", str(MAX_LAG_MS)])
    try:
        admin = peer.admin()
        retried = 0
        for _ in range(5):
            wait_for(lambda: metrics(peer)["qifu_replica_up"] == 1, 5.0, peer, "replica up")
            before = metrics(peer)
            proxy.armed.set()
            st, _, d = peer.request("GET", "/api/v1/demands", token=admin)
            proxy.armed.clear()
            assert st == 200, (st, d)
            after = metrics(peer)
            assert after['qifu_replica_fallback_total{reason="down"}'] == \
                before['qifu_replica_fallback_total{reason="down"}'] + 1, (before, after)
            retried += after["qifu_replica_retries_total"] - before["qifu_replica_retries_total"]
        # The monitor's own sample may meet the cut first (then the read is sent to the
        # primary at once); most reads meet it themselves and run again on the primary.
        assert retried >= 1 and proxy.cuts >= 5, (retried, proxy.cuts)
    finally:
        peer.close()
        proxy.close()


def test_server_starts_with_the_standby_down(srv, tmp_path):
    """A standby that cannot be reached at start does not stop the server: it serves from
    the primary, and /metrics says the replica is down."""
    nowhere = srv.db_url.replace("host=" + PG_DIR, "host=" + str(tmp_path))
    peer = Server("postgres", peer_of=srv, extra=["--db-replica", nowhere])
    try:
        m = metrics(peer)
        assert m["qifu_replica_up"] == 0, m
        st, _, d = peer.request("GET", "/api/v1/demands", token=peer.login("clerk"))
        assert st == 200, (st, d)
        m = metrics(peer)
        assert m['qifu_replica_fallback_total{reason="down"}'] == 1, m
        assert m["qifu_replica_reads_total"] == 0, m
    finally:
        peer.close()
