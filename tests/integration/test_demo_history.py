# SPDX-License-Identifier: Apache-2.0
"""
The demo city of `qifu demo --history` (issue 17 item 1, docs/internals/demo.md): 安庆 with
its real county tree, departments with users for every role, a year of demands in every
state and light, grants in every state, applications in review, and a to-do in every
workspace — all read back through the API's list endpoints, on both backends. The history
ends at the test clock's instant (conftest.fixed_instant), so two runs with the same seed
write the same rows. Also: `qifu demo` logs no line per seeded policy (item 10).
"""

import os
import re
import subprocess

import pytest

from conftest import (QIFU_BIN, Server, drop_pg_database, fixed_instant, new_pg_database,
                      qifu_env)

SEED = "7"
HISTORY_TIMEOUT = 600.0  # a ceiling for a stuck process, not a performance threshold

STATES = ["submitted", "accepted", "declined", "answered_directly", "dispatched", "signed",
          "return_requested", "extension_requested", "replied", "reopened", "rated",
          "rectifying", "archived", "merged"]
GRANT_STATES = ["matched", "notified", "confirmed", "declined", "paid"]


def refdata_counties(prefecture="340800"):
    """The current county-level divisions under prefecture in GB/T 2260: {code: name}, read
    from src/codes/regions_table.c, which scripts/gen_refdata.py generates from the shared
    table (../shared/refdata/divisions) and which is committed, so a clean clone has it."""
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    row = re.compile(r'\{"(\d{6})", "([^"]+)", 3, "(\d{6})", true,')
    out = {}
    with open(os.path.join(root, "src", "codes", "regions_table.c"), encoding="utf-8") as f:
        for line in f:
            m = row.search(line)
            if m and m.group(3) == prefecture:
                out[m.group(1)] = m.group(2)
    return out


def run_history(server, seed=SEED):
    """Runs `qifu demo --history --seed seed` against server's database at its clock."""
    p = subprocess.run([QIFU_BIN, "demo", "--history", "--seed", seed, "--db", server.db_url],
                       capture_output=True, text=True, timeout=HISTORY_TIMEOUT,
                       env=qifu_env(server.clock_file), cwd=server.tmp)
    assert p.returncode == 0, "demo --history exited %s:\n%s%s" % (p.returncode, p.stdout,
                                                                    p.stderr)
    return p


# The server's overdue sweep would write into the history being generated (at an instant
# of its own choosing): it waits a day here, as `make run` generates before it serves.
QUIET = ("--sweep-interval", "86400")


@pytest.fixture(scope="module")
def city(backend):
    s = Server(backend, extra=QUIET)
    try:
        s.set_clock(fixed_instant())
        s.history = run_history(s)
        yield s
    finally:
        s.close()


def items(server, path, user):
    st, _, d = server.request("GET", path, token=server.login(user))
    assert st == 200, (path, st, d)
    return d["items"]


def test_the_county_tree_is_the_one_of_the_code_table(city):
    want = refdata_counties()
    assert len(want) == 10 and want["340822"] == "怀宁县"
    orgs = city.list_all("/api/v1/orgs", city.admin())
    counties = {o["code"]: o for o in orgs if o["kind"] == "county"}
    assert sorted(counties) == sorted(want)
    for code, name in want.items():
        assert counties[code]["name"] == name + "人民政府", counties[code]
        assert counties[code]["region"] == code
    codes = {o["code"] for o in orgs}
    for utility in ("340800-GDGS", "340800-SWJT", "340800-RQGS", "340800-DXGS"):
        assert utility in codes


def test_every_role_and_organisation_has_a_user(city):
    users = city.list_all("/api/v1/users", city.admin())
    orgs = city.list_all("/api/v1/orgs", city.admin())
    by = {}
    for u in users:
        by.setdefault((u["org"], u["role"]), []).append(u)
    issuers = {r[0] for r in city.sql(
        "SELECT DISTINCT o.code FROM policies p JOIN orgs o ON o.id = p.org_id")}
    assert len(issuers) >= 9
    for o in orgs:
        code = o["code"]
        if o["kind"] == "county":
            for role in ("clerk", "supervisor", "handler"):
                assert by.get((code, role)), (code, role)
        if o["kind"] == "department" and code != "340800-DCS":
            assert by.get((code, "handler")), code
        if code in issuers:  # no application waits in a queue nobody sees
            assert by.get((code, "policy_officer")), code
    assert by.get(("340800-QFZX", "clerk")) and by.get(("340800-DCS", "supervisor"))
    ents = [u for u in users if u["role"] == "enterprise"]
    assert len(ents) > 100
    # Every demo user logs in with the password demo.
    for name in ("handler.gdgs", "officer.kjj", "clerk.340822", "supervisor.340881"):
        assert city.login(name)


def test_demands_in_every_state_and_light(city):
    tok = city.admin()
    n = int(city.sql("SELECT COUNT(*) FROM demands")[0][0])
    assert 2500 <= n <= 3500
    for state in STATES:
        assert items(city, "/api/v1/demands?limit=1&state=" + state, "admin"), state
    for light in ("red", "yellow", "green"):
        assert items(city, "/api/v1/demands?limit=1&light=" + light, "admin"), light
    channels = dict(city.sql("SELECT channel, COUNT(*) FROM demands GROUP BY channel"))
    assert {"web", "window", "hotline"} <= set(channels), channels
    # 12345 imports went through the import, which audits each file.
    assert int(city.sql("SELECT COUNT(*) FROM audit WHERE action = 'demand.import'")[0][0]) == \
        int(channels["hotline"])
    # 差评 in rectification, overdue and 督办, all on the timelines.
    ev = dict(city.sql("SELECT action, COUNT(*) FROM events WHERE entity = 'demand' "
                       "GROUP BY action"))
    for action in ("submit", "accept", "dispatch", "sign", "reply", "rate", "archive",
                   "merge", "overdue", "request_extension", "approve_extension"):
        assert int(ev.get(action, 0)) > 0, action
    assert int(ev.get("urge", 0)) + int(ev.get("supervise", 0)) > 0
    assert int(city.sql("SELECT COUNT(*) FROM notices")[0][0]) > 1000
    # The history spans the year before the clock: the oldest about a year back.
    first = items(city, "/api/v1/demands?limit=1&state=archived", "admin")
    assert first and tok


def test_grants_and_applications(city):
    for state in GRANT_STATES:
        assert items(city, "/api/v1/grants?limit=1&state=" + state, "admin"), state
    runs = int(city.sql("SELECT COUNT(*) FROM policy_runs WHERE state = 'done'")[0][0])
    assert runs >= 10
    for state in ("submitted", "approved", "rejected", "more_info"):
        assert items(city, "/api/v1/applications?limit=1&state=" + state, "admin"), state


def test_every_workspace_opens_with_something_to_do(city):
    # 企业: replies to rate, a grant to confirm, a rectification to follow.
    replied = items(city, "/api/v1/demands?state=replied", "enterprise")
    assert replied
    assert items(city, "/api/v1/grants?state=notified", "enterprise")
    assert items(city, "/api/v1/demands?state=rectifying", "enterprise")
    # 窗口受理员: new demands to accept, replies to review.
    assert items(city, "/api/v1/demands?state=submitted", "clerk")
    assert items(city, "/api/v1/demands?state=replied", "clerk")
    # 承办人 (经信局): demands to sign; the power company's handler: its own.
    assert items(city, "/api/v1/demands?state=dispatched", "handler")
    assert items(city, "/api/v1/demands?state=signed", "handler.gdgs")
    # 督办员: overdue demands and extensions to decide.
    assert items(city, "/api/v1/demands?light=red", "supervisor")
    assert items(city, "/api/v1/demands?state=extension_requested", "supervisor")
    # 政策专员 (经信局): applications to review, grants to notify.
    assert items(city, "/api/v1/applications?state=submitted", "officer")
    assert items(city, "/api/v1/grants?state=matched", "officer")
    # 管理员: a disabled account, and the audit log.
    users = city.list_all("/api/v1/users", city.admin())
    assert [u["username"] for u in users if u["disabled"]] == ["handler.jxj.old"]
    assert items(city, "/api/v1/audit?limit=5", "admin")


def test_history_is_run_once(city):
    p = run_history(city)
    assert "未再生成" in p.stdout
    assert int(city.sql("SELECT COUNT(*) FROM demands")[0][0]) <= 3500


def snapshot(server):
    """The history's rows that the seed decides (ids, numbers, instants, states...)."""
    return {
        "demands": server.sql(
            "SELECT id, no, credit_code, category, channel, title, state, created_at, "
            "closed_at, rating FROM demands ORDER BY id"),
        "events": server.sql(
            "SELECT entity, entity_id, action, at FROM events ORDER BY id"),
        "grants": server.sql(
            "SELECT policy_id, credit_code, state, amount_fen, created_at FROM grants "
            "ORDER BY id"),
        "applications": server.sql(
            "SELECT policy_id, credit_code, state, created_at FROM applications ORDER BY id"),
        "users": server.sql("SELECT username, display_name, role FROM users ORDER BY username"),
    }


def test_same_seed_same_data(city, backend):
    other = Server(backend, extra=QUIET)
    try:
        other.set_clock(fixed_instant())
        run_history(other)
        a, b = snapshot(city), snapshot(other)
        for k in a:
            assert a[k] == b[k], k
        assert len(a["demands"]) > 2500
    finally:
        other.close()


def test_no_line_per_policy_at_demo_load(city):
    # The history logs warnings only, besides its own progress lines.
    assert " INFO " not in city.history.stderr, city.history.stderr[:2000]
    assert "demo: 诉求" in city.history.stderr
    # Plain `qifu demo` on a fresh database: one line for the set of policies, not one per
    # seeded policy (35 lines before).
    name = None
    if city.backend == "sqlite":
        url = "sqlite:" + os.path.join(city.tmp, "fresh.db")
    else:
        name, url = new_pg_database()
    try:
        for cmd in ("migrate", "demo"):
            p = subprocess.run([QIFU_BIN, cmd, "--db", url], capture_output=True, text=True,
                               timeout=HISTORY_TIMEOUT, env=qifu_env(), cwd=city.tmp)
            assert p.returncode == 0, p.stderr
        lines = [x for x in p.stderr.splitlines() if "policies in force" in x]
        assert len(lines) == 1, lines
    finally:
        if name:
            drop_pg_database(name)
