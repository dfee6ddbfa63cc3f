"""Measures the retriever and its decisions on labelled questions: python -m hotline.legal.calibrate FILE.yml."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from .retrieval import ANSWER, CONFIRM, REFER, LegalRetriever


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


@dataclass
class DecisionEvaluation:
    """What ``LegalRetriever.decide`` does with labelled questions."""

    positives: int
    negatives: int
    answered_right: int = 0
    answered_wrong: int = 0        # a wrong answer would be sent
    negatives_answered: int = 0    # an off-topic question would be answered
    confirmed_right: int = 0       # the candidate asked about is the right entry
    confirmed_wrong: int = 0       # a real question, another candidate
    confirmed_in_options: int = 0  # the right entry is the candidate or an alternative
    negatives_confirmed: int = 0
    referred: int = 0              # real questions sent to 12348
    negatives_referred: int = 0
    misses: List[Tuple[str, Optional[str], str, Optional[str], float]] = field(default_factory=list)

    @property
    def answer_accuracy(self) -> float:
        """Share of real questions answered with the right entry."""
        return self.answered_right / self.positives if self.positives else 0.0

    @property
    def wrong_rate(self) -> float:
        """Share of real questions answered with a wrong entry."""
        return self.answered_wrong / self.positives if self.positives else 0.0

    @property
    def confirmations(self) -> int:
        return self.confirmed_right + self.confirmed_wrong + self.negatives_confirmed

    @property
    def confirm_precision(self) -> float:
        """Share of confirmation questions (real and off-topic) whose candidate is right."""
        return self.confirmed_right / self.confirmations if self.confirmations else 0.0

    @property
    def refer_rate(self) -> float:
        """Share of real questions that end with a referral to 12348 straight away."""
        return self.referred / self.positives if self.positives else 0.0

    def outcomes(self) -> str:
        """The four figures a citizen would notice, over the real questions."""
        wrong_after_confirm = self.confirmed_wrong - (self.confirmed_in_options - self.confirmed_right)
        return (f"answered at once {self.answered_right}/{self.positives}, "
                f"after one confirmation {self.confirmed_in_options}/{self.positives} "
                f"(candidate right {self.confirmed_right}, picked among the options "
                f"{self.confirmed_in_options - self.confirmed_right}), "
                f"to 12348 {self.referred + wrong_after_confirm}/{self.positives} "
                f"(at once {self.referred}, after a no {wrong_after_confirm}), "
                f"wrong answer {self.answered_wrong}/{self.positives}; "
                f"off-topic answered {self.negatives_answered}/{self.negatives}")

    def summary(self) -> str:
        real_confirms = self.confirmed_right + self.confirmed_wrong
        return (f"answer right {self.answer_accuracy:.3f} ({self.answered_right}/{self.positives}), "
                f"answer wrong {self.answered_wrong} ({self.wrong_rate:.3f}), "
                f"off-topic answered {self.negatives_answered}/{self.negatives}; "
                f"confirm {self.confirmations} (real {real_confirms}, off-topic {self.negatives_confirmed}), "
                f"candidate right {self.confirm_precision:.3f}, right entry among the options "
                f"{self.confirmed_in_options}/{real_confirms}; "
                f"real questions referred {self.referred} ({self.refer_rate:.3f}), "
                f"off-topic referred {self.negatives_referred}/{self.negatives}")


def evaluate_decisions(retriever: LegalRetriever, positives: Sequence[Tuple[str, str]], negatives: Sequence[str],
                       dispute_types: Optional[dict] = None) -> DecisionEvaluation:
    """``dispute_types``: text -> the type triage would give, to measure with the hint."""
    dispute_types = dispute_types or {}
    ev = DecisionEvaluation(len(positives), len(negatives))
    for text, expected in [(t, e) for t, e in positives] + [(t, None) for t in negatives]:
        d = retriever.decide(text, dispute_type=dispute_types.get(text))
        got = d.entry.id if d.entry is not None else None
        if expected is None:
            if d.kind == ANSWER:
                ev.negatives_answered += 1
            elif d.kind == CONFIRM:
                ev.negatives_confirmed += 1
            else:
                ev.negatives_referred += 1
            if d.kind != REFER:
                ev.misses.append((text, None, d.kind, got, d.score))
            continue
        if d.kind == ANSWER:
            if got == expected:
                ev.answered_right += 1
            else:
                ev.answered_wrong += 1
                ev.misses.append((text, expected, d.kind, got, d.score))
        elif d.kind == CONFIRM:
            if got == expected:
                ev.confirmed_right += 1
            else:
                ev.confirmed_wrong += 1
            if expected in [got] + [a.id for a in d.alternatives]:
                ev.confirmed_in_options += 1
            ev.misses.append((text, expected, d.kind, got, d.score))
        else:
            ev.referred += 1
            ev.misses.append((text, expected, d.kind, got, d.score))
    return ev


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
    if Path(args.labelled).name == "heldout.yml":
        print("note: heldout.yml is the held-out test set; measure on it, never tune on it", file=sys.stderr)

    retriever = LegalRetriever.from_faq(args.faq)
    positives, negatives = load_labelled(args.labelled)
    scored = score_all(retriever, positives, negatives)
    for s in sorted(scored, key=lambda s: s.score):
        mark = "neg" if s.expected is None else ("ok " if s.got == s.expected else "ERR")
        print(f"{s.score:.3f} (oos {s.out_of_scope:.3f}) {mark} {s.text} -> {s.got}"
              + (f" (want {s.expected})" if mark == "ERR" else ""))
    for t in (0.15, 0.30, 0.45, 0.55, 0.65, 0.75):
        print(evaluate(scored, t).summary())
    print(f"current threshold {retriever.threshold:.2f}; widest safe margin at {suggest_threshold(scored):.2f}")
    print("decisions:", evaluate_decisions(retriever, positives, negatives).summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
