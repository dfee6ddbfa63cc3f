"""Phone and ID numbers: which roles may see them, masking for the others, the audit entry of every view,
and the citizen's consent to keep them, granted or withdrawn on an open case (个人信息保护法 Art. 14, 15, 47).
"""
from __future__ import annotations

import datetime as dt
from typing import Mapping, Optional, Union

from sqlalchemy.orm import Session

from hotline.cases.actors import Actor, ActorLike, as_actor, authorize
from hotline.cases.errors import Conflict
from hotline.cases.models import Case, CaseEvent, utcnow
from hotline.cases.workorders import normalise_phone
from hotline.triage import mask_pii

# People who call citizens back or work their case need the numbers; a viewer reads figures and files without them.
PII_ROLES = frozenset({"admin", "mediator", "operator", "lawyer"})


def may_see_pii(actor: Optional[Actor]) -> bool:
    return actor is not None and (actor.internal or actor.role in PII_ROLES)


def has_pii(case: Case) -> bool:
    """Whether the case holds numbers at all: without the citizen's consent they were masked when stored."""
    return bool(case.pii_consent) and (bool(case.contact_phone) or any(p.phone for p in case.parties)
                                       or mask_pii(case.description or "") != (case.description or ""))


def record_view(session: Session, case: Case, actor: Actor, where: str) -> None:
    """One audit entry per view of the numbers (个人信息保护法 Art. 51: access control and a record)."""
    session.add(CaseEvent(case_id=case.id, at=utcnow(), actor=actor.label, action="pii_view", note=where))


def masked(text: Optional[str]) -> Optional[str]:
    return None if text is None else mask_pii(text)


def redact_detail(body: dict) -> dict:
    """A case's JSON detail with every phone and ID number masked, for a role that must not see them."""
    body = dict(body)
    body["description"] = masked(body.get("description"))
    body["contact_phone"] = None
    body["parties"] = [{**p, "phone": None} for p in body.get("parties") or []]
    body["messages"] = [{**m, "text": masked(m.get("text"))} for m in body.get("messages") or []]
    body["documents"] = [{**d, "body": masked(d.get("body"))} for d in body.get("documents") or []]
    body["events"] = [{**e, "note": masked(e.get("note"))} for e in body.get("events") or []]
    body["triage"] = masked_triage(body.get("triage") or {}) if body.get("triage") else {}
    return body


def masked_triage(triage: Mapping) -> dict:
    """A triage record without numbers: its text masked, its phone and ID entities dropped."""
    kept = dict(triage)
    kept["text"] = mask_pii(triage.get("text") or "")
    kept["entities"] = [e for e in triage.get("entities") or [] if e.get("entity") not in ("phone", "id_number")]
    return kept


def redact_summary(body: dict) -> dict:
    """A case's JSON summary (lists, the queue) with the numbers in its description masked."""
    return {**body, "description": masked(body.get("description"))}


# --- consent ------------------------------------------------------------------------


def _stamp(at: dt.datetime) -> str:
    """The time of a consent change as the audit detail keeps it (UTC, ISO 8601, as the report form logs it)."""
    return at.replace(microsecond=0, tzinfo=dt.timezone.utc).isoformat()


def grant_consent(session: Session, case: Union[Case, str], actor: ActorLike, *, phone: Optional[str] = None,
                  now: Optional[dt.datetime] = None) -> Case:
    """The citizen agrees that their phone is kept on the case: consent set, the number stored, the change audited.

    A grant while consent already stands only records the new number (a `contact_phone` entry). A closed case
    takes no new personal data. A phone that cannot be one is refused (InvalidInput) before anything changes.
    """
    from hotline.cases import scope, service

    who = as_actor(actor)
    authorize(who, "edit")
    number = normalise_phone(phone) if phone else None
    case = service.lock_case(session, case)
    scope.check_visible(session, who, case)
    if case.status == "closed":
        raise Conflict("案件已结案，不再记录联系电话。", "case_closed")
    now = now or utcnow()
    if not case.pii_consent:
        case.pii_consent = True
        if number:
            case.contact_phone = number
        note = f"群众同意记录联系电话（尾号{number[-4:]}）" if number else "群众同意记录联系电话"
        service.record_event(session, case, who, "consent", note=note,
                             detail={"consent": True, "at": _stamp(now)}, at=now)
    elif number and number != case.contact_phone:
        case.contact_phone = number
        service.record_event(session, case, who, "contact_phone", note=f"联系电话改为尾号{number[-4:]}的号码",
                             detail={"at": _stamp(now)}, at=now)
    case.updated_at = now
    session.flush()
    return case


def withdraw_consent(session: Session, case: Union[Case, str], actor: ActorLike, *,
                     now: Optional[dt.datetime] = None) -> bool:
    """The citizen withdraws consent: the phone is deleted and every number kept on the case is masked, audited.

    Not a flag: the contact phone, the parties' phones and a pending call-back go; phone and ID numbers in the
    description, the triage record, the transcript, documents, the agreement and comments are masked in place,
    and what is added to the case later is masked as it is stored. Returns False when the case kept nothing
    (without consent numbers were masked when stored). The audit trail keeps only phone tails.
    """
    from hotline.cases import scope, service

    who = as_actor(actor)
    authorize(who, "edit")
    case = service.lock_case(session, case)
    scope.check_visible(session, who, case)
    if not case.pii_consent:
        return False
    now = now or utcnow()
    case.pii_consent = False
    case.contact_phone = None
    case.callback_requested_at = None
    case.description = mask_pii(case.description or "")
    case.triage = masked_triage(case.triage or {})
    case.agreement = masked(case.agreement)
    case.evaluation = masked(case.evaluation)
    case.citizen_comment = masked(case.citizen_comment)
    for message in case.messages:
        message.text = mask_pii(message.text)
    for party in case.parties:
        party.phone = None
        party.note = masked(party.note)
    for document in case.documents:
        document.body = mask_pii(document.body or "")
    service.record_event(session, case, who, "consent", note="群众撤回同意：联系电话已删除，案件中的电话和身份证号已打码",
                         detail={"consent": False, "at": _stamp(now)}, at=now)
    case.updated_at = now
    session.flush()
    return True
