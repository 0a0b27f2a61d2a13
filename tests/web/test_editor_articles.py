"""The editor console's article pages: access, home counts, the list, new/edit forms, workflow."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from flask import Flask

from kb.knowledge_base import KnowledgeBase
from kb.models import Article, ArticleStatus, Role
from tests.web.editor_helpers import editor_app, flashes, module_kb, new_draft, signed_in

ekb = pytest.fixture(scope="module")(module_kb)


@pytest.fixture(scope="module")
def eapp(ekb: KnowledgeBase) -> Flask:
    """The app on this module's knowledge base."""
    return editor_app(ekb)


UNIQUE = "Zephyrine"  # a word no demo article uses, so search hits are ours


def page(client, url: str) -> str:  # type: ignore[no-untyped-def]
    """A page's HTML (asserting 200)."""
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return htmllib.unescape(response.get_data(as_text=True))


def test_the_console_is_for_editors_and_admins(eapp: Flask, ekb: KnowledgeBase) -> None:
    """Visitors sign in, agents get 403; editors and admins see the home and the nav link."""
    anonymous = eapp.test_client().get("/editor")
    assert anonymous.status_code == 302 and "/account/sign-in" in anonymous.headers["Location"]
    agent, _ = signed_in(eapp, ekb, Role.AGENT)
    refused = agent.get("/editor")
    assert refused.status_code == 403
    assert "cannot do this; it needs editor or admin" in refused.get_data(as_text=True)
    assert 'href="/editor"' not in agent.get("/desk").get_data(as_text=True)
    for role in (Role.EDITOR, Role.ADMIN):
        client, _ = signed_in(eapp, ekb, role)
        html = page(client, "/editor")
        assert 'href="/editor"' in html and "Editor console" in html
        for path in ("/editor/moderation", "/editor/inbox", "/editor/gaps", "/editor/health"):
            assert f'href="{path}"' in html


def test_home_counts_drafts_and_reviews(eapp: Flask, ekb: KnowledgeBase) -> None:
    """A new draft and a submitted one move the home page's counts."""
    client, _ = signed_in(eapp, ekb)

    def counts() -> dict[str, int]:
        html = page(client, "/editor")
        return {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', html)}

    before = counts()
    new_draft(client, title="Counting drafts")
    submitted = new_draft(client, title="Counting reviews")
    assert client.post(f"/editor/articles/{submitted}/submit").status_code == 302
    after = counts()
    assert after["drafts"] == before["drafts"] + 1
    assert after["in_review"] == before["in_review"] + 1


def test_write_preview_publish_and_find_it_in_search(eapp: Flask, ekb: KnowledgeBase) -> None:
    """New draft → not public → publish → on the help centre and in search."""
    client, _ = signed_in(eapp, ekb)
    html = page(client, "/editor/articles/new?title=Gift+wrap&body=%23%23+Wrap+it")
    assert 'value="Gift wrap"' in html
    assert '<h2 id="wrap-it">Wrap it</h2>' in html  # the preview of the pre-filled body
    article_id = new_draft(
        client,
        title=f"{UNIQUE} gift wrap",
        body=f"## How\n\nWe wrap {UNIQUE} gifts for free.",
        tags="gifts, wrapping",
        category="orders-and-shipping",
        note="First version",
    )
    edit = page(client, f"/editor/articles/{article_id}")
    assert 'badge-draft">Draft</span>' in edit
    assert 'value="gifts, wrapping"' in edit and "Submit for review" in edit
    public = eapp.test_client()
    slug = f"{UNIQUE.lower()}-gift-wrap"
    assert public.get(f"/articles/{slug}").status_code == 404

    response = client.post(f"/editor/articles/{article_id}/publish", data={"note": "Go"})
    assert response.status_code == 302
    assert "Published" in " ".join(flashes(page(client, response.headers["Location"])))
    assert f"We wrap {UNIQUE} gifts" in public.get(f"/articles/{slug}").get_data(as_text=True)
    ekb.sync(force=True)
    assert slug in [hit.ref for hit in ekb.search(f"{UNIQUE} gift wrap").hits]
    assert slug in public.get(f"/search?q={UNIQUE}+gift+wrap").get_data(as_text=True)


def test_editing_a_published_article_keeps_the_live_version(
    eapp: Flask, ekb: KnowledgeBase
) -> None:
    """The edit is a pending revision; the live page changes on publish; the old slug redirects."""
    client, _ = signed_in(eapp, ekb)
    article_id = new_draft(client, title="Live edit", slug="live-edit", body="Old words.")
    client.post(f"/editor/articles/{article_id}/publish")
    form = {"title": "Live edit", "slug": "live-edit-2", "body": "New words.", "owner": ""}
    saved = client.post(f"/editor/articles/{article_id}", data=form | {"category": ""})
    assert saved.status_code == 302
    assert "live version stays" in " ".join(flashes(page(client, saved.headers["Location"])))
    html = page(client, f"/editor/articles/{article_id}")
    assert "You are editing" in html and "Publish changes" in html and "New words." in html
    public = eapp.test_client()
    assert "Old words." in public.get("/articles/live-edit").get_data(as_text=True)

    client.post(f"/editor/articles/{article_id}/publish")
    assert "New words." in public.get("/articles/live-edit-2").get_data(as_text=True)
    moved = public.get("/articles/live-edit")
    assert moved.status_code == 301 and moved.headers["Location"].endswith("/articles/live-edit-2")


def test_bad_input_is_explained_next_to_the_field(eapp: Flask, ekb: KnowledgeBase) -> None:
    """An over-long title, a malformed slug and a slug clash: 400 with clear messages."""
    client, _ = signed_in(eapp, ekb)
    base = {"body": "Text", "category": "", "owner": ""}
    long = client.post("/editor/articles", data=base | {"title": "x" * 201})
    assert long.status_code == 400
    assert "Use at most 200 characters for the title." in long.get_data(as_text=True)
    bad_slug = client.post("/editor/articles", data=base | {"title": "Ok", "slug": "Not OK"})
    assert bad_slug.status_code == 400
    assert "lowercase letters, digits and single hyphens" in bad_slug.get_data(as_text=True)
    new_draft(client, title="Clash one", slug="clash-one")
    clash = client.post("/editor/articles", data=base | {"title": "Two", "slug": "clash-one"})
    text = htmllib.unescape(clash.get_data(as_text=True))
    assert clash.status_code == 400
    assert 'id="slug-error"' in text and "clash-one" in text
    other = new_draft(client, title="Clash two")
    renamed = client.post(
        f"/editor/articles/{other}", data=base | {"title": "Clash two", "slug": "clash-one"}
    )
    assert renamed.status_code == 400 and 'id="slug-error"' in renamed.get_data(as_text=True)
    no_body = client.post("/editor/articles", data=base | {"title": "Empty", "body": ""})
    assert no_body.status_code == 400
    assert "Write the article's text." in htmllib.unescape(no_body.get_data(as_text=True))
    unknown = client.post("/editor/articles", data=base | {"title": "C", "category": "nope"})
    assert unknown.status_code == 400 and "Not a valid choice" in unknown.get_data(as_text=True)


def test_illegal_moves_are_refused_with_a_reason(eapp: Flask, ekb: KnowledgeBase) -> None:
    """Submitting an archived article: 409 and a message; a missing article: 404."""
    client, _ = signed_in(eapp, ekb)
    article_id = new_draft(client, title="Soon archived")
    assert client.post(f"/editor/articles/{article_id}/archive").status_code == 302
    html = page(client, f"/editor/articles/{article_id}")
    assert "Back to draft" in html and "Submit for review" not in html
    refused = client.post(
        f"/editor/articles/{article_id}/submit", headers={"Accept": "application/json"}
    )
    assert refused.status_code == 409
    assert refused.get_json()["error"]["message"]
    flashed = client.post(f"/editor/articles/{article_id}/submit")
    assert flashed.status_code == 302
    assert flashes(page(client, flashed.headers["Location"]))
    assert client.get("/editor/articles/999999").status_code == 404
    assert client.post("/editor/articles/999999/publish").status_code == 404


def test_the_list_filters_by_status_owner_staleness_and_title(
    eapp: Flask, ekb: KnowledgeBase
) -> None:
    """Each filter narrows the list; an unknown status is a 400."""
    client, me = signed_in(eapp, ekb)
    mine = new_draft(client, title="Filterable heron", owner=str(me.id))
    stale = new_draft(client, title="Filterable stale heron", review_by="2020-01-01")
    client.post(f"/editor/articles/{stale}/publish")

    def ids(query: str) -> set[int]:
        return {int(i) for i in re.findall(r'id="article-(\d+)"', page(client, query))}

    assert {mine, stale} <= ids("/editor/articles?q=heron")
    assert ids("/editor/articles?q=heron&status=draft") == {mine}
    assert ids("/editor/articles?q=heron&owner=me") == {mine}
    assert ids(f"/editor/articles?q=heron&owner={me.id}") == {mine}
    assert ids("/editor/articles?q=filterable+stale") == {stale}
    assert stale in ids("/editor/articles?stale=1") and mine not in ids("/editor/articles?stale=1")
    assert ids("/editor/articles?q=nothing-like-this") == set()
    assert client.get("/editor/articles?status=gone").status_code == 400
    with ekb.sessions() as session:
        assert session.get(Article, stale).status == ArticleStatus.PUBLISHED  # type: ignore[union-attr]
