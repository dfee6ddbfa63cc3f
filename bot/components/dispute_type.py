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

from hotline.triage import DISPUTE_TYPES

logger = logging.getLogger(__name__)

NO_DISPUTE = "none"
OUTPUT_KEY = "dispute_type"
# Types the serialised classifier may contain; anything else in the file is refused.
_TRUSTED_TYPES = [
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.svm._classes.LinearSVC",
    "sklearn.pipeline.Pipeline",
    "numpy.float64",
    "numpy.int64",
    "builtins.dict",
    "scipy.sparse._csr.csr_matrix",
]


def dispute_label(message: Message) -> Optional[Text]:
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
    """Character n-gram TF-IDF + linear SVM over the raw text.

    Character n-grams need no segmentation, so jieba's mistakes on dialect and
    typos do not reach this classifier (FINDINGS.md: char TF-IDF + LinearSVC
    beat a stock DIET pipeline on colloquial messages).
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"min_ngram": 1, "max_ngram": 3, "C": 1.0}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        pipeline: Any = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._pipeline = pipeline

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "DisputeTypeClassifier":
        return cls(config, model_storage, resource)

    def _new_pipeline(self) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import Pipeline
        from sklearn.svm import LinearSVC

        return Pipeline(
            [
                (
                    "tfidf",
                    TfidfVectorizer(
                        analyzer="char",
                        ngram_range=(self.config["min_ngram"], self.config["max_ngram"]),
                        sublinear_tf=True,
                    ),
                ),
                ("svm", LinearSVC(C=self.config["C"], class_weight="balanced")),
            ]
        )

    def train(self, training_data: TrainingData) -> Resource:
        texts, labels = [], []
        for example in training_data.intent_examples:
            text = example.get("text")
            if text:
                texts.append(text)
                labels.append(dispute_label(example))
        if len(set(labels)) < 2:
            logger.warning("DisputeTypeClassifier: fewer than two labels, not trained.")
            return self._resource
        self._pipeline = self._new_pipeline().fit(texts, labels)
        self.persist()
        return self._resource

    def persist(self) -> None:
        import skops.io as sio

        with self._model_storage.write_to(self._resource) as model_dir:
            sio.dump(self._pipeline, model_dir / "dispute_type.skops")

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "DisputeTypeClassifier":
        import skops.io as sio

        try:
            with model_storage.read_from(resource) as model_dir:
                path = model_dir / "dispute_type.skops"
                untrusted = sio.get_untrusted_types(file=path)
                refused = [t for t in untrusted if t not in _TRUSTED_TYPES]
                if refused:
                    raise ValueError(f"untrusted types in {path}: {refused}")
                pipeline = sio.load(path, trusted=untrusted)
        except ValueError as error:
            logger.warning(f"DisputeTypeClassifier not loaded ({error}); it will return null.")
            pipeline = None
        return cls(config, model_storage, resource, pipeline)

    def predict(self, texts: List[Text]) -> List[Optional[Dict[Text, Any]]]:
        """The dispute type of each text, or None when it is about no dispute."""
        if self._pipeline is None or not texts:
            return [None] * len(texts)
        import numpy as np

        scores = np.atleast_2d(self._pipeline.decision_function(texts))
        classes = list(self._pipeline.classes_)
        results: List[Optional[Dict[Text, Any]]] = []
        for row in scores:
            # A softmax over SVM margins: a ranking score, not a calibrated probability.
            exp = np.exp((row - row.max()) * 3.0)
            probs = exp / exp.sum()
            best = int(row.argmax())
            code = classes[best]
            if code == NO_DISPUTE:
                results.append(None)
            else:
                results.append(
                    {
                        "code": code,
                        "name": DISPUTE_TYPES[code],
                        "confidence": round(float(probs[best]), 4),
                    }
                )
        return results

    def process(self, messages: List[Message]) -> List[Message]:
        predictions = self.predict([m.get("text") or "" for m in messages])
        for message, prediction in zip(messages, predictions):
            message.set(OUTPUT_KEY, prediction, add_to_output=True)
        return messages
