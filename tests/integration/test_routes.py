# SPDX-License-Identifier: Apache-2.0
"""Route tables (issue 15 items 4 and 8): reserved names and the API kit's parameter checks."""
import pytest

from conftest import assert_error

# Names reserved for what is coming (docs/internals/api.md "Reserved names").
RESERVED = [("/api/v1/cases", "一网通办办件"), ("/api/v1/service-items", "政务服务事项")]


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
    assert not [p for p in paths if p.startswith(("/api/v1/cases", "/api/v1/service-items"))]
