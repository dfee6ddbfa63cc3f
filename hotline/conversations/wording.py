"""The bot's words, read from the responses in bot/domain/*.yml, for code that speaks without Rasa.

The domain is the one home of every text the bot says: Rasa renders the
responses the actions name; the web service and the inbox (which answer
danger even when Rasa is down) take the same texts from here. Nothing is
read at import time; the domain is read once, on first use.
"""
from __future__ import annotations

import functools
from typing import Any, Dict, List, Mapping, Optional

import yaml

from hotline.config import PROJECT_ROOT

DOMAIN_DIR = PROJECT_ROOT / "bot" / "domain"


class UnknownResponse(KeyError):
    """A response name that no file in bot/domain defines."""


@functools.lru_cache(maxsize=None)
def responses() -> Dict[str, List[Dict[str, Any]]]:
    """Every response of the domain by name: its variations as written."""
    found: Dict[str, List[Dict[str, Any]]] = {}
    for path in sorted(DOMAIN_DIR.glob("*.yml")):
        found.update((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses") or {})
    return found


def _holds(condition: Mapping[str, Any], slots: Mapping[str, Any]) -> bool:
    return condition.get("type", "slot") == "slot" and slots.get(condition["name"]) == condition.get("value")


def variation(name: str, slots: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """The variation Rasa says for these slot values: one whose conditions all hold, else one without any.

    Our responses have one variation per condition, so the choice is the one Rasa makes.
    """
    try:
        variations = responses()[name]
    except KeyError:
        raise UnknownResponse(name) from None
    slots = slots or {}
    for candidate in variations:
        conditions = candidate.get("condition") or []
        if conditions and all(_holds(c, slots) for c in conditions):
            return candidate
    return next(v for v in variations if not v.get("condition"))


def text(name: str, slots: Optional[Mapping[str, Any]] = None, **params: Any) -> str:
    """The response's text with {placeholders} filled from the parameters (then the slots), as Rasa fills them."""
    values = {**(slots or {}), **params}
    return variation(name, slots)["text"].format_map(_Keep(values))


def render(message: Mapping[str, Any], slots: Optional[Mapping[str, Any]] = None) -> str:
    """What a dispatcher message says: its text, or its response rendered with its parameters."""
    if message.get("text") or not message.get("response"):
        return message.get("text") or ""
    known = ("recipient_id", "text", "image", "json_message", "response", "attachment", "template", "buttons",
             "elements", "custom")
    params = {k: v for k, v in message.items() if k not in known and v is not None}
    return text(message["response"], slots, **params)


class _Keep(dict):
    """A placeholder with no value stays as written, as Rasa leaves it."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
