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

logger = logging.getLogger(__name__)

EMERGENCY_TEXT = (
    "您现在可能有危险，请立即拨打110报警！"
    "能离开的话先到安全的地方，保持手机畅通；有人受伤请同时拨打120。"
    "我们已把这件事标为紧急，转110处理。"
)


class ActionEmergency(Action):
    def name(self) -> Text:
        return "action_emergency"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        # The guidance goes out first: nothing that fails below may delay it.
        dispatcher.utter_message(text=EMERGENCY_TEXT)
        event = common.latest_user_event(tracker)
        triage = common.triage_of(event)
        triage["route"] = {"to": "110", "reason": (triage.get("route") or {}).get("reason") or "存在现实危险，转110处置"}
        triage.setdefault("intent", {"name": "emergency", "confidence": 1.0})
        key = common.intake_key(tracker, event)
        try:
            with common.sessions().begin() as session:
                case, _ = open_case(
                    session,
                    "bot",
                    text=(event or {}).get("text") or "",
                    triage=triage,
                    intake_key=key,
                    channel=common.channel_of(tracker),
                    sender_id=tracker.sender_id,
                    transcript=common.transcript(tracker),
                    deadline_hours=common.settings().deadline_hours,
                )
                number = case.number
        except Exception:  # noqa: BLE001 - the citizen already has the 110 guidance
            logger.exception("urgent case not opened for conversation %s (key %s)", tracker.sender_id, key)
            return []
        return [SlotSet("case_number", number)]
