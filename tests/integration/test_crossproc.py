# SPDX-License-Identifier: Apache-2.0
"""Cross-process invalidation (issue 16 item 2): two `qifu serve` processes, A and B, on one
PostgreSQL database. A change made through A — a logout, a password change, a user
disabled, a role's permission removed, an API key revoked, a policy published, a calendar
day changed, a category changed — is seen by B within 1 s (polled every 50 ms), also while
B serves the session, the policy set and the calendar from its caches (warmed before the
change). The change channel (PostgreSQL LISTEN/NOTIFY, docs/internals/store.md) carries
it; when B's listening connection is killed, B stops trusting its caches, says so in
/metrics (qifu_listener_up 0) and listens again by itself.

PostgreSQL only: on SQLite a deployment is one process."""
import hashlib
import time
import urllib.parse

import pytest

from conftest import Server, assert_error, psql

DEADLINE_S = 1.0  # the guarantee
POLL_S = 0.05
PW = "Cross-Process-Pw-1"


@pytest.fixture(scope="module")
def pair(backend):
    if backend != "postgres":
        pytest.skip("several processes share a database on PostgreSQL only")
    a = Server(backend)
    try:
        b = Server(backend, peer_of=a)
    except BaseException:
        a.close()
        raise
    try:
        wait_listening(a)
        wait_listening(b)
        yield a, b
    finally:
        try:
            b.close()
        finally:
            a.close()


def raw_metrics(server):
    conn = server.connection()
    try:
        conn.request("GET", "/metrics")
        r = conn.getresponse()
        return r.status, r.read().decode()
    finally:
        conn.close()


def listener_up(server):
    st, text = raw_metrics(server)
    assert st == 200
    for line in text.splitlines():
        if line.startswith("qifu_listener_up "):
            return int(line.split()[1])
    raise AssertionError("no qifu_listener_up in /metrics:\n%s" % text)


def wait_listening(server, timeout=10.0):
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        if listener_up(server) == 1:
            return
        time.sleep(POLL_S)
    raise AssertionError("qifu_listener_up never 1:\n%s" % server.log_tail())


def within(check, what, deadline=DEADLINE_S):
    """Polls check() every 50 ms from now; returns the seconds it took to hold, and fails
    when it has not held by deadline."""
    t0 = time.monotonic()
    while True:
        if check():
            took = time.monotonic() - t0
            print("crossproc: %s after %.3f s" % (what, took))
            return took
        if time.monotonic() - t0 > deadline:
            raise AssertionError("%s: not seen within %.1f s" % (what, deadline))
        time.sleep(POLL_S)


def warm(server, token=None, path="/api/v1/me", headers=None, n=3):
    """A few requests, so the later ones are served from the process's caches."""
    for _ in range(n):
        st, _, d = server.request("GET", path, token=token, headers=headers)
        assert st == 200, d


def refused(server, token=None, path="/api/v1/me", status=401, headers=None):
    return lambda: server.request("GET", path, token=token, headers=headers)[0] == status


def new_user(a, name, role="handler", org="340800-FGW"):
    st, _, d = a.request("POST", "/api/v1/users", {
        "username": name, "password": PW, "role": role, "org": org}, token=a.admin())
    assert st == 201, d


# ---- sessions -----------------------------------------------------------------------------


def test_logout_through_a_is_refused_by_b(pair):
    a, b = pair
    tok = a.login("handler")
    warm(b, tok)
    assert a.request("DELETE", "/api/v1/session", token=tok)[0] == 204
    within(refused(b, tok), "B refuses the logged-out token")
    assert_error(b.request("GET", "/api/v1/me", token=tok), 401, "unauthorized")


def test_password_change_through_a_ends_sessions_on_b(pair):
    a, b = pair
    new_user(a, "xp_pw")
    tok = a.login("xp_pw", PW)
    other = b.login("xp_pw", PW)  # a session made on B, used on B
    warm(b, tok)
    warm(b, other)
    st, _, d = a.request("PUT", "/api/v1/me/password",
                         {"old_password": PW, "new_password": PW + "x"}, token=tok)
    assert st == 204, d
    within(refused(b, other), "B refuses the session of a changed password")
    within(refused(b, tok), "B refuses the changing session")


def test_admin_disables_user_through_a(pair):
    a, b = pair
    new_user(a, "xp_dis")
    tok = b.login("xp_dis", PW)
    warm(b, tok)
    st, _, d = a.request("POST", "/api/v1/users/xp_dis/actions", {"action": "disable"},
                         token=a.admin())
    assert st in (200, 204), d
    within(refused(b, tok), "B refuses the disabled user")


def test_admin_resets_password_through_a(pair):
    a, b = pair
    new_user(a, "xp_reset")
    tok = b.login("xp_reset", PW)
    warm(b, tok)
    st, _, d = a.request("POST", "/api/v1/users/xp_reset/actions",
                         {"action": "reset_password", "password": PW + "r"}, token=a.admin())
    assert st in (200, 204), d
    within(refused(b, tok), "B refuses a session of a reset password")


def test_role_permission_removed_through_a(pair):
    a, b = pair
    adm = a.admin()
    st, _, d = a.request("POST", "/api/v1/roles", {
        "name": "xp_reader", "label": "跨进程查询", "permissions": ["self", "org.read"]},
        token=adm)
    assert st == 201, d
    new_user(a, "xp_role", role="xp_reader")
    tok = b.login("xp_role", PW)
    warm(b, tok, "/api/v1/orgs")
    st, _, d = a.request("PATCH", "/api/v1/roles/xp_reader", {"permissions": ["self"]},
                         token=adm)
    assert st == 200, d
    within(refused(b, tok, "/api/v1/orgs", 403), "B refuses the removed permission")
    assert b.request("GET", "/api/v1/me", token=tok)[0] == 200  # the session itself stands


def test_api_key_revoked_through_a(pair):
    a, b = pair
    key = a.cli("apikey", "add", "跨进程吊销", "--org", "340800-QFZX").stdout.strip()
    hdr = {"X-Api-Key": key}
    warm(b, headers=hdr)
    adm = a.admin()
    st, _, d = a.request("GET", "/api/v1/apikeys", token=adm)
    kid = [k["id"] for k in d["items"] if k["name"] == "跨进程吊销"][0]
    assert a.request("DELETE", "/api/v1/apikeys/" + kid, token=adm)[0] == 204
    within(refused(b, headers=hdr), "B refuses the revoked API key")


def test_cli_password_change_is_seen_by_both(pair):
    """The command line is a third process: `qifu user passwd` notifies too."""
    a, b = pair
    new_user(a, "xp_cli")
    ta, tb = a.login("xp_cli", PW), b.login("xp_cli", PW)
    warm(a, ta)
    warm(b, tb)
    a.cli("user", "passwd", "xp_cli", input=PW + "c\n")
    within(refused(a, ta), "A refuses after `qifu user passwd`")
    within(refused(b, tb), "B refuses after `qifu user passwd`")


# ---- the policy set, the calendar, categories -------------------------------------------


def policy_set(server):
    st, _, d = server.request("GET", "/api/v1/policy-set")
    assert st == 200, d
    return d


def in_set(d):
    """The ids (text) of the policies of a policy-set answer."""
    return {str(x["policy"]["id"]) for x in d["policies"]}


def test_policy_published_through_a_is_used_by_b(pair):
    a, b = pair
    t = a.login("officer")
    doc = {
        "title": "跨进程测试政策", "doc_no": "庆经信〔2026〕77号",
        "summary": "测试：跨进程发布。", "delivery": "ji_shen", "region_scope": ["3408"],
        "valid_from": "2020-01-01", "valid_to": "2099-12-31",
        "contact": {"dept": "经信局", "phone": "0556-0000000"},
        "materials": ["营业执照"], "tags": ["测试"],
        "rules": {"conditions": {"all": [
            {"fact": "employees", "op": "ge", "value": 1, "label": "有员工",
             "source": "庆经信〔2026〕77号"}]}},
    }
    st, _, p = a.request("POST", "/api/v1/policies", doc, token=t)
    assert st == 201, p
    pid = p["id"]
    before = policy_set(b)
    for _ in range(3):
        assert policy_set(b)["set_version"] == before["set_version"]
    assert str(pid) not in in_set(before)
    st, _, p = a.request("POST", "/api/v1/policies/%s/actions" % pid, {"action": "publish"},
                         token=t)
    assert st == 200, p

    def moved():
        d = policy_set(b)
        return d["set_version"] != before["set_version"] and str(pid) in in_set(d)
    within(moved, "B's policy set has the published policy")
    # Withdrawn through A: out of B's set again.
    st, _, p = a.request("POST", "/api/v1/policies/%s/actions" % pid, {"action": "withdraw"},
                         token=t)
    assert st == 200, p
    within(lambda: str(pid) not in in_set(policy_set(b)), "B's policy set without the withdrawn policy")


def deadline(server):
    q = urllib.parse.urlencode({"start": "2025-09-29T10:00:00+08:00", "days": 5})
    st, _, d = server.request("GET", "/api/v1/calendar/deadline?" + q)
    assert st == 200, d
    return d["deadline"]


def day_kind(server, date):
    st, _, d = server.request("GET", "/api/v1/calendar?from=%s&to=%s" % (date, date))
    assert st == 200, d
    days = d["days"] if isinstance(d.get("days"), list) else d.get("days", {})
    if isinstance(days, dict):
        return days[date]["kind"]
    return [x for x in days if x["date"] == date][0]["kind"]


def test_calendar_change_through_a_moves_b(pair):
    a, b = pair
    adm = a.admin()
    for _ in range(3):
        assert deadline(b) == "2025-10-13T17:30:00+08:00"
    st, _, r = a.request("PUT", "/api/v1/calendar/days/2025-10-09",
                         {"off": True, "name": "跨进程假日"}, token=adm)
    assert st == 200 and r["changed"] is True, r
    try:
        within(lambda: deadline(b) == "2025-10-14T17:30:00+08:00", "B's deadline moved")
        assert day_kind(b, "2025-10-09") == "holiday"
    finally:
        st, _, _ = a.request("DELETE", "/api/v1/calendar/days/2025-10-09", token=adm)
        assert st == 200
    within(lambda: deadline(b) == "2025-10-13T17:30:00+08:00", "B's deadline back")


def test_category_change_through_a_moves_b(pair):
    a, b = pair
    adm = a.admin()

    def reply_days(server):
        st, _, d = server.request("GET", "/api/v1/categories/financing")
        assert st == 200, d
        return d["limits"]["normal"]["reply_days"], d["name"]
    days, name = reply_days(b)
    st, _, d = a.request("PATCH", "/api/v1/categories/financing",
                         {"name": "融资跨进程", "limits": {"normal": {"reply_days": days + 1}}},
                         token=adm)
    assert st == 200, d
    try:
        within(lambda: reply_days(b) == (days + 1, "融资跨进程"), "B's category changed")
    finally:
        st, _, d = a.request("PATCH", "/api/v1/categories/financing",
                             {"name": name, "limits": {"normal": {"reply_days": days}}},
                             token=adm)
        assert st == 200, d


# ---- the listener's connection lost ---------------------------------------------------


def test_killed_listener_stops_trust_and_comes_back(pair):
    """B's listening connection is killed; a change made by SQL without NOTIFY while it
    is down is seen (B's cached session was made before the gap, so it is never trusted
    again); qifu_listener_up goes 0, then back to 1 by itself."""
    a, b = pair
    tok = a.login("clerk")
    warm(b, tok)
    # Kill every qifu listener (A's and B's) from outside, as a restart of a pooler would.
    p = psql(a.db_url, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND query LIKE 'LISTEN%' "
                       "AND pid <> pg_backend_pid()")
    assert int(p.stdout.strip()) >= 2, p.stdout
    within(lambda: listener_up(b) == 0, "B says its listener is down")
    # A change no notification announces (the session deleted by SQL, no NOTIFY).
    psql(a.db_url, "DELETE FROM sessions WHERE token_hash = '%s'"
         % hashlib.sha256(tok.encode()).hexdigest())
    within(refused(b, tok), "B refuses the session deleted while its listener was down")
    within(lambda: listener_up(b) == 1, "B listens again", deadline=10.0)
    # And the channel works again: a logout through A reaches B.
    tok = a.login("clerk")
    warm(b, tok)
    assert a.request("DELETE", "/api/v1/session", token=tok)[0] == 204
    within(refused(b, tok), "B refuses a logout after the listener came back")
    assert "listener down" in b.log_text()
