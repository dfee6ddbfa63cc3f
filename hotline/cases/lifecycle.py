"""The six-step closed loop as explicit states; the allowed transitions live here only."""
from __future__ import annotations

from typing import Dict, FrozenSet, List, Optional

from hotline.triage.taxonomy import WARNING_LEVEL_NAMES, WARNING_LEVEL_RANK

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
# Still being worked on: the deadline is live and the case can be overdue or escalated.
OPEN_STATUSES = QUEUE_STATUSES | {"in_progress"}

# The levels and their order live in hotline.triage.taxonomy; here they are keyed for case records (None: no level).
WARNING_RANK = {**WARNING_LEVEL_RANK, None: 0}
WARNING_NAMES = {**{level: f"{name}预警" for level, name in WARNING_LEVEL_NAMES.items()}, None: "无"}

# Tiers from the bottom up (小事不出村、大事不出镇、矛盾不上交): escalation goes one step right.
TIERS = ("village", "town", "city")
TIER_NAMES = {"village": "村（社区）", "town": "镇（街道）", "city": "县（市）级", None: "未定"}

URGENCY_NAMES = {"emergency": "紧急", "general": "一般", "complex": "复杂"}

# Where a case can leave our hands for (已转办). Keys are what the API takes.
TRANSFER_DESTINATIONS = {
    "110": "110公安机关",
    "12348": "12348公共法律服务热线",
    "12315": "12315消费者投诉举报平台",
    "court": "人民法院（诉调对接）",
    "arbitration": "仲裁机构",
    "labor_arbitration": "劳动人事争议仲裁委员会",
    "administrative": "行政复议或行政裁决机关",
}

# Resolution (事件反馈): the outcome, and when mediation failed, the path the citizen is steered to (双流向).
OUTCOMES = {"success": "调解成功", "failed": "调解不成"}
NEXT_PATHS = {"court": "向人民法院起诉", "arbitration": "申请仲裁", "administrative": "申请行政复议或行政裁决"}
# The mediator's case subsidy by difficulty (docs/DOMAIN.md: general 100, difficult 200, major 300 yuan).
DIFFICULTIES = {"general": "一般", "difficult": "疑难", "major": "重大"}
DIFFICULTY_SUBSIDY = {"general": 100, "difficult": 200, "major": 300}

PARTY_ROLES = {"applicant": "申请人", "respondent": "被申请人", "other": "其他当事人"}
DOCUMENT_KINDS = {"agreement": "调解协议书", "record": "调解笔录", "evidence": "证据材料", "other": "其他材料"}

# What each audit entry's action means, for people reading the trail.
ACTION_NAMES = {
    "open": "登记",
    "transition": "状态变更",
    "register": "核实立案",
    "assign": "分流交办",
    "claim": "认领",
    "release": "退回队列",
    "transfer": "转办",
    "escalate": "升级",
    "overdue": "超期",
    "resolve": "办结反馈",
    "evaluate": "考核评价",
    "close": "结案",
    "reopen": "重新办理",
    "warning_raise": "预警升级",
    "warning_lower": "预警降级",
    "warning_lift": "解除预警",
    "group_join": "并入群体性纠纷",
    "party_add": "添加当事人",
    "document_add": "添加材料",
    "handoff_request": "转人工",
    "handoff_accept": "接入对话",
    "handoff_end": "交还机器人",
    "handoff_timeout": "转人工超时",
    "callback_request": "要求回电",
    "citizen_rating": "群众评价",
    "purge": "按保存期限清除个人信息",
    "danger": "危险信号",
    "delivery_failed": "消息未送达",
    "consent": "个人信息同意记录",
    "contact_phone": "联系电话变更",
    "pii_view": "查看个人信息",
}


def tier_above(tier: Optional[str]) -> Optional[str]:
    """The next tier up, or None at the top (and for cases outside mediation)."""
    if tier not in TIERS or tier == TIERS[-1]:
        return None
    return TIERS[TIERS.index(tier) + 1]


class TransitionError(ValueError):
    """A change of state that the closed loop does not allow."""

    def __init__(self, from_status: str, to_status: str) -> None:
        super().__init__(f"transition {from_status} -> {to_status} is not allowed")
        self.from_status = from_status
        self.to_status = to_status


def check_transition(from_status: str, to_status: str) -> None:
    if to_status not in TRANSITIONS.get(from_status, frozenset()):
        raise TransitionError(from_status, to_status)


def allowed_next(status: str) -> List[str]:
    """The statuses a case in `status` may move to next."""
    return sorted(TRANSITIONS.get(status, ()))


def subsidy_of(difficulty: Optional[str]) -> Optional[int]:
    """The case subsidy in yuan for a resolved case's difficulty grade (none before it is graded)."""
    return DIFFICULTY_SUBSIDY.get(difficulty) if difficulty else None
