"""A small client for the Rasa server: the REST channel, the NLU parse, and the conversation API.

Rasa's HTTP API takes its plain token only as `?token=`, which ends up in
access logs; so Rasa runs with `--jwt-secret "$RASA_TOKEN"` and this client
sends a short-lived JWT signed with that token in the Authorization header.
"""
from __future__ import annotations

import time
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import quote

import requests


PARSE_PATH = "/webhooks/nlu/parse"
STOCK_PARSE_PATH = "/model/parse"
JWT_LIFETIME = 300  # seconds; a new one is signed a minute before it ends
CONVERSATION_HEADER = "X-Conversation"  # the sender id, for sticky routing to one of several Rasa servers
JWT_USER = {"username": "hotline", "role": "admin"}  # the role Rasa asks for on its conversation API
# The action server's answer to /health names its instance, a new one at each start (actions/__main__.py):
# a silent turn is a finished one only if the same instance was up before and after it.
ACTIONS_INSTANCE_HEADER = "X-Actions-Instance"
# Per health address, the instance this process saw last (one look per process, not one per message).
_INSTANCES_SEEN: Dict[str, str] = {}


def bearer(secret: str, now: Optional[float] = None) -> Tuple[str, float]:
    """`Bearer <JWT>` as `rasa run --jwt-secret <secret> --jwt-method HS256` accepts it, and when it ends."""
    import jwt

    now = time.time() if now is None else now
    expires = now + JWT_LIFETIME
    token = jwt.encode({"user": JWT_USER, "iat": int(now), "exp": int(expires)}, secret, algorithm="HS256")
    return f"Bearer {token}", expires


# The input channel Rasa records for a message that came through its REST channel (`send`).
REST_CHANNEL = "rest"


def user_event(text: str, metadata: Dict[str, Any], timestamp: float) -> Dict[str, Any]:
    """A citizen's message as the `user` event `append_events` adds to a tracker, shaped like the one Rasa stores
    for `send`: the same text, the same metadata (the provider message id a turn is counted by), the REST channel.

    Rasa 3.6 builds a user event from its `parse_data` and fails without one; the intent is left empty here and
    filled with the NLU's when the event is appended (`append_events`), as the bot would have classified it.
    """
    return {"event": "user", "timestamp": timestamp, "text": text, "input_channel": REST_CHANNEL,
            "message_id": metadata.get("message_id"), "metadata": dict(metadata),
            "parse_data": {"intent": {"name": None, "confidence": 0.0}, "entities": [], "text": text,
                           "message_id": metadata.get("message_id"), "metadata": dict(metadata)}}


def _said_id(event: Dict[str, Any]) -> Optional[str]:
    """The provider message id of a user event (its metadata's, as `send` gives it), or None."""
    if event.get("event") != "user":
        return None
    return (event.get("metadata") or {}).get("message_id")


def _starts_session(event: Dict[str, Any]) -> bool:
    """One of the events that begin every session (Rasa's `action_session_start` sequence)."""
    return event.get("event") == "session_started" or (
        event.get("event") == "action" and event.get("name") in ("action_session_start", "action_listen"))


class RasaUnavailable(RuntimeError):
    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status Rasa answered, None when it could not be reached


class RasaClient:
    def __init__(self, base_url: str, token: Optional[str] = None, timeout: float = 30.0,
                 action_endpoint_url: Optional[str] = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.action_endpoint_url = action_endpoint_url
        self._parse_path = PARSE_PATH
        self._bearer: Tuple[str, float] = ("", 0.0)

    @classmethod
    def from_settings(cls, settings: Any, timeout: Optional[float] = None) -> "RasaClient":
        return cls(settings.rasa_url, settings.rasa_token,
                   settings.rasa_timeout_seconds if timeout is None else timeout, settings.action_endpoint_url)

    def headers(self) -> Dict[str, str]:
        """The Authorization header (empty without a token); never a query string."""
        if not self.token:
            return {}
        if self._bearer[1] - time.time() < 60:
            self._bearer = bearer(self.token)
        return {"Authorization": self._bearer[0]}

    def _post(self, path: str, payload: Any, *, auth: bool = True, conversation: Optional[str] = None) -> Any:
        headers = self.headers() if auth else {}
        if conversation is not None:
            # Several Rasa servers behind a proxy: it routes on this, so one server owns a conversation.
            headers[CONVERSATION_HEADER] = conversation
        try:
            response = requests.post(f"{self.base_url}{path}", json=payload, headers=headers, timeout=self.timeout)
        except requests.RequestException as error:
            raise RasaUnavailable(str(error)) from error
        if response.status_code != 200:
            raise RasaUnavailable(f"Rasa answered HTTP {response.status_code}: {response.text[:200]}",
                                  response.status_code)
        return response.json()

    def send(self, sender_id: str, text: str, metadata: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        """Deliver a citizen's message through the REST channel; returns the bot's replies."""
        payload: Dict[str, Any] = {"sender": sender_id, "message": text}
        if metadata:
            payload["metadata"] = metadata
        return self._post("/webhooks/rest/webhook", payload, auth=False, conversation=sender_id)

    def parse(self, text: str) -> Dict[str, Any]:
        """The NLU parse with the triage record: our micro-batched endpoint (bot/channels/nlu.py),
        which answers what `POST /model/parse` answers. A server whose credentials.yml predates
        that channel has no such route (404): then `/model/parse`, for this client from then on."""
        try:
            return self._post(self._parse_path, {"text": text})
        except RasaUnavailable as failure:
            if failure.status != 404 or self._parse_path == STOCK_PARSE_PATH:
                raise
        self._parse_path = STOCK_PARSE_PATH
        return self._post(self._parse_path, {"text": text})

    def append_events(self, sender_id: str, events: List[Dict[str, Any]]) -> None:
        """Append events (pause, resume, slots ...) to a conversation's tracker.

        A `user` event (`user_event`: a message Rasa did not hear when it came) gets the intent and entities
        the NLU gives its text, when it has none. Its time stays the message's own, but no earlier than the
        start of the tracker's current session: Rasa reads a tracker from that start on, and an event dated
        before it would be stored and never read. A tracker with nothing in it yet gets its session start with
        the message (Rasa would start one after it).
        """
        if any(e.get("event") == "user" for e in events):
            events = self._heard_as_sent(sender_id, events)
        self._post(f"/conversations/{quote(sender_id, safe='')}/tracker/events", events, conversation=sender_id)

    def _heard_as_sent(self, sender_id: str, events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        stored = self._tracker(sender_id).get("events") or []
        floor = max((e.get("timestamp") or 0.0 for e in stored if e.get("event") == "session_started"), default=0.0)
        events = [{**self._classified(e), "timestamp": max(e["timestamp"], floor)}
                  if e.get("event") == "user" and e.get("timestamp") else e for e in events]
        if not all(_starts_session(e) for e in stored):
            return events
        # Nothing said yet: the session Rasa shows for an unsaved tracker is made up at each request, and the
        # one it would save with these events would begin after them. The copy brings its own, dated with it.
        at = min((e["timestamp"] for e in events if e.get("event") == "user" and e.get("timestamp")),
                 default=time.time())
        return [{"event": "action", "name": "action_session_start", "timestamp": at},
                {"event": "session_started", "timestamp": at},
                {"event": "action", "name": "action_listen", "timestamp": at}] + events

    def _classified(self, event: Dict[str, Any]) -> Dict[str, Any]:
        parse_data = dict(event.get("parse_data") or {})
        if (parse_data.get("intent") or {}).get("name") or not event.get("text"):
            return event
        parsed = self.parse(event["text"])
        for key in ("intent", "entities", "intent_ranking"):
            if key in parsed:
                parse_data[key] = parsed[key]
        return {**event, "parse_data": parse_data}

    def actions_instance(self, *, last_seen: bool = False) -> Optional[str]:
        """The instance id of the action server answering its health check now, None when it does not answer.

        "" when no address is configured (nothing to check) or the server names no instance. `last_seen`: the
        id this process saw last, when it has seen one (no request)."""
        if not self.action_endpoint_url:
            return ""
        health = self.action_endpoint_url.rstrip("/").rsplit("/", 1)[0] + "/health"
        if last_seen and health in _INSTANCES_SEEN:
            return _INSTANCES_SEEN[health]
        try:
            response = requests.get(health, timeout=2)
        except requests.RequestException:
            return None
        if response.status_code != 200:
            return None
        _INSTANCES_SEEN[health] = response.headers.get(ACTIONS_INSTANCE_HEADER, "")
        return _INSTANCES_SEEN[health]

    def answered_turn(self, sender_id: str, message_id: str) -> Optional[List[Dict[str, Any]]]:
        """What the bot said in the turn of provider message `message_id`, when Rasa's tracker holds that turn.

        Rasa saves a turn before it answers the HTTP request: killed in between, it kept a turn whose answer
        never arrived. None when the tracker holds no such turn (or only one rewound by `undo_turn`); else the
        turn's replies in the REST channel's shape ([] for a turn that said nothing)."""
        from hotline.privacy import mask_personal

        # The tracker store masks long digit runs in what it keeps, metadata included (bot/stores.py).
        wanted = {message_id, mask_personal(message_id)}
        events = self._tracker(sender_id, include_events="APPLIED").get("events") or []
        for index in range(len(events) - 1, -1, -1):
            if _said_id(events[index]) in wanted:
                break
        else:
            return None
        replies = []
        for event in events[index + 1:]:
            if event.get("event") == "user":
                break
            if event.get("event") == "bot":
                data = event.get("data") or {}
                reply: Dict[str, Any] = {"recipient_id": sender_id, "text": event.get("text")}
                if data.get("buttons"):
                    reply["buttons"] = data["buttons"]
                replies.append(reply)
        return replies

    def _tracker(self, sender_id: str, **params: str) -> Dict[str, Any]:
        try:
            response = requests.get(f"{self.base_url}/conversations/{quote(sender_id, safe='')}/tracker",
                                    params=params, headers={**self.headers(), CONVERSATION_HEADER: sender_id},
                                    timeout=self.timeout)
        except requests.RequestException as error:
            raise RasaUnavailable(str(error)) from error
        if response.status_code != 200:
            raise RasaUnavailable(f"Rasa answered HTTP {response.status_code}", response.status_code)
        return response.json()

    def turn_closed(self, sender_id: str) -> bool:
        """Whether the conversation's last turn ended listening (`action_listen`), as every finished turn does.

        A turn whose actions all failed stops at Rasa's prediction limit without it."""
        body = self._tracker(sender_id)
        if body.get("paused"):
            return True  # a paused conversation records the message and answers nothing, by design
        events = body.get("events") or []
        return bool(events) and events[-1].get("event") == "action" and events[-1].get("name") == "action_listen"

    def undo_turn(self, sender_id: str, message_id: str) -> None:
        """Take the conversation's last user message, and what followed it, back out of Rasa's tracker.

        The rewind names the provider message id it took back (Rasa's own fallback rewinds name none). The
        `action_listen` before it closes the failed turn: Rasa counts the actions since the last
        `action_listen` in the raw event list, rewound or not, and a turn that ended at its limit of
        predictions (every action failing) would otherwise stop each later turn before it starts."""
        self.append_events(sender_id, [{"event": "action", "name": "action_listen"},
                                       {"event": "rewind", "metadata": {"undone_message_id": message_id}}])

    def execute(self, sender_id: str, action: str) -> List[Dict[str, Any]]:
        """Run one action in a conversation (the bot speaking first); returns what it said."""
        body = self._post(f"/conversations/{quote(sender_id, safe='')}/execute",
                          {"name": action}, conversation=sender_id)
        return list(body.get("messages") or [])
