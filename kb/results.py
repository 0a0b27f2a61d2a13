"""Plain results of a search: hits, the confidence and what to do with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from kb.documents import PassageKind, Source


class Decision(StrEnum):
    """What a front end should do with a result: answer, offer choices, or hand over to a person."""

    ANSWER = "answer"
    SUGGEST = "suggest"
    HANDOVER = "handover"


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Restrict a search; the defaults are what a customer may see."""

    categories: frozenset[str] | None = None
    sources: frozenset[Source] | None = None
    statuses: frozenset[str] = frozenset({"published"})
    include_private: bool = False

    @classmethod
    def staff(cls, **kwargs: object) -> SearchFilters:
        """Filters for editors and agents: every status, private content too."""
        statuses = frozenset({"draft", "in_review", "published", "archived"})
        return cls(statuses=statuses, include_private=True, **kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One matching article or community thread, with its best passage as the snippet."""

    key: str
    ref: str
    title: str
    source: Source
    category: str | None
    status: str
    score: float
    dense_score: float
    keyword_score: float
    snippet: str
    highlights: tuple[tuple[int, int], ...] = ()
    passage_kind: PassageKind = PassageKind.BODY
    heading: str = ""


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The ranked hits for a query and how sure the engine is that the first one answers it."""

    query: str
    hits: list[SearchHit] = field(default_factory=list)
    confidence: float = 0.0
    decision: Decision = Decision.HANDOVER
    corrected_query: str | None = None
    total: int = 0


@dataclass(frozen=True, slots=True)
class Related:
    """A document near another in meaning (see ``SearchEngine.related``)."""

    key: str
    ref: str
    title: str
    source: Source
    category: str | None
    score: float
