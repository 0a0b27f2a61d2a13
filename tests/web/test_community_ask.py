"""Asking: similar answers first (and counted), then posting with every abuse rule applied."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.analytics import deflections
from kb.knowledge_base import KnowledgeBase
from kb.models import Moderation, SearchEvent, User
from tests.web.conftest import build_app
from tests.web.people import ask, question_row, questions_titled, sign_up, unique, user
from web import create_app


@pytest.fixture
def app(demo_kb: KnowledgeBase) -> Flask:
    """The app with CSRF off, so tests can post forms directly."""
    return build_app(demo_kb, csrf=False)


def event(kb: KnowledgeBase, event_id: int) -> SearchEvent:
    """A stored search event."""
    with kb.sessions() as session:
        found = session.get(SearchEvent, event_id)
        assert found is not None
        return found


def suggestion_links(page: str) -> list[str]:
    """The click-tracked suggestion links on an ask page."""
    return [html.unescape(h) for h in re.findall(r'href="(/search/click/[^"]+)"', page)]


# step one and two


def test_ask_step_one(client: FlaskClient) -> None:
    """The first step asks for the title only, with live suggestions wired up for the script."""
    page = client.get("/community/ask").get_data(as_text=True)
    assert 'id="ask-title-form"' in page
    assert 'method="get"' in page
    assert 'data-similar-url="/community/ask/similar"' in page
    assert 'id="similar-results"' in page
    assert 'id="ask-form"' not in page


def test_ask_step_one_without_a_title(client: FlaskClient) -> None:
    """Continuing with an empty title says what to do."""
    response = client.get("/community/ask?title=+")
    assert response.status_code == 400
    assert "Write your question in a sentence." in response.get_data(as_text=True)


def test_ask_step_two_suggests_and_records_the_search(
    client: FlaskClient, demo_kb: KnowledgeBase
) -> None:
    """Similar articles and questions are shown, the search is recorded on the ask channel."""
    sign_up(client)
    response = client.get("/community/ask?title=Can+I+return+boots+I+wore+outside")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "These may already answer your question" in page
    links = suggestion_links(page)
    assert 1 <= len(links) <= 5
    assert "How to return an item" in page
    event_id = int(re.search(r'name="event_id" type="hidden" value="(\d+)"', page).group(1))  # type: ignore[union-attr]
    recorded = event(demo_kb, event_id)
    assert (recorded.channel, recorded.query) == ("ask", "Can I return boots I wore outside")
    assert recorded.result_count > 0
    assert all(f"/search/click/{event_id}?" in link for link in links)
    assert 'value="Can I return boots I wore outside"' in page  # the title is carried along
    assert "My question isn't answered — post it" in page


def test_clicking_a_suggestion_is_a_deflection(client: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """Following a suggestion goes to the content and counts the attempt as deflected."""
    with demo_kb.sessions() as session:
        before = deflections(session=session)
    page = client.get("/community/ask?title=How+do+I+return+an+item").get_data(as_text=True)
    link = suggestion_links(page)[0]
    response = client.get(link)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(("/articles/", "/community/questions/"))
    with demo_kb.sessions() as session:
        after = deflections(session=session)
    assert after.deflected == before.deflected + 1


def test_anonymous_askers_are_asked_to_sign_in_keeping_the_title(client: FlaskClient) -> None:
    """Without an account the suggestions still show; posting needs signing in, title kept."""
    page = client.get("/community/ask?title=Do+tents+leak").get_data(as_text=True)
    assert 'id="ask-form"' not in page
    assert "/account/sign-in?next=/community/ask?title%3DDo%2Btents%2Bleak" in page


def test_similar_endpoint(client: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """Live suggestions as JSON, with click-tracked links and the event id."""
    response = client.get(
        "/community/ask/similar?title=return+boots", headers={"Accept": "application/json"}
    )
    data = response.get_json()
    assert response.status_code == 200
    assert data["event_id"] > 0
    assert data["results"]
    first = data["results"][0]
    assert set(first) == {"title", "url", "source", "label", "snippet"}
    assert first["url"].startswith(f"/search/click/{data['event_id']}?source=")
    assert first["label"] in {"Official", "Community answer"}
    assert event(demo_kb, data["event_id"]).channel == "ask"


def test_similar_endpoint_short_and_long_titles(client: FlaskClient) -> None:
    """Very short titles search nothing; over-long ones get a JSON 400."""
    short = client.get("/community/ask/similar?title=ab").get_json()
    assert short == {"title": "ab", "event_id": None, "results": []}
    long = client.get(
        "/community/ask/similar?title=" + "x" * 201, headers={"Accept": "application/json"}
    )
    assert long.status_code == 400
    assert long.get_json()["error"]["message"] == "Keep the question to 200 characters."


# posting


def test_post_a_question(client: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """A posted question is stored with its author and topic and linked to the ask search."""
    email = sign_up(client)
    title = unique("Do the Basecamp tents fit two people ")
    page = client.get(f"/community/ask?title={title}").get_data(as_text=True)
    event_id = re.search(r'name="event_id" type="hidden" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    question_id = ask(
        client, title, "Asking for a **trip**.", category="products-and-sizing", event_id=event_id
    )
    stored = question_row(demo_kb, question_id)
    assert (stored.title, stored.body) == (title, "Asking for a **trip**.")
    assert stored.author_id == user(demo_kb, email).id
    assert stored.category_id is not None
    assert stored.moderation == Moderation.VISIBLE
    assert event(demo_kb, int(event_id)).question_id == question_id
    shown = client.get(f"/community/questions/{question_id}").get_data(as_text=True)
    assert "Your question is posted." in shown
    assert "Asking for a <strong>trip</strong>." in shown


def test_anonymous_posting_goes_to_sign_in(client: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """Posting without an account redirects to sign in, back to the page it came from."""
    title = unique("Anonymous ")
    response = client.post(
        "/community/ask",
        data={"title": title},
        headers={"Referer": "http://localhost/community/ask?title=Tents"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/sign-in?next=/community/ask?title%3DTents"
    assert questions_titled(demo_kb, title) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "Write your question in a sentence."),
        ({"title": "<script>alert(1)</script>"}, "Write your question in a sentence."),
        ({"title": "t" * 201}, "Keep the question to 200 characters; put details below."),
        ({"body": "b" * 10_001}, "Keep the details to 10,000 characters."),
        ({"category": "tents"}, "Choose a topic from the list."),
    ],
)
def test_post_question_bad_input_keeps_what_was_typed(
    client: FlaskClient, demo_kb: KnowledgeBase, fields: dict[str, str], message: str
) -> None:
    """Each problem gets a 400 with a clear message; the typed text is still in the form."""
    sign_up(client)
    data = {"title": unique("Kept title "), "body": unique("Kept body "), **fields}
    response = client.post("/community/ask", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert html.escape(message, quote=True).replace("&#x27;", "&#39;") in page
    if "title" not in fields:
        assert f'value="{data["title"]}"' in page
    if "body" not in fields:
        assert data["body"] in page
    assert questions_titled(demo_kb, data["title"]) == []


def test_honeypot_on_ask_pretends_and_stores_nothing(
    client: FlaskClient, demo_kb: KnowledgeBase
) -> None:
    """A bot filling the hidden field sees success; nothing is stored."""
    sign_up(client)
    title = unique("Bot question ")
    response = client.post(
        "/community/ask", data={"title": title, "website": "http://spam.example"}
    )
    assert response.status_code == 302
    assert questions_titled(demo_kb, title) == []


def test_new_accounts_cannot_post_many_links(client: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """Too many links from a new account: a 400 form error, everything typed kept."""
    sign_up(client)
    title = unique("Links ")
    body = "See https://one.example and https://two.example"
    response = client.post("/community/ask", data={"title": title, "body": body})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "New accounts can include at most 1 link per post for their first 3 days." in page
    assert body in page
    assert questions_titled(demo_kb, title) == []


def test_held_keywords_send_the_question_to_moderation(
    client: FlaskClient, demo_kb: KnowledgeBase
) -> None:
    """The author sees the pending post and the notice; nobody else sees it, search neither."""
    sign_up(client)
    title = unique("Best casino bonus ")
    question_id = ask(client, title, "Totally on topic.")
    stored = question_row(demo_kb, question_id)
    assert stored.moderation == Moderation.PENDING
    assert stored.moderation_reason == "Held keyword: casino"
    own = client.get(f"/community/questions/{question_id}").get_data(as_text=True)
    assert "Your post is waiting for a moderator." in own
    assert "Waiting for a moderator" in own
    stranger = client.application.test_client()
    assert stranger.get(f"/community/questions/{question_id}").status_code == 404
    assert title not in stranger.get("/community/").get_data(as_text=True)
    demo_kb.sync(force=True)
    hits = demo_kb.search(title, limit=10).hits
    assert str(question_id) not in {hit.ref for hit in hits if hit.source.value == "community"}


def test_staff_can_see_held_questions(client: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """Staff see held posts (their review screen comes later)."""
    sign_up(client)
    question_id = ask(client, unique("casino again "))
    staff = client.application.test_client()
    email = sign_up(staff)
    with demo_kb.sessions() as session:
        row = session.get(User, user(demo_kb, email).id)
        assert row is not None
        row.role = "agent"  # type: ignore[assignment]
        session.commit()
    assert staff.get(f"/community/questions/{question_id}").status_code == 200


def test_suspended_accounts_cannot_post(client: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """A suspended account is signed out and sent to sign in; nothing is stored."""
    email = sign_up(client)
    with demo_kb.sessions() as session:
        row = session.scalar(select(User).where(User.email == email))
        assert row is not None
        row.suspended = True
        session.commit()
    title = unique("Suspended ")
    response = client.post("/community/ask", data={"title": title})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/sign-in")
    assert questions_titled(demo_kb, title) == []


def test_posting_is_rate_limited(demo_kb: KnowledgeBase) -> None:
    """Past the posting limit a person gets the 429 page."""
    app = build_app(demo_kb, csrf=False, post_rate_limit="2 per minute")
    client = app.test_client()
    sign_up(client)
    ask(client, unique("First "))
    ask(client, unique("Second "))
    response = client.post("/community/ask", data={"title": unique("Third ")})
    assert response.status_code == 429
    assert "Slow down a little" in response.get_data(as_text=True)
    assert response.headers["Retry-After"]


def test_ask_csrf_is_enforced(demo_kb: KnowledgeBase) -> None:
    """With CSRF on, a question posted without the token is refused."""
    app = create_app({"TESTING": True}, settings=demo_kb.settings, knowledge_base=demo_kb)
    client = app.test_client()
    page = client.get("/account/sign-up").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    name = unique("csrf")
    client.post(
        "/account/sign-up",
        data={
            "email": f"{name}@example.com",
            "display_name": name,
            "password": "correct horse battery",
            "confirm": "correct horse battery",
            "csrf_token": token,
        },
    )
    title = unique("No token ")
    assert client.post("/community/ask", data={"title": title}).status_code == 400
    assert questions_titled(demo_kb, title) == []
    assert (
        client.post("/community/ask", data={"title": title, "csrf_token": token}).status_code == 302
    )
