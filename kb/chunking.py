"""Split documents into passages: by heading and paragraph, bounded in length, title carried along."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kb.documents import Passage, PassageKind, SearchDocument

MAX_PASSAGE_WORDS = 120
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_MARKUP = re.compile(r"(\*\*|__|`|^\s*[-*+]\s+|^\s*\d+[.)]\s+|^\s*>\s?|\|)", re.MULTILINE)
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$", re.MULTILINE)
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


def plain_text(markdown: str) -> str:
    """Markdown reduced to readable text: links keep their words, markup characters go."""
    text = _TABLE_RULE.sub(" ", _LINK.sub(r"\1", markdown))
    text = _MARKUP.sub(" ", text)
    text = re.sub(r"^\s*:?-{3,}:?\s*$", " ", text, flags=re.MULTILINE)
    return re.sub(r"[ \t]+", " ", text).strip()


def sections(markdown: str) -> Iterator[tuple[str, list[str]]]:
    """Yield ``(heading, paragraphs)`` for each section of a Markdown body."""
    heading = ""
    paragraphs: list[str] = []
    current: list[str] = []
    in_fence = False

    def flush_paragraph() -> None:
        if current:
            paragraphs.append("\n".join(current).strip())
            current.clear()

    for line in markdown.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            current.append(line)
            continue
        match = None if in_fence else _HEADING.match(line)
        if match:
            flush_paragraph()
            if paragraphs:
                yield heading, paragraphs
            heading, paragraphs = match.group(2), []
        elif not line.strip() and not in_fence:
            flush_paragraph()
        else:
            current.append(line)
    flush_paragraph()
    if paragraphs:
        yield heading, paragraphs


def _bounded(paragraphs: list[str], max_words: int) -> Iterator[str]:
    """Pack paragraphs into pieces of at most ``max_words`` words, splitting long ones."""
    piece: list[str] = []
    size = 0
    for paragraph in paragraphs:
        words = paragraph.split()
        if not words:
            continue
        if size and size + len(words) > max_words:
            yield "\n\n".join(piece)
            piece, size = [], 0
        text = paragraph
        if len(words) > max_words:
            while len(words) > max_words:
                yield " ".join(words[:max_words])
                words = words[max_words:]
            text = " ".join(words)
        piece.append(text)
        size += len(words)
    if piece:
        yield "\n\n".join(piece)


def passages_for(doc: SearchDocument, *, max_words: int = MAX_PASSAGE_WORDS) -> list[Passage]:
    """Split a document into passages; every passage text starts with the document title."""
    if max_words < 10:
        raise ValueError(f"max_words must be at least 10, got {max_words}")
    title = doc.title.strip()
    found: list[Passage] = [Passage(doc.key, PassageKind.TITLE, title, doc.summary or title)]
    if doc.summary:
        found.append(Passage(doc.key, PassageKind.BODY, f"{title}\n{doc.summary}", doc.summary))
    for heading, paragraphs in sections(doc.body):
        for piece in _bounded(paragraphs, max_words):
            display = plain_text(piece)
            if not display:
                continue
            prefix = f"{title} — {heading}" if heading else title
            found.append(
                Passage(doc.key, PassageKind.BODY, f"{prefix}\n{display}", display, heading)
            )
    for phrasing in doc.phrasings:
        if phrasing.strip():
            found.append(Passage(doc.key, PassageKind.PHRASING, phrasing.strip(), title))
    for answer in doc.answers:
        for piece in _bounded([answer], max_words):
            display = plain_text(piece)
            if display:
                found.append(Passage(doc.key, PassageKind.ANSWER, f"{title}\n{display}", display))
    return found
