# SPDX-License-Identifier: Apache-2.0
"""Route tables (issue 15 items 4 and 8): reserved names and the API kit's parameter checks."""
import pytest

from conftest import assert_error

# Names reserved for what is coming (docs/internals/api.md "Reserved names"). The catalogue
# (issue 18, api_service_items.c) now owns /api/v1/service-items.
RESERVED = [("/api/v1/cases", "一网通办办件")]


@pytest.mark.parametrize("prefix,what", RESERVED)
@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@pytest.mark.parametrize("tail", ["", "/1", "/1/actions", "/1/a/b", ":import"])
def test_reserved_names_answer_404_in_chinese(server, prefix, what, method, tail):
    resp = server.request(method, prefix + tail, token=server.admin())
    if method == "HEAD":
        assert resp[0] == 404
        return
    if tail == ":import":
        # Not a placeholder pattern: GET reaches the web fallback (which names the reserved
        # name too), other methods the router's plain 404.
        assert_error(resp, 404, "not_found", message=what if method == "GET" else "接口不存在")
        return
    assert_error(resp, 404, "not_found", message="接口尚未开放：%s 保留给%s" % (prefix, what))


def test_reserved_names_deeper_and_anonymous(server):
    assert_error(server.request("GET", "/api/v1/cases/1/a/b/c/d"), 404, "not_found",
                 message="一网通办办件")
    assert_error(server.request("POST", "/api/v1/cases", {"x": 1}), 404, "not_found",
                 message="一网通办办件")


def test_reserved_names_not_in_openapi(server):
    st, _, doc = server.request("GET", "/api/v1/openapi.json")
    assert st == 200
    paths = doc["paths"]
    assert "/api/v1/applications" in paths  # the policy applications own this name
    assert "/api/v1/service-items" in paths  # and the catalogue this one
    assert not [p for p in paths if p.startswith("/api/v1/cases")]


# ---- the API kit: bad query parameters are 400 naming the parameter ------------------------

# base64url cursors: "abc" (not an id) and "0" (not a positive id).
CURSOR_TEXT, CURSOR_ZERO = "YWJj", "MA"

# Every list endpoint: (path, who may read it, whether its cursor is an id).
LISTS = [
    ("/api/v1/orgs", "admin", False),
    ("/api/v1/users", "admin", True),
    ("/api/v1/enterprises", "admin", False),
    ("/api/v1/demands", "admin", True),
    ("/api/v1/notices", "admin", True),
    ("/api/v1/audit", "admin", True),
    ("/api/v1/policies", None, True),
    ("/api/v1/grants", "admin", True),
    ("/api/v1/applications", "admin", True),
]


@pytest.fixture(scope="module")
def tokens(server):
    return {u: server.login(u) for u in ["admin", "supervisor", "enterprise"]}


def get(server, tokens, who, path):
    return server.request("GET", path, token=tokens[who] if who else None)


@pytest.mark.parametrize("path,who,by_id", LISTS)
@pytest.mark.parametrize("limit", ["0", "501", "abc", "-1", "1.5", " 5"])
def test_list_bad_limit(server, tokens, path, who, by_id, limit):
    assert_error(get(server, tokens, who, "%s?limit=%s" % (path, limit.replace(" ", "%20"))),
                 400, "invalid", field="limit")


@pytest.mark.parametrize("path,who,by_id", LISTS)
def test_list_bad_cursor(server, tokens, path, who, by_id):
    assert_error(get(server, tokens, who, path + "?cursor=!!not-base64"), 400, "invalid",
                 field="cursor")
    if by_id:  # a cursor that decodes to text, or to 0, is no id
        for cursor in (CURSOR_TEXT, CURSOR_ZERO):
            assert_error(get(server, tokens, who, "%s?cursor=%s" % (path, cursor)), 400,
                         "invalid", field="cursor")
    st, _, page = get(server, tokens, who, path + "?limit=1")
    assert st == 200 and set(page) == {"items", "next_cursor"}, page


@pytest.mark.parametrize("path", ["/api/v1/grants", "/api/v1/applications"])
@pytest.mark.parametrize("param", ["policy_id", "run_id"])
@pytest.mark.parametrize("value", ["abc", "0", "-3", "1x", "%2B7"])
def test_list_bad_id_filter(server, tokens, path, param, value):
    if param == "run_id" and path.endswith("applications"):
        pytest.skip("applications have no run_id")
    # Before the kit, ?policy_id=abc meant "every policy".
    assert_error(get(server, tokens, "admin", "%s?%s=%s" % (path, param, value)), 400, "invalid",
                 field=param)


def test_list_id_filter_ok(server, tokens):
    for path in ("/api/v1/grants", "/api/v1/applications"):
        for q in ("?policy_id=1", "?policy_id=999999"):
            st, _, page = get(server, tokens, "admin", path + q)
            assert st == 200, (path, q, page)
        # Present but empty is a bad value too (as ?days= always was).
        assert_error(get(server, tokens, "admin", path + "?policy_id="), 400, "invalid",
                     field="policy_id")


def test_grants_bad_state(server, tokens):
    assert_error(get(server, tokens, "admin", "/api/v1/grants?state=bogus"), 400, "invalid",
                 field="state")
    assert get(server, tokens, "admin", "/api/v1/grants?state=paid")[0] == 200


@pytest.mark.parametrize("path,who,param", [
    ("/api/v1/calendar?from=2026-02-30", None, "from"),
    ("/api/v1/calendar?from=2026-01-01&to=tomorrow", None, "to"),
    ("/api/v1/stats/demands?from=2026-13-01&to=2026-12-31", "supervisor", "from"),
    ("/api/v1/stats/demands?from=2026-01-01&to=abc", "supervisor", "to"),
    ("/api/v1/stats/demands?to=2026-12-31", "supervisor", "from"),
    ("/api/v1/stats/demands?from=2026-01-01&to=2026-12-31&format=xml", "supervisor", "format"),
    ("/api/v1/stats/policies?format=pdf", "supervisor", "format"),
    ("/api/v1/stats/policies?format=csv&by=month", "supervisor", "by"),
    ("/api/v1/categories?all=yes", None, "all"),
    ("/api/v1/calendar/deadline?days=0", None, "days"),
    ("/api/v1/calendar/deadline?hours=abc", None, "hours"),
    ("/api/v1/policies/1?version=abc", None, "version"),
    ("/api/v1/policies/1?version=0", None, "version"),
    ("/api/v1/demands/1/duplicates?days=0", "supervisor", "days"),
    ("/api/v1/demands/1/duplicates?days=abc", "supervisor", "days"),
    ("/api/v1/enterprises/91340800MA2N0X0X0X/facts?history=yes", "admin", "history"),
])
def test_bad_query_parameter(server, tokens, path, who, param):
    assert_error(get(server, tokens, who, path), 400, "invalid", field=param)


@pytest.mark.parametrize("path", ["/api/v1/demands:import", "/api/v1/enterprises:import"])
@pytest.mark.parametrize("param", ["skip_invalid", "dry_run"])
def test_import_bad_flag(server, tokens, path, param):
    # Before the kit, ?dry_run=yes meant "not a dry run": the import went ahead.
    r = server.request("POST", "%s?%s=yes" % (path, param), raw=b"a,b\n",
                       headers={"Content-Type": "text/csv"}, token=tokens["admin"])
    assert_error(r, 400, "invalid", field=param)


@pytest.mark.parametrize("path", ["/api/v1/policies/abc", "/api/v1/policies/0",
                                  "/api/v1/policies/%2B1", "/api/v1/grants/1x",
                                  "/api/v1/applications/-1", "/api/v1/demands/abc"])
def test_bad_path_id_is_404(server, tokens, path):
    assert_error(get(server, tokens, "admin", path), 404, "not_found")


# ---- the API kit: request bodies through field tables --------------------------------------

@pytest.mark.parametrize("method,path,body,field,message", [
    ("POST", "/api/v1/orgs", {"code": "X1", "name": "n", "kind": "department", "region": "340800",
                              "colour": "red"}, "colour", "不认识的字段 colour"),
    ("POST", "/api/v1/orgs", {"code": 7, "name": "n", "kind": "department", "region": "340800"},
     "code", "应为字符串"),
    ("POST", "/api/v1/orgs", {"name": "n", "kind": "department", "region": "340800"}, "code",
     "缺少必填字段 code"),
    ("POST", "/api/v1/users/clerk/actions", {"action": "disable", "why": "x"}, "why",
     "不认识的字段 why"),
    ("POST", "/api/v1/users/clerk/actions", {"action": True}, "action", "应为字符串"),
    ("POST", "/api/v1/users", {"username": "u1", "password": "secret-pass-1", "role": "clerk",
                               "org": ["340800"]}, "org", "实际为数组"),
    ("PUT", "/api/v1/me/password", {"old_password": "demo", "new": "x"}, "new", "不认识的字段 new"),
    ("PUT", "/api/v1/me/password", {"old_password": "demo"}, "new_password", "缺少必填字段"),
])
def test_body_fields_named(server, tokens, method, path, body, field, message):
    assert_error(server.request(method, path, body, token=tokens["admin"]), 400, "invalid",
                 field=field, message=message)


# ---- the API kit: the connection the router releases (api_db) ------------------------------

def test_router_releases_the_handlers_connection(make_server):
    """With one worker thread the store has 3 connections: 40 requests to handlers that take
    theirs with api_db (and return on success and on errors) would exhaust them if the router
    did not release each one when its handler returns."""
    s = make_server(threads=1)
    tok = s.login("admin")
    for i in range(10):
        assert s.request("GET", "/api/v1/orgs?limit=1", token=tok)[0] == 200
        assert s.request("GET", "/api/v1/enterprises/NO-SUCH-CODE", token=tok)[0] == 404
        assert s.request("GET", "/api/v1/categories/no-such", token=tok)[0] == 404
        assert s.request("POST", "/api/v1/orgs", {"code": "340800-QFZX", "name": "重复",
                                                  "kind": "department", "region": "340800",
                                                  "parent": "340800"}, token=tok)[0] == 409


def test_router_releases_the_connection_of_every_ported_handler(make_server):
    """Grants, applications, policies, demands, notices and Open311 take their connection
    with api_db: 4 rounds of their reads (found and not found) on 3 connections would
    exhaust them (503 after the store's wait) if one of them kept its connection."""
    s = make_server(threads=1)
    tok = s.login("admin")
    for i in range(4):
        for path, status in [("/api/v1/grants?limit=1", 200), ("/api/v1/grants/999999", 404),
                             ("/api/v1/grants/999999/timeline", 404),
                             ("/api/v1/applications?limit=1", 200),
                             ("/api/v1/applications/999999", 404),
                             ("/api/v1/policies?limit=1", 200), ("/api/v1/policies/999999", 404),
                             ("/api/v1/policies/999999/versions", 404),
                             ("/api/v1/conditions", 200),
                             ("/api/v1/demands?limit=1", 200), ("/api/v1/demands/999999", 404),
                             ("/api/v1/demands/999999/timeline", 404),
                             ("/api/v1/notices?limit=1", 200)]:
            st, _, data = s.request("GET", path, token=tok)
            assert st == status, (i, path, st, data)
        st, _, data = s.request("GET", "/open311/v2/services.json")
        assert st == 200, (i, st, data)
        st, _, data = s.request("GET", "/open311/v2/services/no-such.json")
        assert st == 404, (i, st, data)


def test_applications_state_is_checked(server):
    """?state= on /applications is one of the policy application flow's states, as on
    /grants: an unknown one is a 400 naming state, not an empty list."""
    tok = server.admin()
    assert_error(server.request("GET", "/api/v1/applications?state=bogus", token=tok), 400,
                 "invalid", field="state", message="未知的申请状态 bogus")
    for state in ["submitted", "more_info", "approved", "rejected", "withdrawn", ""]:
        st, _, data = server.request("GET", "/api/v1/applications?state=" + state, token=tok)
        assert st == 200, (state, st, data)
