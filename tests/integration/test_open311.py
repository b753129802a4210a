"""Open311 GeoReport v2 at /open311/v2 (issue 4 item 8): services are the active demand
categories, a service request is a demand with channel "open311" submitted with an API
key, both JSON and XML, and errors in the spec's shape [{"code", "description"}]."""
import json
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
    assert h["metadata"] is False and h["type"] == "realtime" and h["service_name"]
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
    assert root.find("service").find("metadata").text == "false"
    # A service definition: no extra attributes, still a valid definition.
    st, _, d = server.request("GET", "/open311/v2/services/help.json")
    assert st == 200 and d == {"service_code": "help", "attributes": []}
    st, _, x = server.request("GET", "/open311/v2/services/help.xml")
    root = ET.fromstring(x.encode("utf-8"))
    assert root.tag == "service_definition" and root.find("service_code").text == "help"
    assert root.find("attributes") is not None and len(root.find("attributes")) == 0


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
