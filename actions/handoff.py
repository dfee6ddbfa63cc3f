"""Handing the conversation to a person and back: request, two failed understandings, time-outs, call-backs."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import (
    ActionExecuted,
    ActiveLoop,
    ConversationPaused,
    ConversationResumed,
    EventType,
    SlotSet,
    UserUtteranceReverted,
)
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from actions.forms import DECLINED, StoppableFormValidation, phone_slot
from hotline.cases.models import Case
from hotline.cases.queries import get_case
from hotline.cases.service import Intake, add_message, open_case
from hotline.conversations import handoff, status, wording
from hotline.triage.routing import route as route_for

logger = logging.getLogger(__name__)

# What the bot offers when it did not understand: the intents a citizen most often means, in their words.
INTENT_CHOICES = {
    "report_dispute": "登记一件纠纷，请调解员帮忙",
    "ask_legal": "咨询一个法律问题",
    "public_service": "反映路灯、垃圾、停水这类公共服务问题",
    "check_status": "查询已登记案件的进度",
    "request_human": "转人工服务",
    "emergency": "有危险，需要报警",
}


def _minutes() -> int:
    return handoff.wait_minutes(common.settings().handoff_wait_seconds)


def _case_for_handoff(session, tracker: Tracker, number: Optional[str], reason: str) -> Case:
    """The case the hand-off belongs to: the conversation's own case, or a new one for this contact."""
    channel, sender = common.conversation(tracker)
    if number:
        try:
            case = get_case(session, number)
            if case.channel == channel and case.sender_id == sender:
                return case
        except Exception:  # noqa: BLE001 - an unknown number just means a new contact record
            pass
    event = common.latest_said(tracker)
    triage = common.triage_of(event)
    if not triage.get("intent") or triage["intent"].get("name") in (None, "nlu_fallback"):
        triage["intent"] = {"name": "request_human", "confidence": None}
        triage["route"] = route_for("request_human", triage.get("dispute_type"), triage.get("warning_level"),
                                    triage.get("risk_signals") or [], triage.get("line"))
    said = [text for who, text in common.transcript(tracker) if who == "citizen"]
    case, _ = open_case(
        session,
        "bot",
        Intake(
            text="\n".join(said[-5:]) or "（群众要求转人工）", triage=triage,
            key=f"{common.intake_key(tracker, event)}:handoff", channel=channel, sender_id=sender,
            transcript=common.transcript(tracker),
        ),
        deadline_hours=common.settings().deadline_hours,
    )
    return case


def hand_off(dispatcher: CollectingDispatcher, tracker: Tracker, number: Optional[str], *,
             reason: str) -> List[EventType]:
    """Queue the conversation for a person, tell the citizen what happens next, and pause the bot."""
    try:
        with common.sessions().begin() as session:
            case = _case_for_handoff(session, tracker, number, reason)
            handoff.request(session, case, reason=reason)
            number = case.number
            params = handoff.notice_params(reason, number, common.settings().handoff_wait_seconds)
            # The case keeps what the citizen reads: the same response, rendered here.
            add_message(session, case, "bot", wording.text("utter_handoff", **params))
    except Exception:  # noqa: BLE001 - the citizen must not be left waiting for nobody
        logger.exception("hand-off (%s) failed for conversation %s", reason, tracker.sender_id)
        dispatcher.utter_message(response="utter_handoff_failed")
        return []
    dispatcher.utter_message(response="utter_handoff", **params)
    return [SlotSet("case_number", number), ConversationPaused()]


class ActionHandoff(Action):
    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        return hand_off(dispatcher, tracker, tracker.get_slot("case_number"), reason="request_human")


def _failed_understandings(tracker: Tracker) -> int:
    """Messages not understood in a row, counting back over the "都不是" answers between them."""
    failures = 0
    for event in reversed(common.user_events(tracker)):
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent == "nlu_fallback":
            failures += 1
        elif intent != "out_of_scope":
            break
    return failures


MIN_CHOICE_CONFIDENCE = 0.1


class ActionDefaultAskAffirmation(Action):
    """First stage of the two-stage fallback: offer what the citizen most likely meant."""

    def name(self) -> Text:
        return "action_default_ask_affirmation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        if _failed_understandings(tracker) >= 2:
            # The citizen already said "都不是" and the rephrasing was not understood either: a person takes over.
            return [ActiveLoop(None)] + hand_off(dispatcher, tracker, tracker.get_slot("case_number"),
                                                 reason="fallback")
        ranking = tracker.latest_message.get("intent_ranking") or []
        # Offer only what the model finds at least a little likely; the usual needs fill the rest.
        choices = [r["name"] for r in ranking
                   if r.get("name") in INTENT_CHOICES and (r.get("confidence") or 0) >= MIN_CHOICE_CONFIDENCE][:3]
        for default in ("report_dispute", "ask_legal", "request_human"):
            if len(choices) >= 3:
                break
            if default not in choices:
                choices.append(default)
        buttons = [{"title": INTENT_CHOICES[name], "payload": f"/{name}"} for name in choices]
        buttons.append({"title": "都不是", "payload": "/out_of_scope"})
        dispatcher.utter_message(response="utter_fallback_choices", buttons=buttons)
        return []


class ActionDefaultAskRephrase(Action):
    def name(self) -> Text:
        return "action_default_ask_rephrase"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(response="utter_ask_rephrase")
        return []


class ActionDefaultFallback(Action):
    """Second failure of the two-stage fallback: a person takes over."""

    def name(self) -> Text:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        return [UserUtteranceReverted()] + hand_off(dispatcher, tracker, tracker.get_slot("case_number"),
                                                     reason="fallback")


class ActionCoreFallback(Action):
    """The dialogue policies are unsure what to do next: say so and let the citizen steer."""

    def name(self) -> Text:
        return "action_core_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(response="utter_not_understood")
        return [UserUtteranceReverted()]


def _conversation_case(tracker: Tracker, session, statuses=None) -> Optional[Case]:
    return handoff.latest_case_of(session, *common.conversation(tracker), statuses=statuses)


def _listening() -> List[EventType]:
    """Run through the API (not predicted), the action must leave the bot listening like a predicted one."""
    return [ActionExecuted("action_listen")]


class ActionHandedBack(Action):
    """Run when a person hands the conversation back: resume, and say where the case stands."""

    def name(self) -> Text:
        return "action_handed_back"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        with common.sessions()() as session:
            case = _conversation_case(tracker, session, statuses=("ended",))
            if case is None or handoff.open_for(session, *common.conversation(tracker)) is not None:
                # A repeated delivery, or a new hand-off already holds the conversation: stay quiet.
                return []
            described = status.describe(case)
            number = case.number
        common.say_with_text_of_people(dispatcher, "utter_handed_back", status=described)
        return [ConversationResumed(), SlotSet("case_number", number)] + _listening()


class ActionOfferCallback(Action):
    """Run when nobody picked a hand-off up in time: resume, apologise, offer a call-back."""

    def name(self) -> Text:
        return "action_offer_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        with common.sessions().begin() as session:
            timed_out = handoff.latest_of(session, *common.conversation(tracker), statuses=("timed_out",))
            if timed_out is None or handoff.open_for(session, *common.conversation(tracker)) is not None:
                return []
            case = timed_out.case
            number = case.number
            minutes = _minutes()
            if case.callback_requested_at is not None and case.callback_requested_at >= timed_out.ended_at:
                # This time-out's call-back is arranged already: a repeated delivery of this action.
                # (An older request, e.g. after a message that did not arrive, does not silence it.)
                return []
            if case.contact_phone:
                handoff.request_callback(session, case, phone=None)
                dispatcher.utter_message(response="utter_callback_arranged", minutes=minutes,
                                         tail=case.contact_phone[-4:], number=number)
                return [ConversationResumed(), SlotSet("case_number", number)] + _listening()
        dispatcher.utter_message(response="utter_offer_callback", minutes=minutes, number=number)
        return [ConversationResumed(), SlotSet("case_number", number), SlotSet("callback_phone", None),
                ActiveLoop("callback_form"), SlotSet("requested_slot", "callback_phone")] + _listening()


class ValidateCallbackForm(StoppableFormValidation):
    def name(self) -> Text:
        return "validate_callback_form"

    def validate_callback_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> Dict[Text, Any]:
        return phone_slot("callback_phone", value, dispatcher, tracker, "utter_invalid_callback_phone")


class ActionRequestCallback(Action):
    def name(self) -> Text:
        return "action_request_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        phone = tracker.get_slot("callback_phone")
        number = tracker.get_slot("case_number")
        if phone == DECLINED or not phone or not number:
            dispatcher.utter_message(response="utter_callback_declined")
            return [SlotSet("callback_phone", None)]
        try:
            with common.sessions().begin() as session:
                handoff.request_callback(session, get_case(session, number), phone=phone)
        except Exception:  # noqa: BLE001 - tell the citizen honestly
            logger.exception("call-back request for case %s not recorded", number)
            dispatcher.utter_message(response="utter_callback_failed")
            return [SlotSet("callback_phone", None)]
        dispatcher.utter_message(response="utter_callback_booked", tail=phone[-4:])
        return [SlotSet("callback_phone", None)]
