"""Phone and ID numbers: which roles may see them, masking for the others, and the audit entry of every view."""
from __future__ import annotations

from typing import Optional

from sqlalchemy.orm import Session

from hotline.cases.actors import Actor
from hotline.cases.models import Case, CaseEvent, utcnow
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
    triage = dict(body.get("triage") or {})
    if triage:
        triage["text"] = masked(triage.get("text"))
        triage["entities"] = [e for e in triage.get("entities") or [] if e.get("entity") not in ("phone", "id_number")]
    body["triage"] = triage
    return body


def redact_summary(body: dict) -> dict:
    """A case's JSON summary (lists, the queue) with the numbers in its description masked."""
    return {**body, "description": masked(body.get("description"))}
