# SPDX-License-Identifier: Apache-2.0
"""
The web UI's files (src/http/assets.c, src/api/api_web.c): the files embedded in the
binary, ETag and If-None-Match, cache headers, the gzip variant, the single-page-app
fallback, refused traversal, API 404s that stay JSON, and `serve --web-dir`.
"""
import gzip
import os
import re
import subprocess
import tempfile
import time

import pytest

from conftest import QIFU_BIN, assert_error, qifu_env, raw_socket, read_http_response

IMMUTABLE = "public, max-age=31536000, immutable"


def embedded_or_skip(server):
    status, _, data = server.request("GET", "/")
    if status == 404 and isinstance(data, dict) and "WITH_WEB=0" in data["error"]["message"]:
        pytest.skip("binary built with WITH_WEB=0 (no embedded web UI)")
    assert status == 200, data
    return data


def raw_get(server, path, extra=""):
    """Sends path byte for byte (no client-side normalisation of ../)."""
    s = raw_socket(server)
    try:
        s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s\r\n"
                   % (path, extra)).encode("latin-1"))
        status, hdrs, body, _ = read_http_response(s, time.monotonic() + 10)
        return status, hdrs, body
    finally:
        s.close()


def first_script(index_html):
    m = re.search(r'src="(/assets/[^"]+\.js)"', index_html)
    assert m, "index.html names no /assets/*.js script:\n" + index_html
    return m.group(1)


def test_index_is_the_app_shell(server):
    html = embedded_or_skip(server)
    status, h, _ = server.request("GET", "/")
    assert status == 200
    assert h["Content-Type"] == "text/html; charset=utf-8"
    assert '<div id="app"></div>' in html and 'lang="zh-CN"' in html
    assert h["Cache-Control"] == "no-cache"
    assert re.fullmatch(r'"[0-9a-f]{32}"', h["ETag"])
    csp = h["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    # /index.html is the same file.
    status, h2, html2 = server.request("GET", "/index.html")
    assert status == 200 and html2 == html and h2["ETag"] == h["ETag"]


def test_hashed_asset_etag_304_and_head(server):
    html = embedded_or_skip(server)
    path = first_script(html)
    status, h, body = server.request("GET", path)
    assert status == 200
    assert h["Content-Type"] == "text/javascript; charset=utf-8"
    assert h["Cache-Control"] == IMMUTABLE
    etag = h["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    assert int(h["Content-Length"]) == len(body.encode("utf-8")) > 0
    # A matching If-None-Match: 304, no body, the same validators.
    status, h304, body304 = server.request("GET", path, headers={"If-None-Match": etag})
    assert status == 304 and body304 == ""
    assert h304["ETag"] == etag and h304["Cache-Control"] == IMMUTABLE
    # A list that contains it, and "*", match too; another tag does not.
    status, _, _ = server.request("GET", path, headers={"If-None-Match": '"x", %s' % etag})
    assert status == 304
    status, _, _ = server.request("GET", path, headers={"If-None-Match": "*"})
    assert status == 304
    status, _, again = server.request("GET", path, headers={"If-None-Match": '"0000"'})
    assert status == 200 and again == body
    # HEAD: the same headers, no body.
    status, hh, hbody = server.request("HEAD", path)
    assert status == 200 and hbody == ""
    assert hh["ETag"] == etag and hh["Content-Length"] == h["Content-Length"]


def test_gzip_variant(server):
    html = embedded_or_skip(server)
    path = first_script(html)
    _, plain_h, plain = server.request("GET", path)
    c = server.connection()
    try:
        c.request("GET", path, headers={"Accept-Encoding": "gzip, deflate"})
        r = c.getresponse()
        data = r.read()
        assert r.status == 200
        assert r.getheader("Content-Encoding") == "gzip"
        assert r.getheader("Vary") == "Accept-Encoding"
        etag = r.getheader("ETag")
        assert etag != plain_h["ETag"] and etag.endswith('-gz"')
        assert len(data) < len(plain.encode("utf-8"))
        assert gzip.decompress(data).decode("utf-8") == plain
    finally:
        c.close()
    # The gzip tag revalidates the gzip variant; q=0 refuses gzip.
    status, _, _ = server.request("GET", path, headers={"Accept-Encoding": "gzip",
                                                        "If-None-Match": etag})
    assert status == 304
    status, h, _ = server.request("GET", path, headers={"Accept-Encoding": "gzip;q=0"})
    assert status == 200 and "Content-Encoding" not in h


def test_spa_fallback(server):
    html = embedded_or_skip(server)
    for path in ["/login", "/clerk", "/clerk/", "/enterprise/demands/42", "/admin/users"]:
        status, h, body = server.request("GET", path)
        assert status == 200, path
        assert body == html, path
        assert h["Cache-Control"] == "no-cache"
    # A missing file (an extension) is a 404, not the app.
    status, h, data = server.request("GET", "/assets/missing-abc123.js")
    assert_error((status, h, data), 404, "not_found")
    status, h, data = server.request("GET", "/favicon.ico")
    assert status == 404 and h["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("path", [
    "/../etc/passwd",
    "/assets/../../etc/passwd",
    "/assets/%2e%2e/%2e%2e/etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "//etc/passwd",
    "/.git/config",
    "/assets/..%2findex.html",
    "/assets\\..\\index.html",
])
def test_traversal_refused(server, path):
    embedded_or_skip(server)
    status, hdrs, body = raw_get(server, path)
    assert status in (400, 404), (path, status)
    assert hdrs["content-type"].startswith("application/json")
    assert b"root:" not in body and b"<!doctype html>" not in body.lower()


def test_api_404_stays_json(server):
    embedded_or_skip(server)
    for path in ["/api/v1/nope", "/api/v2/demands", "/api", "/api/", "/open311/nope"]:
        status, h, data = server.request("GET", path)
        assert status == 404, path
        assert h["Content-Type"].startswith("application/json"), path
        assert data["error"]["code"] == "not_found"
        assert "接口不存在" in data["error"]["message"]
    # Open311 answers its own unknown paths in the spec's shape, never with the app.
    status, h, _ = server.request("GET", "/open311/v2/nope.json")
    assert status == 404 and h["Content-Type"].startswith("application/json")
    # Writes to UI paths are not served by the fallback either.
    status, h, data = server.request("POST", "/clerk", body={})
    assert status == 404 and data["error"]["code"] == "not_found"
    # Known API routes are untouched.
    status, _, data = server.request("GET", "/healthz")
    assert status == 200


def test_me_returns_csrf_for_the_cookie_session(server):
    headers, data = server.login_full("clerk")
    cookie = headers["Set-Cookie"].split(";")[0]
    status, _, me = server.request("GET", "/api/v1/me", headers={"Cookie": cookie})
    assert status == 200 and me["csrf_token"] == data["csrf_token"]
    # The CSRF token it returns lets a cookie write through.
    status, _, _ = server.request("DELETE", "/api/v1/session",
                                  headers={"Cookie": cookie, "X-CSRF-Token": me["csrf_token"]})
    assert status == 204
    # A bearer caller gets no csrf_token (it needs none).
    token = server.login("clerk")
    status, _, me = server.request("GET", "/api/v1/me", token=token)
    assert status == 200 and "csrf_token" not in me


def test_web_dir_serves_from_disk(make_server, tmp_path):
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text('<!doctype html><div id="app">disk</div>', encoding="utf-8")
    (root / "assets" / "app-1234.js").write_text("console.log('v1')", encoding="utf-8")
    (root / "style.css").write_text("body{}", encoding="utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text("root:secret", encoding="utf-8")
    os.symlink(str(secret), str(root / "link.txt"))
    s = make_server(extra=["--web-dir", str(root)])

    status, h, body = s.request("GET", "/")
    assert status == 200 and body == '<!doctype html><div id="app">disk</div>'
    assert h["Content-Type"] == "text/html; charset=utf-8"
    status, h, body = s.request("GET", "/assets/app-1234.js")
    assert status == 200 and body == "console.log('v1')"
    assert h["Content-Type"] == "text/javascript; charset=utf-8"
    assert h["Cache-Control"] == "no-cache"  # files on disk change while developing
    etag = h["ETag"]
    status, _, _ = s.request("GET", "/assets/app-1234.js", headers={"If-None-Match": etag})
    assert status == 304
    # An edit is seen at once, with a new ETag.
    (root / "assets" / "app-1234.js").write_text("console.log('v2')", encoding="utf-8")
    status, h, body = s.request("GET", "/assets/app-1234.js", headers={"If-None-Match": etag})
    assert status == 200 and body == "console.log('v2')" and h["ETag"] != etag
    status, h, _ = s.request("GET", "/style.css")
    assert status == 200 and h["Content-Type"] == "text/css; charset=utf-8"
    # SPA fallback from disk; a missing file is 404.
    status, _, body = s.request("GET", "/supervisor/board")
    assert status == 200 and "disk" in body
    status, _, _ = s.request("GET", "/assets/gone.js")
    assert status == 404
    # Nothing outside the directory: not by ../, not through a symlink.
    for path in ["/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/link.txt"]:
        status, hdrs, body = raw_get(s, path)
        assert status in (400, 404), (path, status)
        assert b"root:secret" not in body
    status, h, data = s.request("GET", "/api/v1/nope")
    assert status == 404 and data["error"]["code"] == "not_found"


def test_web_dir_must_exist():
    with tempfile.TemporaryDirectory(prefix="qifu-it-") as tmp:
        db = "sqlite:" + os.path.join(tmp, "q.db")
        subprocess.run([QIFU_BIN, "migrate", "--db", db], check=True, capture_output=True,
                       env=qifu_env(), timeout=30)
        p = subprocess.run([QIFU_BIN, "serve", "--db", db, "--listen", "127.0.0.1:0",
                            "--web-dir", os.path.join(tmp, "missing")],
                           capture_output=True, text=True, env=qifu_env(), timeout=30)
        assert p.returncode != 0
        assert "网页目录不存在" in p.stderr
