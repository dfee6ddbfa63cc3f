"""The case service on SQLite and PostgreSQL: opening, masking, the queue, atomic claims."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from hotline.cases.accounts import AccountError, authenticate, create_user
from hotline.cases.lifecycle import TransitionError
from hotline.cases.models import Case, CaseEvent
from hotline.cases.queries import queue
from hotline.cases.service import AlreadyClaimed, Intake, claim, open_case, transition
from hotline.triage import build_record

NOW = dt.datetime(2026, 11, 22, 8, 0, 0)


def record(text, code="labor", intent="report_dispute"):
    return build_record(text, {"name": intent, "confidence": 0.9}, {"code": code, "confidence": 0.9})


def test_open_case_numbers_and_deadlines(sessions):
    with sessions.begin() as session:
        case, created = open_case(
            session,
            "bot",
            Intake(text="老板欠了三个月工资", triage=record("老板欠了三个月工资"), key="c1:1"),
            now=NOW,
        )
        assert created and case.number == f"JF20261122{case.id:06d}"
        assert case.deadline_at == NOW + dt.timedelta(days=7) and case.urgency == "general"
        again, created_again = open_case(session, "bot", Intake(text="x", triage={}, key="c1:1"))
        assert not created_again and again.id == case.id
    with sessions() as session:
        assert session.execute(select(func.count(Case.id))).scalar_one() == 1
        assert session.execute(select(CaseEvent.action, CaseEvent.to_status)).all() == [("open", "reported")]


def test_collective_orange_case_is_complex_with_fifteen_days(sessions):
    text = "老板拖欠我们二十多个人三个月工资，大家说要去市政府门口拉横幅"
    with sessions.begin() as session:
        case, _ = open_case(session, "bot", Intake(text=text, triage=record(text), key="c2:1"), now=NOW)
        assert case.warning_level == "orange" and case.urgency == "complex"
        assert case.deadline_at == NOW + dt.timedelta(days=15)
        assert case.tier == "city"


def test_without_consent_personal_data_is_masked(sessions):
    text = "邻居家漏水，我电话13812345678，身份证110101199003071234"
    with sessions.begin() as session:
        case, _ = open_case(
            session,
            "bot",
            Intake(
                text=text, triage=record(text, "neighbor"), key="c3:1", contact_phone="13812345678",
                pii_consent=False, transcript=[("citizen", text)],
            ),
        )
        assert case.contact_phone is None
        assert "13812345678" not in case.description and "13812345678" not in case.messages[0].text
        assert "13812345678" not in str(case.triage)


def test_queue_orders_by_warning_level_then_deadline(sessions):
    texts = [
        ("楼上漏水好几天了", "neighbor", "q1"),
        ("老板拖欠我们二十多个人工资，要去政府门口拉横幅", "labor", "q2"),
        ("我们五个人被欠工资，准备联名上访", "labor", "q3"),
    ]
    with sessions.begin() as session:
        for index, (text, code, key) in enumerate(texts):
            open_case(
                session,
                "bot",
                Intake(text=text, triage=record(text, code), key=key),
                now=NOW + dt.timedelta(minutes=index),
            )
    with sessions() as session:
        levels = [c.warning_level for c in queue(session)]
    assert levels == ["orange", "red", "yellow"]


def test_two_simultaneous_claims_exactly_one_wins(sessions):
    with sessions.begin() as session:
        case, _ = open_case(session, "bot", Intake(text="欠薪", triage=record("欠薪"), key="k1"))
        number = case.number
        users = [create_user(session, f"m{i}", "password-123", "mediator") for i in range(8)]
        user_ids = [u.id for u in users]
    barrier = threading.Barrier(len(user_ids))
    results = []

    def attempt(user_id):
        from hotline.cases.models import User

        with sessions() as session:
            user = session.get(User, user_id)
            barrier.wait()
            try:
                claim(session, number, user)
                session.commit()
                results.append("won")
            except AlreadyClaimed:
                session.rollback()
                results.append("lost")

    threads = [threading.Thread(target=attempt, args=(uid,)) for uid in user_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["lost"] * 7 + ["won"]
    with sessions() as session:
        claims = session.execute(select(func.count(CaseEvent.id)).where(CaseEvent.action == "claim")).scalar_one()
        assert claims == 1


def test_transitions_outside_the_loop_are_refused(sessions):
    with sessions.begin() as session:
        case, _ = open_case(session, "bot", Intake(text="欠薪", triage=record("欠薪"), key="t1"))
        with pytest.raises(TransitionError):
            transition(session, case, "user:x", "evaluated")
        transition(session, case, "user:x", "registered", note="核实无误")
        assert case.status == "registered"


def test_accounts(sessions):
    with sessions.begin() as session:
        create_user(session, "li", "long-enough-1", "operator")
        with pytest.raises(AccountError):
            create_user(session, "li", "long-enough-2", "operator")
        with pytest.raises(AccountError):
            create_user(session, "wang", "short", "mediator")
    with sessions() as session:
        assert authenticate(session, "li", "long-enough-1").role == "operator"
        assert authenticate(session, "li", "wrong-password") is None
        assert authenticate(session, "nobody", "long-enough-1") is None
