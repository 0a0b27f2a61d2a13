"""Snippets: a short window of a passage around the query's words, with the matches marked."""

from __future__ import annotations

from kb.text import WORD, stem, stopwords

SNIPPET_CHARS = 240


def make_snippet(
    text: str, query_stems: set[str], *, width: int = SNIPPET_CHARS
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Cut ``text`` to about ``width`` characters around the first match; return it and match spans."""
    stop = stopwords()
    matches = [
        (m.start(), m.end())
        for m in WORD.finditer(text)
        if m.group(0).lower() not in stop and stem(m.group(0).lower()) in query_stems
    ]
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
