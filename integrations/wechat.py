"""WeChat Official Account (公众号) server messages: verified, de-duplicated, answered within WeChat's 5 seconds.

WeChat posts each message to `/integrations/wechat`, waits 5 s for the
answer and otherwise retries, three times in all, sometimes while the first
request still runs. So:

- every request is verified (`signature`; in safe mode also
  `msg_signature`) before its body is parsed; XML with a DOCTYPE or
  entities is refused;
- the message is stored through the inbox keyed by MsgId (events:
  FromUserName + CreateTime), so the original and its retries, even
  concurrent ones on different workers, make one bot turn;
- the turn runs in a worker thread; what is ready within `ANSWER_WITHIN`
  goes back as the passive reply; otherwise WeChat gets "success" at once
  and the replies follow through the customer-service message API;
- which path sends a reply is decided by a conditional UPDATE on its outbox
  row, so no reply leaves twice;
- a customer-service send refused with 45015 (the citizen wrote more than
  48 hours ago) is not retried: it becomes a failed delivery in the case's
  history for a person to call the citizen.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import Dict, List, Optional

import requests
from flask import Blueprint, Response, current_app, request
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from hotline.cases.models import ChannelToken, InboundMessage, OutboxMessage, utcnow
from hotline.config import Settings
from hotline.conversations import inbox, outbox
from hotline.privacy import mask_address
from hotline.web.delivery import rasa_client
from hotline.web.errors import json_error
from integrations import configured, post_once
from integrations.wechat_crypto import Refused, SafeMode, cdata, parse_xml, signature_ok

logger = logging.getLogger(__name__)
bp = Blueprint("wechat", __name__, url_prefix="/integrations")

CHANNEL = "wechat"
# WeChat gives up after 5 s; what is not ready by then goes through the customer-service API.
ANSWER_WITHIN = 4.0
# A signed request older than this is a replay.
MAX_AGE_SECONDS = 600
PASSIVE_MAX_BYTES = 2000  # WeChat's limit for a passive text reply is 2048 bytes
ACK = "success"
WELCOME_TEXT = ("您好，欢迎关注矛盾纠纷调解热线。请直接用文字告诉我们您遇到的事情，比如“老板拖欠工资”“邻居漏水”；"
                "也可以发语音。如遇打架、持刀威胁等紧急危险，请立即拨打110。")
OUT_OF_WINDOW = 45015  # customer-service message outside the 48-hour window
TOKEN_EXPIRED = (40001, 40014, 42001)



def _fresh(timestamp: str) -> bool:
    return timestamp.isdigit() and abs(time.time() - int(timestamp)) <= MAX_AGE_SECONDS


def _verified(config: Settings) -> Optional[Response]:
    args = request.args
    if not signature_ok(args.get("signature"), config.wechat_token, args.get("timestamp", ""), args.get("nonce", "")):
        logger.warning("WeChat request refused: wrong or missing signature")
        return json_error(403, "invalid_signature", "请求签名无效。")
    if not _fresh(args.get("timestamp", "")):
        return json_error(403, "stale_request", "请求已过期。")
    return None


@bp.get("/wechat")
def verify_server():
    """WeChat's server check: echostr back byte for byte, only to a valid signature."""
    config = configured("wechat")
    args = request.args
    if not signature_ok(args.get("signature"), config.wechat_token, args.get("timestamp", ""), args.get("nonce", "")):
        return json_error(403, "invalid_signature", "请求签名无效。")
    return Response(args.get("echostr", ""), mimetype="text/plain")


def _message(config: Settings) -> Dict[str, str]:
    """The verified, decrypted fields of the request's message (Refused otherwise)."""
    fields = parse_xml(request.get_data(cache=False))
    if request.args.get("encrypt_type") == "aes":
        if not config.wechat_aes_key:
            raise Refused("safe mode without WECHAT_AES_KEY")
        mode = SafeMode(config.wechat_token, config.wechat_aes_key, config.wechat_appid)
        plain = mode.decrypt(fields.get("Encrypt", ""), request.args.get("msg_signature"),
                             request.args.get("timestamp", ""), request.args.get("nonce", ""))
        fields = parse_xml(plain)
    return fields


def _reply_xml(config: Settings, fields: Dict[str, str], text: str) -> Response:
    plain = (f"<xml><ToUserName>{cdata(fields.get('FromUserName', ''))}</ToUserName>"
             f"<FromUserName>{cdata(fields.get('ToUserName', ''))}</FromUserName>"
             f"<CreateTime>{int(time.time())}</CreateTime><MsgType>{cdata('text')}</MsgType>"
             f"<Content>{cdata(text)}</Content></xml>")
    if request.args.get("encrypt_type") == "aes":
        mode = SafeMode(config.wechat_token, config.wechat_aes_key, config.wechat_appid)
        plain = mode.envelope(plain, str(int(time.time())), request.args.get("nonce", ""))
    return Response(plain, mimetype="application/xml")


def _inbound(fields: Dict[str, str]):
    """(provider message id, text, media) for what we answer; None for what needs no answer."""
    kind = fields.get("MsgType", "")
    sender, created = fields.get("FromUserName", ""), fields.get("CreateTime", "")
    if kind == "event":
        if fields.get("Event") == "subscribe":
            return f"event:{sender}:{created}", None, {"type": "subscribe"}
        return None
    message_id = fields.get("MsgId") or f"{kind}:{sender}:{created}"
    if kind == "text":
        return message_id, fields.get("Content", ""), None
    if kind == "voice":
        recognition = (fields.get("Recognition") or "").strip()
        return message_id, recognition or None, {"type": "voice", "recognition": bool(recognition)}
    return message_id, None, {"type": kind or "unknown"}


@bp.post("/wechat")
def receive():
    config = configured("wechat")
    refused = _verified(config)
    if refused is not None:
        return refused
    if (request.content_length or 0) > 64 * 1024:
        return json_error(413, "too_large", "消息太大。")
    try:
        fields = _message(config)
    except Refused as error:
        logger.warning("WeChat message refused: %s", error)
        return json_error(400, "invalid_message", "消息格式不对。")
    parsed = _inbound(fields)
    sender = fields.get("FromUserName", "")
    if parsed is None or not sender or len(sender) > 128:
        return Response(ACK, mimetype="text/plain")
    message_id, text, media = parsed
    sessions: sessionmaker = current_app.extensions["hotline.sessions"]
    with sessions() as session:
        try:
            received = inbox.receive(session, CHANNEL, message_id, sender, text, media)
        except inbox.SenderMismatch:
            return json_error(409, "message_conflict", "消息标识冲突。")
        row_id = received.message.id
    if media and media.get("type") == "subscribe":
        return _answer_subscribe(config, sessions, fields, row_id)
    turn = _Turn(sessions, rasa_client(), row_id, config)
    turn.start()
    if not turn.wait(ANSWER_WITHIN):
        logger.info("WeChat message %s from %s answered later through the customer-service API", message_id,
                    mask_address(sender))
        return Response(ACK, mimetype="text/plain")
    return _passive(config, sessions, fields, row_id)


def _answer_subscribe(config: Settings, sessions: sessionmaker, fields: Dict[str, str], row_id: int) -> Response:
    with sessions() as session:
        row = session.get(InboundMessage, row_id)
        if row.status != "processed":
            reply = outbox.to_citizen(session, channel=CHANNEL, recipient=row.sender_id, text=WELCOME_TEXT)
            row.status, row.processed_at, row.replies = "processed", utcnow(), [{"seq": reply.id, "text": WELCOME_TEXT}]
            session.commit()
    return _passive(config, sessions, fields, row_id)


def _passive(config: Settings, sessions: sessionmaker, fields: Dict[str, str], row_id: int) -> Response:
    """The replies of this message that nobody sent yet, as one passive reply; the rest through the API."""
    with sessions() as session:
        row = session.get(InboundMessage, row_id)
        texts: List[str] = []
        size = 0
        for reply in inbox.replies_of(session, row):
            text = reply.text or ""
            if size + len(text.encode()) + 2 > PASSIVE_MAX_BYTES:
                break
            if _take(session, reply.id):
                texts.append(text)
                size += len(text.encode()) + 2
        session.commit()
        left = any(r.status == "pending" for r in inbox.replies_of(session, row))
    if left:
        threading.Thread(target=_deliver, args=(sessions, config, row.sender_id), daemon=True).start()
    if not texts:
        return Response(ACK, mimetype="text/plain")
    return _reply_xml(config, fields, "\n\n".join(texts))


def _take(session: Session, outbox_id: int) -> bool:
    """Claim one pending reply for the passive answer; False when another path has it."""
    result = session.execute(update(OutboxMessage).where(OutboxMessage.id == outbox_id,
                                                         OutboxMessage.status == "pending")
                             .values(status="sent", sent_at=utcnow(), provider_id="passive")
                             .execution_options(synchronize_session=False))
    return result.rowcount == 1


def _deliver(sessions: sessionmaker, config: Settings, recipient: str) -> None:
    try:
        outbox.deliver_due(sessions, None, senders={CHANNEL: sender(config, sessions)}, recipient=recipient)
    except Exception:  # noqa: BLE001 - the rows stay in the outbox for the job
        logger.exception("WeChat delivery deferred to the job")


class _Turn(threading.Thread):
    """One bot turn off the request thread; replies not taken by the passive answer go through the API."""

    def __init__(self, sessions: sessionmaker, bot, row_id: int, config: Settings) -> None:
        super().__init__(daemon=True)
        self.sessions, self.bot, self.row_id, self.config = sessions, bot, row_id, config
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.abandoned = False

    def run(self) -> None:
        try:
            with self.sessions() as session:
                inbox.process(session, self.bot, session.get(InboundMessage, self.row_id))
        except Exception:  # noqa: BLE001 - the message is stored; the job processes it
            logger.exception("WeChat turn for inbound %s failed; left to the job", self.row_id)
        with self.lock:
            self.done.set()
            late = self.abandoned
        if late:
            with self.sessions() as session:
                recipient = session.get(InboundMessage, self.row_id).sender_id
            _deliver(self.sessions, self.config, recipient)

    def wait(self, seconds: float) -> bool:
        """True when the turn finished in time; otherwise the turn sends its own replies when it finishes."""
        self.done.wait(seconds)
        with self.lock:
            if not self.done.is_set():
                self.abandoned = True
                return False
            return True


# --- the customer-service message API and its access token ---------------------------------------------------


def access_token(sessions: sessionmaker, config: Settings, *, renew: bool = False) -> str:
    """WeChat's access token, shared by every worker through the database.

    Fetched with `stable_token`, which returns the same token to concurrent
    callers (the plain `token` call would invalidate the one other workers
    hold); renewed five minutes before it expires, or when WeChat rejects it.
    """
    now = utcnow()
    with sessions() as session:
        cached = session.get(ChannelToken, CHANNEL)
        if cached is not None and not renew and cached.expires_at > now + dt.timedelta(minutes=5):
            return cached.value
    response = requests.post(f"{config.wechat_api_base}/cgi-bin/stable_token", timeout=(5, 10),
                             json={"grant_type": "client_credential", "appid": config.wechat_appid,
                                   "secret": config.wechat_secret, "force_refresh": False})
    body = response.json() if response.status_code == 200 else {}
    if not body.get("access_token"):
        raise RuntimeError(f"WeChat gave no access token (HTTP {response.status_code}, errcode {body.get('errcode')})")
    expires = now + dt.timedelta(seconds=int(body.get("expires_in") or 7200))
    with sessions() as session:
        cached = session.get(ChannelToken, CHANNEL)
        if cached is None:
            session.add(ChannelToken(name=CHANNEL, value=body["access_token"], expires_at=expires))
        else:
            cached.value, cached.expires_at = body["access_token"], expires
        try:
            session.commit()
        except Exception:  # noqa: BLE001 - another worker stored the same stable token first
            session.rollback()
    return body["access_token"]


def sender(config: Settings, sessions: sessionmaker):
    """Send one outbox row as a customer-service text message; errcode 45015 is final (a person calls)."""

    def send(row) -> Optional[str]:
        for attempt in (0, 1):
            token = access_token(sessions, config, renew=attempt == 1)
            response = post_once(f"{config.wechat_api_base}/cgi-bin/message/custom/send",
                                 params={"access_token": token}, timeout=(5, 20),
                                 json={"touser": row.recipient, "msgtype": "text", "text": {"content": row.text or ""}})
            if response.status_code != 200:
                raise RuntimeError(f"WeChat answered HTTP {response.status_code}")
            code = int(response.json().get("errcode") or 0)
            if code == 0:
                return None
            if code in TOKEN_EXPIRED and attempt == 0:
                continue
            if code == OUT_OF_WINDOW:
                raise outbox.Undeliverable("群众48小时内没有发消息，微信不允许再主动回复（45015），请电话联系群众。")
            raise RuntimeError(f"WeChat refused the message: errcode {code} {response.json().get('errmsg')}")
        raise RuntimeError("WeChat rejected a fresh access token")

    return send

