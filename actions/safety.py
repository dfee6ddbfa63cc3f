"""Danger now: tell the citizen to call 110, open an urgent case flagged for 110, ask nothing."""
from __future__ import annotations

import logging
from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from hotline.cases.service import open_case
from hotline.conversations.safety import EMERGENCY_TEXT

logger = logging.getLogger(__name__)


class ActionEmergency(Action):
    def name(self) -> Text:
        return "action_emergency"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        # The guidance goes out first: nothing that fails below may delay it.
        dispatcher.utter_message(text=EMERGENCY_TEXT)
        event = common.latest_said(tracker)
        triage = common.triage_of(event)
        triage["route"] = {"to": "110", "reason": (triage.get("route") or {}).get("reason") or "存在现实危险，转110处置"}
        triage.setdefault("intent", {"name": "emergency", "confidence": 1.0})
        key = common.intake_key(tracker, event)
        channel, sender = common.conversation(tracker)
        try:
            with common.sessions().begin() as session:
                case, _ = open_case(
                    session,
                    "bot",
                    text=(event or {}).get("text") or "",
                    triage=triage,
                    intake_key=key,
                    channel=channel,
                    sender_id=sender,
                    transcript=common.transcript(tracker),
                    deadline_hours=common.settings().deadline_hours,
                )
                number = case.number
        except Exception:  # noqa: BLE001 - the citizen already has the 110 guidance
            logger.exception("urgent case not opened for conversation %s (key %s)", tracker.sender_id, key)
            return []
        return [SlotSet("case_number", number)]


class ActionStopped(Action):
    """The citizen stopped a question the bot was asking (a case lookup, a call-back, a rating)."""

    def name(self) -> Text:
        return "action_stopped"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(text="好的，先不弄了。还有别的需要帮忙的吗？")
        return [SlotSet(slot, None) for slot in ("lookup_number", "lookup_tail", "lookup_outcome", "callback_phone",
                                                 "citizen_rating", "rating_comment")]
