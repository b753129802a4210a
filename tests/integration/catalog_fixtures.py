# SPDX-License-Identifier: Apache-2.0
"""Small 办事指南 fixtures for the catalogue's tests (docs/internals/catalog.md): a guide
that passes the lint, ITEM files around it, and one guide per 2017 defect."""
import copy
import json
import pathlib

from conftest import credit_check_digit


def uscc(body17):
    return body17 + credit_check_digit(body17)


HEFEI_SCJ = uscc("11340100003000006")  # 合肥市市场监督管理局 (a 机关: starts with 11)
ANQING_SCJ = uscc("11340800003000001")

GOOD_GUIDE = {
    "effective_from": "2026-01-01", "effective_to": None,
    "exercise_level": "市级", "agency_nature": "法定机关",
    "audience": ["企业法人", "个体工商户"],
    "situations": [
        {"id": "s_chain", "question": "是否为连锁经营企业？", "type": "bool"},
        {"id": "s_area", "question": "经营场所面积", "type": "int", "unit": "平方米"},
        {"id": "s_kind", "question": "经营项目", "type": "code",
         "options": [{"value": "sale", "label": "食品销售"},
                     {"value": "catering", "label": "餐饮服务"}]}],
    "acceptance_conditions": [{"text": "申请人已取得营业执照"}],
    "steps": [{"name": "申请", "requirement": "申请人通过安徽政务服务网提交申请材料", "days": 0},
              {"name": "审查", "requirement": "对申请材料进行审查，必要时现场核查", "days": 5}],
    "materials": [
        {"id": "m1", "name": "食品经营许可申请书", "source": "applicant", "copies": 1,
         "form": "paper_or_electronic", "necessity": "required", "tolerance": False,
         "waiver_reason": None, "blank_form": "https://example.gov.cn/sq.docx",
         "sample": "https://example.gov.cn/sq-yb.pdf", "is_form": True, "note": ""},
        {"id": "m2", "name": "营业执照", "source": "license", "copies": 0,
         "form": "electronic", "necessity": "waived", "tolerance": False,
         "waiver_reason": "通过电子证照库共享获取", "is_form": False},
        {"id": "m3", "name": "连锁经营总部授权书", "source": "applicant", "copies": 1,
         "form": "paper", "necessity": "required", "is_form": False,
         "when": {"fact": "s_chain", "op": "eq", "value": True}},
        {"id": "m4", "name": "餐饮服务场所平面图", "source": "applicant", "copies": 1,
         "form": "paper", "necessity": "optional", "tolerance": True, "is_form": False,
         "when": {"all": [{"fact": "s_kind", "op": "eq", "value": "catering"},
                          {"fact": "s_area", "op": "ge", "value": 150}]}}],
    "time_limit": {"legal_days": 20, "promised_days": 5,
                   "special": [{"name": "现场核查", "days": 10, "basis": "《食品经营许可和备案管理办法》",
                                "counted": False}]},
    "case_type": "promise", "visits": 0, "online_depth": 4,
    "channels": ["window", "online"],
    "fees": [], "free": True,
    "locations": [{"name": "合肥市政务服务中心", "address": "合肥市蜀山区潜山路 100 号",
                   "hours": "工作日 9:00-12:00，13:00-17:00"}],
    "consult_phone": "0551-12345678", "complaint_phone": "12345",
    "results": [{"name": "食品经营许可证", "type": "license", "sample": "https://example.gov.cn/zz.pdf",
                 "delivery": ["window", "mail"]}],
    "intermediary": [],
    "legal_basis": [{"law": "《食品经营许可和备案管理办法》", "article": "第十条"}],
    "cross_region": None,
    "faq": [{"q": "可以网上办理吗？", "a": "可以，全程网办。"}],
}


def guide(**changes):
    g = copy.deepcopy(GOOD_GUIDE)
    for k, v in changes.items():
        g[k] = v
    return g


def item(basic_code="XK0010100Y", name="食品经营许可", impls=None, dept="市场监督管理局",
         kind="new", seq="01", life_stages=("zhunru",), type_="xk"):
    impls = impls or [{"region": "340100", "agency_name": "合肥市市场监督管理局",
                       "agency_uscc": HEFEI_SCJ, "guide": guide()}]
    return {
        "basic_code": basic_code, "name": name, "type": type_, "competent_dept": dept,
        "basis": [{"law": "《中华人民共和国食品安全法》", "article": "第三十五条"}],
        "aliases": ["开饭店", "餐饮许可证"], "life_stages": list(life_stages),
        "subitems": [{"code": "001", "name": name, "tasks": [{
            "kind": kind, "seq": seq, "name": "%s（新办）" % name, "impls": impls}]}],
    }


def impl_code(basic_code, region, agency, kind_digit="1", seq="01", sub="001"):
    return "%s%s-%s000000-000-%s-%s-%s" % (basic_code, sub, region, agency, kind_digit, seq)


def _material(**kw):
    m = {"id": "mx", "name": "股东会决议", "source": "applicant", "copies": 1, "form": "paper",
         "necessity": "required", "tolerance": False, "is_form": False}
    m.update(kw)
    return m


# Each 2017 defect (and the contradictions the lint also refuses), as (rule, guide).
DEFECTS = [
    ("time_limit_missing", guide(time_limit=None)),
    ("time_limit_missing", guide(time_limit={"legal_days": None, "promised_days": None})),
    ("fee_missing", guide(free=False, fees=[])),
    ("fee_missing", guide(free=None)),
    ("consult_phone_missing", guide(consult_phone=None)),
    ("complaint_phone_missing", guide(complaint_phone="")),
    ("location_missing", guide(locations=[])),
    ("hours_missing", guide(locations=[{"name": "合肥市政务服务中心", "address": "潜山路 100 号"}])),
    ("material_vague", guide(materials=[_material(name="其他材料")])),
    ("material_vague", guide(materials=[_material(name="相关材料")])),
    ("material_vague", guide(materials=[_material(name="根据相关法律法规需要提交的其他材料")])),
    ("material_vague", guide(materials=[_material(name="其他相关材料")])),
    ("material_vague", guide(materials=[_material(name="审批部门要求的其它材料。")])),
    ("step_requirement_missing", guide(steps=[{"name": "受理"}])),
    ("step_requirement_missing", guide(steps=[{"name": "受理", "requirement": "  "}])),
    ("form_blank_missing", guide(materials=[_material(name="申请表", is_form=True,
                                                      sample="https://x.gov.cn/yb.pdf")])),
    ("form_sample_missing", guide(materials=[_material(name="申请表", is_form=True,
                                                       blank_form="https://x.gov.cn/kb.docx")])),
    ("required_and_tolerance", guide(materials=[_material(tolerance=True)])),
    ("waiver_reason_missing", guide(materials=[_material(necessity="waived")])),
    ("acceptance_conditions_missing", guide(acceptance_conditions=[])),
    ("legal_basis_missing", guide(legal_basis=[])),
    ("results_missing", guide(results=[])),
    ("steps_missing", guide(steps=[])),
    ("materials_missing", guide(materials=[])),
]


def write_dir(root, items, bundles=()):
    root = pathlib.Path(root)
    (root / "items").mkdir(parents=True, exist_ok=True)
    (root / "bundles").mkdir(parents=True, exist_ok=True)
    for it in items:
        (root / "items" / ("%s.json" % it["basic_code"])).write_text(
            json.dumps(it, ensure_ascii=False, indent=1))
    for b in bundles:
        (root / "bundles" / ("%s.json" % b["code"])).write_text(
            json.dumps(b, ensure_ascii=False, indent=1))
    return root
