"""Before a question is posted: similar articles and answered questions, each click counted."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from sqlalchemy.orm import Session

from kb import analytics
from kb.documents import Source
from kb.knowledge_base import KnowledgeBase

LIMIT = 5
MIN_TITLE = 3


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One article or community thread that may already answer the question."""

    title: str
    url: str
    source: str
    label: str
    snippet: str

    def as_json(self) -> dict[str, str]:
        """The suggestion for the live-suggestions endpoint."""
        return {
            "title": self.title,
            "url": self.url,
            "source": self.source,
            "label": self.label,
            "snippet": self.snippet,
        }


@dataclass(frozen=True, slots=True)
class Suggestions:
    """What the ask page shows, and the search event its links and the posted question point to."""

    title: str
    event_id: int | None
    items: list[Suggestion]


def similar(
    *,
    session: Session,
    knowledge_base: KnowledgeBase,
    title: str,
    visitor_id: str,
    user_id: int | None,
) -> Suggestions:
    """Search for ``title`` and record it as an ask-flow search (too-short titles search nothing)."""
    title = " ".join(title.split())
    if len(title) < MIN_TITLE:
        return Suggestions(title=title, event_id=None, items=[])
    result = knowledge_base.search(title, limit=LIMIT)
    event = analytics.record_ask_search(
        session=session, result=result, visitor_id=visitor_id, user_id=user_id
    )
    items = [
        Suggestion(
            title=hit.title,
            url=url_for(
                "help.search_click", event_id=event.id, source=hit.source.value, ref=hit.ref
            ),
            source=hit.source.value,
            label="Community answer" if hit.source == Source.COMMUNITY else "Official",
            snippet=hit.snippet,
        )
        for hit in result.hits
    ]
    return Suggestions(title=title, event_id=event.id, items=items)
