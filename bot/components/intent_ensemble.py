"""Blends DIET's intent ranking with a character n-gram classifier's."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.char_ngram import CharNgramComponent


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class CharNgramIntentBlender(CharNgramComponent, GraphComponent):
    """Intent = weighted mean of DIET's ranking and a char TF-IDF + LinearSVC ranking.

    DIET sees jieba words; the char model sees characters and survives dialect,
    typos and missing punctuation. `diet_weight` 1.0 is DIET alone, 0.0 the char model alone.
    """

    FILE_NAME = "char_intent.skops"

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # expose_parts: also output both rankings, for bench/nlu_cv.py to tune the weight.
        return {"min_ngram": 1, "max_ngram": 3, "C": 1.0, "diet_weight": 0.5, "expose_parts": False}

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get("text") and e.get(INTENT)]
        return self._fit_and_persist([e.get("text") for e in examples], [e.get(INTENT) for e in examples])

    def process(self, messages: List[Message]) -> List[Message]:
        if self._model is None or not messages:
            return messages
        weight = float(self.config["diet_weight"])
        rankings = self._model.probabilities([m.get("text") or "" for m in messages])
        for message, char_ranking in zip(messages, rankings):
            diet = {r["name"]: r["confidence"] for r in message.get(INTENT_RANKING_KEY) or []}
            if not diet and message.get(INTENT):  # e.g. a "/intent" message set by Rasa itself
                continue
            blended = {name: (1 - weight) * score + weight * diet.get(name, 0.0) for name, score in char_ranking}
            ranking = sorted(({"name": n, "confidence": c} for n, c in blended.items()),
                             key=lambda r: -r["confidence"])[:10]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            if self.config["expose_parts"]:
                message.set("intent_parts", {"diet": diet, "char": dict(char_ranking)}, add_to_output=True)
        return messages
