"""Personal data kept out of what we store without consent: one masking function, for texts, JSON and log lines."""
from __future__ import annotations

import logging
from typing import Any


def mask_personal(text: str) -> str:
    """The text with phone numbers and ID numbers masked (138****5678, 110101********1234)."""
    from hotline.triage.entities import mask_pii

    return mask_pii(text)


def mask_value(value: Any) -> Any:
    """Every string inside a JSON-like value masked; other values unchanged."""
    if isinstance(value, str):
        return mask_personal(value) if any(ch.isdigit() for ch in value) else value
    if isinstance(value, list):
        return [mask_value(v) for v in value]
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    return value


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
