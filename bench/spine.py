"""Spine figures: time from start to ready, first-reply latency, and turn latency through the web chat.

Usage: .venv/bin/python -m bench.spine [--turns 30]
Starts the real three processes (as the e2e tests do) with models/current.tar.gz.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import requests

from hotline.config import PROJECT_ROOT
from tests.stack import Stack

CONVERSATION = ["老板拖欠我们三个月工资了，一共三万多", "城关镇幸福村", "同意", "13812345678"]


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=10, help="conversations to time after the first")
    args = parser.parse_args()
    model = (PROJECT_ROOT / "models" / "current.tar.gz").resolve()
    with tempfile.TemporaryDirectory() as work:
        stack = Stack(Path(work), model)
        stack.start()
        print(f"ready after start: {stack.ready_seconds:.1f} s (three processes, model {model.stat().st_size / 1e6:.0f} MB)")
        browsers = {}  # one cookie jar per conversation: the server issues the conversation
        post = lambda sender, text: browsers.setdefault(sender, requests.Session()).post(  # noqa: E731
            f"{stack.web_url}/chat/api/messages", json={"message_id": uuid.uuid4().hex, "text": text}, timeout=120)
        t0 = time.perf_counter()
        post(f"bench-{uuid.uuid4().hex[:6]}", CONVERSATION[0]).raise_for_status()
        print(f"first reply in the chat (cold): {(time.perf_counter() - t0) * 1000:.0f} ms")
        latencies = []
        for _ in range(args.turns):
            sender = f"bench-{uuid.uuid4().hex[:6]}"
            for text in CONVERSATION:
                t = time.perf_counter()
                post(sender, text).raise_for_status()
                latencies.append((time.perf_counter() - t) * 1000)
        print(f"warm turns: n={len(latencies)} p50={statistics.median(latencies):.0f} ms "
              f"p90={percentile(latencies, 0.9):.0f} ms p99={percentile(latencies, 0.99):.0f} ms")
        stack.stop()


if __name__ == "__main__":
    main()
