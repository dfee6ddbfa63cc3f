"""Hand-off between the bot and people: request, accept, talk, hand back, time out.

The states of one hand-off (one row in `handoffs`):

    waiting --accept--> active --hand back--> ended
       |                   \\--case resolved--> ended
       \\--nobody within the waiting limit--> timed_out

While a hand-off is waiting or active the conversation is paused in Rasa
(the bot's action returned ConversationPaused, or a mediator's take-over
queued a pause), so the bot says nothing; the citizen's messages are added
to the case's transcript for the console, and the mediator's replies go to
the citizen through the outbox on the citizen's own channel. Ending it
queues an action that resumes the bot and tells the citizen where the case
stands. At most one hand-off per conversation is open: a partial unique
index holds that even when two requests race.
"""
from __future__ import annotations

import datetime as dt
from typing import Dict, Iterable, List, Optional

from sqlalchemy import case as sql_case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.cases import privacy, service
from hotline.cases.actors import ActorLike, as_actor
from hotline.cases.errors import Conflict, InvalidInput, PermissionDenied
from hotline.cases.lifecycle import OPEN_STATUSES, QUEUE_STATUSES
from hotline.cases.models import Case, CaseMessage, Handoff, InboundMessage, User, utcnow
from hotline.conversations import outbox, wording

OPEN = ("waiting", "active")
REASONS = {
    "request_human": "群众要求转人工",
    "fallback": "机器人两次没能理解群众的意思",
    "warning": "预警等级高，需要人工尽快介入",
    "mediator": "调解员主动接入对话",
    "danger": "群众报告现实危险，已提示拨打110，请立即接入",
}
# Channels on which a person can talk to the citizen through us (the outbox reaches them).
CHAT_CHANNELS = frozenset({"webchat", "rest", "wechat", "sms"})
# Rasa actions run when the bot takes the conversation back (actions/handoff.py, actions/rating.py).
ACTION_HANDED_BACK = "action_handed_back"
ACTION_OFFER_CALLBACK = "action_offer_callback"
ACTION_ASK_RATING = "action_ask_rating"
MAX_REPLY = 2000


def open_for(session: Session, channel: str, sender_id: str) -> Optional[Handoff]:
    """The conversation's open hand-off (waiting or active), if any."""
    return session.execute(
        select(Handoff).where(Handoff.channel == channel, Handoff.sender_id == sender_id,
                              Handoff.status.in_(OPEN))
    ).unique().scalar_one_or_none()


def open_for_case(session: Session, case: Case) -> Optional[Handoff]:
    return session.execute(
        select(Handoff).where(Handoff.case_id == case.id, Handoff.status.in_(OPEN))
    ).unique().scalar_one_or_none()


def latest_for_case(session: Session, case: Case) -> Optional[Handoff]:
    return session.execute(
        select(Handoff).where(Handoff.case_id == case.id).order_by(Handoff.id.desc()).limit(1)
    ).unique().scalar_one_or_none()


# How the hand-off message starts, by why the conversation goes to a person (bot/domain/handoff.yml).
HANDOFF_LEADS = {"fallback": "utter_handoff_lead_fallback", "warning": "utter_handoff_lead_warning",
                 "request_human": "utter_handoff_lead_request_human"}


def notice_params(reason: str, number: str, wait_seconds: float) -> Dict[str, object]:
    """The parameters of `utter_handoff`: why, the case number, how many minutes a person takes at most."""
    return {"lead": wording.text(HANDOFF_LEADS.get(reason, HANDOFF_LEADS["request_human"])), "number": number,
            "minutes": wait_minutes(wait_seconds)}


def wait_minutes(wait_seconds: float) -> int:
    """How many minutes the citizen is told a person takes at most (never "0 minutes")."""
    return max(1, round(wait_seconds / 60))


def latest_of(session: Session, channel: str, sender_id: str,
              statuses: Optional[Iterable[str]] = None) -> Optional[Handoff]:
    """The conversation's most recent hand-off (optionally only one in the given states)."""
    statement = select(Handoff).where(Handoff.channel == channel, Handoff.sender_id == sender_id)
    if statuses:
        statement = statement.where(Handoff.status.in_(tuple(statuses)))
    return session.execute(statement.order_by(Handoff.id.desc()).limit(1)).unique().scalar_one_or_none()


def latest_case_of(session: Session, channel: str, sender_id: str,
                   statuses: Optional[Iterable[str]] = None) -> Optional[Case]:
    """The case of the conversation's most recent hand-off (optionally only of one in the given states)."""
    found = latest_of(session, channel, sender_id, statuses)
    return found.case if found is not None else None


def waiting(session: Session, limit: int = 100) -> List[Handoff]:
    """Hand-offs nobody has accepted yet: danger first, then the longest waiting."""
    danger_first = sql_case((Handoff.reason == "danger", 0), else_=1)
    return list(session.execute(
        select(Handoff).where(Handoff.status == "waiting")
        .order_by(danger_first, Handoff.requested_at, Handoff.id).limit(limit)
    ).unique().scalars())


def _conversation(case: Case):
    if not case.sender_id or case.channel not in CHAT_CHANNELS:
        raise Conflict("这个案件不是从在线对话来的，无法在线回复群众；请按登记的电话联系。", "no_conversation")
    return case.channel, case.sender_id


def request(session: Session, case: Case, *, reason: str, actor: ActorLike = "bot",
            now: Optional[dt.datetime] = None) -> Handoff:
    """Open a waiting hand-off for the case's conversation; the one already open if there is one.

    The caller (the bot's action) pauses the conversation itself.
    """
    if reason not in REASONS:
        raise InvalidInput(f"unknown hand-off reason {reason!r}", "invalid_reason")
    channel, sender_id = _conversation(case)
    existing = open_for(session, channel, sender_id)
    if existing is not None:
        return existing
    now = now or utcnow()
    handoff = Handoff(case_id=case.id, channel=channel, sender_id=sender_id, reason=reason, status="waiting",
                      requested_at=now)
    try:
        with session.begin_nested():
            session.add(handoff)
            session.flush()
    except IntegrityError:
        # Another worker opened one for this conversation a moment ago.
        return open_for(session, channel, sender_id)
    service.record_event(session, case, as_actor(actor), "handoff_request", note=REASONS[reason],
                         detail={"reason": reason}, at=now)
    return handoff


def _person(actor: ActorLike) -> User:
    who = as_actor(actor)
    if who.user is None:
        raise PermissionDenied("和群众对话需要工作人员本人（请用个人账号或代表个人的令牌）。", "person_required")
    return who.user


def _may_talk(case: Case, user: User) -> None:
    if user.role in ("operator", "admin"):
        return
    if case.assignee_id != user.id:
        raise PermissionDenied("请先认领这个案件，再和群众对话。", "not_holder")


def accept(session: Session, case: Case, actor: ActorLike, *, now: Optional[dt.datetime] = None) -> Handoff:
    """A person takes the conversation over.

    A mediator claims the case first when nobody holds it. A conversation
    the bot still holds (no hand-off was asked for) is paused now.
    """
    user = _person(actor)
    channel, sender_id = _conversation(case)
    now = now or utcnow()
    if user.role == "mediator" and case.assignee_id is None and case.status in QUEUE_STATUSES:
        case = service.claim(session, case.number, actor)
    _may_talk(case, user)
    handoff = open_for(session, channel, sender_id)
    if handoff is not None and handoff.case_id != case.id:
        raise Conflict(f"群众的对话正由案件 {handoff.case.number} 转人工，请在那个案件里回复。", "other_case")
    if handoff is None:
        handoff = Handoff(case_id=case.id, channel=channel, sender_id=sender_id, reason="mediator",
                          status="active", requested_at=now, accepted_at=now, accepted_by_id=user.id)
        try:
            with session.begin_nested():
                session.add(handoff)
                session.flush()
        except IntegrityError:
            raise Conflict("群众的对话刚刚被转人工，请刷新页面。", "handoff_race") from None
        outbox.to_rasa(session, channel=channel, recipient=sender_id, command={"events": [{"event": "pause"}]},
                       case=case, now=now)
    elif handoff.status == "waiting":
        result = session.execute(
            update(Handoff).where(Handoff.id == handoff.id, Handoff.status == "waiting")
            .values(status="active", accepted_at=now, accepted_by_id=user.id)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise Conflict("这个对话刚刚被其他人接入。", "already_accepted")
        session.refresh(handoff)
    elif handoff.accepted_by_id != user.id:
        if user.role not in ("operator", "admin"):
            raise Conflict(f"对话正由{handoff.accepted_by.display_name or handoff.accepted_by.username}接待。",
                           "already_accepted")
        return handoff
    else:
        return handoff
    service.record_event(session, case, actor, "handoff_accept",
                         note=f"{user.display_name or user.username}接入对话", at=now)
    return handoff


def reply(session: Session, case: Case, actor: ActorLike, text: str, *,
          now: Optional[dt.datetime] = None) -> CaseMessage:
    """A person's message to the citizen: into the transcript, and out through the outbox."""
    user = _person(actor)
    text = (text or "").strip()
    if not text:
        raise InvalidInput("回复内容不能为空。", "empty_text")
    if len(text) > MAX_REPLY:
        raise InvalidInput(f"回复太长了（每条不超过{MAX_REPLY}字）。", "text_too_long")
    now = now or utcnow()
    handoff = accept(session, case, actor, now=now)
    case = handoff.case
    name = user.display_name or user.username
    message = service.add_message(session, case, "mediator", text, author=f"user:{user.username}")
    outbox.to_citizen(session, channel=handoff.channel, recipient=handoff.sender_id, text=text, author="mediator",
                      author_name=name, case=case, now=now)
    return message


def citizen_said(session: Session, channel: str, sender_id: str, text: str) -> Optional[Handoff]:
    """Record a citizen's message in the transcript when a person holds the conversation; the hand-off or None."""
    handoff = open_for(session, channel, sender_id)
    if handoff is not None:
        service.add_message(session, handoff.case, "citizen", text)
    return handoff


def _end(session: Session, handoff: Handoff, status: str, actor_label: str, now: dt.datetime) -> bool:
    result = session.execute(
        update(Handoff).where(Handoff.id == handoff.id, Handoff.status.in_(OPEN))
        .values(status=status, ended_at=now, ended_by=actor_label).execution_options(synchronize_session=False))
    session.refresh(handoff)
    return result.rowcount == 1


def hand_back(session: Session, case: Case, actor: ActorLike, *, note: Optional[str] = None,
              now: Optional[dt.datetime] = None) -> Handoff:
    """End the hand-off: the bot resumes and tells the citizen where the case stands."""
    who = as_actor(actor)
    if who.user is not None:
        _may_talk(case, who.user)
    handoff = open_for_case(session, case)
    if handoff is None:
        raise Conflict("这个案件没有正在进行的人工对话。", "no_handoff")
    now = now or utcnow()
    if not _end(session, handoff, "ended", who.label, now):
        raise Conflict("人工对话已经结束。", "no_handoff")
    service.record_event(session, case, who, "handoff_end", note=note or "交还机器人继续服务", at=now)
    outbox.to_rasa(session, channel=handoff.channel, recipient=handoff.sender_id,
                   command={"execute": ACTION_HANDED_BACK}, case=case, now=now)
    return handoff


def time_out_waiting(session: Session, *, limit: dt.timedelta, now: Optional[dt.datetime] = None) -> List[str]:
    """Waiting hand-offs older than `limit` time out: the bot resumes and offers a call-back.

    Returns the case numbers. Each hand-off changes state with a conditional
    UPDATE, so two jobs running at once time each one out once.
    """
    now = now or utcnow()
    due = list(session.execute(
        select(Handoff).where(Handoff.status == "waiting", Handoff.requested_at <= now - limit)
        .order_by(Handoff.requested_at)).unique().scalars())
    numbers = []
    minutes = max(1, int(limit.total_seconds() // 60))
    for handoff in due:
        if not _end(session, handoff, "timed_out", "system:handoffs", now):
            continue
        case = handoff.case
        service.record_event(session, case, "system:handoffs", "handoff_timeout",
                             note=f"{minutes}分钟内无人接入，已告知群众并提供回电", at=now)
        outbox.to_rasa(session, channel=handoff.channel, recipient=handoff.sender_id,
                       command={"execute": ACTION_OFFER_CALLBACK}, case=case, now=now)
        numbers.append(case.number)
    return numbers


def after_resolve(session: Session, case: Case, actor: ActorLike, *, now: Optional[dt.datetime] = None,
                  case_event: Optional[int] = None) -> None:
    """A resolved case: an open hand-off ends, and the citizen is asked for a rating on their channel.

    Run by the resolution's own event (hotline.conversations.notices), whose id `case_event` the command keeps.
    """
    if not case.sender_id or case.channel not in CHAT_CHANNELS:
        return
    now = now or utcnow()
    handoff = open_for_case(session, case)
    if handoff is not None and _end(session, handoff, "ended", as_actor(actor).label, now):
        service.record_event(session, case, actor, "handoff_end", note="案件办结，对话交还机器人", at=now)
    # The rating action resumes the conversation itself (a paused one, too) and asks for 1-5.
    outbox.to_rasa(session, channel=case.channel, recipient=case.sender_id,
                   command={"execute": ACTION_ASK_RATING}, case=case, now=now, case_event=case_event)


def request_callback(session: Session, case: Case, *, phone: Optional[str], now: Optional[dt.datetime] = None,
                     actor: ActorLike = "bot") -> Case:
    """The citizen wants a call back (nobody picked the hand-off up); a new phone comes with its consent."""
    now = now or utcnow()
    if phone:
        # Leaving a number for the call-back is consent to keep it: recorded like any other grant.
        privacy.grant_consent(session, case, actor, phone=phone, now=now)
    case = service.lock_case(session, case)
    if not case.contact_phone:
        raise InvalidInput("回电需要联系电话。", "phone_required")
    case.callback_requested_at = now
    service.record_event(session, case, actor, "callback_request",
                         note=f"群众要求回电（尾号{case.contact_phone[-4:]}）", at=now)
    return case


# The flag a person sees on a case whose citizen a message did not reach (queue, case page, audit trail).
UNDELIVERED = "消息未送达，请电话联系"


def after_undelivered(session: Session, case: Case, *, now: Optional[dt.datetime] = None) -> bool:
    """A message to the citizen finally failed (outside WeChat's 48-hour window, an SMS refused or undelivered):
    a person must phone them. Returns whether this opened the case's call-back request.

    The case gets a call-back request (`callback_requested_at`, shown in the
    queue and on the case page with the consented phone) unless one is open
    already: one request per case. Never a hand-off: a hand-off nobody
    picks up times out and offers a call-back *by message*, which would fail
    the same way and hand off again. So the failure of that very message, or
    of any later one, adds nothing while the request is open.
    """
    now = now or utcnow()
    case = service.lock_case(session, case)
    if case.callback_requested_at is not None:
        return False
    case.callback_requested_at = now
    phone = case.contact_phone if case.pii_consent else None
    note = (f"{UNDELIVERED}（尾号{phone[-4:]}）" if phone
            else f"{UNDELIVERED}；群众没有留电话，请查看对话记录，群众再来消息时优先答复")
    service.record_event(session, case, "system:outbox", "callback_request", note=note,
                         detail={"reason": "undelivered"}, at=now)
    return True


# Who opens or marks the case of a caller who asked for a call-back on the voice line.
VOICE_ACTOR = "system:voice"
CALLBACK_ONLY = "（来电人没有说话，按1要求回电）"


def _open_case_of_caller(session: Session, caller: str) -> Optional[Case]:
    """The caller's newest open case from the same number (a call or a text message)."""
    return session.execute(
        select(Case).where(Case.channel.in_(("voice", "sms")), Case.sender_id == caller,
                           Case.status.in_(sorted(OPEN_STATUSES)))
        .order_by(Case.id.desc()).limit(1)).unique().scalar_one_or_none()


def callback_from_call(session: Session, *, caller: str, call_id: str, now: Optional[dt.datetime] = None,
                       deadline_hours=None) -> Case:
    """A caller said nothing twice and pressed 1 for a call-back: their open case, or a new one, as a call-back
    request in the mediators' queue.

    Pressing 1 after "如果需要我们给您回电，请按1" is the caller's consent to be
    called back on the number they call from, so that number becomes the
    case's consented contact (and only then: a caller who does not press 1
    leaves nothing). What the caller said earlier in the call, if anything,
    is the case's description.
    """
    from hotline.cases.workorders import normalise_phone
    from hotline.triage import build_record

    now = now or utcnow()
    try:
        phone = normalise_phone(caller)
    except InvalidInput:
        phone = caller[:32]  # a number our digit rules do not know (a long foreign one): kept as the caller gave it
    case = _open_case_of_caller(session, caller)
    if case is None:
        said = [text for text in session.execute(
            select(InboundMessage.text).where(InboundMessage.channel == "voice", InboundMessage.sender_id == caller,
                                              InboundMessage.message_id.like(f"{call_id}:%"),
                                              InboundMessage.text != "")
            .order_by(InboundMessage.id)).scalars() if text]
        text = "\n".join(said) or CALLBACK_ONLY
        triage = build_record(text, {"name": "request_human", "confidence": 1.0}, None)
        case, _ = service.open_case(
            session,
            VOICE_ACTOR,
            service.Intake(
                text=text, triage=triage, key=f"voice:{call_id}:callback", channel="voice", sender_id=caller,
                contact_phone=phone, pii_consent=True,
                transcript=[("citizen", t) for t in said] + [("system", "来电人按1要求回电")],
            ),
            deadline_hours=deadline_hours,
            now=now,
        )
    service.record_event(session, case, VOICE_ACTOR, "consent", note="来电人按1，同意按来电号码回电",
                         detail={"consent": True, "at": now.replace(microsecond=0).isoformat()}, at=now)
    return request_callback(session, case, phone=phone, now=now, actor=VOICE_ACTOR)


__all__ = [
    "ACTION_ASK_RATING", "ACTION_HANDED_BACK", "ACTION_OFFER_CALLBACK", "CHAT_CHANNELS", "REASONS", "UNDELIVERED",
    "accept", "after_resolve", "after_undelivered", "callback_from_call", "citizen_said", "hand_back",
    "latest_for_case", "open_for", "open_for_case", "reply", "request", "request_callback", "time_out_waiting",
    "waiting",
]
