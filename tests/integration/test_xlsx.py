# SPDX-License-Identifier: Apache-2.0
"""
Excel (.xlsx) export and import, on both backends.

Export: every list and statistics route answers ?format=xlsx with a workbook whose first
row is the Chinese header and whose rows are all the rows the JSON list gives the same
caller under the same filters (read back here with zipfile + ElementTree); dates are date
cells, money is yuan. Import: an .xlsx with the same rows as a CSV file gives the same
report (counts and per-line errors) through the same path.
"""
import datetime
import io
import re
import urllib.parse
import xml.etree.ElementTree as ET
import zipfile

import pytest

import test_demand_import as tdi
import test_import as ti
from conftest import assert_error

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
EPOCH = datetime.date(1899, 12, 30)


# ---- reading a workbook back -----------------------------------------------------


def col_index(ref):
    n = 0
    for ch in re.match(r"[A-Z]+", ref).group(0):
        n = n * 26 + ord(ch) - 64
    return n - 1


class Book:
    """The first sheet of a workbook: rows of cell values (str, float or None) and, for
    each number cell, whether its style is a date format."""

    def __init__(self, data):
        z = zipfile.ZipFile(io.BytesIO(data))
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", NS):
                shared.append("".join(t.text or "" for t in si.iter("{%s}t" % NS["m"])))
        styles = ET.fromstring(z.read("xl/styles.xml"))
        custom = {int(f.get("numFmtId")): f.get("formatCode")
                  for f in styles.iter("{%s}numFmt" % NS["m"])}
        xfs = styles.find("m:cellXfs", NS).findall("m:xf", NS)
        self.fmt = [custom.get(int(x.get("numFmtId", "0")), x.get("numFmtId")) for x in xfs]
        self.rows, self.formats = [], []
        sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
        for row in sheet.find("m:sheetData", NS).findall("m:row", NS):
            r = int(row.get("r"))
            while len(self.rows) < r:
                self.rows.append([])
                self.formats.append([])
            cells, fmts = self.rows[r - 1], self.formats[r - 1]
            for c in row.findall("m:c", NS):
                i = col_index(c.get("r"))
                while len(cells) <= i:
                    cells.append(None)
                    fmts.append(None)
                t, v = c.get("t", "n"), c.find("m:v", NS)
                if t == "inlineStr":
                    cells[i] = "".join(x.text or "" for x in c.iter("{%s}t" % NS["m"]))
                elif t == "s":
                    cells[i] = shared[int(v.text)]
                elif v is not None:
                    cells[i] = float(v.text)
                fmts[i] = self.fmt[int(c.get("s", "0"))]

    def header(self):
        return self.rows[0]

    def column(self, name):
        i = self.header().index(name)
        return [r[i] if i < len(r) else None for r in self.rows[1:]]


def export(server, path, token):
    """GET path with format=xlsx; returns (headers, Book)."""
    sep = "&" if "?" in path else "?"
    c = server.connection()
    try:
        c.request("GET", path + sep + "format=xlsx", headers={"Authorization": "Bearer " + token})
        r = c.getresponse()
        data = r.read()
        assert r.status == 200, (path, r.status, data[:300])
        assert r.getheader("Content-Type") == XLSX
        return r.headers, Book(data)
    finally:
        c.close()


def serial(text):
    """The Excel serial day of YYYY-MM-DD[THH:MM...] (wall time)."""
    d = datetime.datetime.strptime(text[:16].replace("T", " ") if len(text) > 10 else text,
                                   "%Y-%m-%d %H:%M" if len(text) > 10 else "%Y-%m-%d")
    delta = d - datetime.datetime(1899, 12, 30)
    return delta.days + delta.seconds / 86400


# ---- writing a workbook (what Excel or WPS would save) -----------------------------


def make_xlsx(rows):
    """A workbook of rows: str cells go to the shared strings, int cells are numbers,
    ("date", "YYYY-MM-DD") cells are date serials with a date style; None is no cell."""
    shared, index = [], {}
    out = []
    for r, row in enumerate(rows, 1):
        cells = []
        for i, v in enumerate(row):
            ref = "%s%d" % (chr(65 + i) if i < 26 else "A" + chr(65 + i - 26), r)
            if v is None or v == "":
                continue
            if isinstance(v, tuple):
                cells.append('<c r="%s" s="1"><v>%d</v></c>' % (ref, serial(v[1])))
            elif isinstance(v, int):
                cells.append('<c r="%s"><v>%d</v></c>' % (ref, v))
            else:
                if v not in index:
                    index[v] = len(shared)
                    shared.append(v)
                cells.append('<c r="%s" t="s"><v>%d</v></c>' % (ref, index[v]))
        out.append('<row r="%d">%s</row>' % (r, "".join(cells)))
    esc = lambda s: s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    main = 'xmlns="%s"' % NS["m"]
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"/>')
        z.writestr("xl/workbook.xml", '<workbook %s xmlns:r="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/relationships"><sheets><sheet name="导入" sheetId="1" '
                   'r:id="rId1"/></sheets></workbook>' % main)
        z.writestr("xl/_rels/workbook.xml.rels", '<Relationships><Relationship Id="rId1" '
                   'Target="worksheets/sheet1.xml"/></Relationships>')
        z.writestr("xl/styles.xml", '<styleSheet %s><cellXfs count="2"><xf numFmtId="0"/>'
                   '<xf numFmtId="14"/></cellXfs></styleSheet>' % main)
        z.writestr("xl/sharedStrings.xml", '<sst %s>%s</sst>' % (main, "".join(
            '<si><t xml:space="preserve">%s</t></si>' % esc(s) for s in shared)))
        z.writestr("xl/worksheets/sheet1.xml",
                   "<worksheet %s><sheetData>%s</sheetData></worksheet>" % (main, "".join(out)))
    return b.getvalue()


def all_items(server, path, token):
    """Every item of a list, page after page (lists without a cursor have one page)."""
    items, cursor = [], None
    while True:
        sep = "&" if "?" in path else "?"
        url = path + sep + "limit=500" + ("&cursor=" + cursor if cursor else "")
        st, _, data = server.request("GET", url, token=token)
        assert st == 200, (url, st, data)
        items += data["items"]
        cursor = data.get("next_cursor")
        if not cursor:
            return items


def post(server, path, data, ctype, token):
    return server.request("POST", path, raw=data, headers={"Content-Type": ctype}, token=token)


# ---- export ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demands(server):
    """Three demands of the demo enterprise: two left submitted, one accepted."""
    ent = server.login("enterprise")
    ids = []
    for title in ("导出测试：用电报装", "导出测试：融资需求", "导出测试：招工"):
        st, _, d = server.request("POST", "/api/v1/demands", token=ent, body={
            "category": "help", "title": title, "content": "导出测试", "contact_phone":
            "13905561234"})
        assert st == 201, d
        ids.append(d["id"])
    clerk = server.login("clerk")
    st, _, d = server.request("POST", "/api/v1/demands/%s/actions" % ids[2], token=clerk,
                              body={"action": "accept"})
    assert st == 200, d
    return ids


EXPORTS = [
    ("clerk", "/api/v1/demands", ["诉求编号", "标题", "企业名称", "统一社会信用代码"], "no", "诉求编号"),
    ("admin", "/api/v1/enterprises", ["统一社会信用代码", "企业名称", "所在地区", "行业"],
     "credit_code", "统一社会信用代码"),
    ("admin", "/api/v1/users", ["用户名", "姓名", "角色"], "username", "用户名"),
    ("admin", "/api/v1/orgs", ["机构代码", "机构名称", "类型"], "code", "机构代码"),
    ("admin", "/api/v1/audit", ["序号", "时间", "操作人"], None, None),
    ("officer", "/api/v1/policies?state=all", ["政策编号", "政策名称", "文号", "发布部门"], "title",
     "政策名称"),
    ("officer", "/api/v1/grants", ["兑现编号", "政策", "企业名称"], None, None),
    ("officer", "/api/v1/applications", ["申请编号", "政策", "兑现方式"], None, None),
    ("clerk", "/api/v1/notices", ["时间", "类型", "标题"], None, None),
    ("admin", "/api/v1/apikeys", ["编号", "名称", "机构代码"], None, None),
]


@pytest.mark.parametrize("user,path,head,key,col", EXPORTS,
                         ids=[e[1].split("?")[0].rsplit("/", 1)[1] for e in EXPORTS])
def test_export_list(server, demands, user, path, head, key, col):
    tok = server.login(user)
    items = all_items(server, path, tok)
    hdrs, book = export(server, path, tok)
    assert book.header()[:len(head)] == head
    assert len(book.rows) - 1 == len(items), (len(book.rows), len(items))
    if key:
        assert book.column(col) == [str(x[key]) for x in items]
    cd = hdrs["Content-Disposition"]
    name = urllib.parse.unquote(cd.split("filename*=UTF-8''")[1])
    assert re.fullmatch(r"[\u4e00-\u9fffA-Z]+-\d{4}-\d\d-\d\d\.xlsx", name), cd
    assert hdrs.get("X-Export-Truncated") is None


def test_export_demands_filters_dates_and_names(server, demands):
    clerk = server.login("clerk")
    for q in ("state=submitted", "state=accepted", "q=" + urllib.parse.quote("融资")):
        items = all_items(server, "/api/v1/demands?" + q, clerk)
        _, book = export(server, "/api/v1/demands?" + q, clerk)
        assert book.column("诉求编号") == [d["no"] for d in items], q
    _, book = export(server, "/api/v1/demands?state=submitted", clerk)
    items = all_items(server, "/api/v1/demands?state=submitted", clerk)
    assert len(items) >= 2
    assert set(book.column("状态")) == {"已提交"}
    assert set(book.column("紧急程度")) == {"一般"} and set(book.column("渠道")) == {"网上"}
    # The category by its name, not its code.
    st, _, cats = server.request("GET", "/api/v1/categories?all=1")
    names = {}

    def walk(items):
        for c in items:
            names[c["code"]] = c["name"]
            walk(c.get("children") or [])
    walk(cats["items"])
    assert set(book.column("类别")) == {names["help"]} and names["help"] != "help"
    # 提交时间 is a date cell holding the wall time of created_at.
    i = book.header().index("提交时间")
    for row, d in zip(book.rows[1:], items):
        assert abs(row[i] - serial(d["created_at"])) < 1 / 86400 * 61
    assert "yyyy-mm-dd hh:mm" in book.formats[1][i]
    # A filter the JSON list refuses is refused for Excel too.
    assert_error(server.request("GET", "/api/v1/grants?format=xlsx&policy_id=abc",
                                token=server.login("officer")), 400, "invalid", field="policy_id")


def test_export_enterprise_money_and_dates(server):
    admin = server.admin()
    items = all_items(server, "/api/v1/enterprises", admin)
    _, book = export(server, "/api/v1/enterprises", admin)
    cap = book.header().index("注册资本（元）")
    founded = book.header().index("成立日期")
    by_code = {r[0]: r for r in book.rows[1:]}
    checked = 0
    for e in items:
        row = by_code[e["credit_code"]]
        if e.get("registered_capital") is not None:
            assert row[cap] == e["registered_capital"] / 100
            assert book.formats[book.rows.index(row)][cap] == "#,##0.00"
            checked += 1
        if e.get("founded"):
            assert row[founded] == serial(e["founded"])
    assert checked > 0


def test_export_pages_through_the_whole_list(server):
    """More rows than one page (500): the export holds them all."""
    g = ti.Gen(server, 620, 1717, "-xlsx")
    st, _, rep = post(server, "/api/v1/enterprises:import", g.data, "text/csv", server.admin())
    assert st == 200 and rep["created"] == 620, rep
    admin = server.admin()
    items = all_items(server, "/api/v1/enterprises", admin)
    assert len(items) > 500
    _, book = export(server, "/api/v1/enterprises", admin)
    assert book.column("统一社会信用代码") == [e["credit_code"] for e in items]


def test_export_statistics(server, demands):
    sup = server.login("supervisor")
    path = "/api/v1/stats/demands?from=2026-01-01&to=2026-12-31"
    st, _, j = server.request("GET", path, token=sup)
    assert st == 200
    _, book = export(server, path, sup)
    assert book.header() == ["机构代码", "机构名称"] + [c["label"] for c in j["columns"]]
    assert len(book.rows) == 1 + len(j["items"]) + 1
    assert book.rows[-1][0] == "合计"
    k = j["columns"][0]
    assert book.rows[-1][2] == j["total"][k["key"]]
    off = server.login("officer")
    for by in ("policy", "org", "region"):
        st, _, j = server.request("GET", "/api/v1/stats/policies?by=" + by, token=off)
        _, book = export(server, "/api/v1/stats/policies?by=" + by, off)
        assert book.header()[:4] == ["代码", "名称", "匹配/核定笔数", "核定金额（元）"]
        assert len(book.rows) == 1 + len(j["by_" + by]) + 1 and book.rows[-1][0] == "合计"
    # The ranking (通报, issue 17 item 9): its own columns, a row per organisation, no total.
    path = "/api/v1/stats/demand-ranking?from=2026-01-01&to=2026-12-31"
    st, _, j = server.request("GET", path, token=sup)
    assert st == 200, j
    _, book = export(server, path, sup)
    assert book.header() == ["机构代码", "机构名称"] + [c["label"] for c in j["columns"]]
    assert len(book.rows) == 1 + len(j["items"])
    assert [r[1] for r in book.rows[1:]] == [x["org"]["name"] for x in j["items"]]
    st, _, j = server.request("GET", "/api/v1/stats/demand-lights", token=sup)
    _, book = export(server, "/api/v1/stats/demand-lights", sup)
    assert book.header() == ["机构代码", "机构名称", "在办", "绿灯", "黄灯", "红灯"]
    assert len(book.rows) == 1 + len(j["items"]) + 1 and book.rows[-1][2] == j["open"]


def test_export_keeps_the_routes_permissions(server):
    ent = server.login("enterprise")
    assert server.request("GET", "/api/v1/users?format=xlsx", token=ent)[0] == 403
    assert server.request("GET", "/api/v1/demands?format=xlsx")[0] == 401
    # The enterprise's own export holds only its own demands.
    items = all_items(server, "/api/v1/demands", ent)
    _, book = export(server, "/api/v1/demands", ent)
    assert book.column("诉求编号") == [d["no"] for d in items]
    assert set(book.column("统一社会信用代码")) <= {tdi.DEMO_CODE}


# ---- import ------------------------------------------------------------------------


def ent_cells(rows, header=ti.HEADER):
    out = [list(header)]
    for r in rows:
        line = []
        for h in header:
            v = r.get(h, "")
            if h in ti.INT_COLS and re.fullmatch(r"-?\d+", v or ""):
                line.append(int(v))
            elif h in ("founded", "as_of") and re.fullmatch(r"\d{4}-\d\d-\d\d", v or ""):
                line.append(("date", v))
            else:
                line.append(v)
        out.append(line)
    return out


def without_hash(rep):
    rep = dict(rep)
    rep.pop("sha256", None)
    return rep


def test_import_enterprises_xlsx_same_report_as_csv(server):
    g = ti.Gen(server, 30, 1718)
    rows = [dict(r) for r in g.rows]
    rows[3]["credit_code"] = "91340800MA2TXE7U1X"  # bad check character
    rows[7]["region"] = "999999"
    rows[12]["employees"] = "很多"
    rows[20]["name"] = ""
    csv_data = ti.to_csv(rows)
    xlsx = make_xlsx(ent_cells(rows))
    admin = server.admin()
    before = ti.state(server)
    r1 = post(server, "/api/v1/enterprises:import?dry_run=1", csv_data, "text/csv", admin)
    r2 = post(server, "/api/v1/enterprises:import?dry_run=1", xlsx, XLSX, admin)
    assert r1[0] == r2[0] == 200, (r1, r2)
    assert without_hash(r2[2]) == without_hash(r1[2])
    assert r1[2]["invalid"] == 4 and sorted(e["line"] for e in r1[2]["errors"]) == [5, 9, 14, 22]
    # Without dry_run the bad rows refuse the whole file, in the same words.
    r1 = post(server, "/api/v1/enterprises:import", csv_data, "text/csv", admin)
    r2 = post(server, "/api/v1/enterprises:import", xlsx, XLSX, admin)
    assert r1[0] == r2[0] and r1[0] >= 400
    assert r1[2] == r2[2] or without_hash(r1[2].get("report", {})) == without_hash(
        r2[2].get("report", {}))
    assert ti.state(server) == before
    # The good file imports the same from Excel (a browser may send it untyped).
    good = [r for i, r in enumerate(g.rows) if i not in (3, 7, 12, 20)]
    st, _, rep = post(server, "/api/v1/enterprises:import", make_xlsx(ent_cells(good)),
                      "application/octet-stream", admin)
    assert st == 200 and rep["created"] == len(good) and rep["invalid"] == 0, rep
    ti.check_row(server, good[5], source="安庆市数据资源管理局")


def test_import_demands_xlsx_same_report_as_csv(server):
    clerk = server.login("clerk")
    rows = [tdi.row("XL-001"), tdi.row("XL-002", category="咨询"),
            tdi.row("XL-003", category="nope"), tdi.row("XL-004", content="两行\n内容, 带逗号")]
    csv_data = tdi.to_csv(rows, header=tdi.ZH, names=tdi.EN).encode()
    xlsx = make_xlsx([tdi.ZH] + [[r.get(k, "") for k in tdi.EN] for r in rows])
    r1 = post(server, "/api/v1/demands:import?dry_run=1", csv_data, "text/csv", clerk)
    r2 = post(server, "/api/v1/demands:import?dry_run=1", xlsx, XLSX, clerk)
    assert r1[0] == r2[0] == 200
    assert r2[2] == r1[2]  # the sheet becomes exactly the CSV: even the hash agrees
    assert [e["line"] for e in r1[2]["errors"]] == [4]
    st, _, rep = post(server, "/api/v1/demands:import?skip_invalid=1", xlsx, XLSX, clerk)
    assert st == 200 and rep["created"] == 3 and rep["invalid"] == 1, rep
    got = tdi.stored(server, "XL-")
    assert sorted(got) == ["XL-001", "XL-002", "XL-004"]


def test_import_refuses_bad_workbooks(server):
    admin = server.admin()
    before = ti.state(server)
    resp = post(server, "/api/v1/enterprises:import", b"credit_code\n", XLSX, admin)
    assert_error(resp, 400, "invalid", message="不是 Excel")
    resp = post(server, "/api/v1/enterprises:import",
                b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" + b"\0" * 600, XLSX, admin)
    assert_error(resp, 400, "invalid", message=".xls")
    # A zip bomb: a sheet of 40 MiB of blanks, compressed to a few tens of KiB.
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml",
                   "<worksheet><sheetData>" + " " * (40 << 20) + "</sheetData></worksheet>")
    assert len(b.getvalue()) < 200000
    resp = post(server, "/api/v1/enterprises:import", b.getvalue(), XLSX, admin)
    assert_error(resp, 413, "too_large", message="压缩炸弹")
    assert ti.state(server) == before
