# SPDX-License-Identifier: Apache-2.0
"""
Bulk import of enterprises (`qifu import enterprises FILE` and POST
/api/v1/enterprises:import) and the demo data generator (`qifu demo --enterprises N
--seed S`).

Files are made by the generator (valid, unique credit codes) and then changed on
purpose. A file with a bad row must yield a per-line report in Chinese and leave the
registry exactly as it was (enterprises, enterprise_facts, audit); --skip-invalid
imports exactly the valid rows.
"""
import csv
import hashlib
import io
import json
import os
import pty
import random
import re
import subprocess
import urllib.parse

import pytest

from conftest import CLI_TIMEOUT, QIFU_BIN, assert_error, qifu_env

HEADER = ["credit_code", "name", "region", "industry", "founded", "registered_capital", "scale",
          "legal_rep", "address", "tags", "contact_name", "contact_title", "contact_mobile",
          "contact_id_number", "as_of", "employees", "insured_employees", "revenue",
          "rd_expense", "tax_paid", "tax_credit_rating", "dishonest_executee",
          "equipment_investment", "loan_interest", "invention_patents"]
FACT_COLS = HEADER[HEADER.index("employees"):]
INT_COLS = {"registered_capital", "employees", "insured_employees", "revenue", "rd_expense",
            "tax_paid", "equipment_investment", "loan_interest", "invention_patents"}
REPORT = re.compile(r"rows (\d+), invalid (\d+), created (\d+), updated (\d+), unchanged (\d+), "
                    r"facts (\d+): (imported|nothing imported)")
ERROR_LINE = re.compile(r"^第 (\d+) 行(?: \[([^\]]*)\])?：(.*)$")


# ---- helpers ---------------------------------------------------------------------


class Gen:
    """A generated file: its bytes, header and rows (dicts of text)."""

    def __init__(self, server, n, seed, tag=""):
        self.path = os.path.join(server.tmp, "gen-%d-%d%s.csv" % (n, seed, tag))
        p = server.cli("demo", "--enterprises", str(n), "--seed", str(seed), "--out", self.path)
        assert ("已生成 %d 家企业" % n) in p.stdout
        with open(self.path, "rb") as f:
            self.data = f.read()
        reader = csv.DictReader(io.StringIO(self.data.decode("utf-8"), newline=""))
        assert reader.fieldnames == HEADER
        self.rows = list(reader)
        assert len(self.rows) == n
        self.codes = [r["credit_code"] for r in self.rows]
        assert len(set(self.codes)) == n

    def facts(self, rows=None):
        return sum(1 for r in (self.rows if rows is None else rows) for c in FACT_COLS if r[c])


def to_csv(rows, header=HEADER):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow([r.get(h, "") for h in header])
    return out.getvalue().encode("utf-8")


def to_jsonl(rows):
    lines = []
    for r in rows:
        o = {}
        for k, v in r.items():
            if v == "":
                continue
            if k in INT_COLS:
                o[k] = int(v)
            elif k == "dishonest_executee":
                o[k] = v == "true"
            elif k == "tags":
                o[k] = v.split(";")
            else:
                o[k] = v
        lines.append(json.dumps(o, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8")


def write(server, name, data):
    path = os.path.join(server.tmp, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def cli_import(server, path, *flags):
    return server.cli("import", "enterprises", path, *flags, check=False)


def report(p):
    """The counts of a CLI import from its English summary line."""
    m = REPORT.search(p.stdout)
    assert m, "no summary line in:\n%s%s" % (p.stdout, p.stderr)
    keys = ["rows", "invalid", "created", "updated", "unchanged", "facts"]
    out = dict(zip(keys, map(int, m.groups()[:6])))
    out["imported"] = m.group(7) == "imported"
    return out


def cli_errors(p):
    """{line: (field, message)} of the bad rows a CLI import listed."""
    out = {}
    for text in p.stdout.splitlines():
        m = ERROR_LINE.match(text)
        if m:
            out[int(m.group(1))] = (m.group(2) or "", m.group(3))
    return out


def api_errors(rep):
    return {e["line"]: (e["field"], e["message"]) for e in rep["errors"]}


def api_import(server, data, ctype="text/csv", query="", token=None):
    return server.request("POST", "/api/v1/enterprises:import" + query, raw=data,
                          headers={"Content-Type": ctype}, token=token or server.admin())


def state(server):
    """What a refused import must not change (the administrator logged in first: a first
    login is itself audited)."""
    server.admin()
    return (int(server.sql("SELECT COUNT(*) FROM enterprises")[0][0]),
            int(server.sql("SELECT COUNT(*) FROM enterprise_facts")[0][0]),
            int(server.sql("SELECT COUNT(*) FROM enterprise_tags")[0][0]),
            server.audit_count())


def present(server, codes):
    if not codes:
        return set()
    q = ",".join("'%s'" % c for c in codes)
    return {r[0] for r in server.sql("SELECT credit_code FROM enterprises WHERE credit_code IN "
                                     "(%s)" % q)}


def get(server, code, token=None):
    st, _, e = server.request("GET", "/api/v1/enterprises/" + code, token=token or server.admin())
    assert st == 200, (code, e)
    return e


def facts(server, code, history=False):
    st, _, f = server.request("GET", "/api/v1/enterprises/%s/facts%s"
                              % (code, "?history=1" if history else ""), token=server.admin())
    assert st == 200, f
    return f


def check_row(server, row, source="批量导入", status="authoritative"):
    """The stored enterprise and its facts equal the CSV row."""
    e = get(server, row["credit_code"])
    assert e["name"] == row["name"] and e["region"] == row["region"]
    assert e["industry"] == row["industry"] and e["founded"] == row["founded"]
    assert e["registered_capital"] == int(row["registered_capital"])
    assert e["scale"] == row["scale"] and e["legal_rep"] == row["legal_rep"]
    assert e["address"] == row["address"]
    if row["tags"]:
        assert [t["code"] for t in e["tags"]] == sorted(row["tags"].split(";"))
    else:
        assert e["tags"] == []
    if row["contact_name"]:
        c = {"name": row["contact_name"], "title": row["contact_title"],
             "mobile": row["contact_mobile"]}
        if row["contact_id_number"]:
            c["id_number"] = row["contact_id_number"]
        assert e["contacts"] == [c]
    else:
        assert e["contacts"] == []
    f = {i["fact"]: i for i in facts(server, row["credit_code"])["items"]}
    for col in FACT_COLS:
        if not row[col]:
            assert col not in f, col
            continue
        want = int(row[col]) if col in INT_COLS else (
            row[col] == "true" if col == "dishonest_executee" else row[col])
        assert f[col]["value"] == want, (col, f[col], row[col])
        assert f[col]["as_of"] == row["as_of"] and f[col]["status"] == status
        assert f[col]["source"] == source


# ---- a good file --------------------------------------------------------------------


def test_import_generated_file(server):
    g = Gen(server, 300, 11)
    server.admin()  # log in first: a login is audited too
    before = state(server)
    p = cli_import(server, g.path)
    assert p.returncode == 0, p.stdout + p.stderr
    r = report(p)
    assert r == {"rows": 300, "invalid": 0, "created": 300, "updated": 0, "unchanged": 0,
                 "facts": g.facts(), "imported": True}
    assert "已导入" in p.stdout and "行/秒" in p.stdout
    assert "导入 " not in p.stderr  # no progress when stderr is not a terminal
    after = state(server)
    assert after[0] == before[0] + 300 and after[1] == before[1] + g.facts()
    assert after[3] == before[3] + 1  # one enterprise.import event covers the creations
    assert present(server, g.codes) == set(g.codes)
    for row in [g.rows[0], g.rows[1], g.rows[150], g.rows[299]]:
        check_row(server, row)
    # the import event: file, hash and counts
    st, _, page = server.request("GET", "/api/v1/audit?entity=import", token=server.admin())
    ev = page["items"][0]
    assert ev["action"] == "enterprise.import" and ev["actor"].startswith("cli:")
    assert ev["after"]["sha256"] == hashlib.sha256(g.data).hexdigest()
    assert ev["id"] == ev["after"]["sha256"][:16]
    assert ev["after"]["created"] == 300 and ev["after"]["rows"] == 300
    assert ev["after"]["file"].endswith("gen-300-11.csv")
    # the same file again: nothing changes but the import event
    p = cli_import(server, g.path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert report(p) == {"rows": 300, "invalid": 0, "created": 0, "updated": 0,
                         "unchanged": 300, "facts": 0, "imported": True}
    again = state(server)
    assert again[:3] == after[:3] and again[3] == after[3] + 1


def test_import_industry_with_section_letter(server):
    g = Gen(server, 3, 4754)
    rows = [dict(r) for r in g.rows]
    digits = [r["industry"] for r in rows]
    section_of = {}  # division (2 digits) -> section letter, from the public code list
    for t in server.request("GET", "/api/v1/codes/industries")[2]["items"]:
        for x in server.request("GET", "/api/v1/codes/industries?parent=" + t["code"])[2]["items"]:
            section_of[x["code"]] = t["code"]
    sections = [section_of[d[:2]] for d in digits]
    rows[0]["industry"] = sections[0] + digits[0]            # C3491
    rows[1]["industry"] = sections[1].lower() + digits[1]    # c3491
    rows[2]["industry"] = ("A" if sections[2] != "A" else "B") + digits[2]  # wrong section
    p = cli_import(server, write(server, "letters.csv", to_csv(rows)), "--skip-invalid")
    r = report(p)
    assert r["rows"] == 3 and r["created"] == 2 and r["invalid"] == 1, p.stdout + p.stderr
    field, message = cli_errors(p)[4]
    assert field == "industry" and "可带门类字母" in message, message
    for row, want in zip(rows[:2], digits[:2]):
        assert server.sql("SELECT industry FROM enterprises WHERE credit_code = '%s'"
                          % row["credit_code"]) == [(want,)]


def test_imported_names_are_searchable(server):
    g = Gen(server, 300, 11)  # imported by the test above (or imported here)
    if present(server, g.codes) != set(g.codes):
        assert cli_import(server, g.path).returncode == 0
    for row in [g.rows[3], g.rows[77], g.rows[200]]:
        for frag in [row["name"][2:5], row["name"][2:4], row["name"][2:3]]:
            like = {r[0] for r in server.sql(
                "SELECT credit_code FROM enterprises WHERE name LIKE '%%%s%%'" % frag)}
            got = server.list_all("/api/v1/enterprises?q=" + urllib.parse.quote(frag),
                                  server.admin())
            assert {i["credit_code"] for i in got} == like, frag
            assert row["credit_code"] in like


def test_modified_reimport(server):
    g = Gen(server, 200, 21)
    assert cli_import(server, g.path).returncode == 0
    rows = [dict(r) for r in g.rows]
    renamed = next(r for r in rows[5:] if r["contact_mobile"] and r["contact_id_number"])
    old_name = renamed["name"]
    renamed["name"] = "安庆市改名后的测试集团有限公司"
    k = next(i for i in range(6, 200) if rows[i]["revenue"] and rows[i] is not renamed)
    old_revenue = rows[k]["revenue"]
    rows[k]["revenue"] = str(int(old_revenue) + 12345)
    path = write(server, "modified.csv", to_csv(rows))
    before = state(server)
    p = cli_import(server, path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert report(p) == {"rows": 200, "invalid": 0, "created": 0, "updated": 2,
                         "unchanged": 198, "facts": 1, "imported": True}
    after = state(server)
    assert after[0] == before[0] and after[1] == before[1] + 1
    assert after[3] == before[3] + 2  # enterprise.update + enterprise.import
    # the rename: an update event with before/after, and the record (version 2)
    st, _, page = server.request("GET", "/api/v1/audit?entity=enterprise&id=" +
                                 renamed["credit_code"], token=server.admin())
    ev = page["items"]
    assert [x["action"] for x in ev] == ["enterprise.update"]
    assert ev[0]["before"]["name"] == old_name
    assert ev[0]["after"]["name"] == "安庆市改名后的测试集团有限公司"
    assert ev[0]["before"]["region"] == ev[0]["after"]["region"] == renamed["region"]
    assert ev[0]["actor"].startswith("cli:")
    # personal data is masked in the event
    mobile, idn = renamed["contact_mobile"], renamed["contact_id_number"]
    for image in (ev[0]["before"], ev[0]["after"]):
        assert image["contacts"][0]["mobile"] == mobile[:3] + "****" + mobile[-4:]
        assert image["contacts"][0]["id_number"] == idn[:6] + "*" * 8 + idn[-4:]
    assert mobile not in str(ev) and idn not in str(ev)
    e = get(server, renamed["credit_code"])
    assert e["name"] == "安庆市改名后的测试集团有限公司" and e["version"] == 2
    # the search index follows the new name
    got = server.list_all("/api/v1/enterprises?q=" + urllib.parse.quote("改名后的测试"),
                          server.admin())
    assert [i["credit_code"] for i in got] == [renamed["credit_code"]]
    # the revenue: a new value (newest wins), the old one kept in the history
    f = {i["fact"]: i for i in facts(server, rows[k]["credit_code"])["items"]}
    assert f["revenue"]["value"] == int(old_revenue) + 12345
    hist = [i["value"] for i in facts(server, rows[k]["credit_code"], True)["items"]
            if i["fact"] == "revenue"]
    assert hist == [int(old_revenue) + 12345, int(old_revenue)]
    assert get(server, rows[k]["credit_code"])["version"] == 1
    st, _, page = server.request("GET", "/api/v1/audit?entity=import", token=server.admin())
    assert page["items"][0]["after"]["updated"] == 2
    assert page["items"][0]["after"]["facts"] == 1


def test_api_import(server):
    g = Gen(server, 150, 31)
    before = state(server)
    st, _, rep = api_import(server, g.data)
    assert st == 200, rep
    assert rep["rows"] == 150 and rep["invalid"] == 0 and rep["created"] == 150
    assert rep["updated"] == 0 and rep["unchanged"] == 0 and rep["facts"] == g.facts()
    assert rep["imported"] is True and rep["errors"] == []
    assert rep["sha256"] == hashlib.sha256(g.data).hexdigest()
    after = state(server)
    assert after[0] == before[0] + 150 and after[3] == before[3] + 1
    # the admin's organisation is the default source of the facts
    check_row(server, g.rows[10], source="安庆市数据资源管理局")
    st, _, page = server.request("GET", "/api/v1/audit?entity=import", token=server.admin())
    assert page["items"][0]["actor"] == "user:admin"
    st, _, rep = api_import(server, g.data)
    assert st == 200 and rep["unchanged"] == 150 and rep["created"] == 0 and rep["facts"] == 0
    assert state(server)[:3] == after[:3]


def test_import_options(server):
    """Rows without as_of take --as-of; --status and --source apply to every fact."""
    g = Gen(server, 20, 41)
    header = [h for h in HEADER if h != "as_of"]
    path = write(server, "no-as-of.csv", to_csv(g.rows, header))
    p = cli_import(server, path, "--as-of", "2024-06-30", "--status", "self_declared",
                   "--source", "测试来源部门")
    assert p.returncode == 0, p.stdout + p.stderr
    assert report(p)["created"] == 20
    for row in g.rows[:3]:
        row = dict(row, as_of="2024-06-30")
        check_row(server, row, source="测试来源部门", status="self_declared")
    # the API takes the same options as query parameters
    g2 = Gen(server, 10, 42)
    st, _, rep = api_import(server, to_csv(g2.rows, header),
                            query="?as_of=2023-12-31&status=self_declared&source=" +
                            urllib.parse.quote("接口来源"))
    assert st == 200 and rep["created"] == 10, rep
    check_row(server, dict(g2.rows[0], as_of="2023-12-31"), source="接口来源",
              status="self_declared")
    before = state(server)
    assert_error(api_import(server, g2.data, query="?as_of=2023-02-30"), 400, "invalid",
                 field="as_of")
    assert_error(api_import(server, g2.data, query="?status=official"), 400, "invalid",
                 field="status")
    assert state(server) == before


def test_jsonl_import(server):
    g = Gen(server, 60, 51)
    data = to_jsonl(g.rows)
    before = state(server)
    st, _, rep = api_import(server, data, ctype="application/x-ndjson")
    assert st == 200, rep
    assert rep["created"] == 60 and rep["facts"] == g.facts() and rep["invalid"] == 0
    for row in g.rows[:5]:
        check_row(server, row, source="安庆市数据资源管理局")
    assert state(server)[0] == before[0] + 60
    # the CLI detects JSON Lines by itself, or is told
    g2 = Gen(server, 40, 52)
    path = write(server, "g2.jsonl", to_jsonl(g2.rows))
    p = cli_import(server, path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert report(p)["created"] == 40
    check_row(server, g2.rows[7])
    p = cli_import(server, path, "--format", "jsonl")
    assert p.returncode == 0 and report(p)["unchanged"] == 40
    # officials and tags as arrays
    g3 = Gen(server, 2, 53)
    lines = [json.loads(x) for x in to_jsonl(g3.rows).decode("utf-8").splitlines()]
    lines[0]["officials"] = ["handler"]
    lines[1]["tags"] = ["gazelle", "high_tech"]
    data = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines).encode("utf-8")
    st, _, rep = api_import(server, data, ctype="application/jsonl")
    assert st == 200 and rep["created"] == 2, rep
    assert get(server, g3.codes[0])["officials"] == ["handler"]
    assert [t["code"] for t in get(server, g3.codes[1])["tags"]] == ["gazelle", "high_tech"]


def test_jsonl_malformed(server):
    g = Gen(server, 8, 54)
    lines = [json.loads(x) for x in to_jsonl(g.rows).decode("utf-8").splitlines()]
    lines[1]["employees"] = "85"                   # a string where an integer belongs
    lines[2]["colour"] = "red"                     # unknown field
    lines[3]["registered_capital"] = "1000"
    text = [json.dumps(x, ensure_ascii=False) for x in lines]
    text[4] = text[4][:40]                         # truncated JSON
    text[5] = "[1, 2]"                             # not an object
    data = ("\n".join(text) + "\n").encode("utf-8")
    before = state(server)
    r = api_import(server, data, ctype="application/x-ndjson")
    st, _, body = r
    assert st == 422, body
    assert body["error"]["code"] == "import_rejected"
    errs = api_errors(body["report"])
    assert set(errs) == {2, 3, 4, 5, 6}, errs
    assert errs[2][0] == "employees" and "从业人员数" in errs[2][1]
    assert "colour" in errs[3][1]
    assert errs[4][0] == "registered_capital"
    assert errs[6][1] == "每行应为一个 JSON 对象"
    assert body["report"]["imported"] is False and body["report"]["created"] == 0
    assert state(server) == before
    assert present(server, g.codes) == set()
    st, _, rep = api_import(server, data, ctype="application/x-ndjson", query="?skip_invalid=1")
    assert st == 200 and rep["created"] == 3 and rep["invalid"] == 5, rep
    assert present(server, g.codes) == {g.codes[0], g.codes[6], g.codes[7]}


def test_bom_and_crlf(server):
    # BOM + CRLF through the CLI
    g = Gen(server, 50, 61)
    data = b"\xef\xbb\xbf" + g.data.replace(b"\n", b"\r\n")
    p = cli_import(server, write(server, "bom-crlf.csv", data))
    assert p.returncode == 0, p.stdout + p.stderr
    assert report(p)["created"] == 50 and report(p)["facts"] == g.facts()
    for row in [g.rows[0], g.rows[49]]:
        check_row(server, row)
    assert not [r for r in server.sql("SELECT value FROM enterprise_facts") if "\r" in r[0]]
    # CRLF alone, through the CLI
    g = Gen(server, 30, 62)
    p = cli_import(server, write(server, "crlf.csv", g.data.replace(b"\n", b"\r\n")))
    assert p.returncode == 0 and report(p)["created"] == 30, p.stdout + p.stderr
    check_row(server, g.rows[29])
    # BOM + LF through the API, and a file without a final newline
    g = Gen(server, 30, 63)
    st, _, rep = api_import(server, b"\xef\xbb\xbf" + g.data.rstrip(b"\n"))
    assert st == 200 and rep["created"] == 30, rep
    check_row(server, g.rows[0], source="安庆市数据资源管理局")
    check_row(server, g.rows[29], source="安庆市数据资源管理局")


def test_quoted_fields(server):
    g = Gen(server, 4, 71)
    header = ",".join(HEADER).encode()

    def line(row, **over):
        cells = []
        for h in HEADER:
            v = over.get(h, row[h])
            cells.append(v if isinstance(v, bytes) else v.encode("utf-8"))
        return b",".join(cells)

    r0, r1, r2, r3 = g.rows
    data = b"\n".join([
        header,
        line(r0, name='"安庆市""引号""测试,逗号有限公司"'.encode()),
        line(r1, address='"安徽省安庆市宜秀区\n第二行 1 号"'.encode(), legal_rep=b'"\xe7\x8e\x8b\xe4\xbc\x9f"'),
        line(r2, tags=b'"high_tech;private"', contact_name=b'""', contact_title=b"",
             contact_mobile=b"", contact_id_number=b""),
    ]) + b"\n"
    p = cli_import(server, write(server, "quoted.csv", data))
    assert p.returncode == 0, p.stdout + p.stderr
    assert report(p)["created"] == 3
    assert get(server, r0["credit_code"])["name"] == '安庆市"引号"测试,逗号有限公司'
    e = get(server, r1["credit_code"])
    assert e["address"] == "安徽省安庆市宜秀区\n第二行 1 号" and e["legal_rep"] == "王伟"
    e = get(server, r2["credit_code"])
    assert [t["code"] for t in e["tags"]] == ["high_tech", "private"] and e["contacts"] == []
    # line numbers count the physical lines of a quoted field across lines
    bad = data + line(r3, employees=b"abc") + b"\n" + line(r3, name=b'"abc"x') + b"\n" + \
        line(r3, name=b'ab"c') + b"\n"
    before = state(server)
    p = cli_import(server, write(server, "quoted-bad.csv", bad))
    assert p.returncode == 1
    errs = cli_errors(p)
    assert set(errs) == {6, 7, 8}, p.stdout
    assert errs[6][0] == "employees" and "非负整数" in errs[6][1]
    assert "引号后出现多余字符" in errs[7][1]
    assert "未加引号的字段中出现引号" in errs[8][1]
    assert state(server) == before


# ---- a malformed file ---------------------------------------------------------------------


def malformed(g):
    """
    A file of g's rows with one bad line of each kind. Returns (bytes, {line: (field,
    part of the message)}, the credit codes of the valid rows).
    """
    rows = g.rows

    def line(row):
        return to_csv([row]).split(b"\n")[1]

    lines = [to_csv([]).rstrip(b"\n")] + [line(r) for r in rows[:-1]]  # lines 1..len(rows)
    bad = {}
    # line 4: a wrong check digit
    code = rows[2]["credit_code"]
    lines[3] = line(dict(rows[2], credit_code=code[:17] + ("0" if code[17] != "0" else "1")))
    bad[4] = ("credit_code", "校验位错误")
    # line 7: an unknown region code
    lines[6] = line(dict(rows[5], region="349999"))
    bad[7] = ("region", "不是现行的地市或县级行政区划代码")
    # line 9: a wrong type
    lines[8] = line(dict(rows[7], employees="abc"))
    bad[9] = ("employees", "从业人员数（employees）应为非负整数")
    # line 12: a truncated line (fewer columns)
    lines[11] = b",".join(lines[11].split(b",")[:6])
    bad[12] = ("", "有 6 列，表头为 25 列")
    # line 14: invalid UTF-8 in the name
    lines[13] = lines[13].replace(rows[12]["name"].encode(), b"\xff\xfe\xe5\xae\x89", 1)
    bad[14] = ("", "非法的 UTF-8")
    # an extra line repeating the credit code of line 16
    lines.append(line(dict(rows[18], credit_code=rows[14]["credit_code"])))
    bad[len(lines)] = ("credit_code", "与第 16 行重复")
    # and an unterminated quote at the end of the file (no final newline)
    lines.append(line(rows[-1]).replace(b",", b',"', 1))
    bad[len(lines)] = ("", "引号未闭合")
    valid = [r["credit_code"] for i, r in enumerate(rows[:-1]) if i + 2 not in bad]
    return b"\n".join(lines), bad, valid


def check_report(errs, bad):
    assert set(errs) == set(bad), (sorted(errs), sorted(bad))
    for line, (field, part) in bad.items():
        assert errs[line][0] == field, (line, errs[line])
        assert part in errs[line][1], (line, errs[line])
        assert re.search(r"[\u4e00-\u9fff]", errs[line][1]), errs[line]


def test_malformed_file_cli(server):
    g = Gen(server, 24, 81)
    data, bad, valid = malformed(g)
    assert len(valid) == 18
    path = write(server, "malformed.csv", data)
    before = state(server)
    p = cli_import(server, path)
    assert p.returncode == 1, p.stdout + p.stderr
    check_report(cli_errors(p), bad)
    r = report(p)
    assert r == {"rows": 25, "invalid": 7, "created": 0, "updated": 0, "unchanged": 0,
                 "facts": 0, "imported": False}
    assert "未导入任何数据" in p.stdout
    assert state(server) == before
    assert present(server, g.codes) == set()
    # --dry-run: the same report, nothing written
    p = cli_import(server, path, "--dry-run")
    assert p.returncode == 1
    check_report(cli_errors(p), bad)
    assert state(server) == before
    # --skip-invalid: exactly the valid rows
    p = cli_import(server, path, "--skip-invalid")
    assert p.returncode == 0, p.stdout + p.stderr
    check_report(cli_errors(p), bad)
    r = report(p)
    assert r["created"] == 18 and r["invalid"] == 7 and r["imported"] is True
    assert present(server, g.codes) == set(valid)
    good = [row for row in g.rows if row["credit_code"] in valid]
    assert r["facts"] == g.facts(good)
    after = state(server)
    assert after[0] == before[0] + 18 and after[1] == before[1] + g.facts(good)
    assert after[3] == before[3] + 1
    check_row(server, g.rows[14])  # the first of the duplicated pair is the one kept


def test_malformed_file_api(server):
    g = Gen(server, 24, 82)
    data, bad, valid = malformed(g)
    before = state(server)
    st, _, body = api_import(server, data)
    assert st == 422, body
    assert body["error"]["code"] == "import_rejected" and "未导入" in body["error"]["message"]
    rep = body["report"]
    check_report(api_errors(rep), bad)
    assert rep["rows"] == 25 and rep["invalid"] == 7 and rep["imported"] is False
    assert rep["created"] == 0 and rep["facts"] == 0
    assert state(server) == before
    # dry run: 200 with the report, nothing written
    st, _, rep = api_import(server, data, query="?dry_run=1")
    assert st == 200 and rep["imported"] is False and rep["invalid"] == 7, rep
    assert state(server) == before
    st, _, rep = api_import(server, data, query="?skip_invalid=1")
    assert st == 200, rep
    check_report(api_errors(rep), bad)
    assert rep["created"] == 18 and rep["imported"] is True
    assert present(server, g.codes) == set(valid)
    assert state(server)[0] == before[0] + 18


def test_bad_official_is_a_bad_row(server):
    """An unknown 包保 official is reported on its line like any other mistake."""
    g = Gen(server, 4, 83)
    header = HEADER + ["officials"]
    rows = [dict(r, officials="") for r in g.rows]
    rows[0]["officials"] = "handler;supervisor"
    rows[1]["officials"] = "ghost_official"
    rows[2]["officials"] = "enterprise"  # an enterprise user cannot 包保
    data = to_csv(rows, header)
    before = state(server)
    p = cli_import(server, write(server, "officials.csv", data))
    assert p.returncode == 1, p.stdout + p.stderr
    errs = cli_errors(p)
    assert set(errs) == {3, 4}, p.stdout
    assert errs[3][0] == "officials" and "ghost_official" in errs[3][1]
    assert errs[4][0] == "officials" and "enterprise" in errs[4][1]
    assert state(server) == before
    st, _, body = api_import(server, data)
    assert st == 422 and set(api_errors(body["report"])) == {3, 4}, body
    assert state(server) == before
    p = cli_import(server, write(server, "officials.csv", data), "--skip-invalid")
    assert p.returncode == 0, p.stdout + p.stderr
    assert report(p)["created"] == 2
    assert get(server, g.codes[0])["officials"] == ["handler", "supervisor"]
    assert present(server, g.codes) == {g.codes[0], g.codes[3]}


@pytest.mark.parametrize("skip", [False, True])
def test_only_bad_rows(server, skip):
    """A file whose every row is bad imports nothing, with or without skip_invalid."""
    g = Gen(server, 3, 84 + skip)
    rows = [dict(r, region="349999") for r in g.rows]
    before = state(server)
    st, _, body = api_import(server, to_csv(rows), query="?skip_invalid=1" if skip else "")
    assert st == 422, body
    assert set(api_errors(body["report"])) == {2, 3, 4}
    assert state(server) == before


# ---- refusals of the file or the request ------------------------------------------------


@pytest.mark.parametrize("who", ["clerk", "handler", "supervisor", "officer", "enterprise"])
def test_api_import_admin_only(server, who):
    g = Gen(server, 5, 91)
    tok = server.login(who)  # a login is audited: log in before taking the snapshot
    before = state(server)
    assert_error(api_import(server, g.data, token=tok), 403, "forbidden")
    assert_error(server.request("POST", "/api/v1/enterprises:import", raw=g.data,
                                headers={"Content-Type": "text/csv"}), 401, "unauthorized")
    assert state(server) == before
    assert present(server, g.codes) == set()


@pytest.mark.parametrize("ctype", ["application/json", "text/plain", "multipart/form-data",
                                   "application/octet-stream", None])
def test_api_import_content_type(server, ctype):
    g = Gen(server, 5, 92)
    before = state(server)
    r = api_import(server, g.data, ctype=ctype)
    assert_error(r, 415, "unsupported_media_type", message="text/csv")
    assert state(server) == before


def test_unknown_column(server):
    g = Gen(server, 5, 93)
    data = b"".join(ln + (b",favourite_colour\n" if i == 0 else b",x\n")
                    for i, ln in enumerate(g.data.rstrip(b"\n").split(b"\n")))
    before = state(server)
    assert_error(api_import(server, data), 400, "invalid", field="favourite_colour",
                 message="未知的列 favourite_colour")
    p = cli_import(server, write(server, "unknown-col.csv", data))
    assert p.returncode != 0
    assert "favourite_colour" in p.stdout + p.stderr
    # nor a column named twice
    assert_error(api_import(server, b"credit_code,name,region,tags2\n"), 400, "invalid",
                 field="tags2")
    assert_error(api_import(server, b"credit_code,name,name,region\n"), 400, "invalid",
                 field="name", message="重复")
    # no credit_code column; an empty file
    assert_error(api_import(server, b"name,region\n\xe5\xae\x89\xe5\xba\x86,340811\n"), 400,
                 "invalid", field="credit_code")
    assert_error(api_import(server, b""), 400, "invalid", message="文件为空")
    assert_error(api_import(server, b"\xef\xbb\xbf"), 400, "invalid")
    assert state(server) == before


def test_progress_on_terminal(server):
    g = Gen(server, 25000, 95)
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen([QIFU_BIN, "import", "enterprises", g.path, "--dry-run", "--db",
                              server.db_url], stdout=subprocess.PIPE, stderr=slave,
                             env=qifu_env(), cwd=server.tmp)
    finally:
        os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    out, _ = p.communicate(timeout=CLI_TIMEOUT)
    assert p.returncode == 0, out
    tty = b"".join(chunks).decode("utf-8", "replace")
    assert re.search(r"\r导入 20000/\d+ 行 \(\d+%\)", tty), tty
    assert "导入 25000/25000 行 (100%)" in tty, tty
    assert "仅校验，未导入" in out.decode("utf-8")


# ---- the demo data generator --------------------------------------------------------------


def test_generator_is_deterministic(server):
    a = Gen(server, 2000, 7)
    again = Gen(server, 2000, 7, tag="-again")
    assert again.path != a.path
    assert again.data == a.data
    b = Gen(server, 2000, 8)
    assert b.data != a.data and not set(a.codes) & set(b.codes)
    small = Gen(server, 100, 7)
    assert a.data.startswith(small.data)  # N rows are a prefix of more rows
    # every code is valid (checked by the server) and they are all unique
    assert len(set(a.codes)) == 2000
    for row in random.Random(1).sample(a.rows, 50):
        st, _, v = server.request("GET", "/api/v1/codes/credit-codes/" + row["credit_code"])
        assert st == 200 and v["valid"] is True, v
        assert v["region"] == row["region"] == row["credit_code"][2:8]
    assert all(r["region"].startswith("34") for r in a.rows)
    # the file is plausible: sizes, industries, facts mostly present
    scales = {r["scale"] for r in a.rows}
    assert scales == {"micro", "small", "medium", "large"}
    assert all(len(r["industry"]) == 4 for r in a.rows)
    filled = sum(1 for r in a.rows if r["employees"]) / 2000
    assert 0.8 < filled < 0.95


def test_demo_imports_directly(server):
    before = state(server)
    p = server.cli("demo", "--enterprises", "25", "--seed", "96")
    assert report(p)["created"] == 25
    assert state(server)[0] == before[0] + 25
    p = server.cli("demo", "--enterprises", "25", "--seed", "96")
    assert report(p)["unchanged"] == 25


def test_audit_verify(server):
    p = server.cli("audit", "verify")
    assert "审计链完整" in p.stdout
