"""The deadline job: overdue cases go one tier up, once, even with several instances running it at once."""
from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import func, select

from hotline.cases import queries, service
from hotline.cases.deadlines import job_lock, run_deadlines
from hotline.cases.models import Case, CaseEvent, User
from tests.cases.conftest import NOW

LATER = NOW + dt.timedelta(days=8)  # past the 7-day deadline of a general case


def escalate_counts(session):
    return dict(session.execute(select(CaseEvent.case_id, func.count(CaseEvent.id))
                                .where(CaseEvent.action == "escalate").group_by(CaseEvent.case_id)).all())


def test_overdue_case_goes_one_tier_up_with_a_fresh_deadline(orgs, people, make_case):
    with orgs.begin() as session:
        held = make_case(session, "邻居家的树根把我家院墙顶裂了", "neighbor", location="石桥镇李家村").number
        waiting = make_case(session, "楼上噪音", "neighbor", location="阳光花园小区").number
        fresh = make_case(session, "楼上漏水", "neighbor", location="阳光花园小区", now=LATER).number
        zhang = session.get(User, people["zhang"])
        zhang.organisation_id = queries.get_case(session, held).organisation_id  # a mediator claims in their own room
        service.claim(session, held, zhang)
    result = run_deadlines(orgs, now=LATER)
    assert result.ran and sorted(result.escalated) == sorted([held, waiting]) and not result.flagged
    with orgs() as session:
        case = queries.get_case(session, held)
        assert (case.organisation.code, case.tier, case.status, case.assignee_id) == (
            "shiqiao-centre", "town", "assigned", None)
        assert case.deadline_at == LATER + dt.timedelta(days=7) and case.escalations == 1
        event = case.events[-1]
        assert (event.action, event.actor, event.detail["released"]) == ("escalate", "system:deadlines", "zhang")
        assert "超过办理期限" in event.note
        assert queries.get_case(session, fresh).escalations == 0
        assert held in [c.number for c in queries.queue(session)]


def test_at_the_top_the_case_is_flagged_once(sessions, make_case):
    with sessions.begin() as session:
        number = make_case(session, "老板拖欠我们二十多个人三个月工资，大家说要去市政府门口拉横幅", "labor").number
    much_later = NOW + dt.timedelta(days=16)
    first = run_deadlines(sessions, now=much_later)
    second = run_deadlines(sessions, now=much_later + dt.timedelta(hours=1))
    assert first.flagged == [number] and second.flagged == [] and not first.escalated
    with sessions() as session:
        case = queries.get_case(session, number)
        assert case.overdue_flagged_at == much_later and service.is_overdue(case, much_later)
        assert [e.action for e in case.events] == ["open", "overdue"]


def test_two_instances_at_once_escalate_each_case_exactly_once(sessions, make_case):
    with sessions.begin() as session:
        numbers = [make_case(session, f"楼上噪音{i}", "neighbor", location=f"某小区{i}号楼").number for i in range(30)]
    barrier = threading.Barrier(2)
    results = []

    def instance():
        barrier.wait()
        results.append(run_deadlines(sessions, now=LATER))

    threads = [threading.Thread(target=instance) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 2
    escalated = [n for r in results for n in r.escalated]
    assert sorted(escalated) == sorted(numbers)  # every case once, none twice
    with sessions() as session:
        assert sorted(escalate_counts(session).values()) == [1] * 30
        assert set(session.execute(select(Case.tier)).scalars()) == {"town"}


def test_while_another_instance_holds_the_lock_nothing_is_done(sessions, make_case):
    with sessions.begin() as session:
        number = make_case(session, "楼上噪音", "neighbor").number
    with job_lock(sessions) as holder:
        assert holder is not None
        skipped = run_deadlines(sessions, now=LATER)
        assert not skipped.ran and not skipped.escalated
    after = run_deadlines(sessions, now=LATER)
    assert after.ran and after.escalated == [number]


def test_closed_and_resolved_cases_are_left_alone(sessions, people, make_case):
    with sessions.begin() as session:
        number = make_case(session, "楼上噪音", "neighbor").number
        zhang = session.get(User, people["zhang"])
        service.claim(session, number, zhang)
        service.resolve(session, number, zhang, outcome="success", difficulty="一般", agreement="楼上铺地毯")
    assert run_deadlines(sessions, now=LATER).escalated == []


def test_an_overdue_emergency_outside_mediation_is_flagged_not_escalated(sessions, make_case):
    with sessions.begin() as session:
        case = make_case(session, "他拿着菜刀在砸我家门说要杀了我", "personal_injury")
        assert case.route_to == "110" and case.deadline_at == NOW + dt.timedelta(hours=2)
    result = run_deadlines(sessions, now=NOW + dt.timedelta(hours=3))
    assert result.flagged == [case.number] and result.escalated == []
    with sessions() as session:
        note = queries.get_case(session, case.number).events[-1].note
        assert "不在调解层级" in note and "110" in note
