# SPDX-License-Identifier: Apache-2.0
"""
Duplicate suggestions at intake (issue 4 item 6): GET /api/v1/demands/{id}/duplicates
offers the intake desk (and oversight) the other demands of the same enterprise and
category within ?days= (default 30) and the demands of the same region whose title and
content are similar by character trigrams (Jaccard >= 0.3), ranked, with reasons.
Everyone else is refused exactly as for the demand itself: 404 without a relation,
403 with one.
"""
import re

import pytest

from conftest import assert_error

TEXT = ("园区道路破损严重，影响企业货车通行", "开发区纬三路路面大面积破损坑洼，雨天积水，我公司货车进出困难，请尽快修复。")


class W:
    def __init__(self, server):
        self.s = server
        self.tok = {u: server.login(u) for u in ("clerk", "handler", "supervisor", "enterprise",
                                                 "officer")}
        self.tok["admin"] = server.admin()

    def submit(self, category, title, content):
        st, _, d = self.s.request("POST", "/api/v1/demands", token=self.tok["enterprise"], body={
            "category": category, "title": title, "content": content})
        assert st == 201, d
        return d

    def act(self, who, did, action, **params):
        st, _, d = self.s.request("POST", "/api/v1/demands/%s/actions" % did,
                                  token=self.tok[who], body=dict(params, action=action))
        assert st == 200, (who, action, st, d)
        return d

    def dups(self, who, did, query=""):
        return self.s.request("GET", "/api/v1/demands/%s/duplicates%s" % (did, query),
                              token=self.tok[who])


@pytest.fixture(scope="module")
def w(server):
    return W(server)


@pytest.fixture(scope="module")
def data(w):
    base = w.submit("complaint", *TEXT)
    # Near-identical, but another category: suggested for its content only.
    near = w.submit("help", "园区道路破损严重，影响企业货车通行！",
                    "开发区纬三路路面大面积破损坑洼，雨天积水，货车进出困难，请尽快修复")
    # Unrelated text in a third category: not suggested.
    other = w.submit("consult", "高新技术企业认定咨询",
                     "请问高新技术企业认定需要准备哪些材料，研发费用占比有何要求？")
    # Same enterprise and category, different text: suggested for that.
    same = w.submit("complaint", "食堂油烟扰民", "隔壁餐饮店油烟直排，影响我公司办公环境。")
    # A near-identical demand that was merged: never suggested again.
    merged = w.submit("suggestion", *TEXT)
    w.act("clerk", merged["id"], "merge", into=near["id"], note="重复诉求")
    return {"base": base, "near": near, "other": other, "same": same, "merged": merged}


def test_suggestions_ranked_with_reasons(w, data):
    for who in ("clerk", "supervisor", "admin"):
        st, _, j = w.dups(who, data["base"]["id"])
        assert st == 200, (who, j)
        by = {it["id"]: it for it in j["items"]}
        assert data["near"]["id"] in by and data["same"]["id"] in by
        assert data["other"]["id"] not in by
        assert data["merged"]["id"] not in by and data["base"]["id"] not in by
        near = by[data["near"]["id"]]
        assert near["similarity"] > 0.3
        assert not near["same_enterprise"]
        assert re.fullmatch(r"内容相似度 0\.\d\d", near["reason"]), near["reason"]
        assert near["reason"] == "内容相似度 %.2f" % near["similarity"]
        assert near["no"] == data["near"]["no"] and near["title"] == data["near"]["title"]
        assert near["state"] == "submitted" and near["created_at"] == data["near"]["created_at"]
        same = by[data["same"]["id"]]
        assert same["same_enterprise"] and same["reason"] == "同一企业同类诉求（30 天内）"
        assert same["similarity"] < 0.3
        # Ranked: the same-enterprise match first, then by similarity.
        assert [it["id"] for it in j["items"]] == [data["same"]["id"], data["near"]["id"]]


def test_days_parameter(w, data):
    st, _, j = w.dups("clerk", data["base"]["id"], "?days=7")
    assert st == 200
    same = [it for it in j["items"] if it["id"] == data["same"]["id"]][0]
    assert same["reason"] == "同一企业同类诉求（7 天内）"
    for bad in ("0", "abc", "367", ""):
        assert_error(w.dups("clerk", data["base"]["id"], "?days=" + bad), 400, "invalid", "days")


def test_refused_as_the_demand_itself(w, data):
    did = data["base"]["id"]
    # The owner sees the demand but may not see suggestions: 403.
    assert_error(w.dups("enterprise", did), 403, "forbidden")
    # No relation (not dispatched to the handler; a policy officer): 404.
    assert_error(w.dups("handler", did), 404, "not_found")
    assert_error(w.dups("officer", did), 404, "not_found")
    assert_error(w.dups("clerk", "99999999"), 404, "not_found")
    assert_error(w.dups("clerk", "abc"), 404, "not_found")
    # Once dispatched, the lead's handler has a relation but not intake: 403.
    d = data["same"]["id"]
    w.act("clerk", d, "accept")
    w.act("clerk", d, "dispatch", lead="340800-JXJ")
    st, _, _ = w.s.request("GET", "/api/v1/demands/%s" % d, token=w.tok["handler"])
    assert st == 200
    assert_error(w.dups("handler", d), 403, "forbidden")
    st, _, _ = w.s.request("GET", "/api/v1/demands/%s/duplicates" % did)
    assert st == 401
