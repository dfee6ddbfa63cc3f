"""Settings of one process, read once from the environment."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Deadlines by urgency (docs/DOMAIN.md: emergency 2 hours, general 7 days, complex 15 days).
DEFAULT_DEADLINE_HOURS: Mapping[str, float] = {"emergency": 2.0, "general": 7 * 24.0, "complex": 15 * 24.0}


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///var/hotline.db"
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: Optional[str] = None
    secret_key: Optional[str] = None
    deadline_hours: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_DEADLINE_HOURS))
    rasa_timeout_seconds: float = 30.0
    # The action server's webhook as Rasa calls it (endpoints.yml): its /health tells a lost turn from a silent one.
    action_endpoint_url: Optional[str] = None
    # How long a citizen waits for a person before the bot says so and offers a call-back
    # (GB/T 33358-2016: online messages answered within 3 minutes).
    handoff_wait_seconds: float = 180.0
    # Channels (integrations/): a channel whose settings are missing is not served (404).
    public_base_url: Optional[str] = None  # the address the providers call, as they see it (behind a proxy)
    wechat_token: Optional[str] = None
    wechat_appid: Optional[str] = None
    wechat_secret: Optional[str] = None
    wechat_aes_key: Optional[str] = None
    wechat_api_base: str = "https://api.weixin.qq.com"
    twilio_account_sid: Optional[str] = None
    twilio_auth_token: Optional[str] = None
    twilio_number: Optional[str] = None
    twilio_api_base: str = "https://api.twilio.com"
    # The number a phone call is transferred to when the caller asks for a person (duty mediator or operator).
    duty_phone: Optional[str] = None
    # Shared store for rate limits across web workers (memory of one process when unset).
    redis_url: Optional[str] = None
    # Session cookies only over HTTPS; COOKIE_SECURE=0 for plain local HTTP (make run on 127.0.0.1).
    cookie_secure: bool = True

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "Settings":
        env = os.environ if env is None else env
        hours = {
            "emergency": float(env.get("DEADLINE_EMERGENCY_HOURS", DEFAULT_DEADLINE_HOURS["emergency"])),
            "general": float(env.get("DEADLINE_GENERAL_DAYS", DEFAULT_DEADLINE_HOURS["general"] / 24)) * 24,
            "complex": float(env.get("DEADLINE_COMPLEX_DAYS", DEFAULT_DEADLINE_HOURS["complex"] / 24)) * 24,
        }
        return cls(
            database_url=env.get("DATABASE_URL") or cls.database_url,
            rasa_url=(env.get("RASA_URL") or f"http://127.0.0.1:{env.get('RASA_PORT', '5005')}").rstrip("/"),
            rasa_token=env.get("RASA_TOKEN") or None,
            secret_key=env.get("SECRET_KEY") or None,
            deadline_hours=hours,
            rasa_timeout_seconds=float(env.get("RASA_TIMEOUT_SECONDS", 30)),
            action_endpoint_url=env.get("ACTION_ENDPOINT_URL") or None,
            handoff_wait_seconds=float(env.get("HANDOFF_WAIT_SECONDS", 180)),
            public_base_url=(env.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
            wechat_token=env.get("WECHAT_TOKEN") or None,
            wechat_appid=env.get("WECHAT_APPID") or None,
            wechat_secret=env.get("WECHAT_SECRET") or None,
            wechat_aes_key=env.get("WECHAT_AES_KEY") or None,
            wechat_api_base=(env.get("WECHAT_API_BASE") or cls.wechat_api_base).rstrip("/"),
            twilio_account_sid=env.get("TWILIO_ACCOUNT_SID") or None,
            twilio_auth_token=env.get("TWILIO_AUTH_TOKEN") or None,
            twilio_number=env.get("TWILIO_NUMBER") or None,
            twilio_api_base=(env.get("TWILIO_API_BASE") or cls.twilio_api_base).rstrip("/"),
            duty_phone=env.get("DUTY_PHONE") or None,
            redis_url=env.get("REDIS_URL") or None,
            cookie_secure=env.get("COOKIE_SECURE", "1").strip().lower() not in ("0", "false", "no", "off"),
        )
