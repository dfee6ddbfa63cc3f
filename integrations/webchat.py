"""Our own web chat as a channel: the conversation credential the server issues, and the page's message API.

The conversation id is chosen by the server (random, 144 bits), signed with
the application's secret and kept in an HttpOnly cookie, so a page can
neither pick nor read it and nobody can guess one: a request without a valid
cookie starts a new conversation (posting) or is refused (reading). The
body's `sender_id` of older pages is ignored. Each message also records a
keyed hash of the client's address, so limits on guessing (case look-ups)
hold per client, not per conversation id a client could throw away.
"""
from __future__ import annotations

import re
import secrets
from typing import Any, Dict, Optional, Tuple

from flask import Blueprint, Response, current_app, jsonify, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from hotline.conversations import handoff as handoffs
from hotline.conversations import inbox, outbox
from hotline.privacy import client_key
from hotline.web.extensions import db
from hotline.web.delivery import rasa_client
from hotline.web.errors import json_error

bp = Blueprint("webchat", __name__)

CHANNEL = "webchat"
COOKIE = "hotline_chat"
SALT = "hotline.webchat.conversation"
MAX_AGE = 30 * 24 * 3600  # a citizen may come back to a case's conversation within a month
ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
MAX_TEXT = inbox.MAX_TEXT
MAX_AFTER = 2**62
QUEUED_NOTICE = "系统繁忙，您的消息已保存。系统恢复后会自动回复您，无需重复发送。"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def conversation_id() -> Optional[str]:
    """The conversation the request's cookie proves, or None (absent, forged, expired)."""
    raw = request.cookies.get(COOKIE)
    if not raw or len(raw) > 512:
        return None
    try:
        value = _serializer().loads(raw, max_age=MAX_AGE)
    except BadSignature:
        return None
    return value if isinstance(value, str) and ID_PATTERN.match(value) else None


def new_conversation_id() -> str:
    return "w" + secrets.token_urlsafe(18)


def set_cookie(response: Response, conversation: str) -> Response:
    response.set_cookie(COOKIE, _serializer().dumps(conversation), max_age=MAX_AGE, httponly=True, samesite="Lax",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")), path="/chat")
    return response


def ensure_conversation(response: Response) -> Response:
    """The chat page gives a new visitor a conversation at once (so the first message needs no round trip)."""
    if conversation_id() is None:
        set_cookie(response, new_conversation_id())
    return response


def _client() -> Optional[str]:
    return client_key(current_app.secret_key, request.remote_addr)


def _validated(payload: Any) -> Tuple[Dict[str, str], Any]:
    if not isinstance(payload, dict):
        return {}, json_error(400, "invalid_json", "请求格式不对：需要 JSON 对象。")
    message_id = payload.get("message_id")
    text = payload.get("text")
    if not isinstance(message_id, str) or not ID_PATTERN.match(message_id):
        return {}, json_error(400, "invalid_message_id", "消息标识无效，请刷新页面后再试。")
    if not isinstance(text, str) or not text.strip():
        return {}, json_error(400, "empty_text", "消息不能为空。")
    if len(text) > MAX_TEXT:
        return {}, json_error(400, "text_too_long", f"消息太长了，请分几次发送（每条不超过{MAX_TEXT}字）。")
    return {"message_id": message_id, "text": text}, None


def _reply_json(row) -> Dict[str, Any]:
    reply: Dict[str, Any] = {"seq": row.id, "text": row.text or ""}
    if row.payload and row.payload.get("buttons"):
        reply["buttons"] = row.payload["buttons"]
    return reply


@bp.post("/chat/api/messages")
def send_message():
    data, error = _validated(request.get_json(silent=True))
    if error is not None:
        return error
    conversation = conversation_id()
    issued = conversation is None
    if issued:
        conversation = new_conversation_id()
    session = db()
    try:
        received = inbox.receive(session, CHANNEL, data["message_id"], conversation, data["text"], client=_client())
    except inbox.SenderMismatch:
        return json_error(409, "message_id_conflict", "消息标识冲突，请刷新页面后再试。")
    outcome = inbox.process(session, rasa_client(), received.message)
    if outcome.state == "busy":
        return json_error(409, "in_progress", "这条消息正在处理，请稍候。")
    inbox.mark_sent(session, outcome.replies)
    session.commit()
    body: Dict[str, Any] = {"message_id": data["message_id"], "replies": [_reply_json(r) for r in outcome.replies],
                            "handoff": _handoff_state(session, conversation)}
    status = 200
    if received.duplicate:
        body["duplicate"] = True
    if outcome.state == "queued":
        body["queued"], status = True, 202
        body["replies"].append({"text": QUEUED_NOTICE})
    response = jsonify(body)
    response.status_code = status
    return set_cookie(response, conversation) if issued else response


def _handoff_state(session, sender_id: str):
    handoff = handoffs.open_for(session, CHANNEL, sender_id)
    if handoff is None:
        return None
    who = handoff.accepted_by.display_name or handoff.accepted_by.username if handoff.accepted_by else None
    return {"status": handoff.status, "case_number": handoff.case.number, "mediator": who}


@bp.get("/chat/api/messages")
def poll_messages():
    """What people (and the bot, answering later or speaking first) sent this conversation since `after`."""
    conversation = conversation_id()
    if conversation is None:
        return json_error(401, "no_conversation", "对话已过期或不存在，请刷新页面后重新开始。")
    try:
        after = min(MAX_AFTER, max(0, int(request.args.get("after", "0"))))
    except ValueError:
        return json_error(400, "invalid_after", "参数 after 应为整数。")
    session = db()
    rows = outbox.feed(session, CHANNEL, conversation, after)
    session.commit()
    messages = [{"from": r.author or "bot", "author": r.author_name, **_reply_json(r)} for r in rows]
    last = rows[-1].id if rows else max(after, outbox.last_id(session, CHANNEL, conversation))
    return jsonify({"messages": messages, "last_seq": last, "handoff": _handoff_state(session, conversation)})
