"""A character n-gram TF-IDF + linear SVM text classifier and the graph-component base built on it.

Character n-grams need no word segmentation, so jieba's mistakes on dialect,
typos and voice transcripts do not reach it (FINDINGS.md: this model beat a
stock DIET pipeline on colloquial messages).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

# Rasa checks the annotations of create() and load() against its own types.
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

logger = logging.getLogger(__name__)

# Types a serialised model may contain beyond skops' defaults; anything else is refused.
TRUSTED_TYPES = frozenset({
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.svm._classes.LinearSVC",
    "sklearn.pipeline.Pipeline",
    "numpy.float64",
    "numpy.int64",
    "builtins.dict",
    "scipy.sparse._csr.csr_matrix",
})


class CharNgramModel:
    """`analyzer` is sklearn's: "char" n-grams run across spaces, "char_wb" n-grams stay inside
    space-separated chunks (and mark their edges); `class_weight` "balanced" or None."""

    def __init__(self, min_ngram: int = 1, max_ngram: int = 3, C: float = 1.0, analyzer: str = "char",
                 class_weight: Optional[str] = "balanced", pipeline: Any = None) -> None:
        if analyzer not in ("char", "char_wb"):
            raise ValueError(f"analyzer must be 'char' or 'char_wb', not {analyzer!r}")
        self.min_ngram, self.max_ngram, self.C = min_ngram, max_ngram, C
        self.analyzer, self.class_weight = analyzer, class_weight
        self.pipeline = pipeline

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> "CharNgramModel":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import Pipeline
        from sklearn.svm import LinearSVC

        self.pipeline = Pipeline([
            ("tfidf", TfidfVectorizer(analyzer=self.analyzer, ngram_range=(self.min_ngram, self.max_ngram),
                                      sublinear_tf=True)),
            ("svm", LinearSVC(C=self.C, class_weight=self.class_weight)),
        ]).fit(list(texts), list(labels))
        return self

    @property
    def classes(self) -> List[str]:
        return list(self.pipeline.classes_) if self.pipeline is not None else []

    def probabilities(self, texts: Sequence[str], sharpness: float = 3.0) -> List[List[Tuple[str, float]]]:
        """Per text, (label, score) for every label, best first.

        A softmax over SVM margins: a ranking score in [0, 1], not a calibrated probability.
        """
        import numpy as np

        if self.pipeline is None or not texts:
            return [[] for _ in texts]
        margins = np.atleast_2d(self.pipeline.decision_function(list(texts)))
        if margins.shape[1] == 1:  # two classes: one margin column
            margins = np.hstack([-margins, margins])
        results = []
        for row in margins:
            exp = np.exp((row - row.max()) * sharpness)
            probs = exp / exp.sum()
            order = np.argsort(-probs)
            results.append([(self.classes[i], float(probs[i])) for i in order])
        return results

    def save(self, path: Path) -> None:
        import skops.io as sio

        sio.dump(self.pipeline, path)

    @classmethod
    def load(cls, path: Path, **config: Any) -> Optional["CharNgramModel"]:
        import skops.io as sio

        untrusted = sio.get_untrusted_types(file=path)
        refused = [t for t in untrusted if t not in TRUSTED_TYPES]
        if refused:
            raise ValueError(f"untrusted types in {path}: {refused}")
        return cls(pipeline=sio.load(path, trusted=untrusted), **config)


def config_of(config: Dict[str, Any]) -> Dict[str, Any]:
    return {k: config[k] for k in ("min_ngram", "max_ngram", "C", "analyzer", "class_weight") if k in config}


class CharNgramComponent:
    """What the graph components built on `CharNgramModel` share: storage, training, loading.

    Subclasses (also GraphComponents) set FILE_NAME and, where a trained model
    may legitimately be absent, MODEL_OPTIONAL.
    """

    FILE_NAME = "char_ngram.skops"
    MODEL_OPTIONAL = False

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
               execution_context: ExecutionContext) -> "CharNgramComponent":
        return cls(config, model_storage, resource)

    def _fit_and_persist(self, texts: Sequence[str], labels: Sequence[str]) -> Resource:
        self._model = CharNgramModel(**config_of(self.config)).fit(texts, labels)
        with self._model_storage.write_to(self._resource) as model_dir:
            self._model.save(model_dir / self.FILE_NAME)
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "CharNgramComponent":
        try:
            with model_storage.read_from(resource) as model_dir:
                model = CharNgramModel.load(model_dir / cls.FILE_NAME)
        except ValueError as error:
            if not cls.MODEL_OPTIONAL:
                raise
            logger.info(f"{cls.__name__} has no model ({error}); it will add nothing.")
            model = None
        return cls(config, model_storage, resource, model)
