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
