# SPDX-License-Identifier: Apache-2.0
"""
Attachments of demands (issue 4 item 3; docs/internals/demand.md "Attachments"):
POST /api/v1/demands/{id}/attachments?name=...&internal=1 with the file as the body,
GET .../attachments (list) and GET .../attachments/{aid} (download).

Checked here on both backends: every allowed type is recognised by its bytes and comes
back byte for byte (SHA-256) with its type and a UTF-8 Content-Disposition; disguised
executables, HTML/SVG, archives, macro documents and non-UTF-8 text are refused with
415 and a Chinese message, as are declared types and extensions that contradict the
bytes; the per-file cap (--max-attachment) answers 413 and the per-demand count 409;
names are cleaned or refused; internal attachments do not exist for the enterprise;
callers without a relation get 404 and administrators 403 on upload; closed demands
refuse uploads with 409; each upload is on the timeline and in the audit chain, a
refused one leaves no trace, and `qifu audit verify` passes at the end.
"""
import hashlib
import io
import json
import os
import struct
import time
import urllib.parse
import zipfile
import zlib

import pytest

from conftest import assert_error, raw_socket, read_http_response

DEMO_CODE = "91340100131860916Y"
JXJ, FGW = "340800-JXJ", "340800-FGW"
HN_CENTER = "340822-QYFW"
PASSWORD = "secret-pass-1"


# ---- sample files, built from their formats ------------------------------------------


def pdf_bytes(text="营业执照扫描件"):
    body = ("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% " + text + "\n"
            "trailer << /Root 1 0 R >>\n%%EOF\n")
    return body.encode("utf-8")


def png_bytes():
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


JPEG = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        b"\xff\xdb\x00\x43\x00" + bytes(range(64)) + b"\xff\xd9")
GIF = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
       b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")


def zip_bytes(entries):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return out.getvalue()


CT = '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
DOCX = zip_bytes({"[Content_Types].xml": CT, "_rels/.rels": "<Relationships/>",
                  "word/document.xml": "<w:document>申请书</w:document>"})
XLSX = zip_bytes({"[Content_Types].xml": CT, "_rels/.rels": "<Relationships/>",
                  "xl/workbook.xml": "<workbook/>", "xl/worksheets/sheet1.xml": "<worksheet/>"})
PPTX = zip_bytes({"[Content_Types].xml": CT, "_rels/.rels": "<Relationships/>",
                  "ppt/presentation.xml": "<p:presentation/>"})
DOCM = zip_bytes({"[Content_Types].xml": CT, "word/document.xml": "<w:document/>",
                  "word/vbaProject.bin": b"\x00VBA"})
OFD = zip_bytes({"OFD.xml": '<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"/>',
                 "Doc_0/Document.xml": "<ofd:Document/>"})
PLAIN_ZIP = zip_bytes({"setup.exe": b"MZ\x90\x00", "readme.txt": "安装说明"})


def cfb_bytes(streams):
    """A minimal OLE2 compound file (MS-CFB v3, 512-byte sectors) holding empty streams."""
    assert len(streams) <= 3
    free, end, fatsect, nostream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
              + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
              + struct.pack("<I", 0) + struct.pack("<I", free) * 108)
    assert len(header) == 512

    def entry(name, kind, child=nostream, right=nostream):
        raw = name.encode("utf-16-le")
        return (raw + bytes(64 - len(raw)) + struct.pack("<HBB", len(raw) + 2, kind, 1)
                + struct.pack("<III", nostream, right, child) + bytes(16 + 4 + 16)
                + struct.pack("<III", end, 0, 0))

    ents = [entry("Root Entry", 5, child=1 if streams else nostream)]
    for i, name in enumerate(streams):
        ents.append(entry(name, 2, right=i + 2 if i + 1 < len(streams) else nostream))
    directory = b"".join(ents)
    directory += bytes(512 - len(directory))
    fat = struct.pack("<II", fatsect, end) + struct.pack("<I", free) * 126
    return header + fat + directory


DOC, XLS, PPT = cfb_bytes(["WordDocument", "1Table"]), cfb_bytes(["Workbook"]), \
    cfb_bytes(["PowerPoint Document", "Current User"])
MSI = cfb_bytes(["\u4840\u3b3f"])  # an installer's stream names are not Office's
DOC_MACROS = cfb_bytes(["WordDocument", "Macros"])

ALLOWED = [
    # (name, bytes, declared Content-Type, stored type)
    ("营业执照.pdf", pdf_bytes(), "application/pdf", "application/pdf"),
    ("现场照片.png", png_bytes(), "image/png", "image/png"),
    ("现场照片2.JPG", JPEG, "image/jpeg", "image/jpeg"),
    ("动图.gif", GIF, "application/octet-stream", "image/gif"),
    ("电子发票.ofd", OFD, "application/ofd", "application/ofd"),
    ("申请书.docx", DOCX,
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("明细表.xlsx", XLSX, "application/zip",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("汇报.pptx", PPTX, None,
     "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ("旧版申请书.doc", DOC, "application/msword", "application/msword"),
    ("旧版明细.xls", XLS, "application/vnd.ms-excel", "application/vnd.ms-excel"),
    ("旧版汇报.ppt", PPT, "application/octet-stream", "application/vnd.ms-powerpoint"),
    ("情况说明.txt", "\ufeff情况说明：园区道路破损，影响货车通行。\r\n联系人 方晓东\n".encode("utf-8"),
     "text/plain; charset=utf-8", "text/plain"),
]

HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
REFUSED = [
    # (name, bytes, declared type, part of the message)
    ("发票.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(64),
     "application/pdf", "可执行程序"),
    ("说明.txt", b"\x7fELF\x02\x01\x01" + bytes(32), "text/plain", "可执行程序"),
    ("说明.txt", HTML, "text/plain", "网页"),
    ("说明.txt", b"  <svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", None, "网页"),
    ("说明.txt", "正文\n<script>alert(1)</script>".encode("utf-8"), "text/plain", "网页"),
    ("说明.txt", b"#!/bin/sh\nrm -rf /\n", "text/plain", "脚本"),
    ("说明.txt", "企业诉求".encode("gbk"), "text/plain", "UTF-8"),
    ("资料.docx", PLAIN_ZIP, "application/zip", "压缩包"),
    ("资料.docx", DOCM, None, "宏"),
    ("资料.doc", DOC_MACROS, "application/msword", "宏"),
    ("安装包.doc", MSI, "application/msword", "OLE2"),
    ("资料.rar", b"Rar!\x1a\x07\x00" + bytes(20), None, "压缩包"),
    ("空.txt", b"", None, "文件为空"),
    ("照片.png", pdf_bytes(), "image/png", "image/png"),
    ("照片.png", pdf_bytes(), "application/pdf", "扩展名 .png"),
    ("说明.txt", "普通文本".encode("utf-8"), "text/html", "text/html"),
]


# ---- the world --------------------------------------------------------------------------


class W:
    def __init__(self, server):
        self.s = server
        admin = server.admin()
        st, _, o = server.request("POST", "/api/v1/orgs", {
            "code": HN_CENTER, "name": "怀宁县企业服务中心", "kind": "center",
            "region": "340822", "parent": "340822"}, token=admin)
        assert st == 201, o
        path = os.path.join(server.tmp, "attach-codes.csv")
        server.cli("demo", "--enterprises", "3", "--seed", "4711", "--out", path)
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        col = lines[0].split(",").index("credit_code")
        code2 = [ln.split(",")[col] for ln in lines[1:] if ln.split(",")[col] != DEMO_CODE][0]
        st, _, e = server.request("POST", "/api/v1/enterprises", {
            "credit_code": code2, "name": "安庆市附件测试有限公司", "region": "340811",
            "industry": "3491", "founded": "2019-06-01", "registered_capital": 1000000,
            "scale": "small", "legal_rep": "王芳", "address": "安徽省安庆市测试路 9 号"},
            token=admin)
        assert st == 201, e
        users = [
            {"username": "att_fgw", "role": "handler", "org": FGW, "display_name": "发改委承办人"},
            {"username": "att_rsj", "role": "handler", "org": "340800-RSJ",
             "display_name": "人社局承办人"},
            {"username": "att_hn", "role": "clerk", "org": HN_CENTER, "display_name": "怀宁县窗口"},
            {"username": "att_ent2", "role": "enterprise", "credit_code": code2,
             "display_name": "另一家企业"},
        ]
        self.tok = {"admin": admin}
        for u in users:
            u["password"] = PASSWORD
            st, _, r = server.request("POST", "/api/v1/users", u, token=admin)
            assert st == 201, r
            self.tok[u["username"]] = server.login(u["username"], PASSWORD)
        for name in ("clerk", "handler", "supervisor", "enterprise"):
            self.tok[name] = server.login(name)

    def req(self, who, method, path, body=None, headers=None, raw=None):
        return self.s.request(method, path, body, headers=headers, raw=raw,
                              token=self.tok[who] if who else None)

    def submit(self):
        st, _, d = self.req("enterprise", "POST", "/api/v1/demands", {
            "category": "help", "title": "园区道路破损影响货车通行",
            "content": "园区纬三路路面破损，请尽快修复。"})
        assert st == 201, d
        return d["id"]

    def act(self, who, did, action, **params):
        st, _, d = self.req(who, "POST", "/api/v1/demands/%s/actions" % did,
                            dict(params, action=action))
        assert st == 200, (who, action, st, d)

    def dispatched(self):
        did = self.submit()
        self.act("clerk", did, "accept")
        self.act("clerk", did, "dispatch", lead=JXJ, co=[FGW])
        return did

    def upload(self, who, did, data, name, ctype="application/octet-stream", internal=None,
               query=None):
        q = {} if name is None else {"name": name}
        if internal is not None:
            q["internal"] = internal
        q.update(query or {})
        path = "/api/v1/demands/%s/attachments" % did
        if q:
            path += "?" + urllib.parse.urlencode(q)
        return self.req(who, "POST", path, raw=data, headers={"Content-Type": ctype})

    def uploaded(self, who, did, data, name, **kw):
        st, hdrs, a = self.upload(who, did, data, name, **kw)
        assert st == 201, (st, a)
        assert hdrs["Location"] == "/api/v1/demands/%s/attachments/%s" % (did, a["id"])
        return a

    def listing(self, who, did):
        st, _, d = self.req(who, "GET", "/api/v1/demands/%s/attachments" % did)
        assert st == 200, (who, st, d)
        assert d["max_files"] == 20
        return d["items"]

    def download(self, who, did, aid):
        """(status, headers, raw bytes) of a download."""
        c = self.s.connection()
        try:
            c.request("GET", "/api/v1/demands/%s/attachments/%s" % (did, aid),
                      headers={"Authorization": "Bearer " + self.tok[who]})
            r = c.getresponse()
            return r.status, r.headers, r.read()
        finally:
            c.close()

    def trace(self, did):
        """What an upload leaves behind: rows, timeline events, audit events."""
        i = int(did)
        return (self.s.sql("SELECT COUNT(*) FROM demand_attachments WHERE demand_id = %d" % i),
                self.s.sql("SELECT COUNT(*) FROM events WHERE entity = 'demand' AND entity_id = %d" % i),
                self.s.audit_count())


@pytest.fixture(scope="module")
def w(server):
    return W(server)


# ---- every allowed type, byte for byte -----------------------------------------------------


def test_allowed_types_round_trip(w):
    did = w.dispatched()
    made = []
    for name, data, ctype, stored in ALLOWED:
        a = w.uploaded("enterprise", did, data, name, ctype=ctype)
        assert a["name"] == name, a
        assert a["content_type"] == stored, (name, a)
        assert a["size"] == len(data) and a["sha256"] == hashlib.sha256(data).hexdigest()
        assert a["internal"] is False and a["demand_id"] == did
        assert a["uploaded_by"] == "示例企业办事员" and a["org"] == DEMO_CODE
        assert isinstance(a["id"], str) and a["created_at"].endswith("+08:00")
        made.append((a, data))
    # Everyone related sees the list, oldest first, with the same JSON.
    for who in ("enterprise", "clerk", "handler", "att_fgw", "supervisor", "admin"):
        assert w.listing(who, did) == [a for a, _ in made], who
    for a, data in made:
        st, hdrs, body = w.download("handler", did, a["id"])
        assert st == 200
        assert hashlib.sha256(body).hexdigest() == a["sha256"] and body == data
        ctype = hdrs["Content-Type"]
        want = "text/plain; charset=utf-8" if a["content_type"] == "text/plain" \
            else a["content_type"]
        assert ctype == want, (a["name"], ctype)
        disp = hdrs["Content-Disposition"]
        assert disp.startswith("attachment; filename=\"attachment-%s." % a["id"]), disp
        assert disp.endswith("filename*=UTF-8''" + urllib.parse.quote(a["name"], safe="")), disp
        assert hdrs["X-Content-Type-Options"] == "nosniff"
        assert hdrs["ETag"] == '"%s"' % a["sha256"]
        assert "sandbox" in hdrs["Content-Security-Policy"]
    # The database holds the bytes themselves.
    rows = w.s.sql("SELECT size, length(data), sha256 FROM demand_attachments "
                   "WHERE demand_id = %d ORDER BY id" % int(did))
    assert rows == [(str(a["size"]), str(a["size"]), a["sha256"]) for a, _ in made]


def test_ascii_name_is_its_own_fallback(w):
    did = w.submit()
    a = w.uploaded("enterprise", did, pdf_bytes(), "license-2025.pdf", ctype="application/pdf")
    st, hdrs, _ = w.download("enterprise", did, a["id"])
    assert st == 200
    assert hdrs["Content-Disposition"] == (
        "attachment; filename=\"license-2025.pdf\"; filename*=UTF-8''license-2025.pdf")


# ---- refused contents --------------------------------------------------------------------


def test_disguised_and_unknown_contents_are_refused(w):
    did = w.dispatched()
    before = w.trace(did)
    for name, data, ctype, words in REFUSED:
        err = assert_error(w.upload("enterprise", did, data, name, ctype=ctype or None),
                           415, "unsupported_media_type")
        assert words in err["message"], (name, words, err)
    assert w.trace(did) == before, "a refused upload left a trace"
    # The message of an unknown type names what is accepted.
    err = assert_error(w.upload("enterprise", did, HTML, "页面.html", ctype="text/html"), 415,
                       "unsupported_media_type")
    assert "PDF" in err["message"] and "UTF-8 纯文本" in err["message"], err
    # A multipart form is not how files are sent here; the message says how.
    err = assert_error(w.upload("enterprise", did, b"--x\r\n\r\n--x--", "a.pdf",
                                ctype="multipart/form-data; boundary=x"),
                       415, "unsupported_media_type")
    assert "name" in err["message"]
    assert w.trace(did) == before


def test_too_large_is_413(make_server):
    s = make_server(extra=["--max-attachment", "4096"])
    w = W(s)
    did = w.submit()
    assert_error(w.upload("enterprise", did, pdf_bytes() + b"0" * 5000, "大.pdf"), 413,
                 "too_large")
    exact = pdf_bytes()
    exact += b"%" * (4096 - len(exact))
    a = w.uploaded("enterprise", did, exact, "刚好.pdf")
    assert a["size"] == 4096
    assert [x["id"] for x in w.listing("enterprise", did)] == [a["id"]]


def test_default_cap_and_bad_flag(server, w):
    did = w.submit()
    # One byte over 10 MiB: refused from its Content-Length alone, before any body byte.
    sock = raw_socket(server)
    try:
        sock.sendall(("POST /api/v1/demands/%s/attachments?name=big.pdf HTTP/1.1\r\nHost: t\r\n"
                      "Content-Type: application/pdf\r\nContent-Length: %d\r\n"
                      "Authorization: Bearer %s\r\n\r\n"
                      % (did, 10 * 1024 * 1024 + 1, w.tok["enterprise"])).encode())
        status, hdrs, body, _ = read_http_response(sock, time.monotonic() + 10)
    finally:
        sock.close()
    assert status == 413, (status, body)
    assert json.loads(body)["error"]["code"] == "too_large"
    # Exactly 10 MiB is accepted.
    exact = pdf_bytes()
    exact += b"%" * (10 * 1024 * 1024 - len(exact))
    assert w.uploaded("enterprise", did, exact, "十兆.pdf")["size"] == 10 * 1024 * 1024
    st, _, got = w.download("clerk", did, w.listing("clerk", did)[0]["id"])
    assert st == 200 and got == exact
    p = server.cli("serve", "--listen", "127.0.0.1:0", "--max-attachment", "100000000",
                   check=False)
    assert p.returncode != 0 and "--max-attachment" in p.stderr, p.stderr


# ---- names --------------------------------------------------------------------------------


def test_names(w):
    did = w.submit()
    before = w.trace(did)
    assert_error(w.upload("enterprise", did, pdf_bytes(), None), 400, "invalid", field="name")
    assert_error(w.upload("enterprise", did, pdf_bytes(), ""), 400, "invalid", field="name")
    assert_error(w.upload("enterprise", did, pdf_bytes(), "报告\x01.pdf"), 400, "invalid",
                 field="name", message="控制字符")
    assert_error(w.upload("enterprise", did, pdf_bytes(), "报告\u202efdp.exe"), 400, "invalid",
                 field="name", message="方向")
    assert_error(w.upload("enterprise", did, pdf_bytes(), "长" * 117 + ".pdf"), 400, "invalid",
                 field="name", message="120")
    assert_error(w.upload("enterprise", did, pdf_bytes(), "../.."), 400, "invalid",
                 field="name", message="为空")
    assert w.trace(did) == before
    cases = [
        ("..\\..\\Windows\\报告.pdf", "报告.pdf"),
        ("/etc/passwd/申请.pdf", "申请.pdf"),
        ("a<b>:c|d?*.pdf", "a_b__c_d__.pdf"),
        ("  .隐藏文件.pdf. ", "隐藏文件.pdf"),
        ("营业执照", "营业执照.pdf"),
        ("2025.03 会议纪要", "2025.03 会议纪要.pdf"),
        ("长" * 116 + ".pdf", "长" * 116 + ".pdf"),
    ]
    for sent, stored in cases:
        assert w.uploaded("enterprise", did, pdf_bytes(), sent)["name"] == stored, sent
    assert_error(w.upload("enterprise", did, pdf_bytes(), "报告", internal="yes"), 400,
                 "invalid", field="internal")


# ---- who may see and upload ----------------------------------------------------------------


def test_internal_attachments_are_hidden_from_the_enterprise(w):
    did = w.dispatched()
    pub = w.uploaded("handler", did, pdf_bytes("公开"), "答复材料.pdf")
    internal = w.uploaded("handler", did, pdf_bytes("内部"), "内部审批单.pdf", internal="1")
    assert internal["internal"] is True and internal["uploaded_by"] == "经信局承办人"
    assert internal["org"] == "安庆市经济和信息化局"
    assert [a["id"] for a in w.listing("enterprise", did)] == [pub["id"]]
    for who in ("clerk", "handler", "att_fgw", "supervisor", "admin"):
        assert [a["id"] for a in w.listing(who, did)] == [pub["id"], internal["id"]], who
    assert_error(w.req("enterprise", "GET", "/api/v1/demands/%s/attachments/%s"
                       % (did, internal["id"])), 404, "not_found")
    assert w.download("clerk", did, internal["id"])[2] == pdf_bytes("内部")
    # The timeline shows the enterprise only the public upload.
    st, _, t = w.req("enterprise", "GET", "/api/v1/demands/%s/timeline" % did)
    mine = [e for e in t["items"] if e["action"] == "attach"]
    assert [e["data"]["attachment_id"] for e in mine] == [pub["id"]]
    st, _, t = w.req("clerk", "GET", "/api/v1/demands/%s/timeline" % did)
    events = [e for e in t["items"] if e["action"] == "attach"]
    assert [(e["data"]["attachment_id"], e["internal"], e["label"]) for e in events] == [
        (pub["id"], False, "上传附件"), (internal["id"], True, "上传附件")]
    assert events[1]["data"]["name"] == "内部审批单.pdf"
    assert events[1]["to_state"] == "dispatched"
    # The enterprise cannot make internal attachments.
    before = w.trace(did)
    assert_error(w.upload("enterprise", did, pdf_bytes(), "a.pdf", internal="1"), 403,
                 "forbidden", field="internal")
    assert w.trace(did) == before


def test_strangers_and_administrators(w):
    did = w.dispatched()
    a = w.uploaded("enterprise", did, pdf_bytes(), "材料.pdf")
    before = w.trace(did)
    for who in ("att_ent2", "att_rsj", "att_hn"):
        assert_error(w.req(who, "GET", "/api/v1/demands/%s/attachments" % did), 404,
                     "not_found")
        assert_error(w.req(who, "GET", "/api/v1/demands/%s/attachments/%s" % (did, a["id"])),
                     404, "not_found")
        assert_error(w.upload(who, did, pdf_bytes(), "x.pdf"), 404, "not_found")
    # Administrators read, never write.
    assert w.download("admin", did, a["id"])[2] == pdf_bytes()
    assert_error(w.upload("admin", did, pdf_bytes(), "x.pdf"), 403, "forbidden",
                 message="管理员")
    assert w.trace(did) == before
    # Every relation may upload: intake, lead, co-handler, oversight (and the owner above).
    for who in ("clerk", "handler", "att_fgw", "supervisor"):
        w.uploaded(who, did, pdf_bytes(who), who + ".pdf")
    # Ids that do not exist, or belong to another demand, are 404.
    other = w.submit()
    assert_error(w.req("enterprise", "GET", "/api/v1/demands/%s/attachments/%s"
                       % (other, a["id"])), 404, "not_found")
    for path in ("/api/v1/demands/x/attachments", "/api/v1/demands/%s/attachments/0" % did,
                 "/api/v1/demands/999999/attachments"):
        assert_error(w.req("enterprise", "GET", path), 404, "not_found")
    assert_error(w.req(None, "GET", "/api/v1/demands/%s/attachments" % did), 401,
                 "unauthorized")


def test_closed_demands_refuse_uploads(w):
    archived = w.submit()
    early = w.uploaded("enterprise", archived, pdf_bytes(), "早前材料.pdf")
    w.act("clerk", archived, "answer_directly", note="已电话答复。")
    w.act("clerk", archived, "archive")
    declined = w.submit()
    w.act("clerk", declined, "decline", note="不属于受理范围。")
    for did, label in ((archived, "已归档"), (declined, "不予受理")):
        before = w.trace(did)
        for who in ("enterprise", "clerk"):
            assert_error(w.upload(who, did, pdf_bytes(), "迟到.pdf"), 409, "bad_state",
                         message=label)
        assert w.trace(did) == before
    # What was attached before stays readable.
    assert [a["id"] for a in w.listing("enterprise", archived)] == [early["id"]]
    assert w.download("enterprise", archived, early["id"])[2] == pdf_bytes()


def test_at_most_twenty_per_demand(w):
    did = w.submit()
    for i in range(20):
        w.uploaded("enterprise", did, ("第 %d 份\n" % i).encode("utf-8"), "说明%d.txt" % i,
                   ctype="text/plain")
    before = w.trace(did)
    assert_error(w.upload("clerk", did, pdf_bytes(), "第21份.pdf"), 409, "conflict",
                 message="20")
    assert w.trace(did) == before
    assert len(w.listing("clerk", did)) == 20


# ---- timeline, audit, openapi ----------------------------------------------------------------


def test_audit_events_and_openapi(server, w):
    did = w.submit()
    a = w.uploaded("enterprise", did, pdf_bytes(), "审计.pdf")
    b = w.uploaded("clerk", did, png_bytes(), "内部.png", internal="1")
    events = server.list_all("/api/v1/audit?entity=demand&id=%s" % did, w.tok["admin"])
    attach = [e for e in events if e["action"] == "demand.attach"]
    assert len(attach) == 2, events
    by_id = {e["after"]["attachment_id"]: e for e in attach}
    assert by_id[a["id"]]["after"]["sha256"] == a["sha256"]
    assert by_id[a["id"]]["after"]["internal"] is False
    assert by_id[b["id"]]["after"]["internal"] is True
    assert by_id[b["id"]]["after"]["content_type"] == "image/png"
    assert by_id[a["id"]]["actor"] == "user:enterprise"
    st, _, doc = server.request("GET", "/api/v1/openapi.json")
    assert st == 200
    paths = doc["paths"]
    assert "post" in paths["/api/v1/demands/{id}/attachments"]
    assert "get" in paths["/api/v1/demands/{id}/attachments"]
    assert "get" in paths["/api/v1/demands/{id}/attachments/{aid}"]


def test_audit_chain_verifies(server, w):
    p = server.cli("audit", "verify")
    assert p.returncode == 0, p.stdout + p.stderr
