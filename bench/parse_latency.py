"""Parse latency and throughput: in-process, and through the Rasa HTTP API for a stock server and ours.

Usage: .venv/bin/python -m bench.parse_latency [--requests 2000] [--model models/current.tar.gz]
One run, one model. In process: `hotline classify`'s LocalParser (Rasa's own parse_message),
and the batching core of our endpoint (bot.channels.batching.NluGraph) on batches of 8 and 32.
Through HTTP, one server after the other on loopback, both `rasa run --enable-api` with
endpoints.yml and one Sanic worker: "stock" without credentials, loaded with `POST /model/parse`;
"ours" with credentials.example.yml, loaded with `POST /webhooks/nlu/parse` (micro-batched).
Load comes from this process with 8 and 32 concurrent aiohttp clients; each setting sends a
bounded number of requests after a warm-up. Peak RSS is the server's VmHWM from /proc.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

from bench import nlu_common as nc
from tests.stack import free_port

MESSAGES = [
    "老板拖欠我们三个月工资了，一共三万多", "楼上天天半夜拖椅子吵得睡不着", "物业费凭啥一年涨了三百块",
    "他拿着菜刀在砸我家门", "老板欠我三个月工资怎么办", "你好", "路灯坏了好几天了没人修",
    "隔壁盖房子占了俺家宅基地", "网上买的衣服不给退", "借给朋友五万块钱他不还了",
]
CLIENTS = (8, 32)


def pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def start_server(model: Path, port: int, token: str, credentials: Optional[str]) -> subprocess.Popen:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "SANIC_WORKERS": "1",
           "TRACKER_STORE_URL": f"sqlite:////tmp/bench-tracker-{port}.db",
           "ACTION_ENDPOINT_URL": "http://127.0.0.1:9/webhook",  # a parse runs no action
           "ACTIONS_SECRET": "unused-no-action-runs"}
    env.pop("REDIS_URL", None)
    env.pop("RASA_TOKEN", None)  # both servers get the token on the command line only
    args = [str(Path(sys.executable).parent / "rasa"), "run", "--enable-api", "--auth-token", token,
            "--interface", "127.0.0.1", "--port", str(port), "--model", str(model), "--endpoints", "endpoints.yml"]
    if credentials:
        args += ["--credentials", credentials]
    log = open(f"/tmp/bench-rasa-{port}.log", "wb")
    return subprocess.Popen(args, cwd=nc.PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def peak_rss_mb(pid: int) -> Optional[float]:
    """VmHWM of the process and its children (Linux /proc), in MB; None elsewhere."""
    total, found = 0, False
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if int(fields.get("Pid", 0)) == pid or int(fields.get("PPid", 0)) == pid:
            total += int(fields.get("VmHWM", "0 kB").split()[0])
            found = True
    return total / 1024 if found else None


async def wait_ready(url: str, timeout: float = 300) -> None:
    import aiohttp

    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.5)
    raise RuntimeError(f"{url} not ready")


async def load(url: str, token: str, clients: int, total: int):
    import aiohttp

    latencies, errors = [], 0
    counter = iter(range(total))

    async def client(session):
        nonlocal errors
        for i in counter:
            started = time.perf_counter()
            async with session.post(url, params={"token": token}, json={"text": MESSAGES[i % len(MESSAGES)]}) as r:
                await r.read()
                if r.status != 200:
                    errors += 1
            latencies.append((time.perf_counter() - started) * 1000)

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
        for i in range(20):  # warm-up: jieba, TensorFlow's first calls, the connections
            async with session.post(url, params={"token": token}, json={"text": MESSAGES[i % len(MESSAGES)]}) as r:
                await r.read()
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return total / elapsed, latencies, errors


def in_process(model: Path) -> None:
    from bot.channels.batching import NluGraph

    parser_ = nc.Parser(model)
    parser_.parse("你好")
    times = []
    for i in range(300):
        t = time.perf_counter()
        parser_.parse(MESSAGES[i % len(MESSAGES)])
        times.append((time.perf_counter() - t) * 1000)
    print(f"in-process parse (LocalParser): p50 {statistics.median(times):.1f} ms, p99 {pct(times, 0.99):.1f} ms "
          f"(n={len(times)})")
    graph = NluGraph.of(parser_.processor)
    if graph is None:
        print("in-process batched: this model's NLU cannot be run node by node")
    else:
        for size in (1,) + CLIENTS:
            batches = []
            for i in range(max(20, 300 // size)):
                texts = [MESSAGES[(i * size + k) % len(MESSAGES)] for k in range(size)]
                t = time.perf_counter()
                graph.parse(texts)
                batches.append((time.perf_counter() - t) * 1000)
            print(f"in-process batched, {size} per pass: {size * 1000 / statistics.median(batches):.0f} parses/s, "
                  f"pass p50 {statistics.median(batches):.1f} ms, p99 {pct(batches, 0.99):.1f} ms (n={len(batches)})")
    print(f"peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000, help="requests per server and client count")
    parser.add_argument("--model", default="models/current.tar.gz")
    args = parser.parse_args()
    os.chdir(nc.PROJECT_ROOT)
    nc.quiet()
    model = Path(args.model).resolve()
    print(f"model {model.name}; load average {load_average()} at the start")
    in_process(model)

    token = "bench-token"
    servers = (("stock /model/parse", None, "/model/parse"),
               ("ours /webhooks/nlu/parse", "credentials.example.yml", "/webhooks/nlu/parse"))
    rates: Dict[int, List[float]] = {clients: [] for clients in CLIENTS}
    for name, credentials, path in servers:
        port = free_port()
        server = start_server(model, port, token, credentials)
        try:
            asyncio.run(wait_ready(f"http://127.0.0.1:{port}/status?token={token}"))
            for clients in CLIENTS:
                rate, latencies, errors = asyncio.run(
                    load(f"http://127.0.0.1:{port}{path}", token, clients, args.requests))
                rates[clients].append(rate)
                print(f"{name}, {clients} clients: {rate:.0f} parses/s, p50 {statistics.median(latencies):.0f} ms, "
                      f"p99 {pct(latencies, 0.99):.0f} ms, errors {errors} (n={len(latencies)}; "
                      f"load average {load_average()})")
            rss = peak_rss_mb(server.pid)
            print(f"{name}: peak RSS of the server {rss:.0f} MB" if rss else f"{name}: peak RSS unknown")
        finally:
            os.killpg(server.pid, 15)
            server.wait(timeout=30)
    for clients, (stock, ours) in rates.items():
        print(f"{clients} clients: ours/stock throughput {ours / stock:.2f}")
    print(f"load average {load_average()} at the end")


if __name__ == "__main__":
    main()
