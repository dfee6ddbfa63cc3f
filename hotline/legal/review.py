"""Lawyer review of the legal FAQ: approve an entry's current wording or send it back with a comment.

A review is of one version of an entry (its ``fingerprint``): editing the
answer, the direct line, the time limits, the next steps or a citation
makes the entry unreviewed again, and the bot closes its answer with the
short 12348 line until a lawyer or an admin approves the new wording. The
entry file's own ``reviewed: true`` (with reviewer, date and law version)
counts as an approval of the wording in the file.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.cases.models import LegalReview, User, utcnow

from .faq import Entry, short_law_name
from .statutes import STATUTES

# Accounts that may review: an admin, or a 12348 lawyer once that role exists.
REVIEWER_ROLES = ("admin", "lawyer")
APPROVED, RETURNED, PENDING = "approved", "returned", "pending"
COMMENT_MAX = 2000


class ReviewError(ValueError):
    """A review that cannot be recorded; the message is Chinese, for the reviewer."""


@dataclass(frozen=True)
class ReviewState:
    entry_id: str
    state: str                 # approved | returned | pending
    reviewer: str = ""         # display name or username
    at: Optional[dt.datetime] = None
    comment: str = ""
    law_version: str = ""


def fingerprint(entry: Entry) -> str:
    """A hash of everything the citizen reads from the entry."""
    content = [entry.title, entry.direct, entry.answer, entry.time_limits, entry.next_steps,
               [(c.law, c.article) for c in entry.citations]]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode("utf-8")).hexdigest()


def law_versions(entry: Entry) -> str:
    """The versions of the laws the entry cites, e.g. 民法典（2020年…）；劳动合同法（2012年修正）."""
    names = list(dict.fromkeys(short_law_name(c.law) for c in entry.citations))
    return "；".join(f"{name}（{STATUTES[name].version}）" for name in names if name in STATUTES)


def _reviewer(reviewer: User) -> User:
    if reviewer is None or not reviewer.active or reviewer.role not in REVIEWER_ROLES:
        raise ReviewError("只有管理员或12348律师账号可以审核法律答案。")
    return reviewer


def _latest(session: Session, entry: Entry) -> Optional[LegalReview]:
    return session.execute(
        select(LegalReview).where(LegalReview.entry_id == entry.id, LegalReview.fingerprint == fingerprint(entry))
        .order_by(LegalReview.at.desc(), LegalReview.id.desc()).limit(1)
    ).scalar_one_or_none()


def approve(session: Session, entry: Entry, reviewer: User, comment: str = "") -> LegalReview:
    """Record that ``reviewer`` approved the entry as it reads now, against the current law versions."""
    review = LegalReview(entry_id=entry.id, fingerprint=fingerprint(entry), decision=APPROVED,
                         reviewer_id=_reviewer(reviewer).id, comment=_comment(comment, required=False),
                         law_version=law_versions(entry), at=utcnow())
    session.add(review)
    session.flush()
    return review


def send_back(session: Session, entry: Entry, reviewer: User, comment: str) -> LegalReview:
    """Record that the entry needs changes; the comment says what is wrong."""
    review = LegalReview(entry_id=entry.id, fingerprint=fingerprint(entry), decision=RETURNED,
                         reviewer_id=_reviewer(reviewer).id, comment=_comment(comment, required=True),
                         law_version=law_versions(entry), at=utcnow())
    session.add(review)
    session.flush()
    return review


def _comment(comment: Optional[str], *, required: bool) -> str:
    text = (comment or "").strip()
    if required and not text:
        raise ReviewError("退回修改时请写明哪里需要改。")
    if len(text) > COMMENT_MAX:
        raise ReviewError(f"意见太长了，请控制在{COMMENT_MAX}字以内。")
    return text


def state_of(session: Session, entry: Entry) -> ReviewState:
    """The entry's review state for its current wording."""
    latest = _latest(session, entry)
    if latest is not None:
        who = latest.reviewer.display_name or latest.reviewer.username
        return ReviewState(entry.id, latest.decision, who, latest.at, latest.comment, latest.law_version)
    if entry.reviewed:
        return ReviewState(entry.id, APPROVED, entry.reviewer, None, "", entry.law_version)
    return ReviewState(entry.id, PENDING)


def states(session: Session, entries: Iterable[Entry]) -> List[ReviewState]:
    return [state_of(session, entry) for entry in entries]


def is_reviewed(session: Session, entry: Entry) -> bool:
    return state_of(session, entry).state == APPROVED


def counts(review_states: Iterable[ReviewState]) -> Dict[str, int]:
    result = {APPROVED: 0, RETURNED: 0, PENDING: 0}
    for state in review_states:
        result[state.state] += 1
    return result


__all__ = ["APPROVED", "PENDING", "RETURNED", "REVIEWER_ROLES", "ReviewError", "ReviewState", "approve",
           "counts", "fingerprint", "is_reviewed", "law_versions", "send_back", "state_of", "states"]
