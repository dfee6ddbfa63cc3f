"""Who may reach which route: one table of role × route, and the decorator that enforces it.

Every endpoint of the app has a rule here; a route without one is refused
to everybody (and tests/web/test_permissions.py fails, naming it). Rules
for routes that act on a case come from the case service's own table
(`hotline.cases.actors.PERMISSIONS`), so a role allowed an operation there
reaches the route that runs it. What the route then does is still checked
by the service: scope (a mediator's organisation and the tiers below) and
the holder rule.
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Callable, Dict, FrozenSet, Optional

from flask import abort, g, request

from hotline.cases.accounts import ROLES
from hotline.cases.actors import PERMISSIONS
from hotline.cases.privacy import PII_ROLES
from hotline.legal.review import REVIEWER_ROLES
from hotline.web.errors import json_error
from hotline.web.extensions import db

if TYPE_CHECKING:
    from hotline.cases.actors import Actor

ANONYMOUS = "anonymous"
PUBLIC: FrozenSet[str] = frozenset({ANONYMOUS, *ROLES})
STAFF: FrozenSet[str] = frozenset(ROLES)
MEDIATING: FrozenSet[str] = frozenset({"mediator", "admin"})
SEATS: FrozenSet[str] = frozenset({"operator", "lawyer", "admin"})
ADMIN: FrozenSet[str] = frozenset({"admin"})


def may_do(action: str) -> FrozenSet[str]:
    """The roles the case service lets do `action` (actors.PERMISSIONS)."""
    return frozenset(PERMISSIONS[action])


RULES: Dict[str, FrozenSet[str]] = {
    "static": PUBLIC,
    "index": PUBLIC,
    # The citizen's side.
    "chat.page": PUBLIC,
    "webchat.send_message": PUBLIC,
    "webchat.poll_messages": PUBLIC,
    # Channel webhooks: public, each request verified by its provider's signature (integrations/).
    "wechat.verify_server": PUBLIC,
    "wechat.receive": PUBLIC,
    "twilio_sms.inbound": PUBLIC,
    "twilio_sms.status": PUBLIC,
    "twilio_voice.incoming": PUBLIC,
    "twilio_voice.gathered": PUBLIC,
    "twilio_voice.silence": PUBLIC,
    "twilio_voice.callback": PUBLIC,
    # The console: signing in and one's own account.
    "console.login": PUBLIC,
    "console.logout": PUBLIC,
    "console.home": STAFF,
    "console.account": STAFF,
    "console.accounts": ADMIN,
    "console.account_create": ADMIN,
    "console.account_update": ADMIN,
    # The mediator's workbench; a viewer reads it, changes nothing.
    "console.queue_page": MEDIATING | {"viewer"},
    "console.queue_fragment": MEDIATING | {"viewer"},
    "console.case_page": STAFF,
    "console.case_file": STAFF,
    "console.reveal": PII_ROLES,
    "console.conversation": MEDIATING,
    "console.claim": MEDIATING & may_do("claim"),
    "console.claim_next": MEDIATING & may_do("claim"),
    "console.release": MEDIATING & may_do("release"),
    "console.register": MEDIATING & may_do("register"),
    "console.assign": MEDIATING & may_do("assign"),
    "console.escalate": MEDIATING & may_do("escalate"),
    "console.transfer": MEDIATING & may_do("transfer"),
    "console.resolve": MEDIATING & may_do("resolve"),
    "console.warning": MEDIATING & may_do("warning"),
    "console.accept": MEDIATING,
    "console.reply": MEDIATING,
    "console.handback": MEDIATING,
    # The legal answers' review: a 12348 lawyer or an admin.
    "review.entries_page": frozenset(REVIEWER_ROLES),
    "review.entry_page": frozenset(REVIEWER_ROLES),
    "review.review_entry": frozenset(REVIEWER_ROLES),
    # The hotline seats (12345 / 110 operators, 12348 lawyers).
    "operator.seat": SEATS,
    "operator.triage": SEATS,
    "operator.open_case": SEATS & may_do("open"),
    "operator.send_order": SEATS & may_do("transfer"),
    "operator.inbox": SEATS,
    "operator.receive": SEATS,
    "operator.lookup": SEATS,
    # Figures: everyone who signs in reads them.
    "dashboard.page": STAFF,
    "dashboard.data": STAFF,
    "dashboard.export": STAFF,
    "dashboard.report": STAFF,
    # The JSON API.
    "api.health": PUBLIC,
    "api.openapi": PUBLIC,
    "api.meta": PUBLIC,
    "api.get_queue": STAFF,
    "api.list_cases": STAFF,
    "api.get_case": STAFF,
    "api.case_file": STAFF,
    "api.case_messages": MEDIATING | SEATS,
    "api.list_handoffs": MEDIATING | {"operator"},
    # Any channel's conversation; a mediator only one of a case they hold (checked by the inbox).
    "api.conversation_messages": MEDIATING | {"operator"},
    "api.get_group": STAFF,
    "api.organisations": STAFF,
    "api.create_case": may_do("open"),
    "api.claim_next": may_do("claim"),
    "api.claim": may_do("claim"),
    "api.release": may_do("release"),
    "api.register": may_do("register"),
    "api.assign": may_do("assign"),
    "api.transfer": may_do("transfer"),
    "api.escalate": may_do("escalate"),
    "api.resolve": may_do("resolve"),
    "api.evaluate": may_do("evaluate"),
    "api.close": may_do("close"),
    "api.reopen": may_do("reopen"),
    "api.warning_level": may_do("warning"),
    "api.add_party": may_do("edit"),
    "api.add_document": may_do("edit"),
    "api.accept": MEDIATING,
    "api.reply": MEDIATING,
    "api.handback": MEDIATING,
}

DENIED = "您的账号没有使用这个功能的权限。"

# Where each role lands after signing in.
HOME = {"admin": "console.queue_page", "mediator": "console.queue_page", "viewer": "dashboard.page",
        "operator": "operator.seat", "lawyer": "operator.seat"}


def allowed(endpoint: Optional[str], role: Optional[str]) -> bool:
    """Unknown endpoints are refused: a route nobody wrote a rule for is nobody's."""
    return (role or ANONYMOUS) in RULES.get(endpoint or "", frozenset())


def current_role() -> Optional[str]:
    actor = g.get("actor")
    if actor is not None:
        return actor.role
    user = g.get("user")
    return user.role if user is not None else None


def guarded(view: Callable) -> Callable:
    """Refuse the request unless the signed-in role may reach this endpoint (after api_auth / login_required)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not allowed(request.endpoint, current_role()):
            if request.path.startswith("/api/"):
                return json_error(403, "role_forbidden", DENIED)
            abort(403, description=DENIED)
        return view(*args, **kwargs)

    return wrapped


def acting() -> "Actor":
    """The actor of this request: the API's g.actor, or the signed-in console user."""
    from hotline.cases.actors import person

    actor = g.get("actor")
    return actor if actor is not None else person(g.user)


def case_in_scope(view: Callable) -> Callable:
    """A case route answers 404 for a case outside the caller's scope, as if it did not exist."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        from hotline.cases import scope
        from hotline.cases.errors import CaseNotFound
        from hotline.cases.queries import get_case

        number = kwargs.get("number", "")
        try:
            scope.check_visible(db(), acting(), get_case(db(), number))
        except CaseNotFound:
            if request.path.startswith("/api/"):
                return json_error(404, "case_not_found", f"没有编号为 {number} 的案件。")
            abort(404, description="没有这个案件编号，或它不在您的办理范围内。")
        return view(*args, **kwargs)

    return wrapped
