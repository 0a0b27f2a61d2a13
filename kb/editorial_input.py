"""Checking what editors type: content fields, slugs (free, well formed), owners, dates, notes.

Every problem is an EditorialError naming the field, so the web layer can show it beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.articles import (
    MAX_BODY,
    MAX_SLUG,
    ArticleError,
    _category,
    _check_slug,
    _clean_tags,
    _clean_title,
    slugify,
)
from kb.editorial_errors import EDITORS, EditorialError
from kb.models import Article, ArticleRevision, ArticleStatus, User

EDITABLE_FIELDS = ("title", "slug", "summary", "body", "category", "tags", "owner_id", "review_by")
ORIGINS = ("", "conversation", "community")
MAX_SUMMARY = 1_000
MAX_NOTE = 1_000
MAX_ORIGIN_REF = 200


@dataclass(frozen=True)
class Draft:
    """The content an editor is working on: the pending revision if any, else the article."""

    title: str
    slug: str
    summary: str
    body: str
    category: str | None  # category slug
    tags: tuple[str, ...]
    status: ArticleStatus  # of the working content: a pending revision is draft or in_review
    revision: int  # number of the revision holding this content
    pending: bool  # True when this is a pending revision of a published article
    owner_id: int | None
    review_by: date | None


def changed_content(
    session: Session, article: Article | None, current: Draft, changes: dict[str, Any]
) -> Draft:
    """``current`` with the content fields in ``changes`` validated and applied."""
    values: dict[str, Any] = {}
    for name in ("title", "slug", "summary", "body"):
        if name in changes and not isinstance(changes[name], str):
            raise EditorialError(f"{name} must be text", field=name)
    if "title" in changes:
        try:
            values["title"] = _clean_title(changes["title"])
        except ArticleError as error:
            raise EditorialError(str(error), field="title") from None
    if "tags" in changes:
        try:
            values["tags"] = tuple(_clean_tags(changes["tags"] or ()))
        except ArticleError as error:
            raise EditorialError(str(error), field="tags") from None
    if "summary" in changes:
        values["summary"] = changes["summary"].strip()
        if len(values["summary"]) > MAX_SUMMARY:
            raise EditorialError(
                f"summary is {len(values['summary']):,} characters; the limit is {MAX_SUMMARY:,}",
                field="summary",
            )
    if "body" in changes:
        if len(changes["body"]) > MAX_BODY:
            raise EditorialError(
                f"body is {len(changes['body']):,} characters; the limit is {MAX_BODY:,}",
                field="body",
            )
        values["body"] = changes["body"]
    if "category" in changes:
        values["category"] = category_slug(session, changes["category"])
    if "slug" in changes and changes["slug"] != current.slug:
        values["slug"] = valid_slug(session, changes["slug"], article=article)
    return replace(current, **values)


def category_slug(session: Session, value: object) -> str | None:
    """The slug of an existing category, or None for no category."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise EditorialError("category must be a category slug", field="category")
    try:
        return _category(session, value).slug
    except ArticleError as error:
        raise EditorialError(str(error), field="category") from None


def valid_slug(session: Session, slug: str, *, article: Article | None) -> str:
    """``slug`` if well formed and not used by another article; EditorialError otherwise."""
    try:
        _check_slug(slug, limit=MAX_SLUG, what="slug")
    except ArticleError as error:
        raise EditorialError(str(error), field="slug") from None
    other = session.scalar(select(Article).where(Article.slug == slug))
    if other is not None and other is not article:
        raise EditorialError(
            f"The slug {slug!r} is already used by the article {other.title!r}; choose another.",
            field="slug",
        )
    claim = session.scalar(
        select(Article)
        .join(ArticleRevision, ArticleRevision.article_id == Article.id)
        .where(ArticleRevision.number == Article.draft_revision, ArticleRevision.slug == slug)
    )
    if claim is not None and claim is not article:
        raise EditorialError(
            f"The slug {slug!r} is taken by unpublished changes to the article "
            f"{claim.title!r}; choose another.",
            field="slug",
        )
    return slug


def slug_free(session: Session, slug: str, *, article: Article) -> bool:
    """Whether ``article`` could take ``slug``."""
    try:
        valid_slug(session, slug, article=article)
    except EditorialError:
        return False
    return True


def slug_from_title(title: str) -> str:
    """A slug from the title, or EditorialError when it has no ASCII letters or digits."""
    try:
        return slugify(title)
    except ArticleError as error:
        raise EditorialError(f"{error}; give a slug", field="slug") from None


def owner_id_of(session: Session, owner_id: object) -> int | None:
    """``owner_id`` if it names an editor or admin; EditorialError otherwise."""
    if owner_id is None or owner_id == "":
        return None
    if isinstance(owner_id, bool) or not isinstance(owner_id, int):
        raise EditorialError("owner_id must be a user id", field="owner_id")
    owner = session.get(User, owner_id)
    if owner is None or owner.role not in EDITORS:
        raise EditorialError(f"owner {owner_id} is not an editor or admin", field="owner_id")
    return owner.id


def review_date(value: object) -> date | None:
    """A review-by date from a date or an ISO ``YYYY-MM-DD`` string (None or "" for none)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise EditorialError(f"review_by {value!r} is not a date like 2026-12-31", field="review_by")


def check_note(note: str) -> None:
    """Raise EditorialError if the revision note is too long."""
    if len(note) > MAX_NOTE:
        raise EditorialError(
            f"note is {len(note):,} characters; the limit is {MAX_NOTE:,}", field="note"
        )


def live_content(article: Article) -> Draft:
    """The article's own (live) fields as a Draft."""
    return Draft(
        title=article.title,
        slug=article.slug,
        summary=article.summary,
        body=article.body,
        category=article.category.slug if article.category else None,
        tags=tuple(article.tags),
        status=article.status,
        revision=article.revision_number,
        pending=False,
        owner_id=article.owner_id,
        review_by=article.review_by,
    )
