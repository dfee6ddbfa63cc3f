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
              "diet_weight": 0.25}
    assert config_of(config) == {"min_ngram": 1, "max_ngram": 2, "C": 0.5, "analyzer": "char_wb",
                                 "class_weight": None}


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


def test_dispute_classifier_and_intent_blender_defaults():
    from bot.components.dispute_type import DisputeTypeClassifier
    from bot.components.intent_ensemble import CharNgramIntentBlender

    dispute = DisputeTypeClassifier.get_default_config()
    assert (dispute["analyzer"], dispute["max_ngram"], dispute["class_weight"]) == ("char_wb", 2, None)
    # The blender keeps the model it was tuned with (config.yml's blend weight was measured on it).
    blender = CharNgramIntentBlender.get_default_config()
    assert "analyzer" not in blender and "class_weight" not in blender
    assert CharNgramModel().analyzer == "char" and CharNgramModel().class_weight == "balanced"
