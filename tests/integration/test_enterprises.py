# SPDX-License-Identifier: Apache-2.0
"""
The enterprise registry (一企一档) over HTTP: create and update, visibility by role and
organisation, masking of personal data, Chinese name search and filters, and facts.

Credit codes come from `qifu demo --enterprises N --seed S --out F` (valid and unique),
plus the fixed ones of the demo data. Every refusal is followed by a read-back showing
that nothing changed.
"""
import csv
import os
import urllib.parse

import pytest

from conftest import assert_error

DEMO_CODE = "91340100131860916Y"  # registered by `qifu demo` in 340811, 包保 handler
HEFEI_CODE = "913401007865797540"  # another valid code (region 340100, outside Anqing)
MOBILE = "13812341234"
MOBILE_MASKED = "138****1234"


def id_check(id17):
    """GB 11643: the 18th character of a citizen ID number."""
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(c) * k for c, k in zip(id17, w)) % 11]


ID_NUMBER = "34081119900307123" + id_check("34081119900307123")
ID_MASKED = ID_NUMBER[:6] + "*" * 8 + ID_NUMBER[-4:]


class CodePool:
    """Valid, unique credit codes from the generator, handed out one at a time."""

    def __init__(self, server, n=300, seed=9001):
        path = os.path.join(server.tmp, "pool-%d.csv" % seed)
        server.cli("demo", "--enterprises", str(n), "--seed", str(seed), "--out", path)
        with open(path, newline="", encoding="utf-8") as f:
            self.codes = [row["credit_code"] for row in csv.DictReader(f)]
        assert len(self.codes) == n == len(set(self.codes))
        self.i = 0

    def next(self):
        code = self.codes[self.i]
        self.i += 1
        return code


@pytest.fixture(scope="module")
def pool(server):
    return CodePool(server)


@pytest.fixture(scope="module")
def tokens(server):
    """Tokens of the demo users, logged in once per module."""
    return {u: server.login(u) for u in
            ["admin", "clerk", "handler", "supervisor", "officer", "enterprise"]}


def ent(code, **kw):
    """A full enterprise body; a member given as ... (Ellipsis) is left out."""
    body = {
        "credit_code": code,
        "name": "安庆市测试机电设备有限公司",
        "region": "340811",
        "industry": "3491",
        "founded": "2018-05-20",
        "registered_capital": 10000000,
        "scale": "small",
        "legal_rep": "张伟",
        "address": "安徽省安庆市宜秀区测试路 1 号",
        "tags": ["high_tech", "private"],
        "contacts": [{"name": "李娜", "title": "总经理", "mobile": MOBILE,
                      "id_number": ID_NUMBER}],
    }
    body.update(kw)
    return {k: v for k, v in body.items() if v is not ...}


def create(server, tok, body, status=201):
    st, _, e = server.request("POST", "/api/v1/enterprises", body, token=tok)
    assert st == status, (st, e)
    return e


def count(server, table):
    return int(server.sql("SELECT COUNT(*) FROM %s" % table)[0][0])


def snapshot(server, code=None):
    """What a refused request must not change: counts, the audit chain and one record."""
    snap = [count(server, "enterprises"), count(server, "enterprise_facts"),
            count(server, "enterprise_tags"), count(server, "enterprise_officials"),
            server.audit_count()]
    if code:
        snap.append(server.sql(
            "SELECT name, region, industry, capital_fen, contacts, version, updated_at "
            "FROM enterprises WHERE credit_code = '%s'" % code))
        snap.append(server.sql("SELECT tag FROM enterprise_tags WHERE credit_code = '%s' "
                               "ORDER BY tag" % code))
        snap.append(server.sql("SELECT user_id FROM enterprise_officials WHERE credit_code = "
                               "'%s' ORDER BY user_id" % code))
        snap.append(server.sql("SELECT fact, value, as_of, status FROM enterprise_facts WHERE "
                               "credit_code = '%s' ORDER BY id" % code))
    return snap


def get(server, tok, code):
    return server.request("GET", "/api/v1/enterprises/" + code, token=tok)


def audit_of(server, code):
    st, _, page = server.request("GET", "/api/v1/audit?entity=enterprise&id=" + code,
                                 token=server.admin())
    assert st == 200, page
    return page["items"]  # newest first


@pytest.fixture(scope="module")
def hefei(server, tokens):
    """913401007865797540 registered by the admin in Hefei (outside Anqing): the response."""
    before = snapshot(server)
    e = create(server, tokens["admin"], ent(HEFEI_CODE, name="合肥测试软件有限公司",
                                            region="340104", industry="6513", tags=[],
                                            contacts=...))
    after = snapshot(server)
    assert after[0] == before[0] + 1 and after[4] == before[4] + 1
    return e


def make_user(server, name, role, org=None, credit_code=None):
    body = {"username": name, "password": "secret-pass-1", "role": role}
    if org:
        body["org"] = org
    if credit_code:
        body["credit_code"] = credit_code
    st, _, u = server.request("POST", "/api/v1/users", body, token=server.admin())
    assert st == 201, u
    return server.login(name, "secret-pass-1")


# ---- create ----------------------------------------------------------------------


def test_clerk_creates_in_region(server, pool, tokens):
    code = pool.next()
    before = snapshot(server)
    e = create(server, tokens["clerk"], ent(code))
    assert e["credit_code"] == code and e["name"] == "安庆市测试机电设备有限公司"
    assert e["region"] == "340811" and e["region_name"] == "安徽省安庆市宜秀区"
    assert e["industry"] == "3491" and e["industry_name"] == "工业机器人制造"
    assert e["founded"] == "2018-05-20" and e["registered_capital"] == 10000000
    assert e["scale"] == "small" and e["scale_label"] == "小型"
    assert e["tags"] == [{"code": "high_tech", "label": "高新技术企业"},
                         {"code": "private", "label": "民营企业"}]
    assert e["officials"] == []
    assert e["version"] == 1 and e["changed"] is True
    assert e["created_at"].endswith("+08:00")
    after = snapshot(server)
    assert after[0] == before[0] + 1 and after[2] == before[2] + 2
    assert after[4] == before[4] + 1  # one audit event
    # read back by admin: the same record
    st, _, back = get(server, tokens["admin"], code)
    assert st == 200
    skip = ("changed", "personal_data_masked", "contacts")
    assert {k: v for k, v in back.items() if k not in skip} == \
        {k: v for k, v in e.items() if k not in skip}
    # the clerk (not 包保) gets its own input back masked; the admin sees it in full
    assert e["contacts"] == [{"name": "李娜", "title": "总经理", "mobile": MOBILE_MASKED,
                              "id_number": ID_MASKED}]
    assert back["contacts"] == [{"name": "李娜", "title": "总经理", "mobile": MOBILE,
                                 "id_number": ID_NUMBER}]
    ev = audit_of(server, code)
    assert [x["action"] for x in ev] == ["enterprise.create"]
    assert ev[0]["actor"] == "user:clerk" and ev[0]["org"] == "340800-QFZX"
    assert ev[0]["before"] is None and ev[0]["after"]["name"] == "安庆市测试机电设备有限公司"


def test_admin_creates_anywhere(server, pool, tokens, hefei):
    e = hefei
    assert e["region"] == "340104" and e["region_name"] == "安徽省合肥市蜀山区"
    assert e["tags"] == [] and e["contacts"] == [] and e["version"] == 1
    st, _, back = get(server, tokens["admin"], HEFEI_CODE)
    assert st == 200 and back["name"] == "合肥测试软件有限公司"
    # a city-level region and only the required members
    before = snapshot(server)
    code = pool.next()
    e = create(server, tokens["admin"], {"credit_code": code, "name": "安庆市最简登记有限公司",
                                         "region": "340800"})
    assert e["region"] == "340800" and e["industry"] is None and e["founded"] is None
    assert e["registered_capital"] is None and e["scale"] is None and e["scale_label"] is None
    assert e["contacts"] == [] and e["tags"] == [] and e["officials"] == []
    after = snapshot(server)
    assert after[0] == before[0] + 1 and after[4] == before[4] + 1


def test_clerk_outside_region(server, pool, tokens):
    code = pool.next()
    before = snapshot(server)
    r = server.request("POST", "/api/v1/enterprises", ent(code, region="340104"),
                       token=tokens["clerk"])
    assert_error(r, 403, "forbidden", field="region", message="只能登记本辖区")
    assert snapshot(server) == before
    assert_error(get(server, tokens["admin"], code), 404, "not_found")


def test_duplicate(server, pool, tokens):
    code = pool.next()
    create(server, tokens["admin"], ent(code))
    before = snapshot(server, code)
    r = server.request("POST", "/api/v1/enterprises", ent(code, name="另一家重复的公司"),
                       token=tokens["admin"])
    assert_error(r, 409, "exists", field="credit_code", message=code)
    assert snapshot(server, code) == before
    st, _, back = get(server, tokens["admin"], code)
    assert back["name"] == "安庆市测试机电设备有限公司"


@pytest.mark.parametrize("patch,field,message", [
    ({"credit_code": "91340100131860916X"}, "credit_code", None),      # bad check digit
    ({"credit_code": "9134010013186091"}, "credit_code", None),        # too short
    ({"credit_code": "I1340100131860916Y"}, "credit_code", None),      # I is not in the alphabet
    ({"region": "349999"}, "region", "不是现行"),                      # unknown region
    ({"region": "340000"}, "region", "不是现行的地市或县级"),          # a province
    ({"region": "3408"}, "region", None),
    ({"industry": "9999"}, "industry", "GB/T 4754"),                   # no such class
    ({"industry": "C349"}, "industry", None),
    ({"industry": "349"}, "industry", None),                           # a group, not a class
    ({"registered_capital": "10000000"}, "registered_capital", None),  # wrong type
    ({"registered_capital": -1}, "registered_capital", None),
    ({"registered_capital": 1.5}, "registered_capital", None),
    ({"name": 123}, "name", None),
    ({"name": "短"}, "name", "至少 2 个字符"),
    ({"founded": "2018-02-30"}, "founded", None),
    ({"founded": 20180520}, "founded", None),
    ({"scale": "huge"}, "scale", None),
    ({"tags": "high_tech"}, "tags", None),
    ({"tags": ["no_such_tag"]}, "tags", "未知的资质标签"),
    ({"contacts": [{"name": "李娜", "mobile": "12345"}]}, "contacts[0].mobile", None),
    ({"contacts": [{"name": "李娜", "id_number": ID_NUMBER[:17] +
                    ("0" if ID_NUMBER[17] != "0" else "1")}]}, "contacts[0].id_number", None),
    ({"contacts": [{"title": "总经理"}]}, "contacts[0].name", None),
    ({"contacts": [{"name": "李娜", "email": "a@b.c"}]}, "email", None),
    ({"officials": ["nobody_here"]}, "officials", "包保人员"),
    ({"officials": ["enterprise"]}, "officials", "包保人员"),
    ({"nickname": "x"}, "nickname", "不认识的字段"),                   # unknown member
])
def test_create_invalid(server, pool, tokens, patch, field, message):
    code = pool.next()
    body = ent(code)
    body.update(patch)
    before = snapshot(server)
    r = server.request("POST", "/api/v1/enterprises", body, token=tokens["admin"])
    assert_error(r, 400, "invalid", field=field, message=message)
    assert snapshot(server) == before
    assert_error(get(server, tokens["admin"], body["credit_code"]), 404, "not_found")


def test_industry_code_with_section_letter(server, pool, tokens):
    """GB/T 4754 codes as registers print them (C3491) are read as their digits."""
    code = pool.next()
    e = create(server, tokens["admin"], ent(code, industry="C3491"))
    assert e["industry"] == "3491" and e["industry_name"] == "工业机器人制造"
    assert server.sql("SELECT industry FROM enterprises WHERE credit_code = '%s'" % code) == [
        ("3491",)]
    st, _, e = server.request("PATCH", "/api/v1/enterprises/" + code, {"industry": "c3911"},
                              token=tokens["admin"])
    assert st == 200 and e["industry"] == "3911", e
    # the same code in the other form changes nothing
    st, _, e = server.request("PATCH", "/api/v1/enterprises/" + code, {"industry": "3911"},
                              token=tokens["admin"])
    assert st == 200 and e["changed"] is False, e
    # filters take both forms
    items = server.list_all("/api/v1/enterprises?industry=C39", tokens["admin"])
    assert code in {i["credit_code"] for i in items}
    # a wrong code is refused with what a right one looks like
    for bad in ("A3491", "C9999", "C349", "C34911", "Q"):
        before = snapshot(server, code)
        r = server.request("PATCH", "/api/v1/enterprises/" + code, {"industry": bad},
                           token=tokens["admin"])
        assert_error(r, 400, "invalid", field="industry", message="可带门类字母，如 C3911 或 3911")
        assert snapshot(server, code) == before


def test_create_requires_members(server, pool, tokens):
    before = snapshot(server)
    for missing in ["credit_code", "name", "region"]:
        body = ent(pool.next())
        del body[missing]
        r = server.request("POST", "/api/v1/enterprises", body, token=tokens["admin"])
        assert_error(r, 400, "invalid", field=missing)
    assert_error(server.request("POST", "/api/v1/enterprises", raw=b"[1]",
                                token=tokens["admin"]), 400, "invalid")
    assert snapshot(server) == before


@pytest.mark.parametrize("who", ["handler", "supervisor", "officer", "enterprise"])
def test_only_registrars_create(server, pool, tokens, who):
    code = pool.next()
    before = snapshot(server)
    r = server.request("POST", "/api/v1/enterprises", ent(code), token=tokens[who])
    assert_error(r, 403, "forbidden")
    assert snapshot(server) == before
    assert_error(get(server, tokens["admin"], code), 404, "not_found")
    assert_error(server.request("POST", "/api/v1/enterprises", ent(code)), 401, "unauthorized")


# ---- update ----------------------------------------------------------------------


def test_patch_updates_and_bumps_version(server, pool, tokens):
    code = pool.next()
    create(server, tokens["clerk"], ent(code))
    audit0 = server.audit_count()
    st, _, e = server.request("PATCH", "/api/v1/enterprises/" + code,
                              {"name": "安庆市测试机电设备股份有限公司",
                               "registered_capital": 20000000, "tags": ["srdi_city"],
                               "officials": ["handler"]},
                              token=tokens["clerk"])
    assert st == 200, e
    assert e["changed"] is True and e["version"] == 2
    assert e["name"] == "安庆市测试机电设备股份有限公司" and e["registered_capital"] == 20000000
    assert e["tags"] == [{"code": "srdi_city", "label": "专精特新中小企业（市级）"}]
    assert e["officials"] == ["handler"]
    # members not named are kept
    assert e["industry"] == "3491" and e["founded"] == "2018-05-20" and e["region"] == "340811"
    assert server.audit_count() == audit0 + 1
    ev = audit_of(server, code)
    assert [x["action"] for x in ev] == ["enterprise.update", "enterprise.create"]
    assert ev[0]["before"]["name"] == "安庆市测试机电设备有限公司"
    assert ev[0]["after"]["name"] == "安庆市测试机电设备股份有限公司"
    assert ev[0]["before"]["registered_capital"] == 10000000
    assert ev[0]["after"]["registered_capital"] == 20000000
    assert ev[0]["before"]["tags"] == ["high_tech", "private"]
    assert ev[0]["after"]["tags"] == ["srdi_city"]
    assert ev[0]["after"]["officials"] == ["handler"]
    # the same values again: nothing changes, nothing is written
    before = snapshot(server, code)
    st, _, e2 = server.request("PATCH", "/api/v1/enterprises/" + code,
                               {"name": "安庆市测试机电设备股份有限公司", "tags": ["srdi_city"],
                                "credit_code": code},
                               token=tokens["clerk"])
    assert st == 200, e2
    assert e2["changed"] is False and e2["version"] == 2
    assert snapshot(server, code) == before
    # clearing an optional member with null
    st, _, e3 = server.request("PATCH", "/api/v1/enterprises/" + code,
                               {"industry": None, "contacts": []}, token=tokens["admin"])
    assert st == 200, e3
    assert e3["industry"] is None and e3["industry_name"] is None and e3["contacts"] == []
    assert e3["version"] == 3 and e3["changed"] is True


def test_patch_cannot_change_credit_code(server, pool, tokens):
    code, other = pool.next(), pool.next()
    create(server, tokens["admin"], ent(code))
    before = snapshot(server, code)
    r = server.request("PATCH", "/api/v1/enterprises/" + code,
                       {"credit_code": other, "name": "改了代码的公司"}, token=tokens["admin"])
    assert_error(r, 400, "invalid", field="credit_code", message="不能修改统一社会信用代码")
    r = server.request("PATCH", "/api/v1/enterprises/" + code, {"credit_code": 5},
                       token=tokens["admin"])
    assert_error(r, 400, "invalid", field="credit_code")
    assert snapshot(server, code) == before
    assert_error(get(server, tokens["admin"], other), 404, "not_found")


@pytest.mark.parametrize("patch,field", [
    ({"registered_capital": "lots"}, "registered_capital"),
    ({"region": "349999"}, "region"),
    ({"industry": "0000"}, "industry"),
    ({"officials": ["handler", "ghost"]}, "officials"),
    ({"version": 7}, "version"),
])
def test_patch_invalid(server, pool, tokens, patch, field):
    code = pool.next()
    create(server, tokens["admin"], ent(code))
    before = snapshot(server, code)
    r = server.request("PATCH", "/api/v1/enterprises/" + code, patch, token=tokens["admin"])
    assert_error(r, 400, "invalid", field=field)
    assert snapshot(server, code) == before


def test_patch_missing_enterprise(server, pool, tokens):
    """PATCH updates; it never creates (not even for an admin with a full record)."""
    code = pool.next()
    before = snapshot(server)
    for tok in [tokens["admin"], tokens["clerk"]]:
        r = server.request("PATCH", "/api/v1/enterprises/" + code,
                           {"name": "不存在的企业名称", "region": "340811"}, token=tok)
        assert_error(r, 404, "not_found")
    # an invalid code in the path cannot be registered through PATCH either
    r = server.request("PATCH", "/api/v1/enterprises/NOT-A-CREDIT-CODE",
                       {"name": "不存在的企业名称", "region": "340811"}, token=tokens["admin"])
    assert r[0] in (400, 404), r
    assert snapshot(server) == before
    assert_error(get(server, tokens["admin"], code), 404, "not_found")


def test_clerk_patch_scope(server, pool, tokens, hefei):
    # clerk may not move an enterprise out of its region
    code = pool.next()
    create(server, tokens["clerk"], ent(code))
    before = snapshot(server, code)
    r = server.request("PATCH", "/api/v1/enterprises/" + code, {"region": "340104"},
                       token=tokens["clerk"])
    assert_error(r, 403, "forbidden", field="region")
    assert snapshot(server, code) == before
    # ...but within it, yes
    st, _, e = server.request("PATCH", "/api/v1/enterprises/" + code, {"region": "340822"},
                              token=tokens["clerk"])
    assert st == 200 and e["region"] == "340822" and e["region_name"] == "安徽省安庆市怀宁县"
    # an enterprise outside its region is invisible to the clerk: 404, unchanged
    before = snapshot(server, HEFEI_CODE)
    r = server.request("PATCH", "/api/v1/enterprises/" + HEFEI_CODE, {"name": "被窗口改名的公司"},
                       token=tokens["clerk"])
    assert_error(r, 404, "not_found")
    assert snapshot(server, HEFEI_CODE) == before


# ---- scoping --------------------------------------------------------------------


def test_enterprise_sees_only_its_own(server, tokens):
    tok = tokens["enterprise"]
    items = server.list_all("/api/v1/enterprises", tok)
    assert [i["credit_code"] for i in items] == [DEMO_CODE]
    assert items[0]["name"] == "安庆市示例智能装备有限公司"
    # filters cannot widen it
    for q in ["?region=34", "?q=" + urllib.parse.quote("有限公司"), "?industry=C",
              "?tag=private", "?region=340104"]:
        st, _, page = server.request("GET", "/api/v1/enterprises" + q, token=tok)
        assert st == 200, page
        assert {i["credit_code"] for i in page["items"]} <= {DEMO_CODE}
    st, _, own = get(server, tok, DEMO_CODE)
    assert st == 200 and own["credit_code"] == DEMO_CODE
    assert own["contacts"][0]["mobile"] == "13905561234"  # its own data, unmasked
    assert own["personal_data_masked"] is False


def test_enterprise_cannot_read_another(server, pool, tokens, hefei):
    tok = tokens["enterprise"]
    missing = pool.next()
    r_missing = get(server, tok, missing)
    r_other = get(server, tok, HEFEI_CODE)
    err = assert_error(r_other, 404, "not_found")
    assert r_missing[0] == 404 and r_missing[2] == r_other[2], "existence leaks"
    assert "李" not in str(r_other[2]) and "合肥" not in str(r_other[2])
    r = server.request("GET", "/api/v1/enterprises/%s/facts" % HEFEI_CODE, token=tok)
    assert_error(r, 404, "not_found")
    assert r[2] == server.request("GET", "/api/v1/enterprises/%s/facts" % missing, token=tok)[2]
    assert err["message"]


def test_enterprise_cannot_change_another(server, tokens, hefei):
    tok = tokens["enterprise"]
    before = snapshot(server, HEFEI_CODE)
    r = server.request("PUT", "/api/v1/enterprises/%s/facts" % HEFEI_CODE,
                       {"facts": [{"fact": "employees", "value": 999}]}, token=tok)
    assert_error(r, 404, "not_found")
    r = server.request("PATCH", "/api/v1/enterprises/" + HEFEI_CODE, {"name": "被别人改名"},
                       token=tok)
    assert_error(r, 403, "forbidden")
    # not even its own registration data
    own_before = snapshot(server, DEMO_CODE)
    r = server.request("PATCH", "/api/v1/enterprises/" + DEMO_CODE, {"name": "自己改的名字"},
                       token=tok)
    assert_error(r, 403, "forbidden")
    r = server.request("POST", "/api/v1/enterprises:import", raw="credit_code\n",
                       headers={"Content-Type": "text/csv"}, token=tok)
    assert_error(r, 403, "forbidden")
    assert snapshot(server, HEFEI_CODE) == before
    assert snapshot(server, DEMO_CODE)[5:] == own_before[5:]
    st, _, back = get(server, tokens["admin"], HEFEI_CODE)
    assert back["name"] == "合肥测试软件有限公司"


def test_handler_sees_its_enterprise(server, tokens, hefei):
    st, _, e = get(server, tokens["handler"], DEMO_CODE)
    assert st == 200 and e["officials"] == ["handler"]
    assert e["contacts"][0]["mobile"] == "13905561234" and e["personal_data_masked"] is False
    codes = {i["credit_code"] for i in server.list_all("/api/v1/enterprises", tokens["handler"])}
    assert DEMO_CODE in codes
    assert HEFEI_CODE not in codes  # Hefei is outside 3408 and not 包保
    assert_error(get(server, tokens["handler"], HEFEI_CODE), 404, "not_found")


def test_county_official_scope(server, pool, tokens):
    county = make_user(server, "hn_handler", "handler", org="340822")
    code = pool.next()
    create(server, tokens["admin"], ent(code, name="宜秀区包保测试有限公司"))
    in_county = pool.next()
    create(server, tokens["admin"], ent(in_county, name="怀宁县本地测试有限公司", region="340822"))
    # sees its county, not 340811
    codes = {i["credit_code"] for i in server.list_all("/api/v1/enterprises", county)}
    assert in_county in codes and code not in codes and DEMO_CODE not in codes
    assert all(i["region"].startswith("340822")
               for i in server.list_all("/api/v1/enterprises", county)
               if i["credit_code"] != code)
    assert_error(get(server, county, code), 404, "not_found")
    r = server.request("PUT", "/api/v1/enterprises/%s/facts" % code,
                       {"facts": [{"fact": "employees", "value": 5}]}, token=county)
    assert_error(r, 404, "not_found")
    # once it looks after (包保) the enterprise, it sees it, with full contact data
    st, _, e = server.request("PATCH", "/api/v1/enterprises/" + code,
                              {"officials": ["handler", "hn_handler"]}, token=tokens["admin"])
    assert st == 200 and e["officials"] == ["handler", "hn_handler"]
    st, _, e = get(server, county, code)
    assert st == 200, e
    assert e["contacts"][0]["mobile"] == MOBILE and e["personal_data_masked"] is False
    codes = {i["credit_code"] for i in server.list_all("/api/v1/enterprises", county)}
    assert code in codes and in_county in codes and DEMO_CODE not in codes
    # and the city-level handler sees both (region 3408)
    codes = {i["credit_code"] for i in server.list_all("/api/v1/enterprises", tokens["handler"])}
    assert {code, in_county, DEMO_CODE} <= codes


def test_admin_sees_all(server, tokens, hefei):
    items = server.list_all("/api/v1/enterprises", tokens["admin"])
    codes = [i["credit_code"] for i in items]
    assert len(codes) == len(set(codes)) == count(server, "enterprises")
    assert codes == sorted(codes)
    assert DEMO_CODE in codes and HEFEI_CODE in codes


def test_supervisor_sees_city(server, tokens):
    items = server.list_all("/api/v1/enterprises", tokens["supervisor"])
    assert items and all(i["region"].startswith("3408") for i in items)
    n = int(server.sql("SELECT COUNT(*) FROM enterprises WHERE region LIKE '3408%'")[0][0])
    assert len(items) == n


# ---- personal data ---------------------------------------------------------------


def test_masking(server, pool, tokens):
    code = pool.next()
    create(server, tokens["clerk"], ent(code, officials=["handler"]))
    own = make_user(server, "ent_mask_" + code[-4:], "enterprise", credit_code=code)
    # supervisor: not 包保, so masked
    st, _, e = get(server, tokens["supervisor"], code)
    assert st == 200
    assert e["contacts"] == [{"name": "李娜", "title": "总经理", "mobile": MOBILE_MASKED,
                              "id_number": ID_MASKED}]
    assert e["personal_data_masked"] is True
    assert MOBILE not in str(e) and ID_NUMBER not in str(e)
    # the clerk who registered it (not 包保) also sees masked values on read
    st, _, e = get(server, tokens["clerk"], code)
    assert e["contacts"][0]["mobile"] == MOBILE_MASKED
    # officer (same city, not 包保)
    st, _, e = get(server, tokens["officer"], code)
    assert st == 200 and e["contacts"][0]["id_number"] == ID_MASKED
    # 包保 official, admin and the enterprise itself see the full values
    for tok in [tokens["handler"], tokens["admin"], own]:
        st, _, e = get(server, tok, code)
        assert st == 200, e
        assert e["contacts"][0]["mobile"] == MOBILE
        assert e["contacts"][0]["id_number"] == ID_NUMBER
        assert e["personal_data_masked"] is False
    # the enterprise's own list shows only itself
    assert [i["credit_code"] for i in server.list_all("/api/v1/enterprises", own)] == [code]


def test_lists_never_carry_contacts(server, tokens):
    for who in ["admin", "handler", "supervisor", "clerk", "enterprise"]:
        items = server.list_all("/api/v1/enterprises", tokens[who])
        assert items, who
        for i in items:
            assert "contacts" not in i and "address" not in i, (who, i)
        text = str(items)
        assert MOBILE not in text and "13905561234" not in text and ID_NUMBER not in text


def test_audit_masks_personal_data(server, pool, tokens):
    code = pool.next()
    create(server, tokens["admin"], ent(code))
    st, _, _ = server.request("PATCH", "/api/v1/enterprises/" + code,
                              {"contacts": [{"name": "李娜", "mobile": "13998765432",
                                             "id_number": ID_NUMBER}]},
                              token=tokens["admin"])
    assert st == 200
    ev = audit_of(server, code)
    assert [x["action"] for x in ev] == ["enterprise.update", "enterprise.create"]
    assert ev[1]["after"]["contacts"] == [{"name": "李娜", "title": "总经理",
                                           "mobile": MOBILE_MASKED, "id_number": ID_MASKED}]
    assert ev[0]["before"]["contacts"][0]["mobile"] == MOBILE_MASKED
    assert ev[0]["after"]["contacts"] == [{"name": "李娜", "mobile": "139****5432",
                                           "id_number": ID_MASKED}]
    text = str(ev)
    assert MOBILE not in text and "13998765432" not in text and ID_NUMBER not in text
    # and in the stored audit rows themselves
    raw = server.sql("SELECT * FROM audit WHERE action LIKE 'enterprise.%'")
    assert raw and MOBILE not in str(raw) and ID_NUMBER not in str(raw)


# ---- search and filters -------------------------------------------------------------

SEARCH_NAMES = ["淼犇骉精密制造有限公司", "淼犇新材料科技有限公司", "淼鑫商贸有限公司",
                "皖江犇骉物流有限公司", "安庆骉龘信息技术有限公司"]


@pytest.fixture(scope="module")
def search_set(server, pool, tokens):
    spec = [("340811", "3491", "small", ["high_tech"]),
            ("340822", "3984", "micro", ["srdi_city", "private"]),
            ("340803", "5124", "medium", ["private"]),
            ("340822", "5411", "large", []),
            ("340811", "6513", "micro", ["high_tech", "tech_sme"])]
    made = {}
    for name, (region, industry, scale, tags) in zip(SEARCH_NAMES, spec):
        code = pool.next()
        create(server, tokens["admin"], ent(code, name=name, region=region, industry=industry,
                                            scale=scale, tags=tags))
        made[name] = code
    return made


def search(server, tok, query):
    items = server.list_all("/api/v1/enterprises?" + query, tok)
    return {i["name"] for i in items}


@pytest.mark.parametrize("q,expect", [
    ("淼", {0, 1, 2}),                 # one character
    ("犇骉", {0, 3}),                  # two characters
    ("淼犇骉", {0}),                   # three: FTS trigram on SQLite
    ("犇新材料", {1}),
    ("骉龘信息技术", {4}),
    ("骉", {0, 3, 4}),
    ("龘淼", set()),
])
def test_search_names(server, tokens, search_set, q, expect):
    got = search(server, tokens["admin"], "q=" + urllib.parse.quote(q))
    assert got == {SEARCH_NAMES[i] for i in expect}, got
    # a city official sees the same (all five are in Anqing)
    assert search(server, tokens["supervisor"], "q=" + urllib.parse.quote(q)) == got


def test_search_odd_input(server, tokens, search_set):
    for q in ['"淼犇骉', '淼"犇骉', "%", "_", "\\", "淼%", "a'b", "OR 1=1", "***"]:
        st, _, page = server.request("GET", "/api/v1/enterprises?q=" + urllib.parse.quote(q),
                                     token=tokens["admin"])
        assert st == 200, (q, page)
        assert page["items"] == [], (q, page["items"][:2])
    assert_error(server.request("GET", "/api/v1/enterprises?q=", token=tokens["admin"]),
                 400, "invalid", field="q")
    assert_error(server.request("GET", "/api/v1/enterprises?q=" + urllib.parse.quote("长" * 51),
                                token=tokens["admin"]), 400, "invalid", field="q")


def test_search_follows_rename(server, pool, tokens, search_set):
    code = pool.next()
    create(server, tokens["admin"], ent(code, name="鼋鼍旧名称有限公司"))
    assert search(server, tokens["admin"], "q=" + urllib.parse.quote("鼋鼍旧")) == \
        {"鼋鼍旧名称有限公司"}
    st, _, _ = server.request("PATCH", "/api/v1/enterprises/" + code, {"name": "鼋鼍新名称有限公司"},
                              token=tokens["admin"])
    assert st == 200
    assert search(server, tokens["admin"], "q=" + urllib.parse.quote("鼋鼍旧")) == set()
    assert search(server, tokens["admin"], "q=" + urllib.parse.quote("鼋鼍新名")) == \
        {"鼋鼍新名称有限公司"}
    assert search(server, tokens["admin"], "q=" + urllib.parse.quote("鼋鼍")) == \
        {"鼋鼍新名称有限公司"}


def test_filter_region(server, tokens, search_set):
    tok = tokens["admin"]
    for prefix in ["3408", "340822", "340811", "34"]:
        items = server.list_all("/api/v1/enterprises?region=" + prefix, tok)
        assert items and all(i["region"].startswith(prefix) for i in items), prefix
        n = int(server.sql("SELECT COUNT(*) FROM enterprises WHERE region LIKE '%s%%'"
                           % prefix)[0][0])
        assert len(items) == n, prefix
    assert server.list_all("/api/v1/enterprises?region=3407", tok) == []  # 铜陵: none here
    assert_error(server.request("GET", "/api/v1/enterprises?region=34a", token=tok), 400,
                 "invalid", field="region")
    assert_error(server.request("GET", "/api/v1/enterprises?region=3408221", token=tok), 400,
                 "invalid", field="region")


def test_filter_industry(server, tokens, search_set):
    tok = tokens["admin"]
    # section C = manufacturing: divisions 13..43
    items = server.list_all("/api/v1/enterprises?industry=C", tok)
    names = {i["name"] for i in items}
    assert {SEARCH_NAMES[0], SEARCH_NAMES[1]} <= names
    assert not names & {SEARCH_NAMES[2], SEARCH_NAMES[3], SEARCH_NAMES[4]}
    assert all(i["industry"] and 13 <= int(i["industry"][:2]) <= 43 for i in items)
    items = server.list_all("/api/v1/enterprises?industry=39", tok)
    assert SEARCH_NAMES[1] in {i["name"] for i in items}
    assert all(i["industry"].startswith("39") for i in items)
    items = server.list_all("/api/v1/enterprises?industry=I", tok)
    assert SEARCH_NAMES[4] in {i["name"] for i in items}
    assert all(63 <= int(i["industry"][:2]) <= 65 for i in items)
    items = server.list_all("/api/v1/enterprises?industry=3491", tok)
    assert items and all(i["industry"] == "3491" for i in items)
    for bad in ["CC", "3x", "12345", "c"]:
        assert_error(server.request("GET", "/api/v1/enterprises?industry=" + bad, token=tok),
                     400, "invalid", field="industry")


def test_filter_tag_and_scale(server, tokens, search_set):
    tok = tokens["admin"]
    items = server.list_all("/api/v1/enterprises?tag=high_tech", tok)
    assert {SEARCH_NAMES[0], SEARCH_NAMES[4]} <= {i["name"] for i in items}
    for i in items:  # list items carry no tags: read each record back
        st, _, e = get(server, tok, i["credit_code"])
        assert "high_tech" in [t["code"] for t in e["tags"]]
    n = int(server.sql("SELECT COUNT(*) FROM enterprise_tags WHERE tag = 'high_tech'")[0][0])
    assert len(items) == n
    items = server.list_all("/api/v1/enterprises?tag=srdi_city&scale=micro", tok)
    assert SEARCH_NAMES[1] in {i["name"] for i in items}
    assert all(i["scale"] == "micro" for i in items)
    items = server.list_all("/api/v1/enterprises?scale=large", tok)
    assert SEARCH_NAMES[3] in {i["name"] for i in items}
    assert all(i["scale"] == "large" and i["scale_label"] == "大型" for i in items)
    st, _, page = server.request("GET", "/api/v1/enterprises?tag=no_such_tag", token=tok)
    assert st == 200 and page["items"] == []
    assert_error(server.request("GET", "/api/v1/enterprises?scale=huge", token=tok), 400,
                 "invalid", field="scale")
    # filters combine
    got = search(server, tok, "q=%s&region=340822&industry=C" % urllib.parse.quote("淼"))
    assert got == {SEARCH_NAMES[1]}


def test_pagination(server, pool, tokens, search_set):
    tok = tokens["admin"]
    for i in range(7):
        create(server, tok, ent(pool.next(), name="分页测试第%d号有限公司" % i))
    full = server.list_all("/api/v1/enterprises", tok)
    everything = [i["credit_code"] for i in full]
    assert len(everything) >= 15
    seen, cursor, pages = [], None, 0
    for _ in range(100):
        url = "/api/v1/enterprises?limit=4" + ("&cursor=" + cursor if cursor else "")
        st, _, page = server.request("GET", url, token=tok)
        assert st == 200, page
        assert len(page["items"]) <= 4
        pages += 1
        seen += [i["credit_code"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    else:
        pytest.fail("pagination never ended")
    assert seen == everything and len(seen) == len(set(seen))
    assert pages in ((len(everything) + 3) // 4, (len(everything) + 3) // 4 + 1)
    # with a search: each of the seven exactly once
    got = server.list_all("/api/v1/enterprises?q=" + urllib.parse.quote("分页测试"), tok, limit=3)
    assert sorted(i["name"] for i in got) == ["分页测试第%d号有限公司" % i for i in range(7)]
    assert_error(server.request("GET", "/api/v1/enterprises?cursor=%%%", token=tok), 400,
                 "invalid", field="cursor")
    assert_error(server.request("GET", "/api/v1/enterprises?limit=501", token=tok), 400,
                 "invalid")


# ---- facts ----------------------------------------------------------------------------


def test_fact_catalogue(server):
    st, _, cat = server.request("GET", "/api/v1/facts")
    assert st == 200
    facts = {f["name"]: f for f in cat["facts"]}
    assert facts["employees"] == {"name": "employees", "type": "int", "unit": "人",
                                  "label": "从业人员数", "source": "人力资源和社会保障部门",
                                  "source_org": "340800-RSJ", "builtin": False}
    assert facts["revenue"]["type"] == "money" and facts["revenue"]["unit"] == "元"
    assert facts["tax_credit_rating"]["values"] == ["A", "B", "M", "C", "D"]
    assert facts["region"]["builtin"] is True and facts["tags"]["type"] == "tagset"
    assert facts["rd_ratio"]["type"] == "decimal" and facts["dishonest_executee"]["type"] == "bool"
    assert len(facts) == len(cat["facts"]) >= 20
    tags = {t["code"]: t["label"] for t in cat["tags"]}
    assert tags["high_tech"] == "高新技术企业" and tags["little_giant"].startswith("国家级专精特新")


def facts_of(server, tok, code, history=False):
    st, _, f = server.request("GET", "/api/v1/enterprises/%s/facts%s"
                              % (code, "?history=1" if history else ""), token=tok)
    assert st == 200, f
    return f


def put_facts(server, tok, code, facts):
    return server.request("PUT", "/api/v1/enterprises/%s/facts" % code, {"facts": facts},
                          token=tok)


def test_enterprise_declares_facts(server, tokens):
    tok = tokens["enterprise"]
    audit0 = server.audit_count()
    st, _, f = put_facts(server, tok, DEMO_CODE, [
        {"fact": "employees", "value": 85, "as_of": "2025-12-31"},
        {"fact": "rd_ratio", "value": 4.25, "as_of": "2025-12-31", "status": "self_declared"},
    ])
    assert st == 200, f
    items = {i["fact"]: i for i in f["items"]}
    assert items["employees"]["value"] == 85 and items["employees"]["display"] == "85人"
    assert items["employees"]["status"] == "self_declared"
    assert items["employees"]["source"] == "企业自主申报"
    assert items["employees"]["recorded_by"] == "user:enterprise"
    # The demo's authoritative rd_ratio (4) stays current: a self-declared value never beats
    # an authoritative one (issue 14 item 4); the declaration is kept in the history.
    assert items["rd_ratio"]["value"] == 4 and items["rd_ratio"]["status"] == "authoritative"
    assert server.audit_count() == audit0 + 1
    ev = audit_of(server, DEMO_CODE)[0]
    assert ev["action"] == "enterprise.facts"
    assert ev["after"]["facts"][0] == {"fact": "employees", "value": "85", "as_of": "2025-12-31",
                                       "status": "self_declared", "source": "企业自主申报"}
    # claiming authority is refused, and nothing is recorded
    before = snapshot(server, DEMO_CODE)
    r = put_facts(server, tok, DEMO_CODE, [
        {"fact": "revenue", "value": 100, "as_of": "2025-12-31", "status": "authoritative"}])
    assert_error(r, 403, "forbidden", field="facts[0].status")
    assert snapshot(server, DEMO_CODE) == before


def test_clerk_records_authoritative(server, pool, tokens):
    code = pool.next()
    create(server, tokens["clerk"], ent(code))
    # Authoritative values come from each fact's source department (or an admin), issue 14
    # item 9: the clerk's tax facts are refused; the admin records them.
    assert_error(put_facts(server, tokens["clerk"], code, [
        {"fact": "revenue", "value": 800000000, "as_of": "2025-12-31"}]), 403, "forbidden",
        field="facts[0].status", message="安庆市税务局")
    st, _, f = put_facts(server, tokens["admin"], code, [
        {"fact": "revenue", "value": 800000000, "as_of": "2025-12-31"},
        {"fact": "tax_credit_rating", "value": "A", "as_of": "2025-12-31"},
        {"fact": "dishonest_executee", "value": False},
        {"fact": "high_tech_certified_on", "value": "2023-11-30", "source": "安徽省科技厅"},
    ])
    assert st == 200, f
    items = {i["fact"]: i for i in f["items"]}
    rev = items["revenue"]
    assert rev["value"] == 800000000 and rev["display"] == "800万元"
    assert rev["status"] == "authoritative" and rev["source"] == "安庆市数据资源管理局"
    assert rev["label"] == "营业收入" and rev["unit"] == "元" and rev["type"] == "money"
    assert items["tax_credit_rating"]["value"] == "A"
    assert items["dishonest_executee"]["value"] is False
    assert items["dishonest_executee"]["display"] == "否"
    assert items["high_tech_certified_on"]["source"] == "安徽省科技厅"
    assert len(items["dishonest_executee"]["as_of"]) == 10  # today
    # builtin facts come from the registration record
    assert items["region"]["value"] == "340811" and items["region"]["source"] == "企业登记信息"
    assert items["registered_capital"]["value"] == 10000000
    assert items["tags"]["value"] == ["high_tech", "private"]
    missing = {m["fact"] for m in f["missing"]}
    assert "revenue" not in missing and "employees" in missing and "export_value" in missing
    assert not missing & set(items)
    # a self-declared value from an official is allowed and kept as such
    st, _, f = put_facts(server, tokens["clerk"], code, [
        {"fact": "employees", "value": 12, "status": "self_declared"}])
    assert st == 200
    assert {i["fact"]: i for i in f["items"]}["employees"]["status"] == "self_declared"


@pytest.mark.parametrize("facts,field,message", [
    ([{"fact": "no_such_fact", "value": 1}], "facts[0].fact", "不在事实目录中"),
    ([{"fact": "employees", "value": 3}, {"fact": "employees", "value": "abc"}],
     "facts[1].value", "从业人员数"),
    ([{"fact": "employees", "value": 3}, {"fact": "revenue", "value": 1.5}],
     "facts[1].value", None),
    ([{"fact": "employees", "value": -3}], "facts[0].value", None),
    ([{"fact": "dishonest_executee", "value": "yes"}], "facts[0].value", None),
    ([{"fact": "tax_credit_rating", "value": "E"}], "facts[0].value", "A,B,M,C,D"),
    ([{"fact": "high_tech_certified_on", "value": "2023-13-01"}], "facts[0].value", None),
    ([{"fact": "rd_ratio", "value": "1.23456"}], "facts[0].value", None),
    ([{"fact": "region", "value": "340104"}], "facts[0].fact", "企业登记信息"),
    ([{"fact": "tags", "value": ["high_tech"]}], "facts[0].fact", None),
    ([{"fact": "employees"}], "facts[0].value", None),
    ([{"fact": "employees", "value": 3, "as_of": "2025/12/31"}], "facts[0].as_of", None),
    ([{"fact": "employees", "value": 3, "status": "rumour"}], "facts[0].status", None),
    ([{"fact": "employees", "value": 3, "colour": "red"}], "facts[0].colour", None),
    ([], "facts", None),
])
def test_put_facts_invalid(server, tokens, facts, field, message):
    before = snapshot(server, DEMO_CODE)
    r = put_facts(server, tokens["handler"], DEMO_CODE, facts)
    assert_error(r, 400, "invalid", field=field, message=message)
    assert snapshot(server, DEMO_CODE) == before


def test_fact_history(server, pool, tokens):
    code = pool.next()
    create(server, tokens["admin"], ent(code))
    tok = tokens["admin"]
    for value, as_of in [(100, "2024-12-31"), (120, "2025-12-31"), (90, "2023-12-31")]:
        st, _, f = put_facts(server, tok, code,
                             [{"fact": "employees", "value": value, "as_of": as_of}])
        assert st == 200, f
    f = facts_of(server, tok, code)
    cur = [i for i in f["items"] if i["fact"] == "employees"]
    assert len(cur) == 1 and cur[0]["value"] == 120 and cur[0]["as_of"] == "2025-12-31"
    h = facts_of(server, tok, code, history=True)
    hist = [(i["value"], i["as_of"]) for i in h["items"] if i["fact"] == "employees"]
    assert hist == [(120, "2025-12-31"), (100, "2024-12-31"), (90, "2023-12-31")]
    # the same as_of recorded again: the newer record wins
    st, _, f = put_facts(server, tok, code,
                         [{"fact": "employees", "value": 125, "as_of": "2025-12-31"}])
    cur = [i for i in f["items"] if i["fact"] == "employees"]
    assert cur[0]["value"] == 125
    assert len([i for i in facts_of(server, tok, code, True)["items"]
                if i["fact"] == "employees"]) == 4
    # the supervisor reads them too; the county official does not
    assert facts_of(server, tokens["supervisor"], code)["credit_code"] == code
    county = server.login("hn_handler", "secret-pass-1") if "hn_handler" in server.usernames() \
        else make_user(server, "hn_handler", "handler", org="340822")
    r = server.request("GET", "/api/v1/enterprises/%s/facts" % code, token=county)
    assert_error(r, 404, "not_found")
    # missing: every catalogued fact without a value
    st, _, cat = server.request("GET", "/api/v1/facts")
    names = {d["name"] for d in cat["facts"]}
    have = {i["fact"] for i in f["items"]}
    assert {m["fact"] for m in f["missing"]} == names - have
    assert all(m["label"] and m["source"] for m in f["missing"])


def test_put_facts_missing_enterprise(server, pool, tokens):
    code = pool.next()
    before = snapshot(server)
    r = put_facts(server, tokens["admin"], code, [{"fact": "employees", "value": 3}])
    assert_error(r, 404, "not_found")
    assert snapshot(server) == before


def test_audit_verify(server):
    p = server.cli("audit", "verify")
    assert "审计链完整" in p.stdout


def test_clerk_outside_region_existing(server, pool, tokens, hefei):
    """A clerk registering an enterprise that exists outside their region gets the answer
    of a code they may not register (403 region), never 409 "已存在" (issue 14 item 16)."""
    before = snapshot(server, HEFEI_CODE)
    r = server.request("POST", "/api/v1/enterprises", ent(HEFEI_CODE), token=tokens["clerk"])
    assert_error(r, 403, "forbidden", field="region", message="只能登记本辖区")
    new = server.request("POST", "/api/v1/enterprises", ent(pool.next(), region="340104"),
                         token=tokens["clerk"])
    assert (r[0], r[2]) == (new[0], new[2])
    assert "已存在" not in str(r[2])
    assert snapshot(server, HEFEI_CODE) == before
    # inside the region the duplicate is still reported as such
    r = server.request("POST", "/api/v1/enterprises", ent(DEMO_CODE), token=tokens["clerk"])
    assert_error(r, 409, "exists", field="credit_code")
