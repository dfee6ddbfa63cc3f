"""Dashboard figures on PostgreSQL with a million cases: p50 / p99 of each dashboard query.

Usage: .venv/bin/python -m bench.dashboard [--cases 1000000] [--samples 40] [--budget 20]

Creates a scratch database on 127.0.0.1:5432 (user postgres, or TEST_POSTGRES_URL),
migrates it, fills it with the queue benchmark's COPY (bench.cases_queue.fill: a year
of cases, most closed), gives the handled ones an outcome, the cases a line and an
organisation, recounts the daily roll-up (`hotline rollup rebuild`'s code, timed),
then times every query the dashboard runs for the 30 and the 365 local days ending
on the fill's last day: each figure from the cases themselves ("live", how the
dashboard counted before the roll-up) and from the roll-up (how it counts now).
The overdue list and the collective disputes always read the cases. Last, claims
through the case service (each appends its roll-up rows) and the compaction of
what they appended. Every loop is bounded in count (--samples) and in time
(--budget seconds per query). Figures go to docs/BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import dataclasses
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


def maintenance(url: str, claims: int) -> Dict[str, float]:
    """Claims through the case service (each appends its roll-up rows), then merging what they appended."""
    from hotline.cases import rollup, service
    from hotline.cases.models import User
    from hotline.db import make_sessionmaker

    engine = create_engine(url, future=True)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        # A mediator claims in their own organisation (spread() placed every case with one).
        organisations = list(session.execute(text("SELECT id FROM organisations ORDER BY id")).scalars())
        mediators = list(session.execute(text("SELECT id FROM users WHERE role = 'mediator' ORDER BY id")).scalars())
        for i, user_id in enumerate(mediators):
            session.execute(text("UPDATE users SET organisation_id = :o WHERE id = :u"),
                            {"o": organisations[i % len(organisations)], "u": user_id})
    timings: List[float] = []
    for i in range(claims):
        t0 = time.perf_counter()
        with sessions.begin() as session:
            claimed = service.claim_next(session, session.get(User, mediators[i % len(mediators)]))
        timings.append((time.perf_counter() - t0) * 1000)
        assert claimed is not None, "the queue ran dry"
    with sessions() as session:
        appended = session.execute(text("SELECT count(*) FROM case_daily_counts WHERE NOT merged")).scalar_one()
    t0 = time.perf_counter()
    merged = rollup.compact_all(sessions)
    compact_s = time.perf_counter() - t0
    engine.dispose()
    return {"claims": claims, "claim_p50_ms": round(percentile(timings, 0.5), 1),
            "claim_p99_ms": round(percentile(timings, 0.99), 1), "rows_appended": appended,
            "rows_merged": merged, "compact_s": round(compact_s, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per query at most")
    parser.add_argument("--claims", type=int, default=500, help="claims through the service at the end")
    parser.add_argument("--keep", action="store_true", help="do not drop the scratch database")
    args = parser.parse_args()

    from hotline.cases import rollup, stats
    from hotline.db import make_sessionmaker
    from hotline.timeutil import local_date

    results: Dict[str, Dict[str, Dict[str, float]]] = {}
    with scratch_database(args.keep) as url:
        timings = fill(url, args.cases, mediators=4)
        print(f"fill: {args.cases:,} cases in {timings['total_s']:.1f} s; spread in {spread(url):.1f} s")
        engine = create_engine(url, future=True)
        sessions = make_sessionmaker(engine)
        started = time.perf_counter()
        with sessions.begin() as session:
            rows = rollup.rebuild(session)
        rebuilt = time.perf_counter() - started
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE case_daily_counts"))
        print(f"roll-up rebuilt: {rows:,} rows in {rebuilt:.1f} s", flush=True)
        results["setup"] = {"rollup": {"rows": rows, "rebuild_s": round(rebuilt, 1)}}
        last = local_date(NOW)
        with sessions() as session:
            for days in (30, 365):
                daily = stats.StatsFilter.for_days(last - dt.timedelta(days=days - 1), last)
                for source, f in (("live", dataclasses.replace(daily, live=True)), ("roll-up", daily)):
                    row = results.setdefault(f"{days} days, {source}", {})
                    queries = {f"by {key}": (lambda q=q, f=f: q(session, f)) for key, q in stats.QUERIES.items()}
                    queries.update({
                        "success rate": lambda f=f: stats.success_rate(session, f),
                        "hot spots (top 10 places)": lambda f=f: stats.top_places(session, f),
                        "by dispute type, line 110": lambda f=f: stats.by_dispute_type(
                            session, dataclasses.replace(f, line="110")),
                    })
                    if source == "roll-up":  # these read the cases either way
                        queries.update({
                            "overdue (count + 50 oldest)": lambda f=f: stats.overdue(session, f, NOW),
                            "collective disputes": lambda f=f: stats.collective(session, f),
                        })
                    for label, call in queries.items():
                        row[label] = measure(call, args.samples, args.budget)
                        session.rollback()
                        figure = row[label]
                        flag = "" if figure["p99_ms"] <= TARGET_P99_MS else "  (over the 200 ms target)"
                        print(f"{days:>3} days {source:<8} {label:<28} p50 {figure['p50_ms']:>7.1f} ms  "
                              f"p99 {figure['p99_ms']:>7.1f} ms  n={figure['n']}{flag}", flush=True)
        engine.dispose()
        if args.claims:
            results["maintenance"] = {"claims": maintenance(url, args.claims)}
            print(f"maintenance: {results['maintenance']['claims']}", flush=True)
        print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
