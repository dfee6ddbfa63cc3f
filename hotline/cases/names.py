"""Chinese names for the codes people read on pages: routes, channels, intents, signals, entities and actors.

Names that already have a home are taken from it (tiers, committees, 12345
departments, transfer destinations, danger signals); only codes with no
name anywhere else are named here.
"""
from __future__ import annotations

from typing import Mapping, Optional

from hotline.cases.lifecycle import TIER_NAMES, TRANSFER_DESTINATIONS
from hotline.triage.risk import COLLECTIVE, DANGER_NAMES, ESCALATION, MASS_GROUP, PEOPLE_COUNT_PREFIX
from hotline.triage.taxonomy import (
    COMMITTEE_NAMES,
    DEPARTMENTS,
    ROUTE_CITIZEN_SERVICE_PREFIX,
    ROUTE_COMMITTEE_PREFIX,
    ROUTE_SELF_SERVICE,
)

CHANNEL_NAMES = {"webchat": "网页对话", "rest": "网页对话", "wechat": "微信公众号", "sms": "短信", "api": "系统接口",
                 "phone": "电话", "voice": "语音电话", "seat": "热线坐席", "demo": "演示数据"}
LINE_NAMES = {"12345": "12345政务服务热线", "110": "110报警服务台", "12348": "12348公共法律服务热线"}
INTENT_NAMES = {
    "report_dispute": "反映纠纷", "ask_legal": "法律咨询", "emergency": "紧急求助", "public_service": "公共服务诉求",
    "check_status": "查询进度", "request_human": "要求人工服务", "greet": "问候", "goodbye": "告别", "thank": "致谢",
    "affirm": "肯定", "deny": "否定", "stop": "中止", "rate": "评价", "bot_challenge": "询问是否机器人",
    "out_of_scope": "其他事项", "give_consent": "同意留存电话", "withdraw_consent": "撤回留存电话的同意",
}
SIGNAL_NAMES = {**DANGER_NAMES, ESCALATION: "矛盾有激化风险", COLLECTIVE: "可能集体行动", MASS_GROUP: "涉及人数众多"}
ENTITY_NAMES = {"people_count": "人数", "amount": "金额", "duration": "时长", "location": "地点", "party": "当事人",
                "phone": "电话号码", "id_number": "身份证号", "date": "日期", "organization": "单位", "person": "人名"}
# The kinds of party the rule entities recognise (hotline.triage.entities.PARTY_ROLES), for people to read.
PARTY_KIND_NAMES = {
    "employer": "用人单位", "coworker": "同事", "neighbor": "邻居", "landlord": "房东", "tenant": "租客",
    "property_company": "物业", "owners_committee": "业委会", "hospital": "医疗机构", "ex_spouse": "前配偶",
    "spouse": "配偶", "relative": "亲属", "village_committee": "村（居）委会", "government": "政府部门",
    "developer": "开发商", "merchant": "商家", "enterprise": "企业", "insurer": "保险公司", "school": "学校",
    "classmate": "同学", "other_driver": "对方驾驶人", "friend": "朋友",
}
SYSTEM_ACTORS = {"bot": "智能助手", "citizen": "群众", "system:deadlines": "期限提醒（系统）", "demo": "演示数据",
                 "system:handoffs": "转人工计时（系统）", "system:outbox": "消息发送（系统）",
                 "system:voice": "电话语音（系统）"}


def route_name(code: Optional[str]) -> str:
    """mediation:town -> 镇（街道）人民调解; committee:medical -> 医疗纠纷人民调解委员会; 12345:water -> 12345转供水."""
    if not code:
        return "未定"
    if code.startswith("mediation:"):
        return TIER_NAMES.get(code.split(":", 1)[1], "人民调解") + "人民调解"
    if code.startswith(ROUTE_COMMITTEE_PREFIX):
        return COMMITTEE_NAMES.get(code[len(ROUTE_COMMITTEE_PREFIX):], "专业调解委员会")
    if code.startswith(ROUTE_CITIZEN_SERVICE_PREFIX):
        department = code[len(ROUTE_CITIZEN_SERVICE_PREFIX):]
        return "12345综合受理" if department == "general" else "12345转" + DEPARTMENTS.get(department, "职能部门")
    if code == ROUTE_SELF_SERVICE:
        return "智能助手自助解答"
    return TRANSFER_DESTINATIONS.get(code, "其他去向")


def handled_by(organisation_name: Optional[str], tier: Optional[str], route_to: Optional[str]) -> Optional[str]:
    """Who handles a case, as a citizen reads it: its organisation's name, else its committee or its tier's
    mediation (镇（街道）人民调解); None while it is with no mediation body (a 12345 desk, 110, not yet placed)."""
    if organisation_name:
        return organisation_name
    if route_to and route_to.startswith(ROUTE_COMMITTEE_PREFIX):
        return route_name(route_to)
    if tier in TIER_NAMES and tier is not None:
        return route_name(f"mediation:{tier}")
    return None


def signal_name(code: str) -> str:
    if code.startswith(PEOPLE_COUNT_PREFIX):
        return f"涉及约 {code[len(PEOPLE_COUNT_PREFIX):]} 人"
    return SIGNAL_NAMES.get(code, "风险信号")


def actor_name(label: Optional[str], people: Mapping[str, str]) -> str:
    """user:zhang (token:x) -> 张调解员; token:platform -> 系统接口（platform）; bot -> 智能助手.

    `people` maps usernames to display names.
    """
    if not label:
        return "—"
    if label.startswith("user:"):
        username = label[5:].split(" ", 1)[0]
        return people.get(username, username)
    if label.startswith("token:"):
        return f"系统接口（{label[6:]}）"
    return SYSTEM_ACTORS.get(label, "系统")


def entity_value(entity: Mapping) -> str:
    """An entity's normalised value as people read it: 约 90 天, 30000 元, 20 人, 用人单位."""
    value, kind = entity.get("value"), entity.get("entity")
    if isinstance(value, dict) and "days" in value:
        return f"约 {value['days']} 天"
    if kind == "amount" and isinstance(value, (int, float)):
        return f"{value:g} 元"
    if kind == "people_count" and isinstance(value, (int, float)):
        return f"{value:g} 人"
    if kind == "party":
        return PARTY_KIND_NAMES.get(value, "其他当事人") if isinstance(value, str) else ""
    return "" if value is None else str(value)


def name_of(code: Optional[str], names: Mapping[str, str], unknown: str = "其他") -> str:
    if not code:
        return "—"
    return names.get(code, unknown)
