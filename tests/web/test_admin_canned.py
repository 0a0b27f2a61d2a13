"""/admin/canned: admins list, create, edit and delete canned responses; placeholders checked."""

from __future__ import annotations

import re
import uuid

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.knowledge_base import KnowledgeBase
from kb.models import CannedResponse, Role
from tests.web.conftest import build_app
from tests.web.staff_helpers import make_staff, sign_in


@pytest.fixture
def app(demo_kb: KnowledgeBase) -> Flask:
    """The app with CSRF off, so tests can post forms directly."""
    return build_app(demo_kb, csrf=False)


@pytest.fixture
def admin_client(app: Flask, demo_kb: KnowledgeBase) -> FlaskClient:
    """A client signed in as a new admin."""
    client = app.test_client()
    sign_in(client, make_staff(demo_kb, Role.ADMIN))
    return client


def stored(kb: KnowledgeBase, title: str) -> CannedResponse | None:
    """The canned response with this title."""
    with kb.sessions() as session:
        return session.scalar(select(CannedResponse).where(CannedResponse.title == title))


def unique_title() -> str:
    """A title no other test uses."""
    return f"Refund sent {uuid.uuid4().hex[:8]}"


def test_create_edit_delete(admin_client: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """The whole life of a canned response through the forms."""
    assert "New canned response" in admin_client.get("/admin/canned/new").get_data(as_text=True)
    title = unique_title()
    created = admin_client.post(
        "/admin/canned",
        data={"title": title, "body": "Hi {customer.first_name}, your refund is on its way."},
        follow_redirects=True,
    )
    page = created.get_data(as_text=True)
    assert f"“{title}” is saved" in page and "your refund is on its way" in page
    item = stored(demo_kb, title)
    assert item is not None and item.created_by is not None

    form = admin_client.get(f"/admin/canned/{item.id}/edit").get_data(as_text=True)
    assert "{customer.first_name}, your refund" in form and "{agent.name}" in form
    new_title = unique_title()
    edited = admin_client.post(
        f"/admin/canned/{item.id}",
        data={"title": new_title, "body": "Thanks! — {agent.first_name}"},
        follow_redirects=True,
    )
    assert f"“{new_title}” is updated." in edited.get_data(as_text=True)
    changed = stored(demo_kb, new_title)
    assert changed is not None and changed.body == "Thanks! — {agent.first_name}"

    deleted = admin_client.post(f"/admin/canned/{item.id}/delete", follow_redirects=True)
    assert f"“{new_title}” is deleted." in deleted.get_data(as_text=True)
    assert stored(demo_kb, new_title) is None
    assert admin_client.get(f"/admin/canned/{item.id}/edit").status_code == 404
    assert admin_client.post(f"/admin/canned/{item.id}/delete").status_code == 404


def test_unknown_placeholder_is_named(admin_client: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """The error names the placeholder and the ones that exist; nothing is saved."""
    title = unique_title()
    response = admin_client.post(
        "/admin/canned", data={"title": title, "body": "Dear {customer.surname}"}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Unknown placeholder {customer.surname}. You can use {customer.name}" in page
    assert 'id="body-error"' in page and "Dear {customer.surname}" in page  # kept for fixing
    assert stored(demo_kb, title) is None


def test_duplicate_title_and_missing_fields(admin_client: FlaskClient) -> None:
    """A taken title is reported on the title; empty fields each get their message."""
    title = unique_title()
    admin_client.post("/admin/canned", data={"title": title, "body": "One"})
    again = admin_client.post("/admin/canned", data={"title": title.upper(), "body": "Two"})
    assert again.status_code == 400
    page = again.get_data(as_text=True)
    match = re.search(r'id="title-error">([^<]*)<', page)
    assert match and "already exists; pick another title" in match.group(1)
    empty = admin_client.post("/admin/canned", data={"title": " ", "body": " "})
    assert empty.status_code == 400
    text = empty.get_data(as_text=True)
    assert "Give it a title agents will recognise." in text
    assert "Write the text of the response." in text


def test_edit_checks_placeholders_too(admin_client: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """Saving a bad edit keeps the stored text."""
    title = unique_title()
    admin_client.post("/admin/canned", data={"title": title, "body": "Hello {customer.name}"})
    item = stored(demo_kb, title)
    assert item is not None
    response = admin_client.post(
        f"/admin/canned/{item.id}", data={"title": title, "body": "Hello {name}"}
    )
    assert response.status_code == 400
    assert "Unknown placeholder {name}" in response.get_data(as_text=True)
    kept = stored(demo_kb, title)
    assert kept is not None and kept.body == "Hello {customer.name}"


def test_list_shows_placeholders_and_only_admins_get_in(
    app: Flask, admin_client: FlaskClient, demo_kb: KnowledgeBase
) -> None:
    """The list explains the placeholders; agents get 403."""
    page = admin_client.get("/admin/canned").get_data(as_text=True)
    assert "{customer.first_name}" in page and "Canned responses" in page
    agent = app.test_client()
    sign_in(agent, make_staff(demo_kb, Role.AGENT))
    assert agent.get("/admin/canned").status_code == 403
    assert agent.post("/admin/canned", data={"title": "x", "body": "y"}).status_code == 403
