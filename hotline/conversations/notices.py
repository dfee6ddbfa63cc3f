"""The citizen is told, on their own channel, when their case moves: registered, assigned, resolved, asked to rate.

This module listens to the case service's domain events (hotline.cases.events)
and queues each notice through the outbox in the transaction of the change,
so it is sent once the change is kept, exactly once, with retries and a
person told when it finally fails (hotline.conversations.outbox).

Where a notice goes (`address`):

- a case that came from a conversation (web chat, WeChat, SMS): that
  conversation;
- any other case (a phone call to the voice line, a seat's case, a case
  another system opened): an SMS to the mainland mobile number the citizen
  consented to leave, when this installation can send SMS;
- otherwise nowhere: a case with no conversation and no consented mobile
  (an operator's case for a caller who did not agree to leave a number, or
  a landline) gets no notice; the mediator phones the number if there is one.

What is told, and when (`on_case_event`):

- registered (open): when a seat, another system or the voice line opened the
  case. When the bot opened it in a conversation turn (a report, a hand-off,
  a question for a lawyer) the turn's own reply gave the number and what
  happens next: that reply *is* the registered notice, and no second one is
  sent. The same holds for everything the bot does in a turn (the 12348
  transfer of a legal question).
- assigned: handed (assign, transfer) to an organisation other than the one
  the case was with, escalated one tier up, or transferred out (110, 12348,
  a court ...); a mediator claimed it, unless a person is already, or is
  about to be, talking to the citizen in the conversation (an open hand-off):
  then that person's own words tell them.
- resolved: on a conversation the bot asks for a rating (`handoff.after_resolve`,
  the Rasa action names the result); elsewhere an SMS says the result.

Each notice names the case number, who handles it by its Chinese name, and
what happens next, in the domain's words (bot/domain/notices.yml); never a
code. A row records the id of the event it tells of (outbox.CASE_EVENT) and
is written only when no row for that event exists: once per event.
"""
from __future__ import annotations

import logging
import re
from typing import Callable, Dict, Optional, Tuple

from sqlalchemy.orm import Session

from hotline.cases import events
from hotline.cases.lifecycle import TRANSFER_DESTINATIONS
from hotline.cases.models import Case, CaseEvent, Organisation
from hotline.cases.names import handled_by
from hotline.conversations import handoff as handoffs
from hotline.conversations import outbox, wording
from hotline.conversations.status import result_text
from hotline.db import settings_of
from hotline.timeutil import format_deadline

logger = logging.getLogger(__name__)

# What the bot does in a conversation turn it says in that turn.
BOT = "bot"
# A mainland mobile number, with or without +86: the only numbers an SMS notice goes to.
_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")


def sms_number(phone: Optional[str]) -> Optional[str]:
    """A mainland mobile number in E.164 (+8613912345678), or None (a landline, a foreign or no number)."""
    found = _MOBILE.match(re.sub(r"[\s-]", "", phone or ""))
    return "+86" + found.group(1) if found else None


def sms_ready(session: Session) -> bool:
    """Whether this installation can send SMS (Twilio's settings are there)."""
    from integrations import missing_settings

    return not missing_settings(settings_of(session))["twilio_sms"]


def address(session: Session, case: Case) -> Optional[Tuple[str, str]]:
    """(channel, recipient) the case's notices go to, or None when the citizen cannot be reached in writing."""
    if case.sender_id and case.channel in handoffs.CHAT_CHANNELS:
        return case.channel, case.sender_id
    if not case.pii_consent:
        return None
    mobile = sms_number(case.contact_phone) or (sms_number(case.sender_id) if case.channel == "voice" else None)
    if mobile is None or not sms_ready(session):
        return None
    return "sms", mobile


def _next(case: Case) -> str:
    """Who will contact the citizen, and how."""
    if case.pii_consent and case.contact_phone:
        return wording.text("utter_notice_next_phone", tail=case.contact_phone[-4:])
    return wording.text("utter_notice_next_here")


def _handler(session: Session, case: Case) -> Optional[str]:
    organisation = session.get(Organisation, case.organisation_id) if case.organisation_id else None
    return handled_by(organisation.name if organisation else None, case.tier, case.route_to)


def _registered(session: Session, case: Case, event: CaseEvent) -> Optional[str]:
    handler = _handler(session, case)
    params = dict(number=case.number, deadline=format_deadline(case.deadline_at), next=_next(case))
    if handler:
        return wording.text("utter_notice_registered", handler=handler, **params)
    return wording.text("utter_notice_registered_unplaced", **params)


def _moved(session: Session, case: Case, event: CaseEvent) -> Optional[str]:
    """assign, transfer, escalate: told when the case went somewhere else than it was."""
    detail = event.detail or {}
    if event.to_status == "transferred":
        destination = TRANSFER_DESTINATIONS.get(detail.get("to") or case.transferred_to)
        return destination and wording.text("utter_notice_transferred", number=case.number, destination=destination)
    if (detail.get("organisation"), detail.get("tier")) == (detail.get("from_organisation"), detail.get("from_tier")):
        return None  # the same body as before (a case given back to its own queue): nothing new for the citizen
    handler = _handler(session, case)
    if handler is None:
        return None
    name = "utter_notice_escalated" if event.action == "escalate" else "utter_notice_assigned"
    return wording.text(name, number=case.number, handler=handler, deadline=format_deadline(case.deadline_at),
                        next=_next(case))


def _claimed(session: Session, case: Case, event: CaseEvent) -> Optional[str]:
    if handoffs.open_for_case(session, case) is not None:
        return None  # a person is talking, or about to talk, to the citizen: their words say it
    handler = _handler(session, case)
    if handler:
        return wording.text("utter_notice_claimed", number=case.number, handler=handler, next=_next(case))
    return wording.text("utter_notice_claimed_unplaced", number=case.number, next=_next(case))


def _resolved(session: Session, case: Case, event: CaseEvent) -> Optional[str]:
    if case.sender_id and case.channel in handoffs.CHAT_CHANNELS:
        # The bot, resumed on the citizen's conversation, says the result and asks for a rating.
        handoffs.after_resolve(session, case, event.actor, now=event.at, case_event=event.id)
        return None
    return wording.text("utter_notice_resolved", number=case.number,
                        result=result_text(case.outcome, case.next_path))


NOTICES: Dict[str, Callable[[Session, Case, CaseEvent], Optional[str]]] = {
    "open": _registered,
    "assign": _moved,
    "transfer": _moved,
    "escalate": _moved,
    "claim": _claimed,
    "resolve": _resolved,
}


def on_case_event(session: Session, case: Case, event: CaseEvent) -> None:
    """The listener: queue the notice this event calls for, once."""
    compose = NOTICES.get(event.action)
    if compose is None or event.actor == BOT or case.number is None:
        return
    where = address(session, case)
    if where is None or outbox.noticed(session, case.id, event.id):
        return
    text = compose(session, case, event)
    if not text:
        return
    channel, recipient = where
    outbox.to_citizen(session, channel=channel, recipient=recipient, text=text, author="bot", case=case,
                      case_event=event.id)
    logger.info("notice of %s for case %s queued on %s", event.action, case.number, channel)


events.subscribe(on_case_event)

__all__ = ["NOTICES", "address", "on_case_event", "sms_number", "sms_ready"]
