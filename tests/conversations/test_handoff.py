"""Hand-offs on both databases: one open per conversation, who may talk, hand back, time-outs, resolution."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from hotline.cases import queries, service
from hotline.cases.errors import Conflict, PermissionDenied
from hotline.cases.models import CaseEvent, CaseMessage, Handoff, OutboxMessage, User, utcnow
from hotline.conversations import handoff, outbox

NOW = dt.datetime(2026, 11, 22, 8, 0, 0)
REPORT = "楼上天天半夜跺脚，说了好几次都不听"


def chat_case(session, make_case, sender="web-1", **kw):
    return make_case(session, REPORT, "neighbor", channel="webchat", sender_id=sender, **kw)


def events(session, case):
    return [e.action for e in session.execute(select(CaseEvent).where(CaseEvent.case_id == case.id)
                                               .order_by(CaseEvent.id)).scalars()]


def outbox_rows(session, case):
    return list(session.execute(select(OutboxMessage).where(OutboxMessage.case_id == case.id)
                                .order_by(OutboxMessage.id)).scalars())


def test_request_is_idempotent_per_conversation_and_audited(sessions, make_case):
    with sessions.begin() as session:
        case = chat_case(session, make_case)
        first = handoff.request(session, case, reason="request_human", now=NOW)
        again = handoff.request(session, case, reason="fallback", now=NOW)
        assert again.id == first.id and first.status == "waiting"
        assert events(session, case).count("handoff_request") == 1
        assert handoff.open_for(session, "webchat", "web-1").id == first.id
        assert handoff.open_for(session, "webchat", "someone-else") is None


def test_the_database_holds_one_open_handoff_per_conversation_under_a_race(sessions, make_case):
    with sessions.begin() as session:
        number = chat_case(session, make_case).number
    barrier = threading.Barrier(4)
    errors = []

    def request():
        try:
            with sessions.begin() as session:
                barrier.wait()
                handoff.request(session, queries.get_case(session, number), reason="request_human")
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=request) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with sessions() as session:
        open_count = session.execute(select(func.count(Handoff.id)).where(Handoff.status.in_(("waiting", "active")))
                                     ).scalar_one()
    assert open_count == 1
    # SQLite serialises the writers; PostgreSQL's losers find the winner's row after the unique index refuses theirs.
    assert not [e for e in errors if not isinstance(e, Conflict)], errors


def test_a_mediator_accepts_by_claiming_and_a_colleague_is_refused(sessions, make_case, people):
    with sessions.begin() as session:
        case = chat_case(session, make_case)
        handoff.request(session, case, reason="request_human", now=NOW)
        zhang, li = session.get(User, people["zhang"]), session.get(User, people["li"])
        accepted = handoff.accept(session, case, zhang, now=NOW)
        assert accepted.status == "active" and accepted.accepted_by_id == zhang.id
        assert queries.get_case(session, case.number).assignee_id == zhang.id  # claimed on the way
        with pytest.raises(PermissionDenied):
            handoff.reply(session, case, li, "我是李调解")
        # The bot paused itself when it handed off: no pause command is needed.
        assert [r.target for r in outbox_rows(session, case)] == []


def test_a_reply_takes_an_unpaused_conversation_over_and_goes_out_on_its_channel(sessions, make_case, people):
    with sessions.begin() as session:
        case = chat_case(session, make_case)
        zhang = session.get(User, people["zhang"])
        message = handoff.reply(session, case, zhang, "您好，我是城关镇调解员张调解，您说的情况我看到了。")
        rows = outbox_rows(session, case)
        assert [r.payload for r in rows if r.target == "rasa"] == [{"events": [{"event": "pause"}]}]
        citizen = [r for r in rows if r.target == "citizen"]
        # The claim on the way is told first (notices), then the mediator's own words.
        assert [(r.channel, r.recipient, r.author, r.author_name) for r in citizen] == [
            ("webchat", "web-1", "bot", None), ("webchat", "web-1", "mediator", "张调解")]
        assert "接手办理" in citizen[0].text and case.number in citizen[0].text
        assert message.sender == "mediator" and message.author == "user:zhang"
        assert handoff.open_for_case(session, case).reason == "mediator"
        assert "handoff_accept" in events(session, case)


def test_citizen_messages_reach_the_transcript_only_while_a_person_holds_the_conversation(sessions, make_case):
    with sessions.begin() as session:
        case = chat_case(session, make_case)
        assert handoff.citizen_said(session, "webchat", "web-1", "还在吗") is None
        handoff.request(session, case, reason="request_human", now=NOW)
        assert handoff.citizen_said(session, "webchat", "web-1", "我手机是13812345678") is not None
        texts = [m.text for m in session.execute(select(CaseMessage).where(CaseMessage.case_id == case.id)
                                                 .order_by(CaseMessage.id)).scalars()]
        # No consent was given: the phone number is masked in the transcript.
        assert texts == [REPORT, "我手机是138****5678"]


def test_hand_back_ends_the_handoff_once_and_queues_the_resume(sessions, make_case, people):
    with sessions.begin() as session:
        case = chat_case(session, make_case)
        zhang = session.get(User, people["zhang"])
        handoff.reply(session, case, zhang, "问题已经记下了")
        ended = handoff.hand_back(session, case, zhang, now=NOW)
        assert ended.status == "ended" and ended.ended_by == "user:zhang"
        assert outbox_rows(session, case)[-1].payload == {"execute": "action_handed_back"}
        with pytest.raises(Conflict):
            handoff.hand_back(session, case, zhang)
        assert handoff.open_for(session, "webchat", "web-1") is None


def test_waiting_handoffs_time_out_once_after_the_limit(sessions, make_case):
    with sessions.begin() as session:
        old = chat_case(session, make_case, sender="web-old")
        fresh = chat_case(session, make_case, sender="web-new")
        handoff.request(session, old, reason="request_human", now=NOW)
        handoff.request(session, fresh, reason="request_human", now=NOW + dt.timedelta(minutes=2, seconds=30))
        limit = dt.timedelta(minutes=3)
        assert handoff.time_out_waiting(session, limit=limit, now=NOW + dt.timedelta(minutes=4)) == [old.number]
        assert handoff.time_out_waiting(session, limit=limit, now=NOW + dt.timedelta(minutes=4)) == []
        assert handoff.latest_for_case(session, old).status == "timed_out"
        assert handoff.latest_for_case(session, fresh).status == "waiting"
        assert outbox_rows(session, old)[-1].payload == {"execute": "action_offer_callback"}
        assert "handoff_timeout" in events(session, old)


def test_resolving_ends_the_handoff_and_asks_for_a_rating(sessions, make_case, people):
    with sessions.begin() as session:
        case = chat_case(session, make_case)
        zhang = session.get(User, people["zhang"])
        handoff.reply(session, case, zhang, "我们约个时间当面调解")
        # The resolution's own event ends the hand-off and asks for the rating (hotline.conversations.notices).
        case = service.resolve(session, case, zhang, outcome="success", difficulty="general", agreement="楼上保证晚十点后不再跺脚")
        assert handoff.latest_for_case(session, case).status == "ended"
        resolved = session.execute(select(CaseEvent.id).where(CaseEvent.case_id == case.id,
                                                              CaseEvent.action == "resolve")).scalar_one()
        assert outbox_rows(session, case)[-1].payload == {"execute": "action_ask_rating", "case_event": resolved}


def test_cases_from_a_phone_call_cannot_be_answered_online(sessions, make_case, people):
    with sessions.begin() as session:
        case = make_case(session, REPORT, "neighbor", channel="phone")
        with pytest.raises(Conflict):
            handoff.reply(session, case, session.get(User, people["zhang"]), "你好")


def test_a_system_token_cannot_talk_to_a_citizen(sessions, make_case):
    from hotline.cases.actors import Actor

    with sessions.begin() as session:
        case = chat_case(session, make_case)
        with pytest.raises(PermissionDenied):
            handoff.reply(session, case, Actor(label="token:platform", role="operator"), "你好")


def test_a_callback_request_needs_a_phone_and_keeps_it_with_consent(sessions, make_case):
    with sessions.begin() as session:
        case = chat_case(session, make_case)
        with pytest.raises(Exception):
            handoff.request_callback(session, case, phone=None)
    with sessions.begin() as session:
        case = queries.get_case(session, case.number)
        handoff.request_callback(session, case, phone="13900001111", now=NOW)
        case = queries.get_case(session, case.number)
        assert (case.pii_consent, case.contact_phone, case.callback_requested_at) == (True, "13900001111", NOW)
        assert "callback_request" in events(session, case)


def test_undeliverable_rasa_commands_are_retried_in_order_and_never_overtake(sessions, make_case, people):
    from hotline.rasa_client import RasaClient
    from tests.stack import free_port

    with sessions.begin() as session:
        case = chat_case(session, make_case)
        zhang = session.get(User, people["zhang"])
        handoff.reply(session, case, zhang, "你好")          # pause
        handoff.hand_back(session, case, zhang)              # resume, after it
    # Nothing listens on this port: a real connection failure.
    down = RasaClient(f"http://127.0.0.1:{free_port()}", timeout=2)
    started = utcnow()
    run = outbox.deliver_due(sessions, down)
    assert len(run.failed) == 1 and not run.sent  # the resume waits behind the failed pause
    with sessions() as session:
        rows = [r for r in outbox_rows(session, case) if r.target == "rasa"]
        assert [r.status for r in rows] == ["pending", "pending"]
        assert rows[0].attempts == 1 and "RasaUnavailable" in rows[0].last_error
        assert rows[0].next_attempt_at > started
    # Before the back-off ends nothing is tried again.
    again = outbox.deliver_due(sessions, down)
    assert not again.failed and not again.sent
