"""Dashboard figures: counts by type, tier, area, line, department and status, success rate, overdue, trends.

Every figure is one GROUP BY over the cases that came in within the chosen
date range (the ix_cases_created index narrows them), filtered by line and
area. Codes are returned as they are; the web layer names them in Chinese.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from sqlalchemy import and_, case as when, func, select
from sqlalchemy.orm import Session

from hotline.cases.lifecycle import OPEN_STATUSES
from hotline.cases.models import Area, Case, Organisation

MAX_RANGE_DAYS = 400
OVERDUE_LIST = 50


@dataclass(frozen=True)
class StatsFilter:
    start: dt.datetime  # naive UTC, inclusive
    end: dt.datetime  # naive UTC, exclusive
    line: Optional[str] = None
    area_id: Optional[int] = None  # the area of the organisation handling the case
    scope: object = None  # scope.case_condition for a mediator, else None

    def where(self):
        conditions = [Case.created_at >= self.start, Case.created_at < self.end]
        if self.line:
            conditions.append(Case.line == self.line)
        if self.area_id is not None:
            conditions.append(Case.organisation_id.in_(
                select(Organisation.id).where(Organisation.area_id == self.area_id)))
        if self.scope is not None:
            conditions.append(self.scope)
        return and_(*conditions)


def _grouped(session: Session, column, f: StatsFilter) -> List[Tuple[Optional[str], int]]:
    rows = session.execute(select(column, func.count()).where(f.where()).group_by(column)
                           .order_by(func.count().desc()))
    return [(key, count) for key, count in rows]


def by_dispute_type(session: Session, f: StatsFilter):
    return _grouped(session, Case.dispute_type, f)


def by_tier(session: Session, f: StatsFilter):
    return _grouped(session, Case.tier, f)


def by_line(session: Session, f: StatsFilter):
    return _grouped(session, Case.line, f)


def by_route(session: Session, f: StatsFilter):
    """Department / destination: the triage's route (12345:water, mediation:town, 110 ...)."""
    return _grouped(session, Case.route_to, f)


def by_status(session: Session, f: StatsFilter):
    return _grouped(session, Case.status, f)


def by_warning(session: Session, f: StatsFilter):
    return _grouped(session, Case.warning_level, f)


def by_area(session: Session, f: StatsFilter) -> List[Tuple[Optional[str], int]]:
    per_org = (select(Case.organisation_id.label("org"), func.count().label("n")).where(f.where())
               .group_by(Case.organisation_id).subquery())
    rows = session.execute(
        select(Area.name, func.sum(per_org.c.n)).select_from(per_org)
        .outerjoin(Organisation, Organisation.id == per_org.c.org).outerjoin(Area, Area.id == Organisation.area_id)
        .group_by(Area.name).order_by(func.sum(per_org.c.n).desc()))
    return [(name, int(count)) for name, count in rows]


def success_rate(session: Session, f: StatsFilter) -> Dict[str, object]:
    """Settled ÷ handled, as the seed reports count it: handled = cases with an outcome recorded."""
    handled, settled = session.execute(
        select(func.count(Case.outcome), func.count(when((Case.outcome == "success", 1)))).where(f.where())).one()
    return {"handled": handled, "settled": settled, "rate": (settled / handled) if handled else None}


def overdue(session: Session, f: StatsFilter, now: dt.datetime) -> Dict[str, object]:
    condition = and_(f.where(), Case.status.in_(sorted(OPEN_STATUSES)), Case.deadline_at < now)
    count = session.execute(select(func.count()).where(condition)).scalar_one()
    cases = list(session.execute(select(Case).where(condition).order_by(Case.deadline_at).limit(OVERDUE_LIST))
                 .unique().scalars())
    return {"count": count, "cases": cases}


def trend(session: Session, f: StatsFilter) -> List[Tuple[str, int]]:
    """Cases per day (UTC dates) in the range."""
    if session.get_bind().dialect.name == "postgresql":
        # Group by the truncated timestamp and format the few groups here, not every row in SQL.
        day = func.date_trunc("day", Case.created_at)
        rows = session.execute(select(day, func.count()).where(f.where()).group_by(day).order_by(day))
        return [(d.date().isoformat(), n) for d, n in rows]
    day = func.strftime("%Y-%m-%d", Case.created_at)
    rows = session.execute(select(day, func.count()).where(f.where()).group_by(day).order_by(day))
    return [(d, n) for d, n in rows]


def top_places(session: Session, f: StatsFilter, limit: int = 10) -> List[Tuple[str, int]]:
    """Hot spots: the places most cases name."""
    rows = session.execute(select(Case.location, func.count()).where(f.where(), Case.location.is_not(None))
                           .group_by(Case.location).order_by(func.count().desc()).limit(limit))
    return [(place, n) for place, n in rows]


def collective(session: Session, f: StatsFilter, limit: int = 20) -> List[Case]:
    """Cases that belong to a collective dispute, the biggest groups first."""
    return list(session.execute(select(Case).where(f.where(), Case.group_id.is_not(None))
                                .order_by(Case.people_count.desc().nullslast(), Case.id.desc()).limit(limit))
                .unique().scalars())


QUERIES = {
    "dispute_type": by_dispute_type, "tier": by_tier, "area": by_area, "line": by_line, "route": by_route,
    "status": by_status, "warning": by_warning, "trend": trend,
}
