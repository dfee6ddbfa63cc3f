"""Finds the FAQ entry a citizen's question asks about, says how sure it is, and decides what the bot does.

Features: char 1-3-gram TF-IDF (robust to typos and to words jieba does not
know) next to jieba-word TF-IDF, over every question variant, every answer
and the out-of-scope exemplars; n-grams seen only once are dropped, which
both halves the build time and keeps one-off words of a single variant from
making an off-topic question look confident. A multinomial logistic
regression over those features ranks the entries; questions the FAQ must
not answer (out_of_scope.yml) are one more class, so a question about 股权代持
or a passport lands there instead of on the entry that happens to share one
word with it. Cosine similarity to the variants (char TF-IDF) names the
variant that matched, for logs and the console.

``decide`` turns the ranking into what the bot does: "answer" (the entry is
sure enough to send), "confirm" (ask "您问的是不是：<title>" first) or "refer"
(say it is unsure and offer a 12348 lawyer). Never a guessed answer: only
"answer" sends an entry's text.

A match below the answer threshold whose entry is far ahead of every
other entry and of the out-of-scope class is clear, and is answered rather
than confirmed (CLEAR_RATIO).

Tried on the development set and not kept (tests/legal/calibration.yml;
docs/BENCHMARKS.md has the figures): agreement between char, word and nearest-variant views, a stacked
verifier over those features, a separate in-scope classifier, one
out-of-scope class per dispute type, word bigrams, char 4-grams, padding
the variants with neutral story phrases, and leaving the answers out. None
answered more real questions without answering an off-topic one: the
questions that set the answer threshold ask another thing about an entry's
own topic (宅基地能不能由子女继承), which no bag of n-grams tells apart.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from .faq import Entry

# Calibrated on tests/legal/calibration.yml (the development set, written
# apart from the variants and from tests/legal/heldout.yml; python -m
# hotline.legal.calibrate tests/legal/calibration.yml): just above its most
# confident off-topic question (宅基地能不能由子女继承, 0.71), so none of its
# 121 is answered; 1 of 334 real ones gets a wrong answer and 219 the right
# one. Below it the bot asks or refers, never answers.
DEFAULT_THRESHOLD = 0.72
# From here up to the answer threshold the bot asks "您问的是不是：…？". On the
# development set the candidate asked about is right 0.85 of the time (off-
# topic questions counted) and the right entry is among it and its two
# alternatives 0.99 of the time; 3.6 % of real questions fall below and are
# referred. 0.10 asks about 2 more of them and 0.30 is no more precise.
DEFAULT_CONFIRM_THRESHOLD = 0.15
# Alternatives offered beside the candidate need at least this probability.
ALTERNATIVE_MIN_SCORE = 0.05
# A match below the answer threshold is still answered when it is clear:
# at least CLEAR_MIN_SCORE and CLEAR_RATIO times the next entry and the
# out-of-scope class. Chosen on the development set (calibration.yml): 0.30
# and 15x answer 10 more of its 334 real questions at once, with no more
# wrong answers and no off-topic one answered; 12x answered 14 more, and 10x
# answered an off-topic question next to an entry's topic (外嫁女的分红,
# 0.69), so 15x keeps a margin.
CLEAR_MIN_SCORE = 0.30
CLEAR_RATIO = 15.0
# Added to an entry's probability, for ordering only, when triage found the
# same dispute type: it decides between two close entries of different types.
DEFAULT_TYPE_BONUS = 0.05
# Inverse regularisation strength of the logistic regression (chosen on the
# development set: 10 answered fewer, 100 and 300 no more, and took longer).
DEFAULT_C = 30.0
# An n-gram or word must occur in two training texts to be a feature.
MIN_DF = 2

# Politeness and framing that every kind of question shares; left in, they
# make unrelated questions look alike.
_FILLERS = (
    "你好", "您好", "请问一下", "请问", "问一下", "问下", "咨询一下", "咨询下", "想咨询", "咨询",
    "我想问", "想问", "我想了解", "想了解", "了解一下", "麻烦", "谢谢",
)

# Dialect, colloquial words and common typos, mapped to the words the FAQ uses.
SYNONYMS = {
    "俺": "我", "咱": "我",
    "啥子": "什么", "啥": "什么", "咋整": "怎么办", "咋办": "怎么办", "咋个": "怎么", "咋": "怎么", "肿么": "怎么",
    "晓得": "知道", "莫得": "没有", "木有": "没有",
    "娃": "孩子", "小孩": "孩子", "小孩子": "孩子", "闺女": "女儿", "儿娃": "儿子",
    "钟头": "小时", "礼拜天": "周日", "礼拜六": "周六", "星期天": "周日", "星期六": "周六",
    "老板娘": "老板", "东家": "老板", "厂子": "工厂", "厂里": "工厂",
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


ANSWER, CONFIRM, REFER = "answer", "confirm", "refer"


@dataclass(frozen=True)
class Decision:
    """What the bot does with a legal question.

    kind: "answer" (send ``format_answer(entry)``), "confirm" (ask whether the
    citizen means ``entry.title``; on yes send the answer, on no refer) or
    "refer" (say the bot is unsure and offer a 12348 lawyer). ``entry`` is
    None only for "refer". ``alternatives``: up to two other likely entries
    (best first), for "answer" and "confirm". ``score``: the entry's score,
    0..1 (0 for "refer" without a candidate). ``reason``: one English
    sentence for logs.
    """

    kind: str
    entry: Optional[Entry]
    alternatives: Tuple[Entry, ...]
    score: float
    reason: str
    out_of_scope: float = 0.0

    @property
    def answers(self) -> bool:
        return self.kind == ANSWER


class LegalRetriever:
    """Build once per process (``from_entries`` or ``from_faq``, a few seconds); ``match`` is then cheap."""

    def __init__(self, entries: Sequence[Entry], char_vectorizer, word_vectorizer, classifier,
                 variant_matrix, owners: Sequence[int], questions: Sequence[str], *,
                 threshold: float, type_bonus: float, confirm_threshold: float = DEFAULT_CONFIRM_THRESHOLD):
        self.entries = list(entries)
        self._char = char_vectorizer
        self._word = word_vectorizer
        self._classifier = classifier
        self._variants = variant_matrix
        self._owners = list(owners)
        self._questions = list(questions)
        self.threshold = threshold
        self.confirm_threshold = confirm_threshold
        self.type_bonus = type_bonus
        classes = list(classifier.classes_)
        # Column of each entry (by index) and of the out-of-scope class in predict_proba.
        self._entry_column = [classes.index(i) for i in range(len(self.entries))]
        self._oos_column = classes.index(-1) if -1 in classes else None

    @classmethod
    def from_entries(cls, entries: Sequence[Entry], out_of_scope: Sequence[str] = (), *,
                     threshold: float = DEFAULT_THRESHOLD, type_bonus: float = DEFAULT_TYPE_BONUS,
                     confirm_threshold: float = DEFAULT_CONFIRM_THRESHOLD, C: float = DEFAULT_C,
                     min_df: int = MIN_DF) -> "LegalRetriever":
        """``out_of_scope``: questions the FAQ must not answer, learnt as a class of their own."""
        import numpy as np
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

        # A tiny FAQ (a test's) has no n-gram in two texts: keep them all then.
        min_df = min_df if len(texts) >= 50 else 1
        char_vectorizer = TfidfVectorizer(analyzer=char_ngrams, sublinear_tf=True, min_df=min_df, dtype=np.float32)
        word_vectorizer = TfidfVectorizer(analyzer=_Words(), sublinear_tf=True, min_df=min_df, dtype=np.float32)
        # fit_transform analyses each text once (fit, then transform, twice).
        char_features = char_vectorizer.fit_transform(texts)
        features = _stack(char_features, word_vectorizer.fit_transform(texts))
        # saga is ten times faster than lbfgs here and as accurate; at tol 1e-2
        # it stops after ~20 epochs (a second) and answers as many questions
        # on the development set as at 1e-3 (~100 epochs). The seed makes its
        # shuffling, and so the model, reproducible.
        classifier = LogisticRegression(C=C, solver="saga", tol=1e-2, max_iter=2000, random_state=0)
        classifier.fit(features, labels)
        variant_matrix = char_features[:len(questions)]   # the variants are the first rows
        return cls(entries, char_vectorizer, word_vectorizer, classifier, variant_matrix, owners, questions,
                   threshold=threshold, type_bonus=type_bonus, confirm_threshold=confirm_threshold)

    @classmethod
    def from_faq(cls, path=None, out_of_scope_path=None, **kwargs) -> "LegalRetriever":
        """The packaged FAQ and negative exemplars (or the given files), validated."""
        from .faq import load_faq, load_out_of_scope

        return cls.from_entries(load_faq(path), load_out_of_scope(out_of_scope_path), **kwargs)

    def _probabilities(self, text: str):
        features = _stack(self._char.transform([text]), self._word.transform([text]))
        return self._classifier.predict_proba(features)[0]

    def _scored(self, probabilities, dispute_type: Optional[str]) -> List[Tuple[int, float]]:
        """(entry index, probability), ordered by probability plus the type bonus.

        The bonus only reorders: the thresholds were calibrated on the plain
        probability, and a question next to an entry's topic (宅基地能不能继承)
        gets triage's matching type as readily as a real one, so a bonus in
        the score would answer exactly the questions the threshold keeps out.
        """
        scored = []
        for index, entry in enumerate(self.entries):
            score = float(probabilities[self._entry_column[index]])
            bonus = self.type_bonus if dispute_type and entry.dispute_type == dispute_type else 0.0
            scored.append((index, score, score + bonus))
        scored.sort(key=lambda item: item[2], reverse=True)
        return [(index, score) for index, score, _ in scored]

    def _closest_variant(self, text: str, index: int) -> Tuple[str, float]:
        sims = (self._variants @ self._char.transform([text]).T).toarray().ravel()
        rows = [row for row, owner in enumerate(self._owners) if owner == index]
        best = max(rows, key=lambda row: sims[row])
        return self._questions[best], float(sims[best])

    def rank(self, text: str, dispute_type: Optional[str] = None, k: int = 3) -> List[Tuple[Entry, float]]:
        """The k most likely entries with their probabilities (for the console and for debugging)."""
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
        scored = self._scored(probabilities, dispute_type)
        index, score = scored[0]
        entry = self.entries[index]
        oos = float(probabilities[self._oos_column]) if self._oos_column is not None else 0.0
        clear = _clear(score, scored, oos)
        # Two independent readings that disagree (triage's dispute type and
        # this entry's) are a reason for doubt, not for picking one. Entries
        # of `other` (mediation, legal aid) hold for every dispute type.
        agrees = dispute_type is None or entry.dispute_type in (dispute_type, "other")
        question, similarity = self._closest_variant(text, index)
        return Match(entry=entry, score=round(score, 4),
                     confident=(score >= self.threshold or clear) and score > oos and agrees,
                     question=question, similarity=round(similarity, 4), out_of_scope=round(oos, 4))

    def decide(self, text: str, dispute_type: Optional[str] = None) -> Decision:
        """What the bot does with ``text``: answer, confirm or refer (see ``Decision``).

        ``dispute_type``: triage's dispute type code, or None / "none". An
        entry of that type is preferred over a close one of another type
        (the score stays its probability); an entry of another type
        (except the mediation and legal-aid entries of ``other``) is never
        answered outright, only asked about. "answer" is exactly
        ``match(text, dispute_type).confident``.
        """
        return _decide(self, text, dispute_type)


def _decide(retriever: "LegalRetriever", text: str, dispute_type: Optional[str]) -> Decision:
    if not normalize(text):
        return Decision(REFER, None, (), 0.0, "nothing to match (empty or punctuation only)")
    hint = _hint(dispute_type)
    probabilities = retriever._probabilities(text)
    scored = retriever._scored(probabilities, hint)
    index, score = scored[0]
    entry = retriever.entries[index]
    oos = float(probabilities[retriever._oos_column]) if retriever._oos_column is not None else 0.0
    alternatives = tuple(retriever.entries[i] for i, s in scored[1:3] if s >= ALTERNATIVE_MIN_SCORE)
    # Compared unrounded, as match() does, so "answer" is exactly match().confident.
    refer_oos, low = oos >= score, score < retriever.confirm_threshold
    wrong_type = hint is not None and entry.dispute_type not in (hint, "other")
    below_answer = score < retriever.threshold and not _clear(score, scored, oos)
    score, oos = round(score, 4), round(oos, 4)
    if refer_oos:
        return Decision(REFER, None, (), score,
                        f"more likely out of scope ({oos:.2f}) than {entry.id} ({score:.2f})", oos)
    if low:
        return Decision(REFER, None, (), score,
                        f"best entry {entry.id} scores {score:.2f}, below the confirm threshold "
                        f"{retriever.confirm_threshold:.2f}", oos)
    if wrong_type:
        return Decision(CONFIRM, entry, alternatives, score,
                        f"triage says {hint} but the best entry {entry.id} is {entry.dispute_type}", oos)
    if below_answer:
        return Decision(CONFIRM, entry, alternatives, score,
                        f"{entry.id} scores {score:.2f}, below the answer threshold {retriever.threshold:.2f}", oos)
    return Decision(ANSWER, entry, alternatives, score,
                    f"{entry.id} scores {score:.2f}: at or above the answer threshold {retriever.threshold:.2f}, "
                    f"or clear of every other entry", oos)


def _clear(score: float, scored: Sequence[Tuple[int, float]], oos: float) -> bool:
    """The best entry is far ahead of the next one and of the out-of-scope class."""
    second = scored[1][1] if len(scored) > 1 else 0.0
    return score >= CLEAR_MIN_SCORE and score >= CLEAR_RATIO * max(second, oos)


def _hint(dispute_type: Optional[str]) -> Optional[str]:
    """Triage's dispute type as a hint: None for no dispute ("none" is the classifier's label for it)."""
    return dispute_type if dispute_type and dispute_type != "none" else None


def _stack(*matrices):
    import scipy.sparse as sp

    return sp.hstack(matrices).tocsr()


__all__ = [
    "ANSWER",
    "CLEAR_MIN_SCORE",
    "CLEAR_RATIO",
    "CONFIRM",
    "DEFAULT_CONFIRM_THRESHOLD",
    "DEFAULT_THRESHOLD",
    "DEFAULT_TYPE_BONUS",
    "Decision",
    "LegalRetriever",
    "Match",
    "REFER",
    "SYNONYMS",
    "normalize",
]
