"""The character CRF entity extractor: spans that cut across jieba's words, storage, and silence without annotations."""
from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.char_crf import CharCRFEntityExtractor, bio_tags, spans, trimmed

APPS = ["qq浏览器", "微信", "酷狗音乐", "淘宝", "高德地图", "uc浏览器", "支付宝", "百度地图", "qq音乐", "美团",
        "今日头条", "抖音"]
CITIES = ["北京", "上海", "合肥", "郑州", "成都", "杭州", "武汉", "西安"]


def annotated(text: str, *entities: tuple) -> Message:
    found = []
    for kind, value in entities:
        start = text.index(value)
        found.append({"entity": kind, "start": start, "end": start + len(value), "value": value})
    return Message(data={"text": text, "intent": "x", "entities": found})


def training_data() -> TrainingData:
    messages = []
    for i, app in enumerate(APPS):
        template = ["打开{}", "帮我打开{}", "给我开一下{}", "启动{}吧"][i % 4]
        messages.append(annotated(template.format(app), ("name", app)))
    for i, (start, end) in enumerate(zip(CITIES, CITIES[1:] + CITIES[:1])):
        template = ["从{}到{}的火车", "{}去{}的机票", "明天从{}飞{}", "查一下{}到{}的高铁"][i % 4]
        messages.append(annotated(template.format(start, end), ("startLoc_city", start), ("endLoc_city", end)))
    messages += [Message(data={"text": t, "intent": "y"}) for t in ("你好", "今天天气怎么样", "讲个笑话")]
    return TrainingData(messages)


def make(tmp_path, name="crf"):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(graph_schema=None, node_name=name)
    return storage, CharCRFEntityExtractor.create({}, storage, Resource(name), context)


def test_bio_tags_and_spans_round_trip():
    message = annotated("从合肥到上海的火车", ("startLoc_city", "合肥"), ("endLoc_city", "上海"))
    tags = bio_tags(message.get("text"), message.get("entities"))
    assert tags[:4] == ["O", "B-startLoc_city", "I-startLoc_city", "O"]
    assert spans(tags) == [("startLoc_city", 1, 3), ("endLoc_city", 4, 6)]
    # A broken tag sequence still yields whole spans, never a lost or merged one.
    assert spans(["I-a", "I-a", "B-b", "I-a"]) == [("a", 0, 2), ("b", 2, 3), ("a", 3, 4)]


def test_learns_entities_and_finds_them_in_new_messages_after_loading(tmp_path):
    storage, extractor = make(tmp_path)
    resource = extractor.train(training_data())
    loaded = CharCRFEntityExtractor.load({}, storage, resource, ExecutionContext(graph_schema=None, node_name="crf"))

    message = Message(data={"text": "帮我打开高德地图"})
    loaded.process([message])
    entities = [(e["entity"], e["value"], e["start"], e["end"]) for e in message.get("entities")]
    assert entities == [("name", "高德地图", 4, 8)]
    assert message.get("entities")[0]["extractor"] == "CharCRFEntityExtractor"
    assert 0 < message.get("entities")[0]["confidence_entity"] <= 1

    trip = Message(data={"text": "从成都到武汉的火车"})
    loaded.process([trip])
    assert {(e["entity"], e["value"]) for e in trip.get("entities")} == {("startLoc_city", "成都"),
                                                                           ("endLoc_city", "武汉")}


def test_a_span_may_end_inside_a_jieba_word(tmp_path):
    """The reason for tagging characters: 'qq浏览器' is one span even where jieba splits it."""
    from rasa.nlu.tokenizers.tokenizer import Token

    _, extractor = make(tmp_path)
    extractor.train(training_data())
    text = "打开uc浏览器"
    # A segmentation whose word boundary cuts the span ("打开uc" | "浏览器").
    tokens = [Token("打开uc", 0), Token("浏览器", 4)]
    found = extractor.extract(text, tokens)
    assert [(e["entity"], e["value"]) for e in found] == [("name", "uc浏览器")]


def test_without_annotations_it_trains_nothing_and_adds_nothing(tmp_path):
    storage, extractor = make(tmp_path)
    resource = extractor.train(TrainingData([Message(data={"text": "你好", "intent": "greet"}),
                                             Message(data={"text": "再见", "intent": "goodbye"})]))
    loaded = CharCRFEntityExtractor.load({}, storage, resource, ExecutionContext(graph_schema=None, node_name="crf"))
    message = Message(data={"text": "打开微信", "entities": []})
    loaded.process([message])
    assert message.get("entities") == []


@pytest.mark.parametrize("text", ["", " ", "😀😀", "a" * 300, "打开微信" + "。" * 300],
                         ids=["empty", "space", "emoji", "latin-300", "app-then-300-stops"])
def test_odd_text_gives_whole_spans_of_itself_and_nothing_from_nothing(tmp_path, text):
    _, extractor = make(tmp_path)
    extractor.train(training_data())
    found = extractor.extract(text)
    if not text.strip():
        assert found == []
    for entity in found:  # every span is a real piece of the text, its value exactly that piece
        assert 0 <= entity["start"] < entity["end"] <= len(text)
        assert entity["value"] == text[entity["start"]:entity["end"]] and entity["entity"] in {"name", "startLoc_city",
                                                                                                   "endLoc_city"}
    if text.startswith("打开微信"):  # a long tail of punctuation does not hide what it learned
        assert ("name", "微信") in {(e["entity"], e["value"]) for e in found}


@pytest.mark.parametrize("text, piece", [("“宏达公司”。", "宏达公司"), ("宏达（集团）", "宏达（集团）"), (" 30%，", "30%"),
                                         ("……", ""), ("幸福村\n", "幸福村")])
def test_a_span_loses_punctuation_and_spaces_at_its_edges_but_not_brackets_or_percent(text, piece):
    start, end = trimmed(text, 0, len(text))
    assert text[start:end] == piece
