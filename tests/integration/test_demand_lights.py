# SPDX-License-Identifier: Apache-2.0
"""
Light counts of the open demands for the supervisor's 督办看板 (issue 6,
docs/internals/demand.md "Light counts"): GET /api/v1/stats/demand-lights.

The server's test clock stands at a fixed instant (conftest.fixed_instant: QIFU_TEST_NOW
or a Tuesday morning). Demands are built through the public API; a light that needs time to pass (a deadline
already over, one a few minutes away) is made by moving that column in the database,
which is what the passing of time would have done. The expected counts are written out
here and checked against the list's own light filter as well.
"""

import pytest

from conftest import assert_error, instant_ms, fixed_instant

JXJ, FGW = "340800-JXJ", "340800-FGW"
HOUR_MS = 3600000




@pytest.fixture(scope="module")
def world(server):
    # The lights are computed at a fixed instant of the server's test clock.
    server.set_clock(fixed_instant())
    tok = {u: server.login(u) for u in ("clerk", "handler", "supervisor", "enterprise")}
    tok["admin"] = server.admin()

    def act(who, did, action, **params):
        st, _, d = server.request("POST", "/api/v1/demands/%s/actions" % did, token=tok[who],
                                  body=dict(params, action=action))
        assert st == 200, (who, action, st, d)
        return d

    def submit(title):
        st, _, d = server.request("POST", "/api/v1/demands", token=tok["enterprise"], body={
            "category": "help", "title": title, "content": "红黄灯统计：" + title})
        assert st == 201, d
        return d["id"]

    def dispatched(title, lead=JXJ):
        did = submit(title)
        act("clerk", did, "accept")
        act("clerk", did, "dispatch", lead=lead)
        return did

    now = instant_ms(fixed_instant())
    # green: signed, reply due in five working days
    green = dispatched("绿灯：已签收")
    act("handler", green, "sign")
    # green as well: an extension request runs on the reply clock of the state before
    ext = dispatched("绿灯：延期待批")
    act("handler", ext, "sign")
    act("handler", ext, "request_extension", until="2030-12-31", note="需要联审")
    # red: the reply deadline has passed
    red = dispatched("红灯：答复超期")
    act("handler", red, "sign")
    server.set_column(red, "reply_due", now - HOUR_MS)
    # yellow: the sign-for deadline is minutes away
    yellow = dispatched("黄灯：即将超过签收期限")
    server.set_column(yellow, "sign_due", now + 10 * 60000)
    # red, another lead: never signed, sign-for deadline passed
    red_fgw = dispatched("红灯：发改委未签收", lead=FGW)
    server.set_column(red_fgw, "sign_due", now - HOUR_MS)
    # not open: submitted only, replied, declined
    submit("未受理")
    replied = dispatched("已答复")
    act("handler", replied, "sign")
    act("handler", replied, "reply", note="已答复")
    declined = submit("不予受理")
    act("clerk", declined, "decline", note="不属于受理范围")
    return tok


def get(server, token):
    return server.request("GET", "/api/v1/stats/demand-lights", token=token)


def test_counts_in_total_and_per_lead(server, world):
    st, _, j = get(server, world["supervisor"])
    assert st == 200, j
    assert (j["open"], j["red"], j["yellow"], j["green"]) == (5, 2, 1, 2)
    assert j["at"].endswith("+08:00")
    by = {i["org"]["code"]: i for i in j["items"]}
    assert list(by) == sorted(by) == [FGW, JXJ]
    assert by[JXJ]["org"]["name"] == "安庆市经济和信息化局"
    assert (by[JXJ]["open"], by[JXJ]["red"], by[JXJ]["yellow"], by[JXJ]["green"]) == (4, 1, 1, 2)
    assert (by[FGW]["open"], by[FGW]["red"], by[FGW]["yellow"], by[FGW]["green"]) == (1, 1, 0, 0)


def test_counts_agree_with_the_list_filter(server, world):
    _, _, j = get(server, world["supervisor"])
    for light in ("red", "yellow", "green"):
        st, _, page = server.request("GET", "/api/v1/demands?limit=500&light=" + light,
                                     token=world["supervisor"])
        assert st == 200, page
        assert len(page["items"]) == j[light], light


def test_admin_sees_everything(server, world):
    st, _, j = get(server, world["admin"])
    assert st == 200, j
    assert (j["open"], j["red"], j["yellow"], j["green"]) == (5, 2, 1, 2)


@pytest.mark.parametrize("who", ["clerk", "handler", "enterprise"])
def test_other_roles_are_refused(server, world, who):
    assert_error(get(server, world[who]), 403, "forbidden")


def test_anonymous_is_refused(server, world):
    st, _, _ = get(server, None)
    assert st == 401
