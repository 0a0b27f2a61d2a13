"""Editor console test helpers: a knowledge base of its own (publishing changes search) and people."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.knowledge_base import KnowledgeBase
from kb.models import Article, Role
from tests.web.conftest import build_app
from tests.web.kbs import fresh_kb
from tests.web.staff_helpers import Staff, make_staff, sign_in


def module_kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    """A test module's knowledge base (publishing leaves the shared demo one untouched)."""
    kb = fresh_kb(tmp_path_factory.mktemp("editor"), content=("articles",))
    yield kb
    kb.close()


def editor_app(kb: KnowledgeBase) -> Flask:
    """The app on ``kb`` with CSRF off, so tests post the forms directly."""
    return build_app(kb, csrf=False)


def signed_in(app: Flask, kb: KnowledgeBase, role: Role = Role.EDITOR) -> tuple[FlaskClient, Staff]:
    """A client signed in as a new staff member (an editor by default)."""
    client = app.test_client()
    staff = make_staff(kb, role)
    sign_in(client, staff)
    return client, staff


def article_id(kb: KnowledgeBase, title: str) -> int:
    """The id of the article titled ``title``."""
    with kb.sessions() as session:
        found = session.scalar(select(Article.id).where(Article.title == title))
    assert found is not None, f"no article titled {title!r}"
    return found


def flashes(html: str) -> list[str]:
    """The flash messages on a page."""
    return [
        re.sub(r"\s+", " ", text).strip()
        for text in re.findall(r'<p class="flash[^"]*">(.*?)</p>', html, re.S)
    ]


def new_draft(client: FlaskClient, **fields: str) -> int:
    """Post the new-article form and return the draft's id (from the redirect)."""
    data = {"title": "Untitled", "body": "Some text.", "category": "", "owner": ""} | fields
    response = client.post("/editor/articles", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/editor/articles/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))
