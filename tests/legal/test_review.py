"""Lawyer review of the legal FAQ: approve, send back with a comment, the closing line, and the CLI."""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hotline.cases.accounts import create_user
from hotline.config import PROJECT_ROOT
from hotline.legal import UNREVIEWED_CLOSING, REVIEWED_CLOSING, format_answer, load_faq
from hotline.legal.review import (
    APPROVED,
    PENDING,
    RETURNED,
    ReviewError,
    approve,
    fingerprint,
    is_reviewed,
    send_back,
    state_of,
)

ENTRY = next(e for e in load_faq() if e.id == "labor.no_written_contract")
BIN = Path(sys.executable).parent


@pytest.fixture
def accounts(sessions):
    with sessions.begin() as session:
        for name, role in (("admin", "admin"), ("zhang", "mediator")):
            create_user(session, name, "password-123", role, name)
    return sessions


def _user(session, name):
    from sqlalchemy import select

    from hotline.cases.models import User

    return session.execute(select(User).where(User.username == name)).scalar_one()


def test_an_entry_nobody_reviewed_is_pending_and_its_answer_says_so(accounts):
    with accounts() as session:
        assert state_of(session, ENTRY).state == PENDING
        assert not is_reviewed(session, ENTRY)
    assert format_answer(ENTRY, reviewed=False).endswith(UNREVIEWED_CLOSING)


def test_an_approval_is_stored_with_reviewer_date_and_law_version(accounts):
    with accounts.begin() as session:
        approve(session, ENTRY, _user(session, "admin"))
    with accounts() as session:
        state = state_of(session, ENTRY)
        assert state.state == APPROVED and state.reviewer == "admin" and state.at is not None
        assert "劳动合同法（2012年修正）" in state.law_version
        assert is_reviewed(session, ENTRY)
    assert format_answer(ENTRY, reviewed=True).endswith(REVIEWED_CLOSING)


def test_editing_an_approved_entry_makes_it_unreviewed_again(accounts):
    with accounts.begin() as session:
        approve(session, ENTRY, _user(session, "admin"))
    edited = dataclasses.replace(ENTRY, answer=ENTRY.answer + "另外一句。")
    assert fingerprint(edited) != fingerprint(ENTRY)
    with accounts() as session:
        assert is_reviewed(session, ENTRY) and not is_reviewed(session, edited)


def test_sending_back_needs_a_comment_and_keeps_it(accounts):
    with accounts.begin() as session:
        with pytest.raises(ReviewError, match="写明哪里需要改"):
            send_back(session, ENTRY, _user(session, "admin"), "  ")
        send_back(session, ENTRY, _user(session, "admin"), "二倍工资的起算点要写清楚")
    with accounts() as session:
        state = state_of(session, ENTRY)
        assert state.state == RETURNED and state.comment == "二倍工资的起算点要写清楚"
        assert not is_reviewed(session, ENTRY)


def test_a_mediator_cannot_review(accounts):
    with accounts.begin() as session:
        with pytest.raises(ReviewError, match="管理员或12348律师"):
            approve(session, ENTRY, _user(session, "zhang"))


def _hotline(args, url):
    return subprocess.run([str(BIN / "hotline"), *args], text=True, capture_output=True, cwd=PROJECT_ROOT,
                          env={**os.environ, "DATABASE_URL": url}, timeout=120)


def test_the_review_cli(sqlite_url, tmp_path):
    from hotline.db import make_engine, make_sessionmaker

    engine = make_engine(sqlite_url)
    with make_sessionmaker(engine).begin() as session:
        create_user(session, "lawyer1", "password-123", "admin", "王律师")
    engine.dispose()
    shown = _hotline(["legal", "review", "show", ENTRY.id], sqlite_url)
    assert shown.returncode == 0, shown.stderr
    assert "依据：《劳动合同法》" in shown.stdout and UNREVIEWED_CLOSING in shown.stdout and "待审核" in shown.stdout
    back = _hotline(["legal", "review", "send-back", ENTRY.id, "--as", "lawyer1", "--comment", "请补充起算点"],
                    sqlite_url)
    assert back.returncode == 0, back.stderr
    listed = _hotline(["legal", "review", "list", "--state", "returned"], sqlite_url)
    assert f"{ENTRY.id}\t已退回" in listed.stdout and "王律师" in listed.stdout and "请补充起算点" in listed.stdout
    ok = _hotline(["legal", "review", "approve", ENTRY.id, "--as", "lawyer1"], sqlite_url)
    assert ok.returncode == 0, ok.stderr
    shown = _hotline(["legal", "review", "show", ENTRY.id], sqlite_url)
    assert "已审核" in shown.stdout and REVIEWED_CLOSING in shown.stdout and UNREVIEWED_CLOSING not in shown.stdout
    missing = _hotline(["legal", "review", "approve", "labor.nope", "--as", "lawyer1"], sqlite_url)
    assert missing.returncode != 0 and "没有编号为 labor.nope" in missing.stderr
    nobody = _hotline(["legal", "review", "approve", ENTRY.id, "--as", "ghost"], sqlite_url)
    assert nobody.returncode != 0 and "没有账号 ghost" in nobody.stderr
