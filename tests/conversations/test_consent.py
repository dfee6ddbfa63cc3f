"""Consent changed in the chat after a case was opened: which way, which of the conversation's cases, what came of it."""
from __future__ import annotations

import pytest

from hotline.cases import queries, service
from hotline.conversations import consent

CHAT = dict(channel="webchat", sender_id="web-consent")


@pytest.mark.parametrize("text,intent,expected", [
    ("我同意留电话，13912345678", "affirm", True),          # the words say it, whatever the model read
    ("我不想留电话了，把我号码删了", "give_consent", False),  # and a withdrawal in words always wins
    ("你们可以打我电话", "give_consent", True),             # the words say nothing clear: the intent
    ("那个号码你们处理掉吧", "withdraw_consent", False),
    ("好的谢谢", "thank", None),
])
def test_which_way_the_citizen_means(text, intent, expected):
    assert consent.direction(text, intent) is expected


def test_a_grant_goes_to_the_newest_case_still_handled_and_no_other(sessions, make_case):
    with sessions.begin() as session:
        older = make_case(session, "楼上漏水", **CHAT).number
        newest = make_case(session, "邻居占了我家车位", **CHAT)
        other = make_case(session, "邻居占了我家车位", channel="webchat", sender_id="someone-else").number
        service.transition(session, newest, "bot", "closed")
    with sessions.begin() as session:
        change = consent.grant(session, CHAT["channel"], CHAT["sender_id"], "13912345678")
        assert change == consent.Change(consent.GRANTED, (older,), "5678")
    with sessions() as session:
        assert queries.get_case(session, older).contact_phone == "13912345678"
        assert queries.get_case(session, newest.number).contact_phone is None
        assert queries.get_case(session, other).contact_phone is None


def test_what_a_grant_cannot_do_is_said_and_nothing_is_recorded(sessions, make_case):
    with sessions.begin() as session:
        assert consent.grant(session, "webchat", "nobody", "13912345678").outcome == consent.NO_CASE
        case = make_case(session, "楼上漏水", **CHAT)
        # No number yet: the bot asks for it; consent is recorded with the number, not before.
        assert consent.grant(session, CHAT["channel"], CHAT["sender_id"], None) == \
            consent.Change(consent.NEED_PHONE, (case.number,))
        assert not case.pii_consent and not case.events[1:]
        consent.grant(session, CHAT["channel"], CHAT["sender_id"], "13912345678")
        assert consent.grant(session, CHAT["channel"], CHAT["sender_id"], None).outcome == consent.ALREADY
        assert consent.grant(session, CHAT["channel"], CHAT["sender_id"], "15000001111").outcome == \
            consent.PHONE_CHANGED
        service.transition(session, case, "bot", "closed")
        assert consent.grant(session, CHAT["channel"], CHAT["sender_id"], "13912345678") == \
            consent.Change(consent.CLOSED, (case.number,))


def test_a_withdrawal_erases_every_case_of_the_conversation_that_kept_a_number(sessions, make_case):
    with sessions.begin() as session:
        first = make_case(session, "楼上漏水，我电话13812345678", pii_consent=True, contact_phone="13812345678",
                          **CHAT)
        second = make_case(session, "邻居占了我家车位", **CHAT)
        closed = make_case(session, "物业乱收费", pii_consent=True, contact_phone="13812345678", **CHAT)
        service.transition(session, closed, "bot", "closed")
        other = make_case(session, "楼上漏水", pii_consent=True, contact_phone="13700002222",
                          channel="webchat", sender_id="someone-else")
        numbers = first.number, second.number, closed.number, other.number
    with sessions.begin() as session:
        change = consent.withdraw(session, CHAT["channel"], CHAT["sender_id"])
        assert change.outcome == consent.WITHDRAWN and change.numbers == (numbers[0], numbers[2])
    with sessions.begin() as session:
        for number in numbers[:3]:
            case = queries.get_case(session, number)
            assert (case.pii_consent, case.contact_phone) == (False, None)
            assert "13812345678" not in case.description
        assert queries.get_case(session, numbers[3]).contact_phone == "13700002222"
        assert consent.withdraw(session, CHAT["channel"], CHAT["sender_id"]).outcome == consent.NOTHING_KEPT
