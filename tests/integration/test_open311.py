"""Open311 GeoReport v2 at /open311/v2 (issue 4 item 8): services are the active demand
categories, a service request is a demand with channel "open311" submitted with an API
key, both JSON and XML, and errors in the spec's shape [{"code", "description"}]."""
import json
import re
import urllib.parse
import xml.etree.ElementTree as ET

import pytest

CREDIT = "91340100131860916Y"  # the demo enterprise


@pytest.fixture(scope="module")
def key(server):
    p = server.cli("apikey", "add", "12345热线", "--org", "340800-QFZX")
    k = p.stdout.strip().split()[-1]
    assert k.startswith("qk_"), p.stdout
    return k


def form_post(s, path, fields, headers=None):
    hdrs = {"Content-Type": "application/x-www-form-urlencoded"}
    hdrs.update(headers or {})
    return s.request("POST", path, raw=urllib.parse.urlencode(fields).encode("utf-8"),
                     headers=hdrs)


def assert_spec_error(resp, status, fmt="json"):
    st, hdrs, data = resp
    assert st == status, resp
    if fmt == "json":
        assert isinstance(data, list) and len(data) == 1, data
        assert data[0]["code"] == status and data[0]["description"], data
    else:
        assert hdrs["Content-Type"].startswith("text/xml"), hdrs
        root = ET.fromstring(data.encode("utf-8"))
        assert root.tag == "errors"
        err = root.find("error")
        assert err.find("code").text == str(status)
        assert err.find("description").text


def submit_form(s, key, description="企业用电报装等待时间过长，希望协调供电公司尽快接电&投产<急>", **extra):
    fields = {"api_key": key, "service_code": "help", "description": description,
              "attribute[credit_code]": CREDIT, "address_string": "安庆市迎江区人民路 1 号",
              "lat": "30.5086", "long": "117.0634", "first_name": "小明", "last_name": "王",
              "phone": "13905561234", "email": "wang@example.com"}
    fields.update(extra)
    st, _, data = form_post(s, "/open311/v2/requests.json", fields)
    assert st == 201, data
    assert isinstance(data, list) and data[0]["service_request_id"], data
    assert data[0]["service_notice"].startswith("QF")
    return data[0]["service_request_id"]


def test_discovery_json_and_xml(server):
    st, _, d = server.request("GET", "/open311/v2/discovery.json")
    assert st == 200, d
    ep = d["endpoints"][0]
    assert ep["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert ep["url"].endswith("/open311/v2") and "text/xml" in ep["formats"]
    st, h, x = server.request("GET", "/open311/v2/discovery.xml")
    assert st == 200 and h["Content-Type"] == "text/xml; charset=utf-8"
    assert x.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(x.encode("utf-8"))
    assert root.tag == "discovery"
    fmts = [f.text for f in root.find("endpoints").find("endpoint").find("formats")]
    assert fmts == ["text/xml", "application/json"]


def test_services_json_and_xml(server):
    st, _, services = server.request("GET", "/open311/v2/services.json")
    assert st == 200, services
    by_code = {s["service_code"]: s for s in services}
    assert "help" in by_code and "consult" in by_code
    h = by_code["help"]
    assert h["metadata"] is True and h["type"] == "realtime" and h["service_name"]
    assert h["description"] and h["keywords"] and h["group"]
    _, _, cats = server.request("GET", "/api/v1/categories")
    for top in cats["items"]:
        for child in top.get("children", []):
            assert by_code[child["code"]]["group"] == top["name"]
    st, _, x = server.request("GET", "/open311/v2/services.xml")
    assert st == 200
    root = ET.fromstring(x.encode("utf-8"))
    assert root.tag == "services"
    codes = [s.find("service_code").text for s in root.findall("service")]
    assert codes == [s["service_code"] for s in services]
    assert root.find("service").find("metadata").text == "true"
    # A service definition: the one attribute every service has (test_service_declares_credit_code).
    st, _, d = server.request("GET", "/open311/v2/services/help.json")
    assert st == 200 and [a["code"] for a in d["attributes"]] == ["credit_code"]
    st, _, x = server.request("GET", "/open311/v2/services/help.xml")
    root = ET.fromstring(x.encode("utf-8"))
    assert root.tag == "service_definition" and root.find("service_code").text == "help"
    assert len(root.find("attributes")) == 1


def test_post_form_and_json_then_read_back(server, key):
    rid = submit_form(server, key)
    # JSON body, key in the X-Api-Key header, attribute as an object.
    st, _, data = server.request(
        "POST", "/open311/v2/requests.json", headers={"X-Api-Key": key},
        body={"service_code": "consult", "description": "咨询高新技术企业认定的申报材料",
              "attribute": {"credit_code": CREDIT}})
    assert st == 201, data
    rid2 = data[0]["service_request_id"]
    assert rid2 != rid
    st, _, r = server.request("GET", "/open311/v2/requests/%s.json?api_key=%s" % (rid, key))
    assert st == 200, r
    r = r[0]
    assert r["service_request_id"] == rid and r["status"] == "open"
    assert r["service_code"] == "help" and r["service_name"]
    assert r["description"].startswith("企业用电报装等待时间过长")
    assert "wang@example.com" in r["description"]
    assert r["requested_datetime"].endswith("+08:00")
    assert r["updated_datetime"].endswith("+08:00")
    assert r["address"] == "安庆市迎江区人民路 1 号"
    assert abs(r["lat"] - 30.5086) < 1e-9 and abs(r["long"] - 117.0634) < 1e-9
    assert r["status_notes"] == "已提交"
    assert r["agency_responsible"] is None and r["expected_datetime"] is None
    # XML, with escaping of & and <.
    st, h, x = server.request("GET", "/open311/v2/requests/%s.xml" % rid,
                              headers={"X-Api-Key": key})
    assert st == 200 and h["Content-Type"].startswith("text/xml")
    assert "&amp;" in x and "&lt;急&gt;" in x
    root = ET.fromstring(x.encode("utf-8"))
    assert root.tag == "service_requests"
    req = root.find("request")
    assert req.find("service_request_id").text == rid
    assert req.find("description").text == r["description"]
    assert req.find("status").text == "open"
    assert float(req.find("lat").text) == pytest.approx(30.5086)
    # The title is the first 30 characters of the description; the channel is open311.
    clerk = server.login("clerk")
    st, _, d = server.request("GET", "/api/v1/demands/%s" % rid, token=clerk)
    assert st == 200, d
    assert d["channel"] == "open311" and d["title"] == r["description"][:30]
    assert d["contact_name"] == "王小明" and d["credit_code"] == CREDIT
    # The list, with filters, in both formats.
    st, _, lst = server.request("GET", "/open311/v2/requests.json?api_key=" + key)
    assert st == 200 and {rid, rid2} <= {x["service_request_id"] for x in lst}
    st, _, lst = server.request(
        "GET", "/open311/v2/requests.json?service_code=consult&api_key=" + key)
    assert [x["service_request_id"] for x in lst] == [rid2]
    st, _, lst = server.request(
        "GET", "/open311/v2/requests.json?service_request_id=%s,%s&api_key=%s" % (rid, rid2, key))
    assert sorted(x["service_request_id"] for x in lst) == sorted([rid, rid2])
    st, _, x = server.request("GET", "/open311/v2/requests.xml?api_key=" + key)
    ids = [e.find("service_request_id").text for e in ET.fromstring(x.encode()).findall("request")]
    assert rid in ids and rid2 in ids
    # A token is the request id.
    st, _, t = server.request("GET", "/open311/v2/tokens/%s.json?api_key=%s" % (rid, key))
    assert st == 200 and t == [{"service_request_id": rid, "token": rid}]


def test_idempotency_key(server, key):
    fields = {"api_key": key, "service_code": "help", "description": "同一请求重试两次",
              "attribute[credit_code]": CREDIT}
    st1, _, a = form_post(server, "/open311/v2/requests.json", fields, {"Idempotency-Key": "o-1"})
    st2, h, b = form_post(server, "/open311/v2/requests.json", fields, {"Idempotency-Key": "o-1"})
    assert (st1, st2) == (201, 200) and h["Idempotent-Replay"] == "true"
    assert a[0]["service_request_id"] == b[0]["service_request_id"]


def test_status_closed_after_decline(server, key):
    rid = submit_form(server, key, description="申请的事项不属于本平台受理范围")
    clerk = server.login("clerk")
    st, _, d = server.request("POST", "/api/v1/demands/%s/actions" % rid, token=clerk,
                              body={"action": "decline", "note": "请向市场监管部门反映"})
    assert st == 200, d
    st, _, r = server.request("GET", "/open311/v2/requests/%s.json?api_key=%s" % (rid, key))
    assert r[0]["status"] == "closed" and r[0]["status_notes"] == "请向市场监管部门反映"
    st, _, lst = server.request("GET", "/open311/v2/requests.json?status=closed&api_key=" + key)
    assert rid in [x["service_request_id"] for x in lst]
    st, _, lst = server.request("GET", "/open311/v2/requests.json?status=open&api_key=" + key)
    assert rid not in [x["service_request_id"] for x in lst]


def test_errors_in_spec_shape(server, key):
    base = {"service_code": "help", "description": "x", "attribute[credit_code]": CREDIT}
    # Missing or wrong key: 403, in both formats.
    assert_spec_error(form_post(server, "/open311/v2/requests.json", base), 403)
    assert_spec_error(form_post(server, "/open311/v2/requests.xml", base), 403, "xml")
    assert_spec_error(form_post(server, "/open311/v2/requests.json",
                                dict(base, api_key="qk_wrong")), 403)
    assert_spec_error(server.request("GET", "/open311/v2/requests.json",
                                     headers={"X-Api-Key": "qk_wrong"}), 403)
    assert_spec_error(server.request("GET", "/open311/v2/requests.json"), 403)
    # A user's session is not an API key.
    assert_spec_error(server.request("GET", "/open311/v2/requests.json",
                                     token=server.login("clerk")), 403)
    # Unknown service, missing fields: 400.
    assert_spec_error(form_post(server, "/open311/v2/requests.json",
                                dict(base, api_key=key, service_code="nope")), 400)
    assert_spec_error(form_post(server, "/open311/v2/requests.xml",
                                dict(base, api_key=key, service_code="nope")), 400, "xml")
    no_credit = {k: v for k, v in base.items() if k != "attribute[credit_code]"}
    assert_spec_error(form_post(server, "/open311/v2/requests.json",
                                dict(no_credit, api_key=key)), 400)
    assert_spec_error(form_post(server, "/open311/v2/requests.json",
                                dict(base, api_key=key, lat="30")), 400)
    assert_spec_error(form_post(server, "/open311/v2/requests.json",
                                dict(base, api_key=key, **{"attribute[credit_code]": "123"})), 400)
    assert_spec_error(server.request("GET", "/open311/v2/requests.json?status=x&api_key=" + key),
                      400)
    # Unknown request, service, document, bad format: 404.
    assert_spec_error(server.request("GET", "/open311/v2/requests/999999.json?api_key=" + key), 404)
    assert_spec_error(server.request("GET", "/open311/v2/requests/999999.xml?api_key=" + key), 404,
                      "xml")
    assert_spec_error(server.request("GET", "/open311/v2/tokens/abc.json?api_key=" + key), 404)
    assert_spec_error(server.request("GET", "/open311/v2/services/nope.json"), 404)
    assert_spec_error(server.request("GET", "/open311/v2/services.yaml"), 404)
    assert_spec_error(server.request("GET", "/open311/v2/services"), 404)
    assert_spec_error(server.request("GET", "/open311/v2/nothing.json"), 404)


def test_key_sees_only_its_organisations_requests(server, key):
    rid = submit_form(server, key, description="另一机构的密钥看不到本请求")
    p = server.cli("apikey", "add", "other", "--org", "340800-JXJ")
    other = p.stdout.strip().split()[-1]
    assert_spec_error(server.request("GET", "/open311/v2/requests/%s.json?api_key=%s"
                                     % (rid, other)), 404)
    st, _, lst = server.request("GET", "/open311/v2/requests.json?api_key=" + other)
    assert st == 200 and lst == []
    # A second key of the same organisation does see it.
    p = server.cli("apikey", "add", "12345热线-备用", "--org", "340800-QFZX")
    same = p.stdout.strip().split()[-1]
    st, _, r = server.request("GET", "/open311/v2/requests/%s.json?api_key=%s" % (rid, same))
    assert st == 200 and r[0]["service_request_id"] == rid


def test_same_key_name_in_another_organisation_reads_nothing(server, key):
    """A demand's creator is recorded as 'apikey:' + the key's name, and names were not
    unique across organisations: another organisation's key of the same name read (and
    listed) this organisation's requests."""
    rid = submit_form(server, key, description="同名密钥不得跨机构读取本请求")
    # A new key may not take a name another organisation's key has.
    p = server.cli("apikey", "add", "12345热线", "--org", "340800-JXJ", check=False)
    assert p.returncode != 0 and "其他机构" in p.stderr, (p.returncode, p.stderr)
    # One made before that rule (renamed in the database) still reads nothing.
    p = server.cli("apikey", "add", "dup-name-probe", "--org", "340800-JXJ")
    twin = p.stdout.strip().split()[-1]
    server.write_sql("UPDATE api_keys SET name = '12345热线' WHERE name = 'dup-name-probe'")
    assert_spec_error(server.request("GET", "/open311/v2/requests/%s.json?api_key=%s"
                                     % (rid, twin)), 404)
    st, _, lst = server.request("GET", "/open311/v2/requests.json?api_key=" + twin)
    assert st == 200 and lst == [], lst
    # (the other tests of this server need the name to be this organisation's alone again)
    server.write_sql("UPDATE api_keys SET name = 'dup-name-probe' WHERE name = '12345热线' AND "
                     "org_id = (SELECT id FROM orgs WHERE code = '340800-JXJ')")


# ---- issue 14 (items 5, 23–33) -------------------------------------------------------


def new_key(server, org, name):
    p = server.cli("apikey", "add", name, "--org", org)
    k = p.stdout.strip().split()[-1]
    assert k.startswith("qk_"), p.stdout
    return k


def demand_count(server, where):
    return int(server.sql("SELECT COUNT(*) FROM demands WHERE " + where)[0][0])


def test_api_key_intake_answers_201_once(server, key):
    """Item 5: POST /api/v1/demands with an API key answered 404 after saving the demand,
    so every retry made another one."""
    body = {"credit_code": CREDIT, "category": "help", "title": "热线转办：用电报装",
            "content": "通过 API 密钥提交的诉求，重试不得重复"}
    st, h, d = server.request("POST", "/api/v1/demands", body=body,
                              headers={"X-Api-Key": key, "Idempotency-Key": "api-item5-1"})
    assert st == 201, d
    assert d["id"] and d["no"].startswith("QF") and d["channel"] == "api"
    assert d["title"] == body["title"] and d["credit_code"] == CREDIT
    assert d["actions"] == []  # a key only submits
    for _ in range(2):
        st, h, again = server.request("POST", "/api/v1/demands", body=body,
                                      headers={"X-Api-Key": key, "Idempotency-Key": "api-item5-1"})
        assert st == 200 and h["Idempotent-Replay"] == "true", again
        assert again["id"] == d["id"]
    assert demand_count(server, "idem_key = 'api-item5-1'") == 1
    # The same with the caller's own work-order number instead of the header.
    body = dict(body, content="以外部编号重试的诉求", external_id="12345-item5-ext")
    st, _, d = server.request("POST", "/api/v1/demands", body=body, headers={"X-Api-Key": key})
    assert st == 201, d
    st, h, again = server.request("POST", "/api/v1/demands", body=body, headers={"X-Api-Key": key})
    assert st == 200 and again["id"] == d["id"], again
    assert demand_count(server, "external_id = '12345-item5-ext'") == 1
    # Another organisation's key replaying that work-order number does not read the demand.
    other = new_key(server, "340800-FGW", "item5-other")
    st, _, r = server.request("POST", "/api/v1/demands", body=body, headers={"X-Api-Key": other})
    assert st == 409 and r["error"]["code"] == "conflict" and "id" not in r, r
    assert demand_count(server, "external_id = '12345-item5-ext'") == 1


def test_service_declares_credit_code(server):
    """Item 23: POST needs attribute[credit_code], so every service says metadata true
    and its definition declares the attribute."""
    st, _, services = server.request("GET", "/open311/v2/services.json")
    assert st == 200 and services
    assert all(s["metadata"] is True for s in services), services
    st, _, d = server.request("GET", "/open311/v2/services/help.json")
    assert st == 200, d
    assert d["service_code"] == "help"
    [a] = d["attributes"]
    assert a["variable"] is True and a["code"] == "credit_code"
    assert a["datatype"] == "string" and a["required"] is True and a["order"] == 1
    assert "统一社会信用代码" in a["description"] and a["datatype_description"]
    st, _, x = server.request("GET", "/open311/v2/services/help.xml")
    root = ET.fromstring(x.encode("utf-8"))
    attr = root.find("attributes").find("attribute")
    assert attr.find("code").text == "credit_code" and attr.find("required").text == "true"
    assert attr.find("variable").text == "true" and attr.find("datatype").text == "string"
    st, _, x = server.request("GET", "/open311/v2/services.xml")
    assert ET.fromstring(x.encode()).find("service").find("metadata").text == "true"


def test_requests_list_limit_and_pages(server):
    """Item 24: the list stopped at 50 silently; it honours the documented 200 and pages."""
    k = new_key(server, "340800-RSJ", "item24")
    c = server.connection()
    ids = []
    try:
        for i in range(205):
            fields = {"api_key": k, "service_code": "consult", "description": "分页 %d" % i,
                      "attribute[credit_code]": CREDIT}
            st, _, d = form_post_conn(server, c, fields)
            assert st == 201, d
            ids.append(d[0]["service_request_id"])
    finally:
        c.close()
    newest_first = list(reversed(ids))
    st, _, lst = server.request("GET", "/open311/v2/requests.json?api_key=" + k)
    assert st == 200 and [r["service_request_id"] for r in lst] == newest_first[:200]
    st, _, lst = server.request("GET", "/open311/v2/requests.json?page=2&api_key=" + k)
    assert [r["service_request_id"] for r in lst] == newest_first[200:]
    got = []
    for page in range(1, 6):
        st, _, lst = server.request(
            "GET", "/open311/v2/requests.json?page_size=60&page=%d&api_key=%s" % (page, k))
        assert st == 200, lst
        got += [r["service_request_id"] for r in lst]
    assert got == newest_first
    for bad in ("page=0", "page=x", "page_size=0", "page_size=201", "page_size=-1"):
        assert_spec_error(server.request("GET", "/open311/v2/requests.json?%s&api_key=%s"
                                         % (bad, k)), 400)


def form_post_conn(s, conn, fields):
    return s.request("POST", "/open311/v2/requests.json", conn=conn,
                     raw=urllib.parse.urlencode(fields).encode("utf-8"),
                     headers={"Content-Type": "application/x-www-form-urlencoded"})


def test_comma_lists_and_id_overrides(server):
    """Items 25 and 26: service_code and status take comma lists; service_request_id
    overrides every other filter."""
    k = new_key(server, "340800-KJJ", "item25")
    a = submit_form(server, k, description="逗号列表 help")
    b = submit_form(server, k, service_code="consult", description="逗号列表 consult")
    c = submit_form(server, k, description="逗号列表 已关闭")
    st, _, d = server.request("POST", "/api/v1/demands/%s/actions" % c,
                              token=server.login("clerk"), body={"action": "decline",
                                                                  "note": "不属于受理范围"})
    assert st == 200, d

    def listed(query):
        st, _, lst = server.request("GET", "/open311/v2/requests.json?%s&api_key=%s" % (query, k))
        assert st == 200, lst
        return {r["service_request_id"] for r in lst}

    assert {a, b, c} <= listed("service_code=help,consult")
    assert b in listed("service_code=consult,nope") and a not in listed("service_code=consult,nope")
    assert {a, b, c} <= listed("status=open,closed")
    assert listed("status=closed,closed") == {c}
    assert_spec_error(server.request("GET", "/open311/v2/requests.json?status=open,x&api_key=" + k),
                      400)
    # The id wins over filters it does not match.
    assert listed("service_request_id=%s&service_code=consult&status=closed" % a) == {a}
    assert listed("service_request_id=%s,%s&status=open&end_date=2000-01-01T00:00:00Z"
                  % (a, c)) == {a, c}


def test_expected_datetime_is_the_reply_deadline(server, key):
    """Item 27: after dispatch expected_datetime was the sign-for deadline."""
    rid = submit_form(server, key, description="期望办结时间应为答复期限")
    clerk = server.login("clerk")
    for body in ({"action": "accept"}, {"action": "dispatch", "lead": "340800-JXJ"}):
        st, _, d = server.request("POST", "/api/v1/demands/%s/actions" % rid, token=clerk,
                                  body=body)
        assert st == 200, d
    assert d["state"] == "dispatched" and d["reply_due"]
    st, _, r = server.request("GET", "/open311/v2/requests/%s.json?api_key=%s" % (rid, key))
    assert st == 200 and r[0]["expected_datetime"] == d["reply_due"], (r, d)
    st, _, x = server.request("GET", "/open311/v2/requests/%s.xml?api_key=%s" % (rid, key))
    req = ET.fromstring(x.encode("utf-8")).find("request")
    assert req.find("expected_datetime").text == d["reply_due"]


def test_description_limit_4000(server, key):
    """Item 28: the schema's description holds at most 4,000 characters."""
    base = {"api_key": key, "service_code": "help", "attribute[credit_code]": CREDIT}
    assert_spec_error(form_post(server, "/open311/v2/requests.json",
                                dict(base, description="长" * 4001)), 400)
    st, _, d = server.request("POST", "/open311/v2/requests.json", headers={"X-Api-Key": key},
                              body={"service_code": "help", "description": "长" * 4001,
                                    "attribute": {"credit_code": CREDIT}})
    assert st == 400 and d[0]["code"] == 400, d
    # The email is appended to the description, so the two together must fit.
    assert_spec_error(form_post(server, "/open311/v2/requests.json",
                                dict(base, description="长" * 3990, email="a@example.com")), 400)
    rid = submit_form(server, key, description="长" * 4000, email="")
    st, _, r = server.request("GET", "/open311/v2/requests/%s.json?api_key=%s" % (rid, key))
    assert len(r[0]["description"]) == 4000


def test_basic_authorization_is_ignored(server, key):
    """Item 29: Open311 clients send Basic credentials; discovery and services stay public
    and the api_key still counts."""
    basic = {"Authorization": "Basic dXNlcjpwYXNz"}
    for doc in ("discovery.json", "services.json", "services/help.json", "services.xml"):
        st, _, d = server.request("GET", "/open311/v2/" + doc, headers=basic)
        assert st == 200, (doc, d)
    st, _, lst = server.request("GET", "/open311/v2/requests.json?api_key=" + key, headers=basic)
    assert st == 200 and isinstance(lst, list), lst
    fields = {"api_key": key, "service_code": "help", "description": "带 Basic 头提交",
              "attribute[credit_code]": CREDIT}
    st, _, d = form_post(server, "/open311/v2/requests.json", fields, basic)
    assert st == 201, d
    # Without a key it is the spec's 403, not qifu's 401.
    assert_spec_error(server.request("GET", "/open311/v2/requests.json", headers=basic), 403)
    # Elsewhere a Basic header is still refused.
    st, _, d = server.request("GET", "/api/v1/me", headers=basic)
    assert st == 401, d


def test_discovery_url_from_public_url(make_server):
    """Item 30: the discovery URL came from the Host header and always said http://."""
    s = make_server(extra=["--public-url", "https://qifu.example.gov.cn/gw/"])
    st, _, d = s.request("GET", "/open311/v2/discovery.json", headers={"Host": "evil.example"})
    assert st == 200, d
    assert d["endpoints"][0]["url"] == "https://qifu.example.gov.cn/gw/open311/v2"
    st, _, x = s.request("GET", "/open311/v2/discovery.xml")
    ep = ET.fromstring(x.encode("utf-8")).find("endpoints").find("endpoint")
    assert ep.find("url").text == "https://qifu.example.gov.cn/gw/open311/v2"


def test_discovery_url_fallback(server):
    """Item 30: without --public-url, the Host the client used, over http://; a Host that
    is not a host name is not echoed."""
    st, _, d = server.request("GET", "/open311/v2/discovery.json")
    assert d["endpoints"][0]["url"] == "http://127.0.0.1:%d/open311/v2" % server.port
    st, _, d = server.request("GET", "/open311/v2/discovery.json",
                              headers={"Host": "a\"b<c>/x"})
    assert st in (200, 400), d
    if st == 200:
        assert d["endpoints"][0]["url"] == "http://localhost/open311/v2", d


def test_bad_bodies_and_methods_in_spec_shape(server, key):
    """Item 31: a malformed form body with a valid api_key was 403, an unsupported
    Content-Type 415, a wrong method qifu's error format."""
    raw = ("api_key=%s&service_code=help&description=%%zz&attribute%%5Bcredit_code%%5D=%s"
           % (key, CREDIT)).encode()
    assert_spec_error(server.request("POST", "/open311/v2/requests.json", raw=raw,
                                     headers={"Content-Type": "application/x-www-form-urlencoded"}),
                      400)
    assert_spec_error(server.request("POST", "/open311/v2/requests.xml", raw=raw,
                                     headers={"Content-Type": "application/x-www-form-urlencoded"}),
                      400, "xml")
    assert_spec_error(server.request("POST", "/open311/v2/requests.json?api_key=" + key,
                                     raw=b"service_code=help", headers={"Content-Type": "text/plain"}),
                      400)
    assert_spec_error(server.request("POST", "/open311/v2/requests.json", raw=b"<x/>",
                                     headers={"Content-Type": "text/xml", "X-Api-Key": key}), 400)
    for method, path, fmt, allow in (("PUT", "/open311/v2/requests.json", "json", "GET, POST"),
                                     ("DELETE", "/open311/v2/requests.xml", "xml", "GET, POST"),
                                     ("PATCH", "/open311/v2/discovery.json", "json", "GET, POST"),
                                     ("POST", "/open311/v2/services/help.json", "json", "GET"),
                                     ("DELETE", "/open311/v2/requests/1.xml", "xml", "GET"),
                                     ("PUT", "/open311/v2/tokens/1.json", "json", "GET")):
        resp = server.request(method, path, headers={"X-Api-Key": key})
        assert_spec_error(resp, 405, fmt)
        assert resp[1]["Allow"] == allow, (method, path, resp)
    # An unknown document under a wrong method is still the spec's 404.
    assert_spec_error(server.request("POST", "/open311/v2/nothing/x.json"), 404)


def test_end_date_is_inclusive(server, key):
    """Item 32: end_date equal to a request's requested_datetime excluded it."""
    rid = submit_form(server, key, description="结束时间包含本请求")
    st, _, r = server.request("GET", "/open311/v2/requests/%s.json?api_key=%s" % (rid, key))
    at = r[0]["requested_datetime"]
    q = urllib.parse.urlencode({"api_key": key, "start_date": at, "end_date": at})
    st, _, lst = server.request("GET", "/open311/v2/requests.json?" + q)
    assert st == 200 and rid in [x["service_request_id"] for x in lst], (at, lst)


def test_xml_coordinates_match_json(server, key):
    """Item 33: XML rounded lat/long to 10 significant digits."""
    rid = submit_form(server, key, description="坐标位数", lat="30.123456789012345",
                      long="117.98765432109876")
    c = server.connection()
    try:
        c.request("GET", "/open311/v2/requests/%s.json?api_key=%s" % (rid, key))
        text = c.getresponse().read().decode("utf-8")
    finally:
        c.close()
    lat = re.search(r'"lat":([^,}]+)', text).group(1)
    lon = re.search(r'"long":([^,}]+)', text).group(1)
    st, _, x = server.request("GET", "/open311/v2/requests/%s.xml?api_key=%s" % (rid, key))
    req = ET.fromstring(x.encode("utf-8")).find("request")
    assert (req.find("lat").text, req.find("long").text) == (lat, lon)
    assert float(lat) == 30.123456789012345 and float(lon) == 117.98765432109876
