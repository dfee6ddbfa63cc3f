"""Dashboard figures: counts by type, tier, area, line, department and status, success rate, overdue, trends.

A range of whole local days (what the dashboard asks for) is summed from the
daily roll-up (hotline/cases/rollup.py: a few rows per day and value, kept in
the transaction of every case change); any other range, or a filter with
`live`, counts the cases themselves, one GROUP BY over the cases that came in
within the range (the ix_cases_created index narrows them). Both give the same
answer, in the same order (tests/cases/test_rollup.py). The overdue list and
the collective disputes are about cases as they stand now and always read the
cases. Codes are returned as they are; the web layer names them in Chinese.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Tuple

from sqlalchemy import and_, case as when, func, select, union_all
from sqlalchemy.orm import Session

from hotline.cases import rollup
from hotline.cases.lifecycle import OPEN_STATUSES
from hotline.cases.models import Area, Case, Organisation
from hotline.cases.scope import organisation_condition
from hotline.timeutil import local_date, start_of_local_day

MAX_RANGE_DAYS = 400
OVERDUE_LIST = 50
DAILY = rollup.TABLE


@dataclass(frozen=True)
class StatsFilter:
    start: dt.datetime  # naive UTC, inclusive
    end: dt.datetime  # naive UTC, exclusive
    line: Optional[str] = None
    area_id: Optional[int] = None  # the area of the organisation handling the case
    # A mediator's scope (scope.visible_organisations): these organisations and unplaced cases; None for all.
    organisations: Optional[FrozenSet[int]] = None
    live: bool = False  # count the cases themselves even for whole days (the roll-up's reference)

    @classmethod
    def for_days(cls, first: dt.date, last: dt.date, **narrowing: Any) -> "StatsFilter":
        """The local days `first` to `last`, both included (what the dashboard's date fields mean)."""
        return cls(start_of_local_day(first), start_of_local_day(last + dt.timedelta(days=1)), **narrowing)

    @property
    def days(self) -> Optional[Tuple[dt.date, dt.date]]:
        """(first, last) local day when the range is whole local days, else None."""
        first, after = local_date(self.start), local_date(self.end)
        if first < after and start_of_local_day(first) == self.start and start_of_local_day(after) == self.end:
            return first, after - dt.timedelta(days=1)
        return None

    def spans(self) -> List[Tuple[bool, dt.date, dt.date]]:
        """The roll-up rows that cover the range's days: (month rows?, first day, last day) each.

        Whole months are read from their month rows (`day` is the month's first day), the days
        before the first and after the last whole month from day rows: a year is about twelve
        months and thirty days instead of 365 days.
        """
        first, last = self.days
        start = first if first.day == 1 else _next_month(first)  # the first whole month
        end = _next_month(last) if _next_month(last) - dt.timedelta(days=1) == last else last.replace(day=1)
        if start >= end:  # no whole month inside
            return [(False, first, last)]
        spans = [(False, first, start - dt.timedelta(days=1))] if first < start else []
        spans.append((True, start, end - dt.timedelta(days=1)))
        if end <= last:
            spans.append((False, end, last))
        return spans

    def local_dates(self) -> List[dt.date]:
        """Every local day the range touches, in order."""
        first, last = local_date(self.start), local_date(self.end - dt.timedelta(microseconds=1))
        return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]

    def _narrowing(self, line_column, organisation_column) -> list:
        conditions = []
        if self.line:
            conditions.append(line_column == self.line)
        if self.area_id is not None:
            conditions.append(organisation_column.in_(
                select(Organisation.id).where(Organisation.area_id == self.area_id)))
        if self.organisations is not None:
            conditions.append(organisation_condition(organisation_column, self.organisations))
        return conditions

    def where(self):
        """The cases that came in within the range, narrowed by line, area and scope."""
        return and_(Case.created_at >= self.start, Case.created_at < self.end,
                    *self._narrowing(Case.line, Case.organisation_id))

    def daily_where(self, dimension: str, month: bool, first: dt.date, last: dt.date):
        """The roll-up's day (or month) rows of one dimension from `first` to `last`, narrowed the same way."""
        return and_(DAILY.c.dimension == dimension, DAILY.c.month == month, DAILY.c.day >= first,
                    DAILY.c.day <= last, *self._narrowing(DAILY.c.line, DAILY.c.organisation_id))


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def _daily(f: StatsFilter) -> bool:
    return not f.live and f.days is not None


def _daily_rows(f: StatsFilter, dimension: str, name: str):
    """The roll-up rows of `dimension` covering the range: `name` (value, line, organisation_id or day) and n."""
    spans = [(False, *f.days)] if name == "day" else f.spans()
    parts = [select(DAILY.c[name], DAILY.c.n).where(f.daily_where(dimension, month, first, last))
             for month, first, last in spans]
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()


def _ordered(rows: Sequence[Tuple[Any, Any]]) -> List[Tuple[Any, int]]:
    """Largest first; ties by key, none last, so both sources list them alike."""
    return sorted(((key, int(count)) for key, count in rows),
                  key=lambda r: (-r[1], r[0] is None, "" if r[0] is None else str(r[0])))


def _sums(session: Session, f: StatsFilter, dimension: str, name: str) -> List[Tuple[Any, int]]:
    """The roll-up's counts of `dimension` in the filter, summed by `name` (value, day, line or organisation_id)."""
    rows = _daily_rows(f, dimension, name)
    total = func.sum(rows.c.n)
    return [(key, int(n)) for key, n in session.execute(
        select(rows.c[name], total).group_by(rows.c[name]).having(total != 0))]


def _grouped(session: Session, f: StatsFilter, name: str) -> List[Tuple[Optional[str], int]]:
    """Cases by one column: its own dimension in the roll-up, or a GROUP BY of the cases."""
    if _daily(f):
        return _ordered(_sums(session, f, name, "value"))
    column = getattr(Case, name)
    return _ordered(session.execute(select(column, func.count()).where(f.where()).group_by(column)).all())


def by_dispute_type(session: Session, f: StatsFilter):
    return _grouped(session, f, "dispute_type")


def by_tier(session: Session, f: StatsFilter):
    return _grouped(session, f, "tier")


def by_route(session: Session, f: StatsFilter):
    """Department / destination: the triage's route (12345:water, mediation:town, 110 ...)."""
    return _grouped(session, f, "route_to")


def by_status(session: Session, f: StatsFilter):
    return _grouped(session, f, "status")


def by_warning(session: Session, f: StatsFilter):
    return _grouped(session, f, "warning_level")


def by_line(session: Session, f: StatsFilter):
    if _daily(f):  # every case has one status: its rows, summed by line, count the cases
        return _ordered(_sums(session, f, "status", "line"))
    return _ordered(session.execute(select(Case.line, func.count()).where(f.where()).group_by(Case.line)).all())


def by_area(session: Session, f: StatsFilter) -> List[Tuple[Optional[str], int]]:
    """Cases by the area of the organisation that has them (None: not placed, or an organisation without one)."""
    if _daily(f):
        rows = _daily_rows(f, "status", "organisation_id")
        total = func.sum(rows.c.n)
        per_org = (select(rows.c.organisation_id.label("org"), total.label("n"))
                   .group_by(rows.c.organisation_id).having(total != 0).subquery())
    else:
        per_org = (select(Case.organisation_id.label("org"), func.count().label("n")).where(f.where())
                   .group_by(Case.organisation_id).subquery())
    rows = session.execute(
        select(Area.name, func.sum(per_org.c.n)).select_from(per_org)
        .outerjoin(Organisation, Organisation.id == per_org.c.org).outerjoin(Area, Area.id == Organisation.area_id)
        .group_by(Area.name))
    return _ordered(rows.all())


def success_rate(session: Session, f: StatsFilter) -> Dict[str, object]:
    """Settled ÷ handled, as the seed reports count it: handled = cases with an outcome recorded."""
    if _daily(f):
        outcomes = _sums(session, f, "outcome", "value")
        handled = sum(n for outcome, n in outcomes if outcome is not None)
        settled = sum(n for outcome, n in outcomes if outcome == "success")
    else:
        handled, settled = session.execute(
            select(func.count(Case.outcome), func.count(when((Case.outcome == "success", 1)))).where(f.where())).one()
    return {"handled": handled, "settled": settled, "rate": (settled / handled) if handled else None}


def trend(session: Session, f: StatsFilter) -> List[Tuple[str, int]]:
    """Cases per local day (China Standard Time) in the range, the days with none left out."""
    if _daily(f):
        rows = _sums(session, f, "status", "day")
    else:
        day = rollup.local_day(session.get_bind().dialect.name, Case.created_at)
        rows = session.execute(select(day, func.count()).where(f.where()).group_by(day)).all()
    # PostgreSQL gives dates, SQLite the text of one.
    return sorted((d if isinstance(d, str) else d.isoformat(), int(n)) for d, n in rows)


def top_places(session: Session, f: StatsFilter, limit: int = 10) -> List[Tuple[str, int]]:
    """Hot spots: the places most cases name (ties by name)."""
    if _daily(f):
        rows = _daily_rows(f, "location", "value")
        total = func.sum(rows.c.n)
        statement = (select(rows.c.value, total).where(rows.c.value.is_not(None))
                     .group_by(rows.c.value).having(total != 0).order_by(total.desc(), rows.c.value))
    else:
        statement = (select(Case.location, func.count()).where(f.where(), Case.location.is_not(None))
                     .group_by(Case.location).order_by(func.count().desc(), Case.location))
    return [(place, int(n)) for place, n in session.execute(statement.limit(limit))]


def overdue(session: Session, f: StatsFilter, now: dt.datetime) -> Dict[str, object]:
    """Open cases past their deadline, as they stand now (the partial index of open cases narrows them)."""
    condition = and_(f.where(), Case.status.in_(sorted(OPEN_STATUSES)), Case.deadline_at < now)
    count = session.execute(select(func.count()).where(condition)).scalar_one()
    cases = list(session.execute(select(Case).where(condition).order_by(Case.deadline_at).limit(OVERDUE_LIST))
                 .unique().scalars())
    return {"count": count, "cases": cases}


def collective(session: Session, f: StatsFilter, limit: int = 20) -> List[Case]:
    """Cases that belong to a collective dispute, the biggest groups first."""
    return list(session.execute(select(Case).where(f.where(), Case.group_id.is_not(None))
                                .order_by(Case.people_count.desc().nullslast(), Case.id.desc()).limit(limit))
                .unique().scalars())


QUERIES = {
    "dispute_type": by_dispute_type, "tier": by_tier, "area": by_area, "line": by_line, "route": by_route,
    "status": by_status, "warning": by_warning, "trend": trend,
}
