"""Plain data that flows into the search index: documents and the passages they are split into."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Source(StrEnum):
    """Who wrote a piece of content: the company or its customers."""

    OFFICIAL = "official"
    COMMUNITY = "community"


class PassageKind(StrEnum):
    """What part of a document a passage comes from."""

    TITLE = "title"
    BODY = "body"
    PHRASING = "phrasing"
    ANSWER = "answer"


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """One searchable unit (an article or a community thread), as the index sees it.

    ``key`` is unique across sources, e.g. ``article:12`` or ``question:7``; ``ref`` is what a
    front end links to (an article slug or a question id).
    """

    key: str
    source: Source
    ref: str
    title: str
    body: str = ""
    summary: str = ""
    category: str | None = None
    status: str = "published"
    public: bool = True
    phrasings: tuple[str, ...] = ()
    answers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Passage:
    """A bounded piece of a document; ``text`` is what is indexed, ``display`` what is shown."""

    doc_key: str
    kind: PassageKind
    text: str
    display: str
    heading: str = ""
    tokens: tuple[str, ...] = field(default=(), compare=False)
