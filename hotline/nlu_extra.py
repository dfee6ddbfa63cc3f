"""A county's own labelled work orders as extra NLU training data (`hotline train --extra`).

The orders (CSV or JSONL with text, intent, dispute_type) are checked against the taxonomy and
written as one Rasa NLU file per source under the extra-data folder (HOTLINE_EXTRA_NLU, default
var/nlu_extra/). scripts/train.sh trains on that folder too and puts its files into the model's
hash, so adding orders always trains a new model and the same orders always give the same one.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from hotline.config import PROJECT_ROOT
from hotline.nlu_eval import NONE, LabelError, check_labels, read_labelled
from hotline.triage.taxonomy import DISPUTE_TYPES, INTENTS

# Intents a county may label orders with: what a work order can be (not the dialogue's small talk).
ORDER_INTENTS = ("report_dispute", "ask_legal", "public_service", "emergency", "check_status", "request_human")
TYPED = frozenset({"report_dispute", "ask_legal"})
MAX_TEXT = 2000


def extra_dir() -> Path:
    return Path(os.environ.get("HOTLINE_EXTRA_NLU") or PROJECT_ROOT / "var" / "nlu_extra")


def orders(content: str, name: str) -> List[Tuple[str, str, str]]:
    """(text, intent, dispute type or none) of every labelled order, duplicates dropped.

    LabelError (Chinese) for an unknown intent or type, a dispute or legal order without a type,
    or an order too long to be one message.
    """
    rows = read_labelled(content, name)
    check_labels(rows, [i for i in ORDER_INTENTS if i in INTENTS], DISPUTE_TYPES)
    seen, out = set(), []
    for number, row in enumerate(rows, start=1):
        text, intent, dispute = " ".join(row["text"].split()), row["intent"], row["dispute_type"]
        if len(text) > MAX_TEXT:
            raise LabelError(f"第 {number} 条超过 {MAX_TEXT} 字，请只保留群众的原话。")
        if intent in TYPED and dispute == NONE:
            raise LabelError(f"第 {number} 条是 {intent}，需要填写 dispute_type（不属于14类的填 other）。")
        if intent not in TYPED:
            dispute = NONE
        if text not in seen:
            seen.add(text)
            out.append((text, intent, dispute))
    return out


def to_nlu_yaml(examples: Sequence[Tuple[str, str, str]]) -> str:
    """Rasa NLU YAML, one block per (intent, dispute type) so the type metadata stays on its examples."""
    blocks: Dict[Tuple[str, str], List[str]] = {}
    for text, intent, dispute in examples:
        blocks.setdefault((intent, dispute), []).append(text)
    lines = ['version: "3.1"', "nlu:"]
    for (intent, dispute), texts in blocks.items():
        lines.append(f"- intent: {intent}")
        if dispute != NONE:
            lines += ["  metadata:", f"    dispute_type: {dispute}"]
        lines.append("  examples:")
        lines += [f"  - text: {json.dumps(t, ensure_ascii=False)}" for t in texts]
    return "\n".join(lines) + "\n"


def add(path: Path) -> Tuple[Path, int]:
    """Writes the orders of `path` into the extra-data folder; (file written, number of orders)."""
    try:
        content = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise LabelError(f"无法读取 {path}：{error.strerror}") from None
    except UnicodeDecodeError as error:
        raise LabelError(f"{path} 不是 UTF-8 文本：{error.reason}") from None
    examples = orders(content, path.name)
    target_dir = extra_dir()
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / (re.sub(r"[^\w.-]+", "_", path.stem) + ".yml")
    target.write_text(to_nlu_yaml(examples), encoding="utf-8")
    return target, len(examples)
