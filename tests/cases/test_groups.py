"""Collective disputes: linked by respondent or place and dispute type, the head count sets the level."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from hotline.cases import queries, service
from hotline.cases.models import CaseEvent, CaseGroup, User
from tests.cases.conftest import NOW


def test_same_place_and_type_link_and_five_people_make_it_red(sessions, make_case):
    with sessions.begin() as session:
        cases = [make_case(session, f"老板欠我工资三个月了（第{i}位工人）", "labor", location="城关镇工业园",
                           now=NOW + dt.timedelta(hours=i)) for i in range(5)]
        other_type = make_case(session, "工业园门口垃圾没人清", "environment", location="城关镇工业园")
        elsewhere = make_case(session, "老板欠我工资", "labor", location="石桥镇")
    with sessions() as session:
        members = queries.group_members(session, queries.get_case(session, cases[0].number))
        assert [m.number for m in members] == [c.number for c in cases]
        group = session.get(CaseGroup, members[0].group_id)
        assert group.head_count == 5 and group.warning_level == "red"
        assert all(m.warning_level == "red" for m in members)
        assert queries.get_case(session, other_type.number).group_id is None
        assert queries.get_case(session, elsewhere.number).group_id is None
        # The raise is audited on the members that were below red, by whoever opened the case that tipped it.
        raised = session.execute(select(CaseEvent.case_id, CaseEvent.actor, CaseEvent.note)
                                 .where(CaseEvent.action == "warning_raise")).all()
        assert len(raised) == 5 and all("群体性纠纷" in note for _, _, note in raised)


def test_same_respondent_links_across_places_and_twenty_people_make_it_orange(sessions, make_case):
    with sessions.begin() as session:
        first = make_case(session, "在宏达建筑干活，老板拖欠工资", "labor", location="石桥镇", respondent="宏达建筑公司")
        second = make_case(session, "我们十几个人在宏达建筑的工地干了半年没拿到钱", "labor", location="河口镇",
                           respondent="宏达 建筑公司")
        assert second.group_id == first.group_id is not None
        third = make_case(session, "宏达建筑欠我们二十多个人的工资", "labor", location="城关镇",
                          respondent="宏达建筑公司")
    with sessions() as session:
        group = session.get(CaseGroup, queries.get_case(session, third.number).group_id)
        assert group.head_count == 20 and group.warning_level == "orange"
        members = queries.group_members(session, queries.get_case(session, first.number))
        levels = {m.number: m.warning_level for m in members}
        assert levels == {first.number: "orange", second.number: "orange", third.number: "orange"}


def test_outside_the_window_no_link(sessions, make_case):
    with sessions.begin() as session:
        old = make_case(session, "楼上噪音", "neighbor", location="阳光花园小区", now=NOW)
        new = make_case(session, "楼上噪音", "neighbor", location="阳光花园小区", now=NOW + dt.timedelta(days=30))
        assert old.group_id is None and new.group_id is None


def test_two_groups_joined_by_a_case_matching_both(sessions, make_case):
    with sessions.begin() as session:
        a1 = make_case(session, "欠薪", "labor", location="石桥镇", respondent="甲公司")
        a2 = make_case(session, "欠薪", "labor", location="石桥镇", respondent="甲公司")
        b1 = make_case(session, "欠薪", "labor", location="河口镇", respondent="乙公司")
        b2 = make_case(session, "欠薪", "labor", location="河口镇", respondent="乙公司")
        assert a1.group_id == a2.group_id != b1.group_id == b2.group_id
        bridge = make_case(session, "欠薪", "labor", location="河口镇", respondent="甲公司")
    with sessions() as session:
        members = queries.group_members(session, queries.get_case(session, bridge.number))
        assert sorted(m.number for m in members) == sorted(c.number for c in (a1, a2, b1, b2, bridge))
        assert session.execute(select(CaseGroup)).scalars().all() == [session.get(CaseGroup, members[0].group_id)]


def test_naming_the_respondent_later_links_the_case(sessions, people, make_case):
    with sessions.begin() as session:
        first = make_case(session, "物业乱收停车费", "property_mgmt", respondent="安居物业")
        second = make_case(session, "物业把公共收益私吞了", "property_mgmt")
        assert second.group_id is None
        service.add_party(session, second, session.get(User, people["wang"]), "respondent", "安居物业")
    with sessions() as session:
        assert queries.get_case(session, second.number).group_id == queries.get_case(session, first.number).group_id


def test_a_group_never_lowers_a_level(sessions, make_case):
    with sessions.begin() as session:
        loud = make_case(session, "老板拖欠我们二十多个人三个月工资，大家说要去市政府门口拉横幅", "labor",
                         location="城关镇工业园")
        quiet = make_case(session, "我的工资也没发", "labor", location="城关镇工业园")
    with sessions() as session:
        assert queries.get_case(session, loud.number).warning_level == "orange"
        assert queries.get_case(session, quiet.number).warning_level == "orange"
