"""Case lookups by citizens: the owner needs only the number, others the phone tail, and guessing is limited."""
from __future__ import annotations

import datetime as dt

from hotline.cases import queries, service
from hotline.conversations import status

NOW = dt.datetime(2026, 11, 22, 8, 0, 0)


def phone_case(session, make_case, phone="13812345678", sender="web-owner"):
    return make_case(session, "老板拖欠我三个月工资", "labor", channel="webchat", sender_id=sender, pii_consent=True,
                     contact_phone=phone)


def test_numbers_and_tails_are_read_however_they_are_typed():
    assert status.normalise_number("帮我查下 jf20261122000001 的进度") == "JF20261122000001"
    assert status.normalise_number("JF 20261122 000001") == "JF20261122000001"
    assert status.normalise_number("我的案子") is None
    assert status.phone_tail("尾号5678") == "5678"
    assert status.phone_tail("13812345678") == "5678"
    assert status.phone_tail("56") is None


def test_the_conversation_that_opened_the_case_needs_no_tail(sessions, make_case):
    with sessions.begin() as session:
        case = phone_case(session, make_case)
        found = status.lookup(session, case.number, channel="webchat", sender_id="web-owner", now=NOW)
        assert found.outcome == "ok" and found.case.number == case.number


def test_anyone_else_needs_the_tail_and_wrong_tails_lock_the_case(sessions, make_case):
    with sessions.begin() as session:
        number = phone_case(session, make_case).number
    ask = dict(channel="webchat", sender_id="web-stranger")
    with sessions.begin() as session:
        assert status.lookup(session, number, now=NOW, **ask).outcome == "need_tail"
        left = [status.lookup(session, number, tail="0000", now=NOW, **ask).attempts_left for _ in range(5)]
        assert left == [4, 3, 2, 1, 0]
        # Even the right tail is refused now, for everyone but the owner.
        assert status.lookup(session, number, tail="5678", now=NOW, **ask).outcome == "locked"
        assert status.lookup(session, number, tail="5678", channel="sms", sender_id="other", now=NOW).outcome == "locked"
        assert status.lookup(session, number, channel="webchat", sender_id="web-owner", now=NOW).outcome == "ok"
        # A day later the lock is lifted and the right tail opens it.
        later = NOW + dt.timedelta(hours=25)
        assert status.lookup(session, number, tail="5678", now=later, **ask).outcome == "ok"


def test_trying_many_numbers_locks_the_requester(sessions, make_case):
    with sessions.begin() as session:
        number = phone_case(session, make_case).number
        for n in range(10):
            assert status.lookup(session, f"JF20261122{900000 + n}", channel="webchat", sender_id="scanner",
                                 now=NOW).outcome == "not_found"
        assert status.lookup(session, number, channel="webchat", sender_id="scanner", tail="5678",
                             now=NOW).outcome == "locked"


def test_a_case_without_a_phone_is_told_only_to_its_own_conversation(sessions, make_case):
    with sessions.begin() as session:
        case = make_case(session, "邻居家的狗天天叫", "neighbor", channel="webchat", sender_id="web-anon")
        assert status.lookup(session, case.number, channel="webchat", sender_id="web-x", now=NOW).outcome == "no_phone"
        assert status.lookup(session, case.number, channel="webchat", sender_id="web-anon", now=NOW).outcome == "ok"


def test_the_description_names_the_step_the_holder_and_the_deadline(sessions, make_case, people):
    from hotline.cases.models import User

    with sessions.begin() as session:
        case = phone_case(session, make_case)
        text = status.describe(case, now=NOW)
        assert case.number in text and "第1步“信息上报”" in text and "办理期限" in text
        service.claim(session, case.number, session.get(User, people["zhang"]))
        text = status.describe(queries.get_case(session, case.number), now=NOW)
        assert "第4步“跟踪处理”" in text and "调解员张调解" in text
