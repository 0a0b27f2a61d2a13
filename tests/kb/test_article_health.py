"""Article health: views, votes, bot events and search clicks per article, and the action lists."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from kb.article_health import (
    ArticleEventError,
    article_health,
    health_report,
    record_article_event,
)
from kb.articles import save_article
from kb.models import Article, ArticleFeedback, ArticleRedirect, SearchEvent


def article(session: Session, slug: str, status: str = "published", views: int = 0) -> Article:
    """A saved article with a view count."""
    saved = save_article(
        session=session,
        slug=slug,
        title=slug.replace("-", " ").title(),
        body="Body.",
        status=status,
    ).article
    saved.view_count = views
    session.flush()
    return saved


def votes(session: Session, target: Article, yes: int, no: int) -> None:
    """``yes`` helpful and ``no`` unhelpful votes from different visitors."""
    for i in range(yes + no):
        session.add(ArticleFeedback(article_id=target.id, visitor_id=f"v{i}", helpful=i < yes))
    session.flush()


def click(session: Session, ref: str, source: str = "official") -> None:
    """A search whose result ``ref`` was clicked."""
    session.add(SearchEvent(query="q", channel="page", clicked_ref=ref, clicked_source=source))
    session.flush()


def test_numbers_per_article(session: Session) -> None:
    boots = article(session, "boot-care", views=40)
    tents = article(session, "tent-repair", views=3)
    votes(session, boots, yes=3, no=1)
    for kind in ("bot_served", "bot_served", "bot_confirmed", "bot_rejected"):
        record_article_event(session=session, article=boots, kind=kind, conversation_ref="c1")
    session.add(ArticleRedirect(old_slug="caring-for-boots", article_id=boots.id))
    click(session, "boot-care")
    click(session, "caring-for-boots")
    click(session, "boot-care", source="community")  # a community thread with the same ref
    click(session, "tent-repair")
    by_slug = {a.slug: a for a in article_health(session=session)}
    b = by_slug["boot-care"]
    assert (b.views, b.helpful, b.not_helpful, b.helpful_percent) == (40, 3, 1, 75)
    assert (b.bot_served, b.bot_confirmed, b.bot_rejected, b.search_clicks) == (2, 1, 1, 2)
    t = by_slug["tent-repair"]
    assert (t.views, t.votes, t.helpful_percent, t.bot_served, t.search_clicks) == (
        3,
        0,
        None,
        0,
        1,
    )
    assert tents.id == t.article_id


def test_archived_articles_are_left_out_unless_asked(session: Session) -> None:
    article(session, "old-news", status="archived")
    assert "old-news" not in {a.slug for a in article_health(session=session)}
    assert "old-news" in {a.slug for a in article_health(session=session, include_archived=True)}


def test_report_lists_not_helpful_and_never_viewed(session: Session) -> None:
    worst = article(session, "worst", views=10)
    bad = article(session, "bad", views=10)
    fine = article(session, "fine", views=10)
    article(session, "unseen")
    article(session, "unseen-draft", status="draft")
    votes(session, worst, yes=0, no=4)
    votes(session, bad, yes=5, no=2)
    votes(session, fine, yes=6, no=0)
    report = health_report(session=session)
    assert [a.slug for a in report.not_helpful] == ["worst", "bad"]
    assert [a.slug for a in report.never_viewed] == ["unseen"]
    assert len(health_report(session=session, limit=1).not_helpful) == 1
    with pytest.raises(ValueError, match="limit"):
        health_report(session=session, limit=0)


def test_bad_events_are_refused(session: Session) -> None:
    target = article(session, "boot-care")
    with pytest.raises(ArticleEventError, match="unknown article event 'bot_exploded'"):
        record_article_event(session=session, article=target, kind="bot_exploded")
    with pytest.raises(ArticleEventError, match="conversation_ref is 65 characters"):
        record_article_event(
            session=session, article=target, kind="bot_served", conversation_ref="x" * 65
        )
