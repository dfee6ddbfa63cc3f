"""Handing the conversation to a person and back: request, two failed understandings, time-outs, call-backs."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import (
    ActionExecuted,
    ActiveLoop,
    ConversationPaused,
    ConversationResumed,
    EventType,
    SlotSet,
    UserUtteranceReverted,
)
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy import select

from actions import common
from actions.forms import StoppableFormValidation
from hotline.cases.models import Case, Handoff
from hotline.cases.service import add_message, get_case, open_case
from hotline.conversations import handoff, intake, status
from hotline.triage.routing import route as route_for

logger = logging.getLogger(__name__)

# What the bot offers when it did not understand: the intents a citizen most often means, in their words.
INTENT_CHOICES = {
    "report_dispute": "登记一件纠纷，请调解员帮忙",
    "ask_legal": "咨询一个法律问题",
    "public_service": "反映路灯、垃圾、停水这类公共服务问题",
    "check_status": "查询已登记案件的进度",
    "request_human": "转人工服务",
    "emergency": "有危险，需要报警",
}
DECLINED = "declined"


def _minutes() -> int:
    return max(1, round(common.settings().handoff_wait_seconds / 60))


def _case_for_handoff(session, tracker: Tracker, number: Optional[str], reason: str) -> Case:
    """The case the hand-off belongs to: the conversation's own case, or a new one for this contact."""
    channel, sender = common.conversation(tracker)
    if number:
        try:
            case = get_case(session, number)
            if case.channel == channel and case.sender_id == sender:
                return case
        except Exception:  # noqa: BLE001 - an unknown number just means a new contact record
            pass
    event = common.latest_said(tracker)
    triage = common.triage_of(event)
    if not triage.get("intent") or triage["intent"].get("name") in (None, "nlu_fallback"):
        triage["intent"] = {"name": "request_human", "confidence": None}
        triage["route"] = route_for("request_human", triage.get("dispute_type"), triage.get("warning_level"),
                                    triage.get("risk_signals") or [], triage.get("line"))
    said = [text for who, text in common.transcript(tracker) if who == "citizen"]
    case, _ = open_case(
        session, "bot", text="\n".join(said[-5:]) or "（群众要求转人工）", triage=triage,
        intake_key=f"{common.intake_key(tracker, event)}:handoff", channel=channel, sender_id=sender,
        transcript=common.transcript(tracker), deadline_hours=common.settings().deadline_hours)
    return case


def hand_off(dispatcher: CollectingDispatcher, tracker: Tracker, number: Optional[str], *,
             reason: str) -> List[EventType]:
    """Queue the conversation for a person, tell the citizen what happens next, and pause the bot."""
    try:
        with common.sessions().begin() as session:
            case = _case_for_handoff(session, tracker, number, reason)
            handoff.request(session, case, reason=reason)
            number = case.number
            lead = {"fallback": "抱歉，我没能理解您的意思，", "warning": "这件事需要工作人员尽快介入，"}.get(reason, "好的，")
            text = (f"{lead}正在为您转接人工服务（案件编号{number}）。调解员接入后会直接在这里回复您，"
                    f"您现在发的消息他们都能看到。一般{_minutes()}分钟内会有人接入；如果没人接入，我会告诉您，"
                    "也可以安排工作人员给您回电。如遇危险请立即拨打110。")
            add_message(session, case, "bot", text)
    except Exception:  # noqa: BLE001 - the citizen must not be left waiting for nobody
        logger.exception("hand-off (%s) failed for conversation %s", reason, tracker.sender_id)
        dispatcher.utter_message(text="抱歉，暂时无法为您转接人工。请拨打12345（纠纷调解、政务服务）或12348（法律咨询），"
                                      "那边有工作人员接听；如遇危险请立即拨打110。")
        return []
    dispatcher.utter_message(text=text)
    return [SlotSet("case_number", number), ConversationPaused()]


class ActionHandoff(Action):
    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        return hand_off(dispatcher, tracker, tracker.get_slot("case_number"), reason="request_human")


def _failed_understandings(tracker: Tracker) -> int:
    """Messages not understood in a row, counting back over the "都不是" answers between them."""
    failures = 0
    for event in reversed(common.user_events(tracker)):
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent == "nlu_fallback":
            failures += 1
        elif intent != "out_of_scope":
            break
    return failures


MIN_CHOICE_CONFIDENCE = 0.1


class ActionDefaultAskAffirmation(Action):
    """First stage of the two-stage fallback: offer what the citizen most likely meant."""

    def name(self) -> Text:
        return "action_default_ask_affirmation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        if _failed_understandings(tracker) >= 2:
            # The citizen already said "都不是" and the rephrasing was not understood either: a person takes over.
            return [ActiveLoop(None)] + hand_off(dispatcher, tracker, tracker.get_slot("case_number"),
                                                 reason="fallback")
        ranking = tracker.latest_message.get("intent_ranking") or []
        # Offer only what the model finds at least a little likely; the usual needs fill the rest.
        choices = [r["name"] for r in ranking
                   if r.get("name") in INTENT_CHOICES and (r.get("confidence") or 0) >= MIN_CHOICE_CONFIDENCE][:3]
        for default in ("report_dispute", "ask_legal", "request_human"):
            if len(choices) >= 3:
                break
            if default not in choices:
                choices.append(default)
        buttons = [{"title": INTENT_CHOICES[name], "payload": f"/{name}"} for name in choices]
        buttons.append({"title": "都不是", "payload": "/out_of_scope"})
        dispatcher.utter_message(text="抱歉，我没太明白。您是想：", buttons=buttons)
        return []


class ActionDefaultAskRephrase(Action):
    def name(self) -> Text:
        return "action_default_ask_rephrase"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(text="能换个说法再说一次吗？比如直接说发生了什么事、在哪里、和谁；"
                                      "也可以说“转人工”。")
        return []


class ActionDefaultFallback(Action):
    """Second failure of the two-stage fallback: a person takes over."""

    def name(self) -> Text:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        return [UserUtteranceReverted()] + hand_off(dispatcher, tracker, tracker.get_slot("case_number"),
                                                     reason="fallback")


class ActionCoreFallback(Action):
    """The dialogue policies are unsure what to do next: say so and let the citizen steer."""

    def name(self) -> Text:
        return "action_core_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(text="抱歉，我没太听明白。能换个说法，或者说说具体发生了什么事吗？需要人工可以说“转人工”。")
        return [UserUtteranceReverted()]


def _conversation_case(tracker: Tracker, session, statuses=None) -> Optional[Case]:
    """The case of this conversation's most recent hand-off (optionally in the given states)."""
    channel, sender = common.conversation(tracker)
    statement = select(Handoff).where(Handoff.channel == channel, Handoff.sender_id == sender)
    if statuses:
        statement = statement.where(Handoff.status.in_(statuses))
    found = session.execute(statement.order_by(Handoff.id.desc()).limit(1)).unique().scalar_one_or_none()
    return found.case if found is not None else None


def _listening() -> List[EventType]:
    """Run through the API (not predicted), the action must leave the bot listening like a predicted one."""
    return [ActionExecuted("action_listen")]


class ActionHandedBack(Action):
    """Run when a person hands the conversation back: resume, and say where the case stands."""

    def name(self) -> Text:
        return "action_handed_back"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        with common.sessions()() as session:
            case = _conversation_case(tracker, session, statuses=("ended",))
            if case is None or handoff.open_for(session, *common.conversation(tracker)) is not None:
                # A repeated delivery, or a new hand-off already holds the conversation: stay quiet.
                return []
            text = ("调解员已结束人工对话，接下来由我（智能助手）继续为您服务。" + status.describe(case)
                    + "还有什么可以帮您？")
            number = case.number
        dispatcher.utter_message(text=text)
        return [ConversationResumed(), SlotSet("case_number", number)] + _listening()


class ActionOfferCallback(Action):
    """Run when nobody picked a hand-off up in time: resume, apologise, offer a call-back."""

    def name(self) -> Text:
        return "action_offer_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        with common.sessions().begin() as session:
            case = _conversation_case(tracker, session, statuses=("timed_out",))
            if case is None or handoff.open_for(session, *common.conversation(tracker)) is not None:
                return []
            number = case.number
            minutes = _minutes()
            if case.callback_requested_at is not None:
                return []
            if case.contact_phone:
                handoff.request_callback(session, case, phone=None)
                dispatcher.utter_message(text=(
                    f"实在抱歉，{minutes}分钟内没有调解员能接入。已安排工作人员在工作时间给您回电"
                    f"（尾号{case.contact_phone[-4:]}），案件{number}仍在处理队列中，调解员接手后也会在这里回复您。"
                    "您也可以继续问我问题。"))
                return [ConversationResumed(), SlotSet("case_number", number)] + _listening()
        dispatcher.utter_message(text=(
            f"实在抱歉，{minutes}分钟内没有调解员能接入。需要的话我们安排工作人员给您回电：请直接回复您的手机号"
            "（只用于这次回电和处理这件事，结案后保存两年再删除）；不需要回电请回复“不用”。"
            f"案件{number}仍在处理队列中，调解员接手后也会在这里回复您。"))
        return [ConversationResumed(), SlotSet("case_number", number), SlotSet("callback_phone", None),
                ActiveLoop("callback_form"), SlotSet("requested_slot", "callback_phone")] + _listening()


class ValidateCallbackForm(StoppableFormValidation):
    def name(self) -> Text:
        return "validate_callback_form"

    def validate_callback_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> Dict[Text, Any]:
        text = str(value or "")
        phone = intake.read_phone(text)
        if phone:
            return {"callback_phone": phone}
        if intake.read_yes_no(text, common.intent_of(tracker)) is False:
            return {"callback_phone": DECLINED}
        dispatcher.utter_message(text="请回复您的手机号（11位）或带区号的座机号；不需要回电请回复“不用”。")
        return {"callback_phone": None}


class ActionRequestCallback(Action):
    def name(self) -> Text:
        return "action_request_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        phone = tracker.get_slot("callback_phone")
        number = tracker.get_slot("case_number")
        if phone == DECLINED or not phone or not number:
            dispatcher.utter_message(text="好的，不安排回电。调解员接手后会在这里回复您，您也可以凭案件编号查询进度。")
            return [SlotSet("callback_phone", None)]
        try:
            with common.sessions().begin() as session:
                handoff.request_callback(session, get_case(session, number), phone=phone)
        except Exception:  # noqa: BLE001 - tell the citizen honestly
            logger.exception("call-back request for case %s not recorded", number)
            dispatcher.utter_message(text="抱歉，回电登记没有成功。请拨打12345，报案件编号即可。")
            return [SlotSet("callback_phone", None)]
        dispatcher.utter_message(text=f"好的，工作人员会在工作时间打电话到尾号{phone[-4:]}的号码，请保持电话畅通。")
        return [SlotSet("callback_phone", None)]
