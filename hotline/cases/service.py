"""Case operations shared by the action server, the web service and the CLI.

Every function takes the SQLAlchemy session and the actor explicitly; each
state change writes its audit entry in the same transaction as the change.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable, List, Mapping, Optional, Sequence, Tuple

from sqlalchemy import case as sql_case
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.cases.lifecycle import QUEUE_STATUSES, check_transition
from hotline.cases.models import Case, CaseEvent, CaseMessage, User, utcnow
from hotline.triage import mask_pii

DEFAULT_DEADLINE_HOURS = {"emergency": 2.0, "general": 7 * 24.0, "complex": 15 * 24.0}


class CaseNotFound(LookupError):
    pass


class AlreadyClaimed(RuntimeError):
    pass


def urgency_of(triage: Mapping) -> str:
    """emergency (2 h), complex (15 days) or general (7 days)."""
    if (triage.get("intent") or {}).get("name") == "emergency" or (triage.get("route") or {}).get("to") == "110":
        return "emergency"
    if triage.get("warning_level") in ("orange", "red"):
        return "complex"
    if (triage.get("route") or {}).get("to") == "mediation:city":
        return "complex"
    return "general"


def placement_of(route_to: Optional[str]) -> Tuple[Optional[str], Optional[str]]:
    """(tier, committee) from a route such as `mediation:town` or `committee:medical`."""
    if not route_to:
        return None, None
    if route_to.startswith("mediation:"):
        return route_to.split(":", 1)[1], None
    if route_to.startswith("committee:"):
        return "town", route_to.split(":", 1)[1]
    return None, None


def case_number_for(case_id: int, created_at: dt.datetime) -> str:
    """JF + date + id: unique because the id is, readable on the phone."""
    return f"JF{created_at:%Y%m%d}{case_id:06d}"


def open_case(
    session: Session,
    actor: str,
    *,
    text: str,
    triage: Mapping,
    intake_key: str,
    channel: str = "webchat",
    sender_id: Optional[str] = None,
    location: Optional[str] = None,
    contact_phone: Optional[str] = None,
    pii_consent: bool = False,
    transcript: Iterable[Tuple[str, str]] = (),
    deadline_hours: Optional[Mapping[str, float]] = None,
    now: Optional[dt.datetime] = None,
) -> Tuple[Case, bool]:
    """Open a case, or return the one this intake already opened.

    Returns (case, created). Without consent no personal data is stored: the
    phone is dropped and phone or ID numbers in the text are masked.
    """
    existing = session.execute(select(Case).where(Case.intake_key == intake_key)).scalar_one_or_none()
    if existing is not None:
        return existing, False
    now = now or utcnow()
    hours = {**DEFAULT_DEADLINE_HOURS, **(deadline_hours or {})}
    urgency = urgency_of(triage)
    route = triage.get("route") or {}
    tier, committee = placement_of(route.get("to"))
    dispute = triage.get("dispute_type") or {}
    keep = (lambda s: s) if pii_consent else mask_pii
    case = Case(
        status="reported",
        line=triage.get("line"),
        channel=channel,
        sender_id=sender_id,
        intake_key=intake_key,
        description=keep(text),
        intent=(triage.get("intent") or {}).get("name"),
        dispute_type=dispute.get("code"),
        warning_level=triage.get("warning_level"),
        risk_signals=list(triage.get("risk_signals") or []),
        triage=_masked_triage(triage) if not pii_consent else dict(triage),
        route_to=route.get("to"),
        route_reason=route.get("reason"),
        tier=tier,
        committee=committee,
        urgency=urgency,
        location=location,
        pii_consent=bool(pii_consent),
        contact_phone=contact_phone if pii_consent else None,
        deadline_at=now + dt.timedelta(hours=hours[urgency]),
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(case)
            session.flush()
    except IntegrityError:
        # Another worker opened it between our look-up and insert.
        return session.execute(select(Case).where(Case.intake_key == intake_key)).scalar_one(), False
    case.number = case_number_for(case.id, now)
    for sender, message in transcript:
        session.add(CaseMessage(case_id=case.id, sender=sender, text=keep(message), at=now))
    session.add(CaseEvent(case_id=case.id, at=now, actor=actor, action="open", from_status=None, to_status="reported",
                          note=route.get("reason")))
    session.flush()
    return case, True


def _masked_triage(triage: Mapping) -> dict:
    masked = dict(triage)
    masked["text"] = mask_pii(triage.get("text") or "")
    masked["entities"] = [e for e in triage.get("entities") or [] if e.get("entity") not in ("phone", "id_number")]
    return masked


def get_case(session: Session, number: str) -> Case:
    found = session.execute(select(Case).where(Case.number == number)).unique().scalar_one_or_none()
    if found is None:
        raise CaseNotFound(number)
    return found


def queue(session: Session, limit: int = 200) -> List[Case]:
    """Unclaimed cases, highest warning level first, then the nearest deadline."""
    rank = sql_case(
        (Case.warning_level == "orange", 3),
        (Case.warning_level == "red", 2),
        (Case.warning_level == "yellow", 1),
        else_=0,
    )
    statement = (
        select(Case)
        .where(Case.status.in_(sorted(QUEUE_STATUSES)), Case.assignee_id.is_(None))
        .order_by(rank.desc(), Case.deadline_at.asc(), Case.id.asc())
        .limit(limit)
    )
    return list(session.execute(statement).unique().scalars())


def add_message(session: Session, case: Case, sender: str, text: str) -> CaseMessage:
    message = CaseMessage(case_id=case.id, sender=sender, text=text if case.pii_consent else mask_pii(text))
    session.add(message)
    session.flush()
    return message


def transition(session: Session, case: Case, actor: str, to_status: str, note: Optional[str] = None,
               action: str = "transition") -> Case:
    check_transition(case.status, to_status)
    session.add(CaseEvent(case_id=case.id, actor=actor, action=action, from_status=case.status,
                          to_status=to_status, note=note))
    case.status = to_status
    session.flush()
    return case


def claim(session: Session, number: str, user: User) -> Case:
    """Take a case from the queue; of two simultaneous claims exactly one wins.

    A single conditional UPDATE is atomic on SQLite and PostgreSQL alike: the
    loser's WHERE no longer matches and it updates no row.
    """
    case = get_case(session, number)
    result = session.execute(
        update(Case)
        .where(Case.id == case.id, Case.assignee_id.is_(None), Case.status.in_(sorted(QUEUE_STATUSES)))
        .values(assignee_id=user.id, status="in_progress", updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise AlreadyClaimed(number)
    session.add(CaseEvent(case_id=case.id, actor=f"user:{user.username}", action="claim",
                          from_status=case.status, to_status="in_progress"))
    session.flush()
    session.refresh(case)
    return case


def count_cases(session: Session) -> int:
    return session.execute(select(func.count(Case.id))).scalar_one()


def transcript_pairs(messages: Sequence[CaseMessage]) -> List[Tuple[str, str]]:
    return [(m.sender, m.text) for m in messages]
