"""Puts the triage record into the parse output and lets danger override the intent."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

from hotline.triage import build_record

OUTPUT_KEY = "triage"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class TriageAnnotator(GraphComponent):
    """Last in the pipeline: builds the record of docs/TAXONOMY.md."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "TriageAnnotator":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {"name": None, "confidence": 0.0}
            model_entities = [
                e for e in message.get(ENTITIES, []) if e.get("extractor") != "RuleEntityExtractor"
            ]
            record = build_record(
                message.get("text") or "",
                {"name": intent.get("name"), "confidence": intent.get("confidence", 0.0)},
                dispute_type=message.get("dispute_type"),
                dispute_ranking=message.get("dispute_type_ranking"),
                entities=model_entities,
                line=(message.get("metadata") or {}).get("line") if isinstance(message.get("metadata"), dict) else None,
            )
            message.set(OUTPUT_KEY, record, add_to_output=True)
            if record["intent"]["name"] != intent.get("name"):
                # Safety wins over precision: a possible emergency is handled as one.
                new_intent = {"name": record["intent"]["name"], "confidence": 1.0}
                ranking = [new_intent] + [
                    r for r in message.get(INTENT_RANKING_KEY, []) if r.get("name") != new_intent["name"]
                ]
                message.set(INTENT, new_intent, add_to_output=True)
                message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
