"""Legal retrieval benchmark: build time, decide() latency, and decisions on the development and held-out sets.

    PYTHONPATH=$PWD .venv/bin/python -m bench.legal_retrieval [--builds 3] [--no-heldout]

The held-out set (tests/legal/heldout.yml) is only measured here, never tuned
on: a figure from it that leads to a change retires the file (see its header).
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent / "tests" / "legal"


def _percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--builds", type=int, default=3, help="how many times to build the retriever (timing)")
    parser.add_argument("--no-heldout", action="store_true", help="measure the development set only")
    args = parser.parse_args(argv)

    import os

    from hotline.legal import LegalRetriever, load_faq, load_out_of_scope
    from hotline.legal.calibrate import evaluate, evaluate_decisions, load_labelled, score_all

    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    start = time.perf_counter()
    entries, exemplars = load_faq(), load_out_of_scope()
    load_s = time.perf_counter() - start
    builds = []
    for _ in range(max(1, args.builds)):
        start = time.perf_counter()
        retriever = LegalRetriever.from_entries(entries, exemplars)
        builds.append(time.perf_counter() - start)
    start = time.perf_counter()
    LegalRetriever.from_faq()
    from_faq_s = time.perf_counter() - start
    print(f"{len(entries)} entries, {sum(len(e.questions) for e in entries)} question variants, "
          f"{len(exemplars)} out-of-scope exemplars")
    print(f"load + validate the YAML {load_s:.2f} s; build from entries {min(builds):.2f} s min, "
          f"{statistics.median(builds):.2f} s median of {len(builds)}; from_faq (load + build) {from_faq_s:.2f} s")

    sets = [("development (calibration.yml)", TESTS / "calibration.yml")]
    if not args.no_heldout:
        sets.append(("held-out (heldout.yml)", TESTS / "heldout.yml"))
    latencies = []
    for name, path in sets:
        positives, negatives = load_labelled(path)
        ev = evaluate_decisions(retriever, positives, negatives)
        print(f"\n{name}: {len(positives)} real questions, {len(negatives)} off-topic")
        print("  decide():", ev.summary())
        print("  outcomes:", ev.outcomes())
        match_ev = evaluate(score_all(retriever, positives, negatives), retriever.threshold)
        print("  match():", match_ev.summary())
        # Triage's dispute type as the hint, taken from the right entry: an
        # upper bound for the real questions (triage can be wrong); the
        # off-topic ones get no hint.
        oracle = {text: (None if entry_id.startswith("other.") else entry_id.split(".")[0])
                  for text, entry_id in positives}
        print("  decide() with the right entry's dispute type as hint:",
              evaluate_decisions(retriever, positives, negatives, dispute_types=oracle).summary())
        for text in [t for t, _ in positives] + list(negatives):
            start = time.perf_counter()
            retriever.decide(text)
            latencies.append((time.perf_counter() - start) * 1000)
    print(f"\ndecide() latency over {len(latencies)} questions: p50 {_percentile(latencies, 0.5):.2f} ms, "
          f"p99 {_percentile(latencies, 0.99):.2f} ms, max {max(latencies):.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
