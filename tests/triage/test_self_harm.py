"""Indirect suicide-risk talk goes to 110; hardship talk alone does not."""
from __future__ import annotations

import pytest

from hotline.triage import build_record


@pytest.mark.parametrize(
    "text, words",
    [
        ("药都攒好了 就想睡过去别再醒", ["药都攒好了", "睡过去别再醒"]),
        ("我室友在卫生间割了手 流了一地的血", ["割了手", "流了一地的血"]),
        ("我爸说活着拖累我们 一个人去水库了", ["活着拖累", "一个人去水库"]),
        ("她写了遗书就出门了", ["遗书"]),
    ],
)
def test_indirect_self_harm_is_an_emergency(text, words):
    record = build_record(text, {"name": "report_dispute", "confidence": 0.9})
    assert record["intent"]["name"] == "emergency" and record["route"]["to"] == "110"
    found = [w for s in record["signals"] if s["code"] == "danger:self_harm" for w in s["words"]]
    assert found == words


@pytest.mark.parametrize("text", ["老板欠我工资俺家日子撑不下去了", "工作压力大撑不下去了想辞职"])
def test_hardship_alone_is_not_an_emergency(text):
    record = build_record(text, {"name": "report_dispute", "confidence": 0.9})
    assert record["intent"]["name"] == "report_dispute" and record["route"]["to"] != "110"
