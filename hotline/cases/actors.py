"""Who acts on a case: a person, a system with a token, or the bot and timed jobs; and what each may do."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

from hotline.cases.errors import PermissionDenied
from hotline.cases.models import User


@dataclass(frozen=True)
class Actor:
    """The acting party of one operation; `label` is what the audit trail records."""

    label: str
    role: Optional[str] = None
    user: Optional[User] = None
    # The bot, the CLI and timed jobs run inside the system: role checks do not apply to them,
    # but the person-only rules (claiming, lowering a warning level) still do.
    internal: bool = False

    @property
    def is_person(self) -> bool:
        return self.user is not None


ActorLike = Union[Actor, User, str]

# Roles that may do each thing (internal actors may do everything that does not need a person).
# A viewer does none of them: it reads. Which routes each role reaches: hotline/web/permissions.py.
PERMISSIONS = {
    "open": {"mediator", "operator", "lawyer", "admin"},
    "register": {"mediator", "operator", "admin"},
    "assign": {"operator", "admin"},
    "claim": {"mediator", "admin"},
    "release": {"mediator", "admin"},
    "transfer": {"mediator", "operator", "lawyer", "admin"},
    "escalate": {"mediator", "operator", "lawyer", "admin"},
    "resolve": {"mediator", "admin"},
    "evaluate": {"operator", "admin"},
    "close": {"operator", "admin"},
    "reopen": {"operator", "admin"},
    "warning": {"mediator", "operator", "admin"},
    "edit": {"mediator", "operator", "admin"},
}
PERSON_ONLY = {"claim", "release", "resolve"}


def as_actor(actor: ActorLike) -> Actor:
    if isinstance(actor, Actor):
        return actor
    if isinstance(actor, User):
        return person(actor)
    return Actor(label=str(actor), internal=True)


def person(user: User) -> Actor:
    return Actor(label=f"user:{user.username}", role=user.role, user=user)


def authorize(actor: Actor, action: str) -> None:
    if action in PERSON_ONLY and not actor.is_person:
        raise PermissionDenied("这项操作需要工作人员本人办理（请用个人账号或代表个人的令牌）。")
    if actor.internal:
        return
    if actor.role not in PERMISSIONS[action]:
        raise PermissionDenied("您的账号没有这项操作的权限。")
