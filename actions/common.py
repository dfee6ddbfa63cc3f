"""What every action needs: a database session and the facts of the conversation."""
from __future__ import annotations

import functools
import re
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Tracker
from sqlalchemy.orm import sessionmaker

from hotline.config import Settings
from hotline.db import make_engine, make_sessionmaker

# Replies the bot offers as buttons ("/affirm"): what the citizen meant is the intent, not the text.
PAYLOAD = re.compile(r"^/[a-z_]+")
# Short replies that can only mean "stop", whatever the model made of them.
STOP_WORDS = re.compile(r"^(算了|不弄了|不登记了|不查了|不办了|不评了|取消|不说了|不想说了|停|停止|别问了|不要问了|先这样|"
                        r"先不了|不用登记了|不登了)[吧啊呀了。！!，,\s]*$")


@functools.lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()


@functools.lru_cache(maxsize=1)
def sessions() -> sessionmaker:
    """Created at the first action that needs it, never at import time."""
    config = settings()
    return make_sessionmaker(make_engine(config.database_url), config)


def user_events(tracker: Tracker) -> List[Dict[str, Any]]:
    return [e for e in tracker.events if e.get("event") == "user"]


def latest_user_event(tracker: Tracker) -> Optional[Dict[str, Any]]:
    events = user_events(tracker)
    return events[-1] if events else None


def latest_said(tracker: Tracker) -> Optional[Dict[str, Any]]:
    """The citizen's latest message in their own words (button payloads and external events skipped)."""
    for event in reversed(user_events(tracker)):
        text = event.get("text") or ""
        if text and not PAYLOAD.match(text) and not text.startswith("EXTERNAL"):
            return event
    return None


def intent_of(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def wants_to_stop(tracker: Tracker) -> bool:
    """The citizen asked to stop: the model said so, or the words cannot mean anything else."""
    text = (tracker.latest_message.get("text") or "").strip()
    return intent_of(tracker) == "stop" or bool(STOP_WORDS.match(text))


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
    """The citizen's own channel: the web service names it in the message metadata (webchat, wechat, sms)."""
    for event in reversed(user_events(tracker)):
        channel = (event.get("metadata") or {}).get("channel")
        if isinstance(channel, str) and channel:
            return channel[:16]
    return tracker.get_latest_input_channel() or "rest"


def conversation(tracker: Tracker) -> Tuple[str, str]:
    """(channel, sender id): the key of this conversation in the case database."""
    return channel_of(tracker), tracker.sender_id


def transcript(tracker: Tracker) -> List[Tuple[str, str]]:
    """Citizen and bot turns since the session started, in order (button payloads shown as what they meant)."""
    turns: List[Tuple[str, str]] = []
    for event in tracker.events:
        if event.get("event") == "session_started":
            turns = []
        elif event.get("event") == "user" and event.get("text"):
            text = event["text"]
            if PAYLOAD.match(text):
                intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name") or text
                text = {"affirm": "（点击：是）", "deny": "（点击：否）"}.get(intent, f"（点击：{intent}）")
            turns.append(("citizen", text))
        elif event.get("event") == "bot" and event.get("text"):
            turns.append(("bot", event["text"]))
    return turns


def say_with_text_of_people(dispatcher, response: str, tracker: Optional[Tracker] = None, **params: Any) -> None:
    """A response whose parameters carry what people wrote (the citizen's words, a mediator's, the law's):
    rendered here from the same domain response, with its buttons, and sent as text.

    Rasa's filling gives up on the whole template when a filled value holds "0[" (its own
    placeholder marker) and would send "{items}" instead; people's words may hold anything.
    """
    from hotline.conversations import wording

    slots = dict(tracker.slots) if tracker is not None else {}
    buttons = wording.variation(response, slots).get("buttons") or []
    dispatcher.utter_message(text=wording.text(response, slots, **params), buttons=buttons)
