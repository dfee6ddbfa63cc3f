"""Shared helpers of the NLU benchmarks: data loading, training, parsing, metrics."""
from __future__ import annotations

import logging
import os
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from hotline.config import PROJECT_ROOT  # noqa: E402
from hotline.nlu_eval import f1_table  # noqa: E402,F401  (the one home of the metrics)

NONE = "none"


def quiet() -> None:
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    for name in ("rasa", "tensorflow", "absl", "jieba"):
        logging.getLogger(name).setLevel(logging.ERROR)


def load_examples(path: Path):
    """(text, intent, dispute_type or 'none', message) for every NLU example under path."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    rows = []
    for m in data.intent_examples:
        meta = (m.get("metadata") or {}).get("intent") or {}
        rows.append((m.get("text"), m.get("intent"), meta.get("dispute_type") or NONE, m))
    return rows


def write_nlu(messages, path: Path) -> None:
    """One block per (intent, dispute type), so the intent-level metadata survives.

    Rasa's own YAML writer merges all blocks of one intent and keeps a single
    intent metadata, which would relabel every dispute type as the first one.
    """
    import json

    blocks: Dict[Tuple[str, str], List[str]] = {}
    for m in messages:
        meta = (m.get("metadata") or {}).get("intent") or {}
        blocks.setdefault((m.get("intent"), meta.get("dispute_type") or ""), []).append(m.get("text"))
    lines = ['version: "3.1"', "nlu:"]
    for (intent, dispute), texts in blocks.items():
        lines.append(f"- intent: {intent}")
        if dispute:
            lines += ["  metadata:", f"    dispute_type: {dispute}"]
        lines.append("  examples:")
        lines += [f"  - text: {json.dumps(t, ensure_ascii=False)}" for t in texts]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def train_nlu_model(config: Path, nlu_file: Path, out_dir: Path, name: str) -> Tuple[Path, float]:
    from rasa.model_training import train_nlu

    start = time.perf_counter()
    model = train_nlu(str(config), str(nlu_file), str(out_dir), fixed_model_name=name)
    return Path(model), time.perf_counter() - start


def Parser(model: Path):
    """The in-process parser of `hotline classify`."""
    from hotline.cli import LocalParser

    return LocalParser(model)


def confused_pairs(gold, pred, top: int = 8) -> List[Tuple[Tuple[str, str], int]]:
    return Counter((g, p) for g, p in zip(gold, pred) if g != p).most_common(top)


def tfidf_svm():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    return make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True),
                         LinearSVC(C=1.0, class_weight="balanced"))


def print_table(title: str, rows: Dict[str, tuple]) -> None:
    print(f"\n{title}\n| label | precision | recall | F1 | support |\n| --- | --- | --- | --- | --- |")
    for label, (p, r, f, s) in rows.items():
        print(f"| {label} | {p:.3f} | {r:.3f} | {f:.3f} | {s} |")


def temp_dir() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="hotline-bench-")


__all__ = ["PROJECT_ROOT"]
