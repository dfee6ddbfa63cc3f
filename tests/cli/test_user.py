"""`hotline user add` reads the password from standard input and refuses weak input."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hotline.cases.accounts import authenticate
from hotline.config import PROJECT_ROOT
from hotline.db import make_engine, make_sessionmaker

BIN = Path(sys.executable).parent


def hotline(args, url, stdin=""):
    return subprocess.run([str(BIN / "hotline"), *args], input=stdin, text=True, capture_output=True,
                          cwd=PROJECT_ROOT, env={**os.environ, "DATABASE_URL": url}, timeout=60)


def test_user_add_then_sign_in(sqlite_url):
    result = hotline(["user", "add", "zhang", "--role", "mediator"], sqlite_url, "correct-horse-9\n")
    assert result.returncode == 0, result.stderr
    engine = make_engine(sqlite_url)
    with make_sessionmaker(engine)() as session:
        assert authenticate(session, "zhang", "correct-horse-9").role == "mediator"
    engine.dispose()


def test_user_add_refuses_a_short_password_and_a_bad_role(sqlite_url):
    short = hotline(["user", "add", "li", "--role", "mediator"], sqlite_url, "123\n")
    assert short.returncode == 1 and "密码至少" in short.stderr
    role = hotline(["user", "add", "li", "--role", "boss"], sqlite_url, "long-enough-pw\n")
    assert role.returncode == 2 and "mediator" in role.stderr


def test_demo_prints_a_random_password(sqlite_url):
    first = hotline(["demo"], sqlite_url)
    assert first.returncode == 0, first.stderr
    password = first.stdout.split("密码：")[1].split()[0]
    assert len(password) >= 10
    engine = make_engine(sqlite_url)
    with make_sessionmaker(engine)() as session:
        assert authenticate(session, "demo", password) is not None
    engine.dispose()
    assert hotline(["demo"], sqlite_url).returncode == 1  # never silently resets
