"""What the help centre's pages show: categories with counts, popular and recent articles, lookups.

Every function takes the session explicitly; writes only flush or execute, the view commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kb.article_upkeep import resolve_slug
from kb.articles import ArticleNotFound
from kb.documents import Source
from kb.feedback import get_chat_start
from kb.models import Article, ArticleStatus, Category, ChatStart, Moderation, Question

HOME_LIST_SIZE = 6
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_QUESTION_ID = re.compile(r"[1-9][0-9]{0,11}")


class PageNotFound(LookupError):
    """No category, or no published article, has that slug (the message is for the visitor)."""


@dataclass(frozen=True, slots=True)
class CategoryCard:
    """A category and how many published articles it holds."""

    category: Category
    article_count: int


@dataclass(frozen=True, slots=True)
class HomePage:
    """Everything the home page lists."""

    categories: list[CategoryCard]
    popular: list[Article]
    recent: list[Article]


@dataclass(frozen=True, slots=True)
class ChatContext:
    """What a chat opens with, and the article it is about (if it is still published)."""

    chat: ChatStart
    article: Article | None


def category_cards(*, session: Session) -> list[CategoryCard]:
    """Every category in display order, with its number of published articles."""
    counts = (
        select(Article.category_id, func.count(Article.id).label("n"))
        .where(Article.status == ArticleStatus.PUBLISHED)
        .group_by(Article.category_id)
        .subquery()
    )
    query = (
        select(Category, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.category_id == Category.id)
        .order_by(Category.position, Category.name)
    )
    return [CategoryCard(category, int(count)) for category, count in session.execute(query)]


def home_page(*, session: Session, size: int = HOME_LIST_SIZE) -> HomePage:
    """Categories with counts, the most viewed articles and the most recently updated ones."""
    published = select(Article).where(Article.status == ArticleStatus.PUBLISHED).limit(size)
    popular = session.scalars(published.order_by(Article.view_count.desc(), Article.title))
    recent = session.scalars(published.order_by(Article.updated_at.desc(), Article.title))
    return HomePage(category_cards(session=session), list(popular), list(recent))


def get_category(*, session: Session, slug: str) -> Category:
    """The category with this slug; raises PageNotFound."""
    category = None
    if _SLUG.fullmatch(slug):
        category = session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        raise PageNotFound("We couldn't find that topic. Browse all topics on the home page.")
    return category


def category_articles(*, session: Session, category: Category) -> list[Article]:
    """The category's published articles by title."""
    query = (
        select(Article)
        .where(Article.category_id == category.id, Article.status == ArticleStatus.PUBLISHED)
        .order_by(Article.title, Article.id)
    )
    return list(session.scalars(query))


def list_category_names(*, session: Session) -> dict[str, str]:
    """Category slug → name, in display order."""
    query = select(Category.slug, Category.name).order_by(Category.position, Category.name)
    return {slug: name for slug, name in session.execute(query)}


def get_published_article(*, session: Session, slug: str) -> Article:
    """The published article with this slug; raises PageNotFound (drafts are not public)."""
    article = None
    if _SLUG.fullmatch(slug):
        article = session.scalar(
            select(Article).where(Article.slug == slug, Article.status == ArticleStatus.PUBLISHED)
        )
    if article is None:
        raise PageNotFound("We couldn't find that article. It may have moved — try searching.")
    return article


def moved_to(*, session: Session, slug: str) -> str | None:
    """The new slug of a published article that used to be at ``slug`` (None if none)."""
    if not _SLUG.fullmatch(slug):
        return None
    try:
        article = resolve_slug(session=session, slug=slug)
    except ArticleNotFound:
        return None
    if article.slug == slug or article.status != ArticleStatus.PUBLISHED:
        return None
    return article.slug


def count_view(*, session: Session, article: Article) -> None:
    """Add one to the article's view count in the database (atomic, so no view is lost)."""
    session.execute(
        update(Article)
        .where(Article.id == article.id)
        .values(view_count=Article.view_count + 1)
        .execution_options(synchronize_session=False)
    )


def valid_ref(source: str, ref: str) -> bool:
    """Whether ``ref`` has the shape of a link target for ``source`` (a slug or a question id)."""
    if source == Source.OFFICIAL.value:
        return len(ref) <= 120 and _SLUG.fullmatch(ref) is not None
    if source == Source.COMMUNITY.value:
        return _QUESTION_ID.fullmatch(ref) is not None
    return False


def content_exists(*, session: Session, source: str, ref: str) -> bool:
    """Whether a search result still leads somewhere: a published article or a shown question."""
    if not valid_ref(source, ref):
        return False
    if source == Source.OFFICIAL.value:
        query = select(Article.id).where(
            Article.slug == ref, Article.status == ArticleStatus.PUBLISHED
        )
    else:
        query = select(Question.id).where(
            Question.id == int(ref), Question.moderation == Moderation.VISIBLE
        )
    return session.scalar(query) is not None


def chat_context(*, session: Session, token: str) -> ChatContext:
    """The chat start with this token and its article; raises ChatStartNotFound."""
    chat = get_chat_start(session=session, token=token)
    article = None
    if chat.article_id is not None:
        article = session.scalar(
            select(Article).where(
                Article.id == chat.article_id, Article.status == ArticleStatus.PUBLISHED
            )
        )
    return ChatContext(chat, article)
