"""The project's triage codes (docs/TAXONOMY.md): dispute types, intents, warning levels, routes."""

from typing import Optional

# Order as in docs/TAXONOMY.md; dicts keep insertion order, and a plain dict stays
# JSON-serialisable for the consoles.
DISPUTE_TYPES = {
    "marriage_family": "婚姻家庭",
    "neighbor": "邻里纠纷",
    "labor": "劳动争议",
    "land": "土地纠纷",
    "demolition": "征地拆迁",
    "property_mgmt": "物业纠纷",
    "traffic": "交通事故",
    "medical": "医疗纠纷",
    "consumer": "消费维权",
    "debt": "债权债务",
    "personal_injury": "人身财产损害",
    "housing": "房屋买卖租赁",
    "environment": "环境污染",
    "school": "涉校纠纷",
    "other": "其他纠纷",
}

# The label the dispute-type classifier uses for "no dispute"; it maps to null.
NO_DISPUTE = "none"

INTENTS = (
    "report_dispute",
    "ask_legal",
    "emergency",
    "public_service",
    "check_status",
    "request_human",
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "stop",
    "rate",
    "bot_challenge",
    "out_of_scope",
    "give_consent",
    "withdraw_consent",
)

SMALL_TALK_INTENTS = frozenset({
    # stop ends what the bot is doing; rate scores a resolved case; give_consent and withdraw_consent keep or
    # erase the phone: the dialogue's own turns, no dispute.
    "greet", "goodbye", "thank", "affirm", "deny", "stop", "rate", "bot_challenge", "out_of_scope",
    "give_consent", "withdraw_consent",
})

# Intents that are never about a dispute: their dispute_type is null unless a
# danger signal fires (the message is then an emergency).
NON_DISPUTE_INTENTS = SMALL_TALK_INTENTS | {"public_service", "check_status"}

# Highest first (docs/DOMAIN.md): orange > red > yellow.
WARNING_LEVELS = ("orange", "red", "yellow")
WARNING_LEVEL_RANK = {"yellow": 1, "red": 2, "orange": 3}
WARNING_LEVEL_NAMES = {"orange": "橙色", "red": "红色", "yellow": "黄色"}
# Orange and red are urgent: a complex deadline, the town or city centre, a person offered at once.
URGENT_LEVELS = frozenset({"orange", "red"})

ROUTE_POLICE = "110"
ROUTE_LEGAL = "12348"
ROUTE_CONSUMER = "12315"
ROUTE_LABOR_ARBITRATION = "labor_arbitration"
ROUTE_MEDIATION_VILLAGE = "mediation:village"
ROUTE_MEDIATION_TOWN = "mediation:town"
ROUTE_MEDIATION_CITY = "mediation:city"
ROUTE_SELF_SERVICE = "self_service"
ROUTE_COMMITTEE_PREFIX = "committee:"
ROUTE_CITIZEN_SERVICE_PREFIX = "12345:"

# Dispute types with a specialist committee or room (专业性行业性调委会).
COMMITTEE_TYPES = ("medical", "traffic", "property_mgmt", "environment", "land", "marriage_family")
COMMITTEE_NAMES = {
    "medical": "医疗纠纷人民调解委员会",
    "traffic": "交通事故纠纷人民调解委员会",
    "property_mgmt": "物业纠纷人民调解委员会",
    "environment": "环境保护纠纷人民调解委员会",
    "land": "农村土地承包经营纠纷调解委员会",
    "marriage_family": "婚姻家庭纠纷调解室",
}

# 12345 departments: code -> Chinese name. "general" is the 12345 front desk.
DEPARTMENTS = {
    "urban_management": "城管",
    "sanitation": "环卫",
    "municipal": "市政",
    "water": "供水",
    "power": "供电",
    "household_registration": "公安户籍",
    "human_resources": "人社",
    "general": "12345综合受理",
}

# The kind of department that handles a contact (the 12345 classification of 城乡建设, 环境保护, …,
# plus 公安 for what goes to 110 and 司法行政 for legal questions going to 12348): the triage
# record's `department`, so an operator can dispatch. code -> Chinese name.
DEPARTMENT_KINDS = {
    "construction": "城乡建设",
    "environment": "环境保护",
    "transport": "交通运输",
    "education": "教育文体",
    "labor_social": "劳动和社会保障",
    "commerce": "商贸旅游",
    "health": "卫生计生",
    "police": "公安",
    "justice": "司法行政",
    "general": "综合受理",
}
# Each 12345 service desk (DEPARTMENTS) belongs to one kind.
DESK_KINDS = {
    "urban_management": "construction",
    "sanitation": "construction",
    "municipal": "construction",
    "water": "construction",
    "power": "construction",
    "household_registration": "police",
    "human_resources": "labor_social",
    "general": "general",
}

# The public lines a contact can come in on (online channels pass None or their own name).
LINES = ("12345", "110", "12348")


def dispute_name(code: str) -> str:
    """Chinese name of a dispute type code; KeyError names the unknown code."""
    try:
        return DISPUTE_TYPES[code]
    except KeyError:
        raise KeyError(f"unknown dispute type code {code!r}; expected one of {', '.join(DISPUTE_TYPES)}") from None


def level_rank(level: Optional[str]) -> int:
    """0 for no level, else 1 (yellow) .. 3 (orange)."""
    return WARNING_LEVEL_RANK.get(level, 0) if level else 0


def is_urgent(level: Optional[str]) -> bool:
    """Whether a warning level is urgent (orange or red)."""
    return level in URGENT_LEVELS


def higher_level(a: Optional[str], b: Optional[str]) -> Optional[str]:
    """The higher of two warning levels (None counts lowest)."""
    return a if level_rank(a) >= level_rank(b) else b
