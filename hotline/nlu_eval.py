"""Scores the triage model on hand-labelled messages: per-class P/R/F1, confusion, confident mistakes.

One home for the metrics that `hotline evaluate`, `bench/devset.py` and the
other NLU benchmarks report. Rows are dicts with `text`, `intent` and
optionally `dispute_type` (a code, `none`, empty) and `department`; a
prediction is the pipeline's own triage record, so what is scored is what an
operator would see (after the emergency override, with no dispute type for a
public-service request).
"""
from __future__ import annotations

import csv
import io
import json
from collections import Counter
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

NONE = "none"
# Intents that say "this is about a dispute or a legal question" (mediation or 12348), against
# everything a 12345 department or the bot answers.
DISPUTE_INTENTS = frozenset({"report_dispute", "ask_legal"})


class LabelError(ValueError):
    """A labelled file that cannot be scored; the message is Chinese, for the person who wrote the file."""


def f1_table(gold: Sequence[str], pred: Sequence[str], labels: Optional[Sequence[str]] = None):
    """Per-label (precision, recall, f1, support), macro F1, weighted F1, accuracy."""
    labels = list(labels or sorted(set(gold)))
    rows = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, pred) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, pred) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows[label] = (precision, recall, f1, tp + fn)
    support = sum(r[3] for r in rows.values()) or 1
    macro = sum(r[2] for r in rows.values()) / len(rows) if rows else 0.0
    weighted = sum(r[2] * r[3] for r in rows.values()) / support
    accuracy = sum(1 for g, p in zip(gold, pred) if g == p) / len(gold) if gold else 0.0
    return rows, macro, weighted, accuracy


def confusion(gold: Sequence[str], pred: Sequence[str]) -> Tuple[List[str], List[List[int]]]:
    """Labels (gold and predicted, sorted) and counts[gold][predicted]."""
    labels = sorted(set(gold) | set(pred))
    index = {label: i for i, label in enumerate(labels)}
    counts = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, pred):
        counts[index[g]][index[p]] += 1
    return labels, counts


def _gold_rows(labels: Sequence[str], counts: Sequence[Sequence[int]]):
    """The confusion rows of labels that occur in the gold labels (a row of zeros says nothing)."""
    return [(label, row) for label, row in zip(labels, counts) if sum(row)]


def read_labelled(content: str, name: str = "") -> List[dict]:
    """Rows of a CSV (header with text, intent[, dispute_type, department]) or JSONL file."""
    first = next((line for line in content.splitlines() if line.strip()), "")
    if not first:
        raise LabelError(f"{name or '文件'}是空的。")
    rows: List[dict] = []
    if name.lower().endswith(".csv") or not first.lstrip().startswith("{"):
        reader = csv.DictReader(io.StringIO(content, newline=""))
        missing = {"text", "intent"} - set(reader.fieldnames or ())
        if missing:
            raise LabelError(f"CSV 缺少列：{'、'.join(sorted(missing))}（需要 text、intent，可选 dispute_type）。")
        rows = [dict(row) for row in reader]
    else:
        for number, raw in enumerate(content.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
            except json.JSONDecodeError as error:
                raise LabelError(f"第 {number} 行不是合法的 JSON（{error.msg}）。") from None
            if not isinstance(row, dict):
                raise LabelError(f"第 {number} 行应是一个 JSON 对象。")
            rows.append(row)
    cleaned = []
    for number, row in enumerate(rows, start=1):
        text, intent = row.get("text"), row.get("intent")
        if not isinstance(text, str) or not text.strip() or not isinstance(intent, str) or not intent.strip():
            raise LabelError(f"第 {number} 条缺少 text 或 intent。")
        dispute = row.get("dispute_type")
        cleaned.append({**row, "text": text.strip(), "intent": intent.strip(),
                        "dispute_type": (dispute.strip() if isinstance(dispute, str) else None) or NONE})
    return cleaned


def check_labels(rows: Iterable[dict], intents: Iterable[str], dispute_types: Iterable[str]) -> None:
    """LabelError naming the first label the model cannot produce (a typo would score as a mistake)."""
    known_intents, known_types = set(intents), set(dispute_types) | {NONE}
    for number, row in enumerate(rows, start=1):
        if row["intent"] not in known_intents:
            raise LabelError(f"第 {number} 条的 intent「{row['intent']}」不是已知意图（可用：{'、'.join(sorted(known_intents))}）。")
        if row["dispute_type"] not in known_types:
            raise LabelError(f"第 {number} 条的 dispute_type「{row['dispute_type']}」不是已知纠纷类型。")


def predictions(rows: Sequence[dict], parse: Callable[[str], dict],
                progress: Optional[Callable[[], None]] = None) -> List[dict]:
    """Per row: the triage record's intent, its confidence, dispute type and route."""
    out = []
    for row in rows:
        triage = parse(row["text"]).get("triage") or {}
        intent = triage.get("intent") or {}
        dispute = triage.get("dispute_type") or {}
        route = (triage.get("route") or {}).get("to") or ""
        out.append({
            "intent": intent.get("name") or "nlu_fallback",
            "confidence": float(intent.get("confidence") or 0.0),
            "dispute_type": dispute.get("code") or NONE,
            "dispute_confidence": float(dispute.get("confidence") or 0.0),
            "route": route,
            "department": triage.get("department"),
        })
        if progress:
            progress()
    return out


def coarse(intent: str) -> str:
    """dispute (mediation or a lawyer), public_service (a 12345 department), or other."""
    if intent in DISPUTE_INTENTS:
        return "dispute"
    return intent if intent in ("public_service", "emergency") else "other"


def report(rows: Sequence[dict], preds: Sequence[dict], mistakes: int = 20) -> Dict[str, object]:
    """Every figure of an evaluation, JSON-serialisable."""
    gold_intent = [r["intent"] for r in rows]
    pred_intent = [p["intent"] for p in preds]
    gold_type = [r["dispute_type"] for r in rows]
    pred_type = [p["dispute_type"] for p in preds]
    intent_rows, intent_macro, intent_weighted, intent_acc = f1_table(gold_intent, pred_intent)
    typed = [i for i, t in enumerate(gold_type) if t != NONE]
    type_counts = Counter(gold_type[i] for i in typed)
    type_labels = sorted(type_counts)
    frequent = sorted(t for t, n in type_counts.items() if n >= 5)
    type_rows, type_macro, _, type_acc = f1_table([gold_type[i] for i in typed], [pred_type[i] for i in typed],
                                                  type_labels)
    _, frequent_macro, _, _ = f1_table([gold_type[i] for i in typed], [pred_type[i] for i in typed], frequent)
    coarse_gold = [coarse(g) for g in gold_intent]
    coarse_pred = [coarse(p) for p in pred_intent]
    disputes_pred = [i for i, p in enumerate(pred_intent) if p in DISPUTE_INTENTS]
    untyped = sum(1 for i in disputes_pred if pred_type[i] == NONE)
    wrong = [(p["confidence"], i) for i, (r, p) in enumerate(zip(rows, preds))
             if r["intent"] != p["intent"] or (r["dispute_type"] != NONE and r["dispute_type"] != p["dispute_type"])]
    wrong.sort(key=lambda item: -item[0])
    labels, counts = confusion(gold_intent, pred_intent)
    return {
        "n": len(rows),
        "intent": {"accuracy": intent_acc, "macro_f1": intent_macro, "weighted_f1": intent_weighted,
                   "per_class": {k: dict(zip(("precision", "recall", "f1", "support"), v)) for k, v in intent_rows.items()},
                   "confusion": {"labels": labels, "counts": counts}},
        "dispute_or_service": {"accuracy": sum(1 for g, p in zip(coarse_gold, coarse_pred) if g == p) / len(rows) if rows else 0.0},
        "dispute_type": {"n": len(typed), "accuracy": type_acc, "macro_f1": type_macro,
                         "macro_f1_frequent": frequent_macro, "frequent": frequent,
                         "per_class": {k: dict(zip(("precision", "recall", "f1", "support"), v)) for k, v in type_rows.items()}},
        "untyped_dispute_predictions": {"count": untyped, "of": len(disputes_pred)},
        "mistakes": [{"text": rows[i]["text"], "intent": rows[i]["intent"], "predicted": preds[i]["intent"],
                      "confidence": round(conf, 3), "dispute_type": rows[i]["dispute_type"],
                      "predicted_dispute_type": preds[i]["dispute_type"]} for conf, i in wrong[:mistakes]],
    }


def format_report(result: Dict[str, object], title: str = "") -> str:
    """The report as Markdown tables (developer- and operator-readable)."""
    lines = [f"## {title}" if title else "", f"messages: {result['n']}"]
    intent = result["intent"]
    lines.append(f"intent accuracy {intent['accuracy']:.3f}, macro-F1 {intent['macro_f1']:.3f}, "
                 f"weighted-F1 {intent['weighted_f1']:.3f}; dispute-vs-public-service accuracy "
                 f"{result['dispute_or_service']['accuracy']:.3f}")
    dtype = result["dispute_type"]
    if dtype["n"]:
        lines.append(f"dispute type ({dtype['n']} labelled): accuracy {dtype['accuracy']:.3f}, macro-F1 "
                     f"{dtype['macro_f1']:.3f}, macro-F1 over types with ≥5 messages {dtype['macro_f1_frequent']:.3f}")
    untyped = result["untyped_dispute_predictions"]
    lines.append(f"dispute/legal predictions without a dispute type: {untyped['count']} of {untyped['of']}")
    for name, table in (("intent", intent["per_class"]), ("dispute type", dtype["per_class"])):
        if not table:
            continue
        lines += ["", f"| {name} | precision | recall | F1 | support |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| {k} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | {v['support']} |"
                  for k, v in table.items()]
    labels, counts = intent["confusion"]["labels"], intent["confusion"]["counts"]
    lines += ["", "confusion (rows gold, columns predicted)", "| gold \\ predicted | " + " | ".join(labels) + " |",
              "| --- |" + " --- |" * len(labels)]
    lines += [f"| {label} | " + " | ".join(str(c) for c in row) + " |" for label, row in _gold_rows(labels, counts)]
    lines += ["", "most confident mistakes", "| confidence | gold | predicted | text |", "| --- | --- | --- | --- |"]
    for m in result["mistakes"]:
        gold = m["intent"] + (f"/{m['dispute_type']}" if m["dispute_type"] != NONE else "")
        pred = m["predicted"] + (f"/{m['predicted_dispute_type']}" if m["predicted_dispute_type"] != NONE else "")
        text = m["text"].replace("\n", " ").replace("|", "｜")
        lines.append(f"| {m['confidence']:.2f} | {gold} | {pred} | {text[:60]} |")
    return "\n".join(lines).strip() + "\n"
