"""The REST API on SQLite and PostgreSQL: auth, cases, the queue, the operations, errors; answers match OpenAPI."""
from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from hotline.cases.models import Case, CaseEvent
from hotline.web.openapi import spec
from tests.web.conftest import login

SPEC = spec()


def conforms(response, template: str, method: str = "get"):
    """Assert the answer is what the OpenAPI document promises for this route and status; return its JSON."""
    operation = SPEC["paths"][template][method]
    documented = operation["responses"].get(str(response.status_code))
    assert documented is not None, f"{method.upper()} {template} answered {response.status_code}, not documented"
    schema = documented["content"]["application/json"]["schema"]
    body = response.get_json()
    errors = sorted(Draft202012Validator({**schema, "components": SPEC["components"]}).iter_errors(body),
                    key=str)
    assert not errors, f"{method.upper()} {template} {response.status_code}: {errors[0]}"
    return body


def events(sessions, number):
    with sessions() as session:
        case_id = session.execute(select(Case.id).where(Case.number == number)).scalar_one()
        return session.execute(select(CaseEvent.action).where(CaseEvent.case_id == case_id)
                               .order_by(CaseEvent.id)).scalars().all()


# --- the document -----------------------------------------------------------------


def test_every_api_route_is_in_the_openapi_document(app, client):
    documented = client.get("/api/openapi.json").get_json()
    assert documented["openapi"].startswith("3.1")
    routes = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")]
    assert len(routes) >= 20
    for rule in routes:
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        assert path in documented["paths"], f"{rule.rule} is not documented"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in documented["paths"][path], f"{method} {rule.rule} is not documented"
    served = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r.rule) for r in routes}
    assert set(documented["paths"]) == served  # and nothing documented that does not exist


def test_every_reference_in_the_document_resolves():
    text = str(SPEC)
    for name in set(re.findall(r"#/components/schemas/(\w+)", text)):
        assert name in SPEC["components"]["schemas"], name


# --- authentication ---------------------------------------------------------------


def test_no_credentials_no_access(client, tokens):
    for response in (client.get("/api/queue"), client.post("/api/cases", json={"text": "x"})):
        assert response.status_code == 401
        assert "登录" in conforms(response, "/api/queue")["error"]["message"]
    bad = client.get("/api/queue", headers={"Authorization": "Bearer hl_not-a-real-token"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "invalid_token"
    basic = client.get("/api/queue", headers={"Authorization": "Basic emhhbmc6cHc="})
    assert basic.status_code == 401


def test_browser_session_works_and_changes_need_the_csrf_header(client, tokens, make_case):
    number = make_case("楼上噪音")
    csrf = login(client, "zhang")
    assert client.get("/api/queue").status_code == 200
    refused = client.post(f"/api/cases/{number}/claim")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "csrf_failed"
    claimed = client.post(f"/api/cases/{number}/claim", headers={"X-CSRF-Token": csrf})
    assert conforms(claimed, "/api/cases/{number}/claim", "post")["assignee"]["username"] == "zhang"


# --- creating and reading ---------------------------------------------------------


def test_create_case_is_idempotent_by_key_and_triaged(client, tokens, sessions):
    body = {"text": "老板拖欠我们五个人三个月工资，大家准备联名上访", "dispute_type": "labor", "line": "12345",
            "location": "石桥镇", "respondent": "宏达建筑公司"}
    headers = {**tokens["system"], "Idempotency-Key": "order-20261122-0001"}
    first = client.post("/api/cases", json=body, headers=headers)
    created = conforms(first, "/api/cases", "post")
    assert first.status_code == 201 and first.headers["Location"].endswith(created["number"])
    assert created["warning_level"] == "red" and created["dispute_type"] == {"code": "labor", "name": "劳动争议"}
    assert created["route"]["to"] == "mediation:town" and created["people_count"] == 5
    assert [e["actor"] for e in created["events"]] == ["token:platform"]
    assert created["parties"] == [{"role": "respondent", "role_name": "被申请人", "name": "宏达建筑公司", "phone": None}]
    again = client.post("/api/cases", json=body, headers=headers)
    assert again.status_code == 200 and conforms(again, "/api/cases", "post")["number"] == created["number"]
    with sessions() as session:
        assert session.execute(select(func.count(Case.id))).scalar_one() == 1


@pytest.mark.parametrize("body, code", [
    ({}, "missing_field"),
    ({"text": "  "}, "invalid_field"),
    ({"text": "欠薪", "dispute_type": "gossip"}, "invalid_field"),
    # A triage record takes precedence over dispute_type, but a wrong code beside it is refused, not dropped.
    ({"text": "欠薪", "dispute_type": "gossip", "triage": {"signals": []}}, "invalid_field"),
    ({"text": "欠薪", "line": "999"}, "invalid_field"),
    ({"text": "欠薪", "people_count": 0}, "invalid_field"),
    ({"text": "欠薪", "transcript": [{"sender": "hacker", "text": "x"}]}, "invalid_field"),
])
def test_create_case_refuses_bad_input_in_chinese(client, tokens, sessions, body, code):
    response = client.post("/api/cases", json=body, headers=tokens["system"])
    error = conforms(response, "/api/cases", "post")["error"]
    assert response.status_code == 400 and error["code"] == code
    assert re.search(r"[\u4e00-\u9fff]", error["message"])
    with sessions() as session:
        assert session.execute(select(func.count(Case.id))).scalar_one() == 0


def test_not_json_is_refused(client, tokens):
    response = client.post("/api/cases", data="text=欠薪", headers={**tokens["system"],
                                                                   "Content-Type": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_json"


def test_case_detail_is_the_whole_file(client, tokens, make_case):
    number = make_case("楼上漏水把我家天花板泡坏了，我电话13812345678", location="阳光花园小区")
    body = conforms(client.get(f"/api/cases/{number}", headers=tokens["li"]), "/api/cases/{number}")
    assert body["messages"][0]["sender"] == "citizen" and "13812345678" not in body["messages"][0]["text"]
    assert body["triage"]["dispute_type"]["code"] == "neighbor" and body["contact_phone"] is None
    assert body["events"][0]["action_name"] == "登记" and body["overdue"] is False
    missing = client.get("/api/cases/JF00000000000000", headers=tokens["li"])
    assert conforms(missing, "/api/cases/{number}")["error"]["code"] == "case_not_found"


def test_printable_case_file(client, tokens, make_case):
    number = make_case("邻居把垃圾堆在我家门口", location="幸福村")
    response = client.get(f"/api/cases/{number}/file", headers=tokens["li"])
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    for heading in ("矛盾纠纷调解案卷", "当事人", "对话记录", "办理经过", "调解协议及材料", number):
        assert heading in page
    assert "邻居把垃圾堆在我家门口" in page
    missing = client.get("/api/cases/JF00000000000000/file", headers=tokens["li"])
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "case_not_found"


def test_list_filters(client, tokens, sessions, make_case):
    old = dt.datetime(2020, 1, 1)
    neighbour = make_case("楼上噪音", "neighbor", now=old)  # long overdue
    labour = make_case("我们五个人被欠工资，准备联名上访", "labor")
    make_case("物业费涨价", "property_mgmt")
    client.post(f"/api/cases/{labour}/claim", headers=tokens["zhang"])

    def numbers(query):
        response = client.get(f"/api/cases?{query}", headers=tokens["admin"])
        return [c["number"] for c in conforms(response, "/api/cases")["items"]]

    assert numbers("dispute_type=neighbor") == [neighbour]
    assert numbers("warning_level=red") == [labour]
    assert numbers("status=in_progress") == [labour] == numbers("assignee=zhang")
    assert numbers("overdue=true") == [neighbour]
    assert len(numbers("overdue=false")) == 2
    assert numbers("assignee=nobody") == []
    page = conforms(client.get("/api/cases?limit=2", headers=tokens["admin"]), "/api/cases")
    rest = conforms(client.get(f"/api/cases?limit=2&cursor={page['next_cursor']}", headers=tokens["admin"]),
                    "/api/cases")
    assert len(page["items"]) == 2 and len(rest["items"]) == 1 and rest["next_cursor"] is None
    bad = client.get("/api/cases?status=done", headers=tokens["admin"])
    assert bad.status_code == 400 and "status" in conforms(bad, "/api/cases")["error"]["message"]


# --- the queue and claims ---------------------------------------------------------


def test_queue_orders_by_level_then_deadline(client, tokens, make_case):
    yellow = make_case("楼上噪音")
    orange = make_case("老板拖欠我们二十多个人三个月工资，大家说要去市政府门口拉横幅", "labor")
    red = make_case("我们五个人被欠工资，准备联名上访", "labor")
    body = conforms(client.get("/api/queue", headers=tokens["zhang"]), "/api/queue")
    assert [c["number"] for c in body["items"]] == [orange, red, yellow] and body["total"] == 3
    assert [c["warning_name"] for c in body["items"]] == ["橙色预警", "红色预警", "黄色预警"]


def test_two_mediators_claim_at_once_one_wins_the_other_gets_409(app, tokens, sessions, make_case):
    number = make_case("邻居家装修把我家墙震裂了")
    barrier = threading.Barrier(2)
    answers = {}

    def claim(name):
        client = app.test_client()
        barrier.wait()
        answers[name] = client.post(f"/api/cases/{number}/claim", headers=tokens[name])

    threads = [threading.Thread(target=claim, args=(name,)) for name in ("zhang", "li")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    statuses = sorted(r.status_code for r in answers.values())
    assert statuses == [200, 409]
    loser = next(r for r in answers.values() if r.status_code == 409)
    assert conforms(loser, "/api/cases/{number}/claim", "post")["error"]["code"] == "already_claimed"
    assert events(sessions, number).count("claim") == 1


def test_claim_next_gives_each_claimer_a_different_case(app, tokens, make_case):
    made = [make_case(f"楼上噪音{i}") for i in range(6)]
    got, barrier = [], threading.Barrier(3)

    def claimer(name):
        client = app.test_client()
        barrier.wait()
        for _ in range(2):
            response = client.post("/api/queue/claim-next", headers=tokens[name])
            got.append(conforms(response, "/api/queue/claim-next", "post")["number"])

    threads = [threading.Thread(target=claimer, args=(n,)) for n in ("zhang", "li", "admin")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(got) == sorted(made)
    empty = app.test_client().post("/api/queue/claim-next", headers=tokens["zhang"])
    assert empty.status_code == 404 and empty.get_json()["error"]["code"] == "queue_empty"


def test_a_system_token_cannot_claim(client, tokens, sessions, make_case):
    from hotline.cases.tokens import create_token

    number = make_case("楼上噪音")
    # The platform's token has the operator role, which never claims (hotline/web/permissions.py) ...
    response = client.post(f"/api/cases/{number}/claim", headers=tokens["system"])
    assert response.status_code == 403 and "权限" in response.get_json()["error"]["message"]
    # ... and a system token with the mediator role is refused too: claiming needs a person.
    with sessions.begin() as session:
        _, secret = create_token(session, "mediation-system", role="mediator")
    response = client.post(f"/api/cases/{number}/claim", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 403 and "本人" in response.get_json()["error"]["message"]


# --- operations -------------------------------------------------------------------


def test_release_escalate_resolve_over_the_api(client, tokens, sessions, make_case):
    number = make_case("宅基地边界有争议，隔壁砌墙占了半米")
    conforms(client.post(f"/api/cases/{number}/claim", headers=tokens["zhang"]), "/api/cases/{number}/claim", "post")
    not_holder = client.post(f"/api/cases/{number}/release", headers=tokens["li"])
    assert conforms(not_holder, "/api/cases/{number}/release", "post")["error"]["code"] == "forbidden"
    released = client.post(f"/api/cases/{number}/release", json={"note": "需要国土所测量"}, headers=tokens["zhang"])
    assert conforms(released, "/api/cases/{number}/release", "post")["status"] == "assigned"
    no_reason = client.post(f"/api/cases/{number}/escalate", json={}, headers=tokens["zhang"])
    # The document says a reason is required: the schema refuses its absence (400) before the service is asked.
    assert conforms(no_reason, "/api/cases/{number}/escalate", "post")["error"]["code"] == "missing_field"
    assert no_reason.status_code == 400 and "reason" in no_reason.get_json()["error"]["message"]
    escalated = client.post(f"/api/cases/{number}/escalate", json={"reason": "涉及两个村"}, headers=tokens["zhang"])
    assert conforms(escalated, "/api/cases/{number}/escalate", "post")["escalations"] == 1
    client.post(f"/api/cases/{number}/claim", headers=tokens["li"])
    before = events(sessions, number)
    half = client.post(f"/api/cases/{number}/resolve", json={"outcome": "调解不成", "difficulty": "重大"},
                       headers=tokens["li"])
    assert conforms(half, "/api/cases/{number}/resolve", "post")["error"]["code"] == "next_path_required"
    assert events(sessions, number) == before  # nothing half-written
    done = client.post(f"/api/cases/{number}/resolve",
                       json={"outcome": "调解不成", "difficulty": "重大", "next_path": "court"},
                       headers=tokens["li"])
    body = conforms(done, "/api/cases/{number}/resolve", "post")
    assert body["status"] == "feedback" and body["next_path"]["name"] == "向人民法院起诉"
    assert body["difficulty"] == {"code": "major", "name": "重大"} and body["subsidy_yuan"] == 300
    assert events(sessions, number) == ["open", "claim", "release", "escalate", "claim", "resolve"]
    evaluated = client.post(f"/api/cases/{number}/evaluate", json={"rating": 4}, headers=tokens["wang"])
    assert conforms(evaluated, "/api/cases/{number}/evaluate", "post")["rating"] == 4
    closed = client.post(f"/api/cases/{number}/close", headers=tokens["wang"])
    assert conforms(closed, "/api/cases/{number}/close", "post")["status"] == "closed"
    again = client.post(f"/api/cases/{number}/close", headers=tokens["wang"])
    assert conforms(again, "/api/cases/{number}/close", "post")["error"]["code"] == "invalid_transition"
    assert "已结案" in again.get_json()["error"]["message"]


def test_transfer_to_110(client, tokens, make_case):
    number = make_case("他拿着菜刀在砸我家门说要杀了我", "personal_injury")
    response = client.post(f"/api/cases/{number}/transfer", json={"to": "110", "reason": "现实危险"},
                           headers=tokens["wang"])
    body = conforms(response, "/api/cases/{number}/transfer", "post")
    assert body["status"] == "transferred" and body["transferred_to"] == "110"
    assert "110公安机关" in body["events"][-1]["note"]


def test_warning_level_only_a_person_lowers(client, tokens, make_case):
    number = make_case("我们五个人被欠工资，准备联名上访", "labor")
    raised = client.post(f"/api/cases/{number}/warning-level", json={"level": "orange", "reason": "人数增至二十多"},
                         headers=tokens["system"])
    assert conforms(raised, "/api/cases/{number}/warning-level", "post")["warning_level"] == "orange"
    refused = client.post(f"/api/cases/{number}/warning-level", json={"level": "yellow", "reason": "平台判断已缓和"},
                          headers=tokens["system"])
    assert refused.status_code == 403
    lowered = client.post(f"/api/cases/{number}/warning-level", json={"level": "yellow", "reason": "已现场疏导"},
                          headers=tokens["zhang"])
    body = conforms(lowered, "/api/cases/{number}/warning-level", "post")
    assert body["warning_level"] == "yellow"
    assert [(e["action"], e["actor"]) for e in body["events"][-2:]] == [
        ("warning_raise", "token:platform"), ("warning_lower", "user:zhang (token:zhang-token)")]


def test_group_is_visible_on_every_member(client, tokens, make_case):
    numbers = [make_case(f"宏达建筑拖欠工资（工人{i}）", "labor", location="石桥镇", respondent="宏达建筑公司")
               for i in range(5)]
    for number in numbers:
        body = conforms(client.get(f"/api/cases/{number}", headers=tokens["li"]), "/api/cases/{number}")
        assert body["group"]["head_count"] == 5 and body["group"]["warning_level"] == "red"
        assert [m["number"] for m in body["group"]["members"]] == numbers
        assert body["warning_level"] == "red"
    group = client.get(f"/api/groups/{body['group']['id']}", headers=tokens["li"])
    assert [m["number"] for m in conforms(group, "/api/groups/{group_id}")["members"]] == numbers
    queue = conforms(client.get("/api/queue", headers=tokens["li"]), "/api/queue")
    assert all(c["group"]["head_count"] == 5 for c in queue["items"])


def test_parties_and_documents(client, tokens, make_case):
    number = make_case("工地夜间施工", "environment")
    party = client.post(f"/api/cases/{number}/parties", json={"role": "respondent", "name": "青山建工"},
                        headers=tokens["wang"])
    assert conforms(party, "/api/cases/{number}/parties", "post")["respondent"] == "青山建工"
    doc = client.post(f"/api/cases/{number}/documents", json={"kind": "调解笔录", "title": "首次调解", "body": "..."},
                      headers=tokens["zhang"])
    assert conforms(doc, "/api/cases/{number}/documents", "post")["documents"][0]["kind"] == "record"


def test_unknown_routes_and_methods_answer_in_json(client, tokens):
    assert client.get("/api/nothing-here").get_json()["error"]["code"] == "not_found"
    wrong = client.delete("/api/queue", headers=tokens["zhang"])
    assert wrong.status_code == 405 and wrong.get_json()["error"]["message"]
    assert client.get("/console/nothing-here").mimetype == "text/html"


def test_health_meta_and_organisations(client, tokens):
    assert conforms(client.get("/api/health"), "/api/health")["status"] == "ok"
    assert client.get("/api/meta").get_json()["difficulties"] == {"general": "一般", "difficult": "疑难", "major": "重大"}
    assert conforms(client.get("/api/organisations", headers=tokens["li"]), "/api/organisations")["items"] == []


# --- the document says what the views take (mismatches found by tests/security/test_schemathesis.py) ----------


def test_an_integral_float_is_an_integer_as_the_document_says(client, tokens, make_case):
    """JSON Schema counts 3.0 as an integer; the API refused it as "应为整数"."""
    created = client.post("/api/cases", json={"text": "工地欠薪", "people_count": 3.0}, headers=tokens["admin"])
    assert conforms(created, "/api/cases", "post")["people_count"] == 3
    half = client.post("/api/cases", json={"text": "工地欠薪", "people_count": 2.5}, headers=tokens["admin"])
    assert conforms(half, "/api/cases", "post")["error"]["code"] == "invalid_field"


def test_an_unknown_organisation_is_422_as_documented(client, tokens):
    """Well-formed, naming nothing: 422 (400 is kept for what the document itself refuses)."""
    queue = client.get("/api/queue?organisation=nowhere", headers=tokens["admin"])
    assert conforms(queue, "/api/queue")["error"]["code"] == "unknown_organisation"
    claim = client.post("/api/queue/claim-next", json={"organisation": "nowhere"}, headers=tokens["zhang"])
    assert conforms(claim, "/api/queue/claim-next", "post")["error"]["code"] == "unknown_organisation"


@pytest.mark.parametrize("operation", ["claim", "accept"])
def test_operations_that_take_no_body_document_none(client, tokens, make_case, operation):
    """claim and accept were documented with a note they refuse."""
    body = SPEC["paths"][f"/api/cases/{{number}}/{operation}"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Empty"}
    number = make_case("楼上噪音")
    refused = client.post(f"/api/cases/{number}/{operation}", json={"note": "x"}, headers=tokens["zhang"])
    assert conforms(refused, f"/api/cases/{{number}}/{operation}", "post")["error"]["code"] == "invalid_field"


@pytest.mark.parametrize("query,status", [
    ("overdue=0", 200), ("overdue=1", 200),  # taken but documented as true/false only
    ("cursor=1_0", 400), ("cursor=+5", 400), ("cursor=", 400), ("group=", 400),  # int() took "1_0" and "+5"
    ("status=registered&status=closed", 400),  # a repeated parameter was half-read (the first won)
    ("warning_level=", 400),
])
def test_queries_are_read_as_documented(client, tokens, query, status):
    response = client.get(f"/api/cases?{query}", headers=tokens["admin"])
    assert response.status_code == status, response.get_data(as_text=True)
    conforms(response, "/api/cases")


def test_the_idempotency_key_pattern_is_the_views_rule(client, tokens):
    pattern = SPEC["paths"]["/api/cases"]["post"]["parameters"][0]["schema"]["pattern"]
    for key in ["abc", "a b", "clé-1", "x" * 128, "\x7f", "a\x85b", "a\xadb"]:
        response = client.post("/api/cases", json={"text": "楼上噪音"},
                               headers={**tokens["admin"], "Idempotency-Key": key})
        assert (response.status_code == 201) == bool(re.fullmatch(pattern, key)), (key, response.status_code)


def test_every_operation_documents_the_rate_limit_and_every_body_the_size_cap():
    for path, methods in SPEC["paths"].items():
        for method, operation in methods.items():
            assert "429" in operation["responses"], f"{method} {path}"
            if "requestBody" in operation:
                assert "413" in operation["responses"], f"{method} {path}"
