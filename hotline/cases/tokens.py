"""API tokens for systems and scripts: created once and shown once, stored only as a SHA-256 hash."""
from __future__ import annotations

import hashlib
import secrets
from typing import Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.cases.accounts import ROLES
from hotline.cases.errors import InvalidInput
from hotline.cases.models import ApiToken, User, utcnow

PREFIX = "hl_"


def hash_token(secret: str) -> str:
    # A token has 256 random bits, so a plain hash is enough: nothing to brute-force, no salt needed.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(session: Session, name: str, *, role: Optional[str] = None,
                 username: Optional[str] = None) -> Tuple[ApiToken, str]:
    """(token row, secret). Either a role (a system) or a username (acting as that person)."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("令牌名称不能为空。")
    if (role is None) == (username is None):
        raise InvalidInput("请指定 --role（系统令牌）或 --user（代表某人的令牌），二者选一。")
    if session.execute(select(ApiToken).where(ApiToken.name == name)).scalar_one_or_none():
        raise InvalidInput(f"令牌 {name} 已存在；如需更换请先吊销。")
    user = None
    if username is not None:
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            raise InvalidInput(f"没有用户 {username}。")
        role = user.role
    elif role not in ROLES:
        raise InvalidInput(f"角色必须是 {', '.join(ROLES)} 之一。")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, token_hash=hash_token(secret), role=role, user_id=user.id if user else None)
    session.add(token)
    session.flush()
    return token, secret


def find_token(session: Session, secret: str) -> Optional[ApiToken]:
    """The live token for this secret; None when unknown, revoked, or its person is deactivated."""
    if not secret or not secret.startswith(PREFIX):
        return None
    token = session.execute(
        select(ApiToken).where(ApiToken.token_hash == hash_token(secret))).unique().scalar_one_or_none()
    if token is None or token.revoked_at is not None:
        return None
    if token.user_id is not None and (token.user is None or not token.user.active):
        return None
    return token


def revoke_token(session: Session, name: str) -> ApiToken:
    token = session.execute(select(ApiToken).where(ApiToken.name == name)).unique().scalar_one_or_none()
    if token is None:
        raise InvalidInput(f"没有名为 {name} 的令牌。")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    session.flush()
    return token
