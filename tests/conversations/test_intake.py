"""What the report form asks for each dispute, and how it reads the answers."""
from __future__ import annotations

import pytest

from hotline.conversations import intake
from hotline.triage import build_record


def triage(text, code):
    return build_record(text, {"name": "report_dispute", "confidence": 0.9}, {"code": code, "confidence": 0.9})


def test_only_what_is_missing_is_asked():
    text = "老板拖欠我们二十多个人三个月工资了"
    assert intake.fields_needed("labor", text, triage(text, "labor")) == ["incident_location", "other_party"]
    text = "老板欠我工资不给"
    assert intake.fields_needed("labor", text, triage(text, "labor")) == [
        "incident_details", "incident_location", "other_party", "people_count"]
    text = "楼上邻居家天天半夜跺脚吵得睡不着觉"
    assert intake.fields_needed("neighbor", text, triage(text, "neighbor")) == ["incident_location", "other_party"]
    assert intake.fields_needed(None, "我有个纠纷", {}) == ["incident_details", "incident_location", "other_party"]


def test_a_high_warning_asks_only_where():
    text = "村里五十多户说好了明天去镇政府拉横幅"
    assert intake.fields_needed("land", text, triage(text, "land"), urgent=True) == ["incident_location"]


def test_the_other_party_question_fits_the_dispute():
    from hotline.conversations import wording

    def asked(code):
        return wording.text("utter_ask_other_party", {"dispute_type": code})

    assert "医院" in asked("medical") and "邻居" in asked("neighbor")
    assert asked("other") == asked(None) == asked("no_such_type") == "和您发生纠纷的是谁？说姓名、单位或和您的关系都可以。"


@pytest.mark.parametrize("text, expected", [
    ("二十多个", 20), ("十几户", 10), ("就我一个", 1), ("我自己", 1), ("30", 30), ("大概五十来个人吧", 50),
    ("不清楚", None),
])
def test_head_counts(text, expected):
    assert intake.read_people(text) == expected


@pytest.mark.parametrize("text, intent, expected", [
    ("同意", None, True), ("好的", "affirm", True), ("不同意", None, False), ("我不想留电话", None, False),
    ("随便吧", None, None), ("可以", "deny", False),
])
def test_yes_and_no_with_refusals_winning(text, intent, expected):
    assert intake.read_yes_no(text, intent) is expected


def test_corrections_name_the_item():
    assert intake.field_to_correct("地点不对") == "incident_location"
    assert intake.field_to_correct("电话改成13900001111") == "contact_phone"
    assert intake.field_to_correct("对") is None


def test_the_summary_masks_the_phone_and_says_how_to_correct():
    text = intake.summary({"report_text": "老板欠我三万块工资", "incident_location": "城关镇幸福村",
                           "other_party": "宏达公司", "contact_phone": "13812345678"}, "labor", consent=True)
    assert "138****5678" in text and "13812345678" not in text
    assert "地点：城关镇幸福村" in text and "对方：宏达公司" in text
    from hotline.conversations import wording

    said = wording.text("utter_read_back", items=text)
    assert said.startswith("请核对一下要登记的信息：\n类型：劳动争议\n") and text in said and "算了" in said
