"""Article feedback (one vote per visitor, upserted) and the chat starts that carry context."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kb.db import make_engine, make_session_factory, transaction
from kb.feedback import (
    MAX_COMMENT,
    ChatStartNotFound,
    FeedbackError,
    FeedbackNotFound,
    find_feedback,
    get_chat_start,
    get_feedback,
    mark_chat_started,
    record_feedback,
    start_chat,
    update_comment,
)
from kb.models import Article, ArticleFeedback
from tests.kb.helpers import reset_password


@pytest.fixture
def article(session: Session) -> Article:
    """A published article to give feedback on."""
    return reset_password(session, status="published").article


def _rows(session: Session, article: Article) -> int:
    """How many feedback rows the article has."""
    query = select(func.count()).where(ArticleFeedback.article_id == article.id)
    return int(session.scalar(query) or 0)


def test_first_vote_creates_feedback(session: Session, article: Article) -> None:
    """A vote is stored with its comment and timestamps."""
    feedback = record_feedback(
        session=session, article=article, visitor_id="anon:a1", helpful=False, comment="Too vague"
    )
    assert (feedback.article_id, feedback.visitor_id) == (article.id, "anon:a1")
    assert (feedback.helpful, feedback.comment) == (False, "Too vague")
    assert feedback.created_at is not None and feedback.updated_at is not None
    assert get_feedback(session=session, article=article, visitor_id="anon:a1") is feedback


def test_second_vote_updates_the_same_row(session: Session, article: Article) -> None:
    """Changing your mind replaces your vote: still one row, same id."""
    first = record_feedback(
        session=session, article=article, visitor_id="anon:a1", helpful=True, comment=""
    )
    first_id = first.id
    second = record_feedback(
        session=session, article=article, visitor_id="anon:a1", helpful=False, comment="Missing X"
    )
    assert second.id == first_id
    assert (second.helpful, second.comment) == (False, "Missing X")
    assert _rows(session, article) == 1


def test_comment_none_keeps_the_earlier_comment(session: Session, article: Article) -> None:
    """Flipping the vote without a comment field keeps what was written; '' clears it."""
    record_feedback(
        session=session, article=article, visitor_id="anon:a1", helpful=False, comment="Keep me"
    )
    kept = record_feedback(session=session, article=article, visitor_id="anon:a1", helpful=True)
    assert (kept.helpful, kept.comment) == (True, "Keep me")
    cleared = record_feedback(
        session=session, article=article, visitor_id="anon:a1", helpful=True, comment=""
    )
    assert cleared.comment == ""


def test_each_visitor_has_their_own_vote(session: Session, article: Article) -> None:
    """Different visitors add rows; get_feedback finds only one's own."""
    record_feedback(session=session, article=article, visitor_id="anon:a1", helpful=True)
    record_feedback(session=session, article=article, visitor_id="user:7", helpful=False)
    assert _rows(session, article) == 2
    assert get_feedback(session=session, article=article, visitor_id="anon:zz") is None


@pytest.mark.parametrize(
    ("visitor", "comment", "message"),
    [
        ("", None, "visitor_id"),
        ("x" * 65, None, "visitor_id"),
        ("anon:a1", "x" * (MAX_COMMENT + 1), "1,001 characters"),
    ],
)
def test_bad_feedback_is_rejected(
    session: Session, article: Article, visitor: str, comment: str | None, message: str
) -> None:
    """Size limits are checked with a message that says what is wrong."""
    with pytest.raises(FeedbackError, match=message):
        record_feedback(
            session=session, article=article, visitor_id=visitor, helpful=True, comment=comment
        )
    assert _rows(session, article) == 0


def test_a_comment_of_exactly_the_limit_is_fine(session: Session, article: Article) -> None:
    """1,000 characters are allowed."""
    feedback = record_feedback(
        session=session,
        article=article,
        visitor_id="anon:a1",
        helpful=False,
        comment="x" * MAX_COMMENT,
    )
    assert len(feedback.comment) == MAX_COMMENT


def test_find_feedback_only_for_its_visitor(session: Session, article: Article) -> None:
    """Feedback ids are not a way to read other visitors' comments."""
    feedback = record_feedback(
        session=session, article=article, visitor_id="anon:a1", helpful=False
    )
    assert find_feedback(session=session, feedback_id=feedback.id, visitor_id="anon:a1") is feedback
    with pytest.raises(FeedbackNotFound):
        find_feedback(session=session, feedback_id=feedback.id, visitor_id="anon:b2")
    with pytest.raises(FeedbackNotFound):
        find_feedback(session=session, feedback_id=feedback.id + 1000, visitor_id="anon:a1")


def test_update_comment(session: Session, article: Article) -> None:
    """A comment typed before starting a chat is saved on the feedback."""
    feedback = record_feedback(
        session=session, article=article, visitor_id="anon:a1", helpful=False
    )
    update_comment(session=session, feedback=feedback, comment="Where is the button?")
    assert get_feedback(session=session, article=article, visitor_id="anon:a1").comment == (
        "Where is the button?"
    )
    with pytest.raises(FeedbackError, match="1,000"):
        update_comment(session=session, feedback=feedback, comment="x" * 1001)


def test_chat_from_feedback_carries_article_and_comment(session: Session, article: Article) -> None:
    """The chat start holds the article, the feedback and its comment, under a random token."""
    feedback = record_feedback(
        session=session, article=article, visitor_id="anon:a1", helpful=False, comment="No link"
    )
    chat = start_chat(
        session=session, origin="article_feedback", visitor_id="anon:a1", feedback=feedback
    )
    assert (chat.origin, chat.article_id, chat.feedback_id) == (
        "article_feedback",
        article.id,
        feedback.id,
    )
    assert (chat.comment, chat.query, chat.visitor_id) == ("No link", "", "anon:a1")
    assert len(chat.token) >= 32
    other = start_chat(
        session=session, origin="article_feedback", visitor_id="anon:a1", feedback=feedback
    )
    assert other.token != chat.token
    assert get_chat_start(session=session, token=chat.token) is chat


def test_chat_from_search_carries_the_query(session: Session) -> None:
    """A failed search's text travels into the chat, whitespace tidied."""
    chat = start_chat(
        session=session, origin="search", visitor_id="anon:a1", query="  boots   leak  "
    )
    assert (chat.query, chat.article_id, chat.feedback_id) == ("boots leak", None, None)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"origin": "email"}, "Unknown chat origin"),
        ({"origin": "search"}, "needs the search text"),
        ({"origin": "search", "query": "x" * 501}, "too long"),
        ({"origin": "article_feedback"}, "needs the feedback"),
        ({"origin": "search", "query": "hi", "visitor_id": ""}, "visitor_id"),
    ],
)
def test_bad_chat_starts_are_rejected(
    session: Session, kwargs: dict[str, object], message: str
) -> None:
    """Unknown origins, missing context and oversized text say what is wrong."""
    arguments: dict[str, object] = {"visitor_id": "anon:a1"} | kwargs
    with pytest.raises(FeedbackError, match=message):
        start_chat(session=session, **arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize("token", ["", "short", "x" * 65, "has spaces in it at all!", "nope" * 8])
def test_unknown_or_malformed_tokens_are_not_found(session: Session, token: str) -> None:
    """Lookups by a bad token raise ChatStartNotFound, never a database error."""
    with pytest.raises(ChatStartNotFound):
        get_chat_start(session=session, token=token)


def test_mark_chat_started_once(session: Session) -> None:
    """The first pick-up time is kept."""
    chat = start_chat(session=session, origin="search", visitor_id="anon:a1", query="hello")
    first = mark_chat_started(session=session, chat=chat).used_at
    assert first is not None
    assert mark_chat_started(session=session, chat=chat).used_at == first


def test_concurrent_votes_from_one_visitor_make_one_row(fresh_db_url: str) -> None:
    """Many simultaneous votes by the same visitor never create a second row."""
    engine = make_engine(fresh_db_url)
    factory = make_session_factory(engine)
    try:
        with transaction(factory) as session:
            article_id = reset_password(session, status="published").article.id

        def vote(index: int) -> None:
            with transaction(factory) as session:
                article = session.get(Article, article_id)
                assert article is not None
                record_feedback(
                    session=session,
                    article=article,
                    visitor_id="anon:same",
                    helpful=index % 2 == 0,
                    comment=f"vote {index}",
                )

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(vote, range(24)))
        with factory() as session:
            rows = session.scalars(select(ArticleFeedback)).all()
        assert len(rows) == 1 and rows[0].comment.startswith("vote ")
    finally:
        engine.dispose()
