"""Measures the retriever on labelled questions and suggests a threshold: python -m hotline.legal.calibrate FILE.yml."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from .retrieval import LegalRetriever


@dataclass
class Scored:
    text: str
    expected: Optional[str]   # None for a question the FAQ must not answer
    got: Optional[str]
    score: float
    out_of_scope: float

    def confident(self, threshold: float) -> bool:
        return self.got is not None and self.score >= threshold and self.score > self.out_of_scope


@dataclass
class Evaluation:
    threshold: float
    positives: int
    negatives: int
    correct_confident: int        # top-1 right and confident
    wrong_confident: int          # top-1 wrong but confident: a wrong answer would be sent
    negatives_confident: int      # an off-topic question would be answered
    misses: List[Scored] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        """Share of answerable questions that get the right entry, confidently."""
        return self.correct_confident / self.positives if self.positives else 0.0

    @property
    def false_confident_rate(self) -> float:
        """Share of off-topic questions that get a confident answer."""
        return self.negatives_confident / self.negatives if self.negatives else 0.0

    def summary(self) -> str:
        return (f"threshold {self.threshold:.2f}: top-1 confident accuracy {self.accuracy:.3f} "
                f"({self.correct_confident}/{self.positives}), wrong-but-confident {self.wrong_confident}, "
                f"off-topic confident {self.negatives_confident}/{self.negatives} "
                f"(rate {self.false_confident_rate:.3f})")


def load_labelled(path) -> Tuple[List[Tuple[str, str]], List[str]]:
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    positives = [(item["text"], item["id"]) for item in data.get("positives") or []]
    negatives = list(data.get("negatives") or [])
    return positives, negatives


def score_all(retriever: LegalRetriever, positives: Sequence[Tuple[str, str]],
              negatives: Sequence[str], dispute_types: Optional[dict] = None) -> List[Scored]:
    """``dispute_types``: text -> the type triage would give, to measure the type bonus."""
    dispute_types = dispute_types or {}
    scored = []
    for text, expected in [(t, e) for t, e in positives] + [(t, None) for t in negatives]:
        match = retriever.match(text, dispute_type=dispute_types.get(text))
        if match is None:
            scored.append(Scored(text, expected, None, 0.0, 0.0))
        else:
            scored.append(Scored(text, expected, match.entry.id, match.score, match.out_of_scope))
    return scored


def evaluate(scored: Sequence[Scored], threshold: float) -> Evaluation:
    ev = Evaluation(threshold, sum(s.expected is not None for s in scored),
                    sum(s.expected is None for s in scored), 0, 0, 0)
    for s in scored:
        confident = s.confident(threshold)
        if s.expected is None:
            ev.negatives_confident += confident
            if confident:
                ev.misses.append(s)
        elif confident and s.got == s.expected:
            ev.correct_confident += 1
        else:
            ev.wrong_confident += confident
            ev.misses.append(s)
    return ev


def suggest_threshold(scored: Sequence[Scored]) -> float:
    """Midway between the highest score that must not be confident (an
    off-topic question, or a wrong entry, that beat the out-of-scope class)
    and the lowest right score above it: the widest safe margin."""
    unsafe = [s.score for s in scored
              if s.score > s.out_of_scope and (s.expected is None or s.got != s.expected)]
    ceiling = max(unsafe, default=0.0)
    above = [s.score for s in scored
             if s.expected is not None and s.got == s.expected and s.score > max(ceiling, s.out_of_scope)]
    if not above:
        return round(ceiling + 0.01, 2)
    return round((ceiling + min(above)) / 2, 2)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("labelled", help="YAML with positives [{text, id}] and negatives [text]")
    parser.add_argument("--faq", help="FAQ folder or file (default: the packaged FAQ)")
    args = parser.parse_args(argv)

    retriever = LegalRetriever.from_faq(args.faq)
    positives, negatives = load_labelled(args.labelled)
    scored = score_all(retriever, positives, negatives)
    for s in sorted(scored, key=lambda s: s.score):
        mark = "neg" if s.expected is None else ("ok " if s.got == s.expected else "ERR")
        print(f"{s.score:.3f} (oos {s.out_of_scope:.3f}) {mark} {s.text} -> {s.got}"
              + (f" (want {s.expected})" if mark == "ERR" else ""))
    for t in (0.10, 0.15, 0.20, 0.25, 0.30):
        print(evaluate(scored, t).summary())
    print(f"current threshold {retriever.threshold:.2f}; widest safe margin at {suggest_threshold(scored):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
