"""Work orders between hotline seats: a call passed on in one click with the caller's words, triage and note.

12345, 110 and 12348 act as one merged line (国办发〔2022〕12号: clear cases
transfer with one click). The sending seat's order lands in the receiving
line's inbox; the first seat there to take it is recorded, and the order
can become a case without asking the caller to start again.
"""
from __future__ import annotations

import re
from typing import List, Optional

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from hotline.cases.actors import Actor, authorize
from hotline.cases.errors import Conflict, InvalidInput
from hotline.cases.models import Case, CaseParty, WorkOrder, utcnow
from hotline.triage import mask_pii
from hotline.triage.taxonomy import LINES

MAX_TEXT = 2000
MAX_NOTE = 1000
# Where a seat can send an order: another public line, or its own line's mediators via a case.
ORDER_LINES = ("110", "12348", "12345")
_PHONE = re.compile(r"^\+?[\d\- ]{7,20}$")


def normalise_phone(phone: Optional[str]) -> Optional[str]:
    """Digits only (+86 and separators dropped); InvalidInput when it cannot be a phone number."""
    phone = (phone or "").strip()
    if not phone:
        return None
    if not _PHONE.match(phone):
        raise InvalidInput("电话号码格式不正确：请只填数字（可含 - 或空格）。", "invalid_phone")
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not 7 <= len(digits) <= 12:
        raise InvalidInput("电话号码位数不对：手机 11 位，座机 7 到 12 位。", "invalid_phone")
    return digits


def _text(text: Optional[str]) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput("请先记录来电人说的内容。", "text_required")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"来电内容太长（不超过 {MAX_TEXT} 字），请概括后再转。", "text_too_long")
    return text


def send(session: Session, actor: Actor, *, from_line: str, to_line: str, text: str, triage: dict,
         note: Optional[str] = None, phone: Optional[str] = None, pii_consent: bool = False) -> WorkOrder:
    """One order to another line; without the caller's consent their numbers do not travel."""
    authorize(actor, "transfer")
    if from_line not in LINES:
        raise InvalidInput("请先选择本坐席的热线（12345、110 或 12348）。", "invalid_line")
    if to_line not in ORDER_LINES:
        raise InvalidInput("只能转 12345、110 或 12348。", "invalid_destination")
    if to_line == from_line:
        raise InvalidInput("不能转给本线路自己。", "same_line")
    text = _text(text)
    note = (note or "").strip()[:MAX_NOTE] or None
    phone = normalise_phone(phone) if pii_consent else None
    keep = (lambda s: s) if pii_consent else mask_pii
    record = dict(triage or {})
    if not pii_consent:
        record["text"] = mask_pii(record.get("text") or "")
        record["entities"] = [e for e in record.get("entities") or [] if e.get("entity") not in ("phone", "id_number")]
    order = WorkOrder(from_line=from_line, to_line=to_line, caller_text=keep(text), triage=record,
                      note=keep(note) if note else None, caller_phone=phone, pii_consent=bool(pii_consent),
                      status="sent", created_by_id=actor.user.id if actor.user else None, created_at=utcnow())
    session.add(order)
    session.flush()
    return order


def inbox(session: Session, line: str, after_id: int = 0, limit: int = 50) -> List[WorkOrder]:
    """Orders for a line that nobody took yet, plus any newer than `after_id` (oldest first)."""
    statement = (select(WorkOrder).where(WorkOrder.to_line == line)
                 .where(or_(WorkOrder.status == "sent", WorkOrder.id > after_id))
                 .order_by(WorkOrder.id).limit(limit))
    return list(session.execute(statement).unique().scalars())


def receive(session: Session, actor: Actor, order_id: int) -> WorkOrder:
    """Take an order; of two seats taking it at once, one wins and the other is told."""
    if actor.user is None:
        raise InvalidInput("接单需要工作人员本人的账号。", "person_required")
    result = session.execute(
        update(WorkOrder).where(WorkOrder.id == order_id, WorkOrder.status == "sent")
        .values(status="received", received_by_id=actor.user.id, received_at=utcnow())
        .execution_options(synchronize_session=False))
    order = session.get(WorkOrder, order_id, populate_existing=True)
    if order is None:
        raise InvalidInput("没有这张工单。", "order_not_found")
    if result.rowcount != 1:
        who = order.received_by.display_name if order.received_by else "其他坐席"
        raise Conflict(f"这张工单已由{who}接单。", "order_taken")
    return order


def link_case(session: Session, order: WorkOrder, case: Case) -> None:
    order.case_id, order.status = case.id, "done"
    session.flush()


def earlier_cases(session: Session, phone: str, limit: int = 20) -> List[Case]:
    """A caller's earlier cases by phone number: the contact phone, or a party's phone (consented cases only)."""
    digits = normalise_phone(phone)
    if digits is None:
        raise InvalidInput("请填写要查询的电话号码。", "phone_required")
    party_cases = select(CaseParty.case_id).where(CaseParty.phone == digits)
    statement = (select(Case).where(Case.pii_consent.is_(True))
                 .where(or_(Case.contact_phone == digits, Case.id.in_(party_cases)))
                 .order_by(Case.id.desc()).limit(limit))
    return list(session.execute(statement).unique().scalars())
