"""Dashboard figures on PostgreSQL with a million cases: p50 / p99 of each dashboard query.

Usage: .venv/bin/python -m bench.dashboard [--cases 1000000] [--samples 40] [--budget 20]

Creates a scratch database on 127.0.0.1:5432 (user postgres, or TEST_POSTGRES_URL),
migrates it, fills it with the queue benchmark's COPY (bench.cases_queue.fill: a year
of cases, most closed), gives the handled ones an outcome, the cases a line and an
organisation, then times every query the dashboard runs for a 30-day and a 365-day
range. Every loop is bounded in count (--samples) and in time (--budget seconds per
query). Figures go to docs/BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from typing import Callable, Dict, List

from sqlalchemy import create_engine, text

from bench.cases_queue import NOW, fill, percentile, scratch_database

TARGET_P99_MS = 200.0


def spread(url: str) -> float:
    """Outcomes for handled cases, a line for each case, organisations by tier: what the dashboard groups by."""
    engine = create_engine(url, future=True)
    started = time.perf_counter()
    with engine.begin() as connection:
        areas = [connection.execute(text(
            "INSERT INTO areas (code, name, kind, aliases) VALUES (:c, :n, 'town', '[]') RETURNING id"),
            {"c": f"area{i}", "n": name}).scalar_one() for i, name in enumerate(["城关镇", "石桥镇", "河口镇", "青山镇"])]
        for i, area in enumerate(areas):
            for tier in ("village", "town"):
                connection.execute(text(
                    "INSERT INTO organisations (code, name, kind, tier, area_id, routes, specialisms) "
                    "VALUES (:c, :n, 'mediation', :t, :a, '[]', '[]')"),
                    {"c": f"org{i}{tier}", "n": f"调委会{i}{tier}", "t": tier, "a": area})
        org_ids = ",".join(str(i) for i in connection.execute(text("SELECT id FROM organisations ORDER BY id"))
                           .scalars())
        connection.execute(text(
            "UPDATE cases SET line = (ARRAY['12345','110','12348'])[1 + (id % 3)], "
            f"organisation_id = (ARRAY[{org_ids}])[1 + (id % 8)], "
            "outcome = CASE WHEN status IN ('feedback','evaluated','closed') "
            "THEN (CASE WHEN id % 5 = 0 THEN 'failed' ELSE 'success' END) END, "
            "group_id = NULL"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE cases"))
    engine.dispose()
    return time.perf_counter() - started


def measure(call: Callable[[], object], samples: int, budget_s: float) -> Dict[str, float]:
    call()  # a first run warms the caches, as the dashboard's second visitor sees them
    timings: List[float] = []
    deadline = time.perf_counter() + budget_s
    for _ in range(samples):
        if time.perf_counter() > deadline:
            break
        t0 = time.perf_counter()
        call()
        timings.append((time.perf_counter() - t0) * 1000)
    return {"n": len(timings), "p50_ms": round(percentile(timings, 0.5), 1),
            "p99_ms": round(percentile(timings, 0.99), 1), "max_ms": round(max(timings), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per query at most")
    parser.add_argument("--keep", action="store_true", help="do not drop the scratch database")
    args = parser.parse_args()

    from hotline.cases import stats
    from hotline.db import make_sessionmaker

    results: Dict[str, Dict[str, Dict[str, float]]] = {}
    with scratch_database(args.keep) as url:
        timings = fill(url, args.cases, mediators=4)
        print(f"fill: {args.cases:,} cases in {timings['total_s']:.1f} s; spread in {spread(url):.1f} s")
        engine = create_engine(url, future=True)
        sessions = make_sessionmaker(engine)
        with sessions() as session:
            for days in (30, 365):
                f = stats.StatsFilter(NOW - dt.timedelta(days=days), NOW)
                row = results.setdefault(f"{days} days", {})
                queries = {f"by {key}": (lambda q=q: q(session, f)) for key, q in stats.QUERIES.items()}
                queries.update({
                    "success rate": lambda: stats.success_rate(session, f),
                    "overdue (count + 50 oldest)": lambda: stats.overdue(session, f, NOW),
                    "hot spots (top 10 places)": lambda: stats.top_places(session, f),
                    "collective disputes": lambda: stats.collective(session, f),
                    "by dispute type, line 110": lambda: stats.by_dispute_type(
                        session, stats.StatsFilter(f.start, f.end, line="110")),
                })
                for label, call in queries.items():
                    row[label] = measure(call, args.samples, args.budget)
                    session.rollback()
                    figure = row[label]
                    flag = "" if figure["p99_ms"] <= TARGET_P99_MS else "  (over the 200 ms target)"
                    print(f"{days:>3} days  {label:<30} p50 {figure['p50_ms']:>7.1f} ms  p99 {figure['p99_ms']:>7.1f} ms"
                          f"  n={figure['n']}{flag}", flush=True)
        engine.dispose()
        print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
