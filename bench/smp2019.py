"""SMP2019 (public Chinese intent data): the project's config.yml pipeline against published figures.

Usage: .venv/bin/python -m bench.smp2019 [--data ../shared/benchmarks/smp2019] [--config config.yml]
Trains on train.md, evaluates on test.md: intent precision/recall/F1 (weighted, as the
published rasa_nlu_chi figures), entity F1 (exact type + span), training time; and a
char 1-3-gram TF-IDF + LinearSVC baseline on the same split, in the same run.
"""
from __future__ import annotations

import argparse
import os
import re
import time
from pathlib import Path

from bench import nlu_common as nc

ANNOTATION = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


def read_markdown(path: Path):
    """(intent, raw example with [text](entity) markup) from Rasa 1.x Markdown NLU."""
    intent = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## intent:"):
            intent = line.split(":", 1)[1].strip()
        elif line.startswith("- ") and intent:
            yield intent, line[2:].strip()


def plain(example: str):
    """Text without markup and the gold entities as (type, text) with spans."""
    text, entities, last = "", [], 0
    for match in ANNOTATION.finditer(example):
        text += example[last:match.start()]
        start = len(text)
        text += match.group(1)
        entities.append((match.group(2), start, len(text)))
        last = match.end()
    text += example[last:]
    return text, entities


def to_yaml(examples, path: Path) -> None:
    by_intent = {}
    for intent, raw in examples:
        by_intent.setdefault(intent, []).append(raw)
    lines = ['version: "3.1"', "nlu:"]
    for intent, raws in by_intent.items():
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {raw}" for raw in raws]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(nc.PROJECT_ROOT.parent / "shared" / "benchmarks" / "smp2019"))
    parser.add_argument("--config", default="config.yml")
    args = parser.parse_args()
    os.chdir(nc.PROJECT_ROOT)
    nc.quiet()
    data = Path(args.data)
    if not (data / "train.md").is_file() or not (data / "test.md").is_file():
        raise SystemExit(f"SMP2019 not found in {data}: put train.md and test.md of GitHub "
                         "nghuyong/rasa-nlu-benchmark data/SMP2019 (commit 2358345, MIT) there, or pass --data DIR")
    train = list(read_markdown(data / "train.md"))
    test = list(read_markdown(data / "test.md"))
    gold_intents = [i for i, _ in test]
    test_plain = [plain(raw) for _, raw in test]

    start = time.perf_counter()
    baseline = nc.tfidf_svm().fit([plain(raw)[0] for _, raw in train], [i for i, _ in train])
    base_seconds = time.perf_counter() - start
    base_pred = list(baseline.predict([t for t, _ in test_plain]))

    with nc.temp_dir() as work:
        work = Path(work)
        to_yaml(train, work / "train.yml")
        model, seconds = nc.train_nlu_model(Path(args.config), work / "train.yml", work, "smp2019")
        parser_ = nc.Parser(model)
        pred_intents, tp, fp, fn = [], 0, 0, 0
        for text, gold_entities in test_plain:
            parse = parser_.parse(text)
            pred_intents.append((parse["triage"]["intent"].get("original") or parse["intent"])["name"]
                                if parse.get("triage") else parse["intent"]["name"])
            predicted = {(e["entity"], e["start"], e["end"]) for e in parse.get("entities", [])
                         if e.get("extractor") == "CharCRFEntityExtractor"}
            gold = set(gold_entities)
            tp += len(predicted & gold)
            fp += len(predicted - gold)
            fn += len(gold - predicted)
    ent_p = tp / (tp + fp) if tp + fp else 0.0
    ent_r = tp / (tp + fn) if tp + fn else 0.0
    ent_f1 = 2 * ent_p * ent_r / (ent_p + ent_r) if ent_p + ent_r else 0.0

    print(f"# SMP2019: {len(train)} train / {len(test)} test examples, {len(set(i for i, _ in train))} intents")
    for name, pred, secs in (("pipeline (config.yml)", pred_intents, seconds), ("tfidf+linearsvc", base_pred, base_seconds)):
        rows, macro, weighted, accuracy = nc.f1_table(gold_intents, pred)
        support = sum(r[3] for r in rows.values())
        w_p = sum(r[0] * r[3] for r in rows.values()) / support
        w_r = sum(r[1] * r[3] for r in rows.values()) / support
        print(f"{name}: intent weighted P {w_p:.3f} R {w_r:.3f} F1 {weighted:.3f}, macro-F1 {macro:.3f}, "
              f"accuracy {accuracy:.3f}; training {secs:.1f} s")
    print(f"pipeline entities (CharCRFEntityExtractor, exact type+span): P {ent_p:.3f} R {ent_r:.3f} F1 {ent_f1:.3f}")
    print("published rasa_nlu_chi: intent P 0.83 R 0.76 F1 0.78; entity P 0.80 R 0.79 F1 0.77")
    print("pipeline, most confused intents:", nc.confused_pairs(gold_intents, pred_intents))


if __name__ == "__main__":
    main()
