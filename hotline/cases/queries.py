"""Reading cases: the look-up by number, the mediators' queue, filtered lists, the case file, the transcript.

Nothing here changes a case (hotline.cases.service does, each change audited);
callers pass what a person may see as `where` (hotline.cases.scope).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import List, Optional

from sqlalchemy import func, select
from sqlalchemy.sql import Select
from sqlalchemy.orm import Session, selectinload

from hotline.cases.errors import CaseNotFound
from hotline.cases.lifecycle import OPEN_STATUSES, QUEUE_STATUSES
from hotline.cases.models import Case, CaseMessage, Organisation, User, utcnow

MAX_PAGE = 200
# The queue page counts waiting cases up to this many; beyond it, it says "10000+".
QUEUE_COUNT_CAP = 10_000


def get_case(session: Session, number: str) -> Case:
    found = session.execute(select(Case).where(Case.number == number)).unique().scalar_one_or_none()
    if found is None:
        raise CaseNotFound(number)
    return found


def _queue_filter(statement, organisation_id: Optional[int] = None, dispute_type: Optional[str] = None,
                  overdue_at: Optional[dt.datetime] = None, where=None):
    statement = statement.where(Case.status.in_(sorted(QUEUE_STATUSES)), Case.assignee_id.is_(None))
    if where is not None:
        statement = statement.where(where)
    if overdue_at is not None:
        statement = statement.where(Case.deadline_at < overdue_at)
    if organisation_id is not None:
        statement = statement.where(Case.organisation_id == organisation_id)
    if dispute_type:
        statement = statement.where(Case.dispute_type == dispute_type)
    return statement


def waiting(*, organisation_id: Optional[int] = None, dispute_type: Optional[str] = None,
            overdue_at: Optional[dt.datetime] = None, where=None) -> Select:
    """The unclaimed cases in queue order: highest warning level first, then the nearest deadline.

    `where` narrows further (scope.case_condition: what a mediator may see); `overdue_at`: only cases past
    their deadline at that time. The queue page lists it; `service.claim_next` takes its first case.
    """
    return (_queue_filter(select(Case), organisation_id, dispute_type, overdue_at, where)
            .order_by(Case.warning_rank.desc(), Case.deadline_at.asc(), Case.id.asc()))


def queue(session: Session, limit: int = 200, *, organisation_id: Optional[int] = None,
          dispute_type: Optional[str] = None, overdue_at: Optional[dt.datetime] = None, where=None) -> List[Case]:
    """The first `limit` cases of `waiting`."""
    statement = waiting(organisation_id=organisation_id, dispute_type=dispute_type, overdue_at=overdue_at,
                        where=where).limit(limit)
    return list(session.execute(statement).unique().scalars())


def queue_size(session: Session, *, organisation_id: Optional[int] = None, dispute_type: Optional[str] = None,
               overdue_at: Optional[dt.datetime] = None, cap: int = QUEUE_COUNT_CAP, where=None) -> int:
    """How many cases wait, counted up to cap + 1 (more than `cap` reads as "cap+"), so the page stays fast."""
    waiting = _queue_filter(select(Case.id), organisation_id, dispute_type, overdue_at, where).limit(cap + 1).subquery()
    return session.execute(select(func.count()).select_from(waiting)).scalar_one()


@dataclass(frozen=True)
class CaseFilters:
    status: Optional[str] = None
    warning_level: Optional[str] = None  # a level, or "none"
    dispute_type: Optional[str] = None
    assignee: Optional[str] = None  # a username
    overdue: Optional[bool] = None
    organisation: Optional[str] = None  # an organisation code
    group_id: Optional[int] = None


def list_cases(session: Session, filters: CaseFilters = CaseFilters(), *, limit: int = 50,
               before_id: Optional[int] = None, now: Optional[dt.datetime] = None, where=None) -> List[Case]:
    """Cases matching the filters, newest first; page on with `before_id` (the last id seen)."""
    now = now or utcnow()
    statement = select(Case) if where is None else select(Case).where(where)
    if filters.status:
        statement = statement.where(Case.status == filters.status)
    if filters.warning_level == "none":
        statement = statement.where(Case.warning_level.is_(None))
    elif filters.warning_level:
        statement = statement.where(Case.warning_level == filters.warning_level)
    if filters.dispute_type:
        statement = statement.where(Case.dispute_type == filters.dispute_type)
    if filters.assignee:
        user_id = session.execute(select(User.id).where(User.username == filters.assignee)).scalar_one_or_none()
        statement = statement.where(Case.assignee_id == (user_id if user_id is not None else -1))
    if filters.overdue is True:
        statement = statement.where(Case.status.in_(sorted(OPEN_STATUSES)), Case.deadline_at < now)
    elif filters.overdue is False:
        statement = statement.where((Case.status.not_in(sorted(OPEN_STATUSES))) | (Case.deadline_at >= now))
    if filters.organisation:
        org_id = session.execute(select(Organisation.id).where(Organisation.code == filters.organisation)
                                 ).scalar_one_or_none()
        statement = statement.where(Case.organisation_id == (org_id if org_id is not None else -1))
    if filters.group_id is not None:
        statement = statement.where(Case.group_id == filters.group_id)
    if before_id is not None:
        statement = statement.where(Case.id < before_id)
    statement = statement.order_by(Case.id.desc()).limit(max(1, min(limit, MAX_PAGE)))
    return list(session.execute(statement).unique().scalars())


def load_for_file(session: Session, number: str) -> Case:
    """The case with everything its file (一案一卷) shows, loaded in a few queries."""
    found = session.execute(
        select(Case).where(Case.number == number).options(
            selectinload(Case.events), selectinload(Case.messages), selectinload(Case.parties),
            selectinload(Case.documents))
    ).unique().scalar_one_or_none()
    if found is None:
        raise CaseNotFound(number)
    return found


def group_members(session: Session, case: Case) -> List[Case]:
    if case.group_id is None:
        return []
    return list(session.execute(select(Case).where(Case.group_id == case.group_id).order_by(Case.id)
                                ).unique().scalars())


# The largest message id a reader may name: beyond it nothing is newer (SQLite refuses integers past 2**63).
MAX_MESSAGE_ID = 2**62


def messages_after(session: Session, case: Case, after: int = 0, limit: int = 500) -> List[CaseMessage]:
    """The case's transcript lines after message id `after`, oldest first (a page polling for what is new)."""
    if after >= MAX_MESSAGE_ID:
        return []
    return list(session.execute(
        select(CaseMessage).where(CaseMessage.case_id == case.id, CaseMessage.id > max(0, after))
        .order_by(CaseMessage.id).limit(limit)).scalars())
