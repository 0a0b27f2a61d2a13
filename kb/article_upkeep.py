"""Keeping articles true: stale content by owner, curating phrasings, following old slugs."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.articles import ArticleError, ArticleNotFound, _clean_phrasing
from kb.changes import record_change
from kb.editorial_errors import EDITORS, EditorialError, PhrasingNotFound, check_role
from kb.models import Article, ArticleRedirect, ArticleStatus, Phrasing, User


def stale(*, session: Session, today: date) -> list[Article]:
    """Published articles whose review-by date is before ``today``, by owner then date.

    Owners sort by name; articles without an owner come last.
    """
    query = select(Article).where(
        Article.status == ArticleStatus.PUBLISHED,
        Article.review_by.is_not(None),
        Article.review_by < today,
    )
    found = list(session.scalars(query))
    return sorted(found, key=_owner_order)


def stale_by_owner(*, session: Session, today: date) -> list[tuple[User | None, list[Article]]]:
    """The stale articles grouped by owner (None: no owner), in the order of ``stale``."""
    groups: list[tuple[User | None, list[Article]]] = []
    for article in stale(session=session, today=today):
        if groups and groups[-1][0] is article.owner:
            groups[-1][1].append(article)
        else:
            groups.append((article.owner, [article]))
    return groups


def phrasings(*, session: Session, article: Article) -> list[Phrasing]:
    """The article's phrasings, editor-written and learnt from confirmed resolutions, oldest first."""
    query = select(Phrasing).where(Phrasing.article_id == article.id).order_by(Phrasing.id)
    return list(session.scalars(query))


def update_phrasing(
    *, session: Session, article: Article, phrasing_id: int, text: str, editor: User
) -> Phrasing:
    """Reword one of the article's phrasings (editors and admins only); search learns it."""
    check_role(editor, EDITORS, "edit phrasings")
    phrasing = _phrasing(session, article, phrasing_id)
    try:
        cleaned = _clean_phrasing(text)
    except ArticleError as error:
        raise EditorialError(str(error), field="text") from None
    for other in phrasings(session=session, article=article):
        if other.id != phrasing.id and other.text.casefold() == cleaned.casefold():
            raise EditorialError(
                f"The article already has the phrasing {other.text!r}.", field="text"
            )
    phrasing.text = cleaned
    session.flush()
    record_change(session=session, kind="article", entity_id=article.id)
    return phrasing


def remove_phrasing(*, session: Session, article: Article, phrasing_id: int, editor: User) -> None:
    """Remove one of the article's phrasings, e.g. a bad learnt one (editors and admins only)."""
    check_role(editor, EDITORS, "remove phrasings")
    phrasing = _phrasing(session, article, phrasing_id)
    if phrasing in article.phrasings:
        article.phrasings.remove(phrasing)
    session.delete(phrasing)
    session.flush()
    record_change(session=session, kind="article", entity_id=article.id)


def resolve_slug(*, session: Session, slug: str) -> Article:
    """The article with ``slug``, or the one a former slug now redirects to; ArticleNotFound."""
    article = session.scalar(select(Article).where(Article.slug == slug))
    if article is not None:
        return article
    redirect = session.scalar(select(ArticleRedirect).where(ArticleRedirect.old_slug == slug))
    if redirect is not None:
        target = session.get(Article, redirect.article_id)
        if target is not None:
            return target
    raise ArticleNotFound(f"no article with slug {slug!r}")


def _phrasing(session: Session, article: Article, phrasing_id: int) -> Phrasing:
    """The article's phrasing with ``phrasing_id``; PhrasingNotFound otherwise."""
    phrasing = None
    if isinstance(phrasing_id, int) and not isinstance(phrasing_id, bool):
        phrasing = session.get(Phrasing, phrasing_id)
    if phrasing is None or phrasing.article_id != article.id:
        raise PhrasingNotFound(
            f"The article {article.slug!r} has no phrasing {phrasing_id!r}.", field="phrasing_id"
        )
    return phrasing


def _owner_order(article: Article) -> tuple[bool, str, int, date, str]:
    """Sort key: owned before unowned, owner name, owner id, oldest review date, title."""
    owner = article.owner
    name = owner.display_name.casefold() if owner else ""
    review_by = article.review_by or date.min  # stale() selects only dated articles
    return (owner is None, name, owner.id if owner else 0, review_by, article.title)
