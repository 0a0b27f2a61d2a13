"""The editors' article lifecycle: drafts, pending revisions of live articles, review, publishing.

Workflow: draft → in_review → published → archived. Editing a published article writes a pending
draft revision (``Article.draft_revision``) while the published fields stay live; publishing
copies it live. Agents may write drafts and submit them; only editors and admins publish,
unpublish, archive, restore and edit anything but drafts.

Every function takes the session explicitly and only flushes: the caller owns the transaction.
Input checks live in ``kb.editorial_input``, history and diffs in ``kb.article_history``, stale
content, phrasings and redirects in ``kb.article_upkeep``; all is re-exported here (one import).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kb.article_history import diff, get_revision, revision_authors, revisions, write_revision
from kb.article_upkeep import (
    phrasings,
    remove_phrasing,
    resolve_slug,
    stale,
    stale_by_owner,
    update_phrasing,
)
from kb.articles import ArticleNotFound, _category, _unique_slug
from kb.editorial_errors import (
    EDITORS,
    WRITERS,
    EditorialError,
    NotAllowed,
    PhrasingNotFound,
    RevisionNotFound,
    WorkflowError,
    check_role,
)
from kb.editorial_input import (
    EDITABLE_FIELDS,
    MAX_ORIGIN_REF,
    ORIGINS,
    Draft,
    changed_content,
    check_note,
    live_content,
    owner_id_of,
    review_date,
    slug_free,
    slug_from_title,
    valid_slug,
)
from kb.models import (
    Article,
    ArticleRedirect,
    ArticleRevision,
    ArticleStatus,
    Category,
    User,
    utcnow,
)

__all__ = [
    "EDITABLE_FIELDS",
    "EDITORS",
    "ORIGINS",
    "WRITERS",
    "ArticleNotFound",
    "Draft",
    "EditorialError",
    "NotAllowed",
    "PhrasingNotFound",
    "RevisionNotFound",
    "WorkflowError",
    "archive",
    "create_draft",
    "diff",
    "edit",
    "get_revision",
    "phrasings",
    "publish",
    "remove_phrasing",
    "resolve_slug",
    "restore",
    "revision_authors",
    "revisions",
    "stale",
    "stale_by_owner",
    "submit",
    "unpublish",
    "update_phrasing",
    "working_copy",
]


def create_draft(
    *,
    session: Session,
    editor: User,
    title: str,
    body: str,
    summary: str = "",
    category: str | None = None,
    tags: tuple[str, ...] | list[str] = (),
    slug: str | None = None,
    owner_id: int | None = None,
    review_by: date | str | None = None,
    origin: str = "",
    origin_ref: str = "",
    note: str = "",
) -> Article:
    """A new draft article with revision 1; agents, editors and admins may write one.

    A given slug must be free (EditorialError with ``field="slug"`` otherwise); without one the
    slug comes from the title, made unique.
    """
    check_role(editor, WRITERS, "write article drafts")
    check_note(note)
    if origin not in ORIGINS:
        raise EditorialError(f"origin must be one of {ORIGINS}, not {origin!r}", field="origin")
    if len(origin_ref) > MAX_ORIGIN_REF:
        raise EditorialError(f"origin_ref is over {MAX_ORIGIN_REF} characters", field="origin_ref")
    fields = {"title": title, "body": body, "summary": summary, "tags": tags, "category": category}
    blank = Draft("", "", "", "", None, (), ArticleStatus.DRAFT, 0, False, None, None)
    content = changed_content(session, None, blank, fields)
    if slug is None:
        new_slug = _unique_slug(session, slug_from_title(content.title), article=None)
    else:
        new_slug = valid_slug(session, slug, article=None)
    article = Article(
        slug=new_slug,
        title=content.title,
        summary=content.summary,
        body=content.body,
        category=_category(session, content.category) if content.category else None,
        tags=list(content.tags),
        status=ArticleStatus.DRAFT,
        revision_number=0,
        author=editor,
        owner_id=owner_id_of(session, owner_id),
        review_by=review_date(review_by),
        origin=origin,
        origin_ref=origin_ref,
    )
    session.add(article)
    session.flush()
    _forget_redirect(session, new_slug)
    write_revision(session, article, live_content(article), editor, note)
    return article


def working_copy(*, session: Session, article: Article) -> Draft:
    """The content being edited: the pending revision of a published article, else the article."""
    if article.draft_revision is None:
        return live_content(article)
    revision = get_revision(session=session, article=article, number=article.draft_revision)
    category = session.get(Category, revision.category_id) if revision.category_id else None
    return Draft(
        title=revision.title,
        slug=revision.slug or article.slug,
        summary=revision.summary,
        body=revision.body,
        category=category.slug if category else None,
        tags=tuple(revision.tags),
        status=revision.status,
        revision=revision.number,
        pending=True,
        owner_id=article.owner_id,
        review_by=article.review_by,
    )


def edit(
    *, session: Session, article: Article, editor: User, note: str = "", **changes: Any
) -> ArticleRevision:
    """Apply ``changes`` (fields in EDITABLE_FIELDS) and return the revision holding the result.

    Published: a pending draft revision is written and the live version stays until publish
    (a slug change then leaves a redirect at publish time). Other states are edited in place
    (a slug change leaves a redirect at once). ``owner_id`` and ``review_by`` apply at once.
    Unchanged content writes no revision (the current one is returned). Agents edit only drafts.
    """
    for name in changes:
        if name not in EDITABLE_FIELDS:
            allowed = ", ".join(EDITABLE_FIELDS)
            raise EditorialError(f"{name!r} cannot be edited; editable: {allowed}", field=name)
    if article.status == ArticleStatus.DRAFT:
        check_role(editor, WRITERS, "edit draft articles")
    else:
        check_role(editor, EDITORS, f"edit {article.status.value.replace('_', ' ')} articles")
    check_note(note)
    current = working_copy(session=session, article=article)
    content = changed_content(session, article, current, changes)
    owner_id = article.owner_id
    if "owner_id" in changes:
        owner_id = owner_id_of(session, changes["owner_id"])
    review_by = review_date(changes.get("review_by", article.review_by))
    article.owner_id, article.review_by = owner_id, review_by
    if content == current:
        session.flush()
        return get_revision(session=session, article=article, number=current.revision)
    if article.status == ArticleStatus.PUBLISHED:
        status = current.status if current.pending else ArticleStatus.DRAFT
        revision = write_revision(session, article, replace(content, status=status), editor, note)
        article.draft_revision = revision.number
        session.flush()
        return revision
    _put_live(session, article, content)
    return write_revision(session, article, live_content(article), editor, note)


def submit(*, session: Session, article: Article, editor: User, note: str = "") -> Article:
    """Send a draft (or a published article's pending revision) for review."""
    check_role(editor, WRITERS, "submit articles for review")
    check_note(note)
    if article.status == ArticleStatus.PUBLISHED:
        current = working_copy(session=session, article=article)
        if not current.pending:
            raise WorkflowError(f"{_name(article)} is published and has no changes to submit.")
        if current.status == ArticleStatus.IN_REVIEW:
            raise WorkflowError(f"The changes to {_name(article)} are already in review.")
        pending = replace(current, status=ArticleStatus.IN_REVIEW)
        article.draft_revision = write_revision(session, article, pending, editor, note).number
        session.flush()
        return article
    if article.status != ArticleStatus.DRAFT:
        raise WorkflowError(
            f"{_name(article)} is {_state(article)}; only drafts can be submitted for review."
        )
    return _move(session, article, ArticleStatus.IN_REVIEW, editor, note)


def publish(*, session: Session, article: Article, editor: User, note: str = "") -> Article:
    """Make a draft, an article in review or a pending revision live (editors and admins only)."""
    check_role(editor, EDITORS, "publish articles")
    check_note(note)
    if article.status == ArticleStatus.ARCHIVED:
        raise WorkflowError(f"{_name(article)} is archived; unpublish it to a draft first.")
    if article.status == ArticleStatus.PUBLISHED:
        if article.draft_revision is None:
            raise WorkflowError(f"{_name(article)} is already published with no pending changes.")
        _put_live(session, article, working_copy(session=session, article=article))
        article.draft_revision = None
    article.published_at = utcnow()
    return _move(session, article, ArticleStatus.PUBLISHED, editor, note)


def unpublish(*, session: Session, article: Article, editor: User, note: str = "") -> Article:
    """Take a published or archived article back to draft (editors and admins only).

    A pending revision becomes the draft's content (its slug change leaves a redirect).
    """
    check_role(editor, EDITORS, "unpublish articles")
    check_note(note)
    if article.status not in (ArticleStatus.PUBLISHED, ArticleStatus.ARCHIVED):
        raise WorkflowError(
            f"{_name(article)} is {_state(article)}; only published or archived articles "
            "can be unpublished."
        )
    if article.draft_revision is not None:
        _put_live(session, article, working_copy(session=session, article=article))
        article.draft_revision = None
    return _move(session, article, ArticleStatus.DRAFT, editor, note)


def archive(*, session: Session, article: Article, editor: User, note: str = "") -> Article:
    """Archive an article in any other state (editors and admins only).

    A pending revision is dropped from the working copy; it stays in the history to restore.
    """
    check_role(editor, EDITORS, "archive articles")
    check_note(note)
    if article.status == ArticleStatus.ARCHIVED:
        raise WorkflowError(f"{_name(article)} is already archived.")
    article.draft_revision = None
    return _move(session, article, ArticleStatus.ARCHIVED, editor, note)


def restore(
    *, session: Session, article: Article, number: int, editor: User, note: str = ""
) -> ArticleRevision:
    """Write revision ``number``'s content as a new revision (pending if the article is live).

    Its slug comes back only if no other article took it meanwhile; restoring content equal to
    the working copy writes nothing and returns the current revision.
    """
    old = get_revision(session=session, article=article, number=number)
    category = session.get(Category, old.category_id) if old.category_id else None
    changes: dict[str, Any] = {
        "title": old.title,
        "summary": old.summary,
        "body": old.body,
        "category": category.slug if category else None,
        "tags": list(old.tags),
    }
    if old.slug and slug_free(session, old.slug, article=article):
        changes["slug"] = old.slug
    note = note.strip() or f"Restored revision {number}."
    return edit(session=session, article=article, editor=editor, note=note, **changes)


def _move(
    session: Session, article: Article, status: ArticleStatus, editor: User, note: str
) -> Article:
    """Set the article's status, write a revision and let search know."""
    article.status = status
    write_revision(session, article, live_content(article), editor, note)
    return article


def _put_live(session: Session, article: Article, content: Draft) -> None:
    """Copy ``content`` into the article's live fields; a new slug leaves a redirect."""
    article.title = content.title
    article.summary = content.summary
    article.body = content.body
    article.category = _category(session, content.category) if content.category else None
    article.tags = list(content.tags)
    if content.slug != article.slug:
        new_slug = valid_slug(session, content.slug, article=article)
        _forget_redirect(session, new_slug)
        old = session.scalar(
            select(ArticleRedirect).where(ArticleRedirect.old_slug == article.slug)
        )
        if old is None:
            session.add(ArticleRedirect(old_slug=article.slug, article_id=article.id))
        else:
            old.article_id = article.id
        article.slug = new_slug
    session.flush()


def _forget_redirect(session: Session, slug: str) -> None:
    """Drop a redirect from ``slug``: an article now has that slug itself."""
    session.execute(delete(ArticleRedirect).where(ArticleRedirect.old_slug == slug))


def _name(article: Article) -> str:
    """How messages name an article."""
    return f"The article {article.title!r}"


def _state(article: Article) -> str:
    """The article's status in words."""
    return article.status.value.replace("_", " ")
