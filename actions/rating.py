"""Closing the loop with the citizen: after resolution, ask for a 1-5 rating and a comment, and store both."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, ConversationResumed, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from actions.forms import StoppableFormValidation
from hotline.cases.errors import CaseError
from hotline.conversations import rating, status

logger = logging.getLogger(__name__)

SCORE, COMMENT = "citizen_rating", "rating_comment"
NONE = "-"
SCORE_BUTTONS = [{"title": f"{n}分", "payload": f"{n}分"} for n in (5, 4, 3, 2, 1)]
# What the citizen is told when the case service refuses the rating (its refusal code -> response).
REFUSALS = {"invalid_rating": "utter_rating_invalid", "not_resolved": "utter_rating_not_resolved",
            "already_rated": "utter_rating_already_given"}


def _awaiting(tracker: Tracker):
    with common.sessions()() as session:
        case = rating.awaiting_rating(session, *common.conversation(tracker))
        if case is None:
            return None
        return {"number": case.number, "outcome": case.outcome, "next_path": case.next_path}


class ActionAskRating(Action):
    """Run when a case is resolved (through the API): resume the bot and ask the citizen to rate the service."""

    def name(self) -> Text:
        return "action_ask_rating"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        case = _awaiting(tracker)
        if case is None:
            # Already rated, or a repeated delivery: nothing to ask.
            return []
        result = status.result_text(case["outcome"], case["next_path"])
        dispatcher.utter_message(response="utter_ask_rating", number=case["number"], result=result,
                                 buttons=SCORE_BUTTONS)
        return [ConversationResumed(), SlotSet("case_number", case["number"]), SlotSet(SCORE, None),
                SlotSet(COMMENT, None), ActiveLoop("rating_form"), SlotSet("requested_slot", SCORE),
                ActionExecuted("action_listen")]


class ValidateRatingForm(StoppableFormValidation):
    def name(self) -> Text:
        return "validate_rating_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> List[Text]:
        return [SCORE, COMMENT]

    def validate_citizen_rating(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> Dict[Text, Any]:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value <= 5:
            return {SCORE: int(value)}
        parsed = rating.parse_rating(str(value or ""))
        if parsed is None:
            dispatcher.utter_message(response="utter_invalid_citizen_rating", buttons=SCORE_BUTTONS)
            return {SCORE: None}
        score, comment = parsed
        # "4分，调解员很耐心": the comment came with the score, nothing more to ask.
        return {SCORE: score, COMMENT: comment or None}

    def validate_rating_comment(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> Dict[Text, Any]:
        text = str(value or "").strip()
        return {COMMENT: NONE if not text or rating.NO_COMMENT.match(text) else text}


def _save(tracker: Tracker, score: int, comment: Optional[str]) -> Optional[str]:
    """Store the rating on the conversation's resolved case; the case number, or None when none awaits it."""
    with common.sessions().begin() as session:
        case = rating.awaiting_rating(session, *common.conversation(tracker))
        if case is None:
            return None
        rating.rate(session, case, score, comment)
        return case.number


class ActionSaveRating(Action):
    def name(self) -> Text:
        return "action_save_rating"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        score = tracker.get_slot(SCORE)
        comment = tracker.get_slot(COMMENT)
        if score is None:
            # The citizen rated without being asked in this session ("给五分"): read it from what they wrote.
            parsed = rating.parse_rating((common.latest_said(tracker) or {}).get("text") or "")
            if parsed is None or _awaiting(tracker) is None:
                # Read as a rating, but nothing waits for one: most likely a message the model misread.
                dispatcher.utter_message(response="utter_not_understood_rating")
                return []
            score, comment = parsed
        reset = [SlotSet(SCORE, None), SlotSet(COMMENT, None)]
        try:
            number = _save(tracker, int(score), None if comment in (None, NONE) else comment)
        except CaseError as refused:
            dispatcher.utter_message(response=REFUSALS.get(refused.code, "utter_rating_failed"))
            return reset
        except Exception:  # noqa: BLE001 - the citizen is told; nothing half-stored (one transaction)
            logger.exception("rating not stored for conversation %s", tracker.sender_id)
            dispatcher.utter_message(response="utter_rating_failed")
            return reset
        if number is None:
            dispatcher.utter_message(response="utter_nothing_to_rate")
            return reset
        dispatcher.utter_message(response="utter_rating_saved_low" if int(score) <= 3 else "utter_rating_saved",
                                 number=number)
        return reset
