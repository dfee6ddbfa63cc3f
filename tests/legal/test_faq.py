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
    REFER_TEXT,
    FaqError,
    LegalRetriever,
    format_answer,
    format_confirmation,
    load_faq,
    load_out_of_scope,
    normalize,
    short_law_name,
)
from hotline.legal.calibrate import evaluate, evaluate_decisions, load_labelled, score_all
from hotline.legal.answer import REVIEWED_CLOSING, UNREVIEWED_CLOSING
from hotline.legal.faq import ARTICLE_RE, FAQ_DIR, TITLE_MAX
from hotline.legal.statutes import REPEALED_LAWS, STATUTES, article_number, chinese_number
from hotline.legal.retrieval import DEFAULT_TYPE_BONUS
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
def test_every_cited_article_exists_in_its_statute(entry):
    for citation in entry.citations:
        statute = STATUTES.get(short_law_name(citation.law))
        assert statute is not None, f"{entry.id}: {citation.law} is not in the statutes table"
        assert 1 <= article_number(citation.article) <= statute.articles, (
            f"{entry.id}: {citation.law} {citation.article} is beyond its {statute.articles} articles")


def test_the_statutes_table_names_no_repealed_law():
    assert not set(STATUTES) & REPEALED_LAWS
    assert REPEALED <= REPEALED_LAWS


@pytest.mark.parametrize("text, number", [
    ("十", 10), ("十四", 14), ("二十七", 27), ("一百二十七", 127), ("二百七十六", 276),
    ("一千零七十六", 1076), ("一千二百六十", 1260), ("一千一百三十二", 1132), ("九十四", 94),
])
def test_chinese_article_numbers(text, number):
    assert chinese_number(text) == number
    assert article_number(f"第{text}条第七项") == number


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
    assert 12 <= len(entry.questions) <= 24, f"{entry.id}: {len(entry.questions)} question variants"
    assert len(set(map(normalize, entry.questions))) == len(entry.questions), f"{entry.id}: repeated variant"
    assert entry.next_steps
    assert entry.reviewed is False  # no lawyer has reviewed the FAQ yet; flip per entry when one does


# A period the citizen must act within (三十日内, 一年, 三年诉讼时效...), or the
# statement that none runs (不适用诉讼时效), or that it must be done now.
PERIOD_RE = re.compile(r"[0-9一二三四五六七八九十百两]+ *(日|天|个月|年|小时|周岁|个采暖期)|不适用诉讼时效|立即|随时")
WHERE_RE = re.compile(r"向|到|拨打|找|申请|起诉|报警|投诉")
BRING_RE = re.compile(r"带|保存|保留|准备|拍|记录|收集|整理|复印|留证|录像|查看|核对|找出")


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_every_answer_states_time_limits_and_next_steps(entry):
    assert PERIOD_RE.search(entry.time_limits), f"{entry.id}: no time limit in {entry.time_limits!r}"
    assert WHERE_RE.search(entry.next_steps), f"{entry.id}: next steps say not where to go"
    assert BRING_RE.search(entry.next_steps), f"{entry.id}: next steps say not what to bring or keep"


def test_titles_are_short_distinct_questions():
    titles = Counter(e.title for e in ENTRIES)
    assert not [t for t, n in titles.items() if n > 1]
    for entry in ENTRIES:
        assert entry.title.endswith("？") and len(entry.title) <= TITLE_MAX, entry.id
        assert "中华人民共和国" not in entry.title and "?" not in entry.title, entry.id


# --- the loader -----------------------------------------------------------

CITATION = """\
    - law: 中华人民共和国劳动合同法
      article: 第三十条
      summary: 及时足额支付劳动报酬。
"""
GOOD = """\
- id: labor.test_entry
  dispute_type: labor
  title: 老板拖欠工资怎么办？
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
    ("reviewed: false", "reviewed: true", "names its reviewer, reviewed_on and law_version"),
    ("article: 第三十条", "article: 第九十九条", "has articles 1 to 98"),
    ("article: 第三十条", "article: 第一百零八条", "does not exist"),
    ("中华人民共和国劳动合同法", "中华人民共和国婚姻法", "repealed"),
    ("中华人民共和国劳动合同法", "中华人民共和国劳动合同条例", "not in hotline/legal/statutes.py"),
    ("  title: 老板拖欠工资怎么办？\n", "", "missing ['title']"),
    ("title: 老板拖欠工资怎么办？", "title: 老板拖欠工资", "must be one short question"),
    ("title: 老板拖欠工资怎么办？", "title: 老板拖欠工资怎么办?", "must be one short question"),
    ("title: 老板拖欠工资怎么办？", "title: 老板拖欠了我们全家好几个月的工资到底应该去哪里告怎么办？",
     "must be one short question"),
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


def test_loader_rejects_a_title_used_twice(tmp_path):
    _write(tmp_path, GOOD, "labor.yml")
    _write(tmp_path, GOOD.replace("labor.test_entry", "labor.other_entry").replace("老板欠我工资", "老板不给钱"),
           "labor_more.yml")
    with pytest.raises(FaqError, match="title .* also belongs to 'labor.test_entry'"):
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
    assert lines[0] == "依据：《劳动合同法》第三十条、第八十五条；《劳动争议调解仲裁法》第二十七条。"
    assert lines[1] == entry.answer
    assert lines[2].startswith("时限：") and lines[3].startswith("怎么办：")
    assert lines[4] == UNREVIEWED_CLOSING


def test_the_direct_answer_comes_first_then_the_basis():
    # 离婚登记要不要等: the number of days first, not the procedure.
    entry = next(e for e in ENTRIES if e.id == "marriage_family.divorce_registration")
    first, second = format_answer(entry, "离婚登记是不是要等一段时间").split("\n")[:2]
    assert "30日" in first and first.startswith("要等")
    assert second.startswith("依据：《民法典》第一千零七十六条")


def test_a_question_about_time_gets_the_time_limit_first():
    entry = next(e for e in ENTRIES if e.id == "labor.unpaid_wages")
    assert not entry.direct
    lines = format_answer(entry, "欠工资多久以内要去仲裁").split("\n")
    assert lines[0].startswith("时限：一年") or lines[0].startswith("时限：劳动仲裁时效一般为一年")
    assert sum(line.startswith("时限：") for line in lines) == 1


def test_a_reviewed_entry_ends_with_the_general_line_not_the_disclaimer():
    entry = next(e for e in ENTRIES if e.id == "labor.unpaid_wages")
    assert format_answer(entry, reviewed=True).split("\n")[-1] == REVIEWED_CLOSING
    assert UNREVIEWED_CLOSING not in format_answer(entry, reviewed=True)
    assert format_answer(entry).endswith(UNREVIEWED_CLOSING)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_every_reply_is_short_and_cited(entry):
    text = format_answer(entry)
    # 400 for the body; the direct line and the closing line came later.
    assert len(text) <= 450, f"{entry.id}: {len(text)} characters"
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


# The targets on held-out questions: >= 0.85 of real questions
# answered with the right entry, no off-topic question answered, at most 2 %
# answered wrongly. heldout.yml (written before the retriever was changed,
# measured once with the final retriever, docs/BENCHMARKS.md): 0.542 right
# (65/120), 0 wrong, 0 of 36 off-topic answered; 42 real questions get a
# confirmation turn whose candidate is right 0.89 of the time (off-topic
# ones counted) and whose options hold the right entry 42 of 42 times; 13
# are referred. The 0.85 is not met: answering more needs a lower
# threshold, and on the development set every lower one answers an
# off-topic question. The floors below sit a little under the measured
# figures, so a change that makes retrieval worse fails outright.


def _decisions(retriever, name):
    positives, negatives = load_labelled(HERE / name)
    return evaluate_decisions(retriever, positives, negatives)


def _decision_misses(ev):
    return "; ".join(f"{text} -> {kind} {got} ({score:.2f}, want {want or 'none'})"
                     for text, want, kind, got, score in ev.misses if kind == "answer")


def test_heldout_set_is_big_enough():
    positives, negatives = load_labelled(HERE / "heldout.yml")
    assert len(positives) >= 90 and len(negatives) >= 30
    assert {i for _, i in positives} <= {e.id for e in ENTRIES}
    assert len({i.split(".")[0] for _, i in positives}) == len(DISPUTE_TYPES)


def test_development_and_heldout_sets_are_apart():
    dev_positives, dev_negatives = load_labelled(HERE / "calibration.yml")
    held_positives, held_negatives = load_labelled(HERE / "heldout.yml")
    dev = {normalize(t) for t in [t for t, _ in dev_positives] + dev_negatives}
    held = {normalize(t) for t in [t for t, _ in held_positives] + held_negatives}
    assert not dev & held


def test_heldout_decisions_do_not_regress(retriever):
    ev = _decisions(retriever, "heldout.yml")
    assert ev.negatives_answered == 0, f"{ev.summary()}; answered: {_decision_misses(ev)}"
    assert ev.answered_wrong <= 2, f"{ev.summary()}; answered: {_decision_misses(ev)}"
    assert ev.answer_accuracy >= 0.52, ev.summary()
    # A confirmation is worth asking only when its candidate is usually right.
    assert ev.confirm_precision >= 0.80 and ev.refer_rate <= 0.15, ev.summary()


def test_heldout_match_agrees_with_decide(retriever):
    """match().confident is decide()'s "answer": the two APIs cannot drift apart."""
    positives, negatives = load_labelled(HERE / "heldout.yml")
    for text in [t for t, _ in positives] + negatives:
        for hint in (None, "labor"):
            m, d = retriever.match(text, dispute_type=hint), retriever.decide(text, dispute_type=hint)
            assert (m is not None and m.confident) == (d.kind == "answer"), text
            if d.entry is not None:
                assert m.entry == d.entry and m.score == d.score, text


def test_calibration_set_still_supports_the_thresholds(retriever):
    """The development set the thresholds were chosen on: if the FAQ changes, re-run the calibration."""
    ev = _decisions(retriever, "calibration.yml")
    assert ev.negatives_answered == 0, f"{ev.summary()}; answered: {_decision_misses(ev)}"
    assert ev.answered_wrong <= 3 and ev.answer_accuracy >= 0.63, ev.summary()
    assert ev.confirm_precision >= 0.80 and ev.refer_rate <= 0.06, ev.summary()
    positives, negatives = load_labelled(HERE / "calibration.yml")
    assert evaluate(score_all(retriever, positives, negatives), DEFAULT_THRESHOLD).negatives_confident == 0


def test_match_fields_and_dispute_type(retriever):
    plain = retriever.match("老板欠我工资不给怎么办")
    assert plain.entry.id == "labor.unpaid_wages" and plain.confident
    assert plain.question in plain.entry.questions and 0 < plain.similarity <= 1
    assert 0 <= plain.out_of_scope < plain.score
    # The hint reorders close entries; the score stays the calibrated probability.
    hinted = retriever.match("老板欠我工资不给怎么办", dispute_type="labor")
    assert hinted.entry == plain.entry and hinted.score == plain.score and hinted.confident
    # Triage says something else: same entry, same score, but no longer sure.
    other = retriever.match("老板欠我工资不给怎么办", dispute_type="traffic")
    assert other.entry.id == plain.entry.id and other.score == plain.score and not other.confident
    # "none" is triage's label for no dispute: no hint at all.
    assert retriever.match("老板欠我工资不给怎么办", dispute_type="none") == plain
    # Mediation and legal aid answer every dispute type.
    aid = retriever.match("没钱请律师怎么办", dispute_type="labor")
    assert aid.entry.id == "other.legal_aid" and aid.confident


def test_the_type_hint_decides_between_close_entries(retriever):
    # A rented flat (housing.repairs) or the flat upstairs (neighbor.water_leak): close.
    (first, p1), (second, p2) = retriever.rank("屋里漏水谁来修", k=2)
    assert {first.id, second.id} == {"housing.repairs", "neighbor.water_leak"} and p1 - p2 < DEFAULT_TYPE_BONUS
    for code, entry_id in (("neighbor", "neighbor.water_leak"), ("housing", "housing.repairs")):
        (top, score), _ = retriever.rank("屋里漏水谁来修", dispute_type=code, k=2)
        assert top.id == entry_id and score in (p1, p2)
        decision = retriever.decide("屋里漏水谁来修", dispute_type=code)
        # Too vague to answer: asked about (the hinted entry first) or sent to a lawyer.
        assert decision.kind != "answer"
        assert decision.kind == "refer" or decision.entry.id == entry_id


# --- the decision API -----------------------------------------------------

@pytest.mark.parametrize("text, entry_id", [
    ("老板欠我三个月工资不给怎么办", "labor.unpaid_wages"),
    ("楼上漏水把我家天花板泡坏了谁赔", "neighbor.water_leak"),
    ("被邻居家的狗咬了怎么赔", "personal_injury.dog_bite"),
    ("房东不退押金怎么办", "housing.rental_deposit"),
])
def test_an_obvious_question_is_answered(retriever, text, entry_id):
    decision = retriever.decide(text)
    assert decision.kind == "answer" and decision.entry.id == entry_id, decision
    assert decision.answers and decision.score >= DEFAULT_THRESHOLD and decision.reason
    assert len(decision.alternatives) <= 2 and decision.entry not in decision.alternatives


@pytest.mark.parametrize("text", ["今天天气怎么样", "帮我订个外卖", "你是机器人吗", "我想办一张港澳通行证"])
def test_an_off_topic_question_is_referred(retriever, text):
    decision = retriever.decide(text)
    assert decision.kind == "refer" and decision.entry is None and not decision.alternatives, decision
    assert decision.reason


@pytest.mark.parametrize("text", ["", "  ", "？？"])
def test_nothing_to_decide_on_is_referred(retriever, text):
    decision = retriever.decide(text)
    assert decision.kind == "refer" and decision.score == 0 and "nothing to match" in decision.reason


def test_a_question_next_to_an_entry_is_asked_about_not_answered(retriever):
    # From the development set: 社保 like labor.social_insurance, but another question.
    decision = retriever.decide("公司注销以后还要交社保吗")
    assert decision.kind in ("confirm", "refer"), decision
    if decision.kind == "confirm":
        assert decision.entry is not None and decision.score < DEFAULT_THRESHOLD


def test_triage_disagreeing_turns_an_answer_into_a_confirmation(retriever):
    assert retriever.decide("老板欠我工资不给怎么办").kind == "answer"
    decision = retriever.decide("老板欠我工资不给怎么办", dispute_type="traffic")
    assert decision.kind == "confirm" and decision.entry.id == "labor.unpaid_wages"
    assert "triage says traffic" in decision.reason


def test_the_confirmation_text(retriever):
    positives, _ = load_labelled(HERE / "calibration.yml")
    decision = next(d for d in (retriever.decide(t) for t, _ in positives) if d.kind == "confirm" and d.alternatives)
    text = format_confirmation(decision)
    assert text.startswith(f"您问的是不是：{decision.entry.title}")
    for alternative in decision.alternatives:
        assert alternative.title in text
    with pytest.raises(ValueError):
        format_confirmation(retriever.decide("今天天气怎么样"))
    assert "12348" in REFER_TEXT


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
