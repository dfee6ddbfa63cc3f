"""Case operations shared by the action server, the web service and the CLI.

Every function takes the SQLAlchemy session and the actor explicitly (a
User, an `actors.Actor`, or a label such as "bot" for internal callers);
each state change writes its audit entry in the same transaction as the
change, publishes it as a domain event (hotline.cases.events: the citizen's
notices listen there), and the caller commits or rolls back the whole. Functions that
change a case first lock its row (PostgreSQL: SELECT ... FOR UPDATE;
SQLite: the database write lock) and re-read it, so two people acting at
once see each other's result instead of overwriting it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Mapping, Optional, Tuple, Union

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.cases import events, queries, rollup, scope
from hotline.cases import groups as grouping
from hotline.cases.actors import Actor, ActorLike, as_actor, authorize
from hotline.cases.errors import AlreadyClaimed, CaseNotFound, Conflict, InvalidInput, PermissionDenied
from hotline.cases.lifecycle import (
    DIFFICULTIES,
    DOCUMENT_KINDS,
    NEXT_PATHS,
    OPEN_STATUSES,
    OUTCOMES,
    PARTY_ROLES,
    QUEUE_STATUSES,
    STATUS_NAMES,
    TIER_NAMES,
    TRANSFER_DESTINATIONS,
    WARNING_NAMES,
    WARNING_RANK,
    TransitionError,
    check_transition,
)
from hotline.cases.models import Case, CaseDocument, CaseEvent, CaseMessage, CaseParty, Organisation, User, utcnow
from hotline.cases.placement import choose_organisation, escalation_target, find_area, placement_of
from hotline.cases.privacy import masked_triage
from hotline.config import DEFAULT_DEADLINE_HOURS
from hotline.triage import mask_pii
from hotline.triage.risk import people_count_from_signals
from hotline.triage.taxonomy import is_urgent

__all__ = [
    "AlreadyClaimed", "CaseNotFound", "Conflict", "InvalidInput", "PermissionDenied", "TransitionError",
    "DEFAULT_DEADLINE_HOURS", "Intake", "open_case", "claim", "claim_next", "transition",
    "add_message", "record_event", "register", "assign", "release", "transfer", "escalate", "resolve", "evaluate", "close",
    "reopen", "set_warning_level", "add_party", "add_document", "is_overdue", "placement_of",
]


CaseRef = Union[Case, str]


def urgency_of(triage: Mapping) -> str:
    """emergency (2 h), complex (15 days) or general (7 days)."""
    if (triage.get("intent") or {}).get("name") == "emergency" or (triage.get("route") or {}).get("to") == "110":
        return "emergency"
    if is_urgent(triage.get("warning_level")):
        return "complex"
    if (triage.get("route") or {}).get("to") == "mediation:city":
        return "complex"
    return "general"


def case_number_for(case_id: int, created_at: dt.datetime) -> str:
    """JF + date + id: unique because the id is, readable on the phone."""
    return f"JF{created_at:%Y%m%d}{case_id:06d}"


def deadline_for(urgency: str, now: dt.datetime, deadline_hours: Optional[Mapping[str, float]] = None) -> dt.datetime:
    hours = {**DEFAULT_DEADLINE_HOURS, **(deadline_hours or {})}
    return now + dt.timedelta(hours=hours[urgency])


def is_overdue(case: Case, now: Optional[dt.datetime] = None) -> bool:
    return case.status in OPEN_STATUSES and case.deadline_at < (now or utcnow())


def _people_count(triage: Mapping) -> Optional[int]:
    counts = [e.get("value") for e in triage.get("entities") or [] if e.get("entity") == "people_count"]
    counts = [c for c in counts if isinstance(c, int)]
    from_signals = people_count_from_signals(triage.get("risk_signals") or [])
    if from_signals is not None:
        counts.append(from_signals)
    return max(counts) if counts else None


def _event(session: Session, case: Case, actor: Actor, action: str, *, from_status: Optional[str] = None,
           to_status: Optional[str] = None, note: Optional[str] = None, detail: Optional[dict] = None,
           at: Optional[dt.datetime] = None) -> CaseEvent:
    event = CaseEvent(case_id=case.id, at=at or utcnow(), actor=actor.label, action=action,
                      from_status=from_status, to_status=to_status, note=note, detail=detail)
    session.add(event)
    return event


def record_event(session: Session, case: Case, actor: ActorLike, action: str, *, note: Optional[str] = None,
                 detail: Optional[dict] = None, at: Optional[dt.datetime] = None) -> CaseEvent:
    """An audit entry for something that happened to the case without a change of state (a hand-off, a rating)."""
    return _event(session, case, as_actor(actor), action, note=note, detail=detail, at=at)


def _published(session: Session, case: Case, event: CaseEvent) -> Case:
    """The operation is done: flush it, and tell the listeners (hotline.cases.events) what it did."""
    session.flush()
    events.publish(session, case, event)
    return case


def _set_level(case: Case, level: Optional[str]) -> None:
    case.warning_level = level
    case.warning_rank = WARNING_RANK.get(level, 0)


def _org_code(organisation: Optional[Organisation]) -> Optional[str]:
    return organisation.code if organisation is not None else None


# --- opening ----------------------------------------------------------------------


@dataclass(frozen=True)
class Intake:
    """What a case is opened from: the citizen's words and their triage record, where they came from, and what
    the intake learned (place, other side, head count, a phone given with consent, the conversation so far).

    `key` identifies the intake: opening a case for the same key again returns the case it opened."""

    text: str
    triage: Mapping
    key: str
    channel: str = "webchat"
    sender_id: Optional[str] = None
    location: Optional[str] = None
    respondent: Optional[str] = None
    people_count: Optional[int] = None
    contact_phone: Optional[str] = None
    pii_consent: bool = False
    transcript: Iterable[Tuple[str, str]] = ()


def open_case(session: Session, actor: ActorLike, intake: Intake, *,
              deadline_hours: Optional[Mapping[str, float]] = None, now: Optional[dt.datetime] = None,
              group_window: dt.timedelta = grouping.DEFAULT_WINDOW) -> Tuple[Case, bool]:
    """Open a case, or return the one this intake already opened.

    Returns (case, created). Without consent no personal data is stored: the
    phone is dropped and phone or ID numbers in the text are masked. The case
    is placed with an organisation when the organisations file names one for
    its route, tier and place, and joins a collective dispute when cases like
    it came in within `group_window`.
    """
    who = as_actor(actor)
    authorize(who, "open")
    existing = session.execute(select(Case).where(Case.intake_key == intake.key)).scalar_one_or_none()
    if existing is not None:
        return existing, False
    now = now or utcnow()
    urgency = urgency_of(intake.triage)
    route = intake.triage.get("route") or {}
    tier, committee = placement_of(route.get("to"))
    organisation, tier = choose_organisation(session, route.get("to"), tier, find_area(session, intake.location))
    dispute = intake.triage.get("dispute_type") or {}
    keep = (lambda s: s) if intake.pii_consent else mask_pii
    level = intake.triage.get("warning_level")
    case = Case(
        status="reported",
        line=intake.triage.get("line"),
        channel=intake.channel,
        sender_id=intake.sender_id,
        intake_key=intake.key,
        description=keep(intake.text),
        intent=(intake.triage.get("intent") or {}).get("name"),
        dispute_type=dispute.get("code"),
        warning_level=level,
        warning_rank=WARNING_RANK.get(level, 0),
        risk_signals=list(intake.triage.get("risk_signals") or []),
        triage=masked_triage(intake.triage) if not intake.pii_consent else dict(intake.triage),
        route_to=route.get("to"),
        route_reason=route.get("reason"),
        tier=tier,
        committee=committee,
        organisation_id=organisation.id if organisation is not None else None,
        urgency=urgency,
        location=intake.location,
        place_key=grouping.normalise_key(intake.location),
        respondent=intake.respondent or None,
        respondent_key=grouping.normalise_key(intake.respondent),
        people_count=intake.people_count if intake.people_count is not None else _people_count(intake.triage),
        pii_consent=bool(intake.pii_consent),
        contact_phone=intake.contact_phone if intake.pii_consent else None,
        deadline_at=deadline_for(urgency, now, deadline_hours),
        escalations=0,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(case)
            session.flush()
    except IntegrityError:
        # Another worker opened it between our look-up and insert.
        return session.execute(select(Case).where(Case.intake_key == intake.key)).scalar_one(), False
    case.number = case_number_for(case.id, now)
    for sender, message in intake.transcript:
        session.add(CaseMessage(case_id=case.id, sender=sender, text=keep(message), at=now))
    if intake.respondent:
        session.add(CaseParty(case_id=case.id, role="respondent", name=intake.respondent, created_at=now))
    detail = {"organisation": _org_code(organisation), "tier": tier} if organisation is not None else None
    opened = _event(session, case, who, "open", to_status="reported", note=route.get("reason"), detail=detail,
                    at=now)
    session.flush()
    grouping.link(session, case, who.label, _raiser(session, who), group_window)
    return _published(session, case, opened), True


# --- changing ---------------------------------------------------------------------


def lock_case(session: Session, ref: CaseRef) -> Case:
    """The case's row locked for this transaction, re-read from the database."""
    number = ref if isinstance(ref, str) else ref.number
    if session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: a no-op write takes the database write lock now, so what we read
        # next is what we will change (reads before a write run outside any transaction there).
        session.execute(update(Case).where(Case.number == number).values(updated_at=Case.updated_at)
                        .execution_options(synchronize_session=False))
        statement = select(Case).where(Case.number == number)
    else:
        statement = select(Case).where(Case.number == number).with_for_update(of=Case)
    found = session.execute(statement.execution_options(populate_existing=True)).unique().scalar_one_or_none()
    if found is None:
        raise CaseNotFound(number)
    return found


def _move(session: Session, case: Case, who: Actor, to_status: str, action: str, *, note: Optional[str] = None,
          detail: Optional[dict] = None, now: Optional[dt.datetime] = None) -> CaseEvent:
    check_transition(case.status, to_status)
    event = _event(session, case, who, action, from_status=case.status, to_status=to_status, note=note,
                   detail=detail, at=now)
    case.status = to_status
    case.updated_at = now or utcnow()
    return event


def _require_reason(reason: Optional[str], what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(f"{what}需要写明理由。", "reason_required")
    return reason


def _check_may_change(session: Session, case: Case, who: Actor) -> None:
    """The actor sees the case (scope) and, when someone holds it, is the holder, its lead or an admin."""
    scope.check_visible(session, who, case)
    scope.check_may_change(session, who, case)


def transition(session: Session, case: Case, actor: ActorLike, to_status: str, note: Optional[str] = None,
               action: str = "transition") -> Case:
    """A plain change of state along TRANSITIONS, audited; the named operations below add their rules."""
    who = as_actor(actor)
    case = lock_case(session, case)
    return _published(session, case, _move(session, case, who, to_status, action, note=note))


def register(session: Session, case: CaseRef, actor: ActorLike, note: Optional[str] = None) -> Case:
    """核实立案: a person checked the report and it stands."""
    who = as_actor(actor)
    authorize(who, "register")
    case = lock_case(session, case)
    scope.check_visible(session, who, case)
    return _published(session, case, _move(session, case, who, "registered", "register", note=note))


def assign(session: Session, case: CaseRef, actor: ActorLike, organisation_code: Optional[str] = None,
           note: Optional[str] = None, *, deadline_hours: Optional[Mapping[str, float]] = None) -> Case:
    """分流交办: hand the case to an organisation (named, or chosen from its route, tier and place)."""
    who = as_actor(actor)
    authorize(who, "assign")
    case = lock_case(session, case)
    scope.check_visible(session, who, case)
    if case.assignee_id is not None:
        raise Conflict("案件正在由调解员办理，请先退回队列再改派。", "case_held")
    before = case.organisation
    if organisation_code:
        organisation = _organisation(session, organisation_code)
        tier = organisation.tier or case.tier
    else:
        organisation, tier = choose_organisation(session, case.route_to, case.tier, find_area(session, case.location))
        if organisation is None:
            raise InvalidInput("无法根据分流去向和地点确定承办单位，请指定单位。", "organisation_required")
    detail = {"from_organisation": _org_code(before), "organisation": organisation.code,
              "from_tier": case.tier, "tier": tier}
    event = _move(session, case, who, "assigned", "assign", note=note or f"交{organisation.name}办理", detail=detail)
    case.organisation_id, case.tier = organisation.id, tier
    session.flush()
    session.expire(case, ["organisation"])
    return _published(session, case, event)


def _organisation(session: Session, code: str) -> Organisation:
    organisation = session.execute(select(Organisation).where(Organisation.code == code)).scalar_one_or_none()
    if organisation is None:
        raise InvalidInput(f"没有代码为 {code} 的单位。", "unknown_organisation")
    return organisation


def claim(session: Session, number: str, user: Union[User, Actor]) -> Case:
    """Take a case from the queue; of two simultaneous claims exactly one wins.

    A single conditional UPDATE is atomic on SQLite and PostgreSQL alike: the
    loser's WHERE no longer matches (PostgreSQL re-checks it after the
    winner commits) and it updates no row.
    """
    who = as_actor(user)
    authorize(who, "claim")
    case = queries.get_case(session, number)
    scope.check_visible(session, who, case)
    return _claim_row(session, case, who)


def _claim_row(session: Session, case: Case, who: Actor) -> Case:
    now = utcnow()
    # The UPDATE below bypasses the ORM, so the dashboard's roll-up is told here: the row as it stands,
    # locked until commit (a rival claim waits, then finds the case taken).
    before = rollup.current(session, [case.id]).get(case.id)
    result = session.execute(
        update(Case)
        .where(Case.id == case.id, Case.assignee_id.is_(None), Case.status.in_(sorted(QUEUE_STATUSES)))
        .values(assignee_id=who.user.id, status="in_progress", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise AlreadyClaimed(case.number)
    rollup.record(session, before, {**before, "status": "in_progress"})
    event = _event(session, case, who, "claim", from_status=before["status"], to_status="in_progress", at=now)
    session.flush()
    session.refresh(case)
    return _published(session, case, event)


def claim_next(session: Session, user: Union[User, Actor], *, organisation_id: Optional[int] = None,
               dispute_type: Optional[str] = None, attempts: int = 20) -> Optional[Case]:
    """Claim the case at the head of the queue; None when the queue is empty.

    PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED, so concurrent claimers each
    lock a different head-of-queue row instead of queueing behind one.
    SQLite (one writer at a time): the conditional UPDATE of `claim`, trying
    the next case when another claimer got there first.
    """
    who = as_actor(user)
    authorize(who, "claim")
    waiting = queries.waiting(organisation_id=organisation_id, dispute_type=dispute_type,
                              where=scope.case_condition(session, who))
    if session.get_bind().dialect.name == "postgresql":
        statement = waiting.limit(1).with_for_update(skip_locked=True, of=Case)
        case = session.execute(statement).unique().scalar_one_or_none()
        return None if case is None else _claim_row(session, case, who)
    for _ in range(attempts):
        candidates = list(session.execute(waiting.limit(5)).unique().scalars())
        if not candidates:
            return None
        for case in candidates:
            try:
                return _claim_row(session, case, who)
            except AlreadyClaimed:
                continue
    return None


def release(session: Session, case: CaseRef, actor: ActorLike, note: Optional[str] = None) -> Case:
    """Give a held case back to the queue of its organisation."""
    who = as_actor(actor)
    authorize(who, "release")
    case = lock_case(session, case)
    if case.status != "in_progress" or case.assignee_id is None:
        raise Conflict("案件当前没有人承办，无需退回。", "not_held")
    _check_may_change(session, case, who)
    event = _move(session, case, who, "assigned", "release", note=note,
                  detail={"released": case.assignee.username if case.assignee else None})
    case.assignee_id = None
    session.flush()
    session.expire(case, ["assignee"])
    return _published(session, case, event)


def transfer(session: Session, case: CaseRef, actor: ActorLike, destination: str, reason: Optional[str] = None, *,
             deadline_hours: Optional[Mapping[str, float]] = None, now: Optional[dt.datetime] = None) -> Case:
    """Transfer out (110, 12348, court, arbitration, administrative review ...) or to another organisation.

    `destination` is a key of TRANSFER_DESTINATIONS (the case leaves: 已转办),
    or `org:<code>` (the case goes to that organisation's queue).
    """
    who = as_actor(actor)
    authorize(who, "transfer")
    reason = _require_reason(reason, "转办")
    case = lock_case(session, case)
    _check_may_change(session, case, who)
    now = now or utcnow()
    if destination.startswith("org:"):
        organisation = _organisation(session, destination[4:])
        if organisation.id == case.organisation_id and case.assignee_id is None:
            raise Conflict(f"案件已在{organisation.name}。", "same_organisation")
        detail = {"from_organisation": _org_code(case.organisation), "organisation": organisation.code,
                  "from_tier": case.tier, "tier": organisation.tier or case.tier,
                  "released": case.assignee.username if case.assignee else None}
        event = _move(session, case, who, "assigned", "transfer", note=f"转{organisation.name}：{reason}",
                      detail=detail, now=now)
        case.organisation_id, case.tier, case.assignee_id = organisation.id, organisation.tier or case.tier, None
        case.deadline_at, case.overdue_flagged_at = deadline_for(case.urgency, now, deadline_hours), None
    elif destination in TRANSFER_DESTINATIONS:
        event = _move(session, case, who, "transferred", "transfer",
                      note=f"转{TRANSFER_DESTINATIONS[destination]}：{reason}", detail={"to": destination}, now=now)
        case.transferred_to = destination
    else:
        raise InvalidInput("转办去向不正确：可转 " + "、".join(TRANSFER_DESTINATIONS) + "，或 org:单位代码。",
                           "invalid_destination")
    session.flush()
    session.expire(case, ["organisation", "assignee"])
    return _published(session, case, event)


def escalate(session: Session, case: CaseRef, actor: ActorLike, reason: Optional[str] = None, *,
             deadline_hours: Optional[Mapping[str, float]] = None, now: Optional[dt.datetime] = None) -> Case:
    """One tier up (village -> town -> city, or a committee to its parent body), back in that queue.

    The case gets a fresh deadline at the new tier; whoever held it lets go,
    since the body above takes it over.
    """
    who = as_actor(actor)
    authorize(who, "escalate")
    reason = _require_reason(reason, "升级")
    case = lock_case(session, case)
    if case.status not in OPEN_STATUSES:
        raise Conflict(f"案件处于“{STATUS_NAMES[case.status]}”，不能升级。", "not_open")
    _check_may_change(session, case, who)
    if case.tier is None:
        raise Conflict(f"案件的分流去向是 {case.route_to or '未定'}，不在调解层级中，不能升级；请转办或分流交办。",
                       "not_in_mediation")
    organisation, tier = escalation_target(session, case)
    if tier is None:
        raise Conflict(f"案件已在{TIER_NAMES[case.tier]}，没有更高一级可升级；请转办或报请领导督办。", "top_tier")
    now = now or utcnow()
    detail = {"from_tier": case.tier, "tier": tier, "from_organisation": _org_code(case.organisation),
              "organisation": _org_code(organisation),
              "released": case.assignee.username if case.assignee else None}
    target = organisation.name if organisation is not None else TIER_NAMES[tier]
    event = _move(session, case, who, "assigned", "escalate", note=f"升级至{target}：{reason}", detail=detail, now=now)
    case.tier, case.assignee_id = tier, None
    case.organisation_id = organisation.id if organisation is not None else None
    case.escalations = (case.escalations or 0) + 1
    case.deadline_at, case.overdue_flagged_at = deadline_for(case.urgency, now, deadline_hours), None
    session.flush()
    session.expire(case, ["organisation", "assignee"])
    return _published(session, case, event)


def flag_overdue(session: Session, case: CaseRef, actor: ActorLike, note: str,
                 now: Optional[dt.datetime] = None) -> Case:
    """Mark a case the deadline job found overdue but could not escalate (once per deadline)."""
    who = as_actor(actor)
    case = lock_case(session, case)
    now = now or utcnow()
    case.overdue_flagged_at = now
    event = _event(session, case, who, "overdue", note=note, detail={"deadline": case.deadline_at.isoformat()}, at=now)
    return _published(session, case, event)


def resolve(session: Session, case: CaseRef, actor: ActorLike, *, outcome: str, difficulty: str,
            agreement: Optional[str] = None, next_path: Optional[str] = None, note: Optional[str] = None,
            now: Optional[dt.datetime] = None) -> Case:
    """事件反馈: record the outcome; success needs the agreement, failure the path the citizen is steered to."""
    who = as_actor(actor)
    authorize(who, "resolve")
    outcome = _code(outcome, OUTCOMES, "调解结果", "invalid_outcome")
    difficulty = _code(difficulty, DIFFICULTIES, "难度等级", "invalid_difficulty")
    agreement = (agreement or "").strip() or None
    if outcome == "success" and not agreement:
        raise InvalidInput("调解成功需要填写调解协议内容。", "agreement_required")
    if outcome == "failed":
        if not next_path:
            raise InvalidInput("调解不成需要选择后续途径：" + "、".join(NEXT_PATHS.values()) + "。", "next_path_required")
        next_path = _code(next_path, NEXT_PATHS, "后续途径", "invalid_next_path")
    else:
        next_path = None
    case = lock_case(session, case)
    if case.status != "in_progress":
        raise Conflict("只有正在办理的案件可以办结，请先认领。", "not_in_progress")
    _check_may_change(session, case, who)
    now = now or utcnow()
    summary = OUTCOMES[outcome] + (f"，引导{NEXT_PATHS[next_path]}" if next_path else "")
    event = _move(session, case, who, "feedback", "resolve", note="；".join(x for x in (summary, note) if x),
                  detail={"outcome": outcome, "difficulty": difficulty, "next_path": next_path}, now=now)
    case.outcome, case.difficulty, case.next_path, case.agreement, case.resolved_at = (
        outcome, difficulty, next_path, agreement, now)
    if agreement:
        session.add(CaseDocument(case_id=case.id, kind="agreement", title="人民调解协议书", body=agreement,
                                 created_by=who.label, created_at=now))
    return _published(session, case, event)


def _code(value: Optional[str], names: Mapping[str, str], what: str, error_code: str) -> str:
    """A code given either as the code or as its Chinese name (一般 / general)."""
    for code, name in names.items():
        if value in (code, name):
            return code
    raise InvalidInput(f"{what}不正确：应为 " + "、".join(names.values()) + "。", error_code)


def evaluate(session: Session, case: CaseRef, actor: ActorLike, rating: int, comment: Optional[str] = None) -> Case:
    """考核评价: the citizen's rating (1-5) and the reviewer's comment."""
    who = as_actor(actor)
    authorize(who, "evaluate")
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise InvalidInput("评价分数应为 1 到 5 的整数。", "invalid_rating")
    case = lock_case(session, case)
    event = _move(session, case, who, "evaluated", "evaluate", note=comment, detail={"rating": rating})
    case.rating, case.evaluation = rating, (comment or None)
    return _published(session, case, event)


def close(session: Session, case: CaseRef, actor: ActorLike, note: Optional[str] = None) -> Case:
    who = as_actor(actor)
    authorize(who, "close")
    case = lock_case(session, case)
    if case.status in ("reported", "registered"):
        # Closing without handling (duplicate, no dispute) must say why.
        note = _require_reason(note, "未办理即结案")
    event = _move(session, case, who, "closed", "close", note=note)
    case.closed_at = utcnow()
    return _published(session, case, event)


def reopen(session: Session, case: CaseRef, actor: ActorLike, reason: Optional[str] = None, *,
           deadline_hours: Optional[Mapping[str, float]] = None, now: Optional[dt.datetime] = None) -> Case:
    who = as_actor(actor)
    authorize(who, "reopen")
    reason = _require_reason(reason, "重新办理")
    case = lock_case(session, case)
    now = now or utcnow()
    event = _move(session, case, who, "reopened", "reopen", note=reason, now=now)
    case.assignee_id, case.closed_at = None, None
    case.deadline_at, case.overdue_flagged_at = deadline_for(case.urgency, now, deadline_hours), None
    session.flush()
    session.expire(case, ["assignee"])
    return _published(session, case, event)


def set_warning_level(session: Session, case: CaseRef, actor: ActorLike, level: Optional[str],
                      reason: Optional[str]) -> Case:
    """Raise, lower or lift (None) the warning level, with a reason, audited.

    Anyone may raise (the bot and the triage do); only a person may lower or
    lift, because a level going down is a judgement someone must answer for.
    """
    who = as_actor(actor)
    if level not in WARNING_RANK:
        raise InvalidInput("预警等级应为 orange、red、yellow，或 null 表示解除。", "invalid_level")
    reason = _require_reason(reason, "调整预警等级")
    case = lock_case(session, case)
    if who.is_person:
        # The bot and the triage raise levels on anyone's case; a person changes only a case they may change.
        _check_may_change(session, case, who)
    old = case.warning_level
    if level == old:
        raise Conflict(f"预警等级已是{WARNING_NAMES[old]}。", "level_unchanged")
    if WARNING_RANK[level] < WARNING_RANK[old]:
        if not who.is_person:
            raise PermissionDenied("预警等级只能由工作人员本人降低或解除。", "person_required")
        authorize(who, "warning")
    return _published(session, case, _change_level(session, case, who, level, reason))


def _change_level(session: Session, case: Case, who: Actor, level: Optional[str], reason: str) -> CaseEvent:
    old = case.warning_level
    if level is None:
        action = "warning_lift"
    else:
        action = "warning_raise" if WARNING_RANK[level] > WARNING_RANK[old] else "warning_lower"
    event = _event(session, case, who, action, note=f"{WARNING_NAMES[old]} → {WARNING_NAMES[level]}：{reason}",
                   detail={"from": old, "to": level})
    _set_level(case, level)
    case.updated_at = utcnow()
    return event


def _raiser(session: Session, who: Actor):
    """The audited raise that grouping uses; it never lowers."""

    def raise_level(case: Case, level: str, reason: str) -> None:
        if WARNING_RANK[level] > WARNING_RANK.get(case.warning_level, 0):
            _change_level(session, case, who, level, reason)

    return raise_level


def add_party(session: Session, case: CaseRef, actor: ActorLike, role: str, name: str,
              phone: Optional[str] = None, note: Optional[str] = None) -> CaseParty:
    """A party to the case; a respondent also links the case with others against the same respondent."""
    who = as_actor(actor)
    authorize(who, "edit")
    role = _code(role, PARTY_ROLES, "当事人身份", "invalid_role")
    name = (name or "").strip()
    if not name:
        raise InvalidInput("当事人名称不能为空。", "name_required")
    case = lock_case(session, case)
    _check_may_change(session, case, who)
    if phone and not case.pii_consent:
        raise InvalidInput("群众未同意留存个人信息，不能记录联系电话。", "no_consent")
    party = CaseParty(case_id=case.id, role=role, name=name[:255], phone=phone or None, note=note or None)
    session.add(party)
    event = _event(session, case, who, "party_add", note=f"{PARTY_ROLES[role]}：{name}", detail={"role": role})
    if role == "respondent" and not case.respondent:
        case.respondent, case.respondent_key = name[:255], grouping.normalise_key(name)
        session.flush()
        grouping.link(session, case, who.label, _raiser(session, who))
    _published(session, case, event)
    return party


def add_document(session: Session, case: CaseRef, actor: ActorLike, kind: str, title: str, body: str) -> CaseDocument:
    who = as_actor(actor)
    authorize(who, "edit")
    kind = _code(kind, DOCUMENT_KINDS, "材料类型", "invalid_kind")
    title = (title or "").strip()
    if not title:
        raise InvalidInput("材料标题不能为空。", "title_required")
    case = lock_case(session, case)
    _check_may_change(session, case, who)
    document = CaseDocument(case_id=case.id, kind=kind, title=title[:255], body=body or "", created_by=who.label)
    session.add(document)
    _published(session, case, _event(session, case, who, "document_add", note=f"{DOCUMENT_KINDS[kind]}：{title}"))
    return document


def add_message(session: Session, case: Case, sender: str, text: str, author: Optional[str] = None) -> CaseMessage:
    """A line of the case's transcript; phone and ID numbers are masked unless the citizen consented."""
    message = CaseMessage(case_id=case.id, sender=sender, text=text if case.pii_consent else mask_pii(text),
                          author=author)
    session.add(message)
    session.flush()
    return message


