"""The legal FAQ as data: dataclasses for entries and citations, and a loader that validates every file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, List, Sequence, Tuple, Union

from hotline.triage.taxonomy import DISPUTE_TYPES

from .statutes import REPEALED_LAWS, SHORT_NAMES, article_number, statute

FAQ_DIR = Path(__file__).resolve().parent / "faq"
OUT_OF_SCOPE_FILE = Path(__file__).resolve().parent / "out_of_scope.yml"

# 第一百八十八条, 第二百七十六条之一, 第十四条第三款: article numbers in Chinese
# numerals, as the statutes print them.
_NUMERAL = "[零一二三四五六七八九十百千]+"
ARTICLE_RE = re.compile(rf"^第{_NUMERAL}条(之{_NUMERAL})?(第{_NUMERAL}款)?(第{_NUMERAL}项)?$")
ID_RE = re.compile(r"^[a-z_]+\.[a-z0-9_]+$")
# The title is what the bot asks in the confirmation turn ("您问的是不是：老板拖欠工资怎么办？"):
# one short question in Chinese, ending with a full-width question mark.
TITLE_MAX = 24

_REQUIRED_KEYS = {"id", "dispute_type", "title", "questions", "answer", "time_limits", "next_steps", "citations",
                  "reviewed"}
# direct: the one-sentence answer to the title's question (the number, the
# yes or no), sent first. reviewer / reviewed_on / law_version: who checked
# the entry, when, and against which version of the laws it cites.
_ENTRY_KEYS = _REQUIRED_KEYS | {"direct", "reviewer", "reviewed_on", "law_version"}
_CITATION_KEYS = {"law", "article", "summary"}


class FaqError(ValueError):
    """A FAQ file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Citation:
    law: str       # the full official name, e.g. 中华人民共和国劳动合同法
    article: str   # e.g. 第八十二条
    summary: str = ""


@dataclass(frozen=True)
class Entry:
    id: str
    dispute_type: str
    title: str     # a short question for the confirmation turn, e.g. 老板拖欠工资怎么办？
    questions: Tuple[str, ...]
    answer: str
    time_limits: str
    next_steps: str
    citations: Tuple[Citation, ...]
    reviewed: bool = False
    direct: str = ""
    reviewer: str = ""
    reviewed_on: str = ""
    law_version: str = ""
    # Where the entry was read from, for error messages and the console.
    source: str = field(default="", compare=False)


def short_law_name(law: str) -> str:
    """The name a citizen reads: 中华人民共和国劳动合同法 -> 劳动合同法.

    Judicial interpretations keep their own short titles:
    最高人民法院关于适用《中华人民共和国民法典》婚姻家庭编的解释（一） -> 民法典婚姻家庭编解释（一）.
    """
    name = law.strip().strip("《》")
    if name in SHORT_NAMES:
        return SHORT_NAMES[name]
    if name.startswith("最高人民法院关于适用《中华人民共和国民法典》"):
        rest = name[len("最高人民法院关于适用《中华人民共和国民法典》"):]
        return "民法典" + rest.replace("的解释", "解释")
    if name.startswith("中华人民共和国"):
        name = name[len("中华人民共和国"):]
    return name


def is_repealed(law: str) -> bool:
    return short_law_name(law) in REPEALED_LAWS


def _faq_files(path: Union[str, Path, None]) -> List[Path]:
    root = Path(path) if path is not None else FAQ_DIR
    if root.is_dir():
        files = sorted(p for p in root.iterdir() if p.suffix in (".yml", ".yaml"))
        if not files:
            raise FaqError(f"{root}: no .yml files")
        return files
    if root.is_file():
        return [root]
    raise FaqError(f"{root}: no such FAQ file or folder")


def _text(value, where: str, key: str, *, allow_empty: bool = False) -> str:
    if value is None and allow_empty:
        return ""
    if not isinstance(value, str):
        raise FaqError(f"{where}: '{key}' must be a string, got {type(value).__name__}")
    text = value.strip()
    if not text and not allow_empty:
        raise FaqError(f"{where}: '{key}' is empty")
    return text


def _citation(raw, where: str, index: int) -> Citation:
    cwhere = f"{where}, citation {index + 1}"
    if not isinstance(raw, dict):
        raise FaqError(f"{cwhere}: must be a mapping with law and article")
    unknown = set(raw) - _CITATION_KEYS
    if unknown:
        raise FaqError(f"{cwhere}: unknown keys {sorted(unknown)}")
    law = _text(raw.get("law"), cwhere, "law")
    article = _text(raw.get("article"), cwhere, "article")
    if not ARTICLE_RE.match(article):
        raise FaqError(f"{cwhere}: article {article!r} is not of the form 第…条")
    if is_repealed(law):
        raise FaqError(f"{cwhere}: {law} is repealed; cite the 民法典 article instead")
    known = statute(short_law_name(law))
    if known is None:
        raise FaqError(f"{cwhere}: {law} is not in hotline/legal/statutes.py; add it with its article count")
    if not 1 <= article_number(article) <= known.articles:
        raise FaqError(f"{cwhere}: {law} has articles 1 to {known.articles} ({known.version}); {article} does not exist")
    summary = _text(raw.get("summary"), cwhere, "summary", allow_empty=True)
    return Citation(law=law, article=article, summary=summary)


def _entry(raw, source: Path, index: int) -> Entry:
    label = raw.get("id") if isinstance(raw, dict) else None
    where = f"{source.name}: entry {label!r}" if label else f"{source.name}: entry #{index + 1}"
    if not isinstance(raw, dict):
        raise FaqError(f"{where}: must be a mapping")
    missing = _REQUIRED_KEYS - set(raw)
    if missing:
        raise FaqError(f"{where}: missing {sorted(missing)}")
    unknown = set(raw) - _ENTRY_KEYS
    if unknown:
        raise FaqError(f"{where}: unknown keys {sorted(unknown)}")

    entry_id = _text(raw["id"], where, "id")
    if not ID_RE.match(entry_id):
        raise FaqError(f"{where}: id must look like <dispute_type>.<snake_case>")
    dispute_type = _text(raw["dispute_type"], where, "dispute_type")
    if dispute_type not in DISPUTE_TYPES:
        raise FaqError(f"{where}: unknown dispute_type {dispute_type!r}; expected one of {', '.join(DISPUTE_TYPES)}")
    if not entry_id.startswith(dispute_type + "."):
        raise FaqError(f"{where}: id must start with its dispute_type {dispute_type!r}")
    if source.stem in DISPUTE_TYPES and source.stem != dispute_type:
        raise FaqError(f"{where}: dispute_type {dispute_type!r} in the file for {source.stem!r}")

    title = _text(raw["title"], where, "title")
    if not title.endswith("？") or "?" in title or len(title) > TITLE_MAX or "\n" in title:
        raise FaqError(f"{where}: title {title!r} must be one short question (at most {TITLE_MAX} characters) "
                       "ending with a full-width ？")

    questions = raw["questions"]
    if not isinstance(questions, list) or not questions:
        raise FaqError(f"{where}: 'questions' must be a non-empty list")
    questions = tuple(_text(q, where, "questions") for q in questions)

    citations = raw["citations"]
    if not isinstance(citations, list) or not citations:
        raise FaqError(f"{where}: no citation; every answer must name the law and article it rests on")
    cites = tuple(_citation(c, where, i) for i, c in enumerate(citations))

    reviewed = raw["reviewed"]
    if not isinstance(reviewed, bool):
        raise FaqError(f"{where}: 'reviewed' must be true or false")
    reviewer = _text(raw.get("reviewer"), where, "reviewer", allow_empty=True)
    reviewed_on = _text(str(raw["reviewed_on"]) if raw.get("reviewed_on") else None, where, "reviewed_on",
                        allow_empty=True)
    law_version = _text(raw.get("law_version"), where, "law_version", allow_empty=True)
    if reviewed and not (reviewer and reviewed_on and law_version):
        raise FaqError(f"{where}: a reviewed entry names its reviewer, reviewed_on and law_version")

    return Entry(
        id=entry_id,
        dispute_type=dispute_type,
        title=title,
        questions=questions,
        answer=_text(raw["answer"], where, "answer"),
        time_limits=_text(raw["time_limits"], where, "time_limits", allow_empty=True),
        next_steps=_text(raw["next_steps"], where, "next_steps"),
        citations=cites,
        reviewed=reviewed,
        direct=_text(raw.get("direct"), where, "direct", allow_empty=True),
        reviewer=reviewer,
        reviewed_on=reviewed_on,
        law_version=law_version,
        source=source.name,
    )


def validate(entries: Sequence[Entry]) -> None:
    """Checks across entries: unique ids and titles, and no question variant shared by two entries."""
    seen_ids = {}
    seen_titles = {}
    seen_questions = {}
    for entry in entries:
        if entry.id in seen_ids:
            raise FaqError(f"{entry.source}: entry {entry.id!r}: duplicate id (also in {seen_ids[entry.id]})")
        seen_ids[entry.id] = entry.source
        # Two entries with one title would make the confirmation turn ambiguous.
        if entry.title in seen_titles:
            raise FaqError(f"{entry.source}: entry {entry.id!r}: title {entry.title!r} also belongs to "
                           f"{seen_titles[entry.title]!r}")
        seen_titles[entry.title] = entry.id
        for question in entry.questions:
            other = seen_questions.get(question)
            if other is not None and other != entry.id:
                raise FaqError(f"{entry.source}: entry {entry.id!r}: question {question!r} also belongs to {other!r}")
            seen_questions[question] = entry.id


def load_faq(path: Union[str, Path, None] = None) -> List[Entry]:
    """Read and validate the FAQ: a folder of <dispute_type>.yml files (default: the packaged one) or one file."""
    import yaml

    entries: List[Entry] = []
    for source in _faq_files(path):
        try:
            data = yaml.safe_load(source.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise FaqError(f"{source.name}: not valid YAML: {exc}") from exc
        if data is None:
            continue
        if not isinstance(data, list):
            raise FaqError(f"{source.name}: must be a list of entries")
        entries.extend(_entry(raw, source, i) for i, raw in enumerate(data))
    validate(entries)
    return entries


def load_out_of_scope(path: Union[str, Path, None] = None) -> List[str]:
    """The negative exemplars: questions the FAQ must not answer (a YAML list of strings)."""
    import yaml

    source = Path(path) if path is not None else OUT_OF_SCOPE_FILE
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FaqError(f"{source}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise FaqError(f"{source.name}: not valid YAML: {exc}") from exc
    if not isinstance(data, list) or not all(isinstance(t, str) and t.strip() for t in data):
        raise FaqError(f"{source.name}: must be a list of non-empty strings")
    return [t.strip() for t in data]


def entries_by_id(entries: Iterable[Entry]) -> dict:
    return {e.id: e for e in entries}


__all__ = [
    "ARTICLE_RE",
    "Citation",
    "Entry",
    "FAQ_DIR",
    "FaqError",
    "REPEALED_LAWS",
    "TITLE_MAX",
    "entries_by_id",
    "is_repealed",
    "load_faq",
    "load_out_of_scope",
    "OUT_OF_SCOPE_FILE",
    "short_law_name",
    "validate",
]
