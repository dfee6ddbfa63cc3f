"""Phone and ID numbers: masked in Rasa's tracker store once no form needs them, and in log lines."""
from __future__ import annotations

import asyncio
import logging

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.stores import EnvSQLTrackerStore
from hotline.privacy import MaskingFilter, mask_personal

PHONE, ID_NUMBER = "13812345678", "11010519491231002X"
SAID = f"邻居天天吵，我电话{PHONE}，身份证{ID_NUMBER}"
DOMAIN = Domain.from_dict({"intents": ["report_dispute"], "forms": {"dispute_form": {"required_slots": []}},
                           "slots": {"contact_phone": {"type": "text", "mappings": [{"type": "custom"}]}}})


def _store(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    return EnvSQLTrackerStore(domain=DOMAIN)


def _raw(store):
    with store.session_scope() as session:
        return " ".join(row.data for row in session.query(store.SQLEvent).all())


def _turn(text):
    return UserUttered(text, {"name": "report_dispute", "confidence": 1.0},
                       [{"entity": "phone", "value": PHONE, "start": 0, "end": 11}])


def test_numbers_are_masked_once_no_form_is_active(tmp_path, monkeypatch):
    store = _store(tmp_path, monkeypatch)
    tracker = DialogueStateTracker.from_events("c1", [_turn(SAID), ActiveLoop("dispute_form"),
                                                      SlotSet("contact_phone", PHONE)], slots=DOMAIN.slots)
    asyncio.run(store.save(tracker))
    # While the form collects the report, the turns stay as said: the form reads them back.
    assert PHONE in _raw(store)
    tracker.update(ActiveLoop(None))
    asyncio.run(store.save(tracker))
    raw = _raw(store)
    assert PHONE not in raw and ID_NUMBER not in raw and "138****5678" in raw
    again = asyncio.run(store.retrieve("c1"))
    assert again.get_slot("contact_phone") == "138****5678"
    assert "138****5678" in [e.text for e in again.events if isinstance(e, UserUttered)][0]
    store.engine.dispose()


def test_other_conversations_are_left_alone(tmp_path, monkeypatch):
    store = _store(tmp_path, monkeypatch)
    asyncio.run(store.save(DialogueStateTracker.from_events("busy", [_turn(SAID), ActiveLoop("dispute_form")])))
    asyncio.run(store.save(DialogueStateTracker.from_events("done", [_turn(f"我电话{PHONE}")])))
    with store.session_scope() as session:
        by_sender = {row.sender_id: row.data for row in session.query(store.SQLEvent).all()
                     if row.type_name == "user"}
    assert PHONE in by_sender["busy"] and PHONE not in by_sender["done"]
    store.engine.dispose()


def test_log_lines_are_masked(caplog):
    logger = logging.getLogger("hotline.test.privacy")
    logger.addFilter(MaskingFilter())
    with caplog.at_level(logging.INFO, logger="hotline.test.privacy"):
        logger.info("message from %s: %s", "web-1", SAID)
    assert PHONE not in caplog.text and ID_NUMBER not in caplog.text and mask_personal(SAID) in caplog.text


def test_a_message_copied_to_the_tracker_later_is_masked_like_a_turn(tmp_path, monkeypatch):
    """A held message's copy queued while Rasa was down (inbox._while_handed_off) is stored by the same path."""
    from rasa.shared.core.events import Event

    from hotline.rasa_client import user_event

    store = _store(tmp_path, monkeypatch)
    copy = Event.from_parameters(user_event(SAID, {"channel": "sms", "message_id": "SM1"}, 1_700_000_000.0))
    asyncio.run(store.save(DialogueStateTracker.from_events("c1", [copy])))
    raw = _raw(store)
    assert PHONE not in raw and ID_NUMBER not in raw and "138****5678" in raw and "SM1" in raw
    store.engine.dispose()
