# SPDX-License-Identifier: Apache-2.0
"""The audit chain: what is recorded, who may read it, verification and tampering."""
import re
import sqlite3

import pytest

from conftest import assert_error, psql

HEX64 = re.compile(r"^[0-9a-f]{64}$")


def create_user(server, name):
    body = {"username": name, "password": "secret-pass-1", "role": "handler", "org": "340800-JXJ",
            "display_name": "审计测试"}
    st, _, u = server.request("POST", "/api/v1/users", body, token=server.admin())
    assert st == 201, u
    return u


def test_user_create_is_audited(server):
    u = create_user(server, "audited_user")
    server.login("audited_user", "secret-pass-1")
    st, _, page = server.request("GET", "/api/v1/audit?entity=user&id=" + u["id"],
                                 token=server.login("supervisor"))
    assert st == 200, page
    items = page["items"]
    actions = [i["action"] for i in items]
    assert actions == ["session.login", "user.create"], actions  # newest first
    create = items[1]
    assert create["entity"] == "user" and create["id"] == u["id"]
    assert create["actor"] == "user:admin" and create["org"] == "340800-SJJ"
    assert create["before"] is None
    after = create["after"]
    assert after["username"] == "audited_user" and after["role"] == "handler"
    assert after["org"] == "340800-JXJ" and after["display_name"] == "审计测试"
    assert "password" not in after and "password_hash" not in after
    assert not any("argon2" in str(v) for v in after.values())
    assert HEX64.match(create["hash"])
    assert items[0]["seq"] > create["seq"]
    assert items[0]["actor"] == "user:audited_user"
    assert items[0]["at"].endswith("+08:00")
    # the login event holds no session token
    assert set(items[0]["after"]) == {"session", "client_ip"}
    assert len(items[0]["after"]["session"]) == 12


def test_audit_filters_and_pages(server):
    tok = server.admin()
    st, _, page = server.request("GET", "/api/v1/audit?entity=org", token=tok)
    assert st == 200
    assert page["items"] and all(i["entity"] == "org" for i in page["items"])
    assert {i["action"] for i in page["items"]} == {"org.create"}
    # walk everything three at a time (the demo's catalogue load alone writes hundreds):
    # strictly decreasing seq, no gaps, ends at 1
    seqs = [i["seq"] for i in server.list_all("/api/v1/audit", tok, limit=3, max_pages=10000)]
    assert seqs == list(range(len(seqs), 0, -1))
    assert len(seqs) == server.audit_count()
    assert_error(server.request("GET", "/api/v1/audit?id=1", token=tok), 400, "invalid",
                 field="entity")


@pytest.mark.parametrize("who,status,code", [
    ("clerk", 403, "forbidden"), ("handler", 403, "forbidden"), ("officer", 403, "forbidden"),
    ("enterprise", 403, "forbidden"), (None, 401, "unauthorized"),
])
def test_only_oversight_reads_audit(server, who, status, code):
    tok = server.login(who) if who else None
    assert_error(server.request("GET", "/api/v1/audit", token=tok), status, code)


@pytest.mark.parametrize("who", ["supervisor", "admin"])
def test_oversight_reads_audit(server, who):
    st, _, page = server.request("GET", "/api/v1/audit?limit=5", token=server.login(who))
    assert st == 200 and len(page["items"]) == 5 and page["next_cursor"]


def test_verify_intact(server):
    p = server.cli("audit", "verify")
    n = server.audit_count()
    assert "审计链完整" in p.stdout
    assert "intact: %d events" % n in p.stdout


# ---- tampering (each on its own server and database) ----------------------------------


def tamper(server, statements):
    if server.backend == "sqlite":
        con = sqlite3.connect(server.db_path, timeout=10)
        try:
            for sql in statements:
                con.execute(sql)
            con.commit()
        finally:
            con.close()
    else:
        for sql in statements:
            psql(server.db_url, sql)


def refused_by_trigger(server, sql):
    """Asserts the append-only trigger refuses sql."""
    if server.backend == "sqlite":
        con = sqlite3.connect(server.db_path, timeout=10)
        try:
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                con.execute(sql)
            con.rollback()
        finally:
            con.close()
    else:
        p = psql(server.db_url, sql, check=False)
        assert p.returncode != 0 and "append-only" in p.stderr, p.stderr


def test_tampered_row_is_found(make_server):
    s = make_server()
    u = create_user(s, "victim")
    s.login("victim", "secret-pass-1")
    seq = int(s.sql("SELECT seq FROM audit WHERE action = 'user.create' AND entity_id = '%s'"
                    % u["id"])[0][0])
    total = s.audit_count()
    assert seq < total  # not the last row: the chain after it must still be checked
    assert s.cli("audit", "verify").returncode == 0
    original = s.sql("SELECT after, hash FROM audit WHERE seq = %d" % seq)[0]

    # the trigger refuses changes while it is there
    forged = original[0].replace('"handler"', '"admin"')
    assert forged != original[0]
    refused_by_trigger(s, "UPDATE audit SET after = '%s' WHERE seq = %d" % (forged, seq))
    refused_by_trigger(s, "DELETE FROM audit WHERE seq = %d" % seq)
    assert s.sql("SELECT after, hash FROM audit WHERE seq = %d" % seq)[0] == original
    assert s.audit_count() == total
    p = s.cli("audit", "verify")
    assert "审计链完整" in p.stdout

    # a database owner can drop it: verify must notice
    drop = ("DROP TRIGGER audit_no_update" if s.backend == "sqlite"
            else "DROP TRIGGER audit_no_update ON audit")
    tamper(s, [drop, "UPDATE audit SET after = '%s' WHERE seq = %d" % (forged, seq)])
    p = s.cli("audit", "verify", check=False)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "seq %d" % seq in p.stdout, p.stdout
    assert "第 %d 条" % seq in p.stdout
    assert "内容被改动" in p.stdout
    # the API shows the forged row as stored; the hash no longer matches it
    st, _, page = s.request("GET", "/api/v1/audit?entity=user&id=" + u["id"], token=s.admin())
    assert st == 200
    row = [i for i in page["items"] if i["seq"] == seq][0]
    assert row["after"]["role"] == "admin" and row["hash"] == original[1]


def test_truncated_chain_is_found(make_server):
    s = make_server()
    create_user(s, "trunc_user")
    total = s.audit_count()
    assert s.cli("audit", "verify").returncode == 0
    drop = (["DROP TRIGGER audit_no_delete"] if s.backend == "sqlite"
            else ["DROP TRIGGER audit_no_update ON audit"])
    tamper(s, drop + ["DELETE FROM audit WHERE seq = %d" % total])
    p = s.cli("audit", "verify", check=False)
    assert p.returncode == 1, p.stdout
    assert "seq %d" % total in p.stdout and "链尾不一致" in p.stdout


def test_removed_middle_row_is_found(make_server):
    s = make_server()
    create_user(s, "gap_user")
    drop = (["DROP TRIGGER audit_no_delete"] if s.backend == "sqlite"
            else ["DROP TRIGGER audit_no_update ON audit"])
    tamper(s, drop + ["DELETE FROM audit WHERE seq = 3"])
    p = s.cli("audit", "verify", check=False)
    assert p.returncode == 1, p.stdout
    assert "seq 3" in p.stdout and "第 3 条缺失" in p.stdout


def test_concurrent_writes_keep_the_chain(make_server):
    """Parallel creates (some racing for one name) give one winner each and an intact chain."""
    import threading
    s = make_server(threads=4)
    tok = s.admin()
    before = s.audit_count()
    results = {}
    lock = threading.Lock()

    def worker(k):
        out = []
        for j in range(5):
            name = "race_%d" % j if k % 2 else "par_%d_%d" % (k, j)
            body = {"username": name, "password": "secret-pass-1", "role": "clerk",
                    "org": "340800-QFZX"}
            st, _, data = s.request("POST", "/api/v1/users", body, token=tok, timeout=30)
            out.append((name, st, data["error"]["code"] if st >= 400 else None))
        with lock:
            results[k] = out

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 8, "a worker did not finish"
    rows = [r for out in results.values() for r in out]
    unexpected = [r for r in rows if r[1] not in (201, 409)]
    assert not unexpected, unexpected
    for j in range(5):
        racing = [r for r in rows if r[0] == "race_%d" % j]
        assert len(racing) == 4
        assert sorted(r[1] for r in racing) == [201, 409, 409, 409], racing
        assert all(r[2] == "exists" for r in racing if r[1] == 409)
    created = sum(1 for r in rows if r[1] == 201)
    assert created == 4 * 5 + 5
    names = s.usernames()
    assert len(names) == len(set(names))
    # one audit event per created user, numbered without gaps, chain intact
    assert s.audit_count() == before + created
    seqs = [int(r[0]) for r in s.sql("SELECT seq FROM audit ORDER BY seq")]
    assert seqs == list(range(1, len(seqs) + 1))
    p = s.cli("audit", "verify")
    assert "审计链完整" in p.stdout


# ---- scope and masking (issue 14 item 7) ----------------------------------------------

HEFEI_PASSWORD = "hefei-audit-Pw-2026"


def hefei_supervisor(server):
    """A supervisor of a Hefei organisation (outside Anqing): its token and org code."""
    st, _, o = server.request("POST", "/api/v1/orgs", {
        "code": "340100", "name": "合肥市人民政府", "kind": "city", "region": "340100"},
        token=server.admin())
    assert st == 201, o
    st, _, u = server.request("POST", "/api/v1/users", {
        "username": "hf_supervisor", "password": HEFEI_PASSWORD, "role": "supervisor",
        "org": "340100"}, token=server.admin())
    assert st == 201, u
    return server.login("hf_supervisor", HEFEI_PASSWORD), "340100"


def test_supervisor_reads_only_own_region(make_server):
    server = make_server()
    # Events of Anqing: an officer drafts a policy, an enterprise submits a demand.
    create_user(server, "aq_scope_user")
    st, _, d = server.request("POST", "/api/v1/demands", token=server.login("enterprise"), body={
        "category": "help", "title": "审计范围测试", "content": "内容"})
    assert st == 201, d
    tok, org = hefei_supervisor(server)
    anqing = server.list_all("/api/v1/audit", server.login("supervisor"))
    assert any(i["entity"] == "user" and i["action"] == "user.create" for i in anqing)
    assert any(i["entity"] == "demand" and i["id"] == d["id"] for i in anqing)
    assert all(i["org"] != org for i in anqing)
    hefei = server.list_all("/api/v1/audit", tok)
    # Only its own login: nothing of Anqing, whoever the actor.
    assert hefei and all(i["org"] == org for i in hefei), hefei
    assert {i["action"] for i in hefei} == {"session.login"}
    st, _, page = server.request("GET", "/api/v1/audit?entity=demand&id=" + d["id"], token=tok)
    assert st == 200 and page["items"] == []
    # The admin sees everything.
    everything = server.list_all("/api/v1/audit", server.admin())
    assert len(everything) == server.audit_count()


def test_personal_data_masked(make_server):
    server = make_server()
    phone, idn = "13905561234", "340811199003071230"
    st, _, d = server.request("POST", "/api/v1/demands", token=server.login("enterprise"), body={
        "category": "help", "title": "请回电 %s 身份证 %s" % (phone, idn), "content": "内容",
        "contact_phone": phone})
    assert st == 201, d
    st, _, page = server.request("GET", "/api/v1/audit?entity=demand&id=" + d["id"],
                                 token=server.login("supervisor"))
    assert st == 200 and page["items"], page
    text = str([(i["before"], i["after"]) for i in page["items"]])
    assert phone not in text and idn not in text, text
    assert "139****1234" in text and "340811********1230" in text, text
    # Admins see personal data unmasked, as in enterprise records.
    st, _, page = server.request("GET", "/api/v1/audit?entity=demand&id=" + d["id"],
                                 token=server.admin())
    assert phone in str(page["items"])
