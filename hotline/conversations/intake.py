"""Reporting a dispute: what to ask for each dispute type, how to read the answers, the summary to confirm.

The bot asks only what it does not know yet and what a mediator needs for
that kind of dispute: what happened (when the first message says too
little), where, who the other side is, and, for disputes that often
involve many people, how many. Personal data (the phone) comes only after
consent; see the form in bot/domain/dispute.yml and actions/dispute.py.
What the bot says (the questions, the prompts after an answer it cannot
read) is the domain's responses, not this module's.
"""
from __future__ import annotations

import re
from typing import Dict, List, Mapping, Optional, Sequence

from hotline.triage import DISPUTE_TYPES, extract_entities, mask_pii
from hotline.triage.numbers import parse_chinese_number

DETAILS, LOCATION, PARTY, PEOPLE, CONSENT, PHONE, CONFIRM = (
    "incident_details", "incident_location", "other_party", "people_count", "pii_consent", "contact_phone",
    "summary_confirmed")
# The bot heard "stop" and asks whether to drop the report (CANCEL); CANCEL_PENDING holds that it asked.
CANCEL, CANCEL_PENDING = "cancel_confirmed", "cancel_pending"
# Each grant or withdrawal of consent with its time ([{"consent": bool, "at": iso}]).
CONSENT_LOG = "consent_log"
# A read-back item the citizen named without a new value: asked again even when the form would skip it.
CORRECTING = "correcting_field"
TYPE = "dispute_type"

# Disputes in which many people are often involved: the head count sets the warning level (docs/DOMAIN.md).
COLLECTIVE_TYPES = frozenset({"labor", "land", "demolition", "property_mgmt", "environment", "housing"})
# A first message shorter than this (without punctuation) says too little about what happened.
MIN_DETAILS = 12
UNKNOWN = "不详"

FIELD_NAMES = {TYPE: "类型", DETAILS: "经过", LOCATION: "地点", PARTY: "对方", PEOPLE: "人数", PHONE: "电话"}
# Words a citizen uses to name the item they want to change in the summary.
CORRECTION_WORDS: Dict[str, Sequence[str]] = {
    LOCATION: ("地点", "地址", "位置", "地方", "在哪"),
    PARTY: ("对方", "对象", "单位名", "公司名", "名称", "是谁"),
    PEOPLE: ("人数", "多少人", "几个人", "户数", "几户"),
    PHONE: ("电话", "手机", "号码", "联系方式"),
    DETAILS: ("经过", "情况", "事情", "内容", "描述", "说的"),
    TYPE: ("类型", "类别", "纠纷种类"),
}
# "经过改成：…" / "地点应该是城关镇": the words between an item's name and its new value.
_NEW_VALUE = re.compile(r"(改成|改为|换成|应该是|其实是|更正为|(?<!不)是)[：:，,\s]*|[：:][\s]*")
_FAMILY = re.compile(r"一家|全家|家里人|一大家子|老老小小|家人")
_NUMBER_WORDS = r"(电话号码|电话|手机号码?|手机|号码|联系方式|个人信息)"
_GRANT = re.compile(r"(?<!不)(同意|愿意|可以)(您们?|你们?)?(留|记录|记|登记|保存|给)?(我的|我)?(电话|手机|号码|联系方式)"
                    r"|(电话|手机|号码)(可以|能)(留|记|给)|我同意了|现在同意|改成同意|同意记录"
                    r"|(现在|还是)(想|要|愿意)(留|给)(电话|号码|手机)?了?$")
_REVOKE = re.compile(r"(不同意|不要|别|不想|不愿意|不能|不许)(再)?(留|记录|记|登记|保存|存|用)?(我的|我)?(电话|手机|号码|联系方式|个人信息)"
                     r"|撤回(同意)?|取消同意|(删掉|删除|删了)(我的|我)?" + _NUMBER_WORDS
                     + r"|(我的|我)" + _NUMBER_WORDS + r"(给我)?(删掉|删除|删了|删|撤了|撤回)"
                     + r"|" + _NUMBER_WORDS + r"(就|也|还是)?(别留|不留|别存|不存|别记|不记|不要留|不要记|不要存|不能留|不想留)")
_DONT_KNOW = re.compile(r"^(不知道|不清楚|不晓得|不懂|说不清|没法说|不确定|不记得了?)[啊呀吧了。]*$")
_ALONE = re.compile(r"就我(一个|自己|一人)?|只有我|我一个人|我自己|就一个人|一个人")
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def content_length(text: str) -> int:
    return len(_PUNCT.sub("", text or ""))


def consent_change(text: str) -> Optional[bool]:
    """A grant ("我同意留电话") or a withdrawal ("别记我的电话了") of consent in any message, else None."""
    text = text or ""
    if _REVOKE.search(text):
        return False
    if _GRANT.search(text):
        return True
    return None


def is_family(text: str) -> bool:
    """一家老小, 全家: a household whose size the citizen did not say."""
    return bool(_FAMILY.search(text or ""))


def read_type(text: str) -> Optional[str]:
    """A dispute type named in words (邻里纠纷, 劳动争议) -> its code."""
    for code, name in sorted(DISPUTE_TYPES.items(), key=lambda item: -len(item[1])):
        short = name.replace("纠纷", "").replace("争议", "")
        if name in (text or "") or (len(short) >= 2 and short in (text or "")):
            return code
    return None


def correction_value(field: str, text: str) -> Optional[str]:
    """The new value in "经过改成：…" (the text after the item's name and 改成/是/：), or None when only named."""
    text = (text or "").strip()
    position = -1
    for word in CORRECTION_WORDS[field]:
        found = text.find(word)
        if found >= 0 and (position < 0 or found < position):
            position, length = found, len(word)
    rest = text[position + length:] if position >= 0 else text
    marker = _NEW_VALUE.search(rest)
    if marker is None:
        return None
    value = rest[marker.end():].strip().rstrip("。")
    return value if content_length(value) >= 1 else None


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
    if is_family(text):
        return None
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
    """The summary item a citizen asks to change ("地点不对" -> incident_location), or None.

    The item named first wins: "经过改成：地点在他家门口" changes the account, not the place.
    """
    best, best_at = None, None
    for field, words in CORRECTION_WORDS.items():
        for word in words:
            at = (text or "").find(word)
            if at >= 0 and (best_at is None or at < best_at):
                best, best_at = field, at
    return best


def log_consent(log: Optional[Sequence[Mapping]], consent: bool, now=None) -> List[Dict[str, object]]:
    """The consent history with one more change, timed in UTC (ISO 8601)."""
    import datetime as dt

    at = (now or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0).isoformat()
    return list(log or []) + [{"consent": bool(consent), "at": at}]


def summary(values: Mapping[str, object], dispute_type: Optional[str], *, consent: Optional[bool]) -> str:
    """The read-back's items, one per line (the response utter_read_back says them); the phone is shown masked."""
    from hotline.conversations import wording

    lines = []
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
        lines.append(wording.text("utter_read_back_phone_refused"))
    return "\n".join(lines)


_NO = re.compile(r"^(不|不要|不用|不行|不可以|不必|别|算了吧?|no\b|n\b)|不同意|不愿意|不想|不留|不给|不方便|拒绝|别记",
                 re.IGNORECASE)
_YES = re.compile(r"^(好|行|可以|同意|愿意|嗯|对|是|没问题|没错|ok|yes|y\b|中|成|要得|要的|需要)|同意|可以的|没问题",
                  re.IGNORECASE)


_CANCEL_YES = re.compile(r"^(是|是的|确定|确认|对|对的|嗯|嗯嗯|好|好的|行|不登记了|不登了|不要了|不用了|算了|取消|确定不登记了?)"
                         r"[吧啊呀的了。！!，,\s]*$")


def confirms_cancel(text: str, intent: Optional[str] = None) -> bool:
    """A clear yes to "确定不登记了吗？": dropping a report never happens on a doubtful answer."""
    words = (text or "").strip()
    if not words or "？" in words or "?" in words or _NO.search(words) and not _CANCEL_YES.match(words):
        return False
    # The button sends "/affirm"; a short typed yes ("好嘞") comes as the affirm intent.
    return bool(_CANCEL_YES.match(words)) or (intent == "affirm" and (words == "/affirm" or content_length(words) <= 4))


def read_yes_no(text: str, intent: Optional[str] = None) -> Optional[bool]:
    """A yes or a no to the bot's question, from the intent and, when the model is unsure, the words.

    Safety of personal data wins: anything that reads as a refusal is one.
    """
    words = (text or "").strip()
    # "我不想留电话" and "电话可以留" are yes and no to the consent question, whatever else they are.
    if intent in ("deny", "withdraw_consent") or _NO.search(words):
        return False
    if intent in ("affirm", "give_consent") or _YES.search(words):
        return True
    return None
