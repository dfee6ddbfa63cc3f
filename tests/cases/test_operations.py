"""The closed loop from claim to close: every step audited, refusals change nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hotline.cases import queries, service
from hotline.cases.errors import Conflict, InvalidInput, PermissionDenied
from hotline.cases.lifecycle import TransitionError, subsidy_of
from hotline.cases.models import Case, CaseDocument, CaseEvent, User


def events_of(session, number):
    case_id = session.execute(select(Case.id).where(Case.number == number)).scalar_one()
    return session.execute(select(CaseEvent.action, CaseEvent.from_status, CaseEvent.to_status, CaseEvent.actor)
                           .where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)).all()


def test_full_loop_success_with_agreement_and_subsidy_grade(sessions, people, make_case):
    with sessions.begin() as session:
        number = make_case(session, "楼上漏水把我家天花板泡坏了", "neighbor").number
    with sessions.begin() as session:
        service.register(session, number, "user:wang", note="电话核实属实")
        zhang = session.get(User, people["zhang"])
        service.claim(session, number, zhang)
        case = service.resolve(session, number, zhang, outcome="调解成功", difficulty="疑难",
                               agreement="楼上住户赔偿维修费2000元，十日内付清。")
        assert case.status == "feedback" and case.outcome == "success" and case.difficulty == "difficult"
        assert subsidy_of(case.difficulty) == 200
    with sessions.begin() as session:
        service.evaluate(session, number, session.get(User, people["wang"]), 5, "群众满意")
        service.close(session, number, session.get(User, people["wang"]))
    with sessions() as session:
        case = queries.get_case(session, number)
        assert case.status == "closed" and case.rating == 5 and case.closed_at is not None
        assert [(d.kind, d.body) for d in case.documents] == [("agreement", "楼上住户赔偿维修费2000元，十日内付清。")]
        assert [(a, f, t) for a, f, t, _ in events_of(session, number)] == [
            ("open", None, "reported"),
            ("register", "reported", "registered"),
            ("claim", "registered", "in_progress"),
            ("resolve", "in_progress", "feedback"),
            ("evaluate", "feedback", "evaluated"),
            ("close", "evaluated", "closed"),
        ]
        assert events_of(session, number)[2][3] == "user:zhang"


@pytest.mark.parametrize("path, name", [("court", "向人民法院起诉"), ("申请仲裁", None), ("administrative", None)])
def test_failed_mediation_records_the_next_path(sessions, people, make_case, path, name):
    with sessions.begin() as session:
        number = make_case(session, "借给朋友五万块钱一直不还", "debt").number
        zhang = session.get(User, people["zhang"])
        service.claim(session, number, zhang)
        case = service.resolve(session, number, zhang, outcome="failed", difficulty="一般", next_path=path)
        assert case.next_path in ("court", "arbitration", "administrative")
        assert case.agreement is None and not case.documents
        if name:
            assert name in case.events[-1].note


@pytest.mark.parametrize("kwargs, code", [
    ({"outcome": "success", "difficulty": "一般"}, "agreement_required"),
    ({"outcome": "failed", "difficulty": "一般"}, "next_path_required"),
    ({"outcome": "failed", "difficulty": "一般", "next_path": "找媒体"}, "invalid_next_path"),
    ({"outcome": "success", "difficulty": "很难", "agreement": "x"}, "invalid_difficulty"),
])
def test_incomplete_resolution_is_refused_and_nothing_changes(sessions, people, make_case, kwargs, code):
    with sessions.begin() as session:
        number = make_case(session, "物业费纠纷", "property_mgmt").number
        service.claim(session, number, session.get(User, people["zhang"]))
    with sessions() as session:
        with pytest.raises(InvalidInput) as refused:
            service.resolve(session, number, session.get(User, people["zhang"]), **kwargs)
        assert refused.value.code == code
        session.rollback()
    with sessions() as session:
        case = queries.get_case(session, number)
        assert case.status == "in_progress" and case.outcome is None
        assert [a for a, *_ in events_of(session, number)] == ["open", "claim"]


def test_only_the_holder_resolves_or_releases(sessions, people, make_case):
    with sessions.begin() as session:
        number = make_case(session, "邻居占道堆柴火", "neighbor").number
        service.claim(session, number, session.get(User, people["zhang"]))
    with sessions() as session:
        li = session.get(User, people["li"])
        with pytest.raises(PermissionDenied):
            service.resolve(session, number, li, outcome="failed", difficulty="一般", next_path="court")
        session.rollback()
        with pytest.raises(PermissionDenied):
            service.release(session, number, session.get(User, people["li"]))
        session.rollback()
    with sessions.begin() as session:
        case = service.release(session, number, session.get(User, people["zhang"]), "需要先核实产权")
        assert case.status == "assigned" and case.assignee_id is None
    with sessions() as session:
        assert [c.number for c in queries.queue(session)] == [number]


def test_claim_needs_a_person(sessions, make_case):
    from hotline.cases.actors import Actor

    with sessions.begin() as session:
        number = make_case(session, "欠薪", "labor").number
    with sessions() as session:
        with pytest.raises(PermissionDenied):
            service.claim(session, number, Actor(label="token:platform", role="admin"))


def test_transfer_out_and_to_another_organisation(orgs, people, make_case):
    sessions = orgs
    with sessions.begin() as session:
        out = make_case(session, "有人在我家门口拿刀威胁我", "personal_injury").number
        inside = make_case(session, "楼上噪音", "neighbor", location="阳光花园小区").number
    with sessions() as session:
        with pytest.raises(InvalidInput):
            service.transfer(session, out, session.get(User, people["wang"]), "110", "  ")
        with pytest.raises(InvalidInput):
            service.transfer(session, out, session.get(User, people["wang"]), "媒体", "曝光")
    with sessions.begin() as session:
        wang = session.get(User, people["wang"])
        case = service.transfer(session, out, wang, "110", "涉及人身安全，属警情")
        assert case.status == "transferred" and case.transferred_to == "110"
        case = service.transfer(session, inside, wang, "org:chengguan-centre", "社区调委会人手不足")
        assert case.status == "assigned" and case.organisation.code == "chengguan-centre" and case.tier == "town"
    with sessions() as session:
        assert [a for a, *_ in events_of(session, out)] == ["open", "transfer"]


def test_transitions_outside_the_loop_are_refused_with_no_trace(sessions, people, make_case):
    with sessions.begin() as session:
        number = make_case(session, "欠薪", "labor").number
    with sessions() as session:
        with pytest.raises(TransitionError):
            service.evaluate(session, number, session.get(User, people["wang"]), 4)
        session.rollback()
        with pytest.raises(InvalidInput):
            service.close(session, number, session.get(User, people["wang"]))  # closing unhandled needs a reason
        session.rollback()
    with sessions() as session:
        assert [a for a, *_ in events_of(session, number)] == ["open"]


def test_reopen_gives_a_fresh_deadline_and_puts_it_back_in_the_queue(sessions, people, make_case):
    import datetime as dt

    with sessions.begin() as session:
        number = make_case(session, "宅基地边界", "land").number
        zhang = session.get(User, people["zhang"])
        service.claim(session, number, zhang)
        service.resolve(session, number, zhang, outcome="success", difficulty="major", agreement="以老界桩为准")
        service.close(session, number, session.get(User, people["wang"]))
        later = dt.datetime(2027, 1, 1, 8, 0)
        case = service.reopen(session, number, session.get(User, people["wang"]), "一方反悔，重新调解", now=later)
        assert case.status == "reopened" and case.deadline_at == later + dt.timedelta(days=7)
    with sessions() as session:
        assert number in [c.number for c in queries.queue(session)]


def test_audit_entries_cannot_be_edited_or_deleted(sessions, make_case):
    from sqlalchemy import delete, update
    from sqlalchemy.exc import DatabaseError

    with sessions.begin() as session:
        make_case(session, "欠薪", "labor")
    for statement in (update(CaseEvent).values(note="改写"), delete(CaseEvent)):
        with sessions() as session:
            with pytest.raises(DatabaseError, match="append-only"):
                session.execute(statement)
                session.flush()
    with sessions() as session:
        assert session.execute(select(func.count(CaseEvent.id))).scalar_one() == 1


def test_documents_and_parties_are_in_the_file(sessions, people, make_case):
    with sessions.begin() as session:
        number = make_case(session, "工地夜间施工太吵", "environment").number
        service.add_party(session, number, session.get(User, people["wang"]), "被申请人", "青山建工集团")
        service.add_document(session, number, session.get(User, people["zhang"]), "record", "第一次调解笔录",
                             "双方到场，施工方同意晚十点后停工。")
        with pytest.raises(InvalidInput):
            service.add_party(session, number, session.get(User, people["wang"]), "applicant", "张三",
                              phone="13800000000")  # no consent, no phone
    with sessions() as session:
        case = queries.load_for_file(session, number)
        assert case.respondent == "青山建工集团"
        assert [(p.role, p.name) for p in case.parties] == [("respondent", "青山建工集团")]
        assert session.execute(select(func.count(CaseDocument.id))).scalar_one() == 1
        assert [a for a, *_ in events_of(session, number)] == ["open", "party_add", "document_add"]


def test_escalate_refused_at_the_top(sessions, people, make_case):
    with sessions.begin() as session:
        text = "老板拖欠我们二十多个人三个月工资，大家说要去市政府门口拉横幅"
        number = make_case(session, text, "labor").number
        assert queries.get_case(session, number).tier == "city"
    with sessions() as session:
        with pytest.raises(Conflict) as refused:
            service.escalate(session, number, session.get(User, people["wang"]), "需要更高层级")
        assert refused.value.code == "top_tier"
