"""The last clause as intent features and an SMP2019 gazetteer, measured outside Rasa on the dev set, CV and SMP2019.

Usage: .venv/bin/python -m bench.last_clause [--skip-smp]
Rows (intent and dispute-type models as in the pipeline, letter wrapping on, trained on nlu_data/):
char_wb 1-2 alone; + the last clause's n-grams apart (`char_wb_and_last_clause`), counted once,
twice or three times; + the last two clauses. Scores: dev letters read as dispute-or-service,
dev legal questions' intent accuracy, their dispute type (best real type, as the pipeline gives
a dispute/legal reading) with that option in the type model too, 5-fold CV intent accuracy.
SMP2019: weighted intent F1 with and without a gazetteer built from SMP2019's own training
annotations (each known entity text found in a message appends a mark for its entity type).
"""
from __future__ import annotations

import argparse
import os
import random
import time
from typing import Callable, List

from bench import nlu_common as nc
from bot.components import char_ngram
from hotline.nlu_eval import NONE, coarse


def analyzer(repeat: int, clauses: int) -> Callable[[str], List[str]]:
    """char_wb 1-2 plus the last `clauses` clauses' n-grams marked apart, `repeat` times (0: none)."""
    base = char_ngram._char_wb_1_2()

    def run(text: str) -> List[str]:
        grams = base(text)
        if repeat and len(text) > char_ngram.LAST_CLAUSE_MIN_CHARS:
            parts = [c for c in char_ngram.CLAUSE_END.split(text) if c.strip()]
            grams += [char_ngram.LAST_CLAUSE_MARK + g for g in base("".join(parts[-clauses:]))] * repeat
        return grams
    return run


def estimator(repeat: int, clauses: int, class_weight):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import Pipeline
    from sklearn.svm import LinearSVC

    return Pipeline([("tfidf", TfidfVectorizer(analyzer=analyzer(repeat, clauses), sublinear_tf=True)),
                     ("svm", LinearSVC(class_weight=class_weight))])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-smp", action="store_true")
    args = parser.parse_args()
    os.chdir(nc.PROJECT_ROOT)
    nc.quiet()
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from bench.devset import load
    from bot.components.augment import wrap_letters

    rows = nc.load_examples(nc.PROJECT_ROOT / "nlu_data" / "intents")
    texts, intents, types = [r[0] for r in rows], [r[1] for r in rows], [r[2] or NONE for r in rows]
    dev = load()
    letters = [r for r in dev if r["register"] == "letter"]
    legal = [r for r in dev if r["register"] == "consultation"]
    typed = [r for r in legal if r["dispute_type"] != NONE]
    folds = list(StratifiedKFold(n_splits=5, shuffle=True, random_state=13).split(texts, intents))

    def wrapped(labels):
        extra = wrap_letters(list(zip(texts, intents, labels)), random.Random(7))
        return texts + [t for t, _, _ in extra], list(labels) + [lab for _, _, lab in extra]

    print("| option | dev letters: dispute-vs-service | dev legal: intent acc | dev legal: type acc | dev legal: type macro-F1 | CV intent acc | fit s |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, repeat, clauses in (("char_wb 1-2 (round 1)", 0, 1), ("+ last clause apart", 1, 1),
                                  ("+ last clause apart, counted twice", 2, 1),
                                  ("+ last clause apart, counted three times", 3, 1),
                                  ("+ last two clauses apart", 1, 2)):
        started = time.perf_counter()
        intent_model = estimator(repeat, clauses, "balanced").fit(*wrapped(intents))
        type_model = estimator(repeat, clauses, None).fit(*wrapped(types))
        seconds = time.perf_counter() - started
        letter_pred = intent_model.predict([r["text"] for r in letters])
        letter_acc = sum(coarse(p) == coarse(r["intent"]) for p, r in zip(letter_pred, letters)) / len(letters)
        legal_pred = intent_model.predict([r["text"] for r in legal])
        legal_acc = sum(p == r["intent"] for p, r in zip(legal_pred, legal)) / len(legal)
        margins = type_model.decision_function([r["text"] for r in typed])
        classes = list(type_model.classes_)
        margins[:, classes.index(NONE)] = float("-inf")
        type_pred = [classes[i] for i in margins.argmax(axis=1)]
        _, type_macro, _, type_acc = nc.f1_table([r["dispute_type"] for r in typed], type_pred,
                                                 sorted({r["dispute_type"] for r in typed}))
        cv = cross_val_predict(estimator(repeat, clauses, "balanced"), texts, intents, cv=folds)
        cv_acc = sum(a == b for a, b in zip(cv, intents)) / len(intents)
        print(f"| {name} | {letter_acc:.3f} | {legal_acc:.3f} | {type_acc:.3f} | {type_macro:.3f} | {cv_acc:.3f} | {seconds:.1f} |",
              flush=True)
    if not args.skip_smp:
        smp_gazetteer()


def smp_gazetteer() -> None:
    from bench.smp2019 import plain, read_markdown

    data = nc.PROJECT_ROOT.parent / "shared" / "benchmarks" / "smp2019"
    train = [(i, plain(raw)) for i, raw in read_markdown(data / "train.md")]
    test = [(i, plain(raw)) for i, raw in read_markdown(data / "test.md")]
    gazetteer = {}
    for _, (text, entities) in train:
        for entity_type, start, end in entities:
            if end - start >= 2:
                gazetteer.setdefault(text[start:end], set()).add(entity_type)
    entity_types = sorted({t for found in gazetteer.values() for t in found})
    mark = {t: chr(0x2460 + k) for k, t in enumerate(entity_types)}  # one unused character per type
    known = sorted(gazetteer, key=len, reverse=True)

    def with_marks(text: str, replace: bool) -> str:
        tags, rest = [], text
        for words in known:
            if words in rest:
                tags += [mark[t] for t in sorted(gazetteer[words])]
                rest = rest.replace(words, "\0")
        return (rest.replace("\0", " ") if replace else text) + " " + " ".join(tags)

    print("\n| SMP2019 (train → test), intent model | weighted F1 |\n| --- | --- |")
    for name, analyzer_name, features in (
            ("char_wb 1-2", "char_wb", lambda t: t),
            ("char_wb 1-2 + last clause (the pipeline now)", "char_wb_last_clause", lambda t: t),
            ("+ gazetteer marks appended", "char_wb", lambda t: with_marks(t, False)),
            ("+ last clause + gazetteer marks appended", "char_wb_last_clause", lambda t: with_marks(t, False)),
            ("+ entity text replaced by its marks", "char_wb", lambda t: with_marks(t, True))):
        model = char_ngram.CharNgramModel(min_ngram=1, max_ngram=2, analyzer=analyzer_name).estimator()
        model.fit([features(t) for _, (t, _) in train], [i for i, _ in train])
        pred = list(model.predict([features(t) for _, (t, _) in test]))
        print(f"| {name} | {nc.f1_table([i for i, _ in test], pred)[2]:.3f} |", flush=True)


if __name__ == "__main__":
    main()
