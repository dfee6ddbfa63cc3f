"""Right after a commit, deliver what it put in the outbox for one conversation; the timed job retries the rest."""
from __future__ import annotations

import logging

from flask import current_app

from hotline.conversations import outbox
from hotline.rasa_client import RasaClient
from hotline.web import settings

logger = logging.getLogger(__name__)


def deliver_now(recipient: str) -> None:
    """Best effort: a failure here is logged and left to `hotline jobs run-handoffs`, which retries."""
    config = settings()
    try:
        outbox.deliver_due(current_app.extensions["hotline.sessions"],
                           RasaClient(config.rasa_url, config.rasa_token, config.rasa_timeout_seconds),
                           recipient=recipient)
    except Exception:  # noqa: BLE001 - the rows stay in the outbox
        logger.exception("delivery to conversation %s deferred to the job", recipient)
