"""Which cases a person may see and change: a mediator's organisation and the tiers below it, holders and leads.

Mediators work in an organisation (a village room, a town centre, the county
centre or a committee). They see and act on the cases of that organisation
and of every organisation below it (parent_id chains), plus the county-wide
pool of cases not yet placed with any organisation. Other roles are not
limited by organisation: operators and lawyers take calls from anywhere,
viewers read everything (without phone or ID numbers), admins run the system.

A case someone holds is changed only by its holder, by the lead (主任) of the
organisation it sits in or of one above it, or by an admin.
"""
from __future__ import annotations

from typing import Dict, FrozenSet, Optional, Set

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hotline.cases.actors import Actor
from hotline.cases.errors import CaseNotFound, PermissionDenied
from hotline.cases.models import Case, Organisation

SCOPED_ROLES = frozenset({"mediator"})


def _children(session: Session) -> Dict[Optional[int], Set[int]]:
    children: Dict[Optional[int], Set[int]] = {}
    for org_id, parent_id in session.execute(select(Organisation.id, Organisation.parent_id)):
        children.setdefault(parent_id, set()).add(org_id)
    return children


def subtree(session: Session, organisation_id: int) -> Set[int]:
    """The organisation and every organisation below it (the table is small: a county's rooms)."""
    children = _children(session)
    found, stack = set(), [organisation_id]
    while stack:
        current = stack.pop()
        if current in found:
            continue  # a cycle in a hand-edited file must not hang the page
        found.add(current)
        stack.extend(children.get(current, ()))
    return found


def is_scoped(actor: Actor) -> bool:
    return not actor.internal and actor.user is not None and actor.role in SCOPED_ROLES


def visible_organisations(session: Session, actor: Actor) -> Optional[FrozenSet[int]]:
    """The organisations whose cases the actor sees besides the unplaced ones, or None when they see all."""
    if not is_scoped(actor):
        return None
    if actor.user.organisation_id is None:
        return frozenset()
    return frozenset(subtree(session, actor.user.organisation_id))


def organisation_condition(column, organisations: FrozenSet[int]):
    """`column` (an organisation id) is unplaced or one of `organisations`."""
    unplaced = column.is_(None)
    return or_(unplaced, column.in_(sorted(organisations))) if organisations else unplaced


def case_condition(session: Session, actor: Actor):
    """A WHERE clause limiting cases to what the actor may see, or None when they see all."""
    organisations = visible_organisations(session, actor)
    return None if organisations is None else organisation_condition(Case.organisation_id, organisations)


def can_see(session: Session, actor: Actor, case: Case) -> bool:
    if not is_scoped(actor) or case.organisation_id is None:
        return True
    home = actor.user.organisation_id
    return home is not None and case.organisation_id in subtree(session, home)


def check_visible(session: Session, actor: Actor, case: Case) -> None:
    """Out of scope reads as not found: a mediator cannot probe another county's case numbers."""
    if not can_see(session, actor, case):
        raise CaseNotFound(case.number)


def leads(session: Session, actor: Actor, case: Case) -> bool:
    """The actor leads the case's organisation or one above it."""
    user = actor.user
    if user is None or not user.is_lead or user.organisation_id is None or case.organisation_id is None:
        return False
    return case.organisation_id in subtree(session, user.organisation_id)


def check_may_change(session: Session, actor: Actor, case: Case) -> None:
    """A held case changes only by its holder, that organisation's lead, an admin or the system."""
    if case.assignee_id is None or actor.internal or actor.role == "admin":
        return
    if actor.user is not None and actor.user.id == case.assignee_id:
        return
    if leads(session, actor, case):
        return
    raise PermissionDenied("该案件由其他调解员承办，只有承办人、所在单位负责人或管理员可以操作。")
