"""5-fold cross-validation of the project's pipeline (config.yml) against a char TF-IDF + LinearSVC baseline.

Usage: .venv/bin/python -m bench.nlu_cv [--folds 5] [--config config.yml] [--dump bench/out/cv.jsonl]
Prints intent and dispute-type macro-F1 for both, per-class tables, the most confused pairs,
and training time per fold. Same folds (stratified by intent + dispute type, seed 13) for both.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from bench import nlu_common as nc


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--config", default="config.yml")
    parser.add_argument("--dump", help="write every held-out-fold prediction here (JSON lines), for error analysis")
    args = parser.parse_args()
    os.chdir(nc.PROJECT_ROOT)
    parts = []  # (top intent before the fallback, its confidence, intent before the triage's override)
    nc.quiet()
    from sklearn.model_selection import StratifiedKFold

    rows = nc.load_examples(nc.PROJECT_ROOT / "nlu_data" / "intents")
    texts = [r[0] for r in rows]
    strata = [f"{r[1]}|{r[2]}" for r in rows]
    gold_intent, gold_dispute, fold_texts = [], [], []
    pipe_intent, pipe_dispute, base_intent, base_dispute = [], [], [], []
    train_seconds, parse_ms = [], []
    folds = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=13)
    for fold, (train_idx, test_idx) in enumerate(folds.split(texts, strata), start=1):
        with nc.temp_dir() as work:
            work = Path(work)
            nc.write_nlu([rows[i][3] for i in train_idx], work / "train.yml")
            model, seconds = nc.train_nlu_model(Path(args.config), work / "train.yml", work, f"fold{fold}")
            train_seconds.append(seconds)
            parser_ = nc.Parser(model)
            for i in test_idx:
                t = time.perf_counter()
                parse = parser_.parse(rows[i][0])
                parse_ms.append((time.perf_counter() - t) * 1000)
                # The triage may override the intent (danger → emergency); score the pipeline's final intent.
                pipe_intent.append(parse["intent"]["name"])
                ranked = [r for r in parse.get("intent_ranking") or [parse["intent"]] if r["name"] != "nlu_fallback"]
                top = ranked[0] if ranked else {"name": "nlu_fallback", "confidence": 0.0}
                parts.append((top["name"], top["confidence"],
                              (parse["triage"]["intent"].get("original") or {}).get("name")))
                pipe_dispute.append((parse.get("dispute_type") or {}).get("code") or nc.NONE)
        for target, gold, base in ((1, gold_intent, base_intent), (2, gold_dispute, base_dispute)):
            model = nc.tfidf_svm().fit([texts[i] for i in train_idx], [rows[i][target] for i in train_idx])
            base.extend(model.predict([texts[i] for i in test_idx]))
            gold.extend(rows[i][target] for i in test_idx)
        fold_texts.extend(texts[i] for i in test_idx)
        print(f"fold {fold}: trained in {train_seconds[-1]:.0f} s", flush=True)

    dispute_labels = sorted({d for d in gold_dispute if d != nc.NONE})
    print(f"\n# 5-fold CV on nlu_data ({len(rows)} examples), config {args.config}")
    print(f"training per fold: mean {sum(train_seconds) / len(train_seconds):.0f} s")
    parse_ms.sort()
    print(f"in-process parse: p50 {parse_ms[len(parse_ms) // 2]:.1f} ms, p99 {parse_ms[int(len(parse_ms) * 0.99)]:.1f} ms")
    for name, intent_pred, dispute_pred in (("pipeline", pipe_intent, pipe_dispute),
                                            ("tfidf+linearsvc", base_intent, base_dispute)):
        _, intent_macro, intent_weighted, intent_acc = nc.f1_table(gold_intent, intent_pred)
        _, dispute_macro, _, dispute_acc = nc.f1_table(gold_dispute, dispute_pred, dispute_labels)
        print(f"{name}: intent macro-F1 {intent_macro:.3f} (weighted {intent_weighted:.3f}, accuracy {intent_acc:.3f}); "
              f"dispute-type macro-F1 {dispute_macro:.3f} over the 15 types (accuracy incl. none {dispute_acc:.3f})")
    print("\nfallback threshold (on the classifier's own top intent; the triage's overrides left out):")
    scored = [(name, conf, gold) for (name, conf, overridden), gold in zip(parts, gold_intent) if not overridden]
    for threshold in (0.2, 0.3, 0.4, 0.5, 0.6):
        lost = sum(1 for name, conf, gold in scored if conf < threshold and name == gold)
        caught = sum(1 for name, conf, gold in scored if conf < threshold and name != gold)
        wrong = sum(1 for name, conf, gold in scored if name != gold)
        print(f"  {threshold}: right answers sent to fallback {lost} of {len(scored)}; "
              f"wrong answers caught {caught} of {wrong}")
    print("calibration (confidence bin: share right, count):")
    for low in (0.0, 0.2, 0.4, 0.6, 0.8, 0.9):
        high = {0.8: 0.9, 0.9: 1.01}.get(low, low + 0.2)
        binned = [name == gold for name, conf, gold in scored if low <= conf < high]
        if binned:
            print(f"  {low:.1f}–{min(high, 1.0):.1f}: {sum(binned) / len(binned):.3f} right, {len(binned)}")
    nc.print_table("pipeline, intents", nc.f1_table(gold_intent, pipe_intent)[0])
    nc.print_table("pipeline, dispute types", nc.f1_table(gold_dispute, pipe_dispute, dispute_labels)[0])
    print("\npipeline, most confused intents (gold → predicted):", nc.confused_pairs(gold_intent, pipe_intent))
    print("pipeline, most confused dispute types:", nc.confused_pairs(gold_dispute, pipe_dispute))
    print("baseline, most confused intents:", nc.confused_pairs(gold_intent, base_intent))
    if args.dump:
        import json

        with open(args.dump, "w", encoding="utf-8") as out:
            for record in zip(fold_texts, gold_intent, pipe_intent, base_intent, gold_dispute, pipe_dispute, base_dispute):
                keys = ("text", "intent", "pipeline_intent", "baseline_intent", "dispute", "pipeline_dispute",
                        "baseline_dispute")
                out.write(json.dumps(dict(zip(keys, record)), ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
