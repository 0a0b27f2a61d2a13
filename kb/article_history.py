"""An article's revision history: writing, listing, looking up, who wrote them, diffs between two."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kb.articles import _category
from kb.changes import record_change
from kb.editorial_errors import RevisionNotFound
from kb.editorial_input import Draft
from kb.models import Article, ArticleRevision, Category, User, utcnow
from kb.revision_diff import RevisionDiff, compare


def revisions(*, session: Session, article: Article) -> list[ArticleRevision]:
    """The article's revisions, newest first."""
    query = (
        select(ArticleRevision)
        .where(ArticleRevision.article_id == article.id)
        .order_by(ArticleRevision.number.desc())
    )
    return list(session.scalars(query))


def get_revision(*, session: Session, article: Article, number: int) -> ArticleRevision:
    """Revision ``number`` of the article; raises RevisionNotFound saying which ones exist."""
    found = None
    if isinstance(number, int) and not isinstance(number, bool):
        found = session.scalar(
            select(ArticleRevision).where(
                ArticleRevision.article_id == article.id, ArticleRevision.number == number
            )
        )
    if found is not None:
        return found
    count = session.scalar(select(func.count()).where(ArticleRevision.article_id == article.id))
    have = f"it has revisions 1 to {article.revision_number}" if count else "it has none"
    raise RevisionNotFound(
        f"The article {article.slug!r} has no revision {number!r}; {have}.", field="number"
    )


def revision_authors(*, session: Session, revisions: Iterable[ArticleRevision]) -> dict[int, User]:
    """The users who wrote ``revisions``, by id (for showing who made each one)."""
    ids = {r.author_id for r in revisions if r.author_id is not None}
    if not ids:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))}


def diff(*, session: Session, article: Article, a: int, b: int) -> RevisionDiff:
    """What changed from revision ``a`` to revision ``b`` (per field; the body line by line)."""
    older = get_revision(session=session, article=article, number=a)
    newer = get_revision(session=session, article=article, number=b)
    ids = {r.category_id for r in (older, newer) if r.category_id is not None}
    categories: dict[int, str] = {}
    if ids:
        query = select(Category.id, Category.slug).where(Category.id.in_(ids))
        categories = {cid: slug for cid, slug in session.execute(query)}
    return compare(older, newer, categories=categories)


def write_revision(
    session: Session, article: Article, content: Draft, author: User, note: str
) -> ArticleRevision:
    """Store ``content`` as the article's next revision and append a change record (flushes)."""
    category_id = None
    if content.category is not None:
        category_id = _category(session, content.category).id
    article.revision_number += 1
    article.updated_at = utcnow()
    session.flush()
    revision = ArticleRevision(
        article_id=article.id,
        number=article.revision_number,
        title=content.title,
        slug=content.slug,
        summary=content.summary,
        body=content.body,
        category_id=category_id,
        tags=list(content.tags),
        status=content.status,
        author_id=author.id,
        note=note.strip(),
    )
    session.add(revision)
    session.flush()
    record_change(session=session, kind="article", entity_id=article.id)
    return revision
