"""An article's phrasings: other ways customers ask for it, written by editors or learnt by the bot."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

from kb import editorial
from web.db import db_session
from web.editor import bp, service
from web.editor.articles import found
from web.editor.forms import PhrasingForm
from web.roles import EDITORS, staff_required


@bp.get("/articles/<int:article_id>/phrasings")
@staff_required(*EDITORS)
def phrasings(article_id: int) -> str:
    """The phrasings, each editable in place, with where it came from."""
    session = db_session()
    article = found(article_id)
    return render_template(
        "editor/phrasings.html",
        article=article,
        phrasings=editorial.phrasings(session=session, article=article),
    )


@bp.post("/articles/<int:article_id>/phrasings/<int:phrasing_id>")
@staff_required(*EDITORS)
def update_phrasing(article_id: int, phrasing_id: int) -> Response:
    """Reword one phrasing."""
    session = db_session()
    article = found(article_id)
    form = PhrasingForm()
    if not form.validate():
        flash(" ".join(form.text.errors), "error")
        return redirect(url_for("editor.phrasings", article_id=article_id))
    editorial.update_phrasing(
        session=session,
        article=article,
        phrasing_id=phrasing_id,
        text=form.text.data,
        editor=service.me(session=session, user_id=g.staff.id),
    )
    session.commit()
    flash("Phrasing saved.", "success")
    return redirect(url_for("editor.phrasings", article_id=article_id))


@bp.post("/articles/<int:article_id>/phrasings/<int:phrasing_id>/remove")
@staff_required(*EDITORS)
def remove_phrasing(article_id: int, phrasing_id: int) -> Response:
    """Remove a bad phrasing, so search stops matching the article on it."""
    session = db_session()
    article = found(article_id)
    editorial.remove_phrasing(
        session=session,
        article=article,
        phrasing_id=phrasing_id,
        editor=service.me(session=session, user_id=g.staff.id),
    )
    session.commit()
    flash("Phrasing removed.", "success")
    return redirect(url_for("editor.phrasings", article_id=article_id))
