"""Entities learnt from annotated examples, tagged per character by a linear-chain CRF.

Rasa's DIET and CRFEntityExtractor label whole tokens, and jieba's token boundaries
often cut across an annotated span ("打开[qq浏览器](name)" → "qq", "浏览器"; Rasa
issues #7910 / #10578), so those spans can never be found exactly. Here every
character gets a BIO tag; jieba's segmentation is only one feature among others
(where the character sits in its word, and the word), so a span may start or end
inside a token.

The project's own data has no entity annotations (its entities come from rules
with normalised values, `RuleEntityExtractor`): on it this component trains
nothing and adds nothing. It matters for annotated data, e.g. SMP2019.
"""
from __future__ import annotations

import logging
import unicodedata
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

MODEL_FILE = "char_crf.crfsuite"
EXTRACTOR = "CharCRFEntityExtractor"
OUTSIDE = "O"


def char_class(char: str) -> str:
    if char.isdigit():
        return "digit"
    if char.isascii() and char.isalpha():
        return "latin"
    if unicodedata.category(char).startswith("P"):
        return "punct"
    if char.isspace():
        return "space"
    return "han" if "\u4e00" <= char <= "\u9fff" else "other"


def word_positions(text: str, tokens: Optional[List[Any]]) -> List[Tuple[str, str]]:
    """Per character: its position in its jieba word (B/M/E/S, or `-` outside any token) and the word."""
    positions = [("-", "")] * len(text)
    for token in tokens or []:
        start, end, word = token.start, token.end, token.text
        for i in range(start, min(end, len(text))):
            if end - start == 1:
                tag = "S"
            elif i == start:
                tag = "B"
            elif i == end - 1:
                tag = "E"
            else:
                tag = "M"
            positions[i] = (tag, word)
    return positions


def char_features(text: str, tokens: Optional[List[Any]] = None) -> List[Dict[str, Any]]:
    """crfsuite features of each character: the characters around it, bigrams, classes and its jieba word."""
    lowered = text.lower()
    padded = ["<s2>", "<s1>"] + list(lowered) + ["</s1>", "</s2>"]
    positions = word_positions(text, tokens)
    features = []
    for i in range(len(text)):
        p = i + 2
        position, word = positions[i]
        feature = {
            "bias": 1.0,
            "c0": padded[p], "c-1": padded[p - 1], "c+1": padded[p + 1], "c-2": padded[p - 2], "c+2": padded[p + 2],
            "c-1c0": padded[p - 1] + padded[p], "c0c+1": padded[p] + padded[p + 1],
            "c-1c+1": padded[p - 1] + padded[p + 1],
            "class": char_class(text[i]), "class-1": char_class(text[i - 1]) if i else "<s>",
            "class+1": char_class(text[i + 1]) if i + 1 < len(text) else "</s>",
            "wpos": position, "wpos_c0": position + padded[p],
        }
        if word:
            feature["word"] = word.lower()
            feature["wlen"] = str(min(len(word), 5))
        features.append(feature)
    return features


def bio_tags(text: str, entities: List[Dict[str, Any]]) -> List[str]:
    tags = [OUTSIDE] * len(text)
    for entity in sorted(entities, key=lambda e: e["start"]):
        start, end = int(entity["start"]), int(entity["end"])
        if start < 0 or end > len(text) or start >= end or any(t != OUTSIDE for t in tags[start:end]):
            continue  # overlapping or broken annotation: keep the first
        tags[start] = f"B-{entity['entity']}"
        for i in range(start + 1, end):
            tags[i] = f"I-{entity['entity']}"
    return tags


def spans(tags: List[str]) -> List[Tuple[str, int, int]]:
    """(entity, start, end) of each B-I… run; a stray I- starts a span of its own."""
    found, current = [], None
    for i, tag in enumerate(tags + [OUTSIDE]):
        kind = tag[2:] if tag != OUTSIDE else None
        continues = tag.startswith("I-") and current is not None and current[0] == kind
        if current is not None and not continues:
            found.append((current[0], current[1], i))
            current = None
        if kind is not None and not continues:
            current = (kind, i)
    return found


# Edges an entity never has: full stops, commas, ellipses, quotes, spaces. (Brackets stay: "宏达（集团）" ends in
# one; so do % and ‰ after an amount.)
_EDGE_CATEGORIES = ("Po", "Pi", "Pf", "Zs", "Zl", "Zp", "Cc")
_KEEP_AT_EDGE = frozenset("%‰％")


def _edge(char: str) -> bool:
    return char not in _KEEP_AT_EDGE and (char.isspace() or unicodedata.category(char) in _EDGE_CATEGORIES)


def trimmed(text: str, start: int, end: int) -> Tuple[int, int]:
    """The span without punctuation or spaces at its edges: the tagger runs a span on into "。。。" at the end of a
    message it has not seen the like of."""
    while start < end and _edge(text[start]):
        start += 1
    while end > start and _edge(text[end - 1]):
        end -= 1
    return start, end


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True
)
class CharCRFEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Character-level CRF entities (see the module's docstring)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"c1": 0.05, "c2": 0.01, "max_iterations": 150}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: Optional[bytes] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._use(model)

    def _use(self, model: Optional[bytes]) -> None:
        """Tag with this crfsuite model (None: no model, nothing is tagged).

        crfsuite reads the model in place, so its bytes live as long as the tagger. A tagger
        holds one sequence at a time; the graph never runs a component from two threads at
        once (Rasa runs it on the event loop, and bot.channels.batching shares its lock).
        """
        import pycrfsuite

        self._model = model
        self._tagger = None
        if model is not None:
            self._tagger = pycrfsuite.Tagger()
            self._tagger.open_inmemory(model)

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "CharCRFEntityExtractor":
        return cls(config, model_storage, resource)

    @property
    def name(self) -> Text:
        return EXTRACTOR

    def train(self, training_data: TrainingData) -> Resource:
        import pycrfsuite

        if not any(m.get(TEXT) and m.get(ENTITIES) for m in training_data.training_examples):
            logger.info(f"{EXTRACTOR}: no annotated entities in the data, not trained.")
            return self._resource
        trainer = pycrfsuite.Trainer(verbose=False)
        # Examples without entities teach the CRF where nothing is (every intent example counts).
        for message in training_data.intent_examples:
            text = message.get(TEXT)
            if text:
                trainer.append(char_features(text, message.get("text_tokens")),
                               bio_tags(text, message.get(ENTITIES) or []))
        trainer.set_params({"c1": float(self.config["c1"]), "c2": float(self.config["c2"]),
                            "max_iterations": int(self.config["max_iterations"]),
                            "feature.possible_transitions": True})
        with self._model_storage.write_to(self._resource) as model_dir:
            path = model_dir / MODEL_FILE
            trainer.train(str(path))
            self._use(path.read_bytes())
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "CharCRFEntityExtractor":
        model = None
        try:
            with model_storage.read_from(resource) as model_dir:
                path = model_dir / MODEL_FILE
                if path.exists():
                    model = path.read_bytes()
        except ValueError:  # nothing was persisted: the data had no entities
            pass
        return cls(config, model_storage, resource, model)

    def extract(self, text: str, tokens: Optional[List[Any]] = None) -> List[Dict[str, Any]]:
        if self._tagger is None or not text:
            return []
        self._tagger.set(char_features(text, tokens))
        tags = self._tagger.tag()
        entities = []
        for kind, start, end in spans(tags):
            start, end = trimmed(text, start, end)
            if start >= end:
                continue
            confidence = min(self._tagger.marginal(tags[i], i) for i in range(start, end))
            entities.append({"entity": kind, "start": start, "end": end, "value": text[start:end],
                             "confidence_entity": round(float(confidence), 4), "extractor": EXTRACTOR})
        return entities

    def process(self, messages: List[Message]) -> List[Message]:
        if self._tagger is None:
            return messages
        for message in messages:
            found = self.extract(message.get(TEXT) or "", message.get("text_tokens"))
            if found:
                message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
