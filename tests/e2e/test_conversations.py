"""Legal questions, case lookups and not being understood, on the real processes through the web chat."""
from __future__ import annotations

import pytest

from tests.e2e.test_handoff import Citizen
from tests.e2e.test_spine import CASE_NUMBER, _case

pytestmark = pytest.mark.e2e


def test_a_common_legal_question_is_answered_with_the_statute(stack):
    answer = Citizen(stack).said("老板拖欠我三个月工资了不给 我该怎么办")
    assert "依据：" in answer and "《" in answer and "12348" in answer


def test_a_question_the_faq_cannot_answer_goes_to_a_lawyer_not_a_guess(stack):
    citizen = Citizen(stack)
    answer = citizen.said("请问炒股亏了钱能不能找证券公司赔偿")
    assert "依据" not in answer and "12348" in answer
    number = CASE_NUMBER.findall(answer)[0]
    case, _, _ = _case(stack, number)
    assert case.status == "transferred" and case.transferred_to == "12348"
    assert "证券公司" in case.description


def test_a_case_is_looked_up_from_another_conversation_with_the_phone_tail(stack):
    owner = Citizen(stack)
    for text in ("隔壁邻居家装修 把我家墙震出好几条裂缝", "城关镇东街社区", "隔壁302", "同意", "13712345678"):
        owner.say(text)
    number = CASE_NUMBER.findall(owner.said("对"))[0]
    # The conversation that opened it needs only the number.
    assert "第1步" in owner.said(f"查一下{number}的进度")
    other = Citizen(stack)
    assert "后四位" in other.said(f"帮我查下案件{number}")
    assert "还可以试4次" in other.said("1111")
    assert "第1步" in other.said("5678")


def test_not_understood_then_the_citizen_picks_what_they_meant(stack):
    citizen = Citizen(stack)
    first = citizen.say("zzzz")
    assert "您是想" in first["replies"][0]["text"]
    payloads = [b["payload"] for b in first["replies"][0]["buttons"]]
    assert "/out_of_scope" in payloads and "/report_dispute" in payloads
    assert "发生了什么事" in citizen.said("/report_dispute")  # the report starts and asks what happened
