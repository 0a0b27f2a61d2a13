"""Article services: save with revisions, publish, delete, phrasings, and the lookups views need.

Every function takes the session explicitly and only flushes: the caller owns the transaction.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kb.changes import record_change
from kb.models import (
    Article,
    ArticleRevision,
    ArticleStatus,
    Category,
    Phrasing,
    PhrasingSource,
    User,
    utcnow,
)

MAX_TITLE = 200
MAX_SLUG = 120
MAX_CATEGORY_SLUG = 80
MAX_CATEGORY_NAME = 120
MAX_EXTERNAL_ID = 200
MAX_BODY = 200_000
MAX_TAGS = 20
MAX_TAG = 40
MIN_PHRASING = 1
MAX_PHRASING = 500

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class ArticleError(ValueError):
    """Input for an article, category or phrasing was invalid; the message says what is wrong."""


class ArticleNotFound(LookupError):
    """No article has the requested slug."""


@dataclass(frozen=True)
class SaveOutcome:
    """What ``save_article`` did: the article, whether it was new, whether anything changed."""

    article: Article
    created: bool
    changed: bool


def slugify(text: str) -> str:
    """A URL slug for ``text``: lowercase ASCII words joined by hyphens, at most 120 characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.sub(r"['`]", "", ascii_text.lower())
    slug = re.sub(r"[^a-z0-9]+", "-", words).strip("-")
    if len(slug) > MAX_SLUG:
        cut = slug[: MAX_SLUG + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut[:MAX_SLUG]
    if not slug:
        raise ArticleError(f"cannot make a slug from {text!r}: it has no ASCII letters or digits")
    return slug


def get_or_create_category(
    *,
    session: Session,
    slug: str,
    name: str | None = None,
    description: str | None = None,
    position: int | None = None,
) -> Category:
    """The category with ``slug``, created if missing; the given fields are updated if it exists."""
    _check_slug(slug, limit=MAX_CATEGORY_SLUG, what="category slug")
    if name is not None:
        name = name.strip()
        if not 1 <= len(name) <= MAX_CATEGORY_NAME:
            raise ArticleError(f"category name must be 1 to {MAX_CATEGORY_NAME} characters")
    category = session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        category = Category(
            slug=slug,
            name=name or slug.replace("-", " ").capitalize(),
            description=description or "",
            position=position or 0,
        )
        session.add(category)
    else:
        if name is not None:
            category.name = name
        if description is not None:
            category.description = description
        if position is not None:
            category.position = position
    session.flush()
    return category


def save_article(
    *,
    session: Session,
    title: str,
    body: str,
    slug: str | None = None,
    external_id: str | None = None,
    summary: str = "",
    category: str | None = None,
    tags: Sequence[str] = (),
    status: ArticleStatus | str | None = None,
    author: User | None = None,
    note: str = "",
    phrasings: Sequence[str] | None = None,
) -> SaveOutcome:
    """Create or update an article from its full content; saving unchanged content writes nothing.

    The article is found by ``external_id``, else by ``slug``; otherwise it is created with a
    unique slug (from the title unless given). ``status=None`` keeps the current status (draft for
    a new article); ``phrasings=None`` leaves phrasings alone, a list replaces the editor's ones.
    Any change bumps the revision number, stores a full snapshot and appends a change record.
    """
    title = _clean_title(title)
    if len(body) > MAX_BODY:
        raise ArticleError(f"body is {len(body):,} characters; the limit is {MAX_BODY:,}")
    if slug is not None:
        _check_slug(slug, limit=MAX_SLUG, what="slug")
    if external_id is not None:
        external_id = external_id.strip()
        if not 1 <= len(external_id) <= MAX_EXTERNAL_ID:
            raise ArticleError(f"external_id must be 1 to {MAX_EXTERNAL_ID} characters")
    wanted_phrasings = None if phrasings is None else _clean_phrasings(phrasings)
    values: dict[str, Any] = {
        "title": title,
        "summary": summary.strip(),
        "body": body,
        "category": None if category is None else _category(session, category),
        "tags": _clean_tags(tags),
    }
    if status is not None:
        values["status"] = _parse_status(status)

    article = _find_article(session, external_id=external_id, slug=slug)
    created = article is None
    if article is None:
        article = Article(
            slug=_unique_slug(session, slug or slugify(title), article=None),
            external_id=external_id,
            status=ArticleStatus.DRAFT,
            revision_number=0,
            author=author,
        )
        session.add(article)
    else:
        if slug is not None and slug != article.slug:
            values["slug"] = _unique_slug(session, slug, article=article)
        if external_id is not None:
            values["external_id"] = external_id
    was_published = not created and article.status == ArticleStatus.PUBLISHED
    changed = _assign(article, values)
    if wanted_phrasings is not None:
        changed = _sync_editor_phrasings(article, wanted_phrasings) or changed
    if created or changed:
        if article.status == ArticleStatus.PUBLISHED and not was_published:
            article.published_at = utcnow()
        _write_revision(session, article, author=author, note=note, touch=not created)
    return SaveOutcome(article=article, created=created, changed=created or changed)


def set_status(
    *,
    session: Session,
    article: Article,
    status: ArticleStatus | str,
    actor: User | None = None,
    note: str = "",
) -> Article:
    """Publish, unpublish or archive an article; a real move records a revision and a change."""
    new_status = _parse_status(status)
    if article.status == new_status:
        return article
    article.status = new_status
    if new_status == ArticleStatus.PUBLISHED:
        article.published_at = utcnow()
    _write_revision(session, article, author=actor, note=note, touch=True)
    return article


def delete_article(*, session: Session, article: Article) -> None:
    """Delete an article with its revisions and phrasings; a change record lets indexes drop it."""
    article_id = article.id
    session.delete(article)
    session.flush()
    record_change(session=session, kind="article", entity_id=article_id)


def add_phrasing(
    *,
    session: Session,
    article: Article,
    text: str,
    source: PhrasingSource = PhrasingSource.EDITOR,
) -> Phrasing | None:
    """Teach search another way to ask for ``article``; None if it already knows that phrasing."""
    cleaned = _clean_phrasing(text)
    if any(p.text.casefold() == cleaned.casefold() for p in article.phrasings):
        return None
    phrasing = Phrasing(text=cleaned, source=PhrasingSource(source))
    article.phrasings.append(phrasing)
    session.flush()
    record_change(session=session, kind="article", entity_id=article.id)
    return phrasing


def get_article(*, session: Session, slug: str) -> Article:
    """The article with ``slug``; raises ArticleNotFound."""
    article = session.scalar(select(Article).where(Article.slug == slug))
    if article is None:
        raise ArticleNotFound(f"no article with slug {slug!r}")
    return article


def list_articles(
    *,
    session: Session,
    status: ArticleStatus | str | None = None,
    category: str | None = None,
) -> list[Article]:
    """Articles by title, optionally only those with ``status`` or in the category ``category``."""
    query = select(Article).order_by(Article.title, Article.id)
    if status is not None:
        query = query.where(Article.status == _parse_status(status))
    if category is not None:
        query = query.join(Article.category).where(Category.slug == category)
    return list(session.scalars(query))


def list_revisions(*, session: Session, article: Article) -> list[ArticleRevision]:
    """The article's revisions, oldest first."""
    query = (
        select(ArticleRevision)
        .where(ArticleRevision.article_id == article.id)
        .order_by(ArticleRevision.number)
    )
    return list(session.scalars(query))


def list_categories(*, session: Session) -> list[Category]:
    """All categories in display order (position, then name)."""
    return list(session.scalars(select(Category).order_by(Category.position, Category.name)))


def page_published(
    *, session: Session, category: Category | None = None, offset: int = 0, limit: int = 20
) -> tuple[list[Article], int]:
    """One page of published articles by title (optionally in ``category``) and the total count."""
    if offset < 0 or limit < 1:
        raise ValueError(f"offset must be >= 0 and limit >= 1, got {offset} and {limit}")
    where = [Article.status == ArticleStatus.PUBLISHED]
    if category is not None:
        where.append(Article.category_id == category.id)
    total = session.scalar(select(func.count()).select_from(Article).where(*where)) or 0
    query = select(Article).where(*where).order_by(Article.title, Article.id)
    return list(session.scalars(query.offset(offset).limit(limit))), int(total)


def _find_article(session: Session, *, external_id: str | None, slug: str | None) -> Article | None:
    """The article an import or edit refers to: by external id, else by a slug it may claim."""
    if external_id is not None:
        found = session.scalar(select(Article).where(Article.external_id == external_id))
        if found is not None:
            return found
    if slug is not None:
        found = session.scalar(select(Article).where(Article.slug == slug))
        # An article imported from elsewhere under another id is a different article.
        if found is not None and found.external_id in (None, external_id):
            return found
    return None


def _unique_slug(session: Session, base: str, *, article: Article | None) -> str:
    """``base``, or ``base-2``, ``base-3``… whichever no other article uses."""
    candidate, number = base, 1
    while True:
        owner = session.scalar(select(Article.id).where(Article.slug == candidate))
        if owner is None or (article is not None and owner == article.id):
            return candidate
        number += 1
        suffix = f"-{number}"
        candidate = base[: MAX_SLUG - len(suffix)].rstrip("-") + suffix


def _assign(article: Article, values: dict[str, Any]) -> bool:
    """Set the attributes that differ; whether any did."""
    changed = False
    for name, value in values.items():
        current = getattr(article, name)
        differs = current is not value if name == "category" else current != value
        if differs:
            setattr(article, name, value)
            changed = True
    return changed


def _sync_editor_phrasings(article: Article, wanted: list[str]) -> bool:
    """Make the editor's phrasings exactly ``wanted``, keeping those learnt from resolutions."""
    editor = {p.text.casefold(): p for p in article.phrasings if p.source == PhrasingSource.EDITOR}
    learnt = {p.text.casefold() for p in article.phrasings if p.source != PhrasingSource.EDITOR}
    changed = False
    keep: set[str] = set()
    for text in wanted:
        key = text.casefold()
        if key in learnt:
            continue
        keep.add(key)
        existing = editor.get(key)
        if existing is None:
            article.phrasings.append(Phrasing(text=text, source=PhrasingSource.EDITOR))
            changed = True
        elif existing.text != text:
            existing.text = text
            changed = True
    for key, phrasing in editor.items():
        if key not in keep:
            article.phrasings.remove(phrasing)
            changed = True
    return changed


def _write_revision(
    session: Session, article: Article, *, author: User | None, note: str, touch: bool
) -> None:
    """Bump the revision number, store a full snapshot and append a change record."""
    if touch:
        article.updated_at = utcnow()
    article.revision_number += 1
    session.flush()
    session.add(
        ArticleRevision(
            article_id=article.id,
            number=article.revision_number,
            title=article.title,
            slug=article.slug,
            summary=article.summary,
            body=article.body,
            category_id=article.category_id,
            tags=list(article.tags),
            status=article.status,
            author_id=author.id if author is not None else None,
            note=note,
        )
    )
    session.flush()
    record_change(session=session, kind="article", entity_id=article.id)


def _category(session: Session, slug: str) -> Category:
    """The category with ``slug``; an ArticleError names it if it does not exist."""
    category = session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        raise ArticleError(f"unknown category {slug!r}; create it first")
    return category


def _check_slug(slug: str, *, limit: int, what: str) -> None:
    """Raise ArticleError unless ``slug`` is lowercase ASCII words joined by single hyphens."""
    if not isinstance(slug, str) or not _SLUG.fullmatch(slug) or len(slug) > limit:
        raise ArticleError(
            f"{what} {slug!r} is invalid: use lowercase ASCII letters, digits and single "
            f"hyphens, at most {limit} characters"
        )


def _clean_title(title: str) -> str:
    """The stripped title, or ArticleError if it is empty or too long."""
    title = title.strip()
    if not title:
        raise ArticleError("title is empty")
    if len(title) > MAX_TITLE:
        raise ArticleError(f"title is {len(title)} characters; the limit is {MAX_TITLE}")
    return title


def _clean_tags(tags: Iterable[str]) -> list[str]:
    """Stripped tags without blanks or repeats; ArticleError if there are too many or too long."""
    if isinstance(tags, str):
        raise ArticleError("tags must be a list of strings, not a single string")
    cleaned: list[str] = []
    for raw in tags:
        if not isinstance(raw, str):
            raise ArticleError(f"tags must be strings, got {raw!r}")
        tag = raw.strip()
        if len(tag) > MAX_TAG:
            raise ArticleError(f"tag {tag[:50]!r} is {len(tag)} characters; the limit is {MAX_TAG}")
        if tag and tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ArticleError(f"{len(cleaned)} tags given; the limit is {MAX_TAGS}")
    return cleaned


def _parse_status(status: ArticleStatus | str) -> ArticleStatus:
    """The ArticleStatus for ``status``, or ArticleError listing the valid ones."""
    try:
        return ArticleStatus(status)
    except ValueError:
        valid = ", ".join(s.value for s in ArticleStatus)
        raise ArticleError(f"unknown article status {status!r}; expected one of {valid}") from None


def _clean_phrasing(text: str) -> str:
    """The stripped phrasing, or ArticleError if it is empty or over 500 characters."""
    cleaned = " ".join(text.split())
    if not MIN_PHRASING <= len(cleaned) <= MAX_PHRASING:
        raise ArticleError(
            f"phrasing {cleaned[:50]!r} is {len(cleaned)} characters; "
            f"it must be {MIN_PHRASING} to {MAX_PHRASING}"
        )
    return cleaned


def _clean_phrasings(phrasings: Sequence[str]) -> list[str]:
    """Cleaned phrasings without case-insensitive repeats, in the given order."""
    if isinstance(phrasings, str):
        raise ArticleError("phrasings must be a list of strings, not a single string")
    cleaned: dict[str, str] = {}
    for text in phrasings:
        phrasing = _clean_phrasing(text)
        cleaned.setdefault(phrasing.casefold(), phrasing)
    return list(cleaned.values())
