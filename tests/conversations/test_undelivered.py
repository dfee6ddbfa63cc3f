"""A message that finally does not reach the citizen puts the case before a person, once, on both databases."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from hotline.cases import queries
from hotline.cases.models import CaseEvent, Handoff, OutboxMessage
from hotline.conversations import handoff, outbox

REPORT = "楼上天天半夜跺脚，说了好几次都不听"


def refusing(row):
    raise outbox.Undeliverable("群众48小时内没有发消息，微信不允许再主动回复（45015），请电话联系群众。")


SENDERS = {"wechat": refusing, "sms": refusing}


def actions(session, case):
    return [e for e in session.execute(select(CaseEvent).where(CaseEvent.case_id == case.id)
                                       .order_by(CaseEvent.id)).scalars()]


def handoffs_of(session, case):
    return session.execute(select(func.count(Handoff.id)).where(Handoff.case_id == case.id)).scalar_one()


def test_a_final_failure_asks_a_person_to_phone_the_citizen_once(sessions, make_case):
    with sessions.begin() as session:
        case = make_case(session, REPORT, "neighbor", channel="wechat", sender_id="oLate", pii_consent=True,
                         contact_phone="13900001111")
        outbox.to_citizen(session, channel="wechat", recipient="oLate", text="调解员：明天上午来人", case=case,
                          author="mediator")
    assert len(outbox.deliver_due(sessions, None, senders=SENDERS).gave_up) == 1
    with sessions() as session:
        case = queries.get_case(session, case.number)
        assert case.callback_requested_at is not None
        requests = [e for e in actions(session, case) if e.action == "callback_request"]
        assert len(requests) == 1 and requests[0].actor == "system:outbox"
        assert requests[0].note == f"{handoff.UNDELIVERED}（尾号1111）"
        assert [e.action for e in actions(session, case)][-2:] == ["delivery_failed", "callback_request"]
        assert "微信公众号" in next(e.note for e in actions(session, case) if e.action == "delivery_failed")
        first_request = case.callback_requested_at
        assert outbox.undelivered_cases(session, [case.id]).keys() == {case.id}
    # A second message fails too: still one open request, and never a hand-off.
    with sessions.begin() as session:
        outbox.to_citizen(session, channel="wechat", recipient="oLate", text="您的案件已交由城关镇办理",
                          case=queries.get_case(session, case.number))
    assert len(outbox.deliver_due(sessions, None, senders=SENDERS).gave_up) == 1
    with sessions() as session:
        case = queries.get_case(session, case.number)
        assert case.callback_requested_at == first_request
        assert [e.action for e in actions(session, case)].count("callback_request") == 1
        assert [e.action for e in actions(session, case)].count("delivery_failed") == 2
        assert handoffs_of(session, case) == 0


def test_the_failed_time_out_message_opens_no_new_handoff_and_no_second_request(sessions, make_case):
    """The loop seen before: time-out -> call-back offer by message -> it fails -> hand-off -> time-out ..."""
    now = dt.datetime.utcnow()
    with sessions.begin() as session:
        case = make_case(session, REPORT, "neighbor", channel="sms", sender_id="+8613900003333")
        handoff.request(session, case, reason="request_human", now=now - dt.timedelta(minutes=10))
        assert handoff.time_out_waiting(session, limit=dt.timedelta(minutes=3), now=now) == [case.number]
        # What action_offer_callback said, as the outbox queues an executed action's reply.
        outbox.to_citizen(session, channel="sms", recipient="+8613900003333", case=case,
                          text="实在抱歉，3分钟内没有调解员能接入。需要的话我们安排工作人员给您回电……")
    for _ in range(2):
        outbox.deliver_due(sessions, None, senders=SENDERS, now=now + dt.timedelta(hours=1))
        with sessions.begin() as session:
            outbox.to_citizen(session, channel="sms", recipient="+8613900003333", text="还有一条",
                              case=queries.get_case(session, case.number))
    outbox.deliver_due(sessions, None, senders=SENDERS, now=now + dt.timedelta(hours=2))
    with sessions() as session:
        case = queries.get_case(session, case.number)
        assert handoffs_of(session, case) == 1  # the one that timed out, nothing new
        assert handoff.open_for_case(session, case) is None
        requests = [e for e in actions(session, case) if e.action == "callback_request"]
        assert len(requests) == 1
        # No phone was consented: the person is told so, not given a number.
        assert requests[0].note.startswith(handoff.UNDELIVERED) and "没有留电话" in requests[0].note
        assert session.execute(select(func.count(OutboxMessage.id)).where(
            OutboxMessage.case_id == case.id, OutboxMessage.status == "failed")).scalar_one() == 3


def test_a_failure_without_a_case_goes_to_the_conversations_open_case(sessions, make_case):
    with sessions.begin() as session:
        case = make_case(session, REPORT, "neighbor", channel="sms", sender_id="+8613900004444")
        outbox.to_citizen(session, channel="sms", recipient="+8613900004444", text="机器人的回答")
    outbox.deliver_due(sessions, None, senders=SENDERS)
    with sessions() as session:
        case = queries.get_case(session, case.number)
        assert case.callback_requested_at is not None
        assert "delivery_failed" in [e.action for e in actions(session, case)]
