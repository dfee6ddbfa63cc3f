"""Twilio voice in Mandarin: the TwiML of each step against golden files (tests/integrations/golden/), from calls
signed as Twilio signs them; danger, hand-off transfer and silence without the bot (Rasa is down here)."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.cases import queries
from hotline.cases.models import Case, Handoff, InboundMessage, OutboxMessage, utcnow
from hotline.web import create_app
from tests.integrations.conftest import channel_settings, rasa_down_url
from tests.integrations.test_twilio_sms import signed

GOLDEN = Path(__file__).parent / "golden"
CALLER = "+8613900005555"
DUTY = "+8610088886666"
CALL = "CA" + "c" * 32


def call_form(**extra) -> dict:
    return {"CallSid": CALL, "AccountSid": "AC" + "0" * 32, "From": CALLER, "To": "+8610012345", "CallStatus":
            "in-progress", "Direction": "inbound", "ApiVersion": "2010-04-01", **extra}


@pytest.fixture
def app(db_url):
    return create_app(channel_settings(db_url, rasa_down_url(), duty_phone=DUTY))


def twiml_of(app, path, form):
    response = app.test_client().post(path, data=form, headers=signed(form, path))
    assert response.status_code == 200 and response.mimetype == "text/xml", response.get_data(as_text=True)
    return response.get_data(as_text=True)


def golden(name: str) -> str:
    return (GOLDEN / f"{name}.xml").read_text(encoding="utf-8").strip()


def test_the_call_opens_with_a_mandarin_prompt_and_speech_gather(app):
    assert twiml_of(app, "/integrations/twilio/voice", call_form()) == golden("voice_greeting")


def test_silence_once_asks_again_and_twice_offers_a_call_back(app):
    assert twiml_of(app, "/integrations/twilio/voice/silence?turn=1&silent=1", call_form()) == golden("voice_again")
    assert twiml_of(app, "/integrations/twilio/voice/silence?turn=1&silent=2", call_form()) == golden("voice_offer")


def test_pressing_1_stores_the_call_back_request(app):
    twiml = twiml_of(app, "/integrations/twilio/voice/callback", call_form(Digits="1"))
    assert twiml == golden("voice_callback")
    with app.extensions["hotline.sessions"]() as session:
        row = session.execute(select(InboundMessage)).scalar_one()
    assert (row.channel, row.sender_id, row.media) == ("voice", CALLER, {"type": "callback_request"})


def test_pressing_1_opens_a_call_back_case_in_the_mediators_queue_once(app):
    for _ in range(2):  # Twilio's retry of the same request
        assert twiml_of(app, "/integrations/twilio/voice/callback", call_form(Digits="1")) == golden("voice_callback")
    with app.extensions["hotline.sessions"]() as session:
        case = session.execute(select(Case)).unique().scalar_one()
        assert (case.channel, case.sender_id, case.status) == ("voice", CALLER, "reported")
        # Pressing 1 is the consent to be called back on the calling number, and only that number is kept.
        assert (case.pii_consent, case.contact_phone) == (True, "13900005555")
        assert case.callback_requested_at is not None and "按1要求回电" in case.description
        assert [c.number for c in queries.queue(session)] == [case.number]
        trail = [(e.actor, e.action) for e in case.events]
        assert trail == [("system:voice", "open"), ("system:voice", "consent"), ("system:voice", "callback_request")]
        # The caller is told the number by SMS (Twilio is configured here): the registration notice.
        [notice] = session.execute(select(OutboxMessage).where(OutboxMessage.case_id == case.id)).scalars().all()
        assert (notice.channel, notice.recipient) == ("sms", CALLER) and case.number in notice.text


def test_what_the_caller_said_before_falling_silent_is_the_case_and_an_open_case_is_marked_instead(app, make_case):
    sessions = app.extensions["hotline.sessions"]
    with sessions.begin() as session:
        session.add(InboundMessage(channel="voice", message_id=f"{CALL}:1", sender_id=CALLER, text="楼上一直漏水",
                                   status="failed", received_at=utcnow()))
    twiml_of(app, "/integrations/twilio/voice/callback", call_form(Digits="1"))
    with sessions() as session:
        first = session.execute(select(Case)).unique().scalar_one()
        assert first.description == "楼上一直漏水"
    # Another call from the same number: the open case is marked again, no second case.
    twiml_of(app, "/integrations/twilio/voice/callback", call_form(Digits="1", CallSid="CA" + "d" * 32))
    with sessions() as session:
        assert [c.number for c in session.execute(select(Case)).unique().scalars()] == [first.number]
        case = queries.get_case(session, first.number)
        assert [e.action for e in case.events].count("callback_request") == 2


def test_a_caller_who_does_not_press_1_leaves_no_case(app):
    twiml_of(app, "/integrations/twilio/voice/callback", call_form(Digits="2"))
    twiml_of(app, "/integrations/twilio/voice/callback", call_form())
    with app.extensions["hotline.sessions"]() as session:
        assert session.execute(select(Case)).first() is None
        assert session.execute(select(InboundMessage)).first() is None


def test_danger_gets_the_110_guidance_at_once(app):
    twiml = twiml_of(app, "/integrations/twilio/voice/gather?turn=1",
                     call_form(SpeechResult="他拿着刀说要杀了我", Confidence="0.92"))
    assert twiml == golden("voice_danger")


def test_a_conversation_a_person_holds_is_transferred_to_the_duty_number(app, make_case):
    sessions = app.extensions["hotline.sessions"]
    with sessions.begin() as session:
        case = make_case(session, "楼上漏水", "neighbor", channel="voice", sender_id=CALLER)
        session.add(Handoff(case_id=case.id, channel="voice", sender_id=CALLER, reason="request_human",
                            status="waiting", requested_at=utcnow()))
    twiml = twiml_of(app, "/integrations/twilio/voice/gather?turn=2", call_form(SpeechResult="我要找人工"))
    assert twiml == golden("voice_transfer")


def test_rasa_down_tells_the_caller_we_call_back(app):
    twiml = twiml_of(app, "/integrations/twilio/voice/gather?turn=1", call_form(SpeechResult="邻居家漏水"))
    assert twiml == golden("voice_busy")


def test_an_unsigned_call_is_refused(app):
    assert app.test_client().post("/integrations/twilio/voice", data=call_form()).status_code == 403


def test_the_same_turn_delivered_twice_is_one_message(app):
    form = call_form(SpeechResult="邻居家漏水")
    twiml_of(app, "/integrations/twilio/voice/gather?turn=3", form)
    twiml_of(app, "/integrations/twilio/voice/gather?turn=3", form)
    with app.extensions["hotline.sessions"]() as session:
        assert len(session.execute(select(InboundMessage)).scalars().all()) == 1


def test_a_call_back_request_the_web_service_stored_but_did_not_handle_is_handled_by_the_job(app):
    import datetime as dt

    from hotline.conversations import inbox

    sessions = app.extensions["hotline.sessions"]
    with sessions.begin() as session:
        session.add(InboundMessage(channel="voice", message_id=f"{CALL}:callback", sender_id=CALLER, text="",
                                   media={"type": inbox.CALLBACK_REQUEST}, status="received",
                                   received_at=utcnow() - dt.timedelta(minutes=1)))
    assert len(inbox.retry_due(sessions, bot=None).answered) == 1  # no bot needed: nothing is said
    assert inbox.retry_due(sessions, bot=None).answered == []
    with sessions() as session:
        case = session.execute(select(Case)).unique().scalar_one()
        assert case.callback_requested_at is not None and case.contact_phone == "13900005555"
        assert session.execute(select(InboundMessage)).scalar_one().status == "processed"
