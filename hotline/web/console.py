"""The console: sign-in and accounts, the mediator's queue, one case's file, and the buttons that move a case along."""
from __future__ import annotations

import functools
from typing import Callable

from flask import Blueprint, abort, flash, g, jsonify, make_response, redirect, render_template, request, url_for
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from hotline.cases import names, privacy, queries, scope, service
from hotline.cases.accounts import ROLE_NAMES, ROLES, AccountError, authenticate, change_password, create_user, \
    list_users, update_user
from hotline.cases.actors import person
from hotline.cases.errors import CaseError, CaseNotFound
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
    subsidy_of,
)
from hotline.cases.models import Case, Organisation, User, utcnow
from hotline.cases.queries import get_case, queue
from hotline.conversations import handoff as handoffs
from hotline.conversations import outbox
from hotline.timeutil import to_local
from hotline.triage import DISPUTE_TYPES
from hotline.web.extensions import db, settings
from hotline.web.permissions import HOME, allowed, case_in_scope, guarded
from hotline.web.security import current_staff, sign_in, sign_out

bp = Blueprint("console", __name__, url_prefix="/console")


def login_required(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        user = current_staff()
        if user is None:
            return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
        g.user = user
        return guarded(view)(*args, **kwargs)

    return wrapped


def safe_next(target: str) -> str:
    """A local page to go back to after signing in: a path on this site, never another host."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target and "\n" not in target:
        return target
    return ""


def _people():
    """Usernames to display names, once per request (the audit trail and transcript name people)."""
    if "people" not in g:
        g.people = dict(db().execute(select(User.username, User.display_name)).all())
    return g.people


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
        "ROLE_NAMES": ROLE_NAMES,
        "route_name": names.route_name,
        "signal_name": names.signal_name,
        "CHANNEL_NAMES": names.CHANNEL_NAMES,
        "LINE_NAMES": names.LINE_NAMES,
        "INTENT_NAMES": names.INTENT_NAMES,
        "ENTITY_NAMES": names.ENTITY_NAMES,
        "name_of": names.name_of,
        "entity_value": names.entity_value,
        "actor_name": lambda label: names.actor_name(label, _people()),
        "may": lambda endpoint: allowed(endpoint, g.user.role if g.get("user") else None),
        "UNDELIVERED": handoffs.UNDELIVERED,
    }


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        user = authenticate(db(), request.form.get("username", "")[:64], request.form.get("password", "")[:256])
        if user is None or user.role not in ROLES:
            flash("用户名或密码不正确。")
            return render_template("login.html"), 401
        sign_in(user)
        target = safe_next(request.args.get("next", ""))
        return redirect(target or url_for(HOME[user.role]))
    return render_template("login.html")


@bp.get("/home")
@login_required
def home():
    """Each role's own start page."""
    return redirect(url_for(HOME[g.user.role]))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """The signed-in person changes their own password."""
    if request.method == "POST":
        try:
            change_password(db(), g.user, request.form.get("current", ""), request.form.get("new", ""),
                            request.form.get("repeat", ""))
            db().commit()
        except AccountError as error:
            db().rollback()
            flash(f"{error}。")
            return render_template("account.html"), 422
        flash("密码已修改，下次登录请使用新密码。")
        return redirect(url_for("console.account")), 303
    return render_template("account.html")


@bp.get("/accounts")
@login_required
def accounts():
    organisations = list(db().execute(select(Organisation).order_by(Organisation.id)).scalars())
    return render_template("accounts.html", users=list_users(db()), roles=ROLES, organisations=organisations)


@bp.post("/accounts")
@login_required
def account_create():
    form = request.form
    try:
        user = create_user(db(), form.get("username", ""), form.get("password", ""), form.get("role", ""),
                           form.get("display_name", "").strip(), form.get("organisation") or None,
                           is_lead=form.get("is_lead") == "on")
        db().commit()
    except AccountError as error:
        db().rollback()
        flash(f"未能创建账号：{error}。")
        return redirect(url_for("console.accounts")), 303
    flash(f"已创建账号 {user.username}（{ROLE_NAMES[user.role]}）。")
    return redirect(url_for("console.accounts")), 303


@bp.post("/accounts/<username>")
@login_required
def account_update(username: str):
    form = request.form
    try:
        update_user(db(), g.user, username, role=form.get("role") or None,
                    active={"on": True, "off": False}.get(form.get("active", "")),
                    organisation_code=form.get("organisation") if "organisation" in form else None,
                    is_lead=(form.get("is_lead") == "on") if "lead_shown" in form else None,
                    new_password=form.get("password") or None)
        db().commit()
    except AccountError as error:
        db().rollback()
        flash(f"未能修改账号：{error}。")
        return redirect(url_for("console.accounts")), 303
    flash(f"已更新账号 {username}。")
    return redirect(url_for("console.accounts")), 303


@bp.post("/logout")
def logout():
    sign_out()
    return redirect(url_for("console.login"))


QUEUE_VIEWS = {"all": "全部", "mine": "本单位", "overdue": "已超期"}


@bp.get("")
@login_required
def queue_page():
    view = request.args.get("view", "all")
    if view not in QUEUE_VIEWS:
        view = "all"
    org_id = g.user.organisation_id if view == "mine" else None
    if view == "mine" and org_id is None:
        flash("您的账号没有所属单位，显示全部待办。")
        view = "all"
    return render_template("queue.html", view=view, views=QUEUE_VIEWS, **_queue_lists(view, org_id))


def _queue_lists(view: str, org_id):
    session_ = db()
    actor = person(g.user)
    where = scope.case_condition(session_, actor)
    now = utcnow()
    overdue_at = now if view == "overdue" else None
    cases = queue(session_, 200, organisation_id=org_id, overdue_at=overdue_at, where=where)
    total = queries.queue_size(session_, organisation_id=org_id, overdue_at=overdue_at, where=where)
    mine = queries.list_cases(session_, queries.CaseFilters(status="in_progress", assignee=g.user.username),
                              limit=100, now=now)
    waiting = [h for h in handoffs.waiting(session_, limit=50) if scope.can_see(session_, actor, h.case)]
    # Cases whose citizen a message did not reach: a person phones them (flagged in both lists).
    undelivered = outbox.undelivered_cases(session_, [c.id for c in cases] + [c.id for c in mine])
    return dict(cases=cases, total=total, mine=mine, now=now, count_cap=queries.QUEUE_COUNT_CAP, waiting=waiting,
                reasons=handoffs.REASONS, undelivered=undelivered)


@bp.get("/queue-fragment")
@login_required
def queue_fragment():
    """The queue's lists alone, for the page's script to refresh them without a reload."""
    view = request.args.get("view", "all")
    view = view if view in QUEUE_VIEWS else "all"
    org_id = g.user.organisation_id if view == "mine" else None
    return render_template("queue_lists.html", view=view, **_queue_lists(view, org_id))


@bp.get("/cases/<number>")
@login_required
@case_in_scope
def case_page(number: str):
    return _render_case(number, reveal=False)


@bp.post("/cases/<number>/reveal")
@login_required
@case_in_scope
def reveal(number: str):
    """Show the phone and ID numbers once, and record who looked (个人信息保护法 Art. 51)."""
    actor = person(g.user)
    if not privacy.may_see_pii(actor):
        abort(403, description="您的账号不能查看群众的电话和身份证号码。")
    privacy.record_view(db(), get_case(db(), number), actor, "工作台查看完整号码")
    db().commit()
    return _render_case(number, reveal=True)


def _render_case(number: str, reveal: bool):
    g.reveal = reveal
    try:
        case = queries.load_for_file(db(), number)
    except CaseNotFound:
        abort(404, description="没有这个案件编号。")
    members = queries.group_members(db(), case)
    organisations = list(db().execute(select(Organisation).order_by(Organisation.id)).scalars())
    handoff = handoffs.latest_for_case(db(), case)
    can_talk = bool(case.sender_id) and case.channel in handoffs.CHAT_CHANNELS
    return render_template("case.html", case=case, now=utcnow(), to_local=to_local, members=members,
                           undelivered=outbox.failed_for_case(db(), case),
                           organisations=organisations, holder=case.assignee_id == g.user.id, handoff=handoff,
                           can_talk=can_talk, reasons=handoffs.REASONS, reveal=reveal,
                           may_reveal=privacy.may_see_pii(person(g.user)) and privacy.has_pii(case))


@bp.app_template_filter("pii")
def pii_filter(text):
    """Phone and ID numbers masked unless this page was asked to show them (and the view recorded)."""
    return text if g.get("reveal") else privacy.masked(text)


def render_case_file(number: str) -> str:
    """The printable case file (一案一卷): everything about the case on one page.

    Roles that need the numbers get them, and the print is recorded as a view of them.
    """
    from hotline.web.permissions import acting

    try:
        case = queries.load_for_file(db(), number)
    except CaseNotFound:
        abort(404, description="没有这个案件编号。")
    actor = acting()
    if privacy.may_see_pii(actor) and privacy.has_pii(case):
        privacy.record_view(db(), case, actor, "打印案卷")
        db().commit()
        g.reveal = True
    return render_template("case_file.html", case=case, now=utcnow(), members=queries.group_members(db(), case),
                           subsidy=subsidy_of(case.difficulty),
                           printed_at=utcnow())


@bp.get("/cases/<number>/file")
@login_required
@case_in_scope
def case_file(number: str):
    return render_case_file(number)


def _act(number: str, operation: Callable[[Case], object], done: str):
    """Run one console action as one transaction; a refusal is shown to the mediator, nothing is kept.

    What the action put in the outbox for the citizen (a reply, a notice) goes out right after the commit.
    """
    session_ = db()
    try:
        case = get_case(session_, number)
        operation(case)
        session_.commit()
        from hotline.web.delivery import deliver_case

        deliver_case(case)
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
@case_in_scope
def claim(number: str):
    def operation(case: Case) -> None:
        actor = person(g.user)
        if case.status == "reported":
            # The six-step loop: a report is checked (核实立案) before anyone handles it.
            service.register(db(), case, actor, note="认领时核实立案")
        service.claim(db(), case.number, actor)

    return _act(number, operation, "已认领（认领时核实立案），案件由您承办。")


@bp.post("/claim-next")
@login_required
def claim_next():
    session_ = db()
    try:
        case = service.claim_next(session_, person(g.user))
        session_.commit()
        if case is not None:
            from hotline.web.delivery import deliver_case

            deliver_case(case)
    except CaseError as error:
        session_.rollback()
        flash(error.message)
        return redirect(url_for("console.queue_page")), 303
    if case is None:
        flash("待办队列中没有可认领的案件。")
        return redirect(url_for("console.queue_page")), 303
    flash(f"已认领 {case.number}。")
    return redirect(url_for("console.case_page", number=case.number)), 303


@bp.post("/cases/<number>/register")
@login_required
@case_in_scope
def register(number: str):
    """核实立案: the mediator checked the report and it stands."""
    note = request.form.get("note", "").strip() or None
    return _act(number, lambda case: service.register(db(), case, person(g.user), note), "已核实立案。")


@bp.post("/cases/<number>/assign")
@login_required
@case_in_scope
def assign(number: str):
    """分流交办: to the organisation named, or the one its route, tier and place point to."""
    code = request.form.get("organisation", "").strip() or None
    note = request.form.get("note", "").strip() or None
    return _act(number, lambda case: service.assign(db(), case, person(g.user), code, note,
                                                    deadline_hours=settings().deadline_hours), "已分流交办。")


@bp.post("/cases/<number>/release")
@login_required
@case_in_scope
def release(number: str):
    note = request.form.get("note", "").strip() or None
    return _act(number, lambda case: service.release(db(), case, person(g.user), note), "已退回待办队列。")


@bp.post("/cases/<number>/escalate")
@login_required
@case_in_scope
def escalate(number: str):
    reason = request.form.get("reason", "")
    return _act(number, lambda case: service.escalate(db(), case, person(g.user), reason,
                                                      deadline_hours=settings().deadline_hours),
                "已升级至上一级。")


@bp.post("/cases/<number>/transfer")
@login_required
@case_in_scope
def transfer(number: str):
    to, reason = request.form.get("to", ""), request.form.get("reason", "")
    return _act(number, lambda case: service.transfer(db(), case, person(g.user), to, reason,
                                                      deadline_hours=settings().deadline_hours), "已转办。")


@bp.post("/cases/<number>/resolve")
@login_required
@case_in_scope
def resolve(number: str):
    form = request.form

    def operation(case: Case) -> None:
        # The resolution's event asks the citizen for a rating (hotline.conversations.notices).
        service.resolve(
            db(), case, person(g.user), outcome=form.get("outcome", ""), difficulty=form.get("difficulty", ""),
            agreement=form.get("agreement"), next_path=form.get("next_path") or None, note=form.get("note") or None)

    return _act(number, operation, "已办结，结果已记录；已请群众评价。")


@bp.post("/cases/<number>/accept")
@login_required
@case_in_scope
def accept(number: str):
    return _act(number, lambda case: handoffs.accept(db(), case, person(g.user)),
                "已接入对话：机器人已暂停，您的回复会发到群众原来的对话里。")


@bp.post("/cases/<number>/reply")
@login_required
@case_in_scope
def reply(number: str):
    text = request.form.get("text", "")
    if request.headers.get("X-Requested-With") == "fetch":
        # The case page's script: one JSON answer instead of a redirect, so the page need not reload.
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
@case_in_scope
def handback(number: str):
    note = request.form.get("note", "").strip() or None
    return _act(number, lambda case: handoffs.hand_back(db(), case, person(g.user), note=note),
                "已交还机器人，群众会收到案件进度。")


@bp.get("/cases/<number>/conversation")
@login_required
@case_in_scope
def conversation(number: str):
    """New transcript lines after `after` and the hand-off state, for the case page's live view."""
    try:
        case = get_case(db(), number)
    except CaseNotFound:
        abort(404, description="没有这个案件编号。")
    try:
        after = int(request.args.get("after", "0"))
    except ValueError:
        after = 0  # the page's own poll always sends a number: anything else reads from the start
    rows = queries.messages_after(db(), case, after)
    handoff = handoffs.latest_for_case(db(), case)
    return jsonify({
        "messages": [{"id": m.id, "sender": m.sender, "text": m.text} for m in rows],
        "handoff": None if handoff is None else {"status": handoff.status},
    })


@bp.post("/cases/<number>/warning")
@login_required
@case_in_scope
def warning(number: str):
    level = request.form.get("level") or None
    reason = request.form.get("reason", "")
    return _act(number, lambda case: service.set_warning_level(db(), case, person(g.user), level, reason),
                "预警等级已调整。")


ERROR_PAGES = {
    400: ("请求无法处理", "页面已过期或填写的内容不完整，请返回上一页刷新后重试。"),
    403: ("没有权限", "您的账号没有使用这个功能的权限。如需开通，请联系管理员。"),
    404: ("页面不存在", "没有找到您要的页面或案件，可能编号有误，或它不在您的办理范围内。"),
    405: ("请求方式不对", "这个页面不支持这样打开，请从工作台的按钮进入。"),
    413: ("内容太长", "提交的内容太长，请删减后重试。"),
    500: ("系统出错了", "服务器内部错误，刚才的操作没有保存，请稍后重试；如果反复出现，请联系管理员。"),
}
API_ERROR_MESSAGES = {404: "没有这个接口。", 405: "这个接口不支持该请求方法。", 413: "请求体太大。",
                      500: "服务器内部错误，操作没有保存，请稍后重试。"}


def register_error_pages(app) -> None:
    """Chinese error pages in the console's style; under /api/ the same errors answer in JSON."""
    from werkzeug.exceptions import HTTPException, MethodNotAllowed

    from hotline.web.errors import json_error

    def page(error):
        status = error.code if isinstance(error, HTTPException) and error.code else 500
        if request.path.startswith("/api/"):
            answer = json_error(status, {404: "not_found", 405: "method_not_allowed"}.get(status, "error"),
                                API_ERROR_MESSAGES.get(status, getattr(error, "description", "") or "请求无法处理。"))
            return _allow(answer, error)
        if "user" not in g:
            user = current_staff()
            if user is not None:
                g.user = user
        title, message = ERROR_PAGES.get(status, ERROR_PAGES[500])
        described = getattr(error, "description", None)
        if status in (400, 403, 404) and described and not described.startswith(("The ", "You ")):
            message = described  # our own Chinese reason (abort(..., description="..."))
        return _allow(make_response(render_template("error.html", title=title, message=message), status), error)

    def _allow(response, error):
        """A 405 says which methods the URL takes (RFC 9110 requires the Allow header)."""
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response.headers["Allow"] = ", ".join(sorted(error.valid_methods))
        return response

    for status in ERROR_PAGES:
        app.register_error_handler(status, page)
