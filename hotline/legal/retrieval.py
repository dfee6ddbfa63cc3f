"""Finds the FAQ entry a citizen's question asks about, and says how sure it is.

Features: char 1-3-gram TF-IDF (robust to typos and to words jieba does not
know) next to jieba-word TF-IDF, over every question variant and every
answer. A multinomial logistic regression over those features ranks the
entries; questions the FAQ must not answer (out_of_scope.yml) are one more
class, so a question about 股权代持 or a passport lands there instead of on
the entry that happens to share one word with it. Cosine similarity to the
variants (char TF-IDF) names the variant that matched, for logs and the
console.

Why not cosine alone: on the development set (tests/legal/calibration.yml)
nearest-variant cosine gave the right entry as often, but off-topic
questions that share one word with an entry (身份证, 基金) scored as high as
colloquial paraphrases, so no threshold kept them out without refusing a
third of the real questions.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from .faq import Entry

# Calibrated on tests/legal/calibration.yml (a development set written apart
# from the variants; python -m hotline.legal.calibrate tests/legal/calibration.yml):
# at 0.20 no off-topic question there is confident (0/71) and 152 of 175
# paraphrases get the right entry confidently. Below it the bot says it is
# unsure and offers a 12348 lawyer.
DEFAULT_THRESHOLD = 0.20
# Added to an entry's probability when triage found the same dispute type.
DEFAULT_TYPE_BONUS = 0.05
# Inverse regularisation strength of the logistic regression (chosen on the
# development set; 30 and 60 were close behind).
DEFAULT_C = 100.0

# Politeness and framing that every kind of question shares; left in, they
# make unrelated questions look alike.
_FILLERS = (
    "你好", "您好", "请问一下", "请问", "问一下", "问下", "咨询一下", "咨询下", "想咨询", "咨询",
    "我想问", "想问", "我想了解", "想了解", "了解一下", "麻烦", "谢谢",
)

# Dialect, colloquial words and common typos, mapped to the words the FAQ uses.
SYNONYMS = {
    "俺": "我", "咱": "我",
    "啥": "什么", "咋": "怎么", "肿么": "怎么",
    "娃": "孩子", "小孩": "孩子", "小孩子": "孩子",
    "工钱": "工资", "薪水": "工资", "薪资": "工资", "血汗钱": "工资", "工姿": "工资",
    "炒鱿鱼": "辞退", "开除": "辞退", "解雇": "辞退", "把我开了": "把我辞退了", "被开了": "被辞退了",
    "把我炒了": "把我辞退了", "被炒了": "被辞退了", "老板炒了": "老板辞退了", "炒了我": "辞退了我",
    "五险一金": "社保", "五险": "社保", "社会保险": "社保",
    "老公": "丈夫", "我男人": "我丈夫", "我家男人": "我丈夫", "老婆": "妻子", "媳妇": "妻子",
    "车祸": "交通事故", "撞车": "交通事故",
    "压金": "押金", "离昏": "离婚", "赔尝": "赔偿", "陪偿": "赔偿",
    "房客": "租客", "租户": "租客",
    "承包田": "承包地", "责任田": "承包地", "承包的田": "承包地", "承包的地": "承包地",
    "打官司": "起诉", "告他": "起诉他", "告她": "起诉她",
    "医药费": "医疗费",
    "狗狗": "狗", "犬": "狗",
}

_FILLER_RE = re.compile("|".join(sorted(map(re.escape, _FILLERS), key=len, reverse=True)))
_SYNONYM_RE = re.compile("|".join(sorted(map(re.escape, SYNONYMS), key=len, reverse=True)))
_NON_WORD_RE = re.compile(r"[\W_]+", re.UNICODE)

# Function words dropped from the word view (the char view keeps everything).
_STOPWORDS = frozenset(
    "的 了 吗 呢 吧 啊 呀 么 嘛 呗 我 你 他 她 它 我们 你们 他们 是 在 有 没 没有 就 都 也 还 和 跟 与 把 被 给 让 "
    "要 能 会 可以 能不能 可不可以 怎么 怎么办 怎样 如何 什么 哪 哪里 哪儿 去 来 个 这 那 这个 那个 一 一个 不 "
    "又 很 太 好 一下 现在 已经 应该 该 需要 想 得 着 过 上 下 里 对 说 做 弄 搞 办 多少 几 多久 为什么 "
    "请 帮 帮忙 啦 哦 嗯 整".split()
)


def normalize(text: str) -> str:
    """Full-width to half-width, lower case, fillers removed, dialect mapped, punctuation removed."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = _FILLER_RE.sub("", text)
    text = _SYNONYM_RE.sub(lambda m: SYNONYMS[m.group(0)], text)
    return _NON_WORD_RE.sub("", text)


def char_ngrams(text: str, low: int = 1, high: int = 3) -> List[str]:
    text = normalize(text)
    return [text[i:i + n] for n in range(low, high + 1) for i in range(len(text) - n + 1)]


class _Words:
    """jieba words without function words; a private tokenizer so the global one is left alone."""

    def __init__(self):
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        self._tokenizer = jieba.Tokenizer()

    def __call__(self, text: str) -> List[str]:
        return [w for w in self._tokenizer.lcut(normalize(text)) if w not in _STOPWORDS]


@dataclass(frozen=True)
class Match:
    entry: Entry
    score: float        # the entry's probability (plus the type bonus), 0..1
    confident: bool
    # The variant closest to the text (char TF-IDF cosine) and that cosine.
    question: str = ""
    similarity: float = 0.0
    # Probability that the text is something the FAQ must not answer.
    out_of_scope: float = 0.0


class LegalRetriever:
    """Build once per process (``from_entries`` or ``from_faq``, a few seconds); ``match`` is then cheap."""

    def __init__(self, entries: Sequence[Entry], char_vectorizer, word_vectorizer, classifier,
                 variant_matrix, owners: Sequence[int], questions: Sequence[str], *,
                 threshold: float, type_bonus: float):
        self.entries = list(entries)
        self._char = char_vectorizer
        self._word = word_vectorizer
        self._classifier = classifier
        self._variants = variant_matrix
        self._owners = list(owners)
        self._questions = list(questions)
        self.threshold = threshold
        self.type_bonus = type_bonus
        classes = list(classifier.classes_)
        # Column of each entry (by index) and of the out-of-scope class in predict_proba.
        self._entry_column = [classes.index(i) for i in range(len(self.entries))]
        self._oos_column = classes.index(-1) if -1 in classes else None

    @classmethod
    def from_entries(cls, entries: Sequence[Entry], out_of_scope: Sequence[str] = (), *,
                     threshold: float = DEFAULT_THRESHOLD, type_bonus: float = DEFAULT_TYPE_BONUS,
                     C: float = DEFAULT_C) -> "LegalRetriever":
        """``out_of_scope``: questions the FAQ must not answer, learnt as a class of their own."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        if not entries:
            raise ValueError("no FAQ entries to build the retriever from")
        owners: List[int] = []
        questions: List[str] = []
        for index, entry in enumerate(entries):
            for question in entry.questions:
                owners.append(index)
                questions.append(question)
        texts = list(questions)
        labels = list(owners)
        # The answer teaches the entry's legal vocabulary (抚养费, 宅基地, 交强险...).
        for index, entry in enumerate(entries):
            texts.append(entry.answer)
            labels.append(index)
        for text in out_of_scope:
            if normalize(text):
                texts.append(text)
                labels.append(-1)

        char_vectorizer = TfidfVectorizer(analyzer=char_ngrams, sublinear_tf=True).fit(texts)
        word_vectorizer = TfidfVectorizer(analyzer=_Words(), sublinear_tf=True).fit(texts)
        features = _stack(char_vectorizer.transform(texts), word_vectorizer.transform(texts))
        # saga is ten times faster than lbfgs here and as accurate; the seed
        # makes its shuffling, and so the model, reproducible.
        classifier = LogisticRegression(C=C, solver="saga", tol=1e-3, max_iter=2000, random_state=0)
        classifier.fit(features, labels)
        variant_matrix = char_vectorizer.transform(questions)
        return cls(entries, char_vectorizer, word_vectorizer, classifier, variant_matrix, owners, questions,
                   threshold=threshold, type_bonus=type_bonus)

    @classmethod
    def from_faq(cls, path=None, out_of_scope_path=None, **kwargs) -> "LegalRetriever":
        """The packaged FAQ and negative exemplars (or the given files), validated."""
        from .faq import load_faq, load_out_of_scope

        return cls.from_entries(load_faq(path), load_out_of_scope(out_of_scope_path), **kwargs)

    def _probabilities(self, text: str):
        features = _stack(self._char.transform([text]), self._word.transform([text]))
        return self._classifier.predict_proba(features)[0]

    def _scored(self, probabilities, dispute_type: Optional[str]) -> List[Tuple[int, float]]:
        scored = []
        for index, entry in enumerate(self.entries):
            score = float(probabilities[self._entry_column[index]])
            if dispute_type and entry.dispute_type == dispute_type:
                score = min(score + self.type_bonus, 1.0)
            scored.append((index, score))
        scored.sort(key=lambda item: item[1], reverse=True)
        return scored

    def _closest_variant(self, text: str, index: int) -> Tuple[str, float]:
        sims = (self._variants @ self._char.transform([text]).T).toarray().ravel()
        rows = [row for row, owner in enumerate(self._owners) if owner == index]
        best = max(rows, key=lambda row: sims[row])
        return self._questions[best], float(sims[best])

    def rank(self, text: str, dispute_type: Optional[str] = None, k: int = 3) -> List[Tuple[Entry, float]]:
        """The k most likely entries with their scores (for the console and for debugging)."""
        if not normalize(text):
            return []
        scored = self._scored(self._probabilities(text), _hint(dispute_type))
        return [(self.entries[index], round(score, 4)) for index, score in scored[:k]]

    def match(self, text: str, dispute_type: Optional[str] = None) -> Optional[Match]:
        """The most likely entry, or None for a text with nothing to match (empty, punctuation).

        ``confident`` is False when the score is below the calibrated
        threshold, when the text is more likely out of scope than this
        entry, or when triage found a dispute type and this entry is of
        another: the caller must then not send the entry's answer but say it
        is unsure and offer a 12348 lawyer.
        """
        if not normalize(text):
            return None
        dispute_type = _hint(dispute_type)
        probabilities = self._probabilities(text)
        index, score = self._scored(probabilities, dispute_type)[0]
        entry = self.entries[index]
        oos = float(probabilities[self._oos_column]) if self._oos_column is not None else 0.0
        # Two independent readings that disagree (triage's dispute type and
        # this entry's) are a reason for doubt, not for picking one. Entries
        # of `other` (mediation, legal aid) hold for every dispute type.
        agrees = dispute_type is None or entry.dispute_type in (dispute_type, "other")
        question, similarity = self._closest_variant(text, index)
        return Match(entry=entry, score=round(score, 4),
                     confident=score >= self.threshold and score > oos and agrees,
                     question=question, similarity=round(similarity, 4), out_of_scope=round(oos, 4))


def _hint(dispute_type: Optional[str]) -> Optional[str]:
    """Triage's dispute type as a hint: None for no dispute ("none" is the classifier's label for it)."""
    return dispute_type if dispute_type and dispute_type != "none" else None


def _stack(*matrices):
    import scipy.sparse as sp

    return sp.hstack(matrices).tocsr()


__all__ = ["DEFAULT_THRESHOLD", "DEFAULT_TYPE_BONUS", "LegalRetriever", "Match", "SYNONYMS", "normalize"]
