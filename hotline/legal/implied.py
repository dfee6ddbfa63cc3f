"""The legal rule a report implies (no written contract -> double wages), told while the report is registered."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Pattern, Sequence, Tuple, Union

from .answer import cite_line
from .faq import Entry, FaqError

IMPLIED_FILE = Path(__file__).resolve().parent / "implied.yml"


@dataclass(frozen=True)
class ImpliedRule:
    entry_id: str
    when: Tuple[Pattern, ...]
    unless: Tuple[Pattern, ...] = ()

    def applies(self, text: str) -> bool:
        return any(p.search(text) for p in self.when) and not any(p.search(text) for p in self.unless)


def load_rules(entries: Sequence[Entry], path: Union[str, Path, None] = None) -> List[ImpliedRule]:
    """Read implied.yml; every rule must name an entry that has a direct line."""
    import yaml

    source = Path(path) if path is not None else IMPLIED_FILE
    data = yaml.safe_load(source.read_text(encoding="utf-8")) or []
    by_id = {e.id: e for e in entries}
    rules = []
    for index, raw in enumerate(data):
        where = f"{source.name}: rule #{index + 1}"
        if not isinstance(raw, dict) or not isinstance(raw.get("when"), list) or not raw["when"]:
            raise FaqError(f"{where}: needs an entry and a non-empty list 'when'")
        entry = by_id.get(raw.get("entry"))
        if entry is None or not entry.direct:
            raise FaqError(f"{where}: {raw.get('entry')!r} is not an FAQ entry with a direct answer")
        try:
            rules.append(ImpliedRule(entry.id, tuple(re.compile(p) for p in raw["when"]),
                                     tuple(re.compile(p) for p in raw.get("unless") or [])))
        except re.error as exc:
            raise FaqError(f"{where}: bad pattern: {exc}") from exc
    return rules


def implied_entry(text: str, entries: Sequence[Entry], rules: Sequence[ImpliedRule]) -> Optional[Entry]:
    """The first entry whose rule the report's text implies, or None."""
    by_id = {e.id: e for e in entries}
    for rule in rules:
        if rule.applies(text or ""):
            return by_id[rule.entry_id]
    return None


def implied_text(entry: Entry) -> str:
    """先告诉您一条规定：<direct>（依据：《劳动合同法》第十条、第十四条、第八十二条。）"""
    direct = entry.direct.rstrip("。")
    # "能：…" / "不合法：…" answer a question the citizen did not ask here.
    head, sep, rest = direct.partition("：")
    if sep and len(head) <= 4:
        direct = rest
    basis = cite_line(entry).rstrip("。")
    return f"先告诉您一条相关规定：{direct}。{basis}。"


__all__ = ["IMPLIED_FILE", "ImpliedRule", "implied_entry", "implied_text", "load_rules"]
