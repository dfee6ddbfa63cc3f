"""Actions run with the SDK's own Tracker and CollectingDispatcher against a real database."""
from __future__ import annotations

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions import common
from actions.dispute import ActionAcknowledgeDispute, ActionOpenCase, ValidateDisputeForm
from actions.safety import ActionEmergency
from hotline.conversations.wording import render
from hotline.cases.models import Case
from hotline.triage import build_record

REPORT = "老板拖欠我们三个月工资了，一共三万多"


@pytest.fixture
def database(sqlite_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    common.settings.cache_clear()
    common.sessions.cache_clear()
    yield common.sessions()
    common.sessions.cache_clear()
    common.settings.cache_clear()


def user_event(text, intent, timestamp, dispute=None):
    triage = build_record(text, {"name": intent, "confidence": 0.9},
                          {"code": dispute, "confidence": 0.9} if dispute else None)
    return {"event": "user", "text": text, "timestamp": timestamp,
            "parse_data": {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": [],
                           "triage": triage}}


def tracker(events, slots=None, sender="citizen-1"):
    latest = next((e["parse_data"] for e in reversed(events) if e["event"] == "user"), {})
    return Tracker.from_dict({
        "sender_id": sender, "slots": slots or {}, "latest_message": latest, "events": events,
        "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": None,
    })


def run(action, dispatcher, state):
    return asyncio.run(action.run(dispatcher, state, {}))


def conversation():
    return [
        {"event": "session_started", "timestamp": 1.0},
        user_event(REPORT, "report_dispute", 2.0, "labor"),
        {"event": "bot", "text": "明白了，这是一起劳动争议纠纷。", "timestamp": 2.1},
        user_event("城关镇幸福村", "inform", 3.0),
        user_event("同意", "affirm", 4.0),
        user_event("13812345678", "inform", 5.0),
    ]


def test_acknowledge_names_the_dispute_and_remembers_the_report(database):
    dispatcher = CollectingDispatcher()
    events = run(ActionAcknowledgeDispute(), dispatcher, tracker(conversation()[:2]))
    assert "劳动争议" in render(dispatcher.messages[0])
    assert SlotSet("dispute_type", "labor") in events
    assert SlotSet("report_text", REPORT) in events
    assert SlotSet("report_key", "citizen-1:2.0") in events


def test_open_case_is_idempotent_and_tells_the_number(database):
    slots = {"report_key": "citizen-1:2.0", "report_text": REPORT, "incident_location": "城关镇幸福村",
             "pii_consent": True, "contact_phone": "13812345678"}
    first, second = CollectingDispatcher(), CollectingDispatcher()
    events = run(ActionOpenCase(), first, tracker(conversation(), slots))
    again = run(ActionOpenCase(), second, tracker(conversation(), slots))
    number = next(e["value"] for e in events if e["name"] == "case_number")
    assert number in render(first.messages[0]) and "联系电话后四位" in render(first.messages[0])
    assert next(e["value"] for e in again if e["name"] == "case_number") == number
    with database() as session:
        assert session.execute(select(func.count(Case.id))).scalar_one() == 1
        case = session.execute(select(Case)).unique().scalar_one()
        assert case.dispute_type == "labor" and case.contact_phone == "13812345678"
        assert [m.sender for m in case.messages] == ["citizen", "bot", "citizen", "citizen", "citizen"]


def test_open_case_without_consent_keeps_no_phone(database):
    slots = {"report_key": "citizen-1:2.0", "report_text": REPORT + "，我电话13812345678",
             "incident_location": "城关镇", "pii_consent": False, "contact_phone": None}
    dispatcher = CollectingDispatcher()
    run(ActionOpenCase(), dispatcher, tracker(conversation()[:3], slots))
    assert "不会保存您的个人信息" in render(dispatcher.messages[0])
    # Nobody can call back without a phone: the citizen gets what the law says, with the statute.
    assert "依据：" in render(dispatcher.messages[1]) and "工资" in render(dispatcher.messages[1])
    with database() as session:
        case = session.execute(select(Case)).unique().scalar_one()
        assert case.contact_phone is None and "13812345678" not in case.description


def test_open_case_failure_still_answers_the_citizen(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'never-migrated.db'}")
    common.settings.cache_clear()
    common.sessions.cache_clear()
    dispatcher = CollectingDispatcher()
    events = run(ActionOpenCase(), dispatcher, tracker(conversation(), {"report_key": "citizen-1:2.0"}))
    common.sessions.cache_clear()
    common.settings.cache_clear()
    assert events == []
    assert "12345" in render(dispatcher.messages[0])


def required(slots, events=None):
    state = tracker(events if events is not None else conversation()[:5], slots)
    return asyncio.run(ValidateDisputeForm().required_slots([], CollectingDispatcher(), state, {}))


def test_form_asks_what_a_wage_dispute_needs_and_skips_the_phone_without_consent():
    slots = {"report_key": "citizen-1:2.0", "report_text": REPORT, "dispute_type": "labor"}
    assert required(slots) == ["incident_location", "other_party", "people_count", "pii_consent", "contact_phone",
                               "summary_confirmed"]
    assert required({**slots, "pii_consent": False}) == ["incident_location", "other_party", "people_count",
                                                         "pii_consent", "summary_confirmed"]


def test_form_asks_what_happened_when_the_first_message_says_too_little():
    events = [{"event": "session_started", "timestamp": 1.0}, user_event("我要调解", "report_dispute", 2.0)]
    slots = {"report_key": "citizen-1:2.0", "report_text": "我要调解"}
    assert required(slots, events)[0] == "incident_details"


def test_a_red_warning_asks_only_where_and_how_to_reach_the_citizen():
    text = "村里五十多户商量好了明天去镇政府门口拉横幅"
    events = [{"event": "session_started", "timestamp": 1.0}, user_event(text, "report_dispute", 2.0, "land")]
    slots = {"report_key": "citizen-1:2.0", "report_text": text, "dispute_type": "land"}
    assert required(slots, events) == ["incident_location", "pii_consent", "contact_phone"]


def confirm(text, intent, slots=None):
    events = conversation() + [user_event(text, intent, 6.0)]
    dispatcher = CollectingDispatcher()
    result = ValidateDisputeForm().validate_summary_confirmed(text, dispatcher, tracker(events, slots or {}), {})
    return result, [render(m) for m in dispatcher.messages]


def test_the_summary_is_confirmed_corrected_or_asked_about():
    assert confirm("对的没问题", "affirm")[0] == {"summary_confirmed": True}
    # Named without a new value: asked again (correcting_field makes the form ask even a skipped item).
    assert confirm("地点不对", "deny")[0] == {"incident_location": None, "summary_confirmed": None,
                                              "correcting_field": "incident_location"}
    # A new value in the same breath is taken at once.
    assert confirm("地点改成城关镇东街", "report_dispute")[0] == {"incident_location": "城关镇东街",
                                                               "summary_confirmed": None, "correcting_field": None}
    result, said = confirm("不对", "deny")
    assert result == {"summary_confirmed": None} and "哪一项" in said[0]
    # No consent, no phone: a phone correction is refused rather than stored.
    result, said = confirm("电话改成13900001111", "report_dispute", {"pii_consent": False})
    assert result == {"summary_confirmed": None} and "不会保存" in said[0]


@pytest.mark.parametrize("text, field, value", [
    ("经过改成：他们把我家院墙推倒了", "incident_details", "他们把我家院墙推倒了"),
    ("对方是隔壁302的老王", "other_party", "隔壁302的老王"),
    ("人数改成三十多个人", "people_count", 30),
    ("类型改成邻里纠纷", "dispute_type", "neighbor"),
    ("地点应该是城关镇幸福村", "incident_location", "城关镇幸福村"),
])
def test_every_item_of_the_read_back_can_be_corrected_by_naming_it(text, field, value):
    result, _ = confirm(text, "report_dispute", {"pii_consent": True})
    assert result[field] == value and result["summary_confirmed"] is None


def test_an_item_the_form_skipped_is_asked_again_when_named():
    # The first message told the story, so the form never asked for it; "经过不对" must still ask.
    result, _ = confirm("经过不对", "deny")
    assert result == {"incident_details": None, "summary_confirmed": None, "correcting_field": "incident_details"}
    slots = {"report_key": "citizen-1:2.0", "report_text": REPORT, "dispute_type": "labor",
             "correcting_field": "incident_details"}
    assert required(slots)[0] == "incident_details"


def test_consent_refused_can_be_granted_later_with_the_number_and_its_time_recorded():
    slots = {"pii_consent": False, "consent_log": [{"consent": False, "at": "2026-12-04T08:00:00+00:00"}]}
    result, said = confirm("我同意留电话，13912345678", "affirm", slots)
    assert result["pii_consent"] is True and result["contact_phone"] == "13912345678"
    assert [c["consent"] for c in result["consent_log"]] == [False, True] and result["consent_log"][1]["at"]
    assert "同意" in said[0] and "没有同意" not in said[0]


def test_consent_given_can_be_withdrawn_at_any_question():
    state = tracker(conversation()[:3] + [user_event("别记我的电话了", "deny", 3.5)],
                    {"pii_consent": True, "contact_phone": "13812345678"})
    dispatcher = CollectingDispatcher()
    result = ValidateDisputeForm().validate_incident_location("别记我的电话了", dispatcher, state, {})
    assert result["pii_consent"] is False and result["contact_phone"] is None
    assert result["incident_location"] is None   # the words were no place: the question is asked again
    assert result["consent_log"][-1]["consent"] is False


@pytest.mark.parametrize("text, intent, expected", [
    ("同意", "affirm", True), ("好吧", "nlu_fallback", True), ("不同意", "deny", False), ("我不想留电话", "report_dispute", False),
])
def test_consent_is_read_from_the_intent_and_the_words(text, intent, expected):
    state = tracker(conversation()[:4] + [user_event(text, intent, 4.5)])
    result = ValidateDisputeForm().validate_pii_consent(text, CollectingDispatcher(), state, {})
    assert result["pii_consent"] is expected
    assert result["consent_log"][-1]["consent"] is expected
    if expected is False:
        assert result["contact_phone"] is None


def test_an_unclear_consent_answer_is_asked_again():
    dispatcher = CollectingDispatcher()
    state = tracker(conversation()[:4] + [user_event("随便", "nlu_fallback", 4.5)])
    assert ValidateDisputeForm().validate_pii_consent("随便", dispatcher, state, {}) == {"pii_consent": None}
    assert "同意" in render(dispatcher.messages[0])


@pytest.mark.parametrize(
    "value, expected",
    [("13812345678", "13812345678"), ("我的电话是 138 1234 5678", "13812345678"), ("0731-12345678", "073112345678"),
     ("不告诉你", None)],
)
def test_phone_validation(value, expected):
    dispatcher = CollectingDispatcher()
    result = ValidateDisputeForm().validate_contact_phone(value, dispatcher, tracker([]), {})
    assert result["contact_phone"] == expected
    assert bool(dispatcher.messages) == (expected is None)


def test_location_keeps_the_place_words():
    result = ValidateDisputeForm().validate_incident_location("在城关镇幸福村那边", CollectingDispatcher(), tracker([]), {})
    assert result["incident_location"] == "城关镇幸福村"


def test_emergency_answers_first_and_opens_an_urgent_case(database):
    text = "他拿着菜刀在砸我家门"
    dispatcher = CollectingDispatcher()
    events = run(ActionEmergency(), dispatcher, tracker([user_event(text, "emergency", 9.0)]))
    assert "110" in render(dispatcher.messages[0])
    number = events[0]["value"]
    with database() as session:
        case = session.execute(select(Case).where(Case.number == number)).unique().scalar_one()
        assert case.route_to == "110" and case.urgency == "emergency"


def test_one_urgent_case_per_conversation_and_the_second_message_gets_help_not_a_repeat(database):
    first_text, second_text = "他拿着菜刀在砸我家门", "他已经把门砸开了 我躲在卧室"
    first, second = CollectingDispatcher(), CollectingDispatcher()
    events = run(ActionEmergency(), first, tracker([user_event(first_text, "emergency", 9.0)]))
    again = run(ActionEmergency(), second, tracker([user_event(first_text, "emergency", 9.0),
                                                    user_event(second_text, "emergency", 10.0)]))
    assert events[0]["value"] == again[0]["value"]
    assert render(first.messages[0]) != render(second.messages[0])
    assert "锁门" in render(second.messages[0]) and "110" in render(second.messages[0])
    with database() as session:
        assert session.execute(select(func.count()).select_from(Case)).scalar_one() == 1
        case = session.execute(select(Case)).unique().scalar_one()
        assert second_text in [m.text for m in case.messages]


def test_an_emergency_on_the_web_chat_is_offered_to_a_person_at_the_top_of_the_list(database):
    from hotline.conversations import handoff

    other = tracker([user_event("我要找人工", "request_human", 5.0)], sender="citizen-2")
    from actions.handoff import hand_off
    hand_off(CollectingDispatcher(), other, None, reason="request_human")
    dispatcher = CollectingDispatcher()
    events = run(ActionEmergency(), dispatcher, tracker([user_event("有人拿刀要砍我", "emergency", 9.0)]))
    assert any(e.get("event") == "pause" for e in events)
    assert "最前面" in render(dispatcher.messages[-1])
    with database() as session:
        waiting = handoff.waiting(session)
        assert [w.reason for w in waiting] == ["danger", "request_human"]


def form_turn(text, intent, slots):
    state = tracker(conversation()[:3] + [user_event(text, intent, 3.5)],
                    {"report_key": "citizen-1:2.0", "report_text": REPORT, "dispute_type": "labor", **slots})
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateDisputeForm().run(dispatcher, state, {}))
    return events, [render(m) for m in dispatcher.messages]


@pytest.mark.parametrize("text, intent", [("算了", "deny"), ("不登记了", "report_dispute"), ("算了吧", "stop")])
def test_a_stop_is_confirmed_first_and_keeps_what_was_said(text, intent):
    events, _ = form_turn(text, intent, {"requested_slot": "other_party", "incident_location": "城关镇"})
    assert SlotSet("cancel_pending", True) in events
    assert SlotSet("requested_slot", "cancel_confirmed") in events
    assert not [e for e in events if e.get("event") in ("active_loop", "followup")]
    assert SlotSet("incident_location", None) not in events
    # The stop words themselves were no answer to the open question (the form may have taken them as one).
    assert SlotSet("other_party", None) in events


def test_yes_to_the_confirmation_ends_the_report():
    from rasa_sdk.events import ActiveLoop, FollowupAction

    events, _ = form_turn("是的", "affirm", {"requested_slot": "cancel_confirmed", "cancel_pending": True})
    assert events[-3:] == [SlotSet("requested_slot", None), ActiveLoop(None), FollowupAction("action_stop_report")]


@pytest.mark.parametrize("text, intent", [("不，继续", "deny"), ("继续登记", "nlu_fallback"), ("嗯？什么意思", "nlu_fallback")])
def test_anything_but_yes_to_the_confirmation_goes_on_with_the_report(text, intent):
    events, said = form_turn(text, intent, {"requested_slot": "cancel_confirmed", "cancel_pending": True,
                                            "incident_location": "城关镇"})
    assert SlotSet("cancel_pending", None) in events and "接着登记" in said[0]
    assert SlotSet("requested_slot", "other_party") in events


def test_a_weak_stop_reading_that_answers_the_question_is_taken_as_the_answer():
    # Asked how many people, "刚才说了啊，二十多个人" read as stop (0.50): it is the answer.
    events, _ = form_turn("刚才说了啊，二十多个人", "stop", {"requested_slot": "people_count",
                                                        "incident_location": "城关镇", "other_party": "宏达公司"})
    assert SlotSet("people_count", 20) in events and SlotSet("cancel_pending", True) not in events
    assert SlotSet("requested_slot", "pii_consent") in events


def test_a_family_is_asked_its_size_not_counted_as_one():
    dispatcher = CollectingDispatcher()
    result = ValidateDisputeForm().validate_people_count("一家老小", dispatcher, tracker([]), {})
    assert result == {"people_count": None} and "几口人" in render(dispatcher.messages[0])


def test_a_report_that_implies_a_rule_is_told_the_rule_and_still_registered(database):
    text = "我在厂里干了十个月 老板一直没跟我签合同 现在说不要我了"
    dispatcher = CollectingDispatcher()
    events = run(ActionAcknowledgeDispute(), dispatcher,
                 tracker([{"event": "session_started", "timestamp": 1.0}, user_event(text, "report_dispute", 2.0, "labor")]))
    said = render(dispatcher.messages[0])
    assert "二倍工资" in said and "《劳动合同法》" in said and "第八十二条" in said
    assert "登记" in said and SlotSet("report_text", text) in events


def test_a_place_that_starts_like_a_stop_word_is_still_a_place():
    state = tracker(conversation()[:3] + [user_event("算了一下是在城关镇", "report_dispute", 3.5)],
                    {"requested_slot": "incident_location"})
    from actions import common as shared

    assert shared.wants_to_stop(state) is False


def test_the_read_back_keeps_any_words_the_citizen_wrote_and_offers_the_domains_buttons():
    # Rasa's template filling gives up on a value holding "0[" and would send the raw template.
    from actions.dispute import ActionAskSummaryConfirmed

    dispatcher = CollectingDispatcher()
    slots = {"report_text": REPORT, "dispute_type": "labor", "incident_location": "工业园10[3]号{厂房}",
             "other_party": "宏达公司", "pii_consent": False}
    run(ActionAskSummaryConfirmed(), dispatcher, tracker([], slots))
    said = render(dispatcher.messages[0])
    assert "地点：工业园10[3]号{厂房}" in said and said.startswith("请核对一下要登记的信息：")
    assert "电话：不留" in said and "{items}" not in said
    assert [b["title"] for b in dispatcher.messages[0]["buttons"]] == ["对，登记吧", "要修改", "不登记了"]
