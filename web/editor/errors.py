"""The editor console's refusals as people see them: a flash and back to the form, or JSON.

Registered on the blueprint, so they apply to editor pages only and win over the app's catch-all.
"""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response as BaseResponse

from kb.articles import ArticleError, ArticleNotFound
from kb.editorial import (
    EditorialError,
    NotAllowed,
    PhrasingNotFound,
    RevisionNotFound,
    WorkflowError,
)
from web.errors import error_response, wants_json

NO_ARTICLE = (
    "There is no such article. It may have been deleted; the article list shows what exists."
)


class FormProblem(ValueError):
    """An editor form filled in wrongly; the message says which field and how."""


def wants_data() -> bool:
    """editor.js asks for JSON (fetch with Accept: application/json, or a JSON body)."""
    return wants_json() or request.is_json


def back() -> BaseResponse:
    """To the article the request was about, else to the article list."""
    article_id = (request.view_args or {}).get("article_id")
    if article_id is not None:
        return redirect(url_for("editor.edit_article", article_id=article_id))
    return redirect(url_for("editor.articles"))


def refuse(status: int, message: str) -> ResponseReturnValue:
    """A JSON error for editor.js, an error page for a page, else a flash and a redirect back."""
    if wants_data():
        return jsonify(error={"status": status, "message": message}), status
    if request.method == "GET":  # a page that cannot be shown: say why on an error page
        return error_response(status, message)
    flash(message, "error")
    return back()


def status_for(error: ValueError) -> int:
    """403 for a role that may not, 409 for an illegal move, 404 for a missing revision or phrasing."""
    if isinstance(error, NotAllowed):
        return 403
    if isinstance(error, WorkflowError):
        return 409
    if isinstance(error, RevisionNotFound | PhrasingNotFound):
        return 404
    return 400


def init_blueprint(bp: Blueprint) -> None:
    """Register the handlers on the editor blueprint."""

    @bp.errorhandler(EditorialError)
    @bp.errorhandler(ArticleError)
    @bp.errorhandler(FormProblem)
    def refused(error: ValueError) -> ResponseReturnValue:
        """A move not allowed now, or input filled in wrongly; the message says why."""
        return refuse(status_for(error), str(error))

    @bp.errorhandler(ArticleNotFound)
    def no_article(error: ArticleNotFound) -> ResponseReturnValue:
        """A 404 page (or JSON)."""
        if wants_data():
            return jsonify(error={"status": 404, "message": NO_ARTICLE}), 404
        return error_response(404, NO_ARTICLE)
