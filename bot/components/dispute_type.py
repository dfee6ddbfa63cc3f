"""Learns the dispute type of a message from intent-level `dispute_type` metadata."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.char_ngram import CharNgramModel, config_of
from hotline.triage import DISPUTE_TYPES

logger = logging.getLogger(__name__)

NO_DISPUTE = "none"
OUTPUT_KEY = "dispute_type"
FILE_NAME = "dispute_type.skops"


def dispute_label(message: Message) -> Text:
    """The training label of an example: its dispute type, or `none`."""
    metadata = message.get("metadata") or {}
    intent_meta = metadata.get("intent") or {}
    code = intent_meta.get("dispute_type") if isinstance(intent_meta, dict) else None
    if code is None:
        return NO_DISPUTE
    if code not in DISPUTE_TYPES:
        raise ValueError(f"Unknown dispute_type '{code}' in NLU metadata")
    return code


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class DisputeTypeClassifier(GraphComponent):
    """Dispute type from the raw text (char n-grams), `none` for messages about no dispute."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"min_ngram": 1, "max_ngram": 3, "C": 1.0}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: Optional[CharNgramModel] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "DisputeTypeClassifier":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get("text")]
        labels = [dispute_label(e) for e in examples]
        if len(set(labels)) < 2:
            logger.info("DisputeTypeClassifier: no dispute types in the data, not trained.")
            return self._resource
        self._model = CharNgramModel(**config_of(self.config)).fit([e.get("text") for e in examples], labels)
        with self._model_storage.write_to(self._resource) as model_dir:
            self._model.save(model_dir / FILE_NAME)
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "DisputeTypeClassifier":
        try:
            with model_storage.read_from(resource) as model_dir:
                model = CharNgramModel.load(model_dir / FILE_NAME)
        except ValueError as error:
            # A model trained on data without dispute types (e.g. a public benchmark) has none.
            logger.info(f"DisputeTypeClassifier has no model ({error}); dispute_type will be null.")
            model = None
        return cls(config, model_storage, resource, model)

    def predict(self, texts: List[Text]) -> List[Optional[Dict[Text, Any]]]:
        """The dispute type of each text, or None when it is about no dispute."""
        if self._model is None:
            return [None] * len(texts)
        results: List[Optional[Dict[Text, Any]]] = []
        for ranking in self._model.probabilities(texts):
            code, confidence = ranking[0]
            results.append(None if code == NO_DISPUTE else
                           {"code": code, "name": DISPUTE_TYPES[code], "confidence": round(confidence, 4)})
        return results

    def process(self, messages: List[Message]) -> List[Message]:
        for message, prediction in zip(messages, self.predict([m.get("text") or "" for m in messages])):
            message.set(OUTPUT_KEY, prediction, add_to_output=True)
        return messages
