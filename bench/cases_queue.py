"""Queue figures on PostgreSQL with a million cases: queue page latency, claims per second, double claims.

Usage: .venv/bin/python -m bench.cases_queue [--cases 1000000] [--claimers 32] [--seconds 20]

Creates a scratch database on 127.0.0.1:5432 (user postgres, or TEST_POSTGRES_URL),
migrates it with Alembic, fills it with COPY, measures, and drops it again.
Every loop is bounded in count and in time. Figures go to docs/BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import random
import threading
import time
import uuid
from collections import Counter
from typing import Dict, Iterator, List

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from hotline.triage.taxonomy import DISPUTE_TYPES

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
NOW = dt.datetime(2026, 11, 22, 8, 0, 0)
CHUNK = 50_000

# Every dispute type of the taxonomy (a new type is benchmarked without touching this file).
TYPES = list(DISPUTE_TYPES)
TEXTS = ["老板拖欠我三个月工资一直不给", "楼上天天半夜拖椅子吵得睡不着", "隔壁盖房占了我家宅基地半米",
         "物业费涨了还不修电梯", "借给朋友两万块钱一直不还", "出车祸对方不肯赔医药费", "租房押金房东不退"]
PLACES = ["城关镇幸福村", "阳光花园小区", "石桥镇李家村", "河口镇王庄村", "人民路", "解放路", "城关镇工业园"]
# Shares of the million: most cases are long closed; a tenth wait in the queue.
STATUS_MIX = [("closed", 0.78), ("evaluated", 0.03), ("feedback", 0.03), ("transferred", 0.02),
              ("in_progress", 0.04), ("reported", 0.04), ("registered", 0.02), ("assigned", 0.035),
              ("reopened", 0.005)]
LEVEL_MIX = [("yellow", 0.62), (None, 0.22), ("red", 0.11), ("orange", 0.05)]
RANK = {"orange": 3, "red": 2, "yellow": 1, None: 0}
COLUMNS = ("id", "number", "status", "line", "channel", "sender_id", "intake_key", "description", "intent",
           "dispute_type", "warning_level", "warning_rank", "risk_signals", "triage", "route_to", "route_reason",
           "tier", "urgency", "location", "place_key", "pii_consent", "deadline_at", "assignee_id",
           "created_at", "updated_at", "escalations", "people_count")


def percentile(values: List[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def pick(rng: random.Random, mix) -> object:
    roll, total = rng.random(), 0.0
    for value, share in mix:
        total += share
        if roll < total:
            return value
    return mix[-1][0]


def copy_value(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def rows(start: int, count: int, mediator_ids: List[int], rng: random.Random):
    for case_id in range(start, start + count):
        status = pick(rng, STATUS_MIX)
        level = pick(rng, LEVEL_MIX)
        code = rng.choice(TYPES)
        created = NOW - dt.timedelta(seconds=rng.randrange(365 * 86400))
        urgency = "complex" if level in ("orange", "red") else "general"
        deadline = created + dt.timedelta(days=15 if urgency == "complex" else 7)
        if status in ("reported", "registered", "assigned", "reopened", "in_progress"):
            # Open cases are recent, so their deadlines spread around now (some overdue).
            created = NOW - dt.timedelta(seconds=rng.randrange(20 * 86400))
            deadline = created + dt.timedelta(days=15 if urgency == "complex" else 7)
        place = rng.choice(PLACES)
        route = "mediation:city" if level == "orange" else "mediation:town" if level == "red" else "mediation:village"
        triage = {"intent": {"name": "report_dispute", "confidence": 0.93},
                  "dispute_type": {"code": code, "name": DISPUTE_TYPES[code], "confidence": 0.9},
                  "warning_level": level, "risk_signals": [], "route": {"to": route, "reason": "分流"}}
        yield (case_id, f"JF{created:%Y%m%d}{case_id:06d}", status, "12345", "webchat", f"s{case_id}",
               f"bench:{case_id}", f"{rng.choice(TEXTS)}（{place}）", "report_dispute", code, level, RANK[level],
               "[]", json.dumps(triage, ensure_ascii=False), route, "分流", route.split(":")[1], urgency, place,
               place, False, deadline, rng.choice(mediator_ids) if status == "in_progress" else None, created,
               created, 0, None)


def fill(url: str, total: int, mediators: int) -> Dict[str, float]:
    """Users, then `total` cases by COPY in chunks; returns timings."""
    import psycopg2

    raw = make_url(url)
    connection = psycopg2.connect(host=raw.host, port=raw.port or 5432, user=raw.username, dbname=raw.database,
                                  password=raw.password)
    rng = random.Random(20261122)
    started = time.perf_counter()
    with connection, connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO users (username, display_name, password_hash, role, active, created_at, specialisms) "
            "SELECT 'bench' || g, '调解员' || g, '!', 'mediator', true, now(), '[]' "
            "FROM generate_series(1, %s) g RETURNING id", (mediators,))
        mediator_ids = [r[0] for r in cursor.fetchall()]
    done = 0
    while done < total:
        count = min(CHUNK, total - done)
        buffer = io.StringIO()
        for row in rows(done + 1, count, mediator_ids, rng):
            buffer.write("\t".join(copy_value(v) for v in row) + "\n")
        buffer.seek(0)
        with connection, connection.cursor() as cursor:
            cursor.copy_expert(f"COPY cases ({', '.join(COLUMNS)}) FROM STDIN", buffer)
        done += count
        print(f"  filled {done:,} / {total:,} ({time.perf_counter() - started:.0f} s)", flush=True)
    copied = time.perf_counter() - started
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('cases', 'id'), %s)", (total,))
        cursor.execute("VACUUM ANALYZE cases")
        cursor.execute("VACUUM ANALYZE users")
    connection.close()
    return {"copy_s": copied, "total_s": time.perf_counter() - started}


def measure_queue(app, sessions, token: str, samples: int, budget_s: float) -> Dict[str, Dict[str, float]]:
    from hotline.cases.queries import queue, queue_size

    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    figures = {}
    for name, call in [
        ("GET /api/queue (Flask test client, limit 50)", lambda: client.get("/api/queue?limit=50", headers=headers)),
        ("service queue(limit=50) + queue_size()", None),
    ]:
        timings: List[float] = []
        deadline = time.perf_counter() + budget_s
        for _ in range(samples):
            if time.perf_counter() > deadline:
                break
            t0 = time.perf_counter()
            if call is not None:
                response = call()
                assert response.status_code == 200, response.get_data(as_text=True)
            else:
                with sessions() as session:
                    queue(session, 50)
                    queue_size(session)
            timings.append((time.perf_counter() - t0) * 1000)
        figures[name] = {"n": len(timings), "p50_ms": percentile(timings, 0.5), "p99_ms": percentile(timings, 0.99),
                         "max_ms": max(timings)}
    return figures


def measure_claim_next(sessions, mediator_ids: List[int], claimers: int, seconds: float,
                       max_per_claimer: int) -> Dict[str, float]:
    """`claimers` threads, each with its own connection, claiming the head of the queue until time is up."""
    from hotline.cases.models import User
    from hotline.cases.service import claim_next

    claimed: List[List[int]] = [[] for _ in range(claimers)]
    errors: List[str] = []
    barrier = threading.Barrier(claimers + 1)
    stop_at: List[float] = []

    def claimer(index: int) -> None:
        with sessions() as session:
            user = session.get(User, mediator_ids[index])
            session.commit()
            barrier.wait()
            while time.perf_counter() < stop_at[0] and len(claimed[index]) < max_per_claimer:
                try:
                    case = claim_next(session, user)
                    session.commit()
                except Exception as error:  # noqa: BLE001 - counted and reported, the run goes on
                    session.rollback()
                    errors.append(repr(error)[:200])
                    continue
                if case is None:
                    break
                claimed[index].append(case.id)

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(claimers)]
    for t in threads:
        t.start()
    stop_at.append(time.perf_counter() + seconds)
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join(timeout=seconds + 60)
    elapsed = time.perf_counter() - started
    all_ids = [i for ids in claimed for i in ids]
    doubles_seen = sum(1 for _, n in Counter(all_ids).items() if n > 1)
    with sessions() as session:
        doubles_db = session.execute(text(
            "SELECT count(*) FROM (SELECT case_id FROM case_events WHERE action = 'claim' "
            "GROUP BY case_id HAVING count(*) > 1) d")).scalar_one()
    return {"claims": len(all_ids), "seconds": elapsed, "per_second": len(all_ids) / elapsed,
            "double_claims_by_threads": doubles_seen, "double_claims_in_audit": doubles_db, "errors": len(errors),
            "first_error": errors[0] if errors else ""}


def measure_contended(sessions, mediator_ids: List[int], claimers: int, rounds: int,
                      seconds: float) -> Dict[str, float]:
    """All claimers claim the same case at the same moment, round after round: exactly one may win each."""
    from hotline.cases.errors import AlreadyClaimed
    from hotline.cases.models import Case, User
    from hotline.cases.service import claim

    with sessions() as session:
        numbers = list(session.execute(
            select(Case.number).where(Case.status == "reported", Case.assignee_id.is_(None))
            .order_by(Case.id.desc()).limit(rounds)).scalars())
    winners: Dict[str, List[int]] = {n: [] for n in numbers}
    errors: List[str] = []
    barrier = threading.Barrier(claimers)
    stop_at = time.perf_counter() + seconds
    played = [0]

    def claimer(index: int) -> None:
        with sessions() as session:
            user = session.get(User, mediator_ids[index])
            session.commit()
            for number in numbers:
                try:
                    barrier.wait(timeout=30)
                except threading.BrokenBarrierError:
                    return
                if time.perf_counter() > stop_at:
                    barrier.abort()
                    return
                try:
                    claim(session, number, user)
                    session.commit()
                    winners[number].append(index)
                except AlreadyClaimed:
                    session.rollback()
                except Exception as error:  # noqa: BLE001
                    session.rollback()
                    errors.append(repr(error)[:200])
                if index == 0:
                    played[0] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(claimers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 60)
    elapsed = time.perf_counter() - started
    decided = [n for n in numbers if winners[n]]
    return {"rounds": len(decided), "seconds": elapsed,
            "rounds_with_two_or_more_winners": sum(1 for n in decided if len(winners[n]) > 1),
            "rounds_with_no_winner": max(0, played[0] - len(decided)), "errors": len(errors)}


@contextlib.contextmanager
def scratch_database(keep: bool = False) -> Iterator[str]:
    """A migrated PostgreSQL database for one benchmark run, dropped afterwards unless `keep`."""
    from alembic import command

    from hotline.cli import alembic_config

    admin = create_engine(ADMIN_URL, future=True, isolation_level="AUTOCOMMIT")
    name = f"hotline_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    print(f"scratch database {name}")
    try:
        command.upgrade(alembic_config(url), "head")
        yield url
    finally:
        if not keep:
            with admin.connect() as connection:
                connection.execute(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"), {"name": name})
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            print(f"dropped {name}")
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--claimers", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the claim-next run")
    parser.add_argument("--queue-samples", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=200, help="contended claim rounds (all claimers, one case)")
    parser.add_argument("--keep", action="store_true", help="do not drop the scratch database")
    args = parser.parse_args()

    from hotline.cases.tokens import create_token
    from hotline.config import Settings
    from hotline.db import make_sessionmaker
    from hotline.web import create_app

    with scratch_database(args.keep) as url:
        timings = fill(url, args.cases, mediators=args.claimers)
        print(f"fill: {args.cases:,} cases by COPY in {timings['copy_s']:.1f} s "
              f"({args.cases / timings['copy_s']:,.0f} rows/s); with VACUUM ANALYZE {timings['total_s']:.1f} s")

        # One engine for the claimers: a pooled connection per thread, as the brief asks.
        engine = create_engine(url, future=True, pool_size=args.claimers + 4, max_overflow=0, pool_pre_ping=True)
        sessions = make_sessionmaker(engine)
        with sessions.begin() as session:
            queued = session.execute(text(
                "SELECT count(*) FROM cases WHERE assignee_id IS NULL AND status IN "
                "('assigned','registered','reopened','reported')")).scalar_one()
            _, token = create_token(session, "bench", username="bench1")
            mediator_ids = list(session.execute(text("SELECT id FROM users ORDER BY id")).scalars())
        print(f"queue: {queued:,} unclaimed cases of {args.cases:,}")

        app = create_app(Settings(database_url=url, secret_key="bench"))
        for label, figures in measure_queue(app, app.extensions["hotline.sessions"], token, args.queue_samples,
                                            budget_s=120).items():
            print(f"{label}: n={figures['n']} p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms, "
                  f"max {figures['max_ms']:.1f} ms")

        result = measure_claim_next(sessions, mediator_ids, args.claimers, args.seconds, max_per_claimer=20_000)
        print(f"claim-next, {args.claimers} threads x own connection, {result['seconds']:.1f} s: "
              f"{result['claims']:,} claims, {result['per_second']:.0f} claims/s; double claims: "
              f"{result['double_claims_by_threads']} (threads), {result['double_claims_in_audit']} (audit); "
              f"errors {result['errors']} {result['first_error']}")

        contended = measure_contended(sessions, mediator_ids, args.claimers, args.rounds, seconds=60)
        print(f"contended claim by number, {args.claimers} claimers per case: {contended['rounds']} rounds in "
              f"{contended['seconds']:.1f} s; rounds with two or more winners: "
              f"{contended['rounds_with_two_or_more_winners']}, with none: {contended['rounds_with_no_winner']}, "
              f"errors {contended['errors']}")

        with sessions() as session:
            from hotline.cases.models import Case

            held = session.execute(select(func.count(Case.id)).where(Case.assignee_id.isnot(None))).scalar_one()
            print(f"cases held after the run: {held:,}")
        app.extensions["hotline.engine"].dispose()
        engine.dispose()


if __name__ == "__main__":
    main()
