"""Retention: what citizens told us is erased when its keeping period ends (个人信息保护法 Art. 19, 47).

Closed cases keep their codes, dates and audit trail (statistics and
accountability) but lose every personal detail; raw channel messages,
delivered outbox rows, status look-ups, ended sign-ins and Rasa's tracker
events older than the period are deleted. Each purged case gets a `purge`
event in its audit trail; the run itself is logged with its counts.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Dict, Optional

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from hotline.cases.models import (
    Case,
    CaseDocument,
    CaseEvent,
    CaseMessage,
    CaseParty,
    InboundMessage,
    OutboxMessage,
    StatusLookup,
    utcnow,
)

logger = logging.getLogger(__name__)

PURGED = "（已按保存期限清除）"
ACTOR = "system:retention"
# Triage keys that are codes, not words: kept for statistics after the text is gone.
TRIAGE_CODES = ("line", "intent", "dispute_type", "warning_level", "risk_signals", "route")


@dataclass
class PurgeResult:
    cutoff: dt.datetime
    counts: Dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        return "，".join(f"{name} {count}" for name, count in self.counts.items())


def purge(session: Session, older_than_days: float, now: Optional[dt.datetime] = None) -> PurgeResult:
    """Erase personal data kept longer than `older_than_days`; the caller commits."""
    if older_than_days < 1:
        raise ValueError("older_than_days must be at least 1")
    now = now or utcnow()
    result = PurgeResult(cutoff=now - dt.timedelta(days=older_than_days))
    cutoff = result.cutoff

    cases = session.execute(select(Case).where(Case.status == "closed", Case.closed_at < cutoff,
                                               Case.description != PURGED)).scalars().all()
    for case in cases:
        triage = case.triage or {}
        case.description = PURGED
        case.contact_phone = None
        case.sender_id = None
        case.respondent = None
        case.agreement = None
        case.evaluation = None
        case.citizen_comment = None
        case.triage = {k: triage[k] for k in TRIAGE_CODES if k in triage}
        session.add(CaseEvent(case_id=case.id, at=now, actor=ACTOR, action="purge",
                              note=f"保存期限 {older_than_days:g} 天已到，个人信息已清除"))
    ids = [c.id for c in cases]
    if ids:
        session.execute(update(CaseMessage).where(CaseMessage.case_id.in_(ids)).values(text=PURGED)
                        .execution_options(synchronize_session=False))
        session.execute(update(CaseParty).where(CaseParty.case_id.in_(ids)).values(name=PURGED, phone=None, note=None)
                        .execution_options(synchronize_session=False))
        session.execute(update(CaseDocument).where(CaseDocument.case_id.in_(ids)).values(body=PURGED)
                        .execution_options(synchronize_session=False))
    result.counts["cases"] = len(ids)
    result.counts["inbound_messages"] = session.execute(
        delete(InboundMessage).where(InboundMessage.received_at < cutoff, InboundMessage.status != "processing")
        .execution_options(synchronize_session=False)).rowcount
    result.counts["outbox"] = session.execute(
        delete(OutboxMessage).where(OutboxMessage.created_at < cutoff, OutboxMessage.status.in_(("sent", "failed")))
        .execution_options(synchronize_session=False)).rowcount
    result.counts["status_lookups"] = session.execute(
        delete(StatusLookup).where(StatusLookup.at < cutoff).execution_options(synchronize_session=False)).rowcount
    from hotline.web.sessions import LoginSession

    result.counts["login_sessions"] = session.execute(
        delete(LoginSession).where(or_(LoginSession.created_at < cutoff,
                                       and_(LoginSession.ended_at.isnot(None), LoginSession.ended_at < cutoff)))
        .execution_options(synchronize_session=False)).rowcount
    session.flush()
    return result


def purge_tracker(tracker_url: str, cutoff: dt.datetime) -> int:
    """Delete Rasa's tracker events older than `cutoff` (naive UTC); returns how many."""
    from sqlalchemy import MetaData, Table, create_engine, inspect

    engine = create_engine(tracker_url, future=True)
    try:
        if not inspect(engine).has_table("events"):
            return 0
        events = Table("events", MetaData(), autoload_with=engine)
        epoch = cutoff.replace(tzinfo=dt.timezone.utc).timestamp()
        with engine.begin() as connection:
            return connection.execute(delete(events).where(events.c.timestamp < epoch)).rowcount
    finally:
        engine.dispose()
