"""The articles staff API: tokens and roles, creating drafts, editing (also live articles)."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from flask.testing import FlaskClient

from kb.models import Role
from tests.web.article_api.helpers import (
    API,
    Site,
    article_count,
    call,
    draft,
    published,
    unique_title,
)
from tests.web.staff_helpers import Staff, make_staff

# -- tokens and roles -----------------------------------------------------------------------


def test_no_token_is_401_and_agents_are_403(site: Site, client: FlaskClient, editor: Staff) -> None:
    """Every endpoint wants an editor's or admin's token; agents may not write articles."""
    slug = draft(client, editor)["slug"]
    before = article_count(site)
    endpoints = [
        ("POST", "", {"title": "Agents cannot do this"}),
        ("GET", f"/{slug}/working-copy", None),
        ("PATCH", f"/{slug}", {"title": "Changed by nobody"}),
        ("POST", f"/{slug}/submit", {}),
        ("POST", f"/{slug}/publish", {}),
        ("POST", f"/{slug}/unpublish", {}),
        ("POST", f"/{slug}/archive", {}),
        ("GET", f"/{slug}/revisions", None),
        ("GET", f"/{slug}/revisions/1", None),
        ("POST", f"/{slug}/revisions/1/restore", {}),
    ]
    agent = make_staff(site.kb, Role.AGENT)
    for method, path, body in endpoints:
        response = client.open(f"{API}{path}", method=method, json=body)
        assert response.status_code == 401, (method, path)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "staff token" in response.get_json()["error"]["message"]
        wrong = {"Authorization": "Bearer t0_not-a-real-token"}
        assert client.open(f"{API}{path}", method=method, headers=wrong).status_code == 401
        status, answer = call(client, method, path, agent, body)
        assert status == 403, (method, path)
        message = answer["error"]["message"]
        assert "agent" in message and "editor or admin" in message
    # Nothing happened: same articles, still a draft at revision 1.
    assert article_count(site) == before
    status, article = call(client, "GET", f"/{slug}/working-copy", editor)
    assert status == 200
    assert article["status"] == "draft" and article["revision_number"] == 1


def test_admins_may_do_what_editors_do(site: Site, client: FlaskClient) -> None:
    """An admin's token works too."""
    admin = make_staff(site.kb, Role.ADMIN)
    article = published(client, admin)
    assert article["status"] == "published"


# -- creating drafts ------------------------------------------------------------------------


def test_create_a_draft(site: Site, client: FlaskClient, editor: Staff) -> None:
    """A draft gets a slug from its title, revision 1, its author, and is not public yet."""
    owner = make_staff(site.kb, Role.EDITOR)
    title = unique_title("Shipping times")
    response = client.post(
        API,
        headers=editor.headers,
        json={
            "title": f"  {title} ",
            "body": "It takes **three** days.",
            "summary": "How long delivery takes.",
            "category": "shipping",
            "tags": ["delivery", "times"],
            "owner_id": owner.id,
            "review_by": "2031-01-31",
            "note": "First version.",
        },
    )
    assert response.status_code == 201, response.get_json()
    article = response.get_json()
    slug = article["slug"]
    assert slug.startswith("shipping-times-") and slug.endswith("-explained")
    assert response.headers["Location"] == f"{API}/{slug}/working-copy"
    assert article["title"] == title
    assert article["status"] == "draft"
    assert article["category"] == "shipping"
    assert article["tags"] == ["delivery", "times"]
    assert article["owner"]["id"] == owner.id
    assert article["author"]["id"] == editor.id
    assert article["review_by"] == "2031-01-31"
    assert article["revision_number"] == 1 and article["draft_revision"] is None
    assert article["url"] is None
    copy = article["working_copy"]
    assert copy["body"] == "It takes **three** days." and copy["revision"] == 1
    assert copy["pending"] is False and copy["status"] == "draft"
    # Drafts are not public, but editors read them.
    assert client.get(f"{API}/{slug}").status_code == 404
    status, again = call(client, "GET", f"/{slug}/working-copy", editor)
    assert status == 200 and again == article
    status, history = call(client, "GET", f"/{slug}/revisions", editor)
    assert status == 200 and history["total"] == 1
    assert history["items"][0]["note"] == "First version."


def test_create_with_a_slug_of_its_own(client: FlaskClient, editor: Staff) -> None:
    """A given slug is kept as it is."""
    slug = f"my-own-{uuid4().hex[:6]}"
    assert draft(client, editor, slug=slug)["slug"] == slug


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"title": "x" * 201}, "title", ["too long", "201", "200"]),
        ({"title": "   "}, "title", ["must not be empty"]),
        ({"slug": "Not A Slug!"}, "slug", ["not a valid slug", "lowercase"]),
        ({"slug": "x" * 121}, "slug", ["too long", "120"]),
        ({"category": "no-such-category"}, "category", ["no-such-category"]),
        ({"review_by": "31/01/2031"}, "review_by", ["YYYY-MM-DD", "31/01/2031"]),
        ({"review_by": "2031-02-30"}, "review_by", ["date like"]),
        ({"tags": ["x" * 41]}, "tags", ["41", "40"]),
        ({"tags": [f"tag{n}" for n in range(21)]}, "tags", ["too many", "21", "20"]),
        ({"owner_id": 0}, "owner_id", ["at least 1"]),
        ({"owner_id": 999999}, "owner_id", ["999999", "editor or admin"]),
        ({"colour": "red"}, "colour", ["not a field"]),
    ],
)
def test_create_refuses_bad_input_field_by_field(
    site: Site,
    client: FlaskClient,
    editor: Staff,
    fields: dict[str, Any],
    field: str,
    words: list[str],
) -> None:
    """Each wrong field answers 400 naming the field and what is wrong; nothing is created."""
    before = article_count(site)
    status, body = call(client, "POST", "", editor, {"title": unique_title(), **fields})
    assert status == 400, body
    error = body["error"]
    assert error["status"] == 400
    assert set(error["fields"]) == {field}, error
    for word in words:
        assert word in error["fields"][field], (word, error)
    assert article_count(site) == before


def test_a_slug_clash_is_a_400_on_the_slug(site: Site, client: FlaskClient, editor: Staff) -> None:
    """A slug in use (by any article, in any state) is refused with the slug named."""
    taken = draft(client, editor)["slug"]
    before = article_count(site)
    status, body = call(client, "POST", "", editor, {"title": unique_title(), "slug": taken})
    assert status == 400, body
    assert taken in body["error"]["fields"]["slug"]
    assert article_count(site) == before
    other = draft(client, editor)["slug"]
    status, body = call(client, "PATCH", f"/{other}", editor, {"slug": taken})
    assert status == 400, body
    assert taken in body["error"]["fields"]["slug"]
    assert call(client, "GET", f"/{other}/working-copy", editor)[1]["slug"] == other


def test_a_slug_taken_at_the_same_moment_is_a_409_not_a_500(
    site: Site, client: FlaskClient, editor: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two editors taking one slug at once: the check passes for both, the database refuses the
    second; it gets a 409 saying nothing was saved."""
    import kb.editorial

    taken = draft(client, editor)["slug"]
    monkeypatch.setattr(kb.editorial, "valid_slug", lambda _session, slug, **_kw: slug)
    before = article_count(site)
    status, body = call(client, "POST", "", editor, {"title": unique_title(), "slug": taken})
    assert status == 409, body
    assert "nothing was saved" in body["error"]["message"]
    assert article_count(site) == before


def test_create_needs_a_json_body_with_a_title(client: FlaskClient, editor: Staff) -> None:
    """No title, or no JSON at all, is a 400 that says so."""
    status, body = call(client, "POST", "", editor, {"body": "Only a body."})
    assert status == 400 and body["error"]["fields"] == {"title": "'title' is required."}
    response = client.post(API, headers=editor.headers, data="title=Form")
    assert response.status_code == 400
    assert "JSON" in response.get_json()["error"]["message"]


# -- editing --------------------------------------------------------------------------------


def test_edit_a_draft_in_place(client: FlaskClient, editor: Staff) -> None:
    """A draft's fields change at once, with a new revision and the note in the history."""
    slug = draft(client, editor, category="billing")["slug"]
    status, article = call(
        client,
        "PATCH",
        f"/{slug}",
        editor,
        {"body": "A better body.", "category": None, "tags": ["refunds"], "note": "Clearer."},
    )
    assert status == 200, article
    assert article["status"] == "draft" and article["category"] is None
    assert article["tags"] == ["refunds"]
    assert article["working_copy"]["body"] == "A better body."
    assert article["working_copy"]["pending"] is False
    history = call(client, "GET", f"/{slug}/revisions", editor)[1]
    assert history["items"][0]["note"] == "Clearer."


def test_edit_refuses_nothing_nulls_and_unknown_articles(
    client: FlaskClient, editor: Staff
) -> None:
    """An empty change, a null title or an unknown slug each say what is wrong."""
    slug = draft(client, editor)["slug"]
    status, body = call(client, "PATCH", f"/{slug}", editor, {})
    assert status == 400 and "Nothing to change" in body["error"]["message"]
    status, body = call(client, "PATCH", f"/{slug}", editor, {"note": "Only a note."})
    assert status == 400 and "Nothing to change" in body["error"]["message"]
    status, body = call(client, "PATCH", f"/{slug}", editor, {"title": None})
    assert status == 400 and "cannot be null" in body["error"]["fields"]["title"]
    status, body = call(client, "PATCH", f"/{slug}", editor, {"title": "y" * 300})
    assert status == 400 and "too long" in body["error"]["fields"]["title"]
    status, body = call(client, "PATCH", "/no-such-article", editor, {"title": "New title"})
    assert status == 404 and body["error"]["status"] == 404
    assert "no-such-article" in body["error"]["message"]


def test_editing_a_live_article_keeps_it_live_until_published(
    client: FlaskClient, editor: Staff
) -> None:
    """A published article gets a pending revision; the public sees the old one until publish."""
    article = published(client, editor)
    slug, old_title = article["slug"], article["title"]
    new_title, new_slug = unique_title("Refund rules"), f"refund-rules-{uuid4().hex[:6]}"
    status, edited = call(
        client, "PATCH", f"/{slug}", editor, {"title": new_title, "slug": new_slug}
    )
    assert status == 200, edited
    assert edited["status"] == "published" and edited["title"] == old_title
    assert edited["slug"] == slug
    assert edited["draft_revision"] is not None
    assert edited["working_copy"]["pending"] is True
    assert edited["working_copy"]["title"] == new_title
    assert edited["working_copy"]["slug"] == new_slug
    assert client.get(f"{API}/{slug}").get_json()["title"] == old_title
    status, live = call(client, "POST", f"/{slug}/publish", editor)
    assert status == 200, live
    assert live["slug"] == new_slug and live["title"] == new_title
    assert live["draft_revision"] is None and live["url"].endswith(f"/{new_slug}")
    assert client.get(f"{API}/{new_slug}").get_json()["title"] == new_title
    # The staff API still finds the article by its former slug.
    status, found = call(client, "GET", f"/{slug}/working-copy", editor)
    assert status == 200 and found["slug"] == new_slug
