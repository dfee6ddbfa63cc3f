"""The mediator console: sign-in, the queue, one case's file, and the buttons that move a case along."""
from __future__ import annotations

import functools
from typing import Callable

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from hotline.cases import service
from hotline.cases.accounts import authenticate
from hotline.cases.actors import person
from hotline.cases.errors import CaseError
from hotline.cases.lifecycle import (
    ACTION_NAMES,
    DIFFICULTIES,
    DIFFICULTY_SUBSIDY,
    DOCUMENT_KINDS,
    NEXT_PATHS,
    OUTCOMES,
    PARTY_ROLES,
    STATUS_NAMES,
    TIER_NAMES,
    TRANSFER_DESTINATIONS,
    URGENCY_NAMES,
    WARNING_NAMES,
    TransitionError,
)
from hotline.cases.models import Case, CaseMessage, Organisation, utcnow
from hotline.cases.service import CaseNotFound, get_case, queue
from hotline.conversations import handoff as handoffs
from hotline.timeutil import to_local
from hotline.triage import DISPUTE_TYPES
from hotline.web import db, settings
from hotline.web.auth import STAFF_ROLES
from hotline.web.security import current_staff, sign_in, sign_out

bp = Blueprint("console", __name__, url_prefix="/console")


def check_csrf() -> None:
    """Kept for the views that call it: CSRFProtect (hotline.web.security) checks every console POST first."""


def login_required(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        user = current_staff()
        if user is None:
            return redirect(url_for("console.login", next=request.path))
        g.user = user
        return view(*args, **kwargs)

    return wrapped


@bp.app_context_processor
def _helpers():
    return {
        "csrf_token": generate_csrf,
        "STATUS_NAMES": STATUS_NAMES,
        "WARNING_NAMES": WARNING_NAMES,
        "DISPUTE_TYPES": DISPUTE_TYPES,
        "TIER_NAMES": TIER_NAMES,
        "URGENCY_NAMES": URGENCY_NAMES,
        "ACTION_NAMES": ACTION_NAMES,
        "OUTCOMES": OUTCOMES,
        "NEXT_PATHS": NEXT_PATHS,
        "DIFFICULTIES": DIFFICULTIES,
        "DIFFICULTY_SUBSIDY": DIFFICULTY_SUBSIDY,
        "PARTY_ROLES": PARTY_ROLES,
        "DOCUMENT_KINDS": DOCUMENT_KINDS,
        "TRANSFER_DESTINATIONS": TRANSFER_DESTINATIONS,
        "is_overdue": service.is_overdue,
        "current_user": g.get("user"),
    }


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        user = authenticate(db(), request.form.get("username", "")[:64], request.form.get("password", "")[:256])
        if user is None or user.role not in STAFF_ROLES:
            flash("用户名或密码不正确。")
            return render_template("login.html"), 401
        sign_in(user)
        target = request.args.get("next", "")
        return redirect(target if target.startswith("/console") else url_for("console.queue_page"))
    return render_template("login.html")


@bp.post("/logout")
def logout():
    sign_out()
    return redirect(url_for("console.login"))


QUEUE_VIEWS = {"all": "全部", "mine": "本单位", "overdue": "已超期"}


@bp.get("")
@login_required
def queue_page():
    session_ = db()
    view = request.args.get("view", "all")
    if view not in QUEUE_VIEWS:
        view = "all"
    org_id = g.user.organisation_id if view == "mine" else None
    if view == "mine" and org_id is None:
        flash("您的账号没有所属单位，显示全部待办。")
        view = "all"
    now = utcnow()
    overdue_at = now if view == "overdue" else None
    cases = queue(session_, 200, organisation_id=org_id, overdue_at=overdue_at)
    total = service.queue_size(session_, organisation_id=org_id, overdue_at=overdue_at)
    mine = service.list_cases(session_, service.CaseFilters(status="in_progress", assignee=g.user.username),
                              limit=100, now=now)
    waiting = handoffs.waiting(session_, limit=50)
    return render_template("queue.html", cases=cases, total=total, mine=mine, now=now, view=view,
                           views=QUEUE_VIEWS, count_cap=service.QUEUE_COUNT_CAP, waiting=waiting,
                           reasons=handoffs.REASONS)


@bp.get("/cases/<number>")
@login_required
def case_page(number: str):
    try:
        case = service.load_for_file(db(), number)
    except CaseNotFound:
        abort(404, description="没有这个案件编号。")
    members = service.group_members(db(), case)
    organisations = list(db().execute(select(Organisation).order_by(Organisation.id)).scalars())
    handoff = handoffs.latest_for_case(db(), case)
    can_talk = bool(case.sender_id) and case.channel in handoffs.CHAT_CHANNELS
    return render_template("case.html", case=case, now=utcnow(), to_local=to_local, members=members,
                           organisations=organisations, holder=case.assignee_id == g.user.id, handoff=handoff,
                           can_talk=can_talk, reasons=handoffs.REASONS)


def render_case_file(number: str) -> str:
    """The printable case file (一案一卷): everything about the case on one page."""
    try:
        case = service.load_for_file(db(), number)
    except CaseNotFound:
        abort(404, description="没有这个案件编号。")
    return render_template("case_file.html", case=case, now=utcnow(), members=service.group_members(db(), case),
                           subsidy=DIFFICULTY_SUBSIDY.get(case.difficulty) if case.difficulty else None,
                           printed_at=utcnow())


@bp.get("/cases/<number>/file")
@login_required
def case_file(number: str):
    return render_case_file(number)


def _act(number: str, operation: Callable[[Case], object], done: str):
    """Run one console action as one transaction; a refusal is shown to the mediator, nothing is kept.

    What the action put in the outbox for the citizen goes out right after the commit.
    """
    check_csrf()
    session_ = db()
    try:
        case = get_case(session_, number)
        operation(case)
        session_.commit()
        if case.sender_id:
            from hotline.web.delivery import deliver_now

            deliver_now(case.sender_id)
    except CaseNotFound:
        session_.rollback()
        abort(404, description="没有这个案件编号。")
    except (CaseError, TransitionError) as error:
        session_.rollback()
        if isinstance(error, TransitionError):
            flash(f"案件当前为“{STATUS_NAMES[error.from_status]}”，不能这样办理。")
        else:
            flash(error.message)
        return redirect(url_for("console.case_page", number=number)), 303
    flash(done)
    return redirect(url_for("console.case_page", number=number)), 303


@bp.post("/cases/<number>/claim")
@login_required
def claim(number: str):
    return _act(number, lambda case: service.claim(db(), case.number, person(g.user)), "已认领，案件由您承办。")


@bp.post("/claim-next")
@login_required
def claim_next():
    check_csrf()
    session_ = db()
    try:
        case = service.claim_next(session_, person(g.user))
        session_.commit()
    except CaseError as error:
        session_.rollback()
        flash(error.message)
        return redirect(url_for("console.queue_page")), 303
    if case is None:
        flash("待办队列中没有可认领的案件。")
        return redirect(url_for("console.queue_page")), 303
    flash(f"已认领 {case.number}。")
    return redirect(url_for("console.case_page", number=case.number)), 303


@bp.post("/cases/<number>/release")
@login_required
def release(number: str):
    note = request.form.get("note", "").strip() or None
    return _act(number, lambda case: service.release(db(), case, person(g.user), note), "已退回待办队列。")


@bp.post("/cases/<number>/escalate")
@login_required
def escalate(number: str):
    reason = request.form.get("reason", "")
    return _act(number, lambda case: service.escalate(db(), case, person(g.user), reason,
                                                      deadline_hours=settings().deadline_hours),
                "已升级至上一级。")


@bp.post("/cases/<number>/transfer")
@login_required
def transfer(number: str):
    to, reason = request.form.get("to", ""), request.form.get("reason", "")
    return _act(number, lambda case: service.transfer(db(), case, person(g.user), to, reason,
                                                      deadline_hours=settings().deadline_hours), "已转办。")


@bp.post("/cases/<number>/resolve")
@login_required
def resolve(number: str):
    form = request.form

    def operation(case: Case) -> None:
        resolved = service.resolve(
            db(), case, person(g.user), outcome=form.get("outcome", ""), difficulty=form.get("difficulty", ""),
            agreement=form.get("agreement"), next_path=form.get("next_path") or None, note=form.get("note") or None)
        handoffs.after_resolve(db(), resolved, person(g.user))

    return _act(number, operation, "已办结，结果已记录；已请群众评价。")


@bp.post("/cases/<number>/accept")
@login_required
def accept(number: str):
    return _act(number, lambda case: handoffs.accept(db(), case, person(g.user)),
                "已接入对话：机器人已暂停，您的回复会发到群众原来的对话里。")


@bp.post("/cases/<number>/reply")
@login_required
def reply(number: str):
    text = request.form.get("text", "")
    if request.headers.get("X-Requested-With") == "fetch":
        # The case page's script: one JSON answer instead of a redirect, so the page need not reload.
        check_csrf()
        session_ = db()
        try:
            message = handoffs.reply(session_, get_case(session_, number), person(g.user), text)
            session_.commit()
        except CaseNotFound:
            session_.rollback()
            return jsonify({"error": {"code": "not_found", "message": "没有这个案件编号。"}}), 404
        except (CaseError, TransitionError) as error:
            session_.rollback()
            message_text = error.message if isinstance(error, CaseError) else "案件当前状态不能这样办理。"
            return jsonify({"error": {"code": getattr(error, "code", "refused"), "message": message_text}}), 409
        from hotline.web.delivery import deliver_now

        deliver_now(message.case.sender_id)
        return jsonify({"id": message.id, "text": message.text}), 201
    return _act(number, lambda case: handoffs.reply(db(), case, person(g.user), text), "已发送。")


@bp.post("/cases/<number>/handback")
@login_required
def handback(number: str):
    note = request.form.get("note", "").strip() or None
    return _act(number, lambda case: handoffs.hand_back(db(), case, person(g.user), note=note),
                "已交还机器人，群众会收到案件进度。")


@bp.get("/cases/<number>/conversation")
@login_required
def conversation(number: str):
    """New transcript lines after `after` and the hand-off state, for the case page's live view."""
    try:
        case = get_case(db(), number)
    except CaseNotFound:
        abort(404, description="没有这个案件编号。")
    try:
        after = max(0, int(request.args.get("after", "0")))
    except ValueError:
        after = 0
    rows = db().execute(select(CaseMessage).where(CaseMessage.case_id == case.id, CaseMessage.id > after)
                        .order_by(CaseMessage.id).limit(500)).scalars()
    handoff = handoffs.latest_for_case(db(), case)
    return jsonify({
        "messages": [{"id": m.id, "sender": m.sender, "text": m.text} for m in rows],
        "handoff": None if handoff is None else {"status": handoff.status},
    })


@bp.post("/cases/<number>/warning")
@login_required
def warning(number: str):
    level = request.form.get("level") or None
    reason = request.form.get("reason", "")
    return _act(number, lambda case: service.set_warning_level(db(), case, person(g.user), level, reason),
                "预警等级已调整。")
