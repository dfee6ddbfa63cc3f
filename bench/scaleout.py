"""Load on loopback: the embedded default and the scale-out stack, messages per second at p99 <= 1 s, errors 0.

    .venv/bin/python -m bench.scaleout                  # both stacks
    .venv/bin/python -m bench.scaleout --only embedded  # or --only scaleout

Embedded: one Rasa, one action server, one web service, SQLite (what `make
run` starts). Scale-out: PostgreSQL tracker store and case store (throwaway
databases on 127.0.0.1:5432, dropped afterwards), the Redis lock store and
rate-limit counts (127.0.0.1:6379), two Rasa servers and two web workers
behind nginx: citizens reach a web worker by their chat cookie, and a web
worker reaches the Rasa server that owns the conversation by the
`X-Conversation` header (both `hash ... consistent`), so one Rasa server
serves a conversation. nginx comes from Debian; this script installs it with
apt-get when it is missing.

Each step sends a fixed number of chat messages (every citizen a cookie jar
of their own and a loopback address of their own, the wage-dispute script)
with a fixed number of citizens talking at once, and reports messages per
second, p50/p99 latency and errors (any answer but 200). Steps stop at the
first whose p99 is over 1 s; the figure is the best step with p99 <= 1 s and
no errors.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Optional

import requests

from bench.faults import SCRIPT, FromAddress
from hotline.config import PROJECT_ROOT

NEEDS = ("bench.scaleout needs nginx (apt-get install nginx-light), PostgreSQL on 127.0.0.1:5432 (user postgres, "
         "trust) and Redis on 127.0.0.1:6379")
POSTGRES_ADMIN = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
REDIS_DB = "7"  # a database of its own, flushed before and after


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    for command in (sudo + ["apt-get", "update", "-qq"], sudo + ["apt-get", "install", "-y", "-qq", "nginx-light"]):
        if subprocess.run(command, env=env, capture_output=True).returncode != 0:
            sys.exit(NEEDS)
    return shutil.which("nginx") or "/usr/sbin/nginx"


NGINX_CONF = """worker_processes 1;
{user}
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 2048; }}
http {{
  access_log off;
  log_format owner '$http_x_conversation $upstream_addr';
  client_body_temp_path {work}/nginx-body; proxy_temp_path {work}/nginx-proxy;
  fastcgi_temp_path {work}/nginx-fcgi; uwsgi_temp_path {work}/nginx-uwsgi; scgi_temp_path {work}/nginx-scgi;
  upstream web {{ hash $cookie_hotline_chat consistent; {web} keepalive 32; }}
  upstream rasa {{ hash $http_x_conversation consistent; {rasa} keepalive 32; }}
  server {{
    listen 127.0.0.1:{web_port};
    location / {{
      proxy_pass http://web; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Host $host; proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme; proxy_read_timeout 120s;
    }}
  }}
  server {{
    listen 127.0.0.1:{rasa_port};
    access_log {work}/rasa-routing.log owner;
    location / {{
      proxy_pass http://rasa; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_read_timeout 120s;
    }}
  }}
}}
"""


def _wait(url: str, headers: Dict[str, str], timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2, headers=headers).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not ready after {timeout} s")


class Load:
    """Citizens talking through the web chat: each step a fixed count of messages at a fixed concurrency."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.citizens = 0

    def citizen(self) -> requests.Session:
        browser = requests.Session()
        n = self.citizens = self.citizens + 1
        browser.mount("http://", FromAddress(f"127.0.{1 + n // 250}.{2 + n % 250}"))
        browser.get(f"{self.url}/chat", timeout=30).raise_for_status()  # the server issues the conversation
        return browser

    def step(self, concurrency: int, messages: int) -> Dict[str, float]:
        per_citizen = len(SCRIPT)
        citizens = max(concurrency, messages // per_citizen)
        browsers = [self.citizen() for _ in range(citizens)]
        latencies: List[float] = []
        errors = 0

        def talk(browser: requests.Session, count: int) -> None:
            nonlocal errors
            for index in range(count):
                start = time.perf_counter()
                try:
                    response = browser.post(f"{self.url}/chat/api/messages", timeout=120,
                                            json={"message_id": uuid.uuid4().hex, "text": SCRIPT[index % per_citizen]})
                    ok = response.status_code == 200 and bool(response.json()["replies"] or response.json()["handoff"])
                except requests.RequestException:
                    ok = False
                latencies.append(time.perf_counter() - start)
                errors += not ok

        shares = [messages // citizens + (1 if i < messages % citizens else 0) for i in range(citizens)]
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(talk, browsers, shares))
        wall = time.perf_counter() - started
        return {"concurrency": concurrency, "messages": len(latencies), "per_second": len(latencies) / wall,
                "p50": statistics.median(latencies), "p99": percentile(latencies, 0.99), "errors": errors,
                "seconds": wall}


def sweep(url: str, steps: List[int], messages: int, budget: float) -> List[Dict[str, float]]:
    load, results, started = Load(url), [], time.monotonic()
    load.step(2, 20)  # warm-up: the first turns load the model's lazy parts
    for concurrency in steps:
        result = load.step(concurrency, messages)
        results.append(result)
        print(f"  {concurrency:>3} at once: {result['messages']:.0f} messages, {result['per_second']:.1f} msg/s, "
              f"p50 {result['p50'] * 1000:.0f} ms, p99 {result['p99'] * 1000:.0f} ms, errors {result['errors']}",
              flush=True)
        if result["p99"] > 1.0 or time.monotonic() - started > budget:
            break
    return results


def best(results: List[Dict[str, float]]) -> Optional[Dict[str, float]]:
    good = [r for r in results if r["p99"] <= 1.0 and r["errors"] == 0]
    return max(good, key=lambda r: r["per_second"]) if good else None


def embedded(args) -> List[Dict[str, float]]:
    from tests.stack import Stack

    work = Path(tempfile.mkdtemp(prefix="bench-embedded-"))
    stack = Stack(work, (PROJECT_ROOT / "models" / "current.tar.gz").resolve()).start()
    try:
        return sweep(stack.web_url, args.steps, args.messages, args.budget)
    finally:
        stack.stop()


def _databases(names: List[str], create: bool) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(POSTGRES_ADMIN, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in names:
            if create:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            else:
                connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                        "WHERE datname = :name"), {"name": name})
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def scaleout(args) -> List[Dict[str, float]]:
    import redis
    from sqlalchemy.engine import make_url

    from tests.stack import BIN, Stack, free_port

    proxy = nginx()
    suffix = uuid.uuid4().hex[:8]
    cases_db, tracker_db = f"hotline_bench_{suffix}", f"tracker_bench_{suffix}"
    try:
        _databases([cases_db, tracker_db], create=True)
        redis.Redis.from_url(f"redis://127.0.0.1:6379/{REDIS_DB}").flushdb()
    except Exception as error:  # noqa: BLE001 - one line, not a trace
        sys.exit(f"{NEEDS}: {error}")
    url = make_url(POSTGRES_ADMIN)
    proxy_web, proxy_rasa = free_port(), free_port()
    work = Path(tempfile.mkdtemp(prefix="bench-scaleout-"))
    stack = Stack(work, (PROJECT_ROOT / "models" / "current.tar.gz").resolve(), extra_env={
        "DATABASE_URL": url.set(database=cases_db).render_as_string(hide_password=False),
        "TRACKER_STORE_URL": url.set(drivername="postgresql", database=tracker_db).render_as_string(
            hide_password=False),
        "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "TRUSTED_PROXY": "127.0.0.1",
    })
    # The web workers reach Rasa through the proxy (sticky by conversation); Rasa itself is checked directly.
    stack.env["RASA_URL"] = f"http://127.0.0.1:{proxy_rasa}"
    nginx_process = None
    try:
        stack.start()
        rasa2, web2 = free_port(), free_port()
        rasa_args = list(stack.commands["rasa"])
        rasa_args[rasa_args.index("--port") + 1] = str(rasa2)
        stack.spawn("rasa2", rasa_args)
        stack.spawn("web2", [str(BIN / "hotline"), "serve", "--port", str(web2)])
        _wait(f"http://127.0.0.1:{rasa2}/status", stack.rasa_headers())
        _wait(f"http://127.0.0.1:{web2}/api/health", {})
        conf = work / "nginx.conf"
        conf.write_text(NGINX_CONF.format(
            work=work, user="user root;" if os.geteuid() == 0 else "", web_port=proxy_web, rasa_port=proxy_rasa,
            web=" ".join(f"server 127.0.0.1:{p};" for p in (stack.web_port, web2)),
            rasa=" ".join(f"server 127.0.0.1:{p};" for p in (stack.rasa_port, rasa2))))
        nginx_process = subprocess.Popen([proxy, "-p", str(work), "-c", str(conf), "-g", "daemon off;"],
                                         stdout=subprocess.DEVNULL, stderr=open(work / "nginx.out", "wb"))
        _wait(f"http://127.0.0.1:{proxy_web}/api/health", {})
        results = sweep(f"http://127.0.0.1:{proxy_web}", args.steps, args.messages, args.budget)
        owners: Dict[str, set] = {}
        for line in (work / "rasa-routing.log").read_text().splitlines():
            conversation, _, upstream = line.partition(" ")
            owners.setdefault(conversation, set()).add(upstream)
        servers = sorted({u for found in owners.values() for u in found})
        print(f"  Rasa calls routed: {len(owners)} conversations over {len(servers)} Rasa servers; conversations "
              f"served by more than one: {sum(1 for found in owners.values() if len(found) > 1)}", flush=True)
        return results
    finally:
        if nginx_process is not None:
            nginx_process.terminate()
            nginx_process.wait(timeout=20)
        stack.stop()
        _databases([cases_db, tracker_db], create=False)
        redis.Redis.from_url(f"redis://127.0.0.1:6379/{REDIS_DB}").flushdb()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("embedded", "scaleout"))
    parser.add_argument("--steps", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2, 4, 8, 16],
                        help="citizens talking at once, one step each (default 1,2,4,8,16)")
    parser.add_argument("--messages", type=int, default=200, help="messages per step")
    parser.add_argument("--budget", type=float, default=600, help="seconds of load per stack at most")
    args = parser.parse_args()
    for name, run in (("embedded", embedded), ("scaleout", scaleout)):
        if args.only in (None, name):
            print(f"{name}:", flush=True)
            top = best(run(args))
            print(f"{name}: " + (f"{top['per_second']:.1f} messages/s at p99 {top['p99'] * 1000:.0f} ms "
                                 f"({top['concurrency']:.0f} citizens at once), errors 0"
                                 if top else "no step with p99 <= 1 s and 0 errors"), flush=True)


if __name__ == "__main__":
    main()
