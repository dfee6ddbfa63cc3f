"""The one inbound path on the real processes: Rasa or the action server stopped and started again."""
from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from hotline.config import PROJECT_ROOT
from hotline.conversations.safety import EMERGENCY_TEXT
from integrations.webchat import QUEUED_NOTICE
from tests.e2e.test_handoff import Citizen

pytestmark = pytest.mark.e2e
BIN = Path(sys.executable).parent


def post(citizen: Citizen, text: str):
    return citizen.browser.post(f"{citizen.stack.web_url}/chat/api/messages", timeout=120,
                                json={"message_id": uuid.uuid4().hex, "text": text})


def test_a_message_sent_while_rasa_is_down_is_answered_after_it_comes_back(stack):
    citizen = Citizen(stack)
    stack.stop_one("rasa")
    try:
        kept = post(citizen, "老板拖欠我三个月工资了")
        danger = post(citizen, "他拿着菜刀在砸我家门")
    finally:
        stack.start_one("rasa")
    assert kept.status_code == 202 and kept.json()["replies"] == [{"text": QUEUED_NOTICE}]
    # Danger is answered by rule at once, though nothing could classify it.
    assert danger.status_code == 202 and danger.json()["replies"][0]["text"] == EMERGENCY_TEXT
    # The hand-off job of `make run`, once: it answers what was kept, oldest first.
    job = subprocess.run([str(BIN / "hotline"), "jobs", "run-handoffs"], env=stack.env, cwd=PROJECT_ROOT,
                         capture_output=True, text=True, timeout=300)
    assert job.returncode == 0, job.stderr
    got = citizen.wait_for(lambda m: "劳动" in m["text"] or "工资" in m["text"], timeout=60)
    assert [m for m in got if m["text"] == QUEUED_NOTICE] == []  # the notice was the POST's answer only
    users = [e["text"] for e in citizen.tracker()["events"] if e["event"] == "user"]
    assert users == ["老板拖欠我三个月工资了", "他拿着菜刀在砸我家门"]  # each once, in order


def test_danger_is_answered_by_rule_while_the_action_server_is_down(stack):
    citizen = Citizen(stack)
    stack.stop_one("actions")
    try:
        response = post(citizen, "我不想活了，准备喝农药")
    finally:
        stack.start_one("actions")
    # The 110 guidance at once; the turn Rasa could not run without its action server is taken back and
    # kept (202), so the job runs it (and whatever the emergency action does) once the action server is back.
    assert response.status_code == 202, response.text
    assert EMERGENCY_TEXT in [r["text"] for r in response.json()["replies"]]
    users = [e for e in citizen.tracker()["events"] if e["event"] in ("user", "rewind")]
    assert [e["event"] for e in users] == ["user", "rewind"]


def test_the_real_tracker_gives_back_a_kept_turn_by_its_message_id_and_forgets_a_rewound_one(stack):
    """What a retry reads when Rasa died after saving a turn but before answering it (inbox._earlier_turn)."""
    from hotline.rasa_client import RasaClient

    client = RasaClient(stack.rasa_url, stack.token)
    sender, message_id = "tracker-" + uuid.uuid4().hex[:8], "m-" + uuid.uuid4().hex[:8]
    assert client.answered_turn(sender, message_id) is None  # nothing kept yet
    said = client.send(sender, "你好", metadata={"channel": "webchat", "message_id": message_id})
    assert said and said[0]["text"]
    kept = client.answered_turn(sender, message_id)
    assert [r["text"] for r in kept] == [r["text"] for r in said]
    assert [r.get("buttons") for r in kept] == [r.get("buttons") for r in said]
    assert client.answered_turn(sender, "m-other") is None
    client.undo_turn(sender, message_id)
    assert client.answered_turn(sender, message_id) is None  # rewound: a retry sends it again


def test_the_real_tracker_takes_a_queued_copy_of_a_held_message_once_with_its_id_and_intent(stack):
    """What the outbox appends for a message a person held while Rasa was down (inbox._while_handed_off):
    Rasa 3.6 accepts the event, reads it back (though the tracker began, with the pause, after the message
    came), classifies it as the bot would have, and a repeated delivery adds nothing."""
    import time

    from hotline.cases.models import OutboxMessage
    from hotline.conversations import outbox
    from hotline.rasa_client import RasaClient, user_event

    client = RasaClient(stack.rasa_url, stack.token)
    sender, message_id = "copy-" + uuid.uuid4().hex[:8], "m-" + uuid.uuid4().hex[:8]
    said = "我要找人工客服"
    copy = user_event(said, {"channel": "webchat", "message_id": message_id}, time.time() - 60)
    client.append_events(sender, [{"event": "pause"}])  # the pause queued before it, delivered first
    row = OutboxMessage(target="rasa", channel="webchat", recipient=sender, payload={"events": [copy]})
    outbox._send(row, client, {})
    outbox._send(row, client, {})  # a repeat: the "sent" mark lost to a crash
    # What the bot reads when it takes the conversation back: the tracker store's current session (the tracker
    # endpoint shows every session, so it would also show an event dated before this one's start).
    from bot.stores import EnvSQLTrackerStore

    def read(conversation):
        store = EnvSQLTrackerStore(host=stack.env["TRACKER_STORE_URL"])
        with store.session_scope() as session:
            events = [json.loads(r.data) for r in store._event_query(session, conversation, False).all()]
        store.engine.dispose()
        return [e for e in events if e["event"] == "user"]

    users = read(sender)
    assert [(e["text"], e["metadata"]["message_id"]) for e in users] == [(said, message_id)]
    assert users[0]["parse_data"]["intent"]["name"] == "request_human"  # the NLU's, not an empty one
    assert users[0]["input_channel"] == "rest" and client.turn_closed(sender)  # paused: nothing answered
    assert client.answered_turn(sender, message_id) == []
    # A conversation Rasa has no tracker for yet: it starts at the message, not after it.
    fresh = "copy-" + uuid.uuid4().hex[:8]
    client.append_events(fresh, [user_event(said, {"channel": "webchat", "message_id": "m-fresh"}, time.time() - 60)])
    assert [e["metadata"]["message_id"] for e in read(fresh)] == ["m-fresh"]
