"""Danger comes first, whoever holds the conversation: the words the citizen gets, and the case flag."""
from __future__ import annotations

from typing import Mapping

from sqlalchemy.orm import Session

from hotline.cases import service
from hotline.cases.models import Case

EMERGENCY_TEXT = (
    "您现在可能有危险，请立即拨打110报警！"
    "能离开的话先到安全的地方，保持手机畅通；有人受伤请同时拨打120。"
    "我们已把这件事标为紧急，转110处理。"
)


def is_danger(triage: Mapping) -> bool:
    return (triage.get("intent") or {}).get("name") == "emergency" or (triage.get("route") or {}).get("to") == "110"


def flag_danger(session: Session, case: Case, text: str, actor: str = "system:safety") -> Case:
    """A danger message arrived while a person holds the conversation: raise the case and say why, audited."""
    case = service.lock_case(session, case)
    if case.warning_level != "orange":
        service.set_warning_level(session, case, actor, "orange", f"对话中出现危险信号：{text[:100]}")
    service.record_event(session, case, actor, "danger", note=f"群众在人工对话中报告危险，已提示立即拨打110：{text[:200]}")
    return case
