"""Twilio SMS at the HTTP boundary: webhooks signed exactly as Twilio signs them, replies recorded by a local
server standing in for api.twilio.com, status callbacks, and the real Rasa answering (once per MessageSid)."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from hotline.cases.models import CaseEvent, InboundMessage, OutboxMessage
from hotline.config import PROJECT_ROOT, Settings
from hotline.conversations import outbox
from hotline.web import create_app
from integrations import senders
from tests.integrations.conftest import (
    PUBLIC_BASE_URL, TWILIO_NUMBER, TWILIO_SID, TWILIO_TOKEN, ProviderServer, channel_settings, rasa_down_url,
)

SMS_PATH = "/integrations/twilio/sms"
STATUS_PATH = "/integrations/twilio/status"
CITIZEN = "+8613912345678"


def sms_form(body: str, sid: str = None, sender: str = CITIZEN) -> dict:
    """The form Twilio posts for an incoming SMS (the fields our adapter reads, and some it does not)."""
    sid = sid or "SM" + uuid.uuid4().hex
    return {"ToCountry": "CN", "SmsMessageSid": sid, "NumMedia": "0", "SmsSid": sid, "SmsStatus": "received",
            "Body": body, "To": TWILIO_NUMBER, "NumSegments": "1", "MessageSid": sid,
            "AccountSid": TWILIO_SID, "From": sender, "ApiVersion": "2010-04-01"}


def signed(form: dict, path: str, base: str = PUBLIC_BASE_URL, token: str = TWILIO_TOKEN) -> dict:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(f"{base}{path}", form)}


def post_sms(client, form, path=SMS_PATH, headers=None):
    return client.post(path, data=form, headers=signed(form, path) if headers is None else headers)


@pytest.fixture
def app(db_url, twilio):
    return create_app(channel_settings(db_url, rasa_down_url(), twilio.url))


@pytest.fixture
def sessions(app):
    return app.extensions["hotline.sessions"]


def test_without_settings_the_channel_is_not_there(db_url):
    client = create_app(Settings(database_url=db_url, secret_key="x")).test_client()
    form = sms_form("你好")
    assert post_sms(client, form).status_code == 404
    assert client.post(STATUS_PATH, data={}).status_code == 404


def test_a_missing_or_wrong_signature_is_refused_and_nothing_is_stored(app, sessions):
    client = app.test_client()
    form = sms_form("你好")
    assert post_sms(client, form, headers={}).status_code == 403
    assert post_sms(client, form, headers=signed(form, SMS_PATH, token="0" * 32)).status_code == 403
    tampered = signed(form, SMS_PATH)
    assert post_sms(client, {**form, "Body": "改过的内容"}, headers=tampered).status_code == 403
    # Signed for the address we see, not the public one Twilio called: a proxy would break it, so we use the latter.
    assert post_sms(client, form, headers=signed(form, SMS_PATH, base="http://localhost")).status_code == 403
    with sessions() as session:
        assert session.execute(select(InboundMessage)).first() is None


def test_a_signed_sms_is_stored_and_acknowledged_with_empty_twiml(app, sessions):
    form = sms_form("我电话13912345678，邻居漏水")
    response = post_sms(app.test_client(), form)
    assert response.status_code == 200 and response.mimetype == "text/xml"
    assert response.get_data(as_text=True).endswith("<Response></Response>")
    with sessions() as session:
        row = session.execute(select(InboundMessage)).scalar_one()
        assert (row.channel, row.message_id, row.sender_id) == ("sms", form["MessageSid"], CITIZEN)
        assert row.status == "failed"  # Rasa is down in this test: kept for the job


def test_danger_by_sms_gets_the_110_guidance_while_rasa_is_down(app, twilio):
    post_sms(app.test_client(), sms_form("他拿着刀说要杀了我"))
    assert len(twilio.requests) == 1
    sent = twilio.requests[0]
    assert sent["path"] == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    assert sent.form["To"] == CITIZEN and sent.form["From"] == TWILIO_NUMBER and "110" in sent.form["Body"]
    assert sent.form["StatusCallback"] == f"{PUBLIC_BASE_URL}{STATUS_PATH}"
    import base64

    assert sent["headers"]["Authorization"] == "Basic " + base64.b64encode(
        f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()


def _queued(sessions, text, case=None):
    with sessions.begin() as session:
        return outbox.to_citizen(session, channel="sms", recipient=CITIZEN, text=text, case=case).id


def _deliver(app):
    config = app.config["HOTLINE_SETTINGS"]
    return outbox.deliver_due(app.extensions["hotline.sessions"], None, senders=senders(config))


def test_status_callbacks_move_each_message_on(app, sessions, twilio):
    first, second = _queued(sessions, "第一条"), _queued(sessions, "第二条")
    assert _deliver(app).sent == [first, second]
    with sessions() as session:
        sids = {row.id: row.provider_id for row in session.execute(select(OutboxMessage)).scalars()}
    client = app.test_client()
    for row_id, state in ((first, "sent"), (first, "delivered"), (second, "undelivered"), (first, "failed")):
        form = {"MessageSid": sids[row_id], "MessageStatus": state, "AccountSid": TWILIO_SID, "To": CITIZEN,
                **({"ErrorCode": "30003"} if state == "undelivered" else {})}
        assert client.post(STATUS_PATH, data=form, headers=signed(form, STATUS_PATH)).status_code == 204
    unsigned = {"MessageSid": sids[second], "MessageStatus": "delivered"}
    assert client.post(STATUS_PATH, data=unsigned).status_code == 403
    with sessions() as session:
        rows = {r.id: r for r in session.execute(select(OutboxMessage)).scalars()}
    assert rows[first].status == "delivered" and rows[first].delivered_at is not None  # "failed" came too late
    assert rows[second].status == "failed" and "30003" in rows[second].last_error


def test_a_refused_send_is_not_retried_and_shows_in_the_case(app, sessions, make_case):
    refusing = ProviderServer(lambda r: (400, {"code": 21211, "message": "The 'To' number is not valid."}))
    try:
        app.config["HOTLINE_SETTINGS"] = Settings(**{**app.config["HOTLINE_SETTINGS"].__dict__,
                                                     "twilio_api_base": refusing.url})
        with sessions.begin() as session:
            case = make_case(session, "楼上漏水", "neighbor", channel="sms", sender_id=CITIZEN)
        row_id = _queued(sessions, "调解员回复", case=case)
        run = _deliver(app)
        assert run.gave_up == [row_id] and len(refusing.requests) == 1
        assert _deliver(app).sent == [] and len(refusing.requests) == 1  # never twice
        with sessions() as session:
            events = [e for e in session.execute(select(CaseEvent).where(CaseEvent.case_id == case.id)).scalars()
                      if e.action == "delivery_failed"]
        assert len(events) == 1 and "21211" in events[0].note
        with sessions() as session:
            # In front of a person: a call-back request (no phone was consented, so the note says so).
            case = session.get(type(case), case.id)
            assert case.callback_requested_at is not None
    finally:
        refusing.stop()


def test_an_sms_citizen_is_told_by_sms_when_the_case_is_assigned_and_claimed(app, sessions, twilio, make_case):
    import base64

    from hotline.cases.accounts import create_user
    from hotline.cases.organisations import load
    from hotline.cases.tokens import create_token
    from tests.cases.conftest import example_data

    with sessions.begin() as session:
        load(session, example_data())
        create_user(session, "wang", "password-123", "operator")
        create_user(session, "zhao", "password-123", "admin")
        wang = {"Authorization": "Bearer " + create_token(session, "wang-token", username="wang")[1]}
        zhao = {"Authorization": "Bearer " + create_token(session, "zhao-token", username="zhao")[1]}
        number = make_case(session, "楼上漏水泡坏了我家吊顶", "neighbor", channel="sms", sender_id=CITIZEN).number
    client = app.test_client()
    assert twilio.requests == []  # the bot's turn told the number; nothing more on opening
    assert client.post(f"/api/cases/{number}/assign", json={"organisation": "chengguan-centre"},
                       headers=wang).status_code == 200
    assert len(twilio.requests) == 1  # sent right after the commit, by the web service
    sent = twilio.requests[0]
    assert sent["path"] == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    assert sent["headers"]["Authorization"] == "Basic " + base64.b64encode(
        f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
    assert sent.form["To"] == CITIZEN and sent.form["From"] == TWILIO_NUMBER
    assert sent.form["StatusCallback"] == f"{PUBLIC_BASE_URL}{STATUS_PATH}"
    body = sent.form["Body"]
    assert number in body and "城关镇矛盾纠纷调处中心" in body and "chengguan" not in body
    assert client.post(f"/api/cases/{number}/claim", json={}, headers=zhao).status_code == 200
    assert len(twilio.requests) == 2 and "调解员接手办理" in twilio.requests[1].form["Body"]
    # The job that runs later sends nothing twice; Twilio's delivery report closes the row.
    assert _deliver(app).sent == [] and len(twilio.requests) == 2
    with sessions() as session:
        rows = session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()
    assert [(r.status, r.author) for r in rows] == [("sent", "bot"), ("sent", "bot")]
    form = {"MessageSid": rows[0].provider_id, "MessageStatus": "delivered", "AccountSid": TWILIO_SID, "To": CITIZEN}
    assert client.post(STATUS_PATH, data=form, headers=signed(form, STATUS_PATH)).status_code == 204
    with sessions() as session:
        assert session.get(OutboxMessage, rows[0].id).status == "delivered"


def test_a_provider_error_is_retried_and_an_unreachable_provider_too(app, sessions):
    failing = ProviderServer(lambda r: (503, {"message": "Service Unavailable"}))
    try:
        app.config["HOTLINE_SETTINGS"] = Settings(**{**app.config["HOTLINE_SETTINGS"].__dict__,
                                                     "twilio_api_base": failing.url})
        row_id = _queued(sessions, "您好")
        assert _deliver(app).failed == [row_id]
        app.config["HOTLINE_SETTINGS"] = Settings(**{**app.config["HOTLINE_SETTINGS"].__dict__,
                                                     "twilio_api_base": rasa_down_url()})
        import datetime as dt

        later = dt.datetime.utcnow() + dt.timedelta(minutes=5)
        config = app.config["HOTLINE_SETTINGS"]
        assert outbox.deliver_due(sessions, None, senders=senders(config), now=later).failed == [row_id]
        with sessions() as session:
            row = session.get(OutboxMessage, row_id)
            assert row.status == "pending" and row.attempts == 2
    finally:
        failing.stop()


# --- with the real Rasa and action server --------------------------------------------------------------------


@pytest.fixture
def live(stack, twilio):
    """The web app in this process, on the stack's database and Rasa; Twilio is the local recorder."""
    return create_app(channel_settings(stack.database_url, stack.rasa_url, twilio.url))


def test_an_sms_is_answered_once_even_when_twilio_delivers_it_twice(live, stack, twilio):
    sender = "+86139" + str(uuid.uuid4().int)[:8]
    form = sms_form("你好", sender=sender)
    client = live.test_client()
    assert post_sms(client, form).status_code == 200
    answers = [r.form["Body"] for r in twilio.requests if r.form.get("To") == sender]
    assert answers and all(a.strip() for a in answers)
    assert post_sms(client, form).status_code == 200  # Twilio retried (our answer was late)
    assert [r.form["Body"] for r in twilio.requests if r.form.get("To") == sender] == answers
    tracker = requests.get(f"{stack.rasa_url}/conversations/{sender}/tracker", params={"token": stack.token},
                           timeout=10).json()
    assert [e["text"] for e in tracker["events"] if e["event"] == "user"] == ["你好"]


def test_an_sms_kept_while_rasa_was_down_is_answered_by_the_job_once_rasa_is_back(stack, twilio):
    down = create_app(channel_settings(stack.database_url, rasa_down_url(), twilio.url))
    sender = "+86139" + str(uuid.uuid4().int)[:8]
    assert post_sms(down.test_client(), sms_form("老板拖欠我三个月工资", sender=sender)).status_code == 200
    assert [r for r in twilio.requests if r.form.get("To") == sender] == []  # nothing yet: Rasa is down
    # The job of `make run`, as its own process, with Rasa reachable again.
    env = {**os.environ, "DATABASE_URL": stack.database_url, "RASA_URL": stack.rasa_url, "RASA_TOKEN": stack.token,
           "PUBLIC_BASE_URL": PUBLIC_BASE_URL, "TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
           "TWILIO_NUMBER": TWILIO_NUMBER, "TWILIO_API_BASE": twilio.url, "PYTHONPATH": str(PROJECT_ROOT)}
    job = subprocess.run([str(Path(sys.executable).parent / "hotline"), "jobs", "run-handoffs"], env=env,
                         capture_output=True, text=True, timeout=300)
    assert job.returncode == 0, job.stderr
    answers = [r.form["Body"] for r in twilio.requests if r.form.get("To") == sender]
    assert answers and any("劳动" in a or "工资" in a for a in answers), answers
