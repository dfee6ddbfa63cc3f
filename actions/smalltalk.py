"""Greetings: the welcome once per conversation (the web page shows its own), a short hello after that."""
from __future__ import annotations

from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

# Channels whose page shows the welcome itself before the first message (hotline/web/static/chat.js).
WELCOMED_BY_THE_PAGE = frozenset({"webchat"})


class ActionSessionStart(Action):
    """Rasa's session start, plus: a citizen on the web chat has already read the page's welcome."""

    def name(self) -> Text:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        events: List[EventType] = [SessionStarted()]
        metadata = tracker.get_slot("session_started_metadata") or {}
        if isinstance(metadata, dict) and metadata.get("channel") in WELCOMED_BY_THE_PAGE:
            events.append(SlotSet("welcomed", True))
        events.append(ActionExecuted("action_listen"))
        return events


class ActionNoteWelcomed(Action):
    """After the welcome: a later 你好 gets utter_greet_again, not the welcome again."""

    def name(self) -> Text:
        return "action_note_welcomed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        return [SlotSet("welcomed", True)]
