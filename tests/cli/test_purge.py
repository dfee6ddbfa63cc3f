"""`hotline purge` erases personal data past its keeping period, audited; every command on a bare database says `make db`."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, select, text, update

from hotline.cases.models import Case, CaseEvent, CaseMessage, InboundMessage, utcnow
from hotline.cases.service import Intake, open_case
from hotline.config import PROJECT_ROOT
from hotline.db import make_engine, make_sessionmaker
from hotline.retention import PURGED
from hotline.triage import build_record

BIN = Path(sys.executable).parent
PHONE = "13812345678"


def hotline(args, url, tracker_url="sqlite:////nonexistent/none.db"):
    env = {**os.environ, "DATABASE_URL": url, "TRACKER_STORE_URL": tracker_url}
    return subprocess.run([str(BIN / "hotline"), *args], text=True, capture_output=True, cwd=PROJECT_ROOT,
                          env=env, timeout=120)


def _case(session, text, key, consent=True):
    record = build_record(text, {"name": "report_dispute", "confidence": 0.9}, None)
    case, _ = open_case(
        session,
        "bot",
        Intake(
            text=text, triage=record, key=key, channel="webchat", sender_id=f"web-{key}",
            contact_phone=PHONE if consent else None, pii_consent=consent, transcript=[("citizen", text)],
        ),
    )
    return case.id


def test_purge_erases_old_closed_cases_messages_and_tracker_events(sqlite_url, tmp_path):
    engine = make_engine(sqlite_url)
    sessions = make_sessionmaker(engine)
    long_ago = utcnow() - dt.timedelta(days=400)
    with sessions.begin() as session:
        old = _case(session, f"楼上噪音，我电话{PHONE}", "old")
        recent = _case(session, f"邻居占道，我电话{PHONE}", "recent")
        still_open = _case(session, f"拖欠工资，我电话{PHONE}", "open")
        session.execute(update(Case).where(Case.id.in_([old, recent]))
                        .values(status="closed", closed_at=long_ago))
        session.execute(update(Case).where(Case.id == recent).values(closed_at=utcnow()))
        session.add(InboundMessage(channel="webchat", message_id="m1", sender_id="web-old", text=PHONE,
                                   status="processed", received_at=long_ago))
        session.add(InboundMessage(channel="webchat", message_id="m2", sender_id="web-new", text=PHONE,
                                   status="processed"))
    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    tracker = create_engine(tracker_url, future=True)
    with tracker.begin() as connection:
        connection.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), "
                                "type_name VARCHAR(255), timestamp FLOAT, intent_name VARCHAR(255), "
                                "action_name VARCHAR(255), data TEXT)"))
        for stamp in (long_ago.replace(tzinfo=dt.timezone.utc).timestamp(), utcnow().timestamp()):
            connection.execute(text("INSERT INTO events (sender_id, type_name, timestamp, data) "
                                    "VALUES ('web-old', 'user', :t, :d)"), {"t": stamp, "d": json.dumps({"text": PHONE})})

    run = hotline(["purge", "--older-than", "365"], sqlite_url, tracker_url)
    assert run.returncode == 0, run.stderr
    counts = dict(line.split("\t") for line in run.stdout.splitlines())
    assert counts["cases"] == "1" and counts["inbound_messages"] == "1" and counts["tracker_events"] == "1"
    with sessions() as session:
        purged = session.get(Case, old)
        assert purged.description == PURGED and purged.contact_phone is None and PHONE not in json.dumps(purged.triage)
        assert purged.intent == "report_dispute" and purged.triage["intent"]["name"] == "report_dispute"  # codes stay
        assert {m.text for m in session.execute(select(CaseMessage).where(CaseMessage.case_id == old)).scalars()} \
            == {PURGED}
        audit = session.execute(select(CaseEvent).where(CaseEvent.case_id == old, CaseEvent.action == "purge"))
        assert audit.scalar_one().actor == "system:retention"
        for kept in (recent, still_open):
            assert session.get(Case, kept).contact_phone == PHONE
        assert session.execute(select(InboundMessage.message_id)).scalars().all() == ["m2"]
    with tracker.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM events")).scalar() == 1
    again = hotline(["purge", "--older-than", "365"], sqlite_url, tracker_url)
    assert again.returncode == 0 and "cases\t0" in again.stdout  # purged once, audited once
    tracker.dispose()
    engine.dispose()


def test_purge_refuses_a_period_under_a_day(sqlite_url):
    assert hotline(["purge", "--older-than", "0"], sqlite_url).returncode == 2


def test_every_command_on_an_unmigrated_database_says_make_db(tmp_path):
    bare = f"sqlite:///{tmp_path / 'bare.db'}"
    for args in (["user", "add", "x", "--role", "mediator"], ["token", "list"], ["orgs", "list"],
                 ["jobs", "run-deadlines"], ["purge", "--older-than", "30"], ["demo"]):
        result = hotline(args, bare)
        assert result.returncode == 1, (args, result.stderr)
        assert "make db" in result.stderr and "Traceback" not in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
