"""The editor console's history (diffs, restore), phrasings, stale list and live preview."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.articles import add_phrasing
from kb.knowledge_base import KnowledgeBase
from kb.models import Article, PhrasingSource, Role
from tests.web.conftest import build_app
from tests.web.editor_helpers import editor_app, flashes, module_kb, new_draft, signed_in

ekb = pytest.fixture(scope="module")(module_kb)


@pytest.fixture(scope="module")
def eapp(ekb: KnowledgeBase) -> Flask:
    """The app on this module's knowledge base."""
    return editor_app(ekb)


def text(response) -> str:  # type: ignore[no-untyped-def]
    """A response's HTML with entities decoded."""
    return htmllib.unescape(response.get_data(as_text=True))


def three_revisions(client: FlaskClient) -> int:
    """A draft saved three times (1: a/b/c, 2: b changed, 3: title changed); its id."""
    article_id = new_draft(client, title="Diffable", body="line a\nline b\nline c", note="Start")
    form = {"title": "Diffable", "category": "", "owner": ""}
    client.post(
        f"/editor/articles/{article_id}",
        data=form | {"body": "line a\nline B!\nline c", "note": "Shout b"},
    )
    client.post(
        f"/editor/articles/{article_id}",
        data=form | {"title": "Diffable two", "body": "line a\nline B!\nline c"},
    )
    return article_id


def test_history_lists_revisions_with_who_when_and_note(eapp: Flask, ekb: KnowledgeBase) -> None:
    """Newest first, with the author's name and the notes given."""
    client, me = signed_in(eapp, ekb)
    article_id = three_revisions(client)
    html = text(client.get(f"/editor/articles/{article_id}/history"))
    numbers = [int(n) for n in re.findall(r'<tr id="revision-(\d+)"', html)]
    assert numbers == [3, 2, 1]
    assert "Shout b" in html and "Start" in html
    assert me.email.split("@")[0] in html  # the author's display name


def test_side_by_side_and_inline_diffs(eapp: Flask, ekb: KnowledgeBase) -> None:
    """The default compares the last two; any two can be compared, in either layout."""
    client, _ = signed_in(eapp, ekb)
    article_id = three_revisions(client)
    latest = text(client.get(f"/editor/articles/{article_id}/history"))
    assert "Fields changed from revision 2 to 3" in latest
    assert "Diffable two" in latest and "The body is the same in both." in latest

    side = text(client.get(f"/editor/articles/{article_id}/history?a=1&b=2"))
    row = re.search(r'<tr class="row-replace">(.*?)</tr>', side, re.S)
    assert row and "line b" in row.group(1) and "line B!" in row.group(1)
    assert side.count('<tr class="row-equal">') == 2
    inline = text(client.get(f"/editor/articles/{article_id}/history?a=1&b=2&view=inline"))
    assert re.search(r'<li class="line-delete">.*line b</li>', inline)
    assert re.search(r'<li class="line-insert">.*line B!</li>', inline)
    inline_block = re.search(r'data-diff="inline"\s*>', inline)
    assert inline_block, "the inline diff is shown (not hidden) when asked for"


def test_diff_and_restore_refuse_bad_revisions(eapp: Flask, ekb: KnowledgeBase) -> None:
    """A missing revision is a 404 with the number in it; a malformed one a 400."""
    client, _ = signed_in(eapp, ekb)
    article_id = three_revisions(client)
    missing = client.get(f"/editor/articles/{article_id}/history?a=1&b=99")
    assert missing.status_code == 404 and "99" in text(missing)
    assert client.get(f"/editor/articles/{article_id}/history?a=x").status_code == 400
    assert client.get(f"/editor/articles/{article_id}/history?view=wide").status_code == 400
    restore = client.post(
        f"/editor/articles/{article_id}/revisions/42/restore",
        headers={"Accept": "application/json"},
    )
    assert restore.status_code == 404 and "42" in restore.get_json()["error"]["message"]
    flashed = client.post(f"/editor/articles/{article_id}/revisions/42/restore")
    assert flashed.status_code == 302
    assert any(
        "42" in message for message in flashes(text(client.get(flashed.headers["Location"])))
    )


def test_restore_writes_a_new_revision_with_the_note(eapp: Flask, ekb: KnowledgeBase) -> None:
    """Restoring revision 1 makes revision 4 with revision 1's content and the note given."""
    client, _ = signed_in(eapp, ekb)
    article_id = three_revisions(client)
    response = client.post(
        f"/editor/articles/{article_id}/revisions/1/restore", data={"note": "Back to basics"}
    )
    assert response.status_code == 302
    assert "a=1" in response.headers["Location"] and "b=4" in response.headers["Location"]
    html = text(client.get(response.headers["Location"]))
    assert "Revision 1 restored as revision 4." in flashes(html)
    assert "Back to basics" in html and "Revisions 1 and 4 have the same content." in html
    edit = text(client.get(f"/editor/articles/{article_id}"))
    assert "line b\nline c" in edit and 'value="Diffable"' in edit


def test_restoring_a_published_article_leaves_it_live(eapp: Flask, ekb: KnowledgeBase) -> None:
    """The restored content waits as a pending revision until it is published."""
    client, _ = signed_in(eapp, ekb)
    article_id = new_draft(client, title="Live restore", slug="live-restore", body="First.")
    client.post(f"/editor/articles/{article_id}/publish")
    client.post(
        f"/editor/articles/{article_id}",
        data={"title": "Live restore", "body": "Second.", "category": "", "owner": ""},
    )
    client.post(f"/editor/articles/{article_id}/publish")
    response = client.post(f"/editor/articles/{article_id}/revisions/1/restore")
    assert "live version stays" in " ".join(flashes(text(client.get(response.headers["Location"]))))
    public = eapp.test_client()
    assert "Second." in text(public.get("/articles/live-restore"))
    client.post(f"/editor/articles/{article_id}/publish")
    assert "First." in text(public.get("/articles/live-restore"))


def test_phrasings_can_be_edited_and_removed(eapp: Flask, ekb: KnowledgeBase) -> None:
    """A learnt phrasing is shown as learnt, reworded, removed; problems are explained."""
    client, _ = signed_in(eapp, ekb)
    article_id = new_draft(client, title="Phrased")
    with ekb.sessions() as session:
        article = session.get(Article, article_id)
        assert article is not None
        learnt = add_phrasing(
            session=session,
            article=article,
            text="where is my parsel",
            source=PhrasingSource.CONFIRMED_RESOLUTION,
        )
        kept = add_phrasing(session=session, article=article, text="track my order")
        session.commit()
        assert learnt is not None and kept is not None
        learnt_id = learnt.id
    url = f"/editor/articles/{article_id}/phrasings"
    html = text(client.get(url))
    assert "where is my parsel" in html and "Learnt" in html

    client.post(f"{url}/{learnt_id}", data={"text": "where is my parcel"})
    assert 'value="where is my parcel"' in text(client.get(url))
    empty = client.post(f"{url}/{learnt_id}", data={"text": "  "})
    assert "Write the phrasing" in " ".join(flashes(text(client.get(empty.headers["Location"]))))
    duplicate = client.post(
        f"{url}/{learnt_id}",
        data={"text": "Track my order"},
        headers={"Accept": "application/json"},
    )
    assert (
        duplicate.status_code == 400
        and "track my order" in duplicate.get_json()["error"]["message"]
    )

    assert client.post(f"{url}/{learnt_id}/remove").status_code == 302
    html = text(client.get(url))
    assert "where is my parcel" not in html and "track my order" in html
    assert client.post(f"{url}/{learnt_id}/remove").status_code == 302  # flashed, not a 500
    gone = client.post(f"{url}/{learnt_id}/remove", headers={"Accept": "application/json"})
    assert gone.status_code == 404
    assert client.get(f"/editor/articles/{article_id}").status_code == 200


def test_stale_articles_are_listed_by_owner(eapp: Flask, ekb: KnowledgeBase) -> None:
    """Published and past review-by: grouped under the owner's name; drafts and future dates not."""
    client, me = signed_in(eapp, ekb)
    owner = str(me.id)
    old = new_draft(client, title="Stale owned", owner=owner, review_by="2021-03-01")
    client.post(f"/editor/articles/{old}/publish")
    orphan = new_draft(client, title="Stale orphan", review_by="2021-03-01")
    client.post(f"/editor/articles/{orphan}/publish")
    new_draft(client, title="Stale draft only", review_by="2021-03-01")
    fresh = new_draft(client, title="Fresh owned", owner=owner, review_by="2999-01-01")
    client.post(f"/editor/articles/{fresh}/publish")
    html = text(client.get("/editor/stale")).split("<h1>Due for review</h1>", 1)[1]
    groups = re.findall(r'<h2 id="owner-\d+">(.*?) <span', html)
    assert me.email.split("@")[0] in groups and "No owner" in groups
    mine = html.split(me.email.split("@")[0], 1)[1].split("<h2", 1)[0]
    assert "Stale owned" in mine and "Fresh owned" not in html
    assert "Stale draft only" not in html and "Overdue" in html


def test_preview_renders_sanitised_markdown(eapp: Flask, ekb: KnowledgeBase) -> None:
    """Headings and tables render; scripts and javascript: links do not; size is limited."""
    client, _ = signed_in(eapp, ekb)
    body = (
        "## Steps\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) **bold**\n\n"
        '<a href="https://example.com" onclick="alert(2)">ok</a>'
    )
    response = client.post("/editor/preview", json={"body": body})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert '<h2 id="steps">Steps</h2>' in data["html"] and "<strong>bold</strong>" in data["html"]
    assert "<script" not in data["html"] and 'href="javascript' not in data["html"]
    assert "onclick" not in data["html"] and 'href="https://example.com"' in data["html"]
    assert data["headings"] == [{"level": 2, "anchor": "steps", "text": "Steps"}]
    assert client.post("/editor/preview", data={"body": "*form*"}).get_json()["html"].strip() == (
        "<p><em>form</em></p>"
    )
    too_big = client.post("/editor/preview", json={"body": "x" * 200_001})
    assert too_big.status_code == 400 and "200,000" in too_big.get_json()["error"]["message"]
    wrong = client.post("/editor/preview", json={"body": 5})
    assert wrong.status_code == 400 and "body" in wrong.get_json()["error"]["message"]
    agent, _ = signed_in(eapp, ekb, Role.AGENT)
    assert agent.post("/editor/preview", json={"body": "x"}).status_code == 403


def test_preview_needs_the_csrf_token(ekb: KnowledgeBase) -> None:
    """With CSRF on, editor.js's X-CSRFToken header is what lets the preview through."""
    app = build_app(ekb, csrf=False)
    client, _ = signed_in(app, ekb)
    app.config["WTF_CSRF_ENABLED"] = True
    page = text(client.get("/editor/articles/new"))
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert token
    refused = client.post("/editor/preview", json={"body": "hi"})
    assert refused.status_code == 400
    allowed = client.post(
        "/editor/preview", json={"body": "hi"}, headers={"X-CSRFToken": token.group(1)}
    )
    assert allowed.status_code == 200 and allowed.get_json()["html"].strip() == "<p>hi</p>"
