"""Domain events of the case service: each operation tells its listeners what it did, inside its transaction.

Every operation of `hotline.cases.service` that changes a case (open,
register, assign, claim, release, transfer, escalate, overdue, resolve,
evaluate, close, reopen, a warning change) writes one audit entry, a
`CaseEvent`, and publishes it once the operation has finished and flushed:
a listener sees the case as the operation left it and the event with its
id, in the same session. What a listener writes (an outbox row for the
citizen) commits or rolls back with the change that caused it, so a notice
is never sent for a change that was not kept, nor lost for one that was.
A listener's error fails the operation: a change whose notice cannot be
stored is not made.

Listeners subscribe at import. The modules in `SUBSCRIBERS` are imported on
the first publish of every process (web service, action server, timed
jobs), so no process that changes cases can run without them; the case
service itself imports nothing from the layers above it.
"""
from __future__ import annotations

import contextlib
import importlib
import threading
from typing import Callable, Iterator, List

from sqlalchemy.orm import Session

from hotline.cases.models import Case, CaseEvent

Listener = Callable[[Session, Case, CaseEvent], None]

# Loaded on first publish: the citizen's notices (registered, assigned, resolved) through the outbox.
SUBSCRIBERS = ("hotline.conversations.notices",)

_listeners: List[Listener] = []
_loaded = False
_lock = threading.Lock()


def subscribe(listener: Listener) -> Listener:
    """Call `listener(session, case, event)` for every published case event (once, however often subscribed)."""
    with _lock:
        if listener not in _listeners:
            _listeners.append(listener)
    return listener


def unsubscribe(listener: Listener) -> None:
    with _lock:
        if listener in _listeners:
            _listeners.remove(listener)


@contextlib.contextmanager
def subscribed(listener: Listener) -> Iterator[Listener]:
    """A listener for the duration of a block (tests)."""
    subscribe(listener)
    try:
        yield listener
    finally:
        unsubscribe(listener)


def _load_subscribers() -> None:
    global _loaded
    if _loaded:
        return
    for name in SUBSCRIBERS:
        importlib.import_module(name)
    _loaded = True


def publish(session: Session, case: Case, event: CaseEvent) -> None:
    """Tell every listener about `event` (flushed: it has its id) of `case`."""
    _load_subscribers()
    if event.id is None:
        session.flush()
    for listener in list(_listeners):
        listener(session, case, event)


__all__ = ["Listener", "SUBSCRIBERS", "publish", "subscribe", "subscribed", "unsubscribe"]
