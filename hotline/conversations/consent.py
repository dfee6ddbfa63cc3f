"""Consent changed in the chat after a case was opened: which way, which cases, and what was done.

The report form takes a grant or a withdrawal at any of its questions
(hotline/conversations/intake.py). Once the case is open, "我同意留电话，
13912345678" or "把我号码删了" come here:

- a grant goes to the conversation's most recent case that is not closed
  (the one a mediator is working on); without a number nothing is recorded
  yet and the bot asks for it;
- a withdrawal goes to every case this conversation opened that keeps
  personal data: the phones are deleted and the numbers masked
  (hotline.cases.privacy.withdraw_consent), whatever the case's state.

Each change is a `consent` (or `contact_phone`) entry in the case's audit
trail with its time and who recorded it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.cases import privacy
from hotline.cases.actors import ActorLike
from hotline.cases.models import Case
from hotline.conversations import intake

GIVE, WITHDRAW = "give_consent", "withdraw_consent"

# What came of a change (the action says the matching response).
GRANTED, PHONE_CHANGED, ALREADY, NEED_PHONE = "granted", "phone_changed", "already", "need_phone"
WITHDRAWN, NOTHING_KEPT, NO_CASE, CLOSED = "withdrawn", "nothing_kept", "no_case", "closed"


@dataclass(frozen=True)
class Change:
    outcome: str
    numbers: Tuple[str, ...] = ()
    tail: Optional[str] = None


def direction(text: str, intent: Optional[str]) -> Optional[bool]:
    """True for a grant, False for a withdrawal: the words when they say it, else the intent."""
    said = intake.consent_change(text)
    if said is not None:
        return said
    return {GIVE: True, WITHDRAW: False}.get(intent or "")


def _cases(session: Session, channel: str, sender_id: str) -> List[Case]:
    """The cases this conversation opened, newest first."""
    return list(session.execute(
        select(Case).where(Case.channel == channel, Case.sender_id == sender_id, Case.number.is_not(None))
        .order_by(Case.id.desc())).unique().scalars())


def grant(session: Session, channel: str, sender_id: str, phone: Optional[str], *, actor: ActorLike = "bot",
          now: Optional[dt.datetime] = None) -> Change:
    """Consent and the phone on the conversation's most recent case still being handled; the caller commits."""
    cases = _cases(session, channel, sender_id)
    if not cases:
        return Change(NO_CASE)
    case = next((c for c in cases if c.status != "closed"), None)
    if case is None:
        return Change(CLOSED, (cases[0].number,))
    number = case.number
    if case.pii_consent and case.contact_phone and (not phone or phone == case.contact_phone):
        return Change(ALREADY, (number,), case.contact_phone[-4:])
    if not phone:
        return Change(NEED_PHONE, (number,))
    had_consent = bool(case.pii_consent)
    case = privacy.grant_consent(session, case, actor, phone=phone, now=now)
    return Change(PHONE_CHANGED if had_consent else GRANTED, (number,), case.contact_phone[-4:])


def withdraw(session: Session, channel: str, sender_id: str, *, actor: ActorLike = "bot",
             now: Optional[dt.datetime] = None) -> Change:
    """Every case of the conversation that keeps personal data loses it; the caller commits."""
    erased = [case.number for case in _cases(session, channel, sender_id)
              if case.pii_consent and privacy.withdraw_consent(session, case, actor, now=now)]
    if not erased:
        return Change(NOTHING_KEPT)
    return Change(WITHDRAWN, tuple(reversed(erased)))
