"""The API's community Q&A: listing and reading questions, and posting as a signed-in customer."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.accounts import create_customer
from kb.knowledge_base import KnowledgeBase
from kb.models import Role, User, utcnow
from tests.web.conftest import build_app
from web import create_app

ASK = "/api/v1/community/questions"


@pytest.fixture
def app(demo_kb: KnowledgeBase) -> Flask:
    """The app with CSRF off, so tests can post JSON without a token."""
    return build_app(demo_kb, csrf=False)


def unique_title(prefix: str = "How do I") -> str:
    """A question title no other test uses."""
    return f"{prefix} {uuid.uuid4().hex[:10]}?"


def make_user(
    kb: KnowledgeBase, *, role: Role = Role.CUSTOMER, age_days: int = 30, suspended: bool = False
) -> int:
    """A new account (old enough to post links unless ``age_days`` is small); its id."""
    name = f"api{uuid.uuid4().hex[:10]}"
    with kb.sessions() as session:
        user = create_customer(
            session=session,
            email=f"{name}@example.com",
            display_name=name,
            password_hash="test-only-not-a-real-hash",
        )
        user.role, user.suspended = role, suspended
        user.created_at = utcnow() - timedelta(days=age_days)
        session.commit()
        return user.id


def sign_in(app: Flask, client: FlaskClient, user_id: int) -> None:
    """Put ``user_id`` into the client's session as flask-login does when signing in."""
    # "strong" session protection ties the session to the client's address and user agent.
    with app.test_request_context(environ_base=client.environ_base):
        identifier = app.login_manager._session_identifier_generator()  # type: ignore[attr-defined]
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
        session["_id"] = identifier


@pytest.fixture
def customer(app: Flask, client: FlaskClient, demo_kb: KnowledgeBase) -> int:
    """A signed-in customer's id."""
    user_id = make_user(demo_kb)
    sign_in(app, client, user_id)
    return user_id


def ask(client: FlaskClient, **fields: Any) -> Any:
    """Post a question as JSON; the response."""
    return client.post(ASK, json={"title": unique_title(), **fields})


# reading


def test_questions_list_newest_first(client: FlaskClient) -> None:
    """Questions come newest first in the pagination envelope, marked as community content."""
    first = client.get(f"{ASK}?per_page=5").get_json()
    second = client.get(f"{ASK}?per_page=5&page=2").get_json()
    assert first["page"] == 1 and first["per_page"] == 5 and first["total"] >= 20
    assert first["pages"] == -(-first["total"] // 5)
    items = first["items"] + second["items"]
    assert len({q["id"] for q in items}) == 10
    created = [q["created_at"] for q in items]
    assert created == sorted(created, reverse=True)
    for question in items:
        assert question["source"] == "community"
        assert question["url"] == f"http://localhost/community/questions/{question['id']}"
        assert question["answer_count"] >= 0


def test_questions_filter_by_status_and_category(client: FlaskClient) -> None:
    """status and category narrow the list."""
    answered = client.get(f"{ASK}?status=answered&per_page=100").get_json()["items"]
    assert answered and {q["status"] for q in answered} == {"answered"}
    returns = client.get(f"{ASK}?category=returns-and-refunds&per_page=100").get_json()["items"]
    assert returns and {q["category"]["slug"] for q in returns} == {"returns-and-refunds"}


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("status=solved", "status", "'open', 'answered' or 'closed'"),
        ("category=no-such-category", "category", "no-such-category"),
        ("page=0", "page", "at least 1"),
        ("page=two", "page", "whole number"),
        ("per_page=1000", "per_page", "at most 100"),
        ("unanswered=1", "unanswered", "not a field"),
    ],
)
def test_questions_list_rejects_bad_parameters(
    client: FlaskClient, query: str, field: str, words: str
) -> None:
    """Bad list parameters answer 400 naming the field."""
    response = client.get(f"{ASK}?{query}")
    assert response.status_code == 400
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {field} and words in fields[field]


def test_question_with_its_answers(client: FlaskClient) -> None:
    """A demo question reads with its answers: community badges, scores, one accepted."""
    body = client.get(f"{ASK}/1").get_json()
    assert body["id"] == 1 and body["source"] == "community" and body["moderation"] == "visible"
    assert body["answers"] and body["answer_count"] == len(body["answers"])
    assert {a["source"] for a in body["answers"]} == {"community"}
    assert sum(a["accepted"] for a in body["answers"]) == 1 and body["has_accepted_answer"]
    assert all(isinstance(a["score"], int) and a["html"].startswith("<p>") for a in body["answers"])
    assert {a["question_id"] for a in body["answers"]} == {1}


def test_unknown_question_is_404(client: FlaskClient) -> None:
    """Unknown ids answer 404 in JSON, for reading and for answering."""
    response = client.get(f"{ASK}/987654")
    assert response.status_code == 404
    assert "987654" in response.get_json()["error"]["message"]


# posting


def test_anonymous_posts_are_401(client: FlaskClient) -> None:
    """Posting needs a signed-in account, whatever the body."""
    for url, body in ((ASK, {"title": unique_title()}), (f"{ASK}/1/answers", {"body": "Hi"})):
        response = client.post(url, json=body)
        assert response.status_code == 401
        error = response.get_json()["error"]
        assert error["status"] == 401 and "Sign in" in error["message"]


def test_suspended_account_is_treated_as_signed_out(
    app: Flask, client: FlaskClient, demo_kb: KnowledgeBase
) -> None:
    """A suspended account's session no longer signs it in."""
    sign_in(app, client, make_user(demo_kb, suspended=True))
    assert ask(client).status_code == 401


def test_ask_a_question(client: FlaskClient, customer: int, demo_kb: KnowledgeBase) -> None:
    """A signed-in customer's question is created (201), located, readable and listed."""
    title = unique_title("Can I return worn trail runners")
    response = client.post(
        ASK,
        json={"title": title, "body": "Worn **twice** indoors.", "category": "returns-and-refunds"},
    )
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["title"] == title and created["moderation"] == "visible"
    assert created["category"]["slug"] == "returns-and-refunds" and created["answers"] == []
    assert "<strong>twice</strong>" in created["html"]
    with demo_kb.sessions() as session:
        author = session.get(User, customer)
        assert author is not None and created["author"] == author.display_name
    location = response.headers["Location"]
    assert location.endswith(f"{ASK}/{created['id']}")
    assert client.get(location).get_json()["title"] == title
    listed = client.get(f"{ASK}?per_page=50").get_json()["items"]
    assert created["id"] in {q["id"] for q in listed}


def test_answer_a_question(client: FlaskClient, customer: int) -> None:
    """An answer is created (201) with a Location anchor and shows on the question."""
    question = ask(client).get_json()
    response = client.post(f"{ASK}/{question['id']}/answers", json={"body": "Yes, within 30 days."})
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert answer["source"] == "community" and answer["accepted"] is False
    assert answer["moderation"] == "visible" and answer["score"] == 0
    assert response.headers["Location"].endswith(f"{ASK}/{question['id']}#answer-{answer['id']}")
    read = client.get(f"{ASK}/{question['id']}").get_json()
    assert [a["id"] for a in read["answers"]] == [answer["id"]] and read["answer_count"] == 1


def test_answer_to_unknown_question_is_404(client: FlaskClient, customer: int) -> None:
    """Answering a question that does not exist answers 404."""
    assert client.post(f"{ASK}/987654/answers", json={"body": "Hello"}).status_code == 404


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"title": "x" * 201}, "title", "at most 200"),
        ({"title": "Why?"}, "title", "at least 5"),
        ({"body": "no title"}, "title", "required"),
        ({"title": 12345}, "title", "must be text"),
        ({"title": "A fine title", "body": "y" * 10_001}, "body", "at most 10000"),
        ({"title": "A fine title", "tags": ["x"]}, "tags", "not a field"),
        ({"title": "A fine title", "category": "no-such-category"}, "category", "no-such-category"),
        ({"title": "<b></b><i></i><u>Hi</u>"}, "title", "at least 5"),
    ],
)
def test_ask_rejects_bad_input(
    client: FlaskClient, customer: int, body: dict[str, Any], field: str, words: str
) -> None:
    """Invalid questions answer 400 with a message naming exactly the wrong field."""
    response = client.post(ASK, json=body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["status"] == 400
    assert set(error["fields"]) == {field}, error
    assert words in error["fields"][field]
    assert field in error["message"]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        (
            {"data": "title=Hello+there", "content_type": "application/x-www-form-urlencoded"},
            "JSON",
        ),
        ({"data": "{not json", "content_type": "application/json"}, "not valid JSON"),
        ({"json": ["a", "list"]}, "JSON object"),
    ],
)
def test_ask_needs_a_json_object(
    client: FlaskClient, customer: int, kwargs: dict[str, Any], words: str
) -> None:
    """A body that is not a JSON object answers 400 saying so."""
    response = client.post(ASK, **kwargs)
    assert response.status_code == 400
    assert words in response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "words"),
    [({}, "required"), ({"body": "   "}, "must not be empty"), ({"body": "<p></p>"}, "text")],
)
def test_answer_rejects_bad_input(
    client: FlaskClient, customer: int, body: dict[str, Any], words: str
) -> None:
    """Invalid answers answer 400 naming the body."""
    response = client.post(f"{ASK}/1/answers", json=body)
    assert response.status_code == 400
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"body"} and words in fields["body"]


def test_markup_is_removed_before_saving(client: FlaskClient, customer: int) -> None:
    """HTML in posted text is stripped on save, so nothing executes when it is shown."""
    marker = uuid.uuid4().hex[:8]
    response = client.post(
        ASK,
        json={
            "title": f"<b>Bold</b> question {marker}<script>alert(1)</script>",
            "body": '<img src=x onerror="alert(2)">Plain words',
        },
    )
    assert response.status_code == 201
    created = response.get_json()
    assert created["title"] == f"Bold question {marker}"
    assert created["body"] == "Plain words"
    assert "<script" not in created["html"] and "onerror" not in created["html"]


def test_held_keyword_waits_for_review(
    app: Flask, client: FlaskClient, customer: int, demo_kb: KnowledgeBase
) -> None:
    """A post with a held keyword is pending: only its author and staff can read it."""
    response = ask(client, body="Best casino bonus codes here")
    assert response.status_code == 201
    question = response.get_json()
    assert question["moderation"] == "pending"
    assert client.get(f"{ASK}/{question['id']}").status_code == 200  # the author
    listed = client.get(f"{ASK}?per_page=50").get_json()["items"]
    assert question["id"] not in {q["id"] for q in listed}

    stranger = app.test_client()
    assert stranger.get(f"{ASK}/{question['id']}").status_code == 404
    sign_in(app, stranger, make_user(demo_kb))
    assert stranger.post(f"{ASK}/{question['id']}/answers", json={"body": "Hi"}).status_code == 404
    staff = app.test_client()
    sign_in(app, staff, make_user(demo_kb, role=Role.AGENT))
    assert staff.get(f"{ASK}/{question['id']}").status_code == 200


def test_held_answer_is_not_shown(client: FlaskClient, customer: int) -> None:
    """A pending answer is created but the question's read leaves it out."""
    question = ask(client).get_json()
    response = client.post(f"{ASK}/{question['id']}/answers", json={"body": "Try this payday loan"})
    assert response.status_code == 201 and response.get_json()["moderation"] == "pending"
    read = client.get(f"{ASK}/{question['id']}").get_json()
    assert read["answers"] == [] and read["answer_count"] == 0


def test_new_accounts_may_post_few_links(
    app: Flask, client: FlaskClient, demo_kb: KnowledgeBase
) -> None:
    """A brand-new account's post with too many links answers 400 naming the body."""
    sign_in(app, client, make_user(demo_kb, age_days=0))
    links = " ".join(f"https://example.com/{n}" for n in range(3))
    response = ask(client, body=f"See {links}")
    assert response.status_code == 400
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"body"} and "link" in fields["body"]


def test_oversized_body_is_413(client: FlaskClient, customer: int) -> None:
    """A body over the app's 1 MB limit answers 413 in JSON."""
    huge = '{"title": "' + "x" * (1024 * 1024 + 10) + '"}'
    response = client.post(ASK, data=huge, content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["error"]["status"] == 413


def test_posts_need_the_csrf_header(demo_kb: KnowledgeBase) -> None:
    """With CSRF on, a JSON post without X-CSRFToken is refused; with the page's token it works."""
    app = create_app({"TESTING": True}, settings=demo_kb.settings, knowledge_base=demo_kb)
    client = app.test_client()
    sign_in(app, client, make_user(demo_kb))
    refused = client.post(ASK, json={"title": unique_title()})
    assert refused.status_code == 400
    assert "X-CSRFToken" in refused.get_json()["error"]["message"]
    page = client.get("/community/ask").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    accepted = client.post(ASK, json={"title": unique_title()}, headers={"X-CSRFToken": match[1]})
    assert accepted.status_code == 201, accepted.get_json()


def test_posting_is_rate_limited(demo_kb: KnowledgeBase) -> None:
    """Past the configured posting rate, posts answer 429 in JSON with Retry-After."""
    app = build_app(demo_kb, csrf=False, post_rate_limit="2 per minute")
    client = app.test_client()
    sign_in(app, client, make_user(demo_kb))
    assert ask(client).status_code == 201
    assert ask(client).status_code == 201
    response = ask(client)
    assert response.status_code == 429
    assert response.get_json()["error"]["status"] == 429
    assert int(response.headers["Retry-After"]) > 0
