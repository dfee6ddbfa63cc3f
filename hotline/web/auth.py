"""Who is calling the API: a bearer token (systems, scripts) or the console's signed-in session (people)."""
from __future__ import annotations

import functools
from typing import Callable, Optional, Tuple

from flask import g, request

from hotline.cases.accounts import ROLES
from hotline.cases.actors import Actor, person
from hotline.cases.tokens import find_token
from hotline.web.extensions import db
from hotline.web.errors import json_error

STAFF_ROLES = ROLES  # every account role signs in; what each may reach is hotline/web/permissions.py
CSRF_HEADER = "X-CSRF-Token"


def _from_token(header: str) -> Tuple[Optional[Actor], Optional[str]]:
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None, "认证格式应为 Authorization: Bearer <令牌>。"
    token = find_token(db(), secret.strip())
    if token is None:
        return None, "令牌无效或已被吊销。"
    if token.user is not None:
        # Acting as a person: the person answers for it, and the trail says which token did it.
        actor = Actor(label=f"user:{token.user.username} (token:{token.name})", role=token.user.role,
                      user=token.user)
    else:
        actor = Actor(label=f"token:{token.name}", role=token.role)
    return actor, None


def _from_session() -> Optional[Actor]:
    from hotline.web.security import current_staff

    user = current_staff()
    return None if user is None else person(user)


def api_auth(view: Callable) -> Callable:
    """Puts the caller in g.actor, or answers 401/403 in JSON.

    A browser session must also send the console's CSRF token in the
    X-CSRF-Token header on anything but a read (checked by CSRFProtect in
    hotline.web.security before this runs): the session cookie alone
    would let another site make the signed-in browser act.
    """

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        header = request.headers.get("Authorization")
        if header:
            actor, problem = _from_token(header)
            if actor is None:
                return json_error(401, "invalid_token", problem)
            g.actor, g.auth_via = actor, "token"
        else:
            actor = _from_session()
            if actor is None:
                return json_error(401, "unauthorized", "请先登录工作台，或在 Authorization 头中提供令牌。")
            g.actor, g.auth_via = actor, "session"
        return view(*args, **kwargs)

    return wrapped
