"""Issue 17 items 4 and 10 on the server: the code trees behind the name cascaders, the
calculator refusing codes it cannot understand, the operator's footer on /healthz, and a
clear message for a busy port."""
import socket
import subprocess

from conftest import QIFU_BIN, assert_error, qifu_env


def walk(items, depth=1):
    for it in items:
        yield depth, it
        yield from walk(it.get("children", []), depth + 1)


def test_region_tree_is_the_current_gbt2260_list(server):
    st, headers, body = server.request("GET", "/api/v1/codes/regions/tree")
    assert st == 200
    nodes = list(walk(body["items"]))
    by_depth = {}
    for d, it in nodes:
        by_depth[d] = by_depth.get(d, 0) + 1
        assert set(it) <= {"code", "name", "children"} and it["name"]
    # 34 provinces; every current division once (3,213 = 34 + 333 + 2,846).
    assert by_depth[1] == 34
    assert len(nodes) == 3213
    names = {it["code"]: it["name"] for _, it in nodes}
    assert names["340811"] == "宜秀区" and names["340800"] == "安庆市"
    # Abolished codes are not offered for choosing.
    assert "110103" not in names
    # 安庆市 sits under 安徽省 with its counties under it.
    ah = next(it for it in body["items"] if it["code"] == "340000")
    aq = next(it for it in ah["children"] if it["code"] == "340800")
    assert "340811" in [c["code"] for c in aq["children"]]
    assert "max-age=86400" in headers.get("Cache-Control", headers.get("cache-control", ""))


def test_industry_tree_has_four_levels(server):
    st, _, body = server.request("GET", "/api/v1/codes/industries/tree")
    assert st == 200
    by_depth = {}
    for d, it in walk(body["items"]):
        by_depth[d] = by_depth.get(d, 0) + 1
        if d == 4:
            assert "children" not in it and len(it["code"]) == 4
    assert by_depth == {1: 20, 2: 97, 3: 473, 4: 1381}


def match(server, facts):
    return server.request("POST", "/api/v1/policies/match", body={"facts": facts})


def test_calculator_refuses_an_unknown_region_next_to_the_field(server):
    assert_error(match(server, {"region": "999999"}), 400, "invalid", field="facts.region")
    assert_error(match(server, {"region": "34"}), 400, "invalid", field="facts.region")
    assert match(server, {"region": "340811"})[0] == 200


def test_calculator_refuses_an_unknown_industry_next_to_the_field(server):
    st, _, body = match(server, {"industry": "C9999"})
    assert_error((st, _, body), 400, "invalid", field="facts.industry")
    assert "C3911" in body["error"]["message"]  # says what a valid code looks like
    assert_error(match(server, {"industry": "39"}), 400, "invalid", field="facts.industry")
    assert match(server, {"industry": "C3911"})[0] == 200
    assert match(server, {"industry": "3911"})[0] == 200


def test_healthz_without_operator_has_no_footer(server):
    st, _, body = server.request("GET", "/healthz")
    assert st == 200 and body["status"] == "ok"
    assert body.get("operator") is None and body.get("icp") is None


def test_healthz_serves_the_operator_footer(make_server):
    s = make_server(extra=["--operator", "安庆市数据资源管理局", "--icp", "皖ICP备12345678号-1"])
    st, _, body = s.request("GET", "/healthz")
    assert st == 200
    assert body["operator"] == "安庆市数据资源管理局"
    assert body["icp"] == "皖ICP备12345678号-1"


def test_busy_port_says_so_before_anything_runs(server, tmp_path):
    taken = socket.socket()
    try:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        p = subprocess.run([QIFU_BIN, "serve", "--listen", "127.0.0.1:%d" % port, "--db",
                            server.db_url, "--no-access-log"], capture_output=True, text=True,
                           timeout=60, env=qifu_env(), cwd=tmp_path, stdin=subprocess.DEVNULL)
    finally:
        taken.close()
    assert p.returncode != 0
    out = p.stderr + p.stdout
    assert "端口已被占用" in out and "address already in use" in out
    assert "QIFU_LISTEN" in out and "--listen" in out
    assert "serving on" not in out  # nothing claimed to be running


def test_make_run_says_the_port_is_busy_before_loading_anything(tmp_path):
    """scripts/run-demo.sh (make run) checks the port first: no database is made and
    nothing claims to be running."""
    import os
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    taken = socket.socket()
    try:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        db = tmp_path / "demo.db"
        env = dict(os.environ, QIFU_LISTEN="127.0.0.1:%d" % port, QIFU_DB="sqlite:%s" % db)
        p = subprocess.run([os.path.join(root, "scripts", "run-demo.sh")], capture_output=True,
                           text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)
    finally:
        taken.close()
    assert p.returncode == 1
    assert "已被占用" in p.stderr and "already in use" in p.stderr
    assert "QIFU_LISTEN" in p.stderr
    assert "正在" not in p.stdout and not db.exists()
