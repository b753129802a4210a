# SPDX-License-Identifier: Apache-2.0
"""
Batch import of 12345 hotline work orders as demands (`qifu import demands FILE`
and POST /api/v1/demands:import), on both backends.

A file with a bad row yields a per-line report (line, field, Chinese message) and
changes nothing (demands, their timeline, the audit chain); --skip-invalid imports
exactly the good rows; re-importing a file creates nothing and counts every row as
already present. Each test uses its own work-order prefix, so they share one server.
"""
import datetime
import json
import os
import re

from conftest import assert_error, credit_check_digit

DEMO_CODE = "91340100131860916Y"  # the demo enterprise, region 340811 (the clerk's city)
EN = ["external_id", "credit_code", "category", "urgency", "title", "content", "contact_name",
      "contact_phone", "address", "received_at"]
ZH = ["工单编号", "统一社会信用代码", "诉求类别", "紧急程度", "标题", "诉求内容", "联系人",
      "联系电话", "地址", "来电时间"]
REPORT = re.compile(r"read (\d+), created (\d+), already present (\d+), invalid (\d+): "
                    r"(imported|nothing imported)")
ERROR_LINE = re.compile(r"^第 (\d+) 行(?: \[([^\]]*)\])?：(.*)$")
CST = datetime.timezone(datetime.timedelta(hours=8))


def unregistered_code():
    """A credit code with a valid check character that no enterprise has."""
    code17 = "91340800MA2TXE7U1"
    return code17 + credit_check_digit(code17)


def row(ext, **kw):
    r = {"external_id": ext, "credit_code": DEMO_CODE, "category": "融资", "urgency": "紧急",
         "title": "流动资金贷款审批慢", "content": "企业反映流动资金贷款审批时间过长，请协调。",
         "contact_name": "方晓东", "contact_phone": "139 0556 1234", "address": "安庆市宜秀区",
         "received_at": "2025-09-29 10:05"}
    r.update(kw)
    return r


def quote(v):
    if any(ch in v for ch in ',"\r\n'):
        return '"' + v.replace('"', '""') + '"'
    return v


def to_csv(rows, header=EN, names=EN, eol="\n", bom=False):
    lines = [",".join(header)] + [",".join(quote(r.get(k, "")) for k in names) for r in rows]
    return ("\ufeff" if bom else "") + eol.join(lines) + eol


def run(server, name, text, *flags):
    path = os.path.join(server.tmp, name)
    with open(path, "wb") as f:
        f.write(text.encode("utf-8") if isinstance(text, str) else text)
    return server.cli("import", "demands", path, *flags, check=False)


def report(p):
    m = REPORT.search(p.stdout)
    assert m, "no summary line in:\n%s%s" % (p.stdout, p.stderr)
    return {"read": int(m.group(1)), "created": int(m.group(2)), "present": int(m.group(3)),
            "invalid": int(m.group(4)), "imported": m.group(5) == "imported"}


def errors(p):
    out = {}
    for text in p.stdout.splitlines():
        m = ERROR_LINE.match(text)
        if m:
            out[int(m.group(1))] = (m.group(2) or "", m.group(3))
    return out


def stored(server, prefix):
    """The demands of work orders starting with prefix, by external id (the content, which
    may span lines, through content())."""
    rows = server.sql(
        "SELECT external_id, id, credit_code, category, urgency, channel, title, "
        "contact_name, contact_phone, address, received_at, state, created_by, lat, lon "
        "FROM demands WHERE external_id LIKE '%s%%' ORDER BY external_id" % prefix)
    keys = ["id", "credit_code", "category", "urgency", "channel", "title",
            "contact_name", "contact_phone", "address", "received_at", "state", "created_by",
            "lat", "lon"]
    return {r[0]: dict(zip(keys, r[1:])) for r in rows}


def content(server, did):
    st, _, d = server.request("GET", "/api/v1/demands/%s" % did, token=server.admin())
    assert st == 200, d
    return d["content"]


def world(server):
    """What a refused import must not change."""
    return (int(server.sql("SELECT COUNT(*) FROM demands")[0][0]),
            int(server.sql("SELECT COUNT(*) FROM events WHERE entity = 'demand'")[0][0]),
            server.audit_count())


def ms(text):
    d = datetime.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=CST)
    return str(int(d.timestamp() * 1000))


def audit_actions(server, action):
    return int(server.sql("SELECT COUNT(*) FROM audit WHERE action = '%s'" % action)[0][0])


# ---- the tests ---------------------------------------------------------------------


def test_good_file_then_reimport_is_idempotent(server):
    rows = [row("GA-001"),
            row("GA-002", category="consult", urgency="normal", title="",
                content="咨询\n技改补贴申报流程", contact_phone="0556-5551234",
                received_at="2025/9/30 8:00:00"),
            row("GA-003", category="投诉", urgency="特急", received_at="2025-10-09T16:30:00+08:00")]
    before = world(server)
    submits, imports = audit_actions(server, "demand.submit"), audit_actions(server, "demand.import")
    p = run(server, "good.csv", to_csv(rows))
    assert p.returncode == 0, p.stdout + p.stderr
    assert report(p) == {"read": 3, "created": 3, "present": 0, "invalid": 0, "imported": True}
    got = stored(server, "GA-")
    assert sorted(got) == ["GA-001", "GA-002", "GA-003"]
    a, b, c = got["GA-001"], got["GA-002"], got["GA-003"]
    assert (a["category"], a["urgency"], a["channel"], a["state"]) == \
        ("financing", "urgent", "hotline", "submitted")
    assert a["contact_phone"] == "13905561234"  # normalised mobile
    assert a["received_at"] == ms("2025-09-29 10:05")
    assert a["created_by"].startswith("cli:")
    assert (b["category"], b["urgency"], b["contact_phone"]) == ("consult", "normal", "0556-5551234")
    assert b["title"] == "咨询 技改补贴申报流程"  # from the content, on one line
    assert content(server, b["id"]) == "咨询\n技改补贴申报流程"
    assert b["received_at"] == ms("2025-09-30 08:00")
    assert (c["category"], c["urgency"], c["received_at"]) == \
        ("complaint", "critical", ms("2025-10-09 16:30"))
    # The same domain path as the API: a timeline step each, audited, readable over HTTP.
    assert world(server)[0] == before[0] + 3
    assert world(server)[1] == before[1] + 3
    assert audit_actions(server, "demand.submit") == submits + 3
    assert audit_actions(server, "demand.import") == imports + 1
    st, _, d = server.request("GET", "/api/v1/demands/%s" % a["id"], token=server.admin())
    assert st == 200, d
    assert d["external_id"] == "GA-001" and d["received_at"] == "2025-09-29T10:05:00+08:00"
    assert d["channel"] == "hotline" and d["title"] == "流动资金贷款审批慢"
    st, _, t = server.request("GET", "/api/v1/demands/%s/timeline" % a["id"],
                              token=server.login("clerk"))
    assert st == 200 and [s["action"] for s in t["items"]] == ["submit"], t
    # Again: nothing new, every row already present, nothing written.
    after = world(server)
    p = run(server, "good-again.csv", to_csv(rows))
    assert p.returncode == 0, p.stdout + p.stderr
    assert report(p) == {"read": 3, "created": 0, "present": 3, "invalid": 0, "imported": False}
    assert world(server) == after
    assert stored(server, "GA-") == got
    # A file with one new row among old ones creates just that one.
    p = run(server, "good-more.csv", to_csv(rows + [row("GA-004")]))
    assert report(p) == {"read": 4, "created": 1, "present": 3, "invalid": 0, "imported": True}
    assert sorted(stored(server, "GA-")) == ["GA-001", "GA-002", "GA-003", "GA-004"]


def test_bad_lines_reported_and_nothing_imported(server):
    unknown = unregistered_code()
    rows = [row("BA-001"),                                             # line 2: good
            row("BA-002", credit_code="91340100131860916X"),           # 3: check character
            row("BA-003", category="不存在的类别"),                      # 4
            row("BA-004", contact_phone="12345678901234"),             # 5
            row("BA-005", received_at="2025-02-30 10:00"),             # 6
            row("BA-006", credit_code=unknown),                        # 7: not registered
            row("BA-001"),                                             # 8: repeated order
            row("", content="缺少工单编号"),                             # 9
            row("BA-009", urgency="很急"),                              # 10
            row("BA-010", content=""),                                 # 11
            row("BA-011", received_at="2999-01-01 00:00"),             # 12: in the future
            row("BA-012")]                                             # 13: good
    text = to_csv(rows) + "BA-013,only,three\n"                        # 14: short row
    before = world(server)
    p = run(server, "bad.csv", text)
    assert p.returncode == 1, p.stdout + p.stderr
    r = report(p)
    assert r == {"read": 13, "created": 0, "present": 0, "invalid": 11, "imported": False}
    errs = errors(p)
    assert sorted(errs) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14], p.stdout
    assert errs[3][0] == "credit_code" and "校验位" in errs[3][1]
    assert errs[4] == ("category", "诉求类别“不存在的类别”不存在")
    assert errs[5][0] == "contact_phone" and "手机号或固定电话" in errs[5][1]
    assert errs[6][0] == "received_at" and "来电时间" in errs[6][1]
    assert errs[7] == ("credit_code", "企业 %s 尚未在企业库登记" % unknown)
    assert errs[8] == ("external_id", "工单编号 BA-001 与第 2 行重复")
    assert errs[9] == ("external_id", "工单编号（external_id）不能为空")
    assert errs[10][0] == "urgency" and "一般、紧急、特急" in errs[10][1]
    assert errs[11] == ("content", "诉求内容（content）不能为空")
    assert errs[12][0] == "received_at" and "晚于当前时间" in errs[12][1]
    assert errs[14][0] == "" and "表头为 10 列" in errs[14][1]
    assert world(server) == before
    assert stored(server, "BA-") == {}
    # A dry run of the same file reports the same and writes nothing either.
    p = run(server, "bad.csv", text, "--dry-run")
    assert p.returncode == 1 and sorted(errors(p)) == sorted(errs)
    assert world(server) == before
    # --skip-invalid: exactly the two good rows.
    p = run(server, "bad.csv", text, "--skip-invalid")
    assert p.returncode == 0, p.stdout + p.stderr
    assert report(p) == {"read": 13, "created": 2, "present": 0, "invalid": 11, "imported": True}
    assert sorted(stored(server, "BA-")) == ["BA-001", "BA-012"]
    assert world(server)[0] == before[0] + 2


def test_changed_work_order_is_refused(server):
    p = run(server, "c1.csv", to_csv([row("CH-001")]))
    assert report(p)["created"] == 1
    before = world(server)
    p = run(server, "c2.csv", to_csv([row("CH-001", content="工单内容被热线修改过"),
                                      row("CH-002")]))
    assert p.returncode == 1
    errs = errors(p)
    assert list(errs) == [2] and errs[2][0] == "external_id"
    assert "另一件内容不同的诉求" in errs[2][1]
    assert world(server) == before


def test_chinese_header_bom_crlf_quoted_newlines(server):
    text_of_order = '企业反映：\r\n1. 用工缺口 30 人，"急招"焊工；\r\n2. 希望对接职业院校, 谢谢'
    rows = [row("ZH-001", content=text_of_order, category="用工", urgency="一般", title="用工,招聘"),
            row("ZH-002", contact_phone="abc"),  # starts on line 5 after the 3-line content
            row("ZH-003", lat="30.5431", lon="117.0630")]
    text = to_csv(rows, header=[" " + h + " " for h in ZH[:-1]] + ["来电时间", "纬度", "经度"],
                  names=EN + ["lat", "lon"], eol="\r\n", bom=True)
    p = run(server, "zh.csv", text)
    assert p.returncode == 1
    assert errors(p) == {5: ("contact_phone", "联系电话（contact_phone）应为 11 位手机号或固定电话"
                                              "（如 0556-5551234）")}
    p = run(server, "zh.csv", text, "--skip-invalid")
    assert report(p) == {"read": 3, "created": 2, "present": 0, "invalid": 1, "imported": True}
    got = stored(server, "ZH-")
    assert content(server, got["ZH-001"]["id"]) == text_of_order
    assert got["ZH-001"]["title"] == "用工,招聘"
    assert got["ZH-001"]["category"] == "employment"
    assert abs(float(got["ZH-003"]["lat"]) - 30.5431) < 1e-9
    assert abs(float(got["ZH-003"]["lon"]) - 117.0630) < 1e-9
    # A header the importer does not know names the column; nothing is read.
    before = world(server)
    p = run(server, "zh-bad.csv", to_csv([row("ZH-009")], header=ZH[:-1] + ["回访时间"]))
    assert p.returncode == 1 and "未知的列“回访时间”" in p.stderr
    p = run(server, "zh-missing.csv", "工单编号,标题\nX,Y\n")
    assert p.returncode == 1 and "表头缺少 统一社会信用代码（credit_code）列" in p.stderr
    assert world(server) == before


def test_jsonl(server):
    lines = [
        json.dumps({"工单编号": 20250929001, "统一社会信用代码": DEMO_CODE, "诉求类别": "financing",
                    "紧急程度": "urgent", "诉求内容": "申请贴息贷款", "lat": 30.5, "lon": 117.05,
                    "来电时间": "2025-09-29 09:00:00"}, ensure_ascii=False),
        "",
        "{not json",
        json.dumps({"external_id": "JL-3", "credit_code": DEMO_CODE, "category": "help",
                    "content": "求助", "contact_phone": None, "foo": 1}),
        json.dumps({"external_id": "JL-4", "credit_code": DEMO_CODE, "category": "help",
                    "content": "求助", "lat": 30.5}),
        json.dumps({"external_id": "JL-5", "credit_code": DEMO_CODE, "category": "help",
                    "content": "求助", "title": 5}),
    ]
    text = "\n".join(lines) + "\n"
    before = world(server)
    p = run(server, "orders.jsonl", text)
    assert p.returncode == 1
    errs = errors(p)
    assert sorted(errs) == [3, 4, 5, 6], p.stdout
    assert errs[4][1] == "未知的字段 foo"
    assert errs[5][0] == "lon"
    assert errs[6][1] == "标题（title）应为字符串"
    assert world(server) == before
    p = run(server, "orders.jsonl", text, "--skip-invalid")
    assert report(p) == {"read": 5, "created": 1, "present": 0, "invalid": 4, "imported": True}
    d = stored(server, "20250929001")["20250929001"]
    assert (d["category"], d["urgency"], d["title"]) == ("financing", "urgent", "申请贴息贷款")
    assert d["received_at"] == ms("2025-09-29 09:00")


def test_as_user_and_region(server):
    admin = server.admin()
    # An enterprise in Hefei (3401), outside the Anqing clerk's region.
    code17 = "91340100MA2HFT7T2"
    code = code17 + credit_check_digit(code17)
    st, _, e = server.request("POST", "/api/v1/enterprises", {
        "credit_code": code, "name": "合肥测试科技有限公司", "region": "340104",
        "industry": "3491", "founded": "2020-01-01", "registered_capital": 1000000,
        "scale": "small", "legal_rep": "赵六", "address": "合肥市蜀山区"}, token=admin)
    assert st == 201, e
    text = to_csv([row("AS-001"), row("AS-002", credit_code=code)])
    p = run(server, "as.csv", text, "--as", "clerk")
    assert p.returncode == 1
    assert errors(p) == {3: ("credit_code", "该企业不在本窗口的受理范围内")}
    p = run(server, "as.csv", text, "--as", "clerk", "--skip-invalid")
    assert report(p)["created"] == 1
    assert stored(server, "AS-")["AS-001"]["created_by"] == "user:clerk"
    # A handler may not import; an unknown user neither.
    before = world(server)
    p = run(server, "as2.csv", to_csv([row("AS-003")]), "--as", "handler")
    assert p.returncode == 1 and "不能导入诉求" in p.stderr
    p = run(server, "as2.csv", to_csv([row("AS-003")]), "--as", "nobody")
    assert p.returncode == 1 and "用户 nobody 不存在" in p.stderr
    # Another channel is another id space.
    p = run(server, "as3.csv", to_csv([row("AS-001")]), "--channel", "window", "--as", "admin")
    assert report(p)["created"] == 1
    p = run(server, "as3.csv", to_csv([row("AS-001")]), "--channel", "web")
    assert p.returncode == 1 and "导入渠道" in p.stderr
    assert world(server)[0] == before[0] + 1


def test_api_import(server):
    clerk = server.login("clerk")
    text = to_csv([row("AP-001"), row("AP-002", category="咨询")], header=ZH, names=EN)
    st, _, r = server.request("POST", "/api/v1/demands:import?dry_run=1", raw=text.encode(),
                              headers={"Content-Type": "text/csv"}, token=clerk)
    assert st == 200, r
    assert (r["rows"], r["created"], r["imported"]) == (2, 2, False)
    assert stored(server, "AP-") == {}
    st, _, r = server.request("POST", "/api/v1/demands:import", raw=text.encode(),
                              headers={"Content-Type": "text/csv; charset=utf-8"}, token=clerk)
    assert st == 200, r
    assert (r["rows"], r["created"], r["already_present"], r["invalid"], r["imported"]) == \
        (2, 2, 0, 0, True)
    assert len(r["sha256"]) == 64 and r["errors"] == []
    got = stored(server, "AP-")
    assert got["AP-002"]["category"] == "consult" and got["AP-001"]["created_by"] == "user:clerk"
    st, _, r = server.request("POST", "/api/v1/demands:import", raw=text.encode(),
                              headers={"Content-Type": "text/csv"}, token=clerk)
    assert st == 200 and (r["created"], r["already_present"]) == (0, 2)
    # A bad line: 422 with the report, nothing written.
    handler = server.login("handler")
    before = world(server)
    nd = "\n".join([json.dumps({"external_id": "AP-003", "credit_code": DEMO_CODE,
                                "category": "help", "content": "x"}),
                    json.dumps({"external_id": "AP-004", "credit_code": DEMO_CODE,
                                "category": "nope", "content": "x"})]) + "\n"
    resp = server.request("POST", "/api/v1/demands:import", raw=nd.encode(),
                          headers={"Content-Type": "application/x-ndjson"}, token=clerk)
    assert_error(resp, 422, "import_rejected")
    rep = resp[2]["report"]
    assert rep["errors"] == [{"line": 2, "field": "category", "message": "诉求类别“nope”不存在"}]
    assert world(server) == before
    # Only clerks and administrators; only CSV or JSON Lines.
    resp = server.request("POST", "/api/v1/demands:import", raw=nd.encode(),
                          headers={"Content-Type": "application/x-ndjson"},
                          token=handler)
    assert resp[0] == 403
    resp = server.request("POST", "/api/v1/demands:import", raw=b"{}",
                          headers={"Content-Type": "application/json"}, token=clerk)
    assert_error(resp, 415, "unsupported_media_type")
    assert world(server) == before


def test_audit_verify_after_imports(server):
    p = server.cli("audit", "verify")
    assert "audit chain intact" in p.stdout
