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
from hotline.web import db, settings
from hotline.web.errors import json_error
from hotline.web.rasa_client import RasaClient, RasaUnavailable

logger = logging.getLogger(__name__)
bp = Blueprint("chat", __name__)

CHANNEL = "webchat"
ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
MAX_TEXT = 2000
# A delivery still marked "processing" after this long died with its worker.
STALE_AFTER = dt.timedelta(seconds=90)


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
    return {"sender_id": sender_id, "message_id": message_id, "text": text.strip()}, None


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
    return jsonify({"message_id": inbound.message_id, "replies": replies})


def _reply(raw: Dict[str, Any]) -> Dict[str, Any]:
    reply: Dict[str, Any] = {"text": raw.get("text") or ""}
    if raw.get("buttons"):
        reply["buttons"] = [{"title": b.get("title"), "payload": b.get("payload")} for b in raw["buttons"]]
    return reply
