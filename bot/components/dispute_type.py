"""Learns the dispute type of a message from intent-level `dispute_type` metadata."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.graph import GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.char_ngram import CharNgramComponent
from hotline.triage import DISPUTE_TYPES
from hotline.triage.taxonomy import NO_DISPUTE

logger = logging.getLogger(__name__)

OUTPUT_KEY = "dispute_type"
# The classifier's other readings, best first, like Rasa's `intent_ranking`: a hotline seat shows the top three.
RANKING_KEY = "dispute_type_ranking"
RANKING_LENGTH = 10
# A message read as one of these is about a dispute or a legal question, so its record must name a
# type (docs/TAXONOMY.md): when the classifier's best guess is `none`, its best real type is taken.
TYPED_INTENTS = frozenset({"report_dispute", "ask_legal"})


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
class DisputeTypeClassifier(CharNgramComponent, GraphComponent):
    """Dispute type from the raw text (char n-grams), `none` for messages about no dispute."""

    FILE_NAME = "dispute_type.skops"
    # A model trained on data without dispute types (e.g. a public benchmark) has none.
    MODEL_OPTIONAL = True

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # 5-fold CV on the project's data (docs/BENCHMARKS.md): char_wb 1-2 grams without class
        # weights beat the intent model's char 1-3 "balanced" by 2-3 points of dispute-type macro-F1:
        # balancing shrinks `none`, the largest class, and messages about no dispute then got a type.
        # jieba's tags beside the characters (tag_weight 0.5): docs/BENCHMARKS.md, "NLU round 3".
        return {"min_ngram": 1, "max_ngram": 2, "C": 1.0, "analyzer": "char_wb", "class_weight": None, "tag_weight": 0.5,
                "calibrate": True, "augment_letters": True}

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get("text")]
        labels = [dispute_label(e) for e in examples]
        if len(set(labels)) < 2:
            logger.info("DisputeTypeClassifier: no dispute types in the data, not trained.")
            return self._resource
        texts, labels = self._with_letters([e.get("text") for e in examples], [e.get(INTENT) for e in examples], labels)
        return self._fit_and_persist(texts, labels, calibrate_on=len(examples))

    def predict(self, texts: List[Text], typed: Optional[List[bool]] = None) -> List[Optional[Dict[Text, Any]]]:
        """The dispute type of each text, or None when it is about no dispute (see `rank`)."""
        return [best for best, _ in self.rank(texts, typed)]

    def rank(self, texts: List[Text], typed: Optional[List[bool]] = None
             ) -> List[Tuple[Optional[Dict[Text, Any]], List[Dict[Text, Any]]]]:
        """(best type or None, ranking of real types best first) for each text.

        `typed[i]` says the intent already makes text i a dispute or legal question: then
        `none` is not an answer and the best dispute type wins (its own probability kept).
        The ranking lists real types only, each with its own probability, the best type
        first; it is empty when the text is about no dispute.
        """
        if self._model is None:
            return [(None, []) for _ in texts]
        results: List[Tuple[Optional[Dict[Text, Any]], List[Dict[Text, Any]]]] = []
        for i, ranking in enumerate(self._model.probabilities(texts)):
            if typed and typed[i]:
                ranking = [r for r in ranking if r[0] != NO_DISPUTE] or ranking
            if ranking[0][0] == NO_DISPUTE:
                results.append((None, []))
                continue
            ranked = [{"code": code, "name": DISPUTE_TYPES[code], "confidence": round(confidence, 4)}
                      for code, confidence in ranking if code != NO_DISPUTE][:RANKING_LENGTH]
            results.append((ranked[0], ranked))
        return results

    def process(self, messages: List[Message]) -> List[Message]:
        typed = [((m.get(INTENT) or {}).get("name") in TYPED_INTENTS) for m in messages]
        for message, (best, ranking) in zip(messages, self.rank([m.get("text") or "" for m in messages], typed)):
            message.set(OUTPUT_KEY, best, add_to_output=True)
            message.set(RANKING_KEY, ranking, add_to_output=True)
        return messages
