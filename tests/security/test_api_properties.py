"""Property-based probes of every API route (hypothesis): any JSON, any query, no 5xx and no half-written change.

10,000 generated requests in all with FUZZ_SCALE=1 (`make fuzz`); the suite
runs a tenth of them (FUZZ_SCALE defaults to 0.1). Figures and run times are
in docs/RELIABILITY.md.
"""
from __future__ import annotations

import itertools
import os
from typing import Any, Dict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from hotline.cases.accounts import create_user
from hotline.cases.models import Case, CaseEvent, CaseMessage
from hotline.cases.service import Intake, open_case
from hotline.cases.tokens import create_token
from hotline.config import Settings
from hotline.triage import build_record
from hotline.web import create_app, schemas
from tests.conftest import migrate

# Examples per test at FUZZ_SCALE=1: 10,000 API requests, and 1,000 more on the citizen's chat.
FULL = {"new_case": 3000, "operation": 4000, "query": 2000, "raw_body": 1000, "chat": 1000}
EXAMPLES = {name: max(10, int(count * float(os.environ.get("FUZZ_SCALE", "0.1")))) for name, count in FULL.items()}
OPERATIONS = {
    "claim": schemas.Empty, "release": schemas.Note, "register": schemas.Note, "assign": schemas.Assign,
    "transfer": schemas.Transfer, "escalate": schemas.Reason, "resolve": schemas.Resolve,
    "evaluate": schemas.Evaluate, "close": schemas.Note, "reopen": schemas.Reason,
    "warning-level": schemas.WarningLevel, "parties": schemas.Party, "documents": schemas.Document,
    "accept": schemas.Empty, "reply": schemas.Reply, "handback": schemas.Note,
}
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
                derandomize=True, database=None)

scalars = (st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40)
           | st.sampled_from(["", " ", "purple", "orange", "red", "yellow", "success", "normal", "applicant", "note",
                              "110", "12345", "labor", "neighbor", "一般", "调解成功", "org:x", "x" * 3000]))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=3), max_leaves=8)


def body_for(model) -> st.SearchStrategy[Dict[str, Any]]:
    """Objects whose keys are mostly the model's own fields (with any JSON values), sometimes strangers."""
    keys = list(model.__fields__) + ["unknown", "text", "level"]
    return st.dictionaries(st.sampled_from(keys), json_values, max_size=len(keys))


triage_like = st.fixed_dictionaries({}, optional={
    "text": json_values, "intent": st.one_of(json_values, st.fixed_dictionaries({"name": json_values})),
    "dispute_type": st.one_of(json_values, st.fixed_dictionaries({"code": json_values})),
    "warning_level": json_values, "risk_signals": json_values, "route": json_values,
    "entities": st.lists(st.fixed_dictionaries({"entity": st.sampled_from(["people_count", "phone", "x"]),
                                                "value": json_values}), max_size=3)})


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('probe') / 'hotline.db'}"
    migrate(url)
    # Limits have their own tests; here every generated request must reach the views.
    app = create_app(Settings(database_url=url, secret_key="test", rasa_url="http://127.0.0.1:9"),
                     {"RATELIMIT_ENABLED": False})
    sessions = app.extensions["hotline.sessions"]
    with sessions.begin() as session:
        create_user(session, "admin", "password-123", "admin")
        _, secret = create_token(session, "admin-token", username="admin")
        numbers = []
        for i, text in enumerate(["楼上噪音扰民", "老板拖欠三个月工资，二十多个人", "邻居占用楼道堆放杂物"]):
            record = build_record(text, {"name": "report_dispute", "confidence": 0.9}, None)
            case, _ = open_case(
                session,
                "bot",
                Intake(text=text, triage=record, key=f"probe:{i}", transcript=[("citizen", text)]),
            )
            numbers.append(case.number)
    chat = app.test_client()
    chat.get("/chat")  # the server issues the web chat's conversation (a cookie)
    yield {"client": app.test_client(), "chat": chat, "sessions": sessions, "numbers": numbers,
           "auth": {"Authorization": f"Bearer {secret}"}, "keys": itertools.count()}
    app.extensions["hotline.engine"].dispose()


def counts(sessions):
    with sessions() as session:
        return tuple(session.execute(select(func.count()).select_from(table)).scalar()
                     for table in (Case, CaseEvent, CaseMessage))


def check(probe, response, before):
    assert response.status_code < 500, response.get_data(as_text=True)
    assert response.is_json
    if response.status_code >= 400:
        assert counts(probe["sessions"]) == before, "a refused request left something behind"


@settings(max_examples=EXAMPLES["new_case"], **SETTINGS)
@given(body=st.one_of(body_for(schemas.NewCase), st.builds(lambda b, t: {**b, "text": "楼上噪音", "triage": t},
                                                             body_for(schemas.NewCase), triage_like)),
       key=st.one_of(st.none(), st.text(max_size=200)))
def test_any_new_case_body(probe, body, key):
    before = counts(probe["sessions"])
    headers = dict(probe["auth"])
    if key is not None and key.isprintable():
        headers["Idempotency-Key"] = f"{next(probe['keys'])}-{key}"
    response = probe["client"].post("/api/cases", json=body, headers=headers)
    check(probe, response, before)
    if response.status_code in (200, 201):
        # Whatever was accepted can be read back whole, and the lists still work for everyone.
        number = response.get_json()["number"]
        assert probe["client"].get(f"/api/cases/{number}", headers=probe["auth"]).status_code == 200
        assert probe["client"].get("/api/queue", headers=probe["auth"]).status_code == 200


@settings(max_examples=EXAMPLES["operation"], **SETTINGS)
@given(data=st.data(), operation=st.sampled_from(sorted(OPERATIONS)), which=st.integers(0, 3))
def test_any_case_operation_body(probe, data, operation, which):
    body = data.draw(body_for(OPERATIONS[operation]))
    number = probe["numbers"][which] if which < 3 else "JF" + "9" * 40
    before = counts(probe["sessions"])
    response = probe["client"].post(f"/api/cases/{number}/{operation}", json=body, headers=probe["auth"])
    check(probe, response, before)


queries = st.dictionaries(st.sampled_from(["limit", "cursor", "group", "after", "status", "warning_level",
                                           "dispute_type", "overdue", "organisation", "assignee"]),
                          st.one_of(st.integers(-(10**25), 10**25).map(str), st.text(max_size=20),
                                    st.sampled_from(["1e23", "-0", "0x10", "NaN", "true", "none", "１２"])),
                          max_size=4)


@settings(max_examples=EXAMPLES["query"], **SETTINGS)
@given(path=st.sampled_from(["/api/queue", "/api/cases", "/api/handoffs", "/api/cases/{n}/messages",
                             "/api/groups/{g}", "/api/cases/{n}", "/api/organisations"]),
       query=queries, group=st.integers(0, 10**25), which=st.integers(0, 3))
def test_any_query(probe, path, query, group, which):
    number = probe["numbers"][which] if which < 3 else "无此编号"
    response = probe["client"].get(path.format(n=number, g=group), query_string=query, headers=probe["auth"])
    assert response.status_code in (200, 400, 404), response.get_data(as_text=True)


@settings(max_examples=EXAMPLES["raw_body"], **SETTINGS)
@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(str.encode),
       path=st.sampled_from(["/api/cases", "/api/queue/claim-next", "/api/cases/{n}/resolve",
                             "/api/cases/{n}/warning-level"]),
       content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]))
def test_any_raw_body(probe, raw, path, content_type):
    before = counts(probe["sessions"])
    response = probe["client"].post(path.format(n=probe["numbers"][0]), data=raw, content_type=content_type,
                                    headers=probe["auth"])
    check(probe, response, before)


chat_bodies = st.one_of(
    st.fixed_dictionaries({"sender_id": json_values, "message_id": json_values, "text": json_values}),
    st.fixed_dictionaries({"message_id": st.from_regex(r"\Am[0-9]{1,6}\Z"), "text": st.text(max_size=3000)}),
    json_values)


@settings(max_examples=EXAMPLES["chat"], **SETTINGS)
@given(body=chat_bodies, after=st.one_of(st.integers(-(10**25), 10**25).map(str), st.text(max_size=10)))
def test_any_chat_message_or_poll(probe, body, after):
    """The citizen's side: Rasa is down here, so a well-formed message is kept (202, queued) for the retry job."""
    sent = probe["chat"].post("/chat/api/messages", json=body)
    assert sent.is_json and sent.status_code in (200, 202, 400, 409), sent.get_data(as_text=True)
    if sent.status_code == 202:
        assert sent.get_json()["queued"] is True
    polled = probe["chat"].get("/chat/api/messages", query_string={"after": after})
    assert polled.is_json and polled.status_code in (200, 400), polled.get_data(as_text=True)
