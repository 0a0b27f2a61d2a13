"""The articles staff API: write drafts, edit, move them through review and publishing, revisions.

Mirrors the editor console for headless migration and management. Every call needs
``Authorization: Bearer <staff token>`` of an editor or admin (agents get 403); being
token-authenticated the endpoints are exempt from CSRF. The public ``GET /api/v1/articles`` and
``GET /api/v1/articles/{slug}`` (web.api.articles) show published articles only; editors read
drafts through ``GET /api/v1/articles/{slug}/working-copy``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, g
from spectree import Response as Responses
from sqlalchemy.orm import Session

from kb import editorial
from kb.articles import ArticleError, ArticleNotFound
from kb.models import Article, User
from web.api import bp
from web.api.article_admin_output import editorial_article, revision_fields
from web.api.article_admin_schemas import (
    ArticleChanges,
    EditorialArticle,
    NewArticle,
    RevisionDetail,
    RevisionListQuery,
    RevisionPage,
    RevisionSummary,
    WorkflowNote,
)
from web.api.errors import InvalidInput, error_json
from web.api.schemas import ErrorResponse
from web.api.spec import STAFF_TOKEN, api_spec
from web.db import db_session
from web.roles import EDITORS, api_endpoint

F = TypeVar("F", bound=Callable[..., Any])
Move = Callable[..., Article]
TAGS = ["articles (staff)"]
SLUG = {"slug": "The article's slug (a former slug finds the article it moved to)."}
REVISION = {**SLUG, "number": "The revision's number, from 1."}
AUTH: dict[str, Any] = {"HTTP_401": ErrorResponse, "HTTP_403": ErrorResponse}
FOUND: dict[str, Any] = {**AUTH, "HTTP_404": ErrorResponse}
WRITE: dict[str, Any] = {**FOUND, "HTTP_400": ErrorResponse}
MOVE: dict[str, Any] = {**WRITE, "HTTP_409": ErrorResponse}
NOTHING_TO_CHANGE = "Nothing to change: send at least one of {fields}."


def workflow_endpoint(action: str) -> Callable[[F], F]:
    """``POST /articles/<slug>/<action>``: one workflow move on an article, with an optional note."""

    def register(view: F) -> F:
        spec = api_spec.validate(
            json=WorkflowNote,
            resp=Responses(HTTP_200=EditorialArticle, **MOVE),
            tags=TAGS,
            operation_id=f"{action}Article",
            security=STAFF_TOKEN,
            path_parameter_descriptions=SLUG,
        )
        endpoint: F = api_endpoint(*EDITORS)(spec(view))
        return bp.post(f"/articles/<slug>/{action}")(endpoint)

    return register


@bp.post("/articles")
@api_endpoint(*EDITORS)
@api_spec.validate(
    json=NewArticle,
    resp=Responses(HTTP_201=EditorialArticle, **{**AUTH, "HTTP_400": ErrorResponse}),
    tags=TAGS,
    operation_id="createArticleDraft",
    security=STAFF_TOKEN,
)
def create_article(json: NewArticle) -> tuple[EditorialArticle, int, dict[str, str]]:
    """Write a new draft article (slug from the title unless given); 201 with it."""
    session = db_session()
    article = editorial.create_draft(
        session=session,
        editor=_editor(session),
        title=json.title,
        body=json.body,
        summary=json.summary or "",
        category=json.category,
        tags=json.tags or [],
        slug=json.slug,
        owner_id=json.owner_id,
        review_by=json.review_by,
        note=json.note or "",
    )
    session.commit()
    location = f"/api/v1/articles/{article.slug}/working-copy"
    return editorial_article(session, article), 201, {"Location": location}


@bp.get("/articles/<slug>/working-copy")
@api_endpoint(*EDITORS)
@api_spec.validate(
    resp=Responses(HTTP_200=EditorialArticle, **FOUND),
    tags=TAGS,
    operation_id="getArticleWorkingCopy",
    security=STAFF_TOKEN,
    path_parameter_descriptions=SLUG,
)
def get_working_copy(slug: str) -> EditorialArticle:
    """Read an article in any state, with the content being worked on (drafts included)."""
    session = db_session()
    return editorial_article(session, _article(session, slug))


@bp.patch("/articles/<slug>")
@api_endpoint(*EDITORS)
@api_spec.validate(
    json=ArticleChanges,
    resp=Responses(HTTP_200=EditorialArticle, **MOVE),
    tags=TAGS,
    operation_id="editArticle",
    security=STAFF_TOKEN,
    path_parameter_descriptions=SLUG,
)
def edit_article(slug: str, json: ArticleChanges) -> EditorialArticle:
    """Change some fields; a published article gets a pending revision and stays live as it was."""
    changes = json.changes()
    if not changes:
        fields = ", ".join(sorted(editorial.EDITABLE_FIELDS))
        raise InvalidInput(NOTHING_TO_CHANGE.format(fields=fields))
    session = db_session()
    article = _article(session, slug)
    editorial.edit(
        session=session, article=article, editor=_editor(session), note=json.note or "", **changes
    )
    session.commit()
    return editorial_article(session, article)


@workflow_endpoint("submit")
def submit_article(slug: str, json: WorkflowNote) -> EditorialArticle:
    """Send a draft (or a published article's pending revision) for review."""
    return _move(slug, json.note, editorial.submit)


@workflow_endpoint("publish")
def publish_article(slug: str, json: WorkflowNote) -> EditorialArticle:
    """Publish a draft, an article in review or a pending revision; search has it within a second."""
    return _move(slug, json.note, editorial.publish)


@workflow_endpoint("unpublish")
def unpublish_article(slug: str, json: WorkflowNote) -> EditorialArticle:
    """Take a published or archived article back to draft, out of the help centre and search."""
    return _move(slug, json.note, editorial.unpublish)


@workflow_endpoint("archive")
def archive_article(slug: str, json: WorkflowNote) -> EditorialArticle:
    """Archive an article, out of the help centre and search."""
    return _move(slug, json.note, editorial.archive)


@bp.get("/articles/<slug>/revisions")
@api_endpoint(*EDITORS)
@api_spec.validate(
    resp=Responses(HTTP_200=RevisionPage, **FOUND),
    tags=TAGS,
    operation_id="listArticleRevisions",
    security=STAFF_TOKEN,
    path_parameter_descriptions=SLUG,
)
def list_article_revisions(slug: str, query: RevisionListQuery) -> RevisionPage:
    """List an article's revisions, newest first: who, when, with which note."""
    session = db_session()
    article = _article(session, slug)
    everything = editorial.revisions(session=session, article=article)
    shown = everything[query.offset : query.offset + query.per_page]
    authors = editorial.revision_authors(session=session, revisions=shown)
    return RevisionPage(
        items=[
            RevisionSummary(**revision_fields(session, article, revision, authors))
            for revision in shown
        ],
        **query.envelope(len(everything)),
    )


@bp.get("/articles/<slug>/revisions/<int:number>")
@api_endpoint(*EDITORS)
@api_spec.validate(
    resp=Responses(HTTP_200=RevisionDetail, **FOUND),
    tags=TAGS,
    operation_id="getArticleRevision",
    security=STAFF_TOKEN,
    path_parameter_descriptions=REVISION,
)
def get_article_revision(slug: str, number: int) -> RevisionDetail:
    """Read one revision with its Markdown."""
    session = db_session()
    article = _article(session, slug)
    revision = editorial.get_revision(session=session, article=article, number=number)
    authors = editorial.revision_authors(session=session, revisions=[revision])
    return RevisionDetail(
        **revision_fields(session, article, revision, authors), body=revision.body
    )


@bp.post("/articles/<slug>/revisions/<int:number>/restore")
@api_endpoint(*EDITORS)
@api_spec.validate(
    json=WorkflowNote,
    resp=Responses(HTTP_200=EditorialArticle, **MOVE),
    tags=TAGS,
    operation_id="restoreArticleRevision",
    security=STAFF_TOKEN,
    path_parameter_descriptions=REVISION,
)
def restore_article_revision(slug: str, number: int, json: WorkflowNote) -> EditorialArticle:
    """Write revision ``number``'s content as a new revision (pending while the article is live)."""
    session = db_session()
    article = _article(session, slug)
    editorial.restore(
        session=session, article=article, number=number, editor=_editor(session), note=json.note
    )
    session.commit()
    return editorial_article(session, article)


@bp.errorhandler(ArticleNotFound)
@bp.errorhandler(editorial.RevisionNotFound)
def article_not_found(error: LookupError | editorial.RevisionNotFound) -> tuple[Response, int]:
    """An unknown slug, or a revision number the article does not have."""
    return error_json(404, _sentence(str(error)))


@bp.errorhandler(editorial.NotAllowed)
def editorial_not_allowed(error: editorial.NotAllowed) -> tuple[Response, int]:
    """Something the caller's role does not allow."""
    return error_json(403, _sentence(str(error)))


@bp.errorhandler(editorial.WorkflowError)
def illegal_move(error: editorial.WorkflowError) -> tuple[Response, int]:
    """A move the article's state does not allow (publishing an archived article, …)."""
    return error_json(409, _sentence(str(error)))


@bp.errorhandler(editorial.EditorialError)
@bp.errorhandler(ArticleError)
def editorial_invalid(error: ValueError) -> tuple[Response, int]:
    """Input the editorial rules refuse (a slug clash, an unknown category): 400 naming the field."""
    message = _sentence(str(error))
    field = getattr(error, "field", None)
    return error_json(400, message, {field: message} if field else None)


def _move(slug: str, note: str, move: Move) -> EditorialArticle:
    """Make one workflow move on the article as the caller, and commit."""
    session = db_session()
    article = _article(session, slug)
    move(session=session, article=article, editor=_editor(session), note=note)
    session.commit()
    return editorial_article(session, article)


def _article(session: Session, slug: str) -> Article:
    """The article with ``slug`` (or a former slug of it); ArticleNotFound otherwise."""
    return editorial.resolve_slug(session=session, slug=slug)


def _editor(session: Session) -> User:
    """The caller's account row."""
    user = session.get(User, g.staff.id)
    assert user is not None  # api_staff just found it
    return user


def _sentence(text: str) -> str:
    """``text`` capitalised and ending with a full stop."""
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
