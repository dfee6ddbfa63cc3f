"""Reporting a dispute: what to ask for each dispute type, how to read the answers, the summary to confirm.

The bot asks only what it does not know yet and what a mediator needs for
that kind of dispute: what happened (when the first message says too
little), where, who the other side is, and, for disputes that often
involve many people, how many. Personal data (the phone) comes only after
consent; see the form in bot/domain/dispute.yml and actions/dispute.py.
"""
from __future__ import annotations

import re
from typing import Dict, List, Mapping, Optional, Sequence

from hotline.triage import DISPUTE_TYPES, extract_entities, mask_pii
from hotline.triage.numbers import parse_chinese_number

DETAILS, LOCATION, PARTY, PEOPLE, CONSENT, PHONE, CONFIRM = (
    "incident_details", "incident_location", "other_party", "people_count", "pii_consent", "contact_phone",
    "summary_confirmed")

# Disputes in which many people are often involved: the head count sets the warning level (DOMAIN.md).
COLLECTIVE_TYPES = frozenset({"labor", "land", "demolition", "property_mgmt", "environment", "housing"})
# A first message shorter than this (without punctuation) says too little about what happened.
MIN_DETAILS = 12
UNKNOWN = "不详"

PARTY_QUESTIONS: Dict[str, str] = {
    "labor": "欠您工资或和您发生劳动纠纷的是哪家单位、哪个老板？能说出单位名称最好（比如“宏达建筑公司”“包工头王某”）。",
    "neighbor": "和您有矛盾的是哪一户邻居？比如“楼上502的住户”“隔壁老李家”。",
    "marriage_family": "和您发生纠纷的是谁？说和您的关系就可以，比如“我丈夫”“儿子儿媳”“前夫”。",
    "land": "和您有土地纠纷的是谁？比如“邻居张某家”“村委会”“承包户李某”。",
    "demolition": "负责征收拆迁的是哪个单位？比如“某某街道办”“某某项目指挥部”“开发商某某公司”。",
    "property_mgmt": "是哪家物业公司，或者是业委会？说名称或小区名就可以。",
    "traffic": "对方是谁？知道对方司机姓名、车牌号或保险公司吗？",
    "medical": "是哪家医院或诊所？",
    "consumer": "是哪个商家、门店或网购平台？",
    "debt": "欠钱不还的是谁？说姓名或单位就可以。",
    "personal_injury": "对方是谁？比如姓名、“邻居家的狗主人”“某某饭店”。",
    "housing": "对方是谁？比如房东、中介公司或开发商的名称。",
    "environment": "污染或噪音来自哪里？比如哪家工厂、哪个工地或哪家饭店。",
    "school": "是哪所学校或幼儿园？",
    "other": "和您发生纠纷的是谁？说姓名、单位或和您的关系都可以。",
}
QUESTIONS: Dict[str, str] = {
    DETAILS: "请简单说说发生了什么事：和谁、因为什么、现在怎么样了。",
    LOCATION: "请问事情发生在哪里？说到乡镇（街道）、村（社区）或小区就可以。",
    PEOPLE: "这件事涉及多少人（或多少户）？只有您自己的话，回复“就我一个”。",
    CONSENT: ("为了让调解员联系您，需要记录您的联系电话：电话只用于处理这件纠纷，结案后保存两年再删除。"
              "您同意吗？不同意也可以继续，我们不保存您的任何个人信息。"),
    PHONE: "请留一个能联系到您的电话号码（手机或带区号的座机）。",
}
INVALID: Dict[str, str] = {
    DETAILS: "能再多说几句吗？比如和谁、因为什么事、现在怎么样了。",
    LOCATION: "没听清地点，请再说一下，比如“城关镇幸福村”或“阳光花园小区”。",
    PEOPLE: "没听明白人数，请说一个数字，比如“二十多个人”“十几户”，或者“就我一个”。",
    PHONE: "这个号码好像不对。请输入11位手机号，或带区号的座机号，例如 0731-12345678。",
    PARTY: "请说一下对方是谁，不清楚的话回复“不知道”。",
}
FIELD_NAMES = {DETAILS: "经过", LOCATION: "地点", PARTY: "对方", PEOPLE: "人数", PHONE: "电话"}
# Words a citizen uses to name the item they want to change in the summary.
CORRECTION_WORDS: Dict[str, Sequence[str]] = {
    LOCATION: ("地点", "地址", "位置", "地方", "在哪"),
    PARTY: ("对方", "对象", "单位名", "公司名", "名称", "是谁"),
    PEOPLE: ("人数", "多少人", "几个人", "户数", "几户"),
    PHONE: ("电话", "手机", "号码", "联系方式"),
    DETAILS: ("经过", "情况", "事情", "内容", "描述", "说的"),
}
_DONT_KNOW = re.compile(r"^(不知道|不清楚|不晓得|不懂|说不清|没法说|不确定|不记得了?)[啊呀吧了。]*$")
_ALONE = re.compile(r"就我(一个|自己|一人)?|只有我|我一个人|我自己|就一个人|一个人")
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def content_length(text: str) -> int:
    return len(_PUNCT.sub("", text or ""))


def fields_needed(dispute_type: Optional[str], report_text: str, triage: Mapping, *,
                  urgent: bool = False) -> List[str]:
    """The slots the report form fills, in order, for this dispute (consent and phone are added by the form).

    `urgent` (a red or orange warning) keeps it to where it happened, so a
    person can take over quickly.
    """
    if urgent:
        return [LOCATION]
    fields: List[str] = []
    if dispute_type is None or content_length(report_text) < MIN_DETAILS:
        fields.append(DETAILS)
    fields.append(LOCATION)
    fields.append(PARTY)
    if dispute_type in COLLECTIVE_TYPES and people_in(triage) is None:
        fields.append(PEOPLE)
    return fields


def people_in(triage: Mapping) -> Optional[int]:
    counts = [e.get("value") for e in triage.get("entities") or [] if e.get("entity") == "people_count"]
    counts = [c for c in counts if isinstance(c, int)]
    return max(counts) if counts else None


def question(field: str, dispute_type: Optional[str] = None) -> str:
    if field == PARTY:
        return PARTY_QUESTIONS.get(dispute_type or "other", PARTY_QUESTIONS["other"])
    return QUESTIONS[field]


def read_location(text: str) -> Optional[str]:
    text = (text or "").strip()
    places = [e["text"] for e in extract_entities(text) if e["entity"] == "location"]
    if places:
        return "".join(dict.fromkeys(places))
    if 2 <= content_length(text) and len(text) <= 120:
        return text
    return None


def read_party(text: str) -> Optional[str]:
    text = (text or "").strip().rstrip("。.!！")
    if _DONT_KNOW.match(text):
        return UNKNOWN
    if 1 <= content_length(text) and len(text) <= 120:
        return text
    return None


def read_people(text: str) -> Optional[int]:
    text = (text or "").strip()
    counts = [e["value"] for e in extract_entities(text) if e["entity"] == "people_count"]
    if counts:
        return int(max(counts))
    if _ALONE.search(text):
        return 1
    bare = re.sub(r"(个人|个|人|户|家|口|号人|左右|来|多|大概|差不多|约|吧|啊|。)", "", text)
    if bare:
        value = parse_chinese_number(bare)
        if value is not None and 0 < value < 100000:
            return int(value)
    return None


def read_phone(text: str) -> Optional[str]:
    phones = [e["value"] for e in extract_entities(text or "") if e["entity"] == "phone"]
    return str(phones[0]) if phones else None


def read_details(text: str) -> Optional[str]:
    text = (text or "").strip()
    return text if content_length(text) >= 4 else None


def field_to_correct(text: str) -> Optional[str]:
    """The summary item a citizen asks to change ("地点不对" -> incident_location), or None."""
    for field, words in CORRECTION_WORDS.items():
        if any(w in (text or "") for w in words):
            return field
    return None


def summary(values: Mapping[str, object], dispute_type: Optional[str], *, consent: Optional[bool]) -> str:
    """The read-back before the case is opened; the phone is shown masked."""
    lines = ["请核对一下要登记的信息："]
    if dispute_type:
        lines.append(f"类型：{DISPUTE_TYPES.get(dispute_type, dispute_type)}")
    details = str(values.get(DETAILS) or values.get("report_text") or "").strip()
    if details:
        shown = details if len(details) <= 80 else details[:78] + "……"
        lines.append(f"经过：{mask_pii(shown)}")
    for field in (LOCATION, PARTY):
        if values.get(field):
            lines.append(f"{FIELD_NAMES[field]}：{values[field]}")
    if values.get(PEOPLE) is not None:
        lines.append(f"人数：{values[PEOPLE]}人")
    if consent and values.get(PHONE):
        lines.append(f"电话：{mask_pii(str(values[PHONE]))}")
    elif consent is False:
        lines.append("电话：不留（您没有同意记录个人信息）")
    lines.append("没问题请回复“对”；要改哪一项直接说，比如“地点不对”；不想登记了请说“算了”。")
    return "\n".join(lines)


def correction_prompt() -> str:
    return "请问哪一项需要改？可以说“经过”“地点”“对方”“人数”或“电话”。"


_NO = re.compile(r"^(不|不要|不用|不行|不可以|不必|别|算了吧?|no\b|n\b)|不同意|不愿意|不想|不留|不给|不方便|拒绝|别记",
                 re.IGNORECASE)
_YES = re.compile(r"^(好|行|可以|同意|愿意|嗯|对|是|没问题|没错|ok|yes|y\b|中|成|要得|要的|需要)|同意|可以的|没问题",
                  re.IGNORECASE)


def read_yes_no(text: str, intent: Optional[str] = None) -> Optional[bool]:
    """A yes or a no to the bot's question, from the intent and, when the model is unsure, the words.

    Safety of personal data wins: anything that reads as a refusal is one.
    """
    words = (text or "").strip()
    if intent == "deny" or _NO.search(words):
        return False
    if intent == "affirm" or _YES.search(words):
        return True
    return None
