"""Search analytics: searches, clicks and ask-flow deflections, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from kb.analytics import (
    deflections,
    record_ask_search,
    record_click,
    record_posted_question,
    record_search,
)
from kb.community import save_question
from kb.documents import Source
from kb.models import SearchEvent, utcnow
from kb.results import Decision, SearchFilters, SearchHit, SearchResult


def _result(query: str, total: int, confidence: float = 0.5) -> SearchResult:
    """A search result with ``total`` identical hits."""
    hit = SearchHit(
        key="article:1",
        ref="returns",
        title="Returns",
        source=Source.OFFICIAL,
        category=None,
        status="published",
        score=1.0,
        dense_score=0.5,
        keyword_score=0.5,
        snippet="Send it back",
    )
    return SearchResult(
        query=query,
        hits=[hit] * total,
        confidence=confidence,
        decision=Decision.SUGGEST if total else Decision.HANDOVER,
        total=total,
    )


def test_a_search_is_recorded_with_its_outcome(session: Session) -> None:
    """Query, count, confidence, decision, filters and zero-result are stored."""
    filters = SearchFilters(categories=frozenset({"returns"}), sources=frozenset({Source.OFFICIAL}))
    event = record_search(
        session=session,
        result=_result("send back boots", 3, 0.42),
        channel="page",
        filters=filters,
        visitor_id="anon:abc",
    )
    stored = session.get(SearchEvent, event.id)
    assert stored is not None
    assert (stored.query, stored.result_count, stored.zero_result) == ("send back boots", 3, False)
    assert stored.top_confidence == pytest.approx(0.42)
    assert stored.decision == "suggest"
    assert stored.filters == {"category": ["returns"], "source": ["official"]}


def test_zero_results_are_marked(session: Session) -> None:
    """A search that found nothing is flagged for the content-gap report."""
    event = record_search(session=session, result=_result("flux capacitor", 0), channel="instant")
    assert event.zero_result and event.decision == "handover"


def test_unknown_channel_is_refused(session: Session) -> None:
    """Channels are a fixed set, so reports can rely on them."""
    with pytest.raises(ValueError, match="unknown search channel"):
        record_search(session=session, result=_result("x", 1), channel="fax")


def test_only_the_first_click_counts(session: Session) -> None:
    """The first result clicked is the one that answered (or not)."""
    event = record_search(session=session, result=_result("sizes", 2), channel="page")
    assert record_click(session=session, event_id=event.id, ref="size-guide", source="official")
    assert record_click(session=session, event_id=event.id, ref="other", source="official")
    assert event.clicked_ref == "size-guide"
    assert not record_click(session=session, event_id=10**9, ref="x", source="official")


def test_deflections_count_clicks_without_a_posted_question(session: Session) -> None:
    """Ask flow: a clicked suggestion without posting is a deflection; posting is not."""
    since = utcnow() - timedelta(seconds=1)
    before = deflections(session=session, since=since)
    clicked = record_search(session=session, result=_result("boots leak", 2), channel="ask")
    record_click(session=session, event_id=clicked.id, ref="waterproofing", source="official")
    posted = record_search(session=session, result=_result("odd zip", 1), channel="ask")
    question, _ = save_question(session=session, title="My zip is odd", body="It squeaks.")
    session.flush()
    assert record_posted_question(session=session, event_id=posted.id, question_id=question.id)
    record_search(session=session, result=_result("nothing here", 0), channel="ask")
    after = deflections(session=session, since=since)
    assert after.shown - before.shown == 2
    assert after.deflected - before.deflected == 1
    assert after.posted - before.posted == 1


def test_posted_question_needs_an_ask_event(session: Session) -> None:
    """Only ask-flow searches are linked to questions."""
    event = record_search(session=session, result=_result("x", 1), channel="page")
    assert not record_posted_question(session=session, event_id=event.id, question_id=1)


def test_live_suggestions_while_typing_are_one_ask_attempt(session: Session) -> None:
    """Each pause while typing a question updates the visitor's open attempt, not a new one."""
    since = utcnow() - timedelta(seconds=1)
    before = deflections(session=session, since=since)
    first = record_ask_search(session=session, result=_result("boots", 3), visitor_id="anon:t1")
    second = record_ask_search(
        session=session, result=_result("boots leak in rain", 2), visitor_id="anon:t1"
    )
    assert second.id == first.id and second.query == "boots leak in rain"
    other = record_ask_search(session=session, result=_result("boots", 3), visitor_id="anon:t2")
    assert other.id != first.id
    record_click(session=session, event_id=first.id, ref="waterproofing", source="official")
    # After a click the attempt is closed: typing again starts a new one.
    third = record_ask_search(session=session, result=_result("zip", 1), visitor_id="anon:t1")
    assert third.id != first.id
    after = deflections(session=session, since=since)
    assert after.shown - before.shown == 3
    assert after.deflected - before.deflected == 1


def test_an_old_open_attempt_is_not_reused(session: Session) -> None:
    """Coming back an hour later is a new attempt."""
    first = record_ask_search(session=session, result=_result("tent", 1), visitor_id="anon:t3")
    later = record_ask_search(
        session=session,
        result=_result("tent pole", 1),
        visitor_id="anon:t3",
        now=utcnow() + timedelta(hours=1),
    )
    assert later.id != first.id
