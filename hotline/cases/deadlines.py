"""The timed deadline job: escalate overdue cases one tier up, flag those with nowhere higher to go.

Every instance of the web service (or a cron line) may run it; a database
lock lets one run at a time: a PostgreSQL session advisory lock (released
by the server if the process dies), or on SQLite a lease row in
`job_locks` that expires. Each case is changed in its own transaction with
its audit entry, so a crash half-way leaves every case either done or
untouched, and the next run carries on.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from typing import Iterator, List, Mapping, Optional

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from hotline.cases.errors import CaseError
from hotline.cases.lifecycle import OPEN_STATUSES
from hotline.cases.models import Case, JobLock, utcnow
from hotline.cases.service import escalate, flag_overdue, lock_case

logger = logging.getLogger(__name__)

JOB_NAME = "deadlines"
ACTOR = "system:deadlines"
# pg_try_advisory_lock key: "hotline" in ASCII, so it will not collide with another application's.
ADVISORY_KEY = 0x686F746C696E65
LEASE = dt.timedelta(minutes=5)
BATCH = 200


@dataclass
class DeadlineRun:
    ran: bool
    escalated: List[str] = field(default_factory=list)
    flagged: List[str] = field(default_factory=list)
    failed: List[str] = field(default_factory=list)
    holder: str = ""


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@contextlib.contextmanager
def job_lock(sessions: sessionmaker, name: str = JOB_NAME, holder: Optional[str] = None) -> Iterator[Optional[str]]:
    """Yield the holder id if this process got the job's lock, else None (another instance has it)."""
    holder = holder or _holder()
    engine = sessions.kw["bind"]
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            got = connection.execute(select(func.pg_try_advisory_lock(ADVISORY_KEY))).scalar()
            try:
                yield holder if got else None
            finally:
                if got:
                    connection.execute(select(func.pg_advisory_unlock(ADVISORY_KEY)))
        return
    got = _take_lease(sessions, name, holder)
    try:
        yield holder if got else None
    finally:
        if got:
            with sessions.begin() as session:
                session.execute(update(JobLock).where(JobLock.name == name, JobLock.holder == holder)
                                .values(holder=None, expires_at=None))


def _take_lease(sessions: sessionmaker, name: str, holder: str) -> bool:
    with sessions.begin() as session:
        try:
            with session.begin_nested():
                session.execute(insert(JobLock).values(name=name, holder=None, expires_at=None))
        except IntegrityError:
            pass
        now = utcnow()
        taken = session.execute(
            update(JobLock)
            .where(JobLock.name == name, (JobLock.holder.is_(None)) | (JobLock.expires_at < now))
            .values(holder=holder, expires_at=now + LEASE)
            .execution_options(synchronize_session=False)
        ).rowcount
    return taken == 1


def _renew_lease(sessions: sessionmaker, name: str, holder: str) -> None:
    if sessions.kw["bind"].dialect.name == "postgresql":
        return
    with sessions.begin() as session:
        session.execute(update(JobLock).where(JobLock.name == name, JobLock.holder == holder)
                        .values(expires_at=utcnow() + LEASE))


def run_deadlines(sessions: sessionmaker, *, now: Optional[dt.datetime] = None,
                  deadline_hours: Optional[Mapping[str, float]] = None, max_cases: int = 10_000) -> DeadlineRun:
    """One pass over overdue cases, if no other instance is running one; at most `max_cases` cases."""
    with job_lock(sessions) as holder:
        if holder is None:
            logger.info("deadline job: another instance holds the lock; nothing done")
            return DeadlineRun(ran=False)
        run = DeadlineRun(ran=True, holder=holder)
        now = now or utcnow()
        seen = set()
        while len(seen) < max_cases:
            with sessions() as session:
                numbers = [n for n in session.execute(
                    select(Case.number)
                    .where(Case.status.in_(sorted(OPEN_STATUSES)), Case.deadline_at < now,
                           Case.overdue_flagged_at.is_(None))
                    .order_by(Case.deadline_at, Case.id)
                    .limit(BATCH)
                ).scalars() if n not in seen]
            if not numbers:
                break
            for number in numbers[: max_cases - len(seen)]:
                seen.add(number)
                _handle(sessions, number, now, deadline_hours, run)
            _renew_lease(sessions, JOB_NAME, holder)
        return run


def _handle(sessions: sessionmaker, number: str, now: dt.datetime, deadline_hours: Optional[Mapping[str, float]],
            run: DeadlineRun) -> None:
    try:
        with sessions.begin() as session:
            # Re-checked under the row lock: a mediator may have resolved it since the list was read.
            case = lock_case(session, number)
            if case.status not in OPEN_STATUSES or case.deadline_at >= now or case.overdue_flagged_at:
                return
            try:
                with session.begin_nested():
                    escalate(session, case, ACTOR, "超过办理期限未办结，自动升级",
                             deadline_hours=deadline_hours, now=now)
                run.escalated.append(number)
            except CaseError as refused:
                flag_overdue(session, case, ACTOR, f"已超过办理期限，无法自动升级：{refused.message}", now=now)
                run.flagged.append(number)
    except Exception:  # noqa: BLE001 - one bad case must not stop the others
        logger.exception("deadline job: case %s failed; it was left unchanged and is retried on the next run", number)
        run.failed.append(number)
