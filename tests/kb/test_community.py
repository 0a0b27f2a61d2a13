"""Community services: users, questions, answers, imports, votes (also concurrent), moderation."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kb.articles import get_or_create_category
from kb.changes import latest_change_id
from kb.community import (
    AnswerInput,
    CommunityError,
    NotFound,
    accept_answer,
    add_answer,
    get_or_create_user,
    get_question,
    list_questions,
    replace_answers,
    save_question,
    set_moderation,
    vote,
)
from kb.db import make_engine, make_session_factory, transaction
from kb.models import Answer, Moderation, Question, QuestionStatus, Role, User, Vote
from tests.kb.helpers import new_changes


def ask(session: Session, **overrides: object) -> Question:
    """A question with one answer-less thread."""
    fields: dict[str, object] = {"title": "Can I pay by invoice?", "body": "We are a company."}
    fields.update(overrides)
    question, _ = save_question(session=session, **fields)  # type: ignore[arg-type]
    return question


def user(session: Session, name: str) -> User:
    """A customer with an e-mail address."""
    return get_or_create_user(session=session, display_name=name, email=f"{name}@example.com")


# users


def test_get_or_create_user_by_email(session: Session) -> None:
    """Users with an e-mail address are found by it, whatever its case."""
    ada = get_or_create_user(
        session=session, display_name=" Ada ", email="Ada@Example.com", role=Role.AGENT
    )
    assert (ada.display_name, ada.email, ada.role) == ("Ada", "ada@example.com", Role.AGENT)
    again = get_or_create_user(session=session, display_name="Someone", email="ADA@example.com ")
    assert again is ada
    assert again.display_name == "Ada"


def test_get_or_create_user_by_name_only_among_users_without_email(session: Session) -> None:
    """Without e-mail, a user is found by name among e-mail-less users (imported authors)."""
    registered = user(session, "sam")
    imported = get_or_create_user(session=session, display_name="sam")
    assert imported is not registered
    assert imported.email is None
    assert imported.role == Role.CUSTOMER
    assert get_or_create_user(session=session, display_name="sam") is imported


@pytest.mark.parametrize(
    ("name", "email", "role", "message"),
    [
        ("  ", None, "customer", "display name must be 1 to 80 characters"),
        ("n" * 81, None, "customer", "display name must be 1 to 80 characters"),
        ("Ann", "not-an-address", "customer", "'not-an-address' is not an e-mail address"),
        ("Ann", None, "boss", "unknown role 'boss'; expected one of customer, agent"),
    ],
)
def test_get_or_create_user_validates(
    session: Session, name: str, email: str | None, role: str, message: str
) -> None:
    """Bad names, addresses and roles are refused with a precise message."""
    with pytest.raises(CommunityError, match=message):
        get_or_create_user(session=session, display_name=name, email=email, role=role)


# questions


def test_save_question_creates_open_visible_question(session: Session) -> None:
    """A new question is open and visible, and recorded as a change."""
    author = user(session, "ann")
    get_or_create_category(session=session, slug="billing")
    before = latest_change_id(session=session)
    question, changed = save_question(
        session=session, title="  Can I pay by invoice? ", author=author, category="billing"
    )
    assert changed
    assert question.title == "Can I pay by invoice?"
    assert (question.status, question.moderation) == (QuestionStatus.OPEN, Moderation.VISIBLE)
    assert question.author is author
    assert question.category is not None and question.category.slug == "billing"
    assert new_changes(session, before) == [("question", question.id)]


def test_save_question_upserts_by_external_id(session: Session) -> None:
    """The same external id updates one question; identical content changes nothing."""
    question = ask(session, external_id="forum:7")
    before = latest_change_id(session=session)

    same, changed = save_question(
        session=session,
        title="Can I pay by invoice?",
        body="We are a company.",
        external_id="forum:7",
    )
    assert (same, changed) == (question, False)
    assert latest_change_id(session=session) == before

    edited, changed = save_question(
        session=session, title="Can I pay by invoice?", body="Edited.", external_id="forum:7"
    )
    assert (edited, changed) == (question, True)
    assert question.body == "Edited."
    assert new_changes(session, before) == [("question", question.id)]


def test_save_question_without_external_id_always_creates(session: Session) -> None:
    """Questions asked twice by people are two questions."""
    assert ask(session) is not ask(session)


def test_save_question_none_keeps_status_author_and_moderation(session: Session) -> None:
    """status, moderation and author given as None keep the current values."""
    author = user(session, "ann")
    question = ask(session, external_id="f:1", author=author, status="closed", moderation="pending")
    _, changed = save_question(
        session=session, title="Can I pay by invoice?", body="We are a company.", external_id="f:1"
    )
    assert not changed
    assert (question.status, question.moderation) == (QuestionStatus.CLOSED, Moderation.PENDING)
    assert question.author is author


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": " "}, "question title is empty"),
        ({"title": "t" * 201}, "question title is 201 characters; the limit is 200"),
        ({"body": "b" * 50_001}, "question body is 50,001 characters; the limit is 50,000"),
        ({"category": "nowhere"}, "unknown category 'nowhere'"),
        ({"status": "solved"}, "unknown question status 'solved'; expected one of open"),
        ({"moderation": "gone"}, "unknown moderation state 'gone'"),
        ({"external_id": ""}, "external_id must be 1 to 200 characters"),
    ],
)
def test_save_question_validates(
    session: Session, overrides: dict[str, object], message: str
) -> None:
    """Invalid questions are refused before anything is written."""
    with pytest.raises(CommunityError, match=message):
        ask(session, **overrides)
    assert session.scalar(select(func.count()).select_from(Question)) == 0


def test_get_question(session: Session) -> None:
    """Questions are found by id; a missing id raises NotFound."""
    question = ask(session)
    assert get_question(session=session, question_id=question.id) is question
    with pytest.raises(NotFound, match="no question with id -1"):
        get_question(session=session, question_id=-1)


def test_list_questions_hides_hidden_and_pending(session: Session) -> None:
    """Customers see visible questions, newest first; moderators can see all."""
    visible = ask(session, title="visible")
    pending = ask(session, title="pending", moderation="pending")
    hidden = ask(session, title="hidden", moderation=Moderation.HIDDEN)
    newest = ask(session, title="newest")
    assert list_questions(session=session) == [newest, visible]
    assert list_questions(session=session, include_hidden=True) == [
        newest,
        hidden,
        pending,
        visible,
    ]


# answers, acceptance, moderation


def test_add_answer_records_a_change_for_the_question(session: Session) -> None:
    """An answer belongs to its question, and search hears about the question."""
    question = ask(session)
    author = user(session, "bo")
    before = latest_change_id(session=session)
    answer = add_answer(session=session, question=question, body=" Yes. ", author=author, score=4)
    assert (answer.body, answer.author, answer.score, answer.accepted) == ("Yes.", author, 4, False)
    assert answer.moderation == Moderation.VISIBLE
    assert question.answers == [answer]
    assert question.status == QuestionStatus.OPEN
    assert new_changes(session, before) == [("question", question.id)]


def test_add_accepted_answer_answers_the_question(session: Session) -> None:
    """An accepted answer marks the question answered and un-accepts any other."""
    question = ask(session)
    first = add_answer(session=session, question=question, body="Maybe.", accepted=True)
    second = add_answer(session=session, question=question, body="Yes.", accepted=True)
    assert (first.accepted, second.accepted) == (False, True)
    assert question.status == QuestionStatus.ANSWERED


@pytest.mark.parametrize(
    ("body", "moderation", "message"),
    [
        ("   ", "visible", "answer body is empty"),
        ("a" * 50_001, "visible", "answer body is 50,001 characters"),
        ("Yes.", "removed", "unknown moderation state 'removed'"),
    ],
)
def test_add_answer_validates(session: Session, body: str, moderation: str, message: str) -> None:
    """Empty or oversized answers and unknown states are refused."""
    question = ask(session)
    with pytest.raises(CommunityError, match=message):
        add_answer(session=session, question=question, body=body, moderation=moderation)


def test_accept_answer(session: Session) -> None:
    """Accepting moves the mark; accepting again changes nothing."""
    question = ask(session)
    first = add_answer(session=session, question=question, body="Maybe.")
    second = add_answer(session=session, question=question, body="Yes.")
    before = latest_change_id(session=session)

    assert accept_answer(session=session, answer=first) is first
    accept_answer(session=session, answer=second)
    assert (first.accepted, second.accepted) == (False, True)
    assert question.status == QuestionStatus.ANSWERED
    assert new_changes(session, before) == [("question", question.id)] * 2

    before = latest_change_id(session=session)
    accept_answer(session=session, answer=second)
    assert latest_change_id(session=session) == before


def test_accepting_keeps_a_closed_question_closed(session: Session) -> None:
    """Only an open question becomes answered; a closed one stays closed."""
    question = ask(session, status="closed")
    answer = add_answer(session=session, question=question, body="Yes.")
    accept_answer(session=session, answer=answer)
    assert answer.accepted
    assert question.status == QuestionStatus.CLOSED


def test_set_moderation_on_questions_and_answers(session: Session) -> None:
    """Moderating an answer or a question records a change for the question, once."""
    question = ask(session)
    answer = add_answer(session=session, question=question, body="Buy crypto!")
    before = latest_change_id(session=session)

    set_moderation(session=session, answer_or_question=answer, state="hidden")
    set_moderation(session=session, answer_or_question=answer, state=Moderation.HIDDEN)
    set_moderation(session=session, answer_or_question=question, state="pending")

    assert answer.moderation == Moderation.HIDDEN
    assert question.moderation == Moderation.PENDING
    assert new_changes(session, before) == [("question", question.id)] * 2
    with pytest.raises(CommunityError, match="unknown moderation state 'spam'"):
        set_moderation(session=session, answer_or_question=answer, state="spam")


# imports


def test_replace_answers_is_idempotent(session: Session) -> None:
    """Importing the same answers again changes nothing and records nothing."""
    question = ask(session)
    answers = [
        AnswerInput(body="Yes, on the Business plan.", author_name="Agent Kay", score=3),
        AnswerInput(body="Ask support.", author_name=None, accepted=True),
    ]
    before = latest_change_id(session=session)
    assert replace_answers(session=session, question=question, answers=answers)
    assert new_changes(session, before) == [("question", question.id)]
    assert [(a.body, a.score, a.accepted) for a in question.answers] == [
        ("Yes, on the Business plan.", 3, False),
        ("Ask support.", 0, True),
    ]
    assert question.answers[0].author is not None
    assert question.answers[0].author.display_name == "Agent Kay"
    assert question.status == QuestionStatus.ANSWERED

    before = latest_change_id(session=session)
    assert not replace_answers(session=session, question=question, answers=answers)
    assert latest_change_id(session=session) == before
    assert len(question.answers) == 2


def test_replace_answers_updates_adds_and_removes(session: Session) -> None:
    """Changed scores update in place, new answers are added, missing ones removed."""
    question = ask(session)
    replace_answers(
        session=session,
        question=question,
        answers=[AnswerInput(body="Keep me.", score=1), AnswerInput(body="Drop me.")],
    )
    kept = question.answers[0]
    before = latest_change_id(session=session)

    changed = replace_answers(
        session=session,
        question=question,
        answers=[AnswerInput(body="Keep me.", score=5), AnswerInput(body="New one.")],
    )

    assert changed
    assert question.answers[0] is kept
    assert [(a.body, a.score) for a in question.answers] == [("Keep me.", 5), ("New one.", 0)]
    assert new_changes(session, before) == [("question", question.id)]
    session.flush()
    assert session.scalar(select(func.count()).select_from(Answer)) == 2


def test_replace_answers_keeps_local_votes_on_top_of_imported_scores(session: Session) -> None:
    """Local votes survive re-imports: the imported score is only the base."""
    question = ask(session)
    replace_answers(session=session, question=question, answers=[AnswerInput(body="A", score=5)])
    answer = question.answers[0]
    vote(session=session, answer=answer, user=user(session, "v1"), value=1)
    vote(session=session, answer=answer, user=user(session, "v2"), value=1)
    assert answer.score == 7

    assert not replace_answers(
        session=session, question=question, answers=[AnswerInput(body="A", score=5)]
    )
    assert answer.score == 7
    assert replace_answers(
        session=session, question=question, answers=[AnswerInput(body="A", score=10)]
    )
    assert answer.score == 12
    assert question.answers == [answer]


def test_replace_answers_allows_one_accepted_answer(session: Session) -> None:
    """Two accepted answers in one import are refused."""
    question = ask(session)
    answers = [AnswerInput(body="A", accepted=True), AnswerInput(body="B", accepted=True)]
    with pytest.raises(CommunityError, match="at most one answer can be accepted; 2 are"):
        replace_answers(session=session, question=question, answers=answers)


def test_replace_answers_validates_everything_first(session: Session) -> None:
    """A bad item anywhere in the import is refused before any answer changes."""
    question = ask(session)
    add_answer(session=session, question=question, body="Old.")
    bad_author = [AnswerInput(body="New."), AnswerInput(body="Also new.", author_name=" ")]
    with pytest.raises(CommunityError, match="display name must be 1 to 80 characters"):
        replace_answers(session=session, question=question, answers=bad_author)
    with pytest.raises(CommunityError, match="answer body is empty"):
        replace_answers(session=session, question=question, answers=[AnswerInput(body="")])
    assert [a.body for a in question.answers] == ["Old."]


def test_replace_answers_with_nothing_removes_all(session: Session) -> None:
    """An empty import removes every answer; a second one is a no-op."""
    question = ask(session)
    add_answer(session=session, question=question, body="Old.")
    assert replace_answers(session=session, question=question, answers=[])
    assert question.answers == []
    assert not replace_answers(session=session, question=question, answers=[])


# votes


def test_vote_rules(session: Session) -> None:
    """One vote per user: repeating is a no-op, changing moves the score by the difference."""
    question = ask(session)
    answer = add_answer(session=session, question=question, body="Yes.", score=10)
    ann, bo = user(session, "ann"), user(session, "bo")

    assert vote(session=session, answer=answer, user=ann, value=1) is answer
    assert answer.score == 11
    vote(session=session, answer=answer, user=ann, value=1)
    assert answer.score == 11
    vote(session=session, answer=answer, user=ann, value=-1)
    assert answer.score == 9
    vote(session=session, answer=answer, user=bo, value=-1)
    assert answer.score == 8

    votes = session.execute(select(Vote.user_id, Vote.value).order_by(Vote.user_id)).all()
    assert [tuple(row) for row in votes] == [(ann.id, -1), (bo.id, -1)]
    session.expire(answer)
    assert answer.score == 8


def test_votes_do_not_record_content_changes(session: Session) -> None:
    """Votes only move scores; they do not make search re-index the question."""
    question = ask(session)
    answer = add_answer(session=session, question=question, body="Yes.")
    before = latest_change_id(session=session)
    vote(session=session, answer=answer, user=user(session, "ann"), value=1)
    assert latest_change_id(session=session) == before


@pytest.mark.parametrize("value", [0, 2, -2, True])
def test_vote_must_be_plus_or_minus_one(session: Session, value: int) -> None:
    """Anything but +1 or -1 is refused."""
    question = ask(session)
    answer = add_answer(session=session, question=question, body="Yes.")
    with pytest.raises(CommunityError, match=r"a vote must be \+1 or -1"):
        vote(session=session, answer=answer, user=user(session, "ann"), value=value)


@pytest.fixture
def committed(fresh_db_url: str) -> Iterator[sessionmaker[Session]]:
    """A session factory on a database of this test's own, for work that really commits."""
    engine = make_engine(fresh_db_url)
    yield make_session_factory(engine)
    engine.dispose()


def cast_votes_at_once(
    factory: sessionmaker[Session], answer_id: int, ballots: list[tuple[int, int]]
) -> None:
    """Cast (user id, value) ballots from as many threads, each in its own transaction."""
    start = threading.Barrier(len(ballots), timeout=30)

    def cast(ballot: tuple[int, int]) -> None:
        user_id, value = ballot
        with transaction(factory) as session:
            answer = session.get_one(Answer, answer_id)
            voter = session.get_one(User, user_id)
            start.wait()
            vote(session=session, answer=answer, user=voter, value=value)

    with ThreadPoolExecutor(max_workers=len(ballots)) as pool:
        for result in [pool.submit(cast, ballot) for ballot in ballots]:
            result.result()


def seed_answer(factory: sessionmaker[Session], voters: int) -> tuple[int, list[int]]:
    """Commit a question with one answer (imported score 3) and some voters; their ids."""
    with transaction(factory) as session:
        question = ask(session)
        answer = add_answer(session=session, question=question, body="Yes.", score=3)
        users = [user(session, f"voter{n}") for n in range(voters)]
        return answer.id, [u.id for u in users]


def test_concurrent_votes_by_different_users_all_count(committed: sessionmaker[Session]) -> None:
    """Votes cast at the same moment by different people are all counted."""
    answer_id, user_ids = seed_answer(committed, voters=6)
    cast_votes_at_once(committed, answer_id, [(uid, 1) for uid in user_ids])
    with committed() as session:
        assert session.get_one(Answer, answer_id).score == 3 + 6
        assert session.scalar(select(func.count()).select_from(Vote)) == 6


def test_concurrent_votes_by_one_user_count_once(committed: sessionmaker[Session]) -> None:
    """The same person voting twice at once (two tabs) leaves one vote and a consistent score."""
    answer_id, [uid] = seed_answer(committed, voters=1)
    cast_votes_at_once(committed, answer_id, [(uid, 1), (uid, 1)])
    with committed() as session:
        assert session.get_one(Answer, answer_id).score == 3 + 1
        assert session.scalar(select(func.count()).select_from(Vote)) == 1

    cast_votes_at_once(committed, answer_id, [(uid, -1), (uid, 1), (uid, -1)])
    with committed() as session:
        [final] = session.scalars(select(Vote.value)).all()
        assert session.get_one(Answer, answer_id).score == 3 + final
