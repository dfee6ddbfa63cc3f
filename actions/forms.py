"""What every form shares: the citizen can stop it at any point, even when the model misread the words."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List, Text

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from hotline.conversations import intake

# A phone slot's value when the citizen says no to leaving one (no phone number looks like it).
DECLINED = "declined"


class StoppableFormValidation(FormValidationAction, ABC):
    """A form validation that ends the form and runs `stop_action` when the citizen says "算了".

    The rules handle the `stop` intent before the form sees it; this catches
    the short replies the model reads as something else ("算了" as a deny),
    which a free-text question would otherwise take as its answer.
    """

    stop_action = "action_stopped"

    @abstractmethod
    def name(self) -> Text:
        """validate_<form>: abstract, so the SDK registers only the subclasses."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        if common.wants_to_stop(tracker):
            return [SlotSet("requested_slot", None), ActiveLoop(None), FollowupAction(self.stop_action)]
        return await super().run(dispatcher, tracker, domain)


def phone_slot(slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
               invalid_response: str) -> Dict[Text, Any]:
    """A form's phone question: the number read from the answer, DECLINED for a no, else `invalid_response` and
    the question again."""
    text = str(value or "")
    phone = intake.read_phone(text)
    if phone:
        return {slot: phone}
    if intake.read_yes_no(text, common.intent_of(tracker)) is False:
        return {slot: DECLINED}
    dispatcher.utter_message(response=invalid_response)
    return {slot: None}
