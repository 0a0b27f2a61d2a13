"""Error pages: friendly HTML for people, JSON for the API, never a stack trace, headers always set."""

from __future__ import annotations

from html import unescape

import pytest
from flask import Flask
from werkzeug.exceptions import Forbidden

from kb.knowledge_base import KnowledgeBase
from tests.web.conftest import build_app


@pytest.fixture
def failing_app(demo_kb: KnowledgeBase) -> Flask:
    """The app with routes that fail on purpose."""
    app = build_app(demo_kb)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret internal detail")

    @app.get("/api/v1/boom")
    def api_boom() -> str:
        raise RuntimeError("secret internal detail")

    @app.get("/forbidden")
    def forbidden() -> str:
        raise Forbidden()

    return app


def test_unexpected_error_is_a_friendly_page_without_details(failing_app: Flask) -> None:
    """A crash shows the 500 page; the exception text and traceback stay in the log."""
    response = failing_app.test_client().get("/boom", headers={"Accept": "text/html"})
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in body
    assert "secret internal detail" not in body and "Traceback" not in body
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_unexpected_api_error_is_json(failing_app: Flask) -> None:
    """Under /api/ the same crash is a JSON 500 without details."""
    response = failing_app.test_client().get("/api/v1/boom")
    assert response.status_code == 500
    assert response.is_json
    assert "secret" not in response.get_data(as_text=True)


def test_forbidden_page(failing_app: Flask) -> None:
    """403 has its own page."""
    response = failing_app.test_client().get("/forbidden")
    assert response.status_code == 403
    assert "You can't do that here" in unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("path", ["/no-such-page", "/articles/no-such-article"])
def test_not_found_page_offers_search(demo_kb: KnowledgeBase, path: str) -> None:
    """404 is a page with the site around it and a way on."""
    response = build_app(demo_kb).test_client().get(path)
    body = unescape(response.get_data(as_text=True))
    assert response.status_code == 404
    assert "We couldn't find that page" in body
    assert 'role="search"' in body


def test_too_large_request(demo_kb: KnowledgeBase) -> None:
    """A body over the limit is a 413 with a friendly message, not a crash."""
    app = build_app(demo_kb, csrf=False)
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = app.test_client().post(
        "/articles/how-to-return-an-item/feedback",
        data={"helpful": "no", "comment": "x" * 5000},
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 413
    assert "shorten" in response.get_data(as_text=True)


def test_wrong_method(demo_kb: KnowledgeBase) -> None:
    """405 on a page is handled too."""
    response = build_app(demo_kb).test_client().delete("/")
    assert response.status_code == 405
    assert "<html" in response.get_data(as_text=True)


def test_security_headers_on_every_page(client: object) -> None:
    """CSP without inline script, nosniff, frame-ancestors."""
    response = client.get("/")  # type: ignore[attr-defined]
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
