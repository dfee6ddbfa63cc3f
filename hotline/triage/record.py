"""The triage record of docs/TAXONOMY.md, built from a message and the NLU model's output.

``build_record`` joins the model's intent and dispute type with the rule
entities, risk signals, warning level and route. Decisions it makes:

- A danger signal makes the intent ``emergency`` (confidence 1.0, a rule
  decision) and keeps the model's intent as ``intent.original``; the route
  is then 110. Safety wins over precision. An emergency, whether the rules
  or the model found it, is at least red.
- dispute_type is null for intents that are never about a dispute
  (NON_DISPUTE_INTENTS) unless a danger signal fires; the classifier's
  ``none`` label is null too. An unknown dispute code is a contract
  violation and raises ValueError.
- ``dispute_type_ranking`` holds the classifier's best readings (at most
  three, each with its own confidence), the record's dispute type first; it
  is empty when the record has no dispute type.
- The message counts as a dispute (for the yellow level) when it has a
  dispute type or the intent is report_dispute.
- Model entities are merged with the rule entities: a model entity with the
  same span as a rule entity is dropped, and for the kinds the rules
  normalise (people_count, amount, duration, location, party, phone,
  id_number) an overlapping rule entity of the same kind wins. Model
  entities that stay keep only the five record keys; a people_count or
  amount given as text is parsed.
- ``department`` names the kind of department that handles the contact, from
  its route (routing.department_kind_for): 公安 for 110, 司法行政 for 12348,
  a 12345 kind (城乡建设, 交通运输, …) by keyword for a 12345 request; null for
  mediation, 12315, arbitration and what the bot answers itself.
- The record holds the raw text and any phone numbers in it: callers that
  log or display it to people without a need to know use ``mask_pii``.
"""

from typing import Dict, List, Optional, Sequence, Union

from .entities import extract_entities, people_count
from .numbers import parse_chinese_number
from .risk import detect_signals, has_danger, warning_level
from .routing import department_kind_for, route
from .taxonomy import DISPUTE_TYPES, NO_DISPUTE, NON_DISPUTE_INTENTS, higher_level

# How many of the classifier's readings the record keeps: a hotline seat shows the top three.
DISPUTE_RANKING_LENGTH = 3
NORMALISED_KINDS = frozenset({"people_count", "amount", "duration", "location", "party", "phone", "id_number"})


def _confidence(value) -> Optional[float]:
    # Rasa may hand over numpy floats; the record must stay JSON-serialisable.
    return None if value is None else float(value)


def _intent(intent: Union[str, dict, None]) -> Dict[str, object]:
    if intent is None:
        return {"name": None, "confidence": None}
    if isinstance(intent, str):
        return {"name": intent, "confidence": None}
    return {"name": intent.get("name"), "confidence": _confidence(intent.get("confidence"))}


def _dispute_type(dispute_type: Union[str, dict, None]) -> Optional[Dict[str, object]]:
    if dispute_type is None:
        return None
    if isinstance(dispute_type, str):
        code, confidence = dispute_type, None
    else:
        code, confidence = dispute_type.get("code"), _confidence(dispute_type.get("confidence"))
    if code in (None, "", NO_DISPUTE):
        return None
    if code not in DISPUTE_TYPES:
        raise ValueError(f"unknown dispute type code {code!r}; expected one of {', '.join(DISPUTE_TYPES)} or none")
    return {"code": code, "name": DISPUTE_TYPES[code], "confidence": confidence}


def with_dispute_type(record: Dict[str, object], code: Optional[str]) -> Dict[str, object]:
    """The record with the dispute type a person gave (the citizen later in the report, or a correction in the
    read-back): no confidence, since no model read it. The same record when the code is empty, unchanged or
    not a dispute type (a slot holds what a conversation put there: never a reason to lose the report)."""
    current = record.get("dispute_type") or {}
    if code not in DISPUTE_TYPES or code == current.get("code"):
        return record
    return {**record, "dispute_type": _dispute_type(code)}


def _dispute_ranking(dtype: Optional[Dict[str, object]], ranking: Optional[Sequence[dict]]) -> List[Dict[str, object]]:
    if dtype is None:
        return []
    ranked = [dict(dtype)]
    for item in ranking or []:
        other = _dispute_type(item) if isinstance(item, dict) else None
        if other is not None and all(r["code"] != other["code"] for r in ranked):
            ranked.append(other)
    return ranked[:DISPUTE_RANKING_LENGTH]


def _model_entity(text: str, e: dict) -> Optional[Dict[str, object]]:
    kind = e.get("entity")
    if not kind:
        return None
    value = e.get("value")
    start, end = e.get("start"), e.get("end")
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
        surface = e.get("text") or (value if isinstance(value, str) else None)
        found = text.find(surface) if surface else -1
        start, end = (found, found + len(surface)) if found >= 0 else (None, None)
    span_text = text[start:end] if start is not None else (e.get("text") or str(value))
    if kind in ("people_count", "amount") and isinstance(value, str):
        parsed = parse_chinese_number(value)
        if parsed is not None:
            value = int(round(parsed))
    return {"entity": kind, "value": value, "text": span_text, "start": start, "end": end}


def merge_entities(text: str, rule: Sequence[dict], model: Optional[Sequence[dict]]) -> List[Dict[str, object]]:
    """Rule entities plus the model's, without span duplicates; rule values win for normalised kinds."""
    merged: List[Dict[str, object]] = [dict(e) for e in rule]
    for raw in model or ():
        e = _model_entity(text, raw)
        if e is None:
            continue
        s, t = e["start"], e["end"]
        if s is not None and any(m["start"] == s and m["end"] == t for m in merged):
            continue
        if s is None and any(m["entity"] == e["entity"] and m["text"] == e["text"] for m in merged):
            continue
        if e["entity"] in NORMALISED_KINDS and s is not None and any(
            m["entity"] == e["entity"] and m["start"] is not None and s < m["end"] and m["start"] < t
            for m in merged
        ):
            continue
        merged.append(e)
    return sorted(merged, key=lambda m: (m["start"] is None, m["start"] or 0, m["end"] or 0))


def build_record(
    text: str,
    intent: Union[str, dict, None],
    dispute_type: Union[str, dict, None] = None,
    entities: Optional[Sequence[dict]] = None,
    line: Optional[str] = None,
    dispute_ranking: Optional[Sequence[dict]] = None,
) -> Dict[str, object]:
    """The triage record (docs/TAXONOMY.md) for a message; see the module docstring for the rules."""
    text = text or ""
    line = str(line) if line is not None else None
    model_intent = _intent(intent)
    dtype = _dispute_type(dispute_type)
    all_entities = merge_entities(text, extract_entities(text), entities)
    signals = detect_signals(text, all_entities)
    danger = has_danger(signals)

    record_intent = dict(model_intent)
    if danger and model_intent["name"] != "emergency":
        record_intent = {"name": "emergency", "confidence": 1.0, "original": model_intent}
    if model_intent["name"] in NON_DISPUTE_INTENTS and not danger:
        dtype = None

    is_dispute = dtype is not None or model_intent["name"] == "report_dispute"
    level = warning_level(signals, people_count(all_entities), is_dispute)
    if record_intent["name"] == "emergency":
        level = higher_level(level, "red")  # the model saw danger the rules missed
    destination = route(
        record_intent["name"],
        dtype["code"] if dtype else None,
        level,
        signals,
        line,
        text=text,
        entities=all_entities,
    )
    return {
        "text": text,
        "line": line,
        "intent": record_intent,
        "dispute_type": dtype,
        "dispute_type_ranking": _dispute_ranking(dtype, dispute_ranking),
        "warning_level": level,
        "risk_signals": [s.code for s in signals],
        "signals": [s.to_dict() for s in signals],
        "entities": all_entities,
        "route": destination,
        "department": department_kind_for(text, destination["to"]),
    }
