"""Right after a commit, deliver what it put in the outbox for one conversation; the timed job retries the rest."""
from __future__ import annotations

import logging

from flask import current_app

from hotline.conversations import notices, outbox
from hotline.rasa_client import RasaClient
from hotline.web.extensions import db, settings

logger = logging.getLogger(__name__)


def rasa_client() -> RasaClient:
    config = settings()
    return RasaClient.from_settings(config)


def deliver_now(recipient: str) -> None:
    """Best effort: a failure here is logged and left to `hotline jobs run-handoffs`, which retries."""
    from integrations import senders

    try:
        outbox.deliver_due(current_app.extensions["hotline.sessions"], rasa_client(),
                           senders=senders(settings(), current_app.extensions["hotline.sessions"]),
                           recipient=recipient)
    except Exception:  # noqa: BLE001 - the rows stay in the outbox
        logger.exception("delivery to a conversation deferred to the job")


def deliver_case(case) -> None:
    """After a commit that changed `case`: what it queued for the citizen goes out now, on the case's own
    conversation and on the number its notices go to (hotline.conversations.notices.address)."""
    recipients = []
    if case.sender_id:
        recipients.append(case.sender_id)
    try:
        where = notices.address(db(), case)
    except Exception:  # noqa: BLE001 - the job delivers what this misses
        logger.exception("no notice address for case %s", case.number)
        where = None
    if where is not None and where[1] not in recipients:
        recipients.append(where[1])
    for recipient in recipients:
        deliver_now(recipient)
