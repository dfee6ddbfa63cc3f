"""The web chat's conversation credential: issued by the server, signed, HttpOnly, checked on every read and write;
and the web chat's side of the inbound path (kept while Rasa is down, limits per client)."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from hotline.cases.models import InboundMessage
from hotline.config import Settings
from hotline.conversations import outbox, status
from hotline.web import create_app
from integrations.webchat import COOKIE, QUEUED_NOTICE
from tests.integrations.conftest import channel_settings, rasa_down_url


@pytest.fixture
def app(db_url):
    return create_app(channel_settings(db_url, rasa_down_url()))


@pytest.fixture
def sessions(app):
    return app.extensions["hotline.sessions"]


def post(client, text, message_id=None, **extra):
    return client.post("/chat/api/messages", json={"message_id": message_id or uuid.uuid4().hex, "text": text,
                                                   **extra})


def conversation(sessions, message_id):
    with sessions() as session:
        return session.execute(select(InboundMessage.sender_id)
                               .where(InboundMessage.message_id == message_id)).scalar_one()


def test_the_page_issues_a_signed_httponly_conversation_cookie(app):
    client = app.test_client()
    response = client.get("/chat")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Path=/chat" in cookie
    again = client.get("/chat")  # the same visitor keeps the conversation
    assert "Set-Cookie" not in again.headers


def test_the_browser_cannot_choose_the_conversation(app, sessions):
    client = app.test_client()
    client.get("/chat")
    response = post(client, "你好", message_id="m-choose", sender_id="a")
    assert response.status_code == 202  # Rasa is down here: kept, answered later
    chosen = conversation(sessions, "m-choose")
    assert chosen != "a" and len(chosen) >= 24


def test_nobody_else_reads_a_conversation_whatever_id_they_send(app, sessions):
    citizen = app.test_client()
    citizen.get("/chat")
    post(citizen, "你好", message_id="m-owner")
    owner = conversation(sessions, "m-owner")
    with sessions.begin() as session:
        outbox.to_citizen(session, channel="webchat", recipient=owner, text="调解员的答复：明天上午来人", author="mediator")
    mine = citizen.get("/chat/api/messages?after=0").get_json()
    assert [m["text"] for m in mine["messages"]] == ["调解员的答复：明天上午来人"]

    stranger = app.test_client()
    refused = stranger.get(f"/chat/api/messages?after=0&sender_id={owner}")
    assert refused.status_code == 401 and "刷新页面" in refused.get_json()["error"]["message"]
    for forged in ("a", owner, "a.b.c", "x" * 600):
        stranger.set_cookie(COOKIE, forged, path="/chat")
        assert stranger.get("/chat/api/messages?after=0").status_code == 401
    # A stranger who has a conversation of their own sees only theirs.
    stranger.delete_cookie(COOKIE, path="/chat")
    stranger.get("/chat")
    assert stranger.get(f"/chat/api/messages?after=0&sender_id={owner}").get_json()["messages"] == []


def test_a_cookie_signed_with_another_secret_is_refused(app, db_url):
    other = create_app(Settings(database_url=db_url, secret_key="another-secret"))
    foreign = other.test_client()
    foreign.get("/chat")
    value = foreign.get_cookie(COOKIE, path="/chat").value
    client = app.test_client()
    client.set_cookie(COOKIE, value, path="/chat")
    assert client.get("/chat/api/messages?after=0").status_code == 401


def test_a_message_kept_while_rasa_is_down_is_acknowledged_and_stored(app, sessions):
    client = app.test_client()
    client.get("/chat")
    response = post(client, "我电话13912345678，邻居漏水", message_id="m-down")
    body = response.get_json()
    assert response.status_code == 202 and body["queued"] is True
    assert [r["text"] for r in body["replies"]] == [QUEUED_NOTICE]
    with sessions() as session:
        row = session.execute(select(InboundMessage).where(InboundMessage.message_id == "m-down")).scalar_one()
        assert row.status == "failed" and row.text == "我电话13912345678，邻居漏水"  # clear until processed


def test_danger_gets_the_110_guidance_in_the_answer_while_rasa_is_down(app):
    client = app.test_client()
    client.get("/chat")
    body = post(client, "他拿着刀在砸我家门").get_json()
    assert any("110" in r["text"] and "seq" in r for r in body["replies"])


@pytest.mark.parametrize("payload, code", [
    ({"message_id": "m1", "text": "   "}, "empty_text"),
    ({"message_id": "m 1", "text": "你好"}, "invalid_message_id"),
    ({"message_id": "m1", "text": "长" * 2001}, "text_too_long"),
    (["not", "an", "object"], "invalid_json"),
])
def test_bad_input_gets_a_chinese_error(app, payload, code):
    response = app.test_client().post("/chat/api/messages", json=payload)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == code


@pytest.mark.parametrize("after", ["1e23", "abc"])
def test_a_bad_after_is_a_400(app, after):
    client = app.test_client()
    client.get("/chat")
    assert client.get(f"/chat/api/messages?after={after}").status_code == 400


def test_a_huge_after_is_no_500(app):
    client = app.test_client()
    client.get("/chat")
    assert client.get(f"/chat/api/messages?after={10**30}").status_code == 200


def test_rotating_conversations_does_not_reset_the_lookup_limit(app, sessions):
    """Each new visit gets a new conversation id; failed case look-ups still count for the client."""
    failures = 0
    locked = False
    for visit in range(status.MAX_FAILURES_PER_CLIENT // 5 + 1):
        client = app.test_client()  # a fresh browser each time: no cookie, a new conversation
        client.get("/chat")
        message_id = f"visit-{visit}"
        post(client, "查询案件", message_id=message_id)
        sender = conversation(sessions, message_id)
        for attempt in range(5):  # below the per-conversation limit
            with sessions.begin() as session:
                found = status.lookup(session, f"JF20261122{visit:03d}{attempt:03d}", channel="webchat",
                                      sender_id=sender)
            if found.outcome == "locked":
                locked = True
                break
            assert found.outcome == "not_found"
            failures += 1
        if locked:
            break
    assert locked and failures == status.MAX_FAILURES_PER_CLIENT


def test_a_message_another_worker_is_processing_gets_a_409_and_is_not_processed_twice(app, sessions):
    """The page's retry while the first request still holds the message: told to wait, nothing run twice."""
    import datetime as dt

    from hotline.cases.models import utcnow

    client = app.test_client()
    client.get("/chat")
    assert post(client, "邻居家装修太吵了", message_id="m-busy").status_code == 202  # Rasa down: kept
    with sessions.begin() as session:
        row = session.execute(select(InboundMessage).where(InboundMessage.message_id == "m-busy")).scalar_one()
        row.status, row.claimed_at = "processing", utcnow() - dt.timedelta(seconds=5)  # another worker has it
    response = post(client, "邻居家装修太吵了", message_id="m-busy")
    assert response.status_code == 409
    assert response.get_json()["error"] == {"code": "in_progress", "message": "这条消息正在处理，请稍候。"}
    with sessions() as session:
        rows = session.execute(select(InboundMessage).where(InboundMessage.message_id == "m-busy")).scalars().all()
        assert [(r.status, r.text) for r in rows] == [("processing", "邻居家装修太吵了")]


def test_a_message_id_already_used_by_another_conversation_is_refused_and_changes_nothing(app, sessions):
    first, second = app.test_client(), app.test_client()
    first.get("/chat")
    second.get("/chat")
    assert post(first, "楼上漏水", message_id="m-shared").status_code == 202
    response = post(second, "我也想反映问题", message_id="m-shared")
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "message_id_conflict"
    assert "刷新" in response.get_json()["error"]["message"]
    with sessions() as session:
        rows = session.execute(select(InboundMessage).where(InboundMessage.message_id == "m-shared")).scalars().all()
        assert [r.text for r in rows] == ["楼上漏水"]


def test_while_a_mediator_holds_the_conversation_the_bot_is_silent_and_the_page_is_told_who(app, sessions):
    from hotline.cases.accounts import create_user
    from hotline.cases.models import CaseMessage
    from hotline.cases.service import Intake, open_case
    from hotline.conversations import handoff
    from hotline.triage import build_record

    client = app.test_client()
    client.get("/chat")
    assert post(client, "邻居占了我家门口的过道", message_id="m-first").status_code == 202
    sender = conversation(sessions, "m-first")
    with sessions.begin() as session:
        zhang = create_user(session, "zhang", "password-123", "mediator", "张调解")
        text = "邻居占了我家门口的过道"
        case, _ = open_case(
            session,
            "bot",
            Intake(
                text=text, triage=build_record(text, "report_dispute", "neighbor"), key="web-takeover",
                channel="webchat", sender_id=sender, transcript=[("citizen", text)],
            ),
        )
        handoff.request(session, case, reason="request_human")
        handoff.accept(session, case, zhang)
        number = case.number
    response = post(client, "张调解您好，过道的事什么时候能解决", message_id="m-held")
    body = response.get_json()
    assert response.status_code == 200 and body["replies"] == []  # the bot says nothing while a person holds it
    assert body["handoff"] == {"status": "active", "case_number": number, "mediator": "张调解"}
    with sessions() as session:
        said = [m.text for m in session.execute(select(CaseMessage).join(CaseMessage.case)
                                                .where(CaseMessage.case.has(number=number))).scalars()]
        assert "张调解您好，过道的事什么时候能解决" in said  # in the case's transcript for the mediator
