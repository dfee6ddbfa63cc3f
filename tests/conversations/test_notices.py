"""Case notices on the citizen's own channel, on SQLite and PostgreSQL: the outbox rows each case event leaves.

The case service publishes each operation's event (hotline.cases.events); the conversations layer
(hotline.conversations.notices) queues what the citizen is told. These tests read the real outbox rows.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from hotline.cases import events, queries, seat, service
from hotline.cases.actors import person
from hotline.cases.models import CaseEvent, OutboxMessage, User
from hotline.config import Settings
from hotline.conversations import handoff, notices
from tests.cases.conftest import record

SMS_SETTINGS = Settings(twilio_account_sid="AC" + "0" * 32, twilio_auth_token="t" * 32, twilio_number="+8610012345",
                        public_base_url="https://hotline.example.org")
REPORT = "楼上天天半夜跺脚，说了好几次都不听"
# Anything that looks like a code: an English word, a route, a status (case numbers are JF + digits).
CODE = re.compile(r"[A-Za-z_:]{3,}|\{\w+\}")


@pytest.fixture
def sms_on(sessions):
    """This installation can send SMS (the settings travel with the sessions, as the web service's do)."""
    sessions.configure(info={"settings": SMS_SETTINGS})
    return sessions


def rows(session, case):
    return list(session.execute(select(OutboxMessage).where(OutboxMessage.case_id == case.id)
                                .order_by(OutboxMessage.id)).scalars())


def notices_of(session, case):
    return [r for r in rows(session, case) if r.target == "citizen"]


def event_id(session, case, action):
    return session.execute(select(CaseEvent.id).where(CaseEvent.case_id == case.id, CaseEvent.action == action)
                           .order_by(CaseEvent.id.desc()).limit(1)).scalar_one()


def assert_plain(text):
    assert not CODE.search(text), text


def seat_case(session, people, *, phone="139-1234-5678", consent=True, location="幸福村", to_queue=True):
    wang = person(session.get(User, people["wang"]))
    return seat.open_from_seat(session, wang, text=REPORT, record=record(REPORT, "neighbor"), line="12345",
                               location=location, phone=phone, pii_consent=consent, note=None, to_queue=to_queue)


def test_a_case_the_bot_opens_in_a_conversation_is_told_by_that_turn_alone(sessions, orgs, make_case):
    with sessions.begin() as session:
        for channel in ("webchat", "wechat", "sms"):
            case = make_case(session, REPORT, "neighbor", channel=channel, sender_id=f"{channel}-1", location="幸福村")
            # The turn that opened it said the number (utter_case_opened): no second registration notice.
            assert rows(session, case) == []


def test_a_seat_case_with_a_consented_mobile_is_told_by_sms_once_per_event(sms_on, orgs, people):
    with sms_on.begin() as session:
        case = seat_case(session, people)
        admin = session.get(User, people["admin"])
        [registered] = notices_of(session, case)
        assert (registered.channel, registered.recipient, registered.author) == ("sms", "+8613912345678", "bot")
        assert case.number in registered.text and "幸福村人民调解委员会" in registered.text
        assert "尾号5678" in registered.text and "办理期限至" in registered.text
        assert registered.payload == {"case_event": event_id(session, case, "open")}
        # Registered and handed to the organisation the registration already named: nothing new to tell.
        assert [e.action for e in case.events][-2:] == ["register", "assign"]
        assert len(notices_of(session, case)) == 1
        service.claim(session, case.number, admin)
        claimed = notices_of(session, case)[-1]
        assert "已由幸福村人民调解委员会的调解员接手办理" in claimed.text and case.number in claimed.text
        service.escalate(session, case, "system:deadlines", "超期未办结")
        escalated = notices_of(session, case)[-1]
        assert "已升级" in escalated.text and "城关镇矛盾纠纷调处中心" in escalated.text
        service.claim(session, case.number, admin)
        assert "城关镇矛盾纠纷调处中心的调解员接手办理" in notices_of(session, case)[-1].text
        service.resolve(session, case, admin, outcome="failed", difficulty="general", next_path="court")
        resolved = notices_of(session, case)[-1]
        assert "已办结：调解不成，建议您向人民法院起诉" in resolved.text
        texts = [r.text for r in notices_of(session, case)]
        assert len(texts) == 5 and all(r.recipient == "+8613912345678" for r in notices_of(session, case))
        for text in texts:
            assert_plain(text)
        # No Rasa command for a phone caller: there is no conversation to resume.
        assert [r for r in rows(session, case) if r.target == "rasa"] == []


def test_no_consented_mobile_or_no_sms_means_no_notice(sessions, orgs, people):
    with sessions.begin() as session:
        # SMS is not configured here (the environment has no Twilio settings).
        assert rows(session, seat_case(session, people)) == []
    sessions.configure(info={"settings": SMS_SETTINGS})
    with sessions.begin() as session:
        refused = seat_case(session, people, consent=False)
        assert refused.contact_phone is None and rows(session, refused) == []
        landline = seat_case(session, people, phone="0571-8888 6666")
        assert landline.contact_phone == "057188886666" and rows(session, landline) == []
        service.claim(session, landline.number, session.get(User, people["admin"]))
        assert rows(session, landline) == []


def test_a_conversation_is_told_of_assignment_transfer_and_claim_where_it_is(sessions, orgs, people, make_case):
    with sessions.begin() as session:
        case = make_case(session, REPORT, "neighbor", channel="wechat", sender_id="oCitizen")
        wang, admin = session.get(User, people["wang"]), session.get(User, people["admin"])
        assert case.organisation_id is None  # no place given: the county-wide pool
        service.assign(session, case, wang, "chengguan-centre")
        assigned = notices_of(session, case)[-1]
        assert (assigned.channel, assigned.recipient) == ("wechat", "oCitizen")
        assert "已交由城关镇矛盾纠纷调处中心办理" in assigned.text and "在这里回复您" in assigned.text
        service.transfer(session, case, wang, "org:shiqiao-centre", "发生地在石桥镇")
        assert "已交由石桥镇矛盾纠纷调处中心办理" in notices_of(session, case)[-1].text
        service.claim(session, case.number, admin)
        assert "石桥镇矛盾纠纷调处中心的调解员接手办理" in notices_of(session, case)[-1].text
        service.transfer(session, case, admin, "12348", "属于法律咨询")
        assert "已转12348公共法律服务热线办理" in notices_of(session, case)[-1].text
        texts = [r.text for r in notices_of(session, case)]
        assert len(texts) == 4 and len(set(texts)) == 4
        for text in texts:
            assert_plain(text)


def test_a_claim_while_the_citizen_waits_for_a_person_is_told_by_that_person(sessions, people, make_case):
    with sessions.begin() as session:
        case = make_case(session, REPORT, "neighbor", channel="webchat", sender_id="web-wait")
        handoff.request(session, case, reason="request_human")
        handoff.accept(session, case, session.get(User, people["zhang"]))
        assert queries.get_case(session, case.number).assignee_id == people["zhang"]
        assert notices_of(session, case) == []


def test_the_bots_own_transfer_of_a_legal_question_is_not_repeated(sessions, make_case):
    with sessions.begin() as session:
        case = make_case(session, "离婚后孩子抚养费怎么算", "marriage_family", channel="webchat", sender_id="web-law",
                         intent="ask_legal")
        service.transfer(session, case, "bot", "12348", "法律咨询")
        assert rows(session, case) == []


def test_a_resolution_on_a_conversation_asks_for_the_rating_once(sessions, people, make_case):
    with sessions.begin() as session:
        case = make_case(session, REPORT, "neighbor", channel="sms", sender_id="+8613900002222")
        zhang = session.get(User, people["zhang"])
        service.claim(session, case.number, zhang)
        service.resolve(session, case, zhang, outcome="success", difficulty="general", agreement="晚十点后保持安静")
        resolved = event_id(session, case, "resolve")
        asks = [r for r in rows(session, case) if r.target == "rasa"]
        assert [(r.channel, r.recipient, r.payload) for r in asks] == [
            ("sms", "+8613900002222", {"execute": "action_ask_rating", "case_event": resolved})]
        # The same event told again (a listener run twice, a replay) writes nothing more.
        event = session.get(CaseEvent, resolved)
        events.publish(session, case, event)
        notices.on_case_event(session, case, event)
        assert len([r for r in rows(session, case) if r.target == "rasa"]) == 1


def test_each_event_is_told_once_however_often_it_is_published(sms_on, orgs, people):
    with sms_on.begin() as session:
        case = seat_case(session, people, to_queue=False)
        opened = session.get(CaseEvent, event_id(session, case, "open"))
        for _ in range(3):
            events.publish(session, case, opened)
        assert len(notices_of(session, case)) == 1
    with sms_on() as session:
        assert len(notices_of(session, queries.get_case(session, case.number))) == 1


def test_a_change_rolled_back_leaves_no_notice(sms_on, orgs, people):
    with sms_on.begin() as session:
        number = seat_case(session, people, to_queue=False).number
    session = sms_on()
    try:
        service.claim(session, number, session.get(User, people["admin"]))
        assert len(notices_of(session, queries.get_case(session, number))) == 2
        session.rollback()
    finally:
        session.close()
    with sms_on() as session:
        assert len(notices_of(session, queries.get_case(session, number))) == 1


def test_sms_numbers_are_mainland_mobiles_in_e164():
    assert notices.sms_number("13912345678") == "+8613912345678"
    assert notices.sms_number("+86 139-1234-5678") == "+8613912345678"
    assert notices.sms_number("057188886666") is None
    assert notices.sms_number("+14155550100") is None
    assert notices.sms_number(None) is None
