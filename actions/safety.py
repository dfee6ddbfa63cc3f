"""Danger now: tell the citizen to call 110, keep one urgent case for the conversation, offer a person at once."""
from __future__ import annotations

import logging
from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from hotline.cases.errors import Conflict
from hotline.conversations import handoff
from hotline.conversations.safety import HANDOFF, danger_response, open_urgent_case, record_danger

logger = logging.getLogger(__name__)


class ActionEmergency(Action):
    def name(self) -> Text:
        return "action_emergency"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        event = common.latest_said(tracker)
        channel, sender = common.conversation(tracker)
        try:
            with common.sessions().begin() as session:
                first = open_urgent_case(session, channel, sender) is None
        except Exception:  # noqa: BLE001 - the guidance must go out whatever failed
            logger.exception("urgent case lookup failed for conversation %s", tracker.sender_id)
            first = True
        # The guidance goes out first: nothing that fails below may delay it.
        dispatcher.utter_message(response=danger_response(first))
        triage = common.triage_of(event)
        key = common.intake_key(tracker, event)
        offered = False
        try:
            with common.sessions().begin() as session:
                case, _ = record_danger(
                    session, text=(event or {}).get("text") or "", triage=triage, intake_key=key,
                    channel=channel, sender_id=sender, transcript=common.transcript(tracker),
                    deadline_hours=common.settings().deadline_hours)
                number = case.number
                try:
                    # Danger goes to the top of the waiting list (handoff.waiting orders it first).
                    handoff.request(session, case, reason="danger")
                    offered = True
                except Conflict:
                    logger.info("urgent case %s came on channel %s, where no person can answer", number, channel)
        except Exception:  # noqa: BLE001 - the citizen already has the 110 guidance
            logger.exception("urgent case not recorded for conversation %s (key %s)", tracker.sender_id, key)
            return []
        events: List[EventType] = [SlotSet("case_number", number)]
        if not offered:
            return events
        dispatcher.utter_message(response=HANDOFF)
        return events + [ConversationPaused()]


class ActionStopped(Action):
    """The citizen stopped a question the bot was asking (a case lookup, a call-back, a rating)."""

    def name(self) -> Text:
        return "action_stopped"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(response="utter_stopped")
        return [SlotSet(slot, None) for slot in ("lookup_number", "lookup_tail", "lookup_outcome", "callback_phone",
                                                 "citizen_rating", "rating_comment")]


__all__ = ["ActionEmergency", "ActionStopped"]
