"""Channel adapters: each parses and verifies its provider's request, calls the inbox, renders the provider's reply."""
from __future__ import annotations

import logging
from typing import Dict, List

from flask import Flask

from hotline.config import Settings
from hotline.web.extensions import settings

logger = logging.getLogger(__name__)


def missing_settings(settings: Settings) -> Dict[str, List[str]]:
    """For each provider channel, the environment variables it still needs (empty: it is served)."""
    need = {
        "wechat": {"WECHAT_TOKEN": settings.wechat_token, "WECHAT_APPID": settings.wechat_appid,
                   "WECHAT_SECRET": settings.wechat_secret},
        "twilio_sms": {"TWILIO_ACCOUNT_SID": settings.twilio_account_sid,
                       "TWILIO_AUTH_TOKEN": settings.twilio_auth_token, "TWILIO_NUMBER": settings.twilio_number,
                       "PUBLIC_BASE_URL": settings.public_base_url},
        "twilio_voice": {"TWILIO_AUTH_TOKEN": settings.twilio_auth_token,
                         "PUBLIC_BASE_URL": settings.public_base_url},
    }
    return {channel: [name for name, value in values.items() if not value] for channel, values in need.items()}


def configured(channel: str) -> Settings:
    """The settings, inside a request to `channel`'s webhook; 404 when the channel is off."""
    from flask import abort

    config = settings()
    if missing_settings(config)[channel]:
        abort(404)
    return config


def init_app(app: Flask, settings: Settings) -> None:
    """Mount every channel; one whose settings are missing answers 404, and the log says so now."""
    from integrations import twilio_sms, twilio_voice, webchat, wechat

    app.register_blueprint(webchat.bp)
    app.register_blueprint(twilio_sms.bp)
    app.register_blueprint(twilio_voice.bp)
    app.register_blueprint(wechat.bp)
    for channel, names in missing_settings(settings).items():
        if names:
            logger.warning("channel %s is off (its webhooks answer 404): set %s", channel, ", ".join(names))
        else:
            logger.info("channel %s is on", channel)


def senders(settings: Settings, sessions=None):
    """The push channels this process can send on, by outbox channel name (WeChat needs `sessions`)."""
    from integrations import twilio_sms, wechat

    found = {}
    if not missing_settings(settings)["twilio_sms"]:
        found["sms"] = twilio_sms.sender(settings)
    if sessions is not None and not missing_settings(settings)["wechat"]:
        found["wechat"] = wechat.sender(settings, sessions)
    return found


def post_once(url: str, **kwargs):
    """POST to a provider; a failure that proves nothing was sent is raised as is (retried), any other as Ambiguous."""
    import requests
    from urllib3.exceptions import NewConnectionError

    from hotline.conversations.outbox import Ambiguous

    try:
        return requests.post(url, **kwargs)
    except requests.exceptions.ConnectTimeout:
        raise
    except requests.exceptions.ConnectionError as error:
        reason = getattr(error.args[0], "reason", None) if error.args else None
        if isinstance(reason, NewConnectionError):
            raise
        raise Ambiguous(f"the provider's answer was lost: {error}") from error
    except requests.exceptions.Timeout as error:
        raise Ambiguous(f"the provider did not answer in time: {error}") from error
