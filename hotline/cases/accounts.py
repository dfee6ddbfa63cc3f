"""People who sign in: creation and password checks."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from hotline.cases.models import User

ROLES = ("mediator", "operator", "admin")
MIN_PASSWORD_LENGTH = 8


class AccountError(ValueError):
    pass


def create_user(session: Session, username: str, password: str, role: str, display_name: str = "") -> User:
    username = username.strip()
    if not username:
        raise AccountError("用户名不能为空")
    if role not in ROLES:
        raise AccountError(f"角色必须是 {', '.join(ROLES)} 之一")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    if session.execute(select(User).where(User.username == username)).scalar_one_or_none():
        raise AccountError(f"用户 {username} 已存在")
    user = User(username=username, display_name=display_name or username,
                password_hash=generate_password_hash(password), role=role)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> Optional[User]:
    user = session.execute(select(User).where(User.username == username.strip())).scalar_one_or_none()
    if user is None or not user.active:
        # Same work either way, so a wrong name cannot be told from a wrong password by timing.
        check_password_hash(generate_password_hash("x"), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None
