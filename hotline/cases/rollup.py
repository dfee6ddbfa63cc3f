"""The dashboard's daily roll-up (table case_daily_counts), kept right in the transaction of every case change.

The dashboard's long-range figures (by type, tier, route, status, warning
level, line and area, the success rate, the daily trend, the hot spots) are
sums over this table instead of counts over the cases (hotline/cases/stats.py):
a year of a million cases is a few hundred thousand small rows.

A row says: `n` cases that came in on local day `day` on `line` and sit with
organisation `organisation_id` have `value` in `dimension`, one of the Case
columns in DIMENSIONS. Each case therefore counts once in every dimension,
and twice over: in its day's rows and in its month's (`month` true, `day` the
first of the month), so a year is read as twelve months and the days at its
ends (stats.StatsFilter.spans).

How it stays right:

- Every change to a case through the ORM (the case service, and anything else
  that flushes a Case) goes through the flush listener below: it locks the
  changed cases' rows, reads the counted columns as the database holds them,
  and appends rows of -1 for the old values and +1 for the new, in the same
  transaction as the change. Reading under the lock instead of trusting the
  session's copy keeps the counts right even when that copy is stale; a
  rolled-back change takes its rows with it.
- A bulk UPDATE of cases bypasses the ORM: the code that issues one reads the
  rows with `current` first and calls `record` (the claim does).
- `compact` merges the appended rows of a day into one row per key (the
  `hotline rollup compact` job). It moves no sum, so it may run at any time
  and on several instances at once: each deleted row's count is re-inserted
  by the transaction that deleted it.
- `rebuild` recounts everything from the cases (`hotline rollup rebuild`):
  after loading cases with SQL, or to repair.

Appending instead of updating one row per key means no two case changes ever
wait for each other on a roll-up row (a claim and an opening on the same day
and line would otherwise queue on the same counter).
"""
from __future__ import annotations

import collections
import datetime as dt
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from sqlalchemy import Boolean, Date, Integer, String, bindparam, cast, delete, event, false, func, insert, inspect
from sqlalchemy import literal, literal_column, select, text, true, update
from sqlalchemy.orm import Session, sessionmaker

from hotline.cases.models import Case, CaseDailyCount
from hotline.timeutil import CST, local_date

TABLE = CaseDailyCount.__table__
CASES = Case.__table__
# The figures counted, each a Case column: one row per value.
DIMENSIONS = ("status", "dispute_type", "tier", "route_to", "warning_level", "outcome", "location")
# What every row carries besides its day, for the dashboard's line, area and scope filters.
KEYS = ("line", "organisation_id")
COUNTED = ("created_at",) + KEYS + DIMENSIONS
OFFSET_HOURS = int(CST.utcoffset(None).total_seconds() // 3600)
COMPACT_DAYS = 31  # days merged per transaction

# (day, month, line, organisation_id, dimension, value)
Key = Tuple[dt.date, bool, Optional[str], Optional[int], str, Optional[str]]


def local_day(dialect: str, column):
    """SQL for the local date (China Standard Time) of a naive-UTC timestamp column."""
    if dialect == "postgresql":
        return cast(column + literal_column(f"interval '{OFFSET_HOURS} hours'"), Date)
    return func.date(column, f"+{OFFSET_HOURS} hours")


def month_start(dialect: str, column):
    """SQL for the first day of the month of a date column."""
    if dialect == "postgresql":
        return cast(func.date_trunc("month", column), Date)
    return func.date(column, "start of month")


def _keys(values: Mapping[str, Any]) -> List[Key]:
    day = local_date(values["created_at"])
    line, org = values["line"], values["organisation_id"]
    return [(start, month, line, org, name, values[name])
            for start, month in ((day, False), (day.replace(day=1), True)) for name in DIMENSIONS]


def _delta(changes: Iterable[Tuple[Optional[Mapping[str, Any]], Optional[Mapping[str, Any]]]]) -> Dict[Key, int]:
    counts: Dict[Key, int] = collections.Counter()
    for before, after in changes:
        for key in _keys(before) if before is not None else ():
            counts[key] -= 1
        for key in _keys(after) if after is not None else ():
            counts[key] += 1
    return {key: n for key, n in counts.items() if n}


def _insert(session: Session, counts: Mapping[Key, int], merged: bool) -> None:
    rows = [{"day": day, "month": month, "line": line, "organisation_id": org, "dimension": name, "value": value,
             "n": n, "merged": merged} for (day, month, line, org, name, value), n in counts.items() if n]
    if rows:
        session.connection().execute(insert(TABLE), rows)


def record(session: Session, before: Optional[Mapping[str, Any]], after: Optional[Mapping[str, Any]]) -> None:
    """Count one case's change from `before` to `after` (the COUNTED columns; None: no such case)."""
    _insert(session, _delta([(before, after)]), merged=False)


def current(session: Session, ids: Sequence[int]) -> Dict[int, Dict[str, Any]]:
    """The COUNTED columns of these cases as the database holds them; their rows stay locked until commit."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    connection = session.connection()
    columns = [CASES.c.id] + [CASES.c[name] for name in COUNTED]
    statement = select(*columns).where(CASES.c.id.in_(ids)).order_by(CASES.c.id)
    if connection.dialect.name == "sqlite":
        # No row locks: a no-op write takes the database write lock, so what we read stays true until commit
        # (setting updated_at to itself keeps its onupdate default from firing).
        connection.execute(update(CASES).where(CASES.c.id.in_(ids)).values(updated_at=CASES.c.updated_at))
    else:
        statement = statement.with_for_update()
    return {row.id: {name: row._mapping[name] for name in COUNTED} for row in connection.execute(statement)}


def _changed_values(case: Case) -> Dict[str, Any]:
    """The counted columns this flush will write for a case, with their new values."""
    state = inspect(case)
    new: Dict[str, Any] = {}
    for name in COUNTED:
        history = state.attrs[name].history
        if history.added or history.deleted:
            new[name] = history.added[0] if history.added else None
    if "organisation_id" not in new:
        # Setting the relationship instead of the column: the flush copies the new organisation's id.
        history = state.attrs["organisation"].history
        if history.added or history.deleted:
            new["organisation_id"] = history.added[0].id if history.added and history.added[0] is not None else None
    return new


@event.listens_for(Session, "before_flush")
def _count_changed_cases(session: Session, _flush_context, _instances) -> None:
    gone = [inspect(c).identity[0] for c in session.deleted if isinstance(c, Case) and inspect(c).identity]
    changes: Dict[int, Dict[str, Any]] = {}
    for case in session.dirty:
        if isinstance(case, Case) and inspect(case).identity and case not in session.deleted:
            new = _changed_values(case)
            if new:
                changes[inspect(case).identity[0]] = new
    if not changes and not gone:
        return
    held = current(session, list(changes) + gone)
    pairs: List[Tuple[Optional[Mapping[str, Any]], Optional[Mapping[str, Any]]]] = []
    for case_id, new in changes.items():
        if case_id in held:  # a row that is gone fails the flush itself
            pairs.append((held[case_id], {**held[case_id], **new}))
    pairs.extend((held[case_id], None) for case_id in gone if case_id in held)
    _insert(session, _delta(pairs), merged=False)


@event.listens_for(Session, "after_flush")
def _count_new_cases(session: Session, _flush_context) -> None:
    # After the INSERT, so defaults (created_at) and the organisation's id are in place.
    added = [c for c in session.new if isinstance(c, Case)]
    if added:
        _insert(session, _delta([(None, {name: getattr(c, name) for name in COUNTED}) for c in added]), merged=False)


_RETURNED = {"day": Date, "month": Boolean, "line": String, "organisation_id": Integer, "dimension": String,
             "value": String, "n": Integer, "merged": Boolean}


def compact(session: Session, max_days: int = COMPACT_DAYS) -> int:
    """Merge the rows of up to `max_days` days (or months) with appended rows into one row per key.

    Returns how many appended rows were merged. The caller commits. Rows
    appended meanwhile by other transactions are not seen by the DELETE and
    wait for the next run.
    """
    days = list(session.execute(select(TABLE.c.day).where(text("NOT merged")).distinct().order_by(TABLE.c.day)
                                .limit(max_days)).scalars())
    if not days:
        return 0
    deleted = session.execute(
        text("DELETE FROM case_daily_counts WHERE day IN :days "
             "RETURNING day, month, line, organisation_id, dimension, value, n, merged")
        .bindparams(bindparam("days", expanding=True, type_=Date)).columns(**_RETURNED),
        {"days": days})
    sums: Dict[Key, int] = collections.Counter()
    appended = 0
    for row in deleted:
        sums[(row.day, bool(row.month), row.line, row.organisation_id, row.dimension, row.value)] += row.n
        appended += not row.merged
    _insert(session, sums, merged=True)
    return appended


def compact_all(sessions: sessionmaker, max_runs: int = 1000) -> int:
    """Merge every appended row, COMPACT_DAYS days per transaction; returns how many rows were merged."""
    total = 0
    for _ in range(max_runs):  # bounded: changes keep appending while it runs
        with sessions.begin() as session:
            merged = compact(session)
        total += merged
        if not merged:
            break
    return total


def rebuild(session: Session) -> int:
    """Recount the roll-up from the cases; returns its number of rows. The caller commits.

    On PostgreSQL the table is locked against case changes for the while (the
    dashboard still reads the old counts until the commit): a change already
    counted is finished and seen by the recount, one not yet counted waits and
    counts itself afterwards.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("LOCK TABLE case_daily_counts IN EXCLUSIVE MODE"))
    session.execute(delete(TABLE))
    day = local_day(dialect, CASES.c.created_at)
    columns = ["day", "month", "line", "organisation_id", "dimension", "value", "n", "merged"]
    for name in DIMENSIONS:
        column = CASES.c[name]
        counts = (select(day, false(), CASES.c.line, CASES.c.organisation_id, literal(name, String), column,
                         func.count(), true())
                  .group_by(day, CASES.c.line, CASES.c.organisation_id, column))
        session.execute(insert(TABLE).from_select(columns, counts))
    month = month_start(dialect, TABLE.c.day)
    keys = (TABLE.c.line, TABLE.c.organisation_id, TABLE.c.dimension, TABLE.c.value)
    session.execute(insert(TABLE).from_select(columns, select(month, true(), *keys, func.sum(TABLE.c.n), true())
                                              .where(TABLE.c.month.is_(False)).group_by(month, *keys)))
    return session.execute(select(func.count()).select_from(TABLE)).scalar_one()
