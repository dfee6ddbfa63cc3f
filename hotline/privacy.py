"""Personal data kept out of what we store without consent: one masking function, for texts, JSON, log lines and addresses."""
from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any, Optional


def mask_personal(text: Optional[str]) -> str:
    """The text with phone numbers (139****5678), ID numbers and other long digit runs masked.

    Pure: same input, same output, no state. The rules (which numbers count,
    how much of each is kept) live with the entity extractor that finds them,
    `hotline.triage.entities.mask_pii`; this is their public home for stores
    and logs outside the case service.
    """
    from hotline.triage.entities import mask_pii

    return mask_pii(text or "")


def mask_value(value: Any) -> Any:
    """Every string inside a JSON-like value masked; other values unchanged."""
    if isinstance(value, str):
        return mask_personal(value) if any(ch.isdigit() for ch in value) else value
    if isinstance(value, list):
        return [mask_value(v) for v in value]
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    return value


def mask_address(address: str) -> str:
    """A provider's user id for a log line: a phone in E.164 keeps its country code and last four digits."""
    if address.startswith("+") and address[1:].isdigit() and len(address) > 8:
        return address[:3] + "*" * (len(address) - 7) + address[-4:]
    return address[:4] + "…" if len(address) > 8 else address


def client_key(secret: str, address: Optional[str]) -> Optional[str]:
    """A keyed hash of a network address: the same client is recognised without storing its address."""
    if not address:
        return None
    return hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]


class MaskingFilter(logging.Filter):
    """A log filter: the formatted message is masked, so no log line carries a citizen's number in clear."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format is logging's own business
            return True
        masked = mask_personal(message) if any(ch.isdigit() for ch in message) else message
        if masked != message:
            record.msg, record.args = masked, None
        return True


def mask_logs(logger: logging.Logger = None) -> None:
    """Install the masking filter on the handlers of `logger` (the root logger by default)."""
    logger = logger or logging.getLogger()
    for handler in logger.handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
