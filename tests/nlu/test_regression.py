"""NLU regression on held-out messages (tests/nlu/heldout.yml, never used in training) and on the
real-message dev set (bench/devset/devset.jsonl, written by members of the public, never trained on).

Thresholds sit a little below the figures measured when the data or pipeline
last changed (docs/BENCHMARKS.md), so a change that hurts accuracy fails here.
"""
from __future__ import annotations

import asyncio
import warnings
from collections import Counter
from pathlib import Path

import pytest
import yaml

HELDOUT = Path(__file__).with_name("heldout.yml")
MIN_INTENT_ACCURACY = 0.95  # measured 0.965 on 200 messages on 2026-12-04 (model 96a9c1cc; 0.950 before)
MIN_DISPUTE_ACCURACY = 0.97  # measured 0.992 on 2026-12-04 (1 of 120 wrong; 0.983 on 2026-12-02)
# Dev set of real messages (2026-12-05, model with jieba's tags beside the characters): letters read as
# dispute-or-service 0.868 (0.842 on 2026-12-04, 0.500 before the letter register); legal questions'
# dispute type accuracy 0.761, macro-F1 0.768 (0.742 / 0.726 without the tags, 0.487 accuracy before any
# of this work); legal questions read as ask_legal 0.696 (0.580 before stories ending in a question).
MIN_DEV_LETTERS = 0.84
MIN_DEV_LEGAL_TYPE_ACCURACY = 0.73
MIN_DEV_LEGAL_TYPE_MACRO_F1 = 0.74
MIN_DEV_LEGAL_INTENT_ACCURACY = 0.66


@pytest.fixture(scope="module")
def results(model_path):
    from rasa.core.agent import Agent

    items = yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))
    # Loading a model runs TensorFlow, Keras and Rasa's own imports, which warn
    # about their own deprecations on a fresh venv; they are not ours to fix.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        agent = Agent.load(str(model_path))
        loop = asyncio.new_event_loop()
        parsed = [(item, loop.run_until_complete(agent.parse_message(item["text"]))) for item in items]
        loop.close()
    return parsed


def test_intent_accuracy(results):
    wrong = [(i["text"], i["intent"], p["intent"]["name"]) for i, p in results if p["intent"]["name"] != i["intent"]]
    accuracy = 1 - len(wrong) / len(results)
    assert accuracy >= MIN_INTENT_ACCURACY, f"intent accuracy {accuracy:.3f}; confusions: {Counter((g, p) for _, g, p in wrong).most_common(6)}"


def test_dispute_type_accuracy(results):
    disputes = [(i, p) for i, p in results if i["dispute_type"]]
    wrong = [(i["text"], i["dispute_type"], (p.get("dispute_type") or {}).get("code")) for i, p in disputes
             if (p.get("dispute_type") or {}).get("code") != i["dispute_type"]]
    accuracy = 1 - len(wrong) / len(disputes)
    assert accuracy >= MIN_DISPUTE_ACCURACY, f"dispute-type accuracy {accuracy:.3f}; misses: {wrong[:8]}"


def test_every_emergency_goes_to_110(results):
    missed = [i["text"] for i, p in results if i["intent"] == "emergency" and p["triage"]["route"]["to"] != "110"]
    assert not missed, f"emergencies not routed to 110: {missed}"


@pytest.fixture(scope="module")
def dev(model_path):
    from rasa.core.agent import Agent

    from bench.devset import load
    from hotline.nlu_eval import predictions, report

    rows = load()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        agent = Agent.load(str(model_path))
        loop = asyncio.new_event_loop()
        preds = predictions(rows, lambda text: loop.run_until_complete(agent.parse_message(text)))
        loop.close()
    by_register = {}
    for register in ("letter", "consultation"):
        idx = [i for i, r in enumerate(rows) if r["register"] == register]
        by_register[register] = report([rows[i] for i in idx], [preds[i] for i in idx])
    return by_register


def test_real_letters_are_read_as_requests_or_disputes(dev):
    accuracy = dev["letter"]["dispute_or_service"]["accuracy"]
    assert accuracy >= MIN_DEV_LETTERS, f"letters: dispute-or-service accuracy {accuracy:.3f}; {dev['letter']['mistakes'][:5]}"


def test_real_legal_questions_get_their_dispute_type(dev):
    accuracy = dev["consultation"]["dispute_type"]["accuracy"]
    assert accuracy >= MIN_DEV_LEGAL_TYPE_ACCURACY, f"legal questions: dispute-type accuracy {accuracy:.3f}"
    macro = dev["consultation"]["dispute_type"]["macro_f1"]
    assert macro >= MIN_DEV_LEGAL_TYPE_MACRO_F1, f"legal questions: dispute-type macro-F1 {macro:.3f}"


def test_real_legal_questions_are_read_as_questions(dev):
    accuracy = dev["consultation"]["intent"]["accuracy"]
    assert accuracy >= MIN_DEV_LEGAL_INTENT_ACCURACY, f"legal questions: intent accuracy {accuracy:.3f}"


def test_every_dispute_or_legal_reading_has_a_type(dev):
    for register, result in dev.items():
        untyped = result["untyped_dispute_predictions"]
        assert untyped["count"] == 0, f"{register}: {untyped['count']} of {untyped['of']} without a dispute type"
