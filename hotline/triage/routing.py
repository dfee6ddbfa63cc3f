"""Where a triaged contact goes next (route.to) and a sentence saying why (route.reason).

Precedence, first match wins:

1. Danger (any ``danger:*`` signal) or intent ``emergency`` -> ``110``.
2. ``request_human`` -> a person on the line of entry: ``12348`` or ``110``
   when the call came in there, else ``12345:general``. The citizen's own
   request beats automatic routing; the warning level stays on the record
   for that person to see.
3. Warning level orange -> ``mediation:city``; red -> ``mediation:town``,
   whatever the intent or dispute type: a mass petition or a dispute about
   to turn criminal needs a mediation centre to act, and that outranks a
   lawyer's answer (ask_legal) or a specialist committee.
4. Intents that are no dispute: ``public_service`` -> ``12345:<department>``
   by keyword (DEPARTMENTS; default ``12345:general``); ``check_status``,
   small talk and ``out_of_scope`` -> ``self_service`` (the bot answers).
5. ``ask_legal`` -> ``12348`` (a lawyer answers; from 12345 or 110 this is
   the one-click transfer of docs/DOMAIN.md).
6. Disputes (report_dispute, or any other intent carrying a dispute type):
   consumer -> ``12315``; labor -> ``labor_arbitration`` only when the caller
   asks for arbitration (仲裁, not negated) about wages or a dismissal, else
   ``mediation:town``; medical, traffic, property_mgmt, environment, land,
   marriage_family -> ``committee:<type>``; neighbor, and debt / injury /
   other disputes whose other side is only neighbours or family ->
   ``mediation:village``; everything else -> ``mediation:town``.
7. Anything else (e.g. an unknown intent such as nlu_fallback, no dispute)
   -> ``self_service``.

``line`` changes only the request_human destination and the wording of the
reason. ``text`` (for departments and the arbitration request) and
``entities`` (for the family/neighbour parties) are optional keyword
arguments; without them those rules fall back to ``12345:general`` and
mediation.
"""

import re
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from .risk import (
    COLLECTIVE,
    DANGER_NAMES,
    ESCALATION,
    MASS_GROUP,
    SignalLike,
    people_count_from_signals,
    signal_codes,
)
from .taxonomy import (
    COMMITTEE_NAMES,
    COMMITTEE_TYPES,
    DEPARTMENT_KINDS,
    DEPARTMENTS,
    DESK_KINDS,
    DISPUTE_TYPES,
    ROUTE_CITIZEN_SERVICE_PREFIX,
    ROUTE_COMMITTEE_PREFIX,
    ROUTE_CONSUMER,
    ROUTE_LABOR_ARBITRATION,
    ROUTE_LEGAL,
    ROUTE_MEDIATION_CITY,
    ROUTE_MEDIATION_TOWN,
    ROUTE_MEDIATION_VILLAGE,
    ROUTE_POLICE,
    ROUTE_SELF_SERVICE,
    SMALL_TALK_INTENTS,
    is_urgent,
)

# 12345 departments by keyword; the first department listed that matches wins.
DEPARTMENT_KEYWORDS: Dict[str, str] = {
    "power": r"停电|供电|电费|电表|电线|变压器|跳闸|没电",
    "water": r"停水|自来水|供水|水压|水管|水表|水费|没水",
    "household_registration": r"户口|户籍|落户|迁户|办身份证|身份证(?:丢|办|补|过期|到期)|居住证",
    "human_resources": r"社保|医保|养老保险|养老金|失业金|失业保险|退休|人社|就业|社保卡",
    "sanitation": r"垃圾|环卫|清扫|公厕|厕所|保洁",
    "urban_management": r"占道|摆摊|小摊|摊贩|违建|违章搭建|乱搭乱建|广告牌|城管",
    "municipal": r"路灯|井盖|下水道|排水|积水|道路|马路|路面|人行道|绿化|市政",
}
_DEPARTMENT_RX = {code: re.compile(p) for code, p in DEPARTMENT_KEYWORDS.items()}

# Department kinds of a public-service request by keyword; the first kind listed that matches
# wins, so the narrow kinds come before 城乡建设, which takes most of what is left (utilities,
# roads, housing, city management). Measured on the dev set's public-service requests
# (bench/devset.py, docs/BENCHMARKS.md).
DEPARTMENT_KIND_KEYWORDS: Dict[str, str] = {
    "environment": r"油烟|噪音|噪声|排污|污染|黑臭|发臭|粉尘|废气|烧煤|焚烧|环保|污水直排|异味",
    "police": r"户口|户籍|落户|迁户|身份证|居住证|护照|出入境|签证|派出所|治安|消防|坐牢|出狱|当兵|入伍",
    "labor_social": r"社保|医保|养老|退休|失业|低保|抚恤|丧葬费|残疾|退役|人社|就业|工伤认定|社会保障|高龄补贴|五保",
    "education": r"学校|学区|入学|上学|幼儿园|学位|教育|高中|初中|小学|校车|网吧|图书馆|健身|体育|文化",
    "health": r"医院|挂号|卫生院|卫生服务|疫苗|诊所|药店|药价|健康证|医疗机构",
    "transport": r"公交|出租车|网约车|班车|客运|高速|红绿灯|信号灯|过街|驾驶证|驾照|年审|审验|罚单|违章|运政|营运|危桥|通车|车辆",
    "commerce": r"营业执照|营业许可|工商|个体户|食品经营|流通许可|许可证|市场监管|景区|旅游|缺斤少两|外卖|报废|出口|退税|招牌|注册公司|企业|交税|纳税|过期",
    "construction": r"燃气|天然气|煤气|暖气|供暖|供热|取暖|停气|停水|自来水|供水|停电|供电|电费|路灯|道路|人行道|井盖|下水|排水"
                    r"|垃圾|环卫|城管|占道|违建|小区|电梯|房产证|不动产|公租房|公积金|危房|确权|办证|老旧小区|公厕|公园|绿化|施工|住房",
}
_DEPARTMENT_KIND_RX = {code: re.compile(p) for code, p in DEPARTMENT_KIND_KEYWORDS.items()}

_ASKS_ARBITRATION = re.compile(r"仲裁")
_NOT_ARBITRATION = re.compile(r"(?:不想|不要|不用|不去|不打算|不愿意?|没有?|没想|别)(?:去|再|申请|打)?$")
_WAGE_OR_DISMISSAL = re.compile(
    r"工资|欠薪|薪水|薪资|讨薪|工钱|加班费|辞退|开除|解雇|炒鱿鱼|裁员|解除劳动合同|解除合同|经济补偿|补偿金|赔偿金"
)
_FAMILY_OR_NEIGHBOUR_ROLES = {"neighbor", "relative", "spouse", "ex_spouse"}
_VILLAGE_BY_PARTY_TYPES = {"debt", "personal_injury", "other", None}

_LINE_NAMES = {"12345": "12345热线", "110": "110", "12348": "12348热线"}


def _name(value: Union[str, dict, None]) -> Optional[str]:
    if isinstance(value, dict):
        return value.get("name") or value.get("code")
    return value


def _asks_arbitration(text: str) -> bool:
    for m in _ASKS_ARBITRATION.finditer(text):
        if not _NOT_ARBITRATION.search(text[max(0, m.start() - 6):m.start()]):
            return True
    return False


def department_for(text: str) -> str:
    """The 12345 department code for a public-service request ("general" when no keyword matches)."""
    for code, rx in _DEPARTMENT_RX.items():
        if rx.search(text or ""):
            return code
    return "general"


def department_kind_for(text: str, route_to: str) -> Optional[Dict[str, str]]:
    """The kind of department that handles a contact routed to `route_to`: 公安 for 110,
    司法行政 for 12348, and for a 12345 request the kind its keywords name (its service desk's
    kind when none matches); None for mediation, 12315, arbitration and the bot itself."""
    if route_to == ROUTE_POLICE:
        code = "police"
    elif route_to == ROUTE_LEGAL:
        code = "justice"
    elif route_to.startswith(ROUTE_CITIZEN_SERVICE_PREFIX):
        desk = route_to[len(ROUTE_CITIZEN_SERVICE_PREFIX):]
        code = next((c for c, rx in _DEPARTMENT_KIND_RX.items() if rx.search(text or "")), None)
        code = code or DESK_KINDS.get(desk, "general")
    else:
        return None
    return {"code": code, "name": DEPARTMENT_KINDS[code]}


def _party_roles(entities: Optional[Sequence[dict]]) -> List[str]:
    return [str(e.get("value")) for e in entities or () if e.get("entity") == "party"]


def _signal_words(signals: Iterable[SignalLike], code: str) -> List[str]:
    words: List[str] = []
    for s in signals or ():
        s_code = getattr(s, "code", None) or (s.get("code") if isinstance(s, dict) else s)
        if s_code == code:
            w = getattr(s, "words", None) if not isinstance(s, dict) else s.get("words")
            words.extend(w or ())
    return words


def _result(to: str, reason: str) -> Dict[str, str]:
    return {"to": to, "reason": reason}


@dataclass(frozen=True)
class _Contact:
    """What the rules read of one triaged contact."""

    intent: Optional[str]
    dispute_type: Optional[str]
    warning_level: Optional[str]
    signals: List[SignalLike]
    codes: List[str]
    line: Optional[str]
    text: str
    entities: Optional[Sequence[dict]]


Route = Dict[str, str]


def _danger(c: _Contact) -> Optional[Route]:
    danger = [code for code in c.codes if code.startswith("danger:")]
    if not danger and c.intent != "emergency":
        return None
    what = "、".join(DANGER_NAMES.get(code, code) for code in danger) or "来电人报告紧急情况"
    return _result(ROUTE_POLICE, f"存在现实危险（{what}），属紧急警情，立即转110处置。")


def _person_asked_for(c: _Contact) -> Optional[Route]:
    if c.intent != "request_human":
        return None
    to = c.line if c.line in ("12348", "110") else ROUTE_CITIZEN_SERVICE_PREFIX + "general"
    desk = {"12348": "12348热线", "110": "110接警"}.get(to, "12345热线")
    return _result(to, f"来电人要求人工服务，转{desk}人工坐席接听。")


def _urgent(c: _Contact) -> Optional[Route]:
    if not is_urgent(c.warning_level):
        return None
    color, to, centre = (
        ("橙色", ROUTE_MEDIATION_CITY, "市级矛盾纠纷调处中心")
        if c.warning_level == "orange"
        else ("红色", ROUTE_MEDIATION_TOWN, "镇（街道）矛盾纠纷调处中心")
    )
    count = people_count_from_signals(c.codes)
    if COLLECTIVE in c.codes and ((count or 0) >= 5 or (count is None and MASS_GROUP in c.codes)):
        who = f"涉及{count}人以上" if count else "涉及多人"
        return _result(to, f"{who}群体性上访苗头，{color}预警，交{centre}。")
    words = "、".join(_signal_words(c.signals, ESCALATION))
    sign = f"（{words}）" if words else ""
    return _result(to, f"纠纷有激化苗头{sign}，存在民转刑风险，{color}预警，交{centre}跟进调处。")


def _public_service(c: _Contact) -> Optional[Route]:
    if c.intent != "public_service":
        return None
    dept = department_for(c.text)
    return _result(ROUTE_CITIZEN_SERVICE_PREFIX + dept, f"非纠纷类民生诉求，转12345交{DEPARTMENTS[dept]}办理。")


def _bot_answers(c: _Contact) -> Optional[Route]:
    if c.intent == "check_status":
        return _result(ROUTE_SELF_SERVICE, "查询已有案件的办理进度，由机器人直接答复。")
    if c.intent in SMALL_TALK_INTENTS:
        return _result(ROUTE_SELF_SERVICE, "无需转办，由机器人直接答复。")
    return None


def _legal(c: _Contact) -> Optional[Route]:
    if c.intent != "ask_legal":
        return None
    if c.line == "12348":
        return _result(ROUTE_LEGAL, "法律咨询，由12348热线律师解答，引导依法维权。")
    transfer = f"从{_LINE_NAMES[c.line]}一键转接12348" if c.line in _LINE_NAMES else "转12348公共法律服务热线"
    return _result(ROUTE_LEGAL, f"法律咨询，{transfer}，由律师解答，引导依法维权。")


def _nothing_to_route(c: _Contact) -> Optional[Route]:
    if c.dispute_type is None and c.intent != "report_dispute":
        return _result(ROUTE_SELF_SERVICE, "未识别出纠纷或明确诉求，由机器人继续询问。")
    return None


def _consumer(c: _Contact) -> Optional[Route]:
    if c.dispute_type != "consumer":
        return None
    return _result(ROUTE_CONSUMER, "消费维权纠纷，转12315消费者投诉举报平台处理。")


def _labor(c: _Contact) -> Optional[Route]:
    if c.dispute_type != "labor":
        return None
    if _asks_arbitration(c.text) and _WAGE_OR_DISMISSAL.search(c.text):
        return _result(ROUTE_LABOR_ARBITRATION,
                       "欠薪或解除劳动关系争议，来电人要求仲裁，引导向劳动人事争议仲裁委员会申请仲裁。")
    return _result(ROUTE_MEDIATION_TOWN, "劳动争议，交镇（街道）矛盾纠纷调处中心调解；调解不成可申请劳动仲裁。")


def _committee(c: _Contact) -> Optional[Route]:
    if c.dispute_type not in COMMITTEE_TYPES:
        return None
    return _result(ROUTE_COMMITTEE_PREFIX + c.dispute_type,
                   f"{DISPUTE_TYPES[c.dispute_type]}，交{COMMITTEE_NAMES[c.dispute_type]}专业调解。")


def _village(c: _Contact) -> Optional[Route]:
    roles = _party_roles(c.entities)
    family_or_neighbours = c.dispute_type in _VILLAGE_BY_PARTY_TYPES and roles and set(roles) <= _FAMILY_OR_NEIGHBOUR_ROLES
    if c.dispute_type != "neighbor" and not family_or_neighbours:
        return None
    kind = "邻里纠纷" if c.dispute_type == "neighbor" or "neighbor" in roles else "家庭成员间纠纷"
    return _result(ROUTE_MEDIATION_VILLAGE, f"一般{kind}，交村（社区）人民调解委员会就地调解。")


def _town(c: _Contact) -> Route:
    name = DISPUTE_TYPES.get(c.dispute_type, "纠纷") if c.dispute_type else "纠纷"
    return _result(ROUTE_MEDIATION_TOWN, f"{name}，交镇（街道）矛盾纠纷调处中心调解。")


# The precedence of the module docstring, as a table: the first rule that answers wins, and a dispute that no
# rule places goes to the town's mediation centre.
RULES: Tuple[Tuple[str, Callable[[_Contact], Optional[Route]]], ...] = (
    ("danger", _danger),
    ("request_human", _person_asked_for),
    ("warning_level", _urgent),
    ("public_service", _public_service),
    ("bot_answers", _bot_answers),
    ("ask_legal", _legal),
    ("no_dispute", _nothing_to_route),
    ("consumer", _consumer),
    ("labor", _labor),
    ("committee", _committee),
    ("village", _village),
)


def route(
    intent: Union[str, dict],
    dispute_type: Union[str, dict, None],
    warning_level: Optional[str],
    signals: Iterable[SignalLike],
    line: Optional[str] = None,
    *,
    text: str = "",
    entities: Optional[Sequence[dict]] = None,
) -> Route:
    """{"to", "reason"} for a triaged message; precedence in the module docstring (RULES)."""
    code = _name(dispute_type)
    signals = list(signals or ())
    contact = _Contact(intent=_name(intent), dispute_type=None if code == "none" else code,
                       warning_level=warning_level, signals=signals, codes=list(signal_codes(signals)),
                       line=str(line) if line is not None else None, text=text or "", entities=entities)
    for _, rule in RULES:
        found = rule(contact)
        if found is not None:
            return found
    return _town(contact)
