"""The consent actions with the SDK's own objects against a real database: what the citizen is told, what is kept."""
from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.consent import ActionAnswerYesNo, ActionChangeConsent, ActionSaveConsentPhone, ValidateConsentPhoneForm
from hotline.cases import queries
from hotline.cases.service import Intake, open_case
from hotline.conversations.wording import render
from hotline.triage import build_record
from tests.actions.test_dispute_actions import database, user_event  # noqa: F401 - fixture

SENDER = "web-consent-act"


def tracker(text, intent, slots=None):
    event = user_event(text, intent, 9.0)
    event["metadata"] = {"channel": "webchat"}
    return Tracker.from_dict({
        "sender_id": SENDER, "slots": slots or {}, "latest_message": event["parse_data"], "events": [event],
        "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": None,
    })


def run(action, state):
    dispatcher = CollectingDispatcher()
    return asyncio.run(action.run(dispatcher, state, {})), [render(m) for m in dispatcher.messages]


def opened(database, **kwargs):
    with database.begin() as session:
        text = "隔壁邻居家装修 把我家墙震出好几条裂缝"
        case, _ = open_case(
            session,
            "bot",
            Intake(
                text=text,
                triage=build_record(text, {"name": "report_dispute"},
                                                                            {"code": "neighbor"}),
                key=f"{SENDER}:1", channel="webchat", sender_id=SENDER, **kwargs,
            ),
        )
        return case.number


def test_a_grant_with_the_number_keeps_it_on_the_case_and_says_so(database):
    number = opened(database)
    events, texts = run(ActionChangeConsent(), tracker("我同意留电话，13912345678", "give_consent"))
    assert SlotSet("case_number", number) in events
    assert number in texts[0] and "尾号5678" in texts[0] and "删除我的电话" in texts[0]
    with database() as session:
        case = queries.get_case(session, number)
        assert (case.pii_consent, case.contact_phone) == (True, "13912345678")


def test_a_grant_without_the_number_asks_for_it_and_records_it_when_it_comes(database):
    number = opened(database)
    events, texts = run(ActionChangeConsent(), tracker("我现在愿意留电话了", "give_consent"))
    assert texts == [] and FollowupAction("consent_phone_form") in events
    with database() as session:
        assert not queries.get_case(session, number).pii_consent   # nothing kept before there is a number
    form = ValidateConsentPhoneForm()
    asked = CollectingDispatcher()
    assert form.validate_consent_phone("不知道", asked, tracker("不知道", "deny"), {}) == {"consent_phone": "declined"}
    assert form.validate_consent_phone("随便", asked, tracker("随便", "out_of_scope"), {}) == {"consent_phone": None}
    assert "号码好像不对" in render(asked.messages[0])
    assert form.validate_consent_phone("15000001111", asked, tracker("15000001111", "rate"), {}) == \
        {"consent_phone": "15000001111"}
    events, texts = run(ActionSaveConsentPhone(), tracker("15000001111", "rate", {"consent_phone": "15000001111"}))
    assert "尾号1111" in texts[0] and SlotSet("consent_phone", None) in events
    with database() as session:
        assert queries.get_case(session, number).contact_phone == "15000001111"


def test_a_declined_number_keeps_nothing(database):
    number = opened(database)
    _, texts = run(ActionSaveConsentPhone(), tracker("不留了", "deny", {"consent_phone": "declined"}))
    assert "不会保存" in texts[0]
    with database() as session:
        assert not queries.get_case(session, number).pii_consent


def test_a_withdrawal_after_registration_deletes_the_phone_and_says_which_case(database):
    number = opened(database, pii_consent=True, contact_phone="13812345678")
    _, texts = run(ActionChangeConsent(), tracker("我不想留电话了，把我号码删了", "withdraw_consent"))
    assert number in texts[0] and "已删除" in texts[0]
    with database() as session:
        case = queries.get_case(session, number)
        assert (case.pii_consent, case.contact_phone) == (False, None)
    _, again = run(ActionChangeConsent(), tracker("把我电话删了", "withdraw_consent"))
    assert "没有保存您的电话" in again[0]


def test_without_a_case_the_citizen_is_told_why_nothing_was_kept(database):
    _, texts = run(ActionChangeConsent(), tracker("我同意留电话，13912345678", "give_consent"))
    assert "还没有登记案件" in texts[0]


def test_a_yes_that_names_the_phone_is_a_grant_and_a_plain_yes_is_not(database):
    number = opened(database)
    _, texts = run(ActionAnswerYesNo(), tracker("好的", "affirm"))
    assert texts == ["好的。还有别的需要帮忙的吗？"]
    _, texts = run(ActionAnswerYesNo(), tracker("/affirm", "affirm"))
    assert texts == ["好的。还有别的需要帮忙的吗？"]
    with database() as session:
        assert not queries.get_case(session, number).pii_consent
    _, texts = run(ActionAnswerYesNo(), tracker("行吧，你们可以记我的手机 13912345678", "affirm"))
    assert "尾号5678" in texts[0]
    _, texts = run(ActionAnswerYesNo(), tracker("不行，号码别留了", "deny"))
    assert "已删除" in texts[0]
    with database() as session:
        assert queries.get_case(session, number).contact_phone is None
