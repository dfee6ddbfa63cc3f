"""Metrics of hotline/nlu_eval.py and the letter wrapping of bot/components/augment.py, without a model."""
from __future__ import annotations

import random

import pytest

from bot.components.augment import wrap_letters
from hotline.nlu_eval import LabelError, check_labels, f1_table, read_labelled, report


def test_f1_table_on_a_small_case():
    rows, macro, weighted, accuracy = f1_table(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    assert rows["a"] == (1.0, 0.5, pytest.approx(2 / 3), 2)
    assert rows["b"] == (pytest.approx(2 / 3), 1.0, pytest.approx(0.8), 2)
    assert accuracy == 0.75 and macro == pytest.approx((2 / 3 + 0.8) / 2) and weighted == pytest.approx(macro)


def test_csv_and_jsonl_read_alike():
    csv_rows = read_labelled("text,intent,dispute_type\n楼上漏水,report_dispute,neighbor\n路灯坏了,public_service,\n", "a.csv")
    json_rows = read_labelled('{"text": "楼上漏水", "intent": "report_dispute", "dispute_type": "neighbor"}\n'
                              '{"text": "路灯坏了", "intent": "public_service"}\n', "a.jsonl")
    for rows in (csv_rows, json_rows):
        assert [(r["text"], r["intent"], r["dispute_type"]) for r in rows] == [
            ("楼上漏水", "report_dispute", "neighbor"), ("路灯坏了", "public_service", "none")]


@pytest.mark.parametrize("content, name, message", [
    ("", "a.csv", "是空的"),
    ("text,label\n楼上漏水,x\n", "a.csv", "CSV 缺少列：intent"),
    ('{"text": "楼上漏水"}\n', "a.jsonl", "第 1 条缺少 text 或 intent"),
    ('{"text": "x", "intent": "greet"}\n[1, 2]\n', "a.jsonl", "第 2 行应是一个 JSON 对象"),
    ('{"text": "x", "intent": "greet"\n', "a.jsonl", "第 1 行不是合法的 JSON"),
])
def test_bad_files_get_a_chinese_error(content, name, message):
    with pytest.raises(LabelError, match=message):
        read_labelled(content, name)


def test_unknown_labels_are_named():
    rows = read_labelled("text,intent,dispute_type\n楼上漏水,complain,\n", "a.csv")
    with pytest.raises(LabelError, match="intent「complain」不是已知意图"):
        check_labels(rows, ["report_dispute"], ["neighbor"])


def test_report_counts_untyped_dispute_readings_and_lists_confident_mistakes_first():
    rows = read_labelled("text,intent,dispute_type\n甲,report_dispute,labor\n乙,public_service,\n丙,ask_legal,other\n", "a.csv")
    preds = [
        {"intent": "report_dispute", "confidence": 0.9, "dispute_type": "labor", "department": None},
        {"intent": "ask_legal", "confidence": 0.95, "dispute_type": "none", "department": None},
        {"intent": "ask_legal", "confidence": 0.6, "dispute_type": "debt", "department": None},
    ]
    result = report(rows, preds)
    assert result["untyped_dispute_predictions"] == {"count": 1, "of": 3}
    assert [m["text"] for m in result["mistakes"]] == ["乙", "丙"]
    assert result["dispute_or_service"]["accuracy"] == pytest.approx(2 / 3)
    assert result["dispute_type"]["accuracy"] == 0.5


def test_letter_wrapping_keeps_labels_and_is_reproducible():
    examples = [("停水三天了，什么时候来水", "public_service", "none"),
                ("老板欠我工资不给", "report_dispute", "labor"),
                ("离婚孩子归谁", "ask_legal", "marriage_family"),
                ("你好", "greet", "none"),
                ("很长的一封信" * 20, "public_service", "none")]
    first = wrap_letters(examples, random.Random(7))
    assert first == wrap_letters(examples, random.Random(7))
    # A letter and a question for service and dispute examples, a question for the legal one,
    # nothing for small talk or for what is already a long letter.
    assert [(intent, label) for _, intent, label in first] == [
        ("public_service", "none"), ("public_service", "none"), ("report_dispute", "labor"),
        ("report_dispute", "labor"), ("ask_legal", "marriage_family")]
    letter = first[0][0]
    assert "停水三天了，什么时候来水" in letter and "\n" in letter
