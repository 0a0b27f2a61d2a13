"""A renamed article's old URL answers 301 with its new one (help centre pages)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kb import editorial
from kb.db import transaction
from kb.knowledge_base import KnowledgeBase
from kb.models import Role, User
from tests.web.conftest import build_app


def _editor(session: Session) -> User:
    """The editor these tests act as (created once in the shared demo database)."""
    editor = session.scalar(select(User).where(User.email == "reddy@example.com"))
    if editor is None:
        editor = User(display_name="Reddy", email="reddy@example.com", role=Role.EDITOR)
        session.add(editor)
        session.flush()
    return editor


@pytest.fixture
def renamed(demo_kb: KnowledgeBase) -> Iterator[tuple[str, str]]:
    """(old, new) slugs of a published article renamed just now; archived afterwards."""
    old, new = (f"redirect-test-{word}-{secrets.token_hex(3)}" for word in ("old", "new"))
    with transaction(demo_kb.sessions) as session:
        editor = _editor(session)
        article = editorial.create_draft(
            session=session, editor=editor, title="Redirect test", body="Moved.", slug=old
        )
        editorial.publish(session=session, article=article, editor=editor)
        editorial.edit(session=session, article=article, editor=editor, slug=new)
        editorial.publish(session=session, article=article, editor=editor)
    yield old, new
    with transaction(demo_kb.sessions) as session:
        article = editorial.resolve_slug(session=session, slug=new)
        if article.status != "archived":
            editorial.archive(session=session, article=article, editor=_editor(session))


@pytest.fixture
def client(demo_kb: KnowledgeBase) -> FlaskClient:
    """A test client."""
    return build_app(demo_kb).test_client()


def test_old_slug_redirects_permanently(client: FlaskClient, renamed: tuple[str, str]) -> None:
    """The old URL is a 301 to the new one, which shows the article."""
    old, new = renamed
    response = client.get(f"/articles/{old}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/articles/{new}")
    page = client.get(f"/articles/{new}")
    assert page.status_code == 200 and "Redirect test" in page.get_data(as_text=True)


def test_old_slug_of_an_unpublished_article_is_404(
    client: FlaskClient, demo_kb: KnowledgeBase, renamed: tuple[str, str]
) -> None:
    """Redirects never reveal an article that is not public."""
    old, new = renamed
    assert client.get(f"/articles/{old}").status_code == 301
    with transaction(demo_kb.sessions) as session:
        article = editorial.resolve_slug(session=session, slug=new)
        editorial.archive(session=session, article=article, editor=_editor(session))
    assert client.get(f"/articles/{old}").status_code == 404
    assert client.get(f"/articles/{new}").status_code == 404


def test_unknown_slug_is_still_404(client: FlaskClient) -> None:
    """A slug that never existed is a plain 404."""
    assert client.get("/articles/redirect-test-never").status_code == 404
