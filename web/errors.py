"""One place that turns errors into HTTP responses: JSON for the API, friendly pages for people."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from kb.search import QueryError

log = logging.getLogger(__name__)

TITLES = {
    400: "That request didn't work",
    403: "You can't do that here",
    404: "We couldn't find that page",
    409: "That clashed with another change",
    405: "That doesn't work here",
    413: "That was too much to send",
    429: "Slow down a little",
    500: "Something went wrong on our side",
}
CONFLICT = (
    "Someone else changed the same thing at the same moment, so nothing was saved. "
    "Reload and try again."
)
MESSAGES = {
    403: "You may need to sign in with a different account.",
    404: "The page may have moved, or the link may be mistyped. Try searching instead.",
    413: "Please shorten what you wrote and try again.",
    429: "You've done that a lot in a short time. Please wait a minute and try again.",
    500: "We've logged the problem. Please try again in a moment.",
}


def wants_json() -> bool:
    """API paths and clients that prefer JSON get JSON errors."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes.accept_html


def error_response(status: int, message: str | None = None) -> tuple[Response | str, int]:
    """A JSON body or an HTML page for an error status."""
    message = message or MESSAGES.get(status) or TITLES.get(status, "Error")
    if wants_json():
        return jsonify(error={"status": status, "message": message}), status
    page = render_template(
        "error.html", status=status, title=TITLES.get(status, "Error"), message=message
    )
    return page, status


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(QueryError)
    def bad_query(error: QueryError) -> tuple[Response | str, int]:
        """A query the search cannot take."""
        return error_response(400, str(error))

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> tuple[Response | str, int]:
        """A form without a valid CSRF token (often an expired page)."""
        return error_response(
            400, "This form has expired or was sent from elsewhere. Reload the page and try again."
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Response | str, int]:
        """Werkzeug's errors (400, 403, 404, 405, 413, 429 …) with a friendly message."""
        status = error.code or 500
        description = error.description if status in {400, 405} else None
        if status == 429:
            description = None
        if status in {400, 403, 404} and error.description and not _is_default(error):
            description = error.description
        response = error_response(status, description)
        retry_after = getattr(error, "retry_after", None)
        if status == 429 and retry_after:
            body, code = response
            wrapped = app.make_response((body, code))
            wrapped.headers["Retry-After"] = str(retry_after)
            return wrapped, code
        allowed = getattr(error, "valid_methods", None)
        if status == 405 and allowed:
            body, code = response
            wrapped = app.make_response((body, code))
            wrapped.headers["Allow"] = ", ".join(allowed)
            return wrapped, code
        return response

    @app.errorhandler(IntegrityError)
    def conflict(error: IntegrityError) -> tuple[Response | str, int]:
        """Two people changed the same thing at once (e.g. took one slug): nothing was saved."""
        log.warning("Conflicting write: %s", error.orig)
        return error_response(409, CONFLICT)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[Response | str, int]:
        """Anything else: log it in full, tell the user only that it failed."""
        log.exception("Unhandled error", exc_info=error)
        return error_response(500)


def _is_default(error: HTTPException) -> bool:
    """Whether the exception carries werkzeug's stock description rather than ours."""
    return error.description == type(error).description
