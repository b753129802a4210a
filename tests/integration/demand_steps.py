# SPDX-License-Identifier: Apache-2.0
"""Demands moved through their states by the demo users, for the tests of what is counted
about them (test_stats.py, test_demand_counts.py)."""

JXJ, FGW = "340800-JXJ", "340800-FGW"


class Flow:
    """A demand's way through the demo organisations (安庆): submitted by the enterprise,
    accepted and dispatched by the clerk, signed and replied by the 经信局 handler."""

    def __init__(self, server):
        self.s = server
        self.tok = {u: server.login(u) for u in ("clerk", "handler", "supervisor", "enterprise")}
        self.tok["admin"] = server.admin()

    def submit(self, title, category="help"):
        st, _, d = self.s.request("POST", "/api/v1/demands", token=self.tok["enterprise"], body={
            "category": category, "title": title, "content": "测试诉求：" + title,
            "contact_phone": "13905561234"})
        assert st == 201, d
        return d["id"]

    def act(self, who, did, action, **params):
        st, _, d = self.s.request("POST", "/api/v1/demands/%s/actions" % did,
                                  token=self.tok[who], body=dict(params, action=action))
        assert st == 200, (who, action, st, d)
        return d

    def dispatched(self, title, lead=JXJ):
        did = self.submit(title)
        self.act("clerk", did, "accept")
        self.act("clerk", did, "dispatch", lead=lead)
        return did

    def replied(self, title):
        did = self.dispatched(title)
        self.act("handler", did, "sign")
        self.act("handler", did, "reply", note="已答复：" + title)
        self.act("clerk", did, "review_accept")
        return did
