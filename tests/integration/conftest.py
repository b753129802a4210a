# SPDX-License-Identifier: Apache-2.0
"""
Integration tests: the real qifu binary, started on 127.0.0.1 with an ephemeral port
and its own database, driven over HTTP with the standard library only.

Environment:
  QIFU_BIN      the binary under test (default: build/release/qifu of this checkout)
  TEST_PG_DIR   a running cluster made by scripts/pg-test.sh; when set, every test
                runs against PostgreSQL too (one fresh database per server)
  QIFU_KEEP_TMP=1  keep each server's temp dir (database, stderr log) for debugging
  QIFU_TEST_NOW an RFC 3339 instant: every server and command starts its test clock
                there (docs/internals/testing.md); Server.set_clock() moves one server's

Each test module gets one server per backend (the `server` fixture); tests that need
special flags start their own with the `make_server` factory. Every server is stopped
by a finalizer, and stop() asserts that qifu exited with status 0.
"""
import datetime
import http.client
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
QIFU_BIN = os.environ.get("QIFU_BIN") or os.path.join(ROOT, "build", "release", "qifu")
PG_DIR = os.environ.get("TEST_PG_DIR", "")
PG_TEST = os.path.join(ROOT, "scripts", "pg-test.sh")
BACKENDS = ["sqlite"] + (["postgres"] if PG_DIR else [])

DEMO_USERS = ["admin", "clerk", "handler", "supervisor", "officer", "enterprise"]
DEMO_ROLES = {
    "admin": "admin",
    "clerk": "clerk",
    "handler": "handler",
    "supervisor": "supervisor",
    "officer": "policy_officer",
    "enterprise": "enterprise",
}
DEMO_PASSWORD = "demo"

START_TIMEOUT = 15.0  # seconds for the port file and /healthz
STOP_TIMEOUT = 15.0  # seconds for a SIGTERM'd server to exit
CLI_TIMEOUT = 30.0
HTTP_TIMEOUT = 15.0

_db_counter = itertools.count(1)


def _die_with_parent():
    """Child side of Popen: get SIGTERM if pytest itself dies (Linux prctl PR_SET_PDEATHSIG)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)
    except Exception:  # not Linux: the finalizers still stop the server
        pass


# The instant clock-dependent modules run at unless QIFU_TEST_NOW names another: a
# Tuesday morning (a working day) in a year the built-in calendar covers.
DEFAULT_TEST_NOW = "2026-03-10T10:00:00+08:00"


def fixed_instant():
    """The instant (RFC 3339) a module that computes expectations from "now" sets its
    server's clock to: QIFU_TEST_NOW when the suite runs with it, else DEFAULT_TEST_NOW."""
    return os.environ.get("QIFU_TEST_NOW") or DEFAULT_TEST_NOW


def instant_ms(instant):
    """Milliseconds since the epoch of an RFC 3339 instant."""
    return int(datetime.datetime.fromisoformat(instant.replace("Z", "+00:00")).timestamp() * 1000)


def instant_text(ms):
    """The +08:00 RFC 3339 text of ms since the epoch (the API's form)."""
    cst = datetime.timezone(datetime.timedelta(hours=8))
    return datetime.datetime.fromtimestamp(ms / 1000, cst).isoformat(timespec="seconds")


def qifu_env(clock_file=None):
    env = dict(os.environ)
    env["QIFU_FAST_HASH"] = "1"
    if clock_file:
        env["QIFU_TEST_CLOCK_FILE"] = clock_file
    return env


def psql(dsn, sql, check=True):
    """Runs sql with psql against dsn; returns the CompletedProcess (stdout unaligned)."""
    p = subprocess.run(
        ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-c", sql],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        env=dict(os.environ, PGOPTIONS="-c client_min_messages=warning"),
    )
    if check:
        assert p.returncode == 0, "psql failed: %s\n%s" % (sql, p.stderr)
    return p


def new_pg_database():
    """A fresh, empty database in the test cluster; returns (name, URL)."""
    name = "qifu_it_%d_%d" % (os.getpid(), next(_db_counter))
    p = subprocess.run(
        [PG_TEST, "newdb", PG_DIR, name], capture_output=True, text=True, timeout=CLI_TIMEOUT
    )
    assert p.returncode == 0, "pg-test.sh newdb failed: %s" % p.stderr
    url = p.stdout.strip()
    assert url.startswith("postgres"), "pg-test.sh newdb printed %r" % p.stdout
    return name, url


def drop_pg_database(name):
    p = subprocess.run([PG_TEST, "url", PG_DIR], capture_output=True, text=True,
                       timeout=CLI_TIMEOUT)
    if p.returncode == 0:
        psql(p.stdout.strip(), 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name, check=False)


class Server:
    """One qifu process with its own temp dir and database, listening on 127.0.0.1."""

    def __init__(self, backend, session_ttl=None, max_body=None, threads=None, extra=(),
                 env=None, peer_of=None):
        """peer_of: another Server whose database this one shares (a second process of
        one deployment): no migrate, no demo, and the database stays with its owner."""
        self.backend = backend
        self.env = env or {}  # overrides of the server's environment (None removes)
        self.proc = None
        self.port = None
        self.exit_status = None
        self.tmp = tempfile.mkdtemp(prefix="qifu-it-")
        self.log_path = os.path.join(self.tmp, "server.stderr")
        self.port_file = os.path.join(self.tmp, "port")
        # The test clock: absent, the server runs on the real clock (or QIFU_TEST_NOW).
        self.clock_file = os.path.join(self.tmp, "clock")
        self._log = None
        self.pg_name = None
        try:
            if peer_of is not None:
                self.db_path, self.db_url = peer_of.db_path, peer_of.db_url
            elif backend == "sqlite":
                self.db_path = os.path.join(self.tmp, "qifu.db")
                self.db_url = "sqlite:" + self.db_path
            elif backend == "postgres":
                self.db_path = None
                self.pg_name, self.db_url = new_pg_database()
            else:
                raise ValueError(backend)
            if peer_of is None:
                self.cli("migrate")
                self.cli("demo")
            args = []
            if session_ttl is not None:
                args += ["--session-ttl", str(session_ttl)]
            if max_body is not None:
                args += ["--max-body", str(max_body)]
            if threads is not None:
                args += ["--threads", str(threads)]
            self._log = open(self.log_path, "wb")
            self._start(args + list(extra))
        except BaseException:
            self.close()
            raise

    def _env(self):
        env = qifu_env(self.clock_file)
        for k, v in self.env.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        return env

    def _start(self, extra):
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)
        args = [QIFU_BIN, "serve", "--listen", "127.0.0.1:0", "--port-file", self.port_file,
                "--db", self.db_url] + list(extra)
        self.exit_status = None
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, env=self._env(),
                                     cwd=self.tmp,
                                     preexec_fn=_die_with_parent)
        self._wait_ready()

    def restart(self, extra=()):
        """Stops the server (asserting a clean exit) and starts it again on the same
        database with the flags extra."""
        self.stop()
        self._start(extra)

    # ---- life cycle ---------------------------------------------------------

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("qifu serve exited with %s during start-up:\n%s"
                                     % (self.proc.returncode, self.log_tail()))
            try:
                with open(self.port_file) as f:
                    text = f.read()
                if text.endswith("\n"):
                    self.port = int(text)
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.02)
        else:
            raise AssertionError("no port file after %ss:\n%s" % (START_TIMEOUT, self.log_tail()))
        while time.monotonic() < deadline:
            try:
                status, _, _ = self.request("GET", "/healthz", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("/healthz never answered 200:\n%s" % self.log_tail())

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)

    def wait_exit(self, timeout=STOP_TIMEOUT):
        """Waits for the process to exit (killing it after timeout); returns the status."""
        try:
            self.exit_status = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
            raise AssertionError("qifu serve did not exit within %ss of SIGTERM:\n%s"
                                 % (timeout, self.log_tail()))
        return self.exit_status

    def stop(self):
        """SIGTERM, wait, and assert a clean exit (status 0)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        status = self.wait_exit()
        assert status == 0, "qifu serve exited with %s:\n%s" % (status, self.log_tail())

    def close(self):
        """Stops the process whatever happens and removes the temp dir; asserts exit 0."""
        try:
            if self.proc is not None and self.exit_status is None:
                self.stop()
        finally:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(timeout=5)
            if self._log:
                self._log.close()
                self._log = None
            if os.environ.get("QIFU_KEEP_TMP") != "1":
                shutil.rmtree(self.tmp, ignore_errors=True)
                if self.pg_name:
                    drop_pg_database(self.pg_name)

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, n=40):
        return "\n".join(self.log_text().splitlines()[-n:])

    # ---- the test clock -------------------------------------------------------

    def set_clock(self, instant):
        """Sets the server's (and its commands') clock to the RFC 3339 instant, from
        where it advances in real time; None returns to the real clock (or to
        QIFU_TEST_NOW). The server rereads the file whenever it reads the time."""
        if instant is None:
            if os.path.exists(self.clock_file):
                os.unlink(self.clock_file)
            return
        tmp = self.clock_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(instant + "\n")
        os.replace(tmp, self.clock_file)

    # ---- command line -------------------------------------------------------

    def cli(self, *args, input=None, check=True):
        """Runs `qifu ARGS --db URL`; returns the CompletedProcess (text)."""
        argv = [QIFU_BIN] + list(args) + ["--db", self.db_url]
        p = subprocess.run(argv, input=input, capture_output=True, text=True,
                           timeout=CLI_TIMEOUT, env=qifu_env(self.clock_file), cwd=self.tmp)
        if check:
            assert p.returncode == 0, "%s exited %s:\n%s%s" % (
                " ".join(args), p.returncode, p.stdout, p.stderr)
        return p

    # ---- database access (for checks and tampering) ---------------------------

    def write_sql(self, query):
        """Changes the database behind the server's back (committed), as another process
        would: time passing for deadlines, a session deleted, a user disabled."""
        if self.backend == "sqlite":
            import sqlite3
            con = sqlite3.connect(self.db_path, timeout=10)
            try:
                con.execute(query)
                con.commit()
            finally:
                con.close()
        else:
            # As another qifu process would, tell every process's caches (the change
            # channel, docs/internals/store.md): one transaction, so at its commit.
            psql(self.db_url, query + "; NOTIFY qifu_changes, '*'")

    def set_column(self, did, column, ms):
        """Moves a time column of demand did (time passing, for 督办 and red lights)."""
        self.write_sql("UPDATE demands SET %s = %d WHERE id = %d" % (column, ms, int(did)))

    def sql(self, query):
        """Runs a read-only query directly on the database; returns rows as tuples of str."""
        if self.backend == "sqlite":
            import sqlite3
            con = sqlite3.connect(self.db_path, timeout=10)
            try:
                return [tuple(None if v is None else str(v) for v in row)
                        for row in con.execute(query).fetchall()]
            finally:
                con.close()
        out = psql(self.db_url, query).stdout
        return [tuple(line.split("|")) for line in out.splitlines()]

    # ---- HTTP ---------------------------------------------------------------

    def connection(self, timeout=HTTP_TIMEOUT):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, token=None, raw=None,
                conn=None, timeout=HTTP_TIMEOUT):
        """
        Sends one request. body is encoded as JSON (Content-Type application/json);
        raw is sent as is (bytes, with Content-Type application/json unless headers name
        another). Returns (status, headers, data) where data is the parsed JSON when the
        response says application/json, else the text.
        """
        hdrs = {}
        payload = None
        if body is not None:
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        elif raw is not None:
            payload = raw if isinstance(raw, bytes) else raw.encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        if token:
            hdrs["Authorization"] = "Bearer " + token
        for k, v in (headers or {}).items():
            for old in [h for h in hdrs if h.lower() == k.lower()]:
                del hdrs[old]
            if v is not None:
                hdrs[k] = v
        own = conn is None
        c = conn or self.connection(timeout)
        try:
            c.request(method, path, body=payload, headers=hdrs)
            r = c.getresponse()
            data = r.read()
            ctype = r.getheader("Content-Type", "")
            if ctype.startswith("application/json"):
                parsed = json.loads(data.decode("utf-8")) if data else None
            else:
                parsed = data.decode("utf-8", "replace")
            return r.status, r.headers, parsed
        finally:
            if own:
                c.close()

    def login_full(self, user, password=DEMO_PASSWORD):
        status, headers, data = self.request(
            "POST", "/api/v1/session", {"username": user, "password": password})
        assert status == 201, "login %s: %s %s" % (user, status, data)
        return headers, data

    def login(self, user, password=DEMO_PASSWORD):
        return self.login_full(user, password)[1]["token"]

    def admin(self):
        """A (cached) admin token."""
        if not getattr(self, "_admin", None):
            self._admin = self.login("admin")
        return self._admin

    # ---- read-backs ---------------------------------------------------------

    def list_all(self, path, token, limit=500, max_pages=100):
        """Walks a paginated list; returns all items."""
        items, cursor = [], None
        for _ in range(max_pages):
            sep = "&" if "?" in path else "?"
            url = "%s%slimit=%d" % (path, sep, limit)
            if cursor:
                url += "&cursor=" + cursor
            status, _, data = self.request("GET", url, token=token)
            assert status == 200, (url, status, data)
            items += data["items"]
            cursor = data["next_cursor"]
            if not cursor:
                return items
        raise AssertionError("more than %d pages at %s" % (max_pages, path))

    def usernames(self):
        return [u["username"] for u in self.list_all("/api/v1/users", self.admin())]

    def org_codes(self):
        return [o["code"] for o in self.list_all("/api/v1/orgs", self.admin())]

    def audit_count(self):
        return int(self.sql("SELECT COUNT(*) FROM audit")[0][0])


# ---- assertions ---------------------------------------------------------------


def assert_error(resp, status, code, field=None, message=None):
    """
    Asserts resp (from Server.request) is the JSON error {"error":{"code","message"}}
    with status, code, the field when given (None: any) and message containing `message`.
    Returns the error object.
    """
    st, headers, data = resp
    assert st == status, "want %s %s, got %s %s" % (status, code, st, data)
    ctype = headers.get("Content-Type", "")
    assert ctype.startswith("application/json"), "error Content-Type is %r" % ctype
    assert isinstance(data, dict) and isinstance(data.get("error"), dict), data
    err = data["error"]
    assert err.get("code") == code, "want code %s, got %s" % (code, err)
    assert isinstance(err.get("message"), str) and err["message"], err
    if field is not None:
        assert err.get("field") == field, "want field %s, got %s" % (field, err)
    if message is not None:
        assert message in err["message"], "want message containing %r, got %r" % (
            message, err["message"])
    return err


def credit_check_digit(code17):
    """GB 32100-2015: the 18th character of a unified social credit code."""
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    s = sum(chars.index(c) * w for c, w in zip(code17, weights))
    return chars[(31 - s % 31) % 31]


def raw_socket(server, timeout=10.0):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    return s


def read_http_response(sock, deadline):
    """
    Reads one HTTP/1.1 response from sock until it is complete (Content-Length), the
    peer closes, or deadline (time.monotonic) passes. Returns (status or None, headers
    dict lower-cased, body bytes, closed flag).
    """
    data = b""
    closed = False
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except (ConnectionResetError, BrokenPipeError):
            closed = True
            break
        if not chunk:
            closed = True
            break
        data += chunk
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            hdrs = parse_head(head)[1]
            n = int(hdrs.get("content-length", "-1"))
            if n >= 0 and len(body) >= n:
                break
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return None, {}, b"", closed
    status, hdrs = parse_head(head)
    return status, hdrs, body, closed


def parse_head(head):
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return status, hdrs


# ---- fixtures -----------------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture(scope="module")
def server(backend):
    """One server per test module and backend, with the demo data."""
    s = Server(backend)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def make_server(backend):
    """Factory for servers with special flags; each is stopped at the end of the test."""
    made = []

    def make(**kw):
        s = Server(backend, **kw)
        made.append(s)
        return s

    try:
        yield make
    finally:
        errors = []
        for s in made:
            try:
                s.close()
            except AssertionError as e:  # report every failed stop, stop them all
                errors.append(str(e))
        assert not errors, "\n".join(errors)


def pytest_report_header(config):
    return "qifu: %s; backends: %s" % (QIFU_BIN, ", ".join(BACKENDS))


def rewind_sql(backend, after):
    """The statements that undo the migrations numbered above `after` on backend ("sqlite" or
    "postgres"), latest first, read from src/store/migrations: each CREATE TABLE, INDEX,
    VIEW, TRIGGER or FUNCTION is dropped and each ADD COLUMN dropped again; rows a migration
    inserts into its own new tables (or roles, jobs) need nothing. Anything else fails the
    calling test, which must then be taught: an upgrade test never runs on a wrong schema."""
    import pathlib
    import re
    mig = pathlib.Path(__file__).resolve().parents[2] / "src" / "store" / "migrations"
    other = "pg" if backend == "sqlite" else "sqlite"
    out = []
    for f in sorted(mig.glob("*.sql"), reverse=True):
        if int(f.name[:4]) <= after:
            continue
        sql = re.sub(r"^-- @%s\n.*?^-- @end\n" % other, "", f.read_text(), flags=re.S | re.M)
        sql = re.sub(r"--[^\n]*", "", sql)
        sql = re.sub(r"\$\$.*?\$\$", "$$", sql, flags=re.S)  # PostgreSQL function bodies
        sql = re.sub(r"(CREATE\s+TRIGGER\b[^;]*?)\bBEGIN\b.*?^END\s*;", r"\1;", sql,
                     flags=re.S | re.I | re.M)  # SQLite trigger bodies (END at line start)
        made, undo = set(), []
        for stmt in (x.strip() for x in sql.split(";") if x.strip()):
            m = re.match(r"CREATE\s+(?:UNIQUE\s+|VIRTUAL\s+)?(TABLE|INDEX|VIEW)\s+"
                         r"(?:IF NOT EXISTS\s+)?(\w+)", stmt, re.I)
            if m:
                made.add(m.group(2).lower())
                undo.append("DROP %s IF EXISTS %s" % (m.group(1).upper(), m.group(2)))
                continue
            m = re.match(r"CREATE\s+TRIGGER\s+(\w+)\s.*?\bON\s+(\w+)", stmt, re.I | re.S)
            if m:
                undo.append("DROP TRIGGER IF EXISTS %s%s" % (
                    m.group(1), " ON %s" % m.group(2) if backend == "postgres" else ""))
                continue
            m = re.match(r"CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+(\w+)", stmt, re.I)
            if m:
                undo.append("DROP FUNCTION IF EXISTS %s CASCADE" % m.group(1))
                continue
            if re.match(r"CREATE\s+EXTENSION\s+IF\s+NOT\s+EXISTS\b", stmt, re.I):
                continue  # an extension an earlier migration made too (pg_trgm: 0002)
            m = re.match(r"ALTER\s+TABLE\s+(\w+)\s+ADD\s+(?:COLUMN\s+)?(\w+)", stmt, re.I)
            if m:
                undo.append("ALTER TABLE %s DROP COLUMN %s" % (m.group(1), m.group(2)))
                continue
            m = re.match(r"ALTER\s+TABLE\s+(\w+)\s+ALTER\s+", stmt, re.I)
            if m and m.group(1).lower() in made:  # a column setting of a table made here
                continue
            m = re.match(r"(?:UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+(\w+)", stmt, re.I)
            if m and (m.group(1).lower() in made or m.group(1).lower() in ("roles", "jobs")):
                continue
            pytest.fail("%s: cannot rewind %r; teach conftest.rewind_sql" % (f.name, stmt[:60]))
        out += reversed(undo)
    return out
