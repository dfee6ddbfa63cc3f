"""Legal questions, case lookups and not being understood, on the real processes through the web chat."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.e2e.test_handoff import Citizen
from tests.e2e.test_spine import CASE_NUMBER, _add_user, _case, _login

pytestmark = pytest.mark.e2e


def test_a_common_legal_question_is_answered_with_the_statute(stack):
    answer = Citizen(stack).said("老板拖欠我三个月工资了不给 我该怎么办")
    assert "依据：" in answer and "《" in answer and "12348" in answer


def test_the_direct_answer_comes_first(stack):
    answer = Citizen(stack).said("协议离婚去民政局登记 是不是还要等一段时间才能拿证")
    first = answer.split("\n")[0]
    assert "30日" in first or "冷静期" in first or "您问的是不是" in first


def test_a_report_that_implies_a_rule_gets_the_rule_and_is_still_registered(stack):
    citizen = Citizen(stack)
    reply = citizen.said("我在厂里干了八个月 老板一直没跟我签劳动合同 现在还拖着两个月工资")
    assert "二倍工资" in reply and "第八十二条" in reply and "登记" in reply
    assert "哪里" in reply or "地点" in reply or "发生在" in reply   # the report goes on


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


# --- conversations that forgive (issue 12) --------------------------------

def _count_cases(stack, sender):
    from sqlalchemy import func

    from hotline.cases.models import Case
    from hotline.db import make_engine, make_sessionmaker

    engine = make_engine(stack.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            return session.execute(select(func.count()).select_from(Case).where(Case.sender_id == sender)).scalar_one()
    finally:
        engine.dispose()


def test_a_stop_is_confirmed_and_carrying_on_loses_nothing(stack):
    citizen = Citizen(stack)
    citizen.say("老板拖欠我们三个月工资了 一直不给")
    citizen.say("城关镇工业园")
    asked = citizen.said("宏达建筑公司")
    assert "多少人" in asked
    confirm = citizen.said("算了")
    assert "确定不登记了吗" in confirm and "不登记了" not in confirm.replace("确定不登记了", "")
    carry_on = citizen.said("不，继续")
    assert "接着登记" in carry_on and "多少人" in carry_on   # the open question again, nothing asked twice
    assert "同意" in citizen.said("二十多个人")   # on to the consent question
    summary = citizen.said("不同意")
    assert "地点：城关镇工业园" in summary and "对方：宏达建筑公司" in summary and "人数：20人" in summary


def test_a_confirmed_stop_drops_the_report(stack):
    citizen = Citizen(stack)
    citizen.say("邻居家装修天天砸墙 吵得没法休息")
    assert "确定不登记了吗" in citizen.said("算了")
    done = citizen.said("是的")
    assert "不登记了" in done and "不会立案" in done
    assert _count_cases(stack, citizen.sender) == 0


def test_what_was_said_first_is_not_asked_again(stack):
    citizen = Citizen(stack)
    citizen.say("我们二十多个兄弟在工地干了半年 包工头一分钱工资没给")
    asked = citizen.said("城关镇东街工地")
    assert "哪家单位" in asked or "老板" in asked
    after_party = citizen.said("包工头王某")
    assert "多少人" not in after_party   # 二十多个兄弟 are 20 people, already said


def test_consent_refused_then_granted_with_the_number(stack):
    citizen = Citizen(stack)
    for text in ("隔壁邻居家装修 把我家墙震出好几条裂缝", "城关镇东街社区", "隔壁302"):
        citizen.say(text)
    citizen.say("不同意")
    granted = citizen.said("我同意留电话，13912345678")
    assert "没有同意记录电话" not in granted and "同意" in granted
    assert "139****5678" in granted or "电话：139" in granted
    number = CASE_NUMBER.findall(citizen.said("对"))[0]
    case, _, events = _case(stack, number)
    assert case.pii_consent and case.contact_phone == "13912345678"
    assert [a for a, _ in events].count("consent") == 2


def test_every_read_back_item_can_be_corrected_by_naming_it(stack):
    citizen = Citizen(stack)
    for text in ("隔壁邻居家装修 把我家墙震出好几条裂缝", "城关镇东街社区", "隔壁302"):
        citizen.say(text)
    summary = citizen.said("不同意")
    assert "经过：" in summary
    corrected = citizen.said("经过改成：楼上邻居装修砸墙，把我家天花板震裂了")
    assert "经过：楼上邻居装修砸墙" in corrected
    asked = citizen.said("对方不对")
    assert "邻居" in asked   # the question for the other side again
    again = citizen.said("楼上502")
    assert "对方：楼上502" in again


def test_one_urgent_case_per_conversation_offered_to_a_person_with_help_that_moves_on(stack):
    citizen = Citizen(stack)
    first = citizen.said("他拿着刀在砸我家门 说要砍死我")
    assert "立即拨打110" in first and "最前面" in first
    second = citizen.said("他已经进屋了 我躲在卧室里")
    assert second != first and "锁" in second and "110" in second
    third = citizen.said("他拿着刀在砍卧室的门")
    assert third not in (first, second) and "110" in third
    assert _count_cases(stack, citizen.sender) == 1


def test_a_second_hello_does_not_repeat_the_welcome(stack):
    citizen = Citizen(stack)
    hello = citizen.said("你好")
    assert "矛盾纠纷调解热线在线服务" not in hello   # the page already showed the welcome
    assert "您好" in hello


# --- consent after the case is open (issue 12, item 2) ---------------------

def _registered_without_consent(citizen) -> str:
    for text in ("隔壁邻居家装修 把我家墙震出好几条裂缝", "城关镇东街社区", "隔壁302", "不同意"):
        citizen.say(text)
    return CASE_NUMBER.findall(citizen.said("对"))[0]


def test_consent_granted_after_registration_then_withdrawn_and_the_case_shows_each_change(stack):
    citizen = Citizen(stack)
    number = _registered_without_consent(citizen)
    granted = citizen.said("我同意留电话，13912345678")
    assert number in granted and "尾号5678" in granted and "您没有同意记录电话" not in granted
    case, _, events = _case(stack, number)
    assert case.pii_consent and case.contact_phone == "13912345678"
    assert [a for a, _ in events].count("consent") == 2   # the refusal in the report, the grant now

    _add_user(stack, "consent-mediator", "s3cret-pass-1")
    console = _login(stack, "consent-mediator", "s3cret-pass-1")
    page = console.get(f"{stack.web_url}/console/cases/{number}", timeout=10).text
    assert "139****5678" in page and "群众同意记录联系电话（尾号5678）" in page

    withdrawn = citizen.said("我不想留电话了，把我号码删了")
    assert number in withdrawn and "已删除" in withdrawn
    case, _, events = _case(stack, number)
    assert (case.pii_consent, case.contact_phone) == (False, None)
    detail = console.get(f"{stack.web_url}/api/cases/{number}", timeout=10).json()
    assert (detail["pii_consent"], detail["contact_phone"]) == (False, None)
    changes = [(e["action_name"], e["detail"]["consent"]) for e in detail["events"] if e["action"] == "consent"]
    assert changes == [("个人信息同意记录", False), ("个人信息同意记录", True), ("个人信息同意记录", False)]
    assert all(e["at"] for e in detail["events"] if e["action"] == "consent")
    page = console.get(f"{stack.web_url}/console/cases/{number}", timeout=10).text
    assert "未同意留存个人信息" in page and "群众撤回同意" in page and "139****5678" not in page


def test_a_grant_without_the_number_asks_for_it(stack):
    citizen = Citizen(stack)
    number = _registered_without_consent(citizen)
    asked = citizen.said("行吧，你们可以记我的手机，调解员好找我")
    assert number in asked and "电话号码" in asked
    kept = citizen.said("15000001111")
    assert "尾号1111" in kept
    case, _, _ = _case(stack, number)
    assert case.pii_consent and case.contact_phone == "15000001111"


def test_consent_without_a_case_is_explained(stack):
    reply = Citizen(stack).said("我同意留电话，13912345678")
    assert "还没有登记案件" in reply
