"""A character n-gram TF-IDF + linear SVM text classifier and the graph-component base built on it.

Character n-grams need no word segmentation, so jieba's mistakes on dialect,
typos and voice transcripts do not reach it (docs/FINDINGS.md: this model beat a
stock DIET pipeline on colloquial messages).
"""
from __future__ import annotations

import json
import logging
import re
from contextlib import contextmanager
from functools import lru_cache
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
    "sklearn.pipeline.FeatureUnion",
    "bot.components.char_ngram.char_wb_and_last_clause",
    "bot.components.char_ngram.jieba_tag_features",
})

# Clause ends: the last clause of a message is its question or demand.
CLAUSE_END = re.compile(r"[。！？!?；;\n，,\s]+")
# Shorter messages are one clause anyway: the extra features would only double their n-grams.
LAST_CLAUSE_MIN_CHARS = 20
LAST_CLAUSE_MARK = "§"


@lru_cache(maxsize=1)
def _char_wb_1_2():
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 2)).build_analyzer()


def char_wb_and_last_clause(text: str) -> List[str]:
    """char_wb 1-2 grams of the whole text plus, for a long text, its last clause's 1-2 grams
    marked apart, so "…对方会被拘留吗" after a story weighs as the question it is (dev set of real
    legal questions: intent 0.656 -> 0.693, docs/BENCHMARKS.md). Module-level so skops can store it."""
    grams = _char_wb_1_2()(text)
    if len(text) > LAST_CLAUSE_MIN_CHARS:
        clauses = [c for c in CLAUSE_END.split(text) if c.strip()]
        if clauses:
            grams += [LAST_CLAUSE_MARK + g for g in _char_wb_1_2()(clauses[-1])]
    return grams


# jieba tags that name a kind of thing rather than a word: a person, a place, an organisation, another
# proper name, a time, a number, a Latin-script word. "播放<nr>的歌" then reads like any singer's song.
GENERALISED_TAGS = frozenset({"nr", "nrfg", "nrt", "ns", "nt", "nz", "t", "m", "eng"})


# Tags per text while a model is being fitted (`tags_cached`): training fits the same texts several times
# (calibration folds). Not kept while parsing: a server would keep every message it ever read.
_TAG_CACHE: Optional[Dict[str, Tuple[Tuple[str, str], ...]]] = None


@contextmanager
def tags_cached():
    global _TAG_CACHE
    outer, _TAG_CACHE = _TAG_CACHE, {} if _TAG_CACHE is None else _TAG_CACHE
    try:
        yield
    finally:
        _TAG_CACHE = outer


def _tagged(text: str) -> Tuple[Tuple[str, str], ...]:
    import jieba.posseg

    if _TAG_CACHE is not None and text in _TAG_CACHE:
        return _TAG_CACHE[text]
    tagged = tuple((pair.word, pair.flag) for pair in jieba.posseg.cut(text) if pair.word.strip())
    if _TAG_CACHE is not None:
        _TAG_CACHE[text] = tagged
    return tagged


def jieba_tag_features(text: str) -> List[str]:
    """jieba's words and part-of-speech tags as features beside the character n-grams (`tag_weight`):
    each tag and tag pair, each word, and word pairs with names, places, times and numbers replaced by
    their tag. The words come with the domain dictionary the tokenizer loads. Cached per text while
    fitting (`tags_cached`). Module-level so skops can store it."""
    tagged = _tagged(text)
    tags = [flag for _, flag in tagged]
    general = [f"<{flag}>" if flag in GENERALISED_TAGS else word for word, flag in tagged]
    return ([f"T:{t}" for t in tags] + [f"TT:{a}_{b}" for a, b in zip(tags, tags[1:])]
            + [f"W:{word}" for word, _ in tagged] + [f"G:{a}_{b}" for a, b in zip(general, general[1:])])


class CharNgramModel:
    """`analyzer` is sklearn's: "char" n-grams run across spaces, "char_wb" n-grams stay inside
    space-separated chunks (and mark their edges); "char_wb_last_clause" is char_wb 1-2 plus the
    last clause's n-grams apart (`char_wb_and_last_clause`; the n-gram range is then fixed);
    `class_weight` "balanced" or None; `tag_weight` > 0 adds jieba's words and tags
    (`jieba_tag_features`) at that weight beside the characters."""

    # The softmax sharpness of a model that was not calibrated (see `calibrate`).
    DEFAULT_SHARPNESS = 3.0

    def __init__(self, min_ngram: int = 1, max_ngram: int = 3, C: float = 1.0, analyzer: str = "char",
                 class_weight: Optional[str] = "balanced", pipeline: Any = None,
                 sharpness: float = DEFAULT_SHARPNESS, tag_weight: float = 0.0) -> None:
        if analyzer not in ("char", "char_wb", "char_wb_last_clause"):
            raise ValueError(f"analyzer must be 'char', 'char_wb' or 'char_wb_last_clause', not {analyzer!r}")
        self.min_ngram, self.max_ngram, self.C = min_ngram, max_ngram, C
        self.analyzer, self.class_weight = analyzer, class_weight
        self.pipeline = pipeline
        self.sharpness = sharpness
        self.tag_weight = tag_weight

    def estimator(self) -> Any:
        """An unfitted scikit-learn pipeline with this model's options (bench/char_options.py compares them)."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import FeatureUnion, Pipeline
        from sklearn.svm import LinearSVC

        if self.analyzer == "char_wb_last_clause":
            vectorizer = TfidfVectorizer(analyzer=char_wb_and_last_clause, sublinear_tf=True)
        else:
            vectorizer = TfidfVectorizer(analyzer=self.analyzer, ngram_range=(self.min_ngram, self.max_ngram),
                                         sublinear_tf=True)
        if self.tag_weight:
            vectorizer = FeatureUnion([("chars", vectorizer),
                                       ("tags", TfidfVectorizer(analyzer=jieba_tag_features, sublinear_tf=True))],
                                      transformer_weights={"chars": 1.0, "tags": self.tag_weight})
        return Pipeline([
            ("tfidf", vectorizer),
            ("svm", LinearSVC(C=self.C, class_weight=self.class_weight)),
        ])

    def fit(self, texts: Sequence[str], labels: Sequence[str], calibrate: bool = False,
            calibrate_on: Optional[int] = None) -> "CharNgramModel":
        """Fit on all texts; with `calibrate`, fit the sharpness on the first `calibrate_on` of
        them (all by default): the training-time wrapped copies need not be calibrated on, the
        confidences are about the requests, and leaving them out halves the calibration's fits."""
        with tags_cached():
            self.pipeline = self.estimator().fit(list(texts), list(labels))
            if calibrate:
                n = len(texts) if calibrate_on is None else calibrate_on
                self.sharpness = self.calibrate(list(texts)[:n], list(labels)[:n])
        return self

    def calibrate(self, texts: Sequence[str], labels: Sequence[str], folds: int = 3) -> float:
        """The softmax sharpness that makes scores honest probabilities (temperature scaling).

        Margins of held-out folds (each class spread over the folds round-robin; a class
        missing from a fold's training part cannot be predicted there) are softmaxed with
        each candidate sharpness; the one with the lowest negative log-likelihood of the
        true labels wins. The ranking never changes, only how sure the scores say it is,
        so the fallback threshold means "the model is right this often".
        """
        import numpy as np

        texts, labels = list(texts), list(labels)
        all_classes = sorted(set(labels))
        fold_of = np.zeros(len(labels), dtype=int)
        seen: Dict[str, int] = {}
        for i, label in enumerate(labels):
            fold_of[i] = seen.get(label, 0) % folds
            seen[label] = seen.get(label, 0) + 1
        rows: List[np.ndarray] = []
        truth: List[int] = []
        for fold in range(folds):
            train, test = np.where(fold_of != fold)[0], np.where(fold_of == fold)[0]
            train_labels = [labels[i] for i in train]
            if len(set(train_labels)) < 2 or not len(test):
                continue
            model = self.estimator().fit([texts[i] for i in train], train_labels)
            columns = [all_classes.index(c) for c in model.classes_]
            scores = np.atleast_2d(model.decision_function([texts[i] for i in test]))
            if scores.shape[1] == 1:
                scores = np.hstack([-scores, scores])
            for row, i in zip(scores, test):
                if labels[i] in model.classes_:
                    full = np.full(len(all_classes), -np.inf)  # a class the fold never saw scores nothing
                    full[columns] = row - row.max()
                    rows.append(full)
                    truth.append(all_classes.index(labels[i]))
        if not truth:
            return self.DEFAULT_SHARPNESS
        margins, true_index = np.vstack(rows), np.array(truth)
        true_margin = margins[np.arange(len(true_index)), true_index]

        def nll(sharpness: float) -> float:
            return float(np.mean(np.log(np.exp(margins * sharpness).sum(axis=1)) - true_margin * sharpness))

        candidates = [0.5 * 1.15 ** k for k in range(30)]  # 0.5 … 29
        return float(min(candidates, key=nll))

    @property
    def classes(self) -> List[str]:
        return list(self.pipeline.classes_) if self.pipeline is not None else []

    def probabilities(self, texts: Sequence[str]) -> List[List[Tuple[str, float]]]:
        """Per text, (label, score) for every label, best first.

        A softmax over SVM margins with the model's sharpness: calibrated when the model
        was fitted with `calibrate=True`, otherwise only a ranking score in [0, 1].
        """
        import numpy as np

        if self.pipeline is None or not texts:
            return [[] for _ in texts]
        margins = np.atleast_2d(self.pipeline.decision_function(list(texts)))
        if margins.shape[1] == 1:  # two classes: one margin column
            margins = np.hstack([-margins, margins])
        features = self.pipeline.named_steps["tfidf"]
        # With jieba's tags beside them, the characters' vectorizer is the union's first part.
        vocabulary = (features.transformer_list[0][1] if hasattr(features, "transformer_list") else features).vocabulary_
        classes = self.classes
        results = []
        for text, row in zip(texts, margins):
            if not any(char in vocabulary for char in text if not char.isspace()):
                # Not one character the model has seen ("zzzz", "？？？", another script): the margins
                # are only the intercepts and the padding, so the model knows nothing: say so.
                results.append([(label, 1.0 / len(classes)) for label in classes])
                continue
            exp = np.exp((row - row.max()) * self.sharpness)
            probs = exp / exp.sum()
            order = np.argsort(-probs)
            results.append([(classes[i], float(probs[i])) for i in order])
        return results

    def save(self, path: Path) -> None:
        import skops.io as sio

        sio.dump(self.pipeline, path)
        path.with_suffix(".json").write_text(json.dumps({"sharpness": self.sharpness}), encoding="utf-8")

    @classmethod
    def load(cls, path: Path, **config: Any) -> Optional["CharNgramModel"]:
        import skops.io as sio

        untrusted = sio.get_untrusted_types(file=path)
        refused = [t for t in untrusted if t not in TRUSTED_TYPES]
        if refused:
            raise ValueError(f"untrusted types in {path}: {refused}")
        meta_path = path.with_suffix(".json")
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        return cls(pipeline=sio.load(path, trusted=untrusted),
                   sharpness=float(meta.get("sharpness", cls.DEFAULT_SHARPNESS)), **config)


def config_of(config: Dict[str, Any]) -> Dict[str, Any]:
    return {k: config[k] for k in ("min_ngram", "max_ngram", "C", "analyzer", "class_weight", "tag_weight")
            if k in config}


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

    def _with_letters(self, texts: Sequence[str], intents: Sequence[str], labels: Sequence[str]):
        """texts and labels plus, when `augment_letters` is on, the letter and question wrappings
        of bot/components/augment.py (fixed seed: the same data always trains the same model),
        appended after the originals."""
        texts, labels = list(texts), list(labels)
        if not self.config.get("augment_letters"):
            return texts, labels
        import random

        from bot.components.augment import wrap_letters

        extra = wrap_letters(zip(texts, intents, labels), random.Random(7))
        logger.info(f"{type(self).__name__}: {len(extra)} wrapped copies of the examples added for training")
        return texts + [t for t, _, _ in extra], labels + [label for _, _, label in extra]

    def _fit_and_persist(self, texts: Sequence[str], labels: Sequence[str],
                         calibrate_on: Optional[int] = None) -> Resource:
        """Fit and store the model; `calibrate_on`: calibrate on the first that many texts only
        (the unwrapped examples, see `_with_letters`)."""
        calibrate = bool(self.config.get("calibrate", False))
        self._model = CharNgramModel(**config_of(self.config)).fit(texts, labels, calibrate=calibrate,
                                                                   calibrate_on=calibrate_on)
        if calibrate:
            logger.info(f"{type(self).__name__}: calibrated softmax sharpness {self._model.sharpness:.2f}")
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
