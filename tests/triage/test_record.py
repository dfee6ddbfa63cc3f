"""The triage record of docs/TAXONOMY.md built end to end."""

import ast
import json
import pathlib

import pytest

from hotline.triage import DISPUTE_TYPES, build_record, dispute_name
from hotline.triage.taxonomy import INTENTS, WARNING_LEVELS

EXAMPLE = "老板拖欠我们二十多个人三个月工资，大家说要去市政府门口拉横幅"


def test_taxonomy_example_record():
    record = build_record(
        EXAMPLE,
        {"name": "report_dispute", "confidence": 0.94},
        {"code": "labor", "confidence": 0.97},
        line="12345",
    )
    assert list(record) == [
        "text", "line", "intent", "dispute_type", "dispute_type_ranking", "warning_level",
        "risk_signals", "signals", "entities", "route", "department",
    ]
    assert record["text"] == EXAMPLE
    assert record["line"] == "12345"
    assert record["intent"] == {"name": "report_dispute", "confidence": 0.94}
    assert record["dispute_type"] == {"code": "labor", "name": "劳动争议", "confidence": 0.97}
    assert record["dispute_type_ranking"] == [record["dispute_type"]]  # no ranking given: the type alone
    assert record["warning_level"] == "orange"
    assert "collective_action" in record["risk_signals"]
    assert "people_count:20" in record["risk_signals"]
    assert {"code": "collective_action", "words": ["市政府门口", "拉横幅"]} in record["signals"]
    people = [e for e in record["entities"] if e["entity"] == "people_count"]
    assert people == [{"entity": "people_count", "value": 20, "text": "二十多个人", "start": 6, "end": 11}]
    assert record["route"]["to"] == "mediation:city"
    assert record["route"]["reason"]
    json.dumps(record, ensure_ascii=False)


@pytest.mark.parametrize(
    "text, model_intent",
    [
        ("邻居拿着菜刀在砸我家门", "report_dispute"),
        ("我不想活了", "greet"),
        ("他说要弄死我", "ask_legal"),
    ],
)
def test_danger_forces_emergency_and_110(text, model_intent):
    record = build_record(text, {"name": model_intent, "confidence": 0.8}, {"code": "neighbor", "confidence": 0.6})
    assert record["intent"]["name"] == "emergency"
    assert record["intent"]["original"] == {"name": model_intent, "confidence": 0.8}
    assert record["route"]["to"] == "110"
    assert record["warning_level"] in ("red", "orange")
    # A danger signal keeps the dispute type even after small talk.
    assert record["dispute_type"]["code"] == "neighbor"


def test_neighbour_with_a_kitchen_knife_is_an_emergency():
    record = build_record("邻居拿着菜刀在砸我家门", "report_dispute", "neighbor")
    assert record["intent"]["name"] == "emergency"
    assert record["route"]["to"] == "110"
    assert {"danger:weapon", "danger:violence_now"} <= set(record["risk_signals"])


def test_emergency_from_the_model_is_not_marked_overridden():
    record = build_record("快来人啊，他们在打我", {"name": "emergency", "confidence": 0.99})
    assert record["intent"] == {"name": "emergency", "confidence": 0.99}
    assert record["route"]["to"] == "110"


@pytest.mark.parametrize(
    "intent", ["greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "out_of_scope", "public_service", "check_status"]
)
def test_dispute_type_is_null_for_intents_that_are_no_dispute(intent):
    record = build_record("好的，谢谢", {"name": intent, "confidence": 0.9}, {"code": "labor", "confidence": 0.4})
    assert record["dispute_type"] is None
    assert record["warning_level"] is None


@pytest.mark.parametrize(
    "text, intent, dispute_type, level, to",
    [
        ("老板欠我三个月工资怎么办", "ask_legal", "labor", "yellow", "12348"),
        ("小区门口的路灯坏了", "public_service", None, None, "12345:municipal"),
        ("楼上天天漏水", "report_dispute", "neighbor", "yellow", "mediation:village"),
        ("楼上天天吵，我真想跟他拼了", "report_dispute", "neighbor", "red", "mediation:town"),
        ("网上买的衣服商家不给退", "report_dispute", "consumer", "yellow", "12315"),
        ("我们十几户村民要去镇政府门口拉横幅", "report_dispute", "land", "red", "mediation:town"),
        ("你好", "greet", None, None, "self_service"),
    ],
)
def test_record_levels_and_routes(text, intent, dispute_type, level, to):
    record = build_record(text, {"name": intent, "confidence": 0.9}, dispute_type and {"code": dispute_type, "confidence": 0.9})
    assert record["warning_level"] == level
    assert record["route"]["to"] == to


def test_intent_and_dispute_type_may_be_plain_codes():
    record = build_record("医院误诊", "report_dispute", "medical", line=12345)
    assert record["intent"] == {"name": "report_dispute", "confidence": None}
    assert record["dispute_type"] == {"code": "medical", "name": "医疗纠纷", "confidence": None}
    assert record["line"] == "12345"


def test_the_record_keeps_the_classifiers_three_best_types_its_own_first():
    ranking = [{"code": c, "confidence": p} for c, p in
               [("labor", 0.61), ("debt", 0.2), ("housing", 0.1), ("neighbor", 0.05)]]
    record = build_record("老板欠我工资不给", "report_dispute", ranking[0], dispute_ranking=ranking)
    assert record["dispute_type_ranking"] == [
        {"code": "labor", "name": "劳动争议", "confidence": 0.61},
        {"code": "debt", "name": "债权债务", "confidence": 0.2},
        {"code": "housing", "name": "房屋买卖租赁", "confidence": 0.1}]
    # The type the record settles on leads even when it was chosen over the model's first reading.
    chosen = build_record("老板欠我工资不给", "report_dispute", {"code": "debt", "confidence": 1.0},
                          dispute_ranking=ranking)
    assert [r["code"] for r in chosen["dispute_type_ranking"]] == ["debt", "labor", "housing"]
    # No dispute type, no ranking: small talk is no dispute whatever the classifier ranked.
    assert build_record("好的，谢谢", "thank", ranking[0], dispute_ranking=ranking)["dispute_type_ranking"] == []
    with pytest.raises(ValueError, match="unknown dispute type"):
        build_record("你好", "report_dispute", "labor", dispute_ranking=[{"code": "wages", "confidence": 0.2}])


def test_classifier_none_is_null_and_unknown_code_is_an_error():
    assert build_record("你好", "greet", {"code": "none", "confidence": 0.9})["dispute_type"] is None
    with pytest.raises(ValueError, match="unknown dispute type"):
        build_record("你好", "report_dispute", "wages")


def test_model_entities_merge_with_rule_entities():
    text = "老板欠我三万多块，我在城关镇上班，我叫张三"
    model = [
        {"entity": "amount", "value": "三万多", "start": 4, "end": 7, "extractor": "DIETClassifier"},  # overlaps the rule amount
        {"entity": "location", "value": "城关镇", "start": 11, "end": 14},  # same span as the rule location
        {"entity": "person_name", "value": "张三", "start": 19, "end": 21},  # model only
        {"entity": "people_count", "value": "十几个"},  # no offsets, not in the text
    ]
    entities = build_record(text, "report_dispute", "labor", model)["entities"]
    amounts = [e for e in entities if e["entity"] == "amount"]
    assert amounts == [{"entity": "amount", "value": 30000, "text": "三万多块", "start": 4, "end": 8}]
    assert [e["text"] for e in entities if e["entity"] == "location"] == ["城关镇"]
    assert {"entity": "person_name", "value": "张三", "text": "张三", "start": 19, "end": 21} in entities
    assert {"entity": "people_count", "value": 10, "text": "十几个", "start": None, "end": None} in entities
    for e in entities:
        assert set(e) == {"entity", "value", "text", "start", "end"}


def test_record_is_json_serialisable_with_numpy_like_confidences():
    class FakeFloat(float):
        pass

    record = build_record("楼上漏水", {"name": "report_dispute", "confidence": FakeFloat(0.5)})
    assert type(record["intent"]["confidence"]) is float
    json.dumps(record, ensure_ascii=False)


def test_taxonomy_constants():
    assert DISPUTE_TYPES["other"] == "其他纠纷"
    assert dispute_name("personal_injury") == "人身财产损害"
    with pytest.raises(KeyError):
        dispute_name("wages")
    assert {"stop", "rate"} <= set(INTENTS)


def test_the_documented_taxonomy_is_the_code_s():
    """docs/TAXONOMY.md is what a county reads: every code and name there is the one the code uses, in order."""
    import re

    from hotline.config import PROJECT_ROOT

    doc = (PROJECT_ROOT / "docs" / "TAXONOMY.md").read_text(encoding="utf-8")
    types = doc.split("## Dispute types")[1].split("\n## ")[0]
    rows = re.findall(r"^\| `([a-z_]+)` \| ([^|]+?) \|", types, re.M)
    assert rows == list(DISPUTE_TYPES.items())
    intents = doc.split("## What the contact wants")[1].split("\n## ")[0]
    documented = re.findall(r"`([a-z_]+)`", intents)
    assert [i for i in INTENTS if i not in documented] == []


def test_a_rating_is_about_no_dispute_and_goes_nowhere():
    record = build_record("两分 邻居漏水的事拖了两个月", {"name": "rate", "confidence": 0.8},
                          {"code": "neighbor", "confidence": 0.7})
    assert record["dispute_type"] is None and record["route"]["to"] == "self_service"
    assert WARNING_LEVELS == ("orange", "red", "yellow")


def test_triage_imports_only_stdlib_and_cn2an():
    allowed = {"re", "datetime", "dataclasses", "typing", "cn2an", "__future__"}
    package = pathlib.Path(__file__).resolve().parents[2] / "hotline" / "triage"
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"


def test_a_dispute_type_a_person_gave_replaces_the_models_without_a_confidence():
    from hotline.triage import with_dispute_type

    record = build_record("楼上装修天天砸墙", {"name": "report_dispute", "confidence": 0.9},
                          {"code": "neighbor", "confidence": 0.8})
    corrected = with_dispute_type(record, "property_mgmt")
    assert corrected["dispute_type"] == {"code": "property_mgmt", "name": DISPUTE_TYPES["property_mgmt"],
                                         "confidence": None}
    assert record["dispute_type"]["code"] == "neighbor"  # the model's reading is not changed in place
    for same in (None, "", "neighbor", "made_up", "none"):
        assert with_dispute_type(record, same) is record


def test_a_question_about_the_law_that_tells_of_past_violence_is_no_emergency():
    record = build_record("别人先动手的，我还手把他鼻子打破了，会判刑吗", {"name": "ask_legal", "confidence": 0.8},
                          {"code": "personal_injury", "confidence": 0.7})
    assert record["intent"] == {"name": "ask_legal", "confidence": 0.8}
    assert record["route"]["to"] != "110"
    assert record["warning_level"] == "red" and "escalation_risk" in record["risk_signals"]
    danger_now = build_record("他拿着刀在我家门口，这犯法吗", {"name": "ask_legal", "confidence": 0.8})
    assert danger_now["intent"]["name"] == "emergency" and danger_now["route"]["to"] == "110"
