"""The hotline seat (/operator): live triage as the operator types, one-click case, transfer and hand-over."""
from __future__ import annotations

import logging
from typing import Any, Dict

from flask import Blueprint, g, jsonify, render_template, request, session, url_for

from hotline.cases import seat as seat_service
from hotline.cases import privacy, workorders
from hotline.cases.actors import person
from hotline.cases.errors import CaseError, Conflict, InvalidInput, PermissionDenied
from hotline.cases.lifecycle import STATUS_NAMES
from hotline.cases.models import WorkOrder
from hotline.cases.names import LINE_NAMES
from hotline.rasa_client import RasaClient, RasaUnavailable
from hotline.triage import DISPUTE_TYPES
from hotline.triage.taxonomy import LINES
from hotline.web.extensions import db, settings
from hotline.web.console import login_required
from hotline.web.delivery import deliver_case
from hotline.web.errors import json_error

logger = logging.getLogger(__name__)
bp = Blueprint("operator", __name__, url_prefix="/operator")
ERROR_STATUS = {InvalidInput: 422, Conflict: 409, PermissionDenied: 403}
# The seat's triage must keep up with typing: a slow model answer is dropped for the rules' answer.
PARSE_TIMEOUT_SECONDS = 3.0


class _Refused(Exception):
    def __init__(self, response) -> None:
        self.response = response


def _payload() -> Dict[str, Any]:
    """The JSON body of a seat request (its X-CSRF-Token was checked by hotline.web.security first)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise _Refused(json_error(400, "invalid_json", "请求体应是 JSON 对象。"))
    return body


def _str(body: Dict[str, Any], key: str, limit: int) -> str:
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"字段 {key} 应是文字。", "invalid_field")
    if len(value) > limit:
        raise InvalidInput(f"字段 {key} 太长（不超过 {limit} 字）。", "invalid_field")
    return value.strip()


def _line(value: Any) -> str:
    if value not in LINES:
        raise InvalidInput("请选择本坐席的热线：12345、110 或 12348。", "invalid_line")
    return value


def _answer(work):
    """Run one seat request: refusals answer in Chinese JSON, anything else rolls back and says so."""
    try:
        return work()
    except _Refused as refused:
        return refused.response
    except CaseError as error:
        db().rollback()
        status = next((s for cls, s in ERROR_STATUS.items() if isinstance(error, cls)), 400)
        return json_error(status, error.code, error.message)
    except Exception:  # noqa: BLE001 - the seat must get an answer, and the log says what failed
        db().rollback()
        logger.exception("seat request %s failed; nothing was saved", request.path)
        return json_error(500, "internal_error", "服务器内部错误，刚才的操作没有保存，请重试。")


def _parse_fn():
    config = settings()
    client = RasaClient(config.rasa_url, config.rasa_token, min(config.rasa_timeout_seconds, PARSE_TIMEOUT_SECONDS))

    def parse(text: str):
        try:
            return client.parse(text)
        except RasaUnavailable as error:
            logger.warning("seat triage: the Rasa parse failed (%s); the rules triaged alone", error)
            return {}

    return parse


def _panel(text: str, line: str) -> Dict[str, Any]:
    return seat_service.panel(text, line, _parse_fn())


def order_json(order: WorkOrder) -> Dict[str, Any]:
    record = order.triage or {}
    level = record.get("warning_level")
    return {
        "id": order.id, "from_line": order.from_line, "from_name": LINE_NAMES.get(order.from_line, order.from_line),
        "to_line": order.to_line, "text": order.caller_text, "note": order.note or "",
        "phone": order.caller_phone if order.pii_consent else None, "pii_consent": order.pii_consent,
        "dispute_type": (record.get("dispute_type") or {}).get("name"),
        "warning": {"orange": "橙色预警", "red": "红色预警", "yellow": "黄色预警"}.get(level, "无预警"),
        "route_reason": (record.get("route") or {}).get("reason") or "",
        "status": order.status, "status_name": {"sent": "待接单", "received": "已接单", "done": "已立案"}[order.status],
        "sent_by": order.created_by.display_name if order.created_by else "系统",
        "received_by": order.received_by.display_name if order.received_by else None,
        "created_at": order.created_at.isoformat() + "Z",
    }


@bp.get("")
@login_required
def seat():
    default = "12348" if g.user.role == "lawyer" else "12345"
    line = request.args.get("line") or session.get("seat_line") or default
    line = line if line in LINES else default
    session["seat_line"] = line
    return render_template("operator.html", line=line, lines=LINES, line_names=LINE_NAMES,
                           dispute_types=DISPUTE_TYPES)



@bp.post("/triage")
@login_required
def triage():
    def work():
        body = _payload()
        text, line = _str(body, "text", seat_service.MAX_TEXT), _line(body.get("line"))
        if not text:
            return jsonify({"empty": True})
        panel = _panel(text, line)
        panel.pop("record")
        return jsonify(panel)

    return _answer(work)


def _consent(body: Dict[str, Any]) -> bool:
    consent = body.get("pii_consent", False)
    if not isinstance(consent, bool):
        raise InvalidInput("pii_consent 应为 true 或 false。", "invalid_field")
    return consent


@bp.post("/cases")
@login_required
def open_case():
    """Open the case from the seat (fields prefilled from the triage, as the operator edited them)."""

    def work():
        body = _payload()
        text, line = _str(body, "text", seat_service.MAX_TEXT), _line(body.get("line"))
        if not text:
            raise InvalidInput("请先记录来电人说的内容。", "text_required")
        record = seat_service.with_dispute_type(_panel(text, line)["record"], _str(body, "dispute_type", 32) or None)
        actor = person(g.user)
        case = seat_service.open_from_seat(
            db(), actor, text=text, record=record, line=line, location=_str(body, "location", 255),
            phone=_str(body, "phone", 32), pii_consent=_consent(body), note=_str(body, "note", 1000),
            to_queue=body.get("to_queue") is True, deadline_hours=settings().deadline_hours)
        order_id = body.get("order_id")
        if isinstance(order_id, int) and not isinstance(order_id, bool):
            order = db().get(WorkOrder, order_id)
            if order is not None and order.received_by_id == g.user.id:
                workorders.link_case(db(), order, case)
        db().commit()
        deliver_case(case)
        return jsonify({"number": case.number, "status": STATUS_NAMES[case.status],
                        "organisation": case.organisation.name if case.organisation else None,
                        "url": url_for("console.case_page", number=case.number)}), 201

    return _answer(work)


@bp.post("/orders")
@login_required
def send_order():
    """Transfer the call to 12348 / 110 / 12345 as a work order."""

    def work():
        body = _payload()
        text, line = _str(body, "text", seat_service.MAX_TEXT), _line(body.get("line"))
        to_line = body.get("to_line")
        record = _panel(text, line)["record"] if text else {}
        order = workorders.send(db(), person(g.user), from_line=line, to_line=to_line if isinstance(to_line, str)
                                else "", text=text, triage=record, note=_str(body, "note", 1000),
                                phone=_str(body, "phone", 32), pii_consent=_consent(body))
        db().commit()
        return jsonify(order_json(order)), 201

    return _answer(work)


@bp.get("/inbox")
@login_required
def inbox():
    """Orders sent to this seat's line: the page polls it, so a transfer shows up within seconds."""

    def work():
        line = _line(request.args.get("line"))
        try:
            after = max(0, int(request.args.get("after", "0")))
        except ValueError:
            after = 0
        return jsonify({"items": [order_json(o) for o in workorders.inbox(db(), line, after)]})

    return _answer(work)


@bp.post("/orders/<int:order_id>/receive")
@login_required
def receive(order_id: int):
    def work():
        _payload()
        order = workorders.receive(db(), person(g.user), order_id)
        db().commit()
        return jsonify(order_json(order))

    return _answer(work)


@bp.get("/lookup")
@login_required
def lookup():
    """A caller's earlier cases by phone number; each look-up is a view of personal data, so it is recorded."""

    def work():
        actor = person(g.user)
        cases = workorders.earlier_cases(db(), request.args.get("phone", ""))
        for case in cases:
            privacy.record_view(db(), case, actor, "坐席按来电号码查询历史案件")
        db().commit()
        return jsonify({"items": [{
            "number": c.number, "status": STATUS_NAMES[c.status],
            "dispute_type": DISPUTE_TYPES.get(c.dispute_type, "—") if c.dispute_type else "—",
            "description": c.description[:80], "created_at": c.created_at.isoformat() + "Z",
            "url": url_for("console.case_page", number=c.number)} for c in cases]})

    return _answer(work)
