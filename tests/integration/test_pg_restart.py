# SPDX-License-Identifier: Apache-2.0
"""
The PostgreSQL server goes away and comes back under a running qifu (issue 16, item 4).

The test runs its own cluster (scripts/pg-test.sh in a directory of its own, so the
shared test cluster is never stopped), starts one qifu on it with several threads,
warms every pooled connection, then stops the cluster:
- while it is down, /readyz, a read and a write each answer 503 with the Chinese
  message within a bound (no hang), and the process stays up;
- after it is back, qifu answers 200 again by itself (no restart) within a bound, and
  from then on no request fails: every pooled connection that the restart cut is
  noticed and reopened when it is taken, not reported as a 503 to one unlucky request.
"""
import concurrent.futures
import os
import subprocess
import tempfile
import time
import types

import pytest

from conftest import CLI_TIMEOUT, PG_DIR, PG_TEST, Server, qifu_env, QIFU_BIN

THREADS = 4
DOWN_BOUND = 3.0  # seconds a request may take while the database is down
BACK_BOUND = 15.0  # seconds until qifu answers 200 again once the database is back
DEMO_CODE = "91340100131860916Y"


def pg(cmd, d):
    p = subprocess.run([PG_TEST, cmd, d], capture_output=True, text=True, timeout=90)
    assert p.returncode == 0, "pg-test.sh %s: %s" % (cmd, p.stderr)
    return p.stdout.strip()


def cli(url, *args):
    p = subprocess.run([QIFU_BIN] + list(args) + ["--db", url], capture_output=True, text=True,
                       timeout=CLI_TIMEOUT, env=qifu_env())
    assert p.returncode == 0, "%s: %s%s" % (args, p.stdout, p.stderr)


def demand(n):
    return {"credit_code": DEMO_CODE, "category": "consult", "title": "重启测试诉求 %d" % n,
            "content": "数据库重启期间提交的诉求。", "contact_name": "方晓东",
            "contact_phone": "13905561234"}


@pytest.fixture
def private_pg():
    if not PG_DIR:
        pytest.skip("PostgreSQL only (TEST_PG_DIR)")
    d = tempfile.mkdtemp(prefix="qifu-pgr-", dir="/tmp")
    os.rmdir(d)  # pg-test.sh makes it (and marks it as its own)
    try:
        url = pg("start", d)
        cli(url, "migrate")
        cli(url, "demo")
        yield d, url
    finally:
        subprocess.run([PG_TEST, "stop", d], capture_output=True, timeout=90)


def timed(s, method, path, token=None, body=None):
    t0 = time.monotonic()
    st, _, data = s.request(method, path, body=body, token=token, timeout=DOWN_BOUND + 5)
    return st, data, time.monotonic() - t0


def test_primary_restart_503_then_reconnect(private_pg):
    d, url = private_pg
    s = Server("postgres", threads=THREADS, peer_of=types.SimpleNamespace(db_path=None,
                                                                          db_url=url))
    try:
        token = s.login("clerk")
        # Use every pooled connection at once, so each holds a live session to the server.
        with concurrent.futures.ThreadPoolExecutor(THREADS * 2) as ex:
            res = list(ex.map(lambda i: s.request("GET", "/api/v1/demands?limit=5",
                                                  token=token)[0], range(THREADS * 6)))
        assert res == [200] * len(res), res

        pg("halt", d)
        for method, path, body in [("GET", "/readyz", None),
                                   ("GET", "/api/v1/demands?limit=5", None),
                                   ("POST", "/api/v1/demands", demand(1)),
                                   ("GET", "/readyz", None)]:
            st, data, took = timed(s, method, path, token, body)
            assert st == 503, (method, path, st, data)
            assert took < DOWN_BOUND, "%s %s took %.1f s while the database was down" % (
                method, path, took)
            assert data["error"]["message"] == "服务暂不可用", data
        assert s.running(), "qifu exited while the database was down:\n" + s.log_tail()

        pg("start", d)
        deadline = time.monotonic() + BACK_BOUND
        while True:
            st, data, _ = timed(s, "GET", "/readyz")
            if st == 200:
                break
            assert time.monotonic() < deadline, "no 200 from /readyz %.0f s after the " \
                "database came back: %s %s\n%s" % (BACK_BOUND, st, data, s.log_tail())
            time.sleep(0.1)
        # From now on every request succeeds: no pooled connection still holds the
        # session the restart cut.
        with concurrent.futures.ThreadPoolExecutor(THREADS * 2) as ex:
            res = list(ex.map(lambda i: s.request("GET", "/api/v1/demands?limit=5",
                                                  token=token)[:3:2], range(THREADS * 6)))
        bad = [r for r in res if r[0] != 200]
        assert not bad, "requests failed after the database was back: %s" % bad[:3]
        st, _, data = s.request("POST", "/api/v1/demands", demand(2), token=token)
        assert st == 201, (st, data)
    finally:
        s.close()


class Proxy:
    """A TCP front for the cluster's Unix socket, so a test can make the database hang:
    hang() cuts every connection and then accepts new ones without ever answering, as a
    machine that is up but whose PostgreSQL does not respond; serve() forwards again."""

    def __init__(self, sock_path):
        import socket
        import threading
        self.sock_path, self.hanging, self.conns = sock_path, False, []
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(64)
        self.port = self.lsock.getsockname()[1]
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import socket
        import threading
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            with self.lock:
                self.conns.append(c)
                if self.hanging:
                    continue  # never answered
            u = socket.socket(socket.AF_UNIX)
            u.connect(self.sock_path)
            with self.lock:
                self.conns.append(u)
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(2)
            except OSError:
                pass

    def hang(self):
        with self.lock:
            self.hanging = True
            for s in self.conns:
                try:
                    s.shutdown(2)
                except OSError:
                    pass
            self.conns = []

    def serve(self):
        with self.lock:
            self.hanging = False

    def close(self):
        self.lsock.close()
        self.hang()


def test_unresponsive_database_503_within_connect_timeout(private_pg):
    """A database machine that accepts connections but never answers costs a request at
    most libpq's connect_timeout (2 s) before its 503, not a hang."""
    d, url = private_pg
    proxy = Proxy(os.path.join(d, ".s.PGSQL.55432"))
    tcp_url = "postgres://postgres@127.0.0.1:%d/qifu_test" % proxy.port
    s = Server("postgres", threads=THREADS, peer_of=types.SimpleNamespace(db_path=None,
                                                                          db_url=tcp_url))
    try:
        token = s.login("clerk")
        st, _, _ = s.request("GET", "/api/v1/demands?limit=5", token=token)
        assert st == 200
        proxy.hang()
        for path in ["/readyz", "/api/v1/demands?limit=5", "/readyz"]:
            st, data, took = timed(s, "GET", path, token)
            assert st == 503 and data["error"]["message"] == "服务暂不可用", (path, st, data)
            assert took < DOWN_BOUND, "%s took %.1f s against a database that does not " \
                "answer" % (path, took)
        proxy.serve()
        deadline = time.monotonic() + BACK_BOUND
        while timed(s, "GET", "/readyz")[0] != 200:
            assert time.monotonic() < deadline, s.log_tail()
            time.sleep(0.1)
        st, _, _ = s.request("GET", "/api/v1/demands?limit=5", token=token)
        assert st == 200
    finally:
        s.close()
        proxy.close()
