# SPDX-License-Identifier: Apache-2.0
"""
The province test's deployment: docs/deploy.md followed literally, on one machine.

The `province` fixture (one per test session) runs scripts/province/up.sh DIR PORT, which
runs the page's marked shell blocks in order (scripts/province/run-doc.sh): a PostgreSQL 15
primary and a streaming standby made with Debian's pg_createcluster/pg_basebackup -R, two
`qifu serve` processes, nginx with TLS in front and qifu-health. Everything lives in a
private DIR and on 127.0.0.1 ports from PORT; at the end down.sh stops it all and removes
DIR (also when a test failed). Then `qifu demo` adds the demo users (password demo) for the
tests. QIFU_PROVINCE_KEEP=1 leaves the trial running (and prints DIR and PORT);
QIFU_PROVINCE_DIR=DIR QIFU_PROVINCE_PORT=PORT reuses one already up (neither started nor
stopped here).

Needs root (PostgreSQL runs as the system user postgres, as in production), nginx and
PostgreSQL 15 (scripts/deps.sh --test installs them).
"""
import http.client
import json
import os
import random
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from webhook import Receiver  # noqa: E402  (the notice gateway's stand-in)
QIFU_BIN = os.environ.get("QIFU_BIN") or os.path.join(ROOT, "build", "release", "qifu")
SCRIPTS = os.path.join(ROOT, "scripts", "province")
UP_TIMEOUT = 150
# The test-only knob of src/policy/policy_run.c (docs/internals/testing.md): each chunk of a
# 免申即享 run waits this long, so a kill lands in the middle of a run over a few thousand
# enterprises. It reaches the processes through the environment the page's steps run in;
# the page itself is unchanged.
TRIAL_ENV = {"QIFU_TEST_RUN_CHUNK_DELAY_MS": "300"}
DEMO_PASSWORD = "demo"
DEMO_CODE = "91340100131860916Y"  # the demo enterprise (the clerk's city)


def free_base_port():
    """A port P such that P..P+12 are free on 127.0.0.1."""
    for _ in range(50):
        base = random.randrange(20000, 40000, 20)
        socks = []
        try:
            for p in range(base, base + 13):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise AssertionError("no free range of 13 ports")


class Province:
    """The running trial: settings read back from the page, HTTP through nginx or to one
    process, SQL on the primary or the standby, and the operator's actions."""

    def __init__(self, home, port, gateway=None):
        self.home, self.port = home, port
        self.gateway = gateway  # the Receiver at WEBHOOK_URL (BASE_PORT + 5), when started here
        self.env = dict(os.environ, QIFU_HOME=home, BASE_PORT=str(port), QIFU_BIN=QIFU_BIN,
                        **TRIAL_ENV)
        out = self.run_doc("--env", "trial-settings", "settings").stdout
        self.settings = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        self.apps = self.settings["APPS"].split()
        self.tls = ssl.create_default_context(cafile=self.settings["TLS_CERT"])

    # ---- the page --------------------------------------------------------------

    def run_doc(self, *kinds, timeout=120, check=True):
        p = subprocess.run([os.path.join(SCRIPTS, "run-doc.sh")] + list(kinds), cwd=ROOT,
                           env=self.env, capture_output=True, text=True, timeout=timeout)
        if check:
            assert p.returncode == 0, "run-doc.sh %s: %s\n%s" % (kinds, p.stdout, p.stderr)
        return p

    def status(self):
        return subprocess.run([os.path.join(SCRIPTS, "status.sh"), self.home, str(self.port)],
                              cwd=ROOT, capture_output=True, text=True, timeout=30).stdout

    # ---- HTTP ------------------------------------------------------------------

    def connection(self, app=None, timeout=10.0):
        """Through nginx (HTTPS, the certificate checked), or straight to process app
        (1-based index into APPS, plain HTTP as nginx talks to it)."""
        if app is None:
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                               context=self.tls)
        host, port = self.apps[app - 1].rsplit(":", 1)
        return http.client.HTTPConnection(host, int(port), timeout=timeout)

    def request(self, method, path, body=None, token=None, headers=None, app=None,
                timeout=10.0, conn=None):
        """Returns (status, headers, data): data parsed when JSON, else text."""
        hdrs = dict(headers or {})
        payload = None
        if body is not None:
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        if token:
            hdrs["Authorization"] = "Bearer " + token
        own = conn is None
        c = conn or self.connection(app, timeout)
        try:
            c.request(method, path, body=payload, headers=hdrs)
            r = c.getresponse()
            data = r.read()
            if r.getheader("Content-Type", "").startswith("application/json") and data:
                data = json.loads(data.decode("utf-8"))
            else:
                data = data.decode("utf-8", "replace")
            return r.status, r.headers, data
        finally:
            if own:
                c.close()

    def login(self, user, password=DEMO_PASSWORD, app=None):
        """A token of user. Concurrent logins of one user from one address count against
        the login throttle (auth_throttle.c), so a 429 waits as it says and tries again;
        a 502 (nginx lost the process that had the request) is tried again at once."""
        for _ in range(6):
            st, h, data = self.request("POST", "/api/v1/session",
                                       {"username": user, "password": password}, app=app)
            if st == 429:
                time.sleep(float(h.get("Retry-After") or 1) + 0.1)
            elif st != 502:
                break
        assert st == 201, "login %s: %s %s" % (user, st, data)
        return data["token"]

    def ready(self, app):
        try:
            return self.request("GET", "/readyz", app=app, timeout=3)[0]
        except OSError:
            return None

    # ---- database --------------------------------------------------------------

    def psql(self, sql, standby=False):
        """Runs sql in database qifu as the postgres superuser over the Unix socket;
        returns rows as tuples of str."""
        port = self.settings["DB_STANDBY_PORT" if standby else "DB_PRIMARY_PORT"]
        argv = ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h",
                self.settings["PG_SOCKETS"], "-p", port, "-d", "qifu", "-c", sql]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, "psql: %s\n%s" % (sql, p.stderr)
        return [tuple(line.split("|")) for line in p.stdout.splitlines()]

    def pg_ctl(self, cluster, action):
        """pg_ctlcluster 15 CLUSTER ACTION (start, stop, restart), as the operator would."""
        p = subprocess.run(["pg_ctlcluster", self.settings["PG_VERSION"], cluster, action],
                           env=self.env | {"PG_CLUSTER_CONF_ROOT":
                                           self.settings["PG_CLUSTER_CONF_ROOT"]},
                           capture_output=True, text=True, timeout=90)
        assert p.returncode == 0, "pg_ctlcluster %s %s: %s" % (cluster, action, p.stderr)

    def cli(self, *args, input=None):
        """`qifu ARGS --db <primary>` with the deployment's password file."""
        p = subprocess.run([QIFU_BIN] + list(args) + ["--db", self.settings["DB_URL"]],
                           input=input, capture_output=True, text=True, timeout=60,
                           env=self.env | {"PGPASSFILE": os.path.join(self.home, "etc",
                                                                      "pgpass")})
        assert p.returncode == 0, "qifu %s: %s%s" % (args, p.stdout, p.stderr)
        return p.stdout

    # ---- processes -------------------------------------------------------------

    def pid(self, app):
        with open(os.path.join(self.home, "run", "qifu-%d.pid" % app)) as f:
            return int(f.read())

    def alive(self, app):
        try:
            os.kill(self.pid(app), 0)
            return True
        except (OSError, ValueError):
            return False

    def kill(self, app, sig=signal.SIGKILL):
        os.kill(self.pid(app), sig)

    def start_apps(self):
        """Starts the processes that are not running (the page's trial-apps block)."""
        self.run_doc("trial-settings", "settings", "trial-apps")

    def upstream(self):
        """nginx's server lines as qifu-health wrote them: {HOST:PORT: 'up'|'down'}."""
        path = os.path.join(self.settings["NGINX_CONF_DIR"], "qifu-upstream.inc")
        out = {}
        with open(path) as f:
            for line in f:
                w = line.split()
                if w and w[0] == "server":
                    out[w[1].rstrip(";")] = "down" if "down;" in w else "up"
        return out

    def log(self, name, tail=4000):
        try:
            with open(os.path.join(self.home, "log", name), errors="replace") as f:
                text = f.read()
                return text[-tail:] if tail else text
        except OSError:
            return ""


def wait_for(pred, timeout, what, interval=0.05, why=None):
    """Polls pred until it is true; fails with what (and why(), if given: the state that
    explains it) after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("not within %.1f s: %s%s" % (
                timeout, what, "\n" + why() if why else ""))
        time.sleep(interval)


@pytest.fixture(scope="session")
def province():
    if os.environ.get("QIFU_PROVINCE_DIR"):
        yield Province(os.environ["QIFU_PROVINCE_DIR"], int(os.environ["QIFU_PROVINCE_PORT"]))
        return
    if os.geteuid() != 0:
        pytest.skip("the province trial runs PostgreSQL as the user postgres: needs root")
    for tool in ("nginx", "pg_createcluster", "openssl", "curl", "start-stop-daemon"):
        assert shutil.which(tool), "%s is missing (scripts/deps.sh --test installs it)" % tool
    home = tempfile.mkdtemp(prefix="qifu-prov-", dir="/tmp")
    os.chmod(home, 0o755)  # the user postgres must reach its directories
    port = free_base_port()
    # The page's trial sends notices to WEBHOOK_URL, port BASE_PORT + 5: answer there from
    # the start, each POST taking 20 ms (so a kill can land in the middle of delivery).
    gateway = Receiver(delay=0.02, port=port + 5)
    try:
        up = subprocess.run([os.path.join(SCRIPTS, "up.sh"), home, str(port)], cwd=ROOT,
                            capture_output=True, text=True, timeout=UP_TIMEOUT,
                            env=dict(os.environ, QIFU_BIN=QIFU_BIN, **TRIAL_ENV))
        assert up.returncode == 0, "up.sh failed:\n%s\n%s" % (up.stdout[-3000:],
                                                             up.stderr[-3000:])
        p = Province(home, port, gateway)
        p.cli("demo")
        yield p
    finally:
        gateway.close()
        if os.environ.get("QIFU_PROVINCE_KEEP") == "1":
            print("\nprovince trial left running: %s %d" % (home, port))
        else:
            down = subprocess.run([os.path.join(SCRIPTS, "down.sh"), home, str(port)],
                                  cwd=ROOT, capture_output=True, text=True, timeout=120)
            if not os.path.exists(os.path.join(home, ".qifu-deploy")):
                shutil.rmtree(home, ignore_errors=True)  # up.sh failed before its first step
            assert down.returncode == 0 or not os.path.exists(home), \
                "down.sh failed: %s%s" % (down.stdout, down.stderr)
            assert not os.path.exists(home), "down.sh left %s" % home
