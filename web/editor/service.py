"""What the editor console's pages show: the filtered article list and the home page's counts.

Every function takes the session explicitly and only reads; the views commit what kb.editorial
changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from kb.models import (
    Answer,
    Article,
    ArticleStatus,
    Category,
    Flag,
    Moderation,
    Question,
    Role,
    SearchEvent,
    User,
    utcnow,
)

EDITOR_ROLES = (Role.EDITOR, Role.ADMIN)
MAX_QUERY = 200
INBOX_ORIGIN = "conversation"


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    """What the article list is narrowed to (all optional)."""

    status: ArticleStatus | None = None
    owner_id: int | None = None
    stale: bool = False
    query: str = ""

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return bool(self.status or self.owner_id or self.stale or self.query)


@dataclass(frozen=True, slots=True)
class HomeCounts:
    """The numbers on the editor home page."""

    drafts: int
    in_review: int
    pending_revisions: int
    stale: int
    moderation: int
    inbox: int
    failed_searches: int


def today() -> date:
    """Today's date in UTC, for review-by comparisons."""
    return utcnow().date()


def me(*, session: Session, user_id: int) -> User:
    """The signed-in staff member's row (the role check has already found it)."""
    user = session.get(User, user_id)
    if user is None:  # deleted between the role check and now
        raise LookupError(f"there is no user {user_id}")
    return user


def editors(*, session: Session) -> list[User]:
    """Editors and admins who can own articles, by name."""
    query = (
        select(User)
        .where(User.role.in_(EDITOR_ROLES), User.suspended.is_(False))
        .order_by(User.display_name, User.id)
    )
    return list(session.scalars(query))


def categories(*, session: Session) -> list[Category]:
    """All categories in display order."""
    return list(session.scalars(select(Category).order_by(Category.position, Category.name)))


def _stale_clause(query: Select[Article], today: date) -> Select[Article]:
    """Only published articles past their review-by date."""
    return query.where(Article.status == ArticleStatus.PUBLISHED, Article.review_by < today)


def list_articles(
    *, session: Session, wanted: ArticleFilter, today: date, limit: int = 200
) -> list[Article]:
    """Articles matching ``wanted``, most recently updated first."""
    query = select(Article).order_by(Article.updated_at.desc(), Article.id.desc()).limit(limit)
    if wanted.status is not None:
        query = query.where(Article.status == wanted.status)
    if wanted.owner_id is not None:
        query = query.where(Article.owner_id == wanted.owner_id)
    if wanted.stale:
        query = _stale_clause(query, today)
    if wanted.query:
        words = wanted.query[:MAX_QUERY].lower().split()
        for word in words:
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(func.lower(Article.title).like(f"%{escaped}%", escape="\\"))
    return list(session.scalars(query).unique())


def home_counts(*, session: Session, today: date, now: datetime) -> HomeCounts:
    """Drafts, in review, stale, moderation waiting, the agent drafts inbox and failed searches."""

    def count(query: Select[int]) -> int:
        return int(session.scalar(query) or 0)

    articles = select(func.count(Article.id))
    pending_questions = count(
        select(func.count(Question.id)).where(Question.moderation == Moderation.PENDING)
    )
    pending_answers = count(
        select(func.count(Answer.id)).where(Answer.moderation == Moderation.PENDING)
    )
    open_flags = count(select(func.count(Flag.id)).where(Flag.resolved.is_(False)))
    return HomeCounts(
        drafts=count(articles.where(Article.status == ArticleStatus.DRAFT)),
        in_review=count(articles.where(Article.status == ArticleStatus.IN_REVIEW)),
        pending_revisions=count(
            articles.where(
                Article.status == ArticleStatus.PUBLISHED, Article.draft_revision.is_not(None)
            )
        ),
        stale=count(
            articles.where(Article.status == ArticleStatus.PUBLISHED, Article.review_by < today)
        ),
        moderation=pending_questions + pending_answers + open_flags,
        inbox=count(
            articles.where(
                Article.status.in_((ArticleStatus.DRAFT, ArticleStatus.IN_REVIEW)),
                Article.origin == INBOX_ORIGIN,
            )
        ),
        failed_searches=count(
            select(func.count(SearchEvent.id)).where(
                SearchEvent.zero_result.is_(True),
                SearchEvent.created_at >= now - timedelta(days=7),
            )
        ),
    )
