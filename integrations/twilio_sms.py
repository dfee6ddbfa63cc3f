"""SMS through Twilio: signed inbound webhooks into the inbox, replies out through the outbox, delivery reports.

Twilio signs each webhook (`X-Twilio-Signature`: HMAC-SHA1 of the URL it
called plus the sorted form fields, keyed with the auth token). The URL is
rebuilt from PUBLIC_BASE_URL, not from the request, because behind a
reverse proxy the address we see is not the one Twilio called. The
webhook answers empty TwiML at once: the replies leave through the outbox
(Messages API), each with a StatusCallback that reports sent, delivered or
failed back to `/integrations/twilio/status`.
"""
from __future__ import annotations

import logging
import re
from typing import Optional

from flask import Blueprint, Response, request
from twilio.request_validator import RequestValidator

from hotline.config import Settings
from hotline.conversations import inbox, outbox
from hotline.web.extensions import db
from hotline.web.delivery import deliver_now, rasa_client
from hotline.web.errors import json_error
from integrations import configured, post_once

logger = logging.getLogger(__name__)
bp = Blueprint("twilio_sms", __name__, url_prefix="/integrations/twilio")

CHANNEL = "sms"
MESSAGE_SID = re.compile(r"^(SM|MM)[0-9a-fA-F]{32}$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
STATUS_PATH = "/integrations/twilio/status"
SEND_TIMEOUT = (5, 20)  # connect, read (seconds)



def signed_url(config: Settings) -> str:
    """The URL Twilio called, as Twilio saw it."""
    query = request.query_string.decode("latin-1")
    return f"{config.public_base_url}{request.path}" + (f"?{query}" if query else "")


def verified(config: Settings) -> Optional[Response]:
    """None when the request carries Twilio's valid signature; else the 403 to answer."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not RequestValidator(config.twilio_auth_token).validate(signed_url(config), request.form,
                                                                                   signature):
        logger.warning("Twilio webhook %s refused: signature %s", request.path, "wrong" if signature else "missing")
        return json_error(403, "invalid_signature", "请求签名无效。")
    return None


def twiml(body: str = EMPTY_TWIML) -> Response:
    return Response(body, mimetype="text/xml")


def signed_request(channel: str = "twilio_sms"):
    """(settings, None) for a configured channel and a request Twilio signed; (settings, the 403) otherwise."""
    config = configured(channel)
    return config, verified(config)


@bp.post("/sms")
def inbound():
    config, refused = signed_request()
    if refused is not None:
        return refused
    sid, sender = request.form.get("MessageSid", ""), request.form.get("From", "")
    if not MESSAGE_SID.match(sid) or not E164.match(sender):
        return json_error(400, "invalid_message", "短信格式不对：缺少 MessageSid 或发送号码。")
    media_count = request.form.get("NumMedia", "0")
    media = {"type": "mms", "count": int(media_count)} if media_count.isdigit() and int(media_count) else None
    session = db()
    try:
        received = inbox.receive(session, CHANNEL, sid, sender, request.form.get("Body", ""), media)
    except inbox.SenderMismatch:
        return json_error(409, "message_conflict", "短信标识冲突。")
    inbox.process(session, rasa_client(), received.message)
    session.commit()
    deliver_now(sender)
    return twiml()


@bp.post("/status")
def status():
    """A delivery report for one of our messages: queued, sent, delivered, undelivered or failed."""
    _, refused = signed_request()
    if refused is not None:
        return refused
    sid = request.form.get("MessageSid", "")
    state = request.form.get("MessageStatus", "")
    if not MESSAGE_SID.match(sid) or not state.isalpha():
        return json_error(400, "invalid_status", "状态回调格式不对。")
    session = db()
    row = outbox.record_provider_status(session, sid, state.lower(), request.form.get("ErrorCode") or None)
    session.commit()
    if row is None:
        logger.info("Twilio status %s for a message we do not know (%s)", state, sid)
    return Response(status=204)


def sender(config: Settings):
    """Send one outbox row as an SMS through the Messages API; returns Twilio's MessageSid."""
    url = f"{config.twilio_api_base}/2010-04-01/Accounts/{config.twilio_account_sid}/Messages.json"

    def send(row) -> str:
        form = {"To": row.recipient, "From": config.twilio_number, "Body": row.text or "",
                "StatusCallback": f"{config.public_base_url}{STATUS_PATH}"}
        response = post_once(url, data=form, auth=(config.twilio_account_sid, config.twilio_auth_token),
                             timeout=SEND_TIMEOUT)
        if response.status_code == 429 or response.status_code >= 500:
            raise RuntimeError(f"Twilio answered HTTP {response.status_code}: {response.text[:200]}")
        if response.status_code >= 400:
            raise outbox.Undeliverable(f"Twilio refused the message (HTTP {response.status_code}): "
                                       f"{response.text[:300]}")
        return str(response.json().get("sid") or "")[:64]

    return send
