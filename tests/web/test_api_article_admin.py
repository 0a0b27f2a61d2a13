"""The articles staff API: tokens and roles, drafts, edits of live articles, workflow, revisions.

The app runs with CSRF on, as in production (the staff API is token-authenticated and exempt), on
a database of its own so the articles made here do not leak into other modules' searches.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kb.articles import get_or_create_category
from kb.knowledge_base import KnowledgeBase
from kb.models import Article, Role
from tests.web.conftest import build_app
from tests.web.kbs import fresh_kb
from tests.web.staff_helpers import Staff, make_staff

API = "/api/v1/articles"


@dataclass(frozen=True)
class Site:
    """The app and its knowledge base."""

    kb: KnowledgeBase
    app: Flask


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """An app (CSRF on) on a fresh database with two categories."""
    kb = fresh_kb(tmp_path_factory.mktemp("article-admin"), content=(), index=False)
    with kb.sessions() as session:
        get_or_create_category(session=session, slug="billing", name="Billing")
        get_or_create_category(session=session, slug="shipping", name="Shipping")
        session.commit()
    kb.rebuild()
    yield Site(kb, build_app(kb))
    kb.close()


@pytest.fixture
def client(site: Site) -> FlaskClient:
    """A test client."""
    return site.app.test_client()


@pytest.fixture
def editor(site: Site) -> Staff:
    """An editor with a token."""
    return make_staff(site.kb, Role.EDITOR)


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
