"""The articles staff API: workflow to the public API and search, revisions and restore, and
the OpenAPI document."""

from __future__ import annotations

import time

import pytest
from flask.testing import FlaskClient

from tests.web.article_api.helpers import (
    API,
    call,
    draft,
    published,
    search_finds,
    unique_title,
)
from tests.web.staff_helpers import Staff

# -- workflow -------------------------------------------------------------------------------


def test_workflow_reaches_public_api_and_search(client: FlaskClient, editor: Staff) -> None:
    """Submit, publish (public within a second), unpublish and archive (gone from search)."""
    title = unique_title("Warranty claims")
    slug = draft(client, editor, title=title, summary="How to claim.")["slug"]
    status, article = call(client, "POST", f"/{slug}/submit", editor, {"note": "Please check."})
    assert status == 200 and article["status"] == "in_review"
    assert not search_finds(client, title, slug, within=0.3)
    status, article = call(client, "POST", f"/{slug}/publish", editor)
    assert status == 200 and article["status"] == "published"
    assert article["published_at"] is not None and article["url"].endswith(f"/{slug}")
    assert client.get(f"{API}/{slug}").status_code == 200
    assert search_finds(client, title, slug)
    status, article = call(client, "POST", f"/{slug}/unpublish", editor)
    assert status == 200 and article["status"] == "draft" and article["url"] is None
    assert client.get(f"{API}/{slug}").status_code == 404
    deadline = time.monotonic() + 1.0
    while search_finds(client, title, slug, within=0) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not search_finds(client, title, slug, within=0)
    status, article = call(client, "POST", f"/{slug}/archive", editor, {"note": "Outdated."})
    assert status == 200 and article["status"] == "archived"
    notes = [item["note"] for item in call(client, "GET", f"/{slug}/revisions", editor)[1]["items"]]
    assert "Please check." in notes and "Outdated." in notes


@pytest.mark.parametrize(
    ("setup", "move"),
    [
        ([], "unpublish"),
        (["archive"], "archive"),
        (["archive"], "publish"),
        (["submit"], "submit"),
        (["submit", "publish"], "submit"),
    ],
)
def test_illegal_moves_are_409(
    client: FlaskClient, editor: Staff, setup: list[str], move: str
) -> None:
    """A move the article's state does not allow is a 409 that says why; the state stays."""
    slug = draft(client, editor)["slug"]
    for step in setup:
        assert call(client, "POST", f"/{slug}/{step}", editor)[0] == 200, step
    before = call(client, "GET", f"/{slug}/working-copy", editor)[1]
    status, body = call(client, "POST", f"/{slug}/{move}", editor)
    assert status == 409, body
    assert body["error"]["status"] == 409 and len(body["error"]["message"]) > 10
    assert call(client, "GET", f"/{slug}/working-copy", editor)[1] == before


def test_workflow_of_an_unknown_article_is_404(client: FlaskClient, editor: Staff) -> None:
    """Every move on a slug nobody has answers 404."""
    for move in ("submit", "publish", "unpublish", "archive"):
        status, body = call(client, "POST", f"/nothing-here/{move}", editor)
        assert status == 404 and "nothing-here" in body["error"]["message"], move


def test_workflow_note_is_checked(client: FlaskClient, editor: Staff) -> None:
    """An over-long note is a 400 on the note."""
    slug = draft(client, editor)["slug"]
    status, body = call(client, "POST", f"/{slug}/submit", editor, {"note": "n" * 501})
    assert status == 400 and "too long" in body["error"]["fields"]["note"]


# -- revisions ------------------------------------------------------------------------------


def test_revisions_list_newest_first_with_who_and_pages(client: FlaskClient, editor: Staff) -> None:
    """Revisions list newest first with author and note, in the API's page envelope."""
    slug = draft(client, editor, body="First body.")["slug"]
    call(client, "PATCH", f"/{slug}", editor, {"body": "Second body.", "note": "Two."})
    call(client, "PATCH", f"/{slug}", editor, {"body": "Third body.", "note": "Three."})
    status, page = call(client, "GET", f"/{slug}/revisions?per_page=2", editor)
    assert status == 200, page
    assert (page["total"], page["pages"], page["page"]) == (3, 2, 1)
    assert [item["number"] for item in page["items"]] == [3, 2]
    assert page["items"][0]["note"] == "Three."
    assert page["items"][0]["author"] == {"id": editor.id, "name": editor.email.split("@")[0]}
    second = call(client, "GET", f"/{slug}/revisions?per_page=2&page=2", editor)[1]
    assert [item["number"] for item in second["items"]] == [1]
    status, one = call(client, "GET", f"/{slug}/revisions/1", editor)
    assert status == 200 and one["body"] == "First body." and one["number"] == 1
    status, body = call(client, "GET", f"/{slug}/revisions?per_page=0", editor)
    assert status == 400 and "per_page" in body["error"]["fields"]


def test_restore_writes_a_new_revision(client: FlaskClient, editor: Staff) -> None:
    """Restoring revision 1 makes a new revision with its content and the note."""
    slug = draft(client, editor, body="Original body.")["slug"]
    call(client, "PATCH", f"/{slug}", editor, {"body": "A mistake."})
    status, article = call(
        client, "POST", f"/{slug}/revisions/1/restore", editor, {"note": "Undo the mistake."}
    )
    assert status == 200, article
    assert article["working_copy"]["body"] == "Original body."
    assert article["revision_number"] == 3
    newest = call(client, "GET", f"/{slug}/revisions", editor)[1]["items"][0]
    assert newest["number"] == 3 and newest["note"] == "Undo the mistake."


def test_restore_on_a_live_article_is_pending(client: FlaskClient, editor: Staff) -> None:
    """Restoring on a published article leaves the live version until it is published."""
    article = published(client, editor, body="Live body.")
    slug = article["slug"]
    call(client, "PATCH", f"/{slug}", editor, {"body": "Pending body."})
    status, restored = call(client, "POST", f"/{slug}/revisions/1/restore", editor)
    assert status == 200, restored
    assert restored["status"] == "published"
    assert restored["working_copy"]["pending"] is True
    assert restored["working_copy"]["body"] == "Live body."
    assert client.get(f"{API}/{slug}").get_json()["body"] == "Live body."


def test_missing_revisions_and_articles_are_404(client: FlaskClient, editor: Staff) -> None:
    """A revision number the article lacks, or an unknown slug, says what was not found."""
    slug = draft(client, editor)["slug"]
    for method, path in (
        ("POST", f"/{slug}/revisions/99/restore"),
        ("GET", f"/{slug}/revisions/99"),
    ):
        status, body = call(client, method, path, editor)
        assert status == 404, (path, body)
        assert "99" in body["error"]["message"], body
    for method, path in (
        ("GET", "/no-such-article/revisions"),
        ("GET", "/no-such-article/working-copy"),
        ("POST", "/no-such-article/revisions/1/restore"),
    ):
        status, body = call(client, method, path, editor)
        assert status == 404 and "no-such-article" in body["error"]["message"], path


# -- the OpenAPI document -------------------------------------------------------------------


def test_document_shows_staff_and_public_article_endpoints(client: FlaskClient) -> None:
    """The new endpoints need the staff token; reading published articles stays public."""
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    one = paths["/api/v1/articles/{slug}"]
    assert "security" not in one["get"]
    assert one["patch"]["security"] == [{"staffToken": []}]
    assert {"200", "400", "401", "403", "404"} <= set(one["patch"]["responses"])
    assert paths["/api/v1/articles"]["post"]["security"] == [{"staffToken": []}]
    assert "security" not in paths["/api/v1/articles"]["get"]
    for action in ("submit", "publish", "unpublish", "archive"):
        operation = paths[f"/api/v1/articles/{{slug}}/{action}"]["post"]
        assert "409" in operation["responses"], action
    restore = paths["/api/v1/articles/{slug}/revisions/{number}/restore"]["post"]
    assert restore["operationId"] == "restoreArticleRevision"
