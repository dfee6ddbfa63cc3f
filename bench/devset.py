"""The development set of real messages nobody on the team wrote (bench/devset/): the headline NLU figure.

Usage: .venv/bin/python -m bench.devset [--model models/current.tar.gz | --train [--config config.yml]]
                                        [--register letter|consultation] [--json out.json] [--markdown]
--train trains an NLU-only model on nlu_data/ with --config first (to compare pipeline options).
Parses every message with the trained model in this process and reports, per register and
overall: dispute-vs-public-service accuracy, intent accuracy/F1, dispute-type accuracy and
macro-F1 (all types, and types with ≥5 messages), dispute/legal predictions left without a
type, department accuracy for public-service requests, and the most confident mistakes.
Evaluation only: these texts never enter nlu_data/ (tests/nlu/test_devset_isolation.py).
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from bench import nlu_common as nc

DEVSET = nc.PROJECT_ROOT / "bench" / "devset" / "devset.jsonl"


def load(path: Path = DEVSET):
    from hotline.nlu_eval import read_labelled

    return read_labelled(path.read_text(encoding="utf-8"), path.name)


def department_accuracy(rows, preds):
    """(right given the intent, right end to end, of) over the public-service requests: the
    department kind the routing names when told the intent, and the one in the record."""
    from hotline.triage.routing import department_for, department_kind_for

    scored = [(r, p) for r, p in zip(rows, preds) if r.get("department") and r["intent"] == "public_service"]
    given = sum(1 for r, _ in scored
                if department_kind_for(r["text"], "12345:" + department_for(r["text"]))["code"] == r["department"])
    end_to_end = sum(1 for r, p in scored if (p["department"] or {}).get("code") == r["department"])
    return given, end_to_end, len(scored)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="models/current.tar.gz")
    parser.add_argument("--train", action="store_true", help="train an NLU-only model on nlu_data/ with --config first")
    parser.add_argument("--config", default="config.yml")
    parser.add_argument("--register", choices=("letter", "consultation"))
    parser.add_argument("--json", help="write the full report here")
    parser.add_argument("--markdown", action="store_true", help="print per-class tables and the mistakes too")
    args = parser.parse_args()
    os.chdir(nc.PROJECT_ROOT)
    nc.quiet()
    rows = load()
    with nc.temp_dir() as work:
        model = Path(args.model)
        if args.train:
            model, seconds = nc.train_nlu_model(Path(args.config), nc.PROJECT_ROOT / "nlu_data", Path(work), "devset")
            print(f"trained {args.config} on nlu_data/ in {seconds:.0f} s")
        evaluate(args, rows, model)


def evaluate(args, rows, model: Path) -> None:
    from hotline.nlu_eval import format_report, predictions, report

    parser_ = nc.Parser(model)
    parser_.parse("你好")  # warm-up: jieba's dictionary and the first graph run
    start = time.perf_counter()
    preds = predictions(rows, parser_.parse)
    ms = (time.perf_counter() - start) * 1000 / len(rows)
    results = {}
    registers = [args.register] if args.register else ["letter", "consultation", None]
    print(f"# dev set: {len(rows)} real messages, model {model.resolve().name}, {ms:.1f} ms/message")
    for register in registers:
        idx = [i for i, r in enumerate(rows) if register is None or r["register"] == register]
        sub_rows, sub_preds = [rows[i] for i in idx], [preds[i] for i in idx]
        result = report(sub_rows, sub_preds)
        given, end_to_end, of = department_accuracy(sub_rows, sub_preds)
        result["department"] = {"right_given_intent": given, "right_end_to_end": end_to_end, "of": of}
        name = register or "all"
        results[name] = result
        dtype = result["dispute_type"]
        print(f"{name} ({result['n']}): dispute-vs-service {result['dispute_or_service']['accuracy']:.3f}; "
              f"intent acc {result['intent']['accuracy']:.3f}; dispute type acc {dtype['accuracy']:.3f} "
              f"macro-F1 {dtype['macro_f1']:.3f} (≥5: {dtype['macro_f1_frequent']:.3f}, {len(dtype['frequent'])} types); "
              f"untyped dispute/legal {result['untyped_dispute_predictions']['count']}/"
              f"{result['untyped_dispute_predictions']['of']}; department {given}/{of} given the intent, "
              f"{end_to_end}/{of} end to end")
        if args.markdown:
            print(format_report(result, name))
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
