"""Collective disputes: linking cases by respondent or place and dispute type, and the group's level."""
from __future__ import annotations

import datetime as dt
import re
from typing import Callable, List, Optional

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from hotline.cases.lifecycle import WARNING_RANK
from hotline.cases.models import Case, CaseEvent, CaseGroup

# Cases this close in time to a member are the same collective dispute.
DEFAULT_WINDOW = dt.timedelta(days=7)
# Thresholds of docs/DOMAIN.md: 5 or more people red, 20 or more orange (orange is the higher level).
RED_AT = 5
ORANGE_AT = 20
# A group is looked for among this many matching cases at most, so a very common place stays cheap.
MAX_CANDIDATES = 500
_PUNCTUATION = re.compile(r"[\s\u3000，。,.、；;：:（）()\[\]【】\"'“”‘’-]+")
# Transaction-scoped PostgreSQL advisory lock class for grouping (second key: the dispute type).
_LOCK_CLASS = 0x68676C  # "hgl"


def normalise_key(value: Optional[str]) -> Optional[str]:
    """The form two spellings of one respondent or place share: no spaces or punctuation, lower case."""
    if not value:
        return None
    key = _PUNCTUATION.sub("", value).lower()
    return key[:255] or None


def level_for(head_count: int) -> Optional[str]:
    if head_count >= ORANGE_AT:
        return "orange"
    if head_count >= RED_AT:
        return "red"
    return None


def head_count_of(members: List[Case]) -> int:
    """People in the group: the most any caller reported, or one per case when more cases came in.

    Callers about one employer often each say "我们二十多个人": adding their
    counts would count the same people twice, so the largest report stands,
    unless there are more separate cases than that.
    """
    reported = max((m.people_count or 1 for m in members), default=0)
    return max(reported, len(members))


def link(session: Session, case: Case, actor_label: str, raise_level: Callable[[Case, str, str], None],
         window: dt.timedelta = DEFAULT_WINDOW) -> Optional[CaseGroup]:
    """Put the case into the group of cases like it (making one when needed) and update the group's level.

    `raise_level(case, level, reason)` is the service's audited raise, so a
    group never lowers anyone's level.
    """
    if not case.dispute_type or not (case.respondent_key or case.place_key):
        return case.group
    if session.get_bind().dialect.name == "postgresql":
        # Two cases of one dispute type opened at once must not each start their own group.
        session.execute(select(func.pg_advisory_xact_lock(_LOCK_CLASS, func.hashtext(case.dispute_type))))
    matches = [Case.respondent_key == case.respondent_key] if case.respondent_key else []
    if case.place_key:
        matches.append(Case.place_key == case.place_key)
    similar = list(session.execute(
        select(Case.id, Case.group_id)
        .where(Case.dispute_type == case.dispute_type, Case.id != case.id, or_(*matches),
               Case.created_at >= case.created_at - window, Case.created_at <= case.created_at + window)
        .order_by(Case.id)
        .limit(MAX_CANDIDATES)
    ).all())
    if not similar:
        return case.group
    existing = sorted({g for _, g in similar if g} | ({case.group_id} if case.group_id else set()))
    if existing:
        group = session.get(CaseGroup, existing[0])
    else:
        group = CaseGroup(dispute_type=case.dispute_type, respondent=case.respondent, place=case.location,
                          head_count=0, created_at=case.created_at, updated_at=case.created_at)
        session.add(group)
        session.flush()
    # A case that matches two groups (one by respondent, one by place) joins them into one.
    merged = existing[1:]
    joining = {cid for cid, gid in similar if gid != group.id}
    if case.group_id != group.id:
        joining.add(case.id)
    if merged:
        joining |= set(session.execute(select(Case.id).where(Case.group_id.in_(merged))).scalars())
    for member in session.execute(select(Case).where(Case.id.in_(sorted(joining))).order_by(Case.id)).scalars():
        member.group_id = group.id
        session.add(CaseEvent(case_id=member.id, actor=actor_label, action="group_join",
                              note=_why(case), detail={"group": group.id}))
    session.flush()
    if merged:
        session.execute(delete(CaseGroup).where(CaseGroup.id.in_(merged)))
    session.expire(case, ["group"])
    refresh(session, group, actor_label, raise_level)
    return group


def refresh(session: Session, group: CaseGroup, actor_label: str,
            raise_level: Callable[[Case, str, str], None]) -> None:
    """Recount the group and raise every member below the group's level to it."""
    members = list(session.execute(select(Case).where(Case.group_id == group.id).order_by(Case.id)).scalars())
    group.head_count = head_count_of(members)
    level = level_for(group.head_count)
    group.warning_level = level
    group.updated_at = max(m.created_at for m in members)
    if level is None:
        return
    reason = f"群体性纠纷：同一{_basis(group)}的{len(members)}件案件共约{group.head_count}人"
    for member in members:
        if WARNING_RANK[level] > WARNING_RANK.get(member.warning_level, 0):
            raise_level(member, level, reason)


def _basis(group: CaseGroup) -> str:
    return "被申请人" if group.respondent else "地点"


def _why(case: Case) -> str:
    if case.respondent:
        return f"与同类案件的被申请人相同（{case.respondent}）"
    return f"与同类案件的发生地点相同（{case.location}）"
