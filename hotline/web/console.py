"""The mediator console: sign-in, the queue, and one case's file."""
from __future__ import annotations

import functools
import hmac
import secrets
from typing import Callable

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for

from hotline.cases.accounts import authenticate
from hotline.cases.lifecycle import STATUS_NAMES, WARNING_NAMES
from hotline.cases.models import User, utcnow
from hotline.cases.service import CaseNotFound, get_case, queue
from hotline.timeutil import to_local
from hotline.triage import DISPUTE_TYPES
from hotline.web import db

bp = Blueprint("console", __name__, url_prefix="/console")
STAFF_ROLES = ("mediator", "operator", "admin")


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    sent = request.form.get("csrf", "")
    if not hmac.compare_digest(sent, session.get("csrf", "")):
        abort(400, description="页面已过期，请刷新后重试。")


def login_required(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        user_id = session.get("user_id")
        user = db().get(User, user_id) if user_id else None
        if user is None or not user.active or user.role not in STAFF_ROLES:
            session.pop("user_id", None)
            return redirect(url_for("console.login", next=request.path))
        g.user = user
        return view(*args, **kwargs)

    return wrapped


@bp.app_context_processor
def _helpers():
    return {
        "csrf_token": csrf_token,
        "STATUS_NAMES": STATUS_NAMES,
        "WARNING_NAMES": WARNING_NAMES,
        "DISPUTE_TYPES": DISPUTE_TYPES,
        "current_user": g.get("user"),
    }


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        check_csrf()
        user = authenticate(db(), request.form.get("username", ""), request.form.get("password", ""))
        if user is None or user.role not in STAFF_ROLES:
            flash("用户名或密码不正确。")
            return render_template("login.html"), 401
        session.clear()
        session["user_id"] = user.id
        target = request.args.get("next", "")
        return redirect(target if target.startswith("/console") else url_for("console.queue_page"))
    return render_template("login.html")


@bp.post("/logout")
def logout():
    check_csrf()
    session.clear()
    return redirect(url_for("console.login"))


@bp.get("")
@login_required
def queue_page():
    cases = queue(db())
    return render_template("queue.html", cases=cases, now=utcnow())


@bp.get("/cases/<number>")
@login_required
def case_page(number: str):
    try:
        case = get_case(db(), number)
    except CaseNotFound:
        abort(404, description="没有这个案件编号。")
    return render_template("case.html", case=case, now=utcnow(), to_local=to_local)

