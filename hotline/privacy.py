"""What personal data looks like once it is no longer needed in clear: the one masking function, for reuse."""
from __future__ import annotations

import hashlib
import hmac
from typing import Optional

from hotline.triage.entities import mask_pii


def mask(text: Optional[str]) -> str:
    """The text with phone numbers (139****5678), ID numbers and other long digit runs masked.

    Pure: same input, same output, no state. The rules (which numbers count,
    how much of each is kept) live with the entity extractor that finds them,
    `hotline.triage.entities.mask_pii`; this is their public home for stores
    and logs outside the case service.
    """
    return mask_pii(text or "")


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
