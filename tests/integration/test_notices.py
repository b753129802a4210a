"""Notices and their webhook delivery (issue 4 item 5): an event someone must act on
becomes an in-app notice in the same transaction, and, with --webhook, a JSON POST to
the gateway with retry and backoff; delivery is at least once and survives a restart."""
import http.server
import json
import threading
import time

import pytest

from conftest import Server


class Gateway:
    """A fake SMS gateway on 127.0.0.1 that fails the first `fail` requests."""

    def __init__(self, fail=0, fail_kind=None):
        """fail_kind: only notices of that kind fail (others are answered 200)."""
        self.fail = fail
        self.fail_kind = fail_kind
        self.received = []   # (status answered, payload, headers)
        self.lock = threading.Lock()
        gw = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(n).decode("utf-8"))
                with gw.lock:
                    failing = gw.fail_kind is None or body.get("kind") == gw.fail_kind
                    status = 500 if failing and gw.fail > 0 else 200
                    gw.fail -= 1 if failing else 0
                    gw.received.append((status, body, dict(self.headers)))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/sms" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def delivered(self):
        with self.lock:
            return [b for s, b, _ in self.received if s == 200]

    def wait(self, pred, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if pred():
                return True
            time.sleep(0.1)
        return False

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def submit_and_dispatch(s):
    ent, clerk = s.login("enterprise"), s.login("clerk")
    st, _, d = s.request("POST", "/api/v1/demands", token=ent,
                         body={"category": "help", "title": "融资担保咨询",
                               "content": "想了解政策性担保的申请条件。",
                               "contact_phone": "13905561234"})
    assert st == 201, d
    for body in ({"action": "accept"}, {"action": "dispatch", "lead": "340800-JXJ"}):
        st, _, r = s.request("POST", "/api/v1/demands/%s/actions" % d["id"], token=clerk, body=body)
        assert st == 200, r
    return d


def test_notice_in_app_and_webhook_with_retry(backend):
    # The enterprise's 受理 notice comes first; the two failures are the dispatch's.
    gw = Gateway(fail=2, fail_kind="dispatched")
    s = Server(backend, extra=("--webhook", gw.url))
    try:
        d = submit_and_dispatch(s)
        # In-app at once, in the same transaction as the dispatch.
        st, _, page = s.request("GET", "/api/v1/notices", token=s.login("handler"))
        assert st == 200
        kinds = [(n["kind"], n.get("entity_id")) for n in page["items"] if n.get("entity") == "demand"]
        assert ("dispatched", d["id"]) in kinds
        # Two failures, then delivery with backoff (2 s, 4 s).
        assert gw.wait(lambda: any(b["kind"] == "dispatched" for b in gw.delivered()), 30), gw.received
        statuses = [st for st, b, _ in gw.received if b["kind"] == "dispatched"]
        assert statuses[:3] == [500, 500, 200]
        body = [b for b in gw.delivered() if b["kind"] == "dispatched"][0]
        assert body["demand_no"] == d["no"] and body["org"] == "340800-JXJ"
        assert "新交办诉求" in body["title"]
        hdrs = [h for st, b, h in gw.received if st == 200 and b["kind"] == "dispatched"][0]
        assert hdrs.get("Idempotency-Key") == "notice-%d" % body["id"]
        rows = s.sql("SELECT delivery_state, attempts FROM notices WHERE id = %d" % body["id"])
        assert rows == [("delivered", "3")]
        assert "delivery attempt 1 failed: HTTP 500" in s.log_text()
    finally:
        s.close()
        gw.close()


def test_pending_notices_survive_a_restart(backend):
    # First run without a webhook: the notices wait in the outbox.
    s = Server(backend)
    gw = Gateway()
    try:
        submit_and_dispatch(s)
        pending = int(s.sql("SELECT COUNT(*) FROM notices WHERE delivery_state = 'pending'")[0][0])
        assert pending >= 1
        # Same database, now with a gateway: everything pending is delivered.
        s.restart(extra=("--webhook", gw.url))
        assert gw.wait(lambda: len(gw.delivered()) >= pending, 20), gw.received
        assert s.sql("SELECT COUNT(*) FROM notices WHERE delivery_state = 'pending'") == [("0",)]
        ids = [b["id"] for b in gw.delivered()]
        assert len(ids) == len(set(ids)) == pending
    finally:
        s.close()
        gw.close()


def test_bad_webhook_url_refused(backend, make_server):
    with pytest.raises(Exception):
        make_server(extra=("--webhook", "ftp://127.0.0.1/x"))


def test_notice_reaches_only_readers(make_server):
    """A notice addressed to an organisation reaches only its users who may read the
    record (issue 14 item 15): the policy officer of 经信局 cannot open a demand
    dispatched to 经信局, so its notice (demand number, credit code) is not shown."""
    s = make_server()
    d = submit_and_dispatch(s)
    st, _, page = s.request("GET", "/api/v1/notices", token=s.login("handler"))
    assert st == 200 and ("dispatched", d["id"]) in [(n["kind"], n["entity_id"])
                                                      for n in page["items"]]
    officer = s.login("officer")
    st, _, got = s.request("GET", "/api/v1/demands/%s" % d["id"], token=officer)
    assert st == 404
    st, _, page = s.request("GET", "/api/v1/notices", token=officer)
    assert st == 200
    assert [n for n in page["items"] if n.get("entity") == "demand" and n["entity_id"] == d["id"]] == [], page
    assert d["no"] not in str(page)
    # Pages fill from further rows when notices are filtered out: with limit=1 the
    # handler still walks to every notice of its own.
    for i in range(3):
        submit_and_dispatch(s)
    mine = s.list_all("/api/v1/notices", s.login("handler"), limit=1)
    assert len(mine) == 4
    assert s.list_all("/api/v1/notices", officer, limit=1) == []


def test_notice_to_one_user_reaches_that_user_only(make_server):
    """flow_to.user_id: a notice addressed to one user (no organisation, no record) is
    listed for that user and for nobody else of its organisation."""
    s = make_server()
    uid = s.sql("SELECT id FROM users WHERE username = 'handler'")[0][0]
    s.write_sql("INSERT INTO notices (user_id, kind, title, body, created_at) VALUES "
                "(%s, 'personal', '本人通知', '只给经办人', 1700000000000)" % uid)
    st, _, page = s.request("GET", "/api/v1/notices", token=s.login("handler"))
    assert st == 200 and [n["title"] for n in page["items"] if n["kind"] == "personal"] == \
        ["本人通知"], page
    for other in ("officer", "clerk", "enterprise"):  # officer: the same organisation
        st, _, page = s.request("GET", "/api/v1/notices", token=s.login(other))
        assert st == 200 and not [n for n in page["items"] if n["kind"] == "personal"], other
