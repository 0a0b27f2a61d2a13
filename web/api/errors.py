"""API errors: invalid input named field by field, and kb exceptions turned into JSON statuses.

Errors the whole site shares (404 for unknown routes, 405, 413, 429, 500) are answered in JSON by
``web.errors`` for every path under /api/; this module adds what only the API needs.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for
from flask_wtf.csrf import CSRFError
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from werkzeug.exceptions import Unauthorized

from kb.community import CommunityError, NotFound
from kb.moderation import LinkLimitExceeded
from web.api.schemas import Input
from web.community.service import NotAllowed
from web.help.service import PageNotFound

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})
SIGN_IN_MESSAGE = "Sign in to post: this needs a signed-in customer account (session cookie)."
CSRF_MESSAGE = (
    "Missing or invalid CSRF token: send the token from the page's csrf_token "
    "in the X-CSRFToken header."
)


class InvalidInput(Exception):
    """Input the API cannot take; ``fields`` names each wrong field with what is wrong with it."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    @classmethod
    def field(cls, name: str, message: str) -> InvalidInput:
        """One wrong field."""
        return cls(message, {name: message})

    @classmethod
    def from_validation_error(cls, error: ValidationError) -> InvalidInput:
        """Pydantic's errors, one exact message per field."""
        fields: dict[str, str] = {}
        for detail in error.errors(include_url=False):
            name = ".".join(str(part) for part in detail["loc"] if not isinstance(part, int))
            name = name or "body"
            fields.setdefault(name, describe(name, detail, model_name=error.title))
        return cls(" ".join(fields.values()), fields)


def describe(name: str, detail: ErrorDetails, *, model_name: str = "") -> str:
    """One pydantic error as a sentence that says what to change."""
    kind, value = detail["type"], detail.get("input")
    ctx: dict[str, Any] = dict(detail.get("ctx") or {})
    if kind == "missing":
        return f"'{name}' is required."
    if kind == "extra_forbidden":
        known = ", ".join(_known_fields(model_name))
        return f"'{name}' is not a field here; use {known}." if known else f"'{name}' is unknown."
    if kind == "string_too_long":
        length = len(value) if isinstance(value, str) else "too many"
        return f"'{name}' is too long: {length} characters, at most {ctx['max_length']} allowed."
    if kind == "too_long":
        return f"'{name}' has too many items: {ctx['actual_length']}, at most {ctx['max_length']}."
    if kind == "string_too_short":
        if ctx["min_length"] == 1:
            return f"'{name}' must not be empty."
        return f"'{name}' is too short: write at least {ctx['min_length']} characters."
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return f"'{name}' must be a whole number, got {value!r}."
    if kind == "greater_than_equal":
        return f"'{name}' must be at least {ctx['ge']}, got {value}."
    if kind == "less_than_equal":
        return f"'{name}' must be at most {ctx['le']}, got {value}."
    if kind in {"enum", "literal_error"}:
        return f"'{name}' must be {ctx['expected']}, got {value!r}."
    if kind == "string_type":
        return f"'{name}' must be text."
    if kind == "value_error":
        return str(ctx.get("error") or detail["msg"])
    return f"'{name}': {detail['msg']}."


def _known_fields(model_name: str) -> list[str]:
    """The fields of the request model called ``model_name`` (for 'use one of …' hints)."""
    pending: list[type[BaseModel]] = [Input]
    while pending:
        model = pending.pop()
        if model.__name__ == model_name:
            return list(model.model_fields)
        pending.extend(model.__subclasses__())
    return []


def check_request(
    req: Any, resp: Any, error: Exception | None, instance: Any, adapter: Any
) -> None:
    """spectree's hook before a view: refuse a non-JSON body, else report the validation errors.

    An empty body is fine where the endpoint takes none or all its fields are optional (actions
    such as ``POST /api/v1/escalations/{id}/claim``).
    """
    empty_but_fine = error is None and not request.get_data()
    if request.method in WRITE_METHODS and not empty_but_fine:
        if not request.is_json:
            raise InvalidInput(
                "Send the body as JSON, with the header Content-Type: application/json."
            )
        body = request.get_json(silent=True)
        if body is None:
            raise InvalidInput("The body is not valid JSON.")
        if not isinstance(body, dict):
            raise InvalidInput('The body must be a JSON object, like {"body": "…"}.')
    if isinstance(error, ValidationError):
        raise InvalidInput.from_validation_error(error)


def check_response(
    req: Any, resp: Any, error: Exception | None, instance: Any, adapter: Any
) -> None:
    """spectree's hook after a view: a response that breaks its own schema is our bug, a 500."""
    if error is not None:
        raise RuntimeError(f"API response does not match its schema: {error}")


def error_json(
    status: int, message: str, fields: dict[str, str] | None = None
) -> tuple[Response, int]:
    """The API's error body."""
    detail: dict[str, Any] = {"status": status, "message": message}
    if fields is not None:
        detail["fields"] = fields
    return jsonify(error=detail), status


def register(bp: Blueprint) -> None:
    """Answer the API's own errors in JSON."""

    @bp.errorhandler(InvalidInput)
    def invalid_input(error: InvalidInput) -> tuple[Response, int]:
        """Input that failed validation: 400 naming each wrong field."""
        return error_json(400, error.message, error.fields)

    @bp.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> tuple[Response, int]:
        """A write without the CSRF header."""
        return error_json(400, CSRF_MESSAGE)

    @bp.errorhandler(Unauthorized)
    def sign_in_needed(error: Unauthorized) -> tuple[Response, int]:
        """A write by someone not signed in."""
        response, status = error_json(401, SIGN_IN_MESSAGE)
        response.headers["WWW-Authenticate"] = (
            f'Cookie realm="tier0", form="{url_for("auth.sign_in")}"'
        )
        return response, status

    @bp.errorhandler(PageNotFound)
    @bp.errorhandler(NotFound)
    def not_found(error: LookupError) -> tuple[Response, int]:
        """An unknown slug or id."""
        return error_json(404, _sentence(str(error)))

    @bp.errorhandler(NotAllowed)
    def not_allowed(error: NotAllowed) -> tuple[Response, int]:
        """Something the community rules do not let this person do."""
        return error_json(403, str(error))

    @bp.errorhandler(LinkLimitExceeded)
    def too_many_links(error: LinkLimitExceeded) -> tuple[Response, int]:
        """A new account's post with too many links."""
        return error_json(400, str(error), {"body": str(error)})

    @bp.errorhandler(CommunityError)
    def community_error(error: CommunityError) -> tuple[Response, int]:
        """Any other post the community rules refuse."""
        return error_json(400, _sentence(str(error)))


def _sentence(text: str) -> str:
    """``text`` capitalised and ending with a full stop."""
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
