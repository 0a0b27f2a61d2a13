"""CORS for the chat API: the widget runs on other sites and calls the API from there.

Only origins in ``widget_allowed_origins`` are answered with ``Access-Control-Allow-Origin``
(``*`` only if configured). No credentials are involved: the API's token travels in the
Authorization header, never in a cookie.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from web.security import settings

ALLOW_METHODS = "GET, POST, OPTIONS"
ALLOW_HEADERS = "Authorization, Content-Type"
EXPOSE_HEADERS = (
    "Location, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"
)
PREFLIGHT_MAX_AGE = "600"


def allowed_origin(origin: str, allowed: list[str]) -> str | None:
    """The value for Access-Control-Allow-Origin for this request's Origin, or None to refuse."""
    if "*" in allowed:
        return "*"
    if origin.rstrip("/").lower() in allowed:
        return origin
    return None


def _cors_headers(response: Response) -> Response:
    """Add the CORS headers to chat API responses for allowed origins."""
    response.headers.add("Vary", "Origin")
    response.headers.setdefault("Cache-Control", "no-store")
    origin = request.headers.get("Origin")
    if not origin:
        return response
    value = allowed_origin(origin, settings().widget_allowed_origins)
    if value is None:
        return response
    response.headers["Access-Control-Allow-Origin"] = value
    response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
        response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response


def register(bp: Blueprint) -> None:
    """Answer cross-origin requests to the blueprint's routes (preflights included)."""
    bp.after_request(_cors_headers)
