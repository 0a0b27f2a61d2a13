"""'Was this helpful?' on articles, and chats started from feedback or a failed search."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.articles import save_article
from kb.db import transaction
from kb.knowledge_base import KnowledgeBase
from kb.models import Article, ArticleFeedback, ChatStart
from tests.web.conftest import build_app

SLUG = "change-or-cancel-an-order"
ARTICLE = f"/articles/{SLUG}"
FEEDBACK = f"{ARTICLE}/feedback"


@pytest.fixture
def form_app(demo_kb: KnowledgeBase) -> Flask:
    """The app with CSRF checks off, for testing what the forms do."""
    return build_app(demo_kb, csrf=False)


@pytest.fixture
def visitor(form_app: Flask) -> FlaskClient:
    """A browser of a visitor who has opened the article (and so has a visitor cookie)."""
    client = form_app.test_client()
    assert client.get(ARTICLE).status_code == 200
    return client


def _feedback_rows(demo_kb: KnowledgeBase, visitor_id: str | None = None) -> list[ArticleFeedback]:
    """Feedback on the test article, optionally one visitor's only."""
    with demo_kb.sessions() as session:
        article_id = session.scalar(select(Article.id).where(Article.slug == SLUG))
        query = select(ArticleFeedback).where(ArticleFeedback.article_id == article_id)
        if visitor_id is not None:
            query = query.where(ArticleFeedback.visitor_id == visitor_id)
        return list(session.scalars(query))


def _visitor_id(client: FlaskClient) -> str:
    """The visitor id the site gave this browser."""
    cookie = client.get_cookie("tier0_visitor")
    assert cookie is not None
    return f"anon:{cookie.value}"


def _chat(demo_kb: KnowledgeBase, location: str) -> ChatStart:
    """The chat start a redirect to /chat?start=… points at."""
    token = parse_qs(urlparse(location).query)["start"][0]
    with demo_kb.sessions() as session:
        chat = session.scalar(select(ChatStart).where(ChatStart.token == token))
        assert chat is not None
        return chat


# CSRF


def test_feedback_without_a_csrf_token_is_refused(
    client: FlaskClient, demo_kb: KnowledgeBase
) -> None:
    """With CSRF protection on (the default), a POST without the token is a 400 and stores nothing."""
    client.get(ARTICLE)
    response = client.post(FEEDBACK, data={"helpful": "yes"})
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert _feedback_rows(demo_kb, _visitor_id(client)) == []


def test_feedback_with_the_pages_csrf_token_is_accepted(
    client: FlaskClient, demo_kb: KnowledgeBase
) -> None:
    """The token the article page embeds is the one the POST needs."""
    html = client.get(ARTICLE).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = client.post(FEEDBACK, data={"helpful": "yes", "csrf_token": token})
    assert response.status_code == 302
    assert [row.helpful for row in _feedback_rows(demo_kb, _visitor_id(client))] == [True]


def test_chat_start_needs_a_csrf_token(client: FlaskClient) -> None:
    """Starting a chat is a form POST like any other."""
    assert client.post("/chat/start", data={"origin": "search", "q": "boots"}).status_code == 400


# voting


def test_article_page_offers_the_feedback_form(visitor: FlaskClient) -> None:
    """Yes and no buttons with an optional comment, posting to the feedback URL."""
    html = visitor.get(ARTICLE).get_data(as_text=True)
    section = html.split('id="feedback"')[1].split("</section>")[0]
    assert f'action="{FEEDBACK}"' in section and 'name="csrf_token"' in section
    assert 'id="feedback-yes"' in section and 'value="yes"' in section
    assert 'id="feedback-no"' in section and 'value="no"' in section
    assert 'name="comment" maxlength="1000"' in section


def test_a_yes_vote_redirects_back_with_thanks(
    visitor: FlaskClient, demo_kb: KnowledgeBase
) -> None:
    """Without JS the vote redirects to the feedback section, which then says thank you."""
    response = visitor.post(FEEDBACK, data={"helpful": "yes"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"{ARTICLE}#feedback"
    html = visitor.get(ARTICLE).get_data(as_text=True)
    assert "glad it helped" in html  # the flash
    assert 'data-feedback-state="yes"' in html and 'id="feedback-yes"' not in html
    rows = _feedback_rows(demo_kb, _visitor_id(visitor))
    assert [(r.helpful, r.comment) for r in rows] == [(True, "")]


def test_changing_your_vote_updates_instead_of_adding(
    visitor: FlaskClient, demo_kb: KnowledgeBase
) -> None:
    """A second vote by the same visitor replaces the first: still one row."""
    visitor.post(FEEDBACK, data={"helpful": "yes"})
    visitor.post(FEEDBACK, data={"helpful": "no", "comment": "It skips step 3"})
    visitor.post(FEEDBACK, data={"helpful": "no"})  # no comment field: the comment stays
    rows = _feedback_rows(demo_kb, _visitor_id(visitor))
    assert [(r.helpful, r.comment) for r in rows] == [(False, "It skips step 3")]


def test_different_visitors_vote_separately(form_app: Flask, demo_kb: KnowledgeBase) -> None:
    """Two browsers make two rows."""
    before = len(_feedback_rows(demo_kb))
    for _ in range(2):
        browser = form_app.test_client()
        browser.get(ARTICLE)
        browser.post(FEEDBACK, data={"helpful": "yes"})
    assert len(_feedback_rows(demo_kb)) == before + 2


@pytest.mark.parametrize("value", ["", "maybe", "YES", "1", "true"])
def test_a_bad_helpful_value_is_a_400(visitor: FlaskClient, value: str) -> None:
    """Only yes or no are answers."""
    data = {"helpful": value} if value else {}
    response = visitor.post(FEEDBACK, data=data)
    assert response.status_code == 400
    assert "yes" in response.get_data(as_text=True)


def test_a_too_long_comment_is_a_400_with_a_message(
    visitor: FlaskClient, demo_kb: KnowledgeBase
) -> None:
    """Comments are limited to 1,000 characters, and the page says so."""
    response = visitor.post(FEEDBACK, data={"helpful": "no", "comment": "x" * 1001})
    assert response.status_code == 400
    assert "1,001 characters" in response.get_data(as_text=True)
    assert "1,000" in response.get_data(as_text=True)
    assert _feedback_rows(demo_kb, _visitor_id(visitor)) == []


def test_comments_are_stored_without_markup(visitor: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """HTML in a comment is stripped on save (and escaped when shown)."""
    visitor.post(
        FEEDBACK, data={"helpful": "no", "comment": "<script>alert(1)</script>Too <b>short</b>"}
    )
    rows = _feedback_rows(demo_kb, _visitor_id(visitor))
    assert rows[0].comment == "Too short"


def test_feedback_on_unknown_or_unpublished_articles_is_404(
    visitor: FlaskClient, demo_kb: KnowledgeBase
) -> None:
    """There is nothing to vote on."""
    with transaction(demo_kb.sessions) as session:
        save_article(
            session=session,
            slug="help-test-feedback-draft",
            title="Draft",
            body="Soon.",
            status="draft",
        )
    for slug in ("no-such-article", "help-test-feedback-draft"):
        response = visitor.post(f"/articles/{slug}/feedback", data={"helpful": "yes"})
        assert response.status_code == 404


def test_feedback_by_fetch_gets_json_and_the_new_section(
    visitor: FlaskClient, demo_kb: KnowledgeBase
) -> None:
    """With JS, the answer is JSON holding the updated section (the chat offer after a no)."""
    response = visitor.post(
        FEEDBACK,
        data={"helpful": "no", "comment": "Where is the cancel button?"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True and body["helpful"] is False and body["message"]
    html = body["html"]
    assert html.lstrip().startswith("<section") or 'id="feedback"' in html
    assert 'data-feedback-state="no"' in html and 'id="chat-with-us"' in html
    feedback_id = _feedback_rows(demo_kb, _visitor_id(visitor))[0].id
    assert f'name="feedback_id" value="{feedback_id}"' in html
    assert "Where is the cancel button?" in html


def test_errors_by_fetch_are_json(visitor: FlaskClient) -> None:
    """A bad vote sent by fetch gets a JSON error the page can show."""
    response = visitor.post(
        FEEDBACK, data={"helpful": "perhaps"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 400
    assert "yes" in response.get_json()["error"]["message"]


# chats


def test_no_vote_offers_a_chat_that_carries_article_and_comment(
    visitor: FlaskClient, demo_kb: KnowledgeBase
) -> None:
    """After a no, "Chat with us" stores the context and the chat page shows it."""
    visitor.post(FEEDBACK, data={"helpful": "no", "comment": "I can't find the cancel button"})
    page = visitor.get(ARTICLE).get_data(as_text=True)
    feedback_id = re.search(r'name="feedback_id" value="(\d+)"', page).group(1)
    assert 'formaction="/chat/start"' in page
    response = visitor.post(
        "/chat/start", data={"origin": "article_feedback", "feedback_id": feedback_id}
    )
    assert response.status_code == 302 and response.headers["Location"].startswith("/chat?start=")
    chat = _chat(demo_kb, response.headers["Location"])
    with demo_kb.sessions() as session:
        article_id = session.scalar(select(Article.id).where(Article.slug == SLUG))
    assert (chat.origin, chat.article_id, chat.feedback_id) == (
        "article_feedback",
        article_id,
        int(feedback_id),
    )
    assert chat.comment == "I can't find the cancel button"
    assert chat.visitor_id == _visitor_id(visitor)
    html = visitor.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="chat-context"' in html and "Change or cancel an order" in html
    assert "find the cancel button" in html
    assert "A person from our team or our assistant will pick it up" in html


def test_a_comment_typed_before_chatting_is_kept(
    visitor: FlaskClient, demo_kb: KnowledgeBase
) -> None:
    """The comment box travels with "Chat with us" and is saved on the feedback too."""
    visitor.post(FEEDBACK, data={"helpful": "no"})
    feedback = _feedback_rows(demo_kb, _visitor_id(visitor))[0]
    response = visitor.post(
        "/chat/start",
        data={
            "origin": "article_feedback",
            "feedback_id": feedback.id,
            "helpful": "no",
            "comment": "The <i>refund</i> part is unclear",
        },
    )
    assert _chat(demo_kb, response.headers["Location"]).comment == "The refund part is unclear"
    assert _feedback_rows(demo_kb, _visitor_id(visitor))[0].comment == "The refund part is unclear"


def test_no_chat_from_someone_elses_feedback(
    visitor: FlaskClient, form_app: Flask, demo_kb: KnowledgeBase
) -> None:
    """A feedback id from another visitor is not found."""
    visitor.post(FEEDBACK, data={"helpful": "no", "comment": "private"})
    feedback_id = _feedback_rows(demo_kb, _visitor_id(visitor))[0].id
    stranger = form_app.test_client()
    response = stranger.post(
        "/chat/start", data={"origin": "article_feedback", "feedback_id": feedback_id}
    )
    assert response.status_code == 404
    assert "private" not in response.get_data(as_text=True)


def test_chat_from_a_search_carries_the_query(visitor: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """The search's text is stored and shown on the chat page."""
    response = visitor.post("/chat/start", data={"origin": "search", "q": "  warp   drive "})
    assert response.status_code == 302
    chat = _chat(demo_kb, response.headers["Location"])
    assert (chat.origin, chat.query, chat.article_id) == ("search", "warp drive", None)
    html = visitor.get(response.headers["Location"]).get_data(as_text=True)
    assert "“warp drive”" in html and 'id="chat-context-query"' in html


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({}, 400, "article or a search"),
        ({"origin": "email"}, 400, "article or a search"),
        ({"origin": "search"}, 400, "search text"),
        ({"origin": "search", "q": "x" * 301}, 400, "300 characters"),
        ({"origin": "article_feedback"}, 400, "missing the feedback"),
        ({"origin": "article_feedback", "feedback_id": "abc"}, 400, "missing the feedback"),
        ({"origin": "article_feedback", "feedback_id": "99999999"}, 404, "feedback"),
    ],
)
def test_bad_chat_starts(
    visitor: FlaskClient, data: dict[str, str], status: int, message: str
) -> None:
    """Bad chat starts say what is wrong."""
    response = visitor.post("/chat/start", data=data)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
