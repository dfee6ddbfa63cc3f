"""The outbox: what we owe a citizen or the Rasa server, stored with the decision and delivered afterwards.

A mediator's reply, a case notice (hotline.conversations.notices), the
notice that nobody picked a hand-off up, the request for a rating, and the
commands that pause or resume the bot are
rows here, written in the same transaction as the change that caused them,
so a crash after the commit loses none of them. Delivery is separate:

- citizen messages on a *pull* channel (the web chat page) are delivered
  when the page fetches them (`feed`), and marked sent then;
- commands to the Rasa server (`target = rasa`) are posted by
  `deliver_due`, in order per conversation, retried with back-off; a row
  is claimed with a conditional UPDATE first, so two deliverers (the web
  service right after the commit, the timed job later) never both send it.

A command that Rasa applied but whose "sent" mark was lost to a crash is
sent again: delivery is at least once, and the commands are chosen so that
a repeat does no harm (pause and resume are idempotent; an executed action
checks the database before it speaks; a citizen's message copied to the
tracker, a `user` event, is left out when the tracker already holds its
provider message id). Once delivered, a copied message is kept masked here.

A citizen message on a *push* channel (SMS, WeChat) is never sent twice:
a failure that proves nothing went out (no connection, a refusal) is
retried with back-off; an outcome nobody knows (the provider's answer was
lost, or the deliverer died while sending) ends the row as `failed` for a
person to check, rather than risk a second copy. A final failure is
written into the case's history and asks a person to phone the citizen
(`handoff.after_undelivered`: one open call-back request per case, never a
hand-off). The provider's status callback moves a sent row on to
`delivered` or `failed`.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from hotline.cases.models import Case, OutboxMessage, utcnow

logger = logging.getLogger(__name__)

CITIZEN, RASA = "citizen", "rasa"
# Channels whose client fetches its own messages, or whose replies go back in the answer to the provider's
# own request (a phone call's TwiML); nothing is pushed to them.
PULL_CHANNELS = frozenset({"webchat", "rest", "voice"})
# Seconds before the next attempt after the n-th failure; the last value repeats.
RETRY_DELAYS = (2, 10, 30, 60, 300, 900)
MAX_ATTEMPTS = 20
# A claimed row whose deliverer died is free again after this long.
LEASE = dt.timedelta(seconds=60)


class RasaCommands(Protocol):
    def append_events(self, sender_id: str, events: List[Dict[str, Any]]) -> None: ...

    def answered_turn(self, sender_id: str, message_id: str) -> Optional[List[Dict[str, Any]]]: ...

    def execute(self, sender_id: str, action: str) -> List[Dict[str, Any]]: ...


# The payload key naming the case event (hotline.cases.events) a row tells the citizen of: one row per event.
CASE_EVENT = "case_event"
# Longest text one provider message may carry; a longer one becomes several rows, sent in order.
MAX_TEXT_BY_CHANNEL = {"sms": 1600, "wechat": 600}
# Channels that show buttons; elsewhere their titles are written after the text.
BUTTON_CHANNELS = frozenset({"webchat", "rest"})

# A sender for a push channel (SMS, WeChat): delivers one citizen message and returns the provider's id for it,
# or raises (Ambiguous when nobody can know whether it went out).
Sender = Callable[[OutboxMessage], Optional[str]]


class Ambiguous(RuntimeError):
    """The provider may or may not have sent the message (its answer was lost): never retried automatically."""


class Undeliverable(RuntimeError):
    """The provider refused the message for good (a wrong number, outside the allowed window): a person takes over."""


def split_text(text: str, limit: int) -> List[str]:
    """Text cut into parts of at most `limit` characters, at a sentence end or line break where one is near."""
    parts, rest = [], text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind(mark) for mark in ("\n", "。", "！", "？", "；"))
        cut = cut + 1 if cut >= limit // 2 else limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not parts:
        parts.append(rest)
    return parts


def to_citizen(session: Session, *, channel: str, recipient: str, text: str, author: str = "bot",
               author_name: Optional[str] = None, case: Optional[Case] = None,
               buttons: Optional[List[Dict[str, str]]] = None, now: Optional[dt.datetime] = None,
               case_event: Optional[int] = None) -> OutboxMessage:
    """Queue a message for the citizen; on a channel with a length limit, a long one is queued in parts.

    `case_event`: the id of the case event the message tells of (a notice; see `noticed`).
    Returns the first row (the others follow it by id).
    """
    now = now or utcnow()
    if buttons and channel not in BUTTON_CHANNELS:
        text = f"{text}\n（您可以回复：{'、'.join(b.get('title') or '' for b in buttons)}）" if text else text
    limit = MAX_TEXT_BY_CHANNEL.get(channel)
    rows = []
    for index, part in enumerate(split_text(text, limit) if limit and text else [text]):
        payload: Dict[str, Any] = {"buttons": buttons} if buttons and index == 0 else {}
        if case_event is not None:
            payload[CASE_EVENT] = case_event
        row = OutboxMessage(target=CITIZEN, channel=channel, recipient=recipient, text=part, author=author,
                            author_name=author_name, case_id=case.id if case is not None else None,
                            payload=payload or None, status="pending",
                            attempts=0, next_attempt_at=now, created_at=now)
        session.add(row)
        rows.append(row)
    session.flush()
    return rows[0]


def noticed(session: Session, case_id: int, case_event: int) -> bool:
    """Whether a row for this case event of this case is already queued (a notice is written once per event)."""
    payloads = session.execute(select(OutboxMessage.payload).where(OutboxMessage.case_id == case_id)).scalars()
    return any(isinstance(p, dict) and p.get(CASE_EVENT) == case_event for p in payloads)


def told_since(session: Session, channel: str, recipient: str, since: dt.datetime) -> bool:
    """Whether anything was queued for the citizen of this conversation at or after `since`."""
    return session.execute(
        select(OutboxMessage.id).where(OutboxMessage.target == "citizen", OutboxMessage.channel == channel,
                                       OutboxMessage.recipient == recipient, OutboxMessage.created_at >= since)
        .limit(1)).first() is not None


def mark_sent(session: Session, ids: List[int], now: Optional[dt.datetime] = None) -> None:
    """Messages a pull channel received in the answer to its own request."""
    if ids:
        session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.status == "pending")
                        .values(status="sent", sent_at=now or utcnow()).execution_options(synchronize_session=False))


# A provider's delivery report, as our states: later reports never move a row back.
PROVIDER_STATES = {"delivered": "delivered", "read": "delivered", "undelivered": "failed", "failed": "failed"}


def record_provider_status(session: Session, provider_id: str, status: str, error: Optional[str] = None,
                           now: Optional[dt.datetime] = None) -> Optional[OutboxMessage]:
    """A status callback for the message the provider knows as `provider_id`; the row, or None if unknown."""
    row = session.execute(select(OutboxMessage).where(OutboxMessage.provider_id == provider_id)
                          .limit(1)).scalar_one_or_none()
    state = PROVIDER_STATES.get(status)
    if row is None or state is None or row.status in ("delivered", "failed"):
        return row
    now = now or utcnow()
    if state == "delivered":
        row.status, row.delivered_at = "delivered", now
    else:
        row.last_error = f"运营商报告未送达（{status}{'，' + error if error else ''}）"
        _give_up(session, row)
    return row


def to_rasa(session: Session, *, channel: str, recipient: str, command: Mapping[str, Any],
            case: Optional[Case] = None, now: Optional[dt.datetime] = None,
            case_event: Optional[int] = None) -> OutboxMessage:
    """`command` is {"events": [...]} (appended to the tracker) or {"execute": "action_name"}.

    `case_event`: the id of the case event the command answers (the rating asked after a resolution).
    """
    if set(command) not in ({"events"}, {"execute"}):
        raise ValueError(f"unknown Rasa command {command!r}")
    now = now or utcnow()
    payload = dict(command) if case_event is None else {**command, CASE_EVENT: case_event}
    row = OutboxMessage(target=RASA, channel=channel, recipient=recipient, payload=payload,
                        case_id=case.id if case is not None else None, status="pending", attempts=0,
                        next_attempt_at=now, created_at=now)
    session.add(row)
    session.flush()
    return row


def rasa_waiting(session: Session, channel: str, recipient: str) -> bool:
    """Whether a command for this conversation's tracker is still undelivered: what follows it is queued behind
    it (`deliver_due` keeps the order), rather than sent to Rasa ahead of it."""
    return session.execute(
        select(OutboxMessage.id).where(OutboxMessage.target == RASA, OutboxMessage.channel == channel,
                                       OutboxMessage.recipient == recipient,
                                       OutboxMessage.status.in_(("pending", "sending")))
        .limit(1)).first() is not None


def feed(session: Session, channel: str, recipient: str, after: int = 0, limit: int = 50,
         now: Optional[dt.datetime] = None) -> List[OutboxMessage]:
    """Citizen messages of one conversation on a pull channel after id `after`; they count as delivered now."""
    rows = list(session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.target == CITIZEN, OutboxMessage.channel == channel,
               OutboxMessage.recipient == recipient, OutboxMessage.id > after)
        .order_by(OutboxMessage.id).limit(limit)
    ).scalars())
    unsent = [r.id for r in rows if r.status != "sent"]
    if unsent:
        session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(unsent), OutboxMessage.status != "sent")
                        .values(status="sent", sent_at=now or utcnow()).execution_options(synchronize_session=False))
    return rows


def last_id(session: Session, channel: str, recipient: str) -> int:
    row = session.execute(
        select(OutboxMessage.id).where(OutboxMessage.target == CITIZEN, OutboxMessage.channel == channel,
                                       OutboxMessage.recipient == recipient)
        .order_by(OutboxMessage.id.desc()).limit(1)).scalar_one_or_none()
    return row or 0


@dataclass
class DeliveryRun:
    sent: List[int] = field(default_factory=list)
    failed: List[int] = field(default_factory=list)  # will be retried
    gave_up: List[int] = field(default_factory=list)


def _due(now: dt.datetime):
    return or_(
        (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now),
        # A deliverer that claimed a Rasa command and died: its lease ran out (a repeat does no harm).
        (OutboxMessage.status == "sending") & (OutboxMessage.next_attempt_at <= now)
        & (OutboxMessage.target == RASA),
    )


def _abandoned(session: Session, now: dt.datetime, run: "DeliveryRun") -> None:
    """Citizen messages whose deliverer died mid-send: nobody knows if they went out, so a person checks."""
    rows = session.execute(select(OutboxMessage).where(
        OutboxMessage.target == CITIZEN, OutboxMessage.status == "sending",
        OutboxMessage.next_attempt_at <= now)).scalars()
    for row in rows:
        claimed = session.execute(
            update(OutboxMessage).where(OutboxMessage.id == row.id, OutboxMessage.status == "sending")
            .values(status="failed", last_error="发送过程中断，无法确认群众是否已收到，请人工核实后决定是否重发。")
            .execution_options(synchronize_session=False))
        if claimed.rowcount == 1:
            session.refresh(row)
            _note_failure(session, row)
            run.gave_up.append(row.id)
    session.commit()


def _claim(session: Session, row_id: int, now: dt.datetime) -> bool:
    result = session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row_id, _due(now))
        .values(status="sending", next_attempt_at=now + LEASE)
        .execution_options(synchronize_session=False))
    session.commit()
    return result.rowcount == 1


def deliver_due(sessions: sessionmaker, rasa: Optional[RasaCommands], *,
                senders: Optional[Mapping[str, Sender]] = None, recipient: Optional[str] = None,
                now: Optional[dt.datetime] = None, limit: int = 200) -> DeliveryRun:
    """Deliver what is due: Rasa commands in order per conversation, and citizen messages on push channels.

    A conversation whose oldest undelivered row is not due yet (or fails)
    gets nothing more this round, so a resume never overtakes its pause.
    `recipient` limits the run to one conversation (the web service calls
    that right after its own commit).
    """
    senders = dict(senders or {})
    run = DeliveryRun()
    now = now or utcnow()
    with sessions() as session:
        _abandoned(session, now, run)
        statement = (select(OutboxMessage)
                     .where(OutboxMessage.status.in_(("pending", "sending")),
                            or_(OutboxMessage.target == RASA, OutboxMessage.channel.not_in(sorted(PULL_CHANNELS))))
                     .order_by(OutboxMessage.id).limit(limit))
        if recipient is not None:
            statement = statement.where(OutboxMessage.recipient == recipient)
        rows = [(r.id, r.target, r.channel, r.recipient) for r in session.execute(statement).scalars()]
        blocked = set()
        for row_id, target, channel, to in rows:
            key = (target, channel, to)
            if key in blocked:
                continue
            if target == CITIZEN and channel not in senders:
                blocked.add(key)  # no sender for this channel in this process
                continue
            if target == RASA and rasa is None:
                blocked.add(key)
                continue
            if not _claim(session, row_id, now):
                blocked.add(key)
                continue
            row = session.get(OutboxMessage, row_id, populate_existing=True)
            try:
                replies = _send(row, rasa, senders)
            except Exception as error:  # noqa: BLE001 - any failure is retried; the row keeps the reason
                blocked.add(key)
                _failed(session, row, error, now, run)
                continue
            if target == CITIZEN:
                row.provider_id = replies or None  # the provider's id, when it gave one
                replies = []
            row.status, row.sent_at, row.attempts, row.last_error = "sent", utcnow(), row.attempts + 1, None
            _mask_copies(row)
            for reply in replies:
                _reply_to_citizen(session, row, reply)
            session.commit()
            run.sent.append(row_id)
    return run


def _send(row: OutboxMessage, rasa: Optional[RasaCommands], senders: Mapping[str, Sender]) -> Any:
    """Rasa commands: what an executed action said; citizen messages: the provider's id for the message."""
    if row.target == CITIZEN:
        return senders[row.channel](row)
    command = row.payload or {}
    if "events" in command:
        # A copied message whose first delivery reached the tracker (its mark was lost) is not added twice.
        events = [e for e in command["events"] if not _in_tracker(rasa, row.recipient, e)]
        if events:
            rasa.append_events(row.recipient, events)
        return []
    return rasa.execute(row.recipient, command["execute"])


def _in_tracker(rasa: RasaCommands, recipient: str, event: Mapping[str, Any]) -> bool:
    """A `user` event whose provider message id the conversation's tracker already holds."""
    message_id = (event.get("metadata") or {}).get("message_id") if event.get("event") == "user" else None
    return bool(message_id) and rasa.answered_turn(recipient, message_id) is not None


def _mask_copies(row: OutboxMessage) -> None:
    """A Rasa command done with (sent, or given up): the citizen's words it copied are kept masked, as the
    inbound row keeps them once processed; the tracker store masks its own copy (bot/stores.py)."""
    from hotline.privacy import mask_value

    payload = row.payload or {}
    events = payload.get("events") if row.target == RASA else None
    if events and any(e.get("event") == "user" for e in events):
        row.payload = {**payload, "events": [mask_value(e) if e.get("event") == "user" else e for e in events]}


def _reply_to_citizen(session: Session, command: OutboxMessage, reply: Dict[str, Any]) -> None:
    """What an executed action said goes to the citizen, on the conversation's own channel."""
    text = reply.get("text") or ""
    buttons = [{"title": b.get("title"), "payload": b.get("payload")} for b in reply.get("buttons") or []]
    if not text and not buttons:
        return
    case = session.get(Case, command.case_id) if command.case_id else None
    to_citizen(session, channel=command.channel, recipient=command.recipient, text=text, author="bot", case=case,
               buttons=buttons or None)
    if case is not None and text:
        from hotline.cases.service import add_message

        add_message(session, case, "bot", text)


def _failed(session: Session, row: OutboxMessage, error: BaseException, now: dt.datetime, run: DeliveryRun) -> None:
    row.attempts += 1
    row.last_error = f"{type(error).__name__}: {error}"[:1000]
    if row.attempts >= MAX_ATTEMPTS or isinstance(error, (Ambiguous, Undeliverable)):
        _give_up(session, row)
        run.gave_up.append(row.id)
        logger.error("outbox %s to %s given up after %d attempts: %s", row.id, row.channel, row.attempts,
                     row.last_error)
    else:
        delay = RETRY_DELAYS[min(row.attempts - 1, len(RETRY_DELAYS) - 1)]
        row.status, row.next_attempt_at = "pending", now + dt.timedelta(seconds=delay)
        run.failed.append(row.id)
        logger.warning("outbox %s to %s failed (attempt %d, next in %d s): %s", row.id, row.channel,
                       row.attempts, delay, row.last_error)
    session.commit()


def _give_up(session: Session, row: OutboxMessage) -> None:
    row.status = "failed"
    _mask_copies(row)
    _note_failure(session, row)


def _note_failure(session: Session, row: OutboxMessage) -> None:
    """A citizen message that will not arrive goes into the case's history and in front of a person.

    The case is the row's, or else the conversation's open case. A person is
    asked to phone the citizen (hand-off.after_undelivered: one open request
    per case, never a new hand-off).
    """
    if row.target != CITIZEN:
        return
    from hotline.cases.names import CHANNEL_NAMES, name_of
    from hotline.cases.service import record_event
    from hotline.conversations import handoff

    case = session.get(Case, row.case_id) if row.case_id is not None else _open_case_of(session, row)
    if case is None:
        logger.error("outbox %s to a %s conversation failed for good and belongs to no open case", row.id,
                     row.channel)
        return
    channel = name_of(row.channel, CHANNEL_NAMES, "其他渠道")
    record_event(session, case, "system:outbox", "delivery_failed",
                 note=f"发给群众的消息未能送达（{channel}）：{(row.text or '')[:60]}。原因：{(row.last_error or '')[:200]}",
                 detail={"outbox_id": row.id})
    handoff.after_undelivered(session, case)


def _open_case_of(session: Session, row: OutboxMessage) -> Optional[Case]:
    from hotline.cases.lifecycle import OPEN_STATUSES

    return session.execute(
        select(Case).where(Case.channel == row.channel, Case.sender_id == row.recipient,
                           Case.status.in_(sorted(OPEN_STATUSES)))
        .order_by(Case.id.desc()).limit(1)).unique().scalar_one_or_none()


def failed_for_case(session: Session, case: Case) -> List[OutboxMessage]:
    """Citizen messages of a case that did not arrive, newest first."""
    return list(session.execute(select(OutboxMessage).where(
        OutboxMessage.case_id == case.id, OutboxMessage.target == CITIZEN, OutboxMessage.status == "failed")
        .order_by(OutboxMessage.id.desc())).scalars())


def undelivered_cases(session: Session, case_ids: Iterable[int]) -> Dict[int, dt.datetime]:
    """Of these cases, those with a citizen message that finally failed: case id -> when the newest was queued."""
    ids = sorted(set(case_ids))
    if not ids:
        return {}
    from sqlalchemy import func

    rows = session.execute(
        select(OutboxMessage.case_id, func.max(OutboxMessage.created_at))
        .where(OutboxMessage.case_id.in_(ids), OutboxMessage.target == CITIZEN, OutboxMessage.status == "failed")
        .group_by(OutboxMessage.case_id))
    return {case_id: at for case_id, at in rows}


def pending_count(session: Session, recipients: Optional[Iterable[str]] = None) -> int:
    from sqlalchemy import func

    statement = select(func.count(OutboxMessage.id)).where(OutboxMessage.status.in_(("pending", "sending")))
    if recipients is not None:
        statement = statement.where(OutboxMessage.recipient.in_(list(recipients)))
    return session.execute(statement).scalar_one()
