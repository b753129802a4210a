"""
Excel export (format=xlsx) of the 办事指南 catalogue's lists (issue 18 item 9: the export
buttons of the catalogue pages), on both backends: the published items with Chinese headers
and type names, and the departments' guide-quality board with its total row.
"""

import test_xlsx as tx


def test_export_service_items(server):
    items = tx.all_items(server, "/api/v1/service-items?life_stage=zhunru", server.login("catalog"))
    assert items, "the demo loads the starting catalogue"
    # Public like the list itself: no login needed.
    c = server.connection()
    try:
        c.request("GET", "/api/v1/service-items?life_stage=zhunru&format=xlsx")
        r = c.getresponse()
        data = r.read()
        assert r.status == 200 and r.getheader("Content-Type") == tx.XLSX, (r.status, data[:200])
    finally:
        c.close()
    book = tx.Book(data)
    assert book.header()[:4] == ["实施编码", "事项名称", "业务办理项", "事项类型"]
    assert book.column("实施编码") == [x["impl_code"] for x in items]
    assert book.column("业务办理项") == [x["name"] for x in items]
    st, _, labels = server.request("GET", "/api/v1/catalog/labels")
    assert st == 200
    assert book.column("事项类型") == [labels["types"][x["type"]] for x in items]
    assert book.column("承诺时限（工作日）") == [
        float(x["promised_days"]) if x["promised_days"] is not None else None for x in items]
    modes = {"online": "全程网办", "proxy": "异地代收代办", "joint": "多地联办"}
    assert book.column("跨省通办模式") == [modes.get(x["cross_mode"]) for x in items]


def test_export_catalog_quality(server):
    cat = server.login("catalog")
    st, _, q = server.request("GET", "/api/v1/catalog/quality", token=cat)
    assert st == 200 and q["items"]
    _, book = tx.export(server, "/api/v1/catalog/quality", cat)
    assert book.header() == ["部门", "指南数", "无问题的指南", "问题数", "提示数", "质量分"]
    assert len(book.rows) == 1 + len(q["items"]) + 1
    assert book.column("部门")[:-1] == [x["dept"] for x in q["items"]]
    assert book.column("质量分")[:-1] == [float(x["score"]) for x in q["items"]]
    assert book.rows[-1][0] == "合计" and book.rows[-1][1] == q["total"]["guides"]
    # The board's own permission holds for the export.
    assert server.request("GET", "/api/v1/catalog/quality?format=xlsx",
                          token=server.login("enterprise"))[0] == 403
