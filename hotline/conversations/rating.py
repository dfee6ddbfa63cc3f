"""The citizen's rating of a resolved case: read a 1-5 score and a comment from what they wrote, and store it.

The rating is the citizen's own voice and is kept beside the case, with an
audit entry; it does not move the case to 考核评价 by itself: that step is
the reviewing staff's, who see the rating when they evaluate.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.cases import service
from hotline.cases.errors import Conflict, InvalidInput
from hotline.cases.models import Case, utcnow

_DIGIT = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5,
          "１": 1, "２": 2, "３": 3, "４": 4, "５": 5}
# A score with its unit (5分, 五星, 打4分, 给三颗星), or a bare digit standing alone.
_SCORED = re.compile(r"(?:打|给|评)?\s*([1-5１-５一二两三四五])\s*(?:分|星|颗星|个星)")
_BARE = re.compile(r"^\s*([1-5１-５])\s*(?:[。.!！,，、\s]|$)")
_FULL_MARKS = re.compile(r"满分|五星好评|好评")
# Words alone, strongest first, so 非常不满意 is not read as 满意.
_WORDS = (
    (re.compile(r"非常不满意|很不满意|特别不满意|极不满意|太差|差评|很差"), 1),
    (re.compile(r"不满意|不太满意|不怎么样"), 2),
    (re.compile(r"一般|还行|凑合|马马虎虎"), 3),
    (re.compile(r"非常满意|很满意|特别满意|十分满意"), 5),
    (re.compile(r"满意|挺好|不错"), 4),
)
_FILLER = re.compile(r"^[\s,，。.!！、:：;；~～吧啊呀]+|[\s,，。.!！、:：;；~～]+$")
# Replies that mean "no comment".
NO_COMMENT = re.compile(r"^(没有|没了|没|无|不用|不用了|没意见|没有意见|没什么|没啥|算了|不说了|就这样|no)[了吧啊呀。！!.]*$",
                        re.IGNORECASE)
MAX_COMMENT = 1000


def parse_rating(text: str) -> Optional[Tuple[int, str]]:
    """(score 1-5, the rest of the text as a comment) or None when no score is in the text."""
    text = (text or "").strip()
    if not text:
        return None
    match = _SCORED.search(text) or _BARE.search(text)
    if match:
        score = _DIGIT[match.group(1)]
        rest = text[:match.start()] + text[match.end():]
    elif _FULL_MARKS.search(text):
        score, rest = 5, _FULL_MARKS.sub("", text, count=1)
    else:
        for pattern, value in _WORDS:
            found = pattern.search(text)
            if found:
                score, rest = value, text
                break
        else:
            return None
    comment = _FILLER.sub("", rest)
    if NO_COMMENT.match(comment):
        comment = ""
    return score, comment


def awaiting_rating(session: Session, channel: str, sender_id: str) -> Optional[Case]:
    """The newest resolved case of this conversation that the citizen has not rated yet."""
    return session.execute(
        select(Case).where(Case.channel == channel, Case.sender_id == sender_id, Case.resolved_at.is_not(None),
                           Case.citizen_rating.is_(None), Case.status.in_(("feedback", "evaluated", "closed")))
        .order_by(Case.resolved_at.desc(), Case.id.desc()).limit(1)).unique().scalar_one_or_none()


def rate(session: Session, case: Case, score: int, comment: Optional[str] = None, *,
         now: Optional[dt.datetime] = None) -> Case:
    """Store the citizen's score (1-5) and comment; a case is rated once."""
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise InvalidInput("评分应为1到5分。", "invalid_rating")
    now = now or utcnow()
    case = service.lock_case(session, case)
    if case.resolved_at is None:
        raise Conflict("案件还没有办结，办结后再请您评价。", "not_resolved")
    if case.citizen_rating is not None:
        raise Conflict("这个案件您已经评价过了，谢谢。", "already_rated")
    comment = (comment or "").strip()[:MAX_COMMENT] or None
    case.citizen_rating, case.citizen_comment, case.rated_at = score, comment, now
    service.record_event(session, case, "citizen", "citizen_rating", note=f"{score}分" + (f"：{comment}" if comment else ""),
                         detail={"rating": score}, at=now)
    return case


def add_comment(session: Session, case: Case, comment: str) -> Case:
    """A comment that came after the score."""
    comment = (comment or "").strip()
    if not comment or NO_COMMENT.match(comment):
        return case
    case = service.lock_case(session, case)
    case.citizen_comment = ((case.citizen_comment + "；") if case.citizen_comment else "") + comment[:MAX_COMMENT]
    service.record_event(session, case, "citizen", "citizen_rating", note=f"补充意见：{comment[:200]}")
    return case
