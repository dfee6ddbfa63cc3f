"""The intent classifier: character n-grams, a linear SVM and calibrated confidences."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.char_ngram import CharNgramComponent

RANKING_LENGTH = 10


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class CharNgramIntentClassifier(CharNgramComponent, GraphComponent):
    """Intent from the raw text's character n-grams (TF-IDF + LinearSVC).

    Why no DIET: on the project's data and on SMP2019 this model alone is more accurate
    than DIET and than a blend of both, trains in seconds instead of minutes and parses
    in well under a millisecond (docs/BENCHMARKS.md, docs/DESIGN.md). Confidences are
    a softmax over the SVM's margins with a sharpness fitted on held-out folds at
    training time (`calibrate`), so FallbackClassifier's threshold reads as a probability.
    """

    FILE_NAME = "char_intent.skops"

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # 5-fold CV on the project's data (docs/BENCHMARKS.md): char_wb 1-2 "balanced" 0.940
        # accuracy against 0.929 for char 1-3 and 0.935 for char_wb 1-3.
        # Letter wrapping (bot/components/augment.py): dev set of real messages, letters read as
        # dispute-or-service 0.789 -> 0.816, legal questions' intent 0.551 -> 0.594; CV unchanged
        # (bench/nlu_options.py, docs/BENCHMARKS.md). jieba word n-grams beside the characters and
        # per-sentence scoring were measured too and lost on the dev set.
        # The last clause's n-grams apart ("char_wb_last_clause"): dev legal questions' intent
        # 0.656 -> 0.693 outside Rasa, CV 0.942 -> 0.943 (docs/BENCHMARKS.md, 2026-12-04).
        # jieba's tags beside the characters at 0.5 (`jieba_tag_features`): SMP2019 0.840 -> 0.847,
        # dev legal dispute type macro-F1 0.726 -> 0.768 (with the type model's), letters unchanged
        # (docs/BENCHMARKS.md, "NLU round 3", 2026-12-05).
        return {"min_ngram": 1, "max_ngram": 2, "C": 1.0, "analyzer": "char_wb_last_clause", "tag_weight": 0.5,
                "class_weight": "balanced", "calibrate": True, "augment_letters": True}

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get("text") and e.get(INTENT)]
        intents = [e.get(INTENT) for e in examples]
        texts, labels = self._with_letters([e.get("text") for e in examples], intents, intents)
        return self._fit_and_persist(texts, labels, calibrate_on=len(examples))

    def process(self, messages: List[Message]) -> List[Message]:
        if self._model is None or not messages:
            return messages
        for message, ranking in zip(messages, self._model.probabilities([m.get("text") or "" for m in messages])):
            # An empty text scores uniform (no character seen): FallbackClassifier makes it nlu_fallback.
            ranked = [{"name": name, "confidence": round(score, 6)} for name, score in ranking[:RANKING_LENGTH]]
            message.set(INTENT, ranked[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranked, add_to_output=True)
        return messages
