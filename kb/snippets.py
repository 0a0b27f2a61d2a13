"""Snippets: a short window of a passage around the query's words, with the matches marked."""

from __future__ import annotations

import re
from functools import lru_cache

from kb.text import stem, stopwords

SNIPPET_CHARS = 240


# Words that carry no meaning in a question: never highlighted, even if the search matched them.
QUESTION_WORDS = frozenset(
    [
        "i",
        "me",
        "my",
        "mine",
        "we",
        "us",
        "our",
        "you",
        "your",
        "can",
        "could",
        "do",
        "does",
        "did",
        "how",
        "what",
        "when",
        "where",
        "why",
        "which",
        "who",
        "is",
        "am",
        "are",
        "was",
        "were",
        "be",
        "been",
        "have",
        "has",
        "had",
        "will",
        "would",
        "should",
    ]
)


@lru_cache(maxsize=4096)
def _prefix_pattern(query_stems: frozenset[str]) -> re.Pattern[str] | None:
    """A regex for words that may stem to a query stem: they start with its first four letters."""
    prefixes = sorted({re.escape(s[:4]) for s in query_stems if s})
    if not prefixes:
        return None
    return re.compile(r"\b(?:" + "|".join(prefixes) + r")[^\W_]*", re.IGNORECASE)


def _matches(text: str, query_stems: frozenset[str]) -> list[tuple[int, int]]:
    """Character spans of the words in ``text`` whose stem is a query stem (stop words never)."""
    pattern = _prefix_pattern(query_stems)
    if pattern is None:
        return []
    stop = stopwords()
    found = []
    for match in pattern.finditer(text):
        word = match.group(0).lower()
        if word not in stop and word not in QUESTION_WORDS and stem(word) in query_stems:
            found.append((match.start(), match.end()))
    return found


def make_snippet(
    text: str, query_stems: set[str], *, width: int = SNIPPET_CHARS
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Cut ``text`` to about ``width`` characters around the first match; return it and match spans."""
    matches = _matches(text, frozenset(query_stems))
    start = 0
    if len(text) > width and matches:
        start = max(0, matches[0][0] - width // 4)
        space = text.rfind(" ", 0, start)
        start = space + 1 if start and space >= 0 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + width // 2 else end
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix) - start
    spans = tuple((a + shift, b + shift) for a, b in matches if a >= start and b <= end)
    return f"{prefix}{text[start:end]}{suffix}", spans
