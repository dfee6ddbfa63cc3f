"""Legal questions: the bot names where a lawyer answers; it never guesses the law."""
from __future__ import annotations

from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common


class ActionAnswerLegal(Action):
    def name(self) -> Text:
        return "action_answer_legal"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        triage = common.triage_of(common.latest_user_event(tracker))
        dispute = (triage.get("dispute_type") or {}).get("name")
        topic = f"（{dispute}）" if dispute else ""
        dispatcher.utter_message(
            text=(
                f"这是一个法律问题{topic}。为了不给您不准确的答复，建议由律师解答："
                "请拨打12348公共法律服务热线，或到当地公共法律服务中心（站）咨询。"
                "如果您希望调解员帮忙调解，直接说“我要调解”并讲讲经过就可以。"
            )
        )
        return []


class ActionPublicService(Action):
    def name(self) -> Text:
        return "action_public_service"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        route = common.triage_of(common.latest_user_event(tracker)).get("route") or {}
        reason = route.get("reason") or ""
        dispatcher.utter_message(
            text=(
                "这类事情由12345市民服务热线受理。"
                + (f"{reason}。" if reason and not reason.endswith("。") else reason)
                + "请拨打12345说明具体地点，工作人员会派单到相关部门。"
            )
        )
        return []
