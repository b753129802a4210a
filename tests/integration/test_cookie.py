# SPDX-License-Identifier: Apache-2.0
"""Item 12 of the hardening review: --cookie-secure adds Secure to the session cookie."""
def login_cookie(server):
    status, headers, data = server.request(
        "POST", "/api/v1/session", {"username": "clerk", "password": "demo"})
    assert status == 201, data
    return headers.get("Set-Cookie"), data["token"]


def test_cookie_is_secure_only_when_asked(make_server):
    plain = make_server()
    cookie, _ = login_cookie(plain)
    assert cookie.startswith("qifu_session=") and "HttpOnly" in cookie
    assert "Secure" not in cookie

    tls = make_server(extra=("--cookie-secure",))
    cookie, token = login_cookie(tls)
    parts = [p.strip() for p in cookie.split(";")]
    assert "Secure" in parts and "HttpOnly" in parts and "SameSite=Strict" in parts
    status, headers, _ = tls.request("DELETE", "/api/v1/session", token=token)
    assert status == 204
    assert "Secure" in [p.strip() for p in headers.get("Set-Cookie").split(";")]


def test_public_url_is_validated(tmp_path):
    import subprocess
    from conftest import QIFU_BIN, qifu_env
    for bad in ("ftp://qifu.example.cn", "qifu.example.cn", "https://" + "x" * 300):
        r = subprocess.run([QIFU_BIN, "serve", "--listen", "127.0.0.1:0", "--public-url", bad,
                            "--db", "sqlite:" + str(tmp_path / "q.db")],
                           capture_output=True, text=True, timeout=30, env=qifu_env())
        assert r.returncode == 1, (bad, r.returncode, r.stderr)
        assert "--public-url" in r.stderr
