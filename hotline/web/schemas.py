"""Every request body and query of the JSON API, declared once (pydantic 1.x): validated here, documented from here.

Codes (outcomes, party roles...) are typed and listed here; whether a code
fits the case is still the service's word (hotline.cases.service), with its
own Chinese message.
"""
from __future__ import annotations

from typing import Any, Dict, List, Literal, Optional, Type, TypeVar

from pydantic import BaseModel, Extra, Field, StrictBool, StrictStr, ValidationError, conint, validator

from hotline.cases.lifecycle import DIFFICULTIES, DOCUMENT_KINDS, NEXT_PATHS, OUTCOMES, PARTY_ROLES, TRANSFER_DESTINATIONS
from hotline.triage import DISPUTE_TYPES
from hotline.triage.taxonomy import INTENTS, LINES

MAX_TEXT = 5000
MAX_NOTE = 2000
MAX_PEOPLE = 100_000  # more people than any dispute a hotline registers; beyond it is a typo or a probe
MAX_ID = 2**31 - 1  # the largest row id in either database
IDEMPOTENCY_KEY_MAX = 128

Model = TypeVar("Model", bound=BaseModel)
Level = Optional[Literal["orange", "red", "yellow"]]
Sender = Literal["citizen", "bot", "mediator", "system"]


def _codes(names: Dict[str, str]) -> List[str]:
    """Codes and their Chinese names: the service takes either."""
    return [*names, *names.values()]


def _nullable(schema: Dict[str, Any], model: Type[BaseModel]) -> None:
    """pydantic 1 leaves null out of Optional fields; the API takes null wherever a field may be left out."""
    for name, field in model.__fields__.items():
        prop = schema["properties"].get(field.alias)
        if prop is None or not field.allow_none:
            continue
        if "type" in prop:
            prop["type"] = [prop["type"], "null"]
            if "enum" in prop:
                prop["enum"] = [*prop["enum"], None]
        elif "allOf" in prop:
            prop["anyOf"] = [*prop.pop("allOf"), {"type": "null"}]


class Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        anystr_strip_whitespace = True
        schema_extra = staticmethod(_nullable)


class Open(BaseModel):
    """Parts of a triage record: known fields are typed, others (added by later versions) are kept."""

    class Config:
        extra = Extra.allow
        anystr_strip_whitespace = True
        schema_extra = staticmethod(_nullable)


# --- the triage record (TAXONOMY) ----------------------------------------------------


class TriageIntent(Open):
    name: StrictStr = Field(..., max_length=64)
    confidence: Optional[float] = Field(None, ge=0, le=1)


class TriageDispute(Open):
    code: Optional[Literal[tuple(DISPUTE_TYPES)]] = None  # type: ignore[valid-type]
    confidence: Optional[float] = Field(None, ge=0, le=1)


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
    signals: List[Dict[str, Any]] = Field(default_factory=list, max_items=50)
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
    triage: Optional[TriageRecord] = Field(None, description="a full triage record; when given, dispute_type and "
                                                             "intent are ignored")
    location: Optional[StrictStr] = Field(None, max_length=255)
    respondent: Optional[StrictStr] = Field(None, max_length=255, description="被申请人 (links collective disputes)")
    people_count: Optional[conint(strict=True, ge=1, le=MAX_PEOPLE)] = None  # type: ignore[valid-type]
    contact_phone: Optional[StrictStr] = Field(None, max_length=32)
    pii_consent: StrictBool = False
    intake_key: Optional[StrictStr] = Field(None, max_length=IDEMPOTENCY_KEY_MAX,
                                            description="idempotency key (or the Idempotency-Key header)")
    transcript: List[TranscriptLine] = Field(default_factory=list, max_items=500)


class Note(Strict):
    note: Optional[StrictStr] = Field(None, max_length=MAX_NOTE, description="备注（可选）")


class Reason(Strict):
    reason: Optional[StrictStr] = Field(None, max_length=MAX_NOTE, description="理由（必填）")


class Assign(Strict):
    organisation: Optional[StrictStr] = Field(None, max_length=64, description="organisation code; chosen from "
                                                                                "route, tier and place when left out")
    note: Optional[StrictStr] = Field(None, max_length=MAX_NOTE)


class Transfer(Strict):
    to: StrictStr = Field(..., min_length=1, max_length=80, description="one of " + ", ".join(TRANSFER_DESTINATIONS)
                                                                        + ", or org:<organisation code>")
    reason: Optional[StrictStr] = Field(None, max_length=MAX_NOTE)


class Resolve(Strict):
    outcome: StrictStr = Field(..., max_length=32, enum=_codes(OUTCOMES))
    difficulty: StrictStr = Field(..., max_length=32, enum=_codes(DIFFICULTIES),
                                  description="一般 / 疑难 / 重大 (case subsidy 100 / 200 / 300 yuan)")
    agreement: Optional[StrictStr] = Field(None, max_length=20000, description="required when the outcome is success")
    next_path: Optional[StrictStr] = Field(None, max_length=32, enum=_codes(NEXT_PATHS),
                                           description="required when mediation failed")
    note: Optional[StrictStr] = Field(None, max_length=MAX_NOTE)


class Evaluate(Strict):
    rating: conint(strict=True, ge=1, le=5)  # type: ignore[valid-type]
    comment: Optional[StrictStr] = Field(None, max_length=MAX_NOTE)


class WarningLevel(Strict):
    level: Level = Field(..., description="orange > red > yellow; null lifts the level")
    reason: Optional[StrictStr] = Field(None, max_length=MAX_NOTE)


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
    """The request models as OpenAPI components (nested models become their own components)."""
    from pydantic.schema import schema

    return schema(REQUEST_MODELS, ref_prefix="#/components/schemas/")["definitions"]
