"""The one inbound path on both databases: store first, one turn per provider id (concurrent retries too),
"/" neutralised, danger answered by rule while Rasa is down, the retry job, take-over silence, masking.

The bot here records what reaches it and answers like Rasa's REST channel; what Rasa itself answers is
covered on the real processes (tests/e2e/test_inbox.py). Under test is what the inbox does around it.
"""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from hotline.cases.models import Case, CaseEvent, InboundMessage, OutboxMessage
from hotline.conversations import handoff, inbox, outbox
from hotline.conversations.safety import EMERGENCY_TEXT
from hotline.privacy import mask_personal
from hotline.rasa_client import RasaUnavailable


class RecordingBot:
    """Answers "收到：<text>" like the REST channel, or fails like an unreachable Rasa while `down`."""

    def __init__(self):
        self.turns, self.down, self.lock = [], False, threading.Lock()
        self.actions_down, self.undone = False, []
        self.instance = "first"  # the action server's instance id; a restart gives a new one

    def actions_instance(self, *, last_seen=False):
        return None if self.actions_down else self.instance

    def turn_closed(self, sender_id):
        return not self.actions_down  # a turn whose actions failed ends at Rasa's limit, not listening

    def undo_turn(self, sender_id, message_id):
        with self.lock:
            self.undone.append(sender_id)
            self.turns.pop()  # Rasa's rewind: the last user message leaves the tracker

    def answered_turn(self, sender_id, message_id):
        if self.down:
            raise RasaUnavailable("connection refused")
        with self.lock:
            kept = [t for t in self.turns if t[0] == sender_id and (t[2] or {}).get("message_id") == message_id]
        return None if not kept else [{"recipient_id": sender_id, "text": f"收到：{kept[-1][1]}"}]

    def send(self, sender_id, text, metadata=None):
        if self.down:
            raise RasaUnavailable("connection refused")
        with self.lock:
            self.turns.append((sender_id, text, metadata))
        return [{"recipient_id": sender_id, "text": f"收到：{text}"}]

    # What the outbox delivers (outbox.RasaCommands): a user event is a turn in the tracker, nothing answered.
    lose_answer = False  # Rasa applies the events, and the answer is lost (a crash before the "sent" mark)

    def append_events(self, sender_id, events):
        if self.down:
            raise RasaUnavailable("connection refused")
        with self.lock:
            self.turns.extend((sender_id, e["text"], e.get("metadata")) for e in events if e["event"] == "user")
        if self.lose_answer:
            self.lose_answer = False
            raise RasaUnavailable("connection reset by peer")


def deliver(sessions, bot, channel, message_id, sender, text=None, media=None):
    with sessions() as session:
        received = inbox.receive(session, channel, message_id, sender, text, media)
        outcome = inbox.process(session, bot, received.message)
        return received.duplicate, outcome.state, [r.text for r in outcome.replies]


def inbound(sessions, channel, message_id):
    with sessions() as session:
        return session.execute(select(InboundMessage).where(InboundMessage.channel == channel,
                                                            InboundMessage.message_id == message_id)).scalar_one()


def test_a_message_is_stored_answered_through_the_outbox_and_then_masked(sessions):
    bot = RecordingBot()
    duplicate, state, replies = deliver(sessions, bot, "sms", "SM1", "+8613912345678", "我电话13912345678，邻居漏水")
    assert (duplicate, state) == (False, "answered")
    assert replies == ["收到：我电话13912345678，邻居漏水"]
    assert bot.turns[0][1] == "我电话13912345678，邻居漏水"  # Rasa gets the clear text once
    row = inbound(sessions, "sms", "SM1")
    assert row.status == "processed" and "13912345678" not in row.text and "139****5678" in row.text
    with sessions() as session:
        out = session.execute(select(OutboxMessage).where(OutboxMessage.channel == "sms")).scalars().all()
        assert [(o.recipient, o.status) for o in out] == [("+8613912345678", "pending")]


def test_the_mask_keeps_head_and_tail_of_phones_and_id_numbers():
    assert mask_personal("电话13912345678") == "电话139****5678"
    assert mask_personal("身份证110101199003071234号") == "身份证110101********1234号"
    assert mask_personal(None) == "" and mask_personal("邻居漏水") == "邻居漏水"


def test_a_redelivery_is_one_turn_and_gets_the_same_answer(sessions):
    bot = RecordingBot()
    first = deliver(sessions, bot, "webchat", "m-1", "conv-1", "你好")
    again = deliver(sessions, bot, "webchat", "m-1", "conv-1", "你好")
    assert again == (True, "answered", first[2])
    assert len(bot.turns) == 1


def test_four_concurrent_deliveries_of_one_id_give_one_turn_and_one_reply(sessions):
    bot = RecordingBot()
    barrier = threading.Barrier(4)
    results, errors = [], []

    def one():
        try:
            barrier.wait()
            results.append(deliver(sessions, bot, "wechat", "6054768590064713728", "oOpenId1", "楼上漏水"))
        except Exception as error:  # noqa: BLE001 - asserted below
            errors.append(error)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(bot.turns) == 1
    assert sorted(r[0] for r in results) == [False, True, True, True]
    with sessions() as session:
        assert session.execute(select(func.count(OutboxMessage.id))
                               .where(OutboxMessage.channel == "wechat")).scalar_one() == 1
        assert session.execute(select(func.count(InboundMessage.id))).scalar_one() == 1


def test_the_same_id_from_another_sender_is_refused(sessions):
    bot = RecordingBot()
    deliver(sessions, bot, "webchat", "m-1", "conv-1", "你好")
    with pytest.raises(inbox.SenderMismatch):
        deliver(sessions, bot, "webchat", "m-1", "conv-2", "偷看")
    assert len(bot.turns) == 1


@pytest.mark.parametrize("channel, typed, sent", [
    ("sms", "/restart", "／restart"),
    ("webchat", "/restart", "／restart"),
    ("webchat", '/report_dispute{"dispute_type":"labor"}', '／report_dispute{"dispute_type":"labor"}'),
    ("webchat", "/affirm", "/affirm"),  # the page's own button
    ("sms", "/affirm", "／affirm"),  # no buttons on SMS: typed text
    ("wechat", "  我要/投诉 ", "我要/投诉"),
])
def test_a_leading_slash_cannot_set_an_intent(sessions, channel, typed, sent):
    bot = RecordingBot()
    deliver(sessions, bot, channel, "x1", "u1", typed)
    assert bot.turns[0][1] == sent


def test_danger_is_answered_by_rule_while_rasa_is_down_and_the_job_answers_the_rest(sessions):
    bot = RecordingBot()
    bot.down = True
    _, state, replies = deliver(sessions, bot, "sms", "SM1", "+8613900001111", "他拿着菜刀要砍我")
    assert state == "queued" and replies == [EMERGENCY_TEXT]
    _, state, replies = deliver(sessions, bot, "sms", "SM2", "+8613900001111", "邻居家漏水")
    assert state == "queued" and replies == []
    assert inbound(sessions, "sms", "SM1").status == "failed"
    assert inbox.retry_due(sessions, bot).still_waiting == 1  # still down: nothing lost, nothing answered

    bot.down = False
    run = inbox.retry_due(sessions, bot)
    assert run.answered and [t[1] for t in bot.turns] == ["他拿着菜刀要砍我", "邻居家漏水"]  # in order
    assert inbound(sessions, "sms", "SM2").status == "processed"
    with sessions() as session:
        texts = [o.text for o in session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()]
    # The 110 guidance once (Rasa's answer here has no "110", so the rule adds it once more after the turn).
    assert texts[0] == EMERGENCY_TEXT and "收到：邻居家漏水" in texts
    assert inbox.retry_due(sessions, bot).answered == []  # nothing left


def test_danger_behind_a_kept_message_is_still_answered_at_once(sessions):
    bot = RecordingBot()
    bot.down = True
    deliver(sessions, bot, "webchat", "m-1", "conv-1", "邻居家漏水")
    _, state, replies = deliver(sessions, bot, "webchat", "m-2", "conv-1", "他拿着菜刀在砸我家门")
    assert state == "queued" and replies == [EMERGENCY_TEXT]
    assert inbound(sessions, "webchat", "m-2").status == "failed"


def test_a_later_message_does_not_overtake_one_kept_while_rasa_was_down(sessions):
    bot = RecordingBot()
    bot.down = True
    deliver(sessions, bot, "webchat", "m-1", "conv-1", "第一句")
    bot.down = False
    _, state, replies = deliver(sessions, bot, "webchat", "m-2", "conv-1", "第二句")
    assert state == "answered" and replies == ["收到：第二句"]
    assert [t[1] for t in bot.turns] == ["第一句", "第二句"]


class SilentBot(RecordingBot):
    """Rasa answering nothing: a turn whose action server was down (Rasa only logs that), or a silent turn."""

    def send(self, sender_id, text, metadata=None):
        super().send(sender_id, text, metadata)
        return [] if self.actions_down or text == "嗯" else [{"recipient_id": sender_id, "text": f"收到：{text}"}]


def test_danger_is_answered_by_rule_when_rasa_answers_without_it(sessions):
    bot = SilentBot()
    bot.actions_down = True
    _, state, replies = deliver(sessions, bot, "webchat", "m-1", "conv-1", "我不想活了，准备喝农药")
    assert state == "queued" and replies == [EMERGENCY_TEXT]


def test_a_turn_lost_with_the_action_server_is_taken_back_and_answered_once_by_the_job(sessions):
    bot = SilentBot()
    bot.actions_down = True
    _, state, replies = deliver(sessions, bot, "webchat", "m-1", "conv-1", "老板拖欠工资")
    assert (state, replies) == ("queued", [])
    assert bot.undone == ["conv-1"] and bot.turns == []  # nothing of the lost turn stays in the tracker
    assert inbound(sessions, "webchat", "m-1").status == "failed"
    bot.actions_down = False
    assert inbox.retry_due(sessions, bot).answered
    assert [t[1] for t in bot.turns] == ["老板拖欠工资"]
    row = inbound(sessions, "webchat", "m-1")
    assert row.status == "processed" and [r["text"] for r in row.replies] == ["收到：老板拖欠工资"]


class RestartDuringTurnBot(SilentBot):
    """The action server is killed while Rasa waits for it and is back (a new instance) before the inbox looks:
    Rasa predicted on to action_listen, so the tracker alone shows a closed, silent turn."""

    def send(self, sender_id, text, metadata=None):
        replies = super().send(sender_id, text, metadata)
        if text == "老板拖欠工资" and self.instance == "first":
            self.instance = "second"
            return []
        return replies


def test_a_silent_turn_across_a_restart_of_the_action_server_is_taken_back_and_answered_by_the_job(sessions):
    bot = RestartDuringTurnBot()
    _, state, replies = deliver(sessions, bot, "webchat", "m-1", "conv-1", "老板拖欠工资")
    assert (state, replies) == ("queued", []) and bot.undone == ["conv-1"] and bot.turns == []
    assert inbox.retry_due(sessions, bot).answered
    row = inbound(sessions, "webchat", "m-1")
    assert row.status == "processed" and [r["text"] for r in row.replies] == ["收到：老板拖欠工资"]
    assert [t[1] for t in bot.turns] == ["老板拖欠工资"]


class DiesBeforeAnsweringBot(RecordingBot):
    """Rasa saves the turn (the bot's reply included) and is killed before it answers the HTTP request."""

    def send(self, sender_id, text, metadata=None):
        super().send(sender_id, text, metadata)
        if text == "邻居家装修太吵" and len(self.turns) == 1:
            raise RasaUnavailable("connection reset by peer")
        return [{"recipient_id": sender_id, "text": f"收到：{text}"}]


def test_a_turn_rasa_kept_but_never_answered_is_answered_from_the_tracker_not_run_twice(sessions):
    bot = DiesBeforeAnsweringBot()
    _, state, replies = deliver(sessions, bot, "webchat", "m-1", "conv-1", "邻居家装修太吵")
    assert (state, replies) == ("queued", [])
    assert inbox.retry_due(sessions, bot).answered
    row = inbound(sessions, "webchat", "m-1")
    assert row.status == "processed" and [r["text"] for r in row.replies] == ["收到：邻居家装修太吵"]
    assert [t[1] for t in bot.turns] == ["邻居家装修太吵"]  # one turn: one report, not two
    # The next message is sent as usual.
    assert deliver(sessions, bot, "webchat", "m-2", "conv-1", "什么时候来人")[1:] == ("answered", ["收到：什么时候来人"])


class HandsOffThenDiesBot(RecordingBot):
    """The turn's action opens the case and hands the conversation to a person (the action server's own
    transaction), then Rasa dies before it saves the turn or answers: the tracker keeps nothing of it."""

    def __init__(self, sessions, make_case):
        super().__init__()
        self.sessions, self.make_case, self.died = sessions, make_case, False

    def send(self, sender_id, text, metadata=None):
        if text == "对" and not self.died:
            self.died = True
            with self.sessions.begin() as session:
                case = self.make_case(session, "老板拖欠我们三个月工资", "labor", channel="webchat", sender_id=sender_id)
                handoff.request(session, case, reason="warning")
            raise RasaUnavailable("Remote end closed connection without response")
        return super().send(sender_id, text, metadata)


def test_a_hand_off_made_by_a_turn_whose_answer_was_lost_is_told_to_the_citizen_once(sessions, make_case):
    bot = HandsOffThenDiesBot(sessions, make_case)
    assert deliver(sessions, bot, "webchat", "m-1", "conv-1", "对")[1:] == ("queued", [])
    assert inbox.retry_due(sessions, bot).answered
    row = inbound(sessions, "webchat", "m-1")
    with sessions() as session:
        number = session.execute(select(Case.number).where(Case.sender_id == "conv-1")).scalar_one()
    told = [r["text"] for r in row.replies]
    assert len(told) == 1 and "转接人工" in told[0] and number in told[0] and "尽快介入" in told[0]
    # The person holds the conversation now: the next message is theirs to answer, nothing is repeated.
    assert deliver(sessions, bot, "webchat", "m-2", "conv-1", "好的我等着")[1:] == ("answered", [])


def test_a_retried_message_whose_hand_off_was_already_announced_gets_no_second_notice(sessions, make_case):
    bot = RecordingBot()
    bot.down = True
    assert deliver(sessions, bot, "webchat", "m-3", "conv-2", "在吗")[1] == "queued"
    with sessions.begin() as session:  # meanwhile the conversation went to a person, and the citizen was told
        case = make_case(session, "楼上漏水", "neighbor", channel="webchat", sender_id="conv-2")
        handoff.request(session, case, reason="request_human")
        outbox.to_citizen(session, channel="webchat", recipient="conv-2", text="正在为您转接人工服务", case=case)
    bot.down = False
    assert inbox.retry_due(sessions, bot).answered
    assert inbound(sessions, "webchat", "m-3").replies == []


def test_a_silent_turn_with_the_action_server_up_is_not_repeated(sessions):
    bot = SilentBot()
    _, state, replies = deliver(sessions, bot, "webchat", "m-1", "conv-1", "嗯")
    assert (state, replies) == ("answered", []) and bot.undone == []
    assert inbound(sessions, "webchat", "m-1").status == "processed"


def test_a_person_holding_the_conversation_silences_the_bot_but_not_the_110_guidance(sessions, make_case):
    bot = RecordingBot()
    with sessions.begin() as session:
        case = make_case(session, "楼上漏水", "neighbor", channel="sms", sender_id="+8613900002222")
        handoff.request(session, case, reason="request_human")
    _, state, replies = deliver(sessions, bot, "sms", "SM1", "+8613900002222", "请问什么时候来人")
    assert (state, replies) == ("answered", [])
    _, state, replies = deliver(sessions, bot, "sms", "SM2", "+8613900002222", "他冲进来了，拿着刀")
    assert replies == [EMERGENCY_TEXT]
    assert len(bot.turns) == 2  # the tracker still hears both; its answers are not sent
    with sessions() as session:
        actions = [e.action for e in session.execute(select(CaseEvent).where(CaseEvent.case_id == case.id)).scalars()]
        assert "danger" in actions


def test_media_without_text_gets_a_polite_answer_without_the_bot(sessions):
    bot = RecordingBot()
    _, state, replies = deliver(sessions, bot, "wechat", "1", "oOpenId", None, {"type": "image"})
    assert state == "answered" and replies == [inbox.NO_TEXT_REPLY] and bot.turns == []


def test_a_claim_left_by_a_dead_worker_is_taken_up_by_the_job(sessions):
    import datetime as dt

    bot = RecordingBot()
    with sessions() as session:
        row = inbox.receive(session, "sms", "SM9", "+8613900003333", "你好").message
        row.status, row.claimed_at = "processing", row.received_at  # a worker claimed it and died
        session.commit()
    later = row.received_at + inbox.STALE_AFTER + dt.timedelta(seconds=1)
    assert inbox.retry_due(sessions, bot, now=row.received_at).answered == []
    assert inbox.retry_due(sessions, bot, now=later).answered == [row.id]
    assert len(bot.turns) == 1


def test_long_sms_replies_are_split_where_twilio_requires(sessions):
    text = "。".join(["这是一段很长的答复"] * 400)
    with sessions.begin() as session:
        outbox.to_citizen(session, channel="sms", recipient="+8613900004444", text=text)
    with sessions() as session:
        parts = [o.text for o in session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()]
    assert len(parts) > 1 and all(len(p) <= 1600 for p in parts)
    assert "".join(parts).replace("。", "") == text.replace("。", "")


def rasa_rows(sessions, sender):
    with sessions() as session:
        return list(session.execute(select(OutboxMessage).where(OutboxMessage.target == "rasa",
                                                                OutboxMessage.recipient == sender)
                                    .order_by(OutboxMessage.id)).scalars())


def held(sessions, make_case, sender):
    with sessions.begin() as session:
        case = make_case(session, "楼上漏水", "neighbor", channel="webchat", sender_id=sender)
        handoff.request(session, case, reason="request_human")


def test_a_held_message_rasa_missed_reaches_its_tracker_once_through_the_outbox(sessions, make_case):
    import datetime as dt

    bot = RecordingBot()
    held(sessions, make_case, "conv-1")
    bot.down = True
    said = "请问什么时候来人，我电话13912345678"
    assert deliver(sessions, bot, "webchat", "m-1", "conv-1", said)[1:] == ("answered", [])
    row = inbound(sessions, "webchat", "m-1")
    [copy] = rasa_rows(sessions, "conv-1")
    assert copy.status == "pending" and copy.case_id is not None
    [event] = copy.payload["events"]
    # As Rasa logs a message sent to its REST channel: the clear text, the provider id it is counted by.
    assert (event["event"], event["text"], event["metadata"]) == ("user", said, {"channel": "webchat",
                                                                                 "message_id": "m-1"})
    assert event["parse_data"]["text"] == said and "intent" in event["parse_data"]
    assert event["timestamp"] == row.received_at.replace(tzinfo=dt.timezone.utc).timestamp()
    assert bot.turns == []

    later = row.received_at + dt.timedelta(hours=1)
    assert outbox.deliver_due(sessions, bot, now=later).failed == [copy.id]  # still down: it waits
    bot.down, bot.lose_answer = False, True  # back, but the answer to the first append is lost
    assert outbox.deliver_due(sessions, bot, now=later + dt.timedelta(hours=1)).failed == [copy.id]
    assert outbox.deliver_due(sessions, bot, now=later + dt.timedelta(hours=2)).sent == [copy.id]
    assert bot.turns == [("conv-1", said, {"channel": "webchat", "message_id": "m-1"})]  # once
    [copy] = rasa_rows(sessions, "conv-1")
    assert copy.status == "sent" and "13912345678" not in str(copy.payload)  # delivered: kept masked


def test_a_held_message_waits_behind_an_earlier_copy_still_queued(sessions, make_case):
    bot = RecordingBot()
    held(sessions, make_case, "conv-1")
    bot.down = True
    deliver(sessions, bot, "webchat", "m-1", "conv-1", "第一句")
    bot.down = False
    assert deliver(sessions, bot, "webchat", "m-2", "conv-1", "第二句")[1:] == ("answered", [])
    assert bot.turns == []  # not sent ahead of the first one
    assert [r.payload["events"][0]["metadata"]["message_id"] for r in rasa_rows(sessions, "conv-1")] == ["m-1", "m-2"]
    assert len(outbox.deliver_due(sessions, bot).sent) == 2
    assert [(t[1], t[2]["message_id"]) for t in bot.turns] == [("第一句", "m-1"), ("第二句", "m-2")]
    # Nothing waits any more: the next one goes to Rasa at once.
    deliver(sessions, bot, "webchat", "m-3", "conv-1", "第三句")
    assert [t[1] for t in bot.turns][-1] == "第三句" and len(rasa_rows(sessions, "conv-1")) == 2


class PausingBot(RecordingBot):
    """Like Rasa around a hand-off: a paused tracker records a message and answers nothing; the hand-back
    action resumes it and speaks."""

    paused = False

    def send(self, sender_id, text, metadata=None):
        answer = super().send(sender_id, text, metadata)
        return [] if self.paused else answer

    def turn_closed(self, sender_id):
        return True  # Rasa: a paused conversation's silent turn is finished, by design

    def append_events(self, sender_id, events):
        super().append_events(sender_id, events)
        for event in events:
            self.paused = {"pause": True, "resume": False}.get(event["event"], self.paused)

    def execute(self, sender_id, action):
        if self.down:
            raise RasaUnavailable("connection refused")
        self.paused = False
        return [{"recipient_id": sender_id, "text": "机器人继续为您服务"}]


def test_a_message_after_a_hand_back_still_queued_waits_for_it_and_is_answered(sessions, make_case):
    """Rasa down when the mediator hands the conversation back: the resume waits in the outbox. A message sent
    then must not reach the still-paused tracker first (it would be swallowed without an answer)."""
    bot = PausingBot()
    held(sessions, make_case, "conv-1")
    bot.paused = True  # the hand-off action paused the conversation in Rasa
    bot.down = True
    with sessions.begin() as session:
        case = session.execute(select(Case).where(Case.sender_id == "conv-1")).scalar_one()
        handoff.hand_back(session, case, "system:test")
    assert outbox.deliver_due(sessions, bot).failed  # the hand-back waits for Rasa
    assert deliver(sessions, bot, "webchat", "m-1", "conv-1", "请问还有人在吗")[1] == "queued"

    bot.down = False  # Rasa is back: the job's rounds (retry, then deliver), as `hotline jobs run-handoffs` runs them
    import datetime as dt

    from hotline.cases.models import utcnow

    later = utcnow() + dt.timedelta(minutes=10)  # past the hand-back's retry back-off
    for _ in range(2):
        inbox.retry_due(sessions, bot, now=later)
        outbox.deliver_due(sessions, bot, now=later)
    assert not bot.paused
    assert inbound(sessions, "webchat", "m-1").status == "processed"
    with sessions() as session:
        said = [r.text for r in inbox.replies_of(session, inbound(sessions, "webchat", "m-1"))]
    assert said == ["收到：请问还有人在吗"]
    assert [t[1] for t in bot.turns] == ["请问还有人在吗"]  # one turn, after the resume


def test_a_message_while_the_hand_back_is_being_delivered_is_not_swallowed(sessions, make_case):
    """Rasa up, the hand-back's command written but not yet delivered: the message waits for it."""
    bot = PausingBot()
    held(sessions, make_case, "conv-2")
    bot.paused = True
    with sessions.begin() as session:
        case = session.execute(select(Case).where(Case.sender_id == "conv-2")).scalar_one()
        handoff.hand_back(session, case, "system:test")
    assert deliver(sessions, bot, "webchat", "m-9", "conv-2", "好的谢谢")[1] == "queued"
    assert bot.turns == []
    outbox.deliver_due(sessions, bot)
    inbox.retry_due(sessions, bot)
    with sessions() as session:
        said = [r.text for r in inbox.replies_of(session, inbound(sessions, "webchat", "m-9"))]
    assert said == ["收到：好的谢谢"]
