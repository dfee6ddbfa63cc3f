"""Console sign-in sessions kept on the server: a new one at each login, ended at logout, idle and absolute limits.

The browser holds only a random token (inside Flask's signed cookie); the
database holds its hash, so ending a session here ends it everywhere, even
for someone who copied the cookie before logout.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Optional, Tuple

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, select, update
from sqlalchemy.orm import Session, relationship

from hotline.cases.models import Base, User, utcnow

IDLE_LIMIT = dt.timedelta(minutes=30)
ABSOLUTE_LIMIT = dt.timedelta(hours=12)
# last_seen_at is written at most this often, so reading a page is not a write every time.
TOUCH_EVERY = dt.timedelta(seconds=60)


class LoginSession(Base):
    """One sign-in of one person on one browser."""

    __tablename__ = "login_sessions"
    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    user_id = Column(Integer, ForeignKey("users.id"), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    last_seen_at = Column(DateTime, nullable=False, default=utcnow)
    ended_at = Column(DateTime)
    ended_reason = Column(String(16))  # logout | idle | expired

    user = relationship(User, lazy="joined")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(session: Session, user: User, now: Optional[dt.datetime] = None) -> str:
    """A new session for `user`; returns the token the browser keeps."""
    token = secrets.token_urlsafe(32)
    now = now or utcnow()
    session.add(LoginSession(token_hash=_hash(token), user_id=user.id, created_at=now, last_seen_at=now))
    session.flush()
    return token


def resume(session: Session, token: str, now: Optional[dt.datetime] = None) -> Tuple[Optional[LoginSession], bool]:
    """The live session for `token` (or None), and whether anything was written (the caller commits)."""
    now = now or utcnow()
    found = session.execute(select(LoginSession).where(LoginSession.token_hash == _hash(token))).scalar_one_or_none()
    if found is None or found.ended_at is not None:
        return None, False
    reason = None
    if now - found.created_at > ABSOLUTE_LIMIT:
        reason = "expired"
    elif now - found.last_seen_at > IDLE_LIMIT:
        reason = "idle"
    if reason is not None:
        found.ended_at, found.ended_reason = now, reason
        return None, True
    if now - found.last_seen_at >= TOUCH_EVERY:
        found.last_seen_at = now
        return found, True
    return found, False


def end(session: Session, token: str, reason: str = "logout", now: Optional[dt.datetime] = None) -> None:
    session.execute(update(LoginSession).where(LoginSession.token_hash == _hash(token),
                                               LoginSession.ended_at.is_(None))
                    .values(ended_at=now or utcnow(), ended_reason=reason)
                    .execution_options(synchronize_session=False))
