"""Legal answers for the 12348 kind of question: a cited FAQ as data, its retriever, and the reply text.

    entries = load_faq()                 # validated; FaqError names the file and the entry
    retriever = LegalRetriever.from_entries(entries, load_out_of_scope())   # or .from_faq()
    match = retriever.match("老板欠我工资不给怎么办", dispute_type="labor")
    if match and match.confident:
        reply = format_answer(match.entry)
    else:
        ...                              # say so and offer a 12348 lawyer; never guess

Build the retriever once per process (about six seconds); a match then
takes a few milliseconds. Nothing is read or built at import time, and
scikit-learn, jieba and PyYAML are imported only when they are needed.
"""

from .answer import cite_line, format_answer
from .faq import Citation, Entry, FaqError, is_repealed, load_faq, load_out_of_scope, short_law_name
from .retrieval import DEFAULT_THRESHOLD, LegalRetriever, Match, normalize

__all__ = [
    "Citation",
    "DEFAULT_THRESHOLD",
    "Entry",
    "FaqError",
    "LegalRetriever",
    "Match",
    "cite_line",
    "format_answer",
    "is_repealed",
    "load_faq",
    "load_out_of_scope",
    "normalize",
    "short_law_name",
]
