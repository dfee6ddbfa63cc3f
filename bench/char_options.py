"""The intent model's options, measured fast outside Rasa: analyzer, n-gram range, class weights, C.

Usage: .venv/bin/python -m bench.char_options
On the project's data: 5-fold CV with the folds of bench/nlu_cv.py (stratified by intent +
dispute type, seed 13), intent accuracy and macro-F1. On SMP2019: train.md → test.md, weighted
F1 over the test intents and accuracy. Each row is a char TF-IDF + LinearSVC; the last SMP rows
add the gold entity types as features, an upper bound for an intent model fed by an entity tagger.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from bench import nlu_common as nc
from bench.smp2019 import plain, read_markdown
from bot.components.char_ngram import CharNgramModel

OPTIONS = [("char", 1, 3, "balanced"), ("char", 1, 3, None), ("char", 1, 2, "balanced"), ("char", 1, 4, "balanced"),
           ("char_wb", 1, 2, "balanced"), ("char_wb", 1, 2, None), ("char_wb", 1, 3, "balanced"),
           ("char_wb", 1, 4, "balanced")]


def model(analyzer: str, low: int, high: int, class_weight, C: float = 1.0):
    """The intent component's own estimator with these options."""
    return CharNgramModel(min_ngram=low, max_ngram=high, C=C, analyzer=analyzer, class_weight=class_weight).estimator()


def with_entity_types(weight: float):
    """char_wb 1-2 on the text beside a bag of the example's entity types."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.svm import LinearSVC

    text = make_pipeline(FunctionTransformer(lambda rows: [r[0] for r in rows]),
                         TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 2), sublinear_tf=True))
    types = make_pipeline(FunctionTransformer(lambda rows: [r[1] for r in rows]),
                          TfidfVectorizer(analyzer=str.split, lowercase=False))
    return make_pipeline(FeatureUnion([("text", text), ("types", types)], transformer_weights={"types": weight}),
                         LinearSVC(class_weight="balanced"))


def main() -> None:
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    os.chdir(nc.PROJECT_ROOT)
    nc.quiet()
    rows = nc.load_examples(nc.PROJECT_ROOT / "nlu_data" / "intents")
    texts, intents = [r[0] for r in rows], [r[1] for r in rows]
    folds = list(StratifiedKFold(n_splits=5, shuffle=True, random_state=13).split(texts, [f"{r[1]}|{r[2]}" for r in rows]))

    smp = nc.PROJECT_ROOT.parent / "shared" / "benchmarks" / "smp2019"
    train = [(intent, *plain(raw)) for intent, raw in read_markdown(smp / "train.md")]
    test = [(intent, *plain(raw)) for intent, raw in read_markdown(smp / "test.md")]
    test_labels = sorted({intent for intent, _, _ in test})

    def smp_scores(estimator, features):
        estimator.fit([features(t, e) for _, t, e in train], [i for i, _, _ in train])
        predicted = list(estimator.predict([features(t, e) for _, t, e in test]))
        _, _, weighted, accuracy = nc.f1_table([i for i, _, _ in test], predicted, test_labels)
        return weighted, accuracy

    print(f"| model | ours: intent accuracy | ours: macro-F1 | SMP2019: weighted F1 | SMP2019: accuracy | CV time |")
    print("| --- | --- | --- | --- | --- | --- |")
    grid = [(option, 1.0) for option in OPTIONS] + [(("char_wb", 1, 2, "balanced"), C) for C in (0.5, 2.0)]
    for (analyzer, low, high, class_weight), C in grid:
        started = time.perf_counter()
        predicted = list(cross_val_predict(model(analyzer, low, high, class_weight, C), texts, intents, cv=folds))
        seconds = time.perf_counter() - started
        _, macro, _, accuracy = nc.f1_table(intents, predicted)
        weighted, smp_accuracy = smp_scores(model(analyzer, low, high, class_weight, C), lambda t, e: t)
        print(f"| {analyzer} {low}-{high}, {class_weight or 'no'} class weights, C {C} | {accuracy:.3f} | {macro:.3f} "
              f"| {weighted:.3f} | {smp_accuracy:.3f} | {seconds:.1f} s |")
    for weight in (0.5, 1.0):
        weighted, smp_accuracy = smp_scores(with_entity_types(weight),
                                            lambda t, e: (t, " ".join(f"E_{kind}" for kind, _, _ in e)))
        print(f"| char_wb 1-2 + gold entity types (weight {weight}) | — | — | {weighted:.3f} | {smp_accuracy:.3f} | — |")


if __name__ == "__main__":
    main()
