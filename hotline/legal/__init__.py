"""Legal answers for the 12348 kind of question: a cited FAQ as data, its retriever, and the reply text.

    entries = load_faq()                 # validated; FaqError names the file and the entry
    retriever = LegalRetriever.from_entries(entries, load_out_of_scope())   # or .from_faq()
    decision = retriever.decide("老板欠我工资不给怎么办", dispute_type="labor")
    if decision.kind == "answer":
        reply = format_answer(decision.entry)
    elif decision.kind == "confirm":
        reply = format_confirmation(decision)   # 您问的是不是：老板拖欠工资怎么办？ yes -> answer, no -> refer
    else:                                # "refer": say so and offer a 12348 lawyer; never guess
        reply = REFER_TEXT

Build the retriever once per process (a few seconds); a decision then
takes a few milliseconds. Nothing is read or built at import time, and
scikit-learn, jieba and PyYAML are imported only when they are needed.
"""

from .answer import REFER_TEXT, REVIEWED_CLOSING, UNREVIEWED_CLOSING, cite_line, format_answer, format_confirmation
from .faq import Citation, Entry, FaqError, is_repealed, load_faq, load_out_of_scope, short_law_name
from .retrieval import (
    ANSWER,
    CONFIRM,
    DEFAULT_CONFIRM_THRESHOLD,
    DEFAULT_THRESHOLD,
    REFER,
    Decision,
    LegalRetriever,
    Match,
    normalize,
)

__all__ = [
    "ANSWER",
    "CONFIRM",
    "Citation",
    "DEFAULT_CONFIRM_THRESHOLD",
    "DEFAULT_THRESHOLD",
    "Decision",
    "Entry",
    "FaqError",
    "LegalRetriever",
    "Match",
    "REFER",
    "REFER_TEXT",
    "REVIEWED_CLOSING",
    "UNREVIEWED_CLOSING",
    "cite_line",
    "format_answer",
    "format_confirmation",
    "is_repealed",
    "load_faq",
    "load_out_of_scope",
    "normalize",
    "short_law_name",
]
