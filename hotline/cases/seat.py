"""The hotline seat's live triage panel: the model's parse turned into what an operator reads while the caller talks.

`panel(text, line, parse)` takes the parse as a function (the Rasa parse
endpoint through `hotline.rasa_client`, or None when that server is down:
then the rules alone triage, and the panel says so). Everything in the
panel is named in Chinese; spans point into the text for highlighting.
"""
from __future__ import annotations

import re
import threading
from typing import Any, Callable, Dict, List, Optional

from hotline.cases.names import ENTITY_NAMES, INTENT_NAMES, entity_value, route_name, signal_name
from hotline.triage import DISPUTE_TYPES, build_record
from hotline.triage.taxonomy import WARNING_LEVEL_NAMES

MAX_TEXT = 2000  # what the parse endpoint accepts (bot/channels/nlu.py)
TOP = 3

ParseFn = Callable[[str], Dict[str, Any]]

_retriever_lock = threading.Lock()
_retriever: Dict[str, Any] = {}


def legal_retriever():
    """The FAQ retriever, built once per process on first use (a few seconds), never at import."""
    with _retriever_lock:
        if "retriever" not in _retriever:
            from hotline.legal import LegalRetriever

            _retriever["retriever"] = LegalRetriever.from_faq()
        return _retriever["retriever"]


def _spans(text: str, words: List[str]) -> List[List[int]]:
    """Where the trigger words stand in the text, merged, in order."""
    found = []
    for word in {w for w in words if w}:
        found.extend([m.start(), m.end()] for m in re.finditer(re.escape(word), text))
    found.sort()
    merged: List[List[int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def _dispute_ranking(record: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The top dispute types with confidence: the record's ranking (the classifier's best readings, best first)."""
    ranking = record.get("dispute_type_ranking")
    if ranking is None:  # a record from a model older than the ranking: its one type
        ranking = [record["dispute_type"]] if record.get("dispute_type") else []
    return [{"code": r["code"], "name": DISPUTE_TYPES[r["code"]], "confidence": r.get("confidence")}
            for r in ranking if isinstance(r, dict) and r.get("code") in DISPUTE_TYPES][:TOP]


def _legal_answer(text: str, record: Dict[str, Any], line: Optional[str]) -> Optional[Dict[str, Any]]:
    intent = (record.get("intent") or {}).get("name")
    if intent != "ask_legal" and line != "12348":
        return None
    decision = legal_retriever().decide(text, (record.get("dispute_type") or {}).get("code"))
    if decision.entry is None:
        return {"kind": decision.kind, "title": None, "answer": "没有把握准确回答：请由律师解答，不要猜测。",
                "citations": [], "time_limits": "", "next_steps": ""}
    entry = decision.entry
    return {"kind": decision.kind, "title": entry.title, "answer": entry.answer, "reviewed": entry.reviewed,
            "citations": [{"law": c.law, "article": c.article} for c in entry.citations],
            "time_limits": entry.time_limits, "next_steps": entry.next_steps,
            "alternatives": [e.title for e in decision.alternatives]}


def panel(text: str, line: Optional[str], parse: Optional[ParseFn]) -> Dict[str, Any]:
    """The triage panel for what the caller has said so far."""
    source, parsed = "rules", {}
    if parse is not None:
        parsed = parse(text) or {}
        if parsed.get("triage"):
            source = "model"
    if source == "model":
        record = dict(parsed["triage"])
        record["line"] = line
    else:
        record = build_record(text, None, None, line=line)
    intents = [{"code": r.get("name"), "name": INTENT_NAMES.get(r.get("name"), "其他事项"),
                "confidence": r.get("confidence")} for r in (parsed.get("intent_ranking") or [])[:TOP]]
    signals = record.get("signals") or []
    words = [w for s in signals for w in s.get("words") or []]
    level = record.get("warning_level")
    route = record.get("route") or {}
    return {
        "text": text,
        "line": line,
        "source": source,
        "intent": {"code": (record.get("intent") or {}).get("name"),
                   "name": INTENT_NAMES.get((record.get("intent") or {}).get("name"), "未识别")},
        "intents": intents,
        "dispute_types": _dispute_ranking(record),
        "warning": {"level": level, "name": (WARNING_LEVEL_NAMES[level] + "预警") if level else "无预警"},
        "signals": [{"name": signal_name(s["code"]), "words": s.get("words") or []} for s in signals],
        "highlights": _spans(text, words),
        "entities": [{"kind": e.get("entity"), "name": ENTITY_NAMES.get(e.get("entity"), "其他"),
                      "text": e.get("text"), "value": entity_value(e), "start": e.get("start"), "end": e.get("end")}
                     for e in record.get("entities") or []],
        "route": {"to": route.get("to"), "name": route_name(route.get("to")), "reason": route.get("reason") or ""},
        "legal": _legal_answer(text, record, line),
        "record": record,
    }


def with_dispute_type(record: Dict[str, Any], code: Optional[str]) -> Dict[str, Any]:
    """The record again with the dispute type the operator chose (the route may change with it)."""
    if not code or code == ((record.get("dispute_type") or {}).get("code")):
        return record
    if code not in DISPUTE_TYPES:
        from hotline.cases.errors import InvalidInput

        raise InvalidInput("纠纷类型不正确，请从列表中选择。", "invalid_dispute_type")
    intent = record.get("intent") or {}
    original = intent.get("original") or intent
    return build_record(record.get("text") or "", original, {"code": code, "confidence": 1.0},
                        record.get("entities") or [], line=record.get("line"))


def open_from_seat(session, actor, *, text: str, record: Dict[str, Any], line: str, location: Optional[str],
                   phone: Optional[str], pii_consent: bool, note: Optional[str], to_queue: bool,
                   deadline_hours=None):
    """A case opened at a seat: 信息上报, then 核实立案 (the operator heard the caller), and for the
    mediators' queue 分流交办 to the organisation its route, tier and place name."""
    import uuid

    from hotline.cases import service
    from hotline.cases.actors import PERMISSIONS
    from hotline.cases.errors import InvalidInput
    from hotline.cases.workorders import normalise_phone

    case, _ = service.open_case(
        session,
        actor,
        service.Intake(
            text=text, triage=record, key=f"seat:{uuid.uuid4().hex}", channel="seat",
            location=(location or "").strip()[:255] or None,
            contact_phone=normalise_phone(phone) if pii_consent else None, pii_consent=pii_consent,
            transcript=[("citizen", text)],
        ),
        deadline_hours=deadline_hours,
    )
    note = (note or "").strip()[:1000] or None
    if actor.role in PERMISSIONS["register"]:
        service.register(session, case, actor, note=f"热线坐席核实：{note}" if note else f"{line}热线坐席受理来电")
    if to_queue and actor.role in PERMISSIONS["assign"]:
        try:
            service.assign(session, case, actor, deadline_hours=deadline_hours)
        except InvalidInput:
            pass  # no organisation for this route and place: it waits in the county-wide queue
    return case
