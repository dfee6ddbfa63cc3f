"""The one inbound path: every citizen message, from any channel, is stored, de-duplicated, processed and answered.

    receive(channel, provider message id, provider user id, text | media)
        -> stored row (or the row already stored for that provider id)
    process(conversation)
        -> each unprocessed row of the conversation, in order: a person holds
           the conversation (bot silent), or Rasa's REST channel answers;
           every reply goes to the outbox on the citizen's own channel.

Rules that hold on every channel:

- Stored before anything else, in its own commit: a crash, a Rasa outage or
  an action-server failure after that loses nothing.
- One provider id, one row: the unique constraint on (channel, message id)
  decides between concurrent retries, on SQLite and PostgreSQL alike, for
  every worker; the loser reads the winner's row.
- One processor per row: a row is claimed with a conditional UPDATE; a claim
  whose worker died frees itself after `STALE_AFTER`.
- A leading "/" is written as a full-width "／": Rasa's RegexMessageHandler
  would otherwise let any text set an intent ("/restart" ends a hand-off).
  The web chat's own buttons (`BUTTON_PAYLOADS`) are the one exception.
- Danger gets the 110 guidance by rule (hotline.triage), even when Rasa or
  the action server is down, and whoever holds the conversation.
- A turn Rasa ran without its action server (Rasa logs it, drops the
  action's events and answers nothing), or a silent turn across a restart
  of the action server, is taken back out of the tracker (`undo_turn`) and
  kept like a message Rasa could not take.
- A row Rasa could not take stays `failed`; `retry_due` (the hand-off job)
  processes it once Rasa is back, and the citizen gets the answer on their
  channel without sending anything again.
- A message never overtakes a command for its conversation still waiting in
  the outbox (the hand-back that resumes the bot, queued while Rasa was down):
  it waits too, and the job answers it once the command is through.
- A message to a conversation a person holds is copied to Rasa's tracker (the
  bot reads the whole conversation when it takes over again); while Rasa is
  down, or behind an earlier command still waiting for it, the copy waits in
  the outbox and is appended once, in order.
- Once processed, the stored text is masked (hotline.privacy.mask_personal): the
  clear value is kept only where the citizen consented (the case).
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hotline.cases.models import InboundMessage, OutboxMessage, utcnow
from hotline.conversations import handoff as handoffs
from hotline.conversations import outbox
from hotline.conversations import wording
from hotline.conversations.safety import EMERGENCY, is_danger, reply_while_handed_off
from hotline.db import settings_of
from hotline.privacy import mask_address, mask_personal
from hotline.rasa_client import RasaUnavailable, user_event
from hotline.triage import build_record

logger = logging.getLogger(__name__)

CHANNELS = ("webchat", "wechat", "sms", "voice")
MAX_TEXT = 2000
# A row still marked "processing" after this long died with its worker.
STALE_AFTER = dt.timedelta(seconds=90)
# A row still "received" after this long was stored by a worker that died before processing it.
ORPHAN_AFTER = dt.timedelta(seconds=20)
# Payloads of the web chat's buttons: they reach Rasa as the intents they name, nothing else does.
BUTTON_PAYLOADS = re.compile(r"^/(affirm|deny|stop|report_dispute|ask_legal|public_service|check_status"
                             r"|request_human|emergency|out_of_scope)$")
CHANNELS_WITH_BUTTONS = frozenset({"webchat"})
# A phone caller's request to be called back (integrations/twilio_voice.py): handled without the bot.
CALLBACK_REQUEST = "callback_request"
# Said to a voice message, picture or sticker (bot/domain/core.yml); inbox.NO_TEXT_REPLY reads it on first use.
NO_TEXT = "utter_no_text"


def __getattr__(name: str) -> str:
    if name == "NO_TEXT_REPLY":
        return wording.text(NO_TEXT)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Bot(Protocol):
    def send(self, sender_id: str, text: str, metadata: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]: ...

    def actions_instance(self, *, last_seen: bool = False) -> Optional[str]: ...

    def turn_closed(self, sender_id: str) -> bool: ...

    def undo_turn(self, sender_id: str, message_id: str) -> None: ...

    def answered_turn(self, sender_id: str, message_id: str) -> Optional[List[Dict[str, Any]]]: ...


class SenderMismatch(ValueError):
    """A provider id already used by another conversation (a client reusing ids): refused, nothing changed."""


@dataclass
class Received:
    message: InboundMessage
    duplicate: bool


@dataclass
class Outcome:
    # answered | queued (Rasa unavailable, the job will answer) | busy (another worker holds it)
    state: str
    replies: List[OutboxMessage] = field(default_factory=list)


def as_text(channel: str, text: str) -> str:
    """A typed "/command" reaches the bot as words (full-width slash); a web chat button payload as itself."""
    text = (text or "").strip()
    if text.startswith("/") and not (channel in CHANNELS_WITH_BUTTONS and BUTTON_PAYLOADS.match(text)):
        return "／" + text[1:]
    return text


def receive(session: Session, channel: str, provider_message_id: str, provider_user_id: str,
            text: Optional[str] = None, media: Optional[Mapping[str, Any]] = None, *,
            client: Optional[str] = None, now: Optional[dt.datetime] = None) -> Received:
    """Store one inbound message (committed), or find the one stored for the same provider id."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    row = InboundMessage(channel=channel, message_id=provider_message_id[:128], sender_id=provider_user_id[:128],
                         text=as_text(channel, text or "")[:MAX_TEXT], media=dict(media) if media else None,
                         client=client, status="received", received_at=now or utcnow())
    try:
        session.add(row)
        session.commit()
        return Received(row, duplicate=False)
    except IntegrityError:
        session.rollback()
    existing = session.execute(
        select(InboundMessage).where(InboundMessage.channel == channel,
                                     InboundMessage.message_id == provider_message_id[:128])
    ).scalar_one()
    if existing.sender_id != provider_user_id[:128]:
        raise SenderMismatch(provider_message_id)
    return Received(existing, duplicate=True)


def _claimable(now: dt.datetime):
    return or_(InboundMessage.status.in_(("received", "failed")),
               (InboundMessage.status == "processing") & (InboundMessage.claimed_at < now - STALE_AFTER))


def _claim(session: Session, row: InboundMessage, now: dt.datetime) -> bool:
    result = session.execute(
        update(InboundMessage).where(InboundMessage.id == row.id, _claimable(now))
        .values(status="processing", claimed_at=now, error=None)
        .execution_options(synchronize_session=False))
    session.commit()
    if result.rowcount == 1:
        session.refresh(row)
    return result.rowcount == 1


def unprocessed(session: Session, channel: str, sender_id: str, up_to: Optional[int] = None) -> List[InboundMessage]:
    statement = (select(InboundMessage)
                 .where(InboundMessage.channel == channel, InboundMessage.sender_id == sender_id,
                        InboundMessage.status != "processed")
                 .order_by(InboundMessage.id))
    if up_to is not None:
        statement = statement.where(InboundMessage.id <= up_to)
    return list(session.execute(statement).scalars())


def process(session: Session, bot: Bot, message: InboundMessage, *, now: Optional[dt.datetime] = None) -> Outcome:
    """Process the conversation's unprocessed rows up to `message`, oldest first; the outcome for `message`.

    Older rows first, so a message kept while Rasa was down is answered
    before the one that followed it. Rasa unavailable: this and later rows
    wait for `retry_due`.
    """
    now = now or utcnow()
    outcome = Outcome("busy")
    for row in unprocessed(session, message.channel, message.sender_id, up_to=message.id):
        retry = row.claimed_at is not None  # a worker took it up before: Rasa may hold its turn already
        if not _claim(session, row, now):
            outcome = Outcome("busy")
            continue
        outcome = _process_one(session, bot, row, retry=retry)
        if outcome.state == "queued":
            if row.id != message.id and _claim(session, message, now):
                # It waits behind the older one, but danger in it is answered now.
                outcome = _queued(session, message, RasaUnavailable("an earlier message is waiting for Rasa"),
                                  danger_by_rule(message.text))
            break
    if message.status == "processed" and outcome.state != "answered":
        session.refresh(message)
        return Outcome("answered", replies_of(session, message))
    return outcome


def replies_of(session: Session, message: InboundMessage) -> List[OutboxMessage]:
    ids = [r["seq"] for r in message.replies or [] if isinstance(r, dict) and r.get("seq")]
    if not ids:
        return []
    return list(session.execute(select(OutboxMessage).where(OutboxMessage.id.in_(ids))
                                .order_by(OutboxMessage.id)).scalars())


def danger_by_rule(text: str) -> bool:
    return bool(text) and is_danger(build_record(text, None, None))


def _reply(session: Session, row: InboundMessage, text: str, buttons=None, case=None) -> OutboxMessage:
    return outbox.to_citizen(session, channel=row.channel, recipient=row.sender_id, text=text, author="bot",
                             buttons=buttons, case=case)


def _metadata(row: InboundMessage) -> Dict[str, Any]:
    return {"channel": row.channel, "message_id": row.message_id}


def _done(session: Session, row: InboundMessage, replies: List[OutboxMessage]) -> Outcome:
    row.status, row.processed_at, row.error = "processed", utcnow(), None
    row.replies = (row.replies or []) + [{"seq": r.id, "text": r.text or ""} for r in replies]
    row.text = mask_personal(row.text)
    session.commit()
    return Outcome("answered", replies)


def _process_one(session: Session, bot: Bot, row: InboundMessage, *, retry: bool = False) -> Outcome:
    text = row.text
    if (row.media or {}).get("type") == CALLBACK_REQUEST:
        # A caller's call-back request whose adapter failed after storing it: a person calls back, nothing to say.
        handoffs.callback_from_call(session, caller=row.sender_id, call_id=row.message_id.rsplit(":", 1)[0])
        return _done(session, row, [])
    if not text:
        return _done(session, row, [_reply(session, row, wording.text(NO_TEXT))])
    danger = danger_by_rule(text)
    handoff = handoffs.citizen_said(session, row.channel, row.sender_id, text)
    if handoff is not None:
        return _while_handed_off(session, bot, row, handoff, danger, retry=retry)
    if outbox.rasa_waiting(session, row.channel, row.sender_id):
        # A command for this conversation still waits for Rasa (the hand-back that resumes the bot, say, queued
        # while Rasa was down): sent ahead of it, the message would reach a paused tracker and get no answer.
        return _queued(session, row, RasaUnavailable("a command for this conversation is waiting for Rasa"), danger)
    instance = bot.actions_instance(last_seen=True)
    try:
        raw = _earlier_turn(bot, row) if retry else None
        if raw is None:
            raw = bot.send(row.sender_id, text, metadata=_metadata(row))
    except RasaUnavailable as failure:
        return _queued(session, row, failure, danger)
    if not any(item.get("text") or item.get("buttons") for item in raw) and not _turn_finished(
            bot, row.sender_id, instance):
        # Rasa ran the turn without its action server: it logs the failure, loses the action's events and
        # answers nothing. Taken back out of the tracker and kept, the message is answered by the job later.
        try:
            bot.undo_turn(row.sender_id, row.message_id)
        except RasaUnavailable as failure:
            logger.warning("turn of message %s not taken back; a retry repeats it: %s", row.message_id, failure)
        return _queued(session, row, RasaUnavailable("the action server is unavailable"), danger)
    replies = []
    for item in raw:
        reply_text = item.get("text") or ""
        buttons = [{"title": b.get("title"), "payload": b.get("payload")} for b in item.get("buttons") or []]
        if reply_text or buttons:
            replies.append(_reply(session, row, reply_text, buttons or None))
    if danger and not any("110" in (r.text or "") for r in replies):
        # Rasa answered without the guidance (the action server failed, or a model miss): the rule speaks.
        replies.append(_reply(session, row, wording.text(EMERGENCY)))
    return _done(session, row, replies)


def _earlier_turn(bot: Bot, row: InboundMessage) -> Optional[List[Dict[str, Any]]]:
    """On a retry: the replies of the turn Rasa kept for this message when it died before answering (sending the
    message again would run the turn twice: two reports, two cases); None when there is no such turn to reuse.
    A kept turn that said nothing is taken back, and the message sent again."""
    replies = bot.answered_turn(row.sender_id, row.message_id)
    if replies is not None and not any(item.get("text") or item.get("buttons") for item in replies):
        bot.undo_turn(row.sender_id, row.message_id)
        return None
    if replies is not None:
        logger.warning("message %s: Rasa kept its turn but the answer was lost; answered from the tracker",
                       row.message_id)
    return replies


def _turn_finished(bot: Bot, sender_id: str, instance_before: Optional[str]) -> bool:
    """A silent turn that really ended: the action server that was up before the turn still answers, and the turn
    closed with action_listen. An action that died with its server leaves no trace in the tracker (Rasa logs the
    failure and predicts on, often to action_listen), so a server restarted meanwhile, even a quick one, means
    the turn may have lost its answer; the probe alone also races with a server restarting while Rasa waited."""
    instance = bot.actions_instance()
    if instance is None or instance != instance_before:
        return False
    try:
        return bot.turn_closed(sender_id)
    except RasaUnavailable:
        return False


def _queued(session: Session, row: InboundMessage, failure: RasaUnavailable, danger: bool) -> Outcome:
    emergency = wording.text(EMERGENCY)
    already_warned = any(emergency == (r.get("text") if isinstance(r, dict) else None) for r in row.replies or [])
    replies = []
    if danger and not already_warned:
        replies.append(_reply(session, row, emergency))
        row.replies = (row.replies or []) + [{"seq": r.id, "text": r.text} for r in replies]
    row.status, row.error = "failed", str(failure)[:1000]
    session.commit()
    logger.error("message %s (%s) from %s kept; Rasa unavailable, the job will answer it: %s", row.message_id,
                 row.channel, mask_address(row.sender_id), failure)
    return Outcome("queued", replies)


def _while_handed_off(session: Session, bot: Bot, row: InboundMessage, handoff, danger: bool, *,
                      retry: bool = False) -> Outcome:
    """A person holds (or is about to take) the conversation: the message is in the case's transcript.

    The bot stays silent, except for what `safety.reply_while_handed_off`
    says: danger gets the 110 guidance and the case is raised for the person;
    an urgent conversation still waiting hears that help is coming.
    """
    replies = []
    reply = reply_while_handed_off(session, handoff, row.text)
    if reply is None and retry and _handed_off_by_a_lost_turn(session, row, handoff):
        reply = wording.text("utter_handoff", **handoffs.notice_params(
            handoff.reason, handoff.case.number, settings_of(session).handoff_wait_seconds))
    if reply:
        replies.append(_reply(session, row, reply, case=handoff.case))
    # So the bot's tracker has the whole conversation when it takes over again (a paused bot answers nothing).
    # Behind a command still waiting for Rasa (an earlier copy, a pause), the copy waits too, in order.
    text, copy = row.text, _tracker_copy(row)  # before `_done` masks the stored text
    behind = outbox.rasa_waiting(session, row.channel, row.sender_id)
    if behind:
        _copy_later(session, row, copy, handoff)
    outcome = _done(session, row, replies)
    if behind:
        return outcome
    try:
        bot.send(row.sender_id, text, metadata=_metadata(row))
    except RasaUnavailable as failure:
        _copy_later(session, row, copy, handoff)
        session.commit()
        logger.warning("message %s reached the person on case %s; Rasa unavailable, its tracker gets it from the "
                       "outbox: %s", row.message_id, handoff.case.number, failure)
    return outcome


def _tracker_copy(row: InboundMessage) -> Dict[str, Any]:
    """The message as the `user` event Rasa would have logged for `bot.send`, dated when it was received."""
    received = row.received_at.replace(tzinfo=dt.timezone.utc) if row.received_at.tzinfo is None else row.received_at
    return user_event(row.text, _metadata(row), received.timestamp())


def _copy_later(session: Session, row: InboundMessage, copy: Dict[str, Any], handoff) -> None:
    """The copy for Rasa's tracker, queued in the outbox: appended (once) when Rasa takes it, in order."""
    outbox.to_rasa(session, channel=row.channel, recipient=row.sender_id, command={"events": [copy]},
                   case=handoff.case)


def _handed_off_by_a_lost_turn(session: Session, row: InboundMessage, handoff) -> bool:
    """This message's own turn handed the conversation to a person (the case and the hand-off were stored by the
    action server) but Rasa died before answering: the citizen never heard of the hand-off, and hears it now."""
    return handoff.requested_at >= row.received_at and not outbox.told_since(
        session, row.channel, row.sender_id, handoff.requested_at)


@dataclass
class RetryRun:
    answered: List[int] = field(default_factory=list)
    still_waiting: int = 0


def retry_due(sessions: sessionmaker, bot: Bot, *, now: Optional[dt.datetime] = None, limit: int = 200) -> RetryRun:
    """Process what Rasa could not take (or a dead worker left), conversation by conversation, oldest first."""
    now = now or utcnow()
    run = RetryRun()
    with sessions() as session:
        due = list(session.execute(
            select(InboundMessage.channel, InboundMessage.sender_id, InboundMessage.id)
            .where(or_(InboundMessage.status == "failed",
                       (InboundMessage.status == "received") & (InboundMessage.received_at < now - ORPHAN_AFTER),
                       (InboundMessage.status == "processing") & (InboundMessage.claimed_at < now - STALE_AFTER)))
            .order_by(InboundMessage.id).limit(limit)))
        conversations = dict.fromkeys((channel, sender_id) for channel, sender_id, _ in due)
        for channel, sender_id in conversations:
            waiting = unprocessed(session, channel, sender_id)
            if not waiting:
                continue
            # Up to its newest unprocessed row: one that came after a failed one waits behind it.
            message = waiting[-1]
            last = message.id
            outcome = process(session, bot, message, now=now)
            if outcome.state == "queued":
                run.still_waiting += 1
                break  # Rasa is still down: the next round tries again
            if outcome.state == "answered":
                run.answered.append(last)
    return run


def take(session: Session, message: InboundMessage, now: Optional[dt.datetime] = None) -> bool:
    """Mark a stored message processed without the bot (its adapter handles it in this transaction).

    False when it was processed already, or is being processed by the job (a
    provider's retry, even a concurrent one: the conditional UPDATE lets one
    through), so its handling happens once. Not committed here: the mark
    commits with the handling; if that fails, the job handles it later.
    """
    result = session.execute(
        update(InboundMessage).where(InboundMessage.id == message.id,
                                     InboundMessage.status.in_(("received", "failed")))
        .values(status="processed", processed_at=now or utcnow(), error=None)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def mark_sent(session: Session, replies: List[OutboxMessage]) -> None:
    """Replies handed to a pull channel in the answer to its own request count as sent."""
    outbox.mark_sent(session, [r.id for r in replies])


def may_read(session: Session, actor, channel: str, sender_id: str) -> bool:
    """Operators and admins read any conversation; a mediator only one whose case they hold or took over."""
    from hotline.cases.models import Case, Handoff

    if actor.role in ("operator", "admin"):
        return True
    if actor.role != "mediator" or actor.user is None:
        return False
    holds_case = session.execute(
        select(Case.id).where(Case.channel == channel, Case.sender_id == sender_id,
                              Case.assignee_id == actor.user.id).limit(1)).first()
    took_over = session.execute(
        select(Handoff.id).where(Handoff.channel == channel, Handoff.sender_id == sender_id,
                                 Handoff.accepted_by_id == actor.user.id).limit(1)).first()
    return holds_case is not None or took_over is not None


def conversation(session: Session, channel: str, sender_id: str, limit: int = 500) -> List[Dict[str, Any]]:
    """The stored inbound and outbound messages of one conversation, in order, with provider ids and states."""
    inbound = session.execute(
        select(InboundMessage).where(InboundMessage.channel == channel, InboundMessage.sender_id == sender_id)
        .order_by(InboundMessage.id).limit(limit)).scalars()
    outbound = session.execute(
        select(OutboxMessage).where(OutboxMessage.target == outbox.CITIZEN, OutboxMessage.channel == channel,
                                    OutboxMessage.recipient == sender_id)
        .order_by(OutboxMessage.id).limit(limit)).scalars()
    items = [{"direction": "in", "at": m.received_at, "provider_id": m.message_id, "text": m.text,
              "media": m.media, "state": m.status} for m in inbound]
    items += [{"direction": "out", "at": m.created_at, "provider_id": m.provider_id, "text": m.text,
               "author": m.author, "author_name": m.author_name, "state": m.status, "attempts": m.attempts,
               "error": m.last_error if m.status == "failed" else None} for m in outbound]
    items.sort(key=lambda item: (item["at"], 0 if item["direction"] == "in" else 1))
    return items[:limit]
