"""The web service's guards in one place: rate limits, body cap, cookies and sessions, CSRF, security headers.

Bound to the app in `hotline.web.create_app`; the views only say who is
signed in (`sign_in`, `sign_out`, `current_staff`).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any, Callable, Dict, List, Optional, Tuple

from flask import Flask, render_template, request, session
from flask.json.provider import DefaultJSONProvider
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import AnonymousUserMixin, LoginManager, UserMixin, login_user, logout_user
from flask_login import current_user as _current_login
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from hotline.cases.models import User
from hotline.config import Settings
from hotline.web import sessions as login_sessions
from hotline.web.errors import HTTP_MESSAGES, json_error
from hotline.web.extensions import db

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # the largest legitimate body (a 50,000-character document) is ~150 KB
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Every change that rides on the console's session cookie is checked, since another site could forge it;
# these blueprints are exempt: the channels' webhooks are signed by their provider, and the web chat's
# conversation cookie is SameSite=Lax (another site's POST does not carry it).
CSRF_EXEMPT_BLUEPRINTS = ("webchat", "wechat", "twilio_sms", "twilio_voice")
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    # base.html keeps a <style> block; styles cannot run code, scripts stay 'self' only.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

csrf = CSRFProtect()
login_manager = LoginManager()


# --- request bodies -----------------------------------------------------------------


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing text that is not Unicode.

    A lone surrogate escape ("\\ud800") parses into a Python string that no database and no answer can encode:
    such a body is not JSON text a person wrote, and reads as invalid (400), not as a failure (500).
    """

    ensure_ascii = False

    def loads(self, s, **kwargs):
        value = super().loads(s, **kwargs)
        pending = [value]
        while pending:
            item = pending.pop()
            if isinstance(item, str):
                item.encode("utf-8")  # UnicodeEncodeError is a ValueError: get_json reads it as a malformed body
            elif isinstance(item, dict):
                pending.extend(item)
                pending.extend(item.values())
            elif isinstance(item, list):
                pending.extend(item)
        return value


# --- rate limits -------------------------------------------------------------------


def conversation_key() -> str:
    """The web-chat conversation a request speaks for (the server-issued cookie), else the client address."""
    from integrations.webchat import conversation_id

    sender = conversation_id()
    return f"conversation:{sender}" if sender else f"ip:{get_remote_address()}"


def account_key() -> str:
    """The account a sign-in tries, so guessing one person's password from many addresses still stops."""
    name = (request.form.get("username") or "").strip().lower()[:64]
    return f"account:{name}" if name else f"ip:{get_remote_address()}"


def caller_key() -> str:
    """An API caller: its token, else its console session, else its address."""
    header = request.headers.get("Authorization", "")
    if header:
        return "token:" + hashlib.sha256(header.encode("utf-8")).hexdigest()[:32]
    if _current_login.is_authenticated:
        return f"user:{_current_login.user_id}"
    return f"ip:{get_remote_address()}"


def _failed_sign_in(response) -> bool:
    return response.status_code == 401


# endpoint -> (limit, key function, counted only when) ; one table, so every figure lives here.
# Per address limits stay generous: many citizens share one carrier NAT address.
LIMITS: Dict[str, List[Tuple[str, Callable[[], str], Optional[Callable[[Any], bool]]]]] = {
    "console.login": [("60 per minute", get_remote_address, None),
                      # 10 wrong passwords in 15 minutes lock the account for the rest of the window.
                      ("10 per 15 minutes", account_key, _failed_sign_in)],
    "webchat.send_message": [("120 per minute", get_remote_address, None),
                          ("20 per minute", conversation_key, None)],
    "webchat.poll_messages": [("600 per minute", get_remote_address, None),
                           ("60 per minute", conversation_key, None)],
}
API_LIMIT = "300 per minute"


def _apply_limits(app: Flask) -> Limiter:
    # One limiter per app: its registry of limits is per instance, and tests build many apps.
    limiter = Limiter(app=app, key_func=get_remote_address, headers_enabled=True)
    app.extensions["hotline.limiter"] = limiter
    for endpoint, rules in LIMITS.items():
        view = app.view_functions.get(endpoint)
        if view is None:
            logger.warning("rate limit for %s not applied: no such endpoint", endpoint)
            continue
        for limit, key, when in rules:
            view = limiter.limit(limit, key_func=key, deduct_when=when)(view)
        app.view_functions[endpoint] = view
    if "api" in app.blueprints:
        limiter.limit(API_LIMIT, key_func=caller_key)(app.blueprints["api"])
    return limiter


# --- signed-in staff (Flask-Login over server-side session records) ----------------


class StaffLogin(UserMixin):
    """The person behind a live console session."""

    def __init__(self, user: User, token: str) -> None:
        self.user = user
        self.user_id = user.id
        self._token = token

    def get_id(self) -> str:
        return self._token


class _Anonymous(AnonymousUserMixin):
    user = None
    user_id = None


def current_staff() -> Optional[User]:
    """The signed-in person of this request, or None."""
    return _current_login.user if _current_login.is_authenticated else None


def _load(token: str) -> Optional[StaffLogin]:
    from hotline.web.auth import STAFF_ROLES

    database = db()
    found, changed = login_sessions.resume(database, token)
    if changed:
        database.commit()
    if found is None:
        return None
    user = found.user
    if not user.active or user.role not in STAFF_ROLES:
        return None
    return StaffLogin(user, token)


def sign_in(user: User) -> None:
    """A new session id and a new server record: whatever the browser carried before is dropped."""
    session.clear()
    token = login_sessions.start(db(), user)
    db().commit()
    session.permanent = True
    login_user(StaffLogin(user, token))


def sign_out() -> None:
    if _current_login.is_authenticated:
        login_sessions.end(db(), _current_login.get_id())
        db().commit()
    logout_user()
    session.clear()


# --- error answers ------------------------------------------------------------------

def wants_json() -> bool:
    return request.path.startswith(("/api/", "/chat/api/", "/webhooks/")) or request.is_json or \
        request.accept_mimetypes.best == "application/json"


def error_answer(status: int, code: str, message: str):
    if wants_json():
        return json_error(status, code, message)
    from hotline.web.console import ERROR_PAGES

    title = ERROR_PAGES[status][0] if status in ERROR_PAGES else message
    return render_template("error.html", title=title, message=message), status


def _retry_after_message(error: HTTPException) -> str:
    limit = getattr(error, "limit", None)
    if limit is not None and getattr(limit, "key_func", None) is account_key:
        return "登录失败次数过多，该账号已暂时锁定，请 15 分钟后再试，或联系管理员。"
    return HTTP_MESSAGES[429]


def _too_many(error: HTTPException):
    return error_answer(429, "too_many_requests", _retry_after_message(error))


def _too_large(_error: HTTPException):
    return error_answer(413, "body_too_large", HTTP_MESSAGES[413])


def _internal(error):
    """Whatever failed outside the API's own handlers: logged, and a sentence a citizen can act on."""
    logger.error("%s %s failed: %s", request.method, request.path, getattr(error, "original_exception", error))
    return error_answer(500, "internal_error", "服务器出了点问题，请稍后再试。如遇打架、持刀威胁等紧急危险，请立即拨打110。")


def _csrf_failed(_error: CSRFError):
    if request.blueprint == "api" or wants_json():
        return json_error(403, "csrf_failed", "页面已过期，请刷新后重试（缺少或错误的 X-CSRF-Token）。")
    return error_answer(400, "csrf_failed", "页面已过期，请刷新后重试。")


# --- headers ------------------------------------------------------------------------


def _headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "static":
        # Pages and answers carry what citizens told us: no browser or proxy keeps a copy.
        headers["Cache-Control"] = "no-store"
        headers.setdefault("Pragma", "no-cache")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def _check_body() -> None:
    """Refuse an oversized body before anything (rate-limit keys, CSRF, views) reads it."""
    limit = request.max_content_length
    if request.content_length is not None:
        if limit is not None and request.content_length > limit:
            raise RequestEntityTooLarge()
    elif request.method not in SAFE_METHODS:
        request.get_data()  # a chunked body: read it once under the cap (raises 413), then it is cached


def _check_csrf() -> None:
    if request.method in SAFE_METHODS or request.url_rule is None or request.blueprint in CSRF_EXEMPT_BLUEPRINTS:
        return  # (no rule: nothing will run, the 404/405 answers)
    if request.blueprint == "api" and request.headers.get("Authorization"):
        return  # a bearer token is not sent by a browser on its own: nothing to forge
    if not _current_login.is_authenticated and request.endpoint != "console.login":
        # Nobody is signed in: nothing to forge, and the view sends the visitor to sign in (or answers 401).
        # Signing in itself is checked, so another site cannot sign a browser into its own account.
        return
    csrf.protect()


def configure(app: Flask, settings: Settings) -> None:
    """The guards' settings (before a test's own config, which may override them)."""
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        MAX_FORM_MEMORY_SIZE=MAX_BODY_BYTES,
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=login_sessions.ABSOLUTE_LIMIT,
        REMEMBER_COOKIE_DURATION=dt.timedelta(0),
        # Checked in _check_csrf for the blueprints that use the session; the token lives as long as a session.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_FIELD_NAME="csrf",
        WTF_CSRF_TIME_LIMIT=int(login_sessions.ABSOLUTE_LIMIT.total_seconds()),
        RATELIMIT_STORAGE_URI=settings.redis_url or "memory://",
        RATELIMIT_KEY_PREFIX="hotline-web",
        # A broken Redis must not take the chat down: limits fall back to this process's memory.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
    )


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    # Templates keep the console's own `current_user` (the User, or None): no anonymous object that reads as true.
    login_manager.init_app(app, add_context_processor=False)
    login_manager.anonymous_user = _Anonymous
    login_manager.user_loader(_load)
    app.before_request(_check_body)
    _apply_limits(app)

    app.before_request(_check_csrf)
    app.after_request(_headers)
    app.register_error_handler(CSRFError, _csrf_failed)
    app.register_error_handler(413, _too_large)
    app.register_error_handler(429, _too_many)
    app.register_error_handler(500, _internal)

