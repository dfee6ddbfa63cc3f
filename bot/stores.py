"""Tracker store and lock store chosen from the environment, with embedded defaults.

Rasa's endpoint files can only substitute variables that are set, so the
choice between the embedded defaults (SQLite file, in-memory locks) and the
scale-out stores (PostgreSQL, Redis) lives here instead. The tracker store
also masks phone and ID numbers in what it keeps (see EnvSQLTrackerStore).
"""
from __future__ import annotations

import json
import os
from collections import OrderedDict
from typing import Any, Optional, Text
from urllib.parse import urlsplit

from rasa.core.lock_store import InMemoryLockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain

DEFAULT_TRACKER_URL = "sqlite:///var/rasa_tracker.db"


def tracker_store_url() -> Text:
    return os.environ.get("TRACKER_STORE_URL") or DEFAULT_TRACKER_URL


class EnvSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` at `TRACKER_STORE_URL` (default: a SQLite file in var/), keeping no numbers in clear.

    While a form is collecting a report its turns stay as said (the form reads
    them back when it opens the case); once no form is active, every stored
    event of the conversation has its phone and ID numbers masked. The clear
    value then lives only where the citizen consented: the case's own fields.
    """

    # Conversations whose events are masked up to this event id (bounded: a restart just rescans).
    MASKED_CACHE = 10_000

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[Text] = None,
        event_broker: Any = None,
        **kwargs: Any,
    ) -> None:
        url = host or tracker_store_url()
        if url.startswith("sqlite:///"):
            path = url[len("sqlite:///"):]
            if os.path.dirname(path):
                os.makedirs(os.path.dirname(path), exist_ok=True)
            # SQLTrackerStore builds sqlite URLs from `db` itself.
            super().__init__(domain=domain, dialect="sqlite", db=path, event_broker=event_broker, **kwargs)
        else:
            super().__init__(domain=domain, host=url, event_broker=event_broker, **kwargs)
        self._masked_upto: "OrderedDict[str, int]" = OrderedDict()

    async def save(self, tracker: Any) -> None:
        await super().save(tracker)
        if not tracker.active_loop_name:
            self.mask_conversation(tracker.sender_id)

    def mask_conversation(self, sender_id: Text) -> int:
        """Mask the stored events of one conversation; returns how many rows changed."""
        from hotline.privacy import mask_value

        changed, last = 0, self._masked_upto.get(sender_id, 0)
        with self.session_scope() as session:
            rows = (session.query(self.SQLEvent)
                    .filter(self.SQLEvent.sender_id == sender_id, self.SQLEvent.id > last)
                    .order_by(self.SQLEvent.id).all())
            for row in rows:
                last = max(last, row.id)
                if not row.data or not any(ch.isdigit() for ch in row.data):
                    continue
                masked = json.dumps(mask_value(json.loads(row.data)))
                if masked != row.data:
                    row.data, changed = masked, changed + 1
            session.commit()
        self._masked_upto[sender_id] = last
        self._masked_upto.move_to_end(sender_id)
        while len(self._masked_upto) > self.MASKED_CACHE:
            self._masked_upto.popitem(last=False)
        return changed


class EnvLockStore:
    """Redis lock store when `REDIS_URL` is set, else Rasa's in-memory one.

    Several Rasa replicas serving one conversation need the Redis store;
    one process is safe with the in-memory store.
    """

    def __new__(cls, endpoint_config: Any = None) -> Any:  # type: ignore[misc]
        redis_url = os.environ.get("REDIS_URL")
        if not redis_url:
            # Rasa lets any custom lock store run several Sanic workers; in-memory
            # locks are per process, so that would let two workers change one
            # conversation at once.
            if int(os.environ.get("SANIC_WORKERS", "1") or 1) > 1:
                raise ValueError("SANIC_WORKERS > 1 needs REDIS_URL (a shared lock store); unset one of them")
            return InMemoryLockStore()
        parts = urlsplit(redis_url)
        db = parts.path.lstrip("/") or "1"
        return RedisLockStore(
            host=parts.hostname or "localhost",
            port=parts.port or 6379,
            db=int(db),
            username=parts.username,
            password=parts.password,
            use_ssl=parts.scheme == "rediss",
            key_prefix=os.environ.get("REDIS_LOCK_PREFIX", "hotline"),
        )
