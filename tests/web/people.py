"""Helpers for web tests that need accounts and community posts in the shared demo database."""

from __future__ import annotations

import re
import uuid

from flask.testing import FlaskClient
from sqlalchemy import select

from kb.knowledge_base import KnowledgeBase
from kb.models import Answer, Question, User

PASSWORD = "correct horse battery"


def unique(prefix: str = "t") -> str:
    """A short unique token, so tests sharing the demo database never collide."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def sign_up(client: FlaskClient, name: str | None = None, *, password: str = PASSWORD) -> str:
    """Create an account through the form (CSRF off) and stay signed in; returns the email."""
    name = name or unique("user")
    email = f"{name}@example.com"
    response = client.post(
        "/account/sign-up",
        data={"email": email, "display_name": name, "password": password, "confirm": password},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return email


def user(kb: KnowledgeBase, email: str) -> User:
    """The account row for ``email``."""
    with kb.sessions() as session:
        found = session.scalar(select(User).where(User.email == email))
        assert found is not None
        return found


def ask(client: FlaskClient, title: str, body: str = "", **extra: str) -> int:
    """Post a question through the form; returns its id (from the redirect)."""
    response = client.post("/community/ask", data={"title": title, "body": body, **extra})
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/community/questions/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def answer(client: FlaskClient, question_id: int, body: str) -> int:
    """Post an answer through the form; returns its id (from the redirect's anchor)."""
    response = client.post(f"/community/questions/{question_id}/answers", data={"body": body})
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"#answer-(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def question_row(kb: KnowledgeBase, question_id: int) -> Question:
    """The stored question (detached copy with its answers loaded)."""
    with kb.sessions() as session:
        found = session.get(Question, question_id)
        assert found is not None
        _ = list(found.answers)
        return found


def answer_row(kb: KnowledgeBase, answer_id: int) -> Answer:
    """The stored answer."""
    with kb.sessions() as session:
        found = session.get(Answer, answer_id)
        assert found is not None
        return found


def questions_titled(kb: KnowledgeBase, title: str) -> list[Question]:
    """Stored questions with exactly this title."""
    with kb.sessions() as session:
        return list(session.scalars(select(Question).where(Question.title == title)))
