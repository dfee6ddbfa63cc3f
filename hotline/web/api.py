"""The JSON API for systems, scripts and the console: cases, the queue, and the case operations.

Views only parse input, call `hotline.cases.service` and shape the answer;
each request that changes something is one transaction, committed only
once its answer is built (so an answer that cannot be built saves nothing)
or rolled back whole. Bodies and queries are validated with the schemas of
hotline/web/schemas.py, from which the OpenAPI document is generated.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from typing import Any, Callable, Dict, List, Optional

from flask import Blueprint, Response, g, jsonify, request, url_for
from sqlalchemy import select, text
from werkzeug.exceptions import HTTPException

from hotline.cases import privacy, queries, scope, service
from hotline.cases.errors import AlreadyClaimed, CaseError, CaseNotFound, Conflict, InvalidInput, PermissionDenied
from hotline.cases.lifecycle import (
    ACTION_NAMES,
    DIFFICULTIES,
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
    allowed_next,
    subsidy_of,
)
from hotline.cases.models import Case, CaseGroup, CaseMessage, Organisation, utcnow
from hotline.conversations import handoff as handoffs
from hotline.conversations import outbox
from hotline.triage import DISPUTE_TYPES, build_record
from hotline.web import schemas
from hotline.web.extensions import db, settings
from hotline.web.auth import api_auth
from hotline.web.errors import HTTP_MESSAGES, json_error
from hotline.web.permissions import case_in_scope, guarded

logger = logging.getLogger(__name__)
bp = Blueprint("api", __name__, url_prefix="/api")

MAX_TEXT = schemas.MAX_TEXT
ERROR_STATUS = {
    CaseNotFound: 404,
    AlreadyClaimed: 409,
    Conflict: 409,
    PermissionDenied: 403,
    InvalidInput: 422,
}


class BadRequest(CaseError):
    code = "invalid_parameter"


# --- shaping ----------------------------------------------------------------------


def iso(moment: Optional[dt.datetime]) -> Optional[str]:
    """Naive UTC (how we store) as ISO 8601 with Z."""
    return None if moment is None else moment.replace(microsecond=0).isoformat() + "Z"


def _named(code: Optional[str], names: Dict[str, str]) -> Optional[Dict[str, str]]:
    return None if code is None else {"code": code, "name": names.get(code, code)}


def case_summary(case: Case, now: dt.datetime) -> Dict[str, Any]:
    group = case.group
    return {
        "number": case.number,
        "status": case.status,
        "status_name": STATUS_NAMES[case.status],
        "warning_level": case.warning_level,
        "warning_name": WARNING_NAMES[case.warning_level],
        "dispute_type": _named(case.dispute_type, DISPUTE_TYPES),
        "description": case.description,
        "location": case.location,
        "line": case.line,
        "channel": case.channel,
        "urgency": case.urgency,
        "urgency_name": URGENCY_NAMES.get(case.urgency, case.urgency),
        "deadline_at": iso(case.deadline_at),
        "overdue": service.is_overdue(case, now),
        "escalations": case.escalations or 0,
        "route": {"to": case.route_to, "reason": case.route_reason},
        "tier": case.tier,
        "tier_name": TIER_NAMES.get(case.tier, case.tier),
        "committee": case.committee,
        "organisation": None if case.organisation is None else
        {"code": case.organisation.code, "name": case.organisation.name},
        "assignee": None if case.assignee is None else
        {"username": case.assignee.username, "display_name": case.assignee.display_name},
        "respondent": case.respondent,
        "people_count": case.people_count,
        "group": None if group is None else
        {"id": group.id, "head_count": group.head_count, "warning_level": group.warning_level},
        "transferred_to": case.transferred_to,
        "outcome": _named(case.outcome, OUTCOMES),
        "difficulty": _named(case.difficulty, DIFFICULTIES),
        "next_path": _named(case.next_path, NEXT_PATHS),
        "callback_requested_at": iso(case.callback_requested_at),
        "created_at": iso(case.created_at),
        "updated_at": iso(case.updated_at),
    }


def case_detail(case: Case, now: dt.datetime) -> Dict[str, Any]:
    body = case_summary(case, now)
    members = queries.group_members(db(), case)
    if body["group"] is not None:
        body["group"]["members"] = [
            {"number": m.number, "status": m.status, "warning_level": m.warning_level,
             "people_count": m.people_count, "location": m.location, "respondent": m.respondent}
            for m in members
        ]
    body.update({
        "triage": case.triage,
        "risk_signals": list(case.risk_signals or []),
        "pii_consent": case.pii_consent,
        "contact_phone": case.contact_phone if case.pii_consent else None,
        "agreement": case.agreement,
        "subsidy_yuan": subsidy_of(case.difficulty),
        "rating": case.rating,
        "evaluation": case.evaluation,
        "citizen_rating": case.citizen_rating,
        "citizen_comment": case.citizen_comment,
        "rated_at": iso(case.rated_at),
        "undelivered": [{"at": iso(m.created_at), "channel": m.channel, "text": m.text or ""}
                        for m in outbox.failed_for_case(db(), case)],
        "handoff": handoff_state(handoffs.latest_for_case(db(), case)),
        "resolved_at": iso(case.resolved_at),
        "closed_at": iso(case.closed_at),
        "messages": [message_json(m) for m in case.messages],
        "events": [
            {"at": iso(e.at), "actor": e.actor, "action": e.action, "action_name": ACTION_NAMES.get(e.action, e.action),
             "from_status": e.from_status, "to_status": e.to_status, "note": e.note, "detail": e.detail}
            for e in case.events
        ],
        "parties": [{"role": p.role, "role_name": PARTY_ROLES[p.role], "name": p.name,
                     "phone": p.phone if case.pii_consent else None} for p in case.parties],
        "documents": [{"kind": d.kind, "kind_name": DOCUMENT_KINDS[d.kind], "title": d.title, "body": d.body,
                       "created_by": d.created_by, "created_at": iso(d.created_at)} for d in case.documents],
        "allowed_transitions": allowed_next(case.status),
    })
    return body


def message_json(message: CaseMessage) -> Dict[str, Any]:
    return {"id": message.id, "sender": message.sender, "author": message.author, "text": message.text,
            "at": iso(message.at)}


def handoff_state(handoff) -> Optional[Dict[str, Any]]:
    """The case's latest hand-off: who holds the conversation, since when."""
    if handoff is None:
        return None
    person = handoff.accepted_by
    return {"status": handoff.status, "reason": handoff.reason, "reason_name": handoffs.REASONS[handoff.reason],
            "channel": handoff.channel, "requested_at": iso(handoff.requested_at),
            "accepted_at": iso(handoff.accepted_at),
            "accepted_by": None if person is None else {"username": person.username,
                                                        "display_name": person.display_name},
            "ended_at": iso(handoff.ended_at)}


# --- plumbing ---------------------------------------------------------------------


def _body(model=schemas.Empty):
    """The request body, validated with its schema (an absent body is an empty object)."""
    if not request.get_data(cache=True):
        payload: Any = {}
    else:
        payload = request.get_json(silent=True)
        if payload is None:
            raise BadRequest("请求体应是 JSON 对象。", "invalid_json")
    try:
        return schemas.parse(model, payload)
    except schemas.Invalid as invalid:
        raise BadRequest(invalid.message, invalid.code) from None


def _error_response(error: Exception):
    if isinstance(error, TransitionError):
        before = STATUS_NAMES.get(error.from_status, error.from_status)
        after = STATUS_NAMES.get(error.to_status, error.to_status)
        return json_error(409, "invalid_transition", f"案件当前为“{before}”，不能变为“{after}”。")
    if isinstance(error, BadRequest):
        return json_error(400, error.code, error.message)
    status = next((s for cls, s in ERROR_STATUS.items() if isinstance(error, cls)), 400)
    return json_error(status, error.code, error.message)


def _write(operation: Callable[[], Any], answer: Optional[Callable[[Any], Response]] = None):
    """Run a change, build its answer, then commit; on any error roll all of it back (the handlers answer).

    With `answer`, returns (result, response): the response is built inside the
    transaction, so a change whose answer fails is not kept behind an error.
    """
    session = db()
    try:
        result = operation()
        session.flush()
        response = answer(result) if answer is not None else None
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result if answer is None else (result, response)


def _write_reply(operation: Callable[[], Any], status: int = 200) -> Response:
    """A case operation and the case as it now stands; what it queued for the citizen goes out after the commit."""
    case, response = _write(operation, lambda case: _reply(case, status))
    _deliver(case)
    return response


@bp.errorhandler(CaseError)
@bp.errorhandler(TransitionError)
def _case_error(error: Exception):
    db().rollback()
    return _error_response(error)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return json_error(error.code or 500, error.name.lower().replace(" ", "_"),
                      HTTP_MESSAGES.get(error.code, error.description or "请求无法处理。"))


@bp.errorhandler(Exception)
def _unexpected(error: Exception):
    db().rollback()
    logger.exception("API %s %s failed; the transaction was rolled back, nothing was saved", request.method,
                     request.path)
    return json_error(500, "internal_error", "服务器内部错误，操作没有保存，请稍后重试。")


def _shown(summary: Dict[str, Any]) -> Dict[str, Any]:
    """A case summary as the caller may see it: numbers masked for roles that must not see them."""
    return summary if privacy.may_see_pii(g.actor) else privacy.redact_summary(summary)


def _case_or_404(number: str) -> Case:
    if len(number) > 32:
        raise CaseNotFound(number[:32] + "…")
    return queries.get_case(db(), number)


def _reply(case, status: int = 200):
    """The case as it now stands (`case` may be the Case or its number)."""
    db().expire_all()
    fresh = queries.load_for_file(db(), case if isinstance(case, str) else case.number)
    response = jsonify(case_detail(fresh, utcnow()))
    response.status_code = status
    return response


# --- routes -----------------------------------------------------------------------


@bp.get("/health")
def health():
    db().execute(text("SELECT 1"))
    return jsonify({"status": "ok", "database": "ok"})


@bp.get("/openapi.json")
def openapi():
    from hotline.web.openapi import spec

    return jsonify(spec(request.host_url.rstrip("/")))


def _arg(name: str) -> Optional[str]:
    """A query parameter as the document has it: at most once (a repeated one is refused, not half-read)."""
    values = request.args.getlist(name)
    if len(values) > 1:
        raise BadRequest(f"参数 {name} 只能给一次。")
    return values[0] if values else None


def _int_arg(name: str, default: Optional[int], low: int, high: int) -> Optional[int]:
    raw = _arg(name)
    if raw is None:
        return default
    if not re.fullmatch(r"-?[0-9]{1,30}", raw):  # decimal digits as JSON writes them; not "1_0", "+1" or "١"
        raise BadRequest(f"参数 {name} 应为整数。")
    value = int(raw)
    if not low <= value <= high:
        raise BadRequest(f"参数 {name} 应在 {low} 到 {high} 之间。")
    return value


def _choice_arg(name: str, choices) -> Optional[str]:
    value = _arg(name)
    if value is not None and value not in choices:
        raise BadRequest(f"参数 {name} 应为 {', '.join(choices)} 之一。")
    return value


def _text_arg(name: str) -> Optional[str]:
    return _arg(name) or None


def _organisation_id(code: Optional[str]) -> Optional[int]:
    if not code:
        return None
    found = db().execute(select(Organisation.id).where(Organisation.code == code)).scalar_one_or_none()
    if found is None:
        # Well-formed, but naming nothing: 422 like the service's unknown codes (400 is for what the document refuses).
        raise InvalidInput(f"没有代码为 {code} 的单位，请使用 /api/organisations 中的代码。", "unknown_organisation")
    return found


@bp.get("/queue")
@api_auth
@guarded
def get_queue():
    limit = _int_arg("limit", 50, 1, queries.MAX_PAGE)
    org_id = _organisation_id(_text_arg("organisation"))
    dispute_type = _choice_arg("dispute_type", DISPUTE_TYPES)
    session = db()
    where = scope.case_condition(session, g.actor)
    items = queries.queue(session, limit, organisation_id=org_id, dispute_type=dispute_type, where=where)
    total = queries.queue_size(session, organisation_id=org_id, dispute_type=dispute_type, where=where)
    now = utcnow()
    return jsonify({"total": min(total, queries.QUEUE_COUNT_CAP), "total_exact": total <= queries.QUEUE_COUNT_CAP,
                    "items": [_shown(case_summary(c, now)) for c in items]})


@bp.post("/queue/claim-next")
@api_auth
@guarded
def claim_next():
    body = _body(schemas.ClaimNext)
    org_id = _organisation_id(body.organisation)
    case, response = _write(
        lambda: service.claim_next(db(), g.actor, organisation_id=org_id, dispute_type=body.dispute_type),
        lambda case: None if case is None else _reply(case))
    if case is None:
        return json_error(404, "queue_empty", "待办队列中没有可认领的案件。")
    _deliver(case)
    return response


@bp.get("/cases")
@api_auth
@guarded
def list_cases():
    overdue_raw = _choice_arg("overdue", schemas.OVERDUE_VALUES)
    filters = queries.CaseFilters(
        status=_choice_arg("status", STATUS_NAMES),
        warning_level=_choice_arg("warning_level", schemas.WARNING_FILTERS),
        dispute_type=_choice_arg("dispute_type", DISPUTE_TYPES),
        assignee=_text_arg("assignee"),
        overdue=None if overdue_raw is None else overdue_raw in ("true", "1"),
        organisation=_text_arg("organisation"),
        group_id=_int_arg("group", None, 1, schemas.MAX_ID),
    )
    limit = _int_arg("limit", 50, 1, queries.MAX_PAGE)
    cursor = _int_arg("cursor", None, 1, schemas.MAX_ID)
    now = utcnow()
    cases = queries.list_cases(db(), filters, limit=limit, before_id=cursor, now=now,
                               where=scope.case_condition(db(), g.actor))
    next_cursor = str(cases[-1].id) if len(cases) == limit else None
    return jsonify({"items": [_shown(case_summary(c, now)) for c in cases], "next_cursor": next_cursor})


@bp.post("/cases")
@api_auth
@guarded
def create_case():
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (len(key) <= schemas.IDEMPOTENCY_KEY_MAX
                                and re.fullmatch(schemas.IDEMPOTENCY_KEY_PATTERN, key)):
        raise BadRequest(f"Idempotency-Key 应为 1 到 {schemas.IDEMPOTENCY_KEY_MAX} 个可见字符。", "invalid_header")
    body = _body(schemas.NewCase)
    # Checked even beside a triage record, which takes precedence: a wrong code is refused, never silently dropped.
    if body.dispute_type is not None and body.dispute_type not in DISPUTE_TYPES:
        raise BadRequest("dispute_type 不是纠纷类型代码。", "invalid_field")
    if body.triage is not None:
        triage = body.triage.dict(exclude_unset=True)
    else:
        triage = build_record(body.text, {"name": body.intent or "report_dispute", "confidence": 1.0},
                              {"code": body.dispute_type, "confidence": 1.0} if body.dispute_type else None,
                              line=body.line)
    key = key or body.intake_key
    intake_key = f"api:{key}" if key else f"api:{uuid.uuid4().hex}"
    case, response = _write(lambda: service.open_case(
        db(),
        g.actor,
        service.Intake(
            text=body.text, triage=triage, key=intake_key, channel=body.channel or "api",
            sender_id=body.sender_id or None, location=body.location or None,
            contact_phone=body.contact_phone or None, pii_consent=body.pii_consent,
            transcript=[(t.sender, t.text) for t in body.transcript], respondent=body.respondent or None,
            people_count=body.people_count,
        ),
        deadline_hours=settings().deadline_hours,
    ), lambda opened: _reply(opened[0], 201 if opened[1] else 200))
    response.headers["Location"] = url_for("api.get_case", number=case[0].number)
    _deliver(case[0])
    return response


@bp.get("/cases/<number>")
@api_auth
@guarded
@case_in_scope
def get_case(number: str):
    case = queries.load_for_file(db(), number)
    body = case_detail(case, utcnow())
    if not privacy.may_see_pii(g.actor):
        body = privacy.redact_detail(body)
    elif privacy.has_pii(case):
        _write(lambda: privacy.record_view(db(), case, g.actor, "接口查看案件详情"))
    return jsonify(body)


@bp.get("/cases/<number>/file")
@api_auth
@guarded
@case_in_scope
def case_file(number: str):
    from hotline.web.console import render_case_file

    queries.get_case(db(), number)  # an unknown number answers in JSON like every other route
    return Response(render_case_file(number), mimetype="text/html")


@bp.post("/cases/<number>/claim")
@api_auth
@guarded
@case_in_scope
def claim(number: str):
    _body()
    return _write_reply(lambda: service.claim(db(), _case_or_404(number).number, g.actor))


@bp.post("/cases/<number>/release")
@api_auth
@guarded
@case_in_scope
def release(number: str):
    body = _body(schemas.Note)
    return _write_reply(lambda: service.release(db(), _case_or_404(number), g.actor, body.note))


@bp.post("/cases/<number>/register")
@api_auth
@guarded
@case_in_scope
def register(number: str):
    body = _body(schemas.Note)
    return _write_reply(lambda: service.register(db(), _case_or_404(number), g.actor, body.note))


@bp.post("/cases/<number>/assign")
@api_auth
@guarded
@case_in_scope
def assign(number: str):
    body = _body(schemas.Assign)
    return _write_reply(lambda: service.assign(db(), _case_or_404(number), g.actor, body.organisation or None,
                                               body.note))


@bp.post("/cases/<number>/transfer")
@api_auth
@guarded
@case_in_scope
def transfer(number: str):
    body = _body(schemas.Transfer)
    return _write_reply(lambda: service.transfer(db(), _case_or_404(number), g.actor, body.to, body.reason,
                                                 deadline_hours=settings().deadline_hours))


@bp.post("/cases/<number>/escalate")
@api_auth
@guarded
@case_in_scope
def escalate(number: str):
    body = _body(schemas.Reason)
    return _write_reply(lambda: service.escalate(db(), _case_or_404(number), g.actor, body.reason,
                                                 deadline_hours=settings().deadline_hours))


def _deliver(case: Case) -> None:
    """What the change put in the outbox for the citizen (a reply, a notice) goes out now (the job retries)."""
    from hotline.web.delivery import deliver_case

    deliver_case(case)


@bp.post("/cases/<number>/resolve")
@api_auth
@guarded
@case_in_scope
def resolve(number: str):
    body = _body(schemas.Resolve)

    # The resolution's event asks the citizen for a rating (hotline.conversations.notices).
    return _write_reply(lambda: service.resolve(
        db(), _case_or_404(number), g.actor, outcome=body.outcome, difficulty=body.difficulty,
        agreement=body.agreement or None, next_path=body.next_path or None, note=body.note or None))


@bp.get("/handoffs")
@api_auth
@guarded
def list_handoffs():
    """Conversations waiting for a person, longest first."""
    now = utcnow()
    items = []
    for handoff in handoffs.waiting(db(), limit=_int_arg("limit", 50, 1, queries.MAX_PAGE)):
        items.append({"case": case_summary(handoff.case, now), "handoff": handoff_state(handoff),
                      "waited_seconds": int((now - handoff.requested_at).total_seconds())})
    return jsonify({"items": items})


@bp.get("/cases/<number>/messages")
@api_auth
@guarded
@case_in_scope
def case_messages(number: str):
    """The case's transcript after message id `after` (the console polls it while talking to the citizen)."""
    case = _case_or_404(number)
    after = _int_arg("after", 0, 0, queries.MAX_MESSAGE_ID)
    return jsonify({"messages": [message_json(m) for m in queries.messages_after(db(), case, after)],
                    "handoff": handoff_state(handoffs.latest_for_case(db(), case))})


@bp.get("/conversations/<channel>/<path:provider_user_id>/messages")
@api_auth
@guarded
def conversation_messages(channel: str, provider_user_id: str):
    """One channel conversation's stored inbound and outbound messages, in order, with provider ids and states."""
    from hotline.conversations import inbox

    if channel not in inbox.CHANNELS:
        return json_error(404, "unknown_channel", f"没有这个渠道：请使用 {'、'.join(inbox.CHANNELS)} 之一。")
    if len(provider_user_id) > 128:
        return json_error(404, "unknown_conversation", "没有这个对话。")
    if not inbox.may_read(db(), g.actor, channel, provider_user_id):
        return json_error(403, "forbidden", "您无权查看这个对话（调解员只能查看自己承办案件的对话）。")
    items = inbox.conversation(db(), channel, provider_user_id)
    return jsonify({"channel": channel, "provider_user_id": provider_user_id,
                    "messages": [{**item, "at": iso(item["at"])} for item in items]})


@bp.post("/cases/<number>/accept")
@api_auth
@guarded
@case_in_scope
def accept(number: str):
    _body()
    case, response = _write(lambda: handoffs.accept(db(), _case_or_404(number), g.actor).case, _reply)
    _deliver(case)
    return response


@bp.post("/cases/<number>/reply")
@api_auth
@guarded
@case_in_scope
def reply(number: str):
    body = _body(schemas.Reply)
    message, response = _write(lambda: handoffs.reply(db(), _case_or_404(number), g.actor, body.text),
                               lambda message: jsonify(message_json(message)))
    _deliver(message.case)
    response.status_code = 201
    return response


@bp.post("/cases/<number>/handback")
@api_auth
@guarded
@case_in_scope
def handback(number: str):
    body = _body(schemas.Note)
    case, response = _write(lambda: handoffs.hand_back(db(), _case_or_404(number), g.actor, note=body.note).case,
                            _reply)
    _deliver(case)
    return response


@bp.post("/cases/<number>/evaluate")
@api_auth
@guarded
@case_in_scope
def evaluate(number: str):
    body = _body(schemas.Evaluate)
    return _write_reply(lambda: service.evaluate(db(), _case_or_404(number), g.actor, body.rating, body.comment))


@bp.post("/cases/<number>/close")
@api_auth
@guarded
@case_in_scope
def close(number: str):
    body = _body(schemas.Note)
    return _write_reply(lambda: service.close(db(), _case_or_404(number), g.actor, body.note))


@bp.post("/cases/<number>/reopen")
@api_auth
@guarded
@case_in_scope
def reopen(number: str):
    body = _body(schemas.Reason)
    return _write_reply(lambda: service.reopen(db(), _case_or_404(number), g.actor, body.reason,
                                               deadline_hours=settings().deadline_hours))


@bp.post("/cases/<number>/warning-level")
@api_auth
@guarded
@case_in_scope
def warning_level(number: str):
    body = _body(schemas.WarningLevel)
    return _write_reply(lambda: service.set_warning_level(db(), _case_or_404(number), g.actor, body.level,
                                                          body.reason))


@bp.post("/cases/<number>/parties")
@api_auth
@guarded
@case_in_scope
def add_party(number: str):
    body = _body(schemas.Party)
    return _write(lambda: service.add_party(db(), _case_or_404(number), g.actor, body.role, body.name,
                                            body.phone or None, body.note or None),
                  lambda _party: _reply(number, 201))[1]


@bp.post("/cases/<number>/documents")
@api_auth
@guarded
@case_in_scope
def add_document(number: str):
    body = _body(schemas.Document)
    return _write(lambda: service.add_document(db(), _case_or_404(number), g.actor, body.kind, body.title,
                                               body.body or ""),
                  lambda _document: _reply(number, 201))[1]


@bp.get("/groups/<int:group_id>")
@api_auth
@guarded
def get_group(group_id: int):
    group = db().get(CaseGroup, group_id) if group_id <= schemas.MAX_ID else None
    if group is None:
        return json_error(404, "group_not_found", "没有这个群体性纠纷。")
    now = utcnow()
    members = queries.list_cases(db(), queries.CaseFilters(group_id=group_id), limit=queries.MAX_PAGE, now=now)
    return jsonify({"id": group.id, "dispute_type": _named(group.dispute_type, DISPUTE_TYPES),
                    "respondent": group.respondent, "place": group.place, "head_count": group.head_count,
                    "warning_level": group.warning_level, "created_at": iso(group.created_at),
                    "members": [_shown(case_summary(c, now)) for c in reversed(members)]})


@bp.get("/organisations")
@api_auth
@guarded
def organisations():
    rows: List[Organisation] = list(db().execute(select(Organisation).order_by(Organisation.id)).scalars())
    return jsonify({"items": [
        {"code": o.code, "name": o.name, "kind": o.kind, "tier": o.tier,
         "area": o.area.name if o.area else None, "parent": o.parent.code if o.parent else None,
         "routes": list(o.routes or []), "specialisms": list(o.specialisms or [])} for o in rows]})


@bp.get("/meta")
def meta():
    """The codes the API takes, with their Chinese names (for forms and scripts)."""
    return jsonify({
        "statuses": STATUS_NAMES, "warning_levels": {k: v for k, v in WARNING_NAMES.items() if k},
        "dispute_types": DISPUTE_TYPES, "transfer_destinations": TRANSFER_DESTINATIONS, "outcomes": OUTCOMES,
        "next_paths": NEXT_PATHS, "difficulties": DIFFICULTIES, "party_roles": PARTY_ROLES,
        "document_kinds": DOCUMENT_KINDS,
    })
