"""The Chinese text the bot sends for a legal question: the answer with its basis, the confirmation question, the referral."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Dict, List, Optional

from .faq import Entry, short_law_name

if TYPE_CHECKING:  # pragma: no cover
    from .retrieval import Decision

# What the bot says when it is not sure: the product rule is never a guessed answer.
REFER_TEXT = ("这个问题我没有把握准确回答，为了不误导您，建议由律师解答："
              "请拨打12348公共法律服务热线，或到当地公共法律服务中心（站）咨询。")


def cite_line(entry: Entry) -> str:
    """依据：《劳动合同法》第三十条、第八十五条；《劳动争议调解仲裁法》第二十七条。

    Articles of one law are grouped in the order they are listed.
    """
    grouped: Dict[str, List[str]] = {}
    for citation in entry.citations:
        articles = grouped.setdefault(short_law_name(citation.law), [])
        if citation.article not in articles:
            articles.append(citation.article)
    parts = [f"《{law}》" + "、".join(articles) for law, articles in grouped.items()]
    return "依据：" + "；".join(parts) + "。"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith(("。", "！", "？", "）")) else text + "。"


# The last line of every answer: a lawyer-reviewed entry says it is the
# general rule; an entry no lawyer has approved yet says so in one short line.
REVIEWED_CLOSING = "以上是一般情况下的规定，具体到您的情况，可以拨打12348公共法律服务热线问律师。"
UNREVIEWED_CLOSING = "以上仅供参考，具体以12348律师意见为准。"

# A question about a time limit or a count wants the number first.
_ASKS_TIME = re.compile(r"多久|多长时间|几天|几年|几个月|多少天|时效|期限|过期|来得及|什么时候")


def asks_time(question: str) -> bool:
    return bool(_ASKS_TIME.search(question or ""))


def format_answer(entry: Entry, question: str = "", *, reviewed: Optional[bool] = None) -> str:
    """The reply for a confident match: the direct answer, its basis, the detail, what to do.

    The first line answers the question asked (the number, the yes or no):
    the entry's ``direct`` line, or its time limits when the citizen asked
    how long; the law and article follow at once. ``reviewed`` overrides
    the entry's own flag (the review workflow's state); an unreviewed
    answer ends with the short 12348 line instead of the general closing.
    """
    lead_with_time = not entry.direct and entry.time_limits and asks_time(question)
    lines = []
    if entry.direct:
        lines.append(_sentence(entry.direct))
    elif lead_with_time:
        lines.append("时限：" + _sentence(entry.time_limits))
    lines.append(cite_line(entry))
    lines.append(_sentence(entry.answer))
    if entry.time_limits and not lead_with_time:
        lines.append("时限：" + _sentence(entry.time_limits))
    lines.append("怎么办：" + _sentence(entry.next_steps))
    is_reviewed = entry.reviewed if reviewed is None else reviewed
    lines.append(REVIEWED_CLOSING if is_reviewed else UNREVIEWED_CLOSING)
    return "\n".join(lines)


def format_confirmation(decision: "Decision") -> str:
    """您问的是不是：老板拖欠工资怎么办？ and, when there are, the alternatives to pick from.

    For a "confirm" decision; the citizen's yes sends ``format_answer``, a
    no (or a pick of none) sends ``REFER_TEXT``.
    """
    if decision.entry is None:
        raise ValueError("a confirmation needs a candidate entry")
    lines = [f"您问的是不是：{decision.entry.title}"]
    if decision.alternatives:
        # One title a line: each ends with its own ？, so no "？；" run-ons.
        lines.append("如果不是，您问的也可能是：")
        lines.extend(f"· {e.title}" for e in decision.alternatives)
    return "\n".join(lines)


__all__ = ["REFER_TEXT", "REVIEWED_CLOSING", "UNREVIEWED_CLOSING", "asks_time", "cite_line", "format_answer",
           "format_confirmation"]
