"""Danger comes first, whoever holds the conversation: the words the citizen gets, one urgent case, the flag."""
from __future__ import annotations

from typing import Iterable, Mapping, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.cases import service
from hotline.cases.lifecycle import OPEN_STATUSES
from hotline.cases.models import Case

# The danger texts are responses in bot/domain/safety.yml, said by the action server and, when Rasa is down,
# by the inbox and the voice line; EMERGENCY_TEXT etc. read them on first use (module __getattr__ below).
EMERGENCY, FOLLOWUP, HANDOFF, WAITING = (
    "utter_emergency", "utter_emergency_followup", "utter_emergency_handoff", "utter_emergency_waiting")
_TEXTS = {"EMERGENCY_TEXT": EMERGENCY, "FOLLOWUP_TEXT": FOLLOWUP, "HANDOFF_TEXT": HANDOFF, "WAITING_TEXT": WAITING}


def __getattr__(name: str) -> str:
    """EMERGENCY_TEXT, FOLLOWUP_TEXT, HANDOFF_TEXT, WAITING_TEXT: the domain's words, read when first asked for."""
    if name in _TEXTS:
        from hotline.conversations import wording

        return wording.text(_TEXTS[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def is_danger(triage: Mapping) -> bool:
    return (triage.get("intent") or {}).get("name") == "emergency" or (triage.get("route") or {}).get("to") == "110"


def open_urgent_case(session: Session, channel: str, sender_id: Optional[str]) -> Optional[Case]:
    """The conversation's urgent case that is still open, if any."""
    if not sender_id:
        return None
    return session.execute(
        select(Case).where(Case.channel == channel, Case.sender_id == sender_id, Case.urgency == "emergency",
                           Case.status.in_(sorted(OPEN_STATUSES)))
        .order_by(Case.id.desc()).limit(1)
    ).unique().scalar_one_or_none()


def as_emergency(triage: Mapping) -> dict:
    """The triage of a danger message as the case keeps it: routed to 110 (with the triage's own reason, if it
    gave one), and read as an emergency when the model read nothing else."""
    record = dict(triage)
    record["route"] = {"to": "110", "reason": (triage.get("route") or {}).get("reason") or "存在现实危险，转110处置"}
    record.setdefault("intent", {"name": "emergency", "confidence": 1.0})
    return record


def record_danger(session: Session, *, text: str, triage: Mapping, intake_key: str, channel: str,
                  sender_id: Optional[str], transcript: Iterable[Tuple[str, str]] = (),
                  deadline_hours: Optional[Mapping[str, float]] = None, actor: str = "bot") -> Tuple[Case, bool]:
    """One urgent case per conversation: the first danger message opens it (routed to 110, `as_emergency`),
    later ones are added to it.

    Returns (case, first): ``first`` is False when the message joined the open urgent case.
    """
    existing = open_urgent_case(session, channel, sender_id)
    if existing is not None:
        case = service.lock_case(session, existing)
        service.add_message(session, case, "citizen", text)
        service.record_event(session, case, actor, "danger", note=f"同一对话中又报告危险：{text[:200]}")
        return case, False
    case, created = service.open_case(
        session,
        actor,
        service.Intake(
            text=text, triage=as_emergency(triage), key=intake_key, channel=channel, sender_id=sender_id,
            transcript=transcript,
        ),
        deadline_hours=deadline_hours,
    )
    return case, created


def danger_response(first: bool) -> str:
    """The guidance for a danger message (a response name): the full 110 text first, then follow-ups that help."""
    return EMERGENCY if first else FOLLOWUP


def flag_danger(session: Session, case: Case, text: str, actor: str = "system:safety") -> Case:
    """A danger message arrived while a person holds the conversation: raise the case and say why, audited."""
    case = service.lock_case(session, case)
    if case.warning_level != "orange":
        service.set_warning_level(session, case, actor, "orange", f"对话中出现危险信号：{text[:100]}")
    service.record_event(session, case, actor, "danger", note=f"群众在人工对话中报告危险，已提示立即拨打110：{text[:200]}")
    return case


def _sent(session: Session, case: Case, text: str) -> bool:
    from hotline.cases.models import CaseMessage

    return session.execute(
        select(CaseMessage.id).where(CaseMessage.case_id == case.id, CaseMessage.sender == "bot",
                                     CaseMessage.text == text).limit(1)
    ).first() is not None


def reply_while_handed_off(session: Session, handoff, text: str) -> Optional[str]:
    """What the citizen is told while a person holds (or is about to take) the conversation, or None.

    Danger gets the 110 guidance the first time this case hears of it and
    the follow-up after that (never the same words twice in a row); the case
    is raised for the person. In an urgent conversation still waiting for a
    person, other messages get the follow-up, then one line saying someone
    is coming, then nothing until the person answers.
    """
    from hotline.conversations.wording import text as said
    from hotline.triage import build_record

    emergency, followup, waiting = said(EMERGENCY), said(FOLLOWUP), said(WAITING)
    case = handoff.case
    record = build_record(text, {"name": "request_human", "confidence": 1.0}, None)
    if is_danger(record):
        earlier = _sent(session, case, emergency) or case.urgency == "emergency"
        case = flag_danger(session, case, text)
        reply = emergency if not earlier else (waiting if _sent(session, case, followup)
                                               and handoff.status == "waiting" else followup)
    elif handoff.reason == "danger" and handoff.status == "waiting":
        reply = next((t for t in (followup, waiting) if not _sent(session, case, t)), None)
    else:
        return None
    if reply is not None:
        service.add_message(session, case, "bot", reply)
    return reply
