"""Reporting a dispute: acknowledge it, fill the form, open the case."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from hotline.cases.lifecycle import WARNING_NAMES
from hotline.cases.service import open_case
from hotline.timeutil import format_deadline
from hotline.triage import extract_entities

logger = logging.getLogger(__name__)


class ActionAcknowledgeDispute(Action):
    def name(self) -> Text:
        return "action_acknowledge_dispute"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        event = common.latest_user_event(tracker)
        triage = common.triage_of(event)
        dispute = triage.get("dispute_type") or {}
        name = dispute.get("name")
        if name and dispute.get("code") != "other":
            kind = name if name.endswith(("纠纷", "争议")) else f"{name}纠纷"
            text = f"明白了，这是一起{kind}。我先帮您登记，好让调解员尽快跟进。"
        else:
            text = "明白了，我先帮您登记这件事，好让调解员尽快跟进。"
        level = triage.get("warning_level")
        if level in ("orange", "red"):
            text += f"您说的情况已标为{WARNING_NAMES[level]}，会优先处理。"
        dispatcher.utter_message(text=text)
        return [
            SlotSet("dispute_type", dispute.get("code")),
            SlotSet("report_text", (event or {}).get("text")),
            SlotSet("report_key", common.intake_key(tracker, event)),
        ]


class ValidateDisputeForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_dispute_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        # Without consent we ask for no personal data at all.
        if tracker.get_slot("pii_consent") is False:
            return [s for s in domain_slots if s != "contact_phone"]
        return domain_slots

    def validate_incident_location(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        text = str(value or "").strip()
        places = [e["text"] for e in extract_entities(text) if e["entity"] == "location"]
        if places:
            return {"incident_location": "".join(dict.fromkeys(places))}
        if 2 <= len(text) <= 120:
            return {"incident_location": text}
        dispatcher.utter_message(response="utter_invalid_location")
        return {"incident_location": None}

    def validate_contact_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        phones = [e["value"] for e in extract_entities(str(value or "")) if e["entity"] == "phone"]
        if phones:
            return {"contact_phone": str(phones[0])}
        dispatcher.utter_message(response="utter_invalid_phone")
        return {"contact_phone": None}


class ActionOpenCase(Action):
    def name(self) -> Text:
        return "action_open_case"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        key = tracker.get_slot("report_key") or common.intake_key(tracker, common.latest_user_event(tracker))
        report_event = common.find_user_event(tracker, key)
        triage = common.triage_of(report_event)
        consent = tracker.get_slot("pii_consent") is True
        text = tracker.get_slot("report_text") or (report_event or {}).get("text") or ""
        try:
            with common.sessions().begin() as session:
                case, created = open_case(
                    session,
                    "bot",
                    text=text,
                    triage=triage,
                    intake_key=key,
                    channel=common.channel_of(tracker),
                    sender_id=tracker.sender_id,
                    location=tracker.get_slot("incident_location"),
                    contact_phone=tracker.get_slot("contact_phone"),
                    pii_consent=consent,
                    transcript=common.transcript(tracker),
                    deadline_hours=common.settings().deadline_hours,
                )
                number, deadline = case.number, case.deadline_at
        except Exception:  # noqa: BLE001 - the citizen must get an answer whatever failed
            logger.exception("opening a case failed for conversation %s (report key %s)", tracker.sender_id, key)
            dispatcher.utter_message(
                text="抱歉，系统暂时无法登记案件，您说的情况我们已经记下。请稍后再试，或直接拨打12345。"
            )
            return []
        if not created:
            logger.info("case %s already open for report key %s", number, key)
        local = format_deadline(deadline)
        lines = [f"已为您登记，案件编号：{number}。", f"调解员会在{local}前跟进处理。"]
        if consent:
            lines.append("查询进度时，请提供案件编号和联系电话后四位。")
        else:
            lines.append("您没有同意留下联系方式，我们不会保存您的个人信息；可以凭案件编号查询进度。")
        dispatcher.utter_message(text="".join(lines))
        return [
            SlotSet("case_number", number),
            SlotSet("incident_location", None),
            SlotSet("pii_consent", None),
            SlotSet("contact_phone", None),
            SlotSet("report_key", None),
        ]

