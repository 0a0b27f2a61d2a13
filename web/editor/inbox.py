"""The agent drafts inbox under /editor/inbox: merge, publish or dismiss; promote community answers.

Drafts agents saved from resolved conversations wait here; editing one happens on the article
form (editor.edit_article). Accepted community answers can become article drafts from here too.
"""

from __future__ import annotations

from functools import partial

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from kb import capture, editorial
from kb.articles import ArticleError, ArticleNotFound
from kb.community import NotFound, get_answer
from kb.models import Article
from web.db import db_session
from web.editor import bp
from web.editor.outcomes import back_to, refused, signed_in_editor
from web.errors import error_response
from web.roles import EDITORS, staff_required

NO_DRAFT = (
    "That draft is no longer in the inbox: someone may have merged, published or dismissed it."
)
_back = partial(back_to, "editor.inbox")
_refused = partial(refused, "editor.inbox")


def _draft(draft_id: int) -> Article | None:
    """The inbox draft, or None."""
    try:
        return capture.get_draft(session=db_session(), article_id=draft_id)
    except capture.DraftNotFound:
        return None


@bp.get("/inbox")
@staff_required(*EDITORS)
def inbox() -> str:
    """Agent drafts waiting for an editor, and accepted community answers to promote."""
    session = db_session()
    return render_template(
        "editor/inbox.html",
        drafts=capture.inbox(session=session),
        targets=capture.merge_targets(session=session),
        answers=capture.promotable_answers(session=session),
    )


@bp.post("/inbox/<int:draft_id>/merge")
@staff_required(*EDITORS)
def merge_draft(draft_id: int) -> ResponseReturnValue:
    """Merge the draft into another article as a new revision or as phrasings."""
    session = db_session()
    draft = _draft(draft_id)
    if draft is None:
        return error_response(404, NO_DRAFT)
    chosen = request.form.get("mode", "")
    if chosen not in ("revision", "phrasing"):
        return _back("Choose whether to merge as a new revision or as a phrasing.", "error")
    mode: capture.MergeMode = "revision" if chosen == "revision" else "phrasing"
    try:
        target = editorial.resolve_slug(session=session, slug=request.form.get("target", ""))
        capture.merge(
            session=session, draft=draft, target=target, editor=signed_in_editor(), mode=mode
        )
    except ArticleNotFound:
        return _back("Choose the article to merge the draft into.", "error")
    except (capture.CaptureError, editorial.EditorialError, ArticleError) as error:
        return _refused(str(error))
    session.commit()
    if mode == "revision":
        flash(
            f"“{draft.title}” is merged into “{target.title}” as a new revision; "
            "review it and publish when ready.",
            "success",
        )
        return redirect(url_for("editor.edit_article", article_id=target.id), code=303)
    return _back(
        f"The customer's wording from “{draft.title}” is now a phrasing of “{target.title}”."
    )


@bp.post("/inbox/<int:draft_id>/publish")
@staff_required(*EDITORS)
def publish_draft(draft_id: int) -> ResponseReturnValue:
    """Publish the draft as it stands."""
    session = db_session()
    draft = _draft(draft_id)
    if draft is None:
        return error_response(404, NO_DRAFT)
    try:
        capture.publish_draft(
            session=session, draft=draft, editor=signed_in_editor(), note="From the inbox."
        )
    except editorial.EditorialError as error:
        return _refused(str(error))
    session.commit()
    return _back(f"“{draft.title}” is published.")


@bp.post("/inbox/<int:draft_id>/dismiss")
@staff_required(*EDITORS)
def dismiss_draft(draft_id: int) -> ResponseReturnValue:
    """Dismiss the draft: archive it (kept with its history) or delete it for good."""
    session = db_session()
    draft = _draft(draft_id)
    if draft is None:
        return error_response(404, NO_DRAFT)
    how = request.form.get("how", "archive")
    if how not in ("archive", "delete"):
        return _back("Choose archive or delete.", "error")
    try:
        done = capture.dismiss(
            session=session,
            draft=draft,
            editor=signed_in_editor(),
            delete=how == "delete",
            note=request.form.get("note", "").strip()[:500],
        )
    except editorial.EditorialError as error:
        return _refused(str(error))
    session.commit()
    if done.outcome == "deleted":
        return _back(f"“{done.title}” is deleted.")
    return _back(f"“{done.title}” is archived; you can still find it in the article list.")


@bp.post("/inbox/answers/<int:answer_id>/promote")
@staff_required(*EDITORS)
def promote_answer(answer_id: int) -> ResponseReturnValue:
    """Make an accepted community answer an article draft, then open it for editing."""
    session = db_session()
    try:
        answer = get_answer(session=session, answer_id=answer_id)
    except NotFound:
        return error_response(404, f"There is no community answer {answer_id}.")
    link = url_for(
        "community.question", question_id=answer.question_id, _anchor=f"answer-{answer.id}"
    )
    try:
        article = capture.promote_answer(
            session=session, answer=answer, editor=signed_in_editor(), link=link
        )
    except (capture.CaptureError, editorial.EditorialError, ArticleError) as error:
        return _refused(str(error))
    session.commit()
    flash("The answer is now an article draft, crediting its author. Edit it, then publish.")
    return redirect(url_for("editor.edit_article", article_id=article.id), code=303)
