"""Nothing lost while Rasa and the action server crash: the fault run of bench/faults.py, at a tenth of its size.

100 web chat messages from 10 citizens (each with their own cookie jar and loopback address), Rasa and the
action server each killed with SIGKILL once and restarted, the hand-off job running as `make run` runs it.
The full run (1,000 messages, 100 citizens, two kills of each) is `python -m bench.faults`; its figures are
in docs/RELIABILITY.md.
"""
from __future__ import annotations

import pytest

from bench.faults import run
from tests.stack import Stack

pytestmark = pytest.mark.e2e


def test_crashes_of_rasa_and_the_action_server_lose_nothing_and_repeat_nothing(model_path, tmp_path):
    # A stack of its own: the kills and the job must not disturb the other end-to-end tests.
    stack = Stack(tmp_path, model_path).start()
    try:
        figures = run(stack, senders=10, messages=10, kills=1, workers=5)
    finally:
        stack.stop()
    report = "\n".join(figures.lines())
    assert figures.kills == {"rasa": 1, "actions": 1}, report
    assert figures.messages == 100, report
    assert figures.lost == 0 and figures.unprocessed == 0, report
    assert figures.duplicated_turns == 0 and figures.missing_turns == 0, report
    assert figures.cases >= 1 and figures.duplicated_cases == 0, report
    assert figures.unanswered_citizens == 0 and figures.unanswered_messages == 0, report
