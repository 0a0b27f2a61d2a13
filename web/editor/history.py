"""An article's history: its revisions with who, when and why, a diff of any two, and restore."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from kb import editorial
from web.db import db_session
from web.editor import bp, service
from web.editor.articles import found
from web.editor.forms import NoteForm
from web.roles import EDITORS, staff_required

VIEWS = ("side", "inline")


def _number(name: str, default: int) -> int:
    """A revision number from the query string; 400 when it is not a positive number."""
    value = request.args.get(name, "")
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        abort(400, f"“{name}” must be a revision number such as 1 or 2, not {value[:20]!r}.")
    return int(value)


@bp.get("/articles/<int:article_id>/history")
@staff_required(*EDITORS)
def history(article_id: int) -> str:
    """Every revision, newest first, and the diff between two (the last two by default)."""
    session = db_session()
    article = found(article_id)
    revisions = editorial.revisions(session=session, article=article)
    numbers = [revision.number for revision in revisions]
    newest = numbers[0] if numbers else 1
    b = _number("b", newest)
    a = _number("a", numbers[1] if len(numbers) > 1 else newest)
    view = request.args.get("view", "side")
    if view not in VIEWS:
        abort(400, "“view” must be side (side by side) or inline.")
    diff = editorial.diff(session=session, article=article, a=a, b=b) if numbers else None
    return render_template(
        "editor/history.html",
        article=article,
        revisions=revisions,
        authors=editorial.revision_authors(session=session, revisions=revisions),
        diff=diff,
        a=a,
        b=b,
        view=view,
    )


@bp.post("/articles/<int:article_id>/revisions/<int:number>/restore")
@staff_required(*EDITORS)
def restore_revision(article_id: int, number: int) -> Response:
    """Write revision ``number``'s content again as a new revision, with the posted note."""
    session = db_session()
    article = found(article_id)
    form = NoteForm()
    if not form.validate():
        flash(" ".join(form.note.errors), "error")
        return redirect(url_for("editor.history", article_id=article_id))
    revision = editorial.restore(
        session=session,
        article=article,
        number=number,
        editor=service.me(session=session, user_id=g.staff.id),
        note=form.note.data or f"Restored revision {number}",
    )
    session.commit()
    live = " The live version stays until you publish it." if article.status == "published" else ""
    flash(f"Revision {number} restored as revision {revision.number}.{live}", "success")
    return redirect(url_for("editor.history", article_id=article_id, a=number, b=revision.number))
