"""Routing to organisations and tiers from the triage record and the place, and escalation one tier up."""
from __future__ import annotations

import pytest

from hotline.cases import service
from hotline.cases.errors import InvalidInput
from hotline.cases.models import User
from hotline.cases.organisations import load, validate
from hotline.cases.placement import find_area
from tests.cases.conftest import example_data


@pytest.mark.parametrize("text, code, location, organisation, tier", [
    ("楼上邻居天天半夜跺脚", "neighbor", "城关镇幸福村", "xingfu-room", "village"),
    ("楼上漏水泡坏了我家吊顶", "neighbor", "阳光花园小区3栋", "yangguang-room", "village"),
    ("隔壁盖房子占了我家宅基地", "neighbor", "石桥镇李家村", "lijia-room", "village"),
    # a town with no village named: the town centre takes it rather than nobody
    ("邻居的狗天天叫", "neighbor", "河口镇", "hekou-centre", "town"),
    ("老板拖欠工资三个月", "labor", "石桥镇", "shiqiao-centre", "town"),
    ("在县医院做手术后感染，医院不认账", "medical", "城关镇", "medical-committee", "town"),
    ("电梯坏了三个月物业不修还要涨物业费", "property_mgmt", "阳光花园小区", "property-committee", "town"),
    ("老板拖欠我们二十多个人三个月工资，大家说要去市政府门口拉横幅", "labor", "城关镇工业园", "county-centre",
     "city"),
])
def test_cases_are_placed_by_route_tier_and_place(orgs, make_case, text, code, location, organisation, tier):
    with orgs.begin() as session:
        case = make_case(session, text, code, location=location)
        assert (case.organisation.code if case.organisation else None, case.tier) == (organisation, tier)


def test_unknown_place_leaves_the_case_for_the_operator_to_assign(orgs, people, make_case):
    with orgs.begin() as session:
        case = make_case(session, "楼上噪音", "neighbor", location="外省某地")
        assert case.organisation is None and case.tier == "village"
    with orgs() as session:
        with pytest.raises(InvalidInput):
            service.assign(session, case.number, session.get(User, people["wang"]))  # nothing to choose from
    with orgs.begin() as session:
        case = service.assign(session, case.number, session.get(User, people["wang"]), "yangguang-room")
        assert case.status == "assigned" and case.organisation.code == "yangguang-room"


def test_escalation_climbs_village_town_county_then_stops(orgs, people, make_case):
    with orgs.begin() as session:
        number = make_case(session, "邻居家装修把我家墙震裂了", "neighbor", location="城关镇幸福村").number
    climbed = []
    with orgs.begin() as session:
        wang = session.get(User, people["wang"])
        for _ in range(2):
            case = service.escalate(session, number, wang, "村里调解不成")
            climbed.append((case.organisation.code, case.tier))
        assert case.escalations == 2
    assert climbed == [("chengguan-centre", "town"), ("county-centre", "city")]


def test_committee_escalates_to_the_county_centre(orgs, people, make_case):
    with orgs.begin() as session:
        case = make_case(session, "出车祸对方不肯赔", "traffic", location="河口镇")
        assert case.organisation.code == "traffic-committee"
        zhang = session.get(User, people["zhang"])
        zhang.organisation_id = case.organisation_id  # the committee's own mediator escalates
        case = service.escalate(session, case, zhang, "保险公司拒绝参与")
        assert (case.organisation.code, case.tier) == ("county-centre", "city")


def test_escalation_without_organisation_data_goes_by_tier(sessions, people, make_case):
    with sessions.begin() as session:
        case = make_case(session, "楼上噪音", "neighbor")
        assert case.tier == "village" and case.organisation is None
        case = service.escalate(session, case, session.get(User, people["wang"]), "村里调不了")
        assert case.tier == "town"


def test_area_matching_prefers_the_most_specific(orgs):
    with orgs() as session:
        assert find_area(session, "城关镇幸福村三组").name == "幸福村"
        assert find_area(session, "人民路128号").name == "城关镇"
        assert find_area(session, "北京") is None


def test_loading_twice_updates_instead_of_duplicating(orgs):
    from sqlalchemy import func, select

    from hotline.cases.models import Organisation

    data = example_data()
    data["organisations"][0]["name"] = "青山县社会治理综合服务中心"
    with orgs.begin() as session:
        report = load(session, data)
        assert report.new_accounts == []  # the mediators exist from the first load
    with orgs() as session:
        assert session.execute(select(func.count(Organisation.id))).scalar_one() == len(data["organisations"])
        top = session.execute(select(Organisation).where(Organisation.code == "county-centre")).scalar_one()
        assert top.name == "青山县社会治理综合服务中心"
        mediator = session.execute(select(User).where(User.username == "zhou.hong")).scalar_one()
        assert mediator.organisation.code == "xingfu-room" and mediator.specialisms == ["neighbor", "marriage_family"]


def test_mediators_from_the_file_cannot_sign_in_until_given_a_password(orgs):
    from hotline.cases.accounts import authenticate

    with orgs() as session:
        assert authenticate(session, "zhou.hong", "!") is None
        assert authenticate(session, "zhou.hong", "") is None


def test_a_broken_file_is_refused_with_every_problem_named():
    data = example_data()
    data["organisations"][1]["parent"] = "no-such-centre"
    data["organisations"][2]["tier"] = "province"
    data["mediators"][0]["specialisms"] = ["gossip"]
    data["organisations"].append(dict(data["organisations"][0]))
    problems = validate(data)
    assert any("no-such-centre" in p for p in problems)
    assert any("tier" in p for p in problems)
    assert any("gossip" in p for p in problems)
    assert any("重复" in p for p in problems)


def test_the_sample_file_is_valid():
    assert validate(example_data()) == []
