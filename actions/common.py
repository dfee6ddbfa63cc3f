"""What every action needs: a database session and the facts of the conversation."""
from __future__ import annotations

import functools
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Tracker
from sqlalchemy.orm import sessionmaker

from hotline.config import Settings
from hotline.db import make_engine, make_sessionmaker


@functools.lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()


@functools.lru_cache(maxsize=1)
def sessions() -> sessionmaker:
    """Created at the first action that needs it, never at import time."""
    return make_sessionmaker(make_engine(settings().database_url))


def user_events(tracker: Tracker) -> List[Dict[str, Any]]:
    return [e for e in tracker.events if e.get("event") == "user"]


def latest_user_event(tracker: Tracker) -> Optional[Dict[str, Any]]:
    events = user_events(tracker)
    return events[-1] if events else None


def intake_key(tracker: Tracker, event: Optional[Dict[str, Any]]) -> str:
    """Conversation id + timestamp of the message that started this report."""
    stamp = event.get("timestamp") if event else None
    return f"{tracker.sender_id}:{stamp!r}"


def find_user_event(tracker: Tracker, key: Optional[str]) -> Optional[Dict[str, Any]]:
    for event in reversed(user_events(tracker)):
        if intake_key(tracker, event) == key:
            return event
    return None


def triage_of(event: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    parse = (event or {}).get("parse_data") or {}
    return dict(parse.get("triage") or {})


def channel_of(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or "rest"


def transcript(tracker: Tracker) -> List[Tuple[str, str]]:
    """Citizen and bot turns since the session started, in order."""
    turns: List[Tuple[str, str]] = []
    for event in tracker.events:
        if event.get("event") == "session_started":
            turns = []
        elif event.get("event") == "user" and event.get("text"):
            turns.append(("citizen", event["text"]))
        elif event.get("event") == "bot" and event.get("text"):
            turns.append(("bot", event["text"]))
    return turns
