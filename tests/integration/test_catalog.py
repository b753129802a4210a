# SPDX-License-Identifier: Apache-2.0
"""Issue 18 items 1 and 5: the 办事指南 catalogue's model, storage, versions and lint
(docs/internals/catalog.md). Reading published guides is public; writing needs catalog.write,
publishing catalog.review."""
import copy
import json
import os
import urllib.parse

import pytest

from conftest import assert_error
from catalog_fixtures import (ANQING_SCJ, DEFECTS, HEFEI_SCJ, guide, impl_code, item,
                              write_dir)


def ok(resp, status=200):
    st, _, d = resp
    assert st == status, d
    return d


def by_code(server, code):
    rows = ok(server.request("GET", "/api/v1/service-items?limit=500"))["items"]
    return {r["impl_code"]: r for r in rows}.get(code)


def test_load_is_idempotent_and_reads_are_public(server):
    d = os.path.join(server.tmp, "cat-load")
    two = item(basic_code="XK0010100Y", impls=[
        {"region": "340100", "agency_name": "合肥市市场监督管理局", "agency_uscc": HEFEI_SCJ,
         "guide": guide()},
        {"region": "340800", "agency_name": "安庆市市场监督管理局", "agency_uscc": ANQING_SCJ,
         "guide": guide(cross_region={"scope": ["长三角"], "regions": ["310000", "340000"],
                                      "mode": "online", "kind": "handle"})}])
    write_dir(d, [two, item(basic_code="GG0030300B", name="招用员工就业登记",
                            dept="人力资源和社会保障局", type_="gg", life_stages=("zhaopin",))])
    out = server.cli("catalog", "load", d).stdout
    assert "实施清单 3（新建 3），发布 3，未变 0" in out, out
    # Unchanged files change nothing: no version, no event.
    events = server.sql("SELECT COUNT(*) FROM events WHERE entity = 'catalog_version'")
    audits = server.sql("SELECT COUNT(*) FROM audit")
    out = server.cli("catalog", "load", d).stdout
    assert "实施清单 3（新建 0），发布 0，未变 3" in out, out
    assert server.sql("SELECT COUNT(*) FROM events WHERE entity = 'catalog_version'") == events
    assert server.sql("SELECT COUNT(*) FROM audit") == audits
    assert server.sql("SELECT COUNT(*) FROM audit WHERE action = 'catalog_item.create' AND "
                      "entity_id = 'XK0010100Y'") == [("1",)]

    hefei = impl_code("XK0010100Y", "340100", HEFEI_SCJ)
    row = by_code(server, hefei)
    assert row == {"id": row["id"], "impl_code": hefei, "name": "食品经营许可（新办）",
                   "item_name": "食品经营许可", "type": "xk", "dept": "市场监督管理局",
                   "agency_name": "合肥市市场监督管理局", "region": "340100",
                   "life_stages": ["zhunru"], "online_depth": 4, "visits": 0,
                   "promised_days": 5, "cross_mode": None}
    one = ok(server.request("GET", "/api/v1/service-items/%d" % row["id"]))
    assert one["codes"] == {"basic_code": "XK0010100Y", "subitem_code": "001",
                            "region": "340100", "agency_uscc": HEFEI_SCJ, "kind": "new",
                            "seq": "01"}
    assert one["item"]["basis"][0]["article"] == "第三十五条"
    assert one["task"] == {"kind": "new", "seq": "01", "name": "食品经营许可（新办）"}
    assert one["agency"] == {"name": "合肥市市场监督管理局", "uscc": HEFEI_SCJ, "org_id": None}
    assert one["version"]["version"] == 1 and one["version"]["state"] == "published"
    assert one["version"]["effective_from"] == "2026-01-01"
    assert one["guide"] == guide()
    assert "actions" not in one["version"]  # the public gets no buttons

    # Filters (over this test's items: the demo data holds the starting catalogue too).
    def ids(q):
        return sorted(r["impl_code"] for r in ok(server.request(
            "GET", "/api/v1/service-items?limit=500&" + q))["items"]
            if r["impl_code"].startswith(("XK0010100Y", "GG0030300B")))
    anqing = impl_code("XK0010100Y", "340800", ANQING_SCJ)
    assert anqing in ids("cross=1") and hefei not in ids("cross=1")
    assert hefei in ids("region=3401") and anqing not in ids("region=3401")
    assert all(c.startswith("GG0030300B") for c in ids("life_stage=zhaopin"))
    assert ids("life_stage=zhaopin") and ids("type=gg") == ids("life_stage=zhaopin")
    assert ids("dept=" + urllib.parse.quote("人力资源和社会保障局")) == ids("type=gg")
    assert by_code(server, anqing)["cross_mode"] == "online"
    assert_error(server.request("GET", "/api/v1/service-items?type=zz"), 400, "invalid",
                 field="type")
    assert_error(server.request("GET", "/api/v1/service-items?region=3"), 400, "invalid",
                 field="region")
    # Paging by cursor.
    first = ok(server.request("GET", "/api/v1/service-items?limit=1"))
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = ok(server.request("GET", "/api/v1/service-items?limit=1&cursor=" +
                               first["next_cursor"]))
    assert second["items"][0]["id"] > first["items"][0]["id"]

    # A changed guide becomes a new published version; the old one is superseded the day
    # before the new one takes effect, and stays readable by everyone.
    two["subitems"][0]["tasks"][0]["impls"][0]["guide"] = guide(
        effective_from="2026-07-01", time_limit={"legal_days": 20, "promised_days": 3})
    two["aliases"] = ["开饭店", "餐饮许可证", "开餐馆"]
    write_dir(d, [two])
    out = server.cli("catalog", "load", d).stdout
    assert "发布 1，未变 2" in out, out
    # The item's own columns changed too: audited with both images.
    rows = server.sql("SELECT before, after FROM audit WHERE action = 'catalog_item.update' AND "
                      "entity_id = 'XK0010100Y'")
    assert len(rows) == 1 and "开餐馆" in rows[0][1] and "开餐馆" not in rows[0][0]
    now = ok(server.request("GET", "/api/v1/service-items/%d" % row["id"]))
    assert now["version"]["version"] == 2 and now["guide"]["time_limit"]["promised_days"] == 3
    old = ok(server.request("GET", "/api/v1/service-items/%d?version=1" % row["id"]))
    assert old["version"]["state"] == "superseded"
    assert old["version"]["effective_to"] == "2026-06-30"
    vs = ok(server.request("GET", "/api/v1/service-items/%d/versions" % row["id"]))["items"]
    assert [(v["version"], v["state"]) for v in vs] == [(2, "published"), (1, "superseded")]
    assert by_code(server, hefei)["promised_days"] == 3
    # Not found, in Chinese.
    assert_error(server.request("GET", "/api/v1/service-items/999999"), 404, "not_found",
                 message="办事指南")
    assert_error(server.request("GET", "/api/v1/service-items/%d?version=9" % row["id"]), 404,
                 "not_found")


REFUSALS = [
    # (change to the ITEM file, field, words of the message)
    (lambda it: it.update(extra=1), "extra", "未知字段"),
    (lambda it: it.update(basic_code="xk-01"), "basic_code", "基本编码"),
    (lambda it: it.update(type="xx"), "type", "事项类型"),
    (lambda it: it.update(life_stages=["kaiye"]), "life_stages[0]", "生命周期"),
    (lambda it: it["subitems"][0].update(code="1"), "subitems[0].code", "3 位数字"),
    (lambda it: it["subitems"][0]["tasks"][0].update(kind="open"),
     "subitems[0].tasks[0].kind", "new"),
    (lambda it: it["subitems"][0]["tasks"][0]["impls"][0].update(region="349999"),
     "subitems[0].tasks[0].impls[0].region", "GB/T 2260"),
    (lambda it: it["subitems"][0]["tasks"][0]["impls"][0].update(
        agency_uscc=HEFEI_SCJ[:17] + ("0" if HEFEI_SCJ[17] != "0" else "1")),
     "subitems[0].tasks[0].impls[0].agency_uscc", "校验位"),
    (lambda it: it["subitems"][0]["tasks"][0]["impls"][0]["guide"].update(materail=[]),
     "subitems[0].tasks[0].impls[0].guide.materail", "未知字段"),
    (lambda it: it["subitems"][0]["tasks"][0]["impls"][0]["guide"]["materials"][2].update(
        when={"fact": "s_chian", "op": "eq", "value": True}),
     "subitems[0].tasks[0].impls[0].guide.materials[2].when.fact", "s_chian"),
    (lambda it: it["subitems"][0]["tasks"][0]["impls"][0]["guide"]["materials"][3].update(
        when={"fact": "s_kind", "op": "eq", "value": "restaurant"}),
     "subitems[0].tasks[0].impls[0].guide.materials[3].when.value", "restaurant"),
    (lambda it: it["subitems"][0]["tasks"][0]["impls"][0]["guide"].update(
        steps=[{"name": "受理", "requirement": "x", "when": {"fact": "employees", "op": "ge",
                                                             "value": "many"}}]),
     "subitems[0].tasks[0].impls[0].guide.steps[0].when.value", None),
    (lambda it: it["subitems"][0]["tasks"][0]["impls"][0]["guide"]["materials"][0].update(
        necessity="must"), "subitems[0].tasks[0].impls[0].guide.materials[0].necessity",
     "必要性"),
    (lambda it: it["subitems"][0]["tasks"][0]["impls"][0]["guide"].update(
        cross_region={"regions": ["310000"], "mode": "online", "kind": "handle",
                      "partner_items": ["XK1-1"]}),
     "subitems[0].tasks[0].impls[0].guide.cross_region.partner_items[0]", "实施编码"),
]


@pytest.mark.parametrize("case", range(len(REFUSALS)))
def test_validation_refuses_with_the_path(server, case):
    change, field, words = REFUSALS[case]
    it = item(basic_code="XK09%04d" % case)
    change(it)
    err = assert_error(server.request("POST", "/api/v1/service-items", it,
                                      token=server.login("catalog")), 400, "invalid",
                       field=field[:63])
    assert err["message"].startswith(field[:40]), err
    if words:
        assert words in err["message"], err
    assert not server.sql("SELECT id FROM catalog_items WHERE basic_code = 'XK09%04d'" % case)


def test_permissions(server):
    it = item(basic_code="XK0880000P")
    assert_error(server.request("POST", "/api/v1/service-items", it), 401, "unauthorized")
    for user in ("enterprise", "clerk", "officer"):
        assert_error(server.request("POST", "/api/v1/service-items", it,
                                    token=server.login(user)), 403, "forbidden")
    d = ok(server.request("POST", "/api/v1/service-items", it, token=server.login("catalog")),
           201)
    iid = d["ids"][0]
    # A draft is nobody's business but the catalogue team's.
    assert_error(server.request("GET", "/api/v1/service-items/%d" % iid), 404, "not_found")
    assert_error(server.request("GET", "/api/v1/service-items/%d?version=1" % iid), 404,
                 "not_found")
    assert_error(server.request("GET", "/api/v1/service-items/%d?version=1" % iid,
                                token=server.login("enterprise")), 404, "not_found")
    assert ok(server.request("GET", "/api/v1/service-items/%d/versions" % iid))["items"] == []
    for path in ("/versions/1/lint", "/versions/1/timeline"):
        assert_error(server.request("GET", "/api/v1/service-items/%d%s" % (iid, path)), 401,
                     "unauthorized")
        assert_error(server.request("GET", "/api/v1/service-items/%d%s" % (iid, path),
                                    token=server.login("enterprise")), 403, "forbidden")
    assert_error(server.request("POST", "/api/v1/service-items/%d/versions/1/actions" % iid,
                                {"action": "submit"}, token=server.login("clerk")), 403,
                 "forbidden")
    assert_error(server.request("GET", "/api/v1/catalog/quality",
                                token=server.login("enterprise")), 403, "forbidden")
    ok(server.request("GET", "/api/v1/catalog/quality", token=server.login("supervisor")))
    # The admin holds both permissions; the catalog role is built in.
    roles = {r["name"]: r for r in ok(server.request(
        "GET", "/api/v1/roles", token=server.admin()))["items"]}
    assert {"catalog.write", "catalog.review"} <= set(roles["admin"]["permissions"])
    assert roles["catalog"]["label"] == "事项目录管理员" and roles["catalog"]["builtin"]
    labels = ok(server.request("GET", "/api/v1/catalog/labels"))
    assert labels["types"]["xk"] == "行政许可" and labels["life_stages"]["zhuxiao"] == "注销退出"
    assert labels["catalog_version"]["states"]["superseded"] == "已被新版本替代"


def test_versions_flow(server):
    cat = server.login("catalog")
    d = ok(server.request("POST", "/api/v1/service-items", item(basic_code="XK0770000F"),
                          token=cat), 201)
    assert d["drafts"] == 1 and d["created"] == 1
    iid = d["ids"][0]
    base = "/api/v1/service-items/%d" % iid
    v1 = ok(server.request("GET", base + "?version=1", token=cat))
    assert v1["version"]["state"] == "draft"
    assert [a["action"] for a in v1["version"]["actions"]] == ["submit"]
    # Posting the same file again changes nothing; a second draft is refused.
    again = ok(server.request("POST", "/api/v1/service-items", item(basic_code="XK0770000F"),
                              token=cat), 201)
    assert again["unchanged"] == 1 and again["drafts"] == 0
    assert_error(server.request("POST", base + "/versions", {}, token=cat), 409, "bad_state")
    # Edit the draft: checked as a guide, lint stored.
    assert_error(server.request("PUT", base + "/versions/1", {"guide": {"bogus": 1}},
                                token=cat), 400, "invalid", field="guide.bogus")
    edited = ok(server.request("PUT", base + "/versions/1",
                               {"guide": guide(consult_phone=None)}, token=cat))
    assert edited["lint"]["ok"] is False
    assert [f["rule"] for f in edited["lint"]["findings"]] == ["consult_phone_missing"]
    ok(server.request("POST", base + "/versions/1/actions", {"action": "submit"}, token=cat))
    assert_error(server.request("PUT", base + "/versions/1", {"guide": guide()}, token=cat),
                 409, "bad_state")
    # Publishing refuses a guide with a lint error; the reviewer sends it back.
    assert_error(server.request("POST", base + "/versions/1/actions", {"action": "approve"},
                                token=cat), 400, "invalid", field="lint", message="咨询电话")
    assert_error(server.request("POST", base + "/versions/1/actions", {"action": "reject"},
                                token=cat), 400, "invalid", field="note")
    ok(server.request("POST", base + "/versions/1/actions",
                      {"action": "reject", "note": "请补充咨询电话"}, token=cat))
    ok(server.request("PUT", base + "/versions/1", {"guide": guide()}, token=cat))
    ok(server.request("POST", base + "/versions/1/actions", {"action": "submit"}, token=cat))
    pub = ok(server.request("POST", base + "/versions/1/actions", {"action": "approve"},
                            token=cat))
    assert pub["version"]["state"] == "published" and pub["lint"]["ok"]
    assert ok(server.request("GET", base))["version"]["version"] == 1
    # A new version copies the published one; the public keeps seeing version 1.
    v2 = ok(server.request("POST", base + "/versions", None, token=cat), 201)
    assert v2["version"]["version"] == 2 and v2["guide"] == guide()
    assert ok(server.request("GET", base))["version"]["version"] == 1
    # Timeline and audit.
    tl = ok(server.request("GET", base + "/versions/1/timeline", token=cat))["items"]
    assert [e["action"] for e in tl] == ["create", "edit", "submit", "reject", "edit",
                                          "submit", "approve"]
    assert server.sql("SELECT COUNT(*) FROM audit WHERE action = 'catalog_version.approve'") != [("0",)]
    # Withdrawing takes it off the public list.
    ok(server.request("POST", base + "/versions/1/actions",
                      {"action": "withdraw", "note": "事项取消"}, token=cat))
    assert_error(server.request("GET", base), 404, "not_found")
    assert by_code(server, v1["impl_code"]) is None


def test_lint_flags_every_2017_defect(server):
    """A test catalogue seeded with each defect: each is flagged (100%), by its rule, and the
    errors refuse publishing while the warnings are flagged and published."""
    cat = server.login("catalog")
    flagged = 0
    for n, (rule, g) in enumerate(DEFECTS):
        it = item(basic_code="DF%04d00" % n, dept="缺陷测试局%d" % (n % 3))
        it["subitems"][0]["tasks"][0]["impls"][0]["guide"] = g
        d = ok(server.request("POST", "/api/v1/service-items", it, token=cat), 201)
        base = "/api/v1/service-items/%d" % d["ids"][0]
        lint = ok(server.request("GET", base + "/versions/1/lint", token=cat))
        rules = [f["rule"] for f in lint["findings"]]
        assert rule in rules, (rule, lint)
        flagged += 1
        sev = [f["severity"] for f in lint["findings"] if f["rule"] == rule][0]
        ok(server.request("POST", base + "/versions/1/actions", {"action": "submit"}, token=cat))
        resp = server.request("POST", base + "/versions/1/actions", {"action": "approve"},
                              token=cat)
        if sev == "error":
            assert_error(resp, 400, "invalid", field="lint")
        else:
            assert ok(resp)["version"]["state"] == "published"
    assert flagged == len(DEFECTS)
    # The clean guide has no finding at all.
    it = item(basic_code="DFCLEAN00", dept="缺陷测试局0")
    d = ok(server.request("POST", "/api/v1/service-items", it, token=cat), 201)
    lint = ok(server.request("GET", "/api/v1/service-items/%d/versions/1/lint" % d["ids"][0],
                             token=cat))
    assert lint["findings"] == [] and lint["ok"] is True
    base = "/api/v1/service-items/%d/versions/1/actions" % d["ids"][0]
    ok(server.request("POST", base, {"action": "submit"}, token=cat))
    ok(server.request("POST", base, {"action": "approve"}, token=cat))
    # The quality board: per department, the share of published guides without findings.
    q = ok(server.request("GET", "/api/v1/catalog/quality", token=server.login("supervisor")))
    depts = {r["dept"]: r for r in q["items"]}
    warned = [(n, rule) for n, (rule, g) in enumerate(DEFECTS)
              if rule in ("material_vague", "step_requirement_missing", "form_blank_missing",
                          "form_sample_missing", "acceptance_conditions_missing",
                          "legal_basis_missing", "results_missing", "steps_missing",
                          "materials_missing")]
    for k in range(3):
        mine = [n for n, _ in warned if n % 3 == k]
        row = depts["缺陷测试局%d" % k]
        clean = 1 if k == 0 else 0
        assert row["guides"] == len(mine) + clean, row
        assert row["clean"] == clean
        assert row["score"] == round(100.0 * clean / row["guides"], 1)
        assert row["findings"] >= len(mine)
    assert q["items"][0]["score"] <= q["items"][-1]["score"]


def test_load_refuses_a_guide_the_lint_refuses(server):
    d = os.path.join(server.tmp, "cat-bad")
    bad = item(basic_code="XK0660000B")
    bad["subitems"][0]["tasks"][0]["impls"][0]["guide"] = guide(complaint_phone=None)
    worse = item(basic_code="XK0660000C")
    worse["subitems"][0]["tasks"][0]["impls"][0]["guide"]["materials"][0]["sorce"] = "x"
    write_dir(d, [bad, worse, item(basic_code="XK0660000D")])
    p = server.cli("catalog", "load", d, check=False)
    assert p.returncode != 0
    # Every bad file is named with its path and rule; the good one is loaded.
    assert "items/XK0660000B.json" in p.stderr and "complaint_phone_missing" in p.stderr, p.stderr
    assert "items/XK0660000C.json" in p.stderr and "materials[0].sorce" in p.stderr, p.stderr
    assert "2 个文件有错误" in p.stderr, p.stderr
    assert not server.sql("SELECT v.id FROM catalog_versions v JOIN catalog_impls m ON "
                          "m.id = v.impl_id WHERE m.impl_code LIKE 'XK0660000B%'")
    assert by_code(server, impl_code("XK0660000D", "340100", HEFEI_SCJ))


def test_bundles_are_stored_when_members_exist(server):
    d = os.path.join(server.tmp, "cat-bundle")
    members = [item(basic_code="QY0010000A", name="企业设立登记"),
               item(basic_code="QY0020000B", name="印章刻制", dept="公安局")]
    bundle = {"code": "YJS-TEST", "name": "测试一件事", "life_stage": "zhunru",
              "lead_dept": "市场监督管理局", "co_depts": ["公安局"],
              "members": [{"basic_code": "QY0010000A", "kind": "new", "role": "lead"},
                          {"basic_code": "QY0020000B", "kind": "new", "role": "co",
                           "deferred": {"when": {"fact": "s_seal", "op": "eq", "value": False},
                                        "reason": "需要刻章时再办理"}}],
              "situations": [{"id": "s_seal", "question": "是否需要刻章？", "type": "bool"}],
              "online": True, "single_result": False}
    write_dir(d, members, [bundle])
    out = server.cli("catalog", "load", d).stdout
    assert "一件事 1（更新 1）" in out, out
    assert "一件事 1（更新 0）" in server.cli("catalog", "load", d).stdout
    stored = server.sql("SELECT state, doc FROM catalog_bundles WHERE code = 'YJS-TEST'")
    assert stored[0][0] == "published" and json.loads(stored[0][1]) == bundle
    # A member that names no 业务办理项 is refused, naming it.
    bad = copy.deepcopy(bundle)
    bad["code"] = "YJS-BAD"
    bad["members"][1]["basic_code"] = "QY0990000Z"
    d2 = os.path.join(server.tmp, "cat-bundle-bad")
    write_dir(d2, [], [bad])
    p = server.cli("catalog", "load", d2, check=False)
    assert p.returncode != 0 and "members[1].basic_code" in p.stderr, p.stderr
    bad["members"][1]["deferred"]["when"]["fact"] = "s_sael"
    bad["members"][1]["basic_code"] = "QY0020000B"
    write_dir(d2, [], [bad])
    p = server.cli("catalog", "load", d2, check=False)
    assert p.returncode != 0 and "members[1].deferred.when.fact" in p.stderr, p.stderr


def test_effective_dates(server):
    """A guide past its effective_to is no longer listed (computed from the date, no sweep);
    its page still answers, saying it is not in force."""
    cat = server.login("catalog")
    d = os.path.join(server.tmp, "cat-dates")
    old = item(basic_code="XK0550000E")
    old["subitems"][0]["tasks"][0]["impls"][0]["guide"] = guide(
        effective_from="2019-01-01", effective_to="2020-12-31")
    write_dir(d, [old, item(basic_code="XK0550000F")])
    server.cli("catalog", "load", d)
    expired = impl_code("XK0550000E", "340100", HEFEI_SCJ)
    current = impl_code("XK0550000F", "340100", HEFEI_SCJ)
    assert by_code(server, expired) is None and by_code(server, current)
    iid = server.sql("SELECT id FROM catalog_impls WHERE impl_code = '%s'" % expired)[0][0]
    page = ok(server.request("GET", "/api/v1/service-items/%s" % iid))
    assert page["version"]["effective_to"] == "2020-12-31"
    assert page["version"]["in_force"] is False
    cur = by_code(server, current)
    assert ok(server.request("GET", "/api/v1/service-items/%d" % cur["id"]))["version"][
        "in_force"] is True
    # An end before the start is refused.
    bad = item(basic_code="XK0550000G")
    bad["subitems"][0]["tasks"][0]["impls"][0]["guide"] = guide(
        effective_from="2026-01-01", effective_to="2025-12-31")
    assert_error(server.request("POST", "/api/v1/service-items", bad, token=cat), 400,
                 "invalid", field="subitems[0].tasks[0].impls[0].guide.effective_to")


def test_plain_demo_loads_the_catalogue(backend, tmp_path):
    """`qifu demo` loads the repository's data/catalog (here $QIFU_CATALOG_DIR) with the rest of
    the demo, and once more changes nothing; the demo user catalog keeps it."""
    if backend != "sqlite":
        pytest.skip("the loader itself runs on both backends in the tests above")
    import subprocess
    from conftest import CLI_TIMEOUT, QIFU_BIN, qifu_env
    d = write_dir(tmp_path / "catalog", [item(basic_code="XK0440000D")])
    db = "sqlite:%s" % (tmp_path / "demo.db")
    env = dict(qifu_env(), QIFU_CATALOG_DIR=str(d))
    run = lambda: subprocess.run([QIFU_BIN, "demo", "--db", db], cwd=tmp_path, env=env,
                                 capture_output=True, text=True, timeout=CLI_TIMEOUT)
    p = run()
    assert p.returncode == 0, p.stderr
    assert "发布 1，未变 0" in p.stdout and "catalog" in p.stdout, p.stdout
    p = run()
    assert p.returncode == 0 and "发布 0，未变 1" in p.stdout, p.stdout + p.stderr
    import sqlite3
    con = sqlite3.connect(tmp_path / "demo.db")
    assert con.execute("SELECT role FROM users WHERE username = 'catalog'").fetchall() == [
        ("catalog",)]
    assert con.execute("SELECT state FROM catalog_versions").fetchall() == [("published",)]


def test_odd_bodies(server):
    cat = server.login("catalog")
    assert_error(server.request("POST", "/api/v1/service-items", [1], token=cat), 400,
                 "invalid", message="应为 JSON 对象")
    d = ok(server.request("POST", "/api/v1/service-items", item(basic_code="XK0330000O"),
                          token=cat), 201)
    base = "/api/v1/service-items/%d/versions" % d["ids"][0]
    assert_error(server.request("PUT", base + "/1", {"guide": None}, token=cat), 400, "invalid",
                 field="guide")
    assert_error(server.request("PUT", base + "/1", {"guide": guide(), "x": 1}, token=cat), 400,
                 "invalid", field="x")
    assert_error(server.request("PUT", base + "/7", {"guide": guide()}, token=cat), 404,
                 "not_found")
    assert_error(server.request("PUT", base + "/abc", {"guide": guide()}, token=cat), 404,
                 "not_found")
    assert_error(server.request("POST", base + "/1/actions", {"action": "publish"}, token=cat),
                 400, "invalid", field="action")
    assert_error(server.request("GET", "/api/v1/service-items/1?version=0"), 400, "invalid",
                 field="version")


def test_submit_tells_the_reviewers_of_the_region(server):
    cat = server.login("catalog")  # 安庆市数据资源管理局: its region is 340800
    it = item(basic_code="XK0220000N", impls=[
        {"region": "340800", "agency_name": "安庆市市场监督管理局", "agency_uscc": ANQING_SCJ,
         "guide": guide()},
        {"region": "340100", "agency_name": "合肥市市场监督管理局", "agency_uscc": HEFEI_SCJ,
         "guide": guide()}])
    ids = ok(server.request("POST", "/api/v1/service-items", it, token=cat), 201)["ids"]
    for iid in ids:
        ok(server.request("POST", "/api/v1/service-items/%d/versions/1/actions" % iid,
                          {"action": "submit"}, token=cat))
    mine = [n for n in ok(server.request("GET", "/api/v1/notices?limit=500", token=cat))["items"]
            if n.get("kind") == "catalog_review" and n["body"].startswith("XK0220000N")]
    assert [n["body"] for n in mine] == [impl_code("XK0220000N", "340800", ANQING_SCJ)], mine
    assert mine[0]["title"] == "办事指南待审核：食品经营许可（新办）（第 1 版）"
    # `qifu catalog load` approves at once and tells nobody (the Anqing impl of the first
    # test was loaded so).
    assert not [n for n in ok(server.request("GET", "/api/v1/notices?limit=500", token=cat))[
        "items"] if n.get("kind") == "catalog_review" and n["body"].startswith("XK0010100Y")]
    # Nobody outside the catalogue team reads it.
    assert not [n for n in ok(server.request("GET", "/api/v1/notices?limit=500",
                                             token=server.login("clerk")))["items"]
                if n.get("kind") == "catalog_review"]
