"""The char n-gram model's options: analyzer and class weights, and that a model with them survives storage."""
from __future__ import annotations

import pytest

from bot.components.char_ngram import CharNgramModel, config_of

TEXTS = ["楼上天天半夜跺脚", "楼上漏水泡了我家天花板", "隔壁的狗叫了一晚上",
         "老板拖欠三个月工资", "工地包工头跑了工钱没结", "公司辞退我不给补偿",
         "你好", "谢谢你们", "再见"]
LABELS = ["neighbor"] * 3 + ["labor"] * 3 + ["none"] * 3


def test_unknown_analyzer_is_refused():
    with pytest.raises(ValueError, match="analyzer"):
        CharNgramModel(analyzer="word")


def test_config_of_passes_the_new_options_and_nothing_else():
    config = {"min_ngram": 1, "max_ngram": 2, "C": 0.5, "analyzer": "char_wb", "class_weight": None,
              "tag_weight": 0.5, "diet_weight": 0.25}
    assert config_of(config) == {"min_ngram": 1, "max_ngram": 2, "C": 0.5, "analyzer": "char_wb",
                                 "class_weight": None, "tag_weight": 0.5}


def test_char_wb_model_without_class_weights_round_trips(tmp_path):
    model = CharNgramModel(min_ngram=1, max_ngram=2, analyzer="char_wb", class_weight=None).fit(TEXTS, LABELS)
    tfidf, svm = model.pipeline.named_steps["tfidf"], model.pipeline.named_steps["svm"]
    assert (tfidf.analyzer, tfidf.ngram_range, svm.class_weight) == ("char_wb", (1, 2), None)

    path = tmp_path / "model.skops"
    model.save(path)
    loaded = CharNgramModel.load(path)
    texts = ["楼上又在跺脚", "工钱拖了半年"]
    assert loaded.probabilities(texts) == model.probabilities(texts)
    ranking = loaded.probabilities(texts)[1]
    assert ranking[0][0] == "labor"
    assert sum(score for _, score in ranking) == pytest.approx(1.0)


def test_pipeline_component_defaults():
    from bot.components.dispute_type import DisputeTypeClassifier
    from bot.components.intent_classifier import CharNgramIntentClassifier

    dispute = DisputeTypeClassifier.get_default_config()
    assert (dispute["analyzer"], dispute["max_ngram"], dispute["class_weight"]) == ("char_wb", 2, None)
    intent = CharNgramIntentClassifier.get_default_config()
    assert (intent["analyzer"], intent["class_weight"]) == ("char_wb_last_clause", "balanced")
    assert intent["calibrate"] and dispute["calibrate"]
    # jieba's words and tags beside the characters, in both (docs/BENCHMARKS.md, 2026-12-05).
    assert intent["tag_weight"] == dispute["tag_weight"] == 0.5


def test_jieba_features_name_the_kind_of_a_name_place_or_time():
    from bot.components.char_ngram import jieba_tag_features

    one, other = jieba_tag_features("我想听周杰伦的歌"), jieba_tag_features("我想听刘德华的歌")
    assert "G:<nr>_的" in one and "G:<nr>_的" in other  # two singers, one feature
    assert "W:周杰伦" in one and "W:周杰伦" not in other
    assert any(f.startswith("TT:") for f in one)
    assert "G:<ns>_天气" in jieba_tag_features("明天北京天气怎么样")


def test_tags_are_cached_while_fitting_and_never_while_parsing(monkeypatch):
    """Training tags each text once across calibration's refits; a server parsing messages keeps none."""
    import jieba.posseg

    from bot.components import char_ngram

    seen = []
    real_cut = jieba.posseg.cut
    monkeypatch.setattr(jieba.posseg, "cut", lambda text, *a, **k: seen.append(text) or real_cut(text, *a, **k))
    model = CharNgramModel(analyzer="char_wb", max_ngram=2, tag_weight=0.5)
    model.fit(CALIBRATION_TEXTS, CALIBRATION_LABELS, calibrate=True)
    assert sorted(seen) == sorted(CALIBRATION_TEXTS)  # four fits (one + three folds), one tagging per text
    assert char_ngram._TAG_CACHE is None
    seen.clear()
    model.probabilities(["楼上又在跺脚"])
    model.probabilities(["楼上又在跺脚"])
    assert seen == ["楼上又在跺脚", "楼上又在跺脚"] and char_ngram._TAG_CACHE is None


def test_a_model_with_jieba_tags_round_trips_through_storage(tmp_path):
    model = CharNgramModel(analyzer="char_wb", max_ngram=2, tag_weight=0.5).fit(CALIBRATION_TEXTS,
                                                                                 CALIBRATION_LABELS, calibrate=True)
    union = model.pipeline.named_steps["tfidf"]
    assert [name for name, _ in union.transformer_list] == ["chars", "tags"]
    assert union.transformer_weights == {"chars": 1.0, "tags": 0.5}
    path = tmp_path / "model.skops"
    model.save(path)
    loaded = CharNgramModel.load(path)
    texts = ["楼上又在跺脚", "工资到现在没发", "你好"]
    assert loaded.probabilities(texts) == model.probabilities(texts)
    assert [r[0][0] for r in loaded.probabilities(texts)] == ["neighbor", "labor", "greet"]
    # The unseen-character check reads the characters' vocabulary inside the union.
    assert max(score for _, score in loaded.probabilities(["zzzz"])[0]) == pytest.approx(1 / 3)


def test_the_last_clause_of_a_long_message_counts_apart():
    from bot.components.char_ngram import LAST_CLAUSE_MARK, char_wb_and_last_clause

    story = "老公前天在饭店门口被几个人打伤了，现在还住在医院里，对方会被拘留吗"
    marked = [g[1:] for g in char_wb_and_last_clause(story) if g.startswith(LAST_CLAUSE_MARK)]
    assert "拘留" in marked and "吗" in marked
    assert "医院" not in marked  # only the question, not the story
    assert not any(g.startswith(LAST_CLAUSE_MARK) for g in char_wb_and_last_clause("离婚孩子归谁"))


def test_a_last_clause_model_round_trips_and_reads_the_question(tmp_path):
    texts = ["我家孩子在学校被同学打了，住院花了五千多，学校要不要赔偿呢",
             "邻居家孩子把我家玻璃砸了，大人也不管，我能要求他家赔吗",
             "我家孩子在学校被同学打了，住院花了五千多，请你们帮忙调解一下",
             "邻居家孩子把我家玻璃砸了，大人也不管，麻烦派人来调解一下"]
    labels = ["ask_legal", "ask_legal", "report_dispute", "report_dispute"]
    model = CharNgramModel(analyzer="char_wb_last_clause").fit(texts, labels)
    model.save(tmp_path / "m.skops")
    loaded = CharNgramModel.load(tmp_path / "m.skops")
    asked = "楼上漏水把我家天花板泡坏了，物业也不管，楼上要不要赔呢"
    assert loaded.probabilities([asked])[0][0][0] == "ask_legal"
    assert loaded.probabilities([asked]) == model.probabilities([asked])


# Three clearly different topics, six ways each, so held-out folds are mostly right.
CALIBRATION_TEXTS = (
    ["楼上半夜跺脚吵死了", "楼上天天拖椅子", "楼上小孩蹦跶到半夜", "楼上装修电钻响一天", "楼上漏水到我家", "楼上邻居放音乐太吵"]
    + ["老板欠我工资不给", "工资拖了三个月", "包工头卷走了工钱", "公司不发加班工资", "老板克扣工资", "辞退了不给工资"]
    + ["你好啊", "您好在吗", "你好请问有人吗", "哈喽你好", "你好呀客服", "早上好你好"])
CALIBRATION_LABELS = ["neighbor"] * 6 + ["labor"] * 6 + ["greet"] * 6


def test_calibration_keeps_the_ranking_and_survives_storage(tmp_path):
    plain = CharNgramModel(analyzer="char_wb", max_ngram=2).fit(CALIBRATION_TEXTS, CALIBRATION_LABELS)
    calibrated = CharNgramModel(analyzer="char_wb", max_ngram=2).fit(CALIBRATION_TEXTS, CALIBRATION_LABELS,
                                                                      calibrate=True)
    assert calibrated.sharpness != CharNgramModel.DEFAULT_SHARPNESS
    texts = ["楼上又在跺脚", "工资到现在没发", "你好"]
    for before, after in zip(plain.probabilities(texts), calibrated.probabilities(texts)):
        assert [label for label, _ in before] == [label for label, _ in after]
        assert sum(score for _, score in after) == pytest.approx(1.0)

    path = tmp_path / "model.skops"
    calibrated.save(path)
    loaded = CharNgramModel.load(path)
    assert loaded.sharpness == calibrated.sharpness
    assert loaded.probabilities(texts) == calibrated.probabilities(texts)


def test_calibration_makes_an_easy_task_confident_and_noise_unsure():
    """Temperature scaling follows the held-out evidence: separable topics get sharp scores,
    labels that are pure noise get scores near uniform."""
    easy = CharNgramModel(analyzer="char_wb", max_ngram=2)
    easy.fit(CALIBRATION_TEXTS, CALIBRATION_LABELS, calibrate=True)
    shuffled = CALIBRATION_LABELS[1::3] + CALIBRATION_LABELS[2::3] + CALIBRATION_LABELS[0::3]
    noisy = CharNgramModel(analyzer="char_wb", max_ngram=2)
    noisy.fit(CALIBRATION_TEXTS, shuffled, calibrate=True)
    assert easy.sharpness > noisy.sharpness
    top_easy = easy.probabilities(["楼上半夜吵"])[0][0][1]
    top_noisy = noisy.probabilities(["楼上半夜吵"])[0][0][1]
    assert top_easy > 0.6 and top_noisy < top_easy


@pytest.mark.parametrize("text", ["zzzz", "？？？", "ℵℵ", "    "])
def test_a_text_of_unseen_characters_gets_no_confident_intent(text):
    """The margins of such a text are only intercepts: no class may look sure (the bot must ask)."""
    model = CharNgramModel(analyzer="char_wb", max_ngram=2).fit(CALIBRATION_TEXTS, CALIBRATION_LABELS, calibrate=True)
    ranking = model.probabilities([text])[0]
    assert max(score for _, score in ranking) == pytest.approx(1 / 3)
    # One known character is enough to be judged on the evidence again.
    assert model.probabilities([text + "楼上"])[0][0][0] == "neighbor"


def test_a_dispute_or_legal_reading_always_gets_a_real_dispute_type():
    from bot.components.dispute_type import DisputeTypeClassifier

    component = DisputeTypeClassifier(DisputeTypeClassifier.get_default_config(), None, None,
                                      CharNgramModel(min_ngram=1, max_ngram=2, analyzer="char_wb").fit(TEXTS, LABELS))
    # "你好" alone is about no dispute; read as a legal question, it still must name its best type.
    free, typed = component.predict(["你好", "你好"], typed=[False, True])
    assert free is None
    assert typed["code"] in ("neighbor", "labor") and 0 < typed["confidence"] < 1
    assert component.predict(["老板拖欠工资"], typed=[True])[0]["code"] == "labor"


def test_the_dispute_type_comes_with_its_ranking_of_real_types():
    from bot.components.dispute_type import DisputeTypeClassifier

    component = DisputeTypeClassifier(DisputeTypeClassifier.get_default_config(), None, None,
                                      CharNgramModel(min_ngram=1, max_ngram=2, analyzer="char_wb").fit(TEXTS, LABELS))
    (best, ranking), (free, nothing), (typed, typed_ranking) = component.rank(
        ["老板拖欠工资", "你好", "你好"], typed=[False, False, True])
    # Like Rasa's intent_ranking: best first, each type with its own probability, named in Chinese.
    assert ranking[0] == best and best["code"] == "labor"
    assert [r["code"] for r in ranking] == ["labor", "neighbor"]  # `none` is no dispute type
    assert ranking[1]["name"] == "邻里纠纷" and ranking[0]["confidence"] > ranking[1]["confidence"] > 0
    assert component.predict(["老板拖欠工资"]) == [best]
    # About no dispute: no type and nothing ranked; read as a legal question, its best real types.
    assert free is None and nothing == []
    assert typed_ranking[0] == typed and len(typed_ranking) == 2
