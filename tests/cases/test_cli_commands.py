"""The case-management commands: tokens, the organisations file, and the deadline job run twice at once."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from hotline.cases.models import ApiToken, Case, CaseEvent, Organisation, utcnow
from hotline.cases.tokens import find_token
from hotline.config import PROJECT_ROOT
from tests.cases.conftest import EXAMPLE

BIN = Path(sys.executable).parent


def hotline(args, url, stdin=""):
    return subprocess.run([str(BIN / "hotline"), *args], input=stdin, text=True, capture_output=True,
                          cwd=PROJECT_ROOT, env={**os.environ, "DATABASE_URL": url}, timeout=120)


def test_token_create_prints_it_once_and_stores_only_the_hash(db_url, sessions, people):
    system = hotline(["token", "create", "12345-platform", "--role", "operator"], db_url)
    assert system.returncode == 0, system.stderr
    secret = system.stdout.strip()
    assert secret.startswith("hl_") and "只显示这一次" in system.stderr
    personal = hotline(["token", "create", "zhang-laptop", "--user", "zhang"], db_url)
    assert personal.returncode == 0, personal.stderr
    with sessions() as session:
        assert find_token(session, secret).role == "operator"
        assert find_token(session, personal.stdout.strip()).user.username == "zhang"
        assert all(secret not in t.token_hash for t in session.execute(select(ApiToken)).unique().scalars())
    listed = hotline(["token", "list"], db_url)
    assert "12345-platform\trole:operator\t有效" in listed.stdout and secret not in listed.stdout
    assert hotline(["token", "revoke", "12345-platform"], db_url).returncode == 0
    with sessions() as session:
        assert find_token(session, secret) is None
    both = hotline(["token", "create", "x", "--role", "admin", "--user", "zhang"], db_url)
    assert both.returncode == 1 and "二者选一" in both.stderr


def test_orgs_load_then_set_a_password(sqlite_url):
    loaded = hotline(["orgs", "load", str(EXAMPLE)], sqlite_url)
    assert loaded.returncode == 0, loaded.stderr
    assert "单位 16 个" in loaded.stdout and "hotline user set-password zhou.hong" in loaded.stderr
    again = hotline(["orgs", "load", str(EXAMPLE)], sqlite_url)
    assert again.returncode == 0 and "set-password" not in again.stderr
    assert hotline(["user", "set-password", "zhou.hong"], sqlite_url, "zhou-hong-pass\n").returncode == 0
    from hotline.cases.accounts import authenticate
    from hotline.db import make_engine, make_sessionmaker

    engine = make_engine(sqlite_url)
    with make_sessionmaker(engine)() as session:
        assert authenticate(session, "zhou.hong", "zhou-hong-pass").organisation.code == "xingfu-room"
        assert session.execute(select(func.count(Organisation.id))).scalar_one() == 16
    engine.dispose()


def test_orgs_load_refuses_a_broken_file(sqlite_url, tmp_path):
    broken = tmp_path / "orgs.yml"
    broken.write_text("organisations:\n  - code: a\n    name: 甲\n    tier: province\n", encoding="utf-8")
    result = hotline(["orgs", "load", str(broken)], sqlite_url)
    assert result.returncode == 1 and "tier" in result.stderr


def test_two_deadline_jobs_started_together_escalate_each_case_once(db_url, sessions, make_case):
    old = utcnow() - dt.timedelta(days=8)  # the job runs with the real clock
    with sessions.begin() as session:
        numbers = [make_case(session, f"楼上噪音{i}", "neighbor", location=f"某小区{i}号楼", now=old).number
                   for i in range(40)]
    env = {**os.environ, "DATABASE_URL": db_url}
    jobs = [subprocess.Popen([str(BIN / "hotline"), "jobs", "run-deadlines"], cwd=PROJECT_ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [job.communicate(timeout=120) for job in jobs]
    assert [job.returncode for job in jobs] == [0, 0], outputs
    escalated = [line.split("\t")[1] for out, _ in outputs for line in out.splitlines() if line.startswith("escalated")]
    assert sorted(escalated) == sorted(numbers)
    with sessions() as session:
        per_case = session.execute(select(func.count(CaseEvent.id)).where(CaseEvent.action == "escalate")
                                   .group_by(CaseEvent.case_id)).scalars().all()
        assert sorted(per_case) == [1] * 40
        assert set(session.execute(select(Case.escalations)).scalars()) == {1}
