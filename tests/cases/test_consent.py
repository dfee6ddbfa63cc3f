"""Consent on an open case: a grant keeps the phone, a withdrawal erases the numbers, each change audited with its time."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from hotline.cases import privacy, queries, service
from hotline.cases.errors import Conflict, InvalidInput, PermissionDenied
from hotline.cases.models import CaseEvent, User

NOW = dt.datetime(2026, 12, 4, 9, 30, 0)
REPORT = "隔壁装修把我家墙震裂了，我电话13812345678，身份证110101199003071234"


def consent_trail(session, case):
    return [(e.action, e.actor, (e.detail or {}).get("consent"), e.at, e.note) for e in session.execute(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action.in_(("consent", "contact_phone")))
        .order_by(CaseEvent.id)).scalars()]


def test_a_grant_after_a_refusal_keeps_the_number_and_records_when_and_who(sessions, make_case):
    with sessions.begin() as session:
        number = make_case(session, "隔壁装修天天砸墙，吵得没法休息").number
    with sessions.begin() as session:
        case = privacy.grant_consent(session, number, "bot", phone="139-1234-5678", now=NOW)
        assert (case.pii_consent, case.contact_phone) == (True, "13912345678")
        # From now on what the case keeps is kept as said.
        service.add_message(session, case, "citizen", "我另一个号码是13900001111")
    with sessions() as session:
        case = queries.get_case(session, number)
        assert case.messages[-1].text == "我另一个号码是13900001111"
        [(action, actor, consent, at, note)] = consent_trail(session, case)
        assert (action, actor, consent, at) == ("consent", "bot", True, NOW)
        assert "尾号5678" in note and "13912345678" not in note
        assert [e.detail["at"] for e in case.events if e.action == "consent"] == ["2026-12-04T09:30:00+00:00"]


def test_a_new_number_while_consent_stands_is_recorded_and_the_same_number_changes_nothing(sessions, make_case):
    with sessions.begin() as session:
        number = make_case(session, "楼上漏水", pii_consent=True, contact_phone="13812345678").number
    with sessions.begin() as session:
        privacy.grant_consent(session, number, "bot", phone="13812345678", now=NOW)
        privacy.grant_consent(session, number, "bot", phone="15000001111", now=NOW)
    with sessions() as session:
        case = queries.get_case(session, number)
        assert case.contact_phone == "15000001111"
        assert [(a, c) for a, _, c, _, _ in consent_trail(session, case)] == [("contact_phone", None)]


def test_refusals_change_nothing(sessions, people, make_case):
    with sessions.begin() as session:
        open_number = make_case(session, "楼上漏水").number
        closed = make_case(session, "邻居占了我家车位")
        service.transition(session, closed, "bot", "closed")
        closed_number = closed.number
    with sessions.begin() as session:
        with pytest.raises(Conflict):
            privacy.grant_consent(session, closed_number, "bot", phone="13812345678")
        with pytest.raises(InvalidInput):
            privacy.grant_consent(session, open_number, "bot", phone="电话是多少")
        viewer = User(username="v", display_name="", password_hash="x", role="viewer")
        session.add(viewer)
        session.flush()
        with pytest.raises(PermissionDenied):
            privacy.grant_consent(session, open_number, viewer, phone="13812345678")
    with sessions() as session:
        for number in (open_number, closed_number):
            case = queries.get_case(session, number)
            assert (case.pii_consent, case.contact_phone, consent_trail(session, case)) == (False, None, [])


def test_a_withdrawal_erases_every_number_the_case_kept_not_just_a_flag(sessions, people, make_case):
    with sessions.begin() as session:
        case = make_case(session, REPORT, pii_consent=True, contact_phone="13812345678")
        number = case.number
        assert "13812345678" in case.description and any(e["entity"] == "phone" for e in case.triage["entities"])
        service.add_party(session, case, "bot", "other", "我弟弟", phone="13700002222", note="他的电话13700002222")
        service.add_document(session, case, "user:wang", "evidence", "报警回执", "报警人电话13812345678")
        service.add_message(session, case, "citizen", "再打我电话13812345678")
        case.callback_requested_at = NOW
    with sessions.begin() as session:
        assert privacy.withdraw_consent(session, number, "bot", now=NOW) is True
    with sessions.begin() as session:
        case = queries.get_case(session, number)
        assert (case.pii_consent, case.contact_phone, case.callback_requested_at) == (False, None, None)
        kept = [case.description, case.triage["text"]] + [m.text for m in case.messages] \
            + [p.note or "" for p in case.parties] + [d.body for d in case.documents]
        assert not any("13812345678" in t or "13700002222" in t or "110101199003071234" in t for t in kept), kept
        assert "138****5678" in case.description
        assert not [e for e in case.triage["entities"] if e["entity"] in ("phone", "id_number")]
        assert [p.phone for p in case.parties] == [None]
        [(action, actor, consent, at, note)] = consent_trail(session, case)
        assert (action, actor, consent, at) == ("consent", "bot", False, NOW) and "删除" in note
        # What comes later is masked as it is stored, as for a case opened without consent.
        service.add_message(session, case, "citizen", "我电话13812345678")
    with sessions() as session:
        case = queries.get_case(session, number)
        assert case.messages[-1].text == "我电话138****5678"
        with pytest.raises(InvalidInput):
            service.add_party(session, case, "bot", "other", "某某", phone="13700002222")


def test_withdrawing_from_a_case_that_kept_nothing_records_nothing(sessions, make_case):
    with sessions.begin() as session:
        number = make_case(session, "楼上漏水").number
    with sessions.begin() as session:
        assert privacy.withdraw_consent(session, number, "bot") is False
    with sessions() as session:
        assert consent_trail(session, queries.get_case(session, number)) == []


def test_every_change_of_mind_is_its_own_entry_in_order(sessions, make_case):
    with sessions.begin() as session:
        number = make_case(session, "楼上漏水").number
    times = [NOW + dt.timedelta(minutes=m) for m in (0, 5, 9)]
    with sessions.begin() as session:
        privacy.grant_consent(session, number, "bot", phone="13812345678", now=times[0])
        privacy.withdraw_consent(session, number, "user:wang", now=times[1])
        privacy.grant_consent(session, number, "bot", phone="15000001111", now=times[2])
    with sessions() as session:
        case = queries.get_case(session, number)
        assert [(c, actor, at) for _, actor, c, at, _ in consent_trail(session, case)] == [
            (True, "bot", times[0]), (False, "user:wang", times[1]), (True, "bot", times[2])]
        assert case.contact_phone == "15000001111"
