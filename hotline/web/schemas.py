"""Every request body and answer of the JSON API, declared once (pydantic 1.x): validated here, documented from here.

Codes (outcomes, party roles...) are typed and listed here; whether a code
fits the case is still the service's word (hotline.cases.service), with its
own Chinese message.
"""
from __future__ import annotations

from typing import Any, Dict, List, Literal, Optional, Type, TypeVar

from pydantic import BaseModel, ConstrainedFloat, ConstrainedInt, Extra, Field, StrictBool, StrictStr, ValidationError, validator

from hotline.cases.lifecycle import (
    DIFFICULTIES,
    DOCUMENT_KINDS,
    NEXT_PATHS,
    OUTCOMES,
    PARTY_ROLES,
    STATUS_NAMES,
    TIERS,
    TRANSFER_DESTINATIONS,
)
from hotline.conversations.handoff import REASONS as HANDOFF_REASONS
from hotline.conversations.inbox import CHANNELS as INBOX_CHANNELS
from hotline.triage import DISPUTE_TYPES
from hotline.triage.taxonomy import INTENTS, LINES, WARNING_LEVELS

MAX_TEXT = 5000
MAX_NOTE = 2000
MAX_PEOPLE = 100_000  # more people than any dispute a hotline registers; beyond it is a typo or a probe
MAX_ID = 2**31 - 1  # the largest row id in either database
IDEMPOTENCY_KEY_MAX = 128
# Query parameters of GET /api/cases (api.py reads them, openapi.py documents them).
OVERDUE_VALUES = ("true", "false", "1", "0")
WARNING_FILTERS = (*WARNING_LEVELS, "none")
# A header value is Latin-1; the key is visible characters (str.isprintable), and HTTP drops spaces at either end.
_HIDDEN = "\\x00-\\x1f\\x7f-\\xa0\\xad"
IDEMPOTENCY_KEY_PATTERN = f"^[^{_HIDDEN} ]([^{_HIDDEN}]*[^{_HIDDEN} ])?$"

Model = TypeVar("Model", bound=BaseModel)
Level = Optional[Literal[tuple(WARNING_LEVELS)]]  # type: ignore[valid-type]
Sender = Literal["citizen", "bot", "mediator", "system"]


def _codes(names: Dict[str, str]) -> List[str]:
    """Codes and their Chinese names: the service takes either."""
    return [*names, *names.values()]


# What str.strip() removes (str.isspace), spelled out: JSON Schema's \s is not Python's (\x1c-\x1f, \x85, \ufeff).
_SPACE = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
NOT_BLANK = f"[^{_SPACE}]"


def _document(schema: Dict[str, Any], model: Type[BaseModel]) -> None:
    """What the published schema must say beyond pydantic 1's own, so that it describes what parse() takes.

    - pydantic 1 leaves null out of Optional fields; the API takes null wherever a field may be left out.
    - Strings are stripped before their length is checked: a required text needs one character that is not a space.
    """
    for name, field in model.__fields__.items():
        prop = schema["properties"].get(field.alias)
        if prop is None:
            continue
        if prop.get("minLength", 0) > 0 and model.__config__.anystr_strip_whitespace:
            prop["pattern"] = NOT_BLANK
        if not field.allow_none:
            continue
        if "type" in prop:
            prop["type"] = [prop["type"], "null"]
            if "enum" in prop:
                prop["enum"] = [*prop["enum"], None]
        elif "allOf" in prop:
            prop["anyOf"] = [*prop.pop("allOf"), {"type": "null"}]
        elif "$ref" in prop:
            prop["anyOf"] = [{"$ref": prop.pop("$ref")}, {"type": "null"}]


class _WholeNumber(ConstrainedInt):
    """A JSON integer as JSON Schema counts them: 3 and 3.0 (both are the integer 3), never 3.5, "3" or true."""

    strict = True

    @classmethod
    def __get_validators__(cls):
        yield cls._integral
        yield from super().__get_validators__()

    @classmethod
    def _integral(cls, value: Any) -> Any:
        return int(value) if isinstance(value, float) and value.is_integer() else value


def whole(ge: int, le: int) -> Type[int]:
    """An integer field from `ge` to `le`; the document says {"type": "integer", "minimum", "maximum"}."""
    return type("WholeNumber", (_WholeNumber,), {"ge": ge, "le": le})


class _JsonNumber(ConstrainedFloat):
    """A JSON number: 1 and 0.5, never true, "0.5" or a number too large for a float."""

    strict = True

    @classmethod
    def __get_validators__(cls):
        yield cls._number
        yield from super().__get_validators__()

    @classmethod
    def _number(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return float(value)
            except OverflowError:
                raise ValueError("数值太大") from None
        return value


def number(ge: float, le: float) -> Type[float]:
    return type("JsonNumber", (_JsonNumber,), {"ge": ge, "le": le})


class _Body(BaseModel):
    """A part of a request body: text is stripped of surrounding spaces, its length counted as sent."""

    class Config:
        anystr_strip_whitespace = True
        schema_extra = staticmethod(_document)

    @validator("*", pre=True)
    def _length_as_sent(cls, value, field):  # noqa: N805
        # pydantic 1 strips before it counts: " " + 128 characters would pass a limit of 128 the document states.
        limit = field.field_info.max_length
        if isinstance(value, str) and limit is not None and len(value) > limit:
            raise ValueError(f"太长（不超过 {limit}）")
        return value


class Strict(_Body):
    class Config:
        extra = Extra.forbid


class Open(_Body):
    """Parts of a triage record: known fields are typed, others (added by later versions) are kept."""

    class Config:
        extra = Extra.allow


# --- the triage record (TAXONOMY) ----------------------------------------------------


class TriageIntent(Open):
    name: StrictStr = Field(..., max_length=64)
    confidence: Optional[number(0, 1)] = None  # type: ignore[valid-type]


class TriageDispute(Open):
    code: Optional[Literal[tuple(DISPUTE_TYPES)]] = None  # type: ignore[valid-type]
    confidence: Optional[number(0, 1)] = None  # type: ignore[valid-type]


class TriageEntity(Open):
    entity: StrictStr = Field(..., max_length=64)
    value: Any = None

    @validator("value")
    def _bounded(cls, value, values):  # noqa: N805
        if values.get("entity") == "people_count" and not (
                isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_PEOPLE):
            raise ValueError(f"人数应为 1 到 {MAX_PEOPLE} 的整数")
        if isinstance(value, str) and len(value) > MAX_NOTE:
            raise ValueError("太长")
        return value


class TriageSignal(Open):
    code: StrictStr = Field(..., max_length=64, description="the risk signal's code (TAXONOMY)")
    words: List[StrictStr] = Field(default_factory=list, max_items=50, description="the words that raised it")


class TriageRoute(Open):
    to: Optional[StrictStr] = Field(None, max_length=80)
    reason: Optional[StrictStr] = Field(None, max_length=MAX_NOTE)


class TriageRecord(Open):
    """The record the triage builds (build_record); a system that triaged itself may send its own."""

    text: Optional[StrictStr] = Field(None, max_length=MAX_TEXT)
    line: Optional[Literal[tuple(LINES)]] = None  # type: ignore[valid-type]
    intent: Optional[TriageIntent] = None
    dispute_type: Optional[TriageDispute] = None
    warning_level: Level = None
    risk_signals: List[StrictStr] = Field(default_factory=list, max_items=50)
    signals: List[TriageSignal] = Field(default_factory=list, max_items=50)
    entities: List[TriageEntity] = Field(default_factory=list, max_items=200)
    route: Optional[TriageRoute] = None


# --- request bodies -----------------------------------------------------------------


class TranscriptLine(Strict):
    sender: Sender
    text: StrictStr = Field(..., max_length=MAX_TEXT)


class NewCase(Strict):
    text: StrictStr = Field(..., min_length=1, max_length=MAX_TEXT, description="诉求原文")
    line: Optional[Literal[tuple(LINES)]] = None  # type: ignore[valid-type]
    channel: Optional[StrictStr] = Field(None, max_length=16, description="default: api")
    sender_id: Optional[StrictStr] = Field(None, max_length=128)
    dispute_type: Optional[StrictStr] = Field(None, max_length=32, enum=list(DISPUTE_TYPES))
    intent: Optional[Literal[tuple(INTENTS)]] = Field(None, description="default: report_dispute")  # type: ignore
    triage: Optional[TriageRecord] = Field(None, description="a full triage record; when given, it takes precedence "
                                                             "over dispute_type and intent (which must still be valid)")
    location: Optional[StrictStr] = Field(None, max_length=255)
    respondent: Optional[StrictStr] = Field(None, max_length=255, description="被申请人 (links collective disputes)")
    people_count: Optional[whole(1, MAX_PEOPLE)] = None  # type: ignore[valid-type]
    contact_phone: Optional[StrictStr] = Field(None, max_length=32)
    pii_consent: StrictBool = False
    intake_key: Optional[StrictStr] = Field(None, max_length=IDEMPOTENCY_KEY_MAX,
                                            description="idempotency key (or the Idempotency-Key header)")
    transcript: List[TranscriptLine] = Field(default_factory=list, max_items=500)


class Note(Strict):
    note: Optional[StrictStr] = Field(None, max_length=MAX_NOTE, description="备注（可选）")


class Reason(Strict):
    reason: StrictStr = Field(..., min_length=1, max_length=MAX_NOTE, description="理由")


class Assign(Strict):
    organisation: Optional[StrictStr] = Field(None, max_length=64, description="organisation code; chosen from "
                                                                                "route, tier and place when left out")
    note: Optional[StrictStr] = Field(None, max_length=MAX_NOTE)


class Transfer(Strict):
    to: StrictStr = Field(..., min_length=1, max_length=80, description="one of " + ", ".join(TRANSFER_DESTINATIONS)
                                                                        + ", or org:<organisation code>")
    reason: StrictStr = Field(..., min_length=1, max_length=MAX_NOTE, description="理由")


class Resolve(Strict):
    outcome: StrictStr = Field(..., max_length=32, enum=_codes(OUTCOMES))
    difficulty: StrictStr = Field(..., max_length=32, enum=_codes(DIFFICULTIES),
                                  description="一般 / 疑难 / 重大 (case subsidy 100 / 200 / 300 yuan)")
    agreement: Optional[StrictStr] = Field(None, max_length=20000, description="required when the outcome is success")
    next_path: Optional[StrictStr] = Field(None, max_length=32, enum=_codes(NEXT_PATHS),
                                           description="required when mediation failed")
    note: Optional[StrictStr] = Field(None, max_length=MAX_NOTE)


class Evaluate(Strict):
    rating: whole(1, 5)  # type: ignore[valid-type]
    comment: Optional[StrictStr] = Field(None, max_length=MAX_NOTE)


class WarningLevel(Strict):
    level: Level = Field(..., description="orange > red > yellow; null lifts the level")
    reason: StrictStr = Field(..., min_length=1, max_length=MAX_NOTE, description="理由")


class Party(Strict):
    role: StrictStr = Field(..., max_length=32, enum=_codes(PARTY_ROLES))
    name: StrictStr = Field(..., min_length=1, max_length=255)
    phone: Optional[StrictStr] = Field(None, max_length=32, description="only with the citizen's consent")
    note: Optional[StrictStr] = Field(None, max_length=MAX_NOTE)


class Document(Strict):
    kind: StrictStr = Field(..., max_length=32, enum=_codes(DOCUMENT_KINDS))
    title: StrictStr = Field(..., min_length=1, max_length=255)
    body: Optional[StrictStr] = Field(None, max_length=50000)


class ClaimNext(Strict):
    organisation: Optional[StrictStr] = Field(None, max_length=64)
    dispute_type: Optional[Literal[tuple(DISPUTE_TYPES)]] = None  # type: ignore[valid-type]


class Reply(Strict):
    text: StrictStr = Field(..., min_length=1, max_length=2000, description="回复群众的内容")


class Empty(Strict):
    """Operations that take no body (an empty object is fine)."""


REQUEST_MODELS: List[Type[BaseModel]] = [NewCase, Note, Reason, Assign, Transfer, Resolve, Evaluate, WarningLevel,
                                         Party, Document, ClaimNext, Reply, Empty]


# --- answers (documented from here; tests check every answer against them) -----------

DATETIME = dict(format="date-time", description="UTC, ISO 8601 with Z")
Status = Literal[tuple(STATUS_NAMES)]  # type: ignore[valid-type]
Tier = Optional[Literal[tuple(TIERS)]]  # type: ignore[valid-type]


class CodeName(Strict):
    code: StrictStr
    name: StrictStr


class PersonRef(Strict):
    username: StrictStr
    display_name: StrictStr


class CaseRoute(Strict):
    to: Optional[StrictStr] = Field(...)
    reason: Optional[StrictStr] = Field(...)


class GroupMember(Strict):
    number: StrictStr
    status: StrictStr
    warning_level: Level = Field(...)
    people_count: Optional[int] = Field(...)
    location: Optional[StrictStr] = Field(...)
    respondent: Optional[StrictStr] = Field(...)


class GroupRef(Strict):
    id: int
    head_count: int
    warning_level: Level = Field(...)
    members: List[GroupMember] = Field(None, description="in a case's detail: the other cases of the group")


class CaseSummary(Strict):
    number: StrictStr = Field(..., description="案件编号, e.g. JF20261122000001")
    status: Status
    status_name: StrictStr
    warning_level: Level = Field(..., description="orange > red > yellow; null: none")
    warning_name: StrictStr
    dispute_type: Optional[CodeName] = Field(...)
    description: StrictStr
    location: Optional[StrictStr] = Field(...)
    line: Optional[StrictStr] = Field(...)
    channel: StrictStr
    urgency: Literal["emergency", "general", "complex"]
    urgency_name: StrictStr
    deadline_at: StrictStr = Field(..., **DATETIME)
    overdue: bool = Field(..., description="still open and past its deadline")
    escalations: int = Field(..., ge=0)
    route: CaseRoute
    tier: Tier = Field(...)
    tier_name: Optional[StrictStr] = Field(...)
    committee: Optional[StrictStr] = Field(...)
    organisation: Optional[CodeName] = Field(...)
    assignee: Optional[PersonRef] = Field(...)
    respondent: Optional[StrictStr] = Field(...)
    people_count: Optional[int] = Field(...)
    group: Optional[GroupRef] = Field(...)
    transferred_to: Optional[StrictStr] = Field(...)
    outcome: Optional[CodeName] = Field(...)
    difficulty: Optional[CodeName] = Field(...)
    next_path: Optional[CodeName] = Field(...)
    callback_requested_at: Optional[StrictStr] = Field(
        ..., format="date-time",
        description="UTC, ISO 8601 with Z: a person must phone the citizen (they asked, or a message did not reach them)")
    created_at: StrictStr = Field(..., **DATETIME)
    updated_at: StrictStr = Field(..., **DATETIME)


class Message(Strict):
    id: int
    sender: Sender
    author: Optional[StrictStr] = Field(..., description="the person who wrote it (user:zhang)")
    text: StrictStr
    at: StrictStr = Field(..., **DATETIME)


class Handoff(Strict):
    status: Literal["waiting", "active", "ended", "timed_out"]
    reason: Literal[tuple(HANDOFF_REASONS)]  # type: ignore[valid-type]
    reason_name: StrictStr
    channel: StrictStr
    requested_at: StrictStr = Field(..., **DATETIME)
    accepted_at: Optional[StrictStr] = Field(..., **DATETIME)
    accepted_by: Optional[PersonRef] = Field(...)
    ended_at: Optional[StrictStr] = Field(..., **DATETIME)


class CaseEventOut(Strict):
    at: StrictStr = Field(..., **DATETIME)
    actor: StrictStr
    action: StrictStr
    action_name: StrictStr
    from_status: Optional[StrictStr] = Field(...)
    to_status: Optional[StrictStr] = Field(...)
    note: Optional[StrictStr] = Field(...)
    detail: Optional[Dict[str, Any]] = Field(...)


class PartyOut(Strict):
    role: Literal[tuple(PARTY_ROLES)]  # type: ignore[valid-type]
    role_name: StrictStr
    name: StrictStr
    phone: Optional[StrictStr] = Field(...)


class DocumentOut(Strict):
    kind: Literal[tuple(DOCUMENT_KINDS)]  # type: ignore[valid-type]
    kind_name: StrictStr
    title: StrictStr
    body: StrictStr
    created_by: StrictStr
    created_at: StrictStr = Field(..., **DATETIME)


class Undelivered(Strict):
    at: StrictStr = Field(..., **DATETIME)
    channel: StrictStr
    text: StrictStr


class CaseDetail(CaseSummary):
    triage: Dict[str, Any] = Field(..., description="the triage record")
    risk_signals: List[StrictStr]
    pii_consent: bool
    contact_phone: Optional[StrictStr] = Field(...)
    agreement: Optional[StrictStr] = Field(...)
    subsidy_yuan: Optional[int] = Field(...)
    rating: Optional[int] = Field(...)
    evaluation: Optional[StrictStr] = Field(...)
    citizen_rating: Optional[int] = Field(..., description="the citizen's own 1-5 rating, asked after resolution")
    citizen_comment: Optional[StrictStr] = Field(...)
    rated_at: Optional[StrictStr] = Field(..., **DATETIME)
    undelivered: List[Undelivered] = Field(..., description="messages to the citizen that finally failed, newest first")
    handoff: Optional[Handoff] = Field(..., description="the latest hand-off to a person")
    resolved_at: Optional[StrictStr] = Field(..., **DATETIME)
    closed_at: Optional[StrictStr] = Field(..., **DATETIME)
    messages: List[Message]
    events: List[CaseEventOut] = Field(..., description="the append-only audit trail")
    parties: List[PartyOut]
    documents: List[DocumentOut]
    allowed_transitions: List[StrictStr]


class Messages(Strict):
    messages: List[Message]
    handoff: Optional[Handoff] = Field(...)


class WaitingHandoff(Strict):
    case: CaseSummary
    handoff: Handoff
    waited_seconds: int


class Handoffs(Strict):
    items: List[WaitingHandoff]


class Queue(Strict):
    total: int = Field(..., description="cases waiting, counted up to 10,000")
    total_exact: bool = Field(..., description="false when more than 10,000 wait (total is then 10,000)")
    items: List[CaseSummary]


class CaseList(Strict):
    items: List[CaseSummary]
    next_cursor: Optional[StrictStr] = Field(..., description="pass as ?cursor= for the next page")


class Group(Strict):
    id: int
    dispute_type: Optional[CodeName] = Field(...)
    respondent: Optional[StrictStr] = Field(...)
    place: Optional[StrictStr] = Field(...)
    head_count: int
    warning_level: Level = Field(...)
    created_at: StrictStr = Field(..., **DATETIME)
    members: List[CaseSummary]


class OrganisationOut(Strict):
    code: StrictStr
    name: StrictStr
    kind: StrictStr
    tier: Tier = Field(...)
    area: Optional[StrictStr] = Field(...)
    parent: Optional[StrictStr] = Field(...)
    routes: List[StrictStr]
    specialisms: List[StrictStr]


class Organisations(Strict):
    items: List[OrganisationOut]


class Health(Strict):
    status: Literal["ok"]
    database: Literal["ok"]


class ErrorBody(Strict):
    code: StrictStr
    message: StrictStr


class Error(Strict):
    error: ErrorBody


class ConversationMessage(Open):
    direction: Literal["in", "out"]
    at: StrictStr = Field(..., **DATETIME)
    provider_id: Optional[StrictStr] = Field(..., description="MsgId / MessageSid / CallSid:turn")
    text: Optional[StrictStr] = Field(..., description="inbound text is masked once processed")
    state: Literal["received", "processing", "processed", "failed", "pending", "sending", "sent", "delivered"]


class ConversationMessages(Strict):
    channel: Literal[tuple(INBOX_CHANNELS)]  # type: ignore[valid-type]
    provider_user_id: StrictStr
    messages: List[ConversationMessage]


class Meta(BaseModel):
    """The codes the API takes, with their Chinese names."""

    class Config:
        extra = Extra.allow


RESPONSE_MODELS: List[Type[BaseModel]] = [CaseSummary, CaseDetail, Message, Handoff, Messages, Handoffs, Queue,
                                          CaseList, Group, Organisations, Health, Error, Meta,
                                          ConversationMessages]


# --- validation and its Chinese answer ------------------------------------------------


class Invalid(ValueError):
    """A request that does not fit its schema; `message` is what the caller reads."""

    def __init__(self, message: str, code: str = "invalid_field") -> None:
        super().__init__(message)
        self.message, self.code = message, code


def _reason(error: Dict[str, Any]) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "value_error.missing":
        return "缺少此字段"
    if kind == "value_error.extra":
        return "不认识的字段"
    if kind.endswith("max_length") or kind.endswith("max_items"):
        return f"太长（不超过 {ctx.get('limit_value')}）"
    if kind.endswith("min_length") or kind.endswith("min_items"):
        return "不能为空"
    if kind in ("value_error.number.not_le", "value_error.number.not_lt"):
        return f"太大（不超过 {ctx.get('limit_value')}）"
    if kind in ("value_error.number.not_ge", "value_error.number.not_gt"):
        return f"太小（不小于 {ctx.get('limit_value')}）"
    if kind == "value_error.const" or kind == "type_error.literal" or kind.startswith("value_error.literal"):
        allowed = ctx.get("permitted") or ctx.get("given") or ()
        return "应为 " + "、".join("null" if a is None else str(a) for a in allowed) + " 之一"
    if kind == "type_error.none.not_allowed":
        return "不能为 null"
    if kind.startswith("type_error.str"):
        return "应为字符串"
    if kind.startswith("type_error.integer"):
        return "应为整数"
    if kind.startswith("type_error.bool"):
        return "应为 true 或 false"
    if kind.startswith("type_error.list"):
        return "应为列表"
    if kind.startswith("type_error.dict") or kind.startswith("type_error.model"):
        return "应为对象"
    if kind.startswith("type_error.float") or kind.startswith("type_error.number"):
        return "应为数字"
    if kind == "value_error" and any("\u4e00" <= ch <= "\u9fff" for ch in error.get("msg", "")):
        return error["msg"]
    if kind.startswith("type_error"):
        return "类型不对"
    return "取值不正确"


def chinese(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"] if part != "__root__") or "请求体"
    return f"字段 {where} 不正确：{_reason(first)}。"


def parse(model: Type[Model], payload: Any) -> Model:
    if not isinstance(payload, dict):
        raise Invalid("请求体应是 JSON 对象。", "invalid_json")
    try:
        return model.parse_obj(payload)
    except ValidationError as error:
        missing = error.errors()[0]["type"] == "value_error.missing"
        raise Invalid(chinese(error), "missing_field" if missing else "invalid_field") from None


def openapi_schemas() -> Dict[str, Any]:
    """Request and answer models as OpenAPI components (nested models become their own components)."""
    from pydantic.schema import schema

    return schema([*REQUEST_MODELS, *RESPONSE_MODELS], ref_prefix="#/components/schemas/")["definitions"]
