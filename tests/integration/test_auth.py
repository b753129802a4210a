# SPDX-License-Identifier: Apache-2.0
"""Log-in, sessions, throttling, roles, the cookie + CSRF flow and API keys."""
import hashlib
import time

import pytest

from conftest import DEMO_ROLES, DEMO_USERS, assert_error, fixed_instant, instant_ms, instant_text

DEMO_ORGS = {
    "admin": "340800-SJJ",
    "clerk": "340800-QFZX",
    "handler": "340800-JXJ",
    "supervisor": "340800-DCS",
    "officer": "340800-JXJ",
    "enterprise": None,
}


def make_user(server, name, role="clerk", password="secret-pass-1"):
    body = {"username": name, "password": password, "role": role, "org": "340800-QFZX"}
    st, _, data = server.request("POST", "/api/v1/users", body, token=server.admin())
    assert st == 201, data
    return data


def login_failures(server, username):
    """session.login_failed events for username, read back through the audit API."""
    items = server.list_all("/api/v1/audit?entity=user&id=" + username, server.admin())
    return [i for i in items if i["action"] == "session.login_failed"]


@pytest.mark.parametrize("user", DEMO_USERS)
def test_login_each_role(server, user):
    headers, data = server.login_full(user)
    assert set(data) >= {"token", "csrf_token", "user"}
    assert len(data["token"]) >= 40 and len(data["csrf_token"]) >= 40
    assert data["token"] != data["csrf_token"]
    u = data["user"]
    assert u["username"] == user
    assert u["role"] == DEMO_ROLES[user]
    assert u["kind"] == "user"
    assert u["session_expires_at"].endswith("+08:00")
    assert headers["Cache-Control"] == "no-store"
    # /me with the token tells the same story
    st, _, me = server.request("GET", "/api/v1/me", token=data["token"])
    assert st == 200
    assert me["username"] == user and me["role"] == DEMO_ROLES[user] and me["kind"] == "user"
    if DEMO_ORGS[user]:
        assert me["org"]["code"] == DEMO_ORGS[user] and me["org"]["name"]
        assert me["credit_code"] is None
    else:
        assert me["org"] is None and me["credit_code"] == "91340100131860916Y"


def test_each_login_is_a_new_session(server):
    a = server.login("handler")
    b = server.login("handler")
    assert a != b
    for tok in (a, b):
        assert server.request("GET", "/api/v1/me", token=tok)[0] == 200


def test_wrong_password_and_unknown_user_look_the_same(server):
    make_user(server, "auth_wrongpw")
    before = server.audit_count()
    st1, h1, d1 = r1 = server.request("POST", "/api/v1/session",
                                      {"username": "auth_wrongpw", "password": "nope"})
    assert_error(r1, 401, "bad_login", message="用户名或密码错误")
    st2, h2, d2 = r2 = server.request("POST", "/api/v1/session",
                                      {"username": "no_such_user_x", "password": "nope"})
    assert_error(r2, 401, "bad_login", message="用户名或密码错误")
    assert d1 == d2, "an unknown user is told apart from a wrong password"
    assert "Set-Cookie" not in h1 and "Set-Cookie" not in h2
    assert h1.get("WWW-Authenticate") == h2.get("WWW-Authenticate")
    # the known user's failure is audited; the unknown name's is only counted (item 11)
    assert server.audit_count() == before + 1
    assert len(login_failures(server, "auth_wrongpw")) == 1
    assert len(login_failures(server, "no_such_user_x")) == 0


def test_throttle(server):
    make_user(server, "auth_throttle", password="right-password-1")
    bad = {"username": "auth_throttle", "password": "wrong-pw"}
    good = {"username": "auth_throttle", "password": "right-password-1"}
    for _ in range(3):
        assert_error(server.request("POST", "/api/v1/session", bad), 401, "bad_login")
    assert len(login_failures(server, "auth_throttle")) == 3
    # the 4th attempt right away must wait 2^(4-4) = 1 s
    r = server.request("POST", "/api/v1/session", bad)
    assert_error(r, 429, "rate_limited", message="登录失败次数过多")
    retry = int(r[1]["Retry-After"])
    assert 1 <= retry <= 1
    # even the right password is refused while throttled, and no session is made
    r = server.request("POST", "/api/v1/session", good)
    assert_error(r, 429, "rate_limited")
    assert "Set-Cookie" not in r[1]
    assert 1 <= int(r[1]["Retry-After"]) <= retry
    # refused attempts are not counted as failures
    assert len(login_failures(server, "auth_throttle")) == 3
    time.sleep(retry + 0.1)
    st, _, data = server.request("POST", "/api/v1/session", good)
    assert st == 201, data
    # the counter was reset: three more failures are free again
    for _ in range(3):
        assert_error(server.request("POST", "/api/v1/session", bad), 401, "bad_login")
    r = server.request("POST", "/api/v1/session", good)
    assert_error(r, 429, "rate_limited")


def test_throttle_doubles(server):
    make_user(server, "auth_throttle2", password="right-password-1")
    bad = {"username": "auth_throttle2", "password": "wrong-pw"}
    for _ in range(3):
        assert_error(server.request("POST", "/api/v1/session", bad), 401, "bad_login")
    time.sleep(1.05)
    # 4th failure (after the 1 s wait) is judged; the 5th must then wait 2 s
    assert_error(server.request("POST", "/api/v1/session", bad), 401, "bad_login")
    r = server.request("POST", "/api/v1/session", bad)
    assert_error(r, 429, "rate_limited")
    assert int(r[1]["Retry-After"]) == 2


def test_throttle_is_per_username(server):
    make_user(server, "auth_throttle3", password="right-password-1")
    for _ in range(4):
        server.request("POST", "/api/v1/session",
                       {"username": "auth_throttle3", "password": "wrong"})
    assert server.request("POST", "/api/v1/session",
                          {"username": "auth_throttle3", "password": "right-password-1"})[0] == 429
    # another user from the same client is not affected
    assert server.login("supervisor")


def test_expired_session(make_server):
    s = make_server(session_ttl=60)
    s.set_clock(fixed_instant())
    headers, data = s.login_full("clerk")
    assert "Max-Age=60" in headers["Set-Cookie"]
    assert s.request("GET", "/api/v1/me", token=data["token"])[0] == 200
    # the test clock moves past the session's end
    s.set_clock(instant_text(instant_ms(fixed_instant()) + 120 * 1000))
    r = s.request("GET", "/api/v1/me", token=data["token"])
    assert_error(r, 401, "session_expired", message="登录已过期")
    assert r[1]["WWW-Authenticate"].startswith("Bearer")
    # the cookie carries the same session
    r = s.request("GET", "/api/v1/me", headers={"Cookie": "qifu_session=" + data["token"]})
    assert_error(r, 401, "session_expired")
    # a fresh login works
    assert s.request("GET", "/api/v1/me", token=s.login("clerk"))[0] == 200


def test_logout(server):
    tok = server.login("handler")
    other = server.login("handler")
    before = server.audit_count()
    st, headers, data = server.request("DELETE", "/api/v1/session", token=tok)
    assert st == 204, data
    assert "Max-Age=0" in headers["Set-Cookie"]
    assert server.audit_count() == before + 1
    r = server.request("GET", "/api/v1/me", token=tok)
    assert_error(r, 401, "unauthorized", message="登录凭证无效")
    assert_error(server.request("DELETE", "/api/v1/session", token=tok), 401, "unauthorized")
    # only that session ended
    assert server.request("GET", "/api/v1/me", token=other)[0] == 200




def test_session_cache_never_outlives_a_change(server):
    """The server caches session lookups (auth_session_cached): a logout, or any write
    of the server, ends a cached session at once; a change made behind the server's
    back (here SQL, like another process) within AUTH_SESSION_CACHE_MS (1 s)."""
    tok = server.login("handler")
    for _ in range(3):  # warm: the later lookups are cache hits on SQLite
        assert server.request("GET", "/api/v1/me", token=tok)[0] == 200
    assert server.request("DELETE", "/api/v1/session", token=tok)[0] == 204
    assert_error(server.request("GET", "/api/v1/me", token=tok), 401, "unauthorized")
    tok = server.login("handler")
    for _ in range(3):
        assert server.request("GET", "/api/v1/me", token=tok)[0] == 200
    server.write_sql("DELETE FROM sessions WHERE token_hash = '%s'"
              % hashlib.sha256(tok.encode()).hexdigest())
    time.sleep(1.2)
    assert_error(server.request("GET", "/api/v1/me", token=tok), 401, "unauthorized")
    # a disabled account stops as soon as the server has seen a write
    tok = server.login("handler")
    assert server.request("GET", "/api/v1/me", token=tok)[0] == 200
    server.write_sql("UPDATE users SET disabled = 1 WHERE username = 'handler'")
    try:
        server.login("clerk")  # any write of the server (a session row) ends cached entries
        # On PostgreSQL the change's NOTIFY reaches the server's listener asynchronously: the
        # guarantee is within 1 s (issue 16), observed by polling; on SQLite at once.
        deadline = time.monotonic() + (1.0 if server.backend == "postgres" else 0.0)
        while True:
            resp = server.request("GET", "/api/v1/me", token=tok)
            if resp[0] == 401 or time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        assert_error(resp, 401, "unauthorized", message="已停用")
    finally:
        server.write_sql("UPDATE users SET disabled = 0 WHERE username = 'handler'")


def test_missing_or_bad_credentials(server):
    assert_error(server.request("GET", "/api/v1/me"), 401, "unauthorized", message="请先登录")
    assert_error(server.request("GET", "/api/v1/users"), 401, "unauthorized")
    assert_error(server.request("GET", "/api/v1/me", token="not-a-token"), 401, "unauthorized")
    assert_error(server.request("GET", "/api/v1/me", headers={"Authorization": "Basic YTpi"}),
                 401, "unauthorized", message="Bearer")
    assert_error(server.request("GET", "/api/v1/me", headers={"Authorization": "Bearer "}),
                 401, "unauthorized")


@pytest.mark.parametrize("user", ["enterprise", "clerk", "handler", "supervisor", "officer"])
def test_admin_only_route_refuses_other_roles(server, user):
    tok = server.login(user)
    names = server.usernames()
    audit = server.audit_count()
    body = {"username": "sneaky_" + user, "password": "secret-pass-1", "role": "admin",
            "org": "340800-SJJ"}
    assert_error(server.request("POST", "/api/v1/users", body, token=tok), 403, "forbidden",
                 message="无权")
    assert_error(server.request("GET", "/api/v1/users", token=tok), 403, "forbidden")
    assert server.usernames() == names
    assert server.audit_count() == audit
    assert "sneaky_" + user not in names


def test_no_token_on_admin_route_creates_nothing(server):
    names = server.usernames()
    body = {"username": "anon_user", "password": "secret-pass-1", "role": "admin", "org": "340800-SJJ"}
    assert_error(server.request("POST", "/api/v1/users", body), 401, "unauthorized")
    assert server.usernames() == names


def test_enterprise_cannot_list_orgs(server):
    assert_error(server.request("GET", "/api/v1/orgs", token=server.login("enterprise")), 403,
                 "forbidden")


# ---- cookie sessions --------------------------------------------------------------


def cookie_session(server, user="admin"):
    headers, data = server.login_full(user)
    cookie = headers["Set-Cookie"]
    return cookie, data


def test_cookie_attributes(server):
    cookie, data = cookie_session(server, "clerk")
    parts = [p.strip() for p in cookie.split(";")]
    assert parts[0] == "qifu_session=" + data["token"]
    assert "HttpOnly" in parts
    assert "SameSite=Strict" in parts
    assert "Path=/" in parts
    assert any(p.startswith("Max-Age=") and int(p[8:]) > 0 for p in parts)


def test_cookie_get_works_and_write_needs_csrf(server):
    cookie, data = cookie_session(server, "admin")
    jar = {"Cookie": cookie.split(";")[0]}
    st, _, me = server.request("GET", "/api/v1/me", headers=jar)
    assert st == 200 and me["username"] == "admin"
    st, _, _ = server.request("GET", "/api/v1/users", headers=jar)
    assert st == 200

    _, other = cookie_session(server, "admin")
    codes = server.org_codes()
    audit = server.audit_count()
    org = {"code": "340800-CSRF", "name": "跨站测试局", "kind": "department", "region": "340800",
           "parent": "340800"}
    r = server.request("POST", "/api/v1/orgs", org, headers=jar)
    assert_error(r, 403, "csrf", message="X-CSRF-Token")
    last = data["csrf_token"][-1]
    bad = dict(jar, **{"X-CSRF-Token": data["csrf_token"][:-1] + ("B" if last == "A" else "A")})
    assert_error(server.request("POST", "/api/v1/orgs", org, headers=bad), 403, "csrf")
    # the token of the session is not its CSRF token
    bad = dict(jar, **{"X-CSRF-Token": data["token"]})
    assert_error(server.request("POST", "/api/v1/orgs", org, headers=bad), 403, "csrf")
    # another session's CSRF token does not fit
    bad = dict(jar, **{"X-CSRF-Token": other["csrf_token"]})
    assert_error(server.request("POST", "/api/v1/orgs", org, headers=bad), 403, "csrf")
    # logging out is a write too
    assert_error(server.request("DELETE", "/api/v1/session", headers=jar), 403, "csrf")
    assert server.org_codes() == codes
    assert server.audit_count() == audit
    assert server.request("GET", "/api/v1/me", headers=jar)[0] == 200

    good = dict(jar, **{"X-CSRF-Token": data["csrf_token"]})
    st, _, created = server.request("POST", "/api/v1/orgs", org, headers=good)
    assert st == 201, created
    assert created["code"] == "340800-CSRF"
    assert "340800-CSRF" in server.org_codes()
    st, _, _ = server.request("DELETE", "/api/v1/session", headers=good)
    assert st == 204
    assert_error(server.request("GET", "/api/v1/me", headers=jar), 401, "unauthorized")


def test_bearer_write_needs_no_csrf(server):
    # CSRF protects cookie sessions only; a bearer token is not sent by browsers on their own
    org = {"code": "340800-BEARER", "name": "令牌测试局", "kind": "department",
           "region": "340800", "parent": "340800"}
    st, _, data = server.request("POST", "/api/v1/orgs", org, token=server.admin())
    assert st == 201, data


# ---- API keys ---------------------------------------------------------------------


def test_api_key(server):
    p = server.cli("apikey", "add", "12345热线对接", "--org", "340800-QFZX")
    key = p.stdout.strip()
    assert key.startswith("qk_") and len(key) > 20 and "\n" not in key
    assert "只显示这一次" in p.stderr
    st, _, me = server.request("GET", "/api/v1/me", headers={"X-Api-Key": key})
    assert st == 200, me
    assert me["kind"] == "api_key"
    assert me["role"] == "system"
    assert me["username"] == "12345热线对接"
    assert me["org"]["code"] == "340800-QFZX"
    # a system key is not an admin
    assert_error(server.request("GET", "/api/v1/users", headers={"X-Api-Key": key}), 403,
                 "forbidden")
    assert_error(server.request("GET", "/api/v1/me",
                                headers={"X-Api-Key": key[:-1] + ("y" if key[-1] == "x" else "x")}),
                 401, "unauthorized", message="API 密钥无效")
    assert_error(server.request("GET", "/api/v1/me", headers={"X-Api-Key": "qk_nothing"}),
                 401, "unauthorized")
    # stored as a hash only
    rows = server.sql("SELECT * FROM api_keys")
    assert rows
    for row in rows:
        for value in row:
            assert value is None or key not in value, "the API key is stored in clear"
    hashes = [r[0] for r in server.sql("SELECT key_hash FROM api_keys")]
    assert hashlib.sha256(key.encode()).hexdigest() in hashes
    # nor in the audit log
    for row in server.sql("SELECT before, after FROM audit"):
        for value in row:
            assert value is None or key not in value, "the API key is in the audit log"


def test_api_key_bad_org(server):
    p = server.cli("apikey", "add", "坏机构", "--org", "NO-SUCH-ORG", check=False)
    assert p.returncode == 1
    assert "机构 NO-SUCH-ORG 不存在" in p.stderr
    assert p.stdout == ""


@pytest.mark.parametrize("failures,retry", [(9, 64), (12, 512), (13, 600), (30, 600)])
def test_throttle_long_waits_no_lock(server, failures, retry):
    """2^(n-3) s after the n-th attempt, capped at 10 minutes: a back-off, never a hard
    lock (the count is set in the table)."""
    name = "auth_lock_%d" % failures
    make_user(server, name, password="right-password-1")
    assert_error(server.request("POST", "/api/v1/session",
                                {"username": name, "password": "wrong"}), 401, "bad_login")
    server.write_sql("UPDATE login_throttle SET failures = %d, next_at = 0 WHERE username = '%s'"
                     % (failures - 1, name))
    assert_error(server.request("POST", "/api/v1/session",
                                {"username": name, "password": "wrong"}), 401, "bad_login")
    r = server.request("POST", "/api/v1/session", {"username": name, "password": "right-password-1"})
    assert_error(r, 429, "rate_limited", message="秒后再试")
    assert retry - 5 <= int(r[1]["Retry-After"]) <= retry
    assert str(r[1]["Retry-After"]) in r[2]["error"]["message"]
