"""The hotline seat's live triage under load: round trip of POST /operator/triage at 8 seats typing at once.

Usage: .venv/bin/python -m bench.seat_triage [--seats 8] [--seconds 30]

Starts the real stack (Rasa with models/current.tar.gz, the action server, the web
service; tests/stack.py), signs in one operator per seat, and has each seat send what a
fast typist's debounced panel sends: the caller's words growing a few characters at a
time, one request after the other (the page drops stale answers, so a seat never has
two in flight). Bounded by --seconds and by --max-requests per seat. Prints p50 / p95 /
p99 and requests per second; the figures go to docs/BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import List

import requests

from bench.cases_queue import percentile

CALLS = [
    "您好，我要反映一下，我们小区隔壁那家饭店油烟太大了，天天晚上排到我们家窗户里，找物业也不管",
    "老板拖欠我们二十多个工人三个月的工资，一共十几万，大家说再不给就去政府门口拉横幅",
    "我老公喝了酒就打我，刚才又拿着菜刀在客厅里骂，说要弄死我，我现在躲在卫生间",
    "公司一直不跟我签劳动合同，干了快两年了，现在要辞退我，我能要求双倍工资吗",
    "楼上邻居家卫生间漏水，把我家天花板泡坏了，找他好几次都不理，想请村里调解一下",
]
STEP = 4  # characters a typist adds between two debounced requests


def seat(base: str, username: str, password: str, stop_at: float, max_requests: int, out: List[float],
         errors: List[str], source: List[str]) -> None:
    http = requests.Session()
    page = http.get(f"{base}/console/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    http.post(f"{base}/console/login", data={"username": username, "password": password, "csrf": csrf})
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', http.get(f"{base}/operator").text).group(1)
    sent = 0
    while time.perf_counter() < stop_at and sent < max_requests:
        call = CALLS[sent % len(CALLS)]
        for end in range(STEP, len(call) + STEP, STEP):
            if time.perf_counter() >= stop_at or sent >= max_requests:
                break
            t0 = time.perf_counter()
            answer = http.post(f"{base}/operator/triage", json={"text": call[:end], "line": "12345"},
                               headers={"X-CSRF-Token": csrf}, timeout=30)
            out.append((time.perf_counter() - t0) * 1000)
            sent += 1
            if answer.status_code != 200:
                errors.append(f"{answer.status_code} {answer.text[:120]}")
            else:
                source.append(answer.json().get("source", "?"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seats", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--max-requests", type=int, default=2000, help="per seat")
    args = parser.parse_args()

    from hotline.cases.accounts import create_user
    from hotline.config import PROJECT_ROOT
    from hotline.db import make_engine, make_sessionmaker
    from tests.stack import Stack

    model = PROJECT_ROOT / "models" / "current.tar.gz"
    if not model.exists():
        sys.exit("no model at models/current.tar.gz: run scripts/train.sh first")
    with tempfile.TemporaryDirectory() as work:
        stack = Stack(Path(work), model.resolve()).start()
        try:
            engine = make_engine(stack.database_url)
            with make_sessionmaker(engine).begin() as session:
                for i in range(args.seats):
                    create_user(session, f"seat{i}", "bench-password", "operator")
            engine.dispose()
            # Warm-up: jieba's dictionary and the model's first parse (about a second), as a seat's first call.
            seat(stack.web_url, "seat0", "bench-password", time.perf_counter() + 5, 3, [], [], [])
            timings: List[float] = []
            errors: List[str] = []
            sources: List[str] = []
            stop_at = time.perf_counter() + args.seconds
            threads = [threading.Thread(target=seat, args=(stack.web_url, f"seat{i}", "bench-password", stop_at,
                                                          args.max_requests, timings, errors, sources))
                       for i in range(args.seats)]
            started = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=args.seconds + 60)
            elapsed = time.perf_counter() - started
        finally:
            stack.stop()
    print(f"{args.seats} seats, {len(timings)} triage round trips in {elapsed:.1f} s "
          f"({len(timings) / elapsed:.1f}/s); errors {len(errors)}; answered by the model: "
          f"{sources.count('model')}, by the rules alone: {sources.count('rules')}")
    if timings:
        print(f"round trip p50 {percentile(timings, 0.5):.0f} ms, p95 {percentile(timings, 0.95):.0f} ms, "
              f"p99 {percentile(timings, 0.99):.0f} ms, max {max(timings):.0f} ms")
    for line in errors[:5]:
        print("error:", line)


if __name__ == "__main__":
    main()
