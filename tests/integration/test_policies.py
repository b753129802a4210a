# SPDX-License-Identifier: Apache-2.0
"""
Policies (惠企政策超市, issue 5 items 3, 4 and 7) over HTTP, on both backends: the seed
policies of `qifu demo` (data/policies/seed.json), the public list with Chinese search and
filters, details with the conditions rendered for people, drafting by the issuing
department's policy officers (and nobody else), validation errors that name the
condition's path, publish / new version / withdraw with versions kept, named conditions,
JsonLogic export, matching an enterprise's stored facts (eligible, ineligible, possibly
eligible with missing facts, manual review, 就高不重复) and the visitor's "what if"
matching, which needs no login and stores nothing.
"""
import json
import os
import subprocess
import urllib.parse

import pytest

from conftest import assert_error

DEMO_CODE = "91340100131860916Y"  # the demo enterprise: 340811, industry 3491, small
OTHER_CODE = "913401007865797540"  # a valid code in Hefei (340100)
SEED = json.load(open(os.path.join(os.path.dirname(__file__), "..", "..", "data", "policies",
                                   "seed.json"), encoding="utf-8"))
W = 1_000_000  # fen per 万元


def q(s):
    return urllib.parse.quote(s)


@pytest.fixture(scope="module")
def tokens(server):
    t = {u: server.login(u) for u in ["admin", "officer", "enterprise", "handler"]}
    # A policy officer of another department (科技局).
    st, _, data = server.request("POST", "/api/v1/users", {
        "username": "kjj_officer", "password": "secret-pass-1", "role": "policy_officer",
        "org": "340800-KJJ"}, token=t["admin"])
    assert st == 201, data
    t["kjj"] = server.login("kjj_officer", "secret-pass-1")
    return t


@pytest.fixture(scope="module")
def ids(server):
    """Seed policy ids by title (as the public list shows them)."""
    items = server.list_all("/api/v1/policies?state=all", server.admin())
    return {p["title"]: p["id"] for p in items}


def match_of(answer, pid):
    for it in answer["items"]:
        if it["policy"]["id"] == pid:
            return it
    raise AssertionError("policy %s not in the answer" % pid)


def draft_doc(**over):
    doc = {
        "title": "测试用研发费用补助",
        "doc_no": "庆经信〔2026〕99号",
        "summary": "测试：研发费用达到一定规模的企业给予补助。",
        "delivery": "ji_shen",
        "region_scope": ["3408"],
        "valid_from": "2026-01-01",
        "valid_to": "2028-12-31",
        "contact": {"dept": "经信局", "phone": "0556-0000000"},
        "materials": ["营业执照", {"name": "研发费用专项审计报告", "required": False}],
        "tags": ["研发"],
        "rules": {"conditions": {"all": [
            {"fact": "rd_expense", "op": "ge", "value": 50 * W, "label": "研发费用50万元以上(含)",
             "source": "庆经信〔2026〕99号 第二条"},
            {"ref": "small_micro"}]},
            "amount": {"fixed": 5 * W}},
    }
    doc.update(over)
    return doc


# ---- the seed policies and the public list -----------------------------------------------


def test_seed_policies_are_published_and_listed(server):
    seeded = [p for p in SEED["policies"]]
    assert len(seeded) >= 30
    fast = [p for p in seeded if p["delivery"] in ("mian_shen", "ji_shen")]
    assert len(fast) / len(seeded) >= 0.8
    items = server.list_all("/api/v1/policies", None)
    titles = {p["title"] for p in items}
    in_force = [p for p in seeded if p["publish"] and p["valid_to"] >= "2026-12-01"]
    # Every published seed in its window is offered; the draft and the expired one are not.
    for p in seeded:
        if p in in_force:
            assert p["title"] in titles, p["title"]
        else:
            assert p["title"] not in titles, p["title"]
    assert all(p["state"] == "published" and p["doc_no"] for p in items)
    expired = server.list_all("/api/v1/policies?state=expired", None)
    assert [p["title"] for p in expired] == ["2025年度工业稳增长奖励"]
    assert expired[0]["state"] == "expired"
    # Drafts are for policy officers only.
    assert_error(server.request("GET", "/api/v1/policies?state=draft"), 403, "forbidden", "state")


def test_paging_with_cursor(server):
    st, _, first = server.request("GET", "/api/v1/policies?limit=5")
    assert st == 200 and len(first["items"]) == 5 and first["next_cursor"]
    st, _, second = server.request("GET", "/api/v1/policies?limit=5&cursor=" + first["next_cursor"])
    assert st == 200
    # Ids are strings (DESIGN.md §8); the pages follow each other by id.
    assert all(isinstance(p["id"], str) for p in first["items"] + second["items"])
    assert int(second["items"][0]["id"]) > int(first["items"][-1]["id"])
    seen = [p["id"] for p in server.list_all("/api/v1/policies", None, limit=7)]
    assert len(seen) == len(set(seen)) == len(server.list_all("/api/v1/policies", None))


def test_chinese_search_and_filters(server):
    def titles(query):
        st, _, data = server.request("GET", "/api/v1/policies?limit=500&" + query)
        assert st == 200, data
        return [p["title"] for p in data["items"]]

    srdi = titles("q=" + q("专精特新"))
    assert len(srdi) == 3 and all("专精特新" in t for t in srdi)
    # Two characters: below the trigram length, still found.
    assert {"小微企业贷款贴息", "创业担保贷款贴息"} <= set(titles("q=" + q("贴息")))
    # 文号 is searched too.
    by_doc = titles("q=" + q("庆政办〔2024〕15号"))
    assert "失业保险稳岗返还" in by_doc and "高校毕业生就业补贴" in by_doc
    assert titles("q=" + q("不存在的政策名称")) == []
    for p in server.request("GET", "/api/v1/policies?limit=500&delivery=shen_bao")[2]["items"]:
        assert p["delivery"] == "shen_bao" and p["delivery_label"] == "申报审批"
    rsj = server.request("GET", "/api/v1/policies?org=340800-RSJ")[2]["items"]
    assert rsj and all(p["org"]["code"] == "340800-RSJ" for p in rsj)
    assert "高校毕业生就业补贴" in [p["title"] for p in rsj]
    # Region: 怀宁县 policies cover 340822 only; the province-wide one covers both.
    huaining = titles("region=340822")
    yixiu = titles("region=340811")
    assert "怀宁县小微企业创业房租补贴" in huaining and "怀宁县小微企业创业房租补贴" not in yixiu
    assert "长三角科技创新券" in huaining and "长三角科技创新券" in yixiu
    assert "长三角科技创新券" in titles("region=340100")
    assert "失业保险稳岗返还" not in titles("region=340100")
    assert all("研发" in p["tags"] for p in
               server.request("GET", "/api/v1/policies?tag=" + q("研发"))[2]["items"])
    assert_error(server.request("GET", "/api/v1/policies?delivery=fast"), 400, "invalid", "delivery")
    assert_error(server.request("GET", "/api/v1/policies?region=34x"), 400, "invalid", "region")


def test_detail_renders_conditions_and_guide(server, ids):
    st, _, p = server.request("GET", "/api/v1/policies/%s" % ids["失业保险稳岗返还"])
    assert st == 200, p
    assert p["state"] == "published" and p["in_force"] and p["delivery_label"] == "免申即享"
    assert p["org"]["code"] == "340800-RSJ" and p["contact"]["phone"]
    assert p["materials"] and p["actions"] == [] and p["can_edit"] is False
    flat = []

    def walk(n):
        flat.append(n)
        for ch in n.get("children", []):
            walk(ch)

    walk(p["conditions"])
    layoff = [n for n in flat if n.get("fact") == "layoff_rate"]
    assert layoff and layoff[0]["label"] == "上年度裁员率不高于5.5%"
    assert layoff[0]["source"] == "庆政办〔2024〕15号 第二条" and "5.5" in layoff[0]["expected"]
    assert any(n.get("path") == "scope" for n in flat)  # region scope shown as a condition
    assert all("status" not in n for n in flat)          # nothing about any enterprise
    assert_error(server.request("GET", "/api/v1/policies/999999"), 404, "not_found")
    assert_error(server.request("GET", "/api/v1/policies/abc"), 404, "not_found")


def test_jsonlogic_export(server, ids):
    st, _, j = server.request("GET", "/api/v1/policies/%s/jsonlogic" % ids["研发投入补贴"])
    assert st == 200, j
    text = json.dumps(j["jsonlogic"], ensure_ascii=False)
    assert j["policy_id"] == ids["研发投入补贴"] and j["version"] == 1
    assert '"var"' in text and "rd_expense" in text


# ---- drafting: who may, and validation ---------------------------------------------------


def test_create_permissions(server, tokens):
    # Only policy officers (for their own department) and admins draft policies.
    assert_error(server.request("POST", "/api/v1/policies", draft_doc(), token=tokens["enterprise"]),
                 403, "forbidden")
    assert_error(server.request("POST", "/api/v1/policies", draft_doc(), token=tokens["handler"]),
                 403, "forbidden")
    assert_error(server.request("POST", "/api/v1/policies", draft_doc()), 401, "unauthorized")
    assert_error(server.request("POST", "/api/v1/policies", draft_doc(org="340800-KJJ"),
                                token=tokens["officer"]), 403, "forbidden", "org")
    assert_error(server.request("POST", "/api/v1/policies", draft_doc(), token=tokens["admin"]),
                 400, "invalid", "org")
    before = server.audit_count()
    st, _, p = server.request("POST", "/api/v1/policies", draft_doc(), token=tokens["officer"])
    assert st == 201, p
    assert p["state"] == "draft" and p["org"]["code"] == "340800-JXJ" and p["can_edit"]
    assert p["actions"] == ["validate", "publish"] and p["draft_version"] == 1
    assert server.audit_count() == before + 1
    pid = p["id"]
    # A draft exists only for its department (and admins).
    assert_error(server.request("GET", "/api/v1/policies/%s" % pid), 404, "not_found")
    assert_error(server.request("GET", "/api/v1/policies/%s" % pid, token=tokens["kjj"]),
                 404, "not_found")
    assert_error(server.request("GET", "/api/v1/policies/%s" % pid, token=tokens["enterprise"]),
                 404, "not_found")
    assert server.request("GET", "/api/v1/policies/%s" % pid, token=tokens["admin"])[0] == 200
    assert_error(server.request("PATCH", "/api/v1/policies/%s" % pid, {"title": "改"},
                                token=tokens["kjj"]), 404, "not_found")
    mine = server.list_all("/api/v1/policies?state=draft", tokens["officer"])
    assert pid in [x["id"] for x in mine]
    assert pid not in [x["id"] for x in server.list_all("/api/v1/policies?state=draft",
                                                         tokens["kjj"])]
    st, _, p = server.request("PATCH", "/api/v1/policies/%s" % pid, {"title": "测试用研发补助（修改）"},
                              token=tokens["officer"])
    assert st == 200 and p["title"] == "测试用研发补助（修改）" and p["summary"] == draft_doc()["summary"]


@pytest.mark.parametrize("rules,field,message", [
    ({"conditions": {"all": [{"fact": "revenue", "op": "ge", "value": 1},
                             {"fact": "revenu", "op": "ge", "value": 1}]}},
     "rules.conditions.all[1].fact", "revenu"),
    ({"conditions": {"all": [{"fact": "revenue", "op": "between", "value": [9, 1]}]}},
     "rules.conditions.all[0].value", "区间"),
    ({"conditions": {"any": [{"fact": "revenue", "op": "has", "value": "high_tech"}]}},
     "rules.conditions.any[0]", "has"),
    ({"conditions": {"ref": "no_such_condition"}}, "rules.conditions", "no_such_condition"),
])
def test_bad_rules_are_refused_with_the_path(server, tokens, rules, field, message):
    before = server.audit_count()
    err = assert_error(server.request("POST", "/api/v1/policies", draft_doc(rules=rules),
                                      token=tokens["officer"]), 400, "invalid", message=message)
    assert err["field"].startswith(field), err
    assert server.audit_count() == before


def test_bad_documents(server, tokens):
    t = tokens["officer"]
    assert_error(server.request("POST", "/api/v1/policies", draft_doc(delivery="fast"), token=t),
                 400, "invalid", "delivery")
    assert_error(server.request("POST", "/api/v1/policies", draft_doc(region_scope=["3499"]),
                                token=t), 400, "invalid", "region_scope")
    assert_error(server.request("POST", "/api/v1/policies", draft_doc(region_scope=[]), token=t),
                 400, "invalid", "region_scope")
    assert_error(server.request("POST", "/api/v1/policies",
                                draft_doc(valid_from="2027-01-01", valid_to="2026-01-01"), token=t),
                 400, "invalid", "valid_to")
    assert_error(server.request("POST", "/api/v1/policies", draft_doc(colour="red"), token=t),
                 400, "invalid", "colour")
    doc = draft_doc()
    del doc["title"]
    assert_error(server.request("POST", "/api/v1/policies", doc, token=t), 400, "invalid", "title")


# ---- publish, versions, withdraw -----------------------------------------------------


def test_publish_new_version_withdraw(server, tokens):
    t = tokens["officer"]
    # A draft without conditions saves, but does not validate or publish.
    doc = draft_doc(title="版本测试政策", rules={})
    st, _, p = server.request("POST", "/api/v1/policies", doc, token=t)
    assert st == 201, p
    pid = p["id"]
    path = "/api/v1/policies/%s" % pid
    assert_error(server.request("POST", path + "/actions", {"action": "publish"}, token=t),
                 400, "invalid", "rules.conditions")
    assert server.request("PATCH", path, {"rules": draft_doc()["rules"]}, token=t)[0] == 200
    # Another department may not act on it; an enterprise may not even try.
    assert_error(server.request("POST", path + "/actions", {"action": "publish"},
                                token=tokens["kjj"]), 404, "not_found")
    assert_error(server.request("POST", path + "/actions", {"action": "publish"},
                                token=tokens["enterprise"]), 403, "forbidden")
    assert_error(server.request("POST", path + "/actions", {"action": "fly"}, token=t),
                 400, "invalid", "action")
    st, _, v = server.request("POST", path + "/actions", {"action": "validate"}, token=t)
    assert st == 200 and v["validation"]["ok"] is True and v["state"] == "draft"
    st, _, p = server.request("POST", path + "/actions", {"action": "publish"}, token=t)
    assert st == 200, p
    assert p["state"] == "published" and p["published_version"] == 1 and p["actions"][0] == "new_version"
    assert pid in [x["id"] for x in server.list_all("/api/v1/policies", None)]
    assert server.request("GET", path)[0] == 200  # public now
    # A published version is frozen.
    assert_error(server.request("PATCH", path, {"title": "改"}, token=t), 409, "bad_state")
    st, _, p = server.request("POST", path + "/actions", {"action": "new_version", "note": "提高金额"},
                              token=t)
    assert st == 200 and p["draft_version"] == 2 and p["version"] == 1
    assert_error(server.request("POST", path + "/actions", {"action": "new_version"}, token=t),
                 409, "bad_state")
    st, _, p = server.request("PATCH", path, {"title": "版本测试政策（第二版）",
                                             "rules": dict(draft_doc()["rules"],
                                                           amount={"fixed": 8 * W})}, token=t)
    assert st == 200 and p["version"] == 2 and p["title"] == "版本测试政策（第二版）"
    # The public still sees version 1 until version 2 is published.
    pub = server.request("GET", path)[2]
    assert pub["title"] == "版本测试政策" and pub["version"] == 1
    versions = server.request("GET", path + "/versions")[2]["items"]
    assert [x["version"] for x in versions] == [1]
    versions = server.request("GET", path + "/versions", token=t)[2]["items"]
    assert [(x["version"], x["state"]) for x in versions] == [(1, "published"), (2, "draft")]
    st, _, p = server.request("POST", path + "/actions", {"action": "publish"}, token=t)
    assert st == 200 and p["version"] == 2 and p["title"] == "版本测试政策（第二版）"
    versions = server.request("GET", path + "/versions")[2]["items"]
    assert [(x["version"], x["state"]) for x in versions] == [(1, "superseded"), (2, "published")]
    old = server.request("GET", path + "?version=1")[2]
    assert old["title"] == "版本测试政策" and old["rules"]["amount"] == {"fixed": 5 * W}
    # Withdraw: out of the supermarket and out of matching.
    st, _, p = server.request("POST", path + "/actions", {"action": "withdraw", "note": "政策调整"},
                              token=t)
    assert st == 200 and p["state"] == "withdrawn"
    assert pid not in [x["id"] for x in server.list_all("/api/v1/policies", None)]
    assert pid in [x["id"] for x in server.list_all("/api/v1/policies?state=withdrawn", None)]
    assert_error(server.request("POST", path + "/actions", {"action": "withdraw"}, token=t),
                 409, "bad_state")
    st, _, m = server.request("POST", "/api/v1/policies/match",
                              {"facts": {"region": "340811", "scale": "small", "rd_expense": 80 * W}})
    assert st == 200 and pid not in [i["policy"]["id"] for i in m["items"]]
    actions = [r[0] for r in server.sql(
        "SELECT action FROM audit WHERE entity = 'policy' AND entity_id = '%s' ORDER BY seq" % pid)]
    assert actions == ["policy.create", "policy.update", "policy.publish", "policy.new_version",
                       "policy.update", "policy.publish", "policy.withdraw"]


def test_policy_lifecycle_is_a_table(server, tokens):
    """Issue 15: the policy's lifecycle is a src/flow table: GET .../actions lists what the
    caller may do, every action writes a timeline event, validate writes nothing."""
    t = tokens["officer"]
    st, _, p = server.request("POST", "/api/v1/policies", draft_doc(title="流程表测试政策"), token=t)
    assert st == 201, p
    path = "/api/v1/policies/%s" % p["id"]
    st, _, a = server.request("GET", path + "/actions", token=t)
    assert st == 200 and a["items"] == [
        {"action": "validate", "label": "校验", "note_required": False},
        {"action": "publish", "label": "发布", "note_required": False}], a
    assert_error(server.request("GET", path + "/actions", token=tokens["kjj"]), 404, "not_found")
    assert_error(server.request("GET", path + "/actions"), 404, "not_found")
    events = lambda: [r[0] for r in server.sql(
        "SELECT action || ':' || COALESCE(from_state, '') || '>' || to_state FROM events "
        "WHERE entity = 'policy' AND entity_id = %s ORDER BY id" % p["id"])]
    assert server.request("POST", path + "/actions", {"action": "validate"}, token=t)[0] == 200
    assert events() == []
    for action in ("publish", "new_version"):
        assert server.request("POST", path + "/actions", {"action": action}, token=t)[0] == 200
    st, _, a = server.request("GET", path + "/actions", token=t)
    assert [x["action"] for x in a["items"]] == ["validate", "publish", "withdraw"], a
    assert server.request("GET", path, token=t)[2]["actions"] == ["validate", "publish",
                                                                 "withdraw"]
    assert server.request("GET", path + "/actions")[2]["items"] == []
    assert_error(server.request("POST", path + "/actions", {"action": "new_version"}, token=t),
                 409, "bad_state")
    assert server.request("POST", path + "/actions", {"action": "withdraw", "note": "调整"},
                          token=t)[0] == 200
    assert events() == ["publish:draft>published", "new_version:published>published",
                        "withdraw:published>withdrawn"]
    st, _, labels = server.request("GET", "/api/v1/labels", token=t)
    assert labels["policy"]["states"] == {"draft": "草稿", "published": "已发布",
                                          "withdrawn": "已撤回", "expired": "已过期"}
    assert labels["policy"]["actions"]["adopt_conditions"] == "采用命名条件的新版本"


# ---- named conditions --------------------------------------------------------------------


def test_named_conditions(server, tokens):
    st, _, data = server.request("GET", "/api/v1/conditions", token=tokens["officer"])
    assert st == 200
    names = {c["name"]: c for c in data["items"]}
    assert {"small_micro", "good_credit", "clean_record", "manufacturing"} <= set(names)
    assert names["small_micro"]["label"] == "小微企业"
    assert_error(server.request("GET", "/api/v1/conditions", token=tokens["enterprise"]),
                 403, "forbidden")
    assert_error(server.request("PUT", "/api/v1/conditions/exporter",
                                {"label": "出口企业", "node": {"fact": "export_valu", "op": "gt", "value": 0}},
                                token=tokens["officer"]), 400, "invalid")
    assert_error(server.request("PUT", "/api/v1/conditions/Bad-Name",
                                {"label": "x", "node": {"fact": "export_value", "op": "gt", "value": 0}},
                                token=tokens["officer"]), 400, "invalid", "name")
    st, _, c = server.request("PUT", "/api/v1/conditions/exporter",
                              {"label": "出口企业", "node": {"fact": "export_value", "op": "gt", "value": 0}},
                              token=tokens["officer"])
    assert st == 200 and c["version"] == 1
    st, _, p = server.request("POST", "/api/v1/policies",
                              draft_doc(title="出口企业测试", rules={"conditions": {"ref": "exporter"}}),
                              token=tokens["officer"])
    assert st == 201, p
    # A change that would break a published policy is refused.
    st, _, p = server.request("POST", "/api/v1/policies/%s/actions" % p["id"], {"action": "publish"},
                              token=tokens["officer"])
    assert st == 200
    assert_error(server.request("PUT", "/api/v1/conditions/exporter",
                                {"label": "出口企业", "node": {"ref": "exporter"}},
                                token=tokens["officer"]), 400, "invalid")


# ---- matching -------------------------------------------------------------------------------


def put_facts(server, token, code, facts):
    st, _, data = server.request("PUT", "/api/v1/enterprises/%s/facts" % code,
                                 {"facts": [{"fact": k, "value": v} for k, v in facts.items()]},
                                 token=token)
    assert st == 200, data


def test_enterprise_matching_outcomes(server, tokens, ids):
    path = "/api/v1/enterprises/%s/policies" % DEMO_CODE
    # With only the registration record most policies lack data.
    st, _, a = server.request("GET", path, token=tokens["enterprise"])
    assert st == 200, a
    assert a["credit_code"] == DEMO_CODE and a["counts"]["possibly_eligible"] > 0
    stable = match_of(a, ids["失业保险稳岗返还"])
    assert stable["outcome"] == "possibly_eligible"
    assert {"insured_employees", "layoff_rate"} <= {m["fact"] for m in stable["missing"]}
    ranked = a["missing_ranked"]
    assert ranked and [r["policies"] for r in ranked] == sorted((r["policies"] for r in ranked),
                                                                reverse=True)
    put_facts(server, tokens["admin"], DEMO_CODE, {
        "insured_employees": 40, "layoff_rate": 2, "dishonest_executee": False,
        "tax_credit_rating": "A", "major_violation": False, "env_penalty": False,
        "rd_expense": 300 * W, "rd_ratio": 4.5})
    st, _, a = server.request("GET", path, token=tokens["enterprise"])
    assert st == 200
    stable = match_of(a, ids["失业保险稳岗返还"])
    assert stable["outcome"] == "eligible" and stable["amount_fen"] == 40 * 30000
    assert stable["authoritative"] is True and stable["explanation"]
    rd = match_of(a, ids["研发投入补贴"])
    assert rd["outcome"] == "eligible" and rd["amount_fen"] == 30 * W  # 10% of 300万
    assert match_of(a, ids["科技型中小企业研发费用奖补"])["outcome"] == "ineligible"
    city = match_of(a, ids["专精特新企业奖励（市级专精特新中小企业）"])
    assert city["outcome"] == "eligible" and city["amount_fen"] == 20 * W
    first = match_of(a, ids["高新技术企业首次认定奖励"])
    assert first["outcome"] == "possibly_eligible"
    assert [m["fact"] for m in first["missing"]] == ["high_tech_certified_on"]
    green = match_of(a, ids["绿色工厂奖励"])  # manufacturing, no penalty: a person decides
    assert green["outcome"] == "manual_review"
    assert match_of(a, ids["怀宁县小微企业创业房租补贴"])["outcome"] == "ineligible"
    assert match_of(a, ids["外商投资企业到资奖励"])["outcome"] == "ineligible"
    assert ids["2025年度工业稳增长奖励"] not in [i["policy"]["id"] for i in a["items"]]
    outcomes = [i["outcome"] for i in a["items"]]
    order = ["eligible", "manual_review", "possibly_eligible", "ineligible"]
    assert outcomes == sorted(outcomes, key=order.index)
    assert a["estimated_total_fen"] >= 40 * 30000 + 30 * W + 20 * W
    # The explanation says why, in Chinese, with the actual value.
    texts = json.dumps(stable["explanation"], ensure_ascii=False)
    assert "裁员率" in texts
    # 就高不重复: with the provincial tier too, the city award is excluded by it.
    st, _, _ = server.request("PATCH", "/api/v1/enterprises/%s" % DEMO_CODE,
                              {"tags": ["high_tech", "srdi_city", "srdi_province"]},
                              token=tokens["admin"])
    assert st == 200
    a = server.request("GET", path, token=tokens["enterprise"])[2]
    prov = match_of(a, ids["专精特新企业奖励（省级专精特新中小企业）"])
    city = match_of(a, ids["专精特新企业奖励（市级专精特新中小企业）"])
    assert prov["outcome"] == "eligible" and prov["amount_fen"] == 50 * W
    assert city["outcome"] == "eligible" and city["amount_fen"] == 0
    assert city["excluded_by"] == prov["policy"]["id"]


def test_matching_is_scoped(server, tokens):
    st, _, _ = server.request("POST", "/api/v1/enterprises", {
        "credit_code": OTHER_CODE, "name": "合肥某某科技有限公司", "region": "340104"},
        token=tokens["admin"])
    assert st in (200, 201)
    assert_error(server.request("GET", "/api/v1/enterprises/%s/policies" % OTHER_CODE,
                                token=tokens["enterprise"]), 404, "not_found")
    assert_error(server.request("GET", "/api/v1/enterprises/%s/policies" % DEMO_CODE),
                 401, "unauthorized")
    st, _, a = server.request("GET", "/api/v1/enterprises/%s/policies" % OTHER_CODE,
                              token=tokens["admin"])
    assert st == 200
    # Outside Anqing only the province-wide policy can apply.
    offered = [i["policy"]["title"] for i in a["items"] if i["outcome"] != "ineligible"]
    assert offered == ["长三角科技创新券"] or set(offered) <= {"长三角科技创新券"}


def test_what_if_matching_needs_no_login_and_stores_nothing(server, ids):
    tables = ["enterprises", "enterprise_facts", "audit", "policies", "grants", "applications"]
    before = {t: server.sql("SELECT COUNT(*) FROM %s" % t)[0][0] for t in tables}
    facts = {"region": "340822", "scale": "micro", "founded": "2025-06-01",
             "insured_employees": 12, "layoff_rate": 0, "dishonest_executee": False,
             "new_graduates_hired": 3, "loan_interest": 8 * W, "tax_credit_rating": "B"}
    st, _, a = server.request("POST", "/api/v1/policies/match", {"facts": facts})
    assert st == 200, a
    grads = match_of(a, ids["高校毕业生就业补贴"])
    assert grads["outcome"] == "eligible" and grads["amount_fen"] == 3 * 100000
    rent = match_of(a, ids["怀宁县小微企业创业房租补贴"])
    assert rent["outcome"] == "eligible" and rent["amount_fen"] == 1 * W
    # Two loan-interest subsidies, 就高不重复: 50% of 8万 beats 30% of 8万.
    loan = match_of(a, ids["小微企业贷款贴息"])
    startup = match_of(a, ids["创业担保贷款贴息"])
    assert loan["amount_fen"] == 4 * W and startup["excluded_by"] == ids["小微企业贷款贴息"]
    assert all(i["authoritative"] is False for i in a["items"])
    after = {t: server.sql("SELECT COUNT(*) FROM %s" % t)[0][0] for t in tables}
    assert after == before
    st, _, brief = server.request("POST", "/api/v1/policies/match", {"facts": facts, "explain": False})
    assert st == 200 and all("explanation" not in i for i in brief["items"])
    assert_error(server.request("POST", "/api/v1/policies/match", {"facts": {"revenu": 1}}),
                 400, "invalid", "facts.revenu")
    assert_error(server.request("POST", "/api/v1/policies/match", {"facts": {"revenue": "many"}}),
                 400, "invalid", "facts.revenue")
    assert_error(server.request("POST", "/api/v1/policies/match", {"facts": {"region": "34"}}),
                 400, "invalid", "facts.region")
    assert_error(server.request("POST", "/api/v1/policies/match", {"fact": {}}), 400, "invalid")
    big = {"facts": {"region": "340811"}, "padding": "x" * 20000}
    st, _, _ = server.request("POST", "/api/v1/policies/match", big)
    assert st == 413


# ---- limits: a policy can never crash or hang the server ------------------------------------


def nested_not(depth):
    node = {"fact": "revenue", "op": "ge", "value": 1}
    for _ in range(depth):
        node = {"not": node}
    return node


def test_rule_size_and_depth_limits(server, tokens):
    t = tokens["officer"]
    before = server.audit_count()
    # Deeper than the rule engine allows (32), though within the JSON limit (64).
    err = assert_error(server.request("POST", "/api/v1/policies",
                                      draft_doc(rules={"conditions": nested_not(40)}), token=t),
                       413, "too_large", message="嵌套层数超过")
    assert err["field"].startswith("rules.conditions.not"), err
    # More condition nodes than a policy may have (1000).
    group = [{"fact": "revenue", "op": "ge", "value": i} for i in range(100)]
    many = {"any": [{"all": group} for _ in range(11)]}
    err = assert_error(server.request("POST", "/api/v1/policies",
                                      draft_doc(rules={"conditions": many}), token=t),
                       413, "too_large", message="条件节点超过")
    assert err["field"].startswith("rules.conditions.any["), err
    # A list longer than a policy's list limit (1000 items).
    err = assert_error(server.request("POST", "/api/v1/policies", draft_doc(rules={"conditions": {
        "fact": "industry", "op": "prefix_in", "value": ["C%02d" % (i % 100) for i in range(1001)]}}),
        token=t), 413, "too_large", message="1000")
    assert err["field"].startswith("rules.conditions"), err
    # Deeper than the JSON limit: refused by the parser before any rule is read.
    assert_error(server.request("POST", "/api/v1/policies",
                                draft_doc(rules={"conditions": nested_not(70)}), token=t),
                 400, "too_deep")
    # A named condition that refers to itself is refused, not expanded forever.
    assert_error(server.request("PUT", "/api/v1/conditions/loop_a",
                                {"label": "循环", "node": {"ref": "loop_a"}}, token=t), 400, "invalid")
    # The same limits hold for the visitor's what-if (nothing to compile there, but the body).
    assert server.audit_count() == before
    # The server is still answering.
    assert server.request("GET", "/api/v1/policies?limit=1")[0] == 200


def test_ids_are_strings(server, tokens, ids):
    pid = ids["失业保险稳岗返还"]
    assert isinstance(pid, str) and pid.isdigit()
    p = server.request("GET", "/api/v1/policies/%s" % pid)[2]
    assert p["id"] == pid
    j = server.request("GET", "/api/v1/policies/%s/jsonlogic" % pid)[2]
    assert j["policy_id"] == pid
    a = server.request("POST", "/api/v1/policies/match", {"facts": {"region": "340811"}})[2]
    assert all(isinstance(i["policy"]["id"], str) for i in a["items"])
    assert all(i["excluded_by"] is None or isinstance(i["excluded_by"], str) for i in a["items"])


# ---- compact answers (explain=compact + GET /policy-set) ------------------------------------

EXPLAIN_JS = os.path.join(os.path.dirname(__file__), "..", "..", "web", "src", "lib", "explain.js")


def expand_with_web_code(tmp_path, compact, template):
    """Joins a compact answer with the template using the web UI's own code (node)."""
    (tmp_path / "a.json").write_text(json.dumps(compact, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "t.json").write_text(json.dumps(template, ensure_ascii=False), encoding="utf-8")
    script = ("import { readFileSync } from 'node:fs';"
              "import { expandAnswer } from %s;"
              "const r = (f) => JSON.parse(readFileSync(f, 'utf8'));"
              "process.stdout.write(JSON.stringify(expandAnswer(r(process.argv[1]), r(process.argv[2]))))"
              % json.dumps("file://" + os.path.abspath(EXPLAIN_JS)))
    out = subprocess.run(["node", "--input-type=module", "-e", script,
                          str(tmp_path / "a.json"), str(tmp_path / "t.json")],
                         capture_output=True, check=True, timeout=60)
    return json.loads(out.stdout)


def test_compact_answers_join_to_the_full_answer(server, tokens, tmp_path):
    t = tokens["officer"]
    # One published policy with every shape the seeds lack (exists, not, at_least).
    doc = draft_doc(title="紧凑说明测试政策", rules={"conditions": {"all": [
        {"fact": "rd_expense", "op": "exists", "label": "已填报研发费用"},
        {"not": {"fact": "dishonest_executee", "op": "eq", "value": True}},
        {"at_least": 2, "of": [
            {"fact": "insured_employees", "op": "ge", "value": 10},
            {"fact": "founded", "op": "years_since", "value": {"cmp": "ge", "value": 1}},
            {"fact": "tags", "op": "has", "value": "high_tech"}]}]},
        "amount": {"fixed": 1 * W}})
    st, _, p = server.request("POST", "/api/v1/policies", doc, token=t)
    assert st == 201, p
    st, _, pub = server.request("POST", "/api/v1/policies/%s/actions" % p["id"],
                                {"action": "publish"}, token=t)
    assert st == 200, pub

    st, hdrs, template = server.request("GET", "/api/v1/policy-set")  # public, like the list
    assert st == 200, template
    etag = hdrs.get("ETag")
    assert etag == '"ps-%s"' % template["set_key"] and hdrs.get("Cache-Control") == "no-cache"
    titles = [x["policy"]["title"] for x in template["policies"]]
    assert "紧凑说明测试政策" in titles and "2025年度工业稳增长奖励" not in titles
    kinds = json.dumps(template, ensure_ascii=False)
    for k in ('"kind": "not"', '"kind": "at_least"', '"years": true', '"manual": true'):
        assert k in kinds, k
    # Unchanged set: 304 without a body.
    st, _, body = server.request("GET", "/api/v1/policy-set", headers={"If-None-Match": etag})
    assert st == 304 and not body

    path = "/api/v1/enterprises/%s/policies" % DEMO_CODE
    answers = []
    st, _, full = server.request("GET", path, token=tokens["enterprise"])
    st2, _, compact = server.request("GET", path + "?explain=compact", token=tokens["enterprise"])
    assert st == st2 == 200
    answers.append((full, compact))
    # A visitor with little data: missing facts, unknown leaves, years_since.
    facts = {"region": "340822", "founded": "2020-03-01", "insured_employees": 12,
             "dishonest_executee": False}
    st, _, full = server.request("POST", "/api/v1/policies/match", {"facts": facts})
    st2, _, compact = server.request("POST", "/api/v1/policies/match",
                                     {"facts": facts, "explain": "compact"})
    assert st == st2 == 200
    answers.append((full, compact))
    for full, compact in answers:
        assert compact["explain"] == "compact" and compact["set_key"] == template["set_key"]
        assert all("explanation" not in i and "policy" not in i and len(i["status"]) > 0
                   for i in compact["items"])
        assert len(json.dumps(compact)) * 3 < len(json.dumps(full))
        joined = expand_with_web_code(tmp_path, compact, template)
        assert joined == full
    mine = [i for i in answers[1][0]["items"] if i["policy"]["title"] == "紧凑说明测试政策"][0]
    # rd_expense is missing, so "exists" is false (not unknown); the rest holds.
    assert mine["outcome"] == "ineligible"
    leaves = mine["explanation"]["children"][1]["children"]
    assert [(n["status"], n.get("actual")) for n in leaves[:1]] == [("false", None)]
    assert [n["status"] for n in leaves[1:]] == ["true", "true"]
    # A stale template is refused by the web code rather than joined wrongly.
    stale = dict(template, set_key="0-0")
    with pytest.raises(subprocess.CalledProcessError):
        expand_with_web_code(tmp_path, answers[1][1], stale)
    assert_error(server.request("GET", path + "?explain=short", token=tokens["enterprise"]),
                 400, "invalid", "explain")
    assert_error(server.request("POST", "/api/v1/policies/match",
                                {"facts": facts, "explain": 3}), 400, "invalid", "explain")
    # Withdrawn: the template moves on, and the old ETag no longer matches.
    assert server.request("POST", "/api/v1/policies/%s/actions" % p["id"],
                          {"action": "withdraw", "note": "测试结束"}, token=t)[0] == 200
    st, hdrs, after = server.request("GET", "/api/v1/policy-set", headers={"If-None-Match": etag})
    assert st == 200 and after["set_key"] != template["set_key"]
    assert "紧凑说明测试政策" not in [x["policy"]["title"] for x in after["policies"]]
