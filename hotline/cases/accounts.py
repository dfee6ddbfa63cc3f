"""People who sign in: roles, creation, password checks and changes, and the admin's account management."""
from __future__ import annotations

from typing import List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from hotline.cases.models import Organisation, User

# admin runs the system; mediator works cases; operator sits at a 12345/110 seat; lawyer at the 12348 seat;
# viewer reads the dashboard and the cases (without phone or ID numbers) and changes nothing.
ROLES = ("mediator", "operator", "admin", "lawyer", "viewer")
ROLE_NAMES = {"admin": "管理员", "mediator": "调解员", "operator": "话务员", "lawyer": "律师（12348）",
              "viewer": "查看人员"}
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 200


class AccountError(ValueError):
    pass


def _check_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"密码不超过 {MAX_PASSWORD_LENGTH} 位")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"角色必须是 {'、'.join(ROLE_NAMES[r] for r in ROLES)} 之一")


def create_user(session: Session, username: str, password: str, role: str, display_name: str = "",
                organisation_code: Optional[str] = None, is_lead: bool = False) -> User:
    username = (username or "").strip()
    if not username:
        raise AccountError("用户名不能为空")
    if len(username) > 64:
        raise AccountError("用户名不超过 64 个字符")
    _check_role(role)
    _check_password(password)
    if session.execute(select(User).where(User.username == username)).scalar_one_or_none():
        raise AccountError(f"用户 {username} 已存在")
    user = User(username=username, display_name=(display_name or username)[:128],
                password_hash=generate_password_hash(password), role=role, is_lead=bool(is_lead))
    if organisation_code:
        user.organisation_id = _organisation(session, organisation_code).id
    session.add(user)
    session.flush()
    return user


def _organisation(session: Session, code: str) -> Organisation:
    found = session.execute(select(Organisation).where(Organisation.code == code)).scalar_one_or_none()
    if found is None:
        raise AccountError(f"没有代码为 {code} 的单位")
    return found


def authenticate(session: Session, username: str, password: str) -> Optional[User]:
    user = session.execute(select(User).where(User.username == (username or "").strip())).scalar_one_or_none()
    if user is None or not user.active:
        # Same work either way, so a wrong name cannot be told from a wrong password by timing.
        check_password_hash(generate_password_hash("x"), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def change_password(session: Session, user: User, current: str, new: str, repeat: str) -> None:
    """The person's own change: the current password proves it is them."""
    if not check_password_hash(user.password_hash, current or ""):
        raise AccountError("当前密码不正确")
    if new != repeat:
        raise AccountError("两次输入的新密码不一致")
    if new == current:
        raise AccountError("新密码不能与当前密码相同")
    _check_password(new)
    user.password_hash = generate_password_hash(new)
    session.flush()


def list_users(session: Session) -> List[User]:
    return list(session.execute(select(User).order_by(User.role, User.username)).scalars())


def update_user(session: Session, admin: User, username: str, *, role: Optional[str] = None,
                active: Optional[bool] = None, organisation_code: Optional[str] = None,
                is_lead: Optional[bool] = None, new_password: Optional[str] = None) -> User:
    """The admin page's changes to one account; an admin cannot lock themselves out."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise AccountError(f"没有用户 {username}")
    if user.id == admin.id and ((role is not None and role != "admin") or active is False):
        raise AccountError("不能停用自己的账号或取消自己的管理员角色")
    if role is not None:
        _check_role(role)
        user.role = role
    if active is not None:
        user.active = active
    if organisation_code is not None:
        user.organisation_id = _organisation(session, organisation_code).id if organisation_code else None
    if is_lead is not None:
        user.is_lead = is_lead
    if new_password:
        _check_password(new_password)
        user.password_hash = generate_password_hash(new_password)
    session.flush()
    return user
