"""Articles in the editor console: the filtered list, the new and edit forms, workflow moves."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from kb import editorial
from kb.articles import ArticleNotFound
from kb.models import Article, ArticleStatus
from web.db import db_session
from web.editor import bp, presenting, service
from web.editor.forms import ArticleForm, NoteForm, split_tags
from web.editor.service import ArticleFilter
from web.rendering import render_article
from web.roles import EDITORS, staff_required

Page = str | tuple[str, int] | Response
PREFILL = ("title", "body", "summary", "tags", "category")
FIELD_NAMES = {"owner_id": "owner", "category_id": "category"}
DONE = {
    "submit": "Sent for review.",
    "publish": "Published: it is live on the help centre and in search.",
    "unpublish": "Unpublished: it is a draft again and no longer on the help centre.",
    "archive": "Archived: it is no longer on the help centre or in search.",
}


def found(article_id: int) -> Article:
    """The article, or ArticleNotFound (a 404 page)."""
    article = db_session().get(Article, article_id)
    if article is None:
        raise ArticleNotFound(f"no article with id {article_id}")
    return article


def _filter() -> ArticleFilter:
    """The list's filters from the query string; 400 for a status that does not exist."""
    status = request.args.get("status", "")
    if status and status not in set(ArticleStatus):
        abort(
            400, f"There is no status {status[:30]!r}; use draft, in_review, published or archived."
        )
    owner = request.args.get("owner", "")
    if owner == "me":
        owner = str(g.staff.id)
    return ArticleFilter(
        status=ArticleStatus(status) if status else None,
        owner_id=int(owner) if owner.isdigit() else None,
        stale=request.args.get("stale") == "1",
        query=request.args.get("q", "").strip()[: service.MAX_QUERY],
    )


def _form(data: dict[str, Any] | None = None) -> ArticleForm:
    """The article form with its category and owner choices filled in."""
    session = db_session()
    form = ArticleForm(data=data) if data is not None else ArticleForm()
    form.category.choices = [("", "No category")] + [
        (category.slug, category.name) for category in service.categories(session=session)
    ]
    form.owner.choices = [("", "Nobody yet")] + [
        (str(user.id), user.display_name) for user in service.editors(session=session)
    ]
    return form


def _values(form: ArticleForm) -> dict[str, Any]:
    """The form as kb.editorial's keyword arguments."""
    return {
        "title": form.title.data,
        "summary": form.summary.data or "",
        "body": form.body.data,
        "category": form.category.data or None,
        "tags": split_tags(form.tags.data or ""),
        "owner_id": int(form.owner.data) if form.owner.data else None,
        "review_by": form.review_by.data,
    }


def _field_error(form: ArticleForm, error: editorial.EditorialError) -> bool:
    """Show a kb error next to its field; False when it names no field of this form."""
    name = FIELD_NAMES.get(error.field or "", error.field or "")
    if name and name in form and name != "csrf_token":
        form[name].errors = [*form[name].errors, str(error)]
        return True
    return False


def _new_page(form: ArticleForm, *, status: int = 200) -> Page:
    """The new-article form."""
    preview = render_article(form.body.data or "").html
    return render_template("editor/article_new.html", form=form, preview=preview), status


def _edit_page(article: Article, form: ArticleForm, *, status: int = 200) -> Page:
    """The edit form with the preview, the workflow moves and where the article stands."""
    draft = editorial.working_copy(session=db_session(), article=article)
    page = render_template(
        "editor/article_edit.html",
        article=article,
        draft=draft,
        form=form,
        preview=render_article(form.body.data or "").html,
        moves=presenting.moves(article, draft),
    )
    return page, status


@bp.get("/articles")
@staff_required(*EDITORS)
def articles() -> str:
    """Every article, filtered by status, owner, staleness and words in the title."""
    session = db_session()
    wanted = _filter()
    rows = service.list_articles(session=session, wanted=wanted, today=service.today())
    return render_template(
        "editor/articles.html",
        rows=rows,
        wanted=wanted,
        owners=service.editors(session=session),
        statuses=list(ArticleStatus),
        today=service.today(),
    )


@bp.get("/articles/new")
@staff_required(*EDITORS)
def new_article() -> Page:
    """A blank draft form, or one pre-filled from the query string (e.g. from a content gap)."""
    data: dict[str, Any] = {name: request.args.get(name, "") for name in PREFILL}
    data["owner"] = str(g.staff.id)
    return _new_page(_form(data))


@bp.post("/articles")
@staff_required(*EDITORS)
def create_article() -> Page:
    """Save a new draft and go on editing it."""
    form = _form()
    if not form.validate():
        return _new_page(form, status=400)
    session = db_session()
    try:
        article = editorial.create_draft(
            session=session,
            editor=service.me(session=session, user_id=g.staff.id),
            slug=form.slug.data or None,
            note=form.note.data or "",
            **_values(form),
        )
    except editorial.EditorialError as error:
        if not _field_error(form, error):
            raise
        session.rollback()
        return _new_page(form, status=400)
    session.commit()
    flash(f"Draft “{article.title}” saved.", "success")
    return redirect(url_for("editor.edit_article", article_id=article.id))


@bp.get("/articles/<int:article_id>")
@staff_required(*EDITORS)
def edit_article(article_id: int) -> Page:
    """The working copy in the form: a published article's pending revision, else the article."""
    article = found(article_id)
    draft = editorial.working_copy(session=db_session(), article=article)
    form = _form(
        {
            "title": draft.title,
            "slug": draft.slug,
            "summary": draft.summary,
            "body": draft.body,
            "category": draft.category or "",
            "tags": ", ".join(draft.tags),
            "owner": str(article.owner_id or ""),
            "review_by": article.review_by,
        }
    )
    return _edit_page(article, form)


@bp.post("/articles/<int:article_id>")
@staff_required(*EDITORS)
def save_article(article_id: int) -> Page:
    """Save the form: a published article gets a pending revision, others change in place."""
    article = found(article_id)
    form = _form()
    if not form.validate():
        return _edit_page(article, form, status=400)
    session = db_session()
    changes = _values(form)
    if form.slug.data:
        changes["slug"] = form.slug.data
    try:
        editorial.edit(
            session=session,
            article=article,
            editor=service.me(session=session, user_id=g.staff.id),
            note=form.note.data or "",
            **changes,
        )
    except editorial.EditorialError as error:
        if not _field_error(form, error):
            raise
        session.rollback()
        return _edit_page(found(article_id), form, status=400)
    session.commit()
    if article.status == ArticleStatus.PUBLISHED:
        flash(
            "Changes saved as a new revision; the live version stays until you publish.", "success"
        )
    else:
        flash("Changes saved.", "success")
    return redirect(url_for("editor.edit_article", article_id=article.id))


def _move(article_id: int, name: str) -> Response:
    """Make one workflow move with the posted note, commit, and say what happened."""
    article = found(article_id)
    form = NoteForm()
    if not form.validate():
        flash(" ".join(form.note.errors), "error")
        return redirect(url_for("editor.edit_article", article_id=article_id))
    session = db_session()
    action = getattr(editorial, name)
    action(
        session=session,
        article=article,
        editor=service.me(session=session, user_id=g.staff.id),
        note=form.note.data or "",
    )
    session.commit()
    flash(DONE[name], "success")
    return redirect(url_for("editor.edit_article", article_id=article_id))


@bp.post("/articles/<int:article_id>/submit")
@staff_required(*EDITORS)
def submit_article(article_id: int) -> Response:
    """Send the draft (or pending revision) for review."""
    return _move(article_id, "submit")


@bp.post("/articles/<int:article_id>/publish")
@staff_required(*EDITORS)
def publish_article(article_id: int) -> Response:
    """Make the working copy live (search follows within a second)."""
    return _move(article_id, "publish")


@bp.post("/articles/<int:article_id>/unpublish")
@staff_required(*EDITORS)
def unpublish_article(article_id: int) -> Response:
    """Take the article off the help centre, back to draft."""
    return _move(article_id, "unpublish")


@bp.post("/articles/<int:article_id>/archive")
@staff_required(*EDITORS)
def archive_article(article_id: int) -> Response:
    """Retire the article."""
    return _move(article_id, "archive")
