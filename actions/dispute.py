"""Reporting a dispute: acknowledge it, ask what this kind of dispute needs, read it back, open the case."""
from __future__ import annotations

import logging
from typing import Any, Callable, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from actions.forms import StoppableFormValidation
from actions.handoff import hand_off
from hotline.cases.lifecycle import WARNING_NAMES
from hotline.cases.service import Intake, open_case, record_event
from hotline.conversations import intake, wording
from hotline.timeutil import format_deadline
from hotline.triage import extract_entities, with_dispute_type
from hotline.triage.taxonomy import is_urgent

logger = logging.getLogger(__name__)

FORM_SLOTS = (intake.DETAILS, intake.LOCATION, intake.PARTY, intake.PEOPLE, intake.CONSENT, intake.PHONE,
              intake.CONFIRM, intake.CANCEL, intake.CANCEL_PENDING, intake.CONSENT_LOG, intake.CORRECTING)
# Free-text answers: any words fill them, so a misread "stop" is never taken as one of these.
_STRUCTURED_READERS = {intake.PEOPLE: intake.read_people, intake.PHONE: intake.read_phone}
# What the bot says when it cannot read an answer (named in full, so the domain test finds every name).
INVALID_RESPONSES = {
    intake.DETAILS: "utter_invalid_incident_details", intake.LOCATION: "utter_invalid_incident_location",
    intake.PARTY: "utter_invalid_other_party", intake.PEOPLE: "utter_invalid_people_count",
    intake.PHONE: "utter_invalid_contact_phone",
}


def _report(tracker: Tracker) -> Dict[str, Any]:
    """The message that started this report (the key is kept in a slot) and its triage record."""
    event = common.find_user_event(tracker, tracker.get_slot("report_key"))
    return {"event": event, "triage": common.triage_of(event),
            "text": tracker.get_slot("report_text") or (event or {}).get("text") or ""}


def _is_urgent(triage: Dict[str, Any]) -> bool:
    return is_urgent(triage.get("warning_level"))


class ActionAcknowledgeDispute(Action):
    def name(self) -> Text:
        return "action_acknowledge_dispute"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        event = common.latest_said(tracker)
        triage = common.triage_of(event)
        dispute = triage.get("dispute_type") or {}
        name = dispute.get("name")
        params = {"rule": "", "urgent": ""}
        level = triage.get("warning_level")
        if is_urgent(level):
            params["urgent"] = wording.text("utter_report_urgent", level=WARNING_NAMES[level])
        else:
            # A report with a clear legal rule (no written contract -> double wages): say it now, then register.
            from actions.legal import implied_rule

            rule = implied_rule((event or {}).get("text") or "")
            if rule:
                params["rule"] = rule + "\n"
        if name and dispute.get("code") != "other":
            kind = name if name.endswith(("纠纷", "争议")) else f"{name}纠纷"
            common.say_with_text_of_people(dispatcher, "utter_acknowledge_dispute", kind=kind, **params)
        else:
            common.say_with_text_of_people(dispatcher, "utter_acknowledge_report", **params)
        # A new report starts clean: nothing from an earlier report in this conversation carries over.
        events: List[EventType] = [SlotSet(slot, None) for slot in FORM_SLOTS]
        events += [
            SlotSet("dispute_type", dispute.get("code")),
            SlotSet("report_text", (event or {}).get("text")),
            SlotSet("report_key", common.intake_key(tracker, event)),
        ]
        # What the first message already says is not asked again.
        triage_entities = triage.get("entities") or []
        places = [e["text"] for e in triage_entities if e.get("entity") == "location"]
        if places:
            events.append(SlotSet(intake.LOCATION, "".join(dict.fromkeys(places))))
        people = intake.people_in(triage)
        if people is not None:
            events.append(SlotSet(intake.PEOPLE, people))
        return events


class ValidateDisputeForm(StoppableFormValidation):
    stop_action = "action_stop_report"

    def name(self) -> Text:
        return "validate_dispute_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        report = _report(tracker)
        urgent = _is_urgent(report["triage"])
        fields = intake.fields_needed(tracker.get_slot("dispute_type"), report["text"], report["triage"],
                                      urgent=urgent)
        # An item named in the read-back without a new value is asked again, even one the form skipped.
        correcting = tracker.get_slot(intake.CORRECTING)
        if correcting in FORM_SLOTS and correcting not in fields:
            fields.insert(0, correcting)
        if tracker.get_slot(intake.CANCEL_PENDING):
            fields.insert(0, intake.CANCEL)
        fields.append(intake.CONSENT)
        # Without consent we ask for no personal data at all.
        if tracker.get_slot(intake.CONSENT) is not False:
            fields.append(intake.PHONE)
        if not urgent:
            fields.append(intake.CONFIRM)
        return fields

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """Stopping is confirmed first and never loses what was said; consent can change at any turn."""
        text = (tracker.latest_message.get("text") or "").strip()
        requested = tracker.get_slot("requested_slot")
        if requested == intake.CANCEL:
            return await self._answer_to_cancel(dispatcher, tracker, domain, text)
        if common.wants_to_stop(tracker):
            reader = _STRUCTURED_READERS.get(requested)
            value = reader(text) if reader is not None and not common.STOP_WORDS.match(text) else None
            if value:
                # "刚才说了啊，二十多个人" read as stop: it answers the question, it does not cancel.
                return await self._continue(dispatcher, tracker, domain, [SlotSet(requested, value)])
            # Whatever the form took from these words for the open question is dropped: they were no answer.
            dropped = [SlotSet(requested, None)] if requested else []
            return await self._continue(dispatcher, tracker, domain, dropped + [SlotSet(intake.CANCEL_PENDING, True)])
        return await super().run(dispatcher, tracker, domain)

    async def _continue(self, dispatcher, tracker, domain, events: List[EventType]) -> List[EventType]:
        """These events, then the form's own next question."""
        tracker.add_slots(events)
        next_slot = await self.next_requested_slot(dispatcher, tracker, domain)
        return events + ([next_slot] if next_slot else [])

    async def _answer_to_cancel(self, dispatcher, tracker, domain, text: str) -> List[EventType]:
        if common.STOP_WORDS.match(text) or intake.confirms_cancel(text, common.intent_of(tracker)):
            return [SlotSet(intake.CANCEL, True), SlotSet("requested_slot", None), ActiveLoop(None),
                    FollowupAction(self.stop_action)]
        # No, "继续", or anything else: the report goes on; nothing is ever dropped on a doubtful answer.
        dispatcher.utter_message(response="utter_report_resumed")
        return await self._continue(dispatcher, tracker, domain,
                                    [SlotSet(intake.CANCEL_PENDING, None), SlotSet(intake.CANCEL, None)])

    def _consent_turn(self, value: Any, dispatcher: CollectingDispatcher,
                      tracker: Tracker) -> Optional[Dict[Text, Any]]:
        """A grant or withdrawal of consent in an answer to another question: taken, and the question kept."""
        text = str(value or "")
        change = intake.consent_change(text)
        if change is None:
            return None
        result: Dict[Text, Any] = {}
        if change != tracker.get_slot(intake.CONSENT):
            result[intake.CONSENT_LOG] = intake.log_consent(tracker.get_slot(intake.CONSENT_LOG), change)
        result[intake.CONSENT] = change
        if change:
            phone = intake.read_phone(text)
            if phone:
                result[intake.PHONE] = phone
            dispatcher.utter_message(response="utter_consent_given" if phone else "utter_consent_given_ask_phone")
        else:
            result[intake.PHONE] = None
            dispatcher.utter_message(response="utter_consent_withdrawn")
        return result

    def _invalid(self, dispatcher: CollectingDispatcher, slot: str) -> Dict[Text, Any]:
        dispatcher.utter_message(response=INVALID_RESPONSES[slot])
        return {slot: None}

    def _read(self, slot: str, reader: Callable[[str], Any], value: Any, dispatcher: CollectingDispatcher,
              tracker: Tracker) -> Dict[Text, Any]:
        """The slot read from the answer, or the question's hint and the question again."""
        consent = self._consent_turn(value, dispatcher, tracker)
        if consent is not None and slot != intake.PHONE:
            return {**consent, slot: None}
        read = reader(str(value or ""))
        return {slot: read, intake.CORRECTING: None} if read else self._invalid(dispatcher, slot)

    def validate_incident_details(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Dict[Text, Any]:
        consent = self._consent_turn(value, dispatcher, tracker)
        if consent is not None:
            return {**consent, intake.DETAILS: None}
        details = intake.read_details(str(value or ""))
        if details is None:
            return self._invalid(dispatcher, intake.DETAILS)
        result: Dict[Text, Any] = {intake.DETAILS: details, intake.CORRECTING: None}
        # The dispute type may only now be clear ("我有个纠纷" first, the story second).
        dispute = (common.triage_of(common.latest_said(tracker)).get("dispute_type") or {}).get("code")
        if dispute and not tracker.get_slot("dispute_type"):
            result["dispute_type"] = dispute
        return result

    def validate_incident_location(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Dict[Text, Any]:
        return self._read(intake.LOCATION, intake.read_location, value, dispatcher, tracker)

    def validate_other_party(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> Dict[Text, Any]:
        return self._read(intake.PARTY, intake.read_party, value, dispatcher, tracker)

    def validate_people_count(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> Dict[Text, Any]:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            return {intake.PEOPLE: int(value), intake.CORRECTING: None}
        if intake.read_people(str(value or "")) is None and intake.is_family(str(value or "")):
            dispatcher.utter_message(response="utter_ask_household_size")
            return {intake.PEOPLE: None}
        return self._read(intake.PEOPLE, intake.read_people, value, dispatcher, tracker)

    def validate_pii_consent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> Dict[Text, Any]:
        if isinstance(value, bool):
            answer: Optional[bool] = value
        else:
            answer = intake.read_yes_no(str(value or ""), common.intent_of(tracker))
        if answer is None:
            dispatcher.utter_message(response="utter_invalid_pii_consent")
            return {intake.CONSENT: None}
        log = intake.log_consent(tracker.get_slot(intake.CONSENT_LOG), answer)
        if answer is False:
            dispatcher.utter_message(response="utter_consent_refused")
            return {intake.CONSENT: False, intake.PHONE: None, intake.CONSENT_LOG: log}
        result: Dict[Text, Any] = {intake.CONSENT: True, intake.CONSENT_LOG: log}
        phone = intake.read_phone(str(value or "")) if not isinstance(value, bool) else None
        if phone:
            result[intake.PHONE] = phone   # "同意，13912345678": the number is not asked again
        return result

    def validate_contact_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> Dict[Text, Any]:
        return self._read(intake.PHONE, intake.read_phone, value, dispatcher, tracker)

    def validate_summary_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Dict[Text, Any]:
        text = str(value or "")
        consent = self._consent_turn(text, dispatcher, tracker)
        if consent is not None:
            return {**consent, intake.CONFIRM: None}
        field = intake.field_to_correct(text)
        if field is not None:
            return self._correct(field, text, dispatcher, tracker)
        answer = intake.read_yes_no(text, common.intent_of(tracker))
        if answer is True:
            return {intake.CONFIRM: True}
        if answer is False:
            dispatcher.utter_message(response="utter_ask_correction")
        # Anything else: the summary is read back again by action_ask_summary_confirmed.
        return {intake.CONFIRM: None}

    def _correct(self, field: str, text: str, dispatcher: CollectingDispatcher,
                 tracker: Tracker) -> Dict[Text, Any]:
        """"地点不对" asks for the item again; "经过改成：……" takes the new value at once. Every item can be named."""
        if field == intake.PHONE and tracker.get_slot(intake.CONSENT) is not True:
            dispatcher.utter_message(response="utter_phone_needs_consent")
            return {intake.CONFIRM: None}
        readers = {intake.LOCATION: intake.read_location, intake.PHONE: intake.read_phone,
                   intake.PEOPLE: intake.read_people, intake.PARTY: intake.read_party,
                   intake.DETAILS: intake.read_details, intake.TYPE: intake.read_type}
        new_text = intake.correction_value(field, text)
        new_value = readers[field](new_text) if new_text else None
        if new_value:
            return {field: new_value, intake.CONFIRM: None, intake.CORRECTING: None}
        if new_text and field == intake.TYPE:
            dispatcher.utter_message(response="utter_invalid_dispute_type")
            return {intake.CONFIRM: None}
        if field == intake.TYPE:
            dispatcher.utter_message(response="utter_ask_dispute_type")
            return {intake.CONFIRM: None, intake.CORRECTING: None}
        # Named without a new value: the form asks for it again.
        return {field: None, intake.CONFIRM: None, intake.CORRECTING: field}


class ActionAskSummaryConfirmed(Action):
    """The read-back before the case is opened: the form's only question built from what was said."""

    def name(self) -> Text:
        return f"action_ask_{intake.CONFIRM}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        values = {slot: tracker.get_slot(slot) for slot in FORM_SLOTS}
        values["report_text"] = tracker.get_slot("report_text")
        items = intake.summary(values, tracker.get_slot("dispute_type"), consent=tracker.get_slot(intake.CONSENT))
        common.say_with_text_of_people(dispatcher, "utter_read_back", tracker, items=items)
        return []


def _reset() -> List[EventType]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet("report_key", None)]


class ActionOpenCase(Action):
    def name(self) -> Text:
        return "action_open_case"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        key = tracker.get_slot("report_key") or common.intake_key(tracker, common.latest_said(tracker))
        report = _report(tracker)
        # The type learnt later in the form, or corrected by the citizen in the read-back, wins.
        triage = with_dispute_type(report["triage"], tracker.get_slot("dispute_type"))
        consent = tracker.get_slot(intake.CONSENT) is True
        text = report["text"]
        details = tracker.get_slot(intake.DETAILS)
        if details and details not in text:
            text = f"{text}\n{details}".strip()
        channel, sender = common.conversation(tracker)
        people = tracker.get_slot(intake.PEOPLE)
        party = tracker.get_slot(intake.PARTY)
        try:
            with common.sessions().begin() as session:
                case, created = open_case(
                    session,
                    "bot",
                    Intake(
                        text=text, triage=triage, key=key, channel=channel, sender_id=sender,
                        location=tracker.get_slot(intake.LOCATION), contact_phone=tracker.get_slot(intake.PHONE),
                        pii_consent=consent, transcript=common.transcript(tracker),
                        respondent=party if party and party != intake.UNKNOWN else None,
                        people_count=int(people) if isinstance(people, (int, float)) else None,
                    ),
                    deadline_hours=common.settings().deadline_hours,
                )
                number, deadline, level = case.number, case.deadline_at, case.warning_level
                if created:
                    for change in tracker.get_slot(intake.CONSENT_LOG) or []:
                        record_event(session, case, "bot", "consent",
                                     note="同意记录联系电话" if change.get("consent") else "不同意（或撤回同意）记录个人信息",
                                     detail={"consent": bool(change.get("consent")), "at": change.get("at")})
        except Exception:  # noqa: BLE001 - the citizen must get an answer whatever failed
            logger.exception("opening a case failed for conversation %s (report key %s)", tracker.sender_id, key)
            dispatcher.utter_message(response="utter_case_open_failed")
            return []
        if not created:
            logger.info("case %s already open for report key %s", number, key)
        dispatcher.utter_message(response="utter_case_opened" if consent else "utter_case_opened_no_consent",
                                 number=number, deadline=format_deadline(deadline))
        if not consent:
            _advise(dispatcher, text, tracker.get_slot("dispute_type"))
        events = _reset() + [SlotSet("case_number", number)]
        if is_urgent(level):
            # Danger of escalation: a person takes over now, not within days.
            events += hand_off(dispatcher, tracker, number, reason="warning")
        return events


def _advise(dispatcher: CollectingDispatcher, text: str, dispute_type: Optional[str]) -> None:
    """Without a phone nobody can call the citizen back, so they get what the law says now, when it is sure."""
    from actions.legal import retriever
    from hotline.legal import format_answer

    # Phone and ID numbers say nothing about the law and only blur the match.
    for entity in sorted(extract_entities(text), key=lambda e: -e["start"]):
        if entity["entity"] in ("phone", "id_number"):
            text = text[:entity["start"]] + text[entity["end"]:]
    try:
        decision = retriever().decide(text, dispute_type=dispute_type)
    except Exception:  # noqa: BLE001 - advice is a help, never a reason to fail the report
        logger.exception("no advice for a report without consent")
        return
    if decision.kind == "answer":
        common.say_with_text_of_people(dispatcher, "utter_legal_advice", answer=format_answer(decision.entry))


class ActionStopReport(Action):
    def name(self) -> Text:
        return "action_stop_report"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(response="utter_report_stopped")
        return _reset() + [SlotSet("dispute_type", None), SlotSet("report_text", None)]
