"""Channel adapters: each parses and verifies its provider's request, calls the inbox, renders the provider's reply."""
from __future__ import annotations

import logging
from typing import Dict, List

from flask import Flask

from hotline.config import Settings

logger = logging.getLogger(__name__)


def missing_settings(settings: Settings) -> Dict[str, List[str]]:
    """For each provider channel, the environment variables it still needs (empty: it is served)."""
    need = {
        "twilio_sms": {"TWILIO_ACCOUNT_SID": settings.twilio_account_sid,
                       "TWILIO_AUTH_TOKEN": settings.twilio_auth_token, "TWILIO_NUMBER": settings.twilio_number,
                       "PUBLIC_BASE_URL": settings.public_base_url},
    }
    return {channel: [name for name, value in values.items() if not value] for channel, values in need.items()}


def init_app(app: Flask, settings: Settings) -> None:
    """Mount every channel; one whose settings are missing answers 404, and the log says so now."""
    from integrations import twilio_sms, webchat

    app.register_blueprint(webchat.bp)
    app.register_blueprint(twilio_sms.bp)
    for channel, names in missing_settings(settings).items():
        if names:
            logger.warning("channel %s is off (its webhooks answer 404): set %s", channel, ", ".join(names))
        else:
            logger.info("channel %s is on", channel)


def senders(settings: Settings):
    """The push channels this process can send on, by outbox channel name."""
    from integrations import twilio_sms

    found = {}
    if not missing_settings(settings)["twilio_sms"]:
        found["sms"] = twilio_sms.sender(settings)
    return found
