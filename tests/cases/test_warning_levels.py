"""Warning levels: the triage and the bot may raise; only a person lowers or lifts, with a reason, audited."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline.cases import queries, service
from hotline.cases.actors import Actor
from hotline.cases.errors import InvalidInput, PermissionDenied
from hotline.cases.models import CaseEvent, User


def level_events(session, case_id):
    return session.execute(select(CaseEvent.action, CaseEvent.actor, CaseEvent.note, CaseEvent.detail)
                           .where(CaseEvent.case_id == case_id, CaseEvent.action.like("warning_%"))
                           .order_by(CaseEvent.id)).all()


def test_the_bot_raises_but_cannot_lower(sessions, make_case):
    with sessions.begin() as session:
        case = make_case(session, "邻居天天吵架", "neighbor")
        assert case.warning_level == "yellow"
        service.set_warning_level(session, case, "bot", "red", "来电人称对方扬言要报复")
        assert case.warning_level == "red"
    for actor in ("bot", Actor(label="token:12345-platform", role="admin")):
        with sessions() as session:
            with pytest.raises(PermissionDenied):
                service.set_warning_level(session, case.number, actor, "yellow", "已缓和")
    with sessions() as session:
        case = queries.get_case(session, case.number)
        assert case.warning_level == "red"
        assert [(a, who) for a, who, *_ in level_events(session, case.id)] == [("warning_raise", "bot")]


def test_a_person_lowers_and_lifts_with_a_reason(sessions, people, make_case):
    with sessions.begin() as session:
        case = make_case(session, "我们五个人被欠工资，准备联名上访", "labor")
        assert case.warning_level == "red"
        zhang = session.get(User, people["zhang"])
        with pytest.raises(InvalidInput):
            service.set_warning_level(session, case, zhang, "yellow", "  ")
        service.set_warning_level(session, case, zhang, "yellow", "老板已承诺月底前结清")
        service.set_warning_level(session, case, zhang, None, "工资已全部结清")
    with sessions() as session:
        case = queries.get_case(session, case.number)
        assert case.warning_level is None and case.warning_rank == 0
        rows = level_events(session, case.id)
        assert [(a, who, d) for a, who, _, d in rows] == [
            ("warning_lower", "user:zhang", {"from": "red", "to": "yellow"}),
            ("warning_lift", "user:zhang", {"from": "yellow", "to": None}),
        ]
        assert "工资已全部结清" in rows[-1][2]


def test_a_person_may_raise_and_the_queue_follows(sessions, people, make_case):
    with sessions.begin() as session:
        first = make_case(session, "楼上噪音", "neighbor")
        second = make_case(session, "邻居占了楼道", "neighbor")
        service.set_warning_level(session, second, session.get(User, people["li"]), "orange",
                                  "现场已聚集二十多人，有冲突苗头")
    with sessions() as session:
        assert [c.number for c in queries.queue(session)] == [second.number, first.number]


def test_an_unknown_level_is_refused(sessions, people, make_case):
    with sessions.begin() as session:
        case = make_case(session, "楼上噪音", "neighbor")
        with pytest.raises(InvalidInput):
            service.set_warning_level(session, case, session.get(User, people["zhang"]), "purple", "试试")
