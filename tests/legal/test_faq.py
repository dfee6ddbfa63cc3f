"""The legal FAQ: every answer cited and current, the loader's checks, the reply text, and retrieval on held-out questions."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from hotline.legal import (
    DEFAULT_THRESHOLD,
    FaqError,
    LegalRetriever,
    format_answer,
    load_faq,
    load_out_of_scope,
    normalize,
    short_law_name,
)
from hotline.legal.calibrate import evaluate, load_labelled, score_all
from hotline.legal.faq import ARTICLE_RE, FAQ_DIR
from hotline.triage.taxonomy import DISPUTE_TYPES

HERE = Path(__file__).resolve().parent
LEGAL_SRC = Path(__file__).resolve().parents[2] / "hotline" / "legal"

# Laws the 2021 民法典 repealed, as whole names: 劳动合同法 is not 合同法.
REPEALED = {"合同法", "婚姻法", "侵权责任法", "物权法", "民法通则", "继承法"}
# Dispute types with more common questions get more entries.
BUSY_TYPES = ("labor", "marriage_family", "debt", "traffic", "neighbor", "consumer", "housing")

ENTRIES = load_faq()


@pytest.fixture(scope="module")
def retriever():
    return LegalRetriever.from_faq()


# --- the data -------------------------------------------------------------

def test_at_least_60_entries():
    assert len(ENTRIES) >= 60, f"only {len(ENTRIES)} entries"


def test_ids_are_unique():
    counts = Counter(e.id for e in ENTRIES)
    assert not [i for i, n in counts.items() if n > 1]


def test_every_dispute_type_is_covered():
    per_type = Counter(e.dispute_type for e in ENTRIES)
    assert set(per_type) <= set(DISPUTE_TYPES)
    thin = {code: per_type.get(code, 0) for code in DISPUTE_TYPES if per_type.get(code, 0) < 3}
    assert not thin, f"dispute types with fewer than 3 entries: {thin}"
    for code in BUSY_TYPES:
        assert per_type[code] >= 6, f"{code} has {per_type[code]} entries; common types need more"


def test_one_file_per_dispute_type():
    for path in FAQ_DIR.glob("*.yml"):
        assert path.stem in DISPUTE_TYPES, path.name
        assert {e.dispute_type for e in ENTRIES if e.source == path.name} == {path.stem}


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_every_answer_names_law_and_article(entry):
    assert entry.citations, f"{entry.id} has no citation"
    for citation in entry.citations:
        assert citation.law.strip(), f"{entry.id}: citation without a law"
        assert ARTICLE_RE.match(citation.article), f"{entry.id}: article {citation.article!r}"
        assert citation.summary, f"{entry.id}: {citation.law} {citation.article} has no summary"


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_no_repealed_law_is_cited(entry):
    for citation in entry.citations:
        assert short_law_name(citation.law) not in REPEALED, f"{entry.id} cites {citation.law}"
    text = " ".join([entry.answer, entry.time_limits, entry.next_steps])
    for law in REPEALED:
        assert f"《{law}》" not in text and f"《中华人民共和国{law}》" not in text, f"{entry.id} mentions {law}"


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_entry_shape(entry):
    assert entry.id.startswith(entry.dispute_type + ".")
    assert 80 <= len(entry.answer) <= 250, f"{entry.id}: answer has {len(entry.answer)} characters"
    assert 4 <= len(entry.questions) <= 8, f"{entry.id}: {len(entry.questions)} question variants"
    assert len(set(map(normalize, entry.questions))) == len(entry.questions), f"{entry.id}: repeated variant"
    assert entry.next_steps
    assert entry.reviewed is False  # no lawyer has reviewed the FAQ yet; flip per entry when one does


# --- the loader -----------------------------------------------------------

CITATION = """\
    - law: 中华人民共和国劳动合同法
      article: 第三十条
      summary: 及时足额支付劳动报酬。
"""
GOOD = """\
- id: labor.test_entry
  dispute_type: labor
  questions: [老板欠我工资, 工资不发怎么办, 拖欠工资去哪告, 欠薪怎么办]
  answer: 用人单位应当按时足额支付工资。
  time_limits: ""
  next_steps: 向劳动保障监察投诉。
  citations:
""" + CITATION + """\
  reviewed: false
"""


def _write(tmp_path, text, name="labor.yml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_loader_reads_a_good_file(tmp_path):
    (entry,) = load_faq(_write(tmp_path, GOOD))
    assert entry.id == "labor.test_entry" and entry.citations[0].article == "第三十条"


@pytest.mark.parametrize("old, new, message", [
    (CITATION, "", "no citation"),
    ("  citations:\n" + CITATION, "  citations: []\n", "no citation"),
    ("article: 第三十条", "article: ''", "'article' is empty"),
    ("article: 第三十条", "article: 30", "'article' must be a string"),
    ("article: 第三十条", "article: 第30条", "not of the form"),
    ("    - law: 中华人民共和国劳动合同法", "    - law: ''", "'law' is empty"),
    ("中华人民共和国劳动合同法", "中华人民共和国合同法", "repealed"),
    ("dispute_type: labor", "dispute_type: taxes", "unknown dispute_type"),
    ("answer: 用人单位应当按时足额支付工资。", "answer: ''", "'answer' is empty"),
    ("reviewed: false", "reviewed: maybe", "'reviewed' must be true or false"),
])
def test_loader_names_file_and_entry_on_error(tmp_path, old, new, message):
    assert old in GOOD
    with pytest.raises(FaqError) as excinfo:
        load_faq(_write(tmp_path, GOOD.replace(old, new)))
    assert message in str(excinfo.value)
    assert "labor.yml" in str(excinfo.value) and "labor.test_entry" in str(excinfo.value)


def test_loader_rejects_duplicate_ids(tmp_path):
    _write(tmp_path, GOOD, "labor.yml")
    _write(tmp_path, GOOD.replace("老板欠我工资", "老板不给钱"), "labor_more.yml")
    with pytest.raises(FaqError, match="duplicate id"):
        load_faq(tmp_path)


def test_loader_rejects_entry_in_the_wrong_file(tmp_path):
    with pytest.raises(FaqError, match="in the file for 'debt'"):
        load_faq(_write(tmp_path, GOOD, "debt.yml"))


def test_out_of_scope_exemplars_load():
    assert len(load_out_of_scope()) >= 30


# --- the reply ------------------------------------------------------------

def test_short_law_names():
    assert short_law_name("中华人民共和国劳动合同法") == "劳动合同法"
    assert short_law_name("工伤保险条例") == "工伤保险条例"
    assert (short_law_name("最高人民法院关于适用《中华人民共和国民法典》婚姻家庭编的解释（一）")
            == "民法典婚姻家庭编解释（一）")


def test_format_answer_layout():
    entry = next(e for e in ENTRIES if e.id == "labor.unpaid_wages")
    lines = format_answer(entry).split("\n")
    assert lines[0] == entry.answer
    assert lines[1] == "依据：《劳动合同法》第三十条、第八十五条；《劳动争议调解仲裁法》第二十七条。"
    assert lines[2].startswith("时限：") and lines[3].startswith("怎么办：")


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_every_reply_is_short_and_cited(entry):
    text = format_answer(entry)
    assert len(text) <= 400, f"{entry.id}: {len(text)} characters"
    assert "依据：《" in text and "中华人民共和国" not in text
    for citation in entry.citations:
        assert f"《{short_law_name(citation.law)}》" in text and citation.article in text
    assert ("时限：" in text) == bool(entry.time_limits)


# --- retrieval ------------------------------------------------------------

def _bigrams(text):
    s = normalize(text)
    return {s[i:i + 2] for i in range(len(s) - 1)}


def test_heldout_questions_are_not_copies_of_variants():
    positives, negatives = load_labelled(HERE / "heldout.yml")
    variants = [(q, _bigrams(q)) for e in ENTRIES for q in e.questions]
    for text in [t for t, _ in positives] + negatives:
        grams = _bigrams(text)
        closest, overlap = max(((q, len(grams & g) / len(grams | g)) for q, g in variants), key=lambda x: x[1])
        assert overlap < 0.6, f"{text!r} is nearly the variant {closest!r}"
    exemplars = {normalize(t) for t in load_out_of_scope()}
    assert not exemplars & {normalize(t) for t in negatives}


# The targets are >= 0.85 top-1 confident accuracy on held-out
# questions and no off-topic question answered confidently. Not met yet: the
# fresh held-out set (heldout.yml, written before any change to the
# retriever) measured 0.758 (91/120) and 9 of 36 off-topic questions
# confident. Until the retriever meets them, test_heldout_does_not_regress
# holds the floor, and the bot does not answer from this retriever.


def _heldout(retriever):
    positives, negatives = load_labelled(HERE / "heldout.yml")
    return evaluate(score_all(retriever, positives, negatives), retriever.threshold)


def _misses(ev):
    return "; ".join(f"{s.text} -> {s.got} ({s.score:.2f}, want {s.expected or 'none'})" for s in ev.misses)


def test_heldout_set_is_big_enough():
    positives, negatives = load_labelled(HERE / "heldout.yml")
    assert len(positives) >= 90 and len(negatives) >= 30
    assert {i for _, i in positives} <= {e.id for e in ENTRIES}


def test_heldout_does_not_regress(retriever):
    """Floors at the measured level, so a change that makes retrieval worse fails outright."""
    ev = _heldout(retriever)
    assert ev.accuracy >= 0.74 and ev.negatives_confident <= 9, f"{ev.summary()}; misses: {_misses(ev)}"


def test_calibration_set_still_supports_the_threshold(retriever):
    """The development set the threshold was chosen on: if the FAQ changes, re-run the calibration.

    It now holds the retired third held-out set too, which the retriever
    answered worse (0.745, 2 off-topic confident): 0.839 and 2 of 85 in all.
    """
    positives, negatives = load_labelled(HERE / "calibration.yml")
    ev = evaluate(score_all(retriever, positives, negatives), DEFAULT_THRESHOLD)
    assert ev.negatives_confident <= 2 and ev.accuracy >= 0.83, ev.summary()


def test_match_fields_and_dispute_type(retriever):
    plain = retriever.match("老板欠我工资不给怎么办")
    assert plain.entry.id == "labor.unpaid_wages" and plain.confident
    assert plain.question in plain.entry.questions and 0 < plain.similarity <= 1
    assert 0 <= plain.out_of_scope < plain.score
    hinted = retriever.match("老板欠我工资不给怎么办", dispute_type="labor")
    assert hinted.score > plain.score and hinted.confident
    # Triage says something else: same entry, same score, but no longer sure.
    other = retriever.match("老板欠我工资不给怎么办", dispute_type="traffic")
    assert other.entry.id == plain.entry.id and other.score == plain.score and not other.confident
    # "none" is triage's label for no dispute: no hint at all.
    assert retriever.match("老板欠我工资不给怎么办", dispute_type="none") == plain
    # Mediation and legal aid answer every dispute type.
    aid = retriever.match("没钱请律师怎么办", dispute_type="labor")
    assert aid.entry.id == "other.legal_aid" and aid.confident


def test_rank_lists_the_likeliest_entries(retriever):
    ranked = retriever.rank("楼上漏水把我家泡了", k=3)
    assert len(ranked) == 3 and ranked[0][1] >= ranked[1][1] >= ranked[2][1]
    assert ranked[0][0].id == "neighbor.water_leak"


@pytest.mark.parametrize("text", ["", "   ", "？？！", "。"])
def test_nothing_to_match(retriever, text):
    assert retriever.match(text) is None


@pytest.mark.parametrize("text", ["你好", "我想咨询一下公司股权代持怎么处理", "外国人来华工作签证怎么办"])
def test_the_briefs_examples_are_not_answered(retriever, text):
    match = retriever.match(text)
    assert match is None or not match.confident


# --- the module -----------------------------------------------------------

def test_import_does_no_work():
    code = ("import sys, hotline.legal; "
            "print(any(m.split('.')[0] in ('sklearn', 'jieba', 'yaml') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_no_rasa_or_flask_imports():
    for path in LEGAL_SRC.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import|from)\s+(rasa|rasa_sdk|flask)\b", source, re.M), path.name
