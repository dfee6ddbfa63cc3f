"""Legal questions: a cited answer when the match is sure, a confirmation when it is plausible, else 12348.

Never a guessed answer: when the retriever is unsure the bot says so, and
the question is recorded as a consultation transferred to 12348, where a
lawyer answers.
"""
from __future__ import annotations

import logging
import threading
from typing import List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from hotline.cases.service import Intake, open_case, transfer
from hotline.legal import format_answer, format_confirmation

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_retriever = None

YES_NO = [{"title": "是的", "payload": "/affirm"}, {"title": "都不是", "payload": "/deny"}]


def retriever():
    """Built once per process (a few seconds); actions/__main__.py starts it before the first question."""
    global _retriever
    with _lock:
        if _retriever is None:
            from hotline.legal import LegalRetriever

            _retriever = LegalRetriever.from_faq()
    return _retriever


_implied = None


def implied_rule(text: str) -> Optional[str]:
    """The legal rule a report implies, as one sentence with its basis, or None (see hotline/legal/implied.yml)."""
    global _implied
    from hotline.legal import load_faq
    from hotline.legal.implied import implied_entry, implied_text, load_rules

    try:
        with _lock:
            if _implied is None:
                entries = load_faq()
                _implied = (entries, load_rules(entries))
        entry = implied_entry(text, *_implied)
    except Exception:  # noqa: BLE001 - a rule is a help; the report goes on without it
        logger.exception("implied legal rules unavailable")
        return None
    return implied_text(entry) if entry is not None else None


def warm_in_background() -> threading.Thread:
    thread = threading.Thread(target=retriever, name="legal-retriever", daemon=True)
    thread.start()
    return thread


def answer_text(entry, question: str) -> str:
    """The entry's answer for this question, closed by the line its review state calls for."""
    return format_answer(entry, question, reviewed=_reviewed(entry))


def _reviewed(entry) -> Optional[bool]:
    """Whether a lawyer approved this version of the entry; None (the file's flag) when that cannot be read."""
    from hotline.legal.review import is_reviewed

    try:
        with common.sessions().begin() as session:
            return is_reviewed(session, entry)
    except Exception:  # noqa: BLE001 - without the review state the answer says it is unreviewed
        logger.exception("review state of %s unreadable; answering as unreviewed", entry.id)
        return False


def _entry(entry_id: Optional[str]):
    return next((e for e in retriever().entries if e.id == entry_id), None) if entry_id else None


def _reset() -> List[EventType]:
    return [SlotSet("legal_candidate", None), SlotSet("legal_question", None), SlotSet("legal_alternatives", None)]


def _picked_alternative(tracker: Tracker, text: str):
    """The alternative the citizen picked (its button sends its title), if the last turn offered any."""
    for entry_id in tracker.get_slot("legal_alternatives") or []:
        entry = _entry(entry_id)
        if entry is not None and text.strip() == entry.title:
            return entry
    return None


def refer_to_lawyer(dispatcher: CollectingDispatcher, tracker: Tracker, question: str, *,
                    lead: Optional[str]) -> List[EventType]:
    """Record the question as a consultation transferred to 12348, and say so (`lead`: a response said first)."""
    from hotline.conversations import wording

    lead_text = wording.text(lead) if lead else ""
    # The message that asked the question (a "不是" may have come since), for its triage.
    event = next((e for e in reversed(common.user_events(tracker)) if e.get("text") == question),
                 None) or common.latest_said(tracker)
    triage = common.triage_of(event)
    triage["intent"] = {"name": "ask_legal", "confidence": (triage.get("intent") or {}).get("confidence")}
    triage["route"] = {"to": "12348", "reason": "机器人没有把握回答的法律咨询，转12348律师解答。"}
    channel, sender = common.conversation(tracker)
    try:
        with common.sessions().begin() as session:
            case, created = open_case(
                session,
                "bot",
                Intake(
                    text=question, triage=triage, key=f"{common.intake_key(tracker, event)}:legal", channel=channel,
                    sender_id=sender, transcript=common.transcript(tracker),
                ),
                deadline_hours=common.settings().deadline_hours,
            )
            if created:
                transfer(session, case, "bot", "12348", reason=f"法律咨询：{question[:200]}")
            number = case.number
    except Exception:  # noqa: BLE001 - the citizen still gets the way to a lawyer
        logger.exception("consultation not recorded for conversation %s", tracker.sender_id)
        dispatcher.utter_message(response="utter_legal_refer_failed", lead=lead_text)
        return _reset()
    dispatcher.utter_message(response="utter_legal_referred", lead=lead_text, number=number)
    return _reset() + [SlotSet("case_number", number)]


class ActionAnswerLegal(Action):
    def name(self) -> Text:
        return "action_answer_legal"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        event = common.latest_said(tracker)
        question = (event or {}).get("text") or ""
        picked = _picked_alternative(tracker, question)
        if picked is not None:
            dispatcher.utter_message(text=answer_text(picked, tracker.get_slot("legal_question") or question))
            return _reset()
        dispute = (common.triage_of(event).get("dispute_type") or {}).get("code")
        decision = retriever().decide(question, dispute_type=dispute)
        if decision.kind == "answer":
            dispatcher.utter_message(text=answer_text(decision.entry, question))
            return _reset()
        if decision.kind == "confirm":
            # An alternative's button sends its title, which comes back here as a new legal question.
            buttons = YES_NO[:1] + [{"title": e.title, "payload": e.title} for e in decision.alternatives] + YES_NO[1:]
            dispatcher.utter_message(text=format_confirmation(decision), buttons=buttons)
            return [SlotSet("legal_candidate", decision.entry.id), SlotSet("legal_question", question),
                    SlotSet("legal_alternatives", [e.id for e in decision.alternatives])]
        return refer_to_lawyer(dispatcher, tracker, question, lead="utter_legal_lead_unsure")


class ActionAnswerConfirmed(Action):
    def name(self) -> Text:
        return "action_answer_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        entry = _entry(tracker.get_slot("legal_candidate"))
        if entry is None:
            return refer_to_lawyer(dispatcher, tracker, tracker.get_slot("legal_question") or "", lead=None)
        dispatcher.utter_message(text=answer_text(entry, tracker.get_slot("legal_question") or ""))
        return _reset()


class ActionLegalRefer(Action):
    """The citizen said the candidate is not what they asked: no guessing, a lawyer answers."""

    def name(self) -> Text:
        return "action_legal_refer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        question = tracker.get_slot("legal_question") or ((common.latest_said(tracker) or {}).get("text") or "")
        return refer_to_lawyer(dispatcher, tracker, question, lead="utter_legal_lead_declined")


class ActionPublicService(Action):
    def name(self) -> Text:
        return "action_public_service"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        route = common.triage_of(common.latest_said(tracker)).get("route") or {}
        reason = route.get("reason") or ""
        dispatcher.utter_message(response="utter_public_service",
                                 reason=f"{reason}。" if reason and not reason.endswith("。") else reason)
        return []
