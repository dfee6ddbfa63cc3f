"""The queue: claim-next under concurrency (SKIP LOCKED on PostgreSQL, conditional UPDATE on SQLite), counts."""
from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select

from hotline.cases import queries, service
from hotline.cases.models import CaseEvent, User


def test_claim_next_takes_the_head_of_the_queue(sessions, people, make_case):
    with sessions.begin() as session:
        make_case(session, "楼上噪音", "neighbor")
        top = make_case(session, "老板拖欠我们二十多个人三个月工资，大家说要去市政府门口拉横幅", "labor").number
        case = service.claim_next(session, session.get(User, people["zhang"]))
        assert case.number == top and case.status == "in_progress"


def test_concurrent_claim_next_never_hands_one_case_to_two(sessions, make_case):
    from hotline.cases.accounts import create_user

    with sessions.begin() as session:
        numbers = [make_case(session, f"楼上噪音{i}", "neighbor", location=f"{i}号楼").number for i in range(24)]
        ids = [create_user(session, f"m{i}", "password-123", "mediator").id for i in range(8)]
    barrier = threading.Barrier(len(ids))
    got, errors = [], []

    def claimer(user_id):
        with sessions() as session:
            user = session.get(User, user_id)
            session.commit()
            barrier.wait()
            for _ in range(10):  # bounded: more attempts than there are cases for this claimer
                try:
                    case = service.claim_next(session, user)
                    session.commit()
                except Exception as error:  # noqa: BLE001 - collected and asserted below
                    session.rollback()
                    errors.append(error)
                    continue
                if case is None:
                    return
                got.append(case.number)

    threads = [threading.Thread(target=claimer, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(got) == sorted(numbers) and max(Counter(got).values()) == 1
    with sessions() as session:
        claims = session.execute(select(func.count(CaseEvent.id)).where(CaseEvent.action == "claim")).scalar_one()
        assert claims == 24 and queries.queue(session) == []


def test_queue_size_is_counted_up_to_a_cap(sessions, make_case):
    with sessions.begin() as session:
        for i in range(4):
            make_case(session, f"楼上噪音{i}", "neighbor", location=f"{i}号楼")
    with sessions() as session:
        assert queries.queue_size(session) == 4
        assert queries.queue_size(session, cap=2) == 3  # "more than 2"
        assert queries.queue_size(session, dispute_type="labor") == 0
