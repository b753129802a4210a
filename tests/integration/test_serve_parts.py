# SPDX-License-Identifier: Apache-2.0
"""`qifu serve` as a list of parts (issue 15 item 4b): started in order, the started ones
stopped in reverse from one exit path, also when a part fails to start."""
import os
import socket
import subprocess
import tempfile

import pytest

from conftest import QIFU_BIN, STOP_TIMEOUT, qifu_env

# serve_parts[] of src/main.c, in start order.
PARTS = ["db", "listener", "replica", "catalog", "calendar", "policies", "web", "routes", "runner",
         "sweeper", "notices", "http"]


def stopped_after(part):
    """The parts a failed start of `part` must stop: the ones before it, in reverse."""
    return ", ".join(reversed(PARTS[:PARTS.index(part)]))


def serve_failing(*extra):
    """Runs qifu serve on a fresh SQLite database with extra flags; it must exit by itself.
    Returns (exit status, output, whether the port file was written)."""
    with tempfile.TemporaryDirectory(prefix="qifu-parts-") as tmp:
        port_file = os.path.join(tmp, "port")
        args = [QIFU_BIN, "serve", "--db", "sqlite:" + os.path.join(tmp, "qifu.db"),
                "--port-file", port_file] + list(extra)
        if "--listen" not in extra:
            args += ["--listen", "127.0.0.1:0"]
        p = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, env=qifu_env(), cwd=tmp,
                           timeout=STOP_TIMEOUT)
        return p.returncode, p.stdout.decode("utf-8", "replace"), os.path.exists(port_file)


def test_bad_webhook_stops_the_started_parts():
    status, out, port_written = serve_failing("--webhook", "ftp://127.0.0.1/hook")
    assert status == 1, out
    assert "qifu: 启动通知投递失败：webhook 地址应以 http:// 或 https:// 开头 [webhook]" in out, out
    assert "start of notices failed; stopped: %s" % stopped_after("notices") in out, out
    assert "serving on" not in out and not port_written, out


def test_port_in_use_stops_every_other_part():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        status, out, port_written = serve_failing("--listen", "127.0.0.1:%d" % port,
                                                  "--webhook", "http://127.0.0.1:9/hook")
    assert status == 1, out
    assert "qifu: 启动服务失败：" in out, out
    assert "start of http failed; stopped: %s" % stopped_after("http") in out, out
    assert not port_written, out


def test_bad_database_stops_nothing():
    with tempfile.TemporaryDirectory(prefix="qifu-parts-") as tmp:
        status, out, _ = serve_failing("--db", "sqlite:" + os.path.join(tmp, "no", "such", "x.db"))
    assert status == 1, out
    assert "qifu: 打开数据库失败：" in out, out
    assert "start of db failed; stopped: nothing" in out, out


def test_normal_stop_is_the_reverse_of_the_start(make_server):
    s = make_server()
    s.stop()
    log = s.log_text()
    assert "stopped: %s" % ", ".join(reversed(PARTS)) in log, log
    assert "stopped cleanly" in log, log
