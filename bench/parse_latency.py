"""Parse latency and throughput: in-process, and through the Rasa HTTP API for our server and a stock one.

Usage: .venv/bin/python -m bench.parse_latency [--requests 400] [--model models/current.tar.gz]
Both servers serve the same model on loopback. "stock" is `rasa run --enable-api` as shipped
(one Sanic worker); "ours" is the same command with SANIC_WORKERS=2 and the Redis lock store
(REDIS_URL), which is how several workers are run safely; both read endpoints.yml. Load comes from this process with
8 and 32 concurrent aiohttp clients; each setting sends a bounded number of requests.
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

from bench import nlu_common as nc
from tests.stack import free_port

MESSAGES = [
    "老板拖欠我们三个月工资了，一共三万多", "楼上天天半夜拖椅子吵得睡不着", "物业费凭啥一年涨了三百块",
    "他拿着菜刀在砸我家门", "老板欠我三个月工资怎么办", "你好", "路灯坏了好几天了没人修",
    "隔壁盖房子占了俺家宅基地", "网上买的衣服不给退", "借给朋友五万块钱他不还了",
]


def pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


def start_server(model: Path, port: int, token: str, workers: int) -> subprocess.Popen:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "SANIC_WORKERS": str(workers),
           "TRACKER_STORE_URL": "sqlite:////tmp/bench-tracker.db",
           "ACTION_ENDPOINT_URL": "http://127.0.0.1:9/webhook"}  # /model/parse runs no action
    if workers > 1:
        env["REDIS_URL"] = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/2")
    else:
        env.pop("REDIS_URL", None)
    args = [str(Path(sys.executable).parent / "rasa"), "run", "--enable-api", "--auth-token", token,
            "--interface", "127.0.0.1", "--port", str(port), "--model", str(model), "--endpoints", "endpoints.yml"]
    log = open(f"/tmp/bench-rasa-{port}.log", "wb")
    return subprocess.Popen(args, cwd=nc.PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


async def wait_ready(url: str, timeout: float = 240) -> None:
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

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        for _ in range(8):  # warm-up, also loads jieba in every worker
            async with session.post(url, params={"token": token}, json={"text": "你好"}) as r:
                await r.read()
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return total / elapsed, latencies, errors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--model", default="models/current.tar.gz")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    os.chdir(nc.PROJECT_ROOT)
    nc.quiet()
    model = Path(args.model).resolve()

    parser_ = nc.Parser(model)
    parser_.parse("你好")
    times = []
    for i in range(300):
        t = time.perf_counter()
        parser_.parse(MESSAGES[i % len(MESSAGES)])
        times.append((time.perf_counter() - t) * 1000)
    print(f"in-process parse: p50 {statistics.median(times):.1f} ms, p99 {pct(times, 0.99):.1f} ms "
          f"(n={len(times)}); peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    del parser_

    token = "bench-token"
    for name, workers in (("stock (1 worker)", 1), (f"ours ({args.workers} workers, Redis locks)", args.workers)):
        port = free_port()
        server = start_server(model, port, token, workers)
        try:
            asyncio.run(wait_ready(f"http://127.0.0.1:{port}/status?token={token}"))
            for clients in (8, 32):
                rate, latencies, errors = asyncio.run(
                    load(f"http://127.0.0.1:{port}/model/parse", token, clients, args.requests))
                print(f"{name}, {clients} clients: {rate:.0f} parses/s, p50 {statistics.median(latencies):.0f} ms, "
                      f"p99 {pct(latencies, 0.99):.0f} ms, errors {errors}")
        finally:
            os.killpg(server.pid, 15)
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
