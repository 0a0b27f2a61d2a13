"""Article health: how each article is used and rated, and the bot's record of serving it.

Views come from ``Article.view_count``, votes from ``ArticleFeedback``, bot use from
``ArticleEvent`` (recorded by the bot: served, confirmed, rejected) and search clicks from
``SearchEvent.clicked_ref`` (the slug, or a former slug kept as a redirect). Reads only, except
:func:`record_article_event`, which flushes; the caller commits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from kb.models import (
    Article,
    ArticleEvent,
    ArticleFeedback,
    ArticleRedirect,
    ArticleStatus,
    SearchEvent,
)

EVENT_KINDS = frozenset({"bot_served", "bot_confirmed", "bot_rejected"})
MAX_CONVERSATION_REF = 64
MIN_VOTES = 1
"""Votes an article needs before it can be among the most "not helpful"."""


class ArticleEventError(ValueError):
    """An article event could not be recorded; the message says why."""


@dataclass(frozen=True, slots=True)
class ArticleHealth:
    """The numbers for one article."""

    article_id: int
    slug: str
    title: str
    status: str
    views: int
    helpful: int
    not_helpful: int
    bot_served: int
    bot_confirmed: int
    bot_rejected: int
    search_clicks: int

    @property
    def votes(self) -> int:
        """How many visitors said whether it helped."""
        return self.helpful + self.not_helpful

    @property
    def helpful_percent(self) -> int | None:
        """Share of helpful votes, rounded (None without votes)."""
        return round(100 * self.helpful / self.votes) if self.votes else None


@dataclass(frozen=True, slots=True)
class HealthReport:
    """Every article's numbers, and the lists an editor acts on."""

    articles: list[ArticleHealth]
    not_helpful: list[ArticleHealth]
    never_viewed: list[ArticleHealth]


def record_article_event(
    *, session: Session, article: Article, kind: str, conversation_ref: str = ""
) -> ArticleEvent:
    """Store that the bot served an article, or that the customer confirmed or rejected it."""
    if kind not in EVENT_KINDS:
        raise ArticleEventError(f"unknown article event {kind!r}; use one of {sorted(EVENT_KINDS)}")
    if len(conversation_ref) > MAX_CONVERSATION_REF:
        raise ArticleEventError(
            f"conversation_ref is {len(conversation_ref)} characters; the most is "
            f"{MAX_CONVERSATION_REF}"
        )
    event = ArticleEvent(article_id=article.id, kind=kind, conversation_ref=conversation_ref)
    session.add(event)
    session.flush()
    return event


def article_health(*, session: Session, include_archived: bool = False) -> list[ArticleHealth]:
    """The numbers of every article (drafts too; archived ones only if asked), by title."""
    query = select(Article.id, Article.slug, Article.title, Article.status, Article.view_count)
    if not include_archived:
        query = query.where(Article.status != ArticleStatus.ARCHIVED)
    rows = session.execute(query.order_by(Article.title, Article.id)).all()
    votes = _votes(session)
    events = _events(session)
    clicks = _clicks(session)
    return [
        ArticleHealth(
            article_id=row.id,
            slug=row.slug,
            title=row.title,
            status=row.status.value,
            views=row.view_count or 0,
            helpful=votes[row.id][0],
            not_helpful=votes[row.id][1],
            bot_served=events[row.id]["bot_served"],
            bot_confirmed=events[row.id]["bot_confirmed"],
            bot_rejected=events[row.id]["bot_rejected"],
            search_clicks=clicks[row.id],
        )
        for row in rows
    ]


def health_report(*, session: Session, limit: int = 10) -> HealthReport:
    """All articles' numbers, the most "not helpful" and the published ones never viewed."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    articles = article_health(session=session)
    rated = [a for a in articles if a.not_helpful and a.votes >= MIN_VOTES]
    worst = sorted(rated, key=lambda a: (-a.not_helpful, a.helpful_percent or 0, a.title))
    never = [a for a in articles if a.status == ArticleStatus.PUBLISHED.value and not a.views]
    return HealthReport(articles=articles, not_helpful=worst[:limit], never_viewed=never)


def _votes(session: Session) -> defaultdict[int, tuple[int, int]]:
    """Helpful and not-helpful votes per article id."""
    rows = session.execute(
        select(
            ArticleFeedback.article_id,
            func.sum(case((ArticleFeedback.helpful.is_(True), 1), else_=0)),
            func.sum(case((ArticleFeedback.helpful.is_(False), 1), else_=0)),
        ).group_by(ArticleFeedback.article_id)
    )
    counts: defaultdict[int, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for article_id, yes, no in rows:
        counts[article_id] = (int(yes or 0), int(no or 0))
    return counts


def _events(session: Session) -> defaultdict[int, defaultdict[str, int]]:
    """Bot events per article id and kind."""
    rows = session.execute(
        select(ArticleEvent.article_id, ArticleEvent.kind, func.count()).group_by(
            ArticleEvent.article_id, ArticleEvent.kind
        )
    )
    counts: defaultdict[int, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    for article_id, kind, count in rows:
        counts[article_id][kind] = count
    return counts


def _clicks(session: Session) -> defaultdict[int, int]:
    """Search result clicks per article id, through current and former slugs."""
    by_slug = dict(
        session.execute(
            select(SearchEvent.clicked_ref, func.count())
            .where(SearchEvent.clicked_source == "official", SearchEvent.clicked_ref.is_not(None))
            .group_by(SearchEvent.clicked_ref)
        ).all()
    )
    counts: defaultdict[int, int] = defaultdict(int)
    if not by_slug:
        return counts
    for article_id, slug in session.execute(select(Article.id, Article.slug)):
        counts[article_id] += by_slug.get(slug, 0)
    for article_id, old in session.execute(
        select(ArticleRedirect.article_id, ArticleRedirect.old_slug)
    ):
        counts[article_id] += by_slug.get(old, 0)
    return counts
