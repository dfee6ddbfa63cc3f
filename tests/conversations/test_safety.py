"""Danger while a person holds, or is about to take, the conversation: guidance that moves on, one urgent case."""
from __future__ import annotations

from hotline.conversations import handoff
from hotline.conversations.safety import (
    EMERGENCY_TEXT,
    FOLLOWUP_TEXT,
    WAITING_TEXT,
    open_urgent_case,
    record_danger,
    reply_while_handed_off,
)
from hotline.triage import build_record

DANGER = "他拿着刀在砸我家门"


def _urgent(session, sender="web-9", text=DANGER, key="k1"):
    triage = build_record(text, {"name": "emergency", "confidence": 1.0}, None)
    return record_danger(session, text=text, triage=triage, intake_key=key, channel="webchat", sender_id=sender)


def test_later_danger_messages_join_the_open_urgent_case(sessions):
    with sessions.begin() as session:
        case, first = _urgent(session)
        again, second = _urgent(session, text="他把门砸开了", key="k2")
        assert first and not second and again.id == case.id
        assert open_urgent_case(session, "webchat", "web-9").id == case.id
        assert open_urgent_case(session, "webchat", "someone-else") is None
        assert "他把门砸开了" in [m.text for m in case.messages]


def test_an_urgent_conversation_waiting_for_a_person_never_gets_the_same_words_twice(sessions):
    with sessions.begin() as session:
        case, _ = _urgent(session)
        waiting = handoff.request(session, case, reason="danger")
        replies = [reply_while_handed_off(session, waiting, text)
                   for text in ("我躲在卧室里", "他拿刀在砍卧室的门", "你们快点", "还在吗")]
        assert replies[0] == FOLLOWUP_TEXT and replies[1] == WAITING_TEXT
        assert replies[2] is None and replies[3] is None   # guidance given; the person answers next
        assert EMERGENCY_TEXT not in replies


def test_danger_in_an_ordinary_hand_off_gets_the_110_guidance_first(sessions, make_case):
    with sessions.begin() as session:
        case = make_case(session, "楼上天天半夜吵", "neighbor", channel="webchat", sender_id="web-3")
        held = handoff.request(session, case, reason="request_human")
        assert reply_while_handed_off(session, held, "我想问问进度") is None
        assert reply_while_handed_off(session, held, DANGER) == EMERGENCY_TEXT
        assert reply_while_handed_off(session, held, "他又拿刀来了") == FOLLOWUP_TEXT
        assert case.warning_level == "orange"
