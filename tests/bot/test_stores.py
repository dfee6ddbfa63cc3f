"""The scale-out stores, tested against the real PostgreSQL and Redis on this machine."""
from __future__ import annotations

import asyncio
import uuid

import pytest
from rasa.core.lock_store import InMemoryLockStore, RedisLockStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.stores import EnvLockStore, EnvSQLTrackerStore

REDIS_URL = "redis://127.0.0.1:6379/1"


def test_in_memory_locks_by_default(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("SANIC_WORKERS", raising=False)
    assert isinstance(EnvLockStore(), InMemoryLockStore)


def test_several_workers_without_redis_is_refused(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("SANIC_WORKERS", "2")
    with pytest.raises(ValueError, match="REDIS_URL"):
        EnvLockStore()


def test_redis_lock_store_serialises_one_conversation(monkeypatch):
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("REDIS_LOCK_PREFIX", f"test{uuid.uuid4().hex[:6]}")
    store = EnvLockStore()
    assert isinstance(store, RedisLockStore)
    conversation = f"c-{uuid.uuid4().hex[:8]}"
    order = []

    async def turn(name, hold):
        async with store.lock(conversation, wait_time_in_seconds=0.01):
            order.append(f"{name}-in")
            await asyncio.sleep(hold)
            order.append(f"{name}-out")

    async def both():
        await asyncio.gather(turn("a", 0.2), turn("b", 0.0))

    asyncio.run(both())
    # The second turn waited for the first: the two never interleave.
    assert order in (["a-in", "a-out", "b-in", "b-out"], ["b-in", "b-out", "a-in", "a-out"])


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_tracker_store_round_trip(kind, request, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'tracker.db'}" if kind == "sqlite" else request.getfixturevalue("postgres_url")
    monkeypatch.setenv("TRACKER_STORE_URL", url)
    domain = Domain.from_dict({"intents": ["greet"]})
    store = EnvSQLTrackerStore(domain=domain)
    tracker = DialogueStateTracker.from_events("citizen-7", [UserUttered("你好", {"name": "greet", "confidence": 1.0})])
    asyncio.run(store.save(tracker))
    again = asyncio.run(store.retrieve("citizen-7"))
    assert [e.text for e in again.events if isinstance(e, UserUttered)] == ["你好"]
    store.engine.dispose()
