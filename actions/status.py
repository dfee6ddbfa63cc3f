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

MESSAGES = {
    "not_found": "没有找到编号为{number}的案件。请核对一下：编号是JF开头加14位数字，比如JF20261122000001。",
    "locked": "这个案件的查询失败次数太多，为保护当事人信息，暂时不能在线查询。请24小时后再试，或拨打12345人工查询。",
    "no_phone": "这个案件登记时没有留电话，为保护当事人信息，只能在原来的对话里查询，或拨打12345人工查询。",
    "forgot": "没有编号也可以拨打12345，报登记时留的电话人工查询。",
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
                dispatcher.utter_message(text="没听到案件编号。编号是JF开头加14位数字，登记成功时告诉过您。")
                return {NUMBER: None}
        outcome = self._lookup(tracker, number)
        if outcome == "not_found":
            dispatcher.utter_message(text=MESSAGES["not_found"].format(number=number))
            return {NUMBER: None, OUTCOME: None}
        return {NUMBER: number, OUTCOME: outcome, TAIL: None}

    def validate_lookup_tail(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> Dict[Text, Any]:
        tail = status.phone_tail(str(value or ""))
        if tail is None:
            dispatcher.utter_message(text="请回复登记时留的电话号码的后四位数字。")
            return {TAIL: None}
        number = tracker.get_slot(NUMBER)
        with common.sessions().begin() as session:
            result = status.lookup(session, number, channel=common.channel_of(tracker),
                                   sender_id=tracker.sender_id, tail=tail)
        if result.outcome == "wrong_tail":
            if result.attempts_left:
                dispatcher.utter_message(text=f"电话后四位和登记的不一致，请再试一次（还可以试{result.attempts_left}次）。")
                return {TAIL: None}
            return {TAIL: tail, OUTCOME: "locked"}
        return {TAIL: tail, OUTCOME: result.outcome}


class ActionAskLookupNumber(Action):
    def name(self) -> Text:
        return "action_ask_lookup_number"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        own = _own_case(tracker)
        if own:
            dispatcher.utter_message(text=f"请告诉我要查的案件编号。您在这个对话里登记过{own}，查这个的话点“查{own}”或回复“是”。",
                                     buttons=[{"title": f"查{own}", "payload": "/affirm"}])
        else:
            dispatcher.utter_message(text="请告诉我案件编号（JF开头加14位数字，登记成功时告诉过您）。")
        return []


class ActionAskLookupTail(Action):
    def name(self) -> Text:
        return "action_ask_lookup_tail"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(text=f"为保护当事人信息，请回复登记时留的电话号码的后四位（最多可以试{MAX_FAILURES_PER_CASE}次）。")
        return []


class ActionTellStatus(Action):
    def name(self) -> Text:
        return "action_tell_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        outcome, number = tracker.get_slot(OUTCOME), tracker.get_slot(NUMBER)
        reset: List[EventType] = [SlotSet(slot, None) for slot in SLOTS]
        if outcome != "ok":
            dispatcher.utter_message(text=MESSAGES.get(outcome, MESSAGES["forgot"]))
            return reset
        with common.sessions()() as session:
            from hotline.cases.service import get_case

            text = status.describe(get_case(session, number))
        dispatcher.utter_message(text=text + "如需催办或补充情况，可以直接告诉我，或说“转人工”。")
        return reset + [SlotSet("case_number", number)]
