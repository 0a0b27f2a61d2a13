"""Browsing community questions: pages, filters, answer counts and held posts."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from kb.articles import get_or_create_category
from kb.community import (
    CommunityError,
    NotFound,
    add_answer,
    browse_questions,
    get_answer,
    get_or_create_user,
    save_question,
    set_moderation,
)
from kb.models import Moderation, Question


def ask(session: Session, title: str, **fields: object) -> Question:
    """A saved question."""
    question, _ = save_question(session=session, title=title, **fields)  # type: ignore[arg-type]
    return question


def titles(session: Session, **filters: object) -> list[str]:
    """The titles browse_questions returns for ``filters``."""
    page, _ = browse_questions(session=session, **filters)  # type: ignore[arg-type]
    return [item.question.title for item in page]


def test_browse_newest_first_with_counts(session: Session) -> None:
    """Visible questions newest first; counts, accepted marker and votes from visible answers."""
    first = ask(session, "first")
    second = ask(session, "second")
    add_answer(session=session, question=first, body="a", score=2, accepted=True)
    add_answer(session=session, question=first, body="b", score=3)
    add_answer(session=session, question=first, body="held", score=10, moderation="pending")
    page, total = browse_questions(session=session)
    assert total == 2
    assert [s.question for s in page] == [second, first]
    assert (page[1].answers, page[1].accepted, page[1].score) == (2, True, 5)
    assert (page[0].answers, page[0].accepted, page[0].score) == (0, False, 0)


def test_browse_hides_held_questions_unless_asked(session: Session) -> None:
    """Pending and hidden questions are left out unless include_held (an author's own list)."""
    ask(session, "shown")
    ask(session, "waiting", moderation="pending")
    ask(session, "removed", moderation=Moderation.HIDDEN)
    assert titles(session) == ["shown"]
    assert titles(session, include_held=True) == ["removed", "waiting", "shown"]


def test_browse_unanswered_counts_only_visible_answers(session: Session) -> None:
    """A question whose only answer is held still counts as unanswered."""
    answered = ask(session, "answered")
    held = ask(session, "held answer only")
    ask(session, "nothing yet")
    add_answer(session=session, question=answered, body="yes")
    add_answer(session=session, question=held, body="spam", moderation="pending")
    assert titles(session, unanswered=True) == ["nothing yet", "held answer only"]


def test_browse_by_category_and_author(session: Session) -> None:
    """Filter by category slug and by author."""
    get_or_create_category(session=session, slug="boots", name="Boots")
    ann = get_or_create_user(session=session, display_name="Ann", email="ann@example.com")
    ask(session, "boot question", category="boots")
    ask(session, "ann's question", author=ann)
    ask(session, "ann's held question", author=ann, moderation="pending")
    assert titles(session, category="boots") == ["boot question"]
    assert titles(session, author_id=ann.id) == ["ann's question"]
    assert titles(session, author_id=ann.id, include_held=True) == [
        "ann's held question",
        "ann's question",
    ]
    with pytest.raises(CommunityError, match="unknown category 'tents'"):
        browse_questions(session=session, category="tents")


def test_browse_pages(session: Session) -> None:
    """limit and offset page through; the total counts every match."""
    for number in range(5):
        ask(session, f"q{number}")
    page, total = browse_questions(session=session, limit=2, offset=2)
    assert total == 5
    assert [s.question.title for s in page] == ["q2", "q1"]
    with pytest.raises(ValueError, match="limit must be positive"):
        browse_questions(session=session, limit=0)


def test_browse_sees_moderation_changes(session: Session) -> None:
    """A question held after it was posted leaves the list."""
    question = ask(session, "soon held")
    set_moderation(session=session, answer_or_question=question, state="pending")
    assert titles(session) == []


def test_get_answer(session: Session) -> None:
    """Answers by id; NotFound for a missing one."""
    question = ask(session, "q")
    answer = add_answer(session=session, question=question, body="a")
    assert get_answer(session=session, answer_id=answer.id) is answer
    with pytest.raises(NotFound, match="no answer with id 999999"):
        get_answer(session=session, answer_id=999_999)
