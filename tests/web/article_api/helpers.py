"""Helpers for the articles staff API tests.

The app runs with CSRF on, as in production (the staff API is token-authenticated and exempt), on
a database of its own per test module, so the articles made there do not leak into other modules'
searches.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kb.knowledge_base import KnowledgeBase
from kb.models import Article
from tests.web.staff_helpers import Staff

API = "/api/v1/articles"


@dataclass(frozen=True)
class Site:
    """The app and its knowledge base."""

    kb: KnowledgeBase
    app: Flask


def call(
    client: FlaskClient, method: str, path: str, staff: Staff | None, body: Any = None
) -> tuple[int, Any]:
    """Call the articles API as ``staff``; the status and JSON body."""
    kwargs: dict[str, Any] = {"headers": staff.headers if staff is not None else {}}
    if body is not None:
        kwargs["json"] = body
    response = client.open(f"{API}{path}", method=method, **kwargs)
    return response.status_code, response.get_json(silent=True)


def unique_title(topic: str = "Refund") -> str:
    """A title no other test uses."""
    return f"{topic} {uuid4().hex[:8]} explained"


def draft(client: FlaskClient, staff: Staff, **fields: Any) -> dict[str, Any]:
    """A new draft made through the API; its JSON."""
    body = {"title": unique_title(), "body": "Step one.\n\nStep two.", **fields}
    status, article = call(client, "POST", "", staff, body)
    assert status == 201, article
    return dict(article)


def published(client: FlaskClient, staff: Staff, **fields: Any) -> dict[str, Any]:
    """A new article, submitted and published through the API."""
    slug = draft(client, staff, **fields)["slug"]
    assert call(client, "POST", f"/{slug}/submit", staff)[0] == 200
    status, article = call(client, "POST", f"/{slug}/publish", staff, {"note": "Checked."})
    assert status == 200, article
    return dict(article)


def article_count(site: Site) -> int:
    """Articles in the database, whatever their state."""
    with site.kb.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Article)) or 0)


def search_finds(client: FlaskClient, query: str, slug: str, *, within: float = 1.0) -> bool:
    """Whether public search lists ``slug`` for ``query`` within ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        hits = client.get("/api/v1/search", query_string={"q": query}).get_json()["hits"]
        if any(hit["ref"] == slug for hit in hits):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
