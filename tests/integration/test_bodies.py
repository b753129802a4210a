# SPDX-License-Identifier: Apache-2.0
"""
Bodies that are not a JSON object, sent to every route that takes one, by every role.

The review's crash: POST /api/v1/demands with an empty body, a JSON array, malformed JSON
or another Content-Type read an uninitialised json_t * and killed the process; two such
requests on one keep-alive connection crashed it every time. The class is "a handler reads
the parsed body after the parse failed", so this test sends every bad body to every
POST/PUT/PATCH route the OpenAPI document lists, twice on one connection, as each role,
and asserts a 4xx error in qifu's format each time and a live server afterwards.
"""
import re

BAD_BODIES = [
    (b"", "application/json"),
    (b"[]", "application/json"),
    (b"[1,2]", "application/json"),
    (b"null", "application/json"),
    (b"1", "application/json"),
    (b'"x"', "application/json"),
    (b"{bad", "application/json"),
    (b'{"a":', "application/json"),
    (b'{"title":"x"}', "text/plain"),
    (b"title=x", "application/x-www-form-urlencoded"),
]

# Routes whose body is not JSON by design (files, CSV or Excel imports, Open311 forms) or
# that take no body at all (marking notices read): they get the same bodies and must still
# answer without dying, but may accept some of them.
NOT_JSON = re.compile(r"(:import$|:bank-results$|/attachments$|/materials$|^/open311/|/read$)")
# Routes where no body at all means something (a new draft of a guide copies the published
# one): they may accept the empty body, and only it.
EMPTY_OK = re.compile(r"/service-items/\{id\}/versions$")


def fill(path):
    return (path.replace("{id}", "1").replace("{code}", "340800-JXJ")
            .replace("{name}", "x").replace("{date}", "2026-01-05")
            .replace("{year}", "2026").replace("{run}", "1").replace("{doc}", "requests.json")
            .replace("{aid}", "1"))


def test_non_object_bodies_never_crash(server):
    _, _, spec = server.request("GET", "/api/v1/openapi.json")
    targets = []
    for path, ops in spec["paths"].items():
        for method in ops:
            if method.upper() in ("POST", "PUT", "PATCH") and path != "/api/v1/session":
                targets.append((method.upper(), fill(path), path))
    assert any(p == "/api/v1/demands" for _, _, p in targets)
    tokens = [server.login(u) for u in ("enterprise", "clerk", "handler", "officer", "admin")]
    checked = 0
    for token in tokens:
        conn = server.connection()
        try:
            for method, url, path in targets:
                for raw, ctype in BAD_BODIES:
                    for _ in range(2):  # twice on one keep-alive connection
                        status, _, data = server.request(
                            method, url, raw=raw, headers={"Content-Type": ctype},
                            token=token, conn=conn)
                        assert status < 500, (method, url, raw, status, data)
                        if raw == b"" and EMPTY_OK.search(path) and status < 300:
                            checked += 1
                            continue
                        if not NOT_JSON.search(path) and status < 300:
                            raise AssertionError("accepted %r at %s %s" % (raw, method, url))
                        if not NOT_JSON.search(path):
                            assert isinstance(data, dict) and "error" in data, (url, data)
                        checked += 1
        finally:
            conn.close()
    assert server.running()
    status, _, _ = server.request("GET", "/healthz")
    assert status == 200
    assert checked >= len(targets) * len(BAD_BODIES) * 2 * len(tokens)


def test_demand_create_bad_body_answers_400_and_server_lives(server):
    token = server.login("enterprise")
    conn = server.connection()
    try:
        for raw in (b"", b"[]", b"{bad"):
            for _ in range(2):
                status, _, data = server.request("POST", "/api/v1/demands", raw=raw,
                                                 token=token, conn=conn)
                assert status == 400, (raw, status, data)
                assert data["error"]["code"] in ("bad_json", "invalid"), data
    finally:
        conn.close()
    assert server.running()
