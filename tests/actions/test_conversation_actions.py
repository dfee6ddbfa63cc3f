"""The hand-off, lookup, rating and legal actions with the SDK's own objects against a real database."""
from __future__ import annotations

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, ConversationPaused, ConversationResumed, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import common
from actions.handoff import ActionDefaultAskAffirmation, ActionHandedBack, ActionHandoff, ActionOfferCallback
from actions.legal import ActionAnswerLegal, ActionLegalRefer
from actions.rating import ActionAskRating, ActionSaveRating, ValidateRatingForm
from actions.status import ValidateCaseStatusForm
from hotline.conversations import wording
from hotline.conversations.wording import render
from hotline.cases import queries, service
from hotline.cases.accounts import create_user
from hotline.conversations import handoff, rating
from tests.actions.test_dispute_actions import database, user_event  # noqa: F401 - fixture

SENDER = "web-act"


def tracker(events, slots=None, paused=False):
    latest = next((e["parse_data"] for e in reversed(events) if e["event"] == "user"), {})
    return Tracker.from_dict({
        "sender_id": SENDER, "slots": slots or {}, "latest_message": latest, "events": events, "paused": paused,
        "followup_action": None, "active_loop": {}, "latest_action_name": None,
    })


def said(text, intent, stamp, dispute=None):
    event = user_event(text, intent, stamp, dispute)
    event["metadata"] = {"channel": "webchat"}
    return event


def run(action, state):
    dispatcher = CollectingDispatcher()
    return asyncio.run(action.run(dispatcher, state, {})), [render(m) for m in dispatcher.messages]


def test_asking_for_a_person_opens_a_contact_queues_it_and_pauses(database):
    events, texts = run(ActionHandoff(), tracker([said("转人工", "request_human", 1.0)]))
    assert ConversationPaused() in events
    number = next(e["value"] for e in events if e.get("name") == "case_number")
    assert number in texts[0] and "分钟" in texts[0]
    with database() as session:
        open_ = handoff.open_for(session, "webchat", SENDER)
        assert open_.case.number == number and open_.reason == "request_human"
        assert open_.case.channel == "webchat"  # the citizen's channel from the metadata, not Rasa's "rest"
        assert [m.sender for m in open_.case.messages][-1] == "bot"


def test_the_second_failed_understanding_hands_off_instead_of_asking_again(database):
    history = [said("呃呃呃", "nlu_fallback", 1.0), said("/out_of_scope", "out_of_scope", 2.0),
               said("zzzz", "nlu_fallback", 3.0)]
    events, texts = run(ActionDefaultAskAffirmation(), tracker(history))
    assert ActiveLoop(None) in events and ConversationPaused() in events
    assert "没能理解" in texts[0]
    with database() as session:
        assert handoff.open_for(session, "webchat", SENDER).reason == "fallback"
    # The first failure only asks what the citizen meant, with buttons.
    first, texts = run(ActionDefaultAskAffirmation(), tracker(history[:1]))
    assert first == [] and "您是想" in texts[0]


def _handed_off_case(database):
    events, _ = run(ActionHandoff(), tracker([said("转人工", "request_human", 1.0)]))
    return next(e["value"] for e in events if e.get("name") == "case_number")


def test_handing_back_resumes_and_tells_where_the_case_stands_once(database):
    number = _handed_off_case(database)
    with database.begin() as session:
        zhang = create_user(session, "zhang", "password-123", "mediator", "张调解")
        case = queries.get_case(session, number)
        handoff.accept(session, case, zhang)
        handoff.hand_back(session, case, zhang)
    state = tracker([said("转人工", "request_human", 1.0)], paused=True)
    events, texts = run(ActionHandedBack(), state)
    assert events[:2] == [ConversationResumed(), SlotSet("case_number", number)]
    assert events[-1] == ActionExecuted("action_listen")
    assert number in texts[0] and "调解员张调解" in texts[0]


def test_a_time_out_offers_a_call_back_and_waits_for_the_number(database):
    import datetime as dt

    number = _handed_off_case(database)
    with database.begin() as session:
        assert handoff.time_out_waiting(session, limit=dt.timedelta(0)) == [number]
    events, texts = run(ActionOfferCallback(), tracker([said("转人工", "request_human", 1.0)], paused=True))
    assert ConversationResumed() in events and ActiveLoop("callback_form") in events
    assert SlotSet("requested_slot", "callback_phone") in events
    assert "回电" in texts[0] and "保存两年" in texts[0]  # the purpose and retention come with the question
    # A repeated delivery of the same command says nothing twice.
    with database.begin() as session:
        handoff.request_callback(session, queries.get_case(session, number), phone="13900001111")
    assert run(ActionOfferCallback(), tracker([said("转人工", "request_human", 1.0)]))[0] == []


def _resolved_case(database):
    number = _handed_off_case(database)
    with database.begin() as session:
        zhang = create_user(session, "zhang", "password-123", "mediator")
        case = queries.get_case(session, number)
        handoff.accept(session, case, zhang)
        service.resolve(session, case, zhang, outcome="failed", difficulty="difficult", next_path="court")
    return number


def test_after_resolution_the_rating_is_asked_read_and_stored(database):
    number = _resolved_case(database)
    events, texts = run(ActionAskRating(), tracker([said("转人工", "request_human", 1.0)], paused=True))
    assert ActiveLoop("rating_form") in events and ConversationResumed() in events
    assert number in texts[0] and "调解不成" in texts[0] and "起诉" in texts[0]
    form = ValidateRatingForm()
    state = tracker([said("3分 等了太久", "rate", 2.0)])
    assert form.validate_citizen_rating("3分 等了太久", CollectingDispatcher(), state, {}) == {
        "citizen_rating": 3, "rating_comment": "等了太久"}
    saved, texts = run(ActionSaveRating(), tracker([said("3分 等了太久", "rate", 2.0)],
                                                   {"citizen_rating": 3, "rating_comment": "等了太久"}))
    assert "评价已记录" in texts[0] and "改进" in texts[0]
    with database() as session:
        case = queries.get_case(session, number)
        assert (case.citizen_rating, case.citizen_comment) == (3, "等了太久")
        assert rating.awaiting_rating(session, "webchat", SENDER) is None


def test_a_rating_the_case_service_refuses_is_answered_in_the_domain_s_words(database):
    _resolved_case(database)
    _, texts = run(ActionSaveRating(), tracker([said("给7分", "rate", 2.0)], {"citizen_rating": 7}))
    assert texts == [wording.text("utter_rating_invalid")] and "1到5" in texts[0]


def test_a_misread_rating_with_nothing_to_rate_is_not_taken_as_one(database):
    _, texts = run(ActionSaveRating(), tracker([said("13912345678", "rate", 1.0)]))
    assert "没太明白" in texts[0]


def test_a_lookup_from_another_conversation_needs_the_tail(database):
    with database.begin() as session:
        case, _ = service.open_case(
            session,
            "bot",
            service.Intake(
                text="老板欠薪", triage={}, key="k1", channel="webchat", sender_id="someone", pii_consent=True,
                contact_phone="13812345678",
            ),
        )
        number = case.number
    form = ValidateCaseStatusForm()
    state = tracker([said(f"查一下{number}", "check_status", 1.0)])
    assert form.validate_lookup_number(number, CollectingDispatcher(), state, {})["lookup_outcome"] == "need_tail"
    dispatcher = CollectingDispatcher()
    state = tracker([said("1111", "rate", 2.0)], {"lookup_number": number})
    assert form.validate_lookup_tail("1111", dispatcher, state, {}) == {"lookup_tail": None}
    assert "还可以试4次" in render(dispatcher.messages[0])
    assert form.validate_lookup_tail("5678", CollectingDispatcher(), state, {})["lookup_outcome"] == "ok"


@pytest.fixture(scope="module")
def warm_retriever():
    from actions.legal import retriever

    return retriever()


def test_a_clear_legal_question_gets_the_cited_answer(database, warm_retriever):
    events, texts = run(ActionAnswerLegal(), tracker([said("老板欠我三个月工资不给怎么办", "ask_legal", 1.0, "labor")]))
    assert "依据：" in texts[0] and "劳动" in texts[0] and "12348" in texts[0]
    assert SlotSet("legal_candidate", None) in events


def test_an_unsure_legal_question_is_recorded_for_a_12348_lawyer(database, warm_retriever):
    question = "我想问问炒股亏了钱能不能找证券公司要回来"
    events, texts = run(ActionAnswerLegal(), tracker([said(question, "ask_legal", 1.0)]))
    assert "没有把握" in texts[0] and "12348" in texts[0] and "依据" not in texts[0]
    number = next(e["value"] for e in events if e.get("name") == "case_number")
    with database() as session:
        case = queries.get_case(session, number)
        assert case.status == "transferred" and case.transferred_to == "12348" and case.description == question


def test_a_no_to_the_confirmation_sends_the_question_to_a_lawyer(database, warm_retriever):
    state = tracker([said("那个钱的事", "ask_legal", 1.0), said("不是", "deny", 2.0)],
                    {"legal_candidate": "debt.loan_not_repaid", "legal_question": "那个钱的事"})
    events, texts = run(ActionLegalRefer(), state)
    assert "12348" in texts[0] and SlotSet("legal_candidate", None) in events
    with database() as session:
        case = queries.get_case(session, next(e["value"] for e in events if e.get("name") == "case_number"))
        assert case.description == "那个钱的事"
