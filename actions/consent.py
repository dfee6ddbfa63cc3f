"""Consent after the case is open: "我同意留电话，139…" keeps the phone, "把我号码删了" erases it.

Inside the report form the form itself takes these (actions/dispute.py); here the conversation's cases are
changed through hotline/conversations/consent.py and the citizen is told what was done.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from actions.forms import DECLINED, StoppableFormValidation, phone_slot
from hotline.cases.errors import CaseError
from hotline.conversations import consent, intake

logger = logging.getLogger(__name__)

PHONE = "consent_phone"
# What the citizen is told for each outcome (named in full, so the domain test finds every name).
RESPONSES = {
    consent.GRANTED: "utter_consent_granted_on_case",
    consent.PHONE_CHANGED: "utter_contact_phone_changed",
    consent.ALREADY: "utter_consent_already_on_case",
    consent.WITHDRAWN: "utter_consent_withdrawn_on_case",
    consent.NOTHING_KEPT: "utter_consent_nothing_kept",
    consent.NO_CASE: "utter_consent_no_case",
    consent.CLOSED: "utter_consent_case_closed",
}


def _change(dispatcher: CollectingDispatcher, tracker: Tracker, grant: bool, phone) -> List[EventType]:
    """Apply the change to the conversation's cases and say what was done."""
    channel, sender = common.conversation(tracker)
    try:
        with common.sessions().begin() as session:
            if grant:
                change = consent.grant(session, channel, sender, phone)
            else:
                change = consent.withdraw(session, channel, sender)
    except CaseError:
        logger.warning("consent change refused for conversation %s", tracker.sender_id, exc_info=True)
        dispatcher.utter_message(response="utter_invalid_consent_phone")
        return []
    except Exception:  # noqa: BLE001 - the citizen must hear that nothing changed
        logger.exception("consent change failed for conversation %s", tracker.sender_id)
        dispatcher.utter_message(response="utter_consent_change_failed")
        return []
    events: List[EventType] = [SlotSet("case_number", change.numbers[-1])] if change.numbers else []
    if change.outcome == consent.NEED_PHONE:
        # Nothing is recorded until there is a number to keep: the form asks for it.
        return events + [SlotSet(PHONE, None), FollowupAction("consent_phone_form")]
    dispatcher.utter_message(response=RESPONSES[change.outcome], numbers="、".join(change.numbers),
                             tail=change.tail)
    return events


class ActionChangeConsent(Action):
    def name(self) -> Text:
        return "action_change_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        text = tracker.latest_message.get("text") or ""   # a button's payload says nothing of the phone
        grant = consent.direction(text, common.intent_of(tracker))
        if grant is None:
            dispatcher.utter_message(response="utter_consent_which_way")
            return []
        return _change(dispatcher, tracker, grant, intake.read_phone(text) if grant else None)


class ActionAnswerYesNo(Action):
    """A yes or a no with no question open: a change of consent when the words say so, else "anything else?".

    "行吧，你们可以记我的手机" reads as a plain yes to the model; the words still name the phone.
    """

    def name(self) -> Text:
        return "action_answer_yes_no"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        text = tracker.latest_message.get("text") or ""   # a button's payload says nothing of the phone
        grant = intake.consent_change(text)
        if grant is None:
            dispatcher.utter_message(response="utter_anything_else")
            return []
        return _change(dispatcher, tracker, grant, intake.read_phone(text) if grant else None)


class ValidateConsentPhoneForm(StoppableFormValidation):
    def name(self) -> Text:
        return "validate_consent_phone_form"

    def validate_consent_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> Dict[Text, Any]:
        return phone_slot(PHONE, value, dispatcher, tracker, "utter_invalid_consent_phone")


class ActionSaveConsentPhone(Action):
    def name(self) -> Text:
        return "action_save_consent_phone"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        phone = tracker.get_slot(PHONE)
        reset: List[EventType] = [SlotSet(PHONE, None)]
        if not phone or phone == DECLINED:
            dispatcher.utter_message(response="utter_consent_phone_declined")
            return reset
        return reset + _change(dispatcher, tracker, True, phone)
