"""The real-message dev set stays out of the training data, so its figure means what it says."""
from __future__ import annotations

import json
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEVSET = ROOT / "bench" / "devset" / "devset.jsonl"


def _training_texts():
    for path in sorted((ROOT / "nlu_data" / "intents").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            examples = block.get("examples") or ""
            for line in examples.splitlines() if isinstance(examples, str) else []:
                line = line.strip()
                if line.startswith("- "):
                    yield line[2:].strip()


def _fragments(text: str, size: int = 16):
    text = "".join(text.split())
    return {text[i:i + size] for i in range(0, max(1, len(text) - size + 1), size)}


def test_no_dev_message_is_in_the_training_data():
    assert DEVSET.exists(), "bench/devset/devset.jsonl is missing"
    training = ["".join(t.split()) for t in _training_texts()]
    assert training, "no training examples found"
    joined = "\n".join(training)
    leaked = []
    for line in DEVSET.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if any(len(f) >= 12 and f in joined for f in _fragments(row["text"])):
            leaked.append(row["id"])
    assert not leaked, f"dev-set messages copied into nlu_data: {leaked[:10]}"


def test_dev_labels_use_the_taxonomy():
    from hotline.triage import DISPUTE_TYPES

    intents = {"ask_legal", "report_dispute", "public_service", "emergency"}
    for line in DEVSET.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        assert row["intent"] in intents, row["id"]
        assert row["dispute_type"] is None or row["dispute_type"] in DISPUTE_TYPES, row["id"]
        assert (row["dispute_type"] is not None) == (row["intent"] in ("ask_legal", "report_dispute")), row["id"]
