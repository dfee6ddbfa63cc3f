"""The six-step closed loop as explicit states; the allowed transitions live here only."""
from __future__ import annotations

from typing import Dict, FrozenSet

# 信息上报 → 核实立案 → 分流交办 → 跟踪处理 → 事件反馈 → 考核评价 → 结案
STATUS_NAMES: Dict[str, str] = {
    "reported": "信息上报",
    "registered": "核实立案",
    "assigned": "分流交办",
    "in_progress": "跟踪处理",
    "feedback": "事件反馈",
    "evaluated": "考核评价",
    "closed": "已结案",
    "reopened": "重新办理",
    "transferred": "已转办",
}

TRANSITIONS: Dict[str, FrozenSet[str]] = {
    "reported": frozenset({"registered", "assigned", "in_progress", "transferred", "closed"}),
    "registered": frozenset({"assigned", "in_progress", "transferred", "closed"}),
    "assigned": frozenset({"in_progress", "assigned", "transferred"}),
    "in_progress": frozenset({"feedback", "assigned", "transferred"}),
    "feedback": frozenset({"evaluated", "closed", "reopened"}),
    "evaluated": frozenset({"closed", "reopened"}),
    "closed": frozenset({"reopened"}),
    "reopened": frozenset({"assigned", "in_progress", "transferred"}),
    "transferred": frozenset({"reopened", "closed"}),
}

# Waiting for a mediator to pick the case up.
QUEUE_STATUSES = frozenset({"reported", "registered", "assigned", "reopened"})

WARNING_RANK = {"orange": 3, "red": 2, "yellow": 1, None: 0}
WARNING_NAMES = {"orange": "橙色预警", "red": "红色预警", "yellow": "黄色预警", None: "无"}


class TransitionError(ValueError):
    """A change of state that the closed loop does not allow."""

    def __init__(self, from_status: str, to_status: str) -> None:
        super().__init__(f"transition {from_status} -> {to_status} is not allowed")
        self.from_status = from_status
        self.to_status = to_status


def check_transition(from_status: str, to_status: str) -> None:
    if to_status not in TRANSITIONS.get(from_status, frozenset()):
        raise TransitionError(from_status, to_status)
