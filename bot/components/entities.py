"""Rule-based entities with normalised values (numbers, places, parties, PII)."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES
from rasa.shared.nlu.training_data.message import Message

from hotline.triage import extract_entities


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False
)
class RuleEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds `hotline.triage.extract_entities` results to the message's entities."""

    def __init__(self, name: Text) -> None:
        self._name = name

    @property
    def name(self) -> Text:
        return self._name

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "RuleEntityExtractor":
        return cls(execution_context.node_name)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            found = extract_entities(message.get("text") or "")
            for entity in found:
                entity["extractor"] = "RuleEntityExtractor"
                entity["confidence_entity"] = 1.0
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
