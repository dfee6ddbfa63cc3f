"""Checking a case: number (and phone tail when asked from another conversation), then where the case stands."""
from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from actions.forms import StoppableFormValidation
from hotline.conversations import intake, status
from hotline.conversations.status import MAX_FAILURES_PER_CASE

logger = logging.getLogger(__name__)

NUMBER, TAIL, OUTCOME = "lookup_number", "lookup_tail", "lookup_outcome"
SLOTS = (NUMBER, TAIL, OUTCOME)
_FORGOT = re.compile(r"忘了|不记得|不知道|找不到|没记|没有编号|记不清")

# What the citizen is told when the case is not told (the lookup's outcome -> response).
OUTCOME_RESPONSES = {
    "not_found": "utter_status_not_found", "locked": "utter_status_locked", "no_phone": "utter_status_no_phone",
    "forgot": "utter_status_forgot",
}


def _own_case(tracker: Tracker):
    with common.sessions()() as session:
        case = status.latest_case_of(session, *common.conversation(tracker))
        return case.number if case is not None else None


class ValidateCaseStatusForm(StoppableFormValidation):
    def name(self) -> Text:
        return "validate_case_status_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> List[Text]:
        if tracker.get_slot(OUTCOME) == "need_tail":
            return [NUMBER, TAIL]
        return [NUMBER]

    def _lookup(self, tracker: Tracker, number: str, tail=None):
        with common.sessions().begin() as session:
            return status.lookup(session, number, channel=common.channel_of(tracker), sender_id=tracker.sender_id,
                                 tail=tail).outcome

    def validate_lookup_number(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> Dict[Text, Any]:
        text = str(value or "")
        number = status.normalise_number(text)
        if number is None:
            own = _own_case(tracker)
            if own and intake.read_yes_no(text, common.intent_of(tracker)) is True:
                number = own
            elif _FORGOT.search(text):
                return {NUMBER: "-", OUTCOME: "forgot"}
            else:
                dispatcher.utter_message(response="utter_invalid_lookup_number")
                return {NUMBER: None}
        outcome = self._lookup(tracker, number)
        if outcome == "not_found":
            dispatcher.utter_message(response=OUTCOME_RESPONSES["not_found"], number=number)
            return {NUMBER: None, OUTCOME: None}
        return {NUMBER: number, OUTCOME: outcome, TAIL: None}

    def validate_lookup_tail(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> Dict[Text, Any]:
        tail = status.phone_tail(str(value or ""))
        if tail is None:
            dispatcher.utter_message(response="utter_invalid_lookup_tail")
            return {TAIL: None}
        number = tracker.get_slot(NUMBER)
        with common.sessions().begin() as session:
            result = status.lookup(session, number, channel=common.channel_of(tracker),
                                   sender_id=tracker.sender_id, tail=tail)
        if result.outcome == "wrong_tail":
            if result.attempts_left:
                dispatcher.utter_message(response="utter_wrong_lookup_tail", attempts_left=result.attempts_left)
                return {TAIL: None}
            return {TAIL: tail, OUTCOME: "locked"}
        return {TAIL: tail, OUTCOME: result.outcome}


class ActionAskLookupNumber(Action):
    def name(self) -> Text:
        return "action_ask_lookup_number"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        own = _own_case(tracker)
        if own:
            dispatcher.utter_message(response="utter_ask_lookup_number_own", own=own)
        else:
            dispatcher.utter_message(response="utter_ask_lookup_number_any")
        return []


class ActionAskLookupTail(Action):
    def name(self) -> Text:
        return "action_ask_lookup_tail"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(response="utter_ask_lookup_tail_tries", max_tries=MAX_FAILURES_PER_CASE)
        return []


class ActionTellStatus(Action):
    def name(self) -> Text:
        return "action_tell_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        outcome, number = tracker.get_slot(OUTCOME), tracker.get_slot(NUMBER)
        reset: List[EventType] = [SlotSet(slot, None) for slot in SLOTS]
        if outcome != "ok":
            dispatcher.utter_message(response=OUTCOME_RESPONSES.get(outcome, OUTCOME_RESPONSES["forgot"]))
            return reset
        with common.sessions()() as session:
            from hotline.cases.queries import get_case

            described = status.describe(get_case(session, number))
        common.say_with_text_of_people(dispatcher, "utter_status", status=described)
        return reset + [SlotSet("case_number", number)]
