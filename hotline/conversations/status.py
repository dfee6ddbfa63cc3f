"""Case status for the citizen: look a case up by number and phone tail, with a limit on guessing.

Case numbers are readable and sequential (JF + date + id), so the number
alone proves nothing. The conversation that opened the case may look it up
by number; anyone else must also give the last four digits of the phone the
citizen left. Failed attempts are recorded (`status_lookups`) and limited
per case number and per requester, so trying numbers or tails is slow and
visible. A case whose citizen left no phone is told only to the
conversation that opened it.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.cases.lifecycle import NEXT_PATHS, OUTCOMES, STATUS_NAMES, TIER_NAMES, TRANSFER_DESTINATIONS
from hotline.cases.models import Case, InboundMessage, StatusLookup, utcnow
from hotline.cases.service import is_overdue
from hotline.timeutil import format_deadline

CASE_NUMBER = re.compile(r"JF\s*\d{8}\s*\d{6}", re.IGNORECASE)
# Wrong tails for one case number within a day before it is locked for others.
MAX_FAILURES_PER_CASE = 5
CASE_WINDOW = dt.timedelta(hours=24)
# Failed look-ups (unknown numbers, wrong tails) by one conversation within an hour.
MAX_FAILURES_PER_REQUESTER = 10
REQUESTER_WINDOW = dt.timedelta(hours=1)
# ... and by one web client, whatever conversation ids it goes through (a new id is free to get).
MAX_FAILURES_PER_CLIENT = 20

# The six steps of the closed loop (docs/DOMAIN.md), numbered as citizens are told.
STEP_NUMBERS = {"reported": 1, "registered": 2, "assigned": 3, "reopened": 3, "in_progress": 4, "feedback": 5,
                "evaluated": 6}


def normalise_number(text: str) -> Optional[str]:
    """The first case number in text, upper case without spaces (jf 20261122 000001 -> JF20261122000001)."""
    found = CASE_NUMBER.search(text or "")
    return re.sub(r"\s+", "", found.group()).upper() if found else None


def phone_tail(text: str) -> Optional[str]:
    """Four digits the citizen gave as the tail of their phone (尾号5678, 5678, or a whole number)."""
    digits = re.findall(r"\d+", text or "")
    if not digits:
        return None
    last = digits[-1]
    return last[-4:] if len(last) >= 4 and len(last) in (4, 7, 8, 11, 12) else None


@dataclass(frozen=True)
class Lookup:
    # ok | not_found | need_tail | wrong_tail | no_phone | locked
    outcome: str
    case: Optional[Case] = None
    attempts_left: Optional[int] = None


def _failures(session: Session, column, value: str, since: dt.datetime) -> int:
    return session.execute(
        select(func.count(StatusLookup.id)).where(column == value, StatusLookup.ok.is_(False), StatusLookup.at >= since)
    ).scalar_one()


def _client_of(session: Session, channel: str, sender_id: str) -> Optional[str]:
    """The web client behind the conversation's latest message (the inbox keeps a keyed hash of it)."""
    return session.execute(
        select(InboundMessage.client).where(InboundMessage.channel == channel, InboundMessage.sender_id == sender_id)
        .order_by(InboundMessage.id.desc()).limit(1)).scalar_one_or_none()


def lookup(session: Session, number: str, *, channel: str, sender_id: str, tail: Optional[str] = None,
           now: Optional[dt.datetime] = None) -> Lookup:
    """Find a case for a citizen; the caller commits (the attempt is recorded either way)."""
    now = now or utcnow()
    requester = f"{channel}:{sender_id}"
    client = _client_of(session, channel, sender_id)
    if _failures(session, StatusLookup.requester, requester, now - REQUESTER_WINDOW) >= MAX_FAILURES_PER_REQUESTER:
        return Lookup("locked")
    if client and _failures(session, StatusLookup.client, client, now - REQUESTER_WINDOW) >= MAX_FAILURES_PER_CLIENT:
        return Lookup("locked")
    case = session.execute(select(Case).where(Case.number == number)).unique().scalar_one_or_none()
    if case is None:
        session.add(StatusLookup(case_number=number[:32], requester=requester, client=client, ok=False, at=now))
        return Lookup("not_found")
    if case.channel == channel and case.sender_id == sender_id:
        session.add(StatusLookup(case_number=number, requester=requester, client=client, ok=True, at=now))
        return Lookup("ok", case)
    if not case.contact_phone:
        return Lookup("no_phone", case)
    failures = _failures(session, StatusLookup.case_number, number, now - CASE_WINDOW)
    if failures >= MAX_FAILURES_PER_CASE:
        return Lookup("locked", case)
    if tail is None:
        return Lookup("need_tail", case)
    ok = case.contact_phone[-4:] == tail
    session.add(StatusLookup(case_number=number, requester=requester, client=client, ok=ok, at=now))
    if ok:
        return Lookup("ok", case)
    return Lookup("wrong_tail", case, attempts_left=max(0, MAX_FAILURES_PER_CASE - failures - 1))


def latest_case_of(session: Session, channel: str, sender_id: str) -> Optional[Case]:
    """The newest case this conversation opened."""
    return session.execute(
        select(Case).where(Case.channel == channel, Case.sender_id == sender_id, Case.number.is_not(None))
        .order_by(Case.id.desc()).limit(1)).unique().scalar_one_or_none()


def result_text(outcome: Optional[str], next_path: Optional[str]) -> str:
    """A resolved case's outcome as the citizen reads it: 调解成功, or 调解不成，建议您向人民法院起诉."""
    result = OUTCOMES.get(outcome, "已办结")
    if next_path:
        result += f"，建议您{NEXT_PATHS.get(next_path, '通过其他途径解决')}"
    return result


def describe(case: Case, now: Optional[dt.datetime] = None) -> str:
    """Where the case stands, in one paragraph a citizen can read."""
    now = now or utcnow()
    status = case.status
    lines = [f"案件{case.number}"]
    if status in STEP_NUMBERS:
        lines.append(f"目前在第{STEP_NUMBERS[status]}步“{STATUS_NAMES[status]}”（共六步：信息上报、核实立案、分流交办、"
                     "跟踪处理、事件反馈、考核评价）。")
    else:
        lines.append(f"目前状态：{STATUS_NAMES.get(status, status)}。")
    if status == "transferred" and case.transferred_to:
        lines.append(f"已转交{TRANSFER_DESTINATIONS.get(case.transferred_to, case.transferred_to)}办理。")
    holder = []
    if case.organisation is not None:
        holder.append(case.organisation.name)
    elif case.tier:
        holder.append(f"{TIER_NAMES[case.tier]}调解组织（待分派具体单位）")
    if case.assignee is not None:
        holder.append(f"调解员{case.assignee.display_name or case.assignee.username}")
    if holder:
        lines.append("承办：" + "，".join(holder) + "。")
    elif status in ("reported", "registered"):
        lines.append("正在等待分派承办单位。")
    if status in ("feedback", "evaluated", "closed") and case.outcome:
        lines.append(f"办理结果：{result_text(case.outcome, case.next_path)}。")
    elif status not in ("transferred", "closed"):
        when = format_deadline(case.deadline_at)
        lines.append(f"办理期限：{when}" + ("（已超期，已督促加快办理）。" if is_overdue(case, now) else "。"))
    return "".join(lines)
