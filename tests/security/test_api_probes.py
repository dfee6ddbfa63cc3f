"""The outsider's probes of the JSON API: wrong types, huge numbers, unknown codes. No 5xx, nothing saved."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hotline.cases.models import Case, CaseEvent

@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request):
    """Both databases: each overflows and casts differently."""
    return request.getfixturevalue(f"{request.param}_url")


TRIAGE = {"text": "楼上噪音", "intent": {"name": "report_dispute", "confidence": 0.9},
          "dispute_type": {"code": "neighbor", "confidence": 0.9}, "warning_level": None,
          "route": {"to": "mediation:community", "reason": "邻里纠纷"}}

NEW_CASE_PROBES = [
    {"text": "楼上噪音", "triage": {**TRIAGE, "intent": "report_dispute"}},
    {"text": "楼上噪音", "triage": {**TRIAGE, "warning_level": "purple"}},
    {"text": "楼上噪音", "triage": {**TRIAGE, "warning_level": ["red"]}},
    {"text": "楼上噪音", "triage": {**TRIAGE, "route": {"to": ["110"]}}},
    {"text": "楼上噪音", "triage": {**TRIAGE, "dispute_type": "neighbor"}},
    {"text": "楼上噪音", "triage": {**TRIAGE, "entities": [{"entity": "people_count", "value": 10**30}]}},
    {"text": "楼上噪音", "triage": {**TRIAGE, "risk_signals": "collective"}},
    {"text": "楼上噪音", "people_count": 10**30},
    {"text": "楼上噪音", "people_count": 1.5},
    {"text": "楼上噪音", "transcript": [{"sender": "citizen", "text": "x" * 100_000}]},
    {"text": "楼上噪音", "line": ["110"]},
    {"text": "楼上噪音", "location": {"x": 1}},
    {"text": "楼上噪音", "pii_consent": "yes"},
    {"text": ["楼上噪音"]},
    {"text": "楼上噪音", "dispute_type": 7},
    # Found by schemathesis (tests/security/test_schemathesis.py):
    {"text": "楼上噪音", "triage": {**TRIAGE, "intent": {"name": "x", "confidence": True}}},  # was kept as 1.0
    {"text": "楼上噪音", "triage": {**TRIAGE, "signals": [{"words": 5}]}},  # was kept; the case page then 500
    {"text": "楼上噪音", "intake_key": " " + "k" * 128},  # stripped to 128 and kept, past the documented 128
    {"text": "  "},  # blank once stripped (the document now says so with a pattern)
]


@pytest.mark.parametrize("payload", NEW_CASE_PROBES, ids=range(len(NEW_CASE_PROBES)))
def test_bad_new_cases_are_refused_in_chinese_and_nothing_is_saved(client, tokens, sessions, payload):
    response = client.post("/api/cases", json=payload, headers=tokens["system"])
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    message = response.get_json()["error"]["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)
    with sessions() as session:
        assert session.execute(select(func.count()).select_from(Case)).scalar() == 0
    # ...and everyone else's reads still work.
    assert client.get("/api/queue", headers=tokens["system"]).status_code == 200
    assert client.get("/api/cases", headers=tokens["system"]).status_code == 200


@pytest.mark.parametrize("level", ["purple", ["red"], {"x": 1}, 3])
def test_a_bad_warning_level_changes_nothing(client, tokens, sessions, make_case, level):
    number = make_case("楼上噪音")
    with sessions() as session:
        before = session.execute(select(func.count()).select_from(CaseEvent)).scalar()
        level_before = session.execute(select(Case.warning_level)).scalar_one()
    response = client.post(f"/api/cases/{number}/warning-level", json={"level": level, "reason": "测试"},
                           headers=tokens["admin"])
    assert response.status_code in (400, 422)
    with sessions() as session:
        assert session.execute(select(func.count()).select_from(CaseEvent)).scalar() == before
        assert session.execute(select(Case.warning_level)).scalar_one() == level_before
    assert client.get("/api/queue", headers=tokens["system"]).status_code == 200


@pytest.mark.parametrize("path", [
    "/api/groups/100000000000000000000",
    "/api/cases?group=100000000000000000000",
    "/api/cases?cursor=1e23",
    "/api/cases?limit=10000000000000000000000",
    "/api/queue?limit=-1",
    "/api/handoffs?limit=abc",
    "/api/cases/JF1/messages?after=100000000000000000000000",
    "/api/cases/JF1/messages?after=1e23",
])
def test_huge_or_malformed_numbers_in_urls_are_answered_without_5xx(client, tokens, make_case, path):
    number = make_case("楼上噪音")
    response = client.get(path.replace("JF1", number), headers=tokens["system"])
    assert response.status_code in (400, 404), response.get_data(as_text=True)
    assert response.is_json


@pytest.mark.parametrize("path,payload", [
    ("evaluate", {"rating": 10**30, "comment": "好"}),
    ("evaluate", {"rating": "5"}),
    ("parties", {"role": "applicant", "name": {"x": 1}}),
    ("documents", {"kind": ["note"], "title": "x"}),
    ("transfer", {"to": 110, "reason": "x"}),
    ("resolve", {"outcome": ["success"], "difficulty": "normal"}),
    ("reply", {"text": 12}),
    ("claim", [1, 2]),
])
def test_wrong_types_in_case_operations_are_refused(client, tokens, make_case, sessions, path, payload):
    number = make_case("楼上噪音")
    with sessions() as session:
        before = session.execute(select(func.count()).select_from(CaseEvent)).scalar()
    response = client.post(f"/api/cases/{number}/{path}", json=payload, headers=tokens["admin"])
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    with sessions() as session:
        assert session.execute(select(func.count()).select_from(CaseEvent)).scalar() == before


def test_the_idempotency_key_is_length_limited(client, tokens, sessions):
    response = client.post("/api/cases", json={"text": "楼上噪音"}, headers={**tokens["system"],
                                                                          "Idempotency-Key": "k" * 300})
    assert response.status_code == 400 and "Idempotency-Key" in response.get_json()["error"]["message"]
    with sessions() as session:
        assert session.execute(select(func.count()).select_from(Case)).scalar() == 0


@pytest.mark.parametrize("after", ["1e23", str(10**23), str(2**63), "-1", "abc"])
def test_the_chat_poll_takes_no_huge_or_malformed_after(client, after):
    client.get("/chat")  # the server issues the conversation
    response = client.get("/chat/api/messages", query_string={"after": after})
    assert response.status_code in (200, 400) and response.is_json


# --- found by schemathesis (tests/security/test_schemathesis.py) ---------------------------


def test_a_case_whose_triage_has_no_intent_is_shown_not_500(client, tokens):
    """A system may send its own triage record with "intent": null; the case file and page answered 500."""
    from tests.web.conftest import login

    created = client.post("/api/cases", json={"text": "楼上噪音", "triage": {**TRIAGE, "intent": None}},
                          headers=tokens["admin"])
    assert created.status_code == 201, created.get_data(as_text=True)
    number = created.get_json()["number"]
    printed = client.get(f"/api/cases/{number}/file", headers=tokens["admin"])
    assert printed.status_code == 200 and "<th>意图</th><td>—</td>" in printed.get_data(as_text=True)
    login(client, "admin")
    page = client.get(f"/console/cases/{number}")
    assert page.status_code == 200 and "<dt>意图</dt><dd>—" in page.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/api/cases", "/chat/api/messages"])
def test_a_lone_surrogate_in_json_is_a_bad_request_not_500(client, tokens, sessions, path):
    """"\\ud800" parses into a Python string no database or answer can encode: it was a 500 at the INSERT."""
    client.get("/chat")
    body = b'{"text": "\\u697c\\ud800\\u4e0a", "message_id": "m1"}'
    response = client.post(path, data=body, content_type="application/json", headers=tokens["system"])
    assert response.status_code == 400, response.get_data(as_text=True)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.get_json()["error"]["message"])
    with sessions() as session:
        assert session.execute(select(func.count()).select_from(Case)).scalar() == 0


@pytest.mark.parametrize("method,path,allowed", [
    ("TRACE", "/api/health", {"GET", "HEAD", "OPTIONS"}),
    ("GET", "/api/queue/claim-next", {"POST", "OPTIONS"}),
    ("DELETE", "/api/cases", {"GET", "HEAD", "OPTIONS", "POST"}),
    ("PUT", "/console/login", {"GET", "HEAD", "OPTIONS", "POST"}),
])
def test_a_405_says_which_methods_the_url_takes(client, method, path, allowed):
    """RFC 9110: a 405 carries Allow. The Chinese error answers dropped it."""
    response = client.open(path, method=method)
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == allowed
