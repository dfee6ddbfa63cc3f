"""The Chinese text the bot sends for one FAQ entry: answer, legal basis, time limits, next steps."""

from __future__ import annotations

from typing import Dict, List

from .faq import Entry, short_law_name


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


__all__ = ["cite_line", "format_answer"]
