# SPDX-License-Identifier: Apache-2.0
"""Operations: health, readiness, metrics, OpenAPI, graceful stop, access log."""
import http.client
import os
import re
import signal
import socket
import threading
import time
import uuid

import pytest

from conftest import ROOT, raw_socket, read_http_response

# Roles of some routes of the route tables (src/api/api_*.c), as openapi.json's x-roles.
OFFICIALS = ["clerk", "handler", "supervisor", "policy_officer", "admin", "catalog"]
KNOWN_ROLES = {
    ("get", "/healthz"): ["public"],
    ("get", "/readyz"): ["public"],
    ("get", "/metrics"): ["public"],
    ("get", "/api/v1/openapi.json"): ["public"],
    ("post", "/api/v1/session"): ["public"],
    ("delete", "/api/v1/session"): ["enterprise"] + OFFICIALS,
    ("get", "/api/v1/me"): ["any"],
    ("get", "/api/v1/orgs"): OFFICIALS,
    ("post", "/api/v1/orgs"): ["admin"],
    ("get", "/api/v1/orgs/{code}"): OFFICIALS,
    ("get", "/api/v1/users"): ["admin"],
    ("post", "/api/v1/users"): ["admin"],
    ("get", "/api/v1/codes/regions"): ["public"],
    ("get", "/api/v1/codes/industries"): ["public"],
    ("get", "/api/v1/codes/credit-codes/{code}"): ["public"],
    ("get", "/api/v1/audit"): ["supervisor", "admin"],
    # 惠企政策超市 (issue 5): the public list and "what if", runs by the issuing officers.
    ("get", "/api/v1/policies"): ["public"],
    ("get", "/api/v1/policies/{id}"): ["public"],
    ("post", "/api/v1/policies/match"): ["public"],
    ("post", "/api/v1/policies/{id}/runs"): ["policy_officer"],
    # 办事指南 (issue 18): published guides are public, writing is the catalogue team's.
    ("get", "/api/v1/service-items"): ["public"],
    ("get", "/api/v1/service-items/{id}"): ["public"],
    ("post", "/api/v1/service-items"): ["admin", "catalog"],
    ("post", "/api/v1/service-items/{id}/versions/{v}/actions"): ["admin", "catalog"],
    ("get", "/api/v1/catalog/quality"): ["supervisor", "admin", "catalog"],
}


def source_routes():
    """(method, pattern) of every row of the route tables: each src/api/api_*.c ends with its own."""
    rows = []
    api = os.path.join(ROOT, "src", "api")
    for name in sorted(os.listdir(api)):
        if not (name.startswith("api_") and name.endswith(".c")):
            continue
        with open(os.path.join(api, name), encoding="utf-8") as f:
            text = f.read()
        if "_routes[] = {" not in text:
            continue
        table = text[text.index("_routes[] = {"):]
        table = table[:table.index("};")]
        rows += re.findall(r'(?:\{|ROUTE\(|ROUTE_DATA\(|ROUTE_READ\(|ROUTE_DATA_READ\(|UPLOAD\()'
                           r'\s*HTTP_([A-Z]+)\s*,\s*"([^"]+)"', table)
        # API_RECORD_ROUTES(base, ...) (api_int.h) writes four rows.
        for base in re.findall(r'API_RECORD_ROUTES\(\s*"([^"]+)"', table):
            rows += [("GET", base + "/{id}"), ("GET", base + "/{id}/actions"),
                     ("POST", base + "/{id}/actions"), ("GET", base + "/{id}/timeline")]
    assert len(rows) >= len(KNOWN_ROLES), "could not read the route tables of src/api/api_*.c"
    return {(m.lower(), p) for m, p in rows}


METRIC_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def metrics(server):
    st, headers, text = server.request("GET", "/metrics")
    assert st == 200
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            assert not line or line.startswith("# HELP ") or line.startswith("# TYPE "), line
            continue
        m = METRIC_LINE.match(line)
        assert m, "not Prometheus text: %r" % line
        samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return text, samples


def wait_metrics(server, ok, timeout=3.0):
    """Scrapes until ok(samples) (requests are counted when they complete)."""
    deadline = time.monotonic() + timeout
    while True:
        text, samples = metrics(server)
        if ok(samples) or time.monotonic() > deadline:
            return text, samples
        time.sleep(0.05)


def test_healthz(server):
    st, headers, data = server.request("GET", "/healthz")
    assert st == 200 and data == {"status": "ok", "operator": None, "icp": None}
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert re.match(r"^[0-9a-f]{8}-[0-9a-f]+$", headers["X-Request-Id"])


def test_readyz(server):
    st, _, data = server.request("GET", "/readyz")
    assert st == 200
    assert data == {"status": "ready", "database": server.backend}


def test_metrics(server):
    server.request("GET", "/healthz")
    server.request("GET", "/api/v1/no-such-thing")
    server.request("POST", "/api/v1/session", {"username": "admin", "password": "demo"})
    login = 'qifu_http_requests_total{route="POST /api/v1/session",status="201"}'
    text, s = wait_metrics(server, lambda s: login in s)
    assert "# TYPE qifu_http_requests_total counter" in text
    assert "# TYPE qifu_http_request_duration_seconds histogram" in text
    assert "# TYPE qifu_http_open_connections gauge" in text
    assert s['qifu_http_requests_total{route="GET /healthz",status="200"}'] >= 2
    assert s[login] >= 1
    assert s['qifu_http_requests_total{route="unmatched",status="404"}'] >= 1
    # the histogram: cumulative buckets ending in +Inf == _count
    buckets = [(k, v) for k, v in s.items()
               if k.startswith("qifu_http_request_duration_seconds_bucket")]
    assert buckets[-1][0] == 'qifu_http_request_duration_seconds_bucket{le="+Inf"}'
    values = [v for _, v in buckets]
    assert values == sorted(values), "buckets are not cumulative"
    assert s['qifu_http_request_duration_seconds_bucket{le="+Inf"}'] == \
        s["qifu_http_request_duration_seconds_count"]
    assert s["qifu_http_request_duration_seconds_sum"] >= 0
    # this very scrape is on an open connection
    assert s["qifu_http_open_connections"] >= 1
    assert s["qifu_http_in_flight_requests"] >= 1


def test_metrics_count_requests(server):
    _, before = metrics(server)
    ok = 'qifu_http_requests_total{route="GET /api/v1/codes/regions",status="200"}'
    nf = 'qifu_http_requests_total{route="GET /api/v1/codes/regions",status="404"}'
    for _ in range(3):
        assert server.request("GET", "/api/v1/codes/regions")[0] == 200
    assert server.request("GET", "/api/v1/codes/regions?parent=349999")[0] == 404

    def done(after):
        return after.get(ok, 0) - before.get(ok, 0) >= 3 and after.get(nf, 0) > before.get(nf, 0)

    _, after = wait_metrics(server, done)
    assert after.get(ok, 0) - before.get(ok, 0) == 3
    assert after.get(nf, 0) - before.get(nf, 0) == 1
    # the histogram counted them too
    n = "qifu_http_request_duration_seconds_count"
    assert after[n] - before[n] >= 4


def test_openapi_lists_every_route(server):
    st, _, doc = server.request("GET", "/api/v1/openapi.json")
    assert st == 200
    assert doc["openapi"].startswith("3.")
    listed = {(m, path) for path, ops in doc["paths"].items() for m in ops}
    assert listed == source_routes()
    assert set(KNOWN_ROLES) <= listed
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["summary"], (method, path)
            roles = op["x-roles"]
            assert roles, (method, path)
            if (method, path) in KNOWN_ROLES:
                assert roles == KNOWN_ROLES[(method, path)], (method, path, roles)
            params = [p["name"] for p in op["parameters"]]
            assert params == re.findall(r"\{(\w+)\}", path)
            assert ("security" in op) == (roles != ["public"])


def test_openapi_routes_are_served(server):
    """Every documented operation exists on the server (no 404/405 for it). A public
    route may answer 404 for the made-up id (诉求类别 ... 不存在), but never the router's
    "接口不存在"."""
    st, _, doc = server.request("GET", "/api/v1/openapi.json")
    for path, ops in doc["paths"].items():
        concrete = re.sub(r"\{\w+\}", "91340100131860916Y", path)
        for method in ops:
            st, _, data = server.request(method.upper(), concrete, raw=b"{}")
            # Open311 answers its own 404s as the spec's error list (open311.md).
            no_route = (st == 404 and isinstance(data, dict)
                        and data["error"]["message"].startswith("接口不存在"))
            assert st != 405 and not no_route, (method, path, st, data)


def test_access_log(server):
    tag = uuid.uuid4().hex[:12]
    st, headers, _ = server.request("GET", "/api/v1/missing-" + tag + "?q=1")
    assert st == 404
    rid = headers["X-Request-Id"]
    st, headers2, _ = server.request("POST", "/api/v1/session",
                                     {"username": "clerk", "password": "demo"})
    assert st == 201
    rid2 = headers2["X-Request-Id"]
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        log = server.log_text()
        if rid in log and rid2 in log:
            break
        time.sleep(0.05)
    lines = [l for l in log.splitlines() if " access " in l]
    mine = [l for l in lines if "id=" + rid in l]
    assert len(mine) == 1, lines[-5:]
    assert " 127.0.0.1 GET /api/v1/missing-%s 404 " % tag in mine[0]
    assert "?q=1" not in mine[0]
    login = [l for l in lines if "id=" + rid2 in l]
    assert len(login) == 1
    assert " POST /api/v1/session 201 " in login[0] and "user=user:clerk" in login[0]
    # no secrets in the log (the route PUT /api/v1/me/password is only a path)
    assert '"demo"' not in log
    assert "password" not in log.lower().replace("/api/v1/me/password", "")


def test_access_log_for_every_request(server):
    tag = uuid.uuid4().hex[:8]
    paths = ["/healthz", "/readyz", "/api/v1/x-%s" % tag, "/api/v1/codes/regions"]
    ids = []
    for p in paths:
        _, headers, _ = server.request("GET", p)
        ids.append(headers["X-Request-Id"])
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and not all(i in server.log_text() for i in ids):
        time.sleep(0.05)
    log = server.log_text()
    for p, rid in zip(paths, ids):
        line = [l for l in log.splitlines() if "id=" + rid in l]
        assert len(line) == 1 and (" GET %s " % p) in line[0], (p, line)


def test_server_binds_loopback_only(server):
    out = open("/proc/net/tcp").read()
    port_hex = "%04X" % server.port
    listening = [l.split() for l in out.splitlines()[1:]
                 if l.split()[1].endswith(":" + port_hex) and l.split()[3] == "0A"]
    assert listening, "no listening socket for port %d" % server.port
    for row in listening:
        assert row[1].split(":")[0] == "0100007F", "listens on %s" % row[1]


# ---- graceful stop ------------------------------------------------------------------


def test_sigterm_drains_in_flight_request(make_server):
    s = make_server()
    body = b'{"username":"admin","password":"demo"}'
    sock = raw_socket(s)
    try:
        sock.sendall(b"POST /api/v1/session HTTP/1.1\r\nHost: t\r\nContent-Type: "
                     b"application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body[:10])
        time.sleep(0.2)  # let the server see the head
        s.signal(signal.SIGTERM)
        time.sleep(0.3)
        # no new connections while draining
        assert s.running(), "exited with a request in flight"
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", s.port), timeout=1).close()
        sock.sendall(body[10:])
        status, hdrs, raw, _ = read_http_response(sock, time.monotonic() + 5)
    finally:
        sock.close()
    assert status == 201, (status, raw)
    assert b'"token"' in raw
    assert s.wait_exit() == 0
    log = s.log_text()
    assert "received SIGTERM" in log and "stopped cleanly" in log
    assert " POST /api/v1/session 201 " in log


def test_sigterm_during_creates(make_server):
    """A create's answer waits on a suspended connection for its disk sync
    (docs/internals/http.md): a SIGTERM amid many of them still answers each one that was
    sent, exits 0, and every acknowledged demand is stored."""
    s = make_server()
    token = s.login("clerk")
    acked, statuses, stop = [], [], threading.Event()

    def client(n):
        conn = s.connection()
        try:
            for i in range(1000):
                if stop.is_set():
                    return
                body = {"credit_code": "91340100131860916Y", "category": "consult",
                        "title": "停机时的受理 %d-%d" % (n, i), "content": "停机时仍在等待落盘的诉求"}
                try:
                    st, _, d = s.request("POST", "/api/v1/demands", body, token=token, conn=conn,
                                         headers={"Idempotency-Key": "term-%d-%d" % (n, i)})
                except (OSError, http.client.HTTPException):
                    return  # the server closed the connection while stopping
                statuses.append(st)
                if st == 201:
                    acked.append(d["id"])
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while len(acked) < 40 and time.monotonic() < deadline:
        time.sleep(0.01)
    s.signal(signal.SIGTERM)
    stop.set()
    for t in threads:
        t.join()
    assert s.wait_exit() == 0
    assert acked and set(statuses) == {201}, sorted(set(statuses))
    stored = s.sql("SELECT id FROM demands WHERE idem_key LIKE 'term-%'")
    assert set(acked) <= {row[0] for row in stored}
    assert "stopped cleanly" in s.log_text()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_stop_with_idle_keep_alive_connection(make_server, sig):
    s = make_server()
    conn = s.connection()
    try:
        assert s.request("GET", "/healthz", conn=conn)[0] == 200  # stays open, idle
        t0 = time.monotonic()
        s.signal(sig)
        assert s.wait_exit() == 0
        assert time.monotonic() - t0 < 3, "an idle keep-alive connection held up the stop"
    finally:
        conn.close()
    assert "stopped cleanly" in s.log_text()


def test_start_up_log(make_server):
    s = make_server()
    log = s.log_text()
    # names the port actually bound (the configured one was 0)
    assert "serving on http://127.0.0.1:%d (%s database)" % (s.port, s.backend) in log, log
    # and a clean start warns about nothing
    warnings = [l for l in log.splitlines() if " WARN " in l or " ERROR " in l]
    if os.environ.get("QIFU_TEST_NOW"):  # the suite runs on the test clock, and says so
        assert any("TEST CLOCK" in l for l in warnings), log
        warnings = [l for l in warnings if "TEST CLOCK" not in l]
    assert not warnings, warnings
