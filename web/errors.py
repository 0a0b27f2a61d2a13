"""One place that turns errors into HTTP responses: JSON for the API, no stack traces to users."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from kb.search import QueryError

log = logging.getLogger(__name__)


def _json_error(status: int, message: str) -> tuple[Response, int]:
    """A JSON error body with the status code."""
    return jsonify(error={"status": status, "message": message}), status


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(QueryError)
    def bad_query(error: QueryError) -> tuple[Response, int]:
        """A query the search cannot take."""
        return _json_error(400, str(error))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Response, int]:
        """Werkzeug's errors (404, 405, 413, …) as JSON with a friendly message."""
        return _json_error(error.code or 500, error.description or error.name)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[Response, int]:
        """Anything else: log it in full, tell the user only that it failed."""
        log.exception("Unhandled error", exc_info=error)
        return _json_error(500, "Something went wrong on our side. Please try again.")
