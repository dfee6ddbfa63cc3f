"""The citizen's web chat: the page, and message delivery that is stored first and never doubled."""
from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any, Dict, Tuple

from flask import Blueprint, jsonify, render_template, request
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from hotline.cases.models import InboundMessage, utcnow
from hotline.cases.service import add_message
from hotline.conversations import handoff as handoffs
from hotline.conversations import outbox
from hotline.conversations.safety import EMERGENCY_TEXT, flag_danger, is_danger
from hotline.rasa_client import RasaClient, RasaUnavailable
from hotline.triage import build_record
from hotline.web import db, settings
from hotline.web.errors import json_error

logger = logging.getLogger(__name__)
bp = Blueprint("chat", __name__)

CHANNEL = "webchat"
ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
MAX_TEXT = 2000
MAX_SEQ = 2**63 - 1
# A delivery still marked "processing" after this long died with its worker.
STALE_AFTER = dt.timedelta(seconds=90)
# Button payloads the bot offers ("/affirm"). Any other text starting with "/" would set an intent
# directly in Rasa (RegexMessageHandler: "/restart" would even end a hand-off), so it is sent as text.
PAYLOADS = re.compile(r"^/(affirm|deny|stop|report_dispute|ask_legal|public_service|check_status|request_human"
                      r"|emergency|out_of_scope)$")


@bp.get("/chat")
def page():
    return render_template("chat.html", title="矛盾纠纷调解热线")


def _validated(payload: Any) -> Tuple[Dict[str, str], Any]:
    if not isinstance(payload, dict):
        return {}, json_error(400, "invalid_json", "请求格式不对：需要 JSON 对象。")
    sender_id = payload.get("sender_id")
    message_id = payload.get("message_id")
    text = payload.get("text")
    if not isinstance(sender_id, str) or not ID_PATTERN.match(sender_id):
        return {}, json_error(400, "invalid_sender", "会话标识无效，请刷新页面后再试。")
    if not isinstance(message_id, str) or not ID_PATTERN.match(message_id):
        return {}, json_error(400, "invalid_message_id", "消息标识无效，请刷新页面后再试。")
    if not isinstance(text, str) or not text.strip():
        return {}, json_error(400, "empty_text", "消息不能为空。")
    if len(text) > MAX_TEXT:
        return {}, json_error(400, "text_too_long", f"消息太长了，请分几次发送（每条不超过{MAX_TEXT}字）。")
    return {"sender_id": sender_id, "message_id": message_id, "text": as_text(text.strip())}, None


def as_text(text: str) -> str:
    """A typed "/command" reaches the bot as words (full-width slash), a button payload as itself."""
    if text.startswith("/") and not PAYLOADS.match(text):
        return "／" + text[1:]
    return text


@bp.post("/chat/api/messages")
def send_message():
    data, error = _validated(request.get_json(silent=True))
    if error is not None:
        return error
    session = db()
    inbound = InboundMessage(channel=CHANNEL, message_id=data["message_id"], sender_id=data["sender_id"],
                             text=data["text"], status="processing")
    try:
        session.add(inbound)
        session.commit()
    except IntegrityError:
        session.rollback()
        inbound = session.execute(
            select(InboundMessage).where(InboundMessage.channel == CHANNEL,
                                         InboundMessage.message_id == data["message_id"])
        ).scalar_one()
        if inbound.sender_id != data["sender_id"]:
            return json_error(409, "message_id_conflict", "消息标识冲突，请刷新页面后再试。")
        if inbound.status == "processed":
            return jsonify({"message_id": inbound.message_id, "replies": inbound.replies or [], "duplicate": True})
        if not _take_over(session, inbound):
            return json_error(409, "in_progress", "这条消息正在处理，请稍候。")
    return _process(session, inbound)


def _take_over(session, inbound: InboundMessage) -> bool:
    """Reprocess a failed or abandoned delivery; only one retry may win."""
    stale_before = utcnow() - STALE_AFTER
    result = session.execute(
        update(InboundMessage)
        .where(
            InboundMessage.id == inbound.id,
            (InboundMessage.status == "failed")
            | ((InboundMessage.status == "processing") & (InboundMessage.received_at < stale_before)),
        )
        .values(status="processing", received_at=utcnow(), error=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def _process(session, inbound: InboundMessage):
    config = settings()
    client = RasaClient(config.rasa_url, config.rasa_token, config.rasa_timeout_seconds)
    handoff = handoffs.citizen_said(session, CHANNEL, inbound.sender_id, inbound.text)
    if handoff is not None:
        return _while_handed_off(session, client, inbound, handoff)
    try:
        raw = client.send(inbound.sender_id, inbound.text, metadata={"channel": CHANNEL,
                                                                     "message_id": inbound.message_id})
    except RasaUnavailable as failure:
        logger.error("message %s from %s kept, Rasa unavailable: %s", inbound.message_id, inbound.sender_id, failure)
        inbound.status, inbound.error = "failed", str(failure)[:1000]
        session.commit()
        return json_error(503, "bot_unavailable", "系统繁忙，您的消息已保存，请稍后点击重试。")
    replies = [_reply(r) for r in raw if r.get("text") or r.get("buttons")]
    inbound.status, inbound.replies, inbound.processed_at = "processed", replies, utcnow()
    session.commit()
    return jsonify({"message_id": inbound.message_id, "replies": replies,
                    "handoff": _handoff_state(session, inbound.sender_id)})


def _while_handed_off(session, client: RasaClient, inbound: InboundMessage, handoff):
    """A person holds the conversation: the message is already in the case's transcript; the bot stays silent.

    Danger is the exception: whoever holds the conversation, the citizen is
    told at once to call 110 (rules over the text, no model needed), and the
    case is raised for the person holding it.
    """
    replies = []
    record = build_record(inbound.text, {"name": "request_human", "confidence": 1.0}, None)
    if is_danger(record):
        flag_danger(session, handoff.case, inbound.text)
        add_message(session, handoff.case, "bot", EMERGENCY_TEXT)
        replies.append({"text": EMERGENCY_TEXT})
    inbound.status, inbound.replies, inbound.processed_at = "processed", replies, utcnow()
    session.commit()
    try:
        # So the bot's tracker has the whole conversation when it takes over again (it answers nothing now).
        client.send(inbound.sender_id, inbound.text, metadata={"channel": CHANNEL, "message_id": inbound.message_id})
    except RasaUnavailable as failure:
        logger.warning("message %s reached the mediator of case %s but not Rasa's tracker: %s", inbound.message_id,
                       handoff.case.number, failure)
    return jsonify({"message_id": inbound.message_id, "replies": replies,
                    "handoff": _handoff_state(session, inbound.sender_id)})


def _handoff_state(session, sender_id: str):
    handoff = handoffs.open_for(session, CHANNEL, sender_id)
    if handoff is None:
        return None
    who = handoff.accepted_by.display_name or handoff.accepted_by.username if handoff.accepted_by else None
    return {"status": handoff.status, "case_number": handoff.case.number, "mediator": who}


@bp.get("/chat/api/messages")
def poll_messages():
    """What people (and the bot, speaking first) sent this conversation since `after`: the page polls this."""
    sender_id = request.args.get("sender_id", "")
    if not ID_PATTERN.match(sender_id):
        return json_error(400, "invalid_sender", "会话标识无效，请刷新页面后再试。")
    try:
        after = max(0, int(request.args.get("after", "0")))
    except ValueError:
        return json_error(400, "invalid_after", "参数 after 应为整数。")
    if after > MAX_SEQ:  # beyond any row id: the database would overflow on it
        return json_error(400, "invalid_after", "参数 after 太大。")
    session = db()
    rows = outbox.feed(session, CHANNEL, sender_id, after)
    session.commit()
    messages = [{"seq": r.id, "from": r.author or "bot", "author": r.author_name, "text": r.text or "",
                 **({"buttons": r.payload["buttons"]} if r.payload and r.payload.get("buttons") else {})}
                for r in rows]
    last = rows[-1].id if rows else max(after, outbox.last_id(session, CHANNEL, sender_id))
    return jsonify({"messages": messages, "last_seq": last, "handoff": _handoff_state(session, sender_id)})


def _reply(raw: Dict[str, Any]) -> Dict[str, Any]:
    reply: Dict[str, Any] = {"text": raw.get("text") or ""}
    if raw.get("buttons"):
        reply["buttons"] = [{"title": b.get("title"), "payload": b.get("payload")} for b in raw["buttons"]]
    return reply
