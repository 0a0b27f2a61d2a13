"""How the articles staff API shows articles and revisions (web.api.article_admin's output)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kb import editorial
from kb.documents import Source
from kb.models import Article, ArticleRevision, ArticleStatus, Category, User
from web.api.article_admin_schemas import EditorialArticle, EditorRef, WorkingCopy
from web.urls import content_url


def editor_ref(user: User | None) -> EditorRef | None:
    """A person as the API names them."""
    return None if user is None else EditorRef(id=user.id, name=user.display_name)


def category_slug(session: Session, category_id: int | None) -> str | None:
    """The slug of the category with this id."""
    category = None if category_id is None else session.get(Category, category_id)
    return None if category is None else category.slug


def editorial_article(session: Session, article: Article) -> EditorialArticle:
    """The article, live state and working copy."""
    draft = editorial.working_copy(session=session, article=article)
    published = article.status == ArticleStatus.PUBLISHED
    return EditorialArticle(
        slug=article.slug,
        title=article.title,
        summary=article.summary,
        category=None if article.category is None else article.category.slug,
        tags=list(article.tags),
        status=article.status,
        author=editor_ref(article.author),
        owner=editor_ref(article.owner),
        review_by=article.review_by,
        revision_number=article.revision_number,
        draft_revision=article.draft_revision,
        origin=article.origin,
        origin_ref=article.origin_ref,
        created_at=article.created_at,
        updated_at=article.updated_at,
        published_at=article.published_at,
        url=content_url(Source.OFFICIAL, article.slug, external=True) if published else None,
        working_copy=WorkingCopy(
            title=draft.title,
            slug=draft.slug,
            summary=draft.summary,
            body=draft.body,
            category=draft.category,
            tags=list(draft.tags),
            status=draft.status,
            revision=draft.revision,
            pending=draft.pending,
        ),
    )


def revision_fields(
    session: Session, article: Article, revision: ArticleRevision, authors: dict[int, User]
) -> dict[str, Any]:
    """A revision's fields as the API shows them (body aside)."""
    author = None if revision.author_id is None else authors.get(revision.author_id)
    return {
        "number": revision.number,
        "title": revision.title,
        "slug": revision.slug,
        "summary": revision.summary,
        "category": category_slug(session, revision.category_id),
        "tags": list(revision.tags),
        "status": revision.status,
        "author": editor_ref(author),
        "note": revision.note,
        "created_at": revision.created_at,
        "pending": revision.number == article.draft_revision,
    }
