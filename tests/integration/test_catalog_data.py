"""The repository's starting catalogue (data/catalog, issue 18 item 8) as `qifu demo` loads it:
every guide published with a clean lint, part 2's life stages and named items present, the
一件事 bundles stored, every synonym pointing at an item or a bundle that exists.

Part 2 (招聘用工, 纳税缴费, 经营发展, 注销退出 and the bundles) is written with part 1 (准入准营,
工程建设, G60): the bundles name part 1's items (企业设立登记, 印章刻制, 银行预约开户 …), so the demo
loads only when both parts are in the tree."""
import json
import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(REPO, "data", "catalog")

PART2_NAMES = [
    "招用员工就业登记", "社会保险登记", "员工参保登记", "住房公积金缴存登记", "劳务派遣经营许可",
    "人力资源服务许可", "发票领用", "企业所得税申报", "税务注销", "清税证明", "高新技术企业认定",
    "企业技术中心认定", "专精特新中小企业认定", "特种设备使用登记", "商标注册申请受理",
    "专利权质押登记受理", "企业注销登记", "企业简易注销登记",
]
BUNDLES = ["YJS-QYKB", "YJS-QYZX", "YJS-CYKB", "YJS-YGZP", "YJS-QYBG"]


def part2_files():
    return sorted(f for f in os.listdir(os.path.join(DATA, "items"))
                  if f.endswith(".json") and f[6] in "56789")


def test_every_guide_is_published_and_lint_clean(server):
    rows = server.sql("SELECT state, lint FROM catalog_versions")
    assert rows, "the demo loaded no catalogue"
    bad = [(s, l) for s, l in rows
           if s != "published" or json.loads(l)["errors"] or json.loads(l)["warnings"]
           or json.loads(l)["findings"]]
    assert bad == [], bad[:5]


def test_part2_items_and_tasks(server):
    files = part2_files()
    assert len(files) >= 50
    n_impls = 0
    for f in files:
        with open(os.path.join(DATA, "items", f), encoding="utf-8") as fh:
            doc = json.load(fh)
        assert doc["basic_code"] + ".json" == f
        n_impls += sum(len(t["impls"]) for s in doc["subitems"] for t in s["tasks"])
    stored = server.sql(
        "SELECT COUNT(*) FROM catalog_impls m JOIN catalog_tasks t ON t.id = m.task_id "
        "JOIN catalog_subitems s ON s.id = t.subitem_id JOIN catalog_items i ON i.id = s.item_id "
        "WHERE substr(i.basic_code, 7, 1) IN ('5', '6', '7', '8', '9') "
        "AND m.published_version_id IS NOT NULL")
    assert int(stored[0][0]) == n_impls and n_impls >= 70, (stored, n_impls)
    names = {r[0] for r in server.sql("SELECT name FROM catalog_items")}
    assert [n for n in PART2_NAMES if n not in names] == []
    stages = {s for r in server.sql("SELECT life_stages FROM catalog_items")
              for s in json.loads(r[0])}
    assert {"zhaopin", "nashui", "jingying", "zhuxiao"} <= stages


def test_bundles_are_stored(server):
    rows = dict(server.sql("SELECT code, state FROM catalog_bundles"))
    assert {c: rows.get(c) for c in BUNDLES} == {c: "published" for c in BUNDLES}
    kb = json.loads(server.sql("SELECT doc FROM catalog_bundles WHERE code = 'YJS-QYKB'")[0][0])
    assert len([m for m in kb["members"] if m.get("deferred")]) >= 2  # 税务 waits for a 财务负责人
    fields = [f["field"] for f in kb["form"]]
    assert len(fields) == len(set(fields))
    members = {m["basic_code"] for m in kb["members"]}
    assert all(mp["basic_code"] in members for f in kb["form"] for mp in f["maps"])


def test_synonyms_point_at_what_exists(server):
    with open(os.path.join(DATA, "synonyms.json"), encoding="utf-8") as fh:
        syn = json.load(fh)
    assert len(syn) >= 80
    codes = {r[0] for r in server.sql("SELECT basic_code FROM catalog_items")}
    codes |= {r[0] for r in server.sql("SELECT code FROM catalog_bundles")}
    assert [(s["term"], t) for s in syn for t in s["targets"] if t not in codes] == []
    terms = {s["term"] for s in syn}
    for term in ("办执照", "开公司", "刻章", "开饭店", "领发票", "交社保", "招人", "注销公司",
                 "改名字", "换法人"):
        assert term in terms, term
