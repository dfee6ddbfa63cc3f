"""The Chinese text the bot sends for a legal question: the answer with its basis, the confirmation question, the referral."""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List

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


def format_answer(entry: Entry) -> str:
    """The reply for a confident match.

    An entry that no lawyer has reviewed gets no disclaimer here: the cited
    article is what the answer stands on, and the console shows the review
    state to staff.
    """
    lines = [_sentence(entry.answer), cite_line(entry)]
    if entry.time_limits:
        lines.append("时限：" + _sentence(entry.time_limits))
    lines.append("怎么办：" + _sentence(entry.next_steps))
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
        lines.append("如果不是，您问的也可能是：" + "；".join(e.title for e in decision.alternatives))
    return "\n".join(lines)


__all__ = ["REFER_TEXT", "cite_line", "format_answer", "format_confirmation"]
