#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed corpus of fuzz_handlers (tests/fuzz/corpus/handlers): valid requests of
many routes in the target's input format (tests/fuzz/fuzz_handlers.c). Route numbers come
from the order api_routes_for concatenates the route tables in: API_TABLES of
src/api/api_int.h, each table at the end of its src/api/api_<name>.c. Rerun this when
routes change."""
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def read(path):
    return open(os.path.join(ROOT, path), encoding="utf-8").read()


ROW = re.compile(r'(?:ROUTE|ROUTE_DATA|ROUTE_READ|ROUTE_DATA_READ|UPLOAD|OPEN311_OTHER)\('
                 r'\s*HTTP_(\w+),\s*"([^"]+)"'
                 r'|API_RECORD_ROUTES\(\s*"([^"]+)"')
routes = []
for name in re.findall(r'X\((\w+)\)', read("src/api/api_int.h").split("#define API_TABLES")[1]
                       .split("\n\n")[0]):
    text = read("src/api/api_%s.c" % name)
    table = text[text.index("api_%s_routes[] = {" % name):]
    for m, pattern, base in ROW.findall(table[:table.index("};")]):
        if base:  # api_int.h: get, actions (GET and POST), timeline
            routes += [("GET", base + "/{id}"), ("GET", base + "/{id}/actions"),
                       ("POST", base + "/{id}/actions"), ("GET", base + "/{id}/timeline")]
        else:
            routes.append((m, pattern))
index = {(m, p): i for i, (m, p) in enumerate(routes)}
WHO = {"anon": 0, "enterprise": 1, "clerk": 2, "handler": 3, "supervisor": 4, "officer": 5,
       "admin": 6, "apikey": 7}
ENT = "91340100131860916Y"
SEEDS = [
    ("healthz", "GET", "/healthz", "anon", [], ""),
    ("me_cookie", "GET", "/api/v1/me", "clerk", [], ""),
    ("login", "POST", "/api/v1/session", "anon", [], '{"username":"clerk","password":"demo"}'),
    ("orgs", "GET", "/api/v1/orgs", "admin", ["Qlimit=5"], ""),
    ("org_get", "GET", "/api/v1/orgs/{code}", "handler", ["P340800-JXJ"], ""),
    ("org_create", "POST", "/api/v1/orgs", "admin", [],
     '{"code":"340800-X","name":"测试局","kind":"department","region":"340800","parent":"340800"}'),
    ("users", "GET", "/api/v1/users", "admin", [], ""),
    ("user_create", "POST", "/api/v1/users", "admin", [],
     '{"username":"u1","display_name":"甲","password":"correct horse 1","role":"clerk","org":"340800-QFZX"}'),
    ("regions", "GET", "/api/v1/codes/regions", "anon", ["Qparent=340800"], ""),
    ("industries", "GET", "/api/v1/codes/industries", "anon", ["Qq=39"], ""),
    ("credit", "GET", "/api/v1/codes/credit-codes/{code}", "anon", ["P" + ENT], ""),
    ("facts", "GET", "/api/v1/facts", "anon", [], ""),
    ("ents", "GET", "/api/v1/enterprises", "clerk", ["Qq=示例"], ""),
    ("ent_get", "GET", "/api/v1/enterprises/{code}", "handler", ["P" + ENT], ""),
    ("ent_create", "POST", "/api/v1/enterprises", "clerk", [],
     '{"credit_code":"91340800MA2TXXXX1X","name":"安庆测试有限公司","region":"340811","industry":"3491","scale":"small"}'),
    ("ent_patch", "PATCH", "/api/v1/enterprises/{code}", "clerk", ["P" + ENT], '{"address":"新地址"}'),
    ("ent_facts", "GET", "/api/v1/enterprises/{code}/facts", "enterprise", ["P" + ENT], ""),
    ("ent_facts_put", "PUT", "/api/v1/enterprises/{code}/facts", "enterprise", ["P" + ENT],
     '{"facts":[{"key":"employees","value":120,"as_of":"2025-12-31"}]}'),
    ("ent_import", "POST", "/api/v1/enterprises:import", "admin",
     ["Qdry_run=1", "HContent-Type: text/csv"],
     "credit_code,name,region,industry\n" + ENT + ",示例,340811,3491\n"),
    ("demand_create", "POST", "/api/v1/demands", "enterprise", ["HIdempotency-Key: k1"],
     '{"category":"consult","title":"咨询","content":"请问政策","lat":30.5,"lon":117.0}'),
    ("demand_create_clerk", "POST", "/api/v1/demands", "clerk", [],
     '{"category":"help","title":"求助","content":"用电","credit_code":"' + ENT + '","channel":"window"}'),
    ("demand_create_key", "POST", "/api/v1/demands", "apikey", [],
     '{"category":"complaint","title":"投诉","content":"x","credit_code":"' + ENT + '","external_id":"12345-1"}'),
    ("demand_import", "POST", "/api/v1/demands:import", "clerk",
     ["Qdry_run=1", "HContent-Type: application/x-ndjson"],
     '{"external_id":"1","category":"consult","title":"t","content":"c","credit_code":"' + ENT + '"}\n'),
    ("demands", "GET", "/api/v1/demands", "handler", ["Qstatus=open", "Qlimit=10"], ""),
    ("demand_get", "GET", "/api/v1/demands/{id}", "clerk", ["P1"], ""),
    ("demand_actions", "GET", "/api/v1/demands/{id}/actions", "clerk", ["P1"], ""),
    ("demand_act", "POST", "/api/v1/demands/{id}/actions", "clerk", ["P1"],
     '{"action":"dispatch","org":"340800-JXJ","note":"请办理"}'),
    ("demand_timeline", "GET", "/api/v1/demands/{id}/timeline", "supervisor", ["P1"], ""),
    ("demand_dups", "GET", "/api/v1/demands/{id}/duplicates", "clerk", ["P1"], ""),
    ("attach_up", "POST", "/api/v1/demands/{id}/attachments", "enterprise",
     ["P1", "HContent-Type: text/plain", "HX-Filename: a.txt"], "hello"),
    ("attach_list", "GET", "/api/v1/demands/{id}/attachments", "enterprise", ["P1"], ""),
    ("attach_get", "GET", "/api/v1/demands/{id}/attachments/{aid}", "enterprise", ["P1", "P1"], ""),
    ("stats", "GET", "/api/v1/stats/demands", "supervisor", ["Qfrom=2025-01-01", "Qgroup=category"], ""),
    ("lights", "GET", "/api/v1/stats/demand-lights", "supervisor", [], ""),
    ("notices", "GET", "/api/v1/notices", "handler", [], ""),
    ("audit", "GET", "/api/v1/audit", "supervisor", ["Qlimit=3"], ""),
    ("calendar", "GET", "/api/v1/calendar", "anon", ["Qyear=2025"], ""),
    ("deadline", "GET", "/api/v1/calendar/deadline", "anon",
     ["Qstart=2024-04-03T09:00:00+08:00", "Qdays=3"], ""),
    ("day_put", "PUT", "/api/v1/calendar/days/{date}", "admin", ["P2026-05-06"],
     '{"kind":"holiday","name":"调休"}'),
    ("year_put", "PUT", "/api/v1/calendar/years/{year}", "admin", ["P2030"], '{"days":[]}'),
    ("categories", "GET", "/api/v1/categories", "anon", [], ""),
    ("category_create", "POST", "/api/v1/categories", "admin", [],
     '{"code":"tax","name":"税务","reply_days":5}'),
    ("category_routes_put", "PUT", "/api/v1/categories/{code}/routes", "admin", ["Pconsult"],
     '{"routes":[{"region":"3408","org":"340800-QFZX"}]}'),
    ("o311_discovery", "GET", "/open311/v2/{doc}", "anon", ["Pdiscovery.json"], ""),
    ("o311_services", "GET", "/open311/v2/{doc}", "anon", ["Pservices.xml"], ""),
    ("o311_post", "POST", "/open311/v2/{doc}", "anon",
     ["Prequests.json", "HContent-Type: application/x-www-form-urlencoded"],
     "api_key=x&service_code=consult&description=hello&attribute[credit_code]=" + ENT),
    ("o311_requests", "GET", "/open311/v2/{doc}", "anon", ["Prequests.json", "Qstatus=open"], ""),
    ("policies", "GET", "/api/v1/policies", "anon", ["Qq=补贴"], ""),
    ("policy_create", "POST", "/api/v1/policies", "officer", [],
     '{"title":"测试政策","summary":"s","rule":{">=":[{"var":"employees"},10]}}'),
    ("policy_match", "POST", "/api/v1/policies/match", "anon", [],
     '{"facts":{"employees":50,"region":"340811"}}'),
    ("policy_get", "GET", "/api/v1/policies/{id}", "anon", ["P1"], ""),
    ("policy_act", "POST", "/api/v1/policies/{id}/actions", "officer", ["P1"], '{"action":"publish"}'),
    ("policy_jsonlogic", "GET", "/api/v1/policies/{id}/jsonlogic", "anon", ["P2"], ""),
    ("conditions_put", "PUT", "/api/v1/conditions/{name}", "officer", ["Psmall"],
     '{"rule":{"==":[{"var":"scale"},"small"]}}'),
    ("ent_policies", "GET", "/api/v1/enterprises/{code}/policies", "enterprise", ["P" + ENT], ""),
    ("policy_set", "GET", "/api/v1/policy-set", "anon", [], ""),
    ("runs_create", "POST", "/api/v1/policies/{id}/runs", "officer", ["P1"], "{}"),
    ("grants", "GET", "/api/v1/grants", "enterprise", [], ""),
    ("app_create", "POST", "/api/v1/applications", "enterprise", [], '{"policy_id":1,"answers":{}}'),
    ("stats_policies", "GET", "/api/v1/stats/policies", "officer", [], ""),
    ("trial", "GET", "/api/v1/policies/{id}/trial", "officer", ["P1", "Qcredit_code=" + ENT], ""),
    ("logout", "DELETE", "/api/v1/session", "clerk", [], ""),
    # Issue 14 item 1: bodies that are not JSON objects crashed POST /api/v1/demands.
    ("demand_create_array", "POST", "/api/v1/demands", "enterprise", [], "[1,2]"),
    ("demand_create_empty", "POST", "/api/v1/demands", "clerk", [], ""),
    ("demand_create_malformed", "POST", "/api/v1/demands", "enterprise", [], '{"title":'),
    ("demand_create_form", "POST", "/api/v1/demands", "clerk",
     ["HContent-Type: application/x-www-form-urlencoded"], "title=a&content=b"),
]
out = os.path.join(HERE, "corpus", "handlers")
os.makedirs(out, exist_ok=True)
for name, m, pattern, who, lines, body in SEEDS:
    i = index[(m, pattern)]
    flags = WHO[who] | (8 if name.endswith("_cookie") else 0)
    data = bytes([i, flags, 0]) + "".join(l + "\n" for l in lines).encode() + b"\n" + body.encode()
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print(len(SEEDS), "seeds")
