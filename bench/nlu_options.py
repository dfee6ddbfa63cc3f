"""Pipeline ideas measured fast outside Rasa, on the real-message dev set as well as on our own data.

Usage: .venv/bin/python -m bench.nlu_options [--skip-smp]
Each row trains the intent model (TF-IDF + LinearSVC, calibrated as in the pipeline is not
needed for ranking) and the dispute-type model on nlu_data/ and scores:
- dev set (bench/devset/): dispute-vs-public-service accuracy on the letters, intent accuracy
  and dispute-type accuracy / macro-F1 on the legal questions;
- 5-fold CV on nlu_data/ (folds of bench/nlu_cv.py), intent accuracy;
- SMP2019 weighted intent F1 (train.md → test.md).
Options: char n-grams alone (today), + jieba word n-grams with the domain dictionary,
+ training-time letter wrapping, + per-sentence scoring of long messages.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import time
from typing import Callable, List, Sequence

from bench import nlu_common as nc
from bot.components.char_ngram import CharNgramModel
from hotline.nlu_eval import NONE, coarse

SMALL_TALK = {"greet", "thank", "goodbye", "affirm", "deny", "bot_challenge"}


def words(text: str) -> str:
    """jieba's words (with the domain dictionary), space-joined, for a word-level TF-IDF."""
    import jieba

    return " ".join(w for w in jieba.lcut(text) if w.strip())


def estimator(word_weight: float = 0.0, class_weight="balanced", word_ngrams=(1, 2)):
    """char_wb 1-2 (the pipeline's intent model) beside, when word_weight > 0, jieba word n-grams."""
    char = CharNgramModel(min_ngram=1, max_ngram=2, analyzer="char_wb", class_weight=class_weight).estimator()
    if not word_weight:
        return char
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.svm import LinearSVC

    chars = make_pipeline(FunctionTransformer(lambda rows: [r[0] for r in rows]), char.named_steps["tfidf"])
    word = make_pipeline(FunctionTransformer(lambda rows: [r[1] for r in rows]),
                         TfidfVectorizer(analyzer="word", token_pattern=r"\S+", ngram_range=word_ngrams,
                                         sublinear_tf=True))
    return make_pipeline(FeatureUnion([("char", chars), ("word", word)], transformer_weights={"word": word_weight}),
                         LinearSVC(class_weight=class_weight))


SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")


def sentences(text: str) -> List[str]:
    return [s for s in (p.strip() for p in SENTENCE_END.split(text)) if s]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-smp", action="store_true")
    args = parser.parse_args()
    os.chdir(nc.PROJECT_ROOT)
    nc.quiet()
    import jieba
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    for path in sorted((nc.PROJECT_ROOT / "nlu_data" / "jieba").glob("*.txt")):
        jieba.load_userdict(str(path))
    from bench.devset import load
    from bot.components.augment import wrap_letters

    rows = nc.load_examples(nc.PROJECT_ROOT / "nlu_data" / "intents")
    texts, intents, types = [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]
    dev = load()
    letters = [r for r in dev if r["register"] == "letter"]
    legal = [r for r in dev if r["register"] == "consultation"]
    folds = list(StratifiedKFold(n_splits=5, shuffle=True, random_state=13).split(texts, [f"{i}|{t}" for i, t in zip(intents, types)]))

    def features(word_weight):
        return (lambda ts: [(t, words(t)) for t in ts]) if word_weight else (lambda ts: list(ts))

    def fit(word_weight, augment, labels, class_weight="balanced"):
        train_texts, train_labels = list(texts), list(labels)
        if augment:
            extra = wrap_letters(list(zip(texts, intents, labels)), random.Random(7))
            train_texts += [t for t, _, _ in extra]
            train_labels += [lab for _, _, lab in extra]
        model = estimator(word_weight, class_weight).fit(features(word_weight)(train_texts), train_labels)
        return lambda ts: list(model.predict(features(word_weight)(ts))), model

    def per_sentence(predict_intent: Callable, model, word_weight) -> Callable:
        """Long messages: drop the sentences the model reads as small talk, classify the rest."""
        def run(ts: Sequence[str]):
            kept = []
            for t in ts:
                parts = sentences(t)
                if len(parts) < 2:
                    kept.append(t)
                    continue
                labels = list(model.predict(features(word_weight)(parts)))
                rest = [p for p, lab in zip(parts, labels) if lab not in SMALL_TALK]
                kept.append("".join(rest) or t)
            return predict_intent(kept)
        return run

    print("| option | dev letters: dispute-vs-service | dev legal: intent acc | dev legal: type acc | dev legal: type macro-F1 | CV intent acc | SMP2019 weighted F1 | fit s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    smp_cache = {}
    for name, word_weight, augment, sentence_scoring in (
            ("char_wb 1-2 (today)", 0.0, False, False),
            ("+ jieba words 1-2 (weight 0.5)", 0.5, False, False),
            ("+ jieba words 1-2 (weight 1.0)", 1.0, False, False),
            ("+ letter wrapping", 0.0, True, False),
            ("+ per-sentence scoring", 0.0, False, True),
            ("+ letter wrapping + per-sentence", 0.0, True, True),
            ("+ words 0.5 + letter wrapping + per-sentence", 0.5, True, True)):
        started = time.perf_counter()
        predict_intent, intent_model = fit(word_weight, augment, intents)
        predict_type, _ = fit(word_weight, augment, types, class_weight=None)
        seconds = time.perf_counter() - started
        if sentence_scoring:
            predict_intent = per_sentence(predict_intent, intent_model, word_weight)
            predict_type = per_sentence(predict_type, intent_model, word_weight)
        letter_pred = predict_intent([r["text"] for r in letters])
        letter_acc = sum(coarse(p) == coarse(r["intent"]) for p, r in zip(letter_pred, letters)) / len(letters)
        legal_pred = predict_intent([r["text"] for r in legal])
        legal_acc = sum(p == r["intent"] for p, r in zip(legal_pred, legal)) / len(legal)
        typed = [r for r in legal if r["dispute_type"] != NONE]
        type_pred = predict_type([r["text"] for r in typed])
        # The pipeline gives a dispute/legal intent its best real type; do the same here.
        _, type_macro, _, type_acc = nc.f1_table([r["dispute_type"] for r in typed], type_pred,
                                                 sorted({r["dispute_type"] for r in typed}))
        cv = list(cross_val_predict(estimator(word_weight), features(word_weight)(texts), intents, cv=folds))
        cv_acc = sum(a == b for a, b in zip(cv, intents)) / len(intents)
        smp = "—"
        if not args.skip_smp and not augment and not sentence_scoring:
            if word_weight not in smp_cache:
                from bench.smp2019 import plain, read_markdown

                data = nc.PROJECT_ROOT.parent / "shared" / "benchmarks" / "smp2019"
                train = [(i, plain(raw)[0]) for i, raw in read_markdown(data / "train.md")]
                test = [(i, plain(raw)[0]) for i, raw in read_markdown(data / "test.md")]
                m = estimator(word_weight).fit(features(word_weight)([t for _, t in train]), [i for i, _ in train])
                pred = list(m.predict(features(word_weight)([t for _, t in test])))
                smp_cache[word_weight] = nc.f1_table([i for i, _ in test], pred, sorted({i for i, _ in test}))[2]
            smp = f"{smp_cache[word_weight]:.3f}"
        print(f"| {name} | {letter_acc:.3f} | {legal_acc:.3f} | {type_acc:.3f} | {type_macro:.3f} | {cv_acc:.3f} | {smp} | {seconds:.1f} |",
              flush=True)


if __name__ == "__main__":
    main()
