"""Where a triaged message goes, and the reason an operator reads."""

import re

import pytest

from hotline.triage import Signal, route
from hotline.triage.taxonomy import COMMITTEE_TYPES


@pytest.mark.parametrize(
    "intent, dispute_type, level, codes, text, expected",
    [
        ("report_dispute", "neighbor", "red", ["danger:weapon"], "邻居拿着菜刀", "110"),
        ("emergency", None, None, [], "快来人", "110"),
        ("ask_legal", "labor", "yellow", [], "老板欠我三个月工资怎么办", "12348"),
        ("ask_legal", None, None, [], "遗嘱怎么写才有效", "12348"),
        ("public_service", None, None, [], "小区门口的路灯坏了", "12345:municipal"),
        ("public_service", None, None, [], "垃圾三天没人清运", "12345:sanitation"),
        ("public_service", None, None, [], "路边有人占道摆摊", "12345:urban_management"),
        ("public_service", None, None, [], "我们楼停水两天了", "12345:water"),
        ("public_service", None, None, [], "突然停电了", "12345:power"),
        ("public_service", None, None, [], "孩子上户口要什么材料", "12345:household_registration"),
        ("public_service", None, None, [], "社保卡丢了怎么补", "12345:human_resources"),
        ("public_service", None, None, [], "我想提个建议", "12345:general"),
        ("report_dispute", "consumer", "yellow", [], "网购的手机是假货", "12315"),
        ("report_dispute", "labor", "yellow", [], "老板欠我三个月工资，我要申请劳动仲裁", "labor_arbitration"),
        ("report_dispute", "labor", "yellow", [], "公司把我辞退了，我想去仲裁", "labor_arbitration"),
        ("report_dispute", "labor", "yellow", [], "老板欠我三个月工资，不想仲裁，想调解", "mediation:town"),
        ("report_dispute", "labor", "yellow", [], "老板欠我三个月工资", "mediation:town"),
        ("report_dispute", "labor", "yellow", [], "工伤的事我想仲裁", "mediation:town"),
        ("report_dispute", "medical", "yellow", [], "医院误诊", "committee:medical"),
        ("report_dispute", "traffic", "yellow", [], "被车撞了", "committee:traffic"),
        ("report_dispute", "property_mgmt", "yellow", [], "物业乱收费", "committee:property_mgmt"),
        ("report_dispute", "environment", "yellow", [], "工厂排污", "committee:environment"),
        ("report_dispute", "land", "yellow", [], "承包地被占", "committee:land"),
        ("report_dispute", "marriage_family", "yellow", [], "前夫不给抚养费", "committee:marriage_family"),
        ("report_dispute", "labor", "orange", ["collective_action", "people_count:20"], "", "mediation:city"),
        ("report_dispute", "demolition", "red", ["collective_action", "people_count:8"], "", "mediation:town"),
        ("report_dispute", "medical", "red", ["escalation_risk"], "", "mediation:town"),
        ("report_dispute", "neighbor", "yellow", [], "楼上漏水", "mediation:village"),
        ("report_dispute", "debt", "yellow", [], "亲戚借了我五万不还", "mediation:village"),
        ("report_dispute", "debt", "yellow", [], "朋友借了我五万不还", "mediation:town"),
        ("report_dispute", "demolition", "yellow", [], "拆迁补偿太低", "mediation:town"),
        ("report_dispute", None, "yellow", [], "我要反映个纠纷", "mediation:town"),
        ("check_status", None, None, [], "我的案子办得怎么样了", "self_service"),
        ("greet", None, None, [], "你好", "self_service"),
        ("out_of_scope", None, None, [], "今天天气怎么样", "self_service"),
    ],
)
def test_route_to(intent, dispute_type, level, codes, text, expected):
    from hotline.triage import extract_entities

    result = route(intent, dispute_type, level, [Signal(c) for c in codes], "12345", text=text,
                   entities=extract_entities(text))
    assert result["to"] == expected
    assert re.search(r"[\u4e00-\u9fff]", result["reason"])
    assert result["reason"].endswith("。")


@pytest.mark.parametrize("line, expected", [("12345", "12345:general"), (None, "12345:general"), ("110", "110"), ("12348", "12348")])
def test_request_human_goes_to_a_person_on_the_line_of_entry(line, expected):
    assert route("request_human", None, None, [], line)["to"] == expected


def test_orange_reason_names_the_head_count_and_the_city_centre():
    result = route("report_dispute", "labor", "orange", ["collective_action", "people_count:20"])
    assert result == {"to": "mediation:city", "reason": "涉及20人以上群体性上访苗头，橙色预警，交市级矛盾纠纷调处中心。"}


def test_legal_reason_names_the_transfer():
    assert "一键转接12348" in route("ask_legal", "labor", "yellow", [], "12345")["reason"]
    assert "一键转接" not in route("ask_legal", "labor", "yellow", [], "12348")["reason"]


def test_accepts_the_record_shapes_of_intent_and_dispute_type():
    result = route({"name": "report_dispute", "confidence": 0.9}, {"code": "medical", "confidence": 0.8}, "yellow", [])
    assert result["to"] == "committee:medical"


def test_every_committee_type_has_a_route():
    for code in COMMITTEE_TYPES:
        assert route("report_dispute", code, "yellow", [])["to"] == f"committee:{code}"


@pytest.mark.parametrize("text, kind", [
    ("我们小区停气三天了，燃气公司电话打不通", "construction"),
    ("楼下烧烤店油烟太大，窗户都不敢开", "environment"),
    ("15路公交车半小时才来一班", "transport"),
    ("孩子上小学的学区怎么划分的", "education"),
    ("养老保险断交两年还能补交吗", "labor_social"),
    ("市医院专家号根本挂不上", "health"),
    ("办营业执照要带什么材料", "commerce"),
    ("户口迁移要回老家开证明吗", "police"),
    ("有个事情想反映一下", "general"),
])
def test_a_public_service_request_names_its_department_kind(text, kind):
    from hotline.triage.routing import department_kind_for

    to = route("public_service", None, None, [], "12345", text=text)["to"]
    assert department_kind_for(text, to)["code"] == kind


def test_department_kind_follows_the_route():
    from hotline.triage.routing import department_kind_for

    assert department_kind_for("他拿刀要砍我", "110") == {"code": "police", "name": "公安"}
    assert department_kind_for("离婚孩子归谁", "12348") == {"code": "justice", "name": "司法行政"}
    assert department_kind_for("停水了", "12345:water")["name"] == "城乡建设"
    assert department_kind_for("楼上漏水不修", "mediation:village") is None
