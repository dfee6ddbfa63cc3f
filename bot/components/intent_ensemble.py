"""Blends DIET's intent ranking with a character n-gram classifier's."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.char_ngram import CharNgramModel, config_of

logger = logging.getLogger(__name__)
FILE_NAME = "char_intent.skops"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class CharNgramIntentBlender(GraphComponent):
    """Intent = weighted mean of DIET's ranking and a char TF-IDF + LinearSVC ranking.

    DIET sees jieba words; the char model sees characters and survives dialect,
    typos and missing punctuation. `diet_weight` 1.0 is DIET alone, 0.0 the char model alone.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # expose_parts: also output both rankings, for bench/nlu_cv.py to tune the weight.
        return {"min_ngram": 1, "max_ngram": 3, "C": 1.0, "diet_weight": 0.5, "expose_parts": False}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: Optional[CharNgramModel] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "CharNgramIntentBlender":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get("text") and e.get(INTENT)]
        self._model = CharNgramModel(**config_of(self.config)).fit(
            [e.get("text") for e in examples], [e.get(INTENT) for e in examples])
        with self._model_storage.write_to(self._resource) as model_dir:
            self._model.save(model_dir / FILE_NAME)
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "CharNgramIntentBlender":
        with model_storage.read_from(resource) as model_dir:
            model = CharNgramModel.load(model_dir / FILE_NAME)
        return cls(config, model_storage, resource, model)

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
