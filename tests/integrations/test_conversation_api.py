"""GET /api/conversations/<channel>/<provider_user_id>/messages: staff read a channel conversation, by role."""
from __future__ import annotations

import pytest

from hotline.cases import queries, service
from hotline.cases.models import OutboxMessage
from hotline.conversations import inbox, outbox
from hotline.rasa_client import RasaUnavailable
from tests.web.test_api import conforms
from tests.web.conftest import app, make_case, sessions, tokens  # noqa: F401 - fixtures by name

CITIZEN = "+8613912345678"


class DownBot:
    def actions_instance(self, *, last_seen=False):
        return None

    def send(self, sender_id, text, metadata=None):
        raise RasaUnavailable("connection refused")


@pytest.fixture
def conversation(sessions, make_case):
    """An SMS conversation: a message kept while the bot was down, a mediator's reply sent and delivered."""
    number = make_case("楼上漏水", channel="sms", sender_id=CITIZEN)
    with sessions() as session:
        received = inbox.receive(session, "sms", "SM" + "a" * 32, CITIZEN, "楼上漏水，我电话13912345678")
        inbox.process(session, DownBot(), received.message)
    with sessions.begin() as session:
        case = queries.get_case(session, number)
        row = outbox.to_citizen(session, channel="sms", recipient=CITIZEN, text="您好，我是张调解", author="mediator",
                                author_name="张调解", case=case)
        row.status, row.provider_id = "sent", "SM" + "b" * 32
        outbox.record_provider_status(session, row.provider_id, "delivered")
    return number


def url(channel="sms", user=CITIZEN):
    return f"/api/conversations/{channel}/{user}/messages"


def test_an_operator_reads_the_whole_conversation_in_order(app, tokens, conversation):
    response = app.test_client().get(url(), headers=tokens["wang"])
    assert response.status_code == 200
    messages = conforms(response, "/api/conversations/{channel}/{provider_user_id}/messages")["messages"]
    assert [(m["direction"], m["provider_id"], m["state"]) for m in messages] == [
        ("in", "SM" + "a" * 32, "failed"), ("out", "SM" + "b" * 32, "delivered")]
    assert messages[1]["author_name"] == "张调解" and messages[0]["at"].endswith("Z")


def test_a_mediator_reads_only_conversations_of_cases_they_hold(app, sessions, tokens, conversation):
    client = app.test_client()
    assert client.get(url(), headers=tokens["zhang"]).status_code == 403
    with sessions.begin() as session:
        service.claim(session, conversation, _person(session, "zhang"))
    assert client.get(url(), headers=tokens["zhang"]).status_code == 200
    assert client.get(url(), headers=tokens["li"]).status_code == 403


def _person(session, username):
    from sqlalchemy import select

    from hotline.cases.actors import person
    from hotline.cases.models import User

    return person(session.execute(select(User).where(User.username == username)).scalar_one())


@pytest.mark.parametrize("path, status", [
    (url("fax"), 404),
    (url(user="x" * 200), 404),
    (url(user="+8600000000000"), 200),  # nobody there: an empty list, not an error
])
def test_odd_addresses_get_clear_answers(app, tokens, path, status):
    response = app.test_client().get(path, headers=tokens["admin"])
    assert response.status_code == status
    conforms(response, "/api/conversations/{channel}/{provider_user_id}/messages")
    if status == 200:
        assert response.get_json()["messages"] == []


def test_it_needs_a_token_or_a_session(app, conversation):
    assert app.test_client().get(url()).status_code == 401


def test_the_outbox_row_is_marked_delivered(sessions, conversation):
    with sessions() as session:
        assert {r.status for r in session.query(OutboxMessage).all()} == {"delivered"}
