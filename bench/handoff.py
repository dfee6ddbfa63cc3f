"""Hand-off latencies on the real processes: what a citizen and a mediator wait for.

    .venv/bin/python -m bench.handoff --rounds 20

Starts Rasa, the action server and the web service (tests/stack.py) on free
ports with a scratch database, then for each round: a citizen asks for a
person; measures (a) the reply to that request (Rasa + the action opening the
hand-off), (b) a citizen message while a person holds the conversation (the
web service records it and forwards it to the paused tracker), (c) a
mediator's reply until the citizen's poll returns it, (d) hand-back until the
bot's message is in the citizen's poll (Rasa runs the action through its API).
Beside them, the same web chat turn with the bot answering ("你好"), as the
baseline of the same run.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import requests

from hotline.config import PROJECT_ROOT


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    from tests.stack import BIN, Stack

    workdir = Path(tempfile.mkdtemp(prefix="bench-handoff-"))
    stack = Stack(workdir, (PROJECT_ROOT / "models" / "current.tar.gz").resolve()).start()
    try:
        subprocess.run([str(BIN / "hotline"), "user", "add", "bench", "--role", "mediator"], input="bench-pass-1\n",
                       text=True, env=stack.env, cwd=PROJECT_ROOT, check=True, capture_output=True)
        token = subprocess.run([str(BIN / "hotline"), "token", "create", "bench-t", "--user", "bench"], text=True,
                               env=stack.env, cwd=PROJECT_ROOT, check=True, capture_output=True).stdout.split()[-1]
        auth = {"Authorization": f"Bearer {token}"}
        web = stack.web_url
        timings = {k: [] for k in ("baseline", "request", "while_paused", "reply_seen", "handback_seen")}

        browsers = {}  # one cookie jar per conversation: the server issues the conversation

        def say(sender, text):
            start = time.perf_counter()
            body = browsers.setdefault(sender, requests.Session()).post(
                f"{web}/chat/api/messages", timeout=120, json={"message_id": uuid.uuid4().hex, "text": text}).json()
            return time.perf_counter() - start, body

        def until_polled(sender, after, what):
            start = time.perf_counter()
            while True:
                body = browsers[sender].get(f"{web}/chat/api/messages", params={"after": after}, timeout=30).json()
                if any(what(m) for m in body["messages"]):
                    return time.perf_counter() - start, body["last_seq"]
                time.sleep(0.02)

        for _ in range(args.rounds):
            sender = f"bench-{uuid.uuid4().hex[:10]}"
            timings["baseline"].append(say(sender, "你好")[0])
            took, body = say(sender, "转人工")
            timings["request"].append(took)
            number = body["handoff"]["case_number"]
            timings["while_paused"].append(say(sender, "你们在吗")[0])
            requests.post(f"{web}/api/cases/{number}/accept", headers=auth, timeout=60).raise_for_status()
            start = time.perf_counter()
            requests.post(f"{web}/api/cases/{number}/reply", headers=auth, json={"text": "您好，请讲。"},
                          timeout=60).raise_for_status()
            seen, last = until_polled(sender, 0, lambda m: m["from"] == "mediator")
            timings["reply_seen"].append(time.perf_counter() - start)
            start = time.perf_counter()
            requests.post(f"{web}/api/cases/{number}/handback", headers=auth, timeout=60).raise_for_status()
            until_polled(sender, last, lambda m: m["from"] == "bot")
            timings["handback_seen"].append(time.perf_counter() - start)
        base = statistics.median(timings["baseline"])
        print(f"rounds: {args.rounds} (ready in {stack.ready_seconds:.0f} s)")
        print(f"{'step':<44}{'p50 ms':>9}{'p99 ms':>9}{'x baseline':>12}")
        names = {"baseline": "chat turn answered by the bot (你好)", "request": "转人工 (hand-off opened, bot pauses)",
                 "while_paused": "citizen message while a person holds it",
                 "reply_seen": "mediator reply until the citizen's poll has it",
                 "handback_seen": "hand-back until the bot's message is polled"}
        for key, values in timings.items():
            p50 = statistics.median(values)
            print(f"{names[key]:<44}{p50 * 1000:>9.0f}{percentile(values, 0.99) * 1000:>9.0f}{p50 / base:>12.2f}")
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
