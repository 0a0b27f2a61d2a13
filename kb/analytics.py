"""Search analytics: what customers searched for, what they found and what they clicked.

The raw data for the content-gap report and dashboards. Functions flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kb.models import SearchEvent, utcnow
from kb.results import SearchFilters, SearchResult

CHANNELS = frozenset({"page", "instant", "ask", "api", "bot"})
MAX_QUERY = 500
ASK_ATTEMPT_WINDOW = timedelta(minutes=30)
"""Ask-flow searches by one visitor within this time, before a click or a post, are one attempt."""


@dataclass(frozen=True, slots=True)
class DeflectionCounts:
    """Ask-a-question attempts: how many saw suggestions, clicked one instead, or posted anyway."""

    shown: int
    deflected: int
    posted: int


def record_search(
    *,
    session: Session,
    result: SearchResult,
    channel: str,
    filters: SearchFilters | None = None,
    visitor_id: str = "",
    user_id: int | None = None,
) -> SearchEvent:
    """Store one search and its outcome; returns the event (its id tags result links for clicks)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown search channel {channel!r}; use one of {sorted(CHANNELS)}")
    event = SearchEvent(
        query=result.query[:MAX_QUERY],
        corrected_query=(result.corrected_query or None) and result.corrected_query[:MAX_QUERY],
        channel=channel,
        result_count=result.total,
        top_confidence=float(result.confidence),
        decision=result.decision.value,
        zero_result=result.total == 0,
        filters=_filters_json(filters),
        visitor_id=visitor_id[:64],
        user_id=user_id,
    )
    session.add(event)
    session.flush()
    return event


def record_ask_search(
    *,
    session: Session,
    result: SearchResult,
    visitor_id: str,
    user_id: int | None = None,
    now: datetime | None = None,
) -> SearchEvent:
    """Record the suggestions shown while someone writes a question: one event per attempt.

    Live suggestions search as the person types; counting each pause as an attempt would inflate
    deflections, so the visitor's open attempt (no click, no post, recent) is updated in place.
    """
    now = now or utcnow()
    open_attempt = None
    if visitor_id:
        open_attempt = session.scalars(
            select(SearchEvent)
            .where(
                SearchEvent.channel == "ask",
                SearchEvent.visitor_id == visitor_id[:64],
                SearchEvent.clicked_at.is_(None),
                SearchEvent.question_id.is_(None),
                SearchEvent.created_at >= now - ASK_ATTEMPT_WINDOW,
            )
            .order_by(SearchEvent.id.desc())
            .limit(1)
        ).first()
    if open_attempt is None:
        return record_search(
            session=session, result=result, channel="ask", visitor_id=visitor_id, user_id=user_id
        )
    open_attempt.query = result.query[:MAX_QUERY]
    open_attempt.corrected_query = (result.corrected_query or None) and result.corrected_query[
        :MAX_QUERY
    ]
    open_attempt.result_count = result.total
    open_attempt.top_confidence = float(result.confidence)
    open_attempt.decision = result.decision.value
    open_attempt.zero_result = result.total == 0
    open_attempt.user_id = open_attempt.user_id or user_id
    session.flush()
    return open_attempt


def record_click(
    *, session: Session, event_id: int, ref: str, source: str, at: datetime | None = None
) -> bool:
    """Remember the first result clicked for a search; False when the event does not exist."""
    event = session.get(SearchEvent, event_id)
    if event is None:
        return False
    if event.clicked_at is None:
        event.clicked_ref = ref[:200]
        event.clicked_source = source[:16]
        event.clicked_at = at or utcnow()
        session.flush()
    return True


def record_posted_question(*, session: Session, event_id: int, question_id: int) -> bool:
    """Link an ask-flow search to the question that was posted after it (not a deflection)."""
    event = session.get(SearchEvent, event_id)
    if event is None or event.channel != "ask":
        return False
    event.question_id = question_id
    session.flush()
    return True


def deflections(*, session: Session, since: datetime | None = None) -> DeflectionCounts:
    """Count ask-flow outcomes: a click on a suggestion without posting is a deflection."""
    query = select(
        func.count(),
        func.count(SearchEvent.clicked_at).filter(SearchEvent.question_id.is_(None)),
        func.count(SearchEvent.question_id),
    ).where(SearchEvent.channel == "ask", SearchEvent.result_count > 0)
    if since is not None:
        query = query.where(SearchEvent.created_at >= since)
    shown, deflected, posted = session.execute(query).one()
    return DeflectionCounts(shown=shown, deflected=deflected, posted=posted)


def _filters_json(filters: SearchFilters | None) -> dict[str, list[str]]:
    """The customer-chosen filters of a search, as stored."""
    if filters is None:
        return {}
    stored: dict[str, list[str]] = {}
    if filters.categories:
        stored["category"] = sorted(filters.categories)
    if filters.sources:
        stored["source"] = sorted(s.value for s in filters.sources)
    return stored
